"""The site's SPSS and Stata downloads read in R with haven, as a researcher would, and compared
with the Parquet tables: every column and row (codes, user-missing values as NA, Stata's
extended missing values as tagged NA .a to .e), variable labels, value labels, declared missing
values and display formats; ordinal scales sort in codebook order with the missing reasons last
(haven::as_factor), and a mean of a yes/no variable leaves the missing reasons out.

A copy of the demo package is built; tests/r/read_exports.R reads every .sav in one R process and
every .dta in another, and writes what it read to CSV files that these tests compare with the
Parquet and the codebook YAML (not with export.py's own tables). R is Debian's r-base-core with
r-cran-haven, which scripts/test.sh installs where apt has them; without Rscript or haven the
tests skip on a developer's machine and fail in CI (CI=true).
"""

from __future__ import annotations

import csv
import math
import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from conftest import copy_package
from coprod.cli import main

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
SCRIPT = Path(__file__).parent / "r" / "read_exports.R"
INSTALL_HINT = ("install R and haven with `sudo apt-get install r-base-core r-cran-haven` "
                "(scripts/test.sh does it when run as root or in CI, where apt has them)")
# Stata's extended missing values, in the order of the package's missing reasons; the site says
# .a not applicable, .b don't know, .c refused, .d no answer, .e not asked
STATA_TAGS = "abcdefghijklmnopqrstuvwxyz"
FORMATS = ("sav", "dta")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}. In CI the R tests must run, not skip.")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def rscript() -> str:
    found = shutil.which("Rscript")
    if found is None:
        _unavailable(f"Rscript is not installed: {INSTALL_HINT}")
    probe = subprocess.run([found, "--vanilla", "-e",
                            "quit(status = !requireNamespace('haven', quietly = TRUE))"],
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        _unavailable(f"the R package haven is not installed: {INSTALL_HINT}")
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, rscript: str) -> Path:
    """A copy of the demo package, built (the site's downloads and the Parquet tables)."""
    root = copy_package(tmp_path_factory.mktemp("r") / "demo")
    result = CliRunner().invoke(main, ["--root", str(root), "build"])
    assert result.exit_code == 0, f"coprod build failed:\n{result.output}\n{result.exception!r}"
    return root


@pytest.fixture(scope="module")
def read_by_r(built: Path, rscript: str) -> Path:
    """What R read from every .sav and .dta download: one Rscript run per format."""
    downloads = built / "build" / "site" / "downloads"
    out = built.parent / "read-by-r"
    out.mkdir()
    for fmt in FORMATS:
        files = sorted(downloads.glob(f"*.{fmt}"))
        assert files, f"the build made no .{fmt} download"
        done = subprocess.run([rscript, "--vanilla", str(SCRIPT), fmt, str(out),
                               *map(str, files)], capture_output=True, text=True, timeout=600)
        if done.returncode == 3:
            _unavailable(f"the R package haven is not installed: {INSTALL_HINT}")
        assert done.returncode == 0, f"{SCRIPT.name} {fmt} failed:\n{done.stderr}"
    return out


# --- what the codebook says each column holds ----------------------------------------------------

@dataclass
class Column:
    name: str
    kind: str  # categorical (a codebook variable's codes), reason (a _missing column), or the type
    label: str | None = None  # the variable label (English), None for a reason column
    base: str | None = None  # the variable a reason column belongs to
    ordinal: bool = False
    categories: list[dict] = field(default_factory=list)  # substantive, in codebook order


@dataclass
class Codebook:
    missing: list[dict]  # the package's missing reasons, in order
    columns: dict[str, Column]

    @property
    def reason_code(self) -> dict[str, int]:
        return {m["value"]: m["code"] for m in self.missing}

    def codes(self, column: Column) -> dict[str, int]:
        return {**{c["value"]: c["code"] for c in column.categories}, **self.reason_code}

    def labels(self, column: Column) -> dict[int, str]:
        """Value labels, by code: the categories' and the missing reasons' (English)."""
        return {c["code"]: _en(c["label"]) for c in [*column.categories, *self.missing]}

    def tag(self, code: int) -> str:
        return STATA_TAGS[[m["code"] for m in self.missing].index(code)]


def _en(label: dict | str) -> str:
    if isinstance(label, str):
        return label
    return label.get("en") or next((text for text in label.values() if text), "")


def _codebook(root: Path, table: str, names: list[str]) -> Codebook:
    package = yaml.safe_load((root / "schemas" / "package.yaml").read_text(encoding="utf-8"))
    spec = yaml.safe_load(
        (root / "schemas" / "harmonized" / f"{table}.yaml").read_text(encoding="utf-8"))
    variables = spec["variables"]
    columns = {}
    for name in names:
        var = variables.get(name)
        if var is None and name.endswith("_missing") and name[:-len("_missing")] in variables:
            columns[name] = Column(name, "reason", base=name[:-len("_missing")])
        elif var is None:
            raise AssertionError(f"{table}.{name} is in the Parquet but not in the codebook")
        elif var["type"] == "categorical":
            columns[name] = Column(name, "categorical", _en(var["label"]),
                                   ordinal=var.get("level") == "ordinal",
                                   categories=list(var["categories"]))
        elif var["type"] in ("integer", "number", "string"):
            columns[name] = Column(name, var["type"], _en(var["label"]))
        else:
            raise AssertionError(f"{table}.{name}: no rule here for comparing a {var['type']} "
                                 "column; teach tests/test_r.py")
    return Codebook(package["missing"], columns)


# --- what R wrote -------------------------------------------------------------------------------

def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _long(path: Path) -> dict[str, list[tuple[str, str, str]]]:
    """A meta or checks file: column -> [(key, name, value), ...] in the order R wrote them."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for column, key, name, value in _rows(path)[1:]:
        out.setdefault(column, []).append((key, name, value))
    return out


def _one(entries: list[tuple[str, str, str]], key: str) -> str | None:
    found = [value for k, _, value in entries if k == key]
    assert len(found) <= 1, (key, found)
    return found[0] if found else None


def _tables(built: Path) -> list[str]:
    names = sorted(p.stem for p in (built / "processed").glob("*.parquet"))
    assert names, "the build made no Parquet table"
    return names


def _parquet(built: Path, table: str) -> dict[str, list]:
    return pq.read_table(built / "processed" / f"{table}.parquet").to_pydict()


# --- the cells ----------------------------------------------------------------------------------

def _expected_cell(book: Codebook, column: Column, value: object, how: str) -> str | float:
    """What R should read for one Parquet value: a code, "NA", "NA(<tag>)", "s:<text>", or a
    number (compared as a number). ``how`` is sav (user-missing as NA, haven's default),
    sav-user-na (user_na = TRUE: the codes kept) or dta."""
    if column.kind in ("categorical", "reason"):
        if value is None:
            return "NA"  # no reason either: system-missing in SPSS, . in Stata
        codes = book.reason_code if column.kind == "reason" else book.codes(column)
        assert value in codes, f"{column.name}: {value!r} has no code in the codebook"
        code = codes[value]
        if code >= 0 or how == "sav-user-na":
            return str(code)
        return "NA" if how == "sav" else f"NA({book.tag(code)})"
    if column.kind in ("integer", "number"):
        return "NA" if value is None else float(value)
    # Text: SPSS and Stata have no missing text, so a null reads as an empty string
    return "s:" + ("" if value is None else str(value))


def _compare_cells(book: Codebook, parquet: dict[str, list], path: Path,
                   how: str) -> tuple[int, list[str]]:
    rows = _rows(path)
    header, body = rows[0], rows[1:]
    problems = []
    if header != list(parquet):
        return 0, [f"{path.name}: columns {header} != Parquet {list(parquet)}"]
    n_rows = len(next(iter(parquet.values())))
    if len(body) != n_rows:
        return 0, [f"{path.name}: {len(body)} rows, the Parquet has {n_rows}"]
    compared = 0
    for j, name in enumerate(header):
        column = book.columns[name]
        bad = []
        for i, (row, value) in enumerate(zip(body, parquet[name], strict=True)):
            want = _expected_cell(book, column, value, how)
            got = row[j]
            compared += 1
            if isinstance(want, float):
                ok = got != "NA" and not got.startswith("s:") and float(got) == want
            else:
                ok = got == want
            if not ok:
                bad.append(f"row {i + 1}: R {got!r}, Parquet {value!r} (expected {want!r})")
        if bad:
            problems.append(f"{path.name} {name}: {len(bad)} of {n_rows} differ, e.g. "
                            + "; ".join(bad[:3]))
    return compared, problems


def test_every_value_of_every_table_reads_back_in_r(built: Path, read_by_r: Path) -> None:
    compared, problems = 0, []
    for table in _tables(built):
        parquet = _parquet(built, table)
        book = _codebook(built, table, list(parquet))
        for how, file in (("sav", f"{table}.sav.values.csv"),
                          ("sav-user-na", f"{table}.sav.user_na.values.csv"),
                          ("dta", f"{table}.dta.values.csv")):
            n, found = _compare_cells(book, parquet, read_by_r / file, how)
            compared += n
            problems += found
    assert not problems, "\n".join(problems)
    assert compared > 0


# --- labels, declared missing values, formats ---------------------------------------------------

def _check_meta(book: Codebook, meta: dict[str, list[tuple[str, str, str]]], fmt: str,
                table: str) -> list[str]:
    problems = []
    for name, column in book.columns.items():
        entries = meta.get(name)
        where = f"{table}.{fmt} {name}"
        if entries is None:
            problems.append(f"{where}: not read by R")
            continue
        label = _one(entries, "label")
        if column.kind == "reason":
            if not label or column.base not in label:
                problems.append(f"{where}: variable label {label!r} does not name {column.base}")
        elif label != column.label:
            problems.append(f"{where}: variable label {label!r}, codebook {column.label!r}")

        labelled = column.kind in ("categorical", "reason")
        classes = {k: v for k, _, v in entries if k in ("class", "default_class")}
        want_class = ("haven_labelled" if labelled else
                      "character" if column.kind == "string" else "numeric")
        default_class = classes.get("default_class", classes.get("class"))
        if default_class != want_class:
            problems.append(f"{where}: read as {default_class}, expected {want_class}")

        labels = {code: text for k, code, text in entries if k == "labels"}
        if labelled:
            by_code = book.labels(column) if column.kind == "categorical" else {
                m["code"]: _en(m["label"]) for m in book.missing}
            want = {(str(code) if code >= 0 or fmt == "sav" else f"NA({book.tag(code)})"): text
                    for code, text in by_code.items()}
            if labels != want:
                problems.append(f"{where}: value labels {labels}, expected {want}")
        elif labels:
            problems.append(f"{where}: value labels on a column without categories: {labels}")

        if fmt == "sav":
            low = min(m["code"] for m in book.missing)
            high = max(m["code"] for m in book.missing)
            na_range = _one(entries, "na_range")
            want_range = f"{low} {high}" if labelled else None
            if na_range != want_range:
                problems.append(f"{where}: user-missing range {na_range!r}, expected "
                                f"{want_range!r}")
            if _one(entries, "na_values") is not None:
                problems.append(f"{where}: unexpected discrete user-missing values")

        display = _one(entries, "format")
        whole = labelled or column.kind == "integer"
        pattern = {("sav", True): r"F\d+\.0", ("dta", True): r"%\d+\.0f",
                   ("sav", False): r"F\d+\.[1-9]", ("dta", False): r"%\d+\.[1-9]f"}
        if column.kind != "string" and not re.fullmatch(pattern[fmt, whole], display or ""):
            problems.append(f"{where}: display format {display!r}, expected "
                            + ("no decimals" if whole else "decimals"))
    extra = set(meta) - set(book.columns)
    if extra:
        problems.append(f"{table}.{fmt}: columns R read that the Parquet lacks: {sorted(extra)}")
    return problems


def test_variable_labels_value_labels_and_missing_values_read_in_r(built: Path,
                                                                   read_by_r: Path) -> None:
    problems = []
    for table in _tables(built):
        parquet = _parquet(built, table)
        book = _codebook(built, table, list(parquet))
        for fmt in FORMATS:
            problems += _check_meta(book, _long(read_by_r / f"{table}.{fmt}.meta.csv"), fmt,
                                    table)
    assert not problems, "\n".join(problems)


# --- as a researcher uses them: sorting and means -----------------------------------------------

def _sorted_runs(entries: list[tuple[str, str, str]]) -> list[tuple[str, int]]:
    """The run lengths of sort(as_factor(x), na.last = TRUE): (label or "NA", count)."""
    return [(name.removeprefix("s:") if name != "NA" else "NA", int(value))
            for key, name, value in entries if key == "sorted"]


def _check_order(book: Codebook, column: Column, values: list, entries: list, fmt: str,
                 where: str) -> list[str]:
    """An ordinal column sorts in codebook order, then the missing reasons (NA in the .sav;
    their labels, from Stata's tagged NA, in the .dta), then the values without a reason."""
    counts = Counter(values)
    substantive = [(_en(c["label"]), counts[c["value"]]) for c in column.categories
                   if counts[c["value"]]]
    reasons = {_en(m["label"]): counts[m["value"]] for m in book.missing if counts[m["value"]]}
    nulls = counts[None]
    runs = _sorted_runs(entries)
    problems = []
    head, tail = runs[:len(substantive)], runs[len(substantive):]
    if head != substantive:
        problems.append(f"{where}: sort(as_factor()) begins {head}, expected {substantive}")
    if fmt == "sav":
        want_tail = [("NA", sum(reasons.values()) + nulls)] if reasons or nulls else []
        if tail != want_tail:
            problems.append(f"{where}: sort(as_factor()) ends {tail}, expected {want_tail}")
    else:
        tail_reasons = dict(tail[:len(reasons)])
        want_na = [("NA", nulls)] if nulls else []
        if tail_reasons != reasons or tail[len(reasons):] != want_na:
            problems.append(f"{where}: sort(as_factor()) ends {tail}, expected the missing "
                            f"reasons {reasons} then {want_na}")
    levels = [value for key, _, value in entries if key == "level"]
    labels = [_en(c["label"]) for c in column.categories]
    if [level for level in levels if level in labels] != labels:
        problems.append(f"{where}: as_factor levels {levels} are not in codebook order")
    if fmt == "dta" and levels[:len(labels)] != labels:
        problems.append(f"{where}: as_factor levels {levels} do not begin with the categories")
    return problems


def test_ordinal_scales_sort_in_codebook_order_with_the_missing_reasons_last(
        built: Path, read_by_r: Path) -> None:
    problems, ordinal = [], []
    for table in _tables(built):
        parquet = _parquet(built, table)
        book = _codebook(built, table, list(parquet))
        for fmt in FORMATS:
            checks = _long(read_by_r / f"{table}.{fmt}.checks.csv")
            for name, column in book.columns.items():
                if column.ordinal:
                    ordinal.append(f"{table}.{name}")
                    problems += _check_order(book, column, parquet[name], checks[name], fmt,
                                             f"{table}.{fmt} {name}")
    assert ordinal, "the package declares no ordinal variable"
    assert not problems, "\n".join(problems)


def test_attitude_sorts_from_very_positive_to_very_negative_then_the_missing_reasons(
        built: Path, read_by_r: Path) -> None:
    if not (built / "processed" / "institutions.parquet").exists():
        pytest.skip("this package has no institutions table")
    values = _parquet(built, "institutions")["attitude"]
    reasons = {m["value"] for m in _codebook(built, "institutions", []).missing}
    assert reasons & set(values), "attitude has no missing reason: the check would prove little"
    for fmt in FORMATS:
        runs = _sorted_runs(_long(read_by_r / f"institutions.{fmt}.checks.csv")["attitude"])
        labels = [label for label, _ in runs]
        assert labels[0] == "Very positive", (fmt, labels)
        assert labels.index("Very negative") == 4, (fmt, labels)
        assert sum(n for _, n in runs[5:]) == sum(v in reasons or v is None for v in values)


def test_a_mean_of_a_yes_no_variable_leaves_the_missing_reasons_out(built: Path,
                                                                   read_by_r: Path) -> None:
    """mean(x == 1, na.rm = TRUE), as the downloads page shows, is yes / (yes + no)."""
    problems, checked, with_reasons = [], [], []
    for table in _tables(built):
        parquet = _parquet(built, table)
        book = _codebook(built, table, list(parquet))
        for fmt in FORMATS:
            checks = _long(read_by_r / f"{table}.{fmt}.checks.csv")
            for name, column in book.columns.items():
                if {c["value"] for c in column.categories} != {"yes", "no"}:
                    continue
                assert book.codes(column)["yes"] == 1, f"{table}.{name}: yes is not coded 1"
                counts = Counter(parquet[name])
                answered = counts["yes"] + counts["no"]
                n_missing = len(parquet[name]) - answered
                got = float(_one(checks[name], "mean_eq_1"))
                n_na = int(_one(checks[name], "n_na"))
                where = f"{table}.{fmt} {name}"
                checked.append(where)
                if n_na != n_missing:
                    problems.append(f"{where}: {n_na} NA in R, {n_missing} missing in Parquet")
                if answered == 0:
                    if not math.isnan(got):
                        problems.append(f"{where}: mean {got} of no answers")
                    continue
                want = counts["yes"] / answered
                if not math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-15):
                    problems.append(f"{where}: mean(x == 1, na.rm = TRUE) = {got}, "
                                    f"yes / (yes + no) = {want}")
                if n_missing and counts["yes"]:
                    with_reasons.append(where)
    assert checked, "the package has no yes/no variable"
    assert with_reasons, "no yes/no variable has a missing reason: the check would prove little"
    assert not problems, "\n".join(problems)
