"""The benchmark's plumbing on tiny inputs: known answers, never timings (benchmarks/)."""

import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import torch

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.nets.registry import build_model
from cam_core.paths import repo_root
from cam_core.report import pipeline


def _load_bench():
    path = repo_root() / "benchmarks" / "bench_cam.py"
    spec = importlib.util.spec_from_file_location("bench_cam", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_cam"] = module
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def _overhead(model, contender, seconds, images=4):
    return [
        {
            "part": "overhead",
            "model": model,
            "contender": contender,
            "repeat": r,
            "position": 0,
            "images": images,
            "seconds": s,
        }  # fmt: skip
        for r, s in enumerate(seconds)
    ]


def _e2e(library, maps, boxes, images=4):
    rows = []
    for r, (m, b) in enumerate(zip(maps, boxes, strict=True)):
        for phase, s in (("maps", m), ("boxes", b)):
            rows.append(
                {
                    "part": "e2e",
                    "model": "net",
                    "contender": library,
                    "repeat": r,
                    "position": 0,
                    "images": images,
                    "phase": phase,
                    "seconds": s,
                }
            )
    return rows


def known_timings() -> pd.DataFrame:
    rows = []
    # forward: medians 4 s / 4 images = 1 s per image (the 40 s outlier does not count)
    rows += _overhead("net", "forward", [4.0, 40.0, 3.0, 5.0, 4.0])
    rows += _overhead("net", "top1", [0.04, 0.04, 0.04, 0.04, 0.04])  # 1.01
    rows += _overhead("net", "top5", [0.2, 0.1, 0.4, 0.2, 0.3])  # median 0.2 -> 1.05
    rows += _overhead("net", "all_native", [0.4] * 5)  # 1.10
    rows += _overhead("net", "all_full", [3.0] * 5, images=1)  # 3 s / image -> 4.0
    # per repeat totals: cam_core 2, 2, 4 -> 2; torchcam 3, 2, 2 -> 2; grad-cam 21, 19, 20 -> 20
    rows += _e2e("cam_core", [1.5, 1.0, 3.5], [0.5, 1.0, 0.5])
    rows += _e2e("torchcam", [2.0, 1.0, 1.5], [1.0, 1.0, 0.5])
    rows += _e2e("pytorch-grad-cam", [20.0, 18.0, 19.0], [1.0, 1.0, 1.0])
    rows += [
        {
            "part": "boxes",
            "model": "-",
            "contender": "cam_core",
            "repeat": r,
            "position": 0,
            "images": 100,
            "seconds": s,
        }  # fmt: skip
        for r, s in enumerate([0.5, 0.25, 1.0])
    ]
    return pd.DataFrame(rows)


def known_memory() -> pd.DataFrame:
    rows = []
    for library, rss in (("cam_core", [500, 600, 610, 612, 611]), ("torchcam", [600, 620, 700])):
        for b, value in enumerate(rss):
            peak = float(max(rss[: b + 1]))
            rows.append(
                {
                    "library": library,
                    "batch": b,
                    "images": 100 * (b + 1),
                    "rss_mib": float(value),
                    "peak_mib": peak,
                }
            )
    return pd.DataFrame(rows)


def test_summary_ratios_from_known_timings():
    summary = bench.summarize(
        known_timings(), known_memory(), {"native": 2e-7, "image_size": 3e-7}, warmup_images=200
    )
    assert list(summary.columns) == ["name", "value", "target", "met"]
    got = dict(zip(summary["name"], summary["value"], strict=True))
    met = dict(zip(summary["name"], summary["met"], strict=True))
    assert got["net: (forward + top-1 CAMs at image size) / forward"] == pytest.approx(1.01)
    top5 = "net: (forward + top-5 CAMs at image size) / forward"
    assert got[top5] == pytest.approx(1.05) and met[top5] == "yes"  # the bound itself is met
    assert got["net: (forward + all-class CAMs at the map's size) / forward"] == pytest.approx(1.1)
    full = "net: (forward + all-class CAMs at image size) / forward"
    assert got[full] == pytest.approx(4.0) and met[full] == "no"  # per image: 1 of 4 timed
    assert got["cam_core localization, images/s (maps + boxes)"] == pytest.approx(2.0)
    tc = "localization images/s, cam_core / torchcam (maps + boxes)"
    assert got[tc] == pytest.approx(1.0) and met[tc] == "no"
    assert got["localization images/s, cam_core / torchcam (maps only)"] == pytest.approx(1.0)
    gc = "localization images/s, cam_core / pytorch-grad-cam (maps + boxes)"
    assert got[gc] == pytest.approx(10.0) and met[gc] == "yes"
    # maps only: medians 1.5 (cam_core) and 19 (grad-cam)
    assert got["localization images/s, cam_core / pytorch-grad-cam (maps only)"] == pytest.approx(
        19 / 1.5
    )
    assert got["box extraction, maps/s"] == pytest.approx(200.0)
    assert not any("CPU time" in name for name in got)  # no CPU seconds given
    # growth = last - first sample at or after warm-up (200 images)
    assert got["cam_core: RSS growth after warm-up, MiB"] == pytest.approx(11.0)
    assert met["cam_core: RSS growth after warm-up, MiB"] == "yes"
    assert got["torchcam: RSS growth after warm-up, MiB"] == pytest.approx(80.0)
    assert met["torchcam: RSS growth after warm-up, MiB"] == "no"
    assert got["cam_core: peak RSS, MiB"] == pytest.approx(612.0)
    agree = "max |cam_core - torchcam| after min-max"
    assert got[agree] == pytest.approx(3e-7) and met[agree] == "yes"
    assert set(summary.loc[summary["target"] == "", "met"]) == {""}


def test_cpu_time_ratios_when_recorded():
    t = known_timings()
    t["cpu_seconds"] = t["seconds"] / 2
    t.loc[(t["part"] == "e2e") & (t["contender"] == "torchcam"), "cpu_seconds"] = 3.0
    got = dict(zip(*bench.summarize(t)[["name", "value"]].T.values, strict=True))
    # torchcam: 3 + 3 = 6 s per repeat; cam_core: medians of (1, 1, 2) = 1 s
    assert got["localization, cam_core / torchcam, process CPU time (maps + boxes)"] == 6.0


def test_agreement_beyond_tolerance_is_a_miss():
    summary = bench.summarize(known_timings(), None, {"native": 2e-7, "image_size": 5e-3})
    row = summary[summary["name"].str.startswith("max |cam_core")].iloc[0]
    assert row["value"] == pytest.approx(5e-3) and row["met"] == "no"


def test_check_targets():
    assert bench.check(1.05, "<= 1.05") == "yes"
    assert bench.check(1.0501, "<= 1.05") == "no"
    assert bench.check(5.0, ">= 5") == "yes"
    assert bench.check(4.99, ">= 5") == "no"
    assert bench.check(123.0, "") == ""
    with pytest.raises(ValueError, match="target must read"):
        bench.check(1.0, "< 2")


def test_rotate_interleaves_the_contenders():
    orders = [bench.rotate(["a", "b", "c"], r) for r in range(4)]
    assert orders == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"]]


def test_map_difference_ignores_scale_and_offset_only():
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(2, 3, 7, 9)).astype(np.float32)
    assert bench.max_map_difference(maps, maps) == 0.0
    # a positive scale and an offset per map vanish under min-max
    assert bench.max_map_difference(maps, 3.0 * maps + 2.0) < 1e-6
    assert bench.max_map_difference(torch.from_numpy(maps), maps) == 0.0
    # a deliberately different map is caught
    other = maps.copy()
    other[1, 2, 3, 4] = other[1, 2].max() + 1.0  # one pixel becomes the new maximum
    assert bench.max_map_difference(maps, other) > 1e-2
    swapped = maps[:, ::-1].copy()  # maps of other classes
    assert bench.max_map_difference(maps, swapped) > 1e-1
    # a negated map (ReLU'd the other way round) is not the same answer
    assert bench.max_map_difference(maps, -maps) > 0.5
    with pytest.raises(ValueError, match="map shapes differ"):
        bench.max_map_difference(maps, maps[:, :2])


def test_minmax_constant_map_is_zero():
    out = bench.minmax(np.full((1, 1, 3, 3), 7.0))
    assert np.array_equal(out, np.zeros((1, 1, 3, 3)))


def test_localize_known_boxes():
    maps = np.zeros((2, 2, 8, 8), np.float32)
    maps[:, 0, 2:5, 3:6] = 1.0  # rank 1: a blob, box (3, 2, 6, 5)
    maps[:, 1, 0:2, 0:2] = 1.0  # rank 2: box (0, 0, 2, 2)
    gt = np.array([[3.0, 2.0, 6.0, 5.0], [0.0, 0.0, 2.0, 2.0]])
    top = np.array([[7, 3], [7, 3]])
    labels = np.array([7, 3])
    scores = bench.localize(top, maps, labels, gt, 0.2)
    # image 0: right class and box at rank 1; image 1: right class and box at rank 2 only
    assert scores["top1"] == pytest.approx(0.5) and scores["top2"] == pytest.approx(0.0)
    assert scores["mean_top1_box_iou"] == pytest.approx(0.5)  # IoU 1 and 0


def test_synthetic_truth_is_valid_and_seeded():
    labels, boxes = bench.synthetic_truth(50, 64, 10, seed=3)
    again = bench.synthetic_truth(50, 64, 10, seed=3)
    assert np.array_equal(labels, again[0]) and np.array_equal(boxes, again[1])
    assert labels.min() >= 0 and labels.max() < 10
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= 64).all()
    assert (boxes[:, 2:] > boxes[:, :2]).all()


def test_all_class_chunks_cover_every_map():
    fmap = torch.rand(5, 4, 3, 3)
    weight = torch.randn(6, 4)
    assert bench._all_classes_chunked(fmap, weight, 2, size=(6, 6)) == 5 * 6


def test_rss_is_read_where_linux_has_it():
    status = bench.proc_status()
    if Path("/proc/self/status").is_file():
        assert status["VmRSS"] > 0 and status["VmHWM"] >= status["VmRSS"] * 0.5


def test_quick_config_is_smaller_than_the_full_run():
    full, quick = bench.Config(), bench.QUICK
    assert full.batch == 32 and full.image_size == 224 and full.long_images == 10_000
    assert quick.batch < full.batch and quick.long_images < full.long_images
    assert set(full.models) == {"googlenet-gap", "vgg16-gap"}


# --- with the peer libraries (the `bench` extra); skipped where it is not installed -------


def _tiny_cam_net():
    torch.manual_seed(0)
    return build_model("small-vgg-gap", 7, width=0.25).eval()


def test_cam_core_agrees_with_torchcam_on_a_tiny_net():
    pytest.importorskip("torchcam")
    model = _tiny_cam_net()
    x = torch.randn(3, 3, 32, 32)
    agree, top = bench.agreement(model, x, 2)
    assert top.shape == (3, 2)
    assert agree["native"] < 1e-5 and agree["image_size"] < 1e-5


def test_every_library_gives_maps_and_boxes_of_the_same_shape():
    pytest.importorskip("torchcam")
    pytest.importorskip("pytorch_grad_cam")
    model = _tiny_cam_net()
    x = torch.randn(2, 3, 32, 32)
    labels, gt = bench.synthetic_truth(2, 32, 7, seed=0)
    tops = {}
    for library in bench.LIBRARIES:
        with bench.extractor(library, model) as maps_of:
            top, maps = maps_of(x, 3)
        assert tuple(maps.shape) == (2, 3, 32, 32), library
        tops[library] = torch.as_tensor(top)
        assert set(bench.localize(top, maps, labels, gt, 0.2)) == {
            "top1",
            "top3",
            "mean_top1_box_iou",
        }
    # same model, same images: the same classes
    assert torch.equal(tops["cam_core"], tops["torchcam"])
    assert torch.equal(tops["cam_core"], tops["pytorch-grad-cam"])
    # no hooks left behind
    assert not model.features._forward_hooks


# --- the book page -------------------------------------------------------------------------


def test_book_page_says_not_measured_without_a_run(tmp_path, monkeypatch):
    monkeypatch.setenv("CAM_REPRO_ROOT", str(tmp_path))
    page = pipeline.publish_performance(tmp_path / "generated")
    text = page.read_text()
    assert page.suffix == ".md" and "Not measured yet" in text and "make bench" in text


def test_book_page_is_the_latest_run(tmp_path, monkeypatch):
    monkeypatch.setenv("CAM_REPRO_ROOT", str(tmp_path))
    executed = tmp_path / "results" / "bench" / "performance.ipynb"
    executed.parent.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Performance\n\nmeasured"))
    generated = tmp_path / "generated"
    placeholder = pipeline.publish_performance(generated)
    nbformat.write(nb, executed)
    page = pipeline.publish_performance(generated)
    assert page.read_bytes() == executed.read_bytes()
    assert not placeholder.exists()  # one source for the page, never both
    executed.unlink()
    assert pipeline.publish_performance(generated) == placeholder and not page.exists()


def _fake_run(out: Path) -> None:
    timings = known_timings()
    memory = known_memory()
    agree = {"native": 2e-7, "image_size": 3e-7}
    summary = bench.summarize(timings, memory, agree, warmup_images=200)
    cfg = bench.dataclasses.replace(bench.QUICK, models=("net",), e2e_model="net", topk=2)
    prov = {
        "started_utc": "2026-01-01T00:00:00+00:00",
        "wall_time_s": 60.0,
        "git_commit": "0123456789abcdef",
        "cpu_model": "Test CPU",
        "cpu_count": 2,
        "torch_threads": 2,
        "load_average_start": [1.0, 1.0, 1.0],
        "load_average_end": [2.0, 1.0, 1.0],
        "packages": {"torch": "2.13.0"},
        "peer_packages": {"torchcam": "x", "grad-cam": "y", "opencv-python-headless": "z"},
        "parameters": {"config": bench.dataclasses.asdict(cfg)},
        "max_abs_difference_to_pytorch_grad_cam_relu_minmax": 1e-6,
    }
    prof = pd.DataFrame(
        [{"model": "net", "op": "aten::where", "self_cpu_ms": 3.0, "share": 0.75},
         {"model": "net", "op": "aten::upsample_bilinear2d", "self_cpu_ms": 1.0, "share": 0.25}]
    )  # fmt: skip
    bench.write_results(out, timings, memory, summary, prof, prov)


@pytest.mark.slow
def test_performance_notebook_with_and_without_a_run(tmp_path):
    """The page executes in both states: plain words without a run, verdicts with one."""
    papermill = pytest.importorskip("papermill")

    def execute(folder: Path) -> str:
        out = tmp_path / f"{folder.name}.ipynb"
        with pipeline.venv_kernel():
            papermill.execute_notebook(
                pipeline.read_notebook(repo_root() / "notebooks" / "performance.py"),
                str(out),
                parameters={"bench_dir": str(folder), "cpu_dir": str(folder)},
                kernel_name=pipeline.KERNEL_NAME,
                progress_bar=False,
                cwd=str(repo_root()),
            )
        cells = nbformat.read(out, as_version=4).cells
        return json.dumps([c.get("outputs", []) for c in cells if c.cell_type == "code"])

    empty = execute(tmp_path / "none")
    assert "Not measured yet" in empty and "image/png" not in empty
    assert "Not logged yet" in empty
    _fake_run(tmp_path / "run")
    runs = [  # a first run of two notebooks, then a cached rerun (pipeline.RunLog's format)
        ("2026-01-01T10:00:00.000001+00:00", "table1", "executed", 600.0),
        ("2026-01-01T10:00:00.000001+00:00", "table2", "executed", 60.0),
        ("2026-01-01T10:00:00.000001+00:00", "(run)", "", 662.5),
        ("2026-01-01T11:00:00.000001+00:00", "table1", "cached", 0.0),
        ("2026-01-01T11:00:00.000001+00:00", "table2", "cached", 0.0),
        ("2026-01-01T11:00:00.000001+00:00", "(run)", "", 0.4),
    ]
    log = pd.DataFrame(runs, columns=["run", "item", "outcome", "wall_s"])
    log = log.assign(cpu_count=2, load_at_start=0.5, git_commit="abcdef1234567890")
    log.to_csv(tmp_path / "run" / "runs.csv", index=False)
    page = execute(tmp_path / "run")
    assert "Not measured yet" not in page and "Not logged yet" not in page
    assert "11.0 min for 2 notebooks" in page and "table1 10.0 min, table2 1.0 min" in page
    assert "0.4 s for 2 notebooks, all cached" in page and "`abcdef123456`" in page
    assert "Test CPU" in page and "2 torch thread(s)" in page
    assert "image/png" in page  # the plot
    assert "**met**" in page and "**missed**" in page
    assert "aten::where" in page
