"""Figures 5 and 6: one class's map per image from CAM, backprop saliency or Grad-CAM, the box
each map gives (the paper's rule), and how well maps and boxes match the object.

Maps are ``(N, H, W)`` at the image's size, normalised to [0, 1] (``"max"``: divided by
their max after a ReLU, as the paper thresholds them). Per-image scores
(:func:`localization_scores`) are:

- ``iou``: IoU of the map's box (largest 8-connected component of pixels >= ``threshold``
  of the max) with the ground truth (best over several ground-truth boxes);
- ``coverage``: the share of the object's pixels (its exact mask) where the map is
  >= ``threshold``: "how much of the object the map highlights";
- ``on_object``: the share of those highlighted pixels that lie on the object, so that a
  map lighting up everything does not win on coverage alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn

from cam_core.common import viz
from cam_core.core.boxes import boxes_from_maps
from cam_core.core.cam import cams_for_topk
from cam_core.core.methods import METHODS, map_method
from cam_core.core.metrics import iou, iou_elementwise
from cam_core.core.modes import eval_mode
from cam_core.datasets.photos import load_photo
from cam_core.items import family as items_family
from cam_core.items.recipe import paper_name
from cam_core.nets.models import IMAGENET_MEAN, IMAGENET_STD
from cam_core.nets.pretrained import preprocess_imagenet
from cam_core.paths import repo_root
from cam_core.validate import check_array, check_boxes, fail

__all__ = [
    "CLASS_SOURCES",
    "predict",
    "class_maps",
    "localization_scores",
    "summarize",
    "photo_inputs",
    "PAPER_MAP_SIDE",
    "map_side",
    "judged_run",
    "check_input_sizes",
    "resized_cams",
    "crop_box",
    "photo_boxes",
    "maps_for",
    "scores_for",
    "METHOD_TITLES",
    "PhotoPanel",
    "photo_panel",
    "topk_panel",
    "photo_box_figure",
    "annotated_boxes",
    "photo_box_scores",
    "tidy_scores",
    "box_summary",
    "first_seed_family",
    "benchmark_entries",
]

CLASS_SOURCES = ("truth", "top1")
PAPER_MAP_SIDE = 14  # GoogLeNet-GAP's last map at 224 px: the paper's CAM resolution
PHOTO_BOXES = Path("data") / "annotations" / "photo_boxes.csv"


def _check_model(model: object) -> nn.Module:
    if not isinstance(model, nn.Module):
        fail("model", "a torch.nn.Module", type(model).__name__)
    return model


def _check_images(images: object) -> torch.Tensor:
    check_array("images", images, ndim=4, layout="(N, 3, H, W)")
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        fail("images", "a floating-point torch.Tensor (N, 3, H, W)", type(images).__name__)
    return images


def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """Logits ``(N, C)`` of ``images`` ``(N, 3, H, W)`` in eval mode, in batches."""
    _check_model(model)
    _check_images(images)
    with eval_mode(model):
        return torch.cat(
            [model(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
        )


def class_maps(
    model: nn.Module,
    images: torch.Tensor,
    classes: torch.Tensor,
    method: str = "cam",
    normalize: str = "max",
) -> torch.Tensor:
    """The map of one class per image, ``(N, H, W)`` float32 at the images' size, in [0, 1].

    ``method``: ``"cam"`` (a CAMNet; ReLU then upsampling, as :mod:`cam_core.core.cam`),
    ``"backprop"`` (|d S_c / d image|, max over colours) or ``"gradcam"``; ``classes``
    ``(N,)``; ``normalize``: ``"max"`` or ``"minmax"`` per map.
    """
    _check_model(model)
    images = _check_images(images)
    if method not in METHODS:
        fail("method", f"one of {tuple(METHODS)}", repr(method))
    if normalize not in ("max", "minmax"):
        fail("normalize", '"max" or "minmax"', repr(normalize))
    if not isinstance(classes, torch.Tensor) or classes.shape != (len(images),):
        fail(
            "classes",
            f"a tensor of {len(images)} class indices (N,)",
            getattr(classes, "shape", classes),
        )
    size = tuple(images.shape[-2:])
    # CAM: ReLU before upsampling, as the paper's released heatmaps; the others are >= 0
    maps = map_method(method)(model, images, classes, size, normalize, relu=method == "cam")
    return maps.float().clamp(0.0, 1.0)


def _gt_list(gt_boxes: object, n: int) -> list[np.ndarray]:
    if isinstance(gt_boxes, np.ndarray | torch.Tensor):
        arr = check_boxes("gt_boxes", gt_boxes)
        if arr.ndim not in (2, 3) or len(arr) != n:
            fail("gt_boxes", f"{n} boxes (N, 4) or (N, G, 4)", f"shape {arr.shape}")
        return [a.reshape(-1, 4) for a in arr]
    if not isinstance(gt_boxes, Sequence) or len(gt_boxes) != n:
        fail(
            "gt_boxes", f"{n} boxes (N, 4) or a list of N arrays (G_i, 4)", type(gt_boxes).__name__
        )
    return [check_boxes(f"gt_boxes[{i}]", b).reshape(-1, 4) for i, b in enumerate(gt_boxes)]


def localization_scores(
    model: nn.Module,
    method: str,
    images: torch.Tensor,
    labels: torch.Tensor,
    gt_boxes: np.ndarray | Sequence[np.ndarray],
    masks: np.ndarray | None = None,
    threshold: float = 0.2,
    class_source: str = "truth",
    normalize: str = "max",
    batch_size: int = 50,
) -> pd.DataFrame:
    """Per image: ``label``, ``predicted``, ``correct``, the map's ``box`` (x0, y0, x1, y1),
    ``iou`` with the ground truth (``(N, 4)``, or per image ``(G, 4)``: the best), and with
    object ``masks`` (bool ``(N, H, W)``) ``coverage`` and ``on_object`` (NaN without).

    The map is of the true class (``class_source="truth"``, so that localization is scored
    apart from classification) or of the predicted class (``"top1"``).
    """
    images = _check_images(images)
    n, size = len(images), tuple(images.shape[-2:])
    if not isinstance(labels, torch.Tensor) or labels.shape != (n,):
        fail("labels", f"a tensor of {n} class indices (N,)", getattr(labels, "shape", labels))
    if class_source not in CLASS_SOURCES:
        fail("class_source", f"one of {CLASS_SOURCES}", repr(class_source))
    gts = _gt_list(gt_boxes, n)
    if masks is not None:
        check_array("masks", masks, ndim=3, layout="(N, H, W)")
        masks = np.asarray(masks, dtype=bool)
        if masks.shape != (n, *size):
            fail("masks", f"bool masks of shape {(n, *size)}", f"shape {masks.shape}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        fail("batch_size", "a positive int", repr(batch_size))
    predicted = predict(model, images, batch_size).argmax(1)
    classes = labels if class_source == "truth" else predicted
    rows = []
    for lo in range(0, n, batch_size):
        sl = slice(lo, lo + batch_size)
        maps = class_maps(model, images[sl], classes[sl].long(), method, normalize).cpu().numpy()
        boxes = boxes_from_maps(maps, threshold)
        on = maps >= threshold
        for j, box in enumerate(boxes):
            i = lo + j
            row = {
                "image": i,
                "label": int(labels[i]),
                "predicted": int(predicted[i]),
                "x0": box[0],
                "y0": box[1],
                "x1": box[2],
                "y1": box[3],
                "iou": float(iou(box, gts[i]).max()) if len(gts[i]) else 0.0,
                "coverage": np.nan,
                "on_object": np.nan,
            }
            if masks is not None:
                obj, lit = masks[i], on[j]
                row["coverage"] = float((lit & obj).sum() / max(int(obj.sum()), 1))
                row["on_object"] = float((lit & obj).sum() / max(int(lit.sum()), 1))
            rows.append(row)
    table = pd.DataFrame(rows)
    table.insert(3, "correct", table["label"] == table["predicted"])
    return table


def summarize(
    scores: Mapping[str, pd.DataFrame], iou_threshold: float = 0.5, percent: bool = False
) -> pd.DataFrame:
    """One row per entry of ``scores`` (name -> :func:`localization_scores` table): images,
    top-1 accuracy, mean IoU, box accuracy (IoU >= ``iou_threshold``), mean coverage and
    on-object share; fractions in [0, 1] (``percent``: in %, rounded to 0.1)."""
    if not isinstance(scores, Mapping) or not scores:
        fail("scores", "a non-empty mapping name -> per-image table", type(scores).__name__)
    rows = []
    for name, t in scores.items():
        rows.append(
            {
                "maps": name,
                "images": len(t),
                "top1_accuracy": float(t["correct"].mean()),
                "mean_iou": float(t["iou"].mean()),
                "box_accuracy": float((t["iou"] >= iou_threshold).mean()),
                "coverage": float(t["coverage"].mean()),
                "on_object": float(t["on_object"].mean()),
            }
        )
    return _percent(pd.DataFrame(rows)) if percent else pd.DataFrame(rows)


def tidy_scores(scores: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The per-image tables of ``scores`` (name -> table) stacked, with a ``maps`` column."""
    if not isinstance(scores, Mapping) or not scores:
        fail("scores", "a non-empty mapping name -> per-image table", type(scores).__name__)
    columns = ["maps", *next(iter(scores.values())).columns]
    return pd.concat([t.assign(maps=name) for name, t in scores.items()], ignore_index=True)[
        columns
    ]


def _percent(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for column in out.columns:
        if column not in ("maps", "images"):
            out[column] = (100.0 * out[column]).round(1)
    return out


def box_summary(evaluations: Mapping[str, object], percent: bool = False) -> pd.DataFrame:
    """One row per :class:`cam_core.items.localization.LocalizationResult` (name -> result): images,
    top-1 accuracy, mean IoU and box accuracy (IoU >= 0.5) of the true class's box
    (GT-known), and top-1 localization error; fractions (``percent``: in %)."""
    if not isinstance(evaluations, Mapping) or not evaluations:
        fail("evaluations", "a non-empty mapping name -> LocalizationResult", type(evaluations))
    rows = []
    for name, result in evaluations.items():
        if not hasattr(result, "gt_known_iou") or not hasattr(result, "summary"):
            fail(f"evaluations[{name!r}]", "a LocalizationResult", type(result).__name__)
        rows.append(
            {
                "maps": name,
                "images": len(result.gt_known_iou),
                "top1_accuracy": 1.0 - result.summary["cls_top1_error"],
                "mean_iou": float(np.mean(result.gt_known_iou)),
                "box_accuracy": result.summary["gt_known_loc"],
                "loc_top1_error": result.summary["loc_top1_error"],
            }
        )
    return _percent(pd.DataFrame(rows)) if percent else pd.DataFrame(rows)


def first_seed_family(
    names: Sequence[str], recipe: object, splits: object | None = None
) -> dict[str, list[object]]:
    """:func:`cam_core.items.family.train_family` for the first training seed of each network
    only (the figures show one model per network). A member's cache key does not depend on
    how many seeds the recipe asks for, so this loads the same models Tables 1-3 train."""

    return items_family.train_family(names, dataclasses.replace(recipe, seeds=1), splits)


def benchmark_entries(
    family: Mapping[str, Sequence[object]],
    networks: Sequence[str],
    baseline_networks: Sequence[str],
) -> dict[str, tuple[nn.Module, str]]:
    """Display name -> (model, method) for the figures: the CAM of each of ``networks`` and
    backprop saliency of each of ``baseline_networks``, from
    :func:`cam_core.items.family.train_family`'s output (its first seed), named by the paper
    network each stands for ("GoogLeNet-GAP", "Backprop AlexNet")."""

    out: dict[str, tuple[nn.Module, str]] = {}
    for names, method, prefix in (
        (networks, "cam", ""),
        (baseline_networks, "backprop", "Backprop "),
    ):
        for name in names:
            if name not in family or not family[name]:
                fail("family", f"trained members of {name!r}", sorted(family))
            out[prefix + paper_name(name)] = (family[name][0].model, method)
    return out


def photo_inputs(names: Sequence[str], size: int = 224) -> tuple[torch.Tensor, np.ndarray]:
    """Bundled photos by name -> model input ``(N, 3, size, size)`` (shorter side to ``size``,
    centre crop, ImageNet mean/std) and the same crops as uint8 ``(N, size, size, 3)``."""
    if isinstance(names, str) or not names:
        fail("names", "a non-empty list of photo names", repr(names))
    x = torch.stack([preprocess_imagenet(load_photo(name), size) for name in names])
    crops = np.stack([viz.to_uint8_image(xi, IMAGENET_MEAN, IMAGENET_STD) for xi in x])
    return x, crops


def map_side(model: nn.Module, size: int) -> int:
    """Side (cells) of a CAMNet's last map for a ``size`` px square input, e.g. 7 for
    EfficientNet-Lite0 at 224 px and 14 at 448 px (one forward pass of a blank image)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 16:
        fail("size", "an input size in px (int >= 16)", repr(size))
    if not hasattr(_check_model(model), "forward_features"):
        fail("model", "a CAMNet (forward_features)", type(model).__name__)
    device = next(model.parameters()).device
    with eval_mode(model), torch.inference_mode():
        return int(
            model.forward_features(torch.zeros(1, 3, size, size, device=device))[1].shape[-1]
        )


def judged_run(map_sides: Sequence[int]) -> int:
    """Index of the run whose claims are judged: the first with the paper's map side
    (:data:`PAPER_MAP_SIDE` cells), else the nearest to it (ties: the larger map)."""
    sides = list(map_sides)
    if not sides or any(isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1
                        for v in sides):  # fmt: skip
        fail("map_sides", "a non-empty list of map sides (ints >= 1)", repr(sides))
    return min(range(len(sides)), key=lambda i: (abs(sides[i] - PAPER_MAP_SIDE), -sides[i], i))


def check_input_sizes(name: str, sizes: object) -> list[int]:
    """``sizes`` as a list of distinct network input sizes in px (ints >= 16, one run each)."""
    ok = isinstance(sizes, list | tuple) and bool(sizes) and len(set(sizes)) == len(sizes)
    if not ok or any(isinstance(v, bool) or not isinstance(v, int) or v < 16 for v in sizes):
        fail(name, "distinct input sizes in px (ints >= 16), e.g. [224, 448]", repr(sizes))
    return [int(v) for v in sizes]


def resized_cams(
    model: nn.Module,
    names: Sequence[str],
    classes: torch.Tensor,
    size: int,
    out_size: int,
    normalize: str = "max",
) -> np.ndarray:
    """CAMs ``(N, out_size, out_size)`` in [0, 1] of ``classes`` ``(N,)`` for the bundled
    photos ``names`` seen at ``size`` px (its map resolution), resized (bilinear) to
    ``out_size`` px so they lie over the same crops as another run's."""
    x, _ = photo_inputs(names, size)
    maps = class_maps(model, x, classes, "cam", normalize)[:, None]
    if size != out_size:
        maps = torch.nn.functional.interpolate(
            maps, size=(out_size, out_size), mode="bilinear", align_corners=False
        )
    return maps[:, 0].clamp(0.0, 1.0).numpy()


def crop_box(box: Sequence[float], image_shape: Sequence[int], size: int = 224) -> np.ndarray:
    """A box ``(4,)`` in a photo of ``image_shape`` ``(H, W, ...)`` -> the same box in the
    ``size`` crop :func:`~cam_core.nets.pretrained.preprocess_imagenet` makes (scaled, shifted,
    clipped)."""
    b = check_boxes("box", box).reshape(4)
    h, w = int(image_shape[0]), int(image_shape[1])
    new_w, new_h = (size, int(size * h / w)) if w <= h else (int(size * w / h), size)
    left, top = (new_w - size) // 2, (new_h - size) // 2
    sx, sy = new_w / w, new_h / h
    out = b * np.array([sx, sy, sx, sy]) - np.array([left, top, left, top])
    return np.clip(out, 0.0, float(size))


def photo_boxes(size: int = 224, path: str | Path | None = None) -> pd.DataFrame:
    """The project's hand-drawn photo boxes (``data/annotations/photo_boxes.csv``): one row per
    photo with ``class_name`` and the box in the photo and in its ``size`` crop."""
    path = Path(path) if path is not None else repo_root() / PHOTO_BOXES
    if not path.is_file():
        fail("path", "the hand-drawn photo box CSV", f"no file {path}")
    table = pd.read_csv(path, comment="#")
    crops = [
        crop_box(
            row[["x0", "y0", "x1", "y1"]].to_numpy(float), load_photo(row["photo"]).shape, size
        )
        for _, row in table.iterrows()
    ]
    crops = np.array(crops).reshape(-1, 4)
    for k, name in enumerate(["crop_x0", "crop_y0", "crop_x1", "crop_y1"]):
        table[name] = crops[:, k]
    return table


def check_entries(entries: object) -> dict[str, tuple[nn.Module, str]]:
    if not isinstance(entries, Mapping) or not entries:
        fail("entries", "a non-empty mapping name -> (model, method)", type(entries).__name__)
    for name, value in entries.items():
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], nn.Module)):
            fail(f"entries[{name!r}]", "a (model, method) pair", type(value).__name__)
        if value[1] not in METHODS:
            fail(f"entries[{name!r}]", f"a method among {tuple(METHODS)}", repr(value[1]))
    return dict(entries)


def maps_for(
    entries: Mapping[str, tuple[nn.Module, str]],
    images: torch.Tensor,
    classes: torch.Tensor,
    normalize: str = "max",
) -> dict[str, np.ndarray]:
    """:func:`class_maps` of several (model, method) pairs: name -> maps ``(N, H, W)``."""
    entries = check_entries(entries)
    return {
        name: class_maps(model, images, classes, method, normalize).cpu().numpy()
        for name, (model, method) in entries.items()
    }


def scores_for(
    entries: Mapping[str, tuple[nn.Module, str]],
    images: torch.Tensor,
    labels: torch.Tensor,
    gt_boxes: np.ndarray | Sequence[np.ndarray],
    masks: np.ndarray | None = None,
    **options: object,
) -> dict[str, pd.DataFrame]:
    """:func:`localization_scores` of several (model, method) pairs: name -> per-image table.
    ``options`` go to :func:`localization_scores` (threshold, class_source, ...)."""
    entries = check_entries(entries)
    return {
        name: localization_scores(model, method, images, labels, gt_boxes, masks, **options)
        for name, (model, method) in entries.items()
    }


METHOD_TITLES = {"cam": "CAM", "backprop": "Backprop", "gradcam": "Grad-CAM"}


@dataclass
class PhotoPanel:
    """Maps of each photo's top-1 class: ``crops`` uint8 ``(N, S, S, 3)`` (what the model saw),
    ``classes``/``probs`` ``(N,)``, ``maps`` method -> ``(N, S, S)`` in [0, 1] and ``boxes``
    method -> ``(N, 4)`` (the paper's rule at ``threshold``)."""

    names: list[str]
    crops: np.ndarray
    classes: np.ndarray
    class_names: list[str]
    probs: np.ndarray
    maps: dict[str, np.ndarray]
    boxes: dict[str, np.ndarray]

    def columns(self) -> dict[str, np.ndarray]:
        """Maps keyed by display title ("CAM", "Backprop", "Grad-CAM")."""
        return {METHOD_TITLES[m]: v for m, v in self.maps.items()}

    def row_titles(self) -> list[str]:
        """ "photo\\nclass p=0.84" per photo."""
        return [
            f"{n}\n{c} ({p:.2f})"
            for n, c, p in zip(self.names, self.class_names, self.probs, strict=True)
        ]


def photo_panel(
    model: nn.Module,
    names: Sequence[str],
    categories: Sequence[str],
    methods: Sequence[str] = tuple(METHODS),
    normalize: str = "max",
    threshold: float = 0.2,
    size: int = 224,
) -> PhotoPanel:
    """Each bundled photo's top-1 class under ``model`` and that class's map by every method
    (``"cam"``, ``"backprop"``, ``"gradcam"``), with boxes; ``categories``: class names;
    the photos are ``size`` px centre crops."""
    if isinstance(methods, str) or not methods or any(m not in METHODS for m in methods):
        fail("methods", f"a non-empty list among {tuple(METHODS)}", repr(methods))
    x, crops = photo_inputs(names, size)
    logits = predict(_check_model(model), x)
    if len(categories) != logits.shape[1]:
        fail("categories", f"{logits.shape[1]} class names", len(categories))
    probs, top1 = logits.softmax(1).max(1)
    maps = {m: class_maps(model, x, top1, m, normalize).numpy() for m in methods}
    return PhotoPanel(
        names=list(names),
        crops=crops,
        classes=top1.numpy(),
        class_names=[categories[int(c)] for c in top1],
        probs=probs.numpy(),
        maps=maps,
        boxes={m: boxes_from_maps(v, threshold) for m, v in maps.items()},
    )


def topk_panel(
    model: nn.Module,
    name: str,
    categories: Sequence[str],
    k: int = 5,
    normalize: str = "max",
    size: int = 224,
) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """CAMs of the top-``k`` classes of one bundled photo (``size`` px centre crop): (crop
    uint8 ``(S, S, 3)``, maps ``(k, S, S)`` in [0, 1], class names, probabilities ``(k,)``),
    from one forward pass."""
    x, crops = photo_inputs([name], size)
    logits, top, cams = cams_for_topk(_check_model(model), x, k, normalize=normalize, relu=True)
    if len(categories) != logits.shape[1]:
        fail("categories", f"{logits.shape[1]} class names", len(categories))
    probs = logits.softmax(1)[0, top[0]]
    return crops[0], cams[0].numpy(), [categories[int(c)] for c in top[0]], probs.numpy()


def photo_box_figure(
    panel: PhotoPanel, annotations: pd.DataFrame, title: str | None = None
) -> tuple[Figure, pd.DataFrame]:
    """Each photo's maps with their boxes (red) and the hand-drawn box (green), IoU under
    each; returns the figure and :func:`photo_box_scores`."""
    scores = photo_box_scores(panel, annotations)
    figure = viz.map_grid(
        panel.crops,
        panel.columns(),
        styles={METHOD_TITLES["backprop"]: "gray"},
        gt_boxes=annotated_boxes(annotations, panel.names),
        pred_boxes={METHOD_TITLES[m]: b for m, b in panel.boxes.items()},
        captions={
            METHOD_TITLES[m]: [f"IoU {v:.2f}" for v in scores[f"iou_{m}"]] for m in panel.boxes
        },
        row_titles=panel.row_titles(),
        image_title=None,
        title=title,
    )
    return figure, scores


def annotated_boxes(annotations: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """The hand-drawn crop boxes ``(N, 4)`` of photos ``names`` from :func:`photo_boxes`."""
    out = []
    for name in names:
        match = annotations[annotations["photo"] == name]
        if len(match) != 1:
            fail("names", f"photos with one hand-drawn box ({list(annotations['photo'])})", name)
        out.append(match[["crop_x0", "crop_y0", "crop_x1", "crop_y1"]].to_numpy(float)[0])
    return np.stack(out)


def photo_box_scores(panel: PhotoPanel, annotations: pd.DataFrame) -> pd.DataFrame:
    """IoU of each method's box with the hand-drawn box of each photo of ``panel``
    (``annotations``: :func:`photo_boxes`); also whether the top-1 class is the annotated one."""
    gts = annotated_boxes(annotations, panel.names)
    table = pd.DataFrame({"photo": panel.names, "top1_class": panel.class_names})
    table.insert(1, "annotated_class", [
        annotations.loc[annotations["photo"] == n, "class_name"].iloc[0] for n in panel.names
    ])  # fmt: skip
    for m, b in panel.boxes.items():
        table[f"iou_{m}"] = iou_elementwise(b, gts)
    return table
