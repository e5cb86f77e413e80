"""Incremental builds: the content hashes of each stage's inputs decide what reruns.

The package stage depends on the raw files, the codebooks, the reference tables, the tool's own
code and the versions of the libraries the output bytes depend on; the site stage on all of that,
the package's outputs and the templates. The build records the hashes it ran with, and on the
next run says which inputs changed, or reruns nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

from .codebook import Codebooks
from .project import Project

LIBRARIES = ("coprod", "polars", "pyarrow", "pandera", "pyreadstat", "jinja2")
TOOL = "(the coprod tool or a pinned library)"


def _tool() -> str:
    digest = hashlib.sha256()
    for dist in LIBRARIES:
        try:
            digest.update(f"{dist}={metadata.version(dist)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{dist}=?\n".encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _hashes(paths: Iterable[Path], root: Path,
            overlay: Mapping[Path, bytes] | None = None) -> dict[str, str]:
    overlay = overlay or {}
    return {path.relative_to(root).as_posix():
            hashlib.sha256(overlay[path]).hexdigest() if path in overlay else
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"
            for path in sorted(set(paths))}


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []


def stage_inputs(project: Project, codebooks: Codebooks,
                 overlay: Mapping[Path, bytes] | None = None) -> dict[str, dict[str, str]]:
    """For each stage, the content hash of every input (and of the tool); ``overlay`` holds
    outputs about to replace those on disk (a build's new package, before it is published)."""
    package = codebooks.package
    references = [r.file for r in package.municipality_references.values()]
    references += [r.region_names.file for r in package.municipality_references.values()
                   if r.region_names]
    references += [w.file for w in package.municipality_crosswalks]
    inputs = [*(project.resolve(s.file, what=s.id) for s in codebooks.sources.values()),
              *(project.resolve(f, what="reference") for f in references),
              *_files(project.schemas)]
    bundle = project.build / "restricted"  # access: restricted: the microdata are there
    outputs = [project.datapackage, *_files(project.processed), *_files(bundle),
               *(p for p in overlay or {} if p.parent == project.processed
                 or p.is_relative_to(bundle))]
    tool = {TOOL: _tool()}
    return {
        "package": {**_hashes(inputs, project.root), **tool},
        "site": {**_hashes([*inputs, *outputs, *_files(project.templates),
                            project.reports / "validation.json",
                            project.root / "CITATION.cff"], project.root, overlay),
                 **tool},
    }


def why_rerun(before: dict[str, str] | None, now: dict[str, str], present: bool) -> str:
    """Why a stage must run again ("" if it need not): which inputs changed."""
    if not present:
        return "outputs missing"
    if not isinstance(before, dict):
        return "no record of an earlier build"
    changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    if not changed:
        return ""
    shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    return f"changed: {shown}"


def outputs_present(project: Project, stage: str, codebooks: Codebooks) -> bool:
    if stage == "package":
        folder = project.processed if codebooks.package.access == "open" else (
            project.build / "restricted" / "processed")
        return project.datapackage.is_file() and all(
            (folder / f"{t}.parquet").is_file() for t in codebooks.tables)
    return (project.site / "index.html").is_file()
