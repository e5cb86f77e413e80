"""Print a validation report for people: a table per source on a terminal (rich), one plain line
per problem otherwise, so that logs and pipes keep each problem on one line."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .validate import Problem, Report, SourceReport

SHOWN = 50  # problems listed per source on a terminal; the JSON report holds all of them


def _value(p: Problem) -> str:
    return "" if p.value is None else repr(p.value)


def plain_line(source: SourceReport, p: Problem) -> str:
    """``file:line: row R, column C, value V: message [check]``, leaving out what is unknown."""
    return p.located(source.file)


def print_report(report: Report, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    terminal = console.is_terminal
    for source in report.sources:
        status = "valid" if source.valid else f"{len(source.errors)} error(s)"
        console.print(f"{source.id} ({source.file}, {source.rows} rows): {status}", markup=False)
        if source.errors and terminal:
            table = Table("row", "line", "column", "value", "check", "message")
            for p in source.errors[:SHOWN]:
                table.add_row(*("" if x is None else str(x) for x in
                                (p.row, p.line, p.column, _value(p), p.check, p.message)))
            console.print(table)
            if len(source.errors) > SHOWN:
                console.print(f"… and {len(source.errors) - SHOWN} more in "
                              "build/reports/validation.json", markup=False)
        elif source.errors:
            for p in source.errors:
                console.print(plain_line(source, p), markup=False, soft_wrap=True)
        for warning in source.warnings:
            console.print(f"  warning: {warning}", markup=False, soft_wrap=True)
    for p in report.package_errors:
        console.print(p.located("codebook"), markup=False, soft_wrap=True)
    console.print("All sources valid." if report.valid else "Validation failed.", markup=False)


def find_variable(document: dict, name: str) -> list[tuple[str, dict]]:
    """The variables called ``name`` (or ``table.name``) in a codebook document."""
    table, _, variable = name.rpartition(".")
    return [(t, spec["variables"][variable]) for t, spec in document["tables"].items()
            if variable in spec["variables"] and table in ("", t)]


def print_variable(document: dict, table: str, var: dict, console: Console | None = None) -> None:
    """A variable's documentation for the terminal: labels, categories with counts per source,
    lineage, availability and comparability notes."""
    console = console or Console(highlight=False)
    out = lambda text="": console.print(text, markup=False, soft_wrap=True)  # noqa: E731
    out(f"{table}.{var['name']} ({var['type']}, group {var['group']})")
    for lang, text in var["label"].items():
        out(f"  label [{lang}]: {text or '(missing)'}")
    if "universe" in var:
        out(f"  universe: {var['universe']['en']}")
    sources = sorted(var["lineage"])
    if "frequencies" in var:
        table_ = Table("value", "code", "label", *sources, title="Counts per source")
        values = [(c["value"], str(c["code"]), c["label"]["en"])
                  for c in var.get("categories", [])]
        if not var.get("categories"):
            values.append(("<value>", "", "a value"))
        values += [(m["value"], str(m["code"]), m["label"]["en"]) for m in document["missing"]]
        for value, code, label in values:
            counts = [var["frequencies"].get(s, {}).get(value, 0) for s in sources]
            if any(n != 0 for n in counts) or value in {c["value"] for c in
                                                         var.get("categories", [])}:
                # null: a count suppressed for disclosure control, as on the site
                table_.add_row(value, code, label, *("◆" if n is None else f"{n:,}"
                                                     for n in counts))
        console.print(table_)
    out("Lineage:")
    for source in sources:
        rule = var["lineage"][source]
        origin = f"{rule['variable']}: " if rule["variable"] else ""
        question = f" «{rule['question']}»" if rule["question"] else ""
        out(f"  {source} [{var['availability'].get(source, '-')}]: {origin}{rule['rule']}"
            f"{question}")
    for note in var["comparability"]:
        out(f"Note ({note['severity']}, {', '.join(note['sources'])}): {note['note']['en']}")
