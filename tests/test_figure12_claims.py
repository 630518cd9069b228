"""Known-answer tests for Figure 12's verdicts (cam_core.items.vqa.answers_claim, cam_claim)
on constructed per-question scores, and its smoke ItemResult."""

import numpy as np
import pytest
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import profiles
from cam_core.common.claims import ItemResult
from cam_core.items import vqa
from cam_core.nets.models import CAMNet

N = 50  # >= vqa.MIN_QUESTIONS


@pytest.mark.parametrize(
    ("model", "prior", "measured", "verdict"),
    [
        # every question right, the prior never: every bootstrap replicate is +100 points,
        # the interval [100, 100] lies above 0
        (np.ones(N), np.zeros(N), 100.0, "holds"),
        # the reverse: [-100, -100], wholly below 0
        (np.zeros(N), np.ones(N), -100.0, "does not hold"),
        # the same scores: every replicate is 0, the interval [0, 0] touches the boundary
        (np.r_[np.ones(25), np.zeros(25)], np.r_[np.ones(25), np.zeros(25)], 0.0,
         "not distinguishable"),
        # 10 questions < MIN_QUESTIONS = 30: not tested
        (np.ones(10), np.zeros(10), 100.0, "not tested"),
    ],
)  # fmt: skip
def test_answers_claim_known_answers(model, prior, measured, verdict):
    claim = vqa.answers_claim(model, prior, "the question alone")
    assert claim.claim_id == "answers_from_image" and claim.unit == "points"
    assert claim.measured == pytest.approx(measured) and claim.verdict == verdict
    if verdict != "not tested":
        assert claim.low == pytest.approx(measured) and claim.high == pytest.approx(measured)
    else:
        assert "fewer than 30" in claim.reason


def test_answers_claim_scores_vqa_accuracy_in_points():
    # VQA accuracies 2/3 vs 1/3 on every question: +33.3 points on every replicate
    claim = vqa.answers_claim(np.full(N, 2 / 3), np.full(N, 1 / 3), "the prior")
    assert claim.measured == pytest.approx(100 / 3) and claim.verdict == "holds"


@pytest.mark.parametrize(
    ("hits", "chance", "verdict"),
    [
        # 40/50 = 80%, Clopper-Pearson 95% [66.3, 90.0]; boundary 2 x 10% = 20%: above
        (40, 0.10, "holds"),
        # 5/50 = 10%, [3.3, 21.8]; boundary 2 x 25% = 50%: wholly below
        (5, 0.25, "does not hold"),
        # 25/50 = 50%, [35.5, 64.5]; boundary 50%: straddled
        (25, 0.25, "not distinguishable"),
    ],
)
def test_cam_claim_known_answers(hits, chance, verdict):
    claim = vqa.cam_claim(np.r_[np.ones(hits, bool), np.zeros(N - hits, bool)], chance)
    assert claim.measured == pytest.approx(100 * hits / N) and claim.verdict == verdict
    assert f"({200 * chance:.1f}%" in claim.criterion


def test_cam_claim_on_too_few_questions_is_not_tested():
    # 10 questions, all hits, chance 1%: would hold, but 10 < MIN_QUESTIONS = 30
    claim = vqa.cam_claim(np.ones(10, bool), 0.01)
    assert claim.verdict == "not tested" and claim.measured == 100.0
    assert claim.reason == "10 questions about an object, fewer than 30"
    assert vqa.cam_claim(np.zeros(0, bool), 0.0).verdict == "not tested"  # no questions


def test_the_smoke_item_result_of_a_tiny_run_has_nothing_tested(tmp_path):
    # vqa.run at smoke takes about 25 s (it trains the benchmark net); the same ItemResult
    # is built here from a tiny 1x1-conv network's experiment
    conv = nn.Conv2d(3, 4, 1)
    net = CAMNet(nn.Sequential(conv, nn.ReLU()), 4, 2)
    params = profiles.validate_parameters("figure12", profile="smoke", out_dir=str(tmp_path))
    experiment = vqa.vqa_experiment(net, "tiny", 12, 8, 4, 32, epochs=1)
    result = vqa._composite_item(params, experiment)
    assert isinstance(result, ItemResult) and result.status == "ran"
    assert [c.claim_id for c in result.claims] == ["answers_from_image", "cam_on_object"]
    assert {c.verdict for c in result.claims} == {"not tested"}
    qa = result.tables["figure12_questions"]
    assert result.headline_value == pytest.approx(100 * qa["correct"].mean())
    assert result.claim("cam_on_object").measured == pytest.approx(100 * experiment.peak_rate)
    assert set(result.figures) == {"figure12_answers"}
    assert set(result.captions) == {"figure12_accuracy", "figure12_answers"}
