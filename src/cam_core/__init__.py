"""cam_core: Class Activation Mapping (Zhou et al., CVPR 2016), a small layered library.

The names most users need are importable from here; the layers are the subpackages (core,
nets, datasets, synthetic, common, items, report, testing; see README.md).
"""

from cam_core._torchvision import ensure_importable as _ensure_torchvision_importable

_ensure_torchvision_importable()

from cam_core.core.boxes import (  # noqa: E402  (after the torchvision check)
    boxes_from_maps,
    image_blind_boxes,
    largest_component_box,
    peak_in_box,
)
from cam_core.core.cam import cams_for_topk, class_activation_maps, postprocess_maps  # noqa: E402
from cam_core.core.methods import METHODS, map_method  # noqa: E402
from cam_core.core.metrics import (  # noqa: E402
    box_accuracy,
    classification_error,
    iou,
    localization_error,
    max_box_acc,
)
from cam_core.nets.camnet import as_camnet  # noqa: E402

__version__ = "0.1.0"
__all__ = [
    "as_camnet",
    "class_activation_maps",
    "cams_for_topk",
    "postprocess_maps",
    "METHODS",
    "map_method",
    "boxes_from_maps",
    "largest_component_box",
    "image_blind_boxes",
    "peak_in_box",
    "iou",
    "box_accuracy",
    "classification_error",
    "localization_error",
    "max_box_acc",
]
