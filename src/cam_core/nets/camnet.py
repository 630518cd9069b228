"""CAMs for the user's own network: wrap any classifier that ends in GAP and one nn.Linear.

:func:`as_camnet` finds, on one probe pass, the module whose output is the last feature map
and the Linear classifier itself, and checks that the model's logits are that Linear applied
to the map's spatial mean; the wrapper then has the :class:`~cam_core.nets.models.CAMNet`
interface (``forward_features`` -> (logits, map), ``classifier``) that every CAM function
of this package reads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cam_core.core.modes import eval_mode
from cam_core.nets.models import CAMNet
from cam_core.validate import InputError

__all__ = ["GAPNetwork", "as_camnet"]

_POST = {"none": lambda t: t, "relu": F.relu}  # an activation applied functionally after the map
# the pooled vector itself, (N, K, 1, 1), is not a feature map
_POOLS = (nn.AdaptiveAvgPool2d, nn.AvgPool2d, nn.AdaptiveMaxPool2d, nn.MaxPool2d, nn.Flatten)
_GRAD_CAM_HINT = "CAM does not apply; Grad-CAM (cam_core.core.methods.GradCAM) works on any network"


class GAPNetwork(nn.Module):
    """A network ending in global average pooling and one Linear, seen as a CAMNet.

    ``source``: the submodule whose output (after ``post``, "none" or "relu") is the last
    feature map; ``classifier_name``: the Linear. The model is shared, not copied.
    """

    def __init__(self, model: nn.Module, source: str, post: str, classifier_name: str) -> None:
        super().__init__()
        self.model = model
        self.source, self.post, self.classifier_name = source, post, classifier_name
        self.last_conv_name = f"model.{source}"

    @property
    def classifier(self) -> nn.Linear:
        """The model's own final Linear: ``weight`` ``(C, K)`` holds the paper's w_k^c."""
        return self.model.get_submodule(self.classifier_name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def forward_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One pass of the model's own forward: (logits ``(N, C)``, map ``(N, K, h, w)``)."""
        seen: list[torch.Tensor] = []
        module = self.model.get_submodule(self.source)
        handle = module.register_forward_hook(lambda _m, _i, out: seen.append(out))
        try:
            logits = self.model(x)
        finally:
            handle.remove()
        return logits, _POST[self.post](seen[-1])


def as_camnet(model: nn.Module, input_size: int = 224) -> nn.Module:
    """``model`` as a CAMNet, when its logits are one Linear applied to the global average
    of its last feature map (ResNet, DenseNet, EfficientNet, RegNet, GoogLeNet, ...).

    The structure is read on one probe pass of a random ``(1, 3, S, S)`` image (S =
    ``input_size``) in eval mode. A CAMNet is returned as it is. A network whose head is not
    GAP + one Linear (VGG's FC stack, MobileNetV3's two Linears) gets a one-line InputError.
    """
    if isinstance(model, CAMNet | GAPNetwork):
        return model
    if not isinstance(model, nn.Module):
        raise InputError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    kind = type(model).__name__
    names = {m: n for n, m in model.named_modules()}
    maps: list[tuple[str, torch.Tensor]] = []  # 4-D outputs, in the order modules finish
    linears: list[tuple[str, torch.Tensor, torch.Tensor, int]] = []  # name, in, out, len(maps)

    def record(module: nn.Module, inputs: tuple, out: object) -> None:
        if isinstance(module, nn.Linear):
            linears.append((names[module], inputs[0], out, len(maps)))
        elif isinstance(out, torch.Tensor) and out.ndim == 4 and not isinstance(module, _POOLS):
            maps.append((names[module], out))

    handles = [m.register_forward_hook(record) for m in names if m is not model]
    probe = torch.randn(1, 3, input_size, input_size, generator=torch.Generator().manual_seed(0))
    try:
        with eval_mode(model):
            param = next(model.parameters(), None)
            logits = model(probe.to(param.device if param is not None else "cpu"))
    finally:
        for h in handles:
            h.remove()
    if isinstance(logits, tuple):  # e.g. GoogLeNet's namedtuple in training-style configs
        logits = logits[0]
    if not linears or not torch.equal(linears[-1][2], logits):
        raise InputError(
            f"model: expected a network whose logits come from a final nn.Linear, got {kind} "
            f"(its output is not the output of an nn.Linear); {_GRAD_CAM_HINT}"
        )
    name, pooled, _, after = linears[-1]
    in_head = sum(1 for lin in linears if lin[3] == after)
    if in_head > 1:
        raise InputError(
            f"model: expected global average pooling then one nn.Linear, got {kind} with "
            f"{in_head} Linear layers after its last feature map; {_GRAD_CAM_HINT}"
        )
    for source, fmap in reversed(maps[:after]):
        if fmap.shape[1] != pooled.shape[-1] or fmap.shape[2] * fmap.shape[3] == 1:
            continue
        for post, fn in _POST.items():
            mean = fn(fmap).mean(dim=(2, 3))
            if torch.allclose(mean, pooled.reshape(mean.shape), rtol=1e-4, atol=1e-5):
                return GAPNetwork(model, source, post, name)
    raise InputError(
        f"model: expected global average pooling of the last feature map before the final "
        f"nn.Linear {name!r}, got {kind} whose Linear input is no map's spatial mean; "
        f"{_GRAD_CAM_HINT}"
    )
