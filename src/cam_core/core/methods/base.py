"""The base of every class-map method: input checks, eval mode and post-processing.

A method overrides one hook, :meth:`MapMethod.raw_maps`, and is listed once in
``cam_core.core.methods.METHODS``.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from cam_core.core.cam import check_map_options, check_size, postprocess_checked
from cam_core.core.modes import eval_mode
from cam_core.validate import check_array, check_classes, fail

__all__ = ["MapMethod", "selected_score"]


class MapMethod:
    """A class-map method. Calling it gives maps ``(N, H', W')`` for ``classes`` ``(N,)``, or
    ``(N, k, H', W')`` for ``(N, k)``; the model runs in eval mode and its flags are restored."""

    name: ClassVar[str] = ""
    needs_grad: ClassVar[bool] = False  # True: autograd on, parameters frozen (eval_mode)

    def raw_maps(
        self, model: nn.Module, images: torch.Tensor, classes: torch.Tensor
    ) -> torch.Tensor:
        """The hook: maps ``(N, k, h, w)`` of ``classes`` ``(N, k)`` before resizing and scaling."""
        raise NotImplementedError

    def __call__(
        self,
        model: nn.Module,
        images: torch.Tensor,
        classes: torch.Tensor,
        size: tuple[int, int] | int | None = None,
        normalize: str | None = None,
        upsample: str = "bilinear",
        relu: bool = False,
    ) -> torch.Tensor:
        """``size`` (H', W') defaults to the map's own; ``normalize``, ``upsample`` and ``relu``
        act as in :func:`cam_core.core.cam.postprocess_maps`."""
        if not isinstance(model, nn.Module):
            fail("model", "a torch.nn.Module", type(model).__name__)
        check_array("images", images, ndim=4, layout="(N, C, H, W)")
        if not isinstance(images, torch.Tensor) or not images.is_floating_point():
            fail("images", "a floating-point torch.Tensor (N, C, H, W)", type(images).__name__)
        one = isinstance(classes, torch.Tensor) and classes.ndim == 1
        classes = _check_classes(classes, len(images), images.device)
        size = check_size(size)
        check_map_options(normalize, upsample)
        with eval_mode(model, grad=self.needs_grad):
            maps = self.raw_maps(model, images, classes)
        maps = postprocess_checked(maps.detach(), size, normalize, relu, upsample)
        return maps[:, 0] if one else maps


def _check_classes(classes: object, n: int, device: torch.device) -> torch.Tensor:
    if not isinstance(classes, torch.Tensor):
        fail("classes", "a torch.Tensor of class indices (N,) or (N, k)", type(classes).__name__)
    if classes.ndim not in (1, 2) or classes.shape[0] != n or classes.numel() == 0:
        fail("classes", f"class indices of shape (N,) or (N, k) with N = {n}", tuple(classes.shape))
    check_classes("classes", classes, None)  # the upper bound is checked against the logits
    classes = classes.to(device=device, dtype=torch.long)
    return classes[:, None] if classes.ndim == 1 else classes


def selected_score(logits: object, classes: torch.Tensor) -> torch.Tensor:
    """The sum over images of ``logits[i, classes[i]]`` (``classes`` ``(N,)``): one backward
    pass gives every image's gradient, since images do not interact in eval mode."""
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
        fail("model", "a model returning logits (N, C)", getattr(logits, "shape", type(logits)))
    check_classes("classes", classes, logits.shape[1])
    # clone: an index made under inference_mode cannot be saved for backward
    return logits.gather(1, classes.clone()[:, None]).sum()
