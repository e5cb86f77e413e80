"""Validation as the package stage reads (DESIGN §3): each source's file is read and validated
block by block (:func:`coprod.read.read_blocks`) while harmonization takes its typed blocks
(:func:`coprod.harmonize.harmonize_batches`) and the writer its batches, so that the package is
made in one pass over the raw files and no raw file, typed source or harmonized table is held
whole. What needs all of a file's rows adds up over its blocks: repeated ids (hashes of the ids
as validation compares them; the file is validated whole when two are equal) and the missing
reasons compared with the previous wave.

A block with a problem, or a warning, ends its source's stream: nothing more of that source is
harmonized, and once the pass is over the file is validated whole
(:func:`coprod.validate.validate_file`), whose report names every problem with its row, line and
value, as it always has. The build then stops and publishes that report alone: a failing build
holds a file whole, a passing one never does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

import polars as pl

from .codebook import Codebooks, SourceCodebook
from .errors import CoprodError, RawFileError
from .project import Project
from .read import read_blocks
from .reference import Municipalities
from .reference import municipalities as load_municipalities
from .review import Finding, Review, earlier_waves, review, unchecked
from .validate import (
    Problem,
    Reasons,
    Report,
    SourceReport,
    identity,
    lost_missing_codes,
    reasons,
    translation_problems,
    validate_file,
    validate_source,
)


class SourceStream:
    """A source's typed blocks in file order, each validated as it is read, until one has a
    problem. Once a pass over them ends, :attr:`complete` says whether every block came, and
    :attr:`report` holds the file's report when every block was valid, without a warning, and
    no id repeats across blocks; else it is None and :func:`validate_file` says what and where
    (a warning or a problem of a block may be one only the whole file states exactly). It can
    be taken again: a harmonization gate that fails reads the file again to name the ids."""

    def __init__(self, project: Project, source: SourceCodebook, codebooks: Codebooks,
                 municipalities: Municipalities,
                 progress: Callable[[str], None] = lambda _: None) -> None:
        self.project, self.source, self.codebooks = project, source, codebooks
        self.municipalities, self.progress = municipalities, progress
        self.report: SourceReport | None = None
        self.reasons: Reasons | None = None
        self.complete = False
        self.passes = 0  # passes that ran to their end

    def __iter__(self) -> Iterator[pl.DataFrame]:
        source = self.source
        if not self.passes:
            self.progress(f"validating {source.id}")
        self.report = self.reasons = None
        self.complete, exact = False, True  # exact: no block has a warning
        unique = [name for name, var in source.variables.items()
                  if var.unique or name == source.id_variable]
        hashes: dict[str, list[pl.Series]] = {name: [] for name in unique}
        counted: Reasons | None = None
        file = source.file
        blocks = read_blocks(self.project, source, parse_integers=True)
        try:
            for raw in blocks:
                frame, report = validate_source(raw, source, self.codebooks,
                                                self.municipalities.names)
                if frame is None:
                    return
                exact = exact and not report.warnings
                found = reasons(frame, source)
                counted = found if counted is None else counted + found
                for name in unique:
                    hashes[name].append(frame.select(identity(pl.col(name), frame.schema[name])
                                                     .drop_nulls().hash()).to_series())
                file = report.file
                yield frame
            self.complete = True
        except RawFileError:
            return
        finally:
            blocks.close()
            self.passes += 1
        if counted is None or not exact or any(
                pl.concat(parts).n_unique() != sum(map(len, parts))
                for parts in hashes.values() if parts):
            return
        self.report, self.reasons = SourceReport(source.id, file, counted.rows), counted


@dataclass
class Streaming:
    """The sources of a build (``sources``, in the report's order; drafts have no stream),
    each validated as its blocks are taken; :meth:`report` once they were (a source not taken
    is read then). ``keep``: keep each valid
    source's typed frame in :attr:`frames`; ``keep_raw``: read each file whole and keep the
    frame as read in :attr:`raw` (`coprod validate --failing-rows`)."""

    project: Project
    codebooks: Codebooks
    found: Review
    streams: dict[str, SourceStream]
    municipalities: dict[str, Municipalities]
    sources: list[str]
    keep: bool = False
    keep_raw: bool = False
    lost_codes: bool = True  # compare each source's missing reasons with the previous wave
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    raw: dict[str, pl.DataFrame] = field(default_factory=dict)
    # valid sources whose stream stopped before its end: what was taken of them is not whole
    incomplete: set[str] = field(default_factory=set)
    _report: Report | None = field(default=None, repr=False)

    def report(self) -> Report:
        if self._report is None:
            self._report = self._made()
        return self._report

    def _made(self) -> Report:
        reports, counted = [], {}
        for source_id in self.sources:
            source = self.codebooks.sources[source_id]
            decided = decisions(self.found, source_id)
            stream = self.streams.get(source_id)
            if stream is None:  # a draft: its data is checked once it names them
                reports.append(SourceReport(source_id, source.file, 0, *decided))
                continue
            if not stream.passes and not self.keep_raw:
                if self.keep:
                    typed = list(stream)
                    if stream.report is not None:
                        self.frames[source_id] = pl.concat(typed, how="vertical", rechunk=False)
                    del typed
                else:
                    for _ in stream:
                        pass
            report = stream.report
            if report is None or stream.reasons is None:
                raw, frame, report = validate_file(self.project, source, self.codebooks,
                                                   stream.municipalities.names)
                if self.keep_raw and raw is not None:
                    self.raw[source_id] = raw.frame
                if frame is not None:
                    counted[source_id] = reasons(frame, source)
                    if self.keep:
                        self.frames[source_id] = frame
                    if stream.passes and not stream.complete:
                        self.incomplete.add(source_id)
            else:
                counted[source_id] = stream.reasons
            reports.append(replace(report, errors=decided[0] + report.errors,
                                   warnings=report.warnings + decided[1]))
        if self.lost_codes:
            reports = [with_lost_missing_codes(self.project, self.codebooks, report, counted)
                       for report in reports]
        return Report(tuple(reports), package_problems(self.codebooks, self.found))


def streaming(project: Project, codebooks: Codebooks, progress: Callable[[str], None],
              ids: Iterable[str] = (), **options: bool) -> Streaming:
    """The streams of the named sources (all when none are named), none taken yet; a draft
    has none. ``options``: those of :class:`Streaming`."""
    found = review(codebooks)
    streams, places = {}, {}
    wanted = list(ids) or sorted(codebooks.sources)
    for source_id in wanted:
        source = codebooks.sources[source_id]
        if unchecked(codebooks, source):
            continue
        places[source_id] = load_municipalities(project, codebooks.package,
                                                source.municipality.reference)
        streams[source_id] = SourceStream(project, source, codebooks, places[source_id],
                                          progress)
    return Streaming(project, codebooks, found, streams, places, wanted, **options)


def decisions(found: Review, source_id: str) -> tuple[tuple[Problem, ...], tuple[str, ...]]:
    """The review's errors (as problems) and warnings of a source's codebook."""
    return (tuple(finding_problem(f) for f in found.errors.get(source_id, ())),
            tuple(f.text() for f in found.warnings.get(source_id, ())))


def package_problems(codebooks: Codebooks, found: Review) -> tuple[Problem, ...]:
    """What the review and the translations find wrong with the package's codebooks."""
    return tuple([finding_problem(f) for f in found.errors.get("", ())]
                 + translation_problems(codebooks))


def finding_problem(finding: Finding) -> Problem:
    return Problem(None, finding.key, finding.value, finding.check, finding.message, finding.line,
                   finding.file)


def with_lost_missing_codes(project: Project, codebooks: Codebooks, report: SourceReport,
                            counted: Mapping[str, Reasons]) -> SourceReport:
    """The report with a finding for each missing reason the previous wave of the country had
    and this source lost (see :func:`coprod.validate.lost_missing_codes`); ``counted``: the
    :class:`~coprod.validate.Reasons` of each valid source of this run. The previous wave is
    read when this run did not; when it is not valid, there is nothing to say."""
    source = codebooks.sources[report.id]
    earlier = earlier_waves(codebooks, source)
    if report.id not in counted or not earlier:
        return report
    previous = earlier[0]
    before = counted.get(previous.id)
    if before is None and not unchecked(codebooks, previous):  # a draft's data is not checked
        try:
            stream = SourceStream(project, previous, codebooks, load_municipalities(
                project, codebooks.package, previous.municipality.reference))
            for _ in stream:
                pass
            before = stream.reasons
        except CoprodError:
            before = None
    if before is None:
        return report
    lost = lost_missing_codes(counted[report.id], source, before, previous, codebooks)
    return replace(report, warnings=report.warnings + tuple(lost)) if lost else report
