"""Files for people to open in other programs. CSV cells that a spreadsheet would run as a
formula (starting with =, +, -, @, a tab or a carriage return) are neutralized with a leading
apostrophe, as OWASP recommends against CSV injection."""

from __future__ import annotations

import polars as pl

FORMULA_START = r"^[=+\-@\t\r]"


def neutralized(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text cell that could start a formula prefixed by an apostrophe.
    Numbers are left alone: -3 in a numeric column is a number, not a formula."""
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items() if dtype == pl.String
    )
