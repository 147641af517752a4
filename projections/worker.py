"""The projection worker process: keeps the read models up to date beside the server."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from multiprocessing.connection import Connection

from ledger.settings import Settings
from projections.runner import ProjectionRunner, runner_from_settings

WAKE = b"w"
HURRY = b"r"  # a reader waits for the log named: turn for it without gathering


def _listen(control: Connection, runner: ProjectionRunner, halt: threading.Event) -> None:
    """Wake on a message from the server (naming the log a reader waits for, or none); halt
    when it closes the pipe, or dies (EOF too)."""
    try:
        while (message := control.recv_bytes())[:1] in (WAKE, HURRY):
            log = message[1:].decode()
            if message.startswith(HURRY):
                runner.hurry(log)
            else:
                runner.wake(log or None)
    except (EOFError, OSError, UnicodeDecodeError):
        pass
    halt.set()
    runner.wake()


def _work(settings: Settings, control: Connection) -> None:
    """The child's main: follow every log until the server closes the pipe or is gone."""
    halt = threading.Event()
    runner = runner_from_settings(settings)
    threading.Thread(target=_listen, args=(control, runner, halt), daemon=True).start()
    try:
        runner.run(halt)
    finally:
        runner.close()


class PipeWake:
    """The server's side of the wake signal: each `set` nudges the worker through the pipe."""

    def __init__(self, control: Connection) -> None:
        self._control = control
        self._lock = threading.Lock()

    def set(self) -> None:
        self.set_log("")

    def set_log(self, log: str) -> None:
        """Wake the worker for `log` first (it has new entries)."""
        self._send(WAKE + log.encode())

    def hurry(self, log: str) -> None:
        """Have the worker turn for `log` at once (a reader waits for it)."""
        self._send(HURRY + log.encode())

    def _send(self, message: bytes) -> None:
        # a worker that is gone or a closed pipe leaves nothing to wake
        with self._lock, contextlib.suppress(OSError, ValueError):
            self._control.send_bytes(message)

    def clear(self) -> None:
        """Nothing to clear on this side."""

    def is_set(self) -> bool:
        return False

    def wait(self, timeout: float | None = None) -> bool:
        return False


class ProjectionWorker:
    """The server's handle on the worker process: its own interpreter, so its own GIL.

    A pipe carries wake-ups; closing it, or the server dying, stops the worker (no orphan).
    """

    def __init__(self, settings: Settings) -> None:
        context = multiprocessing.get_context("spawn")
        child_end, self._control = context.Pipe(duplex=False)
        self.wake = PipeWake(self._control)
        self._process = context.Process(
            target=_work, args=(settings, child_end), name="jejak-projections", daemon=True
        )
        self._child_end = child_end

    def start(self) -> None:
        self._process.start()
        self._child_end.close()  # only the child holds the reading end now

    def close(self, timeout: float = 30.0) -> None:
        self._control.close()
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._process.close()
