"""The stages as named steps: read → validate → harmonize → write → render.

Each step is a function of values; only :func:`write_package`, :func:`write_site` and the report
writer touch output folders, and they publish all-or-nothing. :func:`build` chains them and skips
a stage whose inputs (content hashes) have not changed since the last successful build.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import Busy, Unit, exclusive, publish, recover
from .codebook import Codebooks, load_codebooks
from .errors import CoprodError, GateError
from .incremental import outputs_present, stage_inputs, why_rerun
from .project import Project

# The data stack (polars, pandera, pyarrow) is imported by the stages that use it, so that a
# build with nothing to do answers without loading it.
if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

    from .disclosure.tables import TablePlan
    from .harmonize import Batches, Harmonized
    from .reference import Municipalities
    from .stream import Streaming
    from .validate import Report


class UsageError(CoprodError):
    exit_code = 2


Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class Validated:
    codebooks: Codebooks
    frames: dict[str, pl.DataFrame]
    report: Report
    municipalities: dict[str, Municipalities]
    raw: dict[str, pl.DataFrame] = field(default_factory=dict)  # as read, when asked to keep it


def load(project: Project, *, patterns: bool = True) -> Codebooks:
    return load_codebooks(project.schemas, patterns=patterns)


def validate(project: Project, codebooks: Codebooks, ids: Iterable[str] = (),
             progress: Progress = _quiet, *, keep_raw: bool = False,
             lost_codes: bool = True, frames: bool = True) -> Validated:
    """Read and validate the named sources (all when none are named); ``frames``: keep each
    valid one's typed frame (without, no file is held whole: ``coprod validate``);
    ``lost_codes``: compare the missing reasons of each with the previous wave of its
    country."""
    from .stream import streaming

    wanted = list(ids) or sorted(codebooks.sources)
    unknown = [i for i in wanted if i not in codebooks.sources]
    if unknown:
        raise UsageError(f"unknown source {', '.join(unknown)}",
                         hint=f"sources are: {', '.join(sorted(codebooks.sources))}")
    checking = streaming(project, codebooks, progress, wanted, keep=frames, keep_raw=keep_raw,
                         lost_codes=lost_codes)
    report = checking.report()
    return Validated(codebooks, checking.frames, report, checking.municipalities, checking.raw)


def report_file(project: Project, report: Report) -> dict[Path, bytes]:
    text = json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"
    return {project.reports / "validation.json": text.encode("utf-8")}


def write_report(project: Project, report: Report) -> Path:
    """Publish the validation report alone (``coprod validate``, or a build that stops at
    validation: the report of this run is what says why)."""
    (path, _), = report_file(project, report).items()
    publish(Unit(report_file(project, report)), journal(project))
    return path


def _awaiting_review(codebooks: Codebooks) -> None:
    drafts = [s for s in codebooks.sources.values() if s.review]
    if drafts:
        lines = [f"{codebooks.files[s.id].name}: {item}" for s in drafts for item in s.review]
        raise GateError("drafted codebook items await review:\n  " + "\n  ".join(lines[:30])
                        + (f"\n  … and {len(lines) - 30} more" if len(lines) > 30 else ""),
                        hint="check each item, fix the codebook where needed, and delete the "
                             "item from `review:`")


def refuse_drafts(codebooks: Codebooks) -> None:
    """Nothing drafted is published: not while a `review:` item remains, nor while a codebook
    holds a placeholder or a question dropped without a reason (with or without `review:`)."""
    from .review import review

    _awaiting_review(codebooks)
    errors = review(codebooks).all_errors()
    if errors:
        lines = [f.text() for f in errors]
        raise GateError("the codebooks are not finished:\n  " + "\n  ".join(lines[:30])
                        + (f"\n  … and {len(lines) - 30} more" if len(lines) > 30 else ""),
                        hint="write what each names, then run `coprod validate`")


def _harmonizable(validated: Validated) -> None:
    _awaiting_review(validated.codebooks)
    if not validated.report.valid:
        raise _invalid(validated.report)


def _invalid(report: Report) -> GateError:
    failing = [s.id for s in report.sources if not s.valid]
    return GateError(f"validation failed for {', '.join(failing) or 'the codebooks'}:\n  "
                     + "\n  ".join(report.summary()),
                     hint="run `coprod validate` to see every problem with its row")


def harmonize_validated(validated: Validated) -> Harmonized:
    """The harmonized tables, each whole."""
    from .harmonize import harmonize

    _harmonizable(validated)
    return harmonize(validated.codebooks, validated.frames, validated.municipalities)


def harmonize_in_batches(validated: Validated) -> Batches:
    """The harmonized tables as batches of rows, made as they are written."""
    from .harmonize import harmonize_batches

    _harmonizable(validated)
    return harmonize_batches(validated.codebooks, validated.frames, validated.municipalities)


def package_files(project: Project, codebooks: Codebooks,
                  harmonized: Harmonized | Batches) -> dict[Path, bytes]:
    """The package's public output files, through the privacy gate (nothing is written)."""
    return package_outputs(project, codebooks, harmonized)[0]


def restricted(project: Project) -> Path:
    """Where a restricted package's microdata bundle is built (never committed)."""
    return project.build / "restricted"


def package_outputs(project: Project, codebooks: Codebooks, harmonized: Harmonized | Batches
                    ) -> tuple[dict[Path, bytes], dict[str, bytes], dict[str, TablePlan]]:
    """The package's public files, (access: restricted) its microdata bundle, through the
    privacy gate, and the disclosure plan of each table; nothing is written. Batches are
    written and scanned as they are made."""
    from .privacy import local_paths, refuse, scan
    from .write import package_files as files_of

    local = local_paths(project.root)
    hits = []

    def scan_tables(arrow: dict[Path, pa.Table]) -> None:  # while Parquet is encoded
        hits.extend(scan({project.relative(p): table for p, table in arrow.items()}, local))

    package = files_of(codebooks, harmonized.batches, project.root, scan_tables,
                       fieldwork=harmonized.fieldwork)
    hits += scan({project.relative(path): data for path, data in package.files.items()
                  if path not in package.parquet}, local)
    hits += scan({f"{project.relative(restricted(project))}/{name}": data
                  for name, data in package.bundle.items() if not name.endswith(".parquet")},
                 local)
    # a batch's metadata and categories are those of every batch: each hit said once
    refuse(sorted(dict.fromkeys(hits), key=lambda hit: hit.file))
    return package.files, package.bundle, package.plans


@dataclass(frozen=True)
class Packaged:
    files: dict[Path, bytes]  # processed/, datapackage.json and the validation report
    warnings: tuple[str, ...]
    bundle: dict[str, bytes] = field(default_factory=dict)  # access: restricted
    # the disclosure plans codebook.json follows, made from the tables in ``files``/``bundle``
    plans: dict[str, TablePlan] = field(default_factory=dict)

    def unit(self, project: Project) -> Unit:
        return Unit(dict(self.files), {restricted(project): self.bundle} if self.bundle else {})

    def staged(self, project: Project) -> dict[Path, bytes]:
        """Every file this publishes, by its path: what the site is made from."""
        return {**self.files, **{restricted(project) / name: data
                                 for name, data in self.bundle.items()}}


def package(project: Project, codebooks: Codebooks, progress: Progress = _quiet) -> Packaged:
    """validate → harmonize → the bytes of processed/, datapackage.json and the validation
    report, checked, nothing written. When validation fails, or a harmonization gate does,
    the validation report is published alone (it says why) and the build stops.

    One pass over the raw files (coprod.stream): each file is validated block by block as the
    tables are harmonized and written batch by batch, so that no file or table is held whole.
    Where that cannot say everything exactly (codebooks that already fail review, a file
    valid as a whole that a block of it could not show to be), the files are validated
    whole first, as they were before the pass was made one."""
    from .harmonize import harmonize_batches
    from .stream import package_problems, streaming

    checking = streaming(project, codebooks, progress)
    if any(s.review for s in codebooks.sources.values()) or checking.found.errors or (
            package_problems(codebooks, checking.found)):  # refused: the whole report says why
        return _package_whole(project, codebooks, progress)
    progress("making processed/ and datapackage.json")
    harmonized = harmonize_batches(codebooks, checking.streams, checking.municipalities,
                                   progress=progress)
    batches = _checked(harmonized.batches, project, checking)
    try:
        files, bundle, plans = package_outputs(project, codebooks,
                                               replace(harmonized, batches=batches))
    except _Incomplete:
        return _package_whole(project, codebooks, progress)
    return _packaged(project, checking.report(), harmonized, (files, bundle, plans))


def _package_whole(project: Project, codebooks: Codebooks, progress: Progress) -> Packaged:
    """:func:`package` from every valid file's typed frame held whole (validated first)."""
    validated = validate(project, codebooks, progress=progress)
    progress("harmonizing")
    try:
        harmonized = harmonize_in_batches(validated)
    except GateError:
        write_report(project, validated.report)
        raise
    progress("making processed/ and datapackage.json")
    batches = _reporting(harmonized.batches, project, validated.report)
    made = package_outputs(project, codebooks, replace(harmonized, batches=batches))
    return _packaged(project, validated.report, harmonized, made)


def _packaged(project: Project, report: Report, harmonized: Batches,
              made: tuple[dict[Path, bytes], dict[str, bytes], dict[str, TablePlan]]
              ) -> Packaged:
    """The package's files with the validation report, and every warning of the two."""
    files, bundle, plans = made
    warnings = tuple(f"{s.id}: {w}" for s in report.sources for w in s.warnings)
    return Packaged({**files, **report_file(project, report)},
                    warnings + tuple(harmonized.warnings), bundle, plans)


class _Incomplete(Exception):
    """A file valid as a whole whose stream stopped at a block that could not show it: what
    was made of it is not whole."""


def _reporting(batches: Iterator[tuple[str, pl.DataFrame]], project: Project,
               report: Report) -> Iterator[tuple[str, pl.DataFrame]]:
    """The batches; a harmonization gate that fails after the last publishes the validation
    report alone, as one that fails before the first does."""
    try:
        yield from batches
    except GateError:
        write_report(project, report)
        raise


def _checked(batches: Iterator[tuple[str, pl.DataFrame]], project: Project,
             checking: Streaming) -> Iterator[tuple[str, pl.DataFrame]]:
    """:func:`_reporting` for files validated as they are read: their report is known once
    the batches are made, and stops the build then if it fails (before any gate's error,
    which invalid rows may have caused)."""
    try:
        yield from batches
    except GateError:
        report = checking.report()
        if report.valid and checking.incomplete:
            raise _Incomplete(", ".join(sorted(checking.incomplete))) from None
        write_report(project, report)
        if not report.valid:
            raise _invalid(report) from None
        raise
    report = checking.report()
    if not report.valid:
        write_report(project, report)
        raise _invalid(report)
    if checking.incomplete:
        raise _Incomplete(", ".join(sorted(checking.incomplete)))


def write_package(project: Project, codebooks: Codebooks,
                  progress: Progress = _quiet) -> tuple[list[Path], tuple[str, ...]]:
    """``coprod harmonize``: the package and its report, published as one unit."""
    packaged = package(project, codebooks, progress)
    progress("publishing")
    changed = publish(packaged.unit(project), journal(project))
    return [p for p in changed if p.suffix != ".json" or p.parent != project.reports], \
        packaged.warnings


def site_files(project: Project, codebooks: Codebooks,
               outputs: Mapping[Path, bytes] | None = None,
               plans: Mapping[str, TablePlan] | None = None) -> dict[str, bytes]:
    """The site, rendered from processed/ and schemas/ (or from ``outputs`` about to replace
    processed/ in the same transaction, through the package's privacy gate already), through
    the privacy gate; nothing is written.
    ``plans``: the disclosure plans the package stage made of the tables in ``outputs`` with
    these codebooks (a build), so that they are not made again."""
    from .privacy import check, local_paths
    from .site.render import render_site

    refuse_drafts(codebooks)
    files = render_site(project, codebooks, outputs or {}, plans)
    # The package stage's gate scanned every Parquet file in ``outputs`` (the Arrow table it is
    # written from): a download that is one of them, the same bytes, is not scanned again.
    scanned = [data for path, data in (outputs or {}).items() if path.suffix == ".parquet"]
    check({f"build/site/{name}": data for name, data in files.items()
           if not any(data is done for done in scanned)}, local_paths(project.root))
    return files


def write_site(project: Project, codebooks: Codebooks) -> Path:
    """``coprod site``: render the site and swap it in whole."""
    publish(Unit(folders={project.site: site_files(project, codebooks)}), journal(project))
    return project.site


def reproducibility(project: Project, progress: Progress = _quiet) -> list[str]:
    """The committed outputs that differ from what a fresh build produces (nothing is written).
    The reproducibility gate for CI: an empty list means processed/ and datapackage.json are
    exactly what the raw files and codebooks give."""
    codebooks = load(project)
    validated = validate(project, codebooks, progress=progress)
    harmonized = harmonize_validated(validated)
    files = package_files(project, codebooks, harmonized)
    differing = [project.relative(path) for path, data in files.items()
                 if not path.is_file() or path.read_bytes() != data]
    expected = set(files)
    extra = [p for p in project.processed.glob("*") if p.is_file() and p not in expected]
    return sorted(differing + [f"{project.relative(p)} (not produced by the build)"
                               for p in extra])


# --- incremental builds ---------------------------------------------------------------------------


@dataclass
class BuildResult:
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    changed: list[Path] = field(default_factory=list)
    warnings: tuple[str, ...] = ()


@contextmanager
def locked(project: Project) -> Iterator[None]:
    """One writer at a time: a second build, harmonize or site run is refused, not queued."""
    try:
        with exclusive(project.build / ".lock"):
            recover_interrupted(project)
            yield
    except Busy as exc:
        pid = f" (process {exc})" if str(exc) else ""
        raise LockedError(f"another coprod run is writing this package{pid}",
                          hint="wait for it to finish, then run the command again") from None


def journal(project: Project) -> Path:
    return project.build / ".publish-journal.json"


def outputs(project: Project) -> Callable[[Path], bool]:
    """Whether a path is one a coprod command publishes in this package: the journal may name
    nothing else."""
    root = project.root.resolve()
    fixed = {root / "datapackage.json", root / "build" / "reports" / "validation.json",
             root / "build" / "state.json", root / "build" / "site",
             root / "build" / "restricted"}

    def allowed(path: Path) -> bool:
        if not path.is_absolute() or ".." in path.parts:
            return False
        return path in fixed or (path.parent == root / "processed" and (
            path.name == "codebook.json" or re.fullmatch(r"[a-z][a-z0-9_]*\.parquet", path.name)
            is not None))

    return allowed


def recover_interrupted(project: Project) -> None:
    """Undo what an interrupted run left half done (or finish what it had committed); then
    remove the staging it left behind."""
    shown = project.relative(journal(project))
    recover(journal(project), outputs(project), shown)
    if not project.build.is_dir():
        return
    for leftover in [*project.build.glob(".site-*"), *project.build.glob(".restricted-*")]:
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
    for folder in (project.processed, project.root, project.reports, project.build):
        for stale in folder.glob(".*.tmp") if folder.is_dir() else ():
            if stale.is_file():
                stale.unlink(missing_ok=True)


class LockedError(CoprodError):
    exit_code = 3


def build(project: Project, *, force: bool = False, progress: Progress = _quiet) -> BuildResult:
    """validate → harmonize → package → site, skipping stages whose inputs did not change."""
    with locked(project):
        return _build(project, force=force, progress=progress)


def _build(project: Project, *, force: bool, progress: Progress) -> BuildResult:
    state_path = project.build / "state.json"
    try:
        state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() \
            else {}
    except (OSError, ValueError):
        state = {}
    if not isinstance(state, dict):  # a state of another shape: rebuild everything
        state = {}
    # What changed is decided without the checks that need the data stack; the package stage
    # reruns whenever a codebook changed, and then loads them with every check. When it is
    # sure to run (forced, or no build before), they are loaded once, with every check.
    sure = force or "package" not in state
    codebooks = load(project, patterns=sure)
    result = BuildResult()
    unit = Unit()
    staged: dict[Path, bytes] = {}
    plans: dict[str, TablePlan] | None = None  # made by the package stage, if it runs

    inputs = stage_inputs(project, codebooks)
    reason = "forced" if force else why_rerun(state.get("package"), inputs["package"],
                                              outputs_present(project, "package", codebooks))
    if reason:
        progress(f"package: {reason}")
        if not sure:
            codebooks = load(project)
        packaged = package(project, codebooks, progress)
        unit = packaged.unit(project)
        staged = packaged.staged(project)
        plans = packaged.plans
        result.warnings = packaged.warnings
        result.ran.append(f"package ({reason})")
        state = {**state, "package": inputs["package"]}
        # the site depends on the new outputs, which are not on disk yet
        inputs = stage_inputs(project, codebooks, staged)
    else:
        result.skipped.append("package")

    reason = "forced" if force else why_rerun(state.get("site"), inputs["site"],
                                              outputs_present(project, "site", codebooks))
    if reason:
        progress(f"rendering the site ({reason})")
        unit.folders[project.site] = site_files(project, codebooks, staged, plans)
        result.ran.append(f"site ({reason})")
    else:
        result.skipped.append("site")
    state["site"] = inputs["site"]
    unit.files[state_path] = (json.dumps(state, indent=2, sort_keys=True) + "\n").encode()
    progress("publishing")
    changed = publish(unit, journal(project))  # everything of this build, or nothing
    result.changed = [p for p in changed if p in packaged_outputs(project, unit.files)]
    return result


def packaged_outputs(project: Project, files: Mapping[Path, bytes]) -> set[Path]:
    """The published package files among a unit's: processed/ and datapackage.json."""
    return {p for p in files if p == project.datapackage or p.parent == project.processed}
