"""Tiny data packages built in code, so each stage can be tested on a handful of rows; and
copies of the data package the repository holds (or, opt in, another one: COPROD_PACKAGE)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]  # the repository: the tool, its docs and tests
# The data package the tests of the repository's package check: the repository's own, or the
# folder COPROD_PACKAGE names, e.g. a steward's copy with the next deliveries (see
# tests/test_next_delivery.py). The tool under test is always the repository's.
PACKAGE_ROOT = Path(os.environ.get("COPROD_PACKAGE") or REPO).resolve()
# What a copy of the package holds: its codebooks, raw files, references, templates, outputs.
PACKAGE_FILES = ("schemas", "raw", "reference", "site_templates", "processed",
                 "datapackage.json")

YES_NO = [
    {"value": "yes", "code": 1, "label": {"en": "Yes", "da": "Ja", "nb": "Ja"}},
    {"value": "no", "code": 0, "label": {"en": "No", "da": "Nej", "nb": "Nei"}},
]
MISSING = [
    {"value": v, "code": -i, "label": {"en": v, "da": v, "nb": v}}
    for i, v in enumerate(
        ["not_applicable", "dont_know", "refused", "no_answer", "not_asked"], start=1)
]


def _labels(text: str) -> dict:
    return {"en": text, "da": f"{text} (da)", "nb": f"{text} (nb)"}


PACKAGE = {
    "name": "tiny", "title": "Tiny test package", "description": "For tests.",
    "version": "0.1.0", "languages": ["en", "da", "nb"], "synthetic": True,
    "synthetic_notice": "Synthetic test data.",
    "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                  "scope": "data"}],
    "contributors": [{"title": "Tests"}], "citation": "Tiny (2026).",
    "missing": MISSING, "min_cell_size": 2,
    "municipality_references": {
        "dk-2007": {"file": "reference/dk.csv", "code": "kode", "name": "navn", "width": 3,
                    "vintage": "2007", "country": "dk"},
        "no-2018": {"file": "reference/no.csv", "code": "nr", "name": "navn", "width": 4,
                    "vintage": "2018", "country": "no"},
    },
}

DERIVED = {
    "respondent_id": {"type": "string", "derive": "respondent_id"},
    "country": {"type": "categorical", "derive": "country", "categories": [
        {"value": "dk", "code": 1, "label": _labels("Denmark")},
        {"value": "no", "code": 2, "label": _labels("Norway")}]},
    "wave": {"type": "integer", "derive": "wave"},
    "source": {"type": "string", "derive": "source"},
    "municipality_code": {"type": "string", "derive": "municipality_code"},
    "municipality_vintage": {"type": "string", "derive": "municipality_vintage"},
    "municipality_name": {"type": "string", "derive": "municipality_name"},
}

TABLE = {
    "table": "things", "title": _labels("Things"), "description": _labels("Test table"),
    "universe": _labels("All things"),
    "variables": {
        **{k: {**v, "label": _labels(k)} for k, v in DERIVED.items()},
        "collab": {"type": "categorical", "label": _labels("Collaborates"), "categories": YES_NO},
        "partner": {"type": "categorical", "label": _labels("Has a partner"),
                    "categories": YES_NO},
        "collab_any": {"type": "categorical", "label": _labels("Any"), "categories": YES_NO,
                       "derive": {"any_of": ["collab", "partner"]}},
        "size": {"type": "integer", "label": _labels("Size")},
        "size_class": {"type": "categorical", "label": _labels("Size class"),
                       "derive": {"classes_of": "size", "upper_bounds": [10]},
                       "categories": [{"value": "small", "code": 1, "label": _labels("1-10")},
                                      {"value": "large", "code": 2, "label": _labels("11+")}]},
        "weight": {"type": "number", "label": _labels("Weight"),
                   "required": True},
    },
    "summaries": [{"title": _labels("Things collaborating"), "outcome": "collab",
                   "by": ["country"]}],
}

NO_SOURCE = {
    "id": "no-things-2018", "table": "things", "title": "Ting 2018", "language": "nb",
    "file": "raw/no_things.csv", "format": "csv", "fieldwork": "2018-03/2018-05",
    "dialect": {"encoding": "cp1252", "delimiter": ";", "decimal": ",",
                "line_terminator": "\r\n"},
    "id_variable": "løpenr",
    "municipality": {"variable": "kommunenr", "reference": "no-2018"},
    "variables": {
        "løpenr": {"type": "integer", "label": "Løpenummer", "unique": True},
        "kommunenr": {"type": "string", "label": "Kommune", "pattern": r"^\d{4}$"},
        "samarbeid": {"type": "integer", "label": "Samarbeider dere?",
                      "values": {1: "Ja", 0: "Nei", 9: "Vet ikke"}, "missing": {9: "dont_know"}},
        "partner": {"type": "integer", "label": "Partner?", "values": {1: "Ja", 0: "Nei"},
                    "blank": "not_applicable"},
        "ansatte": {"type": "integer", "label": "Antall ansatte", "range": [0, 1000],
                    "blank": "no_answer"},
        "kommentar": {"type": "string", "label": "Kommentar", "free_text": True},
        "vekt": {"type": "number", "label": "Vekt", "range": [0.01, 50]},
    },
    "mappings": {
        "collab": {"from": "samarbeid", "recode": {1: "yes", 0: "no"}},
        "partner": {"from": "partner", "recode": {1: "yes", 0: "no"}},
        "size": {"from": "ansatte"},
        "weight": {"from": "vekt"},
    },
}

NO_ROWS = [
    "løpenr;kommunenr;samarbeid;partner;ansatte;kommentar;vekt",
    "1;0301;1;1;12;Vi samarbeider med idrettslaget;1,25",
    "2;0301;0;;7;;0,75",
    "3;1103;9;;;;1,0",
    "4;1103;1;0;30;Ære være Åse;1,0",
]

DK_SOURCE = {
    "id": "dk-things-2018", "table": "things", "title": "Ting 2018", "language": "da",
    "file": "raw/dk_things.sav", "format": "spss", "fieldwork": "2018-04",
    "id_variable": "nr", "municipality": {"variable": "kommune", "reference": "dk-2007"},
    "variables": {
        "nr": {"type": "integer", "label": "Løbenummer", "unique": True},
        "kommune": {"type": "integer", "label": "Kommune"},
        "samarb": {"type": "integer", "label": "Samarbejder I?",
                   "values": {1: "Ja", 2: "Nej", 8: "Ved ikke", 9: "Ønsker ikke at svare"},
                   "missing": {8: "dont_know", 9: "refused"}},
        "ansatte": {"type": "integer", "label": "Antal ansatte", "range": [0, 1000],
                    "missing": {9999: "dont_know"}},
        "vaegt": {"type": "number", "label": "Vægt", "range": [0.01, 50]},
    },
    "mappings": {
        "collab": {"from": "samarb", "recode": {1: "yes", 2: "no"}},
        "partner": "not_asked",
        "size": {"from": "ansatte"},
        "weight": {"from": "vaegt"},
    },
}

DK_FRAME = {
    "nr": [1.0, 2.0, 3.0, 4.0, 5.0],
    "kommune": [461.0, 461.0, 751.0, 751.0, 320.0],
    "samarb": [1.0, 2.0, 8.0, 1.0, 9.0],
    "ansatte": [10.0, 9999.0, 3.0, 40.0, 5.0],
    "vaegt": [1.0, 1.0, 2.0, 0.5, 1.0],
}
DK_LABELS = {"samarb": {1: "Ja", 2: "Nej", 8: "Ved ikke", 9: "Ønsker ikke at svare"}}


def write_yaml(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_no_csv(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))


def write_dk_sav(path: Path, frame: dict, labels: dict | None = None) -> None:
    import pyreadstat

    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(pl.DataFrame(frame), str(path),
                         variable_value_labels=labels if labels is not None else DK_LABELS,
                         missing_ranges={"samarb": [8, 9], "ansatte": [9999]})


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A two-source package (Norwegian CSV, Danish SPSS) with one harmonized table."""
    root = tmp_path / "pkg"
    write_yaml(root / "schemas" / "package.yaml", PACKAGE)
    write_yaml(root / "schemas" / "harmonized" / "things.yaml", TABLE)
    write_yaml(root / "schemas" / "sources" / "no-things-2018.yaml", NO_SOURCE)
    write_yaml(root / "schemas" / "sources" / "dk-things-2018.yaml", DK_SOURCE)
    (root / "reference").mkdir(parents=True)
    (root / "reference" / "dk.csv").write_text(
        "kode,navn\n320,Faxe\n461,Odense\n751,Aarhus\n", encoding="utf-8")
    (root / "reference" / "no.csv").write_text(
        "nr,navn\n0301,Oslo\n1103,Stavanger\n", encoding="utf-8")
    write_no_csv(root / "raw" / "no_things.csv", NO_ROWS)
    write_dk_sav(root / "raw" / "dk_things.sav", DK_FRAME)
    shutil.copytree(PACKAGE_ROOT / "site_templates", root / "site_templates")
    return root


PUBLISHED = ("processed", "datapackage.json", "build/site")


def published(root: Path) -> dict[str, bytes]:
    """Every file a build publishes (processed/, the descriptor, the site), by its path: to
    check that a refused build left them as they were."""
    files: dict[str, bytes] = {}
    for name in PUBLISHED:
        path = root / name
        paths = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files.update({p.relative_to(root).as_posix(): p.read_bytes() for p in paths})
    return files


def copy_package(root: Path, names: tuple[str, ...] = PACKAGE_FILES,
                 origin: Path = PACKAGE_ROOT) -> Path:
    """Copy ``names`` of the package in ``origin`` into ``root``."""
    for name in names:
        if (origin / name).is_dir():
            shutil.copytree(origin / name, root / name)
        else:
            root.mkdir(parents=True, exist_ok=True)
            shutil.copy(origin / name, root / name)
    return root


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the shipped demo package (or COPROD_PACKAGE's), to build and break without
    touching the original."""
    return copy_package(tmp_path / "demo")
