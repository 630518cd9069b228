"""Grad-CAM (Selvaraju et al. 2017): ReLU(sum_k alpha_k f_k), alpha_k = mean_xy d S_c / d f_k."""

from __future__ import annotations

import torch
from torch import nn

from cam_core.core.methods.base import MapMethod, selected_score
from cam_core.validate import fail

__all__ = ["GradCAM", "grad_cam"]


class GradCAM(MapMethod):
    """Grad-CAM on ``model.forward_features``'s map (the last conv map) or, with ``layer``, on
    the output of that named module (a forward hook, removed before returning)."""

    name = "gradcam"
    needs_grad = True

    def __init__(self, layer: str | None = None) -> None:
        self.layer = layer

    def feature_gradients(
        self, model: nn.Module, images: torch.Tensor, classes: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(map f ``(N, K, h, w)``, d S_c / d f) for one class per image (``classes`` ``(N,)``)."""
        target = None
        if self.layer is None and not hasattr(model, "forward_features"):
            fail("layer", "a module name when model has no forward_features", "None")
        if self.layer is not None:
            modules = dict(model.named_modules())
            target = modules.get(self.layer) if isinstance(self.layer, str) else None
            if target is None:
                fail(
                    "layer", "the name of a submodule of model (e.g. 'features')", repr(self.layer)
                )
        captured: list[torch.Tensor] = []
        handle = None
        try:
            if target is not None:
                handle = target.register_forward_hook(lambda _m, _i, out: captured.append(out))
            x = images.detach().clone().requires_grad_(True)  # keeps a graph to f
            if target is None:
                logits, fmap = model.forward_features(x)
            else:
                logits = model(x)
                if len(captured) != 1 or not isinstance(captured[0], torch.Tensor):
                    fail(
                        "layer",
                        "a module run once per forward, returning a tensor",
                        repr(self.layer),
                    )
                fmap = captured[0]
            if fmap.ndim != 4:
                fail("layer", "a map of shape (N, K, h, w)", f"shape {tuple(fmap.shape)}")
            (grad,) = torch.autograd.grad(selected_score(logits, classes), fmap)
        finally:
            if handle is not None:
                handle.remove()
        return fmap.detach(), grad

    def raw_maps(
        self, model: nn.Module, images: torch.Tensor, classes: torch.Tensor
    ) -> torch.Tensor:
        maps = []
        for column in classes.T:  # one backward pass per ranked class, whole batch at once
            fmap, grad = self.feature_gradients(model, images, column)
            alpha = grad.mean(dim=(2, 3), keepdim=True)  # (N, K, 1, 1)
            maps.append((alpha * fmap).sum(dim=1).clamp_min(0))
        return torch.stack(maps, dim=1)


def grad_cam(
    model: nn.Module,
    images: torch.Tensor,
    classes: torch.Tensor,
    size: tuple[int, int] | int | None = None,
    layer: str | None = None,
    normalize: str | None = None,
    upsample: str = "bilinear",
) -> torch.Tensor:
    """Grad-CAM ``(N, H', W')`` for one class per image (``classes`` ``(N,)``); ``size``
    defaults to the map's own resolution (h, w)."""
    return GradCAM(layer)(model, images, classes, size, normalize, upsample)
