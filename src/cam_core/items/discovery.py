"""Pattern discovery with CAMs of linear classifiers on GAP features (Fig 9), and what
Figs 9-13 share: composite scenes of annotated objects (:func:`make_composites`, built
with the cluttered-silhouettes rendering helpers, exact per-object masks and boxes), GAP
features and last-conv maps of a network for such images, cached on disk
(:func:`network_maps`), and the weight matrix of a fitted linear SVM (:func:`svm_weight`),
which :func:`cam_core.core.cam.class_activation_maps` turns into CAMs.

The SVM pipeline L2-normalises the GAP vector F before its linear layer, so its score is
w . F / |F| + b: the CAM sum_k w_k f_k(x, y) of that w is the score map up to the positive
per-image factor 1 / |F|, which max-normalisation removes.

Fig 9 (:func:`scene_experiment`, :func:`informative_objects`): per scene category, how
often each object occurs and how often it overlaps the high-activation region of the
category's CAM; its claims (:func:`scene_claims`), judged on 95% intervals over the list
slots; :func:`cam_core.items.sun_scenes.run` runs the figure. Figs 10-13 live in
:mod:`cam_core.items.concepts`, :mod:`cam_core.items.textdetect`, :mod:`cam_core.items.vqa`
and :mod:`cam_core.items.units`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.pipeline import Pipeline
from torch import nn
from torch.utils.data import DataLoader

from cam_core.common import claims
from cam_core.common.claims import Claim
from cam_core.common.viz import image_grid, overlay
from cam_core.core.cam import class_activation_maps
from cam_core.datasets.base import ResizedImages
from cam_core.fingerprint import dataset_fingerprint, weights_fingerprint
from cam_core.items import family
from cam_core.items import recipe as items_recipe
from cam_core.nets.features import cached_features, fit_linear_svm
from cam_core.nets.models import IMAGENET_MEAN, IMAGENET_STD
from cam_core.nets.registry import build_model
from cam_core.synthetic import silhouettes as sil
from cam_core.synthetic.composites import OBJECT_NAMES, Composite, make_composites
from cam_core.validate import check_array, check_count, fail

__all__ = [
    "PHOTO_NETWORK",
    "load_network",
    "input_size",
    "feature_cache",
    "to_input",
    "network_maps",
    "cached_maps",
    "svm_weight",
    "linear_cams",
    "object_scores",
    "peak_hits",
    "SCENES",
    "sample_scene_objects",
    "informative_objects",
    "ranked_lists",
    "list_precision",
    "SceneResult",
    "scene_experiment",
    "scene_examples",
    "scenes_figure",
    "scene_figure",
    "ranked_entries",
    "MIN_SCORED",
    "scene_claims",
    "scene_caption",
    "file_maps",
    "file_gap_features",
]
_SCENE_STREAM = 91  # tag of the scene-sampling RNG stream
MIN_SCORED = 20  # scored held-out images below which a claim of Figs 9-11 is not tested


PHOTO_NETWORK = "efficientnet-lite0"  # ImageNet-pretrained; any other name: a benchmark net


def load_network(
    params: dict, name: str, progress: Callable[[str], None] | None = None
) -> nn.Module:
    """The network ``name``: EfficientNet-Lite0 with its ImageNet weights, or a small network
    trained on the cluttered-silhouettes benchmark by Table 1's recipe of ``params``'s profile
    (:func:`cam_core.items.family.train_family`; cached, so nothing retrains after Table 1)."""
    if name == PHOTO_NETWORK:
        return build_model(name, 1000).eval()

    recipe = items_recipe.recipe_for(params)
    return family.train_family([name], recipe, progress=progress)[name][0].model.eval()


def input_size(name: str, canvas: int) -> int:
    """What the network sees: EfficientNet-Lite0 a 224 px view of the canvas, the benchmark
    nets (trained on objects of this pixel size) the canvas itself."""
    return 224 if name == PHOTO_NETWORK else canvas


def feature_cache(params: dict) -> Path:
    """Where a notebook caches network maps: ``<out_dir>/cache/features``."""
    return Path(params["out_dir"]) / "cache" / "features"


# --- network features and linear-classifier CAMs -----------------------------------------


def to_input(images: np.ndarray, input_size: int) -> torch.Tensor:
    """uint8 ``(N, S, S, 3)`` -> float32 ``(N, 3, input_size, input_size)``: ImageNet mean/std,
    bilinear resize (the network sees an upsampled view; geometry stays in canvas pixels)."""
    check_array("images", images, ndim=4, layout="(N, S, S, 3)")
    input_size = check_count("input_size", input_size, 16)
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255.0
    x = (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(
        1, 3, 1, 1
    )
    if x.shape[-1] != input_size or x.shape[-2] != input_size:
        x = F.interpolate(x, size=(input_size, input_size), mode="bilinear", align_corners=False)
    return x


def network_maps(
    model: nn.Module, images: np.ndarray, input_size: int, batch_size: int = 32
) -> torch.Tensor:
    """Last-conv maps float32 ``(N, K, h, w)`` of a CAMNet for uint8 images ``(N, S, S, 3)``
    (one ``forward_features`` pass per batch, eval and inference mode). GAP = mean over h, w."""
    if not hasattr(model, "forward_features"):
        fail("model", "a CAMNet (forward_features)", type(model).__name__)
    out = []
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            x = to_input(images[start : start + batch_size], input_size)
            out.append(model.forward_features(x)[1].float())
    return torch.cat(out)


def cached_maps(
    cache_dir: str | Path | None,
    name: str,
    model_name: str,
    model: nn.Module,
    images: np.ndarray,
    input_size: int,
) -> torch.Tensor:
    """:func:`network_maps`, stored as float16 in ``cache_dir/name.npz`` keyed by the model
    (name and weights), the input size and the images' bytes (None: no cache)."""
    shape: list[int] = []

    def compute() -> np.ndarray:
        maps = network_maps(model, images, input_size)
        shape[:] = maps.shape[1:]
        return maps.flatten(1).half().numpy()

    if cache_dir is None:
        flat = compute()
    else:
        key = "|".join(
            [model_name, weights_fingerprint(model), str(input_size), dataset_fingerprint(images)]
        )
        flat = cached_features(Path(cache_dir) / f"{name}.npz", key, compute)
    k = model.classifier.in_features if hasattr(model, "classifier") else shape[0]
    hw = flat.shape[1] // k
    side = int(round(hw**0.5))
    return torch.from_numpy(flat.astype(np.float32)).reshape(len(flat), k, side, hw // side)


def svm_weight(svm: Pipeline) -> tuple[torch.Tensor, np.ndarray]:
    """Weight matrix ``(C, K)`` of a fitted (pipeline ending in a) LinearSVC, one row per entry
    of its ``classes_``, and those classes; a binary SVM gives rows ``[-w, w]``."""
    svc = svm[-1] if isinstance(svm, Pipeline) else svm
    if not hasattr(svc, "coef_"):
        fail("svm", "a fitted linear classifier (coef_)", type(svc).__name__)
    coef = np.asarray(svc.coef_, dtype=np.float32)
    if coef.shape[0] == 1:
        coef = np.concatenate([-coef, coef])
    return torch.from_numpy(coef), np.asarray(svc.classes_)


def linear_cams(
    maps: torch.Tensor, weight: torch.Tensor, classes: torch.Tensor, size: int | tuple[int, int]
) -> np.ndarray:
    """CAMs ``(N, H, W)`` float64 of one class row per image (``classes`` ``(N,)``) of a
    linear classifier on GAP features: ReLU, bilinear upsampling to ``size`` (an int: square),
    max-normalised."""
    cams = class_activation_maps(maps, weight, classes, size, normalize="max", relu=True)
    return cams[:, 0].double().numpy()


def object_scores(cams: np.ndarray, comp: Composite, threshold: float) -> np.ndarray:
    """Per slot ``(N, M)``: the share of the object's pixels where the CAM is >= ``threshold``
    (NaN for empty slots)."""
    check_array("cams", cams, ndim=3, layout="(N, S, S)")
    if cams.shape != comp.slots.shape:
        fail("cams", f"maps of shape {comp.slots.shape}", cams.shape)
    high = cams >= threshold
    m = comp.objects.shape[1]
    area = np.stack([(comp.slots == j).sum(axis=(1, 2)) for j in range(m)], axis=1)
    inside = np.stack([((comp.slots == j) & high).sum(axis=(1, 2)) for j in range(m)], axis=1)
    return np.where(area > 0, inside / np.maximum(area, 1), np.nan)


def peak_hits(cams: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """bool ``(N,)``: whether each map's maximum ``(N, S, S)`` lies on the target mask."""
    check_array("cams", cams, ndim=3, layout="(N, S, S)")
    flat = cams.reshape(len(cams), -1).argmax(axis=1)
    return targets.reshape(len(targets), -1)[np.arange(len(cams)), flat]


# --- Fig 9: informative objects for scene categories --------------------------------------

# Each scene: objects that distinguish it (often here, rare elsewhere). Every scene also
# holds the SHARED objects, more often than its own: the most frequent objects of a scene
# are then not the ones that tell it apart.
SCENES: dict[str, tuple[str, ...]] = {
    "savanna": ("zebra", "giraffe", "elephant"),
    "farm": ("cow", "sheep", "horse"),
    "home": ("cat", "dog", "digit 3"),
    "forest": ("bear", "digit 7", "digit 4"),
}
SHARED: dict[str, float] = {"bird": 0.7, "digit 1": 0.7}
DISTINCT_RATE = 0.5
OTHER_RATE = 0.04


def sample_scene_objects(
    scenes: Sequence[str], per_scene: int, seed: int, split: str, max_objects: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Objects ``(N, max_objects)`` (-1 padded) and scene labels ``(N,)`` for ``per_scene``
    images of each scene: shared objects at SHARED rates, the scene's own at DISTINCT_RATE,
    any other at OTHER_RATE, at most ``max_objects`` (extras dropped at random)."""
    if not scenes or any(s not in SCENES for s in scenes):
        fail("scenes", f"names among {', '.join(SCENES)}", repr(scenes))
    rng = np.random.default_rng([seed, sil.SPLITS.index(split), _SCENE_STREAM])
    rows, labels = [], []
    for label, scene in enumerate(scenes):
        rate = np.full(len(OBJECT_NAMES), OTHER_RATE)
        for name, r in SHARED.items():
            rate[OBJECT_NAMES.index(name)] = r
        for name in SCENES[scene]:
            rate[OBJECT_NAMES.index(name)] = DISTINCT_RATE
        present = rng.random((per_scene, len(OBJECT_NAMES))) < rate
        order = rng.random((per_scene, len(OBJECT_NAMES)))
        for i in range(per_scene):
            ids = np.flatnonzero(present[i])
            ids = ids[np.argsort(order[i, ids])][:max_objects]
            rows.append(np.pad(ids, (0, max_objects - len(ids)), constant_values=-1))
            labels.append(label)
    return np.array(rows, dtype=np.int64), np.array(labels, dtype=np.int64)


def informative_objects(
    comp: Composite,
    scene: np.ndarray,
    cams: np.ndarray,
    scenes: Sequence[str],
    threshold: float,
    min_share: float = 0.1,
) -> pd.DataFrame:
    """One row per (scene, object): ``frequency`` (share of the scene's images holding it),
    ``overlap`` (share whose CAM high region, >= ``threshold`` of the max, covers at least
    ``min_share`` of one instance of it) and ``distinct`` (whether it distinguishes the scene
    by construction). ``cams`` ``(N, S, S)``: each image's CAM for its own scene."""
    over = object_scores(cams, comp, threshold) >= min_share  # (N, M), False for empty slots
    rows = []
    for label, name in enumerate(scenes):
        sel = scene == label
        for obj, obj_name in enumerate(OBJECT_NAMES):
            is_obj = comp.objects[sel] == obj
            rows.append(
                {
                    "scene": name,
                    "object": obj_name,
                    "frequency": float(is_obj.any(axis=1).mean()),
                    "overlap": float((is_obj & over[sel]).any(axis=1).mean()),
                    "distinct": obj_name in SCENES[name],
                }
            )
    return pd.DataFrame(rows)


def ranked_lists(table: pd.DataFrame, scene: str, top: int) -> pd.DataFrame:
    """The ``top`` most frequent objects of ``scene`` beside the ``top`` that most often
    overlap its CAMs' high regions (the two lists of the paper's Fig 9), with their rates."""
    t = table[table["scene"] == scene]
    freq = t.sort_values(["frequency", "object"], ascending=[False, True]).head(top)
    over = t.sort_values(["overlap", "object"], ascending=[False, True]).head(top)

    def entries(t: pd.DataFrame, column: str) -> list[str]:
        return [f"{o} ({v:.2f})" for o, v in zip(t["object"], t[column], strict=True)]

    return pd.DataFrame(
        {
            "most frequent": entries(freq, "frequency"),
            "most overlapping the CAM": entries(over, "overlap"),
        },
        index=pd.RangeIndex(1, len(freq) + 1, name="rank"),
    )


def list_precision(table: pd.DataFrame, by: str, top: int | None = None) -> pd.DataFrame:
    """Per scene, the share of its distinguishing objects among its top-n objects ranked by
    ``by`` ("frequency" or "overlap"), n = ``top`` or (None) the number of distinguishing
    objects."""
    rows = []
    for scene, t in table.groupby("scene", sort=False):
        n = int(t["distinct"].sum()) if top is None else int(top)
        head = t.sort_values([by, "object"], ascending=[False, True]).head(n)
        rows.append({"scene": scene, "ranking": by, "precision": float(head["distinct"].mean())})
    return pd.DataFrame(rows)


@dataclasses.dataclass
class SceneResult:
    """Fig 9 on held-out composites: their scene labels ``(N,)``, each image's CAM for its own
    scene ``(N, S, S)``, the one-vs-all SVMs' accuracy, the per-(scene, object) table of
    :func:`informative_objects` and the precision of both rankings per scene."""

    scenes: list[str]
    test: Composite
    labels: np.ndarray
    cams: np.ndarray
    accuracy: float
    table: pd.DataFrame
    precision: pd.DataFrame

    def mean_precision(self, ranking: str) -> float:
        """Mean over scenes of the share of distinguishing objects in the top list."""
        return float(self.precision.loc[self.precision["ranking"] == ranking, "precision"].mean())


def scene_experiment(
    model: nn.Module,
    model_name: str,
    scenes: Sequence[str],
    per_scene: int,
    test_per_scene: int,
    size: int,
    threshold: float,
    seed: int = 0,
    cache_dir: str | Path | None = None,
) -> SceneResult:
    """One-vs-all linear SVMs on GAP features of ``per_scene`` training composites per scene
    (2 x 2 grid, ``size`` px), then on ``test_per_scene`` held-out ones per scene: scene
    accuracy, each image's CAM for its own scene, and the informative-object lists."""
    grid = 2
    tr_obj, tr_y = sample_scene_objects(scenes, per_scene, seed, "train", grid * grid)
    te_obj, te_y = sample_scene_objects(scenes, test_per_scene, seed, "test", grid * grid)
    train = make_composites(tr_obj, size, seed, "train", grid=grid)
    test = make_composites(te_obj, size, seed, "test", grid=grid)
    view = input_size(model_name, size)
    tr_maps = cached_maps(cache_dir, "scenes-train", model_name, model, train.images, view)
    te_maps = cached_maps(cache_dir, "scenes-test", model_name, model, test.images, view)
    svm = fit_linear_svm(tr_maps.mean(dim=(2, 3)).numpy(), tr_y, seed=seed)
    weight, _ = svm_weight(svm)  # rows follow classes_ = 0 .. len(scenes) - 1
    accuracy = float((svm.predict(te_maps.mean(dim=(2, 3)).numpy()) == te_y).mean())
    cams = linear_cams(te_maps, weight, torch.from_numpy(te_y), size)
    table = informative_objects(test, te_y, cams, scenes, threshold)
    precision = pd.concat([list_precision(table, "overlap"), list_precision(table, "frequency")])
    return SceneResult(list(scenes), test, te_y, cams, accuracy, table, precision)


def scene_examples(result: SceneResult, scene: str, n: int) -> tuple[list, list]:
    """The first ``n`` held-out images of ``scene`` (uint8 ``(S, S, 3)``) and their CAMs for
    it (``(S, S)``)."""
    rows = np.flatnonzero(result.labels == result.scenes.index(scene))[:n]
    return [result.test.images[i] for i in rows], [result.cams[i] for i in rows]


def scenes_figure(examples: dict[str, tuple[Sequence[np.ndarray], Sequence[np.ndarray]]]):
    """The paper's layout for each scene of ``examples`` (scene -> images ``(H_i, W_i, 3)``,
    CAMs ``(H_i, W_i)``): a row of its held-out images, a row of their CAMs for the scene."""
    if not examples or not all(images for images, _ in examples.values()):
        fail("examples", "held-out images for every scene shown", repr(list(examples)))
    width = max(len(images) for images, _ in examples.values())
    cells, titles = [], []
    for scene, (images, cams) in examples.items():
        pad = [None] * (width - len(images))
        cells.append(list(images) + pad)
        cells.append([overlay(im, cam) for im, cam in zip(images, cams, strict=True)] + pad)
        titles += [f"{scene}\nimage", "CAM"]
    return image_grid(cells, row_titles=titles, cell_inches=1.6)


def scene_figure(result: SceneResult, scene: str, n: int, title: str | None = None):
    """The paper's layout for one scene: ``n`` held-out images of it (top) and their CAMs for
    the scene (bottom)."""
    images, cams = scene_examples(result, scene, n)
    maps = [overlay(im, cam) for im, cam in zip(images, cams, strict=True)]
    return image_grid(
        [images, maps], row_titles=["image", "CAM"], title=title or scene, cell_inches=1.6
    )


def ranked_entries(table: pd.DataFrame, by: str, top: int | None = None) -> pd.DataFrame:
    """One row per slot of each scene's top-n list ranked by ``by`` (as
    :func:`list_precision`): ``scene``, ``rank`` (1..n), ``object``, ``distinct``."""
    rows = []
    for scene, t in table.groupby("scene", sort=False):
        n = int(t["distinct"].sum()) if top is None else int(top)
        head = t.sort_values([by, "object"], ascending=[False, True]).head(n)
        pairs = zip(head["object"], head["distinct"], strict=True)
        for rank, (obj, distinct) in enumerate(pairs, 1):
            rows.append({"scene": scene, "rank": rank, "object": obj, "distinct": bool(distinct)})
    return pd.DataFrame(rows, columns=["scene", "rank", "object", "distinct"])


def scene_claims(
    table: pd.DataFrame,
    accuracy: float,
    n_scored: int,
    top: int | None = None,
    share_boundary: float | None = 2 / 3,
    data: str = "",
    min_scored: int = MIN_SCORED,
) -> list[Claim]:
    """Fig 9's claims on an :func:`informative_objects` table: the CAM-overlap lists hold more
    distinguishing objects than the frequency lists (paired bootstrap over the (scene, rank)
    slots, in points) and, when ``share_boundary`` is given, more than that share of them
    (Clopper-Pearson over the CAM lists' slots, %). Not tested when the scene SVMs'
    ``accuracy`` (0..1) is within 10 points of chance or fewer than ``min_scored`` images
    (``n_scored``) are scored."""
    n_scenes = int(table["scene"].nunique())
    cam = ranked_entries(table, "overlap", top)
    freq = ranked_entries(table, "frequency", top)
    if len(cam) == 0 or len(cam) != len(freq):
        fail("table", "scenes with objects to rank", f"{len(cam)} list slots")
    pre = [
        (
            not claims.near_chance(100 * (1 - accuracy), max(n_scenes, 2)),
            f"the scene SVMs are near chance ({100 * accuracy:.1f}% held-out accuracy, "
            f"chance {100 / max(n_scenes, 2):.1f}%)",
        ),
        (
            claims.min_count(n_scored, min_scored),
            f"{n_scored} held-out images scored, fewer than {min_scored}",
        ),
    ]
    hits = cam["distinct"].to_numpy(float)
    diff, low, high = claims.paired_bootstrap(100 * hits, 100 * freq["distinct"].to_numpy(float))
    slots = f"{len(cam)} list slots ({n_scenes} scenes x their top-n)"
    out = [
        claims.judge(
            "cam_lists_beat_frequency",
            "Each scene's top objects by CAM overlap hold more of its distinguishing objects "
            "than its most frequent objects",
            diff,
            low,
            high,
            functools.partial(claims.compare, boundary=0.0, direction="above"),
            "share of distinguishing objects, CAM-overlap lists minus frequency lists, above 0; "
            f"95% paired bootstrap over the {slots}",
            unit="points",
            preconditions=pre,
            data=data,
        )
    ]
    if share_boundary is not None:
        k, n = int(hits.sum()), len(hits)
        low, high = claims.binomial_interval(k, n, percent=True)
        out.append(
            claims.judge(
                "cam_lists_distinguishing",
                "Most of each scene's top objects by CAM overlap are objects that distinguish it",
                100 * k / n,
                low,
                high,
                functools.partial(claims.compare, boundary=100 * share_boundary, direction="above"),
                f"share of distinguishing objects in the CAM-overlap lists above "
                f"{100 * share_boundary:.1f}%; 95% Clopper-Pearson over the {slots}",
                preconditions=pre,
                data=data,
            )
        )
    return out


def scene_caption(
    accuracy: float, n_scenes: int, cam: float, freq: float, network: str, list_rule: str
) -> str:
    """The precision table's caption from the run's numbers (Markdown); ``accuracy``, ``cam``
    and ``freq`` are shares in 0..1."""
    return (
        f"One-vs-all SVMs on {network} GAP features classify the held-out images of "
        f"{n_scenes} scenes with {100 * accuracy:.1f}% accuracy (chance "
        f"{100 / n_scenes:.1f}%). Of each scene's top objects by CAM overlap, "
        f"{100 * cam:.1f}% distinguish the scene on average, against {100 * freq:.1f}% of its "
        f"most frequent objects ({list_rule})."
    )


# --- images read from files (the full profile's datasets) --------------------------------


def file_maps(
    model: nn.Module,
    images: Sequence[np.ndarray],
    input_size: int,
    rows: Sequence[int] | np.ndarray | None = None,
    batch_size: int = 32,
    device: str = "cpu",
):
    """Yield ``(rows (B,), last-conv maps float32 (B, K, h, w) on the CPU)`` batch by batch
    for the images ``images[rows]`` (uint8 ``(H_i, W_i, 3)``, e.g. a
    :class:`~cam_core.datasets.base.FileImages`), each warped to ``input_size`` square (bilinear,
    antialiased when shrinking) and ImageNet-normalised; nothing is held beyond a batch."""

    if not hasattr(model, "forward_features"):
        fail("model", "a CAMNet (forward_features)", type(model).__name__)
    dataset = ResizedImages(images, check_count("input_size", input_size, 8), indices=rows)
    model.eval().to(device)
    with torch.inference_mode():
        for x, idx in DataLoader(dataset, batch_size=batch_size, shuffle=False):
            yield idx.numpy(), model.forward_features(x.to(device))[1].float().cpu()


def file_gap_features(
    cache_dir: str | Path | None,
    name: str,
    model_name: str,
    model: nn.Module,
    images: Sequence[np.ndarray],
    input_size: int,
    device: str = "cpu",
) -> np.ndarray:
    """GAP features float32 ``(N, K)`` of file images (:func:`file_maps`), cached in
    ``cache_dir/name.npz`` keyed by the model (name, weights), input size and the images'
    ``fingerprint`` (None: no cache)."""

    def compute() -> np.ndarray:
        parts = [m.mean(dim=(2, 3)).numpy() for _, m in file_maps(model, images, input_size,
                                                                  device=device)]  # fmt: skip
        return np.concatenate(parts).astype(np.float32)

    if cache_dir is None:
        return compute()
    fingerprint = getattr(images, "fingerprint", None)
    if not fingerprint:
        fail("images", "a sequence of images with a fingerprint (FileImages)", type(images))
    key = "|".join([model_name, weights_fingerprint(model), str(input_size), str(fingerprint)])
    return cached_features(Path(cache_dir) / f"{name}-gap.npz", key, compute)
