"""Spreadsheet deliveries (coprod.sheets): every fixture is built here with openpyxl (.xlsx) or
odfpy (.ods), so that no binary file is committed.

openpyxl cannot calculate: a formula it writes has no cached value (`<f>A2*2</f><v />`), which is
what a file saved without recalculation holds. A formula *with* a cached value, and a formula whose
cached value is an error, are made by writing the value into the sheet's XML after saving
(`_patch`), as Excel itself writes them.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from odf.element import Element
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import CoveredTableCell, Table, TableCell, TableRow
from odf.text import P
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from coprod.read import UnreadableFile
from coprod.sheets import column_letters, read_sheet, sheet_reference

Rows = list[list[object]]
CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"


# --- fixtures --------------------------------------------------------------------------------


def write_xlsx(path: Path, sheets: dict[str, Rows],
               setup: Callable[[Worksheet], None] | None = None) -> Path:
    """A workbook with the sheets in order; ``setup`` formats or merges cells of the first."""
    book = Workbook()
    book.remove(book.active)
    for number, (name, rows) in enumerate(sheets.items()):
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if setup is not None and number == 0:
            setup(sheet)
    book.save(path)
    return path


def _patch(path: Path, old: str, new: str, part: str = "xl/worksheets/sheet1.xml") -> None:
    """Replace text in one part of a zipped file (an xlsx or ods)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts.items():
            if info.filename == part:
                # openpyxl writes an empty value as <v />, or as <v></v> where lxml is installed
                text = data.decode("utf-8").replace("<v></v>", "<v />")
                assert old in text, text
                data = text.replace(old, new).encode("utf-8")
            archive.writestr(info, data)


def _ods_cell(value: object) -> Element:
    if isinstance(value, Element):  # odfpy's TableCell() and the like are functions
        return value
    if value is None:
        return TableCell()
    if isinstance(value, bool):
        return TableCell(valuetype="boolean", booleanvalue=str(value).lower())
    if isinstance(value, int | float):
        return TableCell(valuetype="float", value=repr(value))
    if isinstance(value, dt.datetime | dt.date):
        return TableCell(valuetype="date", datevalue=value.isoformat())
    if isinstance(value, dt.time):
        return TableCell(valuetype="time",
                         timevalue=f"PT{value.hour:02d}H{value.minute:02d}M{value.second:02d}S")
    cell = TableCell(valuetype="string")
    cell.addElement(P(text=str(value)))
    return cell


def write_ods(path: Path, sheets: dict[str, list[list[object] | Element]]) -> Path:
    """An OpenDocument spreadsheet; a cell or a row may be given as odfpy's (a formula, a
    merge, repeated rows)."""
    document = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        for row in rows:
            if isinstance(row, Element):  # a row given as odfpy's (repeated rows)
                table.addElement(row)
                continue
            element = TableRow()
            for value in row:
                element.addElement(_ods_cell(value))
            table.addElement(element)
        document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def refused(path: Path, **options: object) -> UnreadableFile:
    with pytest.raises(UnreadableFile) as caught:
        read_sheet(path, path.name, **options)  # type: ignore[arg-type]
    return caught.value


HEADER = ["id", "code", "kommune", "weight", "small", "born", "answered", "start", "consent",
          "note", "mixed", "unused"]
ROWS: Rows = [
    [1, "0301", 301, 1.25, 1e-7, dt.date(2024, 3, 5), dt.datetime(2024, 3, 5, 10, 30),
     dt.time(10, 30), True, "  kept as typed ", "x", None],
    [2, "0042", 42, 0.1, 1e20, dt.date(1999, 12, 31), dt.datetime(2024, 3, 5, 23, 59, 59),
     dt.time(0, 0, 1), False, None, 7, None],
    [3, None, 5, -2.5, 1 / 3, None, None, None, None, "æøå", None, None],
]
EXPECTED = {
    "id": ["1", "2", "3"],
    "code": ["0301", "0042", None],  # leading zeros of text cells kept
    "kommune": ["301", "42", "5"],  # a number shown as 0301 is stored as 301: it stays "301"
    "weight": ["1.25", "0.1", "-2.5"],
    "small": ["0.0000001", "100000000000000000000", "0.3333333333333333"],
    "born": ["2024-03-05", "1999-12-31", None],
    "answered": ["2024-03-05T10:30:00", "2024-03-05T23:59:59", None],
    "start": ["10:30:00", "00:00:01", None],
    "consent": ["true", "false", None],
    "note": ["  kept as typed ", None, "æøå"],
    "mixed": ["x", "7", None],
    "unused": [None, None, None],
}
KINDS = {"id": "number", "code": "text", "kommune": "number", "weight": "number",
         "small": "number", "born": "date", "answered": "datetime", "start": "time",
         "consent": "bool", "note": "text", "mixed": "mixed", "unused": "empty"}


def _leading_zeros(sheet: Worksheet) -> None:
    for row in range(2, 5):
        sheet.cell(row=row, column=3).number_format = "0000"  # shows 0301, stores 301


# --- cells as text ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_every_cell_reads_as_the_text_a_person_sees(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    if suffix == ".xlsx":
        write_xlsx(path, {"Sheet1": [HEADER, *ROWS]}, _leading_zeros)
    else:
        write_ods(path, {"Sheet1": [HEADER, *ROWS]})
    sheet = read_sheet(path, path.name)
    assert sheet.name == "Sheet1" and sheet.header_row == 1 and sheet.warnings == ()
    assert sheet.frame.columns == HEADER
    assert sheet.frame.to_dict(as_series=False) == EXPECTED
    assert sheet.kinds == KINDS
    assert sheet.columns == dict(zip(HEADER, "ABCDEFGHIJKL", strict=True))
    assert sheet.cell(1, "id") == "Sheet1!A2"
    assert sheet.cell(3, "note") == "Sheet1!J4"
    assert read_sheet(path, path.name).frame.equals(sheet.frame)  # deterministic


def test_excel_dates_are_numbers_with_a_date_format(tmp_path: Path) -> None:
    """The fixture stores dates as Excel does (a day number, styled as a date), and they read
    as ISO dates; a date-time at midnight in a column of date-times reads as one."""
    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [
        ["born", "answered"],
        [dt.date(2024, 3, 5), dt.datetime(2024, 3, 5, 0, 0)],
        [dt.date(2024, 3, 6), dt.datetime(2024, 3, 6, 8, 15, 30)],
    ]})
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<c r="A2" s="\d+" t="n"><v>45356</v></c>', xml)
    sheet = read_sheet(path, "data.xlsx")
    assert sheet.frame.to_dict(as_series=False) == {
        "born": ["2024-03-05", "2024-03-06"],
        "answered": ["2024-03-05T00:00:00", "2024-03-06T08:15:30"]}
    assert sheet.kinds == {"born": "date", "answered": "datetime"}


def test_a_header_of_numbers_and_a_duration(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [[2018, "hours"],
                                                          [1, dt.timedelta(hours=30, minutes=5)]]})
    sheet = read_sheet(path, "data.xlsx")
    assert sheet.frame.to_dict(as_series=False) == {"2018": ["1"], "hours": ["30:05:00"]}
    assert sheet.kinds == {"2018": "number", "hours": "time"}


# --- formulas and errors ---------------------------------------------------------------------


def _formulas(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [
        ["x", "double", "label"], [2, "=A2*2", '=IF(A2>5,"big","")'], [3, 6, "small"]]})


def test_a_formula_reads_as_its_cached_value(tmp_path: Path) -> None:
    path = _formulas(tmp_path)
    # As Excel saves them: the number it calculated, and an empty text result (t="str").
    _patch(path, "<f>A2*2</f><v /></c>", "<f>A2*2</f><v>4</v></c>")
    _patch(path, '<c r="C2"><f>IF(A2&gt;5,"big","")</f><v /></c>',
           '<c r="C2" t="str"><f>IF(A2&gt;5,"big","")</f><v></v></c>')
    sheet = read_sheet(path, "data.xlsx")
    assert sheet.frame.to_dict(as_series=False) == {
        "x": ["2", "3"], "double": ["4", "6"], "label": [None, "small"]}


def test_a_formula_saved_without_its_value_is_refused(tmp_path: Path) -> None:
    path = _formulas(tmp_path)
    _patch(path, '<c r="C2"><f>IF(A2&gt;5,"big","")</f><v /></c>',
           '<c r="C2" t="str"><f>IF(A2&gt;5,"big","")</f><v></v></c>')
    error = refused(path)
    assert error.message == "data.xlsx: Sheet1!B2: a formula saved without its value"
    assert "let it calculate and save it" in (error.hint or "")
    assert (error.row, error.column) == (1, "double")


def test_an_error_value_is_refused_naming_the_cell(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [
        ["x", "ratio"], [2, "=A2/0"], [3, "#N/A"]]})  # openpyxl writes "#N/A" as an error
    _patch(path, "<c r=\"B2\"><f>A2/0</f><v /></c>",
           "<c r=\"B2\" t=\"e\"><f>A2/0</f><v>#DIV/0!</v></c>")
    error = refused(path)
    assert error.message == ("data.xlsx: Sheet1!B2: the cell holds the error #DIV/0! "
                             "(and 1 more cells)")
    assert (error.row, error.column, error.value) == (1, "ratio", "#DIV/0!")
    _patch(path, "<c r=\"B2\" t=\"e\"><f>A2/0</f><v>#DIV/0!</v></c>", "<c r=\"B2\"><v>1</v></c>")
    assert refused(path).message == "data.xlsx: Sheet1!B3: the cell holds the error #N/A"


def test_an_error_above_the_header_is_not_the_table(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [["#REF!"], ["id"], [1]]})
    assert read_sheet(path, "data.xlsx", header_row=2).frame["id"].to_list() == ["1"]


def test_ods_formulas_and_errors(tmp_path: Path) -> None:
    cached = TableCell(formula="of:=[.A2]*2", valuetype="float", value="4")
    path = write_ods(tmp_path / "data.ods", {"Sheet1": [["x", "double"], [2, cached]]})
    assert read_sheet(path, "data.ods").frame["double"].to_list() == ["4"]

    uncached = TableCell(formula="of:=[.A2]*2")
    path = write_ods(tmp_path / "data.ods", {"Sheet1": [["x", "double"], [2, uncached]]})
    assert refused(path).message == "data.ods: Sheet1!B2: a formula saved without its value"

    # As LibreOffice saves an error: an empty string value, the error as the cell's text.
    error = TableCell(formula="of:=[.A2]/0", valuetype="string", stringvalue="")
    error.setAttrNS(CALCEXT, "value-type", "error")
    error.addElement(P(text="#DIV/0!"))
    path = write_ods(tmp_path / "data.ods", {"Sheet1": [["x", "ratio"], [2, error]]})
    assert refused(path).message == "data.ods: Sheet1!B2: the cell holds the error #DIV/0!"


# --- merged cells ----------------------------------------------------------------------------


def test_a_merged_data_cell_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx",
                      {"Sheet1": [["id", "region"], [1, "Nord"], [2, None], [3, None]]},
                      lambda sheet: sheet.merge_cells("B2:B4"))
    error = refused(path)
    assert error.message == "data.xlsx: Sheet1!B2:B4 is a merged cell"
    assert error.hint == ("unmerge it and fill each cell: a merged range holds its value "
                          "('Nord') only in its first cell, Sheet1!B2")
    assert (error.row, error.value) == (1, "Nord")


def test_a_merged_header_cell_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx",
                      {"Sheet1": [["id", "answer", None], [1, "a", "b"]]},
                      lambda sheet: sheet.merge_cells("B1:C1"))
    assert refused(path).message == "data.xlsx: Sheet1!B1:C1 is a merged cell"


def test_a_merged_title_above_the_header_is_harmless(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx",
                      {"Sheet1": [["Municipal survey 2024", None], [None, None],
                                  ["id", "answer"], [1, "a"], [2, "b"]]},
                      lambda sheet: sheet.merge_cells("A1:B1"))
    sheet = read_sheet(path, "data.xlsx", header_row=3)
    assert sheet.frame.to_dict(as_series=False) == {"id": ["1", "2"], "answer": ["a", "b"]}


def test_a_merged_ods_cell_is_refused(tmp_path: Path) -> None:
    merged = TableCell(valuetype="string", numbercolumnsspanned=2, numberrowsspanned=1)
    merged.addElement(P(text="both"))
    path = write_ods(tmp_path / "data.ods", {"My sheet": [["id", "a", "b"],
                                                          [1, merged, CoveredTableCell()]]})
    assert refused(path).message == "data.ods: 'My sheet'!B2:C2 is a merged cell"
    # Below two empty rows written once (LibreOffice repeats a row rather than write it again).
    empty = TableRow(numberrowsrepeated=2)
    empty.addElement(TableCell(numbercolumnsrepeated=3))
    path = write_ods(tmp_path / "data.ods", {"My sheet": [empty, ["id", "a", "b"], [1, 2, 3],
                                                          [2, merged, CoveredTableCell()]]})
    error = refused(path, header_row=3)
    assert error.message == "data.ods: 'My sheet'!B5:C5 is a merged cell"
    assert error.row == 2


# --- where the table is ----------------------------------------------------------------------


def test_a_header_below_a_title(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [
        ["Survey of associations, 2024 extract"], [], ["id", "answer"], [1, "ja"], [2, "nej"]]})
    sheet = read_sheet(path, "data.xlsx", header_row=3)
    assert sheet.frame.to_dict(as_series=False) == {"id": ["1", "2"], "answer": ["ja", "nej"]}
    assert sheet.header_row == 3
    assert sheet.cell(1, "answer") == "Sheet1!B4"
    # Read from row 1, the title is the header, and the table's second column has no name.
    error = refused(path)
    assert error.message == "data.xlsx: Sheet1!B1: column 2 of the header has no name"
    assert error.hint == "name the column: it holds data (e.g. Sheet1!B3)"


def test_a_sheet_chosen_by_name_and_its_quoted_references(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx", {"Read me": [["Notes on the extract"]],
                                               "Data 2024": [["id", "q1"], [1, 5], [2, 4]]})
    assert read_sheet(path, "data.xlsx").name == "Read me"  # the first sheet by default
    sheet = read_sheet(path, "data.xlsx", "Data 2024")
    assert sheet.frame.to_dict(as_series=False) == {"id": ["1", "2"], "q1": ["5", "4"]}
    assert sheet.cell(2, "q1") == "'Data 2024'!B3"


def test_an_unknown_sheet_is_refused_naming_the_sheets(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx", {"Read me": [["x"]], "Data 2024": [["id"], [1]]})
    error = refused(path, sheet="Data")
    assert error.message == "data.xlsx: no sheet 'Data'; the sheets are 'Read me', 'Data 2024'"
    assert refused(path, sheet="data 2024").hint == (
        "the sheet is 'Data 2024': correct `sheet` in the codebook")


def test_an_empty_row_inside_the_table_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [
        ["id", "answer"], [1, "a"], [None, None], [3, "c"], [None, None], [5, "e"]]})
    error = refused(path)
    assert error.message == ("data.xlsx: Sheet1!A3:B3: row 3 is empty, inside the table (data "
                             "row 2; the table goes on to row 6); also row 5")
    assert error.row == 2
    assert "a table has no holes" in (error.hint or "")


def test_empty_rows_and_columns_after_the_table_are_ignored(tmp_path: Path) -> None:
    def format_around(sheet: Worksheet) -> None:  # formatted, never filled: not data
        sheet["E2"].number_format = "0.00"
        sheet["A9"].number_format = "0.00"

    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [["id", "answer"], [1, "a"], [2, None]]},
                      format_around)
    sheet = read_sheet(path, "data.xlsx")
    assert sheet.frame.to_dict(as_series=False) == {"id": ["1", "2"], "answer": ["a", None]}

    # In an .ods file, cells holding an empty text make calamine's area larger.
    path = write_ods(tmp_path / "data.ods", {"Sheet1": [
        ["id", "answer", ""], [1, "a", ""], [2, None, ""], ["", "", ""], ["", "", ""]]})
    sheet = read_sheet(path, "data.ods")
    assert sheet.frame.to_dict(as_series=False) == {"id": ["1", "2"], "answer": ["a", None]}


def test_a_table_that_does_not_start_in_column_a(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [[None, "id", "q"], [None, 1, 2]]})
    sheet = read_sheet(path, "data.xlsx")
    assert sheet.columns == {"id": "B", "q": "C"}
    assert sheet.cell(1, "q") == "Sheet1!C2"


def test_a_header_only_sheet_has_no_rows(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [["id", "answer"]]})
    sheet = read_sheet(path, "data.xlsx")
    assert sheet.frame.columns == ["id", "answer"] and sheet.frame.height == 0
    assert sheet.kinds == {"id": "empty", "answer": "empty"}


# --- the header ------------------------------------------------------------------------------


def test_a_column_of_data_without_a_name_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx",
                      {"Sheet1": [["id", "a", "b", None], [1, 2, 3, 4]]})
    error = refused(path)
    assert error.message == "data.xlsx: Sheet1!D1: column 4 of the header has no name"
    assert error.hint == "name the column: it holds data (e.g. Sheet1!D2)"


def test_an_empty_column_inside_the_table_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [["id", None, "b"], [1, None, 3]]})
    error = refused(path)
    assert error.message == "data.xlsx: Sheet1!B1: column 2 of the header has no name"
    assert "remove the empty column" in (error.hint or "")


def test_a_repeated_column_name_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [["id", "q1", "q1"], [1, 2, 3]]})
    error = refused(path)
    assert error.message == ("data.xlsx: Sheet1!C1: column 'q1' appears twice in the header "
                             "(columns B and C)")
    assert error.column == "q1"


# --- files that are not a table --------------------------------------------------------------


def test_an_empty_sheet_and_a_broken_file_are_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": []})
    assert refused(path).message == "data.xlsx: sheet 'Sheet1' is empty"
    path = write_xlsx(tmp_path / "data.xlsx", {"Sheet1": [["id"], [1]]})
    assert refused(path, header_row=5).message == (
        "data.xlsx: sheet 'Sheet1' has nothing from row 5 on")
    path.write_bytes(b"id;answer\n1;a\n")
    assert refused(path).message.startswith("data.xlsx: not a readable .xlsx spreadsheet (")
    csv = tmp_path / "data.csv"
    csv.write_text("id\n1\n")
    assert refused(csv).message.startswith("data.csv: not a spreadsheet coprod reads")


# --- references ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "reference"), [
    ("Sheet1", "Sheet1"), ("Blad1", "Blad1"), ("Data_2024", "Data_2024"), ("Svar.v2", "Svar.v2"),
    ("Kommuner", "Kommuner"), ("Æbler", "Æbler"), ("Rating", "Rating"), ("XFE1", "XFE1"),
    ("Kommune æøå", "'Kommune æøå'"), ("My sheet", "'My sheet'"), ("2024", "'2024'"),
    ("A1", "'A1'"), ("Ark1", "'Ark1'"),  # column ARK, row 1: Danish Excel's default name
    ("R1C1", "'R1C1'"), ("R2D2", "'R2D2'"), ("C3PO", "'C3PO'"), ("rc", "'rc'"),
    ("Bob's", "'Bob''s'"), ("a-b", "'a-b'"), (".hidden", "'.hidden'")])
def test_sheet_names_are_quoted_as_excel_quotes_them(name: str, reference: str) -> None:
    assert sheet_reference(name) == reference


def test_column_letters() -> None:
    assert [column_letters(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]
