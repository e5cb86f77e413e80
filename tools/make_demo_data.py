"""Write the SYNTHETIC demo extracts of waves 2016, 2018 and 2022 into raw/.

Every row in these files is invented. No public microdata exists for the Danish and Norwegian
surveys on community co-production, so the package ships made-up extracts that look like real
deliveries (SPSS files with Danish labels and user-missing codes; semicolon-separated cp1252 CSV
files with Norwegian headers, decimal commas and CRLF line endings) and whose weighted summary
tables tell the published story (see DESIGN.md section 2):

- Danish institutions in five municipalities: about 64 % collaborate with associations or
  volunteers, most in small Faxe and Faaborg-Midtfyn, least in the cities Rudersdal and Aarhus;
  schools, social services, libraries, sports facilities, youth clubs and elderly care around
  90 %, childcare and health promotion around 45 %.
- Danish associations in all 98 municipalities: 43 % collaborate with a municipal institution,
  57 % counting the municipal administration; 26 % with a school, 16 % with day care, 34 % with
  another institution. Local, larger, staffed and welfare-oriented associations collaborate more;
  housing/resident and local-interest associations least.
- Norway: institutions follow the Danish pattern a little lower (about 60 %); about 63 % of
  organisations collaborate with a municipal institution or the administration.
- Co-implementation is far more common than co-creation and co-design; the institution most often
  took the initiative. Weights are noise around 1, independent of every outcome.

The second waves carry the changes real waves have, each expressed only in the raw files and
their codebooks (never in the tool):

- Denmark 2016 (where the Danish series began, with slightly more collaboration than in 2018):
  institutions in the same five municipalities, 67 % collaborating (Faxe 90, Faaborg-Midtfyn 82,
  Odense 67, Rudersdal 60, Aarhus 59); associations 45 % with an institution, 26 / 16 / 34 % with
  a school / day care / another institution. Some variables still have their older names
  (``ansatte``, ``form_samproduktion``, ``medlemstal``), and the patient-association partner
  question was not yet asked.
- Norway 2022: municipality numbers in the 2020 classification (a few rows in 1507 Ålesund, split
  in 2024 into Ålesund and Haram); ``antall_ansatte`` is now ``ansatte_totalt`` and
  ``geografisk_nivå`` is ``lokal_forankring``; the initiative question gains 6 "Innbyggerne/
  brukerne"; the co-design question was dropped; a volunteer-coordinator question is new, and the
  organisations are now asked about member involvement.

The free-text columns hold fake personal-looking content on purpose (CPR-like and
fødselsnummer-like numbers, e-mail addresses on example.dk / example.no, phone numbers), so that
the build's privacy gate has something to catch.

Everything is drawn from numpy generators with fixed seeds, one stream per source (adding a wave
never moves another wave's draws), and SPSS's creation timestamp is overwritten with a fixed
fieldwork date: re-running gives byte-identical files.

    python tools/make_demo_data.py [OUT_DIR]          # default: raw/
    python tools/make_demo_data.py [OUT_DIR] --check  # also print the planted figures
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl
import pyreadstat

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"

SEED = 20180315
ROWS = {"dk-institutions-2018": 706, "dk-associations-2018": 1525,
        "no-institutions-2018": 1004, "no-associations-2018": 1187,
        "dk-institutions-2016": 818, "dk-associations-2016": 1512,
        "no-institutions-2022": 1021, "no-associations-2022": 1196}
FILES = {
    "dk-institutions-2018": Path("dk/dk_institutioner_2018.sav"),
    "dk-associations-2018": Path("dk/dk_foreninger_2018.sav"),
    "no-institutions-2018": Path("no/no_virksomheter_2018.csv"),
    "no-associations-2018": Path("no/no_organisasjoner_2018.csv"),
    "dk-institutions-2016": Path("dk/dk_institutioner_2016.sav"),
    "dk-associations-2016": Path("dk/dk_foreninger_2016.sav"),
    "no-institutions-2022": Path("no/no_virksomheter_2022.csv"),
    "no-associations-2022": Path("no/no_organisasjoner_2022.csv"),
}
# SPSS writes the creation date and time into bytes 92..108 of the header; pin them.
SPSS_DATE, SPSS_TIME = b"15 Mar 18", b"12:00:00"
SPSS_DATES = {"dk-institutions-2016": b"15 Mar 16", "dk-associations-2016": b"15 Mar 16"}


# --- column specifications (names, question texts and value labels as delivered) -------------


@dataclass(frozen=True)
class Column:
    name: str
    label: str  # question text in the source language
    values: tuple[tuple[int, str], ...] = ()  # value labels, in code order
    kind: str = "code"  # code | scale | count | id | municipality | weight | text

    @property
    def missing_codes(self) -> list[int]:
        """Codes that mean "don't know" or "won't say" (SPSS user-missing in Denmark)."""
        return [code for code, label in self.values if label in MISSING_LABELS]


DK_JA_NEJ = ((1, "Ja"), (2, "Nej"), (8, "Ved ikke"), (9, "Ønsker ikke at svare"))
NO_JA_NEI = ((0, "Nei"), (1, "Ja"), (9, "Vet ikke"))
NO_DONT_KNOW = 9
MISSING_LABELS = ("Ved ikke", "Ønsker ikke at svare", "Vet ikke")

DK_STUDY_MUNICIPALITIES = ((461, "Odense"), (430, "Faaborg-Midtfyn"), (320, "Faxe"),
                           (230, "Rudersdal"), (751, "Aarhus"))

DK_INSTITUTION_TYPES = (
    (1, "Folkeskole"), (2, "Daginstitution"), (3, "Plejehjem"), (4, "Hjemmepleje"),
    (5, "Bibliotek"), (6, "Kulturhus"), (7, "Idrætsanlæg"),
    (8, "Sundhedsfremme og forebyggelse"), (9, "Socialt tilbud"),
    (10, "Ungdomsklub/fritidsklub"), (11, "Andet"),
)
NO_INSTITUTION_TYPES = (
    (1, "Grunnskole"), (2, "Skolefritidsordning (SFO)"), (3, "Barnehage"), (4, "Sykehjem"),
    (5, "Hjemmetjeneste"), (6, "Bibliotek"), (7, "Kulturskole/kulturhus"),
    (8, "Idrettsanlegg/svømmehall"), (9, "Frisklivssentral/helsestasjon"),
    (10, "Sosialtjeneste/NAV"), (11, "Fritidsklubb/ungdomsklubb"), (12, "Annet"),
)
DK_INITIATIVE = ((1, "Institutionen"), (2, "Foreningen/de frivillige"),
                 (3, "Begge parter i fællesskab"), (4, "Kommunens forvaltning"), (5, "Andre"),
                 (8, "Ved ikke"), (9, "Ønsker ikke at svare"))
NO_INITIATIVE = ((1, "Virksomheten selv"), (2, "Organisasjonen/de frivillige"),
                 (3, "Begge parter sammen"), (4, "Kommuneadministrasjonen"), (5, "Andre"),
                 (9, "Vet ikke"))
DK_ATTITUDE = ((1, "Meget positiv"), (2, "Overvejende positiv"),
               (3, "Hverken positiv eller negativ"), (4, "Overvejende negativ"),
               (5, "Meget negativ"), (8, "Ved ikke"), (9, "Ønsker ikke at svare"))
NO_ATTITUDE = ((1, "Svært positiv"), (2, "Ganske positiv"), (3, "Ganske negativ"),
               (4, "Svært negativ"), (9, "Vet ikke"))

DK_ACTIVITIES = (
    (1, "Idræt"), (2, "Kultur"), (3, "Hobby og fritid"), (4, "Socialt og humanitært arbejde"),
    (5, "Sundhed, patient- og sygdomsforening"), (6, "Ældre- og pensionistforening"),
    (7, "Grundejer- og beboerforening"), (8, "Lokalsamfund, landsby- og borgerforening"),
    (9, "Natur og miljø"), (10, "Uddannelse og folkeoplysning"), (11, "Religion og livssyn"),
    (12, "Internationalt arbejde"), (13, "Politisk forening og interesseorganisation"),
    (14, "Erhvervs- og fagforening"), (15, "Andet"),
)
NO_ACTIVITIES = (
    (1, "Idrett"), (2, "Kultur og musikk"), (3, "Hobby og fritid"), (4, "Humanitær og sosial"),
    (5, "Helse, pasient- og brukerorganisasjon"), (6, "Pensjonistforening"),
    (7, "Velforening"), (8, "Grendelag/bygdelag"), (9, "Natur og miljø"),
    (10, "Studieforbund og opplæring"), (11, "Tros- og livssynsorganisasjon"),
    (12, "Internasjonal solidaritet"), (13, "Politisk parti og interesseorganisasjon"),
    (14, "Frivilligsentral"), (15, "Annet"),
)
DK_LOCAL = ((1, "Lokalområdet (nærområde, landsby eller bydel)"), (2, "Kommunen"),
            (3, "Regionen/landsdelen"), (4, "Hele landet"), (8, "Ved ikke"),
            (9, "Ønsker ikke at svare"))
NO_LOCAL = ((1, "Nærmiljøet (grenda, bygda eller bydelen)"), (2, "Kommunen"),
            (3, "Regionen/fylket"), (4, "Hele landet"), (9, "Vet ikke"))
DK_INVOLVEMENT = ((1, "Under 10 pct."), (2, "10-24 pct."), (3, "25-49 pct."),
                  (4, "50 pct. eller flere"), (8, "Ved ikke"), (9, "Ønsker ikke at svare"))
# Norway 2022: the initiative question gains the citizens/users; member involvement is new.
NO_INITIATIVE_2022 = ((1, "Virksomheten selv"), (2, "Organisasjonen/de frivillige"),
                      (3, "Begge parter sammen"), (4, "Kommuneadministrasjonen"), (5, "Andre"),
                      (6, "Innbyggerne/brukerne"), (9, "Vet ikke"))
NO_INVOLVEMENT = ((1, "Under 10 prosent"), (2, "10-24 prosent"), (3, "25-49 prosent"),
                  (4, "50 prosent eller flere"), (9, "Vet ikke"))


def dk_institution_columns() -> list[Column]:
    spg = "Samarbejder I med følgende typer af foreninger? "
    form = "Hvilke former har samarbejdet? "
    return [
        Column("respnr", "Respondentnummer", kind="id"),
        Column("kommune", "Kommune", DK_STUDY_MUNICIPALITIES, kind="municipality"),
        Column("insttype", "Hvilken type institution eller tilbud er du leder af?",
               DK_INSTITUTION_TYPES),
        Column("antal_ansatte", "Hvor mange ansatte er der i alt i institutionen/tilbuddet?",
               kind="count"),
        Column("samarb_foreninger",
               "Samarbejder institutionen/tilbuddet med en eller flere frivillige foreninger?",
               DK_JA_NEJ),
        Column("samarb_frivillige", "Samarbejder institutionen/tilbuddet med frivillige, som "
               "ikke er organiseret i en forening?", DK_JA_NEJ),
        Column("partner_idraet", spg + "Idrætsforeninger", DK_JA_NEJ),
        Column("partner_kultur", spg + "Kulturelle foreninger", DK_JA_NEJ),
        Column("partner_social", spg + "Sociale og humanitære organisationer", DK_JA_NEJ),
        Column("partner_patient", spg + "Patient- og sygdomsforeninger", DK_JA_NEJ),
        Column("form_udfoerelse", form + "Foreningen/de frivillige udfører opgaver sammen med "
               "institutionen (samproduktion)", DK_JA_NEJ),
        Column("form_samskabelse", form + "Institutionen og foreningen/de frivillige skaber "
               "nye aktiviteter sammen (samskabelse)", DK_JA_NEJ),
        Column("form_samdesign", form + "Foreningen/de frivillige er med til at tilrettelægge "
               "institutionens tilbud (samdesign)", DK_JA_NEJ),
        Column("initiativ", "Hvem tog initiativ til samarbejdet?", DK_INITIATIVE),
        Column("holdning", "Hvad er din holdning som leder til, at institutionen samarbejder "
               "med foreninger og frivillige?", DK_ATTITUDE, kind="scale"),
        Column("bemaerkninger", "Har du andre bemærkninger til undersøgelsen?", kind="text"),
        Column("vaegt", "Vægt (efterstratificering på kommune og institutionstype)",
               kind="weight"),
    ]


def dk_association_columns() -> list[Column]:
    inst = "Hvilke kommunale institutioner samarbejder foreningen med? "
    return [
        Column("forenr", "Foreningsnummer", kind="id"),
        Column("kommune", "Kommune (foreningens hjemsted)", dk_municipality_labels(),
               kind="municipality"),
        Column("aktivitet", "Hvad er foreningens primære aktivitet?", DK_ACTIVITIES),
        Column("lokal_forankring", "Hvor lokal opfatter foreningen sig selv?", DK_LOCAL,
               kind="scale"),
        Column("antal_medlemmer", "Hvor mange medlemmer har foreningen?", kind="count"),
        Column("antal_frivillige", "Hvor mange frivillige har foreningen haft det seneste år?",
               kind="count"),
        Column("antal_loennede", "Hvor mange lønnede medarbejdere har foreningen?", kind="count"),
        Column("samarb_institution", "Samarbejder foreningen med en eller flere kommunale "
               "institutioner?", DK_JA_NEJ),
        Column("samarb_skole", inst + "Skole/SFO", DK_JA_NEJ),
        Column("samarb_dagtilbud", inst + "Dagtilbud (vuggestue, børnehave)", DK_JA_NEJ),
        Column("samarb_aeldre", inst + "Plejehjem, hjemmepleje eller ældrecenter", DK_JA_NEJ),
        Column("samarb_anden_inst", inst + "Anden kommunal institution", DK_JA_NEJ),
        Column("samarb_forvaltning", "Samarbejder foreningen med kommunens forvaltning "
               "(fx kultur- og fritidsforvaltningen)?", DK_JA_NEJ),
        Column("offentlig_stoette", "Modtager foreningen offentlig støtte (tilskud, lokaler "
               "eller lign.)?", DK_JA_NEJ),
        Column("medlemsdemokrati", "Hvor stor en andel af medlemmerne deltager i foreningens "
               "generalforsamling?", DK_INVOLVEMENT, kind="scale"),
        Column("bemaerkninger", "Har du andre bemærkninger?", kind="text"),
        Column("vaegt", "Vægt", kind="weight"),
    ]


def no_institution_columns() -> list[Column]:
    part = "Samarbeider virksomheten med: "
    form = "Hvilken form har samarbeidet? "
    return [
        Column("løpenr", "Løpenummer", kind="id"),
        Column("kommunenr", "Kommunenummer", kind="municipality"),
        Column("virksomhetstype", "Hvilken type kommunal virksomhet leder du?",
               NO_INSTITUTION_TYPES),
        Column("antall_ansatte", "Hvor mange ansatte har virksomheten?", kind="count"),
        Column("samarbeid_lag_foreninger", "Samarbeider virksomheten med frivillige lag og "
               "foreninger?", NO_JA_NEI),
        Column("samarbeid_frivillige", "Samarbeider virksomheten med frivillige som ikke er "
               "organisert i en forening?", NO_JA_NEI),
        Column("partner_idrett", part + "Idrettslag", NO_JA_NEI),
        Column("partner_kultur", part + "Kulturorganisasjoner (kor, korps, teater o.l.)",
               NO_JA_NEI),
        Column("partner_humanitær", part + "Humanitære og sosiale organisasjoner", NO_JA_NEI),
        Column("partner_pasient", part + "Pasient- og brukerorganisasjoner", NO_JA_NEI),
        Column("form_gjennomføring", form + "De frivillige gjennomfører oppgaver sammen med "
               "virksomheten", NO_JA_NEI),
        Column("form_samskaping", form + "Virksomheten og de frivillige skaper nye tiltak "
               "sammen (samskaping)", NO_JA_NEI),
        Column("form_samutvikling", form + "De frivillige er med på å utforme virksomhetens "
               "tjenester", NO_JA_NEI),
        Column("initiativ", "Hvem tok initiativet til samarbeidet?", NO_INITIATIVE),
        Column("holdning_leder", "Hvordan stiller du deg som leder til samarbeid med frivillige?",
               NO_ATTITUDE, kind="scale"),
        Column("kommentar", "Andre kommentarer", kind="text"),
        Column("vekt", "Vekt", kind="weight"),
    ]


def no_association_columns() -> list[Column]:
    virk = "Hvilke kommunale virksomheter samarbeider organisasjonen med? "
    return [
        Column("løpenr", "Løpenummer", kind="id"),
        Column("kommunenr", "Kommunenummer", kind="municipality"),
        Column("aktivitet", "Hva er organisasjonens hovedaktivitet?", NO_ACTIVITIES),
        Column("geografisk_nivå", "Hvor lokalt forankret er organisasjonen?", NO_LOCAL,
               kind="scale"),
        Column("antall_medlemmer", "Hvor mange medlemmer har organisasjonen?", kind="count"),
        Column("antall_frivillige", "Hvor mange frivillige har organisasjonen hatt siste år?",
               kind="count"),
        Column("antall_ansatte", "Hvor mange lønnede ansatte har organisasjonen?", kind="count"),
        Column("samarbeid_kommunal_virksomhet", "Samarbeider organisasjonen med en eller flere "
               "kommunale virksomheter?", NO_JA_NEI),
        Column("samarb_skole", virk + "Skole/SFO", NO_JA_NEI),
        Column("samarb_barnehage", virk + "Barnehage", NO_JA_NEI),
        Column("samarb_eldreomsorg", virk + "Sykehjem eller hjemmetjeneste", NO_JA_NEI),
        Column("samarb_annen_virksomhet", virk + "Annen kommunal virksomhet", NO_JA_NEI),
        Column("samarbeid_kommuneadministrasjon", "Samarbeider organisasjonen med "
               "kommuneadministrasjonen?", NO_JA_NEI),
        Column("offentlig_tilskudd", "Mottar organisasjonen offentlig tilskudd?", NO_JA_NEI),
        Column("kommentar", "Andre kommentarer", kind="text"),
        Column("vekt", "Vekt", kind="weight"),
    ]


# The second waves: each differs from 2018 the way a real wave does (a renamed variable, a new
# answer category, a question dropped or added). The tool learns all of it from the codebooks.


def dk_institution_columns_2016() -> list[Column]:
    """2016: two variables still have their older names; patient associations were not asked."""
    older = {
        "antal_ansatte": Column("ansatte", "Hvor mange ansatte er der i institutionen/tilbuddet?",
                                kind="count"),
        "form_udfoerelse": Column("form_samproduktion", "Hvilke former har samarbejdet? "
                                  "Foreningen/de frivillige og institutionen løser opgaver sammen "
                                  "(samproduktion)", DK_JA_NEJ),
    }
    return [older.get(c.name, c) for c in dk_institution_columns() if c.name != "partner_patient"]


def dk_association_columns_2016() -> list[Column]:
    """2016: the number of members still has its older name."""
    older = {"antal_medlemmer": Column("medlemstal", "Hvor mange medlemmer har foreningen?",
                                       kind="count")}
    return [older.get(c.name, c) for c in dk_association_columns()]


def no_institution_columns_2022() -> list[Column]:
    """2022: employees renamed, a new initiative answer, co-design dropped, a coordinator added."""
    out = []
    for col in no_institution_columns():
        if col.name == "form_samutvikling":  # dropped from the 2022 questionnaire
            continue
        if col.name == "antall_ansatte":
            col = Column("ansatte_totalt", "Hvor mange ansatte har virksomheten totalt?",
                         kind="count")
        elif col.name == "initiativ":
            col = Column("initiativ", col.label, NO_INITIATIVE_2022)
        elif col.name == "kommentar":
            out.append(Column("frivilligkoordinator", "Har virksomheten en egen "
                              "frivilligkoordinator (en ansatt med ansvar for de frivillige)?",
                              NO_JA_NEI))
        out.append(col)
    return out


def no_association_columns_2022() -> list[Column]:
    """2022: the local-orientation variable renamed; member involvement asked for the first time."""
    out = []
    for col in no_association_columns():
        if col.name == "geografisk_nivå":
            col = Column("lokal_forankring", col.label, NO_LOCAL, kind="scale")
        elif col.name == "kommentar":
            out.append(Column("medlemsdeltakelse", "Hvor stor andel av medlemmene deltok på "
                              "organisasjonens siste årsmøte?", NO_INVOLVEMENT, kind="scale"))
        out.append(col)
    return out


# --- shared helpers for the planted probabilities --------------------------------------------


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def calibrate(linear: np.ndarray, target: float) -> float:
    """The intercept that makes the mean of sigmoid(linear + intercept) equal target, so that the
    covariate effects set the *directions* and the intercept the published *level*."""
    lo, hi = -20.0, 20.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if sigmoid(linear + mid).mean() < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def draw_planted(rng: np.random.Generator, linear: np.ndarray, target: float) -> np.ndarray:
    """Draw yes (True) / no with log-odds ``linear`` shifted to hit ``target`` on average."""
    probability = sigmoid(linear + calibrate(linear, target))
    return rng.random(linear.shape[0]) < probability


def draw_codes(rng: np.random.Generator, options: Sequence[tuple[int, float]], n: int
               ) -> np.ndarray:
    """Draw n codes from (code, probability) pairs."""
    codes = np.array([c for c, _ in options], dtype=float)
    p = np.array([w for _, w in options], dtype=float)
    return rng.choice(codes, size=n, p=p / p.sum())


def lookup(effects: dict[int, float], codes: np.ndarray, default: float = 0.0) -> np.ndarray:
    return np.array([effects.get(int(c), default) for c in codes], dtype=float)


@dataclass(frozen=True)
class Planted:
    """A planted yes/no answer: its overall level and the log-odds shifts by national code."""

    level: float
    effects: dict[int, float]

    def draw(self, rng: np.random.Generator, codes: np.ndarray, level: float | None = None
             ) -> np.ndarray:
        return draw_planted(rng, lookup(self.effects, codes), self.level if level is None
                            else level)


def respondent_numbers(rng: np.random.Generator, n: int, invited: int, start: int = 1
                       ) -> np.ndarray:
    """Unique, sorted numbers with gaps: the invited who did not answer are not delivered."""
    return np.sort(rng.choice(np.arange(start, start + invited), size=n, replace=False))


def survey_weights(rng: np.random.Generator, n: int) -> np.ndarray:
    """Post-stratification-like weights around 1, independent of every outcome."""
    return np.round(np.clip(rng.lognormal(0.0, 0.3, n), 0.4, 2.5), 4)


def counts(rng: np.random.Generator, median: np.ndarray | float, sigma: float, n: int,
           low: int, high: int) -> np.ndarray:
    return np.clip(np.round(rng.lognormal(np.log(median), sigma, n)), low, high)


def blank_some(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    """Leave a share of a count question unanswered (system-missing / empty cell)."""
    out = values.astype(float).copy()
    out[rng.random(out.shape[0]) < share] = np.nan
    return out


def answer_yes_no(rng: np.random.Generator, yes: np.ndarray, country: str,
                  dont_know: float = 0.0, refused: float = 0.0) -> np.ndarray:
    """Code a boolean answer the national way, with some don't know / refusal."""
    code_yes, code_no = (1, 2) if country == "dk" else (1, 0)
    out = np.where(yes, code_yes, code_no).astype(float)
    u = rng.random(out.shape[0])
    out[u < dont_know] = 8 if country == "dk" else NO_DONT_KNOW
    if country == "dk":
        out[(u >= dont_know) & (u < dont_know + refused)] = 9
    return out


def routed(values: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """A question skipped by routing is system-missing (SPSS) or an empty cell (CSV)."""
    return np.where(asked, values, np.nan)


def any_at_least_one(draws: list[np.ndarray], fallback: int) -> list[np.ndarray]:
    """A respondent routed into a 'which kinds' block ticks at least one kind."""
    none = ~np.any(np.column_stack(draws), axis=1)
    draws[fallback] = draws[fallback] | none
    return draws


# --- municipalities --------------------------------------------------------------------------

# Rough populations (thousands, around 2018) of the largest municipalities; the rest get a seeded
# draw. Only the relative sizes matter: bigger places deliver more rows.
DK_LARGEST = (("København", 613), ("Aarhus", 340), ("Aalborg", 214), ("Odense", 202),
              ("Esbjerg", 116), ("Vejle", 114), ("Frederiksberg", 104), ("Randers", 97),
              ("Viborg", 96), ("Kolding", 92), ("Silkeborg", 91), ("Horsens", 89),
              ("Herning", 88), ("Roskilde", 87), ("Næstved", 82), ("Slagelse", 79))
DK_SMALLEST = (("Læsø", 1.8), ("Fanø", 3.3), ("Samsø", 3.7), ("Ærø", 6.2))
NO_LARGEST = (("Oslo", 673), ("Bergen", 280), ("Trondheim", 193), ("Stavanger", 133),
              ("Bærum", 125), ("Kristiansand", 91), ("Fredrikstad", 81), ("Sandnes", 78),
              ("Tromsø", 75), ("Drammen", 68), ("Sandefjord", 63), ("Asker", 61),
              ("Sarpsborg", 56), ("Skien", 54), ("Skedsmo", 54), ("Bodø", 51))
# After the 2020 reform (around 2022): merged municipalities such as Lillestrøm, Drammen, Asker and
# Kristiansand are larger; Ålesund (1507, split in 2024) is named so that it surely delivers rows.
NO_LARGEST_2020 = (("Oslo", 700), ("Bergen", 286), ("Trondheim", 210), ("Stavanger", 145),
                   ("Bærum", 128), ("Kristiansand", 113), ("Drammen", 102), ("Asker", 96),
                   ("Lillestrøm", 88), ("Fredrikstad", 83), ("Sandnes", 81), ("Tromsø", 77),
                   ("Ålesund", 67), ("Sandefjord", 65), ("Sarpsborg", 58), ("Skien", 55),
                   ("Bodø", 53))


def read_reference(name: str, code: str, label: str) -> list[tuple[str, str]]:
    frame = pl.read_csv(REFERENCE / name, infer_schema=False)
    return list(zip(frame[code].to_list(), frame[label].to_list(), strict=True))


def municipality_sizes(rng: np.random.Generator, names: list[str], median: float, sigma: float,
                       known: Sequence[tuple[str, float]]) -> np.ndarray:
    sizes = np.clip(rng.lognormal(np.log(median), sigma, len(names)), median / 8, median * 4)
    for name, size in known:
        sizes[names.index(name)] = size  # a missing name is a bug: let it raise
    return sizes


def dk_municipality_labels() -> tuple[tuple[int, str], ...]:
    rows = read_reference("dk_kommuner.csv", "kommunekode", "kommunenavn")
    return tuple((int(code), name) for code, name in rows)


def dk_municipalities(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    rows = read_reference("dk_kommuner.csv", "kommunekode", "kommunenavn")
    names = [n for _, n in rows]
    sizes = municipality_sizes(rng, names, 45, 0.35, DK_LARGEST + DK_SMALLEST)
    return np.array([int(c) for c, _ in rows], dtype=float), sizes


def no_municipalities(rng: np.random.Generator, vintage: str = "2018"
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Norwegian municipality numbers (strings, leading zeros) of a vintage, with sizes."""
    rows = read_reference(f"no_kommuner_{vintage}.csv", "kommunenummer", "kommunenavn")
    names = [n for _, n in rows]
    if vintage == "2018":
        sizes = municipality_sizes(rng, names, 5, 0.9, NO_LARGEST)
    else:
        sizes = municipality_sizes(rng, names, 5.5, 0.9, NO_LARGEST_2020)
    return np.array([c for c, _ in rows]), sizes


# --- free text -------------------------------------------------------------------------------

FIRST_NAMES = ("Mette", "Lars", "Anne", "Jens", "Kirsten", "Søren", "Ingrid", "Ole", "Kari",
               "Bjørn", "Hanne", "Morten")
LAST_NAMES = ("Hansen", "Nielsen", "Jensen", "Pedersen", "Larsen", "Olsen", "Johansen",
              "Berg", "Haugen", "Dahl")
DK_REMARKS = (
    "Vi har et godt samarbejde med den lokale idrætsforening.",
    "Det er svært at finde frivillige i sommerperioden.",
    "Samarbejdet er nyt i år, så det er for tidligt at sige noget om det.",
    "Spørgeskemaet var lidt langt.",
    "Vi vil gerne samarbejde mere, men mangler tid til at koordinere.",
    "Foreningen låner vores lokaler om aftenen.",
    "Ældresagen kommer hver tirsdag og hjælper med gåture.",
    "Frivillige er et godt supplement, men kan ikke erstatte personalet.",
)
DK_PERSONAL = (
    "Kontakt mig gerne på {email}",
    "Ring på tlf. {dk_phone} hvis I har spørgsmål",
    "Vores kontaktperson er {name}, cpr {cpr}",
    "Spørgsmål kan sendes til {email} eller {dk_phone}",
    "Oplysninger om frivillig: {name} ({cpr})",
)
NO_REMARKS = (
    "Vi samarbeider godt med idrettslaget i bygda.",
    "Vanskelig å rekruttere frivillige om sommeren.",
    "Samarbeidet fungerer godt – men vi trenger flere frivillige.",
    "Frivilligsentralen er en viktig partner for oss.",
    "Noen spørsmål var vanskelige å svare på; vi er en liten virksomhet.",
    "Vi ønsker mer samarbeid med lag og foreninger.",
    "Skjemaet var for langt.",
)
NO_PERSONAL = (
    "Kontakt meg på {email}",
    "Ring {no_phone} ved spørsmål",
    "Kontaktperson: {name}, fødselsnr. {fnr}",
    "Send gjerne resultatene til {email} / tlf {no_phone}",
    "Frivillig {name} ({fnr}) kan svare på mer",
)


def _fake_birth_date(rng: np.random.Generator) -> str:
    day, month, year = rng.integers(1, 29), rng.integers(1, 13), rng.integers(40, 100)
    return f"{day:02d}{month:02d}{year:02d}"


def _fill(rng: np.random.Generator, template: str, domain: str) -> str:
    first = FIRST_NAMES[rng.integers(len(FIRST_NAMES))]
    last = LAST_NAMES[rng.integers(len(LAST_NAMES))]
    ascii_first = first.replace("ø", "oe").replace("Ø", "Oe").lower()
    return template.format(
        name=f"{first} {last}",
        email=f"{ascii_first}.{last.lower()}@{domain}",
        cpr=f"{_fake_birth_date(rng)}-{rng.integers(1000, 10000)}",
        fnr=f"{_fake_birth_date(rng)}{rng.integers(10000, 100000)}",
        dk_phone=" ".join(str(rng.integers(low, 100)) for low in (20, 10, 10, 10)),
        no_phone=f"+47 9{rng.integers(10, 100)} {rng.integers(10, 100)} {rng.integers(100, 1000)}",
    )


def comments(rng: np.random.Generator, n: int, country: str) -> list[str | None]:
    """Mostly empty; some harmless remarks; a few with personal-looking content."""
    if country == "dk":
        remarks, personal, domain = DK_REMARKS, DK_PERSONAL, "example.dk"
    else:
        remarks, personal, domain = NO_REMARKS, NO_PERSONAL, "example.no"
    out: list[str | None] = []
    for u in rng.random(n):
        if u < 0.76:
            out.append(None)
        elif u < 0.94:
            out.append(remarks[rng.integers(len(remarks))])
        else:
            out.append(_fill(rng, personal[rng.integers(len(personal))], domain))
    return out


# --- writers ---------------------------------------------------------------------------------


def write_spss(columns: list[Column], data: dict[str, object], path: Path, file_label: str,
               date: bytes = SPSS_DATE) -> None:
    series = {}
    for col in columns:
        if col.kind == "text":
            series[col.name] = pl.Series(col.name, [v or "" for v in data[col.name]], pl.String)
        else:
            values = np.asarray(data[col.name], dtype=float)
            series[col.name] = pl.Series(col.name, values, pl.Float64).fill_nan(None)
    frame = pl.DataFrame(list(series.values()))
    formats = {"id": "F6.0", "municipality": "F3.0", "count": "F6.0", "weight": "F8.4",
               "code": "F2.0", "scale": "F2.0"}
    measures = {"id": "scale", "municipality": "nominal", "count": "scale", "weight": "scale",
                "code": "nominal", "scale": "ordinal", "text": "nominal"}
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(
        frame, str(path),
        file_label=file_label,
        note=["SYNTETISKE DEMODATA lavet af tools/make_demo_data.py.",
              "Ingen rigtige respondenter; tallene efterligner kun publicerede resultater."],
        column_labels={c.name: c.label for c in columns},
        variable_value_labels={c.name: dict(c.values) for c in columns if c.values},
        missing_ranges={c.name: c.missing_codes for c in columns if c.missing_codes},
        variable_format={c.name: formats[c.kind] for c in columns if c.kind in formats},
        variable_measure={c.name: measures[c.kind] for c in columns},
        row_compress=True,
    )
    pin_spss_timestamp(path, date)


def pin_spss_timestamp(path: Path, date: bytes = SPSS_DATE) -> None:
    data = bytearray(path.read_bytes())
    if data[:4] not in (b"$FL2", b"$FL3"):
        raise ValueError(f"{path}: not an SPSS system file")
    data[92:101], data[101:109] = date, SPSS_TIME
    path.write_bytes(bytes(data))


def write_csv(columns: list[Column], data: dict[str, object], path: Path) -> None:
    series = []
    for col in columns:
        values = data[col.name]
        if col.kind in ("text", "municipality"):
            series.append(pl.Series(col.name, list(values), pl.String))
        elif col.kind == "weight":
            series.append(pl.Series(col.name, np.asarray(values, dtype=float), pl.Float64))
        else:
            floats = pl.Series(col.name, np.asarray(values, dtype=float), pl.Float64)
            series.append(floats.fill_nan(None).cast(pl.Int64))
    text = pl.DataFrame(series).write_csv(separator=";", line_terminator="\r\n",
                                          decimal_comma=True, float_precision=4)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("cp1252"))


# --- the sources -----------------------------------------------------------------------------

# Log-odds of collaborating by institution type, shared in spirit by both countries: schools,
# social services, libraries, sports facilities, youth clubs and elderly care high; childcare and
# health promotion low.
DK_TYPE_EFFECT = {1: 1.45, 2: -1.25, 3: 1.8, 4: 1.8, 5: 1.5, 6: 0.9, 7: 1.6, 8: -0.9,
                  9: 1.45, 10: 1.6, 11: 0.0}
DK_TYPE_SHARE = ((1, 0.10), (2, 0.41), (3, 0.07), (4, 0.04), (5, 0.03), (6, 0.03), (7, 0.04),
                 (8, 0.06), (9, 0.09), (10, 0.05), (11, 0.08))
# (code, share of the five-municipality sample, collaborating share in 2018)
DK_MUNICIPALITY_PLAN = ((751, 0.37, 0.56), (461, 0.285, 0.62), (230, 0.13, 0.58),
                        (430, 0.115, 0.80), (320, 0.10, 0.88))
DK_EMPLOYEES = {1: 45, 2: 14, 3: 50, 4: 60, 5: 12, 6: 8, 7: 5, 8: 10, 9: 20, 10: 6, 11: 15}

NO_TYPE_EFFECT = {1: 1.45, 2: 0.3, 3: -1.0, 4: 1.3, 5: 1.3, 6: 1.5, 7: 0.9, 8: 1.6,
                  9: -0.9, 10: 1.45, 11: 1.6, 12: 0.0}
NO_TYPE_SHARE = ((1, 0.14), (2, 0.06), (3, 0.30), (4, 0.08), (5, 0.05), (6, 0.04), (7, 0.04),
                 (8, 0.03), (9, 0.06), (10, 0.07), (11, 0.04), (12, 0.09))
NO_EMPLOYEES = {1: 35, 2: 8, 3: 16, 4: 45, 5: 50, 6: 6, 7: 10, 8: 4, 9: 8, 10: 30, 11: 5, 12: 12}


def institution_answers(rng: np.random.Generator, collaborates: np.ndarray,
                        types: np.ndarray, country: str, kinds: dict[str, Planted],
                        initiative: Sequence[tuple[int, float]] | None = None
                        ) -> dict[str, np.ndarray]:
    """Everything an institution answers once we know whether it collaborates."""
    n = collaborates.shape[0]
    # Among collaborators: with associations and volunteers, associations only, volunteers only.
    mix = draw_codes(rng, ((1, 0.47), (2, 0.38), (3, 0.15)), n)
    with_assoc = collaborates & (mix <= 2)
    with_vol = collaborates & (mix != 2)
    dk = country == "dk"
    out = {
        "assoc": answer_yes_no(rng, with_assoc, country),
        "vol": answer_yes_no(rng, with_vol, country),
    }
    # A few non-collaborators are unsure about unorganised volunteers, or will not say.
    unsure = ~collaborates & (rng.random(n) < 0.03)
    out["vol"][unsure] = 8 if dk else NO_DONT_KNOW
    if dk:
        out["assoc"][~collaborates & ~unsure & (rng.random(n) < 0.008)] = 9
    asked_partners = with_assoc
    for key, planted in kinds.items():
        yes = planted.draw(rng, types)
        out[key] = routed(answer_yes_no(rng, yes, country, 0.01), asked_partners)
    forms = (("form_impl", 0.86), ("form_cocreate", 0.34), ("form_codesign", 0.22))
    for key, level in forms:
        yes = rng.random(n) < level
        out[key] = routed(answer_yes_no(rng, yes, country, 0.01), collaborates)
    if initiative is None:
        initiative = ((1, 0.48), (2, 0.25), (3, 0.15), (4, 0.06), (5, 0.03),
                      (8 if dk else NO_DONT_KNOW, 0.03))
    out["initiative"] = routed(draw_codes(rng, initiative, n), collaborates)
    if dk:
        positive = ((1, .48), (2, .36), (3, .11), (4, .03), (5, .01), (8, .008), (9, .002))
        reluctant = ((1, .17), (2, .35), (3, .33), (4, .09), (5, .03), (8, .02), (9, .01))
    else:  # four points, no midpoint: the undecided lean one way or the other
        positive = ((1, .52), (2, .41), (3, .04), (4, .01), (NO_DONT_KNOW, .02))
        reluctant = ((1, .20), (2, .52), (3, .19), (4, .05), (NO_DONT_KNOW, .04))
    out["attitude"] = np.where(collaborates, draw_codes(rng, positive, n),
                               draw_codes(rng, reluctant, n))
    return out


# Partner kinds among institutions collaborating with associations: a base level and the types
# where that kind of partner is more (or less) common.
DK_PARTNERS = {
    "partner_sports": Planted(0.45, {1: 1.0, 7: 2.0, 10: 1.0, 3: -1.0, 4: -1.2}),
    "partner_culture": Planted(0.35, {5: 1.5, 6: 1.8, 1: 0.5}),
    "partner_social": Planted(0.35, {9: 1.3, 3: 1.0, 4: 1.0, 8: 0.5}),
    "partner_patient": Planted(0.15, {3: 1.2, 4: 1.4, 8: 1.5}),
}
NO_PARTNERS = {
    "partner_sports": Planted(0.45, {1: 1.0, 2: 0.8, 8: 2.0, 11: 1.0, 4: -1.0, 5: -1.2}),
    "partner_culture": Planted(0.35, {6: 1.5, 7: 1.8, 1: 0.5}),
    "partner_social": Planted(0.35, {10: 1.3, 4: 1.0, 5: 1.0, 9: 0.5}),
    "partner_patient": Planted(0.15, {4: 1.2, 5: 1.4, 9: 1.5}),
}


def dk_institutions(rng: np.random.Generator, n: int,
                    plan: Sequence[tuple[int, float, float]] = DK_MUNICIPALITY_PLAN,
                    partners: dict[str, Planted] = DK_PARTNERS, invited: int = 1000
                    ) -> dict[str, object]:
    municipality = draw_codes(rng, [(code, share) for code, share, _ in plan], n)
    types = draw_codes(rng, DK_TYPE_SHARE, n)
    linear = lookup(DK_TYPE_EFFECT, types)
    collaborates = np.zeros(n, dtype=bool)
    for code, _, level in plan:  # the municipality's level, the types' directions
        here = municipality == code
        collaborates[here] = draw_planted(rng, linear[here], level)
    answers = institution_answers(rng, collaborates, types, "dk", partners)
    employees = counts(rng, lookup(DK_EMPLOYEES, types), 0.5, n, 1, 400)
    return {
        "respnr": respondent_numbers(rng, n, invited),
        "kommune": municipality,
        "insttype": types,
        "antal_ansatte": blank_some(rng, employees, 0.04),
        "samarb_foreninger": answers["assoc"],
        "samarb_frivillige": answers["vol"],
        "partner_idraet": answers["partner_sports"],
        "partner_kultur": answers["partner_culture"],
        "partner_social": answers["partner_social"],
        "partner_patient": answers.get("partner_patient"),  # not asked in 2016
        "form_udfoerelse": answers["form_impl"],
        "form_samskabelse": answers["form_cocreate"],
        "form_samdesign": answers["form_codesign"],
        "initiativ": answers["initiative"],
        "holdning": answers["attitude"],
        "bemaerkninger": comments(rng, n, "dk"),
        "vaegt": survey_weights(rng, n),
    }


def no_institutions(rng: np.random.Generator, n: int) -> dict[str, object]:
    codes, sizes = no_municipalities(rng)
    index = rng.choice(len(codes), size=n, p=sizes**0.85 / (sizes**0.85).sum())
    types = draw_codes(rng, NO_TYPE_SHARE, n)
    # Smaller, more rural municipalities collaborate more, as Faxe does in Denmark.
    place = -0.25 * np.log(sizes / np.median(sizes)) + rng.normal(0, 0.3, len(codes))
    linear = lookup(NO_TYPE_EFFECT, types) + place[index]
    collaborates = draw_planted(rng, linear, 0.60)
    answers = institution_answers(rng, collaborates, types, "no", NO_PARTNERS)
    employees = counts(rng, lookup(NO_EMPLOYEES, types), 0.5, n, 1, 400)
    return {
        "løpenr": respondent_numbers(rng, n, 1500, start=10001),
        "kommunenr": codes[index],
        "virksomhetstype": types,
        "antall_ansatte": blank_some(rng, employees, 0.05),
        "samarbeid_lag_foreninger": answers["assoc"],
        "samarbeid_frivillige": answers["vol"],
        "partner_idrett": answers["partner_sports"],
        "partner_kultur": answers["partner_culture"],
        "partner_humanitær": answers["partner_social"],
        "partner_pasient": answers["partner_patient"],
        "form_gjennomføring": answers["form_impl"],
        "form_samskaping": answers["form_cocreate"],
        "form_samutvikling": answers["form_codesign"],
        "initiativ": answers["initiative"],
        "holdning_leder": answers["attitude"],
        "kommentar": comments(rng, n, "no"),
        "vekt": survey_weights(rng, n),
    }


# 2016, the first Danish wave: the published figures of the 818 institution leaders (DESIGN §2),
# slightly more collaboration than in 2018. The planted levels are set so that this seed's sample
# (80 to 300 institutions a municipality) lands within a point or two of the published shares.
DK_MUNICIPALITY_PLAN_2016 = ((751, 0.37, 0.595), (461, 0.285, 0.70), (230, 0.13, 0.64),
                             (430, 0.115, 0.82), (320, 0.10, 0.905))
DK_PARTNERS_2016 = {k: v for k, v in DK_PARTNERS.items() if k != "partner_patient"}


def dk_institutions_2016(rng: np.random.Generator, n: int) -> dict[str, object]:
    data = dk_institutions(rng, n, DK_MUNICIPALITY_PLAN_2016, DK_PARTNERS_2016, invited=1250)
    data["ansatte"] = data.pop("antal_ansatte")
    data["form_samproduktion"] = data.pop("form_udfoerelse")
    del data["partner_patient"]
    return data


# Norway 2022: a few managers now name the citizens or users as the initiators.
NO_INITIATIVE_2022_SHARES = ((1, 0.45), (2, 0.24), (3, 0.14), (4, 0.05), (5, 0.02), (6, 0.07),
                             (NO_DONT_KNOW, 0.03))
# A volunteer coordinator: more common in large institutions, elderly care and social services.
NO_COORDINATOR = {4: 1.0, 5: 0.7, 10: 0.6, 6: 0.3, 3: -0.6, 2: -0.6, 9: -0.3}


def no_institutions_2022(rng: np.random.Generator, n: int) -> dict[str, object]:
    codes, sizes = no_municipalities(rng, "2020")
    index = rng.choice(len(codes), size=n, p=sizes**0.85 / (sizes**0.85).sum())
    types = draw_codes(rng, NO_TYPE_SHARE, n)
    place = -0.25 * np.log(sizes / np.median(sizes)) + rng.normal(0, 0.3, len(codes))
    linear = lookup(NO_TYPE_EFFECT, types) + place[index]
    collaborates = draw_planted(rng, linear, 0.61)
    answers = institution_answers(rng, collaborates, types, "no", NO_PARTNERS,
                                  initiative=NO_INITIATIVE_2022_SHARES)
    employees = counts(rng, lookup(NO_EMPLOYEES, types), 0.5, n, 1, 400)
    coordinator = draw_planted(rng, 0.5 * np.log(employees / 15) + lookup(NO_COORDINATOR, types),
                               0.30)
    return {
        "løpenr": respondent_numbers(rng, n, 1600, start=30001),
        "kommunenr": codes[index],
        "virksomhetstype": types,
        "ansatte_totalt": blank_some(rng, employees, 0.05),
        "samarbeid_lag_foreninger": answers["assoc"],
        "samarbeid_frivillige": answers["vol"],
        "partner_idrett": answers["partner_sports"],
        "partner_kultur": answers["partner_culture"],
        "partner_humanitær": answers["partner_social"],
        "partner_pasient": answers["partner_patient"],
        "form_gjennomføring": answers["form_impl"],
        "form_samskaping": answers["form_cocreate"],
        "initiativ": answers["initiative"],
        "holdning_leder": answers["attitude"],
        "frivilligkoordinator": routed(answer_yes_no(rng, coordinator, "no", 0.02),
                                       collaborates),
        "kommentar": comments(rng, n, "no"),
        "vekt": survey_weights(rng, n),
    }


@dataclass(frozen=True)
class AssociationPlan:
    """One country's planted association story (activity codes are the national ones)."""

    activity_share: tuple[tuple[int, float], ...]
    activity_effect: dict[int, float]  # log-odds of collaborating with an institution
    local_given_activity: dict[int, tuple[float, float, float, float]]  # neighbourhood..national
    members_median: dict[int, float]
    staffed: dict[int, float]  # log-odds shift of having paid staff
    institution: float  # share collaborating with a municipal institution
    administration_if_institution: float
    administration_otherwise: float
    kinds: dict[str, Planted]  # school/daycare/elderly/other; level = share of ALL associations
    funding: float
    dont_know: int  # the national "don't know" code


DK_ASSOCIATIONS = AssociationPlan(
    activity_share=((1, .22), (2, .12), (3, .09), (4, .07), (5, .05), (6, .05), (7, .08),
                    (8, .06), (9, .04), (10, .05), (11, .04), (12, .03), (13, .04), (14, .02),
                    (15, .04)),
    activity_effect={1: 0.45, 2: 0.25, 3: -0.45, 4: 1.0, 5: 0.75, 6: 0.9, 7: -1.7, 8: -1.0,
                     9: -0.1, 10: 0.35, 11: 0.0, 12: 0.4, 13: 0.1, 14: -0.4, 15: -0.3},
    local_given_activity={7: (.9, .08, .01, .01), 8: (.85, .13, .01, .01),
                          6: (.55, .4, .03, .02), 1: (.38, .55, .05, .02)},
    members_median={1: 180, 7: 120, 13: 150, 14: 300, 12: 60, 3: 40},
    staffed={4: 1.2, 5: 1.0, 10: 1.0, 14: 1.5, 12: 0.6, 7: -1.0, 8: -1.0, 3: -0.8},
    institution=0.43, administration_if_institution=0.50, administration_otherwise=0.245,
    kinds={
        "school": Planted(0.26, {1: 1.0, 2: 0.6, 10: 0.6, 9: 0.4, 6: -1.5, 5: -0.5, 4: -0.2}),
        "daycare": Planted(0.16, {1: 0.6, 2: 0.3, 9: 0.6, 6: -0.6, 13: -0.5}),
        "elderly": Planted(0.12, {6: 2.4, 4: 1.2, 5: 1.0, 11: 0.6, 1: -0.8, 10: -0.3}),
        "other": Planted(0.325, {4: 0.6, 5: 0.6, 2: 0.5, 9: 0.3}),
    },
    funding=0.58,
    dont_know=8,
)

NO_ASSOCIATIONS = AssociationPlan(
    activity_share=((1, .20), (2, .17), (3, .08), (4, .07), (5, .05), (6, .05), (7, .08),
                    (8, .06), (9, .03), (10, .04), (11, .06), (12, .02), (13, .04), (14, .02),
                    (15, .03)),
    activity_effect={1: 0.45, 2: 0.3, 3: -0.15, 4: 1.0, 5: 0.75, 6: 0.9, 7: -1.5, 8: -0.7,
                     9: -0.1, 10: 0.35, 11: 0.0, 12: 0.4, 13: -0.2, 14: 1.0, 15: -0.3},
    local_given_activity={7: (.8, .18, .01, .01), 8: (.82, .16, .01, .01),
                          6: (.55, .4, .03, .02), 1: (.45, .5, .04, .01),
                          14: (.5, .5, 0, 0)},
    members_median={1: 150, 7: 90, 13: 120, 12: 50, 3: 35, 2: 45},
    staffed={4: 1.2, 5: 1.0, 10: 1.0, 14: 2.0, 12: 0.6, 7: -1.0, 8: -1.0, 3: -0.8},
    institution=0.45, administration_if_institution=0.55, administration_otherwise=0.30,
    kinds={
        "school": Planted(0.25, {1: 1.0, 2: 0.8, 10: 0.6, 9: 0.4, 6: -1.5, 5: -0.5}),
        "daycare": Planted(0.14, {1: 0.6, 2: 0.3, 9: 0.6, 6: -0.6, 13: -0.5}),
        "elderly": Planted(0.13, {6: 2.4, 4: 1.2, 5: 1.0, 11: 0.8, 14: 1.0, 1: -0.8}),
        "other": Planted(0.30, {4: 0.6, 5: 0.6, 14: 1.0, 2: 0.3}),
    },
    funding=0.55,
    dont_know=9,
)
LOCAL_DEFAULT = (.30, .52, .11, .07)
LOCAL_EFFECT = {1: 1.0, 2: 0.3, 3: -0.4, 4: -0.8}


def association_answers(rng: np.random.Generator, n: int, plan: AssociationPlan,
                        country: str) -> dict[str, np.ndarray]:
    """The shared story of both countries' associations, in national codes."""
    activity = draw_codes(rng, plan.activity_share, n)
    local = np.empty(n)
    for i, code in enumerate(activity):
        shares = plan.local_given_activity.get(int(code), LOCAL_DEFAULT)
        local[i] = rng.choice(np.arange(1, 5), p=np.array(shares) / sum(shares))
    members = counts(rng, lookup(plan.members_median, activity, 70), 1.2, n, 3, 25000)
    volunteers = np.minimum(counts(rng, 3 + 1.2 * np.sqrt(members), 0.7, n, 0, 3000),
                            members * 2)
    staffed = draw_planted(rng, lookup(plan.staffed, activity)
                           + 0.45 * np.log(members / 70), 0.2)
    paid = np.where(staffed, counts(rng, 2.0, 1.0, n, 1, 250), 0)

    linear = (lookup(plan.activity_effect, activity) + lookup(LOCAL_EFFECT, local)
              + 0.3 * np.log(members / 70) + 0.6 * staffed)
    institution = draw_planted(rng, linear, plan.institution)
    kinds = {}
    realised = institution.mean()
    for key, planted in plan.kinds.items():  # drawn among collaborators only
        level = min(planted.level / realised, 0.97)
        drawn = np.zeros(n, dtype=bool)
        drawn[institution] = planted.draw(rng, activity[institution], level)
        kinds[key] = drawn
    school, daycare, elderly, other = any_at_least_one(list(kinds.values()), fallback=3)
    administration = np.zeros(n, dtype=bool)
    for group, level in ((institution, plan.administration_if_institution),
                         (~institution, plan.administration_otherwise)):
        administration[group] = draw_planted(rng, linear[group], level)
    funding = draw_planted(rng, 0.8 * institution + 0.5 * administration + 0.5 * staffed
                           + lookup({1: 0.6, 2: 0.5, 10: 0.6, 7: -1.5, 14: -1.8}, activity),
                           plan.funding)

    local_answer = np.where(rng.random(n) < 0.03, plan.dont_know, local)
    if country == "dk":
        local_answer[rng.random(n) < 0.005] = 9
    return {
        "activity": activity,
        "local": local_answer,
        "members": blank_some(rng, members, 0.04),
        "volunteers": blank_some(rng, volunteers, 0.07),
        "paid": blank_some(rng, paid, 0.05),
        "institution": answer_yes_no(rng, institution, country, 0.015),
        "school": routed(answer_yes_no(rng, school, country, 0.01), institution),
        "daycare": routed(answer_yes_no(rng, daycare, country, 0.01), institution),
        "elderly": routed(answer_yes_no(rng, elderly, country, 0.01), institution),
        "other": routed(answer_yes_no(rng, other, country, 0.01), institution),
        "administration": answer_yes_no(rng, administration, country, 0.02),
        "funding": answer_yes_no(rng, funding, country, 0.03, 0.01),
        "members_true": members,
    }


def dk_associations(rng: np.random.Generator, n: int, plan: AssociationPlan = DK_ASSOCIATIONS,
                    invited: int = 2510) -> dict[str, object]:
    codes, sizes = dk_municipalities(rng)
    municipality = rng.choice(codes, size=n, p=sizes**0.9 / (sizes**0.9).sum())
    a = association_answers(rng, n, plan, "dk")
    # Member democracy: small associations get a larger share of their members to the meeting.
    small = a["members_true"] < 60
    involvement = np.where(
        small,
        draw_codes(rng, ((1, .14), (2, .25), (3, .30), (4, .23), (8, .07), (9, .01)), n),
        draw_codes(rng, ((1, .46), (2, .27), (3, .12), (4, .04), (8, .10), (9, .01)), n))
    return {
        "forenr": respondent_numbers(rng, n, invited),
        "kommune": municipality,
        "aktivitet": a["activity"],
        "lokal_forankring": a["local"],
        "antal_medlemmer": a["members"],
        "antal_frivillige": a["volunteers"],
        "antal_loennede": a["paid"],
        "samarb_institution": a["institution"],
        "samarb_skole": a["school"],
        "samarb_dagtilbud": a["daycare"],
        "samarb_aeldre": a["elderly"],
        "samarb_anden_inst": a["other"],
        "samarb_forvaltning": a["administration"],
        "offentlig_stoette": a["funding"],
        "medlemsdemokrati": involvement,
        "bemaerkninger": comments(rng, n, "dk"),
        "vaegt": survey_weights(rng, n),
    }


def no_associations(rng: np.random.Generator, n: int) -> dict[str, object]:
    codes, sizes = no_municipalities(rng)
    municipality = codes[rng.choice(len(codes), size=n, p=sizes**0.9 / (sizes**0.9).sum())]
    a = association_answers(rng, n, NO_ASSOCIATIONS, "no")
    return {
        "løpenr": respondent_numbers(rng, n, 3000, start=20001),
        "kommunenr": municipality,
        "aktivitet": a["activity"],
        "geografisk_nivå": a["local"],
        "antall_medlemmer": a["members"],
        "antall_frivillige": a["volunteers"],
        "antall_ansatte": a["paid"],
        "samarbeid_kommunal_virksomhet": a["institution"],
        "samarb_skole": a["school"],
        "samarb_barnehage": a["daycare"],
        "samarb_eldreomsorg": a["elderly"],
        "samarb_annen_virksomhet": a["other"],
        "samarbeid_kommuneadministrasjon": a["administration"],
        "offentlig_tilskudd": a["funding"],
        "kommentar": comments(rng, n, "no"),
        "vekt": survey_weights(rng, n),
    }


# 2016, the first Danish wave: a little more collaboration than in 2018 (Levinsen & Ibsen 2017).
DK_ASSOCIATIONS_2016 = replace(
    DK_ASSOCIATIONS,
    institution=0.445, administration_if_institution=0.52, administration_otherwise=0.25,
    kinds={**DK_ASSOCIATIONS.kinds,
           "school": Planted(0.26, {1: 1.0, 2: 0.6, 10: 0.6, 9: 0.4, 6: -1.5, 5: -0.5, 4: -0.2}),
           "elderly": Planted(0.13, {6: 2.4, 4: 1.2, 5: 1.0, 11: 0.6, 1: -0.8, 10: -0.3})},
)


def dk_associations_2016(rng: np.random.Generator, n: int) -> dict[str, object]:
    data = dk_associations(rng, n, DK_ASSOCIATIONS_2016, invited=2480)
    data["medlemstal"] = data.pop("antal_medlemmer")
    return data


def no_associations_2022(rng: np.random.Generator, n: int) -> dict[str, object]:
    codes, sizes = no_municipalities(rng, "2020")
    municipality = codes[rng.choice(len(codes), size=n, p=sizes**0.9 / (sizes**0.9).sum())]
    a = association_answers(rng, n, NO_ASSOCIATIONS, "no")
    # Member democracy, asked for the first time: as in Denmark, small organisations get a larger
    # share of their members to the annual meeting.
    small = a["members_true"] < 60
    involvement = np.where(
        small,
        draw_codes(rng, ((1, .15), (2, .26), (3, .30), (4, .21), (NO_DONT_KNOW, .08)), n),
        draw_codes(rng, ((1, .48), (2, .26), (3, .11), (4, .04), (NO_DONT_KNOW, .11)), n))
    return {
        "løpenr": respondent_numbers(rng, n, 3100, start=40001),
        "kommunenr": municipality,
        "aktivitet": a["activity"],
        "lokal_forankring": a["local"],
        "antall_medlemmer": a["members"],
        "antall_frivillige": a["volunteers"],
        "antall_ansatte": a["paid"],
        "samarbeid_kommunal_virksomhet": a["institution"],
        "samarb_skole": a["school"],
        "samarb_barnehage": a["daycare"],
        "samarb_eldreomsorg": a["elderly"],
        "samarb_annen_virksomhet": a["other"],
        "samarbeid_kommuneadministrasjon": a["administration"],
        "offentlig_tilskudd": a["funding"],
        "medlemsdeltakelse": involvement,
        "kommentar": comments(rng, n, "no"),
        "vekt": survey_weights(rng, n),
    }


SOURCES = {  # id -> (columns, generator, seed offset): one independent stream per source
    "dk-institutions-2018": (dk_institution_columns, dk_institutions, 1),
    "dk-associations-2018": (dk_association_columns, dk_associations, 2),
    "no-institutions-2018": (no_institution_columns, no_institutions, 3),
    "no-associations-2018": (no_association_columns, no_associations, 4),
    "dk-institutions-2016": (dk_institution_columns_2016, dk_institutions_2016, 5),
    "dk-associations-2016": (dk_association_columns_2016, dk_associations_2016, 6),
    "no-institutions-2022": (no_institution_columns_2022, no_institutions_2022, 7),
    "no-associations-2022": (no_association_columns_2022, no_associations_2022, 8),
}
SPSS_LABELS = {
    "dk-institutions-2018": "SYNTETISKE DEMODATA - institutionsundersøgelsen 2018",
    "dk-associations-2018": "SYNTETISKE DEMODATA - foreningsundersøgelsen 2018",
    "dk-institutions-2016": "SYNTETISKE DEMODATA - institutionsundersøgelsen 2016",
    "dk-associations-2016": "SYNTETISKE DEMODATA - foreningsundersøgelsen 2016",
}


def generate(out: Path) -> dict[str, Path]:
    """Write every demo file under ``out``; return source id -> path."""
    written = {}
    for source_id, (columns_of, make, offset) in SOURCES.items():
        rng = np.random.default_rng([SEED, offset])  # one stream per source: independent
        columns = columns_of()
        data = make(rng, ROWS[source_id])
        path = out / FILES[source_id]
        if source_id.startswith("dk-"):
            write_spss(columns, data, path, SPSS_LABELS[source_id],
                       SPSS_DATES.get(source_id, SPSS_DATE))
        else:
            write_csv(columns, data, path)
        written[source_id] = path
    return written


# --- the check: weighted shares computed back from the written files --------------------------


def read_back(out: Path, source_id: str) -> pl.DataFrame:
    """The file as an analyst would read it: codes meaning "don't know" / "won't say" become null
    (pyreadstat does that for the SPSS user-missing codes)."""
    path = out / FILES[source_id]
    if path.suffix == ".sav":
        frame, _ = pyreadstat.read_sav(str(path), output_format="polars")
        return frame.with_columns(pl.col(pl.Float64).fill_nan(None))
    text = path.read_bytes().decode("cp1252")
    frame = pl.read_csv(text.encode("utf-8"), separator=";", infer_schema=False)
    columns = SOURCES[source_id][0]()
    numeric = [c.name for c in columns if c.kind not in ("text", "municipality")]
    frame = frame.with_columns(pl.col(c).str.replace(",", ".").cast(pl.Float64) for c in numeric)
    return frame.with_columns(
        pl.when(pl.col(c.name).is_in([float(m) for m in c.missing_codes]))
        .then(None).otherwise(pl.col(c.name)).alias(c.name)
        for c in columns if c.missing_codes)


def share(frame: pl.DataFrame, yes: pl.Expr, valid: pl.Expr, weight: str) -> float:
    """Weighted share of ``yes`` among the rows where ``valid`` holds."""
    sub = frame.filter(valid)
    return float((sub[weight] * sub.select(yes.cast(pl.Float64)).to_series()).sum()
                 / sub[weight].sum())


def any_yes(a: str, b: str) -> tuple[pl.Expr, pl.Expr]:
    """(yes, known) for "a or b": yes if either is yes, known if yes or both answered."""
    yes = (pl.col(a) == 1).fill_null(False) | (pl.col(b) == 1).fill_null(False)
    return yes, yes | (pl.col(a).is_not_null() & pl.col(b).is_not_null())


# Published figures the 2016 Danish wave must reproduce (DESIGN §2), with the tolerance of a
# sample of this size.
DK_2016_MUNICIPALITIES = {320: 90, 430: 82, 461: 67, 230: 60, 751: 59}
Add = Callable[..., None]


def check(out: Path) -> list[tuple[str, float, tuple[float, float] | None]]:
    """The planted figures: (what, weighted %, required range or None)."""
    rows: list[tuple[str, float, tuple[float, float] | None]] = []

    def add(what: str, value: float, required: tuple[float, float] | None = None) -> None:
        rows.append((what, round(100 * value, 1), required))

    # Danish institutions
    dk_2018 = _dk_institutions(read_back(out, "dk-institutions-2018"), 2018, "form_udfoerelse",
                               add, (60, 70))
    dk_2016 = _dk_institutions(read_back(out, "dk-institutions-2016"), 2016, "form_samproduktion",
                               add, (64, 70), DK_2016_MUNICIPALITIES)
    add("DK institutions: 2016 minus 2018 (percentage points)", dk_2016 - dk_2018, (0.5, 6))

    # Danish associations
    dk_2018 = _dk_associations(read_back(out, "dk-associations-2018"), 2018, "antal_medlemmer",
                               add, (40, 45))
    dk_2016 = _dk_associations(read_back(out, "dk-associations-2016"), 2016, "medlemstal", add,
                               (43, 47), {"samarb_skole": (24, 28), "samarb_dagtilbud": (14, 18),
                                          "samarb_anden_inst": (32, 36)})
    add("DK associations: 2016 minus 2018 (percentage points)", dk_2016 - dk_2018, (0.5, 6))

    # Norwegian institutions
    no_2018 = _no_institutions(read_back(out, "no-institutions-2018"), 2018, add, (56, 66))
    f = read_back(out, "no-institutions-2022")
    no_2022 = _no_institutions(f, 2022, add, (56, 66))
    yes, known = any_yes("samarbeid_lag_foreninger", "samarbeid_frivillige")
    collab = yes & known
    add("  initiative from the citizens/users (new code 6; of collaborators)",
        share(f, pl.col("initiativ") == 6, collab & pl.col("initiativ").is_not_null(), "vekt"))
    add("  volunteer coordinator (new question; of collaborators)",
        share(f, pl.col("frivilligkoordinator") == 1,
              collab & pl.col("frivilligkoordinator").is_not_null(), "vekt"))
    add("NO institutions: 2022 minus 2018 (percentage points)", no_2022 - no_2018, (-5, 5))

    # Norwegian organisations
    no_2018 = _no_associations(read_back(out, "no-associations-2018"), 2018, "geografisk_nivå",
                               add, (40, 50))
    f = read_back(out, "no-associations-2022")
    no_2022 = _no_associations(f, 2022, "lokal_forankring", add, (40, 50))
    involvement = pl.col("medlemsdeltakelse")
    add("  member involvement: 50 % or more at the annual meeting (new question)",
        share(f, involvement == 4, involvement.is_not_null(), "vekt"))
    add("NO organisations: 2022 minus 2018 (percentage points)", no_2022 - no_2018, (-5, 5))
    return rows


def _dk_institutions(f: pl.DataFrame, wave: int, coimplementation: str, add: Add,
                     required: tuple[float, float],
                     published: dict[int, float] | None = None) -> float:
    yes, known = any_yes("samarb_foreninger", "samarb_frivillige")
    overall = share(f, yes, known, "vaegt")
    add(f"DK institutions {wave} collaborating with associations or volunteers", overall,
        required)
    for code, name in DK_STUDY_MUNICIPALITIES:
        target = published.get(code) if published else None
        add(f"  {name}" + (f" (published {target:g})" if target else ""),
            share(f, yes, known & (pl.col("kommune") == code), "vaegt"),
            (target - 5, target + 5) if target else None)
    for code, name in DK_INSTITUTION_TYPES:
        add(f"  {name}", share(f, yes, known & (pl.col("insttype") == code), "vaegt"))
    collab = yes & known
    for column, name in ((coimplementation, "co-implementation"),
                         ("form_samskabelse", "co-creation"), ("form_samdesign", "co-design")):
        add(f"  form: {name} (of collaborators)",
            share(f, pl.col(column) == 1, collab & pl.col(column).is_not_null(), "vaegt"))
    add("  initiative from the institution (of collaborators)",
        share(f, pl.col("initiativ") == 1, collab & pl.col("initiativ").is_not_null(), "vaegt"))
    return overall


def _dk_associations(f: pl.DataFrame, wave: int, members: str, add: Add,
                     required: tuple[float, float],
                     kinds_required: dict[str, tuple[float, float]] | None = None) -> float:
    inst = pl.col("samarb_institution")
    known = inst.is_not_null()
    overall = share(f, inst == 1, known, "vaegt")
    add(f"DK associations {wave} collaborating with a municipal institution", overall, required)
    both_yes, both_known = any_yes("samarb_institution", "samarb_forvaltning")
    add("  with an institution or the administration", share(f, both_yes, both_known, "vaegt"))
    for column, name in (("samarb_skole", "a school"), ("samarb_dagtilbud", "day care"),
                         ("samarb_aeldre", "elderly care"),
                         ("samarb_anden_inst", "another institution")):
        add(f"  with {name} (of all)", share(f, pl.col(column).fill_null(0) == 1, known,
                                             "vaegt"), (kinds_required or {}).get(column))
    _directions(f, "dk", "vaegt", add, "lokal_forankring", members)
    return overall


def _no_institutions(f: pl.DataFrame, wave: int, add: Add,
                     required: tuple[float, float]) -> float:
    yes, known = any_yes("samarbeid_lag_foreninger", "samarbeid_frivillige")
    overall = share(f, yes, known, "vekt")
    add(f"NO institutions {wave} collaborating with associations or volunteers", overall,
        required)
    for code, name in NO_INSTITUTION_TYPES:
        add(f"  {name}", share(f, yes, known & (pl.col("virksomhetstype") == code), "vekt"))
    return overall


def _no_associations(f: pl.DataFrame, wave: int, local: str, add: Add,
                     required: tuple[float, float]) -> float:
    inst = pl.col("samarbeid_kommunal_virksomhet")
    overall = share(f, inst == 1, inst.is_not_null(), "vekt")
    add(f"NO organisations {wave} collaborating with a municipal institution", overall,
        required)
    yes, known = any_yes("samarbeid_kommunal_virksomhet", "samarbeid_kommuneadministrasjon")
    add("  with an institution or the administration", share(f, yes, known, "vekt"))
    _directions(f, "no", "vekt", add, local, "antall_medlemmer")
    return overall


def _directions(f: pl.DataFrame, country: str, weight: str, add: Add, local_column: str,
                members_column: str) -> None:
    dk = country == "dk"
    inst = pl.col("samarb_institution" if dk else "samarbeid_kommunal_virksomhet")
    local = pl.col(local_column)
    members = pl.col(members_column)
    paid = pl.col("antal_loennede" if dk else "antall_ansatte")
    known = inst.is_not_null()
    for code, name in ((1, "neighbourhood"), (2, "municipality"), (3, "region"),
                       (4, "national")):
        add(f"  {name}-oriented", share(f, inst == 1, known & (local == code), weight))
    for lo, hi, name in ((0, 50, "under 50"), (50, 250, "50-249"), (250, 10**9, "250 or more")):
        add(f"  {name} members",
            share(f, inst == 1, known & members.is_between(lo, hi, closed="left"), weight))
    add("  no paid staff", share(f, inst == 1, known & (paid == 0), weight))
    add("  paid staff", share(f, inst == 1, known & (paid > 0), weight))
    for code, name in DK_ACTIVITIES if dk else NO_ACTIVITIES:
        add(f"  {name}", share(f, inst == 1, known & (pl.col("aktivitet") == code), weight))


def split_rows(out: Path) -> dict[str, int]:
    """Rows reported in a municipality that was split before 2024 (Ålesund 1507 of 2020)."""
    return {source_id: int((read_back(out, source_id)["kommunenr"] == "1507").sum())
            for source_id in ("no-institutions-2022", "no-associations-2022")}


def print_check(out: Path) -> bool:
    ok = True
    for what, value, required in check(out):
        flag = ""
        if required is not None:
            inside = required[0] <= value <= required[1]
            ok &= inside
            flag = f"   required {required[0]:g} to {required[1]:g}: {'ok' if inside else 'OUT'}"
        unit = "pp" if "percentage points" in what else "% "
        print(f"{what:<72} {value:5.1f} {unit}{flag}")
    for source_id, rows in split_rows(out).items():
        inside = rows >= 3
        ok &= inside
        print(f"{source_id + ': rows in 1507 Ålesund (split in 2024)':<72} {rows:5d} rows"
              f"   required 3 or more: {'ok' if inside else 'OUT'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=ROOT / "raw", type=Path,
                        help="folder to write dk/ and no/ into (default: the package's raw/)")
    parser.add_argument("--check", action="store_true",
                        help="print the planted figures, computed back from the files")
    args = parser.parse_args(argv)
    for source_id, path in generate(args.out).items():
        print(f"{source_id:<21} {ROWS[source_id]:>5} rows  {path}")
    if args.check:
        return 0 if print_check(args.out) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
