"""Validation reports for CI: GitHub workflow annotations pointing at the line and column of the
raw file, a Markdown summary for the job summary, and the failing rows as CSV for the steward."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from .codebook import Codebooks
from .export import neutralized
from .project import Project
from .validate import Problem, Report


def _escape(text: str, *, property_value: bool = False) -> str:
    """GitHub workflow command escaping (data, and property values)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _columns_of_lines(project: Project, codebooks: Codebooks, source_id: str,
                      problems: list[Problem]) -> dict[tuple[int, str], int]:
    """Character column (1-based) of each problem's cell on its physical line. Fields are split
    on the delimiter, which is exact for the unquoted cells these files use."""
    source = codebooks.sources[source_id]
    if source.format != "csv":
        return {}
    wanted = {p.line for p in problems if p.line and p.column}
    if not wanted:
        return {}
    path = project.resolve(source.file, what=source_id)
    lines = path.read_bytes().decode(source.dialect.encoding, errors="replace").splitlines()
    header = lines[0].split(source.dialect.delimiter) if lines else []
    out = {}
    for p in problems:
        if p.line in wanted and p.column in header and p.line <= len(lines):
            cells = lines[p.line - 1].split(source.dialect.delimiter)
            index = header.index(p.column)
            out[(p.line, p.column)] = 1 + sum(len(c) + 1 for c in cells[:index])
    return out


def github_annotations(report: Report, project: Project, codebooks: Codebooks) -> list[str]:
    lines = []
    for source in report.sources:
        columns = _columns_of_lines(project, codebooks, source.id,
                                    [p for p in source.errors if not p.file])
        for p in source.errors:
            where = [f"file={_escape(p.file or source.file, property_value=True)}"]
            if p.line:
                where.append(f"line={p.line}")
                if (p.line, p.column) in columns:
                    where.append(f"col={columns[(p.line, p.column)]}")
            title = f"{source.id}: {p.check}"
            where.append(f"title={_escape(title, property_value=True)}")
            located = ", ".join(x for x in (
                f"row {p.row}" if p.row else "", f"column {p.column}" if p.column else "",
                f"value {p.value!r}" if p.value is not None else "") if x)
            message = f"{located}: {p.message}" if located else p.message
            lines.append(f"::error {','.join(where)}::{_escape(message)}")
    for p in report.package_errors:
        where = (f"file={_escape(p.file, property_value=True)}," if p.file else "") + (
            f"line={p.line}," if p.file and p.line else "")
        lines.append(f"::error {where}title={_escape('codebook', property_value=True)}::"
                     f"{_escape(f'{p.column}: {p.message}')}")
    return lines


def markdown_summary(report: Report, limit: int = 30) -> str:
    verdict = "✅ All sources valid." if report.valid else "❌ Validation failed."
    out = ["## coprod validate", "", verdict, "",
           "| source | file | rows | result |", "|---|---|---:|---|"]
    for s in report.sources:
        result = "valid" if s.valid else f"{len(s.errors)} problem(s)"
        out.append(f"| `{s.id}` | `{s.file}` | {s.rows:,} | {result} |")
    problems = [(s, p) for s in report.sources for p in s.errors]
    if problems:
        out += ["", "| source | row | line | column | value | message |",
                "|---|---:|---:|---|---|---|"]
        for s, p in problems[:limit]:
            value = "" if p.value is None else f"`{p.value}`"
            message = p.message.replace("|", "\\|")
            out.append(f"| `{s.id}` | {p.row or ''} | {p.line or ''} | {p.column or ''} | "
                       f"{value} | {message} |")
        if len(problems) > limit:
            out.append(f"\n…and {len(problems) - limit} more in build/reports/validation.json.")
    for p in report.package_errors:
        out.append(f"- codebook `{p.column}`: {p.message}")
    return "\n".join(out) + "\n"


def failing_rows(report: Report, raw_frames: dict[str, pl.DataFrame], codebooks: Codebooks,
                 folder: Path) -> list[Path]:
    """Write the failing rows of each source, as read, with their problems, for the steward.
    Free-text columns are left out: they are not needed to fix a code, and they are personal."""
    written = []
    folder.mkdir(parents=True, exist_ok=True)
    for source in report.sources:
        rows: dict[int, list[str]] = {}
        for p in source.errors:
            if p.row is not None:
                rows.setdefault(p.row, []).append(f"{p.column}: {p.message}")
        frame = raw_frames.get(source.id)
        if not rows or frame is None:
            continue
        private = [n for n, v in codebooks.sources[source.id].variables.items() if v.free_text]
        frame = frame.drop(private, strict=False)
        picked = (frame.with_row_index("row", offset=1)
                  .filter(pl.col("row").is_in(list(rows)))
                  .select(pl.col("row"), pl.all().exclude("row").cast(pl.String))
                  .with_columns(pl.col("row").replace_strict(
                      {r: " | ".join(m) for r, m in rows.items()}, return_dtype=pl.String)
                      .alias("problems")))
        path = folder / f"{source.id}.csv"
        neutralized(picked).write_csv(path)
        written.append(path)
    return written
