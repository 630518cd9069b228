"""Miniature trees in the real on-disk layouts of CUB-200-2011 and the Table 5 datasets, for
tests: a handful of real JPEGs per class and the real annotation/split files.

Each image is seeded noise with its class drawn as a flat colour (class ``c`` gets colour
``_colour(c)``) over the object box (CUB) or the whole image's centre (scene sets), so a
tiny network tells the classes apart and boxes can be checked pixel by pixel. Every builder
returns what it wrote, so tests know the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from cam_core.validate import fail

__all__ = ["MiniatureCub", "make_miniature_cub", "colour_of"]


def colour_of(c: int) -> np.ndarray:
    """The flat RGB colour of class ``c``: hues a golden-ratio step apart, so the first
    dozens of classes differ clearly."""
    import colorsys

    rgb = colorsys.hsv_to_rgb((c * 0.618034) % 1.0, 0.9, 0.9)
    return np.array([round(255 * v) for v in rgb], dtype=np.uint8)


def _jpeg(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, quality=98, subsampling=0)


@dataclass(frozen=True)
class MiniatureCub:
    """What :func:`make_miniature_cub` wrote: per image (in image-id order) its relative path,
    0-based label, train flag, box ``(x0, y0, x1, y1)`` pixel edges and size (H, W)."""

    root: Path
    files: tuple[str, ...]
    labels: np.ndarray
    is_train: np.ndarray
    boxes: np.ndarray
    sizes: np.ndarray
    class_names: tuple[str, ...]


def make_miniature_cub(
    root: str | Path, classes: int = 3, per_class: int = 4, seed: int = 0
) -> MiniatureCub:
    """A CUB_200_2011 tree under ``root`` with ``classes`` x ``per_class`` images (half of
    each class train, image ids 1..N listed in shuffled line order), boxes written as
    ``x y width height`` floats, images of varying sizes around 40-64 px."""
    if not 1 <= classes <= 200 or per_class < 2:
        fail("classes", "1..200 classes and per_class >= 2", (classes, per_class))
    root = Path(root)
    rng = np.random.default_rng(seed)
    names = tuple(f"{c + 1:03d}.Bird_{chr(65 + c % 26)}{c}" for c in range(classes))
    files, labels, train, boxes, sizes = [], [], [], [], []
    for c in range(classes):
        for k in range(per_class):
            h, w = (int(v) for v in rng.integers(40, 65, 2))
            bw, bh = (int(v) for v in rng.integers(8, min(h, w) // 2, 2))
            x, y = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
            image = rng.integers(0, 256, (h, w, 3)).astype(np.uint8) // 4
            image[y : y + bh, x : x + bw] = colour_of(c)
            rel = f"{names[c]}/{names[c].split('.')[1]}_{k:04d}_{c}.jpg"
            _jpeg(root / "images" / rel, image)
            files.append(rel)
            labels.append(c)
            train.append(k % 2 == 0)
            boxes.append((x, y, x + bw, y + bh))
            sizes.append((h, w))
    n = len(files)
    order = rng.permutation(n)  # line order of the files; ids stay 1..n

    def write(name: str, lines: list[str]) -> None:
        (root / name).write_text("".join(lines[i] for i in order))

    write("images.txt", [f"{i + 1} {files[i]}\n" for i in range(n)])
    write("image_class_labels.txt", [f"{i + 1} {labels[i] + 1}\n" for i in range(n)])
    write("train_test_split.txt", [f"{i + 1} {int(train[i])}\n" for i in range(n)])
    write(
        "bounding_boxes.txt",
        [
            f"{i + 1} {b[0]:.1f} {b[1]:.1f} {b[2] - b[0]:.1f} {b[3] - b[1]:.1f}\n"
            for i, b in enumerate(boxes)
        ],
    )
    (root / "classes.txt").write_text("".join(f"{c + 1} {names[c]}\n" for c in range(classes)))
    return MiniatureCub(
        root,
        tuple(files),
        np.array(labels, dtype=np.int64),
        np.array(train),
        np.array(boxes, dtype=np.float64),
        np.array(sizes, dtype=np.int64),
        names,
    )
