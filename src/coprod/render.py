"""Render the static documentation site from ``processed/`` and ``schemas/``.

Returns the site as {relative path: bytes}; the pipeline publishes it. Jinja2 autoescapes every
value and fails on an undefined name. Links are relative, so the site works under any path
prefix and from the file system; nothing is fetched from elsewhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)

from .codebook import Codebooks, HarmonizedTable, HarmonizedVariable
from .describe import availability, lineage
from .errors import ConfigError
from .project import Project
from .summary import frequencies, numeric_summary, weighted_share

COUNTRY_NAMES = {"dk": "Denmark", "no": "Norway"}


@dataclass(frozen=True)
class Download:
    path: str  # relative to the site root
    title: str
    size: int
    sha256: str


def environment(templates: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


def _read_tables(project: Project, codebooks: Codebooks) -> dict[str, pl.DataFrame]:
    tables = {}
    for name in codebooks.tables:
        path = project.processed / f"{name}.parquet"
        if not path.is_file():
            raise ConfigError(f"{project.relative(path)}: not found",
                              hint="run `coprod harmonize` (or `coprod build`) first")
        tables[name] = pl.read_parquet(path)
    return tables


def _category_rows(var: HarmonizedVariable, frame: pl.DataFrame, name: str,
                   sources: list[str], codebooks: Codebooks) -> list[dict]:
    counts = frequencies(frame, name)
    totals = {s: sum(counts.get(s, {}).values()) for s in sources}
    rows = []
    entries = [(c, False) for c in var.categories] + [(m, True) for m in codebooks.package.missing]
    for category, is_missing in entries:
        cells = []
        for s in sources:
            n = counts.get(s, {}).get(category.value, 0)
            cells.append({"n": n, "percent": 100 * n / totals[s] if totals[s] else None})
        if is_missing and not any(c["n"] for c in cells):
            continue  # a missing reason no source uses is noise on the page
        rows.append({"category": category, "missing": is_missing, "cells": cells})
    return rows


def _missing_rows(name: str, frame: pl.DataFrame, sources: list[str],
                  codebooks: Codebooks) -> list[dict]:
    counts = frequencies(frame, f"{name}_missing")
    rows = []
    for m in codebooks.package.missing:
        cells = [counts.get(s, {}).get(m.value, 0) for s in sources]
        if any(cells):
            rows.append({"category": m, "cells": cells})
    return rows


def _variable_pages(codebooks: Codebooks, table: HarmonizedTable, frame: pl.DataFrame) -> list:
    sources = sorted(frame["source"].unique().to_list())
    lineages = lineage(codebooks, table.table)
    pages = []
    for name, var in table.variables.items():
        notes = [n for n in table.comparability if name in n.variables]
        page = {
            "name": name, "var": var, "table": table, "sources": sources, "notes": notes,
            "lineage": lineages[name],
            "questions": {s: codebooks.sources[s] for s in sources},
            "categories": [], "numeric": {}, "missing": [],
        }
        if var.type == "categorical":
            page["categories"] = _category_rows(var, frame, name, sources, codebooks)
        elif var.type in ("integer", "number") and name != "wave":
            page["numeric"] = numeric_summary(frame, name)
            if var.missing_column:
                page["missing"] = _missing_rows(name, frame, sources, codebooks)
        pages.append(page)
    return pages


def _summaries(codebooks: Codebooks, tables: dict[str, pl.DataFrame]) -> list[dict]:
    min_n = codebooks.package.min_cell_size
    missing = [m.value for m in codebooks.package.missing]
    out = []
    for name, frame in tables.items():
        variables = codebooks.tables[name].variables
        for spec in codebooks.tables[name].summaries:
            # Respondents whose grouping answer is missing are left out, like missing outcomes.
            answered = frame.filter(~pl.any_horizontal(
                pl.col(b).cast(pl.String).is_in(missing) for b in spec.by))
            cells = weighted_share(answered, spec.outcome, spec.by, min_n=min_n,
                                   positive=spec.positive)
            labels = {b: {c.value: c.label.get() for c in variables[b].categories}
                      for b in spec.by}
            rows = [([labels[b].get(v, v) for b, v in zip(spec.by, c.group, strict=True)], c)
                    for c in cells]
            out.append({"table": name, "spec": spec, "rows": rows})
    return out


def render_site(project: Project, codebooks: Codebooks) -> dict[str, bytes]:
    env = environment(project.templates)
    tables = _read_tables(project, codebooks)
    files: dict[str, bytes] = {}

    downloads = []
    for name in codebooks.tables:
        data = (project.processed / f"{name}.parquet").read_bytes()
        files[f"downloads/{name}.parquet"] = data
        downloads.append(Download(f"downloads/{name}.parquet",
                                  codebooks.tables[name].title.get("en"), len(data),
                                  hashlib.sha256(data).hexdigest()))
    if project.datapackage.is_file():
        data = project.datapackage.read_bytes()
        files["downloads/datapackage.json"] = data
        downloads.append(Download("downloads/datapackage.json", "Data Package descriptor",
                                  len(data), hashlib.sha256(data).hexdigest()))

    pages_by_table = {name: _variable_pages(codebooks, codebooks.tables[name], frame)
                      for name, frame in tables.items()}
    common = {
        "package": codebooks.package,
        "countries": COUNTRY_NAMES,
        "human_size": _human_size,
        "source_books": codebooks.sources,
    }

    def page(template: str, path: str, **context: object) -> None:
        base = "../" * path.count("/")
        try:
            html = env.get_template(template).render(base=base, path=path, **common, **context)
        except TemplateError as exc:
            where = getattr(exc, "filename", None) or template
            line = getattr(exc, "lineno", None)
            raise ConfigError(f"site_templates/{Path(where).name}{f':{line}' if line else ''}: "
                              f"{exc.message}", hint="fix the template") from None
        files[path] = html.encode("utf-8")

    page("index.html", "index.html", tables=codebooks.tables, frames=tables,
         downloads=downloads, pages=pages_by_table)
    page("summary.html", "summary.html", summaries=_summaries(codebooks, tables))
    matrices = {name: availability(codebooks, name, frame) for name, frame in tables.items()}
    page("availability.html", "availability.html", tables=codebooks.tables, matrices=matrices,
         table_sources={n: sorted(f["source"].unique().to_list()) for n, f in tables.items()})
    page("sources.html", "sources.html", references=codebooks.package.municipality_references,
         crosswalks=codebooks.package.municipality_crosswalks)
    for table_name, pages in pages_by_table.items():
        for p in pages:
            page("variable.html", f"variables/{table_name}/{p['name']}.html", **p)
    static = project.templates / "static"
    for path in sorted(static.rglob("*")) if static.is_dir() else []:
        if path.is_file():
            files[f"static/{path.relative_to(static).as_posix()}"] = path.read_bytes()
    return files
