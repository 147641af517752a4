"""`jejak serve`: open the ledger (with the demo if asked), run uvicorn, close cleanly."""

from __future__ import annotations

import errno
import gc
import socket
import sys

import uvicorn

from api.app import create_app
from api.cli_errors import CommandError
from api.lifecycle import ProjectionMode
from api.terminal import progress
from ledger.bootstrap import Runtime, open_runtime
from ledger.settings import Settings


def _open(settings: Settings, with_demo: bool) -> tuple[Runtime, str | None]:
    if not with_demo:
        return open_runtime(settings, progress=progress("replaying the logs"), open_logs=True), None
    from api.demo.load import open_demo_runtime

    return open_demo_runtime(settings, progress("replaying the log"), progress("loading the demo"))


def quiet_garbage_collector() -> None:
    """Keep the cyclic GC from pausing appends.

    The replayed state is long-lived: freezing it stops every full collection from walking it
    again, and a larger first-generation threshold collects less often under load (in
    `bench/append.py` this cut p99 latency by about a third).
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the log is opened or anything is printed.

    uvicorn is handed this very socket, so no other process can take the port in between.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn chooses
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except (OSError, OverflowError) as error:  # OverflowError: a port outside 0-65535
        sock.close()
        where = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
        raise CommandError(f"cannot listen on {where}: {_reason(error)}") from None
    return sock


def _reason(error: OSError | OverflowError) -> str:
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return "the address is already in use (is another server running?)"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


def serve(
    host: str, port: int, load_demo: bool = False, projections: ProjectionMode = "worker"
) -> int:
    sock = listen(host, port)
    try:
        return _serve(sock, host, sock.getsockname()[1], load_demo, projections)
    finally:
        sock.close()


def _serve(
    sock: socket.socket, host: str, port: int, load_demo: bool, projections: ProjectionMode
) -> int:
    settings = Settings.from_env()
    runtime, loaded = _open(settings, load_demo)
    try:
        base = f"http://{host}:{port}"
        if loaded:
            print(loaded)
        print(f"Jejak ledger on {runtime.ledger.store.description}: {runtime.ledger.size} entries")
        risk = runtime.ledger.store.rewrite_risk()
        if risk is not None:
            print(
                f"jejak: warning: {risk}; run as the writer role (README: `jejak db init`)",
                file=sys.stderr,
            )
        print(f"  pages for people   {base}/  (sign in with a token)")
        print(f"  API and its docs   {base}/docs")
        print(f"  log key (public)   {base}/v1/log-key")
        print(f"  latest checkpoint  {base}/v1/checkpoint")
        if load_demo:
            from api.demo.load import demo_tokens

            tokens = demo_tokens(settings)
            if tokens:
                print(
                    f"Tokens to explore with: paste one at {base}/ to sign in, or"
                    " curl -H 'Authorization: Bearer <token>' ..."
                )
                for role, token in tokens.items():
                    print(f"  {role:<28} {token}")
                print(
                    f"  e.g. curl -H 'Authorization: Bearer {tokens.get('inspector', '')}' "
                    f"{base}/v1/subjects/kab-bengkulu-utara"
                )
        if projections == "external":
            print("  read models        kept by `jejak projections run` (not by this server)")
        app = create_app(runtime, projections)
        quiet_garbage_collector()
        server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
        server.run(sockets=[sock])
        if not server.started:  # uvicorn logged why (the application's start-up failed)
            raise CommandError("the server did not start")
    finally:
        runtime.close()
    return 0
