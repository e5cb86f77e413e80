"""Read a raw extract as its codebook declares it: SPSS through pyreadstat (user-missing codes kept
as values, value labels kept as metadata), CSV through polars after a strict decode in the declared
encoding. Nothing is interpreted here: CSV cells stay text so that validation can report the value
exactly as it stands in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from .codebook import SourceCodebook
from .errors import RawFileError
from .project import Project


@dataclass(frozen=True)
class RawTable:
    """A raw file as read: the frame and what is needed to point back into the file."""

    source_id: str
    file: str  # relative to the package root, as shown in messages
    frame: pl.DataFrame
    header_lines: int = 1  # physical lines before the first data row (CSV)
    value_labels: dict[str, dict] = field(default_factory=dict)  # SPSS value labels per variable
    physical_lines: bool = True  # whether data row N sits on line N + header_lines

    def line(self, row: int) -> int | None:
        """The physical line in the file of a 1-based data row, where the file has lines."""
        return row + self.header_lines if self.physical_lines else None


def read_source(project: Project, source: SourceCodebook) -> RawTable:
    path = project.resolve(source.file, what=f"{source.id}: file")
    shown = project.relative(path)
    if not path.is_file():
        raise RawFileError(f"{shown}: raw file of {source.id} not found",
                           hint=f"put the extract there or correct `file` in schemas/sources/"
                                f"{source.id}.yaml")
    if source.format == "spss":
        return _read_spss(source, path, shown)
    return _read_csv(source, path, shown)


def _read_spss(source: SourceCodebook, path: Path, shown: str) -> RawTable:
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True, output_format="polars")
    except Exception as exc:  # pyreadstat raises its own error types for every broken file
        raise RawFileError(f"{shown}: not a readable SPSS .sav file ({exc})",
                           hint="re-export the file from SPSS, or check `format` in the codebook"
                           ) from None
    # pyreadstat gives system-missing numerics as NaN and empty strings as "": both are blanks.
    frame = frame.with_columns(
        [pl.col(c).fill_nan(None) for c, t in frame.schema.items() if t.is_float()]
        + [pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c)
           for c, t in frame.schema.items() if t == pl.String]
    )
    return RawTable(source.id, shown, frame, header_lines=0, physical_lines=False,
                    value_labels=dict(meta.variable_value_labels))


def _read_csv(source: SourceCodebook, path: Path, shown: str) -> RawTable:
    dialect = source.dialect
    data = path.read_bytes()
    if not data.strip():
        raise RawFileError(f"{shown}: the file is empty", hint="export the extract again")
    try:
        text = data.decode(dialect.encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RawFileError(
            f"{shown}: line {line}: byte {data[exc.start:exc.start + 1]!r} is not valid "
            f"{dialect.encoding}",
            hint=f"save the file as {dialect.encoding}, or correct dialect.encoding in "
                 f"schemas/sources/{source.id}.yaml",
        ) from None
    except LookupError:
        raise RawFileError(f"{shown}: unknown encoding {dialect.encoding!r} in the codebook"
                           ) from None
    try:
        frame = pl.read_csv(
            text.encode("utf-8"),
            separator=dialect.delimiter,
            quote_char=dialect.quotechar,
            infer_schema=False,
            raise_if_empty=True,
        )
    except (pl.exceptions.PolarsError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RawFileError(f"{shown}: cannot be parsed as {dialect.delimiter!r}-separated "
                           f"text ({first})",
                           hint="check the delimiter, quoting and row lengths") from None
    # Quoted newlines shift rows off their physical lines; then only the data row is reported.
    newlines = text.count("\n") + (0 if text.endswith("\n") else 1)
    return RawTable(source.id, shown, frame, header_lines=1,
                    physical_lines=newlines == frame.height + 1)
