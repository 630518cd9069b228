"""Fine-grained recognition with CAM crops (Table 4) and CAM boxes per class (Figure 7).

The paper's protocol (Sec. 4.1, CUB-200-2011 with GoogLeNet-GAP): a linear SVM on GAP
features of the full image; the CAM of the image's class, built from the SVM's weights,
gives a box (pixels >= 20% of the map's max, largest connected component); a second SVM
is trained and tested on GAP features of those crops; a third on crops of the
ground-truth boxes (annotation at train and test time: the upper bound). The CAM boxes are
also scored against the ground truth (box accuracy at IoU 0.5; the paper: 41.0%).

Choices the paper leaves open, made here: the training images' crops use the CAM of their
true class (known at training time; no box is used), the test images' crops the CAM of the
class the full-image SVM predicts; crops are warped to the network's square input size.

At ``cpu`` scale the task is a fine-grained split of the cluttered-silhouettes benchmark
(:data:`FINEGRAINED_KNOBS`: small animals, 20-35% of a 96 px canvas, among 4-8 distractors
as large as them), standing in for birds in natural scenes; at ``full`` scale CUB-200-2011
(:mod:`cam_core.datasets.cub`). Both enter as :class:`cam_core.datasets.base.TargetSet`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.pipeline import Pipeline
from torch.utils.data import DataLoader

from cam_core.common import paper as common_paper
from cam_core.common import viz
from cam_core.common.claims import binomial_interval
from cam_core.core.boxes import boxes_from_maps, image_blind_boxes
from cam_core.core.metrics import box_accuracy, iou_elementwise
from cam_core.datasets import cub
from cam_core.datasets.base import ResizedImages, TargetSet, image_sizes
from cam_core.fingerprint import dataset_fingerprint, weights_fingerprint
from cam_core.items.svm_cams import CamPanel, cam_panel, examples_per_class, svm_cams
from cam_core.items.table5 import FeatureSet, target_features
from cam_core.nets import features as cfeatures
from cam_core.synthetic import benchmark as synthetic_benchmark
from cam_core.validate import check_boxes, fail

__all__ = [
    "FINEGRAINED_KNOBS",
    "VARIANTS",
    "finegrained_set",
    "cam_boxes",
    "FineGrainedResult",
    "context_boxes",
    "finegrained_protocol",
    "table4_view",
    "check_claims",
    "figure7_panel",
    "trivial_box_ious",
    "tidy_table",
    "box_accuracy_table",
    "table4_claims",
    "table4_status",
    "task_table",
    "figure7_status",
    "figure7_claims",
    "share_claim",
    "ShareClaim",
    "CUB_BOX_ACCURACY_KEY",
    "class_rows",
    "finegrained_targets",
]

# Generator knobs of the fine-grained split (cam_core.synthetic.silhouettes.Knobs): small objects in
# large clutter, distractors as big as the object, so that where to look matters.
FINEGRAINED_KNOBS: dict[str, object] = {
    "side_range": (0.2, 0.35),
    "distractors": (4, 8),
    "distractor_scale": (0.5, 1.0),
}
FINEGRAINED_SIZE = 96
CUB_BOX_ACCURACY_KEY = "cub_box_accuracy_iou05"  # data/paper/in_text.csv: the paper's 41.0%
# (row, annotation at train/test time, as the paper's Table 4 names them)
VARIANTS = (
    ("full image", "n/a"),
    ("CAM crop", "n/a"),
    ("ground-truth box", "BBox"),
)
PAPER_ROWS = {
    "full image": "GoogLeNet-GAP on full image",
    "CAM crop": "GoogLeNet-GAP on crop",
    "ground-truth box": "GoogLeNet-GAP on BBox",
}


def finegrained_set(
    split: str,
    images_per_class: int,
    seed: int = 0,
    size: int = FINEGRAINED_SIZE,
    cache_dir: str | Path | None = None,
) -> TargetSet:
    """``images_per_class`` x 10 images of the fine-grained silhouettes split ``split``
    (``"train"`` or ``"test"``), with exact boxes, as a TargetSet."""
    if isinstance(images_per_class, bool) or not isinstance(images_per_class, int):
        fail("images_per_class", "an int >= 1", repr(images_per_class))
    if images_per_class < 1:
        fail("images_per_class", "an int >= 1", repr(images_per_class))
    s = synthetic_benchmark.make_silhouettes(
        split, 10 * images_per_class, size=size, seed=seed, cache_dir=cache_dir,
        **FINEGRAINED_KNOBS,
    )  # fmt: skip
    return TargetSet(
        f"finegrained-{split}",
        s.images,
        s.labels,
        tuple(s.class_names),
        boxes=s.boxes,
        description=f"fine-grained cluttered silhouettes, {split} split, {size} px",
    )


def cam_boxes(
    fs: FeatureSet,
    target: TargetSet,
    svm: Pipeline,
    classes: np.ndarray,
    threshold: float = 0.2,
    batch_size: int = 32,
    device: str = "cpu",
) -> np.ndarray:
    """The paper's box of the SVM-CAM of ``classes`` ``(N,)`` on every image of ``target``,
    found at the network's input size and scaled to each image's own pixels: ``(N, 4)``."""
    classes = np.asarray(classes, dtype=np.int64)
    if classes.shape != (len(target),):
        fail("classes", f"{len(target)} class indices (N,)", f"shape {classes.shape}")
    loader = DataLoader(ResizedImages(target.images, fs.input_size), batch_size=batch_size)
    fs.model.to(device)
    out = []
    for x, idx in loader:
        cls = torch.as_tensor(classes[idx.numpy()], device=device)
        maps = svm_cams(fs.model, x.to(device), svm, cls)
        out.append(boxes_from_maps(maps, threshold=threshold))
    boxes = np.concatenate(out)
    hw = image_sizes(target.images).astype(np.float64)
    s = float(fs.input_size)
    return boxes * np.stack([hw[:, 1] / s, hw[:, 0] / s] * 2, axis=1)


def _cached_boxes(
    fs: FeatureSet,
    target: TargetSet,
    svm: Pipeline,
    classes: np.ndarray,
    threshold: float,
    cache_dir: str | Path | None,
    tag: str,
    device: str,
) -> np.ndarray:
    def compute() -> np.ndarray:
        return cam_boxes(fs, target, svm, classes, threshold, device=device)

    if cache_dir is None:
        return compute()
    est = svm.steps[-1][1]
    key = "|".join(
        [
            weights_fingerprint(fs.model),
            target.fingerprint,
            dataset_fingerprint(np.asarray(est.coef_), np.asarray(classes, np.int64)),
            f"{threshold:.6f}",
            str(fs.input_size),
        ]
    )
    path = Path(cache_dir) / f"{fs.name}-{target.name}-{tag}-boxes-{fs.input_size}px.npz"
    return cfeatures.cached_features(path, key, compute)


@dataclass
class FineGrainedResult:
    """Outcome of :func:`finegrained_protocol` for one network.

    ``table``: one row per variant (``variant``, ``annotation``, ``accuracy`` %,
    ``stderr`` % (binomial), ``C``, ``train_images``, ``test_images``); ``box_accuracy``:
    % of test CAM boxes with IoU >= 0.5; ``test_boxes``/``train_boxes`` ``(N, 4)`` CAM boxes
    in image pixels; ``predicted`` ``(N_test,)`` full-image SVM classes; ``svm_full``.
    """

    network: str
    table: pd.DataFrame
    box_accuracy: float
    test_boxes: np.ndarray
    train_boxes: np.ndarray
    predicted: np.ndarray
    svm_full: Pipeline
    ious: np.ndarray
    baseline_ious: dict[str, np.ndarray] | None = None
    correct: dict[str, np.ndarray] | None = None  # variant -> (N_test,) bool


def _fit_score(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    cs: Sequence[float],
    cv_folds: int,
    seed: int,
) -> tuple[Pipeline, np.ndarray, dict]:
    svm = cfeatures.fit_linear_svm(train_x, train_y, cs, cv_folds, seed)
    pred = svm.predict(test_x)
    p = float(np.mean(pred == test_y))

    row = {
        "accuracy": 100.0 * p,
        "stderr": 100.0 * float(np.sqrt(p * (1.0 - p) / len(test_y))),
        "C": float(svm.named_steps["linearsvc"].C),
        "train_images": len(train_y),
        "test_images": len(test_y),
    }
    return svm, pred, row


def context_boxes(boxes: np.ndarray, sizes: np.ndarray, margin: float) -> np.ndarray:
    """Square boxes ``(N, 4)`` centred on ``boxes`` with side ``margin`` x their long side,
    moved inside the image (``sizes`` ``(N, 2)`` as (H, W)) and clipped to its short side:
    a crop that keeps the object's aspect ratio and some of its surroundings."""
    b = check_boxes("boxes", boxes)
    hw = np.asarray(sizes, dtype=np.float64)
    if not isinstance(margin, int | float) or isinstance(margin, bool) or margin <= 0:
        fail("margin", "a positive number", repr(margin))
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    side = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) * margin
    side = np.maximum(np.minimum(side, hw.min(axis=1)), 1.0)
    x0 = np.clip(cx - side / 2, 0, hw[:, 1] - side)
    y0 = np.clip(cy - side / 2, 0, hw[:, 0] - side)
    return np.stack([x0, y0, x0 + side, y0 + side], axis=1)


def finegrained_protocol(
    fs: FeatureSet,
    train: TargetSet,
    test: TargetSet,
    cache_dir: str | Path | None,
    threshold: float = 0.2,
    crop_margin: float = 0.0,
    crop_size: int | None = None,
    cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
    cv_folds: int = 3,
    seed: int = 0,
    device: str = "cpu",
) -> FineGrainedResult:
    """Table 4's SVMs (full image, CAM crop, ground-truth box) on ``fs`` (GAP features of a
    GAP network) and the CAM boxes' accuracy at IoU 0.5 (module docstring).

    Crops are fed at ``crop_size`` px (default ``fs.input_size``). ``crop_margin`` 0: the
    box itself, warped to a square (the paper). ``crop_margin`` m > 0: a square of m x the
    box's long side around it (:func:`context_boxes`), and the warped crops are scored
    too, as extra rows "(box warped)"."""
    if fs.kind != "gap":
        fail("fs", "GAP features of a GAP network (CAMs need them)", fs.label)
    for name, t in (("train", train), ("test", test)):
        if t.boxes is None:
            fail(name, "a target set with ground-truth boxes", f"{t.name} without boxes")
    check_boxes("train.boxes", train.boxes)
    check_boxes("test.boxes", test.boxes)
    if isinstance(crop_margin, bool) or not isinstance(crop_margin, int | float) or crop_margin < 0:
        fail("crop_margin", "a number >= 0 (0: the box warped, as the paper)", repr(crop_margin))
    crop_fs = replace(fs, input_size=crop_size or fs.input_size)
    fit = (cs, cv_folds, seed)
    full_tr = target_features(fs, train, cache_dir, device=device)
    full_te = target_features(fs, test, cache_dir, device=device)
    svm_full, pred, row = _fit_score(full_tr, train.labels, full_te, test.labels, *fit)
    rows = [{"variant": "full image", "annotation": "n/a", **row}]
    correct = {"full image": pred == test.labels}

    train_boxes = _cached_boxes(
        fs, train, svm_full, train.labels, threshold, cache_dir, "truth", device
    )
    test_boxes = _cached_boxes(fs, test, svm_full, pred, threshold, cache_dir, "top1", device)
    hw_tr, hw_te = image_sizes(train.images), image_sizes(test.images)
    modes = [(crop_margin, "")] + ([(0.0, " (box warped)")] if crop_margin > 0 else [])
    for margin, suffix in modes:
        for variant, annotation, tr_boxes, te_boxes in (
            ("CAM crop", "n/a", train_boxes, test_boxes),
            ("ground-truth box", "BBox", train.boxes, test.boxes),
        ):
            if margin > 0:
                tr_boxes = context_boxes(tr_boxes, hw_tr, margin)
                te_boxes = context_boxes(te_boxes, hw_te, margin)
            tag = ("camcrop" if annotation == "n/a" else "gtbox") + (f"-m{margin:g}" * (margin > 0))
            a = target_features(crop_fs, train, cache_dir, tr_boxes, tag, device=device)
            b = target_features(crop_fs, test, cache_dir, te_boxes, tag, device=device)
            _, crop_pred, row = _fit_score(a, train.labels, b, test.labels, *fit)
            rows.append({"variant": variant + suffix, "annotation": annotation, **row})
            correct[variant + suffix] = crop_pred == test.labels

    table = pd.DataFrame(rows)
    table.insert(0, "network", fs.name)
    return FineGrainedResult(
        fs.name,
        table,
        100.0 * box_accuracy(test_boxes, test.boxes, 0.5),
        test_boxes,
        train_boxes,
        np.asarray(pred, dtype=np.int64),
        svm_full,
        iou_elementwise(test_boxes, test.boxes),
        trivial_box_ious(train, test),
        correct,
    )


def trivial_box_ious(train: TargetSet, test: TargetSet) -> dict[str, np.ndarray]:
    """IoU with the test boxes of the two image-blind boxes (:func:`image_blind_boxes`)."""
    blind = image_blind_boxes(train.boxes, image_sizes(train.images), image_sizes(test.images))
    return {name: iou_elementwise(b, test.boxes) for name, b in blind.items()}


def table4_view(results: Sequence[FineGrainedResult], paper: pd.DataFrame) -> pd.DataFrame:
    """The paper's Table 4 rows for GoogLeNet-GAP beside this project's rows: one row per
    variant, the paper's accuracy where it has the row, then "acc ± stderr" per network."""
    paper_acc = paper.set_index("method")["accuracy"]
    variants = list(dict.fromkeys(v for r in results for v in r.table["variant"]))
    rows = []
    for variant in variants:
        row: dict[str, object] = {"variant": variant}
        row["paper (CUB-200, GoogLeNet-GAP)"] = (
            float(paper_acc[PAPER_ROWS[variant]]) if variant in PAPER_ROWS else None
        )
        for r in results:
            t = r.table.set_index("variant")
            if variant in t.index:
                row["annotation"] = t.loc[variant, "annotation"]
                row[r.network] = (
                    f"{t.loc[variant, 'accuracy']:.1f}\u00a0±\u00a0{t.loc[variant, 'stderr']:.1f}"
                )
        rows.append(row)
    view = pd.DataFrame(rows).set_index("variant")
    return view[["annotation", *[c for c in view.columns if c != "annotation"]]]


def check_claims(result: FineGrainedResult) -> pd.DataFrame:
    """The paper's Table 4 claims on one result: the CAM crop beats the full image, and the
    ground-truth box is the upper bound (at least as good as the CAM crop)."""
    acc = result.table.set_index("variant")["accuracy"]
    se = result.table.set_index("variant")["stderr"]
    full, crop, gt = acc["full image"], acc["CAM crop"], acc["ground-truth box"]
    printed = common_paper.paper_table(4).set_index("method")["accuracy"]
    paper = {v: float(printed[m]) for v, m in PAPER_ROWS.items()}
    paper_crop_gain = paper["CAM crop"] - paper["full image"]  # 67.8 - 63.0
    paper_gt_gain = paper["ground-truth box"] - paper["CAM crop"]  # 70.5 - 67.8
    paired = ""
    if result.correct is not None:
        d = result.correct["CAM crop"].astype(float) - result.correct["full image"]
        paired = f" ± {100.0 * d.std(ddof=1) / np.sqrt(len(d)):.1f} paired s.e."
    warped = ""
    if "CAM crop (box warped)" in acc.index:
        warped = (
            f"; boxes warped as the paper crops them: CAM crop {acc['CAM crop (box warped)']:.1f}, "
            f"ground-truth box {acc['ground-truth box (box warped)']:.1f}"
        )
    return pd.DataFrame(
        [
            {
                "claim": "the CAM crop beats the full image",
                "holds": "yes" if crop > full else "no",
                "evidence": (
                    f"{result.network}: crop {crop:.1f} ± {se['CAM crop']:.1f} vs full "
                    f"{full:.1f} ± {se['full image']:.1f} ({crop - full:+.1f}{paired} points; "
                    f"paper {paper_crop_gain:+.1f}){warped}"
                ),
            },
            {
                "claim": "the ground-truth box is the upper bound",
                "holds": "yes" if gt >= crop else "no",
                "evidence": (
                    f"{result.network}: GT box {gt:.1f} vs crop {crop:.1f} "
                    f"({gt - crop:+.1f} points; paper {paper_gt_gain:+.1f})"
                ),
            },
        ]
    )


def tidy_table(results: Sequence[FineGrainedResult]) -> pd.DataFrame:
    """Every network's rows (:attr:`FineGrainedResult.table`) in one table."""
    return pd.concat([r.table for r in results], ignore_index=True)


def box_accuracy_table(
    results: Sequence[FineGrainedResult], paper_value: float | None = None
) -> pd.DataFrame:
    """Per network, and for the two image-blind boxes: % of test boxes with IoU >= 0.5, its
    95% exact binomial interval, and the mean IoU; the paper's share (``paper_value``,
    default ``data/paper/in_text.csv`` ``cub_box_accuracy_iou05``) beside the CAM rows."""
    if paper_value is None:
        paper_value = common_paper.paper_value(CUB_BOX_ACCURACY_KEY)
    rows = []
    blind = results[0].baseline_ious.items() if results and results[0].baseline_ious else ()
    named = [(f"CAM of {r.network}", r.ious, paper_value) for r in results]
    named += [(f"{name} (no image seen)", ious, None) for name, ious in blind]
    for label, ious, paper_share in named:
        low, high = binomial_interval(int(np.sum(ious >= 0.5)), len(ious), percent=True)
        rows.append(
            {
                "boxes": label,
                "IoU >= 0.5 (%)": round(100.0 * float(np.mean(ious >= 0.5)), 1),
                "95% interval (%)": f"{low:.1f}\u2013{high:.1f}",
                "mean IoU (%)": round(100.0 * float(np.mean(ious)), 1),
                "paper (CUB-200, GoogLeNet-GAP)": paper_share,
            }
        )
    return pd.DataFrame(rows).set_index("boxes")


@dataclass(frozen=True)
class ShareClaim:
    """A paper's claim that ``paper`` % of items pass a test, against a measured share:
    ``hits`` of ``total`` passed (``share`` %, exact ``confidence`` interval ``low``..``high``
    %). It holds when the paper's share is at or below ``high``: the measured share is not
    significantly below the paper's (a larger share holds it too)."""

    hits: int
    total: int
    share: float
    low: float
    high: float
    paper: float
    confidence: float

    @property
    def holds(self) -> str:
        """``"yes"`` or ``"no"`` (the values of a status record's ``claim_holds``)."""
        return "yes" if self.paper <= self.high else "no"

    @property
    def where(self) -> str:
        """Where the paper's share lies: below, inside or above the measured interval."""
        if self.paper > self.high:
            return "above"
        return "below" if self.paper < self.low else "inside"


def share_claim(hits: np.ndarray, paper_percent: float, confidence: float = 0.95) -> ShareClaim:
    """Test the claim "``paper_percent`` % of these pass" on ``hits`` ``(N,)`` bool (one
    entry per scored item) with an exact binomial interval (:class:`ShareClaim`)."""
    hits = np.asarray(hits)
    if hits.ndim != 1 or hits.dtype != bool or len(hits) == 0:
        fail("hits", "a non-empty (N,) bool array", f"shape {hits.shape}, dtype {hits.dtype}")
    if isinstance(paper_percent, bool) or not isinstance(paper_percent, int | float):
        fail("paper_percent", "a share in percent, 0..100", repr(paper_percent))
    if not 0.0 <= paper_percent <= 100.0:
        fail("paper_percent", "a share in percent, 0..100", repr(paper_percent))
    k, n = int(hits.sum()), len(hits)
    low, high = binomial_interval(k, n, confidence, percent=True)
    return ShareClaim(k, n, 100.0 * k / n, low, high, float(paper_percent), confidence)


def figure7_claims(
    result: FineGrainedResult, paper_value: float, confidence: float = 0.95
) -> pd.DataFrame:
    """Figure 7's claim as the paper states it ("``paper_value`` % of the CAM boxes reach
    IoU 0.5"; :func:`share_claim` over all test images), then, labelled as context and not
    the claim, whether the CAM boxes beat the two boxes that see no image (the CAM share's
    interval lies above the better one's share). Columns ``test``, ``holds``, ``evidence``."""
    claim = share_claim(result.ious >= 0.5, paper_value, confidence)
    verdict = {
        "above": "lies above that interval: fewer CAM boxes are right here",
        "inside": "lies inside that interval",
        "below": "lies below that interval: more CAM boxes are right here",
    }[claim.where]
    rows = [
        {
            "test": f"the paper's claim: {paper_value:.1f}% of CAM boxes reach IoU \u2265 0.5",
            "holds": claim.holds,
            "evidence": (
                f"{result.network}: {claim.share:.1f}% ({claim.hits} of {claim.total} test "
                f"images), {confidence:.0%} exact binomial interval {claim.low:.1f}\u2013"
                f"{claim.high:.1f}%; the paper's {paper_value:.1f}% (CUB-200-2011, "
                f"GoogLeNet-GAP) {verdict}"
            ),
        }
    ]
    blind = {k: 100.0 * float(np.mean(v >= 0.5)) for k, v in (result.baseline_ious or {}).items()}
    if blind:
        best = max(blind, key=blind.get)
        shares = ", ".join(f"{k} {v:.1f}%" for k, v in blind.items())
        rows.append(
            {
                "test": "context, not the paper's claim: CAM boxes beat boxes that see no image",
                "holds": "yes" if claim.low > blind[best] else "no",
                "evidence": (
                    f"{result.network}: CAM {claim.share:.1f}% (interval from "
                    f"{claim.low:.1f}%) vs {shares} ({claim.share - blind[best]:+.1f} points "
                    f"over the {best})"
                ),
            }
        )
    return pd.DataFrame(rows)


def table4_claims(results: Sequence[FineGrainedResult]) -> pd.DataFrame:
    """:func:`check_claims` for every network, in one table."""
    return pd.concat([check_claims(r) for r in results], ignore_index=True)


def table4_status(
    results: Sequence[FineGrainedResult], claims: pd.DataFrame, profile: str
) -> dict[str, object]:
    """Arguments of ``Experiment.write_status``: the first network's CAM-crop accuracy, the
    headline claim (crop beats full image) for it; "partial" below ``full`` scale."""
    first = results[0].table.set_index("variant")["accuracy"]
    mine = claims[claims["evidence"].str.startswith(results[0].network + ":")]
    return {
        "coverage": "complete" if profile == "full" else "partial",
        "reproduced_value": round(float(first["CAM crop"]), 2),
        "claim_holds": str(mine["holds"].iloc[0]),
        "notes": "; ".join(f"{c}: {h}" for c, h in zip(mine["claim"], mine["holds"], strict=True))
        + f"; CAM box accuracy at IoU 0.5: {results[0].box_accuracy:.1f}%",
    }


def figure7_status(
    result: FineGrainedResult, paper_value: float, profile: str, confidence: float = 0.95
) -> dict[str, object]:
    """Arguments of ``Experiment.write_status`` for Figure 7: the CAM box accuracy at IoU
    0.5 (%) and the verdict on the paper's claim as stated (:func:`figure7_claims`, first
    row); the notes carry its evidence and the image-blind context."""
    claims = figure7_claims(result, paper_value, confidence)
    notes = claims.loc[0, "evidence"]
    if len(claims) > 1:
        notes += f"; context (not the claim): {claims.loc[1, 'evidence']}"
    return {
        "coverage": "complete" if profile == "full" else "partial",
        "reproduced_value": round(result.box_accuracy, 2),
        "claim_holds": str(claims.loc[0, "holds"]),
        "notes": notes,
    }


def task_table(train: TargetSet, test: TargetSet) -> pd.DataFrame:
    """What the fine-grained task is: per split, images, classes, image and box sizes."""
    rows = []
    for t in (train, test):
        hw = image_sizes(t.images)
        side = np.maximum(t.boxes[:, 2] - t.boxes[:, 0], t.boxes[:, 3] - t.boxes[:, 1])
        rows.append(
            {
                "split": t.name,
                "what": t.description,
                "images": len(t),
                "classes": len(np.unique(t.labels)),
                "image size (px, median)": int(np.median(hw.max(axis=1))),
                "box long side / image (%, mean)": round(
                    100.0 * float(np.mean(side / hw.max(axis=1))), 1
                ),
            }
        )
    return pd.DataFrame(rows).set_index("split")


def figure7_panel(
    fs: FeatureSet,
    test: TargetSet,
    result: FineGrainedResult,
    classes: Sequence[int],
    per_class: int,
    threshold: float = 0.2,
    device: str = "cpu",
) -> CamPanel:
    """``per_class`` test images of each of ``classes`` (correctly classified first) with
    the SVM-CAM of their predicted class, its box (red) and the ground truth, at the
    network's input size."""
    idx = examples_per_class(
        test.labels, np.arange(len(test)), classes, per_class, result.predicted
    )
    return cam_panel(
        fs, test, idx, result.svm_full, result.predicted[idx], threshold, device=device
    )


def class_rows(
    panel: CamPanel, class_names: Sequence[str], per_class: int, alpha: float = 0.5
) -> tuple[list[list[np.ndarray]], list[str], list[list[str]]]:
    """Figure 7's layout for :func:`cam_core.common.viz.image_grid`: one row per class, each cell
    the SVM-CAM overlay with the CAM box (red) and the ground truth (green); row titles
    (class names) and captions (IoU with the ground truth, and the predicted class if
    wrong)."""

    cells, titles, caps = [], [], []
    for start in range(0, len(panel.indices), per_class):
        row, cap = [], []
        for i in range(start, min(start + per_class, len(panel.indices))):
            pic = viz.overlay(panel.images[i], panel.maps[i], alpha)
            row.append(viz.draw_boxes(pic, panel.gt_boxes[i], panel.pred_boxes[i]))
            text = f"IoU {panel.scores['iou'].iloc[i]:.2f}"
            if panel.classes[i] != panel.labels[i]:
                text += f"\n(as {class_names[panel.classes[i]]})"
            cap.append(text)
        cells.append(row)
        caps.append(cap)
        titles.append(str(class_names[panel.labels[start]]))
    return cells, titles, caps


def finegrained_targets(params: dict) -> tuple[TargetSet, TargetSet]:
    """(train, test) of Table 4 for a notebook's validated parameters: the fine-grained
    silhouettes (``images_per_class``, ``image_size``; smoke/cpu) or CUB-200-2011's own
    split under ``data_root`` (full; ``images_per_class`` > 0 keeps that many per class)."""
    if params["profile"] == "full":
        root = cub.locate(params["data_root"])
        per_class = params["images_per_class"]
        return cub.cub_target(root, "train", per_class), cub.cub_target(root, "test", per_class)
    cache = Path(params["out_dir"]) / "cache" / "data"
    return tuple(
        finegrained_set(
            split, params["images_per_class"], params["seed"], params["image_size"], cache
        )
        for split in ("train", "test")
    )
