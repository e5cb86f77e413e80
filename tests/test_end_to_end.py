"""The shipped demo package, built for real in a temporary copy: reproducible outputs that pass
Frictionless, a site linking every codebook page, summary figures that match a computation made
directly from the raw files, and a broken delivery that changes nothing."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyreadstat
import pytest
from click.testing import CliRunner

from conftest import PACKAGE_ROOT, copy_package
from coprod.cli import main
from coprod.codebook import Codebooks, load_codebooks
from coprod.project import Project
from coprod.reference import load_reference

CODEBOOKS = load_codebooks(PACKAGE_ROOT / "schemas")
OUTPUTS = ["datapackage.json", *(f"processed/{table}.parquet" for table in CODEBOOKS.tables)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package copied without its outputs and built once, for the read-only checks of this
    module."""
    root = copy_package(tmp_path_factory.mktemp("built") / "demo",
                        ("schemas", "raw", "reference", "site_templates"))
    result = CliRunner().invoke(main, ["--root", str(root), "build"])
    assert result.exit_code == 0, result.output
    return root


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


def _set_cells(root: Path, source_id: str, column: str, rows: list[int], value: str) -> None:
    """Set ``column`` of the given 1-based data rows (unquoted) of a delimited source file,
    written back in the source's dialect."""
    source = load_codebooks(root / "schemas").sources[source_id]
    dialect, path = source.dialect, root / source.file
    lines = path.read_bytes().decode(dialect.encoding).split(dialect.line_terminator)
    index = lines[0].split(dialect.delimiter).index(column)
    for row in rows:
        cells = lines[row].split(dialect.delimiter)
        cells[index] = value
        lines[row] = dialect.delimiter.join(cells)
    path.write_bytes(dialect.line_terminator.join(lines).encode(dialect.encoding))


def test_fresh_build_reproduces_the_committed_outputs(built: Path) -> None:
    for name in OUTPUTS:
        assert (built / name).read_bytes() == (PACKAGE_ROOT / name).read_bytes(), (
            f"{name} differs from a fresh build: run `coprod build` and commit the result")


def test_each_table_holds_the_countries_and_sources_of_its_codebooks(built: Path) -> None:
    for table in CODEBOOKS.tables:
        sources = CODEBOOKS.sources_for(table)
        frame = pl.read_parquet(built / "processed" / f"{table}.parquet")
        assert set(frame["country"].cast(pl.String)) == {s.country for s in sources}
        assert set(frame["source"]) == {s.id for s in sources}
        assert frame["respondent_id"].is_unique().all()


def test_datapackage_passes_frictionless(built: Path) -> None:
    frictionless = Path(sys.executable).parent / "frictionless"
    result = subprocess.run([str(frictionless), "validate", "datapackage.json"], cwd=built,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    descriptor = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["synthetic"] is True and "synthetic" in descriptor["description"].lower()


def test_parquet_opens_with_categories_in_pandas_and_duckdb(built: Path) -> None:
    import duckdb
    import pandas as pd

    path = built / "processed" / "institutions.parquet"
    frame = pd.read_parquet(path)
    assert isinstance(frame["welfare_field"].dtype, pd.CategoricalDtype)
    assert "childcare" in frame["welfare_field"].cat.categories
    widths = frame.groupby("source", observed=True)["municipality_code"].agg(
        lambda codes: sorted(codes.str.len().unique()))
    references = CODEBOOKS.package.municipality_references
    # strings of the width each source's classification declares: leading zeros kept
    assert widths.to_dict() == {s.id: [references[s.municipality.reference].width]
                                for s in CODEBOOKS.sources_for("institutions")}
    count = duckdb.sql(f"select count(*) from '{path}' where collab_any = 'yes'").fetchall()[0][0]
    assert count == int((frame["collab_any"] == "yes").sum())


def test_index_links_to_every_codebook_page(built: Path) -> None:
    index = (built / "build" / "site" / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="(variables/[^"]+)"', index))
    for table in CODEBOOKS.tables:
        spec = pl.read_parquet_schema(built / "processed" / f"{table}.parquet")
        variables = [c for c in spec if not c.endswith("_missing")]
        for name in variables:
            assert f"variables/{table}/{name}.html" in links
            assert (built / "build" / "site" / "variables" / table / f"{name}.html").is_file()


def test_nothing_personal_is_published(built: Path) -> None:
    published = [built / p for p in OUTPUTS] + list((built / "build" / "site").rglob("*"))
    for path in published:
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            assert not re.search(r"[\w.]+@example\.[a-z]+", text), path
            assert not re.search(r"\b\d{6}-\d{4}\b", text), path


# --- summary figures against the raw files -------------------------------------------------------


def _weighted(pairs: list[tuple[bool, float]]) -> float:
    return 100 * sum(w for yes, w in pairs if yes) / sum(w for _, w in pairs)


def _dk(source_id: str, yes_no: dict[str, tuple[float, float]]) -> float:
    """Weighted share from an SPSS file: yes if any variable has its yes code, no if all have
    their no code; other answers are missing and left out."""
    source = CODEBOOKS.sources[source_id]
    frame, _ = pyreadstat.read_sav(str(PACKAGE_ROOT / source.file), output_format="dict")
    pairs = []
    for i, weight in enumerate(frame[source.mappings["weight"].from_]):
        answers = [frame[v][i] for v in yes_no]
        if any(a == yes_no[v][0] for a, v in zip(answers, yes_no, strict=True)):
            pairs.append((True, weight))
        elif all(a == yes_no[v][1] for a, v in zip(answers, yes_no, strict=True)):
            pairs.append((False, weight))
    return _weighted(pairs)


def _no(source_id: str, columns: list[str]) -> float:
    """The same from a delimited file coded 1 yes, 0 no, read in its declared dialect."""
    source = CODEBOOKS.sources[source_id]
    dialect = source.dialect
    text = (PACKAGE_ROOT / source.file).read_bytes().decode(dialect.encoding)
    pairs = []
    for row in csv.DictReader(io.StringIO(text, newline=""), delimiter=dialect.delimiter):
        weight = float(row[source.mappings["weight"].from_].replace(dialect.decimal, "."))
        answers = [row[c] for c in columns]
        if "1" in answers:
            pairs.append((True, weight))
        elif all(a == "0" for a in answers):
            pairs.append((False, weight))
    return _weighted(pairs)


def _summary_percent(site: Path, title: str, country: str) -> float:
    # the summary's own page, found by its title
    (section,) = [html for path in sorted((site / "summaries").rglob("*.html"))
                  if re.search(rf"<h1>{re.escape(title)}(</h1>| <span)",
                               html := path.read_text(encoding="utf-8"))]
    row = re.search(rf"<th scope=\"row\">{country}</th>\s*<td>2018</td>\s*"
                    r"<td class=\"num\">([\d.]+)</td>", section)
    assert row, f"no {country} 2018 row under {title!r}"
    return float(row.group(1))


def test_summary_figures_match_the_raw_files(built: Path) -> None:
    """The demo's 2018 figures (other sources do not change them)."""
    site = built / "build" / "site"
    institutions = "Institutions collaborating with associations or volunteers"
    associations = "Associations collaborating with a municipal institution"
    dk_inst = _dk("dk-institutions-2018",
                  {"samarb_foreninger": (1, 2), "samarb_frivillige": (1, 2)})
    dk_assoc = _dk("dk-associations-2018", {"samarb_institution": (1, 2)})
    no_inst = _no("no-institutions-2018", ["samarbeid_lag_foreninger", "samarbeid_frivillige"])
    no_assoc = _no("no-associations-2018", ["samarbeid_kommunal_virksomhet"])
    assert _summary_percent(site, institutions, "Denmark") == pytest.approx(dk_inst, abs=0.05)
    assert _summary_percent(site, institutions, "Norway") == pytest.approx(no_inst, abs=0.05)
    assert _summary_percent(site, associations, "Denmark") == pytest.approx(dk_assoc, abs=0.05)
    assert _summary_percent(site, associations, "Norway") == pytest.approx(no_assoc, abs=0.05)
    # The published patterns (DESIGN §2) hold in the demo data.
    assert 60 <= dk_inst <= 70
    assert 40 <= dk_assoc <= 45


# --- builds that change nothing -----------------------------------------------------------------


def test_second_build_changes_nothing(demo: Path) -> None:
    assert _run(demo, "build").exit_code == 0
    before = {p: p.stat().st_mtime_ns for p in (demo / n for n in OUTPUTS)}
    result = _run(demo, "build")
    assert result.exit_code == 0
    assert "Nothing to do" in result.output
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_unknown_code_in_a_raw_csv_fails_and_leaves_outputs(demo: Path) -> None:
    assert _run(demo, "build").exit_code == 0
    before = {n: (demo / n).read_bytes() for n in OUTPUTS}
    _set_cells(demo, "no-institutions-2018", "samarbeid_lag_foreninger", [5], "7")

    text = _run(demo, "validate")
    assert text.exit_code == 1
    assert ("raw/no/no_virksomheter_2018.csv:6: row 5, column samarbeid_lag_foreninger, "
            "value '7': code 7 is not in the codebook") in text.output
    report = json.loads(_run(demo, "validate", "--format", "json").output)
    source = next(s for s in report["sources"] if s["id"] == "no-institutions-2018")
    assert [(e["row"], e["column"], e["value"], e["check"]) for e in source["errors"]] == [
        (5, "samarbeid_lag_foreninger", "7", "unknown-code")]
    assert source["file"] == "raw/no/no_virksomheter_2018.csv"

    build = _run(demo, "build")
    assert build.exit_code == 1
    assert "Traceback" not in build.output
    assert {n: (demo / n).read_bytes() for n in OUTPUTS} == before


def _derived(codebooks: Codebooks, table: str, derivation: str) -> str:
    """The column of a table made by a derivation (its name is the table's choice)."""
    return next(name for name, var in codebooks.tables[table].variables.items()
                if var.derive == derivation)


def test_every_row_has_a_reference_code_or_a_split_flag(built: Path) -> None:
    """Every source's codes are carried to its country's reference classification
    (municipality_target; a country without one is its own reference), or flagged as split."""
    package = CODEBOOKS.package
    references = package.municipality_references
    for table in CODEBOOKS.tables:
        code, split_into = (_derived(CODEBOOKS, table, d) for d in (
            "municipality_code_reference", "municipality_split_into"))
        flag = _derived(CODEBOOKS, table, "municipality_split")
        frame = pl.read_parquet(built / "processed" / f"{table}.parquet").with_columns(
            pl.col(flag).cast(pl.String))
        for source in CODEBOOKS.sources_for(table):
            own = source.municipality.reference
            target = package.municipality_target.get(source.country, own)
            known = set(load_reference(Project(built), references[target]))
            rows = frame.filter(pl.col("source") == source.id)
            split = rows.filter(pl.col(flag) == "yes")
            whole = rows.filter(pl.col(flag) == "no")
            assert split.height + whole.height == rows.height > 0, source.id
            assert split[code].null_count() == split.height, source.id
            assert split[split_into].null_count() == 0, source.id
            assert whole[code].null_count() == 0, source.id
            assert set(whole[code]) <= known, source.id
            width = references[own].width
            assert (rows["municipality_code"].str.len_chars() == width).all(), source.id
            if target == own:  # nothing to carry: the code is its own reference code
                assert split.height == 0, source.id
                assert (rows[code] == rows["municipality_code"]).all(), source.id


def test_a_new_code_in_a_2022_file_fails_the_build_naming_it(demo: Path) -> None:
    _set_cells(demo, "no-institutions-2022", "samarbeid_lag_foreninger", [3, 8, 21], "2")
    result = _run(demo, "build")
    assert result.exit_code == 1
    assert ("no-institutions-2022: samarbeid_lag_foreninger: unknown-code '2' (3 rows)"
            in result.output)
    assert "Traceback" not in result.output


def test_a_mapping_entry_matching_nothing_is_reported(demo: Path) -> None:
    path = demo / "schemas" / "sources" / "no-institutions-2022.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("values: {0: Nei, 1: Ja, 9: Vet ikke}",
                        "values: {0: Nei, 1: Ja, 2: Delvis, 9: Vet ikke}", 1)
    text = text.replace("    from: samarbeid_lag_foreninger\n    recode: {1: 'yes', 0: 'no'}",
                        "    from: samarbeid_lag_foreninger\n"
                        "    recode: {1: 'yes', 0: 'no', 2: 'yes'}")
    path.write_text(text, encoding="utf-8")
    result = _run(demo, "build")
    assert result.exit_code == 0, result.output
    assert ("warning: no-institutions-2022: mapping samarbeid_lag_foreninger code 2 → "
            "collab_associations=yes matches no row") in result.output


def test_build_check_is_the_reproducibility_gate(demo: Path) -> None:
    clean = _run(demo, "build", "--check")
    assert clean.exit_code == 0, clean.output
    assert "Reproducible" in clean.output
    parquet = demo / "processed" / "associations.parquet"
    parquet.write_bytes(parquet.read_bytes() + b"\0")
    altered = _run(demo, "build", "--check")
    assert altered.exit_code == 1
    assert "differ from a fresh build:\n  processed/associations.parquet" in altered.output
    assert parquet.read_bytes().endswith(b"\0")  # --check writes nothing
