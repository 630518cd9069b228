"""Deep features as generic descriptors (Sec. 4 of the paper): extraction, disk cache, linear SVM.

Features are read at a named module of any network (``"fc7"`` of AlexNet, the average pool
of GoogLeNet, the GAP of a GAP network) in one forward pass per batch, through a forward
hook that is always removed. A linear SVM (scikit-learn ``LinearSVC``) is fitted with ``C``
chosen by cross-validation on the training split only.
"""

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import Normalizer
from sklearn.svm import LinearSVC
from torch import nn
from torch.utils.data import DataLoader, Dataset

from cam_core.fingerprint import code_fingerprint
from cam_core.validate import check_array, fail


def _module(model: nn.Module, layer: str) -> nn.Module:
    modules = dict(model.named_modules())
    if layer not in modules:
        names = [n for n in modules if n][-8:]
        fail("layer", f"a module name of {type(model).__name__} (last ones: {names})", repr(layer))
    return modules[layer]


def extract_features(
    model: nn.Module,
    dataset: Dataset,
    layer: str,
    batch_size: int = 64,
    device: str = "cpu",
    spatial: str = "mean",
) -> np.ndarray:
    """Output of module ``layer`` for every item of ``dataset`` as float32 ``(N, D)``.

    A 4-D output ``(N, K, h, w)`` is pooled over space (``spatial="mean"``: the GAP vector,
    ``"max"``: GMP); a 2-D output is taken as it is.
    """
    if spatial not in ("mean", "max"):
        fail("spatial", "'mean' or 'max'", repr(spatial))
    if len(dataset) == 0:
        fail("dataset", "a non-empty dataset", "0 items")
    target = _module(model, layer)
    captured: list[torch.Tensor] = []

    def keep(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
        captured.append(output)

    chunks = []
    model.eval().to(device)
    handle = target.register_forward_hook(keep)
    try:
        with torch.inference_mode():
            for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False):
                captured.clear()
                model(batch[0].to(device))
                out = captured[-1]
                if out.ndim == 4:
                    out = out.mean(dim=(2, 3)) if spatial == "mean" else out.amax(dim=(2, 3))
                chunks.append(out.flatten(1).float().cpu().numpy())
    finally:
        handle.remove()
    return np.concatenate(chunks)


def cached_features(cache_path: str | Path, key: str, compute) -> np.ndarray:
    """Features stored at ``cache_path`` for ``key``, else ``compute()`` saved there atomically.

    ``key`` must change whenever the features would (model weights, data fingerprint, layer).
    """
    path = Path(cache_path)
    digest = hashlib.sha256((key + "|" + code_fingerprint()).encode()).hexdigest()
    if path.is_file():
        with np.load(path) as stored:
            if str(stored["key"]) == digest:
                return stored["features"]
    features = compute()
    check_array("features", features, 2, "(N, D)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez(tmp, features=features, key=np.array(digest))
    os.replace(tmp, path)
    return features


def fit_linear_svm(
    features: np.ndarray,
    labels: np.ndarray,
    cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
    folds: int = 3,
    seed: int = 0,
) -> Pipeline:
    """L2-normalise features, then a one-vs-rest ``LinearSVC`` with ``C`` chosen by k-fold CV.

    Only the training features given here are used for the choice; the chosen ``C`` is
    ``model.named_steps["linearsvc"].C``.
    """
    check_array("features", features, 2, "(N, D)")
    labels = np.asarray(labels)
    if labels.shape != (len(features),):
        fail("labels", f"shape ({len(features)},) to match features", f"shape {labels.shape}")
    counts = np.unique(labels, return_counts=True)[1]
    if len(counts) < 2:
        fail("labels", "at least two classes", f"{len(counts)} class")
    folds = int(min(folds, counts.min()))
    pipeline = make_pipeline(
        Normalizer(), LinearSVC(dual="auto", max_iter=20000, random_state=seed)
    )
    if folds < 2:  # a class with one example: no CV possible, keep the middle C
        return pipeline.set_params(linearsvc__C=sorted(cs)[len(cs) // 2]).fit(features, labels)
    search = GridSearchCV(
        pipeline,
        {"linearsvc__C": list(cs)},
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        n_jobs=1,
    )
    return search.fit(features, labels).best_estimator_
