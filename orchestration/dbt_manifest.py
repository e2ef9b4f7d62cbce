"""``target/manifest.json`` kept in step with the models: ``dbt parse``, skipped when nothing changed.

Its own module because both ends need it: the refresh entry point (orchestration.refresh)
parses before it loads the definitions, and the definitions parse when ``dagster dev`` loads
them (orchestration.defs.resources). Neither may import the other without a cycle."""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from orchestration.config import PROJECT_DIR, dbt_executable

# The profile's environment. The project is parsed with none of these set (target duckdb, the
# default paths), whatever warehouse a run builds: nothing in the models reads the profile, so
# the parsed project is the same for every warehouse, and dbt's partial-parse state (which a
# different profile path would invalidate) stays valid. A run's dbt build gets the warehouse's
# values (orchestration.dbt_inprocess).
PARSE_ENV = ("DBT_TARGET", "CXCS_DUCKDB_PATH", "CXCS_WAREHOUSE_DIR", "CXCS_DUCKDB_MEMORY_LIMIT")
# Every path dbt_project.yml names (model, macro, seed, test, analysis, snapshot paths) and
# the package files; a folder that does not exist is skipped.
PARSE_INPUTS = (
    "dbt_project.yml",
    "profiles.yml",
    "packages.yml",
    "dependencies.yml",
    "models",
    "macros",
    "seeds",
    "tests",
    "analyses",
    "snapshots",
)


def tree_fingerprint(project_dir: Path, names: Iterable[str], suffixes: tuple[str, ...] | None = None) -> str:
    """Every file under ``names`` (folders or files of ``project_dir``; with ``suffixes``, only
    files ending so): path, size and mtime, hashed. A missing name is skipped."""
    digest = hashlib.sha256()
    for name in names:
        root = project_dir / name
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.is_file() and (suffixes is None or path.name.endswith(suffixes)):
                stat = path.stat()
                digest.update(f"{path.relative_to(project_dir)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def parse_fingerprint(project_dir: Path) -> str:
    """The project's folder, the dbt version and every file dbt parses (path, size, mtime), hashed."""
    from dbt.version import __version__

    return f"{project_dir} dbt {__version__} " + tree_fingerprint(project_dir, PARSE_INPUTS)


def parse_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default this process's) without the profile's variables (PARSE_ENV)."""
    return {k: v for k, v in (os.environ if env is None else env).items() if k not in PARSE_ENV}


def prepare_dbt_manifest() -> bool:
    """Parse the dbt project so target/manifest.json (and dbt's partial-parse file, which the
    refresh's in-process build reads) match the models on disk.

    Skipped (returns False) when nothing dbt parses has changed since the last parse made
    here (a scheduled refresh of unchanged code, or a refresh of another warehouse)."""
    target = PROJECT_DIR / "target"
    manifest, stamp = target / "manifest.json", target / ".cxcs_parse_fingerprint"
    fingerprint = parse_fingerprint(PROJECT_DIR)

    def current() -> bool:
        return (
            manifest.exists() and stamp.exists() and stamp.read_text() == f"{fingerprint} {manifest.stat().st_mtime_ns}"
        )

    if current():
        return False
    # Refreshes of two warehouses (or two test workers) may start at once: one parses, the
    # other waits and then finds the parse done; two dbt parses would write target/ together.
    target.mkdir(exist_ok=True)
    with open(target / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if current():
            return False
        if not (stamp.exists() and stamp.read_text().startswith(f"{PROJECT_DIR} ")):
            # Parsed in another folder (a moved clone) or before the stamp named the folder: dbt's
            # partial parse would keep each node's old root path (a seed's CSV is read from it),
            # so the whole project is parsed again.
            (target / "partial_parse.msgpack").unlink(missing_ok=True)
        # An absolute --project-dir: dbt records it as each node's root path, and dbt-duckdb
        # reads a seed's CSV from there, so a refresh started in another folder finds it.
        subprocess.run(
            [
                dbt_executable(),
                "parse",
                "--quiet",
                "--project-dir",
                str(PROJECT_DIR),
                "--profiles-dir",
                str(PROJECT_DIR),
            ],
            cwd=PROJECT_DIR,
            env=parse_environment(),
            check=True,
        )
        stamp.write_text(f"{fingerprint} {manifest.stat().st_mtime_ns}")
    return True


if __name__ == "__main__":  # `make setup`: the same parse (and stamp) the refresh and the tests use
    prepare_dbt_manifest()
