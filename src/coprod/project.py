"""Where things are in a data package folder (DESIGN §3, §5).

coprod works on the package in the current directory or the one named by ``--root``, the way git
works on the repository you stand in. Every path a codebook names is resolved here, and one that
would leave the package folder is refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from .errors import ConfigError

MARKER = Path("schemas") / "package.yaml"


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def at(cls, root: Path) -> Project:
        """The package in exactly ``root`` (``--root``): it must exist and be one."""
        if not root.is_dir():
            raise ConfigError(f"{root}: no such folder",
                              hint="--root names the data package folder (the one holding "
                                   f"{MARKER})")
        if not (root / MARKER).is_file():
            raise ConfigError(f"{root}: not a coprod data package (no {MARKER})",
                              hint="--root names the package folder itself, not a folder in it")
        return cls(root.resolve())

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The package folder holding ``start`` (default: the current directory)."""
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / MARKER).is_file():
                return cls(folder)
        raise ConfigError(
            f"{here}: not inside a coprod data package (no {MARKER} here or above)",
            hint="cd into the package folder or pass --root PATH",
        )

    @property
    def schemas(self) -> Path:
        return self.root / "schemas"

    @property
    def processed(self) -> Path:
        return self.root / "processed"

    @property
    def datapackage(self) -> Path:
        return self.root / "datapackage.json"

    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def site(self) -> Path:
        return self.build / "site"

    @property
    def reports(self) -> Path:
        return self.build / "reports"

    @property
    def templates(self) -> Path:
        return self.root / "site_templates"

    def resolve(self, relative: str, *, what: str) -> Path:
        """Resolve a path a codebook names, refusing one that escapes the package folder
        (``../``, an absolute path, or a symlink pointing outside)."""
        candidate = Path(relative)
        if candidate.is_absolute() or PureWindowsPath(relative).is_absolute() or (
                PureWindowsPath(relative).drive):
            raise ConfigError(f"{what}: {relative!r} is an absolute path",
                              hint="name files relative to the package folder, with /")
        root = self.root.resolve()
        lexical = Path(os.path.normpath(root / candidate))
        if not lexical.is_relative_to(root):
            raise ConfigError(f"{what}: {relative!r} points outside the package folder",
                              hint="keep raw files and reference tables inside the package")
        resolved = lexical.resolve()
        if not resolved.is_relative_to(root):
            raise ConfigError(f"{what}: {relative!r} is a symbolic link to {resolved}, outside "
                              "the package folder",
                              hint="copy the file into the package instead of linking to it")
        return resolved

    def relative(self, path: Path) -> str:
        """A path as shown to users and written to reports: relative, with forward slashes."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()
