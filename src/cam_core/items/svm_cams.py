"""CAMs from linear SVMs on GAP features (Figures 7-8) and their box and peak scores."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.pipeline import Pipeline
from torch import nn
from torch.utils.data import DataLoader

from cam_core.common import claims, profiles, viz
from cam_core.common.claims import Claim, ItemResult
from cam_core.core.boxes import boxes_from_maps, peak_in_box
from cam_core.core.methods import CAM
from cam_core.core.metrics import iou_elementwise
from cam_core.datasets.base import ResizedImages, TargetSet, image_sizes
from cam_core.items.table5 import (
    MIN_TEST_IMAGES,
    FeatureSet,
    build_feature_sets,
    load_targets,
    target_features,
)
from cam_core.nets import features as cfeatures
from cam_core.nets import models
from cam_core.synthetic.targets import make_splits
from cam_core.validate import check_array, check_count, fail

__all__ = [
    "svm_class_weights",
    "svm_cams",
    "CamPanel",
    "cam_panel",
    "examples_per_class",
    "spread_classes",
    "SvmCamResult",
    "svm_cam_localization",
    "localization_summary",
    "panel_cells",
    "figure8_rows",
    "PEAK_RATIO",
    "peak_claim",
    "figure8_claims",
    "run",
]

# Figure 8's criterion: the CAM peak lands in the object box this many times as often as a
# random point (the box's share of the image) would.
PEAK_RATIO = 1.5


# --------------------------------------------------------------------------- SVM-CAMs


def svm_class_weights(svm: Pipeline | object) -> torch.Tensor:
    """The SVM's class rows ``(C, K)`` as float32: ``coef_`` of a one-vs-rest ``LinearSVC``
    (last step of a pipeline or the estimator itself); a binary SVM's single row ``w`` (the
    positive class, ``classes_[1]``) becomes ``[-w, w]``, one row per class."""
    est = svm.steps[-1][1] if isinstance(svm, Pipeline) else svm
    coef = getattr(est, "coef_", None)
    if coef is None:
        fail("svm", "a fitted linear SVM (with coef_)", type(est).__name__)
    w = torch.as_tensor(np.asarray(coef), dtype=torch.float32)
    return torch.cat([-w, w]) if w.shape[0] == 1 else w


def svm_cams(
    model: nn.Module,
    images: torch.Tensor,
    svm: Pipeline | object,
    classes: torch.Tensor,
    size: tuple[int, int] | int | None = None,
) -> torch.Tensor:
    """CAMs ``(N, H, W)`` in [0, 1] from the SVM's weights over ``model``'s last conv map.

    M_c(x, y) = sum_k w_ck f_k(x, y) with the SVM's rows (:func:`svm_class_weights`) in place
    of the classifier; ReLU, upsampling to ``size`` (default the images' size) and division
    by the max, as for network CAMs. The SVM sees L2-normalised GAP vectors, so its score is
    (mean_xy M_c) / ||GAP(f)|| + b_c: normalising divides each image's map by one positive
    constant, which leaves the max-normalised map (and its box) unchanged.
    """
    if not (isinstance(model, nn.Module) and hasattr(model, "forward_features")):
        fail("model", "a network with forward_features (a CAMNet)", type(model).__name__)
    check_array("images", images, 4, "(N, 3, H, W)")
    weight = svm_class_weights(svm)
    if not isinstance(classes, torch.Tensor) or classes.shape != (len(images),):
        fail("classes", f"a tensor of {len(images)} class indices (N,)", repr(classes)[:60])
    size = tuple(images.shape[-2:]) if size is None else size
    return CAM(weight)(model, images, classes, size, normalize="max", relu=True).float()


@dataclass
class CamPanel:
    """SVM-CAMs of some images of a target: ``indices`` into the target, ``images`` uint8
    ``(n, S, S, 3)`` at the network's input size ``S``, ``maps`` ``(n, S, S)`` in [0, 1],
    ``labels``, ``classes`` (the class each map is for) ``(n,)``, ``pred_boxes`` ``(n, 4)``
    and ``gt_boxes`` (or None) in those pixels, and per-image ``scores``: ``index``,
    ``label``, ``predicted``, ``correct`` and, with boxes, ``peak_in_box``, ``iou``,
    ``box_area`` (share of the image)."""

    target: str
    indices: np.ndarray
    images: np.ndarray
    maps: np.ndarray
    labels: np.ndarray
    classes: np.ndarray
    pred_boxes: np.ndarray
    gt_boxes: np.ndarray | None
    scores: pd.DataFrame

    @property
    def accuracy(self) -> float:
        """% of images whose map's class is their label."""
        return 100.0 * float(self.scores["correct"].mean())


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    mean = torch.tensor(models.IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(models.IMAGENET_STD).view(1, 3, 1, 1)
    img = ((x * std + mean) * 255.0).round().clamp(0, 255).byte()
    return img.permute(0, 2, 3, 1).numpy()


def cam_panel(
    fs: FeatureSet,
    target: TargetSet,
    indices: Sequence[int] | np.ndarray,
    svm: Pipeline | object,
    classes: np.ndarray,
    threshold: float = 0.2,
    batch_size: int = 32,
    device: str = "cpu",
) -> CamPanel:
    """SVM-CAMs of ``classes`` ``(n,)`` on the target images ``indices``, their boxes (the
    paper's rule at ``threshold``) and, where the target has boxes, their scores."""
    indices = np.asarray(indices, dtype=np.int64)
    classes = np.asarray(classes, dtype=np.int64)
    if classes.shape != indices.shape:
        fail("classes", f"one class per image, shape {indices.shape}", f"shape {classes.shape}")
    loader = DataLoader(ResizedImages(target.images, fs.input_size, indices=indices), batch_size)
    fs.model.to(device)
    maps, pics, done = [], [], 0
    for x, _ in loader:
        cls = torch.as_tensor(classes[done : done + len(x)], device=device)
        maps.append(svm_cams(fs.model, x.to(device), svm, cls).cpu())
        pics.append(_to_uint8(x))
        done += len(x)
    maps_t = torch.cat(maps)
    pred_boxes = boxes_from_maps(maps_t, threshold=threshold)
    labels = target.labels[indices]
    scores = pd.DataFrame({"index": indices, "label": labels, "predicted": classes})
    scores["correct"] = scores["label"] == scores["predicted"]
    gt = None
    if target.boxes is not None:
        s = fs.input_size
        hw = image_sizes(target.images)[indices]
        gt = target.boxes[indices] * np.stack([s / hw[:, 1], s / hw[:, 0]] * 2, axis=1)
        scores["peak_in_box"] = peak_in_box(maps_t, gt)
        scores["iou"] = iou_elementwise(pred_boxes, gt)
        scores["box_area"] = (gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1]) / (s * s)
    return CamPanel(
        target.name, indices, np.concatenate(pics), maps_t.numpy(), labels, classes,
        pred_boxes, gt, scores,
    )  # fmt: skip


def examples_per_class(
    labels: np.ndarray,
    pool: np.ndarray,
    classes: Sequence[int],
    per_class: int,
    predicted: np.ndarray | None = None,
) -> np.ndarray:
    """The first ``per_class`` indices of ``pool`` of each of ``classes``, class by class;
    correctly predicted ones first when ``predicted`` (aligned with ``pool``) is given."""
    pool = np.asarray(pool)
    out = []
    for c in classes:
        at = np.flatnonzero(labels[pool] == c)
        if predicted is not None:
            at = np.concatenate([at[predicted[at] == c], at[predicted[at] != c]])
        out.append(pool[at[:per_class]])
    return np.concatenate(out).astype(np.int64)


def spread_classes(num_classes: int, k: int) -> list[int]:
    """``k`` class indices spread evenly over ``range(num_classes)``."""
    k = min(check_count("k", k, 1), num_classes)
    return sorted({int(round(i * (num_classes - 1) / max(k - 1, 1))) for i in range(k)})


@dataclass
class SvmCamResult:
    """Figure 8 on one target: the SVM fitted on a split's train part, its test accuracy,
    the scored panel (``eval``: test images, predicted classes) and the ``shown`` panel."""

    target: TargetSet
    svm: Pipeline
    accuracy: float
    eval: CamPanel
    shown: CamPanel


def svm_cam_localization(
    fs: FeatureSet,
    target: TargetSet,
    split: tuple[np.ndarray, np.ndarray],
    cache_dir: str | Path | None,
    eval_images: int = 0,
    show_classes: int = 3,
    show_per_class: int = 2,
    threshold: float = 0.2,
    cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
    cv_folds: int = 3,
    seed: int = 0,
    device: str = "cpu",
) -> SvmCamResult:
    """Fit the SVM on ``split``'s train part (cached features); SVM-CAMs of the predicted
    class on the first ``eval_images`` test images of every class (0: all), scored where
    the target has boxes; and ``show_per_class`` test images of ``show_classes`` classes
    spread over the label set (correctly classified first) for the figure."""
    if fs.kind != "gap":
        fail("fs", "GAP features of a GAP network (CAMs need them)", fs.label)
    train, test = (np.asarray(a) for a in split)
    feats = target_features(fs, target, cache_dir, device=device)
    svm = cfeatures.fit_linear_svm(feats[train], target.labels[train], cs, cv_folds, seed)
    pred = svm.predict(feats[test]).astype(np.int64)
    accuracy = 100.0 * float(np.mean(pred == target.labels[test]))
    classes = np.unique(target.labels)
    keep = np.arange(len(test))
    if eval_images:
        keep = np.concatenate(
            [np.flatnonzero(target.labels[test] == c)[:eval_images] for c in classes]
        )
        keep.sort()
    scored = cam_panel(fs, target, test[keep], svm, pred[keep], threshold, device=device)
    chosen = [int(classes[i]) for i in spread_classes(len(classes), show_classes)]
    shown_idx = examples_per_class(target.labels, test, chosen, show_per_class, pred)
    order = np.searchsorted(test, shown_idx)
    shown = cam_panel(fs, target, shown_idx, svm, pred[order], threshold, device=device)
    return SvmCamResult(target, svm, accuracy, scored, shown)


def localization_summary(results: Sequence[SvmCamResult]) -> pd.DataFrame:
    """Per target: SVM test accuracy, and where boxes exist the share of SVM-CAM peaks inside
    the object box beside the chance rate (mean box area), and CAM box accuracy at IoU 0.5."""
    rows = []
    for r in results:
        sc = r.eval.scores
        row = {"dataset": r.target.name, "test accuracy (%)": round(r.accuracy, 1)}
        if "peak_in_box" in sc:
            row.update(
                {
                    "scored images": len(sc),
                    "peak in box (%)": round(100.0 * float(sc["peak_in_box"].mean()), 1),
                    "chance: mean box area (%)": round(100.0 * float(sc["box_area"].mean()), 1),
                    "box IoU >= 0.5 (%)": round(100.0 * float((sc["iou"] >= 0.5).mean()), 1),
                    "mean IoU (%)": round(100.0 * float(sc["iou"].mean()), 1),
                }
            )
        rows.append(row)
    out = pd.DataFrame(rows).set_index("dataset")
    if "scored images" in out:
        out["scored images"] = out["scored images"].astype("Int64")
    return out


def panel_cells(
    panel: CamPanel, class_names: Sequence[str], alpha: float = 0.5
) -> tuple[list[list[np.ndarray]], list[str], list[str]]:
    """Two rows for :func:`cam_core.common.viz.image_grid`: the images, then their SVM-CAM overlays
    with the CAM box (red) and the ground truth (green) where known; column titles (class
    names) and captions (the class the map is for, and the IoU where known)."""

    over = []
    for i in range(len(panel.indices)):
        pic = viz.overlay(panel.images[i], panel.maps[i], alpha)
        gt = None if panel.gt_boxes is None else panel.gt_boxes[i]
        over.append(viz.draw_boxes(pic, gt, panel.pred_boxes[i]))
    titles = [str(class_names[c]) for c in panel.labels]
    caps = []
    for i, c in enumerate(panel.classes):
        cap = f"map: {class_names[c]}"
        if panel.gt_boxes is not None:
            cap += f"\nIoU {panel.scores['iou'].iloc[i]:.2f}"
        caps.append(cap)
    return [list(panel.images), over], titles, caps


def figure8_rows(
    results: Sequence[SvmCamResult], alpha: float = 0.5
) -> tuple[list[list[np.ndarray]], list[str], list[list[str]]]:
    """Figure 8's layout for :func:`cam_core.common.viz.image_grid`: per target set two rows, the
    shown test images (captioned with their class) and their SVM-CAMs (captioned with the
    class the map is for, and the IoU where boxes exist); row titles name the target set."""
    cells, titles, captions = [], [], []
    for r in results:
        names = r.target.class_names
        (images, overlays), _, caps = panel_cells(r.shown, names, alpha)
        cells += [images, overlays]
        titles += [f"{r.target.name}\nimage", "SVM-CAM"]
        captions += [[str(names[c]) for c in r.shown.labels], caps]
    return cells, titles, captions


def peak_claim(
    dataset: str,
    peak_in_box: np.ndarray,
    box_area: np.ndarray,
    ratio: float = PEAK_RATIO,
    n_boot: int = 2000,
    seed: int = 0,
) -> Claim:
    """Figure 8's claim on one target set with boxes: the SVM-CAM's peak falls inside the
    object box at least ``ratio`` x as often as a random point would (the box's share of the
    image). ``peak_in_box`` ``(N,)`` bool, ``box_area`` ``(N,)`` shares of the image, the
    same scored test images; judged on the paired-bootstrap interval of the difference."""
    peak = np.asarray(peak_in_box)
    area = np.asarray(box_area, dtype=np.float64)
    if peak.ndim != 1 or peak.dtype != bool or len(peak) == 0:
        fail("peak_in_box", "a non-empty (N,) bool array", f"shape {peak.shape}, {peak.dtype}")
    if area.shape != peak.shape or not ((area >= 0) & (area <= 1)).all():
        fail("box_area", f"{len(peak)} shares of the image in [0, 1]", f"shape {area.shape}")
    diff, low, high = claims.paired_bootstrap(
        100.0 * peak, 100.0 * ratio * area, n_boot=n_boot, seed=seed
    )
    return claims.judge(
        f"peak_in_box:{dataset}",
        f"On {dataset}, the SVM-CAM's peak falls inside the object box at least {ratio:g} "
        "times as often as a random point would",
        diff,
        low,
        high,
        partial(claims.compare, boundary=0.0, direction="above"),
        criterion=(
            f"share of scored test images whose CAM peak lies in the box minus {ratio:g} x "
            "the mean box area (the chance of a random point), in points: holds when its 95% "
            "paired-bootstrap interval over the images lies wholly above 0, does not hold "
            "when wholly below, not distinguishable when it contains 0"
        ),
        unit="points",
        preconditions=[
            (
                claims.min_count(len(peak), MIN_TEST_IMAGES),
                f"only {len(peak)} test images scored (at least {MIN_TEST_IMAGES} needed)",
            )
        ],
        data=(
            f"{dataset}: peak in box {100.0 * peak.mean():.1f}% of {len(peak)} images, "
            f"chance {100.0 * area.mean():.1f}%"
        ),
    )


def figure8_claims(results: Sequence[SvmCamResult], ratio: float = PEAK_RATIO) -> list[Claim]:
    """:func:`peak_claim` on every target set with boxes; one "not tested" claim if none."""
    found = [
        peak_claim(r.target.name, r.eval.scores["peak_in_box"].to_numpy(bool),
                   r.eval.scores["box_area"].to_numpy(), ratio)
        for r in results
        if "peak_in_box" in r.eval.scores
    ]  # fmt: skip
    if found:
        return found
    return [
        Claim(
            "peak_in_box",
            "SVM-CAM peaks fall inside the object boxes more often than chance",
            None,
            None,
            None,
            "points",
            None,
            "",
            "not tested",
            reason="no target set with object boxes: the figure is shown without a number",
        )  # fmt: skip
    ]


def run(params: dict[str, Any], progress: Callable[[str], None] | None = None) -> ItemResult:
    """Figure 8 at the profile's scale (validated parameters of ``profiles.from_cell``):
    Table 5's target sets and first split, SVM-CAMs of the GAP network's GAP features."""
    if params.get("item") != "figure08":
        fail("params", "the parameters of figure08", repr(params.get("item")))
    keys = ("profile", "data_root", "out_dir", "device", "seed")
    t5 = profiles.validate_parameters("table5", **{k: params[k] for k in keys})
    cache_dir = Path(params["out_dir"]) / "cache" / "features"
    fs = build_feature_sets([params["network"]], t5, progress=progress)[0]
    runs = []
    for target in load_targets(params["datasets"], t5):
        if progress is not None:
            progress(f"SVM-CAMs on {target.name}")
        split = make_splits(target, 1, t5["train_fraction"], t5["seed"])[0]
        runs.append(
            svm_cam_localization(
                fs,
                target,
                split,
                cache_dir,
                eval_images=params["eval_images"],
                show_classes=params["classes_per_dataset"],
                show_per_class=params["images_per_class"],
                seed=params["seed"],
                device=params["device"],
            )
        )
    cells, rows, captions = figure8_rows(runs)
    figure = viz.image_grid(
        cells, row_titles=rows, captions=captions, title=f"SVM-CAMs on {fs.label}"
    )
    found = figure8_claims(runs)
    summary = localization_summary(runs)
    boxed = [r for r in runs if "peak_in_box" in r.eval.scores]
    value = 100.0 * float(boxed[0].eval.scores["peak_in_box"].mean()) if boxed else None
    headline = (
        f"SVM-CAM peak inside the object box (%) on {boxed[0].target.name}, {fs.label}:"
        if boxed
        else "No target set with object boxes: the figure has no number."
    )
    accuracy = ", ".join(f"{r.target.name} {r.accuracy:.1f}%" for r in runs)
    return ItemResult(
        "figure08",
        params["profile"],
        headline=headline,
        claims=found,
        tables={"figure08_localization": summary.reset_index()},
        figures={"figure08": figure},
        notes=[
            "The paper shows this figure without a number; the peak-in-box share is this "
            f"project's measure. SVM test accuracy on the first split: {accuracy}."
        ],
        headline_value=value,
        coverage="complete" if params["profile"] == "full" else "partial",
        captions={
            "figure08": (
                f"*Figure 8 (this project, {params['profile']} profile).* Per target set "
                f"({', '.join(r.target.name for r in runs)}): test images of classes spread "
                "over its label set (top row, with their class) and the SVM-CAM of the class "
                "the SVM predicts for each (bottom row, with that class), the CAM's box in "
                "red and the object box in green where the target set has one."
            ),
            "figure08_localization": (
                "*Localization.* Per target set: the SVM's test accuracy on the first split "
                "and, where object boxes exist, over the first "
                f"{params['eval_images'] or 'all'} test images of every class: the share "
                "whose CAM peak lies in the object box beside chance (the mean share of the "
                "image the box covers), and whose CAM box has IoU ≥ 0.5 with it."
            ),
        },
    )
