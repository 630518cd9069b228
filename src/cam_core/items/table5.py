"""Deep features as generic features (Table 5) and CAMs from linear-SVM weights (Figure 8).

Protocol. A *target set* (:class:`TargetSet`) is a labelled image set the networks were not
trained for, with fixed train/test splits: the published ones at ``full`` scale (see
:mod:`cam_core.datasets.scenes`), and at ``cpu`` scale stratified random splits with fixed
seeds, or spatially disjoint photo regions (:func:`photo_textures`). A *feature set*
(:class:`FeatureSet`) is one layer of one network: AlexNet's fc7, GoogLeNet's average pool,
the GAP of a GAP network. For each feature set, target set and split, a linear SVM
(:func:`cam_core.nets.features.fit_linear_svm`: L2-normalised features, one-vs-rest ``LinearSVC``,
``C`` chosen by cross-validation on the training split only) is scored on the test split;
results are reported as mean and standard deviation over splits. Features are computed once
per (network weights, target set, layer, input size) and cached on disk.

SVM-CAMs (:func:`svm_cams`): the SVM's rows ``w_c`` replace the network's classifier rows in
M_c(x, y) = sum_k w_ck f_k(x, y), so a GAP network localizes classes it was never trained on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import average_precision_score
from torch import nn

from cam_core.common import paper
from cam_core.datasets import scenes as scene_datasets
from cam_core.datasets.base import ResizedImages, TargetSet
from cam_core.fingerprint import dataset_fingerprint, weights_fingerprint
from cam_core.items import family as items_family
from cam_core.items import recipe as items_recipe
from cam_core.nets import features as cfeatures
from cam_core.nets import registry
from cam_core.synthetic.targets import CPU_TARGET_SETS, load_target_set
from cam_core.validate import check_array, check_count, fail

__all__ = [
    "FEATURE_LAYERS",
    "PAPER_FEATURE_ROWS",
    "FeatureSet",
    "feature_set",
    "target_features",
    "evaluate_svm",
    "evaluate_multilabel",
    "transfer_results",
    "summary_table",
    "table5_view",
    "check_claims",
    "build_feature_sets",
    "load_targets",
    "targets_table",
    "feature_sets_table",
    "paper_table5_view",
    "table5_claims",
    "table5_status",
]

# Network name -> (module whose output is the feature, the paper's name for that feature).
# Small originals: fc7 is the second hidden FC layer after its ReLU ("head.8" of
# _fc_head); the average pool is GoogLeNet's adaptive pool after inception 5b ("head.3").
FEATURE_LAYERS: dict[str, tuple[str, str]] = {
    "small-alexnet": ("head.8", "fc7"),
    "small-googlenet": ("head.3", "ave pool"),
    "small-googlenet-gap": ("features", "gap"),
    "efficientnet-lite0": ("features", "gap"),
    "alexnet": ("head.3.5", "fc7"),
    "googlenet": ("head.0", "ave pool"),
    "googlenet-gap": ("features", "gap"),
}
# The paper's Table 5 row each network stands in for.
PAPER_FEATURE_ROWS: dict[str, str] = {
    "small-alexnet": "fc7 from AlexNet",
    "small-googlenet": "ave pool from GoogLeNet",
    "small-googlenet-gap": "gap from GoogLeNet-GAP",
    "alexnet": "fc7 from AlexNet",
    "googlenet": "ave pool from GoogLeNet",
    "googlenet-gap": "gap from GoogLeNet-GAP",
}


# --------------------------------------------------------------------------- feature sets


@dataclass(frozen=True)
class FeatureSet:
    """One layer of one network at one input size: ``name`` (network), ``kind`` ("fc7",
    "ave pool" or "gap"), ``layer`` (module name), ``input_size`` (px, square)."""

    name: str
    model: nn.Module
    layer: str
    kind: str
    input_size: int

    @property
    def label(self) -> str:
        """Row label, e.g. ``"gap of small-googlenet-gap"``."""
        return f"{self.kind} of {self.name}"

    @property
    def paper_row(self) -> str | None:
        """The paper's Table 5 row this feature set stands in for (None: no counterpart)."""
        return PAPER_FEATURE_ROWS.get(self.name)


def feature_set(name: str, model: nn.Module, input_size: int) -> FeatureSet:
    """The :data:`FEATURE_LAYERS` feature of network ``name`` (``model``) at ``input_size``."""
    if name not in FEATURE_LAYERS:
        fail("name", f"one of {', '.join(FEATURE_LAYERS)}", repr(name))
    if not isinstance(model, nn.Module):
        fail("model", "a torch.nn.Module", type(model).__name__)
    layer, kind = FEATURE_LAYERS[name]
    if layer not in dict(model.named_modules()):
        fail("model", f"a {name} network with a module {layer!r}", type(model).__name__)
    return FeatureSet(name, model, layer, kind, check_count("input_size", input_size, 8))


def target_features(
    fs: FeatureSet,
    target: TargetSet,
    cache_dir: str | Path | None,
    boxes: np.ndarray | None = None,
    tag: str = "full",
    batch_size: int = 64,
    device: str = "cpu",
) -> np.ndarray:
    """Features ``(N, D)`` of every image of ``target`` (cropped to ``boxes`` if given), from
    the disk cache when the model weights, data, layer, input size and boxes are unchanged."""

    def compute() -> np.ndarray:
        dataset = ResizedImages(target.images, fs.input_size, boxes)
        return cfeatures.extract_features(
            fs.model, dataset, fs.layer, batch_size=batch_size, device=device
        )

    if cache_dir is None:
        return compute()
    key = "|".join(
        [
            weights_fingerprint(fs.model),
            target.fingerprint,
            fs.layer,
            str(fs.input_size),
            tag,
            "" if boxes is None else dataset_fingerprint(np.asarray(boxes, np.float64)),
        ]
    )
    path = Path(cache_dir) / f"{fs.name}-{target.name}-{tag}-{fs.input_size}px.npz"
    return cfeatures.cached_features(path, key, compute)


# --------------------------------------------------------------------------- SVM evaluation


def evaluate_svm(
    features: np.ndarray,
    labels: np.ndarray,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
    cv_folds: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """Test accuracy (%) of a linear SVM per split; ``C`` chosen by CV on that split's train part.

    Returns one row per split: ``split``, ``C``, ``train_images``, ``test_images``, ``accuracy``.
    """
    check_array("features", features, 2, "(N, D)")
    labels = np.asarray(labels)
    if labels.shape != (len(features),):
        fail("labels", f"shape ({len(features)},)", f"shape {labels.shape}")
    rows = []
    for s, (train, test) in enumerate(splits):
        train, test = np.asarray(train), np.asarray(test)
        if len(np.intersect1d(train, test)):
            fail("splits", "disjoint train and test indices", f"overlap in split {s}")
        svm = cfeatures.fit_linear_svm(features[train], labels[train], cs, cv_folds, seed)
        acc = 100.0 * float(np.mean(svm.predict(features[test]) == labels[test]))
        rows.append(
            {
                "split": s,
                "C": float(svm.named_steps["linearsvc"].C),
                "train_images": len(train),
                "test_images": len(test),
                "accuracy": acc,
            }
        )
    return pd.DataFrame(rows)


def evaluate_multilabel(
    features: np.ndarray,
    attributes: np.ndarray,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
    cv_folds: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean average precision (%) of one binary linear SVM per attribute (column of
    ``attributes`` ``(N, A)`` bool), per split; attributes without both values in a split's
    train or test part are left out (counted in ``attributes_scored``)."""

    check_array("features", features, 2, "(N, D)")
    y = np.asarray(attributes, dtype=bool)
    if y.ndim != 2 or len(y) != len(features):
        fail("attributes", f"a (N, A) matrix with N = {len(features)}", f"shape {y.shape}")
    rows = []
    for s, (train, test) in enumerate(splits):
        aps = []
        for a in range(y.shape[1]):
            ytr, yte = y[train, a], y[test, a]
            if ytr.all() or not ytr.any() or yte.all() or not yte.any():
                continue
            svm = cfeatures.fit_linear_svm(features[train], ytr.astype(int), cs, cv_folds, seed)
            aps.append(average_precision_score(yte, svm.decision_function(features[test])))
        rows.append(
            {
                "split": s,
                "C": float("nan"),
                "train_images": len(train),
                "test_images": len(test),
                "accuracy": 100.0 * float(np.mean(aps)) if aps else float("nan"),
                "attributes_scored": len(aps),
            }
        )
    return pd.DataFrame(rows)


def transfer_results(
    feature_sets: Sequence[FeatureSet],
    targets: Sequence[TargetSet],
    splits: Mapping[str, Sequence[tuple[np.ndarray, np.ndarray]]],
    cache_dir: str | Path | None,
    cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
    cv_folds: int = 3,
    seed: int = 0,
    device: str = "cpu",
) -> pd.DataFrame:
    """Table 5 as a tidy table: one row per (feature set, target set, split) with ``features``
    (label), ``network``, ``kind``, ``paper_row``, ``dataset`` and :func:`evaluate_svm`'s
    columns. ``splits`` maps each target's name to its (train, test) pairs."""
    frames = []
    for target in targets:
        if target.name not in splits:
            fail("splits", f"splits for target set {target.name!r}", sorted(splits))
        for fs in feature_sets:
            feats = target_features(fs, target, cache_dir, device=device)
            if target.metric == "mean AP":
                y = target.extra["attributes"]
                table = evaluate_multilabel(feats, y, splits[target.name], cs, cv_folds, seed)
            else:
                table = evaluate_svm(feats, target.labels, splits[target.name], cs, cv_folds, seed)
            table.insert(0, "metric", target.metric)
            table.insert(0, "dataset", target.name)
            table.insert(0, "paper_row", fs.paper_row or "")
            table.insert(0, "kind", fs.kind)
            table.insert(0, "network", fs.name)
            table.insert(0, "features", fs.label)
            frames.append(table)
    return pd.concat(frames, ignore_index=True)


def summary_table(tidy: pd.DataFrame) -> pd.DataFrame:
    """Mean, std and number of splits of the accuracy per (features, dataset), long format."""
    g = tidy.groupby(["features", "dataset"], sort=False)["accuracy"]
    out = g.agg(["mean", "std", "count"]).reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out.rename(columns={"count": "splits"})


def table5_view(tidy: pd.DataFrame) -> pd.DataFrame:
    """Rows = feature sets, columns = target sets, cells "mean ± std" (%), in input order."""
    s = summary_table(tidy)
    # no-break spaces: a cell never wraps inside "mean ± std"
    s["cell"] = [f"{m:.1f}\u00a0±\u00a0{d:.1f}" for m, d in zip(s["mean"], s["std"], strict=True)]
    view = s.pivot(index="features", columns="dataset", values="cell")
    return view.loc[list(dict.fromkeys(tidy["features"])), list(dict.fromkeys(tidy["dataset"]))]


def check_claims(
    tidy: pd.DataFrame, gap: str, ave_pool: str, fc7: str, tolerance: float | None = None
) -> pd.DataFrame:
    """The paper's two Table 5 claims tested on the mean accuracies of ``tidy``.

    1. "GAP features are as good as the original's average pool": the mean over target sets
       of acc(gap) - acc(ave pool) is >= ``-tolerance`` points (default: Table 5's tolerance in
       ``data/paper/tolerances.csv``).
    2. "both beat fc7": on the mean over target sets, both exceed fc7.
    ``gap``, ``ave_pool``, ``fc7`` are ``features`` labels. Returns ``claim``, ``holds``
    ("yes"/"no"), ``evidence`` (the numbers, and on how many target sets it holds).
    """
    s = summary_table(tidy).pivot(index="dataset", columns="features", values="mean")
    for label in (gap, ave_pool, fc7):
        if label not in s.columns:
            fail("tidy", f"rows for feature set {label!r}", sorted(s.columns))
    diff = s[gap] - s[ave_pool]
    if tolerance is None:
        tolerance = paper.headline_tolerance("table5")
    sets_ok = int((diff >= -tolerance).sum())
    holds1 = bool(diff.mean() >= -tolerance)
    beat = np.minimum(s[gap], s[ave_pool]) - s[fc7]
    holds2 = bool(s[gap].mean() > s[fc7].mean() and s[ave_pool].mean() > s[fc7].mean())
    n = len(s)
    return pd.DataFrame(
        [
            {
                "claim": "GAP features of the GAP net are as good as the original's average pool",
                "holds": "yes" if holds1 else "no",
                "evidence": (
                    f"mean over {n} target sets: gap {s[gap].mean():.1f} vs ave pool "
                    f"{s[ave_pool].mean():.1f} (difference {diff.mean():+.1f} points, "
                    f"tolerance {tolerance:g}); within tolerance or better on {sets_ok}/{n} sets"
                ),
            },
            {
                "claim": "GAP and average-pool features both beat fc7",
                "holds": "yes" if holds2 else "no",
                "evidence": (
                    f"mean over {n} target sets: gap {s[gap].mean():.1f}, ave pool "
                    f"{s[ave_pool].mean():.1f}, fc7 {s[fc7].mean():.1f}; both above fc7 on "
                    f"{int((beat > 0).sum())}/{n} sets"
                ),
            },
        ]
    )


# --------------------------------------------------------------------------- notebook glue


def build_feature_sets(
    names: Sequence[str],
    params: Mapping[str, object],
    input_size: int | None = None,
    progress=None,
) -> list[FeatureSet]:
    """Feature sets for network ``names``: the trained family of the profile (Table 1's
    recipe, :func:`cam_core.items.family.train_family`, cached checkpoints; first seed) at
    ``input_size`` (default: the size they were trained at), and EfficientNet-Lite0 with its
    packaged ImageNet weights at 224 px. ``params``: a notebook's validated parameters."""

    for name in names:
        if name not in FEATURE_LAYERS:
            fail("feature_sets", f"network names among {', '.join(FEATURE_LAYERS)}", repr(name))
    trained = [n for n in names if n != "efficientnet-lite0"]
    family, size = {}, 224
    if trained:
        # one seed is enough here: no headline networks, so no extra seeds are trained
        recipe = dataclasses.replace(items_recipe.recipe_for(dict(params)), headline=())
        family = items_family.train_family(trained, recipe, progress=progress)
        size = input_size or recipe.image_size
    out = []
    for name in names:
        if name == "efficientnet-lite0":
            out.append(feature_set(name, registry.build_model(name, 1000).eval(), 224))
        else:
            out.append(feature_set(name, family[name][0].model.eval(), size))
    return out


def load_targets(
    names: Sequence[str], params: Mapping[str, object], folds: int | None = None
) -> list[TargetSet]:
    """Target sets by name: :data:`CPU_TARGET_SETS` built from packages, or (``full``) the
    datasets of :mod:`cam_core.datasets.scenes` under ``params["data_root"]``. ``folds``: the
    spatial folds of photo-textures (default ``params["splits"]``, at least 2)."""
    out = []
    per_class = int(params.get("images_per_class", 0))
    seed = int(params.get("seed", 0))
    folds = max(2, int(folds or params.get("splits", 5)))
    for name in names:
        if name in CPU_TARGET_SETS:
            out.append(load_target_set(name, per_class, seed, folds=folds))
        else:
            if params.get("data_root") is None:
                fail("data_root", f"the folder holding {name} (see data/manifests/)", "None")
            out.append(scene_datasets.load_scene_dataset(name, params["data_root"], per_class))
    return out


def targets_table(targets: Sequence[TargetSet], splits: Mapping[str, Sequence]) -> pd.DataFrame:
    """One row per target set: what it is, classes, images, splits and their sizes."""
    rows = []
    for t in targets:
        sp = splits[t.name]
        rows.append(
            {
                "dataset": t.name,
                "what": t.description,
                "classes": len(t.class_names),
                "images": len(t),
                "boxes": "yes" if t.boxes is not None else "no",
                "splits": len(sp),
                "train / test per split": f"{len(sp[0][0])} / {len(sp[0][1])}",
                "split kind": "fixed (published or spatial folds)"
                if t.splits is not None
                else "stratified random, fixed seeds",
            }
        )
    return pd.DataFrame(rows).set_index("dataset")


def feature_sets_table(feature_sets: Sequence[FeatureSet]) -> pd.DataFrame:
    """One row per feature set: network, layer, dimension, input size, the paper's row."""
    rows = []
    for fs in feature_sets:
        probe = torch.zeros(1, 3, fs.input_size, fs.input_size)
        dims = cfeatures.extract_features(
            fs.model, torch.utils.data.TensorDataset(probe), fs.layer
        ).shape[1]
        rows.append(
            {
                "features": fs.label,
                "network": fs.name,
                "module": fs.layer,
                "dimensions": dims,
                "input (px)": fs.input_size,
                "stands in for (paper)": fs.paper_row or "no counterpart (ImageNet GAP net)",
            }
        )
    return pd.DataFrame(rows).set_index("features")


def paper_table5_view(paper_table: pd.DataFrame) -> pd.DataFrame:
    """The paper's Table 5 as printed: rows = features, columns = datasets (accuracy %)."""
    view = paper_table.pivot(index="features", columns="dataset", values="accuracy")
    rows = list(dict.fromkeys(paper_table["features"]))
    return view.loc[rows, list(dict.fromkeys(paper_table["dataset"]))]


def table5_claims(
    tidy: pd.DataFrame, feature_sets: Sequence[FeatureSet], tolerance: float | None = None
) -> pd.DataFrame:
    """:func:`check_claims` with the feature sets that stand in for the paper's three rows;
    both claims "not tested" when one of the three is missing."""
    by_row = {fs.paper_row: fs.label for fs in feature_sets if fs.paper_row}
    need = ("gap from GoogLeNet-GAP", "ave pool from GoogLeNet", "fc7 from AlexNet")
    if not all(r in by_row for r in need):
        return pd.DataFrame(
            [{"claim": c, "holds": "not tested", "evidence": "needs fc7, ave pool and gap rows"}
             for c in ("GAP as good as ave pool", "GAP and ave pool beat fc7")]
        )  # fmt: skip
    return check_claims(tidy, *(by_row[r] for r in need), tolerance=tolerance)


def table5_status(
    tidy: pd.DataFrame, claims: pd.DataFrame, feature_sets: Sequence[FeatureSet], profile: str
) -> dict[str, object]:
    """Arguments of ``Experiment.write_status`` for Table 5: "complete" at ``full`` scale,
    else "partial" (other datasets); the value is the mean accuracy of the GAP features of
    the GAP network (the paper's "gap from GoogLeNet-GAP" row) over the target sets."""
    gap = [fs.label for fs in feature_sets if fs.paper_row == "gap from GoogLeNet-GAP"]
    value = None
    if gap:
        value = round(float(tidy.loc[tidy["features"] == gap[0], "accuracy"].mean()), 2)
    holds = claims["holds"].tolist()
    verdict = "not tested" if "not tested" in holds else "yes" if set(holds) == {"yes"} else "no"
    return {
        "coverage": "complete" if profile == "full" else "partial",
        "reproduced_value": value,
        "claim_holds": verdict,
        "notes": "; ".join(f"{c}: {h}" for c, h in zip(claims["claim"], holds, strict=True)),
    }
