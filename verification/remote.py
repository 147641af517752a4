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

from verification.bundle import load_bundle
from verification.failures import BundleFormatError
from verification.note import key_name, parse_checkpoint, verify_note
from verification.verifier import Verification

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
        detail = error.read().decode("utf-8", "replace")[:500]
        raise BundleFormatError(f"GET {url}: HTTP {error.code}: {detail}") from None
    except (urllib.error.URLError, TimeoutError) as error:
        raise BundleFormatError(f"GET {url}: {error}") from None


State = dict[str, dict[str, str]]


def load_state(path: Path) -> tuple[State, State]:
    """(checkpoints by origin, log keys by server URL) from {"logs": ..., "servers": ...}."""
    if not path.exists():
        return {}, {}
    try:
        loaded = json.loads(path.read_text())
        logs = {str(k): {"checkpoint": str(v["checkpoint"])} for k, v in loaded["logs"].items()}
        servers = {"keys": {str(k): str(v) for k, v in loaded["servers"].items()}}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BundleFormatError(f"the state file {path} is not a checkpoint state") from None
    return logs, servers


def save_state(path: Path, state: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2) + "\n")
    os.replace(temporary, path)


def verify_remote(args: argparse.Namespace) -> Verification:
    """Fetch, verify against the kept checkpoint, and keep the new one if all verified."""
    from verification.cli import _text_or_file, check

    if not (args.subject or args.complaint):
        raise BundleFormatError("--server needs --subject or --complaint")
    base = args.server.rstrip("/")
    path = Path(args.state) if args.state else DEFAULT_STATE
    logs, servers = load_state(path)
    keys = servers.setdefault("keys", {})
    log_key = _text_or_file(args.log_key) if args.log_key else keys.get(base)
    if log_key is None:
        log_key = _get(f"{base}/v1/log-key", None).decode().strip()
        print(f"verify: trusting the log key {log_key} on first use", file=sys.stderr)
    origin = key_name(log_key)
    kept = logs.get(origin, {}).get("checkpoint")
    if args.trusted_checkpoint:
        kept = Path(args.trusted_checkpoint).read_text()
    query = {"subject": args.subject} if args.subject else {"complaint": args.complaint}
    if kept is not None:
        query["consistency_from"] = str(parse_checkpoint(verify_note(kept, log_key)).size)
    data = _get(f"{base}/v1/bundles?{urllib.parse.urlencode(query)}", args.token)
    verification = check(load_bundle(data), log_key, kept, args)
    if verification.ok and verification.checkpoint is not None:
        bundle_note = json.loads(data)["checkpoint"]
        keys[base] = log_key
        logs[origin] = {"checkpoint": bundle_note}
        save_state(path, {"logs": logs, "servers": keys})
    return verification
