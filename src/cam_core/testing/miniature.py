"""Miniature ILSVRC 2012 trees for tests: real JPEGs and annotations in the real layouts.

:func:`make_miniature_ilsvrc` writes, under ``root``:

- ``train/<wnid>/<wnid>_<k>.JPEG``;
- ``val/ILSVRC2012_val_<8 digits>.JPEG`` (flat, or in ``<wnid>/`` folders);
- boxes as ``val_xml/<name>.xml`` (PASCAL-VOC, ILSVRC's 1-based inclusive corners) and/or
  Kaggle's ``LOC_val_solution.csv`` (+ ``LOC_synset_mapping.txt``), rows in shuffled order;
- the devkit's ``ILSVRC2012_devkit_t12/data/meta.mat`` (leaf synsets with ILSVRC2012_IDs in
  *reverse* wnid order, plus one non-leaf synset) and ``ILSVRC2012_validation_ground_truth.txt``.

Images are seeded noise with each object drawn as a flat coloured rectangle exactly over its
box. :func:`miniature_annotations` returns what is written, so tests know the answers.
Val image 2 holds two objects of different classes (when ``classes >= 2``), image 3 two of
the same class; every other image one object of its own class.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.io import savemat

from cam_core.validate import fail

# Real ILSVRC 2012 wnids (the ten Imagenette classes), sorted; more classes get made-up ids.
MINIATURE_WNIDS = (
    ("n01440764", "tench, Tinca tinca"),
    ("n02102040", "English springer, English springer spaniel"),
    ("n02979186", "cassette player"),
    ("n03000684", "chain saw, chainsaw"),
    ("n03028079", "church, church building"),
    ("n03394916", "French horn, horn"),
    ("n03417042", "garbage truck, dustcart"),
    ("n03425413", "gas pump, gasoline pump, petrol pump, island dispenser"),
    ("n03445777", "golf ball"),
    ("n03888257", "parachute, chute"),
)
VAL_BOXES = ("xml", "csv", "both")
VAL_LAYOUTS = ("flat", "folders")


@dataclass(frozen=True)
class MiniatureObject:
    """One object: class ``wnid`` and ILSVRC 1-based inclusive ``(xmin, ymin, xmax, ymax)``."""

    wnid: str
    corners: tuple[int, int, int, int]


@dataclass(frozen=True)
class MiniatureVal:
    """One val image: ``name`` (no suffix), its class ``wnid`` and its objects."""

    name: str
    wnid: str
    objects: tuple[MiniatureObject, ...]


def miniature_classes(classes: int = 3) -> list[tuple[str, str]]:
    """``(wnid, words)`` of the first ``classes`` classes, sorted by wnid."""
    real = list(MINIATURE_WNIDS[:classes])
    made_up = [(f"n9{i:07d}", f"made-up class {i}") for i in range(classes - len(real))]
    return real + made_up


def _corners(rng: np.random.Generator, size: tuple[int, int]) -> tuple[int, int, int, int]:
    w, h = size
    bw, bh = int(rng.integers(w // 4, w // 2 + 1)), int(rng.integers(h // 4, h // 2 + 1))
    x0, y0 = int(rng.integers(0, w - bw + 1)), int(rng.integers(0, h - bh + 1))
    return x0 + 1, y0 + 1, x0 + bw, y0 + bh  # pixel edges (x0, y0, x0 + bw, y0 + bh), 1-based


def miniature_annotations(
    classes: int = 3, val_images: int = 6, size: tuple[int, int] = (80, 64), seed: int = 0
) -> list[MiniatureVal]:
    """The val annotations :func:`make_miniature_ilsvrc` writes for these arguments."""
    wnids = [w for w, _ in miniature_classes(classes)]
    rng = np.random.default_rng([seed, 1])
    out = []
    for i in range(1, val_images + 1):
        own = wnids[(i - 1) % classes]
        objects = [MiniatureObject(own, _corners(rng, size))]
        if i == 2 and classes >= 2:
            objects.append(MiniatureObject(wnids[i % classes], _corners(rng, size)))
        if i == 3:
            objects.append(MiniatureObject(own, _corners(rng, size)))
        out.append(MiniatureVal(f"ILSVRC2012_val_{i:08d}", own, tuple(objects)))
    return out


def _colour(wnid_index: int) -> np.ndarray:
    hue = np.array([37, 151, 229]) * (wnid_index + 1) % 256
    return hue.astype(np.uint8)


def _image(
    rng: np.random.Generator, size: tuple[int, int], objects: list[tuple[int, tuple[int, ...]]]
) -> Image.Image:
    w, h = size
    pixels = rng.integers(0, 96, size=(h, w, 3), dtype=np.uint8)
    for cls, (xmin, ymin, xmax, ymax) in objects:
        pixels[ymin - 1 : ymax, xmin - 1 : xmax] = _colour(cls)
    return Image.fromarray(pixels, "RGB")


def _xml(item: MiniatureVal, size: tuple[int, int]) -> str:
    """The val box file of ``item``, in the ILSVRC2012_bbox_val_v3 XML layout."""
    keys = ("xmin", "ymin", "xmax", "ymax")
    objects = []
    for o in item.objects:
        corners = "".join(f"\t\t\t<{k}>{v}</{k}>\n" for k, v in zip(keys, o.corners, strict=True))
        objects.append(
            f"\t<object>\n\t\t<name>{o.wnid}</name>\n\t\t<pose>Unspecified</pose>\n"
            "\t\t<truncated>0</truncated>\n\t\t<difficult>0</difficult>\n"
            f"\t\t<bndbox>\n{corners}\t\t</bndbox>\n\t</object>\n"
        )
    return (
        "<annotation>\n\t<folder>val</folder>\n"
        f"\t<filename>{item.name}</filename>\n"
        "\t<source>\n\t\t<database>ILSVRC_2012</database>\n\t</source>\n"
        f"\t<size>\n\t\t<width>{size[0]}</width>\n\t\t<height>{size[1]}</height>\n"
        "\t\t<depth>3</depth>\n\t</size>\n\t<segmented>0</segmented>\n"
        f"{''.join(objects)}</annotation>\n"
    )


def _devkit(root: Path, classes: list[tuple[str, str]], val: list[MiniatureVal]) -> None:

    fields = [
        "ILSVRC2012_ID",
        "WNID",
        "words",
        "gloss",
        "num_children",
        "children",
        "wordnet_height",
        "num_train_images",
    ]
    n = len(classes)
    ids = {wnid: n - i for i, (wnid, _) in enumerate(classes)}  # reverse of the sorted order
    synsets = np.empty((n + 1, 1), dtype=[(f, "O") for f in fields])
    for i, (wnid, words) in enumerate(classes):
        synsets[i, 0] = (ids[wnid], wnid, words, "", 0, np.zeros((1, 0)), 0, 0)
    children = np.arange(1, n + 1, dtype=np.float64).reshape(1, -1)
    synsets[n, 0] = (n + 1, "n00001740", "entity", "", n, children, 1, 0)
    data = root / "ILSVRC2012_devkit_t12" / "data"
    data.mkdir(parents=True, exist_ok=True)
    savemat(data / "meta.mat", {"synsets": synsets})
    lines = "".join(f"{ids[item.wnid]}\n" for item in val)
    (data / "ILSVRC2012_validation_ground_truth.txt").write_text(lines)


def make_miniature_ilsvrc(
    root: str | Path,
    classes: int = 3,
    train_per_class: int = 4,
    val_images: int = 6,
    size: tuple[int, int] = (80, 64),
    seed: int = 0,
    val_boxes: str = "xml",
    val_layout: str = "flat",
) -> Path:
    """Write a miniature ILSVRC 2012 tree under ``root`` (created) and return ``root``.

    ``size`` is ``(width, height)`` of every image; ``val_boxes`` is ``"xml"``, ``"csv"``
    or ``"both"``; ``val_layout`` ``"flat"`` or ``"folders"`` (``val/<wnid>/``). The same
    arguments give the same bytes.
    """
    for name, value, low in (("classes", classes, 1), ("train_per_class", train_per_class, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            fail(name, f"an int >= {low}", repr(value))
    if isinstance(val_images, bool) or not isinstance(val_images, int) or val_images < 1:
        fail("val_images", "an int >= 1", repr(val_images))
    if not (isinstance(size, tuple) and len(size) == 2 and all(isinstance(s, int) for s in size)):
        fail("size", "(width, height) ints", repr(size))
    if min(size) < 8:
        fail("size", "(width, height) of at least 8 pixels each", repr(size))
    if val_boxes not in VAL_BOXES:
        fail("val_boxes", f"one of {VAL_BOXES}", repr(val_boxes))
    if val_layout not in VAL_LAYOUTS:
        fail("val_layout", f"one of {VAL_LAYOUTS}", repr(val_layout))
    root = Path(root)
    class_list = miniature_classes(classes)
    index = {w: i for i, (w, _) in enumerate(class_list)}
    rng = np.random.default_rng([seed, 0])
    for wnid, _ in class_list:
        folder = root / "train" / wnid
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(1, train_per_class + 1):
            image = _image(rng, size, [(index[wnid], _corners(rng, size))])
            image.save(folder / f"{wnid}_{k}.JPEG", quality=90)
    val = miniature_annotations(classes, val_images, size, seed)
    for item in val:
        folder = root / "val" / (item.wnid if val_layout == "folders" else "")
        folder.mkdir(parents=True, exist_ok=True)
        image = _image(rng, size, [(index[o.wnid], o.corners) for o in item.objects])
        image.save(folder / f"{item.name}.JPEG", quality=90)
    if val_boxes in ("xml", "both"):
        (root / "val_xml").mkdir(parents=True, exist_ok=True)
        for item in val:
            (root / "val_xml" / f"{item.name}.xml").write_text(_xml(item, size))
    if val_boxes in ("csv", "both"):
        order = rng.permutation(len(val))
        with (root / "LOC_val_solution.csv").open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["ImageId", "PredictionString"])
            for i in order:
                item = val[int(i)]
                cells = " ".join(f"{o.wnid} {' '.join(map(str, o.corners))}" for o in item.objects)
                writer.writerow([item.name, cells + " "])
        mapping = "".join(f"{w} {words}\n" for w, words in class_list)
        (root / "LOC_synset_mapping.txt").write_text(mapping)
    _devkit(root, class_list, val)
    return root


def miniature_counts(
    classes: int = 3, train_per_class: int = 4, val_images: int = 6, val_boxes: str = "xml"
) -> dict[str, int | dict[str, int]]:
    """``expected_counts`` for :func:`~cam_core.datasets.manifest_check.check_dataset` here."""
    counts: dict[str, int | dict[str, int]] = {
        "train": {"files": classes * train_per_class, "folders": classes},
        "val": val_images,
    }
    if val_boxes in ("xml", "both"):
        counts["val_xml"] = val_images
    return counts
