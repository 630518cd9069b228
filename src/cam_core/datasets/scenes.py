"""Readers for the eight Table 5 datasets (``full`` scale), each with its standard split.

Every reader returns a :class:`cam_core.datasets.base.TargetSet` whose images are read from disk
on access and whose ``splits`` are the dataset's published train/test split(s), or, where
the dataset publishes none, the standard protocol drawn with fixed seeds (documented per
dataset below and in ``data/manifests/<name>.yaml``):

============== ======================================= =====================================
name           layout (under its root)                 split
============== ======================================= =====================================
sun397         ``<l>/<class>[/<sub>]/sun_*.jpg``,       published: ``Partitions/Training_NN``
               ``ClassName.txt``, ``Partitions/``      / ``Testing_NN.txt`` (10 x 50/50)
mit-indoor67   ``Images/<class>/*.jpg``,               published: 80 train + 20 test per
               ``TrainImages.txt``, ``TestImages.txt`` class
scene15        ``<class>/*.jpg`` (15 folders)          100 train per class, rest test
                                                       (seeded, 10 splits)
sun-attribute  ``images/<l>/<class>/*.jpg``,           seeded 50/50 splits; 102 binary
               ``SUNAttributeDB/{images,attributes,    attributes (positive: >= 2 of 3
               attributeLabels_continuous}.mat``       votes), mean average precision
caltech101     ``101_ObjectCategories/<class>/*.jpg``  30 train per class, up to 50 test
                                                       (seeded); BACKGROUND_Google left out
caltech256     ``256_ObjectCategories/<nnn.class>/``   60 train per class, rest test
                                                       (seeded); 257.clutter left out
action40       ``JPEGImages/*.jpg``,                   published: ``<action>_train.txt``
               ``ImageSplits/<action>_{train,test}``   (100 per class) / ``_test.txt``
event8         ``event_img/<Class>/*.jpg`` (8)         70 train + 60 test per class
                                                       (seeded, 10 splits)
============== ======================================= =====================================

Class order is sorted folder names, or the order of the dataset's class list where it has
one (SUN397 ``ClassName.txt``, Action40 ``actions.txt``). Bad input (a missing root, list
file or listed image, an unknown class in a list) is a one-line
:class:`~cam_core.validate.InputError` naming the dataset and the file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.io import loadmat

from cam_core.datasets.base import FileImages, TargetSet
from cam_core.validate import InputError, fail

__all__ = [
    "SCENE_DATASETS",
    "PAPER_NAMES",
    "SPLIT_SEED",
    "locate",
    "load_scene_dataset",
    "read_sun397",
    "read_indoor67",
    "read_scene15",
    "read_sun_attribute",
    "read_caltech101",
    "read_caltech256",
    "read_action40",
    "read_event8",
    "per_class_splits",
]

SCENE_DATASETS = (
    "sun397",
    "mit-indoor67",
    "scene15",
    "sun-attribute",
    "caltech101",
    "caltech256",
    "action40",
    "event8",
)
# The column of the paper's Table 5 (data/paper/table5.csv) each dataset is.
PAPER_NAMES = {
    "sun397": "SUN397",
    "mit-indoor67": "MIT Indoor67",
    "scene15": "Scene15",
    "sun-attribute": "SUN Attribute",
    "caltech101": "Caltech101",
    "caltech256": "Caltech256",
    "action40": "Action40",
    "event8": "Event8",
}
# Folder names tried under data_root, first present wins (then data_root itself).
_FOLDERS = {
    "sun397": ("SUN397", "sun397"),
    "mit-indoor67": ("indoor67", "mit-indoor67", "MITIndoor67", "indoorCVPR_09"),
    "scene15": ("scene15", "15-Scene", "scene_categories"),
    "sun-attribute": ("SUNAttributeDB", "sun-attribute", "sun_attribute"),
    "caltech101": ("caltech101", "101_ObjectCategories"),
    "caltech256": ("caltech256", "256_ObjectCategories"),
    "action40": ("Stanford40", "stanford40", "action40"),
    "event8": ("event8", "uiuc-event8", "event_img"),
}
# A file or folder that marks the dataset's root.
_MARKER = {
    "sun397": "ClassName.txt",
    "mit-indoor67": "TrainImages.txt",
    "scene15": None,
    "sun-attribute": "SUNAttributeDB",
    "caltech101": "101_ObjectCategories",
    "caltech256": "256_ObjectCategories",
    "action40": "ImageSplits",
    "event8": "event_img",
}
SPLIT_SEED = 20160627  # seeds of the drawn splits: SPLIT_SEED + split number
NUM_SPLITS = 10
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def locate(name: str, data_root: str | Path) -> Path:
    """The root of dataset ``name`` under ``data_root`` (see the module table)."""
    if name not in SCENE_DATASETS:
        fail("name", f"one of {', '.join(SCENE_DATASETS)}", repr(name))
    if data_root is None:
        fail("data_root", f"the folder holding {name} (see data/manifests/{name}.yaml)", "None")
    root = Path(data_root)
    marker = _MARKER[name]
    for candidate in (*(root / f for f in _FOLDERS[name]), root):
        if candidate.is_dir() and (marker is None or (candidate / marker).exists()):
            if marker is None and not _class_folders(candidate):
                continue
            return candidate
    fail(
        "data_root",
        f"a folder with the {name} tree (data/manifests/{name}.yaml; tried "
        f"{', '.join(_FOLDERS[name])})",
        str(root),
    )
    raise AssertionError


def _class_folders(folder: Path, exclude: Sequence[str] = ()) -> list[str]:
    with os.scandir(folder) as it:
        return sorted(
            e.name
            for e in it
            if e.is_dir() and not e.name.startswith(".") and e.name not in exclude
        )


def _images_in(folder: Path) -> list[str]:
    with os.scandir(folder) as it:
        return sorted(
            e.name for e in it if e.is_file() and e.name.lower().endswith(_IMAGE_SUFFIXES)
        )


def _lines(dataset: str, path: Path) -> list[str]:
    if not path.is_file():
        raise InputError(f"{dataset}: {path}: missing file")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _check_files(dataset: str, root: Path, files: Sequence[str], listed_in: str) -> None:
    for rel in files:
        if not (root / rel).is_file():
            raise InputError(f"{dataset}: {listed_in}: lists {rel}, missing under {root}")


def per_class_splits(
    labels: np.ndarray,
    train_per_class: int,
    test_per_class: int | None,
    num_splits: int = NUM_SPLITS,
    seed: int = SPLIT_SEED,
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The usual protocol drawn with fixed seeds: per class, ``train_per_class`` random
    images for training and the rest (at most ``test_per_class``) for testing; split ``s``
    uses seed ``seed + s``. A class with too few images keeps at least one test image."""
    out = []
    for s in range(num_splits):
        rng = np.random.default_rng(seed + s)
        train, test = [], []
        for c in np.unique(labels):
            idx = rng.permutation(np.flatnonzero(labels == c))
            k = min(train_per_class, len(idx) - 1)
            train.append(idx[:k])
            rest = idx[k:]
            test.append(rest if test_per_class is None else rest[:test_per_class])
        out.append((np.sort(np.concatenate(train)), np.sort(np.concatenate(test))))
    return tuple(out)


def _folder_dataset(
    name: str,
    root: Path,
    exclude: Sequence[str],
    train_per_class: int,
    test_per_class: int | None,
    description: str,
    expected_classes: int | None = None,
) -> TargetSet:
    classes = _class_folders(root, exclude)
    if expected_classes is not None and len(classes) != expected_classes:
        raise InputError(
            f"{name}: {root}: expected {expected_classes} class folders, found {len(classes)}"
        )
    if not classes:
        raise InputError(f"{name}: {root}: no class folders")
    files, labels = [], []
    for c, folder in enumerate(classes):
        images = _images_in(root / folder)
        if not images:
            raise InputError(f"{name}: {root / folder}: no images")
        files += [f"{folder}/{f}" for f in images]
        labels += [c] * len(images)
    labels_arr = np.array(labels, dtype=np.int64)
    return TargetSet(
        name,
        FileImages(root, files, name),
        labels_arr,
        tuple(classes),
        splits=per_class_splits(labels_arr, train_per_class, test_per_class),
        description=description,
    )


# --------------------------------------------------------------------------- readers


def read_sun397(root: str | Path, partitions: int = NUM_SPLITS) -> TargetSet:
    """SUN397 with its first ``partitions`` published partitions (50 train + 50 test per
    class each; fewer when fewer are present); the images are those the partitions list."""
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        fail("partitions", f"an int in 1..{NUM_SPLITS} (SUN397 partitions)", repr(partitions))
    root = Path(root)
    part_dir = next(
        (p for p in (root / "Partitions", root.parent / "Partitions", root) if p.is_dir()
         and (p / "Training_01.txt").is_file()),
        None,
    )  # fmt: skip
    if part_dir is None:
        raise InputError(f"sun397: {root}: missing Partitions/Training_01.txt (Partitions.zip)")
    names_file = root / "ClassName.txt"
    if not names_file.is_file():
        names_file = part_dir / "ClassName.txt"
    classes = _lines("sun397", names_file)
    index = {c: i for i, c in enumerate(classes)}
    lists = []
    for p in range(1, partitions + 1):
        pair = []
        for kind in ("Training", "Testing"):
            path = part_dir / f"{kind}_{p:02d}.txt"
            if not path.is_file():
                if p == 1 or kind == "Testing":
                    raise InputError(f"sun397: {path}: missing file")
                break
            pair.append(_lines("sun397", path))
        if len(pair) < 2:
            break
        lists.append(pair)
    files = sorted({line.lstrip("/") for pair in lists for part in pair for line in part})
    where = {f: i for i, f in enumerate(files)}
    labels = np.empty(len(files), dtype=np.int64)
    for f in files:
        cls = "/" + f.rsplit("/", 1)[0]
        if cls not in index:
            raise InputError(f"sun397: {f}: class {cls} not in {names_file.name}")
        labels[where[f]] = index[cls]
    _check_files("sun397", root, files, "Partitions")
    splits = tuple(
        tuple(np.array(sorted(where[x.lstrip("/")] for x in part)) for part in pair)
        for pair in lists
    )
    return TargetSet(
        "sun397",
        FileImages(root, files, "sun397"),
        labels,
        tuple(c.lstrip("/") for c in classes),
        splits=splits,  # type: ignore[arg-type]
        description=f"SUN397, {len(classes)} scene classes, {len(lists)} published partitions",
    )


def read_indoor67(root: str | Path) -> TargetSet:
    """MIT Indoor67 with its published split (``TrainImages.txt`` / ``TestImages.txt``)."""
    root = Path(root)
    train = _lines("mit-indoor67", root / "TrainImages.txt")
    test = _lines("mit-indoor67", root / "TestImages.txt")
    files = train + test
    image_dir = root / "Images"
    _check_files("mit-indoor67", image_dir, files, "TrainImages.txt/TestImages.txt")
    classes = sorted({f.split("/")[0] for f in files})
    index = {c: i for i, c in enumerate(classes)}
    labels = np.array([index[f.split("/")[0]] for f in files], dtype=np.int64)
    n = len(train)
    return TargetSet(
        "mit-indoor67",
        FileImages(image_dir, files, "mit-indoor67"),
        labels,
        tuple(classes),
        splits=((np.arange(n), np.arange(n, len(files))),),
        description=f"MIT Indoor67, {len(classes)} indoor scene classes, published split",
    )


def read_scene15(root: str | Path) -> TargetSet:
    """Scene15: 100 random training images per class, the rest for testing (seeded)."""
    return _folder_dataset(
        "scene15", Path(root), (), 100, None, "Scene15, 15 scene classes", expected_classes=15
    )


def read_caltech101(root: str | Path) -> TargetSet:
    """Caltech101 (101 classes; BACKGROUND_Google left out, as torchvision does): 30 random
    training images per class, up to 50 of the rest for testing (seeded)."""
    folder = Path(root) / "101_ObjectCategories"
    return _folder_dataset(
        "caltech101", folder, ("BACKGROUND_Google",), 30, 50, "Caltech101, 101 object classes"
    )


def read_caltech256(root: str | Path) -> TargetSet:
    """Caltech256 (256 classes; 257.clutter left out): 60 random training images per class,
    the rest for testing (seeded)."""
    folder = Path(root) / "256_ObjectCategories"
    return _folder_dataset(
        "caltech256", folder, ("257.clutter",), 60, None, "Caltech256, 256 object classes"
    )


def read_event8(root: str | Path) -> TargetSet:
    """UIUC Event8: 70 random training and 60 test images per class (seeded)."""
    return _folder_dataset(
        "event8", Path(root) / "event_img", (), 70, 60, "UIUC Event8, 8 sport events",
        expected_classes=8,
    )  # fmt: skip


def read_action40(root: str | Path) -> TargetSet:
    """Stanford Action40 with its published split (``ImageSplits/<action>_train.txt``,
    ``_test.txt``; 100 training images per action)."""
    root = Path(root)
    split_dir = root / "ImageSplits"
    listed = _lines("action40", split_dir / "actions.txt")
    classes = [line.split()[0] for line in listed if not line.startswith("action_name")]
    files: list[str] = []
    labels: list[int] = []
    is_test: list[bool] = []
    for c, action in enumerate(classes):
        for kind in ("train", "test"):
            names = _lines("action40", split_dir / f"{action}_{kind}.txt")
            files += names
            labels += [c] * len(names)
            is_test += [kind == "test"] * len(names)
    _check_files("action40", root / "JPEGImages", files, "ImageSplits")
    flags = np.array(is_test)
    return TargetSet(
        "action40",
        FileImages(root / "JPEGImages", files, "action40"),
        np.array(labels, dtype=np.int64),
        tuple(classes),
        splits=((np.flatnonzero(~flags), np.flatnonzero(flags)),),
        description=f"Stanford Action40, {len(classes)} actions, published split",
    )


def _mat_variable(dataset: str, path: Path, name: str) -> np.ndarray:

    if not path.is_file():
        raise InputError(f"{dataset}: {path}: missing file")
    try:
        data = loadmat(str(path), squeeze_me=True)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"{dataset}: {path}: not a readable .mat file ({exc})") from None
    if name in data:
        return np.asarray(data[name])
    names = [k for k in data if not k.startswith("__")]
    if len(names) == 1:
        return np.asarray(data[names[0]])
    raise InputError(f"{dataset}: {path}: expected a variable {name!r}, found {names}")


def read_sun_attribute(root: str | Path, num_splits: int = NUM_SPLITS) -> TargetSet:
    """SUN Attribute: 14,340 images, 102 binary attributes (an attribute is present when at
    least 2 of its 3 annotators saw it: continuous label > 0.5). No published split: seeded
    50/50 splits. Scored by mean average precision over attributes (``metric``); the
    attribute matrix is ``extra["attributes"]`` (N, A) bool."""
    root = Path(root)
    db = root / "SUNAttributeDB"
    paths = [str(p) for p in _mat_variable("sun-attribute", db / "images.mat", "images")]
    names = [str(a) for a in _mat_variable("sun-attribute", db / "attributes.mat", "attributes")]
    votes = _mat_variable(
        "sun-attribute", db / "attributeLabels_continuous.mat", "labels_cv"
    ).astype(np.float64)
    if votes.shape != (len(paths), len(names)):
        raise InputError(
            f"sun-attribute: attributeLabels_continuous.mat: expected shape "
            f"({len(paths)}, {len(names)}), got {votes.shape}"
        )
    image_dir = root / "images"
    _check_files("sun-attribute", image_dir, paths, "images.mat")
    present = votes > 0.5
    n = len(paths)
    splits = []
    for s in range(num_splits):
        order = np.random.default_rng(SPLIT_SEED + s).permutation(n)
        splits.append((np.sort(order[: n // 2]), np.sort(order[n // 2 :])))
    return TargetSet(
        "sun-attribute",
        FileImages(image_dir, paths, "sun-attribute"),
        np.zeros(n, dtype=np.int64),
        tuple(names),
        splits=tuple(splits),
        description=f"SUN Attribute, {len(names)} binary attributes (mean AP)",
        metric="mean AP",
        extra={"attributes": present},
    )


_READERS = {
    "sun397": read_sun397,
    "mit-indoor67": read_indoor67,
    "scene15": read_scene15,
    "sun-attribute": read_sun_attribute,
    "caltech101": read_caltech101,
    "caltech256": read_caltech256,
    "action40": read_action40,
    "event8": read_event8,
}


def _cap(target: TargetSet, per_class: int) -> TargetSet:
    """Keep at most ``per_class`` train and test images per class in every split (for
    trial runs on a subset); the image list is unchanged."""
    rows = target.extra.get("attributes")
    key = target.labels if rows is None else np.zeros(len(target), dtype=np.int64)
    capped = []
    for train, test in target.splits or ():
        parts = []
        for idx in (train, test):
            keep = [idx[key[idx] == c][:per_class] for c in np.unique(key[idx])]
            parts.append(np.sort(np.concatenate(keep)))
        capped.append(tuple(parts))

    return replace(target, splits=tuple(capped))


def load_scene_dataset(
    name: str, data_root: str | Path, images_per_class: int = 0, partitions: int | None = None
) -> TargetSet:
    """Dataset ``name`` (:data:`SCENE_DATASETS`) found under ``data_root``, with its splits;
    ``images_per_class`` > 0 caps each split's train and test images per class;
    ``partitions``: SUN397's first published partitions read (None: all present)."""
    if partitions is not None and name != "sun397":
        fail("partitions", "None for datasets other than sun397", repr(partitions))
    root = locate(name, data_root)
    target = _READERS[name](root) if partitions is None else read_sun397(root, partitions)
    if images_per_class:
        target = _cap(target, int(images_per_class))
    return target
