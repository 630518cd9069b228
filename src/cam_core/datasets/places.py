"""Scene-trained GAP networks from local Places checkpoints (Figure 13 at ``full`` scale).

A checkpoint is a weights-only torch file: the CSAIL Places365 releases
(``resnet18_places365.pth.tar``: ``{"state_dict": ...}`` saved from DataParallel, every key
prefixed ``module.``, torchvision's ResNet with 365 classes), or a state_dict of one of this
project's GAP networks (e.g. ``alexnet*-gap`` trained on Places205, ``{"model": ...}`` as
:mod:`cam_core.nets.train` saves it). Beside it, the class list of the dataset it was trained on:
``categories_places365.txt`` (lines ``/a/airfield 0``) or ``categories_places205.txt``
(``/a/abbey 0``); the checkpoint's class count must match it.

Default place (``weights: ""``): ``<data_root>/places/<network>_places365.pth.tar`` (``*``
written ``star``), and the categories file in the same folder, ``categories_places205.txt``
when the weights file's name says ``places205``, else ``categories_places365.txt``
(``data/manifests/places365-weights.yaml``).

The image pool whose most activating images are shown is SUN397 (partition 1's test list,
:func:`cam_core.datasets.scenes.read_sun397`): a SUN397 image counts as an image of a Places
class when the two class names agree once the letter folder is dropped and ``_``/``/`` read
as spaces (``/d/dining_room`` = ``d/dining_room``: "dining room").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cam_core.datasets.base import FileImages
from cam_core.datasets.scenes import load_scene_dataset
from cam_core.nets import models, pretrained, registry
from cam_core.validate import InputError, fail

__all__ = [
    "weights_file",
    "categories_file",
    "read_categories",
    "class_key",
    "class_indices",
    "load_places_model",
    "PlacesPool",
    "sun397_pool",
]


def weights_file(data_root: str | Path | None, network: str, weights: str = "") -> Path:
    """The checkpoint: ``weights`` if given, else ``<data_root>/places/<network>_places365
    .pth.tar`` (``*`` -> ``star``)."""
    if weights:
        return Path(weights)
    if data_root is None:
        fail("data_root", "the folder holding places/ (profile full)", "None")
    return Path(data_root) / "places" / f"{network.replace('*', 'star')}_places365.pth.tar"


def categories_file(weights: str | Path) -> Path:
    """``categories_places205.txt`` next to a weights file whose name says places205, else
    ``categories_places365.txt``."""
    weights = Path(weights)
    dataset = "places205" if "places205" in weights.name.lower() else "places365"
    return weights.parent / f"categories_{dataset}.txt"


def read_categories(path: str | Path) -> tuple[str, ...]:
    """Class names in index order from a Places categories file (``/a/airfield 0`` lines,
    indices 0..C-1 in order)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"places: {path}: missing categories file (lines '/a/airfield 0')")
    names = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[0].startswith("/"):
            raise InputError(
                f"places: {path.name}: line {number}: expected '/<letter>/<class> <index>', "
                f"got {line.strip()!r}"
            )
        if parts[1] != str(len(names)):
            raise InputError(
                f"places: {path.name}: line {number}: expected index {len(names)}, got {parts[1]!r}"
            )
        names.append(parts[0])
    if not names:
        raise InputError(f"places: {path}: no categories")
    return tuple(names)


def class_key(name: str) -> str:
    """A scene class name for matching and display: ``/d/dining_room`` and
    ``d/dining_room`` -> ``dining room``, ``/c/church/outdoor`` -> ``church outdoor``."""
    parts = [p for p in name.strip().split("/") if p]
    if len(parts) > 1 and len(parts[0]) == 1:
        parts = parts[1:]
    return " ".join(p.replace("_", " ") for p in parts).strip().lower()


def class_indices(categories: tuple[str, ...], classes: list[str]) -> list[int]:
    """Indices into ``categories`` of ``classes`` (names as :func:`class_key` reads them)."""
    keys = {class_key(c): i for i, c in enumerate(categories)}
    missing = [c for c in classes if class_key(c) not in keys]
    if missing or not classes:
        fail(
            "classes",
            f"Places classes such as {', '.join(class_key(c) for c in categories[:3])}",
            repr(missing or classes),
        )
    return [keys[class_key(c)] for c in classes]


def load_places_model(
    network: str, weights: str | Path, categories: str | Path | None = None
) -> tuple[models.CAMNet, tuple[str, ...]]:
    """The GAP network ``network`` (``resnet18``/``resnet50``: torchvision's, or a CAMNet of
    :data:`cam_core.nets.registry.MODEL_NAMES` such as ``alexnet*-gap``) with the weights-only
    checkpoint ``weights`` ("module." stripped), and its class names from ``categories``
    (default :func:`categories_file`); the class counts must agree."""
    weights = Path(weights)
    cats_path = Path(categories) if categories is not None else categories_file(weights)
    cats = read_categories(cats_path)
    state = models.read_weights_file(weights, "weights")
    key = "fc.weight" if network in pretrained.RESNETS else "classifier.weight"
    rows = state.get(key)
    if rows is None or rows.ndim != 2:
        fail("weights", f"a {network} checkpoint with {key}", str(weights))
    if rows.shape[0] != len(cats):
        fail(
            "weights",
            f"a checkpoint of {len(cats)} classes ({cats_path.name})",
            f"{rows.shape[0]} classes in {weights}",
        )
    if network in pretrained.RESNETS:
        model = pretrained.resnet_cam(network, len(cats), weights)
    else:
        model = registry.build_model(network, len(cats))
        if not isinstance(model, models.CAMNet):
            fail("network", "a GAP network (resnet18, resnet50 or a CAMNet)", repr(network))
        models.load_strict(model, state, str(weights), "weights")
    return model.eval(), cats


@dataclass(frozen=True)
class PlacesPool:
    """The images whose unit activations are ranked: read on access, each labelled with the
    index of its Places class (-1: a SUN397 class with no Places counterpart), titled with
    its SUN397 class."""

    images: FileImages
    labels: np.ndarray
    titles: list[str]


def sun397_pool(
    data_root: str | Path, categories: tuple[str, ...], images: int = 0, seed: int = 0
) -> PlacesPool:
    """SUN397 partition 1's test list (50 images per class) under ``data_root``, or
    ``images`` of them drawn at random (0: all)."""

    sun = load_scene_dataset("sun397", data_root)
    pool = np.asarray(sun.splits[0][1])
    if isinstance(images, bool) or not isinstance(images, int) or images < 0:
        fail("eval_images", "an integer >= 0 (0: all)", repr(images))
    if images > len(pool):
        fail("eval_images", f"at most {len(pool)} (SUN397 partition 1 test list)", images)
    if images:
        pool = np.sort(np.random.default_rng([seed, 13, 397]).choice(pool, images, False))
    keys = {class_key(c): i for i, c in enumerate(categories)}
    sun_index = np.array([keys.get(class_key(c), -1) for c in sun.class_names])
    labels = sun_index[sun.labels[pool]]
    files = FileImages(sun.images.root, [sun.images.files[i] for i in pool], "sun397")
    titles = [class_key(sun.class_names[y]) for y in sun.labels[pool]]
    return PlacesPool(files, labels.astype(np.int64), titles)
