"""Localization engine: hand-set CAMs whose boxes and errors are known by eye, trivial
baselines on hand-made boxes, agreement with cam_core.core.metrics computed directly, sharding."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.core import boxes, metrics
from cam_core.core.cam import class_activation_maps
from cam_core.items import localization
from cam_core.items.localization import evaluate_localization
from cam_core.nets.models import CAMNet
from cam_core.nets.registry import build_model
from cam_core.validate import InputError


class ListDataset(Dataset):
    def __init__(self, items: list) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int):
        return self.items[i]


def identity_camnet(channels: int = 3) -> CAMNet:
    """The image is the feature map and w = I: CAM of class c is image channel c, and the
    logit of c is that channel's mean."""
    classifier = nn.Linear(channels, channels)
    with torch.no_grad():
        classifier.weight.copy_(torch.eye(channels))
        classifier.bias.zero_()
    return CAMNet(nn.Identity(), channels, channels, classifier=classifier)


def block(y0: int, y1: int, x0: int, x1: int, value: float = 1.0) -> torch.Tensor:
    m = torch.zeros(8, 8)
    m[y0:y1, x0:x1] = value
    return m


def hand_set() -> ListDataset:
    """Four 8x8 images over 3 classes; the comments give each one's CAM box and verdict."""
    c = torch.full((8, 8), 0.01)  # weak constant maps rank the classes without ties
    d = torch.full((8, 8), 0.005)
    # 0: label 0, top-1 0. Box (1, 2, 5, 5) = ground truth; a 0.3 pixel (>= 20%) is a smaller
    # separate component and a 0.15 one falls below 20%: neither changes the box.
    ch0 = block(2, 5, 1, 5)
    ch0[7, 0], ch0[7, 7] = 0.3, 0.15
    img0 = torch.stack([ch0, c, d])
    # 1: label 1, but class 0 scores higher (top-1 wrong); class 1's box (4, 4, 8, 8) is right.
    img1 = torch.stack([block(0, 8, 0, 4), block(4, 8, 4, 8), d])
    # 2: label 2, top-1 2, box (0, 0, 2, 2) misses the ground truth (2, 2, 6, 6).
    img2 = torch.stack([c, 2 * c, block(0, 2, 0, 2)])
    # 3: label 0, top-1 0, box (0, 0, 4, 4) vs ground truth (0, 0, 4, 8): IoU exactly 0.5.
    img3 = torch.stack([block(0, 4, 0, 4), c, d])
    gts = [(1, 2, 5, 5), (4, 4, 8, 8), (2, 2, 6, 6), (0, 0, 4, 8)]
    return ListDataset(
        [
            (img, label, torch.tensor(gt, dtype=torch.float32))
            for img, label, gt in zip([img0, img1, img2, img3], [0, 1, 2, 0], gts, strict=True)
        ]
    )


def test_hand_set_cams_boxes_and_errors_by_eye():
    res = evaluate_localization(identity_camnet(), hand_set(), batch_size=3, centre_size=(0.5, 0.5))
    assert res.top_classes[:, 0].tolist() == [0, 0, 2, 0]
    assert res.pred_boxes[:, 0].tolist() == [
        [1, 2, 5, 5],
        [0, 0, 4, 8],
        [0, 0, 2, 2],
        [0, 0, 4, 4],
    ]
    assert res.pred_boxes[1, 1].tolist() == [4, 4, 8, 8]  # class 1, second guess
    assert res.ious[:, 0].tolist() == pytest.approx([1.0, 0.0, 0.0, 0.5])
    s = res.summary
    assert s["cls_top1_error"] == 0.25 and s["cls_top5_error"] == 0.0  # top-3 of 3 classes
    assert s["loc_top1_error"] == 0.5  # images 1 (class) and 2 (box)
    assert s["loc_top5_error"] == 0.25  # image 1's second guess is right
    assert s["gt_known_loc"] == 0.75  # only image 2's box misses
    # centred box (2, 2, 6, 6) hits image 2 only; the whole image (0, 0, 8, 8) hits image 3
    # only (IoU 32/64); both with a right top-1 class.
    assert res.summary["centre_top1_error"] == 0.75 and s["centre_top5_error"] == 0.75
    assert s["centre_gt_known_loc"] == 0.25
    assert s["whole_top1_error"] == 0.75 and s["whole_gt_known_loc"] == 0.25
    records = res.records()
    assert len(records) == 12 and records.correct.sum() == 3
    assert res.notes == []


def test_gt_known_by_object_size_on_the_hand_set():
    # object sides sqrt(area / 64): 0.433 (12 px), 0.5, 0.5 (16 px), 0.707 (32 px); the
    # true-class boxes' areas over the true boxes': 1, 1, 4/16 (a miss), 16/32 (IoU 0.5, a hit)
    res = evaluate_localization(identity_camnet(), hand_set(), batch_size=3, centre_size=(0.5, 0.5))
    table = res.by_object_size(edges=(0.0, 0.2, 0.45, 0.6, 1.0))
    assert table["images"].tolist() == [0, 1, 2, 1]
    assert table["GT-known loc. (%)"].tolist()[1:] == [100.0, 50.0, 100.0]
    assert table["box area / true area (median)"].tolist()[1:] == [1.0, 0.62, 0.5]
    assert np.isnan(table["GT-known loc. (%)"].iloc[0])
    assert table["object side / image side"].iloc[3] == "0.60\u20131.00"
    with pytest.raises(InputError, match=r"^edges: expected increasing bin edges"):
        res.by_object_size(edges=(0.5, 0.2))


def test_centre_box_defaults_to_the_sets_own_mean_size():
    res = evaluate_localization(identity_camnet(), hand_set())
    # widths 4, 4, 4, 4 and heights 3, 4, 4, 8 of 8 px
    assert res.centre_size == pytest.approx((0.5, 19 / 32))
    assert res.notes and "evaluated set itself" in res.notes[0]


def test_trivial_baselines_on_hand_made_boxes():
    assert localization.centre_box((0.5, 0.25), (8, 16)).tolist() == [4, 3, 12, 5]
    assert localization.whole_box((8, 16)).tolist() == [0, 0, 16, 8]
    size = localization.mean_box_size([np.array([0, 0, 4, 2]), np.array([2, 2, 6, 8])], (8, 8))
    assert size == pytest.approx((0.5, 0.5))
    top = np.array([[0, 1], [1, 0], [1, 0]])
    labels = np.array([0, 0, 1])
    gt = [np.array([2.0, 2, 6, 6]), np.array([2.0, 2, 6, 6]), np.array([0.0, 0, 1, 1])]
    err = localization.baseline_errors(np.array([2.0, 2, 6, 6]), top, labels, gt)
    # image 0: top-1 right, box exact; image 1: right only at top-2; image 2: box misses
    assert err == pytest.approx({"top1": 2 / 3, "top5": 1 / 3, "gt_known": 1 / 3})


def test_maxboxacc_curve_is_metrics_max_box_acc_whatever_the_batches():
    data = hand_set()
    res = evaluate_localization(identity_camnet(), data, batch_size=3)
    maps = torch.stack([data[i][0][data[i][1]] for i in range(len(data))])
    direct = metrics.max_box_acc(maps, [data[i][2] for i in range(len(data))])
    np.testing.assert_allclose(res.curve, direct["curve"][0])
    assert res.summary["maxboxacc"] == pytest.approx(direct["value"])
    assert res.summary["maxboxacc_threshold"] == pytest.approx(direct["best_threshold"][0])


def random_set(n: int = 11, size: int = 32, classes: int = 6, multi: bool = False) -> ListDataset:
    g = torch.Generator().manual_seed(0)
    items = []
    for i in range(n):
        image = torch.randn(3, size, size, generator=g)
        label = i % classes
        xy = torch.randint(0, size // 2, (2,), generator=g).float()
        wh = torch.randint(4, size // 2, (2,), generator=g).float()
        box = torch.cat([xy, xy + wh])
        if multi:  # ILSVRC-style: a second box of another class, one of this class
            other = torch.tensor([0.0, 0.0, size, size])
            items.append(
                (image, label, torch.stack([other, box]), torch.tensor([label + 1, label]))
            )
        else:
            items.append((image, label, box))
    return ListDataset(items)


@pytest.mark.parametrize("multi", [False, True])
def test_agrees_with_metrics_computed_directly(multi):
    torch.manual_seed(0)
    model = build_model("small-vgg-gap", 6, width=0.25).eval()
    data = random_set(multi=multi)
    res = evaluate_localization(model, data, batch_size=4, threshold=0.3, max_boxes=2)
    images = torch.stack([data[i][0] for i in range(len(data))])
    labels = torch.tensor([data[i][1] for i in range(len(data))])
    with torch.no_grad():
        logits, fmap = model.forward_features(images)
    top = logits.topk(5, 1).indices
    cams = class_activation_maps(fmap, model.classifier.weight, top, size=(32, 32))
    pred = boxes.boxes_from_maps(cams, 0.3)
    gt = [data[i][2].numpy() for i in range(len(data))]
    gt_labels = [data[i][3].numpy() for i in range(len(data))] if multi else None
    expect = metrics.localization_error(top, pred, labels, gt, gt_labels)
    cls = metrics.classification_error(logits, labels)
    assert res.summary["loc_top1_error"] == pytest.approx(expect["top1"])
    assert res.summary["loc_top5_error"] == pytest.approx(expect["top5"])
    assert res.summary["cls_top1_error"] == pytest.approx(cls["top1"])
    np.testing.assert_allclose(res.pred_boxes, pred)
    np.testing.assert_array_equal(res.top_classes, top.numpy())
    if multi:  # the other-class whole-image box never counts
        assert len(res.gt_list()[0]) == 2 and res.gt_box_labels.shape == (11, 2)
    # the per-image errors (the paired bootstraps of Tables 2-3) average to the summary
    assert res.loc_errors(1).mean() == pytest.approx(expect["top1"])
    assert res.loc_errors(5).mean() == pytest.approx(expect["top5"])
    assert res.cls_errors(1).mean() == pytest.approx(cls["top1"])
    assert 1.0 - res.gt_known_errors().mean() == pytest.approx(res.summary["gt_known_loc"])
    assert res.loc_errors(1).shape == (len(data),) and res.loc_errors(1).dtype == bool


def test_tight_loose_is_boxes_tight_loose_top5():
    data = hand_set()
    res = evaluate_localization(identity_camnet(), data, heuristic="tight+loose", topk=3)
    images = torch.stack([data[i][0] for i in range(len(data))])
    cams = images[torch.arange(4)[:, None], torch.from_numpy(res.top_classes)]
    cls, pred = boxes.tight_loose_top5(cams, res.top_classes)
    np.testing.assert_array_equal(res.pred_classes, cls)
    np.testing.assert_allclose(res.pred_boxes, pred)
    assert res.pred_classes.shape == (4, 5) and res.heuristic == "tight+loose"
    # top-5 over the five tight+loose guesses, as in the summary
    assert res.loc_errors(5).mean() == pytest.approx(res.summary["loc_top5_error"])


def test_backprop_and_gradcam_known_answers():
    data = hand_set()
    # dS_c/dx is w_c / 64 on channel c everywhere: a flat saliency, so whole-image boxes
    bp = evaluate_localization(identity_camnet(), data, method="backprop")
    assert (bp.pred_boxes == [0, 0, 8, 8]).all()
    assert bp.summary["loc_top1_error"] == bp.summary["whole_top1_error"]
    # Grad-CAM of this net is ReLU(f_c / 64): the CAM boxes again
    cam = evaluate_localization(identity_camnet(), data)
    gc = evaluate_localization(identity_camnet(), data, method="gradcam")
    np.testing.assert_allclose(gc.pred_boxes, cam.pred_boxes)
    assert gc.summary == pytest.approx(cam.summary)


def test_backprop_runs_on_an_fc_network_and_leaves_it_as_it_was():
    torch.manual_seed(0)
    model = build_model("small-alexnet", 6, width=0.25)
    model.train()
    res = evaluate_localization(model, random_set(5), method="backprop")
    assert res.pred_boxes.shape == (5, 5, 4) and model.training
    assert all(p.requires_grad and p.grad is None for p in model.parameters())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "lrp"}, r"^method: expected one of"),
        ({"heuristic": "tight"}, r"^heuristic: expected None or 'tight\+loose'"),
        ({"threshold": 1.5}, r"^threshold: expected a number in \[0, 1\]"),
        ({"box_rule": "mine"}, r"^box_rule: expected one of"),
        ({"topk": 0}, r"^topk: expected a positive int"),
    ],
)
def test_bad_arguments_are_one_line(kwargs, message):
    with pytest.raises(InputError, match=message):
        evaluate_localization(identity_camnet(), hand_set(), **kwargs)


def test_cam_needs_a_cam_network():
    with pytest.raises(InputError, match=r"^model: expected a CAMNet"):
        evaluate_localization(build_model("small-alexnet", 6, width=0.25), random_set(3))


DDP_SCRIPT = textwrap.dedent(
    """
    import sys, json, torch
    import torch.distributed as dist
    sys.path.insert(0, sys.argv[2])
    from test_localization import identity_camnet, hand_set, random_set
    from cam_core.nets.train import distributed_context
    from cam_core.items.localization import evaluate_localization
    ctx = distributed_context()
    torch.manual_seed(0)
    res = evaluate_localization(identity_camnet(), hand_set(), batch_size=1, ctx=ctx)
    if ctx.is_main:
        out = {"summary": res.summary, "boxes": res.pred_boxes.tolist(),
               "labels": res.labels.tolist()}
        open(sys.argv[1], "w").write(json.dumps(out))
    dist.barrier()
    dist.destroy_process_group()
    """
)


@pytest.mark.slow
def test_two_ranks_give_the_single_process_result(tmp_path):
    import json

    script = tmp_path / "ddp_loc.py"
    script.write_text(DDP_SCRIPT)
    out = tmp_path / "loc.json"
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [str(torchrun), "--standalone", "--nproc_per_node=2", str(script), str(out)]
    cmd.append(str(Path(__file__).parent))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    ddp = json.loads(out.read_text())
    single = evaluate_localization(identity_camnet(), hand_set())
    assert ddp["labels"] == single.labels.tolist()
    np.testing.assert_allclose(ddp["boxes"], single.pred_boxes)
    assert ddp["summary"] == pytest.approx(single.summary)
