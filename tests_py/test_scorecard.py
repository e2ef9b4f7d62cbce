"""The CX/CS scorecard, built by the real Dagster refresh of a demo warehouse and opened in a
real headless Chromium (Debian's /usr/bin/chromium, driven through the DevTools protocol).

Checked in the browser: the page loads from disk with no console error and no failed
request; every chart the published marts allow is rendered with one mark per published value
(counted from the marts here, independently of the page); a definition is one click away;
sections whose marts are not in the warehouse say "Not available in this warehouse". A
full-page screenshot is written to the pytest temp folder and to target/scorecard.png.

Run alone: ``.venv/bin/python -m pytest tests_py/test_scorecard.py``.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
from websockets.sync.client import ClientConnection, connect

from orchestration.raw_schema import MANIFEST_DDL, MANIFEST_TABLE
from orchestration.scorecard import SCORECARD_FILE_NAME, SECTIONS, build_scorecard
from tests_py.demo_warehouse import PROJECT_DIR, published_demo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--window-size=1400,1000",
]


# --------------------------------------------------------------------------- DevTools client
class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        call_id = self.next_id
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for message in self.events:
                if message.get("method") == event:
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(event)
            self.events.append(json.loads(self.ws.recv(timeout=remaining)))

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        found = []
        for message in self.events:
            method, params = message.get("method"), message.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params.get('exceptionDetails')}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
            elif method == "Network.loadingFailed":
                found.append(f"load failed: {params.get('errorText')}")
        return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A headless Chromium with a fresh profile; yields its DevTools HTTP endpoint."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: apt-get install -y chromium (.ci/run does it)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert process.poll() is None, "chromium exited at start"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def open_page(endpoint: str, url: str) -> Iterator[DevTools]:
    """A new tab that loads `url`; every console and network event from the start is recorded."""
    request = urllib.request.Request(f"{endpoint}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(request, timeout=30) as response:
        target = json.load(response)
    with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=30) as ws:
        page = DevTools(ws)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call("Page.navigate", url=url)
        page.wait_for("Page.loadEventFired")
        yield page


def screenshot(page: DevTools, *paths: Path) -> bytes:
    size = page.call("Page.getLayoutMetrics")["cssContentSize"]
    page.call(
        "Emulation.setDeviceMetricsOverride",
        width=int(size["width"]),
        height=int(size["height"]),
        deviceScaleFactor=1,
        mobile=False,
    )
    png = base64.b64decode(page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"])
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
    return png


COUNT_MARKS = """
(() => {
  const out = {};
  for (const svg of document.querySelectorAll('svg[data-chart]')) {
    const box = svg.getBoundingClientRect();
    const count = (selector) => svg.querySelectorAll(selector).length;
    out[svg.dataset.chart] = {
      width: box.width, height: box.height,
      series: count('path.series'), band: count('path.band'), points: count('circle.point'),
      bars: count('rect.bar'), steps: count('rect.step'), totals: count('rect.total'), cells: count('rect.cell'),
      bar_total: [...svg.querySelectorAll('rect.bar')].reduce((sum, bar) => sum + Number(bar.dataset.value), 0),
      values: [...svg.querySelectorAll('rect.bar')].map((bar) => Number(bar.dataset.value)),
      categories: [...svg.querySelectorAll('text.category')].map((t) => t.textContent),
    };
  }
  return out;
})()
"""


# --------------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published_demo(tmp_path_factory)[1]


def marts_rows(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse / "cxcs.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_scorecard_renders_every_chart_in_chromium(warehouse: Path, browser: str, tmp_path: Path) -> None:
    page_path = warehouse / SCORECARD_FILE_NAME
    assert page_path.exists(), "the Dagster refresh writes the scorecard after publishing"
    html = page_path.read_text()
    # self-contained: no script, stylesheet, image or font from anywhere
    for needle in ("<script", "http://", "https://", "<img", "@import", "url("):
        assert needle not in html.replace('xmlns="http://www.w3.org/2000/svg"', ""), needle

    with open_page(browser, page_path.as_uri()) as page:
        marks = page.evaluate(COUNT_MARKS)
        screenshot(page, tmp_path / "scorecard.png", PROJECT_DIR / "target" / "scorecard.png")
        problems = page.problems()
        definition_open = page.evaluate(
            "(() => { const d = document.querySelector('#nps details.definition');"
            " d.querySelector('summary').click(); return [d.open, d.innerText]; })()"
        )
        sections = page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('section[data-section]')]"
            ".map(s => [s.dataset.section, [s.dataset.available, s.innerText]]))"
        )
        stale = page.evaluate("document.querySelectorAll('header ul.stale').length")
        quotes = page.evaluate("[...document.querySelectorAll('#themes blockquote.quote')].map(q => q.textContent)")

    assert problems == []
    # The demo delivered every entity (seven, and the support tickets) in the run that published: no stale-source line.
    delivered = marts_rows(warehouse, "select count(distinct entity) from loader.load_manifest where status = 'loaded'")
    assert delivered == [(8,)] and stale == 0
    for chart, box in marks.items():
        assert box["width"] > 300 and box["height"] > 60, (chart, box)

    # One point per month with a published value; the band spans them (cx_nps_monthly overall).
    nps_months = marts_rows(warehouse, "select count(nps) from marts.cx_nps_monthly where dimension = 'overall'")[0][0]
    assert nps_months >= 12
    assert marks["nps"]["points"] == nps_months and marks["nps"]["band"] == 1 and marks["nps"]["series"] == 1
    csat_months = marts_rows(
        warehouse, "select count(csat_pct) from marts.cx_csat_monthly where dimension = 'overall'"
    )[0][0]
    ces_months = marts_rows(warehouse, "select count(ces_mean) from marts.cx_ces_monthly where dimension = 'overall'")[
        0
    ][0]
    assert marks["csat"]["points"] == csat_months >= 12
    assert marks["ces"]["points"] == ces_months >= 12
    rates = marts_rows(warehouse, "select count(response_rate_pct) from marts.cx_response_rates_monthly")[0][0]
    assert marks["response_rate"]["points"] == rates
    # Trial conversion: one point per closed cohort with a rate (open cohorts have none).
    conversions = marts_rows(warehouse, "select count(trial_conversion_pct) from marts.cx_acquisition_monthly")[0][0]
    assert marks["trial_conversion"]["points"] == conversions
    # MRR bridge: starting and ending totals and the five movements of the latest month.
    assert marks["mrr_bridge"]["totals"] == 2 and marks["mrr_bridge"]["steps"] == 5
    revenue_months = marts_rows(warehouse, "select count(*) from marts.cs_revenue_monthly where segment = 'all'")[0][0]
    assert marks["mrr_trend"]["points"] == revenue_months
    retention_values = marts_rows(
        warehouse,
        "select count(nrr_12m_pct) + count(grr_12m_pct) + count(nrr_1m_pct) + count(grr_1m_pct) "
        "from marts.cs_revenue_monthly where segment = 'all'",
    )[0][0]
    assert marks["retention"]["points"] == retention_values
    assert (
        marts_rows(warehouse, "select count(nrr_12m_pct) from marts.cs_revenue_monthly where segment = 'all'")[0][0] > 0
    )
    assert marks["retention"]["series"] == 4
    cohort_cells = marts_rows(warehouse, "select count(logo_retention_pct) from marts.cs_cohort_retention")[0][0]
    assert marks["cohorts"]["cells"] == cohort_cells > 10

    # Definitions one click away, with the formula from the dbt docs.
    assert definition_open[0] is True
    assert "100 * (promoters - detractors) / responses" in definition_open[1]

    # Every section is there; those whose marts are missing say so instead of failing.
    with duckdb.connect(str(warehouse / "cxcs.duckdb"), read_only=True) as conn:
        published = {
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
    needs = {
        "health": {"cs_account_health_daily", "cs_health_backtest"},
        "adoption": {"product_feature_adoption"},
        "alerts": {"cs_playbook_alerts"},
        "themes": {"cx_themes_monthly"},
        "key_drivers": {"cx_key_drivers"},
        "survival": {"cs_survival_curves"},
        "clv": {"cs_clv"},
        "churn_model": {"cs_churn_model_evaluation"},
    }
    assert set(sections) == {key for key, _, _ in SECTIONS}
    for key, (available, text) in sections.items():
        if needs.get(key, set()) <= published:
            assert available == "true", (key, text)
        else:
            assert available == "false" and "Not available in this warehouse" in text, (key, text)
    charts_expected = {"health": ["health_bands"], "adoption": ["feature_adoption"]}
    for key, names in charts_expected.items():
        if sections[key][0] == "true":
            assert all(marks[n]["bars"] >= 1 for n in names), key
    if "product_feature_adoption" in published:
        features = marts_rows(
            warehouse,
            "select count(*) from marts.product_feature_adoption where date = (select max(date) from marts.product_feature_adoption)",
        )[0][0]
        assert marks["feature_adoption"]["bars"] == features >= 3
    if {"customer_360", "cs_playbook_alerts"} <= published:
        # the open-alert bars add up to customer_360's open_alerts (no chart when none is open)
        open_alerts = marts_rows(warehouse, "select sum(open_alerts) from marts.customer_360")[0][0]
        assert marks.get("alerts", {}).get("bar_total", 0) == open_alerts
        assert ("alerts" in marks) == (open_alerts > 0)
    if "cs_account_health_daily" in published:
        # one account per bar unit: the bands of the latest day add up to the accounts scored that day
        scored = marts_rows(
            warehouse,
            "select count(*) from marts.cs_account_health_daily "
            "where date = (select max(date) from marts.cs_account_health_daily)",
        )[0][0]
        assert marks["health_bands"]["bar_total"] == scored
    assert_voice_of_customer(warehouse, marks, sections, quotes)
    assert_model_sections(warehouse, marks, sections)


def assert_voice_of_customer(
    warehouse: Path, marks: dict[str, Any], sections: dict[str, Any], quotes: list[str]
) -> None:
    """Themes and key drivers (issue 17 §4), read back from the marts independently of the page."""
    # latest complete month by the publication's as-of date (its last day on or before it)
    month = marts_rows(
        warehouse,
        "select max(month) from marts.cx_themes_monthly where dimension = 'overall' "
        "and last_day(month) <= (select max(as_of_date) from marts.customer_360)",
    )[0][0]
    with duckdb.connect(str(warehouse / "cxcs.duckdb"), read_only=True) as conn:
        top = conn.execute(
            "select theme, mentions, share_change_pts, nps_mentioning, nps_not_mentioning, example_quote_1, "
            "example_quote_2, example_quote_3 from marts.cx_themes_monthly where dimension = 'overall' "
            "and month = ? and mentions > 0 order by mentions desc, theme",
            [month],
        ).fetchall()
    assert len(top) >= 3 and f"{month:%B %Y}" in sections["themes"][1]
    arrow = {1: "▲", -1: "▼", 0: "▶"}
    assert marks["themes_volume"]["values"] == [float(r[1]) for r in top[:8]]
    assert marks["themes_volume"]["categories"] == [
        f"{r[0]} {'–' if r[2] is None else arrow[(r[2] > 0) - (r[2] < 0)]}" for r in top[:8]
    ]
    # NPS impact = NPS mentioning - NPS not mentioning, largest gap either way first
    gaps = sorted(
        ((r[0], round(float(r[3]) - float(r[4]), 1)) for r in top if r[3] is not None and r[4] is not None),
        key=lambda g: (-abs(g[1]), g[0]),
    )[:8]
    assert gaps and marks["themes_nps_impact"]["values"] == [g for _, g in gaps]
    # up to 3 redacted quotes for each of the 3 largest themes, in the mart's order
    assert quotes == [q for r in top[:3] for q in r[5:8] if q] and quotes

    drivers = marts_rows(
        warehouse,
        "select outcome, share_of_r2_pct, is_not_significant from marts.cx_key_drivers order by outcome, importance_rank",
    )
    for outcome in ("nps", "churn_90d"):
        mine = [r for r in drivers if r[0] == outcome]
        assert marks[f"drivers_{outcome}"]["values"] == [float(r[1]) for r in mine]
        flagged = [c.endswith(" n.s.") for c in marks[f"drivers_{outcome}"]["categories"]]
        assert flagged == [r[2] for r in mine]


def assert_model_sections(warehouse: Path, marks: dict[str, Any], sections: dict[str, Any]) -> None:
    """Retention curves, CLV distribution and churn-model evaluation (issue 18), against the marts."""
    # Kaplan-Meier: period 0 (everyone) + one point per published survival; the sBG projection
    # adds one per projected period where the segment has a fit; one 95% band per curve.
    km = dict(
        marts_rows(
            warehouse,
            "select breakdown_value, count(survival) from marts.cs_survival_curves "
            "where breakdown in ('all', 'segment') group by all",
        )
    )
    projected = dict(
        marts_rows(
            warehouse,
            "select segment, count(projected_retention) from marts.cs_retention_curves group by all",
        )
    )
    assert "all" in projected
    for segment, points in km.items():
        chart = marks[f"survival_{segment}"]
        assert chart["points"] == 1 + points + projected.get(segment, 0), segment
        assert chart["band"] == 1 and chart["series"] == (2 if segment in projected else 1)
    notes = marts_rows(
        warehouse, "select segment, fit_note from marts.cs_retention_model where alpha is null and fit_note is not null"
    )
    assert notes, "the demo has a segment too small to fit"
    for _segment, note in notes:
        assert note in sections["survival"][1]

    median_model, median_simple = marts_rows(
        warehouse, "select median(model_clv), median(predicted_clv) from marts.cs_clv where current_mrr > 0"
    )[0]
    assert f"Median model CLV ${median_model:,.0f}, median simple CLV ${median_simple:,.0f}" in sections["clv"][1]
    assert marks["clv_deciles"]["points"] == 20 and marks["clv_deciles"]["series"] == 2

    month_aucs = marts_rows(
        warehouse,
        "select count(auc) from marts.cs_churn_model_evaluation where scope = 'month' and decile = 0",
    )[0][0]
    assert marks["churn_auc"]["points"] == month_aucs > 0
    assert marks["churn_calibration"]["points"] == 20
    pooled = dict(
        marts_rows(
            warehouse,
            "select scorer, auc from marts.cs_churn_model_evaluation where scope = 'all_months' and decile = 0",
        )
    )
    assert f"Learned model AUC {pooled['learned']:.3f}" in sections["churn_model"][1]
    assert f"Fixed health score AUC {pooled['health_score']:.3f}" in sections["churn_model"][1]


def test_sections_without_their_marts_are_not_available_not_failing(
    warehouse: Path, browser: str, tmp_path: Path
) -> None:
    """A warehouse publishing only cx_nps_monthly: one chart, every other section says why not."""
    published = tmp_path / "cxcs.duckdb"
    with duckdb.connect(str(published)) as conn:
        conn.execute(f"attach '{warehouse / 'cxcs.duckdb'}' as demo (read_only)")
        conn.execute("create schema marts")
        conn.execute("create table marts.cx_nps_monthly as select * from demo.marts.cx_nps_monthly")
        conn.execute("detach demo")
        # what the quality gate records per publication (one row per mart of the run)
        conn.execute(
            "create table marts.publication (run_id varchar, published_at timestamp, mart varchar, row_count bigint, "
            "dbt_tests_passed integer, gx_expectations_passed integer, warnings integer)"
        )
        conn.execute(
            "insert into marts.publication values "
            "('old', '2026-05-01 05:00', 'cx_nps_monthly', 9, 1, 1, 0), "
            "('r2', '2026-06-01 05:00', 'cx_nps_monthly', 20, 5, 7, 1), "
            "('r2', '2026-06-01 05:00', 'fct_survey_responses', 90, 3, 4, 0)"
        )
        # The published load manifest, ages against the latest publication (2026-06-01 05:00):
        # billing's newest load 05-29 00:00 = 77 h > 26 h; survey 05-31 10:00 = 19 h, fresh;
        # product only a failed file: never delivered; support: no file at all.
        conn.execute("create schema loader")
        conn.execute(MANIFEST_DDL.replace(MANIFEST_TABLE, "loader.load_manifest"))
        loads = [
            ("billing_accounts", "loaded", "2026-05-29 00:00"),
            ("billing_subscriptions", "loaded", "2026-05-28 12:00"),
            ("billing_invoices", "loaded", "2026-05-28 00:00"),
            ("survey_invitations", "loaded", "2026-05-31 10:00"),
            ("survey_responses", "loaded", "2026-05-31 10:00"),
            ("product_users", "failed", "2026-05-31 10:00"),
        ]
        for batch, (entity, status, at) in enumerate(loads, start=1):
            conn.execute(
                "insert into loader.load_manifest values (?, ?, 'f', 'sha', 1, 1, ?, 1, 1, 0, null, ?, ?)",
                [batch, entity, status, at, at],
            )
    result = build_scorecard(published, tmp_path / "out" / SCORECARD_FILE_NAME)
    assert result.charts == ("nps",)
    assert set(result.unavailable) == {key for key, _, _ in SECTIONS} - {"nps"}
    with open_page(browser, result.path.as_uri()) as page:
        marks = page.evaluate(COUNT_MARKS)
        texts = page.evaluate("[...document.querySelectorAll('section[data-available=false]')].map(s => s.innerText)")
        stale = page.evaluate("[...document.querySelectorAll('header ul.stale li')].map(li => li.innerText)")
        screenshot(page, tmp_path / "scorecard-partial.png")
        problems = page.problems()
    assert problems == []
    assert stale == [
        "Billing data is stale: last file loaded 2026-05-29 00:00 UTC, 77 h ago, limit 26 h",
        "Product data never delivered",
        "Support data never delivered",
    ]
    assert list(marks) == ["nps"] and marks["nps"]["points"] >= 12
    assert len(texts) == len(SECTIONS) - 1
    assert all("Not available in this warehouse" in t for t in texts)
    html = result.path.read_text()
    # without the dbt manifest the definition points to the dbt docs instead of failing
    assert "dbt docs generate" in html
    # the latest publication's gate record: 2 marts, 5 + 3 = 8 dbt tests, 7 + 4 = 11 expectations, 0 + 1 warnings
    assert (
        "Run r2 published 2 marts at 2026-06-01 05:00 UTC after 8 dbt tests and 11 quality-gate "
        "expectations passed; warn-only checks not passed: 1." in html
    )


def test_scorecard_asset_follows_the_publication() -> None:
    """In the Dagster lineage the scorecard is rebuilt from the publication, in the refresh job."""
    import dagster as dg

    from orchestration.definitions import defs

    graph = defs.get_repository_def().asset_graph
    assert graph.get(dg.AssetKey("scorecard")).parent_keys == {dg.AssetKey("published_warehouse")}
    assert dg.AssetKey("scorecard") in defs.resolve_job_def("refresh").asset_layer.asset_graph.get_all_asset_keys()


def test_trial_conversion_shows_open_cohorts_as_such(tmp_path: Path) -> None:
    """A dbt-free file with cx_acquisition_monthly only (no demo build, no browser: the page's
    HTML is enough). October's cohort is closed (rate 50.0); November's (14 trials, 8 converted
    so far) and December's (5 trials running) are open: no rate, so no point for them, and the
    caption names both months as not final."""
    published = tmp_path / "cxcs.duckdb"
    with duckdb.connect(str(published)) as conn:
        conn.execute("create schema marts")
        conn.execute(
            "create table marts.cx_acquisition_monthly (month date, new_accounts bigint, trials_started bigint,"
            " trials_converted bigint, trial_conversion_pct decimal(5, 1), is_trial_cohort_closed boolean)"
        )
        conn.execute(
            "insert into marts.cx_acquisition_monthly values ('2026-10-01', 12, 10, 5, 50.0, true),"
            " ('2026-11-01', 15, 14, 8, null, false), ('2026-12-01', 6, 5, 0, null, false)"
        )
    result = build_scorecard(published, tmp_path / "out" / SCORECARD_FILE_NAME)
    assert result.charts == ("trial_conversion",)
    html = result.path.read_text()
    section = html[html.index('data-section="trial_conversion"') :].split("</section>")[0]
    assert section.count('<circle class="point"') == 1
    assert "Trial cohort still open, rate not final yet: Nov 26, Dec 26." in section


def test_model_and_theme_sections_degrade_on_empty_marts(warehouse: Path, tmp_path: Path) -> None:
    """Published but empty marts (a small warehouse: no fit, no evaluation month, no comment)
    give a sentence saying why, never a crash; Kaplan-Meier curves without the sBG model (a
    DuckDB-only mart absent on another engine) still draw, observed only, and say so. HTML only:
    no browser needed for what the page says."""
    published = tmp_path / "cxcs.duckdb"
    with duckdb.connect(str(published)) as conn:
        conn.execute(f"attach '{warehouse / 'cxcs.duckdb'}' as demo (read_only)")
        conn.execute("create schema marts")
        for mart in ("cx_themes_monthly", "cx_key_drivers", "cs_churn_model_evaluation"):
            conn.execute(f"create table marts.{mart} as select * from demo.marts.{mart} limit 0")
        conn.execute("create table marts.cs_survival_curves as select * from demo.marts.cs_survival_curves")
        # every account churned: nobody paying at the as-of date, so no CLV distribution to draw
        conn.execute("create table marts.cs_clv as select * from demo.marts.cs_clv where current_mrr = 0")
        survival_points = conn.execute(
            "select count(*) from marts.cs_survival_curves where breakdown = 'all'"
        ).fetchone()[0]
        conn.execute("detach demo")
    result = build_scorecard(published, tmp_path / "out" / SCORECARD_FILE_NAME)
    notes = {s.key: s.note for s in result.sections if not s.available}
    assert notes["themes"] == "No scored comments yet."
    assert notes["key_drivers"] == "No key-driver analysis yet (too few observations)."
    assert notes["clv"] == "No paying account at the as-of date."
    assert notes["churn_model"].startswith("No evaluation month yet")
    assert "survival" not in notes and "survival_all" in result.charts
    html = result.path.read_text()
    section = html[html.index('data-section="survival"') :].split("</section>")[0]
    chart = section[section.index('data-chart="survival_all"') :].split("</svg>")[0]
    # observed only: one line and its band, a point at period 0 (everyone) and one per period
    assert chart.count('class="series"') == 1 and chart.count('class="band"') == 1
    assert chart.count('<circle class="point"') == 1 + survival_points
    assert "No sBG fit published (cs_retention_model is not in this warehouse)." in section
