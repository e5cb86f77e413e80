"""Every loading snippet is run: those of the site's downloads page (marked ``data-snippet``),
of the README and of docs/reading.md, in a freshly built copy of the demo.

Python runs in-process, SQL in DuckDB (a ``.read FILE`` line as in DuckDB's shell), shell with
bash (``python`` is this venv's), R with Rscript: the haven ones must run (without Rscript or
haven they are skipped, and fail in CI, where scripts/test.sh installs them), the arrow ones run
only where R's arrow package is installed. Stata and SPSS cannot run here: the files and
variables their snippets name are checked to exist. A snippet that computes ``share``, the share
of yes in ``collab_any``, must leave the missing reasons out."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from conftest import REPO, copy_package
from coprod import pipeline
from coprod.project import Project

RUN = ("python", "sql", "sh", "r")
NOT_RUN = ("stata", "spss")
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
DOCS = {"readme": REPO / "README.md", "guide": REPO / "docs" / "reading.md"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_package(tmp_path_factory.mktemp("snippets") / "demo")
    pipeline.build(Project(root), force=True)
    if not (root / "processed" / "institutions.parquet").is_file():
        pytest.skip("the snippets read the demo's institutions table, which this package lacks")
    return root


def _downloads(built: Path) -> Path:
    return built / "build" / "site" / "downloads"


# --- finding the snippets ------------------------------------------------------------------------


def page_snippets(built: Path) -> list[tuple[str, str]]:
    """(kind, code) of every code block on the downloads page, in page order."""
    page = (built / "build" / "site" / "downloads.html").read_text(encoding="utf-8")
    out = []
    for attributes, body in re.findall(r"<pre[^>]*><code([^>]*)>(.*?)</code></pre>", page, re.S):
        kind = re.search(r'data-snippet="([^"]+)"', attributes)
        assert kind, f"a code block of the downloads page has no data-snippet: {body[:80]!r}"
        out.append((kind.group(1), html.unescape(body)))
    return out


def doc_snippets(name: str) -> list[tuple[str, str]]:
    text = DOCS[name].read_text(encoding="utf-8")
    return [(kind, code) for kind, code in re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M)]


def snippets(where: str, built: Path) -> list[tuple[str, str]]:
    found = page_snippets(built) if where == "page" else doc_snippets(where)
    # The README's sh blocks are its install and test commands, not loading snippets
    return [(k, c) for k, c in found if not (where == "readme" and k == "sh")]


def _cwd(where: str, built: Path) -> Path:
    """The README reads processed/ in a checkout; the page and the guide the downloads."""
    return built if where == "readme" else _downloads(built)


# --- what the snippets must find -----------------------------------------------------------------


def _expected_shares(built: Path, by: list[str]) -> dict[tuple, float]:
    """yes / (yes + no) of collab_any, counted in the stored values, by ``by``."""
    frame = (pl.read_parquet(built / "processed" / "institutions.parquet")
             .with_columns(pl.col("collab_any").cast(pl.String))
             .filter(pl.col("collab_any").is_in(["yes", "no"])))
    if not by:
        return {(): frame["collab_any"].eq("yes").mean()}
    groups = frame.with_columns(pl.col(c).cast(pl.String) for c in by if c != "wave").group_by(
        by).agg(pl.col("collab_any").eq("yes").mean())
    return {tuple(row[:-1]): row[-1] for row in groups.iter_rows()}


def _codebook(built: Path) -> dict:
    return json.loads((built / "processed" / "codebook.json").read_text(encoding="utf-8"))


def _attitude_levels(built: Path) -> tuple[list[set[str]], set[str]]:
    """Each attitude category as value or English label, in codebook order; the reasons."""
    book = _codebook(built)
    categories = book["tables"]["institutions"]["variables"]["attitude"]["categories"]
    reasons = {m["value"] for m in book["missing"]} | {m["label"]["en"] for m in book["missing"]}
    return [{c["value"], c["label"]["en"]} for c in categories], reasons


def _check_attitude(built: Path, levels: list[str | None], *, reasons_may_follow: bool) -> None:
    """The scale first, in codebook order, then nothing but missing reasons (or NULL)."""
    order, reasons = _attitude_levels(built)
    scale = [v for v in levels if v is not None and v not in reasons]
    assert len(scale) == len(set(scale))
    ranks = [next(i for i, names in enumerate(order) if v in names) for v in scale]
    assert ranks == sorted(ranks) and ranks[0] == 0, levels
    rest = levels[len(scale):]
    assert levels[:len(scale)] == scale, levels  # no reason before the end of the scale
    assert all(v is None or (reasons_may_follow and v in reasons) for v in rest), levels


# --- Python --------------------------------------------------------------------------------------


def _run_python(code: str, name: str) -> dict:
    namespace: dict = {"__name__": "__snippet__"}
    exec(compile(code, name, "exec"), namespace)  # noqa: S102 - the documentation's own code
    return namespace


@pytest.mark.parametrize("where", ["page", "readme", "guide"])
def test_python_snippets_run_and_leave_missing_reasons_out(where: str, built: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    found = [code for kind, code in snippets(where, built) if kind == "python"]
    assert found, where
    monkeypatch.chdir(_cwd(where, built))
    expected = _expected_shares(built, [])[()]
    shares = 0
    for i, code in enumerate(found):
        namespace = _run_python(code, f"<{where} python snippet {i + 1}>")
        if "share" in namespace:
            shares += 1
            assert float(namespace["share"]) == pytest.approx(expected), (where, code)
        elif where == "page":
            raise AssertionError(f"a Python snippet of the page computes no share:\n{code}")
        if "order" in namespace:  # the guide's DuckDB ENUM recipe, reasons kept
            _check_attitude(built, [r[0] for r in namespace["order"]], reasons_may_follow=True)
    assert shares, f"no Python snippet of {where} shows a share without the missing reasons"


# --- DuckDB and the shell ------------------------------------------------------------------------


def _run_sh(code: str, cwd: Path) -> None:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PATH": path})
    assert done.returncode == 0, f"{code}\n{done.stderr}"


def _run_sql(code: str, con: duckdb.DuckDBPyConnection) -> list[tuple[list[str], list]]:
    """Each statement's columns and rows; a ``.read FILE`` line runs the file, as DuckDB's
    shell does."""
    results: list[tuple[list[str], list]] = []
    pending: list[str] = []

    def flush() -> None:
        for statement in con.extract_statements("\n".join(pending)):
            relation = con.execute(statement.query)
            columns = [d[0] for d in relation.description or []]
            results.append((columns, relation.fetchall() if columns else []))
        pending.clear()

    for line in code.splitlines():
        if line.startswith("."):
            flush()
            command, _, argument = line.partition(" ")
            assert command == ".read", f"a shell command the test cannot run: {line}"
            con.execute(Path(argument.strip()).read_text(encoding="utf-8"))
        else:
            pending.append(line)
    flush()
    return results


@pytest.mark.parametrize("where", ["page", "guide"])
def test_sql_and_shell_snippets_run_in_duckdb(where: str, built: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    cwd = _cwd(where, built)
    monkeypatch.chdir(cwd)  # DuckDB reads relative paths from the working directory
    found = [(k, c) for k, c in snippets(where, built) if k in ("sql", "sh")]
    assert any(k == "sql" for k, _ in found), where
    con = duckdb.connect()
    shares = attitudes = 0
    for kind, code in found:  # in order: the shell makes the file a later .read reads
        if kind == "sh":
            _run_sh(code, cwd)
            continue
        for columns, rows in _run_sql(code, con):
            if "share" in columns:
                shares += 1
                keys = [c for c in columns if c != "share"]
                expected = _expected_shares(built, keys)
                got = {tuple(str(v) if k != "wave" else v for k, v in zip(columns, row, strict=True)
                             if k != "share"): row[columns.index("share")] for row in rows}
                assert got == pytest.approx(expected), code
            if columns and columns[0] == "attitude":
                attitudes += 1
                _check_attitude(built, [r[0] for r in rows], reasons_may_follow=False)
    assert shares and attitudes, "the SQL snippets show a share and attitude by the scale"


# --- R -------------------------------------------------------------------------------------------

R_CHECK = """
if (exists("share", inherits = FALSE)) cat(sprintf("share=%.15g\\n", share))
# (R's datasets package has a data frame called attitude: only the snippet's own counts)
if (exists("attitude", inherits = FALSE)) cat(paste0("level=", levels(attitude), "\\n"), sep = "")
"""


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}: in CI the R snippets must run (scripts/test.sh installs R)")
    pytest.skip(reason)


def _r_packages(code: str) -> list[str]:
    return re.findall(r"library\((\w+)\)", code)


def _require_r(packages: list[str]) -> str:
    rscript = shutil.which("Rscript")
    if rscript is None:
        _unavailable("Rscript is not installed (Debian: apt-get install r-base-core "
                     "r-cran-haven)")
    for package in packages:
        done = subprocess.run([rscript, "-e", f"quit(status = !requireNamespace('{package}', "
                               "quietly = TRUE))"], capture_output=True, timeout=60)
        if done.returncode != 0:
            if package == "haven":
                _unavailable("R package haven is not installed (Debian: r-cran-haven)")
            pytest.skip(f"R package {package} is not installed; its snippets run where it is")
    return rscript


def _run_r(code: str, cwd: Path, tmp_path: Path, rscript: str) -> dict:
    script = tmp_path / "snippet.R"
    script.write_text(code + "\n" + R_CHECK, encoding="utf-8")
    done = subprocess.run([rscript, "--vanilla", str(script)], cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"{code}\n{done.stderr}"
    out: dict = {"levels": []}
    for line in done.stdout.splitlines():
        if line.startswith("share="):
            out["share"] = float(line.removeprefix("share="))
        elif line.startswith("level="):
            out["levels"].append(line.removeprefix("level="))
    return out


def _r_snippets(where: str, built: Path, *, arrow: bool) -> list[str]:
    return [code for kind, code in snippets(where, built)
            if kind == "r" and ("arrow" in _r_packages(code)) == arrow]


def test_the_page_offers_a_haven_snippet_for_the_sav_and_dta_files(built: Path) -> None:
    kinds = [kind for kind, _ in page_snippets(built)]
    assert set(kinds) <= {*RUN, *NOT_RUN}, kinds
    haven = _r_snippets("page", built, arrow=False)
    assert any(_r_packages(c) == ["haven"] and re.search(r"read_(sav|dta)\(", c) for c in haven)
    assert _r_snippets("page", built, arrow=True)


def _r_snippets_give_the_share(where: str, built: Path, tmp_path: Path, arrow: bool) -> None:
    found = _r_snippets(where, built, arrow=arrow)
    assert found, where
    if arrow and shutil.which("Rscript") is None:
        _unavailable("Rscript is not installed (Debian: apt-get install r-base-core)")
    rscript = _require_r(sorted({p for c in found for p in _r_packages(c)}))
    expected = _expected_shares(built, [])[()]
    for code in found:
        out = _run_r(code, _cwd(where, built), tmp_path, rscript)
        assert out.get("share") == pytest.approx(expected), code
        if out["levels"]:
            _check_attitude(built, out["levels"], reasons_may_follow=True)


@pytest.mark.parametrize("where", ["page", "guide"])
def test_r_haven_snippets_run(where: str, built: Path, tmp_path: Path) -> None:
    _r_snippets_give_the_share(where, built, tmp_path, arrow=False)


@pytest.mark.parametrize("where", ["page", "guide"])
def test_r_arrow_snippets_run_where_arrow_is_installed(where: str, built: Path,
                                                       tmp_path: Path) -> None:
    _r_snippets_give_the_share(where, built, tmp_path, arrow=True)


# --- Stata and SPSS ------------------------------------------------------------------------------


def test_stata_and_spss_snippets_name_files_and_variables_that_exist(built: Path) -> None:
    import pyreadstat

    found = [(k, c) for where in ("page", "guide") for k, c in snippets(where, built)
             if k in NOT_RUN]
    assert {k for k, _ in found} == set(NOT_RUN)
    downloads = _downloads(built)
    for kind, code in found:
        if kind == "stata":
            files = re.findall(r"^use (\S+\.dta)", code, re.M)
            words = re.findall(r"^(?:tabulate|summarize|describe) ([\w ]+)", code, re.M)
            read = pyreadstat.read_dta
        else:
            files = re.findall(r"GET FILE='([^']+\.sav)'", code)
            words = re.findall(r"^(?:CROSSTABS|FREQUENCIES|DESCRIPTIVES) ([\w ]+)", code, re.M)
            read = pyreadstat.read_sav
        assert files, code
        for name in files:
            _, meta = read(str(downloads / name), metadataonly=True)
            named = {w for line in words for w in line.split() if w not in ("BY", "missing")}
            assert named and named <= set(meta.column_names), (code, named)


# --- the guide's figures -------------------------------------------------------------------------


def test_the_guides_figures_are_the_demos(built: Path) -> None:
    guide = DOCS["guide"].read_text(encoding="utf-8")
    stored = pl.read_parquet(built / "processed" / "institutions.parquet")["collab_any"].cast(
        pl.String)
    yes, no = (stored == "yes").sum(), (stored == "no").sum()
    reasons = stored.len() - yes - no
    assert f"is {100 * yes / (yes + no):.1f} %" in guide
    assert f"the {reasons} missing reasons in the denominator would make it " \
           f"{100 * yes / stored.len():.1f} %" in guide
