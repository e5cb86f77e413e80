"""Disclosure control (issue 15): what the package may publish about small groups.

- :mod:`.attack`: the attacker's problem: published figures as linear constraints on counts,
  the range each suppressed count is left with (HiGHS), and a greedy choice of what to hide;
- :mod:`.tables`: what a harmonized table publishes (page counts, column totals, percentages,
  pooled DDI counts, summary tables with their rounded n and weighted shares) as those figures;
  the suppression plan every output follows, and the audit of what a build actually publishes.
"""

from .attack import (
    Bound,
    Cell,
    Equation,
    Leak,
    Protection,
    Share,
    audit,
    default_min_values,
    protect,
)

__all__ = ["Bound", "Cell", "Equation", "Leak", "Protection", "Share", "audit",
           "default_min_values", "protect"]
