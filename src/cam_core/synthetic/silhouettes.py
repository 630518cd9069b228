"""The cluttered-silhouettes generator: knobs, rendering primitives and one chunk of images.

Each image: a crop of one photo, its texture contrast scaled by ``background_gain``, is the
ground; 2-4 distractors (half whole MNIST digits, half fragments of animal silhouettes of
*other* classes, 25-50% of the object's size, each textured with a crop of another photo
and offset in luminance by ``distractor_contrast``) are placed where they overlap the object
least; on top, never occluded, the object: one animal silhouette of the labelled class,
bilinearly upsampled and thresholded so its long side is 30-90% of the canvas, textured with
a crop of a third photo whose mean luminance is ``contrast`` brighter (on dark ground) or
darker (on bright ground) than the ground under it. The box is the bounding box of the
pasted object mask. Digits never carry labels: they are clutter only.

Exact, vectorised numpy. Only integer arithmetic and elementwise IEEE float64 ``+ - * /``
(no transcendental functions, no BLAS, no float reductions, no library resizers) touch the
pixels, and the RNG is PCG64 drawing uniforms/integers only, so a seed gives the same bytes
on every machine for the pinned numpy. :mod:`~cam_core.synthetic.benchmark` loads the sources and
exposes
the API (:func:`cam_core.synthetic.benchmark.make_silhouettes`).
"""

import dataclasses

import numpy as np
from scipy import ndimage as ndi

from cam_core.validate import fail

SPLITS = ("train", "val", "test")
PLACEMENT_TRIES = 6  # candidate positions per distractor; the least overlap with the object wins


def shape_alpha(glyphs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alpha (N, 28, 28) float64 in [0, 1] of uint8 glyphs and their tight boxes (N, 4) int.

    Interior holes (a zebra's dark stripes) are filled so the silhouette is solid; edges keep
    the source anti-aliasing. Boxes are ``(x0, y0, x1, y1)`` of ``alpha >= 0.5``, x1/y1
    exclusive.
    """
    src = glyphs.astype(np.float64)
    alpha = np.clip(src / 64.0, 0.0, 1.0)
    # Holes: background components (4-connected, per image) that do not reach the border.
    ground = np.pad(glyphs <= 16, ((0, 0), (1, 1), (1, 1)), constant_values=True)
    flat = np.zeros((3, 3, 3), dtype=bool)
    flat[1] = ndi.generate_binary_structure(2, 1)
    comp, _ = ndi.label(ground, structure=flat)
    outside = np.zeros(comp.max() + 1, dtype=bool)
    outside[comp[:, 0, 0]] = True
    solid = ~outside[comp[:, 1:-1, 1:-1]]
    solid = ndi.binary_erosion(solid, structure=flat)
    alpha = np.maximum(alpha, solid)
    on = alpha >= 0.5
    return alpha, mask_boxes(on).astype(np.int64)


def mask_boxes(masks: np.ndarray) -> np.ndarray:
    """Tight boxes (N, 4) float64 ``(x0, y0, x1, y1)`` of boolean masks (N, H, W); 0s if empty."""
    rows, cols = masks.any(axis=2), masks.any(axis=1)
    h, w = masks.shape[1:]
    y0 = rows.argmax(axis=1)
    y1 = h - rows[:, ::-1].argmax(axis=1)
    x0 = cols.argmax(axis=1)
    x1 = w - cols[:, ::-1].argmax(axis=1)
    box = np.stack([x0, y0, x1, y1], axis=1).astype(np.float64)
    box[~rows.any(axis=1)] = 0.0
    return box


def _axis_weights(
    start: np.ndarray, length: np.ndarray, offset: np.ndarray, scale: np.ndarray, size: int, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bilinear taps along one axis: indices (B, size) x2 and weights (B, size) x2.

    Canvas pixel centre ``c + 0.5`` maps to source coordinate ``start + (c + 0.5 - offset) /
    scale``; taps outside the source window ``[start, start + length)`` get weight 0.
    """
    c = np.arange(size, dtype=np.float64)[None, :] + 0.5
    u = start[:, None] + (c - offset[:, None]) / scale[:, None]
    inside = (u >= start[:, None]) & (u < (start + length)[:, None])
    f = u - 0.5
    i0 = np.floor(f)
    w1 = f - i0
    w0 = 1.0 - w1
    i0 = i0.astype(np.int64)
    i1 = i0 + 1
    lo, hi = start[:, None], (start + length)[:, None]
    w0 = np.where(inside & (i0 >= lo) & (i0 < hi), w0, 0.0)
    w1 = np.where(inside & (i1 >= lo) & (i1 < hi), w1, 0.0)
    return np.clip(i0, 0, n - 1), np.clip(i1, 0, n - 1), w0, w1


def render(
    alpha: np.ndarray,
    window: np.ndarray,
    scale: np.ndarray,
    offset: np.ndarray,
    size: int,
) -> np.ndarray:
    """Bilinearly upsample a source window of each glyph onto a ``size`` canvas.

    alpha (B, h, w) float64; window (B, 4) int ``(x0, y0, x1, y1)`` in source pixels; scale (B,)
    canvas px per source px; offset (B, 2) canvas ``(x, y)`` of the window's top-left corner.
    Returns (B, size, size) float64 in [0, 1], zero outside the mapped window.
    """
    b = np.arange(alpha.shape[0])[:, None, None]
    x0, y0, x1, y1 = (window[:, k].astype(np.float64) for k in range(4))
    iy0, iy1, wy0, wy1 = _axis_weights(y0, y1 - y0, offset[:, 1], scale, size, alpha.shape[1])
    ix0, ix1, wx0, wx1 = _axis_weights(x0, x1 - x0, offset[:, 0], scale, size, alpha.shape[2])
    rows = (
        alpha[b, iy0[:, :, None], np.arange(alpha.shape[2])[None, None, :]] * wy0[:, :, None]
        + alpha[b, iy1[:, :, None], np.arange(alpha.shape[2])[None, None, :]] * wy1[:, :, None]
    )
    return (
        rows[b, np.arange(size)[None, :, None], ix0[:, None, :]] * wx0[:, None, :]
        + rows[b, np.arange(size)[None, :, None], ix1[:, None, :]] * wx1[:, None, :]
    )


def block_mean(img: np.ndarray, k: int) -> np.ndarray:
    """Downscale uint8 (H, W, 3) by an integer factor ``k`` with exact rounded block means."""
    if k == 1:
        return img
    h, w = img.shape[0] // k, img.shape[1] // k
    s = img[: h * k, : w * k].astype(np.int64).reshape(h, k, w, k, 3).sum(axis=(1, 3))
    return ((s + (k * k) // 2) // (k * k)).astype(np.uint8)


def split_regions(shape: tuple[int, int]) -> dict[str, tuple[int, int, int, int]]:
    """Disjoint rectangles ``(y0, y1, x0, x1)`` of a photo of ``shape`` (H, W) per split.

    train: the first 60% along the long axis; val/test: the two halves (along the short axis)
    of the remaining 40%.
    """
    h, w = shape
    if w >= h:
        c = (w * 6) // 10
        return {"train": (0, h, 0, c), "val": (0, h // 2, c, w), "test": (h // 2, h, c, w)}
    r = (h * 6) // 10
    return {"train": (0, r, 0, w), "val": (r, h, 0, w // 2), "test": (r, h, w // 2, w)}


def luminance_sum(img: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact luminance sums (BT.601 x 1000, integers) and pixel counts under masks (B, H, W).

    img (B, H, W, 3) uint8; returns two int64 arrays (B,).
    """
    luma = img[..., 0] * np.int32(299) + img[..., 1] * np.int32(587) + img[..., 2] * np.int32(114)
    luma = np.where(mask, luma, 0).reshape(len(img), -1)
    return luma.sum(axis=1, dtype=np.int64), mask.reshape(len(img), -1).sum(axis=1)


def paste(
    canvas: np.ndarray,
    texture: np.ndarray,
    mask: np.ndarray,
    shade: np.ndarray,
    contrast: float,
    gain: float,
    stripes: float,
) -> np.ndarray:
    """Paste textured shapes into ``canvas`` (B, H, W, 3) uint8 where ``mask`` (B, H, W) is set.

    The texture's luminance is re-centred to differ from the canvas under the mask by
    ``contrast`` (0-255 units; brighter on dark ground, darker on bright ground), its
    variation scaled by ``gain``; ``shade`` (B, H, W) in [0, 1] darkens interior detail
    (stripes) by up to ``stripes``. Returns the new canvas.
    """
    bg_sum, count = luminance_sum(canvas, mask)
    tx_sum, _ = luminance_sum(texture, mask)
    count = np.maximum(count, 1).astype(np.float64)
    bg_mean = bg_sum / (1000.0 * count)
    tx_mean = tx_sum / (1000.0 * count)
    target = np.where(bg_mean < 127.5, bg_mean + contrast, bg_mean - contrast)
    obj = target[:, None, None, None] + gain * (texture - tx_mean[:, None, None, None])
    obj = obj * (1.0 - stripes * (1.0 - shade[..., None]))
    obj = np.rint(np.clip(obj, 0.0, 255.0)).astype(np.uint8)
    return np.where(mask[..., None], obj, canvas)


def photo_bank(photos: list[np.ndarray], size: int) -> list[list[np.ndarray]]:
    """Per photo, its integer downscales that fit ``size`` crops; photos that fit none dropped.

    A factor k is kept when the photo's short side / k lies in [1.5, 6] canvases and every
    split region still holds a ``size`` x ``size`` crop.
    """
    bank = []
    for photo in photos:
        short = min(photo.shape[:2])
        levels = []
        for f in range(max(1, -(-short // (6 * size))), short * 2 // (3 * size) + 1):
            img = block_mean(photo, f)
            fits = all(
                y1 - y0 >= size and x1 - x0 >= size
                for y0, y1, x0, x1 in split_regions(img.shape[:2]).values()
            )
            if fits and 1.5 * size <= min(img.shape[:2]) <= 6 * size:
                levels.append(img)
        if levels:
            bank.append(levels)
    return bank


def crops(
    rng: np.random.Generator,
    bank: list[list[np.ndarray]],
    split: str,
    b: int,
    crop: int,
    avoid: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``b`` random crops (b, crop, crop, 3) uint8 from ``split``'s regions of the bank's photos.

    Photo uniform (never the photo numbered in ``avoid`` (b,)), then downscale, then position.
    Returns the crops and the photo numbers (b,).
    """
    photo = rng.integers(0, len(bank) - (avoid is not None), b)
    if avoid is not None:
        photo = photo + (photo >= avoid)
    u = rng.random((b, 3))
    out = np.empty((b, crop, crop, 3), dtype=np.uint8)
    for i in range(b):
        levels = bank[photo[i]]
        img = levels[int(u[i, 0] * len(levels))]
        y0, y1, x0, x1 = split_regions(img.shape[:2])[split]
        y = y0 + int(u[i, 1] * (y1 - y0 - crop + 1))
        x = x0 + int(u[i, 2] * (x1 - x0 - crop + 1))
        out[i] = img[y : y + crop, x : x + crop]
    return out, photo


@dataclasses.dataclass(frozen=True)
class Sources:
    """Everything a chunk draws from, for one split and canvas size."""

    animal_pool: np.ndarray  # (10, k) silhouette indices of the split, per class
    digit_pool: np.ndarray  # (10, k') digit indices of the split, per class
    animal_alpha: np.ndarray  # (10000, 28, 28) float64, see shape_alpha
    animal_shade: np.ndarray  # (10000, 28, 28) float64 interior detail in [0, 1]
    animal_box: np.ndarray  # (10000, 4) int tight boxes
    digit_alpha: np.ndarray
    digit_shade: np.ndarray
    digit_box: np.ndarray
    bank: list[list[np.ndarray]]  # see photo_bank


@dataclasses.dataclass(frozen=True)
class Knobs:
    """Generator settings; the defaults are the frozen cpu-scale benchmark."""

    side_range: tuple[float, float] = (0.3, 0.9)  # object box long side / canvas side
    distractors: tuple[int, int] = (2, 4)  # distractor count per image, inclusive
    distractor_scale: tuple[float, float] = (0.25, 0.5)  # distractor long side / object's
    fragment: tuple[float, float] = (0.35, 0.65)  # share of a silhouette's box kept, per axis
    digit_share: float = 0.5  # share of distractors that are whole MNIST digits
    contrast: float = 100.0  # luminance offset of the object from the ground under it, 0-255
    distractor_contrast: float = 35.0  # the same for distractors
    texture_gain: float = 0.35  # texture variation kept inside shapes
    background_gain: float = 0.5  # texture variation kept in the ground
    stripes: float = 0.5  # darkening of interior detail (zebra stripes)


def check_knobs(knobs: dict) -> Knobs:
    """Knobs from keyword overrides; a one-line InputError names a bad or unknown knob."""
    fields = {f.name: f.default for f in dataclasses.fields(Knobs)}
    values = {}
    for key, v in knobs.items():
        if key not in fields:
            fail(key, f"a generator knob ({', '.join(sorted(fields))})", "an unknown name")
        if isinstance(fields[key], tuple):
            ok = isinstance(v, tuple | list) and len(v) == 2
            ok = ok and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
            if not ok:
                fail(key, "a (low, high) pair of numbers", repr(v))
            v = tuple(v)
        elif not isinstance(v, int | float) or isinstance(v, bool):
            fail(key, "a number", repr(v))
        values[key] = v
    k = Knobs(**values)
    for name in ("side_range", "distractor_scale", "fragment"):
        lo, hi = getattr(k, name)
        if not 0 < lo <= hi <= 1:
            fail(name, "0 < low <= high <= 1", getattr(k, name))
    lo, hi = k.distractors
    if not 0 <= lo <= hi <= 16 or int(lo) != lo or int(hi) != hi:
        fail("distractors", "integers 0 <= low <= high <= 16", k.distractors)
    k = dataclasses.replace(k, distractors=(int(lo), int(hi)))
    for name in ("digit_share", "texture_gain", "background_gain", "stripes"):
        if not 0 <= getattr(k, name) <= 1:
            fail(name, "a number in [0, 1]", getattr(k, name))
    for name in ("contrast", "distractor_contrast"):
        if not 0 <= getattr(k, name) <= 127:
            fail(name, "a number in [0, 127]", getattr(k, name))
    return k


def _lerp(bounds: tuple[float, float], u: np.ndarray) -> np.ndarray:
    return bounds[0] + (bounds[1] - bounds[0]) * u


def fragment_windows(
    on: np.ndarray, box: np.ndarray, frac: np.ndarray, anchor: np.ndarray
) -> np.ndarray:
    """Windows (B, 4) covering ``frac`` (B, 2) of each glyph box, centred on a foreground pixel."""
    flat = on.reshape(len(on), -1)
    count = flat.sum(axis=1)
    k = np.minimum((anchor * count).astype(np.int64), np.maximum(count - 1, 0))
    pix = (np.cumsum(flat, axis=1) > k[:, None]).argmax(axis=1)
    ay, ax = np.divmod(pix, on.shape[2])
    bw, bh = box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]
    fw = np.maximum(1, np.rint(frac[:, 0] * bw)).astype(np.int64)
    fh = np.maximum(1, np.rint(frac[:, 1] * bh)).astype(np.int64)
    x0 = np.clip(ax - fw // 2, box[:, 0], box[:, 2] - fw)
    y0 = np.clip(ay - fh // 2, box[:, 1], box[:, 3] - fh)
    return np.stack([x0, y0, x0 + fw, y0 + fh], axis=1)


def render_chunk(
    rng: np.random.Generator, b: int, size: int, split: str, k: Knobs, src: Sources
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``b`` images (a multiple of 10) from one RNG stream.

    Returns images uint8 (b, size, size, 3), labels (b,), boxes float64 (b, 4), the object's
    silhouette index (b,) and the object masks bool (b, size, size).
    """
    d = k.distractors[1]
    animals, digits = src.animal_pool, src.digit_pool
    a_alpha, a_shade, a_box = src.animal_alpha, src.animal_shade, src.animal_box
    d_alpha, d_shade, d_box = src.digit_alpha, src.digit_shade, src.digit_box
    bank = src.bank

    labels = rng.permuted(np.tile(np.arange(10), (b // 10, 1)), axis=1).ravel()
    obj = animals[labels, rng.integers(0, animals.shape[1], b)]
    side = _lerp(k.side_range, rng.random(b)) * size
    pos = rng.random((b, 2))
    canvas, bg_photo = crops(rng, bank, split, b, size)
    obj_tex, _ = crops(rng, bank, split, b, size, avoid=bg_photo)
    n_dis = rng.integers(k.distractors[0], k.distractors[1] + 1, b)
    is_digit = rng.random((b, d)) < k.digit_share
    other = (labels[:, None] + 1 + rng.integers(0, 9, (b, d))) % 10
    dis_animal = animals[other, rng.integers(0, animals.shape[1], (b, d))]
    dis_digit = digits[rng.integers(0, 10, (b, d)), rng.integers(0, digits.shape[1], (b, d))]
    frac = _lerp(k.fragment, rng.random((b, d, 2)))
    anchor = rng.random((b, d))
    dis_side = _lerp(k.distractor_scale, rng.random((b, d))) * side[:, None]
    tries = rng.random((b, d, PLACEMENT_TRIES, 2))
    # Distractors are drawn in a local window of side `win_px`, then scattered into the canvas.
    win_px = int(np.ceil(k.distractor_scale[1] * k.side_range[1] * size)) + 2
    dis_tex = [crops(rng, bank, split, b, win_px, avoid=bg_photo)[0] for _ in range(d)]

    if k.background_gain < 1:
        total, count = luminance_sum(canvas, np.ones(canvas.shape[:3], dtype=bool))
        mean = (total / (1000.0 * count))[:, None, None, None]
        canvas = np.rint(mean + k.background_gain * (canvas - mean)).astype(np.uint8)

    window = a_box[obj]
    wh = (window[:, 2:] - window[:, :2]).astype(np.float64)
    scale = side / wh.max(axis=1)
    offset = pos * (size - wh * scale[:, None])
    planned = np.concatenate([offset, offset + wh * scale[:, None]], axis=1)

    padded = np.zeros((b, size + win_px, size + win_px, 3), dtype=np.uint8)
    padded[:, :size, :size] = canvas
    rows = np.arange(b)[:, None, None]
    for j in range(d):
        dig = is_digit[:, j]
        alpha = np.where(dig[:, None, None], d_alpha[dis_digit[:, j]], a_alpha[dis_animal[:, j]])
        shade = np.where(dig[:, None, None], d_shade[dis_digit[:, j]], a_shade[dis_animal[:, j]])
        box = np.where(dig[:, None], d_box[dis_digit[:, j]], a_box[dis_animal[:, j]])
        frag = fragment_windows(alpha >= 0.5, box, frac[:, j], anchor[:, j])
        win = np.where(dig[:, None], box, frag)
        dwh = (win[:, 2:] - win[:, :2]).astype(np.float64)
        dscale = dis_side[:, j] / dwh.max(axis=1)
        ext = dwh * dscale[:, None]
        cand = tries[:, j] * (size - ext)[:, None, :]  # (b, tries, 2)
        lo = np.maximum(cand, planned[:, None, :2])
        hi = np.minimum(cand + ext[:, None, :], planned[:, None, 2:])
        overlap = np.clip(hi - lo, 0, None).prod(axis=2)
        doff = cand[np.arange(b), overlap.argmin(axis=1)]
        origin = np.floor(doff).astype(np.int64)
        mask = render(alpha, win, dscale, doff - origin, win_px) >= 0.5
        mask &= (j < n_dis)[:, None, None]
        dshade = render(shade, win, dscale, doff - origin, win_px)
        yy = origin[:, 1, None, None] + np.arange(win_px)[None, :, None]
        xx = origin[:, 0, None, None] + np.arange(win_px)[None, None, :]
        patch = padded[rows, yy, xx]
        padded[rows, yy, xx] = paste(
            patch, dis_tex[j], mask, dshade, k.distractor_contrast, k.texture_gain, k.stripes
        )
    canvas = padded[:, :size, :size]

    mask = render(a_alpha[obj], window, scale, offset, size) >= 0.5
    shade = render(a_shade[obj], window, scale, offset, size)
    canvas = paste(canvas, obj_tex, mask, shade, k.contrast, k.texture_gain, k.stripes)
    return canvas, labels, mask_boxes(mask), obj, mask
