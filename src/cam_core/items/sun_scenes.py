"""Figure 9: :func:`run` at every profile (composite scenes of
:mod:`cam_core.items.discovery`; at ``full``, CAM object discovery on the SUN2012 scene
categories, :func:`figure9_full`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from cam_core.common.claims import ItemResult
from cam_core.common.viz import image_grid, overlay
from cam_core.datasets import sun2012
from cam_core.datasets.base import FileImages
from cam_core.datasets.sun2012 import (
    DATASET,
    DISTINCT_RATIO,
    DISTINCT_SUPPORT,
    Sun2012Index,
    choose_scenes,
    locate,
    object_table,
    polygon_mask,
    read_sun2012,
    scene_counts,
)
from cam_core.items import discovery
from cam_core.items.discovery import list_precision
from cam_core.nets.features import fit_linear_svm
from cam_core.validate import InputError, fail

__all__ = [
    "SunSceneResult",
    "sun_scene_experiment",
    "figure9_full",
    "sun_figure",
    "run",
]


@dataclasses.dataclass
class SunSceneResult:
    """Fig 9 on SUN2012: the scenes, the scenes shown, per split the image counts, the SVMs'
    held-out accuracy, the (scene, object) table, precision of both rankings per scene, and
    per shown scene example images (H_i, W_i, 3) with their CAMs (H_i, W_i)."""

    scenes: list[str]
    shown: list[str]
    counts: pd.DataFrame
    accuracy: float
    table: pd.DataFrame
    precision: pd.DataFrame
    examples: dict[str, tuple[list[np.ndarray], list[np.ndarray]]]
    top_objects: int
    held_out: tuple[str, ...] = ()  # the scored images, paths under Images/
    skipped: tuple[str, ...] = ()

    def mean_precision(self, ranking: str) -> float:
        """Mean over scenes of the share of distinguishing objects in the top list."""
        p = self.precision
        return float(p.loc[p["ranking"] == ranking, "precision"].mean())


def _split_rows(
    labels: Sequence[str], scenes: Sequence[str], per_scene: int, test_per_scene: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded per-scene split: ``per_scene`` train images (0: half), ``test_per_scene``
    held-out ones (0: the rest)."""
    rng = np.random.default_rng([seed, 2012])
    train, test = [], []
    lab = np.asarray(labels)
    for scene in scenes:
        idx = rng.permutation(np.flatnonzero(lab == scene))
        n_train = per_scene or len(idx) // 2
        if n_train >= len(idx):
            fail("images_per_scene", f"fewer than the {len(idx)} images of {scene!r}", n_train)
        rest = idx[n_train:]
        train.append(idx[:n_train])
        test.append(rest[:test_per_scene] if test_per_scene else rest)
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def sun_scene_experiment(
    model: nn.Module,
    model_name: str,
    index: Sun2012Index,
    scenes: Sequence[str],
    shown: Sequence[str],
    per_scene: int,
    test_per_scene: int,
    input_size: int,
    threshold: float,
    top_objects: int,
    num_examples: int,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    device: str = "cpu",
    min_share: float = 0.1,
    progress: Callable[[str], None] | None = None,
) -> SunSceneResult:
    """One-vs-all linear SVMs on GAP features (images warped to ``input_size``) of the train
    split of ``scenes``; on the held-out split each image's CAM for its own scene at the
    image's size, and which of its objects the high region (>= ``threshold`` of the max)
    covers for at least ``min_share`` of one instance's pixels."""

    label_of = {s: k for k, s in enumerate(scenes)}
    keep = np.array([i for i, s in enumerate(index.scenes) if s in label_of], dtype=np.int64)
    if len(keep) == 0:
        fail("scenes", "scenes with annotated images", repr(list(scenes)))
    images = FileImages(index.root / "Images", [index.files[i] for i in keep], DATASET)
    labels = np.array([label_of[index.scenes[i]] for i in keep])
    tr, te = _split_rows([index.scenes[i] for i in keep], scenes, per_scene, test_per_scene, seed)
    if progress:
        progress(f"GAP features of {len(keep)} SUN2012 images")
    gap = discovery.file_gap_features(
        cache_dir, "sun2012", model_name, model, images, input_size, device=device
    )
    svm = fit_linear_svm(gap[tr], labels[tr], seed=seed)
    weight, classes = discovery.svm_weight(svm)
    row_of = {int(c): r for r, c in enumerate(classes)}
    accuracy = float((svm.predict(gap[te]) == labels[te]).mean())
    if progress:
        progress(f"CAMs of {len(te)} held-out images")
    overlaps: list[set[str]] = []
    examples: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {s: ([], []) for s in shown}
    for idx, maps in discovery.file_maps(model, images, input_size, te, device=device):
        for j, i in enumerate(idx.tolist()):
            image = images[i]
            h, w = image.shape[:2]
            cls = torch.tensor([row_of[int(labels[i])]])
            cam = discovery.linear_cams(maps[j : j + 1], weight, cls, (h, w))[0]
            high = cam >= threshold
            hit = set()
            for obj in index.annotations[keep[i]].objects:
                mask = polygon_mask(obj.polygon, h, w)
                area = mask.sum()
                if area == 0:
                    raise InputError(
                        f"{DATASET}: {index.files[keep[i]]}: object {obj.name!r} lies outside "
                        f"the {w} x {h} image"
                    )
                if (mask & high).sum() >= min_share * area:
                    hit.add(obj.name)
            overlaps.append(hit)
            scene = scenes[labels[i]]
            if scene in examples and len(examples[scene][0]) < num_examples:
                examples[scene][0].append(image)
                examples[scene][1].append(cam)
    table = object_table(index, keep[te], overlaps, scenes, keep)

    precision = pd.concat(
        [
            list_precision(table, "overlap", top=top_objects),
            list_precision(table, "frequency", top=top_objects),
        ],
        ignore_index=True,
    )
    counts = pd.DataFrame(
        {
            "train images": [int((labels[tr] == k).sum()) for k in range(len(scenes))],
            "held-out images": [int((labels[te] == k).sum()) for k in range(len(scenes))],
        },
        index=pd.Index(list(scenes), name="scene"),
    )
    return SunSceneResult(
        list(scenes), list(shown), counts, accuracy, table, precision, examples, top_objects,
        tuple(index.files[keep[i]] for i in te), index.skipped,
    )  # fmt: skip


def figure9_full(
    model: nn.Module, params: dict, progress: Callable[[str], None] | None = None
) -> SunSceneResult:
    """Figure 9's ``full`` path for a notebook's validated ``params``: read the SUN2012 tree
    under ``data_root`` (bad annotation files skipped and counted), the paper's scenes
    (:func:`choose_scenes`, ``scene_classes`` first and shown), :func:`sun_scene_experiment`."""

    root = locate(params["data_root"])
    scenes = choose_scenes(scene_counts(root), params["scene_classes"], sun2012.MIN_SCENE_IMAGES)
    index = read_sun2012(root, scenes, on_error="skip")
    return sun_scene_experiment(
        model,
        params["network"],
        index,
        scenes,
        params["scene_classes"][:2],
        params["images_per_scene"],
        params["test_per_scene"],
        params["image_size"],
        params["threshold"],
        params["top_objects"],
        params["num_examples"],
        seed=params["seed"],
        cache_dir=discovery.feature_cache(params),
        device=params["device"],
        progress=progress,
    )


def sun_figure(result: SunSceneResult, scene: str):
    """The paper's layout for one scene: held-out images (top) and their CAMs (bottom)."""

    images, cams = result.examples[scene]
    if not images:
        fail("scene", "a shown scene with held-out images", repr(scene))
    maps = [overlay(im, cam) for im, cam in zip(images, cams, strict=True)]
    return image_grid([images, maps], row_titles=["image", "CAM"], title=scene, cell_inches=1.6)


def _composite_run(net: nn.Module, params: dict[str, Any]) -> dict[str, Any]:
    """Fig 9 on composite scenes: what :func:`run` reports."""
    result = discovery.scene_experiment(
        net,
        params["network"],
        params["scene_classes"],
        params["images_per_scene"],
        params["test_per_scene"],
        params["image_size"],
        params["threshold"],
        seed=params["seed"],
        cache_dir=discovery.feature_cache(params),
    )
    shown = list(params["scene_classes"][:2])
    scenes = pd.DataFrame(
        {
            "scene": result.scenes,
            "distinguishing objects": [", ".join(discovery.SCENES[s]) for s in result.scenes],
            "shared objects": ", ".join(discovery.SHARED),
        }
    )
    n = len(result.labels)
    return {
        "result": result,
        "examples": {s: discovery.scene_examples(result, s, params["num_examples"]) for s in shown},
        "top": None,
        "share_boundary": 2 / 3,
        "n_scored": n,
        "scenes_table": scenes,
        "data": f"{len(result.scenes)} composite scenes, {n} held-out composites",
        "list_rule": "lists as long as the scene's number of distinguishing objects, "
        "which distinguish it by construction",
        "notes": [],
    }


def _sun_run(net: nn.Module, params: dict[str, Any], progress: Callable | None) -> dict[str, Any]:
    """Fig 9 on SUN2012 (``full``): what :func:`run` reports."""
    result = figure9_full(net, params, progress=progress)
    n = int(result.counts["held-out images"].sum())
    notes = []
    if result.skipped:
        notes.append(f"{len(result.skipped)} SUN2012 annotation files were unreadable, skipped.")
    return {
        "result": result,
        "examples": {s: result.examples[s] for s in result.shown},
        "top": result.top_objects,
        "share_boundary": None,
        "n_scored": n,
        "scenes_table": result.counts.reset_index(),
        "data": f"SUN2012, {len(result.scenes)} scenes, {n} held-out images",
        "list_rule": f"top {result.top_objects} of each list; an object distinguishes a scene "
        f"when it is in at least {100 * DISTINCT_SUPPORT:.0f}% of its images and at least "
        f"{DISTINCT_RATIO:g} times as often as in the other scenes' images, counted from the "
        "annotations",
        "notes": notes,
    }


def run(params: dict[str, Any], progress: Callable[[str], None] | None = None) -> ItemResult:
    """Figure 9 at ``params``'s profile: composite scenes, or SUN2012 at ``full``; the
    informative-object lists, their precision and :func:`discovery.scene_claims`."""
    net = discovery.load_network(params, params["network"], progress=progress)
    if params["profile"] == "full":
        got = _sun_run(net, params, progress)
    else:
        got = _composite_run(net, params)
    result = got["result"]
    cam, freq = result.mean_precision("overlap"), result.mean_precision("frequency")
    n_scenes = len(result.scenes)
    found = discovery.scene_claims(
        result.table, result.accuracy, got["n_scored"], got["top"], got["share_boundary"],
        data=f"{got['data']}, {params['network']} GAP features",
    )  # fmt: skip
    top = params["top_objects"]
    lists = pd.concat(
        [discovery.ranked_lists(result.table, s, top).reset_index().assign(scene=s)
         for s in got["examples"]],
        ignore_index=True,
    )[["scene", "rank", "most frequent", "most overlapping the CAM"]]  # fmt: skip
    precision = result.precision.pivot(index="scene", columns="ranking", values="precision")
    precision = precision.reindex(result.scenes).rename_axis(columns=None).reset_index()
    names = {"overlap": "CAM-overlap list", "frequency": "frequency list"}
    precision = precision.rename(columns=names)
    shown = ", ".join(got["examples"])
    return ItemResult(
        item="figure09",
        profile=params["profile"],
        headline="Share of each scene's top objects by CAM overlap that distinguish the "
        f"scene, mean over {n_scenes} scenes (%):",
        claims=found,
        tables={
            "figure09_scenes": got["scenes_table"],
            "figure09_lists": lists,
            "figure09_precision": precision,
            "figure09_objects": result.table,
        },
        figures={"figure09_examples": discovery.scenes_figure(got["examples"])},
        notes=got["notes"],
        headline_value=100 * cam,
        captions={
            "figure09_examples": f"Held-out images of {shown} (top rows) and their CAMs for "
            "the scene (bottom rows, red = high).",
            "figure09_lists": f"Per scene ({shown}): its {top} most frequent objects with the "
            f"share of its held-out images that hold them, beside the {top} "
            "objects that most often overlap the CAM's high-activation region (pixels >= "
            f"{params['threshold']:g} of the max cover at least 10% of the object) with the "
            "share of its images where they do.",
            "figure09_precision": discovery.scene_caption(
                result.accuracy, n_scenes, cam, freq, params["network"], got["list_rule"]
            ),
        },
    )
