"""``target/manifest.json`` kept in step with the models: ``dbt parse``, skipped when nothing changed.

Its own module because both ends need it: the refresh entry point (orchestration.refresh)
parses before it loads the definitions, and the definitions parse when ``dagster dev`` loads
them (orchestration.defs.resources). Neither may import the other without a cycle."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from orchestration.config import PROJECT_DIR, dbt_executable

# What dbt's parse reads besides the project files: the profile's environment.
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


def parse_fingerprint(project_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """Every file dbt parses (path, size, mtime) and the profile's environment, hashed."""
    env = os.environ if env is None else env
    digest = hashlib.sha256()
    for name in PARSE_INPUTS:
        root = project_dir / name
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path.relative_to(project_dir)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    for name in PARSE_ENV:
        digest.update(f"{name}={env.get(name, '')}\n".encode())
    return digest.hexdigest()


def prepare_dbt_manifest(env: Mapping[str, str] | None = None) -> bool:
    """Parse the dbt project so target/manifest.json matches the models on disk; ``env`` is the
    dbt process's environment (default this process's), the profile's variables included.

    Skipped (returns False) when nothing dbt parses has changed since the last parse made
    here: the same files and the same profile environment (a scheduled refresh of unchanged
    code); dbt's own build then reuses its partial-parse state too."""
    manifest = PROJECT_DIR / "target" / "manifest.json"
    stamp = PROJECT_DIR / "target" / ".cxcs_parse_fingerprint"
    env = dict(os.environ if env is None else env)
    fingerprint = parse_fingerprint(PROJECT_DIR, env)
    if manifest.exists() and stamp.exists() and stamp.read_text() == f"{fingerprint} {manifest.stat().st_mtime_ns}":
        return False
    subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--profiles-dir", str(PROJECT_DIR)], cwd=PROJECT_DIR, env=env, check=True
    )
    stamp.write_text(f"{fingerprint} {manifest.stat().st_mtime_ns}")
    return True
