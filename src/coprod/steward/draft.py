"""Draft a source codebook for a new delivery (``coprod new-source``).

The draft is read off the file itself (coprod.steward.delivery): its dialect, labels, missing
values and values. Each column is then drafted (coprod.steward.variables) and set against the
previous wave of the same country and survey, including that wave's data: columns found under
the same name keep their documentation, columns the file lacks are matched by content to columns
the previous wave lacks (renames, with the evidence: coprod.steward.match), and each mapping is
carried over to the column that continues it.

Every review item says what differs or is unknown, and where (the key and line of the draft).
What a person must write is a placeholder (``'?'``, ``DRAFT``): validate and build refuse it,
whatever the ``review:`` list says, so nothing a machine guessed is published unread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import yaml

from ..codebook import (
    PLACEHOLDER,
    SOURCE_ID,
    Codebooks,
    Mapping,
    SourceCodebook,
    line_of,
    load_codebooks,
)
from ..errors import ConfigError, RawFileError
from ..project import Project
from .delivery import Delivery, read_delivery
from .match import CREDIBLE, Profile, Proposal, match, profile
from .variables import Item, codes_text, continued, new_variable, plain

ID_NAMES = re.compile(r"(^|_)(id|nr|no|lopenr|løpenr|respnr|respondent|serial|lnr)($|_)", re.I)
INTERVIEW = re.compile(r"interview|intervju|dato|date|datum", re.I)


@dataclass(frozen=True)
class Draft:
    path: Path
    review: list[str]  # "line N, key: what differs or is unknown"


# --- matching against the previous wave ------------------------------------------------------


def previous_wave(codebooks: Codebooks, source_id: str) -> SourceCodebook | None:
    """The latest earlier wave of the same country and survey (else the latest later one)."""
    match_ = SOURCE_ID.match(source_id)
    assert match_
    same = [s for s in codebooks.sources.values() if s.id != source_id
            and s.country == match_["country"] and s.survey == match_["survey"]]
    earlier = [s for s in same if s.wave < int(match_["wave"])]
    pool = earlier or same
    return max(pool, key=lambda s: s.wave) if pool else None


def _previous_frame(project: Project, previous: SourceCodebook) -> pl.DataFrame | None:
    """The previous wave's data as read, for its distributions; None when it cannot be read."""
    from ..read import read_source

    try:
        return read_source(project, previous).frame
    except Exception:  # noqa: BLE001 - any failure only loses the evidence of distributions
        return None


def _profiles(frame: pl.DataFrame | None, source: SourceCodebook | None,
              names: list[str], delivery: Delivery | None = None) -> list[Profile]:
    out = []
    for name in names:
        if source is not None:
            var = source.variables[name]
            series = frame[name] if frame is not None and name in frame.columns else pl.Series(
                name, [], dtype=pl.String)
            out.append(profile(name, series, labels=var.values or {}, question=var.label))
        else:
            assert frame is not None and delivery is not None
            out.append(profile(name, frame[name], labels=delivery.value_labels.get(name) or {},
                               question=delivery.questions.get(name, "")))
    return out


def _renames(delivery: Delivery, previous: SourceCodebook | None,
             before: pl.DataFrame | None) -> list[Proposal]:
    if previous is None:
        return []
    old = [n for n in previous.variables if not previous.variables[n].free_text]
    if set(old) <= set(delivery.frame.columns):
        return []
    # Every best pair, credible or not: the ones below CREDIBLE are quoted as the closest
    # candidate of a question drafted as dropped.
    return match(_profiles(before, previous, old),
                 _profiles(delivery.frame, None, list(delivery.frame.columns), delivery),
                 threshold=0.0)


# --- id and municipality ---------------------------------------------------------------------


def _id_variable(frame: pl.DataFrame, previous: SourceCodebook | None,
                 renamed: dict[str, str]) -> str:
    if previous is not None:
        name = renamed.get(previous.id_variable, previous.id_variable)
        if name in frame.columns:
            return name
    unique = [c for c in frame.columns if frame[c].null_count() == 0 and frame[c].is_unique().all()
              and not frame[c].cast(pl.String).str.contains(r"\s").any()]
    unique.sort(key=lambda c: (not ID_NAMES.search(c), c != frame.columns[0]))
    return unique[0] if unique else PLACEHOLDER


def _fits(project: Project, codebooks: Codebooks, country: str, series: pl.Series
          ) -> list[str]:
    """The municipality classifications of a country that hold every code of a column."""
    from ..reference import load_reference

    codes = series.drop_nulls().cast(pl.String).str.strip_chars().str.replace(r"\.0$", "")
    distinct = codes.unique().to_list()
    if len(distinct) < 2 or not all(c.isdigit() for c in distinct):
        return []
    found = []
    for key, ref in sorted(codebooks.package.municipality_references.items()):
        if ref.country != country:
            continue
        try:
            known = load_reference(project, ref)
        except ConfigError:
            continue
        if all(c.zfill(ref.width) in known and len(c) <= ref.width for c in distinct):
            found.append(key)
    return found


def _municipality(project: Project, codebooks: Codebooks, country: str, frame: pl.DataFrame,
                  previous: SourceCodebook | None, renamed: dict[str, str], id_variable: str,
                  items: list[Item]) -> tuple[str, str]:
    """The municipality variable and the classification its codes fit."""
    candidates = list(frame.columns)
    if previous is not None:
        name = renamed.get(previous.municipality.variable, previous.municipality.variable)
        if name in frame.columns:
            candidates.remove(name)
            candidates.insert(0, name)
    for name in candidates:
        if name == id_variable or frame[name].is_unique().all():
            continue
        fits = _fits(project, codebooks, country, frame[name])
        if not fits:
            continue
        if previous is not None and previous.municipality.reference in fits:
            return name, previous.municipality.reference
        # the latest vintage that holds every code: older ones hold codes since abolished
        vintage = max(fits, key=lambda k: codebooks.package.municipality_references[k].vintage)
        before = f"; {previous.id} used {previous.municipality.reference}" if previous else ""
        items.append(Item("municipality.reference", f"the codes of {name} fit "
                          f"{', '.join(fits)}{before}: drafted {vintage}; check the vintage"))
        return name, vintage
    items.append(Item("municipality", f"no column's codes all fit a municipality classification "
                                      f"of {country!r} in schemas/package.yaml: name the "
                                      "variable and add its classification"))
    return PLACEHOLDER, PLACEHOLDER


# --- the draft -------------------------------------------------------------------------------


def _describe(dialect: dict) -> str:
    names = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}
    return (f"{dialect['encoding']}, {names.get(dialect['delimiter'], repr(dialect['delimiter']))}"
            f"-separated, decimal {dialect['decimal']!r}, "
            f"{'CRLF' if dialect['line_terminator'] == chr(13) + chr(10) else 'LF'} lines")


def _dialect_item(delivery: Delivery, previous: SourceCodebook | None) -> list[Item]:
    if delivery.dialect is None:
        if previous is not None and previous.format != "spss":
            return [Item("format", f"an SPSS file, where {previous.id} was delimited text")]
        return []
    if previous is not None and previous.format == "csv":
        before = {**previous.dialect.model_dump()}
        changed = [k for k in ("encoding", "delimiter", "decimal", "line_terminator")
                   if before[k] != delivery.dialect[k]]
        if not changed:
            return []
        return [Item("dialect", f"the file is {_describe(delivery.dialect)}; {previous.id} was "
                                f"{_describe(before)} ({'; '.join(delivery.evidence)}): check")]
    return [Item("dialect", f"read as {_describe(delivery.dialect)} "
                            f"({'; '.join(delivery.evidence)}): check")]


def _mappings(codebooks: Codebooks, table: str, previous: SourceCodebook | None,
              variables: dict, renamed: dict[str, str], proposals: list[Proposal],
              items: list[Item], country: str) -> dict:
    out: dict = {}
    mapped = [n for n, v in codebooks.tables[table].variables.items() if v.derive is None]
    for name in mapped:
        old = previous.mappings.get(name) if previous else None
        key = f"mappings.{name}"
        if isinstance(old, Mapping):
            column = renamed.get(old.from_, old.from_)
            if column in variables:
                entry = plain(old.model_dump(by_alias=True, exclude_none=True))
                entry["from"] = column
                out[name] = entry
                values = variables[column].get("values") or {}
                missing = variables[column].get("missing") or {}
                open_ = [c for c in values if old.recode is not None and c not in old.recode
                         and c not in missing]
                if open_:
                    items.append(Item(key, f"{column} {codes_text(open_)} not recoded: "
                                           f"recode to a category of {name}"))
                continue
            closest = next((p for p in proposals if p.old == old.from_), None)
            near = (f" (closest: {closest.new}, score {closest.score:.2f}, below "
                    f"{CREDIBLE})") if closest else ""
            out[name] = "not_asked"
            items.append(Item(key, f"{previous.id} maps it from {old.from_}, which the file "
                                   f"lacks, and no column continues it{near}: if the question "
                                   "was dropped, write `{not_asked: <reason>}`; if it was "
                                   "renamed, map it"))
        elif old is not None:
            out[name] = plain(old.model_dump()) if not isinstance(old, str) else old
        elif previous is not None:
            out[name] = "not_asked"
        else:
            out[name] = {"not_asked": PLACEHOLDER}
            items.append(Item(key, f"no earlier wave of {country!r}: map it from the column that "
                                   "asks it, or write the reason it was not asked"))
    return out


def _title(previous: SourceCodebook | None, source_id: str, wave: int) -> str:
    if previous is None:
        return f"{source_id} (DRAFT: write the title)"
    return f"{previous.title.replace(str(previous.wave), str(wave))} (DRAFT: check the title)"


def draft_source(project: Project, raw_file: Path, source_id: str, *,
                 force: bool = False, sheet: str | None = None, header_row: int = 1) -> Draft:
    """Write ``schemas/sources/<source_id>.yaml`` drafted from ``raw_file``. The codebooks are
    loaded without that file: with ``force``, a broken draft of it is replaced."""
    ids = SOURCE_ID.match(source_id)
    if not ids:
        raise ConfigError(f"{source_id!r} is not a source id",
                          hint="write <country>-<survey>-<wave>, e.g. no-institutions-2024")
    target = project.schemas / "sources" / f"{source_id}.yaml"
    if target.exists() and not force:
        raise ConfigError(f"{project.relative(target)} exists already",
                          hint="pass --force to replace it")
    codebooks = load_codebooks(project.schemas, without=[source_id])
    path = raw_file if raw_file.is_absolute() else (Path.cwd() / raw_file)
    if not path.resolve().is_relative_to(project.root.resolve()):
        raise ConfigError(f"{raw_file}: not inside the package folder {project.root}",
                          hint="copy the delivery into raw/<country>/ and name it from there")
    relative = project.relative(path)
    project.resolve(relative, what=source_id)  # refuses a link out of the package
    if not path.is_file():
        raise RawFileError(f"{relative}: not found")
    previous = previous_wave(codebooks, source_id)
    table = previous.table if previous else ids["survey"]
    if table not in codebooks.tables:
        raise ConfigError(f"no harmonized table {table!r} for {source_id}",
                          hint="add schemas/harmonized/<table>.yaml first")
    delivery = read_delivery(path, relative, sheet=sheet, header_row=header_row)
    frame = delivery.frame
    before = _previous_frame(project, previous) if previous else None
    candidates = _renames(delivery, previous, before)
    proposals = [p for p in candidates if p.score >= CREDIBLE]
    renamed = {p.old: p.new for p in proposals}
    items = _dialect_item(delivery, previous)
    variables: dict = {}
    continues = {new: old for old, new in renamed.items()}
    for name in frame.columns:
        old_name = name if previous and name in previous.variables else continues.get(name)
        if previous is not None and old_name is not None:
            counts = (before[old_name].drop_nulls().cast(pl.String).str.strip_chars()
                      .str.replace(r"\.0$", "").value_counts().iter_rows()
                      if before is not None and old_name in before.columns else [])
            counts_before = {_as_int(v): n for v, n in counts}
            variables[name] = continued(name, old_name, previous.variables[old_name],
                                         frame[name], delivery, previous, items, counts_before)
            if old_name != name:
                proposal = next(p for p in proposals if p.new == name)
                items.append(Item(f"variables.{name}", f"continues {old_name} of {previous.id} "
                                  f"(score {proposal.score:.2f}: {'; '.join(proposal.evidence)}): "
                                  "its documentation and mappings are carried over; check that "
                                  "it asks the same question"))
        else:
            variables[name] = new_variable(name, frame[name], delivery, items, previous)
    id_variable = _id_variable(frame, previous, renamed)
    if id_variable == PLACEHOLDER:
        items.append(Item("id_variable", "no column identifies the respondents (unique, never "
                                         "empty): name it"))
    else:
        variables[id_variable]["unique"] = True
    municipality, reference = _municipality(project, codebooks, ids["country"], frame, previous,
                                            renamed, id_variable, items)
    mappings = _mappings(codebooks, table, previous, variables, renamed, candidates, items,
                         ids["country"])
    interview = _interview_date(frame, variables, int(ids["wave"]), items)
    document = {
        "id": source_id, "table": table,
        "title": _title(previous, source_id, int(ids["wave"])),
        "language": previous.language if previous else PLACEHOLDER,
        "file": relative, "format": delivery.format,
        **({"sheet": delivery.sheet} if delivery.sheet else {}),
        **({"header_row": delivery.header_row} if delivery.header_row != 1 else {}),
        **({"dialect": {k: v for k, v in delivery.dialect.items()
                        if k != "quotechar" or v != '"'}} if delivery.dialect else {}),
        "fieldwork": PLACEHOLDER,
        **({"interview_date": interview[0]} if interview else {}),
        "id_variable": id_variable,
        "municipality": {"variable": municipality, "reference": reference},
        "variables": variables,
        "mappings": mappings,
    }
    items.append(Item("title", "write the title of this wave, in its language"))
    if interview:
        document["fieldwork"] = interview[1]
        items.append(Item("fieldwork", f"drafted from the interview dates of {interview[0]} "
                                       f"({interview[2]}): check it against the survey's "
                                       "documentation"))
    else:
        items.append(Item("fieldwork", "write the fieldwork period (YYYY-MM/YYYY-MM)"))
    for var_name, var in codebooks.tables[table].variables.items():
        if var.derive == "country" and ids["country"] not in [c.value for c in var.categories]:
            items.append(Item("id", f"{ids['country']!r} is not yet a category of {table}."
                                    f"{var_name}: add it in schemas/harmonized/{table}.yaml (with "
                                    "its name in every language); until then the codebooks do "
                                    "not load"))
    if previous is None:
        known = ", ".join(codebooks.package.languages)
        items.append(Item("language", f"write the language of the questions (one of the "
                                      f"package's languages: {known}; a new one is added to "
                                      "`languages:` in package.yaml)"))
    header = (f"# DRAFT source codebook made by `coprod new-source` from {relative}"
              + (f" and {previous.id}" if previous else "") + ".\n"
              "# Write what is '?' or marked DRAFT, check each item under `review:` and delete\n"
              "# it: validate and build refuse the codebook until both are done.\n")
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    review = [_located(header + body, item) for item in _ordered(items, document)]
    text = header + body + yaml.safe_dump({"review": review}, allow_unicode=True,
                                          sort_keys=False, width=100)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return Draft(target, review)


def _interview_date(frame: pl.DataFrame, variables: dict, wave: int,
                    items: list[Item]) -> tuple[str, str, str] | None:
    """The one date or datetime column whose dates lie around the wave's year, as the date of
    the interview: its name, the fieldwork it gives (YYYY-MM/YYYY-MM) and the dates' span."""
    found = []
    for name, entry in variables.items():
        if entry.get("type") not in ("date", "datetime") or name not in frame.columns:
            continue
        column = frame[name].drop_nulls()
        if column.dtype == pl.String:
            column = column.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        column = column.cast(pl.Date).drop_nulls()
        if column.len() and wave - 1 <= column.min().year and column.max().year <= wave + 1:
            found.append((name, column.min(), column.max()))
    if len(found) > 1:  # the one whose name or question says it is the interview's date
        named = [f for f in found if INTERVIEW.search(f"{f[0]} {variables[f[0]].get('label')}")]
        found = named if len(named) == 1 else found
    if len(found) != 1:
        if found:
            items.append(Item("interview_date", "several date columns could be the date of the "
                                                f"interview ({', '.join(f[0] for f in found)}): "
                                                "name it as interview_date, if one is"))
        return None
    name, first, last = found[0]
    items.append(Item("interview_date", f"{name} holds dates from {first} to {last}: drafted as "
                                        "the date of the interview; check"))
    return name, f"{first:%Y-%m}/{last:%Y-%m}", f"{first} to {last}"


def _as_int(value: str) -> object:
    try:
        return int(value)
    except ValueError:
        return value


def _ordered(items: list[Item], document: dict) -> list[Item]:
    """Items in the order of the draft's keys."""
    order = {key: i for i, key in enumerate(_keys(document))}
    return sorted(items, key=lambda item: order.get(item.key, len(order)))


def _keys(data: object, prefix: str = "") -> list[str]:
    out = []
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out += [path, *_keys(value, path)]
    return out


def _located(text: str, item: Item) -> str:
    line = line_of(text, tuple(_as_int(p) for p in item.key.split(".")))
    return f"line {line}, {item.key}: {item.text}" if line else f"{item.key}: {item.text}"
