"""One flexible-work arrangement of the demo: its request, decision, daily work and reviews."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from api.demo.cast import Person, person, supervisor_of
from api.demo.plan import Plan, at, digest, jitter, request_id

FUTURE_LEAD = timedelta(days=3)  # the phone's clock ahead of the real date
DOMICILE = ("domicile", "Rumah sesuai domisili terdaftar pada data kepegawaian")


@dataclass(frozen=True)
class Task:
    """A measurable daily target: `per_day` units of work described by `what`."""

    what: str
    per_day: int
    unit: str
    done: str  # the output's title, after the count: "12 berkas terverifikasi"

    @property
    def target(self) -> str:
        return f"{self.what}: {self.per_day} {self.unit} per hari"

    def output(self, label: str) -> str:
        """A day's output: around the target, from 70 % to 120 %."""
        count = max(1, round(self.per_day * (70 + jitter(label, 51)) / 100))
        return f"{count} {self.unit} {self.done}"


T = Task
TASKS: dict[str, tuple[Task, ...]] = {
    "bu-disdukcapil": (
        T("Verifikasi permohonan akta kelahiran dan KK daring", 30, "berkas", "terverifikasi"),
        T("Sinkronisasi perubahan biodata ke SIAK Terpusat", 150, "rekaman", "tersinkronisasi"),
        T("Tindak lanjut aduan adminduk kanal WhatsApp", 20, "aduan", "ditindaklanjuti"),
    ),
    "bu-bkpsdm": (
        T("Verifikasi usul kenaikan pangkat pada SIASN", 25, "berkas", "terverifikasi"),
        T("Pemutakhiran riwayat jabatan ASN pada SIASN", 60, "rekaman", "dimutakhirkan"),
        T("Draf analisis kebutuhan pengembangan kompetensi", 2, "halaman", "disusun"),
    ),
    "panrb-ult": (
        T("Jawaban permohonan informasi publik daring", 15, "permohonan", "dijawab"),
        T("Tindak lanjut pengaduan SP4N-LAPOR! terdisposisi", 10, "tiket", "ditindaklanjuti"),
        T("Pemutakhiran Daftar Informasi Publik laman PPID", 20, "entri", "dimutakhirkan"),
    ),
    "panrb-biro-sdm": (
        T("Telaah usulan kebutuhan ASN dari instansi pengusul", 5, "usulan", "ditelaah"),
        T("Bahan rekomendasi penataan jabatan fungsional", 3, "halaman", "disusun"),
        T("Pemutakhiran data kinerja pegawai pada e-Kinerja", 40, "rekaman", "dimutakhirkan"),
    ),
}


@dataclass(frozen=True)
class Arrangement:
    """A weekly flexible-work request and what became of it (week 0..2, weekdays 0 = Monday)."""

    who: str
    week: int
    days: tuple[int, ...]
    reason: str
    kind: str = "location"
    place: tuple[str, str] = DOMICILE
    pattern: str | None = None
    special: str | None = None
    outcome: str = "approved"  # or "rejected"
    note: str | None = None  # approval note or rejection reason
    approver: str | None = None  # default: the supervisor
    decided: tuple[int, int] | None = None  # (week, weekday) of a decision made late
    revision: str | None = None  # sent back with this reason first, then resubmitted
    revoke_from: int | None = None
    revoke_reason: str | None = None
    withdraw: str | None = None
    unreported: tuple[int, ...] = ()
    backdated: tuple[int, ...] = ()  # reports sent on the week's Friday, claiming the day itself
    future_dated: tuple[int, ...] = ()  # reports sent from a phone whose date ran days ahead

    @property
    def person(self) -> Person:
        return person(self.who)

    def work_days(self) -> tuple[int, ...]:
        """Weekdays actually worked flexibly: approved, not withdrawn, before any recall."""
        if self.outcome != "approved" or self.withdraw:
            return ()
        return tuple(d for d in self.days if self.revoke_from is None or d < self.revoke_from)


@dataclass(frozen=True)
class Worked:
    """A flexible day as its attendance recorded it, for the presence system to mirror."""

    start: datetime
    end: datetime
    location_kind: str
    recorded: datetime


class Writer:
    """Turns arrangements into planned events, spacing each actor's events through the day."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._load: Counter[tuple[str, date]] = Counter()
        self.worked: dict[tuple[str, date], Worked] = {}

    def slot(self, actor: str, day: date, hhmm: str, step: int = 6) -> datetime:
        """The next free moment of `actor` on `day` from `hhmm`, `step` minutes apart."""
        n = self._load[(actor, day)]
        self._load[(actor, day)] += 1
        return at(day, hhmm, n * step + jitter(f"{actor}{day}{n}", 3))

    def write(self, a: Arrangement) -> str:
        """Plan the request, its decision and, if approved, every flexible day; return its id."""
        plan, who = self.plan, a.person
        rid = request_id(who, plan.period, a.week)
        approver = person(a.approver) if a.approver else supervisor_of(a.who)
        tasks = TASKS[who.unit]
        first = jitter(rid, len(tasks))
        chosen = [tasks[first], tasks[(first + 1) % len(tasks)]]
        decided_at = self._submit(a, rid, approver, chosen)
        if a.outcome == "rejected":
            rejection = {"reason": a.note or "-"}
            plan.by(approver, decided_at, "wfa.rejected", rid, rejection, tag=f"decided:{rid}")
            return rid
        approval = {"note": a.note} if a.note else {}
        plan.by(approver, decided_at, "wfa.approved", rid, approval, tag=f"decided:{rid}")
        friday = plan.period.day(a.week - 1, 4)
        if a.withdraw:
            withdrawal = {"reason": a.withdraw}
            plan.by(who, at(friday, "14:00", jitter(rid, 30)), "wfa.withdrawn", rid, withdrawal)
        if a.revoke_from is not None:
            recall = at(plan.period.day(a.week, a.revoke_from - 1), "15:10")
            effective = plan.period.day(a.week, a.revoke_from).isoformat()
            revocation = {"effective_from": effective, "reason": a.revoke_reason or "-"}
            plan.by(approver, recall, "wfa.revoked", rid, revocation)
        for weekday in a.work_days():
            self._day(a, rid, weekday, decided_at, chosen)
        return rid

    def _submit(self, a: Arrangement, rid: str, approver: Person, chosen: list[Task]) -> datetime:
        """The request (sent back once for vague targets if so planned); the decision's time."""
        plan, who = self.plan, a.person
        thursday, friday = plan.period.day(a.week - 1, 3), plan.period.day(a.week - 1, 4)
        targets = [{"id": f"T{i + 1}", "description": t.target} for i, t in enumerate(chosen)]
        request = self._request_data(a, targets)
        sent = self.slot(who.nip, thursday, "13:00", 7)
        if not a.revision:
            plan.by(who, sent, "wfa.requested", rid, request, tag=f"requested:{rid}")
            if a.decided is not None:
                return self.slot(approver.nip, plan.period.day(*a.decided), "08:30")
            return self.slot(approver.nip, friday, "07:45")
        vague = {**request, "targets": [{"id": "T1", "description": "Menyelesaikan pekerjaan"}]}
        plan.by(who, sent, "wfa.requested", rid, vague)
        sent_back = self.slot(approver.nip, friday, "08:30")
        plan.by(approver, sent_back, "wfa.revision_requested", rid, {"reason": a.revision})
        resent = at(friday, "13:30", jitter(rid, 20))
        plan.by(who, resent, "wfa.requested", rid, request, tag=f"requested:{rid}")
        return self.slot(approver.nip, friday, "15:00")

    def _request_data(self, a: Arrangement, targets: list[dict[str, str]]) -> dict[str, object]:
        dates = [self.plan.period.day(a.week, d).isoformat() for d in a.days]
        data: dict[str, object] = {
            "employee": a.person.nip,
            "kind": a.kind,
            "dates": dates,
            "special": a.special,
            "reason": a.reason,
            "targets": targets,
        }
        if a.kind == "location":
            data["location"] = {"kind": a.place[0], "description": a.place[1]}
        else:
            data["time_pattern"] = a.pattern
        return data

    def _day(
        self,
        a: Arrangement,
        rid: str,
        weekday: int,
        decided_at: datetime,
        chosen: list[Task],
    ) -> None:
        plan, who = self.plan, a.person
        day = plan.period.day(a.week, weekday)
        begins = {"shift": "10:30", "dynamic": "06:45"}.get(a.pattern or "", "07:30")
        start = at(day, begins, jitter(f"{rid}{day}s", 25))
        end = start + timedelta(hours=8, minutes=30 + jitter(f"{rid}{day}e", 20))
        recorded = end + timedelta(minutes=2)
        if decided_at > recorded:  # approved late: the day is booked after the decision
            recorded = at(decided_at.date(), "14:00", jitter(f"{rid}{day}", 30))
        where = a.place[0] if a.kind == "location" else "office"
        attendance = {
            "date": day.isoformat(),
            "start": start.strftime("%H:%M"),
            "end": end.strftime("%H:%M"),
            "location_kind": where,
        }
        plan.by(who, recorded, "attendance.recorded", rid, attendance)
        self.worked[(a.who, day)] = Worked(start, end, where, recorded)
        if weekday in a.unreported:
            return
        outputs = [
            {
                "title": task.output(f"{rid}{day}{i}"),
                "target": f"T{i + 1}",
                "evidence_sha256": digest(f"{rid}/{day}/{i}") if i == 0 else None,
            }
            for i, task in enumerate(chosen)
        ]
        reported, due = recorded + timedelta(minutes=4), None
        if weekday in a.backdated:
            due = at(plan.period.day(a.week, 4), "07:10")
        claimed = reported
        if weekday in a.future_dated:  # sent now, stamped with the phone's date
            claimed, due = reported + FUTURE_LEAD, reported
        report = {"date": day.isoformat(), "outputs": outputs}
        tag = f"output:{rid}:{day.isoformat()}"
        plan.by(who, claimed, "work.output_reported", rid, report, due=due, tag=tag)
        self._review(a, rid, day, due or reported)

    def _review(self, a: Arrangement, rid: str, day: date, reported: datetime) -> None:
        plan, reviewer = self.plan, supervisor_of(a.who)
        following = reported.date() + timedelta(days=3 if reported.weekday() == 4 else 1)
        if following > plan.period.end:
            when = self.slot(reviewer.nip, reported.date(), "17:30", 3)
        else:
            when = self.slot(reviewer.nip, following, "09:00", 4)
        if when <= reported:
            when = reported + timedelta(hours=2)
        verdict = "needs_revision" if jitter(f"{rid}{day}v", 12) == 0 else "accepted"
        note = (
            "Lampirkan bukti dukung untuk setiap target."
            if verdict == "needs_revision"
            else "Sesuai target."
        )
        review = {"date": day.isoformat(), "verdict": verdict, "note": note}
        plan.by(reviewer, when, "work.output_reviewed", rid, review)
