"""The site's search, in Chromium, from the file system and served: stemming (a word in any of its
forms), æ, ø and å folded, typos, ranking (the right variables first), highlighted matches, the
search box in the header of every page, and the variables page's filter in every label language.

What each search should find is read from the codebooks, not written down: the variables whose
Danish label holds "skole", whose English label holds "school", and so on."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from coprod.codebook import Codebooks, Mapping, load_codebooks
from test_browser import browser, served_site  # noqa: F401 - the fixtures: Chromium, the site

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@pytest.fixture(scope="module")
def codebooks() -> Codebooks:
    return load_codebooks(SCHEMAS)


@pytest.fixture(scope="module", params=["http", "file"])
def site(request: pytest.FixtureRequest, served_site: tuple[str, Path]) -> str:  # noqa: F811
    """The site's root URL: served over http, or opened from the file system."""
    base, site_dir = served_site
    return base if request.param == "http" else site_dir.as_uri() + "/"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    page.close()
    assert not errors, errors


def _variables_whose(codebooks: Codebooks, lang: str, word: str, *,
                     categories: bool = False) -> set[str]:
    """table.variable of every variable whose label in ``lang`` (or one of its category
    labels) holds ``word``."""
    found = set()
    for name, table in codebooks.tables.items():
        for var_name, var in table.variables.items():
            texts = [c.label.get(lang) for c in var.categories] if categories else \
                [var.label.get(lang)]
            if any(word in (t or "").lower() for t in texts):
                found.add(f"{name}.{var_name}")
    return found


def _search(page: Page, site: str, query: str) -> list[dict]:
    page.goto(site + "search.html", wait_until="load")
    page.fill("#q", query)
    page.wait_for_function("document.getElementById('search-status').textContent !== ''")
    return _results(page)


def _results(page: Page) -> list[dict]:
    page.wait_for_selector("#search-results > li")
    return page.eval_on_selector_all("#search-results > li", """items => items.map(li => ({
        id: li.querySelector('.hit-name').textContent,
        href: li.querySelector('a').href,
        marks: Array.from(li.querySelectorAll('mark')).map(m => m.textContent)}))""")


def _fold(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _first(results: list[dict], expected: set[str]) -> None:
    assert expected, "the codebooks should have variables to find"
    top = [r["id"] for r in results[:len(expected)]]
    assert set(top) == expected, ([r["id"] for r in results], expected)


def test_an_inflected_danish_word_finds_the_variables_labelled_with_its_stem(
        site: str, page: Page, codebooks: Codebooks) -> None:
    """`skolerne` (the schools) finds every variable whose Danish label says `skole`, first,
    with the word marked."""
    results = _search(page, site, "skolerne")
    expected = _variables_whose(codebooks, "da", "skole")
    _first(results, expected)
    for result in results[:len(expected)]:
        assert any(m.lower().startswith("skole") for m in result["marks"]), result


def test_a_word_written_without_ae_oe_aa_finds_the_word_with_them(
        site: str, page: Page, codebooks: Codebooks) -> None:
    """`idraetsanlaeg` finds Idrætsanlæg (here a category label, so its variables come first)."""
    expected = (_variables_whose(codebooks, "da", "idrætsanlæg")
                or _variables_whose(codebooks, "da", "idrætsanlæg", categories=True))
    results = _search(page, site, "idraetsanlaeg")
    _first(results, expected)
    for result in results[:len(expected)]:
        assert any(_fold(m) == "idraetsanlaeg" for m in result["marks"]), result


@pytest.mark.parametrize("query", ["schools", "shcool"])
def test_a_plural_or_a_typo_finds_the_english_word(
        query: str, site: str, page: Page, codebooks: Codebooks) -> None:
    results = _search(page, site, query)
    _first(results, _variables_whose(codebooks, "en", "school"))
    assert any(m.lower().startswith("school") for m in results[0]["marks"]), results[0]


def _question(codebooks: Codebooks) -> tuple[str, str]:
    """The longest question text of a source codebook that only one harmonized variable is made
    from, and that variable."""
    made_from: dict[str, set[str]] = {}
    for source in codebooks.sources.values():
        for name, mapping in source.mappings.items():
            if isinstance(mapping, Mapping):
                text = source.variables[mapping.from_].label
                made_from.setdefault(text, set()).add(f"{source.table}.{name}")
    text = max((t for t, found in made_from.items() if len(found) == 1), key=len)
    return text, made_from[text].pop()


def test_the_words_of_a_question_find_its_variable_first(
        site: str, page: Page, codebooks: Codebooks) -> None:
    text, variable = _question(codebooks)
    results = _search(page, site, text)
    assert results[0]["id"] == variable, (text, [r["id"] for r in results[:5]])
    table, name = variable.split(".")
    assert results[0]["href"] == site + f"variables/{table}/{name}.html"


def test_the_search_box_in_the_header_of_a_variable_page_finds_and_links(
        site: str, page: Page, codebooks: Codebooks) -> None:
    """From a page two folders deep: the header's box opens the search page with the query, and
    the first result leads to the variable's page."""
    table = next(iter(codebooks.tables))
    var = next(iter(codebooks.tables[table].variables))
    page.goto(site + f"variables/{table}/{var}.html", wait_until="load")
    assert page.locator("[role=search]").count() == 1
    page.fill("#site-q", "skolerne")
    page.press("#site-q", "Enter")
    page.wait_for_url("**/search.html?q=skolerne")
    assert page.input_value("#q") == "skolerne"
    results = _results(page)
    _first(results, _variables_whose(codebooks, "da", "skole"))
    page.click("#search-results > li:first-child a")
    page.wait_for_load_state("load")
    found_table, found_name = results[0]["id"].split(".")
    assert page.url == site + f"variables/{found_table}/{found_name}.html"


@pytest.mark.parametrize("lang", ["da", "nb"])
def test_the_variables_filter_searches_labels_in_every_language(
        lang: str, site: str, page: Page, codebooks: Codebooks) -> None:
    """A word of a Danish or Norwegian label, typed without æ, ø and å, keeps every variable
    whose label in that language holds it, and only variables that have it somewhere."""
    labels = {f"{n}.{v}": var for n, t in codebooks.tables.items()
              for v, var in t.variables.items()}
    # the longest word with æ, ø or å of a label in the language (else the longest word)
    words = sorted({w.strip("(),.?:") for var in labels.values()
                    for w in var.label.get(lang).lower().split()},
                   key=lambda w: (not any(c in w for c in "æøå"), -len(w), w))
    word = words[0]
    expected = {key for key, var in labels.items() if word in var.label.get(lang).lower()}
    page.goto(site + "variables.html", wait_until="load")
    page.fill("#filter", _fold(word))
    shown = page.eval_on_selector_all(
        "table.variables tbody tr:not([hidden])",
        "rows => rows.map(r => r.closest('section').querySelector('h2 code').textContent + '.' "
        "+ r.querySelector('td code').textContent)")
    assert expected <= set(shown), (word, shown)
    for key in shown:
        texts = " ".join([key, *(t or "" for t in labels[key].label.root.values())])
        assert _fold(word) in _fold(texts) or _fold(word) in _fold(texts.replace("ø", "o")), key
