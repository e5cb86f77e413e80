"""The dialect of a delivery, sniffed from its bytes: every case's bytes are built here."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io

import polars as pl
import pytest
from clevercsv import Detector

from coprod.errors import EXIT_INVALID, RawFileError
from coprod.steward.sniff import Sniffed, SniffError, sniff

ROWS = [["løpenr", "kommune", "navn", "svar"],
        ["1", "0301", "Søren Ærø", "1"],
        ["2", "4601", "Åse Blåbær", "0"],
        ["3", "5001", "Kåre Øye", "9"]]


def _text(rows: list[list[str]] = ROWS, delimiter: str = ";", end: str = "\n") -> str:
    return "".join(delimiter.join(row) + end for row in rows)


def _fields(sniffed: Sniffed) -> list[list[str]]:
    """The file's rows as its sniffed dialect reads them."""
    return list(csv.reader(io.StringIO(sniffed.text, newline=""), delimiter=sniffed.delimiter,
                           quotechar=sniffed.quotechar))


def _said(sniffed: Sniffed, topic: str) -> str:
    [sentence] = [e for e in sniffed.evidence if e.startswith(topic)]
    return sentence


# --- encoding --------------------------------------------------------------------------------


def test_utf8() -> None:
    sniffed = sniff(_text().encode("utf-8"), "raw/no/a.csv")
    assert (sniffed.encoding, sniffed.bom, sniffed.text) == ("utf-8", False, _text())
    assert _said(sniffed, "encoding") == "encoding utf-8: valid UTF-8 ('ø' at line 1)"


def test_ascii_is_utf8() -> None:
    sniffed = sniff(b"id;x\n1;2\n", "a.csv")
    assert sniffed.encoding == "utf-8"
    assert "ASCII" in _said(sniffed, "encoding")


def test_a_utf8_bom_is_utf8_with_the_bom_removed() -> None:
    sniffed = sniff(codecs.BOM_UTF8 + _text(delimiter=",").encode("utf-8"), "a.csv")
    assert (sniffed.encoding, sniffed.bom, sniffed.delimiter) == ("utf-8", True, ",")
    assert sniffed.text == _text(delimiter=",") and not sniffed.text.startswith("\ufeff")
    assert _said(sniffed, "encoding") == "encoding utf-8: UTF-8 byte order mark"


def test_cp1252_with_nordic_letters() -> None:
    data = (_text() + "4;0301;Bjørn – leder;1\n").encode("cp1252")  # the dash is cp1252 only
    sniffed = sniff(data, "a.csv")
    assert (sniffed.encoding, sniffed.bom) == ("cp1252", False)
    assert sniffed.text == data.decode("cp1252")
    assert _said(sniffed, "encoding") == (
        "encoding cp1252: not valid UTF-8; charset-normalizer's best match (byte 0xf8 at line 1 "
        "decodes as 'ø')")


def test_cp1252_is_preferred_where_latin1_reads_the_same_bytes() -> None:
    data = _text(ROWS * 5).encode("latin-1")  # æ ø å only: cp1252 and latin-1 agree on them
    assert data.decode("cp1252") == data.decode("latin-1")
    assert sniff(data, "a.csv").encoding == "cp1252"


def test_latin1_where_a_byte_is_undefined_in_cp1252() -> None:
    rows = [*ROWS, ["4", "0301", "Mette Dæhli\x81", "1"]] * 3  # 0x81: no character in cp1252
    data = _text(rows).encode("latin-1")
    sniffed = sniff(data, "a.csv")
    assert sniffed.encoding == "latin-1"
    assert sniffed.text == data.decode("latin-1")
    assert "not cp1252: byte 0x81 at line 5 is undefined in cp1252" in _said(sniffed, "encoding")


def test_cp865_and_mac_roman_are_told_from_cp1252() -> None:
    text = _text(ROWS * 5)
    assert sniff(text.encode("cp865"), "a.csv").encoding == "cp865"
    assert sniff(text.encode("mac_roman"), "a.csv").encoding == "mac-roman"


def test_utf16_with_bom() -> None:
    sniffed = sniff(_text(delimiter="\t").encode("utf-16"), "a.txt")
    assert (sniffed.encoding, sniffed.bom, sniffed.delimiter) == ("utf-16", True, "\t")
    assert sniffed.text == _text(delimiter="\t")
    assert codecs.lookup(sniffed.encoding).name == "utf-16"


def test_utf16_without_bom_by_its_nul_bytes() -> None:
    sniffed = sniff(_text().encode("utf-16-le"), "a.csv")
    assert (sniffed.encoding, sniffed.bom, sniffed.text) == ("utf-16-le", False, _text())


def test_utf32_with_bom() -> None:
    sniffed = sniff(_text().encode("utf-32"), "a.csv")
    assert (sniffed.encoding, sniffed.bom, sniffed.text) == ("utf-32", True, _text())


def test_part_utf8_in_a_code_page_file_is_pointed_out() -> None:
    data = _text(ROWS[:2]).encode("utf-8") + _text(ROWS[2:]).encode("cp1252")
    sniffed = sniff(data, "a.csv")
    assert sniffed.encoding != "utf-8"  # which code page hardly matters: the reader refuses it
    assert ("byte 0xc3 at line 1 starts UTF-8 for 'ø': part of the file may be UTF-8"
            in _said(sniffed, "encoding"))


# --- delimiter and quotes --------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter(delimiter: str) -> None:
    sniffed = sniff(_text(delimiter=delimiter).encode("utf-8"), "a.csv")
    assert sniffed.delimiter == delimiter
    assert sniffed.quotechar == '"'
    assert _fields(sniffed) == ROWS
    assert "4 fields on all 4 rows" in _said(sniffed, "delimiter")


def test_quoted_fields_holding_the_delimiter() -> None:
    data = ('id,navn,by\n1,"Hansen, Anna",Oslo\n2,"Berg, Bo",Bergen\n3,Carl,"Tromsø, Troms"\n'
            .encode())
    sniffed = sniff(data, "a.csv")
    assert (sniffed.delimiter, sniffed.quotechar) == (",", '"')
    assert _fields(sniffed)[1] == ["1", "Hansen, Anna", "Oslo"]
    assert _said(sniffed, "quotechar") == "quotechar '\"': clevercsv finds fields quoted with it"


def test_a_quoted_field_with_a_line_break() -> None:
    data = b'id;kommentar;svar\r\n1;"linje en\r\nlinje to";3\r\n2;ok;4\r\n3;"a; b";5\r\n'
    sniffed = sniff(data, "a.csv")
    assert (sniffed.delimiter, sniffed.quotechar, sniffed.line_terminator) == (";", '"', "\r\n")
    frame = pl.read_csv(sniffed.text.encode(), separator=sniffed.delimiter,
                        quote_char=sniffed.quotechar, infer_schema=False)
    assert frame["kommentar"].to_list() == ["linje en\r\nlinje to", "ok", "a; b"]


def test_a_single_column() -> None:
    sniffed = sniff(b"id\n1\n2\n3\n", "a.csv")
    assert (sniffed.delimiter, sniffed.decimal) == (",", ".")
    assert "a single column" in _said(sniffed, "delimiter")


def test_a_single_column_of_decimal_commas_is_not_split_at_them() -> None:
    sniffed = sniff(b"vekt\n1,25\n0,75\n2,5\n", "a.csv")
    assert (sniffed.delimiter, sniffed.decimal) == (";", ",")
    assert _fields(sniffed) == [["vekt"], ["1,25"], ["0,75"], ["2,5"]]


def test_counts_decide_when_clevercsv_finds_no_dialect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Detector, "detect", lambda self, sample, **_: None)
    sniffed = sniff(_text(delimiter="|").encode("utf-8"), "a.csv")
    assert (sniffed.delimiter, sniffed.quotechar) == ("|", '"')
    assert "clevercsv found no dialect; it occurs 3 times on 100% of the lines" in _said(
        sniffed, "delimiter")
    monkeypatch.setattr(Detector, "detect", lambda self, sample, **_: None)
    assert sniff(b"id\n1\n", "a.csv").delimiter == ","


def test_only_the_first_lines_are_sampled_for_the_delimiter() -> None:
    rows = [ROWS[0]] + [[str(i), "0301", "Søren", "1"] for i in range(500)]
    sniffed = sniff(_text(rows).encode("utf-8"), "a.csv")
    assert sniffed.delimiter == ";"
    assert "4 fields on each of the first 200 rows" in _said(sniffed, "delimiter")
    assert sniffed.text.count("\n") == 501  # the text is the whole file all the same


# --- decimal mark and line ends --------------------------------------------------------------


def test_decimal_comma_in_a_semicolon_file() -> None:
    sniffed = sniff(b"id;vekt\n1;1,25\n2;0,8\n3;-1,5\n", "a.csv")
    assert (sniffed.delimiter, sniffed.decimal) == (";", ",")
    assert _said(sniffed, "decimal") == (
        "decimal ',': values like '1,25' (line 2) in a ';'-separated file")


def test_decimal_point() -> None:
    assert sniff(b"id;vekt\n1;1.25\n2;0.8\n", "a.csv").decimal == "."
    assert sniff(b"id\tvekt\n1\t1.25\n2\t0.8\n", "a.csv").decimal == "."


def test_a_comma_file_has_a_decimal_point_even_with_quoted_commas() -> None:
    sniffed = sniff(b'id,vekt\n1,"1,25"\n2,"0,8"\n', "a.csv")
    assert (sniffed.delimiter, sniffed.decimal) == (",", ".")


def test_a_comma_in_text_is_no_decimal_comma() -> None:
    assert sniff(b'id;navn\n1;"Berg, Bo"\n2;1,2,3\n', "a.csv").decimal == "."


def test_line_ends() -> None:
    assert sniff(_text(end="\r\n").encode(), "a.csv").line_terminator == "\r\n"
    assert sniff(_text(end="\n").encode(), "a.csv").line_terminator == "\n"
    assert sniff(b"id;x", "a.csv").line_terminator == "\n"


def test_cp1252_semicolon_decimal_comma_crlf_as_a_windows_export_writes_it() -> None:
    rows = [["løpenr", "kommunenr", "vekt", "kommentar"]] + [
        [str(30000 + i), "0301", f"{i % 3},{i:04d}", "Går fint" if i % 5 else ""]
        for i in range(300)]
    sniffed = sniff(_text(rows, end="\r\n").encode("cp1252"), "raw/no/x.csv")
    assert (sniffed.encoding, sniffed.delimiter, sniffed.quotechar, sniffed.decimal,
            sniffed.line_terminator) == ("cp1252", ";", '"', ",", "\r\n")
    assert len(sniffed.evidence) == 5


def test_sniffed_is_frozen() -> None:
    sniffed = sniff(b"a;b\n1;2\n", "a.csv")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sniffed.delimiter = ","  # type: ignore[misc]


# --- what is not delimited text --------------------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    (b"", "raw/no/x.csv: the file is empty"),
    (b"\n \r\n", "raw/no/x.csv: the file holds only blank lines"),
    (codecs.BOM_UTF8 + b"\n", "raw/no/x.csv: the file holds no text"),
    (b"$FL2@(#) SPSS DATA FILE\x00\x00\x02\x00\x00\x00abc\n", "raw/no/x.csv: binary data"),
    (b"id;x\n1;\x00\n", "raw/no/x.csv: binary data, not delimited text (a NUL byte on line 2)"),
    (bytes(range(0x80, 0x100)) * 4, "raw/no/x.csv: cannot tell the encoding"),
    (b"id;x\r1;2\r3;4\r", "raw/no/x.csv: lines end in a bare carriage return"),
    (codecs.BOM_UTF16_LE + b"\x00\xd8", "raw/no/x.csv: starts with a UTF-16 byte order mark"),
])
def test_what_cannot_be_read_as_text_is_refused_naming_the_file(data: bytes,
                                                                 message: str) -> None:
    with pytest.raises(SniffError) as raised:
        sniff(data, "raw/no/x.csv")
    assert str(raised.value).startswith(message)
    assert raised.value.hint
    assert isinstance(raised.value, RawFileError) and raised.value.exit_code == EXIT_INVALID
