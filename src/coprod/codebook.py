"""The codebook model: the one source of truth that validation, harmonization, packaging and the
site are all derived from (DESIGN §3).

Three kinds of file live in ``schemas/``:

- ``package.yaml``: the package's metadata, its label languages, the missing-value taxonomy, the
  municipality reference tables and the disclosure minimum;
- ``harmonized/<table>.yaml``: one per harmonized table, the target variables with labels in
  every language of the package, categories, universe and comparability notes;
- ``sources/<country>-<survey>-<wave>.yaml``: one per raw extract, its file, format, dialect,
  variables (question text, value labels, missing codes) and how each harmonized variable is made
  from it.

The models are frozen pydantic models that forbid unknown keys, so a typo in a codebook is a
configuration error, never a silently ignored setting. Cross-references (a mapping naming an
unknown variable or category) are checked by :func:`check_package`.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import ConfigError

PLACEHOLDER = "?"  # what `coprod new-source` writes where a person must fill something in
MISSING_REASONS = ("not_applicable", "dont_know", "refused", "no_answer", "not_asked")
MissingReason = Literal["not_applicable", "dont_know", "refused", "no_answer", "not_asked"]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
SOURCE_ID = re.compile(r"^(?P<country>[a-z]{2})-(?P<survey>[a-z]+)-(?P<wave>\d{4})$")
# A BCP 47 language tag as the site's lang attributes take it: en, da, nb, sv, se, ...
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


def _same_codes(codes: Iterable[object], what: str) -> None:
    """Refuse two codes that are one code once read: 1 and "1" (YAML's number and text), or
    " 1" and "1". A file's value is read one way, so one of the two would never apply."""
    seen: dict[str, object] = {}
    for code in codes:
        key = str(code).strip()
        if key in seen:
            raise ValueError(f"{what} {seen[key]!r} and {code!r} are the same code (a number and "
                             "a text, or the same text with spaces, are one code); keep one")
        seen[key] = code


def _regex(pattern: str) -> str:
    """A pattern the validation engine reads: polars, whose regular expressions are those of
    Rust's regex crate. A pattern it cannot read would be a check that is silently off."""
    import polars as pl

    try:
        pl.select(pl.lit("").str.contains(pattern))
    except pl.exceptions.ComputeError as exc:
        why = next((line.removeprefix("error: ") for line in str(exc).splitlines()
                    if line.startswith("error: ")), str(exc).splitlines()[0])
        raise ValueError(f"pattern {pattern!r} cannot be used: {why}. Patterns are regular "
                         "expressions of Rust's regex crate (the dialect polars reads): "
                         "\\d, \\p{L}, [a-z], {n,m}, anchors and groups, but no look-ahead, "
                         "look-behind or back-references") from None
    return pattern


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Labels(RootModel[dict[Language, str | None]]):
    """A text in the package's languages (``languages`` in package.yaml), keyed by language
    code. A language the package does not declare is a configuration error
    (:func:`check_package`); one it declares but a text lacks is reported by validate."""

    model_config = ConfigDict(frozen=True)

    def get(self, lang: str = "en") -> str:
        """The text in ``lang``, else in English, else in the first language that has one."""
        return (self.root.get(lang) or self.root.get("en")
                or next((text for text in self.root.values() if text), ""))

    def missing_languages(self, languages: Iterable[str]) -> list[str]:
        return [lang for lang in languages if not self.root.get(lang)]


class Category(Model):
    """One category of a harmonized variable: the value stored in Parquet, a numeric code for
    SPSS/Stata exports, and its labels."""

    value: Slug
    code: int
    label: Labels


class License(Model):
    name: str
    title: str
    path: str | None = None
    scope: Literal["data", "code"]


class Contributor(Model):
    title: str
    roles: list[str] = ["creator"]
    organization: str | None = None


class RegionNames(Model):
    """A table of region (county) names, for a classification that holds only region codes."""

    file: str
    code: str
    name: str


# official: the classification as its publisher issues it; derived: made by this project from
# published tables (e.g. matched by name), to be replaced by an official one; partial: official
# rows, but not every municipality of the vintage. The site shows which.
Status = Literal["official", "derived", "partial"]


class MunicipalityReference(Model):
    """A dated municipality classification in ``reference/``."""

    file: str
    code: str  # column holding the code
    name: str  # column holding the name
    width: int  # codes are strings of exactly this many digits
    vintage: str
    country: str
    region_code: str | None = None  # column holding the region (county) code
    region_name: str | None = None  # column holding its name, when the file has one
    region_names: RegionNames | None = None  # otherwise, where the names are
    status: Status = "official"
    provenance: str | None = None  # who publishes it, in a line (details: reference/PROVENANCE.md)


class MunicipalityCrosswalk(Model):
    """Old code → new code(s) between two vintages; a code with several rows was split."""

    from_: str = Field(alias="from")  # key into municipality_references
    to: str
    file: str
    from_column: str
    to_column: str
    status: Status = "official"
    provenance: str | None = None


class Package(Model):
    """``schemas/package.yaml``."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")  # a Frictionless package name may use "-"
    title: str
    description: str
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    languages: list[Language] = Field(min_length=1)  # of labels; the first is the site's default
    synthetic: bool
    synthetic_notice: str
    homepage: str | None = None
    licenses: list[License]
    contributors: list[Contributor]
    citation: str
    keywords: list[str] = []
    missing: list[Category]
    min_cell_size: int = Field(default=5, ge=1)
    # open: the microdata are published with the aggregates; restricted: only aggregates are
    # public, the microdata go to build/restricted/ for licensed users, on these conditions
    access: Literal["open", "restricted"] = "open"
    conditions: str | None = None
    municipality_references: dict[str, MunicipalityReference]
    municipality_crosswalks: list[MunicipalityCrosswalk] = []
    municipality_target: dict[str, str] = {}  # country -> the reference every code is carried to

    @model_validator(mode="after")
    def _taxonomy(self) -> Package:
        if len(set(self.languages)) != len(self.languages):
            raise ValueError("languages: each language once")
        if self.access == "restricted" and not self.conditions:
            raise ValueError("access: restricted needs `conditions`: the conditions of use "
                             "licensed users accept")
        values = tuple(c.value for c in self.missing)
        if values != MISSING_REASONS:
            raise ValueError(f"missing must list exactly {', '.join(MISSING_REASONS)}, in order")
        refs = self.municipality_references
        for walk in self.municipality_crosswalks:
            for key in (walk.from_, walk.to):
                if key not in refs:
                    raise ValueError(f"crosswalk names unknown reference {key!r}")
        for country, key in self.municipality_target.items():
            if key not in refs or refs[key].country != country:
                raise ValueError(f"municipality_target {country}: {key!r} is not a reference of "
                                 f"that country")
        return self


class ComparabilityNote(Model):
    """What differs for some variables in some sources. A later source of a country whose every
    earlier source the note lists is "not reviewed" by it until it is listed under ``sources``
    (the difference holds) or ``not_affected`` (checked: it does not)."""

    variables: list[str]
    sources: list[str]
    severity: Literal["info", "minor", "major"]
    note: Labels
    not_affected: list[str] = []


DERIVATIONS = (
    "respondent_id", "country", "wave", "source",
    # the municipality as reported, in the source's vintage
    "municipality_code", "municipality_vintage", "municipality_name",
    # carried to the package's reference vintage through the crosswalks
    "municipality_code_reference", "municipality_name_reference", "region_reference",
    "municipality_split", "municipality_split_into",
)


class AnyOf(Model):
    """yes if any of the variables is yes; no if all are no; else the first missing reason.
    ``counts`` says how a part's other answer categories count, e.g. ``{partly: "yes"}``; a
    part's category it does not name (beyond yes and no) is a configuration error."""

    any_of: list[str]
    counts: dict[Slug, Literal["yes", "no"]] = {}


class ClassesOf(Model):
    """Size classes of a numeric variable: the first category whose upper bound the value does
    not exceed, the last category above every bound; a missing value keeps its reason."""

    classes_of: str
    upper_bounds: list[float]


Derivation = Literal[DERIVATIONS] | AnyOf | ClassesOf  # type: ignore[valid-type]


class HarmonizedVariable(Model):
    # date: a calendar date; month: a year and month, written YYYY-MM (from a date or datetime)
    type: Literal["categorical", "integer", "number", "string", "date", "month"]
    label: Labels
    description: Labels | None = None
    group: str = "other"
    universe: Labels | None = None
    categories: list[Category] = []
    derive: Derivation | None = None  # made by the tool for every source, not mapped per source
    required: bool = False  # every source must give a value (e.g. weights): no missing column
    # of a categorical variable: ordinal when its categories are in an order that means
    # something (codebook order, low to high or as the scale runs); nominal otherwise
    level: Literal["nominal", "ordinal"] = "nominal"

    @model_validator(mode="after")
    def _categories(self) -> HarmonizedVariable:
        if (self.type == "categorical") != bool(self.categories):
            raise ValueError("categories are required for, and only for, type categorical")
        if self.level == "ordinal" and self.type != "categorical":
            raise ValueError("level: ordinal is for categorical variables (numbers are scales)")
        for what in ("value", "code"):
            seen: dict[object, str] = {}
            for category in self.categories:
                key = getattr(category, what)
                if key in seen:
                    raise ValueError(f"categories {seen[key]!r} and {category.value!r} have the "
                                     f"same {what} {key!r}; each category needs its own")
                seen[key] = category.value
        if isinstance(self.derive, ClassesOf) and len(self.categories) != len(
                self.derive.upper_bounds) + 1:
            raise ValueError("classes_of needs one category more than upper_bounds")
        return self

    @property
    def combines(self) -> list[str]:
        """The harmonized variables this one is derived from, if any."""
        if isinstance(self.derive, AnyOf):
            return list(self.derive.any_of)
        if isinstance(self.derive, ClassesOf):
            return [self.derive.classes_of]
        return []

    @property
    def measure(self) -> str:
        """Its measurement level as SPSS names it: nominal, ordinal or scale."""
        if self.type == "categorical":
            return self.level
        return "scale" if self.type in ("integer", "number") else "nominal"

    @property
    def missing_column(self) -> bool:
        """Mapped numeric and text variables carry the reason a value is missing in a
        ``<name>_missing`` column (categorical ones hold it as a category)."""
        return self.type != "categorical" and self.derive is None and not self.required


class Summary(Model):
    """A summary table on the site, by the ``by`` variables: the weighted share answering
    ``positive`` to ``outcome`` (kind share), or the weighted distribution over all of its
    categories (kind distribution)."""

    title: Labels
    outcome: str
    by: list[str] = ["country", "wave"]
    kind: Literal["share", "distribution"] = "share"
    positive: str = "yes"
    # The table's base, as its title states it: only rows whose variable has one of the values,
    # e.g. {collab_institution: [yes]} for "among associations collaborating with one"
    among: dict[str, list[str]] = {}
    # The page's name (summaries/<table>/<id>.html, and its CSV): a permalink, so it is made
    # from what the table is, not from its title or position: outcome, "by" and "among"
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")] | None = None

    @property
    def slug(self) -> str:
        """``id`` if given, else made from the definition, e.g.
        ``collab_school-by-country-wave-among-collab_institution-yes``."""
        if self.id:
            return self.id
        parts = [self.outcome, "by", *self.by]
        if self.kind == "share" and self.positive != "yes":
            parts += ["is", self.positive]
        for variable, values in sorted(self.among.items()):
            parts += ["among", variable, *sorted(values)]
        return re.sub(r"[^a-z0-9_-]+", "-", "-".join(parts).lower()).strip("-")


class HarmonizedTable(Model):
    """``schemas/harmonized/<table>.yaml``."""

    table: Slug
    title: Labels
    description: Labels
    universe: Labels
    variables: dict[Slug, HarmonizedVariable]  # names of Parquet columns and site pages
    comparability: list[ComparabilityNote] = []
    summaries: list[Summary] = []


Code = int | str


class MissingRange(Model):
    """Every value from ``from`` to ``to`` (inclusive) means one missing reason, as SPSS
    declares user-missing ranges (e.g. 90 to 99: don't know)."""

    from_: float = Field(alias="from")
    to: float
    reason: MissingReason

    @model_validator(mode="after")
    def _ordered(self) -> MissingRange:
        if self.from_ > self.to:
            raise ValueError(f"from {self.from_:g} is above to {self.to:g}")
        return self


SOURCE_TYPES = ("integer", "number", "string", "date", "datetime", "time")


class SourceVariable(Model):
    """A variable of a raw file, as the source delivers it."""

    type: Literal["integer", "number", "string", "date", "datetime", "time"]
    label: str  # question text or variable label, in the source's language
    values: dict[Code, str] | None = None  # value labels; when given, the only codes allowed
    # Codes of missing answers; a Stata extended missing value is written .a to .z
    missing: dict[Code, MissingReason] = {}
    missing_ranges: list[MissingRange] = []
    blank: MissingReason | None = None  # what an empty cell means; None: empty is an error
    range: (tuple[float, float] | tuple[dt.date, dt.date] | tuple[dt.datetime, dt.datetime]
            | None) = None
    unique: bool = False
    free_text: bool = False  # never published, never mapped
    not_harmonized: str | None = None  # why no harmonized variable is made from it
    pattern: str | None = None  # for strings, e.g. ^\d{4}$
    measure: Literal["nominal", "ordinal", "scale"] | None = None  # as SPSS declares it
    group: str | None = None  # the multiple-response set the variable belongs to

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Checking a pattern loads polars (0.15 s); a build that finds nothing changed loads
        # codebooks it checked when it last ran, and skips this (see load_codebooks).
        if value is None or (info.context or {}).get("patterns") is False:
            return value
        return _regex(value)

    @field_validator("values", "missing")
    @classmethod
    def _codes(cls, value: dict | None, info: ValidationInfo) -> dict | None:
        _same_codes(value or (), f"{info.field_name}: codes")
        return value

    @model_validator(mode="after")
    def _missing_labelled(self) -> SourceVariable:
        if self.values is not None:
            unknown = [c for c in self.missing if c not in self.values]
            if unknown:
                raise ValueError(f"missing codes {unknown} have no value label")
        if self.missing_ranges and self.type not in ("integer", "number"):
            raise ValueError("missing_ranges are for integer and number variables")
        temporal = self.type in ("date", "datetime")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"range [{self.range[0]}, {self.range[1]}] runs backwards: write "
                             "the lowest value first")
        if self.range is not None and temporal != isinstance(self.range[0], dt.date):
            raise ValueError(f"a range of a {self.type} variable is "
                             + ("two dates, e.g. [2024-03-01, 2024-05-31]" if temporal else
                                "two numbers"))
        return self

    def missing_reason(self, code: object) -> str | None:
        """The missing reason a code means: declared as a code, or in a declared range."""
        if code in self.missing:
            return self.missing[code]
        if isinstance(code, int | float) and not isinstance(code, bool):
            return next((r.reason for r in self.missing_ranges if r.from_ <= code <= r.to),
                        None)
        return None


class Dialect(Model):
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: Literal[".", ","] = "."
    quotechar: str = '"'
    line_terminator: Literal["\n", "\r\n"] = "\n"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r} (e.g. utf-8, cp1252, latin-1)") from None
        return value

    @field_validator("delimiter", "quotechar")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if len(value) != 1 or value in "\r\n":
            raise ValueError(f"{value!r} must be one character, not a line break")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> Dialect:
        if self.delimiter == self.quotechar:
            raise ValueError("delimiter and quotechar must differ")
        return self


class Mapping(Model):
    """How one harmonized variable is made from one source variable."""

    from_: str = Field(alias="from")
    recode: dict[Code, Slug] | None = None  # source code -> harmonized category value
    note: str | None = None

    @field_validator("recode")
    @classmethod
    def _codes(cls, value: dict | None) -> dict | None:
        _same_codes(value or (), "recode: codes")
        return value


class NotAsked(Model):
    """A question the source did not ask, with the reason: required where an earlier wave of
    the same country and survey asked it, so that a dropped question is never silent."""

    not_asked: str = Field(min_length=1)


def is_not_asked(mapping: object) -> bool:
    """Whether a mapping says the source did not ask the question (``not_asked`` or
    ``{not_asked: reason}``)."""
    return mapping == "not_asked" or isinstance(mapping, NotAsked)


def _mapping_kind(data: object) -> str:
    if isinstance(data, str):
        return "word"
    if isinstance(data, dict) and "not_asked" in data:
        return "reason"
    return "map"


# Told apart by their shape, so that a broken mapping is reported as such, not as "should be
# 'not_asked'" as well.
AnyMapping = Annotated[
    Annotated[Mapping, Tag("map")] | Annotated[NotAsked, Tag("reason")]
    | Annotated[Literal["not_asked"], Tag("word")],
    Discriminator(_mapping_kind),
]


class MunicipalityField(Model):
    variable: str
    reference: str  # key into package.municipality_references


def fieldwork_period(fieldwork: str | None) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a declared fieldwork (2024-03/2024-05, 2024-03-04/2024-04-30,
    or 2024); None when it is not a period of this form."""
    import calendar

    def bound(text: str, last: bool) -> dt.date | None:
        parts = text.strip().split("-")
        if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
            return None
        year, month, day = (int(parts[0]), int(parts[1]) if len(parts) > 1 else (12 if last else 1),
                            int(parts[2]) if len(parts) > 2 else 0)
        try:
            return dt.date(year, month, day or (calendar.monthrange(year, month)[1] if last else 1))
        except ValueError:
            return None

    if not fieldwork:
        return None
    start, _, end = fieldwork.partition("/")
    first, last = bound(start, False), bound(end or start, True)
    return (first, last) if first and last else None



# A text of a source's design: plain, in the source's language, or keyed by language code.
DesignText = str | Labels


class SourceDesign(Model):
    """``design`` in a source codebook: how its sample was drawn, for the sources page, the DDI
    study description and codebook.json. Every field may be left out; the number of responses
    (N) is counted from the data, and the response rate is N / ``issued``."""

    population: DesignText | None = None  # the target population (universe) the sample is of
    sampling_frame: DesignText | None = None  # the list the sample was drawn from
    sample: DesignText | None = None  # how units were selected: the sample design
    issued: int | None = Field(default=None, ge=1)  # gross sample: units invited to answer
    # as the data producer states it (in percent), e.g. by a definition that leaves out
    # ineligible units; shown beside N / issued, never instead of it
    response_rate: float | None = Field(default=None, gt=0, le=100)


class SourceCodebook(Model):
    """``schemas/sources/<id>.yaml``."""

    id: str = Field(pattern=SOURCE_ID.pattern)
    table: Slug
    title: str
    # of its question texts and value labels: one of the package's (or a draft's placeholder)
    language: Language | Literal["?"]
    file: str
    format: Literal["spss", "stata", "csv", "spreadsheet"]
    # csv: how the text is written; spss and stata: `encoding` overrides the file's own
    dialect: Dialect = Dialect()
    sheet: str | None = None  # spreadsheet: the sheet (default: the first)
    header_row: int = Field(default=1, ge=1)  # spreadsheet: the row of the column names
    fieldwork: str | None = None
    interview_date: str | None = None  # the date or datetime variable of the interview
    id_variable: str
    municipality: MunicipalityField
    design: SourceDesign | None = None  # population, sample design, gross sample
    variables: dict[str, SourceVariable]
    mappings: dict[str, AnyMapping]
    review: list[str] = []  # drafted items a person must check; build refuses until empty

    @field_validator("fieldwork")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value in (None, PLACEHOLDER):  # unset: a draft's, reported by coprod.review
            return value
        period = fieldwork_period(value)
        if period is None:
            raise ValueError(f"fieldwork {value!r} is not a period: write it as YYYY-MM/YYYY-MM "
                             "(or YYYY-MM-DD/YYYY-MM-DD, or a year)")
        if period[0] > period[1]:
            raise ValueError(f"fieldwork {value!r} ends before it begins")
        return value

    @model_validator(mode="after")
    def _format_settings(self) -> SourceCodebook:
        if self.format != "spreadsheet" and ("sheet" in self.model_fields_set
                                             or "header_row" in self.model_fields_set):
            raise ValueError("sheet and header_row are for format: spreadsheet")
        return self

    @property
    def encoding_override(self) -> str | None:
        """For SPSS and Stata files: the encoding the codebook sets instead of the file's."""
        if "dialect" in self.model_fields_set and "encoding" in self.dialect.model_fields_set:
            return self.dialect.encoding
        return None

    @property
    def country(self) -> str:
        return SOURCE_ID.match(self.id)["country"]  # type: ignore[index]

    @property
    def survey(self) -> str:
        return SOURCE_ID.match(self.id)["survey"]  # type: ignore[index]

    @property
    def wave(self) -> int:
        return int(SOURCE_ID.match(self.id)["wave"])  # type: ignore[index]


@dataclass(frozen=True)
class Codebooks:
    """Everything in ``schemas/``, loaded and cross-checked."""

    package: Package
    tables: dict[str, HarmonizedTable]
    sources: dict[str, SourceCodebook]
    files: dict[str, Path]  # codebook id ("package", table name, source id) -> its file

    def sources_for(self, table: str) -> list[SourceCodebook]:
        return [s for s in self.sources.values() if s.table == table]


# --- loading ---------------------------------------------------------------------------------


# libyaml parses codebooks about ten times faster than the pure-Python parser: a build with
# nothing to do spends most of its time here.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """A YAML loader that refuses duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, shown: str | None = None) -> Any:
    """A codebook file's data; duplicate keys, broken YAML and decomposed (Unicode NFD) letters
    are configuration errors naming the line."""
    shown = shown or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{shown}:{line}: not UTF-8 ({exc.reason})",
                          hint="save the codebook as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read codebook: {exc.strerror or exc}") from None
    if not unicodedata.is_normalized("NFC", text):
        match = re.search(r"\S*[\u0300-\u036f]\S*", text)
        line = text.count("\n", 0, match.start()) + 1 if match else None
        raise ConfigError(
            f"{shown}{f':{line}' if line else ''}: "
            f"{match.group() if match else 'the text'!r} has decomposed letters (Unicode NFD), "
            "which do not match the same name in a raw file",
            hint="save the codebook with composed letters (Unicode NFC)")
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        what = exc.problem or exc.context or "not valid YAML"
        duplicate = what.startswith("duplicate key")
        raise ConfigError(f"{shown}{line}: {what}" if duplicate else
                          f"{shown}{line}: not valid YAML: {what}",
                          hint="keys must be unique: remove or rename one" if duplicate else
                               "fix the codebook file (indentation, quoting, colons)") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{shown}: not valid YAML: {exc}",
                          hint="fix the codebook file") from None


def line_of(text: str, loc: tuple) -> int | None:
    """The line of a setting in a codebook's text: the keys (or a pydantic error location)
    leading to it, where it can be found."""
    try:
        node = yaml.compose(text, Loader=_SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if found is None:
                continue  # a union member's name, not a key
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(
                node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
    return line


def _keys(data: Any, loc: tuple) -> tuple:
    """The parts of a pydantic error location that are keys or indices of the data, without
    the names of union members pydantic adds (e.g. ``Mapping``)."""
    keys = []
    for part in loc:
        if isinstance(data, dict):
            key = next((k for k in data if k == part or str(k) == str(part)), None)
            if key is None:
                if part == loc[-1]:
                    keys.append(part)  # a missing key: still worth naming
                continue
            keys.append(part)
            data = data[key]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            keys.append(part)
            data = data[part]
    return tuple(keys)


def _message(err: dict) -> str:
    if err["type"] == "extra_forbidden":
        return (f"Extra inputs are not permitted: unknown key {err['loc'][-1]!r} (a typo, or a "
                "key of another level?)")
    if err["type"] == "missing":
        return f"required key {err['loc'][-1]!r} is missing"
    if err["type"] == "literal_error":
        return f"{err['msg']}, not {err['input']!r}"
    return str(err["msg"]).removeprefix("Value error, ")


def _parse(model: type[Model], path: Path, shown: str | None = None, *,
           patterns: bool = True) -> Any:
    shown = shown or str(path)
    data = read_yaml(path, shown)
    try:
        return model.model_validate(data, context={"patterns": patterns})
    except ValidationError as exc:
        errors = exc.errors()
        text = path.read_text(encoding="utf-8")
        problems = []
        for err in errors:
            loc = _keys(data, err["loc"])
            line = line_of(text, err["loc"])
            problems.append(f"{shown}: {'.'.join(str(p) for p in loc) or '(top)'}: "
                            f"{_message(err)}" + (f" (line {line})" if line else ""))
        raise ConfigError("\n  ".join(problems),
                          hint="see docs/codebooks.md for the format") from None


def yaml_line(path: Path, loc: tuple) -> int | None:
    """The line of a setting (its keys from the top) in a codebook file, where found."""
    try:
        return line_of(path.read_text(encoding="utf-8"), loc)
    except OSError:
        return None


def shown_path(path: Path) -> str:
    """A codebook file as messages show it: relative to the package folder."""
    parts = path.parts
    return Path(*parts[len(parts) - 1 - parts[::-1].index("schemas"):]).as_posix() if (
        "schemas" in parts) else str(path)


def load_codebooks(schemas: Path, *, without: Iterable[str] = (),
                   patterns: bool = True) -> Codebooks:
    """Load and cross-check every codebook under ``schemas/`` (but the source codebooks named
    in ``without``, e.g. a broken draft about to be replaced). ``patterns=False`` leaves the
    variables' patterns unchecked: only for deciding whether anything changed since a build
    that loaded the same files with every check."""
    skipped = set(without)
    files: dict[str, Path] = {"package": schemas / "package.yaml"}
    if not files["package"].is_file():
        raise ConfigError(f"{files['package']}: not found",
                          hint="run coprod in a data package folder, or pass --root")
    package = _parse(Package, files["package"], shown_path(files["package"]))
    tables: dict[str, HarmonizedTable] = {}
    for path in sorted((schemas / "harmonized").glob("*.yaml")):
        table = _parse(HarmonizedTable, path, shown_path(path))
        if table.table != path.stem:
            raise ConfigError(f"{shown_path(path)}: table is {table.table!r} but the file is named "
                              f"{path.name}", hint="name a harmonized codebook after its table")
        tables[table.table], files[table.table] = table, path
    sources: dict[str, SourceCodebook] = {}
    for path in sorted((schemas / "sources").glob("*.yaml")):
        if path.stem in skipped:
            continue
        source = _parse(SourceCodebook, path, shown_path(path), patterns=patterns)
        if source.id != path.stem:
            raise ConfigError(f"{shown_path(path)}: id is {source.id!r} but the file is named "
                              f"{path.name}", hint="name a source codebook after its id")
        sources[source.id], files[source.id] = source, path
    codebooks = Codebooks(package, tables, sources, files)
    check_package(codebooks)
    return codebooks


# --- cross-checks ----------------------------------------------------------------------------


def _one_of(names: Iterable[str], what: str = "variables") -> str:
    names = sorted(names)
    shown = ", ".join(names[:30]) + (" …" if len(names) > 30 else "")
    return f"{what} are: {shown}"


def check_package(cb: Codebooks) -> None:
    """Raise ConfigError naming the first broken cross-reference between codebooks."""
    _check_crosswalks(cb)
    for name, table in cb.tables.items():
        where = shown_path(cb.files[name])
        _check_derivations(cb, name)
        reasons = {m.code: m.value for m in cb.package.missing}
        for var_name, var in table.variables.items():
            for index, category in enumerate(var.categories):
                if category.code in reasons:
                    raise ConfigError(
                        f"{where}: variables.{var_name}.categories: {category.value!r} has the "
                        f"code {category.code}, which the exports give the missing reason "
                        f"{reasons[category.code]!r}"
                        + _line(cb, name, ("variables", var_name, "categories", index, "code")),
                        hint="give categories codes of 0 or more; negative codes are the "
                             "missing reasons' (schemas/package.yaml)")
        for var_name, var in table.variables.items():
            for other in var.combines:
                if other not in table.variables:
                    raise ConfigError(f"{where}: {var_name}: derive names unknown variable "
                                      f"{other!r}", hint=_one_of(table.variables))
                if isinstance(var.derive, AnyOf):
                    _check_any_of(where, var_name, var, var.derive, table.variables[other], other)
                if isinstance(var.derive, ClassesOf) and not table.variables[other].missing_column:
                    raise ConfigError(f"{where}: {var_name}: classes_of needs a numeric variable "
                                      f"with missing reasons, not {other!r}",
                                      hint="derive size classes from a mapped integer or number")
            if isinstance(var.derive, AnyOf):
                used = {c.value for part in var.derive.any_of
                        for c in table.variables[part].categories}
                for value in sorted(var.derive.counts.keys() - used):
                    raise ConfigError(f"{where}: {var_name}: any_of counts {value!r}, which "
                                      "is not a category of its parts",
                                      hint=f"parts are {', '.join(var.derive.any_of)}")
        slugs: dict[str, str] = {}
        for summary in table.summaries:
            if summary.slug in slugs:
                raise ConfigError(f"{where}: summaries {slugs[summary.slug]!r} and "
                                  f"{summary.title.get()!r} would have the same page "
                                  f"summaries/{table.table}/{summary.slug}.html",
                                  hint="give one of them an `id:` of its own (lower-case "
                                       "letters, digits, - and _)")
            slugs[summary.slug] = summary.title.get()
            for var_name in (summary.outcome, *summary.by, *summary.among):
                if var_name not in table.variables:
                    raise ConfigError(f"{where}: summary {summary.title.get()!r} names unknown "
                                      f"variable {var_name!r}", hint=_one_of(table.variables))
        for note in table.comparability:
            for var_name in note.variables:
                if var_name not in table.variables:
                    raise ConfigError(f"{where}: comparability note names unknown variable "
                                      f"{var_name!r}", hint=_one_of(table.variables))
            for source_id in (*note.sources, *note.not_affected):
                if source_id not in cb.sources:
                    raise ConfigError(f"{where}: comparability note names unknown source "
                                      f"{source_id!r}", hint=_one_of(cb.sources, "sources"))
    _check_languages(cb)
    for source in cb.sources.values():
        _check_source(cb, source)


def _line(cb: Codebooks, key: str, loc: tuple) -> str:
    """" (line N)" for a setting of a codebook, where it is found."""
    line = yaml_line(cb.files[key], loc)
    return f" (line {line})" if line else ""


def _check_derivations(cb: Codebooks, name: str) -> None:
    """No variable derived from itself, directly or through others: the order of derivation
    must exist."""
    table = cb.tables[name]
    state: dict[str, str] = {}  # visiting, done

    def visit(var_name: str, path: list[str]) -> None:
        if state.get(var_name) == "done" or var_name not in table.variables:
            return  # an unknown name is reported by check_package
        if state.get(var_name) == "visiting":
            cycle = path[path.index(var_name):] + [var_name]
            raise ConfigError(
                f"{shown_path(cb.files[name])}: variables.{cycle[0]}.derive: {cycle[0]} is "
                f"derived from itself ({' → '.join(cycle)})"
                + _line(cb, name, ("variables", cycle[0], "derive")),
                hint="derive each variable from others that are mapped, or derived from mapped "
                     "ones")
        state[var_name] = "visiting"
        for other in table.variables[var_name].combines:
            visit(other, [*path, var_name])
        state[var_name] = "done"

    for var_name in table.variables:
        visit(var_name, [])


def _check_crosswalks(cb: Codebooks) -> None:
    """Each reference vintage has at most one crosswalk onwards, within its country, and
    following them never comes back to where it began."""
    refs = cb.package.municipality_references
    walks = cb.package.municipality_crosswalks
    where = shown_path(cb.files["package"])
    onwards: dict[str, int] = {}
    for index, walk in enumerate(walks):
        at = _line(cb, "package", ("municipality_crosswalks", index))
        if walk.from_ in onwards:
            raise ConfigError(f"{where}: municipality_crosswalks: two crosswalks lead on from "
                              f"{walk.from_!r}{at}",
                              hint="keep one crosswalk from each vintage to the next")
        if refs[walk.from_].country != refs[walk.to].country:
            raise ConfigError(f"{where}: municipality_crosswalks: {walk.from_!r} and {walk.to!r} "
                              f"are classifications of different countries{at}",
                              hint="a crosswalk joins two vintages of one country's codes")
        onwards[walk.from_] = index
    for start in onwards:
        seen, here = [start], start
        while here in onwards:
            here = walks[onwards[here]].to
            if here in seen:
                raise ConfigError(
                    f"{where}: municipality_crosswalks: the crosswalks go round in a circle "
                    f"({' → '.join([*seen[seen.index(here):], here])})"
                    + _line(cb, "package", ("municipality_crosswalks", onwards[here])),
                    hint="crosswalks lead from older vintages to newer ones, never back")
            seen.append(here)


def _check_any_of(where: str, name: str, var: HarmonizedVariable, rule: AnyOf,
                  part: HarmonizedVariable, part_name: str) -> None:
    """The combination's categories are yes and no; so are its parts', and any other category
    of a part is counted as yes or no by the rule."""
    if [c.value for c in var.categories] != ["yes", "no"]:
        raise ConfigError(f"{where}: {name}: any_of makes the categories yes and no (in that "
                          "order), and only those", hint=f"give {name} the categories yes, no")
    values = [c.value for c in part.categories]
    if not {"yes", "no"} <= set(values):
        raise ConfigError(f"{where}: {name}: any_of combines yes/no variables, but {part_name!r} "
                          "has no category yes or no",
                          hint="derive from variables with the categories yes and no")
    uncounted = [v for v in values if v not in ("yes", "no") and v not in rule.counts]
    if uncounted:
        raise ConfigError(f"{where}: {name}: {part_name} has the category {uncounted[0]!r}, and "
                          f"any_of does not say how it counts",
                          hint=f"add `counts: {{{uncounted[0]}: 'yes'}}` (or 'no') under "
                               f"derive of {name}")


def labels_in(value: object, loc: tuple = ()) -> Iterable[tuple[tuple, Labels]]:
    """Every text in several languages inside a codebook model, with its location (the keys
    leading to it), for the language checks."""
    if isinstance(value, Labels):
        yield loc, value
    elif isinstance(value, BaseModel):
        for name, field_info in type(value).model_fields.items():
            yield from labels_in(getattr(value, name), (*loc, field_info.alias or name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from labels_in(item, (*loc, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from labels_in(item, (*loc, index))


def _check_languages(cb: Codebooks) -> None:
    """Labels only in the package's languages; a source's language among them."""
    languages = cb.package.languages
    hint = ("add it to `languages:` in schemas/package.yaml (then every harmonized label needs a "
            "text in it), or correct the code")
    for key, model in (("package", cb.package), *cb.tables.items(),
                       *((s.id, s.design) for s in cb.sources.values() if s.design)):
        path = cb.files[key]
        for loc, labels in labels_in(model, ("design",) if key in cb.sources else ()):
            for lang in labels.root:
                if lang not in languages:
                    line = line_of(path.read_text(encoding="utf-8"), (*loc, lang))
                    raise ConfigError(
                        f"{shown_path(path)}: {'.'.join(map(str, loc))}: language {lang!r} is not "
                        f"among the package's languages ({', '.join(languages)})"
                        + (f" (line {line})" if line else ""), hint=hint)
    for source in cb.sources.values():
        if source.language not in languages and source.language != PLACEHOLDER:
            path = cb.files[source.id]
            line = line_of(path.read_text(encoding="utf-8"), ("language",))
            raise ConfigError(f"{shown_path(path)}: language {source.language!r} is not among the "
                              f"package's languages ({', '.join(languages)})"
                              + (f" (line {line})" if line else ""), hint=hint)


def _check_source(cb: Codebooks, source: SourceCodebook) -> None:
    where = shown_path(cb.files[source.id])
    table = cb.tables.get(source.table)
    if table is None:
        raise ConfigError(f"{where}: table {source.table!r} has no codebook in schemas/harmonized/",
                          hint=_one_of(cb.tables, "tables"))
    if source.interview_date is not None and (
            source.variables.get(source.interview_date) is None
            or source.variables[source.interview_date].type not in ("date", "datetime")):
        raise ConfigError(f"{where}: interview_date {source.interview_date!r} is not a date or "
                          "datetime variable of this source",
                          hint="name the variable holding the date of the interview")
    for role, name in (("id_variable", source.id_variable),
                       ("municipality.variable", source.municipality.variable)):
        if name not in source.variables and name != PLACEHOLDER:  # a draft's: coprod.review
            raise ConfigError(f"{where}: {role} names unknown variable {name!r}",
                              hint="name a variable declared under variables:")
    # An undeclared reference is what a draft leaves when no classification fits its codes:
    # validate and build report it with the draft's other placeholders (coprod.review).
    ref = cb.package.municipality_references.get(source.municipality.reference)
    if ref is not None and ref.country != source.country:
        raise ConfigError(f"{where}: municipality.reference {source.municipality.reference!r} is "
                          f"a classification of {ref.country!r}, not of {source.country!r}",
                          hint=_one_of([k for k, r in cb.package.municipality_references.items()
                                        if r.country == source.country] or ["(none yet)"],
                                       f"references of {source.country!r}"))
    for var_name, var in table.variables.items():
        values = [c.value for c in var.categories]
        if var.derive == "country" and source.country not in values:
            raise ConfigError(
                f"{where}: country {source.country!r} (from the id {source.id}) is not a "
                f"category of {table.table}.{var_name} in {shown_path(cb.files[table.table])}",
                hint=f"add it under variables.{var_name}.categories: `- {{value: "
                     f"{source.country!r}, code: <ISO 3166 numeric code>, label: {{...}}}}` with "
                     "its name in every language of the package")
    mapped = {n for n, v in table.variables.items() if v.derive is None}
    for name in sorted(mapped - source.mappings.keys()):
        raise ConfigError(f"{where}: harmonized variable {name!r} has no mapping",
                          hint="map it from a source variable, or write `not_asked`")
    for name, mapping in source.mappings.items():
        target = table.variables.get(name)
        if target is None or target.derive is not None:
            raise ConfigError(f"{where}: mappings: {name!r} is not a mapped variable of table "
                              f"{source.table!r}",
                              hint=_one_of(sorted(n for n, v in table.variables.items()
                                                  if v.derive is None)))
        if is_not_asked(mapping):
            continue
        _check_mapping(where, source, name, target, mapping)


def _check_mapping(where: str, source: SourceCodebook, name: str, target: HarmonizedVariable,
                   mapping: Mapping) -> None:
    var = source.variables.get(mapping.from_)
    if var is None:
        raise ConfigError(f"{where}: mappings.{name}: unknown source variable {mapping.from_!r}",
                          hint="map from a variable declared under variables: (renamed?)")
    if var.free_text:
        raise ConfigError(f"{where}: mappings.{name}: {mapping.from_!r} is free text and is "
                          "never published", hint="map another variable, or write `not_asked`")
    if target.required and (var.missing or var.blank):
        raise ConfigError(f"{where}: mappings.{name}: {name} is required, but {mapping.from_!r} "
                          "has missing codes or may be blank",
                          hint=f"a required variable has a value in every row: drop `missing` "
                               f"and `blank` from {mapping.from_}, or map another variable")
    if target.type == "categorical":
        if mapping.recode is None:
            raise ConfigError(f"{where}: mappings.{name}: a categorical variable needs recode",
                              hint="add `recode: {code: category, ...}`")
        allowed = {c.value for c in target.categories}
        for code, value in mapping.recode.items():
            if value not in allowed:
                raise ConfigError(f"{where}: mappings.{name}: code {code!r} recodes to "
                                  f"{value!r}, which is not a category of {name}",
                                  hint=f"categories are: {', '.join(sorted(allowed))}")
            if code in var.missing:
                raise ConfigError(f"{where}: mappings.{name}: code {code!r} is a missing code "
                                  f"({var.missing[code]}); missing codes map themselves",
                                  hint=f"remove code {code!r} from the recode")
    elif mapping.recode is not None:
        raise ConfigError(f"{where}: mappings.{name}: recode is only for categorical variables",
                          hint=f"remove the recode: {name} takes the value as it is")
    temporal = {"date", "month"}
    if (target.type in temporal) != (var.type in ("date", "datetime")) and not (
            target.type == "string"):
        raise ConfigError(f"{where}: mappings.{name}: {name} is {target.type}, but "
                          f"{mapping.from_!r} is {var.type}",
                          hint="map a date or month variable from a date or datetime one, and "
                               "dates only to date, month or string variables")
