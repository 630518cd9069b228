"""Class-specific units (Fig 13): the last-conv units with the largest softmax weights
w_k^c of a class, each shown by the images that activate it most (by its GAP value F_k),
segmented by its own activation map (upsampled, thresholded at a share of its max).

Two numbers test the paper's claim that such units detect parts characteristic of the class:
``precision``, the share of a unit's top images that belong to the class (chance: the
class's share of the pool), and ``score_share``, the share of the class score
sum_k w_k^c F_k that the top units carry on the class's own images.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from PIL import Image

from cam_core.common import claims
from cam_core.common.claims import Claim, ItemResult
from cam_core.common.viz import image_grid
from cam_core.core.cam import postprocess_maps
from cam_core.datasets import places
from cam_core.datasets.photos import PHOTO_NAMES, load_photo
from cam_core.datasets.places import class_indices, class_key, sun397_pool
from cam_core.fingerprint import weights_fingerprint
from cam_core.items import family as items_family
from cam_core.items import recipe as items_recipe
from cam_core.items.discovery import cached_maps, feature_cache, network_maps, to_input
from cam_core.items.map_methods import check_input_sizes, judged_run, photo_inputs
from cam_core.items.textdetect import file_maps
from cam_core.nets import registry
from cam_core.nets.pretrained import imagenet_categories
from cam_core.synthetic.text import warped_images
from cam_core.validate import check_array, fail

__all__ = [
    "places_units",
    "top_units",
    "top_images",
    "unit_masks",
    "segment",
    "unit_precision",
    "score_share",
    "photo_crops",
    "UnitsResult",
    "class_units",
    "photo_units",
    "benchmark_units",
    "benchmark_pool",
    "pool_units",
    "units_figure",
    "unit_hits",
    "units_claim",
    "resolution_table",
    "run",
]


def places_units(
    params: dict, model: torch.nn.Module, categories: tuple[str, ...], network: str = ""
):
    """Figure 13 at ``full`` scale: the top ``units_per_class`` units of ``params["classes"]``
    in the Places network ``model`` and each unit's ``images_per_unit`` most activating
    images of the SUN397 pool (``eval_images``, 0: all), at ``image_size`` px."""

    pool = sun397_pool(params["data_root"], categories, params["eval_images"], params["seed"])
    classes = class_indices(categories, list(params["classes"]))
    size = params["image_size"]
    key = "|".join([network, weights_fingerprint(model), pool.images.fingerprint, str(size)])
    result = pool_units(
        model.to(params["device"]),
        pool.images,
        pool.labels,
        classes,
        [class_key(categories[c]) for c in classes],
        params["units_per_class"],
        params["images_per_unit"],
        params["threshold"],
        size=size,
        device=params["device"],
        cache=feature_cache(params) / f"places-pool-{size}px.npz",
        cache_key=key,
    )
    result.pool_titles = pool.titles
    return result


def _as_numpy(x: torch.Tensor | np.ndarray) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def top_units(weight: torch.Tensor | np.ndarray, classes: Sequence[int], k: int) -> np.ndarray:
    """Unit indices ``(len(classes), k)`` with the largest weights w_k^c of each class, largest
    first (ties: lower index first), from a classifier ``weight`` ``(C, K)``."""
    check_array("weight", weight, ndim=2, layout="(C, K)")
    w = _as_numpy(weight).astype(np.float64)
    cls = np.asarray(classes, dtype=np.int64).reshape(-1)
    if cls.size == 0 or cls.min() < 0 or cls.max() >= w.shape[0]:
        fail("classes", f"class indices in [0, {w.shape[0]})", repr(list(classes)))
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= w.shape[1]:
        fail("k", f"an int in [1, {w.shape[1]}]", repr(k))
    return np.argsort(-w[cls], axis=1, kind="stable")[:, :k]


def top_images(gap: torch.Tensor | np.ndarray, units: np.ndarray, n: int) -> np.ndarray:
    """Image indices ``(*units.shape, n)``: for each unit the ``n`` images with the largest
    GAP value ``gap[:, unit]`` (``gap`` ``(N, K)``), largest first."""
    check_array("gap", gap, ndim=2, layout="(N, K)")
    g = _as_numpy(gap).astype(np.float64)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(g):
        fail("n", f"an int in [1, {len(g)}]", repr(n))
    units = np.asarray(units, dtype=np.int64)
    order = np.argsort(-g[:, units.reshape(-1)], axis=0, kind="stable")[:n]  # (n, U)
    return order.T.reshape(*units.shape, n)


def unit_masks(
    maps: torch.Tensor, units: np.ndarray, size: int, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each image's map of one unit: ``maps`` ``(n, K, h, w)``, ``units`` ``(n,)`` -> the maps
    upsampled to ``size`` and max-normalised ``(n, size, size)`` and their masks (>=
    ``threshold`` of the max)."""
    check_array("maps", maps, ndim=4, layout="(n, K, h, w)")
    units = torch.as_tensor(np.asarray(units, dtype=np.int64)).reshape(-1)
    if len(units) != len(maps):
        fail("units", f"one unit per map ({len(maps)})", len(units))
    if not 0 < threshold < 1:
        fail("threshold", "a number in (0, 1)", repr(threshold))
    one = maps[torch.arange(len(maps)), units][:, None]
    heat = postprocess_maps(one.float(), (size, size), normalize="max", relu=True)[:, 0]
    heat = heat.double().numpy()
    return heat, heat >= threshold


def segment(images: np.ndarray, masks: np.ndarray, keep: float = 0.15) -> np.ndarray:
    """uint8 images ``(n, H, W, 3)`` with everything outside ``masks`` ``(n, H, W)`` darkened
    to ``keep`` of its brightness (the paper shows each unit's region cut out)."""
    check_array("images", images, ndim=4, layout="(n, H, W, 3)")
    if masks.shape != images.shape[:3]:
        fail("masks", f"masks of shape {images.shape[:3]}", masks.shape)
    out = np.where(masks[..., None], images, np.rint(images * keep)).astype(np.uint8)
    return out


def unit_precision(top: np.ndarray, labels: np.ndarray, classes: Sequence[int]) -> np.ndarray:
    """Share ``(C, k)`` of each unit's top images (``top`` ``(C, k, n)``) labelled with the
    unit's class (``labels`` ``(N,)``)."""
    cls = np.asarray(classes).reshape(-1, 1, 1)
    return (np.asarray(labels)[top] == cls).mean(axis=2)


def score_share(
    gap: torch.Tensor | np.ndarray,
    weight: torch.Tensor | np.ndarray,
    labels: np.ndarray,
    classes: Sequence[int],
    units: np.ndarray,
) -> np.ndarray:
    """Per class ``(C,)``: on the images labelled with it, the mean share of its score
    sum_k w_k^c F_k (bias left out) carried by its ``units`` ``(C, k)``."""
    g = _as_numpy(gap).astype(np.float64)
    w = _as_numpy(weight).astype(np.float64)
    out = []
    for c, u in zip(classes, units, strict=True):
        own = g[np.asarray(labels) == c]
        if len(own) == 0:
            out.append(np.nan)
            continue
        total = own @ w[c]
        part = own[:, u] @ w[c, u]
        out.append(float(np.mean(part / np.where(np.abs(total) > 0, total, np.nan))))
    return np.array(out)


def photo_crops(
    names: Sequence[str], per_photo: int, size: int = 224, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``per_photo`` random square crops of each bundled photo (side 45-100% of its short
    side), resized to ``size`` (bilinear): uint8 ``(N, size, size, 3)`` and photo indices."""
    if isinstance(per_photo, bool) or not isinstance(per_photo, int) or per_photo < 1:
        fail("per_photo", "an integer >= 1", repr(per_photo))
    rng = np.random.default_rng([seed, 13])
    crops, labels = [], []
    for p, name in enumerate(names):
        photo = load_photo(name)
        h, w = photo.shape[:2]
        for _ in range(per_photo):
            side = int(min(h, w) * rng.uniform(0.45, 1.0))
            y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
            img = Image.fromarray(np.ascontiguousarray(photo[y : y + side, x : x + side]))
            crops.append(np.asarray(img.resize((size, size), Image.Resampling.BILINEAR)))
            labels.append(p)
    return np.stack(crops), np.array(labels, dtype=np.int64)


@dataclasses.dataclass
class UnitsResult:
    """Fig 13 for one network: per class (``C``) its top units ``(C, k)`` and their weights,
    each unit's top images ``(C, k, n)``, their unit maps and segmented pictures
    ``(C, k, n, S, S[, 3])``, and the per-unit table (precision, chance, weight)."""

    class_names: list[str]
    units: np.ndarray
    weights: np.ndarray
    top: np.ndarray
    heat: np.ndarray
    segmented: np.ndarray
    table: pd.DataFrame
    score_share: np.ndarray
    pool_titles: list[str] | None = None  # a caption per pool image (e.g. its photo)
    class_counts: np.ndarray | None = None  # (C,) pool images labelled with each class
    error: float | None = None  # top-1 error (%) on the pool, where every image has a class
    map_side: int | None = None  # side (cells) of the last map the units were read from
    input_size: int | None = None  # px the network saw each pool image at

    @property
    def precision(self) -> float:
        """Mean share of the top units' top images that belong to the unit's class."""
        return float(self.table["precision"].mean())

    @property
    def chance(self) -> float:
        """The same share for units whose top images were drawn at random."""
        return float(self.table.groupby("class")["chance"].first().mean())


def class_units(
    model: torch.nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    classes: Sequence[int],
    class_names: Sequence[str],
    units_per_class: int,
    images_per_unit: int,
    threshold: float = 0.5,
    input_size: int | None = None,
    maps: torch.Tensor | None = None,
) -> UnitsResult:
    """Fig 13 for a CAMNet on a labelled pool of uint8 images ``(N, S, S, 3)``: ``classes``
    (the classifier's indices) whose images in the pool carry ``labels`` == that index.
    ``maps`` (the pool's last-conv maps, e.g. cached) skips the forward pass."""
    check_array("images", images, ndim=4, layout="(N, S, S, 3)")
    labels = np.asarray(labels)
    if labels.shape != (len(images),):
        fail("labels", f"shape ({len(images)},)", labels.shape)
    if len(class_names) != len(classes):
        fail("class_names", f"{len(classes)} names", len(class_names))
    size = images.shape[1]
    if maps is None:
        maps = network_maps(model, images, input_size or size)
    gap = maps.mean(dim=(2, 3))
    weight = model.classifier.weight.detach().float()
    units = top_units(weight, classes, units_per_class)
    top = top_images(gap, units, images_per_unit)
    flat = top.reshape(-1)
    return _assemble(
        weight, gap, labels, classes, class_names, units, top, maps[torch.as_tensor(flat)],
        images[flat], threshold,
    )  # fmt: skip


def _assemble(
    weight: torch.Tensor,
    gap: torch.Tensor | np.ndarray,
    labels: np.ndarray,
    classes: Sequence[int],
    class_names: Sequence[str],
    units: np.ndarray,
    top: np.ndarray,
    top_maps: torch.Tensor,
    top_pictures: np.ndarray,
    threshold: float,
) -> UnitsResult:
    """The UnitsResult of ranked ``units`` ``(C, k)`` and their ``top`` images ``(C, k, n)``,
    given the maps ``(C*k*n, K, h, w)`` and uint8 pictures ``(C*k*n, S, S, 3)`` of
    ``top.reshape(-1)`` in that order."""
    size = top_pictures.shape[1]
    images_per_unit = top.shape[2]
    unit_of = np.repeat(units.reshape(-1), images_per_unit)
    heat, masks = unit_masks(top_maps, unit_of, size, threshold)
    segmented = segment(top_pictures, masks)
    shape = (*top.shape, size, size)
    precision = unit_precision(top, labels, classes)
    rows = []
    for i, c in enumerate(classes):
        for j, u in enumerate(units[i]):
            rows.append(
                {
                    "class": class_names[i],
                    "rank": j + 1,
                    "unit": int(u),
                    "weight": float(weight[c, u]),
                    "precision": float(precision[i, j]),
                    "chance": float(np.mean(labels == c)),
                }
            )
    counts = np.array([int(np.sum(labels == c)) for c in classes], dtype=np.int64)
    return UnitsResult(
        list(class_names),
        units,
        weight[torch.as_tensor(np.asarray(classes))[:, None], torch.as_tensor(units)].numpy(),
        top,
        heat.reshape(shape),
        segmented.reshape(*shape, 3),
        pd.DataFrame(rows),
        score_share(gap, weight, labels, classes, units),
        class_counts=counts,
    )


def photo_units(
    model: torch.nn.Module,
    model_name: str,
    photos: Sequence[str],
    crops_per_photo: int,
    units_per_class: int,
    images_per_unit: int,
    threshold: float,
    size: int = 224,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    input_size: int | None = None,
) -> tuple[UnitsResult, pd.DataFrame]:
    """Fig 13 for an ImageNet CAMNet on the bundled photos: the classes are the top-1
    ImageNet classes of ``photos`` (centre crop, 224 px); the pool is ``crops_per_photo``
    ``size`` px crops of every bundled photo, a crop labelled with its photo's class (none
    for other photos), seen by the network at ``input_size`` px (None: ``size``; sets the
    map's resolution). Returns the result and a table photo -> class, probability."""

    x, _ = photo_inputs(list(photos))
    with torch.inference_mode():
        probs = model.eval()(x).softmax(dim=1)
    top1 = probs.argmax(dim=1).tolist()
    names = imagenet_categories()
    classes = list(dict.fromkeys(top1))  # a class shared by two photos counts once
    pool = list(PHOTO_NAMES)
    images, photo_of = photo_crops(pool, crops_per_photo, size, seed)
    labels = np.full(len(images), -1, dtype=np.int64)
    for p, c in zip(photos, top1, strict=True):
        labels[photo_of == pool.index(p)] = c
    view = size if input_size is None else int(input_size)
    maps = cached_maps(cache_dir, f"units-photos-{size}-{view}px", model_name, model, images, view)
    result = class_units(
        model, images, labels, classes, [names[c] for c in classes], units_per_class,
        images_per_unit, threshold, maps=maps,
    )  # fmt: skip
    result.pool_titles = [pool[p] for p in photo_of]
    result.map_side, result.input_size = int(maps.shape[-1]), view
    table = pd.DataFrame(
        {
            "photo": list(photos),
            "top-1 ImageNet class": [names[c] for c in top1],
            "probability": [round(float(probs[i, c]), 3) for i, c in enumerate(top1)],
        }
    )
    return result, table


def benchmark_units(
    model: torch.nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    classes: Sequence[str],
    units_per_class: int,
    images_per_unit: int,
    threshold: float,
) -> UnitsResult:
    """Fig 13 for a network trained on the benchmark: ``classes`` (names among
    ``class_names``) over a labelled pool of its held-out images ``(N, S, S, 3)``."""
    missing = [c for c in classes if c not in class_names]
    if missing or not classes:
        fail("classes", f"names among {', '.join(class_names)}", repr(list(classes)))
    idx = [list(class_names).index(c) for c in classes]
    maps = network_maps(model, images, images.shape[1])
    result = class_units(
        model, images, labels, idx, list(classes), units_per_class, images_per_unit, threshold,
        maps=maps,
    )  # fmt: skip
    result.pool_titles = [class_names[int(y)] for y in labels]
    result.map_side, result.input_size = int(maps.shape[-1]), int(images.shape[1])
    with torch.inference_mode():
        pooled = model.pool(maps) if hasattr(model, "pool") else maps.mean(dim=(2, 3))
        predicted = model.classifier(pooled).argmax(dim=1).numpy()
    result.error = 100.0 * float(np.mean(predicted != np.asarray(labels)))
    return result


def benchmark_pool(
    params: dict, progress: Callable[[str], None] | None = None
) -> tuple[torch.nn.Module, np.ndarray, np.ndarray, list[str]] | None:
    """The benchmark part's network (``params["network"]``, trained or loaded by Table 1's
    recipe, :mod:`cam_core.items.tables123`) and its labelled pool of ``eval_images`` held-out
    images, class names; None at ``full`` scale (its ImageNet/Places pool is not built)."""
    if params["profile"] == "full":
        return None

    recipe = items_recipe.recipe_for(params)
    splits = items_recipe.load_splits(recipe, params["eval_images"])
    family = items_family.train_family([params["network"]], recipe, splits, progress)
    test = splits.test.data
    return family[params["network"]][0].model, test.images, test.labels, splits.class_names


def pool_units(
    model: torch.nn.Module,
    images: Sequence[np.ndarray],
    labels: np.ndarray,
    classes: Sequence[int],
    class_names: Sequence[str],
    units_per_class: int,
    images_per_unit: int,
    threshold: float = 0.5,
    size: int = 224,
    device: str = "cpu",
    cache: str | Path | None = None,
    cache_key: str = "",
) -> UnitsResult:
    """:func:`class_units` for a pool too large to hold in memory: ``images`` are read on
    access (e.g. :class:`~cam_core.datasets.base.FileImages`, each warped to ``size``); only the
    pool's GAP ``(N, K)`` is kept (cached in ``cache`` under ``cache_key``), then the maps of
    the top images alone are computed again. ``labels`` ``(N,)``: classifier indices, -1 for
    images of no studied class."""

    labels = np.asarray(labels)
    if labels.shape != (len(images),):
        fail("labels", f"shape ({len(images)},)", labels.shape)
    if len(class_names) != len(classes):
        fail("class_names", f"{len(classes)} names", len(class_names))
    gap = torch.from_numpy(file_maps(model, images, size, cache, cache_key, True, device))
    weight = model.classifier.weight.detach().float().cpu()
    units = top_units(weight, classes, units_per_class)
    top = top_images(gap, units, images_per_unit)
    flat = top.reshape(-1)
    pictures = warped_images([images[int(i)] for i in flat], size)
    with torch.inference_mode():
        maps = model.eval().forward_features(to_input(pictures, size).to(device))[1]
    return _assemble(
        weight, gap, labels, classes, class_names, units, top, maps.float().cpu(), pictures,
        threshold,
    )  # fmt: skip


def units_figure(result: UnitsResult, title: str | None = None):
    """One row per (class, unit): the unit's top images segmented by its map, captioned with
    ``pool_titles`` (e.g. each image's photo or class) when set."""

    c, k, n = result.top.shape
    rows, titles, captions = [], [], []
    pool = result.pool_titles
    for i in range(c):
        for j in range(k):
            rows.append(list(result.segmented[i, j]))
            titles.append(f"{result.class_names[i]}\nunit {result.units[i, j]}")
            captions.append([pool[t] if pool else "" for t in result.top[i, j]])
    return image_grid(rows, row_titles=titles, captions=captions, title=title)


# --- claims and the item's result ------------------------------------------------------------

CRITERION = (
    "share of the top units' top images that belong to the unit's class above 50% and above "
    "twice chance (chance: the class's share of the pool; exact binomial interval over the "
    "top images)"
)


def unit_hits(result: UnitsResult) -> tuple[int, int]:
    """``(hits, total)``: how many of the top units' top images (``C * k * n`` in all) belong
    to the unit's class."""
    n = result.top.shape[2]
    hits = int(np.rint(result.table["precision"].to_numpy(np.float64) * n).sum())
    return hits, int(result.top.size)


def units_claim(
    claim_id: str,
    text: str,
    hits: int,
    total: int,
    chance: float,
    preconditions: Sequence[tuple[bool, str]] = (),
    data: str = "",
) -> Claim:
    """The claim that a class's top units detect it: the precision ``hits / total`` (%)
    with its exact binomial interval, judged above max(50%, 2 x ``chance`` (0..1))."""
    low, high = claims.binomial_interval(hits, total, percent=True)
    boundary = max(50.0, 200.0 * float(chance))
    rule = functools.partial(claims.compare, boundary=boundary, direction="above")
    return claims.judge(
        claim_id, text, 100.0 * hits / total, low, high, rule,
        f"{CRITERION}: above {boundary:.1f}%", preconditions=preconditions, data=data,
    )  # fmt: skip


def _part_claim(
    claim_id: str, text: str, r: UnitsResult, extra: Sequence[tuple[bool, str]] = ()
) -> Claim:
    """:func:`units_claim` of one part: every class needs at least ``images_per_unit``
    images of its own in the pool (else its precision cannot reach 100%)."""
    hits, total = unit_hits(r)
    n = r.top.shape[2]
    fewest = int(r.class_counts.min()) if r.class_counts is not None else n
    pre = [(claims.min_count(fewest, n), f"a class has {fewest} pool images, fewer than the "
            f"{n} top images per unit"), *extra]  # fmt: skip
    data = f"{len(r.class_names)} classes x {r.units.shape[1]} units x {n} top images"
    return units_claim(claim_id, text, hits, total, r.chance, pre, data)


def resolution_table(results: Sequence[UnitsResult]) -> pd.DataFrame:
    """One row per run of the photo part (``map``, ``input_px``): the precision of the top
    units' top images with its hits, the chance and the top units' score share (%)."""
    rows = []
    for r in results:
        hits, total = unit_hits(r)
        rows.append({
            "map": f"{r.map_side} x {r.map_side}", "input_px": r.input_size,
            "top_images": total, "in_class": hits, "precision": 100.0 * hits / total,
            "chance": 100 * r.chance, "score_share": 100 * float(np.nanmean(r.score_share)),
        })  # fmt: skip
    return pd.DataFrame(rows)


def _resolution_caption(table: pd.DataFrame, judged: int) -> str:
    main = table.iloc[judged]
    text = (
        f"The photo part's claim is judged on the {main['map']} map ({main['input_px']} px "
        f"input): precision {main['precision']:.1f}% (chance {main['chance']:.1f}%)."
    )
    for i, row in table.iterrows():
        if i != judged:
            text += (
                f" The same pool at a {row['map']} map ({row['input_px']} px): "
                f"{row['precision']:.1f}%, score share {row['score_share']:.1f}% "
                f"(against {main['score_share']:.1f}%)."
            )
    return text  # fmt: skip


def _summary(name: str, r: UnitsResult) -> str:
    return (
        f"{name}: {100 * r.precision:.1f}% of the top units' top images belong to the unit's "
        f"class (chance {100 * r.chance:.1f}%); the top {r.units.shape[1]} units carry "
        f"{100 * float(np.nanmean(r.score_share)):.1f}% of the class score on its own images."
    )


def run(params: dict[str, Any], progress: Callable[[str], None] | None = None) -> ItemResult:
    """Figure 13 for validated ``params``: the photo part (EfficientNet-Lite0 on the bundled
    photos), then the benchmark network (smoke, cpu) or the Places network on SUN397 (full)."""
    full = params["profile"] == "full"
    photo_name, network = params["photo_model"], params["network"]
    photo_net = registry.build_model(photo_name, 1000)
    runs = [photo_units(
        photo_net, photo_name, params["photos"], params["crops_per_photo"],
        params["units_per_class"], params["images_per_unit"], params["threshold"],
        size=params["image_size"], seed=params["seed"], cache_dir=feature_cache(params),
        input_size=view,
    ) for view in check_input_sizes("photo_input_sizes", params["photo_input_sizes"])]  # fmt: skip
    judged = judged_run([r.map_side for r, _ in runs])
    photo, photo_classes = runs[judged]
    side = f"{photo.map_side} x {photo.map_side}"
    resolution = resolution_table([r for r, _ in runs])
    text = (f"The top-weighted units of a class fire on images of that class ({photo_name}, "
            f"{side} map)")  # fmt: skip
    found = [_part_claim("photo_units", text, photo)]
    not_run = Claim(
        "places_units",
        "The top-weighted units of a scene class detect it (the paper's Places experiment)",
        None, None, None, "%", None, CRITERION, "not tested",
        reason="the Places experiment runs at the full profile only (a Places checkpoint "
        "and SUN397)",
    )  # fmt: skip
    if full:
        path = places.weights_file(params["data_root"], network, params["weights"])
        places_net, categories = places.load_places_model(network, path)
        second = places_units(params, places_net, categories, network)
        title = f"{network} ({path.name}): top units"
        text = f"The top-weighted units of a scene class detect it ({network} on Places, SUN397)"
        found.append(_part_claim("places_units", text, second))
        pool_caption = "its SUN397 category"
    else:
        bench_net, images, labels, names = benchmark_pool(params, progress)
        second = benchmark_units(
            bench_net, images, labels, names, params["classes"], params["units_per_class"],
            params["images_per_unit"], params["threshold"],
        )  # fmt: skip
        title = f"{network}: top units"
        trained = (not claims.near_chance(second.error, len(names)),
                   f"{network} within 10 points of chance on the pool "
                   f"({second.error:.1f}% top-1 error)")  # fmt: skip
        text = f"The top-weighted units of a class fire on images of that class ({network})"
        found += [_part_claim("benchmark_units", text, second, [trained]), not_run]
        pool_caption = "its benchmark class"
    second_map = f"{second.map_side} x {second.map_side}" if second.map_side else ""
    units_table = pd.concat(
        [r.table.assign(network=photo_name, map=f"{r.map_side} x {r.map_side}") for r, _ in runs]
        + [second.table.assign(network=network, map=second_map)]
    )
    row_caption = (
        "Each row: one of the top units of a class (named at the left, best first), then the "
        "pool images that activate it most, left to right, darkened outside the unit's region "
        f"(>= {params['threshold']:g} of its max); under each image, "
    )
    return ItemResult(
        "figure13", params["profile"],
        f"Precision (%) of the top units' top images, {photo_name} ({side} map) on the "
        "bundled photos",
        found,
        tables={"figure13_units": units_table, "figure13_photo_classes": photo_classes,
                "figure13_resolution": resolution},
        figures={"figure13_photos": units_figure(photo, title=f"{photo_name}: top units, "
                                                 f"{side} map"),
                 "figure13_benchmark": units_figure(second, title=title)},
        notes=[_summary(f"{photo_name} ({side} map)", photo), _summary(network, second)]
        + ([_resolution_caption(resolution, judged)] if len(runs) > 1 else []),
        headline_value=100 * photo.precision,
        coverage="complete" if full else "partial",
        captions={
            "figure13_photos": row_caption + "the photo it was cut from.",
            "figure13_benchmark": row_caption + pool_caption + ".",
            "figure13_units": "Per unit: its weight w_k^c, the share of its top "
            f"{params['images_per_unit']} images that belong to its class (precision) and "
            "that share for a random draw (chance).",
            "figure13_photo_classes": f"The classes studied: {photo_name}'s top-1 ImageNet "
            "class for each photo.",
            "figure13_resolution": "Photo part per map resolution, in %. "
            + _resolution_caption(resolution, judged),
        },
    )  # fmt: skip
