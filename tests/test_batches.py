"""The tables are harmonized and written batch by batch: whatever the batches, the published
bytes are those of the whole tables, and the checks that need all of a source's rows (repeated
ids, not_asked for some rows only, reconciliation) still see all of them."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import REPO
from coprod import pipeline
from coprod.codebook import Mapping
from coprod.errors import GateError
from coprod.harmonize import harmonize_batches, harmonize_source
from coprod.project import Project
from coprod.write import ParquetBatches, package_files, parquet_bytes


@pytest.fixture(scope="module")
def validated() -> pipeline.Validated:
    project = Project.at(REPO)
    return pipeline.validate(project, pipeline.load(project))


@pytest.mark.parametrize("rows", [97, 700, 4096])
def test_batches_put_together_are_the_whole_tables(validated: pipeline.Validated,
                                                   rows: int) -> None:
    codebooks = validated.codebooks
    whole = {name: pl.concat([harmonize_source(validated.frames[s.id], s, codebooks.tables[name],
                                               codebooks.package, validated.municipalities[s.id])
                              for s in sorted(codebooks.sources_for(name), key=lambda s: s.id)])
             for name in codebooks.tables}  # each source harmonized whole, as before batches
    made = harmonize_batches(validated.codebooks, validated.frames, validated.municipalities,
                             rows=rows)
    parts: dict[str, list[pl.DataFrame]] = {}
    for name, batch in made.batches:
        assert 0 < batch.height <= rows
        assert batch["source"].n_unique() == 1  # a batch is rows of one source
        parts.setdefault(name, []).append(batch)
    assert parts.keys() == whole.keys()
    for name, frame in whole.items():
        assert pl.concat(parts[name]).equals(frame)


def test_the_published_bytes_do_not_depend_on_the_batches(validated: pipeline.Validated
                                                          ) -> None:
    """Written from batches of 333 rows (sources and row groups split anywhere), the Parquet
    files, codebook.json and datapackage.json are the repository's, byte for byte."""
    made = harmonize_batches(validated.codebooks, validated.frames, validated.municipalities,
                             rows=333)
    files = package_files(validated.codebooks, made.batches, REPO, fieldwork=made.fieldwork)
    assert files.parquet == {REPO / "processed" / f"{name}.parquet"
                             for name in validated.codebooks.tables}
    for path, data in files.files.items():
        assert data == path.read_bytes(), path


def _table(rows: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    return pa.table({
        "id": pa.array(range(rows), pa.int64()),
        "text": pa.array([f"t{rng.randrange(50)}" for _ in range(rows)], pa.string()),
        "kind": pa.array([rng.choice("abc") for _ in range(rows)]).dictionary_encode(),
    })


@pytest.mark.parametrize("seed", range(5))
def test_a_file_written_in_batches_is_the_file_written_whole(seed: int,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """Row groups of 100 rows from batches of any size: the same bytes as the whole table
    written at once, row groups included."""
    import coprod.write as write

    monkeypatch.setattr(write, "ROW_GROUP", 100)
    monkeypatch.setitem(write.PARQUET_OPTIONS, "row_group_size", 100)
    table = _table(1234, seed)
    cuts = sorted(random.Random(seed).sample(range(1, table.num_rows), 7))
    with ThreadPoolExecutor(max_workers=1) as pool:
        writer = ParquetBatches(table.schema, pool)
        for start, end in zip([0, *cuts], [*cuts, table.num_rows], strict=True):
            writer.add(table.slice(start, end - start))
        data = writer.close()
    assert data == parquet_bytes(table)
    assert pq.ParquetFile(pa.BufferReader(data)).metadata.num_row_groups == 13


def test_an_empty_table_is_written_as_when_whole() -> None:
    table = _table(0, 0)
    with ThreadPoolExecutor(max_workers=1) as pool:
        writer = ParquetBatches(table.schema, pool)
        writer.add(table)
        data = writer.close()
    assert data == parquet_bytes(table)


def test_a_repeated_id_across_batches_is_caught(validated: pipeline.Validated) -> None:
    """Two rows with one id, far apart in a source (in different batches): the build stops,
    naming the id, as it does for the whole table."""
    source = sorted(validated.codebooks.sources_for("institutions"), key=lambda s: s.id)[0]
    frame = validated.frames[source.id]
    id_column = source.id_variable
    first = frame[id_column][0]
    frames = {**validated.frames,
              source.id: frame.with_columns(
                  pl.when(pl.int_range(pl.len()) == frame.height - 1).then(pl.lit(first))
                  .otherwise(pl.col(id_column)).alias(id_column))}
    for rows in (50, 1 << 20):
        made = harmonize_batches(validated.codebooks, frames, validated.municipalities,
                                 rows=rows)
        with pytest.raises(GateError) as caught:
            for _ in made.batches:
                pass
        assert f"respondent_id '{source.id}-{first}' occurs in 2 rows" in str(caught.value)


def test_not_asked_in_some_batches_only_is_caught(validated: pipeline.Validated,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """not_asked for some rows of a source is refused, even when each batch has it in all of
    its rows or in none."""
    import coprod.harmonize as harmonize

    original = harmonize.harmonize_source
    source = sorted(validated.codebooks.sources_for("associations"), key=lambda s: s.id)[0]
    planted = []

    def first_batch_not_asked(frame, src, table, *args):  # noqa: ANN001, ANN002, ANN202
        part = original(frame, src, table, *args)
        if src.id == source.id and not planted:
            column = next(c for c, dtype in part.schema.items() if isinstance(dtype, pl.Enum)
                          and "not_asked" in dtype.categories)
            planted.append(column)
            part = part.with_columns(pl.lit("not_asked").cast(part.schema[column]).alias(column))
        return part

    monkeypatch.setattr(harmonize, "harmonize_source", first_batch_not_asked)
    made = harmonize_batches(validated.codebooks, validated.frames, validated.municipalities,
                             rows=100)
    with pytest.raises(GateError) as caught:
        for _ in made.batches:
            pass
    rows = validated.frames[source.id].height
    assert f"{source.id}: {planted[0]} is not_asked in 100 of {rows} rows" in str(caught.value)


def test_a_code_without_mapping_in_a_later_batch_stops_that_source_and_is_counted_whole(
        validated: pipeline.Validated) -> None:
    """A code no mapping covers, in three late rows of a source, batches apart: the batches
    before the first are made, none from it on, and the gate names the code with its rows in
    the whole source (counted on after the first)."""
    codebooks = validated.codebooks
    source = sorted(codebooks.sources_for("institutions"), key=lambda s: s.id)[0]
    column = next(m.from_ for m in source.mappings.values()
                  if isinstance(m, Mapping) and m.recode)
    frame = validated.frames[source.id]
    code = max(int(c) for c in frame[column].drop_nulls().unique()) + 1000
    frames = {**validated.frames, source.id: frame.with_columns(
        pl.when(pl.int_range(pl.len()).is_in([frame.height - 120, frame.height - 2,
                                               frame.height - 1])).then(pl.lit(code))
        .otherwise(pl.col(column)).cast(frame.schema[column]).alias(column))}
    made = harmonize_batches(codebooks, frames, validated.municipalities, rows=50)
    rows = 0
    with pytest.raises(GateError, match=rf"{source.id}: {column} code {code} \(3 rows\)"):
        for _, batch in made.batches:
            rows += batch.filter(pl.col("source") == source.id).height
    assert 0 < rows <= frame.height - 120
