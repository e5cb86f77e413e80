"""Each raw file is read and validated block by block while the package is made (coprod.stream):
whatever the blocks, a file's rows are those read whole, the published bytes are the
repository's, and a problem anywhere in a file is reported exactly as the file read whole
reports it (its row, line and value, earlier rows named)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import NO_ROWS, REPO, published, write_yaml
from coprod import pipeline, read, stream
from coprod.codebook import load_codebooks
from coprod.errors import GateError
from coprod.project import Project
from coprod.read import read_blocks, read_source

DEMO = Project.at(REPO)
CODEBOOKS = load_codebooks(DEMO.schemas)


@pytest.mark.parametrize("source_id", sorted(CODEBOOKS.sources))
@pytest.mark.parametrize("size", [700, 9000])
def test_blocks_put_together_are_the_file_read_whole(source_id: str, size: int) -> None:
    """Every demo file (CSV cut at ``size`` bytes, SPSS read ``size // 70`` cases at a time)."""
    source = CODEBOOKS.sources[source_id]
    whole = read_source(DEMO, source)
    blocks = list(read_blocks(DEMO, source, block_bytes=size, block_rows=size // 70))
    assert len(blocks) > 1
    assert pl.concat([b.frame for b in blocks]).equals(whole.frame)
    assert all(b.value_labels == whole.value_labels and not b.warnings for b in blocks)


def _csv(comments: list[str], terminated: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(NO_ROWS[0].split(";"))
    for number, comment in enumerate(comments, start=1):
        writer.writerow([number, "0301", 1, 1, 12, comment, "1,0"])
    text = out.getvalue()
    return (text if terminated else text.removesuffix("\r\n")).encode("cp1252")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(comments=st.lists(st.text(alphabet='ab ;"\n\r\næøÅ', max_size=30), min_size=1,
                         max_size=40),
       size=st.integers(1, 300), terminated=st.booleans())
def test_any_cut_of_quoted_text_gives_the_rows_read_whole(tiny: Path, comments: list[str],
                                                          size: int, terminated: bool) -> None:
    """Values with the delimiter, quotes and line breaks (quoted, so records span lines), a
    file with or without a final line break: the blocks are cut only between records."""
    project = Project(tiny)
    source = load_codebooks(project.schemas).sources["no-things-2018"]
    (tiny / "raw" / "no_things.csv").write_bytes(_csv(comments, terminated))
    try:
        whole = read_source(project, source)
    except read.UnreadableFile:  # e.g. a text that is only a line break: the test's own data
        return
    blocks = list(read_blocks(project, source, block_bytes=size))
    assert pl.concat([b.frame for b in blocks]).equals(whole.frame)


@pytest.mark.parametrize(("encoding", "safe"), [
    ("utf-8", True), ("utf-8-sig", True), ("cp1252", True), ("latin-1", True),
    ("iso-8859-15", True), ("utf-16", False), ("utf-32", False), ("shift_jis", False),
    ("gb18030", False), ("no-such-codec", False)])
def test_files_are_cut_only_where_a_line_break_is_one_byte_of_its_own(encoding: str,
                                                                      safe: bool) -> None:
    assert read._lines_cut_safely(encoding) is safe


def _package(project: Project, monkeypatch: pytest.MonkeyPatch, size: int) -> pipeline.Packaged:
    monkeypatch.setattr(read, "BLOCK_BYTES", size)
    monkeypatch.setattr(read, "BLOCK_ROWS", max(size // 20, 1))
    return pipeline.package(project, load_codebooks(project.schemas))


def test_the_package_made_in_blocks_is_the_repository_s(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file in blocks of 2,000 bytes or 100 cases, and no file ever read whole."""
    taken: list[str] = []
    blocks = read.read_blocks

    def counted(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for raw in blocks(*args, **kwargs):
            taken.append(raw.source_id)
            yield raw

    def whole(*_: object, **__: object) -> None:
        raise AssertionError("a valid file was read whole")

    monkeypatch.setattr(stream, "read_blocks", counted)
    monkeypatch.setattr(stream, "validate_file", whole)
    packaged = _package(DEMO, monkeypatch, 2000)
    for source_id in CODEBOOKS.sources:
        assert taken.count(source_id) > 5
    for path, data in packaged.files.items():
        if path.parent.name != "reports":
            assert data == path.read_bytes(), path


def _break(demo: Path, checks: set[str]) -> None:
    """Near the end of a CSV file, row 1's id again (duplicate-id: the blocks of its two rows
    are each valid), and a bad cell (type-error)."""
    path = demo / "raw" / "no" / "no_virksomheter_2018.csv"
    lines = path.read_bytes().split(b"\r\n")
    if "duplicate-id" in checks:
        last = lines[-3].split(b";")
        last[0] = lines[1].split(b";")[0]
        lines[-3] = b";".join(last)
    if "type-error" in checks:
        bad = lines[-2].split(b";")
        bad[2] = b"x7"  # virksomhetstype
        lines[-2] = b";".join(bad)
    path.write_bytes(b"\r\n".join(lines))


@pytest.mark.parametrize("checks", [{"duplicate-id"}, {"type-error"},
                                    {"duplicate-id", "type-error"}],
                         ids=["duplicate-id", "type-error", "both"])
def test_a_problem_in_a_later_block_is_reported_as_the_file_read_whole(
        demo: Path, monkeypatch: pytest.MonkeyPatch, checks: set[str]) -> None:
    _break(demo, checks)
    project = Project(demo)
    before = published(demo)
    reports = []
    for size in (1 << 40, 1500):  # one block, then many
        with pytest.raises(GateError, match="validation failed for no-institutions-2018"):
            _package(project, monkeypatch, size)
        reports.append((project.reports / "validation.json").read_bytes())
        assert published(demo) == before
    assert reports[0] == reports[1]
    [source] = [s for s in json.loads(reports[1])["sources"] if s["errors"]]
    assert {e["check"] for e in source["errors"]} == checks
    assert all(e["row"] > 300 for e in source["errors"])


def test_a_file_valid_whole_that_its_blocks_cannot_show_is_packaged_whole(
        demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blank lines at the end of a file are nothing, but a block that ends in them cannot
    know that they end the file: the package is made from the files read whole, the same."""
    path = demo / "raw" / "no" / "no_organisasjoner_2018.csv"
    path.write_bytes(path.read_bytes() + b"\r\n" * 3000)
    made = []
    whole = pipeline._package_whole
    monkeypatch.setattr(pipeline, "_package_whole", lambda *a: made.append(1) or whole(*a))
    packaged = _package(Project(demo), monkeypatch, 2000)
    assert made == [1]
    for path, data in packaged.files.items():
        if path.suffix == ".parquet":
            assert data == (REPO / "processed" / path.name).read_bytes()


def test_a_warning_of_a_block_is_said_as_the_file_read_whole_says_it(
        tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Decomposed letters (Unicode NFD) in a UTF-8 file: the warning names the first of
    them in the file and counts them all, whatever block they are in."""
    book = load_codebooks(Project(tiny).schemas).files["no-things-2018"]
    source = yaml.safe_load(book.read_text(encoding="utf-8"))
    source["dialect"] = {**source["dialect"], "encoding": "utf-8"}
    write_yaml(book, source)
    composed, decomposed = "\u00c5se", "A\u030ase"
    rows = [NO_ROWS[0]] + [f"{n};0301;1;1;12;{composed if n < 40 else decomposed};1,0"
                           for n in range(1, 61)]
    (tiny / "raw" / "no_things.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode())
    warnings = []
    for size in (1 << 40, 300):
        monkeypatch.setattr(read, "BLOCK_BYTES", size)
        validated = pipeline.validate(Project(tiny), load_codebooks(Project(tiny).schemas))
        [report] = [s for s in validated.report.sources if s.id == "no-things-2018"]
        warnings.append(report.warnings)
    assert warnings[0] == warnings[1]
    assert "line 41" in warnings[1][0] and "21 letters in all" in warnings[1][0]


def test_validating_alone_keeps_no_file_and_says_the_same(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """`coprod validate` keeps no typed frame, and its report is the build's."""
    monkeypatch.setattr(read, "BLOCK_BYTES", 3000)
    alone = pipeline.validate(DEMO, CODEBOOKS, frames=False)
    kept = pipeline.validate(DEMO, CODEBOOKS)
    assert alone.frames == {} and set(kept.frames) == set(CODEBOOKS.sources)
    assert alone.report == kept.report and alone.report.valid
