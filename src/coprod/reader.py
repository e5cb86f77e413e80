"""Read the published tables with their codebook: categories in codebook order, labels in a
chosen language, missing reasons as nulls or in a column of their own.

    from coprod.reader import read
    institutions, codebook = read("institutions.parquet", ["country", "wave", "collab_any"])
    institutions["collab_any"].eq("yes").mean()    # the missing reasons are nulls: left out

For researchers, on the downloaded files alone: a table's Parquet file, with ``codebook.json``
next to it (or without it, from the Parquet field metadata, which has English category labels
only). This module imports nothing of the build tool: only the standard library and pyarrow,
with polars or pandas for the frame it returns, whichever is asked for. It is one file: copy it
next to your script to use it without installing coprod.

- :func:`read`: a polars (default) or pandas frame of a table or of some of its variables, and
  the codebook of what it returned.
- :func:`read_codebook`: the codebook of a table, from ``codebook.json`` or the Parquet file.
- :func:`duckdb_sql`: SQL that gives DuckDB the categories as ENUM types in codebook order, in
  a view over the Parquet file (also ``python -m coprod.reader duckdb FILE.parquet``).

Categorical columns come back as polars ``Enum`` / pandas ``Categorical`` with the categories
in codebook order, so they sort by the scale and not by the alphabet; ordinal ones (``level:
ordinal`` in the codebook, ``measure`` in the Parquet field metadata or an ordered Arrow
dictionary) are ordered pandas Categoricals. Missing reasons (``not_applicable``,
``dont_know``, ``refused``, ``no_answer``, ``not_asked``) come back, by ``missing=``:

- ``"null"`` (default): as nulls, so means, shares and ``value_counts`` leave them out;
- ``"column"``: as nulls, with the reason in a ``<variable>_missing`` column next to it (for
  numeric variables that is the file's own ``_missing`` column);
- ``"category"``: as stored: categories after the substantive ones, and numeric variables with
  their ``_missing`` column.

See docs/reading.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["Read", "read", "read_codebook", "duckdb_sql", "MISSING_MODES", "BACKENDS"]

MISSING_MODES = ("null", "column", "category")
BACKENDS = ("polars", "pandas")
COMPANION = "_missing"  # the suffix of the column that says why a value is missing
CODEBOOK = "codebook.json"


class Read(NamedTuple):
    """What :func:`read` returns: unpack it, ``frame, codebook = read(...)``."""

    frame: Any  # polars.DataFrame or pandas.DataFrame
    codebook: dict


# --- the codebook --------------------------------------------------------------------------------


def _meta(field: pa.Field) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}


def _is_categorical(field: pa.Field) -> bool:
    return pa.types.is_dictionary(field.type)


def _arrow_kind(dtype: pa.DataType) -> str:
    if pa.types.is_dictionary(dtype):
        return "categorical"
    if pa.types.is_integer(dtype):
        return "integer"
    if pa.types.is_floating(dtype):
        return "number"
    if pa.types.is_date(dtype):
        return "date"
    return "string"


def _entry_from_field(field: pa.Field) -> dict:
    """A codebook entry from the Parquet field metadata (English category labels only)."""
    meta = _meta(field)
    label = {"en": meta.get("label", field.name)}
    label.update({k.removeprefix("label_"): v for k, v in meta.items() if k.startswith("label_")})
    entry: dict = {"name": field.name, "type": _arrow_kind(field.type), "label": label}
    if meta.get("description"):
        entry["description"] = {"en": meta["description"]}
    categories = json.loads(meta.get("categories", "[]"))
    if categories and isinstance(categories[0], dict):
        entry["categories"] = [{"value": c["value"], "code": c.get("code"),
                                "label": {"en": c.get("label") or c["value"]}}
                               for c in categories]
    if meta.get("measure"):
        entry["measure"] = meta["measure"]
    if meta.get("lineage"):
        entry["lineage"] = json.loads(meta["lineage"])
    return entry


def _missing_from_parquet(path: Path, schema: pa.Schema, entries: Mapping[str, dict]) -> list:
    """The missing reasons, without codebook.json: a ``_missing`` column's metadata lists them;
    else they are the Arrow dictionary of a categorical column after its categories."""
    for field in schema:
        values = json.loads(_meta(field).get("categories", "[]"))
        if field.name.endswith(COMPANION) and values and isinstance(values[0], str):
            return [{"value": v, "label": {}} for v in values]
    parquet = pq.ParquetFile(path)
    for field in schema:
        entry = entries.get(field.name, {})
        if _is_categorical(field) and entry.get("categories") and parquet.num_row_groups:
            chunk = parquet.read_row_group(0, columns=[field.name]).column(0)
            if chunk.num_chunks and pa.types.is_dictionary(chunk.type):
                known = {c["value"] for c in entry["categories"]}
                return [{"value": v, "label": {}}
                        for v in chunk.chunk(0).dictionary.to_pylist() if v not in known]
    return []


def _find_table(document: dict, path: Path, schema: pa.Schema, table: str | None) -> str:
    tables = document.get("tables", {})
    if table is not None:
        if table not in tables:
            raise ValueError(f"{CODEBOOK} has no table {table!r}; it has {sorted(tables)}")
        return table
    if path.stem in tables:
        return path.stem
    names = {n for n in schema.names if not n.endswith(COMPANION)}
    fits = [t for t, spec in tables.items() if names <= set(spec.get("variables", {}))]
    if len(fits) == 1:
        return fits[0]
    raise ValueError(f"cannot tell which table of {CODEBOOK} {path.name} holds "
                     f"({'several fit' if fits else 'none fits'}): pass table=, one of "
                     f"{sorted(tables)}")


def _codebook_path(path: Path, codebook: str | Path | dict | bool | None) -> Path | None:
    if codebook is None:
        candidate = path.with_name(CODEBOOK)
        return candidate if candidate.is_file() else None
    if codebook is False:
        return None
    return Path(codebook)  # type: ignore[arg-type]


def read_codebook(path: str | Path, codebook: str | Path | dict | bool | None = None, *,
                  table: str | None = None) -> dict:
    """The codebook of the table in the Parquet file ``path``.

    ``codebook``: the path of ``codebook.json`` (or its parsed content); by default the
    ``codebook.json`` next to the Parquet file if there is one; ``False`` to use only the
    Parquet field metadata (variable labels in every language, category labels in English).
    ``table``: which table of ``codebook.json`` the file holds, when its name does not say.

    Returns ``{"package", "version", "synthetic_notice", "table", "title", "languages",
    "missing", "metadata", "variables": {name: entry}}``, the variables in the order of the
    file's columns (``_missing`` columns included), each categorical one with its ``level``.
    """
    path = Path(path)
    schema = pq.read_schema(path)
    file_meta = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()
                 if not k.startswith(b"ARROW:") and k != b"pandas"}
    fields = {f.name: f for f in schema}
    if isinstance(codebook, dict):
        document: dict | None = codebook
        source = "codebook"
    else:
        where = _codebook_path(path, codebook)
        document = json.loads(where.read_text(encoding="utf-8")) if where else None
        source = str(where.name) if where else "parquet"
    if document is not None:
        version = document.get("version")
        if file_meta.get("version") and version and file_meta["version"] != version:
            raise ValueError(f"{path.name} is of release {file_meta['version']} and its "
                             f"codebook of release {version}: take both from the same release")
        name = _find_table(document, path, schema, table)
        spec = document["tables"][name]
        known = spec.get("variables", {})
        missing = document.get("missing", [])
        languages = list(spec.get("title", {}) or {"en": ""})
        head = {"package": document.get("package"), "version": version,
                "synthetic_notice": document.get("synthetic_notice"), "table": name,
                **{k: spec[k] for k in ("title", "description", "universe") if k in spec}}
    else:
        known = {}
        name = table or path.stem
        languages = ["en", *sorted({k.removeprefix("label_") for f in schema
                                    for k in _meta(f) if k.startswith("label_")})]
        head = {"package": file_meta.get("package"), "version": file_meta.get("version"),
                "synthetic_notice": file_meta.get("synthetic_notice"), "table": name}
        missing = None
    variables: dict[str, dict] = {}
    for field in schema:
        base = field.name.removesuffix(COMPANION)
        if field.name in known:
            entry = dict(known[field.name])
        elif field.name.endswith(COMPANION) and base in fields:
            entry = {"name": field.name, "type": "categorical",
                     "label": {"en": f"Reason {base} is missing"}, "missing_reason_of": base}
        else:
            entry = _entry_from_field(field)
        if entry.get("type") == "categorical" and "missing_reason_of" not in entry:
            measure = _meta(field).get("measure")
            ordinal = (entry.get("level", entry.get("measure")) == "ordinal"
                       or measure == "ordinal"
                       or (_is_categorical(field) and field.type.ordered))
            entry["level"] = "ordinal" if ordinal else "nominal"
        if f"{field.name}{COMPANION}" in fields:
            entry["missing_column"] = f"{field.name}{COMPANION}"
        variables[field.name] = entry
    if missing is None:
        missing = _missing_from_parquet(path, schema, variables)
    for entry in variables.values():
        if "missing_reason_of" in entry:
            entry["categories"] = missing
    return {**head, "languages": languages, "missing": missing, "metadata": source,
            "variables": variables}


# --- what to return ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    """One returned column: ``source`` read from the file, made into ``kind``: ``plain`` (as
    stored), ``value`` (a categorical: its categories, reasons kept or not), ``reason`` (the
    missing reason of a categorical, split off) or ``companion`` (a stored ``_missing``)."""

    name: str
    source: str
    kind: str
    values: tuple[str, ...] = ()  # the categories it may hold, in order (stored values)
    ordered: bool = False


def _plan(book: dict, variables: Sequence[str] | None, missing: str) -> list[_Column]:
    if missing not in MISSING_MODES:
        raise ValueError(f"missing={missing!r}: use one of {', '.join(MISSING_MODES)}")
    entries = book["variables"]
    reasons = tuple(m["value"] for m in book["missing"])
    if variables is None:
        wanted = [n for n, e in entries.items() if "missing_reason_of" not in e]
    else:
        if isinstance(variables, str):
            variables = [variables]
        unknown = [v for v in variables if v not in entries]
        if unknown:
            names = [n for n, e in entries.items() if "missing_reason_of" not in e]
            raise KeyError(f"not in {book['table']}: {', '.join(unknown)}; its variables: "
                           f"{', '.join(names)}")
        wanted = list(dict.fromkeys(variables))
    plan: list[_Column] = []
    for name in wanted:
        entry = entries[name]
        if "missing_reason_of" in entry:  # a _missing column asked for by name
            plan.append(_Column(name, name, "companion", reasons))
            continue
        if entry.get("type") == "categorical":
            categories = tuple(c["value"] for c in entry.get("categories", []))
            plan.append(_Column(name, name, "value",
                                categories + reasons if missing == "category" else categories,
                                entry.get("level") == "ordinal"))
            if missing == "column" and f"{name}{COMPANION}" not in entries:
                plan.append(_Column(f"{name}{COMPANION}", name, "reason", reasons))
        else:
            plan.append(_Column(name, name, "plain"))
        companion = entry.get("missing_column")
        if companion and missing != "null" and companion not in wanted:
            plan.append(_Column(companion, companion, "companion", reasons))
    return plan


def _label_map(book: dict, language: str | None, name: str) -> dict[str, str]:
    """Stored value -> what to return: the label in ``language`` (unique within the column),
    or the value itself."""
    entry = book["variables"].get(name, {})
    items = [*entry.get("categories", []), *book["missing"]] if "missing_reason_of" not in entry \
        else list(book["missing"])
    if language is None:
        return {c["value"]: c["value"] for c in items}
    labels = {c["value"]: (c.get("label") or {}).get(language) or c["value"] for c in items}
    seen: dict[str, int] = {}
    for label in labels.values():
        seen[label] = seen.get(label, 0) + 1
    return {v: (f"{lab} ({v})" if seen[lab] > 1 else lab) for v, lab in labels.items()}


def _check_language(book: dict, language: str | None) -> None:
    if language is None:
        return
    if language not in book["languages"]:
        raise ValueError(f"labels={language!r}: the codebook has labels in "
                         f"{', '.join(book['languages'])}")
    if book["metadata"] == "parquet" and language != "en":
        raise ValueError(f"category labels in {language!r} are in {CODEBOOK}, which was not "
                         "found next to the Parquet file: pass codebook=PATH")


def _strings(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column.cast(pa.string()) if not pa.types.is_string(column.type) else column


def _checked(name: str, strings: pa.ChunkedArray, values: Sequence[str]) -> None:
    index = pc.index_in(strings, value_set=pa.array(values, pa.string()))
    stray = pc.and_(pc.is_valid(strings), pc.is_null(index))
    if pc.any(stray).as_py():
        found = sorted(set(pc.filter(strings, stray).to_pylist()))[:5]
        raise ValueError(f"{name}: values {found} are not among its categories in the codebook "
                         f"({', '.join(values)}); is the codebook of this file's release?")


def _column(table: pa.Table, col: _Column, reasons: Sequence[str]) -> pa.ChunkedArray:
    """The stored values the column returns (strings for categorical kinds)."""
    data = table.column(col.source)
    if col.kind == "plain":
        return data
    strings = _strings(data)
    if col.kind == "companion" or (col.kind == "value" and set(reasons) <= set(col.values)):
        return strings
    is_reason = pc.is_in(strings, value_set=pa.array(list(reasons), pa.string()))
    none = pa.scalar(None, pa.string())
    return pc.if_else(is_reason, strings, none) if col.kind == "reason" \
        else pc.if_else(is_reason, none, strings)


def _relabel(strings: pa.ChunkedArray, mapping: Mapping[str, str]) -> pa.ChunkedArray:
    if all(k == v for k, v in mapping.items()):
        return strings
    index = pc.index_in(strings, value_set=pa.array(list(mapping), pa.string()))
    return pc.take(pa.array(list(mapping.values()), pa.string()), index)


def _to_polars(table: pa.Table, enums: Mapping[str, tuple[list[str], bool]]) -> Any:
    import polars as pl

    frame = pl.from_arrow(table)
    return frame.with_columns(pl.col(name).cast(pl.Enum(categories))
                              for name, (categories, _) in enums.items())


def _to_pandas(table: pa.Table, enums: Mapping[str, tuple[list[str], bool]]) -> Any:
    import pandas as pd

    columns = []
    for name in table.column_names:
        column = table.column(name)
        if name in enums:
            categories, ordered = enums[name]
            dictionary = pa.array(categories, pa.string())
            index = pc.index_in(column, value_set=dictionary).cast(pa.int16())
            column = pa.chunked_array(
                [pa.DictionaryArray.from_arrays(chunk, dictionary, ordered=ordered)
                 for chunk in index.chunks], pa.dictionary(pa.int16(), pa.string(), ordered))
        columns.append(column)
    # integers stay integers where some are missing (pandas' nullable Int64, not float NaN)
    integers = {t: pd.Int64Dtype() for t in (pa.int8(), pa.int16(), pa.int32(), pa.int64())}
    return pa.Table.from_arrays(columns, names=table.column_names).to_pandas(
        types_mapper=integers.get)


def read(path: str | Path, variables: Sequence[str] | str | None = None, *,
         labels: str | None = None, missing: str = "null",
         where: Mapping[str, Any] | None = None, backend: str = "polars",
         codebook: str | Path | dict | bool | None = None, table: str | None = None) -> Read:
    """A table, or some of its variables, as a polars or pandas frame, with its codebook.

    - ``path``: the table's Parquet file (``processed/<table>.parquet`` or the download).
    - ``variables``: the variables to return, in that order (default: all); a numeric variable
      brings its ``_missing`` column along unless ``missing="null"``.
    - ``labels``: ``None`` (default) for category values (``yes``, ``very_positive``), or a
      language (``"en"``, ``"da"``, ``"nb"``) for category labels in it.
    - ``missing``: ``"null"`` (default), ``"column"`` or ``"category"``; see the module doc.
    - ``where``: keep rows whose stored values match, e.g. ``{"country": "dk", "wave":
      [2016, 2018]}`` (values, not labels; a list means any of them).
    - ``backend``: ``"polars"`` (default) or ``"pandas"``.
    - ``codebook``, ``table``: as for :func:`read_codebook`.

    Returns ``Read(frame, codebook)``: the frame, and the codebook of what it holds: the
    entries of its columns (a ``<variable>_missing`` column made by ``missing="column"``
    included), the settings of the call under ``"read"`` and, when ``where`` selected rows,
    no ``frequencies`` (those are of the whole table).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r}: use one of {', '.join(BACKENDS)}")
    path = Path(path)
    book = read_codebook(path, codebook, table=table)
    _check_language(book, labels)
    plan = _plan(book, variables, missing)
    reasons = [m["value"] for m in book["missing"]]
    filters = None
    if where:
        unknown = [k for k in where if k not in book["variables"]]
        if unknown:
            raise KeyError(f"where: not in {book['table']}: {', '.join(unknown)}")
        filters = [(k, "in", list(v) if isinstance(v, list | tuple | set) else [v])
                   for k, v in where.items()]
    sources = list(dict.fromkeys(c.source for c in plan))
    data = pq.read_table(path, columns=sources, filters=filters)

    arrays, enums, entries = [], {}, {}
    for col in plan:
        column = _column(data, col, reasons)
        entry = book["variables"].get(col.name)
        if col.kind != "plain":
            values = list(reasons) if col.kind in ("reason", "companion") else list(col.values)
            _checked(col.name, column, values)
            mapping = _label_map(book, labels, col.source)
            column = _relabel(column, mapping)
            enums[col.name] = ([mapping[v] for v in values], col.ordered)
        if col.kind == "reason":
            entry = {"name": col.name, "type": "categorical",
                     "label": {"en": f"Reason {col.source} is missing"},
                     "missing_reason_of": col.source, "categories": book["missing"]}
        entry = dict(entry or {})
        if where:
            entry.pop("frequencies", None)
        entries[col.name] = entry
        arrays.append(column)
    result = pa.Table.from_arrays(arrays, names=[c.name for c in plan])
    frame = (_to_polars if backend == "polars" else _to_pandas)(result, enums)
    returned = {k: v for k, v in book.items() if k != "variables"}
    returned["read"] = {"file": path.name, "variables": [c.name for c in plan],
                        "labels": labels, "missing": missing,
                        "where": dict(where) if where else None, "rows": result.num_rows,
                        "backend": backend}
    returned["variables"] = entries
    return Read(frame, returned)


# --- DuckDB --------------------------------------------------------------------------------------


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duckdb_sql(path: str | Path, codebook: str | Path | dict | bool | None = None, *,
               variables: Sequence[str] | None = None, labels: str | None = None,
               missing: str = "null", view: str | None = None, table: str | None = None,
               parquet: str | None = None) -> str:
    """SQL for DuckDB: an ENUM type per categorical column, its categories in codebook order,
    and a view ``view`` (default: the table's name) over the Parquet file that casts the
    columns to them, so that they sort by the scale; ``variables``, ``labels`` and ``missing``
    as for :func:`read`. ``parquet``: the file name the view reads (default: ``path`` as
    given). Run it in DuckDB (``.read FILE.sql`` in its shell, or ``con.execute(sql)``);
    running it again replaces the types and the view."""
    path = Path(path)
    book = read_codebook(path, codebook, table=table)
    _check_language(book, labels)
    plan = _plan(book, variables, missing)
    view = view or book["table"]
    reasons = [m["value"] for m in book["missing"]]
    reason_type = _ident(f"{view}__missing_reason")
    types: dict[str, list[str]] = {}
    columns = []
    for col in plan:
        x = _ident(col.source)
        if col.kind == "plain":
            columns.append(f"  {x} AS {_ident(col.name)}")
            continue
        mapping = _label_map(book, labels, col.source)
        values = list(reasons) if col.kind in ("reason", "companion") else list(col.values)
        # the missing reasons share a type, but where a variable is named missing_reason
        type_name = (reason_type if col.kind != "value" and not any(
            c.name == "missing_reason" for c in plan) else _ident(f"{view}__{col.name}"))
        types[type_name] = [mapping[v] for v in values]
        relabel = "".join(f" WHEN {x} = {_literal(v)} THEN {_literal(mapping[v])}"
                          for v in values if mapping[v] != v)
        in_reasons = f"{x} IN ({', '.join(_literal(r) for r in reasons)})"
        if col.kind == "reason":
            expression = f"CASE WHEN {in_reasons} THEN {f'CASE{relabel} END' if relabel else x} END"
        elif col.kind == "value" and missing != "category":
            expression = f"CASE WHEN {in_reasons} THEN NULL{relabel} ELSE {x} END"
        else:
            expression = f"CASE{relabel} ELSE {x} END" if relabel else x
        columns.append(f"  CAST({expression} AS {type_name}) AS {_ident(col.name)}")
    out = [f"-- {book['package']} {book['version']}: {book['table']}, its categories as ENUM "
           f"types in codebook order", f"-- missing reasons: {missing}; "
           f"{'labels in ' + labels if labels else 'category values'}; from {book['metadata']}",
           f"DROP VIEW IF EXISTS {_ident(view)};"]
    for type_name, values in types.items():
        out.append(f"DROP TYPE IF EXISTS {type_name};")
        out.append(f"CREATE TYPE {type_name} AS ENUM ({', '.join(map(_literal, values))});")
    source = parquet if parquet is not None else str(path)
    out.append(f"CREATE VIEW {_ident(view)} AS\nSELECT\n" + ",\n".join(columns)
               + f"\nFROM read_parquet({_literal(source)});")
    return "\n".join(out) + "\n"


# --- command line --------------------------------------------------------------------------------


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coprod.reader",
                                     description="Read the data package's published tables.")
    commands = parser.add_subparsers(dest="command", required=True)
    sql = commands.add_parser("duckdb", help="print SQL that creates ENUM types and a view for "
                                             "DuckDB")
    sql.add_argument("parquet", help="the table's Parquet file")
    sql.add_argument("--codebook", help=f"{CODEBOOK} (default: the one next to the file)")
    sql.add_argument("--table", help="the table, when the file name does not say")
    sql.add_argument("--view", help="the view's name (default: the table's)")
    sql.add_argument("--variables", help="comma-separated variables (default: all)")
    sql.add_argument("--labels", help="a language: category labels instead of values")
    sql.add_argument("--missing", choices=MISSING_MODES, default="null")
    book = commands.add_parser("codebook", help="print the codebook of a table as JSON")
    book.add_argument("parquet")
    book.add_argument("--codebook")
    book.add_argument("--table")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        if args.command == "duckdb":
            sys.stdout.write(duckdb_sql(
                args.parquet, args.codebook, table=args.table, view=args.view,
                variables=args.variables.split(",") if args.variables else None,
                labels=args.labels, missing=args.missing))
        else:
            json.dump(read_codebook(args.parquet, args.codebook, table=args.table), sys.stdout,
                      ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
    except (OSError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
