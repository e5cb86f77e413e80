"""The site's interface languages.

The templates and the site's Python code are written in English; every interface string goes
through gettext (``_()`` in templates by Jinja2's i18n extension, :func:`_` here). A package
declares its languages (``languages`` in package.yaml, the first the default); each language but
English has a catalog ``site_templates/locale/<language>/LC_MESSAGES/messages.po``, made from
``site_templates/locale/messages.pot`` (``pybabel extract -F site_templates/babel.cfg``) and
compiled in memory with Babel when the site is rendered, so no binary file is kept. A fuzzy or
empty translation is not used (the English shows), and tests/test_i18n.py fails on one; a
declared language without a catalog gets its pages with the English interface, and a warning.

The pages of the default language are at the site's root, those of every other language under a
folder of its code (``da/``, ``nb/``); downloads and static files are one copy, at the root.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from ..errors import ConfigError

SOURCE_LANGUAGE = "en"  # the language the templates and this code are written in

_active: ContextVar[tuple[str, gettext.NullTranslations]] = ContextVar(
    "coprod_site_language", default=(SOURCE_LANGUAGE, gettext.NullTranslations()))


def catalog(templates: Path, language: str) -> Path:
    return templates / "locale" / language.replace("-", "_") / "LC_MESSAGES" / "messages.po"


def translations(templates: Path, language: str) -> gettext.NullTranslations:
    """The interface strings in ``language``, from its catalog (none needed for English)."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    from babel.core import UnknownLocaleError
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import PoFileError, read_po
    from babel.support import Translations

    path = catalog(templates, language)
    if not path.is_file():  # a language newly declared: its pages, with an English interface
        import click

        click.echo(f"Warning: {path.relative_to(templates.parent).as_posix()}: not found, so the "
                   f"site's {language!r} pages have an English interface; copy "
                   "site_templates/locale/messages.pot there and translate it", err=True)
        return gettext.NullTranslations()
    try:
        with path.open("rb") as f:
            messages = read_po(f, locale=language.replace("-", "_"), abort_invalid=True)
    except (PoFileError, UnknownLocaleError, ValueError) as exc:
        raise ConfigError(f"{path.relative_to(templates.parent).as_posix()}: {exc}",
                          hint="fix the catalog (msgfmt --check reads it too)") from None
    compiled = io.BytesIO()
    write_mo(compiled, messages)  # fuzzy translations left out: their English shows
    compiled.seek(0)
    return Translations(compiled)


@contextmanager
def language(code: str, strings: gettext.NullTranslations) -> Iterator[None]:
    """Make ``code`` the language of :func:`_` and :func:`lang` within the block."""
    token = _active.set((code, strings))
    try:
        yield
    finally:
        _active.reset(token)


def lang() -> str:
    """The language pages are being made in: labels are taken in it."""
    return _active.get()[0]


def _(message: str) -> str:
    """``message`` in the active language."""
    return _active.get()[1].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active.get()[1].ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for a string marked, not translated
    """Mark ``message`` for the catalogs; it is translated where it is shown."""
    return message
