"""Test helpers: deterministic signers, payload builders and a small agency world."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.bootstrap import Runtime
from ledger.signing import EnvelopeSigner
from ledger.tokens import issue_token

AGENCY = "kab-contoh"
OTHER_AGENCY = "kota-lain"
OMBUDSMAN = "ombudsman-ri"
UNIT = "kab-contoh/dukcapil-loket"
HEAD = "197501012000031001"
STAFF = "198703122010011002"
STAFF2 = "199001012015022003"
OMBUDSMAN_OFFICER = "198001012005011004"


def signer(name: str) -> EnvelopeSigner:
    """A deterministic Ed25519 signer derived from a name."""
    seed = hashlib.sha256(f"jejak-test:{name}".encode()).digest()
    return EnvelopeSigner(Ed25519PrivateKey.from_private_bytes(seed))


def now() -> datetime:
    return datetime.now(UTC)


def payload(
    kind: str, subject: str, actor: str, data: dict[str, object], agency: str = AGENCY
) -> dict[str, object]:
    return {
        "type": kind,
        "agency": agency,
        "subject": subject,
        "actor": actor,
        "occurred_at": now().isoformat(),
        "data": data,
    }


def next_monday() -> date:
    today = now().date()
    return today + timedelta(days=7 - today.weekday())


@dataclass
class World:
    """An agency with a key, policy, unit, head and staff; an Ombudsman; tokens for each role."""

    runtime: Runtime
    agency_signer: EnvelopeSigner = field(default_factory=lambda: signer(AGENCY))
    other_signer: EnvelopeSigner = field(default_factory=lambda: signer(OTHER_AGENCY))
    ombudsman_signer: EnvelopeSigner = field(default_factory=lambda: signer(OMBUDSMAN))
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, role: str, org: str | None = None) -> str:
        logs = self.runtime.logs
        return issue_token(
            logs.registry.store.recorder, logs.registry_state, role, org, "test", "t"
        )

    def setup(self) -> World:
        operator = self.runtime.operator
        for org, kind, key in (
            (AGENCY, "agency", self.agency_signer),
            (OTHER_AGENCY, "agency", self.other_signer),
            (OMBUDSMAN, "ombudsman", self.ombudsman_signer),
        ):
            operator.add_org(org, kind, org.replace("-", " ").title())
            operator.add_key(org, key.public_key_b64, None, now() - timedelta(days=1))
        self.tokens = {
            "agency": self.token("agency", AGENCY),
            "other": self.token("agency", OTHER_AGENCY),
            "ombudsman": self.token("ombudsman", OMBUDSMAN),
            "inspector": self.token("inspector"),
            "operator": self.token("operator"),
        }
        self.append(
            payload("policy.enacted", f"policy:{AGENCY}", HEAD, policy_data()),
            payload(
                "unit.registered",
                UNIT,
                HEAD,
                {
                    "name": "Loket Dukcapil",
                    "public_service": True,
                    "service_hours": {"start": "08:00", "end": "15:00"},
                    "min_on_site": 1,
                },
            ),
            payload("employee.enrolled", HEAD, HEAD, employee("Kepala Dinas", None)),
            payload("employee.enrolled", STAFF, HEAD, employee("Siti Rahma", HEAD)),
            payload("employee.enrolled", STAFF2, HEAD, employee("Budi Santoso", HEAD)),
        )
        return self

    def append(self, *payloads: dict[str, object]) -> None:
        logs = self.runtime.logs
        logs.append([logs.prepare(self.agency_signer.sign(p)) for p in payloads])


def policy_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "version": 1,
        "effective_from": (now().date() - timedelta(days=30)).isoformat(),
        "max_location_days_per_week": 2,
        "unit_quota_pct": 30,
        "probation_days": 90,
        "core_hours": {"start": "09:00", "end": "15:00"},
        "eligible_positions": None,
        "decision_window_days": 3,
        "output_report_deadline_days": 2,
        "backdating_limit_hours": 72,
        "strict": [],
    }
    data.update(overrides)
    return data


def employee(name: str, supervisor: str | None) -> dict[str, object]:
    return {
        "name": name,
        "unit": UNIT,
        "position": "Analis Kependudukan",
        "supervisor": supervisor,
        "placed_at": "2020-01-01",
        "discipline": "none",
    }


def wfa_request(employee_nip: str = STAFF, days: int = 1) -> dict[str, object]:
    start = next_monday()
    return {
        "employee": employee_nip,
        "kind": "location",
        "dates": [(start + timedelta(days=i)).isoformat() for i in range(days)],
        "location": {"kind": "domicile", "description": "Rumah, Arga Makmur"},
        "time_pattern": None,
        "special": None,
        "reason": "Penyusunan laporan triwulan",
        "targets": [{"id": "t1", "description": "Draf laporan triwulan selesai"}],
    }


def unit_payload(subject: str) -> dict[str, object]:
    return payload(
        "unit.registered",
        subject,
        HEAD,
        {
            "name": subject,
            "public_service": False,
            "service_hours": {"start": "08:00", "end": "16:00"},
            "min_on_site": 0,
        },
    )


def signed_complaint(world: World, subject: str, agency: str, unit: str) -> dict[str, object]:
    """A complaint about `unit` of `agency`, filed and signed by the Ombudsman."""
    filed = payload(
        "complaint.filed",
        subject,
        OMBUDSMAN_OFFICER,
        {
            "unit": unit,
            "service": "KTP-el",
            "lapse_at": now().isoformat(),
            "form": "penundaan_berlarut",
            "summary": "Loket tutup",
        },
        agency=agency,
    )
    return world.ombudsman_signer.sign(filed)
