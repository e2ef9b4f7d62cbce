"""Each rule is written once: a Great Expectations expectation never restates a dbt test or
an enforced contract constraint on the same model and column(s), and the dbt sources' columns
are written from the raw contract (orchestration/contract.py), never by hand.

dbt owns row-level rules (not null, unique, grain, accepted values, ranges, data types): they
fail ``dbt build`` before anything is published. The gate (gx/expectations/*.json) owns what
dbt cannot see: change against the previous publication, distributions, freshness of outputs
against inputs and reconciliation across marts. This test reads the dbt manifest (data tests
with their attached model and column, model contracts) and every suite file.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from dbt_build import project_manifest_json

from orchestration import dbt_sources
from orchestration.contract import ENTITY_BY_TABLE, LOAD_COLUMN_DESCRIPTIONS
from orchestration.quality import SUITES_DIR, load_suites

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).parent / "dbt")

# GX expectation type -> the dbt rule kind it would restate.
RESTATES = {
    "expect_column_values_to_not_be_null": "not_null",
    "expect_column_values_to_be_unique": "unique",
    "expect_compound_columns_to_be_unique": "grain",
    "expect_select_column_values_to_be_unique_within_record": "grain",
    "expect_column_values_to_be_in_set": "accepted_values",
    "expect_column_values_to_be_between": "range",
    "expect_column_values_to_be_of_type": "data_type",
    "expect_column_values_to_be_in_type_list": "data_type",
}
# dbt generic test name -> rule kind (dbt core, dbt_utils and the project's own generic tests).
DBT_TEST_KINDS = {
    "not_null": "not_null",
    "unique": "unique",
    "accepted_values": "accepted_values",
    "accepted_range": "range",
    "unique_combination_of_columns": "grain",
    "required_columns_not_null": "not_null_columns",
}

Rule = tuple[str, str, frozenset[str]]  # (model, kind, columns)


@pytest.fixture(scope="module")
def dbt_rules() -> set[Rule]:
    return rules_of_manifest(project_manifest_json())


def rules_of_manifest(manifest: Mapping[str, Any]) -> set[Rule]:
    """Every (model, kind, columns) rule dbt enforces: generic data tests and contracts."""
    rules: set[Rule] = set()
    models = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        kind = DBT_TEST_KINDS.get(node["test_metadata"]["name"])
        attached = node.get("attached_node")
        if kind is None or attached not in models:
            continue
        kwargs = node["test_metadata"].get("kwargs", {})
        if kind == "not_null_columns":  # several columns' not_null in one test: one rule each
            for column in kwargs["column_names"]:
                rules.add((models[attached]["name"], "not_null", frozenset([column])))
            continue
        if kind == "grain":
            columns = frozenset(kwargs["combination_of_columns"])
        else:
            columns = frozenset([node.get("column_name") or kwargs["column_name"]])
        rules.add((models[attached]["name"], kind, columns))
        if kind == "unique":  # a unique column is a one-column grain
            rules.add((models[attached]["name"], "grain", columns))
    for model in models.values():
        if not (model.get("contract") or {}).get("enforced"):
            continue
        for column in model["columns"].values():
            if column.get("data_type"):
                rules.add((model["name"], "data_type", frozenset([column["name"]])))
            for constraint in column.get("constraints", []):
                if constraint["type"] in ("not_null", "unique"):
                    rules.add((model["name"], constraint["type"], frozenset([column["name"]])))
        for constraint in model.get("constraints", []):
            if constraint["type"] in ("unique", "primary_key"):
                rules.add((model["name"], "grain", frozenset(constraint["columns"])))
    return rules


def gx_rules(suites_dir: Path = SUITES_DIR) -> Iterator[tuple[Rule, str]]:
    """(rule, label) of every suite expectation that maps onto a dbt rule kind, and of the
    gate's own structure checks declared in meta.gate."""
    for decl in load_suites(suites_dir):
        if decl.profile is not None:
            continue  # profile expectations name DuckDB aggregates, not the mart's columns
        for e in decl.expectations:
            kind = RESTATES.get(e["type"])
            if kind is None:
                continue
            kwargs = e.get("kwargs", {})
            columns = kwargs.get("column_list") or [kwargs["column"]]
            yield (decl.mart, kind, frozenset(columns)), f"{decl.mart}: {e['type']}({json.dumps(kwargs)})"


def restatements(rules: set[Rule], suites_dir: Path = SUITES_DIR) -> list[str]:
    return [label for rule, label in gx_rules(suites_dir) if rule in rules]


def test_no_gx_expectation_restates_a_dbt_test_or_contract(dbt_rules: set[Rule]) -> None:
    found = restatements(dbt_rules)
    assert not found, (
        f"{len(found)} GX expectation(s) restate a dbt test or contract; keep the rule in dbt and remove it "
        "from the suite:\n" + "\n".join(found)
    )


def test_dbt_owns_the_grain_of_every_mart(dbt_rules: set[Rule]) -> None:
    # The gate no longer counts duplicate grain rows: dbt must test each mart's declared grain.
    untested = [
        f"{decl.mart}: {list(decl.grain)}"
        for decl in load_suites()
        if (decl.mart, "grain", frozenset(decl.grain)) not in dbt_rules
    ]
    assert not untested, "marts whose grain no dbt test checks:\n" + "\n".join(untested)


def test_a_not_null_test_of_several_columns_is_a_rule_per_column(dbt_rules: set[Rule]) -> None:
    # tests/generic/required_columns_not_null.sql on the events rollup names three columns:
    # a GX not-null expectation on any one of them restates it.
    for column in ("activity_date", "rollup_level", "events"):
        assert ("int_product__activity_daily", "not_null", frozenset([column])) in dbt_rules


def test_the_check_finds_a_restatement(dbt_rules: set[Rule], tmp_path: Path) -> None:
    # The shipped cx_nps_monthly suite plus the range dbt already tests (accepted_range -100..100).
    document = json.loads((SUITES_DIR / "cx_nps_monthly.json").read_text(encoding="utf-8"))
    document["expectations"].append(
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "nps", "min_value": -100, "max_value": 100}}
    )
    (tmp_path / "cx_nps_monthly.json").write_text(json.dumps(document), encoding="utf-8")
    assert restatements(dbt_rules, tmp_path) == [
        'cx_nps_monthly: expect_column_values_to_be_between({"column": "nps", "min_value": -100, "max_value": 100})'
    ]


# --------------------------------------------------------------------------- the raw contract


def test_dbt_sources_are_written_from_the_raw_contract() -> None:
    # The committed sources files are exactly what `python -m orchestration.dbt_sources --write` writes.
    assert dbt_sources.stale() == [], "run: python -m orchestration.dbt_sources --write"
    for source in dbt_sources.SOURCES:
        document = yaml.safe_load(dbt_sources.sources_path(source).read_text(encoding="utf-8"))
        for table in (t for s in document["sources"] for t in s["tables"]):
            entity = ENTITY_BY_TABLE[table["identifier"]]
            described = {c["name"]: c["description"] for c in table["columns"]}
            expected = {c.name: c.description for c in entity.columns} | LOAD_COLUMN_DESCRIPTIONS
            assert described == expected, entity.table
            # The one check of the loader's not-null guarantee per raw table names exactly the
            # contract's required columns (tests/generic/required_columns_not_null.sql).
            [check] = [t["required_columns_not_null"] for t in table["data_tests"] if "required_columns_not_null" in t]
            assert check["arguments"]["column_names"] == entity.required_columns, entity.table


def test_a_source_description_edited_by_hand_is_caught(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    shutil.copytree(dbt_sources.STAGING_DIR, staging)
    path = dbt_sources.sources_path("survey", staging)
    text = path.read_text(encoding="utf-8")
    edited = text.replace("description: Response identifier.", "description: The response.")
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    assert dbt_sources.stale(staging) == [path]
    # The source's own dbt settings (freshness, tests, meta) survive a rewrite.
    path.write_text(dbt_sources.render("survey", staging), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text
