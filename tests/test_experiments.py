"""Tables 1-3 experiments: smoke-scale tables and claims, the checkpoint and evaluation
caches, and the full path (paper networks at 224 px on a miniature ILSVRC tree) on CPU."""

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import display, paper, profiles
from cam_core.common.claims import ItemResult
from cam_core.items import evaluation as items_evaluation
from cam_core.items import family as items_family
from cam_core.items import recipe as items_recipe
from cam_core.items import tables123
from cam_core.testing.miniature import make_miniature_ilsvrc
from cam_core.validate import InputError

SMALL_NETS = ["small-googlenet-gap", "small-googlenet-gmp", "small-googlenet", "small-alexnet-gap"]


def smoke_params(item: str, out_dir: Path, **knobs) -> dict:
    return profiles.validate_parameters(item, profile="smoke", out_dir=str(out_dir), **knobs)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """Tables 1-3 at smoke scale on four networks, run once for the module."""
    out = tmp_path_factory.mktemp("smoke")
    started = time.perf_counter()
    t1 = tables123.table1(smoke_params("table1", out, networks=SMALL_NETS))
    t2 = tables123.table2(
        smoke_params(
            "table2",
            out,
            networks=["small-googlenet-gap", "small-googlenet-gmp", "small-alexnet-gap"],
            baseline_networks=["small-googlenet"],
        )
    )
    t3 = tables123.table3(smoke_params("table3", out))
    return out, (t1, t2, t3), time.perf_counter() - started


def test_tables_put_paper_and_reproduced_side_by_side(smoke_run):
    _, (t1, t2, t3), _ = smoke_run
    assert all(isinstance(t, ItemResult) for t in (t1, t2, t3))
    table1 = t1.tables["table1"]
    assert list(table1["network"]) == list(paper.paper_table(1)["network"])
    row = table1.set_index("network").loc["GoogLeNet-GAP"]
    assert row["reproduced_by"] == "small-googlenet-gap" and row["seeds"] == 2
    assert row["diff_top1"] == pytest.approx(row["top1"] - row["paper_top1"], abs=0.011)
    assert table1.set_index("network").loc["VGGnet", "reproduced_by"] == "not run"
    assert pd.isna(table1.set_index("network").loc["VGGnet", "seeds"])
    assert t1.coverage == "partial"  # rows left out by request
    assert t1.headline_value == pytest.approx(row["top5"], abs=0.006)
    curves = t1.tables["learning_curves"]
    assert {"network", "seed", "epoch", "val_acc"} <= set(curves.columns)
    assert len(curves) == 6  # 4 networks, 2 of them with 2 seeds, 1 epoch
    assert set(t1.figures) == {"learning_curves"}
    times = t1.tables["training_times"]
    assert times["train_seconds"].ge(0).all() and times["cpu_seconds"].notna().all()
    assert times["threads"].ge(1).all() and not times["loaded_from_cache"].any()
    assert items_family.training_summary(times).startswith("6 trained members")
    assert t1.captions["training_times"].startswith("6 trained members")

    t2rows = t2.tables["table2"].set_index("method")
    assert t2rows.loc["GoogLeNet-GAP", "reproduced_by"] == "small-googlenet-gap (CAM)"
    assert t2rows.loc["Backprop on GoogLeNet", "reproduced_by"] == "small-googlenet (backprop)"
    assert t2rows.loc["VGGnet-GAP", "reproduced_by"] == "not run"
    assert 0 <= t2rows.loc["GoogLeNet-GAP", "top1"] <= 100
    assert t2.headline_value == pytest.approx(t2rows.loc["GoogLeNet-GAP", "top5"], abs=0.006)
    sweep = t2.tables["maxboxacc_curves"]
    assert len(sweep) == 100 * (2 + 2 + 1 + 1)  # GAP, GMP (2 seeds each), AlexNet-GAP, backprop
    assert set(t2.tables["aim"]["quantity"]) >= {"top-1 localization accuracy (%)"}
    assert set(t2.figures) == {"maxboxacc"} and "aim" in t2.captions

    t3rows = t3.tables["table3"].set_index("method")
    assert t3rows.loc["GoogLeNet-GAP (heuristics)", "seeds"] == 2
    assert t3rows.loc["AlexNet", "reproduced_by"].startswith("quoted from the paper")
    assert t3.coverage == "partial" and t3.claims[-1].claim_id == "close-to-supervised"
    assert t3.claims[-1].verdict == "not tested"
    assert t3.headline_value == pytest.approx(t3rows.loc["GoogLeNet-GAP (heuristics)", "top5"],
                                              abs=0.006)  # fmt: skip


def test_claims_have_numbers_and_a_verdict(smoke_run):
    _, (t1, t2, t3), _ = smoke_run
    # smoke: every claim is "not tested", but the measured differences and intervals stay
    for result in (t1, t2, t3):
        assert result.status == "ran"
        assert {c.verdict for c in result.claims} == {"not tested"}
    judged = {c.claim_id: c for c in [*t1.claims, *t2.claims, *t3.claims] if c.low is not None}
    assert {"gap-cost-googlenet", "gap-vs-gmp", "gmp-top1", "backprop-googlenet-top1"} <= set(
        judged
    )
    assert {"heuristic", "cam-vs-backprop"} <= set(judged)
    for c in judged.values():
        assert c.low <= c.measured <= c.high and c.unit == "points", c.claim_id
    # rows this run did not build are claims "not tested" with nothing measured
    assert t1.claim("gap-cost-vggnet").measured is None
    assert t1.claim("gap-cost-vggnet").paper == pytest.approx(33.4 - 31.2)
    assert t2.claim("backprop-vggnet-top1").measured is None
    assert "row-nin" in {c.claim_id for c in t2.claims}
    # the paper's own differences ride along: GAP - GMP top-1 localization, 56.40 - 57.78
    assert t2.claim("gmp-top1").paper == pytest.approx(-1.38)
    gap = t1.tables["table1"].set_index("network")
    assert t1.claim("gap-cost-googlenet").measured == pytest.approx(
        gap.loc["GoogLeNet-GAP", "top1"] - gap.loc["GoogLeNet", "top1"], abs=0.011
    )


def test_run_dispatches_on_the_item(smoke_run):
    out, (t1, *_), _ = smoke_run
    again = tables123.run(smoke_params("table1", out, networks=SMALL_NETS))
    assert again.item == "table1" and [c.claim_id for c in again.claims] == [
        c.claim_id for c in t1.claims
    ]
    with pytest.raises(InputError, match=r"^params\['item'\]: expected"):
        tables123.run({"item": "table4"})


def test_rerun_retrains_and_reevaluates_nothing(smoke_run, monkeypatch):
    out, (t1, *_), first_seconds = smoke_run

    def stamps(folder: str) -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in (out / "cache" / folder).iterdir()}

    models_before, evals_before = stamps("models"), stamps("evals")

    def no_evaluation(*args, **kwargs):
        raise AssertionError("a cached evaluation ran again")

    monkeypatch.setattr(items_evaluation.localization, "evaluate_localization", no_evaluation)
    monkeypatch.setattr(items_evaluation.train, "map_batches", no_evaluation)
    started = time.perf_counter()
    again = tables123.table1(smoke_params("table1", out, networks=SMALL_NETS))
    tables123.table3(smoke_params("table3", out))
    assert time.perf_counter() - started < first_seconds
    assert again.tables["training_times"]["loaded_from_cache"].all()
    pd.testing.assert_frame_equal(again.tables["table1"], t1.tables["table1"])
    assert stamps("models") == models_before and stamps("evals") == evals_before


def test_worker_processes_train_the_same_weights_as_one_process(tmp_path, monkeypatch):
    # Two one-thread worker processes against the in-process loop on one thread: the same
    # members, bit for bit, and each trained exactly once.
    monkeypatch.setenv("CAM_REPRO_THREADS", "1")
    nets = ["small-alexnet-gap", "small-nin"]
    trained = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("CAM_REPRO_WORKERS", workers)
        params = smoke_params(
            "table1", tmp_path / workers, networks=nets, headline=[], train_images=96, val_images=32
        )
        recipe = items_recipe.recipe_from_params(params)
        assert items_family._training_workers(recipe, 2) == int(workers)
        trained[workers] = items_family.train_family(nets, recipe)
    for net in nets:
        (one,), (two,) = trained["1"][net], trained["2"][net]
        assert one.key == two.key and not one.cached and not two.cached
        pairs = zip(one.model.state_dict().items(), two.model.state_dict().values(), strict=True)
        for (name, a), b in pairs:
            assert torch.equal(a, b), name
    assert len(list((tmp_path / "2" / "cache" / "models").glob("*.pt"))) == 2
    monkeypatch.delenv("CAM_REPRO_WORKERS")  # the default rule
    assert items_family._training_workers(recipe, 5) == 1  # smoke: 1 epoch of 96 images
    big = dataclasses.replace(recipe, epochs=10, train_images=1000)
    assert items_family._training_workers(big, 5) == min(2, os.cpu_count() or 1)
    assert items_family._training_workers(big, 1) == 1
    assert items_family._training_workers(dataclasses.replace(big, device="cuda"), 5) == 1


@pytest.mark.slow
def test_torchrun_entry_fills_the_caches_the_notebooks_read(tmp_path):
    # The GPU runners' entry point, here with two gloo ranks on the smoke profile: afterwards
    # Tables 1-3 in one process train and evaluate nothing.
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [str(torchrun), "--standalone", "--nproc_per_node=2", "-m", "cam_core.items.tables123"]
    cmd += ["--profile", "smoke", "--out-dir", str(tmp_path), "--device", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("table3: caches filled") == 2  # both ranks got there
    params = smoke_params("table1", tmp_path)
    members = sum(params["seeds"] if n in params["headline"] else 1 for n in params["networks"])
    assert len(list((tmp_path / "cache" / "models").glob("*.pt"))) == members
    t1 = tables123.table1(params)
    assert t1.tables["training_times"]["loaded_from_cache"].all()
    evals = sorted((tmp_path / "cache" / "evals").iterdir())
    tables123.table2(smoke_params("table2", tmp_path))
    assert sorted((tmp_path / "cache" / "evals").iterdir()) == evals  # nothing re-evaluated


def test_model_key_depends_on_what_changes_weights_only(tmp_path):
    recipe = items_recipe.recipe_from_params(smoke_params("table1", tmp_path))
    splits = items_recipe.load_splits(recipe, 8)
    model = items_family._build("small-vgg-gap", recipe, splits.num_classes)

    def key(r: items_recipe.Recipe) -> str:
        return items_family.model_key("small-vgg-gap", 0, r, splits, model)

    base = key(recipe)
    # the rest of the family and the seed count are not in the key
    assert key(dataclasses.replace(recipe, networks=("small-vgg-gap",), seeds=5)) == base
    assert key(dataclasses.replace(recipe, device="cuda")) != base  # bf16 autocast on GPU
    assert key(dataclasses.replace(recipe, epochs=2)) != base
    assert key(dataclasses.replace(recipe, lr=0.01)) != base
    assert key(dataclasses.replace(recipe, width=0.5)) != base
    assert items_family.model_key("small-vgg-gap", 1, recipe, splits, model) != base


def test_recipe_seeds_and_names():
    assert items_recipe.paper_name("small-alexnet*-gap") == "AlexNet*-GAP"
    assert items_recipe.paper_name("googlenet-gmp") == "GoogLeNet-GMP"
    with pytest.raises(InputError, match=r"^network: expected one of"):
        items_recipe.paper_name("resnet50")
    params = profiles.validate_parameters("table1", profile="cpu")
    recipe = items_recipe.recipe_from_params(params)
    assert recipe.seeds_of("small-googlenet-gap") == [0, 1, 2]
    assert recipe.seeds_of("small-vgg") == [0]
    with pytest.raises(InputError, match=r"^network: expected"):
        items_recipe.recipe_from_params({**params, "networks": ["tiny-gap"]})


def test_for_display_merges_std_and_blanks_missing_values():
    table = pd.DataFrame(
        {"a_b": [1.0, np.nan], "a_b_std": [0.5, np.nan], "c": ["x", None], "n": [3, 1]}
    )
    shown = display.for_display(table).data
    assert list(shown.columns) == ["a b", "c", "n"]
    assert shown["a b"].tolist() == ["1.00 ± 0.50", ""]
    assert shown.iloc[1].tolist() == ["", "", "1"]
    picked = display.for_display(table, columns=["n", "a_b"]).data
    assert list(picked.columns) == ["n", "a b"]
    with pytest.raises(InputError, match=r"^columns: expected columns of the table"):
        display.for_display(table, columns=["zzz"])


# --------------------------------------------------------------------------- full path


@pytest.fixture(scope="module")
def ilsvrc_tree(tmp_path_factory):
    """A miniature ILSVRC tree (3 classes) with a torchvision GoogLeNet weights file."""
    import torchvision.models as tvm

    root = make_miniature_ilsvrc(
        tmp_path_factory.mktemp("ilsvrc"), classes=3, train_per_class=2, val_images=4
    )
    torch.manual_seed(0)
    net = tvm.googlenet(weights=None, aux_logits=False, init_weights=False, num_classes=1000)
    (root / "weights").mkdir()
    torch.save(net.state_dict(), root / "weights" / "googlenet.pth")
    return root


FULL_NETS = ["googlenet-gap", "googlenet"]


@pytest.mark.slow
def test_full_path_paper_networks_on_miniature_ilsvrc(ilsvrc_tree, tmp_path):
    common = {
        "profile": "full",
        "data_root": str(ilsvrc_tree),
        "out_dir": str(tmp_path / "out"),
        "device": "cpu",
    }
    t1 = tables123.table1(
        profiles.validate_parameters(
            "table1", **common, networks=FULL_NETS, headline=[], epochs=1, batch_size=6
        )
    )
    row = t1.tables["table1"].set_index("network").loc["GoogLeNet-GAP"]
    assert row["reproduced_by"] == "googlenet-gap" and row["seeds"] == 1
    assert t1.tables["table1"].set_index("network").loc["NIN", "reproduced_by"] == "not run"
    assert len(t1.tables["learning_curves"]) == 2  # one epoch each
    notes = " ".join(t1.notes)
    assert "cpu numbers" not in notes and "ILSVRC val serves" in notes
    # NIN has no torchvision weights: its row is a claim "not tested" with that reason
    assert t1.claim("row-nin").verdict == "not tested" and t1.coverage == "partial"
    assert "torchvision" in t1.claim("row-nin").reason
    # one seed per network and none to borrow from: the intervals cover the images only
    assert "the interval covers the images only" in t1.claim("gap-cost-googlenet").data
    # Tables 2 and 3 read the recipe from the profile's table1 block: give them the same
    recipe = items_recipe.recipe_from_params(
        profiles.validate_parameters(
            "table1", **common, networks=FULL_NETS, headline=[], epochs=1, batch_size=6
        )
    )
    splits = items_recipe.load_splits(recipe, 0)
    assert splits.num_classes == 3 and len(splits.test) == 4 and splits.max_boxes == 2
    family = items_family.train_family(FULL_NETS, recipe, splits)
    assert all(m.cached for members in family.values() for m in members)
    res = items_evaluation.localize(family["googlenet-gap"][0], splits, recipe, "cam")
    assert res.pred_boxes.shape == (4, 3, 4) and res.image_size == (224, 224)
    assert res.notes  # ILSVRC train has no boxes: the centred box uses val's own mean
    heur = items_evaluation.localize(
        family["googlenet-gap"][0], splits, recipe, "cam", heuristic="tight+loose"
    )
    assert heur.pred_classes.shape == (4, 5)
    orig = items_evaluation.localize(family["googlenet"][0], splits, recipe, "cam")  # CAM at 7x7
    bp = items_evaluation.localize(family["googlenet"][0], splits, recipe, "backprop")
    assert orig.method == "gradcam" and bp.method == "backprop"
    # val image 2 holds boxes of two classes: only its own class's box can count
    assert (res.gt_box_labels[2] >= 0).sum() == 2
    # the full profile's protocols: ten crops merged and boxed at the ORIGINAL 80 x 64 size,
    # the released backprop (colour sum, ten crops) and tight+loose with the released boxes
    assert profiles.validate_parameters("table2", **common)["crops"] == "ten"
    assert profiles.validate_parameters("table3", **common)["box_rule"] == "released"
    ten = items_evaluation.localize(family["googlenet-gap"][0], splits, recipe, "cam", crops="ten")
    assert ten.crops == "ten" and ten.image_sizes.tolist() == [[64, 80]] * 4
    assert (ten.pred_boxes[..., 2] <= 80).all() and (ten.pred_boxes[..., 3] <= 64).all()
    assert (ten.gt_boxes[~np.isnan(ten.gt_boxes)] <= 80).all()  # original-size boxes
    tl = items_evaluation.localize(
        family["googlenet-gap"][0], splits, recipe, "cam", heuristic="tight+loose",
        box_rule="released", crops="ten",
    )  # fmt: skip
    assert tl.pred_classes.shape == (4, 5) and tl.box_rule == "released_multi_threshold"
    bp_ten = items_evaluation.localize(
        family["googlenet"][0], splits, recipe, "backprop", crops="ten",
        backprop_variant="released",
    )  # fmt: skip
    assert bp_ten.backprop_variant == "released" and bp_ten.box_hits_v2.shape == (4, 3, 100)
    top = items_evaluation.classify_images(family["googlenet-gap"][0], splits, recipe, "ten")
    assert top["top"].shape == (4, 3)


@pytest.mark.slow
def test_full_tables_2_and_3_run_the_released_protocols(ilsvrc_tree, tmp_path):
    """Tables 2 and 3 through run(params) at full: ten crops, the released backprop, Table
    3's released tight+loose, MaxBoxAccV2 with its threshold from 1 held-out image of 4."""
    common = {"profile": "full", "data_root": str(ilsvrc_tree), "out_dir": str(tmp_path)}
    common["device"] = "cpu"
    t2 = tables123.run(
        profiles.validate_parameters(
            "table2", **common, networks=["googlenet-gap"], baseline_networks=["googlenet"]
        )
    )
    rows = t2.tables["table2"].set_index("method")
    assert rows.loc["GoogLeNet-GAP", "protocol"] == "ten crops, paper boxes"
    assert rows.loc["Backprop on GoogLeNet", "protocol"] == (
        "ten crops, paper boxes, |grad| summed over colour"
    )
    assert np.isfinite(rows.loc["GoogLeNet-GAP", "maxboxacc_v2_heldout"])
    assert any("1 of the 4 evaluated images" in n and "3 images are scored" in n for n in t2.notes)
    t3 = tables123.run(profiles.validate_parameters("table3", **common))
    rows = t3.tables["table3"].set_index("method")
    assert rows.loc["GoogLeNet-GAP (heuristics)", "protocol"] == (
        "ten crops, released boxes, tight+loose"
    )
    assert "bboxCombine" in t3.captions["table3"]


@pytest.mark.slow
def test_make_book_full_trains_under_torchrun_then_the_page_reads_the_caches(
    ilsvrc_tree, tmp_path, monkeypatch
):
    """`cam-repro run --profile full` (what `make book PROFILE=full` runs) with NPROC=2: the
    training stage runs under torchrun (two gloo ranks), and Table 1's page then trains
    nothing: every model comes from the stage's cache."""
    import io

    from cam_core.report import pipeline

    monkeypatch.setenv("NPROC", "2")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    out = tmp_path / "full"
    knobs = {"networks": FULL_NETS, "headline": [], "epochs": 1, "batch_size": 6}
    log = io.StringIO()
    failed = pipeline.run(
        "full", only=["table1"], overrides=knobs, data_root=str(ilsvrc_tree),
        device="cpu", out_dir=str(out), book=False, progress_bar=False, stream=log,
    )  # fmt: skip
    assert failed == 0, log.getvalue()
    assert "training stage: torchrun on 2 rank(s) x 1 node(s)" in log.getvalue()
    times = pd.read_csv(out / "table1" / "training_times.csv")
    assert len(times) == 2 and times["loaded_from_cache"].all()
