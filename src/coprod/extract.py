"""Extracts: some variables of one harmonized table, for some countries, waves or sources, as a
file a researcher opens (CSV, Parquet, SPSS .sav or Stata .dta, with labels) and the codebook of
just those variables.

An extract always holds the identifying columns (respondent_id, source, country, wave) and, for
each variable, its ``<variable>_missing`` column where it has one. Columns come in the table's
order and rows in the published order, so one selection always gives the same bytes. The rows
are read from the published Parquet files (``processed/``, or ``build/restricted/processed`` for
``access: restricted``); the files are made by :mod:`coprod.export`, as the site's downloads
are. Countries and waves are those of whole sources, so the codebook's frequencies of the chosen
sources are those of the extract: they are taken from ``processed/codebook.json``, never
recounted, and a count suppressed there stays suppressed.

The site's extract page (``site_templates/static/extract.js``) makes the same CSV and codebook
in the browser; a test holds the two to the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .codebook import Codebooks, HarmonizedTable
from .errors import EXIT_USAGE, ConfigError, CoprodError
from .project import Project

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = {"csv": ".csv", "parquet": ".parquet", "sav": ".sav", "dta": ".dta"}
IDENTIFYING = ("respondent_id", "source", "country", "wave")  # the derivations that identify a row
COMPANION = "_missing"
PER_SOURCE = ("frequencies", "lineage", "availability")  # a variable's entries keyed by source


class ExtractError(CoprodError):
    """An extract asked for something the package does not have (a usage error)."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Selection:
    """What an extract holds: one table's columns, for some of its sources."""

    table: str
    variables: tuple[str, ...]  # harmonized variables: the identifying ones and those asked for
    sources: tuple[str, ...]  # the sources whose rows it holds, sorted

    def columns(self, available: Iterable[str]) -> list[str]:
        """The columns of the extract, in the table's order: each variable and its
        ``_missing`` column where the table has one."""
        wanted = set(self.variables) | {f"{v}{COMPANION}" for v in self.variables}
        return [column for column in available if column in wanted]


@dataclass(frozen=True)
class Extract:
    selection: Selection
    rows: pa.Table  # the rows and columns, with the published Arrow schema
    codebook: dict  # the codebook of just those variables and sources


def _listed(names: Iterable[object]) -> str:
    return ", ".join(str(n) for n in names)


def _identifying(table: HarmonizedTable) -> list[str]:
    return [name for name, var in table.variables.items()
            if var.derive in IDENTIFYING or (var.derive is None and name in IDENTIFYING)]


def _tables_of(codebooks: Codebooks, name: str) -> list[str]:
    return [t for t, spec in codebooks.tables.items()
            if name in spec.variables or (name.endswith(COMPANION) and name.removesuffix(
                COMPANION) in spec.variables)]


def _choose_table(codebooks: Codebooks, variables: Sequence[str], table: str | None) -> str:
    """The table an extract is of: the one named (--table or TABLE.VARIABLE), else the one
    that holds every variable asked for."""
    named = {v.split(".", 1)[0] for v in variables if "." in v}
    if table is not None:
        named.add(table)
    for name in sorted(named):
        if name not in codebooks.tables:
            raise ExtractError(f"no table {name!r}",
                               hint=f"tables are: {_listed(sorted(codebooks.tables))}")
    if len(named) > 1:
        raise ExtractError("an extract is of one table; these variables name "
                           f"{_listed(sorted(named))}", hint="make one extract per table")
    if named:
        return named.pop()
    holders = {v: _tables_of(codebooks, v) for v in variables}
    unknown = [v for v, tables in holders.items() if not tables]
    if unknown:
        names = "; ".join(f"{t}: {_listed(spec.variables)}" for t, spec in
                          sorted(codebooks.tables.items()))
        raise ExtractError(f"no harmonized variable {_listed(map(repr, unknown))}",
                           hint=f"variables are: {names}")
    common = set(codebooks.tables)
    for tables in holders.values():
        common &= set(tables)
    if len(common) == 1:
        return common.pop()
    if not common:
        where = "; ".join(f"{v} in {_listed(t)}" for v, t in holders.items())
        raise ExtractError(f"no table holds all of these variables ({where})",
                           hint="an extract is of one table: make one extract per table")
    raise ExtractError(f"{_listed(variables)}: in more than one table ({_listed(sorted(common))})",
                       hint="name the table with --table, or the variable as TABLE.VARIABLE")


def select(codebooks: Codebooks, document: dict, variables: Sequence[str], *,
           table: str | None = None, countries: Sequence[str] = (), waves: Sequence[int] = (),
           sources: Sequence[str] = ()) -> Selection:
    """Check a request against the package and say what the extract holds. Countries are
    named by code (dk) or by name in any language of the package (Denmark, Danmark); the
    sources are those published in ``document`` (processed/codebook.json). Anything unknown is
    an :class:`ExtractError` naming what there is."""
    if not variables:
        raise ExtractError("name at least one variable")
    name = _choose_table(codebooks, variables, table)
    spec = codebooks.tables[name]
    chosen = set(_identifying(spec))
    for asked in variables:
        var = asked.split(".", 1)[1] if "." in asked else asked
        if var not in spec.variables and var.endswith(COMPANION) and \
                var.removesuffix(COMPANION) in spec.variables:
            var = var.removesuffix(COMPANION)  # a _missing column comes with its variable
        if var not in spec.variables:
            raise ExtractError(f"no variable {var!r} in {name}",
                               hint=f"its variables are: {_listed(spec.variables)}")
        chosen.add(var)
    ordered = tuple(v for v in spec.variables if v in chosen)

    published = {sid: entry for sid, entry in sorted(document.get("sources", {}).items())
                 if entry.get("table") == name}
    if not published:
        raise ConfigError(f"processed/codebook.json lists no source of {name}",
                          hint="run `coprod build` first")
    names = _country_names(codebooks, spec)
    present = sorted({entry["country"] for entry in published.values()})
    wanted_countries = set()
    for asked in countries:
        code = _country(asked, names, present)
        if code is None:
            shown = _listed(f"{c} ({names[c][0]})" if names.get(c) else c for c in present)
            raise ExtractError(f"no country {asked!r} in {name}",
                               hint=f"its countries are: {shown}")
        wanted_countries.add(code)
    present_waves = sorted({entry["wave"] for entry in published.values()})
    for wave in waves:
        if wave not in present_waves:
            raise ExtractError(f"no wave {wave} in {name}",
                               hint=f"its waves are: {_listed(present_waves)}")
    for sid in sources:
        if sid not in published:
            raise ExtractError(f"no source {sid!r} in {name}",
                               hint=f"its sources are: {_listed(published)}")
    kept = tuple(sid for sid, entry in published.items()
                 if (not wanted_countries or entry["country"] in wanted_countries)
                 and (not waves or entry["wave"] in waves)
                 and (not sources or sid in sources))
    if not kept:
        has = _listed(f"{e['country']} {e['wave']} ({sid})" for sid, e in published.items())
        raise ExtractError(f"{name} has no rows of {_described(countries, waves, sources)}",
                           hint=f"{name} has: {has}")
    return Selection(name, ordered, kept)


def _described(countries: Sequence[str], waves: Sequence[int], sources: Sequence[str]) -> str:
    parts = []
    if countries:
        parts.append(f"country {' or '.join(countries)}")
    if waves:
        parts.append(f"wave {' or '.join(map(str, waves))}")
    if sources:
        parts.append(f"source {' or '.join(sources)}")
    return " and ".join(parts)


def _country_names(codebooks: Codebooks, spec: HarmonizedTable) -> dict[str, list[str]]:
    """Country code -> its names in the package's languages (English first)."""
    out: dict[str, list[str]] = {}
    for var in spec.variables.values():
        if var.derive == "country":
            for category in var.categories:
                labels = [category.label.get("en"), *(category.label.get(lang) for lang in
                                                       codebooks.package.languages)]
                out[category.value] = list(dict.fromkeys(label for label in labels if label))
    return out


def _country(asked: str, names: dict[str, list[str]], present: list[str]) -> str | None:
    folded = asked.strip().casefold()
    for code in present:
        if folded == code.casefold() or folded in (n.casefold() for n in names.get(code, [])):
            return code
    return None


# --- the codebook of an extract -------------------------------------------------------------


def codebook(document: dict, selection: Selection, columns: Sequence[str], rows: int) -> dict:
    """The part of ``processed/codebook.json`` that describes an extract: its variables, with
    their frequencies, lineage and availability in its sources (as published: suppressed
    counts stay suppressed), the comparability notes that concern those sources, and what was
    selected. The site's extract page builds the same document (extract.js: codebookOf)."""
    table = document["tables"][selection.table]
    kept = set(selection.sources)
    variables = {}
    for name in selection.variables:
        entry = {}
        for key, value in table["variables"][name].items():
            if key in PER_SOURCE:
                value = {sid: v for sid, v in value.items() if sid in kept}
            elif key == "comparability":
                value = [note for note in value if kept & set(note.get("sources", []))]
            entry[key] = value
        variables[name] = entry
    return {
        "package": document["package"],
        "version": document["version"],
        "synthetic_notice": document.get("synthetic_notice"),
        "extract": {"table": selection.table, "columns": list(columns),
                    "sources": list(selection.sources), "rows": rows},
        "missing": document["missing"],
        "sources": {sid: document["sources"][sid] for sid in selection.sources},
        "tables": {selection.table: {
            "title": table["title"], "description": table["description"],
            "universe": table["universe"], "rows": rows, "variables": variables}},
    }


def codebook_bytes(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def codebook_path(output: Path) -> Path:
    """Where an extract's codebook goes: next to it, ``NAME.codebook.json``."""
    return output.with_name(f"{output.stem}.codebook.json")


# --- reading and writing ---------------------------------------------------------------------


def _published_codebook(project: Project) -> dict:
    path = project.processed / "codebook.json"
    if not path.is_file():
        raise ConfigError(f"{project.relative(path)}: not found",
                          hint="run `coprod build` first")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{project.relative(path)}: cannot be read ({exc})",
                          hint="run `coprod build` to write it again") from None


def make(project: Project, codebooks: Codebooks, variables: Sequence[str], *,
         table: str | None = None, countries: Sequence[str] = (), waves: Sequence[int] = (),
         sources: Sequence[str] = ()) -> Extract:
    """The rows, columns and codebook of an extract, read from the published files."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from .site.render import tables_folder

    document = _published_codebook(project)
    selection = select(codebooks, document, variables, table=table, countries=countries,
                       waves=waves, sources=sources)
    path = tables_folder(project, codebooks) / f"{selection.table}.parquet"
    if not path.is_file():
        raise ConfigError(f"{project.relative(path)}: not found",
                          hint="run `coprod build` first")
    try:
        parquet = pq.ParquetFile(path)
        columns = selection.columns(parquet.schema_arrow.names)
        data = parquet.read(columns=columns)
    except (OSError, pa.ArrowException) as exc:
        raise ConfigError(f"{project.relative(path)}: cannot be read ({exc})",
                          hint="run `coprod build --force` to write it again") from None
    source_column = next(v for v in selection.variables
                         if codebooks.tables[selection.table].variables[v].derive == "source"
                         or v == "source")
    rows = data.filter(pc.is_in(data[source_column].cast(pa.string()),
                                value_set=pa.array(selection.sources, pa.string())))
    return Extract(selection, rows, codebook(document, selection, columns, rows.num_rows))


def restricted_spec(codebooks: Codebooks, selection: Selection) -> HarmonizedTable:
    """The table's codebook restricted to the extract's variables (for the exports)."""
    spec = codebooks.tables[selection.table]
    return spec.model_copy(update={"variables": {v: spec.variables[v]
                                                 for v in selection.variables}})


def data_bytes(extract: Extract, codebooks: Codebooks, fmt: str, *,
               labels: bool = False) -> bytes:
    """The extract as a file: Parquet with the published schema (categories as dictionaries,
    labels in the field metadata), CSV with codes (or, ``labels``, English category labels),
    SPSS or Stata with variable labels, value labels and declared missing values."""
    if fmt == "parquet":
        from .write import parquet_bytes

        return parquet_bytes(extract.rows)
    import polars as pl

    from . import export
    from .site.pages import with_categories

    spec = restricted_spec(codebooks, extract.selection)
    frame = with_categories(pl.from_arrow(extract.rows), spec, codebooks)  # type: ignore[arg-type]
    if fmt == "csv":
        return export.csv_bytes(frame, spec, codebooks.package, labelled=labels)
    if fmt == "sav":
        return export.sav_bytes(frame, spec, codebooks.package)
    if fmt == "dta":
        return export.dta_bytes(frame, spec, codebooks.package)
    raise ExtractError(f"no format {fmt!r}", hint=f"formats are: {_listed(FORMATS)}")


def format_of(fmt: str | None, output: Path) -> str:
    """The format asked for, or the one the output's suffix names."""
    if fmt is not None:
        return fmt
    by_suffix = {suffix: name for name, suffix in FORMATS.items()}
    found = by_suffix.get(output.suffix.lower())
    if found is None:
        raise ExtractError(f"{output.name}: say which format to write",
                           hint=f"pass --format ({_listed(FORMATS)}) or end the file name in "
                                f"{_listed(FORMATS.values())}")
    return found


def _check_output(project: Project, paths: Sequence[Path]) -> None:
    """An extract never overwrites the package's own outputs."""
    guarded = (project.processed, project.datapackage, project.build, project.schemas,
               project.root / "raw")
    for path in paths:
        resolved = path.resolve()
        for folder in guarded:
            if resolved == folder.resolve() or resolved.is_relative_to(folder.resolve()):
                raise ExtractError(f"{path}: inside the package's {project.relative(folder)}",
                                   hint="write the extract somewhere else, e.g. your own folder")


def write(project: Project, codebooks: Codebooks, variables: Sequence[str], *, fmt: str,
          output: Path, table: str | None = None, countries: Sequence[str] = (),
          waves: Sequence[int] = (), sources: Sequence[str] = (),
          labels: bool = False) -> tuple[Extract, Path, Path]:
    """``coprod extract``: write the extract and its codebook (``NAME.codebook.json``) next to
    each other, both or neither."""
    from .atomic import publish

    if labels and fmt != "csv":
        raise ExtractError(f"--labels is for CSV; a .{fmt} file carries its labels itself")
    described = codebook_path(output)
    _check_output(project, [output, described])
    if output.resolve() == described.resolve():
        raise ExtractError(f"{output.name}: name the extract with another suffix than "
                           ".codebook.json")
    extract = make(project, codebooks, variables, table=table, countries=countries,
                   waves=waves, sources=sources)
    files = {output: data_bytes(extract, codebooks, fmt, labels=labels),
             described: codebook_bytes(extract.codebook)}
    publish(files)
    return extract, output, described


# --- the site's extract page ------------------------------------------------------------------


def page_tables(codebooks: Codebooks, frames: dict, language: str = "en") -> list[dict]:
    """What the site's extract page offers for each table: its variables (the identifying ones
    always come along), countries and waves, from the codebooks (``frames``: the tables as
    published, for their row counts), labelled in ``language``."""
    from .site.pages import country_names

    names = country_names(codebooks, language)
    out = []
    for name, spec in codebooks.tables.items():
        identifying = _identifying(spec)
        books = [s for s in codebooks.sources.values() if s.table == name]
        out.append({
            "name": name, "title": spec.title.get(language), "rows": frames[name].height,
            "identifying": identifying,
            "variables": [{"name": v, "label": var.label.get(language), "type": var.type}
                          for v, var in spec.variables.items() if v not in identifying],
            "countries": [(c, names.get(c, c)) for c in sorted({s.country for s in books})],
            "waves": sorted({s.wave for s in books}),
        })
    return out
