"""The report's statements in the reader's language, from the facts each statement carries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from api.pages.i18n import Lang, local_time, term

Name = Callable[[object], str]
Say = Callable[[Mapping[str, Any], Mapping[str, Any], Lang, Name], str]


def _held(held: object, lang: Lang) -> str:
    if lang == "id":
        return "terpenuhi" if held else "DILANGGAR"
    return "held" if held else "BREACHED"


def _filed(s: Mapping[str, Any], r: Mapping[str, Any], lang: Lang, name: Name) -> str:
    when = local_time(r["lapse_at"], str(r["agency"]))
    unit = r["unit"]["name"]
    if lang == "id":
        return f"{r['complaint']} melaporkan kelalaian di {unit} pada {when}."
    return f"{r['complaint']} reports a lapse at {unit} at {when}."


def _enrolled(s: Mapping[str, Any], r: Mapping[str, Any], lang: Lang, name: Name) -> str:
    if lang == "id":
        return (
            f"{s['staff']} pegawai berada di unit pada {r['day']} menurut tanggal penempatan "
            "instansi (placed_at), seperti dihitung tampilan hari unit."
        )
    return (
        f"{s['staff']} employees were in the unit on {r['day']} by the agency's placement "
        "dates (placed_at), as the unit-day view counts them."
    )


def _known(s: Mapping[str, Any], r: Mapping[str, Any], lang: Lang, name: Name) -> str:
    later = "; ".join(name(n) for n in s["later"]) or "—"
    gone = "; ".join(name(n) for n in s["gone"])
    if lang == "id":
        text = (
            f"Saat kelalaian, log mengenal {s['known']} pegawai unit; baru dicatat kemudian: "
            f"{len(s['later'])} ({later})"
        )
        return text + (f"; dan {len(s['gone'])} yang saat itu ditempatkan di sini tidak ({gone})."
                       if s["gone"] else ".")  # fmt: skip
    text = (
        f"At the lapse the log knew {s['known']} of the unit's staff; recorded only later: "
        f"{len(s['later'])} ({later})"
    )
    return text + (f"; and {len(s['gone'])} it then placed here were not ({gone})."
                   if s["gone"] else ".")  # fmt: skip


def _present(s: Mapping[str, Any], r: Mapping[str, Any], lang: Lang, name: Name) -> str:
    missing = s["staff"] - s["recorded"]
    if lang == "id":
        return (
            f"Pukul {s['at']}, {s['present']} hadir di kantor menurut catatan kehadiran "
            f"({s['recorded']} dari {s['staff']} punya catatan hari itu, {missing} tidak)."
        )
    return (
        f"At {s['at']}, {s['present']} were present in the office by their presence records "
        f"({s['recorded']} of {s['staff']} have a record for the day, {missing} no record)."
    )


def _arrived(s: Mapping[str, Any], r: Mapping[str, Any], lang: Lang, name: Name) -> str:
    parts = []
    for a in s["arrivals"]:
        if lang == "id":
            why = "fleksibel waktu" if a.get("time_flexibility") else "terlambat"
            parts.append(f"{name(a['nip'])} pukul {a['in']} ({why})")
        else:
            why = "on time flexibility" if a.get("time_flexibility") else "late arrival"
            parts.append(f"{name(a['nip'])} at {a['in']} ({why})")
    if lang == "id":
        return f"Datang setelah kelalaian: {'; '.join(parts)}."
    return f"Arrived after the lapse: {'; '.join(parts)}."


def _presence(s: Mapping[str, Any], r: Mapping[str, Any], lang: Lang, name: Name) -> str:
    if lang == "id":
        return (
            f"{s['on_site']} dijadwalkan di kantor (di unit dan tidak fleksibel lokasi); "
            f"{s['away']} fleksibel lokasi dan {s['time']} fleksibel waktu."
        )
    return (
        f"{s['on_site']} were scheduled on site (in the unit and not on location flexibility); "
        f"{s['away']} were on location flexibility and {s['time']} on time flexibility."
    )


def _arrangement(s: Mapping[str, Any], r: Mapping[str, Any], lang: Lang, name: Name) -> str:
    found = [a for a in r["flexible"] if a["request"] == s["request"]]
    if not found:
        return str(s["statement"])
    a = found[0]
    kind = term(a["kind"], lang)
    approver, supervisor = name(a["approver"]), name(a["supervisor"])
    if lang == "id":
        by = "oleh atasan langsung" if a["approved_by_supervisor"] else "BUKAN oleh atasan langsung"
        return (
            f"{a['name']} ({a['employee']}): {kind} berdasarkan {a['request']}, disetujui "
            f"{approver} {by} ({supervisor}), versi kebijakan {a['policy_version']}."
        )
    by = "by the supervisor" if a["approved_by_supervisor"] else "NOT by the supervisor"
    return (
        f"{a['name']} ({a['employee']}): {kind} under {a['request']}, approved by {approver} "
        f"{by} ({supervisor}), policy version {a['policy_version']}."
    )


def _minimum(s: Mapping[str, Any], r: Mapping[str, Any], lang: Lang, name: Name) -> str:
    minimum, held = r["unit"]["min_on_site"], _held(s["held"], lang)
    present = _held(s.get("held_present", s["held"]), lang)
    count = len(r["on_site"])
    if lang == "id":
        return (
            f"Minimum di kantor {minimum}: {present} menurut kehadiran ({s.get('present')} hadir "
            f"pukul {s.get('at')}); {held} menurut jadwal ({count} dijadwalkan)."
        )
    return (
        f"On-site minimum {minimum}: {present} by presence ({s.get('present')} present at "
        f"{s.get('at')}); {held} by schedule ({count} scheduled)."
    )


def _quota(s: Mapping[str, Any], r: Mapping[str, Any], lang: Lang, name: Name) -> str:
    policy = r["policy"] or {}
    pct, version, held = policy.get("unit_quota_pct"), policy.get("version"), s["held"]
    if lang == "id":
        return f"Kuota {pct}% menurut versi kebijakan {version}: {_held(held, lang)}."
    return f"Quota {pct}% under policy version {version}: {'held' if held else 'EXCEEDED'}."


def _outputs(s: Mapping[str, Any], r: Mapping[str, Any], lang: Lang, name: Name) -> str:
    if lang == "id":
        return f"{s['outputs']} laporan keluaran tercatat untuk {r['day']}."
    return f"{s['outputs']} output reports were recorded for {r['day']}."


def _earlier(s: Mapping[str, Any], r: Mapping[str, Any], lang: Lang, name: Name) -> str:
    if lang == "id":
        return f"{s['complaints']} pengaduan dan {s['flags']} penanda sebelumnya untuk unit ini."
    return f"{s['complaints']} earlier complaints and {s['flags']} earlier flags for the unit."


SAYINGS: Mapping[str, Say] = {
    "filed": _filed,
    "enrolled": _enrolled,
    "known": _known,
    "presence": _presence,
    "present": _present,
    "arrived": _arrived,
    "arrangement": _arrangement,
    "minimum": _minimum,
    "quota": _quota,
    "outputs": _outputs,
    "earlier": _earlier,
}


def say(statement: Mapping[str, Any], report: Mapping[str, Any], lang: Lang, name: Name) -> str:
    """The statement in `lang`, people named beside their NIPs; one this page does not know,
    as the report wrote it."""
    saying = SAYINGS.get(str(statement.get("says")))
    if saying is None:
        return str(statement["statement"])
    return saying(statement, report, lang, name)
