"""Baselines beside CAM: backprop saliency (Simonyan et al. 2014, the paper's "Backprop")
and Grad-CAM (Selvaraju et al. 2017).

Both run the model in eval mode with its parameters' ``requires_grad`` switched off (only the
input/map gradient is needed), take one backward pass of the summed selected scores for the
whole batch, and restore the model's train/eval and ``requires_grad`` flags afterwards.
Parameter ``.grad`` fields are never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from cam_core.core.cam import check_map_options, check_size, postprocess_checked
from cam_core.validate import check_array, check_classes, fail

__all__ = [
    "backprop_saliency",
    "grad_cam",
]


@contextmanager
def _frozen_eval(model: nn.Module) -> Iterator[None]:
    """Eval mode, parameters frozen, gradients on (even inside inference_mode); restored after."""
    modes = {m: m.training for m in model.modules()}
    flags = {p: p.requires_grad for p in model.parameters()}
    model.eval()
    for p in flags:
        p.requires_grad_(False)
    try:
        with torch.inference_mode(False), torch.enable_grad():
            yield
    finally:
        for m, training in modes.items():
            m.training = training
        for p, flag in flags.items():
            p.requires_grad_(flag)


def _check_inputs(model: object, images: object, classes: object) -> torch.Tensor:
    if not isinstance(model, nn.Module):
        fail("model", "a torch.nn.Module", type(model).__name__)
    check_array("images", images, ndim=4, layout="(N, C, H, W)")
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        fail("images", "a floating-point torch.Tensor (N, C, H, W)", type(images).__name__)
    if not isinstance(classes, torch.Tensor):
        fail("classes", "a torch.Tensor of class indices (N,)", type(classes).__name__)
    if classes.ndim != 1 or classes.shape[0] != images.shape[0]:
        fail(
            "classes",
            f"class indices of shape (N,) with N = {images.shape[0]}",
            f"shape {tuple(classes.shape)}",
        )
    if classes.dtype.is_floating_point or classes.dtype == torch.bool:
        fail("classes", "integer class indices", f"dtype {classes.dtype}")
    if bool((classes < 0).any()):  # the upper bound is checked against the logits
        fail("classes", "class indices >= 0", f"min {int(classes.min())}")
    return classes.to(device=images.device, dtype=torch.long)


def _selected_score(logits: object, classes: torch.Tensor) -> torch.Tensor:
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
        fail(
            "model",
            "a model returning logits (N, C)",
            getattr(logits, "shape", type(logits).__name__),
        )
    check_classes("classes", classes, logits.shape[1])
    # clone: an index made under inference_mode cannot be saved for backward
    return logits.gather(1, classes.clone()[:, None]).sum()


def backprop_saliency(
    model: nn.Module, images: torch.Tensor, classes: torch.Tensor
) -> torch.Tensor:
    """Simonyan et al. saliency: max over colour channels of |d S_c / d image|, ``(N, H, W)``,
    for one class per image (``classes`` ``(N,)``)."""
    classes = _check_inputs(model, images, classes)
    with _frozen_eval(model):
        x = images.detach().clone().requires_grad_(True)
        score = _selected_score(model(x), classes)
        (grad,) = torch.autograd.grad(score, x)
    return grad.abs().amax(dim=1)


def grad_cam(
    model: nn.Module,
    images: torch.Tensor,
    classes: torch.Tensor,
    size: tuple[int, int] | int | None = None,
    layer: str | None = None,
    normalize: str | None = None,
    upsample: str = "bilinear",
) -> torch.Tensor:
    """Grad-CAM ``(N, H, W)``: ReLU(sum_k alpha_k f_k) with alpha_k the spatial mean of
    d S_c / d f_k, one class per image (``classes`` ``(N,)``).

    The map f is ``model.forward_features``'s (the last conv map) or, with ``layer``, the
    output of that named module (a forward hook, removed before returning). ``size``,
    ``normalize`` and ``upsample`` act as in :func:`cam_core.core.cam.postprocess_maps`; default
    is the map's own resolution (h, w).
    """
    classes = _check_inputs(model, images, classes)
    size = check_size(size)
    check_map_options(normalize, upsample)
    if layer is None and not hasattr(model, "forward_features"):
        fail("layer", "a module name when model has no forward_features", "None")
    target = None
    if layer is not None:
        target = dict(model.named_modules()).get(layer) if isinstance(layer, str) else None
        if target is None:
            fail("layer", "the name of a submodule of model (e.g. 'features')", repr(layer))

    captured: list[torch.Tensor] = []
    handle = None
    try:
        if target is not None:
            handle = target.register_forward_hook(lambda _m, _i, out: captured.append(out))
        with _frozen_eval(model):
            x = images.detach().clone().requires_grad_(True)  # keeps a graph to f
            if target is None:
                logits, fmap = model.forward_features(x)
            else:
                logits = model(x)
                if len(captured) != 1 or not isinstance(captured[0], torch.Tensor):
                    fail("layer", "a module run once per forward, returning a tensor", repr(layer))
                fmap = captured[0]
            if fmap.ndim != 4:
                fail("layer", "a map of shape (N, K, h, w)", f"shape {tuple(fmap.shape)}")
            (grad,) = torch.autograd.grad(_selected_score(logits, classes), fmap)
    finally:
        if handle is not None:
            handle.remove()
    alpha = grad.mean(dim=(2, 3), keepdim=True)  # (N, K, 1, 1)
    maps = (alpha * fmap.detach()).sum(dim=1, keepdim=True).clamp_min(0)
    return postprocess_checked(maps, size, normalize, False, upsample)[:, 0]
