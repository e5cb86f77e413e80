"""The attacker's audit: each leak a tester found on the site, built by hand as a small audit
problem, a table that is protected, and :func:`protect` closing leaks."""

from __future__ import annotations

import random
import time

import pytest

from coprod.disclosure import (
    Bound,
    Cell,
    Equation,
    Leak,
    Share,
    audit,
    default_min_values,
    protect,
)

VAR = "institutions.collab_associations"
DK16 = "dk-institutions-2016"
PAGE = f"variables/{VAR}.html"


def key(source: str, category: str, var: str = VAR) -> tuple[str, ...]:
    return (var, source, category)


def ranges(leaks: list[Leak]) -> dict[tuple[str, ...], tuple[float, float]]:
    return {leak.cell: (leak.low, leak.high) for leak in leaks}


def published_as(cells: list[Cell], hidden: frozenset) -> list[Cell]:
    return [Cell(c.key, c.value, c.key not in hidden, c.where) for c in cells]


# --- (1) a rounded percentage pins a suppressed cell ------------------------------------------


def column_818() -> tuple[list[Cell], list[Equation], list[Share], list[Bound]]:
    """N = 818, yes = 464 shown, no hidden (secondary), refused "< 5"; the chart shows
    "Yes 56.8 %" among the valid answers (yes and no)."""
    yes, no, refused = key(DK16, "yes"), key(DK16, "no"), key(DK16, "refused")
    cells = [Cell(yes, 464, True, PAGE), Cell(no, 353, False), Cell(refused, 1, False)]
    equations = [Equation((yes, no, refused), 818, f"N = 818 on {PAGE}")]
    shares = [Share((yes,), (yes, no), 56.8, 1, f"Yes 56.8 % on the chart of {PAGE}")]
    bounds = [Bound(refused, 1, 4, f"< 5 on {PAGE}")]
    return cells, equations, shares, bounds


def test_a_rounded_percentage_pins_both_suppressed_cells() -> None:
    leaks = audit(*column_818(), min_n=5)

    # Only 817 valid answers round 464 to 56.8 %: no = 353, and refused = 818 - 817 = 1.
    assert ranges(leaks) == {key(DK16, "no"): (353, 353), key(DK16, "refused"): (1, 1)}
    kinds = {leak.cell[-1]: leak.kind for leak in leaks}
    assert kinds == {"no": "secondary", "refused": "primary"}
    message = str(next(leak for leak in leaks if leak.cell[-1] == "refused"))
    assert message.startswith(f"{VAR} {DK16} refused: everything published puts it between 1 "
                              "and 1 (")
    assert f"N = 818 on {PAGE}" in message
    assert f"Yes 56.8 % on the chart of {PAGE}" in message


def test_the_same_column_without_the_percentage_is_protected() -> None:
    cells, equations, _, bounds = column_818()

    # no + refused = 354 with refused in 1..4 leaves no in 350..353: four values each.
    assert audit(cells, equations, [], bounds, min_n=5) == []


def test_the_percentage_alone_with_its_n_pins_it_too() -> None:
    """The share's own denominator need not be published: the total and the label suffice."""
    cells, equations, shares, _ = column_818()

    leaks = audit(cells, equations, shares, [], min_n=5)

    # Without "< 5" refused could be 0 as well, but 56.8 % alone puts no in 352.2 .. 353.6.
    assert ranges(leaks)[key(DK16, "no")] == (353, 353)


# --- (2) a complement ------------------------------------------------------------------------


def group_of_45(percent: float, weights: tuple[float, float] = (1.0, 1.0)
                ) -> tuple[list[Cell], list[Equation], list[Share]]:
    """A summary table's group: n = 45 who answered and the percentage who said yes; the
    counts themselves are not shown."""
    yes = key(DK16, "yes", "institutions.collab_volunteers")
    no = key(DK16, "no", "institutions.collab_volunteers")
    cells = [Cell(yes, 43, False), Cell(no, 2, False)]
    equations = [Equation((yes, no), 45, "n = 45 on summary.html, libraries")]
    shares = [Share((yes,), (yes, no), percent, 1, f"{percent} % on summary.html, libraries",
                    weights)]
    return cells, equations, shares


def test_a_percentage_of_n_gives_its_complement() -> None:
    leaks = audit(*group_of_45(95.6), [], min_n=5)

    # 43 / 45 = 95.6 %: 2 answered no, though no page shows it.
    assert ranges(leaks) == {("institutions.collab_volunteers", DK16, "no"): (2, 2),
                             ("institutions.collab_volunteers", DK16, "yes"): (43, 43)}
    assert all("n = 45 on summary.html" in str(leak) and "95.6 %" in str(leak) for leak in leaks)


def test_a_weighted_percentage_with_weights_near_1_still_pins_it() -> None:
    """95.1 % of n = 45 is a weighted share (no 45 respondents give it unweighted). With every
    weight between 1 and 1.11 the odds yes : no can only be 17.3 to 21.7, and 43 : 2 is the
    only split of 45 that fits."""
    cells, equations, shares = group_of_45(95.1, weights=(1.0, 1.11))

    leaks = audit(cells, equations, shares, [], min_n=5)

    assert ranges(leaks)[("institutions.collab_volunteers", DK16, "no")] == (2, 2)
    # Weights anywhere between 0.5 and 2 leave the attacker 1 to 7: protected.
    cells, equations, shares = group_of_45(95.1, weights=(0.5, 2.0))
    assert audit(cells, equations, shares, [], min_n=5) == []


def test_a_weighted_percentage_passed_as_unweighted_is_refused() -> None:
    with pytest.raises(ValueError, match="95.1 % on summary.html.*true counts do not give"):
        audit(*group_of_45(95.1), [], min_n=5)


# --- (3) a pooled count --------------------------------------------------------------------------


def two_waves(pooled: bool) -> tuple[list[Cell], list[Equation], list[Bound]]:
    """Each wave's column is protected on its own (one "< 5", one secondary); the pooled page
    shows the two waves' "no" counts added up."""
    dk18 = "dk-institutions-2018"
    cells = [
        Cell(key(DK16, "yes"), 30, True), Cell(key(DK16, "no"), 3, False),
        Cell(key(DK16, "refused"), 12, False),
        Cell(key(dk18, "yes"), 40, True), Cell(key(dk18, "no"), 7, True),
        Cell(key(dk18, "refused"), 20, True),
    ]
    equations = [
        Equation((key(DK16, "yes"), key(DK16, "no"), key(DK16, "refused")), 45,
                 f"N = 45 for 2016 on {PAGE}"),
        Equation((key(dk18, "yes"), key(dk18, "no"), key(dk18, "refused")), 67,
                 f"N = 67 for 2018 on {PAGE}"),
    ]
    if pooled:
        equations.append(Equation((key(DK16, "no"), key(dk18, "no")), 10,
                                  "no = 10, Denmark 2016-2018 pooled, on summary.html"))
    bounds = [Bound(key(DK16, "no"), 1, 4, f"< 5 for 2016 on {PAGE}")]
    return cells, equations, bounds


def test_a_pooled_count_and_the_other_wave_give_the_suppressed_cell() -> None:
    cells, equations, bounds = two_waves(pooled=True)

    leaks = audit(cells, equations, [], bounds, min_n=5)

    # no(2016) = 10 - 7, and then refused(2016) = 45 - 30 - 3.
    assert ranges(leaks) == {key(DK16, "no"): (3, 3), key(DK16, "refused"): (12, 12)}
    assert "no = 10, Denmark 2016-2018 pooled, on summary.html" in str(leaks[0])
    assert audit(*two_waves(pooled=False)[:2], [], two_waves(pooled=False)[2], min_n=5) == []


# --- (4) an extreme of one respondent --------------------------------------------------------
# A minimum, maximum or mean over a group of one is not a constraint on counts: the audit cannot
# see it (the module's docstring says so), and the group-size rule has to keep it off the site.


# --- (5) an exact small count in a download ------------------------------------------------


def test_a_small_count_published_exactly_somewhere_is_a_leak_itself() -> None:
    """The page shows "< 5"; the CSV download has the exact count."""
    refused = key(DK16, "refused")
    cells = [Cell(refused, 2, True, "downloads/frequencies.csv, row 17")]
    bounds = [Bound(refused, 1, 4, f"< 5 on {PAGE}")]

    (leak,) = audit(cells, [], [], bounds, min_n=5)

    assert (leak.low, leak.high, leak.kind) == (2, 2, "published")
    assert str(leak) == (f"{VAR} {DK16} refused: a count of 2, below the minimum cell size, is "
                         "published exactly (downloads/frequencies.csv, row 17)")


def test_a_small_total_published_exactly_is_a_leak_itself() -> None:
    """A pooled count of 3 is a small count, whether or not its parts are hidden; no hiding
    of cells closes it, so protect hands it back."""
    cells, equations, bounds = two_waves(pooled=False)
    small = Equation((key(DK16, "no"),), 3, "no = 3, Denmark 2016 in the pooled table")

    (leak,) = [x for x in audit(cells, [*equations, small], [], bounds, min_n=5)
               if x.kind == "total"]
    plan = protect(cells, [*equations, small], [], bounds, min_n=5)

    assert str(leak) == ("no = 3, Denmark 2016 in the pooled table: a total of 3, below the "
                         "minimum cell size, is published exactly")
    assert leak in plan.leaks


# --- the rule -----------------------------------------------------------------------------------


def test_a_suppressed_cell_must_keep_as_many_values_as_its_label_gives() -> None:
    """Two "< 5" cells in a column of 53 with 50 shown: they add up to 3, so each is 1 or 2,
    narrower than the 1-4 that "< 5" gives."""
    a, b, c = key(DK16, "a"), key(DK16, "b"), key(DK16, "c")
    cells = [Cell(a, 2, False), Cell(b, 1, False), Cell(c, 50, True)]
    equations = [Equation((a, b, c), 53, f"N = 53 on {PAGE}")]
    bounds = [Bound(a, 1, 4, "a < 5"), Bound(b, 1, 4, "b < 5")]

    assert default_min_values(5) == 4
    assert ranges(audit(cells, equations, [], bounds, min_n=5)) == {a: (1, 2), b: (1, 2)}
    # A label alone leaves 4 values: enough by default, not where 5 are asked for.
    alone = [Cell(a, 2, False)]
    assert audit(alone, [], [], bounds[:1], min_n=5) == []
    assert ranges(audit(alone, [], [], bounds[:1], min_n=5, min_values=5)) == {a: (1, 4)}


def test_a_suppressed_zero_is_not_sensitive_unless_asked() -> None:
    a, b = key(DK16, "a"), key(DK16, "b")
    cells = [Cell(a, 0, False), Cell(b, 20, True)]
    equations = [Equation((a, b), 20, f"N = 20 on {PAGE}")]

    assert audit(cells, equations, [], [], min_n=5) == []
    assert ranges(audit(cells, equations, [], [], min_n=5, zeros=True)) == {a: (0, 0)}


def test_the_integer_range_is_reported_where_the_linear_one_is_wide_enough() -> None:
    """x is "< 5" and 9.5 % of x + y, y unknown: any real x in 1..4 fits, but no whole number
    of respondents gives 9.5 % with x = 1 or 3, so the attacker is left with 2 to 4."""
    x, y, w = key(DK16, "x"), key(DK16, "y"), key(DK16, "w")
    cells = [Cell(x, 2, False), Cell(y, 19, False), Cell(w, 981, False)]
    equations = [Equation((y, w), 1000, "y + w = 1000")]
    shares = [Share((x,), (x, y), 9.5, 1, "9.5 %")]
    bounds = [Bound(x, 1, 4, "x < 5")]

    assert ranges(audit(cells, equations, shares, bounds, min_n=5)) == {x: (2, 4)}


def two_by_three(refused_2018: int) -> tuple[list[Cell], list[Equation], list[Bound]]:
    """Two waves by three answers, all totals shown (each wave's N, each answer pooled): the
    small count of 2016 is "< 5", with a secondary suppression in its column and in its row and
    one at the corner, the textbook pattern."""
    w1, w2 = "dk-institutions-2016", "dk-institutions-2018"
    values = {(w1, "yes"): 40, (w1, "no"): 3, (w1, "refused"): 12,
              (w2, "yes"): 50, (w2, "no"): 15, (w2, "refused"): refused_2018}
    hidden = {(w1, "no"), (w1, "refused"), (w2, "no"), (w2, "refused")}
    cells = [Cell(key(*k), v, k not in hidden) for k, v in values.items()]
    equations = [Equation(tuple(key(s, c) for c in ("yes", "no", "refused")),
                          sum(v for (s2, _), v in values.items() if s2 == s), f"N {s}")
                 for s in (w1, w2)]
    equations += [Equation((key(w1, c), key(w2, c)), values[w1, c] + values[w2, c],
                           f"pooled {c}") for c in ("yes", "no", "refused")]
    bounds = [Bound(key(*k), 1, 4, f"< 5 for {' '.join(k)}") for k, v in values.items()
              if 0 < v < 5]
    return cells, equations, bounds


def test_a_protected_table_passes() -> None:
    cells, equations, bounds = two_by_three(refused_2018=9)

    assert audit(cells, equations, [], bounds, min_n=5) == []


def test_one_label_can_narrow_another_across_a_table() -> None:
    """The same pattern with the corner cell small too: its "< 5" (at least 1) means 2016's
    "no" is at least 2, since the four hidden cells move together."""
    cells, equations, bounds = two_by_three(refused_2018=2)

    leaks = ranges(audit(cells, equations, [], bounds, min_n=5))

    assert leaks[key("dk-institutions-2016", "no")] == (2, 4)
    assert leaks[key("dk-institutions-2018", "refused")] == (1, 3)


def test_a_figure_about_a_cell_not_in_the_audit_is_refused() -> None:
    with pytest.raises(ValueError, match="N = 3.*names cell .* not in the audit"):
        audit([Cell(key(DK16, "a"), 3, True)], [Equation((key(DK16, "b"),), 3, "N = 3")], [], [],
              min_n=5)


# --- protect ---------------------------------------------------------------------------------


def test_protect_withholds_the_percentage_that_pins_the_column() -> None:
    cells, equations, shares, bounds = column_818()
    everything_shown = [Cell(c.key, c.value, True, c.where) for c in cells]

    plan = protect(everything_shown, equations, shares, [], min_n=5)

    assert plan.primary == {key(DK16, "refused")}
    assert plan.secondary == {key(DK16, "no")}
    assert plan.withheld == tuple(shares)
    assert plan.leaks == ()
    shown = [s for s in shares if s not in plan.withheld]
    assert audit(published_as(cells, plan.suppress), equations, shown, bounds, min_n=5) == []


def test_protect_hides_cells_in_the_other_wave_against_a_pooled_count() -> None:
    cells, equations, bounds = two_waves(pooled=True)

    plan = protect(cells, equations, [], bounds, min_n=5)

    # The pooled count pins 2016's "no" through 2018's: hide that, then 2018's smallest other.
    dk18 = "dk-institutions-2018"
    assert plan.secondary == {key(DK16, "refused"), key(dk18, "no"), key(dk18, "refused")}
    assert plan.leaks == ()
    assert audit(published_as(cells, plan.suppress), equations, [], bounds, min_n=5) == []


def test_protect_only_hides_candidates_and_says_what_it_could_not_close() -> None:
    cells, equations, bounds = two_waves(pooled=True)
    dk18 = "dk-institutions-2018"
    candidates = {key(DK16, "yes"), key(DK16, "refused"), key(dk18, "yes")}

    plan = protect(cells, equations, [], bounds, min_n=5, candidates=candidates)

    assert plan.suppress - plan.primary <= candidates
    assert plan.leaks  # 2018's "no" may not be hidden, so the pooled count still pins 2016's
    assert all("pooled" in str(leak) for leak in plan.leaks)


def survey_tables(seed: int, variables: int, sources: int, categories: int
                  ) -> tuple[list[Cell], list[Equation], list[Share], list[Bound]]:
    """Count tables as the site published them: per variable and source a column of counts
    with its N, the percentage of each shown valid answer among the valid ones, "< 5" for the
    small counts with one secondary suppression where a column has a single one, and each
    category's count pooled over the sources (none of them below 5: a small pooled count could
    be worked out from the others and the N's, whatever is hidden)."""
    rng = random.Random(seed)
    cells, equations, shares, bounds = [], [], [], []
    valid = [f"c{i}" for i in range(categories - 2)]
    names = [*valid, "dont_know", "refused"]
    for v in range(variables):
        var = f"table.v{v:03d}"
        columns = []
        for _ in range(sources):
            weights = [rng.random() ** 3 for _ in names]
            n = rng.randint(80, 900)
            columns.append([round(n * w / sum(weights)) for w in weights])
        for i in range(len(names)):
            if 0 < sum(column[i] for column in columns) < 5:
                columns[0][i] += 5
        for s, counts in enumerate(columns):
            source = f"s{s}"
            keys = [(var, source, c) for c in names]
            hidden = {k for k, c in zip(keys, counts, strict=True) if 0 < c < 5}
            shown = [(c, k) for k, c in zip(keys, counts, strict=True)
                     if k not in hidden and c > 0]
            if len(hidden) == 1 and shown:
                hidden.add(min(shown)[1])
            for k, c in zip(keys, counts, strict=True):
                cells.append(Cell(k, c, k not in hidden))
                if 0 < c < 5:
                    bounds.append(Bound(k, 1, 4, f"< 5 on {var} {source}"))
            equations.append(Equation(tuple(keys), sum(counts), f"N on {var} {source}"))
            total = sum(counts[: len(valid)])
            for k, c in zip(keys[: len(valid)], counts, strict=False):
                if k not in hidden and total:
                    shares.append(Share((k,), tuple(keys[: len(valid)]), round(100 * c / total, 1),
                                        1, f"{k[-1]} % on {var} {source}"))
        for i, category in enumerate(names):
            equations.append(Equation(tuple((var, f"s{s}", category) for s in range(sources)),
                                      sum(column[i] for column in columns),
                                      f"{category} pooled on {var}"))
    return cells, equations, shares, bounds


def test_protect_closes_every_leak_of_a_generated_site_quickly() -> None:
    """3,000 cells: 60 variables by 5 sources by 10 answers."""
    cells, equations, shares, bounds = survey_tables(7, variables=60, sources=5, categories=10)
    assert len(cells) == 3000
    everything_shown = [Cell(c.key, c.value, True) for c in cells]

    started = time.perf_counter()
    leaks = audit(cells, equations, shares, bounds, min_n=5)
    plan = protect(everything_shown, equations, shares, bounds, min_n=5)
    elapsed = time.perf_counter() - started

    # The pages' own suppression (one secondary per column) leaks through percentages and
    # pooled counts; protect's pattern does not.
    assert {leak.kind for leak in leaks} == {"primary", "secondary"}
    assert plan.leaks == ()
    assert plan.primary == {c.key for c in cells if 0 < c.value < 5}
    shown = [s for s in shares if s not in set(plan.withheld)]
    assert audit(published_as(cells, plan.suppress), equations, shown, bounds, min_n=5) == []
    assert elapsed < 60


def test_protect_is_deterministic() -> None:
    cells, equations, shares, bounds = survey_tables(3, variables=8, sources=4, categories=6)
    everything_shown = [Cell(c.key, c.value, True) for c in cells]

    plans = [protect(everything_shown, equations, shares, bounds, min_n=5, audit_shares=True)
             for _ in range(2)]

    assert plans[0] == plans[1]
    assert plans[0].leaks == ()
