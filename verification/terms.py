"""Wording the verifier and the pages share, in Bahasa Indonesia and English: the statuses',
the flag rules' and the event types' names, and what each rule says.

The verifier owns it (it must import nothing of the server); `api/pages/i18n.py` reads it."""

from __future__ import annotations

from collections.abc import Mapping

STATUS_TERMS: Mapping[str, tuple[str, str]] = {
    "requested": ("Diajukan", "Requested"),
    "approved": ("Disetujui", "Approved"),
    "rejected": ("Ditolak", "Rejected"),
    "revision_requested": ("Diminta perbaikan", "Revision requested"),
    "withdrawn": ("Ditarik", "Withdrawn"),
    "revoked": ("Dicabut (dipanggil kembali ke kantor)", "Revoked (recalled to office)"),
    "filed": ("Diterima", "Filed"),
    "clarification": ("Klarifikasi", "Clarification"),
    "evidence": ("Pemeriksaan bukti", "Evidence"),
    "finding": ("Laporan Akhir Hasil Pemeriksaan (LAHP)", "Findings (LAHP)"),
    "corrective_action": ("Tindakan korektif", "Corrective action"),
    "closed": ("Ditutup", "Closed"),
}
"""(Bahasa Indonesia, English) name of each status of a request or complaint."""

RULE_TERMS: Mapping[str, tuple[str, str]] = {
    "approver-not-supervisor": ("Penyetuju bukan atasan langsung", "Approver not the supervisor"),
    "backdated": ("Dicatat mundur", "Backdated"),
    "evaluator-not-assessor": ("Penilai bukan pejabat penilai", "Evaluator not the assessor"),
    "ineligible-discipline": ("Tidak memenuhi syarat: disiplin", "Ineligible: discipline"),
    "ineligible-position": ("Tidak memenuhi syarat: jabatan", "Ineligible: position"),
    "ineligible-probation": ("Tidak memenuhi syarat: masa orientasi", "Ineligible: probation"),
    "late-decision": ("Keputusan terlambat", "Late decision"),
    "missing-output-report": ("Laporan keluaran tidak ada", "Missing output report"),
    "on-site-minimum-breached": ("Minimum di kantor dilanggar", "On-site minimum breached"),
    "self-approval": ("Menyetujui sendiri", "Self-approval"),
    "unit-quota-exceeded": ("Kuota unit terlampaui", "Unit quota exceeded"),
    "weekly-cap-exceeded": ("Batas 2 hari per minggu terlampaui", "Weekly cap exceeded"),
    "decision-by-non-approver": (
        "Keputusan oleh bukan pejabat yang berwenang",
        "Decision by someone not the approver",
    ),
    "location-not-designated": ("Lokasi tidak ditetapkan instansi", "Location not designated"),
    "future-dated": ("Bertanggal di masa depan", "Dated in the future"),
    "weekly-hours-short": ("Jam kerja mingguan kurang", "Weekly hours short"),
    "arrangement-after-penalty": (
        "Fleksibilitas setelah hukuman disiplin",
        "Arrangement after a disciplinary penalty",
    ),
    "predikat-inconsistent": ("Predikat tidak sesuai kuadran", "Predikat inconsistent"),
    "evaluation-missing": ("Penilaian kinerja tidak ada", "Evaluation missing"),
    "complaint-out-of-sequence": (
        "Tahapan pengaduan tidak berurutan",
        "Complaint handled out of sequence",
    ),
}
"""(Bahasa Indonesia, English) name of each flag rule."""

RULE_EXPLAINED: Mapping[str, tuple[str, str]] = {
    "approver-not-supervisor": (
        "permohonan disetujui oleh orang yang bukan atasan langsung pegawai",
        "the request was approved by someone who is not the employee's direct supervisor",
    ),
    "backdated": (
        "waktu kejadian jauh sebelum entri dicatat, melewati batas pencatatan mundur kebijakan",
        "the event is dated further before its integration than the policy's backdating limit",
    ),
    "evaluator-not-assessor": (
        "penilaian kinerja dicatat oleh orang yang bukan pejabat penilai pegawai",
        "the evaluation was recorded by someone who is not the employee's assessor",
    ),
    "ineligible-discipline": (
        "pegawai sedang menjalani hukuman disiplin sehingga tidak berhak atas kerja fleksibel",
        "the employee is under a disciplinary penalty and not eligible for flexible work",
    ),
    "ineligible-position": (
        "jabatan pegawai tidak termasuk yang boleh bekerja fleksibel menurut kebijakan",
        "the employee's position is not one the policy allows flexible work for",
    ),
    "ineligible-probation": (
        "hari fleksibel pertama jatuh dalam masa orientasi pegawai",
        "the first flexible day falls within the employee's probation",
    ),
    "late-decision": (
        "keputusan atas permohonan diambil setelah batas hari keputusan kebijakan",
        "the request was decided after the policy's decision window",
    ),
    "missing-output-report": (
        "tidak ada laporan keluaran untuk hari fleksibel yang disetujui sampai tenggatnya",
        "no output report for an approved flexible day by its deadline",
    ),
    "on-site-minimum-breached": (
        "unit pelayanan publik menyisakan pegawai di kantor kurang dari minimumnya",
        "a public-service unit keeps fewer staff on site than its minimum",
    ),
    "self-approval": (
        "pegawai menyetujui permohonannya sendiri",
        "the employee approved their own request",
    ),
    "unit-quota-exceeded": (
        "pegawai unit yang fleksibel lokasi pada satu hari melebihi kuota persentase kebijakan",
        "more of the unit's staff are on location flexibility on a day than the policy's quota",
    ),
    "weekly-cap-exceeded": (
        "hari fleksibel lokasi pegawai dalam satu minggu melebihi batas kebijakan",
        "the employee has more location-flexibility days in a week than the policy's cap",
    ),
    "decision-by-non-approver": (
        "keputusan atas permohonan diambil oleh orang yang bukan atasan langsung pegawai",
        "the request was decided by someone who is not the employee's supervisor",
    ),
    "location-not-designated": (
        "lokasi yang diajukan tidak ditetapkan oleh kebijakan yang berlaku",
        "the requested location is not designated by the policy in force",
    ),
    "future-dated": (
        "waktu kejadian lebih lambat dari waktu pencatatan, melewati toleransi kebijakan",
        "the event is dated after its integration, beyond the policy's tolerance",
    ),
    "weekly-hours-short": (
        "jam kerja yang dicatat dalam satu minggu kurang dari yang diwajibkan kebijakan",
        "the hours recorded in a week fall short of what the policy requires",
    ),
    "arrangement-after-penalty": (
        "pegawai dijatuhi hukuman disiplin tetapi masih memegang hari fleksibel yang disetujui",
        "the employee was penalised but still holds approved flexible days",
    ),
    "predikat-inconsistent": (
        "predikat kinerja tidak sesuai kuadran hasil kerja dan perilaku",
        "the performance predikat does not match the quadrant of results and behaviour",
    ),
    "evaluation-missing": (
        "penilaian kinerja pegawai tidak ada sampai tenggatnya",
        "the employee has no performance evaluation by its due date",
    ),
    "complaint-out-of-sequence": (
        "tahapan pengaduan dilewati atau tidak berurutan (mis. LAHP sebelum klarifikasi)",
        "a complaint stage was skipped or taken out of order (e.g. findings before clarification)",
    ),
}
"""(Bahasa Indonesia, English): what each flag rule found, in words."""

EVENT_TERMS: Mapping[str, tuple[str, str]] = {
    "org.registered": ("Organisasi didaftarkan", "Organisation registered"),
    "key.registered": ("Kunci didaftarkan", "Key registered"),
    "key.revoked": ("Kunci dicabut", "Key revoked"),
    "policy.enacted": ("Kebijakan ditetapkan", "Policy enacted"),
    "unit.registered": ("Unit didaftarkan", "Unit registered"),
    "employee.enrolled": ("Pegawai didaftarkan", "Employee enrolled"),
    "employee.updated": ("Data pegawai diubah", "Employee updated"),
    "wfa.requested": ("Permohonan fleksibel diajukan", "Flexible work requested"),
    "wfa.approved": ("Permohonan disetujui", "Request approved"),
    "wfa.rejected": ("Permohonan ditolak", "Request rejected"),
    "wfa.revision_requested": ("Diminta perbaikan", "Revision requested"),
    "wfa.withdrawn": ("Permohonan ditarik", "Request withdrawn"),
    "wfa.revoked": ("Persetujuan dicabut", "Approval revoked"),
    "attendance.recorded": ("Kehadiran dicatat", "Attendance recorded"),
    "work.output_reported": ("Keluaran dilaporkan", "Output reported"),
    "work.output_reviewed": ("Keluaran ditinjau", "Output reviewed"),
    "evaluation.recorded": ("Penilaian kinerja dicatat", "Evaluation recorded"),
    "complaint.filed": ("Laporan masyarakat diterima", "Complaint filed"),
    "complaint.clarification_requested": ("Klarifikasi diminta", "Clarification requested"),
    "complaint.evidence_submitted": ("Bukti diserahkan", "Evidence submitted"),
    "complaint.finding_recorded": ("LAHP dicatat", "Findings recorded"),
    "complaint.corrective_action_set": ("Tindakan korektif ditetapkan", "Corrective action set"),
    "complaint.closed": ("Pengaduan ditutup", "Complaint closed"),
    "entry.annotated": ("Entri diberi catatan", "Entry annotated"),
    "entry.redacted": ("Muatan entri disunting", "Entry redacted"),
    "presence.recorded": ("Kehadiran di kantor dicatat", "Presence recorded"),
}
"""(Bahasa Indonesia, English) name of each event type."""
