"""Municipality codes carried to 2024 through the shipped crosswalk chain; splits flagged. The
Norwegian and Danish cases are the shipped tables'; every classification is checked."""

from __future__ import annotations

import pytest

from conftest import PACKAGE_ROOT
from coprod.codebook import load_codebooks
from coprod.project import Project
from coprod.reference import load_reference, municipalities

PACKAGE = load_codebooks(PACKAGE_ROOT / "schemas").package
PROJECT = Project(PACKAGE_ROOT)


@pytest.fixture(scope="module")
def no2018():
    return municipalities(PROJECT, PACKAGE, "no-2018")


def test_codes_keep_leading_zeros(no2018) -> None:
    assert no2018.names["0301"] == "Oslo"
    assert all(len(code) == 4 for code in no2018.names)


def test_chain_2018_to_2024(no2018) -> None:
    assert no2018.successors["0301"] == ("0301",)
    assert no2018.successors["0101"] == ("3101",)  # Halden: 0101 → 3001 (2020) → 3101 (2024)
    assert no2018.reference_names["3101"] == "Halden"
    assert no2018.region_of("0101") == "Østfold"


def test_splits_are_flagged_never_guessed(no2018) -> None:
    split = no2018.split()
    assert split["1850"] == ("1806", "1875")  # Tysfjord → Narvik and Hamarøy (2020)
    assert split["5012"] == ("5055", "5056", "5059")  # Snillfjord (2020)
    assert split["1504"] == ("1508", "1580")  # Ålesund 2018 → 1507 (2020) → Ålesund + Haram
    assert no2018.region_of("1850") == "Nordland"  # both successors lie in Nordland


def test_2020_vintage_and_denmark() -> None:
    no2020 = municipalities(PROJECT, PACKAGE, "no-2020")
    assert no2020.split()["1507"] == ("1508", "1580")
    assert no2020.successors["3001"] == ("3101",)
    dk = municipalities(PROJECT, PACKAGE, "dk-2007")
    assert dk.successors["461"] == ("461",) and dk.split() == {}
    assert dk.region_of("461") == "Region Syddanmark"


@pytest.mark.parametrize("key", sorted(PACKAGE.municipality_references))
def test_every_code_reaches_its_countrys_reference(key: str) -> None:
    """Through the crosswalks to municipality_target; a country without one is its own."""
    ref = PACKAGE.municipality_references[key]
    target = PACKAGE.municipality_references[PACKAGE.municipality_target.get(ref.country, key)]
    known = load_reference(PROJECT, target)
    places = municipalities(PROJECT, PACKAGE, key)
    assert set(places.successors) == set(load_reference(PROJECT, ref))
    assert all(len(code) == ref.width for code in places.names)
    for code, after in places.successors.items():
        assert after and all(a in known for a in after), code
    if target.region_code is not None:  # every municipality of the target lies in a region
        assert set(places.reference_regions) == set(known)
