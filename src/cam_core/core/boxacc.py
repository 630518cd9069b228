"""Per-image BoxAcc hits of a threshold sweep (Choe et al., CVPR 2020), so that MaxBoxAcc and
MaxBoxAccV2 can be taken on any subset of images, with the threshold chosen on another one.

:func:`cam_core.core.metrics.max_box_acc` gives the dataset curve; here the same boxes (min-max
normalised maps, pixel kept iff ``>= tau``) are kept per image: ``v1 (N, T)`` the largest
8-connected component's box has IoU ``>= 0.5`` with a ground-truth box; ``v2 (N, D, T)`` some
component's box has IoU ``>= delta`` for each ``delta`` of ``(0.3, 0.5, 0.7)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from cam_core.core.boxes import (
    alive_pairs,
    check_thresholds,
    component_tree,
    to_numpy,
)
from cam_core.core.metrics import V2_IOU_THRESHOLDS
from cam_core.validate import check_array, fail

__all__ = ["box_hits", "max_box_acc_v2_heldout", "V2_IOU_THRESHOLDS"]


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of broadcastable ``(..., 4)`` boxes; a zero-area union gives 0."""
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    union = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    union = union + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - inter
    return np.divide(inter, union, out=np.zeros(np.shape(inter)), where=union > 0)


def _padded(gt_boxes: Sequence[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    if len(gt_boxes) != n:
        fail("gt_boxes", f"one (G_i, 4) array per map ({n})", f"{len(gt_boxes)} arrays")
    g = max(1, max((len(np.reshape(b, (-1, 4))) for b in gt_boxes), default=1))
    pad, valid = np.zeros((n, g, 4)), np.zeros((n, g), bool)
    for i, b in enumerate(gt_boxes):
        b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
        pad[i, : len(b)], valid[i, : len(b)] = b, True
    return pad, valid


def _minmax(stack: np.ndarray) -> np.ndarray:
    flat = stack.reshape(len(stack), -1).astype(np.float64)
    lo, hi = flat.min(1, keepdims=True), flat.max(1, keepdims=True)
    out = np.divide(flat - lo, hi - lo, out=np.zeros_like(flat), where=hi > lo)
    return out.reshape(stack.shape)


def box_hits(
    maps: torch.Tensor | np.ndarray,
    gt_boxes: Sequence[np.ndarray],
    thresholds: Sequence[float] | np.ndarray,
    iou_threshold: float = 0.5,
    v2_iou_thresholds: Sequence[float] = V2_IOU_THRESHOLDS,
) -> tuple[np.ndarray, np.ndarray]:
    """Maps ``(N, H, W)`` and each image's boxes ``(G_i, 4)`` -> hits ``v1 (N, T)`` and
    ``v2 (N, D, T)`` (bool) over ``thresholds (T,)`` of the min-max normalised maps."""
    check_array("maps", maps, ndim=3, layout="(N, H, W)")
    th = check_thresholds(thresholds)
    stack = _minmax(to_numpy(maps))
    gt, valid = _padded(gt_boxes, len(stack))
    tree = component_tree(stack, th)  # one tree serves both versions
    node_iou = np.where(
        valid[tree.map_index], _iou(tree.boxes[:, None, :], gt[tree.map_index]), 0.0
    ).max(-1)
    n, t = len(stack), th.size
    node, j = alive_pairs(tree.birth, tree.death)
    where = (tree.map_index[node], j)
    best2 = np.zeros((n, t))
    np.maximum.at(best2, where, node_iou[node])
    # v1: the largest component (most pixels, then first in raster order), as
    # largest_component_boxes_sweep picks it
    hw = stack.shape[1] * stack.shape[2]
    key = tree.area.astype(np.int64) * (hw + 1) + (hw - tree.first.astype(np.int64))
    top = np.full((n, t), -1, np.int64)
    np.maximum.at(top, where, key[node])
    win = key[node] == top[where]
    v1 = np.zeros((n, t), bool)
    v1[where[0][win], where[1][win]] = node_iou[node[win]] >= iou_threshold
    deltas = np.asarray(v2_iou_thresholds, dtype=np.float64)
    return v1, best2[:, None, :] >= deltas[None, :, None]


def max_box_acc_v2_heldout(
    held: np.ndarray, scored: np.ndarray, thresholds: np.ndarray
) -> dict[str, object]:
    """MaxBoxAccV2 with each IoU level's threshold chosen on held-out images: hits ``held
    (N_h, D, T)``, ``scored (N_s, D, T)`` -> ``{"value", "per_iou" (D,), "threshold" (D,),
    "oracle"}``, fractions (``oracle``: the scored set's own best thresholds, as Choe et al.)."""
    if held.ndim != 3 or scored.ndim != 3 or held.shape[1:] != scored.shape[1:]:
        fail("held", f"hits (N, D, T) like scored {tuple(scored.shape)}", tuple(held.shape))
    if len(held) == 0 or len(scored) == 0:
        fail("held", "at least one held-out and one scored image", (len(held), len(scored)))
    best = held.mean(0).argmax(1)  # (D,): first of the ties, the lowest threshold
    curve = scored.mean(0)  # (D, T)
    per_iou = curve[np.arange(len(best)), best]
    return {
        "value": float(per_iou.mean()),
        "per_iou": per_iou,
        "threshold": np.asarray(thresholds)[best],
        "oracle": float(curve.max(1).mean()),
    }
