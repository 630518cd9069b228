"""One training loop for every model and profile: single process, or DDP under ``torchrun``.

Datasets yield ``(image, label, ...)``; only the first two items are used for training.
Checkpoints are plain dicts of tensors and numbers, written atomically and read back with
``torch.load(..., weights_only=True)`` only. Under ``torchrun`` (``WORLD_SIZE > 1``) the
model is wrapped in DistributedDataParallel, every rank sees its own shard, metrics are
all-reduced, and rank 0 alone writes files.
"""

import hashlib
import json
import math
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler

from cam_core.nets.models import load_strict, read_torch_file
from cam_core.validate import fail

OPTIMIZERS = ("sgd", "adamw")
AUTO_WORKERS = -1  # num_workers: loader processes from the cores per rank (worker_count)
MAX_WORKERS = 8
SCHEDULES = ("cosine", "step", "constant")


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run. ``batch_size`` is the global batch: under DDP
    each of the W ranks takes ``batch_size / W`` images a step, so the recipe (and its
    fingerprint) does not depend on the number of GPUs."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    optimizer: str = "sgd"
    schedule: str = "cosine"
    warmup_epochs: int = 0
    label_smoothing: float = 0.0
    seed: int = 0
    num_workers: int = 0
    device: str = "cpu"
    amp: bool = False
    channels_last: bool = False

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                fail(name, "a positive integer", repr(value))
        if not isinstance(self.lr, int | float) or not self.lr > 0:
            fail("lr", "a positive learning rate", repr(self.lr))
        if self.optimizer not in OPTIMIZERS:
            fail("optimizer", f"one of {OPTIMIZERS}", repr(self.optimizer))
        if self.schedule not in SCHEDULES:
            fail("schedule", f"one of {SCHEDULES}", repr(self.schedule))
        if not 0 <= self.warmup_epochs < self.epochs:
            fail("warmup_epochs", f"an integer in [0, epochs={self.epochs})", self.warmup_epochs)
        if self.num_workers < AUTO_WORKERS:
            fail(
                "num_workers",
                f"an integer >= 0, or {AUTO_WORKERS} (from the cores)",
                self.num_workers,
            )

    def fingerprint(self) -> str:
        """Hash of the fields that change results: all but ``device``, ``num_workers`` and
        ``channels_last`` (where and how fast, not what: only float rounding differs)."""
        speed_only = ("device", "num_workers", "channels_last")
        fields = {k: v for k, v in asdict(self).items() if k not in speed_only}
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in a ``torchrun`` job (rank 0 of 1 without one)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def distributed_context(device: str = "cpu") -> DistContext:
    """Read ``torchrun``'s environment and join its process group (gloo on CPU, NCCL on CUDA)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return DistContext()
    ctx = DistContext(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", 0)))
    if not dist.is_initialized():
        backend = "nccl" if device.startswith("cuda") else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(ctx.local_rank)
        dist.init_process_group(backend=backend)
    return ctx


def seed_everything(seed: int) -> None:
    """Seed Python's and torch's global generators (cam_core's own data uses explicit ones)."""
    random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(device: str, ctx: DistContext) -> torch.device:
    """``"cuda"`` under torchrun means this rank's local GPU."""
    if device == "cuda" and ctx.world_size > 1:
        return torch.device("cuda", ctx.local_rank)
    try:
        resolved = torch.device(device)
    except RuntimeError:
        fail("device", "a torch device such as 'cpu' or 'cuda'", repr(device))
    if resolved.type == "cuda" and not torch.cuda.is_available():
        fail("device", "'cpu' on a machine without CUDA", repr(device))
    return resolved


def learning_rate(config: TrainConfig, epoch_fraction: float) -> float:
    """Learning rate at a (fractional) epoch: linear warm-up, then the configured schedule."""
    if epoch_fraction < config.warmup_epochs:
        return config.lr * (epoch_fraction + 1e-3) / config.warmup_epochs
    if config.schedule == "constant":
        return config.lr
    progress = (epoch_fraction - config.warmup_epochs) / (config.epochs - config.warmup_epochs)
    if config.schedule == "cosine":
        return 0.5 * config.lr * (1 + math.cos(math.pi * min(progress, 1.0)))
    return config.lr * 0.1 ** int(progress * 3)  # step: x0.1 at 1/3 and 2/3 of training


def _optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim <= 1]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum, nesterov=True)
    return torch.optim.AdamW(groups, lr=config.lr)


def worker_count(num_workers: int, ctx: DistContext) -> int:
    """Loader processes of one rank: ``num_workers``, or for :data:`AUTO_WORKERS` the cores
    this rank can use (cores / ranks on the node) less one for the main process, at most
    :data:`MAX_WORKERS`."""
    if num_workers != AUTO_WORKERS:
        return num_workers
    per_node = int(os.environ.get("LOCAL_WORLD_SIZE", ctx.world_size if ctx.world_size else 1))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(0, min(MAX_WORKERS, (cores or 1) // max(per_node, 1) - 1))


class ShardSampler(Sampler[int]):
    """This rank's share of the dataset, in an order that depends only on seed and epoch
    (:meth:`set_epoch`): one loader, and its persistent workers, serve every epoch."""

    def __init__(self, n: int, seed: int, ctx: DistContext, shuffle: bool, epoch: int = 0) -> None:
        self.n, self.seed, self.ctx, self.shuffle, self.epoch = n, seed, ctx, shuffle, epoch

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _indices(self) -> list[int]:
        n, ctx = self.n, self.ctx
        if self.shuffle:
            order = torch.randperm(
                n, generator=torch.Generator().manual_seed(self.seed + self.epoch)
            )
            # the same number of steps on every rank (DDP): wrap around, as DistributedSampler
            order = torch.cat([order, order[: (-n) % ctx.world_size]])
        else:
            order = torch.arange(n)
        return order[ctx.rank :: ctx.world_size].tolist()

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices())

    def __len__(self) -> int:
        # len(_indices()) without drawing the permutation: it is read at every step
        n, world = self.n, self.ctx.world_size
        padded = n + min((-n) % world, n) if self.shuffle else n  # the wrap repeats <= n
        return max(0, -(-(padded - self.ctx.rank) // world))


def _loader(
    dataset: Dataset,
    config: TrainConfig,
    ctx: DistContext,
    shuffle: bool,
    epoch: int = 0,
    device: torch.device | None = None,
) -> DataLoader:
    """This rank's loader; with ``shuffle`` the order depends only on seed and epoch (move to
    the next epoch with ``loader.sampler.set_epoch``). Pinned memory on CUDA, persistent
    workers when there are workers (:func:`worker_count`)."""
    if shuffle and config.batch_size % ctx.world_size:
        fail(
            "batch_size",
            f"a global batch divisible by the {ctx.world_size} ranks",
            config.batch_size,
        )
    per_rank = max(1, -(-config.batch_size // ctx.world_size))  # evaluation: ceil
    workers = worker_count(config.num_workers, ctx)
    return DataLoader(
        dataset,
        batch_size=per_rank,
        sampler=ShardSampler(len(dataset), config.seed, ctx, shuffle, epoch),
        num_workers=workers,
        persistent_workers=workers > 0,
        pin_memory=device is not None and device.type == "cuda",
        drop_last=False,
    )


def _all_reduce_sum(values: list[float], device: torch.device, ctx: DistContext) -> list[float]:
    if ctx.world_size == 1:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def _to_device(batch: tuple, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Images and labels of ``batch`` on ``device`` (asynchronous copies from pinned memory)."""
    return batch[0].to(device, non_blocking=True), batch[1].to(device, non_blocking=True)


def _autocast(device: torch.device, enabled: bool):
    return torch.autocast(
        device.type, dtype=torch.bfloat16, enabled=enabled and device.type == "cuda"
    )


def evaluate(
    model: nn.Module, dataset: Dataset, config: TrainConfig, ctx: DistContext | None = None
) -> tuple[float, float]:
    """Mean cross-entropy and top-1 accuracy (fraction) of ``model`` on ``dataset``, all ranks."""
    ctx = ctx or DistContext()
    device = resolve_device(config.device, ctx)
    model.eval()
    sums = torch.zeros(3, dtype=torch.float64, device=device)  # loss, correct, count
    with torch.inference_mode():
        for batch in _loader(dataset, config, ctx, shuffle=False, device=device):
            images, labels = _to_device(batch, device)
            with _autocast(device, config.amp):
                logits = model(images)
            sums[0] += nn.functional.cross_entropy(logits.float(), labels, reduction="sum")
            sums[1] += (logits.argmax(1) == labels).sum()
            sums[2] += len(labels)
    loss_sum, correct, count = _all_reduce_sum(sums.tolist(), device, ctx)
    return loss_sum / max(count, 1), correct / max(count, 1)


def _atomic_save(obj: Mapping, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    config: TrainConfig,
    history: pd.DataFrame,
    extra: Mapping[str, object] | None = None,
) -> None:
    """Write a run, atomically: weights, config fingerprint, per-epoch history and ``extra``
    (a run in progress adds its optimizer, RNG states and epochs done)."""
    module = model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model
    _atomic_save(
        {
            "model": {k: v.detach().cpu() for k, v in module.state_dict().items()},
            "config_fingerprint": config.fingerprint(),
            "history": {c: [float(x) for x in history[c]] for c in history.columns},
            **(extra or {}),
        },
        Path(path),
    )


def _load_matching(path: str | Path, model: nn.Module, fingerprint: str | None) -> dict | None:
    """A :func:`save_checkpoint` file's contents with its weights loaded into ``model``, or
    None, ``model`` untouched, when its config fingerprint is not ``fingerprint``."""
    state = read_torch_file(path, "path", "checkpoint file")
    if (
        not isinstance(state, dict)
        or not {"model", "config_fingerprint", "history"} <= state.keys()
    ):
        fail("path", "a checkpoint written by cam_core.nets.train.save_checkpoint", str(path))
    if fingerprint is not None and state["config_fingerprint"] != fingerprint:
        return None
    load_strict(model, state["model"], str(path), "path")
    return state


def load_training_checkpoint(
    path: str | Path, model: nn.Module, fingerprint: str | None = None
) -> tuple[pd.DataFrame, str] | None:
    """Load :func:`save_checkpoint` weights into ``model``; returns (history, fingerprint).

    With ``fingerprint``, the stored config fingerprint is compared first: a checkpoint of
    another config leaves ``model`` untouched and returns None."""
    state = _load_matching(path, model, fingerprint)
    if state is None:
        return None
    return pd.DataFrame(state["history"]), state["config_fingerprint"]


def train_model(
    model: nn.Module,
    train_set: Dataset,
    val_set: Dataset | None,
    config: TrainConfig,
    checkpoint: str | Path | None = None,
    progress: Callable[[dict], None] | None = None,
) -> pd.DataFrame:
    """Train ``model`` in place; returns the per-epoch history (loss, accuracy as fractions, lr, s).

    With ``checkpoint``: a finished run with the same config fingerprint is loaded instead of
    retrained, and a new run is saved there at the end (rank 0 only).
    """
    if len(train_set) == 0:
        fail("train_set", "a non-empty dataset", "0 items")
    ctx = distributed_context(config.device)
    device = resolve_device(config.device, ctx)
    if checkpoint is not None and Path(checkpoint).is_file():
        loaded = load_training_checkpoint(checkpoint, model, config.fingerprint())
        if loaded is not None:  # compared before any weight is loaded
            return loaded[0].assign(cached=True)
    seed_everything(config.seed)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed input size: pick the fastest kernels
    model.to(device)
    if config.channels_last:
        model.to(memory_format=torch.channels_last)
    net: nn.Module = model
    if ctx.world_size > 1:
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[ctx.local_rank] if device.type == "cuda" else None
        )
    optimizer = _optimizer(model, config)
    criterion = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    rows: list[dict] = []
    partial = None if checkpoint is None else partial_checkpoint_path(checkpoint)
    start = 0
    if partial is not None and partial.is_file():
        start, rows = _resume(partial, model, optimizer, config)
    loader = _loader(train_set, config, ctx, shuffle=True, epoch=start, device=device)
    for epoch in range(start, config.epochs):
        started = time.perf_counter()
        net.train()
        loader.sampler.set_epoch(epoch)
        sums = torch.zeros(3, dtype=torch.float64, device=device)  # loss, correct, count
        for step, batch in enumerate(loader):
            lr = learning_rate(config, epoch + step / max(len(loader), 1))
            for group in optimizer.param_groups:
                group["lr"] = lr
            images, labels = _to_device(batch, device)
            if config.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            with _autocast(device, config.amp):
                logits = net(images)
                loss = criterion(logits.float(), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            sums[0] += loss.detach() * len(labels)  # kept on the device: no sync per step
            sums[1] += (logits.detach().argmax(1) == labels).sum()
            sums[2] += len(labels)
        loss_sum, correct, count = _all_reduce_sum(sums.tolist(), device, ctx)
        row = {
            "epoch": epoch + 1,
            "train_loss": loss_sum / count,
            "train_acc": correct / count,
            "lr": lr,
        }
        if val_set is not None and len(val_set):
            row["val_loss"], row["val_acc"] = evaluate(model, val_set, config, ctx)
        row["seconds"] = time.perf_counter() - started
        rows.append(row)
        if partial is not None and ctx.is_main and epoch + 1 < config.epochs:
            state = {
                "optimizer": optimizer.state_dict(),
                "rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
                "epochs_done": epoch + 1,
            }
            save_checkpoint(partial, model, config, pd.DataFrame(rows), extra=state)
        if progress is not None and ctx.is_main:
            progress(row)
    history = pd.DataFrame(rows)
    if checkpoint is not None and ctx.is_main:
        save_checkpoint(checkpoint, model, config, history)
        partial.unlink(missing_ok=True)
    return history.assign(cached=False)


def partial_checkpoint_path(checkpoint: str | Path) -> Path:
    """Where a run writes its state after every epoch until it finishes: ``<name>.partial.pt``."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + ".partial" + checkpoint.suffix)


def _resume(
    path: Path, model: nn.Module, optimizer: torch.optim.Optimizer, config: TrainConfig
) -> tuple[int, list[dict]]:
    """(epochs done, history rows) of a killed run's partial checkpoint, its state restored;
    (0, []) when it belongs to another config (its fingerprint is read before any weight)."""
    state = _load_matching(path, model, config.fingerprint())
    if state is None:
        return 0, []
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["rng"])
    if state["cuda_rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    return int(state["epochs_done"]), pd.DataFrame(state["history"]).to_dict("records")


def map_batches(
    fn: Callable[[tuple], Mapping[str, torch.Tensor | np.ndarray]],
    dataset: Dataset,
    config: TrainConfig,
    ctx: DistContext | None = None,
) -> dict[str, np.ndarray]:
    """Apply ``fn`` to every batch of this rank's shard and merge all ranks in dataset order.

    ``fn`` returns arrays whose first axis is the batch; the result holds them concatenated
    over the whole dataset, on every rank. This is the sharded evaluation of the ``full`` path.
    """
    ctx = ctx or DistContext()
    parts: dict[str, list[np.ndarray]] = {}
    for batch in _loader(dataset, config, ctx, shuffle=False, device=None):
        for key, value in fn(batch).items():
            array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
            parts.setdefault(key, []).append(np.asarray(array))
    local = {key: np.concatenate(chunks) for key, chunks in parts.items()}
    if ctx.world_size == 1:
        return local
    gathered: list[dict[str, np.ndarray]] = [{} for _ in range(ctx.world_size)]
    dist.all_gather_object(gathered, local)
    merged = {}
    for key in gathered[0]:
        # rank r holds items r, r + W, r + 2W, ...: interleave back into dataset order
        out = np.empty((len(dataset), *gathered[0][key].shape[1:]), dtype=gathered[0][key].dtype)
        for rank, shard in enumerate(gathered):
            out[rank :: ctx.world_size] = shard[key]
        merged[key] = out
    return merged
