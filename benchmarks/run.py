"""Measure coprod against the limit (pyarrow CSV → Parquet) and against frictionless-py.

A plain script, not a test: it prints figures. For every size N it

1. generates a SYNTHETIC source of N rows in the demo's real raw formats, by resampling the rows of
   the shipped demo extracts with a seeded numpy generator (ids renumbered 1..N, so unique):
   - the Norwegian institutions CSV (semicolon, cp1252, decimal commas, CRLF), like
     raw/no/no_virksomheter_2018.csv;
   - the Danish institutions SPSS file (value labels and user-missing codes kept), like
     raw/dk/dk_institutioner_2018.sav, written with pyreadstat;
2. puts each into a minimal package folder (schemas/package.yaml, the harmonized codebook of the
   table, that one source codebook, reference/), and
3. runs each of these as a whole separate process, at least three times, taking wall time and the
   child's peak RSS (through /usr/bin/time, or a small launcher using ``os.wait4``):
   a.  the limit: pyarrow reads the CSV (cp1252, ";", decimal comma, the codebook's column types)
       and writes Parquet (zstd);
   b.  ``coprod --root PKG harmonize`` (read, validate, harmonize, write);
   c.  ``frictionless validate`` of the same CSV with the equivalent Table Schema (types, enums,
       ranges, pattern, unique, decimalChar ","), at no more than --frictionless-rows rows and
       extrapolated linearly beyond (the output says so);
   a.sav / b.sav: the same pair for the SPSS file (pyreadstat → Parquet; coprod harmonize).

It also times ``coprod --help`` (10 runs), ``coprod build`` with nothing changed, and a cold
``coprod build --force`` (build/ removed first) of a copy of the demo package, and checks that the
copy's rebuilt processed/ and datapackage.json equal the repository's byte for byte.

    python benchmarks/run.py --sizes 100000 1000000
    python benchmarks/run.py --with-5m            # adds 5,000,000 rows
    python benchmarks/run.py --profile 1000000    # also a cProfile of b at that size

Every figure is warm-cache (the file was just written) on whatever machine runs it; other load
on the machine shows up as a wider min..max spread.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import yaml

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(sys.executable).parent
COPROD = str(BIN / "coprod") if (BIN / "coprod").exists() else shutil.which("coprod") or "coprod"
FRICTIONLESS = (str(BIN / "frictionless") if (BIN / "frictionless").exists()
                else shutil.which("frictionless") or "frictionless")
SEED = 20240607

CSV_SOURCE = "no-institutions-2018"
SAV_SOURCE = "dk-institutions-2018"

LIMIT_CSV = textwrap.dedent('''\
    """The limit: a bare pyarrow CSV -> Parquet conversion of the same file."""
    import json
    import sys

    import pyarrow as pa
    import pyarrow.csv as csv
    import pyarrow.parquet as pq

    source, target, types = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    table = csv.read_csv(
        source,
        read_options=csv.ReadOptions(encoding="cp1252"),
        parse_options=csv.ParseOptions(delimiter=";"),
        convert_options=csv.ConvertOptions(
            decimal_point=",",
            column_types={name: getattr(pa, kind)() for name, kind in types.items()},
            strings_can_be_null=True,
        ),
    )
    pq.write_table(table, target, compression="zstd")
''')

LIMIT_SAV = textwrap.dedent('''\
    """The limit for SPSS: pyreadstat reads the .sav (user-missing codes kept), pyarrow writes
    Parquet."""
    import sys

    import pyarrow.parquet as pq
    import pyreadstat

    frame, _ = pyreadstat.read_sav(sys.argv[1], user_missing=True, output_format="polars")
    pq.write_table(frame.to_arrow(), sys.argv[2], compression="zstd")
''')


# --- generating the sources ----------------------------------------------------------------------


def source_codebook(source_id: str) -> dict:
    return yaml.safe_load((REPO / "schemas" / "sources" / f"{source_id}.yaml").read_text("utf-8"))


def make_csv(n: int, target: Path, seed: int, source_id: str = CSV_SOURCE) -> None:
    """N rows resampled from a demo CSV, written exactly as the demo writes it."""
    book = source_codebook(source_id)
    demo = REPO / book["file"]
    dialect = book["dialect"]
    text = demo.read_bytes().decode(dialect["encoding"])
    frame = pl.read_csv(text.encode("utf-8"), separator=dialect["delimiter"], infer_schema=False)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, frame.height, n)
    out = frame[rows].with_columns(
        pl.int_range(1, n + 1, dtype=pl.Int64).cast(pl.String).alias(book["id_variable"]))
    data = out.write_csv(separator=dialect["delimiter"], line_terminator=dialect["line_terminator"])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data.encode(dialect["encoding"]))


def make_sav(n: int, target: Path, seed: int, source_id: str = SAV_SOURCE) -> None:
    """N rows resampled from a demo .sav, with its labels, formats and user-missing codes."""
    import pyreadstat

    book = source_codebook(source_id)
    frame, meta = pyreadstat.read_sav(str(REPO / book["file"]), user_missing=True,
                                      output_format="polars")
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, frame.height, n)
    out = frame[rows].with_columns(
        pl.int_range(1, n + 1, dtype=pl.Int64).cast(pl.Float64).alias(book["id_variable"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(
        out, str(target), file_label=meta.file_label or "",
        column_labels=meta.column_names_to_labels,
        variable_value_labels=meta.variable_value_labels,
        missing_ranges=meta.missing_ranges,
        variable_format=meta.original_variable_types,
        variable_measure=meta.variable_measure,
        row_compress=True,
    )


def make_package(folder: Path, *source_ids: str) -> Path:
    """A package folder holding the given sources of one table: package.yaml, the table's
    harmonized codebook (its comparability notes cut down to those sources), the source
    codebooks and reference/. Returns the path the (first) raw file must be written to."""
    books = [source_codebook(s) for s in source_ids]
    schemas = folder / "schemas"
    (schemas / "harmonized").mkdir(parents=True, exist_ok=True)
    (schemas / "sources").mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "schemas" / "package.yaml", schemas / "package.yaml")
    for source_id in source_ids:
        # The generated data hold far more rows than the gross sample the codebook states
        # (design.issued), which the build refuses: the design's counts are left out.
        text = (REPO / "schemas" / "sources" / f"{source_id}.yaml").read_text("utf-8")
        text = re.sub(r"(?m)^  (issued|response_rate): .*\n", "", text)
        (schemas / "sources" / f"{source_id}.yaml").write_text(text, "utf-8")
    table_path = REPO / "schemas" / "harmonized" / f"{books[0]['table']}.yaml"
    table = yaml.safe_load(table_path.read_text("utf-8"))
    notes = []
    for note in table.get("comparability", []):
        kept = [s for s in note["sources"] if s in source_ids]
        if kept:
            note = {**note, "sources": kept}
            if "not_affected" in note:
                note["not_affected"] = [s for s in note["not_affected"] if s in source_ids]
            notes.append(note)
    table["comparability"] = notes
    (schemas / "harmonized" / table_path.name).write_text(
        yaml.safe_dump(table, allow_unicode=True, sort_keys=False, width=100), "utf-8")
    if not (folder / "reference").exists():
        shutil.copytree(REPO / "reference", folder / "reference")
    return folder / books[0]["file"]


def arrow_types(book: dict) -> dict[str, str]:
    kinds = {"integer": "int64", "number": "float64", "string": "string", "date": "date32"}
    return {name: kinds[var["type"]] for name, var in book["variables"].items()}


def frictionless_resource(folder: Path, csv_path: Path) -> Path:
    """The Table Schema a steward would write for the CSV: the same types and checks."""
    book = source_codebook(CSV_SOURCE)
    reference = yaml.safe_load((REPO / "schemas" / "package.yaml").read_text("utf-8"))
    ref = reference["municipality_references"][book["municipality"]["reference"]]
    codes = pl.read_csv(REPO / ref["file"], infer_schema=False)[ref["code"]]
    codes = sorted(codes.str.zfill(int(ref["width"])).to_list())
    fields = []
    for name, var in book["variables"].items():
        spec: dict = {"name": name, "type": var["type"]}
        constraints: dict = {}
        if var["type"] == "number" and book["dialect"].get("decimal") == ",":
            spec["decimalChar"] = ","
        if "values" in var:
            constraints["enum"] = sorted(int(c) for c in var["values"])
        if "range" in var:
            constraints["minimum"], constraints["maximum"] = var["range"]
        if "pattern" in var:
            constraints["pattern"] = var["pattern"].strip("^$")
        if var.get("unique"):
            constraints["unique"] = True
        if name == book["municipality"]["variable"]:
            constraints["enum"] = codes
        if "blank" not in var and not var.get("free_text"):
            constraints["required"] = True
        if constraints:
            spec["constraints"] = constraints
        fields.append(spec)
    descriptor = {
        "name": "benchmark", "path": csv_path.relative_to(folder).as_posix(),
        "format": "csv", "encoding": book["dialect"]["encoding"],
        "dialect": {"csv": {"delimiter": book["dialect"]["delimiter"]}},
        "schema": {"fields": fields, "missingValues": [""]},
    }
    path = folder / "frictionless-resource.json"
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), "utf-8")
    return path


# --- measuring -----------------------------------------------------------------------------------


@dataclass
class Runs:
    label: str
    rows: int
    walls: list[float] = field(default_factory=list)
    peaks_mb: list[float] = field(default_factory=list)
    extrapolated_from: int | None = None  # measured at this many rows, scaled linearly

    @property
    def wall(self) -> float:
        return statistics.median(self.walls) * self.scale

    @property
    def scale(self) -> float:
        return self.rows / self.extrapolated_from if self.extrapolated_from else 1.0

    @property
    def peak(self) -> float:
        return statistics.median(self.peaks_mb)

    def spread(self) -> str:
        lo, hi = min(self.walls) * self.scale, max(self.walls) * self.scale
        return f"{self.wall:8.2f} [{lo:.2f}–{hi:.2f}]"

    def peak_spread(self) -> str:
        return f"{self.peak:7.0f} [{min(self.peaks_mb):.0f}–{max(self.peaks_mb):.0f}]"

    def as_json(self) -> dict:
        return {"label": self.label, "rows": self.rows, "walls": self.walls,
                "peaks_mb": self.peaks_mb, "extrapolated_from": self.extrapolated_from,
                "wall_median": self.wall, "peak_median_mb": self.peak}


# Peak RSS must be read from a process forked by a small one: Linux carries the RSS high-water
# mark of the forking process (this one, with polars loaded) across exec into the child's
# ru_maxrss. /usr/bin/time is such a small process; else a bare Python launcher (about 10 MB,
# which then sets a floor on the figure).
TIME = "/usr/bin/time" if Path("/usr/bin/time").is_file() else None
LAUNCHER = ("import os, subprocess, sys; child = subprocess.Popen(sys.argv[2:]); "
            "_, status, usage = os.wait4(child.pid, 0); "
            "open(sys.argv[1], 'w').write(str(usage.ru_maxrss)); "
            "sys.exit(os.waitstatus_to_exitcode(status))")


# The measured processes cache their bytecode as Python does by default (a steward's machine
# does; some environments, this sandbox among them, set PYTHONDONTWRITEBYTECODE, which would
# make every run compile coprod's modules again). The cache is kept in the working folder and
# warmed once before any measurement (:func:`warm_bytecode`).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def warm_bytecode(work: Path) -> None:
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    subprocess.run([PYTHON, "-c", "import coprod.cli, coprod.pipeline, coprod.read, "
                    "coprod.validate, coprod.harmonize, coprod.write, coprod.privacy, "
                    "coprod.site.render, frictionless, pyreadstat"], env=CHILD_ENV, check=True)


def run_once(cmd: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as err:
        peak_file = Path(tmp) / "peak"
        wrapped = ([TIME, "-f", "%M", "-o", str(peak_file), *cmd] if TIME else
                   [PYTHON, "-c", LAUNCHER, str(peak_file), *cmd])
        start = time.perf_counter()
        returncode = subprocess.call(wrapped, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err,
                                     env=CHILD_ENV)
        wall = time.perf_counter() - start
        if returncode != 0:
            err.seek(0)
            raise SystemExit(f"failed ({returncode}): {' '.join(cmd)}\n"
                             + err.read().decode("utf-8", "replace")[-3000:])
        peak_kib = int(peak_file.read_text().split()[-1])  # KiB on Linux
    return wall, peak_kib / 1024


def measure(label: str, rows: int, cmd: list[str], runs: int, *, cwd: Path | None = None,
            before=None) -> Runs:  # noqa: ANN001 - a callable run before each measurement
    result = Runs(label, rows)
    for _ in range(runs):
        if before:
            before()
        wall, peak = run_once(cmd, cwd)
        result.walls.append(wall)
        result.peaks_mb.append(peak)
    print(f"  {label:<34} {result.spread()} s  peak {result.peak_spread()} MB", flush=True)
    return result


# --- the suites ----------------------------------------------------------------------------------


def size_suite(n: int, work: Path, runs: int, frictionless_rows: int, profile: bool,
               sav: bool = True) -> list[Runs]:
    print(f"\n{n:,} rows", flush=True)
    results = []
    started = time.perf_counter()
    csv_pkg = work / f"csv-{n}"
    csv_path = make_package(csv_pkg, CSV_SOURCE)
    make_csv(n, csv_path, SEED)
    sav_pkg = work / f"sav-{n}"
    sav_path = make_package(sav_pkg, SAV_SOURCE)
    if sav:
        make_sav(n, sav_path, SEED)
    print(f"  generated {csv_path.stat().st_size / 1e6:.0f} MB CSV"
          + (f" and {sav_path.stat().st_size / 1e6:.0f} MB .sav" if sav else "")
          + f" in {time.perf_counter() - started:.1f} s", flush=True)

    limit_csv = work / "limit_csv.py"
    limit_csv.write_text(LIMIT_CSV)
    limit_sav = work / "limit_sav.py"
    limit_sav.write_text(LIMIT_SAV)
    types = json.dumps(arrow_types(source_codebook(CSV_SOURCE)))
    results.append(measure("a  pyarrow CSV → Parquet", n,
                           [PYTHON, str(limit_csv), str(csv_path), str(work / "limit.parquet"),
                            types], runs))
    results.append(measure("b  coprod harmonize (CSV)", n,
                           [COPROD, "--root", str(csv_pkg), "harmonize"], runs))

    f_rows = min(n, frictionless_rows)
    f_pkg = csv_pkg
    if f_rows < n:
        f_pkg = work / f"csv-{f_rows}-frictionless"
        f_path = make_package(f_pkg, CSV_SOURCE)
        if not f_path.exists():
            make_csv(f_rows, f_path, SEED)
    else:
        f_path = csv_path
    resource = frictionless_resource(f_pkg, f_path)
    c = measure(f"c  frictionless validate ({f_rows:,})", f_rows,
                [FRICTIONLESS, "validate", "--type", "resource", str(resource)], runs, cwd=f_pkg)
    if f_rows < n:
        c.rows, c.extrapolated_from = n, f_rows
        c.label = f"c  frictionless validate (×{n // f_rows})"
    results.append(c)

    if sav:
        results.append(measure("a.sav pyreadstat .sav → Parquet", n,
                               [PYTHON, str(limit_sav), str(sav_path),
                                str(work / "limit.parquet")], runs))
        results.append(measure("b.sav coprod harmonize (.sav)", n,
                               [COPROD, "--root", str(sav_pkg), "harmonize"], runs))
    if profile:
        out = work / f"profile-{n}.txt"
        script = (f"import cProfile, pstats, sys; sys.argv = ['coprod', '--root', "
                  f"{str(csv_pkg)!r}, 'harmonize']; from coprod.cli import main\n"
                  f"p = cProfile.Profile(); p.enable()\n"
                  f"try: main(standalone_mode=False)\nfinally:\n    p.disable(); "
                  f"pstats.Stats(p, stream=open({str(out)!r}, 'w')).sort_stats('cumulative')"
                  f".print_stats(60)")
        subprocess.run([PYTHON, "-c", script], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        print(f"  cProfile of b written to {out}", flush=True)
    for folder in {csv_pkg, sav_pkg}:
        shutil.rmtree(folder / "processed", ignore_errors=True)
    return results


def demo_suite(work: Path, runs: int) -> list[Runs]:
    print("\ndemo package", flush=True)
    results = [measure("coprod --help", 0, [COPROD, "--help"], 10)]
    demo = work / "demo"
    shutil.rmtree(demo, ignore_errors=True)  # a --workdir used before
    shutil.copytree(REPO, demo, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "__pycache__", "*.egg-info", ".ruff_cache", ".pytest_cache",
        "benchmarks", "node_modules"))
    run_once([COPROD, "--root", str(demo), "build"])  # prime build/state.json
    results.append(measure("coprod build (nothing changed)", 0,
                           [COPROD, "--root", str(demo), "build"], max(runs, 3)))
    results.append(measure("coprod build --force (cold)", 0,
                           [COPROD, "--root", str(demo), "build", "--force"], runs,
                           before=lambda: shutil.rmtree(demo / "build", ignore_errors=True)))
    site = demo / "build" / "site"
    pages = sorted(site.rglob("*.html"))
    languages = yaml.safe_load((demo / "schemas" / "package.yaml").read_text("utf-8"))[
        "languages"]
    print(f"  the cold build made the whole site: {len(pages)} pages in {len(languages)} "
          f"interface languages ({', '.join(languages)})", flush=True)
    committed = [REPO / "datapackage.json", *sorted((REPO / "processed").glob("*"))]
    differing = [p.relative_to(REPO).as_posix() for p in committed
                 if (demo / p.relative_to(REPO)).read_bytes() != p.read_bytes()]
    print("  rebuilt processed/ and datapackage.json equal the repository's: "
          + ("yes" if not differing else "NO, differing: " + ", ".join(differing)), flush=True)
    return results


# --- the report ----------------------------------------------------------------------------------


def report(sizes: list[int], results: list[Runs], demo: list[Runs]) -> None:
    print("\n" + "=" * 96)
    print(f"{'rows':>10}  {'step':<34} {'wall s median [min–max]':>26} {'rows/s':>11}"
          f" {'peak MB median [min–max]':>24}")
    for n in sizes:
        for r in (r for r in results if r.rows == n):
            rate = f"{n / r.wall:11,.0f}"
            print(f"{n:>10,}  {r.label:<34} {r.spread():>26} {rate} {r.peak_spread():>24}")
        print()
    limits = {"coprod --help": 0.25, "coprod build (nothing changed)": 0.5,
              "coprod build --force (cold)": 5.0}
    for r in demo:
        limit = limits.get(r.label)
        verdict = f"target ≤ {limit} s: {_verdict(r.wall <= limit)}" if limit else ""
        print(f"{'':>10}  {r.label:<34} {r.spread():>26} {'':>11} {r.peak_spread():>24}  "
              f"{verdict}")
    print("\nratios and targets (medians)")
    for n in sizes:
        by = {r.label.split()[0]: r for r in results if r.rows == n}
        a, b, c = by["a"], by["b"], by.get("c")
        line = f"  {n:>10,} rows: b/a time {b.wall / a.wall:5.2f}"
        if n in (1_000_000, 5_000_000):
            line += f" (≤ 1.5: {_verdict(b.wall / a.wall <= 1.5)})"
        line += f"   b/a memory {b.peak / a.peak:5.2f}"
        if n == 5_000_000:
            line += f" (≤ 1.0: {_verdict(b.peak <= a.peak)})"
        if n == 20_000_000:
            line += f"   b peak {b.peak:,.0f} MB (< 1,500: {_verdict(b.peak < 1500)})"
        if c is not None:
            line += f"   c/b time {c.wall / b.wall:6.1f}"
            if n == 1_000_000:
                line += f" (≥ 25: {_verdict(c.wall / b.wall >= 25)})"
            if c.extrapolated_from:
                line += f" (c measured at {c.extrapolated_from:,} rows, extrapolated linearly)"
        print(line)
        if "a.sav" in by:
            sa, sb = by["a.sav"], by["b.sav"]
            print(f"  {'':>10}  .sav: b/a time {sb.wall / sa.wall:5.2f} "
                  f"(≤ 1.2: {_verdict(sb.wall / sa.wall <= 1.2)})   "
                  f"b/a memory {sb.peak / sa.peak:5.2f}")


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000],
                        help="rows per generated source (default: 100000 1000000)")
    parser.add_argument("--with-5m", action="store_true", help="also 5,000,000 rows")
    parser.add_argument("--with-20m", action="store_true",
                        help="also 20,000,000 rows (CSV only: no .sav at this size; about 1.3 GB "
                             "of CSV in the working folder)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--frictionless-rows", type=int, default=100_000,
                        help="run frictionless on at most this many rows and extrapolate "
                             "linearly (default 100000)")
    parser.add_argument("--no-sav", action="store_true", help="skip the SPSS source (a.sav, b.sav)")
    parser.add_argument("--no-demo", action="store_true",
                        help="skip --help, the no-change build and the cold build")
    parser.add_argument("--profile", type=int, nargs="*", default=[],
                        help="also write a cProfile of b at these sizes")
    parser.add_argument("--workdir", type=Path,
                        help="where to generate (default: a temporary folder, removed after)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes + ([5_000_000] if args.with_5m else [])
                       + ([20_000_000] if args.with_20m else [])))
    if args.runs < 3:
        parser.error("--runs must be at least 3 (a median of fewer says little)")

    started = time.perf_counter()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="coprod-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; "
          f"polars {pl.__version__}; working in {work}")
    try:
        warm_bytecode(work)
        results = []
        for n in sizes:
            results += size_suite(n, work, args.runs, args.frictionless_rows, n in args.profile,
                                  sav=not args.no_sav and n < 20_000_000)
        demo = [] if args.no_demo else demo_suite(work, args.runs)
        report(sizes, results, demo)
        if args.json:
            args.json.write_text(json.dumps({"sizes": sizes, "results": [
                r.as_json() for r in results + demo]}, indent=2))
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
