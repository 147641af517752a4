"""The report, in plain words (Bahasa Indonesia by default, or English) and as JSON.

In order: the verdict with what it means and what the claim covers; a checklist of what was
checked, with counts (✓ passed, ✗ failed, – not checked); what failed, in words, naming the log
and index; what could not be established; the flags per rule, with what each rule says; for a
period, a summary (entries per event type, the most flagged subjects); then each shown subject's
timeline: who did what, by name, at which local time (each line in one labelled zone), under
which policy version, with the flags explained. When a check failed, the replayed state is not
shown (the JSON marks it unreliable and leaves it out). `--json` carries the same content; its
keys are documented in docs/bundle.md.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime

from domain.events import OPERATOR
from domain.flags import Flag
from verification.failures import FailedCheckError
from verification.leaf import parse_instant
from verification.outcome import FAILED, PARTIAL, Outcome, Step
from verification.printable import printable, printable_json
from verification.wording import (
    Lang,
    event_name,
    local,
    reason_words,
    rule_explained,
    rule_name,
    say,
    status_name,
    zone_offset,
)

SHOWN = 5
"""Indexes or subjects named in one line before the rest are counted."""

TOP = 10
"""Subjects listed in a period's summary of the most flagged."""

CHECKS = (
    "checkpoints",
    "consistency",
    "leaves",
    "signatures",
    "keys",
    "inclusion",
    "chains",
    "heads",
    "ranges",
    "replay",
)
"""The checklist, in the order a verifier does them."""

CHECK_OF_REASON = {
    "checkpoint": "checkpoints",
    "consistency": "consistency",
    "leaf-hash-mismatch": "leaves",
    "payload-hash-mismatch": "leaves",
    "payload-invalid": "leaves",
    "leaf-log": "leaves",
    "leaf-subject": "leaves",
    "order": "leaves",
    "registry-size": "keys",
    "redaction-unproven": "leaves",
    "bad-signature": "signatures",
    "inclusion": "inclusion",
    "chain-version": "chains",
    "chain-prev": "chains",
    "head-proof": "heads",
    "range": "ranges",
    "missing-entry": "ranges",
    "replay-refused": "replay",
}
"""Which checklist line a failure's reason belongs to (`key-*` reasons: keys; else other)."""

FAILURE_WORDS: dict[str, tuple[str, str]] = {
    "checkpoint": (
        "checkpoint tidak ditandatangani kunci log ini",
        "the checkpoint is not signed by this log key",
    ),
    "consistency": (
        "checkpoint bundel tidak melanjutkan checkpoint tepercaya "
        "(log bercabang atau ditulis ulang)",
        "the bundle's checkpoint does not extend the trusted one (a forked or rewritten log)",
    ),
    "leaf-hash-mismatch": (
        "isi daun tidak cocok dengan hash-nya: entri diubah",
        "the leaf's content does not match its hash: the entry was changed",
    ),
    "payload-hash-mismatch": (
        "muatan diubah: SHA-256-nya bukan yang dijanjikan daun",
        "the payload was changed: its SHA-256 is not the one the leaf commits to",
    ),
    "payload-invalid": (
        "muatan bukan peristiwa yang sah dalam katalog",
        "the payload is not a valid event of the catalogue",
    ),
    "leaf-log": ("entri menyebut log lain", "the entry names another log"),
    "leaf-subject": (
        "muatan menyebut subjek lain dari daunnya",
        "the payload names another subject than its leaf",
    ),
    "order": (
        "urutan indeks atau waktu pencatatan mundur",
        "indexes or integration times run backwards",
    ),
    "registry-size": (
        "registry_size entri tidak mungkin",
        "the entry's registry_size is impossible",
    ),
    "redaction-unproven": (
        "muatan dikatakan disunting, tetapi tidak ada entry.redacted di registri yang menyebutnya",
        "the payload is said to be redacted, but no entry.redacted of the registry names it",
    ),
    "bad-signature": (
        "tanda tangan tidak sah atas muatan ini",
        "a signature does not verify over this payload",
    ),
    "inclusion": (
        "entri tidak termasuk dalam checkpoint log (bukti inklusi salah)",
        "the entry is not in the log's checkpoint (its inclusion proof fails)",
    ),
    "chain-version": (
        "rantai subjek putus: nomor versi melompat",
        "the subject's chain is broken: a version is skipped",
    ),
    "chain-prev": (
        "rantai subjek putus: prev bukan hash entri sebelumnya",
        "the subject's chain is broken: prev is not the previous entry's hash",
    ),
    "range": (
        "rentang tidak membangun ulang akar checkpoint",
        "the range does not rebuild the checkpoint's root",
    ),
    "missing-entry": (
        "entri yang diperlukan klaim tidak ada dalam bundel",
        "an entry the claim needs is not in the bundle",
    ),
    "replay-refused": (
        "aturan domain menolak entri yang diterima log",
        "the domain rules refuse an entry the log accepted",
    ),
}
KEY_WORDS = (
    "kunci penanda tangan melanggar aturan registri",
    "the signing key breaks a registry rule",
)


def _some(items: list[str] | list[int]) -> str:
    shown = ", ".join(str(item) for item in items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def partial_reasons(outcome: Outcome) -> list[str]:
    """What the bundle left unproven although every check of what it holds passed."""
    reasons: list[str] = []
    for summary in outcome.logs.values():
        log = summary.log
        if summary.withheld:
            reasons.append(
                f"log {log}: {len(summary.withheld)} payload(s) withheld from this reader "
                f"(entries {_some(summary.withheld)})"
            )
    replay = outcome.replay
    unreplayed: dict[str, list[int]] = defaultdict(list)
    for (log, index), why in replay.skipped.items():
        if not why.startswith(("was ", "failed", "not replayable")):
            unreplayed[log].append(index)
    for log, indexes in unreplayed.items():
        reasons.append(f"log {log}: the replay could not run over entries {_some(sorted(indexes))}")
    for log, found in replay.logs.items():
        if found.stopped:
            subjects = [f"{s} ({why})" for s, why in sorted(found.stopped.items())]
            reasons.append(f"log {log}: the replay could not run past {_some(subjects)}")
    return reasons


# -- who, when ---------------------------------------------------------------------------


def person(outcome: Outcome, log: str, who: str | None) -> str:
    """A NIP or organisation as a person reads it: `Name (NIP)`, or the NIP alone."""
    if not who:
        return "?"
    if who == OPERATOR or log == OPERATOR:
        org = outcome.replay.registry.org(who)
        return who if org is None or org.name == who else f"{org.name} ({who})"
    replay = outcome.replay.logs.get(log)
    employee = None if replay is None else replay.state.employee(who)
    if employee is not None and employee.name and employee.name != who:
        return f"{employee.name} ({who})"
    org = outcome.replay.registry.org(who)
    if org is not None and org.name != who:
        return f"{org.name} ({who})"
    return who


def _signers(outcome: Outcome, step: Step) -> list[dict[str, object]]:
    signers: list[dict[str, object]] = []
    for keyid in step.keyids:
        record = outcome.replay.registry.key_record(keyid)
        key = None if record is None else record.key
        org, holder = (key.org, key.holder) if key else (None, None)
        name = person(outcome, step.log, holder) if holder else person(outcome, OPERATOR, org)
        signers.append({"keyid": keyid, "org": org, "holder": holder, "name": name})
    return signers


def _policy_version(outcome: Outcome, step: Step) -> object:
    replay, event = outcome.replay.logs.get(step.log), step.event
    if replay is None or event is None:
        return None
    policy = replay.state.policy(event.agency)
    found = None if policy is None else policy.in_force(event.occurred_at.date())
    return None if found is None else found.version


def _step(outcome: Outcome, step: Step, lang: Lang) -> dict[str, object]:
    replay, event = outcome.replay, step.event
    flags = replay.flags.get((step.log, step.index), ())
    offset = zone_offset(None if event is None else event.occurred_at)
    found: dict[str, object] = {
        "index": step.index,
        "integrated_at": step.integrated_at,
        "version": step.version,
    }
    try:
        found["integrated_local"] = local(parse_instant(step.integrated_at), offset)
    except ValueError:
        found["integrated_local"] = None
    if step.failed:
        found["failed"] = True
    if event is None:
        found[step.missing or "unreadable"] = True
    else:
        found.update(
            type=event.type,
            what=event_name(event.type, lang),
            actor=event.actor,
            actor_name=person(outcome, step.log, event.actor),
            occurred_at=event.occurred_at.isoformat(),
            occurred_local=local(event.occurred_at, offset),
            policy_version=_policy_version(outcome, step),
        )
    found["signers"] = _signers(outcome, step)
    found["flags"] = [_flag(flag, lang) for flag in flags]
    skipped = replay.skipped.get((step.log, step.index))
    if skipped is not None:
        found["not_replayed"] = skipped
    return found


def _flag(flag: Flag, lang: Lang) -> dict[str, object]:
    return flag.as_json() | {
        "name": rule_name(flag.rule, lang),
        "explained": rule_explained(flag.rule, lang),
    }


# -- the checklist -----------------------------------------------------------------------


def check_of(failure: FailedCheckError) -> str:
    if failure.reason.startswith("key-"):
        return "keys"
    return CHECK_OF_REASON.get(failure.reason, "other")


def _checks(outcome: Outcome, lang: Lang) -> list[dict[str, object]]:
    failed = Counter(check_of(failure) for failure in outcome.failures)
    tallies = outcome.tally.logs.values()
    entries = sum(t.entries for t in tallies)
    payloads = sum(t.payloads for t in tallies)
    signatures = sum(t.signatures for t in tallies)
    proofs = sum(t.by_inclusion for t in tallies)
    ranged = sum(t.in_ranges for t in tallies)
    trusted = sum(1 for s in outcome.logs.values() if s.trusted is not None)
    ranges = sum(len(s.ranges) for s in outcome.logs.values())
    heads = sum(len(s.proven) for s in outcome.logs.values())
    skipped = len(outcome.replay.skipped)
    counts: dict[str, dict[str, int]] = {
        "checkpoints": {"count": len(outcome.logs)},
        "consistency": {"count": trusted},
        "leaves": {"entries": entries, "payloads": payloads},
        "signatures": {"count": signatures},
        "keys": {"count": signatures},
        "inclusion": {"proofs": proofs, "ranged": ranged},
        "chains": {"count": entries},
        "heads": {"count": heads},
        "ranges": {"count": ranges},
        "replay": {"replayed": max(0, entries - skipped), "skipped": skipped},
    }
    period = outcome.header.claim.kind == "period"
    found = []
    for check in (*CHECKS, "other"):
        if check == "other" and not failed[check]:
            continue
        numbers = counts.get(check, {})
        ran = {
            "consistency": trusted > 0,
            "ranges": ranges > 0 or period,
            "heads": heads > 0,
            "other": True,
        }.get(check, True)
        status = "failed" if failed[check] else ("passed" if ran else "not_checked")
        key = "check_consistency_none" if check == "consistency" and not ran else f"check_{check}"
        found.append(
            {
                "check": check,
                "status": status,
                "failed": failed[check],
                **numbers,
                "text": say(key, lang, **numbers),
            }
        )
    return found


MARKS = {"passed": "✓", "failed": "✗", "not_checked": "–"}


# -- flags -------------------------------------------------------------------------------


def _all_flags(
    outcome: Outcome, views: list[tuple[str, str, list[Flag]]]
) -> list[tuple[str, Flag]]:
    """The shown subjects' flags judged as of the report's instant and, for a period, every
    flag the replay raised (recorded with its entry), once each, with its log."""
    seen: dict[tuple[str, int, str, str], tuple[str, Flag]] = {}
    if outcome.header.claim.kind != "period":  # the claimed subjects', not their context's
        recorded_flags: dict[tuple[str, int], tuple[Flag, ...]] = {}
    else:
        recorded_flags = outcome.replay.flags
    for (log, _), recorded in recorded_flags.items():
        for flag in recorded:
            seen.setdefault((log, flag.entry, flag.rule, flag.detail), (log, flag))
    for log, _, judged in views:
        for flag in judged:
            seen.setdefault((log, flag.entry, flag.rule, flag.detail), (log, flag))
    return list(seen.values())


def _flag_summary(flags: list[tuple[str, Flag]], lang: Lang) -> list[dict[str, object]]:
    per_rule = Counter(flag.rule for _, flag in flags)
    return [
        {
            "rule": rule,
            "name": rule_name(rule, lang),
            "explained": rule_explained(rule, lang),
            "count": count,
        }
        for rule, count in sorted(per_rule.items(), key=lambda item: (-item[1], item[0]))
    ]


def _top_subjects(outcome: Outcome, flags: list[tuple[str, Flag]]) -> list[dict[str, object]]:
    subjects = outcome.replay.flagged
    counted = Counter(
        (log, subjects.get((log, flag.entry), "?")) for log, flag in flags if log != OPERATOR
    )
    return [
        {"log": log, "subject": subject, "flags": count}
        for (log, subject), count in sorted(counted.items(), key=lambda i: (-i[1], i[0]))[:TOP]
    ]


# -- the whole report --------------------------------------------------------------------


def _shown(outcome: Outcome) -> list[tuple[str, str]]:
    claim = outcome.header.claim
    if claim.kind != "period":
        return [(claim.log, subject) for subject in claim.subjects]
    seen = dict.fromkeys((s.log, s.subject) for s in outcome.steps if s.log != OPERATOR)
    return list(seen)


def _claim(outcome: Outcome, lang: Lang) -> dict[str, object]:
    claim = outcome.header.claim
    if claim.kind == "period" and claim.period is not None:
        since, until = claim.period
        text = say(
            "claim_period",
            lang,
            log=claim.log,
            since=since or say("period_start", lang),
            until=until or say("period_now", lang),
        )
    elif claim.kind == "complaint":
        text = say("claim_complaint", lang, log=claim.log, subject=claim.subjects[0])
    else:
        text = say("claim_subjects", lang, log=claim.log, subjects=", ".join(claim.subjects) or "—")
    return {
        "kind": claim.kind,
        "log": claim.log,
        "period": claim.period,
        "subjects": list(claim.subjects),
        "text": text,
    }


def _failure(failure: FailedCheckError, lang: Lang) -> dict[str, object]:
    pair = KEY_WORDS if failure.reason.startswith("key-") else FAILURE_WORDS.get(failure.reason)
    what = failure.reason if pair is None else pair[0 if lang == "id" else 1]
    return failure.as_json() | {"check": check_of(failure), "explained": what}


def report_json(outcome: Outcome, lang: Lang = "id") -> dict[str, object]:
    """The whole outcome as one JSON-ready object (keys: docs/bundle.md)."""
    reliable = outcome.verdict != FAILED
    by_subject: dict[tuple[str, str], list[Step]] = defaultdict(list)
    for step in outcome.steps:
        by_subject[(step.log, step.subject)].append(step)
    subjects, views = [], []
    for log, subject in _shown(outcome):
        view = outcome.replay.view(log, subject, outcome.as_of) if reliable else None
        shown = [] if view is None else list(view.flags)
        views.append((log, subject, shown))
        subjects.append(
            {
                "log": log,
                "subject": subject,
                "kind": None if view is None else view.kind,
                "state": None if view is None else dict(view.state),
                "flags": [_flag(flag, lang) for flag in shown],
                "history": [_step(outcome, s, lang) for s in by_subject.get((log, subject), [])],
            }
        )
    flags: list[tuple[str, Flag]] = _all_flags(outcome, views) if reliable else []
    claim = outcome.header.claim
    verdict_key = {FAILED: "verdict_failed", PARTIAL: "verdict_partial"}.get(
        outcome.verdict, "verdict_complete"
    )
    found: dict[str, object] = {
        "verdict": outcome.verdict,
        "exit": outcome.exit_code,
        "ok": outcome.ok,
        "lang": lang,
        "verdict_text": say(verdict_key, lang),
        "claim": _claim(outcome, lang),
        "logs": [
            {
                "log": s.log,
                "checkpoint": None
                if s.checkpoint is None
                else {"size": s.checkpoint.size, "root": s.checkpoint.root.hex()},
                "trusted_checkpoint": None
                if s.trusted is None
                else {"size": s.trusted.size, "root": s.trusted.root.hex()},
                "entries": s.entries,
                "ranges": [list(r) for r in s.ranges],
                "heads": dict(sorted(s.proven.items())),
                "redacted": s.redacted,
                "redaction_basis": {str(i): b for i, b in s.redaction_basis.items()},
                "withheld": s.withheld,
                "entries_per_type": dict(
                    sorted(outcome.tally.logs[s.log].types.items())
                    if s.log in outcome.tally.logs
                    else ()
                ),
            }
            for s in outcome.logs.values()
        ],
        "as_of": None if outcome.as_of is None else outcome.as_of.isoformat(),
        "checks": _checks(outcome, lang),
        "failures": [_failure(failure, lang) for failure in outcome.failures],
        "not_established": list(outcome.partial),
        "not_established_text": [reason_words(reason, lang) for reason in outcome.partial],
        "state_reliable": reliable,
        "flags_per_rule": _flag_summary(flags, lang),
        "subjects": subjects,
    }
    if claim.kind == "period":
        found["top_flagged_subjects"] = _top_subjects(outcome, flags) if reliable else []
    return found


def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def render_json(outcome: Outcome, lang: Lang = "id") -> str:
    return printable_json(
        json.dumps(report_json(outcome, lang), ensure_ascii=False, indent=2, default=_json_default)
    )


def render_text(outcome: Outcome, lang: Lang = "id") -> str:
    """A report for a person; every line escaped whole, so no field can forge a line."""
    data = report_json(outcome, lang)
    entries = sum(s.entries for s in outcome.logs.values())
    claim = data["claim"]
    assert isinstance(claim, dict)
    lines = [
        f"{outcome.verdict} — {data['verdict_text']}",
        f"  {claim['text']}",
        "  "
        + say("logs_line", lang, logs=len(outcome.logs), entries=entries, as_of=_as_of(outcome)),
    ]
    for s in outcome.logs.values():
        size = "?" if s.checkpoint is None else s.checkpoint.size
        line = "  " + say("log_summary", lang, log=s.log, entries=s.entries, size=size)
        if s.trusted is not None:
            line += "; " + say("log_trusted", lang, size=s.trusted.size)
        line += "".join("; " + say("log_range", lang, start=a, end=b) for a, b in s.ranges)
        if s.proven:
            line += "; " + say("log_heads", lang, count=len(s.proven))
        if s.redacted:
            line += f"; {say('redacted', lang)} × {len(s.redacted)}"
            bases = sorted(set(s.redaction_basis.values()))  # legal texts, as written
            line += f" ({'; '.join(bases)})" if bases else ""
        if s.withheld:
            line += f"; {say('withheld', lang)} × {len(s.withheld)}"
        lines.append(line)
    lines += ["", say("checked", lang)]
    for check in _list(data["checks"]):
        mark = MARKS[str(check["status"])]
        failed = f" — {say('failed_count', lang, count=check['failed'])}" if check["failed"] else ""
        lines.append(f"  {mark} {check['text']}{failed}")
    if outcome.failures:
        lines += ["", say("failures", lang)]
        for failure in _list(data["failures"]):
            index = failure["index"]
            where = (
                say("where_checkpoint", lang)
                if index is None
                else say("where_entry", lang, index=index)
            )
            lines.append(
                "  ✗ "
                + say(
                    "failure_line",
                    lang,
                    log=failure.get("log"),
                    where=where,
                    what=failure["explained"],
                    reason=failure["reason"],
                    detail=failure["detail"],
                )
            )
    if outcome.partial:
        lines += ["", say("not_established", lang)]
        lines += [f"  – {reason}" for reason in _list_of_str(data["not_established_text"])]
    if not data["state_reliable"]:
        lines += ["", say("unreliable", lang)]
        return "".join(printable(line) + "\n" for line in lines)
    lines += ["", say("flags", lang)]
    rules = _list(data["flags_per_rule"])
    if not rules:
        lines.append("  " + say("no_flags", lang))
    for rule in rules:
        lines.append("  " + say("flag_rule", lang, **rule))
    if outcome.header.claim.kind == "period":
        lines += _period_summary(data, outcome, lang)
    for subject in _list(data["subjects"]):
        lines += _timeline(subject, lang)
    return "".join(printable(line) + "\n" for line in lines)


def _as_of(outcome: Outcome) -> str:
    if outcome.as_of is None:
        return "—"
    return local(outcome.as_of, zone_offset(None))


def _list_of_str(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _list(value: object) -> list[dict[str, object]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _period_summary(data: dict[str, object], outcome: Outcome, lang: Lang) -> list[str]:
    lines = ["", say("summary", lang), "  " + say("per_type", lang)]
    for log in _list(data["logs"]):
        per_type = log.get("entries_per_type")
        if not isinstance(per_type, dict) or not per_type:
            continue
        lines.append(f"    log {log['log']}:")
        for kind, count in sorted(per_type.items(), key=lambda item: (-int(item[1]), item[0])):
            lines.append(f"      {count:>9} {event_name(str(kind), lang)} ({kind})")
    top = _list(data.get("top_flagged_subjects"))
    if top:
        lines.append("  " + say("top_subjects", lang))
        lines += [f"    {t['flags']:>5} {t['subject']} (log {t['log']})" for t in top]
    if not outcome.steps:
        lines.append("  " + say("timeline_hint", lang))
    return lines


def _timeline(subject: dict[str, object], lang: Lang) -> list[str]:
    kind = subject["kind"] or "?"
    lines = ["", say("subject", lang, subject=subject["subject"], kind=kind, log=subject["log"])]
    state = subject["state"]
    if isinstance(state, dict) and "status" in state:
        lines.append("  " + say("status", lang, status=status_name(state["status"], lang)))
    history = _list(subject["history"])
    if not history:
        lines.append("  " + say("no_entries", lang))
    for step in history:
        lines.append("  " + _step_line(step, lang))
    for flag in _list(subject["flags"]):
        lines.append("  " + say("flag_line", lang, **flag))
    return lines


def _step_line(step: dict[str, object], lang: Lang) -> str:
    head = f"#{step['index']} {step['integrated_local'] or step['integrated_at']}"
    for missing in ("withheld", "redacted", "unreadable"):
        if step.get(missing):
            return f"{head} {say(missing, lang)}"
    signers = ", ".join(str(s["name"]) for s in _list(step.get("signers")))
    text = f"{head} {step['what']} ({step['type']}) — {say('by', lang, who=step['actor_name'])}"
    text += f"; {say('occurred', lang, at=step['occurred_local'])}"
    text += f"; {say('signed_by', lang, who=signers or '—')}"
    if step.get("policy_version") is not None:
        text += f"; {say('policy_version', lang, version=step['policy_version'])}"
    if step.get("failed"):
        text += f" {say('failed_entry', lang)}"
    flags = _list(step.get("flags"))
    if flags:
        text += " ⚑ " + ", ".join(dict.fromkeys(str(f["name"]) for f in flags))
    return text
