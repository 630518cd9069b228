"""Argument checks shared by every public function: one-line errors that name the argument.

Each check raises :class:`InputError` (a ``ValueError``) whose message is a single line of
the form ``"<argument>: expected <what>, got <what>"``, before any work starts.
"""

from collections.abc import Sequence

import numpy as np
import torch


class InputError(ValueError):
    """Bad input to a cam_core function; the message names the argument and what was expected."""


def fail(name: str, expected: str, got: object) -> None:
    """Raise :class:`InputError` for argument ``name``."""
    raise InputError(f"{name}: expected {expected}, got {got}")


def _shape(x: torch.Tensor | np.ndarray) -> tuple[int, ...]:
    return tuple(int(s) for s in x.shape)


def check_array(
    name: str,
    x: object,
    ndim: int | Sequence[int] | None = None,
    layout: str = "",
    finite: bool = True,
    nonempty: bool = True,
) -> None:
    """Check that ``x`` is a tensor/array of the given rank(s), non-empty and free of NaN/inf.

    ``layout`` names the axes for the message, e.g. ``"(N, K, H, W)"``.
    """
    if not isinstance(x, torch.Tensor | np.ndarray):
        fail(name, f"a torch.Tensor or numpy array {layout}".rstrip(), type(x).__name__)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            ranks = " or ".join(f"{r}-D" for r in allowed)
            fail(name, f"a {ranks} array {layout}".rstrip(), f"shape {_shape(x)}")
    size = x.size if isinstance(x, np.ndarray) else x.numel()
    if nonempty and size == 0:
        fail(name, "a non-empty array", f"shape {_shape(x)}")
    if finite:
        is_float = (
            x.is_floating_point()
            if isinstance(x, torch.Tensor)
            else np.issubdtype(x.dtype, np.floating)
        )
        if is_float and not all_finite(x):
            fail(name, "finite values", "NaN or inf")


def all_finite(x: torch.Tensor | np.ndarray) -> bool:
    """Whether a float array holds no NaN or inf. A NaN or inf makes the sum non-finite, so a
    finite sum (one pass, no mask) settles it; a non-finite sum, which may be an overflow of
    finite values, is checked element by element."""
    if isinstance(x, torch.Tensor):
        with torch.no_grad():
            return bool(torch.isfinite(x.sum())) or bool(torch.isfinite(x).all())
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(x.sum())) or bool(np.isfinite(x).all())


def check_boxes(name: str, boxes: object) -> np.ndarray:
    """Check boxes ``(..., 4)`` as ``(x0, y0, x1, y1)`` with ``x0 <= x1`` and ``y0 <= y1``.

    Returns them as a float64 numpy array.
    """
    if isinstance(boxes, torch.Tensor):
        boxes = boxes.detach().cpu().numpy()
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] != 4:
        fail(name, "boxes of shape (..., 4) as (x0, y0, x1, y1)", f"shape {arr.shape}")
    if not np.isfinite(arr).all():
        fail(name, "finite box coordinates", "NaN or inf")
    if (arr[..., 2] < arr[..., 0]).any():
        fail(name, "x0 <= x1 in every box", f"{arr[arr[..., 2] < arr[..., 0]][0].tolist()}")
    if (arr[..., 3] < arr[..., 1]).any():
        fail(name, "y0 <= y1 in every box", f"{arr[arr[..., 3] < arr[..., 1]][0].tolist()}")
    return arr


def check_classes(name: str, classes: torch.Tensor, num_classes: int | None) -> None:
    """Check integer class indices in ``[0, num_classes)`` (``None``: only ``>= 0``, the
    upper bound checked later, e.g. against the logits)."""
    if classes.dtype.is_floating_point or classes.dtype == torch.bool:
        fail(name, "integer class indices", f"dtype {classes.dtype}")
    if not classes.numel():
        return
    low = int(classes.min())
    if num_classes is None:
        if low < 0:
            fail(name, "class indices >= 0", f"min {low}")
    elif low < 0 or int(classes.max()) >= num_classes:
        fail(
            name,
            f"class indices in [0, {num_classes})",
            f"range [{low}, {int(classes.max())}]",
        )


def check_count(name: str, value: object, low: int = 0) -> int:
    """``value`` as an int >= ``low``; InputError naming ``name`` otherwise (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        fail(name, f"an int >= {low}", repr(value))
    return int(value)
