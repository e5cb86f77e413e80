"""Lazy imports: `coprod --help` and a build with nothing to do load no data stack, and validation
runs pandera without pandas and hypothesis (pandera imports them for APIs coprod does not
use)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conftest import PACKAGE_ROOT, copy_package
from coprod.cli import main

PROBE = "import sys; {code}; print(sorted(m for m in {mods} if m in sys.modules))"


def _loaded(code: str, modules: tuple[str, ...]) -> list[str]:
    script = PROBE.format(code=code, mods=modules)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    return eval(out.stdout)  # noqa: S307 - our own printed list of names


def test_help_loads_no_data_stack() -> None:
    code = ("from click.testing import CliRunner; from coprod.cli import main; "
            "assert CliRunner().invoke(main, ['--help']).exit_code == 0")
    assert _loaded(code, ("polars", "pyarrow", "pandera", "pandas", "pyreadstat")) == []


def test_a_build_with_nothing_changed_loads_no_data_stack(tmp_path: Path) -> None:
    """It decides from content hashes; the codebooks' patterns, whose check needs polars, were
    checked by the build that made the outputs (a changed codebook reruns the package)."""
    root = copy_package(tmp_path / "demo")
    assert CliRunner().invoke(main, ["--root", str(root), "build"]).exit_code == 0
    code = ("from click.testing import CliRunner; from coprod.cli import main; "
            f"result = CliRunner().invoke(main, ['--root', {str(root)!r}, 'build']); "
            "assert result.exit_code == 0 and 'Nothing to do' in result.output, result.output")
    assert _loaded(code, ("polars", "pyarrow", "pandera", "pandas", "pyreadstat")) == []


# The package validated: the repository's (or COPROD_PACKAGE's; see conftest).
VALIDATE_DEMO = (
    "from pathlib import Path; from coprod import pipeline; "
    f"from coprod.project import Project; project = Project(Path({str(PACKAGE_ROOT)!r})); "
    "validated = pipeline.validate(project, pipeline.load(project)); "
    "assert validated.report.valid and validated.frames")


def test_validation_runs_pandera_without_pandas_or_hypothesis() -> None:
    loaded = _loaded(VALIDATE_DEMO, ("pandera", "pandas", "hypothesis"))
    assert loaded == ["pandera"]


def test_building_the_package_and_site_loads_no_pandas() -> None:
    """pyarrow imports pandas (half a second) for pa.array on Python values and for
    pq.read_table; coprod avoids both. Nothing is written here."""
    code = (VALIDATE_DEMO.replace("validated = pipeline.validate(project, pipeline.load(project)); "
                                  "assert validated.report.valid and validated.frames",
                                  "assert pipeline.reproducibility(project) == []")
            + "; from coprod.site.render import render_site; from coprod.privacy import check; "
              "files = render_site(project, pipeline.load(project)); check(files); "
              "assert any(name.endswith('.parquet') for name in files)")
    assert _loaded(code, ("pandas", "hypothesis")) == []


def test_pandas_is_still_importable_after_validation() -> None:
    code = VALIDATE_DEMO + "; import pandas; assert pandas.DataFrame({'a': [1]}).shape == (1, 1)"
    assert _loaded(code, ("pandas",)) == ["pandas"]
