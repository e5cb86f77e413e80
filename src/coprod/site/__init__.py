"""The documentation site, the last stage: made from the published tables and the codebooks,
under the same disclosure plan.

- :mod:`.pages`: what a variable's page shows (categories, missing reasons, lineage, charts)
- :mod:`.summaries`: the summary tables, with their charts and bases
- :mod:`.charts`: the SVG charts
- :mod:`.search`: the search index
- :mod:`.render`: everything through the templates (``site_templates/``), with the downloads
"""
