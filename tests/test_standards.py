"""The published metadata, checked by the tools that read them: the DDI codebook against both
official DDI-Codebook 2.5 XML Schemas (tests/schemas/ddi-codebook-2.5/, with lxml and, where
installed, xmllint), CITATION.cff with ``cffconvert --validate``, and the home page's JSON-LD as
a schema.org Dataset (every type and property a schema.org term, as rdflib knows them; the
properties search engines read; no relative URL)."""

from __future__ import annotations

import json
import shutil
import subprocess
import venv
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from click.testing import CliRunner
from lxml import etree

from conftest import PACKAGE_FILES, PACKAGE_ROOT, REPO, copy_package
from coprod.cli import main

SCHEMAS = REPO / "tests" / "schemas" / "ddi-codebook-2.5"
RELEASES = ("2012-01-17", "2014-01-28")  # DDI-Codebook 2.5 and its 2014 revision
DDI = "{ddi:codebook:2_5}"
XHTML = "{http://www.w3.org/1999/xhtml}"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SDO = "https://schema.org/"

# cffconvert 2.0.0, the current release, needs jsonschema<4, which the test environment cannot
# have beside frictionless (jsonschema>=4): it runs from a virtual environment of its own, with
# exactly these versions (pip install --no-deps).
CFFCONVERT = ("cffconvert==2.0.0", "attrs==26.1.0", "certifi==2026.10.19.post1",
              "charset-normalizer==3.5.3", "click==8.5.1", "docopt==0.6.2", "idna==3.20",
              "jsonschema==3.2.0", "pykwalify==1.8.0", "pyrsistent==0.20.0",
              "python-dateutil==4.0.0", "requests==2.34.2", "ruamel.yaml==0.19.1",
              "six==1.17.0", "tzdata==2026.6", "urllib3==2.8.0")


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo package, built: its site as published."""
    names = PACKAGE_FILES + (("CITATION.cff",) if (PACKAGE_ROOT / "CITATION.cff").is_file()
                             else ())
    root = copy_package(tmp_path_factory.mktemp("standards") / "demo", names)
    result = _run(root, "build")
    assert result.exit_code == 0, result.output
    return root / "build" / "site"


# --- DDI-Codebook 2.5 -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schemas() -> dict[str, etree.XMLSchema]:
    parser = etree.XMLParser(no_network=True)  # every import is a file beside codebook.xsd
    return {release: etree.XMLSchema(etree.parse(str(SCHEMAS / release / "codebook.xsd"),
                                                 parser))
            for release in RELEASES}


@pytest.mark.parametrize("release", RELEASES)
def test_ddi_validates_against_the_official_schema(demo_site: Path, schemas: dict,
                                                   release: str) -> None:
    document = etree.parse(str(demo_site / "downloads" / "codebook-ddi.xml"))
    schema = schemas[release]
    assert schema.validate(document), "\n".join(
        f"line {e.line}: {e.message}" for e in schema.error_log)


def test_a_small_package_s_ddi_validates_too(tiny: Path, schemas: dict) -> None:
    result = _run(tiny, "build")
    assert result.exit_code == 0, result.output
    document = etree.parse(str(tiny / "build" / "site" / "downloads" / "codebook-ddi.xml"))
    for release, schema in schemas.items():
        assert schema.validate(document), (release, str(schema.error_log))


@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint is not installed "
                    "(Debian: libxml2-utils)")
@pytest.mark.parametrize("release", RELEASES)
def test_ddi_validates_with_xmllint(demo_site: Path, release: str) -> None:
    result = subprocess.run(["xmllint", "--noout", "--nonet", "--schema",
                             str(SCHEMAS / release / "codebook.xsd"),
                             str(demo_site / "downloads" / "codebook-ddi.xml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.rstrip().endswith("validates")


def test_ddi_keeps_every_language_and_counts_its_variables(demo_site: Path) -> None:
    root = etree.parse(str(demo_site / "downloads" / "codebook-ddi.xml")).getroot()
    languages = yaml.safe_load((demo_site.parents[1] / "schemas" / "package.yaml").read_text(
        encoding="utf-8"))["languages"]
    conditions = root.findall(f"{DDI}stdyDscr/{DDI}dataAccs/{DDI}useStmt/{DDI}conditions")
    assert len(conditions) == 1 and "data: " in conditions[0].text
    files = root.findall(f"{DDI}fileDscr")
    assert files
    for file in files:
        (text,) = file.findall(f"{DDI}fileTxt")
        children = [etree.QName(c).localname for c in text]
        assert children == ["fileName", "fileCont", "dimensns"]
        paragraphs = text.find(f"{DDI}fileCont").findall(f"{XHTML}p")
        assert [p.get(LANG) for p in paragraphs] == languages
        assert all(p.text for p in paragraphs)
        described = root.findall(f"{DDI}dataDscr/{DDI}var[@files='{file.get('ID')}']")
        assert int(text.find(f"{DDI}dimensns/{DDI}varQnty").text) == len(described) > 0
        for var in described:
            assert [label.get(LANG) for label in var.findall(f"{DDI}labl")] == languages


# --- CITATION.cff -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cffconvert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = tmp_path_factory.mktemp("cffconvert") / "venv"
    venv.create(env, with_pip=True)
    installed = subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", "--quiet",
                                "--disable-pip-version-check", "--no-deps", *CFFCONVERT],
                               capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-3000:]
    return env / "bin" / "cffconvert"


def _validate_cff(cffconvert: Path, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(cffconvert), "--validate", "-i", str(path)], capture_output=True,
                          text=True)


def test_citation_cff_passes_cffconvert_validate(cffconvert: Path) -> None:
    result = _validate_cff(cffconvert, REPO / "CITATION.cff")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "valid" in result.stdout


def test_cffconvert_rejects_a_reference_without_authors(cffconvert: Path,
                                                        tmp_path: Path) -> None:
    """The check is a real one: the CITATION.cff of release 0.3.0 failed it."""
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    del citation["references"][0]["authors"]
    (tmp_path / "CITATION.cff").write_text(yaml.safe_dump(citation), encoding="utf-8")
    result = _validate_cff(cffconvert, tmp_path / "CITATION.cff")
    assert result.returncode != 0 and "'authors' is a required property" in result.stderr


def test_bump_keeps_citation_cff_valid(cffconvert: Path, tmp_path: Path) -> None:
    root = copy_package(tmp_path / "package", ("schemas",), origin=REPO)
    shutil.copy(REPO / "CITATION.cff", root / "CITATION.cff")
    before = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))["version"]
    result = _run(root, "bump", "patch")
    assert result.exit_code == 0, result.output
    after = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    major, minor, patch = (int(x) for x in str(before).split("."))
    assert after["version"] == f"{major}.{minor}.{patch + 1}"
    assert after["references"][1]["year"] == 2021  # only the top-level version line changed
    check = _validate_cff(cffconvert, root / "CITATION.cff")
    assert check.returncode == 0, (check.stdout + check.stderr)[-3000:]


def test_citation_cff_is_among_the_downloads(demo_site: Path) -> None:
    if not (PACKAGE_ROOT / "CITATION.cff").is_file():
        pytest.skip("the package has no CITATION.cff")
    assert (demo_site / "downloads" / "CITATION.cff").read_bytes() == (
        PACKAGE_ROOT / "CITATION.cff").read_bytes()
    assert 'href="downloads/CITATION.cff"' in (demo_site / "downloads.html").read_text(
        encoding="utf-8")
    assert 'href="downloads/CITATION.cff"' in (demo_site / "index.html").read_text(
        encoding="utf-8")
    (entry,) = [d for d in _json_ld(demo_site)["distribution"] if d["name"] == "CITATION.cff"]
    assert entry["encodingFormat"] == "application/x-yaml"


# --- schema.org JSON-LD -----------------------------------------------------------------------


def _json_ld(site: Path) -> dict:
    html = (site / "index.html").read_text(encoding="utf-8")
    (block,) = html.split('<script type="application/ld+json">')[1:]
    return json.loads(block.split("</script>")[0])


def _strings(value: object, key: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, k)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, key)]
    return [(key, value)] if isinstance(value, str) else []


def _check_schema_org(data: dict) -> None:
    """A schema.org Dataset as far as a tool can tell without the network: parsed as JSON-LD
    by rdflib (the schema.org context is the vocabulary https://schema.org/; rdflib cannot
    fetch it here), every type and property is a term of schema.org (rdflib's SDO namespace),
    and the Dataset has the properties search engines read (Google's Dataset guide: name and
    description required; the rest recommended)."""
    from rdflib import RDF, Graph, URIRef
    from rdflib.namespace import SDO as VOCABULARY

    assert data["@context"] in ("https://schema.org/", "https://schema.org", "http://schema.org/")
    graph = Graph().parse(data=json.dumps({**data, "@context": {"@vocab": SDO}}),
                          format="json-ld")
    unknown = sorted({str(p) for p in graph.predicates() if p != RDF.type}
                     | {str(t) for t in graph.objects(None, RDF.type)})
    unknown = [term for term in unknown if URIRef(term) not in VOCABULARY]
    assert unknown == [], f"not schema.org terms: {unknown}"
    (dataset,) = graph.subjects(RDF.type, URIRef(SDO + "Dataset"))
    for name in ("name", "description", "license", "creator", "version",
                 "isAccessibleForFree", "temporalCoverage", "spatialCoverage",
                 "variableMeasured", "distribution"):
        assert graph.value(dataset, URIRef(SDO + name)) is not None, name
    assert 50 <= len(data["description"]) <= 5000  # Google's Dataset guide
    downloads = list(graph.objects(dataset, URIRef(SDO + "distribution")))
    assert downloads
    for download in downloads:
        assert (download, RDF.type, URIRef(SDO + "DataDownload")) in graph
        assert graph.value(download, URIRef(SDO + "encodingFormat")) is not None
    # URLs: absolute, or not there at all
    for key, value in _strings(data):
        if key in ("@id", "url", "contentUrl", "license", "sameAs"):
            parts = urlsplit(value)
            assert parts.scheme in ("http", "https") and parts.netloc, (key, value)


RDFLIB_WARNING = "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"  # rdflib's own


@pytest.mark.filterwarnings(RDFLIB_WARNING)
def test_json_ld_without_homepage_has_no_relative_url(demo_site: Path) -> None:
    data = _json_ld(demo_site)
    _check_schema_org(data)
    package = yaml.safe_load((demo_site.parents[1] / "schemas" / "package.yaml").read_text(
        encoding="utf-8"))
    if package.get("homepage"):
        pytest.skip("the package declares a homepage")
    assert "url" not in data
    assert all("contentUrl" not in d for d in data["distribution"])
    assert not [v for _, v in _strings(data) if v.startswith("downloads/")]
    listed = {d["name"] for d in data["distribution"]}
    assert listed == {p.name for p in (demo_site / "downloads").iterdir()}


@pytest.mark.filterwarnings(RDFLIB_WARNING)
def test_json_ld_with_homepage_has_absolute_download_urls(tiny: Path) -> None:
    path = tiny / "schemas" / "package.yaml"
    package = yaml.safe_load(path.read_text(encoding="utf-8"))
    package["homepage"] = "https://example.org/coproduction"  # no trailing slash
    package["description"] = "A tiny package for tests, described at the length search engines ask."
    package["licenses"][0]["path"] = "LICENSE-DATA.md"  # a path in the repository, not a URL
    path.write_text(yaml.safe_dump(package, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    result = _run(tiny, "build")
    assert result.exit_code == 0, result.output
    site = tiny / "build" / "site"
    data = _json_ld(site)
    _check_schema_org(data)
    assert data["url"] == "https://example.org/coproduction/"
    assert data["license"] == {"@type": "CreativeWork", "name": package["licenses"][0]["title"],
                               "identifier": package["licenses"][0]["name"]}
    urls = {d["contentUrl"] for d in data["distribution"]}
    assert urls == {f"https://example.org/coproduction/downloads/{p.name}"
                    for p in (site / "downloads").iterdir()}
