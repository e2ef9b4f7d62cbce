"""Which files are under the landing folder, how each is named, and how DuckDB reads it.

Every entry under the landing folder ends up in exactly one place: a file of a contract
entity (``<source>/<entity>/...``, any depth below) goes to the loader; everything else is
``ignored`` with a reason, recorded in ``raw.load_manifest`` (status ``ignored``) and listed
in the run summary, so a misplaced file is never dropped without a word:

- a hidden name (a dot-file, or anything under a dot-folder, which is not walked);
- not a regular file (a dangling symlink, a FIFO, a socket, a symlinked folder: not followed);
- outside an entity folder: at the top of the landing, directly in a source folder
  (``billing/x.csv``), or in an unknown folder (``billing/invoice/`` for ``billing/invoices/``).

Names: the manifest keeps the path relative to the landing folder; a byte that is not
UTF-8 (``caf\\xe9.csv`` on a Latin-1 file system) is written as the escape ``\\xe9``
(Python's ``backslashreplace``), so the path is valid text and still names the file.

Reading: DuckDB's readers expand glob patterns (``*``, ``?``, ``[...]``, ``{a,b}``) in every
path, and DuckDB documents no escape that covers all of them; a path must also be UTF-8.
``ReadablePaths`` hands the readers a symlink with a plain name in a private temp folder for
any path outside a conservative character set, so every file is read as exactly itself.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.contract import ENTITIES, ENTITY_BY_FOLDER, Entity

# Source adapter folders (orchestration.adapters): any file below ``<landing>/<folder>/`` is an
# export of that tool, read by its adapter into the native raw tables.  Kept here as plain
# names, not imported from the adapters, so discovery does not depend on the loader.
ADAPTER_FOLDERS = ("segment", "amplitude", "qualtrics", "delighted", "stripe", "stripe_api", "zendesk")
# The account map that the adapters read on every run (orchestration.adapters.accounts).
MAPPINGS_FOLDER = "mappings"
ACCOUNT_MAP = f"{MAPPINGS_FOLDER}/account_map.csv"
SURVEY_MAP = f"{MAPPINGS_FOLDER}/surveys.csv"  # read by the survey adapters (orchestration.adapters.survey_map)
NO_ENTITY = "(none)"  # manifest entity of an ignored file outside every entity folder
SAFE_PATH = re.compile(r"[A-Za-z0-9_./+=,@%: -]+")


def display(rel: str) -> str:
    """``rel`` as valid text: a non-UTF-8 byte (a surrogate escape from the OS) becomes ``\\xNN``."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class Ignored:
    rel: str  # display form
    entity: str  # raw table of the entity folder it is in, or NO_ENTITY
    reason: str
    size: int
    mtime_ns: int


@dataclass
class Landing:
    files: dict[str, list[Path]]  # raw table -> its regular files, sorted by path
    ignored: list[Ignored]
    adapter_files: dict[str, list[Path]] = field(default_factory=dict)  # adapter folder -> files, sorted


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except OSError:
        return None


def _not_regular(path: Path) -> str | None:
    """Why ``path`` is not a regular file (a symlink to a regular file is one), or None."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "not a regular file: dangling symlink" if path.is_symlink() else "not a regular file: cannot stat"
    if stat.S_ISREG(mode):
        return None
    kind = "symlinked folder (not followed)" if stat.S_ISDIR(mode) else "special file (FIFO, socket or device)"
    return f"not a regular file: {kind}"


def _misplaced(parts: list[str]) -> str:
    expected = "expected <source>/<entity>/<file>"
    sources = sorted({e.source for e in ENTITIES})
    if len(parts) == 1:
        return f"outside an entity folder: at the top of the landing folder; {expected}"
    if parts[0] == MAPPINGS_FOLDER:
        return f"not a mapping file: the adapters read {ACCOUNT_MAP} and {SURVEY_MAP} only"
    if parts[0] not in sources:
        known = ", ".join([*sources, *ADAPTER_FOLDERS])
        return f"unknown folder {parts[0]}/ (known sources: {known})"
    if len(parts) == 2:
        return f"outside an entity folder: directly in {parts[0]}/; {expected}"
    known = ", ".join(e.folder + "/" for e in ENTITIES if e.source == parts[0])
    return f"unknown folder {parts[0]}/{parts[1]}/ (known: {known})"


def discover(landing_dir: Path) -> Landing:
    """Every entry under ``landing_dir``: entity files by raw table, and the ignored ones."""
    landing = Landing(files={e.table: [] for e in ENTITIES}, ignored=[], adapter_files={a: [] for a in ADAPTER_FOLDERS})
    if not landing_dir.is_dir():
        return landing
    for top, dirs, names in os.walk(landing_dir, followlinks=False):
        here = Path(top)
        entries: list[tuple[Path, bool]] = [(here / n, False) for n in names]
        for d in list(dirs):
            if d.startswith(".") or (here / d).is_symlink():
                dirs.remove(d)  # not walked; reported as one entry
                entries.append((here / d, True))
        dirs.sort()
        for path, is_dir in entries:
            rel = path.relative_to(landing_dir).as_posix()
            parts = rel.split("/")
            entity: Entity | None = ENTITY_BY_FOLDER.get("/".join(parts[:2])) if len(parts) >= 3 else None
            if any(p.startswith(".") for p in parts):
                reason = (
                    "hidden: a dot-folder (not walked)" if is_dir and not path.is_symlink() else "hidden: a dot-file"
                )
            elif entity is None and rel in (ACCOUNT_MAP, SURVEY_MAP):
                continue  # read by the adapters on every run, not loaded as a file
            elif entity is None and parts[0] in ADAPTER_FOLDERS and len(parts) >= 2:
                reason = _not_regular(path)
                if reason is None:
                    landing.adapter_files[parts[0]].append(path)
                    continue
            elif entity is None:
                reason = _misplaced(parts)
            else:
                reason = _not_regular(path)
                if reason is None:
                    landing.files[entity.table].append(path)
                    continue
            info = _lstat(path)
            landing.ignored.append(
                Ignored(
                    rel=display(rel),
                    entity=entity.table if entity else NO_ENTITY,
                    reason=reason,
                    size=info.st_size if info else 0,
                    mtime_ns=info.st_mtime_ns if info else 0,
                )
            )
    for files in [*landing.files.values(), *landing.adapter_files.values()]:
        files.sort()
    landing.ignored.sort(key=lambda i: i.rel)
    return landing


class ReadablePaths:
    """Paths DuckDB reads as exactly the file: the path itself when it is plain, else a
    symlink with a plain name (``f<n><extension>``) in a temp folder removed by ``close``."""

    def __init__(self) -> None:
        self._folder: str | None = None
        self._links: dict[Path, str] = {}

    def __call__(self, path: Path) -> Path:
        text = str(path)
        if SAFE_PATH.fullmatch(text):
            return path
        if path not in self._links:
            if self._folder is None:
                self._folder = tempfile.mkdtemp(prefix="cxcs_landing_")
            name = path.name.lower()
            # The extension chooses the reader and the decompression: keep it (when plain).
            ext = ".jsonl.gz" if name.endswith(".jsonl.gz") else os.path.splitext(name)[1]
            ext = ext if SAFE_PATH.fullmatch(ext or "x") else ""
            link = os.path.join(self._folder, f"f{len(self._links)}{ext}")
            os.symlink(os.path.abspath(path), link)
            self._links[path] = link
        return Path(self._links[path])

    def close(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder, self._links = None, {}


def sha256_file(path: Path) -> str:
    """The content hash the manifest keys a file by."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
