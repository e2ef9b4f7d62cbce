"""The CX/CS scorecard: one self-contained HTML page built from the published warehouse.

``build_scorecard(published, out)`` opens the published DuckDB file read-only, reads the
marts (no number is computed here: every value drawn is a published mart value), draws
inline SVG charts (``orchestration.scorecard.charts``) and writes one HTML file with inline
CSS and no script, so it opens from disk with no network. Every section carries its
definition one click away (a ``<details>`` holding the dbt descriptions of the mart and
columns it draws, read from the dbt manifest) and the numbers behind the chart. A section
whose mart is not published in this warehouse says so instead of failing.

The Dagster asset ``scorecard`` (orchestration/definitions.py) rebuilds it after every
publication, to ``<warehouse>/scorecard.html``.

Modules: ``page`` (``build_scorecard``, headline numbers, CSS), ``sections`` (one card per
chart, and the page order), ``sections_voc`` (comment themes, key drivers), ``sections_models``
(retention curves, CLV distribution, churn-model evaluation), ``warehouse`` (reading marts and
dbt docs), ``charts`` (inline SVG).
"""

from orchestration.scorecard.page import SCORECARD_FILE_NAME, Scorecard, SectionResult, build_scorecard
from orchestration.scorecard.sections import SECTIONS

__all__ = ["SCORECARD_FILE_NAME", "SECTIONS", "Scorecard", "SectionResult", "build_scorecard"]
