"""Every delivery a data archive sends, written here by pyreadstat: SPSS .sav and .zsav with
dates, datetimes, times, string and numeric user-missing values (codes and ranges), measurement
levels and long strings; Stata .dta with extended missing values. Each is drafted by
`coprod new-source`, finished as a steward would, validated and harmonized, including into date
and month variables, and its interview dates give the fieldwork from the data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import polars as pl
import pyreadstat
import pytest
import yaml
from click.testing import CliRunner

from conftest import write_yaml
from coprod.cli import main


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


def _with_interview_month(root: Path) -> None:
    """The tiny table gains a month variable: the month of the interview (the tiny sources do
    not have it)."""
    path = root / "schemas" / "harmonized" / "things.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    table["variables"]["interviewed"] = {
        "type": "month", "label": {"en": "Month of the interview", "da": "Interviewmåned",
                                   "nb": "Intervjumåned"}}
    table["variables"]["interview_day"] = {
        "type": "date", "label": {"en": "Day of the interview", "da": "Interviewdag",
                                  "nb": "Intervjudag"}}
    write_yaml(path, table)
    for source in (root / "schemas" / "sources").glob("*.yaml"):
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        data["mappings"]["interviewed"] = data["mappings"]["interview_day"] = "not_asked"
        write_yaml(source, data)


ROWS = 40


def _spss_frame() -> pd.DataFrame:
    """40 Danish respondents: an interview date and time, a code with user-missing 8 and 9,
    a count whose 9990-9999 are missing (a range), a string code with the missing "NA", a
    long text, an ordinal scale."""
    return pd.DataFrame({
        "nr": [float(i) for i in range(1, ROWS + 1)],
        "kommune": [[461.0, 751.0, 320.0][i % 3] for i in range(ROWS)],
        "dato": [dt.date(2020, 3, 1) + dt.timedelta(days=i) for i in range(ROWS)],
        "start": [dt.datetime(2020, 3, 1, 9, 30) + dt.timedelta(days=i, minutes=i)
                  for i in range(ROWS)],
        "varighed": [dt.time(0, 10 + i % 20) for i in range(ROWS)],
        "samarb": [[1.0, 2.0, 1.0, 8.0, 9.0][i % 5] for i in range(ROWS)],
        "ansatte": [[12.0, 40.0, 9995.0, 7.0][i % 4] for i in range(ROWS)],
        "region": [["H", "S", "NA", "M"][i % 4] for i in range(ROWS)],
        "tilfreds": [float(1 + i % 4) for i in range(ROWS)],
        "bemaerkning": ["Meget lang bemærkning " * 20 if i == 3 else "" for i in range(ROWS)],
        "vaegt": [1.0] * ROWS,
    })


def _write_spss(path: Path, compress: bool) -> None:
    pyreadstat.write_sav(
        _spss_frame(), str(path), compress=compress,
        column_labels={"nr": "Løbenummer", "kommune": "Kommune", "dato": "Interviewdato",
                       "start": "Starttidspunkt", "varighed": "Varighed",
                       "samarb": "Samarbejder I?", "ansatte": "Antal ansatte",
                       "region": "Region", "tilfreds": "Hvor tilfreds er I?",
                       "bemaerkning": "Bemærkninger", "vaegt": "Vægt"},
        variable_value_labels={"samarb": {1: "Ja", 2: "Nej", 8: "Ved ikke",
                                          9: "Ønsker ikke at svare"},
                               "tilfreds": {1: "Meget", 2: "Noget", 3: "Lidt", 4: "Slet ikke"}},
        missing_ranges={"samarb": [8, 9], "ansatte": [{"lo": 9990, "hi": 9999}],
                        "region": ["NA"]},
        variable_measure={"tilfreds": "ordinal", "samarb": "nominal", "ansatte": "scale"})


def _finish(root: Path, source_id: str, **mappings: object) -> dict:
    """A steward's edits of a draft: title, fieldwork where it is '?', question texts and
    labels that are '?', the mappings, and no review list."""
    path = root / "schemas" / "sources" / f"{source_id}.yaml"
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    draft["title"] = f"{source_id} (SYNTHETIC test file)"
    if draft["fieldwork"] == "?":
        draft["fieldwork"] = "2020-03/2020-04"
    for var in draft["variables"].values():
        if var["label"] == "?":
            var["label"] = "Spørgsmål"
        for code, label in (var.get("values") or {}).items():
            if label == "?":
                var["values"][code] = f"Svar {code}"
    draft["mappings"].update(mappings)
    draft.pop("review")
    write_yaml(path, draft)
    return draft


@pytest.mark.parametrize("suffix", [".sav", ".zsav"])
def test_an_spss_delivery_with_dates_missing_ranges_and_strings_builds(tiny: Path,
                                                                       suffix: str) -> None:
    _with_interview_month(tiny)
    raw = tiny / "raw" / f"dk_things_2020{suffix}"
    _write_spss(raw, compress=suffix == ".zsav")
    drafted = _run(tiny, "new-source", str(raw), "--id", "dk-things-2020")
    assert drafted.exit_code == 0, drafted.output
    draft = yaml.safe_load((tiny / "schemas/sources/dk-things-2020.yaml").read_text("utf-8"))
    variables = draft["variables"]
    assert draft["format"] == "spss"
    assert (variables["dato"]["type"], variables["start"]["type"],
            variables["varighed"]["type"]) == ("date", "datetime", "time")
    assert variables["dato"]["label"] == "Interviewdato"  # the SPSS variable label
    assert variables["samarb"]["missing"] == {8: "dont_know", 9: "refused"}
    assert variables["ansatte"]["missing_ranges"] == [
        {"from": 9990, "to": 9999, "reason": "no_answer"}]
    assert variables["region"]["missing"] == {"NA": "no_answer"}
    assert variables["tilfreds"]["measure"] == "ordinal"
    assert variables["bemaerkning"]["free_text"] is True  # 440 characters: a long string
    # the interview date: its own dates give the fieldwork
    assert draft["interview_date"] == "dato"
    assert draft["fieldwork"] == "2020-03/2020-04"
    assert (draft["id_variable"], draft["municipality"]) == (
        "nr", {"variable": "kommune", "reference": "dk-2007"})

    _finish(tiny, "dk-things-2020", interviewed={"from": "start"},
            interview_day={"from": "dato"},
            collab={"from": "samarb", "recode": {1: "yes", 2: "no"}},
            size={"from": "ansatte"}, weight={"from": "vaegt"}, partner="not_asked")
    checked = _run(tiny, "validate", "dk-things-2020")
    assert checked.exit_code == 0, checked.output
    built = _run(tiny, "build")
    assert built.exit_code == 0, built.output
    frame = pl.read_parquet(tiny / "processed" / "things.parquet").filter(
        pl.col("source") == "dk-things-2020")
    assert frame["interviewed"].to_list()[:2] == ["2020-03", "2020-03"]
    assert frame["interviewed"].to_list()[-1] == "2020-04"
    assert frame["interview_day"].to_list()[:2] == [dt.date(2020, 3, 1), dt.date(2020, 3, 2)]
    assert frame["interview_day_missing"].null_count() == ROWS
    # the downloads carry the dates: as dates for SPSS and Stata, as ISO text in CSV
    site = tiny / "build" / "site" / "downloads"
    spss, _ = pyreadstat.read_sav(str(site / "things.sav"), output_format="polars")
    assert spss.filter(pl.col("interview_day").is_not_null())["interview_day"][0] == \
        dt.date(2020, 3, 1)
    assert "2020-03-01" in (site / "things.csv").read_text(encoding="utf-8")
    stata, _ = pyreadstat.read_dta(str(site / "things.dta"), output_format="polars")
    assert stata["interview_day"].drop_nulls()[0] == dt.date(2020, 3, 1)
    # 9995 lies in the declared range: missing, for the reason the range gives
    assert frame.filter(pl.col("size").is_null())["size_missing"].cast(pl.String).unique(
        ).to_list() == ["no_answer"]
    assert set(frame["collab"].cast(pl.String)) == {"yes", "no", "dont_know", "refused"}
    document = json.loads((tiny / "processed" / "codebook.json").read_text(encoding="utf-8"))
    assert document["sources"]["dk-things-2020"]["fieldwork_observed"] == \
        "2020-03-01/2020-04-09"
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    assert {"title": "dk-things-2020: dk-things-2020 (SYNTHETIC test file)",
            "path": f"raw/dk_things_2020{suffix}", "fieldwork": "2020-03-01/2020-04-09"} \
        in descriptor["sources"]
    field = next(f for r in descriptor["resources"] for f in r["schema"]["fields"]
                 if f["name"] == "interviewed")
    assert field["type"] == "yearmonth"
    sources = (tiny / "build" / "site" / "sources.html").read_text(encoding="utf-8")
    assert "interviews 2020-03-01 to 2020-04-09" in sources


def test_interview_dates_outside_the_fieldwork_are_problems(tiny: Path) -> None:
    _with_interview_month(tiny)
    raw = tiny / "raw" / "dk_things_2020.sav"
    _write_spss(raw, compress=False)
    assert _run(tiny, "new-source", str(raw), "--id", "dk-things-2020").exit_code == 0
    draft = _finish(tiny, "dk-things-2020", collab={"from": "samarb", "recode": {1: "yes",
                                                                                 2: "no"}})
    draft["fieldwork"] = "2020-03/2020-03"  # but the last interviews are in April
    write_yaml(tiny / "schemas/sources/dk-things-2020.yaml", draft)
    result = _run(tiny, "validate", "dk-things-2020", "--format", "json")
    errors = json.loads(result.output)["sources"][0]["errors"]
    outside = [e for e in errors if e["check"] == "outside-fieldwork"]
    assert [e["row"] for e in outside] == list(range(32, ROWS + 1))
    assert outside[0]["value"] == "2020-04-01"
    assert "outside the declared fieldwork 2020-03-01..2020-03-31 (2020-03/2020-03)" in \
        outside[0]["message"]


def test_a_stata_delivery_with_extended_missing_values_builds(tiny: Path) -> None:
    frame = pd.DataFrame({
        "lopenr": [float(i) for i in range(1, ROWS + 1)],
        "kommune": ["0301" if i % 2 else "1103" for i in range(ROWS)],
        "samarbeid": [[1.0, 0.0, "a", 1.0, "b"][i % 5] for i in range(ROWS)],
        "ansatte": [[3.0, "c", 25.0, 8.0][i % 4] for i in range(ROWS)],
        "vekt": [1.0] * ROWS,
    })
    for column in ("samarbeid", "ansatte"):
        frame[column] = frame[column].astype(object)
    raw = tiny / "raw" / "no_things_2020.dta"
    pyreadstat.write_dta(frame, str(raw), column_labels={"samarbeid": "Samarbeider dere?"},
                         variable_value_labels={"samarbeid": {1: "Ja", 0: "Nei"}},
                         missing_user_values={"samarbeid": ["a", "b"], "ansatte": ["c"]})
    drafted = _run(tiny, "new-source", str(raw), "--id", "no-things-2020")
    assert drafted.exit_code == 0, drafted.output
    path = tiny / "schemas/sources/no-things-2020.yaml"
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert draft["format"] == "stata"
    assert draft["variables"]["samarbeid"]["missing"] == {".a": "no_answer", ".b": "no_answer"}
    assert draft["variables"]["ansatte"]["missing"] == {".c": "no_answer"}

    draft = _finish(tiny, "no-things-2020",
                    partner={"not_asked": "not in the 2020 questionnaire"})
    draft["variables"]["samarbeid"]["missing"] = {".a": "dont_know", ".b": "refused"}
    write_yaml(path, draft)
    checked = _run(tiny, "validate", "no-things-2020")
    assert checked.exit_code == 0, checked.output
    built = _run(tiny, "build")
    assert built.exit_code == 0, built.output
    things = pl.read_parquet(tiny / "processed" / "things.parquet").filter(
        pl.col("source") == "no-things-2020").with_columns(pl.col(pl.Categorical).cast(pl.String))
    assert things["collab"].to_list()[:5] == ["yes", "no", "dont_know", "yes", "refused"]
    assert things["size"].to_list()[:4] == [3, None, 25, 8]
    assert things["size_missing"].to_list()[:2] == [None, "no_answer"]

    # an extended missing value the codebook does not declare is a located problem
    draft["variables"]["samarbeid"]["missing"] = {".a": "dont_know"}
    draft["variables"]["samarbeid"]["values"].pop(".b")
    write_yaml(path, draft)
    result = _run(tiny, "validate", "no-things-2020", "--format", "json")
    errors = json.loads(result.output)["sources"][0]["errors"]
    assert [(e["row"], e["column"], e["value"], e["check"]) for e in errors] == [
        (r, "samarbeid", ".b", "unknown-code") for r in range(5, ROWS + 1, 5)]


def test_a_date_outside_its_declared_range_is_located(tiny: Path) -> None:
    _with_interview_month(tiny)
    raw = tiny / "raw" / "dk_things_2020.sav"
    _write_spss(raw, compress=False)
    assert _run(tiny, "new-source", str(raw), "--id", "dk-things-2020").exit_code == 0
    draft = _finish(tiny, "dk-things-2020")
    draft["variables"]["start"]["range"] = [dt.date(2020, 3, 1), dt.date(2020, 3, 31)]
    write_yaml(tiny / "schemas/sources/dk-things-2020.yaml", draft)
    result = _run(tiny, "validate", "dk-things-2020", "--format", "json")
    errors = [e for e in json.loads(result.output)["sources"][0]["errors"]
              if e["check"] == "out-of-range"]
    assert [e["row"] for e in errors] == list(range(32, ROWS + 1))  # April: outside March
    assert "is outside 2020-03-01..2020-03-31 for start" in errors[0]["message"]


def test_the_codebook_can_override_the_encoding_a_file_declares(tiny: Path) -> None:
    """An SPSS file whose header declares the wrong encoding reads wrongly; the codebook's
    dialect.encoding is passed to the reader instead of the file's."""
    source = tiny / "schemas" / "sources" / "dk-things-2018.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    assert _run(tiny, "validate", "dk-things-2018").exit_code == 0
    data["dialect"] = {"encoding": "latin-1"}  # the file is UTF-8: its ø reads as Ã¸
    write_yaml(source, data)
    result = _run(tiny, "validate", "dk-things-2018")
    assert result.exit_code == 1
    assert "'Ã\\x98nsker ikke at svare'" in result.output  # "Ønsker" read as latin-1


def test_a_multiple_response_set_is_drafted_as_a_group_of_yes_no_variables() -> None:
    from coprod.steward.delivery import Delivery
    from coprod.steward.variables import Item, new_variable

    series = pl.Series("mr_sport", [1.0, 0.0, 1.0, None])
    delivery = Delivery(pl.DataFrame({"mr_sport": series}), "spss",
                        questions={"mr_sport": "Sport"},
                        groups={"mr_sport": ("partners", "Which partners?")})
    items: list[Item] = []
    entry = new_variable("mr_sport", series, delivery, items, None)
    assert entry["group"] == "partners"
    assert entry["values"] == {0: "?", 1: "?"}
    assert "one of the yes/no variables of the multiple-response set partners " \
           "('Which partners?')" in items[0].text


def _workbook(path: Path, *, broken: bool = False) -> None:
    """A municipality's spreadsheet: a title, the header on row 3 of the sheet "Data 2020", a
    date column Excel stores as a number with a date format, codes with leading zeros as text."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Data 2020"
    sheet["A1"] = "Kommuneundersøkelsen 2020 (SYNTETISK)"
    sheet.append([])
    sheet.append(["lopenr", "kommunenr", "samarbeid", "ansatte", "dato", "vekt"])
    for i in range(1, ROWS + 1):
        code = "0301" if i % 2 else "1103"
        sheet.append([i, 301 if broken and i == 2 else code, [1, 0, 9][i % 3], 5 + i,
                      dt.date(2020, 3, 1) + dt.timedelta(days=i), 1.0])
        sheet.cell(row=3 + i, column=5).number_format = "dd.mm.yyyy"
    book.save(path)


def test_a_spreadsheet_delivery_is_drafted_validated_and_built(tiny: Path) -> None:
    _with_interview_month(tiny)
    raw = tiny / "raw" / "no_things_2020.xlsx"
    _workbook(raw)
    drafted = _run(tiny, "new-source", str(raw), "--id", "no-things-2020",
                   "--sheet", "Data 2020", "--header-row", "3")
    assert drafted.exit_code == 0, drafted.output
    path = tiny / "schemas/sources/no-things-2020.yaml"
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert (draft["format"], draft["sheet"], draft["header_row"]) == (
        "spreadsheet", "Data 2020", 3)
    assert draft["variables"]["dato"]["type"] == "date"  # a date, as Excel stores it
    assert draft["variables"]["kommunenr"]["pattern"] == r"^\d{4}$"
    assert draft["interview_date"] == "dato"
    _finish(tiny, "no-things-2020", interview_day={"from": "dato"},
            partner={"not_asked": "not in the 2020 questionnaire"})
    checked = _run(tiny, "validate", "no-things-2020")
    assert checked.exit_code == 0, checked.output
    built = _run(tiny, "build")
    assert built.exit_code == 0, built.output
    frame = pl.read_parquet(tiny / "processed" / "things.parquet").filter(
        pl.col("source") == "no-things-2020")
    assert frame.height == ROWS and frame["interview_day"][0] == dt.date(2020, 3, 2)

    _workbook(raw, broken=True)  # 0301 typed as a number: the leading zero is lost
    result = _run(tiny, "validate", "no-things-2020")
    assert result.exit_code == 1
    assert ("raw/no_things_2020.xlsx: cell 'Data 2020'!B5, row 2, column kommunenr, value "
            "'301'") in result.output
    errors = json.loads(_run(tiny, "validate", "no-things-2020", "--format", "json").output)
    assert errors["sources"][0]["errors"][0]["cell"] == "'Data 2020'!B5"


def test_an_ods_delivery_is_drafted_and_built(tiny: Path) -> None:
    from test_sheets import write_ods

    rows = [["lopenr", "kommunenr", "samarbeid", "ansatte", "vekt"]]
    rows += [[i, "0301" if i % 2 else "1103", [1, 0, 9][i % 3], 5 + i, 1.0]
             for i in range(1, ROWS + 1)]
    raw = write_ods(tiny / "raw" / "no_things_2020.ods", {"Ark1": rows})
    drafted = _run(tiny, "new-source", str(raw), "--id", "no-things-2020")
    assert drafted.exit_code == 0, drafted.output
    draft = yaml.safe_load((tiny / "schemas/sources/no-things-2020.yaml").read_text("utf-8"))
    assert (draft["format"], draft["sheet"]) == ("spreadsheet", "Ark1")
    _finish(tiny, "no-things-2020", partner={"not_asked": "not in the 2020 questionnaire"})
    built = _run(tiny, "build")
    assert built.exit_code == 0, built.output
    frame = pl.read_parquet(tiny / "processed" / "things.parquet").filter(
        pl.col("source") == "no-things-2020")
    assert frame["municipality_code"].to_list()[:2] == ["0301", "1103"]


def test_a_file_of_measurements_is_drafted_without_guessing(tiny: Path) -> None:
    """Two variables, neither an id nor a municipality: the draft leaves both open."""
    raw = tiny / "raw" / "maalinger.sav"
    pyreadstat.write_sav(pd.DataFrame({"maaling": [1.5, 1.5, 2.0], "tekst": ["అ", "ఆ", "అ"]}),
                         str(raw))
    drafted = _run(tiny, "new-source", str(raw), "--id", "dk-things-2021")
    assert drafted.exit_code == 0, drafted.output
    draft = yaml.safe_load((tiny / "schemas/sources/dk-things-2021.yaml").read_text("utf-8"))
    assert draft["id_variable"] == "?"
    assert draft["municipality"] == {"variable": "?", "reference": "?"}
    assert "no column identifies the respondents" in drafted.output
    assert "no column's codes all fit a municipality classification" in drafted.output
    checked = _run(tiny, "validate", "dk-things-2021")
    assert checked.exit_code == 1 and "[draft-placeholder]" in checked.output
