"""Where the checkout is: the package's own source tree, and the root runs read and write."""

import os
from pathlib import Path


def checkout_root() -> Path:
    """The source checkout this package is installed from (``src/cam_core/..`` twice up)."""
    return Path(__file__).resolve().parents[2]


def repo_root() -> Path:
    """The root notebooks, results and the book are read from (``CAM_REPRO_ROOT`` overrides it)."""
    override = os.environ.get("CAM_REPRO_ROOT")
    return Path(override) if override else checkout_root()
