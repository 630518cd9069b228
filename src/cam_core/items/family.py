"""Training a family of networks (original and GAP variants, several seeds), cached per member."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn

from cam_core.common import results
from cam_core.fingerprint import code_fingerprint
from cam_core.items.recipe import (
    ARCH,
    ORIGINALS,
    Recipe,
    Splits,
    load_splits,
    paper_name,
    stable_hash,
)
from cam_core.nets import registry, train
from cam_core.validate import fail

__all__ = [
    "Trained",
    "train_family",
    "learning_curves",
    "training_times",
    "training_summary",
    "plot_learning_curves",
]


# --------------------------------------------------------------------------- training


class Trained(NamedTuple):
    """One trained member: the model, its per-epoch history, seed, cache key and timing."""

    network: str
    seed: int
    model: nn.Module
    history: pd.DataFrame
    key: str
    train_seconds: float
    cached: bool
    cpu_seconds: float = float("nan")  # process CPU time of the training (all threads)
    threads: int = 0  # torch threads it trained with


def _arch_signature(model: nn.Module) -> str:
    return stable_hash([(k, list(v.shape)) for k, v in model.state_dict().items()])


def _build(network: str, recipe: Recipe, num_classes: int) -> nn.Module:
    if recipe.full:
        if network == "nin":
            fail("networks", "paper networks with torchvision weights (NIN has none)", "nin")
        arch = ARCH[network.split("-")[0]]
        weights = recipe.weights or str(Path(recipe.data_root or ".") / "weights" / f"{arch}.pth")
        return registry.build_model(network, num_classes, weights=weights)
    return registry.build_model(network, num_classes, width=recipe.width)


def model_key(network: str, seed: int, recipe: Recipe, splits: Splits, model: nn.Module) -> str:
    """Cache key of one member: everything that changes its trained weights."""
    options = {"width": recipe.width} if not recipe.full else {"weights": recipe.weights}
    config = recipe.config(seed)
    return stable_hash(
        network, options, splits.num_classes, _arch_signature(model), splits.fingerprint,
        config.fingerprint(), code_fingerprint(),
    )[:20]  # fmt: skip


def _threads(recipe: Recipe) -> None:
    """CPU threads for training: ``CAM_REPRO_THREADS``, else 2 (the laptop budget), or 1 when
    the machine is already busy: OpenMP threads that other processes deschedule spin-wait for
    each other, measured 10-40x slower here than one thread under a load of 8 on 2 cores."""
    if recipe.device.startswith("cuda"):
        return
    env = os.environ.get("CAM_REPRO_THREADS")
    cores = os.cpu_count() or 1
    busy = hasattr(os, "getloadavg") and os.getloadavg()[0] > cores
    torch.set_num_threads(int(env) if env else 1 if busy else min(2, cores))


def _member(network: str, seed: int, recipe: Recipe, splits: Splits) -> tuple[nn.Module, str, Path]:
    """A freshly initialised member, its cache key and its checkpoint path."""
    torch.manual_seed(seed)  # the fresh layers' initialisation
    model = _build(network, recipe, splits.num_classes)
    key = model_key(network, seed, recipe, splits, model)
    path = recipe.cache / "models" / f"{network.replace('*', 'star')}-s{seed}-{key}.pt"
    return model, key, path


def _fit(network: str, seed: int, model: nn.Module, path: Path, recipe: Recipe, splits: Splits):
    """Train one member into its checkpoint (or load it); its CPU time goes beside it."""
    if recipe.full and network in ORIGINALS and splits.num_classes == 1000:
        # the released ImageNet classifier is the paper's "original" network as is
        return pd.DataFrame({"epoch": [], "seconds": []}).assign(cached=True)
    cpu0 = time.process_time()
    history = train.train_model(model, splits.train, splits.val, recipe.config(seed), path)
    if not history["cached"].all() and train.distributed_context().is_main:
        timing = {"cpu_seconds": time.process_time() - cpu0, "threads": torch.get_num_threads()}
        results.atomic_write_json(path.with_suffix(".timing.json"), timing)
    return history


def _fit_in_worker(network: str, seed: int, recipe: Recipe, splits: Splits) -> None:
    """One member in a worker process, one torch thread (see :func:`_training_workers`)."""
    torch.set_num_threads(1)
    model, _, path = _member(network, seed, recipe, splits)
    _fit(network, seed, model, path, recipe, splits)


def _training_workers(recipe: Recipe, pending: int) -> int:
    """Worker processes for ``pending`` untrained members: ``CAM_REPRO_WORKERS``, else one per
    core (at most 2) for the small family on CPU outside ``torchrun``, when each member sees
    at least 10,000 training images (smaller runs finish before a worker has imported torch,
    about 5-10 s here). Two one-thread trainings of the small nets run about 1.8x faster than
    one on two threads (2 cores). Scripts need the ``if __name__ == "__main__":`` guard
    (workers are spawned)."""
    gpu_or_ddp = recipe.device.startswith("cuda") or train.distributed_context().world_size > 1
    if recipe.full or gpu_or_ddp or pending < 2:
        return 1
    env = os.environ.get("CAM_REPRO_WORKERS")
    if env:
        return max(1, min(pending, int(env)))
    if recipe.epochs * recipe.train_images < 10_000:
        return 1
    return max(1, min(pending, 2, os.cpu_count() or 1))


def _multiply_adds(model: nn.Module, size: int) -> int:
    """Multiply-adds of one forward pass at ``size`` px (conv and linear layers): the order in
    which workers take members, longest first, so the last one does not run alone."""
    total = 0

    def count(module: nn.Module, _: Any, out: torch.Tensor) -> None:
        nonlocal total
        fan_in = module.weight[0].numel()  # (C_in / groups) * kh * kw, or in_features
        total += out.numel() * fan_in

    hooks = [
        m.register_forward_hook(count)
        for m in model.modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, 3, size, size))
    finally:
        for h in hooks:
            h.remove()
    return total


def _train_in_workers(
    pending: list[tuple[str, int, nn.Module]],
    recipe: Recipe,
    splits: Splits,
    workers: int,
    progress: Callable[[str], None] | None,
) -> None:

    order = sorted(pending, key=lambda p: -_multiply_adds(p[2], recipe.image_size))
    if progress is not None:
        progress(f"training {len(order)} members in {workers} processes, one thread each")
    spawn = multiprocessing.get_context("spawn")  # no fork of a kernel holding OpenMP threads
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        jobs = [pool.submit(_fit_in_worker, net, seed, recipe, splits) for net, seed, _ in order]
        for job in jobs:
            job.result()  # a worker's InputError or crash surfaces here, with its message


def train_family(
    names: Sequence[str],
    recipe: Recipe,
    splits: Splits | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, list[Trained]]:
    """Train (or load from the cache) every network of ``names`` with the recipe's seeds:
    same data, schedule and augmentation for all. Returns network -> one Trained per seed.
    Untrained members train in parallel worker processes on CPU (:func:`_training_workers`)."""
    splits = splits or load_splits(recipe)
    _threads(recipe)
    members = {(n, s): _member(n, s, recipe, splits) for n in names for s in recipe.seeds_of(n)}
    pending = [(n, s, m) for (n, s), (m, _, path) in members.items() if not path.is_file()]
    workers = _training_workers(recipe, len(pending))
    trained_now = set()
    if workers > 1:
        _train_in_workers(pending, recipe, splits, workers, progress)
        trained_now = {(n, s) for n, s, _ in pending}
    out: dict[str, list[Trained]] = {}
    for (network, seed), (model, key, path) in members.items():
        if progress is not None and not path.is_file():
            progress(f"training {network} seed {seed}")
        history = _fit(network, seed, model, path, recipe, splits)
        seconds = float(history["seconds"].sum()) if "seconds" in history else 0.0
        cached = bool(history["cached"].all()) if len(history) else True
        cached = cached and (network, seed) not in trained_now
        timing_file = path.with_suffix(".timing.json")
        timing = json.loads(timing_file.read_text()) if timing_file.is_file() else {}
        model.eval()
        out.setdefault(network, []).append(
            Trained(
                network,
                seed,
                model,
                history,
                key,
                seconds,
                cached,
                timing.get("cpu_seconds", float("nan")),
                timing.get("threads", 0),
            )  # fmt: skip
        )
    return out


def learning_curves(family: dict[str, list[Trained]]) -> pd.DataFrame:
    """Tidy per-epoch histories: network, paper row, seed, epoch, losses, accuracies."""
    frames = []
    for network, members in family.items():
        for m in members:
            if len(m.history):
                h = m.history.drop(columns=["cached"], errors="ignore")
                frames.append(
                    h.assign(network=network, paper_name=paper_name(network), seed=m.seed)
                )
    if not frames:
        return pd.DataFrame(columns=["network", "paper_name", "seed", "epoch"])
    cols = ["network", "paper_name", "seed", "epoch"]
    df = pd.concat(frames, ignore_index=True)
    return df[cols + [c for c in df.columns if c not in cols]]


def training_times(family: dict[str, list[Trained]]) -> pd.DataFrame:
    """Per member: wall and CPU seconds its training took when it ran (also if now loaded
    from the cache), with the torch threads it used."""
    rows = [
        {
            "network": m.network,
            "paper_name": paper_name(m.network),
            "seed": m.seed,
            "train_seconds": round(m.train_seconds, 1),
            "cpu_seconds": round(m.cpu_seconds, 1),
            "threads": m.threads,
            "epochs": len(m.history),
            "final_val_acc": round(100 * float(m.history["val_acc"].iloc[-1]), 2)
            if "val_acc" in m.history
            else None,
            "val_gain_last_quarter": _late_gain(m.history),
            "loaded_from_cache": m.cached,
        }
        for members in family.values()
        for m in members
    ]
    return pd.DataFrame(rows)


def training_summary(times: pd.DataFrame) -> str:
    """One line on what training the family cost: members, wall and CPU time, threads."""
    if times.empty:
        return "No network was trained."
    cpu = times["cpu_seconds"].dropna()
    threads = sorted({int(t) for t in times["threads"] if t})
    return (
        f"{len(times)} trained members: {times['train_seconds'].sum() / 60:.1f} min wall "
        f"clock and {cpu.sum() / 60:.1f} min of CPU time ({len(cpu)} members timed) when "
        f"they were trained, with {'/'.join(map(str, threads)) or '?'} torch thread(s)."
    )


def _late_gain(history: pd.DataFrame) -> float | None:
    """Validation accuracy gained (points) over the last quarter of the epochs: near 0 when
    training had converged, clearly positive when more epochs would still help."""
    if "val_acc" not in history or len(history) < 2:
        return None
    acc = 100 * history["val_acc"].to_numpy()
    start = max(0, len(acc) - 1 - max(1, len(acc) // 4))
    return round(float(acc[-1] - acc[start]), 2)


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
