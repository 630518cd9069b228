"""Bounding boxes from class activation maps.

Box convention (project-wide)
-----------------------------
Boxes are ``(x0, y0, x1, y1)`` floats in pixel-edge coordinates with ``x1`` and ``y1``
exclusive: a box covering pixel columns 2..4 and rows 0..1 inclusive is ``(2, 0, 5, 2)``,
and its area is ``(x1 - x0) * (y1 - y0)``. This equals ILSVRC's inclusive-integer
convention with its "+1" in widths (ILSVRC ``xmin=3, xmax=5`` in 1-based pixels is
``x0=2, x1=5`` here). Maps are indexed ``[y, x]``. Every function returns float64 numpy
arrays, whether it was given numpy arrays or torch tensors.

Rules
-----
- ``"largest_component"`` (the paper, Sec. 3 / 4.1): keep pixels ``>= threshold * max`` of the
  map (20% by default), take the bounding box of the largest 8-connected component.
- ``"released_multi_threshold"``: the box generator released with the paper
  (``zhoubolei/CAM``: ``bboxgenerator/dt_box.cpp``, ``dt.c``, ``generate_bbox.m``,
  ``ILSVRC_evaluate_bbox.m``), reimplemented in numpy/scipy; see :func:`released_boxes`.
- :func:`tight_loose_top5`: the tight+loose top-5 heuristic of Table 3.
- :func:`component_tree` / :func:`largest_component_boxes_sweep`: every component at every
  threshold of a sweep at once, for MaxBoxAcc (``cam_core.core.metrics``).
"""

import functools
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import cv2
import numpy as np
import torch
from scipy import ndimage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from cam_core.validate import check_array, check_boxes, fail

RULES = ("largest_component", "released_multi_threshold")
RELEASED_THRESHOLDS = (20, 100, 110)  # generate_bbox.m / ILSVRC_evaluate_bbox.m
DEFAULT_TIGHT_THRESHOLD = 0.4  # an assumption: the paper gives no value (see tight_loose_top5)

_EIGHT = np.ones((3, 3), dtype=bool)
_FOUR = ndimage.generate_binary_structure(2, 1)
# 8-connectivity inside each [y, x] plane of an (S, H, W) stack, nothing across planes.
_PLANE8 = np.zeros((3, 3, 3), dtype=bool)
_PLANE8[1] = True
_CHUNK_PIXELS = 1 << 22
_MIN_MASKS_PER_THREAD = 8  # below this, starting threads costs more than it saves


def to_numpy(x: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        x = x.double() if x.dtype == torch.float64 else x.float()
        return x.numpy()
    return np.asarray(x, dtype=np.float64 if x.dtype == np.float64 else np.float32)


def check_fraction(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        fail(name, "a number in [0, 1]", type(value).__name__)
    if not 0.0 <= float(value) <= 1.0:
        fail(name, "a number in [0, 1]", value)
    return float(value)


def _whole_box(h: int, w: int) -> np.ndarray:
    return np.array([0.0, 0.0, float(w), float(h)])


# --------------------------------------------------------------------------- paper rule


def box_threads() -> int:
    """Threads that label masks at once: the cores this process may use, at most 8
    (OpenCV releases the GIL while it labels)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(8, cores or 1))


@functools.cache
def _box_pool(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(threads, thread_name_prefix="cam-boxes")


def _largest_component_box_of(mask: np.ndarray, ltype: int) -> tuple[int, int, int, int]:
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=ltype)
    area = stats[1:, cv2.CC_STAT_AREA]
    tied = np.flatnonzero(area == area.max()) + 1
    best = tied[0]
    if len(tied) > 1:
        flat = labels.ravel()
        best = min(tied, key=lambda t: int(np.argmax(flat == t)))
    x, y, w, h = stats[best, :4]
    return x, y, x + w, y + h


def _largest_component_boxes(fg: np.ndarray) -> np.ndarray:
    """Box of the largest 8-connected component of each mask ``(S, H, W)`` -> ``(S, 4)``.

    Every mask must hold at least one True pixel. Ties in pixel count go to the component
    whose first pixel comes first in row-major order. OpenCV labels the components (its
    labels are not in raster order, so ties are broken here), masks in parallel threads.
    """
    masks = np.ascontiguousarray(fg).view(np.uint8)
    # 16-bit labels when every label fits (fewer bytes written): the same components
    ltype = cv2.CV_16U if masks.shape[1] * masks.shape[2] < 1 << 16 else cv2.CV_32S
    threads = box_threads() if len(masks) >= 2 * _MIN_MASKS_PER_THREAD else 1
    if threads == 1:
        return np.array([_largest_component_box_of(m, ltype) for m in masks], float)
    chunks = np.array_split(np.arange(len(masks)), threads)

    def run(idx: np.ndarray) -> list[tuple[int, int, int, int]]:
        return [_largest_component_box_of(masks[i], ltype) for i in idx]

    parts = list(_box_pool(threads).map(run, chunks))
    return np.array([box for part in parts for box in part], float).reshape(len(masks), 4)


def _paper_boxes(maps: np.ndarray, threshold: float) -> np.ndarray:
    """Paper rule on ``(S, H, W)`` maps -> ``(S, 4)``, in chunks to bound memory."""
    s, h, w = maps.shape
    out = np.empty((s, 4))
    step = max(1, _CHUNK_PIXELS // (h * w))
    for lo in range(0, s, step):
        m = maps[lo : lo + step]
        peak = m.reshape(len(m), -1).max(axis=1).astype(np.float64)
        fg = m >= (threshold * peak)[:, None, None]
        # No positive evidence (max <= 0): every pixel is kept, so the box is the whole image.
        fg[peak <= 0] = True
        out[lo : lo + step] = _largest_component_boxes(fg)
    return out


def largest_component_box(
    score_map: torch.Tensor | np.ndarray, threshold: float = 0.2
) -> np.ndarray:
    """The paper's rule on one map ``(H, W)`` -> box ``(4,)`` in pixel-edge coordinates.

    Keeps pixels ``>= threshold * max(score_map)`` (computed in float64) and returns the
    bounding box of the largest 8-connected component (scipy.ndimage.label, 3x3 structure),
    "largest" meaning most pixels. Edge cases:

    - ``max <= 0`` (all-zero, all-negative): the map holds no positive evidence, and the
      whole-image box ``(0, 0, W, H)`` is returned. For an all-zero map this is what the
      rule gives literally (every pixel is ``>= 0``); for a negative max the literal rule
      keeps nothing, and the whole image is the uninformative guess that keeps the output
      a valid box (no NaN or empty box downstream).
    - constant positive map: every pixel passes, so again the whole image.
    - negative values elsewhere: they fall below ``threshold * max > 0`` and are dropped.
      The rule is not shift-invariant: min-max normalising first (as the released code and
      MaxBoxAcc do) can change the box.
    - equal-size components: the one whose first pixel comes first in row-major ``[y, x]``
      order (top-most, then left-most) wins.
    """
    check_array("score_map", score_map, ndim=2, layout="(H, W)")
    threshold = check_fraction("threshold", threshold)
    return _paper_boxes(to_numpy(score_map)[None], threshold)[0]


# ------------------------------------------------------------- released multi-threshold rule


def _limit(v: int, lo: int, hi: int) -> int:
    """``LIMIT`` of dt_box.cpp, including its behaviour when ``hi < lo``."""
    return lo if v < lo else (hi if v > hi else v)


def _big_overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """dt_box.cpp ``big_overlap``: intersection > half the larger area (C int arithmetic)."""
    t = int(max(a[2] * a[3], b[2] * b[3]) * 0.5)
    x_overlap = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    y_overlap = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return x_overlap * y_overlap > t


def _released_gray(m: np.ndarray, normalize: str) -> np.ndarray:
    """Heat map as the 8-bit grey image dt_box reads (JPEG compression not modelled)."""
    m = m.astype(np.float64)
    if normalize == "max":
        # ILSVRC_generate_heatmap.m: map ./ max(map), imwrite (clips to [0, 1], rounds).
        peak = m.max()
        x = np.clip(m / peak, 0.0, 1.0) if peak > 0 else np.zeros_like(m)
        return np.floor(x * 255.0 + 0.5).astype(np.int64)
    # pytorch_CAM.py: cam - min, / max, np.uint8(255 * cam) (truncates).
    lo, hi = m.min(), m.max()
    x = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
    return np.floor(x * 255.0).astype(np.int64)


def _released_rects(gray: np.ndarray, t: int, edge_margin: int) -> list[tuple[int, ...]]:
    """dt_box.cpp ``fromDT`` + ``getBBox`` at one grey threshold -> ``(x, y, w, h)`` rects."""
    h, w = gray.shape
    binary = gray > t
    if not binary.any():
        return []
    if binary.all():
        keep = binary  # dt.c leaves a constant distance map untouched
    else:
        dist = ndimage.distance_transform_edt(binary)
        scaled = np.floor(dist * (255.0 / dist.max()) + 0.5)  # dt.c ROUND, then "> 10"
        keep = scaled > 10
    rects = []
    labels, n = ndimage.label(keep, structure=_EIGHT)
    for sl in ndimage.find_objects(labels):  # outer contours: 8-connected components
        rects.append((sl[1].start, sl[0].start, sl[1].stop - sl[1].start, sl[0].stop - sl[0].start))
    holes, _ = ndimage.label(~keep, structure=_FOUR)
    for sl in ndimage.find_objects(holes):  # hole contours (RETR_CCOMP): traced 1 px outside
        y0, y1, x0, x1 = sl[0].start, sl[0].stop, sl[1].start, sl[1].stop
        if y0 > 0 and x0 > 0 and y1 < h and x1 < w:
            rects.append((x0 - 1, y0 - 1, x1 - x0 + 2, y1 - y0 + 2))
    out = []
    for bx, by, bw, bh in rects:
        out.append(
            (
                _limit(bx, 0, w - edge_margin),
                _limit(by, 0, h - edge_margin),
                _limit(bw, 0, w - bx - edge_margin),
                _limit(bh, 0, h - by - edge_margin),
            )
        )
    return out


def released_boxes(
    score_map: torch.Tensor | np.ndarray,
    thresholds: Sequence[int] = RELEASED_THRESHOLDS,
    normalize: str = "max",
    edge_margin: int = 5,
) -> np.ndarray:
    """The released code's box generator on one map ``(H, W)`` -> boxes ``(M, 4)``, largest first.

    Read in ``zhoubolei/CAM`` (``bboxgenerator/dt_box.cpp``, ``bboxgenerator/dt.c``,
    ``generate_bbox.m``, ``ILSVRC_generate_heatmap.m``, ``ILSVRC_evaluate_bbox.m``):

    1. The heat map is written as an 8-bit grey JPEG. ``normalize="max"`` follows
       ``ILSVRC_generate_heatmap.m`` (``map ./ max(map)``, then ``imwrite``: negatives clip to
       0, values round to 0..255); ``"minmax"`` follows ``pytorch_CAM.py`` (``cam - min``,
       ``/ max``, ``uint8(255 * cam)``). JPEG compression is not modelled.
    2. For each grey threshold ``t`` (``[20, 100, 110]`` in the scripts; the binary's own
       defaults are ``30, 90, 150``): ``gray > t``; Euclidean distance transform of that mask
       (distance to the nearest background pixel), scaled so its max is 255 and rounded;
       keep ``> 10`` (an erosion by ~4% of the largest inner distance).
    3. ``findContours(CV_RETR_CCOMP)``: the bounding rectangle of every outer contour (each
       8-connected component) and every hole contour (each enclosed 4-connected background
       region, traced on the surrounding pixels, so its box is 1 px larger on every side).
    4. Each rect is clamped exactly as ``LIMIT`` does it: ``x <= W - 5``,
       ``width <= W - x - 5`` (with the unclamped ``x``), so boxes never reach the last 5
       columns/rows, and a rect starting there gets a negative width that the MATLAB
       scripts turn into ``[min, max]`` corners; this is reproduced (``edge_margin``).
    5. All rects from all thresholds are sorted by ``width * height``, largest first, then
       ``mergeBBox`` drops box ``j`` when its overlap with an earlier box ``i`` exceeds half
       the larger area; after an erase the C++ loop still advances ``j``, skipping the next
       box, which is reproduced too.

    ``ILSVRC_evaluate_bbox.m`` uses the first two boxes (``bbox1``, ``bbox2``). Assumed, not
    confirmed: OpenCV 2.x ignored the 1-px image border in ``findContours`` (not modelled);
    rects of equal area keep their generation order (threshold, then raster order,
    components before holes), where ``std::sort`` leaves them unspecified. An all-zero map
    gives no boxes (``(0, 4)``); the scripts would then fail to read the box file.
    """
    check_array("score_map", score_map, ndim=2, layout="(H, W)")
    if normalize not in ("max", "minmax"):
        fail("normalize", '"max" or "minmax"', repr(normalize))
    if isinstance(edge_margin, bool) or not isinstance(edge_margin, int) or edge_margin < 0:
        fail("edge_margin", "a non-negative int", repr(edge_margin))
    ts = list(thresholds) if isinstance(thresholds, Sequence) else None
    if not ts or not all(isinstance(t, int | np.integer) and 0 <= t < 255 for t in ts):
        fail("thresholds", "a non-empty sequence of ints in [0, 255)", repr(thresholds))
    h, w = score_map.shape
    if h <= edge_margin or w <= edge_margin:
        fail("score_map", f"height and width > edge_margin={edge_margin}", f"shape {(h, w)}")
    gray = _released_gray(to_numpy(score_map), normalize)
    rects = [r for t in ts for r in _released_rects(gray, int(t), edge_margin)]
    rects.sort(key=lambda r: -(r[2] * r[3]))  # stable: ties keep generation order
    i = 0
    while i < len(rects):
        j = i + 1
        while j < len(rects):
            if _big_overlap(rects[i], rects[j]):
                del rects[j]
            j += 1
        i += 1
    out = np.zeros((len(rects), 4))
    for k, (x, y, bw, bh) in enumerate(rects):
        out[k] = (min(x, x + bw), min(y, y + bh), max(x, x + bw), max(y, y + bh))
    return out


# ------------------------------------------------------------------------------- batched


def _as_stack(name: str, maps: torch.Tensor | np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    check_array(name, maps, ndim=(3, 4), layout="(N, H, W) or (N, K, H, W)")
    arr = to_numpy(maps)
    return arr.reshape(-1, *arr.shape[-2:]), tuple(arr.shape[:-2])


def boxes_from_maps(
    maps: torch.Tensor | np.ndarray,
    threshold: float = 0.2,
    rule: str = "largest_component",
    released_thresholds: Sequence[int] = RELEASED_THRESHOLDS,
) -> np.ndarray:
    """One box per map: ``(N, H, W)`` -> ``(N, 4)``, ``(N, K, H, W)`` -> ``(N, K, 4)``.

    ``rule="largest_component"`` is :func:`largest_component_box` for every map at once (one
    scipy labelling of the whole stack, vectorised box extraction). ``threshold`` applies to
    it only. ``rule="released_multi_threshold"`` returns the released generator's first box
    (``bbox1`` of ``ILSVRC_evaluate_bbox.m``, the largest after merging; see
    :func:`released_boxes`), or the whole image when it finds none; it loops over maps.
    """
    stack, lead = _as_stack("maps", maps)
    if rule not in RULES:
        fail("rule", " or ".join(repr(r) for r in RULES), repr(rule))
    h, w = stack.shape[-2:]
    if rule == "largest_component":
        out = _paper_boxes(stack, check_fraction("threshold", threshold))
    else:
        out = np.empty((len(stack), 4))
        for i, m in enumerate(stack):
            b = released_boxes(m, thresholds=released_thresholds)
            out[i] = b[0] if len(b) else _whole_box(h, w)
    return out.reshape(*lead, 4)


def tight_loose_top5(
    cams: torch.Tensor | np.ndarray,
    top_classes: torch.Tensor | np.ndarray,
    tight_threshold: float = DEFAULT_TIGHT_THRESHOLD,
    loose_threshold: float = 0.2,
    rule: str = "largest_component",
) -> tuple[np.ndarray, np.ndarray]:
    """Table 3's tight+loose heuristic: CAMs ``(N, >=3, H, W)`` of the ranked classes
    ``(N, >=3)`` -> five guesses, classes ``(N, 5)`` int64 and boxes ``(N, 5, 4)``.

    Order, as ``bboxCombine`` in ``ILSVRC_evaluate_bbox.m`` builds it: (top-1, loose),
    (top-1, tight), (top-2, loose), (top-2, tight), (top-3, loose); so top-1 localization
    uses the loose box. With ``rule="largest_component"`` the loose box is the paper rule at
    ``loose_threshold`` and the tight one at ``tight_threshold``. The paper gives no tight
    threshold: the default 0.4 is an assumption, near the released generator's upper grey
    thresholds (100/255 = 0.39, 110/255 = 0.43 of the max). With
    ``rule="released_multi_threshold"`` (thresholds unused) loose/tight are the released
    generator's ``bbox1``/``bbox2`` (largest and second box); ``bbox2`` falls back to
    ``bbox1``, and no box at all to the whole image.
    """
    check_array("cams", cams, ndim=4, layout="(N, K>=3, H, W)")
    check_array("top_classes", top_classes, ndim=2, layout="(N, K>=3)")
    if cams.shape[1] < 3:
        fail("cams", "at least 3 ranked class maps per image (N, K>=3, H, W)", tuple(cams.shape))
    if top_classes.shape[0] != cams.shape[0] or top_classes.shape[1] < 3:
        fail("top_classes", f"shape ({cams.shape[0]}, K>=3)", f"shape {tuple(top_classes.shape)}")
    tc = (
        top_classes.detach().cpu().numpy() if isinstance(top_classes, torch.Tensor) else top_classes
    )
    tc = np.asarray(tc)
    if not np.issubdtype(tc.dtype, np.integer):
        fail("top_classes", "integer class indices", f"dtype {tc.dtype}")
    loose_threshold = check_fraction("loose_threshold", loose_threshold)
    tight_threshold = check_fraction("tight_threshold", tight_threshold)
    if tight_threshold < loose_threshold:
        fail("tight_threshold", f">= loose_threshold={loose_threshold}", tight_threshold)
    if rule not in RULES:
        fail("rule", " or ".join(repr(r) for r in RULES), repr(rule))
    arr = to_numpy(cams)[:, :3]
    n, _, h, w = arr.shape
    if rule == "largest_component":
        loose = _paper_boxes(arr.reshape(-1, h, w), loose_threshold).reshape(n, 3, 4)
        tight = _paper_boxes(arr[:, :2].reshape(-1, h, w), tight_threshold).reshape(n, 2, 4)
    else:
        loose, tight = np.empty((n, 3, 4)), np.empty((n, 2, 4))
        for i in range(n):
            for r in range(3):
                b = released_boxes(arr[i, r])
                if len(b) == 0:
                    b = _whole_box(h, w)[None]
                loose[i, r] = b[0]
                if r < 2:
                    tight[i, r] = b[1] if len(b) > 1 else b[0]
    boxes = np.stack([loose[:, 0], tight[:, 0], loose[:, 1], tight[:, 1], loose[:, 2]], axis=1)
    classes = tc[:, [0, 0, 1, 1, 2]].astype(np.int64)
    return classes, boxes


# ---------------------------------------------------------------- threshold sweep (tree)


class ComponentTree(NamedTuple):
    """Every 8-connected component of ``maps >= thresholds[j]`` for every ``j``, as nodes.

    Node ``i`` (a fixed pixel set) is a component for threshold indices
    ``death[i] < j <= birth[i]``. ``first`` is its first pixel's row-major index in its map;
    ``area`` its pixel count; ``boxes`` ``(n, 4)`` its pixel-edge box.
    """

    map_index: np.ndarray
    birth: np.ndarray
    death: np.ndarray
    area: np.ndarray
    first: np.ndarray
    boxes: np.ndarray
    num_maps: int
    num_thresholds: int
    shape: tuple[int, int]


def _tree_chunk(q: np.ndarray, num_levels: int) -> dict[str, np.ndarray]:
    """Component tree of integer level maps ``q (M, H, W)`` (pixel in ``>= th[j]`` iff ``j < q``).

    Kruskal-style, from the highest level down: at level ``L`` the pixels with ``q == L``
    join, linked to their 8-neighbours with ``q >= L``; each connected group of current
    roots and new pixels (scipy csgraph) becomes a new node. The work per level is
    proportional to the pixels that join, plus one pointer jump over the nodes made so far.
    """
    m, h, w = q.shape
    hw, pw = h * w, w + 2
    # A border of level 0 (never in) around every map: neighbours need no bounds checks.
    qf = np.pad(q, ((0, 0), (1, 1), (1, 1))).reshape(-1)
    offsets = np.array([dy * pw + dx for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx])
    porder = np.argsort(qf, kind="stable").astype(np.int64)  # radix sort: levels are 16-bit
    pbound = np.searchsorted(qf[porder], np.arange(num_levels + 2))

    cap = qf.size - int(pbound[1])
    node_map = np.empty(cap, np.int64)
    birth = np.empty(cap, np.int64)
    death = np.full(cap, -1, np.int64)
    area = np.zeros(cap, np.int64)
    first = np.empty(cap, np.int64)
    x0, y0 = np.empty(cap, np.int64), np.empty(cap, np.int64)
    x1, y1 = np.empty(cap, np.int64), np.empty(cap, np.int64)
    root = np.arange(cap, dtype=np.int64)
    pixel_node = np.full(qf.size, -1, np.int64)
    local = np.empty(qf.size, np.int64)
    scratch = np.empty(cap, np.int64)
    n = 0
    for level in range(num_levels, 0, -1):
        newp = porder[pbound[level] : pbound[level + 1]]
        k = newp.size
        if k == 0:
            continue
        local[newp] = np.arange(k)
        mi, rest = np.divmod(newp, (h + 2) * pw)
        py, px = np.divmod(rest, pw)
        px, py = px - 1, py - 1
        lp = py * w + px
        # Edges from each new pixel to its 8-neighbours already in (q >= level).
        nbr = (newp[:, None] + offsets[None, :]).ravel()
        hit = np.flatnonzero(qf[nbr] >= level)
        src, dst = hit >> 3, nbr[hit]  # 8 neighbours per row
        is_new = qf[dst] == level
        old = root[pixel_node[dst[~is_new]]]
        # Distinct old roots without sorting: one write per distinct id survives.
        where = np.arange(old.size)
        scratch[old] = where
        olds = old[scratch[old] == where]
        scratch[olds] = np.arange(olds.size)
        vd = np.empty(dst.size, np.int64)
        vd[is_new] = local[dst[is_new]]
        vd[~is_new] = k + scratch[old]
        nv = k + olds.size
        if src.size:
            # src is sorted (row-major hits), so the CSR structure comes for free.
            indptr = np.zeros(nv + 1, np.int64)
            indptr[1 : k + 1] = np.cumsum(np.bincount(src, minlength=k))
            indptr[k + 1 :] = indptr[k]
            graph = csr_matrix((np.ones(src.size, np.float64), vd, indptr), shape=(nv, nv))
            ncc, lab = connected_components(graph, directed=False)
        else:
            ncc, lab = k, np.arange(k)
        lab_new, lab_old = lab[:k], lab[k:]
        ids = slice(n, n + ncc)
        area[ids] = np.bincount(lab_new, minlength=ncc) + np.bincount(
            lab_old, weights=area[olds], minlength=ncc
        ).astype(np.int64)
        for arr, vals_new, red, init in (
            (first, lp, np.minimum, hw),
            (x0, px, np.minimum, w),
            (y0, py, np.minimum, h),
            (x1, px + 1, np.maximum, 0),
            (y1, py + 1, np.maximum, 0),
        ):
            seg = np.full(ncc, init, np.int64)
            red.at(seg, lab_new, vals_new)
            red.at(seg, lab_old, arr[olds])
            arr[ids] = seg
        node_map[n + lab_new] = mi
        birth[ids] = level - 1
        death[olds] = level - 1
        root[olds] = n + lab_old
        root[:n] = root[root[:n]]
        pixel_node[newp] = n + lab_new
        n += ncc
    return {
        "map_index": node_map[:n],
        "birth": birth[:n],
        "death": death[:n],
        "area": area[:n],
        "first": first[:n],
        "boxes": np.stack([x0[:n], y0[:n], x1[:n], y1[:n]], axis=1).astype(np.float64),
    }


def check_thresholds(thresholds: object) -> np.ndarray:
    if isinstance(thresholds, torch.Tensor):
        thresholds = thresholds.detach().cpu().numpy()
    th = np.asarray(thresholds, dtype=np.float64) if thresholds is not None else None
    if th is None or th.ndim != 1 or th.size == 0:
        shape = None if th is None else th.shape
        fail("thresholds", "a non-empty 1-D sequence of numbers", f"shape {shape}")
    if not np.isfinite(th).all() or (np.diff(th) <= 0).any():
        fail("thresholds", "finite, strictly increasing values", th.tolist()[:8])
    if th.size > np.iinfo(np.int16).max - 1:  # levels are stored as int16
        fail("thresholds", f"at most {np.iinfo(np.int16).max - 1} values", th.size)
    return th


def _tree_chunks(stack: np.ndarray, th: np.ndarray) -> Iterator[tuple[int, int, dict]]:
    """Yield ``(start, count, tree dict)`` over chunks of maps; map indices are chunk-local."""
    s, h, w = stack.shape
    step = max(1, _CHUNK_PIXELS // (h * w))
    for lo in range(0, s, step):
        chunk = stack[lo : lo + step]
        # level = how many thresholds a pixel reaches (v >= th[j] for j < level)
        q = np.searchsorted(th, chunk, side="right").astype(np.int16)
        yield lo, len(chunk), _tree_chunk(q, th.size)


def component_tree(
    maps: torch.Tensor | np.ndarray, thresholds: Sequence[float] | np.ndarray
) -> ComponentTree:
    """All 8-connected components of ``maps (N, H, W) >= thresholds[j]`` (absolute values,
    no normalisation) for every ``j`` of an increasing sweep, without labelling each level."""
    check_array("maps", maps, ndim=3, layout="(N, H, W)")
    th = check_thresholds(thresholds)
    stack = to_numpy(maps)
    parts = []
    for lo, _, t in _tree_chunks(stack, th):
        t["map_index"] = t["map_index"] + lo
        parts.append(t)
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return ComponentTree(
        **cat, num_maps=len(stack), num_thresholds=th.size, shape=tuple(stack.shape[1:])
    )


def alive_pairs(birth: np.ndarray, death: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expand node lifespans ``death < j <= birth`` into ``(node, j)`` index pairs."""
    span = birth - death
    node = np.repeat(np.arange(birth.size), span)
    starts = np.cumsum(span) - span
    j = np.repeat(birth, span) - (np.arange(node.size) - np.repeat(starts, span))
    return node, j


def _largest_from_tree(
    t: dict[str, np.ndarray], m: int, nth: int, hw: int
) -> tuple[np.ndarray, np.ndarray]:
    boxes = np.zeros((m, nth, 4))
    node, j = alive_pairs(t["birth"], t["death"])
    key = t["area"] * (hw + 1) + (hw - t["first"])  # most pixels, then first in raster order
    best = np.full((m, nth), -1, np.int64)
    np.maximum.at(best, (t["map_index"][node], j), key[node])
    win = key[node] == best[t["map_index"][node], j]
    boxes[t["map_index"][node[win]], j[win]] = t["boxes"][node[win]]
    return boxes, best >= 0


def largest_component_boxes_sweep(
    maps: torch.Tensor | np.ndarray, thresholds: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Largest-component box at every threshold: ``maps (N, H, W)``, ``thresholds (T,)``
    (absolute, increasing; pixel kept iff ``>= thresholds[j]``) -> boxes ``(N, T, 4)`` and
    ``valid (N, T)`` (False where no pixel passes; the box is then zeros). Same component
    and tie rule as :func:`largest_component_box`."""
    check_array("maps", maps, ndim=3, layout="(N, H, W)")
    th = check_thresholds(thresholds)
    stack = to_numpy(maps)
    s, h, w = stack.shape
    boxes, valid = np.zeros((s, th.size, 4)), np.zeros((s, th.size), bool)
    for lo, m, t in _tree_chunks(stack, th):
        boxes[lo : lo + m], valid[lo : lo + m] = _largest_from_tree(t, m, th.size, h * w)
    return boxes, valid


# ----------------------------------------------------------------------------- map peaks and
# image-blind boxes: the baselines every localization score is read against


def _box_lists(name: str, boxes: object, n: int) -> list[np.ndarray]:
    if isinstance(boxes, np.ndarray | torch.Tensor):
        arr = to_numpy(boxes).astype(np.float64)
        if arr.shape != (n, 4):
            fail(name, f"({n}, 4) boxes or a list of {n} arrays (B_i, 4)", f"shape {arr.shape}")
        return [b[None] for b in arr]
    if not isinstance(boxes, Sequence) or len(boxes) != n:
        fail(name, f"a list of {n} arrays (B_i, 4)", type(boxes).__name__)
    return [np.asarray(b, dtype=np.float64).reshape(-1, 4) for b in boxes]


def peak_in_box(
    maps: torch.Tensor | np.ndarray,
    boxes: np.ndarray | Sequence[np.ndarray],
    image_sizes: np.ndarray | None = None,
) -> np.ndarray:
    """bool ``(N,)``: whether each map's maximum lies in one of its image's boxes.

    ``maps`` ``(N, h, w)``; the maximum is the first in row-major order, placed at its pixel
    centre (x + 0.5, y + 0.5), scaled to ``image_sizes`` ``(N, 2)`` (H, W) when the boxes are in
    pixels of larger images. ``boxes``: ``(N, 4)``, or N arrays ``(B_i, 4)`` (any box counts);
    x1 and y1 are exclusive, as everywhere in this module.
    """
    check_array("maps", maps, ndim=3, layout="(N, h, w)")
    m = to_numpy(maps)
    n, h, w = m.shape
    lists = _box_lists("boxes", boxes, n)
    row, col = np.divmod(m.reshape(n, -1).argmax(axis=1), w)
    scale = np.ones((n, 2))
    if image_sizes is not None:
        sizes = np.asarray(image_sizes, dtype=np.float64)
        if sizes.shape != (n, 2):
            fail("image_sizes", f"({n}, 2) image sizes (H, W)", f"shape {sizes.shape}")
        scale = sizes / np.array([h, w])
    y, x = (row + 0.5) * scale[:, 0], (col + 0.5) * scale[:, 1]
    return np.array(
        [
            bool(
                ((x[i] >= b[:, 0]) & (x[i] < b[:, 2]) & (y[i] >= b[:, 1]) & (y[i] < b[:, 3])).any()
            )
            for i, b in enumerate(lists)
        ],
        dtype=bool,
    )


def box_cover(boxes: np.ndarray, image_size: tuple[int, int]) -> float:
    """Share of an ``(H, W)`` image inside the union of ``boxes`` ``(B, 4)``: every pixel a box
    touches counts; the chance that a random pixel falls in a box."""
    h, w = (int(v) for v in image_size)
    cover = np.zeros((h, w), dtype=bool)
    for x0, y0, x1, y1 in np.asarray(boxes, dtype=np.float64).reshape(-1, 4):
        cover[
            max(int(np.floor(y0)), 0) : int(np.ceil(y1)),
            max(int(np.floor(x0)), 0) : int(np.ceil(x1)),
        ] = True
    return float(cover.mean())


def mean_box_size(
    gt_boxes: Sequence | np.ndarray, image_size: tuple[int, int] | Sequence[tuple[int, int]]
) -> tuple[float, float]:
    """Mean ground-truth box (width, height) as fractions of the image: one box per image (its
    first, or the list's ``(G_i, 4)`` first row); ``image_size`` ``(H, W)`` shared or per image."""
    first = [np.asarray(b, dtype=np.float64).reshape(-1, 4)[0] for b in gt_boxes]
    if not first:
        fail("gt_boxes", "at least one image's boxes", "none")
    b = check_boxes("gt_boxes", np.stack(first))
    size = np.asarray(image_size, dtype=np.float64).reshape(-1, 2)
    if len(size) not in (1, len(b)):
        fail("image_size", f"(H, W) or {len(b)} of them", f"shape {size.shape}")
    return (
        float(np.mean((b[:, 2] - b[:, 0]) / size[:, 1])),
        float(np.mean((b[:, 3] - b[:, 1]) / size[:, 0])),
    )


def centre_box(size: tuple[float, float], image_size: tuple[int, int] | np.ndarray) -> np.ndarray:
    """The centred box of ``size`` (width, height fractions): ``(4,)`` in an ``(H, W)`` image,
    or ``(N, 4)`` for ``image_size`` ``(N, 2)``."""
    hw = np.asarray(image_size, dtype=np.float64)
    h, w = hw[..., 0], hw[..., 1]
    bw, bh = size[0] * w, size[1] * h
    return np.stack([(w - bw) / 2, (h - bh) / 2, (w + bw) / 2, (h + bh) / 2], axis=-1)


def whole_box(image_size: tuple[int, int] | np.ndarray) -> np.ndarray:
    """The whole-image box: ``(4,)`` of an ``(H, W)`` image, or ``(N, 4)`` for ``(N, 2)``."""
    hw = np.asarray(image_size, dtype=np.float64)
    zero = np.zeros_like(hw[..., 0])
    return np.stack([zero, zero, hw[..., 1], hw[..., 0]], axis=-1)


def image_blind_boxes(
    train_boxes: Sequence | np.ndarray,
    train_sizes: tuple[int, int] | np.ndarray,
    test_sizes: np.ndarray,
) -> dict[str, np.ndarray]:
    """The two guesses that look at no image, ``(N, 4)`` for test images of ``test_sizes``
    ``(N, 2)``: the whole image, and a centred box of the training boxes' mean size (as
    fractions of their images, :func:`mean_box_size`)."""
    sizes = np.asarray(test_sizes, dtype=np.float64).reshape(-1, 2)
    return {
        "whole image": whole_box(sizes),
        "centred mean-size box": centre_box(mean_box_size(train_boxes, train_sizes), sizes),
    }
