"""Where `coprod harmonize` spends its time and memory, by stage, in one process.

    python benchmarks/stages.py PACKAGE_FOLDER

PACKAGE_FOLDER is a package made by ``run.py --workdir`` (e.g. ``/tmp/bench/csv-1000000``).
A thread samples the resident memory (``/proc/self/statm``) every 5 ms; each stage is named by
the pipeline's own progress messages. Nothing is published: the bytes are made and dropped.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def main() -> int:
    root = Path(sys.argv[1])
    stages: list[list] = []  # [name, start, end, peak bytes]
    done = threading.Event()

    def begin(name: str) -> None:
        now = time.perf_counter()
        if stages:
            stages[-1][2] = now
        stages.append([name, now, None, rss()])

    def sample() -> None:
        while not done.wait(0.005):
            if stages:
                stages[-1][3] = max(stages[-1][3], rss())

    threading.Thread(target=sample, daemon=True).start()
    begin("imports")
    from coprod import pipeline
    from coprod.project import Project
    project = Project.find(root)
    begin("codebooks")
    codebooks = pipeline.load(project)
    pipeline.package(project, codebooks, progress=begin)
    begin("done")
    done.set()
    for name, start, end, peak in stages[:-1]:
        print(f"{name:<44} {end - start:6.2f} s   peak RSS {peak / 1e6:6.0f} MB")
    print(f"{'total':<44} {stages[-1][1] - stages[0][1]:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
