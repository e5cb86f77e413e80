"""Write the harmonized tables to Parquet and describe them in ``datapackage.json``.

Bytes are deterministic: a fixed Arrow schema derived from the harmonized codebook (categories as
dictionaries over the full category list, signed indices, plain UTF-8 strings), fixed writer
settings, no timestamps, keys in codebook order. The bytes are returned, not written:
:func:`coprod.atomic.publish` puts them in place all-or-nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Mapping as MappingType
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from .codebook import Codebooks, HarmonizedTable, HarmonizedVariable, Package
from .describe import codebook_of, lineage
from .disclosure import tables as disclosure
from .disclosure.tables import TablePlan
from .harmonize import BATCH_ROWS, output_columns

# zstd's default level: level 9 makes files 0.4 % smaller and takes half as long again. Column
# statistics (min/max, for readers that skip row groups) are written for numbers and strings;
# for the categories they took pyarrow 0.4 s of 0.9 s at a million rows (measured), and a reader
# filters categories by the dictionary anyway.
# Rows per row group: 131,072 (DuckDB writes 122,880). The rows of one row group wait in memory
# while the batches are written, so this bounds the writer's memory; the demo's tables are
# smaller than one.
ROW_GROUP = 1 << 17
PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 3, "use_dictionary": True,
                   "row_group_size": ROW_GROUP}
MEDIATYPE = "application/vnd.apache.parquet"
DATA_PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"

ARROW_TYPES = {"integer": pa.int64(), "number": pa.float64(), "string": pa.string(),
               "date": pa.date32(), "month": pa.string()}
# Frictionless field types of the harmonized types that are not named alike
FIELD_TYPES = {"month": "yearmonth"}
DICTIONARY = pa.dictionary(pa.int16(), pa.string())
# an ordinal variable's: its categories in codebook order, then the missing reasons, so that
# readers that honour the flag (pandas, R's arrow) sort by the scale, not the alphabet
ORDERED = pa.dictionary(pa.int16(), pa.string(), ordered=True)


# --- Parquet -----------------------------------------------------------------------------------


def _field_metadata(var: HarmonizedVariable, lineage: MappingType,
                    languages: list[str]) -> dict[bytes, bytes]:
    meta = {
        "label": var.label.get("en"),
        **{f"label_{lang}": var.label.get(lang) for lang in languages if lang != "en"},
        "description": var.description.get("en") if var.description else "",
        "lineage": json.dumps(lineage, ensure_ascii=False, sort_keys=True),
        "measure": var.measure,
    }
    if var.categories:
        meta["categories"] = json.dumps(
            [{"value": c.value, "code": c.code, "label": c.label.get("en")}
             for c in var.categories], ensure_ascii=False)
    return {k.encode(): v.encode() for k, v in meta.items()}


def arrow_schema(table: HarmonizedTable, package: Package,
                 lineage: MappingType[str, MappingType]) -> pa.Schema:
    fields = []
    missing_meta = {b"label": b"Reason the value is missing",
                    b"categories": json.dumps([m.value for m in package.missing]).encode()}
    for name, var in table.variables.items():
        dtype = ((ORDERED if var.level == "ordinal" else DICTIONARY)
                 if var.type == "categorical" else ARROW_TYPES[var.type])
        fields.append(pa.field(name, dtype, metadata=_field_metadata(var, lineage[name],
                                                                     package.languages)))
        if var.missing_column:
            fields.append(pa.field(f"{name}_missing", DICTIONARY, metadata=missing_meta))
    meta = {b"package": package.name.encode(), b"version": package.version.encode(),
            b"synthetic_notice": package.synthetic_notice.encode()}
    return pa.schema(fields, metadata=meta)


def to_arrow(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """The frame as an Arrow table of ``schema``: an Enum column becomes indices into its full,
    fixed category list (the dictionary is the same every build), cast in polars and handed
    over without a copy; strings become plain UTF-8. Nothing goes through ``pa.array`` on
    Python values, which imports pandas (half a second) where it is installed."""
    enums = {name: dtype for name, dtype in frame.schema.items() if isinstance(dtype, pl.Enum)}
    physical = frame.select(pl.col(name).to_physical().cast(pl.Int16) if name in enums
                            else pl.col(name) for name in schema.names)
    table = physical.to_arrow(compat_level=pl.CompatLevel.oldest())
    columns = []
    for field in schema:
        column = table.column(field.name)
        if field.name in enums:
            categories = enums[field.name].categories.to_arrow(
                compat_level=pl.CompatLevel.oldest()).cast(pa.string())
            column = pa.chunked_array([pa.DictionaryArray.from_arrays(
                chunk, categories, ordered=field.type.ordered) for chunk in column.chunks],
                field.type)
        columns.append(column.cast(field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _statistics(schema: pa.Schema) -> list[str]:
    return [f.name for f in schema if not pa.types.is_dictionary(f.type)]


def parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, write_statistics=_statistics(table.schema), **PARQUET_OPTIONS)
    return sink.getvalue().to_pybytes()


class ParquetBatches:
    """A Parquet file written batch by batch, each row group whole: the batches are gathered
    until they fill one (:data:`ROW_GROUP` rows), so that the row groups, and so the bytes,
    do not depend on how the rows came in batches. Encoding runs on ``pool`` (pyarrow encodes
    without the GIL), in order; only the rows of one row group wait in memory."""

    def __init__(self, schema: pa.Schema, pool: ThreadPoolExecutor) -> None:
        self.sink = pa.BufferOutputStream()
        self.writer = pq.ParquetWriter(self.sink, schema, write_statistics=_statistics(schema),
                                       **{k: v for k, v in PARQUET_OPTIONS.items()
                                          if k != "row_group_size"})
        self.schema, self.pool = schema, pool
        self.waiting: list[pa.Table] = []
        self.rows = 0
        self.written: list[Future] = []

    def _group(self, table: pa.Table) -> None:
        self.written.append(self.pool.submit(self.writer.write_table, table.combine_chunks(),
                                              row_group_size=ROW_GROUP))

    def add(self, table: pa.Table) -> None:
        self.waiting.append(table)
        self.rows += table.num_rows
        while self.rows >= ROW_GROUP:
            gathered = pa.concat_tables(self.waiting)
            self._group(gathered.slice(0, ROW_GROUP))
            rest = gathered.slice(ROW_GROUP)
            self.waiting, self.rows = [rest], rest.num_rows

    def close(self) -> bytes:
        if self.rows or not self.written:  # the last row group, or an empty file's schema
            self._group(pa.concat_tables(self.waiting) if self.waiting
                        else self.schema.empty_table())
        for future in self.written:
            future.result()
        self.writer.close()
        return self.sink.getvalue().to_pybytes()


# --- datapackage.json ----------------------------------------------------------------------------


def _field(name: str, var: HarmonizedVariable, package: Package) -> dict:
    field: dict = {"name": name, "title": var.label.get("en")}
    if var.description:
        field["description"] = var.description.get("en")
    field["labels"] = {lang: var.label.get(lang) for lang in package.languages}
    if var.type == "categorical":
        field["type"] = "string"
        field["categories"] = [{"value": c.value, "label": c.label.get("en")}
                               for c in (*var.categories, *package.missing)]
        field["missingCategories"] = [m.value for m in package.missing]
        if var.level == "ordinal":
            field["categoriesOrdered"] = True
    else:
        field["type"] = FIELD_TYPES.get(var.type, var.type)
    return field


def descriptor(codebooks: Codebooks, hashes: MappingType[str, str],
               fieldwork: MappingType[str, str] | None = None) -> dict:
    """The Frictionless Data Package (v2) descriptor, derived from the codebooks."""
    package = codebooks.package
    resources = []
    for name, table in codebooks.tables.items():
        if name not in hashes:
            continue
        fields = []
        for var_name, var in table.variables.items():
            fields.append(_field(var_name, var, package))
            if var.missing_column:
                fields.append({
                    "name": f"{var_name}_missing", "type": "string",
                    "title": f"Reason {var_name} is missing",
                    "categories": [{"value": m.value, "label": m.label.get("en")}
                                   for m in package.missing],
                })
        sources = sorted(s.id for s in codebooks.sources_for(name))
        resources.append({
            "name": name,
            "title": table.title.get("en"),
            "description": table.description.get("en"),
            "path": f"processed/{name}.parquet",
            "format": "parquet",
            "mediatype": MEDIATYPE,
            # No "bytes": frictionless-py reads Parquet through pyarrow, not as a byte stream, and
            # so reports a byte-count error for any declared size. The hash pins the content.
            "hash": f"sha256:{hashes[name]}",
            "sources": [{"title": s} for s in sources],
            # frictionless-py reads Parquet through pandas, where a null integer becomes the
            # float NaN and then the text "nan"; declaring it keeps nulls valid. Empty stays
            # the missing marker for anyone reading a CSV export.
            "schema": {"fields": fields, "primaryKey": ["respondent_id"],
                       "missingValues": ["", "nan"]},
        })
    return {
        "$schema": DATA_PACKAGE_PROFILE,
        "name": package.name,
        "title": package.title,
        "description": f"{package.description}\n\n{package.synthetic_notice}",
        "version": package.version,
        "synthetic": package.synthetic,
        "licenses": [{"name": lic.name, "title": lic.title, **({"path": lic.path} if lic.path
                                                                 else {})}
                     for lic in package.licenses if lic.scope == "data"],
        "contributors": [c.model_dump(exclude_none=True) for c in package.contributors],
        "keywords": package.keywords,
        "sources": _sources(codebooks, fieldwork or {}),
        "resources": resources,
    }


def _sources(codebooks: Codebooks, fieldwork: MappingType[str, str]) -> list[dict]:
    sources = [{"title": f"{s.id}: {s.title}", "path": s.file,
                # the period the interview dates span, where the source has them
                **({"fieldwork": fieldwork[s.id]} if s.id in fieldwork else {})}
               for s in sorted(codebooks.sources.values(), key=lambda s: s.id)]
    for ref in codebooks.package.municipality_references.values():
        sources.append({"title": f"Municipality classification {ref.country.upper()} "
                                 f"{ref.vintage} (see reference/PROVENANCE.md)",
                        "path": ref.file})
    return sources


def json_bytes(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class PackageFiles:
    files: dict[Path, bytes]  # the public files: processed/ and the descriptor
    parquet: frozenset[Path]  # the Parquet files made (public, or in the bundle)
    # access: restricted: the microdata bundle for licensed users (path in it -> bytes)
    bundle: dict[str, bytes] = dataclasses.field(default_factory=dict)
    # the disclosure plan of each table, which codebook.json follows (and the site, in a build)
    plans: dict[str, TablePlan] = dataclasses.field(default_factory=dict)


RESTRICTED = "build/restricted"  # where a restricted package's microdata bundle is built


def public_descriptor(codebooks: Codebooks, codebook_hash: str,
                      fieldwork: MappingType[str, str]) -> dict:
    """The descriptor of a restricted package: its metadata and its aggregates (the codebook
    with its disclosure-controlled frequencies), no microdata."""
    document = descriptor(codebooks, {}, fieldwork)
    document["access"] = "restricted"
    document["resources"] = [{
        "name": "codebook", "title": "Codebook with aggregate frequencies",
        "description": "Labels, categories, lineage, availability and frequencies (counts "
                       "below the minimum cell size suppressed) of the harmonized tables. The "
                       "microdata are available to licensed users only.",
        "path": "processed/codebook.json", "format": "json", "mediatype": "application/json",
        "hash": f"sha256:{codebook_hash}"}]
    return document


def _gathered(batches: Iterable[tuple[str, pl.DataFrame]], rows: int = BATCH_ROWS
              ) -> Iterator[tuple[str, pl.DataFrame]]:
    """Consecutive batches of one table put together until they hold ``rows``: each batch
    costs as much to count, scan and convert as a far larger one, and a package of many small
    sources (the demo's eight) would pay it for each."""
    waiting: list[pl.DataFrame] = []
    table = None
    for name, batch in batches:
        if waiting and (name != table or sum(b.height for b in waiting) >= rows):
            yield table, pl.concat(waiting, how="vertical")
            waiting = []
        table = name
        waiting.append(batch)
    if waiting:
        yield table, pl.concat(waiting, how="vertical")


def package_files(codebooks: Codebooks, tables: Iterable[tuple[str, pl.DataFrame]],
                  root: Path, meanwhile: Callable[[dict[Path, pa.Table]], None] | None = None,
                  *, fieldwork: MappingType[str, str] | None = None) -> PackageFiles:
    """The bytes of ``processed/*.parquet``, ``processed/codebook.json`` and
    ``datapackage.json``, ready to publish. ``tables``: the rows in batches, (table, batch) in
    row order (:class:`coprod.harmonize.Batches`, or a table whole as one batch): each batch is
    written and counted as it comes, and let go. ``meanwhile`` is called with each batch as
    Arrow while it is encoded (the privacy scan)."""
    batches = _gathered(tables)
    writers: dict[str, ParquetBatches] = {}
    counts: dict[str, disclosure.TableCounts] = {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        for name, batch in batches:
            spec = codebooks.tables[name]
            if name not in writers:
                writers[name] = ParquetBatches(
                    arrow_schema(spec, codebooks.package, lineage(codebooks, name)), pool)
            arrow = to_arrow(batch.select(output_columns(spec)), writers[name].schema)
            writers[name].add(arrow)
            # counted while pyarrow encodes the batch
            part = disclosure.table_counts(codebooks, name, batch)
            counts[name] = disclosure.add_counts(codebooks, name, counts[name], part) if (
                name in counts) else part
            if meanwhile is not None:
                meanwhile({root / "processed" / f"{name}.parquet": arrow})
            del arrow, batch
        files = {root / "processed" / f"{name}.parquet": writer.close()
                 for name, writer in writers.items()}
    parquet = frozenset(files)
    plans = {name: disclosure.plan_of(codebooks, name, table) for name, table in counts.items()}
    document = json_bytes(codebook_of(codebooks, counts, fieldwork or {}, plans=plans))
    files[root / "processed" / "codebook.json"] = document
    hashes = {path.stem: sha256(data) for path, data in files.items() if path in parquet}
    full = descriptor(codebooks, hashes, fieldwork or {})
    if codebooks.package.access == "open":
        files[root / "datapackage.json"] = json_bytes(full)
        return PackageFiles(files, parquet, plans=plans)
    # Restricted: the microdata, its full codebook and its descriptor go to the bundle; the
    # public files are the aggregates.
    bundle = {f"processed/{path.name}": data for path, data in files.items() if path in parquet}
    bundle["codebook.json"] = json_bytes(codebook_of(codebooks, counts, fieldwork or {},
                                                     suppress=False))
    bundle["datapackage.json"] = json_bytes({**full, "access": "restricted"})
    bundle["CONDITIONS.md"] = (f"# Conditions of use\n\n{codebooks.package.conditions}\n"
                               .encode())
    public = {root / "processed" / "codebook.json": document}
    public[root / "datapackage.json"] = json_bytes(public_descriptor(
        codebooks, sha256(document), fieldwork or {}))
    return PackageFiles(public, parquet, bundle, plans)
