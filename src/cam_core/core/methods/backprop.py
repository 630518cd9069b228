"""Backprop saliency (Simonyan et al. 2014, the paper's "Backprop"): |d S_c / d x| reduced over
colour, by its max (Simonyan et al.) or its sum (the released evaluation)."""

from __future__ import annotations

import torch
from torch import nn

from cam_core.core.methods.base import MapMethod, selected_score
from cam_core.validate import fail

__all__ = ["BackpropSaliency", "backprop_saliency", "REDUCTIONS"]

REDUCTIONS = ("max", "sum")


class BackpropSaliency(MapMethod):
    """The absolute input gradient of the class score, reduced over colour channels:
    ``reduce="max"`` (Simonyan et al.) or ``"sum"`` (``zhoubolei/CAM``'s ``crop2img`` sums
    the absolute gradients over the three channels and the ten crops)."""

    name = "backprop"
    needs_grad = True

    def __init__(self, reduce: str = "max") -> None:
        if reduce not in REDUCTIONS:
            fail("reduce", f"one of {REDUCTIONS}", repr(reduce))
        self.reduce = reduce

    def raw_maps(
        self, model: nn.Module, images: torch.Tensor, classes: torch.Tensor
    ) -> torch.Tensor:
        maps = []
        for column in classes.T:  # one backward pass per ranked class, whole batch at once
            x = images.detach().clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(selected_score(model(x), column), x)
            a = grad.abs()
            maps.append(a.amax(dim=1) if self.reduce == "max" else a.sum(dim=1))
        return torch.stack(maps, dim=1)


def backprop_saliency(
    model: nn.Module, images: torch.Tensor, classes: torch.Tensor, reduce: str = "max"
) -> torch.Tensor:
    """Saliency ``(N, H, W)`` at the images' size for one class per image (``classes`` ``(N,)``)."""
    return BackpropSaliency(reduce)(model, images, classes)
