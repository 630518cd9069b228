"""Table 4 / Figure 7 protocol: CAM boxes found at the input size land exactly on the object
in the image's own pixels, the three SVMs, box accuracy, claims, bad input."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import claims, paper
from cam_core.datasets import base
from cam_core.items import finegrained as fg
from cam_core.items import finegrained_claims as fclaims
from cam_core.items import table5
from cam_core.nets.features import fit_linear_svm
from cam_core.nets.models import CAMNet
from cam_core.validate import InputError


def colour_net() -> CAMNet:
    """Map = the image's colour channels after ReLU (black ground -> 0 after ImageNet norm)."""
    conv = nn.Conv2d(3, 3, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
    return CAMNet(nn.Sequential(conv, nn.ReLU()), 3, 2)


def squares(n: int, seed: int) -> base.TargetSet:
    """16 px images: a 6x6 red (class 0) or green (class 1) square, and a 3x3 blue distractor
    in another corner; the box is the square's."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 16, 16, 3), np.uint8)
    labels = np.arange(n) % 2
    boxes = np.zeros((n, 4))
    for i in range(n):
        x, y = rng.integers(0, 4, 2)
        images[i, y : y + 6, x : x + 6, labels[i]] = 255
        images[i, 12:15, 12:15, 2] = 255
        boxes[i] = [x, y, x + 6, y + 6]
    return base.TargetSet(f"squares{seed}", images, labels, ("red", "green"), boxes=boxes)


def test_protocol_known_answers(tmp_path):
    train, test = squares(12, 0), squares(10, 1)
    fs = table5.feature_set("small-googlenet-gap", colour_net(), 16)
    res = fg.finegrained_protocol(fs, train, test, tmp_path, cs=(1.0, 10.0), cv_folds=2)
    assert res.table["variant"].tolist() == ["full image", "CAM crop", "ground-truth box"]
    assert res.table["accuracy"].tolist() == [100.0, 100.0, 100.0]
    assert res.table["annotation"].tolist() == ["n/a", "n/a", "BBox"]
    assert np.array_equal(res.test_boxes, test.boxes)  # the CAM's box is the square
    assert np.array_equal(res.train_boxes, train.boxes)
    assert res.box_accuracy == 100.0 and np.allclose(res.ious, 1.0)
    found = fclaims.crop_claims(res.correct, res.network)
    # crop ties the full image, and the GT box the crop: 0 points, on 10 images (< 30)
    assert [c.measured for c in found] == [0.0, 0.0]
    assert {c.verdict for c in found} == {"not tested"}
    # cached: the same boxes and table without recomputation
    again = fg.finegrained_protocol(fs, train, test, tmp_path, cs=(1.0, 10.0), cv_folds=2)
    assert again.table.equals(res.table)


def test_boxes_found_at_input_size_scale_back_to_image_pixels():
    test = squares(4, 2)
    fs = table5.feature_set("small-googlenet-gap", colour_net(), 48)  # 3x the image
    est = fit_linear_svm(table5.target_features(fs, test, None), test.labels, cs=(1.0,), folds=2)
    boxes = fg.cam_boxes(fs, test, est, test.labels)
    assert np.abs(boxes - test.boxes).max() <= 1.0  # bilinear edges: within a pixel
    with pytest.raises(InputError, match=r"^classes: expected 4 class indices"):
        fg.cam_boxes(fs, test, est, test.labels[:2])


def test_fc_features_and_boxless_sets_are_refused():
    train = squares(4, 0)
    noboxes = base.TargetSet("nb", train.images, train.labels, ("a", "b"))
    gap = table5.feature_set("small-googlenet-gap", colour_net(), 16)
    with pytest.raises(InputError, match=r"^train: expected a target set with ground-truth"):
        fg.finegrained_protocol(gap, noboxes, train, None)
    fc = table5.FeatureSet("small-alexnet", colour_net(), "features", "fc7", 16)
    with pytest.raises(InputError, match=r"^fs: expected GAP features"):
        fg.finegrained_protocol(fc, train, train, None)


def test_finegrained_silhouettes_are_small_objects_with_boxes():
    s = fg.finegrained_set("test", images_per_class=1)
    assert s.images.shape == (10, 96, 96, 3) and sorted(s.labels.tolist()) == list(range(10))
    side = np.maximum(s.boxes[:, 2] - s.boxes[:, 0], s.boxes[:, 3] - s.boxes[:, 1])
    assert (side <= 0.36 * 96).all() and (side >= 0.15 * 96).all()
    with pytest.raises(InputError, match=r"^images_per_class: expected an int >= 1"):
        fg.finegrained_set("test", 0)


def test_table4_view_and_claims_on_a_hand_made_result():
    table = pd.DataFrame(
        {
            "network": "net",
            "variant": [v for v, _ in fg.VARIANTS],
            "annotation": [a for _, a in fg.VARIANTS],
            "accuracy": [60.0, 66.0, 70.0],
            "stderr": [1.0, 1.0, 1.0],
        }
    )
    # 50 test images: 30 right on the full image (60%), 33 with the crop, 35 with the GT box
    correct = {v: np.arange(50) < k for v, k in zip(fg.PAPER_ROWS, (30, 33, 35), strict=True)}
    res = fg.FineGrainedResult("net", table, 40.0, None, None, None, None, None, None, correct)
    crop, gt = fclaims.crop_claims(res.correct, res.network)
    assert (crop.claim_id, gt.claim_id) == ("crop_beats_full", "gt_box_beats_crop")
    assert crop.measured == pytest.approx(6.0) and gt.measured == pytest.approx(4.0)
    # the paper's gains come from data/paper/table4.csv: 67.8 - 63.0 and 70.5 - 67.8
    assert crop.paper == pytest.approx(4.8) and gt.paper == pytest.approx(2.7)
    assert crop.data == "net: CAM crop 66.0% vs full image 60.0% on 50 test images"
    view = fg.table4_view([res], paper.paper_table(4))
    assert view.loc["CAM crop", "paper (CUB-200, GoogLeNet-GAP)"] == 67.8
    assert view.loc["full image", "net"] == "60.0\u00a0±\u00a01.0"
    tidy = fg.tidy_table([res])
    assert tidy["paper_accuracy"].tolist() == [63.0, 67.8, 70.5]


def test_context_boxes_known_answers():
    boxes = np.array(
        [[10.0, 10.0, 20.0, 30.0], [90.0, 90.0, 100.0, 100.0], [0.0, 0.0, 100.0, 50.0]]
    )
    sizes = np.array([[100, 100], [100, 100], [60, 100]])
    out = fg.context_boxes(boxes, sizes, 1.5)
    assert out[0].tolist() == [0.0, 5.0, 30.0, 35.0]  # side 1.5 x 20, centred at (15, 20)
    assert out[1].tolist() == [85.0, 85.0, 100.0, 100.0]  # pushed back inside the image
    assert out[2].tolist() == [20.0, 0.0, 80.0, 60.0]  # side clipped to the short side
    with pytest.raises(InputError, match=r"^margin: expected a positive number"):
        fg.context_boxes(boxes, sizes, 0)


def test_context_crops_add_warped_rows(tmp_path):
    train, test = squares(12, 0), squares(10, 1)
    fs = table5.feature_set("small-googlenet-gap", colour_net(), 16)
    res = fg.finegrained_protocol(
        fs, train, test, tmp_path, crop_margin=1.5, crop_size=24, cs=(1.0,), cv_folds=2
    )
    assert res.table["variant"].tolist() == [
        "full image", "CAM crop", "ground-truth box",
        "CAM crop (box warped)", "ground-truth box (box warped)",
    ]  # fmt: skip
    assert (res.table["accuracy"] == 100.0).all()
    ids = [c.claim_id for c in fclaims.crop_claims(res.correct, res.network)]
    assert ids == ["crop_beats_full", "warped_crop_beats_full", "gt_box_beats_crop"]


def _percent_interval(hits, total, confidence=0.95):
    return claims.binomial_interval(hits, total, confidence, percent=True)


def test_binomial_interval_known_answers():
    # k = 0 and k = n have closed forms: upper 1 - (a/2)^(1/n), lower (a/2)^(1/n)
    assert _percent_interval(0, 10) == (0.0, pytest.approx(100 * (1 - 0.025**0.1)))
    assert _percent_interval(10, 10) == (pytest.approx(100 * 0.025**0.1), 100.0)
    assert _percent_interval(0, 10)[1] == pytest.approx(30.850, abs=1e-3)
    # 5 of 10: the tabulated Clopper-Pearson interval 18.71-81.29%
    low, high = _percent_interval(5, 10)
    assert (round(low, 2), round(high, 2)) == (18.71, 81.29)
    # 217 of 1000 from the beta quantiles that define the interval
    from scipy.stats import beta

    low, high = _percent_interval(217, 1000, 0.9)
    assert low == pytest.approx(100 * beta.ppf(0.05, 217, 784))
    assert high == pytest.approx(100 * beta.ppf(0.95, 218, 783))
    with pytest.raises(InputError, match=r"^hits: expected an int in 0\.\.total"):
        _percent_interval(11, 10)
    with pytest.raises(InputError, match=r"^confidence: expected a float in \(0, 1\)"):
        _percent_interval(1, 10, 95)


def test_box_share_claim_intervals():
    # 217 of 1000 right (the cpu scale's 21.7%): interval about 19.2-24.4%, below 41.0%
    c = fclaims.box_share_claim(np.where(np.arange(1000) < 217, 0.6, 0.2), 41.0, "net")
    assert (c.measured, c.data) == (21.7, "net: 217 of 1000 test images")
    assert (round(c.low, 1), round(c.high, 1)) == (19.2, 24.4) and c.paper == 41.0
    assert c.verdict == "does not hold"
    # 5 of 10: 41% lies inside 18.7-81.3%, but 10 images are too few to test
    c = fclaims.box_share_claim(np.where(np.arange(10) < 5, 0.5, 0.0), 41.0, "net")
    assert (round(c.low, 2), round(c.high, 2)) == (18.71, 81.29)
    assert c.verdict == "not tested" and "only 10 test images" in c.reason
    with pytest.raises(InputError, match=r"^ious: expected a non-empty \(N,\) array"):
        fclaims.box_share_claim(np.array([]), 41.0, "net")
    with pytest.raises(InputError, match=r"^paper_share: expected a share in percent"):
        fclaims.box_share_claim(np.ones(3), 141.0, "net")


def test_figure7_claims_on_a_hand_made_result():
    # 20 test images: 5 CAM boxes at IoU >= 0.5 (25%); blind boxes: 2 and 0 of 20
    ious = np.array([0.9, 0.5, 0.7, 0.6, 0.55] + [0.3] * 15)
    blind = {"whole image": np.array([0.6, 0.5] + [0.1] * 18), "centred box": np.zeros(20)}
    share = fclaims.box_share_claim(ious, 41.0, "net")
    assert share.measured == 25.0 and (round(share.low, 1), round(share.high, 1)) == (8.7, 49.1)
    assert share.verdict == "not tested"  # 20 < 30 scored images
    assert share.text == "41.0% of the CAM boxes reach IoU 0.5 with the ground truth"
    context = fclaims.image_blind_claim(ious, blind, "net")
    assert context.measured == pytest.approx(15.0)  # 25% - 10% (the whole image, the better)
    assert "whole image 10.0%, centred box 0.0%" in context.data
    res = fg.FineGrainedResult(
        "net", pd.DataFrame(), 25.0, None, None, None, None, ious, baseline_ious=blind
    )
    table = fg.box_accuracy_table([res], 41.0)
    assert table.loc["CAM of net", "IoU >= 0.5 (%)"] == 25.0
    assert table.loc["CAM of net", "95% interval (%)"] == "8.7\u201349.1"
    assert table.loc["whole image (no image seen)", "IoU >= 0.5 (%)"] == 10.0
    assert fg.box_accuracy_table([res]).loc["CAM of net", "paper (CUB-200, GoogLeNet-GAP)"] == (
        paper.paper_value("cub_box_accuracy_iou05")
    )
