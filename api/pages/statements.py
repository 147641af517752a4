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
        return f"{s['staff']} pegawai terdaftar di unit pada saat kelalaian."
    return f"{s['staff']} employees were enrolled in the unit at the lapse."


def _presence(s: Mapping[str, Any], r: Mapping[str, Any], lang: Lang, name: Name) -> str:
    if lang == "id":
        return (
            f"{s['on_site']} di kantor; {s['away']} fleksibel lokasi dan {s['time']} "
            "fleksibel waktu."
        )
    return (
        f"{s['on_site']} were on site; {s['away']} were on location flexibility and "
        f"{s['time']} on time flexibility."
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
    count = len(r["on_site"])
    if lang == "id":
        return f"Minimum di kantor {minimum}: {held} ({count} di kantor)."
    return f"On-site minimum {minimum}: {held} ({count} on site)."


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
    "presence": _presence,
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
