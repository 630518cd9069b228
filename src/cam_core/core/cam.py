"""Class activation maps: M_c(x, y) = sum_k w_k^c f_k(x, y) (Zhou et al. 2016, Eq. 2).

One batched contraction of the last conv map the forward pass already computed with the
classifier rows of the requested classes: no second pass, no per-class loop, no hooks.

Order of post-processing: contraction -> ReLU (at the map's own resolution) -> upsampling
to ``size`` -> normalisation. The ReLU belongs to the map, as in Grad-CAM's definition
ReLU(sum_k alpha_k f_k), so CAM and Grad-CAM stay comparable after upsampling, and bilinear
interpolation of a non-negative map stays non-negative. Normalising after upsampling makes
the returned maps reach exactly 1 (``"max"``) or span exactly [0, 1] (``"minmax"``):
bilinear interpolation with ``align_corners=False`` averages neighbours and so lowers the
peak slightly, and the paper's box rule (keep pixels >= 20% of the max) reads the map at
image resolution.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cam_core.core.modes import eval_mode
from cam_core.validate import check_array, check_classes, fail

__all__ = [
    "class_activation_maps",
    "cams_for_topk",
    "postprocess_maps",
]

_NORMALIZE = (None, "max", "minmax")
_UPSAMPLE = ("bilinear", "bicubic", "nearest")


def check_size(size: object) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, int) and not isinstance(size, bool):
        size = (size, size)
    if (
        not isinstance(size, tuple | list | torch.Size)
        or len(size) != 2
        or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size)
    ):
        fail("size", "None, a positive int or (H, W) positive ints", repr(size))
    return int(size[0]), int(size[1])


def _check_finite(name: str, x: torch.Tensor, layout: str) -> None:
    """NaN/inf check at the cost of one sum: any non-finite element makes the sum non-finite;
    only then (or on overflow of the sum itself) the exact element-wise check runs."""
    if not bool(torch.isfinite(x.sum())):
        check_array(name, x, layout=layout)


def check_map_options(normalize: object, upsample: object) -> None:
    if normalize not in _NORMALIZE:
        fail("normalize", 'None, "max" or "minmax"', repr(normalize))
    if upsample not in _UPSAMPLE:
        fail("upsample", f"one of {_UPSAMPLE}", repr(upsample))


def postprocess_maps(
    maps: torch.Tensor,
    size: tuple[int, int] | int | None = None,
    normalize: str | None = None,
    relu: bool = False,
    upsample: str = "bilinear",
) -> torch.Tensor:
    """Optionally ReLU ``(N, k, h, w)`` maps, upsample them to ``size`` (``align_corners=False``),
    then normalise each map: ``"max"`` divides by its max (maps whose max <= 0 become all 0),
    ``"minmax"`` maps to [0, 1] (constant maps become all 0)."""
    check_array("maps", maps, ndim=4, layout="(N, k, h, w)", finite=False)
    if not isinstance(maps, torch.Tensor) or not maps.is_floating_point():
        fail("maps", "a floating-point torch.Tensor", f"{type(maps).__name__} {maps.dtype}")
    _check_finite("maps", maps, "(N, k, h, w)")
    check_map_options(normalize, upsample)
    return postprocess_checked(maps, check_size(size), normalize, relu, upsample)


def postprocess_checked(
    maps: torch.Tensor,
    size: tuple[int, int] | None,
    normalize: str | None,
    relu: bool,
    upsample: str,
    owned: bool = False,
) -> torch.Tensor:
    """``owned``: ``maps`` is a temporary of the caller and may be overwritten."""
    if relu:
        maps, owned = maps.clamp_min(0), True
    if size is not None and tuple(maps.shape[-2:]) != size:
        kwargs = {} if upsample == "nearest" else {"align_corners": False}
        maps, owned = F.interpolate(maps, size=size, mode=upsample, **kwargs), True  # per channel
    # Normalise in place where the maps are ours: all 1,000 classes at 224 px are 200 MB per
    # image, and a second and third full-size tensor cost more than the contraction itself.
    inplace = owned and not maps.requires_grad
    tiny = torch.finfo(maps.dtype).tiny
    if normalize == "max":
        peak = maps.amax(dim=(2, 3), keepdim=True)
        # No positive evidence anywhere: all zeros (x / inf) rather than a sign flip.
        scale = torch.where(peak > 0, peak.clamp_min(tiny), torch.inf)
        maps = maps.div_(scale) if inplace else maps / scale
    elif normalize == "minmax":
        low = maps.amin(dim=(2, 3), keepdim=True)
        span = maps.amax(dim=(2, 3), keepdim=True) - low
        scale = torch.where(span > 0, span.clamp_min(tiny), torch.inf)  # constant maps -> 0
        maps = maps.sub_(low).div_(scale) if inplace else (maps - low) / scale
    return maps


def class_activation_maps(
    features: torch.Tensor,
    weight: torch.Tensor,
    classes: torch.Tensor | None = None,
    size: tuple[int, int] | int | None = None,
    normalize: str | None = None,
    relu: bool = False,
    upsample: str = "bilinear",
) -> torch.Tensor:
    """CAMs ``(N, k, H', W')`` from the last conv map ``features`` ``(N, K, h, w)`` and the
    classifier ``weight`` ``(C, K)`` for ``classes`` ``(N, k)`` (per image; ``(N,)`` means
    k = 1) or all ``C`` classes when None. ``size`` (H', W') defaults to (h, w).

    Without options the maps are raw class scores per location: their spatial mean plus the
    classifier bias b_c is the logit S_c of a GAP network.
    """
    check_array("features", features, ndim=4, layout="(N, K, h, w)", finite=False)
    check_array("weight", weight, ndim=2, layout="(C, K)", finite=False)
    for name, x in (("features", features), ("weight", weight)):
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            fail(name, "a floating-point torch.Tensor", f"{type(x).__name__} {x.dtype}")
    _check_finite("features", features, "(N, K, h, w)")
    _check_finite("weight", weight, "(C, K)")
    n, k_feat, h, w = features.shape
    num_classes, k_weight = weight.shape
    if k_weight != k_feat:
        fail(
            "weight",
            f"(C, K) with K = {k_feat} channels as in features",
            f"shape {tuple(weight.shape)}",
        )
    size = check_size(size)
    check_map_options(normalize, upsample)
    # detached: CAMs are read-outs, and fmap may be an inference-mode tensor
    weight = weight.detach().to(device=features.device, dtype=features.dtype)
    flat = features.reshape(n, k_feat, h * w)
    if classes is None:
        maps = torch.matmul(weight, flat)  # (C, K) @ (N, K, hw) -> (N, C, hw)
    else:
        if not isinstance(classes, torch.Tensor):
            fail("classes", "a torch.Tensor of class indices (N, k)", type(classes).__name__)
        if classes.ndim == 1:
            classes = classes[:, None]
        if classes.ndim != 2 or classes.shape[0] != n:
            fail(
                "classes",
                f"class indices of shape (N, k) with N = {n}",
                f"shape {tuple(classes.shape)}",
            )
        if classes.shape[1] == 0:
            fail("classes", "at least one class per image", f"shape {tuple(classes.shape)}")
        check_classes("classes", classes, num_classes)
        rows = weight[classes.to(device=features.device, dtype=torch.long)]  # (N, k, K)
        maps = torch.bmm(rows, flat)  # (N, k, hw)
    return postprocess_checked(
        maps.reshape(n, -1, h, w), size, normalize, relu, upsample, owned=True
    )


def cams_for_topk(
    model: nn.Module, images: torch.Tensor, k: int = 5, **options: object
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One ``forward_features`` pass (eval mode, inference mode) of a CAMNet on ``images``
    ``(N, 3, H, W)`` -> (logits ``(N, C)``, top-k classes ``(N, k)`` best first, CAMs
    ``(N, k, H, W)``). ``options`` go to :func:`class_activation_maps`; ``size`` defaults to
    the image size (``size=None``: the map's own resolution). The model's train/eval flags
    are restored afterwards."""
    if not (
        isinstance(model, nn.Module)
        and hasattr(model, "forward_features")
        and isinstance(getattr(model, "classifier", None), nn.Linear)
    ):
        fail("model", "a CAMNet (forward_features and a Linear classifier)", type(model).__name__)
    check_array("images", images, ndim=4, layout="(N, 3, H, W)")
    num_classes = model.classifier.out_features
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= num_classes:
        fail("k", f"an int in [1, {num_classes}]", repr(k))
    options.setdefault("size", tuple(images.shape[-2:]))
    with eval_mode(model):
        logits, fmap = model.forward_features(images)
        top = logits.topk(k, dim=1).indices
        cams = class_activation_maps(fmap, model.classifier.weight, top, **options)
    return logits, top, cams
