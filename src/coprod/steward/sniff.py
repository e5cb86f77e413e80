"""Sniff the dialect of a delimited text file from its bytes, for drafting its codebook.

A new delivery's dialect is read off the file, never copied from the previous wave: exports change
tools between waves. The encoding is settled by a byte order mark, else by a strict UTF-8 decode,
else by charset-normalizer among the code pages Nordic and European survey exports are written in;
the delimiter and quote character by clevercsv, which weighs the table each candidate dialect would
make instead of counting characters; the decimal mark and line ends by what the file holds. Every
choice comes with a sentence of evidence, because a sniffer guesses and the steward who reviews the
draft should see on what.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

from charset_normalizer import from_bytes
from clevercsv import Detector

from ..errors import RawFileError

DELIMITERS = (",", ";", "\t", "|")  # the order also breaks ties
SAMPLE_LINES = 200  # enough rows for clevercsv to judge consistency, few enough to stay quick
SAMPLE_CHARS = 1 << 17
# Code pages of Nordic and European exports: Windows, ISO, DOS Nordic, classic Mac (as
# charset-normalizer names them), with the codec name a codebook writes for each.
CODE_PAGES = {"cp1252": "cp1252", "latin_1": "latin-1", "iso8859_15": "iso8859-15",
              "cp865": "cp865", "mac_roman": "mac-roman"}
LATIN = ("cp1252", "latin-1", "iso8859-15")  # one family: they agree on letters, not on 0x80-0xbf
ISO15_ONLY = b"\xa4\xa6\xa8\xb4\xb8\xbc\xbd\xbe"  # where iso8859-15 differs from latin-1 (€, Š ...)
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),  # before UTF-16's
        (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"))
DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
NON_ASCII = re.compile(r"[^\x00-\x7f]")
UTF8_LETTER = re.compile(rb"[\xc3][\x80-\xbf]")  # Latin-1 letters (æ ø å é ...) in UTF-8


class SniffError(RawFileError):
    """A delivered file that cannot be read as text at all."""


@dataclass(frozen=True)
class Sniffed:
    """The dialect of a delimited text file, as a codebook declares it, with why."""

    encoding: str  # a Python codec name: utf-8 (also with a BOM), utf-16, cp1252, latin-1 ...
    delimiter: str
    quotechar: str
    decimal: str  # "." or ","
    line_terminator: str  # "\n" or "\r\n"
    text: str = field(repr=False)  # the whole file decoded, without its byte order mark
    evidence: tuple[str, ...] = ()  # one sentence per choice, quoting what decided it
    bom: bool = False


def sniff(data: bytes, name: str) -> Sniffed:
    """The dialect of the delimited text ``data`` of the file ``name`` (named in errors)."""
    if not data or data.isspace():
        raise SniffError(f"{name}: the file is empty" if not data else
                         f"{name}: the file holds only blank lines",
                         hint="export the delivery again")
    encoding, bom, text, why_encoding = _decode(data, name)
    if not text or text.isspace():
        raise SniffError(f"{name}: the file holds no text, only a byte order mark or blank lines",
                         hint="export the delivery again")
    terminator, why_lines = _line_terminator(text, name)
    sample = _sample(text)
    delimiter, quotechar, why_delimiter, why_quote = _delimiter(sample, len(sample) < len(text))
    rows = _rows(sample, delimiter, quotechar)
    decimal, why_decimal = _decimal(rows, delimiter)
    return Sniffed(encoding, delimiter, quotechar, decimal, terminator, text,
                   (why_encoding, why_delimiter, why_quote, why_decimal, why_lines), bom)


# --- encoding --------------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> tuple[str, bool, str, str]:
    """(codec, has a BOM, text, evidence)."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            try:
                # Python's utf-16/utf-32 codecs consume their BOM; utf-8 would keep it as U+FEFF.
                text = data[len(bom):].decode(codec) if codec == "utf-8" else data.decode(codec)
            except UnicodeDecodeError as exc:
                raise SniffError(f"{name}: starts with a {codec.upper()} byte order mark but is "
                                 f"not {codec.upper()} ({_where(data, exc.start)})",
                                 hint=f"save the file as {codec.upper()} again") from None
            return codec, True, text, f"encoding {codec}: {codec.upper()} byte order mark"
    if 0 in data:
        return _utf16_or_binary(data, name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _code_page(data, name, exc.start)
    if text.isascii():
        return "utf-8", False, text, "encoding utf-8: every byte is ASCII, which UTF-8 reads as is"
    first = NON_ASCII.search(text)
    line = text.count("\n", 0, first.start()) + 1
    return "utf-8", False, text, f"encoding utf-8: valid UTF-8 ({first.group()!r} at line {line})"


def _utf16_or_binary(data: bytes, name: str) -> tuple[str, bool, str, str]:
    # Text in UTF-16 without a BOM has a NUL beside nearly every Latin character, all on one
    # side; NULs anywhere else are binary data (an SPSS or Excel file renamed .csv, say).
    even, odd, half = data[0::2].count(0), data[1::2].count(0), len(data) / 2
    side = ("utf_16_le" if odd > half / 2 and not even else
            "utf_16_be" if even > half / 2 and not odd else None)
    best = from_bytes(data, cp_isolation=[side]).best() if side and len(data) % 2 == 0 else None
    if best is None:
        line = data.count(b"\n", 0, data.index(0)) + 1
        raise SniffError(f"{name}: binary data, not delimited text (a NUL byte on line {line})",
                         hint="export the delivery as delimited text; if it is an SPSS file, "
                              "name it .sav")
    codec = side.replace("_", "-")
    return (codec, False, data.decode(codec),
            f"encoding {codec}: NUL bytes beside the characters, no byte order mark; "
            "charset-normalizer confirms it")


def _code_page(data: bytes, name: str, bad: int) -> tuple[str, bool, str, str]:
    # A looser chaos threshold than the default (0.2): in a small file one stray byte weighs
    # enough to rule out every code page; best() still takes the least chaotic.
    best = from_bytes(data, cp_isolation=list(CODE_PAGES), threshold=0.4).best()
    if best is None or best.encoding not in CODE_PAGES:
        raise SniffError(f"{name}: cannot tell the encoding: not UTF-8 ({_where(data, bad)}) and "
                         f"no code page of {', '.join(CODE_PAGES.values())} reads it as text",
                         hint="save the file as UTF-8")
    guess = codec = CODE_PAGES[best.encoding]
    note = ""
    if guess in LATIN:
        # cp1252 is latin-1 with letters where latin-1 has control characters: when both decode,
        # the file was surely written on Windows. Only bytes cp1252 leaves undefined rule it out.
        undefined = _undefined(data, "cp1252")
        if undefined is None:
            codec = "cp1252"
        else:
            codec = "iso8859-15" if guess == "iso8859-15" and any(
                byte in data for byte in ISO15_ONLY) else "latin-1"
            note = f"; not cp1252: {_where(data, undefined)} is undefined in cp1252"
        if codec != guess:
            note += f" (charset-normalizer's best: {guess}, which reads the letters alike)"
    text = data.decode(codec)
    shown = data[bad:bad + 1].decode(codec)
    utf8 = UTF8_LETTER.search(data, 0, bad)
    if utf8:  # what the reader refuses as mixed encodings: say it now, where it shows
        note += (f"; but {_where(data, utf8.start())} starts UTF-8 for "
                 f"{utf8.group().decode()!r}: part of the file may be UTF-8")
    return (codec, False, text,
            f"encoding {codec}: not valid UTF-8; charset-normalizer's best match "
            f"({_where(data, bad)} decodes as {shown!r}){note}")


def _undefined(data: bytes, codec: str) -> int | None:
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def _where(data: bytes, index: int) -> str:
    line = data.count(b"\n", 0, index) + 1
    return f"byte 0x{data[index]:02x} at line {line}"


# --- line ends, delimiter, quote, decimal mark ----------------------------------------------


def _line_terminator(text: str, name: str) -> tuple[str, str]:
    end = text.find("\n")
    if end == -1 and "\r" in text.strip("\r"):
        raise SniffError(f"{name}: lines end in a bare carriage return (classic Mac OS)",
                         hint="save the file with Windows (CRLF) or Unix (LF) line ends")
    if end > 0 and text[end - 1] == "\r":
        return "\r\n", "line ends \\r\\n (Windows): the first line ends so"
    return "\n", ("line ends \\n: the first line ends so" if end != -1 else
                  "line ends \\n: the file is a single line")


def _sample(text: str) -> str:
    """The first lines of the text, cut at a line end."""
    end = 0
    for _ in range(SAMPLE_LINES):
        found = text.find("\n", end)
        if found == -1:
            return text
        end = found + 1
        if end > SAMPLE_CHARS:
            break
    return text[:end]


def _delimiter(sample: str, cut: bool) -> tuple[str, str, str, str]:
    """(delimiter, quotechar, evidence for each); ``cut``: the sample is not the whole text."""
    dialect = Detector().detect(sample, delimiters=list(DELIMITERS))
    if dialect is None:
        delimiter, why = _by_counts(sample)
        quotechar = '"'
    else:
        delimiter, quotechar = dialect.delimiter, dialect.quotechar or '"'
        why = "clevercsv's pick"
    why_quote = (f"quotechar {quotechar!r}: clevercsv finds fields quoted with it"
                 if dialect is not None and dialect.quotechar else
                 f"quotechar {quotechar!r}: no quoted field found, the usual one assumed")
    header = next(_rows(sample, delimiter or ",", quotechar), [])
    if not delimiter or len(header) < 2:
        # One column: any delimiter reads it, as long as it does not occur in the values.
        delimiter = next((d for d in DELIMITERS if d not in sample), ",")
        return (delimiter, quotechar,
                f"delimiter {_shown(delimiter)}: a single column (no delimiter in the header), "
                "so any delimiter absent from the file reads it", why_quote)
    rows = [row for row in _rows(sample, delimiter, quotechar) if row]
    same = sum(len(row) == len(header) for row in rows)
    span = f"the first {len(rows)}" if cut else f"all {len(rows)}"
    on = (f"each of {span}" if cut else span) if same == len(rows) else f"{same} of {span}"
    return (delimiter, quotechar,
            f"delimiter {_shown(delimiter)}: {why}; {len(header)} fields on {on} rows", why_quote)


def _by_counts(sample: str) -> tuple[str, str]:
    """The delimiter that occurs as often on most lines as on the header, when clevercsv finds
    no dialect; "" when none occurs on the header."""
    lines = [line for line in sample.splitlines() if line.strip()]
    best: tuple[tuple[float, int], str] | None = None
    for delimiter in DELIMITERS:
        counts = [line.count(delimiter) for line in lines]
        if counts[0]:
            key = (counts.count(counts[0]) / len(counts), counts[0])
            if best is None or key > best[0]:
                best = (key, delimiter)
    if best is None:
        return "", "no delimiter in the header"
    (share, count), delimiter = best
    return delimiter, (f"clevercsv found no dialect; it occurs {count} times on "
                       f"{share:.0%} of the lines, as on the header")


def _rows(sample: str, delimiter: str, quotechar: str):
    return csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar=quotechar)


def _decimal(rows, delimiter: str) -> tuple[str, str]:
    if delimiter == ",":
        return ".", "decimal '.': ',' separates the fields"
    next(rows, None)  # the header
    for row in rows:
        found = next((value for value in row if DECIMAL_COMMA.fullmatch(value.strip())), None)
        if found is not None:
            return ",", (f"decimal ',': values like {found.strip()!r} (line {rows.line_num}) in "
                         f"a {_shown(delimiter)}-separated file")
    return ".", "decimal '.': no value like '1,25'"


def _shown(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)
