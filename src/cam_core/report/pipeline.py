"""Execute the notebooks with papermill, skip unchanged ones, and publish them to the book.

A notebook is re-executed only when its cache key changes: the hash of its jupytext
source, of every file of the ``cam_core`` package, of its resolved parameters and of the
profile's data fingerprint. The key of the last *successful* run is kept in
``results/<profile>/.cache/<item>.json``; a failed run leaves the previous executed
notebook and results in place and is retried next time.
"""

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import jupytext
import nbformat
import pandas as pd
import yaml

from cam_core import paths
from cam_core.common import profiles, results
from cam_core.common.deviations import deviations_markdown
from cam_core.fingerprint import source_fingerprint
from cam_core.report import gpu_check, launch, site
from cam_core.report import scoreboard as report_scoreboard
from cam_core.validate import fail

__all__ = [
    "Job",
    "Layout",
    "RunLog",
    "run_summary",
    "cache_key",
    "code_hash",
    "plan",
    "publish",
    "run",
]

SCOREBOARD_PAGE = "scoreboard"
# Guide pages: run after the items when their notebook exists (the example runs every build).
GUIDE_PAGES = ("own_model",)
# Not run per profile: `make bench` executes it into results/bench/ (benchmarks/bench_cam.py).
PERFORMANCE_PAGE = "performance"
DIFFERENCES_PAGE = "differences.md"  # included by book/run-it-yourself.md
KERNEL_NAME = "python3"


def guide_pages() -> list[str]:
    """The :data:`GUIDE_PAGES` whose notebook exists in :func:`notebooks_dir`."""
    return [g for g in GUIDE_PAGES if (notebooks_dir() / f"{g}.py").is_file()]


def notebooks_dir() -> Path:
    """The jupytext sources, ``<repo>/notebooks``."""
    return paths.repo_root() / "notebooks"


def book_generated_dir() -> Path:
    """Where executed notebooks are copied for the book, ``<repo>/book/generated``."""
    return paths.repo_root() / "book" / "generated"


def code_hash(package_dir: Path | None = None) -> str:
    """Hash of every source and data file of the cam_core package (no caches)."""
    return source_fingerprint(package_dir or Path(__file__).resolve().parents[1])


def cache_key(source: bytes, params: dict[str, Any], code: str, data: str) -> str:
    """The key a notebook run is cached under; any change to an input changes it."""
    parts = {
        "source": hashlib.sha256(source).hexdigest(),
        "params": params,
        "code": code,
        "data": data,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@dataclass
class Job:
    """One notebook to execute (or skip): its source, injected parameters and cache key."""

    name: str
    source: Path
    params: dict[str, Any]
    key: str = ""
    parts: dict[str, str] = field(default_factory=dict)


class Layout:
    """Paths of one profile's run under ``out_dir`` (``results/<profile>``)."""

    def __init__(self, out_dir: str | Path) -> None:
        self.root = Path(out_dir)
        self.notebooks = self.root / "notebooks"
        self.cache = self.root / ".cache"
        self.staging = self.root / ".staging"
        self.failed = self.root / results.FAILED_DIR

    def executed(self, name: str) -> Path:
        return self.notebooks / f"{name}.ipynb"

    def record(self, name: str) -> Path:
        return self.cache / f"{name}.json"


def parse_overrides(pairs: list[str] | None) -> dict[str, Any]:
    """``["epochs=2", "networks=[a, b]"]`` to a dict; values are parsed as YAML."""
    overrides: dict[str, Any] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail("-p", "NAME=VALUE", repr(pair))
        try:
            overrides[name.strip()] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError:
            fail(name.strip(), "a YAML value", repr(value))
    return overrides


def plan(
    profile: str,
    only: list[str] | None = None,
    overrides: dict[str, Any] | None = None,
    data_root: str | None = None,
    device: str | None = None,
    out_dir: str | None = None,
) -> list[Job]:
    """Validate everything and list the notebooks to run; raises InputError, writes nothing."""
    profiles.check_profile(profile)
    items = profiles.item_names()
    for name in only or []:
        if name not in GUIDE_PAGES:
            profiles.check_item(name)
    selected = [item for item in items if not only or item in only]
    overrides = dict(overrides or {})
    for name in ("profile", "out_dir"):
        if name in overrides:
            fail(name, f"--{name.replace('_', '-')} instead of -p", "-p " + name)
    common = {"profile": profile, "data_root": data_root, "device": device, "out_dir": out_dir}
    jobs = []
    guides = [g for g in guide_pages() if not only or g in only]
    for item in [*selected, *guides, SCOREBOARD_PAGE]:
        extra = overrides
        if item in profiles.PAGES:  # a page: only the common parameters apply
            extra = {k: v for k, v in overrides.items() if k in profiles.load_config()["common"]}
        params = profiles.validate_parameters(item, **{**common, **extra})
        params.pop("item")
        source = notebooks_dir() / f"{item}.py"
        if not source.is_file():
            fail("notebook", f"a jupytext source at {source}", "no such file")
        jobs.append(Job(name=item, source=source, params=params))
    return jobs


def _scoreboard_fingerprint(out_dir: Path) -> str:
    path = out_dir / results.SCOREBOARD_FILE
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "none"


def _reason(old: dict[str, Any] | None, parts: dict[str, str], executed: bool) -> str:
    if old is None:
        return "no successful run yet"
    if not executed:
        return "results missing"
    changed = [k for k in ("source", "code", "params", "data") if old.get(k) != parts[k]]
    names = {"source": "notebook", "code": "cam_core code", "params": "parameters"}
    return ", ".join(names.get(k, k) for k in changed) + " changed" if changed else "forced"


@contextlib.contextmanager
def venv_kernel() -> Iterator[None]:
    """Make kernel ``python3`` this interpreter, whatever kernel specs the user has.

    A private kernel spec is put first on ``JUPYTER_PATH``, so neither a user-wide nor a
    system ``python3`` spec can start another Python.
    """
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "PYDEVD_DISABLE_FILE_VALIDATION")}
    with tempfile.TemporaryDirectory(prefix="cam-repro-kernel-") as tmp:
        spec_dir = Path(tmp) / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        spec = {
            # The kernel's own log (plain-TCP notice, shutdown interrupt) is noise here;
            # errors in cells still reach the executed notebook and fail the run.
            "argv": [
                sys.executable,
                "-m",
                "ipykernel_launcher",
                "-f",
                "{connection_file}",
                "--IPKernelApp.log_level=CRITICAL",
            ],
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [tmp, saved["JUPYTER_PATH"]]))
        os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # silence the frozen-modules note
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def read_notebook(source: Path) -> nbformat.NotebookNode:
    """The jupytext percent-format ``source`` as a notebook with the ``python3`` kernel."""
    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata.pop("jupytext", None)
    return nb


def execute(job: Job, layout: Layout, progress_bar: bool = True) -> None:
    """Run ``job``'s notebook with papermill into ``layout``; raises on failure."""
    import papermill

    layout.staging.mkdir(parents=True, exist_ok=True)
    staged = layout.staging / f"{job.name}.ipynb"
    try:
        papermill.execute_notebook(
            read_notebook(job.source),
            str(staged),
            parameters=job.params,
            kernel_name=KERNEL_NAME,
            progress_bar=progress_bar,
            cwd=str(paths.repo_root()),
            request_save_on_cell_execute=False,
        )
    except BaseException:
        if staged.exists():
            layout.failed.mkdir(parents=True, exist_ok=True)
            os.replace(staged, layout.failed / staged.name)
        raise
    layout.notebooks.mkdir(parents=True, exist_ok=True)
    os.replace(staged, layout.executed(job.name))
    (layout.failed / staged.name).unlink(missing_ok=True)


def _placeholder(name: str, profile: str) -> nbformat.NotebookNode:
    titles = {SCOREBOARD_PAGE: "Scoreboard", "own_model": "CAMs for your own model"}
    title = titles[name] if name in titles else profiles.item_info(name)["title"]
    text = (
        f"# {title}\n\nThis page has not been executed for the `{profile}` profile yet. "
        f"Run `cam-repro run --profile {profile} --only {name}` and rebuild the book."
    )
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(text))
    return nb


def _marked_stale(
    nb: nbformat.NotebookNode, name: str, stale: str, profile: str
) -> nbformat.NotebookNode:
    """The last good page with a first cell saying that a later run of it failed."""
    text = (
        f"**{stale.capitalize()}.** The latest run of this page failed; what follows is its last "
        f"good run. See `results/{profile}/{results.FAILED_DIR}/{name}.ipynb` for the error."
    )
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(text))
    return nb


def publish(layout: Layout, profile: str, book_dir: Path | None = None) -> Path:
    """Copy the profile's executed notebooks to ``book/generated`` (placeholders for gaps)."""
    book_dir = book_dir or book_generated_dir()
    book_dir.mkdir(parents=True, exist_ok=True)
    guides = guide_pages()
    names = [*profiles.item_names(), *guides, SCOREBOARD_PAGE]
    for stale in book_dir.glob("*.ipynb"):
        if stale.stem not in [*names, PERFORMANCE_PAGE]:
            stale.unlink()
    for name in names:
        executed = layout.executed(name)
        stale = results.stale_mark(layout.root, name)
        if executed.is_file():
            nb = nbformat.read(executed, as_version=4)
            if stale:
                nb = _marked_stale(nb, name, stale, profile)
            nb = site.site_page(nb, name, layout.root, book_dir)
        else:
            nb = _placeholder(name, profile)
        page = nbformat.writes(nb).encode()
        target = book_dir / f"{name}.ipynb"
        # unchanged pages keep their mtime, so Sphinx does not re-read them
        if not target.is_file() or target.read_bytes() != page:
            results.atomic_write_bytes(target, page)
    results.atomic_write_text(book_dir / "PROFILE", profile + "\n")
    differences = book_dir / DIFFERENCES_PAGE
    text = deviations_markdown()
    if not differences.is_file() or differences.read_text() != text:
        results.atomic_write_text(differences, text)
    publish_performance(book_dir)
    return book_dir


def publish_performance(book_dir: Path | None = None) -> Path:
    """Copy the Performance page of the latest ``make bench`` run (``results/bench/``) to the
    book, or write a Markdown page saying that nothing is measured yet."""
    book_dir = book_dir or book_generated_dir()
    executed = paths.repo_root() / "results" / "bench" / f"{PERFORMANCE_PAGE}.ipynb"
    if executed.is_file():
        target, page = book_dir / f"{PERFORMANCE_PAGE}.ipynb", executed.read_bytes()
    else:
        target = book_dir / f"{PERFORMANCE_PAGE}.md"
        page = (
            "# Performance\n\nNot measured yet: no `make bench` run has been made on this "
            "machine. Run `make bench`, then rebuild the book.\n\n"
            + gpu_check.gpu_section(gpu_check.read_summary())
        ).encode()
    for other in book_dir.glob(f"{PERFORMANCE_PAGE}.*"):  # one source per page
        if other != target:
            other.unlink()
    if not target.is_file() or target.read_bytes() != page:
        results.atomic_write_bytes(target, page)
    return target


class RunLog:
    """One row per notebook of one ``cam-repro run`` (executed, cached or failed, wall seconds)
    and a ``(run)`` row with the whole invocation, appended to ``<out_dir>/runs.csv``: the
    first-run and cached-rerun times the Performance page reports."""

    def __init__(self, out_dir: Path, started: float) -> None:
        """``started``: ``time.perf_counter()`` when the invocation began (hashing included)."""
        self.path = Path(out_dir) / "runs.csv"
        self.started = started
        self.commit = results.git_commit()
        self.run = datetime.now(UTC).isoformat(timespec="microseconds")
        self.load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        self.rows: list[dict[str, Any]] = []

    def add(self, item: str, outcome: str, wall_s: float) -> None:
        self.rows.append({"item": item, "outcome": outcome, "wall_s": round(wall_s, 2)})

    def write(self) -> None:
        whole = {
            "item": "(run)",
            "outcome": "",
            "wall_s": round(time.perf_counter() - self.started, 2),
        }
        machine = {
            "cpu_count": os.cpu_count(),
            "load_at_start": round(self.load, 2),
            "git_commit": self.commit,
        }
        new = pd.DataFrame([{"run": self.run, **r, **machine} for r in [*self.rows, whole]])
        old = pd.read_csv(self.path) if self.path.is_file() else None
        results.atomic_write_csv(self.path, new if old is None else pd.concat([old, new]))


def run_summary(out_dir: str | Path) -> pd.DataFrame:
    """One row per logged ``cam-repro run`` in ``<out_dir>/runs.csv``: notebooks executed,
    cached and failed, the seconds spent executing and the whole invocation's wall seconds."""
    path = Path(out_dir) / "runs.csv"
    if not path.is_file():
        columns = "run executed cached failed executing_s wall_s load_at_start git_commit"
        return pd.DataFrame(columns=columns.split())
    log = pd.read_csv(path)
    rows = []
    for run_id, part in log.groupby("run", sort=True):
        items = part[part["item"] != "(run)"]
        count = items["outcome"].value_counts()
        rows.append(
            {
                "run": run_id,
                "executed": int(count.get("executed", 0)),
                "cached": int(count.get("cached", 0)),
                "failed": int(count.get("failed", 0)),
                "executing_s": float(items.loc[items["outcome"] != "cached", "wall_s"].sum()),
                "wall_s": float(part.loc[part["item"] == "(run)", "wall_s"].sum()),
                "load_at_start": float(part["load_at_start"].iloc[0]),
                "git_commit": str(part["git_commit"].iloc[0]) if "git_commit" in part else "",
            }
        )
    return pd.DataFrame(rows)


def run(
    profile: str,
    only: list[str] | None = None,
    force: bool = False,
    overrides: dict[str, Any] | None = None,
    data_root: str | None = None,
    device: str | None = None,
    out_dir: str | None = None,
    book: bool = True,
    progress_bar: bool = True,
    stream: TextIO | None = None,
) -> int:
    """Execute the selected notebooks of ``profile``; returns the number that failed.

    Raises :class:`InputError` before touching anything when an argument is invalid.
    """
    started = time.perf_counter()
    stream = stream or sys.stdout
    jobs = plan(profile, only, overrides, data_root, device, out_dir)
    layout = Layout(jobs[0].params["out_dir"])
    code = code_hash()
    data = profiles.data_fingerprint(profile, jobs[0].params["data_root"])
    failed: list[str] = []
    width = len(str(len(jobs)))
    log = RunLog(layout.root, started)
    launch.run_stage(profile, {job.name: job.params for job in jobs}, stream)
    with venv_kernel():
        for number, job in enumerate(jobs, 1):
            if job.name == SCOREBOARD_PAGE:
                report_scoreboard.write_scoreboard(layout.root, profile)
                job_data = _scoreboard_fingerprint(layout.root)
            else:
                job_data = data
            source = job.source.read_bytes()
            job.parts = {
                "source": hashlib.sha256(source).hexdigest(),
                "code": code,
                "params": json.dumps(job.params, sort_keys=True),
                "data": job_data,
            }
            job.key = cache_key(source, job.params, code, job_data)
            record_path = layout.record(job.name)
            old = json.loads(record_path.read_text()) if record_path.is_file() else None
            done = layout.executed(job.name).is_file() and (
                job.name in profiles.PAGES or results.read_status(layout.root, job.name) is not None
            )
            prefix = f"[{number:>{width}}/{len(jobs)}] {job.name}"
            if not force and done and old is not None and old.get("key") == job.key:
                print(f"{prefix}: cached", file=stream, flush=True)
                log.add(job.name, "cached", 0.0)
                continue
            reason = _reason(old, job.parts, done)
            print(f"{prefix}: running ({reason})", file=stream, flush=True)
            start = time.perf_counter()
            try:
                execute(job, layout, progress_bar=progress_bar)
            except Exception as err:  # a failing notebook must not stop the others
                failed.append(job.name)
                summary = str(err).strip().splitlines()
                where = layout.failed / f"{job.name}.ipynb"
                print(
                    f"{prefix}: FAILED ({summary[-1] if summary else type(err).__name__}); "
                    f"see {where}",
                    file=stream,
                    flush=True,
                )
                log.add(job.name, "failed", time.perf_counter() - start)
                record_path.unlink(missing_ok=True)  # the next run retries it
                continue
            wall = time.perf_counter() - start
            log.add(job.name, "executed", wall)
            record = {
                "key": job.key,
                **job.parts,
                "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
                "wall_s": round(wall, 2),
            }
            results.atomic_write_json(record_path, record)
            print(f"{prefix}: done in {wall:.1f} s", file=stream, flush=True)
    board = report_scoreboard.write_scoreboard(layout.root, profile)
    log.write()
    print(f"scoreboard: {board}", file=stream)
    if book:
        print(f"book pages: {publish(layout, profile)}", file=stream)
    return len(failed)
