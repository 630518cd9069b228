"""Backprop saliency (Simonyan et al. 2014, the paper's "Backprop"): max_colour |d S_c / d x|."""

from __future__ import annotations

import torch
from torch import nn

from cam_core.core.methods.base import MapMethod, selected_score

__all__ = ["BackpropSaliency", "backprop_saliency"]


class BackpropSaliency(MapMethod):
    """Max over colour channels of the absolute input gradient of the class score."""

    name = "backprop"
    needs_grad = True

    def raw_maps(
        self, model: nn.Module, images: torch.Tensor, classes: torch.Tensor
    ) -> torch.Tensor:
        maps = []
        for column in classes.T:  # one backward pass per ranked class, whole batch at once
            x = images.detach().clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(selected_score(model(x), column), x)
            maps.append(grad.abs().amax(dim=1))
        return torch.stack(maps, dim=1)


def backprop_saliency(
    model: nn.Module, images: torch.Tensor, classes: torch.Tensor
) -> torch.Tensor:
    """Saliency ``(N, H, W)`` at the images' size for one class per image (``classes`` ``(N,)``)."""
    return BackpropSaliency()(model, images, classes)
