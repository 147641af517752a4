"""The demo's story: setup, three weeks of flexible work, a complaint and the evaluations."""

from __future__ import annotations

from collections.abc import Mapping

from api.demo.cast import (
    AGENCIES,
    INSPECTOR,
    INSPECTORATE,
    KAB,
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
from domain.rules.evaluations import predikat_of

BREACH_DAY = (1, 2)  # week 2 Wednesday: five of twelve Dukcapil staff approved off site
BREACH_UNIT = "bu-disdukcapil"
MISGRADED = "siti"  # her predikat does not follow from her results and behaviour
PENALISED = ("joni", (1, 1))  # a disciplinary penalty recorded on week 2 Tuesday


def _setup(plan: Plan) -> None:
    """Each agency's policy, units and employees, entered by its HR office on setup day."""
    period = plan.period
    for n, agency in enumerate(AGENCIES):
        when = at(period.setup, "09:00", 30 * n)
        policy = policy_data(agency, 1, period.setup)
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


def complaint_id(period: Period) -> str:
    return f"lm-ori-bkl-{period.start.year}-0147"


def _complaint(plan: Plan, breach: list[str]) -> None:
    """An Ombudsman report on the short-staffed counter, investigated through the ledger."""
    period, subject = plan.period, complaint_id(plan.period)
    day = period.day(*BREACH_DAY).isoformat()

    def ombudsman(
        when: tuple[int, int],
        hhmm: str,
        type_: str,
        data: Mapping[str, object],
        cites: tuple[str, ...] = (),
    ) -> None:
        moment = at(period.day(*when), hhmm)
        plan.add(
            moment,
            type_,
            KAB,
            subject,
            OMBUDSMAN_OFFICER,
            data,
            signer=OMBUDSMAN,
            writer="ombudsman",
            cites=cites,
        )

    filed = {
        "unit": BREACH_UNIT,
        "service": "Pencetakan KTP-el (penggantian karena rusak)",
        "lapse_at": at(period.day(*BREACH_DAY), "10:40").isoformat(),
        "form": "penundaan_berlarut",
        "summary": (
            "Pelapor datang pukul 08.10 dengan nomor antrean 23; hingga pukul 10.40 loket "
            "perekaman dan pencetakan KTP-el belum melayani. Petugas menyatakan sebagian "
            "operator sedang bekerja dari rumah."
        ),
        "channel": "Pengaduan langsung, Perwakilan Ombudsman RI Provinsi Bengkulu",
    }
    ombudsman((1, 4), "10:15", "complaint.filed", filed)
    question = (
        f"Mohon klarifikasi tertulis: daftar pegawai yang bertugas di loket pada {day}, dasar "
        "persetujuan fleksibilitas kerja lokasi, dan jumlah minimum pegawai di tempat."
    )
    ombudsman((2, 0), "09:00", "complaint.clarification_requested", {"text": question})
    answer = {
        "text": f"Daftar hadir, log antrean SIAK dan persetujuan fleksibilitas kerja {day}.",
        "evidence_sha256": digest(f"klarifikasi-dukcapil-{day}"),
    }
    kadis = person("syamsul")
    plan.by(kadis, at(period.day(2, 2), "14:00"), "complaint.evidence_submitted", subject, answer)
    finding = {
        "substantiated": True,
        "findings": (
            f"LAHP: terbukti penundaan berlarut. Pada {day} Kepala Bidang menyetujui 5 dari 12 "
            "pegawai bekerja di luar kantor; hanya 7 pegawai di tempat, di bawah minimum 8, dan "
            "kuota unit 30% terlampaui. Permohonan dan persetujuannya tercatat pada entri "
            "terlampir."
        ),
    }
    cited = tuple(tag for rid in breach for tag in (f"requested:{rid}", f"decided:{rid}"))
    ombudsman((2, 4), "15:30", "complaint.finding_recorded", finding, cites=cited)
    action = {
        "action": (
            "Kepala Dinas menetapkan jadwal fleksibilitas kerja bergilir yang menjaga minimum 8 "
            "pegawai di loket selama jam layanan, dan melaporkan pelaksanaannya."
        ),
        "due": period.day(6, 4).isoformat(),
    }
    ombudsman((2, 4), "15:45", "complaint.corrective_action_set", action)


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
    _annotation(plan)
    _evaluations(plan, arranged)
    return plan.events
