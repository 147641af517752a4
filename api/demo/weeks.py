"""The demo's weekly arrangements: regular patterns, the weeks that went differently, extras."""

from __future__ import annotations

from dataclasses import replace

from api.demo.plan import WEEKS
from api.demo.work import Arrangement

A = Arrangement
OTHER_OFFICE = ("other_office", "Kantor UPTD Dukcapil Kecamatan Ketahun")
FIELD = (
    "designated",
    "Kantor Camat Arga Makmur, Ketahun dan Putri Hijau (verifikasi faktual data ASN)",
)
COWORKING = ("designated", "Ruang kerja bersama swasta, Jl. Sudirman, Jakarta Selatan")
CARE = "Mengasuh anak balita; pekerjaan dapat diselesaikan secara daring."
COMMUTE = "Jarak tempuh rumah ke kantor lebih dari 40 km; pekerjaan dapat dilakukan daring."
FOCUS = "Penyelesaian target pengolahan data yang membutuhkan waktu kerja tanpa gangguan."
TRAFFIC = "Mengurangi waktu perjalanan; seluruh pekerjaan terhubung melalui aplikasi."
SHIFT = "Jadwal sif layanan daring di luar jam layanan tatap muka."

# Weekdays: 0 = Monday. Each unit stays within its quota and on-site minimum on regular weeks.
REGULAR = (
    # Dinas Dukcapil, Bengkulu Utara: public service, 12 staff, at least 8 on site, quota 30%.
    A("desi", 0, (0, 2), FOCUS),
    A("rina", 0, (1, 3), COMMUTE),
    A("fitri", 0, (1, 4), CARE),
    A("andi", 0, (0, 3), FOCUS),
    A("yudi", 0, (0, 2, 4), SHIFT, kind="time", pattern="shift"),
    A("sri", 0, (1, 3), CARE, kind="time", pattern="dynamic"),
    # BKPSDM, Bengkulu Utara: back office, 10 staff, quota 30% (25% from week 3).
    A("dedi", 0, (0, 2), FOCUS),
    A("novita", 0, (1, 3), CARE),
    A("riki", 0, (0, 3), COMMUTE),
    A("wulan", 0, (1, 3), CARE, kind="time", pattern="dynamic"),
    A("agus", 0, (2, 4), FOCUS),
    A("eka", 0, (1, 4), TRAFFIC),
    # Unit Layanan Terpadu, Kementerian PANRB: public service, 8 staff, at least 5 on site.
    A("arif", 0, (0, 2), TRAFFIC),
    A("siti", 0, (1, 3), CARE),
    A("bayu", 0, (2, 4), FOCUS),
    A("dewi", 0, (0, 3), COMMUTE),
    A("fauzan", 0, (0, 2, 4), SHIFT, kind="time", pattern="shift"),
    # Biro SDM dan Organisasi, Kementerian PANRB: back office, 10 staff, quota 30%.
    A("galih", 0, (1, 3), COMMUTE),
    A("intan", 0, (0, 2), CARE),
    A("rizky", 0, (2, 4), FOCUS),
    A("ayu", 0, (0, 3), TRAFFIC),
    A("hendro", 0, (1, 4), COMMUTE),
    A("putri", 0, (0, 2), CARE, kind="time", pattern="dynamic"),
    A("dimas", 0, (1, 3), FOCUS),
    A("yoga", 0, (0, 4), TRAFFIC),
)

# Weeks that went differently: each replaces that employee's regular arrangement.
CHANGED = (
    A("andi", 0, (0, 3), FOCUS, unreported=(0,)),  # no output report for Monday
    A("dedi", 0, (0, 1, 2), FOCUS),  # three location days: over the weekly cap
    A("novita", 0, (1, 3), CARE, revision="Target belum terukur; sebutkan jumlah berkas per hari."),
    A("intan", 0, (0, 2), CARE, approver="agung", note="Kepala Bagian sedang cuti tahunan."),
    A("rina", 1, (2, 3), COMMUTE),  # week 2: four, then five Dukcapil staff off on Wednesday
    A("fitri", 1, (2, 4), CARE),
    A("andi", 1, (2, 3), FOCUS),
    A("riki", 1, (0, 3), COMMUTE, backdated=(0,)),  # Monday's report sent on Friday
    A(
        "eka",
        1,
        (1, 4),
        TRAFFIC,
        outcome="rejected",
        note="Verifikasi berkas usul pensiun dilakukan bersama di kantor minggu ini.",
    ),
    A("ayu", 1, (0, 3), TRAFFIC, decided=(1, 1)),  # decided on Tuesday, after the first day
    A(
        "hendro",
        1,
        (1, 4),
        COMMUTE,
        revoke_from=4,
        revoke_reason="Rapat koordinasi penetapan kebutuhan ASN dimajukan; wajib hadir di kantor.",
    ),
    A(
        "agus",
        2,
        (1, 2, 4),
        "Verifikasi faktual data ASN di tiga kecamatan.",
        place=FIELD,
        special="field_duty",
    ),
    A("desi", 2, (0, 2), FOCUS, future_dated=(2,)),  # Wednesday's report dated three days ahead
    A("bayu", 2, (2, 4), FOCUS, unreported=(4,)),
    A("galih", 2, (1, 3), COMMUTE, unreported=(3,)),
    A("dimas", 2, (1, 3), FOCUS, withdraw="Dijadwalkan mengikuti asesmen kompetensi di kantor."),
    A(
        "yoga",
        2,
        (0, 4),
        TRAFFIC,
        outcome="rejected",
        note="Tenggat rekonsiliasi data formasi; tim hadir di kantor.",
        approver="agung",  # rejected by the head of bureau, not by the supervisor
    ),
)

# Requests outside the regular patterns, decided after the others of their week.
EXTRA = (
    A("tri", 0, (2, 4), COMMUTE, place=OTHER_OFFICE),  # placed 30 days ago: in probation
    A("meli", 1, (2,), "Keperluan keluarga; entri data dapat dikerjakan dari rumah."),  # fifth off
    A(
        "joni",
        1,
        (3,),
        "Keperluan keluarga.",  # under disciplinary proceedings, then penalised on Tuesday
        revoke_from=3,
        revoke_reason="Dijatuhi hukuman disiplin; fleksibilitas kerja dicabut.",
    ),
    A("yuliana", 1, (4,), "Menyusun laporan kinerja bidang.", approver="yuliana"),  # self-approved
    A("slamet", 1, (1,), "Menyusun daftar arsip inaktif."),  # archivist: position not eligible
    A("laras", 2, (1,), FOCUS, place=COWORKING),  # a location the policy does not designate
)

ABSENT = frozenset({("eka", 2)})  # in training at the office in week 3


def arrangements() -> list[Arrangement]:
    """Every weekly request of the period, in the order each approver handles them."""
    changed = {(a.who, a.week): a for a in CHANGED}
    found: list[Arrangement] = []
    for week in range(WEEKS):
        for regular in REGULAR:
            if (regular.who, week) not in ABSENT:
                found.append(changed.get((regular.who, week), replace(regular, week=week)))
        found += [a for a in EXTRA if a.week == week]
    return found
