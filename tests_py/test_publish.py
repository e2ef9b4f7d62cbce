"""Write, audit, publish: real DuckDB files, real `cxcs refresh` runs (loaders, dbt, Dagster, GX).

* publish records ``marts.publication`` and swaps the file atomically; an open reader keeps
  its file, a new reader sees the new one;
* ``begin_build`` continues after a publication and otherwise starts from the last one;
* a reader process querying the published marts while two refreshes run sees no error and
  one publication per query;
* a refresh killed with SIGKILL in the middle of dbt leaves the publication untouched and the
  next refresh succeeds with a consistent load manifest;
* the bad rows of the ``--bad-rows`` demo never reach a mart.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
from conftest import PublishedDemo, held_by_another_process, raw_rows_by_batch, run_cxcs, sha256

from orchestration.contract import ENTITIES, ENTITY_BY_TABLE
from orchestration.publish import (
    BuildLocked,
    MartChecks,
    begin_build,
    publish,
    read_state,
    release_build_lock,
    snapshot_path,
)
from scripts.compare_marts import except_all_counts

# --------------------------------------------------------------------------- publish, unit


def make_marts(path: Path, rows_a: int, rows_b: int) -> None:
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("create or replace table marts.a as select range as id from range(?)", [rows_a])
        conn.execute("create or replace table marts.b as select range as id from range(?)", [rows_b])


def test_publish_records_the_publication_and_swaps_atomically(tmp_path: Path) -> None:
    build = tmp_path / "build" / "cxcs.duckdb"
    published = tmp_path / "cxcs.duckdb"
    build.parent.mkdir()
    make_marts(build, 3, 2)
    first = publish(build, published, "r1", {"a": MartChecks(dbt_tests_passed=4, gx_expectations_passed=5, warnings=1)})
    # The private snapshot is the build as published; the published file is its public copy.
    assert sha256(snapshot_path(build)) == sha256(build)
    assert first.row_counts == {"a": 3, "b": 2}
    assert read_state(build)["status"] == "published" and read_state(build)["run_id"] == "r1"

    reader = duckdb.connect(str(published), read_only=True)  # a BI tool with the file open
    try:
        rows = reader.execute(
            "select run_id, mart, row_count, dbt_tests_passed, gx_expectations_passed, warnings "
            "from marts.publication order by mart"
        ).fetchall()
        assert rows == [("r1", "a", 3, 4, 5, 1), ("r1", "b", 2, 0, 0, 0)]

        make_marts(build, 5, 2)
        second = publish(build, published, "r2")
        assert second.row_counts == {"a": 5, "b": 2}
        # The open reader still reads the file it opened (the rename does not touch it) ...
        assert reader.execute("select count(*) from marts.a").fetchone()[0] == 3
        assert reader.execute("select distinct run_id from marts.publication").fetchall() == [("r1",)]
    finally:
        reader.close()
    # ... and the next open sees the new publication, with the history of publications.
    with duckdb.connect(str(published), read_only=True) as conn:
        assert conn.execute("select count(*) from marts.a").fetchone()[0] == 5
        assert conn.execute("select run_id, count(*) from marts.publication group by 1 order by 1").fetchall() == [
            ("r1", 2),
            ("r2", 2),
        ]
    assert not list(tmp_path.glob(".*.tmp")) and not list(tmp_path.glob(".publishing-*"))
    with pytest.raises(ValueError, match="must share a file name"):
        publish(build, tmp_path / "other.duckdb")


def test_begin_build_continues_after_a_publication_else_starts_from_it(tmp_path: Path) -> None:
    build = tmp_path / "wh" / "build" / "cxcs.duckdb"
    published = tmp_path / "wh" / "cxcs.duckdb"
    try:
        assert begin_build(build, published, "run1") == "new"
        assert read_state(build) == {**read_state(build), "status": "building", "run_id": "run1"}
        make_marts(build, 3, 2)
        publish(build, published, "run1")

        assert begin_build(build, published, "run2") == "continued"
        assert sha256(build) == sha256(snapshot_path(build))
        make_marts(build, 7, 7)  # run2 writes, then dies before publishing (a stray WAL too)
        build.with_name("cxcs.duckdb.wal").write_bytes(b"half-written log of run2")
        assert read_state(build)["status"] == "building"

        said: list[str] = []
        assert begin_build(build, published, "run3", said.append) == "restored"
        assert sha256(build) == sha256(snapshot_path(build))  # run2's partial build is gone, with its WAL
        assert not build.with_name("cxcs.duckdb.wal").exists()
        assert "previous run (run2) did not publish" in said[0]

        # Without the snapshot, the published file cannot restore a build (it holds no raw
        # data): a dirty build starts empty, as when nothing was published yet.
        snapshot_path(build).unlink()
        assert begin_build(build, published, "run4") == "reset"
        assert not build.exists()
    finally:
        release_build_lock()


def test_one_refresh_per_warehouse_at_a_time(tmp_path: Path) -> None:
    build = tmp_path / "wh" / "build" / "cxcs.duckdb"
    published = build.parent.parent / "cxcs.duckdb"
    take_lock = f"""
        from pathlib import Path
        from orchestration.publish import begin_build
        begin_build(Path({str(build)!r}), Path({str(published)!r}), "other")
    """
    with held_by_another_process(take_lock), pytest.raises(BuildLocked, match="another refresh is running"):
        begin_build(build, published, "mine")
    try:  # the OS drops the lock of a dead process
        assert begin_build(build, published, "mine") in ("new", "reset")
    finally:
        release_build_lock()


# --------------------------------------------------------------------------- helpers for real refreshes


def add_responses(landing: Path, tag: str, count: int = 3) -> list[str]:
    """Write a new survey responses file: copies of delivered in-app-style responses with new ids."""
    folder = landing / "survey" / "responses"
    source = sorted(p for p in folder.glob("responses_*.csv"))[-1]
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        rows = [row for row in reader][:count]
    assert len(rows) == count
    ids = []
    for i, row in enumerate(rows):
        row["response_id"] = f"resp_{tag}_{i}"
        row["invitation_id"] = ""  # in-app: counted in the scores, not in response rates
        ids.append(row["response_id"])
    with (folder / f"responses_{tag}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return ids


def marts_in(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        t
        for (t,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_name <> 'publication' order by 1"
        ).fetchall()
    ]


READER = textwrap.dedent('''
    """Reader process: open the published file read-only, query every mart, close; repeat."""
    import json, sys, time
    from pathlib import Path
    import duckdb

    published, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    iterations, errors, mismatches, runs = 0, [], [], []
    while not stop.exists():
        try:
            with duckdb.connect(str(published), read_only=True) as conn:
                latest = conn.execute(
                    "select run_id, mart, row_count from marts.publication where run_id = "
                    "(select run_id from marts.publication order by published_at desc limit 1)").fetchall()
                run_id = latest[0][0]
                for _, mart, expected in latest:
                    actual = conn.execute(f'select count(*) from marts."{mart}"').fetchone()[0]
                    if actual != expected:
                        mismatches.append([run_id, mart, expected, actual])
            if not runs or runs[-1] != run_id:
                runs.append(run_id)
            iterations += 1
        except Exception as exc:  # any error is a failure of the design
            errors.append(f"{type(exc).__name__}: {exc}")
        # A tenth of a second between reads: a swap is one rename, so reading more often finds
        # nothing more, and a busy reader only slows the refreshes it watches (two cores).
        time.sleep(0.1)
    out.write_text(json.dumps({"iterations": iterations, "errors": errors[:20], "error_count": len(errors),
                               "mismatches": mismatches[:20], "runs": runs}))
''')


def test_readers_see_one_publication_while_two_refreshes_run(published_demo: PublishedDemo, tmp_path: Path) -> None:
    landing, warehouse = published_demo.copy(tmp_path)
    published = warehouse / "cxcs.duckdb"
    with duckdb.connect(str(published), read_only=True) as conn:
        responses_before = conn.execute("select count(*) from marts.fct_survey_responses").fetchone()[0]
    script, stop, out = tmp_path / "reader.py", tmp_path / "stop", tmp_path / "reader.json"
    script.write_text(READER)
    reader = subprocess.Popen([sys.executable, str(script), str(published), str(stop), str(out)])
    try:
        # Two refreshes: the reader sees the fixture's publication swapped for a new one, and that
        # one for the next (a publication replacing a publication made while it read).
        for k in range(2):
            add_responses(landing, f"refresh{k}")
            result = run_cxcs("refresh", "--landing", str(landing), "--warehouse", str(warehouse))
            # 2: published; the bad-rows demo's unreadable files, still in the landing, are listed again.
            assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-3000:]
    finally:
        stop.touch()
        reader.wait(timeout=60)
    seen = json.loads(out.read_text())
    assert seen["error_count"] == 0, seen["errors"]
    assert seen["mismatches"] == [], seen["mismatches"]
    with duckdb.connect(str(published), read_only=True) as conn:
        runs = [
            r
            for (r,) in conn.execute(
                "select run_id from marts.publication group by 1 order by min(published_at)"
            ).fetchall()
        ]
        responses_after = conn.execute("select count(*) from marts.fct_survey_responses").fetchone()[0]
    assert len(runs) == 3  # the fixture's publication and two more
    assert responses_after == responses_before + 6  # three new responses per refresh
    # The reader saw publications in order, from the first to the last, never a mix.
    assert seen["runs"][0] == runs[0] and seen["runs"][-1] == runs[-1]
    assert seen["runs"] == [r for r in runs if r in seen["runs"]]
    assert seen["iterations"] > 50


def test_sigkill_in_the_middle_of_dbt(published_demo: PublishedDemo, tmp_path: Path) -> None:
    landing, warehouse = published_demo.copy(tmp_path)
    published = warehouse / "cxcs.duckdb"
    before = sha256(published)
    new_ids = add_responses(landing, "killed")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "refresh",
            "--landing",
            str(landing),
            "--warehouse",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    seen: list[str] = []
    dbt_lines = 0
    try:
        for line in proc.stdout:
            seen.append(line)
            if re.search(r"\d+ of \d+ (START|OK)", line):
                dbt_lines += 1
                if dbt_lines >= 20:  # well inside dbt's build: models written, more to come
                    break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its dbt child, no cleanup of any kind
        proc.wait()
    assert dbt_lines >= 20, "".join(seen)[-3000:]
    assert "[publish]" not in "".join(seen)
    assert sha256(published) == before
    build = warehouse / "build" / "cxcs.duckdb"
    assert read_state(build)["status"] == "building"

    result = run_cxcs("refresh", "--landing", str(landing), "--warehouse", str(warehouse))
    # 2: published; the bad-rows demo's unreadable files, still in the landing, are listed again.
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-3000:]
    assert "starting again from the last publication" in result.stdout
    with duckdb.connect(str(build), read_only=True) as conn:  # raw is private: it is in the build file
        # Every file marked loaded has all its rows, exactly once.
        for entity in ENTITIES:
            broken = conn.execute(
                f"""
                select m.file_path, m.rows_loaded, count(r._batch_id)
                from raw.load_manifest as m
                left join raw.{entity.table} as r on r._batch_id = m.batch_id
                where m.entity = ? and m.status = 'loaded'
                group by 1, 2 having m.rows_loaded <> count(r._batch_id)""",
                [entity.table],
            ).fetchall()
            assert broken == [], (entity.table, broken)
        assert (
            conn.execute(
                "select count(*) from raw.load_manifest where file_path like '%responses_killed.csv'"
            ).fetchone()[0]
            == 1
        )
    with duckdb.connect(str(published), read_only=True) as conn:
        published_ids = {
            r
            for (r,) in conn.execute(
                "select response_id from marts.fct_survey_responses where response_id like 'resp_killed_%'"
            ).fetchall()
        }
    assert published_ids == set(new_ids)


# --------------------------------------------------------------------------- bad rows never reach a mart


def without_rows(path: Path, row_numbers: set[int], line_numbers: set[int]) -> bytes:
    """The file's bytes without the given data records (CSV, Parquet) or physical lines (JSON Lines)."""
    name = path.name
    if name.endswith(".csv"):
        text = path.read_bytes().decode("utf-8-sig")
        records = list(csv.reader(io.StringIO(text, newline="")))
        kept = [records[0]] + [r for i, r in enumerate(records[1:], start=1) if i not in row_numbers]
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\n").writerows(kept)
        return buffer.getvalue().encode("utf-8")
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        keep = [i for i in range(table.num_rows) if i + 1 not in row_numbers]
        sink = io.BytesIO()
        pq.write_table(table.take(keep), sink)
        return sink.getvalue()
    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    lines = raw.split(b"\n")
    numbers = line_numbers or row_numbers
    body = b"\n".join(line for i, line in enumerate(lines, start=1) if i not in numbers)
    return gzip.compress(body, mtime=0) if name.endswith(".gz") else body


def test_bad_rows_never_reach_a_mart(published_demo: PublishedDemo, tmp_path: Path) -> None:
    """The bad-rows demo (A) against the same landing set without its quarantined rows (B).

    Every bad row of every case is in raw.load_quarantine of A and not in A's raw table; B is
    built from A's landing files with exactly those rows cut out. If any quarantined row had
    reached a mart, some mart of A would differ from B's.
    """
    landing_a = published_demo.landing
    published_a = published_demo.warehouse / "cxcs.duckdb"
    build_a = published_demo.warehouse / "build" / "cxcs.duckdb"  # raw and its quarantine are private
    planted = json.loads((landing_a / "_demo_manifest.json").read_text())["files"]
    with duckdb.connect(str(build_a), read_only=True) as conn:
        quarantine = conn.execute(
            "select q.file_path, q.row_number, q.line_number, q.reason, q.raw_content, m.batch_id, m.entity, "
            "m.rows_delivered, m.rows_loaded from raw.load_quarantine as q "
            "join raw.load_manifest as m on m.batch_id = q.batch_id"
        ).fetchall()
        in_raw = raw_rows_by_batch(conn)
    by_file: dict[str, list[tuple]] = defaultdict(list)
    for row in quarantine:
        by_file[row[0]].append(row)

    cases_with_bad_rows = set()
    for entry in planted:
        if entry["fails_whole_file"] or not entry["bad_rows"]:
            continue
        cases_with_bad_rows.update(entry["cases"])
        rows = by_file.get(entry["path"], [])
        # Each case's rows are in quarantine, with the raw content and a reason ...
        assert len(rows) >= entry["bad_rows"], (entry, rows)
        assert all(r[3] and r[4] is not None for r in rows), rows
        # ... and not in the raw table: what raw holds of the file is what was not quarantined.
        _, _, _, _, _, batch, entity, delivered, loaded = rows[0]
        assert in_raw.get((entity, batch), 0) == loaded == delivered - len(rows), entry
    assert {
        "score_out_of_scale",
        "unknown_segment",
        "wrong_field_count",
        "malformed_json",
        "value_out_of_range",
        "duplicate_key_in_file",
    } <= cases_with_bad_rows

    # Landing set B: A's files, minus exactly the quarantined rows.
    landing_b = tmp_path / "landing_b"
    import shutil

    shutil.copytree(landing_a, landing_b)
    removed = 0
    for file_path, rows in by_file.items():
        target = landing_b / file_path
        target.write_bytes(
            without_rows(
                landing_a / file_path,
                {r[1] for r in rows if r[1] is not None},
                {r[2] for r in rows if r[2] is not None},
            )
        )
        removed += len(rows)
    assert removed == len(quarantine) > 0
    warehouse_b = tmp_path / "warehouse_b"
    result = run_cxcs("refresh", "--landing", str(landing_b), "--warehouse", str(warehouse_b))
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-3000:]  # the unreadable files still fail

    with duckdb.connect(str(warehouse_b / "cxcs.duckdb"), read_only=True) as conn:
        assert conn.execute("select count(*) from loader.load_quarantine").fetchone()[0] == 0
        conn.execute(f"attach '{published_a}' as a (read_only)")
        marts = marts_in(conn)
        assert {"cx_nps_monthly", "fct_survey_responses", "fct_mrr_movements", "cs_revenue_monthly"} <= set(marts)
        for mart in marts:
            only_a, only_b = except_all_counts(conn, f'select * from a.marts."{mart}"', f'select * from marts."{mart}"')
            assert (only_a, only_b) == (0, 0), f"{mart}: {only_a} rows only with the bad rows, {only_b} only without"
        # Row-level check where the mart keeps rows: no quarantined response's score is published.
        bad_responses = [r for r in quarantine if r[6] == "survey_responses" and r[4]]
        header = ENTITY_BY_TABLE["survey_responses"].column_names
        checked = 0
        for row in bad_responses:
            record = raw_record(row[4], header)
            if "score_out_of_scale" in row[3]:
                checked += 1
                published_scores = conn.execute(
                    "select score from marts.fct_survey_responses where response_id = ?", [record["response_id"]]
                ).fetchall()
                assert (int(record["score"]),) not in published_scores, (row, published_scores)
        assert checked == 3  # NPS 11, CSAT 0, CES 8


def raw_record(raw_content: str, header: list[str]) -> dict[str, str]:
    """A quarantined row as delivered: a JSON object of the parsed fields, or the raw CSV line."""
    try:
        parsed = json.loads(raw_content)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return {k: str(v) for k, v in parsed.items()}
    return dict(zip(header, next(csv.reader(io.StringIO(raw_content)), []), strict=False))
