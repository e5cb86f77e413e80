"""What a person must still decide, found in the codebooks and the data: a draft's placeholders
and dropped questions stop validate and build (whether or not `review:` is empty); lost missing
codes, unreviewed comparability notes and unused variables are findings, each naming the
codebook file and line."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import write_no_csv, write_yaml
from coprod.cli import main

NO = "no-things-2018"


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


def _source(root: Path, source_id: str = NO) -> tuple[Path, dict]:
    path = root / "schemas" / "sources" / f"{source_id}.yaml"
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def _line(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if text in line)


def _rows(seed: int, n: int, *, blank_dont_know: bool = False) -> list[str]:
    """A Norwegian things file of n rows: about one in ten answers 9 (don't know) to samarbeid
    and to partner (routed: blank where samarbeid is not 1), or leaves it blank instead."""
    rng = random.Random(seed)
    rows = ["løpenr;kommunenr;samarbeid;partner;ansatte;kommentar;vekt"]
    for i in range(1, n + 1):
        collab = rng.choice(["1", "1", "0"])
        partner = "" if collab != "1" else rng.choice(["1", "0", "0", "0", "0", "0", "0", "0",
                                                        "9", "9"])
        if blank_dont_know and partner == "9":
            partner = ""
        rows.append(f"{i};0301;{collab};{partner};{rng.randint(1, 50)};;1,0")
    return rows


def _second_wave(root: Path, *, blank_dont_know: bool = False, **changes: object) -> Path:
    """A 2020 wave of the Norwegian source, with 300 rows, after a 2018 wave of 300."""
    path, data = _source(root)
    data["variables"]["partner"] = {"type": "integer", "label": "Partner?",
                                    "values": {1: "Ja", 0: "Nei", 9: "Vet ikke"},
                                    "missing": {9: "dont_know"}, "blank": "not_applicable"}
    data["variables"]["kommentar"]["blank"] = "no_answer"
    write_yaml(path, data)
    write_no_csv(root / "raw" / "no_things.csv", _rows(1, 300))
    wave = {**data, "id": "no-things-2020", "file": "raw/no_things_2020.csv", **changes}
    write_yaml(root / "schemas" / "sources" / "no-things-2020.yaml", wave)
    write_no_csv(root / "raw" / "no_things_2020.csv",
                 _rows(2, 300, blank_dont_know=blank_dont_know))
    return root / "schemas" / "sources" / "no-things-2020.yaml"


@pytest.mark.parametrize(("where", "edit", "shown"), [
    ("a value label", lambda d: d["variables"]["samarbeid"]["values"].update({9: "?"}),
     "variables.samarbeid.values.9: '?' is a placeholder"),
    ("the title", lambda d: d.update(title="Ting 2018 (DRAFT: write the title)"),
     "title: 'Ting 2018 (DRAFT: write the title)' is marked DRAFT"),
    ("the question text", lambda d: d["variables"]["ansatte"].update(label="?"),
     "variables.ansatte.label: '?' is a placeholder"),
    ("the fieldwork", lambda d: d.pop("fieldwork"),
     "fieldwork: the fieldwork period is not set"),
])
def test_a_placeholder_fails_validate_and_build_with_or_without_review(
        tiny: Path, where: str, edit, shown: str) -> None:
    path, data = _source(tiny)
    edit(data)
    data["review"] = []  # the steward deleted the list without fixing anything
    write_yaml(path, data)
    validated = _run(tiny, "validate")
    assert validated.exit_code == 1, where
    assert f"schemas/sources/{NO}.yaml:" in validated.output
    assert shown in validated.output
    assert "[draft-placeholder]" in validated.output
    built = _run(tiny, "build")
    assert built.exit_code == 1, built.output
    assert shown in built.output
    assert not (tiny / "processed").exists()
    site = _run(tiny, "site")  # the site does not publish a draft either
    assert site.exit_code == 1 and "the codebooks are not finished" in site.output


def test_a_placeholder_names_its_line(tiny: Path) -> None:
    path, data = _source(tiny)
    data["variables"]["samarbeid"]["label"] = "?"
    write_yaml(path, data)
    result = _run(tiny, "validate", "--format", "json")
    report = yaml.safe_load(result.output)
    source = next(s for s in report["sources"] if s["id"] == NO)
    [error] = source["errors"]
    assert error == {"row": None, "column": "variables.samarbeid.label", "value": "?",
                     "check": "draft-placeholder", "file": f"schemas/sources/{NO}.yaml",
                     "line": _line(path, "label: '?'"), "message": error["message"]}


def test_an_undeclared_municipality_reference_is_named_and_the_data_waits(tiny: Path) -> None:
    path, data = _source(tiny)
    data["municipality"]["reference"] = "?"
    write_yaml(path, data)
    result = _run(tiny, "validate")
    assert result.exit_code == 1
    assert (f"schemas/sources/{NO}.yaml:{_line(path, 'reference:')}: municipality.reference: "
            "'?' is not a municipality classification declared in schemas/package.yaml: name "
            "one of no-2018") in result.output


def test_a_question_an_earlier_wave_asked_needs_a_reason_to_be_dropped(tiny: Path) -> None:
    wave = _second_wave(tiny)
    _, data = _source(tiny, "no-things-2020")
    data["mappings"]["partner"] = "not_asked"
    write_yaml(wave, data)
    result = _run(tiny, "validate")
    assert result.exit_code == 1
    assert (f"schemas/sources/no-things-2020.yaml:{_line(wave, 'partner: not_asked')}: "
            "mappings.partner: no-things-2018 maps partner from partner, but here it is "
            "not_asked for every row: map it from the column that asks it now (renamed?), or "
            "say why it was dropped") in result.output
    assert _run(tiny, "build").exit_code == 1

    data["mappings"]["partner"] = {"not_asked": "the 2020 questionnaire left it out"}
    write_yaml(wave, data)
    assert _run(tiny, "validate").exit_code == 0
    built = _run(tiny, "build")
    assert built.exit_code == 0, built.output
    page = (tiny / "build/site/variables/things/partner.html").read_text(encoding="utf-8")
    assert "not asked in this source: the 2020 questionnaire left it out" in page


def test_a_lost_dont_know_code_is_a_finding(tiny: Path) -> None:
    wave = _second_wave(tiny, blank_dont_know=True)
    result = _run(tiny, "validate")
    assert result.exit_code == 0, result.output
    assert (f"warning: schemas/sources/no-things-2020.yaml:{_line(wave, '  partner:')}: "
            "variables.partner: no row is dont_know, where no-things-2018 had") in result.output
    assert "read as not_applicable" in result.output and "[missing-code-unused]" in result.output
    built = _run(tiny, "build")
    assert built.exit_code == 0
    assert "[missing-code-unused]" in built.output
    # when both waves have don't-know answers, there is nothing to say
    write_no_csv(tiny / "raw" / "no_things_2020.csv", _rows(2, 300))
    assert "missing-code-unused" not in _run(tiny, "validate").output


def test_a_comparability_note_is_reviewed_for_every_later_wave(tiny: Path) -> None:
    _second_wave(tiny)
    table = tiny / "schemas" / "harmonized" / "things.yaml"
    spec = yaml.safe_load(table.read_text(encoding="utf-8"))
    labels = {"en": "Asked differently in Norway.", "da": "Anderledes.", "nb": "Annerledes."}
    spec["comparability"] = [{"variables": ["collab"], "sources": [NO], "severity": "major",
                              "note": labels}]
    write_yaml(table, spec)
    result = _run(tiny, "validate")
    assert result.exit_code == 0
    assert ("schemas/harmonized/things.yaml:" in result.output
            and "comparability.0: the note on collab (major) lists every earlier no source but "
                "not no-things-2020" in result.output)
    assert _run(tiny, "build").exit_code == 0
    page = (tiny / "build/site/variables/things/collab.html").read_text(encoding="utf-8")
    assert "Not reviewed for <code>no-things-2020</code>" in page

    spec["comparability"][0]["not_affected"] = ["no-things-2020"]
    write_yaml(table, spec)
    assert "note-not-reviewed" not in _run(tiny, "validate").output
    assert _run(tiny, "build").exit_code == 0
    page = (tiny / "build/site/variables/things/collab.html").read_text(encoding="utf-8")
    assert "Not reviewed" not in page


def test_a_source_variable_no_mapping_uses_is_a_finding(tiny: Path) -> None:
    write_no_csv(tiny / "raw" / "no_things.csv",
                 [row + (";ekstra" if i == 0 else ";1") for i, row in enumerate(
                     ["løpenr;kommunenr;samarbeid;partner;ansatte;kommentar;vekt",
                      "1;0301;1;1;12;;1,25", "2;0301;0;;7;;0,75"])])
    path, data = _source(tiny)
    data["variables"]["kommentar"]["blank"] = "no_answer"
    data["variables"]["ekstra"] = {"type": "integer", "label": "Et nytt spørsmål",
                                   "values": {1: "Ja"}}
    write_yaml(path, data)
    result = _run(tiny, "validate")
    assert result.exit_code == 0, result.output
    assert ("variables.ekstra: no harmonized variable is made from ekstra: map it"
            in result.output)
    data["variables"]["ekstra"]["not_harmonized"] = "a national question"
    write_yaml(path, data)
    assert "unused-variable" not in _run(tiny, "validate").output

