"""The ``coprod`` command: a thin Click layer over :mod:`coprod.pipeline`.

Each command parses its arguments, calls one pipeline function and turns domain errors into a
message and an exit code (DESIGN §5). The data stack is imported inside the commands so that
``coprod --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from .errors import EXIT_CONFIG, EXIT_INTERRUPTED, EXIT_INVALID, CoprodError

if TYPE_CHECKING:
    from .project import Project
    from .validate import Report

EXIT_CODES = """\b
Exit codes:
  0  ok
  1  data invalid, or a build gate failed
  2  usage error
  3  configuration or I/O error
  4  privacy or disclosure gate
  130 interrupted"""


class Context:
    def __init__(self, root: Path | None, debug: bool) -> None:
        self.root = root
        self.debug = debug

    def project(self) -> Project:
        from .project import Project

        return Project.at(self.root) if self.root is not None else Project.find()


_signalled: list[int] = []  # the SIGTERMs received while a pipeline call ran


def _fail(ctx: Context, exc: BaseException) -> NoReturn:
    if ctx.debug:
        raise exc
    if isinstance(exc, KeyboardInterrupt):
        click.echo("Interrupted; the previous outputs are untouched.", err=True)
        if _signalled:
            # Terminated: end now. CPython reports a death by SIGINT instead of the exit code
            # when the interrupt landed while an extension module was starting up, even though
            # it was handled; staged files are gone and the lock is released by now.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)
        sys.exit(EXIT_INTERRUPTED)
    if isinstance(exc, CoprodError):
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    click.echo(f"Internal error: {type(exc).__name__}: {exc}\n  → this is a bug in coprod; "
               "rerun with --debug for the traceback and report it", err=True)
    sys.exit(EXIT_CONFIG)


def _stop(signum: int, frame: object) -> None:
    _signalled.append(signum)
    raise KeyboardInterrupt  # clean up staged files and exit 130, as for Ctrl-C


def run(ctx: Context, action):  # noqa: ANN001, ANN201 - any pipeline call
    """Run a pipeline call; SIGTERM during it is handled as Ctrl-C (exit 130, outputs whole).
    Outside it (starting, printing, exiting) SIGTERM keeps its default: there is nothing to
    clean up, and a KeyboardInterrupt while Python exits would escape every handler."""
    import signal

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        return action()
    except (Exception, KeyboardInterrupt) as exc:
        _fail(ctx, KeyboardInterrupt() if _signalled else exc)
    except BaseException:
        # The interrupt may land in a callback from polars' Rust code, which then panics (a
        # BaseException): it is still the interrupt.
        if _signalled:
            _fail(ctx, KeyboardInterrupt())
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def _log(message: str) -> None:
    click.echo(f"· {message}", err=True)


@contextmanager
def progress() -> Iterator[Callable[[str], None]]:
    """Progress of a long stage: a live status line on a terminal; plain, quiet lines in CI,
    logs and pipes, where a redrawn line would only be noise."""
    import os

    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield _log
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("starting") as status:
        def update(message: str) -> None:
            console.print(f"· {message}", highlight=False)
            status.update(f"{message} …")

        yield update


def _version(click_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """The tool's version, and the version of the data package it would work on: two things
    that are released apart."""
    if not value or click_ctx.resilient_parsing:
        return
    from importlib.metadata import version

    import yaml

    from .errors import CoprodError
    from .project import Project

    click.echo(f"coprod {version('coprod')} (the tool)")
    root = click_ctx.params.get("root")
    try:
        project = Project.at(root) if root is not None else Project.find()
        package = yaml.safe_load((project.schemas / "package.yaml").read_text(encoding="utf-8"))
        click.echo(f"data package {package['name']} {package['version']} "
                   f"({project.root})")
    except (CoprodError, OSError, yaml.YAMLError, KeyError, TypeError):
        click.echo("no data package here (pass --root before --version to name one)")
    click_ctx.exit()


@click.group(epilog=EXIT_CODES)
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="The data package folder (default: the one you are in).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("--version", is_flag=True, expose_value=False, callback=_version,
              help="Show the tool's version and the data package's, and exit.")
@click.pass_context
def main(click_ctx: click.Context, root: Path | None, debug: bool) -> None:
    """Validate, harmonize, package and document the Nordic co-production surveys.

    Works on the data package in the current directory (or --root), like git.

    \b
    Example:
      coprod build
    """
    click_ctx.obj = Context(root, debug)


@main.command()
@click.argument("sources", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="How to print the report: a table, JSON, or GitHub "
                                      "workflow annotations with a Markdown job summary.")
@click.option("--failing-rows", type=click.Path(file_okay=False, path_type=Path),
              help="Write each source's failing rows, with their problems, as CSV here.")
@click.pass_obj
def validate(ctx: Context, sources: tuple[str, ...], fmt: str, failing_rows: Path | None) -> None:
    """Validate raw extracts against their codebooks.

    Checks every source (or the SOURCES named, e.g. dk-institutions-2018) and writes
    build/reports/validation.json. Exits 1 when any data is invalid.

    With --format github, each problem is an annotation on its line of the raw file, and a
    Markdown summary goes to $GITHUB_STEP_SUMMARY (or, outside GitHub, after the annotations).

    \b
    Examples:
      coprod validate
      coprod validate no-institutions-2018 --format json
      coprod validate --format github --failing-rows build/failing-rows
    """
    from . import pipeline

    def action() -> tuple[Report, list[str], list[Path]]:
        project = ctx.project()
        codebooks = pipeline.load(project)
        validated = pipeline.validate(project, codebooks, sources,
                                      keep_raw=failing_rows is not None, frames=False)
        pipeline.write_report(project, validated.report)
        written: list[Path] = []
        if failing_rows is not None:
            from .annotate import failing_rows as write_failing_rows

            written = write_failing_rows(validated.report, validated.raw, codebooks,
                                         failing_rows)
        annotations: list[str] = []
        if fmt == "github":
            from .annotate import github_annotations

            annotations = github_annotations(validated.report, project, codebooks)
        return validated.report, annotations, written

    report, annotations, written = run(ctx, action)
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    elif fmt == "github":
        import os

        from .annotate import markdown_summary

        for line in annotations:
            click.echo(line)
        summary = markdown_summary(report)
        target = os.environ.get("GITHUB_STEP_SUMMARY")
        if target:
            with open(target, "a", encoding="utf-8") as handle:
                handle.write(summary)
        else:
            click.echo(summary)
    else:
        from .report import print_report

        print_report(report)
    for path in written:
        click.echo(f"Failing rows written to {path}", err=True)
    sys.exit(0 if report.valid else EXIT_INVALID)


@main.command()
@click.argument("variable")
@click.pass_obj
def codebook(ctx: Context, variable: str) -> None:
    """Print a harmonized variable's documentation.

    Labels in en/da/nb, categories with counts per source, lineage, availability and
    comparability notes, from processed/codebook.json. Name it as VARIABLE or TABLE.VARIABLE.

    \b
    Examples:
      coprod codebook collab_any
      coprod codebook associations.local_orientation
    """
    from .errors import ConfigError
    from .pipeline import UsageError
    from .report import find_variable, print_variable

    def action() -> tuple[dict, list[tuple[str, dict]]]:
        path = ctx.project().processed / "codebook.json"
        if not path.is_file():
            raise ConfigError(f"{path.name}: not found in processed/",
                              hint="run `coprod harmonize` first")
        document = json.loads(path.read_text(encoding="utf-8"))
        found = find_variable(document, variable)
        if not found:
            names = sorted({v for t in document["tables"].values() for v in t["variables"]})
            raise UsageError(f"no harmonized variable {variable!r}",
                             hint=f"variables are: {', '.join(names)}")
        return document, found

    document, found = run(ctx, action)
    for table, var in found:
        print_variable(document, table, var)


@main.command()
@click.argument("variables", nargs=-1, required=True)
@click.option("--table", help="The table to take them from (when a variable is in more than one).")
@click.option("--country", "countries", multiple=True,
              help="Keep this country (code or name; repeat for more). Default: all.")
@click.option("--wave", "waves", type=int, multiple=True,
              help="Keep this wave (repeat for more). Default: all.")
@click.option("--source", "sources", multiple=True,
              help="Keep this source, e.g. dk-institutions-2018 (repeat for more).")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "sav", "dta"]),
              help="What to write (default: from the output's suffix).")
@click.option("--labels", is_flag=True,
              help="CSV only: category labels instead of numeric codes.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write; its codebook goes next to it as NAME.codebook.json.")
@click.pass_obj
def extract(ctx: Context, variables: tuple[str, ...], table: str | None,
            countries: tuple[str, ...], waves: tuple[int, ...], sources: tuple[str, ...],
            fmt: str | None, labels: bool, output: Path) -> None:
    """Write some variables of a table, for some countries and waves, with their codebook.

    Takes the VARIABLES named (as VARIABLE or TABLE.VARIABLE), their _missing columns and the
    identifying columns (respondent_id, source, country, wave), for the rows of the countries,
    waves and sources asked for, from the published Parquet tables. Writes CSV, Parquet, SPSS
    or Stata with labels, and NAME.codebook.json: the codebook of just those variables and
    sources, counts suppressed as in processed/codebook.json.

    \b
    Examples:
      coprod extract welfare_field collab_any attitude --country dk --wave 2018 -o dk.sav
      coprod extract associations.size_class --format csv --labels -o sizes.csv
    """
    from . import extract as extracts

    def action():  # noqa: ANN202 - (Extract, Path, Path)
        project = ctx.project()
        from .pipeline import load

        chosen = extracts.format_of(fmt, output)
        return extracts.write(project, load(project), variables, fmt=chosen, output=output,
                              table=table, countries=countries, waves=waves, sources=sources,
                              labels=labels)

    made, data, described = run(ctx, action)
    selection = made.selection
    click.echo(f"Wrote {data} ({made.rows.num_rows} rows, {made.rows.num_columns} columns of "
               f"{selection.table}, from {', '.join(selection.sources)}) and its codebook "
               f"{described}")


@main.command()
@click.argument("old")
@click.argument("new", required=False)
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True)
@click.option("--threshold", type=float, default=5.0, show_default=True,
              help="Report a variable whose distribution in a source moved by more than this "
                   "many percentage points.")
@click.option("--changelog", type=click.Path(dir_okay=False, path_type=Path),
              help="Also put the drafted entry at the top of this changelog file.")
@click.pass_obj
def diff(ctx: Context, old: str, new: str | None, fmt: str, threshold: float,
         changelog: Path | None) -> None:
    """Compare two builds and say which version bump the change needs.

    OLD and NEW are package folders or git refs (NEW defaults to this package as it is).
    Reports sources and rows added or removed, columns and categories added, removed or
    changed, and distribution shifts, then drafts the changelog entry.

    \b
    Examples:
      coprod diff origin/main
      coprod diff v0.1.0 HEAD --format json
      coprod diff main --changelog CHANGELOG.md
    """
    from . import diff as package_diff

    def action() -> package_diff.PackageDiff:
        project = ctx.project()
        newer = str(project.root) if new is None else new
        result = package_diff.compare(package_diff.load_build(old, project.root),
                                      package_diff.load_build(newer, project.root),
                                      threshold=threshold)
        if changelog is not None and result.changes:
            package_diff.prepend_changelog(changelog, result.changelog_entry())
        return result

    result = run(ctx, action)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.markdown())


@main.command()
@click.argument("part", type=click.Choice(["major", "minor", "patch"]))
@click.pass_obj
def bump(ctx: Context, part: str) -> None:
    """Raise the package's version, before building a release.

    Sets `version` (and the version its citation names) in schemas/package.yaml and in
    CITATION.cff. A new wave is minor; `coprod diff` says which bump a change needs.

    \b
    Example:
      coprod bump minor
    """
    from .steward.bump import bump as bump_version

    bumped = run(ctx, lambda: bump_version(ctx.project(), part))
    click.echo(f"Version {bumped.old} → {bumped.new} in {', '.join(bumped.files)}; now run "
               "`coprod build`.")


@main.command("new-source")
@click.argument("raw_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--id", "source_id", required=True,
              help="The new source's id, <country>-<survey>-<wave>.")
@click.option("--force", is_flag=True,
              help="Replace an existing codebook of that id (e.g. a broken draft).")
@click.option("--sheet", help="A spreadsheet's sheet (default: the first).")
@click.option("--header-row", type=click.IntRange(min=1), default=1, show_default=True,
              help="A spreadsheet's row holding the column names.")
@click.pass_obj
def new_source(ctx: Context, raw_file: Path, source_id: str, force: bool, sheet: str | None,
               header_row: int) -> None:
    """Draft a source codebook for a new raw file.

    Reads the file's own metadata and the previous wave's codebook, writes
    schemas/sources/ID.yaml, and lists what a person must review. The build refuses the
    codebook until its review list is empty.

    Reads delimited text, SPSS (.sav, .zsav), Stata (.dta) and spreadsheets (.xlsx, .ods).

    \b
    Examples:
      coprod new-source raw/no/no_virksomheter_2024.csv --id no-institutions-2024
      coprod new-source raw/se/foreningar.xlsx --id se-associations-2026 --sheet Data --header-row 3
    """
    from .steward.draft import draft_source

    def action():  # noqa: ANN202 - a Draft
        project = ctx.project()
        draft = draft_source(project, raw_file, source_id, force=force, sheet=sheet,
                             header_row=header_row)
        return project.relative(draft.path), draft

    shown, draft = run(ctx, action)
    click.echo(f"Drafted {shown}; {len(draft.review)} item(s) to review:")
    for item in draft.review:
        line, _, rest = item.partition(", ")
        click.echo(f"  {shown}:{line.removeprefix('line ')}: {rest}" if line.startswith("line ")
                   else f"  {shown}: {item}")
    click.echo("Write what is '?' or marked DRAFT, check each item and delete it from `review:`; "
               "then `coprod validate`.")


@main.command()
@click.pass_obj
def harmonize(ctx: Context) -> None:
    """Validate, harmonize and write processed/ and datapackage.json (no site).

    \b
    Example:
      coprod harmonize
    """
    from . import pipeline

    def action() -> tuple[list[Path], tuple[str, ...]]:
        project = ctx.project()
        codebooks = pipeline.load(project)
        with pipeline.locked(project), progress() as report_progress:
            return pipeline.write_package(project, codebooks, report_progress)

    changed, warnings = run(ctx, action)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Wrote {len(changed)} changed file(s)." if changed else "Outputs unchanged.")


@main.command()
@click.pass_obj
def site(ctx: Context) -> None:
    """Render the documentation site into build/site/ from processed/ and schemas/.

    \b
    Example:
      coprod site
    """
    from . import pipeline

    def action() -> Path:
        project = ctx.project()
        with pipeline.locked(project):
            return pipeline.write_site(project, pipeline.load(project))

    path = run(ctx, action)
    click.echo(f"Site written to {path / 'index.html'}")


@main.command()
@click.option("--force", is_flag=True, help="Rerun every stage even if its inputs are unchanged.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 if the committed processed/ and datapackage.json "
                   "differ from what a fresh build produces.")
@click.pass_obj
def build(ctx: Context, force: bool, check: bool) -> None:
    """Validate, harmonize, package and render the site.

    Skips stages whose inputs did not change; the previous outputs survive any failure.

    \b
    Examples:
      coprod build
      coprod build --force
      coprod build --check
    """
    from . import pipeline

    if check:
        with progress() as report_progress:
            differing = run(ctx, lambda: pipeline.reproducibility(ctx.project(),
                                                                  progress=report_progress))
        if differing:
            click.echo("Not reproducible: these committed outputs differ from a fresh build:\n  "
                       + "\n  ".join(differing)
                       + "\n  → run `coprod build` and commit the result", err=True)
            sys.exit(EXIT_INVALID)
        click.echo("Reproducible: processed/ and datapackage.json equal a fresh build.")
        return

    with progress() as report_progress:
        result = run(ctx, lambda: pipeline.build(ctx.project(), force=force,
                                                 progress=report_progress))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.ran:
        click.echo(f"Ran: {', '.join(result.ran)}" +
                   (f"; up to date: {', '.join(result.skipped)}" if result.skipped else ""))
    else:
        click.echo("Nothing to do: every output is up to date.")
