"""The privacy gate: nothing that identifies a person is published (DESIGN §6).

Every file about to be published is scanned before anything is written: the values and metadata
of Parquet files, and the text of everything else. A hit stops the build with exit code 4, naming
the file and the field. Parquet files are scanned from the Arrow table they are written from
(the same values and metadata, without reading the bytes back). Control digits of Danish and
Norwegian identity numbers are used only to raise confidence in a hit, never to clear one: real
numbers exist that fail the old modulus checks.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from .errors import PrivacyError

if TYPE_CHECKING:
    import pyarrow as pa

# ddmmyy-xxxx, with or without the hyphen (CPR); ddmmyyxxxxx (fødselsnummer, D- and H-numbers).
CPR = re.compile(r"(?<![\w.,-])(\d{2})(\d{2})(\d{2})-?(\d{4})(?![\w-])")
FODSELSNUMMER = re.compile(r"(?<![\w.,-])(\d{2})(\d{2})(\d{2})(\d{5})(?![\w-])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
# Eight-digit Danish and Norwegian numbers written as a phone number: with a country code, or in
# groups of two or of 3-2-3 digits. A bare eight-digit run is too common in data to flag.
PHONE = re.compile(r"(?<![\w.,])(?:(?:\+|00)(?:45|47)[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}"
                   r"|\d{2} \d{2} \d{2} \d{2}|\d{3} \d{2} \d{3})(?![\w.,])")
# Keeps every value the patterns above can match, and few others, so that a column of a million
# values is sifted by Arrow (RE2, on the column as it is, without the GIL) and only the kept
# values meet the Python patterns: six digits after the start or a character that is not an
# ASCII word character or one of ".,-" (wider than the patterns' look-behind, whose \w is
# Unicode: a superset); an "@" between letters, digits or "_.+-" (an "@" alone is in every
# binary number that starts with 0x40); a digit, a space and a digit; a +45/+47/0045/0047
# prefix. \p{Nd} is what Python's \d is, a decimal digit of any script, and \pL\pN hold what
# its \w is besides "_".
PREFILTER = (r"(?:^|[^0-9A-Za-z_.,-])\p{Nd}{6}|[\pL\pN_.+-]@[\pL\pN_-]|\p{Nd} \p{Nd}"
             r"|(?:\+|00)4[57]")
NOT_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffd]+")


@dataclass(frozen=True)
class Hit:
    file: str
    field: str  # a column, a metadata key, or a line number
    kind: str
    text: str

    def __str__(self) -> str:
        masked = self.text[:2] + "…" if len(self.text) > 2 else "…"
        return f"{self.file}: {self.field}: looks like {self.kind} ({masked})"


def _is_date(day: int, month: int, year: int) -> bool:
    try:
        date(1900 + year, month, day)
    except ValueError:
        return False
    return True


def _cpr(match: re.Match) -> str | None:
    day, month, year = (int(g) for g in match.groups()[:3])
    return "a CPR number" if _is_date(day, month, year) else None


def _fodselsnummer(match: re.Match) -> str | None:
    day, month, year = (int(g) for g in match.groups()[:3])
    if day > 40:
        day -= 40  # D-number
    if month > 40:
        month -= 40  # H-number
    if not _is_date(day, month, year):
        return None
    digits = [int(c) for c in match.group(0)]
    k1 = 11 - sum(w * d for w, d in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), digits, strict=False)) % 11
    k2 = 11 - sum(w * d for w, d in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), digits, strict=False)) % 11
    valid = (k1 % 11, k2 % 11) == (digits[9], digits[10])
    return "a fødselsnummer (control digits valid)" if valid else "a fødselsnummer"


def scan_text(text: str, local: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(kind, matched text) for everything in ``text`` that looks personal, or names a local
    path (the package folder or the home folder of whoever builds it)."""
    for path in local:
        if path in text:
            yield "a local path", path
    for match in FODSELSNUMMER.finditer(text):
        if kind := _fodselsnummer(match):
            yield kind, match.group(0)
    for match in CPR.finditer(text):
        if kind := _cpr(match):
            yield kind, match.group(0)
    for match in EMAIL.finditer(text):
        yield "an e-mail address", match.group(0)
    for match in PHONE.finditer(text):
        yield "a phone number", match.group(0)


def _kept(values: pa.Array | pa.ChunkedArray, local: tuple[str, ...]
          ) -> pa.Array | pa.ChunkedArray:
    """Which values the prefilter keeps, or hold a local path: one pass of RE2, the paths
    joining the pattern as literals (``\\Q...\\E``)."""
    import pyarrow.compute as pc

    quoted = [path for path in local if r"\E" not in path]
    kept = pc.match_substring_regex(
        values, "|".join([PREFILTER, *(rf"\Q{path}\E" for path in quoted)]))
    for path in set(local) - set(quoted):
        kept = pc.or_(kept, pc.match_substring(values, path))
    return kept


def _candidates(columns: Mapping[str, pa.ChunkedArray], local: tuple[str, ...]
                ) -> dict[str, list[str]]:
    """The distinct values of each string column that the prefilter (or a local path) keeps;
    the columns are sifted on two threads."""
    import pyarrow.compute as pc

    def sift(values: pa.ChunkedArray) -> list[str]:
        sample = values.slice(0, 1 << 16)
        if pc.count_distinct(sample).as_py() < len(sample) // 2:
            values = pc.unique(values)  # a few hundred places among a million rows: sift those
        kept = pc.filter(values, _kept(values, local))
        return sorted(v for v in pc.unique(kept).to_pylist() if v is not None)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(columns, pool.map(sift, columns.values()), strict=True))


def scan_table(name: str, table: pa.Table, local: tuple[str, ...] = ()) -> Iterator[Hit]:
    """Hits in an Arrow table: schema and field metadata, string values and dictionaries."""
    import pyarrow as pa

    for key, value in (table.schema.metadata or {}).items():
        for kind, text in scan_text(value.decode("utf-8", "replace"), local):
            yield Hit(name, f"metadata {key.decode()}", kind, text)
    strings = {}
    for field in table.schema:
        for key, value in (field.metadata or {}).items():
            for kind, text in scan_text(value.decode("utf-8", "replace"), local):
                yield Hit(name, f"{field.name} metadata {key.decode()}", kind, text)
        column = table.column(field.name)
        if pa.types.is_dictionary(column.type):  # every dictionary value, used or not
            column = pa.chunked_array([chunk.dictionary for chunk in column.chunks],
                                      column.type.value_type)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            strings[field.name] = column
    for column, values in _candidates(strings, local).items():
        for value in values:
            for kind, text in scan_text(value, local):
                yield Hit(name, f"column {column}", kind, text)


def _scan_file(name: str, data: bytes, local: tuple[str, ...]) -> Iterator[Hit]:
    if PurePath(name).suffix == ".parquet":
        import pyarrow.parquet as pq

        # ParquetFile, not read_table: the latter loads pyarrow.dataset, which imports pandas
        yield from scan_table(name, pq.ParquetFile(io.BytesIO(data)).read(), local)
        return
    import polars as pl

    # Runs of text between control characters (and bytes that are not UTF-8): no pattern
    # matches across one, and in a binary export (.sav, .dta) the runs are its strings.
    runs = [(number, run) for number, line in enumerate(
                data.decode("utf-8", "replace").splitlines(), start=1)
            for run in NOT_TEXT.split(line) if run]
    # (Made by polars: pa.array on Python strings would import pandas, half a second.)
    texts = pl.Series([run for _, run in runs], dtype=pl.String)
    kept = _kept(texts.to_arrow(compat_level=pl.CompatLevel.oldest()), local).to_pylist()
    for (number, run), keep in zip(runs, kept, strict=True):  # the sieve, as for columns
        if keep:
            for kind, found in scan_text(run, local):
                yield Hit(name, f"line {number}", kind, found)


def local_paths(root: Path) -> tuple[str, ...]:
    """Paths of this machine that must not be published: the package folder and the home
    folder (which holds the user name)."""
    home = Path.home()
    paths = {str(root.resolve())} | ({str(home)} if len(home.parts) > 1 else set())
    return tuple(sorted(paths, key=len, reverse=True))


def scan(files: Mapping[str, bytes | pa.Table], local: tuple[str, ...] = ()) -> list[Hit]:
    """Everything that looks personal in the files about to be published, by name; a Parquet
    file may be given as the Arrow table it is written from."""
    return [hit for name, data in sorted(files.items())
            for hit in (_scan_file(name, data, local) if isinstance(data, bytes)
                        else scan_table(name, data, local))]


def check(files: Mapping[str, bytes | pa.Table], local: tuple[str, ...] = ()) -> None:
    """Raise PrivacyError (exit 4) naming every file and field that looks personal."""
    refuse(scan(files, local))


def refuse(hits: list[Hit]) -> None:
    """Raise PrivacyError (exit 4) naming every hit, if there are any."""
    if hits:
        shown = "\n  ".join(str(h) for h in hits[:20])
        more = f"\n  … and {len(hits) - 20} more" if len(hits) > 20 else ""
        raise PrivacyError(f"personal data would be published; nothing was written:\n  {shown}"
                           f"{more}", hint="remove it from the codebook or raw data, or mark the "
                                           "column free_text so it is never published")
