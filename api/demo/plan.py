"""The demo's timeline: planned events with their business time, signer and ledger references."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from api.demo.cast import HR_OFFICIAL, KAB, KEYS, Person, person

WIB = timezone(timedelta(hours=7), "WIB")
WEEKS = 3


@dataclass(frozen=True)
class Period:
    """The demo's three full ISO weeks, Monday of the first to Sunday of the last."""

    start: date

    @property
    def end(self) -> date:
        return self.start + timedelta(weeks=WEEKS, days=-1)

    @property
    def setup(self) -> date:
        """The Thursday before the first week: logs, organisations, policies, people."""
        return self.start - timedelta(days=4)

    def day(self, week: int, weekday: int) -> date:
        """Week -1 is the week before the period; weekday 0 is Monday."""
        return self.start + timedelta(weeks=week, days=weekday)

    @property
    def label(self) -> str:
        """The evaluation period id, e.g. `2026-11-02_2026-11-22`."""
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    @classmethod
    def ending_before(cls, today: date) -> Period:
        """The last three full ISO weeks before the week of `today`."""
        monday = today - timedelta(days=today.weekday())
        return cls(monday - timedelta(weeks=WEEKS))


def at(day: date, hhmm: str, plus_minutes: int = 0) -> datetime:
    """A WIB instant on `day` at `hhmm`, shifted by some minutes."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), WIB) + timedelta(minutes=plus_minutes)


def jitter(label: str, span: int) -> int:
    """A stable pseudo-random number in [0, span) derived from a label."""
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:4], "big") % span


def digest(text: str) -> str:
    """The SHA-256 of a stand-in document (the demo never stores the documents themselves)."""
    return hashlib.sha256(f"jejak-demo/doc/{text}".encode()).hexdigest()


@dataclass(frozen=True)
class Planned:
    """One event of the plan; `due` is when it reaches the ledger (late when backdated)."""

    occurred_at: datetime
    due: datetime
    signer: str  # a key label of demo_cast.KEYS
    writer: str  # the token role it is sent with: "agency" or "ombudsman"
    type: str
    agency: str
    subject: str
    actor: str
    data: Mapping[str, object]
    tag: str | None = None  # a name later events can cite
    cites: tuple[str, ...] = ()  # tags whose indexes become data["entries"] (or data["entry"])

    def payload(self, landed: Mapping[str, tuple[str, int]]) -> dict[str, object]:
        """The payload to sign, with cited tags resolved to the (log, index) they landed at:
        an event cites entries of its own log (its agency's), by index."""
        data = dict(self.data)
        if self.cites:
            missing = [tag for tag in self.cites if tag not in landed]
            if missing:
                raise KeyError(f"{self.type} cites {missing} before they were appended")
            foreign = [tag for tag in self.cites if landed[tag][0] != self.agency]
            if foreign:
                raise KeyError(f"{self.type} of {self.agency} cites {foreign} of another log")
            found = sorted(landed[tag][1] for tag in self.cites)
            if self.type == "entry.annotated":
                data["entry"] = found[0]
            else:
                data["entries"] = found
        return {
            "type": self.type,
            "agency": self.agency,
            "subject": self.subject,
            "actor": self.actor,
            "occurred_at": self.occurred_at.isoformat(),
            "data": data,
        }


_PERSONAL_KEYS = {spec.holder: spec.label for spec in KEYS if spec.holder is not None}


@dataclass
class Plan:
    """Collects planned events; officials sign with their own key, everyone else via e-Kinerja."""

    period: Period
    events: list[Planned] = field(default_factory=list)

    def add(
        self,
        when: datetime,
        type_: str,
        agency: str,
        subject: str,
        actor: str,
        data: Mapping[str, object],
        *,
        due: datetime | None = None,
        signer: str | None = None,
        writer: str = "agency",
        tag: str | None = None,
        cites: tuple[str, ...] = (),
    ) -> Planned:
        event = Planned(
            occurred_at=when,
            due=due or when,
            signer=signer or _PERSONAL_KEYS.get(actor, agency),
            writer=writer,
            type=type_,
            agency=agency,
            subject=subject,
            actor=actor,
            data=data,
            tag=tag,
            cites=cites,
        )
        self.events.append(event)
        return event

    def by(
        self,
        who: Person,
        when: datetime,
        type_: str,
        subject: str,
        data: Mapping[str, object],
        *,
        due: datetime | None = None,
        tag: str | None = None,
    ) -> Planned:
        """An event acted by an enrolled employee of their own agency."""
        return self.add(when, type_, who.agency, subject, who.nip, data, due=due, tag=tag)

    def hr(
        self, agency: str, when: datetime, type_: str, subject: str, data: Mapping[str, object]
    ) -> Planned:
        """An organisation-level event, signed for the agency's HR office."""
        return self.add(when, type_, agency, subject, person(HR_OFFICIAL[agency]).nip, data)


def request_id(who: Person, period: Period, week: int) -> str:
    """The subject of `who`'s flexible-work request for one week of the period."""
    year, number, _ = period.day(week, 0).isocalendar()
    prefix = "bu" if who.agency == KAB else "panrb"
    return f"fwa-{prefix}-{year}w{number:02d}-{who.label}"
