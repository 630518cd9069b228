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

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from cam_core.validate import fail

__all__ = [
    "CAMNet",
    "OriginalNet",
    "load_checkpoint",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


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


class TransformInput(nn.Module):
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


def identity_linear(num_classes: int) -> nn.Linear:
    """Frozen ``C -> C`` identity layer: NIN's class maps are their own CAMs (w = I, b = 0)."""
    layer = nn.Linear(num_classes, num_classes)
    with torch.no_grad():
        layer.weight.copy_(torch.eye(num_classes))
        layer.bias.zero_()
    layer.weight.requires_grad_(False)
    layer.bias.requires_grad_(False)
    return layer


def init_fresh(module: nn.Module) -> None:
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
            raise RuntimeError(f"init_fresh: no rule for {type(m).__name__}")


def conv_layers(
    cin: int, cout: int, k: int, stride: int = 1, bn: bool = True, groups: int = 1
) -> list[nn.Module]:
    """Conv k x k ('same' padding for stride 1, ``groups`` groups) [+ BatchNorm] + ReLU."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=not bn, groups=groups)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.ReLU(inplace=True))
    return layers


def cam_head(
    cin: int, widths: tuple[int, ...], bn: bool, groups: int = 1
) -> list[tuple[str, nn.Module]]:
    """The layers the conversion adds before GAP: 3x3, stride 1, pad 1 convs (``groups``
    groups: 2 in the released prototxts) + ReLU."""
    named: list[tuple[str, nn.Module]] = []
    for i, cout in enumerate(widths):
        suffix = "" if i == len(widths) - 1 else f"{i}"
        for j, layer in enumerate(conv_layers(cin, cout, 3, bn=bn, groups=groups)):
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


def read_torch_file(path: str | Path, argname: str, kind: str = "weights file") -> object:
    """``torch.load(path, weights_only=True)`` on the CPU, with one-line errors naming the file
    (``kind``: what the file should be, e.g. "checkpoint file")."""
    path = Path(path)
    if not path.is_file():
        fail(argname, f"an existing {kind}", f"no file {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # corrupt, truncated or unsafe pickles raise several types
        msg = str(err).strip().splitlines()[0][:120] if str(err).strip() else ""
        what = "torch file" if kind == "weights file" else kind.removesuffix(" file")
        fail(argname, f"a weights-only {what}", f"unreadable {path} ({type(err).__name__}: {msg})")


def read_weights_file(path: str | Path, argname: str) -> dict[str, torch.Tensor]:
    """The state_dict in a weights-only torch file (raw, ``{"model": ...}`` or
    ``{"state_dict": ...}``), with one-line errors naming the file."""
    return _state_dict_from(read_torch_file(path, argname), str(Path(path)), argname)


def load_strict(
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
    state = read_weights_file(path, "path")
    load_strict(model, state, str(path), "path")
    return model
