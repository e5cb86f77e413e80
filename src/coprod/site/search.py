"""The search of the site: the documents of its index (one per variable) and the stemmers of its
languages, both as scripts the search page loads with ``<script>``, so that the search works
from the file system as well as served (nothing is fetched).

The engine is MiniSearch (static/vendor/minisearch: BM25 ranking, prefix and fuzzy matching,
field boosts); words are stemmed with the Snowball stemmers of @orama/stemmers
(static/vendor/orama-stemmers) for the languages of the package, and folded (æ, ø, å, accents)
in static/site.js, the same way for the index and the query.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl

from ..codebook import Codebooks
from ..describe import lineage

# How much a match in each kind of field counts: a variable's name and label over its question
# texts over its category labels.
BOOSTS = {"name": 3.0, "label": 3.0, "question": 1.5, "category": 1.0}
STEMMERS = "vendor/orama-stemmers"  # under site_templates/static


def _field(kind: str, lang: str | None = None) -> str:
    return f"{kind}_{lang}" if lang else kind


def search_index(codebooks: Codebooks, tables: dict[str, pl.DataFrame]) -> dict:
    """The index of the search page: its fields (each with its language, whose stemmer the
    words are stemmed with, and its boost) and one document per variable: its name and the
    names of its source variables, its labels, every source's question text (in the source's
    language) and its category labels, in every language of the package."""
    languages = list(codebooks.package.languages)
    source_languages = {s.id: s.language for s in codebooks.sources.values()}
    for lang in sorted(set(source_languages.values()) - set(languages) - {"?"}):
        languages.append(lang)  # a source in a language the labels are not in
    fields = {"name": {"lang": None, "boost": BOOSTS["name"]}}
    for kind in ("label", "question", "category"):
        for lang in languages:
            fields[_field(kind, lang)] = {"lang": lang, "boost": BOOSTS[kind]}
    documents = []
    for name in tables:
        table = codebooks.tables[name]
        rules = lineage(codebooks, name)
        for var_name, var in table.variables.items():
            texts: dict[str, list[str]] = {"name": [var_name]}
            for source_id, rule in sorted(rules[var_name].items()):
                if rule["variable"]:
                    texts["name"].append(rule["variable"])
                lang = source_languages.get(source_id)
                if rule["question"] and lang in languages:
                    texts.setdefault(_field("question", lang), []).append(rule["question"])
            for lang in codebooks.package.languages:
                if var.label.root.get(lang):
                    texts[_field("label", lang)] = [var.label.root[lang]]
                categories = [c.label.root.get(lang) for c in var.categories]
                if any(categories):
                    texts[_field("category", lang)] = [c for c in categories if c]
            documents.append({
                "id": f"{name}.{var_name}",
                "url": f"variables/{name}/{var_name}.html",
                "table": name,
                "variable": var_name,
                # each text once, in the order met (several sources ask in the same words)
                "fields": {k: list(dict.fromkeys(v)) for k, v in texts.items()},
            })
    return {"fields": fields, "languages": languages, "documents": documents}


def search_index_script(index: dict) -> bytes:
    text = json.dumps(index, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (f"// The search index of the site (coprod.site.search), one document per variable.\n"
            f"window.COPROD_SEARCH = {text};\n").encode()


def _stemmer_language(code: str) -> str | None:
    """The English name of a language (``danish``, ``norwegian`` for nb and nn), as the
    stemmers of @orama/stemmers name theirs; from CLDR (Babel)."""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(code.replace("-", "_")).get_language_name("en")
    except (UnknownLocaleError, ValueError):
        return None
    return name.split()[0].lower() if name else None


def stemmers_script(static: Path, languages: list[str]) -> bytes:
    """The Snowball stemmer of each language that has one, each file of @orama/stemmers
    unchanged inside a function that takes the place of CommonJS's ``exports``, as
    ``window.COPROD_STEMMERS[code]``. A language without a stemmer is searched unstemmed."""
    available = {}
    for path in sorted((static / STEMMERS).glob("*.cjs")):
        found = re.search(r'language="([a-z]+)"', path.read_text(encoding="utf-8"))
        if found:
            available[found.group(1)] = path
    parts = ["// Snowball stemmers from @orama/stemmers (Apache-2.0; "
             f"static/{STEMMERS}/LICENSE), unchanged, one per language of the site.\n"
             "window.COPROD_STEMMERS = window.COPROD_STEMMERS || {};\n"]
    for code in languages:
        path = available.get(_stemmer_language(code) or "")
        if path is None:
            continue
        parts.append(f"(function (exports) {{\n{path.read_text(encoding='utf-8').strip()}\n"
                     f"window.COPROD_STEMMERS[{json.dumps(code)}] = exports.stemmer;\n"
                     "})({});\n")
    return "".join(parts).encode()
