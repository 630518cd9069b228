"""ILSVRC2012 train/val as torch datasets, with checked JPEGs and the paper's crops."""

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from cam_core.datasets.ilsvrc import (
    BOX_SOURCES,
    DATASET,
    IMAGE_SUFFIXES,
    ON_ERROR,
    REASONS,
    RESIZES,
    TRAIN_DIRS,
    VAL_CSV,
    VAL_DIRS,
    VAL_INDEX,
    VAL_XML_DIRS,
    WARNINGS,
    Annotation,
    check_class_list,
    crop_offset,
    find_layout,
    ilsvrc_classes,
    read_devkit_val_labels,
    read_val_csv,
    read_val_xml,
    resized_size,
    transform_boxes,
)
from cam_core.nets.models import IMAGENET_MEAN, IMAGENET_STD
from cam_core.nets.pretrained import preprocess_imagenet
from cam_core.validate import InputError, fail


def _transform_image(
    image: Image.Image, size: int, resize: str, resize_to: int, normalize: bool
) -> torch.Tensor:
    image = image.convert("RGB")
    w, h = image.size
    if resize == "squash":
        image = image.resize((size, size), Image.Resampling.BILINEAR)
    else:
        new_w, new_h = resized_size(w, h, resize_to)
        image = image.resize((new_w, new_h), Image.Resampling.BILINEAR)
        left, top = crop_offset(new_w, new_h, size)
        image = image.crop((left, top, left + size, top + size))
    x = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
    if normalize:
        x = (x - torch.tensor(IMAGENET_MEAN).view(3, 1, 1)) / torch.tensor(IMAGENET_STD).view(
            3, 1, 1
        )
    return x.contiguous()


# --------------------------------------------------------------------------- problems


class _Bad(Exception):
    def __init__(self, reason: str, file: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.file, self.message = reason, file, message


def _has_jpeg_end(path: Path) -> bool:
    """Whether the end-of-image marker sits in the file's last 4 KiB (truncation check)."""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - 4096))
        return b"\xff\xd9" in fh.read()


def _probe(path: Path, rel: str, verify: str) -> tuple[int, int]:
    """Image ``(width, height)`` from its header; decodes it fully with ``verify="decode"``
    or when a JPEG lacks its end marker. Raises ``_Bad("corrupt_image")``."""
    try:
        with Image.open(path) as im:
            size = im.size
            if verify == "decode" or (im.format == "JPEG" and not _has_jpeg_end(path)):
                im.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _Bad("corrupt_image", rel, f"{DATASET}: {rel}: cannot read image ({exc})") from exc
    return size


def _load(path: Path, rel: str) -> Image.Image:
    try:
        with Image.open(path) as im:
            im.load()
            return im.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(
            f"{DATASET}: {rel}: cannot decode image ({exc}); build the dataset with "
            "verify='decode' to skip such files up front"
        ) from exc


class _Errors:
    """Skip-or-stop bookkeeping shared by both datasets."""

    def __init__(self, on_error: str) -> None:
        if on_error not in ON_ERROR:
            fail("on_error", f"one of {ON_ERROR}", repr(on_error))
        self.on_error = on_error
        self.skipped: dict[str, list[str]] = {}
        self.warnings: dict[str, list[str]] = {}
        self.messages: list[str] = []

    def bad(self, problem: _Bad) -> None:
        if self.on_error == "stop":
            raise InputError(problem.message)
        self.skipped.setdefault(problem.reason, []).append(problem.file)
        self.messages.append(problem.message)

    def warn(self, reason: str, file: str, message: str) -> None:
        self.warnings.setdefault(reason, []).append(file)
        self.messages.append(message)

    def caveats(self, limit: int = 3) -> list[str]:
        """``"<reason>: <n> image(s) skipped|kept (<why>): file, file, ..."`` per reason."""
        lines = []
        for kind, table, verb in (
            (self.skipped, REASONS, "skipped"),
            (self.warnings, WARNINGS, "kept"),
        ):
            for reason, files in sorted(kind.items()):
                shown = ", ".join(files[:limit]) + (", ..." if len(files) > limit else "")
                what = f"{len(files)} image{'s' * (len(files) != 1)}"
                lines.append(f"{reason}: {what} {verb} ({table[reason]}): {shown}")
        return lines


def _check_verify(verify: object, allowed: tuple[str, ...]) -> str:
    if verify not in allowed:
        fail("verify", f"one of {allowed}", repr(verify))
    return verify


def _image_files(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as it:
        return sorted(
            (e for e in it if e.name.lower().endswith(IMAGE_SUFFIXES) and e.is_file()),
            key=lambda e: e.name,
        )


# --------------------------------------------------------------------------- train


class _Reported:
    """What a dataset index read from disk left out or fixed, from its ``_errors``."""

    _errors: _Errors

    @property
    def skipped(self) -> dict[str, list[str]]:
        """Reason -> image files left out (see :data:`REASONS`)."""
        return self._errors.skipped

    @property
    def messages(self) -> list[str]:
        """One line per problem (or warning) found, in order."""
        return self._errors.messages

    def caveats(self) -> list[str]:
        """One line per skip (or warning) reason, for a table's caveats."""
        return self._errors.caveats()


class IlsvrcTrain(_Reported, Dataset):
    """``train/<wnid>/*.JPEG`` -> ``(transform(PIL RGB image), label)``.

    ``classes``: wnids in label order; ``None`` takes :func:`ilsvrc_classes` (sorted wnids
    of the tree's class list), and then a train folder absent from that list is an error
    (``"unknown_wnid"``). Given explicitly, it selects a subset: other folders are left out
    by request (``excluded_folders``), not as errors. ``transform`` defaults to
    :func:`cam_core.nets.pretrained.preprocess_imagenet` (shorter side 224, centre crop, mean/std).
    ``verify``: ``"none"`` (default: 1.28M header reads take minutes), ``"header"`` or
    ``"decode"``; only a verified corrupt image can be skipped, others raise when read.
    Samples are ordered by label, then file name (as ``ImageFolder``).
    """

    def __init__(
        self,
        root: str | Path,
        transform: Callable[[Image.Image], Any] | None = None,
        classes: Sequence[str] | None = None,
        on_error: str = "skip",
        verify: str = "none",
    ) -> None:
        self._errors = _Errors(on_error)
        self.verify = _check_verify(verify, ("none", "header", "decode"))
        if transform is not None and not callable(transform):
            fail("transform", "a callable on a PIL image", type(transform).__name__)
        self.transform = transform
        self.layout = lay = find_layout(root)
        if lay.train is None:
            fail("root", f"ILSVRC train folders at {lay.root / TRAIN_DIRS[0]}/<wnid>/", "none")
        if classes is None:
            self.classes, self.class_source = ilsvrc_classes(lay.root)
            explicit = False
        else:
            self.classes, self.class_source, explicit = check_class_list(classes), "classes", True
        self.class_to_idx = {w: i for i, w in enumerate(self.classes)}
        with os.scandir(lay.train) as it:
            folders = sorted(e.name for e in it if e.is_dir())
        if explicit:
            absent = [c for c in self.classes if c not in folders]
            if absent:
                fail(
                    "classes", f"wnids with a folder under {lay.train}", f"{absent[0]} (no folder)"
                )
        self.excluded_folders = [f for f in folders if explicit and f not in self.class_to_idx]
        self.samples: list[tuple[str, int]] = []
        for folder in folders:
            if folder in self.excluded_folders:
                continue
            for entry in _image_files(lay.train / folder):
                rel = lay.rel(Path(entry.path))
                try:
                    if folder not in self.class_to_idx:
                        raise _Bad(
                            "unknown_wnid",
                            rel,
                            f"{DATASET}: {rel}: class folder {folder} is not in the class list "
                            f"({len(self.classes)} wnids from {self.class_source})",
                        )
                    if self.verify != "none":
                        _probe(Path(entry.path), rel, self.verify)
                except _Bad as problem:
                    self._errors.bad(problem)
                    continue
                self.samples.append((rel, self.class_to_idx[folder]))
        self.samples.sort(key=lambda s: (s[1], s[0]))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        rel, label = self.samples[index]
        image = _load(self.layout.root / rel, rel)
        x = self.transform(image) if self.transform is not None else preprocess_imagenet(image)
        return x, label


# --------------------------------------------------------------------------- val


@dataclass
class ValRecord:
    """One kept val image: ``file`` (relative to the root), ``label``, the boxes in the
    original image ``(G, 4)`` (clipped) and transformed ``(G', 4)``, with class indices."""

    file: str
    label: int
    image_size: tuple[int, int]
    original_boxes: np.ndarray
    original_box_labels: np.ndarray
    boxes: np.ndarray
    box_labels: np.ndarray


class IlsvrcVal(_Reported, Dataset):
    """ILSVRC val -> ``(image (3, S, S) float32, label, boxes (G, 4) float64, box_labels (G,))``.

    Boxes are in the transformed image's pixel coordinates (edges, x1/y1 exclusive), so
    they can be compared directly with boxes from a ``S x S`` CAM. ``resize``:

    - ``"squash"`` (default): the whole image resized to ``S x S`` (bilinear, aspect not kept)
      and boxes scaled by ``S / W`` and ``S / H``. This is the released evaluation's geometry
      (``zhoubolei/CAM``: ``prepare_image.m`` squashes to 256x256 before its 10 crops,
      ``pytorch_CAM.py`` squashes to 224x224, and both resize the map back to the original
      size before boxing; a box corner maps exactly under the per-axis scale), so no
      ground truth is ever cropped away.
    - ``"shorter_crop"``: shorter side to ``resize_to`` (256) and a ``S`` centre crop, as
      torchvision evaluates classifiers; boxes are scaled, shifted and clipped to the crop,
      and boxes left with no area are dropped (``warnings["box_cropped_out"]``).

    ``boxes_source``: ``"xml"`` (``val_xml/``), ``"csv"`` (``LOC_val_solution.csv``) or
    ``"auto"`` (XML when present). Labels come from the val ``<wnid>/`` folder when foldered,
    else the devkit ground truth when present, else the first box's class (as in ILSVRC,
    where every box of a val image is of its class); the label's class must have a box.
    ``max_boxes``: pad boxes to ``(max_boxes, 4)`` with NaN and box labels with -1, so the
    default collate and ``train.map_batches`` work; ``None`` keeps ``(G, 4)``, use
    :func:`collate`. ``dataset.records`` holds the original-size boxes too.
    """

    def __init__(
        self,
        root: str | Path,
        boxes_source: str = "auto",
        size: int = 224,
        resize: str = "squash",
        resize_to: int = 256,
        classes: Sequence[str] | None = None,
        on_error: str = "skip",
        verify: str = "header",
        normalize: bool = True,
        max_boxes: int | None = None,
    ) -> None:
        self._errors = _Errors(on_error)
        self.verify = _check_verify(verify, ("header", "decode"))
        if boxes_source not in BOX_SOURCES:
            fail("boxes_source", f"one of {BOX_SOURCES}", repr(boxes_source))
        if resize not in RESIZES:
            fail("resize", f"one of {RESIZES}", repr(resize))
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            fail("size", "a positive int (pixels)", repr(size))
        if resize == "shorter_crop" and (not isinstance(resize_to, int) or resize_to < size):
            fail("resize_to", f"an int >= size ({size})", repr(resize_to))
        if max_boxes is not None and (not isinstance(max_boxes, int) or max_boxes < 1):
            fail("max_boxes", "a positive int or None", repr(max_boxes))
        self.size, self.resize, self.resize_to = size, resize, resize_to
        self.normalize, self.max_boxes = bool(normalize), max_boxes
        self.layout = lay = find_layout(root)
        if lay.val is None:
            fail("root", f"ILSVRC val images at {lay.root / VAL_DIRS[0]}/", "none")
        self.boxes_source = self._resolve_source(boxes_source)
        if classes is None:
            self.classes, self.class_source = ilsvrc_classes(lay.root)
        else:
            self.classes, self.class_source = check_class_list(classes), "classes"
        self.class_to_idx = {w: i for i, w in enumerate(self.classes)}
        devkit_labels = None
        if lay.devkit_val_gt is not None and lay.devkit_meta is not None:
            devkit_labels = read_devkit_val_labels(lay.devkit_val_gt, lay.devkit_meta)
        csv_rows: tuple[dict[str, Annotation], dict[str, str]] | None = None
        if self.boxes_source == "csv":
            csv_rows = read_val_csv(lay.val_csv)
        self.records: list[ValRecord] = []
        for entry, folder in self._val_images():
            try:
                self.records.append(self._record(Path(entry.path), folder, csv_rows, devkit_labels))
            except _Bad as problem:
                self._errors.bad(problem)
        self.records.sort(key=lambda r: Path(r.file).name)
        most = max((len(r.boxes) for r in self.records), default=0)
        if max_boxes is not None and most > max_boxes:
            worst = next(r.file for r in self.records if len(r.boxes) == most)
            fail("max_boxes", f">= {most} (the most boxes in one image, {worst})", max_boxes)

    def _resolve_source(self, source: str) -> str:
        lay = self.layout
        if source == "auto":
            source = "xml" if lay.val_xml is not None else "csv" if lay.val_csv is not None else ""
            if not source:
                fail(
                    "root",
                    f"val boxes in {VAL_XML_DIRS[0]}/ or {VAL_CSV}",
                    f"neither in {lay.root}",
                )
        if source == "xml" and lay.val_xml is None:
            fail("boxes_source", f"'xml' with a {lay.root / VAL_XML_DIRS[0]}/ folder", "no folder")
        if source == "csv" and lay.val_csv is None:
            fail("boxes_source", f"'csv' with {lay.root / VAL_CSV}", "no such file")
        return source

    def _val_images(self) -> list[tuple[os.DirEntry, str | None]]:
        out: list[tuple[os.DirEntry, str | None]] = []
        with os.scandir(self.layout.val) as it:
            subfolders = sorted(e.name for e in it if e.is_dir())
        out += [(e, None) for e in _image_files(self.layout.val)]
        for sub in subfolders:
            out += [(e, sub) for e in _image_files(self.layout.val / sub)]
        return out

    def _annotation(self, stem: str, rel: str, csv_rows) -> tuple[Annotation, str]:
        lay = self.layout
        if self.boxes_source == "xml":
            xml = lay.val_xml / f"{stem}.xml"
            where = lay.rel(xml)
            if not xml.is_file():
                raise _Bad(
                    "missing_annotation", rel, f"{DATASET}: {where}: missing (boxes of {rel})"
                )
            try:
                return read_val_xml(xml), where
            except (ValueError, OSError) as exc:
                raise _Bad("bad_annotation", rel, f"{DATASET}: {where}: {exc}") from exc
        good, bad = csv_rows
        where = f"{VAL_CSV} {stem}"
        if stem in bad:
            raise _Bad("bad_annotation", rel, f"{DATASET}: {VAL_CSV}: {bad[stem]} ({rel})")
        if stem not in good:
            raise _Bad(
                "missing_annotation", rel, f"{DATASET}: {VAL_CSV}: no row for {stem} ({rel})"
            )
        return good[stem], where

    def _record(self, path: Path, folder: str | None, csv_rows, devkit_labels) -> ValRecord:
        lay = self.layout
        rel = lay.rel(path)
        stem = path.name.rsplit(".", 1)[0]
        ann, where = self._annotation(stem, rel, csv_rows)
        unknown = [w for w in ann.wnids if w not in self.class_to_idx]
        label_wnid = folder
        if label_wnid is None and devkit_labels is not None:
            m = VAL_INDEX.fullmatch(stem)
            if m and 1 <= int(m.group(1)) <= len(devkit_labels):
                label_wnid = devkit_labels[int(m.group(1)) - 1]
        if label_wnid is None:
            label_wnid = ann.wnids[0]
        if label_wnid not in self.class_to_idx:
            unknown.insert(0, label_wnid)
        if unknown:
            raise _Bad(
                "unknown_wnid",
                rel,
                f"{DATASET}: {where}: class {unknown[0]} is not in the class list "
                f"({len(self.classes)} wnids from {self.class_source}) ({rel})",
            )
        w, h = _probe(path, rel, self.verify)
        if ann.size is not None and ann.size != (w, h):
            raise _Bad(
                "size_mismatch",
                rel,
                f"{DATASET}: {where}: states {ann.size[0]}x{ann.size[1]} but {rel} is {w}x{h}",
            )
        boxes = ann.boxes
        bad = (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])
        outside = (boxes[:, 2] <= 0) | (boxes[:, 3] <= 0) | (boxes[:, 0] >= w) | (boxes[:, 1] >= h)
        if (bad | outside).any():
            i = int(np.argmax(bad | outside))
            why = "is empty (x1 <= x0 or y1 <= y0)" if bad[i] else f"lies outside the {w}x{h} image"
            raise _Bad(
                "bad_box",
                rel,
                f"{DATASET}: {where}: box {_fmt(boxes[i])} of {ann.wnids[i]} {why} ({rel})",
            )
        clipped = np.clip(boxes, 0, [w, h, w, h]).astype(np.float64)
        if (clipped != boxes).any():
            i = int(np.argmax((clipped != boxes).any(axis=1)))
            self._errors.warn(
                "box_clipped",
                rel,
                f"{DATASET}: {where}: box {_fmt(boxes[i])} clipped to the {w}x{h} image ({rel})",
            )
        labels = np.array([self.class_to_idx[x] for x in ann.wnids], dtype=np.int64)
        label = self.class_to_idx[label_wnid]
        if not (labels == label).any():
            raise _Bad(
                "no_box_for_label",
                rel,
                f"{DATASET}: {where}: no box of the image's class {label_wnid} ({rel})",
            )
        moved = transform_boxes(clipped, (w, h), self.size, self.resize, self.resize_to)
        keep = (moved[:, 2] > moved[:, 0]) & (moved[:, 3] > moved[:, 1])
        if not keep.all():
            self._errors.warn(
                "box_cropped_out",
                rel,
                f"{DATASET}: {where}: {int((~keep).sum())} box(es) outside the centre crop ({rel})",
            )
        return ValRecord(rel, label, (w, h), clipped, labels, moved[keep], labels[keep])

    @property
    def warnings(self) -> dict[str, list[str]]:
        """Reason -> image files kept with a fixed-up box (see :data:`WARNINGS`)."""
        return self._errors.warnings

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, torch.Tensor, torch.Tensor]:
        r = self.records[index]
        image = _load(self.layout.root / r.file, r.file)
        x = _transform_image(image, self.size, self.resize, self.resize_to, self.normalize)
        boxes, labels = torch.from_numpy(r.boxes.copy()), torch.from_numpy(r.box_labels.copy())
        if self.max_boxes is not None:
            pad = self.max_boxes - len(boxes)
            boxes = torch.cat([boxes, torch.full((pad, 4), float("nan"), dtype=boxes.dtype)])
            labels = torch.cat([labels, torch.full((pad,), -1, dtype=labels.dtype)])
        return x, r.label, boxes, labels


def _fmt(box: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:g}" for v in box) + ")"


def collate(
    batch: Sequence[tuple[torch.Tensor, int, torch.Tensor, torch.Tensor]],
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """Batch :class:`IlsvrcVal` items: images ``(B, 3, S, S)``, labels ``(B,)``, and per image
    boxes ``(G_i, 4)`` and box labels ``(G_i,)`` as lists (their lengths differ)."""
    if not batch:
        fail("batch", "at least one item", "none")
    images = torch.stack([b[0] for b in batch])
    labels = torch.tensor([int(b[1]) for b in batch], dtype=torch.int64)
    return images, labels, [b[2] for b in batch], [b[3] for b in batch]


def unpad_boxes(
    boxes: torch.Tensor | np.ndarray, box_labels: torch.Tensor | np.ndarray
) -> list[np.ndarray]:
    """Padded boxes ``(N, M, 4)`` (``max_boxes``) -> list of ``(G_i, 4)`` float64 arrays,
    dropping the rows whose box label is -1 (``box_labels (N, M)``)."""
    b = boxes.detach().cpu().numpy() if isinstance(boxes, torch.Tensor) else np.asarray(boxes)
    lab = box_labels.detach().cpu().numpy() if isinstance(box_labels, torch.Tensor) else box_labels
    return [b[i][np.asarray(lab[i]) >= 0].astype(np.float64) for i in range(len(b))]
