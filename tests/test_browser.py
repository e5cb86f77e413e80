"""The built site in a real browser: every page loads cleanly, fetches nothing from outside the
site, links only to things that exist, and has no serious accessibility violation (axe-core).

The demo package is built into a temporary folder and served over HTTP under a path prefix, so
the site is proven to work wherever it is published. The browser is Debian's Chromium
(/usr/bin/chromium) driven by Playwright; Playwright's own browser download is never used.
Without the browser these tests skip on a developer's machine and fail in CI (CI=true).
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from click.testing import CliRunner

from conftest import copy_package
from coprod.cli import main
from test_i18n import LANGUAGES

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _chromium() -> Path:
    """The Chromium to drive: $CHROMIUM, else Debian's /usr/bin/chromium, else one of the
    names other systems give it, found on PATH (as scripts/test.sh looks for it)."""
    if os.environ.get("CHROMIUM"):
        return Path(os.environ["CHROMIUM"])
    if Path("/usr/bin/chromium").exists():
        return Path("/usr/bin/chromium")
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return Path(found)
    return Path("/usr/bin/chromium")


CHROMIUM = _chromium()
INSTALL_HINT = ("set CHROMIUM to a Chromium or Chrome, or install Debian's with `sudo apt-get "
                "install chromium` (scripts/test.sh does it when run as root or in CI, where apt "
                "has it)")
# Root needs --no-sandbox; the rest keeps Chromium from calling home, so that every request
# the tests see is one the site made.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PREFIX = "mirror/any-prefix/site"  # the site is served at http://127.0.0.1:PORT/<PREFIX>/
NOT_FETCHED = ("data:", "blob:", "mailto:", "tel:", "javascript:", "about:")
BLOCKING_IMPACTS = ("serious", "critical")

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError as error:  # pragma: no cover - depends on the environment
    if IN_CI:
        raise
    pytest.skip(f"{error.name} is not installed: run scripts/test.sh, which installs the "
                "pinned test dependencies", allow_module_level=True)

# The page itself lists these, in the order found: tag, attribute, raw value, resolved URL.
LINKS_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('[href], [src]')) {
    for (const attr of ['href', 'src']) {
      const raw = el.getAttribute(attr);
      if (raw === null) continue;
      let url = null;
      try { url = new URL(raw, document.baseURI).href; } catch (e) {}
      out.push({tag: el.tagName.toLowerCase(), attr: attr, raw: raw, url: url});
    }
  }
  return out;
}"""
IDS_JS = "() => Array.from(document.querySelectorAll('[id], a[name]'), e => e.id || e.name)"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@dataclass
class Visit:
    """What one page did while it loaded in the browser."""

    url: str
    status: int | None = None
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    bad_responses: list[str] = field(default_factory=list)  # subresources that did not load
    outside: list[str] = field(default_factory=list)  # requests that left the site
    links: list[dict] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)


@dataclass
class Crawl:
    base: str  # http://127.0.0.1:PORT/<PREFIX>/
    site_dir: Path  # the served copy of build/site
    visits: dict[str, Visit] = field(repr=False)

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base)
        return f"{parts.scheme}://{parts.netloc}"

    def rel(self, url: str) -> str:
        return url[len(self.base):] if url.startswith(self.base) else url


@pytest.fixture(scope="module")
def served_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Build a copy of the demo package and serve its site under a path prefix."""
    tmp = tmp_path_factory.mktemp("browser")
    root = copy_package(tmp / "demo")
    result = CliRunner().invoke(main, ["--root", str(root), "build"])
    assert result.exit_code == 0, f"coprod build failed:\n{result.output}\n{result.exception!r}"

    www = tmp / "www"
    site_dir = www / PREFIX
    shutil.copytree(root / "build" / "site", site_dir)
    handler = functools.partial(_QuietHandler, directory=str(www))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{PREFIX}/", site_dir
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: {INSTALL_HINT}"
        if IN_CI:
            pytest.fail(f"{message}. In CI the browser tests must run, not skip.")
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _is_page(url: str) -> bool:
    path = urlsplit(url).path
    return path.endswith((".html", ".htm", "/"))


class _Visitor:
    """One browser tab that loads pages one after the other and records what each one does."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.base = base
        self.visit = Visit("")
        self.in_flight: set = set()
        self.page = browser.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror",
                     lambda error: self.visit.errors.append(f"uncaught exception: {error}"))
        self.page.on("request", self._on_request)
        self.page.on("response", self._on_response)
        self.page.on("requestfinished", self._on_finished)
        self.page.on("requestfailed", self._on_failed)

    def _on_console(self, message) -> None:
        where = message.location.get("url")
        if message.type == "error":
            source = f" ({where})" if where and where != self.visit.url else ""
            self.visit.errors.append(f"console error: {message.text}{source}")

    def _on_request(self, request) -> None:
        self.in_flight.add(request)
        if not request.url.startswith((self.base, *NOT_FETCHED)):
            self.visit.outside.append(request.url)

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.visit.bad_responses.append(f"{response.status} {response.url}")

    def _on_finished(self, request) -> None:
        self.in_flight.discard(request)

    def _on_failed(self, request) -> None:
        self.in_flight.discard(request)
        self.visit.bad_responses.append(f"failed {request.url}: {request.failure}")

    def load(self, url: str) -> Visit:
        self.visit = visit = Visit(url)
        response = self.page.goto(url, wait_until="load")
        visit.status = response.status if response else None
        # Let scripts run after the load event, and wait for any request they started.
        deadline = time.monotonic() + 10
        self.page.wait_for_timeout(50)
        while self.in_flight and time.monotonic() < deadline:
            self.page.wait_for_timeout(25)
        visit.links = self.page.evaluate(LINKS_JS)
        visit.ids = set(self.page.evaluate(IDS_JS))
        return visit

    def close(self) -> None:
        self.page.close()


@pytest.fixture(scope="module")
def crawl(browser: Browser, served_site: tuple[str, Path]) -> Crawl:
    """Every page reachable from index.html through <a href> links that stay on the site."""
    base, site_dir = served_site
    visits: dict[str, Visit] = {}
    queue = [base + "index.html"]
    visitor = _Visitor(browser, base)
    try:
        while queue:
            url = queue.pop(0)
            if url in visits:
                continue
            visits[url] = visit = visitor.load(url)
            for link in visit.links:
                if link["tag"] != "a" or link["attr"] != "href" or not link["url"]:
                    continue
                target = urldefrag(link["url"]).url
                if target.startswith(base) and _is_page(target) and target not in visits:
                    queue.append(target)
    finally:
        visitor.close()
    return Crawl(base, site_dir, visits)


def _report(title: str, failures: list[tuple[str, str]]) -> str:
    """All failures as (page, problem), one line per problem with the pages that have it."""
    pages: dict[str, list[str]] = {}
    for page, problem in failures:
        pages.setdefault(problem, []).append(page)
    lines = []
    for problem, where in pages.items():
        shown = ", ".join(where[:5]) + (f" and {len(where) - 5} more" if len(where) > 5 else "")
        lines.append(f"{problem}\n      on {shown}")
    return f"{title} ({len(failures)} on {len({p for p, _ in failures})} pages):\n  " + \
        "\n  ".join(lines)


def test_every_page_loads_without_errors(crawl: Crawl) -> None:
    """Each page answers 200, and logs no console error, uncaught exception or failed load."""
    assert crawl.base + "index.html" in crawl.visits
    assert len(crawl.visits) > 1, "index.html links no other page"
    failures = []
    for url, visit in crawl.visits.items():
        page = crawl.rel(url)
        if visit.status != 200:
            failures.append((page, f"status {visit.status} for {url}"))
        failures += [(page, error) for error in visit.errors]
        failures += [(page, f"subresource {bad}") for bad in visit.bad_responses]
    if failures:
        pytest.fail(_report("pages that did not load cleanly", failures), pytrace=False)


def test_no_page_requests_anything_outside_the_site(crawl: Crawl) -> None:
    failures = [(crawl.rel(url), f"requested {outside}")
                for url, visit in crawl.visits.items() for outside in visit.outside]
    if failures:
        pytest.fail(_report(f"requests outside the site {crawl.base} (it must work offline "
                            "and under any path prefix)", failures), pytrace=False)


def _http_status(url: str, cache: dict[str, int | str]) -> int | str:
    if url not in cache:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"),
                                        timeout=10) as response:
                cache[url] = response.status
        except urllib.error.HTTPError as error:
            cache[url] = error.code
        except OSError as error:
            cache[url] = f"unreachable: {error}"
    return cache[url]


def test_every_internal_link_resolves(crawl: Crawl) -> None:
    """Every href and src on the site's own server answers 200 (pages, styles, scripts and
    downloads such as .parquet and .json) and stays inside the site, and every #fragment of a
    link to a page names an element of that page."""
    statuses: dict[str, int | str] = {}
    failures = []
    for url, visit in crawl.visits.items():
        page = crawl.rel(url)
        for link in visit.links:
            tag = f"<{link['tag']} {link['attr']}=\"{link['raw']}\">"
            if link["raw"].strip().lower().startswith(NOT_FETCHED):
                continue
            if not link["url"]:
                failures.append((page, f"{tag} is not a valid URL"))
                continue
            target, fragment = urldefrag(link["url"])
            if not target.startswith(crawl.origin + "/"):
                continue  # a link to another website: not fetched here (no network)
            if not target.startswith(crawl.base):
                failures.append((page, f"{tag} leaves the site: {link['url']}"))
                continue
            status = _http_status(target, statuses)
            if status != 200:
                failures.append((page, f"{tag} -> {target}: {status}"))
            elif fragment and target in crawl.visits and \
                    unquote(fragment) not in crawl.visits[target].ids:
                failures.append((page, f"{tag}: {crawl.rel(target)} has no element with id "
                                       f"{unquote(fragment)!r}"))
    if failures:
        pytest.fail(_report("broken internal links", failures), pytrace=False)


def test_every_page_of_the_site_is_linked(crawl: Crawl) -> None:
    """No built page is an orphan: each is reached by following links from index.html."""
    built = {crawl.base + path.relative_to(crawl.site_dir).as_posix()
             for path in crawl.site_dir.rglob("*.html")}
    orphans = sorted(crawl.rel(url) for url in built - set(crawl.visits))
    if orphans:
        pytest.fail("pages that no link leads to from index.html:\n  " + "\n  ".join(orphans),
                    pytrace=False)



# --- every page at a phone's width and a desktop's ---------------------------------------------

SCREENS = {"phone": (390, 844), "desktop": (1280, 900)}
TOUCH_TARGET = 44  # px: the height of a header link, as phones' guidelines ask of a touch target
# Why a page is wider than the screen: the elements that reach past its right edge outside a box
# of their own that scrolls or clips (a wide table's scroll region), a few of them. A box clips an
# absolutely positioned element only if it holds the element's containing block.
PAST_THE_EDGE_JS = """() => {
  const width = window.innerWidth;
  const past = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width) continue;
    const position = getComputedStyle(el).position;
    let seeking = position === 'absolute' || position === 'fixed';
    let inBox = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (seeking) {
        if (position === 'fixed' || style.position === 'static') continue;
        seeking = false;
      }
      if (style.overflowX !== 'visible') { inBox = true; break; }
    }
    if (!inBox) past.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + Array.from(el.classList, c => '.' + c).join('') + ' (right edge ' + Math.round(box.right)
      + ' px)');
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: width,
          past: past.slice(0, 4)};
}"""


@pytest.mark.parametrize("screen", SCREENS)
def test_no_page_is_wider_than_the_screen(screen: str, served_site: tuple[str, Path],
                                         browser: Browser) -> None:
    """Every page of the site at a phone's size (390x844) and a desktop's (1280x900): the page
    never scrolls sideways (the navigation wraps, a wide table scrolls inside its own region),
    the header's links are touch targets of usual size, the page names its icon (so the browser
    does not probe for a /favicon.ico), logs no console error, and axe-core finds no violation
    of any impact (landmark-unique among them)."""
    base, site_dir = served_site
    width, height = SCREENS[screen]
    pages = sorted(path.relative_to(site_dir).as_posix() for path in site_dir.rglob("*.html"))
    errors: list[str] = []
    failures: list[tuple[str, str]] = []
    page = browser.new_page(viewport={"width": width, "height": height})
    page.on("console", lambda message: errors.append(f"console error: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught exception: {error}"))
    try:
        for path in pages:
            errors.clear()
            response = page.goto(base + path, wait_until="load")
            if response is None or response.status != 200:
                failures.append((path, f"status {response and response.status}"))
                continue
            found = page.evaluate(PAST_THE_EDGE_JS)
            if found["scrollWidth"] > found["width"]:
                failures.append((path, f"{found['scrollWidth']} px wide on a {found['width']} px "
                                       f"screen: {', '.join(found['past']) or 'no element found'}"))
            small = page.eval_on_selector_all(
                "header nav a", f"links => links.filter(a => a.getBoundingClientRect().height < "
                                f"{TOUCH_TARGET}).map(a => a.textContent.trim())")
            if small:
                failures.append((path, f"header links lower than {TOUCH_TARGET} px: {small}"))
            if page.query_selector('head link[rel~="icon"]') is None:
                failures.append((path, "no <link rel=\"icon\">"))
            failures += [(path, f"axe-core {v['id']} ({v['impact']}): {v['help']}, at "
                                f"{', '.join(map(str, v['nodes'][0]['target']))}")
                         for v in _axe_violations(page)]
            failures += [(path, error) for error in errors]
    finally:
        page.close()
    assert len(pages) > 10, pages
    if failures:
        pytest.fail(_report(f"pages at {width}x{height}", failures), pytrace=False)


# Pages checked with axe-core: the home page, the summary page and one codebook page must be
# there; the variables index and downloads pages are checked when the site has them as pages
# of their own (they may be sections of index.html).
A11Y_REQUIRED = ("index.html", "variables.html", "variables/institutions/welfare_field.html",
                 "summary.html", "summaries/institutions/collab_any-by-country-wave.html",
                 "downloads.html")


def _axe_violations(page: Page) -> list[dict]:
    return Axe().run(page).response["violations"]


def _describe(violation: dict) -> str:
    nodes = "".join(f"\n      {', '.join(map(str, node['target']))}: {node['html'][:200]}"
                    for node in violation["nodes"])
    return (f"{violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation.get('helpUrl', '')}]{nodes}")


@pytest.mark.parametrize("path", A11Y_REQUIRED)
def test_no_serious_accessibility_violation(path: str, crawl: Crawl, browser: Browser) -> None:
    url = crawl.base + path
    if url not in crawl.visits:
        pytest.fail(f"{path} is not reached by following links from index.html")
    page = browser.new_page()
    try:
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == 200
        violations = _axe_violations(page)
    finally:
        page.close()
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    others = [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]
    message = f"serious or critical axe-core violations on {path} ({len(blocking)}):\n  "
    message += "\n  ".join(_describe(v) for v in blocking)
    if others:
        message += "\n  less severe, not failing:\n  " + "\n  ".join(map(_describe, others))
    if blocking:
        pytest.fail(message, pytrace=False)
    for violation in others:  # not failing; shown with pytest -rP
        print(f"{path}: {_describe(violation)}")


@pytest.mark.parametrize(("word", "language"), [("tilbuddet", "Danish"),
                                                 ("virksomheten", "Norwegian")])
def test_search_finds_a_variable_from_a_word_of_its_question(
        word: str, language: str, crawl: Crawl, browser: Browser) -> None:
    """Both questions behind collab_associations hold the word: the Danish one asks whether
    "institutionen/tilbuddet" collaborates, the Norwegian one whether "virksomheten" does."""
    page = browser.new_page()
    try:
        page.goto(crawl.base + "search.html", wait_until="load")
        page.fill("#q", word)
        page.wait_for_selector("#search-results li")
        found = page.eval_on_selector_all("#search-results .hit-name",
                                          "names => names.map(n => n.textContent)")
        status = page.text_content("#search-status")
        page.click("#search-results > li:has(.hit-name:text-is('institutions.collab_associations'))"
                   " > a")
        page.wait_for_load_state("load")
        landed = page.url
    finally:
        page.close()
    assert "institutions.collab_associations" in found, (language, found)
    assert status and "found" in status
    assert landed.endswith("variables/institutions/collab_associations.html")


# --- the extract page -------------------------------------------------------------------------

EXTRACT_TABLE = "institutions"
EXTRACT_VARIABLES = ["welfare_field", "n_employees", "collab_any", "attitude", "weight"]
EXTRACT_COLUMNS = ["respondent_id", "country", "wave", "source", "welfare_field", "n_employees",
                   "n_employees_missing", "collab_any", "attitude", "weight"]


def _built_package(site_dir: Path) -> Path:
    """The package folder the served site was built from (served_site copies its build/site to
    <tmp>/www/<PREFIX>, next to <tmp>/demo)."""
    root = site_dir.parents[len(Path(PREFIX).parts)] / "demo"
    assert (root / "schemas" / "package.yaml").is_file(), root
    return root


def _make_extract(page: Page, base: str, *, countries: list[str], waves: list[str],
                  cells: str = "codes") -> None:
    page.goto(base + "extract.html", wait_until="load")
    page.check(f"#table-{EXTRACT_TABLE}")
    for variable in EXTRACT_VARIABLES:
        page.check(f"#var-{EXTRACT_TABLE}-{variable}")
    for box in page.query_selector_all(f"#extract-{EXTRACT_TABLE} input[name=country]"):
        box.set_checked(box.get_attribute("value") in countries)
    for box in page.query_selector_all(f"#extract-{EXTRACT_TABLE} input[name=wave]"):
        box.set_checked(box.get_attribute("value") in waves)
    page.check(f"#cells-{cells}")
    page.click("#extract-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('extract-status').textContent"
                           " && !document.getElementById('extract-status').textContent"
                           ".startsWith('Reading')")


def _download(page: Page, link: str, to: Path) -> Path:
    with page.expect_download() as download:
        page.click(link)
    download.value.save_as(to)
    return to


@pytest.mark.parametrize("cells", ["codes", "labels"])
def test_the_extract_page_makes_the_extract_of_the_parquet_file(
        cells: str, served_site: tuple[str, Path], browser: Browser, tmp_path: Path) -> None:
    """Five variables for Denmark 2018, made in the browser from the site's Parquet download
    (hyparquet, zstd by fzstd): every cell is the Parquet value as a code or English label
    (from codebook.json), and the CSV and its codebook are the bytes `coprod extract` writes."""
    import json

    import polars as pl
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    base, site_dir = served_site
    page = browser.new_page(accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        _make_extract(page, base, countries=["dk"], waves=["2018"], cells=cells)
        status = page.text_content("#extract-status") or ""
        links = page.eval_on_selector_all("#extract-files a", "as => as.map(a => a.download)")
        assert links == [f"{EXTRACT_TABLE}-extract.csv",
                         f"{EXTRACT_TABLE}-extract.codebook.json"], (status, errors)
        csv_file = _download(page, "#extract-files li:nth-child(1) a", tmp_path / "page.csv")
        book_file = _download(page, "#extract-files li:nth-child(2) a", tmp_path / "page.json")
    finally:
        page.close()
    assert not errors, errors
    assert "706 rows" in status

    # Against the Parquet file the page read, with codes and labels from codebook.json
    downloads = site_dir / "downloads"
    published = pq.read_table(downloads / f"{EXTRACT_TABLE}.parquet")
    published = published.filter(pc.equal(published["source"], "dk-institutions-2018"))
    document = json.loads((downloads / "codebook.json").read_text(encoding="utf-8"))
    variables = document["tables"][EXTRACT_TABLE]["variables"]
    reasons = {m["value"]: (m["code"], m["label"]["en"]) for m in document["missing"]}
    frame = pl.read_csv(csv_file, infer_schema=False)
    assert frame.columns == EXTRACT_COLUMNS
    assert frame.height == published.num_rows == 706
    for column in EXTRACT_COLUMNS:
        var = variables.get(column)
        if var is not None and var["type"] == "categorical":
            meaning = {c["value"]: (c["code"], c["label"]["en"]) for c in var["categories"]}
            meaning |= reasons
        elif var is None:  # a _missing column
            meaning = reasons
        else:
            meaning = None
        expected = []
        for value in published[column].to_pylist():
            if value is None:
                expected.append(None)
            elif meaning is not None:
                code, label = meaning[value]
                expected.append(str(code) if cells == "codes" else label)
            else:
                expected.append(value)
        read = frame[column].to_list()
        if column == "weight":
            assert [float(v) for v in read] == expected
        else:
            assert read == [None if v is None else str(v) for v in expected], column

    # The same bytes as the command line's extract of the same selection
    out = tmp_path / "cli" / f"{EXTRACT_TABLE}-extract.csv"
    result = CliRunner().invoke(main, ["--root", str(_built_package(site_dir)), "extract",
                                       *EXTRACT_VARIABLES, "--country", "dk", "--wave", "2018",
                                       "-o", str(out), *(["--labels"] if cells == "labels"
                                                         else [])])
    assert result.exit_code == 0, result.output
    assert csv_file.read_bytes() == out.read_bytes()
    assert book_file.read_bytes() == out.with_name(
        f"{EXTRACT_TABLE}-extract.codebook.json").read_bytes()
    book = json.loads(book_file.read_text(encoding="utf-8"))
    assert book["extract"]["sources"] == ["dk-institutions-2018"]
    assert book["tables"][EXTRACT_TABLE]["variables"]["attitude"]["frequencies"] == {
        "dk-institutions-2018": variables["attitude"]["frequencies"]["dk-institutions-2018"]}


def test_the_extract_page_says_when_a_choice_has_no_rows(served_site: tuple[str, Path],
                                                         browser: Browser) -> None:
    base, _ = served_site
    page = browser.new_page()
    try:
        _make_extract(page, base, countries=["no"], waves=["2016"])
        status = page.text_content("#extract-status") or ""
        links = page.query_selector_all("#extract-files a")
        page.goto(base + "extract.html", wait_until="load")
        page.check(f"#table-{EXTRACT_TABLE}")
        page.click("#extract-form button[type=submit]")
        nothing = page.text_content("#extract-status") or ""
        said = {}  # the same, on the page in each other language
        for language in LANGUAGES[1:]:
            page.goto(f"{base}{language}/extract.html", wait_until="load")
            page.check(f"#table-{EXTRACT_TABLE}")
            page.click("#extract-form button[type=submit]")
            said[language] = page.text_content("#extract-status") or ""
    finally:
        page.close()
    assert "no rows" in status and "Denmark 2016" in status and "Norway 2022" in status, status
    assert not links
    assert nothing == "Choose at least one variable."
    assert said == {language: _in_language(language)("Choose at least one variable.")
                    for language in LANGUAGES[1:]}
    assert all(text != nothing for text in said.values())



def test_the_extract_page_from_the_file_system_says_how_to_serve_the_site(
        served_site: tuple[str, Path], browser: Browser) -> None:
    """Opened as file://, where a page may not read other files, it says to serve the site."""
    _, site_dir = served_site
    page = browser.new_page()
    try:
        page.goto((site_dir / "extract.html").as_uri(), wait_until="load")
        notice = page.locator("#extract-offline")
        visible = notice.is_visible()
        text = notice.text_content() or ""
        form_hidden = not page.locator("#extract-form").is_visible()
    finally:
        page.close()
    assert visible and form_hidden
    assert "python -m http.server" in text and "file://" in text


@pytest.mark.parametrize("width", [375, 1280])
def test_the_extract_page_is_accessible_at_phone_and_desktop_width(
        width: int, served_site: tuple[str, Path], browser: Browser) -> None:
    """axe-core finds no serious violation before or after an extract is made, and nothing is
    wider than a phone's screen."""
    base, _ = served_site
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        page.goto(base + "extract.html", wait_until="load")
        before = _axe_violations(page)
        _make_extract(page, base, countries=["dk", "no"], waves=["2018"])
        after = _axe_violations(page)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - "
                                 "document.documentElement.clientWidth")
        nav_links = page.eval_on_selector_all(
            "nav[aria-label=Main] a", "as => as.filter(a => { const r = a.getBoundingClientRect();"
            " return r.right > document.documentElement.clientWidth; }).map(a => a.textContent)")
    finally:
        page.close()
    blocking = [v for v in before + after if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, "\n".join(map(_describe, blocking))
    assert overflow <= 0, f"the page is {overflow}px wider than a {width}px screen"
    assert not nav_links, f"nav links off the screen: {nav_links}"


# --- charts -----------------------------------------------------------------------------------

# Per chart (figure.chart): the width it has and the SVG takes, and the boxes of what it draws
# as the browser lays them out: its text (with the size it is rendered at), bars, whiskers and
# legend items. Text hidden at this width (display: none) has no box and is left out.
CHARTS_JS = """() => Array.from(document.querySelectorAll('figure.chart'), (figure, index) => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const style = getComputedStyle(figure);
  const svg = figure.querySelector('svg.chart');
  const shown = e => getComputedStyle(e).display !== 'none';
  const texts = svg ? Array.from(svg.querySelectorAll('text')).filter(shown).map(t => ({
    kind: t.getAttribute('class') || '', text: t.textContent, box: box(t),
    size: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a})) : [];
  return {
    index: index,
    figure: box(figure),
    width: figure.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
    svg: svg ? box(svg) : null,
    plotLeft: svg ? box(svg).left + parseFloat(getComputedStyle(svg).paddingLeft) : null,
    texts: texts,
    bars: svg ? Array.from(svg.querySelectorAll('rect'), box) : [],
    whiskers: svg ? Array.from(svg.querySelectorAll('.ch-ci'), box) : [],
    legend: Array.from(figure.querySelectorAll('.ch-legend li'), li => ({text: li.textContent,
                                                                       box: box(li)})),
    caption: (figure.querySelector('figcaption') || {}).textContent || '',
    lang: document.documentElement.lang,
  };
})"""
MIN_TEXT_PX = 11


def _overlap(a: dict, b: dict, tolerance: float = 0.5) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > tolerance
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > tolerance)


def _chart_problems(chart: dict) -> list[str]:
    """What a reader could not read in one chart: a chart narrower than its figure, text under
    MIN_TEXT_PX, text over text or a legend item, a value on a bar or whisker, a label on a
    bar, anything outside the figure."""
    where = f"chart {chart['index'] + 1}"
    problems = []
    if chart["svg"] is not None and abs((chart["svg"]["right"] - chart["svg"]["left"])
                                        - chart["width"]) > 1:
        problems.append(f"{where} is {chart['svg']['right'] - chart['svg']['left']:.0f}px wide "
                        f"in a figure {chart['width']:.0f}px wide")
    texts = chart["texts"]
    problems += [f"{where}: {t['text']!r} rendered at {t['size']:.1f}px" for t in texts
                 if t["size"] < MIN_TEXT_PX]
    boxes = [(f"{t['kind'] or 'text'} {t['text']!r}", t["box"]) for t in texts] + [
        (f"legend item {item['text']!r}", item["box"]) for item in chart["legend"]]
    for i, (name, a) in enumerate(boxes):
        problems += [f"{where}: {name} overlaps {other}" for other, b in boxes[i + 1:]
                     if _overlap(a, b)]
    for t in texts:
        if "ch-value" in t["kind"].split():
            if any(_overlap(t["box"], w, 0) for w in chart["whiskers"]):
                problems.append(f"{where}: value {t['text']!r} touches a whisker")
            if any(_overlap(t["box"], b, 0) for b in chart["bars"]):
                problems.append(f"{where}: value {t['text']!r} is on a bar")
        if "ch-label" in t["kind"].split() and t["box"]["right"] > chart["plotLeft"]:
            problems.append(f"{where}: label {t['text']!r} runs into the plot")
        figure = chart["figure"]
        if t["box"]["left"] < figure["left"] - 0.5 or t["box"]["right"] > figure["right"] + 0.5:
            problems.append(f"{where}: {t['text']!r} is cut off at the figure's edge")
    if _in_language(chart["lang"])("Base:") not in chart["caption"]:  # in the page's language
        problems.append(f"{where}: no caption stating the base ({chart['caption']!r})")
    return problems


@functools.cache
def _in_language(language: str):  # noqa: ANN202 - a gettext function
    """The site's interface strings in ``language``, from its catalog."""
    from coprod.site.i18n import translations

    return translations(Path(__file__).resolve().parent.parent / "site_templates",
                        language).gettext


def _chart_pages(site_dir: Path) -> list[str]:
    return sorted(path.relative_to(site_dir).as_posix() for path in site_dir.rglob("*.html")
                  if 'class="chart"' in path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("width", [390, 1280])
def test_charts_are_readable_at_phone_and_desktop_width(
        width: int, served_site: tuple[str, Path], browser: Browser) -> None:
    """On every page with a chart: each chart takes the full width of its figure, its text is
    at least 11 px as rendered, no text overlaps other text or a legend item, no value label
    touches a whisker or a bar, no label runs into the bars, nothing is cut off, and a caption
    states the base."""
    base, site_dir = served_site
    pages = _chart_pages(site_dir)
    assert "summaries/institutions/collab_any-by-country-wave.html" in pages
    assert "variables/institutions/initiative.html" in pages
    page = browser.new_page(viewport={"width": width, "height": 900})
    failures, charts, values = [], 0, 0
    try:
        for path in pages:
            page.goto(base + path, wait_until="load")
            found = page.evaluate(CHARTS_JS)
            charts += len(found)
            values += sum("ch-value" in t["kind"] for c in found for t in c["texts"])
            failures += [(path, problem) for chart in found for problem in _chart_problems(chart)]
    finally:
        page.close()
    assert charts >= len(pages) and values > 100, (charts, values)
    if failures:
        pytest.fail(_report(f"charts hard to read at {width}px", failures), pytrace=False)
