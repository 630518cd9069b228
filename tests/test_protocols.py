"""The paper-faithful evaluation protocols of Tables 1-3, on hand-made maps and a miniature
ILSVRC tree: per-image BoxAcc hits and MaxBoxAccV2 with a held-out threshold, backprop's
colour reductions, the held-out split, and the ten-crop protocol end to end."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.core import boxes as boxes_mod
from cam_core.core import metrics
from cam_core.core.boxacc import box_hits, max_box_acc_v2_heldout
from cam_core.core.methods import map_method
from cam_core.core.methods.backprop import BackpropSaliency
from cam_core.datasets.ilsvrc_data import IlsvrcVal
from cam_core.items import localization, protocols, tencrop_eval
from cam_core.testing.miniature import make_miniature_ilsvrc
from cam_core.validate import InputError

# --------------------------------------------------------------------------- BoxAcc hits


def test_box_hits_by_hand():
    """One blob on zeros: at tau 0 the mask is the whole 10x10 image (IoU 12/100 with the
    blob's box), at 0.5 the blob itself (IoU 1)."""
    m = np.zeros((1, 10, 10))
    m[0, 2:5, 3:7] = 1.0  # rows 2-4, columns 3-6: box (3, 2, 7, 5), 12 pixels
    v1, v2 = box_hits(m, [np.array([[3.0, 2.0, 7.0, 5.0]])], [0.0, 0.5])
    assert v1.tolist() == [[False, True]]
    assert v2.shape == (1, 3, 2) and v2[0].tolist() == [[False, True]] * 3
    # a whole-image ground truth: tau 0 hits (IoU 1), the blob box misses (IoU 0.12)
    v1, v2 = box_hits(m, [np.array([[0.0, 0.0, 10.0, 10.0]])], [0.0, 0.5])
    assert v1.tolist() == [[True, False]] and v2[0, :, 1].tolist() == [False] * 3


def test_v2_finds_a_small_right_component_that_v1_misses():
    m = np.zeros((1, 10, 10))
    m[0, 0:6, 0:6] = 1.0  # the largest component (36 px), the wrong place
    m[0, 7:9, 7:9] = 1.0  # a 4-px component on the object
    v1, v2 = box_hits(m, [np.array([[7.0, 7.0, 9.0, 9.0]])], [0.5])
    assert v1.tolist() == [[False]] and v2[0, :, 0].tolist() == [True, True, True]


def test_box_hits_average_to_the_dataset_curves():
    """The per-image hits' means are metrics.max_box_acc's curves, versions 1 and 2."""
    torch.manual_seed(0)
    maps = F.interpolate(torch.rand(12, 1, 5, 5), size=(40, 40), mode="bilinear")[:, 0].numpy()
    gts = [b[None] for b in boxes_mod.boxes_from_maps(maps, 0.6)]
    th = np.arange(50) / 50
    v1, v2 = box_hits(maps, gts, th)
    one, two = metrics.max_box_acc(maps, gts, th), metrics.max_box_acc(maps, gts, th, version=2)
    assert v1.mean(0).tolist() == pytest.approx(one["curve"][0].tolist())
    assert np.allclose(v2.mean(0), two["curve"])
    assert v1.any() and not v1.all()


def test_max_box_acc_v2_heldout_by_hand():
    """Held-out curve (0, 1, 0.5) picks the second threshold; the scored curve there is 0.5
    (its own best, the oracle, is 1.0 at the first)."""
    held = np.array([[[0, 1, 0]], [[0, 1, 1]]], bool)  # (2 images, 1 IoU level, 3 taus)
    scored = np.array([[[1, 0, 0]], [[1, 1, 0]]], bool)
    out = max_box_acc_v2_heldout(held, scored, np.array([0.1, 0.2, 0.3]))
    assert out["value"] == pytest.approx(0.5) and out["oracle"] == pytest.approx(1.0)
    assert out["threshold"].tolist() == [0.2]
    with pytest.raises(InputError, match=r"^held: "):
        max_box_acc_v2_heldout(held[:, :, :2], scored, np.array([0.1, 0.2, 0.3]))


def test_holdout_split():
    held, scored = protocols.holdout_split(10, 0.1)
    assert len(held) == 1 and len(scored) == 9
    assert sorted([*held, *scored]) == list(range(10))
    assert protocols.holdout_split(10, 0.1)[0].tolist() == held.tolist()  # fixed seed
    assert protocols.holdout_split(3, 0.0)[1].tolist() == [0, 1, 2]
    assert len(protocols.holdout_split(4, 0.01)[0]) == 1  # at least one held out
    with pytest.raises(InputError, match=r"^maxboxacc_holdout: "):
        protocols.holdout_split(10, 1.0)


# --------------------------------------------------------------------------- backprop


class _Linear(nn.Module):
    """logits = <W_c, x>: the input gradient of class c is W_c itself."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("nchw,kchw->nk", x, self.weight)


def test_backprop_colour_reductions_by_hand():
    w = torch.zeros(2, 3, 2, 2)
    w[1, :, 0, 1] = torch.tensor([1.0, -2.0, 0.5])  # class 1, pixel (row 0, col 1)
    w[1, :, 1, 0] = torch.tensor([-0.25, 0.0, 0.0])
    model, x, cls = _Linear(w), torch.rand(1, 3, 2, 2), torch.tensor([1])
    simonyan = BackpropSaliency("max")(model, x, cls)[0]
    released = map_method("backprop", reduce="sum")(model, x, cls)[0]
    assert simonyan.tolist() == [[0.0, 2.0], [0.25, 0.0]]
    assert released.tolist() == [[0.0, 3.5], [0.25, 0.0]]
    assert localization.map_options("backprop", None, "released") == {"reduce": "sum"}
    with pytest.raises(InputError, match=r"^reduce: "):
        BackpropSaliency("mean")
    with pytest.raises(InputError, match=r"^backprop_variant: "):
        localization.map_options("backprop", None, "mean")


# --------------------------------------------------------------------------- ten crops


class _BlobNet(nn.Module):
    """A CAMNet whose last map is the input's red channel above 0 (white pixels of a black
    image): every class's CAM is the white blob, scaled by its weight (1, 0.5, 0.25)."""

    def __init__(self) -> None:
        super().__init__()
        self.classifier = nn.Linear(1, 3)
        with torch.no_grad():
            self.classifier.weight.copy_(torch.tensor([[1.0], [0.5], [0.25]]))
            self.classifier.bias.zero_()

    def forward_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        fmap = torch.relu(x[:, :1])
        return self.classifier(fmap.mean((2, 3))), fmap

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)[0]


BLOB = (40, 30, 80, 60)  # pixel edges (x0, y0, x1, y1) in the 120 x 90 original


@pytest.fixture(scope="module")
def blob_tree(tmp_path_factory) -> Path:
    """A one-image miniature ILSVRC val tree (120 x 90) whose image is black with a white
    rectangle at BLOB and whose annotation is that rectangle."""
    root = make_miniature_ilsvrc(
        tmp_path_factory.mktemp("blob"), classes=3, train_per_class=1, val_images=1,
        size=(120, 90),
    )  # fmt: skip
    pixels = np.zeros((90, 120, 3), np.uint8)
    x0, y0, x1, y1 = BLOB
    pixels[y0:y1, x0:x1] = 255
    name = "ILSVRC2012_val_00000001"
    Image.fromarray(pixels).save(root / "val" / f"{name}.JPEG", quality=100)
    xml = root / "val_xml" / f"{name}.xml"
    text = xml.read_text()
    for key, value in zip(("xmin", "ymin", "xmax", "ymax"), (x0 + 1, y0 + 1, x1, y1), strict=True):
        text = re.sub(rf"<{key}>\d+</{key}>", f"<{key}>{value}</{key}>", text)
    xml.write_text(text)
    return root


def test_ten_crop_box_lands_on_the_blob_in_original_coordinates(blob_tree):
    val = IlsvrcVal(blob_tree, size=224)
    assert val.records[0].original_boxes.tolist() == [list(map(float, BLOB))]
    model = _BlobNet()
    res = tencrop_eval.evaluate_ten_crop(model, val, topk=3, batch_size=10)
    assert res.crops == "ten" and res.image_sizes.tolist() == [[90, 120]]
    assert res.top_classes.tolist() == [[0, 1, 2]]  # ranked by the ten crops' mean score
    # every ranked class's map is the blob: its box is the blob (JPEG edges: within 1 px)
    assert np.abs(res.pred_boxes[0] - np.array(BLOB)).max() <= 1.0
    assert res.ious[0, 0] >= 0.95 and res.summary["loc_top1_error"] == 0.0
    assert res.gt_known_iou[0] >= 0.95 and res.summary["maxboxacc_v2"] == 1.0
    # the single-crop path boxes the 224 x 224 squashed image instead
    one = localization.evaluate_localization(model, val, topk=3, batch_size=10)
    sx, sy = 224 / 120, 224 / 90
    expected = np.array([BLOB[0] * sx, BLOB[1] * sy, BLOB[2] * sx, BLOB[3] * sy])
    assert np.abs(one.pred_boxes[0, 0] - expected).max() <= 2.0
    assert one.image_sizes.tolist() == [[224, 224]]
    # ten-crop classification alone
    top = tencrop_eval.ten_crop_top(model, val, 2, batch_size=10, device="cpu")
    assert top["top"].tolist() == [[0, 1]] and top["labels"].tolist() == [0]


def test_ten_crop_tight_loose_released_follows_bbox_combine(blob_tree):
    """bboxCombine: (top-1, bbox1), (top-1, bbox2), (top-2, bbox1), (top-2, bbox2),
    (top-3, bbox1); one blob gives one released box, so bbox2 falls back to bbox1."""
    val = IlsvrcVal(blob_tree, size=224)
    res = tencrop_eval.evaluate_ten_crop(
        _BlobNet(), val, topk=3, batch_size=10, heuristic="tight+loose", box_rule="released"
    )
    assert res.pred_classes.tolist() == [[0, 0, 1, 1, 2]] and res.box_rule == (
        "released_multi_threshold"
    )
    boxes = res.pred_boxes[0]
    assert (boxes == boxes[0]).all() and res.ious[0, 0] >= 0.7
    assert protocols.protocol_label(res) == "ten crops, released boxes, tight+loose"


def test_ten_crop_set_on_a_generic_dataset():
    """Datasets other than IlsvrcVal: their own images are the originals."""
    image = torch.zeros(3, 56, 56)
    data = [(image, 1, torch.tensor([[4.0, 5.0, 20.0, 30.0]]))]
    view = tencrop_eval.TenCropSet(data, 56, max_boxes=1)
    x, label, boxes, labels, size = view[0]
    assert x.shape == (3, 64, 64) and label == 1 and size.tolist() == [56, 56]
    assert boxes.tolist() == [[4.0, 5.0, 20.0, 30.0]] and labels.tolist() == [1]
    assert tencrop_eval.squashed_size(224) == 256


# --------------------------------------------------------------------------- held out


def _result(n: int = 4) -> localization.LocalizationResult:
    """Four hand-made images: 0 and 2 localized at top-1, 1 misclassified, 3 a wrong box."""
    gt = np.array([[[0.0, 0.0, 4.0, 4.0]]] * n)
    right, wrong = [0.0, 0.0, 4.0, 4.0], [5.0, 5.0, 8.0, 8.0]
    pred = np.array([[right, right], [right, right], [right, right], [wrong, wrong]])
    hits2 = np.zeros((n, 3, 2), bool)
    hits2[:, :, 1] = np.array([True, True, False, True])[:, None]  # image 2 misses
    out = {
        "labels": np.array([0, 0, 1, 1]), "top": np.array([[0, 1], [1, 0], [1, 0], [1, 0]]),
        "ious": np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]),
        "gt": gt, "gt_labels": np.array([[0], [0], [1], [1]]), "known": pred[:, 0],
        "known_iou": np.array([1.0, 1.0, 1.0, 0.0]), "hits": hits2[:, 1], "hits2": hits2,
        "sizes": np.full((n, 2), 10), "pred": pred,
    }  # fmt: skip
    out["cls"] = out["top"]
    meta = {"method": "cam", "threshold": 0.2, "heuristic": None, "box_rule": "largest_component"}
    return localization.summarise(out, meta, (10, 10), np.array([0.0, 0.5]), (0.4, 0.4))


def test_subset_and_holdout_recompute_the_summary():
    res = _result()
    assert res.summary["loc_top1_error"] == pytest.approx(0.5)
    sub = localization.subset_result(res, np.array([0, 2]))
    assert sub.summary["loc_top1_error"] == 0.0 and sub.summary["images"] == 2
    assert localization.subset_result(res, np.array([1, 3])).summary["loc_top1_error"] == 1.0
    held, scored = protocols.holdout_split(4, 0.25)
    (out,) = protocols.apply_holdout({"row": [res]}, 0.25)["row"]
    assert out.summary["images"] == 3
    expected = localization.subset_result(res, scored).summary["loc_top1_error"]
    assert out.summary["loc_top1_error"] == pytest.approx(expected)
    v2 = max_box_acc_v2_heldout(res.box_hits_v2[held], res.box_hits_v2[scored], res.thresholds)
    assert out.summary["maxboxacc_v2_heldout"] == pytest.approx(v2["value"])
    (none,) = protocols.apply_holdout({"row": [res]}, 0.0)["row"]
    assert np.isnan(none.summary["maxboxacc_v2_heldout"]) and none.summary["images"] == 4
    assert "not built" in protocols.holdout_note(0.0, 4, 4)
