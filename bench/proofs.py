"""Proof latency from the store at 10^4, 10^5, 10^6 entries, next to pymerkle in the same run.

The tree is built directly in the store (perfect-subtree rows, as the ledger writes them), not
through HTTP. For each size and store: median and p90 of an inclusion proof and of a consistency
proof through `ledger.proofs.ProofReader`, and the same proofs from pymerkle (GPL; bench only):
its in-memory tree and its SQLite tree, which keeps leaves only. Last, what integrating an entry
into the tree costs (computing the completed nodes and writing their rows) next to the whole
in-process append path per entry.

Run:  .venv/bin/python -m bench.proofs [--sizes 10000,100000,1000000] [--stores sqlite,postgres]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pymerkle  # type: ignore[import-untyped]
from psycopg import sql

from ledger.proofs import ProofReader
from ledger.store import drop_postgres_schema, open_store
from ledger.tree import Node, append_leaves, root_of
from verification.merkle import leaf_hash, verify_consistency, verify_inclusion

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
SAMPLES = 200


def timings(samples: int, call: Callable[[random.Random], object]) -> tuple[float, float]:
    """Median and p90 in milliseconds of `call` over random arguments."""
    rng = random.Random(7)
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        call(rng)
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[int(0.9 * len(durations))]


def build_tree(size: int) -> tuple[list[bytes], list[Node], bytes]:
    leaves = [leaf_hash(i.to_bytes(8, "big")) for i in range(size)]
    frontier, nodes = append_leaves([], leaves)
    return leaves, nodes, root_of(frontier)


def load_sqlite(path: str, nodes: list[Node]) -> None:
    with sqlite3.connect(path) as conn:
        conn.executemany("INSERT INTO jejak_tree VALUES (?,?,?)", nodes)


def load_postgres(url: str, nodes: list[Node]) -> None:
    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(url.split("?")[0]) as conn, conn.cursor() as cur:
        target = sql.Identifier(schema, "jejak_tree")
        with cur.copy(sql.SQL("COPY {} (level, idx, hash) FROM STDIN").format(target)) as copy:
            for node in nodes:
                copy.write_row(node)
        cur.execute(sql.SQL("ANALYZE {}").format(target))


def store_proofs(
    url: str, size: int, nodes: list[Node], root: bytes, leaves: list[bytes]
) -> dict[str, Any]:
    store = open_store(url)
    try:
        if url.startswith("sqlite"):
            load_sqlite(url.removeprefix("sqlite:///"), nodes)
        else:
            load_postgres(url, nodes)
        reader = ProofReader(store.recorder)
        index = size // 3
        [proof] = reader.inclusion_proofs([index], size)
        verify_inclusion(leaves[index], index, size, proof, root)  # the store's proofs are right
        old = size // 2 + 1
        verify_consistency(old, size, reader.consistency_proof(old, size), reader.root(old), root)
        inc = timings(SAMPLES, lambda rng: reader.inclusion_proofs([rng.randrange(size)], size))
        con = timings(SAMPLES, lambda rng: reader.consistency_proof(rng.randrange(1, size), size))
        return {"inclusion_ms": inc, "consistency_ms": con}
    finally:
        store.close()


def pymerkle_proofs(size: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {
            "pymerkle_memory": pymerkle.InmemoryTree(algorithm="sha256"),
            "pymerkle_sqlite": pymerkle.SqliteTree(f"{tmp}/pm.db", algorithm="sha256"),
        }
        entries = [i.to_bytes(8, "big") for i in range(size)]
        for name, tree in trees.items():
            if name == "pymerkle_sqlite":
                tree.append_entries(entries)
            else:
                for entry in entries:
                    tree.append_entry(entry)
            cold = time.perf_counter()
            tree.prove_inclusion(size // 3 + 1, size)
            cold_ms = (time.perf_counter() - cold) * 1000
            inc = timings(
                SAMPLES, lambda rng, t=tree: t.prove_inclusion(rng.randrange(1, size + 1), size)
            )
            con = timings(
                SAMPLES, lambda rng, t=tree: t.prove_consistency(rng.randrange(1, size), size)
            )
            results[name] = {"inclusion_ms": inc, "consistency_ms": con, "first_proof_ms": cold_ms}
    return results


def integration_cost() -> dict[str, float]:
    """Microseconds per entry: tree work alone, and the whole in-process append path."""
    from ledger.bootstrap import open_runtime
    from ledger.settings import Settings
    from tests.support import STAFF, World, payload, wfa_request

    count = 3000
    leaves = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(count)]
    frontier: list[Node] = []
    started = time.perf_counter()
    for leaf in leaves:
        frontier, _ = append_leaves(frontier, [leaf])
    compute_us = (time.perf_counter() - started) / count * 1e6
    with tempfile.TemporaryDirectory() as tmp:
        _, nodes = append_leaves([], leaves)
        db = sqlite3.connect(f"{tmp}/t.db")
        db.execute(
            "CREATE TABLE t (level INTEGER, idx INTEGER, hash BLOB,"
            " PRIMARY KEY (level, idx)) WITHOUT ROWID"
        )
        started = time.perf_counter()
        for i in range(0, len(nodes), 200):
            db.executemany("INSERT INTO t VALUES (?,?,?)", nodes[i : i + 200])
        write_us = (time.perf_counter() - started) / count * 1e6
        db.close()
        runtime = open_runtime(Settings.from_env({"JEJAK_DATA_DIR": tmp}))
        world = World(runtime).setup()
        ledger = runtime.ledger
        envelopes = [
            world.agency_signer.sign(payload("wfa.requested", f"r-{i}", STAFF, wfa_request()))
            for i in range(count)
        ]
        started = time.perf_counter()
        for i in range(0, count, 100):
            ledger.append([ledger.prepare(e) for e in envelopes[i : i + 100]])
        append_us = (time.perf_counter() - started) / count * 1e6
        runtime.close()
    tree_us = compute_us + write_us
    return {
        "tree_us_per_entry": round(tree_us, 1),
        "append_us_per_entry": round(append_us, 1),
        "tree_share": round(tree_us / append_us, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    for size in [int(s) for s in args.sizes.split(",")]:
        leaves, nodes, root = build_tree(size)
        for store in args.stores.split(","):
            with tempfile.TemporaryDirectory() as tmp:
                url = (
                    f"sqlite:///{tmp}/tree.db"
                    if store == "sqlite"
                    else f"{POSTGRES}?schema=bench_tree_{uuid.uuid4().hex[:8]}"
                )
                try:
                    result = store_proofs(url, size, nodes, root, leaves)
                finally:
                    if store == "postgres":
                        drop_postgres_schema(url)
            rows.append({"impl": f"jejak_{store}", "size": size, **result})
            print(f"done jejak {store} {size}", file=sys.stderr)
        for name, result in pymerkle_proofs(size).items():
            rows.append({"impl": name, "size": size, **result})
        print(f"done pymerkle {size}", file=sys.stderr)
    columns = ["impl", "size", "incl p50 ms", "incl p90 ms", "cons p50 ms", "cons p90 ms"]
    print(" | ".join(f"{c:>16}" for c in columns))
    for row in rows:
        values = [row["impl"], row["size"], *row["inclusion_ms"], *row["consistency_ms"]]
        print(" | ".join(f"{v:>16.3f}" if isinstance(v, float) else f"{v!s:>16}" for v in values))
    cost = integration_cost()
    print(
        f"tree integration: {cost['tree_us_per_entry']} us of {cost['append_us_per_entry']} us"
        f" per appended entry ({cost['tree_share']:.1%})"
    )
    print(json.dumps({"bench": "proofs", "results": rows, "integration": cost}))


if __name__ == "__main__":
    main()
