"""Read one sheet of a spreadsheet delivery (.xlsx, .xlsm, .xls, .ods) as a table of text.

python-calamine reads the cells: cached values of formulas, booleans, text with its leading
zeros, and dates as dates (Excel stores a date as a number with a date format: calamine knows it
by that format, and makes it a date, a date-time or a time by the number's whole and fractional
parts). Every cell is then written as text the way a person reads it in the sheet, so that
validation reports the value as it stands there, as it does for a CSV file: 1.0 is "1", a date is
"2024-03-05", a boolean "true". A number formatted with leading zeros (0301 shown, 301 stored)
cannot be recovered: it stays "301" and the validator reports it.

A sheet is read as one table: its header on a given row, data below it, no holes. What a
spreadsheet allows but a table cannot hold is refused naming the cell: a merged range (it holds
its value only in its first cell), an error value (#DIV/0!), a formula saved without its value, an
empty or repeated column name, an empty row inside the table.

calamine reads an error value and a formula without a cached value as an empty cell, and does not
give merged ranges of .ods files: those are found in the file's XML (xlsx, ods) by the standard
library's streaming parser (expat), only when a cheap scan of the bytes shows a formula, an error
or (ods) a merged cell at all. An .xls file cannot be scanned so: its errors read as empty (a
warning says so where the table has empty cells).
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO
from xml.etree import ElementTree
from xml.parsers import expat

import polars as pl
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from .read import UnreadableFile

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
ERROR_HINT = ("correct the formula (or the data it uses) so that the cell holds a value, or "
              "enter the value; a blank answer is an empty cell or the codebook's missing code")

Cell = tuple[int, int]  # 0-based sheet row and column
Range = tuple[Cell, Cell]  # first and last cell of a merged range


@dataclass(frozen=True)
class Sheet:
    """A sheet read as a table: every cell as text, and what is needed to name a cell."""

    frame: pl.DataFrame  # one String column per header cell; None for an empty cell
    name: str  # the sheet's name
    header_row: int  # 1-based sheet row of the header; data row N is sheet row header_row + N
    columns: dict[str, str] = field(default_factory=dict)  # column name -> its letters ("C")
    # column name -> what its cells hold as stored: number, date, datetime, time, text, bool,
    # mixed (several of those) or empty
    kinds: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def cell(self, row: int, column: str) -> str:
        """The reference of a 1-based data row's cell in a column, e.g. "'My sheet'!C17"."""
        return f"{sheet_reference(self.name)}!{self.columns[column]}{self.header_row + row}"


def read_sheet(path: Path, shown: str, sheet: str | None = None, header_row: int = 1) -> Sheet:
    """A sheet (the first unless named) of the spreadsheet at ``path`` as a table whose header
    is on sheet row ``header_row``; ``shown`` is the file's name in messages.

    Raises UnreadableFile naming the cell for what a table cannot hold (see the module's text).
    """
    if header_row < 1:
        raise ValueError(f"header_row must be 1 or more, not {header_row}")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UnreadableFile(f"{shown}: not a spreadsheet coprod reads ({', '.join(SUFFIXES)})",
                             hint="save it as .xlsx or .ods, or check `format` in the codebook")
    name, rows, merged = _load(path, shown, sheet, suffix)
    quoted = sheet_reference(name)
    top = header_row - 1
    columns = list(zip(*rows[top:], strict=True))  # each column from the header row down
    used = [j for j, column in enumerate(columns) if column.count("") != len(column)]
    if not used:
        raise UnreadableFile(
            f"{shown}: sheet {name!r} has nothing from row {header_row} on" if rows else
            f"{shown}: sheet {name!r} is empty",
            hint="check `sheet` and `header_row` in the codebook, or export the data again")
    first, last = used[0], used[-1]
    table = columns[first:last + 1]
    # Rows after the last one holding anything are not part of the table.
    bottom = max(len(column) - next((i for i, v in enumerate(reversed(column)) if v != ""),
                                    len(column))
                 for column in table)
    table = [column[:bottom] for column in table]

    found, warnings = _scan(path, shown, name, suffix, merged)
    area = ((top, first), (top + bottom - 1, last))
    _refuse_merged(shown, name, found.merged, area, rows)
    _refuse_errors(shown, quoted, found.errors, top, first, table)

    names = _header(shown, quoted, top, first, table)
    texts, kinds = {}, {}
    for name_, column in zip(names, table, strict=True):
        texts[name_], kinds[name_] = _column(column[1:])
    frame = pl.DataFrame(texts, schema=dict.fromkeys(names, pl.String))
    _refuse_empty_rows(shown, quoted, frame, top, first, last)
    if suffix == ".xls" and frame.null_count().sum_horizontal().item():
        warnings.append(f"{shown}: an .xls file's error values (#DIV/0!, #N/A) read as empty "
                        f"cells, so the empty cells of sheet {name!r} may hide some; save it "
                        "as .xlsx to have them checked")
    letters = {n: column_letters(first + j) for j, n in enumerate(names)}
    return Sheet(frame, name, header_row, letters, kinds, tuple(warnings))


# --- references ------------------------------------------------------------------------------


def column_letters(index: int) -> str:
    """The letters of a 0-based column index: 0 -> "A", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_index(reference: str) -> int:
    """The 0-based column of a cell reference such as "AB12"."""
    index = 0
    for char in reference:
        if not char.isalpha():
            break
        index = index * 26 + ord(char.upper()) - ord("A") + 1
    return index - 1


def sheet_reference(name: str) -> str:
    """A sheet's name as a cell reference writes it: quoted as Excel quotes it (the rules of
    XlsxWriter's quote_sheetname) when it holds anything but letters, digits, "_" and ".",
    starts with a digit or ".", or reads as a cell ("A1", "R1C1", "C3PO")."""
    upper = name.upper()
    cell = re.fullmatch(r"([A-Z]{1,3})(\d+)", upper)
    row = re.match(r"R(\d+)", upper)
    column = re.match(r"R?C(\d+)", upper)
    quoted = (
        re.fullmatch(r"[^\W\d][\w.]*", name) is None  # also a leading digit or "."
        or (cell is not None and _column_index(cell[1]) < 16_384
            and 1 <= int(cell[2]) <= 1_048_576)
        or (row is not None and 1 <= int(row[1]) <= 1_048_576)
        or (row is None and column is not None and 1 <= int(column[1]) <= 16_384)
        or upper in ("R", "C", "RC"))
    return "'" + name.replace("'", "''") + "'" if quoted else name


def _cell(quoted: str, row: int, column: int) -> str:
    return f"{quoted}!{column_letters(column)}{row + 1}"


def _span(quoted: str, cells: Range) -> str:
    (top, left), (bottom, right) = cells
    end = f":{column_letters(right)}{bottom + 1}" if (top, left) != (bottom, right) else ""
    return _cell(quoted, top, left) + end


# --- reading ---------------------------------------------------------------------------------


def _load(path: Path, shown: str, sheet: str | None,
          suffix: str) -> tuple[str, list[list[object]], list[Range] | None]:
    """The sheet's name, its cells from A1 (calamine's values, "" for an empty cell) and its
    merged ranges where calamine gives them (xlsx, xls)."""
    try:
        with CalamineWorkbook.from_path(str(path)) as book:
            names = list(book.sheet_names)
            if not names:
                raise UnreadableFile(f"{shown}: the workbook has no sheets",
                                     hint="export the data again")
            if sheet is None:
                name = names[0]
            elif sheet in names:
                name = sheet
            else:
                alike = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
                raise UnreadableFile(
                    f"{shown}: no sheet {sheet!r}; the sheets are "
                    f"{', '.join(repr(n) for n in names)}",
                    hint=(f"the sheet is {alike[0]!r}: correct `sheet` in the codebook" if alike
                          else "correct `sheet` in the codebook, or leave it out for the first "
                               "sheet"), value=sheet)
            found = book.get_sheet_by_name(name)
            rows = found.to_python(skip_empty_area=False)
            merged = found.merged_cell_ranges
    except PasswordError:
        raise UnreadableFile(f"{shown}: the workbook is protected by a password",
                             hint="save a copy without the password") from None
    except (CalamineError, OSError, ValueError) as exc:  # calamine's errors for a broken file
        raise UnreadableFile(f"{shown}: not a readable {suffix} spreadsheet ({exc})",
                             hint=f"open it in a spreadsheet program and save it as {suffix} "
                                  "again; check `format` in the codebook") from None
    return name, rows, ([(tuple(a), tuple(b)) for a, b in merged]  # type: ignore[misc]
                        if merged is not None else None)


# --- cells as text ---------------------------------------------------------------------------


def _number(value: float) -> str:
    """A float as a person reads it: integers without ".0", others in the shortest form that
    reads back as the same float, never with an exponent."""
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # also -0.0 -> "0"
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text else text


def _datetime(value: dt.datetime) -> str:
    # Seconds always, as a person reads a timestamp; fractions only where the cell has them.
    return value.isoformat(timespec=_timespec(value.microsecond))


def _time(value: dt.time) -> str:
    return value.isoformat(timespec=_timespec(value.microsecond))


def _timespec(microsecond: int) -> str:
    return ("seconds" if not microsecond else
            "milliseconds" if microsecond % 1000 == 0 else "microseconds")


def _duration(value: dt.timedelta) -> str:
    """A duration ([h]:mm:ss in Excel) as hours, minutes and seconds: "30:05:00"."""
    sign, value = ("-", -value) if value < dt.timedelta(0) else ("", value)
    minutes, seconds = divmod(value.seconds, 60)
    hours = value.days * 24 + minutes // 60
    fraction = f".{value.microseconds:06d}".rstrip("0") if value.microseconds else ""
    return f"{sign}{hours:02d}:{minutes % 60:02d}:{seconds:02d}{fraction}"


FORMATS: dict[type, Callable[[object], str]] = {
    float: _number,  # type: ignore[dict-item]
    int: str,
    bool: lambda value: "true" if value else "false",
    dt.date: dt.date.isoformat,  # type: ignore[dict-item]
    dt.datetime: _datetime,  # type: ignore[dict-item]
    dt.time: _time,  # type: ignore[dict-item]
    dt.timedelta: _duration,  # type: ignore[dict-item]
}
KINDS = {str: "text", float: "number", int: "number", bool: "bool", dt.date: "date",
         dt.datetime: "datetime", dt.time: "time", dt.timedelta: "time"}


def _text(value: object) -> str | None:
    if type(value) is str:
        return value or None
    return FORMATS[type(value)](value)


def _whole_numbers(cells: tuple[object, ...]) -> list[str | None] | None:
    """A column of whole numbers and empty cells (codes, counts) as text, vectorised; None if
    it holds anything else."""
    floats = [v if type(v) is float else None for v in cells]
    if floats.count(None) != cells.count(""):
        return None
    series = pl.Series(floats, dtype=pl.Float64)
    if not ((series == series.floor()) & (series.abs() < 2**53)).fill_null(True).all():
        return None
    return series.cast(pl.Int64).cast(pl.String).to_list()


def _column(cells: tuple[object, ...]) -> tuple[list[str | None], str]:
    """A column's data cells as text, and their kind."""
    types = set(map(type, cells))
    if float in types and types <= {float, str} and (whole := _whole_numbers(cells)) is not None:
        return whole, "number"
    if types == {str}:
        texts = [v or None for v in cells]  # type: ignore[misc]
    elif dt.date in types and dt.datetime in types:
        # calamine types a date-time cell at midnight as a date: in a column of date-times it is
        # one, as its format shows it.
        texts = [f"{v.isoformat()}T00:00:00" if type(v) is dt.date else _text(v) for v in cells]
        types.discard(dt.date)
    else:
        texts = [_text(v) for v in cells]
    if str in types and cells.count("") == sum(type(v) is str for v in cells):
        types.discard(str)  # only empty cells
    kinds = {KINDS[t] for t in types}
    kind = "empty" if not kinds else kinds.pop() if len(kinds) == 1 else "mixed"
    return texts, kind


# --- checks ----------------------------------------------------------------------------------


def _header(shown: str, quoted: str, top: int, first: int,
            table: list[tuple[object, ...]]) -> list[str]:
    """The column names: one for each column of the table, each once."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for j, column in enumerate(table):
        name = _text(column[0])
        where = _cell(quoted, top, first + j)
        if name is None or not name.strip():
            holds = next((i for i, v in enumerate(column) if i and v != ""), None)
            example = _cell(quoted, top + holds, first + j) if holds is not None else ""
            raise UnreadableFile(
                f"{shown}: {where}: column {j + 1} of the header has no name",
                hint=(f"name the column: it holds data (e.g. {example})" if example else
                      "remove the empty column: a table has no empty columns (were two tables "
                      "put side by side?)"), row=None, value=name)
        if name in seen:
            raise UnreadableFile(
                f"{shown}: {where}: column {name!r} appears twice in the header (columns "
                f"{column_letters(first + seen[name])} and {column_letters(first + j)})",
                column=name, value=name,
                hint="each column must appear once: rename the one that was meant to be another "
                     "variable, or remove the duplicate")
        seen[name] = j
        names.append(name)
    return names


def _refuse_merged(shown: str, name: str, merged: list[Range], area: Range,
                   rows: list[list[object]]) -> None:
    """A merged range inside the table: its value is in its first cell only, the others read
    as empty. A merged title above the table is harmless."""
    (top, left), (bottom, right) = area
    inside = sorted(r for r in merged
                    if r[0][0] <= bottom and r[1][0] >= top and r[0][1] <= right
                    and r[1][1] >= left)
    if not inside:
        return
    quoted = sheet_reference(name)
    (row, column), _ = inside[0]
    value = rows[row][column] if row < len(rows) and column < len(rows[row]) else ""
    more = (f" (and {len(inside) - 1} more: {', '.join(_span(quoted, r) for r in inside[1:4])}"
            f"{', ...' if len(inside) > 4 else ''})") if len(inside) > 1 else ""
    raise UnreadableFile(
        f"{shown}: {_span(quoted, inside[0])} is a merged cell{more}",
        hint=f"unmerge it and fill each cell: a merged range holds its value "
             f"({_text(value)!r}) only in its first cell, {_cell(quoted, row, column)}",
        row=row - top if row > top else None, value=_text(value))


def _refuse_errors(shown: str, quoted: str, errors: dict[Cell, str | None], top: int,
                   first: int, table: list[tuple[object, ...]]) -> None:
    """An error value, or a formula without a value, at or below the header row."""
    found = sorted(cell for cell in errors if cell[0] >= top)
    if not found:
        return
    row, column = found[0]
    error = errors[found[0]]
    j = column - first
    header = _text(table[j][0]) if 0 <= j < len(table) else None
    more = f" (and {len(found) - 1} more cells)" if len(found) > 1 else ""
    where = _cell(quoted, row, column)
    if error is None:
        raise UnreadableFile(
            f"{shown}: {where}: a formula saved without its value{more}",
            hint="open the file in a spreadsheet program, let it calculate and save it (a file "
                 "written by a program may hold formulas that were never calculated)",
            row=row - top or None, column=header)
    raise UnreadableFile(f"{shown}: {where}: the cell holds the error {error}{more}",
                         hint=ERROR_HINT, row=row - top or None, column=header, value=error)


def _refuse_empty_rows(shown: str, quoted: str, frame: pl.DataFrame, top: int, first: int,
                       last: int) -> None:
    """An empty row inside the table (the rows after the table were cut off already)."""
    if not frame.width or not frame.height:
        return
    empty = frame.select(pl.all_horizontal(pl.all().is_null()).arg_true())
    indexes = empty.to_series().to_list()
    if not indexes:
        return
    row = indexes[0] + 1  # data row
    sheet_row = top + 1 + row
    others = [str(top + 2 + i) for i in indexes[1:6]]
    more = (f"; also row{'s' if len(indexes) > 2 else ''} {', '.join(others)}"
            f"{' and more' if len(indexes) > 6 else ''}") if others else ""
    raise UnreadableFile(
        f"{shown}: {quoted}!{column_letters(first)}{sheet_row}:{column_letters(last)}{sheet_row}: "
        f"row {sheet_row} is empty, inside the table (data row {row}; the table goes on to row "
        f"{top + 1 + frame.height}){more}",
        hint="remove the empty row: a table has no holes (were two tables put on one sheet? "
             "keep one table a sheet)", row=row)


# --- what calamine does not tell: errors, formulas without values, merged cells of .ods -------


@dataclass(frozen=True)
class _Found:
    merged: list[Range]
    errors: dict[Cell, str | None]  # an error's text, or None: a formula without a value


def _scan(path: Path, shown: str, name: str, suffix: str,
          merged: list[Range] | None) -> tuple[_Found, list[str]]:
    """Merged ranges, error values and formulas without a value that calamine does not give."""
    warnings: list[str] = []
    errors: dict[Cell, str | None] = {}
    if suffix == ".xls":  # a binary file: merged ranges from calamine, errors unknown
        return _Found(merged or [], errors), warnings
    try:
        with zipfile.ZipFile(path) as archive:
            if suffix == ".ods":
                return _scan_ods(archive, name), warnings
            part = _xlsx_part(archive, name)
            if part is not None and _mentions(archive, part, XLSX_MARKS):
                with archive.open(part) as stream:
                    errors = _XlsxCells().read(stream).errors
            elif part is None:
                warnings.append(f"{shown}: sheet {name!r} could not be found in the file's "
                                "parts, so it was not checked for error values (#DIV/0!)")
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, expat.ExpatError,
            ValueError) as exc:
        raise UnreadableFile(f"{shown}: the spreadsheet's XML cannot be read ({exc})",
                             hint=f"open it in a spreadsheet program and save it as {suffix} "
                                  "again") from None
    return _Found(merged or [], errors), warnings


# What a formula, an error value or (ods) a merged cell is written with. Plain substrings: a
# search for them is many times quicker than a regular expression's. "<f" also finds a few
# elements outside the cells (<filterColumn>), which costs a needless parse, nothing more.
XLSX_MARKS = (b"<f", b":f>", b":f ", b":f/", b't="e"', b"t='e'")
ODS_MARKS = (b"table:formula=", b"-spanned=", b'value-type="error"')
CHUNK = 1 << 22


def _mentions(archive: zipfile.ZipFile, part: str, marks: tuple[bytes, ...]) -> bool:
    """Whether a part of the file holds one of the marks, read in chunks (a sheet of a million
    cells is some hundred MB of XML)."""
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            window = tail + chunk
            if any(mark in window for mark in marks):
                return True
            tail = chunk[-32:]
    return False


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _xlsx_part(archive: zipfile.ZipFile, name: str) -> str | None:
    """The path in the archive of a sheet's XML, through the workbook and its relationships."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:  # parts named otherwise than Excel names them: calamine found them
        return None
    rid = next((value for sheet in book.iter() if _local(sheet.tag) == "sheet"
                and sheet.get("name") == name
                for key, value in sheet.attrib.items() if _local(key) == "id"), None)
    target = next((r.get("Target") for r in relations.iter() if r.get("Id") == rid), None)
    if rid is None or target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(
        posixpath.join("xl", target))


class _Cells:
    """Reads a sheet's XML through expat's callbacks, which is some times quicker than building
    an element for each of a million cells: only the cells that calamine cannot tell are kept.
    A cell's text, where it matters, is gathered until the next element starts."""

    def __init__(self) -> None:
        self.found: dict[Cell, str | None] = {}
        self.merged: list[Range] = []
        self.text: list[str] | None = None
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start

    def read(self, stream: IO[bytes]) -> _Found:
        self.parser.ParseFile(stream)
        self.settle()
        return _Found(self.merged, self.found)

    def gather(self) -> None:
        self.text = []
        self.parser.CharacterDataHandler = self.text.append

    def gathered(self) -> str:
        text, self.text = "".join(self.text or ()).strip(), None
        self.parser.CharacterDataHandler = None
        return text

    def start(self, name: str, attributes: dict[str, str]) -> None:
        raise NotImplementedError

    def settle(self) -> None:
        raise NotImplementedError


class _XlsxCells(_Cells):
    """Error values (t="e") and formulas without a cached value in a worksheet's XML."""

    def __init__(self) -> None:
        super().__init__()
        self.local: dict[str, str] = {}  # element names without a namespace prefix
        self.row = -1
        self.base: str | None = None  # the row's last cell reference, and cells since it
        self.since = 0
        self.kind = "n"
        self.formula = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = self.local.get(name) or self.local.setdefault(name, name.rpartition(":")[2])
        if local == "c":
            self.settle()
            reference = attributes.get("r")  # optional: a cell without one follows the last
            if reference:
                self.base, self.since = reference, 0
            else:
                self.since += 1
            self.kind = attributes.get("t", "n")
        elif local == "f":
            self.formula = True
        elif local == "v" and (self.formula or self.kind == "e"):
            self.gather()
        elif local == "row":
            self.settle()
            number = attributes.get("r")
            self.row = int(number) - 1 if number else self.row + 1
            self.base, self.since = None, 0

    def settle(self) -> None:
        if not (self.formula or self.kind == "e"):
            return
        value = self.gathered()
        column = (_column_index(self.base) if self.base else -1) + self.since
        if self.kind == "e":
            self.found[(self.row, column)] = value or "#VALUE!"
        elif not value and self.kind not in ("str", "s", "inlineStr"):
            # A text result may be empty (=IF(A1="";"";A1)), a number or a boolean not.
            self.found[(self.row, column)] = None
        self.formula, self.kind = False, "n"


# calamine reads .ods files by these prefixes, as LibreOffice writes them.
CELLS = ("table:table-cell", "table:covered-table-cell")
VALUES = ("office:value", "office:date-value", "office:time-value", "office:boolean-value",
          "office:string-value")
ERROR_TEXT = re.compile(r"#[A-Z0-9/!?_]+[!?A]|Err:\d+")  # #DIV/0!, #N/A, #NAME?, Err:502


class _OdsCells(_Cells):
    """Merged ranges, error values and formulas without a value of one table of an .ods
    file's content.xml."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.parser.EndElementHandler = self.end
        self.name = name
        self.depth = 0  # a table inside a cell is not the sheet's
        self.mine = False
        self.row = self.next_row = self.column = 0
        self.pending: tuple[Cell, str] | None = None  # a cell whose text decides, and how

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if name == "table:table":
            self.settle()
            self.depth += 1
            if self.depth == 1:
                self.mine, self.next_row = attributes.get("table:name") == self.name, 0
            return
        if not self.mine or self.depth != 1:
            return
        if name == "table:table-row":
            self.settle()
            self.row = self.next_row
            self.next_row += int(attributes.get("table:number-rows-repeated", "1"))
            self.column = 0
        elif name in CELLS:
            self.settle()
            cell = (self.row, self.column)
            self.column += int(attributes.get("table:number-columns-repeated", "1"))
            across = int(attributes.get("table:number-columns-spanned", "1"))
            down = int(attributes.get("table:number-rows-spanned", "1"))
            if across > 1 or down > 1:
                self.merged.append((cell, (cell[0] + down - 1, cell[1] + across - 1)))
            if "table:formula" not in attributes:
                return
            if any(k.endswith(":value-type") and v == "error" for k, v in attributes.items()):
                self.pending = (cell, "error")  # LibreOffice's calcext:value-type
            elif attributes.get("office:string-value") == "":
                self.pending = (cell, "text")  # an error written as text, or an empty text
            elif not any(a in attributes for a in VALUES):
                self.pending = (cell, "none")
            if self.pending is not None:
                self.gather()

    def end(self, name: str) -> None:
        if name == "table:table":
            self.settle()
            self.depth -= 1
            if self.depth == 0:
                self.mine = False

    def settle(self) -> None:
        if self.pending is None:
            return
        (cell, how), self.pending = self.pending, None
        text = self.gathered()
        if how == "error" or (how == "text" and ERROR_TEXT.fullmatch(text)):
            self.found[cell] = text or "#VALUE!"
        elif how == "none" and not text:
            self.found[cell] = None


def _scan_ods(archive: zipfile.ZipFile, name: str) -> _Found:
    """Merged ranges, error values and formulas without a value of one table of an .ods file."""
    if not _mentions(archive, "content.xml", ODS_MARKS):
        return _Found([], {})
    with archive.open("content.xml") as stream:
        return _OdsCells(name).read(stream)
