"""What a numeric variable's page may show of its values: a histogram whose every bar rests on at
least ``min_n`` respondents, and percentiles that are no one respondent's value; and the audit of
what a page shows (docs/disclosure.md, "Numeric variables").

Histogram
    One grid of ranges for all sources of a variable, so that they compare: its width is the
    Freedman-Diaconis width of the values between their 5th and 95th percentile (numpy's "auto"
    where the spread is 0), raised to a round 1, 2 or 5 times a power of ten (2.5 too for a
    number; at least 1 for an integer) and to no more than ``MAX_BINS`` ranges; the edges are
    multiples of the width. Below the first edge and above the last, one open range each ("< a",
    "≥ b"), so that no bar shows the lowest or highest value. Per source, a range of fewer than
    ``min_n`` respondents is merged with the next (the last with the one before), and the lowest
    and highest published ranges are open. A source with fewer than two ranges, or whose number
    of values the suppression plan hides (the bars would add up to it), has no histogram.

Percentiles
    P10, P25, the median, P75 and P90 (nearest rank: a value of the data, an integer for an
    integer variable). One is published only if at least ``min_n`` values lie at or below it and
    at least ``min_n`` at or above, and rounded to the smallest step (1, 2, 5 times a power of
    ten) at which at least ``min_n`` values round to the printed figure; the step is printed
    with it. So a printed percentile is shared by ``min_n`` respondents: it is not one
    respondent's value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PERCENTILES = (10, 25, 50, 75, 90)
MAX_BINS = 12
CORE = (5, 95)  # the percentiles between which the grid's ranges are closed


@dataclass(frozen=True)
class Bin:
    """Values ``low <= v < high``; None: open (no lower, or no upper, bound)."""

    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class Percentile:
    p: int
    value: float | None  # None: not published (too few values on one side)
    step: float | None = None  # the printed value is rounded to this


def finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """The values as floats, without NaN or infinities (which no range or rank can hold)."""
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]


def _nice(width: float, integer: bool) -> float:
    """The smallest round width at least ``width``: 1, 2, (2.5,) 5 times a power of ten."""
    if integer and width <= 1:
        return 1.0
    width = max(width, 1e-9)
    power = 10.0 ** math.floor(math.log10(width))
    for factor in ((1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)):
        if factor * power >= width * (1 - 1e-12):
            return float(factor * power)
    raise AssertionError("unreachable")


def grid(values: np.ndarray, integer: bool) -> list[float]:
    """The edges shared by all sources of a variable (see the module's text); empty when there
    are no values."""
    values = finite(values)
    if values.size == 0:
        return []
    low, high = np.percentile(values, CORE, method="inverted_cdf")
    core = values[(values >= low) & (values <= high)]
    edges = np.histogram_bin_edges(core, bins="auto")
    width = _nice(max(float(edges[1] - edges[0]), (high - low) / MAX_BINS), integer)
    start = math.floor(low / width) * width
    stop = math.floor(high / width) * width + width
    count = round((stop - start) / width)
    return [float(np.round(start + i * width, 10)) for i in range(count + 1)]


def histogram(values: np.ndarray, edges: Sequence[float], min_n: int) -> list[Bin]:
    """One source's ranges on the grid, merged until each holds at least ``min_n`` values, the
    first and last open; [] when fewer than two ranges would be left."""
    values = finite(values)
    if values.size == 0 or not edges:
        return []
    bounds = [-math.inf, *edges, math.inf]
    counts = [int(((values >= a) & (values < b)).sum()) for a, b in zip(bounds, bounds[1:],
                                                                          strict=False)]
    merged: list[list] = []  # [low, high, n]
    current: list | None = None
    for (a, b), n in zip(zip(bounds, bounds[1:], strict=False), counts, strict=True):
        current = [a, b, n] if current is None else [current[0], b, current[2] + n]
        if current[2] >= min_n:
            merged.append(current)
            current = None
    if current is not None and current[2] > 0:
        if not merged:
            return []
        merged[-1] = [merged[-1][0], current[1], merged[-1][2] + current[2]]
    if len(merged) < 2:
        return []
    merged[0][0], merged[-1][1] = -math.inf, math.inf  # open ends: no extreme is shown
    return [Bin(None if math.isinf(a) else a, None if math.isinf(b) else b, n)
            for a, b, n in merged]


def _steps(value: float, integer: bool, spread: float) -> list[float]:
    first = 1.0 if integer else 10.0 ** (math.floor(math.log10(max(abs(value), spread, 1e-9)))
                                         - 3)
    steps, step = [], first
    while step <= max(spread, first) * 10:
        steps += [step, 2 * step, 5 * step]
        step *= 10
    return steps


def _rounded(values: np.ndarray, step: float) -> np.ndarray:
    return np.floor(values / step + 0.5) * step


def shared(values: np.ndarray, printed: float, step: float) -> int:
    """How many values round to ``printed`` at ``step``."""
    return int((np.abs(_rounded(np.asarray(values, dtype=float), step) - printed)
                < step * 1e-6).sum())


def percentiles(values: np.ndarray, min_n: int, integer: bool) -> list[Percentile]:
    """The percentiles a page may print (see the module's text)."""
    values = np.sort(finite(values))
    n = values.size
    out = []
    for p in PERCENTILES:
        if n == 0:
            out.append(Percentile(p, None))
            continue
        q = float(values[max(math.ceil(p / 100 * n), 1) - 1])
        if (values <= q).sum() < min_n or (values >= q).sum() < min_n:
            out.append(Percentile(p, None))
            continue
        spread = float(values[-1] - values[0])
        for step in _steps(q, integer, spread):
            printed = float(_rounded(np.array([q]), step)[0])
            if shared(values, printed, step) >= min_n:
                out.append(Percentile(p, float(np.round(printed, 10)), step))
                break
        else:
            out.append(Percentile(p, None))
    return out


# --- the audit ------------------------------------------------------------------------------


def audit_numeric(where: str, values: np.ndarray, bins: Sequence[Bin],
                  printed: Sequence[Percentile], min_n: int, n_hidden: bool) -> list[str]:
    """What a page shows of one source's values, checked against the values: every bar rests on
    at least ``min_n`` of them and the ends are open; no histogram where the number of values
    is hidden; every percentile is shared by ``min_n`` values at its printed rounding and has
    ``min_n`` at or below and at or above it."""
    values = finite(values)
    problems = []
    if bins and n_hidden:
        problems.append(f"{where}: a histogram whose bars add up to the suppressed number of "
                        "values")
    for i, b in enumerate(bins):
        low = -math.inf if b.low is None else b.low
        high = math.inf if b.high is None else b.high
        n = int(((values >= low) & (values < high)).sum())
        if n < min_n:
            problems.append(f"{where}: the range {b.low}–{b.high} holds {n} value(s), fewer "
                            f"than {min_n}")
        if (i == 0 and b.low is not None) or (i == len(bins) - 1 and b.high is not None):
            problems.append(f"{where}: the {'lowest' if i == 0 else 'highest'} range is closed "
                            f"({b.low}–{b.high}): it bounds the extreme value")
    for p in printed:
        if p.value is None:
            continue
        step = p.step or 0.0
        if step <= 0 or shared(values, p.value, step) < min_n:
            problems.append(f"{where}: P{p.p} = {p.value:g} (to {step:g}) is the value of "
                            f"fewer than {min_n} respondents")
        if (values <= p.value + step / 2).sum() < min_n or \
                (values >= p.value - step / 2).sum() < min_n:
            problems.append(f"{where}: P{p.p} = {p.value:g} has fewer than {min_n} values "
                            "on one side")
    return problems
