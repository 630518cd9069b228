"""The paper's networks at full scale: torchvision backbones cut before their FC stack, plus GAP."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import torch
import torchvision.models as tvm
from torch import nn

from cam_core.nets.models import (
    CAMNet,
    OriginalNet,
    TransformInput,
    cam_head,
    identity_linear,
    init_fresh,
    load_checkpoint,
    load_strict,
    read_weights_file,
)
from cam_core.validate import fail

# --------------------------------------------------------------------------------------
# The paper's networks, from torchvision's definitions
# --------------------------------------------------------------------------------------

# arch -> (torchvision constructor name, weights enum name, extra constructor kwargs)
_TV = {
    "alexnet": ("alexnet", "AlexNet_Weights", {}),
    "vgg16": ("vgg16", "VGG16_Weights", {}),
    "googlenet": (
        "googlenet",
        "GoogLeNet_Weights",
        {"aux_logits": False, "transform_input": False, "init_weights": False},
    ),
    "inception3": (
        "inception_v3",
        "Inception_V3_Weights",
        {"aux_logits": False, "transform_input": False, "init_weights": False},
    ),
}
_AUX_PREFIXES = ("aux1.", "aux2.", "AuxLogits.")


def _torchvision_net(
    arch: str, num_classes: int, weights: str | Path | None, pretrained_enum: bool
) -> tuple[nn.Module, bool]:
    """The full torchvision network, its parameters uninitialised unless weights were loaded.

    Built on the meta device (instant), then materialised; returns (net, loaded).
    """

    ctor_name, enum_name, kwargs = _TV[arch]
    if weights is not None and pretrained_enum:
        fail("pretrained_enum", "False when a weights file is given", "True")
    state = None
    if weights is not None:
        state = read_weights_file(weights, "weights")
    elif pretrained_enum:  # network access: never in tests
        state = dict(getattr(tvm, enum_name).IMAGENET1K_V1.get_state_dict(progress=False))
    if state is not None:
        state = {k: v for k, v in state.items() if not k.startswith(_AUX_PREFIXES)}
    with torch.device("meta"):
        net = getattr(tvm, ctor_name)(
            weights=None, num_classes=1000 if state is not None else num_classes, **kwargs
        )
    net = net.to_empty(device="cpu")
    if state is not None:
        load_strict(net, state, str(weights or f"torchvision {enum_name}"), "weights")
    return net, state is not None


def _backbone_and_head(arch: str, net: nn.Module) -> tuple[nn.Sequential, list[nn.Module]]:
    """Split a torchvision net at its last conv map: (features up to it, the rest in order)."""
    if arch in ("alexnet", "vgg16"):
        cut = 12 if arch == "alexnet" else 30  # index of pool5 in torchvision's .features
        features = nn.Sequential(*net.features[:cut])
        return features, [net.features[cut], net.avgpool, nn.Flatten(1), net.classifier]
    children = OrderedDict(net.named_children())
    children.pop("AuxLogits", None)
    children.pop("aux1", None)
    children.pop("aux2", None)
    body = OrderedDict([("transform_input", TransformInput())])
    for name in list(children):
        if name in ("avgpool", "dropout", "fc"):
            break
        body[name] = children[name]
    head = [children["avgpool"], nn.Flatten(1), children["dropout"], children["fc"]]
    return nn.Sequential(body), head


def _cut(arch: str, features: nn.Sequential) -> tuple[nn.Sequential, int]:
    """The paper's cut of a backbone: (layers kept, channels K of the cut map)."""
    if arch in ("alexnet", "vgg16"):
        return features, (256 if arch == "alexnet" else 512)  # already stops before pool5
    stop = "inception4e" if arch == "googlenet" else "Mixed_6e"
    kept = OrderedDict()
    for name, layer in features.named_children():
        kept[name] = layer
        if name == stop:
            break
    return nn.Sequential(kept), (832 if arch == "googlenet" else 768)


def paper_original(
    arch: str, num_classes: int, weights: str | Path | None, pretrained_enum: bool
) -> OriginalNet:
    net, loaded = _torchvision_net(arch, num_classes, weights, pretrained_enum)
    features, head = _backbone_and_head(arch, net)
    if not loaded:
        init_fresh(features)
        for layer in head:
            init_fresh(layer)
    fc = head[-1] if isinstance(head[-1], nn.Linear) else head[-1][-1]
    if fc.out_features != num_classes:  # ImageNet weights, new label set: fresh last layer
        new_fc = nn.Linear(fc.in_features, num_classes)
        init_fresh(new_fc)
        if isinstance(head[-1], nn.Linear):
            head[-1] = new_fc
        else:
            head[-1][-1] = new_fc
    return OriginalNet(features, nn.Sequential(*head))


def _paper_cam(
    arch: str,
    num_classes: int,
    weights: str | Path | None,
    pretrained_enum: bool,
    pooling: str = "avg",
    extra_widths: tuple[int, ...] = (1024,),
    dropout: float = 0.0,
) -> CAMNet:
    """Backbone cut + the released CAM head: 3x3 convs of 2 groups + ReLU, GAP, [dropout], fc."""
    net, loaded = _torchvision_net(arch, num_classes, weights, pretrained_enum)
    features, cin = _cut(arch, _backbone_and_head(arch, net)[0])
    if not loaded:
        init_fresh(features)
    added = nn.Sequential(OrderedDict(cam_head(cin, extra_widths, bn=False, groups=2)))
    init_fresh(added)
    body = OrderedDict([("backbone", features), *added.named_children()])
    return CAMNet(nn.Sequential(body), extra_widths[-1], num_classes, pooling, dropout=dropout)


def alexnet_gap(num_classes: int, weights=None, pretrained_enum: bool = False) -> CAMNet:
    """AlexNet-GAP: torchvision AlexNet up to conv5 (256 x 13x13 at 224 px) + conv 1024 + GAP."""
    return _paper_cam("alexnet", num_classes, weights, pretrained_enum)


def alexnet_star_gap(num_classes: int, weights=None, pretrained_enum: bool = False) -> CAMNet:
    """AlexNet*-GAP as released (``deploy_alexnetplusCAM_imagenet.prototxt``): AlexNet up to
    conv5 (256 x 13x13 at 224 px; the released conv5 has 384), pool5 3x3 stride 1 (11x11),
    conv6 and conv7 of 512 (3x3, pad 1, 2 groups) + ReLU, GAP over 11x11, dropout 0.5, fc."""
    net, loaded = _torchvision_net("alexnet", num_classes, weights, pretrained_enum)
    features, cin = _cut("alexnet", _backbone_and_head("alexnet", net)[0])
    if not loaded:
        init_fresh(features)
    added = OrderedDict(
        [
            ("pool5", nn.MaxPool2d(3, stride=1)),
            ("cam_conv0", nn.Conv2d(cin, 512, 3, padding=1, groups=2)),
            ("cam_relu0", nn.ReLU(inplace=True)),
            ("cam_conv", nn.Conv2d(512, 512, 3, padding=1, groups=2)),
            ("cam_relu", nn.ReLU(inplace=True)),
        ]
    )
    head = nn.Sequential(added)
    init_fresh(head)
    body = OrderedDict([("backbone", features), *head.named_children()])
    return CAMNet(nn.Sequential(body), 512, num_classes, dropout=0.5)


def vgg16_gap(num_classes: int, weights=None, pretrained_enum: bool = False) -> CAMNet:
    """VGG16-GAP as released (``deploy_vgg16CAM.prototxt``): VGG16 up to conv5_3 (512 x 14x14
    at 224 px, pool5 dropped) + conv 1024 (3x3, 2 groups) + GAP + dropout 0.5 + fc."""
    return _paper_cam("vgg16", num_classes, weights, pretrained_enum, dropout=0.5)


def googlenet_gap(
    num_classes: int, weights=None, pretrained_enum: bool = False, pooling: str = "avg"
) -> CAMNet:
    """GoogLeNet-GAP (or -GMP) as released (``deploy_googlenetCAM.prototxt``): torchvision
    GoogLeNet (BN) up to inception4e (832 x 14x14 at 224 px; maxpool4, inception5a/5b
    dropped) + conv 1024 (3x3, 2 groups) + GAP/GMP + fc."""
    return _paper_cam("googlenet", num_classes, weights, pretrained_enum, pooling=pooling)


def inception3_gap(num_classes: int, weights=None, pretrained_enum: bool = False) -> CAMNet:
    """Inception-v3-GAP: up to Mixed_6e (768 x 17x17 at 299 px, 12x12 at 224) + conv 1024 + GAP.

    Mixed_7a-c (the stride-2 reduction to 8x8) are dropped, as GoogLeNet loses maxpool4.
    """
    return _paper_cam("inception3", num_classes, weights, pretrained_enum)


def nin(num_classes: int, weights=None, pretrained_enum: bool = False) -> CAMNet:
    """Network in Network (Lin et al. 2014, its ImageNet model): 4 mlpconv blocks, the last
    ending in a 1x1 conv of ``num_classes`` channels + ReLU, then GAP (6x6 at 224 px).

    CAM of class c is channel c of the last map itself: ``classifier`` is a frozen identity
    (w = I, b = 0) so the CAMNet interface and the CAM identity hold unchanged.
    """
    if pretrained_enum:
        fail("pretrained_enum", "False (torchvision has no NIN weights)", "True")

    def mlpconv(cin: int, widths: tuple[int, int, int], k: int, stride: int, pad: int) -> list:
        layers: list[nn.Module] = [nn.Conv2d(cin, widths[0], k, stride, pad), nn.ReLU(True)]
        for a, b in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Conv2d(a, b, 1), nn.ReLU(True)]
        return layers

    pool = nn.MaxPool2d(3, 2, ceil_mode=True)  # Caffe pooling rounds up: 54 -> 27 -> 13 -> 6
    features = nn.Sequential(
        *mlpconv(3, (96, 96, 96), 11, 4, 0),
        pool,
        *mlpconv(96, (256, 256, 256), 5, 1, 2),
        nn.MaxPool2d(3, 2, ceil_mode=True),
        *mlpconv(256, (384, 384, 384), 3, 1, 1),
        nn.MaxPool2d(3, 2, ceil_mode=True),
        nn.Dropout(0.5),
        *mlpconv(384, (1024, 1024, num_classes), 3, 1, 1),
    )
    init_fresh(features)
    model = CAMNet(
        features, num_classes, num_classes, "avg", classifier=identity_linear(num_classes)
    )
    if weights is not None:
        load_checkpoint(model, weights)
    return model
