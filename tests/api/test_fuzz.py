"""schemathesis over the app's own /openapi.json, in-process: no input yields a server error.

Every operation is driven with an agency token and with an operator token, by cases that
follow the documented schemas (positive) and cases that break them (negative). A case fails
on any 5xx (`not_a_server_error`) and, where the app documents a response schema, on a
response that does not match it (`response_schema_conformance`). Bounded by max_examples and
derandomized, so the run is the same every time (about a minute per store).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.support import World

EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 20}
ROLES = ("agency", "operator")
CHECKS = [not_a_server_error, response_schema_conformance]


def without_lifespan(app: ASGIApp) -> ASGIApp:
    """The app for schemathesis, whose client would start a second lifespan (and projection
    runner) of its own; the test client's lifespan keeps running the real one."""

    async def bare(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)

    return bare


@dataclass
class Run:
    cases: int = 0
    failures: list[str] = field(default_factory=list)


def drive(
    strategy: st.SearchStrategy[object], examples: int, one: Callable[[object], None]
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: object) -> None:
        one(case)

    with contextlib.suppress(Unsatisfiable):  # no case breaks a schema that takes no input
        run()


def test_no_generated_request_is_a_server_error(client: TestClient, world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", without_lifespan(client.app))
    run = Run()
    for result in schema.get_all_operations():
        operation = result.ok()
        for role in ROLES:
            headers = {"Authorization": f"Bearer {world.tokens[role]}"}

            def one(
                case: object, label: str = operation.label, headers: dict[str, str] = headers
            ) -> None:
                run.cases += 1
                try:
                    case.call_and_validate(headers=headers, checks=CHECKS)  # type: ignore[attr-defined]
                except Exception as error:  # every failure is collected
                    first = str(error).strip().splitlines()
                    run.failures.append(f"{label}: " + "\n".join(first[:12]))

            for mode, examples in EXAMPLES.items():
                drive(operation.as_strategy(generation_mode=mode), examples, one)
    print(f"schemathesis: {run.cases} cases, {len(run.failures)} failures")
    assert run.cases > 0
    assert not run.failures, "\n".join(run.failures[:20])
