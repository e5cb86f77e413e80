"""DDI-Codebook 2.5 XML of the harmonized tables, for archives (Sikt, the Danish National
Archives, CESSDA): the study description, one ``fileDscr`` per table and one ``var`` per
harmonized variable, with labels in every language (``xml:lang``), the question text of every
source in its own language, and categories with their frequencies, missing ones flagged. It
validates against both official XML Schemas of DDI-Codebook 2.5 (2012-01-17 and its 2014
revision; tests/test_standards.py): an element either allows only once is written once."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import polars as pl

from .codebook import Codebooks, Labels
from .describe import lineage, source_design
from .disclosure.tables import TablePlan
from .site.pages import country_names

NAMESPACE = "ddi:codebook:2_5"
XHTML = "http://www.w3.org/1999/xhtml"  # DDI's text elements may hold XHTML paragraphs
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.replace("_", "-") if k != "lang" else XML_LANG: v
                                          for k, v in attrib.items()})
    if text is not None:
        element.text = text
    return element


def _labels(parent: ET.Element, tag: str, labels: Labels, languages: list[str]) -> None:
    for lang in languages:
        if text := labels.root.get(lang):
            _sub(parent, tag, text, lang=lang)


def _method(study: ET.Element, codebooks: Codebooks, designs: dict[str, dict]) -> None:
    """``method``: per source, its sampling frame and sample design (``sampProc``, by language,
    with the gross sample and the responses) and its response rate (``respRate``), where its
    codebook states them."""
    procedures, rates = [], []
    for source_id, design in designs.items():
        numbers = (f"{design['issued']:,} units issued, {design['n']:,} responses"
                   if "issued" in design else f"{design['n']:,} responses")
        languages = sorted({*design.get("sampling_frame", {}), *design.get("sample", {})},
                           key=lambda lang: (lang not in codebooks.package.languages, lang))
        for lang in languages:
            parts = [text for key in ("sampling_frame", "sample")
                     if (text := design.get(key, {}).get(lang))]
            procedures.append((f"{source_id}: {'; '.join(parts)} ({numbers})", lang))
        if not languages and "issued" in design:
            procedures.append((f"{source_id}: {numbers}", None))
        if "response_rate" in design or "response_rate_declared" in design:
            text = (f"{source_id}: {design['response_rate']:.1f} % ({numbers})"
                    if "response_rate" in design else f"{source_id}:")
            if "response_rate_declared" in design:
                text += (f"; stated by the data producer: "
                         f"{design['response_rate_declared']:.1f} %")
            rates.append(text)
    if not procedures and not rates:
        return
    method = _sub(study, "method")
    if procedures:
        collection = _sub(method, "dataColl")
        for text, lang in procedures:
            _sub(collection, "sampProc", text, **({"lang": lang} if lang else {}))
    if rates:
        analysis = _sub(method, "anlyInfo")
        for text in rates:
            _sub(analysis, "respRate", text)


def ddi_bytes(codebooks: Codebooks, tables: dict[str, pl.DataFrame],
              plans: dict[str, TablePlan]) -> bytes:
    """The DDI file. A category's frequency is the count over every source of the table,
    published only where none of its sources' counts is suppressed (coprod.disclosure): a
    pooled count would otherwise give the suppressed ones away."""
    package = codebooks.package
    root = ET.Element("codeBook", {"version": "2.5", "ID": package.name,
                                   XML_LANG: package.languages[0],
                                   "xmlns": NAMESPACE, "xmlns:xhtml": XHTML})
    doc = _sub(_sub(_sub(root, "docDscr"), "citation"), "titlStmt")
    _sub(doc, "titl", f"Codebook of {package.title}")

    study = _sub(root, "stdyDscr")
    citation = _sub(study, "citation")
    titles = _sub(citation, "titlStmt")
    _sub(titles, "titl", package.title)
    _sub(titles, "IDNo", package.name)
    responsible = _sub(citation, "rspStmt")
    for contributor in package.contributors:
        _sub(responsible, "AuthEnty", contributor.title)
    _sub(_sub(citation, "prodStmt"), "producer", package.contributors[0].title)
    _sub(_sub(citation, "verStmt"), "version", package.version)
    _sub(citation, "biblCit", package.citation)
    info = _sub(study, "stdyInfo")
    _sub(info, "abstract", f"{package.description}\n\n{package.synthetic_notice}")
    summary = _sub(info, "sumDscr")
    for wave in sorted({s.wave for s in codebooks.sources.values()}):
        _sub(summary, "timePrd", str(wave), event="single")
    for country in sorted({s.country for s in codebooks.sources.values()}):
        _sub(summary, "nation", country_names(codebooks).get(country, country),
             abbr=country.upper())
    designs = source_design(codebooks, tables)
    # The population of each source (its universe), before dataKind, marked with its source
    for source_id, design in designs.items():
        for lang, text in design.get("population", {}).items():
            _sub(summary, "universe", f"{source_id}: {text}", lang=lang, clusion="I")
    _sub(summary, "dataKind", "synthetic demo data" if package.synthetic else "survey data")
    _method(study, codebooks, designs)
    # One `conditions` (the 2012 schema allows no more): every licence, each with its scope
    if package.licenses:
        _sub(_sub(_sub(study, "dataAccs"), "useStmt"), "conditions", "; ".join(
            f"{lic.scope}: {lic.title} ({lic.name})" for lic in package.licenses))

    for index, (name, frame) in enumerate(tables.items(), start=1):
        spec = codebooks.tables[name]
        text = _sub(_sub(root, "fileDscr", ID=f"F{index}"), "fileTxt")
        _sub(text, "fileName", f"{name}.parquet")
        # fileCont, once and before dimensns: the description in every language, a paragraph
        # each, marked with its language
        if any(spec.description.root.get(lang) for lang in package.languages):
            _labels(_sub(text, "fileCont"), "xhtml:p", spec.description, package.languages)
        dimensions = _sub(text, "dimensns")
        _sub(dimensions, "caseQnty", str(frame.height))
        # the variables described below (a numeric variable's <name>_missing column, the reason
        # its value is missing, is a column of the file but has no `var` of its own)
        _sub(dimensions, "varQnty", str(len(spec.variables)))

    data = _sub(root, "dataDscr")
    missing = package.missing
    for index, (name, frame) in enumerate(tables.items(), start=1):
        spec = codebooks.tables[name]
        rules = lineage(codebooks, name)
        for var_name, var in spec.variables.items():
            element = _sub(data, "var", ID=f"V_{name}_{var_name}", name=var_name,
                           files=f"F{index}")
            _labels(element, "labl", var.label, package.languages)
            for source_id, rule in sorted(rules[var_name].items()):
                if rule["question"]:
                    question = _sub(element, "qstn", ID=f"Q_{name}_{var_name}_{source_id}")
                    _sub(question, "qstnLit", rule["question"],
                         lang=codebooks.sources[source_id].language)
            if var.universe:
                _labels(element, "universe", var.universe, package.languages)
            if var.type == "categorical":
                counts = dict(frame[var_name].cast(pl.String).value_counts().iter_rows())
                hidden = {k[2] for k in plans[name].hidden
                          if k[0] == f"{name}.{var_name}"}
                for category, is_missing in [(c, False) for c in var.categories] + [
                        (m, True) for m in missing]:
                    catgry = _sub(element, "catgry", **({"missing": "Y"} if is_missing else {}))
                    _sub(catgry, "catValu", str(category.code))
                    _labels(catgry, "labl", category.label, package.languages)
                    if category.value not in hidden:  # a suppressed count is not published
                        _sub(catgry, "catStat", str(counts.get(category.value, 0)), type="freq")
            _sub(element, "varFormat", type="numeric" if var.type != "string" else "character")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
