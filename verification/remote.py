"""`verify --server`: fetch a bundle over HTTP and require consistency with the last visit."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from verification.failures import UnusableInputError
from verification.inputs import PEEK, as_of_option, log_key_text, read_file, trusted_text
from verification.layout import is_legacy, names_format
from verification.nesting import too_deep
from verification.note import key_name, parse_checkpoint, verify_note
from verification.outcome import Outcome
from verification.pool import usable_cpus
from verification.printable import printable
from verification.records import LEGACY
from verification.verifier import verify_bytes

DEFAULT_STATE = Path.home() / ".jejak" / "checkpoints.json"


def _get(url: str, token: str | None) -> bytes:
    request = urllib.request.Request(url)  # noqa: S310 (the inspector names the server)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as error:
        raise ServerRefusedError(url, error.code, _problem(error.read(PROBLEM_BYTES))) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        if isinstance(reason, OSError) and reason.strerror:
            reason = reason.strerror  # "Connection refused", without "[Errno 111]"
        raise UnusableInputError(f"cannot reach {url}: {reason}") from None


PROBLEM_BYTES = 64 * 1024
"""Of an error body, this much is read: a problem document is a few hundred bytes."""


def _problem(body: bytes) -> str:
    """An RFC 9457 problem as `title: detail`; any other body as its first line."""
    problem: object = None
    if not too_deep(body):
        try:
            problem = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            problem = None
    if isinstance(problem, dict):
        parts = [problem.get("title"), problem.get("detail")]
        text = ": ".join(str(part) for part in parts if isinstance(part, str) and part)
        if text:
            return text
    first = body.decode("utf-8", "replace").strip().split("\n", 1)[0]
    return first[:200] or "no explanation"


class ServerRefusedError(UnusableInputError):
    """The server answered an HTTP error: nothing was fetched, so nothing can be verified."""

    def __init__(self, url: str, status: int, problem: str) -> None:
        self.url = url
        self.status = status
        self.problem = problem
        super().__init__(f"the server refused GET {url}: HTTP {status}: {problem}")


State = dict[str, dict[str, str]]


def load_state(path: Path) -> tuple[State, State]:
    """(checkpoints by origin, log keys by server URL) from {"logs": ..., "servers": ...}."""
    if not path.exists():
        return {}, {}
    data = read_file(str(path), "state file")
    if too_deep(data):
        raise UnusableInputError(f"the state file {path} is not a checkpoint state")
    try:
        loaded = json.loads(data)
        logs = {str(k): {"checkpoint": str(v["checkpoint"])} for k, v in loaded["logs"].items()}
        servers = {"keys": {str(k): str(v) for k, v in loaded["servers"].items()}}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UnusableInputError(f"the state file {path} is not a checkpoint state") from None
    return logs, servers


def save_state(path: Path, state: object) -> None:
    temporary = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(state, indent=2) + "\n")
        os.replace(temporary, path)
    except OSError as error:
        raise UnusableInputError(
            f"cannot keep the checkpoint in {path}: {error.strerror}"
        ) from None


def _verify_log(
    args: argparse.Namespace, base: str, log_key: str, state: tuple[Path, State, dict[str, str]]
) -> Outcome:
    """A jejak-bundle/2 of one agency log (`--log`): consistency asked from the checkpoint of
    that log kept from the last visit (or `--trusted-checkpoint`); every log's kept on success."""
    path, logs, keys = state
    origin = f"{key_name(log_key)}/{args.log}"
    kept = logs.get(origin, {}).get("checkpoint")
    if args.trusted_checkpoint:
        kept = trusted_text(args.trusted_checkpoint[0])
    query = {"log": args.log}
    query.update({"subject": args.subject} if args.subject else {"complaint": args.complaint})
    if kept is not None:
        query["consistency_from"] = str(parse_checkpoint(verify_note(kept, log_key)).size)
    data = _get(f"{base}/v1/bundles?{urllib.parse.urlencode(query)}", args.token)
    if is_legacy(data[:PEEK]):
        raise UnusableInputError(f"{base} answered a {LEGACY}, which is no longer read")
    if not names_format(data[:PEEK]):
        raise UnusableInputError(f"{base} did not answer a jejak-bundle/2")
    trusted = [] if kept is None else [kept]
    workers = getattr(args, "workers", None) or usable_cpus()
    outcome = verify_bytes(data, log_key, trusted, as_of=as_of_option(args.as_of), workers=workers)
    if outcome.ok:
        keys[base] = log_key
        for summary in outcome.logs.values():
            if summary.note is not None and summary.checkpoint is not None:
                logs[summary.checkpoint.origin] = {"checkpoint": summary.note}
        save_state(path, {"logs": logs, "servers": keys})
    return outcome


def verify_remote(args: argparse.Namespace) -> Outcome:
    """Fetch, verify against the kept checkpoint, and keep the new ones if all verified."""
    if not (args.subject or args.complaint) or not args.log:
        raise UnusableInputError("--server needs --log and --subject or --complaint")
    base = args.server.rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        raise UnusableInputError(f"--server {base} is not an http:// or https:// URL")
    path = Path(args.state) if args.state else DEFAULT_STATE
    logs, servers = load_state(path)
    keys = servers.setdefault("keys", {})
    log_key = log_key_text(args.log_key) if args.log_key else keys.get(base)
    if log_key is None:
        log_key = _get(f"{base}/v1/log-key", None).decode("utf-8", "replace").strip()
        key_name(log_key)  # a malformed key is refused before it is shown or kept
        print(f"verify: trusting the log key {printable(log_key)} on first use", file=sys.stderr)
    return _verify_log(args, base, log_key, (path, logs, keys))
