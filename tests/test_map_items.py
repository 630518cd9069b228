"""Figures 5 and 6 as items: the functions that decide their verdicts on constructed
per-image scores whose verdicts are worked out by hand, and run() at smoke."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import profiles, results
from cam_core.common.claims import SMOKE_REASON, ItemResult
from cam_core.items import map_benchmark
from cam_core.validate import InputError

N = 30  # images per constructed case, >= map_benchmark.MIN_IMAGES


def _alternating(centre: float, step: float, n: int = N) -> np.ndarray:
    """``centre + step, centre - step, ...``: mean exactly ``centre`` (n even)."""
    return centre + step * np.where(np.arange(n) % 2 == 0, 1.0, -1.0)


# --- paired_claim: the rule of both figures ------------------------------------------------


def _claim(cam, base, accuracies=None, num_classes=10):
    accuracies = {"CAM net": 80.0, "FC net": 80.0} if accuracies is None else accuracies
    return map_benchmark.paired_claim(
        "x", "CAM beats backprop", cam, base, "above 0", accuracies, num_classes
    )


def test_paired_claim_holds_when_every_image_favours_the_cam():
    # 60 vs 40 on every image: every bootstrap replicate's difference is exactly 20,
    # so the interval is [20, 20], wholly above 0
    c = _claim(np.full(N, 60.0), np.full(N, 40.0))
    assert c.verdict == "holds" and c.unit == "points"
    assert (c.measured, c.low, c.high) == pytest.approx((20.0, 20.0, 20.0))


def test_paired_claim_does_not_hold_when_every_image_favours_backprop():
    # swapped: [-20, -20], wholly below 0
    c = _claim(np.full(N, 40.0), np.full(N, 60.0))
    assert c.verdict == "does not hold" and c.measured == pytest.approx(-20.0)


def test_paired_claim_not_distinguishable_when_differences_cancel():
    # differences +10, -10, ... (15 each): mean 0; a replicate's mean is 20 k / 30 - 10 for
    # k ~ Binomial(30, 1/2) plus-draws, so about 43% of replicates fall below 0 and 43%
    # above: the 2.5% and 97.5% quantiles lie on either side of 0
    c = _claim(_alternating(50.0, 10.0), np.full(N, 50.0))
    assert c.verdict == "not distinguishable"
    assert c.low < 0.0 < c.high and c.measured == pytest.approx(0.0)


def test_paired_claim_not_tested_with_few_images_or_a_net_near_chance():
    # 5 images < MIN_IMAGES = 20
    few = _claim(np.full(5, 60.0), np.full(5, 40.0))
    assert few.verdict == "not tested" and few.reason == "5 scored images (< 20)"
    assert few.measured == pytest.approx(20.0)  # the numbers are kept
    # 10 classes: chance error 90%, near chance from 80%; 15% accuracy = 85% error
    near = _claim(np.full(N, 60.0), np.full(N, 40.0), {"CAM net": 80.0, "FC net": 15.0})
    assert near.verdict == "not tested" and near.reason.startswith("FC net is within 10 points")
    # 25% accuracy = 75% error < 80%: judged
    fine = _claim(np.full(N, 60.0), np.full(N, 40.0), {"CAM net": 80.0, "FC net": 25.0})
    assert fine.verdict == "holds"


# --- Figure 5: coverage and on-object share -------------------------------------------------


def _scores(coverage, on_object, correct=True, n=N) -> pd.DataFrame:
    return pd.DataFrame(
        {"image": np.arange(n), "correct": correct, "coverage": coverage, "on_object": on_object}
    )


def test_map_claims_a_map_lighting_everything_wins_coverage_only():
    # the CAM lights every pixel: coverage 1.0 on every image, but only 0.2 of its light on
    # the object; backprop covers 0.5 with 0.6 on the object. Differences in points,
    # constant per image: coverage +50 (holds), on-object -40 (does not hold)
    scores = {"GAP": _scores(1.0, 0.2), "Backprop FC": _scores(0.5, 0.6)}
    found = map_benchmark.map_claims(scores, ["GAP"], ["Backprop FC"], num_classes=4)
    by_id = {c.claim_id: c for c in found}
    cover, on = by_id["coverage: GAP vs Backprop FC"], by_id["on_object: GAP vs Backprop FC"]
    assert cover.verdict == "holds" and cover.measured == pytest.approx(50.0)
    assert on.verdict == "does not hold" and on.measured == pytest.approx(-40.0)
    assert "on-object share" in cover.criterion and "20%" in cover.criterion


def test_map_claims_not_distinguishable_and_not_tested():
    # on-object 0.5 +- 0.1 against 0.5: differences +-10 points, mean 0 (see the paired_claim
    # case); coverage 0.7 vs 0.3 on every image: +40, holds
    scores = {"GAP": _scores(0.7, _alternating(0.5, 0.1)), "Backprop FC": _scores(0.3, 0.5)}
    found = map_benchmark.map_claims(scores, ["GAP"], ["Backprop FC"], num_classes=4)
    assert [c.verdict for c in found] == ["holds", "not distinguishable"]
    # 4 classes: chance error 75%, near chance from 65%; 30% correct = 70% error
    wrong = np.arange(N) % 10 < 7
    scores["GAP"] = _scores(0.7, 0.5, correct=~wrong)
    found = map_benchmark.map_claims(scores, ["GAP"], ["Backprop FC"], num_classes=4)
    assert [c.verdict for c in found] == ["not tested"] * 2
    assert found[0].reason == "GAP is within 10 points of chance (top-1 accuracy 30.0%)"


def test_map_claims_need_the_same_images():
    scores = {"GAP": _scores(0.7, 0.5), "Backprop FC": _scores(0.3, 0.5)}
    scores["Backprop FC"]["image"] = np.arange(N)[::-1]
    with pytest.raises(InputError, match=r"^scores\['Backprop FC'\]: expected"):
        map_benchmark.map_claims(scores, ["GAP"], ["Backprop FC"], num_classes=4)


def test_judged_rows_leave_out_gmp_cams():
    m = nn.Linear(1, 1)
    entries = {
        "GoogLeNet-GAP": (m, "cam"),
        "GoogLeNet-GMP": (m, "cam"),
        "NIN": (m, "cam"),
        "Backprop AlexNet": (m, "backprop"),
    }
    assert map_benchmark.judged_rows(entries) == (["GoogLeNet-GAP", "NIN"], ["Backprop AlexNet"])


# --- Figure 6: mean IoU of the boxes --------------------------------------------------------


def _evaluation(iou, top1_error=0.2):
    summary = {"cls_top1_error": top1_error}
    return SimpleNamespace(gt_known_iou=np.asarray(iou, float), summary=summary)


@pytest.mark.parametrize(
    ("cam", "base", "cam_error", "expected"),
    [
        (np.full(N, 0.7), np.full(N, 0.3), 0.2, "holds"),  # +40 points on every image
        (np.full(N, 0.3), np.full(N, 0.7), 0.2, "does not hold"),  # -40 on every image
        (_alternating(0.5, 0.1), np.full(N, 0.5), 0.2, "not distinguishable"),  # +-10, mean 0
        # 10 classes: chance error 90%, near chance from 80%; the CAM net errs on 85%
        (np.full(N, 0.7), np.full(N, 0.3), 0.85, "not tested"),
    ],
)
def test_box_claim_known_answers(cam, base, cam_error, expected):
    evaluations = {"GAP": _evaluation(cam, cam_error), "Backprop FC": _evaluation(base)}
    c = map_benchmark.box_claim(evaluations, "GAP", "Backprop FC", num_classes=10)
    assert c.verdict == expected and c.claim_id == "mean_iou: GAP vs Backprop FC"
    assert c.measured == pytest.approx(100.0 * (cam.mean() - base.mean()))


def test_box_claim_needs_the_same_images():
    evaluations = {"GAP": _evaluation(np.ones(N)), "Backprop FC": _evaluation(np.ones(N - 1))}
    with pytest.raises(InputError, match="^evaluations: expected"):
        map_benchmark.box_claim(evaluations, "GAP", "Backprop FC", num_classes=10)


# --- run() at smoke -------------------------------------------------------------------------


@pytest.mark.slow
def test_run_at_smoke_returns_untested_claims_and_writes_them(tmp_path):
    """Both figures at smoke (tiny nets, one epoch, cached in tmp_path): about 10 s idle."""
    torch.manual_seed(0)
    expected = {
        "figure05": (4, {"figure05_summary", "figure05_scores", "figure05_photo_classes"}),
        "figure06": (1, {"figure06_summary", "figure06_photo_scores", "figure06_scores"}),
    }
    for item, (n_claims, tables) in expected.items():
        params = profiles.validate_parameters(item, profile="smoke", out_dir=str(tmp_path))
        result = map_benchmark.run(params)
        assert isinstance(result, ItemResult) and result.status == "ran"
        assert len(result.claims) == n_claims and set(result.tables) == tables
        assert {c.verdict for c in result.claims} == {"not tested"}
        assert {c.reason for c in result.claims} == {SMOKE_REASON}
        assert result.headline_value is not None and 0 <= result.headline_value <= 100
        assert set(result.captions) <= set(result.tables) | set(result.figures)
        record = results.write_result(params, result)
        assert record["n_not_tested"] == n_claims
        written = pd.read_csv(tmp_path / item / "claims.csv")
        assert len(written) == n_claims and set(written["verdict"]) == {"not tested"}
    with pytest.raises(InputError, match="^params: expected"):
        map_benchmark.run({**params, "item": "table1"})
