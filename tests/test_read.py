"""Reading raw files as their codebooks declare them."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import NO_ROWS
from coprod.codebook import load_codebooks
from coprod.errors import ConfigError, RawFileError
from coprod.project import Project
from coprod.read import read_source


def _read(root: Path, source_id: str):
    project = Project(root)
    return read_source(project, load_codebooks(project.schemas).sources[source_id])


def test_csv_is_decoded_as_declared_and_kept_as_text(tiny: Path) -> None:
    raw = _read(tiny, "no-things-2018")
    assert raw.frame.columns[0] == "løpenr"
    assert raw.frame["kommunenr"].to_list() == ["0301", "0301", "1103", "1103"]
    assert raw.frame["vekt"][0] == "1,25"
    assert raw.frame["partner"][1] is None  # an empty cell is a blank, not ""
    assert raw.line(1) == 2


def test_csv_in_the_wrong_encoding_names_the_line(tiny: Path) -> None:
    path = tiny / "raw" / "no_things.csv"
    path.write_bytes(path.read_bytes().replace("Åse".encode("cp1252"), b"\x81se"))
    with pytest.raises(RawFileError, match=r"raw/no_things.csv: line 5: byte b'\\x81' is not "
                                           r"valid cp1252"):
        _read(tiny, "no-things-2018")


def test_empty_csv(tiny: Path) -> None:
    (tiny / "raw" / "no_things.csv").write_bytes(b"")
    with pytest.raises(RawFileError, match="the file is empty"):
        _read(tiny, "no-things-2018")


def test_spss_keeps_user_missing_codes_and_labels(tiny: Path) -> None:
    raw = _read(tiny, "dk-things-2018")
    assert raw.frame["samarb"].to_list() == [1.0, 2.0, 8.0, 1.0, 9.0]
    assert raw.value_labels["samarb"][8.0] == "Ved ikke"
    assert raw.line(3) is None  # a .sav file has no lines to point at


def test_missing_raw_file(tiny: Path) -> None:
    (tiny / "raw" / "dk_things.sav").unlink()
    with pytest.raises(RawFileError, match="raw/dk_things.sav: raw file of dk-things-2018 not "
                                           "found"):
        _read(tiny, "dk-things-2018")


def test_raw_path_may_not_escape_the_package(tiny: Path) -> None:
    with pytest.raises(ConfigError, match="points outside the package folder"):
        Project(tiny).resolve("../secret.csv", what="x")
    with pytest.raises(ConfigError, match="is an absolute path"):
        Project(tiny).resolve("/etc/passwd", what="x")


def test_rows_fixture_is_what_the_file_holds(tiny: Path) -> None:
    assert _read(tiny, "no-things-2018").frame.height == len(NO_ROWS) - 1
