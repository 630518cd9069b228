"""The family of class-map methods: one base (:class:`MapMethod`), one file per method.

Adding a method: a file here with a :class:`MapMethod` subclass that overrides
:meth:`~MapMethod.raw_maps`, and one line in :data:`METHODS`.
"""

from __future__ import annotations

from cam_core.core.methods.backprop import BackpropSaliency, backprop_saliency
from cam_core.core.methods.base import MapMethod
from cam_core.core.methods.cam import CAM
from cam_core.core.methods.gradcam import GradCAM, grad_cam
from cam_core.validate import fail

__all__ = ["METHODS", "MapMethod", "CAM", "BackpropSaliency", "GradCAM", "map_method"]
__all__ += ["backprop_saliency", "grad_cam"]

METHODS: dict[str, type[MapMethod]] = {
    "cam": CAM,
    "backprop": BackpropSaliency,
    "gradcam": GradCAM,
}


def map_method(name: str, **options: object) -> MapMethod:
    """The method registered as ``name``, built with its ``options`` (e.g. Grad-CAM's ``layer``)."""
    if name not in METHODS:
        fail("method", f"one of {tuple(METHODS)}", repr(name))
    return METHODS[name](**options)
