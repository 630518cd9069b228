"""Street View Text reader (Figure 11 at ``full`` scale).

Layout (``data/manifests/svt.yaml``), under the SVT root (``svt1/`` of ``svt.zip``):

- ``img/<nn>_<nn>.jpg``: the 349 Google Street View images;
- ``train.xml`` (100 images) and ``test.xml`` (249 images), each
  ``<tagset><image><imageName>img/14_03.jpg</imageName><address>...</address>
  <lex>WORD,WORD,...</lex><Resolution x="1280" y="880"/><taggedRectangles>
  <taggedRectangle height="75" width="236" x="375" y="253"><tag>LIVING</tag>
  </taggedRectangle>...</taggedRectangles></image>...</tagset>``.

A tagged rectangle's ``x, y`` is its top-left pixel counted from 0 and ``width``/``height``
its extent, so its box in the project convention is ``(x, y, x + width, y + height)``
(pixel edges, x1/y1 exclusive). Only the words of nearby businesses are tagged; other text
in an image is not. Bad input (a missing or malformed XML file, a missing element or
attribute, a non-integer number, an empty box, a listed image missing) is a one-line
:class:`~cam_core.validate.InputError` naming the file and the image; a box reaching outside
its image's ``Resolution`` is an error too, or with ``bad_boxes="skip"`` is dropped and
counted in :attr:`SvtSplit.skipped_boxes`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cam_core.datasets.base import FileImages, read_xml_root
from cam_core.validate import InputError, fail

__all__ = [
    "DATASET",
    "SPLITS",
    "SvtImage",
    "SvtSplit",
    "locate",
    "read_svt",
    "union_box",
]

DATASET = "svt"
SPLITS = ("train", "test")
_SUBDIRS = ("svt1", "svt", "SVT", "svt/svt1", "street-view-text")


def locate(data_root: str | Path) -> Path:
    """The SVT root under ``data_root``: the first of ``svt1/``, ``svt/``, ``SVT/``,
    ``svt/svt1/``, ``street-view-text/`` or ``data_root`` itself that holds ``test.xml``."""
    if data_root is None:
        fail("data_root", "the folder holding svt1/ (profile full)", "None")
    root = Path(data_root)
    for candidate in (*(root / s for s in _SUBDIRS), root):
        if (candidate / "test.xml").is_file():
            return candidate
    fail(
        "data_root",
        f"a folder with svt1/test.xml ({DATASET}; see data/manifests/svt.yaml; tried "
        f"{', '.join(_SUBDIRS)})",
        str(root),
    )
    raise AssertionError


@dataclass(frozen=True)
class SvtImage:
    """One annotated image: ``file`` relative to the root, its ``Resolution`` (width,
    height) in pixels, word boxes ``(M, 4)`` pixel edges and their tags, and its lexicon."""

    file: str
    width: int
    height: int
    boxes: np.ndarray
    words: tuple[str, ...]
    lexicon: tuple[str, ...]
    address: str


@dataclass(frozen=True)
class SvtSplit:
    """The images of ``train.xml`` or ``test.xml`` in file order, and how many boxes were
    dropped (``bad_boxes="skip"``) for reaching outside their image."""

    root: Path
    split: str
    images: tuple[SvtImage, ...]
    skipped_boxes: int = 0

    def __len__(self) -> int:
        return len(self.images)

    @property
    def files(self) -> FileImages:
        """The images, read from disk on access (uint8 ``(H, W, 3)``)."""
        return FileImages(self.root, [im.file for im in self.images], DATASET)

    @property
    def union_boxes(self) -> np.ndarray:
        """``(N, 4)``: per image the smallest box holding all its word boxes (0s if none)."""
        return np.array([union_box(im.boxes) for im in self.images]).reshape(-1, 4)


def union_box(boxes: np.ndarray) -> np.ndarray:
    """The smallest box ``(4,)`` holding every box of ``boxes`` ``(M, 4)``; 0s when M = 0."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(b) == 0:
        return np.zeros(4)
    return np.r_[b[:, :2].min(axis=0), b[:, 2:].max(axis=0)]


def _int_attr(where: str, element: ET.Element, name: str) -> int:
    value = element.get(name)
    if value is None:
        raise InputError(f"{where}: missing attribute {name}=")
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{where}: attribute {name}={value!r} is not an integer") from None


def _text(where: str, element: ET.Element, tag: str, required: bool = True) -> str:
    child = element.find(tag)
    if child is None or child.text is None or not child.text.strip():
        if required:
            raise InputError(f"{where}: missing <{tag}>")
        return ""
    return child.text.strip()


def read_svt(root: str | Path, split: str, bad_boxes: str = "error") -> SvtSplit:
    """Read ``<root>/<split>.xml`` (``split``: "train" or "test") and check that every
    listed image exists. ``bad_boxes``: "error" (a box outside its image is an InputError)
    or "skip" (such boxes are dropped and counted)."""
    if split not in SPLITS:
        fail("split", "'train' or 'test'", repr(split))
    if bad_boxes not in ("error", "skip"):
        fail("bad_boxes", "'error' or 'skip'", repr(bad_boxes))
    root = Path(root)
    path = root / f"{split}.xml"
    missing = "missing file (expected train.xml, test.xml)"
    tagset = read_xml_root(path, DATASET, "tagset", missing)
    images, skipped = [], 0
    for number, node in enumerate(tagset.findall("image"), 1):
        where = f"{DATASET}: {path.name}: image {number}"
        name = _text(where, node, "imageName")
        where = f"{DATASET}: {path.name}: {name}"
        res = node.find("Resolution")
        if res is None:
            raise InputError(f"{where}: missing <Resolution>")
        width, height = _int_attr(where, res, "x"), _int_attr(where, res, "y")
        if width < 1 or height < 1:
            raise InputError(f"{where}: expected a positive Resolution, got {width} x {height}")
        boxes, words = [], []
        rects = node.find("taggedRectangles")
        for rect in [] if rects is None else rects.findall("taggedRectangle"):
            x, y = _int_attr(where, rect, "x"), _int_attr(where, rect, "y")
            w, h = _int_attr(where, rect, "width"), _int_attr(where, rect, "height")
            word = _text(where, rect, "tag", required=False)
            if w < 1 or h < 1:
                raise InputError(f"{where}: word {word!r}: expected a positive width and "
                                 f"height, got {w} x {h}")  # fmt: skip
            if x < 0 or y < 0 or x + w > width or y + h > height:
                if bad_boxes == "skip":
                    skipped += 1
                    continue
                raise InputError(
                    f"{where}: word {word!r}: box (x={x}, y={y}, width={w}, height={h}) "
                    f"outside the {width} x {height} image"
                )
            boxes.append((x, y, x + w, y + h))
            words.append(word)
        lex = _text(where, node, "lex", required=False)
        images.append(
            SvtImage(
                name,
                width,
                height,
                np.array(boxes, dtype=np.float64).reshape(-1, 4),
                tuple(words),
                tuple(v.strip() for v in lex.split(",") if v.strip()),
                _text(where, node, "address", required=False),
            )
        )
    if not images:
        raise InputError(f"{DATASET}: {path}: no <image> entries")
    for im in images:
        if not (root / im.file).is_file():
            raise InputError(f"{DATASET}: {path.name}: lists {im.file}, missing under {root}")
    return SvtSplit(root, split, tuple(images), skipped)
