"""Researcher downloads: CSV, SPSS and Stata round trips, DDI frequencies, loading guides."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pyreadstat
import pytest

from coprod import pipeline
from coprod.export import neutralized
from coprod.project import Project
from coprod.site.pages import with_categories

DDI = "{ddi:codebook:2_5}"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture
def site(tiny: Path) -> Path:
    pipeline.build(Project(tiny), force=True)
    return tiny


def _table(root: Path) -> pl.DataFrame:
    project = Project(root)
    codebooks = pipeline.load(project)
    frame = pl.read_parquet(root / "processed" / "things.parquet")
    return with_categories(frame, codebooks.tables["things"], codebooks)


def test_csv_reads_back_to_the_same_values(site: Path) -> None:
    table = _table(site)
    downloads = site / "build" / "site" / "downloads"
    labelled = pl.read_csv(downloads / "things-labelled.csv", infer_schema=False)
    assert labelled["respondent_id"].to_list() == table["respondent_id"].to_list()
    assert labelled["municipality_code"].to_list() == table["municipality_code"].to_list()
    assert labelled["collab"].to_list()[:3] == ["Yes", "No", "dont_know"]
    codes = pl.read_csv(downloads / "things.csv")
    assert codes["collab"].to_list() == [1, 0, -2, 1, -3, 1, 0, -2, 1]
    assert codes["size"].to_list() == table["size"].to_list()
    assert codes["weight"].to_list() == table["weight"].to_list()


def test_sav_round_trip(site: Path) -> None:
    table = _table(site)
    frame, meta = pyreadstat.read_sav(str(site / "build/site/downloads/things.sav"),
                                      user_missing=True, output_format="polars")
    assert frame["respondent_id"].to_list() == table["respondent_id"].to_list()
    assert frame["collab"].to_list() == [1, 0, -2, 1, -3, 1, 0, -2, 1]
    assert frame["size"].fill_nan(None).to_list() == table["size"].to_list()
    assert meta.column_names_to_labels["collab"] == "Collaborates"
    assert meta.variable_value_labels["collab"][1.0] == "Yes"
    assert meta.variable_value_labels["collab"][-2.0] == "dont_know"
    assert meta.missing_ranges["collab"] == [{"lo": -5.0, "hi": -1.0}]
    assert meta.missing_ranges["size_missing"] == [{"lo": -5.0, "hi": -1.0}]


def test_dta_round_trip(site: Path) -> None:
    table = _table(site)
    frame, meta = pyreadstat.read_dta(str(site / "build/site/downloads/things.dta"),
                                      user_missing=True)
    assert frame["respondent_id"].tolist() == table["respondent_id"].to_list()
    assert frame["collab"].tolist() == [1, 0, "b", 1, "c", 1, 0, "b", 1]
    # Stata's extended missing values are missing by nature; reading lists the ones present
    assert meta.missing_user_values["collab"] == ["b", "c"]
    assert {k for k in meta.variable_value_labels["collab"] if isinstance(k, str)} == set("abcde")
    assert meta.variable_value_labels["collab"]["b"] == "dont_know"
    assert meta.variable_value_labels["collab"][1] == "Yes"
    assert meta.column_names_to_labels["size"] == "Size"
    assert frame["size_missing"].tolist()[1] == "b"  # 9999 was declared "dont_know"


def test_exports_are_byte_identical_across_builds(site: Path) -> None:
    downloads = site / "build" / "site" / "downloads"
    first = {p.name: p.read_bytes() for p in downloads.iterdir()}
    pipeline.build(Project(site), force=True)
    assert {p.name: p.read_bytes() for p in downloads.iterdir()} == first


def test_ddi_has_every_variable_in_three_languages_and_parquet_counts(site: Path) -> None:
    table = _table(site)
    root = ET.parse(site / "build/site/downloads/codebook-ddi.xml").getroot()
    variables = root.findall(f"{DDI}dataDscr/{DDI}var")
    project = Project(site)
    spec = pipeline.load(project).tables["things"]
    assert [v.get("name") for v in variables] == list(spec.variables)
    for var in variables:
        assert {label.get(LANG) for label in var.findall(f"{DDI}labl")} == {"en", "da", "nb"}
    collab = next(v for v in variables if v.get("name") == "collab")
    counts = dict(table["collab"].cast(pl.String).value_counts().iter_rows())
    min_n = pipeline.load(project).package.min_cell_size
    for category in collab.findall(f"{DDI}catgry"):
        value = category.find(f"{DDI}labl").text
        code = int(category.find(f"{DDI}catValu").text)
        name = {1: "yes", 0: "no", -1: "not_applicable", -2: "dont_know", -3: "refused",
                -4: "no_answer", -5: "not_asked"}[code]
        stat = category.find(f"{DDI}catStat")
        if 0 < counts.get(name, 0) < min_n:  # suppressed, as on the site: no statistic
            assert stat is None, value
        elif stat is not None:  # a count shown: the Parquet count
            assert int(stat.text) == counts.get(name, 0), value
        assert (category.get("missing") == "Y") == (code < 0)
    questions = {q.get(LANG): q.text for q in collab.iter(f"{DDI}qstnLit")}
    assert questions == {"da": "Samarbejder I?", "nb": "Samarbeider dere?"}
    assert "Synthetic test data." in root.find(f".//{DDI}abstract").text


def test_csv_cells_that_could_run_as_formulas_are_neutralized() -> None:
    frame = pl.DataFrame({"a": ["=SUM(A1)", "+1", "-x", "@cmd", "\tx", "\rx", "ok", None],
                          "n": [-1, 2, 3, 4, 5, 6, 7, 8]})
    out = neutralized(frame)
    assert out["a"].to_list() == ["'=SUM(A1)", "'+1", "'-x", "'@cmd", "'\tx", "'\rx", "ok", None]
    assert out["n"].to_list() == frame["n"].to_list()  # numbers are not formulas
    text = out.write_csv()
    assert pl.read_csv(io.StringIO(text))["a"][0] == "'=SUM(A1)"


def test_loading_guides(site: Path) -> None:
    """What the downloads page promises each tool gives."""
    import duckdb
    import pandas as pd

    path = site / "processed" / "things.parquet"
    assert isinstance(pd.read_parquet(path)["collab"].dtype, pd.CategoricalDtype)
    assert pl.read_parquet(path)["collab"].dtype == pl.Categorical
    rows = duckdb.sql(f"SELECT DISTINCT collab FROM '{path}' ORDER BY ALL").fetchall()
    assert {r[0] for r in rows} == {"yes", "no", "dont_know", "refused"}


def _ordinal(root: Path) -> None:
    """Make the tiny package's size classes an ordinal variable."""
    import yaml

    from conftest import write_yaml

    path = root / "schemas" / "harmonized" / "things.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    table["variables"]["size_class"]["level"] = "ordinal"
    write_yaml(path, table)


def test_an_ordinal_variable_is_ordered_in_every_format(tiny: Path) -> None:
    import json

    import pyarrow.parquet as pq

    _ordinal(tiny)
    pipeline.build(Project(tiny), force=True)
    schema = pq.read_schema(tiny / "processed" / "things.parquet")
    assert schema.field("size_class").type.ordered
    assert not schema.field("collab").type.ordered
    assert schema.field("size_class").metadata[b"measure"] == b"ordinal"
    assert schema.field("size").metadata[b"measure"] == b"scale"
    # pandas sorts by the scale, the missing reasons after the categories
    series = pq.read_table(tiny / "processed" / "things.parquet").to_pandas()["size_class"]
    assert series.cat.ordered
    assert list(series.cat.categories)[:3] == ["small", "large", "not_applicable"]
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    fields = {f["name"]: f for r in descriptor["resources"] if "schema" in r
              for f in r["schema"]["fields"]}
    assert fields["size_class"]["categoriesOrdered"] is True
    assert "categoriesOrdered" not in fields["collab"]
    downloads = tiny / "build" / "site" / "downloads"
    _, sav = pyreadstat.read_sav(str(downloads / "things.sav"), metadataonly=True)
    assert (sav.variable_measure["size_class"], sav.variable_measure["collab"],
            sav.variable_measure["size"], sav.variable_measure["size_missing"]) == (
        "ordinal", "nominal", "scale", "nominal")
    # codes and whole numbers without decimals, numbers with two
    assert sav.original_variable_types["collab"] == "F2.0"
    assert sav.original_variable_types["wave"] == "F5.0"
    assert sav.original_variable_types["weight"] == "F8.2"
    _, dta = pyreadstat.read_dta(str(downloads / "things.dta"), metadataonly=True)
    assert dta.original_variable_types["collab"] == "%2.0f"
    assert dta.original_variable_types["weight"] == "%9.2f"


def test_level_ordinal_is_for_categories_only(tiny: Path) -> None:
    import yaml

    from conftest import write_yaml
    from coprod.errors import ConfigError

    path = tiny / "schemas" / "harmonized" / "things.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    table["variables"]["size"]["level"] = "ordinal"
    write_yaml(path, table)
    with pytest.raises(ConfigError, match="level: ordinal is for categorical variables"):
        pipeline.load(Project(tiny))
