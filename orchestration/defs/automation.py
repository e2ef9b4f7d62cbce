"""The ``refresh`` job and what starts it: a daily schedule and a landing-folder sensor."""

import hashlib

import dagster as dg

from orchestration.config import get_settings, setting

refresh_job = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all(),
    description=(
        "Load new landing files, build every dbt model and test, audit the marts (quality gate), publish the warehouse."
    ),
    # One writer per DuckDB file: run the steps in one process, one after another.
    executor_def=dg.in_process_executor,
)

daily_refresh = dg.ScheduleDefinition(
    name="daily_refresh",
    job=refresh_job,
    cron_schedule=setting("CXCS_REFRESH_CRON"),
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def landing_fingerprint() -> str:
    """Hash of every landing file's path, size and mtime: changes when files arrive or change.

    The sensor runs in the daemon, outside any run, so it reads the deployment's settings (the
    environment) rather than a run's resource config."""
    landing = get_settings().landing_dir
    digest = hashlib.sha256()
    if landing.exists():
        for path in sorted(p for p in landing.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.relative_to(landing)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a refresh when files appear or change in the landing folder.",
)
def landing_files_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    fingerprint = landing_fingerprint()
    if fingerprint == context.cursor:
        return dg.SensorResult(skip_reason="no new or changed landing files")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=fingerprint)],
        cursor=fingerprint,
    )
