"""Write the dbt sources' column lists and descriptions from the raw contract.

``python -m orchestration.dbt_sources --write`` rewrites the ``columns`` of every contract
table in ``models/staging/<source>/_<source>__sources.yml``: the contract's columns in its
order, then the loader's bookkeeping columns, each with the contract's description. What
only dbt knows stays as written: source and table descriptions, freshness, ``loaded_at_field``,
and a column's data tests and meta. ``--check`` exits 1 when a file differs from what
``--write`` would write (tests_py/test_rules_once.py checks the same), so the contract and the
sources cannot drift apart again.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from orchestration.config import PROJECT_DIR
from orchestration.contract import ENTITY_BY_TABLE, LOAD_COLUMN_DESCRIPTIONS, LOAD_COLUMNS, Entity

STAGING_DIR = PROJECT_DIR / "models" / "staging"
SOURCES = ("billing", "survey", "product", "support")  # the contract's sources; `loader` is bookkeeping, not contract


def sources_path(source: str, staging_dir: Path = STAGING_DIR) -> Path:
    return staging_dir / source / f"_{source}__sources.yml"


def _yaml() -> YAML:
    yaml = YAML()  # round trip: comments, anchors and key order survive
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a description: a diff shows the sentence that changed
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _column(name: str, description: str, existing: CommentedMap | None) -> CommentedMap:
    """The column entry: name and description from the contract, any other key kept."""
    column = CommentedMap([("name", name), ("description", description)])
    for key, value in (existing or {}).items():
        if key not in column:
            column[key] = value
    return column


def _columns(entity: Entity, existing: Sequence[Any], shared: dict[str, CommentedMap]) -> CommentedSeq:
    by_name = {c["name"]: c for c in existing}
    columns = CommentedSeq(_column(c.name, c.description, by_name.get(c.name)) for c in entity.columns)
    for name, _ in LOAD_COLUMNS:
        # One entry per bookkeeping column, shared by every table of the file (a YAML anchor).
        if name not in shared:
            shared[name] = _column(name, LOAD_COLUMN_DESCRIPTIONS[name], by_name.get(name))
            shared[name].yaml_set_anchor(name.lstrip("_"), always_dump=True)
        columns.append(shared[name])
    return columns


def render(source: str, staging_dir: Path = STAGING_DIR) -> str:
    """The sources file of ``source`` as ``--write`` writes it."""
    yaml = _yaml()
    document = yaml.load(sources_path(source, staging_dir).read_text(encoding="utf-8"))
    shared: dict[str, CommentedMap] = {}
    for dbt_source in document["sources"]:
        for table in dbt_source["tables"]:
            entity = ENTITY_BY_TABLE.get(table.get("identifier") or f"{dbt_source['name']}_{table['name']}")
            if entity is None:
                raise ValueError(f"{source}: table {table['name']} is not in the raw contract")
            table["columns"] = _columns(entity, table.get("columns") or [], shared)
    out = io.StringIO()
    yaml.dump(document, out)
    # A blank line between tables, as written by hand (replacing a column list drops it).
    return re.sub(r"\n+(      - name: )", r"\n\n\1", out.getvalue()).replace("tables:\n\n", "tables:\n")


def stale(staging_dir: Path = STAGING_DIR) -> list[Path]:
    """Sources files that differ from what ``--write`` writes."""
    return [
        sources_path(s, staging_dir)
        for s in SOURCES
        if sources_path(s, staging_dir).read_text(encoding="utf-8") != render(s, staging_dir)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the sources files from the contract")
    mode.add_argument("--check", action="store_true", help="exit 1 when a sources file differs from the contract")
    args = parser.parse_args(argv)
    if args.write:
        for source in SOURCES:
            sources_path(source).write_text(render(source), encoding="utf-8")
        return 0
    differing = stale()
    for path in differing:
        print(
            f"{path.relative_to(PROJECT_DIR)} differs from the raw contract: "
            "run python -m orchestration.dbt_sources --write",
            file=sys.stderr,
        )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
