"""Make ``import torchvision`` work on the CPU build of torch.

torchvision 0.28.0 is the only release that matches torch 2.13.0, and its PyPI wheel is a
CUDA build: on CPU torch its C++ ops library cannot load, and the import then fails while
registering meta kernels for ``torchvision::nms`` ("operator torchvision::nms does not
exist"). Declaring the two op schemas first lets the import finish; models and transforms
need no C++ op. Images are decoded with Pillow, never with ``torchvision.io``. Where the
library loads (a GPU runner with CUDA torch) nothing is declared and the real ops are used.
"""

import importlib.util
from pathlib import Path

import torch

_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_fallback_library = None  # kept alive: the schemas are dropped when the Library is freed


def ensure_importable() -> None:
    """Declare torchvision's nms schemas when its compiled ops cannot load on this torch."""
    global _fallback_library
    spec = importlib.util.find_spec("torchvision")
    if spec is None or spec.origin is None or _fallback_library is not None:
        return
    compiled = sorted(Path(spec.origin).parent.glob("_C*.so")) + sorted(
        Path(spec.origin).parent.glob("_C*.pyd")
    )
    if compiled:
        try:
            torch.ops.load_library(str(compiled[0]))
            return
        except (OSError, RuntimeError):
            pass
    _fallback_library = torch.library.Library("torchvision", "DEF")
    for schema in _SCHEMAS:
        _fallback_library.define(schema)
