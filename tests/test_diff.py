"""`coprod diff`: the version bump a change needs, from two builds' descriptors and codebooks.
The builds are made here as the small documents the comparison reads."""

from __future__ import annotations

import copy
from pathlib import Path

from coprod.diff import compare, prepend_changelog


def _build(frequencies: dict, availability: dict, sources: dict, version: str = "1.2.3"
           ) -> tuple[dict, dict]:
    descriptor = {"version": version, "resources": [{"name": "things", "schema": {"fields": [
        {"name": "collab", "type": "string", "title": "Collaborates",
         "categories": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]}]}}]}
    codebook = {"sources": sources, "tables": {"things": {"variables": {"collab": {
        "frequencies": frequencies, "availability": availability}}}}}
    return descriptor, codebook


SOURCES = {"no-things-2018": {"country": "no", "wave": 2018, "rows": 100}}
OLD = _build({"no-things-2018": {"yes": 60, "no": 40}}, {"no-things-2018": "available"}, SOURCES)


def test_a_figure_moving_more_than_the_threshold_is_never_a_patch() -> None:
    moved = _build({"no-things-2018": {"yes": 52, "no": 48}}, {"no-things-2018": "available"},
                   SOURCES)
    result = compare(OLD, moved, threshold=5)
    assert result.bump == "major"
    assert [c.text for c in result.changes] == [
        "`things.collab` in `no-things-2018` shifted by 8.0 points (more than 5): published "
        "figures changed"]
    small = _build({"no-things-2018": {"yes": 58, "no": 42}}, {"no-things-2018": "available"},
                   SOURCES)
    assert compare(OLD, small, threshold=5).bump == "none"


def test_a_variable_a_source_stops_publishing_is_major() -> None:
    lost = _build({"no-things-2018": {"not_asked": 100}}, {"no-things-2018": "not_asked"},
                  SOURCES)
    result = compare(OLD, lost)
    assert result.bump == "major"
    assert ("`things.collab` is now not_asked for all of `no-things-2018` (was available)"
            in [c.text for c in result.changes])


def test_a_new_source_that_does_not_ask_an_earlier_question_is_named() -> None:
    sources = {**SOURCES, "no-things-2024": {"country": "no", "wave": 2024, "rows": 80}}
    new = _build({"no-things-2018": {"yes": 60, "no": 40}, "no-things-2024": {"not_asked": 80}},
                 {"no-things-2018": "available", "no-things-2024": "not_asked"}, sources)
    result = compare(OLD, new)
    assert result.bump == "minor"
    texts = [c.text for c in result.changes]
    assert "source `no-things-2024` (80 rows)" in texts
    assert ("`things.collab` is not asked in the new source `no-things-2024` (asked in "
            "`no-things-2018`)") in texts
    assert "is not asked in the new source" in result.changelog_entry()


def test_changelog_entry_goes_where_the_entries_begin(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text("# Changelog\n\nWhat this file is.\nVersions follow rules.\n\n"
                    "## 1.2.3: patch release\n\n- fixed\n", encoding="utf-8")
    moved = copy.deepcopy(OLD)
    moved[1]["sources"]["no-things-2024"] = {"country": "no", "wave": 2024, "rows": 5}
    prepend_changelog(path, compare(OLD, moved).changelog_entry())
    assert path.read_text(encoding="utf-8") == (
        "# Changelog\n\nWhat this file is.\nVersions follow rules.\n\n"
        "## 1.3.0 (unreleased): minor release\n\n### Added\n\n"
        "- source `no-things-2024` (5 rows)\n\n"
        "## 1.2.3: patch release\n\n- fixed\n")
    fresh = tmp_path / "NEW.md"
    prepend_changelog(fresh, "## 0.1.0: first\n")
    assert fresh.read_text(encoding="utf-8") == "# Changelog\n\n## 0.1.0: first\n"


def test_a_new_language_classification_and_rule_are_named() -> None:
    old = copy.deepcopy(OLD)
    old[0]["resources"][0]["schema"]["fields"][0]["labels"] = {"en": "Collaborates"}
    old[0]["sources"] = [{"title": "Municipality classification NO 2018",
                          "path": "reference/no.csv"}]
    old[1]["tables"]["things"]["variables"]["collab"]["lineage"] = {
        "no-things-2018": {"rule": "recode 1→yes, 0→no"}}
    new = copy.deepcopy(old)
    new[0]["resources"][0]["schema"]["fields"][0]["labels"]["sv"] = "Samarbetar"
    new[0]["sources"].append({"title": "Municipality classification SE 2024",
                              "path": "reference/se.csv"})
    new[1]["tables"]["things"]["variables"]["collab"]["lineage"]["no-things-2018"]["rule"] = (
        "recode 1→yes, 0→no, 2→partly")
    result = compare(old, new)
    assert [(c.kind, c.bump, c.text) for c in result.changes] == [
        ("added-language", "minor", "labels in `sv`"),
        ("added-reference", "minor", "Municipality classification SE 2024 (`reference/se.csv`)"),
        ("lineage", "patch", "`things.collab` in `no-things-2018`: rule now "
                             "'recode 1→yes, 0→no, 2→partly'")]
    assert result.bump == "minor"


def test_a_count_suppressed_anew_is_named_not_taken_for_a_shift() -> None:
    """A secondary suppression may hide a large count: it is left out of both sides of the
    comparison (not taken as 0), and the change of suppression is named."""
    old = _build({"no-things-2018": {"yes": 60, "no": 37, "dont_know": 3}},
                 {"no-things-2018": "available"}, SOURCES)
    hidden = _build({"no-things-2018": {"yes": 60, "no": None, "dont_know": None}},
                    {"no-things-2018": "available"}, SOURCES)
    result = compare(old, hidden, threshold=5)
    assert [(c.kind, c.bump) for c in result.changes] == [("suppression", "patch")]
    assert "the counts suppressed are now `dont_know`, `no` (were none)" in result.changes[0].text
    moved = _build({"no-things-2018": {"yes": 30, "no": 67, "dont_know": None}},
                   {"no-things-2018": "available"}, SOURCES)
    assert "distribution" in [c.kind for c in compare(old, moved, threshold=5).changes]
