"""An attacker's audit of published aggregates, by linear programming (HiGHS).

Small-cell suppression hides a count, but every other figure on the site still says something
about it: a column total, the n of a group, a percentage rounded to one decimal, a pooled count
across waves, an exact count in a download. Together they are linear constraints on the hidden
counts, and an attacker who solves ``min x`` and ``max x`` over them learns the range of values
consistent with everything published. This module solves that attacker's problem for every
suppressed cell and reports each one that the published figures pin down too closely.

The figures
    Every count in the audit is a :class:`Cell`, an unknown integer ``x >= 0``. A published cell
    is fixed to its value (it is substituted into the constraints, so only hidden cells become
    variables). An :class:`Equation` is a published sum (a total, an n, a pooled count). A
    :class:`Bound` is a published interval on one cell (``< 5`` gives ``1 <= x <= 4``). A
    :class:`Share` is a percentage with its rounding: shown as ``p`` with ``d`` decimals it says
    ``(p - h) * den <= 100 * num <= (p + h) * den`` with ``h = 0.5 * 10**-d``, a pair of linear
    constraints (the interval is taken closed: the attacker does not know which way the publisher
    rounded a tie).

Weighted shares
    A weighted percentage is not linear in the counts. Left out, it leaks nothing to the audit
    and the audit under-reports; passed as unweighted, the audit is wrong. What is linear is the
    bound it gives when every weight lies in ``[a, b]``: the weighted odds
    ``W_num / W_rest`` lie between ``a/b`` and ``b/a`` times the unweighted odds, so
    ``(p - h) * a * rest <= (100 - p + h) * b * num`` and
    ``(100 - p - h) * a * num <= (p + h) * b * rest``. :attr:`Share.weights` takes ``(a, b)``;
    ``(1, 1)`` (or any ``a == b``) is the unweighted share. With weights near 1 this still pins
    a small cell: 95.1 % of n = 45 with weights in [1, 1.11] leaves only "2 said no".

The rule: what counts as disclosed
    A hidden cell is *protected* when it needs to be: its true value is not 0 (zeros are not
    sensitive, as in sdcTable, whose frequency rule has ``allowZeros = FALSE`` by default, and
    τ-ARGUS, which treats empty cells as safe unless its ``ZERO`` rule is set; the site shows
    zeros anyway, so a hidden zero that is worked out shows what the page would have shown).
    ``zeros=True`` protects hidden zeros too. Every hidden non-zero cell is protected, primary or
    secondary alike: a secondary cell that can be worked out is as good as published.

    A protected cell is *disclosed* when the attacker's integer range has fewer than
    ``min_values`` values, ``max - min + 1 < min_values``. The default is ``min_n - 1``, at least
    2: the site itself publishes each primary cell as "fewer than min_n" (a zero is shown as 0),
    which is the range 1 .. min_n - 1, min_n - 1 values. That is what the package's convention
    deliberately gives away; a rule asking for ``min_n`` values would condemn the convention, not
    find leaks. What it guards against is anything narrower: 353 exactly, or "1 or 2". Pass
    ``min_values=min_n`` where hidden cells carry no "fewer than" label. A published cell, or a
    published sum, with ``0 < value < min_n`` is disclosed whatever else is published. The rule
    judges the range, not the values in it: rounding can leave holes ("2 or 4"), which the
    range 2 .. 4 counts as three values.

Integer, not only linear
    The LP relaxation is solved first (fast, warm-started: one HiGHS model per connected
    component of hidden cells, min and max for each). Its range can only be wider than the
    integer one, and with rounded percentages it is often much wider in effect: the LP leaves no
    = 352.2 .. 353, the integers leave 353 alone. So where the rounded LP range is not already
    certified by integer solutions (the true values are one; an integral LP vertex is another),
    the range is confirmed by a MILP that starts from the true values. The reported range is the
    integer one.

Not covered
    Only what is linear in the counts. A minimum or maximum of a numeric variable over a group of
    one discloses that respondent's answer, and a mean over two discloses each to the other;
    neither is a constraint on counts, so the caller must keep such figures off the site (the
    group-size rule does). Nor does the audit model an attacker's prior knowledge beyond the
    published figures.

Compared with τ-ARGUS and sdcTable
    Both solve the same attacker problem (sdcTable's ``attack()``; τ-ARGUS audits a suppression
    pattern by the feasibility intervals of its cells) and both choose secondary suppressions so
    that each sensitive cell's interval covers a protection level (τ-ARGUS: a safety range in
    per cent with its frequency rule, and Optimal/Modular/Network/Hypercube methods; sdcTable:
    ``protectTable()`` with SIMPLEHEURISTIC, OPT, HITAS, GAUSS). Differences: (1) they know a
    table only as cells and additive margins (hierarchies, linked tables); a percentage with its
    rounding, the leak this package had, is outside their model, and here it is a constraint
    like any other. (2) Their attacker problem is the LP relaxation; here the range is integer,
    since rounding constraints make the two differ. (3) sdcTable's ``attack()`` calls a cell
    protected when ``up - low`` exceeds 1e-8, i.e. when it cannot be computed exactly; the rule
    here asks for ``min_values`` possible values. (4) :func:`protect` is a greedy heuristic driven
    by the audit's duals, not an optimal (Fischetti-Salazar) pattern: it may hide more than
    needed, never less than the audit asks.
"""

from __future__ import annotations

import copy
import math
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

Key = tuple[str, ...]

_INF = math.inf
# A float bound within this (relative) distance of an integer is that integer: HiGHS's primal
# feasibility tolerance is 1e-7, and an integer point that really violates a rounded-percentage
# constraint does so by at least 10**-(decimals + 1) times a count.
_EPS = 1e-6
_DUAL = 1e-9  # a row whose dual is larger than this binds
_MILP_SECONDS = 60.0


@dataclass(frozen=True)
class Cell:
    """An unknown non-negative integer count in the audit."""

    key: Key  # e.g. ("institutions.collab_associations", "dk-institutions-2016", "no")
    value: int  # its true count: known to the builder, never published when suppressed
    published: bool  # shown exactly on some page
    where: str = ""  # where it is shown exactly, for the message (published cells)


@dataclass(frozen=True)
class Equation:
    """A published sum: the cells (a cell may appear more than once) add up to ``total``, or,
    with ``high``, to a number from ``total`` to ``high`` (an n published rounded)."""

    cells: tuple[Key, ...]
    total: int
    where: str  # the page or file and the figure, e.g. "N = 818 on variables/x.html"
    high: int | None = None


@dataclass(frozen=True)
class Share:
    """A published percentage ``100 * sum(numerator) / sum(denominator)``, shown as ``percent``
    rounded to ``decimals``. ``weights`` is the range ``(a, b)`` of the weights of the
    respondents in it; ``a == b`` (the default, 1) is an unweighted share. A weighted share needs
    its numerator to be part of its denominator (the share of one answer among several)."""

    numerator: tuple[Key, ...]
    denominator: tuple[Key, ...]
    percent: float
    decimals: int
    where: str
    weights: tuple[float, float] = (1.0, 1.0)


@dataclass(frozen=True)
class Bound:
    """A published interval on one cell: "< 5" is ``Bound(key, 1, 4, ...)`` (zeros being shown
    as 0), a published 0 is ``Bound(key, 0, 0, ...)``."""

    cell: Key
    low: int
    high: int
    where: str


@dataclass(frozen=True)
class Leak:
    """A protected cell that the published figures pin to fewer values than the rule allows."""

    cell: Key
    low: float  # the integer range consistent with everything published
    high: float
    pinned_by: tuple[str, ...]  # the ``where`` of the figures that bind, as far as HiGHS tells
    kind: str = "primary"  # "primary" (a small count, hidden), "secondary" (hidden to protect
    # another), "published" (a small count shown exactly) or "total" (a published sum below the
    # minimum cell size; ``cell`` is then empty and ``pinned_by`` names the sum)

    def __str__(self) -> str:
        name = " ".join(self.cell)
        if self.kind == "published":
            return (f"{name}: a count of {_number(self.low)}, below the minimum cell size, is "
                    f"published exactly ({'; '.join(self.pinned_by)})")
        if self.kind == "total":
            return (f"{'; '.join(self.pinned_by)}: a total of {_number(self.low)}, below the "
                    "minimum cell size, is published exactly")
        where = "; ".join(self.pinned_by) or "the figures it appears in"
        return (f"{name}: everything published puts it between {_number(self.low)} and "
                f"{_number(self.high)} ({where})")


@dataclass(frozen=True)
class Protection:
    """What :func:`protect` chose. Publish the cells outside ``suppress`` and the shares not in
    ``withheld``; ``leaks`` is empty unless no suppression could close a leak (then the caller
    must drop a figure, e.g. a total or a "fewer than" label, and audit again)."""

    suppress: frozenset[Key]  # every cell to hide: primary and secondary
    primary: frozenset[Key]  # 0 < value < min_n
    secondary: frozenset[Key]  # hidden so that a primary cannot be worked out
    withheld: tuple[Share, ...]  # shares not to publish, in the order given
    leaks: tuple[Leak, ...]  # what still leaks


def default_min_values(min_n: int) -> int:
    """How many values an attacker must be left with: as many as "fewer than min_n" leaves."""
    return max(2, min_n - 1)


def audit(cells: Sequence[Cell], equations: Sequence[Equation], shares: Sequence[Share],
          bounds: Sequence[Bound], min_n: int, *, min_values: int | None = None,
          zeros: bool = False) -> list[Leak]:
    """Every cell that the published figures disclose, sorted by key: hidden cells whose
    attacker range has fewer than ``min_values`` integer values (default ``min_n - 1``, see the
    module's docstring), and published cells and sums (equations) with ``0 < value < min_n``:
    a small count shown exactly, whether as a cell or as a total, is a disclosure by itself.

    Raises ValueError when a figure names a cell not in ``cells`` or the true values do not
    satisfy a figure (a weighted share passed as unweighted, say): the audit would be wrong.
    """
    problem = _Problem(cells, equations, shares, bounds)
    need = default_min_values(min_n) if min_values is None else min_values
    findings = problem.findings(min_n, need, zeros, skip=frozenset(), cache={})
    return [f.leak for f in findings]


def protect(cells: Sequence[Cell], equations: Sequence[Equation], shares: Sequence[Share],
            bounds: Sequence[Bound], min_n: int, *, candidates: Iterable[Key] | None = None,
            min_values: int | None = None, zeros: bool = False, below_label: bool = True,
            audit_shares: bool = False, unshown: Iterable[Key] = ()) -> Protection:
    """Choose what to hide so that :func:`audit` passes.

    ``cells`` carry their true values; their ``published`` flags are where to start from (a
    cell hidden already stays hidden: pass every cell as published to choose from scratch).
    Primary suppression hides every ``0 < value < min_n``; with ``below_label`` each is taken to
    be shown as "fewer than min_n" (unless ``bounds`` already say how it is shown).

    Shares: a share over a hidden cell, in its numerator or its denominator, is withheld, as the
    pages do: a percentage of a hidden count gives the count, and one over a column with hidden
    cells gives its hidden sum to within the rounding. With ``audit_shares`` only those whose
    numerator is hidden are withheld and the others are kept unless the audit finds that they
    pin a cell: more percentages shown, for a slower search (8 times slower on the 3,000 cells
    of the test's generated site). Cells in ``unshown`` are never published by design (the
    counts behind a weighted percentage of a summary table): they are hidden without being
    suppressed, and their shares are kept unless the audit finds that they pin a cell.

    Then, until the audit passes, for each leak (in key order, one per connected group of
    hidden cells per round): the shares that pin it are withheld, since a percentage says
    little that the counts do not; otherwise the smallest non-zero published cell (ties: the
    key) of a figure that pins it is hidden, among ``candidates`` if given, skipping a cell that
    another sum would give straight away. Zeros are never chosen: hiding a 0 protects little
    (sdcTable's status "z" likewise keeps empty cells out of secondary suppression). A leak
    that no hiding closes is returned in :attr:`Protection.leaks`. Deterministic.
    """
    need = default_min_values(min_n) if min_values is None else min_values
    allowed = None if candidates is None else set(candidates)
    primary = {c.key for c in cells if 0 < c.value < min_n}
    hidden = primary | {c.key for c in cells if not c.published}
    bounded = {b.cell for b in bounds}
    extra = [Bound(key, 1, min_n - 1, f'"< {min_n}" for {" ".join(key)}')
             for key in sorted(primary - bounded)] if below_label else []
    all_bounds = [*bounds, *extra]

    problem = _Problem(cells, equations, shares, all_bounds)
    share_ids = range(len(equations), len(equations) + len(shares))
    over = "numerator" if audit_shares else "keys"

    def over_hidden(share: int, cells: Iterable[Key]) -> bool:
        return any(k in cells for k in getattr(problem.figures[share], over))

    withheld = {i for i in share_ids if over_hidden(i, hidden - set(unshown))}
    cache: dict = {}
    while True:
        current = problem.with_hidden(hidden)
        findings = current.findings(min_n, need, zeros, skip=frozenset(withheld), cache=cache,
                                    first=True)
        acted: set[int] = set()
        for finding in findings:
            if finding.component in acted or finding.leak.kind in ("published", "total"):
                continue
            move = _move(current, finding, withheld, hidden, allowed)
            if move is None:
                continue
            acted.add(finding.component)
            kind, targets = move
            if kind == "withhold":
                withheld.update(targets)
            else:
                (target,) = targets
                hidden.add(target)
                withheld |= {i for i in problem.naming[target]
                             if problem.figures[i].kind == "share" and over_hidden(i, {target})}
        if not acted:
            break
    if findings:  # say everything that still leaks, not only the first of each group
        findings = current.findings(min_n, need, zeros, skip=frozenset(withheld), cache=cache)
    return Protection(
        suppress=frozenset(hidden - set(unshown)),
        primary=frozenset(primary - set(unshown)),
        secondary=frozenset(hidden - primary - set(unshown)),
        withheld=tuple(shares[i - len(equations)] for i in sorted(withheld)),
        leaks=tuple(f.leak for f in findings),
    )


# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Figure:
    kind: str  # "equation", "share", "bound"
    where: str
    keys: tuple[Key, ...]  # every cell it names
    numerator: tuple[Key, ...]  # shares only
    rows: tuple[tuple[dict[Key, float], float, float], ...]  # sum(coef * x) in [low, high]


@dataclass(frozen=True)
class _Row:
    terms: tuple[tuple[Key, float], ...]  # hidden cells only, by key
    low: float
    high: float
    source: int  # index of the figure


@dataclass(frozen=True)
class _Finding:
    leak: Leak
    sources: tuple[int, ...]  # the figures that bind
    component: int  # which connected group of hidden cells it is in (this round)


def _figures(equations: Sequence[Equation], shares: Sequence[Share],
             bounds: Sequence[Bound]) -> list[_Figure]:
    out = []
    for eq in equations:
        terms: dict[Key, float] = {}
        for key in eq.cells:
            terms[key] = terms.get(key, 0.0) + 1.0
        high = eq.total if eq.high is None else eq.high
        out.append(_Figure("equation", eq.where, tuple(eq.cells), (),
                           ((terms, float(eq.total), float(high)),)))
    for share in shares:
        out.append(_Figure("share", share.where, (*share.numerator, *share.denominator),
                           tuple(share.numerator), _share_rows(share)))
    for bound in bounds:
        out.append(_Figure("bound", bound.where, (bound.cell,), (),
                           (({bound.cell: 1.0}, float(bound.low), float(bound.high)),)))
    return out


def _share_rows(share: Share) -> tuple[tuple[dict[Key, float], float, float], ...]:
    p, h = float(share.percent), 0.5 * 10.0 ** -share.decimals
    a, b = share.weights
    if not 0 < a <= b:
        raise ValueError(f"{share.where}: weights must be a range 0 < a <= b, not {a}, {b}")

    def combine(*parts: tuple[Iterable[Key], float]) -> dict[Key, float]:
        terms: dict[Key, float] = {}
        for keys, coef in parts:
            for key in keys:
                terms[key] = terms.get(key, 0.0) + coef
        return terms

    if a == b:  # equal weights cancel: the unweighted share
        return ((combine((share.numerator, 100.0), (share.denominator, -(p - h))), 0.0, _INF),
                (combine((share.numerator, 100.0), (share.denominator, -(p + h))), -_INF, 0.0))
    num, den = list(share.numerator), list(share.denominator)
    if len(set(num)) != len(num) or len(set(den)) != len(den) or not set(num) <= set(den):
        raise ValueError(f"{share.where}: a weighted share needs its numerator to be part of "
                         "its denominator, each cell once")
    rest = [k for k in den if k not in set(num)]
    return ((combine((num, (100 - p + h) * b), (rest, -(p - h) * a)), 0.0, _INF),
            (combine((rest, (p + h) * b), (num, -(100 - p - h) * a)), 0.0, _INF))


class _Problem:
    """The figures, checked against the true values, and the rows they give for a choice of
    hidden cells."""

    def __init__(self, cells: Sequence[Cell], equations: Sequence[Equation],
                 shares: Sequence[Share], bounds: Sequence[Bound]) -> None:
        self.cells: dict[Key, Cell] = {}
        for cell in cells:
            if cell.key in self.cells:
                raise ValueError(f"cell {' '.join(cell.key)} is in the audit twice")
            if cell.value < 0:
                raise ValueError(f"cell {' '.join(cell.key)} has a negative count {cell.value}")
            self.cells[cell.key] = cell
        self.hidden = frozenset(c.key for c in cells if not c.published)
        self.figures = _figures(equations, shares, bounds)
        self._check()
        self.naming: dict[Key, list[int]] = {}  # cell -> the figures that name it
        for index, figure in enumerate(self.figures):
            for key in dict.fromkeys(figure.keys):
                self.naming.setdefault(key, []).append(index)

    def _check(self) -> None:
        """The true values must satisfy every figure, or the audit is of something else."""
        for figure in self.figures:
            for key in figure.keys:
                if key not in self.cells:
                    raise ValueError(f"{figure.where}: names cell {' '.join(key)}, which is "
                                     "not in the audit")
            for terms, low, high in figure.rows:
                activity = sum(c * self.cells[k].value for k, c in terms.items())
                tol = 1e-9 * max(1.0, sum(abs(c) * self.cells[k].value
                                          for k, c in terms.items()))
                if not low - tol <= activity <= high + tol:
                    raise ValueError(
                        f"{figure.where}: the true counts do not give this {figure.kind} "
                        "(a weighted share passed as unweighted? a stale total?)")

    def with_hidden(self, hidden: Iterable[Key]) -> _Problem:
        other = copy.copy(self)
        other.hidden = frozenset(hidden)
        return other

    def rows(self, skip: frozenset[int]) -> list[_Row]:
        out = []
        for index, figure in enumerate(self.figures):
            if index in skip:
                continue
            for terms, low, high in figure.rows:
                constant = 0.0
                unknown: dict[Key, float] = {}
                for key, coef in terms.items():
                    if key not in self.hidden:
                        constant += coef * self.cells[key].value
                    elif coef != 0.0:
                        unknown[key] = coef
                if unknown:
                    out.append(_Row(tuple(sorted(unknown.items())), low - constant,
                                    high - constant, index))
        return out

    def findings(self, min_n: int, need: int, zeros: bool, skip: frozenset[int],
                 cache: dict, first: bool = False) -> list[_Finding]:
        """The leaks, by cell; with ``first``, only the first of each component (enough to
        choose the next suppression, and much cheaper)."""
        found: list[_Finding] = []
        for cell in self.cells.values():
            if cell.key not in self.hidden and 0 < cell.value < min_n:
                found.append(_Finding(Leak(cell.key, float(cell.value), float(cell.value),
                                           (cell.where or "published",), "published"), (), -1))
        for index, figure in enumerate(self.figures):
            total, high = figure.rows[0][1], figure.rows[0][2]
            if figure.kind == "equation" and index not in skip and total > 0 and high < min_n:
                found.append(_Finding(Leak((), total, total, (figure.where,), "total"), (), -1))
        rows = self.rows(skip)
        for number, (keys, members) in enumerate(_components(self.hidden, rows)):
            protected = tuple(k for k in keys if self.cells[k].value > 0 or zeros)
            if not protected:
                continue
            signature = (tuple(members), protected, need, first)
            if signature not in cache:
                values = {k: self.cells[k].value for k in keys}
                problem = (tuple(keys), protected, tuple(values.values()), need)
                rows = frozenset((r.terms, r.low, r.high) for r in members)
                if any(rows <= safe for safe in _LEAK_FREE.get(problem, ())):
                    cache[signature] = []
                else:
                    cache[signature] = _attack(keys, members, protected, values, need, first)
                    if not cache[signature]:
                        _leak_free(problem, rows)
            for key, low, high, sources in cache[signature]:
                kind = "primary" if 0 < self.cells[key].value < min_n else "secondary"
                wheres = tuple(dict.fromkeys(self.figures[s].where for s in sources))
                found.append(_Finding(Leak(key, low, high, wheres, kind), sources, number))
        return sorted(found, key=lambda f: f.leak.cell)


# The attacker problems of one component found to leak nothing: its cells, their values, the
# protected ones and ``need``, with the sets of rows found safe. Whether a problem leaks is a
# function of these (the rows' figure indices only name what binds a leak; ``first`` only stops
# the search at a first leak), and a subset of safe rows is safe: fewer figures leave the
# attacker more solutions, never fewer. The site's audit asks this of the figures the plan has
# just made safe (the same or fewer: a percentage the page does not show), so the answer is
# known, not solved again: most of a build's MILPs. Bounded: a test run builds many packages.
_LEAK_FREE: dict[tuple, list[frozenset]] = {}
_LEAK_FREE_MAX = 10_000


def _leak_free(problem: tuple, rows: frozenset) -> None:
    if len(_LEAK_FREE) >= _LEAK_FREE_MAX:
        _LEAK_FREE.clear()
    _LEAK_FREE.setdefault(problem, []).append(rows)


def _components(hidden: frozenset[Key], rows: list[_Row]
                ) -> list[tuple[list[Key], list[_Row]]]:
    """Hidden cells linked by rows, each with its rows, in key order: each is its own attacker
    problem (published cells are constants and link nothing)."""
    parent = {k: k for k in hidden}

    def find(k: Key) -> Key:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for row in rows:
        first = find(row.terms[0][0])
        for key, _ in row.terms[1:]:
            other = find(key)
            if other != first:
                parent[max(first, other)] = min(first, other)
                first = min(first, other)
    groups: dict[Key, tuple[list[Key], list[_Row]]] = {}
    for key in sorted(parent):
        groups.setdefault(find(key), ([], []))[0].append(key)
    for row in rows:
        groups[find(row.terms[0][0])][1].append(row)
    return [groups[root] for root in sorted(groups)]


def _count(low: float, high: float) -> float:
    return high - low + 1 if high >= low else 0


def _floor(x: float) -> float:
    return x if math.isinf(x) else math.floor(x + _EPS * max(1.0, abs(x)))


def _ceil(x: float) -> float:
    return x if math.isinf(x) else math.ceil(x - _EPS * max(1.0, abs(x)))


def _attack(keys: list[Key], rows: list[_Row], protected: tuple[Key, ...],
            values: dict[Key, int], need: int, first: bool
            ) -> list[tuple[Key, float, float, tuple[int, ...]]]:
    """The leaks of one component: (cell, integer low, integer high, binding figures)."""
    if not rows:
        return []  # 0 .. infinity
    if len(keys) == 1:
        return _attack_one(keys[0], rows, need)
    return _Attacker(keys, rows, values).leaks(protected, need, first)


def _attack_one(key: Key, rows: list[_Row], need: int) -> list[tuple[Key, float, float,
                                                                      tuple[int, ...]]]:
    """One hidden cell alone: each row bounds it directly, exactly, without a solver."""
    lows, highs = [(0.0, -1)], [(_INF, -1)]
    for row in rows:
        ((_, coef),) = row.terms
        lo, hi = row.low / coef, row.high / coef
        if coef < 0:
            lo, hi = hi, lo
        lows.append((_ceil(lo), row.source))
        highs.append((_floor(hi), row.source))
    low = max(v for v, _ in lows)
    high = min(v for v, _ in highs)
    if _count(low, high) >= need:
        return []
    sources = sorted({s for v, s in lows if v == low and s >= 0}
                     | {s for v, s in highs if v == high and s >= 0})
    return [(key, low, high, tuple(sources))]


# HiGHS prints a banner to the C stdout when the first solver of a process is made, before
# any option can silence it; `coprod ... --format json` must not get it in its output.
_BANNER = threading.Lock()
_banner_done = False


def _highs() -> highspy.Highs:
    global _banner_done
    with _BANNER:
        if _banner_done:
            solver = highspy.Highs()
        else:
            try:
                saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
            except OSError:
                solver = highspy.Highs()
            else:
                try:
                    os.dup2(null, 1)
                    solver = highspy.Highs()
                finally:
                    os.dup2(saved, 1)
                    os.close(saved)
                    os.close(null)
            _banner_done = True
    solver.setOptionValue("output_flag", False)
    # One thread: the components are small (a few cells), and HiGHS's parallel MIP spent more
    # time handing work between threads than solving (a MILP took twice as long with two).
    # Set on every solver alike: HiGHS's scheduler is one per process, made at the first run.
    solver.setOptionValue("threads", 1)
    return solver


class _Attacker:
    """One component's attacker problem in HiGHS: LP ranges, warm-started from one objective to
    the next, then MILPs where the integer range is in doubt."""

    def __init__(self, keys: list[Key], rows: list[_Row], values: dict[Key, int]) -> None:
        self.keys = keys
        self.index = {k: i for i, k in enumerate(keys)}
        self.rows = rows
        self.truth = np.array([values[k] for k in keys], dtype=float)
        starts, indices, coefs, of_row = [], [], [], []
        for r, row in enumerate(rows):
            starts.append(len(indices))
            for key, coef in row.terms:
                indices.append(self.index[key])
                coefs.append(coef)
                of_row.append(r)
        self.lower = np.array([r.low for r in rows])
        self.upper = np.array([r.high for r in rows])
        self.csr = (np.array(starts, dtype=np.int32), np.array(indices, dtype=np.int32),
                    np.array(coefs))
        self.of_row = np.array(of_row, dtype=np.int64)
        self.cost: dict[highspy.Highs, int] = {}  # the column each model minimizes now
        self.lp = self._model()
        self.mip: highspy.Highs | None = None

    def _model(self) -> highspy.Highs:
        h = _highs()
        n, inf = len(self.keys), highspy.kHighsInf
        h.addVars(n, np.zeros(n), np.full(n, inf))
        starts, indices, coefs = self.csr
        h.addRows(len(self.rows), np.where(np.isinf(self.lower), -inf, self.lower),
                  np.where(np.isinf(self.upper), inf, self.upper), len(indices), starts,
                  indices, coefs)
        return h

    def _objective(self, h: highspy.Highs, j: int, sense: highspy.ObjSense) -> None:
        previous = self.cost.get(h, -1)
        if previous != j:  # only the cost changes: HiGHS starts again from the last basis
            if previous >= 0:
                h.changeColCost(previous, 0.0)
            h.changeColCost(j, 1.0)
            self.cost[h] = j
        h.changeObjectiveSense(sense)

    def _lp(self, j: int, sense: highspy.ObjSense) -> tuple[float, set[int], np.ndarray | None]:
        h = self.lp
        self._objective(h, j, sense)
        h.run()
        status = h.getModelStatus()
        if status in (highspy.HighsModelStatus.kUnbounded,
                      highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return _INF, set(), None  # the truth is feasible, so it is unbounded
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS: {h.modelStatusToString(status)} attacking "
                               f"{' '.join(self.keys[j])}")
        solution = h.getSolution()
        binding = {self.rows[r].source for r, d in enumerate(solution.row_dual)
                   if abs(d) > _DUAL}
        return h.getInfo().objective_function_value, binding, np.array(solution.col_value)

    def _integral(self, x: np.ndarray | None) -> np.ndarray | None:
        """``x`` rounded to integers, if that is a solution: it then certifies values. (An LP
        vertex is often integral, and where rounded percentages make it fractional, its nearest
        integer point is often a solution still.)"""
        if x is None:
            return None
        rounded = np.round(x)
        if np.any(rounded < 0):
            return None
        _, indices, coefs = self.csr
        n = len(self.rows)
        activity = np.bincount(self.of_row, weights=coefs * rounded[indices], minlength=n)
        scale = np.bincount(self.of_row, weights=np.abs(coefs) * rounded[indices], minlength=n)
        tol = 1e-9 * np.maximum(1.0, scale)
        if np.any(activity < self.lower - tol) or np.any(activity > self.upper + tol):
            return None
        return rounded

    def _milp(self, j: int, sense: highspy.ObjSense) -> float:
        if self.mip is None:
            self.mip = h = self._model()
            n = len(self.keys)
            h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                    np.array([highspy.HighsVarType.kInteger] * n))
            h.setOptionValue("mip_rel_gap", 0.0)
            h.setOptionValue("mip_abs_gap", 0.999)  # the objective is one integer
            h.setOptionValue("time_limit", _MILP_SECONDS)
        h = self.mip
        self._objective(h, j, sense)
        start = highspy.HighsSolution()
        start.col_value = list(self.truth)  # the true counts: always a solution
        h.setSolution(start)
        h.run()
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS: {h.modelStatusToString(status)} attacking "
                               f"{' '.join(self.keys[j])} with integers")
        return round(h.getInfo().objective_function_value)

    def leaks(self, protected: tuple[Key, ...], need: int, first: bool
              ) -> list[tuple[Key, float, float, tuple[int, ...]]]:
        """The protected cells left fewer than ``need`` values, in key order; with ``first``,
        only the first of them."""
        # Integer values of each cell certified by an integer solution: the truth is one, and
        # so is every integral LP vertex met on the way. A cell whose certified values are
        # already enough needs no solve of its own.
        known_lo, known_hi = self.truth.copy(), self.truth.copy()

        def certify(x: np.ndarray | None, j: int) -> bool:
            point = self._integral(x)
            if point is not None:
                np.minimum(known_lo, point, out=known_lo)
                np.maximum(known_hi, point, out=known_hi)
            return _count(known_lo[j], known_hi[j]) >= need

        out = []
        for key in protected:
            j = self.index[key]
            if _count(known_lo[j], known_hi[j]) >= need:
                continue
            lo, lo_binding, x = self._lp(j, highspy.ObjSense.kMinimize)
            if certify(x, j):
                continue
            hi, hi_binding, x = self._lp(j, highspy.ObjSense.kMaximize)
            if certify(x, j):
                continue
            lo, hi = _ceil(lo), _floor(hi)
            # The LP range can only be wider than the integer one: settle the ends that integer
            # solutions have not reached (unless only the first leak is asked for and the LP
            # range shows it already: then its exact range is not needed). The highest value is
            # not settled when the lowest and the highest certified one are already enough
            # values (an integer solution reaches each): the cell does not leak (half of the
            # MILPs of the demo's plan).
            if not (first and _count(lo, hi) < need):
                if lo < known_lo[j]:
                    lo = self._milp(j, highspy.ObjSense.kMinimize)
                if hi > known_hi[j] and not math.isinf(hi) and _count(lo, known_hi[j]) < need:
                    hi = self._milp(j, highspy.ObjSense.kMaximize)
            if _count(lo, hi) >= need:
                continue
            binding = lo_binding | hi_binding
            if not binding:  # HiGHS named nothing: the figures it appears in
                binding = {r.source for r in self.rows if any(k == key for k, _ in r.terms)}
            out.append((key, float(lo), float(hi), tuple(sorted(binding))))
            if first:
                break
        return out


def _move(problem: _Problem, finding: _Finding, withheld: set[int], hidden: set[Key],
          allowed: set[Key] | None) -> tuple[str, tuple] | None:
    """The next step against one leak: withhold the shares that pin it, else hide the smallest
    published non-zero cell of a figure that pins it (then of any figure it appears in) that
    would not be pinned alone itself."""
    figures = problem.figures
    pinning = tuple(s for s in finding.sources
                    if figures[s].kind == "share" and s not in withheld)
    if pinning:
        return "withhold", pinning
    cell = finding.leak.cell
    touching = [i for i in problem.naming[cell] if i not in withheld]

    def hideable(k: Key) -> bool:
        return (k not in hidden and problem.cells[k].value > 0
                and (allowed is None or k in allowed))

    def dead_end(k: Key) -> bool:
        """Hiding k is no use where a sum it is in has no other cell hidden or to hide: that
        sum gives it straight away (e.g. a pooled count whose other waves are all 0)."""
        return any(not any(o != k and (o in hidden or hideable(o)) for o in figures[i].keys)
                   for i in problem.naming[k]
                   if figures[i].kind == "equation" and i not in withheld)

    for group in (finding.sources, touching):
        choices = sorted({k for i in group if figures[i].kind != "bound"
                          for k in figures[i].keys if hideable(k)},
                         key=lambda k: (problem.cells[k].value, k))
        for k in choices:
            if not dead_end(k):
                return "hide", (k,)
    shares = tuple(i for i in touching if figures[i].kind == "share")
    return ("withhold", shares) if shares else None


def _number(x: float) -> str:
    return "any number" if math.isinf(x) else f"{x:,.0f}"
