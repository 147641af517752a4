"""The complete OpenAPI document (bodies, answers, problems, bearer scheme, event catalogue)
and `/docs`, whose Swagger UI assets the app serves itself: it works without internet."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.openapi_schemas import SCHEMAS, Schema, event_catalogue, page_of, ref
from api.problems import MEDIA_TYPE, PROBLEM_TYPE, status_of
from domain.errors import Refusal
from ledger.committer import ItemRefusedError
from ledger.errors import LedgerError

JSON = "application/json"
NOTE = "text/plain"
ASSETS = "/static/swagger"

# The success answer of each operation: (status, media type, schema).
ANSWERS: dict[tuple[str, str], tuple[tuple[str, str, Schema], ...]] = {
    ("post", "/v1/entries"): (("201", JSON, ref("Receipt")), ("200", JSON, ref("Receipt"))),
    ("post", "/v1/entries/batch"): (("201", JSON, ref("Receipts")),),
    ("get", "/v1/logs"): (("200", JSON, ref("Logs")),),
    ("get", "/v1/logs/{log}/entries/{index}"): (("200", JSON, ref("Entry")),),
    ("get", "/v1/logs/{log}/subjects/{subject}"): (("200", JSON, ref("Subject")),),
    ("get", "/v1/logs/{log}/subjects/{subject}/history"): (("200", JSON, ref("Subject")),),
    ("get", "/v1/log-key"): (("200", NOTE, {"type": "string"}),),
    ("get", "/v1/logs/{log}/checkpoint"): (("200", NOTE, {"type": "string"}),),
    ("get", "/v1/logs/{log}/checkpoints/{size}"): (("200", NOTE, {"type": "string"}),),
    ("get", "/v1/logs/{log}/proofs/inclusion"): (("200", JSON, ref("InclusionProof")),),
    ("get", "/v1/logs/{log}/proofs/consistency"): (("200", JSON, ref("ConsistencyProof")),),
    ("get", "/v1/logs/{log}/subject-maps/{size}"): (("200", NOTE, {"type": "string"}),),
    ("get", "/v1/logs/{log}/proofs/subject"): (("200", JSON, ref("SubjectProof")),),
    ("get", "/v1/agencies/{agency}/requests"): (("200", JSON, page_of("RequestRow")),),
    ("get", "/v1/agencies/{agency}/units/{unit}/days"): (("200", JSON, page_of("UnitDay")),),
    ("get", "/v1/agencies/{agency}/compliance"): (("200", JSON, page_of("ComplianceFlag")),),
    ("get", "/v1/agencies/{agency}/evaluations"): (("200", JSON, page_of("EvaluationRow")),),
    ("get", "/v1/complaints"): (("200", JSON, page_of("ComplaintRow")),),
    ("get", "/v1/complaints/{subject}"): (("200", JSON, ref("ComplaintRow")),),
    ("get", "/v1/complaints/{subject}/report"): (
        ("200", JSON, ref("Report")),
        ("200", "text/html", {"type": "string"}),
    ),
    ("get", "/v1/bundles"): (("200", JSON, ref("Bundle")),),
    ("post", "/v1/orgs"): (("201", JSON, ref("OrgAdded")),),
    ("post", "/v1/orgs/{org}/keys"): (("201", JSON, ref("KeyChanged")),),
    ("post", "/v1/keys/{keyid}/revoke"): (("201", JSON, ref("KeyChanged")),),
    ("post", "/v1/tokens"): (("201", JSON, ref("TokenIssued")),),
}
BODIES = {("post", "/v1/entries"): "Envelope", ("post", "/v1/entries/batch"): "Batch"}
# Log keys, the list of logs, checkpoints and proofs are public (DESIGN §7); every other
# operation needs a bearer token (tests/api/test_openapi.py holds the server to this), but for
# the registry log's entries, which are public too.
PUBLIC = frozenset(
    {
        "/v1/log-key",
        "/v1/logs",
        "/v1/logs/{log}/checkpoint",
        "/v1/logs/{log}/checkpoints/{size}",
        "/v1/logs/{log}/proofs/inclusion",
        "/v1/logs/{log}/proofs/consistency",
        "/v1/logs/{log}/subject-maps/{size}",
        "/v1/logs/{log}/proofs/subject",
    }
)
PUBLIC_FOR_REGISTRY = frozenset({"/v1/logs/{log}/entries/{index}"})
"""Operations that need a token except on the registry log (`operator`)."""


def _subclasses(root: type[Exception]) -> Iterator[type[Exception]]:
    for sub in root.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def problem_types() -> dict[int, list[str]]:
    """Each status's problem `type` values, from the error classes that map to it."""
    found: dict[int, set[str]] = defaultdict(set)
    for kind in (*_subclasses(LedgerError), *_subclasses(Refusal)):
        rule = getattr(kind, "rule", None)
        if isinstance(rule, str) and kind is not ItemRefusedError:
            found[status_of(kind.__new__(kind))].add(PROBLEM_TYPE + rule)
    found[422].add(PROBLEM_TYPE + "invalid-request")
    found[400].add(PROBLEM_TYPE + "malformed-envelope")
    return {status: sorted(types) for status, types in found.items()}


def _statuses(method: str, path: str, operation: dict[str, Any], protected: bool) -> list[int]:
    statuses = {503} if path != "/v1/log-key" else set()
    if protected:
        statuses |= {401, 403}
    names = {p["name"] for p in operation.get("parameters", [])}
    if names:
        statuses.add(422)
    if names & {"cursor", "as_of"} or "/proofs/" in path or path == "/v1/bundles":
        statuses.add(400)
    if "{" in path or path == "/v1/bundles":
        statuses.add(404)
    if method == "post":
        statuses |= {400, 409, 413, 422}
    return sorted(statuses)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description="Every error is RFC 9457 `application/problem+json` with a stable `type`.",
        routes=app.routes,
    )
    types = problem_types()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            _complete(operation, method, path, path not in PUBLIC, types)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(SCHEMAS)
    schemas.update(event_catalogue())
    doc["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "a `jejak_...` token"}
    }
    return doc


def _complete(
    operation: dict[str, Any],
    method: str,
    path: str,
    protected: bool,
    types: dict[int, list[str]],
) -> None:
    responses: dict[str, Any] = {}
    for status, media, schema in ANSWERS.get((method, path), ()):
        answer = responses.setdefault(status, {"description": "OK", "content": {}})
        answer["content"][media] = {"schema": schema}
    if not responses:
        responses = {k: v for k, v in operation["responses"].items() if k != "422"}
    for code in _statuses(method, path, operation, protected):
        listed = ", ".join(f"`{t}`" for t in types.get(code, []))
        responses[str(code)] = {
            "description": f"Problem details; `type` one of: {listed}" if listed else "Problem",
            "content": {MEDIA_TYPE: {"schema": ref("Problem")}},
        }
    operation["responses"] = responses
    if (method, path) in BODIES:
        operation["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": ref(BODIES[(method, path)])}},
        }
    if protected:
        operation["security"] = [{"bearer": []}]
    if path in PUBLIC_FOR_REGISTRY:
        operation["security"] = [{"bearer": []}, {}]
        operation["description"] = (
            operation.get("description", "")
            + "\n\nThe registry log's (`operator`) entries are public: no token is needed."
        )


def swagger_assets() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def install_docs(app: FastAPI) -> None:
    """`/openapi.json` built by `build_openapi`, and `/docs` on assets served from `ASSETS`."""
    cached: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not cached:
            cached.update(build_openapi(app))
        return cached

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount(ASSETS, StaticFiles(directory=swagger_assets()), name="swagger-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )
