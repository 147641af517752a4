"""The verifier's sentences in Bahasa Indonesia (the default) and English, and local times.

Each entry is (Bahasa Indonesia, English); `{name}` fields are filled by `say`. The flag rules'
and event types' names are in verification/terms.py, shared with the pages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Literal

from verification.terms import EVENT_TERMS, RULE_EXPLAINED, RULE_TERMS, STATUS_TERMS

Lang = Literal["id", "en"]
LANGS: tuple[Lang, ...] = ("id", "en")

SENTENCES: Mapping[str, tuple[str, str]] = {
    "phase_reading": ("membaca berkas", "reading the file"),
    "phase_checking": (
        "memeriksa entri (tanda tangan, bukti, rantai, pemutaran ulang aturan)",
        "checking entries (signatures, proofs, chains, rule replay)",
    ),
    "phase_finishing": ("menyusun laporan", "writing the report"),
    "verdict_complete": (
        "terverifikasi dan lengkap: semua yang diklaim bundel terbukti",
        "verified and complete: everything the bundle claims is proven",
    ),
    "verdict_partial": (
        "terverifikasi sebagian: semua yang ada lolos pemeriksaan, tetapi ada yang tidak dapat "
        "dipastikan (lihat di bawah)",
        "verified but partial: everything present passed, but something could not be "
        "established (see below)",
    ),
    "verdict_failed": (
        "GAGAL: ada pemeriksaan yang tidak lolos; bundel ini tidak dapat dipercaya",
        "FAILED: a check did not pass; this bundle cannot be trusted",
    ),
    "claim_period": (
        "Klaim: seluruh entri log {log} dalam periode {since} s.d. {until}",
        "Claim: every entry of log {log} in the period {since} to {until}",
    ),
    "claim_subjects": (
        "Klaim: seluruh riwayat subjek {subjects} di log {log}",
        "Claim: the whole history of {subjects} in log {log}",
    ),
    "claim_complaint": (
        "Klaim: pengaduan {subject} di log {log} beserta rantai konteksnya",
        "Claim: complaint {subject} of log {log} with its context chains",
    ),
    "period_start": ("awal log", "the log's start"),
    "period_now": ("checkpoint", "the checkpoint"),
    "logs_line": (
        "{logs} log, {entries} entri; penanda dinilai per {as_of}",
        "{logs} logs, {entries} entries; flags judged as of {as_of}",
    ),
    "log_summary": (
        "log {log}: {entries} entri, terhadap checkpoint berukuran {size}",
        "log {log}: {entries} entries, against the checkpoint of size {size}",
    ),
    "log_trusted": ("checkpoint tepercaya berukuran {size}", "trusted checkpoint of size {size}"),
    "log_range": ("rentang [{start}, {end})", "range [{start}, {end})"),
    "log_heads": (
        "{count} kepala rantai dibuktikan oleh catatan peta subjek",
        "{count} chain heads proven by the subject-map note",
    ),
    "checked": ("Yang diperiksa:", "What was checked:"),
    "check_checkpoints": (
        "tanda tangan checkpoint oleh kunci log ({count} log)",
        "checkpoint signatures by the log key ({count} logs)",
    ),
    "check_consistency": (
        "konsistensi dengan checkpoint tepercaya ({count} log)",
        "consistency with trusted checkpoints ({count} logs)",
    ),
    "check_consistency_none": (
        "konsistensi: tidak ada checkpoint tepercaya yang diberikan",
        "consistency: no trusted checkpoint was given",
    ),
    "check_leaves": (
        "hash daun dan hash muatan ({entries} entri, {payloads} muatan)",
        "leaf hashes and payload hashes ({entries} entries, {payloads} payloads)",
    ),
    "check_signatures": (
        "tanda tangan DSSE atas PAE ({count} tanda tangan)",
        "DSSE signatures over PAE ({count} signatures)",
    ),
    "check_keys": (
        "kunci penanda tangan terdaftar pada registri sebesar registry_size entri",
        "signing keys registered in the registry's first registry_size entries",
    ),
    "check_inclusion": (
        "inklusi di checkpoint tiap log ({proofs} dengan bukti inklusi, {ranged} dalam rentang)",
        "inclusion in each log's checkpoint ({proofs} by inclusion proof, {ranged} in ranges)",
    ),
    "check_chains": (
        "rantai subjek (versi 1, 2, 3, … dan prev per subjek)",
        "subject chains (versions 1, 2, 3, … and prev per subject)",
    ),
    "check_heads": (
        "kepala rantai terhadap catatan peta subjek yang ditandatangani ({count} dibuktikan)",
        "chain heads against the signed subject-map note ({count} proven)",
    ),
    "check_ranges": (
        "rentang dan kelengkapan klaim ({count} rentang)",
        "ranges and the claim's completeness ({count} ranges)",
    ),
    "check_replay": (
        "pemutaran ulang aturan domain ({replayed} entri diputar ulang, {skipped} tidak)",
        "replay of the domain rules ({replayed} entries replayed, {skipped} not)",
    ),
    "check_other": ("pemeriksaan lain", "other checks"),
    "failed_count": ("{count} gagal", "{count} failed"),
    "not_established": ("Tidak dapat dipastikan:", "Could not be established:"),
    "failures": ("Yang gagal:", "What failed:"),
    "failure_line": (
        "log {log} {where}: {what} ({reason}: {detail})",
        "log {log} {where}: {what} ({reason}: {detail})",
    ),
    "where_checkpoint": ("checkpoint", "checkpoint"),
    "where_entry": ("entri {index}", "entry {index}"),
    "unreliable": (
        "Karena pemeriksaan gagal, keadaan hasil pemutaran ulang TIDAK DAPAT DIANDALKAN dan "
        "tidak ditampilkan.",
        "Because a check failed, the replayed state is UNRELIABLE and is not shown.",
    ),
    "flags": ("Penanda (per aturan):", "Flags (per rule):"),
    "no_flags": ("Tidak ada penanda.", "No flags."),
    "flag_rule": (
        "{name} ({rule}): {count} — {explained}",
        "{name} ({rule}): {count} — {explained}",
    ),
    "summary": ("Ringkasan periode:", "Summary of the period:"),
    "per_type": ("Entri per jenis peristiwa:", "Entries per event type:"),
    "top_subjects": ("Subjek dengan penanda terbanyak:", "Subjects with the most flags:"),
    "timeline_hint": (
        "Linimasa tiap subjek: jalankan lagi dengan --timeline.",
        "Each subject's timeline: run again with --timeline.",
    ),
    "subject": ("Subjek {subject} ({kind}), log {log}", "Subject {subject} ({kind}), log {log}"),
    "status": ("status: {status}", "status: {status}"),
    "by": ("oleh {who}", "by {who}"),
    "signed_by": ("ditandatangani {who}", "signed by {who}"),
    "policy_version": ("kebijakan v{version}", "policy v{version}"),
    "occurred": ("terjadi {at}", "occurred {at}"),
    "withheld": ("[muatan ditahan dari pembaca ini]", "[payload withheld from this reader]"),
    "redacted": ("[muatan disunting menurut UU 27/2022]", "[payload redacted under UU 27/2022]"),
    "unreadable": ("[muatan tidak dapat dibaca]", "[payload unreadable]"),
    "failed_entry": ("[GAGAL diperiksa]", "[FAILED a check]"),
    "not_replayed": ("tidak diputar ulang: {why}", "not replayed: {why}"),
    "flag_line": (
        "PENANDA {name} ({rule}), entri {entry}: {explained}; {detail}",
        "FLAG {name} ({rule}), entry {entry}: {explained}; {detail}",
    ),
    "more_steps": ("… dan {count} entri lagi", "… and {count} more entries"),
    "no_entries": (
        "tidak ada entri subjek ini dalam bundel",
        "no entry of this subject in the bundle",
    ),
}

REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"the head of (?P<s>.+) in log (?P<l>\S+) is not proven: the bundle has no head "
            r"record of it"
        ),
        "ujung rantai {s} di log {l} tidak terbukti: bundel tidak memuat catatan ujungnya "
        "(entri sesudahnya bisa saja tidak disertakan)",
    ),
    (
        re.compile(
            r"the head of (?P<s>.+) in log (?P<l>\S+) is not proven: the bundle has no verified "
            r"subject-map note of the log"
        ),
        "ujung rantai {s} di log {l} tidak terbukti: bundel tidak memuat catatan peta subjek "
        "log itu yang terverifikasi",
    ),
    (
        re.compile(
            r"the head of (?P<s>.+) in log (?P<l>\S+) is not proven: its proof is of size "
            r"(?P<a>\d+), the subject-map note's is (?P<e>\d+) \(a stale proof\)"
        ),
        "ujung rantai {s} di log {l} tidak terbukti: buktinya untuk ukuran {a}, catatan peta "
        "subjek untuk ukuran {e} (bukti usang)",
    ),
    (
        re.compile(
            r"log (?P<l>\S+): the chains of (?P<n>\d+) context subject\(s\) are not proven "
            r"whole \(no head record\)"
        ),
        "log {l}: rantai {n} subjek konteks tidak terbukti utuh (tanpa catatan ujung)",
    ),
    (
        re.compile(
            r"log (?P<l>\S+): (?P<n>\d+) payload\(s\) withheld from this reader "
            r"\(entries (?P<e>.+)\)"
        ),
        "log {l}: {n} muatan ditahan dari pembaca ini (entri {e})",
    ),
    (
        re.compile(r"log (?P<l>\S+): the replay could not run over entries (?P<e>.+)"),
        "log {l}: pemutaran ulang tidak dapat berjalan atas entri {e}",
    ),
    (
        re.compile(r"log (?P<l>\S+): the replay could not run past (?P<e>.+)"),
        "log {l}: pemutaran ulang tidak dapat berlanjut melewati {e}",
    ),
    (
        re.compile(r"the trusted checkpoint of log (?P<l>\S+): the bundle has no such log"),
        "checkpoint tepercaya log {l}: bundel tidak memuat log itu",
    ),
)
"""The verifier's reasons for a partial verdict (in English in `Outcome.partial`), in
Bahasa Indonesia; a reason none of them reads is shown as it is."""


def reason_words(reason: str, lang: Lang) -> str:
    """A partial verdict's reason in `lang`."""
    if lang == "en":
        return reason
    for pattern, text in REASONS:
        found = pattern.fullmatch(reason)
        if found is not None:
            return (
                text.format(**found.groupdict())
                .replace(" and ", " dan ")
                .replace(" more", " lainnya")
            )
    return reason


def status_name(status: object, lang: Lang) -> str:
    pair = STATUS_TERMS.get(str(status))
    return str(status) if pair is None else f"{pair[LANGS.index(lang)]} ({status})"


ZONES: Mapping[timedelta, str] = {
    timedelta(hours=7): "WIB",
    timedelta(hours=8): "WITA",
    timedelta(hours=9): "WIT",
}
"""Indonesia's three zones by their UTC offset."""

WIB = timedelta(hours=7)


def lang_of(value: str | None) -> Lang:
    return "en" if value == "en" else "id"


def say(key: str, lang: Lang, **fields: object) -> str:
    pair = SENTENCES.get(key)
    if pair is None:
        raise KeyError(f"no verifier sentence {key!r}")
    text = pair[LANGS.index(lang)]
    return text.format(**fields) if fields else text


def rule_name(rule: str, lang: Lang) -> str:
    pair = RULE_TERMS.get(rule)
    return rule if pair is None else pair[LANGS.index(lang)]


def rule_explained(rule: str, lang: Lang) -> str:
    pair = RULE_EXPLAINED.get(rule)
    if pair is None:
        return "aturan tanpa penjelasan" if lang == "id" else "a rule without an explanation"
    return pair[LANGS.index(lang)]


def event_name(kind: str, lang: Lang) -> str:
    pair = EVENT_TERMS.get(kind)
    return kind if pair is None else pair[LANGS.index(lang)]


def zone_offset(moment: datetime | None) -> timedelta:
    """The Indonesian zone of `moment`'s own offset (an agency's clock), else WIB."""
    offset = None if moment is None else moment.utcoffset()
    return offset if offset is not None and offset in ZONES else WIB


def local(moment: datetime, offset: timedelta) -> str:
    """`moment` in the zone of `offset`, labelled (`2026-11-18 10:40:05 WIB`)."""
    shown = moment.astimezone(timezone(offset))
    return f"{shown:%Y-%m-%d %H:%M:%S} {ZONES.get(offset, 'WIB')}"
