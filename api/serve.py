"""`jejak serve`: open the ledger, load the demo if asked, run uvicorn, close cleanly."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from api.terminal import progress
from ledger.bootstrap import open_runtime
from ledger.settings import Settings


def serve(host: str, port: int, load_demo: bool = False) -> int:
    settings = Settings.from_env()
    runtime = open_runtime(settings, progress=progress("replaying the log"))
    try:
        base = f"http://{host}:{port}"
        print(f"Jejak ledger: {runtime.ledger.store.description}, {runtime.ledger.size} entries")
        if load_demo:
            from api.demo import demo_tokens, load_demo_if_new

            loaded = load_demo_if_new(runtime)
            if loaded:
                print(loaded)
            for role, token in demo_tokens(settings).items():
                print(f"  {role:<28} Authorization: Bearer {token}")
        print(f"  API docs        {base}/docs")
        print(f"  log key         {base}/v1/log-key")
        print(f"  checkpoint      {base}/v1/checkpoint")
        uvicorn.run(create_app(runtime), host=host, port=port, log_level="warning")
    finally:
        runtime.close()
    return 0
