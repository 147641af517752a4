"""The verifier's report: per subject the decision history, as text for a person or as JSON."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

from domain.events import Event
from verification.printable import printable, printable_json
from verification.verifier import Checked, Verification


def _event(verification: Verification, checked: Checked) -> Event | None:
    replay = verification.replay
    if checked.event is not None or replay is None:
        return checked.event
    return replay.events.get(checked.entry.index)


def _policy_version(verification: Verification, checked: Checked) -> object:
    replay, event = verification.replay, _event(verification, checked)
    if replay is None or event is None:
        return None
    policy = replay.state.policy(event.agency)
    found = None if policy is None else policy.in_force(event.occurred_at.date())
    return None if found is None else found.version


def _signers(verification: Verification, checked: Checked) -> list[dict[str, object]]:
    replay = verification.replay
    signers: list[dict[str, object]] = []
    for keyid in checked.keyids:
        key = None if replay is None else replay.state.key(keyid)
        signers.append(
            {"keyid": keyid, "org": key.org if key else None, "holder": key.holder if key else None}
        )
    return signers


def _step(verification: Verification, checked: Checked) -> dict[str, object]:
    entry, event, replay = checked.entry, _event(verification, checked), verification.replay
    flags = () if replay is None else replay.flags.get(entry.index, ())
    step: dict[str, object] = {
        "index": entry.index,
        "integrated_at": entry.leaf.integrated_at,
        "version": entry.leaf.version,
    }
    if event is None:
        step["redacted" if entry.payload is None else "unreadable"] = True
    else:
        step.update(
            type=event.type,
            actor=event.actor,
            occurred_at=event.occurred_at.isoformat(),
            policy_version=_policy_version(verification, checked),
        )
    step["signers"] = _signers(verification, checked)
    step["flags"] = [flag.as_json() for flag in flags]
    if replay is not None and entry.index in replay.skipped:
        step["not_replayed"] = replay.skipped[entry.index]
    return step


def report_json(verification: Verification) -> dict[str, object]:
    """The whole outcome as one JSON-ready object."""
    checkpoint, trusted, replay = verification.checkpoint, verification.trusted, verification.replay
    by_subject: dict[str, list[Checked]] = defaultdict(list)
    for checked in verification.entries:
        by_subject[checked.entry.leaf.subject].append(checked)
    subjects = []
    for subject in replay.subjects if replay is not None else ():
        view = None if replay is None else replay.view(subject)
        subjects.append(
            {
                "subject": subject,
                "kind": None if view is None else view.kind,
                "state": None if view is None else dict(view.state),
                "flags": [] if view is None else [flag.as_json() for flag in view.flags],
                "history": [_step(verification, c) for c in by_subject.get(subject, [])],
            }
        )
    return {
        "ok": verification.ok,
        "origin": verification.origin,
        "checkpoint": None
        if checkpoint is None
        else {"size": checkpoint.size, "root": checkpoint.root.hex()},
        "trusted_checkpoint": None
        if trusted is None
        else {"size": trusted.size, "root": trusted.root.hex()},
        "entries": len(verification.entries),
        "redacted": verification.redacted,
        "as_of": None if replay is None or replay.as_of is None else replay.as_of.isoformat(),
        "failures": [failure.as_json() for failure in verification.failures],
        "subjects": subjects,
    }


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def render_json(verification: Verification) -> str:
    """The report as JSON; characters a terminal would act on stay `\\u` escapes."""
    return printable_json(
        json.dumps(report_json(verification), ensure_ascii=False, indent=2, default=_json_default)
    )


def render_text(verification: Verification) -> str:
    """A report for a person: the verdict, failures, then each subject's history.

    Every line is escaped whole, so no field (a subject, an actor, a reason) can hold an escape
    sequence, a carriage return or a line break that writes over or adds a line.
    """
    data = report_json(verification)
    lines = []
    checkpoint = data["checkpoint"]
    verdict = "VERIFIED" if verification.ok else "FAILED"
    size = checkpoint["size"] if isinstance(checkpoint, dict) else "?"
    lines.append(
        f"{verdict}: {data['entries']} entries of {data['origin']} against the checkpoint "
        f"of size {size}"
        + (f"; {len(verification.redacted)} redacted" if verification.redacted else "")
    )
    trusted = data["trusted_checkpoint"]
    if isinstance(trusted, dict):
        lines.append(
            f"  consistent with the trusted checkpoint of size {trusted['size']}"
            if verification.ok
            else f"  trusted checkpoint of size {trusted['size']}"
        )
    for failure in verification.failures:
        where = "checkpoint" if failure.index is None else f"entry {failure.index}"
        lines.append(f"  FAIL {where}: {failure.reason}: {failure.detail}")
    lines.append(f"  flags as of {data['as_of']}")
    for subject in data["subjects"] if isinstance(data["subjects"], list) else ():
        lines.append("")
        lines.append(f"{subject['subject']} ({subject['kind']})")
        state = subject["state"] or {}
        if isinstance(state, dict) and "status" in state:
            lines.append(f"  status: {state['status']}")
        for step in subject["history"]:
            lines.append("  " + _step_line(step))
        for flag in subject["flags"]:
            lines.append(f"  FLAG {flag['rule']} (entry {flag['entry']}): {flag['detail']}")
    return "".join(printable(line) + "\n" for line in lines)  # a field cannot break a line


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
