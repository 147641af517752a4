"""The OpenAPI document is complete and valid, and `/docs` needs nothing off the host."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from api.app import create_app
from api.demo.cast import KAB
from api.demo.load import demo_period, demo_tokens, open_demo_runtime
from api.demo.story import complaint_id
from api.openapi import PUBLIC, PUBLIC_FOR_REGISTRY
from domain.event_data import EVENT_TYPES
from ledger.settings import Settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = Settings.from_env({"JEJAK_DATA_DIR": str(tmp_path_factory.mktemp("openapi"))})
    runtime, _ = open_demo_runtime(settings)
    with TestClient(create_app(runtime)) as client:
        yield client, demo_tokens(settings)
    runtime.close()


@pytest.fixture(scope="module")
def doc(demo: tuple[TestClient, dict[str, str]]) -> dict[str, Any]:
    client, _ = demo
    found: dict[str, Any] = client.get("/openapi.json").json()
    return found


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in doc["paths"].items():
        for method, operation in ops.items():
            yield method, path, operation


def conforms(doc: dict[str, Any], name: str, value: object) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    jsonschema.validate(value, schema)


def test_the_document_is_valid_openapi(doc: dict[str, Any]) -> None:
    validate(doc)


def test_every_operation_documents_problem_details_not_validation_errors(
    doc: dict[str, Any],
) -> None:
    assert "HTTPValidationError" not in str(doc)
    for method, path, operation in operations(doc):
        problems = [s for s in operation["responses"] if s[0] in "45"]
        for status in problems:
            content = operation["responses"][status]["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)
        if path != "/v1/log-key":
            assert "503" in problems, (method, path)


def test_every_success_answer_has_a_schema(doc: dict[str, Any]) -> None:
    for method, path, operation in operations(doc):
        answers = {s: r for s, r in operation["responses"].items() if s[0] == "2"}
        assert answers, (method, path)
        for status, answer in answers.items():
            for media in answer["content"].values():
                assert media["schema"], (method, path, status)


def test_appends_document_the_envelope_bodies(doc: dict[str, Any]) -> None:
    single = doc["paths"]["/v1/entries"]["post"]
    batch = doc["paths"]["/v1/entries/batch"]["post"]
    assert single["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Envelope"
    }
    assert "Batch" in str(batch["requestBody"])
    assert "Receipt" in str(single["responses"]["201"])


def test_protected_operations_name_the_bearer_scheme_and_the_server_agrees(
    doc: dict[str, Any], demo: tuple[TestClient, dict[str, str]]
) -> None:
    client, _ = demo
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for method, path, operation in operations(doc):
        url = re.sub(r"\{[^}]+\}", "x", path)
        answer = client.request(method.upper(), url)
        if path in PUBLIC:
            assert "security" not in operation, path
            assert answer.status_code != 401, path
        elif path in PUBLIC_FOR_REGISTRY:  # a token, or none for the registry log's
            assert operation["security"] == [{"bearer": []}, {}], path
            assert answer.status_code == 401, (method, path)
            public_url = re.sub(r"\{[^}]+\}", "0", path.replace("{log}", "operator"))
            public = client.request(method.upper(), public_url)
            assert public.status_code != 401, path
        else:
            assert operation["security"] == [{"bearer": []}], path
            assert answer.status_code == 401, (method, path)


def test_the_event_catalogue_has_a_schema_per_event_type(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    for event_type in EVENT_TYPES:
        assert f"EventData.{event_type}" in schemas
    assert len(schemas["EventPayload"]["oneOf"]) == len(EVENT_TYPES)


def test_real_entries_and_reports_conform_to_their_schemas(
    doc: dict[str, Any], demo: tuple[TestClient, dict[str, str]]
) -> None:
    client, tokens = demo
    auth = {"Authorization": f"Bearer {tokens['inspector']}"}
    log = f"/v1/logs/{KAB}"
    subject = client.get(f"{log}/subjects/bu-disdukcapil", headers=auth).json()
    conforms(doc, "Subject", subject)
    for index in (0, 5, 300, 600):
        conforms(doc, "Entry", client.get(f"{log}/entries/{index}", headers=auth).json())
    conforms(doc, "Entry", client.get("/v1/logs/operator/entries/0").json())
    conforms(doc, "Logs", client.get("/v1/logs").json())
    inclusion = client.get(f"{log}/proofs/inclusion", params={"index": 5, "size": 10}).json()
    conforms(doc, "InclusionProof", inclusion)
    report = client.get(f"/v1/complaints/{complaint_id(demo_period())}/report", headers=auth)
    conforms(doc, "Report", report.json())


def test_a_payload_of_the_wrong_shape_does_not_conform(doc: dict[str, Any]) -> None:
    bad = {"type": "wfa.requested", "agency": "a", "subject": "s", "actor": "n",
           "occurred_at": "2026-01-01T00:00:00Z", "data": {"kind": "elsewhere"}}  # fmt: skip
    with pytest.raises(jsonschema.ValidationError):
        conforms(doc, "EventPayload", bad)


def test_docs_load_only_assets_the_app_serves(demo: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = demo
    page = client.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    for asset in assets:
        assert asset.startswith("/"), asset
        assert client.get(asset).status_code == 200, asset
    assert "https://" not in page.replace("https://validator", "")
