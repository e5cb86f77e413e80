"""A delivered file as read for drafting its codebook: delimited text (its dialect sniffed),
SPSS (.sav, .zsav) and Stata (.dta) files with their labels, missing values, measures and
multiple-response sets, spreadsheets (.xlsx, .ods)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..errors import RawFileError


@dataclass(frozen=True)
class Delivery:
    """A delivered file as read for drafting."""

    frame: pl.DataFrame  # delimited text: every cell as text; SPSS: as pyreadstat types it
    format: str  # csv | spss
    dialect: dict | None = None
    questions: dict[str, str] = field(default_factory=dict)  # SPSS variable labels
    value_labels: dict[str, dict] = field(default_factory=dict)
    user_missing: dict[str, list] = field(default_factory=dict)  # SPSS: discrete codes
    missing_ranges: dict[str, list[tuple]] = field(default_factory=dict)  # SPSS: lo < hi
    evidence: tuple[str, ...] = ()
    measures: dict[str, str] = field(default_factory=dict)  # SPSS: nominal, ordinal, scale
    groups: dict[str, tuple[str, str]] = field(default_factory=dict)  # variable -> MR set, label
    tagged: dict[str, pl.Series] = field(default_factory=dict)  # Stata: ".a" where missing
    sheet: str | None = None  # a spreadsheet's sheet
    header_row: int = 1


# --- reading ---------------------------------------------------------------------------------


def code_of(value: object) -> object:
    """A code as a codebook writes it: 7.0 is 7."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


FORMATS = {".sav": "spss", ".zsav": "spss", ".dta": "stata", ".xlsx": "spreadsheet",
           ".xlsm": "spreadsheet", ".ods": "spreadsheet", ".xls": "spreadsheet"}


def delivery_format(path: Path) -> str:
    """The codebook's `format` of a delivered file, by its name (delimited text otherwise)."""
    return FORMATS.get(path.suffix.lower(), "csv")


def read_delivery(path: Path, shown: str, *, sheet: str | None = None,
                  header_row: int = 1) -> Delivery:
    kind = delivery_format(path)
    if kind in ("spss", "stata"):
        return _read_labelled(path, shown, kind)
    if kind == "spreadsheet":
        return _read_spreadsheet(path, shown, sheet, header_row)
    if path.suffix.lower() == ".por":
        raise RawFileError(f"{shown}: an SPSS portable (.por) file cannot be read",
                           hint="export the delivery as SPSS .sav or as delimited text")
    return _read_text(path, shown)


def _read_spreadsheet(path: Path, shown: str, name: str | None, header_row: int) -> Delivery:
    """A sheet (default: the first), its header on ``header_row``."""
    from ..sheets import read_sheet

    sheet = read_sheet(path, shown, name, header_row)
    return Delivery(sheet.frame, "spreadsheet", None, evidence=(
        f"sheet {sheet.name!r}, header on row {sheet.header_row}",), sheet=sheet.name,
        header_row=sheet.header_row)


def _read_labelled(path: Path, shown: str, kind: str) -> Delivery:
    """An SPSS (.sav, .zsav) or Stata (.dta) file, with its labels, missing values, measures
    and multiple-response sets."""
    import pyreadstat

    reader = pyreadstat.read_sav if kind == "spss" else pyreadstat.read_dta
    try:
        frame, meta = reader(str(path), user_missing=True, output_format="polars")
    except Exception as exc:  # pyreadstat's own error types
        raise RawFileError(f"{shown}: not a readable {'SPSS' if kind == 'spss' else 'Stata'} "
                           f"file ({exc})", hint="export the delivery again") from None
    tagged = {}
    for name, dtype in frame.schema.items():
        if dtype == pl.Object:  # Stata: numbers and the letters of extended missing values
            values = frame[name].to_list()
            tagged[name] = pl.Series(name, [f".{v}" if isinstance(v, str) else None
                                            for v in values], dtype=pl.String)
            frame = frame.with_columns(pl.Series(name, [None if isinstance(v, str) else v
                                                        for v in values], dtype=pl.Float64))
    frame = frame.with_columns(
        [pl.col(c).fill_nan(None) for c, t in frame.schema.items() if t.is_float()]
        + [pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c)
           for c, t in frame.schema.items() if t == pl.String])
    discrete: dict[str, list] = {}
    ranges: dict[str, list[tuple]] = {}
    for name, spans in (meta.missing_ranges or {}).items():
        for span in spans:
            if span["lo"] == span["hi"]:
                discrete.setdefault(name, []).append(code_of(span["lo"]))
            else:
                ranges.setdefault(name, []).append((code_of(span["lo"]), code_of(span["hi"])))
    for name, values in (getattr(meta, "missing_user_values", None) or {}).items():
        # Stata gives the letters of its extended missing values: written .a in a codebook
        discrete.setdefault(name, []).extend(f".{v}" if kind == "stata" else code_of(v)
                                             for v in values)
    labels = {k: {(f".{c}" if kind == "stata" and isinstance(c, str) else code_of(c)): t
                  for c, t in v.items()}
              for k, v in (meta.variable_value_labels or {}).items()}
    groups = {}
    for set_name, spec in (getattr(meta, "mr_sets", None) or {}).items():
        for variable in spec.get("variable_list", []):
            groups[variable] = (set_name, spec.get("label") or set_name)
    measures = {k: v for k, v in (getattr(meta, "variable_measure", None) or {}).items()
                if v in ("nominal", "ordinal", "scale")}
    return Delivery(frame, kind, None,
                    {k: v for k, v in (meta.column_names_to_labels or {}).items() if v},
                    labels, discrete, ranges,
                    (f"{'SPSS' if kind == 'spss' else 'Stata'} file: variable and value labels "
                     "read from it",), measures, groups, tagged)


def _read_text(path: Path, shown: str) -> Delivery:
    from .sniff import sniff

    sniffed = sniff(path.read_bytes(), shown)
    dialect = {"encoding": sniffed.encoding, "delimiter": sniffed.delimiter,
               "decimal": sniffed.decimal, "quotechar": sniffed.quotechar,
               "line_terminator": sniffed.line_terminator}
    try:
        frame = pl.read_csv(sniffed.text.encode("utf-8"), separator=sniffed.delimiter,
                            quote_char=sniffed.quotechar, infer_schema=False)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise RawFileError(f"{shown}: cannot be read as {sniffed.delimiter!r}-separated "
                           f"{sniffed.encoding} text ({first})",
                           hint="check the file: its rows may have different numbers of "
                                "fields") from None
    frame = frame.with_columns(pl.when(pl.col(c).str.strip_chars() == "").then(None)
                               .otherwise(pl.col(c)).alias(c) for c in frame.columns)
    evidence = sniffed.evidence
    # The cells decide the decimal mark where the raw text cannot: "1,25" quoted in a
    # comma-separated file is a number with a decimal comma.
    commas = [c for c in frame.columns if frame[c].drop_nulls().len() and frame.select(
        pl.col(c).str.strip_chars().str.contains(r"^-?\d+(,\d+)?$").all()
        & pl.col(c).str.contains(",", literal=True).any()).item()]
    if commas and dialect["decimal"] == ".":
        dialect["decimal"] = ","
        evidence = (*(e for e in evidence if not e.startswith("decimal ")),
                    f"decimal ',': the cells of {commas[0]} are numbers such as "
                               f"{frame[commas[0]].drop_nulls()[0]!r}")
    return Delivery(frame, "csv", dialect, evidence=evidence)


