"""The docs keep the shape the project promises (issue [2/7] part 5): a README a newcomer reads
in one sitting, and a DECISIONLOG whose every entry says which dbt models it touches."""

from __future__ import annotations

import re

from orchestration.config import PROJECT_DIR


def test_every_decision_names_the_models_it_touches() -> None:
    text = (PROJECT_DIR / "DECISIONLOG.md").read_text(encoding="utf-8")
    entries = re.split(r"^### ", text, flags=re.M)[1:]
    assert len(entries) > 50
    # The line under each heading: "*Models: <models, or none>. ...*".
    missing = [entry.splitlines()[0] for entry in entries if not entry.splitlines()[1].startswith("*Models: ")]
    assert missing == []


def test_readme_stays_short() -> None:
    assert len((PROJECT_DIR / "README.md").read_text(encoding="utf-8").splitlines()) <= 300
