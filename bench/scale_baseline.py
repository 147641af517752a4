"""The baseline of bench/scale.py: a plain eventsourcing application reading the same events.

A process of its own opens the stores (ledger/store.py's eventsourcing Application on the same
database or files), reads every entry of the named logs in pages and deserialises each into its
domain event, keeping none: the least a process that starts by reading the log pays, in time and in
memory. bench/scale.py times it from its launch to its exit, like the server's start-up.

Run:  .venv/bin/python -m bench.scale_baseline DATABASE_URL LOG [LOG ...]   (prints one JSON line)
"""

from __future__ import annotations

import json
import os
import sys

from bench.scale_proc import status_kb
from ledger.placement import Stores

PAGE = 1000


def read_all(url: str, logs: list[str]) -> int:
    stores = Stores(url)  # on SQLite each agency log is a file of its own beside `url`'s
    count = 0
    try:
        for log_id in logs:
            store = stores.log(log_id)
            start = 0
            while found := store.recorder.entries(start, start + PAGE):
                for stored in found:
                    store.decode(stored)
                    count += 1
                start = found[-1].index + 1
    finally:
        stores.close()
    return count


def main() -> None:
    url, logs = sys.argv[1], sys.argv[2:]
    count = read_all(url, logs)
    me = os.getpid()
    print(
        json.dumps(
            {
                "entries": count,
                "rss_kb": status_kb(me, "VmRSS"),
                "hwm_kb": status_kb(me, "VmHWM"),
            }
        )
    )


if __name__ == "__main__":
    main()
