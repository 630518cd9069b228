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


def test_claims_hold_and_fail_on_hand_made_tables():
    def tidy(gap, ave, fc7):
        rows = []
        for label, accs in (("gap", gap), ("ave", ave), ("fc7", fc7)):
            for d, a in enumerate(accs):
                rows.append({"features": label, "dataset": f"d{d}", "split": 0, "accuracy": a})
        return pd.DataFrame(rows)

    good = table5.check_claims(tidy([80, 90], [81, 90], [70, 85]), "gap", "ave", "fc7")
    assert good["holds"].tolist() == ["yes", "yes"]
    bad = table5.check_claims(tidy([70, 80], [81, 90], [75, 85]), "gap", "ave", "fc7")
    assert bad["holds"].tolist() == ["no", "no"]
    assert "2/2" not in bad.loc[0, "evidence"] and "0/2 sets" in bad.loc[0, "evidence"]
    view = table5.table5_view(tidy([80, 90], [81, 90], [70, 85]))
    assert view.loc["gap", "d0"] == "80.0\u00a0±\u00a00.0" and list(view.index) == [
        "gap",
        "ave",
        "fc7",
    ]


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
