"""`coprod new-source`: a draft read off the delivery and set against the previous wave, with a
review item only where something differs or is unknown (a test per kind), placeholders that no
build publishes, and, once a steward has finished it, the shipped harmonized output."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml
from click.testing import CliRunner

from conftest import write_yaml
from coprod.cli import main

NO22 = "no-institutions-2022"
NO22_FILE = "raw/no/no_virksomheter_2022.csv"


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


def _forget(root: Path, source_id: str) -> dict:
    """Remove a shipped source codebook (and its mentions in notes), as if it were new."""
    path = root / "schemas" / "sources" / f"{source_id}.yaml"
    shipped = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.unlink()
    table = root / "schemas" / "harmonized" / f"{shipped['table']}.yaml"
    spec = yaml.safe_load(table.read_text(encoding="utf-8"))
    for note in spec.get("comparability", []):
        for key in ("sources", "not_affected"):
            note[key] = [s for s in note.get(key, []) if s != source_id]
    spec["comparability"] = [n for n in spec.get("comparability", []) if n["sources"]]
    write_yaml(table, spec)
    return shipped


def _draft(root: Path, raw: str, source_id: str) -> tuple[dict, list[str], str]:
    result = _run(root, "new-source", str(root / raw), "--id", source_id)
    assert result.exit_code == 0, result.output
    path = root / "schemas" / "sources" / f"{source_id}.yaml"
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    return draft, draft["review"], result.output


def _items(review: list[str], key: str) -> list[str]:
    return [item for item in review if re.match(rf"line \d+, {re.escape(key)}: ", item)]


def _finish(draft: dict, shipped: dict) -> dict:
    """What a steward writes by hand: the title, the fieldwork, the question texts and labels the
    file does not carry, the reason for a dropped question and the mapping of a new one."""
    done = {**draft, "title": shipped["title"], "fieldwork": shipped["fieldwork"], "review": []}
    for name, var in draft["variables"].items():
        if name in shipped["variables"] and "?" in yaml.safe_dump(var):
            done["variables"][name] = shipped["variables"][name]
    for name, mapping in draft["mappings"].items():
        if mapping == "not_asked" or mapping != shipped["mappings"][name]:
            done["mappings"][name] = shipped["mappings"][name]
    return done


def test_a_renamed_column_is_proposed_by_its_content(demo: Path) -> None:
    _forget(demo, NO22)
    draft, review, output = _draft(demo, NO22_FILE, NO22)
    # ansatte_totalt was antall_ansatte in 2018: other name, same kind of values
    assert draft["mappings"]["n_employees"]["from"] == "ansatte_totalt"
    earlier = yaml.safe_load((demo / "schemas/sources/no-institutions-2018.yaml").read_text(
        encoding="utf-8"))
    assert draft["variables"]["ansatte_totalt"] == earlier["variables"]["antall_ansatte"]
    [item] = _items(review, "variables.ansatte_totalt")
    assert "continues antall_ansatte of no-institutions-2018 (score 0." in item
    assert "check that it asks the same question" in item
    # the CLI prints each item with the draft's file and line
    path = "schemas/sources/no-institutions-2022.yaml"
    line = int(item.split(",")[0].removeprefix("line "))
    text = (demo / path).read_text(encoding="utf-8").splitlines()
    assert text[line - 1].startswith("  ansatte_totalt:")
    assert f"  {path}:{line}: variables.ansatte_totalt: continues" in output


def test_a_dropped_question_is_drafted_not_asked_with_an_item_saying_so(demo: Path) -> None:
    _forget(demo, NO22)
    draft, review, _ = _draft(demo, NO22_FILE, NO22)
    assert draft["mappings"]["form_codesign"] == "not_asked"
    [item] = _items(review, "mappings.form_codesign")
    assert ("no-institutions-2018 maps it from form_samutvikling, which the file lacks, and no "
            "column continues it") in item
    assert "write `{not_asked: <reason>}`" in item
    # and validation holds it until the steward says why
    checked = _run(demo, "validate", NO22)
    assert checked.exit_code == 1 and "[dropped-question]" in checked.output


def test_only_what_differs_or_is_unknown_is_an_item(demo: Path) -> None:
    _forget(demo, NO22)
    _, review, _ = _draft(demo, NO22_FILE, NO22)
    keys = sorted({item.split(": ")[0].split(", ", 1)[1] for item in review})
    # 2022 against 2018: one rename, one dropped question, one new column, codes of another
    # municipality vintage, a new answer code (labelled, and recoded in its mapping); and what
    # only a person can write
    assert keys == ["fieldwork", "mappings.form_codesign", "mappings.initiative",
                    "municipality.reference", "title", "variables.ansatte_totalt",
                    "variables.frivilligkoordinator", "variables.initiativ.values"]
    assert not any("copied" in item or "still asks" in item for item in review)
    [vintage] = _items(review, "municipality.reference")
    assert "fit no-2020" in vintage and "no-institutions-2018 used no-2018" in vintage
    [codes] = _items(review, "variables.initiativ.values")
    assert "code 6 is new since no-institutions-2018" in codes


def test_removing_review_without_finishing_never_builds(demo: Path) -> None:
    _forget(demo, NO22)
    draft, _, _ = _draft(demo, NO22_FILE, NO22)
    path = demo / "schemas" / "sources" / f"{NO22}.yaml"
    draft["review"] = []
    write_yaml(path, draft)
    built = _run(demo, "build")
    assert built.exit_code == 1
    assert "(DRAFT: check the title)" in built.output and "[draft-placeholder]" in built.output


@pytest.mark.parametrize(("source_id", "raw"), [
    (NO22, NO22_FILE),
    ("dk-associations-2016", "raw/dk/dk_foreninger_2016.sav"),
])
def test_a_finished_draft_builds_like_the_shipped_codebook(demo: Path, source_id: str,
                                                          raw: str) -> None:
    assert _run(demo, "build").exit_code == 0
    table = "institutions" if "institutions" in source_id else "associations"
    before = pl.read_parquet(demo / "processed" / f"{table}.parquet").filter(
        pl.col("source") == source_id)
    shipped = _forget(demo, source_id)
    draft, review, _ = _draft(demo, raw, source_id)
    assert review
    refused = _run(demo, "build")
    assert refused.exit_code == 1
    assert "drafted codebook items await review" in refused.output

    write_yaml(demo / "schemas" / "sources" / f"{source_id}.yaml", _finish(draft, shipped))
    built = _run(demo, "build")
    assert built.exit_code == 0, built.output
    rebuilt = pl.read_parquet(demo / "processed" / f"{table}.parquet").filter(
        pl.col("source") == source_id)
    mapped = [n for n, m in draft["mappings"].items() if isinstance(m, dict) and "from" in m]
    assert len(mapped) >= 8
    for name in [*mapped, "municipality_code_2024", "respondent_id"]:
        assert rebuilt[name].equals(before[name]), name


def _latest(demo: Path) -> dict:
    """The codebook of the latest Norwegian institutions wave of the package."""
    paths = sorted((demo / "schemas" / "sources").glob("no-institutions-*.yaml"))
    return yaml.safe_load(paths[-1].read_text(encoding="utf-8"))


def _next_wave(demo: Path, change=None, dialect: dict | None = None) -> tuple[str, str]:  # noqa: ANN001
    """A delivery of the next Norwegian institutions wave (one the package does not have yet):
    the latest wave's rows, changed by ``change`` (a frame of text cells -> frame) and written
    in ``dialect`` (default: the latest wave's). Returns its file and id."""
    latest = _latest(demo)
    before = {"encoding": "utf-8", "delimiter": ",", "line_terminator": "\n",
              **latest.get("dialect", {})}
    text = (demo / latest["file"]).read_bytes().decode(before["encoding"]).lstrip("\ufeff")
    frame = pl.read_csv(text.encode(), separator=before["delimiter"], infer_schema=False)
    frame = change(frame) if change else frame
    dialect = {**before, **(dialect or {})}
    wave = int(latest["id"].rsplit("-", 1)[1]) + 2
    out = demo / "raw" / "no" / f"no_virksomheter_{wave}.csv"
    body = frame.write_csv(separator=dialect["delimiter"], line_terminator=dialect[
        "line_terminator"], quote_style="necessary")
    out.write_bytes(body.encode(dialect["encoding"]))
    return f"raw/no/no_virksomheter_{wave}.csv", f"no-institutions-{wave}"


def _other(dialect: dict) -> dict:
    """A dialect that differs from ``dialect`` in encoding, delimiter and line ends."""
    return {"encoding": "utf-8" if dialect.get("encoding") != "utf-8" else "cp1252",
            "delimiter": "\t" if dialect.get("delimiter") != "\t" else ";",
            "line_terminator": "\n" if dialect.get("line_terminator") == "\r\n" else "\r\n"}


def test_another_dialect_is_read_off_the_file_and_named(demo: Path) -> None:
    before = {"encoding": "utf-8", "delimiter": ",", "line_terminator": "\n", "decimal": ".",
              **_latest(demo).get("dialect", {})}
    after = _other(before)
    draft, review, _ = _draft(demo, *_next_wave(demo, dialect=after))
    assert draft["dialect"] == {**after, "decimal": before["decimal"]}
    [item] = _items(review, "dialect")
    names = {"\t": "tab", ";": "semicolon", ",": "comma"}
    lines = {"\n": "LF", "\r\n": "CRLF"}
    assert (f"the file is {after['encoding']}, {names[after['delimiter']]}-separated, decimal "
            f"{before['decimal']!r}, {lines[after['line_terminator']]} lines") in item
    assert (f"was {before['encoding']}, {names[before['delimiter']]}-separated, decimal "
            f"{before['decimal']!r}, {lines[before['line_terminator']]} lines") in item


def _source_column(codebook: dict, variable: str) -> str:
    return codebook["mappings"][variable]["from"]


def test_dont_know_written_as_blanks_is_an_item(demo: Path) -> None:
    column = _source_column(_latest(demo), "partner_sports")
    draft, review, _ = _draft(demo, *_next_wave(demo, lambda f: f.with_columns(
        pl.when(pl.col(column) == "9").then(None).otherwise(pl.col(column)).alias(column))))
    [item] = _items(review, f"variables.{column}")
    assert re.search(r"missing code 9 \(dont_know, \d+ rows\) of no-institutions-\d+ occurs in "
                     r"no row, while \d+ rows are blank \(read as not_applicable\)", item)


def test_a_new_code_and_a_changed_type_are_items(demo: Path) -> None:
    latest = _latest(demo)
    collab = _source_column(latest, "collab_associations")
    count = _source_column(latest, "n_employees")
    code = next(c for c in range(2, 9) if c not in latest["variables"][collab]["values"])
    row = pl.int_range(pl.len()) == 2

    draft, review, _ = _draft(demo, *_next_wave(demo, lambda f: f.with_columns(
        pl.when(row).then(pl.lit(str(code))).otherwise(pl.col(collab)).alias(collab),
        pl.when(row).then(pl.lit("ca. 40")).otherwise(pl.col(count)).alias(count))))
    [codes] = _items(review, f"variables.{collab}.values")
    assert f"code {code} is new since {latest['id']}" in codes
    [mapping] = _items(review, "mappings.collab_associations")
    assert f"{collab} code {code} is not recoded" in mapping
    [kind] = _items(review, f"variables.{count}")
    assert (f"declared {count} integer, but the file holds string values (e.g. 'ca. 40')"
            in kind)


def test_a_new_country_is_drafted_from_the_file_alone(tiny: Path) -> None:
    (tiny / "raw" / "se.csv").write_bytes(
        "\ufeffid,kommun,samarbete,antal,kommentar\r\n".encode()
        + "".join(f'{i},{"0180" if i % 2 else "1480"},{[0, 1, 1, 9][i % 4]},'
                  f'{9999 if i == 7 else i * 3},"{"Bra, tack" if i == 3 else ""}"\r\n'
                  for i in range(1, 41)).encode())
    package = tiny / "schemas" / "package.yaml"
    data = yaml.safe_load(package.read_text(encoding="utf-8"))
    data["municipality_references"]["se-2024"] = {
        "file": "reference/se.csv", "code": "kod", "name": "namn", "width": 4,
        "vintage": "2024", "country": "se"}
    write_yaml(package, data)
    (tiny / "reference" / "se.csv").write_text("kod,namn\n0180,Stockholm\n1480,Göteborg\n",
                                               encoding="utf-8")
    draft, review, _ = _draft(tiny, "raw/se.csv", "se-things-2024")
    assert draft["dialect"] == {"encoding": "utf-8", "delimiter": ",", "decimal": ".",
                                "line_terminator": "\r\n"}
    variables = draft["variables"]
    assert variables["kommun"] == {"type": "string", "label": "?", "pattern": r"^\d{4}$"}
    assert variables["samarbete"]["values"] == {0: "?", 1: "?", 9: "?"}
    assert variables["samarbete"]["missing"] == {9: "no_answer"}
    assert variables["antal"]["missing"] == {9999: "no_answer"}  # apart from 3..120
    assert variables["kommentar"]["free_text"] is True
    assert (draft["id_variable"], draft["municipality"]) == (
        "id", {"variable": "kommun", "reference": "se-2024"})
    assert draft["language"] == "?"
    assert draft["mappings"]["collab"] == {"not_asked": "?"}
    [item] = _items(review, "variables.samarbete")
    assert "9 sits apart from the other values (0–1): drafted as missing" in item
    [language] = _items(review, "language")
    assert "en, da, nb" in language
    [country] = _items(review, "id")
    assert "'se' is not yet a category of things.country" in country
    refused = _run(tiny, "validate", "se-things-2024")
    assert refused.exit_code == 3 and "add it under variables.country.categories" in refused.output
    table = tiny / "schemas" / "harmonized" / "things.yaml"
    spec = yaml.safe_load(table.read_text(encoding="utf-8"))
    spec["variables"]["country"]["categories"].append(
        {"value": "se", "code": 752, "label": {"en": "Sweden", "da": "Sverige", "nb": "Sverige"}})
    write_yaml(table, spec)
    checked = _run(tiny, "validate", "se-things-2024")
    assert checked.exit_code == 1 and "[draft-placeholder]" in checked.output


def test_force_replaces_a_broken_draft(demo: Path) -> None:
    path = demo / "schemas" / "sources" / "no-institutions-2098.yaml"
    shutil.copy(demo / NO22_FILE, demo / "raw" / "no" / "no_virksomheter_2098.csv")
    path.write_text("id: no-institutions-2098\nvariables: [oops\n", encoding="utf-8")
    again = _run(demo, "new-source", "raw/no/no_virksomheter_2098.csv",
                 "--id", "no-institutions-2098")
    assert again.exit_code == 3
    assert "schemas/sources/no-institutions-2098.yaml exists already" in again.output
    assert "pass --force" in again.output
    forced = _run(demo, "new-source", str(demo / "raw/no/no_virksomheter_2098.csv"),
                  "--id", "no-institutions-2098", "--force")
    assert forced.exit_code == 0, forced.output
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["id"] == "no-institutions-2098"


def test_a_changed_spss_label_and_new_blanks_are_items(demo: Path) -> None:
    import pyreadstat

    codebooks = sorted((demo / "schemas" / "sources").glob("dk-associations-*.yaml"))
    latest = yaml.safe_load(codebooks[-1].read_text(encoding="utf-8"))
    frame, meta = pyreadstat.read_sav(str(demo / latest["file"]), user_missing=True,
                                      output_format="polars")
    labels = {k: dict(v) for k, v in meta.variable_value_labels.items()}
    coded = next(n for n, v in latest["variables"].items()
                 if v.get("values") and "blank" not in v and n in labels and n in frame.columns
                 and n != latest["municipality"]["variable"])
    code = next(c for c in labels[coded] if c not in latest["variables"][coded].get("missing", {}))
    labels[coded][code] = "Et helt andet svar"
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) < 3).then(None)
                               .otherwise(pl.col(coded)).alias(coded))
    wave = int(latest["id"].rsplit("-", 1)[1]) + 2
    raw = f"raw/dk/dk_foreninger_{wave}.sav"
    pyreadstat.write_sav(frame, str(demo / raw), column_labels=meta.column_names_to_labels,
                         variable_value_labels=labels, missing_ranges=meta.missing_ranges)
    _, review, _ = _draft(demo, raw, f"dk-associations-{wave}")
    [label] = _items(review, f"variables.{coded}.values")
    assert (f"the file labels code {int(code)} 'Et helt andet svar', {latest['id']} "
            f"{latest['variables'][coded]['values'][int(code)]!r}") in label
    [blanks] = _items(review, f"variables.{coded}")
    assert f"3 empty cells, where {latest['id']} had none: drafted `blank: no_answer`" in blanks
