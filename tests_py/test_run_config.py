"""Run config instead of dbt by hand: a selection's incremental models rebuilt from scratch
through the `refresh` job (load -> build -> gate -> publish), every other model built as usual."""

from __future__ import annotations

from pathlib import Path

import duckdb
from conftest import PublishedDemo, run_cxcs

# The run the publication serves (marts.publication keeps one row per mart and run).
LATEST_RUN = "select run_id from marts.publication order by published_at desc limit 1"
INCREMENTAL = ("int_product__activity_daily", "product_usage_daily", "cs_account_health_daily")


def latest_rebuilds(build_file: Path) -> dict[str, object]:
    """Model -> first day rewritten (None: every row) in the last dbt invocation of the build file."""
    with duckdb.connect(str(build_file), read_only=True) as conn:
        return dict(
            conn.execute(
                "select model_name, rebuilt_from from intermediate.incremental_rebuilds where invocation_id ="
                " (select invocation_id from intermediate.incremental_rebuilds order by recorded_at desc limit 1)"
            ).fetchall()
        )


def test_full_refresh_of_a_selection_rebuilds_it_and_publishes(published_demo: PublishedDemo, tmp_path: Path) -> None:
    landing, warehouse = published_demo.copy(tmp_path)
    published, build = warehouse / "cxcs.duckdb", warehouse / "build" / "cxcs.duckdb"
    with duckdb.connect(str(published), read_only=True) as conn:
        run_before = conn.execute(LATEST_RUN).fetchone()[0]
    # Nothing landed since the publication: a plain refresh would build nothing; a selection
    # full refresh is a code-side change and always builds.
    args = ("refresh", "--landing", str(landing), "--warehouse", str(warehouse))
    result = run_cxcs(*args, "--full-refresh-select", "product_usage_daily")
    # 2: published; the bad-rows demo's unreadable landing files are reported on every run.
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-3000:]
    assert "rebuilt from scratch in this build: product_usage_daily" in result.stdout
    rebuilt = latest_rebuilds(build)
    # The selected model wrote every row; its upstream rollup, not selected, ran incrementally;
    # the health mart rewrites every day when an upstream model rewrote every row
    # (macros/health/health_incremental.sql), as it would after a full --full-refresh.
    assert set(rebuilt) == set(INCREMENTAL), rebuilt
    assert rebuilt["product_usage_daily"] is None
    assert rebuilt["int_product__activity_daily"] is not None
    assert rebuilt["cs_account_health_daily"] is None
    with duckdb.connect(str(published), read_only=True) as conn:
        conn.execute(f"attach '{published_demo.warehouse / 'cxcs.duckdb'}' as before (read_only)")
        run_after = conn.execute(LATEST_RUN).fetchone()[0]
        # Rebuilt from scratch on the same raw data, the mart is the incremental one row for row.
        differ = conn.execute(
            "select (select count(*) from (select * from marts.product_usage_daily"
            " except all select * from before.marts.product_usage_daily)) +"
            " (select count(*) from (select * from before.marts.product_usage_daily"
            " except all select * from marts.product_usage_daily))"
        ).fetchone()[0]
    assert run_after != run_before and differ == 0

    # A selection that names no model is a clear error before anything is built or published.
    wrong = run_cxcs(*args, "--full-refresh-select", "no_such_model")
    assert wrong.returncode == 1, wrong.stdout[-3000:] + wrong.stderr[-3000:]
    assert "selects no dbt model" in wrong.stdout + wrong.stderr
    with duckdb.connect(str(published), read_only=True) as conn:
        assert conn.execute(LATEST_RUN).fetchone()[0] == run_after
