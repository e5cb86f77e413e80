"""The synthetic demo extracts in raw/: reproducible, of the documented size, described column by
column by their codebooks, and telling the published story."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pyreadstat
import pytest

from coprod.codebook import load_codebooks

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "raw"
ROW_RANGES = {  # source id -> (file, documented row range)
    "dk-institutions-2018": ("dk/dk_institutioner_2018.sav", (600, 800)),
    "dk-associations-2018": ("dk/dk_foreninger_2018.sav", (1400, 1600)),
    "no-institutions-2018": ("no/no_virksomheter_2018.csv", (900, 1100)),
    "no-associations-2018": ("no/no_organisasjoner_2018.csv", (1100, 1300)),
}


@pytest.fixture(scope="module")
def generator():
    path = REPO / "tools" / "make_demo_data.py"
    spec = importlib.util.spec_from_file_location("make_demo_data", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture(scope="module")
def codebooks():
    return load_codebooks(REPO / "schemas")


def _csv_lines(path: Path) -> list[str]:
    return path.read_bytes().decode("cp1252").split("\r\n")[:-1]


def test_generator_reproduces_the_committed_files(generator, tmp_path):
    written = generator.generate(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written.values()) == sorted(
        f for f, _ in ROW_RANGES.values())
    for path in written.values():
        committed = RAW / path.relative_to(tmp_path)
        assert path.read_bytes() == committed.read_bytes(), (
            f"{committed} differs from a fresh run: re-run tools/make_demo_data.py")


@pytest.mark.parametrize("source_id", sorted(ROW_RANGES))
def test_files_have_the_documented_size(source_id):
    name, (low, high) = ROW_RANGES[source_id]
    path = RAW / name
    if path.suffix == ".sav":
        _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
        rows = meta.number_rows
    else:
        rows = len(_csv_lines(path)) - 1  # the header
    assert low <= rows <= high
    assert f"{rows:,}" in (RAW / "README.md").read_text(encoding="utf-8")


def test_every_codebook_loads(codebooks):
    assert sorted(codebooks.sources) == sorted(ROW_RANGES)
    assert sorted(codebooks.tables) == ["associations", "institutions"]
    assert codebooks.package.synthetic


@pytest.mark.parametrize("source_id", sorted(ROW_RANGES))
def test_codebook_describes_every_column_in_file_order(codebooks, source_id):
    source = codebooks.sources[source_id]
    path = REPO / source.file
    assert path == RAW / ROW_RANGES[source_id][0]
    if source.format == "spss":
        _, meta = pyreadstat.read_sav(str(path), metadataonly=True, user_missing=True)
        assert meta.column_names == list(source.variables)
        for name, label in zip(meta.column_names, meta.column_labels, strict=True):
            var = source.variables[name]
            assert label == var.label, name
            file_values = {int(code): text for code, text in
                           meta.variable_value_labels.get(name, {}).items()}
            if var.values is not None:
                assert file_values == var.values, name
            user_missing = {int(r["lo"]) for r in meta.missing_ranges.get(name, [])}
            assert user_missing == set(var.missing), name
    else:
        header = _csv_lines(path)[0].split(source.dialect.delimiter)
        assert header == list(source.variables)


def test_csv_files_are_cp1252_with_crlf(codebooks):
    for source in codebooks.sources.values():
        if source.format != "csv":
            continue
        data = (REPO / source.file).read_bytes()
        assert data.count(b"\r\n") == data.count(b"\n")
        with pytest.raises(UnicodeDecodeError):  # æ/ø/å in the header are single cp1252 bytes
            data.decode("utf-8")


def test_free_text_is_never_mapped(codebooks):
    for source in codebooks.sources.values():
        free = {n for n, v in source.variables.items() if v.free_text}
        assert free, f"{source.id} has no comment column"
        mapped = {m.from_ for m in source.mappings.values() if m != "not_asked"}
        assert not free & mapped


def test_planted_figures_are_in_the_required_ranges(generator):
    required = [(what, value, bounds) for what, value, bounds in generator.check(RAW) if bounds]
    assert len(required) == 2
    for what, value, (low, high) in required:
        assert low <= value <= high, what
