"""What a person must still decide about the codebooks, found without reading any data:

- **placeholders** a drafted codebook left (``'?'``, ``DRAFT``, an unset fieldwork, a municipality
  reference no classification declares): errors, so that a draft is never published, whether or
  not its ``review:`` list was emptied;
- **dropped questions**: a harmonized variable that an earlier wave of the same country and
  survey maps, written as a bare ``not_asked``: an error until the codebook says why
  (``not_asked: <reason>``);
- **comparability notes not reviewed** for a source they would cover (see
  :class:`coprod.codebook.ComparabilityNote`): findings;
- **source variables no mapping uses**: findings.

Each names the codebook file and line. ``coprod validate`` reports them with the data problems;
the build refuses to publish while any error remains.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .codebook import (
    PLACEHOLDER,
    Codebooks,
    ComparabilityNote,
    Mapping,
    SourceCodebook,
    shown_path,
    yaml_line,
)

DRAFT = "DRAFT"


@dataclass(frozen=True)
class Finding:
    """One thing to decide, at a place in a codebook file."""

    check: str  # a slug of coprod.validate.CHECKS
    file: str  # the codebook, as shown (schemas/...)
    line: int | None
    key: str  # the dotted path of the setting, e.g. variables.samarb.values.3
    value: str | None
    message: str  # what is wrong and what to do

    def text(self) -> str:
        return f"{self.file}{f':{self.line}' if self.line else ''}: {self.key}: {self.message}"


@dataclass(frozen=True)
class Review:
    """Findings per source id (``""`` for the package and harmonized codebooks)."""

    errors: dict[str, list[Finding]] = field(default_factory=dict)
    warnings: dict[str, list[Finding]] = field(default_factory=dict)

    def all_errors(self) -> list[Finding]:
        return [f for findings in self.errors.values() for f in findings]


def review(codebooks: Codebooks) -> Review:
    result = Review()
    for key in ("package", *codebooks.tables):
        found = list(placeholders(codebooks.files[key]))
        if found:
            result.errors.setdefault("", []).extend(found)
    for source in sorted(codebooks.sources.values(), key=lambda s: s.id):
        errors = [*placeholders(codebooks.files[source.id]),
                  *_unset(codebooks, source), *dropped_questions(codebooks, source)]
        warnings = [*unreviewed_notes(codebooks, source), *unused_variables(codebooks, source)]
        if errors:
            result.errors[source.id] = errors
        if warnings:
            result.warnings[source.id] = warnings
    return result


# --- placeholders --------------------------------------------------------------------------


def _scalars(node: yaml.Node, loc: tuple = ()) -> Iterator[tuple[tuple, yaml.ScalarNode]]:
    """Every scalar value of a YAML document with the keys leading to it."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(value, (*loc, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            yield from _scalars(value, (*loc, index))
    elif isinstance(node, yaml.ScalarNode):
        yield loc, node


def placeholders(path: Path) -> Iterator[Finding]:
    """The ``'?'`` and ``DRAFT`` texts a drafted codebook leaves for a person to write."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"),
                            Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError):
        return  # reported when the codebook is loaded
    if root is None:
        return
    for loc, node in _scalars(root):
        text = node.value.strip()
        if text == PLACEHOLDER or DRAFT in text:
            what = "a placeholder" if text == PLACEHOLDER else "marked DRAFT"
            yield Finding("draft-placeholder", shown_path(path), node.start_mark.line + 1,
                          ".".join(map(str, loc)), node.value,
                          f"{node.value!r} is {what}, written by `coprod new-source`: write the "
                          "real text (or code), then validate again")


def unchecked(codebooks: Codebooks, source: SourceCodebook) -> bool:
    """Whether a source's data cannot be validated yet: its draft has not named its id or
    municipality variable, or a declared classification for its municipality codes."""
    return (PLACEHOLDER in (source.id_variable, source.municipality.variable)
            or source.municipality.reference not in codebooks.package.municipality_references)


def _unset(codebooks: Codebooks, source: SourceCodebook) -> Iterator[Finding]:
    path = codebooks.files[source.id]
    if not source.fieldwork:
        yield Finding("draft-placeholder", shown_path(path), yaml_line(path, ("fieldwork",)),
                      "fieldwork", source.fieldwork,
                      "the fieldwork period is not set: write it as YYYY-MM/YYYY-MM")
    reference = source.municipality.reference
    if reference not in codebooks.package.municipality_references:
        known = [k for k, r in codebooks.package.municipality_references.items()
                 if r.country == source.country]
        yield Finding("undeclared-reference", shown_path(path),
                      yaml_line(path, ("municipality", "reference")), "municipality.reference",
                      reference,
                      f"{reference!r} is not a municipality classification declared in "
                      "schemas/package.yaml: "
                      + (f"name one of {', '.join(known)}, or add" if known else "add")
                      + " the classification the codes belong to (a file in reference/ and an "
                        "entry under municipality_references)")


# --- questions dropped without a word ------------------------------------------------------


def earlier_waves(codebooks: Codebooks, source: SourceCodebook) -> list[SourceCodebook]:
    """The sources of the same country and table before this one, latest first."""
    return sorted((s for s in codebooks.sources.values()
                   if s.country == source.country and s.table == source.table
                   and s.wave < source.wave), key=lambda s: s.wave, reverse=True)


def dropped_questions(codebooks: Codebooks, source: SourceCodebook) -> Iterator[Finding]:
    path = codebooks.files[source.id]
    earlier = earlier_waves(codebooks, source)
    for name, mapping in source.mappings.items():
        if mapping != "not_asked":  # a bare not_asked; with a reason it is decided
            continue
        asked = next((s for s in earlier if isinstance(s.mappings.get(name), Mapping)), None)
        if asked is None:
            continue
        previous = asked.mappings[name]
        assert isinstance(previous, Mapping)
        yield Finding(
            "dropped-question", shown_path(path), yaml_line(path, ("mappings", name)),
            f"mappings.{name}", "not_asked",
            f"{asked.id} maps {name} from {previous.from_}, but here it is not_asked for every "
            f"row: map it from the column that asks it now (renamed?), or say why it was "
            f"dropped: `{name}: {{not_asked: <reason>}}`")


# --- comparability notes and unused variables ----------------------------------------------


def unreviewed(note: ComparabilityNote, codebooks: Codebooks,
               source: SourceCodebook) -> bool:
    """Whether a note would cover a source but does not say so: it lists every earlier source
    of the source's country and table (so it is about that country, not about one wave), and
    neither lists the source nor declares it not affected."""
    if source.id in note.sources or source.id in note.not_affected:
        return False
    earlier = earlier_waves(codebooks, source)
    return bool(earlier) and all(s.id in note.sources for s in earlier)


def unreviewed_notes(codebooks: Codebooks, source: SourceCodebook) -> Iterator[Finding]:
    table = codebooks.tables[source.table]
    path = codebooks.files[source.table]
    for index, note in enumerate(table.comparability):
        if unreviewed(note, codebooks, source):
            yield Finding(
                "note-not-reviewed", shown_path(path), yaml_line(path, ("comparability", index)),
                f"comparability.{index}", source.id,
                f"the note on {', '.join(note.variables)} ({note.severity}) lists every earlier "
                f"{source.country} source but not {source.id}: add {source.id} to its sources if "
                "the difference still holds, or to not_affected if it does not")


def unused_variables(codebooks: Codebooks, source: SourceCodebook) -> Iterator[Finding]:
    path = codebooks.files[source.id]
    used = {source.id_variable, source.municipality.variable,
            *(m.from_ for m in source.mappings.values() if isinstance(m, Mapping))}
    for name, var in source.variables.items():
        if name in used or var.free_text or var.not_harmonized:
            continue
        yield Finding("unused-variable", shown_path(path), yaml_line(path, ("variables", name)),
                      f"variables.{name}", None,
                      f"no harmonized variable is made from {name}: map it (a new question may "
                      "need a new harmonized variable), or say why not with "
                      "`not_harmonized: <reason>` (`free_text: true` for text never published)")
