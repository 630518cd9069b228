"""The pipeline: cache keys, skipping unchanged notebooks, failures, the CLI's errors."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from cam_core.common import profiles
from cam_core.report import cli, pipeline
from cam_core.validate import InputError

ALL = [*profiles.item_names(), pipeline.SCOREBOARD_PAGE]


# --- cache keys ---------------------------------------------------------------------------


def test_cache_key_changes_with_each_input_only() -> None:
    base = dict(source=b"x = 1\n", params={"seed": 0, "profile": "smoke"}, code="c1", data="d1")
    key = pipeline.cache_key(**base)
    assert key == pipeline.cache_key(**base)
    assert key == pipeline.cache_key(**{**base, "params": {"profile": "smoke", "seed": 0}})
    changed = [
        {"source": b"x = 2\n"},
        {"params": {"seed": 1, "profile": "smoke"}},
        {"params": {"seed": 0, "profile": "cpu"}},
        {"code": "c2"},
        {"data": "d2"},
    ]
    keys = {pipeline.cache_key(**{**base, **change}) for change in changed}
    assert len(keys) == len(changed) and key not in keys


def test_code_hash_follows_sources_only(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("A = 1\n")
    (package / "p.yaml").write_text("k: 1\n")
    first = pipeline.code_hash(package)
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    (package / ".a.py.swp").write_text("editor")
    (package / "a.py~").write_text("backup")
    assert pipeline.code_hash(package) == first
    (package / "p.yaml").write_text("k: 2\n")
    second = pipeline.code_hash(package)
    assert second != first
    (package / "b.py").write_text("")
    assert pipeline.code_hash(package) not in (first, second)


def test_parse_overrides() -> None:
    assert pipeline.parse_overrides(["epochs=2", "networks=[a, b]", "threshold=0.3"]) == {
        "epochs": 2,
        "networks": ["a", "b"],
        "threshold": 0.3,
    }
    assert pipeline.parse_overrides(["data_root="]) == {"data_root": None}
    with pytest.raises(InputError, match="^-p: expected NAME=VALUE, got 'epochs'$"):
        pipeline.parse_overrides(["epochs"])


# --- planning: every error before any write -----------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "start"),
    [
        ({"profile": "gpu"}, "profile: expected one of smoke, cpu, full, got 'gpu'"),
        ({"profile": "smoke", "only": ["table9"]}, "notebook: expected one of table1"),
        ({"profile": "full"}, "data_root: expected a folder with the datasets"),
        ({"profile": "smoke", "overrides": {"epochs": "two"}}, "epochs: expected int"),
        ({"profile": "smoke", "overrides": {"seed": 1.5}}, "seed: expected int"),
        ({"profile": "smoke", "overrides": {"profile": "cpu"}}, "profile: expected --profile"),
        ({"profile": "smoke", "only": ["figure05"], "overrides": {"epochs": 1}}, "epochs: "),
    ],
)
def test_plan_errors(fake_repo: Path, kwargs: dict, start: str) -> None:
    with pytest.raises(InputError) as info:
        pipeline.plan(**kwargs)
    assert str(info.value).startswith(start)
    assert "\n" not in str(info.value)
    assert not (fake_repo / "results").exists()


def test_plan_selects_in_book_order(fake_repo: Path) -> None:
    jobs = pipeline.plan("smoke", only=["figure05", "table2"], overrides={"seed": 3})
    assert [job.name for job in jobs] == ["table2", "figure05", "scoreboard"]
    assert all(job.params["seed"] == 3 for job in jobs)
    assert jobs[0].params["out_dir"] == str(fake_repo / "results" / "smoke")
    assert "item" not in jobs[0].params
    assert set(jobs[-1].params) == {"profile", "data_root", "out_dir", "device", "seed"}


# --- caching, with a fake executor (no kernel) --------------------------------------------


class FakeExecutor:
    """Stands in for papermill: writes the executed notebook and the status record."""

    def __init__(self, fail: set[str] = frozenset()) -> None:
        self.calls: list[str] = []
        self.fail = set(fail)

    def __call__(self, job: pipeline.Job, layout: pipeline.Layout, progress_bar: bool) -> None:
        self.calls.append(job.name)
        failed = layout.failed / f"{job.name}.ipynb"  # as pipeline.execute keeps a failed run
        if job.name in self.fail:
            failed.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nbformat.v4.new_notebook(), failed)
            raise RuntimeError(f"{job.name} broke")
        failed.unlink(missing_ok=True)
        if job.name != pipeline.SCOREBOARD_PAGE:
            folder = layout.root / job.name
            folder.mkdir(parents=True, exist_ok=True)
            record = {"item": job.name, "status": "not yet", "profile": job.params["profile"]}
            (folder / "status.json").write_text(json.dumps(record))
        layout.notebooks.mkdir(parents=True, exist_ok=True)
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_markdown_cell(f"# {job.name}"))
        nbformat.write(nb, layout.executed(job.name))


def _run(monkeypatch: pytest.MonkeyPatch, fake: FakeExecutor, **kwargs: object) -> str:
    monkeypatch.setattr(pipeline, "execute", fake)
    fake.calls.clear()
    out = io.StringIO()
    failed = pipeline.run(kwargs.pop("profile", "smoke"), stream=out, **kwargs)
    assert failed == len([c for c in fake.calls if c in fake.fail])
    return out.getvalue()


def test_second_run_executes_nothing(fake_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeExecutor()
    first = _run(monkeypatch, fake)
    assert fake.calls == ALL
    assert first.count("running (no successful run yet)") == len(ALL)
    executed = fake_repo / "results" / "smoke" / "notebooks"
    mtimes = {p.name: p.stat().st_mtime_ns for p in executed.iterdir()}

    second = _run(monkeypatch, fake)
    assert fake.calls == []
    assert second.count(": cached") == len(ALL)
    assert {p.name: p.stat().st_mtime_ns for p in executed.iterdir()} == mtimes

    book = fake_repo / "book" / "generated"
    assert sorted(p.stem for p in book.glob("*.ipynb")) == sorted(ALL)
    assert (book / "PROFILE").read_text() == "smoke\n"
    board = (fake_repo / "results" / "smoke" / "scoreboard.csv").read_text().splitlines()
    assert len(board) == 1 + len(profiles.item_names())


def test_each_input_invalidates(fake_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeExecutor()
    _run(monkeypatch, fake)

    source = fake_repo / "notebooks" / "table2.py"
    source.write_text(source.read_text() + "\n# edited\n")
    out = _run(monkeypatch, fake)
    assert fake.calls == ["table2"]  # the scoreboard's input did not change
    assert "table2: running (notebook changed)" in out

    _run(monkeypatch, fake, overrides={"epochs": 2}, only=["table1"])
    assert fake.calls == ["table1"]
    _run(monkeypatch, fake, overrides={"epochs": 2}, only=["table1"])
    assert fake.calls == []

    monkeypatch.setattr(pipeline, "code_hash", lambda: "other code")
    out = _run(monkeypatch, fake)
    assert fake.calls == ALL
    assert "figure13: running (cam_core code changed)" in out

    monkeypatch.setattr(profiles, "data_fingerprint", lambda profile, root=None: "new data")
    _run(monkeypatch, fake)
    assert fake.calls == profiles.item_names()

    _run(monkeypatch, fake, force=True, only=["figure05"])
    assert fake.calls == ["figure05", "scoreboard"]


def test_missing_results_rerun(fake_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeExecutor()
    _run(monkeypatch, fake)
    (fake_repo / "results" / "smoke" / "table3" / "status.json").unlink()
    out = _run(monkeypatch, fake)
    assert fake.calls == ["table3"]
    assert "table3: running (results missing)" in out


def test_failed_notebook_is_retried(fake_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _run(monkeypatch, FakeExecutor(fail={"table3"}))
    assert "table3: FAILED (table3 broke)" in out
    assert not (fake_repo / "results" / "smoke" / ".cache" / "table3.json").exists()
    page = fake_repo / "book" / "generated" / "table3.ipynb"
    assert "has not been executed" in page.read_text()  # a placeholder page, not a gap
    fake = FakeExecutor()
    _run(monkeypatch, fake)
    assert fake.calls == ["table3", "scoreboard"]
    _run(monkeypatch, fake)
    runs = pipeline.run_summary(fake_repo / "results" / "smoke")  # one row per invocation
    assert runs[["executed", "cached", "failed"]].values.tolist() == [
        [len(ALL) - 1, 0, 1],
        [2, len(ALL) - 2, 0],
        [0, len(ALL), 0],
    ]
    assert (runs["wall_s"] >= runs["executing_s"]).all() and runs["executing_s"].iloc[2] == 0
    assert runs["wall_s"].iloc[2] > 0  # hashing and the scoreboard count, even when all cached
    assert list(pipeline.run_summary(fake_repo / "nowhere").columns) == list(runs.columns)


def test_a_failed_rerun_marks_the_old_result_stale(
    fake_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(monkeypatch, FakeExecutor())
    out = _run(monkeypatch, FakeExecutor(fail={"table3"}), force=True, only=["table3"])
    assert "table3: FAILED" in out
    board = pd.read_csv(fake_repo / "results" / "smoke" / "scoreboard.csv").set_index("item")
    assert board.loc["table3", "status"] == "stale (last good run: unknown)"
    assert not board.drop(index="table3")["status"].str.startswith("stale").any()
    page = (fake_repo / "book" / "generated" / "table3.ipynb").read_text()
    assert "Stale (last good run: unknown)" in page and "# table3" in page  # the old page
    _run(monkeypatch, FakeExecutor(), only=["table3"])  # a good run clears the mark
    board = pd.read_csv(fake_repo / "results" / "smoke" / "scoreboard.csv").set_index("item")
    assert not str(board.loc["table3", "status"]).startswith("stale")


# --- papermill for real, with notebooks that run in about a second ------------------------


def test_papermill_run_then_cached(fake_repo: Path) -> None:
    out = io.StringIO()
    assert pipeline.run("smoke", only=["table1"], stream=out, progress_bar=False) == 0
    results_dir = fake_repo / "results" / "smoke"
    executed = nbformat.read(results_dir / "notebooks" / "table1.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert 'profile = "smoke"' in injected[0].source
    assert f'out_dir = "{results_dir}"' in injected[0].source
    assert executed.cells[-1].outputs[0]["text"] == "table1 smoke\n"
    assert executed.metadata.kernelspec.name == "python3"
    status = json.loads((results_dir / "table1" / "status.json").read_text())
    assert status["profile"] == "smoke"
    assert (fake_repo / "book" / "generated" / "table1.ipynb").is_file()
    assert (fake_repo / "book" / "generated" / "scoreboard.ipynb").is_file()
    assert not os.environ.get("JUPYTER_PATH", "").count("cam-repro-kernel")

    out = io.StringIO()
    assert pipeline.run("smoke", only=["table1"], stream=out, progress_bar=False) == 0
    assert out.getvalue().count(": cached") == 2


def test_failing_papermill_keeps_previous_notebook(fake_repo: Path) -> None:
    assert pipeline.run("smoke", only=["table4"], stream=io.StringIO(), progress_bar=False) == 0
    executed = fake_repo / "results" / "smoke" / "notebooks" / "table4.ipynb"
    good = executed.read_bytes()
    source = fake_repo / "notebooks" / "table4.py"
    source.write_text(source.read_text() + '\n# %%\nraise ValueError("broken on purpose")\n')
    out = io.StringIO()
    assert pipeline.run("smoke", only=["table4"], stream=out, progress_bar=False) == 1
    assert "table4: FAILED" in out.getvalue()
    assert executed.read_bytes() == good
    failed = fake_repo / "results" / "smoke" / "failed" / "table4.ipynb"
    assert "broken on purpose" in failed.read_text()


# --- the command line ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--profile", "gpu"], "profile: expected one of smoke, cpu, full, got 'gpu'"),
        (["run", "--profile", "smoke", "--only", "table9"], "notebook: expected one of table1"),
        (["run", "--profile", "full"], "data_root: expected a folder with the datasets"),
        (["run", "--profile", "smoke", "-p", "epochs=two"], "epochs: expected int, got str"),
        (["scoreboard", "--profile", "gpu"], "profile: expected one of smoke, cpu, full"),
    ],
)
def test_cli_errors_are_one_line(
    fake_repo: Path,
    capsys: pytest.CaptureFixture,
    snapshot: object,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.delenv("CAM_DATA_ROOT", raising=False)
    marker = fake_repo / "results" / "smoke" / "table1" / "status.json"
    marker.parent.mkdir(parents=True)
    marker.write_text("{}")
    before = snapshot(fake_repo)
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"cam-repro: error: {message}")
    assert captured.err.count("\n") == 1
    assert snapshot(fake_repo) == before


def test_cli_entry_point(fake_repo: Path, snapshot: object) -> None:
    before = snapshot(fake_repo)
    exe = Path(sys.executable).with_name("cam-repro")
    done = subprocess.run([exe, "run", "--profile", "nope"], capture_output=True, text=True)
    assert done.returncode == 2
    assert (
        done.stderr == "cam-repro: error: profile: expected one of smoke, cpu, full, got 'nope'\n"
    )
    assert snapshot(fake_repo) == before


def test_cli_usage_error_is_one_line(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["run", "--bogus"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err == "cam-repro: error: unrecognized arguments: --bogus (see cam-repro --help)\n"


def test_cli_run_and_scoreboard(
    fake_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    fake = FakeExecutor()
    monkeypatch.setattr(pipeline, "execute", fake)
    assert cli.main(["run", "--profile", "smoke", "--only", "table5", "--no-progress"]) == 0
    assert fake.calls == ["table5", "scoreboard"]
    assert cli.main(["scoreboard", "--profile", "smoke"]) == 0
    assert "table5" in capsys.readouterr().out
    fake.fail = {"table5"}
    assert cli.main(["run", "--profile", "smoke", "--only", "table5", "--force"]) == 1
    assert capsys.readouterr().err == "cam-repro: error: 1 notebook(s) failed\n"


def test_cli_hands_check_data_to_the_manifest_checker(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["check-data", "no-such-dataset", "--root", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("cam-repro check-data: error: ")


def test_site_page_drops_machine_paths_and_progress_and_links_downloads(tmp_path: Path) -> None:
    from cam_core.report import site

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "cpu"', metadata={"tags": ["parameters"]})
    injected = nbformat.v4.new_code_cell(
        f'out_dir = "{tmp_path}/results/cpu"', metadata={"tags": ["injected-parameters"]}
    )
    run = nbformat.v4.new_code_cell("result = run(params)")
    run.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="epoch 1/3\n"),
        nbformat.v4.new_output("display_data", data={"text/html": "<div>verdict</div>"}),
    ]
    nb.cells = [params, injected, run]
    results_dir, book_dir = tmp_path / "results" / "cpu", tmp_path / "book" / "generated"
    (results_dir / "table2").mkdir(parents=True)
    (results_dir / "table2" / "claims.csv").write_text("item\ntable2\n")
    (results_dir / "table2" / "figure.png").write_bytes(b"png")  # not a download
    page = site.site_page(nb, "table2", results_dir, book_dir)
    assert [c.source for c in page.cells[:2]] == ['profile = "cpu"', "result = run(params)"]
    assert [o["output_type"] for o in page.cells[1].outputs] == ["display_data"]
    assert str(tmp_path) not in nbformat.writes(page)
    assert (
        '<a href="../downloads/table2/claims.csv" download>claims.csv</a>' in page.cells[-1].source
    )
    copied = book_dir / "site_files" / "downloads" / "table2"
    assert sorted(p.name for p in copied.iterdir()) == ["claims.csv"]
    assert len(nb.cells) == 3 and nb.cells[2].outputs[0]["name"] == "stdout"  # input untouched
    (results_dir / "table2" / "claims.csv").unlink()
    page = site.site_page(nb, "table2", results_dir, book_dir)
    assert "Downloads" not in page.cells[-1].source and not copied.exists()  # nothing stale


def test_gpu_section_projects_tables_1_to_3_from_the_measured_rates(tmp_path: Path) -> None:
    from cam_core.report import gpu_check

    assert "Not measured on a GPU yet" in gpu_check.gpu_section(None)
    path = tmp_path / "summary.csv"
    header = "metric,value,unit,device,ranks,image_size,commit\n"
    rows = ["train_images_per_s_per_gpu,1000,img/s", "eval_images_per_s_per_gpu,2000,img/s"]
    rows += ["box_maps_per_s,5000,maps/s", "gpu_utilisation,90,%"]
    path.write_text(header + "".join(f"{r},CPU (no CUDA): tiny size,1,64,abc\n" for r in rows))
    assert "last run was on CPU" in gpu_check.gpu_section(gpu_check.read_summary(path))
    path.write_text(header + "".join(f"{r},NVIDIA H200 x1,1,224,abcdef123456789\n" for r in rows))
    summary = gpu_check.read_summary(path)
    # by hand: 8 networks x 10 epochs x 1,281,167 images / 1000 img/s = 28.5 h on one GPU;
    # 18 scorings (8 + 6 + 3 baselines + Table 3) x 50,000 / 2000 img/s = 0.125 h
    table = gpu_check.projection(summary)
    assert table.loc[1].tolist() == [28.5, 0.1, 28.6]
    assert table.loc[8, "train (h)"] == 3.6
    text = gpu_check.gpu_section(summary)
    assert "**NVIDIA H200 x1**" in text and "`abcdef123456`" in text and "| 8 | 3.6 |" in text


def test_the_full_training_stage_runs_under_torchrun_on_every_rank(monkeypatch) -> None:
    from cam_core.report import launch

    params = {"table2": {"profile": "full", "seed": 0}, "figure05": {"profile": "full"}}
    monkeypatch.setenv("NPROC", "1")
    monkeypatch.setenv("NNODES", "1")
    assert launch.run_stage("full", params, io.StringIO()) is None  # one rank: in-process
    monkeypatch.setenv("NPROC", "4")
    assert launch.run_stage("cpu", params, io.StringIO()) is None  # only the full profile
    assert launch.run_stage("full", {"figure05": {}}, io.StringIO()) is None  # no stage item
    calls = []

    def fake_run(cmd, env):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(launch.subprocess, "run", fake_run)
    cmd = launch.run_stage("full", params, io.StringIO())
    assert calls == [cmd] and Path(cmd[0]).name == "torchrun"
    assert cmd[1:5] == ["--nproc_per_node=4", "--standalone", "-m", "cam_core.items.tables123"]
    assert json.loads(cmd[-1]) == {"table2": {"profile": "full", "seed": 0}}  # figure05 left out
    monkeypatch.setenv("NNODES", "2")
    with pytest.raises(InputError, match="^RDZV_ENDPOINT: "):
        launch.run_stage("full", params, io.StringIO())
    monkeypatch.setenv("RDZV_ENDPOINT", "node0:29500")
    cmd = launch.stage_command(params, 4, 2)
    assert "--nnodes=2" in cmd and "--rdzv_endpoint=node0:29500" in cmd
    monkeypatch.setenv("NPROC", "0")
    with pytest.raises(InputError, match="^NPROC: "):
        launch.rank_layout()
    monkeypatch.setattr(
        launch.subprocess, "run", lambda cmd, env: subprocess.CompletedProcess(cmd, 3)
    )
    monkeypatch.setenv("NPROC", "2")
    with pytest.raises(InputError, match="^training stage: .*exit status 3"):
        launch.run_stage("full", params, io.StringIO())
