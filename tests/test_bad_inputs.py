"""A catalogue of bad inputs made from the shipped demo package (issue 6).

Each case breaks a fresh copy of the demo package that has been built once, runs `coprod build`
(or another command) through Click's runner, and checks what DESIGN §5 and §6 promise: the
documented exit code, one clear message naming file, line or row, column and value and saying
what to do, no traceback, and nothing written (processed/, datapackage.json and build/site/ are
byte-identical to before). Data cases are also run through `coprod validate SOURCE --format json`,
whose report must list the problem for that source.
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import shutil
import signal
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import polars as pl
import pyreadstat
import pytest
import yaml
from click.testing import CliRunner

from conftest import PACKAGE_ROOT, copy_package, published
from coprod.cli import main

NO = "no-institutions-2018"
# the line of the shipped codebook's first variable's `type:` (YAML reports a tab there)
_NO_TAB_LINE = (PACKAGE_ROOT / "schemas" / "sources" / f"{NO}.yaml").read_text(
    encoding="utf-8").splitlines().index("  løpenr:") + 2
NO_FILE = "raw/no/no_virksomheter_2018.csv"
NO_ASSOC = "no-associations-2018"
NO_ASSOC_FILE = "raw/no/no_organisasjoner_2018.csv"
DK = "dk-institutions-2018"
DK_FILE = "raw/dk/dk_institutioner_2018.sav"
DK_ASSOC = "dk-associations-2018"
DK_ASSOC_FILE = "raw/dk/dk_foreninger_2018.sav"
NO_REFERENCE = "reference/no_kommuner_2018.csv"
TABLE_FILE = "schemas/harmonized/institutions.yaml"
JOURNAL = "build/.publish-journal.json"

# --- how to break the demo package ------------------------------------------------------------

Break = Callable[[Path], None]


def _codebook_path(root: Path, source_id: str) -> Path:
    return root / "schemas" / "sources" / f"{source_id}.yaml"


def edit_codebook(source_id: str, change: Callable[[dict], None]) -> Break:
    def run(root: Path) -> None:
        path = _codebook_path(root, source_id)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return run


def edit_codebook_text(source_id: str, change: Callable[[str], str]) -> Break:
    def run(root: Path) -> None:
        path = _codebook_path(root, source_id)
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return run


def edit_package(change: Callable[[dict], None]) -> Break:
    def run(root: Path) -> None:
        path = root / "schemas" / "package.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return run


def read_lines(root: Path, file: str = NO_FILE) -> list[str]:
    """The lines of a Norwegian demo file (cp1252, CRLF); the last one is empty."""
    return (root / file).read_bytes().decode("cp1252").split("\r\n")


def write_lines(root: Path, lines: list[str], file: str = NO_FILE, encoding: str = "cp1252",
                ) -> None:
    (root / file).write_bytes("\r\n".join(lines).encode(encoding))


def edit_lines(change: Callable[[list[str]], list[str] | None], file: str = NO_FILE,
               encoding: str = "cp1252") -> Break:
    def run(root: Path) -> None:
        lines = read_lines(root, file)
        write_lines(root, change(lines) or lines, file, encoding)
    return run


def set_cell(line: int, column: str, value: str, file: str = NO_FILE) -> Break:
    """Set one cell of a physical line of an unquoted row."""
    def change(lines: list[str]) -> None:
        names = lines[0].split(";")
        cells = lines[line - 1].split(";")
        assert len(cells) == len(names), "pick a line without quoted fields"
        cells[names.index(column)] = value
        lines[line - 1] = ";".join(cells)
    return edit_lines(change, file)


def edit_bytes(change: Callable[[bytes], bytes], file: str = NO_FILE) -> Break:
    def run(root: Path) -> None:
        path = root / file
        path.write_bytes(change(path.read_bytes()))
    return run


def as_utf8(source_id: str = NO, file: str = NO_FILE,
            change: Callable[[str], str] = lambda text: text) -> Break:
    """Re-save a Norwegian file as UTF-8 and declare it so: valid, until `change` breaks it."""
    def run(root: Path) -> None:
        path = root / file
        path.write_bytes(change(path.read_bytes().decode("cp1252")).encode("utf-8"))
        edit_codebook(source_id, lambda d: d["dialect"].update(encoding="utf-8"))(root)
    return run


def columns(change: Callable[[list[list[str]]], None], file: str = NO_FILE) -> Break:
    """Edit the file as a table of cells (lines with quoted fields are split with them)."""
    import csv
    import io

    def run(root: Path) -> None:
        text = (root / file).read_bytes().decode("cp1252")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
        change(rows)
        out = io.StringIO(newline="")
        csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
        (root / file).write_bytes(out.getvalue().encode("cp1252"))
    return run


def sav(change: Callable[[pl.DataFrame, dict], pl.DataFrame | None],
        file: str = DK_FILE) -> Break:
    """Read a Danish demo .sav, change its frame (and its value labels, in place), write it back
    with its variable labels and user-missing codes."""
    def run(root: Path) -> None:
        path = root / file
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True, output_format="polars")
        labels = {k: dict(v) for k, v in meta.variable_value_labels.items()}
        frame = change(frame, labels)
        if frame is None:
            raise AssertionError("return the changed frame")
        pyreadstat.write_sav(
            frame, str(path),
            column_labels={c: meta.column_names_to_labels.get(c) or c for c in frame.columns},
            variable_value_labels={k: v for k, v in labels.items() if k in frame.columns},
            missing_ranges={k: v for k, v in meta.missing_ranges.items() if k in frame.columns})
    return run


def set_sav(column: str, index: int, value: float, file: str = DK_FILE) -> Break:
    return sav(lambda f, _: f.with_columns(
        pl.when(pl.int_range(pl.len()) == index).then(pl.lit(value, pl.Float64))
        .otherwise(pl.col(column)).alias(column)), file)


def both(*steps: Break) -> Break:
    def run(root: Path) -> None:
        for step in steps:
            step(root)
    return run


def _relabel(column: str, labels: dict) -> Callable[[pl.DataFrame, dict], pl.DataFrame]:
    def change(frame: pl.DataFrame, all_labels: dict) -> pl.DataFrame:
        all_labels[column] = labels
        return frame
    return change


def _label_and_use(column: str, code: float, label: str):  # noqa: ANN202
    def change(frame: pl.DataFrame, labels: dict) -> pl.DataFrame:
        labels.setdefault(column, {})[code] = label
        return frame.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(code)
                                  .otherwise(pl.col(column)).alias(column))
    return change


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _add_date_column(lines: list[str]) -> None:
    """A codebook variant with a date column: the answer date of each questionnaire."""
    lines[0] += ";svardato"
    for i in range(1, len(lines) - 1):
        lines[i] += ";2018-05-0" + str(1 + i % 9)
    lines[5] = lines[5].rsplit(";", 1)[0] + ";2018-02-30"


def _declare_date(data: dict) -> None:
    data["variables"]["svardato"] = {"type": "date", "label": "Svardato"}


def _symlink_outside(root: Path) -> None:
    outside = root.parent / "outside.csv"
    shutil.copy(root / NO_FILE, outside)
    (root / NO_FILE).unlink()
    os.symlink(outside, root / NO_FILE)


def _quoted_newline_then_error(lines: list[str]) -> None:
    # Row 6 (line 7) gets a comment over two lines; row 19 (line 20, now 21) a bad code.
    cells = lines[6].split(";")
    cells[15] = '"Vi samarbeider godt\r\nmed idrettslaget."'
    lines[6] = ";".join(cells)
    cells = lines[19].split(";")
    cells[2] = "13"
    lines[19] = ";".join(cells)


def _drop_column(name: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        index = rows[0].index(name)
        for row in rows:
            del row[index]
    return change


def _add_column(rows: list[list[str]]) -> None:
    rows[0].append("ekstra")
    for row in rows[1:]:
        row.append("1")


def _wrong_delimiter(delimiter: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        import csv
        import io

        out = io.StringIO(newline="")
        csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        rows[:] = [[line] for line in out.getvalue().split("\r\n")[:-1]]
    return change


def _rename_header(old: str, new: str) -> Callable[[list[str]], None]:
    def change(lines: list[str]) -> None:
        names = lines[0].split(";")
        names[names.index(old)] = new
        lines[0] = ";".join(names)
    return change


def edit_table(change: Callable[[dict], None], file: str = TABLE_FILE) -> Break:
    """Edit a harmonized codebook (the institutions table's, by default)."""
    def run(root: Path) -> None:
        path = root / file
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return run


def english_label(variable: str, text: str) -> Break:
    """A harmonized variable's English label, as a steward might paste it in."""
    return edit_table(lambda d: d["variables"][variable]["label"].update(en=text))


def write_file(relative: str, data: bytes | str) -> Break:
    def run(root: Path) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return run


def copy_file(source: str, target: str) -> Break:
    return lambda root: shutil.copy(root / source, root / target)


def folder_instead(relative: str) -> Break:
    """A folder where a file is expected."""
    def run(root: Path) -> None:
        path = root / relative
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        path.mkdir(parents=True)
    return run


def file_instead(relative: str) -> Break:
    """A file where a folder is expected."""
    def run(root: Path) -> None:
        shutil.rmtree(root / relative, ignore_errors=True)
        (root / relative).write_text("not a folder", encoding="utf-8")
    return run


def journal(record: Callable[[Path], object]) -> Break:
    """A publication journal that no coprod run wrote (committed by mistake, or crafted)."""
    def run(root: Path) -> None:
        (root / JOURNAL).write_text(json.dumps(record(root)), encoding="utf-8")
    return run


# A change that makes every output new: the build then runs each stage and publishes.
NEW_VERSION = edit_package(lambda d: d.update(version="9.9.9"))


def _site_elsewhere(root: Path) -> None:
    elsewhere = root.parent / "site-elsewhere"
    shutil.move(root / "build" / "site", elsewhere)
    (root / "build" / "site").symlink_to(elsewhere)


def _lock_link(root: Path) -> None:
    (root / "build" / ".lock").unlink(missing_ok=True)
    (root / "build" / ".lock").symlink_to(root.parent / "elsewhere.lock")


def _as_xlsx(root: Path) -> None:
    """The Norwegian delivery saved as an Excel workbook, under its .csv name."""
    from openpyxl import Workbook

    book = Workbook()
    for line in read_lines(root)[:-1]:
        book.active.append(line.split(";"))
    book.save(root / NO_FILE)


def _text_ids(frame: pl.DataFrame, _: dict) -> pl.DataFrame:
    """respnr as text, the second row's id written with a leading zero ('01' after '1')."""
    ids = frame["respnr"].cast(pl.Int64).cast(pl.String)
    return frame.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(pl.lit("01"))
                              .otherwise(ids).alias("respnr"))


def _string_id(source_id: str, name: str) -> Break:
    return edit_codebook(source_id, lambda d: d["variables"][name].update(type="string"))


# --- signals at moments of a build -------------------------------------------------------------
# A real SIGINT (Ctrl-C) to this process at a chosen moment: Python raises KeyboardInterrupt
# there, and coprod must stop with exit 130 and leave the previous outputs whole, with no journal
# or staging behind. SIGTERM and SIGKILL end the process, so they are sent to builds run as
# processes, at seeded moments, in tests/test_interrupt.py.

Moment = Callable[[], AbstractContextManager]


@contextmanager
def _sigint() -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def ctrl_c_at(stage: str) -> Moment:
    """Ctrl-C the moment the build reports that it begins `stage` (its progress line)."""
    @contextmanager
    def moment() -> Iterator[None]:
        from coprod import cli

        log = cli._log

        reached = []

        def hooked(message: str) -> None:
            log(message)
            if message.startswith(stage) and not reached:
                reached.append(message)
                signal.raise_signal(signal.SIGINT)

        with _sigint(), mock.patch.object(cli, "_log", hooked):
            yield
        assert reached, f"the build never reported {stage!r}"
    return moment


class _OsWith:
    """The os module as coprod.atomic sees it, with one function replaced."""

    def __init__(self, name: str, function: Callable) -> None:
        self._name, self._function = name, function

    def __getattr__(self, name: str) -> object:
        return self._function if name == self._name else getattr(os, name)


def ctrl_c_after(name: str, call: int = 1) -> Moment:
    """Ctrl-C right after the call-th call, while publishing, of `name`: a step of
    coprod.atomic (_stage_file, _stage_folder, _write_atomically: the journal) or a function of
    the os module as coprod.atomic uses it (replace: a file moved; rename: a folder)."""
    @contextmanager
    def moment() -> Iterator[None]:
        from coprod import atomic

        original = getattr(atomic, name, None) or getattr(os, name)
        calls = []

        def hooked(*args: object, **kwargs: object) -> object:
            result = original(*args, **kwargs)
            calls.append(args)
            if len(calls) == call:
                signal.raise_signal(signal.SIGINT)
            return result

        patch = (mock.patch.object(atomic, name, hooked) if hasattr(atomic, name) else
                 mock.patch.object(atomic, "os", _OsWith(name, hooked)))
        with _sigint(), patch:
            yield
        assert len(calls) >= call, f"{name} was called {len(calls)} times, not {call}"
    return moment


INTERRUPTED = ("Interrupted; the previous outputs are untouched.",)


def at(source: str, check: str, file: str, line: int | None, row: int, column: str,
       value: str | None = None) -> str:
    """How a failing build names a cell: source, column, check, value and count, then file,
    line and row."""
    return (f"{source}: {column}: {check}" + (f" {value!r}" if value is not None else "")
            + f" (1 row): {file}" + (f":{line}" if line else "") + f", row {row}: ")


# --- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    breaks: Break
    exit_code: int
    expect: tuple[str, ...]  # fragments of the message, all required
    source: str | None = None  # for data cases: the source `validate --format json` must fail
    error: dict = field(default_factory=dict)  # fields one of its JSON errors must have
    xfail: str = ""  # why the case does not hold yet (strict: it fails once fixed)
    during: Moment | None = None  # a fault while the build runs (a signal at a moment)


UNREADABLE = {"check": "unreadable-file"}

CASES = [
    # Encodings
    Case("cp1252 file declared utf-8",
         edit_codebook(NO, lambda d: d["dialect"].update(encoding="utf-8")), 1,
         (NO_FILE, "line 1: byte b'\\xf8' is not valid utf-8", "the whole file reads as cp1252",
          "dialect.encoding"), NO, UNREADABLE),
    Case("cp1252 value in a utf-8 file",
         both(as_utf8(), edit_bytes(lambda b: b.replace(b"godt med idrettslaget",
                                                        "godt med idrettslaget på Ås"
                                                        .encode("cp1252"), 1))), 1,
         (NO_FILE, "line 7: byte b'\\xe5' is not valid utf-8", "row 6", "column kommentar",
          "save the whole file as utf-8"), NO, UNREADABLE),
    Case("utf-8 file declared cp1252 (mojibake)",
         edit_bytes(lambda b: b.decode("cp1252").encode("utf-8")), 1,
         (NO_FILE, "line 1", "'Ã¸' is UTF-8 read as cp1252 (it means 'ø')",
          "the file is UTF-8", "set dialect.encoding to utf-8"), NO, UNREADABLE),
    Case("utf-8 value in a cp1252 file (mojibake)",
         edit_bytes(lambda b: b.replace("godt med idrettslaget".encode("cp1252"),
                                        "godt med idrettslaget på Ås".encode(), 1)), 1,
         (NO_FILE, "line 7", "row 6", "column kommentar", "'Ã¥' is UTF-8 read as cp1252",
          "save the whole file as cp1252"), NO, UNREADABLE),
    Case("utf-8 BOM in a cp1252 file",
         edit_bytes(lambda b: codecs.BOM_UTF8 + b), 1,
         (NO_FILE, "line 1", "UTF-8 byte order mark", "declares cp1252"), NO, UNREADABLE),
    Case("utf-16 file declared cp1252",
         edit_bytes(lambda b: b.decode("cp1252").encode("utf-16")), 1,
         (NO_FILE, "UTF-16 byte order mark", "save the file as cp1252"), NO, UNREADABLE),
    Case("unknown encoding in the codebook",
         edit_codebook(NO, lambda d: d["dialect"].update(encoding="cp9999")), 3,
         (f"schemas/sources/{NO}.yaml", "dialect.encoding", "unknown encoding 'cp9999'")),
    Case("decomposed (NFD) letter in a header",
         as_utf8(NO_ASSOC, NO_ASSOC_FILE, lambda t: t.replace(
             "geografisk_nivå", _nfd("geografisk_nivå"), 1)), 1,
         (NO_ASSOC_FILE, "line 1", "decomposed letters (Unicode NFD)",
          "does not match the codebook's 'geografisk_nivå'", "Unicode NFC"), NO_ASSOC,
         UNREADABLE),
    Case("decomposed (NFD) letter in a codebook",
         edit_codebook_text(NO_ASSOC, lambda t: t.replace("geografisk_nivå:",
                                                          _nfd("geografisk_nivå:"), 1)), 3,
         (f"schemas/sources/{NO_ASSOC}.yaml:", "decomposed letters (Unicode NFD)",
          "Unicode NFC")),
    # Structure
    Case("comma-separated where the codebook says semicolon",
         columns(_wrong_delimiter(",")), 1,
         (NO_FILE, "line 1", "seems to be ','-separated", "set dialect.delimiter"), NO,
         UNREADABLE),
    Case("tab-separated where the codebook says semicolon",
         columns(_wrong_delimiter("\t")), 1,
         (NO_FILE, "line 1", "seems to be '\\t'-separated"), NO, UNREADABLE),
    Case("multi-character delimiter in the codebook",
         edit_codebook(NO, lambda d: d["dialect"].update(delimiter=";;")), 3,
         (f"schemas/sources/{NO}.yaml", "dialect.delimiter", "must be one character")),
    Case("unterminated quote",
         set_cell(7, "kommentar", '"Vi samarbeider godt'), 1,
         (NO_FILE, "line 7", "quoted field opened here is never closed"), NO, UNREADABLE),
    Case("text after a closing quote",
         set_cell(7, "kommentar", '"Vi samarbeider" godt'), 1,
         (NO_FILE, "line 7, row 6", 'a closing " must be followed by'), NO, UNREADABLE),
    Case("quoted line break, then an error: the line stays right",
         edit_lines(_quoted_newline_then_error), 1,
         (at(NO, "unknown-code", NO_FILE, 21, 19, "virksomhetstype", "13"),
          "code 13 is not in the codebook"), NO,
         {"row": 19, "column": "virksomhetstype", "value": "13", "check": "unknown-code"}),
    Case("row with too many fields",
         edit_lines(lambda ls: ls.__setitem__(4, ls[4] + ";1")), 1,
         (NO_FILE, "line 5, row 4: 18 fields where the header has 17", "must be quoted"), NO,
         UNREADABLE),
    Case("row with too few fields",
         edit_lines(lambda ls: ls.__setitem__(4, ls[4].rsplit(";", 1)[0])), 1,
         (NO_FILE, "line 5, row 4: 16 fields where the header has 17"), NO, UNREADABLE),
    Case("empty line in the middle",
         edit_lines(lambda ls: ls.insert(10, "")), 1,
         (NO_FILE, "line 11 is empty", "remove the empty line"), NO, UNREADABLE),
    Case("header repeated inside the file (two exports joined)",
         edit_lines(lambda ls: ls.insert(10, ls[0])), 1,
         (NO_FILE, "line 11 repeats the header", "remove the repeated header"), NO,
         UNREADABLE),
    Case("duplicated column in the header",
         edit_lines(_rename_header("partner_kultur", "partner_idrett")), 1,
         (NO_FILE, "line 1", "column 'partner_idrett' appears twice", "columns 7 and 8"), NO,
         UNREADABLE),
    Case("missing column",
         columns(_drop_column("initiativ")), 1,
         (NO_FILE, "column initiativ is declared in the codebook but not in the file"), NO,
         {"column": "initiativ", "check": "missing-column"}),
    Case("unexpected column",
         columns(_add_column), 1,
         (NO_FILE, "column ekstra is in the file but not in the codebook", "declare it"), NO,
         {"column": "ekstra", "check": "unexpected-column"}),
    Case("renamed column",
         edit_lines(_rename_header("holdning_leder", "holdning")), 1,
         ("column holdning_leder is declared in the codebook but not in the file",
          "was it renamed? the file has 'holdning'",
          "column holdning is in the file but not in the codebook"), NO,
         {"column": "holdning_leder", "check": "missing-column"}),
    Case("empty file", edit_bytes(lambda b: b""), 1,
         (NO_FILE, "the file is empty", "export the extract again"), NO, UNREADABLE),
    Case("file of blank lines", edit_bytes(lambda b: b"\r\n\r\n \r\n"), 1,
         (NO_FILE, "the file is empty"), NO, UNREADABLE),
    Case("header only, no respondents",
         edit_bytes(lambda b: b.split(b"\r\n", 1)[0] + b"\r\n"), 1,
         (NO_FILE, "has a header but no data rows", "a wave without respondents"), NO,
         UNREADABLE),
    Case("file truncated in the middle of a row",
         edit_bytes(lambda b: b[: b.rstrip(b"\r\n").rfind(b"\r\n") + 20]), 1,
         (NO_FILE, "line 1005, row 1004", "ends in the middle of a row", "truncated"), NO,
         UNREADABLE),
    Case("binary garbage",
         edit_bytes(lambda b: bytes(range(256)) * 40), 1,
         (NO_FILE, "line 1", "NUL", "binary data"), NO, UNREADABLE),
    # Values
    Case("decimal comma in an integer column", set_cell(2, "antall_ansatte", "29,5"), 1,
         (at(NO, "type-error", NO_FILE, 2, 1, "antall_ansatte", "29,5"),
          "is not a valid integer", "no decimal comma"), NO,
         {"row": 1, "column": "antall_ansatte", "value": "29,5", "check": "type-error"}),
    Case("decimal point in a decimal-comma column", set_cell(2, "vekt", "0.7698"), 1,
         (at(NO, "type-error", NO_FILE, 2, 1, "vekt", "0.7698"), "decimal comma"), NO,
         {"row": 1, "column": "vekt", "check": "type-error"}),
    Case("NaN as a weight", set_cell(3, "vekt", "NaN"), 1,
         (at(NO, "type-error", NO_FILE, 3, 2, "vekt", "NaN"), "is not a valid number"), NO,
         {"row": 2, "column": "vekt", "value": "NaN", "check": "type-error"}),
    Case("duplicate respondent id", set_cell(3, "løpenr", "10001"), 1,
         (at(NO, "duplicate-id", NO_FILE, 3, 2, "løpenr", "10001"), "occurs more than once"), NO,
         {"row": 2, "column": "løpenr", "value": "10001", "check": "duplicate-id"}),
    Case("code outside the codebook", set_cell(2, "virksomhetstype", "13"), 1,
         (at(NO, "unknown-code", NO_FILE, 2, 1, "virksomhetstype", "13"),
          "code 13 is not in the codebook", "add the code"), NO,
         {"row": 1, "column": "virksomhetstype", "value": "13", "check": "unknown-code"}),
    Case("blank where blanks are not allowed", set_cell(2, "holdning_leder", ""), 1,
         (at(NO, "blank", NO_FILE, 2, 1, "holdning_leder"), "is empty", "declare `blank:`"), NO,
         {"row": 1, "column": "holdning_leder", "check": "blank"}),
    Case("municipality number lost its leading zero", set_cell(2, "kommunenr", "806"), 1,
         (at(NO, "pattern", NO_FILE, 2, 1, "kommunenr", "806"),
          "looks like 0806", "leading zero lost"), NO,
         {"row": 1, "column": "kommunenr", "value": "806", "check": "pattern"}),
    Case("arabic-indic digits in an integer column", as_utf8(change=lambda t: t.replace(
        "\r\n10001;0806;10;29;", "\r\n10001;0806;10;٢٩;", 1)), 1,
         (at(NO, "type-error", NO_FILE, 2, 1, "antall_ansatte", "٢٩"),
          "digits of another script", "'29'"), NO,
         {"row": 1, "column": "antall_ansatte", "value": "٢٩", "check": "type-error"}),
    Case("full-width digits in a municipality code", as_utf8(change=lambda t: t.replace(
        "\r\n10001;0806;", "\r\n10001;０８０６;", 1)), 1,
         (at(NO, "pattern", NO_FILE, 2, 1, "kommunenr", "０８０６"),
          "digits of another script", "'0806'"), NO,
         {"row": 1, "column": "kommunenr", "value": "０８０６", "check": "pattern"}),
    Case("municipality code of another vintage (2020 code in a 2018 file)",
         set_cell(2, "kommunenr", "3001"), 1,
         (at(NO, "unknown-municipality", NO_FILE, 2, 1, "kommunenr", "3001"),
          "not in the NO 2018 classification", "it is a code of the NO 2020 classification",
          "municipality.reference"), NO,
         {"row": 1, "column": "kommunenr", "value": "3001", "check": "unknown-municipality"}),
    Case("municipality code that never existed", set_cell(2, "kommunenr", "9999"), 1,
         (at(NO, "unknown-municipality", NO_FILE, 2, 1, "kommunenr", "9999"),
          "not in the NO 2018"), NO,
         {"row": 1, "column": "kommunenr", "value": "9999", "check": "unknown-municipality"}),
    Case("negative count", set_cell(2, "antall_ansatte", "-5"), 1,
         (at(NO, "out-of-range", NO_FILE, 2, 1, "antall_ansatte", "-5"), "outside 0..100000"), NO,
         {"row": 1, "column": "antall_ansatte", "value": "-5", "check": "out-of-range"}),
    Case("absurd count", set_cell(2, "antall_ansatte", "250000"), 1,
         (at(NO, "out-of-range", NO_FILE, 2, 1, "antall_ansatte", "250000"), "outside 0..100000"),
         NO, {"row": 1, "column": "antall_ansatte", "check": "out-of-range"}),
    Case("impossible date (codebook variant with a date column)",
         both(edit_lines(_add_date_column), edit_codebook(NO, _declare_date)), 1,
         (at(NO, "type-error", NO_FILE, 6, 5, "svardato", "2018-02-30"), "is not a valid date"),
         NO, {"row": 5, "column": "svardato", "value": "2018-02-30", "check": "type-error"}),
    # SPSS
    Case("SPSS: code outside the codebook", set_sav("samarb_foreninger", 0, 7.0), 1,
         (at(DK, "unknown-code", DK_FILE, None, 1, "samarb_foreninger", "7"),
          "code 7 is not in the"),
         DK, {"row": 1, "column": "samarb_foreninger", "value": "7", "check": "unknown-code"}),
    Case("SPSS: labelled code not declared missing",
         sav(_label_and_use("samarb_foreninger", 7.0, "Ikke relevant")), 1,
         (DK_FILE, "the file labels code 7 'Ikke relevant'",
          "neither lists code 7 in values nor declares it missing", "under missing:"), DK,
         {"column": "samarb_foreninger", "value": "7", "check": "label-changed"}),
    Case("SPSS: labelled missing code in a count (would be averaged)",
         sav(_label_and_use("antal_ansatte", 9999.0, "Ved ikke")), 1,
         (DK_FILE, "antal_ansatte: the file labels code 9999 'Ved ikke'",
          "nor declares it missing"), DK,
         {"column": "antal_ansatte", "value": "9999", "check": "label-changed"}),
    Case("SPSS: value label changed",
         sav(_relabel("holdning", {1.0: "Meget positiv", 2.0: "Overvejende positiv",
                                   3.0: "Neutral", 4.0: "Overvejende negativ",
                                   5.0: "Meget negativ", 8.0: "Ved ikke",
                                   9.0: "Ønsker ikke at svare"})), 1,
         (DK_FILE, "holdning: the file labels code 3 'Neutral', the codebook 'Hverken positiv "
                   "eller negativ'", "update the codebook"), DK,
         {"column": "holdning", "value": "3", "check": "label-changed"}),
    Case("SPSS: yes and no labels swapped",
         sav(_relabel("samarb_foreninger", {1.0: "Nej", 2.0: "Ja", 8.0: "Ved ikke",
                                            9.0: "Ønsker ikke at svare"})), 1,
         ("samarb_foreninger: the file labels code 1 'Nej', the codebook 'Ja'",
          "samarb_foreninger: the file labels code 2 'Ja', the codebook 'Nej'"), DK,
         {"column": "samarb_foreninger", "value": "1", "check": "label-changed"}),
    Case("SPSS: fraction in an integer column", set_sav("antal_ansatte", 1, 2.5), 1,
         (at(DK, "type-error", DK_FILE, None, 2, "antal_ansatte", "2.5"), "is not a valid integer"),
         DK, {"row": 2, "column": "antal_ansatte", "value": "2.5", "check": "type-error"}),
    Case("SPSS: duplicate respondent id", set_sav("respnr", 1, 1.0), 1,
         (at(DK, "duplicate-id", DK_FILE, None, 2, "respnr", "1"), "occurs more than once"), DK,
         {"row": 2, "column": "respnr", "value": "1", "check": "duplicate-id"}),
    Case("SPSS: code outside the municipalities the codebook lists",
         set_sav("kommune", 0, 999.0), 1,
         (at(DK, "unknown-code", DK_FILE, None, 1, "kommune", "999"),
          "code 999 is not in the codebook"),
         DK, {"row": 1, "column": "kommune", "value": "999", "check": "unknown-code"}),
    Case("SPSS: unknown municipality", set_sav("kommune", 0, 999.0, DK_ASSOC_FILE), 1,
         (at(DK_ASSOC, "unknown-municipality", DK_ASSOC_FILE, None, 1, "kommune", "999"),
          "not in the DK 2007"),
         DK_ASSOC,
         {"row": 1, "column": "kommune", "value": "999", "check": "unknown-municipality"}),
    Case("SPSS: negative count", set_sav("antal_ansatte", 0, -3.0), 1,
         (at(DK, "out-of-range", DK_FILE, None, 1, "antal_ansatte", "-3"), "outside"), DK,
         {"row": 1, "column": "antal_ansatte", "value": "-3", "check": "out-of-range"}),
    Case("SPSS: renamed column", sav(lambda f, labels: f.rename({"insttype": "inst_type"})), 1,
         ("column insttype is declared in the codebook but not in the file",
          "column inst_type is in the file but not in the codebook"), DK,
         {"column": "insttype", "check": "missing-column"}),
    Case("SPSS: no cases", sav(lambda f, _: f.head(0)), 1,
         (DK_FILE, "no cases (0 rows)", "a wave without respondents"), DK, UNREADABLE),
    Case("SPSS: binary garbage", edit_bytes(lambda b: b"\x00garbage" * 200, DK_FILE), 1,
         (DK_FILE, "not a readable SPSS .sav/.zsav file", "re-export the file"), DK, UNREADABLE),
    Case("SPSS: truncated file", edit_bytes(lambda b: b[: len(b) // 2], DK_FILE), 1,
         (DK_FILE, "not a readable SPSS .sav/.zsav file", "truncated"), DK, UNREADABLE),
    # Codebooks
    Case("codebook with an unknown key",
         edit_codebook(NO, lambda d: d["variables"]["løpenr"].update(lable="Løpenummer")), 3,
         (f"schemas/sources/{NO}.yaml: variables.løpenr.lable", "unknown key 'lable'",
          "(line ", "docs/codebooks.md")),
    Case("codebook with a duplicate key",
         edit_codebook_text(NO, lambda t: t.replace("table: institutions\n",
                                                    "table: institutions\ntable: x\n", 1)), 3,
         (f"schemas/sources/{NO}.yaml:", "duplicate key 'table' (first on line",
          "keys must be unique")),
    Case("codebook recodes to an unknown category",
         edit_codebook(NO, lambda d: d["mappings"]["attitude"]["recode"].update({4: "hostile"})),
         3, (f"schemas/sources/{NO}.yaml", "mappings.attitude: code 4 recodes to 'hostile', "
             "which is not a category", "categories are:")),
    Case("codebook maps from an unknown variable",
         edit_codebook(NO, lambda d: d["mappings"]["n_employees"].update({"from": "ansatte"})),
         3, (f"schemas/sources/{NO}.yaml", "mappings.n_employees: unknown source variable "
             "'ansatte'")),
    Case("codebook maps an unknown harmonized variable",
         edit_codebook(NO, lambda d: d["mappings"].update(budget={"from": "vekt"})), 3,
         (f"schemas/sources/{NO}.yaml", "mappings: 'budget' is not a mapped variable")),
    Case("codebook declares a missing code without a label",
         edit_codebook(NO, lambda d: d["variables"]["holdning_leder"]["missing"].update(
             {8: "refused"})), 3,
         (f"schemas/sources/{NO}.yaml", "variables.holdning_leder", "missing codes [8] have no "
          "value label")),
    Case("codebook names an unknown missing reason",
         edit_codebook(NO, lambda d: d["variables"]["holdning_leder"].update(
             missing={9: "unknown"})), 3,
         (f"schemas/sources/{NO}.yaml", "variables.holdning_leder.missing.9")),
    Case("codebook names an unknown municipality reference",
         edit_codebook(NO, lambda d: d["municipality"].update(reference="no-2019")), 1,
         (f"schemas/sources/{NO}.yaml:17: municipality.reference: 'no-2019' is not a "
          "municipality classification declared in schemas/package.yaml",
          "[undeclared-reference]")),
    Case("comparability note names an unknown source",
         lambda root: (root / "schemas/harmonized/institutions.yaml").write_text(
             (root / "schemas/harmonized/institutions.yaml").read_text(encoding="utf-8")
             .replace("no-institutions-2018", "no-institutions-2017", 1), encoding="utf-8"), 3,
         ("schemas/harmonized/institutions.yaml", "unknown source 'no-institutions-2017'")),
    # Paths
    Case("raw path with ../", edit_codebook(NO, lambda d: d.update(file="../outside.csv")), 3,
         ("'../outside.csv' points outside the package folder", "keep raw files")),
    Case("absolute raw path", edit_codebook(NO, lambda d: d.update(file="/etc/passwd")), 3,
         ("'/etc/passwd' is an absolute path", "relative to the package folder")),
    Case("raw file is a symlink to outside the package", _symlink_outside, 3,
         (f"'{NO_FILE}' is a symbolic link to", "outside the package folder",
          "copy the file into the package")),
    Case("missing raw file", lambda root: (root / NO_FILE).unlink(), 1,
         (NO_FILE, f"raw file of {NO} not found", "put the extract there"), NO, UNREADABLE),
    Case("missing reference table", lambda root: (root / NO_REFERENCE).unlink(), 3,
         (f"Error: {NO_REFERENCE}", "not found", "municipality_references")),
    Case("reference path escapes the package",
         edit_package(lambda d: d["municipality_references"]["no-2018"].update(
             file="../no_kommuner_2018.csv")), 3,
         ("'../no_kommuner_2018.csv' points outside the package folder",)),
    # Identity: ids are compared after normalisation (docs/codebooks.md)
    Case("id with a leading zero next to the same id", set_cell(3, "løpenr", "010001"), 1,
         (at(NO, "duplicate-id", NO_FILE, 3, 2, "løpenr", "010001"), "occurs more than once",
          "row 1 (line 2) has '10001': the same id"), NO,
         {"row": 2, "column": "løpenr", "value": "010001", "check": "duplicate-id"}),
    Case("id with spaces around it next to the same id", set_cell(3, "løpenr", " 10001 "), 1,
         (at(NO, "duplicate-id", NO_FILE, 3, 2, "løpenr", " 10001 "),
          "row 1 (line 2) has '10001'", "without spaces around them"), NO,
         {"row": 2, "column": "løpenr", "value": " 10001 ", "check": "duplicate-id"}),
    Case("id with a non-breaking space next to the same id", set_cell(3, "løpenr", "\xa010001"),
         1, (at(NO, "duplicate-id", NO_FILE, 3, 2, "løpenr", "\xa010001"),
             "row 1 (line 2) has '10001'"), NO,
         {"row": 2, "column": "løpenr", "value": "\xa010001", "check": "duplicate-id"}),
    Case("the same id twice, far apart", set_cell(1005, "løpenr", "10001"), 1,
         (at(NO, "duplicate-id", NO_FILE, 1005, 1004, "løpenr", "10001"),
          "first in row 1 (line 2)"), NO,
         {"row": 1004, "column": "løpenr", "value": "10001", "check": "duplicate-id"}),
    Case("text id with a leading zero next to the same id (codebook variant)",
         both(_string_id(NO, "løpenr"), set_cell(3, "løpenr", "010001")), 1,
         (at(NO, "duplicate-id", NO_FILE, 3, 2, "løpenr", "010001"),
          "row 1 (line 2) has '10001'", "without leading zeros"), NO,
         {"row": 2, "column": "løpenr", "value": "010001", "check": "duplicate-id"}),
    Case("text id with a trailing space next to the same id (codebook variant)",
         both(_string_id(NO, "løpenr"), set_cell(3, "løpenr", "10001 ")), 1,
         (at(NO, "duplicate-id", NO_FILE, 3, 2, "løpenr", "10001 "),
          "row 1 (line 2) has '10001'"), NO,
         {"row": 2, "column": "løpenr", "value": "10001 ", "check": "duplicate-id"}),
    Case("SPSS: text id with a leading zero next to the same id (codebook variant)",
         both(_string_id(DK, "respnr"), sav(_text_ids)), 1,
         (at(DK, "duplicate-id", DK_FILE, None, 2, "respnr", "01"), "row 1 has '1'"), DK,
         {"row": 2, "column": "respnr", "value": "01", "check": "duplicate-id"}),
    Case("blank id", set_cell(2, "løpenr", ""), 1,
         (at(NO, "blank", NO_FILE, 2, 1, "løpenr"), "løpenr is empty"), NO,
         {"row": 1, "column": "løpenr", "check": "blank"}),
    Case("id that is not a number", set_cell(2, "løpenr", "A1"), 1,
         (at(NO, "type-error", NO_FILE, 2, 1, "løpenr", "A1"), "is not a valid integer"), NO,
         {"row": 1, "column": "løpenr", "value": "A1", "check": "type-error"}),
    Case("SPSS: system-missing id", set_sav("respnr", 0, float("nan")), 1,
         (at(DK, "blank", DK_FILE, None, 1, "respnr"), "respnr is empty"), DK,
         {"row": 1, "column": "respnr", "check": "blank"}),
    # Privacy gate: what identifies a person is never published (exit 4)
    Case("CPR number with an en dash in a label",
         english_label("attitude", "Attitude (asked of 020385\u20134411)"), 4,
         ("personal data would be published; nothing was written",
          "processed/codebook.json: line", "looks like a CPR number")),
    Case("CPR number with a non-breaking hyphen in a label",
         english_label("attitude", "Attitude (asked of 020385\u20114411)"), 4,
         ("processed/codebook.json: line", "looks like a CPR number")),
    Case("Danish phone number in a value label",
         edit_table(lambda d: d["variables"]["welfare_field"]["categories"][0]["label"].update(
             en="School (ask 2233 4455)")), 4,
         ("processed/codebook.json: line", "looks like a phone number")),
    Case("Norwegian phone number with +47 in a label",
         english_label("attitude", "Attitude (call +47 22 33 44 55)"), 4,
         ("processed/codebook.json: line", "looks like a phone number")),
    Case("home folder of a Linux user in a label",
         english_label("attitude", "Attitude, see /home/kari.nordmann/notater/holdning.txt"), 4,
         ("processed/codebook.json: line", "looks like a user's home folder")),
    Case("profile folder of a Windows user in a label",
         english_label("attitude", "Attitude, see C:\\Users\\jens.hansen\\Desktop\\x.docx"), 4,
         ("processed/codebook.json: line", "looks like a user's home folder")),
    Case("home folder of a macOS user in a table description",
         edit_table(lambda d: d["description"].update(en="Made from /Users/kari/Documents/a.sav")),
         4, ("datapackage.json: line", "looks like a user's home folder")),
    Case("fødselsnummer in a source question text",
         edit_codebook(NO, lambda d: d["variables"]["holdning_leder"].update(
             label="Holdning (fnr 01018012345)")), 4,
         ("processed/codebook.json: line", "looks like a fødselsnummer")),
    # Deliveries of another kind, or broken
    Case("a spreadsheet (.xlsx) where a CSV file is declared", _as_xlsx, 1,
         (NO_FILE, "this is a zip archive, such as an .xlsx or .ods spreadsheet",
          "format: spreadsheet"), NO, UNREADABLE),
    Case("an old Excel .xls where a CSV file is declared",
         edit_bytes(lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)), 1,
         (NO_FILE, "an old Excel (.xls) workbook", "format: spreadsheet"), NO, UNREADABLE),
    Case("an SPSS file where a CSV file is declared", copy_file(DK_FILE, NO_FILE), 1,
         (NO_FILE, "this is an SPSS .sav file", "format: spss"), NO, UNREADABLE),
    Case("a gzip-compressed CSV file", edit_bytes(lambda b: gzip.compress(b, mtime=0)), 1,
         (NO_FILE, "a gzip-compressed file", "decompress it"), NO, UNREADABLE),
    Case("SPSS: a CSV file where an SPSS file is declared", copy_file(NO_FILE, DK_FILE), 1,
         (DK_FILE, "not a readable SPSS .sav/.zsav file"), DK, UNREADABLE),
    Case("SPSS: empty file", edit_bytes(lambda b: b"", DK_FILE), 1,
         (DK_FILE, "not a readable SPSS .sav/.zsav file"), DK, UNREADABLE),
    Case("SPSS: the file of another survey", copy_file(DK_ASSOC_FILE, DK_FILE), 1,
         (DK_FILE, "column respnr is declared in the codebook but not in the file",
          "column forenr is in the file but not in the codebook"), DK,
         {"column": "respnr", "check": "missing-column"}),
    Case("SPSS: dropped column", sav(lambda f, _: f.drop("holdning")), 1,
         (DK_FILE, "column holdning is declared in the codebook but not in the file"), DK,
         {"column": "holdning", "check": "missing-column"}),
    Case("SPSS: extra column", sav(lambda f, _: f.with_columns(pl.lit(1.0).alias("ekstra"))), 1,
         (DK_FILE, "column ekstra is in the file but not in the codebook"), DK,
         {"column": "ekstra", "check": "unexpected-column"}),
    Case("NUL byte inside a row",
         edit_bytes(lambda b: b.replace(b"godt med", b"godt\x00med", 1)), 1,
         (NO_FILE, "line 7: byte b'\\x00' (NUL)", "binary data"), NO, UNREADABLE),
    Case("header only, without a line break",
         edit_bytes(lambda b: b.split(b"\r\n", 1)[0]), 1,
         (NO_FILE, "has a header but no data rows"), NO, UNREADABLE),
    Case("line endings of old Macs (bare CR)",
         edit_bytes(lambda b: b.replace(b"\r\n", b"\r")), 1,
         (NO_FILE, "line 1: the lines end in a bare carriage return", "CRLF"), NO, UNREADABLE),
    Case("cp1252 file declared utf-16",
         edit_codebook(NO, lambda d: d["dialect"].update(encoding="utf-16")), 1,
         (NO_FILE, "is not valid utf-16", "save the whole file as utf-16"), NO, UNREADABLE),
    Case("utf-8 file declared latin-1 (mojibake)",
         both(edit_bytes(lambda b: b.decode("cp1252").encode("utf-8")),
              edit_codebook(NO, lambda d: d["dialect"].update(encoding="latin-1"))), 1,
         (NO_FILE, "line 1", "'Ã¸' is UTF-8 read as latin-1", "set dialect.encoding to utf-8"),
         NO, UNREADABLE),
    Case("a delimiter at the end of every line",
         edit_lines(lambda ls: [line + ";" if line else line for line in ls]), 1,
         (NO_FILE, "line 1: column 18 of the header has no name"), NO, UNREADABLE),
    Case("a column without a name", edit_lines(_rename_header("kommentar", "")), 1,
         (NO_FILE, "line 1: column 16 of the header has no name"), NO, UNREADABLE),
    Case("a column name with a space after it", edit_lines(_rename_header("vekt", "vekt ")), 1,
         (NO_FILE, "column vekt is declared in the codebook but not in the file",
          "the file has 'vekt '"), NO, {"column": "vekt", "check": "missing-column"}),
    Case("column names in capitals", edit_lines(_rename_header("vekt", "VEKT")), 1,
         (NO_FILE, "column vekt is declared in the codebook but not in the file",
          "the file has 'VEKT'"), NO, {"column": "vekt", "check": "missing-column"}),
    Case("a note under the data",
         edit_lines(lambda ls: ls.insert(-1, "Eksportert 2018-06-01")), 1,
         (NO_FILE, "line 1006, row 1005: 1 field where the header has 17"), NO, UNREADABLE),
    Case("a totals row under the data", edit_lines(lambda ls: ls.insert(-1, "Totalt" + ";" * 16)),
         1, (at(NO, "type-error", NO_FILE, 1006, 1005, "løpenr", "Totalt"),
             "is not a valid integer"), NO,
         {"row": 1005, "column": "løpenr", "value": "Totalt", "check": "type-error"}),
    Case("a 50 MB field", set_cell(3, "vekt", "1" * (50 * 2**20)), 1,
         (at(NO, "type-error", NO_FILE, 3, 2, "vekt", "1" * 60 + "… (52428800 characters)"),
          "is not a valid number"), NO,
         {"row": 2, "column": "vekt", "value": "1" * 60 + "… (52428800 characters)",
          "check": "type-error"}),
    Case("raw file is a folder", folder_instead(NO_FILE), 1,
         (NO_FILE, "is a folder, not the raw file of", "put the extract there as a file"), NO,
         UNREADABLE),
    # Values
    Case("spreadsheet error value in a count", set_cell(2, "antall_ansatte", "#VALUE!"), 1,
         (at(NO, "type-error", NO_FILE, 2, 1, "antall_ansatte", "#VALUE!"),
          "is not a valid integer"), NO,
         {"row": 1, "column": "antall_ansatte", "value": "#VALUE!", "check": "type-error"}),
    Case("thousands separator in a count", set_cell(2, "antall_ansatte", "1 200"), 1,
         (at(NO, "type-error", NO_FILE, 2, 1, "antall_ansatte", "1 200"),
          "is not a valid integer"), NO,
         {"row": 1, "column": "antall_ansatte", "value": "1 200", "check": "type-error"}),
    Case("scientific notation in a count", set_cell(2, "antall_ansatte", "1e3"), 1,
         (at(NO, "type-error", NO_FILE, 2, 1, "antall_ansatte", "1e3"), "is not a valid integer"),
         NO, {"row": 1, "column": "antall_ansatte", "value": "1e3", "check": "type-error"}),
    Case("zero weight", set_cell(2, "vekt", "0"), 1,
         (at(NO, "out-of-range", NO_FILE, 2, 1, "vekt", "0"), "outside 0.01..50"), NO,
         {"row": 1, "column": "vekt", "value": "0", "check": "out-of-range"}),
    Case("infinite weight", set_cell(2, "vekt", "inf"), 1,
         (at(NO, "type-error", NO_FILE, 2, 1, "vekt", "inf"), "is not a valid number"), NO,
         {"row": 1, "column": "vekt", "value": "inf", "check": "type-error"}),
    Case("municipality code with a space before it", set_cell(2, "kommunenr", " 0806"), 1,
         (at(NO, "pattern", NO_FILE, 2, 1, "kommunenr", " 0806"),
          "it is 0806 (Skien) with spaces around it"), NO,
         {"row": 1, "column": "kommunenr", "value": " 0806", "check": "pattern"}),
    Case("municipality name where its code belongs", set_cell(2, "kommunenr", "Skien"), 1,
         (at(NO, "pattern", NO_FILE, 2, 1, "kommunenr", "Skien"), "does not match"), NO,
         {"row": 1, "column": "kommunenr", "value": "Skien", "check": "pattern"}),
    # Codebooks (exit 3, file and line)
    Case("codebook that is not valid YAML",
         edit_codebook_text(NO, lambda t: t.replace("table: institutions\n",
                                                    "table: [institutions\n", 1)), 3,
         (f"schemas/sources/{NO}.yaml:5: not valid YAML", "fix the codebook file")),
    Case("codebook indented with a tab",
         edit_codebook_text(NO, lambda t: t.replace("  løpenr:\n    type: integer",
                                                    "  løpenr:\n\ttype: integer", 1)), 3,
         (f"schemas/sources/{NO}.yaml:{_NO_TAB_LINE}: not valid YAML",)),
    Case("codebook not saved as UTF-8",
         lambda root: _codebook_path(root, NO).write_bytes(
             _codebook_path(root, NO).read_text(encoding="utf-8").encode("latin-1")), 3,
         (f"schemas/sources/{NO}.yaml:5: not UTF-8", "save the codebook as UTF-8")),
    Case("empty codebook", write_file(f"schemas/sources/{NO}.yaml", ""), 3,
         (f"schemas/sources/{NO}.yaml", "should be a valid dictionary")),
    Case("codebook whose id is not its file name",
         edit_codebook(NO, lambda d: d.update(id="no-institutions-2019")), 3,
         (f"schemas/sources/{NO}.yaml: id is 'no-institutions-2019'",
          "name a source codebook after its id")),
    Case("two codebooks of one source",
         copy_file(f"schemas/sources/{NO}.yaml", "schemas/sources/no-institutions-2019.yaml"), 3,
         ("schemas/sources/no-institutions-2019.yaml: id is 'no-institutions-2018'",)),
    Case("codebook with an unknown type",
         edit_codebook(NO, lambda d: d["variables"]["antall_ansatte"].update(type="count")), 3,
         (f"schemas/sources/{NO}.yaml: variables.antall_ansatte.type", "not 'count'", "(line ")),
    Case("codebook with an unknown format", edit_codebook(NO, lambda d: d.update(format="excel")),
         3, (f"schemas/sources/{NO}.yaml: format", "not 'excel'")),
    Case("codebook of an unknown table", edit_codebook(NO, lambda d: d.update(table="companies")),
         3, (f"schemas/sources/{NO}.yaml: table 'companies' has no codebook",)),
    Case("id variable that is not declared",
         edit_codebook(NO, lambda d: d.update(id_variable="respnr")), 3,
         (f"schemas/sources/{NO}.yaml: id_variable names unknown variable 'respnr'",)),
    Case("blank: names an unknown missing reason",
         edit_codebook(NO, lambda d: d["variables"]["antall_ansatte"].update(blank="unknown")), 3,
         (f"schemas/sources/{NO}.yaml: variables.antall_ansatte.blank", "not 'unknown'")),
    Case("decimal mark that is no decimal mark",
         edit_codebook(NO, lambda d: d["dialect"].update(decimal=";")), 3,
         (f"schemas/sources/{NO}.yaml: dialect.decimal", "not ';'")),
    Case("source language the package does not have",
         edit_codebook(NO, lambda d: d.update(language="sv")), 3,
         (f"schemas/sources/{NO}.yaml: language 'sv' is not among the package's languages",)),
    Case("a free-text column mapped", edit_codebook(NO, lambda d: d["mappings"].update(
        n_employees={"from": "kommentar"})), 3,
         (f"schemas/sources/{NO}.yaml: mappings.n_employees: 'kommentar' is free text",)),
    Case("a pattern that is no regular expression",
         edit_codebook(NO, lambda d: d["variables"]["kommunenr"].update(pattern="^(\\d{4}$")), 3,
         (f"schemas/sources/{NO}.yaml: variables.kommunenr.pattern", "(line ")),
    Case("a pattern with a look-ahead",
         edit_codebook(NO, lambda d: d["variables"]["kommunenr"].update(
             pattern="^(?=\\d)\\d{4}$")), 3,
         (f"schemas/sources/{NO}.yaml: variables.kommunenr.pattern", "look-ahead")),
    Case("two categories with one code",
         edit_table(lambda d: d["variables"]["country"]["categories"][1].update(code=208)), 3,
         (f"{TABLE_FILE}: variables.country", "same code 208")),
    Case("recode keys 1 and '1'",
         edit_codebook_text(NO, lambda t: t.replace("      1: school\n",
                                                    "      1: school\n      '1': school\n", 1)),
         3, (f"schemas/sources/{NO}.yaml: mappings.welfare_field.recode", "the same code")),
    Case("a combination that includes itself",
         edit_table(lambda d: d["variables"]["collab_any"].update(
             derive={"any_of": ["collab_any", "collab_volunteers"]})), 3,
         (f"{TABLE_FILE}: variables.collab_any.derive", "derived from itself")),
    Case("a harmonized variable named like a path",
         edit_table(lambda d: d["variables"].update(
             {"../../x": d["variables"].pop("collab_any")})), 3,
         (f"{TABLE_FILE}: variables.../../x", "(line ")),
    Case("harmonized codebook with an unknown key", edit_table(lambda d: d.update(colour="blue")),
         3, (f"{TABLE_FILE}: colour", "unknown key 'colour'")),
    Case("empty harmonized codebook", write_file(TABLE_FILE, ""), 3,
         (TABLE_FILE, "should be a valid dictionary")),
    Case("crosswalks in a circle",
         edit_package(lambda d: d["municipality_crosswalks"].append({
             "from": "no-2024", "to": "no-2018",
             "file": "reference/no_kommune_crosswalk_2018_2020.csv",
             "from_column": "kommunenummer_2018", "to_column": "kommunenummer_2020",
             "provenance": "a mistake"})), 3,
         ("schemas/package.yaml: municipality_crosswalks", "round in a circle")),
    Case("site template with a syntax error",
         lambda root: (root / "site_templates" / "index.html").write_text(
             (root / "site_templates" / "index.html").read_text(encoding="utf-8") + "{% if %}",
             encoding="utf-8"), 3,
         ("site_templates/index.html:", "fix the template")),
    Case("site template missing", lambda root: (root / "site_templates" / "variable.html").unlink(),
         3, ("site_templates/variable.html", "not found")),
    # schemas/package.yaml
    Case("package: not valid YAML",
         lambda root: (root / "schemas" / "package.yaml").write_text(
             (root / "schemas" / "package.yaml").read_text(encoding="utf-8") + "\nfoo: [1,\n",
             encoding="utf-8"), 3, ("schemas/package.yaml:", "not valid YAML")),
    Case("package: empty", write_file("schemas/package.yaml", ""), 3,
         ("schemas/package.yaml", "should be a valid dictionary")),
    Case("package: version that is not major.minor.patch",
         edit_package(lambda d: d.update(version="1.0")), 3,
         ("schemas/package.yaml: version", "(line 9)")),
    Case("package: minimum cell size 0", edit_package(lambda d: d.update(min_cell_size=0)), 3,
         ("schemas/package.yaml: min_cell_size", "greater than or equal to 1")),
    Case("package: minimum cell size in words",
         edit_package(lambda d: d.update(min_cell_size="five")), 3,
         ("schemas/package.yaml: min_cell_size", "valid integer")),
    Case("package: no languages", edit_package(lambda d: d.update(languages=[])), 3,
         ("schemas/package.yaml: languages", "at least 1 item")),
    Case("package: a language twice",
         edit_package(lambda d: d.update(languages=["en", "en", "da", "nb"])), 3,
         ("schemas/package.yaml", "languages: each language once")),
    Case("package: a language without texts",
         edit_package(lambda d: d.update(languages=["en", "da", "nb", "sv"])), 1,
         ("schemas/package.yaml:", "no sv text", "[missing-translation]")),
    Case("package: unknown access", edit_package(lambda d: d.update(access="secret")), 3,
         ("schemas/package.yaml: access", "not 'secret'")),
    Case("package: restricted without conditions of use",
         edit_package(lambda d: d.update(access="restricted")), 3,
         ("schemas/package.yaml", "access: restricted needs `conditions`")),
    Case("package: name with spaces", edit_package(lambda d: d.update(name="My Package")), 3,
         ("schemas/package.yaml: name", "(line 1)")),
    Case("package: missing reasons out of order",
         edit_package(lambda d: d["missing"].reverse()), 3,
         ("schemas/package.yaml", "missing must list exactly")),
    Case("package: licences not a list", edit_package(lambda d: d.update(licenses="CC-BY-4.0")),
         3, ("schemas/package.yaml: licenses", "valid list")),
    Case("package: synthetic neither true nor false",
         edit_package(lambda d: d.update(synthetic="maybe")), 3,
         ("schemas/package.yaml: synthetic", "valid boolean")),
    Case("package: municipality code width 0",
         edit_package(lambda d: d["municipality_references"]["no-2018"].update(width=0)), 3,
         ("schemas/package.yaml: municipality_references", "NO 2018 codes is 0", "`width`")),
    Case("package: a reference column that is not in the table",
         edit_package(lambda d: d["municipality_references"]["no-2018"].update(code="nummer")),
         3, (f"{NO_REFERENCE}: no column 'nummer'",)),
    Case("package: target vintage of another country",
         edit_package(lambda d: d["municipality_target"].update(no="dk-2007")), 3,
         ("schemas/package.yaml", "municipality_target no: 'dk-2007'")),
    # Reference tables
    Case("reference table empty", write_file(NO_REFERENCE, ""), 3,
         (f"{NO_REFERENCE}: cannot read the reference table", "reference/PROVENANCE.md")),
    Case("reference table with a header only",
         write_file(NO_REFERENCE, "kommunenummer,kommunenavn,fylkesnummer\n"), 3,
         (f"{NO_REFERENCE}: the reference table of NO 2018 lists no municipality",)),
    Case("reference table lists a code twice",
         lambda root: (root / NO_REFERENCE).write_text(
             (root / NO_REFERENCE).read_text(encoding="utf-8") + "0101,Halden igjen,01\n",
             encoding="utf-8"), 3,
         (f"{NO_REFERENCE}: code '0101' is listed more than once",)),
    Case("reference code that lost its leading zero",
         lambda root: (root / NO_REFERENCE).write_text(
             (root / NO_REFERENCE).read_text(encoding="utf-8").replace("\n0101,", "\n101,", 1),
             encoding="utf-8"), 3,
         (f"{NO_REFERENCE}: code '101' is not 4 digits", "leading zeros kept")),
    Case("reference table of binary garbage", write_file(NO_REFERENCE, bytes(range(256)) * 10),
         3, (f"{NO_REFERENCE}: cannot read the reference table",)),
    Case("reference table is a folder", folder_instead(NO_REFERENCE), 3,
         (f"{NO_REFERENCE}: reference table of NO 2018 not found",)),
    # The file system and what is on it (exit 3)
    Case("lock is a folder", both(NEW_VERSION, folder_instead("build/.lock")), 3,
         ("build/.lock: the lock is not a file coprod made", "remove it")),
    Case("lock is a link", both(NEW_VERSION, _lock_link), 3,
         ("build/.lock: the lock is not a file coprod made",)),
    Case("journal naming a file outside the package",
         both(NEW_VERSION, journal(lambda root: {
             "phase": "prepared", "folders": [], "files": [{
                 "tmp": str(root.parent / ".outside.txt.x.tmp"),
                 "target": str(root.parent / "outside.txt"), "backup": None}]})), 3,
         (f"{JOURNAL}: names ", "refusing to act on it", "nothing was changed")),
    Case("journal with a backup from elsewhere",
         both(NEW_VERSION, journal(lambda root: {
             "phase": "prepared", "folders": [], "files": [{
                 "tmp": str(root / "processed" / ".codebook.json.x.tmp"),
                 "target": str(root / "processed" / "codebook.json"),
                 "backup": str(root.parent / "planted.json")}]})), 3,
         (f"{JOURNAL}: names ", "planted.json", "refusing to act on it")),
    Case("journal swapping a folder outside the package",
         both(NEW_VERSION, journal(lambda root: {
             "phase": "committed", "files": [], "folders": [{
                 "staging": str(root.parent / ".x-1"), "target": str(root.parent),
                 "old": str(root.parent.with_name(f".{root.parent.name}-old"))}]})), 3,
         (f"{JOURNAL}: names ", "refusing to act on it")),
    Case("journal that is a list", both(NEW_VERSION, write_file(JOURNAL, "[1, 2, 3]")), 3,
         (f"{JOURNAL}: names [1, 2, 3]", "refusing to act on it")),
    Case("journal that is not JSON", both(NEW_VERSION, write_file(JOURNAL, "{broken")), 3,
         (f"{JOURNAL}: names None", "delete build/.publish-journal.json")),
    Case("build state is a folder", both(NEW_VERSION, folder_instead("build/state.json")), 3,
         ("build/state.json: is not a regular file", "remove it")),
    Case("stale backup that is a folder",
         both(NEW_VERSION, lambda root: (root / "processed" / ".codebook.json.previous").mkdir()),
         3, ("processed/.codebook.json.previous: cannot publish", "is a folder where a file")),
    Case("site set aside as a file", both(NEW_VERSION, write_file("build/.site-old", "x")), 3,
         ("build/.site-old: cannot publish", "remove or rename it")),
    Case("site folder is a link", both(NEW_VERSION, _site_elsewhere), 3,
         ("build/site: is not a folder coprod made (a link or a file)",)),
    Case("reports folder is a file, and the data invalid",
         both(set_cell(2, "virksomhetstype", "13"), file_instead("build/reports")), 3,
         ("build/reports/validation.json: cannot write", "remove or rename it")),
    # Signals (Ctrl-C) at moments spread over a build (exit 130)
    Case("Ctrl-C while validating the first source",
         NEW_VERSION, 130, INTERRUPTED, during=ctrl_c_at("validating dk-associations-2016")),
    Case("Ctrl-C while validating the last source",
         NEW_VERSION, 130, INTERRUPTED, during=ctrl_c_at("validating no-institutions-2022")),
    Case("Ctrl-C while harmonizing", NEW_VERSION, 130, INTERRUPTED,
         during=ctrl_c_at("harmonizing")),
    Case("Ctrl-C while the Parquet files are made", NEW_VERSION, 130, INTERRUPTED,
         during=ctrl_c_at("making processed/")),
    Case("Ctrl-C while the site is rendered", NEW_VERSION, 130, INTERRUPTED,
         during=ctrl_c_at("rendering the site")),
    Case("Ctrl-C while the outputs are staged", NEW_VERSION, 130, INTERRUPTED,
         during=ctrl_c_after("_stage_file", 2)),
    Case("Ctrl-C once the site is staged", NEW_VERSION, 130, INTERRUPTED,
         during=ctrl_c_after("_stage_folder")),
    Case("Ctrl-C once the journal is written", NEW_VERSION, 130, INTERRUPTED,
         during=ctrl_c_after("_write_atomically")),
    Case("Ctrl-C once the first output is in place", NEW_VERSION, 130, INTERRUPTED,
         during=ctrl_c_after("replace", 2)),
    Case("Ctrl-C once the old site is set aside", NEW_VERSION, 130, INTERRUPTED,
         during=ctrl_c_after("rename", 1)),
    Case("Ctrl-C once the new site is in place, before the commit", NEW_VERSION, 130,
         INTERRUPTED, during=ctrl_c_after("rename", 2)),
]


# --- running a case ---------------------------------------------------------------------------

def _leftovers(root: Path) -> list[str]:
    """What a publication stages or sets aside beside the outputs (hidden files and folders) and
    the journal: none of it may outlive a failed or interrupted run."""
    found = [p for folder in (root, root / "processed", root / "build") if folder.is_dir()
             for p in folder.glob(".*") if p.name != ".lock"]
    return sorted(p.relative_to(root).as_posix() for p in found)


@pytest.fixture(scope="module")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo package built once; each case starts from a copy of its build/ folder."""
    root = copy_package(tmp_path_factory.mktemp("built") / "demo")
    result = CliRunner().invoke(main, ["--root", str(root), "build"])
    assert result.exit_code == 0, result.output
    return root


def _invoke(root: Path, *args: str):  # noqa: ANN202
    return CliRunner().invoke(main, ["--root", str(root), *args])


def _clean(result, case: Case) -> None:  # noqa: ANN001
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        case.name, repr(result.exception))
    assert "Traceback" not in result.output, result.output
    assert "Internal error" not in result.output, result.output


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.xfail(reason=c.xfail, strict=True)) if c.xfail else c
    for c in CASES], ids=[c.name for c in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(case: Case, demo: Path,
                                                          built_demo: Path) -> None:
    shutil.copytree(built_demo / "build", demo / "build")
    before = published(demo)
    assert "build/site/index.html" in before and "datapackage.json" in before
    case.breaks(demo)
    planted = _leftovers(demo)  # a journal or a stale backup the case puts there itself

    if case.during is None:
        result = _invoke(demo, "build")
    else:
        with case.during():
            result = _invoke(demo, "build")
    _clean(result, case)
    assert result.exit_code == case.exit_code, result.output
    for fragment in case.expect:
        assert fragment in result.output, (fragment, result.output)
    if case.exit_code != 130:  # an interrupt has nothing to correct
        assert "→" in result.output, f"no advice on what to do:\n{result.output}"
    assert published(demo) == before, "a failed build changed its outputs"
    assert _leftovers(demo) == planted, "staging, backups or a journal were left behind"

    if case.source is not None:
        result = _invoke(demo, "validate", case.source, "--format", "json")
        _clean(result, case)
        assert result.exit_code == 1, result.output
        report = json.loads(result.stdout)
        [source] = report["sources"]
        assert source["id"] == case.source and not source["valid"]
        assert any(all(e.get(k) == v for k, v in case.error.items()) for e in source["errors"]), (
            case.error, source["errors"])
        assert published(demo) == before


def test_the_catalogue_has_at_least_100_cases() -> None:
    """Issue 14: at least 100 faults, of every kind: deliveries, codebooks, the file system,
    signals."""
    assert len(CASES) >= 100, len(CASES)
    assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"
    kinds = {"delivery": [c for c in CASES if c.source is not None],
             "codebook or package": [c for c in CASES if c.exit_code == 3 and any(
                 "schemas/" in e for e in c.expect)],
             "privacy": [c for c in CASES if c.exit_code == 4],
             "file system": [c for c in CASES if any(
                 e.startswith(("build/", JOURNAL)) for e in c.expect)],
             "signal": [c for c in CASES if c.during is not None]}
    assert all(len(cases) >= 5 for cases in kinds.values()), {
        k: len(v) for k, v in kinds.items()}


# --- accepted with a warning, not refused ------------------------------------------------------


def test_a_bom_in_a_utf8_file_is_harmless(demo: Path) -> None:
    as_utf8(change=lambda t: "\ufeff" + t)(demo)
    result = _invoke(demo, "validate", NO, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sources"][0]["rows"] == 1004


def test_decomposed_letters_in_values_are_composed_and_reported(demo: Path) -> None:
    as_utf8(change=lambda t: t.replace("godt med idrettslaget", _nfd("godt med Åse"), 1))(demo)
    result = _invoke(demo, "validate", NO, "--format", "json")
    assert result.exit_code == 0, result.output
    [source] = json.loads(result.stdout)["sources"]
    assert source["valid"]
    [warning] = source["warnings"]
    assert f"{NO_FILE}: line 7: row 6, column kommentar, value" in warning
    assert "decomposed letters (Unicode NFD); read as composed (NFC)" in warning


def test_a_quoted_line_break_alone_is_valid_and_keeps_rows_on_their_lines(demo: Path) -> None:
    def change(lines: list[str]) -> None:
        cells = lines[6].split(";")
        cells[15] = '"Vi samarbeider godt\r\nmed idrettslaget."'
        lines[6] = ";".join(cells)

    edit_lines(change)(demo)
    from coprod import pipeline
    from coprod.project import Project
    from coprod.read import read_source

    project = Project(demo)
    codebooks = pipeline.load(project)
    raw = read_source(project, codebooks.sources[NO])
    assert raw.frame.height == 1004
    assert raw.frame["kommentar"][5] == "Vi samarbeider godt\r\nmed idrettslaget."
    assert [raw.line(r) for r in (5, 6, 7, 1004)] == [6, 7, 9, 1006]
    assert pipeline.validate(project, codebooks, [NO]).report.valid


def test_decomposed_letters_in_an_spss_string_are_composed_and_reported(demo: Path) -> None:
    sav(lambda f, _: f.with_columns(
        pl.when(pl.int_range(pl.len()) == 2).then(pl.lit(_nfd("Vi mødes på Åen")))
        .otherwise(pl.col("bemaerkninger")).alias("bemaerkninger")))(demo)
    result = _invoke(demo, "validate", DK, "--format", "json")
    assert result.exit_code == 0, result.output
    [source] = json.loads(result.stdout)["sources"]
    [warning] = source["warnings"]
    assert f"{DK_FILE}: row 3, column bemaerkninger" in warning
    assert "read as composed (NFC) 'Vi mødes på Åen'" in warning
