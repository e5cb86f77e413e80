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

from ..codebook import Codebooks
from ..ddi import ddi_bytes
from ..describe import availability
from ..disclosure import tables as disclosure
from ..disclosure.numeric import PERCENTILES
from ..errors import ConfigError
from ..export import table_exports
from ..extract import page_tables
from ..project import Project
from ..summary import INTERVAL, rounded
from ..write import RESTRICTED
from .pages import country_names, printed_number, variable_pages, with_categories
from .search import search_index
from .summaries import summaries

EXPORT_KINDS = {  # file name after the table name -> (what it is, media type)
    ".csv": ("CSV, UTF-8, numeric codes", "text/csv"),
    "-labelled.csv": ("CSV, UTF-8, category labels", "text/csv"),
    ".sav": ("SPSS, with labels and missing values", "application/x-spss-sav"),
    ".dta": ("Stata, with labels and missing values", "application/x-stata-dta"),
}


@dataclass(frozen=True)
class Download:
    path: str  # relative to the site root
    title: str
    mediatype: str
    size: int
    sha256: str


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


# The templates are written in English: the interface language. Labels and question texts are shown
# in every language of the package (package.yaml), each marked with its lang.
INTERFACE_LANGUAGE = "en"


def language_names(codes: list[str], in_language: str | None = None) -> dict[str, str]:
    """Language code -> its name, in that language (``dansk``) or in ``in_language``, from
    CLDR (Babel); a code CLDR does not know is shown as it is."""
    from babel import Locale, UnknownLocaleError

    names = {}
    for code in codes:
        try:
            name = Locale.parse(code.replace("-", "_")).get_display_name(
                in_language or code.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            name = None
        names[code] = (name[:1].upper() + name[1:]) if name else code
    return names


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


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


def _download(path: str, title: str, mediatype: str, data: bytes) -> Download:
    return Download(path, title, mediatype, len(data), hashlib.sha256(data).hexdigest())


def render_site(project: Project, codebooks: Codebooks,
                staged: Mapping[Path, bytes] | None = None) -> dict[str, bytes]:
    """The site's files; the package's outputs are read from ``staged`` where it has them."""
    env = environment(project.templates)
    outputs = Outputs(project, staged or {})
    tables = _read_tables(outputs, codebooks)
    plans = disclosure.plans(codebooks, tables)  # what every page and file leaves out
    files: dict[str, bytes] = {}

    downloads = []
    # A restricted package publishes no microdata: no table, in no format.
    open_access = codebooks.package.access == "open"
    for name, frame in tables.items() if open_access else ():
        title = codebooks.tables[name].title.get()
        data = outputs.read(project.processed / f"{name}.parquet") or b""
        files[f"downloads/{name}.parquet"] = data
        downloads.append(_download(f"downloads/{name}.parquet", f"{title} (Parquet)",
                                   "application/vnd.apache.parquet", data))
        exports = table_exports(name, frame, codebooks.tables[name], codebooks.package)
        for filename, data in exports.items():
            kind, mediatype = EXPORT_KINDS[filename.removeprefix(name)]
            files[f"downloads/{filename}"] = data
            downloads.append(_download(f"downloads/{filename}", f"{title} ({kind})", mediatype,
                                       data))
    data = ddi_bytes(codebooks, tables, plans)
    files["downloads/codebook-ddi.xml"] = data
    downloads.append(_download("downloads/codebook-ddi.xml", "DDI-Codebook 2.5 XML of the "
                               "harmonized codebooks", "application/xml", data))
    for path, title in ((project.processed / "codebook.json",
                         "Machine-readable codebook: labels, categories, lineage, availability"),
                        (project.datapackage, "Frictionless Data Package descriptor")):
        data = outputs.read(path)
        if data is not None:
            files[f"downloads/{path.name}"] = data
            downloads.append(_download(f"downloads/{path.name}", title, "application/json", data))
    # How to cite the package, as the Citation File Format (YAML) in the package's root
    citation = outputs.read(project.root / "CITATION.cff")
    if citation is not None:
        files["downloads/CITATION.cff"] = citation
        downloads.append(_download("downloads/CITATION.cff", "How to cite this package "
                                   "(Citation File Format 1.2.0, YAML)", "application/x-yaml",
                                   citation))

    # The reader for researchers (coprod.reader: the standard library, pyarrow and polars or
    # pandas only), to put beside a script that reads the downloads
    # (with the microdata it reads: an open package's)
    if open_access:
        reader = (Path(__file__).parent.parent / "reader.py").read_bytes()
        files["downloads/reader.py"] = reader
        downloads.append(_download("downloads/reader.py", "Python reader: categories in "
                                   "codebook order, labels in any language, missing reasons "
                                   "as nulls (docs/reading.md)", "text/x-python", reader))

    report_bytes = outputs.read(project.reports / "validation.json")
    report = json.loads(report_bytes.decode("utf-8")) if report_bytes else None
    descriptor = outputs.read(project.datapackage)
    pages_by_table = {name: variable_pages(codebooks, codebooks.tables[name], frame,
                                           plans[name]) for name, frame in tables.items()}
    summary_tables = summaries(codebooks, tables, plans)
    # The attacker's audit of everything published about the tables, before a page is made
    disclosure.audit_site(codebooks, tables, pages_by_table, summary_tables,
                          outputs.read(project.processed / "codebook.json"),
                          files["downloads/codebook-ddi.xml"],
                          {s["path"] + ".csv": s["csv"] for s in summary_tables})
    package = codebooks.package
    languages = package.languages
    targets = {r.country: package.municipality_references[package.municipality_target.get(
        r.country, key)] for key, r in package.municipality_references.items()}
    common = {
        "package": package,
        "ui_lang": INTERFACE_LANGUAGE,
        "languages": language_names(languages),
        "language_list": _listed(list(language_names(languages, INTERFACE_LANGUAGE).values())),
        "source_countries": sorted({s.country for s in codebooks.sources.values()}),
        "countries": country_names(codebooks),
        "human_size": _human_size,
        "source_books": codebooks.sources,
        "tables": codebooks.tables,
        "frames": tables,
        "waves": sorted({s.wave for s in codebooks.sources.values()}),
        # A build is named by its content, not its clock, so that rebuilding gives the same
        # bytes: the first digits of the descriptor's hash, which pins every table.
        "build_id": hashlib.sha256(descriptor).hexdigest()[:12] if descriptor else "unbuilt",
    }

    env.filters["rounded"] = lambda n: rounded(n, package.min_cell_size)  # a table's n
    common["number"] = printed_number
    common["percentiles"] = PERCENTILES
    common["min_n"] = package.min_cell_size

    def page(template: str, path: str, **context: object) -> None:
        base = "../" * path.count("/")
        try:
            html = env.get_template(template).render(base=base, path=path, **common, **context)
        except TemplateError as exc:
            where = getattr(exc, "filename", None) or template
            line = getattr(exc, "lineno", None)
            raise ConfigError(f"site_templates/{Path(where).name}{f':{line}' if line else ''}: "
                              f"{exc.message}", hint="fix the template") from None
        files[path] = html.encode("utf-8")

    page("index.html", "index.html", downloads=downloads,
         json_ld=_json_ld(codebooks, tables, downloads))
    page("variables.html", "variables.html", pages=pages_by_table)
    page("downloads.html", "downloads.html", downloads=downloads)
    page("summary.html", "summary.html", summaries=summary_tables, interval=INTERVAL)
    for entry in summary_tables:  # a page per summary table, with its CSV beside it
        outcome = codebooks.tables[entry["table"]].variables[entry["spec"].outcome]
        page("summary_table.html", entry["path"] + ".html", s=entry, interval=INTERVAL,
             answer_labels={c.value: c.label.get(INTERFACE_LANGUAGE)
                            for c in outcome.categories})
        files[entry["path"] + ".csv"] = entry["csv"]
    matrices = {name: availability(codebooks, name, frame) for name, frame in tables.items()}
    page("availability.html", "availability.html", matrices=matrices,
         table_sources={n: sorted(f["source"].unique().to_list()) for n, f in tables.items()})
    document = outputs.read(project.processed / "codebook.json")
    observed = {sid: entry["fieldwork_observed"] for sid, entry in json.loads(
        document.decode("utf-8"))["sources"].items()
        if entry.get("fieldwork_observed")} if document else {}
    page("sources.html", "sources.html", references=package.municipality_references,
         crosswalks=package.municipality_crosswalks, targets=targets, observed=observed)
    page("background.html", "background.html")
    page("validation.html", "validation.html", report=report)
    page("search.html", "search.html")
    if open_access:  # made in the browser from the Parquet downloads, which only these have
        page("extract.html", "extract.html", extract_tables=page_tables(codebooks, tables))
    for table_name, table_pages in pages_by_table.items():
        for p in table_pages:
            page("variable.html", f"variables/{table_name}/{p['name']}.html", **p)
    index = json.dumps(search_index(codebooks, tables), ensure_ascii=False, sort_keys=True)
    files["static/search-index.js"] = f"window.COPROD_SEARCH = {index};\n".encode()
    static = project.templates / "static"
    for path in sorted(static.rglob("*")) if static.is_dir() else []:
        if path.is_file():
            files[f"static/{path.relative_to(static).as_posix()}"] = path.read_bytes()
    return files
