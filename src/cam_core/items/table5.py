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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import average_precision_score
from torch import nn

from cam_core.common import claims, paper
from cam_core.common.claims import Claim, ItemResult
from cam_core.datasets import scenes as scene_datasets
from cam_core.datasets.base import ResizedImages, TargetSet
from cam_core.fingerprint import dataset_fingerprint, weights_fingerprint
from cam_core.items import family as items_family
from cam_core.items import recipe as items_recipe
from cam_core.nets import features as cfeatures
from cam_core.nets import registry
from cam_core.synthetic.targets import CPU_TARGET_SETS, load_target_set, make_splits
from cam_core.validate import check_array, check_count, fail

__all__ = [
    "FEATURE_LAYERS",
    "PAPER_FEATURE_ROWS",
    "FeatureSet",
    "feature_set",
    "target_features",
    "evaluate_svm",
    "evaluate_multilabel",
    "Correct",
    "MIN_TEST_IMAGES",
    "transfer_scores",
    "transfer_results",
    "pooled_scores",
    "summary_table",
    "table5_view",
    "check_claims",
    "build_feature_sets",
    "load_targets",
    "targets_table",
    "feature_sets_table",
    "paper_table5_view",
    "table5_claims",
    "partition_table",
    "target_splits",
    "run",
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
# Fewer pooled test images than this and a claim is "not tested" (smoke-sized sets).
MIN_TEST_IMAGES = 30
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


def _svm_scores(
    features: np.ndarray,
    labels: np.ndarray,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    cs: Sequence[float],
    cv_folds: int,
    seed: int,
) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """:func:`evaluate_svm`'s table and, per split, whether each test image is right."""
    check_array("features", features, 2, "(N, D)")
    labels = np.asarray(labels)
    if labels.shape != (len(features),):
        fail("labels", f"shape ({len(features)},)", f"shape {labels.shape}")
    rows, correct = [], []
    for s, (train, test) in enumerate(splits):
        train, test = np.asarray(train), np.asarray(test)
        if len(np.intersect1d(train, test)):
            fail("splits", "disjoint train and test indices", f"overlap in split {s}")
        svm = cfeatures.fit_linear_svm(features[train], labels[train], cs, cv_folds, seed)
        correct.append(np.asarray(svm.predict(features[test]) == labels[test], dtype=bool))
        rows.append({
            "split": s, "C": float(svm.named_steps["linearsvc"].C), "train_images": len(train),
            "test_images": len(test), "accuracy": 100.0 * float(np.mean(correct[-1])),
        })  # fmt: skip
    return pd.DataFrame(rows), correct


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
    return _svm_scores(features, labels, splits, cs, cv_folds, seed)[0]


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
        rows.append({
            "split": s, "C": float("nan"), "train_images": len(train), "test_images": len(test),
            "accuracy": 100.0 * float(np.mean(aps)) if aps else float("nan"),
            "attributes_scored": len(aps),
        })  # fmt: skip
    return pd.DataFrame(rows)


# (features label, target set, split) -> (N_test,) bool: is each test image right?
Correct = dict[tuple[str, str, int], np.ndarray]


def transfer_scores(
    feature_sets: Sequence[FeatureSet],
    targets: Sequence[TargetSet],
    splits: Mapping[str, Sequence[tuple[np.ndarray, np.ndarray]]],
    cache_dir: str | Path | None,
    cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
    cv_folds: int = 3,
    seed: int = 0,
    device: str = "cpu",
) -> tuple[pd.DataFrame, Correct]:
    """:func:`transfer_results`' table and, for every accuracy target set (not mean AP),
    feature set and split, whether each test image is right (:data:`Correct`)."""
    frames, correct = [], {}
    for target in targets:
        if target.name not in splits:
            fail("splits", f"splits for target set {target.name!r}", sorted(splits))
        for fs in feature_sets:
            feats = target_features(fs, target, cache_dir, device=device)
            if target.metric == "mean AP":
                y = target.extra["attributes"]
                table = evaluate_multilabel(feats, y, splits[target.name], cs, cv_folds, seed)
            else:
                sp = splits[target.name]
                table, hits = _svm_scores(feats, target.labels, sp, cs, cv_folds, seed)
                correct.update({(fs.label, target.name, s): h for s, h in enumerate(hits)})
            table.insert(0, "metric", target.metric)
            table.insert(0, "dataset", target.name)
            table.insert(0, "paper_row", fs.paper_row or "")
            table.insert(0, "kind", fs.kind)
            table.insert(0, "network", fs.name)
            table.insert(0, "features", fs.label)
            frames.append(table)
    return pd.concat(frames, ignore_index=True), correct


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
    return transfer_scores(feature_sets, targets, splits, cache_dir, cs, cv_folds, seed, device)[0]


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


def pooled_scores(correct: Correct, features: str, datasets: Sequence[str]) -> np.ndarray:
    """Per-test-image scores of ``features`` over every split of ``datasets``, one entry per
    (split, test image), weighted so that their mean is the mean over the target sets of the
    mean accuracy (%) over their splits: each target set counts equally, as in Table 5."""
    parts = []
    for d in datasets:
        hits = [correct[k] for k in sorted(correct) if k[:2] == (features, d)]
        if not hits:
            fail("correct", f"per-image results of {features!r} on {d!r}", "none")
        parts += [100.0 * h / (len(datasets) * len(hits) * len(h)) for h in hits]
    scores = np.concatenate(parts)
    return scores * len(scores)


def _set_means(correct: Correct, features: str, datasets: Sequence[str]) -> dict[str, float]:
    """Accuracy (%) of ``features`` per target set, mean over its splits."""
    return {
        d: 100.0 * float(np.mean([correct[k].mean() for k in correct if k[:2] == (features, d)]))
        for d in datasets
    }


def _paper_gain(better: str, worse: str) -> float:
    """Mean over the paper's Table 5 datasets of acc(``better``) - acc(``worse``) (points)."""
    t = paper.paper_table(5).pivot(index="dataset", columns="features", values="accuracy")
    return float((t[better] - t[worse]).mean())


def _gain_claim(
    claim_id: str,
    text: str,
    correct: Correct,
    labels: tuple[str, str],
    datasets: Sequence[str],
    boundary: float,
    paper_rows: tuple[str, str],
    n_boot: int,
    seed: int,
) -> Claim:
    """acc(labels[0]) - acc(labels[1]), mean over ``datasets``, above ``boundary``?"""
    better, worse = (pooled_scores(correct, f, datasets) for f in labels)
    diff, low, high = claims.paired_bootstrap(better, worse, n_boot=n_boot, seed=seed)
    a, b = (_set_means(correct, f, datasets) for f in labels)
    per_set = {d: a[d] - b[d] for d in datasets}
    ok = sum(v > boundary for v in per_set.values())
    return claims.judge(
        claim_id,
        text,
        diff,
        low,
        high,
        partial(claims.compare, boundary=boundary, direction="above"),
        criterion=(
            f"mean over the target sets of the accuracy of {labels[0]} minus {labels[1]} "
            "(points), the same test images: holds when its 95% paired-bootstrap interval "
            "(test images of every set and split resampled together, each set weighted "
            f"equally) lies wholly above {boundary:g}, does not hold when wholly below, not "
            "distinguishable when it contains it"
        ),
        unit="points",
        paper=_paper_gain(*paper_rows),
        preconditions=[
            (
                claims.min_count(len(better), MIN_TEST_IMAGES),
                f"only {len(better)} test images scored (at least {MIN_TEST_IMAGES} needed)",
            )
        ],
        data=(
            f"above {boundary:g} on {ok}/{len(per_set)} target sets one by one: "
            + ", ".join(f"{d} {v:+.1f}" for d, v in per_set.items())
        ),
    )


def check_claims(
    correct: Correct,
    gap: str,
    ave_pool: str,
    fc7: str,
    tolerance: float | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> list[Claim]:
    """The paper's Table 5 claims on the per-image results ``correct`` of the feature sets
    labelled ``gap``, ``ave_pool``, ``fc7`` over every target set all three were scored on.

    1. GAP as good as the average pool: acc(gap) - acc(ave pool), mean over target sets, is
       above ``-tolerance`` points (default: Table 5's in ``data/paper/tolerances.csv``);
    2. and 3. GAP and the average pool each beat fc7 (mean difference above 0).
    Each is judged on its 95% paired-bootstrap interval (:func:`pooled_scores`)."""
    if tolerance is None:
        tolerance = paper.headline_tolerance("table5")
    sets = [{d for f, d, _ in correct if f == label} for label in (gap, ave_pool, fc7)]
    datasets = [d for d in dict.fromkeys(d for _, d, _ in correct) if all(d in s for s in sets)]
    if not datasets:
        fail("correct", f"per-image results of {gap!r}, {ave_pool!r} and {fc7!r}", "none")
    args = dict(correct=correct, datasets=datasets, n_boot=n_boot, seed=seed)
    rows = ("gap from GoogLeNet-GAP", "ave pool from GoogLeNet", "fc7 from AlexNet")
    return [
        _gain_claim(
            "gap_as_good_as_avepool",
            "GAP features of the GAP network are as good as the original network's average "
            f"pool (at most {tolerance:g} points worse)",
            labels=(gap, ave_pool),
            boundary=-float(tolerance),
            paper_rows=rows[:2],
            **args,
        ),
        _gain_claim(
            "gap_beats_fc7",
            "GAP features of the GAP network beat AlexNet's fc7",
            labels=(gap, fc7),
            boundary=0.0,
            paper_rows=(rows[0], rows[2]),
            **args,
        ),
        _gain_claim(
            "avepool_beats_fc7",
            "Average-pool features of the original network beat AlexNet's fc7",
            labels=(ave_pool, fc7),
            boundary=0.0,
            paper_rows=rows[1:],
            **args,
        ),
    ]


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
            parts = params.get("sun397_partitions") if name == "sun397" else None
            out.append(
                scene_datasets.load_scene_dataset(name, params["data_root"], per_class, parts)
            )
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
        rows.append({
            "features": fs.label, "network": fs.name, "module": fs.layer, "dimensions": dims,
            "input (px)": fs.input_size,
            "stands in for (paper)": fs.paper_row or "no counterpart (ImageNet GAP net)",
        })  # fmt: skip
    return pd.DataFrame(rows).set_index("features")


def paper_table5_view(paper_table: pd.DataFrame) -> pd.DataFrame:
    """The paper's Table 5 as printed: rows = features, columns = datasets (accuracy %)."""
    view = paper_table.pivot(index="features", columns="dataset", values="accuracy")
    rows = list(dict.fromkeys(paper_table["features"]))
    return view.loc[rows, list(dict.fromkeys(paper_table["dataset"]))]


CLAIM_TEXTS = {
    "gap_as_good_as_avepool": "GAP features of the GAP network are as good as the original "
    "network's average pool",
    "gap_beats_fc7": "GAP features of the GAP network beat AlexNet's fc7",
    "avepool_beats_fc7": "Average-pool features of the original network beat AlexNet's fc7",
}


def table5_claims(
    correct: Correct, feature_sets: Sequence[FeatureSet], tolerance: float | None = None
) -> list[Claim]:
    """:func:`check_claims` with the feature sets that stand in for the paper's three rows;
    every claim "not tested" when one of the three is missing or none has per-image results."""
    by_row = {fs.paper_row: fs.label for fs in feature_sets if fs.paper_row}
    need = ("gap from GoogLeNet-GAP", "ave pool from GoogLeNet", "fc7 from AlexNet")
    scored = {f for f, _, _ in correct}
    if not all(r in by_row and by_row[r] in scored for r in need):
        reason = "needs fc7, ave pool and gap feature sets scored on an accuracy target set"
        return [
            Claim(cid, text, None, None, None, "points", None, "", "not tested", reason=reason)
            for cid, text in CLAIM_TEXTS.items()
        ]
    return check_claims(correct, *(by_row[r] for r in need), tolerance=tolerance)


def partition_table(tidy: pd.DataFrame, dataset: str = "sun397") -> pd.DataFrame:
    """Per feature set, its accuracy (%) on each split of ``dataset`` (columns ``partition_01``
    ... for SUN397's published partitions) with their ``mean`` and ``mean_std`` (s.d.,
    ddof 1, 0 for one split); no rows when ``dataset`` was not scored."""
    rows = tidy[tidy["dataset"] == dataset]
    if rows.empty:
        return pd.DataFrame(columns=["features", "mean", "mean_std"])
    wide = rows.pivot(index="features", columns="split", values="accuracy")
    wide = wide.loc[list(dict.fromkeys(rows["features"]))]
    out = wide.rename(columns=lambda s: f"partition_{int(s) + 1:02d}")
    out["mean"] = wide.mean(axis=1)
    out["mean_std"] = wide.std(axis=1, ddof=1).fillna(0.0)
    out.columns.name = None
    return out.reset_index()


def target_splits(
    targets: Sequence[TargetSet], params: Mapping[str, Any]
) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """Each target's (train, test) splits: ``params["splits"]`` of them, but SUN397 its first
    ``params["sun397_partitions"]`` published partitions (all present when fewer)."""
    n = check_count("sun397_partitions", params["sun397_partitions"], 1)
    return {
        t.name: make_splits(t, n if t.name == "sun397" else params["splits"],
                            params["train_fraction"], params["seed"])
        for t in targets
    }  # fmt: skip


def _headline(tidy: pd.DataFrame, feature_sets: Sequence[FeatureSet]) -> tuple[float | None, str]:
    """The GAP net's GAP-feature accuracy (%): on SUN397 (the paper's cell) when scored,
    else the mean over the target sets of the mean over splits; and what it is."""
    gap = [fs.label for fs in feature_sets if fs.paper_row == "gap from GoogLeNet-GAP"]
    if not gap:
        return None, "no GAP features of a GAP network among the feature sets"
    means = summary_table(tidy[tidy["features"] == gap[0]]).set_index("dataset")["mean"]
    if "sun397" in means.index:
        n = int((tidy["dataset"] == "sun397").sum() // max(tidy["features"].nunique(), 1))
        return float(means["sun397"]), (
            f"Linear-SVM accuracy (%) of {gap[0]} on SUN397, mean over {n} partition(s):"
        )
    return float(means.mean()), (
        f"Linear-SVM accuracy (%) of {gap[0]}, mean over {len(means)} target sets:"
    )


def run(params: dict[str, Any], progress: Callable[[str], None] | None = None) -> ItemResult:
    """Table 5 at the profile's scale (validated parameters of ``profiles.from_cell``)."""
    if params.get("item") != "table5":
        fail("params", "the parameters of table5", repr(params.get("item")))
    cache_dir = Path(params["out_dir"]) / "cache" / "features"
    targets = load_targets(params["datasets"], params)
    split_sets = target_splits(targets, params)
    feature_list = build_feature_sets(params["feature_sets"], params, progress=progress)
    if progress is not None:
        progress("fitting the linear SVMs")
    tidy, correct = transfer_scores(
        feature_list, targets, split_sets, cache_dir, seed=params["seed"], device=params["device"]
    )
    found = table5_claims(correct, feature_list)
    value, headline = _headline(tidy, feature_list)
    summary = summary_table(tidy)
    means = summary.groupby("features", sort=False)["mean"].mean()
    left_out = [t.name for t in targets if t.metric == "mean AP"]
    notes = [
        "The intervals resample test images only: each network here is one training seed, "
        "so seed-to-seed spread is not in them."
    ]
    if left_out:
        notes.append(
            f"{', '.join(left_out)} (mean AP, not a mean over images) is in the table but not "
            "in the claims' intervals."
        )
    if params["profile"] != "full":
        notes.append("The target sets are not the paper's: compare the claims, not the cells.")
    view = table5_view(tidy)
    view.columns.name = None
    parts = partition_table(tidy)
    counts = ", ".join(f"{t.name} {len(split_sets[t.name])}" for t in targets)
    cells = ", ".join(f"{r.features} {r.mean:.1f} ± {r.mean_std:.1f}" for r in parts.itertuples())
    parts_caption = "SUN397 is not among this profile's target sets." if parts.empty else (
        f"*SUN397 per published partition.* Linear-SVM test accuracy (%) on each of "
        f"{len(parts.columns) - 3} partitions (Training_NN / Testing_NN), with their mean ± "
        f"standard deviation: {cells}."
    )  # fmt: skip
    return ItemResult(
        "table5",
        params["profile"],
        headline=headline,
        claims=found,
        tables={
            "table5": tidy,
            "table5_summary": summary,
            "table5_view": view.reset_index(),
            "table5_paper": paper_table5_view(paper.paper_table(5)).reset_index(),
            "table5_targets": targets_table(targets, split_sets).reset_index(),
            "table5_features": feature_sets_table(feature_list).reset_index(),
            "table5_sun397": parts,
        },
        notes=notes,
        headline_value=value,
        coverage="complete" if params["profile"] == "full" else "partial",
        captions={
            "table5_view": (
                f"*Table 5 (this project, {params['profile']} profile).* Linear-SVM test "
                "accuracy (%), mean ± standard deviation over each target set's splits "
                f"({counts}) of {len(targets)} target sets; rows are feature sets. Mean over "
                "the target sets: " + ", ".join(f"{f} {m:.1f}" for f, m in means.items()) + "."
            ),
            "table5_paper": (
                "*Table 5 (paper).* Linear-SVM accuracy (%) on eight scene and object "
                "datasets (SUN Attribute: average precision), features of networks trained "
                "on ImageNet."
            ),
            "table5_targets": (
                "*Target sets.* Random splits are stratified with seeds "
                f"{params['seed']}, {params['seed']}+1, ...; photo-textures uses spatial folds "
                "(split s tests on strip s of every photo)."
            ),
            "table5_features": (
                "*Feature sets.* The networks trained here see the target images at the "
                "size they were trained at; EfficientNet-Lite0 at 224 px."
            ),
            "table5_sun397": parts_caption,
            "table5": "*Per split.* Every SVM: its split, the `C` cross-validation chose, "
            "and its test accuracy (%).",
        },
    )
