"""Record types every dataset reader returns: :class:`TargetSet`, :class:`FileImages`,
:class:`ResizedImages`.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from cam_core.fingerprint import dataset_fingerprint
from cam_core.nets import models
from cam_core.validate import InputError, check_boxes, check_count, fail

__all__ = [
    "TargetSet",
    "FileImages",
    "ResizedImages",
]


# --------------------------------------------------------------------------- target sets


@dataclass(frozen=True)
class TargetSet:
    """A labelled image set with fixed splits.

    ``images``: uint8 ``(N, H, W, 3)``, or any sequence of uint8 ``(H_i, W_i, 3)`` arrays
    with a ``fingerprint`` attribute (images read from disk); ``labels`` int64 ``(N,)``
    indexing ``class_names``; ``boxes`` float64 ``(N, 4)`` object boxes in each image's own
    pixels (project convention), when known; ``splits``: fixed (train, test) index pairs
    (published splits, or spatially disjoint folds), else None (see :func:`make_splits`).
    """

    name: str
    images: Sequence[np.ndarray]
    labels: np.ndarray
    class_names: tuple[str, ...]
    boxes: np.ndarray | None = None
    splits: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None
    description: str = ""
    metric: str = "accuracy"
    extra: Mapping[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def fingerprint(self) -> str:
        """sha256 over the images (or their files' fingerprint), labels and boxes."""
        if isinstance(self.images, np.ndarray):
            head = dataset_fingerprint(self.images)
        else:
            head = str(getattr(self.images, "fingerprint", ""))
            if not head:
                fail("images", "a uint8 array or a sequence with a fingerprint", "no fingerprint")
        arrays = [self.labels] + ([] if self.boxes is None else [self.boxes])
        return hashlib.sha256((head + dataset_fingerprint(*arrays)).encode()).hexdigest()


class FileImages(Sequence):
    """Images read from disk on access: ``files[i]`` relative to ``root`` -> uint8
    ``(H, W, 3)`` RGB. ``sizes`` ``(N, 2)`` (H, W) come from the file headers (read once);
    ``fingerprint`` hashes the relative paths and file sizes (cheap, no image decoding).
    ``dataset`` names the data set in error messages."""

    def __init__(self, root: str | Path, files: Sequence[str], dataset: str = "images") -> None:
        self.root = Path(root)
        self.files = list(files)
        self.dataset = dataset
        self._sizes: np.ndarray | None = None
        self._fingerprint: str | None = None

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> np.ndarray:  # type: ignore[override]

        rel = self.files[int(i)]
        try:
            with Image.open(self.root / rel) as im:
                return np.asarray(im.convert("RGB"))
        except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
            raise InputError(f"{self.dataset}: {rel}: cannot read image ({exc})") from None

    @property
    def sizes(self) -> np.ndarray:
        """``(N, 2)`` image (H, W) from the headers."""
        if self._sizes is None:
            out = np.zeros((len(self.files), 2), dtype=np.int64)
            for i, rel in enumerate(self.files):
                try:
                    with Image.open(self.root / rel) as im:
                        out[i] = im.size[1], im.size[0]
                except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
                    raise InputError(f"{self.dataset}: {rel}: cannot read image ({exc})") from None
            self._sizes = out
        return self._sizes

    @property
    def fingerprint(self) -> str:
        """sha256 over the relative paths and byte sizes of the files."""
        if self._fingerprint is None:
            h = hashlib.sha256(self.dataset.encode())
            for rel in self.files:
                try:
                    size = (self.root / rel).stat().st_size
                except OSError:
                    raise InputError(f"{self.dataset}: {rel}: missing image file") from None
                h.update(f"{rel}\0{size}\n".encode())
            self._fingerprint = h.hexdigest()
        return self._fingerprint


# --------------------------------------------------------------------------- images to tensors


class ResizedImages(Dataset):
    """(image float32 ``(3, size, size)`` ImageNet-normalised, index) for each uint8 image of
    ``images``, first cropped to ``boxes`` ``(N, 4)`` (own pixels, rounded outwards) if given,
    then resized (bilinear, antialiased when shrinking) to ``size`` x ``size``."""

    def __init__(
        self,
        images: Sequence[np.ndarray],
        size: int,
        boxes: np.ndarray | None = None,
        indices: Sequence[int] | np.ndarray | None = None,
    ) -> None:
        self.images = images
        self.size = check_count("size", size, 1)
        self.indices = np.arange(len(images)) if indices is None else np.asarray(indices)
        if boxes is not None:
            boxes = check_boxes("boxes", boxes)
            if boxes.shape != (len(images), 4):
                fail("boxes", f"shape ({len(images)}, 4)", f"shape {boxes.shape}")
        self.boxes = boxes
        self.mean = torch.tensor(models.IMAGENET_MEAN).view(3, 1, 1)
        self.std = torch.tensor(models.IMAGENET_STD).view(3, 1, 1)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, j: int) -> tuple[torch.Tensor, int]:
        i = int(self.indices[j])
        img = np.asarray(self.images[i])
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            fail(f"images[{i}]", "a uint8 (H, W, 3) image", f"{img.dtype} {img.shape}")
        if self.boxes is not None:
            img = crop_to_box(img, self.boxes[i])
        x = torch.from_numpy(np.array(img)).permute(2, 0, 1).float()[None] / 255.0
        if x.shape[-2:] != (self.size, self.size):
            shrink = min(x.shape[-2:]) > self.size
            x = F.interpolate(x, (self.size, self.size), mode="bilinear", antialias=shrink)
        return ((x[0] - self.mean) / self.std).float(), i


def crop_to_box(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The part of ``image`` (H, W, 3) inside ``box`` (x0, y0, x1, y1), rounded outwards and
    clipped to the image; at least one pixel."""
    h, w = image.shape[:2]
    x0 = int(np.clip(np.floor(box[0]), 0, w - 1))
    y0 = int(np.clip(np.floor(box[1]), 0, h - 1))
    x1 = int(np.clip(np.ceil(box[2]), x0 + 1, w))
    y1 = int(np.clip(np.ceil(box[3]), y0 + 1, h))
    return image[y0:y1, x0:x1]


def image_sizes(images: Sequence[np.ndarray]) -> np.ndarray:
    """``(N, 2)`` (H, W) of every image (one shape read for a uint8 array stack)."""
    if isinstance(images, np.ndarray):
        return np.tile(np.array(images.shape[1:3]), (len(images), 1))
    sizes = getattr(images, "sizes", None)
    if sizes is not None:
        return np.asarray(sizes)
    return np.array([np.asarray(images[i]).shape[:2] for i in range(len(images))])


def read_xml_root(path: Path, dataset: str, tag: str, missing: str = "missing file") -> ET.Element:
    """The root element of the XML file ``path``, which must be ``<tag>``; one-line errors
    (``"<dataset>: <path>: ..."``) for a missing file, malformed XML or another root."""
    where = f"{dataset}: {path}"
    if not path.is_file():
        raise InputError(f"{where}: {missing}")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InputError(f"{where}: malformed XML ({exc})") from None
    if root.tag != tag:
        raise InputError(f"{where}: expected a <{tag}> root element, got <{root.tag}>")
    return root
