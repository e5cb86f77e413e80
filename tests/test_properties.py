"""Properties of the reader and of harmonization, checked on generated inputs (Hypothesis).

- Any valid source frame, built from a tiny codebook, validates, harmonizes and reconciles.
- Recoding is reversible where the mapping (recode plus missing codes) is one-to-one.
- The CSV reader round-trips any table of valid cells written in the declared dialect, and keeps
  every row on its physical line, quoted line breaks and all.
- A record with a field too many or too few is refused, naming its line and row.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import NO_SOURCE, PACKAGE, TABLE
from coprod.codebook import Codebooks, HarmonizedTable, Package, SourceCodebook
from coprod.errors import RawFileError
from coprod.harmonize import harmonize_source
from coprod.project import Project
from coprod.read import RawTable, read_source
from coprod.reconcile import reconcile
from coprod.reference import Municipalities
from coprod.validate import validate_source

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
MISSING_REASONS = ["not_applicable", "dont_know", "refused", "no_answer", "not_asked"]

package = Package.model_validate(PACKAGE)
table = HarmonizedTable.model_validate(TABLE)
no_source = SourceCodebook.model_validate(NO_SOURCE)
MUNICIPALITIES = {"0301": "Oslo", "1103": "Stavanger"}
places = Municipalities("2018", MUNICIPALITIES, {c: (c,) for c in MUNICIPALITIES}, "2018",
                        MUNICIPALITIES, {})


def _codebooks(source: SourceCodebook, harmonized: HarmonizedTable) -> Codebooks:
    return Codebooks(package, {harmonized.table: harmonized}, {source.id: source}, {})


# --- any valid source frame harmonizes and reconciles -----------------------------------------


@st.composite
def no_rows(draw: st.DrawFn) -> pl.DataFrame:
    """Raw rows of the tiny Norwegian source, as read from a CSV file: text cells, None for an
    empty one, every cell valid for its codebook."""
    n = draw(st.integers(1, 40))
    ids = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
    def column(strategy: st.SearchStrategy) -> list:
        return draw(st.lists(strategy, min_size=n, max_size=n))
    weights = column(st.floats(0.01, 50, allow_nan=False).map(lambda x: f"{x:.4f}"))
    return pl.DataFrame({
        "løpenr": [str(i) for i in ids],
        "kommunenr": column(st.sampled_from(sorted(MUNICIPALITIES))),
        "samarbeid": column(st.sampled_from(["1", "0", "9"])),
        "partner": column(st.sampled_from(["1", "0", None])),
        "ansatte": column(st.one_of(st.none(), st.integers(0, 1000).map(str))),
        "kommentar": column(st.one_of(st.none(), st.text(max_size=20))),
        "vekt": [w.replace(".", ",") for w in weights],  # the source's decimal comma
    }, schema=dict.fromkeys(NO_SOURCE["variables"], pl.String))


def _harmonize(raw_frame: pl.DataFrame, source: SourceCodebook, harmonized: HarmonizedTable):
    raw = RawTable(source.id, "raw/x.csv", raw_frame)
    typed, report = validate_source(raw, source, _codebooks(source, harmonized), MUNICIPALITIES)
    assert report.valid, [p.message for p in report.errors]
    assert typed is not None
    return typed, harmonize_source(typed, source, harmonized, package, places)


@SETTINGS
@given(no_rows())
def test_any_valid_source_frame_harmonizes_and_reconciles(raw_frame: pl.DataFrame) -> None:
    typed, part = _harmonize(raw_frame, no_source, table)
    assert reconcile(typed, part, no_source, table) == []
    assert part.height == raw_frame.height
    assert part["respondent_id"].is_unique().all()
    assert part["respondent_id"].to_list() == [f"no-things-2018-{i}" for i in raw_frame["løpenr"]]
    # Missing is never a bare null: every numeric value is there or has its reason.
    assert (part["size"].is_not_null() ^ part["size_missing"].is_not_null()).all()


@SETTINGS
@given(no_rows())
def test_recoding_is_reversible_where_one_to_one(raw_frame: pl.DataFrame) -> None:
    typed, part = _harmonize(raw_frame, no_source, table)
    for name, mapping in no_source.mappings.items():
        var = no_source.variables[mapping.from_]
        if table.variables[name].type != "categorical":
            continue
        forward = {**mapping.recode, **var.missing}
        if var.blank is not None:
            forward[None] = var.blank
        if len(set(forward.values())) < len(forward):
            continue  # not one-to-one: nothing to reverse
        back = {value: code for code, value in forward.items()}
        recovered = [back[v] for v in part[name].cast(pl.String).to_list()]
        assert recovered == typed[mapping.from_].to_list(), name
    # A numeric variable keeps its value, and its reason where it has none.
    assert part["size"].to_list() == typed["ansatte"].to_list()


@st.composite
def recoded_sources(draw: st.DrawFn) -> tuple[SourceCodebook, HarmonizedTable, pl.DataFrame]:
    """A tiny codebook with a generated recode (one-to-one or not) and missing codes, and data
    that uses its codes."""
    categories = draw(st.lists(st.from_regex(r"[a-z]{1,6}", fullmatch=True), min_size=1,
                               max_size=5, unique=True))
    codes = draw(st.lists(st.integers(-99, 99), min_size=1, max_size=8, unique=True))
    split = draw(st.integers(1, len(codes)))
    substantive, missing_codes = codes[:split], codes[split:]
    recode = {c: draw(st.sampled_from(categories)) for c in substantive}
    missing = {c: draw(st.sampled_from(MISSING_REASONS[:4])) for c in missing_codes}
    blank = draw(st.one_of(st.none(), st.sampled_from(MISSING_REASONS[:4])))
    harmonized = HarmonizedTable.model_validate({
        **TABLE, "summaries": [],
        "variables": {
            "respondent_id": TABLE["variables"]["respondent_id"],
            "answer": {"type": "categorical", "label": {"en": "a", "da": "a", "nb": "a"},
                       "categories": [{"value": c, "code": i, "label": {"en": c}}
                                      for i, c in enumerate(categories)]},
            "weight": TABLE["variables"]["weight"],
        }})
    source = SourceCodebook.model_validate({
        **NO_SOURCE, "id_variable": "nr",
        "variables": {
            "nr": {"type": "integer", "label": "nr", "unique": True},
            "kommunenr": NO_SOURCE["variables"]["kommunenr"],
            "svar": {"type": "integer", "label": "svar",
                     "values": {c: f"code {c}" for c in codes}, "missing": missing,
                     **({"blank": blank} if blank else {})},
            "vekt": NO_SOURCE["variables"]["vekt"],
        },
        "mappings": {"answer": {"from": "svar", "recode": recode}, "weight": {"from": "vekt"}}})
    n = draw(st.integers(1, 30))
    answers = draw(st.lists(st.sampled_from([*map(str, codes), *([None] if blank else [])]),
                            min_size=n, max_size=n))
    frame = pl.DataFrame({"nr": [str(i) for i in range(1, n + 1)], "kommunenr": ["0301"] * n,
                          "svar": answers, "vekt": ["1,0"] * n},
                         schema=dict.fromkeys(["nr", "kommunenr", "svar", "vekt"], pl.String))
    return source, harmonized, frame


@SETTINGS
@given(recoded_sources())
def test_generated_recodes_reconcile_and_reverse_when_one_to_one(
        generated: tuple[SourceCodebook, HarmonizedTable, pl.DataFrame]) -> None:
    source, harmonized, raw_frame = generated
    typed, part = _harmonize(raw_frame, source, harmonized)
    assert reconcile(typed, part, source, harmonized) == []
    var, mapping = source.variables["svar"], source.mappings["answer"]
    forward = {**mapping.recode, **var.missing, None: var.blank}
    used = set(typed["svar"].to_list())
    assert part["answer"].cast(pl.String).to_list() == [forward[c] for c in typed["svar"]]
    values = [forward[c] for c in used]
    if len(set(values)) == len(values):  # one-to-one on what occurs: the source comes back
        back = {forward[c]: c for c in used}
        assert [back[v] for v in part["answer"].cast(pl.String)] == typed["svar"].to_list()


# --- the CSV reader ---------------------------------------------------------------------------

# Text a cp1252 file can hold. NUL marks binary data, and "Ã", "Â" and "â" start the UTF-8
# sequences the reader refuses as mojibake: those are left out of the generated text.
cell_text = st.text(st.characters(codec="cp1252", exclude_categories=["Cc"],
                                  include_characters="\n",
                                  exclude_characters="ÃÂâ"), max_size=12).map(
    lambda s: s.replace("\n", "\r\n"))  # line breaks in the file's own convention
COLUMNS = list(NO_SOURCE["variables"])


@st.composite
def tables(draw: st.DrawFn) -> list[list[str]]:
    n = draw(st.integers(1, 25))
    return [[draw(cell_text) for _ in COLUMNS] for _ in range(n)]


def _records(rows: list[list[str]]) -> list[str]:
    """Each row as the dialect writes it (semicolons, quotes where needed, CRLF)."""
    out = []
    for row in rows:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=";", quotechar='"', lineterminator="\r\n").writerow(row)
        out.append(buffer.getvalue())
    return out


@pytest.fixture(scope="module")
def folder() -> Path:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def _read(folder: Path, records: list[str]):  # noqa: ANN202
    path = folder / NO_SOURCE["file"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("".join(_records([COLUMNS]) + records)).encode("cp1252"))
    return read_source(Project(folder), no_source)


@SETTINGS
@given(rows=tables())
def test_the_csv_reader_round_trips_valid_cells(folder: Path, rows: list[list[str]]) -> None:
    records = _records(rows)
    raw = _read(folder, records)
    assert raw.frame.columns == COLUMNS
    assert raw.frame.rows() == [tuple(cell or None for cell in row) for row in rows]
    line = 2
    for row, record in enumerate(records, start=1):
        assert raw.line(row) == line
        line += record.count("\n")


@SETTINGS
@given(rows=tables(), data=st.data())
def test_a_record_of_the_wrong_length_names_its_line(folder: Path, rows: list[list[str]],
                                                     data: st.DataObject) -> None:
    row = data.draw(st.integers(0, len(rows) - 1))
    extra = data.draw(st.booleans())
    rows[row] = [*rows[row], "x"] if extra else rows[row][:-1]
    records = _records(rows)
    expected = 2 + sum(r.count("\n") for r in records[:row])
    with pytest.raises(RawFileError) as caught:
        _read(folder, records)
    fields = len(COLUMNS) + (1 if extra else -1)
    assert f"line {expected}, row {row + 1}" in caught.value.message
    assert f"{fields} fields where the header has {len(COLUMNS)}" in caught.value.message


# --- integers parsed while reading are what validating the text gives ------------------------

# Integer cells as files have them: plain, padded, signed, zero-led, blank, spaces only, quoted,
# out of range; then some that polars does not parse as integers (trailing spaces, a decimal,
# words, too large for 64 bits).
PARSING = ["1", "0", "9", "12", " 1", "+1", "01", "", " ", '""', '" 1"', '" "', "-1", "2000"]
INTEGER_CELLS = [*PARSING, "1 ", "1.0", "x", "9223372036854775808", "\t"]


@st.composite
def integer_cells(draw: st.DrawFn) -> list[str]:
    n = draw(st.integers(1, 12))
    kinds = draw(st.sampled_from([PARSING, INTEGER_CELLS]))
    numbers = [str, lambda i: f" {i}", lambda i: f"+{i}", lambda i: f"0{i}"]
    if kinds is INTEGER_CELLS:
        numbers.append(lambda i: f"{i}.0")
    rows = []
    for i in range(1, n + 1):
        number = draw(st.sampled_from(numbers))(i)
        cells = [draw(st.sampled_from(kinds)) for _ in range(3)]
        rows.append(";".join([number, "0301", *cells, "", "1,0"]) + "\r\n")
    return rows


@SETTINGS
@given(records=integer_cells())
def test_parsing_integers_while_reading_gives_what_the_text_gives(folder: Path,
                                                                  records: list[str]) -> None:
    """Where the integer columns parse while reading, validation finds what it finds in the
    text, and the same typed frame; where they do not, the file is read as text."""
    _read(folder, records)  # writes the file
    codebooks = _codebooks(no_source, table)
    text = read_source(Project(folder), no_source)
    parsed = read_source(Project(folder), no_source, parse_integers=True)
    assert text.parsed == ()
    expected, expected_report = validate_source(text, no_source, codebooks, MUNICIPALITIES)
    typed, report = validate_source(parsed, no_source, codebooks, MUNICIPALITIES)
    if not parsed.parsed:
        assert parsed.frame.equals(text.frame)
        return
    assert parsed.parsed == ("løpenr", "samarbeid", "partner", "ansatte")
    assert report.valid == expected_report.valid, expected_report.errors
    if report.valid:
        assert typed is not None and expected is not None
        assert typed.equals(expected)
