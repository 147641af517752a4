"""The demo's story: setup, three weeks of flexible work, a complaint and the evaluations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from api.demo.cast import (
    AGENCIES,
    INSPECTOR,
    INSPECTORATE,
    KAB,
    KAB_EVALUATION_DEADLINE_DAYS,
    OMBUDSMAN,
    OMBUDSMAN_OFFICER,
    PEOPLE,
    UNITS,
    person,
    policy_data,
    supervisor_of,
)
from api.demo.plan import Period, Plan, Planned, at, digest, request_id
from api.demo.presence import record_presence
from api.demo.weeks import arrangements
from api.demo.work import Arrangement, Writer
from domain.rules.cadence import last_due_period
from domain.rules.evaluations import predikat_of

BREACH_DAY = (1, 2)  # week 2 Wednesday: five of twelve Dukcapil staff approved off site
BREACH_UNIT = "bu-disdukcapil"
MISGRADED = "siti"  # her predikat does not follow from her results and behaviour
PENALISED = ("joni", (1, 1))  # a disciplinary penalty recorded on week 2 Tuesday
UNEVALUATED = "rudi"  # his supervisor never recorded his evaluation for the closed month


def closed_month(period: Period) -> tuple[str, date, date]:
    """The latest month whose evaluation deadline passes before the period's last working day:
    the KAB policy (monthly cadence) has been in force since its first day."""
    found = last_due_period("monthly", KAB_EVALUATION_DEADLINE_DAYS, period.day(2, 4), date.min)
    if found is None:
        raise ValueError(f"no month is due by {period.day(2, 4)}")
    return found


def _setup(plan: Plan) -> None:
    """Each agency's policy, units and employees, entered by its HR office on setup day."""
    period = plan.period
    for n, agency in enumerate(AGENCIES):
        when = at(period.setup, "09:00", 30 * n)
        in_force = closed_month(period)[1] if agency == KAB else period.setup
        policy = policy_data(agency, 1, in_force)
        plan.hr(agency, when, "policy.enacted", f"policy:{agency}", policy)
        for unit in (u for u in UNITS if u.agency == agency):
            data: dict[str, object] = {
                "name": unit.name,
                "public_service": unit.public_service,
                "service_hours": {"start": unit.service_hours[0], "end": unit.service_hours[1]},
                "min_on_site": unit.min_on_site,
            }
            plan.hr(agency, when, "unit.registered", unit.id, data)
        for who in (p for p in PEOPLE if p.agency == agency):
            data = {
                "name": who.name,
                "unit": who.unit,
                "position": who.position,
                "supervisor": None if who.supervisor is None else person(who.supervisor).nip,
                "placed_at": who.placed_at(period.start).isoformat(),
                "discipline": who.discipline,
            }
            plan.hr(agency, when, "employee.enrolled", who.nip, data)


def _closed_month_evaluations(plan: Plan) -> None:
    """e-Kinerja sends the closed month's evaluations of Bengkulu Utara when the agency joins;
    one is missing. Heads of office are assessed from outside the log and are not sent."""
    name, _, last = closed_month(plan.period)
    staff = [p for p in PEOPLE if p.agency == KAB and p.supervisor is not None]
    for n, employee in enumerate(p for p in staff if p.placed_at(plan.period.start) <= last):
        if employee.label == UNEVALUATED:
            continue
        behaviour = "sesuai" if employee.discipline == "none" else "di_bawah"
        data: dict[str, object] = {
            "employee": employee.nip,
            "period": name,
            "results": "sesuai",
            "behaviour": behaviour,
            "predikat": predikat_of("sesuai", behaviour),
        }
        when = at(plan.period.setup, "11:00", 2 * n)
        subject = f"eval:{employee.nip}:{name}"
        plan.by(supervisor_of(employee.label), when, "evaluation.recorded", subject, data)


def complaint_id(period: Period) -> str:
    return f"lm-ori-bkl-{period.start.year}-0147"


LAPSE = "10:40"


def _counts_at_lapse(plan: Plan, away: int) -> tuple[int, int, int]:
    """The breach unit's staff on the lapse day, those scheduled on site (not on location
    flexibility) and those present at the lapse by the day's latest presence record."""
    day = plan.period.day(*BREACH_DAY)
    staff = [p for p in PEOPLE if p.unit == BREACH_UNIT and p.placed_at(plan.period.start) <= day]
    subjects = {f"presence:{p.nip}" for p in staff}
    latest: dict[str, Mapping[str, object]] = {}
    for event in plan.events:
        ours = event.type == "presence.recorded" and event.subject in subjects
        if ours and event.data["date"] == day.isoformat():
            latest[event.subject] = event.data
    present = sum(
        1
        for d in latest.values()
        if d["location_kind"] == "office"
        and str(d["in"]) <= LAPSE
        and (d["out"] is None or str(d["out"]) > LAPSE)
    )
    return len(staff), len(staff) - away, present


def _ombudsman_step(
    plan: Plan,
    subject: str,
    when: tuple[int, int],
    hhmm: str,
    type_: str,
    data: Mapping[str, object],
    cites: tuple[str, ...] = (),
) -> None:
    """One step of a complaint, taken by the Ombudsman officer on the period's day `when`."""
    plan.add(
        at(plan.period.day(*when), hhmm),
        type_,
        KAB,
        subject,
        OMBUDSMAN_OFFICER,
        data,
        signer=OMBUDSMAN,
        writer="ombudsman",
        cites=cites,
    )


def _complaint(plan: Plan, breach: list[str]) -> None:
    """An Ombudsman report on the short-staffed counter, investigated through the ledger."""
    period, subject = plan.period, complaint_id(plan.period)
    day = period.day(*BREACH_DAY).isoformat()

    filed = {
        "unit": BREACH_UNIT,
        "service": "Pencetakan KTP-el (penggantian karena rusak)",
        "lapse_at": at(period.day(*BREACH_DAY), LAPSE).isoformat(),
        "form": "penundaan_berlarut",
        "summary": (
            "Pelapor datang pukul 08.10 dengan nomor antrean 23; hingga pukul 10.40 loket "
            "perekaman dan pencetakan KTP-el belum melayani. Petugas menyatakan sebagian "
            "operator sedang bekerja dari rumah."
        ),
        "channel": "Pengaduan langsung, Perwakilan Ombudsman RI Provinsi Bengkulu",
    }
    _ombudsman_step(plan, subject, (1, 4), "10:15", "complaint.filed", filed)
    question = (
        f"Mohon klarifikasi tertulis: daftar pegawai yang bertugas di loket pada {day}, dasar "
        "persetujuan fleksibilitas kerja lokasi, dan jumlah minimum pegawai di tempat."
    )
    _ombudsman_step(
        plan, subject, (2, 0), "09:00", "complaint.clarification_requested", {"text": question}
    )
    answer = {
        "text": f"Daftar hadir, log antrean SIAK dan persetujuan fleksibilitas kerja {day}.",
        "evidence_sha256": digest(f"klarifikasi-dukcapil-{day}"),
    }
    kadis = person("syamsul")
    plan.by(kadis, at(period.day(2, 2), "14:00"), "complaint.evidence_submitted", subject, answer)
    staff, scheduled, present = _counts_at_lapse(plan, len(breach))
    finding = {
        "substantiated": True,
        "findings": (
            f"LAHP: terbukti penundaan berlarut. Pada {day} Kepala Bidang menyetujui "
            f"{len(breach)} dari {staff} pegawai bekerja di luar kantor; {scheduled} pegawai "
            f"terjadwal di tempat dan menurut presensi hanya {present} yang hadir pukul 10.40, "
            "di bawah minimum 8, dan kuota unit 30% terlampaui. Permohonan dan persetujuannya "
            "tercatat pada entri terlampir."
        ),
    }
    cited = tuple(tag for rid in breach for tag in (f"requested:{rid}", f"decided:{rid}"))
    _ombudsman_step(
        plan, subject, (2, 4), "15:30", "complaint.finding_recorded", finding, cites=cited
    )
    action = {
        "action": (
            "Kepala Dinas menetapkan jadwal fleksibilitas kerja bergilir yang menjaga minimum 8 "
            "pegawai di loket selama jam layanan, dan melaporkan pelaksanaannya."
        ),
        "due": period.day(6, 4).isoformat(),
    }
    _ombudsman_step(plan, subject, (2, 4), "15:45", "complaint.corrective_action_set", action)


def minor_complaint_id(period: Period) -> str:
    return f"lm-ori-bkl-{period.start.year}-0152"


def _minor_complaint(plan: Plan) -> None:
    """A smaller report on the birth-certificate counter, found after a site visit without any
    clarification asked of the agency: out of the Ombudsman's own sequence."""
    period, subject = plan.period, minor_complaint_id(plan.period)
    lapse = at(period.day(0, 1), "14:10")

    filed = {
        "unit": BREACH_UNIT,
        "service": "Penerbitan akta kelahiran",
        "lapse_at": lapse.isoformat(),
        "form": "tidak_memberikan_pelayanan",
        "summary": (
            "Pelapor mendapati loket akta kelahiran tutup pukul 14.10, sebelum jam layanan "
            "berakhir pukul 15.00, dan diminta kembali keesokan hari."
        ),
        "channel": "Pengaduan daring, Perwakilan Ombudsman RI Provinsi Bengkulu",
    }
    _ombudsman_step(plan, subject, (0, 2), "09:30", "complaint.filed", filed)
    finding = {
        "substantiated": False,
        "findings": (
            f"LAHP: tidak terbukti. Peninjauan lapangan pada {period.day(0, 4).isoformat()}: "
            "layanan akta kelahiran dipindahkan ke loket 3 selama perbaikan jaringan pada "
            f"{lapse.date().isoformat()}, dan pelapor dilayani pukul 14.25 pada hari itu."
        ),
    }
    _ombudsman_step(plan, subject, (1, 0), "11:00", "complaint.finding_recorded", finding)
    closure = {"outcome": "Ditutup: laporan tidak terbukti; pelapor telah menerima akta kelahiran."}
    _ombudsman_step(plan, subject, (1, 1), "09:00", "complaint.closed", closure)


def _annotation(plan: Plan) -> None:
    """The inspectorate notes the backdated report on the request it belongs to."""
    period = plan.period
    rid = request_id(person("riki"), period, 1)
    note = {
        "note": "Laporan output diunggah empat hari setelah tanggal kerja; diminta klarifikasi "
        "dan diperiksa pada audit kinerja berikutnya."
    }
    cited = (f"output:{rid}:{period.day(1, 0).isoformat()}",)
    when = at(period.day(2, 0), "10:30")
    plan.add(when, "entry.annotated", KAB, rid, INSPECTOR, note, signer=INSPECTORATE, cites=cited)


def _evaluations(plan: Plan, arranged: list[Arrangement]) -> None:
    """End-of-period evaluations; BKPSDM's head records one in place of the assessor."""
    period = plan.period
    worked = list(dict.fromkeys(a.who for a in arranged if a.work_days()))
    short = {a.who for a in arranged if a.unreported}
    for n, who in enumerate(worked):
        employee = person(who)
        evaluator = person("firmansyah") if who == "novita" else supervisor_of(who)
        results = "di_bawah" if who in short else ("di_atas" if n % 4 == 0 else "sesuai")
        behaviour = "di_atas" if n % 6 == 0 else "sesuai"
        if employee.discipline != "none":
            behaviour = "di_bawah"
        data: dict[str, object] = {
            "employee": employee.nip,
            "period": period.label,
            "results": results,
            "behaviour": behaviour,
            "predikat": predikat_of(results, behaviour),
        }
        if who == MISGRADED:  # recorded with a grade the quadrant does not give
            data["predikat"] = "baik" if data["predikat"] == "sangat_baik" else "sangat_baik"
        subject = f"eval:{employee.nip}:{period.label}"
        when = at(period.day(2, 4), "13:30", 3 * n)
        plan.by(evaluator, when, "evaluation.recorded", subject, data)


def build_plan(period: Period) -> list[Planned]:
    """Every agency and oversight event of the demo (operator events are not part of it)."""
    plan = Plan(period)
    _setup(plan)
    _closed_month_evaluations(plan)
    writer = Writer(plan)
    arranged = arrangements()
    week, weekday = BREACH_DAY
    breach: list[str] = []
    for a in arranged:
        rid = writer.write(a)
        on_breach_day = a.week == week and weekday in a.work_days()
        if on_breach_day and a.kind == "location" and a.person.unit == BREACH_UNIT:
            breach.append(rid)
    record_presence(plan, writer.worked, period.day(*BREACH_DAY))
    who, when = PENALISED
    penalty = {"discipline": "penalty", "basis": "Keputusan Bupati: hukuman disiplin sedang"}
    plan.hr(KAB, at(period.day(*when), "10:00"), "employee.updated", person(who).nip, penalty)
    revised = policy_data(KAB, 2, period.day(2, 0))
    plan.hr(KAB, at(period.day(1, 3), "10:00"), "policy.enacted", f"policy:{KAB}", revised)
    _complaint(plan, breach)
    _minor_complaint(plan)
    _annotation(plan)
    _evaluations(plan, arranged)
    return plan.events
