"""The `jejak` command line: serve, demo and the operator's administration commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from api.cli_errors import UsageError, run_command
from api.terminal import progress
from ledger.bootstrap import Runtime, open_runtime
from ledger.settings import Settings
from ledger.tokens import ROLES, issue_token
from verification.leaf import format_instant, parse_instant
from verification.note import generate_key


def _runtime() -> Runtime:
    return open_runtime(Settings.from_env(), progress=progress("replaying the log"))


def _instant(option: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None


def _count(option: str, low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            count = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= count <= 64:
            raise argparse.ArgumentTypeError(f"{option} must be between {low} and 64")
        return count

    return parse


def cmd_serve(args: argparse.Namespace) -> int:
    from api.serve import serve

    return serve(
        args.host,
        args.port,
        load_demo=args.demo,
        projections=args.projections,
        workers=args.workers,
        writers=args.writers,
    )


def cmd_demo(_: argparse.Namespace) -> int:
    from api.demo.load import run_demo

    print(
        run_demo(Settings.from_env(), progress("replaying the log"), progress("loading the demo"))
    )
    return 0


def cmd_org_add(args: argparse.Namespace) -> int:
    runtime = _runtime()
    try:
        receipt = runtime.operator.add_org(args.id, args.kind, args.name)
        print(f"registered {args.id} at index {receipt.index}")
    finally:
        runtime.close()
    return 0


def cmd_key_add(args: argparse.Namespace) -> int:
    valid_from = _instant("--valid-from", args.valid_from)
    runtime = _runtime()
    try:
        keyid, _ = runtime.operator.add_key(args.org, args.public_key, args.holder, valid_from)
        print(keyid)
    finally:
        runtime.close()
    return 0


def cmd_key_revoke(args: argparse.Namespace) -> int:
    effective_at = _instant("--effective-at", args.effective_at)
    runtime = _runtime()
    try:
        receipt = runtime.operator.revoke_key(args.keyid, args.reason, effective_at)
        print(f"revoked {args.keyid} at index {receipt.index}")
    finally:
        runtime.close()
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    runtime = _runtime()
    try:
        registry = runtime.registry
        token = issue_token(
            registry.store.recorder,
            runtime.logs.registry_state,
            args.role,
            args.org,
            args.label,
            format_instant(registry.clock()),
        )
        print(token)
    finally:
        runtime.close()
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    private, verifier = generate_key(args.name)
    print(private)
    print(verifier)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jejak",
        description="Jejak: a signed, verifiable ledger of flexible work (PermenPANRB 4/2025).",
        epilog="Configured by JEJAK_DATA_DIR, JEJAK_DATABASE_URL, JEJAK_PLACEMENT, "
        "JEJAK_ORIGIN, JEJAK_LOG_KEY / JEJAK_LOG_KEY_FILE.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API (creates the log on first start)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo", action="store_true", help="load the demo data set if the log is new"
    )
    serve.add_argument(
        "--projections",
        choices=["worker", "external"],
        default="worker",
        help="keep the read models in a worker process (default), or leave them to a"
        " `jejak projections run` process elsewhere (an append-only node)",
    )
    serve.add_argument(
        "--workers",
        type=_count("--workers", 1),
        default=1,
        help="processes serving the port (default 1); each may append to any log, one of"
        " them keeps the read models",
    )
    serve.add_argument(
        "--writers",
        type=_count("--writers", 0),
        default=0,
        help="processes of their own that write the logs (default 0: the workers write them);"
        " the workers then parse and check each append and pass it to its log's writer, so"
        " HTTP and the log's writer run on two cores (docs/performance.md)",
    )
    serve.set_defaults(func=cmd_serve)

    demo = commands.add_parser("demo", help="load the demo data set through the append path")
    demo.set_defaults(func=cmd_demo)

    org = commands.add_parser("org", help="organisations").add_subparsers(
        dest="org_command", required=True
    )
    org_add = org.add_parser("add", help="register an organisation")
    org_add.add_argument("id")
    org_add.add_argument("--kind", required=True, choices=["agency", "ombudsman", "inspectorate"])
    org_add.add_argument("--name", required=True)
    org_add.set_defaults(func=cmd_org_add)

    key = commands.add_parser("key", help="signing keys").add_subparsers(
        dest="key_command", required=True
    )
    key_add = key.add_parser(
        "add", help="register an Ed25519 key of an organisation; prints its keyid"
    )
    key_add.add_argument("org")
    key_add.add_argument("--public-key", required=True, help="base64 of the 32 raw bytes")
    key_add.add_argument("--holder", help="NIP of the person holding the key")
    key_add.add_argument("--valid-from", help="RFC 3339 instant (default now)")
    key_add.set_defaults(func=cmd_key_add)
    key_revoke = key.add_parser("revoke", help="revoke a key")
    key_revoke.add_argument("keyid")
    key_revoke.add_argument("--reason", required=True)
    key_revoke.add_argument("--effective-at", help="RFC 3339 instant (default now)")
    key_revoke.set_defaults(func=cmd_key_revoke)

    token = commands.add_parser("token", help="bearer tokens").add_subparsers(
        dest="token_command", required=True
    )
    token_create = token.add_parser("create", help="issue a token; it is printed once")
    token_create.add_argument("--role", required=True, choices=ROLES)
    token_create.add_argument("--org")
    token_create.add_argument("--label", default="")
    token_create.set_defaults(func=cmd_token_create)

    keygen = commands.add_parser("keygen", help="a note key pair: private line, then verifier line")
    keygen.add_argument("name")
    keygen.set_defaults(func=cmd_keygen)

    from api import cli_bundles, cli_db, cli_projections, cli_redact

    cli_redact.register(commands)
    cli_bundles.register(commands)
    cli_db.register(commands)
    cli_projections.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
