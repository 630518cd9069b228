"""Known-answer tests for cam_core.core.metrics, worked out by hand."""

import numpy as np
import pytest
import torch

from cam_core.core.boxes import largest_component_boxes_sweep
from cam_core.core.metrics import (
    box_accuracy,
    classification_error,
    iou,
    iou_elementwise,
    localization_error,
    max_box_acc,
)
from cam_core.validate import InputError

# ------------------------------------------------------------------------------------ IoU


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0, 2, 2), (0, 0, 2, 2), 1.0),  # identical
        ((0, 0, 1, 1), (2, 2, 3, 3), 0.0),  # disjoint
        ((0, 0, 1, 1), (1, 0, 2, 1), 0.0),  # sharing an edge only
        ((0, 0, 2, 2), (1, 0, 3, 2), 1 / 3),  # half-overlapping: 2 / (4 + 4 - 2)
        ((0, 0, 4, 4), (1, 1, 3, 3), 0.25),  # contained: 4 / 16
        ((1, 1, 1, 3), (1, 1, 1, 3), 0.0),  # zero-area union -> 0 by definition
    ],
)
def test_iou_known_answers(a, b, expected):
    assert iou(np.array([a], float), np.array([b], float))[0, 0] == pytest.approx(expected)
    assert iou_elementwise(np.array([a], float), np.array([b], float))[0] == pytest.approx(expected)


def test_iou_pairwise_shape_and_torch():
    a = torch.tensor([[0.0, 0, 2, 2], [0, 0, 4, 4]])
    b = np.array([[0.0, 0, 2, 2], [1, 0, 3, 2], [10, 10, 11, 11]])
    np.testing.assert_allclose(iou(a, b), [[1, 1 / 3, 0], [0.25, 0.25, 0]])
    assert iou(np.array([0.0, 0, 2, 2]), b).shape == (1, 3)


@pytest.mark.parametrize(
    ("a", "b", "name"),
    [
        (np.array([[2.0, 0, 1, 1]]), np.zeros((1, 4)), "boxes_a"),  # x1 < x0
        (np.zeros((1, 4)), np.zeros((1, 3)), "boxes_b"),
        (np.zeros((1, 1, 4)), np.zeros((1, 4)), "boxes_a"),
        (np.full((1, 4), np.nan), np.zeros((1, 4)), "boxes_a"),
    ],
)
def test_iou_bad_input(a, b, name):
    with pytest.raises(InputError, match=f"^{name}"):
        iou(a, b)


def test_iou_elementwise_length_mismatch():
    with pytest.raises(InputError, match="^boxes_b"):
        iou_elementwise(np.zeros((2, 4)), np.zeros((3, 4)))


# ------------------------------------------------------------------- classification error


def test_classification_error_from_logits_and_ties():
    logits = np.array(
        [
            [0.1, 0.9, 0.0, 0.0, 0.0, 0.0],  # label 1: top-1
            [0.5, 0.4, 0.3, 0.2, 0.1, 0.0],  # label 4: rank 5 (index 4) -> top-5 only
            [0.5, 0.4, 0.3, 0.2, 0.1, 0.0],  # label 5: rank 6 -> neither
            [0.7, 0.7, 0.0, 0.0, 0.0, 0.0],  # label 1 ties with 0: lower index first -> rank 2
        ]
    )
    err = classification_error(torch.from_numpy(logits), np.array([1, 4, 5, 1]))
    assert err == {"top1": pytest.approx(3 / 4), "top5": pytest.approx(1 / 4)}


def test_classification_error_from_ranked_classes():
    guesses = np.array([[3, 1, 2], [0, 1, 2], [2, 0, 1]])
    err = classification_error(guesses, np.array([3, 2, 9]), topk=(1, 3))
    assert err == {"top1": pytest.approx(2 / 3), "top3": pytest.approx(1 / 3)}


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "name"),
    [
        (np.zeros((2, 3)), np.array([0, 1, 2]), {}, "labels"),  # length mismatch
        (np.zeros((2, 3)), np.array([0, 3]), {"topk": 1}, "labels"),  # label out of range
        (np.zeros((2, 3)), np.array([0, 1]), {}, "topk"),  # top-5 of 3 classes
        (np.zeros((2, 3), int), np.array([0.0, 1.0]), {"topk": 1}, "labels"),
        (np.zeros((0, 3)), np.zeros(0, int), {"topk": 1}, "scores_or_classes"),
        (np.array([[np.nan, 0.0]]), np.array([0]), {"topk": 1}, "scores_or_classes"),
    ],
)
def test_classification_error_bad_input(x, y, kwargs, name):
    with pytest.raises(InputError, match=f"^{name}"):
        classification_error(x, y, **kwargs)


# --------------------------------------------------------------------- localization error


def _loc_case():
    far = [50.0, 50, 60, 60]
    pred_classes = np.array(
        [
            [5, 1, 2, 3, 4],  # right class, box matches the second GT box
            [9, 1, 2, 3, 4],  # wrong class with a perfect box
            [1, 2, 5, 3, 4],  # right class at rank 3
            [7, 7, 1, 2, 3],  # 7 is right; rank 1 hits a class-3 box, rank 2 its own box
        ]
    )
    pred_boxes = np.array(
        [
            [[0, 0, 4, 4], far, far, far, far],
            [[0, 0, 4, 4], far, far, far, far],
            [far, far, [0, 0, 4, 4], far, far],
            [[0, 0, 4, 4], [10, 10, 14, 14], far, far, far],
        ],
        dtype=float,
    )
    gt_labels = np.array([5, 5, 5, 7])
    gt_boxes = [
        np.array([[10.0, 10, 20, 20], [0, 0, 4, 4]]),
        np.array([[0.0, 0, 4, 4]]),
        np.array([0.0, 0, 4, 4]),
        np.array([[0.0, 0, 4, 4], [10, 10, 14, 14]]),
    ]
    gt_box_labels = [np.array([5, 5]), np.array([5]), np.array([5]), np.array([3, 7])]
    return pred_classes, pred_boxes, gt_labels, gt_boxes, gt_box_labels


def test_localization_error_known_answers():
    cls, boxes, y, gt, gt_lab = _loc_case()
    err = localization_error(cls, boxes, y, gt, gt_lab)
    # top-1: only image 0 is right; top-5: images 0, 2, 3
    assert err == {"top1": pytest.approx(3 / 4), "top5": pytest.approx(1 / 4)}
    # without box labels image 3's rank-1 box matches its (then class-7) first box
    err = localization_error(cls, boxes, y, gt, None, topk=1)
    assert err == {"top1": pytest.approx(2 / 4)}


def test_localization_error_iou_threshold_is_inclusive():
    cls = np.array([[1]])
    pred = np.array([[[0.0, 0, 2, 2]]])
    gt = [np.array([[0.0, 0, 4, 2]])]  # IoU exactly 4 / 8
    assert localization_error(cls, pred, np.array([1]), gt, topk=1)["top1"] == 0.0
    assert localization_error(cls, pred, np.array([1]), gt, topk=1, iou_threshold=0.51)[
        "top1"
    ] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"pred_boxes": np.zeros((4, 4, 4))}, "pred_boxes"),
        ({"gt_labels": np.array([5, 5, 5])}, "gt_labels"),
        ({"gt_boxes": [np.zeros((1, 4))] * 3}, "gt_boxes"),
        ({"gt_boxes": [np.zeros((1, 4)), np.array([[3.0, 0, 1, 1]])] * 2}, r"gt_boxes\[1\]"),
        ({"gt_boxes": [np.zeros((0, 4))] * 4}, r"gt_boxes\[0\]"),
        ({"gt_box_labels": [np.array([5])] * 4}, r"gt_box_labels\[0\]"),
        ({"topk": (1, 6)}, "topk"),
        ({"iou_threshold": 2.0}, "iou_threshold"),
        ({"pred_classes": np.zeros((4, 5))}, "pred_classes"),
    ],
)
def test_localization_error_bad_input(change, name):
    cls, boxes, y, gt, gt_lab = _loc_case()
    args = {
        "pred_classes": cls,
        "pred_boxes": boxes,
        "gt_labels": y,
        "gt_boxes": gt,
        "gt_box_labels": gt_lab,
    }
    args.update(change)
    with pytest.raises(InputError, match=f"^{name}"):
        localization_error(**args)


# -------------------------------------------------------------------------- box accuracy


def test_box_accuracy_known_answer_and_gt_forms():
    pred = np.array([[0.0, 0, 2, 2], [0, 0, 2, 2], [0, 0, 4, 4]])
    gt = np.array([[0.0, 0, 2, 2], [1, 0, 3, 2], [1, 1, 3, 3]])  # IoU 1, 1/3, 1/4
    assert box_accuracy(pred, gt) == pytest.approx(1 / 3)
    assert box_accuracy(pred, list(gt)) == pytest.approx(1 / 3)
    assert box_accuracy(pred, gt, iou_threshold=0.3) == pytest.approx(2 / 3)
    assert box_accuracy(pred, gt, iou_threshold=0.25) == 1.0


def test_box_accuracy_bad_input():
    with pytest.raises(InputError, match="^gt_boxes"):
        box_accuracy(np.zeros((2, 4)), np.zeros((3, 4)))
    with pytest.raises(InputError, match="^pred_boxes"):
        box_accuracy(np.zeros((0, 4)), [])


# ----------------------------------------------------------------------------- MaxBoxAcc


def _ring_map() -> np.ndarray:
    m = np.zeros((8, 8))
    m[1:7, 1:7] = 0.5
    m[2:6, 2:6] = 1.0
    return m


def test_max_box_acc_known_best_threshold():
    maps = np.stack([_ring_map()] * 3)
    # image 1's object is the ring: hit for tau <= 0.5 (box (1,1,7,7)); at tau = 0 the
    # whole image still has IoU 36/64 >= 0.5. Images 0 and 2 are the core: tau > 0.5 only.
    gt = [np.array([2.0, 2, 6, 6]), np.array([1.0, 1, 7, 7]), np.array([2.0, 2, 6, 6])]
    out = max_box_acc(maps, gt)
    expected = np.where(np.arange(100) <= 50, 1 / 3, 2 / 3)
    np.testing.assert_allclose(out["curve"][0], expected)
    assert out["value"] == pytest.approx(2 / 3)
    assert out["best_threshold"][0] == pytest.approx(0.51)
    np.testing.assert_allclose(out["thresholds"], np.arange(100) / 100)
    # min-max normalisation makes the scale irrelevant
    assert max_box_acc(maps * 7 - 3, gt)["value"] == pytest.approx(2 / 3)


def test_max_box_acc_v2_uses_every_component():
    m = np.zeros((10, 10))
    m[0:4, 0:4] = 1.0  # the big blob is a distractor
    m[7:9, 7:9] = 1.0  # the object
    gt = [np.array([[7.0, 7, 9, 9]])]
    v1 = max_box_acc(m[None], gt)
    assert v1["value"] == 0.0
    v2 = max_box_acc(torch.from_numpy(m[None]), gt, version=2)
    assert v2["value"] == pytest.approx(1.0)
    np.testing.assert_allclose(v2["iou_thresholds"], [0.3, 0.5, 0.7])
    assert v2["curve"].shape == (3, 100)
    np.testing.assert_array_equal(v2["curve"][:, 0], 0.0)  # tau = 0: the whole image
    np.testing.assert_array_equal(v2["curve"][:, 1:], 1.0)


def test_max_box_acc_v2_averages_iou_thresholds():
    m = np.zeros((1, 10, 10))
    m[0, 0:6, 0:6] = 1.0
    gt = [np.array([[0.0, 0, 10, 6]])]  # best IoU 36/60 = 0.6: hits 0.3 and 0.5, not 0.7
    out = max_box_acc(m, gt, version=2)
    np.testing.assert_allclose(out["max_per_iou"], [1, 1, 0])
    assert out["value"] == pytest.approx(2 / 3)


def test_max_box_acc_v1_matches_direct_sweep():
    rng = np.random.default_rng(4)
    maps = rng.random((20, 12, 12))
    gt = [np.array([[2.0, 2, 9, 9]])] * 20
    th = np.linspace(0, 1, 11)
    out = max_box_acc(maps, gt, thresholds=th)
    lo = maps.reshape(20, -1).min(1)[:, None, None]
    hi = maps.reshape(20, -1).max(1)[:, None, None]
    boxes, valid = largest_component_boxes_sweep((maps - lo) / (hi - lo), th)
    hits = np.stack([iou(b, gt[0])[:, 0] >= 0.5 for b in boxes]) & valid
    np.testing.assert_allclose(out["curve"][0], hits.mean(0))


def test_max_box_acc_constant_map():
    out = max_box_acc(np.ones((1, 4, 4)), [np.array([0.0, 0, 4, 4])])
    # constant -> zeros: tau = 0 keeps the whole image, higher tau keeps nothing (a miss)
    assert out["curve"][0, 0] == 1.0
    assert out["curve"][0, 1:].sum() == 0.0


@pytest.mark.parametrize(
    ("maps", "gt", "kwargs", "name"),
    [
        (np.full((1, 4, 4), np.nan), [np.zeros(4)], {}, "maps"),
        (np.zeros((4, 4)), [np.zeros(4)], {}, "maps"),
        (np.zeros((2, 4, 4)), [np.zeros(4)], {}, "gt_boxes"),
        (np.zeros((1, 4, 4)), [np.zeros(4)], {"version": 3}, "version"),
        (np.zeros((1, 4, 4)), [np.zeros(4)], {"thresholds": [0.5, 0.1]}, "thresholds"),
        (np.zeros((1, 4, 4)), [np.zeros(4)], {"iou_threshold": -0.1}, "iou_threshold"),
        (np.zeros((1, 4, 4)), "boxes", {}, "gt_boxes"),
    ],
)
def test_max_box_acc_bad_input(maps, gt, kwargs, name):
    with pytest.raises(InputError, match=f"^{name}"):
        max_box_acc(maps, gt, **kwargs)
