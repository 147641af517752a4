"""Flag rule: the predikat follows from the results × behaviour quadrant (PermenPANRB 6/2022)."""

from __future__ import annotations

from domain.aggregates import Evaluation
from domain.flags import Flag


def predikat_of(results: str, behaviour: str) -> str:
    """The predikat of work results × work behaviour, each di_atas / sesuai / di_bawah
    (PermenPANRB 6/2022, Lampiran: kuadran kinerja pegawai)."""
    if "di_bawah" in (results, behaviour):
        if results == behaviour:
            return "sangat_kurang"
        return "butuh_perbaikan" if results == "di_bawah" else "kurang"
    return "sangat_baik" if results == behaviour == "di_atas" else "baik"


def flag_predikat_inconsistent(entry: int, evaluation: Evaluation) -> Flag | None:
    """The recorded predikat is not the one the quadrant gives."""
    expected = predikat_of(evaluation.results, evaluation.behaviour)
    if evaluation.predikat == expected:
        return None
    return Flag(
        "predikat-inconsistent",
        entry,
        f"evaluation {evaluation.subject}: results {evaluation.results} × behaviour "
        f"{evaluation.behaviour} give {expected}, recorded {evaluation.predikat}",
    )
