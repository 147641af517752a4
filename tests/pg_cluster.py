"""A second PostgreSQL 15 cluster on this machine, for tests and benches that place logs on two
servers (issue #9).

`initdb` into a temporary directory as the `postgres` OS user (the machine runs the tests as
root, and PostgreSQL refuses to run as root), then `pg_ctl start` on 127.0.0.1, port 5433 or the
next free port, trust authentication, small shared_buffers, max_connections 300, fsync on, its
Unix socket inside the temporary directory (so it never meets the main cluster's). The cluster is
always stopped and the directory removed, whatever happened in between.

    with running_cluster() as url:      # postgresql://postgres@127.0.0.1:5433/postgres
        ...

Run alone (`python -m tests.pg_cluster`), it starts a cluster, prints its URL and keeps it up
until interrupted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

BIN = Path(os.environ.get("JEJAK_PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"
FIRST_PORT = 5433
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "300",
    "shared_buffers": "32MB",
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "max_wal_size": "256MB",
    "log_min_messages": "warning",
    "logging_collector": "off",
}


class ClusterError(RuntimeError):
    """The cluster could not be created or started; the message says why (log tail included)."""


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:`port` and we may bind it."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_open(port: int) -> bool:
    """Something accepts TCP connections on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pick_port(first: int = FIRST_PORT) -> int:
    """`first` if free, else the next free port above it (up to 200 tried), else any free port."""
    for port in range(first, first + 200):
        if port_free(port):
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        found: int = sock.getsockname()[1]
        return found


class Cluster:
    """One throw-away PostgreSQL cluster: `start()`, `url`, `stop()` (idempotent)."""

    def __init__(self, port: int | None = None, bin_dir: Path = BIN) -> None:
        self._wanted_port = port
        self.bin_dir = bin_dir
        self.port = 0
        self.root: Path | None = None
        self._as_root = os.geteuid() == 0

    @property
    def data(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def log(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql://{OS_USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL binary, as the postgres OS user when we are root."""
        command = [str(self.bin_dir / args[0]), *args[1:]]
        extra: dict[str, object] = {}
        if self._as_root:
            extra = {"user": OS_USER, "group": OS_USER, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        env.pop("PGDATA", None)
        try:
            return subprocess.run(  # type: ignore[call-overload, no-any-return]
                command,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=env,
                cwd=self.root,
                **extra,
            )
        except (OSError, subprocess.SubprocessError, KeyError) as error:
            raise ClusterError(f"cannot run {command[0]}: {error}") from error

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no server log)"

    def start(self) -> str:
        """Create and start the cluster; answer its URL. On failure, clean up and raise."""
        if not (self.bin_dir / "initdb").exists():
            raise ClusterError(f"no PostgreSQL binaries at {self.bin_dir} (set JEJAK_PG_BIN)")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self.url

    def _start(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="jejak-pg-"))
        if self._as_root:
            try:
                shutil.chown(self.root, OS_USER, OS_USER)
            except (LookupError, OSError) as error:
                raise ClusterError(
                    f"no OS user {OS_USER!r} to run PostgreSQL as: {error}"
                ) from error
        init = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            OS_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",  # the files initdb writes; the server itself runs with fsync on
        )
        if init.returncode != 0:
            raise ClusterError(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# tests/pg_cluster.py\n")
            for name, value in SETTINGS.items():
                conf.write(f"{name} = {value}\n")
            conf.write(f"unix_socket_directories = '{self.root}'\n")
        attempts = 0
        while True:
            attempts += 1
            self.port = self._wanted_port or pick_port()
            started = self._run(
                "pg_ctl",
                "start",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port}",
            )
            if started.returncode == 0 and self._ready():
                return
            # another process may have taken the port between the check and the start
            if self._wanted_port is None and attempts < 3 and not port_free(self.port):
                self._pg_ctl_stop("immediate")
                continue
            raise ClusterError(
                f"pg_ctl start on port {self.port} failed: {started.stderr.strip()}\n"
                f"{self._log_tail()}"
            )

    def _ready(self) -> bool:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), timeout=10)
            if ready.returncode == 0:
                return True
            time.sleep(0.1)
        return False

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError, AssertionError):
            return None

    def _pg_ctl_stop(self, mode: str) -> bool:
        if self.root is None or not self.data.exists():
            return True
        done = self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "30")
        return done.returncode == 0

    def stop(self) -> None:
        """Stop the server (fast, then immediate, then SIGKILL) and remove its directory."""
        if self.root is None:
            return
        try:
            pid = self._postmaster_pid()
            if pid is not None and not (
                self._pg_ctl_stop("fast") or self._pg_ctl_stop("immediate")
            ):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if pid is not None:
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                    time.sleep(0.05)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


@contextlib.contextmanager
def running_cluster(port: int | None = None) -> Iterator[str]:
    """A started second cluster's URL; stopped and removed on exit, whatever happened."""
    cluster = Cluster(port)
    cluster.start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt), running_cluster() as url:
        print(url, flush=True)
        while True:
            signal.pause()


if __name__ == "__main__":
    main()
