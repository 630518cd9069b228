"""IoU, ILSVRC classification/localization error, MaxBoxAcc(V2) and CUB box accuracy.

Boxes follow the project convention of :mod:`cam_core.core.boxes`: ``(x0, y0, x1, y1)`` in
pixel-edge coordinates, ``x1``/``y1`` exclusive, area ``(x1 - x0) * (y1 - y0)`` (ILSVRC's
inclusive pixels with its "+1"). Every rate is a **fraction in [0, 1]**, never a percent;
the book multiplies by 100 where it sets our numbers beside the paper's.

Ground truth boxes ``gt_boxes`` are given per image, as a list of ``(G_i, 4)`` arrays (or
``(4,)`` for one box), an ``(N, G, 4)`` array, or an ``(N, 4)`` array (one box each).
"""

from collections.abc import Sequence

import numpy as np
import torch

from cam_core.core.boxes import (
    alive_pairs,
    check_fraction,
    check_thresholds,
    component_tree,
    largest_component_boxes_sweep,
    to_numpy,
)
from cam_core.validate import check_array, check_boxes, check_classes, fail

V2_IOU_THRESHOLDS = (0.3, 0.5, 0.7)


def _box_array(name: str, boxes: object, ndim: int | tuple[int, ...], layout: str) -> np.ndarray:
    check_array(name, boxes, ndim=ndim, layout=layout, nonempty=False)
    return check_boxes(name, boxes)


def _iou_broadcast(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of broadcastable ``(..., 4)`` box arrays; a zero-area union gives 0."""
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    return np.divide(inter, union, out=np.zeros(np.shape(inter)), where=union > 0)


def iou(boxes_a: torch.Tensor | np.ndarray, boxes_b: torch.Tensor | np.ndarray) -> np.ndarray:
    """Pairwise IoU: ``(N, 4)`` x ``(M, 4)`` -> ``(N, M)`` (``(4,)`` counts as one box).

    Two zero-area boxes have a zero-area union; their IoU is defined as 0 (even when equal),
    so a degenerate prediction never counts as a hit.
    """
    a = _box_array("boxes_a", boxes_a, (1, 2), "(N, 4)").reshape(-1, 4)
    b = _box_array("boxes_b", boxes_b, (1, 2), "(M, 4)").reshape(-1, 4)
    return _iou_broadcast(a[:, None, :], b[None, :, :])


def iou_elementwise(
    boxes_a: torch.Tensor | np.ndarray, boxes_b: torch.Tensor | np.ndarray
) -> np.ndarray:
    """IoU of matching rows: ``(N, 4)`` and ``(N, 4)`` -> ``(N,)``; zero-area union -> 0."""
    a = _box_array("boxes_a", boxes_a, 2, "(N, 4)")
    b = _box_array("boxes_b", boxes_b, 2, "(N, 4)")
    if len(a) != len(b):
        fail("boxes_b", f"{len(a)} boxes to match boxes_a", f"{len(b)}")
    return _iou_broadcast(a, b)


def _int_array(name: str, x: object, ndim: int, layout: str) -> np.ndarray:
    check_array(name, x, ndim=ndim, layout=layout)
    arr = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        fail(name, "integer class indices", f"dtype {arr.dtype}")
    if (arr < 0).any():
        fail(name, "class indices >= 0", f"min {int(arr.min())}")
    return arr.astype(np.int64)


def _check_topk(topk: object, available: int, what: str) -> tuple[int, ...]:
    ks = (topk,) if isinstance(topk, int) and not isinstance(topk, bool) else topk
    if not isinstance(ks, Sequence) or not ks:
        fail("topk", "an int or a non-empty sequence of ints", repr(topk))
    for k in ks:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            fail("topk", "positive ints", repr(topk))
        if k > available:
            fail("topk", f"k <= {available} ({what})", int(k))
    return tuple(int(k) for k in ks)


def _check_length(name: str, n_got: int, n: int, other: str) -> None:
    if n_got != n:
        fail(name, f"length {n} to match {other}", f"length {n_got}")


def classification_error(
    scores_or_classes: torch.Tensor | np.ndarray,
    labels: torch.Tensor | np.ndarray,
    topk: int | Sequence[int] = (1, 5),
) -> dict[str, float]:
    """Top-k error as fractions, ``{"top1": ..., "top5": ...}``.

    ``scores_or_classes`` is either float scores/logits ``(N, C)`` or integer ranked class
    guesses ``(N, K)``, best first; ``labels`` ``(N,)``. With scores, ties are ranked by
    class index (lower first), so the result never depends on a sort's tie order.
    """
    check_array("scores_or_classes", scores_or_classes, ndim=2, layout="(N, C) or (N, K)")
    y = _int_array("labels", labels, 1, "(N,)")
    _check_length("labels", len(y), scores_or_classes.shape[0], "scores_or_classes")
    x = scores_or_classes
    is_float = x.is_floating_point() if isinstance(x, torch.Tensor) else x.dtype.kind == "f"
    if is_float:
        s = to_numpy(x).astype(np.float64)
        c = s.shape[1]
        check_classes("labels", torch.from_numpy(y), c)
        ks = _check_topk(topk, c, "number of classes")
        own = s[np.arange(len(y)), y][:, None]
        # rank = classes scored higher, plus equal scores with a lower index
        rank = (s > own).sum(1) + ((s == own) & (np.arange(c)[None, :] < y[:, None])).sum(1)
        return {f"top{k}": float(np.mean(rank >= k)) for k in ks}
    guesses = _int_array("scores_or_classes", x, 2, "(N, K)")
    ks = _check_topk(topk, guesses.shape[1], "guesses per image")
    hit = guesses == y[:, None]
    return {f"top{k}": float(1.0 - hit[:, :k].any(1).mean()) for k in ks}


def _gt_padded(name: str, gt_boxes: object, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Ground-truth boxes per image -> padded ``(N, G, 4)`` and a validity mask ``(N, G)``."""
    if isinstance(gt_boxes, torch.Tensor | np.ndarray):
        check_array(name, gt_boxes, ndim=(2, 3), layout="(N, 4) or (N, G, 4)")
        arr = check_boxes(name, gt_boxes)
        arr = arr[:, None, :] if arr.ndim == 2 else arr
        _check_length(name, len(arr), n, "the predictions")
        if arr.shape[1] == 0:
            fail(name, "at least one box per image", f"shape {arr.shape}")
        return arr, np.ones(arr.shape[:2], bool)
    if not isinstance(gt_boxes, Sequence) or isinstance(gt_boxes, str):
        fail(name, "a list of (G_i, 4) box arrays, one per image", type(gt_boxes).__name__)
    _check_length(name, len(gt_boxes), n, "the predictions")
    items = []
    for i, g in enumerate(gt_boxes):
        if not isinstance(g, torch.Tensor | np.ndarray):
            g = np.asarray(g, dtype=np.float64)
        check_array(f"{name}[{i}]", g, ndim=(1, 2), layout="(G, 4)", nonempty=False)
        b = check_boxes(f"{name}[{i}]", g).reshape(-1, 4)
        if len(b) == 0:
            fail(f"{name}[{i}]", "at least one box", "none")
        items.append(b)
    g_max = max(len(b) for b in items)
    pad = np.zeros((n, g_max, 4))
    valid = np.zeros((n, g_max), bool)
    for i, b in enumerate(items):
        pad[i, : len(b)] = b
        valid[i, : len(b)] = True
    return pad, valid


def localization_error(
    pred_classes: torch.Tensor | np.ndarray,
    pred_boxes: torch.Tensor | np.ndarray,
    gt_labels: torch.Tensor | np.ndarray,
    gt_boxes: Sequence | np.ndarray | torch.Tensor,
    gt_box_labels: Sequence | None = None,
    topk: int | Sequence[int] = (1, 5),
    iou_threshold: float = 0.5,
) -> dict[str, float]:
    """ILSVRC top-k localization error as fractions, ``{"top1": ..., "top5": ...}``.

    Guesses ``pred_classes (N, K)`` / ``pred_boxes (N, K, 4)``, best first. Image ``i`` is
    correct at top-k if one of its first ``k`` guesses has class ``gt_labels[i]`` and IoU
    ``>= iou_threshold`` with a ground-truth box of that class (``eval_clsloc.m`` /
    ``compute_overlap.m`` of the ILSVRC devkit, as shipped in zhoubolei/CAM). A perfect box
    with the wrong class is an error. ``gt_box_labels`` gives each box's class
    (``(G_i,)`` per image); ``None`` means every box is of class ``gt_labels[i]``. An image
    with no box of its own class can never be correct.
    """
    cls = _int_array("pred_classes", pred_classes, 2, "(N, K)")
    n, k = cls.shape
    check_array("pred_boxes", pred_boxes, ndim=3, layout="(N, K, 4)")
    boxes = check_boxes("pred_boxes", pred_boxes)
    if boxes.shape[:2] != (n, k):
        fail("pred_boxes", f"shape ({n}, {k}, 4) to match pred_classes", f"shape {boxes.shape}")
    y = _int_array("gt_labels", gt_labels, 1, "(N,)")
    _check_length("gt_labels", len(y), n, "pred_classes")
    gt, valid = _gt_padded("gt_boxes", gt_boxes, n)
    if gt_box_labels is None:
        gt_lab = np.broadcast_to(y[:, None], valid.shape)
    else:
        if not isinstance(gt_box_labels, Sequence):
            fail("gt_box_labels", "a list of (G_i,) class arrays or None", type(gt_box_labels))
        _check_length("gt_box_labels", len(gt_box_labels), n, "pred_classes")
        gt_lab = np.full(valid.shape, -1, np.int64)
        for i, lab in enumerate(gt_box_labels):
            lab = _int_array(f"gt_box_labels[{i}]", np.atleast_1d(np.asarray(lab)), 1, "(G_i,)")
            _check_length(f"gt_box_labels[{i}]", len(lab), int(valid[i].sum()), f"gt_boxes[{i}]")
            gt_lab[i, : len(lab)] = lab
    ks = _check_topk(topk, k, "guesses per image")
    thr = check_fraction("iou_threshold", iou_threshold)
    ious = _iou_broadcast(boxes[:, :, None, :], gt[:, None, :, :])  # (N, K, G)
    own_box = valid & (gt_lab == y[:, None])  # boxes of the image's class
    box_ok = ((ious >= thr) & own_box[:, None, :]).any(2)
    correct = (cls == y[:, None]) & box_ok
    return {f"top{kk}": float(1.0 - correct[:, :kk].any(1).mean()) for kk in ks}


def _best_iou(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Max IoU of ``pred (N, ..., 4)`` over each image's valid ``gt (N, G, 4)``."""
    extra = pred.ndim - 2
    g = gt.reshape(gt.shape[0], *([1] * extra), *gt.shape[1:])
    v = valid.reshape(valid.shape[0], *([1] * extra), valid.shape[1])
    return np.where(v, _iou_broadcast(pred[..., None, :], g), 0.0).max(-1)


def box_accuracy(
    pred_boxes: torch.Tensor | np.ndarray,
    gt_boxes: Sequence | np.ndarray | torch.Tensor,
    iou_threshold: float = 0.5,
) -> float:
    """CUB box accuracy: fraction of images whose box ``(N, 4)`` has IoU ``>= iou_threshold``
    with one of its ground-truth boxes (the paper: 41.0% on CUB-200-2011 at 0.5)."""
    pred = _box_array("pred_boxes", pred_boxes, 2, "(N, 4)")
    if len(pred) == 0:
        fail("pred_boxes", "a non-empty batch", "shape (0, 4)")
    gt, valid = _gt_padded("gt_boxes", gt_boxes, len(pred))
    thr = check_fraction("iou_threshold", iou_threshold)
    return float(np.mean(_best_iou(pred, gt, valid) >= thr))


def _minmax(stack: np.ndarray) -> np.ndarray:
    """Per-map min-max to [0, 1]; a constant map becomes zeros (wsolevaluation's rule)."""
    flat = stack.reshape(len(stack), -1).astype(np.float64)
    lo, hi = flat.min(1, keepdims=True), flat.max(1, keepdims=True)
    span = hi - lo
    out = np.divide(flat - lo, span, out=np.zeros_like(flat), where=span > 0)
    return out.reshape(stack.shape)


def max_box_acc(
    maps: torch.Tensor | np.ndarray,
    gt_boxes: Sequence | np.ndarray | torch.Tensor,
    thresholds: Sequence[float] | np.ndarray | None = None,
    iou_threshold: float = 0.5,
    version: int = 1,
    v2_iou_thresholds: Sequence[float] = V2_IOU_THRESHOLDS,
    normalize: bool = True,
) -> dict[str, object]:
    """MaxBoxAcc (``version=1``) or MaxBoxAccV2 (``version=2``) of Choe et al., CVPR 2020.

    ``maps (N, H, W)`` are min-max normalised per map (a constant map becomes zeros) unless
    ``normalize=False``. At each CAM threshold ``tau`` (default ``0, 0.01, ..., 0.99``) the
    mask is ``map >= tau``. BoxAcc(tau, delta) is the fraction of images whose box has IoU
    ``>= delta`` with one of their ground-truth boxes; MaxBoxAcc(delta) is its max over tau.

    - version 1: the box of the largest 8-connected component (most pixels; ties as in
      :func:`cam_core.core.boxes.largest_component_box`), ``delta = iou_threshold``.
    - version 2: every component's box, best match to any GT box; MaxBoxAcc is taken per
      ``delta`` in ``v2_iou_thresholds`` (each with its own best tau) and averaged.

    Read in ``clovaai/wsolevaluation`` ``evaluation.py`` (``compute_bboxes_from_scoremaps``,
    ``BoxEvaluator``, ``multi_contour_eval``, ``multi_iou_eval``, ``iou_threshold_list``
    default ``[30, 50, 70]``, ``cam_curve_interval=0.001``) and ``inference.py``
    (``normalize_scoremap``). Differences, on purpose: no 8-bit quantisation
    (wsolevaluation keeps ``uint8(255 * map) > int(tau * max)``), components by pixel count
    rather than ``cv2.contourArea``, hole contours (``RETR_TREE``) not counted as boxes in
    version 2, and exact pixel-edge IoU (wsolevaluation clips ``x1`` to ``W - 1`` and adds
    1 to widths of boxes that are already exclusive). A tau where no pixel passes counts as
    a miss. Returns fractions: ``{"value", "max_per_iou" (D,), "best_threshold" (D,),
    "curve" (D, T), "thresholds" (T,), "iou_thresholds" (D,), "version"}`` with ``D = 1``
    for version 1.
    """
    check_array("maps", maps, ndim=3, layout="(N, H, W)")
    if version not in (1, 2) or isinstance(version, bool):
        fail("version", "1 or 2", repr(version))
    th = check_thresholds(np.arange(100) / 100 if thresholds is None else thresholds)
    stack = to_numpy(maps)
    gt, valid = _gt_padded("gt_boxes", gt_boxes, len(stack))
    if version == 1:
        deltas = np.array([check_fraction("iou_threshold", iou_threshold)])
    else:
        if not isinstance(v2_iou_thresholds, Sequence) or not v2_iou_thresholds:
            fail("v2_iou_thresholds", "a non-empty sequence of numbers", repr(v2_iou_thresholds))
        deltas = np.array([check_fraction("v2_iou_thresholds", d) for d in v2_iou_thresholds])
    if normalize:
        stack = _minmax(stack)
    if version == 1:
        boxes, ok = largest_component_boxes_sweep(stack, th)
        best = np.where(ok, _best_iou(boxes, gt, valid), 0.0)  # (N, T)
    else:
        tree = component_tree(stack, th)
        node_iou = _best_iou(tree.boxes[:, None, :], gt[tree.map_index], valid[tree.map_index])
        best = np.zeros((len(stack), th.size))
        node, j = alive_pairs(tree.birth, tree.death)
        np.maximum.at(best, (tree.map_index[node], j), node_iou[node, 0])
    curve = (best[None, :, :] >= deltas[:, None, None]).mean(1)  # (D, T)
    top = curve.max(1)
    return {
        "value": float(top.mean()),
        "max_per_iou": top,
        "best_threshold": th[curve.argmax(1)],
        "curve": curve,
        "thresholds": th,
        "iou_thresholds": deltas,
        "version": version,
    }
