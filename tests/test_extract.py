"""`coprod extract`: five variables of the institutions table for Denmark 2018, in every format,
read back by readers that are not coprod's (pyarrow, polars, pyreadstat and R's haven) and
compared with the published Parquet file and codebook.json; the codebook of an extract; and the
errors a researcher meets.

The expected values are made here from the Parquet file and codebook.json alone (codes and
labels from codebook.json), never from src/coprod/export.py. R is Debian's r-base-core with
r-cran-haven; without Rscript or haven the R test skips on a developer's machine and fails in CI
(CI=true).
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyreadstat
import pytest
import yaml
from click.testing import CliRunner

from conftest import copy_package
from coprod.cli import main

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
TABLE = "institutions"
SOURCE = "dk-institutions-2018"
VARIABLES = ["welfare_field", "n_employees", "collab_any", "attitude", "weight"]
COLUMNS = ["respondent_id", "country", "wave", "source", "welfare_field", "n_employees",
           "n_employees_missing", "collab_any", "attitude", "weight"]  # in the table's order
FORMATS = ("csv", "labels.csv", "parquet", "sav", "dta")
STATA_TAGS = "abcdefghijklmnopqrstuvwxyz"
R_INSTALL_HINT = ("install R and haven with `sudo apt-get install r-base-core r-cran-haven` "
                  "(scripts/test.sh does it when run as root or in CI, where apt has them)")


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package with its published tables (processed/ as committed)."""
    return copy_package(tmp_path_factory.mktemp("extract") / "demo")


@pytest.fixture(scope="module")
def extracts(package: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The extract in every format: coprod extract VARIABLES --country dk --wave 2018."""
    out = tmp_path_factory.mktemp("extracts")
    made = {}
    for fmt in FORMATS:
        path = out / f"dk-2018.{fmt}"
        extra = ["--labels"] if fmt == "labels.csv" else []
        result = _run(package, "extract", *VARIABLES, "--country", "dk", "--wave", "2018",
                      "--output", str(path), *extra)
        assert result.exit_code == 0, f"{fmt}: {result.output}\n{result.exception!r}"
        assert f"706 rows, {len(COLUMNS)} columns of institutions" in result.output
        made[fmt] = path
    return made


@pytest.fixture(scope="module")
def published(package: Path) -> pa.Table:
    """The rows of Denmark 2018 as published, in the extract's columns."""
    table = pq.read_table(package / "processed" / f"{TABLE}.parquet")
    return table.filter(pc.equal(table["source"], SOURCE)).select(COLUMNS)


@pytest.fixture(scope="module")
def document(package: Path) -> dict:
    return json.loads((package / "processed" / "codebook.json").read_text(encoding="utf-8"))


def _en(label: dict) -> str:
    return label.get("en") or next(text for text in label.values() if text)


def _categorical(document: dict) -> dict[str, tuple[dict[str, int], dict[str, str]]]:
    """Column -> (value -> code, value -> English label), from codebook.json, for the columns
    that hold categories or missing reasons."""
    variables = document["tables"][TABLE]["variables"]
    reasons = {m["value"]: m["code"] for m in document["missing"]}
    reason_labels = {m["value"]: _en(m["label"]) for m in document["missing"]}
    out = {}
    for column in COLUMNS:
        var = variables.get(column)
        if var is not None and var["type"] == "categorical":
            out[column] = ({**{c["value"]: c["code"] for c in var["categories"]}, **reasons},
                           {**{c["value"]: _en(c["label"]) for c in var["categories"]},
                            **reason_labels})
        elif var is None and column.endswith("_missing"):
            out[column] = (reasons, reason_labels)
    return out


def _coded(published: pa.Table, document: dict) -> dict[str, list]:
    """The published values as the numeric files hold them: categories as codes."""
    maps = _categorical(document)
    values = published.to_pydict()
    return {column: [None if v is None else maps[column][0][v] for v in cells]
                    if column in maps else cells
            for column, cells in values.items()}


def test_five_variables_for_denmark_2018_in_the_table_order(published: pa.Table) -> None:
    assert published.num_rows == 706
    assert set(published["country"].to_pylist()) == {"dk"}
    assert set(published["wave"].to_pylist()) == {2018}


def test_parquet_read_back_with_pyarrow(extracts: dict[str, Path], published: pa.Table,
                                        package: Path) -> None:
    """The same rows, columns, types (dictionaries in codebook order, ordered for ordinal
    scales) and field metadata (labels, categories, lineage) as the published file."""
    extract = pq.read_table(extracts["parquet"])
    schema = pq.read_schema(package / "processed" / f"{TABLE}.parquet")
    assert extract.schema.names == COLUMNS
    for name in COLUMNS:
        assert extract.schema.field(name).equals(schema.field(name), check_metadata=True), name
    assert extract.schema.field("attitude").type.ordered
    assert extract.to_pydict() == published.to_pydict()
    assert pq.ParquetFile(extracts["parquet"]).metadata.row_group(0).column(0).compression \
        == "ZSTD"


def test_csv_read_back_with_polars(extracts: dict[str, Path], published: pa.Table,
                                   document: dict) -> None:
    """Codes, or English labels with --labels; an empty cell where the value is missing."""
    maps = _categorical(document)
    values = published.to_pydict()
    coded = pl.read_csv(extracts["csv"], infer_schema=False)
    labelled = pl.read_csv(extracts["labels.csv"], infer_schema=False)
    assert coded.columns == COLUMNS and labelled.columns == COLUMNS
    for column in COLUMNS:
        expected_codes, expected_labels = [], []
        for value in values[column]:
            if value is None:
                expected_codes.append(None)
                expected_labels.append(None)
            elif column in maps:
                expected_codes.append(str(maps[column][0][value]))
                expected_labels.append(maps[column][1][value])
            else:
                expected_codes.append(value)
                expected_labels.append(value)
        if column == "weight":  # compared as numbers
            assert [float(v) for v in coded[column]] == expected_codes
            continue
        expected_codes = [None if v is None else str(v) for v in expected_codes]
        expected_labels = [None if v is None else str(v) for v in expected_labels]
        assert coded[column].to_list() == expected_codes, column
        assert labelled[column].to_list() == expected_labels, column


def test_sav_read_back_with_pyreadstat(extracts: dict[str, Path], published: pa.Table,
                                       document: dict) -> None:
    """Codes with the missing reasons declared user-missing, variable and value labels."""
    frame, meta = pyreadstat.read_sav(str(extracts["sav"]), user_missing=True)
    assert list(frame.columns) == COLUMNS
    coded = _coded(published, document)
    for column in COLUMNS:
        read = frame[column].tolist()
        expected = coded[column]
        if column in ("respondent_id", "source"):
            assert read == expected, column
            continue
        assert [None if isinstance(v, float) and math.isnan(v) else v for v in read] == \
            [None if v is None else float(v) for v in expected], column
    maps = _categorical(document)
    variables = document["tables"][TABLE]["variables"]
    for column in VARIABLES:
        assert meta.column_names_to_labels[column] == _en(variables[column]["label"])
    for column, (codes, labels) in maps.items():
        assert meta.variable_value_labels[column] == {
            float(codes[value]): label for value, label in labels.items()}, column
        assert meta.missing_ranges[column] == [{"lo": -5.0, "hi": -1.0}], column
    assert meta.variable_measure["attitude"] == "ordinal"


def test_dta_read_back_with_pyreadstat(extracts: dict[str, Path], published: pa.Table,
                                       document: dict) -> None:
    """Codes, with the missing reasons as Stata's extended missing values (.a not applicable,
    .b don't know, ...), and value labels on both."""
    frame, meta = pyreadstat.read_dta(str(extracts["dta"]), user_missing=True)
    assert list(frame.columns) == COLUMNS
    tags = {m["code"]: STATA_TAGS[i] for i, m in enumerate(document["missing"])}
    coded = _coded(published, document)
    maps = _categorical(document)
    for column in COLUMNS:
        expected = [tags.get(v, v) if column in maps else v for v in coded[column]]
        read = [None if isinstance(v, float) and math.isnan(v) else v
                for v in frame[column].tolist()]
        if column in ("respondent_id", "source"):
            assert read == expected, column
        else:
            assert read == [v if v is None or isinstance(v, str) else float(v)
                            for v in expected], column
    for column, (codes, labels) in maps.items():
        assert meta.variable_value_labels[column] == {
            tags.get(codes[value], codes[value]): label for value, label in labels.items()}


R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
if (!requireNamespace("haven", quietly = TRUE)) quit(status = 3)
out <- list()
for (path in args[-1]) {
  data <- if (grepl("[.]sav$", path)) haven::read_sav(path, user_na = TRUE) else
    haven::read_dta(path)
  for (name in names(data)) {
    x <- data[[name]]
    raw <- unclass(x)  # codes as stored: SPSS's user-missing codes are not NA here
    tag <- if (is.numeric(raw)) haven::na_tag(raw) else rep(NA_character_, length(raw))
    cell <- ifelse(is.na(raw), ifelse(is.na(tag), "NA", paste0("NA(", tag, ")")),
                   as.character(raw))
    labels <- attr(x, "labels", exact = TRUE)
    shown <- if (is.null(labels)) "" else paste(
      ifelse(is.na(haven::na_tag(unclass(labels))), as.character(unclass(labels)),
             paste0("NA(", haven::na_tag(unclass(labels)), ")")),
      names(labels), sep = "=", collapse = "|")
    out[[length(out) + 1]] <- data.frame(file = basename(path), column = name, row = seq_along(x),
      cell = cell, label = attr(x, "label", exact = TRUE) %||% "", labels = shown)
  }
}
write.csv(do.call(rbind, out), args[[1]], row.names = FALSE, fileEncoding = "UTF-8")
"""


def _r_unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}. In CI the R test must run, not skip.")
    pytest.skip(reason)


def test_sav_and_dta_read_back_in_r_with_haven(extracts: dict[str, Path], published: pa.Table,
                                               document: dict, tmp_path: Path) -> None:
    """R reads the same codes (user-missing codes from SPSS, tagged NA from Stata), the
    variable labels and the value labels."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        _r_unavailable(f"Rscript is not installed: {R_INSTALL_HINT}")
    script = tmp_path / "read.R"
    # %||% is base R from 4.4 on; define it for older R
    script.write_text("`%||%` <- function(a, b) if (is.null(a)) b else a\n" + R_SCRIPT,
                      encoding="utf-8")
    out = tmp_path / "read-by-r.csv"
    done = subprocess.run([rscript, "--vanilla", str(script), str(out),
                           str(extracts["sav"]), str(extracts["dta"])],
                          capture_output=True, text=True, timeout=600)
    if done.returncode == 3:
        _r_unavailable(f"the R package haven is not installed: {R_INSTALL_HINT}")
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        read = list(csv.DictReader(handle))
    coded = _coded(published, document)
    maps = _categorical(document)
    tags = {m["code"]: STATA_TAGS[i] for i, m in enumerate(document["missing"])}
    variables = document["tables"][TABLE]["variables"]
    for fmt in ("sav", "dta"):
        cells: dict[str, list[str]] = {}
        for row in read:
            if row["file"] == f"dk-2018.{fmt}":
                cells.setdefault(row["column"], []).append(row)
        assert list(cells) == COLUMNS, fmt
        for column in COLUMNS:
            got = [r["cell"] for r in cells[column]]
            expected = []
            for value in coded[column]:
                if value is None:
                    expected.append("NA")
                elif fmt == "dta" and column in maps and value < 0:
                    expected.append(f"NA({tags[value]})")
                else:
                    expected.append(str(value))
            if column == "weight":
                assert [float(v) for v in got] == pytest.approx(
                    [float(v) for v in expected], abs=1e-12), fmt
            else:
                assert got == expected, (fmt, column)
            if column in VARIABLES:
                assert cells[column][0]["label"] == _en(variables[column]["label"]), column
            if column in maps:
                codes, labels = maps[column]
                shown = dict(pair.split("=", 1) for pair in cells[column][0]["labels"].split("|"))
                want = {(f"NA({tags[codes[v]]})" if fmt == "dta" and codes[v] < 0
                         else str(codes[v])): label for v, label in labels.items()}
                assert shown == want, (fmt, column)


def test_the_codebook_of_an_extract(extracts: dict[str, Path], document: dict) -> None:
    """The part of codebook.json about the extract: its variables in the table's order, its
    one source; frequencies as published (suppressed counts stay null, never recounted)."""
    codebook = json.loads(extracts["csv"].with_name("dk-2018.codebook.json").read_text(
        encoding="utf-8"))
    assert codebook["extract"] == {"table": TABLE, "columns": COLUMNS, "sources": [SOURCE],
                                   "rows": 706}
    assert list(codebook["sources"]) == [SOURCE]
    assert codebook["sources"][SOURCE] == document["sources"][SOURCE]
    assert codebook["missing"] == document["missing"]
    assert (codebook["package"], codebook["version"]) == (document["package"],
                                                          document["version"])
    table = codebook["tables"][TABLE]
    assert table["rows"] == 706 and table["title"] == document["tables"][TABLE]["title"]
    assert list(table["variables"]) == [c for c in COLUMNS if not c.endswith("_missing")]
    suppressed = 0
    for name, entry in table["variables"].items():
        original = document["tables"][TABLE]["variables"][name]
        assert set(entry) == set(original), name
        for key in ("frequencies", "lineage", "availability"):
            if key in original:
                assert entry[key] == {SOURCE: original[key][SOURCE]}, (name, key)
        for key in ("label", "categories", "type", "group"):
            assert entry.get(key) == original.get(key), (name, key)
        for note in entry["comparability"]:
            assert SOURCE in note["sources"], name
        assert len(entry["comparability"]) == sum(SOURCE in n["sources"]
                                                  for n in original["comparability"])
        suppressed += sum(count is None for count in entry.get("frequencies", {}).get(
            SOURCE, {}).values())
    assert suppressed, "Denmark 2018 has suppressed counts (attitude: very negative)"


def test_every_format_writes_the_same_bytes_again(package: Path, extracts: dict[str, Path],
                                                  tmp_path: Path) -> None:
    for fmt in FORMATS:
        again = tmp_path / f"again.{fmt}"
        extra = ["--labels"] if fmt == "labels.csv" else []
        result = _run(package, "extract", *VARIABLES, "--country", "Danmark", "--wave", "2018",
                      "-o", str(again), *extra)
        assert result.exit_code == 0, result.output
        assert again.read_bytes() == extracts[fmt].read_bytes(), fmt


def test_selections_by_table_source_and_companion(package: Path, tmp_path: Path) -> None:
    """TABLE.VARIABLE, --table, --source, and a _missing column named for its variable."""
    out = tmp_path / "sizes.csv"
    result = _run(package, "extract", "associations.size_class", "n_members_missing",
                  "--source", "no-associations-2018", "-o", str(out))
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(out, infer_schema=False)
    assert frame.columns == ["respondent_id", "country", "wave", "source", "n_members",
                             "n_members_missing", "size_class"]
    assert set(frame["source"]) == {"no-associations-2018"}
    result = _run(package, "extract", "weight", "--table", "associations", "--country", "no",
                  "--format", "parquet", "-o", str(tmp_path / "weights.data"))
    assert result.exit_code == 0, result.output
    weights = pq.read_table(tmp_path / "weights.data")
    assert weights.schema.names == ["respondent_id", "country", "wave", "source", "weight"]
    assert set(weights["country"].to_pylist()) == {"no"}
    assert (tmp_path / "weights.codebook.json").is_file()


@pytest.mark.parametrize(("args", "message", "named"), [
    (["nosuch"], "no harmonized variable 'nosuch'", ["attitude", "size_class"]),
    (["institutions.nosuch"], "no variable 'nosuch' in institutions", ["attitude"]),
    (["attitude", "--table", "people"], "no table 'people'", ["associations, institutions"]),
    (["attitude", "--country", "se"], "no country 'se' in institutions",
     ["dk (Denmark), no (Norway)"]),
    (["attitude", "--wave", "2020"], "no wave 2020 in institutions", ["2016, 2018, 2022"]),
    (["attitude", "--source", "se-institutions-2018"], "no source 'se-institutions-2018'",
     ["dk-institutions-2016"]),
    (["attitude", "--country", "no", "--wave", "2016"], "institutions has no rows of country "
     "no and wave 2016", ["dk 2016", "no 2022"]),
    (["weight"], "in more than one table", ["--table"]),
    (["attitude", "size_class"], "no table holds all of these variables",
     ["attitude in institutions", "size_class in associations"]),
    (["attitude", "--format", "sav", "--labels"], "--labels is for CSV", []),
])
def test_what_does_not_exist_is_a_usage_error_naming_what_does(
        package: Path, tmp_path: Path, args: list[str], message: str, named: list[str]) -> None:
    out = tmp_path / "out.csv"
    result = _run(package, "extract", *args, "-o", str(out))
    assert result.exit_code == 2, result.output
    assert message in result.output
    for name in named:
        assert name in result.output, (name, result.output)
    assert not out.exists() and not (tmp_path / "out.codebook.json").exists()


def test_an_extract_never_overwrites_the_package(package: Path) -> None:
    before = (package / "processed" / "institutions.parquet").read_bytes()
    result = _run(package, "extract", "attitude", "-o",
                  str(package / "processed" / "institutions.parquet"))
    assert result.exit_code == 2 and "inside the package's processed" in result.output
    assert (package / "processed" / "institutions.parquet").read_bytes() == before
    result = _run(package, "extract", "attitude", "-o", str(package / "attitude.txt"))
    assert result.exit_code == 2 and "--format" in result.output


def _restricted(root: Path) -> Path:
    """Make the package restricted; where a build puts its microdata bundle."""
    path = root / "schemas" / "package.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings.update(access="restricted", conditions="For licensed users only.")
    path.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return root / "build" / "restricted" / "processed"


def test_a_restricted_package_is_extracted_from_its_bundle(tmp_path: Path) -> None:
    """access: restricted: the microdata are in build/restricted/processed (the bundle a build
    makes), and the frequencies still come from the public, suppressed codebook.json."""
    root = copy_package(tmp_path / "demo", ("schemas", "processed"))
    bundle = _restricted(root)
    out = tmp_path / "out.csv"
    result = _run(root, "extract", "attitude", "--country", "dk", "-o", str(out))
    assert result.exit_code == 3, result.output
    assert "build/restricted/processed/institutions.parquet: not found" in result.output
    bundle.mkdir(parents=True)
    for table in (root / "processed").glob("*.parquet"):
        table.rename(bundle / table.name)
    result = _run(root, "extract", "attitude", "--country", "dk", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert set(pl.read_csv(out, infer_schema=False)["source"]) == {
        "dk-institutions-2016", "dk-institutions-2018"}
    codebook = json.loads((tmp_path / "out.codebook.json").read_text(encoding="utf-8"))
    public = json.loads((root / "processed" / "codebook.json").read_text(encoding="utf-8"))
    assert codebook["tables"]["institutions"]["variables"]["attitude"]["frequencies"] == {
        sid: counts for sid, counts in public["tables"]["institutions"]["variables"][
            "attitude"]["frequencies"].items() if sid.startswith("dk-")}


def test_without_a_build_it_says_to_build(tmp_path: Path) -> None:
    root = copy_package(tmp_path / "demo", ("schemas",))
    result = _run(root, "extract", "attitude", "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 3, result.output
    assert "processed/codebook.json: not found" in result.output
    assert "coprod build" in result.output


def test_a_restricted_site_has_no_extract_page(tmp_path: Path) -> None:
    """The page reads the Parquet downloads, which a restricted package does not publish."""
    root = copy_package(tmp_path / "demo", ("schemas", "processed", "site_templates",
                                            "datapackage.json"))
    bundle = _restricted(root)
    bundle.mkdir(parents=True)
    for table in (root / "processed").glob("*.parquet"):
        table.rename(bundle / table.name)
    result = _run(root, "site")
    assert result.exit_code == 0, result.output
    site = root / "build" / "site"
    assert not (site / "extract.html").exists()
    assert "extract.html" not in (site / "index.html").read_text(encoding="utf-8")
