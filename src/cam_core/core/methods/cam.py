"""CAM (Zhou et al. 2016, Eq. 2): M_c(x, y) = sum_k w_ck f_k(x, y), from one forward pass."""

from __future__ import annotations

import torch
from torch import nn

from cam_core.core.cam import class_activation_maps
from cam_core.core.methods.base import MapMethod
from cam_core.validate import fail

__all__ = ["CAM"]


class CAM(MapMethod):
    """CAMs of a CAMNet (``forward_features`` -> (logits, last conv map), a Linear
    ``classifier``); ``weight`` ``(C, K)`` replaces the classifier's rows (e.g. an SVM's)."""

    name = "cam"

    def __init__(self, weight: torch.Tensor | None = None) -> None:
        self.weight = weight

    def raw_maps(
        self, model: nn.Module, images: torch.Tensor, classes: torch.Tensor
    ) -> torch.Tensor:
        classifier = getattr(model, "classifier", None)
        if not hasattr(model, "forward_features") or (
            self.weight is None and not isinstance(classifier, nn.Linear)
        ):
            fail(
                "model", "a CAMNet (forward_features and a Linear classifier)", type(model).__name__
            )
        fmap = model.forward_features(images)[1]
        weight = classifier.weight if self.weight is None else self.weight
        return class_activation_maps(fmap, weight, classes)
