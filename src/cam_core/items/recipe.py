"""The training recipe of Tables 1-3 (sizes, epochs, seeds) and the train/test splits it uses."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import Dataset, Subset
from torchvision import transforms

from cam_core.common import profiles
from cam_core.core.boxes import mean_box_size
from cam_core.datasets import ilsvrc, ilsvrc_data
from cam_core.nets import models, train
from cam_core.synthetic import benchmark as synthetic_benchmark
from cam_core.validate import fail

__all__ = [
    "SMALL",
    "FULL",
    "Recipe",
    "Splits",
    "recipe_from_params",
    "recipe_for",
    "load_splits",
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
ARCH = {"vgg16": "vgg16", "googlenet": "googlenet", "alexnet": "alexnet", "alexnet*": "alexnet"}
ORIGINALS = ("alexnet", "vgg16", "googlenet")
# The original nets' last map before their GAP + FC head: Grad-CAM there equals CAM
# (alpha_k = w_k^c / hw), the paper's "GoogLeNet" row of Table 2 (CAM at 7x7).
GAP_HEAD_LAYER = {"small-googlenet": "head.2", "googlenet": None}
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


def is_cam(network: str) -> bool:
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


def stable_hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def load_splits(recipe: Recipe, eval_images: int = 0) -> Splits:
    """Datasets for ``recipe``; ``eval_images`` (0 = all) test images are scored."""
    if recipe.full:
        return _ilsvrc_splits(recipe, eval_images)

    cache = recipe.cache / "data"
    size = recipe.image_size
    tr = synthetic_benchmark.make_silhouettes("train", recipe.train_images, size, cache_dir=cache)
    va = synthetic_benchmark.make_silhouettes("val", recipe.val_images, size, cache_dir=cache)
    te = synthetic_benchmark.make_silhouettes(
        "test", eval_images or recipe.val_images, size, cache_dir=cache
    )
    centre = mean_box_size(list(tr.boxes), (size, size))
    return Splits(
        train=synthetic_benchmark.SilhouetteDataset(tr, augment=True),
        val=synthetic_benchmark.SilhouetteDataset(va),
        test=synthetic_benchmark.SilhouetteDataset(te),
        num_classes=len(tr.class_names),
        class_names=list(tr.class_names),
        fingerprint=stable_hash(tr.fingerprint, va.fingerprint),
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
    train_set = ilsvrc_data.IlsvrcTrain(root, transform=augment)
    val_set = ilsvrc_data.IlsvrcVal(root, size=size, classes=train_set.classes)
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
        fingerprint=stable_hash(
            profiles.data_fingerprint("full", recipe.data_root),
            len(train_set),
            train_set.classes,
            recipe.train_images,
            recipe.val_images,
        ),
        test_fingerprint=stable_hash(
            profiles.data_fingerprint("full", recipe.data_root), files, len(test)
        ),
        centre_size=None,  # IlsvrcTrain reads no boxes: the val set's own mean is used
        max_boxes=most,
        test_name=f"ILSVRC 2012 val ({len(test)} images, {size} px, squashed)",
        caveats=caveats,
    )
