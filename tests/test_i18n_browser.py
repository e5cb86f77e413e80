"""The language switch in Chromium: from three pages to the same page in each other language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from coprod.site.i18n import SOURCE_LANGUAGE
from test_browser import browser, served_site  # noqa: F401 - the fixtures: Chromium, the site
from test_i18n import TRANSLATED, _folder, _interface_text, _three_pages


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_switch_leads_from_three_pages_to_their_translation(
        language: str, served_site: tuple[str, Path], browser: Browser) -> None:  # noqa: F811
    """In Chromium: on the home page, a variable's page and a summary table's page, the link of
    the language switch opens the same page in that language, with no English text of the
    English page left on it."""
    base, site_dir = served_site
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        for path in _three_pages(site_dir):
            page.goto(base + path, wait_until="load")
            page.click(f"nav.languages a[hreflang='{language}']")
            page.wait_for_load_state("load")
            assert page.url == base + _folder(language) + path
            assert page.evaluate("document.documentElement.lang") == language
            english = set(_interface_text(site_dir / _folder(SOURCE_LANGUAGE) / path))
            words = {text for text in english if len(re.findall(r"[^\W\d_]{2,}", text)) >= 2}
            shown = set(_interface_text(site_dir / _folder(language) / path))
            assert words and not words & shown, sorted(words & shown)
    finally:
        page.close()
