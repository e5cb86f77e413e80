"""The search index of the site: one entry per variable, with its names, labels and question
texts in every language of the package."""

from __future__ import annotations

import polars as pl

from ..codebook import Codebooks
from ..describe import lineage


def search_index(codebooks: Codebooks, tables: dict[str, pl.DataFrame]) -> list[dict]:
    """One entry per variable: its names, labels and question texts in every language, for the
    offline search page."""
    entries = []
    for name in tables:
        table = codebooks.tables[name]
        rules = lineage(codebooks, name)
        for var_name, var in table.variables.items():
            questions = sorted({r["question"] for r in rules[var_name].values() if r["question"]})
            sources = sorted({r["variable"] for r in rules[var_name].values() if r["variable"]})
            languages = codebooks.package.languages
            categories = [c.label.get(lang) for c in var.categories for lang in languages]
            entries.append({
                "url": f"variables/{name}/{var_name}.html",
                "name": var_name,
                "table": name,
                "label": var.label.get(),
                "text": " ".join([var_name, *(var.label.get(lang) for lang in languages),
                                  *questions, *sources, *categories]),
            })
    return entries
