"""The JSON Schemas of the API's bodies and answers, and the event catalogue, for OpenAPI."""

from __future__ import annotations

from typing import Any

from domain.event_data import EVENT_TYPES

Schema = dict[str, Any]
HEX64: Schema = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
INSTANT: Schema = {"type": "string", "format": "date-time"}
DAY: Schema = {"type": "string", "format": "date"}
NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
LOG_ID: Schema = {"type": "string", "description": "a log: `operator` or an agency's id"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: tuple[str, ...], open_: bool = True, **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": properties, "required": list(required)}
    if not open_:
        schema["additionalProperties"] = False
    return schema


def page_of(item: str) -> Schema:
    return obj(
        ("items", "next_cursor", "applied"),
        items={"type": "array", "items": ref(item)},
        next_cursor={"type": ["string", "null"], "description": "pass as `cursor`; null: last"},
        applied={"type": "integer", "description": "log entries the read models have applied"},
    )


FLAG = obj(("rule", "entry", "detail"), rule={"type": "string"}, entry={"type": "integer"},
           detail={"type": "string"})  # fmt: skip
SIGNATURE = obj(("keyid", "sig"), keyid=HEX64, sig={"type": "string", "contentEncoding": "base64"})

SCHEMAS: dict[str, Schema] = {
    "Problem": obj(
        ("type", "title", "status", "detail"),
        type={"type": "string", "description": "urn:jejak:problem:<rule>, stable per rule"},
        title={"type": "string"},
        status={"type": "integer"},
        detail={"type": "string"},
        position={"type": "integer", "description": "the refused item of a batch"},
        index={"type": "integer", "description": "the entry a duplicate payload already is"},
        keyid=HEX64,
        flag=ref("Flag"),
        errors={"type": "array", "items": {"type": "object"}},
    ),
    "Flag": FLAG,
    "Signature": SIGNATURE,
    "Envelope": {
        **obj(
            ("payloadType", "payload", "signatures"),
            payloadType={"const": "application/vnd.jejak.event+json"},
            payload={
                "type": "string",
                "contentEncoding": "base64",
                "description": "standard base64 of the UTF-8 JSON of an EventPayload",
            },
            signatures={"type": "array", "minItems": 1, "items": ref("Signature")},
        ),
        "description": "A DSSE envelope; each signature is Ed25519 over PAE(payloadType, payload)",
    },
    "Batch": obj(
        ("envelopes",),
        envelopes={"type": "array", "minItems": 1, "maxItems": 1000, "items": ref("Envelope")},
    ),
    "Receipt": obj(
        (
            "log",
            "index",
            "leaf_hash",
            "subject",
            "version",
            "integrated_at",
            "checkpoint",
            "flags",
            "inclusion_proof",
        ),
        log=LOG_ID,
        index={"type": "integer", "description": "the entry's index in its log"},
        leaf_hash=HEX64,
        subject={"type": "string"},
        version={"type": "integer"},
        integrated_at=INSTANT,
        checkpoint={"type": "string", "description": "the log's signed checkpoint note"},
        flags={"type": "array", "items": ref("Flag")},
        inclusion_proof={"type": "array", "items": HEX64},
    ),
    "Receipts": obj(("receipts",), receipts={"type": "array", "items": ref("Receipt")}),
    "Leaf": obj(
        (
            "log",
            "registry_size",
            "integrated_at",
            "payload_sha256",
            "payload_type",
            "prev",
            "signatures",
            "subject",
            "version",
        ),
        log=LOG_ID,
        registry_size={
            "type": "integer",
            "description": "the registry log prefix whose keys accepted the entry",
        },
        integrated_at=INSTANT,
        payload_sha256=HEX64,
        payload_type={"type": "string"},
        prev={"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
        signatures={"type": "array", "items": ref("Signature")},
        subject={"type": "string"},
        version={"type": "integer"},
    ),
    "Entry": obj(
        ("log", "index", "leaf_hash", "leaf", "envelope", "payload"),
        log=LOG_ID,
        index={"type": "integer"},
        leaf_hash=HEX64,
        leaf=ref("Leaf"),
        envelope=ref("Envelope"),
        payload=ref("EventPayload"),
    ),
    "Subject": obj(
        ("log", "subject", "kind", "entries", "state", "flags"),
        log=LOG_ID,
        subject={"type": "string"},
        kind={"type": "string"},
        as_of={**INSTANT, "description": "history only: the instant asked for"},
        entries={"type": "array", "items": ref("Entry")},
        state={"type": "object"},
        flags={"type": "array", "items": ref("Flag")},
    ),
    "InclusionProof": obj(
        ("log", "index", "size", "leaf_hash", "hashes"),
        log=LOG_ID,
        index={"type": "integer"},
        size={"type": "integer"},
        leaf_hash=HEX64,
        hashes={"type": "array", "items": HEX64},
    ),
    "ConsistencyProof": obj(
        ("log", "old", "new", "hashes"),
        log=LOG_ID,
        old={"type": "integer"},
        new={"type": "integer"},
        hashes={"type": "array", "items": HEX64},
    ),
    "SubjectProof": obj(
        ("subject", "size", "bucket", "siblings"),
        subject={"type": "string"},
        size={"type": "integer", "description": "the log size of the subject-map note"},
        bucket={
            "type": "array",
            "description": "every head in the subject's bucket, sorted by key",
            "items": obj(
                ("key", "version", "leaf_hash"),
                key=HEX64,
                version={"type": "integer"},
                leaf_hash=HEX64,
            ),
        },
        siblings={
            "type": "array",
            "description": "4 lists of 15 hashes: level 4 (bucket) siblings up to level 1",
            "items": {"type": "array", "items": HEX64},
        },
    ),
    "Log": obj(
        ("id", "origin", "size", "checkpoint"),
        id=LOG_ID,
        origin={"type": "string", "description": "its checkpoints' origin: <key name>/<id>"},
        size={"type": "integer", "description": "entries in the log"},
        checkpoint={
            "type": ["string", "null"],
            "description": "its latest signed checkpoint note (null before its first entry)",
        },
    ),
    "Logs": obj(
        ("logs",),
        logs={
            "type": "array",
            "items": ref("Log"),
            "description": "the registry log first, then each agency's in registration order",
        },
    ),
    "RequestRow": obj(
        ("subject", "agency", "unit", "employee", "kind", "status", "flags", "entries"),
        subject={"type": "string"},
        agency={"type": "string"},
        unit={"type": "string"},
        employee={"type": "string"},
        kind={"enum": ["location", "time"]},
        status={"type": "string"},
        approver=NULLABLE_TEXT,
        first_day=DAY,
        last_day=DAY,
        dates={"type": "array", "items": DAY},
        approved_dates={"type": ["array", "null"], "items": DAY},
        decided_at={"type": ["string", "null"]},
        requested_entry={"type": "integer"},
        decision_entry={"type": ["integer", "null"]},
        policy_version=NULLABLE_TEXT,
        flags={"type": "array", "items": ref("Flag")},
        entries={"type": "array", "items": {"type": "integer"}},
    ),
    "UnitDay": obj(
        ("unit", "day", "staff", "on_site_count", "min_on_site", "minimum_held", "quota_held"),
        unit={"type": "string"},
        day=DAY,
        agency={"type": "string"},
        public_service={"type": "boolean"},
        staff={"type": "integer"},
        on_site={"type": "array", "items": {"type": "string"}},
        location={"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
        time={"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
        on_site_count={"type": "integer"},
        location_count={"type": "integer"},
        time_count={"type": "integer"},
        min_on_site={"type": "integer"},
        quota_pct={"type": ["integer", "null"]},
        quota_allowed={"type": ["integer", "null"]},
        minimum_held={"type": "boolean"},
        quota_held={"type": "boolean"},
        entries={"type": "array", "items": {"type": "integer"}},
    ),
    "ComplianceFlag": obj(
        ("entry", "rule", "detail", "agency", "subject", "entries"),
        entry={"type": "integer"},
        rule={"type": "string"},
        detail={"type": "string"},
        agency={"type": "string"},
        subject={"type": "string"},
        unit={"type": ["string", "null"]},
        entries={"type": "array", "items": {"type": "integer"}},
    ),
    "EvaluationRow": obj(
        ("subject", "agency", "employee", "period", "predikat"),
        subject={"type": "string"},
        agency={"type": "string"},
        unit={"type": "string"},
        employee={"type": "string"},
        period={"type": "string"},
        results={"type": "string"},
        behaviour={"type": "string"},
        predikat={"type": "string"},
        evaluator={"type": "string"},
        entry={"type": "integer"},
        flags={"type": "array", "items": ref("Flag")},
    ),
    "ComplaintRow": obj(
        ("subject", "agency", "unit", "status", "lapse_at", "form", "filed_entry", "entries"),
        subject={"type": "string"},
        agency={"type": "string"},
        unit={"type": "string"},
        status={"type": "string"},
        lapse_at=INSTANT,
        form={"type": "string"},
        filed_entry={"type": "integer"},
        state={"type": "object"},
        entries={"type": "array", "items": {"type": "integer"}},
        applied={"type": "integer"},
    ),
    "Statement": obj(
        ("statement", "entries"),
        statement={"type": "string"},
        entries={"type": "array", "items": {"type": "integer"}},
    ),
    "Report": obj(
        (
            "complaint",
            "agency",
            "unit",
            "lapse_at",
            "form",
            "status",
            "on_site",
            "flexible",
            "minimum_held",
            "quota_held",
            "statements",
            "entries",
            "bundle",
        ),
        complaint={"type": "string"},
        agency={"type": "string"},
        unit={"type": "object"},
        lapse_at=INSTANT,
        day=DAY,
        form={"type": "string"},
        service={"type": "string"},
        status={"type": "string"},
        policy={"type": ["object", "null"]},
        on_site={"type": "array", "items": {"type": "object"}},
        flexible={"type": "array", "items": {"type": "object"}},
        minimum_held={"type": "boolean"},
        quota_held={"type": "boolean"},
        earlier_complaints={"type": "array", "items": {"type": "object"}},
        earlier_flags={"type": "array", "items": {"type": "object"}},
        statements={"type": "array", "items": ref("Statement")},
        entries={"type": "array", "items": {"type": "integer"}},
        bundle={"type": "string", "description": "where to fetch the verification bundle"},
    ),
    "Bundle": {
        **obj(
            ("format", "log_key", "claim", "as_of", "reader", "records"),
            format={"const": "jejak-bundle/2"},
            log_key={"type": "string"},
            claim={"type": "object", "required": ["kind", "log"]},
            as_of=INSTANT,
            reader={"type": "string"},
            records={
                "type": "array",
                "items": obj(
                    ("record", "log"),
                    record={"enum": ["log", "entry", "range", "head"]},
                    log=LOG_ID,
                ),
            },
        ),
        "description": "A verification bundle (docs/bundle.md), one record per line, for"
        " `jejak verify`",
    },
    "OrgAdded": obj(("org", "receipt"), org={"type": "string"}, receipt=ref("Receipt")),
    "KeyChanged": obj(("keyid", "receipt"), keyid=HEX64, receipt=ref("Receipt")),
    "TokenIssued": obj(
        ("token", "role", "org"),
        token={"type": "string", "description": "shown once"},
        role={"type": "string"},
        org={"type": ["string", "null"]},
    ),
}


def event_catalogue() -> dict[str, Schema]:
    """One schema per event type's `data` (`EventData.<type>`), and `EventPayload`, the
    signed payload whose `data` is the schema of its `type`."""
    schemas: dict[str, Schema] = {}
    variants = []
    template = "#/components/schemas/EventData.{model}"
    for event_type, model in sorted(EVENT_TYPES.items()):
        schema = model.model_json_schema(ref_template=template)
        for name, nested in schema.pop("$defs", {}).items():
            schemas[f"EventData.{name}"] = nested
        schema["title"] = event_type
        schemas[f"EventData.{event_type}"] = schema
        variants.append(
            obj(
                ("type", "agency", "subject", "actor", "occurred_at", "data"),
                type={"const": event_type},
                agency={"type": "string"},
                subject={"type": "string"},
                actor={"type": "string"},
                occurred_at=INSTANT,
                data=ref(f"EventData.{event_type}"),
            )
        )
    schemas["EventPayload"] = {
        "oneOf": variants,
        "description": "The signed event payload (DESIGN §3): one variant per event type",
    }
    return schemas
