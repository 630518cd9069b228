"""Experiment outputs: tidy CSVs, a status record and ``provenance.json``, written atomically.

Each item writes into ``<out_dir>/<item>/``. :class:`Experiment` stages every file in a
private folder next to it and swaps the folder in only when the experiment finished, with
``provenance.json`` written last, so a run that dies halfway leaves the previous results
whole. :func:`build_scoreboard` turns the status records into ``scoreboard.csv``.
"""

import contextlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from cam_core import paths
from cam_core.common import profiles
from cam_core.common.claims import STATUS_COLUMNS, ItemResult
from cam_core.common.verdicts import NOT_BUILT
from cam_core.validate import fail

STATUS_FILE = "status.json"
CLAIMS_FILE = "claims.csv"  # per item, and over all items under out_dir
FAILED_DIR = "failed"  # under out_dir: the executed copy of each notebook whose last run failed
PROVENANCE_FILE = "provenance.json"
SCOREBOARD_FILE = "scoreboard.csv"
SCOREBOARD_COLUMNS = [c for c in STATUS_COLUMNS if c not in ("headline", "notes")]
PACKAGES = (
    "torch",
    "torchvision",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "scikit-image",
    "matplotlib",
    "papermill",
    "cam-core",
)


# --- atomic file writes -------------------------------------------------------------------


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w") -> Iterator[io.IOBase]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one step.

    If the block raises, ``path`` is left as it was and the temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path, "w") as handle:
        handle.write(text)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def atomic_write_json(path: str | Path, obj: object) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def atomic_write_csv(path: str | Path, table: pd.DataFrame) -> None:
    """Write ``table`` as CSV (no index) to ``path`` atomically."""
    with atomic_open(path, "w") as handle:
        table.to_csv(handle, index=False)


# --- provenance ---------------------------------------------------------------------------


def git_commit(root: Path | None = None) -> str:
    """The checked-out commit (with ``+dirty`` for local changes), or ``"unknown"``."""
    root = root or paths.repo_root()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+dirty" if dirty else commit


def package_versions() -> dict[str, str]:
    """Installed versions of the packages the results depend on."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def _torch_threads() -> int | None:
    torch = sys.modules.get("torch")
    return int(torch.get_num_threads()) if torch is not None else None


def provenance(params: dict[str, Any], wall_time_s: float, started: str) -> dict[str, Any]:
    """Where, how and from what an experiment's results were produced."""
    return {
        "item": params["item"],
        "profile": params["profile"],
        "parameters": params,
        "git_commit": git_commit(),
        "packages": package_versions(),
        "device": params["device"],
        "seed": params["seed"],
        "data_fingerprint": profiles.data_fingerprint(params["profile"], params["data_root"]),
        "started_utc": started,
        "wall_time_s": round(wall_time_s, 3),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch_threads": _torch_threads(),
    }


# --- one experiment's results folder ------------------------------------------------------


def _recover(final: Path) -> None:
    """Restore ``final`` from a swap interrupted between its two renames."""
    if final.exists():
        return
    old = sorted(final.parent.glob(f".{final.name}.old-*"))
    if old:
        os.replace(old[-1], final)


class Experiment:
    """Stage an item's result files and publish them together when the block succeeds.

    ``params`` is what :func:`cam_core.common.profiles.validate_parameters` returned::

        with Experiment(params) as exp:
            exp.write_csv("table2.csv", table)
            exp.write_result(result)
    """

    def __init__(self, params: dict[str, Any]) -> None:
        for key in ("item", "profile", "out_dir", "device", "seed", "data_root"):
            if key not in params:
                fail("params", "the dict returned by profiles.validate_parameters", "no " + key)
        self.params = dict(params)
        self.final = Path(params["out_dir"]) / params["item"]
        self.staging: Path | None = None
        self.provenance: dict[str, Any] | None = None
        self._status_written = False

    def __enter__(self) -> "Experiment":
        self.final.parent.mkdir(parents=True, exist_ok=True)
        _recover(self.final)
        for stale in self.final.parent.glob(f".{self.final.name}.staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        self.staging = self.final.parent / f".{self.final.name}.staging-{uuid.uuid4().hex[:8]}"
        self.staging.mkdir()
        self._t0 = time.perf_counter()
        self._started = datetime.now(UTC).isoformat(timespec="seconds")
        return self

    def path(self, name: str) -> Path:
        """Where to write the result file ``name`` (inside the staging folder)."""
        if self.staging is None:
            fail("Experiment", "to be used inside a with block", "no staging folder")
        if Path(name).name != name or name in (PROVENANCE_FILE, STATUS_FILE):
            fail("name", "a plain file name other than provenance.json and status.json", name)
        return self.staging / name

    def write_csv(self, name: str, table: pd.DataFrame) -> Path:
        """Write a tidy table ``name`` (e.g. ``"table2.csv"``)."""
        path = self.path(name)
        atomic_write_csv(path, table)
        return path

    def write_json(self, name: str, obj: object) -> Path:
        """Write ``obj`` as JSON file ``name``."""
        path = self.path(name)
        atomic_write_json(path, obj)
        return path

    def save_figure(self, name: str, figure: Any, **kwargs: Any) -> Path:
        """Save a matplotlib figure as ``name`` (e.g. ``"figure05.png"``)."""
        path = self.path(name)
        with atomic_open(path, "wb") as handle:
            figure.savefig(handle, format=path.suffix.lstrip(".") or "png", **kwargs)
        return path

    def write_result(self, result: ItemResult) -> dict[str, Any]:
        """Write ``result``: each table as ``<name>.csv``, each figure as ``<name>.png``, its
        claims as ``claims.csv`` and its status record (:meth:`ItemResult.status_record`)."""
        if not isinstance(result, ItemResult):
            fail("result", "an ItemResult", type(result).__name__)
        for key in ("item", "profile"):
            if getattr(result, key) != self.params[key]:
                fail(f"result.{key}", repr(self.params[key]), repr(getattr(result, key)))
        for name, table in result.tables.items():
            self.write_csv(f"{name}.csv", table)
        for name, figure in result.figures.items():
            self.save_figure(f"{name}.png", figure)
        self.write_csv(CLAIMS_FILE, result.claims_table())
        record = result.status_record()
        atomic_write_json(self.staging / STATUS_FILE, record)
        self._status_written = True
        return record

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self.staging is not None
        if exc_type is not None or not self._status_written:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
            if exc_type is None:  # publish nothing without a status record
                fail("Experiment", "write_result() before the block ends", "no status record")
            return
        wall = time.perf_counter() - self._t0
        self.provenance = provenance(self.params, wall, self._started)
        atomic_write_json(self.staging / PROVENANCE_FILE, self.provenance)
        old = None
        if self.final.exists():
            old = self.final.parent / f".{self.final.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(self.final, old)
        os.replace(self.staging, self.final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self.staging = None


def write_result(params: dict[str, Any], result: ItemResult) -> dict[str, Any]:
    """Publish ``result`` under ``<out_dir>/<item>/`` with provenance (:class:`Experiment`)."""
    with Experiment(params) as experiment:
        return experiment.write_result(result)


# --- tables, status records and the scoreboard --------------------------------------------


def not_yet(table: pd.DataFrame) -> pd.DataFrame:
    """The paper's table with a ``here`` column that says "not built" on every row."""
    out = table.copy()
    out["here"] = NOT_BUILT
    return out


def stale_mark(out_dir: str | Path, item: str) -> str | None:
    """``"stale (last good run: <commit>)"`` when ``item``'s last run under ``out_dir``
    failed while an earlier result is still there, else None."""
    folder = Path(out_dir) / item
    if not (Path(out_dir) / FAILED_DIR / f"{item}.ipynb").is_file():
        return None
    if not (folder / STATUS_FILE).is_file():
        return None  # nothing earlier to be stale: the item is "not run"
    prov = folder / PROVENANCE_FILE
    commit = json.loads(prov.read_text()).get("git_commit") if prov.is_file() else None
    return f"stale (last good run: {str(commit or 'unknown')[:12]})"


def read_status(out_dir: str | Path, item: str) -> dict[str, Any] | None:
    """The status record of ``item`` under ``out_dir``, or None when it has none."""
    final = Path(out_dir) / item
    _recover(final)
    path = final / STATUS_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def read_provenance(out_dir: str | Path, item: str) -> dict[str, Any] | None:
    """The provenance record of ``item`` under ``out_dir``, or None when it has none."""
    path = Path(out_dir) / item / PROVENANCE_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def provenance_table(out_dir: str | Path, item: str) -> pd.DataFrame:
    """The headline fields of ``item``'s provenance as a two-column table for a page."""
    record = read_provenance(out_dir, item) or {}
    keys = ["profile", "git_commit", "device", "seed", "data_fingerprint", "wall_time_s"]
    keys += ["started_utc", "python", "platform", "cpu_count", "torch_threads"]
    rows = [(key, record.get(key, "")) for key in keys]
    rows += [(f"package {k}", v) for k, v in record.get("packages", {}).items()]
    return pd.DataFrame(rows, columns=["field", "value"]).astype(str).set_index("field")


def status_table(out_dir: str | Path, item: str) -> pd.DataFrame:
    """``item``'s status record as a two-column table for a page (empty cells for None)."""
    record = read_status(out_dir, item) or {}
    keys = [c for c in SCOREBOARD_COLUMNS if c not in ("item", "profile")]
    rows = [(key, "" if record.get(key) is None else str(record.get(key))) for key in keys]
    return pd.DataFrame(rows, columns=["field", "value"]).set_index("field")
