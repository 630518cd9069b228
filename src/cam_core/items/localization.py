"""Weakly-supervised localization evaluation: one code path for every profile (Tables 2-3).

:func:`evaluate_localization` runs a model over a dataset of ``(image, label, boxes[,
box_labels])`` items in batches (sharded over ``torchrun`` ranks by
:func:`cam_core.nets.train.map_batches`), turns the maps of the top-5 classes into boxes with the
paper's rule, and scores them as ILSVRC does: an image is localized at top-k when one of its
first k guesses has the right class and IoU >= 0.5 with a ground-truth box of that class.
Maps come from CAM (same forward pass as the logits, one batched contraction), backprop
saliency (Simonyan et al., the paper's "Backprop") or Grad-CAM. Beside every number: two
trivial boxes scored with the same rule (the model's classes, a box that ignores the image):
a centred box of the mean ground-truth size and the whole image. Rates are fractions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.data import Dataset

from cam_core.core import boxes as boxes_mod
from cam_core.core import metrics
from cam_core.core.boxacc import box_hits
from cam_core.core.boxes import centre_box, mean_box_size, whole_box
from cam_core.core.cam import class_activation_maps
from cam_core.core.methods import METHODS, map_method
from cam_core.core.modes import eval_mode
from cam_core.datasets.ilsvrc_data import unpad_boxes
from cam_core.nets.train import DistContext, TrainConfig, map_batches
from cam_core.validate import fail

__all__ = [
    "BACKPROP_VARIANTS",
    "BOX_RULES",
    "HEURISTICS",
    "LocalizationResult",
    "evaluate_localization",
    "baseline_errors",
    "best_iou",
    "dataset_max_boxes",
    "map_options",
    "num_classes",
    "plot_maxboxacc",
    "Standardised",
    "check_options",
    "subset_result",
    "summarise",
]

# profiles.yaml names -> cam_core.core.boxes rules
BOX_RULES = {
    "paper": "largest_component",
    "largest_component": "largest_component",
    "released": "released_multi_threshold",
    "released_multi_threshold": "released_multi_threshold",
}
HEURISTICS = (None, "none", "tight+loose")
IOU_THRESHOLD = 0.5
# profiles.yaml backprop_variant -> the colour reduction of |d S_c / d x| (core/methods/backprop)
BACKPROP_VARIANTS = {"simonyan": "max", "released": "sum"}


@dataclass
class LocalizationResult:
    """Per-image arrays and the summary of one evaluation (all rates are fractions).

    ``top_classes (N, k)`` ranked classes; ``pred_classes``/``pred_boxes`` ``(N, 5)`` /
    ``(N, 5, 4)`` the five scored guesses (= top-5 CAM boxes, or the tight+loose guesses);
    ``ious (N, 5)`` each guess box's best IoU with a ground-truth box of the true class;
    ``gt_boxes (N, G, 4)`` NaN-padded with ``gt_box_labels (N, G)`` (-1 = padding);
    ``gt_known_boxes (N, 4)`` / ``gt_known_iou (N,)`` the box from the true class's map.
    ``curve`` is the MaxBoxAcc BoxAcc(tau) over ``thresholds`` (min-max maps, IoU 0.5), the
    mean of the per-image hits ``box_hits (N, T)``; ``box_hits_v2 (N, 3, T)`` are MaxBoxAccV2's
    (any component, IoU 0.3/0.5/0.7; :mod:`cam_core.core.boxacc`). ``image_sizes (N, 2)``:
    each image's (H, W) in the boxes' coordinates (the original size under ten crops).
    """

    method: str
    threshold: float
    heuristic: str | None
    box_rule: str
    image_size: tuple[int, int]
    labels: np.ndarray
    top_classes: np.ndarray
    pred_classes: np.ndarray
    pred_boxes: np.ndarray
    ious: np.ndarray
    gt_boxes: np.ndarray
    gt_box_labels: np.ndarray
    gt_known_boxes: np.ndarray
    gt_known_iou: np.ndarray
    thresholds: np.ndarray
    curve: np.ndarray
    image_sizes: np.ndarray
    box_hits: np.ndarray
    box_hits_v2: np.ndarray
    centre_size: tuple[float, float]
    summary: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    crops: str = "single"
    backprop_variant: str = "simonyan"

    def __len__(self) -> int:
        return len(self.labels)

    def gt_list(self) -> list[np.ndarray]:
        """Ground-truth boxes per image, padding removed: list of ``(G_i, 4)``."""
        return unpad_boxes(self.gt_boxes, self.gt_box_labels)

    def loc_errors(self, k: int) -> np.ndarray:
        """Per-image top-``k`` localization error ``(N,)``, 0 or 1: none of the first ``k``
        guesses has the right class and IoU >= 0.5 (k above the guesses: all of them)."""
        hit = (self.pred_classes == self.labels[:, None]) & (self.ious >= IOU_THRESHOLD)
        return ~hit[:, :k].any(1)

    def cls_errors(self, k: int) -> np.ndarray:
        """Per-image top-``k`` classification error ``(N,)``, 0 or 1, of the ranked classes."""
        return ~(self.top_classes[:, :k] == self.labels[:, None]).any(1)

    def gt_known_errors(self) -> np.ndarray:
        """Per-image GT-known error ``(N,)``, 0 or 1: the true class's box has IoU < 0.5."""
        return self.gt_known_iou < IOU_THRESHOLD

    def records(self) -> pd.DataFrame:
        """Tidy per-guess table: one row per (image, rank) with class, box, IoU and hit."""
        n, k = self.pred_classes.shape
        hit = (self.pred_classes == self.labels[:, None]) & (self.ious >= IOU_THRESHOLD)
        return pd.DataFrame(
            {
                "image": np.repeat(np.arange(n), k),
                "label": np.repeat(self.labels, k),
                "rank": np.tile(np.arange(1, k + 1), n),
                "class": self.pred_classes.ravel(),
                "x0": self.pred_boxes[..., 0].ravel(),
                "y0": self.pred_boxes[..., 1].ravel(),
                "x1": self.pred_boxes[..., 2].ravel(),
                "y1": self.pred_boxes[..., 3].ravel(),
                "iou": self.ious.ravel(),
                "correct": hit.ravel(),
            }
        )

    def by_object_size(self, edges: Sequence[float] = (0.0, 0.35, 0.5, 0.7, 1.0)) -> pd.DataFrame:
        """GT-known localization by object size: the object's side (square root of its first
        true-class box's area over the image's) binned at ``edges``; per bin the images, the
        GT-known accuracy (%) and the median area of the predicted box over the true box's."""
        edges = np.asarray(edges, dtype=float)
        if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
            fail("edges", "increasing bin edges (at least two)", repr(edges.tolist()))
        first = np.argmax(self.gt_box_labels == self.labels[:, None], axis=1)  # (N,)
        true = self.gt_boxes[np.arange(len(self)), first]
        area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
        side = np.sqrt(area(true) / self.image_sizes.astype(float).prod(1))
        ratio = area(self.gt_known_boxes) / area(true)
        hit = self.gt_known_iou >= IOU_THRESHOLD
        rows = []
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            sel = (side >= lo) & ((side < hi) | ((hi == edges[-1]) & (side <= hi)))
            rows.append(
                {
                    "object side / image side": f"{lo:.2f}\u2013{hi:.2f}",
                    "images": int(sel.sum()),
                    "GT-known loc. (%)": round(100.0 * float(hit[sel].mean()), 1)
                    if sel.any()
                    else np.nan,
                    "box area / true area (median)": round(float(np.median(ratio[sel])), 2)
                    if sel.any()
                    else np.nan,
                }
            )
        return pd.DataFrame(rows)

    def curve_frame(self) -> pd.DataFrame:
        """The MaxBoxAcc sweep as a table: ``threshold``, ``box_acc`` (fractions)."""
        return pd.DataFrame({"threshold": self.thresholds, "box_acc": self.curve})


# ----------------------------------------------------------------------------- baselines


def baseline_errors(
    box: np.ndarray,
    top_classes: np.ndarray,
    labels: np.ndarray,
    gt_boxes: Sequence,
    gt_box_labels: Sequence | None = None,
    topk: tuple[int, ...] = (1, 5),
) -> dict[str, float]:
    """Localization error of one fixed ``box (4,)`` (or one per image, ``(N, 4)``) used for
    every guess of the model's ``top_classes (N, k)``: ``{"top1", "top5", "gt_known"}``."""
    n, k = top_classes.shape
    box = np.asarray(box, dtype=np.float64)
    pred = np.broadcast_to(box[:, None, :] if box.ndim == 2 else box, (n, k, 4))
    ks = tuple(min(t, k) for t in topk)
    err = metrics.localization_error(top_classes, pred, labels, gt_boxes, gt_box_labels, ks)
    known = metrics.localization_error(
        labels[:, None], pred[:, :1], labels, gt_boxes, gt_box_labels, 1
    )
    return {
        "top1": err[f"top{ks[0]}"],
        "top5": err[f"top{ks[-1]}"],
        "gt_known": known["top1"],
    }


# ----------------------------------------------------------------------------- data


class Standardised(Dataset):
    """Items as ``(image, label, boxes (M, 4) NaN-padded, box_labels (M,) -1-padded)`` so the
    default collate (and so :func:`train.map_batches`) batches them."""

    def __init__(self, dataset: Dataset, max_boxes: int) -> None:
        self.dataset, self.max_boxes = dataset, max_boxes

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int, torch.Tensor, torch.Tensor]:
        item = self.dataset[i]
        image, label, b = item[0], int(item[1]), torch.as_tensor(item[2], dtype=torch.float64)
        b = b.reshape(-1, 4)
        if len(item) > 3:
            lab = torch.as_tensor(item[3], dtype=torch.int64).reshape(-1)
        else:
            lab = torch.full((len(b),), label, dtype=torch.int64)
        keep = lab >= 0  # already padded (IlsvrcVal max_boxes)
        b, lab = b[keep], lab[keep]
        if len(b) > self.max_boxes:
            fail("max_boxes", f">= {len(b)} (boxes of item {i})", self.max_boxes)
        pad = self.max_boxes - len(b)
        b = torch.cat([b, torch.full((pad, 4), float("nan"), dtype=torch.float64)])
        lab = torch.cat([lab, torch.full((pad,), -1, dtype=torch.int64)])
        return image, label, b, lab


def dataset_max_boxes(dataset: Dataset, max_boxes: int | None) -> int:
    """The padded box count of ``dataset``'s items: ``max_boxes``, else the dataset's own."""
    if max_boxes is not None:
        if isinstance(max_boxes, bool) or not isinstance(max_boxes, int) or max_boxes < 1:
            fail("max_boxes", "a positive int or None", repr(max_boxes))
        return max_boxes
    if getattr(dataset, "max_boxes", None):
        return int(dataset.max_boxes)
    records = getattr(dataset, "records", None)
    if records is not None:  # IlsvrcVal
        return max(1, max((len(r.boxes) for r in records), default=1))
    first = dataset[0]
    if len(first) < 3:
        fail("dataset", "items (image, label, boxes[, box_labels])", f"{len(first)}-tuples")
    if torch.as_tensor(first[2]).ndim == 1:
        return 1
    fail("max_boxes", "the most boxes of one image (dataset has no records)", "None")


# ----------------------------------------------------------------------------- maps


def best_iou(pred: np.ndarray, gts: list[np.ndarray], gt_labels: list[np.ndarray], y) -> np.ndarray:
    """Best IoU of boxes ``pred (N, k, 4)`` with each image's ground truth of class ``y``."""
    out = np.zeros(pred.shape[:2])
    for i, (g, gl) in enumerate(zip(gts, gt_labels, strict=True)):
        own = g[gl == y[i]]
        if len(own):
            out[i] = metrics.iou(pred[i], own).max(1)
    return out


def map_options(method: str, layer: str | None, backprop_variant: str) -> dict[str, object]:
    """The options of a saliency ``method``: Grad-CAM's ``layer``, backprop's colour reduction."""
    if backprop_variant not in BACKPROP_VARIANTS:
        fail("backprop_variant", f"one of {tuple(BACKPROP_VARIANTS)}", repr(backprop_variant))
    if method == "gradcam":
        return {"layer": layer}
    return {"reduce": BACKPROP_VARIANTS[backprop_variant]} if method == "backprop" else {}


def _saliency_maps(
    model: nn.Module,
    images: torch.Tensor,
    classes: torch.Tensor,
    method: str,
    layer: str | None = None,
    backprop_variant: str = "simonyan",
) -> torch.Tensor:
    """Backprop or Grad-CAM maps ``(N, H, W)`` at the images' size, one class per image."""
    options = map_options(method, layer, backprop_variant)
    return map_method(method, **options)(model, images, classes, size=tuple(images.shape[-2:]))


def _maps_for_batch(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    method: str,
    k: int,
    layer: str | None = None,
    backprop_variant: str = "simonyan",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(top-k classes ``(N, k)``, their maps ``(N, k, H, W)``, true-class maps ``(N, H, W)``)."""
    size = tuple(images.shape[-2:])
    if method == "cam":
        with torch.inference_mode():
            logits, fmap = model.forward_features(images)
            top = logits.topk(k, dim=1).indices
            # the true class rides along in the same contraction (GT-known, MaxBoxAcc)
            wanted = torch.cat([top, labels[:, None]], dim=1)
            maps = class_activation_maps(fmap.float(), model.classifier.weight, wanted, size=size)
        return top, maps[:, :k], maps[:, k]
    with torch.inference_mode():
        top = model(images).topk(k, dim=1).indices
    maps = torch.stack(
        [_saliency_maps(model, images, top[:, r], method, layer, backprop_variant)
         for r in range(k)], 1
    )  # fmt: skip
    in_top = top == labels[:, None]
    gt_maps = maps[torch.arange(len(top)), in_top.float().argmax(1)].clone()
    missing = ~in_top.any(1)
    if bool(missing.any()):
        gt_maps[missing] = _saliency_maps(
            model, images[missing], labels[missing], method, layer, backprop_variant
        )
    return top, maps, gt_maps


# ----------------------------------------------------------------------------- engine


def evaluate_localization(
    model: nn.Module,
    dataset: Dataset,
    method: str = "cam",
    threshold: float = 0.2,
    topk: int = 5,
    heuristic: str | None = None,
    batch_size: int = 64,
    device: str = "cpu",
    ctx: DistContext | None = None,
    box_rule: str = "paper",
    centre_size: tuple[float, float] | None = None,
    max_boxes: int | None = None,
    maxboxacc_thresholds: Sequence[float] | np.ndarray | None = None,
    layer: str | None = None,
    backprop_variant: str = "simonyan",
) -> LocalizationResult:
    """Localization of ``model`` on ``dataset`` items ``(image (3, H, W), label, boxes (4,) or
    (G, 4)[, box_labels (G,)])``; returns per-image guesses and the summary (fractions).

    ``method``: "cam" (a CAMNet), "backprop" or "gradcam" (any network). Boxes: ``box_rule``
    ("paper": largest 8-connected component of the pixels >= ``threshold`` x max) on maps at
    image size; ``heuristic="tight+loose"``: Table 3's five guesses. ``centre_size``: the
    trivial centred box's (width, height) as image fractions (the training split's mean);
    None takes this dataset's own mean and says so in ``notes``. Under ``torchrun`` each rank
    evaluates its shard (``ctx``) and every rank gets the merged result. ``layer``: the
    module whose output Grad-CAM reads (default the model's last conv map).
    ``backprop_variant``: "simonyan" (max over colour of |grad|) or "released" (their sum).
    """
    if method not in METHODS:
        fail("method", f"one of {tuple(METHODS)}", repr(method))
    if not isinstance(model, nn.Module) or not hasattr(model, "forward_features"):
        fail("model", "a cam_core network (forward_features)", type(model).__name__)
    heuristic, rule, k, thresholds = check_options(
        model, dataset, method, threshold, heuristic, box_rule, topk, maxboxacc_thresholds
    )
    map_options(method, layer, backprop_variant)
    config = TrainConfig(epochs=1, batch_size=batch_size, device=device)
    data = Standardised(dataset, dataset_max_boxes(dataset, max_boxes))
    dev = torch.device(device)
    model.to(dev)

    def one_batch(batch: tuple) -> dict[str, np.ndarray]:
        images, labels = batch[0].to(dev), batch[1].to(dev)
        gts = unpad_boxes(batch[2], batch[3])
        gt_labels = [lab[lab >= 0].numpy() for lab in batch[3]]
        top, maps, gt_maps = _maps_for_batch(
            model, images, labels, method, k, layer, backprop_variant
        )
        top_np = top.cpu().numpy()
        if heuristic == "tight+loose":
            cls, pred = boxes_mod.tight_loose_top5(
                maps, top_np, loose_threshold=threshold, rule=rule
            )
        else:
            cls, pred = top_np, boxes_mod.boxes_from_maps(maps, threshold, rule)
        known = boxes_mod.boxes_from_maps(gt_maps, threshold, rule)
        y = labels.cpu().numpy()
        hits, hits2 = box_hits(gt_maps, gts, thresholds, IOU_THRESHOLD)
        return {
            "labels": y,
            "top": top_np,
            "cls": cls,
            "pred": pred,
            "ious": best_iou(pred, gts, gt_labels, y),
            "gt": batch[2].numpy(),
            "gt_labels": batch[3].numpy(),
            "known": known,
            "known_iou": best_iou(known[:, None], gts, gt_labels, y)[:, 0],
            "hits": hits,
            "hits2": hits2,
            "sizes": np.broadcast_to(np.array(images.shape[-2:]), (len(y), 2)),
        }

    with eval_mode(model, grad=None):
        out = map_batches(one_batch, data, config, ctx)
    image_size = tuple(int(s) for s in data[0][0].shape[-2:])
    meta = {"method": method, "threshold": threshold, "heuristic": heuristic, "box_rule": rule}
    meta["backprop_variant"] = backprop_variant
    return summarise(out, meta, image_size, thresholds, centre_size)


def check_options(
    model: nn.Module,
    dataset: Dataset,
    method: str,
    threshold: float,
    heuristic: str | None,
    box_rule: str,
    topk: int,
    maxboxacc_thresholds: Sequence[float] | np.ndarray | None,
) -> tuple[str | None, str, int, np.ndarray]:
    """:func:`evaluate_localization`'s checks -> (heuristic, box rule, k, thresholds (T,))."""
    if method not in METHODS:
        fail("method", f"one of {tuple(METHODS)}", repr(method))
    if not isinstance(model, nn.Module) or not hasattr(model, "forward_features"):
        fail("model", "a cam_core network (forward_features)", type(model).__name__)
    if method == "cam" and not isinstance(getattr(model, "classifier", None), nn.Linear):
        fail(
            "model", "a CAMNet (GAP/GMP + linear classifier) for method 'cam'", type(model).__name__
        )
    boxes_mod.check_fraction("threshold", threshold)
    if heuristic not in HEURISTICS:
        fail("heuristic", "None or 'tight+loose'", repr(heuristic))
    heuristic = None if heuristic == "none" else heuristic
    if box_rule not in BOX_RULES:
        fail("box_rule", f"one of {tuple(BOX_RULES)}", repr(box_rule))
    if isinstance(topk, bool) or not isinstance(topk, int) or topk < 1:
        fail("topk", "a positive int", repr(topk))
    if len(dataset) == 0:
        fail("dataset", "a non-empty dataset", "0 items")
    k = min(topk, num_classes(model))
    if heuristic == "tight+loose" and k < 3:
        fail("topk", "at least 3 ranked classes for tight+loose", k)
    thresholds = np.arange(100) / 100 if maxboxacc_thresholds is None else maxboxacc_thresholds
    return heuristic, BOX_RULES[box_rule], k, boxes_mod.check_thresholds(thresholds)


def num_classes(model: nn.Module) -> int:
    """The classes of ``model``: its classifier's outputs, else its last Linear layer's."""
    classifier = getattr(model, "classifier", None)
    if isinstance(classifier, nn.Linear):
        return classifier.out_features
    last = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not last:
        fail("model", "a network whose last Linear layer gives the classes", type(model).__name__)
    return last[-1].out_features


def summarise(
    out: dict[str, np.ndarray],
    meta: dict[str, object],
    image_size: tuple[int, int],
    thresholds: np.ndarray,
    centre_size: tuple[float, float] | None,
) -> LocalizationResult:
    """The :class:`LocalizationResult` of the per-image arrays ``out`` (labels, top, cls, pred,
    ious, gt, gt_labels, known, known_iou, hits, hits2, sizes (N, 2) (H, W)) and ``meta``."""
    y, top, cls = out["labels"], out["top"], out["cls"]
    gts = unpad_boxes(out["gt"], out["gt_labels"])
    gt_labels = [lab[lab >= 0] for lab in out["gt_labels"]]
    sizes = np.asarray(out["sizes"], dtype=np.int64).reshape(-1, 2)
    notes = []
    if centre_size is None:
        centre_size = mean_box_size(gts, sizes)
        notes.append("centred-box baseline: mean box size of the evaluated set itself")
    k = top.shape[1]
    ks = (1, min(5, cls.shape[1]))
    cls_err = metrics.classification_error(top, y, (1, k))
    loc_err = metrics.localization_error(cls, out["pred"], y, gts, gt_labels, ks)
    hits, hits2 = np.asarray(out["hits"], bool), np.asarray(out["hits2"], bool)
    curve = hits.mean(0)
    summary = {
        "images": float(len(y)),
        "cls_top1_error": cls_err["top1"],
        "cls_top5_error": cls_err[f"top{k}"],
        "loc_top1_error": loc_err["top1"],
        "loc_top5_error": loc_err[f"top{ks[1]}"],
        "gt_known_loc": float(np.mean(out["known_iou"] >= IOU_THRESHOLD)),
        "maxboxacc": float(curve.max()),
        "maxboxacc_threshold": float(thresholds[int(curve.argmax())]),
        "maxboxacc_v2": float(hits2.mean(0).max(1).mean()),
    }
    for name, box in (("centre", centre_box(centre_size, sizes)), ("whole", whole_box(sizes))):
        err = baseline_errors(box, top, y, gts, gt_labels)
        summary[f"{name}_top1_error"] = err["top1"]
        summary[f"{name}_top5_error"] = err["top5"]
        summary[f"{name}_gt_known_loc"] = 1.0 - err["gt_known"]
    return LocalizationResult(
        **meta,
        image_size=image_size,
        labels=y,
        top_classes=top,
        pred_classes=cls,
        pred_boxes=out["pred"],
        ious=out["ious"],
        gt_boxes=out["gt"],
        gt_box_labels=out["gt_labels"],
        gt_known_boxes=out["known"],
        gt_known_iou=out["known_iou"],
        thresholds=thresholds,
        curve=curve,
        image_sizes=sizes,
        box_hits=hits,
        box_hits_v2=hits2,
        centre_size=(float(centre_size[0]), float(centre_size[1])),
        summary=summary,
        notes=notes,
    )


def subset_result(res: LocalizationResult, index: np.ndarray) -> LocalizationResult:
    """``res`` restricted to the images ``index`` (ints), its summary recomputed on them (the
    centred box keeps ``res``'s size)."""
    index = np.asarray(index, dtype=np.int64)
    out = {
        "labels": res.labels, "top": res.top_classes, "cls": res.pred_classes,
        "pred": res.pred_boxes, "ious": res.ious, "gt": res.gt_boxes,
        "gt_labels": res.gt_box_labels, "known": res.gt_known_boxes,
        "known_iou": res.gt_known_iou, "hits": res.box_hits, "hits2": res.box_hits_v2,
        "sizes": res.image_sizes,
    }  # fmt: skip
    meta = {k: getattr(res, k) for k in ("method", "threshold", "heuristic", "box_rule")}
    meta.update(crops=res.crops, backprop_variant=res.backprop_variant)
    sub = summarise({k: v[index] for k, v in out.items()}, meta, res.image_size,
                    res.thresholds, res.centre_size)  # fmt: skip
    sub.notes = list(res.notes)
    return sub


def plot_maxboxacc(curves: pd.DataFrame, threshold: float = 0.2):
    """BoxAcc (%) at IoU 0.5 of the true class's box against the map threshold, one line
    per row of Table 2 (mean over seeds); a pyplot-free matplotlib Figure."""

    fig = Figure(figsize=(7.5, 4.2))
    ax = fig.subplots()
    for name, g in curves.groupby("method", sort=False):
        mean = 100 * g.groupby("threshold")["box_acc"].mean()
        style = ":" if name.startswith(("Backprop", "Grad-CAM")) else "-"
        ax.plot(mean.index, mean.values, style, label=name, lw=1.2)
    ax.axvline(threshold, color="grey", ls="--", lw=1)
    ax.text(threshold, 2, f" the paper's {threshold:g}", color="grey", fontsize=8)
    ax.set_xlabel("threshold (fraction of the min-max normalised map)")
    ax.set_ylabel("BoxAcc, IoU >= 0.5 (%)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
