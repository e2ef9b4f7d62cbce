"""Issue 14, publication and failures: what a refresh publishes and how it fails.

* a missing landing folder is an error (exit 1, one line) and the publication stays;
* a failed run prints one line (step, cause, log file) and the full trace goes to the log;
* a failing gate names the offending row and the landing file it came from;
* the published file holds no personal data; the build file keeps the raw content.

Every test starts from the session's published demo (tests_py/conftest.py): one real refresh
shared with the gate and publish tests; two tests here run one more refresh each.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
from conftest import PublishedDemo, held_by_another_process, run_cxcs, sha256

from orchestration.gate_rows import describe_rows
from orchestration.public_copy import write_public_copy

# North-American and international phone numbers as people write them, and E.164.
PHONE = re.compile(r"(?<![\d-])(\+\d{1,3}[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?!\d)|\+\d{8,15}")


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


# --------------------------------------------------------------------------- item 6


def test_missing_landing_folder_fails_in_one_line_and_keeps_the_publication(
    published_demo: PublishedDemo, tmp_path: Path
) -> None:
    missing = tmp_path / "nonexistent"
    # A new warehouse: nothing is created, let alone an empty publication.
    new_warehouse = tmp_path / "new_warehouse"
    result = run_cxcs("refresh", "--landing", str(missing), "--warehouse", str(new_warehouse))
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert len(stderr_lines(result)) == 1 and str(missing) in result.stderr, result.stderr[-3000:]
    assert not (new_warehouse / "cxcs.duckdb").exists()

    # An existing warehouse: the publication stays byte for byte.
    _, warehouse = published_demo.copy(tmp_path / "existing")
    before = sha256(warehouse / "cxcs.duckdb")
    result = run_cxcs("refresh", "--landing", str(missing), "--warehouse", str(warehouse))
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    [line] = stderr_lines(result)
    assert f"landing folder {missing} does not exist" in line
    assert sha256(warehouse / "cxcs.duckdb") == before


# --------------------------------------------------------------------------- item 13 (CLI)


def test_failed_run_prints_one_line_and_writes_the_trace_to_a_log(
    published_demo: PublishedDemo, tmp_path: Path
) -> None:
    """A real failing run: another process holds the warehouse's refresh lock, so the load step fails."""
    landing, warehouse = published_demo.copy(tmp_path)
    before = sha256(warehouse / "cxcs.duckdb")
    build = warehouse / "build" / "cxcs.duckdb"
    take_lock = f"""
        from pathlib import Path
        from orchestration.publish import acquire_build_lock
        acquire_build_lock(Path({str(build)!r}))
    """
    with held_by_another_process(take_lock):
        # The load step retries a locked warehouse once (orchestration/defs/raw.py): after 1 s here.
        result = run_cxcs(
            "refresh", "--landing", str(landing), "--warehouse", str(warehouse), env={"CXCS_LOCK_RETRY_SECONDS": "1"}
        )
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    [line] = stderr_lines(result)  # not Dagster's ~100 lines of trace
    assert line.startswith("[refresh] FAILED in step raw_landing_files: BuildLocked: another refresh is running"), line
    logs = list((warehouse / "logs").glob("refresh-*.log"))
    assert len(logs) == 1 and str(logs[0]) in line
    trace = logs[0].read_text(encoding="utf-8")
    assert "Stack Trace" in trace and "orchestration.publish.BuildLocked" in trace and "acquire_build_lock" in trace
    assert "Traceback" not in result.stdout and "Stack Trace" not in result.stdout
    assert sha256(warehouse / "cxcs.duckdb") == before


# --------------------------------------------------------------------------- item 11 (gate)


def test_failing_gate_names_the_offending_row_and_its_landing_file(
    published_demo: PublishedDemo, tmp_path: Path
) -> None:
    """An NPS response of 11 put straight into raw (past the loader's checks) fails a blocking dbt test."""
    landing, warehouse = published_demo.copy(tmp_path)
    before = sha256(warehouse / "cxcs.duckdb")
    with duckdb.connect(str(warehouse / "build" / "cxcs.duckdb")) as conn:
        response_id, file_path, row_number = conn.execute(
            "select r.response_id, m.file_path, r._row_number from raw.survey_responses as r "
            "join raw.load_manifest as m on m.batch_id = r._batch_id "
            "where r.survey_type = 'nps' and r.response_id in "
            "(select response_id from raw.survey_responses group by 1 having count(*) = 1) "
            "order by r.response_id limit 1"
        ).fetchone()
        conn.execute("update raw.survey_responses set score = 11 where response_id = ?", [response_id])
    # The row is where the manifest says: the landing file's data row `row_number` has that id.
    with (landing / file_path).open(newline="", encoding="utf-8-sig") as handle:
        assert list(csv.DictReader(handle))[row_number - 1]["response_id"] == response_id

    result = run_cxcs("refresh", "--landing", str(landing), "--warehouse", str(warehouse))
    assert result.returncode == 3, result.stdout[-3000:] + result.stderr[-3000:]
    failed = [line for line in result.stderr.splitlines() if line.startswith("[gate] FAILED")]
    assert failed == [
        "[gate] FAILED staging/stg_survey__responses:assert_survey_scores_within_scale; "
        f"rows: response_id={response_id} ({file_path} row {row_number})"
    ], result.stderr[-3000:]
    assert sha256(warehouse / "cxcs.duckdb") == before


def test_offending_rows_are_traced_to_their_landing_file_row(published_demo: PublishedDemo) -> None:
    """GX reports index values, dbt tests return rows: a natural key names the landing file and row."""
    landing = published_demo.landing
    with duckdb.connect(str(published_demo.warehouse / "build" / "cxcs.duckdb"), read_only=True) as conn:
        # A user delivered once: its landing file and data row are known from the manifest alone.
        user_id, file_path, row_number = conn.execute(
            "select u.user_id, m.file_path, u._row_number from raw.product_users as u "
            "join raw.load_manifest as m on m.batch_id = u._batch_id where u.user_id in "
            "(select user_id from raw.product_users group by 1 having count(*) = 1) order by 1 limit 1"
        ).fetchone()
        with (landing / file_path).open(newline="", encoding="utf-8-sig") as handle:
            assert list(csv.DictReader(handle))[row_number - 1]["user_id"] == user_id
        # The most specific key names the row (the user, not its account) ...
        assert describe_rows(conn, [{"account_id": "acc_000001", "user_id": user_id, "day": "2026-06-01"}]) == [
            f"user_id={user_id} ({file_path} row {row_number})"
        ]
        # ... an aggregate row has no raw row: its first values name it; at most three rows.
        assert (
            describe_rows(conn, [{"month": "2026-06-01", "dimension": "overall", "nps": 150, "x": 1}] * 5)
            == ["month=2026-06-01, dimension=overall, nps=150"] * 3
        )
        assert describe_rows(conn, [{"response_id": "resp_never_delivered"}]) == ["response_id=resp_never_delivered"]


# --------------------------------------------------------------------------- item 12


def landing_emails(landing: Path) -> set[str]:
    """Every email address of the landing product users files (the bad-rows demo has a UTF-16 one)."""
    emails = set()
    for path in (landing / "product" / "users").glob("*.csv"):
        data = path.read_bytes()
        for encoding in ("utf-8-sig", "utf-16", "latin-1"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            emails |= {row["email"] for row in csv.DictReader(io.StringIO(text, newline="")) if row.get("email")}
            break
    return emails


def text_values(path: Path) -> dict[str, set[str]]:
    """Every distinct non-null value of every column of every table and view, as text."""
    values: dict[str, set[str]] = {}
    with duckdb.connect(str(path), read_only=True) as conn:
        columns = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_catalog = current_database() order by 1, 2, 3"
        ).fetchall()
        for schema, table, column in columns:
            rows = conn.execute(
                f'select distinct cast("{column}" as varchar) from "{schema}"."{table}" where "{column}" is not null'
            ).fetchall()
            values[f"{schema}.{table}.{column}"] = {r[0] for r in rows}
    return values


def leaks(values: dict[str, set[str]], emails: set[str]) -> list[str]:
    found = []
    for column, texts in values.items():
        for text in texts:
            if any(email in text for email in emails) or "@" in text or PHONE.search(text):
                found.append(f"{column}: {text[:120]}")
    return found


def test_published_file_holds_no_personal_data(published_demo: PublishedDemo) -> None:
    published = published_demo.warehouse / "cxcs.duckdb"
    build = published_demo.warehouse / "build" / "cxcs.duckdb"
    emails = landing_emails(published_demo.landing)
    assert len(emails) > 50

    values = text_values(published)
    assert leaks(values, emails) == []
    schemas = {column.split(".")[0] for column in values}
    assert {"marts", "semantic", "loader"} <= schemas and not schemas & {"raw", "staging", "intermediate"}

    with duckdb.connect(str(build), read_only=True) as conn:
        # The raw content stays in the private build file ...
        in_build = {
            e for (e,) in conn.execute("select email from raw.product_users where email is not null").fetchall()
        }
        assert in_build & emails
        quarantine = conn.execute(
            "select batch_id, entity, file_path, row_number, line_number, reason from raw.load_quarantine "
            "where raw_content is not null order by all"
        ).fetchall()
        manifest = conn.execute("select count(*) from raw.load_manifest").fetchone()[0]
    assert quarantine  # the bad-rows demo quarantines rows, with their raw content
    with duckdb.connect(str(published), read_only=True) as conn:
        # ... and the publication keeps where each rejected row was and why, not what it held.
        assert (
            conn.execute(
                "select batch_id, entity, file_path, row_number, line_number, reason "
                "from loader.load_quarantine order by all"
            ).fetchall()
            == quarantine
        )
        assert conn.execute("select count(*) from loader.load_manifest").fetchone()[0] == manifest
        assert "raw_content" not in {
            c
            for (c,) in conn.execute(
                "select column_name from information_schema.columns where table_name = 'load_quarantine'"
            ).fetchall()
        }


def test_public_copy_masks_personal_data_quoted_in_reasons(published_demo: PublishedDemo, tmp_path: Path) -> None:
    """Rejected rows holding an email and phone numbers, in their raw content and in their reason."""
    build = tmp_path / "build" / "cxcs.duckdb"
    build.parent.mkdir()
    shutil.copyfile(published_demo.warehouse / "build" / "cxcs.duckdb", build)
    planted = [
        (
            "u_1,acc_000001,jane.doe@example.org,+1 (415) 555-0134,2026-06-01T00:00:00Z",
            "unknown_value: role='+1 (415) 555-0134'",
        ),
        (
            'u_2,acc_000001,"smith, anna"@example.com,admin,2026-06-01T00:00:00Z',
            "invalid_email: email='\"smith, anna\"@example.com'; call 020 7946 0958 or +4915112345678",
        ),
    ]
    with duckdb.connect(str(build)) as conn:
        batch = conn.execute("select max(batch_id) from raw.load_manifest").fetchone()[0]
        for row_number, (raw, reason) in enumerate(planted, start=1):
            conn.execute(
                "insert into raw.load_quarantine by name select ? as batch_id, 'product_users' as entity, "
                "'product/users/planted.csv' as file_path, ? as row_number, ? as line_number, ? as raw_content, "
                "? as reason, current_timestamp::timestamp as quarantined_at",
                [batch, row_number, row_number + 1, raw, reason],
            )
    public = tmp_path / "public" / "cxcs.duckdb"
    public.parent.mkdir()
    write_public_copy(build, public)

    assert leaks(text_values(public), {"jane.doe@example.org", 'anna"@example.com'}) == []
    with duckdb.connect(str(public), read_only=True) as conn:
        assert conn.execute(
            "select row_number, line_number, reason from loader.load_quarantine "
            "where file_path = 'product/users/planted.csv' order by 1"
        ).fetchall() == [
            (1, 2, "unknown_value: role='<phone>'"),
            (2, 3, "invalid_email: email='<email>'; call <phone> or <phone>"),
        ]
