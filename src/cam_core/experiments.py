"""Tables 1-3: train the network family once (cached), evaluate it, build the tables and
check the paper's claims.

The same functions run every profile. ``smoke``/``cpu``: the small family
(:mod:`cam_core.models`) trained from scratch on the cluttered-silhouettes benchmark, scored
on its test split. ``full``: the paper's networks converted from local torchvision ImageNet
weights, fine-tuned on ILSVRC 2012 train (DDP under ``torchrun``) and scored on ILSVRC val.

The training recipe lives in the profile's ``table1`` block; Tables 2 and 3 read it there, so
the three notebooks share one set of models. Every trained model is cached under
``<out_dir>/cache/models/`` by a key of network name, options, architecture, data fingerprint
and :meth:`TrainConfig.fingerprint` (never by notebook text or other code), and every
evaluation under ``<out_dir>/cache/evals/`` (keyed also by the evaluation code), so a rerun
of the notebooks retrains nothing. Rates inside are fractions; the tables print percent.

For a multi-GPU ``full`` run, fill the caches first with
``torchrun --nproc_per_node=N -m cam_core.experiments --profile full --data-root ROOT``;
the notebooks then only read them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import Dataset, Subset

from cam_core import localization, models, paper, profiles, results, train
from cam_core.localization import LocalizationResult
from cam_core.validate import fail

__all__ = [
    "SMALL",
    "FULL",
    "Recipe",
    "Splits",
    "Trained",
    "TableResult",
    "recipe_from_params",
    "recipe_for",
    "load_splits",
    "train_family",
    "learning_curves",
    "training_times",
    "training_summary",
    "classify",
    "localize",
    "table1",
    "table2",
    "table3",
    "for_display",
    "plot_learning_curves",
    "plot_maxboxacc",
]

# The paper's row names and the network that stands for each at each scale.
SMALL = {
    "VGGnet-GAP": "small-vgg-gap",
    "GoogLeNet-GAP": "small-googlenet-gap",
    "AlexNet*-GAP": "small-alexnet*-gap",
    "AlexNet-GAP": "small-alexnet-gap",
    "GoogLeNet": "small-googlenet",
    "VGGnet": "small-vgg",
    "AlexNet": "small-alexnet",
    "NIN": "small-nin",
    "GoogLeNet-GMP": "small-googlenet-gmp",
}
FULL = {
    "VGGnet-GAP": "vgg16-gap",
    "GoogLeNet-GAP": "googlenet-gap",
    "AlexNet*-GAP": "alexnet*-gap",
    "AlexNet-GAP": "alexnet-gap",
    "GoogLeNet": "googlenet",
    "VGGnet": "vgg16",
    "AlexNet": "alexnet",
    "NIN": "nin",
    "GoogLeNet-GMP": "googlenet-gmp",
}
# torchvision weights file each paper network starts from (<data_root>/weights/<arch>.pth)
_ARCH = {"vgg16": "vgg16", "googlenet": "googlenet", "alexnet": "alexnet", "alexnet*": "alexnet"}
_ORIGINALS = ("alexnet", "vgg16", "googlenet")
# The original nets' last map before their GAP + FC head: Grad-CAM there equals CAM
# (alpha_k = w_k^c / hw), the paper's "GoogLeNet" row of Table 2 (CAM at 7x7).
_GAP_HEAD_LAYER = {"small-googlenet": "head.2", "googlenet": None}
# Where Table 2's "Backprop on X" rows come from: the original (FC) network of the family.
BACKPROP_ROWS = {
    "Backprop on GoogLeNet": "GoogLeNet",
    "Backprop on VGGnet": "VGGnet",
    "Backprop on AlexNet": "AlexNet",
}
CPU_CAVEAT = (
    "{profile} numbers are a laptop-scale stand-in (small nets trained from scratch on the "
    "10-class cluttered-silhouettes benchmark, {size} px), not ILSVRC; with 10 classes top-5 "
    "is an easy bar, so top-1 carries the comparison."
)
SMOKE_CAVEAT = "smoke run: tiny nets, one epoch, a few dozen images; the numbers mean nothing."


def paper_name(network: str) -> str:
    """The paper's row for a network of either scale: ``"small-vgg-gap"`` -> ``"VGGnet-GAP"``."""
    for table in (SMALL, FULL):
        for row, name in table.items():
            if name == network:
                return row
    fail("network", f"one of {', '.join([*SMALL.values(), *FULL.values()])}", repr(network))


def _is_cam(network: str) -> bool:
    return network.endswith(("-gap", "-gmp")) or network in ("nin", "small-nin")


# --------------------------------------------------------------------------- recipe


@dataclass(frozen=True)
class Recipe:
    """How the family is trained and where its caches live (the profile's ``table1`` knobs)."""

    profile: str
    out_dir: str
    data_root: str | None
    device: str
    seed: int
    networks: tuple[str, ...]
    seeds: int
    headline: tuple[str, ...]
    epochs: int
    train_images: int
    val_images: int
    image_size: int
    batch_size: int
    lr: float
    optimizer: str
    width: float
    weights: str

    @property
    def full(self) -> bool:
        return self.profile == "full"

    @property
    def cache(self) -> Path:
        return Path(self.out_dir) / "cache"

    def seeds_of(self, network: str) -> list[int]:
        """Training seeds of ``network``: ``seeds`` of them for headline networks, else one."""
        n = self.seeds if network in self.headline else 1
        return [self.seed + i for i in range(n)]

    def config(self, seed: int) -> train.TrainConfig:
        adam = self.optimizer == "adamw"
        on_gpu = self.device.startswith("cuda")
        return train.TrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            optimizer=self.optimizer,
            weight_decay=0.05 if adam else (1e-4 if self.full else 5e-4),
            schedule="cosine",
            warmup_epochs=1 if self.epochs > 3 else 0,
            seed=seed,
            device=self.device,
            amp=on_gpu,
            channels_last=True,  # 1.5-1.9x faster training steps on CPU here as well
            num_workers=min(8, os.cpu_count() or 1) if self.full else 0,
        )


_RECIPE_KNOBS = (
    "networks",
    "seeds",
    "headline",
    "epochs",
    "train_images",
    "val_images",
    "image_size",
    "batch_size",
    "lr",
    "optimizer",
    "width",
    "weights",
)


def recipe_from_params(params: dict[str, Any]) -> Recipe:
    """The recipe of Table 1's validated parameters (``profiles.validate_parameters``)."""
    missing = [
        k for k in ("profile", "out_dir", "device", "seed", *_RECIPE_KNOBS) if k not in params
    ]
    if missing:
        fail("params", "table1's validated parameters", f"no {missing[0]}")
    networks = tuple(params["networks"])
    headline = tuple(params["headline"])
    for name in (*networks, *headline):
        paper_name(name)
    if params["seeds"] < 1:
        fail("seeds", "an int >= 1", params["seeds"])
    return Recipe(
        profile=params["profile"],
        out_dir=params["out_dir"],
        data_root=params.get("data_root"),
        device=params["device"],
        seed=params["seed"],
        networks=networks,
        seeds=params["seeds"],
        headline=headline,
        **{k: params[k] for k in _RECIPE_KNOBS if k not in ("networks", "seeds", "headline")},
    )


def recipe_for(params: dict[str, Any]) -> Recipe:
    """The training recipe behind Table 2 or 3: the profile's ``table1`` knobs with this
    notebook's common parameters (profile, out_dir, data_root, device, seed)."""
    common = {k: params[k] for k in ("profile", "out_dir", "data_root", "device", "seed")}
    return recipe_from_params(profiles.validate_parameters("table1", **common))


# --------------------------------------------------------------------------- data


@dataclass
class Splits:
    """The datasets of one recipe: training (augmented), validation (learning curves) and the
    evaluation set, with what keys the caches and the trivial centred box."""

    train: Dataset
    val: Dataset
    test: Dataset
    num_classes: int
    class_names: list[str]
    fingerprint: str  # train + val data: part of every model key
    test_fingerprint: str  # evaluation data: part of every evaluation key
    centre_size: tuple[float, float] | None  # training split's mean box (w, h) fractions
    max_boxes: int
    test_name: str
    caveats: list[str] = field(default_factory=list)


def _sha(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def load_splits(recipe: Recipe, eval_images: int = 0) -> Splits:
    """Datasets for ``recipe``; ``eval_images`` (0 = all) test images are scored."""
    if recipe.full:
        return _ilsvrc_splits(recipe, eval_images)
    from cam_core import data

    cache = recipe.cache / "data"
    size = recipe.image_size
    tr = data.make_silhouettes("train", recipe.train_images, size, cache_dir=cache)
    va = data.make_silhouettes("val", recipe.val_images, size, cache_dir=cache)
    te = data.make_silhouettes("test", eval_images or recipe.val_images, size, cache_dir=cache)
    centre = localization.mean_box_size(list(tr.boxes), (size, size))
    return Splits(
        train=data.SilhouetteDataset(tr, augment=True),
        val=data.SilhouetteDataset(va),
        test=data.SilhouetteDataset(te),
        num_classes=len(tr.class_names),
        class_names=list(tr.class_names),
        fingerprint=_sha(tr.fingerprint, va.fingerprint),
        test_fingerprint=te.fingerprint,
        centre_size=centre,
        max_boxes=1,
        test_name=f"cluttered-silhouettes test split ({len(te)} images, {size} px)",
    )


def _subset(dataset: Dataset, n: int, seed: int) -> Dataset:
    if n <= 0 or n >= len(dataset):
        return dataset
    rng = np.random.default_rng(seed)
    return Subset(dataset, sorted(rng.choice(len(dataset), n, replace=False).tolist()))


def _ilsvrc_splits(recipe: Recipe, eval_images: int) -> Splits:
    from torchvision import transforms

    from cam_core import ilsvrc

    if recipe.data_root is None:
        fail("data_root", "the folder holding the ILSVRC 2012 tree (profile full)", "None")
    root = Path(recipe.data_root)
    root = root / "ilsvrc2012" if (root / "ilsvrc2012").is_dir() else root
    size = recipe.image_size
    augment = transforms.Compose(
        [
            transforms.RandomResizedCrop(size),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(models.IMAGENET_MEAN, models.IMAGENET_STD),
        ]
    )
    train_set = ilsvrc.IlsvrcTrain(root, transform=augment)
    val_set = ilsvrc.IlsvrcVal(root, size=size, classes=train_set.classes)
    most = max((len(r.boxes) for r in val_set.records), default=1)
    val_set.max_boxes = most  # pad, so the default collate batches items (train, map_batches)
    caveats = [*train_set.caveats(), *val_set.caveats()]
    caveats.append("ILSVRC val serves as both the learning-curve and the scored set")
    test = _subset(val_set, eval_images, 0)
    files = [r.file for r in val_set.records]
    return Splits(
        train=_subset(train_set, recipe.train_images, recipe.seed),
        val=_subset(val_set, recipe.val_images, 0),
        test=test,
        num_classes=len(train_set.classes),
        class_names=ilsvrc.ilsvrc_class_names(train_set.classes, root),
        fingerprint=_sha(
            profiles.data_fingerprint("full", recipe.data_root),
            len(train_set),
            train_set.classes,
            recipe.train_images,
            recipe.val_images,
        ),
        test_fingerprint=_sha(
            profiles.data_fingerprint("full", recipe.data_root), files, len(test)
        ),
        centre_size=None,  # IlsvrcTrain reads no boxes: the val set's own mean is used
        max_boxes=most,
        test_name=f"ILSVRC 2012 val ({len(test)} images, {size} px, squashed)",
        caveats=caveats,
    )


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
    return _sha([(k, list(v.shape)) for k, v in model.state_dict().items()])


def _build(network: str, recipe: Recipe, num_classes: int) -> nn.Module:
    if recipe.full:
        if network == "nin":
            fail("networks", "paper networks with torchvision weights (NIN has none)", "nin")
        arch = _ARCH[network.split("-")[0]]
        weights = recipe.weights or str(Path(recipe.data_root or ".") / "weights" / f"{arch}.pth")
        return models.build_model(network, num_classes, weights=weights)
    return models.build_model(network, num_classes, width=recipe.width)


def model_key(network: str, seed: int, recipe: Recipe, splits: Splits, model: nn.Module) -> str:
    """Cache key of one member: everything that changes its trained weights."""
    options = {"width": recipe.width} if not recipe.full else {"weights": recipe.weights}
    config = recipe.config(seed)
    return _sha(
        network, options, splits.num_classes, _arch_signature(model), splits.fingerprint,
        config.fingerprint(),
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
    if recipe.full and network in _ORIGINALS and splits.num_classes == 1000:
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
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

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


# --------------------------------------------------------------------------- evaluation


def _eval_code() -> str:
    """Hash of the code an evaluation's numbers depend on."""
    here = Path(__file__).parent
    names = ("localization.py", "metrics.py", "boxes.py", "cam.py", "saliency.py")
    return _sha(*[hashlib.sha256((here / n).read_bytes()).hexdigest() for n in names])


_ARRAYS = (
    "labels", "top_classes", "pred_classes", "pred_boxes", "ious", "gt_boxes", "gt_box_labels",
    "gt_known_boxes", "gt_known_iou", "thresholds", "curve",
)  # fmt: skip


def _save_result(path: Path, res: LocalizationResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "method": res.method,
        "threshold": res.threshold,
        "heuristic": res.heuristic,
        "box_rule": res.box_rule,
        "image_size": list(res.image_size),
        "centre_size": list(res.centre_size),
        "summary": res.summary,
        "notes": res.notes,
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, meta=json.dumps(meta), **{k: getattr(res, k) for k in _ARRAYS})
    os.replace(tmp, path)


def _load_result(path: Path) -> LocalizationResult:
    with np.load(path) as z:
        meta = json.loads(str(z["meta"]))
        arrays = {k: z[k] for k in _ARRAYS}
    meta["image_size"] = tuple(meta["image_size"])
    meta["centre_size"] = tuple(meta["centre_size"])
    return LocalizationResult(**meta, **arrays)


def localize(
    member: Trained,
    splits: Splits,
    recipe: Recipe,
    method: str = "cam",
    threshold: float = 0.2,
    heuristic: str | None = None,
    box_rule: str = "paper",
) -> LocalizationResult:
    """:func:`localization.evaluate_localization` of one member on the scored set, cached
    under ``<out_dir>/cache/evals/``. ``method="cam"`` on an original GAP-headed net (the
    paper's GoogLeNet row) is Grad-CAM at its last map, which equals CAM there."""
    layer = None
    run_method = method
    if method == "cam" and not _is_cam(member.network):
        if member.network not in _GAP_HEAD_LAYER:
            fail("method", f"backprop or gradcam for {member.network} (no GAP head)", "cam")
        run_method, layer = "gradcam", _GAP_HEAD_LAYER[member.network]
    key = _sha(
        member.key, member.seed, run_method, layer, threshold, heuristic, box_rule,
        splits.test_fingerprint, splits.centre_size, _eval_code(),
    )[:20]  # fmt: skip
    path = recipe.cache / "evals" / f"{member.network.replace('*', 'star')}-{method}-{key}.npz"
    if path.is_file():
        return _load_result(path)
    ctx = train.distributed_context(recipe.device)
    res = localization.evaluate_localization(
        member.model,
        splits.test,
        method=run_method,
        threshold=threshold,
        heuristic=heuristic,
        batch_size=recipe.batch_size if recipe.full else 100,
        device=str(train.resolve_device(recipe.device, ctx)),
        ctx=ctx,
        box_rule=box_rule,
        centre_size=splits.centre_size,
        max_boxes=splits.max_boxes,
        layer=layer,
    )
    if ctx.is_main:
        _save_result(path, res)
    return res


def classify(member: Trained, splits: Splits, recipe: Recipe) -> dict[str, float]:
    """Top-1/top-5 classification error (fractions) of one member on the scored set, cached."""
    key = _sha(member.key, member.seed, splits.test_fingerprint, "classify")[:20]
    path = recipe.cache / "evals" / f"{member.network.replace('*', 'star')}-cls-{key}.json"
    if path.is_file():
        return json.loads(path.read_text())
    from cam_core import metrics

    ctx = train.distributed_context(recipe.device)
    device = train.resolve_device(recipe.device, ctx)
    member.model.to(device).eval()
    k = min(5, splits.num_classes)

    def top(batch: tuple) -> dict[str, torch.Tensor]:
        with torch.inference_mode():
            return {"top": member.model(batch[0].to(device)).topk(k, 1).indices, "y": batch[1]}

    config = train.TrainConfig(epochs=1, batch_size=recipe.batch_size, device=recipe.device)
    out = train.map_batches(top, splits.test, config, ctx)
    err = metrics.classification_error(out["top"], out["y"], (1, k))
    res = {"top1": err["top1"], "top5": err[f"top{k}"]}
    if ctx.is_main:
        results.atomic_write_json(path, res)
    return res


# --------------------------------------------------------------------------- tables


@dataclass
class TableResult:
    """What a table notebook shows and records: the table (paper beside reproduced, percent),
    the claim checks, extra tidy frames (learning curves, MaxBoxAcc sweep, timings) and the
    status fields for :meth:`results.Experiment.write_status`."""

    table: pd.DataFrame
    claims: pd.DataFrame
    frames: dict[str, pd.DataFrame]
    status: str
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
    claims = []
    for gap, orig in (
        ("GoogLeNet-GAP", "GoogLeNet"),
        ("VGGnet-GAP", "VGGnet"),
        ("AlexNet-GAP", "AlexNet"),
    ):
        if gap in reproduced and orig in reproduced:
            c = _claim(
                "GAP costs at most ~2 points of top-1 classification error",
                gap, orig, reproduced[gap][1][0], reproduced[orig][1][0], noise, margin=2.0,
            )  # fmt: skip
            claims.append(c)
    if "GoogLeNet-GAP" in reproduced and "GoogLeNet-GMP" in reproduced:
        a, b = reproduced["GoogLeNet-GAP"][1], reproduced["GoogLeNet-GMP"][1]
        diff = a[0] - b[0]
        tol = max(2.0, _noise([a[1], b[1]]) if np.isfinite(_noise([a[1], b[1]])) else 0.0)
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
        status="reproduced" if not missing else "partial",
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
        status="reproduced" if not missing else "partial",
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
        status="partial",
        headline=round(stats[heur]["loc_top5_error"][0], 2),
        claim_holds="yes" if claims.loc[0, "verdict"] == "holds" else "no",
        notes=_notes(recipe, splits, [])
        + " The fully supervised rows are quoted from the paper, not rerun."
        + (" The ILSVRC test labels are not public: scored on val." if recipe.full else ""),
    )


# --------------------------------------------------------------------------- display


def for_display(table: pd.DataFrame, columns: Sequence[str] | None = None):
    """A table for a page (a pandas Styler, no index): each ``x`` with an ``x_std`` column
    becomes ``"mean ± std"``, numbers get 2 decimals, missing values are empty cells;
    ``columns`` picks and orders columns (names before the merge), underscores read as spaces.
    """
    out = pd.DataFrame(index=table.index)
    for col in table.columns:
        if col.endswith("_std") and col[: -len("_std")] in table.columns:
            continue
        values = table[col]
        std = table.get(f"{col}_std")
        out[col] = [_cell(v, None if std is None else std.iloc[i]) for i, v in enumerate(values)]
    if columns is not None:
        missing = [c for c in columns if c not in out.columns]
        if missing:
            fail("columns", f"columns of the table ({', '.join(out.columns)})", missing[0])
        out = out[list(columns)]
    out = out.rename(columns=lambda c: str(c).replace("_", " "))
    return out.style.hide(axis="index")


def _cell(value: object, std: object = None) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        text = f"{float(value):.2f}"
        if std is not None and isinstance(std, float | np.floating) and np.isfinite(std):
            text += f" ± {float(std):.2f}"
        return text
    return str(value)


def plot_learning_curves(curves: pd.DataFrame):
    """Validation accuracy (%) per epoch, one line per network (shaded: range over seeds);
    a pyplot-free matplotlib Figure (show it with :func:`cam_core.viz.show`)."""
    from matplotlib.figure import Figure

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
    from matplotlib.figure import Figure

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
    parser = argparse.ArgumentParser(prog="python -m cam_core.experiments")
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
