"""Cached localization and classification scores of one trained member of a network family,
and the 95% intervals of differences between two rows' per-image errors (Tables 1-3)."""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from scipy.stats import t as student_t

from cam_core.common import claims
from cam_core.common.claims import Claim
from cam_core.core import metrics
from cam_core.fingerprint import code_fingerprint
from cam_core.items import localization
from cam_core.items.family import Trained
from cam_core.items.localization import LocalizationResult
from cam_core.items.recipe import GAP_HEAD_LAYER, Recipe, Splits, is_cam, stable_hash
from cam_core.items.tencrop_eval import CROPS, evaluate_ten_crop, ten_crop_top
from cam_core.nets import train
from cam_core.validate import fail

__all__ = [
    "classify",
    "classify_images",
    "classification_errors",
    "localize",
    "pooled_seed_std",
    "seed_dof",
    "seed_quantile",
    "seed_se",
    "paired_seed_se",
    "paired_difference",
    "difference_claim",
    "not_built_claim",
]


# --------------------------------------------------------------------------- evaluation


_ARRAYS = (
    "labels", "top_classes", "pred_classes", "pred_boxes", "ious", "gt_boxes", "gt_box_labels",
    "gt_known_boxes", "gt_known_iou", "thresholds", "curve", "image_sizes", "box_hits",
    "box_hits_v2",
)  # fmt: skip


def _save_result(path: Path, res: LocalizationResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "method": res.method,
        "threshold": res.threshold,
        "heuristic": res.heuristic,
        "box_rule": res.box_rule,
        "crops": res.crops,
        "backprop_variant": res.backprop_variant,
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
    crops: str = "single",
    backprop_variant: str = "simonyan",
) -> LocalizationResult:
    """:func:`localization.evaluate_localization` of one member on the scored set, cached
    under ``<out_dir>/cache/evals/``. ``method="cam"`` on an original GAP-headed net (the
    paper's GoogLeNet row) is Grad-CAM at its last map, which equals CAM there. ``crops``:
    "single" (the image at the network's size) or "ten" (:mod:`tencrop_eval`, the released
    protocol); ``backprop_variant``: "simonyan" or "released" (:data:`BACKPROP_VARIANTS`)."""
    if crops not in CROPS:
        fail("crops", f"one of {CROPS}", repr(crops))
    if backprop_variant not in localization.BACKPROP_VARIANTS:
        fail("backprop_variant", f"one of {tuple(localization.BACKPROP_VARIANTS)}",
             repr(backprop_variant))  # fmt: skip
    layer = None
    run_method = method
    if method == "cam" and not is_cam(member.network):
        if member.network not in GAP_HEAD_LAYER:
            fail("method", f"backprop or gradcam for {member.network} (no GAP head)", "cam")
        run_method, layer = "gradcam", GAP_HEAD_LAYER[member.network]
    key = stable_hash(
        member.key, member.seed, run_method, layer, threshold, heuristic, box_rule, crops,
        backprop_variant if run_method == "backprop" else None,
        splits.test_fingerprint, splits.centre_size, code_fingerprint(),
    )[:20]  # fmt: skip
    path = recipe.cache / "evals" / f"{member.network.replace('*', 'star')}-{method}-{key}.npz"
    if path.is_file():
        return _load_result(path)
    ctx = train.distributed_context(recipe.device)
    evaluate = evaluate_ten_crop if crops == "ten" else localization.evaluate_localization
    res = evaluate(
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
        backprop_variant=backprop_variant,
    )
    if ctx.is_main:
        _save_result(path, res)
    return res


def classify_images(
    member: Trained, splits: Splits, recipe: Recipe, crops: str = "single"
) -> dict[str, np.ndarray]:
    """Per-image classification of one member on the scored set, cached: ``labels (N,)`` and
    the ranked classes ``top (N, k)``, k = min(5, classes); ``crops="ten"``: ranked by the
    mean score of the ten crops (:func:`tencrop_eval.ten_crop_top`)."""
    if crops not in CROPS:
        fail("crops", f"one of {CROPS}", repr(crops))
    key = stable_hash(
        member.key, member.seed, splits.test_fingerprint, "classify-images", crops,
        code_fingerprint(),
    )[:20]  # fmt: skip
    path = recipe.cache / "evals" / f"{member.network.replace('*', 'star')}-cls-{key}.npz"
    if path.is_file():
        with np.load(path) as z:
            return {"labels": z["labels"], "top": z["top"]}

    ctx = train.distributed_context(recipe.device)
    device = train.resolve_device(recipe.device, ctx)
    member.model.to(device).eval()
    k = min(5, splits.num_classes)

    def top(batch: tuple) -> dict[str, torch.Tensor]:
        with torch.inference_mode():
            return {"top": member.model(batch[0].to(device)).topk(k, 1).indices, "y": batch[1]}

    if crops == "ten":
        res = ten_crop_top(member.model, splits.test, k, recipe.batch_size, str(device), ctx)
    else:
        config = train.TrainConfig(epochs=1, batch_size=recipe.batch_size, device=recipe.device)
        out = train.map_batches(top, splits.test, config, ctx)
        res = {"labels": np.asarray(out["y"]), "top": np.asarray(out["top"])}
    if ctx.is_main:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez_compressed(tmp, **res)
        os.replace(tmp, path)
    return res


def classification_errors(images: dict[str, np.ndarray], k: int) -> np.ndarray:
    """Per-image top-``k`` classification error ``(N,)``, 0 or 1, of :func:`classify_images`'
    output (k above the ranked classes counts every class ranked)."""
    top, labels = images["top"], images["labels"]
    return ~(top[:, :k] == labels[:, None]).any(1)


def classify(
    member: Trained, splits: Splits, recipe: Recipe, crops: str = "single"
) -> dict[str, float]:
    """Top-1/top-5 classification error (fractions) of one member on the scored set, cached
    (:func:`classify_images`)."""
    images = classify_images(member, splits, recipe, crops)
    err = metrics.classification_error(images["top"], images["labels"], (1, images["top"].shape[1]))
    return {"top1": err["top1"], "top5": err[f"top{images['top'].shape[1]}"]}


# --------------------------------------------------------------------------- intervals


N_BOOT = 2000  # bootstrap replicates of every interval
BELOW = functools.partial(claims.compare, boundary=0.0, direction="below")


def pooled_seed_std(errors: Sequence[np.ndarray]) -> float | None:
    """Seed-to-seed std (points) of a row's error: the root mean of the sample variances of
    the per-seed errors of the rows ``(seeds, N)`` trained with >= 2 seeds; None if none."""
    var = [float(np.var(e.mean(1), ddof=1)) for e in errors if e.shape[0] >= 2]
    return float(np.sqrt(np.mean(var))) if var else None


def seed_dof(errors: Sequence[np.ndarray]) -> int:
    """Degrees of freedom of :func:`pooled_seed_std`: the sum of seeds - 1 over the rows
    ``(seeds, N)`` trained with >= 2 seeds."""
    return sum(e.shape[0] - 1 for e in errors if e.shape[0] >= 2)


def seed_quantile(dof: int) -> float:
    """The 97.5% quantile that scales a seed std estimated with ``dof`` degrees of freedom:
    Student's t (4.30 for 2, 2.78 for 4), the normal 1.96 when nothing was estimated (0)."""
    return float(student_t.ppf(0.975, dof)) if dof > 0 else 1.96


def seed_se(std: float | None, n_a: int, n_b: int) -> float:
    """Standard error (points) from training seeds of the difference of two independently
    trained rows, means over ``n_a`` and ``n_b`` seeds of std ``std``; 0 when std is None."""
    return 0.0 if std is None else float(std) * math.sqrt(1.0 / n_a + 1.0 / n_b)


def paired_seed_se(a: np.ndarray, b: np.ndarray) -> float | None:
    """Standard error (points) from seeds of the difference of two methods on the SAME trained
    members ``(seeds, N)``: the std of the per-seed differences over sqrt(seeds); None for
    one seed."""
    if a.shape[0] != b.shape[0]:
        fail("b", f"the same {a.shape[0]} members as a", f"{b.shape[0]} members")
    if a.shape[0] < 2:
        return None
    return float(np.std(a.mean(1) - b.mean(1), ddof=1) / math.sqrt(a.shape[0]))


def paired_difference(
    a: np.ndarray,
    b: np.ndarray,
    se: float,
    z: float = 1.96,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> tuple[float, float, float]:
    """``(difference, low, high)`` of two rows' errors (points), per-image ``(seeds, N)`` in
    percent on the same N images: a paired bootstrap over the images of the seed-averaged
    per-image errors, each side widened by ``z * se`` in quadrature (the seeds' part)."""
    est, low, high = claims.paired_bootstrap(a.mean(0), b.mean(0), n_boot=n_boot, seed=seed)
    if se > 0:  # with_seed_spread with one seed per side: s_diff = seed_std * sqrt(2) = se
        low, high = claims.with_seed_spread(low, high, est, se / math.sqrt(2.0), 1, z=z)
    return est, low, high


def difference_claim(
    claim_id: str,
    text: str,
    a: np.ndarray,
    b: np.ndarray,
    rule: claims.Rule,
    criterion: str,
    *,
    se: float,
    z: float = 1.96,
    chance: Sequence[tuple[str, float]] = (),
    num_classes: int = 2,
    paper_diff: float | None = None,
    data: str = "",
) -> Claim:
    """The claim ``rule`` on the difference a - b of two rows' errors (points, per-image
    ``(seeds, N)`` in percent; :func:`paired_difference` with ``se``, ``z``); "not tested"
    when a compared network's top-1 classification error (``chance``: (name, %)) is near
    chance."""
    pre = [
        (not claims.near_chance(err, num_classes), f"{name} is within 10 points of chance "
         f"top-1 classification error ({err:.1f}%, chance {100 * (1 - 1 / num_classes):.0f}%)")
        for name, err in chance
    ]  # fmt: skip
    est, low, high = paired_difference(a, b, se, z)
    return claims.judge(
        claim_id, text, est, low, high, rule, criterion,
        unit="points", paper=paper_diff, preconditions=pre, data=data,
    )  # fmt: skip


def not_built_claim(claim_id: str, text: str, reason: str, paper_value: float | None) -> Claim:
    """A claim of the paper this run cannot test (a row not built here), with the reason."""
    return Claim(claim_id, text, None, None, None, "points", paper_value, "", "not tested", reason)
