"""The ``refresh`` job and what starts it: a daily schedule and a landing-folder sensor.

Both are off when a deployment first starts (``make serve``): the operator turns them on in the
UI (or the GraphQL API) once the landing folder and warehouse settings are right; the instance
(DAGSTER_HOME) remembers the choice across restarts (docs/operate.md)."""

import hashlib

import dagster as dg

from orchestration.config import get_settings, setting
from orchestration.publish import build_lock_held

# A run of ``refresh`` in one of these states is going or about to go.
ACTIVE_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]

refresh_job = dg.define_asset_job(
    "refresh",
    # Everything but the month-end history (monthly partitions: its own job, orchestration.defs.history).
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("history"),
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
    default_status=dg.DefaultScheduleStatus.STOPPED,
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


def refresh_in_progress(instance: dg.DagsterInstance) -> str | None:
    """Why a refresh counts as going on now (a run of this instance, or the warehouse's lock held
    by any process, e.g. `cxcs refresh` by hand), or None."""
    runs = instance.get_runs(dg.RunsFilter(job_name=refresh_job.name, statuses=ACTIVE_STATUSES), limit=1)
    if runs:
        return f"run {runs[0].run_id} of {refresh_job.name} is {runs[0].status.value.lower()}"
    build_path = get_settings().build_path
    if build_lock_held(build_path):
        return f"another refresh holds the warehouse lock ({build_path.parent})"
    return None


EMPTY_FINGERPRINT = hashlib.sha256().hexdigest()


@dg.sensor(
    job=refresh_job,
    minimum_interval_seconds=int(setting("CXCS_SENSOR_INTERVAL_SECONDS")),
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Starts a refresh when files appear or change in the landing folder; skips (cursor kept, so "
        "the files start the next refresh) while a refresh is going."
    ),
)
def landing_files_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    busy = refresh_in_progress(context.instance)
    if busy is not None:
        return dg.SensorResult(skip_reason=f"a refresh is in progress: {busy}")
    fingerprint = landing_fingerprint()
    if fingerprint == EMPTY_FINGERPRINT:
        # Nothing to load (a fresh deployment, an unmounted share): no run that publishes nothing.
        return dg.SensorResult(skip_reason=f"no files in the landing folder {get_settings().landing_dir}")
    if fingerprint == context.cursor:
        return dg.SensorResult(skip_reason="no new or changed landing files")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=fingerprint)],
        cursor=fingerprint,
    )
