"""The codebook model: strict loading and cross-checks between codebooks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import NO_SOURCE, YES_NO, write_yaml
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
    with pytest.raises(ConfigError, match=r"collab_any: any_of combines yes/no variables, but "
                                          r"'size_class' has no category yes or no"):
        load_codebooks(tiny / "schemas")


def _table(root: Path) -> tuple[Path, dict]:
    path = root / "schemas" / "harmonized" / "things.yaml"
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def test_a_new_answer_category_of_a_part_needs_a_rule_for_any_of(tiny: Path) -> None:
    path, table = _table(tiny)
    # a new list: the fixture's YAML shares one list of yes/no categories by an alias
    table["variables"]["collab"]["categories"] = [
        *table["variables"]["collab"]["categories"],
        {"value": "partly", "code": 2, "label": {"en": "Partly", "da": "Delvis", "nb": "Delvis"}}]
    write_yaml(path, table)
    with pytest.raises(ConfigError, match=r"collab_any: collab has the category 'partly', and "
                                          r"any_of does not say how it counts\n.*counts: "
                                          r"\{partly: 'yes'\}"):
        load_codebooks(tiny / "schemas")
    table["variables"]["collab_any"]["derive"]["counts"] = {"partly": "yes"}
    write_yaml(path, table)
    rule = load_codebooks(tiny / "schemas").tables["things"].variables["collab_any"].derive
    assert rule.counts == {"partly": "yes"}
    table["variables"]["collab_any"]["derive"]["counts"] = {"partly": "yes", "partially": "yes"}
    write_yaml(path, table)
    with pytest.raises(ConfigError, match="any_of counts 'partially', which is not a category"):
        load_codebooks(tiny / "schemas")


def test_labels_only_in_the_package_languages(tiny: Path) -> None:
    path, table = _table(tiny)
    table["variables"]["collab"]["label"]["sv"] = "Samarbetar"
    write_yaml(path, table)
    with pytest.raises(ConfigError, match=r"things.yaml: variables.collab.label: language 'sv' is "
                                          r"not among the package's languages \(en, da, nb\) "
                                          r"\(line \d+\)\n.*add it to `languages:`"):
        load_codebooks(tiny / "schemas")
    package = tiny / "schemas" / "package.yaml"
    data = yaml.safe_load(package.read_text(encoding="utf-8"))
    data["languages"].append("sv")
    write_yaml(package, data)
    codebooks = load_codebooks(tiny / "schemas")
    assert codebooks.tables["things"].variables["collab"].label.get("sv") == "Samarbetar"
    # an incomplete language is not a load error: validate reports each missing text
    assert codebooks.tables["things"].variables["partner"].label.missing_languages(
        codebooks.package.languages) == ["sv"]


def test_a_source_language_must_be_a_package_language(tiny: Path) -> None:
    _rewrite_source(tiny, language="sv")
    with pytest.raises(ConfigError, match=r"no-things-2018.yaml: language 'sv' is not among the "
                                          r"package's languages \(en, da, nb\) \(line \d+\)"):
        load_codebooks(tiny / "schemas")


def test_a_source_of_a_country_without_its_category_says_what_to_add(tiny: Path) -> None:
    source = tiny / "schemas" / "sources" / "no-things-2018.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["id"] = "se-things-2018"
    source.unlink()
    write_yaml(tiny / "schemas" / "sources" / "se-things-2018.yaml", data)
    package = tiny / "schemas" / "package.yaml"
    pkg = yaml.safe_load(package.read_text(encoding="utf-8"))
    pkg["municipality_references"]["no-2018"]["country"] = "se"
    write_yaml(package, pkg)
    with pytest.raises(ConfigError, match=r"se-things-2018.yaml: country 'se' \(from the id "
                                          r"se-things-2018\) is not a category of "
                                          r"things.country in schemas/harmonized/things.yaml\n"
                                          r".*add it under variables.country.categories"):
        load_codebooks(tiny / "schemas")


def test_a_municipality_reference_of_another_country_is_refused(tiny: Path) -> None:
    _rewrite_source(tiny, municipality={"variable": "kommunenr", "reference": "dk-2007"})
    with pytest.raises(ConfigError, match=r"'dk-2007' is a classification of 'dk', not of 'no'"):
        load_codebooks(tiny / "schemas")


def test_a_not_asked_mapping_may_give_its_reason(tiny: Path) -> None:
    data = yaml.safe_load(_source_file(tiny).read_text(encoding="utf-8"))
    data["mappings"]["partner"] = {"not_asked": "dropped from the questionnaire"}
    write_yaml(_source_file(tiny), data)
    mapping = load_codebooks(tiny / "schemas").sources["no-things-2018"].mappings["partner"]
    assert mapping.not_asked == "dropped from the questionnaire"
    data["mappings"]["partner"] = {"not_asked": "", "from": "partner"}
    write_yaml(_source_file(tiny), data)
    with pytest.raises(ConfigError) as error:
        load_codebooks(tiny / "schemas")
    assert "mappings.partner.not_asked" in str(error.value)
    assert "should be 'not_asked'" not in str(error.value)


# --- checked when they load (issue 14): each message names the file and the line -------------


def _error(tiny: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_codebooks(tiny / "schemas")
    return str(info.value)


def _line(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(
        path.read_text(encoding="utf-8").splitlines(), start=1) if text in line)


@pytest.mark.parametrize(("pattern", "why"), [
    (r"^(\d{4}$", "unclosed group"),
    (r"^(?=0)\d{4}$", "look-around"),
    (r"^(\d)\1\d{2}$", "backreferences"),
])
def test_a_pattern_the_validation_engine_cannot_read_is_refused(
        tiny: Path, pattern: str, why: str) -> None:
    variables = {**NO_SOURCE["variables"],
                 "kommunenr": {"type": "string", "label": "Kommune", "pattern": pattern}}
    _rewrite_source(tiny, variables=variables)
    message = _error(tiny)
    assert "no-things-2018.yaml: variables.kommunenr.pattern" in message
    assert why in message and "Rust's regex crate" in message
    assert f"(line {_line(_source_file(tiny), 'pattern:')})" in message


def test_a_pattern_in_the_engines_dialect_loads(tiny: Path) -> None:
    variables = {**NO_SOURCE["variables"],
                 "kommunenr": {"type": "string", "label": "Kommune", "pattern": r"^\p{N}{4}$"}}
    _rewrite_source(tiny, variables=variables)
    assert load_codebooks(tiny / "schemas").sources["no-things-2018"].variables[
        "kommunenr"].pattern == r"^\p{N}{4}$"


@pytest.mark.parametrize("what", ["code", "value"])
def test_two_categories_with_the_same_code_or_value_are_refused(tiny: Path, what: str) -> None:
    path, table = _table(tiny)
    categories = [dict(c) for c in table["variables"]["partner"]["categories"]]
    categories[1][what] = categories[0][what]
    table["variables"]["partner"]["categories"] = categories
    write_yaml(path, table)
    message = _error(tiny)
    assert "things.yaml: variables.partner" in message
    assert f"have the same {what} {categories[0][what]!r}" in message
    assert "(line " in message


def test_a_category_code_of_a_missing_reason_is_refused(tiny: Path) -> None:
    path, table = _table(tiny)
    table["variables"]["partner"]["categories"] = [
        {**table["variables"]["partner"]["categories"][0]},
        {**table["variables"]["partner"]["categories"][1], "code": -2}]
    write_yaml(path, table)
    message = _error(tiny)
    assert "variables.partner.categories: 'no' has the code -2" in message
    assert "'dont_know'" in message and "(line " in message


@pytest.mark.parametrize("where", ["values", "missing", "recode"])
def test_codes_that_are_one_code_once_read_are_refused(tiny: Path, where: str) -> None:
    text = _source_file(tiny).read_text(encoding="utf-8")
    # the fixture's YAML writes the codes as numbers; the text "1" (or "9") beside 1 is one code
    if where == "recode":
        old, new = "1: 'yes'", "1: 'yes'\n      '1': 'no'"
        assert old in text
        text = text.replace(old, new, 1)
    else:
        data = yaml.safe_load(text)
        codes = data["variables"]["samarbeid"][where]
        codes[" 9" if where == "missing" else "1"] = "dont_know" if where == "missing" else "Ja"
        write_yaml(_source_file(tiny), data)
        text = None
    if text is not None:
        _source_file(tiny).write_text(text, encoding="utf-8")
    message = _error(tiny)
    assert "no-things-2018.yaml:" in message and "are the same code" in message
    assert "(line " in message


def test_a_variable_derived_from_itself_is_refused(tiny: Path) -> None:
    path, table = _table(tiny)
    table["variables"]["collab_any"]["derive"] = {"any_of": ["collab", "collab_any"]}
    write_yaml(path, table)
    message = _error(tiny)
    assert "things.yaml: variables.collab_any.derive: collab_any is derived from itself " \
           "(collab_any → collab_any)" in message
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("  collab_any:")
    derive = next(n for n in range(start, len(lines)) if lines[n].strip() == "derive:")
    assert f"(line {derive + 1})" in message


def test_a_cycle_of_derivations_is_refused(tiny: Path) -> None:
    path, table = _table(tiny)
    variables = table["variables"]
    variables["size_class"]["derive"] = {"classes_of": "size", "upper_bounds": [10]}
    variables["collab"] = {**variables["collab"], "categories": [dict(c) for c in YES_NO],
                           "derive": {"any_of": ["partner", "collab_any"]}}
    write_yaml(path, table)
    message = _error(tiny)
    assert "is derived from itself (collab → collab_any → collab)" in message \
        or "is derived from itself (collab_any → collab → collab_any)" in message
    assert "(line " in message


def _package(root: Path) -> tuple[Path, dict]:
    path = root / "schemas" / "package.yaml"
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def test_crosswalks_that_go_round_in_a_circle_are_refused(tiny: Path) -> None:
    path, package = _package(tiny)
    package["municipality_references"]["no-2020"] = {
        **package["municipality_references"]["no-2018"], "vintage": "2020"}
    walk = {"file": "reference/no_walk.csv", "from_column": "a", "to_column": "b"}
    package["municipality_crosswalks"] = [{"from": "no-2018", "to": "no-2020", **walk},
                                          {"from": "no-2020", "to": "no-2018", **walk}]
    write_yaml(path, package)
    message = _error(tiny)
    assert "package.yaml: municipality_crosswalks: the crosswalks go round in a circle " \
           "(no-2018 → no-2020 → no-2018)" in message
    assert "(line " in message


def test_crosswalks_between_countries_or_two_from_one_vintage_are_refused(tiny: Path) -> None:
    path, package = _package(tiny)
    walk = {"file": "reference/no_walk.csv", "from_column": "a", "to_column": "b"}
    package["municipality_crosswalks"] = [{"from": "no-2018", "to": "dk-2007", **walk}]
    write_yaml(path, package)
    assert "are classifications of different countries" in _error(tiny)
    package["municipality_references"]["no-2020"] = {
        **package["municipality_references"]["no-2018"], "vintage": "2020"}
    package["municipality_crosswalks"] = [{"from": "no-2018", "to": "no-2020", **walk}] * 2
    write_yaml(path, package)
    assert "two crosswalks lead on from 'no-2018'" in _error(tiny)


@pytest.mark.parametrize("name", ["../../x", "Size", "size class", "ålder"])
def test_harmonized_variable_names_are_slugs(tiny: Path, name: str) -> None:
    path, table = _table(tiny)
    table["variables"][name] = table["variables"].pop("size")
    write_yaml(path, table)
    message = _error(tiny)
    assert "things.yaml: variables" in message and "should match pattern" in message


@pytest.mark.parametrize(("fieldwork", "message"), [
    ("spring 2018", "is not a period: write it as YYYY-MM/YYYY-MM"),
    ("2018-05/2018-03", "ends before it begins"),
])
def test_a_fieldwork_that_is_not_a_period_is_refused(tiny: Path, fieldwork: str,
                                                     message: str) -> None:
    _rewrite_source(tiny, fieldwork=fieldwork)
    error = _error(tiny)
    assert "no-things-2018.yaml: fieldwork" in error and message in error
    assert "(line " in error


def test_a_range_that_runs_backwards_is_refused(tiny: Path) -> None:
    variables = {**NO_SOURCE["variables"],
                 "ansatte": {**NO_SOURCE["variables"]["ansatte"], "range": [1000, 0]}}
    _rewrite_source(tiny, variables=variables)
    error = _error(tiny)
    assert "variables.ansatte: range [1000.0, 0.0] runs backwards" in error or \
        "variables.ansatte: range [1000, 0] runs backwards" in error
