"""The codebook model: strict loading and cross-checks between codebooks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import NO_SOURCE, write_yaml
from coprod.codebook import load_codebooks
from coprod.errors import ConfigError


def _source_file(root: Path) -> Path:
    return root / "schemas" / "sources" / "no-things-2018.yaml"


def _rewrite_source(root: Path, **changes: object) -> None:
    data = yaml.safe_load(_source_file(root).read_text(encoding="utf-8"))
    data.update(changes)
    write_yaml(_source_file(root), data)


def test_loads_tiny_package(tiny: Path) -> None:
    cb = load_codebooks(tiny / "schemas")
    assert sorted(cb.sources) == ["dk-things-2018", "no-things-2018"]
    source = cb.sources["no-things-2018"]
    assert (source.country, source.survey, source.wave) == ("no", "things", 2018)
    assert cb.tables["things"].variables["size"].missing_column
    assert not cb.tables["things"].variables["weight"].missing_column


def test_unknown_key_is_a_config_error(tiny: Path) -> None:
    _rewrite_source(tiny, encodng="utf-8")
    with pytest.raises(ConfigError, match=r"no-things-2018.yaml: encodng: Extra inputs"):
        load_codebooks(tiny / "schemas")


def test_duplicate_key_is_a_config_error(tiny: Path) -> None:
    path = _source_file(tiny)
    path.write_text(path.read_text(encoding="utf-8") + "table: things\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"duplicate key 'table'"):
        load_codebooks(tiny / "schemas")


def test_recode_to_unknown_category(tiny: Path) -> None:
    mappings = {**NO_SOURCE["mappings"], "collab": {"from": "samarbeid",
                                                    "recode": {1: "yes", 0: "maybe"}}}
    _rewrite_source(tiny, mappings=mappings)
    with pytest.raises(ConfigError, match=r"code 0 recodes to 'maybe', which is not a category"):
        load_codebooks(tiny / "schemas")


def test_mapping_from_unknown_variable(tiny: Path) -> None:
    mappings = {**NO_SOURCE["mappings"], "size": {"from": "antall"}}
    _rewrite_source(tiny, mappings=mappings)
    with pytest.raises(ConfigError, match=r"mappings.size: unknown source variable 'antall'"):
        load_codebooks(tiny / "schemas")


def test_every_harmonized_variable_needs_a_mapping(tiny: Path) -> None:
    mappings = {k: v for k, v in NO_SOURCE["mappings"].items() if k != "size"}
    _rewrite_source(tiny, mappings=mappings)
    with pytest.raises(ConfigError, match=r"harmonized variable 'size' has no mapping"):
        load_codebooks(tiny / "schemas")


def test_free_text_is_never_mapped(tiny: Path) -> None:
    variables = {**NO_SOURCE["variables"],
                 "kommentar": {"type": "integer", "label": "x", "free_text": True}}
    mappings = {**NO_SOURCE["mappings"], "size": {"from": "kommentar"}}
    _rewrite_source(tiny, variables=variables, mappings=mappings)
    with pytest.raises(ConfigError, match=r"'kommentar' is free text and is never published"):
        load_codebooks(tiny / "schemas")


def test_file_must_be_named_after_its_id(tiny: Path) -> None:
    _rewrite_source(tiny, id="no-things-2019")
    with pytest.raises(ConfigError, match=r"id is 'no-things-2019' but the file is named"):
        load_codebooks(tiny / "schemas")


def test_any_of_combines_only_variables_of_its_yes_no_categories(tiny: Path) -> None:
    path = tiny / "schemas" / "harmonized" / "things.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    table["variables"]["collab_any"]["derive"] = {"any_of": ["collab", "size_class"]}
    write_yaml(path, table)
    with pytest.raises(ConfigError, match=r"collab_any: any_of combines variables with the "
                                          r"categories of collab_any \(yes, no\), not "
                                          r"'size_class'"):
        load_codebooks(tiny / "schemas")
