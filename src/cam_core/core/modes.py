"""Running a model for read-outs: eval mode, its train/eval and requires_grad flags restored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["eval_mode"]


@contextmanager
def eval_mode(model: nn.Module, grad: bool | None = False) -> Iterator[None]:
    """Eval mode inside the block; every module's train/eval flag is restored afterwards.

    ``grad=False``: inference mode. ``grad=True``: parameters frozen (``requires_grad`` off,
    so no parameter ``.grad`` is touched) and autograd on, even inside an outer inference mode,
    for gradients with respect to inputs or feature maps; the flags are restored too.
    ``grad=None``: autograd left as the caller has it (a caller whose callees choose).
    """
    modes = {m: m.training for m in model.modules()}
    flags = {p: p.requires_grad for p in model.parameters()} if grad else {}
    model.eval()
    for p in flags:
        p.requires_grad_(False)
    try:
        if grad is None:
            yield
        elif grad:
            with torch.inference_mode(False), torch.enable_grad():
                yield
        else:
            with torch.inference_mode():
                yield
    finally:
        for m, training in modes.items():
            m.training = training
        for p, flag in flags.items():
            p.requires_grad_(flag)
