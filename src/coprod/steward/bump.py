"""Set the package's version before a build (``coprod bump``): in ``schemas/package.yaml`` (its
``version`` and the version named in its ``citation``) and in ``CITATION.cff``, editing those
lines only, so that comments and layout stay as the steward wrote them. The version is in the
outputs' bytes, so it is set first and the build then makes the release's outputs once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError
from ..project import Project

PARTS = ("major", "minor", "patch")
VERSION = re.compile(r"^(?P<key>version:\s*)(?P<quote>[\"']?)(?P<version>\d+\.\d+\.\d+)"
                     r"(?P=quote)(?P<rest>\s*(#.*)?)$", re.MULTILINE)


@dataclass(frozen=True)
class Bumped:
    old: str
    new: str
    files: list[str]  # the files changed, as shown


def next_version(version: str, part: str) -> str:
    major, minor, patch = (int(x) for x in version.split("."))
    return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0",
            "patch": f"{major}.{minor}.{patch + 1}"}[part]


def _set(text: str, shown: str, old: str, new: str) -> str:
    found = [m for m in VERSION.finditer(text) if m.group("version") == old]
    if len(found) != 1:
        raise ConfigError(f"{shown}: expected one top-level `version: {old}` line, found "
                          f"{len(found)}", hint="set the version by hand")
    match = found[0]
    return (text[:match.start()] + f"{match['key']}{match['quote']}{new}{match['quote']}"
            f"{match['rest']}" + text[match.end():])


def bump(project: Project, part: str) -> Bumped:
    """Raise the package's version by one ``part`` (major, minor or patch)."""
    from ..codebook import load_codebooks

    old = load_codebooks(project.schemas).package.version
    new = next_version(old, part)
    package = project.schemas / "package.yaml"
    text = _set(package.read_text(encoding="utf-8"), "schemas/package.yaml", old, new)
    # The citation names the version it cites, as "version 0.2.1" (any case).
    text = re.sub(rf"(?i)(version\s+){re.escape(old)}\b", rf"\g<1>{new}", text)
    changed = {package: text}
    citation = project.root / "CITATION.cff"
    if citation.is_file():
        changed[citation] = _set(citation.read_text(encoding="utf-8"), "CITATION.cff", old, new)
    for path, content in changed.items():
        path.write_text(content, encoding="utf-8")
    return Bumped(old, new, [project.relative(p) for p in changed])
