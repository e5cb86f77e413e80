"""Recoding onto the harmonized table, the missing taxonomy and the coverage gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import NO_ROWS, NO_SOURCE, write_no_csv, write_yaml
from coprod import pipeline
from coprod.errors import GateError
from coprod.project import Project


def _harmonized(root: Path):
    project = Project(root)
    validated = pipeline.validate(project, pipeline.load(project))
    return pipeline.harmonize_validated(validated)


def _rows(root: Path, *columns: str) -> list[tuple]:
    frame = _harmonized(root).tables["things"]
    return [tuple(str(v) if v is not None else None for v in row)
            for row in frame.select(columns).iter_rows()]


def test_recodes_and_missing_taxonomy(tiny: Path) -> None:
    assert _rows(tiny, "respondent_id", "collab", "partner", "collab_any") == [
        # partner was not asked in Denmark, so neither was "collab or partner"
        ("dk-things-2018-1", "yes", "not_asked", "not_asked"),
        ("dk-things-2018-2", "no", "not_asked", "not_asked"),
        ("dk-things-2018-3", "dont_know", "not_asked", "not_asked"),
        ("dk-things-2018-4", "yes", "not_asked", "not_asked"),
        ("dk-things-2018-5", "refused", "not_asked", "not_asked"),
        ("no-things-2018-1", "yes", "yes", "yes"),
        ("no-things-2018-2", "no", "not_applicable", "not_applicable"),
        ("no-things-2018-3", "dont_know", "not_applicable", "dont_know"),
        ("no-things-2018-4", "yes", "no", "yes"),
    ]


def test_numeric_missing_reasons_sit_beside_the_value(tiny: Path) -> None:
    rows = _rows(tiny, "source", "size", "size_missing")
    assert rows[1] == ("dk-things-2018", None, "dont_know")  # 9999 declared "dont_know"
    assert rows[7] == ("no-things-2018", None, "no_answer")  # an empty cell
    assert rows[0] == ("dk-things-2018", "10", None)


def test_size_classes_keep_missing_reasons(tiny: Path) -> None:
    assert _rows(tiny, "size", "size_class") == [
        ("10", "small"), (None, "dont_know"), ("3", "small"), ("40", "large"), ("5", "small"),
        ("12", "large"), ("7", "small"), (None, "no_answer"), ("30", "large")]


def test_municipality_codes_are_strings_with_their_width(tiny: Path) -> None:
    rows = _rows(tiny, "municipality_code", "municipality_name", "municipality_vintage")
    assert rows[0] == ("461", "Odense", "2007")
    assert rows[5] == ("0301", "Oslo", "2018")


def test_categories_are_enums_over_the_full_list(tiny: Path) -> None:
    frame = _harmonized(tiny).tables["things"]
    assert frame["collab"].dtype.categories.to_list() == [
        "yes", "no", "not_applicable", "dont_know", "refused", "no_answer", "not_asked"]


def test_unmapped_code_fails_naming_source_variable_code_and_count(tiny: Path) -> None:
    variables = {**NO_SOURCE["variables"],
                 "samarbeid": {**NO_SOURCE["variables"]["samarbeid"],
                               "values": {1: "Ja", 0: "Nei", 2: "Delvis", 9: "Vet ikke"}}}
    write_yaml(tiny / "schemas" / "sources" / "no-things-2018.yaml",
               {**NO_SOURCE, "variables": variables})
    rows = list(NO_ROWS)
    rows[2] = "2;0301;2;;7;;0,75"
    rows[3] = "3;1103;2;;;;1,0"
    write_no_csv(tiny / "raw" / "no_things.csv", rows)
    with pytest.raises(GateError, match=r"no-things-2018: samarbeid code 2 \(2 rows\) → collab"):
        _harmonized(tiny)


def test_mapping_entry_matching_nothing_is_a_warning(tiny: Path) -> None:
    assert _harmonized(tiny).warnings == ()  # every mapped code occurs
    rows = [r for r in NO_ROWS if not r.startswith("2;")]
    write_no_csv(tiny / "raw" / "no_things.csv", rows)
    assert ("no-things-2018: mapping samarbeid code 0 → collab=no matches no row"
            in _harmonized(tiny).warnings)


def test_invalid_sources_are_not_harmonized(tiny: Path) -> None:
    rows = list(NO_ROWS)
    rows[1] = "1;0301;7;1;12;;1,25"
    write_no_csv(tiny / "raw" / "no_things.csv", rows)
    with pytest.raises(GateError, match="validation failed for no-things-2018"):
        _harmonized(tiny)


def test_a_new_answer_category_counts_in_any_of_as_its_rule_says(tiny: Path) -> None:
    import yaml

    table_path = tiny / "schemas" / "harmonized" / "things.yaml"
    table = yaml.safe_load(table_path.read_text(encoding="utf-8"))
    collab = table["variables"]["collab"]
    collab["categories"] = [*collab["categories"], {"value": "partly", "code": 2, "label": {
        "en": "Partly", "da": "Delvis", "nb": "Delvis"}}]
    table["variables"]["collab_any"]["derive"]["counts"] = {"partly": "yes"}
    write_yaml(table_path, table)
    samarbeid = {**NO_SOURCE["variables"]["samarbeid"],
                 "values": {1: "Ja", 0: "Nei", 2: "Delvis", 9: "Vet ikke"}}
    write_yaml(tiny / "schemas" / "sources" / "no-things-2018.yaml", {
        **NO_SOURCE, "variables": {**NO_SOURCE["variables"], "samarbeid": samarbeid},
        "mappings": {**NO_SOURCE["mappings"],
                     "collab": {"from": "samarbeid", "recode": {1: "yes", 0: "no", 2: "partly"}}}})
    rows = list(NO_ROWS)
    rows[2] = "2;0301;2;;7;;0,75"  # partly, partner not applicable
    rows[4] = "4;1103;2;0;30;;1,0"  # partly, no partner
    write_no_csv(tiny / "raw" / "no_things.csv", rows)
    norway = [r for r in _rows(tiny, "respondent_id", "collab", "partner", "collab_any")
              if r[0].startswith("no-")]
    assert norway == [
        ("no-things-2018-1", "yes", "yes", "yes"),
        ("no-things-2018-2", "partly", "not_applicable", "yes"),  # partly counts as yes
        ("no-things-2018-3", "dont_know", "not_applicable", "dont_know"),
        ("no-things-2018-4", "partly", "no", "yes"),
    ]
    # the Danish source, whose collab has no "partly", is unchanged
    assert ("dk-things-2018-2", "no", "not_asked", "not_asked") in _rows(
        tiny, "respondent_id", "collab", "partner", "collab_any")
    rule = pipeline.load(Project(tiny)).tables["things"].variables["collab_any"]
    from coprod.describe import lineage

    assert lineage(pipeline.load(Project(tiny)), "things")["collab_any"]["no-things-2018"][
        "rule"].endswith("; partly counts as yes")
    assert rule.derive.counts == {"partly": "yes"}
