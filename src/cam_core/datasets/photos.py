"""The bundled photos (scikit-image and CC0 images) and their object boxes."""

import importlib
import importlib.util
from functools import lru_cache
from types import ModuleType

import numpy as np

from cam_core.validate import fail

__all__ = [
    "PHOTO_NAMES",
    "frozen_array",
    "load_photo",
    "load_photos",
]

# skimage.data photos bundled in the scikit-image 0.26 wheel (no pooch download). Left out:
# horse (a binary horse silhouette, a class cue), logo/colorwheel/checkerboard (synthetic),
# microaneurysms (102 px), cat (the same photo as chelsea).
_SKIMAGE_PHOTOS = (
    "astronaut",
    "brick",
    "camera",
    "cell",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "page",
    "retina",
    "rocket",
    "text",
)
PHOTO_NAMES = (*_SKIMAGE_PHOTOS, "motorcycle", "china", "flower", "grace_hopper")


def frozen_array(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def require_module(module: str, package: str) -> ModuleType:
    """Import ``module`` or raise a one-line ImportError naming the pip package."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"{package} is required for the bundled cpu-scale data: pip install {package}"
        ) from err


def _rgb(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return frozen_array(img[..., :3].astype(np.uint8))


@lru_cache(maxsize=64)
def load_photo(name: str) -> np.ndarray:
    """One bundled photo by name (see PHOTO_NAMES) as uint8 (H, W, 3)."""
    if name not in PHOTO_NAMES:
        fail("name", f"one of {', '.join(PHOTO_NAMES)}", repr(name))
    if name in _SKIMAGE_PHOTOS:
        return _rgb(getattr(require_module("skimage.data", "scikit-image==0.26.0"), name)())
    if name == "motorcycle":
        return _rgb(require_module("skimage.data", "scikit-image==0.26.0").stereo_motorcycle()[0])
    if name in ("china", "flower"):
        skd = require_module("sklearn.datasets", "scikit-learn==1.9.1")
        return _rgb(skd.load_sample_image(f"{name}.jpg"))
    cbook = require_module("matplotlib.cbook", "matplotlib==3.11.2")
    image = require_module("PIL.Image", "pillow==13.0.0")
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        return _rgb(np.asarray(image.open(f).convert("RGB")))


def load_photos() -> dict[str, np.ndarray]:
    """All bundled photos: name -> uint8 (H, W, 3)."""
    return {name: load_photo(name) for name in PHOTO_NAMES}
