"""cam_core: Class Activation Mapping (Zhou et al., CVPR 2016), one module per idea."""

from cam_core._torchvision import ensure_importable as _ensure_torchvision_importable

_ensure_torchvision_importable()

__version__ = "0.1.0"
