"""The report: the verdict, what could not be established, the failures, then each subject."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

from domain.events import OPERATOR
from verification.outcome import Outcome, Step
from verification.printable import printable, printable_json

SHOWN = 5
"""Indexes or subjects named in one line before the rest are counted."""


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


def _signers(outcome: Outcome, step: Step) -> list[dict[str, object]]:
    signers: list[dict[str, object]] = []
    for keyid in step.keyids:
        record = outcome.replay.registry.key_record(keyid)
        key = None if record is None else record.key
        signers.append(
            {"keyid": keyid, "org": key.org if key else None, "holder": key.holder if key else None}
        )
    return signers


def _policy_version(outcome: Outcome, step: Step) -> object:
    replay, event = outcome.replay.logs.get(step.log), step.event
    if replay is None or event is None:
        return None
    policy = replay.state.policy(event.agency)
    found = None if policy is None else policy.in_force(event.occurred_at.date())
    return None if found is None else found.version


def _step(outcome: Outcome, step: Step) -> dict[str, object]:
    replay, event = outcome.replay, step.event
    flags = replay.flags.get((step.log, step.index), ())
    found: dict[str, object] = {
        "index": step.index,
        "integrated_at": step.integrated_at,
        "version": step.version,
    }
    if event is None:
        found[step.missing or "unreadable"] = True
    else:
        found.update(
            type=event.type,
            actor=event.actor,
            occurred_at=event.occurred_at.isoformat(),
            policy_version=_policy_version(outcome, step),
        )
    found["signers"] = _signers(outcome, step)
    found["flags"] = [flag.as_json() for flag in flags]
    skipped = replay.skipped.get((step.log, step.index))
    if skipped is not None:
        found["not_replayed"] = skipped
    return found


def _subjects(outcome: Outcome) -> list[tuple[str, str]]:
    claim = outcome.header.claim
    if claim.kind != "period":
        return [(claim.log, subject) for subject in claim.subjects]
    seen = dict.fromkeys((s.log, s.subject) for s in outcome.steps if s.log != OPERATOR)
    return list(seen)


def report_json(outcome: Outcome) -> dict[str, object]:
    """The whole outcome as one JSON-ready object."""
    by_subject: dict[tuple[str, str], list[Step]] = defaultdict(list)
    for step in outcome.steps:
        by_subject[(step.log, step.subject)].append(step)
    subjects = []
    for log, subject in _subjects(outcome):
        view = outcome.replay.view(log, subject, outcome.as_of)
        subjects.append(
            {
                "log": log,
                "subject": subject,
                "kind": None if view is None else view.kind,
                "state": None if view is None else dict(view.state),
                "flags": [] if view is None else [flag.as_json() for flag in view.flags],
                "history": [_step(outcome, s) for s in by_subject.get((log, subject), [])],
            }
        )
    claim = outcome.header.claim
    return {
        "verdict": outcome.verdict,
        "exit": outcome.exit_code,
        "ok": outcome.ok,
        "claim": {
            "kind": claim.kind,
            "log": claim.log,
            "period": claim.period,
            "subjects": list(claim.subjects),
        },
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
                "redacted": s.redacted,
                "redaction_basis": {str(i): b for i, b in s.redaction_basis.items()},
                "withheld": s.withheld,
            }
            for s in outcome.logs.values()
        ],
        "as_of": None if outcome.as_of is None else outcome.as_of.isoformat(),
        "failures": [failure.as_json() for failure in outcome.failures],
        "not_established": list(outcome.partial),
        "subjects": subjects,
    }


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def render_json(outcome: Outcome) -> str:
    return printable_json(
        json.dumps(report_json(outcome), ensure_ascii=False, indent=2, default=_json_default)
    )


def _claim_line(outcome: Outcome) -> str:
    claim = outcome.header.claim
    if claim.kind == "period" and claim.period is not None:
        since, until = claim.period
        return f"the period {since or 'start'}..{until or 'now'} of log {claim.log}"
    if claim.kind == "complaint":
        return f"complaint {claim.subjects[0]} of log {claim.log}"
    return f"the whole history of {', '.join(claim.subjects) or 'no subject'} in log {claim.log}"


def render_text(outcome: Outcome) -> str:
    """A report for a person; every line escaped whole, so no field can forge a line."""
    data = report_json(outcome)
    entries = sum(s.entries for s in outcome.logs.values())
    lines = [
        f"{outcome.verdict}: {_claim_line(outcome)}; {len(outcome.logs)} logs, {entries} entries"
    ]
    for s in outcome.logs.values():
        size = "?" if s.checkpoint is None else s.checkpoint.size
        line = f"  log {s.log}: {s.entries} entries against the checkpoint of size {size}"
        if s.trusted is not None:
            line += f"; trusted checkpoint of size {s.trusted.size}"
        line += "".join(f"; range [{a}, {b})" for a, b in s.ranges)
        if s.redacted:
            line += f"; {len(s.redacted)} redacted"
            bases = sorted(set(s.redaction_basis.values()))
            line += f" (basis: {'; '.join(bases)})" if bases else ""
        if s.withheld:
            line += f"; {len(s.withheld)} withheld"
        lines.append(line)
    for reason in outcome.partial:
        lines.append(f"  NOT ESTABLISHED: {reason}")
    for failure in outcome.failures:
        where = "checkpoint" if failure.index is None else f"entry {failure.index}"
        lines.append(f"  FAIL log {failure.log} {where}: {failure.reason}: {failure.detail}")
    lines.append(f"  flags as of {data['as_of']}")
    for subject in data["subjects"] if isinstance(data["subjects"], list) else ():
        lines.append("")
        lines.append(f"{subject['log']}: {subject['subject']} ({subject['kind']})")
        state = subject["state"] or {}
        if isinstance(state, dict) and "status" in state:
            lines.append(f"  status: {state['status']}")
        for step in subject["history"]:
            lines.append("  " + _line(step))
        for flag in subject["flags"]:
            lines.append(f"  FLAG {flag['rule']} (entry {flag['entry']}): {flag['detail']}")
    return "".join(printable(line) + "\n" for line in lines)


def _line(step: dict[str, object]) -> str:
    if step.get("withheld"):
        return f"#{step['index']} {step['integrated_at']} [payload withheld]"
    return _step_line(step)


def _step_line(step: dict[str, object]) -> str:
    head = f"#{step['index']} {step['integrated_at']}"
    if step.get("redacted"):
        return f"{head} [payload redacted]"
    if step.get("unreadable"):
        return f"{head} [payload unreadable]"
    signers = step.get("signers")
    by = (
        ", ".join(
            f"{s.get('org')}" + (f"/{s.get('holder')}" if s.get("holder") else "")
            for s in signers
            if isinstance(s, dict)
        )
        if isinstance(signers, list)
        else ""
    )
    policy = step.get("policy_version")
    text = f"{head} {step['type']} by {step['actor']} at {step['occurred_at']} (signed by {by}"
    text += f", policy v{policy})" if policy is not None else ")"
    flags = step.get("flags")
    if isinstance(flags, list) and flags:
        text += " flags: " + ", ".join(str(f["rule"]) for f in flags if isinstance(f, dict))
    return text
