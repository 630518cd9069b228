"""CUB-200-2011 reader (Table 4 and Figure 7 at ``full`` scale).

Layout (``data/manifests/cub200.yaml``), under ``CUB_200_2011/``:

- ``images/<class folder>/<name>.jpg`` (11,788 images; 200 folders such as
  ``001.Black_footed_Albatross``);
- ``images.txt``: ``<image_id> <relative path under images/>``;
- ``image_class_labels.txt``: ``<image_id> <class_id>`` (1..200);
- ``train_test_split.txt``: ``<image_id> <is_training_image>`` (1: train, 5,994; 0: test, 5,794);
- ``bounding_boxes.txt``: ``<image_id> <x> <y> <width> <height>`` (floats, pixels);
- ``classes.txt``: ``<class_id> <class name>``.

Boxes become the project convention ``(x0, y0, x1, y1)`` pixel edges, x1/y1 exclusive:
``(x, y, x + width, y + height)``. The file's ``x, y`` are the box's top-left pixel counted
from 0 (as the CUB evaluation code and wsolevaluation read them) and ``width``/``height``
its extent in pixels, so this box covers exactly the annotated pixels. Labels are
``class_id - 1``. Bad input (a missing file, a malformed line, an image id missing from one
of the files, a class id out of range, an empty box) is a one-line
:class:`~cam_core.validate.InputError` naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cam_core.datasets.base import FileImages, TargetSet
from cam_core.validate import InputError, fail

__all__ = [
    "DATASET",
    "FILES",
    "CubIndex",
    "locate",
    "read_cub",
    "xywh_to_edges",
    "cub_target",
]

DATASET = "cub200"
FILES = (
    "images.txt",
    "image_class_labels.txt",
    "train_test_split.txt",
    "bounding_boxes.txt",
    "classes.txt",
)
NUM_CLASSES = 200
_SUBDIRS = ("CUB_200_2011", "cub200/CUB_200_2011", "cub200", "CUB-200-2011")


def locate(data_root: str | Path) -> Path:
    """The CUB root under ``data_root``: the first of ``CUB_200_2011/``, ``cub200/...`` or
    ``data_root`` itself that holds ``images.txt``."""
    if data_root is None:
        fail("data_root", "the folder holding CUB_200_2011/ (profile full)", "None")
    root = Path(data_root)
    for candidate in (*(root / s for s in _SUBDIRS), root):
        if (candidate / "images.txt").is_file():
            return candidate
    fail(
        "data_root",
        f"a folder with CUB_200_2011/images.txt ({DATASET}; see data/manifests/cub200.yaml)",
        str(root),
    )
    raise AssertionError


def _rows(root: Path, name: str, fields: int, last_is_text: bool = False) -> list[list[str]]:
    path = root / name
    if not path.is_file():
        raise InputError(f"{DATASET}: {path}: missing file (expected {', '.join(FILES)})")
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            parts = line.split(maxsplit=fields - 1) if last_is_text else line.split()
            if len(parts) != fields:
                got = line.strip()
                raise InputError(
                    f"{DATASET}: {name}: line {number}: expected {fields} fields, got {got!r}"
                )
            rows.append(parts)
    return rows


def _ids(name: str, rows: list[list[str]]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for number, row in enumerate(rows, 1):
        try:
            key = int(row[0])
        except ValueError:
            raise InputError(f"{DATASET}: {name}: row {number}: image id {row[0]!r}") from None
        if key in out:
            raise InputError(f"{DATASET}: {name}: row {number}: image id {key} repeated")
        out[key] = row[1:]
    return out


def xywh_to_edges(xywh: np.ndarray) -> np.ndarray:
    """CUB ``(x, y, width, height)`` ``(N, 4)`` -> ``(x0, y0, x1, y1)`` pixel edges."""
    b = np.asarray(xywh, dtype=np.float64)
    return np.stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]], axis=1)


@dataclass(frozen=True)
class CubIndex:
    """The annotation files of one CUB tree, in image-id order: ``image_ids`` ``(N,)``,
    ``files`` (relative to ``root/images``), ``labels`` 0-based ``(N,)``, ``is_train``
    bool ``(N,)``, ``boxes`` ``(N, 4)`` pixel edges, ``class_names`` (200)."""

    root: Path
    image_ids: np.ndarray
    files: tuple[str, ...]
    labels: np.ndarray
    is_train: np.ndarray
    boxes: np.ndarray
    class_names: tuple[str, ...]


def read_cub(root: str | Path) -> CubIndex:
    """Read and cross-check the five annotation files of the CUB tree at ``root``."""
    root = Path(root)
    images = _ids("images.txt", _rows(root, "images.txt", 2))
    labels = _ids("image_class_labels.txt", _rows(root, "image_class_labels.txt", 2))
    split = _ids("train_test_split.txt", _rows(root, "train_test_split.txt", 2))
    boxes = _ids("bounding_boxes.txt", _rows(root, "bounding_boxes.txt", 5))
    classes = _rows(root, "classes.txt", 2, last_is_text=True)
    class_ids = [int(r[0]) for r in classes]
    if class_ids != list(range(1, len(classes) + 1)):
        raise InputError(f"{DATASET}: classes.txt: expected class ids 1..{len(classes)} in order")
    ids = sorted(images)
    for name, table in (
        ("image_class_labels.txt", labels),
        ("train_test_split.txt", split),
        ("bounding_boxes.txt", boxes),
    ):
        missing = [i for i in ids if i not in table]
        extra = [i for i in table if i not in images]
        if missing or extra:
            what = (
                f"no row for image id {missing[0]}" if missing else f"unknown image id {extra[0]}"
            )
            raise InputError(f"{DATASET}: {name}: {what} (of images.txt)")
    lab = np.array([int(labels[i][0]) for i in ids], dtype=np.int64) - 1
    bad = np.flatnonzero((lab < 0) | (lab >= len(classes)))
    if len(bad):
        raise InputError(
            f"{DATASET}: image_class_labels.txt: image id {ids[bad[0]]}: class id "
            f"{lab[bad[0]] + 1} outside 1..{len(classes)}"
        )
    flags = [split[i][0] for i in ids]
    if any(f not in ("0", "1") for f in flags):
        i = next(i for i, f in zip(ids, flags, strict=True) if f not in ("0", "1"))
        raise InputError(f"{DATASET}: train_test_split.txt: image id {i}: expected 0 or 1")
    try:
        xywh = np.array([[float(v) for v in boxes[i]] for i in ids], dtype=np.float64)
    except ValueError:
        raise InputError(f"{DATASET}: bounding_boxes.txt: non-numeric box") from None
    empty = np.flatnonzero((xywh[:, 2] <= 0) | (xywh[:, 3] <= 0) | (xywh[:, :2] < 0).any(1))
    if len(empty):
        raise InputError(
            f"{DATASET}: bounding_boxes.txt: image id {ids[empty[0]]}: expected x, y >= 0 and "
            f"a positive width and height, got {xywh[empty[0]].tolist()}"
        )
    return CubIndex(
        root,
        np.array(ids, dtype=np.int64),
        tuple(images[i][0] for i in ids),
        lab,
        np.array([f == "1" for f in flags]),
        xywh_to_edges(xywh),
        tuple(r[1].strip() for r in classes),
    )


def cub_target(root: str | Path, split: str, images_per_class: int = 0) -> TargetSet:
    """CUB's ``"train"`` or ``"test"`` split as a TargetSet (images read from
    ``root/images`` on access, boxes in each image's pixels); ``images_per_class`` > 0
    keeps the first that many images of each class (in image-id order)."""
    if split not in ("train", "test"):
        fail("split", "'train' or 'test'", repr(split))
    if isinstance(images_per_class, bool) or not isinstance(images_per_class, int):
        fail("images_per_class", "an int >= 0", repr(images_per_class))
    index = read_cub(root)
    keep = np.flatnonzero(index.is_train == (split == "train"))
    if images_per_class > 0:
        keep = np.concatenate(
            [keep[index.labels[keep] == c][:images_per_class] for c in np.unique(index.labels)]
        )
        keep.sort()
    if len(keep) == 0:
        fail("root", f"a CUB tree with {split} images", str(root))
    return TargetSet(
        f"cub200-{split}",
        FileImages(index.root / "images", [index.files[i] for i in keep], DATASET),
        index.labels[keep],
        index.class_names,
        boxes=index.boxes[keep],
        description=f"CUB-200-2011 {split} split ({len(keep)} images)",
    )
