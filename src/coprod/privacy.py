"""The privacy gate: nothing that identifies a person is published (DESIGN §6).

Every file about to be published is scanned before anything is written: the values and metadata
of Parquet files, and the text of everything else. A hit stops the build with exit code 4, naming
the file and the field. Parquet files are scanned from the Arrow table they are written from
(the same values and metadata, without reading the bytes back). Control digits of Danish and
Norwegian identity numbers are used only to raise confidence in a hit, never to clear one: real
numbers exist that fail the old modulus checks.
"""

from __future__ import annotations

import bisect
import io
import re
from collections.abc import Collection, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from .errors import PrivacyError

if TYPE_CHECKING:
    import pyarrow as pa

# The separators written between the date and the serial number of a CPR number or
# fødselsnummer: a hyphen-minus, the hyphens and dashes a word processor or a PDF puts in its
# place (hyphen, non-breaking hyphen, figure dash, en dash, minus sign), or a space. Not the em
# dash, which sets off a clause rather than joins a number. The no-break spaces count as spaces: a
# word processor puts them in to keep a number on one line.
DASHES = "\\-\u2010\u2011\u2012\u2013\u2212"
SPACES = " \u00a0\u202f"
_S = f"[{SPACES}]"
# ddmmyy-xxxx (CPR) and ddmmyy-xxxxx (fødselsnummer, D- and H-numbers), each also without the
# separator. A number glued to a word, a decimal mark or a dash is part of something else.
IDENTITY_NUMBER = re.compile(rf"(?<![\w.,{DASHES}])(\d{{2}})(\d{{2}})(\d{{2}})[{DASHES}{SPACES}]?"
                             rf"(\d{{4}})(\d?)(?![\w{DASHES}])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
# Eight-digit Danish and Norwegian numbers written as a phone number:
# - after a country code (+45, +47, 0045, 0047, also in brackets), in any grouping;
# - after a word that says so ("tlf. 22334455"; tlf, tel, telefon, mobil, phone, ...), likewise;
# - alone, in the groupings people write (22 33 44 55, 2233 4455, 223 34 455), beginning with 2-9
#   as every Danish and Norwegian eight-digit number does (0 and 1 begin short codes), and not a
#   slice of a longer run of numbers ("10 20 30 40 50").
# A bare eight-digit run is too common in data (ids, dates written 20240315, counts) to flag
# without one of these contexts, and so are groups joined by hyphens ("2018-2022").
_GAP = f"[{SPACES}-]?"
_EIGHT = rf"\d{{2}}{_GAP}\d{{2}}{_GAP}\d{{2}}{_GAP}\d{{2}}|\d{{3}}{_GAP}\d{{2}}{_GAP}\d{{3}}"
_COUNTRY = rf"\(?(?:\+|00)4[57]\)?{_GAP}"
_SAYS_PHONE = (r"(?<!\w)(?ai:tlf|tel(?:efon|ephone)?|phone|mob(?:il(?:e|telefon)?)?)"
               rf"(?:\.?[ ]?(?ai:nr|nummer|no|number))?\.?:?[\t{SPACES}]*")
_GROUPED = (rf"[2-9]\d{_S}\d{{2}}{_S}\d{{2}}{_S}\d{{2}}|[2-9]\d{{3}}{_S}\d{{4}}"
            rf"|[2-9]\d{{2}}{_S}\d{{2}}{_S}\d{{3}}")
PHONE = re.compile(rf"(?:(?<![\w.,+])(?P<country>{_COUNTRY}(?:{_EIGHT}))"
                   rf"|{_SAYS_PHONE}(?P<said>(?:{_COUNTRY})?(?:{_EIGHT}))"
                   rf"|(?<![\w.,])(?<!\d{_S})(?P<grouped>{_GROUPED})(?!{_S}\d))"
                   r"(?!\w|[.,]\d)")
# Somebody's home folder, which holds their user name, in any system's spelling: /home/<user>
# (also below a mount: /var/home/, /mnt/c/Users/), macOS /Users/<user>, Windows C:\Users\<user>
# (any drive, either slash, Documents and Settings too, and the doubled backslashes of JSON), a
# \Users\ folder on a share, a UNC home share \\server\home$\<user>, and ~<user>/. A POSIX path
# begins at the start, after a space, quote, bracket or list separator, or after file://:
# "/home/" or "~user" inside a URL (https://example.org/home/) names a web page, not somebody's
# folder. The shared folders (Public, Default, All Users, macOS Shared) are nobody's, and /root is
# not a person's: neither is flagged.
# (A folder of a POSIX path holds none of the characters it may begin after, and a run of
# backslashes is tried from its first: the paths tried from each beginning never overlap, so the
# search stays linear in the text.)
_BEFORE_PATH = r"\s\"'`(\[{<>=:;,|"
_USER = r"(?!(?ai:public|default(?: user)?|all users|shared)(?![\w.-]))\w[\w.-]*"
HOME = re.compile(
    rf"(?<!\w)[A-Za-z]:[\\/]+(?ai:users|documents and settings)[\\/]+{_USER}"
    rf"|(?<!\\)\\{{2,}}[^\\/\s]+\\+(?ai:homes?|users|profiles?)\$?\\+{_USER}"
    rf"|(?<!\\)\\+(?ai:users|documents and settings)\\+{_USER}"
    rf"|(?:(?<=file://)|(?<![^{_BEFORE_PATH}]))(?:/[^{_BEFORE_PATH}/\\]+)*?/(?:home|Users)/{_USER}"
    rf"|(?<![^{_BEFORE_PATH}])~(?![\d_])\w[\w.-]+/")

# A sieve for each pattern, for RE2 (Arrow), keeping every value the pattern can match and few
# others: a column of a million values is sifted by Arrow (on the column as it is, without the
# GIL) and only the kept values meet the Python patterns, each value only those whose sieve kept
# it. Each sieve loosens its pattern: a look-behind becomes "the start or a character that is not
# an ASCII word character" (the patterns' \w is Unicode: wider, so the sieve keeps more), \p{Nd}
# is what Python's \d is (a decimal digit of any script), \pL\pN hold what its \w is besides "_",
# and RE2's (?i) folds more than the patterns' ASCII-only (?ai), never less.
_NS = r"[ \x{a0}\x{202f}]"
SIEVES = {
    # ten digits, a separator allowed after the sixth
    "identity number": r"(?:^|[^0-9A-Za-z_.,-])\p{Nd}{6}"
                       r"[-\x{2010}-\x{2013}\x{2212} \x{a0}\x{202f}]?\p{Nd}{4}",
    # an "@" between letters, digits or "_.+-" (an "@" alone is in every binary number that
    # starts with 0x40)
    "e-mail": r"[\pL\pN_.+-]@[\pL\pN_-]",
    # a country code; a word that says phone and a digit; the three groupings of a bare number
    "phone": r"(?:^|[^0-9A-Za-z_])(?:\+|00)4[57]"
             r"|(?:^|[^0-9A-Za-z_])(?i:tlf|tel(?:efon|ephone)?|phone|mob(?:il(?:e|telefon)?)?)"
             r"(?i:\.? ?(?:nr|nummer|no|number))?\.?:?[\t \x{a0}\x{202f}]*\(?\+?\p{Nd}"
             rf"|(?:^|[^0-9A-Za-z_.,])(?:[2-9]\p{{Nd}}{_NS}\p{{Nd}}{{2}}{_NS}\p{{Nd}}{{2}}{_NS}"
             rf"\p{{Nd}}{{2}}|[2-9]\p{{Nd}}{{3}}{_NS}\p{{Nd}}{{4}}"
             rf"|[2-9]\p{{Nd}}{{2}}{_NS}\p{{Nd}}{{2}}{_NS}\p{{Nd}}{{3}})",
    # a users, home or profiles folder between slashes; "~" and a letter
    "home folder": r"(?i:[\\/](?:users|homes?|profiles?|documents and settings)\$?[\\/])"
                   r"|~[\pL\pN]",
}
PREFILTER = "|".join(SIEVES.values())
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
    """Whether day.month.yy is a date in some century: 29.02.00 is one (2000 was a leap year)."""
    for century in (1900, 2000):
        try:
            date(century + year, month, day)
        except ValueError:
            continue
        return True
    return False


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
    digits = [int(c) for c in "".join(match.groups())]  # without the separator
    k1 = 11 - sum(w * d for w, d in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), digits, strict=False)) % 11
    k2 = 11 - sum(w * d for w, d in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), digits, strict=False)) % 11
    valid = (k1 % 11, k2 % 11) == (digits[9], digits[10])
    return "a fødselsnummer (control digits valid)" if valid else "a fødselsnummer"


def _identity_numbers(text: str, local: list[tuple[int, int]]) -> Iterator[tuple[str, str]]:
    for match in IDENTITY_NUMBER.finditer(text):
        if kind := (_fodselsnummer if match.group(5) else _cpr)(match):
            yield kind, match.group(0)


def _emails(text: str, local: list[tuple[int, int]]) -> Iterator[tuple[str, str]]:
    for match in EMAIL.finditer(text):
        yield "an e-mail address", match.group(0)


def _phones(text: str, local: list[tuple[int, int]]) -> Iterator[tuple[str, str]]:
    for match in PHONE.finditer(text):  # the number, with its country code but not the word
        yield "a phone number", match["country"] or match["said"] or match["grouped"]


def _home_folders(text: str, local: list[tuple[int, int]]) -> Iterator[tuple[str, str]]:
    for match in HOME.finditer(text):
        # a local path already reported (the builder's own home folder) is not reported again
        if not any(start < match.end() and match.start() < end for start, end in local):
            yield "a user's home folder", match.group(0)


_FINDERS = {"identity number": _identity_numbers, "e-mail": _emails, "phone": _phones,
            "home folder": _home_folders}


def scan_text(text: str, local: tuple[str, ...] = (),
              patterns: Collection[str] = tuple(SIEVES)) -> Iterator[tuple[str, str]]:
    """(kind, matched text) for everything in ``text`` that looks personal, or names a local
    path (the package folder or the home folder of whoever builds it). ``patterns`` (names of
    ``SIEVES``) limits the search to those whose sieve kept the text."""
    spans = []
    for path in local:
        start = text.find(path)
        if start >= 0:
            yield "a local path", path
        while start >= 0:
            spans.append((start, start + len(path)))
            start = text.find(path, start + 1)
    for name, find in _FINDERS.items():
        if name in patterns:
            yield from find(text, spans)


def _patterns(values: pa.Array) -> list[frozenset[str]]:
    """For each kept value, the names of the sieves that keep it: a pass of RE2 a sieve, over
    the few kept values only."""
    import pyarrow.compute as pc

    kept = [pc.match_substring_regex(values, sieve).to_pylist() for sieve in SIEVES.values()]
    return [frozenset(name for name, keep in zip(SIEVES, row, strict=True) if keep)
            for row in zip(*kept, strict=True)]


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
                ) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """The distinct values of each string column that the prefilter (or a local path) keeps,
    each with the patterns to look for in it; the columns are sifted on two threads."""
    import pyarrow.compute as pc

    def sift(values: pa.ChunkedArray) -> list[tuple[str, frozenset[str]]]:
        sample = values.slice(0, 1 << 16)
        if pc.count_distinct(sample).as_py() < len(sample) // 2:
            values = pc.unique(values)  # a few hundred places among a million rows: sift those
        kept = pc.drop_null(pc.unique(pc.filter(values, _kept(values, local))))
        if not len(kept):  # most columns of most batches: no pattern to compile
            return []
        return sorted(zip(kept.to_pylist(), _patterns(kept), strict=True),
                      key=lambda candidate: candidate[0])

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
        for value, patterns in values:
            for kind, text in scan_text(value, local, patterns):
                yield Hit(name, f"column {column}", kind, text)


def _scan_file(name: str, data: bytes, local: tuple[str, ...]) -> Iterator[Hit]:
    if PurePath(name).suffix == ".parquet":
        import pyarrow.parquet as pq

        # ParquetFile, not read_table: the latter loads pyarrow.dataset, which imports pandas
        yield from scan_table(name, pq.ParquetFile(io.BytesIO(data)).read(), local)
        return
    yield from _scan_texts({name: data}, local)


def _scan_texts(files: Mapping[str, bytes], local: tuple[str, ...]) -> Iterator[Hit]:
    """Hits in files read as text, file by file in the order given, line by line. The lines of
    all the files are sifted together, in one pass of RE2 (a pass per file compiled the sieve
    once per file, and splitting every line into runs in Python took longer still: most of
    the time of checking a site of hundreds of pages); the few lines kept are split into runs
    and sifted again as before. A line holds every run the sieve keeps in it: a run begins after
    a control character, which each sieve's "the start or a character that is not a word
    character" takes as it takes the start."""
    import pyarrow.compute as pc

    lines: list[str] = []
    ends: list[int] = []  # where each file's lines end among ``lines``
    for data in files.values():
        lines += data.decode("utf-8", "replace").splitlines()
        ends.append(len(lines))
    sifted = pc.indices_nonzero(_kept(_strings(lines), local)).to_pylist()
    # Runs of text between control characters (and bytes that are not UTF-8): no pattern
    # matches across one, and in a binary export (.sav, .dta) the runs are its strings.
    runs = [(line, run) for line in sifted for run in NOT_TEXT.split(lines[line]) if run]
    texts = _strings([run for _, run in runs])
    indices = pc.indices_nonzero(_kept(texts, local))  # the sieve, as for columns
    kept = texts.take(indices)
    names = list(files)
    for index, run, patterns in zip(indices.to_pylist(), kept.to_pylist(), _patterns(kept),
                                    strict=True):
        line = runs[index][0]
        file = bisect.bisect_right(ends, line)
        number = line - (ends[file - 1] if file else 0) + 1
        for kind, found in scan_text(run, local, patterns):
            yield Hit(names[file], f"line {number}", kind, found)


TEXT_BATCH = 1 << 23  # bytes of text files sifted together: 8 MB, or one larger file


def _batches(files: Mapping[str, bytes]) -> Iterator[dict[str, bytes]]:
    """The files in batches of about TEXT_BATCH bytes, so that the lines held at once stay
    as few as a file's when the downloads are large (a million rows)."""
    batch: dict[str, bytes] = {}
    size = 0
    for name, data in files.items():
        if batch and size + len(data) > TEXT_BATCH:
            yield batch
            batch, size = {}, 0
        batch[name] = data
        size += len(data)
    if batch:
        yield batch


def _strings(values: list[str]) -> pa.Array:
    import polars as pl

    # (Made by polars: pa.array on Python strings would import pandas, half a second.)
    return pl.Series(values, dtype=pl.String).to_arrow(compat_level=pl.CompatLevel.oldest())


def local_paths(root: Path) -> tuple[str, ...]:
    """Paths of this machine that must not be published: the package folder and the home
    folder (which holds the user name)."""
    home = Path.home()
    paths = {str(root.resolve())} | ({str(home)} if len(home.parts) > 1 else set())
    return tuple(sorted(paths, key=len, reverse=True))


def scan(files: Mapping[str, bytes | pa.Table], local: tuple[str, ...] = ()) -> list[Hit]:
    """Everything that looks personal in the files about to be published, by name; a Parquet
    file may be given as the Arrow table it is written from."""
    texts = {name: data for name, data in files.items()
             if isinstance(data, bytes) and PurePath(name).suffix != ".parquet"}
    in_texts: dict[str, list[Hit]] = {}
    for batch in _batches(texts):
        for hit in _scan_texts(batch, local):
            in_texts.setdefault(hit.file, []).append(hit)
    return [hit for name, data in sorted(files.items())
            for hit in (in_texts.get(name, []) if name in texts
                        else _scan_file(name, data, local) if isinstance(data, bytes)
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
