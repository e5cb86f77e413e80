"""The site's interface in every language the package declares: gettext catalogs that are complete
and up to date with the templates and the site code, each page in each language with a switch
and hreflang links, and no English interface text left on a Danish or Norwegian page."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
import yaml
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from click.testing import CliRunner

from conftest import copy_package
from coprod.cli import main
from coprod.site.i18n import SOURCE_LANGUAGE

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "site_templates"
LANGUAGES = yaml.safe_load((ROOT / "schemas" / "package.yaml").read_text("utf-8"))["languages"]
TRANSLATED = [code for code in LANGUAGES if code != SOURCE_LANGUAGE]


def _in_sources() -> set[str]:
    """Every interface string of the templates and the site code, as Babel extracts them with
    site_templates/babel.cfg (the one statement of where the strings are and how to read them)."""
    with (TEMPLATES / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    return {message if isinstance(message, str) else message[0]
            for _file, _line, message, _comments, _context in extract_from_dir(
                ROOT, method_map=method_map, options_map=options_map)}


def _catalog(language: str):  # noqa: ANN202 - babel Catalog
    path = TEMPLATES / "locale" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        return read_po(f, locale=language)


def test_the_template_catalog_is_up_to_date() -> None:
    with (TEMPLATES / "locale" / "messages.pot").open("rb") as f:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    sources = _in_sources()
    assert sources - template == set(), ("new strings: run pybabel extract (docs), then update "
                                         "the catalogs")
    assert template - sources == set(), "strings no longer used: run pybabel extract"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_interface_string_is_translated(language: str) -> None:
    """A string the sources have and the language's catalog lacks, or has only as fuzzy or empty,
    would show in English: each is named."""
    catalog = _catalog(language)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}
    untranslated = sorted(
        message for message in _in_sources()
        if message not in translated or translated[message].fuzzy
        or not all(translated[message].string if isinstance(translated[message].string, tuple)
                   else [translated[message].string]))
    assert untranslated == [], f"untranslated in {language}: {untranslated}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language: str) -> None:
    placeholder = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}|%%|<[a-z]+[^>]*>")
    wrong = []
    for message in _catalog(language):
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        want = sorted(placeholder.findall(ids[-1]))
        wrong += [(ids[0], s) for s in strings if sorted(placeholder.findall(s)) != want]
    assert wrong == []


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_package(tmp_path_factory.mktemp("i18n") / "demo")
    result = CliRunner().invoke(main, ["--root", str(root), "site"])
    assert result.exit_code == 0, result.output
    return root / "build" / "site"


def _folder(language: str) -> str:
    return "" if language == LANGUAGES[0] else f"{language}/"


def _three_pages(site: Path) -> list[str]:
    """The home page, a variable's page and a summary table's page (the first of each)."""
    variable = min(p.relative_to(site).as_posix() for p in (site / "variables").rglob("*.html"))
    summary = min(p.relative_to(site).as_posix() for p in (site / "summaries").rglob("*.html"))
    return ["index.html", variable, summary]


def _interface_text(path: Path) -> list[str]:
    """The page's own text, by text node: what an element marked with another language than the
    page's (a label shown in every language, a question in its source's language, the package's
    English title) says is left out, and so are code, scripts and styles."""
    document = lxml.html.parse(str(path)).getroot()
    page_language = document.get("lang")
    for element in document.xpath("//*[@lang]"):
        if element is not document and element.get("lang") != page_language:
            element.drop_tree()
    for element in document.xpath("//script | //style | //code | //pre"):
        element.drop_tree()  # code, names and identifiers are the same in every language
    return [" ".join(text.split()) for text in document.xpath("//body//text()")
            if text.strip()]


@pytest.mark.parametrize("language", TRANSLATED)
def test_three_pages_show_no_english_interface_string(site: Path, language: str) -> None:
    """Each text of the English page made of words (two or more) must not be on the same page in
    another language: a string left out of gettext, or left untranslated, would be."""
    for path in _three_pages(site):
        english = set(_interface_text(site / _folder(SOURCE_LANGUAGE) / path))
        other = set(_interface_text(site / _folder(language) / path))
        words = {text for text in english if len(re.findall(r"[^\W\d_]{2,}", text)) >= 2}
        assert words, path  # the page has English words to look for
        left = sorted(words & other)
        assert left == [], f"{language}/{path}: English left: {left}"


def test_every_page_exists_in_every_language_with_a_switch_and_hreflang(site: Path) -> None:
    default = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                     if p.relative_to(site).parts[0] not in LANGUAGES[1:])
    assert default
    for language in LANGUAGES:
        for path in default:
            page = site / _folder(language) / path
            assert page.is_file(), page
            document = lxml.html.parse(str(page)).getroot()
            assert document.get("lang") == language
            alternates = {link.get("hreflang"): link.get("href") for link in
                          document.xpath("//head/link[@rel='alternate'][@hreflang]")}
            assert set(alternates) == {*LANGUAGES, "x-default"}
            switch = {a.get("hreflang"): a.get("href")
                      for a in document.xpath("//nav[contains(@class, 'languages')]//a")}
            assert set(switch) == set(LANGUAGES)
            for code, href in switch.items():  # each link leads to the same page in that language
                assert (page.parent / href).resolve() == (site / _folder(code) / path).resolve()
                assert alternates[code] == href
            current = document.xpath("//nav[contains(@class, 'languages')]//a[@aria-current]")
            assert [a.get("hreflang") for a in current] == [language]


def test_a_declared_language_without_a_catalog_gets_an_english_interface(tmp_path: Path) -> None:
    """A language newly declared (a new country's) has its pages, labels in it, and the English
    interface until its catalog is written; the build says which catalog is missing."""
    root = copy_package(tmp_path / "demo")
    missing = TRANSLATED[-1]
    for path in sorted((root / "site_templates" / "locale" / missing).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    result = CliRunner().invoke(main, ["--root", str(root), "site"])
    assert result.exit_code == 0, result.output
    assert f"site_templates/locale/{missing}/LC_MESSAGES/messages.po: not found" in result.output
    page = root / "build" / "site" / missing / "index.html"
    assert lxml.html.parse(str(page)).getroot().get("lang") == missing
    assert set(_interface_text(page)) & set(_interface_text(root / "build/site/index.html"))
