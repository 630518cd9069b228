"""Synthetic words on photo grounds: the stand-in for Street View Text at the cpu scale
(Figure 11).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cam_core.synthetic import silhouettes as sil
from cam_core.synthetic.composites import named_photo_bank
from cam_core.validate import fail

TEXT_CANVAS = 112  # crops come from the benchmark's photo bank at this size, then are upsampled

__all__ = [
    "WORDS",
    "FONTS",
    "font_path",
    "draw_word",
    "TextSet",
    "make_text_set",
    "letterbox",
    "warped_images",
]

WORDS = (
    "OPEN", "STOP", "HOTEL", "CAFE", "EXIT", "SALE", "PARK", "BANK", "TAXI", "PIZZA",
    "BAR", "SHOP", "BUS", "NEWS", "ROAD", "CITY", "Main St", "Coffee", "Books", "Bakery",
    "Police", "Museum", "Garage", "Deli", "Hair", "Pharmacy", "Cinema", "Sushi",
)  # fmt: skip
FONTS = ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansMono-Bold.ttf")


def font_path(name: str = FONTS[0]) -> Path:
    """A TrueType font that ships with matplotlib (``mpl-data/fonts/ttf``)."""
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    if not path.is_file():
        fail("name", f"a font file under {path.parent}", repr(name))
    return path


def draw_word(
    image: np.ndarray,
    word: str,
    xy: tuple[int, int],
    font_size: int,
    color: tuple[int, int, int],
    font: str = FONTS[0],
) -> tuple[np.ndarray, np.ndarray]:
    """``word`` drawn on a copy of uint8 ``image`` ``(H, W, 3)`` with its top-left ink at
    ``xy``; returns the image and the exact box ``(4,)`` of the ink (pixels with coverage
    >= 50%), ``(x0, y0, x1, y1)`` with x1/y1 exclusive."""
    face = ImageFont.truetype(str(font_path(font)), font_size)
    left, top, _, _ = face.getbbox(word)
    ink = Image.new("L", (image.shape[1], image.shape[0]), 0)
    ImageDraw.Draw(ink).text((xy[0] - left, xy[1] - top), word, fill=255, font=face)
    alpha = np.asarray(ink, dtype=np.float64)[..., None] / 255.0
    out = np.rint(image * (1 - alpha) + np.asarray(color, np.float64) * alpha).astype(np.uint8)
    box = sil.mask_boxes((alpha[..., 0] >= 0.5)[None])[0]
    return out, box


@dataclasses.dataclass(frozen=True)
class TextSet:
    """``crops`` uint8 ``(N, S, S, 3)`` and the same crops with a word ``with_text``, the word's
    exact box ``(N, 4)`` and text."""

    crops: np.ndarray
    with_text: np.ndarray
    boxes: np.ndarray
    words: tuple[str, ...]


def make_text_set(n: int, size: int = 224, seed: int = 0, split: str = "train") -> TextSet:
    """``n`` photo crops of ``split`` (upsampled from the benchmark's 112 px crops to ``size``)
    and the same crops with one word (28 words, 4 DejaVu faces, font size 12-28% of the side,
    black or white against the ground, fully inside the image)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        fail("n", "an integer >= 1", repr(n))
    if isinstance(size, bool) or not isinstance(size, int) or size < 64:
        fail("size", "an integer >= 64 (pixels)", repr(size))
    rng = np.random.default_rng([seed, sil.SPLITS.index(split), size, 11])
    small, _ = sil.crops(rng, named_photo_bank(TEXT_CANVAS)[1], split, n, TEXT_CANVAS)
    crops = np.stack(
        [
            np.asarray(Image.fromarray(c).resize((size, size), Image.Resampling.BILINEAR))
            for c in small
        ]
    )
    out, boxes, words = np.empty_like(crops), np.zeros((n, 4)), []
    for i in range(n):
        word = str(WORDS[rng.integers(len(WORDS))])
        font = str(FONTS[rng.integers(len(FONTS))])
        font_size = int(size * rng.uniform(0.12, 0.28))
        face = ImageFont.truetype(str(font_path(font)), font_size)
        x0, y0, x1, y1 = face.getbbox(word)
        while x1 - x0 > size - 4:  # too wide: shrink until it fits
            font_size -= 2
            face = ImageFont.truetype(str(font_path(font)), font_size)
            x0, y0, x1, y1 = face.getbbox(word)
        x = int(rng.integers(2, size - (x1 - x0) - 1))
        y = int(rng.integers(2, size - (y1 - y0) - 1))
        region = crops[i, y : y + y1 - y0, x : x + x1 - x0]
        color = (0, 0, 0) if region.mean() > 110 else (255, 255, 255)
        out[i], boxes[i] = draw_word(crops[i], word, (x, y), font_size, color, font)
        words.append(word)
    return TextSet(crops, out, boxes, tuple(words))


def letterbox(image: np.ndarray, fill: int = 255) -> np.ndarray:
    """uint8 ``(H, W, 3)`` padded to a square (centred) for square grid cells."""
    h, w = image.shape[:2]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    pad = ((top, side - h - top), (left, side - w - left), (0, 0))
    return np.pad(image, pad, constant_values=fill)


# --------------------------------------------------------------------------------------
# full scale: Street View Text against SUN397 (cam_core.datasets.svt, cam_core.datasets.scenes)
# --------------------------------------------------------------------------------------


def warped_images(images: Sequence[np.ndarray], size: int) -> np.ndarray:
    """uint8 ``(N, size, size, 3)``: each image of ``images`` (uint8 ``(H, W, 3)``, e.g.
    :class:`~cam_core.datasets.base.FileImages`) resized to a square, bilinear (antialiased when
    shrinking): the frame the network sees. A box scales by ``(size / W, size / H)``."""
    out = np.empty((len(images), size, size, 3), dtype=np.uint8)
    for i in range(len(images)):
        img = Image.fromarray(np.ascontiguousarray(images[i]))
        out[i] = np.asarray(img.resize((size, size), Image.Resampling.BILINEAR))
    return out
