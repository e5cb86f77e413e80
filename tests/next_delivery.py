"""The next deliveries, made as files by code: what a steward's pull request adds to the package.

- :func:`add_wave`: a new Norwegian institutions wave, ``no-institutions-2024``, derived from the
  2022 extract and codebook, with what real next waves bring: another file dialect (UTF-8, tabs,
  LF, decimal point), renamed columns, a dropped question, a new answer category, don't-know
  answers delivered as empty cells, and municipality codes of a newer classification.
- :func:`add_country`: a new country, Sweden (``se-associations-2024``), with its own language
  (``sv``, a text in it for every harmonized label), ``country`` category, municipality
  classification and file dialect (UTF-8 with a byte-order mark, commas, quoted fields, CRLF).

Each writes the raw file and the *finished* codebook (what the steward ends with after review),
and edits the package and harmonized codebooks as the steward would; no code of the tool
changes. Rows are seeded, so a delivery is the same on every run. Not a test module: tests
import it like conftest (``from next_delivery import add_wave, add_country``).
"""

from __future__ import annotations

import copy
import csv
import io
import random
from pathlib import Path

import yaml

WAVE_ID = "no-institutions-2024"
COUNTRY_ID = "se-associations-2024"
LANGUAGE = "sv"


class _Dumper(yaml.SafeDumper):
    """Writes shared structures in full (no &id001 anchors), as a person would."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _dump(path: Path, data: dict, header: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + yaml.dump(data, Dumper=_Dumper, allow_unicode=True,
                                       sort_keys=False, width=100), encoding="utf-8")


def _languages(root: Path) -> list[str]:
    return _load(root / "schemas" / "package.yaml")["languages"]


def _labels(root: Path, **texts: str) -> dict[str, str]:
    """A label in every language of the package; a language without a text here is an error of
    this module, not something to paper over."""
    missing = [lang for lang in _languages(root) if lang not in texts]
    assert not missing, f"write the text in {missing}"
    return {lang: texts[lang] for lang in _languages(root)}


def _sources_of(root: Path, country: str, table: str) -> list[str]:
    ids = [p.stem for p in (root / "schemas" / "sources").glob(f"{country}-{table}-*.yaml")]
    return sorted(ids)


def _review_notes(table: dict, earlier: list[str], source_id: str) -> None:
    """What the steward does with each note-not-reviewed finding: a note about every earlier
    source of the country (the scale, the coding, the weights, ...) still holds for the new
    one, so the source is added to its sources."""
    for note in table.get("comparability", []):
        if earlier and all(s in note["sources"] for s in earlier) and source_id not in (
                note["sources"] + note.get("not_affected", [])):
            note["sources"].append(source_id)


# --- a new wave -----------------------------------------------------------------------------

# 2022 name -> 2024 name: the same questions under new column names.
RENAMED = {"ansatte_totalt": "antall_tilsatte",
           "samarbeid_frivillige": "samarbeid_enkeltfrivillige",
           "holdning_leder": "leders_holdning"}
DROPPED = "form_samskaping"  # the co-creation item, no longer asked
PARTLY_IN = "samarbeid_lag_foreninger"  # gains the answer 2 "Delvis" (partly)
# Its don't-know answers (9) are delivered as empty cells. The routed question with the most
# don't-knows in 2022, so that the tool's finding (missing-code-unused) is certain, not chance.
BLANKED = "initiativ"


# The shipped demo's sources: the deliveries below are *their* next ones.
DEMO_SOURCES = ("dk-associations-2016", "dk-associations-2018", "dk-institutions-2016",
                "dk-institutions-2018", "no-associations-2018", "no-associations-2022",
                "no-institutions-2018", "no-institutions-2022")


def demo_only(root: Path) -> Path:
    """Reduce a copy of the package to the demo's sources, so that the deliveries below are
    new even in a package that has grown since (a steward's real 2024 wave or Swedish source):
    other source codebooks go, and so do the comparability notes' mentions of them."""
    for path in (root / "schemas" / "sources").glob("*.yaml"):
        if path.stem not in DEMO_SOURCES:
            path.unlink()
    for path in sorted((root / "schemas" / "harmonized").glob("*.yaml")):
        table = _load(path)
        for note in table.get("comparability", []):
            for key in ("sources", "not_affected"):
                if key in note:
                    note[key] = [s for s in note[key] if s in DEMO_SOURCES]
        table["comparability"] = [n for n in table.get("comparability", []) if n["sources"]]
        _dump(path, table)
    return root


def add_wave(root: Path) -> str:
    """Add ``no-institutions-2024`` to the package in ``root``; return its id."""
    base = _load(root / "schemas" / "sources" / "no-institutions-2022.yaml")
    file = "raw/no/no_virksomheter_2024.tsv"
    _write_wave_file(root, root / base["file"], base["dialect"], root / file)

    codebook = copy.deepcopy(base)
    codebook.update(
        id=WAVE_ID, file=file, fieldwork="2024-03/2024-05",
        title="Kommuneundersøkelsen 2024 (SYNTETISKE DEMODATA): kommunale virksomheters "
              "samarbeid med frivillige",
        dialect={"encoding": "utf-8", "delimiter": "\t", "decimal": ".",
                 "line_terminator": "\n"},
        municipality={"variable": "kommunenr", "reference": "no-2024"})
    codebook["variables"] = {RENAMED.get(name, name): var
                             for name, var in base["variables"].items() if name != DROPPED}
    partly = codebook["variables"][PARTLY_IN]
    partly["values"] = dict(sorted({**partly["values"], 2: "Delvis"}.items()))
    mappings = codebook["mappings"]
    for mapping in mappings.values():
        if isinstance(mapping, dict) and "from" in mapping:
            mapping["from"] = RENAMED.get(mapping["from"], mapping["from"])
    mappings["collab_associations"]["recode"][2] = "partly"
    mappings["collab_associations"]["note"] = "2 Delvis is new in 2024."
    mappings["form_cocreation"] = {
        "not_asked": "the co-creation item (form_samskaping) was dropped from the 2024 "
                     "questionnaire"}
    mappings["form_codesign"] = {
        "not_asked": "the co-design item (form_samutvikling in 2018) has not been asked since "
                     "2022"}
    mappings["n_employees"]["note"] = "Called ansatte_totalt in 2022, antall_ansatte in 2018."
    mappings["initiative"]["note"] = (
        "The 2024 delivery wrote Vet ikke (9) as empty cells: they are read as not_applicable.")
    _dump(root / "schemas" / "sources" / f"{WAVE_ID}.yaml", codebook,
          f"# Source codebook of {WAVE_ID}: SYNTHETIC, derived from no-institutions-2022 by\n"
          "# tests/next_delivery.py (a steward's next delivery, reviewed).\n")

    path = root / "schemas" / "harmonized" / "institutions.yaml"
    table = _load(path)
    variables = table["variables"]
    # The yes/no list is shared by many variables (a YAML anchor): copy it before adding.
    if "partly" not in [c["value"] for c in variables["collab_associations"]["categories"]]:
        variables["collab_associations"]["categories"] = [
            *copy.deepcopy(variables["collab_associations"]["categories"]),
            {"value": "partly", "code": 2,
             "label": _labels(root, en="Partly", da="Delvis", nb="Delvis", sv="Delvis")}]
    variables["collab_any"]["derive"]["counts"] = {"partly": "yes"}
    earlier = [s for s in _sources_of(root, "no", "institutions") if s != WAVE_ID]
    _review_notes(table, earlier, WAVE_ID)
    table["comparability"] += [_note(root, variables_, severity, **texts)
                               for variables_, severity, texts in _WAVE_NOTES]
    _dump(path, table)
    return WAVE_ID


_WAVE_NOTES = [
    (["collab_associations", "collab_any"], "minor", dict(
        en="Norway 2024 added the answer \"Delvis\" (partly) to the question on collaboration "
           "with voluntary associations, harmonized to the new category partly; collab_any "
           "counts it as yes. Earlier waves offered yes and no only.",
        da="Norge 2024 tilføjede svaret \"Delvis\" til spørgsmålet om samarbejde med frivillige "
           "foreninger, harmoniseret til den nye kategori partly; collab_any tæller det som ja. "
           "Tidligere runder havde kun ja og nej.",
        nb="Norge 2024 la til svaret \"Delvis\" på spørsmålet om samarbeid med frivillige lag og "
           "foreninger, harmonisert til den nye kategorien partly; collab_any teller det som ja. "
           "Tidligere runder hadde bare ja og nei.",
        sv="Norge 2024 lade till svaret \"Delvis\" på frågan om samarbete med ideella "
           "föreningar, harmoniserat till den nya kategorin partly; collab_any räknar det som "
           "ja. Tidigare omgångar hade bara ja och nej.")),
    (["form_cocreation"], "minor", dict(
        en="Norway's 2024 questionnaire dropped the co-creation item (form_samskaping): every "
           "row of no-institutions-2024 is not_asked.",
        da="Det norske spørgeskema fra 2024 udelod samskabelsesspørgsmålet (form_samskaping): "
           "alle rækker i no-institutions-2024 er not_asked.",
        nb="Det norske spørreskjemaet fra 2024 tok ut samskapingsspørsmålet (form_samskaping): "
           "alle rader i no-institutions-2024 er not_asked.",
        sv="Den norska enkäten 2024 tog bort frågan om samskapande (form_samskaping): alla rader "
           "i no-institutions-2024 är not_asked.")),
    (["initiative"], "major", dict(
        en="The 2024 delivery wrote \"Vet ikke\" (don't know) answers to the initiative question "
           "as empty cells, which read as not applicable: no row is dont_know, and "
           "not_applicable includes those answers.",
        da="Leverancen fra 2024 skrev \"Vet ikke\"-svar på spørgsmålet om initiativ som tomme "
           "celler, der læses som ikke relevant: ingen række er dont_know, og not_applicable "
           "omfatter de svar.",
        nb="Leveransen fra 2024 skrev \"Vet ikke\"-svar på spørsmålet om initiativ som tomme "
           "celler, som leses som ikke aktuelt: ingen rad er dont_know, og not_applicable "
           "omfatter de svarene.",
        sv="Leveransen 2024 skrev \"Vet ikke\"-svar på frågan om initiativ som tomma celler, som "
           "läses som ej tillämpligt: ingen rad är dont_know, och not_applicable omfattar de "
           "svaren.")),
    (["n_employees", "collab_volunteers", "attitude"], "info", dict(
        en="Renamed source variables, same questions: Norway 2024 calls them antall_tilsatte, "
           "samarbeid_enkeltfrivillige and leders_holdning (2022: ansatte_totalt, "
           "samarbeid_frivillige and holdning_leder).",
        da="Omdøbte kildevariable, samme spørgsmål: Norge 2024 kalder dem antall_tilsatte, "
           "samarbeid_enkeltfrivillige og leders_holdning (2022: ansatte_totalt, "
           "samarbeid_frivillige og holdning_leder).",
        nb="Omdøpte kildevariabler, samme spørsmål: Norge 2024 kaller dem antall_tilsatte, "
           "samarbeid_enkeltfrivillige og leders_holdning (2022: ansatte_totalt, "
           "samarbeid_frivillige og holdning_leder).",
        sv="Omdöpta källvariabler, samma frågor: Norge 2024 kallar dem antall_tilsatte, "
           "samarbeid_enkeltfrivillige och leders_holdning (2022: ansatte_totalt, "
           "samarbeid_frivillige och holdning_leder).")),
]


def _note(root: Path, variables: list[str], severity: str, **texts: str) -> dict:
    return {"variables": variables, "sources": [WAVE_ID], "severity": severity,
            "note": _labels(root, **texts)}


def _write_wave_file(root: Path, base: Path, dialect: dict, out: Path) -> None:
    """Every 2022 row, changed as the 2024 delivery has it."""
    text = base.read_bytes().decode(dialect["encoding"])
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=dialect["delimiter"]))
    successors: dict[str, list[str]] = {}
    walk = root / "reference" / "no_kommune_crosswalk_2020_2024_derived.csv"
    for step in csv.DictReader(walk.open(encoding="utf-8", newline="")):
        successors.setdefault(step["kommunenummer_2020"], []).append(step["kommunenummer_2024"])
    header = [RENAMED.get(name, name) for name in rows[0] if name != DROPPED]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(header)
    for index, row in enumerate(rows):
        row = {RENAMED.get(k, k): v for k, v in row.items() if k != DROPPED}
        row["løpenr"] = str(60001 + index)
        # A split municipality's institutions lie in one of its successors: the derived rows
        # do not say which, so one is picked by turns.
        after = sorted(successors[row["kommunenr"]])
        row["kommunenr"] = after[index % len(after)]
        if row[PARTLY_IN] == "1" and index % 7 == 0:
            row[PARTLY_IN] = "2"
        if row[BLANKED] == "9":
            row[BLANKED] = ""
        row["vekt"] = row["vekt"].replace(dialect["decimal"], ".")
        writer.writerow([row[name] for name in header])
    out.write_bytes(buffer.getvalue().encode("utf-8"))


# --- a new country --------------------------------------------------------------------------

# Real municipality codes of Statistics Sweden (SCB), with their county (län): a part of the
# list, declared `status: partial`.
SE_MUNICIPALITIES = [
    ("0114", "Upplands Väsby", "01"), ("0126", "Huddinge", "01"), ("0127", "Botkyrka", "01"),
    ("0180", "Stockholm", "01"), ("0181", "Södertälje", "01"), ("0182", "Nacka", "01"),
    ("0184", "Solna", "01"), ("0380", "Uppsala", "03"), ("0580", "Linköping", "05"),
    ("0581", "Norrköping", "05"), ("0680", "Jönköping", "06"), ("0780", "Växjö", "07"),
    ("0980", "Gotland", "09"), ("1280", "Malmö", "12"), ("1281", "Lund", "12"),
    ("1283", "Helsingborg", "12"), ("1480", "Göteborg", "14"), ("1490", "Borås", "14"),
    ("1880", "Örebro", "18"), ("1980", "Västerås", "19"), ("2480", "Umeå", "24"),
    ("2584", "Kiruna", "25"),
]
SE_COUNTIES = {"01": "Stockholms län", "03": "Uppsala län", "05": "Östergötlands län",
               "06": "Jönköpings län", "07": "Kronobergs län", "09": "Gotlands län",
               "12": "Skåne län", "14": "Västra Götalands län", "18": "Örebro län",
               "19": "Västmanlands län", "24": "Västerbottens län", "25": "Norrbottens län"}

# The Swedish activity list: code -> (text, ICNPO group, national category, English label).
SE_ACTIVITIES = {
    1: ("Idrott", "culture_recreation", "se_idrott", "Sports"),
    2: ("Kultur", "culture_recreation", "se_kultur", "Culture"),
    3: ("Fritid och hobby", "culture_recreation", "se_fritid_hobby", "Hobby and leisure"),
    4: ("Socialt och humanitärt arbete", "social_services", "se_social_humanitar",
        "Social and humanitarian work"),
    5: ("Patient- och anhörigförening", "health", "se_patient_anhorig",
        "Patient and carers' association"),
    6: ("Pensionärsförening", "social_services", "se_pensionar", "Pensioners' association"),
    7: ("Natur och miljö", "environment", "se_natur_miljo", "Nature and environment"),
    8: ("Trossamfund och livsåskådning", "religion", "se_tro_livsaskadning",
        "Religious and belief community"),
    9: ("Bygdeförening och lokal utveckling", "development_housing", "se_bygdeforening",
        "Village and local development association"),
    10: ("Övrigt", "not_elsewhere_classified", "se_ovrigt", "Other"),
}
# The national labels in the other languages (the harmonized codebook needs each).
SE_ACTIVITY_LABELS = {
    "se_idrott": ("Idræt", "Idrett"), "se_kultur": ("Kultur", "Kultur"),
    "se_fritid_hobby": ("Hobby og fritid", "Hobby og fritid"),
    "se_social_humanitar": ("Socialt og humanitært arbejde", "Sosialt og humanitært arbeid"),
    "se_patient_anhorig": ("Patient- og pårørendeforening", "Pasient- og pårørendeforening"),
    "se_pensionar": ("Pensionistforening", "Pensjonistforening"),
    "se_natur_miljo": ("Natur og miljø", "Natur og miljø"),
    "se_tro_livsaskadning": ("Trossamfund og livssyn", "Trossamfunn og livssyn"),
    "se_bygdeforening": ("Landsby- og lokaludviklingsforening", "Bygdelag og lokal utvikling"),
    "se_ovrigt": ("Andet", "Annet"),
}
YES_NO_DK = {1: "Ja", 2: "Nej", 8: "Vet inte"}  # as the Swedish questionnaire codes them
COLLABORATION = [  # column, question, harmonized variable, routed (asked if collaborating)
    ("samarbete_kommunal_verksamhet",
     "Samarbetar föreningen med en eller flera kommunala verksamheter?", "collab_institution",
     False),
    ("samarbete_skola", "Vilka kommunala verksamheter samarbetar föreningen med? Skola/fritidshem",
     "collab_school", True),
    ("samarbete_förskola", "Vilka kommunala verksamheter samarbetar föreningen med? Förskola",
     "collab_daycare", True),
    ("samarbete_äldreomsorg",
     "Vilka kommunala verksamheter samarbetar föreningen med? Äldreboende eller hemtjänst",
     "collab_elderly_care", True),
    ("samarbete_annan_verksamhet",
     "Vilka kommunala verksamheter samarbetar föreningen med? Annan kommunal verksamhet",
     "collab_other_institution", True),
    ("samarbete_förvaltning", "Samarbetar föreningen med kommunens förvaltning?",
     "collab_administration", False),
    ("offentligt_bidrag", "Får föreningen offentligt bidrag?", "public_funding", False),
]
SE_ROWS = 150


def add_country(root: Path) -> str:
    """Add Sweden, with ``se-associations-2024``, to the package in ``root``; return its id."""
    path = root / "schemas" / "package.yaml"
    package = _load(path)
    # Tolerant of a package that knows Sweden already (see demo_only): nothing is added twice.
    if LANGUAGE not in package["languages"]:
        package["languages"].append(LANGUAGE)
    if "Sweden" not in package.get("keywords", []):
        package["keywords"] = [*package.get("keywords", []), "Sweden"]
    for key, old, new in (("title", "(Denmark and Norway)", "(Denmark, Norway and Sweden)"),
                          ("citation", "(Denmark and Norway)", "(Denmark, Norway and Sweden)"),
                          ("description", "Danish and Norwegian", "Danish, Norwegian and Swedish"),
                          ("description", "English, Danish and Norwegian bokmål",
                           "English, Danish, Norwegian bokmål and Swedish")):
        package[key] = package[key].replace(old, new)  # the demo's wording, where it has it
    package["municipality_references"]["se-2024"] = {
        "file": "reference/se_kommuner_2024.csv", "code": "kommunkod", "name": "kommunnamn",
        "width": 4, "vintage": "2024", "country": "se", "region_code": "länskod",
        "region_name": "länsnamn", "status": "partial",
        "provenance": "Statistics Sweden (SCB), municipality codes (kommunkoder) valid 2024; "
                      "a part of the list"}
    _translate(package)
    _dump(path, package)
    _write_reference(root)

    for table_path in sorted((root / "schemas" / "harmonized").glob("*.yaml")):
        table = _load(table_path)
        for var in table["variables"].values():
            if var.get("derive") == "country" and "se" not in [
                    c["value"] for c in var["categories"]]:
                var["categories"] = [*copy.deepcopy(var["categories"]), {
                    "value": "se", "code": 752,
                    "label": _labels(root, en="Sweden", da="Sverige", nb="Sverige",
                                     sv="Sverige")}]
            if var.get("derive") == "region_reference":  # Swedish rows have a län
                var["label"] = _labels(
                    root, en="Region (Denmark), county (Norway) or län (Sweden) in 2024",
                    da="Region (Danmark), fylke (Norge) eller län (Sverige) i 2024",
                    nb="Region (Danmark), fylke (Norge) eller län (Sverige) i 2024",
                    sv="Region (Danmark), fylke (Norge) eller län (Sverige) 2024")
        if table["table"] == "associations":
            _add_swedish_activities(root, table)
        _translate(table)
        _dump(table_path, table)

    file = "raw/se/se_foreningar_2024.csv"
    _write_country_file(root / file)
    _dump(root / "schemas" / "sources" / f"{COUNTRY_ID}.yaml", _country_codebook(file),
          f"# Source codebook of {COUNTRY_ID}: SYNTHETIC, made by tests/next_delivery.py (a\n"
          "# steward's first delivery of a new country, reviewed).\n")
    return COUNTRY_ID


def _write_reference(root: Path) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kommunkod", "kommunnamn", "länskod", "länsnamn"])
    writer.writerows([code, name, county, SE_COUNTIES[county]]
                     for code, name, county in SE_MUNICIPALITIES)
    (root / "reference" / "se_kommuner_2024.csv").write_text(out.getvalue(), encoding="utf-8")
    provenance = root / "reference" / "PROVENANCE.md"
    if provenance.is_file():
        provenance.write_text(provenance.read_text(encoding="utf-8") + (
            "\n## Sweden\n\n| file | rows | what | source |\n|---|---|---|---|\n"
            f"| se_kommuner_2024.csv | {len(SE_MUNICIPALITIES)} | Swedish municipalities "
            "(`kommunkod`, 4 digits, name, county code and name): a part of the list, "
            "`status: partial` | Statistics Sweden (SCB), municipality codes (kommunkoder) "
            "valid 2024 |\n"), encoding="utf-8")


def _add_swedish_activities(root: Path, table: dict) -> None:
    """Sweden's national activity list, beside Denmark's and Norway's (activity_detail)."""
    detail = table["variables"]["activity_detail"]
    present = {c["value"] for c in detail["categories"]}
    for code, (text, _, value, english) in SE_ACTIVITIES.items():
        if value in present:
            continue
        da, nb = SE_ACTIVITY_LABELS[value]
        detail["categories"].append({"value": value, "code": 300 + code, "label": _labels(
            root, en=f"SE: {english}", da=f"SE: {da}", nb=f"SE: {nb}", sv=f"SE: {text}")})


def _country_codebook(file: str) -> dict:
    variables: dict[str, dict] = {
        "löpnummer": {"type": "integer", "label": "Löpnummer", "unique": True},
        "kommunkod": {"type": "string", "label": "Kommunkod", "pattern": r"^\d{4}$"},
        "huvudverksamhet": {"type": "integer", "label": "Vilken är föreningens huvudsakliga "
                            "verksamhet?", "values": {c: a[0] for c, a in SE_ACTIVITIES.items()}},
        "förankring": {"type": "integer", "label": "Hur lokalt förankrad är föreningen?",
                       "values": {1: "Närområdet (byn eller stadsdelen)", 2: "Kommunen",
                                  3: "Regionen/länet", 4: "Hela landet", 9: "Vet inte"},
                       "missing": {9: "dont_know"}},
        "antal_medlemmar": {"type": "integer", "label": "Hur många medlemmar har föreningen?",
                            "range": [0, 100000], "blank": "no_answer"},
        "antal_frivilliga": {"type": "integer", "label": "Hur många frivilliga har föreningen "
                             "haft det senaste året?", "range": [0, 100000],
                             "blank": "no_answer"},
        "antal_anställda": {"type": "integer", "label": "Hur många avlönade anställda har "
                            "föreningen?", "range": [0, 100000], "blank": "no_answer"},
    }
    for column, question, _, routed in COLLABORATION:
        variables[column] = {"type": "integer", "label": question, "values": dict(YES_NO_DK),
                             "missing": {8: "dont_know"},
                             **({"blank": "not_applicable"} if routed else {})}
    variables["övriga_kommentarer"] = {"type": "string", "label": "Övriga kommentarer",
                                       "free_text": True, "blank": "no_answer"}
    variables["vikt"] = {"type": "number", "label": "Vikt", "range": [0.01, 50]}
    mappings: dict[str, object] = {
        "activity_area": {"from": "huvudverksamhet",
                          "recode": {c: a[1] for c, a in SE_ACTIVITIES.items()}},
        "activity_detail": {"from": "huvudverksamhet",
                            "recode": {c: a[2] for c, a in SE_ACTIVITIES.items()}},
        "local_orientation": {"from": "förankring", "recode": {
            1: "neighbourhood", 2: "municipality", 3: "region", 4: "national"}},
        "n_members": {"from": "antal_medlemmar"},
        "n_volunteers": {"from": "antal_frivilliga"},
        "n_paid_staff": {"from": "antal_anställda"},
        **{name: {"from": column, "recode": {1: "yes", 2: "no"}}
           for column, _, name, _ in COLLABORATION},
        # The first Swedish wave: no earlier one asked it, so a bare not_asked is enough.
        "member_involvement": "not_asked",
        "weight": {"from": "vikt"},
    }
    return {
        "id": COUNTRY_ID, "table": "associations",
        "title": "Föreningsundersökningen 2024 (SYNTETISKA DEMODATA): ideella föreningars "
                 "samarbete med kommunen",
        "language": LANGUAGE, "file": file, "format": "csv",
        "dialect": {"encoding": "utf-8", "delimiter": ",", "decimal": ",",
                    "line_terminator": "\r\n"},
        "fieldwork": "2024-09/2024-11", "id_variable": "löpnummer",
        "municipality": {"variable": "kommunkod", "reference": "se-2024"},
        "variables": variables, "mappings": mappings,
    }


SE_COMMENTS = ["Vi samarbetar med skolan, men vill göra mer.",
               'Föreningen "Kulturbron" hjälper till på fritidsgården.',
               "Svårt att hitta frivilliga på sommaren.", "Enkäten var för lång."]


def _write_country_file(path: Path) -> None:
    """~150 synthetic associations, seeded: UTF-8 with a byte-order mark, commas, every
    non-empty field quoted (numbers too, decimal comma and all), CRLF."""
    rng = random.Random(752)
    header = ["löpnummer", "kommunkod", "huvudverksamhet", "förankring", "antal_medlemmar",
              "antal_frivilliga", "antal_anställda", *(c for c, *_ in COLLABORATION),
              "övriga_kommentarer", "vikt"]
    def answer(p_yes: float) -> str:  # 1 Ja, 2 Nej, 8 Vet inte
        return rng.choices(["1", "2", "8"], [p_yes, 0.97 - p_yes, 0.03])[0]

    def count(mu: float, sigma: float) -> str:  # a skewed count, left blank now and then
        return str(int(rng.lognormvariate(mu, sigma))) if rng.random() > 0.05 else ""

    records = [header]
    for number in range(1, SE_ROWS + 1):
        collaborates = rng.random() < 0.45
        records.append([
            str(80000 + number), rng.choice(SE_MUNICIPALITIES)[0],
            str(rng.choice(list(SE_ACTIVITIES))),
            rng.choice("111222349"),  # mostly the neighbourhood or the municipality
            count(4, 1.2), count(2.5, 1), str(rng.choice([0, 0, 0, 0, 1, 2, 5])),
            "1" if collaborates else rng.choice(["2"] * 30 + ["8"]),
            # the kinds of institution: asked of associations that collaborate
            *((answer(p) if collaborates else "") for p in (0.5, 0.3, 0.25, 0.4)),
            answer(0.55), answer(0.6),
            rng.choice(SE_COMMENTS) if rng.random() < 0.1 else "",
            f"{rng.uniform(0.5, 1.8):.4f}".replace(".", ","),
        ])
    text = "".join(",".join('"' + cell.replace('"', '""') + '"' if cell else "" for cell in row)
                   + "\r\n" for row in records)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\ufeff" + text).encode("utf-8"))


# Swedish texts of the harmonized labels, by their English text. Labels not here (the long
# descriptions and comparability notes) get an honest stand-in: "not translated into Swedish",
# followed by the English text.
SV = {
    # the missing-value taxonomy
    "Not applicable (skipped by routing)": "Ej tillämpligt (överhoppad fråga)",
    "Don't know": "Vet inte", "Refused to answer": "Vill inte svara", "No answer": "Inget svar",
    "Not asked (question not in this wave or country)":
        "Ej tillfrågad (frågan ingick inte i denna omgång eller detta land)",
    # tables
    "Voluntary associations and their collaboration with the municipality":
        "Ideella föreningar och deras samarbete med kommunen",
    "Voluntary associations registered in the surveyed countries that answered the survey.":
        "Ideella föreningar registrerade i de undersökta länderna som besvarade undersökningen.",
    "Municipal institutions and their collaboration with associations and volunteers":
        "Kommunala verksamheter och deras samarbete med föreningar och frivilliga",
    "Municipal institutions in the surveyed municipalities whose manager answered the survey.":
        "Kommunala verksamheter i de undersökta kommunerna vars chef besvarade undersökningen.",
    # identification and geography
    "Respondent id (source id and the source's respondent number)":
        "Respondent-id (käll-id och källans löpnummer)",
    "Country": "Land", "Denmark": "Danmark", "Norway": "Norge", "Sweden": "Sverige",
    "Survey wave (year)": "Undersökningsomgång (år)",
    "Source extract (country-survey-wave)": "Källuttag (land-undersökning-omgång)",
    "Municipality code as reported": "Kommunkod som den rapporterades",
    "Vintage of the municipality classification the code belongs to":
        "Årgång av den kommunindelning som koden hör till",
    "Municipality name": "Kommunnamn",
    "Municipality code in the 2024 classification": "Kommunkod i 2024 års indelning",
    "Municipality name in the 2024 classification": "Kommunnamn i 2024 års indelning",
    "Region (Denmark) or county (Norway) in 2024": "Region (Danmark) eller fylke (Norge) 2024",
    "Municipality was split before 2024 (no single 2024 code)":
        "Kommunen delades före 2024 (ingen entydig kod för 2024)",
    "Yes": "Ja", "No": "Nej", "Partly": "Delvis",
    "2024 municipalities a split municipality became (never guessed between)":
        "Kommuner 2024 som en delad kommun blev (det gissas aldrig mellan dem)",
    # associations
    "Activity area (ICNPO group, comparable across countries)":
        "Verksamhetsområde (ICNPO-grupp, jämförbar mellan länder)",
    "Culture and recreation": "Kultur och fritid",
    "Education and research": "Utbildning och forskning", "Health": "Hälsa",
    "Social services": "Sociala tjänster", "Environment": "Miljö",
    "Development and housing": "Samhällsutveckling och boende",
    "Law, advocacy and politics": "Rättigheter, intressebevakning och politik",
    "Philanthropic intermediaries and voluntarism promotion":
        "Filantropiska förmedlare och främjande av frivilligt arbete",
    "International": "Internationell verksamhet", "Religion": "Religion",
    "Business and professional associations, unions":
        "Bransch- och yrkesorganisationer, fackföreningar",
    "Not elsewhere classified": "Övrigt (inte klassificerat annorstädes)",
    "Primary activity (national list)": "Huvudsaklig verksamhet (nationell lista)",
    "How local the association sees itself": "Hur lokalt förankrad föreningen ser sig själv",
    "Neighbourhood, village or district": "Närområdet, byn eller stadsdelen",
    "The municipality": "Kommunen", "The region": "Regionen", "The whole country": "Hela landet",
    "Number of members": "Antal medlemmar",
    "Number of volunteers in the past year": "Antal frivilliga det senaste året",
    "Number of paid staff": "Antal avlönade anställda",
    "Collaborates with one or more municipal institutions":
        "Samarbetar med en eller flera kommunala verksamheter",
    "Collaborates with a school (incl. after-school programme)":
        "Samarbetar med en skola (inkl. fritidshem)",
    "Associations that collaborate with a municipal institution.":
        "Föreningar som samarbetar med en kommunal verksamhet.",
    "Collaborates with a day care institution": "Samarbetar med en förskola",
    "Collaborates with elderly care (nursing home, home care)":
        "Samarbetar med äldreomsorgen (äldreboende, hemtjänst)",
    "Collaborates with another municipal institution":
        "Samarbetar med en annan kommunal verksamhet",
    "Collaborates with the municipal administration": "Samarbetar med kommunens förvaltning",
    "Collaborates with a municipal institution or the municipal administration":
        "Samarbetar med en kommunal verksamhet eller kommunens förvaltning",
    "Yes if either collaboration question is yes; no if both are no; otherwise missing.":
        "Ja om någon av de två samarbetsfrågorna är ja; nej om båda är nej; annars saknas "
        "uppgift.",
    "Receives public funding": "Får offentligt bidrag",
    "Share of members taking part in the association's democracy (general meeting)":
        "Andel av medlemmarna som deltar i föreningsdemokratin (årsmötet)",
    "All associations; not asked in Norway in 2018.":
        "Alla föreningar; frågades inte i Norge 2018.",
    "Under 10 %": "Under 10 procent", "10-24 %": "10–24 procent", "25-49 %": "25–49 procent",
    "50 % or more": "50 procent eller mer",
    "Size class by number of members": "Storleksklass efter antal medlemmar",
    "Fewer than 50 members": "Färre än 50 medlemmar", "50–249 members": "50–249 medlemmar",
    "250 members or more": "250 medlemmar eller fler",
    "Survey weight (within country)": "Vikt (inom landet)",
    "Associations collaborating with a municipal institution":
        "Föreningar som samarbetar med en kommunal verksamhet",
    "Associations collaborating with a municipal institution or the administration":
        "Föreningar som samarbetar med en kommunal verksamhet eller förvaltningen",
    "Collaborating with a school, among associations collaborating with an institution":
        "Samarbete med en skola, bland föreningar som samarbetar med en verksamhet",
    "Collaborating with day care, among associations collaborating with an institution":
        "Samarbete med en förskola, bland föreningar som samarbetar med en verksamhet",
    "Collaborating with another institution, among associations collaborating with one":
        "Samarbete med en annan verksamhet, bland föreningar som samarbetar med en verksamhet",
    "Associations collaborating with a municipal institution, by local orientation":
        "Föreningar som samarbetar med en kommunal verksamhet, efter lokal förankring",
    "Associations collaborating with a municipal institution, by activity area (ICNPO)":
        "Föreningar som samarbetar med en kommunal verksamhet, efter verksamhetsområde (ICNPO)",
    "Share of members at the general (annual) meeting": "Andel av medlemmarna på årsmötet",
    "Associations collaborating with a municipal institution, by size class":
        "Föreningar som samarbetar med en kommunal verksamhet, efter storleksklass",
    # institutions
    "Welfare field of the institution (comparable across countries)":
        "Verksamhetens välfärdsområde (jämförbart mellan länder)",
    "School": "Skola", "Childcare": "Förskola", "Elderly care": "Äldreomsorg",
    "Health promotion and prevention": "Hälsofrämjande och förebyggande arbete",
    "Library": "Bibliotek", "Culture": "Kultur", "Sports facility": "Idrottsanläggning",
    "Youth club": "Fritidsgård", "Other": "Övrigt",
    "Type of institution (national list)": "Typ av verksamhet (nationell lista)",
    "Number of employees": "Antal anställda",
    "Collaborates with voluntary associations": "Samarbetar med ideella föreningar",
    "Collaborates with volunteers not organised in an association":
        "Samarbetar med frivilliga som inte är organiserade i en förening",
    "Collaborates with associations or volunteers (community co-production)":
        "Samarbetar med föreningar eller frivilliga (samproduktion med civilsamhället)",
    "Partner: sports clubs": "Partner: idrottsföreningar",
    "Institutions that collaborate with voluntary associations.":
        "Verksamheter som samarbetar med ideella föreningar.",
    "Partner: cultural associations": "Partner: kulturföreningar",
    "Partner: social and humanitarian organisations":
        "Partner: sociala och humanitära organisationer",
    "Partner: patient and disease associations": "Partner: patient- och sjukdomsföreningar",
    "Form: co-implementation (volunteers carry out tasks with the institution)":
        "Form: samproduktion (de frivilliga utför uppgifter tillsammans med verksamheten)",
    "Institutions that collaborate with associations or volunteers.":
        "Verksamheter som samarbetar med föreningar eller frivilliga.",
    "Form: co-creation (new activities created together)":
        "Form: samskapande (nya aktiviteter skapas tillsammans)",
    "Form: co-design (volunteers help shape the institution's services)":
        "Form: samutveckling (de frivilliga är med och utformar verksamhetens tjänster)",
    "Who took the initiative to the collaboration": "Vem som tog initiativ till samarbetet",
    "The institution": "Verksamheten",
    "The association or the volunteers": "Föreningen eller de frivilliga",
    "Both together": "Båda parter tillsammans",
    "The municipal administration": "Kommunens förvaltning", "Others": "Andra",
    "The citizens or users": "Invånarna eller brukarna",
    "Manager's attitude to collaborating with associations and volunteers":
        "Chefens inställning till samarbete med föreningar och frivilliga",
    "Very positive": "Mycket positiv", "Rather positive": "Ganska positiv",
    "Neither positive nor negative": "Varken positiv eller negativ",
    "Rather negative": "Ganska negativ", "Very negative": "Mycket negativ",
    "Has a volunteer coordinator (a staff member responsible for the volunteers)":
        "Har en frivilligsamordnare (en anställd med ansvar för de frivilliga)",
    "Institutions that collaborate with associations or volunteers; asked in Norway from 2022.":
        "Verksamheter som samarbetar med föreningar eller frivilliga; frågas i Norge från 2022.",
    "Institutions collaborating with voluntary associations":
        "Verksamheter som samarbetar med ideella föreningar",
    "Institutions collaborating with volunteers outside associations":
        "Verksamheter som samarbetar med frivilliga utanför föreningar",
    "Institutions collaborating with associations or volunteers":
        "Verksamheter som samarbetar med föreningar eller frivilliga",
    "Institutions collaborating with associations or volunteers, by welfare field":
        "Verksamheter som samarbetar med föreningar eller frivilliga, efter välfärdsområde",
    "Co-implementation, among collaborating institutions":
        "Samproduktion, bland verksamheter som samarbetar",
    "Co-creation, among collaborating institutions":
        "Samskapande, bland verksamheter som samarbetar",
    "Co-design, among collaborating institutions":
        "Samutveckling, bland verksamheter som samarbetar",
    "Volunteer coordinator, among collaborating institutions":
        "Frivilligsamordnare, bland verksamheter som samarbetar",
    "Who took the initiative, among collaborating institutions":
        "Vem som tog initiativet, bland verksamheter som samarbetar",
}
# The national categories' texts after their country prefix ("DK: ", "NO: ").
SV_NATIONAL = {
    "Sports": "Idrott", "Culture": "Kultur", "Hobby and leisure": "Hobby och fritid",
    "Social and humanitarian work": "Socialt och humanitärt arbete",
    "Health, patient and disease association": "Hälsa, patient- och sjukdomsförening",
    "Senior citizens' and pensioners' association": "Äldre- och pensionärsförening",
    "Homeowners' and residents' association": "Villaägar- och boendeförening",
    "Local community, village and citizens' association":
        "Lokalsamhälle, by- och medborgarförening",
    "Nature and environment": "Natur och miljö",
    "Education and adult education": "Utbildning och folkbildning",
    "Religion and belief": "Religion och livsåskådning",
    "International work": "Internationellt arbete",
    "Political association and interest organisation":
        "Politisk förening och intresseorganisation",
    "Business association and trade union": "Bransch- och fackförening", "Other": "Övrigt",
    "Culture and music": "Kultur och musik", "Humanitarian and social": "Humanitärt och socialt",
    "Health, patient and user organisation": "Hälsa, patient- och brukarorganisation",
    "Pensioners' association": "Pensionärsförening",
    "Residents' welfare association": "Boendeförening (velforening)",
    "Hamlet or village association": "Byalag", "Volunteer centre": "Frivilligcentral",
    "Adult education association and training": "Studieförbund och utbildning",
    "Religious and belief organisation": "Tros- och livsåskådningsorganisation",
    "International solidarity": "Internationell solidaritet",
    "Political party and interest organisation": "Politiskt parti och intresseorganisation",
    "Public school": "Grundskola (folkeskole)", "Day care institution": "Förskola",
    "Nursing home": "Äldreboende", "Home care": "Hemtjänst", "Library": "Bibliotek",
    "Culture house": "Kulturhus", "Sports facility": "Idrottsanläggning",
    "Health promotion and prevention": "Hälsofrämjande och förebyggande arbete",
    "Social services": "Sociala tjänster", "Youth club / leisure club": "Fritidsgård",
    "Primary and lower secondary school": "Grundskola",
    "After-school programme (SFO)": "Fritidshem (SFO)", "Kindergarten": "Förskola (barnehage)",
    "Home care services": "Hemtjänst", "School of arts / culture house": "Kulturskola/kulturhus",
    "Sports facility / swimming pool": "Idrottsanläggning/simhall",
    "Healthy life centre / health clinic": "Friskvårdscentral/barnavårdscentral",
    "Social services / NAV office": "Socialtjänst/NAV-kontor",
    "Leisure club / youth club": "Fritidsgård/ungdomsgård",
}


def swedish(english: str) -> str:
    """The Swedish text of a harmonized label, or an honest stand-in."""
    if english in SV:
        return SV[english]
    prefix, _, rest = english.partition(": ")
    if prefix in ("DK", "NO") and rest in SV_NATIONAL:
        return f"{prefix}: {SV_NATIONAL[rest]}"
    return f"[Ej översatt till svenska] {english}"


def _translate(node: object) -> None:
    """Give every label (a map of language -> text, with an English text) a Swedish text."""
    if isinstance(node, dict):
        if isinstance(node.get("en"), str) and LANGUAGE not in node:
            node[LANGUAGE] = swedish(node["en"])
        for value in node.values():
            _translate(value)
    elif isinstance(node, list):
        for item in node:
            _translate(item)
