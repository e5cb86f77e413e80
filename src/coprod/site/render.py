"""Render the static documentation site from ``processed/`` and ``schemas/``.

Returns the site as {relative path: bytes}; the pipeline publishes it. Jinja2 autoescapes every
value and fails on an undefined name. Links are relative, so the site works under any path
prefix and from the file system; nothing is fetched from elsewhere.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import polars as pl
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)

from ..codebook import Codebooks, Labels
from ..ddi import ddi_bytes
from ..describe import availability, source_design
from ..disclosure import tables as disclosure
from ..disclosure.numeric import PERCENTILES
from ..errors import ConfigError
from ..export import table_exports
from ..extract import page_tables
from ..project import Project
from ..summary import rounded
from ..write import RESTRICTED
from . import i18n
from .i18n import N_, _, lang
from .pages import country_names, in_language, printed_number, variable_pages, with_categories
from .search import STEMMERS, search_index, search_index_script, stemmers_script
from .summaries import summaries, summary_figures

EXPORT_KINDS = {  # file name after the table name -> (what it is, media type)
    ".csv": (N_("CSV, UTF-8, numeric codes"), "text/csv"),
    "-labelled.csv": (N_("CSV, UTF-8, category labels"), "text/csv"),
    ".sav": (N_("SPSS, with labels and missing values"), "application/x-spss-sav"),
    ".dta": (N_("Stata, with labels and missing values"), "application/x-stata-dta"),
}


@dataclass(frozen=True)
class Download:
    path: str  # relative to the site root
    what: str  # in English; shown in the page's language
    mediatype: str
    size: int
    sha256: str
    subject: Labels | None = None  # the table it holds, if it holds one

    @property
    def title(self) -> str:
        what = _(self.what)
        return f"{self.subject.get(lang())} ({what})" if self.subject else what


def environment(templates: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_null_translations(newstyle=True)
    return env



def language_names(codes: list[str], in_language: str | None = None, *,
                   capitalized: bool = True) -> dict[str, str]:
    """Language code -> its name, in that language (``Dansk``) or in ``in_language``, from
    CLDR (Babel), capitalized as a menu item or (``capitalized=False``) as CLDR writes it in a
    sentence (``engelsk`` in Danish, ``English`` in English); a code CLDR does not know is shown
    as it is."""
    from babel import Locale, UnknownLocaleError

    names = {}
    for code in codes:
        try:
            name = Locale.parse(code.replace("-", "_")).get_display_name(
                in_language or code.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            name = None
        names[code] = ((name[:1].upper() + name[1:]) if capitalized else name) if name else code
    return names


def _listed(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return _("{first} and {last}").format(first=", ".join(names[:-1]), last=names[-1])


def _human_size(size: int) -> str:
    """A file size as people write it: ``812 bytes``, ``4.2 KB``, ``312 KB``, ``1.0 MB``. A KB is
    1,024 bytes; one decimal below 10, none above, and never four digits (``1,000.3 KB`` is
    ``1.0 MB``). static/extract.js writes an extract's size by the same rule."""
    if size < 1000:
        return "1 byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        shown = f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
        if float(shown) < 1000 or unit == "GB":
            return f"{shown} {unit}" if float(shown) < 1000 else f"{value:,.0f} {unit}"
    raise AssertionError("unreachable")


def _in_language(texts: Mapping[str, str], lang: str) -> tuple[str, str] | None:
    """(language, text) of a text given by language: in ``lang``, else in English, else in the
    first language it has; None where there is none."""
    for code in (lang, "en", *texts):
        if texts.get(code):
            return code, texts[code]
    return None


class Outputs:
    """The package's outputs the site is made from: as on disk, or as about to replace them in
    the same transaction (a build renders the site before anything is published)."""

    def __init__(self, project: Project, staged: Mapping[Path, bytes]) -> None:
        self.project, self.staged = project, staged

    def read(self, path: Path) -> bytes | None:
        if path in self.staged:
            return self.staged[path]
        return path.read_bytes() if path.is_file() else None


def tables_folder(project: Project, codebooks: Codebooks) -> Path:
    """Where the harmonized tables are: processed/, or (access: restricted) the bundle."""
    if codebooks.package.access == "restricted":
        return project.root / RESTRICTED / "processed"
    return project.processed


def _read_tables(outputs: Outputs, codebooks: Codebooks) -> dict[str, pl.DataFrame]:
    tables = {}
    for name, table in codebooks.tables.items():
        path = tables_folder(outputs.project, codebooks) / f"{name}.parquet"
        data = outputs.read(path)
        if data is None:
            raise ConfigError(f"{outputs.project.relative(path)}: not found",
                              hint="run `coprod harmonize` (or `coprod build`) first")
        tables[name] = with_categories(pl.read_parquet(io.BytesIO(data)), table, codebooks)
    return tables


def _absolute(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _json_ld(codebooks: Codebooks, tables: dict[str, pl.DataFrame],
             downloads: list[Download]) -> dict:
    """schema.org Dataset, for search engines and catalogues. Every URL in it is absolute: a
    download's ``contentUrl`` and the Dataset's ``url`` only where the package declares where
    the site is published (``homepage`` in package.yaml); without it the downloads are listed
    (name, format, size, checksum) with no URL, as a search engine cannot resolve a relative
    one against a site it has not been told of."""
    package = codebooks.package
    waves = sorted({s.wave for s in codebooks.sources.values()})
    data_license = next((lic for lic in package.licenses if lic.scope == "data"), None)
    site = package.homepage.rstrip("/") + "/" if _absolute(package.homepage) else None
    variables = []
    for name in tables:
        for var_name, var in codebooks.tables[name].variables.items():
            variables.append({"@type": "PropertyValue", "name": f"{name}.{var_name}",
                              "description": var.label.get()})
    if data_license is None:
        license_ = None
    elif _absolute(data_license.path):
        license_ = data_license.path
    else:  # a licence without a URL (or a path in the repository) is named, not linked
        license_ = {"@type": "CreativeWork", "name": data_license.title,
                    "identifier": data_license.name}
    dataset = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": package.title,
        "description": f"{package.description} {package.synthetic_notice}",
        "url": site,
        "version": package.version,
        "license": license_,
        "creator": [{"@type": "Organization", "name": c.title} for c in package.contributors],
        "keywords": package.keywords,
        "isAccessibleForFree": True,
        "temporalCoverage": f"{waves[0]}/{waves[-1]}" if waves else None,
        "spatialCoverage": [{"@type": "Country", "name": country_names(codebooks).get(c, c)}
                            for c in sorted({s.country for s in codebooks.sources.values()})],
        "variableMeasured": variables,
        "distribution": [{"@type": "DataDownload", "name": d.path.rsplit("/", 1)[-1],
                          "description": d.title, "encodingFormat": d.mediatype,
                          **({"contentUrl": urljoin(site, d.path)} if site else {}),
                          "contentSize": f"{d.size} B", "sha256": d.sha256}
                         for d in downloads],
    }
    return {key: value for key, value in dataset.items() if value not in (None, [])}


def _download(path: str, what: str, mediatype: str, data: bytes,
              subject: Labels | None = None) -> Download:
    return Download(path, what, mediatype, len(data), hashlib.sha256(data).hexdigest(), subject)


def render_site(project: Project, codebooks: Codebooks,
                staged: Mapping[Path, bytes] | None = None,
                plans: Mapping[str, disclosure.TablePlan] | None = None) -> dict[str, bytes]:
    """The site's files; the package's outputs are read from ``staged`` where it has them.
    ``plans``: the disclosure plans made with these codebooks of the tables in ``staged`` (by
    the package stage of the same build: they take a MILP each)."""
    env = environment(project.templates)
    outputs = Outputs(project, staged or {})
    tables = _read_tables(outputs, codebooks)
    # What every page and file leaves out. A plan is a function of the codebooks and a table's
    # rows: one given is taken for a table read from ``staged`` only, never from disk.
    given = {name: plans[name] for name in tables if plans is not None and name in plans
             and tables_folder(project, codebooks) / f"{name}.parquet" in outputs.staged}
    plans = {name: given[name] if name in given else disclosure.plan(codebooks, name, frame)
             for name, frame in tables.items()}
    files: dict[str, bytes] = {}

    downloads = []
    # A restricted package publishes no microdata: no table, in no format.
    open_access = codebooks.package.access == "open"
    for name, frame in tables.items() if open_access else ():
        title = codebooks.tables[name].title
        data = outputs.read(project.processed / f"{name}.parquet") or b""
        files[f"downloads/{name}.parquet"] = data
        downloads.append(_download(f"downloads/{name}.parquet", "Parquet",
                                   "application/vnd.apache.parquet", data, title))
        exports = table_exports(name, frame, codebooks.tables[name], codebooks.package)
        for filename, data in exports.items():
            kind, mediatype = EXPORT_KINDS[filename.removeprefix(name)]
            files[f"downloads/{filename}"] = data
            downloads.append(_download(f"downloads/{filename}", kind, mediatype, data, title))
    data = ddi_bytes(codebooks, tables, plans)
    files["downloads/codebook-ddi.xml"] = data
    downloads.append(_download("downloads/codebook-ddi.xml",
                               N_("DDI-Codebook 2.5 XML of the harmonized codebooks"),
                               "application/xml", data))
    for path, title in ((project.processed / "codebook.json",
                         N_("Machine-readable codebook: labels, categories, lineage, "
                            "availability")),
                        (project.datapackage, N_("Frictionless Data Package descriptor"))):
        data = outputs.read(path)
        if data is not None:
            files[f"downloads/{path.name}"] = data
            downloads.append(_download(f"downloads/{path.name}", title, "application/json", data))
    # How to cite the package, as the Citation File Format (YAML) in the package's root
    citation = outputs.read(project.root / "CITATION.cff")
    if citation is not None:
        files["downloads/CITATION.cff"] = citation
        downloads.append(_download("downloads/CITATION.cff",
                                   N_("How to cite this package (Citation File Format 1.2.0, "
                                      "YAML)"), "application/x-yaml", citation))

    # The reader for researchers (coprod.reader: the standard library, pyarrow and polars or
    # pandas only), to put beside a script that reads the downloads
    # (with the microdata it reads: an open package's)
    if open_access:
        reader = (Path(__file__).parent.parent / "reader.py").read_bytes()
        files["downloads/reader.py"] = reader
        downloads.append(_download("downloads/reader.py", N_("Python reader: categories in "
                                   "codebook order, labels in any language, missing reasons "
                                   "as nulls (docs/reading.md)"), "text/x-python", reader))

    report_bytes = outputs.read(project.reports / "validation.json")
    report = json.loads(report_bytes.decode("utf-8")) if report_bytes else None
    descriptor = outputs.read(project.datapackage)
    package = codebooks.package
    languages = package.languages
    targets = {r.country: package.municipality_references[package.municipality_target.get(
        r.country, key)] for key, r in package.municipality_references.items()}
    document = outputs.read(project.processed / "codebook.json")
    observed = {sid: entry["fieldwork_observed"] for sid, entry in json.loads(
        document.decode("utf-8"))["sources"].items()
        if entry.get("fieldwork_observed")} if document else {}
    matrices = {name: availability(codebooks, name, frame) for name, frame in tables.items()}
    env.filters["rounded"] = lambda n: rounded(n, package.min_cell_size)  # a table's n
    catalogs = {code: i18n.translations(project.templates, code) for code in languages}
    # The first language's pages at the root, every other's in a folder of its code; downloads
    # and static files once, at the root
    folders = {code: "" if i == 0 else f"{code}/" for i, code in enumerate(languages)}
    names = language_names(languages)  # each in its own language, for the switch

    # The figures of the variable pages and summary tables are made once, in the first
    # language, and only their words again in each other
    figures = summary_figures(codebooks, tables, plans)
    first_pages: dict[str, list[dict]] = {}
    for code, strings in catalogs.items():
        env.install_gettext_translations(strings, newstyle=True)
        with i18n.language(code, strings):
            if first_pages:
                pages_by_table = {name: in_language(codebooks, pages)
                                  for name, pages in first_pages.items()}
            else:
                pages_by_table = first_pages = {
                    name: variable_pages(codebooks, codebooks.tables[name], frame, plans[name])
                    for name, frame in tables.items()}
            summary_tables = summaries(codebooks, tables, plans, figures)
            if code == languages[0]:
                # The attacker's audit of everything published about the tables, before a page
                # is made (the figures are the same in every language)
                disclosure.audit_site(codebooks, tables, pages_by_table, summary_tables,
                                      outputs.read(project.processed / "codebook.json"),
                                      files["downloads/codebook-ddi.xml"],
                                      {s["path"] + ".csv": s["csv"] for s in summary_tables})
                json_ld = _json_ld(codebooks, tables, downloads)
            common = {
                "package": package,
                "ui_lang": code,
                "languages": names,
                "language_list": _listed(list(language_names(
                    languages, code, capitalized=False).values())),
                "source_countries": sorted({s.country for s in codebooks.sources.values()}),
                "countries": country_names(codebooks, code),
                "human_size": _human_size,
                "source_books": codebooks.sources,
                "tables": codebooks.tables,
                "frames": tables,
                "waves": sorted({s.wave for s in codebooks.sources.values()}),
                # A build is named by its content, not its clock, so that rebuilding gives the
                # same bytes: the first digits of the descriptor's hash, which pins every table.
                "build_id": (hashlib.sha256(descriptor).hexdigest()[:12] if descriptor
                             else "unbuilt"),
                "interval": _("Wilson score interval with the effective sample size of the "
                              "weights (Kish)"),
                "min_n": package.min_cell_size,
                "number": printed_number,
                "percentiles": PERCENTILES,
            }
            folder = folders[code]

            def page(template: str, path: str, folder: str = folder, common: dict = common,
                     **context: object) -> None:
                base = "../" * path.count("/")  # to this language's pages
                root = base + "../" * folder.count("/")  # to the downloads and static files
                alternates = [(other, names[other], root + folders[other] + path)
                              for other in languages]
                try:
                    html = env.get_template(template).render(
                        base=base, root=root, path=path, folder=folder, alternates=alternates,
                        default_href=root + path, **common, **context)
                except TemplateError as exc:
                    where = getattr(exc, "filename", None) or template
                    line = getattr(exc, "lineno", None)
                    raise ConfigError(
                        f"site_templates/{Path(where).name}{f':{line}' if line else ''}: "
                        f"{exc.message}", hint="fix the template") from None
                files[folder + path] = html.encode("utf-8")

            page("index.html", "index.html", downloads=downloads, json_ld=json_ld)
            page("variables.html", "variables.html", pages=pages_by_table)
            page("downloads.html", "downloads.html", downloads=downloads)
            page("summary.html", "summary.html", summaries=summary_tables)
            for entry in summary_tables:  # a page per summary table, with its CSV beside it
                outcome = codebooks.tables[entry["table"]].variables[entry["spec"].outcome]
                page("summary_table.html", entry["path"] + ".html", s=entry,
                     answer_labels={c.value: c.label.get(code) for c in outcome.categories})
                files[folder + entry["path"] + ".csv"] = entry["csv"]
            page("availability.html", "availability.html", matrices=matrices,
                 table_sources={n: sorted(f["source"].unique().to_list())
                                for n, f in tables.items()})
            page("sources.html", "sources.html", references=package.municipality_references,
                 crosswalks=package.municipality_crosswalks, targets=targets,
                 observed=observed, designs=source_design(codebooks, tables),
                 in_language=_in_language)
            page("background.html", "background.html")
            page("validation.html", "validation.html", report=report)
            page("search.html", "search.html")
            if open_access:  # made in the browser from the Parquet downloads, which only
                # these have
                page("extract.html", "extract.html",
                     extract_tables=page_tables(codebooks, tables, code))
            for table_name, table_pages in pages_by_table.items():
                for p in table_pages:
                    page("variable.html", f"variables/{table_name}/{p['name']}.html", **p)
    env.install_null_translations(newstyle=True)
    index = search_index(codebooks, tables)
    files["static/search-index.js"] = search_index_script(index)
    static = project.templates / "static"
    files["static/search-stemmers.js"] = stemmers_script(static, index["languages"])
    for path in sorted(static.rglob("*")) if static.is_dir() else []:
        # the stemmers are published wrapped (search-stemmers.js), their licence as it is
        if path.is_file() and not (path.parent == static / STEMMERS and path.suffix == ".cjs"):
            files[f"static/{path.relative_to(static).as_posix()}"] = path.read_bytes()
    return files
