"""What a change does to the published package: compare two builds (folders or git refs) by
their ``datapackage.json`` and ``processed/codebook.json``, and say which version bump the
change needs under the Data Package versioning rules:

- major: a consumer's code may break or read wrongly: a column or category removed, a type or a
  category's meaning changed;
- minor: data or metadata added in a compatible way: new sources (waves), rows, columns or
  categories;
- patch: compatible corrections: documentation, and values revised by no more than the
  threshold.

A published figure that moves by more than the threshold (a source's distribution of a variable,
in percentage points) is never a patch: results computed from the previous version no longer
hold, so it is major. So is a variable that a source published and now does not (not_asked for
the whole source). A new source that does not ask what earlier waves of its country asked is
named, so that a lost question is seen in review.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import CoprodError

BUMPS = ("none", "patch", "minor", "major")


class DiffError(CoprodError):
    exit_code = 2


@dataclass
class Change:
    kind: str  # added-source, removed-source, rows, added-field, removed-field, type, ...
    bump: str
    text: str


@dataclass
class PackageDiff:
    old_version: str
    new_version: str
    changes: list[Change] = field(default_factory=list)

    @property
    def bump(self) -> str:
        return max((c.bump for c in self.changes), key=BUMPS.index, default="none")

    @property
    def proposed_version(self) -> str:
        major, minor, patch = (int(x) for x in self.old_version.split("."))
        return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0",
                "patch": f"{major}.{minor}.{patch + 1}", "none": self.old_version}[self.bump]

    @property
    def version_set(self) -> bool:
        """Whether the new build's version is at least the proposed one."""
        def parts(version: str) -> tuple[int, ...]:
            return tuple(int(x) for x in version.split("."))
        return parts(self.new_version) >= parts(self.proposed_version)

    def to_json(self) -> dict:
        return {"old_version": self.old_version, "new_version": self.new_version,
                "bump": self.bump, "proposed_version": self.proposed_version,
                "version_set": self.version_set,
                "changes": [asdict(c) for c in self.changes],
                "changelog": self.changelog_entry()}

    def changelog_entry(self) -> str:
        if not self.changes:
            return ""
        sections = {"Added": ("added-source", "added-field", "added-category", "rows",
                              "added-language", "added-reference"),
                    "Changed": ("type", "category-label", "distribution", "label", "not-asked",
                                "lineage"),
                    "Removed": ("removed-source", "removed-field", "removed-category",
                                "lost-variable")}
        lines = [f"## {self.proposed_version} (unreleased): {self.bump} release", ""]
        for title, kinds in sections.items():
            items = [c.text for c in self.changes if c.kind in kinds]
            if items:
                lines += [f"### {title}", "", *(f"- {item}" for item in items), ""]
        return "\n".join(lines)

    def markdown(self) -> str:
        head = [f"# Package diff: {self.old_version} → working version", "",
                f"**Version bump needed: {self.bump}** "
                f"(proposed version {self.proposed_version}).", ""]
        if self.bump != "none":
            head += [f"This build is version {self.new_version}: " + (
                "that is enough." if self.version_set else
                f"run `coprod bump {self.bump}`, then `coprod build`, and commit the result."),
                ""]
        if not self.changes:
            return "\n".join([*head, "No change to the published package.", ""])
        rows = ["| change | bump | what |", "|---|---|---|"]
        rows += [f"| {c.kind} | {c.bump} | {c.text} |" for c in self.changes]
        return "\n".join([*head, *rows, "", "## Changelog entry (draft)", "",
                          self.changelog_entry()])


def _read(where: str, root: Path, relative: str) -> dict:
    folder = Path(where)
    if folder.is_dir():
        path = folder / relative
        if not path.is_file():
            raise DiffError(f"{path}: not found", hint="build that package first")
        return json.loads(path.read_text(encoding="utf-8"))
    # A revision is verified as one before git sees it as anything else: "--output=x" is not
    # an option to git show, but an unknown revision.
    verified = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options",
                               f"{where}^{{commit}}"], cwd=root, capture_output=True, text=True)
    if where.startswith("-") or verified.returncode != 0:
        raise DiffError(f"{where!r} is neither a package folder nor a revision of the git "
                        "repository", hint="name a folder, or a commit, branch or tag")
    commit = verified.stdout.strip()
    result = subprocess.run(["git", "show", "--end-of-options", f"{commit}:./{relative}"],
                            cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise DiffError(f"{where!r} is neither a package folder nor a git ref holding "
                        f"{relative}: {result.stderr.strip().splitlines()[-1:]}",
                        hint="name a folder or a commit, branch or tag")
    return json.loads(result.stdout)


def load_build(where: str, root: Path) -> tuple[dict, dict]:
    return (_read(where, root, "datapackage.json"),
            _read(where, root, "processed/codebook.json"))


def _fields(descriptor: dict) -> dict[tuple[str, str], dict]:
    return {(r["name"], f["name"]): f for r in descriptor["resources"]
            for f in r["schema"]["fields"]}


def _listed(values: Iterable[str]) -> str:
    return ", ".join(f"`{v}`" for v in sorted(values)) or "none"


def _shares(counts: dict[str, int | None], hidden: set[str]) -> dict[str, float]:
    """Percentages of the published counts, among the categories not in ``hidden`` (those
    suppressed in either version: a suppressed count is not small by design, a secondary one
    may be large, so that it is left out of both sides rather than taken as 0)."""
    known = {k: v or 0 for k, v in counts.items() if k not in hidden}
    total = sum(known.values())
    return {k: 100 * v / total for k, v in known.items()} if total else {}


def compare(old: tuple[dict, dict], new: tuple[dict, dict], *,
            threshold: float = 5.0) -> PackageDiff:
    (old_dp, old_cb), (new_dp, new_cb) = old, new
    diff = PackageDiff(old_dp["version"], new_dp["version"])
    add = diff.changes.append
    old_sources, new_sources = old_cb["sources"], new_cb["sources"]
    for sid in sorted(new_sources.keys() - old_sources.keys()):
        add(Change("added-source", "minor",
                   f"source `{sid}` ({new_sources[sid].get('rows', '?')} rows)"))
    for sid in sorted(old_sources.keys() - new_sources.keys()):
        add(Change("removed-source", "major", f"source `{sid}`"))
    for sid in sorted(old_sources.keys() & new_sources.keys()):
        before, after = old_sources[sid].get("rows"), new_sources[sid].get("rows")
        if before is not None and before != after:
            add(Change("rows", "minor", f"`{sid}`: {before} → {after} rows"))

    old_langs = {lang for f in _fields(old_dp).values() for lang in f.get("labels", {})}
    for lang in sorted({lang for f in _fields(new_dp).values()
                        for lang in f.get("labels", {})} - old_langs):
        add(Change("added-language", "minor", f"labels in `{lang}`"))
    old_refs = {s["path"]: s["title"] for s in old_dp.get("sources", [])}
    for source in new_dp.get("sources", []):
        if source["path"].startswith("reference/") and source["path"] not in old_refs:
            add(Change("added-reference", "minor", f"{source['title']} (`{source['path']}`)"))

    old_fields, new_fields = _fields(old_dp), _fields(new_dp)
    for key in sorted(new_fields.keys() - old_fields.keys()):
        add(Change("added-field", "minor", f"column `{key[0]}.{key[1]}`"))
    for key in sorted(old_fields.keys() - new_fields.keys()):
        add(Change("removed-field", "major", f"column `{key[0]}.{key[1]}`"))
    for key in sorted(old_fields.keys() & new_fields.keys()):
        before, after = old_fields[key], new_fields[key]
        name = f"`{key[0]}.{key[1]}`"
        if before["type"] != after["type"]:
            add(Change("type", "major", f"{name}: type {before['type']} → {after['type']}"))
        old_cats = {c["value"]: c.get("label") for c in before.get("categories", [])}
        new_cats = {c["value"]: c.get("label") for c in after.get("categories", [])}
        for value in sorted(new_cats.keys() - old_cats.keys()):
            add(Change("added-category", "minor", f"{name}: category `{value}`"))
        for value in sorted(old_cats.keys() - new_cats.keys()):
            add(Change("removed-category", "major", f"{name}: category `{value}`"))
        for value in sorted(old_cats.keys() & new_cats.keys()):
            if old_cats[value] != new_cats[value]:
                add(Change("category-label", "major",
                           f"{name}: category `{value}` now means {new_cats[value]!r} "
                           f"(was {old_cats[value]!r})"))
        if before.get("title") != after.get("title"):
            add(Change("label", "patch", f"{name}: label {after.get('title')!r}"))

    for table, spec in new_cb["tables"].items():
        old_vars = old_cb["tables"].get(table, {}).get("variables", {})
        for var, entry in spec["variables"].items():
            before = old_vars.get(var, {}).get("frequencies", {})
            for sid, counts in entry.get("frequencies", {}).items():
                if sid not in before:
                    continue
                hidden = {k for k, v in [*before[sid].items(), *counts.items()] if v is None}
                was = {k for k, v in before[sid].items() if v is None}
                if was != {k for k, v in counts.items() if v is None}:
                    add(Change("suppression", "patch",
                               f"`{table}.{var}` in `{sid}`: the counts suppressed are now "
                               f"{_listed(k for k, v in counts.items() if v is None)} (were "
                               f"{_listed(was)})"))
                a, b = _shares(before[sid], hidden), _shares(counts, hidden)
                shift = sum(abs(a.get(k, 0) - b.get(k, 0)) for k in a.keys() | b.keys()) / 2
                if shift > threshold:
                    add(Change("distribution", "major",
                               f"`{table}.{var}` in `{sid}` shifted by {shift:.1f} points "
                               f"(more than {threshold:g}): published figures changed"))
        _not_asked(diff, table, spec, old_vars, old_sources, new_sources)
        for var, entry in spec["variables"].items():
            before = old_vars.get(var, {}).get("lineage", {})
            changed: dict[str, list[str]] = {}  # the new rule -> the sources it changed in
            for sid, rule in sorted(entry.get("lineage", {}).items()):
                if sid in before and before[sid].get("rule") != rule.get("rule"):
                    changed.setdefault(rule.get("rule"), []).append(f"`{sid}`")
            for rule, sids in changed.items():
                add(Change("lineage", "patch",
                           f"`{table}.{var}` in {', '.join(sids)}: rule now {rule!r}"))
    return diff


def _not_asked(diff: PackageDiff, table: str, spec: dict, old_vars: dict, old_sources: dict,
               new_sources: dict) -> None:
    """Variables a source no longer publishes (major), and variables a new source does not ask
    although an earlier wave of its country did (named)."""
    for var, entry in spec["variables"].items():
        before = old_vars.get(var, {}).get("availability", {})
        for sid, status in sorted(entry.get("availability", {}).items()):
            if status != "not_asked":
                continue
            if sid in old_sources:
                if before.get(sid, "not_asked") != "not_asked":
                    diff.changes.append(Change(
                        "lost-variable", "major",
                        f"`{table}.{var}` is now not_asked for all of `{sid}` (was "
                        f"{before[sid]})"))
                continue
            source = new_sources[sid]
            asked = sorted(
                s for s, st in entry["availability"].items() if st != "not_asked"
                and new_sources.get(s, {}).get("country") == source.get("country")
                and new_sources.get(s, {}).get("wave", 0) < source.get("wave", 0))
            if asked:
                diff.changes.append(Change(
                    "not-asked", "minor",
                    f"`{table}.{var}` is not asked in the new source `{sid}` (asked in "
                    + ", ".join(f"`{s}`" for s in asked) + ")"))


def prepend_changelog(path: Path, entry: str) -> None:
    """Put the entry where the changelog's entries begin: before its first ``## `` heading,
    after the title and introduction (at the end when it has no entry yet)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Changelog\n"
    lines = text.splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    head = "".join(lines[:at]).rstrip("\n")
    rest = "".join(lines[at:])
    path.write_text(f"{head}\n\n{entry.rstrip()}\n" + (f"\n{rest}" if rest else ""),
                    encoding="utf-8")
