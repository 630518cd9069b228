"""Tables 1-3: train the network family once (cached), evaluate it, build the tables and
check the paper's claims.

The same functions run every profile. ``smoke``/``cpu``: the small family
(:mod:`cam_core.nets.models`) trained from scratch on the cluttered-silhouettes benchmark, scored
on its test split. ``full``: the paper's networks converted from local torchvision ImageNet
weights, fine-tuned on ILSVRC 2012 train (DDP under ``torchrun``) and scored on ILSVRC val.

The training recipe lives in the profile's ``table1`` block; Tables 2 and 3 read it there, so
the three notebooks share one set of models. Every trained model is cached under
``<out_dir>/cache/models/`` by a key of network name, options, architecture, data fingerprint
and :meth:`TrainConfig.fingerprint` (never by notebook text or other code), and every
evaluation under ``<out_dir>/cache/evals/`` (keyed also by the evaluation code), so a rerun
of the notebooks retrains nothing. Rates inside are fractions; the tables print percent.

For a multi-GPU ``full`` run, fill the caches first with
``torchrun --nproc_per_node=N -m cam_core.items.tables123 --profile full --data-root ROOT``;
the notebooks then only read them.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cam_core.common import paper, profiles
from cam_core.items.evaluation import classify, localize
from cam_core.items.family import learning_curves, train_family, training_times
from cam_core.items.localization import LocalizationResult
from cam_core.items.recipe import (
    CPU_CAVEAT,
    FULL,
    SMALL,
    SMOKE_CAVEAT,
    Recipe,
    Splits,
    load_splits,
    paper_name,
    recipe_for,
    recipe_from_params,
)

__all__ = [
    "TableResult",
    "table1",
    "table2",
    "table3",
    "plot_learning_curves",
    "plot_maxboxacc",
]
# Where Table 2's "Backprop on X" rows come from: the original (FC) network of the family.
BACKPROP_ROWS = {
    "Backprop on GoogLeNet": "GoogLeNet",
    "Backprop on VGGnet": "VGGnet",
    "Backprop on AlexNet": "AlexNet",
}


# --------------------------------------------------------------------------- tables


@dataclass
class TableResult:
    """What a table notebook shows and records: the table (paper beside reproduced, percent),
    the claim checks, extra tidy frames (learning curves, MaxBoxAcc sweep, timings) and the
    status fields for :meth:`results.Experiment.write_status`."""

    table: pd.DataFrame
    claims: pd.DataFrame
    frames: dict[str, pd.DataFrame]
    coverage: str
    headline: float | None
    claim_holds: str
    notes: str


def _stats(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample std (NaN for one value), in percent."""
    v = 100.0 * np.asarray(values, dtype=np.float64)
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else float("nan")


def _noise(stds: Sequence[float]) -> float:
    """Seed noise of a difference: the pooled std of the members with several seeds."""
    s = [x for x in stds if np.isfinite(x)]
    return float(np.sqrt(np.mean(np.square(s)))) if s else float("nan")


def _claim(
    claim: str, better: str, worse: str, a: float, b: float, noise: float, margin: float = 0.0
) -> dict[str, Any]:
    """Claim "``better`` has lower error than ``worse`` (by more than -``margin`` points)".

    ``a``/``b``: their errors (%). Within the seed noise the two are "not distinguishable".
    """
    diff = a - b
    if np.isfinite(noise) and abs(diff) <= noise and margin == 0.0:
        verdict = "not distinguishable"
    else:
        verdict = "holds" if diff < margin else "does not hold"
    return {
        "claim": claim,
        "compared": f"{better} vs {worse}",
        "value_a": round(a, 2),
        "value_b": round(b, 2),
        "difference": round(diff, 2),
        "seed_noise": round(noise, 2) if np.isfinite(noise) else None,
        "verdict": verdict,
    }


def _paper_rows(number: int, key: str) -> pd.DataFrame:
    return paper.paper_table(number).set_index(key)


def _overall(claims: pd.DataFrame) -> str:
    if claims.empty:
        return "not tested"
    return "yes" if (claims["verdict"] == "holds").all() else "no"


def _mapping(recipe: Recipe) -> dict[str, str]:
    return FULL if recipe.full else SMALL


def _seed_note(recipe: Recipe) -> str:
    heads = ", ".join(paper_name(n) for n in recipe.headline if n in recipe.networks)
    if recipe.seeds == 1 or not heads:
        return "one training seed per network"
    return f"{recipe.seeds} seeds (mean ± std) for {heads}; one seed for the others"


def table1(params: dict[str, Any], progress: Callable[[str], None] | None = None) -> TableResult:
    """Table 1: classification error of every network, paper beside reproduced (percent)."""
    recipe = recipe_from_params(params)
    splits = load_splits(recipe, params.get("eval_images", 0))
    family = train_family(recipe.networks, recipe, splits, progress)
    reproduced = {}
    for network, members in family.items():
        errs = [classify(m, splits, recipe) for m in members]
        reproduced[paper_name(network)] = (
            network,
            _stats([e["top1"] for e in errs]),
            _stats([e["top5"] for e in errs]),
            len(members),
        )
    rows = []
    for name, p in _paper_rows(1, "network").iterrows():
        row = {"network": name, "paper_top1": p.top1_error, "paper_top5": p.top5_error}
        if name in reproduced:
            net, t1, t5, n = reproduced[name]
            row.update(
                reproduced_by=net, seeds=n, top1=round(t1[0], 2), top1_std=_round(t1[1]),
                top5=round(t5[0], 2), top5_std=_round(t5[1]),
                diff_top1=round(t1[0] - p.top1_error, 2), diff_top5=round(t5[0] - p.top5_error, 2),
            )  # fmt: skip
        else:
            row.update(reproduced_by="not run", seeds=None)
        rows.append(row)
    table = _int_seeds(pd.DataFrame(rows))
    noise = _noise([v[1][1] for v in reproduced.values()])
    cost = paper.paper_value("gap_classification_cost_high")  # the paper's "1-2 points"
    claims = []
    for gap, orig in (
        ("GoogLeNet-GAP", "GoogLeNet"),
        ("VGGnet-GAP", "VGGnet"),
        ("AlexNet-GAP", "AlexNet"),
    ):
        if gap in reproduced and orig in reproduced:
            c = _claim(
                "GAP costs at most ~2 points of top-1 classification error",
                gap, orig, reproduced[gap][1][0], reproduced[orig][1][0], noise, margin=cost,
            )  # fmt: skip
            claims.append(c)
    if "GoogLeNet-GAP" in reproduced and "GoogLeNet-GMP" in reproduced:
        a, b = reproduced["GoogLeNet-GAP"][1], reproduced["GoogLeNet-GMP"][1]
        diff = a[0] - b[0]
        tol = max(cost, _noise([a[1], b[1]]) if np.isfinite(_noise([a[1], b[1]])) else 0.0)
        claims.append(
            {
                "claim": "GAP and GMP classify about equally well (within 2 points or the noise)",
                "compared": "GoogLeNet-GAP vs GoogLeNet-GMP",
                "value_a": round(a[0], 2),
                "value_b": round(b[0], 2),
                "difference": round(diff, 2),
                "seed_noise": _round(_noise([a[1], b[1]])),
                "verdict": "holds" if abs(diff) <= tol else "does not hold",
            }
        )
    claims_df = pd.DataFrame(claims)
    head = reproduced.get("GoogLeNet-GAP")
    frames = {"learning_curves": learning_curves(family), "training_times": training_times(family)}
    missing = [n for n in _paper_rows(1, "network").index if n not in reproduced]
    return TableResult(
        table=table,
        claims=claims_df,
        frames=frames,
        coverage="complete" if not missing else "partial",
        headline=round(head[2][0], 2) if head else None,
        claim_holds=_overall(claims_df),
        notes=_notes(recipe, splits, missing),
    )


def _int_seeds(table: pd.DataFrame) -> pd.DataFrame:
    """Seed counts as integers, empty where a row was not run."""
    return table.assign(seeds=table["seeds"].astype("Int64"))


def _round(x: float) -> float | None:
    return round(x, 2) if np.isfinite(x) else None


def _notes(recipe: Recipe, splits: Splits, missing: Sequence[str]) -> str:
    parts = []
    if recipe.profile == "smoke":
        parts.append(SMOKE_CAVEAT)
    elif not recipe.full:
        parts.append(CPU_CAVEAT.format(profile=recipe.profile, size=recipe.image_size))
    parts.append(_seed_note(recipe) + f"; scored on {splits.test_name}")
    if missing:
        parts.append("not run: " + ", ".join(missing))
    parts += splits.caveats
    return " ".join(p if p.endswith(".") else p + "." for p in parts)


def _loc_stats(results_: Sequence[LocalizationResult]) -> dict[str, tuple[float, float]]:
    keys = results_[0].summary
    return {k: _stats([r.summary[k] for r in results_]) for k in keys if k != "images"}


def table2(params: dict[str, Any], progress: Callable[[str], None] | None = None) -> TableResult:
    """Table 2: localization error of CAM on each network and of backprop saliency on the
    originals, beside the trivial boxes, the GT-known accuracy and MaxBoxAcc (percent)."""
    recipe = recipe_for(params)
    splits = load_splits(recipe, params["eval_images"])
    names = list(dict.fromkeys([*params["networks"], *params["baseline_networks"]]))
    family = train_family(names, recipe, splits, progress)
    evaluated: dict[str, list[LocalizationResult]] = {}
    for network in params["networks"]:
        evaluated[paper_name(network)] = [
            localize(m, splits, recipe, "cam", params["threshold"], None, params["box_rule"])
            for m in family[network]
        ]
    for method in params["baselines"]:
        for network in params["baseline_networks"]:
            row = (
                ("Backprop" if method == "backprop" else "Grad-CAM") + " on " + paper_name(network)
            )
            evaluated[row] = [
                localize(m, splits, recipe, method, params["threshold"], None, params["box_rule"])
                for m in family[network]
            ]
    stats = {row: _loc_stats(res) for row, res in evaluated.items()}
    rows = []
    paper_rows = _paper_rows(2, "method")
    order = [*paper_rows.index, *[r for r in evaluated if r not in paper_rows.index]]
    for name in order:
        row: dict[str, Any] = {"method": name}
        if name in paper_rows.index:
            row["paper_top1"] = paper_rows.loc[name, "top1_error"]
            row["paper_top5"] = paper_rows.loc[name, "top5_error"]
        if name in evaluated:
            s = stats[name]
            net = name.split(" on ")[-1]
            row["reproduced_by"] = _mapping(recipe).get(net, net) + (
                f" ({name.split(' on ')[0].lower()})" if " on " in name else " (CAM)"
            )
            row["seeds"] = len(evaluated[name])
            for col, key in (
                ("top1", "loc_top1_error"), ("top5", "loc_top5_error"),
                ("cls_top1", "cls_top1_error"),
            ):  # fmt: skip
                row[col] = round(s[key][0], 2)
                row[col + "_std"] = _round(s[key][1])
            if "paper_top1" in row:
                row["diff_top1"] = round(row["top1"] - row["paper_top1"], 2)
                row["diff_top5"] = round(row["top5"] - row["paper_top5"], 2)
            row["gt_known_loc"] = round(s["gt_known_loc"][0], 2)
            row["maxboxacc"] = round(s["maxboxacc"][0], 2)
            row["centre_box_top1"] = round(s["centre_top1_error"][0], 2)
            row["whole_image_top1"] = round(s["whole_top1_error"][0], 2)
        else:
            row["reproduced_by"] = "not run"
            row["seeds"] = None
        rows.append(row)
    table = _int_seeds(pd.DataFrame(rows))
    claims = _table2_claims(stats)
    curves = pd.concat(
        [
            r.curve_frame().assign(method=row, seed=i)
            for row, res in evaluated.items()
            for i, r in enumerate(res)
        ],
        ignore_index=True,
    )
    aim = _aim(stats, recipe)
    by_size = pd.concat(
        [res[0].by_object_size().assign(method=row) for row, res in evaluated.items()],
        ignore_index=True,
    )  # first seed of every row: where the boxes fail (small objects, coarse maps)
    head = stats.get("GoogLeNet-GAP")
    missing = [n for n in paper_rows.index if n not in evaluated]
    return TableResult(
        table=table,
        claims=claims,
        frames={
            "maxboxacc_curves": curves,
            "aim": aim,
            "gt_known_by_size": by_size,
            "training_times": training_times(family),
        },
        coverage="complete" if not missing else "partial",
        headline=round(head["loc_top5_error"][0], 2) if head else None,
        claim_holds=_overall(
            claims[
                claims["claim"].str.startswith(("CAM", "GAP"))
                & (claims["metric"] == "top-1 loc. error")
            ]
        )
        if not claims.empty
        else "not tested",
        notes=_notes(recipe, splits, missing),
    )


def _table2_claims(stats: dict[str, dict[str, tuple[float, float]]]) -> pd.DataFrame:
    """The paper's Table 2 claims on top-1 localization error (its metric) and, where the
    classification error could decide the comparison, on GT-known boxes (class given)."""
    metrics_ = {"top-1 loc. error": "loc_top1_error", "GT-known loc. error": "gt_known_loc"}
    claims = []

    def add(claim: str, a: str, b: str, metric: str = "top-1 loc. error") -> None:
        if a not in stats or b not in stats:
            return
        key = metrics_[metric]
        noise = _noise([s[key][1] for s in stats.values()])
        # GT-known is an accuracy: compared as its error, 100 - accuracy
        va, vb = (stats[x][key][0] for x in (a, b))
        if key == "gt_known_loc":
            va, vb = 100.0 - va, 100.0 - vb
        claims.append({**_claim(claim, a, b, va, vb, noise), "metric": metric})

    add("GAP localizes better than GMP", "GoogLeNet-GAP", "GoogLeNet-GMP")
    for gap, orig in (
        ("GoogLeNet-GAP", "GoogLeNet"),
        ("VGGnet-GAP", "VGGnet"),
        ("AlexNet-GAP", "AlexNet"),
    ):
        add("CAM localizes better than backprop saliency", gap, f"Backprop on {orig}")
    for fine in ("VGGnet-GAP", "GoogLeNet-GAP"):
        add("Finer last-conv maps localize better than AlexNet-GAP", fine, "AlexNet-GAP")
    add("AlexNet*-GAP recovers part of AlexNet-GAP's gap", "AlexNet*-GAP", "AlexNet-GAP")
    add("GAP localizes better than GMP", "GoogLeNet-GAP", "GoogLeNet-GMP", "GT-known loc. error")
    add(
        "CAM localizes better than backprop saliency",
        "GoogLeNet-GAP",
        "Backprop on GoogLeNet",
        "GT-known loc. error",
    )
    add(
        "Finer last-conv maps localize better than AlexNet-GAP",
        "GoogLeNet-GAP",
        "AlexNet-GAP",
        "GT-known loc. error",
    )
    frame = pd.DataFrame(claims)
    if frame.empty:
        return frame
    cols = ["claim", "metric", "compared", "value_a", "value_b", "difference", "seed_noise"]
    return frame[[*cols, "verdict"]]


def _aim(stats: dict[str, dict[str, tuple[float, float]]], recipe: Recipe) -> pd.DataFrame:
    """The issue's aim for the best GAP net: >= 60% top-1 localization accuracy and >= 20
    points above the better trivial box."""
    gap = {k: v for k, v in stats.items() if k.endswith("-GAP") or k == "NIN"}  # NIN: GAP too
    if not gap:
        return pd.DataFrame()
    best = min(gap, key=lambda k: gap[k]["loc_top1_error"][0])
    s = gap[best]
    acc = 100.0 - s["loc_top1_error"][0]
    trivial = 100.0 - min(s["centre_top1_error"][0], s["whole_top1_error"][0])
    return pd.DataFrame(
        [
            {"quantity": "best GAP network", "value": best},
            {"quantity": "top-1 localization accuracy (%)", "value": round(acc, 2)},
            {
                "quantity": "top-5 localization accuracy (%)",
                "value": round(100.0 - s["loc_top5_error"][0], 2),
            },
            {"quantity": "better trivial box, same classes (%)", "value": round(trivial, 2)},
            {"quantity": "margin over the trivial box (points)", "value": round(acc - trivial, 2)},
            {"quantity": "GT-known localization (%)", "value": round(s["gt_known_loc"][0], 2)},
            {"quantity": "MaxBoxAcc (%)", "value": round(s["maxboxacc"][0], 2)},
            {
                "quantity": "aim (>= 60% and >= +20 points) reached",
                "value": "yes" if acc >= 60 and acc - trivial >= 20 else "no",
            },
        ]
    )


def table3(params: dict[str, Any], progress: Callable[[str], None] | None = None) -> TableResult:
    """Table 3: top-5 localization error of the headline GAP net with and without the
    tight+loose heuristic, and backprop on its original; supervised rows quoted (percent)."""
    recipe = recipe_for(params)
    splits = load_splits(recipe, params["eval_images"])
    net, base = params["network"], params["baseline_network"]
    family = train_family(list(dict.fromkeys([net, base])), recipe, splits, progress)
    t, rule = params["threshold"], params["box_rule"]
    runs = {
        f"{paper_name(net)} (heuristics)": [
            localize(m, splits, recipe, "cam", t, params["heuristic"], rule) for m in family[net]
        ],
        paper_name(net): [localize(m, splits, recipe, "cam", t, None, rule) for m in family[net]],
        "Backprop": [localize(m, splits, recipe, "backprop", t, None, rule) for m in family[base]],
    }
    stats = {k: _loc_stats(v) for k, v in runs.items()}
    rows = []
    for name, p in _paper_rows(3, "method").iterrows():
        row: dict[str, Any] = {
            "method": name,
            "supervision": p.supervision,
            "paper_top5": p.top5_error,
        }
        if name in stats:
            s = stats[name]
            row.update(
                reproduced_by=_mapping(recipe).get(name.split(" (")[0], base)
                + (" (tight+loose)" if "heuristics" in name else ""),
                seeds=len(runs[name]),
                top5=round(s["loc_top5_error"][0], 2),
                top5_std=_round(s["loc_top5_error"][1]),
                diff_top5=round(s["loc_top5_error"][0] - p.top5_error, 2),
                top1=round(s["loc_top1_error"][0], 2),
            )
        else:
            row.update(reproduced_by="quoted from the paper (not rerun)", seeds=None)
        rows.append(row)
    if "Backprop" in stats:
        rows[[r["method"] for r in rows].index("Backprop")]["reproduced_by"] = f"{base} (backprop)"
    table = _int_seeds(pd.DataFrame(rows))
    heur, plain = f"{paper_name(net)} (heuristics)", paper_name(net)
    noise = _noise([s["loc_top5_error"][1] for s in stats.values()])
    claims = pd.DataFrame(
        [
            _claim("The tight+loose heuristic lowers top-5 localization error", heur, plain,
                   stats[heur]["loc_top5_error"][0], stats[plain]["loc_top5_error"][0], noise),
            _claim("CAM localizes better than backprop saliency (top-5)", plain, "Backprop",
                   stats[plain]["loc_top5_error"][0], stats["Backprop"]["loc_top5_error"][0],
                   noise),
        ]
    )  # fmt: skip
    claims.loc[len(claims)] = {
        "claim": "Weak CAM + heuristic comes close to the fully supervised AlexNet (34.2)",
        "compared": "not tested: no fully supervised localizer is trained here",
        "verdict": "not tested",
    }
    return TableResult(
        table=table,
        claims=claims,
        frames={},
        coverage="partial",
        headline=round(stats[heur]["loc_top5_error"][0], 2),
        claim_holds="yes" if claims.loc[0, "verdict"] == "holds" else "no",
        notes=_notes(recipe, splits, [])
        + " The fully supervised rows are quoted from the paper, not rerun."
        + (" The ILSVRC test labels are not public: scored on val." if recipe.full else ""),
    )


def plot_learning_curves(curves: pd.DataFrame):
    """Validation accuracy (%) per epoch, one line per network (shaded: range over seeds);
    a pyplot-free matplotlib Figure (show it with :func:`cam_core.common.viz.show`)."""

    fig = Figure(figsize=(7.5, 4.2))
    ax = fig.subplots()
    if curves.empty or "val_acc" not in curves:
        ax.text(0.5, 0.5, "no training run here", ha="center")
        return fig
    for name, g in curves.groupby("paper_name", sort=False):
        by_epoch = g.groupby("epoch")["val_acc"]
        mean = 100 * by_epoch.mean()
        style = "-" if name.endswith(("GAP", "GMP")) else "--"
        (line,) = ax.plot(mean.index, mean.values, style, marker="o", ms=3, label=name)
        if g["seed"].nunique() > 1:
            ax.fill_between(mean.index, 100 * by_epoch.min(), 100 * by_epoch.max(),
                            color=line.get_color(), alpha=0.2)  # fmt: skip
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy (%)")
    ax.legend(fontsize=7, ncol=3)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_maxboxacc(curves: pd.DataFrame, threshold: float = 0.2):
    """BoxAcc (%) at IoU 0.5 of the true class's box against the map threshold, one line
    per row of Table 2 (mean over seeds); a pyplot-free matplotlib Figure."""

    fig = Figure(figsize=(7.5, 4.2))
    ax = fig.subplots()
    for name, g in curves.groupby("method", sort=False):
        mean = 100 * g.groupby("threshold")["box_acc"].mean()
        style = ":" if name.startswith(("Backprop", "Grad-CAM")) else "-"
        ax.plot(mean.index, mean.values, style, label=name, lw=1.2)
    ax.axvline(threshold, color="grey", ls="--", lw=1)
    ax.text(threshold, 2, f" the paper's {threshold:g}", color="grey", fontsize=8)
    ax.set_xlabel("threshold (fraction of the min-max normalised map)")
    ax.set_ylabel("BoxAcc, IoU >= 0.5 (%)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- torchrun entry


def main(argv: Sequence[str] | None = None) -> None:
    """Fill the model and evaluation caches of Tables 1-3 (e.g. under ``torchrun``)."""
    parser = argparse.ArgumentParser(prog="python -m cam_core.items.tables123")
    parser.add_argument("--profile", default="full")
    parser.add_argument("--data-root")
    parser.add_argument("--out-dir")
    parser.add_argument("--device")
    args = parser.parse_args(argv)
    common = {"profile": args.profile, "data_root": args.data_root, "out_dir": args.out_dir}
    common["device"] = args.device
    started = time.perf_counter()
    for item, build in (("table1", table1), ("table2", table2), ("table3", table3)):
        build(profiles.validate_parameters(item, **common), progress=print)
        print(f"{item}: caches filled ({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
