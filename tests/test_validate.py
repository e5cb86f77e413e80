"""Validation derived from the codebook: every failure is reported with row, column and value."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from conftest import DK_FRAME, NO_ROWS, write_dk_sav, write_no_csv
from coprod import pipeline
from coprod.project import Project
from coprod.validate import schema_for


def _report(root: Path, source_id: str):
    project = Project(root)
    validated = pipeline.validate(project, pipeline.load(project), [source_id])
    return validated, validated.report.sources[0]


def _errors(root: Path, source_id: str) -> list[tuple]:
    _, report = _report(root, source_id)
    return [(p.row, p.column, p.value, p.check) for p in report.errors]


def test_valid_sources_give_typed_frames(tiny: Path) -> None:
    validated, report = _report(tiny, "no-things-2018")
    assert report.valid and report.rows == 4
    frame = validated.frames["no-things-2018"]
    assert frame.schema["vekt"] == pl.Float64 and frame["vekt"][0] == 1.25
    assert frame.schema["løpenr"] == pl.Int64


def test_schema_is_derived_from_the_codebook(tiny: Path) -> None:
    project = Project(tiny)
    source = pipeline.load(project).sources["no-things-2018"]
    schema = schema_for(source, {"0301": "Oslo"})
    assert set(schema.columns) == set(source.variables)
    assert schema.columns["løpenr"].unique
    assert not schema.columns["samarbeid"].nullable
    assert schema.columns["partner"].nullable  # blank means not_applicable


def test_every_failure_is_reported_lazily(tiny: Path) -> None:
    rows = list(NO_ROWS)
    rows[1] = "1;0301;7;1;12;;1,25"  # unknown code
    rows[2] = "1;301;0;;7,5;;0,75"  # duplicate id, lost leading zero, decimal comma in integer
    rows[3] = "3;1103;;;;;1,0"  # blank where blanks are not allowed
    rows[4] = "4;9999;1;0;30;;99"  # unknown municipality, weight out of range
    write_no_csv(tiny / "raw" / "no_things.csv", rows)
    assert _errors(tiny, "no-things-2018") == [
        (1, "samarbeid", "7", "unknown-code"),
        (2, "ansatte", "7,5", "type-error"),
        (2, "kommunenr", "301", "pattern"),
        (2, "løpenr", "1", "duplicate-id"),
        (3, "samarbeid", None, "blank"),
        (4, "kommunenr", "9999", "unknown-municipality"),
        (4, "vekt", "99", "out-of-range"),
    ]


def test_message_says_what_and_what_to_do(tiny: Path) -> None:
    rows = list(NO_ROWS)
    rows[3] = "3;1103;5;;;;1,0"
    write_no_csv(tiny / "raw" / "no_things.csv", rows)
    _, report = _report(tiny, "no-things-2018")
    [p] = report.errors
    assert (p.row, p.line) == (3, 4)
    assert p.message == ("code 5 is not in the codebook for samarbeid; correct the value, or add "
                         "the code to the codebook's values and mappings")


def test_declared_missing_codes_are_exempt_from_ranges(tiny: Path) -> None:
    assert _errors(tiny, "dk-things-2018") == []  # ansatte 9999 is a declared missing code
    frame = dict(DK_FRAME, ansatte=[10.0, 9998.0, 3.0, 40.0, 5.0])
    write_dk_sav(tiny / "raw" / "dk_things.sav", frame)
    assert _errors(tiny, "dk-things-2018") == [(2, "ansatte", "9998", "out-of-range")]


def test_missing_and_unexpected_columns(tiny: Path) -> None:
    frame = {("antal_ansatte" if k == "ansatte" else k): v for k, v in DK_FRAME.items()}
    write_dk_sav(tiny / "raw" / "dk_things.sav", frame)
    assert _errors(tiny, "dk-things-2018") == [
        (None, "ansatte", None, "missing-column"),
        (None, "antal_ansatte", None, "unexpected-column"),
    ]


def test_changed_spss_value_labels_are_reported(tiny: Path) -> None:
    labels = {"samarb": {1: "Ja", 2: "Nej", 8: "Ved ikke", 9: "Vil ikke svare"}}
    write_dk_sav(tiny / "raw" / "dk_things.sav", DK_FRAME, labels)
    [p] = _report(tiny, "dk-things-2018")[1].errors
    assert (p.column, p.value, p.check) == ("samarb", "9", "label-changed")
    assert "'Vil ikke svare', the codebook 'Ønsker ikke at svare'" in p.message


def test_an_unreadable_file_is_a_report_not_a_crash(tiny: Path) -> None:
    (tiny / "raw" / "dk_things.sav").write_bytes(b"\x00garbage" * 20)
    validated, report = _report(tiny, "dk-things-2018")
    assert not validated.report.valid
    [p] = report.errors
    assert p.check == "unreadable-file" and "not a readable SPSS .sav/.zsav file" in p.message


def test_a_number_too_large_for_an_integer_is_a_type_error_not_a_blank(tiny: Path) -> None:
    """An SPSS integer column holding 1e20 or infinity: reported, never read as blank (ansatte
    has no blank: meaning, so a blank would be reported too, but as the wrong problem)."""
    frame = dict(DK_FRAME, ansatte=[10.0, 1e20, float("inf"), 40.0, 5.0])
    write_dk_sav(tiny / "raw" / "dk_things.sav", frame)
    assert _errors(tiny, "dk-things-2018") == [(2, "ansatte", "1e+20", "type-error"),
                                                (3, "ansatte", "inf", "type-error")]
