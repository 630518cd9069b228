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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.pipeline import Pipeline
from torch.utils.data import DataLoader

from cam_core.common import paper as common_paper
from cam_core.common import profiles, viz
from cam_core.common.claims import ItemResult, binomial_interval
from cam_core.core.boxes import boxes_from_maps, image_blind_boxes
from cam_core.core.metrics import box_accuracy, iou_elementwise
from cam_core.datasets import cub
from cam_core.datasets.base import ResizedImages, TargetSet, image_sizes
from cam_core.fingerprint import dataset_fingerprint, weights_fingerprint
from cam_core.items import finegrained_claims as fclaims
from cam_core.items.finegrained_claims import PAPER_ROWS
from cam_core.items.svm_cams import (
    CamPanel,
    cam_panel,
    examples_per_class,
    spread_classes,
    svm_cams,
)
from cam_core.items.table5 import FeatureSet, build_feature_sets, target_features
from cam_core.nets import features as cfeatures
from cam_core.synthetic import benchmark as synthetic_benchmark
from cam_core.validate import check_boxes, fail

__all__ = [
    "FINEGRAINED_KNOBS",
    "VARIANTS",
    "PAPER_ROWS",
    "finegrained_set",
    "cam_boxes",
    "FineGrainedResult",
    "context_boxes",
    "finegrained_protocol",
    "table4_view",
    "figure7_panel",
    "trivial_box_ious",
    "tidy_table",
    "box_accuracy_table",
    "task_table",
    "CUB_BOX_ACCURACY_KEY",
    "class_rows",
    "finegrained_targets",
    "table4_runs",
    "run",
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


def tidy_table(results: Sequence[FineGrainedResult]) -> pd.DataFrame:
    """Every network's rows (:attr:`FineGrainedResult.table`) in one table, with the
    paper's GoogLeNet-GAP accuracy (%) of the variant (``paper_accuracy``; NaN: no row)."""
    table = pd.concat([r.table for r in results], ignore_index=True)
    paper = fclaims.paper_accuracies()
    table.insert(3, "paper_accuracy", [paper.get(v, np.nan) for v in table["variant"]])
    return table


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


# --------------------------------------------------------------------------- items


def table4_runs(
    t4: dict[str, Any],
    threshold: float,
    networks: Sequence[str],
    progress: Callable[[str], None] | None = None,
) -> tuple[TargetSet, TargetSet, list[FeatureSet], list[FineGrainedResult]]:
    """(train, test, feature sets, :func:`finegrained_protocol` results) for Table 4's
    validated parameters ``t4`` and ``networks``; features and boxes come from the one
    cache under ``<out_dir>/cache/features`` that Table 4 and Figure 7 share."""
    cache_dir = Path(t4["out_dir"]) / "cache" / "features"
    train, test = finegrained_targets(t4)
    feature_list = build_feature_sets(networks, t4, input_size=t4["input_size"], progress=progress)
    runs = []
    for fs in feature_list:
        if progress is not None:
            progress(f"Table 4 protocol on {fs.label}")
        runs.append(
            finegrained_protocol(
                fs,
                train,
                test,
                cache_dir,
                threshold=threshold,
                crop_margin=t4["crop_margin"],
                crop_size=t4["crop_size"],
                seed=t4["seed"],
                device=t4["device"],
            )
        )
    return train, test, feature_list, runs


def _task_words(params: dict[str, Any]) -> str:
    if params["profile"] == "full":
        return "CUB-200-2011"
    return "the fine-grained cluttered silhouettes, not CUB-200-2011"


def _run_table4(params: dict[str, Any], progress: Callable[[str], None] | None) -> ItemResult:
    train, test, _, runs = table4_runs(
        params, params["crop_threshold"], params["networks"], progress
    )
    found = []
    for i, r in enumerate(runs):
        found += fclaims.crop_claims(r.correct, r.network, "" if i == 0 else f":{r.network}")
    found.append(fclaims.part_based_claim())
    first = runs[0].table.set_index("variant")["accuracy"]
    paper = fclaims.paper_accuracies()
    gain = first["CAM crop"] - first["full image"]
    paper_share = common_paper.paper_value(CUB_BOX_ACCURACY_KEY)
    boxes = box_accuracy_table(runs, paper_share)
    task = _task_words(params)
    captions = {
        "table4": (
            f"*Table 4 (this project, {params['profile']} profile).* Linear-SVM test accuracy "
            f"(%) on {len(test)} test images of {task}, with its binomial standard error, "
            "beside the paper's GoogLeNet-GAP rows on CUB-200-2011. "
            f"{runs[0].network}: CAM crop {first['CAM crop']:.1f}% vs full image "
            f"{first['full image']:.1f}% ({gain:+.1f} points; paper "
            f"{paper['CAM crop'] - paper['full image']:+.1f})."
        ),
        "table4_boxes": (
            "*CAM boxes.* Share of the test images whose CAM box has IoU \u2265 0.5 with the "
            f"ground-truth box (the paper: {paper_share:.1f}% on CUB-200-2011), with its "
            f"exact 95% binomial interval, and the mean IoU; {runs[0].network}: "
            f'{runs[0].box_accuracy:.1f}%. The rows marked "no image seen" are boxes '
            "placed without looking at the image: the whole image and a centred box of the "
            "training boxes' mean size."
        ),
        "table4_task": (
            f"*The task.* {len(train)} training and {len(test)} test images of "
            f"{len(train.class_names)} classes from disjoint splits of {task}."
        ),
        "table4_paper": (
            "*Table 4 (paper).* Fine-grained classification accuracy (%) on CUB-200-2011; "
            "*annotation* is what training and testing use beyond class labels."
        ),
    }
    notes = []
    if params["crop_margin"] > 0:
        notes.append(
            f"Crops are squares of {params['crop_margin']:g} x the CAM box's long side, fed "
            f'at {params["crop_size"]} px; the rows marked "(box warped)" crop the box '
            "itself, warped to a square, as the paper does."
        )
    if params["profile"] != "full":
        notes.append(f"The task is {task}: compare the differences between rows, not values.")
    return ItemResult(
        "table4",
        params["profile"],
        headline=(
            f"Linear-SVM test accuracy (%) on GAP features of the CAM crop ({runs[0].network}, "
            f"{task}):"
        ),
        claims=found,
        tables={
            "table4": tidy_table(runs),
            "table4_boxes": boxes.reset_index(),
            "table4_task": task_table(train, test).reset_index(),
            "table4_paper": common_paper.paper_table(4),
        },
        notes=notes,
        headline_value=float(first["CAM crop"]),
        coverage="partial",  # the part-based rows are quoted, not rerun
        captions=captions,
    )


def _run_figure07(params: dict[str, Any], progress: Callable[[str], None] | None) -> ItemResult:
    # Table 4's data and networks, so that this figure shows the boxes Table 4 crops.
    keys = ("profile", "data_root", "out_dir", "device", "seed")
    t4 = profiles.validate_parameters("table4", **{k: params[k] for k in keys})
    _, test, (fs,), (res,) = table4_runs(t4, params["threshold"], [params["network"]], progress)
    paper_share = common_paper.paper_value(CUB_BOX_ACCURACY_KEY)
    shown = spread_classes(len(test.class_names), params["num_classes"])
    per_class = params["images_per_class"]
    panel = figure7_panel(fs, test, res, shown, per_class, params["threshold"], params["device"])
    cells, rows, captions = class_rows(panel, test.class_names, per_class)
    figure = viz.image_grid(
        cells,
        row_titles=rows,
        captions=captions,
        title=f"SVM-CAMs of {fs.name} and their boxes (red; ground truth green)",
    )
    found = [
        fclaims.box_share_claim(res.ious, paper_share, res.network),
        fclaims.image_blind_claim(res.ious, res.baseline_ious or {}, res.network),
    ]
    boxes = box_accuracy_table([res], paper_share)
    share = found[0]
    task = _task_words(params)
    return ItemResult(
        "figure07",
        params["profile"],
        headline=(
            f"Share (%) of the {len(test)} test images whose CAM box reaches IoU 0.5 with the "
            f"ground truth ({res.network}, {task}):"
        ),
        claims=found,
        tables={"figure07_boxes": boxes.reset_index(), "figure07_shown": panel.scores},
        figures={"figure07": figure},
        notes=[
            f"{res.network}: {share.data}; the exact 95% interval of the share is "
            f"{share.low:.1f}\u2013{share.high:.1f}% (paper {paper_share:.1f}% on "
            "CUB-200-2011 with GoogLeNet-GAP)."
        ],
        headline_value=res.box_accuracy,
        coverage="complete" if params["profile"] == "full" else "partial",
        captions={
            "figure07": (
                f"*Figure 7 (this project, {params['profile']} profile).* {len(shown)} classes "
                f"of {task}, {per_class} test images each (correctly classified first): the "
                "SVM-CAM of the predicted class (jet: red high), its box (red) and the "
                "ground-truth box (green); under each the IoU of the two, and the predicted "
                f"class when it is wrong ({int(panel.scores['correct'].sum())} of "
                f"{len(panel.scores)} shown are right)."
            ),
            "figure07_boxes": (
                f"*Box accuracy.* Share of all {len(test)} test images whose CAM box has "
                "IoU \u2265 0.5 with the ground-truth box, its exact (Clopper-Pearson) 95% "
                f"binomial interval and the mean IoU: {res.network} {share.measured:.1f}% "
                f"[{share.low:.1f}, {share.high:.1f}] (paper {paper_share:.1f}%), beside "
                "two boxes that see no image: the whole image and a centred box of the "
                "training boxes' mean size."
            ),
        },
    )


def run(params: dict[str, Any], progress: Callable[[str], None] | None = None) -> ItemResult:
    """Table 4 or Figure 7 (``params["item"]``; validated parameters of
    :func:`cam_core.common.profiles.from_cell`) at the profile's scale."""
    if params.get("item") == "table4":
        return _run_table4(params, progress)
    if params.get("item") == "figure07":
        return _run_figure07(params, progress)
    fail("params", "the parameters of table4 or figure07", repr(params.get("item")))
