"""sha256 fingerprints of arrays and model weights: the data and weights parts of cache keys."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
from pathlib import Path

import numpy as np
import torch
from torch import nn

from cam_core.paths import checkout_root

__all__ = ["code_fingerprint", "dataset_fingerprint", "package_versions", "source_fingerprint"]
__all__ += ["weights_fingerprint"]

# the packages whose arithmetic every cached number goes through
NUMERIC_PACKAGES = ("torch", "torchvision", "numpy", "scipy", "scikit-learn", "scikit-image")


def dataset_fingerprint(*arrays: np.ndarray | torch.Tensor) -> str:
    """sha256 hex over each array's dtype, shape and C-order bytes."""
    h = hashlib.sha256()
    for a in arrays:
        if isinstance(a, torch.Tensor):
            a = a.detach().cpu().numpy()
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def weights_fingerprint(model: nn.Module) -> str:
    """sha256 hex over the names, dtypes, shapes and bytes of ``model``'s state_dict."""
    h = hashlib.sha256()
    for key, value in model.state_dict().items():
        t = value.detach().cpu().contiguous().reshape(-1)
        h.update(f"{key}{t.dtype}{tuple(value.shape)}".encode())
        h.update(t.view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def source_fingerprint(*paths: Path) -> str:
    """sha256 hex over the names and bytes of each file, and of every file under each folder.

    Bytecode caches, dotfiles and editor temporaries (``~``) are not code and are skipped.
    """
    digest = hashlib.sha256()
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in files:
            skip = "__pycache__" in path.parts or path.suffix == ".pyc"
            skip = skip or path.name.startswith(".") or path.name.endswith("~")
            if skip or not path.is_file():
                continue
            name = path.name if path == root else str(path.relative_to(root))
            digest.update(name.encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def package_versions(names: tuple[str, ...]) -> list[str]:
    """``"name==version"`` (or ``"name absent"``) for each installed distribution named."""
    out = []
    for name in names:
        try:
            out.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name} absent")
    return out


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 hex of what every cached number depends on besides its own inputs: the whole
    ``cam_core`` source, the files under the checkout's ``data/``, and the versions of
    :data:`NUMERIC_PACKAGES`. Part of every cache key (models, scores, features, maps)."""
    versions = package_versions(NUMERIC_PACKAGES)
    package = Path(__file__).resolve().parent
    parts = [source_fingerprint(package), source_fingerprint(checkout_root() / "data"), *versions]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()
