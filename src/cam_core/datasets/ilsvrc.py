"""ILSVRC 2012 readers: train folders by WordNet id, val images with labels and boxes.

Layouts (also in ``data/manifests/ilsvrc2012.yaml``; the first present path wins):

- train: ``train/<wnid>/<wnid>_<n>.JPEG`` (or Kaggle's ``ILSVRC/Data/CLS-LOC/train``);
- val images: ``val/ILSVRC2012_val_<8 digits>.JPEG``, flat or in ``val/<wnid>/`` folders
  (torchvision's layout), or Kaggle's ``ILSVRC/Data/CLS-LOC/val``;
- val boxes: per-image PASCAL-VOC XML ``val_xml/<name>.xml`` (``ILSVRC2012_bbox_val_v3.tgz``;
  Kaggle: ``ILSVRC/Annotations/CLS-LOC/val``) or Kaggle's ``LOC_val_solution.csv``
  (``ImageId,PredictionString`` with ``"wnid xmin ymin xmax ymax wnid ..."``);
- class lists: Kaggle's ``LOC_synset_mapping.txt`` or the devkit's
  ``ILSVRC2012_devkit_t12/data/meta.mat`` (+ ``ILSVRC2012_validation_ground_truth.txt``).

Class index order is the **sorted WordNet ids**, whatever file lists them. That is
torchvision's ImageNet order (``ImageFolder`` sorts class folders; ``datasets.ImageNet``
inherits it) and the order of torchvision's pretrained classifiers, whose names
:func:`~cam_core.nets.pretrained.imagenet_categories` returns (0 = n01440764 "tench"). It is not
the devkit's ``ILSVRC2012_ID`` order, which is only used to decode the devkit's val labels.

Boxes are ``(x0, y0, x1, y1)`` float64 in pixel-edge coordinates, x1/y1 exclusive (the
convention of :mod:`cam_core.core.boxes`). ILSVRC's integer corners are 1-based inclusive pixels,
so ``xmin, ymin, xmax, ymax`` becomes ``(xmin - 1, ymin - 1, xmax, ymax)`` (width
``xmax - xmin + 1``). Kaggle's CSV holds the same numbers as the XML files.

Box checks, per image, against the decoded image size: a box with ``x1 <= x0`` or
``y1 <= y0`` or lying entirely outside the image is an error (``"bad_box"``); a box partly
outside is clipped to the image and counted as a warning (``dataset.warnings["box_clipped"]``),
since ILSVRC has boxes one pixel past the border and dropping those images would bias the set.

Bad input never passes silently: each problem is a one-line message naming the file. With
``on_error="stop"`` the first raises :class:`~cam_core.validate.InputError`; with ``"skip"``
the image is left out and listed in ``dataset.skipped[reason]`` (``dataset.caveats()`` gives
lines for a table's caveats). Problems are found when the dataset is built (a header read
and a check for the JPEG end marker per image), so ``len(dataset)`` is final and sharded
evaluation stays aligned; an image that still fails to decode later raises.
"""

import csv
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.io import loadmat

from cam_core.nets.pretrained import imagenet_categories
from cam_core.validate import InputError, fail

DATASET = "ilsvrc2012"
TRAIN_DIRS = ("train", "ILSVRC/Data/CLS-LOC/train")
VAL_DIRS = ("val", "ILSVRC/Data/CLS-LOC/val")
VAL_XML_DIRS = ("val_xml", "ILSVRC/Annotations/CLS-LOC/val")
VAL_CSV = "LOC_val_solution.csv"
SYNSET_MAPPING = "LOC_synset_mapping.txt"
DEVKIT_META = "ILSVRC2012_devkit_t12/data/meta.mat"
DEVKIT_VAL_GT = "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt"
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")
NUM_CLASSES = 1000

BOX_SOURCES = ("auto", "xml", "csv")
RESIZES = ("squash", "shorter_crop")
ON_ERROR = ("skip", "stop")
REASONS = {
    "corrupt_image": "image cannot be read",
    "missing_annotation": "no box annotation",
    "bad_annotation": "annotation cannot be parsed",
    "unknown_wnid": "class not in the class list",
    "bad_box": "box empty or outside the image",
    "size_mismatch": "annotation size differs from the image",
    "no_box_for_label": "no box of the image's own class",
}
WARNINGS = {
    "box_clipped": "box partly outside the image, clipped",
    "box_cropped_out": "box outside the centre crop, dropped",
}

_WNID = re.compile(r"n\d{8}")
VAL_INDEX = re.compile(r"ILSVRC2012_val_(\d{8})")


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class IlsvrcLayout:
    """Where the parts of an ILSVRC tree are (``None``: absent)."""

    root: Path
    train: Path | None
    val: Path | None
    val_xml: Path | None
    val_csv: Path | None
    synset_mapping: Path | None
    devkit_meta: Path | None
    devkit_val_gt: Path | None

    def rel(self, path: Path) -> str:
        """``path`` relative to the root, for messages."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def _first_dir(root: Path, options: Sequence[str]) -> Path | None:
    return next((root / o for o in options if (root / o).is_dir()), None)


def _file(root: Path, rel: str) -> Path | None:
    return root / rel if (root / rel).is_file() else None


def find_layout(root: str | Path) -> IlsvrcLayout:
    """Locate train/val/boxes/class-list files under ``root`` (InputError if not a folder)."""
    if not isinstance(root, str | os.PathLike):
        fail("root", "an ILSVRC 2012 folder path", type(root).__name__)
    root = Path(root).expanduser()
    if not root.is_dir():
        fail("root", "an existing ILSVRC 2012 folder (see data/manifests/ilsvrc2012.yaml)", root)
    return IlsvrcLayout(
        root=root,
        train=_first_dir(root, TRAIN_DIRS),
        val=_first_dir(root, VAL_DIRS),
        val_xml=_first_dir(root, VAL_XML_DIRS),
        val_csv=_file(root, VAL_CSV),
        synset_mapping=_file(root, SYNSET_MAPPING),
        devkit_meta=_file(root, DEVKIT_META),
        devkit_val_gt=_file(root, DEVKIT_VAL_GT),
    )


# --------------------------------------------------------------------------- class lists


def read_synset_mapping(path: str | Path) -> dict[str, str]:
    """Kaggle ``LOC_synset_mapping.txt`` -> ``{wnid: "name, other name"}`` in file order."""
    out: dict[str, str] = {}
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            wnid, _, words = line.strip().partition(" ")
            if not _WNID.fullmatch(wnid) or wnid in out:
                raise InputError(f"{DATASET}: {path}: line {number}: expected '<wnid> <names>'")
            out[wnid] = words.strip()
    return out


def read_devkit_meta(path: str | Path) -> tuple[dict[str, str], dict[int, str]]:
    """Devkit ``meta.mat`` -> ``({wnid: words}, {ILSVRC2012_ID: wnid})`` for the leaf classes."""

    try:
        synsets = loadmat(str(path), squeeze_me=True)["synsets"]
        rows = [tuple(s) for s in np.atleast_1d(synsets)]
        names = synsets.dtype.names
        col = {k: names.index(k) for k in ("ILSVRC2012_ID", "WNID", "words", "num_children")}
    except (OSError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InputError(f"{DATASET}: {path}: not a devkit meta.mat ({exc})") from exc
    leaves = [r for r in rows if int(r[col["num_children"]]) == 0]
    words = {str(r[col["WNID"]]): str(r[col["words"]]) for r in leaves}
    ids = {int(r[col["ILSVRC2012_ID"]]): str(r[col["WNID"]]) for r in leaves}
    return words, ids


def ilsvrc_classes(root: str | Path) -> tuple[list[str], str]:
    """The class list of the tree at ``root`` as sorted wnids, and the file it came from.

    Sources, first present: ``LOC_synset_mapping.txt``, devkit ``meta.mat``, the train
    folders, the val folders. The full dataset has 1000 (``len(imagenet_categories())``).
    """
    lay = find_layout(root)
    if lay.synset_mapping is not None:
        return sorted(read_synset_mapping(lay.synset_mapping)), lay.rel(lay.synset_mapping)
    if lay.devkit_meta is not None:
        return sorted(read_devkit_meta(lay.devkit_meta)[0]), lay.rel(lay.devkit_meta)
    for folder in (lay.train, lay.val):
        if folder is not None:
            wnids = sorted(
                e.name for e in os.scandir(folder) if e.is_dir() and _WNID.fullmatch(e.name)
            )
            if wnids:
                return wnids, lay.rel(folder) + "/"
    fail(
        "root",
        f"an ILSVRC tree with {SYNSET_MAPPING}, {DEVKIT_META} or train/<wnid>/ folders",
        str(lay.root),
    )
    raise AssertionError


def ilsvrc_class_names(wnids: Sequence[str], root: str | Path | None = None) -> list[str]:
    """Readable names for ``wnids``: from the tree's class-list files, else torchvision's
    1000 categories when ``wnids`` is the full list, else the wnids themselves."""
    words: dict[str, str] = {}
    if root is not None:
        lay = find_layout(root)
        if lay.synset_mapping is not None:
            words = read_synset_mapping(lay.synset_mapping)
        elif lay.devkit_meta is not None:
            words = read_devkit_meta(lay.devkit_meta)[0]
    if not words and len(wnids) == NUM_CLASSES:
        return imagenet_categories()
    return [words.get(w, w).split(",")[0].strip() for w in wnids]


def check_class_list(classes: object) -> list[str]:
    if isinstance(classes, str) or not isinstance(classes, Sequence) or not classes:
        fail("classes", "a non-empty sequence of wnids such as 'n01440764'", repr(classes)[:60])
    bad = [c for c in classes if not isinstance(c, str) or not _WNID.fullmatch(c)]
    if bad:
        fail("classes", "wnids such as 'n01440764'", repr(bad[0]))
    if len(set(classes)) != len(classes):
        fail("classes", "distinct wnids", "a repeated wnid")
    return list(classes)


# --------------------------------------------------------------------------- annotations


@dataclass
class Annotation:
    """Boxes of one val image: wnids ``(G,)``, boxes ``(G, 4)`` pixel edges, and the image
    size ``(width, height)`` the annotation states (``None`` for the CSV)."""

    wnids: list[str]
    boxes: np.ndarray
    size: tuple[int, int] | None = None


def ilsvrc_to_edges(corners: np.ndarray) -> np.ndarray:
    """ILSVRC 1-based inclusive ``(xmin, ymin, xmax, ymax)`` ``(..., 4)`` -> pixel-edge boxes."""
    c = np.asarray(corners, dtype=np.float64)
    return np.stack([c[..., 0] - 1, c[..., 1] - 1, c[..., 2], c[..., 3]], axis=-1)


def read_val_xml(path: str | Path) -> Annotation:
    """One PASCAL-VOC style ILSVRC XML file -> :class:`Annotation` (ValueError if malformed)."""
    try:
        tree = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"not valid XML ({exc})") from exc
    size = None
    width, height = tree.findtext("size/width"), tree.findtext("size/height")
    if width is not None and height is not None:
        size = (int(width), int(height))
    wnids, corners = [], []
    for obj in tree.iter("object"):
        name = (obj.findtext("name") or "").strip()
        vals = [obj.findtext(f"bndbox/{k}") for k in ("xmin", "ymin", "xmax", "ymax")]
        if not name or any(v is None for v in vals):
            raise ValueError("an <object> without <name> or <bndbox> xmin/ymin/xmax/ymax")
        wnids.append(name)
        corners.append([float(v) for v in vals])
    if not wnids:
        raise ValueError("no <object>")
    return Annotation(wnids, ilsvrc_to_edges(np.array(corners)), size)


def read_val_csv(path: str | Path) -> tuple[dict[str, Annotation], dict[str, str]]:
    """Kaggle ``LOC_val_solution.csv`` -> ``({image id: Annotation}, {image id: problem})``.

    Rows are ``ImageId,PredictionString`` with ``"wnid xmin ymin xmax ymax"`` repeated;
    malformed rows are returned as problems, not raised, so they can be skipped per image.
    """
    good: dict[str, Annotation] = {}
    bad: dict[str, str] = {}
    with Path(path).open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or [h.strip() for h in header[:2]] != ["ImageId", "PredictionString"]:
            raise InputError(f"{DATASET}: {path}: expected the header ImageId,PredictionString")
        for number, row in enumerate(reader, 2):
            if not row:
                continue
            image_id = row[0].strip()
            tokens = row[1].split() if len(row) > 1 else []
            if image_id in good or image_id in bad:
                bad[image_id] = f"line {number}: a second row for {image_id}"
                good.pop(image_id, None)
                continue
            try:
                if not tokens or len(tokens) % 5:
                    raise ValueError
                wnids = tokens[0::5]
                corners = np.array(
                    [[float(t) for t in tokens[i + 1 : i + 5]] for i in range(0, len(tokens), 5)]
                )
            except ValueError:
                bad[image_id] = f"line {number}: expected 'wnid xmin ymin xmax ymax' groups"
                continue
            good[image_id] = Annotation(list(wnids), ilsvrc_to_edges(corners))
    return good, bad


def read_devkit_val_labels(gt_path: str | Path, meta_path: str | Path) -> list[str]:
    """Devkit val labels as wnids, in val image order (line ``i`` = image ``i``)."""
    ids = read_devkit_meta(meta_path)[1]
    out = []
    with Path(gt_path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    out.append(ids[int(line)])
                except (KeyError, ValueError) as exc:
                    raise InputError(
                        f"{DATASET}: {gt_path}: line {number}: not an ILSVRC2012_ID of meta.mat"
                    ) from exc
    return out


# --------------------------------------------------------------------------- geometry


def resized_size(w: int, h: int, short: int) -> tuple[int, int]:
    """torchvision ``Resize(short)``: shorter side -> ``short``, longer side truncated."""
    return (short, int(short * h / w)) if w <= h else (int(short * w / h), short)


def crop_offset(new_w: int, new_h: int, size: int) -> tuple[int, int]:
    """torchvision ``CenterCrop`` top-left corner."""
    return int(round((new_w - size) / 2.0)), int(round((new_h - size) / 2.0))


def transform_boxes(
    boxes: np.ndarray,
    image_size: tuple[int, int],
    size: int = 224,
    resize: str = "squash",
    resize_to: int = 256,
) -> np.ndarray:
    """Boxes ``(G, 4)`` in a ``(width, height)`` image -> the same boxes in the transformed
    ``size x size`` image (see :class:`IlsvrcVal`); with ``shorter_crop`` they are clipped
    to the crop and may become empty (zero area)."""
    w, h = image_size
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if resize == "squash":
        return b * np.array([size / w, size / h, size / w, size / h])
    new_w, new_h = resized_size(w, h, resize_to)
    left, top = crop_offset(new_w, new_h, size)
    out = b * np.array([new_w / w, new_h / h, new_w / w, new_h / h])
    out -= np.array([left, top, left, top], dtype=np.float64)
    return np.clip(out, 0.0, float(size))
