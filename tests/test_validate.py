"""Validation derived from the codebook: every failure is reported with row, column and value."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from conftest import DK_FRAME, NO_ROWS, NO_SOURCE, write_dk_sav, write_no_csv, write_yaml
from coprod import pipeline
from coprod.harmonize import _repeated_ids
from coprod.project import Project
from coprod.validate import identity, schema_for


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
    # the id's uniqueness is checked after normalisation (validate._duplicates), not by Pandera
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


# --- identity: ids are compared after normalisation (issue 14) --------------------------------


def _with_ids(root: Path, ids: list[str], id_type: str = "integer") -> None:
    """The Norwegian tiny source with ``ids`` in its id column (one per row, NO_ROWS repeated)
    and the id declared of ``id_type``."""
    rows = [NO_ROWS[0]] + [f"{i};{NO_ROWS[1 + n % 4].split(';', 1)[1]}"
                           for n, i in enumerate(ids)]
    write_no_csv(root / "raw" / "no_things.csv", rows)
    source = yaml.safe_load(yaml.safe_dump(NO_SOURCE))
    source["variables"]["løpenr"]["type"] = id_type
    write_yaml(root / "schemas" / "sources" / "no-things-2018.yaml", source)


def test_ids_differing_only_in_leading_zeros_or_spaces_are_duplicates(tiny: Path) -> None:
    _with_ids(tiny, ["10001", "010001", " 10001 ", "10002", "0010002"])
    _, report = _report(tiny, "no-things-2018")
    assert [(p.row, p.line, p.column, p.value, p.check) for p in report.errors] == [
        (2, 3, "løpenr", "010001", "duplicate-id"),
        (3, 4, "løpenr", " 10001 ", "duplicate-id"),
        (5, 6, "løpenr", "0010002", "duplicate-id"),
    ]
    first = report.errors[0]
    assert "løpenr '010001' occurs more than once" in first.message
    assert "row 1 (line 2) has '10001': the same id" in first.message
    assert "row 4 (line 5) has '10002'" in report.errors[2].message
    located = first.located(report.file)
    assert located.startswith("raw/no_things.csv:3: row 2, column løpenr, value '010001': ")


def test_an_exact_duplicate_names_the_first_row(tiny: Path) -> None:
    _with_ids(tiny, ["7", "8", "7"])
    [p] = _report(tiny, "no-things-2018")[1].errors
    assert (p.row, p.value, p.check) == (3, "7", "duplicate-id")
    assert p.message.endswith("each respondent must have one row; first in row 1 (line 2)")


@pytest.mark.parametrize(("ids", "rows"), [
    (["A-0012", "A-12", "a-12"], []),  # zeros inside a text id, and case, count
    (["A-12", " A-12", "A-12 "], [2, 3]),  # spaces around it do not
    (["010", "10", "0010"], [2, 3]),  # an id of digits only: leading zeros do not count either
    (["0", "00", "000"], [2, 3]),
    (["1 2", "12"], []),  # inner spaces are kept
])
def test_text_ids_are_compared_without_spaces_around_and_leading_zeros(
        tiny: Path, ids: list[str], rows: list[int]) -> None:
    _with_ids(tiny, ids, "string")
    errors = _report(tiny, "no-things-2018")[1].errors
    assert [(p.row, p.check) for p in errors] == [(r, "duplicate-id") for r in rows]


def test_identity_rule() -> None:
    texts = pl.DataFrame({"id": ["010001", " 10001 ", "10001", "000", "A-0012", " A-0012 ",
                                 "٠١", "0x1", None]})
    assert texts.select(identity(pl.col("id"), pl.String).alias("id"))["id"].to_list() == [
        "10001", "10001", "10001", "0", "A-0012", "A-0012", "٠١", "0x1", None]
    numbers = pl.DataFrame({"id": [1, 1, None]})
    assert numbers.select(identity(pl.col("id"), pl.Int64).alias("id"))["id"].to_list() == [
        1, 1, None]


def test_the_published_id_is_the_id_without_spaces_around_it(tiny: Path) -> None:
    _with_ids(tiny, [" 7", "008 ", "A-0012", "9"], "string")
    project = Project(tiny)
    validated = pipeline.validate(project, pipeline.load(project), ["no-things-2018"])
    assert validated.report.valid
    harmonized = pipeline.harmonize_validated(validated)
    ids = harmonized.tables["things"].filter(pl.col("source") == "no-things-2018")[
        "respondent_id"].to_list()
    assert ids == ["no-things-2018-7", "no-things-2018-008", "no-things-2018-A-0012",
                   "no-things-2018-9"]


def test_a_repeated_published_id_stops_harmonization(tiny: Path) -> None:
    """A guard behind validation: were two rows ever to reach harmonization with one id, the
    build stops instead of publishing it twice."""
    project = Project(tiny)
    codebooks = pipeline.load(project)
    table = codebooks.tables["things"]
    source = codebooks.sources["no-things-2018"]
    frame = pl.DataFrame({"respondent_id": ["no-things-2018-1", "no-things-2018-1", "x"]})
    assert _repeated_ids(frame, source, table) == [
        "no-things-2018: respondent_id 'no-things-2018-1' occurs in 2 rows; each respondent "
        "must have one id (check løpenr in the raw file)"]
    assert _repeated_ids(frame.head(1), source, table) == []
