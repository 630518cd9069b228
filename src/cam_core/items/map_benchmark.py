"""Figures 5-6: CAM, backprop and Grad-CAM maps scored against boxes on one evaluation set."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.data import Dataset

from cam_core.common import claims, viz
from cam_core.common.claims import Claim, ItemResult
from cam_core.items import evaluation
from cam_core.items import recipe as items_recipe
from cam_core.items.map_methods import (
    PAPER_MAP_SIDE,
    benchmark_entries,
    box_summary,
    check_entries,
    check_input_sizes,
    first_seed_family,
    judged_run,
    localization_scores,
    map_side,
    maps_for,
    photo_box_figure,
    photo_boxes,
    photo_inputs,
    photo_panel,
    predict,
    resized_cams,
    summarize,
    tidy_scores,
    topk_panel,
)
from cam_core.nets import pretrained as nets_pretrained
from cam_core.nets import registry
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
    "MIN_IMAGES",
    "paired_claim",
    "judged_rows",
    "map_claims",
    "box_claim",
    "run",
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


# --------------------------------------------------------------------------- claims

MIN_IMAGES = 20  # fewer scored images than this judge nothing (claims.min_count)
QUANTITIES = {
    "coverage": (
        "{cam}'s CAM highlights more of the object's pixels than {base}",
        "the share of the object's pixels where the map is >= {threshold:.0%} of its max",
    ),
    "on_object": (
        "{cam}'s CAM puts more of its highlighted pixels on the object than {base}",
        "the share of the pixels >= {threshold:.0%} of the map's max that lie on the object",
    ),
}


def paired_claim(
    claim_id: str,
    text: str,
    cam: np.ndarray,
    base: np.ndarray,
    criterion: str,
    accuracies: Mapping[str, float],
    num_classes: int,
    data: str = "",
) -> Claim:
    """Is the mean of per-image scores ``cam`` ``(N,)`` above that of ``base`` ``(N,)`` (the
    same images, in %)? Paired bootstrap of the difference (points), judged above 0;
    "not tested" with fewer than :data:`MIN_IMAGES` images or a network of ``accuracies``
    (name -> top-1 accuracy, %) within 10 points of chance among ``num_classes``."""
    cam, base = np.asarray(cam, float), np.asarray(base, float)
    diff, low, high = claims.paired_bootstrap(cam, base)
    pre = [(claims.min_count(len(cam), MIN_IMAGES), f"{len(cam)} scored images (< {MIN_IMAGES})")]
    pre += [
        (
            not claims.near_chance(100.0 - acc, num_classes),
            f"{name} is within 10 points of chance (top-1 accuracy {acc:.1f}%)",
        )
        for name, acc in accuracies.items()
    ]
    return claims.judge(
        claim_id, text, diff, low, high, partial(claims.compare, boundary=0.0, direction="above"),
        criterion, unit="points", preconditions=pre, data=data,
    )  # fmt: skip


def judged_rows(entries: Mapping[str, tuple[nn.Module, str]]) -> tuple[list[str], list[str]]:
    """The names of ``entries`` the Figure 5 claim compares: GAP CAMs and backprop maps (a
    GMP network's CAM is shown but not judged: the paper's claim is about GAP networks)."""
    cams = [n for n, (_, m) in entries.items() if m == "cam" and not n.endswith("-GMP")]
    return cams, [n for n, (_, m) in entries.items() if m == "backprop"]


def map_claims(
    scores: Mapping[str, pd.DataFrame],
    cam_rows: Sequence[str],
    base_rows: Sequence[str],
    num_classes: int,
    threshold: float = 0.2,
    data: str = "",
) -> list[Claim]:
    """Figure 5's claims: for coverage and for the on-object share, each CAM of ``cam_rows``
    against each map of ``base_rows`` (per-image tables of :func:`dataset_scores`, the same
    images), by :func:`paired_claim` on the per-image values in %."""
    for name in (*cam_rows, *base_rows):
        if name not in scores:
            fail("scores", f"a per-image table for {name!r}", sorted(scores))
    if not cam_rows or not base_rows:
        fail("cam_rows", "at least one CAM row and one baseline row", "none")
    images = scores[cam_rows[0]]["image"].tolist()
    for name in (*cam_rows, *base_rows):
        if scores[name]["image"].tolist() != images:
            fail(f"scores[{name!r}]", "the same images in the same order", "other images")
    accuracy = {name: 100.0 * float(scores[name]["correct"].mean()) for name in scores}
    out = []
    for column, (text, measure) in QUANTITIES.items():
        criterion = (
            "holds when the 95% paired-bootstrap interval (over the scored images) of the CAM's "
            f"mean minus backprop's lies wholly above 0; {measure.format(threshold=threshold)}. "
            "Coverage and on-object share are each judged, so that a map lighting everything "
            "does not win on coverage alone"
        )
        for cam in cam_rows:
            for base in base_rows:
                out.append(
                    paired_claim(
                        f"{column}: {cam} vs {base}",
                        text.format(cam=cam, base=base),
                        100.0 * scores[cam][column].to_numpy(float),
                        100.0 * scores[base][column].to_numpy(float),
                        criterion,
                        {cam: accuracy[cam], base: accuracy[base]},
                        num_classes,
                        data,
                    )
                )
    return out


def box_claim(
    evaluations: Mapping[str, object],
    cam_name: str,
    base_name: str,
    num_classes: int,
    data: str = "",
) -> Claim:
    """Figure 6's claim: the CAM boxes' mean IoU with the ground truth (GT-known, %) above the
    backprop boxes' on the same test images (:func:`paired_claim`)."""
    cam, base = evaluations[cam_name], evaluations[base_name]
    if len(cam.gt_known_iou) != len(base.gt_known_iou):
        fail("evaluations", "two evaluations of the same test images", "different sizes")
    accuracies = {
        n: 100.0 * (1.0 - evaluations[n].summary["cls_top1_error"]) for n in (cam_name, base_name)
    }
    criterion = (
        "holds when the 95% paired-bootstrap interval (over the scored test images) of the "
        "mean IoU of the CAM boxes minus that of the backprop boxes lies wholly above 0 "
        "(boxes from the true class's map, the paper's rule)"
    )
    return paired_claim(
        f"mean_iou: {cam_name} vs {base_name}",
        f"{cam_name}'s CAM boxes match the ground truth better than the boxes of {base_name}",
        100.0 * np.asarray(cam.gt_known_iou, float),
        100.0 * np.asarray(base.gt_known_iou, float),
        criterion,
        accuracies,
        num_classes,
        data,
    )


# --------------------------------------------------------------------------- figure bodies


@dataclass
class MapComparison:
    """Figure 5 on held-out images: the shown grid, per-image scores of every map
    (name -> table), their summary in percent and the claims (:func:`map_claims`)."""

    figure: Figure
    scored: ScoredSet
    scores: dict[str, pd.DataFrame]
    summary: pd.DataFrame
    claims: list[Claim]
    cam_rows: list[str]
    base_rows: list[str]
    shown: int


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
    :func:`scored_set`) and judged by :func:`map_claims`."""
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
    cam_rows, base_rows = judged_rows(entries)
    found = map_claims(scores, cam_rows, base_rows, len(scored.class_names), threshold, scored.name)
    return MapComparison(
        figure, scored, scores, summary, found, cam_rows, base_rows, len(shown.labels)
    )


@dataclass
class BoxExamples:
    """Figure 6 on held-out images: (a) CAM boxes, (b) CAM beside backprop boxes, the two
    evaluations (Table 2's, cached), their summary in percent and the claim (:func:`box_claim`)."""

    boxes_figure: Figure
    pair_figure: Figure
    evaluations: dict[str, object]
    summary: pd.DataFrame
    claim: Claim
    test_name: str
    shown: int


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
    claim = box_claim(evaluations, cam_name, base_name, len(splits.class_names), splits.test_name)
    return BoxExamples(boxes_figure, pair_figure, evaluations, summary, claim, splits.test_name, n)


# --------------------------------------------------------------------------- items


def _say(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _range(values: pd.Series) -> str:
    """``"12.3"`` or ``"12.3 to 45.6"``: the range of ``values``, one decimal."""
    low, high = f"{values.min():.1f}", f"{values.max():.1f}"
    return low if low == high else f"{low} to {high}"


def _count(n: int, noun: str) -> str:
    """``"1 photo"``, ``"4 photos"``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


SEED_NOTE = (
    "Intervals are over the scored images only: each network is its first training seed, "
    "so seed-to-seed spread is not in them."
)


def _photo_figures(
    params: dict[str, Any],
) -> tuple[dict[str, Figure], dict[str, str], pd.DataFrame]:
    """Figure 5's real-photo panels (top-1 maps by method at the paper's map resolution, the
    CAM of the same class at each other input size of ``photo_input_sizes`` beside them;
    top-k CAMs), their captions and a table per photo and map of the top-1 class."""
    net = registry.build_model(params["photo_model"], 1000)
    categories = nets_pretrained.imagenet_categories()
    sizes = check_input_sizes("photo_input_sizes", params["photo_input_sizes"])
    sides = [map_side(net, v) for v in sizes]
    main = judged_run(sides)
    size, side = sizes[main], f"{sides[main]} x {sides[main]}"
    panel = photo_panel(
        net, params["photos"], categories, params["photo_methods"], params["normalisation"],
        params["threshold"], size=size,
    )  # fmt: skip
    columns = {f"{k} {side}" if k == "CAM" else k: v for k, v in panel.columns().items()}
    found = zip(panel.names, panel.class_names, panel.probs, strict=True)
    rows = [{"map": side, "input_px": size, "photo": n, "top1_class": c, "probability": float(p)}
            for n, c, p in found]  # fmt: skip
    for i, view in enumerate(sizes):
        if i == main:
            continue
        other = f"{sides[i]} x {sides[i]}"
        classes = torch.as_tensor(panel.classes)
        columns[f"CAM {other}"] = resized_cams(
            net, panel.names, classes, view, size, params["normalisation"]
        )
        x, _ = photo_inputs(panel.names, view)
        probs, top1 = predict(net, x).softmax(1).max(1)
        rows += [{"map": other, "input_px": view, "photo": n, "top1_class": categories[int(c)],
                  "probability": float(p)} for n, c, p in zip(panel.names, top1, probs,
                                                                strict=True)]  # fmt: skip
    photos = viz.map_grid(
        panel.crops, columns, styles={"Backprop": "gray"},
        row_titles=panel.row_titles(), title=f"{params['photo_model']}: top-1 class maps",
    )  # fmt: skip
    crop, maps, names, probs = topk_panel(
        net, params["topk_photo"], categories, params["top_k"], params["normalisation"], size
    )
    k = len(names)
    topk = viz.topk_strip(
        crop, maps, names, probs,
        title=f"{params['topk_photo']}: CAMs of the top-{k} classes ({side} map)",
    )  # fmt: skip
    top1 = ", ".join(f"{n}: {c} ({p:.2f})" for n, c, p in zip(
        panel.names, panel.class_names, panel.probs, strict=True))  # fmt: skip
    table = pd.DataFrame(rows)
    same = table.groupby("photo", sort=False)["top1_class"].nunique().eq(1).sum()
    others = [(f"CAM {sides[i]} x {sides[i]}", v) for i, v in enumerate(sizes) if i != main]
    captions = {
        "figure05_photos": f"{params['photo_model']} on "
        f"{_count(len(panel.names), 'bundled photo')} at {size} px (a {side} map; the "
        f"paper's GoogLeNet-GAP: {PAPER_MAP_SIDE} x {PAPER_MAP_SIDE}), the maps "
        f"({', '.join(columns)}) of each photo's top-1 class ({top1})"
        + "".join(
            f"; {c}: the CAM of the same class from the network fed the photo at "
            f"{v} px, resized onto the crop"
            for c, v in others
        )
        + ".",  # fmt: skip
        "figure05_topk": f"CAMs of the top-{k} classes of {params['topk_photo']}: "
        + ", ".join(f"{n} ({p:.2f})" for n, p in zip(names, probs, strict=True))
        + ", from one forward pass.",
        "figure05_photo_classes": f"Each photo's top-1 class at every map resolution: the same "
        f"class at all of them for {same} of {len(panel.names)} photos.",
    }
    return {"figure05_photos": photos, "figure05_topk": topk}, captions, table


def _figure05(params: dict[str, Any], progress: Callable[[str], None] | None) -> ItemResult:
    _say(progress, f"figure05: photo maps with {params['photo_model']}")
    figures, captions, photo_classes = _photo_figures(params)
    recipe = items_recipe.recipe_for(params)
    _say(progress, "figure05: training or loading the benchmark networks")
    family = first_seed_family(params["networks"] + params["baseline_networks"], recipe)
    _say(progress, f"figure05: scoring maps on {params['eval_images'] or 'all'} test images")
    comp = map_comparison(
        family, recipe, params["networks"], params["baseline_networks"], params["num_images"],
        params["eval_images"], params["threshold"], params["normalisation"],
    )  # fmt: skip
    figures["figure05_benchmark"] = comp.figure
    table = comp.summary.set_index("maps")
    cams, bases = table.loc[comp.cam_rows], table.loc[comp.base_rows]
    first = table.index[0]
    n = int(table["images"].iloc[0])
    captions["figure05_benchmark"] = (
        f"The first {comp.shown} test images (in order, not picked) of "
        f"{comp.scored.name}: the CAM of the true class from {', '.join(comp.cam_rows)}, then "
        f"backprop saliency ({', '.join(comp.base_rows)}; grey, stretched to its 99th "
        "percentile)."
    )
    captions["figure05_summary"] = (
        f"Over {n} scored images, in %. Coverage: CAM {_range(cams['coverage'])}, backprop "
        f"{_range(bases['coverage'])}; on-object share: CAM {_range(cams['on_object'])}, "
        f"backprop {_range(bases['on_object'])}; mean IoU and box accuracy (IoU >= 0.5) score "
        "the box the paper's rule draws from each map."
    )
    notes = [SEED_NOTE]
    unjudged = [name for name in table.index if name not in comp.cam_rows + comp.base_rows]
    if unjudged:
        notes.append(
            f"{', '.join(unjudged)}: shown, not judged (the paper's claim is about GAP "
            "networks; max pooling is expected to light one part, not the object's extent)."
        )
    return ItemResult(
        "figure05",
        params["profile"],
        f"Share of the object's pixels highlighted by the CAM of {first} over {n} held-out "
        "benchmark images (%)",
        comp.claims,
        tables={
            "figure05_summary": comp.summary,
            "figure05_scores": tidy_scores(comp.scores),
            "figure05_photo_classes": photo_classes,
        },  # fmt: skip
        figures=figures,
        notes=notes,
        headline_value=float(table.loc[first, "coverage"]),
        coverage="complete",
        captions=captions,
    )


def _figure06(params: dict[str, Any], progress: Callable[[str], None] | None) -> ItemResult:
    _say(progress, f"figure06: photo boxes with {params['photo_model']}")
    net = registry.build_model(params["photo_model"], 1000)
    panel = photo_panel(
        net, params["photos"], nets_pretrained.imagenet_categories(), ["cam", "backprop"],
        threshold=params["threshold"],
    )  # fmt: skip
    photo_figure, photo_scores = photo_box_figure(
        panel, photo_boxes(),
        title=f"{params['photo_model']}: boxes at {params['threshold']:.0%} of the map's max",
    )  # fmt: skip
    recipe = items_recipe.recipe_for(params)
    splits = items_recipe.load_splits(recipe, params["eval_images"])
    _say(progress, "figure06: training or loading the benchmark networks")
    net_name, base = params["network"], params["baseline_network"]
    family = first_seed_family([net_name, base], recipe, splits)
    _say(progress, f"figure06: boxes on {len(splits.test)} test images")
    ex = box_examples(
        family, recipe, splits, net_name, base, params["num_images"], params["threshold"]
    )
    names = list(ex.evaluations)
    table = ex.summary.set_index("maps")
    per_image = pd.DataFrame({"image": np.arange(len(ex.evaluations[names[0]].labels))})
    per_image["label"] = ex.evaluations[names[0]].labels
    for name, result in ex.evaluations.items():
        per_image[f"iou {name}"] = result.gt_known_iou
    n = int(table["images"].iloc[0])
    captions = {
        "figure06_photos": f"{_count(len(panel.names), 'bundled photo')} with a box drawn by hand "
        f"(data/annotations/photo_boxes.csv): mean IoU of the CAM boxes "
        f"{photo_scores['iou_cam'].mean():.2f}, of the backprop boxes "
        f"{photo_scores['iou_backprop'].mean():.2f}; a sanity check, not a benchmark.",
        "figure06_a": f"(a) The first {ex.shown} test images (in order, not picked) of "
        f"{ex.test_name}: ground truth green, the box from {names[0]}'s CAM of the true class red.",
        "figure06_b": f"(b) {names[0]}'s CAM box beside the box from the saliency of {names[1]} "
        "(grey, stretched to its 99th percentile), IoU under each.",
        "figure06_summary": f"Over {n} test images, in %: mean IoU "
        + ", ".join(f"{m} {table.loc[m, 'mean_iou']:.1f}" for m in names)
        + "; box accuracy (IoU >= 0.5) "
        + ", ".join(f"{m} {table.loc[m, 'box_accuracy']:.1f}" for m in names)
        + " (Table 2's cached evaluations of the first training seed).",
    }
    return ItemResult(
        "figure06",
        params["profile"],
        f"Mean IoU of {names[0]}'s CAM boxes with the ground truth over {n} held-out "
        "benchmark images (%)",
        [ex.claim],
        tables={
            "figure06_summary": ex.summary,
            "figure06_photo_scores": photo_scores,
            "figure06_scores": per_image,
        },  # fmt: skip
        figures={
            "figure06_photos": photo_figure,
            "figure06_a": ex.boxes_figure,
            "figure06_b": ex.pair_figure,
        },  # fmt: skip
        notes=[SEED_NOTE],
        headline_value=float(table.loc[names[0], "mean_iou"]),
        coverage="complete",
        captions=captions,
    )


def run(params: dict[str, Any], progress: Callable[[str], None] | None = None) -> ItemResult:
    """Figure 5 or 6 (``params["item"]``, from :func:`cam_core.common.profiles.from_cell`):
    photo panels, benchmark maps or boxes, their scores and claims."""
    items = {"figure05": _figure05, "figure06": _figure06}
    if params.get("item") not in items:
        fail("params", "the parameters of figure05 or figure06", repr(params.get("item")))
    return items[params["item"]](params, progress)
