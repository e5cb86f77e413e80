"""The synthetic demo extracts in raw/: reproducible, of the documented size, described column by
column by their codebooks, and telling the published story.

The demo's figures are about the demo sources (ROW_RANGES): a package with more sources (the next
wave, a new country) checks them all the same, and the generic checks cover every source."""

from __future__ import annotations

import csv
import importlib.util
import sys

import pyreadstat
import pytest

from conftest import PACKAGE_ROOT, REPO
from coprod.codebook import SourceCodebook, is_not_asked, load_codebooks

RAW = PACKAGE_ROOT / "raw"
ROW_RANGES = {  # the demo's sources: source id -> (file, documented row range)
    "dk-institutions-2018": ("dk/dk_institutioner_2018.sav", (600, 800)),
    "dk-associations-2018": ("dk/dk_foreninger_2018.sav", (1400, 1600)),
    "no-institutions-2018": ("no/no_virksomheter_2018.csv", (900, 1100)),
    "no-associations-2018": ("no/no_organisasjoner_2018.csv", (1100, 1300)),
    "dk-institutions-2016": ("dk/dk_institutioner_2016.sav", (750, 850)),
    "dk-associations-2016": ("dk/dk_foreninger_2016.sav", (1400, 1600)),
    "no-institutions-2022": ("no/no_virksomheter_2022.csv", (900, 1100)),
    "no-associations-2022": ("no/no_organisasjoner_2022.csv", (1100, 1300)),
}
# What each later wave changed against 2018, as its codebook must express it: source variables
# renamed (2018 name -> this wave's), dropped and added, and the harmonized variables that the
# wave did not ask (not_asked) or asked for the first time.
WAVE_CHANGES = {
    "dk-institutions-2016": {
        "like": "dk-institutions-2018",
        "renamed": {"antal_ansatte": "ansatte", "form_udfoerelse": "form_samproduktion"},
        "dropped": {"partner_patient"}, "added": set(),
        "not_asked": {"partner_patient", "volunteer_coordinator"}, "newly_asked": set(),
    },
    "dk-associations-2016": {
        "like": "dk-associations-2018",
        "renamed": {"antal_medlemmer": "medlemstal"},
        "dropped": set(), "added": set(), "not_asked": set(), "newly_asked": set(),
    },
    "no-institutions-2022": {
        "like": "no-institutions-2018",
        "renamed": {"antall_ansatte": "ansatte_totalt"},
        "dropped": {"form_samutvikling"}, "added": {"frivilligkoordinator"},
        "not_asked": {"form_codesign"}, "newly_asked": {"volunteer_coordinator"},
    },
    "no-associations-2022": {
        "like": "no-associations-2018",
        "renamed": {"geografisk_nivå": "lokal_forankring"},
        "dropped": set(), "added": {"medlemsdeltakelse"},
        "not_asked": set(), "newly_asked": {"member_involvement"},
    },
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
    return load_codebooks(PACKAGE_ROOT / "schemas")


def _csv_lines(source: SourceCodebook) -> list[str]:
    """The lines of a delimited source file, read in its declared dialect."""
    dialect = source.dialect
    text = (PACKAGE_ROOT / source.file).read_bytes().decode(dialect.encoding).removeprefix("\ufeff")
    return text.split(dialect.line_terminator)[:-1]


def test_generator_reproduces_the_committed_files(generator, tmp_path):
    written = generator.generate(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written.values()) == sorted(
        f for f, _ in ROW_RANGES.values())
    for path in written.values():
        committed = RAW / path.relative_to(tmp_path)
        assert path.read_bytes() == committed.read_bytes(), (
            f"{committed} differs from a fresh run: re-run tools/make_demo_data.py")


@pytest.mark.parametrize("source_id", sorted(ROW_RANGES))
def test_files_have_the_documented_size(codebooks, source_id):
    name, (low, high) = ROW_RANGES[source_id]
    path = RAW / name
    if path.suffix == ".sav":
        _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
        rows = meta.number_rows
    else:
        rows = len(_csv_lines(codebooks.sources[source_id])) - 1  # the header
    assert low <= rows <= high
    assert f"{rows:,}" in (RAW / "README.md").read_text(encoding="utf-8")


def test_every_codebook_loads(codebooks):
    assert set(ROW_RANGES) <= set(codebooks.sources)  # the demo's, and any added since
    assert {"associations", "institutions"} <= set(codebooks.tables)
    assert {s.table for s in codebooks.sources.values()} == set(codebooks.tables)
    assert codebooks.package.synthetic


def test_demo_sources_are_their_documented_files(codebooks):
    for source_id, (name, _) in ROW_RANGES.items():
        assert PACKAGE_ROOT / codebooks.sources[source_id].file == RAW / name


@pytest.mark.parametrize("source_id", sorted(load_codebooks(PACKAGE_ROOT / "schemas").sources))
def test_codebook_describes_every_column_in_file_order(codebooks, source_id):
    source = codebooks.sources[source_id]
    path = PACKAGE_ROOT / source.file
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
        header = next(csv.reader(_csv_lines(source)[:1], delimiter=source.dialect.delimiter,
                                 quotechar=source.dialect.quotechar))
        assert header == list(source.variables)


def test_csv_files_are_in_their_declared_dialect(codebooks):
    for source in codebooks.sources.values():
        if source.format != "csv":
            continue
        data = (PACKAGE_ROOT / source.file).read_bytes()
        data.decode(source.dialect.encoding)  # raises if the file is not in its encoding
        crlf = data.count(b"\r\n")
        assert crlf == (data.count(b"\n") if source.dialect.line_terminator == "\r\n" else 0)


def test_demo_csv_files_are_cp1252(codebooks):
    """The demo's delimited files are single-byte cp1252, as the Norwegian deliveries are."""
    for source_id in ROW_RANGES:
        source = codebooks.sources[source_id]
        if source.format != "csv":
            continue
        assert source.dialect.encoding == "cp1252"
        with pytest.raises(UnicodeDecodeError):  # æ/ø/å in the header are single cp1252 bytes
            (PACKAGE_ROOT / source.file).read_bytes().decode("utf-8")


def test_free_text_is_never_mapped(codebooks):
    for source in codebooks.sources.values():
        free = {n for n, v in source.variables.items() if v.free_text}
        mapped = {m.from_ for m in source.mappings.values() if not is_not_asked(m)}
        assert not free & mapped, source.id
    # Each demo file has a comment column, so that the privacy checks have text to guard.
    for source_id in ROW_RANGES:
        assert any(v.free_text for v in codebooks.sources[source_id].variables.values()), (
            f"{source_id} has no comment column")


def test_planted_figures_are_in_the_required_ranges(generator):
    required = {what: (value, bounds) for what, value, bounds in generator.check(RAW) if bounds}
    for headline in ("DK institutions 2016 collaborating with associations or volunteers",
                     "DK institutions 2018 collaborating with associations or volunteers",
                     "DK associations 2016 collaborating with a municipal institution",
                     "DK associations 2018 collaborating with a municipal institution",
                     "NO institutions 2022 collaborating with associations or volunteers",
                     "NO organisations 2022 collaborating with a municipal institution",
                     "DK institutions: 2016 minus 2018 (percentage points)",
                     "DK associations: 2016 minus 2018 (percentage points)"):
        assert headline in required
    assert sum("(published" in what for what in required) == 5  # Faxe ... Aarhus, 2016
    for what, (value, (low, high)) in required.items():
        assert low <= value <= high, what


def test_norway_2022_has_rows_in_a_municipality_split_in_2024(generator):
    assert all(rows >= 3 for rows in generator.split_rows(RAW).values())


@pytest.mark.parametrize("source_id", sorted(WAVE_CHANGES))
def test_later_waves_change_only_their_codebooks(codebooks, source_id):
    """Renamed, dropped and added questions are expressed in the wave's codebook alone."""
    change = WAVE_CHANGES[source_id]
    wave, base = codebooks.sources[source_id], codebooks.sources[change["like"]]
    renamed = change["renamed"]
    expected = ({renamed.get(n, n) for n in base.variables} - change["dropped"]) | change["added"]
    assert set(wave.variables) == expected
    for name, mapping in base.mappings.items():
        if name in change["not_asked"]:
            assert is_not_asked(wave.mappings[name]), name
        elif not is_not_asked(mapping):
            assert wave.mappings[name].from_ == renamed.get(mapping.from_, mapping.from_), name
    for name in change["newly_asked"]:
        assert is_not_asked(base.mappings[name]) and not is_not_asked(wave.mappings[name]), name
    if wave.country == "no":
        assert wave.municipality.reference == "no-2020"
    noted = {(v, s) for table in codebooks.tables.values() for note in table.comparability
             for v in note.variables for s in note.sources}
    for name in change["not_asked"] | change["newly_asked"]:
        assert any((name, s) in noted for s in (source_id, change["like"])), name


def test_new_answer_category_is_used_by_norway_2022_only(codebooks):
    """Among the demo's sources (a later wave may well offer it too)."""
    initiative = codebooks.tables["institutions"].variables["initiative"]
    assert "citizens" in {c.value for c in initiative.categories}
    users = sorted(s.id for s in codebooks.sources_for("institutions")
                   if s.id in ROW_RANGES and not is_not_asked(s.mappings["initiative"])
                   and "citizens" in s.mappings["initiative"].recode.values())
    assert users == ["no-institutions-2022"]
