"""Figures 5-6: CAM, backprop and Grad-CAM maps scored against boxes on one evaluation set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.data import Dataset

from cam_core.common import viz
from cam_core.items import evaluation
from cam_core.items import recipe as items_recipe
from cam_core.items.map_methods import (
    Verdict,
    benchmark_entries,
    box_summary,
    check_entries,
    localization_scores,
    maps_for,
    summarize,
    verdict,
)
from cam_core.nets.models import IMAGENET_MEAN, IMAGENET_STD
from cam_core.synthetic.benchmark import SilhouetteDataset, make_silhouettes
from cam_core.validate import check_boxes, fail

__all__ = [
    "ScoredSet",
    "scored_set",
    "Batch",
    "take",
    "box_masks",
    "dataset_scores",
    "MapComparison",
    "map_comparison",
    "BoxExamples",
    "box_examples",
]


# --------------------------------------------------------------------------- benchmark sets


@dataclass
class ScoredSet:
    """Held-out images for the figures: a dataset of ``(image, label, boxes[, box_labels])``
    items, the objects' masks bool ``(N, H, W)`` (None: the ground-truth boxes stand in),
    class names and a one-line description."""

    dataset: Dataset
    masks: np.ndarray | None
    class_names: list[str]
    name: str


def scored_set(recipe: object, eval_images: int) -> ScoredSet:
    """The test images a figure scores for a :class:`cam_core.items.recipe.Recipe`: at
    smoke/cpu scale the cluttered-silhouettes test split at the recipe's image size with exact
    object masks (the same images as :func:`cam_core.items.recipe.load_splits`); at full scale
    ILSVRC val, whose objects have boxes only. ``eval_images``: how many (0 = the recipe's)."""

    if isinstance(eval_images, bool) or not isinstance(eval_images, int) or eval_images < 0:
        fail("eval_images", "an int >= 0 (0: all)", repr(eval_images))
    if recipe.full:
        splits = items_recipe.load_splits(recipe, eval_images)
        return ScoredSet(splits.test, None, splits.class_names, splits.test_name)
    n = eval_images or recipe.val_images
    test = make_silhouettes("test", n, recipe.image_size, return_masks=True)
    name = f"cluttered-silhouettes test split ({n} images, {recipe.image_size} px)"
    return ScoredSet(SilhouetteDataset(test), test.masks, list(test.class_names), name)


@dataclass
class Batch:
    """Items of a dataset, stacked: model input ``x`` ``(N, 3, H, W)``, the pictures uint8
    ``(N, H, W, 3)``, ``labels`` ``(N,)`` and ground-truth boxes, a list of ``(G_i, 4)``."""

    x: torch.Tensor
    images: np.ndarray
    labels: torch.Tensor
    gt_boxes: list[np.ndarray]


def take(dataset: Dataset, indices: Sequence[int]) -> Batch:
    """Stack ``dataset[i]`` for ``indices``; items ``(image, label, boxes (4,) or (G, 4)[,
    box_labels (G,)])`` with images normalised by the ImageNet mean/std. Padding rows (NaN
    boxes or box label -1) are dropped."""
    indices = list(indices)
    if not indices:
        fail("indices", "at least one item index", "none")
    items = [dataset[i] for i in indices]
    x = torch.stack([torch.as_tensor(it[0]) for it in items]).float()
    labels = torch.tensor([int(it[1]) for it in items], dtype=torch.int64)
    gts = []
    for it in items:
        b = np.asarray(torch.as_tensor(it[2], dtype=torch.float64)).reshape(-1, 4)
        keep = ~np.isnan(b).any(axis=1)
        if len(it) > 3:
            keep &= np.asarray(torch.as_tensor(it[3])).reshape(-1) >= 0
        gts.append(b[keep])
    images = np.stack([viz.to_uint8_image(xi, IMAGENET_MEAN, IMAGENET_STD) for xi in x])
    return Batch(x, images, labels, gts)


def box_masks(gt_boxes: Sequence[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Masks bool ``(N, H, W)``: the union of each image's boxes ``(G_i, 4)`` (pixels whose
    centre lies inside), a stand-in for object masks where a dataset has only boxes."""
    h, w = shape
    ys, xs = np.arange(h)[:, None] + 0.5, np.arange(w)[None, :] + 0.5
    out = np.zeros((len(gt_boxes), h, w), bool)
    for i, boxes in enumerate(gt_boxes):
        for x0, y0, x1, y1 in check_boxes(f"gt_boxes[{i}]", boxes).reshape(-1, 4):
            out[i] |= (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
    return out


def dataset_scores(
    entries: Mapping[str, tuple[nn.Module, str]],
    scored: ScoredSet,
    batch_size: int = 100,
    **options: object,
) -> dict[str, pd.DataFrame]:
    """:func:`scores_for` over a whole :class:`ScoredSet`, ``batch_size`` items at a time
    (memory stays bounded at any scale); masks from the set, or from the ground-truth boxes
    when it has none. ``options`` go to :func:`localization_scores`."""
    entries = check_entries(entries)
    n = len(scored.dataset)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in entries}
    for lo in range(0, n, batch_size):
        batch = take(scored.dataset, range(lo, min(lo + batch_size, n)))
        if scored.masks is not None:
            masks = scored.masks[lo : lo + len(batch.labels)]
        else:
            masks = box_masks(batch.gt_boxes, tuple(batch.x.shape[-2:]))
        for name, (model, method) in entries.items():
            device = next(model.parameters()).device
            t = localization_scores(
                model, method, batch.x.to(device), batch.labels.to(device), batch.gt_boxes,
                masks, batch_size=batch_size, **options,
            )  # fmt: skip
            parts[name].append(t.assign(image=t["image"] + lo))
    return {name: pd.concat(p, ignore_index=True) for name, p in parts.items()}


# --------------------------------------------------------------------------- figure bodies


@dataclass
class MapComparison:
    """Figure 5 on held-out images: the shown grid, per-image scores of every map
    (name -> table), their summary in percent and the claim's :class:`Verdict` (coverage)."""

    figure: Figure
    scored: ScoredSet
    scores: dict[str, pd.DataFrame]
    summary: pd.DataFrame
    verdict: Verdict


def map_comparison(
    family: Mapping[str, Sequence[object]],
    recipe: object,
    networks: Sequence[str],
    baseline_networks: Sequence[str],
    num_images: int,
    eval_images: int,
    threshold: float = 0.2,
    normalize: str = "max",
) -> MapComparison:
    """CAMs of ``networks`` beside backprop saliency of ``baseline_networks`` (trained
    ``family``) on ``num_images`` held-out images, all maps scored on ``eval_images`` (see
    :func:`scored_set`); the claim holds when every CAM covers more of the objects."""
    entries = benchmark_entries(family, networks, baseline_networks)
    scored = scored_set(recipe, eval_images)
    shown = take(scored.dataset, range(min(num_images, len(scored.dataset))))
    figure = viz.map_grid(
        shown.images,
        maps_for(entries, shown.x, shown.labels, normalize),
        styles={name: "gray" for name, (_, method) in entries.items() if method == "backprop"},
        row_titles=[scored.class_names[int(c)] for c in shown.labels],
        title=f"CAMs of the true class, and backprop saliency:\n{scored.name}",
        cell_inches=1.6,
        transpose=True,
    )
    scores = dataset_scores(entries, scored, threshold=threshold, normalize=normalize)
    summary = summarize(scores, percent=True)
    cam_rows = [name for name, (_, method) in entries.items() if method == "cam"]
    base_rows = [name for name, (_, method) in entries.items() if method == "backprop"]
    return MapComparison(
        figure, scored, scores, summary, verdict(summary, "coverage", cam_rows, base_rows)
    )


@dataclass
class BoxExamples:
    """Figure 6 on held-out images: (a) CAM boxes, (b) CAM beside backprop boxes, the two
    evaluations (Table 2's, cached), their summary in percent and the :class:`Verdict`."""

    boxes_figure: Figure
    pair_figure: Figure
    evaluations: dict[str, object]
    summary: pd.DataFrame
    verdict: Verdict
    test_name: str


def box_examples(
    family: Mapping[str, Sequence[object]],
    recipe: object,
    splits: object,
    network: str,
    baseline_network: str,
    num_images: int,
    threshold: float = 0.2,
    pairs: int = 4,
) -> BoxExamples:
    """Boxes from the true class's map (GT-known) of ``network``'s CAM and of backprop
    saliency on ``baseline_network``, scored on the recipe's test split by
    :func:`cam_core.items.evaluation.localize` (cached with Tables 2-3), ``num_images`` shown in
    (a) and the first ``pairs`` of them in (b)."""

    entries = benchmark_entries(family, [network], [baseline_network])
    cam_name, base_name = list(entries)
    evaluations = {
        cam_name: evaluation.localize(family[network][0], splits, recipe, "cam", threshold),
        base_name: evaluation.localize(
            family[baseline_network][0], splits, recipe, "backprop", threshold
        ),
    }
    n = min(num_images, len(splits.test))
    shown = take(splits.test, range(n))
    maps = maps_for(entries, shown.x, shown.labels)
    names = [splits.class_names[int(c)] for c in shown.labels]
    cam_eval = evaluations[cam_name]
    guesses = [splits.class_names[int(c)] for c in cam_eval.top_classes[:n, 0]]
    boxes_figure = viz.box_grid(
        shown.images,
        cam_eval.gt_known_boxes[:n],
        gt_boxes=shown.gt_boxes,
        maps=maps[cam_name],
        captions=[
            f"{t} (guess: {g})\nIoU {v:.2f}"
            for t, g, v in zip(names, guesses, cam_eval.gt_known_iou[:n], strict=True)
        ],
        title=f"(a) {cam_name}: ground truth green, CAM box red",
    )
    k = min(n, pairs)
    pair_figure = viz.map_grid(
        shown.images[:k],
        {name: m[:k] for name, m in maps.items()},
        styles={base_name: "gray"},
        gt_boxes=shown.gt_boxes[:k],
        pred_boxes={name: e.gt_known_boxes[:k] for name, e in evaluations.items()},
        captions={
            name: [f"IoU {v:.2f}" for v in e.gt_known_iou[:k]] for name, e in evaluations.items()
        },
        row_titles=names[:k],
        title="(b) CAM box vs backprop box",
    )
    summary = box_summary(evaluations, percent=True)
    claim = verdict(summary, "mean_iou", [cam_name], [base_name])
    return BoxExamples(boxes_figure, pair_figure, evaluations, summary, claim, splits.test_name)
