"""The pages' words in Bahasa Indonesia and English, the regulation's terms, and local times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from verification import terms
from verification.terms import RULE_TERMS, STATUS_TERMS

Lang = Literal["id", "en"]
LANGS: tuple[Lang, ...] = ("id", "en")
DEFAULT_ZONE = "Asia/Jakarta"
# Agencies outside WIB: the zone of their seat (WITA Asia/Makassar, WIT Asia/Jayapura).
AGENCY_ZONES: Mapping[str, str] = {}

# (Bahasa Indonesia, English) for each word the templates use.
WORDS: Mapping[str, tuple[str, str]] = {
    "app": ("Jejak — buku besar kerja fleksibel ASN", "Jejak — ledger of ASN flexible work"),
    "sign_in": ("Masuk", "Sign in"),
    "sign_out": ("Keluar", "Sign out"),
    "token": ("Token akses", "Access token"),
    "token_help": (
        "Tempelkan token sekali; token ditukar dengan sesi di peramban ini.",
        "Paste the token once; it is exchanged for a session in this browser.",
    ),
    "token_unknown": ("Token tidak dikenal.", "The token is not known."),
    "csrf_failed": ("Formulir kedaluwarsa; coba lagi.", "The form expired; try again."),
    "signed_in_as": ("Masuk sebagai", "Signed in as"),
    "home": ("Beranda", "Home"),
    "agencies": ("Instansi", "Agencies"),
    "dashboard": ("Dasbor kepatuhan", "Compliance dashboard"),
    "complaints": ("Pengaduan", "Complaints"),
    "complaint": ("Pengaduan", "Complaint"),
    "flags_by_month": ("Penanda per aturan dan bulan", "Flags per rule and month"),
    "no_flags": ("Tidak ada penanda.", "No flags."),
    "requests": ("Permohonan kerja fleksibel", "Flexible-work requests"),
    "units": ("Unit kerja", "Units"),
    "calendar": ("Kalender unit", "Unit calendar"),
    "filter": ("Saring", "Filter"),
    "all": ("semua", "all"),
    "status": ("Status", "Status"),
    "employee": ("Pegawai", "Employee"),
    "unit": ("Unit", "Unit"),
    "from": ("Dari", "From"),
    "to": ("Sampai", "To"),
    "kind": ("Jenis", "Kind"),
    "dates": ("Tanggal", "Dates"),
    "approver": ("Penyetuju", "Approver"),
    "policy": ("Versi kebijakan", "Policy version"),
    "flags": ("Penanda", "Flags"),
    "entries": ("Entri", "Entries"),
    "next_page": ("Halaman berikutnya", "Next page"),
    "on_site": ("Di kantor", "On site"),
    "minimum": ("Minimum di kantor", "On-site minimum"),
    "quota": ("Kuota fleksibel lokasi", "Location-flexibility quota"),
    "away": ("Fleksibel lokasi", "On location flexibility"),
    "time_flex": ("Fleksibel waktu", "On time flexibility"),
    "breached": ("dilanggar", "breached"),
    "held": ("terpenuhi", "held"),
    "staff": ("Pegawai unit", "Staff"),
    "month": ("Bulan", "Month"),
    "timeline": ("Linimasa subjek", "Subject timeline"),
    "who": ("Siapa", "Who"),
    "when": ("Kapan", "When"),
    "what": ("Apa", "What"),
    "proof": ("Bukti", "Proof"),
    "integrated": ("dicatat", "integrated"),
    "leaf_hash": ("Hash daun", "Leaf hash"),
    "checkpoint": ("Checkpoint", "Checkpoint"),
    "log": ("Log", "Log"),
    "root": ("Akar (root)", "Root"),
    "inclusion": ("bukti inklusi", "inclusion proof"),
    "state": ("Keadaan", "State"),
    "entry": ("Entri", "Entry"),
    "payload": ("Muatan", "Payload"),
    "report": ("Laporan pemeriksaan", "Investigation report"),
    "lapse": ("Waktu kelalaian", "Lapse at"),
    "form": ("Bentuk maladministrasi", "Form of maladministration"),
    "service": ("Layanan", "Service"),
    "complaint_timeline": ("Linimasa pengaduan", "Complaint timeline"),
    "unit_at_lapse": ("Unit saat kelalaian", "The unit at the lapse"),
    "basis_office": ("tanpa pengaturan fleksibel (kantor)", "no flexible arrangement (office)"),
    "arrangement": ("Pengaturan", "Arrangement"),
    "by_supervisor": ("Oleh atasan langsung", "By the supervisor"),
    "yes": ("ya", "yes"),
    "no": ("TIDAK", "NO"),
    "outputs": ("Laporan keluaran", "Output reports"),
    "attendance": ("Kehadiran", "Attendance"),
    "findings": ("Temuan dari buku besar", "Findings from the ledger"),
    "earlier": ("Pengaduan dan penanda sebelumnya", "Earlier complaints and flags"),
    "rests_on": ("Dasar bukti", "What it rests on"),
    "log_key": ("Kunci log (sidik jari SHA-256)", "Log key (SHA-256 fingerprint)"),
    "generated": ("Dibuat pada", "Generated at"),
    "download_bundle": ("Unduh bundel verifikasi", "Download the verification bundle"),
    "verify_hint": (
        "Periksa bundel secara luring: jejak verify BUNDEL --log-key KUNCI",
        "Check the bundle offline: jejak verify BUNDLE --log-key KEY",
    ),
    "print": ("Cetak", "Print"),
    "not_found": ("Tidak ditemukan", "Not found"),
    "not_found_text": (
        "Halaman ini tidak ada atau tidak boleh dibaca dengan sesi ini.",
        "This page does not exist or may not be read with this session.",
    ),
    "none": ("—", "—"),
    "role_operator": ("Operator buku besar", "Ledger operator"),
    "role_agency": ("Instansi", "Agency"),
    "role_ombudsman": ("Ombudsman RI", "Ombudsman RI"),
    "role_inspector": ("Inspektorat / APIP", "Inspectorate / APIP"),
    "language": ("English", "Bahasa Indonesia"),
    "presence_at": ("Kehadiran pada pukul", "Presence at"),
    "schedule": ("Jadwal", "Schedule"),
    "present": ("Hadir di kantor", "Present in the office"),
    "basis": ("Dasar", "Basis"),
    "verify": ("Verifikasi bundel", "Verify a bundle"),
    "verify_help": (
        "Diperiksa di peramban ini (WebCrypto): tanda tangan checkpoint, hash daun, bukti "
        "inklusi dan konsistensi, rantai subjek, kunci dan tanda tangan DSSE. Tidak ada yang "
        "dikirim ke server; hanya kunci log yang diambil.",
        "Checked in this browser (WebCrypto): the checkpoint signature, leaf hashes, inclusion "
        "and consistency proofs, subject chains, keys and DSSE signatures. Nothing is sent to "
        "the server; only the log key is fetched.",
    ),
    "bundle_file": ("Berkas bundel", "Bundle file"),
    "trusted_checkpoint": ("Checkpoint tepercaya (opsional)", "Trusted checkpoint (optional)"),
    "log_key_input": ("Kunci log (kosong: dari server)", "Log key (empty: from the server)"),
}

EVENT_TERMS: Mapping[str, tuple[str, str]] = terms.EVENT_TERMS

# The regulation's terms for the codes (the flag rules' and event types' names are shared with
# the verifier: verification/terms.py) the domain uses (labels not listed: the code, capitalised).
TERMS: Mapping[str, tuple[str, str]] = {
    **STATUS_TERMS,
    "location": ("Fleksibel lokasi", "Location flexibility"),
    "time": ("Fleksibel waktu", "Time flexibility"),
    "domicile": ("Domisili terdaftar", "Registered domicile"),
    "other_office": ("Kantor lain instansi", "Another office of the agency"),
    "designated": ("Lokasi yang ditetapkan", "Designated location"),
    "office": ("Kantor", "Office"),
    "on_site": ("Di kantor", "On site"),
    "location_flexibility": ("Fleksibel lokasi", "Location flexibility"),
    "time_flexibility": ("Fleksibel waktu", "Time flexibility"),
    "presence": ("Catatan kehadiran", "Presence record"),
    "scheduled": ("Jadwal (tanpa catatan kehadiran)", "Schedule (no presence record)"),
    "no record": ("Tidak ada catatan", "No record"),
    "no_record": ("Tidak ada catatan", "No record"),
    "field_duty": ("Tugas lapangan", "Field duty"),
    "keadaan_khusus": ("Keadaan khusus", "Special circumstances"),
    "di_atas": ("Di atas ekspektasi", "Above expectations"),
    "sesuai": ("Sesuai ekspektasi", "As expected"),
    "di_bawah": ("Di bawah ekspektasi", "Below expectations"),
    "butuh_perbaikan": ("Butuh perbaikan", "Needs improvement"),
    "penundaan_berlarut": ("Penundaan berlarut", "Undue delay"),
    "tidak_memberikan_pelayanan": ("Tidak memberikan pelayanan", "Failure to serve"),
    "tidak_kompeten": ("Tidak kompeten", "Incompetence"),
    "penyimpangan_prosedur": ("Penyimpangan prosedur", "Deviation from procedure"),
    "penyalahgunaan_wewenang": ("Penyalahgunaan wewenang", "Abuse of authority"),
    "permintaan_imbalan": ("Permintaan imbalan", "Request for payment"),
    "tidak_patut": ("Tidak patut", "Impropriety"),
    "berpihak": ("Berpihak", "Partiality"),
    "diskriminasi": ("Diskriminasi", "Discrimination"),
    "konflik_kepentingan": ("Konflik kepentingan", "Conflict of interest"),
    **RULE_TERMS,
}


def lang_of(value: str | None) -> Lang:
    return "en" if value == "en" else "id"


def word(key: str, lang: Lang) -> str:
    pair = WORDS.get(key)
    if pair is None:
        raise KeyError(f"no page word {key!r}")
    return pair[LANGS.index(lang)]


def term(code: object, lang: Lang) -> str:
    """The regulation's term for a code (`penundaan_berlarut` → "Penundaan berlarut")."""
    text = str(code)
    pair = TERMS.get(text) or EVENT_TERMS.get(text)
    if pair is not None:
        return pair[LANGS.index(lang)]
    spaced = text.replace("_", " ").replace("-", " ")
    return spaced[:1].upper() + spaced[1:]


def zone_of(agency: str | None) -> ZoneInfo:
    return ZoneInfo(AGENCY_ZONES.get(agency or "", DEFAULT_ZONE))


def local_time(value: object, agency: str | None) -> str:
    """An RFC 3339 instant as the agency's local time with its zone (`2026-11-18 10:40 WIB`)."""
    if value is None:
        return "—"
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return str(value)
    local = moment.astimezone(zone_of(agency))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
