"""Cached localization and classification scores of one trained member of a network family."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from cam_core.common import results
from cam_core.core import metrics
from cam_core.fingerprint import code_fingerprint
from cam_core.items import localization
from cam_core.items.family import Trained
from cam_core.items.localization import LocalizationResult
from cam_core.items.recipe import GAP_HEAD_LAYER, Recipe, Splits, is_cam, stable_hash
from cam_core.nets import train
from cam_core.validate import fail

__all__ = [
    "classify",
    "localize",
]


# --------------------------------------------------------------------------- evaluation


_ARRAYS = (
    "labels", "top_classes", "pred_classes", "pred_boxes", "ious", "gt_boxes", "gt_box_labels",
    "gt_known_boxes", "gt_known_iou", "thresholds", "curve",
)  # fmt: skip


def _save_result(path: Path, res: LocalizationResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "method": res.method,
        "threshold": res.threshold,
        "heuristic": res.heuristic,
        "box_rule": res.box_rule,
        "image_size": list(res.image_size),
        "centre_size": list(res.centre_size),
        "summary": res.summary,
        "notes": res.notes,
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, meta=json.dumps(meta), **{k: getattr(res, k) for k in _ARRAYS})
    os.replace(tmp, path)


def _load_result(path: Path) -> LocalizationResult:
    with np.load(path) as z:
        meta = json.loads(str(z["meta"]))
        arrays = {k: z[k] for k in _ARRAYS}
    meta["image_size"] = tuple(meta["image_size"])
    meta["centre_size"] = tuple(meta["centre_size"])
    return LocalizationResult(**meta, **arrays)


def localize(
    member: Trained,
    splits: Splits,
    recipe: Recipe,
    method: str = "cam",
    threshold: float = 0.2,
    heuristic: str | None = None,
    box_rule: str = "paper",
) -> LocalizationResult:
    """:func:`localization.evaluate_localization` of one member on the scored set, cached
    under ``<out_dir>/cache/evals/``. ``method="cam"`` on an original GAP-headed net (the
    paper's GoogLeNet row) is Grad-CAM at its last map, which equals CAM there."""
    layer = None
    run_method = method
    if method == "cam" and not is_cam(member.network):
        if member.network not in GAP_HEAD_LAYER:
            fail("method", f"backprop or gradcam for {member.network} (no GAP head)", "cam")
        run_method, layer = "gradcam", GAP_HEAD_LAYER[member.network]
    key = stable_hash(
        member.key, member.seed, run_method, layer, threshold, heuristic, box_rule,
        splits.test_fingerprint, splits.centre_size, code_fingerprint(),
    )[:20]  # fmt: skip
    path = recipe.cache / "evals" / f"{member.network.replace('*', 'star')}-{method}-{key}.npz"
    if path.is_file():
        return _load_result(path)
    ctx = train.distributed_context(recipe.device)
    res = localization.evaluate_localization(
        member.model,
        splits.test,
        method=run_method,
        threshold=threshold,
        heuristic=heuristic,
        batch_size=recipe.batch_size if recipe.full else 100,
        device=str(train.resolve_device(recipe.device, ctx)),
        ctx=ctx,
        box_rule=box_rule,
        centre_size=splits.centre_size,
        max_boxes=splits.max_boxes,
        layer=layer,
    )
    if ctx.is_main:
        _save_result(path, res)
    return res


def classify(member: Trained, splits: Splits, recipe: Recipe) -> dict[str, float]:
    """Top-1/top-5 classification error (fractions) of one member on the scored set, cached."""
    key = stable_hash(
        member.key, member.seed, splits.test_fingerprint, "classify", code_fingerprint()
    )[:20]
    path = recipe.cache / "evals" / f"{member.network.replace('*', 'star')}-cls-{key}.json"
    if path.is_file():
        return json.loads(path.read_text())

    ctx = train.distributed_context(recipe.device)
    device = train.resolve_device(recipe.device, ctx)
    member.model.to(device).eval()
    k = min(5, splits.num_classes)

    def top(batch: tuple) -> dict[str, torch.Tensor]:
        with torch.inference_mode():
            return {"top": member.model(batch[0].to(device)).topk(k, 1).indices, "y": batch[1]}

    config = train.TrainConfig(epochs=1, batch_size=recipe.batch_size, device=recipe.device)
    out = train.map_batches(top, splits.test, config, ctx)
    err = metrics.classification_error(out["top"], out["y"], (1, k))
    res = {"top1": err["top1"], "top5": err[f"top{k}"]}
    if ctx.is_main:
        results.atomic_write_json(path, res)
    return res
