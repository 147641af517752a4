"""`jejak serve`: open the ledger (with the demo if asked), run uvicorn, close cleanly.

`--workers N` runs N processes serving one port. The parent binds the socket, opens the
ledger once (creating the keys and the registry log on first start, loading the demo if asked),
closes it, and starts the workers; each opens the ledger itself and serves uvicorn on the
inherited socket. Each log is written by one worker, its owner (api/routing.py): a worker that
receives an append for a log it does not own passes it to the owner over a Unix socket, so no
two workers take turns on a log's writer or replay each other's entries. A log's writer is
opened in a worker on its first request for that log. Exactly one worker keeps the read
models; the others only read them and wait. SIGINT and SIGTERM stop every worker gracefully;
a worker that dies stops the others, and the parent dying stops the workers too.

`--writers W` adds W processes that write the logs and serve no HTTP: the logs are spread over
them (api/routing.py), and the workers only parse, check and pass each append to its log's
writer. One process per role puts HTTP and a busy log's writer on two cores instead of one
interpreter's lock (docs/performance.md, "Issue 14, the design work"). A writer serves uvicorn
on a Unix socket of the workers' private directory only, so its lifespan (the log's writer,
the socket the workers pass appends to, the read models' worker for writer 0) runs as a
worker's does.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

import uvicorn

from api.app import create_app
from api.cli_errors import CommandError
from api.lifecycle import ProjectionMode
from api.routing import Workers
from api.terminal import progress
from ledger.bootstrap import Runtime, open_runtime
from ledger.placement import REGISTRY_LOG
from ledger.settings import Settings

WORKER_START = "spawn"
"""How workers are started: a fresh interpreter each (measured in docs/performance.md: a
worker serves about as soon with `fork`, and `spawn` inherits no thread, lock or connection
of the parent's)."""
STOP_SECONDS = 30.0


def _open(settings: Settings, with_demo: bool) -> tuple[Runtime, str | None]:
    if not with_demo:
        opened = open_runtime(settings, progress=progress("replaying the logs"), open_logs=True)
        return opened, None
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
    host: str,
    port: int,
    load_demo: bool = False,
    projections: ProjectionMode = "worker",
    workers: int = 1,
    writers: int = 0,
) -> int:
    if workers < 1:
        raise CommandError("--workers must be at least 1")
    if writers < 0:
        raise CommandError("--writers must be at least 0")
    sock = listen(host, port)
    try:
        port = sock.getsockname()[1]
        if workers == 1 and writers == 0:
            return _serve(sock, host, port, load_demo, projections)
        return _serve_workers(sock, host, port, load_demo, projections, workers, writers)
    finally:
        sock.close()


def _banner(
    runtime: Runtime, settings: Settings, base: str, loaded: str | None, load_demo: bool
) -> None:
    registry = runtime.registry
    if loaded:
        print(loaded)
    logs = runtime.logs.ids()
    print(
        f"Jejak ledger on {registry.store.description}: the registry log and"
        f" {len(logs) - 1} agency logs; the registry holds {registry.size} entries"
    )
    risk = registry.store.rewrite_risk()
    if risk is not None:
        print(
            f"jejak: warning: {risk}; run as the writer role (README: `jejak db init`)",
            file=sys.stderr,
        )
    print(f"  pages for people   {base}/  (sign in with a token)")
    print(f"  API and its docs   {base}/docs")
    print(f"  every log          {base}/v1/logs")
    print(f"  log key (public)   {base}/v1/log-key")
    print(f"  a checkpoint       {base}/v1/logs/{REGISTRY_LOG}/checkpoint")
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
            agency = logs[1] if len(logs) > 1 else REGISTRY_LOG
            print(
                f"  e.g. curl -H 'Authorization: Bearer {tokens.get('inspector', '')}' "
                f"{base}/v1/logs/{agency}/entries/0"
            )


def _serve(
    sock: socket.socket, host: str, port: int, load_demo: bool, projections: ProjectionMode
) -> int:
    settings = Settings.from_env()
    runtime, loaded = _open(settings, load_demo)
    try:
        _banner(runtime, settings, f"http://{host}:{port}", loaded, load_demo)
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


# Several workers ---------------------------------------------------------------------------


def _serve_workers(
    sock: socket.socket,
    host: str,
    port: int,
    load_demo: bool,
    projections: ProjectionMode,
    count: int,
    writers: int = 0,
) -> int:
    """`count` workers serving the port, and `writers` processes writing the logs (none: the
    workers write them). Processes 0 .. writers - 1 are the writers; number 0 keeps the read
    models."""
    settings = Settings.from_env()
    runtime, loaded = _open(settings, load_demo)  # keys, tables, genesis and demo, once
    try:
        _banner(runtime, settings, f"http://{host}:{port}", loaded, load_demo)
    finally:
        runtime.close()
    keeper = "no worker (`jejak projections run` does)" if projections == "external" else "one"
    print(f"  {count} worker processes on one port; read models kept by {keeper}")
    if writers:
        print(f"  {writers} writer processes write the logs; the workers pass them the appends")
    sys.stdout.flush()
    context = multiprocessing.get_context("spawn")  # see WORKER_START
    sockets = Path(tempfile.mkdtemp(prefix="jejak-workers-"))  # mode 0700: the workers' own
    workers: list[BaseProcess] = []
    stopping = False

    def stop(signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.pid is not None and worker.exitcode is None:
                os.kill(worker.pid, signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    failed: list[str] = []
    try:
        for number in range(writers + count):
            mode: ProjectionMode = projections if number == 0 else "external"
            started: BaseProcess = context.Process(
                target=_worker,
                args=(sock, host, port, mode, number, count + writers, str(sockets), writers),
                name=f"jejak-worker-{number}",
            )
            started.start()
            workers.append(started)
            if stopping:
                stop()
        running = list(workers)
        while running:
            ended = wait([w.sentinel for w in running])
            for done in [w for w in running if w.sentinel in ended]:
                done.join()
                running.remove(done)
                if not stopping:  # a worker died on its own: the others stop too
                    failed.append(f"{done.name} (pid {done.pid}) exited {done.exitcode}")
                    stop()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for each in workers:
            each.join(STOP_SECONDS)
            if each.exitcode is None:
                each.kill()
                each.join()
        shutil.rmtree(sockets, ignore_errors=True)
    if failed:
        raise CommandError(f"stopped: {', '.join(failed)}")
    return 0


def _die_with_parent() -> None:
    """Have the kernel send this worker SIGTERM when the parent dies (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the parent's stop() is all there is
        pass
    if os.getppid() == 1:  # the parent is already gone
        sys.exit(0)


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _worker(
    sock: socket.socket,
    host: str,
    port: int,
    projections: ProjectionMode,
    number: int,
    count: int,
    sockets: str,
    writers: int = 0,
) -> None:
    """One worker's main: open the ledger, serve on the parent's socket until told to stop
    (a writer, `number < writers`: on a Unix socket of `sockets` instead).

    uvicorn stops gracefully on SIGTERM, then raises that signal again: this handler turns it
    into SystemExit, so the ledger is closed before the process ends."""
    _die_with_parent()
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)
    runtime = open_runtime(Settings.from_env())
    try:
        workers = Workers(number, count, Path(sockets), writers)
        app = create_app(runtime, projections, worker_header=True, workers=workers)
        quiet_garbage_collector()
        if number < writers:
            where = workers.sockets / f"writer-{number}.http.sock"
            config = uvicorn.Config(app, uds=str(where), log_level="warning")
            sock.close()  # a writer takes no connection of the port
            server = uvicorn.Server(config)
            server.run()
        else:
            config = uvicorn.Config(app, host=host, port=port, log_level="warning")
            server = uvicorn.Server(config)
            server.run(sockets=[sock])
        if not server.started:
            sys.exit(3)
    finally:
        runtime.close()
