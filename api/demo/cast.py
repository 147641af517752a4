"""The demo's cast: organisations, units, employees, policies and signing keys (all fictional)."""

# ruff: noqa: E501  (the people table reads best as one row per person)

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.signing import EnvelopeSigner

KAB = "kab-bengkulu-utara"
KEMEN = "kemenpanrb"
OMBUDSMAN = "ombudsman-ri"
INSPECTORATE = "inspektorat-bengkulu-utara"

ORGS: tuple[tuple[str, str, str], ...] = (
    (KAB, "agency", "Pemerintah Kabupaten Bengkulu Utara"),
    (KEMEN, "agency", "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi"),
    (OMBUDSMAN, "ombudsman", "Ombudsman Republik Indonesia"),
    (INSPECTORATE, "inspectorate", "Inspektorat Daerah Kabupaten Bengkulu Utara"),
)
AGENCIES = (KAB, KEMEN)

# Officials of the oversight bodies (actors of their events; not enrolled employees).
OMBUDSMAN_OFFICER = "198612032011012007"  # Asisten Ombudsman, Perwakilan Bengkulu
INSPECTOR = "197908152005011004"  # Auditor Ahli Madya, Inspektorat Daerah


@dataclass(frozen=True)
class UnitSpec:
    id: str
    agency: str
    name: str
    public_service: bool
    service_hours: tuple[str, str]
    min_on_site: int


UNITS = (
    UnitSpec(
        "bu-disdukcapil",
        KAB,
        "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Bengkulu Utara (layanan adminduk)",
        True,
        ("08:00", "15:00"),
        8,
    ),
    UnitSpec(
        "bu-bkpsdm",
        KAB,
        "Bidang Pengadaan, Pemberhentian dan Informasi Kepegawaian, BKPSDM",
        False,
        ("07:30", "16:00"),
        0,
    ),
    UnitSpec(
        "panrb-ult",
        KEMEN,
        "Unit Layanan Terpadu, Biro Hukum, Komunikasi dan Informasi Publik",
        True,
        ("08:00", "16:00"),
        5,
    ),
    UnitSpec(
        "panrb-biro-sdm",
        KEMEN,
        "Biro Sumber Daya Manusia dan Organisasi",
        False,
        ("07:30", "16:00"),
        0,
    ),
)


@dataclass(frozen=True)
class Person:
    """An enrolled employee; `placed` is an ISO date or a number of days before the period."""

    label: str
    nip: str
    name: str
    unit: str
    position: str
    supervisor: str | None  # label
    placed: str | int
    discipline: str = "none"

    @property
    def agency(self) -> str:
        return next(u.agency for u in UNITS if u.id == self.unit)

    def placed_at(self, period_start: date) -> date:
        if isinstance(self.placed, int):
            return period_start - timedelta(days=self.placed)
        return date.fromisoformat(self.placed)


_D, _B, _U, _S = "bu-disdukcapil", "bu-bkpsdm", "panrb-ult", "panrb-biro-sdm"

# fmt: off
PEOPLE = (
    # Dinas Kependudukan dan Pencatatan Sipil, Kabupaten Bengkulu Utara
    Person("syamsul", "196907141994031005", "Drs. Syamsul Bahri, M.Si.", _D, "kepala-dinas", None, "2021-02-01"),
    Person("hendra", "197805222003121002", "Hendra Gunawan, S.Sos., M.M.", _D, "kepala-bidang", "syamsul", "2020-07-13"),
    Person("rina", "198903172014022001", "Rina Marlina, S.Kom.", _D, "pranata-komputer-ahli-pertama", "hendra", "2016-03-01"),
    Person("yudi", "199101052015031003", "Yudi Pratama, A.Md.", _D, "pranata-komputer-terampil", "hendra", "2017-01-02"),
    Person("desi", "198712082011012004", "Desi Ratnasari, S.E.", _D, "analis-data-kependudukan", "hendra", "2014-05-12"),
    Person("fitri", "199004272015032002", "Fitri Handayani, S.Sos.", _D, "verifikator-berkas-kependudukan", "hendra", "2018-09-03"),
    Person("andi", "198608142010011006", "Andi Saputra, S.H.", _D, "pengelola-data-pencatatan-sipil", "hendra", "2013-01-07"),
    Person("meli", "199207302017082003", "Meli Susanti, A.Md.", _D, "pengadministrasi-kependudukan", "hendra", "2019-02-01"),
    Person("rudi", "198402112009011004", "Rudi Hartono", _D, "petugas-pelayanan-loket", "hendra", "2012-04-02"),
    Person("sri", "198811232014022005", "Sri Wahyuni, S.Pd.", _D, "pengadministrasi-kependudukan", "hendra", "2015-08-03"),
    Person("tri", "199409062019032006", "Tri Wulandari, S.Kom.", _D, "pranata-komputer-ahli-pertama", "hendra", 30),
    Person("bambang", "197910302006041002", "Bambang Irawan", _D, "petugas-pelayanan-loket", "hendra", "2010-06-01"),
    # BKPSDM, Kabupaten Bengkulu Utara
    Person("firmansyah", "197503152000121001", "Dr. Firmansyah, S.STP., M.Si.", _B, "kepala-badan", None, "2022-01-10"),
    Person("yuliana", "198006182005022003", "Yuliana Sari, S.E., M.M.", _B, "kepala-bidang", "firmansyah", "2021-03-01"),
    Person("dedi", "198810102014031002", "Dedi Kurniawan, S.Kom.", _B, "pranata-komputer-ahli-muda", "yuliana", "2015-04-01"),
    Person("novita", "199003252015032003", "Novita Anggraini, S.Psi.", _B, "analis-sdm-aparatur-ahli-pertama", "yuliana", "2017-02-01"),
    Person("agus", "198502202009011003", "Agus Salim, S.AP.", _B, "analis-sdm-aparatur-ahli-muda", "yuliana", "2012-11-01"),
    Person("wulan", "199211152017082001", "Wulan Dari, A.Md.", _B, "pengelola-data-kepegawaian", "yuliana", "2019-01-02"),
    Person("riki", "199306012019031004", "Riki Firmansyah, S.T.", _B, "pranata-komputer-ahli-pertama", "yuliana", "2020-06-01"),
    Person("eka", "198907212014022002", "Eka Putri Lestari, S.H.", _B, "analis-hukum-ahli-pertama", "yuliana", "2016-01-04"),
    Person("joni", "198112042008011007", "Joni Iskandar", _B, "pengadministrasi-umum", "yuliana", "2011-03-01", "proceedings"),
    Person("ratna", "198605092010012008", "Ratna Dewi, S.Sos.", _B, "arsiparis-ahli-pertama", "yuliana", "2013-07-01"),
    # Unit Layanan Terpadu, Kementerian PANRB
    Person("endang", "197012121996032002", "Dra. Endang Purwaningsih, M.Si.", _U, "kepala-bagian", None, "2019-10-01"),
    Person("arif", "198709092012121001", "Arif Rahman Hakim, S.I.Kom.", _U, "pranata-humas-ahli-muda", "endang", "2014-01-02"),
    Person("siti", "199202142018012001", "Siti Rahmawati, S.Sos.", _U, "pengelola-layanan-informasi", "endang", "2019-03-01"),
    Person("bayu", "199105252016021001", "Bayu Aji Nugroho, S.Kom.", _U, "pranata-komputer-ahli-pertama", "endang", "2017-04-03"),
    Person("dewi", "199008182015032002", "Dewi Anggraeni, S.IP.", _U, "analis-pengaduan-masyarakat", "endang", "2016-08-01"),
    Person("fauzan", "198911032014031001", "Muhammad Fauzan, S.H.", _U, "analis-hukum-ahli-pertama", "endang", "2015-09-01"),
    Person("laras", "199312302019022001", "Larasati Wijayanti, A.Md.", _U, "pengadministrasi-layanan", "endang", "2020-02-03"),
    Person("slamet", "197604171999031003", "Slamet Riyadi, A.Md.", _U, "arsiparis-terampil", "endang", "2008-05-01"),
    # Biro Sumber Daya Manusia dan Organisasi, Kementerian PANRB
    Person("agung", "197102281997031001", "Dr. Agung Prasetyo, S.H., M.Si.", _S, "kepala-biro", None, "2022-06-01"),
    Person("nurul", "198104112006042001", "Nurul Hidayah, S.Psi., M.Psi.", _S, "kepala-bagian", "agung", "2021-01-04"),
    Person("galih", "198806062013021002", "Galih Permana, S.E.", _S, "analis-sdm-aparatur-ahli-muda", "nurul", "2014-03-03"),
    Person("intan", "199110292016022003", "Intan Permatasari, S.Psi.", _S, "analis-sdm-aparatur-ahli-pertama", "nurul", "2017-05-02"),
    Person("rizky", "199401172019031002", "Rizky Ramadhan, S.Kom.", _S, "pranata-komputer-ahli-pertama", "nurul", "2020-03-02"),
    Person("ayu", "199203082017082002", "Ayu Kartika Sari, S.AP.", _S, "analis-kebijakan-ahli-pertama", "nurul", "2018-10-01"),
    Person("hendro", "198312252009011005", "Hendro Wibowo, S.Sos.", _S, "analis-sdm-aparatur-ahli-muda", "nurul", "2011-02-01"),
    Person("putri", "199506222020122001", "Putri Maharani, S.H.", _S, "perancang-peraturan-ahli-pertama", "nurul", "2022-01-03"),
    Person("dimas", "199209122018011001", "Dimas Aryo Seto, S.Kom.", _S, "pranata-komputer-ahli-pertama", "nurul", "2019-04-01"),
    Person("yoga", "198910192015031002", "Yoga Pratama, S.T.", _S, "analis-sdm-aparatur-ahli-pertama", "nurul", "2016-05-02"),
)
# fmt: on

BY_LABEL = {person.label: person for person in PEOPLE}


def person(label: str) -> Person:
    return BY_LABEL[label]


def supervisor_of(label: str) -> Person:
    boss = BY_LABEL[label].supervisor
    if boss is None:
        raise KeyError(f"{label} has no supervisor in the demo")
    return BY_LABEL[boss]


# Who signs the HR events of each agency (an official of the agency).
HR_OFFICIAL = {KAB: "firmansyah", KEMEN: "agung"}

# Eligible positions: everyone except front-counter staff, agency heads and physical archives.
_KAB_POSITIONS = sorted(
    {p.position for p in PEOPLE if p.agency == KAB}
    - {"petugas-pelayanan-loket", "kepala-dinas", "kepala-badan"}
)
_KEMEN_POSITIONS = sorted(
    {p.position for p in PEOPLE if p.agency == KEMEN} - {"arsiparis-terampil", "kepala-biro"}
)


# Ramadan 1448 H as the policies list it: 32.5 working hours a week (PermenPANRB 4/2025).
RAMADAN = {"from": "2027-02-08", "to": "2027-03-09", "weekly_hours": 32.5}
KAB_EVALUATION_DEADLINE_DAYS = 10  # a month's evaluations are due ten days after it ends


def policy_data(agency: str, version: int, effective_from: date) -> dict[str, object]:
    """The `policy.enacted` data of one version of an agency's flexible-work policy."""
    if agency == KAB:
        data: dict[str, object] = {
            "title": "Peraturan Bupati Bengkulu Utara tentang Fleksibilitas Kerja ASN",
            "legal_basis": "PermenPANRB Nomor 4 Tahun 2025",
            "version": version,
            "effective_from": effective_from.isoformat(),
            "max_location_days_per_week": 2,
            "unit_quota_pct": 30 if version == 1 else 25,
            "probation_days": 90,
            "core_hours": {"start": "09:00", "end": "14:00"},
            "eligible_positions": _KAB_POSITIONS,
            "decision_window_days": 1,
            "output_report_deadline_days": 1,
            "backdating_limit_hours": 48,
            "strict": [] if version == 1 else ["self-approval"],
            "weekly_hours": 37.5,
            "ramadan": RAMADAN,
            "evaluation_cadence": "monthly",
            "evaluation_deadline_days": KAB_EVALUATION_DEADLINE_DAYS,
            "designated_locations": [
                {
                    "id": "kecamatan-verifikasi",
                    "description": "Kantor Camat Arga Makmur, Ketahun dan Putri Hijau "
                    "(verifikasi faktual data ASN)",
                }
            ],
        }
        if version > 1:
            data["title"] = "Perubahan atas " + str(data["title"])
            data["change_note"] = (
                "Kuota unit diturunkan menjadi 25% dan persetujuan atas permohonan sendiri "
                "ditolak sistem, menindaklanjuti temuan layanan adminduk."
            )
        return data
    return {
        "title": "Keputusan Sekretaris Kementerian tentang Pelaksanaan Fleksibilitas Kerja",
        "legal_basis": "PermenPANRB Nomor 4 Tahun 2025",
        "version": version,
        "effective_from": effective_from.isoformat(),
        "max_location_days_per_week": 2,
        "unit_quota_pct": 30,
        "probation_days": 180,
        "core_hours": {"start": "09:00", "end": "15:00"},
        "eligible_positions": _KEMEN_POSITIONS,
        "decision_window_days": 0,
        "output_report_deadline_days": 2,
        "backdating_limit_hours": 72,
        "strict": [],
        "weekly_hours": 37.5,
        "ramadan": RAMADAN,
        "evaluation_cadence": "semester",
        "designated_locations": [
            {"id": "mpp-jakarta", "description": "Mal Pelayanan Publik DKI Jakarta"}
        ],
    }


@dataclass(frozen=True)
class KeySpec:
    label: str
    org: str
    holder: str | None  # NIP


KEYS = (
    KeySpec(KAB, KAB, None),  # the BKPSDM e-Kinerja integration
    KeySpec("hendra", KAB, person("hendra").nip),
    KeySpec("yuliana", KAB, person("yuliana").nip),
    KeySpec(KEMEN, KEMEN, None),  # the Biro SDM e-Kinerja integration
    KeySpec("endang", KEMEN, person("endang").nip),
    KeySpec("nurul", KEMEN, person("nurul").nip),
    KeySpec(OMBUDSMAN, OMBUDSMAN, OMBUDSMAN_OFFICER),
    KeySpec(INSPECTORATE, INSPECTORATE, INSPECTOR),
)


def signer_for(label: str) -> EnvelopeSigner:
    """The key of `label`, derived from a fixed string so every run signs with the same keys."""
    seed = hashlib.sha256(f"jejak-demo/key/{label}".encode()).digest()
    return EnvelopeSigner(Ed25519PrivateKey.from_private_bytes(seed))
