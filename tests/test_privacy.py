"""The privacy gate: personal identifiers anywhere in what would be published stop the build
with exit 4, naming file and field, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import NO_SOURCE, write_yaml
from coprod.cli import main
from coprod.privacy import PREFILTER, _scan_file, scan_table, scan_text


def _kinds(text: str) -> list[str]:
    return [kind for kind, _ in scan_text(text)]


@pytest.mark.parametrize(("text", "kind"), [
    ("ring på 010190-1234", "a CPR number"),
    ("cpr 0101901234.", "a CPR number"),
    ("fnr 01019012345", "a fødselsnummer"),
    ("D-nummer 41019012345", "a fødselsnummer"),  # day + 40
    ("H-nummer 01419012345", "a fødselsnummer"),  # month + 40
    ("anne.jensen@example.dk", "an e-mail address"),
    ("tlf. +45 12 34 56 78", "a phone number"),
    ("mobil 412 34 567", "a phone number"),
])
def test_identifiers_are_found(text: str, kind: str) -> None:
    assert any(k.startswith(kind) for k in _kinds(text)), _kinds(text)


def test_control_digits_raise_confidence_but_never_clear() -> None:
    assert _kinds("01019012345") == ["a fødselsnummer"]  # fails the modulus check: still a hit
    assert _kinds("15076500565") == ["a fødselsnummer (control digits valid)"]


@pytest.mark.parametrize("text", [
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "weight 0.7698, n 1,506, code 0301, wave 2018",
    "dk-institutions-2018-10001",
    '<rect x="230.0" y="12.0" width="171.9" height="16"/>',
    "991231-0000",  # not a date: 31 December is fine, but month 12 day 99 is not
])
def test_ordinary_values_are_not_flagged(text: str) -> None:
    assert _kinds(text) == []


def _build(root: Path):
    return CliRunner().invoke(main, ["--root", str(root), "build"])


def _edit_table(root: Path, change) -> None:  # noqa: ANN001
    path = root / "schemas" / "harmonized" / "things.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(table)
    write_yaml(path, table)


def _nothing_written(root: Path) -> bool:
    return not (root / "processed").exists() and not (root / "datapackage.json").exists()


def test_cpr_number_in_a_label(tiny: Path) -> None:
    _edit_table(tiny, lambda t: t["variables"]["collab"]["label"].update(
        en="Collaborates (ask Anne, 010190-1234)"))
    result = _build(tiny)
    assert result.exit_code == 4, result.output
    assert "processed/things.parquet: collab metadata label: looks like a CPR number" \
        in result.output
    assert "010190-1234" not in result.output  # the message does not repeat it
    assert _nothing_written(tiny)


def test_fodselsnummer_in_a_category_name(tiny: Path) -> None:
    _edit_table(tiny, lambda t: t["variables"]["collab"]["categories"][0]["label"].update(
        en="Yes 15076500565"))
    result = _build(tiny)
    assert result.exit_code == 4, result.output
    assert "looks like a fødselsnummer (control digits valid)" in result.output
    assert "datapackage.json: line" in result.output
    assert _nothing_written(tiny)


def test_email_in_a_free_text_column_that_was_published(tiny: Path) -> None:
    """A comment column a steward forgot to mark free_text, and mapped: the gate catches it."""
    _edit_table(tiny, lambda t: t["variables"].update(
        note={"type": "string", "label": {"en": "Note", "da": "Note", "nb": "Merknad"}}))
    variables = {**NO_SOURCE["variables"], "kommentar": {"type": "string", "label": "Kommentar",
                                                         "blank": "no_answer"}}
    write_yaml(tiny / "schemas" / "sources" / "no-things-2018.yaml",
               {**NO_SOURCE, "variables": variables,
                "mappings": {**NO_SOURCE["mappings"], "note": {"from": "kommentar"}}})
    dk = yaml.safe_load((tiny / "schemas/sources/dk-things-2018.yaml").read_text("utf-8"))
    dk["mappings"]["note"] = "not_asked"
    write_yaml(tiny / "schemas/sources/dk-things-2018.yaml", dk)
    raw = tiny / "raw" / "no_things.csv"
    raw.write_bytes(raw.read_bytes().replace(b"Vi samarbeider med idrettslaget",
                                             b"skriv til ola@example.no"))
    result = _build(tiny)
    assert result.exit_code == 4, result.output
    assert "processed/things.parquet: column note: looks like an e-mail address" in result.output
    assert _nothing_written(tiny)


def test_no_local_path_in_anything_published(tiny: Path) -> None:
    assert _build(tiny).exit_code == 0
    local = str(tiny.resolve()).encode()
    published = [tiny / "datapackage.json", *(tiny / "processed").iterdir(),
                 *(p for p in (tiny / "build" / "site").rglob("*") if p.is_file())]
    for path in published:
        assert local not in path.read_bytes(), path


def test_a_local_path_in_a_label_fails_the_build(tiny: Path) -> None:
    _edit_table(tiny, lambda t: t["variables"]["size"]["label"].update(
        en=f"Size (from {tiny.resolve()}/raw/no_things.csv)"))
    result = _build(tiny)
    assert result.exit_code == 4, result.output
    assert "size metadata label: looks like a local path" in result.output


# --- the Rust prefilter never drops a value the patterns would flag ------------------------------

_PIECES = ["0", "1", "4", "5", "7", "9", "00", "45", "47", "010190", "1234", "15076500565", " ",
           "-", ".", ",", "+", "@", "a", "é", "\u0301", "_", "\n", "/", "٣", "x.dk", "²",
           "\u2013", "\u00a0", "\\", "Users", "home", "~", "tlf", "C:", "(", "22", "3344"]


@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
@settings(max_examples=2000, deadline=None)
def test_prefilter_keeps_everything_the_patterns_flag(text: str) -> None:
    if list(scan_text(text)):
        assert pc.match_substring_regex(pa.array([text]), PREFILTER)[0].as_py(), text


def test_a_table_is_scanned_like_its_parquet_bytes() -> None:
    """The build scans the Arrow table a Parquet file is written from; the hits are those of
    the bytes read back: values, dictionaries and metadata."""
    table = pa.table({
        "id": pa.array(["a-1", "a-2", None, "ring 010190-1234"]),
        "code": pa.DictionaryArray.from_arrays(
            pa.array([0, 0, None, 0], pa.int16()), pa.array(["x", "ola@example.no"])),
    }).replace_schema_metadata({"note": "tlf. +47 12 34 56 78"})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    from_table = list(scan_table("t.parquet", table))
    assert from_table == list(_scan_file("t.parquet", sink.getvalue().to_pybytes(), ()))
    assert {(h.field, h.kind) for h in from_table} == {
        ("metadata note", "a phone number"), ("column id", "a CPR number"),
        ("column code", "an e-mail address")}


@pytest.mark.parametrize("path", ["/home/ann.b+c (x)[1]", r"C:\Users\ann\Esc\Eape"])
def test_a_local_path_in_a_column_is_found_whatever_its_characters(path: str) -> None:
    table = pa.table({"note": [f"see {path}/raw.csv", "a.b+c (x)[1]", None]})
    hits = list(scan_table("t.parquet", table, (path,)))
    assert [(h.field, h.kind, h.text) for h in hits] == [("column note", "a local path", path)]


def test_a_column_of_few_distinct_values_is_sifted_by_its_distinct_values() -> None:
    places = ["Oslo", "Bergen", "ring 412 34 567", None] * 5000
    hits = list(scan_table("t.parquet", pa.table({"place": places})))
    assert [(h.field, h.kind) for h in hits] == [("column place", "a phone number")]


# --- property tests: identifiers as people write them ------------------------------------------

_DATES = st.dates().map(lambda d: d.strftime("%d%m%y"))
_SEPARATORS = st.sampled_from(["", "-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2212", " ",
                               "\u00a0", "\u202f"])
_AROUND = st.sampled_from(["", "cpr ", "ring på ", "(", "nr. ", "Født "]), st.sampled_from(
    ["", ".", ",", ")", " ring", "\n"])


@given(_DATES, _SEPARATORS, st.integers(0, 9999), *_AROUND)
@settings(max_examples=500, deadline=None)
def test_a_cpr_number_is_found_with_any_dash_or_space(date: str, sep: str, serial: int,
                                                      before: str, after: str) -> None:
    text = f"{before}{date}{sep}{serial:04d}{after}"
    assert "a CPR number" in _kinds(text), text
    assert pc.match_substring_regex(pa.array([text]), PREFILTER)[0].as_py(), text


@given(_DATES, _SEPARATORS, st.integers(0, 99999), *_AROUND)
@settings(max_examples=300, deadline=None)
def test_a_fodselsnummer_is_found_with_any_dash_or_space(date: str, sep: str, serial: int,
                                                         before: str, after: str) -> None:
    text = f"{before}{date}{sep}{serial:05d}{after}"
    assert any(k.startswith("a fødselsnummer") for k in _kinds(text)), text


def _grouped(digits: str, groups: tuple[int, ...], gap: str) -> str:
    parts, start = [], 0
    for size in groups:
        parts.append(digits[start:start + size])
        start += size
    return gap.join(parts)


_NUMBER = st.text("0123456789", min_size=7, max_size=7).flatmap(
    lambda rest: st.sampled_from("23456789").map(lambda first: first + rest))
_GROUPINGS = st.sampled_from([(2, 2, 2, 2), (4, 4), (3, 2, 3)])


@given(_NUMBER, _GROUPINGS, st.sampled_from([" ", "\u00a0"]),
       st.sampled_from(["", "+45 ", "+47 ", "0045 ", "(+47) ", "+45", "tlf. ", "Mobil: ",
                        "telefon "]),
       st.sampled_from(["", ".", ",", " eller", ")"]),
       st.sampled_from(["", "Ring ", "(", "kontakt: "]))
@settings(max_examples=500, deadline=None)
def test_a_danish_or_norwegian_phone_number_is_found_in_its_usual_groupings(
        number: str, groups: tuple[int, ...], gap: str, prefix: str, after: str,
        before: str) -> None:
    text = f"{before}{prefix}{_grouped(number, groups, gap)}{after}"
    assert "a phone number" in _kinds(text), text
    assert pc.match_substring_regex(pa.array([text]), PREFILTER)[0].as_py(), text


@given(_NUMBER, st.sampled_from(["+45", "+47", "0047", "tlf ", "phone: "]))
@settings(max_examples=200, deadline=None)
def test_a_phone_number_run_together_is_found_after_a_country_code_or_a_word(
        number: str, prefix: str) -> None:
    assert "a phone number" in _kinds(f"{prefix}{number}"), prefix + number


_USERS = st.from_regex(r"[a-z][a-z0-9]{1,8}(\.[a-z]{2,8})?", fullmatch=True).filter(
    lambda user: user not in {"public", "default", "shared"})
_HOME_PATHS = st.sampled_from([
    "/home/{u}/data/raw.csv", "/Users/{u}/Desktop/svar.sav", "C:\\Users\\{u}\\Documents\\x.xlsx",
    "D:/Users/{u}/x.csv", "C:\\\\Users\\\\{u}\\\\x.csv", "\\\\fileserver\\home$\\{u}\\x.sav",
    "\\\\srv\\profiles\\{u}\\x", "/var/home/{u}/x", "/mnt/c/Users/{u}/x",
    "C:\\Documents and Settings\\{u}\\x", "~{u}/data.csv", "file:///home/{u}/x.csv"])


@given(_USERS, _HOME_PATHS, st.sampled_from(["", "see ", "'", "(", "fil: ", "path="]))
@settings(max_examples=500, deadline=None)
def test_any_users_home_or_profile_path_is_found(user: str, template: str,
                                                 before: str) -> None:
    text = before + template.format(u=user)
    assert "a user's home folder" in _kinds(text), text
    assert pc.match_substring_regex(pa.array([text]), PREFILTER)[0].as_py(), text


@pytest.mark.parametrize("text", [
    "020385–4411", "020385\u20114411", "2233 4455", "+45 2233 4455", "+4722334455",
    "/home/kari.nordmann/survey/raw.csv", r"C:\Users\jens.hansen\Desktop\svar.sav",
])
def test_the_misses_reported_in_issue_14_are_found(text: str) -> None:
    assert _kinds(text), text


@pytest.mark.parametrize("text", [
    "https://example.org/home/index.html", "/home/", "C:\\Users\\Public\\x", "/Users/Shared/x",
    "2018-2022", "10 20 30 40 50", "n = 1234 5678", "0101 2020", "version 1.2 3",
])
def test_paths_and_numbers_that_are_nobodys_are_not_flagged(text: str) -> None:
    assert _kinds(text) == [], (text, _kinds(text))
