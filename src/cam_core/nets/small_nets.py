"""Small AlexNet, VGG, GoogLeNet and NIN variants (original and *-GAP) for the cpu profile."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch
from torch import nn

from cam_core.nets.models import (
    CAMNet,
    OriginalNet,
    cam_head,
    conv_layers,
    identity_linear,
    init_fresh,
)
from cam_core.validate import fail

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
        named = [("backbone", body), *cam_head(cin, widths, bn=True)]
        model = CAMNet(nn.Sequential(OrderedDict(named)), widths[-1], num_classes, pooling)
    init_fresh(model)
    return model


def small_alexnet(num_classes: int, variant: str = "original", width: float = 1.0) -> nn.Module:
    """AlexNet-like for 64-96 px: 5x5/2 conv, pool, 5x5 conv, pool, three 3x3 convs
    (32-64-96-96-96 ch); last conv map at stride 8 (8x8 at 64 px).

    ``variant``: "original" (pool5 + fc6/fc7/fc8), "gap" (+ conv 128 + GAP), "star"
    (AlexNet*-GAP: + conv 64 + conv 128 + GAP).
    """
    c1, c2, c3 = _w(32, width), _w(64, width), _w(96, width)
    features = [
        *conv_layers(3, c1, 5, stride=2),
        nn.MaxPool2d(3, 2, 1),
        *conv_layers(c1, c2, 5),
        nn.MaxPool2d(3, 2, 1),
        *conv_layers(c2, c3, 3),
        *conv_layers(c3, c3, 3),
        *conv_layers(c3, c3, 3),
    ]

    def head() -> list[nn.Module]:
        return [nn.MaxPool2d(3, 2, 1), *_fc_head(c3, num_classes, width)]

    return _finish_small(features, c3, num_classes, variant, width, head)


def small_vgg(num_classes: int, variant: str = "original", width: float = 1.0) -> nn.Module:
    """VGG-like for 64-96 px: 3x3 convs 16 | pool | 32, 32 | pool | 64, 64, 64; last conv
    map at stride 4 (16x16 at 64 px). ``variant``: "original" (pool5 + FC head) or "gap"."""
    c1, c2, c3 = _w(16, width), _w(32, width), _w(64, width)
    features = [
        *conv_layers(3, c1, 3),
        nn.MaxPool2d(2),
        *conv_layers(c1, c2, 3),
        *conv_layers(c2, c2, 3),
        nn.MaxPool2d(2),
        *conv_layers(c2, c3, 3),
        *conv_layers(c3, c3, 3),
        *conv_layers(c3, c3, 3),
    ]

    def head() -> list[nn.Module]:
        return [nn.MaxPool2d(2), *_fc_head(c3, num_classes, width)]

    return _finish_small(features, c3, num_classes, variant, width, head)


class _SmallInception(nn.Module):
    """GoogLeNet's inception block (1x1 | 1x1-3x3 | 1x1-3x3 | pool-1x1, BN), concatenated."""

    def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pp: int):
        super().__init__()
        self.b1 = nn.Sequential(*conv_layers(cin, c1, 1))
        self.b2 = nn.Sequential(*conv_layers(cin, c3r, 1), *conv_layers(c3r, c3, 3))
        self.b3 = nn.Sequential(*conv_layers(cin, c5r, 1), *conv_layers(c5r, c5, 3))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), *conv_layers(cin, pp, 1))
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
        *conv_layers(3, stem1, 3, stride=2), *conv_layers(stem1, stem2, 3), nn.MaxPool2d(3, 2, 1)
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
        *conv_layers(3, c1, 5, stride=2),
        *conv_layers(c1, c1, 1),
        *conv_layers(c1, c1, 1),
        nn.MaxPool2d(3, 2, 1),
        *conv_layers(c1, c2, 3),
        *conv_layers(c2, c2, 1),
        *conv_layers(c2, c2, 1),
        nn.MaxPool2d(3, 2, 1),
        *conv_layers(c2, c3, 3),
        *conv_layers(c3, c3, 1),
        nn.Conv2d(c3, num_classes, 1),
    )
    init_fresh(features)
    return CAMNet(
        features, num_classes, num_classes, "avg", classifier=identity_linear(num_classes)
    )
