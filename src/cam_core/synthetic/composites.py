"""Composite scenes: silhouettes pasted on photo grounds, with object boxes (Figures 9, 10, 12)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from cam_core.datasets import photos
from cam_core.fingerprint import dataset_fingerprint
from cam_core.synthetic import benchmark as synthetic_benchmark
from cam_core.synthetic import silhouettes as sil
from cam_core.synthetic.benchmark import ANIMAL_CLASSES
from cam_core.validate import check_array, check_count, fail

__all__ = [
    "OBJECT_NAMES",
    "Composite",
    "make_composites",
]

OBJECT_NAMES: tuple[str, ...] = (*ANIMAL_CLASSES, *(f"digit {d}" for d in range(10)))
_NUM_ANIMALS = len(ANIMAL_CLASSES)


# --- composites -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Composite:
    """Composite scenes: images uint8 ``(N, S, S, 3)``; per slot ``(N, M)`` the object
    (index into OBJECT_NAMES, -1 = empty) and its exact box ``(N, M, 4)`` (0s when empty);
    ``slots`` int8 ``(N, S, S)``: the slot whose object covers each pixel (-1 = ground)."""

    images: np.ndarray
    objects: np.ndarray
    boxes: np.ndarray
    slots: np.ndarray
    background: tuple[str, ...]  # (N,) photo names of the ground
    split: str
    seed: int

    def __len__(self) -> int:
        return len(self.images)

    @property
    def size(self) -> int:
        return int(self.images.shape[1])

    def object_masks(self, object_id: int) -> np.ndarray:
        """bool ``(N, S, S)``: the pixels of every instance of object ``object_id``."""
        slot_is = self.objects == object_id  # (N, M)
        padded = np.concatenate([slot_is, np.zeros((len(self), 1), bool)], axis=1)
        return padded[np.arange(len(self))[:, None, None], self.slots]  # slot -1 -> pad

    @property
    def fingerprint(self) -> str:
        return dataset_fingerprint(self.images, self.objects, self.boxes)


@lru_cache(maxsize=4)
def named_photo_bank(size: int) -> tuple[tuple[str, ...], list[list[np.ndarray]]]:
    """Photo names and their downscales that fit ``size`` crops (silhouettes.photo_bank)."""
    names, bank = [], []
    for name in photos.PHOTO_NAMES:
        levels = sil.photo_bank([photos.load_photo(name)], size)
        if levels:
            names.append(name)
            bank.append(levels[0])
    return tuple(names), bank


def _grounds(
    rng: np.random.Generator, size: int, split: str, backgrounds: Sequence[str] | None, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ground crops ``(n, S, S, 3)`` and their photo numbers in the named bank."""
    names, bank = named_photo_bank(size)
    if backgrounds is None:
        return sil.crops(rng, bank, split, n, size)
    if len(backgrounds) != n or any(b not in names for b in backgrounds):
        fail("backgrounds", f"{n} photo names among {', '.join(names)}", repr(backgrounds)[:80])
    idx = np.array([names.index(b) for b in backgrounds])
    out = np.empty((n, size, size, 3), dtype=np.uint8)
    for p in np.unique(idx):  # one crops() call per photo, in a fixed order
        rows = np.flatnonzero(idx == p)
        out[rows] = sil.crops(rng, [bank[p]], split, len(rows), size)[0]
    return out, idx


def make_composites(
    objects: np.ndarray,
    size: int = 112,
    seed: int = 0,
    split: str = "train",
    grid: int = 3,
    cells: np.ndarray | None = None,
    backgrounds: Sequence[str] | None = None,
    scale: tuple[float, float] = (0.7, 0.95),
) -> Composite:
    """Render scenes of the objects ``(N, M)`` (OBJECT_NAMES indices, -1 empty) on ``size`` px.

    The canvas is a ``grid`` x ``grid`` array of cells; slot j of image i goes into cell
    ``cells[i, j]`` (row-major; default a random distinct cell), its long side ``scale`` of
    the cell, never leaving it, so objects never overlap. Animals and digits come from
    ``split``'s share of the sources, textured and pasted as in the benchmark (same knobs).
    """
    objects = np.asarray(objects)
    check_array("objects", objects, ndim=2, layout="(N, M)")
    n, m = objects.shape
    if not np.issubdtype(objects.dtype, np.integer) or objects.min() < -1:
        fail("objects", "integer object indices >= -1", f"{objects.dtype} min {objects.min()}")
    if objects.max() >= len(OBJECT_NAMES):
        fail("objects", f"indices < {len(OBJECT_NAMES)} (OBJECT_NAMES)", int(objects.max()))
    size, grid, seed = (
        check_count("size", size, synthetic_benchmark.MIN_SIZE),
        check_count("grid", grid, 1),
        seed,
    )
    if m > grid * grid:
        fail("objects", f"at most grid * grid = {grid * grid} slots", f"{m} slots")
    if split not in sil.SPLITS:
        fail("split", "one of 'train', 'val', 'test'", repr(split))
    if not 0 < scale[0] <= scale[1] <= 1:
        fail("scale", "0 < low <= high <= 1", repr(scale))
    rng = np.random.default_rng([check_count("seed", seed, 0), sil.SPLITS.index(split), size])
    if cells is None:
        cells = np.argsort(rng.random((n, grid * grid)), axis=1)[:, :m]
    cells = np.asarray(cells)
    if cells.shape != (n, m) or cells.min() < 0 or cells.max() >= grid * grid:
        fail("cells", f"(N, M) = {(n, m)} cell numbers in [0, {grid * grid})", cells.shape)
    occupied = np.where(objects >= 0, cells, -1 - np.arange(m))
    if any(len(set(r)) < m for r in occupied.tolist()):
        fail("cells", "distinct cells for the objects of an image", "a repeated cell")

    k = sil.Knobs()
    a_alpha, a_shade, a_box = synthetic_benchmark.glyphs("animals")
    d_alpha, d_shade, d_box = synthetic_benchmark.glyphs("digits")
    animals, digits = (
        synthetic_benchmark.split_pool("animals", split),
        synthetic_benchmark.split_pool("digits", split),
    )
    canvas, ground = _grounds(rng, size, split, backgrounds, n)
    total, count = sil.luminance_sum(canvas, np.ones(canvas.shape[:3], dtype=bool))
    mean = (total / (1000.0 * count))[:, None, None, None]
    canvas = np.rint(mean + k.background_gain * (canvas - mean)).astype(np.uint8)

    cell = size / grid
    slots = np.full((n, size, size), -1, dtype=np.int8)
    for j in range(m):
        obj = np.maximum(objects[:, j], 0)
        digit = obj >= _NUM_ANIMALS
        a_idx = animals[obj % _NUM_ANIMALS, rng.integers(0, animals.shape[1], n)]
        d_idx = digits[obj % _NUM_ANIMALS, rng.integers(0, digits.shape[1], n)]
        alpha = np.where(digit[:, None, None], d_alpha[d_idx], a_alpha[a_idx])
        shade = np.where(digit[:, None, None], d_shade[d_idx], a_shade[a_idx])
        window = np.where(digit[:, None], d_box[d_idx], a_box[a_idx])
        wh = (window[:, 2:] - window[:, :2]).astype(np.float64)
        side = cell * (scale[0] + (scale[1] - scale[0]) * rng.random(n))
        factor = side / wh.max(axis=1)
        origin = np.stack([cells[:, j] % grid, cells[:, j] // grid], axis=1) * cell
        offset = origin + rng.random((n, 2)) * (cell - wh * factor[:, None])
        mask = sil.render(alpha, window, factor, offset, size) >= 0.5
        mask &= (objects[:, j] >= 0)[:, None, None]
        texture, _ = sil.crops(rng, named_photo_bank(size)[1], split, n, size, avoid=ground)
        shading = sil.render(shade, window, factor, offset, size)
        canvas = sil.paste(canvas, texture, mask, shading, k.contrast, k.texture_gain, k.stripes)
        slots[mask] = j
    boxes = np.stack([sil.mask_boxes(slots == j) for j in range(m)], axis=1)
    names = named_photo_bank(size)[0]
    return Composite(
        canvas, objects.astype(np.int64), boxes, slots, tuple(names[g] for g in ground),
        split, int(seed),
    )  # fmt: skip
