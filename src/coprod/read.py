"""Read a raw extract as its codebook declares it: SPSS through pyreadstat (user-missing codes kept
as values, value labels kept as metadata), CSV through polars after a strict decode in the declared
encoding. Nothing is interpreted here: CSV cells stay text so that validation can report the value
exactly as it stands in the file. Only when asked (``parse_integers``), integer columns are parsed
while reading, which is quicker and holds a fraction of the memory; a file in which one of them
does not parse is read as text. Values read so can be reported only as numbers, so a caller reads
the file again as text to report a problem.

A file that cannot be read as declared is refused with one message naming the line, column and
value: the wrong encoding (including UTF-8 that decodes as cp1252 without error, which shows as
"Ã¸" for "ø"), a byte order mark, binary data, a wrong delimiter, a duplicated or decomposed
(Unicode NFD) column name, a quote that is never closed, rows with too many or too few fields, an
empty line, a repeated header, a truncated file, no data rows. These checks are vectorised: they
cost a few scans of the text, not a loop over rows.

A large file is also read in blocks of whole rows (:func:`read_blocks`), each block by the same
reader and checks, so that the package stage never holds it whole (coprod.stream).
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import polars as pl

from .codebook import Dialect, SourceCodebook
from .errors import RawFileError
from .project import Project

TAGGED = "__coprod_tagged__"  # + a column: its Stata extended missing values, in a typed frame
NO_ROWS_HINT = ("a wave without respondents is surely an incomplete export: export the extract "
                "again with its rows")


class UnreadableFile(RawFileError):
    """A raw file that cannot be read as declared, with where in the file the problem is."""

    def __init__(self, message: str, *, hint: str | None = None, row: int | None = None,
                 line: int | None = None, column: str | None = None,
                 value: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.row, self.line, self.column, self.value = row, line, column, value


@dataclass(frozen=True)
class RawTable:
    """A raw file as read: the frame and what is needed to point back into the file."""

    source_id: str
    file: str  # relative to the package root, as shown in messages
    frame: pl.DataFrame
    header_lines: int = 1  # physical lines before the first data row (CSV)
    value_labels: dict[str, dict] = field(default_factory=dict)  # SPSS value labels per variable
    physical_lines: bool = True  # whether data row N sits on line N + header_lines
    # Where data rows do not sit on their own lines (a quoted field holds a line break): the
    # physical line on which each data row starts.
    row_lines: pl.Series | None = None
    warnings: tuple[str, ...] = ()  # what was read but is worth a look (e.g. NFD normalized)
    project: Project | None = None  # the package the file belongs to
    parsed: tuple[str, ...] = ()  # CSV columns parsed as integers while reading (not as text)
    # Stata's extended missing values (.a to .z) of a numeric column, as text (".a"); the
    # column itself holds null there
    tagged: dict[str, pl.Series] = field(default_factory=dict)
    sheet: object | None = None  # a spreadsheet's coprod.sheets.Sheet, to name cells

    def cell(self, row: int, column: str | None) -> str | None:
        """A spreadsheet cell reference ("Sheet1!C17") of a data row and column."""
        if self.sheet is None or column is None or column not in self.frame.columns:
            return None
        return self.sheet.cell(row, column)  # type: ignore[attr-defined]

    def line(self, row: int) -> int | None:
        """The physical line in the file of a 1-based data row, where the file has lines."""
        if self.row_lines is not None:
            return int(self.row_lines[row - 1]) if 0 < row <= len(self.row_lines) else None
        return row + self.header_lines if self.physical_lines else None


def read_source(project: Project, source: SourceCodebook, *,
                parse_integers: bool = False) -> RawTable:
    """The raw file of a source. With ``parse_integers``, a CSV file's integer columns are
    parsed while reading where every cell of them parses (see the module's text)."""
    path, shown = _raw_file(project, source)
    if source.format == "spss":
        raw = _read_spss(source, path, shown)
    elif source.format == "stata":
        raw = _read_stata(source, path, shown)
    elif source.format == "spreadsheet":
        raw = _read_spreadsheet(source, path, shown)
    else:
        raw = _read_csv(source, path.read_bytes(), shown, parse_integers)
    return replace(raw, project=project)


BLOCK_BYTES = 16 << 20  # of delimited text per block (what polars parses at once; measured in
# docs/performance.md: 64 MB held 1.3 GB at 5 M rows, 16 MB 0.9 GB, for 6 % more time)
BLOCK_ROWS = 1 << 18  # of an SPSS file per block


def read_blocks(project: Project, source: SourceCodebook, *, parse_integers: bool = False,
                block_bytes: int | None = None, block_rows: int | None = None
                ) -> Iterator[RawTable]:
    """The raw file of a source in blocks of whole rows, so that a large file is never held
    whole: delimited text in an ASCII-compatible encoding is cut at line breaks outside quotes
    (each block is read as the file with the header and only those records would be), an SPSS
    file is read ``block_rows`` cases at a time (pyreadstat's chunked reader). Other files, and
    files of one block, come whole.

    A block is checked on its own, so a problem it raises, or a warning it carries, may be one
    that only the whole file can state exactly (where the file starts to be in another
    encoding, how many letters are decomposed): a caller that meets one reads the file whole
    (:func:`read_source`), which says what and where. Row numbers here count from each block's
    first row."""
    path, shown = _raw_file(project, source)
    size = path.stat().st_size
    block_bytes = block_bytes or BLOCK_BYTES
    block_rows = block_rows or BLOCK_ROWS
    if source.format == "csv" and size > block_bytes and _lines_cut_safely(
            source.dialect.encoding):
        blocks = _csv_blocks(source, path, shown, parse_integers, block_bytes)
    elif source.format == "spss" and size > block_bytes:
        blocks = _spss_blocks(source, path, shown, block_rows)
    else:
        blocks = iter([read_source(project, source, parse_integers=parse_integers)])
    for raw in blocks:
        yield replace(raw, project=project)


def _raw_file(project: Project, source: SourceCodebook) -> tuple[Path, str]:
    path = project.resolve(source.file, what=f"{source.id}: file")
    shown = project.relative(path)
    if path.is_dir():
        raise RawFileError(f"{shown}: is a folder, not the raw file of {source.id}",
                           hint=f"put the extract there as a file, or correct `file` in "
                                f"schemas/sources/{source.id}.yaml")
    if not path.is_file():
        raise RawFileError(f"{shown}: raw file of {source.id} not found",
                           hint=f"put the extract there or correct `file` in schemas/sources/"
                                f"{source.id}.yaml")
    return path, shown


def _codebook(source: SourceCodebook) -> str:
    return f"schemas/sources/{source.id}.yaml"


@cache
def _lines_cut_safely(encoding: str) -> bool:
    """Whether a line break and a quote are single bytes that no other character's bytes hold
    (UTF-8, and encodings of one byte per character): text can be cut at them as bytes."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False  # read whole, which says so
    if name in ("utf-8", "utf-8-sig"):
        return True
    decoder = codecs.getincrementaldecoder(encoding)
    ascii_ = bytes(range(128))
    try:
        if ascii_.decode(encoding) != ascii_.decode("ascii"):
            return False
    except UnicodeDecodeError:
        return False
    for byte in range(128, 256):  # a byte that only starts a character: several per character
        try:
            if decoder().decode(bytes([byte])) == "":
                return False
        except UnicodeDecodeError:
            continue
    return True


def _record_end(data: bytes, quote: bytes) -> int:
    """Where the last complete record of ``data`` ends (just past its line break), ``data``
    starting at a record's start; 0 when no line break there stands outside quotes."""
    end = data.rfind(b"\n")
    inside = data.count(quote, 0, end) % 2 if end >= 0 else 0
    while end >= 0 and inside:
        before = data.rfind(b"\n", 0, end)
        if before < 0:
            return 0
        inside ^= data.count(quote, before, end) % 2
        end = before
    return end + 1


def _csv_blocks(source: SourceCodebook, path: Path, shown: str, parse_integers: bool,
                size: int) -> Iterator[RawTable]:
    """Delimited text in blocks of about ``size`` bytes of whole records; each block after the
    first is read with the header's line before it."""
    quote = source.dialect.quotechar.encode("ascii")
    header = b""
    with path.open("rb") as file:
        carry = b""
        while True:
            chunk = file.read(size)
            data = carry + chunk
            last = not chunk
            cut = len(data) if last else _record_end(data, quote)
            if not last and cut <= (0 if header else data.find(b"\n") + 1):
                carry = data  # no whole record (after the header) yet: read on
                continue
            block, carry = data[:cut], data[cut:]
            del data
            if not block:
                return
            if not last and block.endswith((b"\n\n", b"\n\r\n")):
                raise UnreadableFile(f"{shown}: an empty line", hint="remove the empty line(s): a "
                                     "line holds one row")  # read whole, it says which
            if header:
                block = header + block
            else:
                header = block[:block.find(b"\n") + 1].removeprefix(codecs.BOM_UTF8)
            yield _read_csv(source, block, shown, parse_integers)
            if last:
                return


# --- SPSS ------------------------------------------------------------------------------------


def _iconv(encoding: str | None) -> dict[str, str]:
    """pyreadstat's ``encoding`` argument for a Python codec name: it takes iconv's names
    (ISO-8859-1, not latin-1)."""
    if not encoding:
        return {}
    name = codecs.lookup(encoding).name  # e.g. iso8859-1, cp1252, utf-8
    if name.startswith("iso8859-"):
        name = "iso-8859-" + name.removeprefix("iso8859-")
    return {"encoding": name.upper()}


def _read_spss(source: SourceCodebook, path: Path, shown: str) -> RawTable:
    """An SPSS .sav or .zsav file: user-missing codes kept as values, value labels kept; the
    file's own encoding unless the codebook sets one."""
    import pyreadstat

    encoding = source.encoding_override
    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True, output_format="polars",
                                          **_iconv(encoding))
    except Exception as exc:  # pyreadstat raises its own error types for every broken file
        raise UnreadableFile(f"{shown}: not a readable SPSS .sav/.zsav file ({exc})",
                             hint="re-export the file from SPSS (it may be truncated or not a "
                                  "SPSS file), check `format` in the codebook, or set "
                                  "dialect.encoding if its text is in another encoding than "
                                  "it declares") from None
    return _labelled(source, frame, meta, shown)


def _spss_blocks(source: SourceCodebook, path: Path, shown: str,
                 rows: int) -> Iterator[RawTable]:
    """An SPSS file ``rows`` cases at a time, each block as :func:`_read_spss` reads a file."""
    import pyreadstat

    chunks = pyreadstat.read_file_in_chunks(
        pyreadstat.read_sav, str(path), chunksize=rows, user_missing=True,
        output_format="polars", **_iconv(source.encoding_override))
    while True:
        try:
            frame, meta = next(chunks)
        except StopIteration:
            return
        except Exception as exc:  # pyreadstat's own error types: read whole, it says which
            raise UnreadableFile(f"{shown}: not a readable SPSS .sav/.zsav file ({exc})") from None
        yield _labelled(source, frame, meta, shown)


def _read_stata(source: SourceCodebook, path: Path, shown: str) -> RawTable:
    """A Stata .dta file (any version pyreadstat reads): value labels kept; an extended missing
    value (.a to .z) of a numeric column is kept as its letter in :attr:`RawTable.tagged`, so
    that the codebook can say which missing reason it is."""
    import pyreadstat

    encoding = source.encoding_override
    try:
        frame, meta = pyreadstat.read_dta(str(path), user_missing=True, output_format="polars",
                                          **_iconv(encoding))
    except Exception as exc:  # pyreadstat's own error types
        raise UnreadableFile(f"{shown}: not a readable Stata .dta file ({exc})",
                             hint="export the file from Stata again, check `format` in the "
                                  "codebook, or set dialect.encoding for an old file whose "
                                  "text is not UTF-8") from None
    tagged = {}
    for name, dtype in frame.schema.items():
        if dtype == pl.Object:  # numbers and letters: the letters are extended missing values
            values = frame[name].to_list()
            tagged[name] = pl.Series(name, [f".{v}" if isinstance(v, str) else None
                                            for v in values], dtype=pl.String)
            frame = frame.with_columns(pl.Series(name, [None if isinstance(v, str) else v
                                                        for v in values], dtype=pl.Float64))
    raw = _labelled(source, frame, meta, shown)
    return RawTable(raw.source_id, raw.file, raw.frame, raw.header_lines, raw.value_labels,
                    raw.physical_lines, raw.row_lines, raw.warnings, tagged=tagged)


def _read_spreadsheet(source: SourceCodebook, path: Path, shown: str) -> RawTable:
    """A spreadsheet (.xlsx, .ods): the declared sheet, its header on the declared row; every
    cell as text, as a person reads it there (coprod.sheets); problems name the cell."""
    from .sheets import read_sheet

    sheet = read_sheet(path, shown, source.sheet, source.header_row)
    if sheet.frame.height == 0:
        raise UnreadableFile(f"{shown}: sheet {sheet.name!r} has a header but no data rows",
                             hint=NO_ROWS_HINT)
    return RawTable(source.id, shown, sheet.frame, header_lines=sheet.header_row,
                    physical_lines=False, warnings=tuple(sheet.warnings), sheet=sheet)


def _labelled(source: SourceCodebook, frame: pl.DataFrame, meta: object,
              shown: str) -> RawTable:
    """A frame read by pyreadstat, with blanks as null and decomposed letters composed."""
    if frame.height == 0:
        raise UnreadableFile(f"{shown}: the file has variables but no cases (0 rows)",
                             hint=NO_ROWS_HINT)
    strings = [c for c, t in frame.schema.items() if t == pl.String]
    # pyreadstat gives system-missing numerics as NaN and empty strings as "": both are blanks.
    frame = frame.with_columns(
        [pl.col(c).fill_nan(None) for c, t in frame.schema.items() if t.is_float()]
        + [pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c)
           for c in strings]
    )
    warnings = ()
    decomposed = frame.select(
        pl.col(c).str.contains(COMBINING).fill_null(False).arg_true().first().alias(c)
        for c in strings).row(0) if strings else ()
    found = [(c, i) for c, i in zip(strings, decomposed, strict=True) if i is not None]
    if found:
        column, index = found[0]
        value = frame[column][index]
        frame = frame.with_columns(pl.col(c).str.normalize("NFC") for c, _ in found)
        warnings = (f"{shown}: row {index + 1}, column {column}: {value!r} has decomposed letters "
                    f"(Unicode NFD); read as composed (NFC) {unicodedata.normalize('NFC', value)!r}"
                    + (f", also in {', '.join(c for c, _ in found[1:])}" if found[1:] else ""),)
    return RawTable(source.id, shown, frame, header_lines=0, physical_lines=False,
                    value_labels=dict(meta.variable_value_labels),  # type: ignore[attr-defined]
                    warnings=warnings)


# --- delimited text --------------------------------------------------------------------------

COMBINING = r"[\u0300-\u036f]"  # combining diacritical marks: what NFD text has and NFC lacks
DELIMITERS = (";", ",", "\t", "|")
BOMS = ((codecs.BOM_UTF8, "UTF-8"), (codecs.BOM_UTF32_LE, "UTF-32"),
        (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"),
        (codecs.BOM_UTF16_BE, "UTF-16"))


def _read_csv(source: SourceCodebook, data: bytes, shown: str,
              parse_integers: bool = False) -> RawTable:
    """Delimited text: the file's bytes, or a block of them after the header's line."""
    dialect = source.dialect
    text = _decode(data, source, shown)
    if not text or text.isspace():
        raise UnreadableFile(f"{shown}: the file is empty", hint="export the extract again")
    header = _header(text, source, shown)
    warnings: tuple[str, ...] = ()
    if _may_be_decomposed(dialect.encoding) and not text.isascii() and (
            not unicodedata.is_normalized("NFC", text)):
        warnings = (_decomposed_warning(text, dialect, header, shown),)
        text = unicodedata.normalize("NFC", text)
    data = text.encode("utf-8")
    del text  # parsed from the bytes: not held beside them and the frame (memory)
    terminated = data.endswith(b"\n")
    if data.endswith((b"\n\n", b"\n\r\n")) or not terminated:
        # Blank lines at the very end hold nothing: they are not rows.
        data = data.rstrip(b"\r\n") + b"\n"
    options = {"separator": dialect.delimiter, "quote_char": dialect.quotechar,
               "infer_schema": False, "raise_if_empty": True}
    integers = {name: pl.Int64 for name in header if name in source.variables
                and source.variables[name].type == "integer"} if parse_integers else {}
    frame = None
    if integers:
        try:  # polars parses what str.strip_chars().cast(pl.Int64) converts, to the same value
            frame = pl.read_csv(data, schema_overrides=integers, **options)
        except (pl.exceptions.PolarsError, ValueError):
            integers = {}  # a cell that is not an integer, or a broken file: read as text
    if frame is None:
        try:
            frame = pl.read_csv(data, **options)
        except (pl.exceptions.PolarsError, ValueError) as exc:
            _explain(data, dialect, header, shown, terminated)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UnreadableFile(f"{shown}: cannot be parsed as {dialect.delimiter!r}-separated "
                                 f"text ({first})",
                                 hint="check the delimiter, quoting and row lengths") from None
    row_lines = _check_parsed(frame, data, dialect, header, shown, terminated)
    return RawTable(source.id, shown, frame, header_lines=1, row_lines=row_lines,
                    physical_lines=row_lines is None, warnings=warnings, parsed=tuple(integers))


def _check_parsed(frame: pl.DataFrame, data: bytes, dialect: Dialect, header: list[str],
                  shown: str, terminated: bool) -> pl.Series | None:
    """Cheap totals that hold only when every record has the header's fields and sits on its
    own line; when one does not, the lines are analysed to say where and why.

    polars refuses a record with too many fields but fills one with too few with nulls, reads
    an empty line as a row of nulls and a repeated header as data."""
    if frame.height == 0:
        raise UnreadableFile(f"{shown}: the file has a header but no data rows",
                             hint=NO_ROWS_HINT, line=1)
    newlines = data.count(b"\n")
    # A short record or an empty line leaves the last column null, so without a null there
    # (its count is free) there is nothing to count.
    short = frame[frame.columns[-1]].null_count() > 0 and _fields_missing(frame, data, dialect,
                                                                         header)
    first = frame.columns[0]  # a repeated header, unless it would not have parsed as a number
    suspicious = (
        short
        or (frame.schema[first] == pl.String
            and frame.select((pl.col(first) == header[0]).any()).item())
        or newlines != frame.height + 1  # quoted line breaks, or a quote gone astray
    )
    if not suspicious:
        return None
    row_lines = _structure(data, dialect, header, shown, terminated=terminated)
    rows = len(row_lines) if row_lines is not None else newlines - 1
    if frame.height != rows:  # the line analysis and polars disagree: say so rather than guess
        _diagnose(data, dialect, shown)
        raise UnreadableFile(f"{shown}: {frame.height} rows were parsed from {rows} records",
                             hint="check the quoting of the file, and report this to the coprod "
                                  "maintainers")
    return row_lines


def _fields_missing(frame: pl.DataFrame, data: bytes, dialect: Dialect,
                    header: list[str]) -> bool:
    """Whether some record has fewer fields than the header: every delimiter of the file either
    separates two fields or stands inside a quoted value (of a text column)."""
    delimiter = dialect.delimiter
    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    inside = 0
    if texts:
        inside = frame.select(pl.sum_horizontal(
            pl.col(texts).str.count_matches(delimiter, literal=True).sum())).item() or 0
    separating = data.count(delimiter.encode("utf-8")) - inside
    return separating != (len(header) - 1) * (frame.height + 1) or frame.select(
        pl.all_horizontal(pl.all().is_null()).any()).item()


def _explain(data: bytes, dialect: Dialect, header: list[str], shown: str,
             terminated: bool) -> None:
    """Raise the precise reason why polars refused the text, where one can be found."""
    _structure(data, dialect, header, shown, terminated=terminated)
    _diagnose(data, dialect, shown)


@cache
def _may_be_decomposed(encoding: str) -> bool:
    """Whether text in an encoding can hold decomposed letters: not when no character it can
    encode is a combining mark (cp1252, latin-1), as is the case for most single-byte ones."""
    if codecs.lookup(encoding).name.startswith("utf"):
        return True
    chars = bytes(range(256)).decode(encoding, errors="ignore")
    return len(chars) > 256 or any(unicodedata.combining(c) or not unicodedata.is_normalized(
        "NFC", c) for c in chars)


# What a file declared as delimited text may be instead, by its first bytes, and what to do.
SIGNATURES = (
    (b"PK\x03\x04", "a zip archive, such as an .xlsx or .ods spreadsheet",
     "for a spreadsheet, set `format: spreadsheet` (docs/codebooks.md); or export the sheet as "
     "delimited text"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel (.xls) workbook",
     "save it as .xlsx and set `format: spreadsheet`, or export the sheet as delimited text"),
    (b"$FL2", "an SPSS .sav file", "set `format: spss`, or export the data as delimited text"),
    (b"$FL3", "an SPSS .zsav file", "set `format: spss`, or export the data as delimited text"),
    (b"<stata_dta>", "a Stata .dta file", "set `format: stata`, or export the data as "
                                          "delimited text"),
    (b"\x1f\x8b", "a gzip-compressed file", "decompress it and point `file` at the text"),
    (b"%PDF-", "a PDF document", "put the data extract there, not its documentation"),
)


def _decode(data: bytes, source: SourceCodebook, shown: str) -> str:
    """The file's text in its declared encoding, refusing what is evidently another encoding
    or another kind of file."""
    for signature, what, fix in SIGNATURES:
        if data.startswith(signature):
            raise UnreadableFile(f"{shown}: this is {what}, not the delimited text the codebook "
                                 "declares (format: csv)", line=1,
                                 hint=f"{fix}; see {_codebook(source)}")
    encoding = source.dialect.encoding
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise RawFileError(f"{shown}: unknown encoding {encoding!r} in the codebook",
                           hint=f"correct dialect.encoding in {_codebook(source)}") from None
    fix = f"dialect.encoding in {_codebook(source)}"
    if codec in ("utf-8", "utf-8-sig") and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]  # what spreadsheets write as "CSV UTF-8": harmless
    if not codec.startswith(("utf-16", "utf-32")):
        for bom, name in BOMS:
            if data.startswith(bom) and not (name == "UTF-8" and codec.startswith("utf-8")):
                raise UnreadableFile(
                    f"{shown}: line 1: the file starts with a {name} byte order mark, but the "
                    f"codebook declares {encoding}", line=1,
                    hint=f"the file is probably {name}: set {fix} to {name.lower()}, or save the "
                         f"file as {encoding}")
        if b"\x00" in data:
            at = data.index(b"\x00")
            line = data.count(b"\n", 0, at) + 1
            raise UnreadableFile(
                f"{shown}: line {line}: byte b'\\x00' (NUL): this is binary data, not "
                f"{encoding} text", line=line,
                hint="check that `file` names the extract and `format` is right, or export the "
                     "extract again as delimited text")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _undecodable(data, exc, source, shown) from None
    if codec not in ("utf-8", "utf-8-sig") and not text.isascii():
        _refuse_mojibake(data, text, source, shown)
    return text


def _locate(data: bytes, start: int, dialect: Dialect) -> tuple[int, int | None, int, bytes]:
    """Line, data row (when certain), field index and field bytes of a byte offset."""
    line = data.count(b"\n", 0, start) + 1
    begin = data.rfind(b"\n", 0, start) + 1
    end = data.find(b"\n", start)
    raw_line = data[begin:end if end >= 0 else len(data)].rstrip(b"\r")
    delimiter = dialect.delimiter.encode("ascii", errors="replace")
    index = data.count(delimiter, begin, start)
    cells = raw_line.split(delimiter)
    # The row is certain only when no quoted field before the line could hold a line break.
    row = line - 1 if line > 1 and dialect.quotechar.encode() not in data[:begin] else None
    return line, row, index, cells[index] if index < len(cells) else raw_line


def _column_name(data: bytes, index: int, dialect: Dialect, encoding: str) -> str | None:
    header = data.split(b"\n", 1)[0].rstrip(b"\r").decode(encoding, errors="replace")
    names = header.split(dialect.delimiter)
    return names[index].strip(dialect.quotechar) if index < len(names) else None


def _where(line: int | None, row: int | None, column: str | None) -> str:
    """"line 5, row 4, column x, " with what is known."""
    return "".join(f"{x}, " for x in (f"line {line}" if line else "", f"row {row}" if row else "",
                                      f"column {column}" if column else "") if x)


def _undecodable(data: bytes, exc: UnicodeDecodeError, source: SourceCodebook,
                 shown: str) -> UnreadableFile:
    dialect = source.dialect
    line, row, index, cell = _locate(data, exc.start, dialect)
    column = _column_name(data, index, dialect, dialect.encoding) if line > 1 else None
    value = cell.decode(dialect.encoding, errors="replace")
    guess = other = ""
    if not data[:exc.start].isascii():  # text before decoded fine: only part of it is wrong
        mixed = True
    else:
        mixed = False
        for other in ("utf-8", "cp1252"):
            if codecs.lookup(other).name == codecs.lookup(dialect.encoding).name:
                continue
            try:
                data.decode(other)
            except UnicodeDecodeError:
                continue
            guess = (f"; the whole file reads as {other}"
                     + (f" ({cell.decode(other)!r})" if cell.decode(other) != value else ""))
            break
    fix = f"dialect.encoding in {_codebook(source)}"
    return UnreadableFile(
        f"{shown}: line {line}: byte {data[exc.start:exc.start + 1]!r} is not valid "
        f"{dialect.encoding}, in {_where(None, row, column)}value {value!r}{guess}",
        hint=(f"correct {fix} to {other}, or save the file as {dialect.encoding}" if guess else
              f"part of the file is in another encoding: save the whole file as "
              f"{dialect.encoding}" if mixed else
              f"save the file as {dialect.encoding}, or correct {fix}"),
        row=row, line=line, column=column, value=value)


@cache
def _mojibake_pattern(encoding: str) -> re.Pattern[str] | None:
    """UTF-8 lead and continuation bytes as a single-byte encoding shows them ("Ã¸" is "ø")."""
    def chars(codes: range) -> str:
        out = []
        for code in codes:
            try:
                char = bytes([code]).decode(encoding)
            except UnicodeDecodeError:
                continue
            if len(char) != 1:
                return ""
            out.append(re.escape(char))
        return "".join(out)

    lead, follow = chars(range(0xC2, 0xF5)), chars(range(0x80, 0xC0))
    return re.compile(f"[{lead}][{follow}]{{1,3}}") if lead and follow else None


def _plausible(text: str) -> bool:
    return all(ch.isalpha() or "\u2010" <= ch <= "\u206f" or ch == "€" for ch in text)


def _refuse_mojibake(data: bytes, text: str, source: SourceCodebook, shown: str) -> None:
    """UTF-8 text decodes as cp1252 without an error, as "Ã¸" for "ø": refuse it."""
    encoding = source.dialect.encoding
    try:
        data.decode("utf-8")
        whole = True
    except UnicodeDecodeError:
        whole = False
    # Latin letters (æøåé...) are C2/C3 and a byte in UTF-8, punctuation (–’“€) E2 and two:
    # without those bytes there is no mojibake to find, and the scan below is skipped.
    if not whole and not any(lead in data for lead in (b"\xc2", b"\xc3", b"\xe2")):
        return
    pattern = _mojibake_pattern(codecs.lookup(encoding).name)
    found = None
    if pattern is not None:
        for match in pattern.finditer(text):
            try:
                meant = match.group().encode(encoding).decode("utf-8")
            except UnicodeError:
                continue
            if _plausible(meant):
                found = (match, meant)
                break
    if found is None and not whole:
        return
    if found is None:  # valid UTF-8 without a telling sequence: point at the first non-ASCII
        match = re.search(r"[^\x00-\x7f]+", text)
        assert match is not None  # the text is not ASCII
        found = (match, match.group().encode(encoding).decode("utf-8", "replace"))
    match, meant = found
    start = len(text[:match.start()].encode(encoding))
    line, row, index, cell = _locate(data, start, source.dialect)
    column = _column_name(data, index, source.dialect, encoding) if line > 1 else None
    value = cell.decode(encoding, errors="replace")
    what = ("the file is UTF-8, not " + encoding) if whole else (
        f"part of the file was saved as UTF-8 although the codebook declares {encoding}")
    raise UnreadableFile(
        f"{shown}: line {line}: {match.group()!r} is UTF-8 read as {encoding} (it means "
        f"{meant!r}): {what}; in {_where(None, row, column)}value {value!r}",
        hint=(f"set dialect.encoding to utf-8 in {_codebook(source)}, or save the file as "
              f"{encoding}") if whole else f"save the whole file as {encoding}",
        row=row, line=line, column=column, value=value)


# The csv module refuses a field over 128 KB by default; a raw file may hold a long free text,
# which polars reads anyway: the diagnostics must read it too.
FIELD_LIMIT = 2**31 - 1


def _split_header(line: str, dialect: Dialect, shown: str) -> list[str]:
    csv.field_size_limit(FIELD_LIMIT)
    try:
        return next(csv.reader([line], delimiter=dialect.delimiter, quotechar=dialect.quotechar))
    except csv.Error as exc:
        raise UnreadableFile(f"{shown}: line 1: the header cannot be read ({exc})", line=1,
                             hint="check the header's quoting and line ending") from None


def _header(text: str, source: SourceCodebook, shown: str) -> list[str]:
    """The column names of line 1, refused when they cannot name the codebook's variables."""
    dialect = source.dialect
    end = text.find("\n")
    first = (text if end < 0 else text[:end]).rstrip("\r")
    if "\r" in first and "\n" not in text:
        raise UnreadableFile(
            f"{shown}: line 1: the lines end in a bare carriage return (CR, as old Mac programs "
            "wrote them), so the file reads as one line", line=1,
            hint="save the file with CRLF (Windows) or LF line endings")
    names = _split_header(first, dialect, shown)
    if len(names) == 1 and len(source.variables) > 1:
        others = [d for d in DELIMITERS if d != dialect.delimiter and d in first]
        seems = (f": the file seems to be {others[0]!r}-separated" if others else "")
        raise UnreadableFile(
            f"{shown}: line 1: the header has no {dialect.delimiter!r} between column names"
            f"{seems}", line=1,
            hint=(f"set dialect.delimiter to {others[0]!r} in {_codebook(source)}, or export the "
                  f"file with {dialect.delimiter!r}") if others else
                 f"check dialect.delimiter in {_codebook(source)} and the file's first line")
    for number, name in enumerate(names, start=1):
        if not name.strip():
            raise UnreadableFile(f"{shown}: line 1: column {number} of the header has no name",
                                 hint="name the column, or remove it if it is empty", line=1)
    seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if name in seen:
            raise UnreadableFile(
                f"{shown}: line 1: column {name!r} appears twice in the header (columns "
                f"{seen[name]} and {number})", line=1, column=name,
                hint="each column must appear once: rename the one that was meant to be "
                     "another variable, or drop the duplicate")
        seen[name] = number
    for name in names:
        composed = unicodedata.normalize("NFC", name)
        if composed != name:
            known = (f", so it does not match the codebook's {composed!r}"
                     if composed in source.variables else "")
            raise UnreadableFile(
                f"{shown}: line 1: column name {name!r} is written with decomposed letters "
                f"(Unicode NFD){known}", line=1, column=name,
                hint="save the file with composed letters (Unicode NFC), as the codebook is")
    return names


def _decomposed_warning(text: str, dialect: Dialect, header: list[str], shown: str) -> str:
    match = re.search(COMBINING, text)
    if match is None:
        return f"{shown}: decomposed letters (Unicode NFD) were read as composed (NFC)"
    data = text.encode("utf-8")
    line, row, index, cell = _locate(data, len(text[:match.start()].encode("utf-8")), dialect)
    column = header[index] if index < len(header) else None
    value = cell.decode("utf-8", errors="replace")
    count = len(re.findall(COMBINING, text))
    return (f"{shown}: line {line}: {_where(None, row, column)}value {value!r} has decomposed "
            f"letters (Unicode NFD); read as composed (NFC) "
            f"{unicodedata.normalize('NFC', value)!r}"
            + (f" ({count} letters in all)" if count > 1 else ""))


def _structure(data: bytes, dialect: Dialect, header: list[str], shown: str, *,
               terminated: bool) -> pl.Series | None:
    """Check that every record has the header's fields, vectorised over the lines of the file.

    Returns the physical line of each data row when quoted line breaks move rows off their
    lines, else None."""
    delimiter = dialect.delimiter
    quote = f"\\x{{{ord(dialect.quotechar):x}}}"  # for the regex engine of polars
    text = data.decode("utf-8")
    lines = pl.Series([text[:-1]]).str.split("\n").explode().str.strip_suffix("\r")
    frame = pl.DataFrame({"text": lines}).with_row_index("line", offset=1)
    frame = frame.with_columns(
        odd=pl.col("text").str.count_matches(dialect.quotechar, literal=True) % 2)
    # A line that begins inside a quoted field continues the record of the line before.
    frame = frame.with_columns(
        start=(pl.col("odd").cum_sum() - pl.col("odd")) % 2 == 0)
    if frame["odd"].sum() % 2:
        opened = frame.filter(pl.col("odd") == 1)["line"][-1]
        raise UnreadableFile(
            f"{shown}: line {opened}: a quoted field opened here is never closed", line=opened,
            hint=f"close the quote ({dialect.quotechar} inside a quoted value is written twice), "
                 "or export the file again if it was cut off")
    multiline = not frame["start"].all()
    if multiline:
        records = frame.group_by(pl.col("start").cum_sum().alias("record"),
                                 maintain_order=True).agg(
            pl.col("line").first(), pl.col("text").str.join("\n"))
    else:
        records = frame.select("line", "text")
    records = records.with_row_index("row").with_columns(
        fields=pl.col("text").str.replace_all(f"{quote}[^{quote}]*{quote}", "")
        .str.count_matches(delimiter, literal=True) + 1)
    rows = records.slice(1)
    if rows.height == 0:
        raise UnreadableFile(f"{shown}: the file has a header but no data rows",
                             hint=NO_ROWS_HINT, line=1)
    expected = len(header)
    empty = rows.filter(pl.col("text") == "")
    if empty.height:
        raise UnreadableFile(
            f"{shown}: {_lines(empty)} {'is' if empty.height == 1 else 'are'} empty",
            hint="remove the empty line(s): a line holds one row", row=empty["row"][0],
            line=empty["line"][0])
    header_text = lines[0]
    repeated = rows.filter(pl.col("text") == header_text)
    if repeated.height:
        raise UnreadableFile(
            f"{shown}: {_lines(repeated)} repeat{'s' if repeated.height == 1 else ''} the header",
            hint="were two exports joined? remove the repeated header line(s)",
            row=repeated["row"][0], line=repeated["line"][0])
    ragged = rows.filter(pl.col("fields") != expected)
    if ragged.height:
        first = ragged.row(0, named=True)
        if (ragged.height == 1 and not terminated and first["line"] == rows["line"][-1]
                and first["fields"] < expected):
            raise UnreadableFile(
                f"{shown}: line {first['line']}, row {first['row']}: the file ends in the middle "
                f"of a row ({first['fields']} of {expected} fields, and no line break): it seems "
                "truncated", row=first["row"], line=first["line"],
                hint="copy or export the file again in full")
        more = f"; also {_lines(ragged.slice(1))}" if ragged.height > 1 else ""
        raise UnreadableFile(
            f"{shown}: line {first['line']}, row {first['row']}: {first['fields']} "
            f"field{'s' if first['fields'] != 1 else ''} where the header has {expected}{more}",
            row=first["row"], line=first["line"],
            hint=f"a {delimiter!r} inside a value must be quoted; check the export (delimiter, "
                 "quoting) and that line")
    return rows["line"] if multiline else None


def _lines(frame: pl.DataFrame, shown: int = 5) -> str:
    numbers = [str(n) for n in frame["line"].head(shown)]
    more = f" and {frame.height - shown} more" if frame.height > shown else ""
    return (f"line {numbers[0]}" if len(numbers) == 1 else
            f"lines {', '.join(numbers)}{more}")


def _diagnose(data: bytes, dialect: Dialect, shown: str) -> None:
    """Where polars refuses the text: find the record the csv module refuses, and say why.
    Only runs on a file that is already known to be broken, so it may loop over records."""
    q = dialect.quotechar
    csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(data.decode("utf-8").splitlines(keepends=True),
                        delimiter=dialect.delimiter, quotechar=dialect.quotechar, strict=True)
    records = 0
    try:
        for _ in reader:
            records += 1
    except csv.Error as exc:
        line = reader.line_num
        reason = str(exc)
        if "expected after" in reason:
            reason = (f"a closing {dialect.quotechar} must be followed by "
                      f"{dialect.delimiter!r} or the end of the line")
        raise UnreadableFile(f"{shown}: line {line}, row {records}: {reason}", line=line,
                             row=records or None,
                             hint=f"quote the whole value ({q}...{q}, with {q} inside it "
                                  "written twice)") from None
