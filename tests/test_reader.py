"""The researchers' reader (coprod.reader): on the downloaded files alone, without the build
stack; missing reasons left out of means; labels in each language; categories in codebook order,
ordinal ones ordered; _missing companions; the codebook of what it returned; DuckDB ENUMs."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import PACKAGE_ROOT, REPO
from coprod import reader
from coprod.reader import duckdb_sql, read, read_codebook

# What builds the package, and that a reader of the published files must not need
BUILD_STACK = ["pandera", "pyreadstat", "jinja2", "pydantic", "yaml", "click", "rich", "babel",
               "clevercsv", "charset_normalizer", "rapidfuzz", "python_calamine", "highspy",
               "frictionless", "duckdb"]


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    """The files a researcher downloads: a table's Parquet file and codebook.json."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    for name in ("institutions.parquet", "codebook.json"):
        shutil.copy(PACKAGE_ROOT / "processed" / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def book() -> dict:
    return json.loads((PACKAGE_ROOT / "processed" / "codebook.json").read_text(encoding="utf-8"))


def _stored(path: Path, column: str) -> list:
    return pq.read_table(path, columns=[column]).column(column).cast(pa.string()).to_pylist()


def _share_yes(path: Path, column: str = "collab_any") -> float:
    """yes / (yes + no), counted in the stored values: the missing reasons left out."""
    values = _stored(path, column)
    return values.count("yes") / (values.count("yes") + values.count("no"))


def _attitude(book: dict) -> list[dict]:
    return book["tables"]["institutions"]["variables"]["attitude"]["categories"]


def _reasons(book: dict) -> list[str]:
    return [m["value"] for m in book["missing"]]


# --- no build stack ------------------------------------------------------------------------------

# A module set to None in sys.modules cannot be imported (ImportError), and importlib's
# find_spec says it is not there: what polars asks of its optional dependencies.
BLOCKER = """
import sys

for name in {blocked!r}:
    sys.modules[name] = None
"""

PROBE = """
import json
import sys

{import_reader}

out = {{}}
frame, codebook = read("institutions.parquet", ["collab_any", "attitude", "n_employees"],
                       missing="column")
out["columns"] = frame.columns
out["share"] = frame["collab_any"].eq("yes").mean()
out["attitude"] = str(frame["attitude"].dtype)
pandas, _ = read("institutions.parquet", ["collab_any"], labels="da", backend="pandas")
out["pandas_share"] = float(pandas["collab_any"].value_counts(normalize=True)["Ja"])
out["codebook"] = sorted(codebook["variables"])
out["modules"] = sorted(m for m, module in sys.modules.items() if module is not None
                        and m.split(".")[0] in {blocked_top!r})
print(json.dumps(out))
"""


def _probe(cwd: Path, *, standalone: bool) -> dict:
    """Run the reader in a fresh, isolated interpreter (``-I``: no PYTHONPATH, no user site,
    not the current folder) in which the build stack cannot be imported."""
    coprod = sorted(f"coprod.{p.stem}" for p in (REPO / "src" / "coprod").glob("*.py")
                    if p.stem not in ("__init__", "reader"))
    coprod += sorted(f"coprod.{p.name}" for p in (REPO / "src" / "coprod").iterdir()
                     if (p / "__init__.py").is_file())
    if standalone:  # reader.py copied beside the script, no coprod at all
        lib = cwd / "lib"
        lib.mkdir()
        shutil.copy(REPO / "src" / "coprod" / "reader.py", lib / "reader.py")
        blocked = [*BUILD_STACK, "coprod"]
        import_reader = f"sys.path.insert(0, {str(lib)!r})\nfrom reader import read"
    else:
        blocked = [*BUILD_STACK, *coprod]
        import_reader = "from coprod.reader import read"
    code = (BLOCKER.format(blocked=blocked)
            + PROBE.format(import_reader=import_reader,
                           blocked_top=[*BUILD_STACK, "coprod"]))
    done = subprocess.run([sys.executable, "-I", "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("standalone", [False, True], ids=["coprod.reader", "reader.py"])
def test_reader_works_on_the_downloads_without_the_build_stack(downloads: Path,
                                                               standalone: bool) -> None:
    out = _probe(downloads, standalone=standalone)
    assert out["modules"] == ([] if standalone else ["coprod", "coprod.reader"])
    expected = _share_yes(downloads / "institutions.parquet")
    assert out["share"] == pytest.approx(expected)
    assert out["pandas_share"] == pytest.approx(expected)
    assert out["columns"] == ["collab_any", "collab_any_missing", "attitude", "attitude_missing",
                              "n_employees", "n_employees_missing"]
    assert out["codebook"] == sorted(out["columns"])
    assert out["attitude"].startswith("Enum")


def test_the_reader_module_imports_only_the_standard_library_and_pyarrow() -> None:
    tree = ast.parse((REPO / "src" / "coprod" / "reader.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "argparse", "json", "sys", "collections", "dataclasses",
                        "pathlib", "typing", "pyarrow", "polars", "pandas"}, imported


# --- missing reasons -----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["polars", "pandas"])
def test_mean_of_a_yes_no_variable_excludes_the_missing_reasons(downloads: Path,
                                                                backend: str) -> None:
    path = downloads / "institutions.parquet"
    stored = _stored(path, "collab_any")
    assert set(stored) & {"dont_know", "refused", "no_answer", "not_applicable", "not_asked"}
    frame, _ = read(path, ["collab_any"], backend=backend)
    column = frame["collab_any"]
    if backend == "polars":
        share = column.eq("yes").mean()
        counts = dict(column.value_counts().iter_rows())
    else:
        share = column.dropna().eq("yes").mean()
        counts = column.value_counts().to_dict()
        assert column.value_counts(normalize=True)["yes"] == pytest.approx(share)
    assert share == pytest.approx(_share_yes(path))
    # the reasons are neither counted nor categories: nulls
    assert {k for k, n in counts.items() if n} <= {"yes", "no", None}
    nulls = column.null_count() if backend == "polars" else int(column.isna().sum())
    assert nulls == len(stored) - stored.count("yes") - stored.count("no")


def test_selected_variables_come_with_their_missing_companions(downloads: Path,
                                                               book: dict) -> None:
    path = downloads / "institutions.parquet"
    frame, codebook = read(path, ["attitude", "n_employees"], missing="column")
    assert frame.columns == ["attitude", "attitude_missing", "n_employees", "n_employees_missing"]
    reasons = _reasons(book)
    stored = _stored(path, "attitude")
    got = frame["attitude_missing"].cast(pl.String).to_list()
    assert got == [v if v in reasons else None for v in stored]
    assert frame["attitude"].cast(pl.String).to_list() == [
        None if v in reasons else v for v in stored]
    assert frame["n_employees_missing"].cast(pl.String).to_list() == _stored(
        path, "n_employees_missing")
    assert list(frame["attitude_missing"].dtype.categories) == reasons
    # the codebook describes what came back, the made companion too
    assert list(codebook["variables"]) == frame.columns
    assert codebook["variables"]["attitude_missing"]["missing_reason_of"] == "attitude"
    assert codebook["read"]["missing"] == "column"
    # as nulls: no companions; as categories: the stored column, reasons after the scale
    assert read(path, ["attitude", "n_employees"]).frame.columns == ["attitude", "n_employees"]
    kept, _ = read(path, ["attitude", "n_employees"], missing="category")
    assert kept.columns == ["attitude", "n_employees", "n_employees_missing"]
    assert list(kept["attitude"].dtype.categories) == [
        *(c["value"] for c in _attitude(book)), *reasons]
    assert kept["attitude"].cast(pl.String).to_list() == stored


# --- labels and order ----------------------------------------------------------------------------


def test_labels_come_in_each_language(downloads: Path, book: dict) -> None:
    path = downloads / "institutions.parquet"
    languages = list(book["tables"]["institutions"]["title"])
    assert len(languages) >= 2
    stored = _stored(path, "attitude")
    for language in languages:
        for backend in ("polars", "pandas"):
            frame, codebook = read(path, ["country", "attitude"], labels=language,
                                   missing="category", backend=backend)
            labels = {c["value"]: c["label"][language] for c in _attitude(book)}
            labels.update({m["value"]: m["label"][language] for m in book["missing"]})
            values = (frame["attitude"].cast(pl.String).to_list() if backend == "polars"
                      else frame["attitude"].astype(str).tolist())
            assert values == [labels[v] for v in stored], (language, backend)
            categories = (list(frame["attitude"].dtype.categories) if backend == "polars"
                          else list(frame["attitude"].cat.categories))
            assert categories == list(labels.values())
            assert codebook["read"]["labels"] == language
    with pytest.raises(ValueError, match="labels='xx'"):
        read(path, ["attitude"], labels="xx")


def test_categories_in_codebook_order_ordinal_ones_ordered(downloads: Path, book: dict) -> None:
    path = downloads / "institutions.parquet"
    order = [c["value"] for c in _attitude(book)]
    frame, codebook = read(path, ["country", "attitude"])
    assert list(frame["attitude"].dtype.categories) == order
    assert frame.sort("attitude", nulls_last=True)["attitude"].unique(
        maintain_order=True).to_list() == [*(v for v in order if v in _stored(path, "attitude")),
                                           None]
    assert codebook["variables"]["attitude"]["level"] == "ordinal"
    assert codebook["variables"]["country"]["level"] == "nominal"
    pandas, _ = read(path, ["country", "attitude"], backend="pandas")
    assert pandas["attitude"].cat.ordered and not pandas["country"].cat.ordered
    assert list(pandas["attitude"].cat.categories) == order
    assert pandas["attitude"].dropna().min() == "very_positive"


def _unordered_alphabetical(source: Path, target: Path) -> None:
    """The table with attitude an unordered dictionary in alphabetical order and no measure:
    as written before the codebook knew levels."""
    table = pq.read_table(source)
    index = table.schema.get_field_index("attitude")
    field = table.schema.field(index)
    strings = table.column(index).cast(pa.string())
    dictionary = pa.array(sorted(set(strings.to_pylist()) - {None}), pa.string())
    column = pa.chunked_array([pa.DictionaryArray.from_arrays(
        pc.index_in(chunk, value_set=dictionary).cast(pa.int16()), dictionary)
        for chunk in strings.chunks])
    metadata = {k: v for k, v in field.metadata.items() if k != b"measure"}
    table = table.set_column(index, pa.field("attitude", column.type, metadata=metadata), column)
    pq.write_table(table, target)


def test_category_order_comes_from_the_codebook_whatever_the_file_stores(
        downloads: Path, book: dict) -> None:
    path = downloads / "institutions.parquet"
    _unordered_alphabetical(path, path)
    assert not pq.read_schema(path).field("attitude").type.ordered
    order = [c["value"] for c in _attitude(book)]
    frame, codebook = read(path, ["attitude"], backend="pandas")
    assert list(frame["attitude"].cat.categories) == order
    # nothing says ordinal any more, unless the codebook does
    level = book["tables"]["institutions"]["variables"]["attitude"].get("level")
    assert frame["attitude"].cat.ordered == (level == "ordinal")
    book["tables"]["institutions"]["variables"]["attitude"]["level"] = "ordinal"
    frame, codebook = read(path, ["attitude"], backend="pandas", codebook=book)
    assert frame["attitude"].cat.ordered
    assert codebook["variables"]["attitude"]["level"] == "ordinal"


def test_the_parquet_metadata_alone_will_do(downloads: Path, book: dict) -> None:
    path = downloads / "institutions.parquet"
    (downloads / "codebook.json").unlink()
    frame, codebook = read(path, ["attitude", "n_employees"], labels="en", missing="column",
                           backend="pandas")
    assert codebook["metadata"] == "parquet"
    assert frame["attitude"].cat.ordered  # from the ordered Arrow dictionary
    assert list(frame["attitude"].cat.categories) == [c["label"]["en"] for c in _attitude(book)]
    assert list(frame["n_employees_missing"].cat.categories) == _reasons(book)
    assert codebook["variables"]["attitude"]["label"]["da"] == (
        book["tables"]["institutions"]["variables"]["attitude"]["label"]["da"])
    with pytest.raises(ValueError, match="codebook.json"):
        read(path, ["attitude"], labels="da")


# --- rows, errors, the codebook ------------------------------------------------------------------


def test_where_keeps_the_rows_asked_for(downloads: Path) -> None:
    path = downloads / "institutions.parquet"
    frame, codebook = read(path, ["country", "wave", "collab_any"],
                           where={"country": "dk", "wave": [2018]})
    full = pq.read_table(path, columns=["country", "wave"]).to_pylist()
    assert frame.height == sum(r["country"] == "dk" and r["wave"] == 2018 for r in full) > 0
    assert set(frame["country"].cast(pl.String)) == {"dk"}
    assert codebook["read"]["rows"] == frame.height
    assert "frequencies" not in codebook["variables"]["collab_any"]
    whole = read(path, ["collab_any"]).codebook
    assert "frequencies" in whole["variables"]["collab_any"]


def test_mistakes_are_named(downloads: Path, book: dict) -> None:
    path = downloads / "institutions.parquet"
    with pytest.raises(KeyError, match="no_such_variable"):
        read(path, ["no_such_variable"])
    with pytest.raises(ValueError, match="missing="):
        read(path, missing="drop")
    with pytest.raises(ValueError, match="backend="):
        read(path, backend="spark")
    other = dict(book, version="0.0.1")
    with pytest.raises(ValueError, match="same release"):
        read(path, codebook=other)


def test_read_codebook_describes_every_column(downloads: Path) -> None:
    path = downloads / "institutions.parquet"
    codebook = read_codebook(path)
    assert list(codebook["variables"]) == pq.read_schema(path).names
    assert codebook["table"] == "institutions"
    assert codebook["variables"]["n_employees"]["missing_column"] == "n_employees_missing"


# --- DuckDB --------------------------------------------------------------------------------------


def _enum(con: duckdb.DuckDBPyConnection, type_name: str) -> list[str]:
    return con.sql(f'SELECT enum_range(NULL::"{type_name}")').fetchall()[0][0]


def test_duckdb_gets_enums_attitude_sorts_by_the_scale_reasons_last(downloads: Path,
                                                                    book: dict) -> None:
    path = downloads / "institutions.parquet"
    order, reasons = [c["value"] for c in _attitude(book)], _reasons(book)
    stored = _stored(path, "attitude")
    con = duckdb.connect()
    con.execute(duckdb_sql(path, missing="category"))
    assert _enum(con, "institutions__attitude") == [*order, *reasons]
    sorted_ = [r[0] for r in con.sql(
        "SELECT DISTINCT attitude FROM institutions ORDER BY attitude").fetchall()]
    assert sorted_ == [v for v in [*order, *reasons] if v in stored]
    assert sorted_[-1] in reasons and sorted_[0] == "very_positive"
    # by default the reasons are NULL: last, and left out of a mean
    con.execute(duckdb_sql(path))  # again: replaces the types and the view
    assert _enum(con, "institutions__attitude") == order
    sorted_ = [r[0] for r in con.sql(
        "SELECT DISTINCT attitude FROM institutions ORDER BY attitude").fetchall()]
    assert sorted_ == [*(v for v in order if v in stored), None]
    share = con.sql("SELECT avg((collab_any = 'yes')::INT) FROM institutions").fetchall()[0][0]
    assert share == pytest.approx(_share_yes(path))
    assert con.sql("SELECT count(*) FROM institutions WHERE attitude <= "
                   "'rather_positive'::institutions__attitude").fetchall()[0][0] == sum(
        v in ("very_positive", "rather_positive") for v in stored)


def test_duckdb_labels_and_missing_columns(downloads: Path, book: dict) -> None:
    path = downloads / "institutions.parquet"
    con = duckdb.connect()
    con.execute(duckdb_sql(path, variables=["country", "attitude", "n_employees"],
                           labels="nb", missing="column", view="inst"))
    assert [r[0] for r in con.sql("DESCRIBE inst").fetchall()] == [
        "country", "country_missing", "attitude", "attitude_missing", "n_employees",
        "n_employees_missing"]
    assert _enum(con, "inst__attitude") == [c["label"]["nb"] for c in _attitude(book)]
    assert _enum(con, "inst__missing_reason") == [m["label"]["nb"] for m in book["missing"]]
    counts = dict(con.sql("SELECT attitude_missing, count(*) FROM inst WHERE attitude_missing "
                          "IS NOT NULL GROUP BY ALL").fetchall())
    stored = _stored(path, "attitude")
    labels = {m["value"]: m["label"]["nb"] for m in book["missing"]}
    assert counts == {labels[r]: stored.count(r) for r in labels if r in stored}


def test_duckdb_sql_from_the_command_line(downloads: Path, book: dict) -> None:
    done = subprocess.run([sys.executable, "-m", "coprod.reader", "duckdb",
                           "institutions.parquet", "--missing", "category"],
                          cwd=downloads, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    (downloads / "institutions.sql").write_text(done.stdout, encoding="utf-8")
    con = duckdb.connect()
    con.execute(f"SET file_search_path = '{downloads}'")
    con.execute((downloads / "institutions.sql").read_text(encoding="utf-8"))
    assert _enum(con, "institutions__attitude") == [
        *(c["value"] for c in _attitude(book)), *_reasons(book)]
    assert reader.main(["duckdb", str(downloads / "institutions.parquet"),
                        "--variables", "no_such_variable"]) == 2
