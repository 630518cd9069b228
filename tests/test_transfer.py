"""Table 5 / Figure 8 protocol: splits, cached features, SVM accuracy with known answers,
SVM-CAMs equal to the hand-computed weighted sum, the claims, bad input."""

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from sklearn.svm import LinearSVC
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.core.boxes import peak_in_box
from cam_core.datasets import base
from cam_core.items import svm_cams as items_svm_cams
from cam_core.items import table5
from cam_core.nets import features as cfeatures
from cam_core.nets.models import CAMNet
from cam_core.nets.registry import build_model
from cam_core.synthetic import targets
from cam_core.validate import InputError


def colour_net(num_classes: int = 2) -> CAMNet:
    """A CAMNet whose map is the image's three colour channels after ReLU (K = 3)."""
    conv = nn.Conv2d(3, 3, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
    return CAMNet(nn.Sequential(conv, nn.ReLU()), 3, num_classes)


def test_evaluate_svm_known_answers():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 20)
    feats = rng.normal(0.0, 0.01, (60, 5)) + np.eye(5)[labels] * 5.0  # one-hot + noise
    splits = [
        (np.arange(0, 60, 2), np.arange(1, 60, 2)),
        (np.arange(1, 60, 2), np.arange(0, 60, 2)),
    ]
    table = table5.evaluate_svm(feats, labels, splits)
    assert table["accuracy"].tolist() == [100.0, 100.0]
    assert table["test_images"].tolist() == [30, 30]
    # the labels of the test half permuted: exactly the share that still matches is scored
    wrong = labels.copy()
    wrong[1::2] = (labels[1::2] + 1) % 3
    assert table5.evaluate_svm(feats, wrong, splits[:1])["accuracy"].tolist() == [0.0]
    with pytest.raises(InputError, match=r"^splits: expected disjoint train and test"):
        table5.evaluate_svm(feats, labels, [(np.arange(10), np.arange(5, 60))])


def test_make_splits_stratified_fixed_and_disjoint():
    labels = np.repeat(np.arange(4), 10)
    target = base.TargetSet("t", np.zeros((40, 4, 4, 3), np.uint8), labels, tuple("abcd"))
    a = targets.make_splits(target, 3, seed=1)
    b = targets.make_splits(target, 3, seed=1)
    assert len(a) == 3
    for (tr, te), (tr2, te2) in zip(a, b, strict=True):
        assert np.array_equal(tr, tr2) and np.array_equal(te, te2)
        assert not np.intersect1d(tr, te).size and len(tr) + len(te) == 40
        assert np.bincount(labels[te]).tolist() == [5, 5, 5, 5]
    assert not np.array_equal(a[0][1], a[1][1])


def test_photo_textures_folds_are_spatially_disjoint_splits():
    target = targets.photo_textures(images_per_class=6, folds=3, crop=16)
    assert len(target.class_names) == 21 and target.images.shape == (21 * 6, 16, 16, 3)
    splits = targets.make_splits(target, 3)
    tests = np.concatenate([te for _, te in splits])
    assert np.array_equal(np.sort(tests), np.arange(len(target)))  # each crop tested once
    for tr, te in splits:
        assert not np.intersect1d(tr, te).size
        assert np.bincount(target.labels[te], minlength=21).tolist() == [2] * 21
    assert len(targets.make_splits(target, 4)) == 3  # all the fixed splits there are


def test_cpu_target_sets_load_with_boxes_where_known():
    mnist = targets.load_target_set("mnist", images_per_class=2)
    assert mnist.images.shape == (20, 28, 28, 3) and np.bincount(mnist.labels).tolist() == [2] * 10
    gray = mnist.images[0, ..., 0]
    x0, y0, x1, y1 = mnist.boxes[0].astype(int)
    assert gray[y0:y1, x0:x1].sum() > 0.9 * gray.sum()  # the box holds the digit
    faces = targets.load_target_set("lfw-faces", images_per_class=3)
    assert faces.class_names == ("face", "non-face") and faces.boxes is None
    assert targets.load_target_set("mnist", 2).fingerprint == mnist.fingerprint
    with pytest.raises(InputError, match=r"^name: expected one of mnist"):
        targets.load_target_set("cifar")


def test_feature_layers_are_fc7_avgpool_and_gap():
    x = torch.randn(2, 3, 64, 64)
    dataset = base.ResizedImages(np.zeros((2, 64, 64, 3), np.uint8), 64)
    for name, dim in (("small-alexnet", 256), ("small-googlenet-gap", 128)):
        model = build_model(name, 10).eval()
        fs = table5.feature_set(name, model, 64)
        assert cfeatures.extract_features(model, dataset, fs.layer).shape == (2, dim)
    alex = build_model("small-alexnet", 10).eval()
    head = alex.head
    with torch.no_grad():
        pooled = head[:4](alex.features(x))
        fc7 = F.relu(head[7](F.relu(head[4](pooled))))
        feats = []
        handle = alex.get_submodule("head.8").register_forward_hook(lambda m, i, o: feats.append(o))
        alex(x)
        handle.remove()
    assert torch.allclose(feats[0], fc7)
    goog = build_model("small-googlenet", 10).eval()
    fs = table5.feature_set("small-googlenet", goog, 64)
    assert fs.kind == "ave pool" and fs.paper_row == "ave pool from GoogLeNet"
    with pytest.raises(InputError, match=r"^model: expected a small-alexnet network"):
        table5.feature_set("small-alexnet", goog, 64)


def test_target_features_cached_by_weights_and_data(tmp_path, monkeypatch):
    net = colour_net()
    fs = table5.feature_set("small-googlenet-gap", net, 8)
    images = np.zeros((4, 8, 8, 3), np.uint8)
    images[:, :, :, 0] = 255
    target = base.TargetSet("red", images, np.array([0, 0, 1, 1]), ("a", "b"))
    first = table5.target_features(fs, target, tmp_path)
    red = (1.0 - 0.485) / 0.229  # ImageNet-normalised full red, ReLU keeps it
    assert np.allclose(first[:, 0], red, atol=1e-5) and np.allclose(first[:, 1:], 0.0)

    def boom(*args, **kwargs):
        raise AssertionError("recomputed")

    monkeypatch.setattr(cfeatures, "extract_features", boom)
    assert np.array_equal(table5.target_features(fs, target, tmp_path), first)
    with torch.no_grad():
        net.features[0].weight.mul_(2.0)
    with pytest.raises(AssertionError, match="recomputed"):
        table5.target_features(fs, target, tmp_path)


def test_svm_cams_equal_the_weighted_sum_and_the_svm_score():
    torch.manual_seed(0)
    net = colour_net(3)
    labels = np.arange(12) % 3
    images = torch.rand(12, 3, 4, 4)
    images[np.arange(12), labels] += 1.0  # class c: channel c brighter
    gap = net.features(images).mean(dim=(2, 3)).detach().numpy()
    svm = cfeatures.fit_linear_svm(gap, labels)
    w = torch.tensor(svm.named_steps["linearsvc"].coef_, dtype=torch.float32)
    classes = torch.tensor(labels)
    maps = items_svm_cams.svm_cams(net, images, svm, classes)
    f = F.relu(images)
    expected = torch.einsum("nk,nkhw->nhw", w[classes], f).clamp_min(0)
    expected = expected / expected.amax(dim=(1, 2), keepdim=True)
    assert torch.allclose(maps, expected, atol=1e-6)
    # the SVM's score = spatial mean of the unnormalised map / ||GAP|| + intercept
    raw = torch.einsum("ck,nkhw->nchw", w, f).mean(dim=(2, 3)).numpy()
    score = raw / np.linalg.norm(gap, axis=1, keepdims=True)
    score += svm.named_steps["linearsvc"].intercept_
    assert np.allclose(svm.decision_function(gap), score, atol=1e-5)


def test_binary_svm_rows_and_peak_in_box():
    est = LinearSVC()
    est.coef_ = np.array([[1.0, -2.0, 0.5]])
    rows = items_svm_cams.svm_class_weights(est)
    assert rows.tolist() == [[-1.0, 2.0, -0.5], [1.0, -2.0, 0.5]]
    maps = np.zeros((2, 4, 4))
    maps[0, 1, 2] = 1.0  # peak at x = 2, y = 1
    maps[1, 3, 0] = 1.0  # peak at x = 0, y = 3
    boxes = np.array([[2.0, 1.0, 3.0, 2.0], [1.0, 0.0, 4.0, 4.0]])
    assert peak_in_box(maps, boxes).tolist() == [True, False]
    with pytest.raises(InputError, match=r"^svm: expected a fitted linear SVM"):
        items_svm_cams.svm_class_weights(LinearSVC())


def nested(accuracies: dict[str, list[int]], n: int = 100) -> dict:
    """Per-image results: on target set d{i}, feature set f gets its first k of n right."""
    return {
        (f, f"d{d}", 0): np.arange(n) < k for f, ks in accuracies.items() for d, k in enumerate(ks)
    }


def test_claims_hold_and_fail_on_hand_made_tables():
    # Two target sets of 100 test images, one split: every image weighs 1/200, so the pooled
    # scores are 100 x right/wrong and the statistic is the plain mean over the 200 images.
    good = table5.check_claims(nested({"gap": [80, 90], "ave": [81, 90], "fc7": [70, 85]}),
                               "gap", "ave", "fc7")  # fmt: skip
    # gap - ave: one image of 200 at -100 -> -0.5; a replicate draws it 4+ times with
    # probability ~0.019 < 0.025, so the lower end is about -1.5 > -2 (the tolerance): holds.
    # gap - fc7: +10 and +5 -> +7.5 on 15 of 200 images, far from 0: holds; ave - fc7 +8.
    assert [c.claim_id for c in good] == ["gap_as_good_as_avepool", "gap_beats_fc7",
                                          "avepool_beats_fc7"]  # fmt: skip
    assert [c.verdict for c in good] == ["holds", "holds", "holds"]
    assert [c.measured for c in good] == pytest.approx([-0.5, 7.5, 8.0])
    assert -2.0 < good[0].low <= -1.0 and good[0].high == 0.0
    # paper: mean over its eight datasets of gap - ave pool, gap - fc7, ave pool - fc7
    assert [round(c.paper, 2) for c in good] == [-0.45, 7.81, 8.25]
    bad = table5.check_claims(nested({"gap": [70, 80], "ave": [81, 90], "fc7": [75, 85]}),
                              "gap", "ave", "fc7")  # fmt: skip
    # gap - ave -10.5 (21 of 200 images at -100: far below -2); gap - fc7 -5; ave - fc7 +5.5
    assert [c.verdict for c in bad] == ["does not hold", "does not hold", "holds"]
    assert "0/2 target sets" in bad[0].data and "d0 -11.0, d1 -10.0" in bad[0].data
    view = table5.table5_view(tidy_rows([80, 90], [81, 90], [70, 85]))
    assert view.loc["gap", "d0"] == "80.0\u00a0±\u00a00.0" and list(view.index) == [
        "gap",
        "ave",
        "fc7",
    ]


def tidy_rows(gap, ave, fc7):
    rows = []
    for label, accs in (("gap", gap), ("ave", ave), ("fc7", fc7)):
        for d, a in enumerate(accs):
            rows.append({"features": label, "dataset": f"d{d}", "split": 0, "accuracy": a})
    return pd.DataFrame(rows)


def test_table5_claims_four_verdicts():
    # All three right on the same 40 images: every difference is 0 on every image, so the
    # interval is [0, 0]: above -2 (holds) for "as good as", touching 0 (not
    # distinguishable) for the two "beat fc7" claims. Then gap and ave pool wrong and fc7
    # right everywhere: gap - ave still [0, 0] (holds), the others [-100, -100] (do not).
    right, wrong = np.ones(40, bool), np.zeros(40, bool)
    correct = {("gap", "d0", 0): right, ("ave", "d0", 0): right, ("fc7", "d0", 0): right}
    found = table5.check_claims(correct, "gap", "ave", "fc7")
    assert [c.verdict for c in found] == ["holds", "not distinguishable", "not distinguishable"]
    correct[("ave", "d0", 0)] = wrong
    correct[("gap", "d0", 0)] = wrong
    found = table5.check_claims(correct, "gap", "ave", "fc7")
    assert [c.verdict for c in found] == ["holds", "does not hold", "does not hold"]
    # 10 test images pooled: fewer than MIN_TEST_IMAGES = 30 -> not tested
    few = {k: v[:10] for k, v in correct.items()}
    assert {c.verdict for c in table5.check_claims(few, "gap", "ave", "fc7")} == {"not tested"}
    # a missing stand-in (no fc7 feature set): every claim not tested
    net = CAMNet(nn.Sequential(nn.Conv2d(3, 2, 1)), 2, 2)
    fsets = [table5.FeatureSet("small-googlenet-gap", net, "features", "gap", 8)]
    missing = table5.table5_claims(correct, fsets)
    assert [c.verdict for c in missing] == ["not tested"] * 3


def test_pooled_scores_weigh_target_sets_equally():
    # d0: 2 splits of 4 images (3 and 1 right: 50%); d1: 1 split of 2 images (both: 100%)
    correct = {
        ("f", "d0", 0): np.array([1, 1, 1, 0], bool),
        ("f", "d0", 1): np.array([1, 0, 0, 0], bool),
        ("f", "d1", 0): np.array([1, 1], bool),
    }
    scores = table5.pooled_scores(correct, "f", ["d0", "d1"])
    assert len(scores) == 10 and scores.mean() == pytest.approx(75.0)  # (50 + 100) / 2
    with pytest.raises(InputError, match=r"^correct: expected per-image results of 'f' on"):
        table5.pooled_scores(correct, "f", ["d2"])


def test_peak_claim_four_verdicts():
    n = 40
    area = np.full(n, 0.1)  # chance 10%, 1.5 x chance 15 points
    # every peak in its box: 100 - 15 = +85 on every image -> [85, 85]: holds
    c = items_svm_cams.peak_claim("set", np.ones(n, bool), area)
    assert c.verdict == "holds" and c.measured == pytest.approx(85.0)
    assert c.data == "set: peak in box 100.0% of 40 images, chance 10.0%"
    # no peak in its box: -15 on every image: does not hold
    assert items_svm_cams.peak_claim("set", np.zeros(n, bool), area).verdict == "does not hold"
    # boxes of 20%: 1.5 x chance is 30 points; 12 of 40 peaks in (30%) -> mean 0, and
    # the replicates vary on both sides: not distinguishable
    c = items_svm_cams.peak_claim("set", np.arange(n) < 12, np.full(n, 0.2))
    assert c.measured == pytest.approx(0.0) and c.verdict == "not distinguishable"
    # 10 images: not tested
    c = items_svm_cams.peak_claim("set", np.ones(10, bool), area[:10])
    assert c.verdict == "not tested" and c.claim_id == "peak_in_box:set"
    with pytest.raises(InputError, match=r"^box_area: expected 40 shares of the image"):
        items_svm_cams.peak_claim("set", np.ones(n, bool), np.full(n, 2.0))


def test_svm_cam_localization_scores_peaks_and_boxes():
    # a red square (class 0) or a green square (class 1) on black: the map is the square
    images = np.zeros((8, 16, 16, 3), np.uint8)
    boxes = np.zeros((8, 4))
    labels = np.array([0, 1] * 4)
    for i in range(8):
        x, y = 2 * i % 10, (3 * i) % 10
        images[i, y : y + 6, x : x + 6, labels[i]] = 255
        boxes[i] = [x, y, x + 6, y + 6]
    target = base.TargetSet("squares", images, labels, ("red", "green"), boxes=boxes)
    fs = table5.feature_set("small-googlenet-gap", colour_net(), 32)
    split = (np.arange(4), np.arange(4, 8))
    res = items_svm_cams.svm_cam_localization(
        fs, target, split, None, show_classes=2, show_per_class=1, cs=(1.0, 10.0), cv_folds=2
    )
    panel = res.eval
    assert res.accuracy == 100.0 and panel.images.shape == (4, 32, 32, 3)
    assert panel.scores["peak_in_box"].all()
    assert np.allclose(panel.gt_boxes, boxes[4:] * 2)
    assert (panel.scores["iou"] > 0.7).all()
    assert res.shown.indices.tolist() == [4, 5] and res.shown.classes.tolist() == [0, 1]
    summary = items_svm_cams.localization_summary([res])
    assert summary.loc["squares", "peak in box (%)"] == 100.0
    assert summary.loc["squares", "chance: mean box area (%)"] == round(100 * 36 / 256, 1)
    (claim,) = items_svm_cams.figure8_claims([res])
    # 4 scored images: too few to judge; the numbers are kept
    assert claim.claim_id == "peak_in_box:squares" and claim.verdict == "not tested"
    assert claim.measured == pytest.approx(100.0 - 1.5 * 100 * 36 / 256)
    res.eval.scores = res.eval.scores.drop(columns=["peak_in_box", "box_area", "iou"])
    (none,) = items_svm_cams.figure8_claims([res])
    assert none.verdict == "not tested" and "no target set with object boxes" in none.reason
