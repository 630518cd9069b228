"""Speed and memory of cam_core's class activation maps, in one process (``make bench``).

What is measured, all on the same machine, threads and synthetic inputs (fixed seed; random
weights: speed does not depend on them):

1. ``overhead``: the bare forward pass of GoogLeNet-GAP and VGG16-GAP (224 px, batch 32)
   against the CAM step that :func:`cam_core.core.cam.cams_for_topk` runs after it (top-k of the
   logits, one batched contraction, upsampling to 224 px, ReLU and max normalisation) for
   the top-1 and top-5 classes and for all 1,000 classes (at the map's own 14x14 and at
   224 px). The step is timed on the feature map of the forward pass just timed, so the
   ratio "forward + CAMs / forward" is not drowned by the run-to-run noise of the forward
   pass itself on a shared machine.
2. ``e2e``: weakly supervised localization of the same N images (top-5 maps, the paper's
   20% largest-component box, IoU, top-1/top-5 localization error) with cam_core, with
   torchcam's ``CAM`` and with pytorch-grad-cam's ``GradCAM`` (it has no plain CAM), each used
   as its documentation shows; boxes, IoU and errors always come from cam_core's functions,
   so only the maps differ. Timed as "maps" (forward pass(es) + maps) and "boxes".
3. ``boxes``: box extraction alone (:func:`cam_core.core.boxes.boxes_from_maps`), maps per second.
4. ``long`` (run first, so that the process holds nothing else): resident memory over a
   long run (10,000 images per library, top-1 localization) with a small GAP net at 32 px
   (a 224 px net would take hours on 2 cores), sampled after every batch.
5. Agreement: cam_core's maps against torchcam's for the same model, feature map and classes
   after the same min-max normalisation (at 14x14 and at 224 px).

Contenders are interleaved (the order rotates every repeat) and every ratio is a ratio of
medians of this run. Writes ``timings.csv``, ``memory.csv``, ``summary.csv``, ``bench.png``,
``provenance.json`` and the book's Performance page (``performance.ipynb``) to ``--out``.

Usage: ``python benchmarks/bench_cam.py [--out results/bench] [--threads N] [--quick]``
(``make bench`` passes ``--threads 1``: see the Makefile).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from scipy import ndimage

import cam_core  # noqa: F401  (first: makes torchvision, which pytorch-grad-cam imports, load)
from cam_core import paths
from cam_core.common import results
from cam_core.core import metrics
from cam_core.core.boxes import boxes_from_maps
from cam_core.core.cam import cams_for_topk, class_activation_maps
from cam_core.nets.registry import build_model

BENCH_DIR = Path("results") / "bench"
PAGE = "performance"
PEERS = ("torchcam", "grad-cam", "opencv-python-headless", "ttach")
LIBRARIES = ("cam_core", "torchcam", "pytorch-grad-cam")
SUMMARY_COLUMNS = ["name", "value", "target", "met"]
# Resident memory may wander by allocator noise; more than this after warm-up is growth.
FLAT_MIB = 32.0


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes of every part; the defaults are the full ``make bench`` run."""

    image_size: int = 224
    batch: int = 32
    models: tuple[str, ...] = ("googlenet-gap", "vgg16-gap")
    num_classes: int = 1000
    repeats: int = 3
    # all classes at image size is 1,000 maps of 224x224 (200 MB) per image: computed in
    # chunks of `chunk` images, timed on the first `all_full_images` images of the batch.
    all_full_images: int = 4
    chunk: int = 2
    e2e_model: str = "googlenet-gap"
    e2e_images: int = 8
    e2e_repeats: int = 3
    topk: int = 5
    threshold: float = 0.2
    box_maps: int = 320
    long_model: str = "small-vgg-gap"
    long_width: float = 0.5
    long_size: int = 32
    long_classes: int = 10
    long_images: int = 10_000
    long_batch: int = 250
    warmup_images: int = 1_000
    seed: int = 0
    threads: int | None = None


QUICK = Config(
    models=("googlenet-gap",),
    batch=2,
    repeats=2,
    all_full_images=1,
    chunk=1,
    e2e_images=2,
    e2e_repeats=2,
    box_maps=20,
    long_images=600,
    long_batch=100,
    warmup_images=200,
)


# --- small helpers -------------------------------------------------------------------------


def rotate(items: list[str] | tuple[str, ...], shift: int) -> list[str]:
    """``items`` rotated left by ``shift``: repeat r starts with contender r (mod n)."""
    items = list(items)
    shift %= len(items)
    return items[shift:] + items[:shift]


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, process CPU seconds, result) of ``fn()``, after a garbage collection."""
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - wall0, time.process_time() - cpu0, out


def proc_status() -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of this process in MiB, from ``/proc/self/status``."""
    values = {}
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024.0  # kB -> MiB
    return values


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux >= 4.0); False where it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def cpu_model() -> str:
    """The CPU's model name as the kernel reports it (``/proc/cpuinfo``)."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    import platform

    return platform.processor() or "unknown"


def load_average() -> list[float] | None:
    with contextlib.suppress(OSError, AttributeError):
        return [round(x, 2) for x in os.getloadavg()]
    return None


def synthetic_images(n: int, size: int, seed: int) -> torch.Tensor:
    """``n`` images ``(n, 3, size, size)``, standard normal (ImageNet-normalised scale)."""
    return torch.randn(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def synthetic_truth(n: int, size: int, num_classes: int, seed: int) -> tuple[np.ndarray, ...]:
    """Labels ``(n,)`` and one ground-truth box per image ``(n, 4)`` in pixel-edge coordinates."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, n)
    wh = rng.uniform(size / 4, size / 2, (n, 2))
    xy = rng.uniform(0, size - wh)
    return labels, np.concatenate([xy, xy + wh], axis=1)


def minmax(maps: torch.Tensor | np.ndarray) -> np.ndarray:
    """Per-map min-max normalisation over the last two axes, in float64; constant maps -> 0."""
    x = maps.detach().cpu().numpy() if isinstance(maps, torch.Tensor) else np.asarray(maps)
    x = x.astype(np.float64)
    lo = x.min(axis=(-2, -1), keepdims=True)
    span = x.max(axis=(-2, -1), keepdims=True) - lo
    return np.divide(x - lo, span, out=np.zeros_like(x), where=span > 0)


def max_map_difference(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray) -> float:
    """Largest absolute difference of two stacks of maps after the same min-max normalisation
    (so maps that differ only by a positive scale and offset agree exactly)."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"map shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}")
    return float(np.abs(minmax(a) - minmax(b)).max())


def localize(
    top: torch.Tensor | np.ndarray,
    maps: torch.Tensor | np.ndarray,
    labels: np.ndarray,
    gt_boxes: np.ndarray,
    threshold: float,
) -> dict[str, float]:
    """The boxes/IoU/error step every library shares: cam_core's box rule and metrics."""
    top = top.detach().cpu().numpy() if isinstance(top, torch.Tensor) else np.asarray(top)
    boxes = boxes_from_maps(maps, threshold)  # (N, k, 4)
    errors = metrics.localization_error(top, boxes, labels, gt_boxes, topk=(1, top.shape[1]))
    iou = metrics.iou_elementwise(boxes[:, 0], gt_boxes)
    return {**errors, "mean_top1_box_iou": float(iou.mean())}


# --- the three libraries' maps --------------------------------------------------------------


def maps_cam_core(model: torch.nn.Module, x: torch.Tensor, k: int) -> tuple[Any, Any]:
    """cam_core as the library localizes: one pass, top-k maps at image size (no options)."""
    _, top, cams = cams_for_topk(model, x, k)
    return top, cams


def maps_torchcam(model: torch.nn.Module, x: torch.Tensor, k: int, extractor: Any) -> tuple:
    """torchcam's ``CAM`` as its docs show (inference-mode forward, then ``class_idx``; a list
    gives one class per image), once per rank; its maps are at the feature map's size, so
    they are upsampled to the image as cam_core does (bilinear, ``align_corners=False``)."""
    with torch.inference_mode():
        out = model(x)
    top = out.topk(k, dim=1).indices
    maps = torch.stack([extractor(class_idx=top[:, r].tolist())[0] for r in range(k)], dim=1)
    return top, F.interpolate(maps, size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False)


def maps_gradcam(x: torch.Tensor, k: int, cam: Any) -> tuple:
    """pytorch-grad-cam's ``GradCAM`` as its README shows (``cam(input_tensor=...,
    targets=...)``, one target per image): ``targets=None`` gives the top-1 class; the other
    ranks take one call (forward and backward) each."""
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    first = cam(input_tensor=x, targets=None)
    top = cam.outputs.detach().topk(k, dim=1).indices
    maps = [first]
    for r in range(1, k):
        maps.append(
            cam(input_tensor=x, targets=[ClassifierOutputTarget(int(c)) for c in top[:, r]])
        )
    return top, np.stack(maps, axis=1)


@contextlib.contextmanager
def extractor(library: str, model: torch.nn.Module) -> Iterator[Callable[..., tuple]]:
    """``maps(x, k) -> (top (N, k), maps (N, k, H, W))`` for ``library``; a peer's extractor
    (hooks) is built once here, outside the timed calls, and removed afterwards."""
    if library == "cam_core":
        yield lambda x, k: maps_cam_core(model, x, k)
    elif library == "torchcam":
        from torchcam.methods import CAM

        with CAM(model, "features", "classifier") as ex:
            yield lambda x, k: maps_torchcam(model, x, k, ex)
    elif library == "pytorch-grad-cam":
        from pytorch_grad_cam import GradCAM

        with GradCAM(model=model, target_layers=[model.features]) as cam:
            yield lambda x, k: maps_gradcam(x, k, cam)
    else:
        raise ValueError(f"unknown library {library!r}")


# --- the measurements -------------------------------------------------------------------------


def _row(part: str, model: str, contender: str, repeat: int, position: int, **kw: Any) -> dict:
    return {"part": part, "model": model, "contender": contender, "repeat": repeat,
            "position": position, **kw}  # fmt: skip


def _all_classes_chunked(fmap: torch.Tensor, weight: torch.Tensor, chunk: int, **opts: Any) -> int:
    """Maps of every class for ``fmap``'s images, ``chunk`` images at a time (each chunk's
    maps are dropped before the next: 32 images would be 6.4 GB at 224 px)."""
    done = 0
    for lo in range(0, len(fmap), chunk):
        maps = class_activation_maps(fmap[lo : lo + chunk], weight, None, **opts)
        done += maps.shape[0] * maps.shape[1]
        del maps
    return done


def bench_overhead(cfg: Config, model_name: str, log: Callable[[str], None]) -> list[dict]:
    """Forward pass against the CAM step after it, ``cfg.repeats`` times, steps interleaved."""
    torch.manual_seed(cfg.seed)
    model = build_model(model_name, cfg.num_classes).eval()
    x = synthetic_images(cfg.batch, cfg.image_size, cfg.seed)
    weight = model.classifier.weight
    size = (cfg.image_size, cfg.image_size)
    opts = {"size": size, "normalize": "max", "relu": True}  # cams_for_topk's size default
    n_full = min(cfg.all_full_images, cfg.batch)

    def steps(logits: torch.Tensor, fmap: torch.Tensor) -> dict[str, tuple[int, Callable]]:
        def topk(k: int) -> Callable:
            return lambda: class_activation_maps(
                fmap, weight, logits.topk(k, dim=1).indices, **opts
            )

        return {
            "top1": (cfg.batch, topk(1)),
            "top5": (cfg.batch, topk(5)),
            "all_native": (
                cfg.batch,
                lambda: class_activation_maps(fmap, weight, None, normalize="max", relu=True),
            ),
            "all_full": (
                n_full,
                lambda: _all_classes_chunked(fmap[:n_full], weight, cfg.chunk, **opts),
            ),
        }

    with torch.inference_mode():  # warm-up: allocator, oneDNN primitives
        logits, fmap = model.forward_features(x[:2])
        for _, fn in steps(logits, fmap).values():
            fn()
    rows = []
    for r in range(cfg.repeats):
        with torch.inference_mode():
            wall, cpu, (logits, fmap) = timed(lambda: model.forward_features(x))
            rows.append(_row("overhead", model_name, "forward", r, 0, images=cfg.batch,
                             seconds=wall, cpu_seconds=cpu))  # fmt: skip
            table = steps(logits, fmap)
            for pos, name in enumerate(rotate(list(table), r), 1):
                n, fn = table[name]
                wall_s, cpu_s, _ = timed(fn)
                rows.append(_row("overhead", model_name, name, r, pos, images=n,
                                 seconds=wall_s, cpu_seconds=cpu_s))  # fmt: skip
        log(f"  {model_name} repeat {r + 1}/{cfg.repeats}: forward {wall:.2f} s")
        del logits, fmap
    return rows


def profile_all_full(cfg: Config, model_name: str) -> list[dict]:
    """torch.profiler over the all-class step at image size for one image: where its time goes."""
    torch.manual_seed(cfg.seed)
    model = build_model(model_name, cfg.num_classes).eval()
    opts = {"size": (cfg.image_size,) * 2, "normalize": "max", "relu": True}
    with torch.inference_mode():
        _, fmap = model.forward_features(synthetic_images(1, cfg.image_size, cfg.seed))
        class_activation_maps(fmap, model.classifier.weight, None, **opts)  # warm-up
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            class_activation_maps(fmap, model.classifier.weight, None, **opts)
    events = [(e.key, e.self_cpu_time_total / 1e3) for e in prof.key_averages()]
    total = sum(ms for _, ms in events)
    events.sort(key=lambda e: -e[1])
    return [{"model": model_name, "op": key, "self_cpu_ms": ms, "share": ms / total}
            for key, ms in events if ms > 0]  # fmt: skip


def bench_e2e(cfg: Config, log: Callable[[str], None]) -> tuple[list[dict], dict[str, Any]]:
    """Localization of the same images by each library, ``cfg.e2e_repeats`` times, interleaved.

    Returns the timing rows and, from the first repeat, each library's maps and top classes.
    """
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.e2e_model, cfg.num_classes).eval()
    n, size, k = cfg.e2e_images, cfg.image_size, cfg.topk
    x = synthetic_images(n, size, cfg.seed + 1)
    labels, gt = synthetic_truth(n, size, cfg.num_classes, cfg.seed + 1)
    for library in LIBRARIES:  # warm-up: one image, one class
        with extractor(library, model) as maps_of:
            maps_of(x[:1], 1)
    rows, first = [], {}
    for r in range(cfg.e2e_repeats):
        for pos, library in enumerate(rotate(LIBRARIES, r)):
            with extractor(library, model) as maps_of:
                wall, cpu, (top, maps) = timed(lambda maps_of=maps_of: maps_of(x, k))
            b_wall, b_cpu, scores = timed(
                lambda top=top, maps=maps: localize(top, maps, labels, gt, cfg.threshold)
            )
            common = {"images": n, "top1_loc_error": scores["top1"],
                      f"top{k}_loc_error": scores[f"top{k}"]}  # fmt: skip
            rows.append(_row("e2e", cfg.e2e_model, library, r, pos, phase="maps",
                             seconds=wall, cpu_seconds=cpu, **common))  # fmt: skip
            rows.append(_row("e2e", cfg.e2e_model, library, r, pos, phase="boxes",
                             seconds=b_wall, cpu_seconds=b_cpu, **common))  # fmt: skip
            if r == 0:
                first[library] = (top, maps)
            log(f"  {library} repeat {r + 1}/{cfg.e2e_repeats}: maps {wall:.2f} s, "
                f"boxes {b_wall:.2f} s")  # fmt: skip
    return rows, {"model": model, "images": x, "maps": first}


def plain_scipy_boxes(maps: np.ndarray, threshold: float) -> np.ndarray:
    """The paper's box rule written the plain way, one map at a time with
    ``scipy.ndimage.label``: the baseline the box extraction is measured against."""
    out = np.empty((len(maps), 4))
    for i, m in enumerate(maps):
        fg = m >= threshold * m.max() if m.max() > 0 else np.ones_like(m, dtype=bool)
        labels, n = ndimage.label(fg, structure=np.ones((3, 3)))
        biggest = 1 + int(np.argmax(np.bincount(labels.ravel(), minlength=n + 1)[1:]))
        ys, xs = ndimage.find_objects(labels)[biggest - 1]
        out[i] = (xs.start, ys.start, xs.stop, ys.stop)
    return out


def bench_boxes(cfg: Config, maps: torch.Tensor) -> list[dict]:
    """Box extraction alone on ``cfg.box_maps`` maps (tiled from ``maps``): cam_core's, and
    the plain per-map scipy implementation of the same rule, alternating in one run."""
    stack = maps.reshape(-1, *maps.shape[-2:])
    reps = math.ceil(cfg.box_maps / len(stack))
    stack = stack.repeat(reps, 1, 1)[: cfg.box_maps].contiguous()
    plain = stack.numpy()
    contenders = {
        "cam_core": lambda: boxes_from_maps(stack, cfg.threshold),
        "plain scipy": lambda: plain_scipy_boxes(plain, cfg.threshold),
    }
    for run in contenders.values():  # warm-up
        run()
    rows = []
    for r in range(cfg.repeats):
        for name, run in contenders.items():
            wall, cpu, _ = timed(run)
            rows.append(_row("boxes", "-", name, r, 0, images=len(stack), seconds=wall,
                             cpu_seconds=cpu))  # fmt: skip
    return rows


def agreement(model: torch.nn.Module, x: torch.Tensor, k: int) -> tuple[dict, torch.Tensor]:
    """cam_core's maps against torchcam's for one forward pass (the same feature map and the
    same top-k classes), both min-max normalised, at the map's size and at image size.
    Returns the two differences and the classes."""
    from torchcam.methods import CAM

    with CAM(model, "features", "classifier") as ex:
        with torch.inference_mode():
            logits, fmap = model.forward_features(x)  # torchcam's hook sees this pass too
        top = logits.topk(k, dim=1).indices
        theirs = torch.stack([ex(class_idx=top[:, r].tolist())[0] for r in range(k)], dim=1)
    ours = class_activation_maps(fmap, model.classifier.weight, top, normalize="minmax")
    size = tuple(x.shape[-2:])
    ours_full = class_activation_maps(
        fmap, model.classifier.weight, top, size=size, normalize="minmax"
    )
    theirs_full = F.interpolate(theirs, size=size, mode="bilinear", align_corners=False)
    return {
        "native": max_map_difference(ours, theirs),
        "image_size": max_map_difference(ours_full, theirs_full),
    }, top


def gradcam_agreement(model: torch.nn.Module, x: torch.Tensor, top: torch.Tensor, maps) -> float:
    """On a GAP net Grad-CAM is CAM up to a positive scale (alpha_k = w_k^c / hw), so
    pytorch-grad-cam's maps (ReLU at the map's size, resized by OpenCV, min-max) should match
    cam_core's ReLU maps; reported, not a target (OpenCV's resize is not torch's)."""
    with torch.inference_mode():
        _, fmap = model.forward_features(x)
    ours = class_activation_maps(
        fmap, model.classifier.weight, top, size=tuple(x.shape[-2:]), relu=True
    )
    return max_map_difference(ours, maps)


def bench_memory(cfg: Config, log: Callable[[str], None]) -> tuple[list[dict], list[dict]]:
    """``cfg.long_images`` images per library in batches (top-1 localization of each batch),
    RSS after every batch; the peak RSS is reset before each library where Linux allows."""
    torch.manual_seed(cfg.seed)
    model = build_model(
        cfg.long_model, cfg.long_classes, width=cfg.long_width
    ).eval()  # small net: 10,000 images x 3 libraries must fit in minutes
    size, batch = cfg.long_size, cfg.long_batch
    n_batches = math.ceil(cfg.long_images / batch)
    samples, rows = [], []
    for pos, library in enumerate(LIBRARIES):
        gc.collect()
        reset = reset_peak_rss()
        start = proc_status()
        gen = torch.Generator().manual_seed(cfg.seed + 2)
        wrong = 0
        t0, c0 = time.perf_counter(), time.process_time()
        with extractor(library, model) as maps_of:
            for b in range(n_batches):
                x = torch.randn(batch, 3, size, size, generator=gen)
                labels, gt = synthetic_truth(batch, size, cfg.long_classes, cfg.seed + 3 + b)
                top, maps = maps_of(x, 1)
                wrong += localize(top, maps, labels, gt, cfg.threshold)["top1"] * batch
                del x, top, maps
                now = proc_status()
                samples.append(
                    {
                        "library": library,
                        "batch": b,
                        "images": (b + 1) * batch,
                        "rss_mib": now.get("VmRSS"),
                        "peak_mib": now.get("VmHWM"),
                        "peak_reset": reset,
                        "start_rss_mib": start.get("VmRSS"),
                    }
                )
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        rows.append(_row("long", cfg.long_model, library, 0, pos, images=n_batches * batch,
                         seconds=wall, cpu_seconds=cpu,
                         top1_loc_error=wrong / (n_batches * batch)))  # fmt: skip
        log(f"  {library}: {n_batches * batch} images in {wall:.1f} s, "
            f"RSS {samples[-1]['rss_mib']:.0f} MiB")  # fmt: skip
    return rows, samples


# --- from raw numbers to the summary -------------------------------------------------------


def check(value: float, target: str) -> str:
    """``"yes"``/``"no"`` for ``value`` against ``"<= x"`` or ``">= x"``; ``""`` without one."""
    if not target:
        return ""
    op, _, bound = target.partition(" ")
    if op not in ("<=", ">="):
        raise ValueError(f"target must read '<= x' or '>= x', got {target!r}")
    ok = value <= float(bound) if op == "<=" else value >= float(bound)
    return "yes" if ok else "no"


def _per_image_median(t: pd.DataFrame, **where: str) -> float:
    sel = t
    for key, value in where.items():
        sel = sel[sel[key] == value]
    if sel.empty:
        raise ValueError(f"no timings for {where}")
    return float((sel["seconds"] / sel["images"]).median())


def _e2e_totals(
    t: pd.DataFrame, library: str, phases: tuple[str, ...], column: str = "seconds"
) -> float:
    sel = t[(t["part"] == "e2e") & (t["contender"] == library) & t["phase"].isin(phases)]
    per_repeat = sel.groupby("repeat")[column].sum()
    return float(per_repeat.median())


def summarize(
    timings: pd.DataFrame,
    memory: pd.DataFrame | None = None,
    agree: dict[str, float] | None = None,
    warmup_images: int = 1_000,
    flat_mib: float = FLAT_MIB,
) -> pd.DataFrame:
    """One row per ratio (name, value, target, met), from the raw rows of one run.

    Overhead ratios are ``1 + median(step s/image) / median(forward s/image)``; end-to-end
    ratios are ``median(peer s) / median(cam_core s)`` over repeats of the same images, i.e.
    cam_core's images per second over the peer's.
    """
    rows: list[tuple[str, float, str]] = []
    t = timings
    over = t[t["part"] == "overhead"]
    labels = {
        "top1": ("top-1 CAMs at image size", ""),
        "top5": ("top-5 CAMs at image size", "<= 1.05"),
        "all_full": ("all-class CAMs at image size", "<= 1.25"),
        "all_native": ("all-class CAMs at the map's size", ""),
    }
    for model in over["model"].drop_duplicates():
        fwd = _per_image_median(over, model=model, contender="forward")
        for step, (what, target) in labels.items():
            if not ((over["model"] == model) & (over["contender"] == step)).any():
                continue
            extra = _per_image_median(over, model=model, contender=step)
            rows.append((f"{model}: (forward + {what}) / forward", 1 + extra / fwd, target))
    e2e = t[t["part"] == "e2e"]
    if not e2e.empty:
        targets = {"torchcam": ">= 5", "pytorch-grad-cam": ">= 10"}
        ours_all = _e2e_totals(t, "cam_core", ("maps", "boxes"))
        ours_maps = _e2e_totals(t, "cam_core", ("maps",))
        n = float(e2e["images"].iloc[0])
        rows.append(("cam_core localization, images/s (maps + boxes)", n / ours_all, ""))
        for peer, target in targets.items():
            if not (e2e["contender"] == peer).any():
                continue
            rows.append(
                (
                    f"localization images/s, cam_core / {peer} (maps + boxes)",
                    _e2e_totals(t, peer, ("maps", "boxes")) / ours_all,
                    target,
                )
            )
            rows.append(
                (
                    f"localization images/s, cam_core / {peer} (maps only)",
                    _e2e_totals(t, peer, ("maps",)) / ours_maps,
                    "",
                )
            )
            if "cpu_seconds" in e2e:  # steadier than wall time where other jobs share the CPUs
                both = ("maps", "boxes")
                rows.append(
                    (
                        f"localization, cam_core / {peer}, process CPU time (maps + boxes)",
                        _e2e_totals(t, peer, both, "cpu_seconds")
                        / _e2e_totals(t, "cam_core", both, "cpu_seconds"),
                        "",
                    )
                )
    boxes = t[t["part"] == "boxes"]
    if not boxes.empty:
        ours = _per_image_median(boxes, contender="cam_core")
        rows.append(("box extraction, maps/s", 1.0 / ours, ""))
        if (boxes["contender"] == "plain scipy").any():
            plain = _per_image_median(boxes, contender="plain scipy")
            rows.append(
                (
                    "box extraction maps/s, cam_core / plain scipy.ndimage.label",
                    plain / ours,
                    ">= 3",
                )
            )
    if memory is not None and not memory.empty:
        for library, m in memory.groupby("library", sort=False):
            m = m.sort_values("images")
            warm = m[m["images"] >= warmup_images]
            base = warm.iloc[0] if not warm.empty else m.iloc[0]
            growth = float(m["rss_mib"].iloc[-1] - base["rss_mib"])
            rows.append((f"{library}: RSS growth after warm-up, MiB", growth, f"<= {flat_mib:g}"))
            rows.append((f"{library}: peak RSS, MiB", float(m["peak_mib"].max()), ""))
    if agree:
        worst = max(agree.values())
        rows.append(("max |cam_core - torchcam| after min-max", worst, "<= 0.0001"))
    table = pd.DataFrame(rows, columns=["name", "value", "target"])
    table["met"] = [check(v, tg) for v, tg in zip(table["value"], table["target"], strict=True)]
    return table[SUMMARY_COLUMNS]


# --- plot, provenance, page ------------------------------------------------------------------


def plot(summary: pd.DataFrame, timings: pd.DataFrame, memory: pd.DataFrame) -> Any:
    """Three panels: CAM cost per net, localization speed per library, RSS over the long run."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda v, _: f"{v:g}")
    fig = Figure(figsize=(14, 4.6), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3, width_ratios=[1.25, 1, 1])

    over = summary[summary["name"].str.endswith(") / forward")]
    labels = [n.removesuffix(") / forward").replace(": (forward + ", "\n") for n in over["name"]]
    pct = np.maximum(100 * (over["value"].to_numpy() - 1), 0.01)
    ys = np.arange(len(over))
    colors = ["tab:red" if m == "no" else "tab:green" if m == "yes" else "tab:gray"
              for m in over["met"]]  # fmt: skip
    ax1.barh(ys, pct, color=colors)
    ax1.set_yticks(ys, labels, fontsize=7)
    ax1.set_xscale("log")
    ax1.xaxis.set_major_formatter(plain)
    ax1.set_xlim(min(0.1, pct.min() / 2), max(500.0, 2 * pct.max()))
    for bound, style in ((5, "--"), (25, ":")):
        ax1.axvline(bound, color="k", ls=style, lw=0.8)
    ax1.invert_yaxis()
    ax1.set_xlabel("added to the forward pass, %  (targets: top-5 5%, all classes 25%)")
    ax1.set_title("Cost of the CAMs over the forward pass (green: met, red: missed)", fontsize=9)

    e2e = timings[timings["part"] == "e2e"]
    if not e2e.empty:
        libs = list(dict.fromkeys(e2e["contender"]))
        n = float(e2e["images"].iloc[0])
        for i, phases in enumerate((("maps",), ("maps", "boxes"))):
            rates = [n / _e2e_totals(timings, lib, phases) for lib in libs]
            bars = ax2.bar(np.arange(len(libs)) + 0.4 * i - 0.2, rates, 0.4,
                           label=" + ".join(phases))  # fmt: skip
            ax2.bar_label(bars, fmt="%.3g", fontsize=7)
        ax2.set_xticks(np.arange(len(libs)), libs, fontsize=8)
        ax2.set_ylabel("images / s (higher is faster)")
        ax2.legend(fontsize=8)
        model = e2e["model"].iloc[0]
        ax2.set_title(f"Localization with top-5 boxes, {model}, {int(n)} images", fontsize=9)

    if memory is not None and not memory.empty:
        for library, m in memory.groupby("library", sort=False):
            ax3.plot(m["images"], m["rss_mib"], marker=".", ms=3, label=library)
        lo, hi = memory["rss_mib"].min(), memory["rss_mib"].max()
        mid = (lo + hi) / 2
        half = max(hi - mid, 100.0) * 1.2  # flat lines look flat: at least +-120 MiB shown
        ax3.set_ylim(mid - half, mid + half)
        ax3.set_xlabel("images processed")
        ax3.set_ylabel("resident memory of the process, MiB")
        ax3.legend(fontsize=8)
        ax3.set_title("Memory over the long run", fontsize=9)
    return fig


def _opencv_threads() -> int | None:
    with contextlib.suppress(ImportError):
        import cv2

        return int(cv2.getNumThreads())
    return None


def peer_versions() -> dict[str, str]:
    out = {}
    for name in PEERS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def write_results(
    out: Path,
    timings: pd.DataFrame,
    memory: pd.DataFrame,
    summary: pd.DataFrame,
    prof: pd.DataFrame,
    prov: dict[str, Any],
) -> None:
    """Every file of a run, each written atomically, ``provenance.json`` last."""
    out.mkdir(parents=True, exist_ok=True)
    results.atomic_write_csv(out / "timings.csv", timings)
    results.atomic_write_csv(out / "memory.csv", memory)
    results.atomic_write_csv(out / "summary.csv", summary)
    results.atomic_write_csv(out / "profile.csv", prof)
    with results.atomic_open(out / "bench.png", "wb") as handle:
        plot(summary, timings, memory).savefig(handle, format="png", dpi=110)
    results.atomic_write_json(out / "provenance.json", prov)


def render_page(out: Path, log: Callable[[str], None]) -> None:
    """Execute ``notebooks/performance.py`` on ``out`` into ``out/performance.ipynb``; for
    ``results/bench`` also publish it to the book (``book/generated/``)."""
    import papermill

    from cam_core.report import pipeline

    source = paths.repo_root() / "notebooks" / f"{PAGE}.py"
    target = out / f"{PAGE}.ipynb"
    staged = out / f".{PAGE}.staged.ipynb"
    default = out.resolve() == (paths.repo_root() / BENCH_DIR).resolve()
    with pipeline.venv_kernel():
        papermill.execute_notebook(
            pipeline.read_notebook(source),
            str(staged),
            # the page's default is results/bench: no machine path injected into the book
            parameters={} if default else {"bench_dir": str(out.resolve())},
            kernel_name=pipeline.KERNEL_NAME,
            progress_bar=False,
            cwd=str(paths.repo_root()),
        )
    os.replace(staged, target)
    log(f"page: {target}")
    if default:  # the book's source
        log(f"book page: {pipeline.publish_performance()}")


# --- main ------------------------------------------------------------------------------------


def run(cfg: Config, out: Path, page: bool = True) -> pd.DataFrame:
    def log(msg: str) -> None:
        print(msg, flush=True)

    if cfg.threads is not None:
        torch.set_num_threads(cfg.threads)
    with contextlib.suppress(ImportError):  # pytorch-grad-cam resizes its maps with OpenCV
        import cv2

        cv2.setNumThreads(torch.get_num_threads())
    started = datetime.now(UTC).isoformat(timespec="seconds")
    load_start = load_average()
    t0 = time.perf_counter()
    log(f"bench: {torch.get_num_threads()} torch threads on {os.cpu_count()} CPUs "
        f"({cpu_model()}), load average {load_start}")  # fmt: skip
    rows: list[dict] = []
    # first, while the process holds nothing else: each library's resident memory is its own
    log(f"long run: {cfg.long_images} images per library ({cfg.long_model} at {cfg.long_size} px)")
    long_rows, samples = bench_memory(cfg, log)
    rows += long_rows
    for model_name in cfg.models:
        log(f"overhead: {model_name}, batch {cfg.batch} at {cfg.image_size} px")
        rows += bench_overhead(cfg, model_name, log)
    prof = profile_all_full(cfg, cfg.models[0])
    log(f"end to end: {cfg.e2e_model}, {cfg.e2e_images} images, top-{cfg.topk} boxes")
    e2e_rows, e2e = bench_e2e(cfg, log)
    rows += e2e_rows
    agree, top = agreement(e2e["model"], e2e["images"], cfg.topk)
    gc_top, gc_maps = e2e["maps"]["pytorch-grad-cam"]
    gradcam_gap = (
        gradcam_agreement(e2e["model"], e2e["images"], top, gc_maps)
        if torch.equal(torch.as_tensor(gc_top), top)
        else None
    )
    log(f"agreement with torchcam: {agree}; with pytorch-grad-cam (ReLU maps): {gradcam_gap}")
    cam_core_maps = e2e["maps"]["cam_core"][1]
    del e2e, gc_maps
    rows += bench_boxes(cfg, torch.as_tensor(cam_core_maps))
    wall = time.perf_counter() - t0

    timings = pd.DataFrame(rows)
    memory = pd.DataFrame(samples)
    summary = summarize(timings, memory, agree, cfg.warmup_images)
    params = {
        "item": "bench",
        "profile": "cpu",  # the laptop-class machine; the data are synthetic (see config)
        "device": "cpu",
        "seed": cfg.seed,
        "data_root": None,
        "config": dataclasses.asdict(cfg),
    }
    prov = results.provenance(params, wall, started)
    prov.update(
        {
            "cpu_model": cpu_model(),
            "peer_packages": peer_versions(),
            "load_average_start": load_start,
            "load_average_end": load_average(),
            "agreement_with_torchcam": agree,
            "max_abs_difference_to_pytorch_grad_cam_relu_minmax": gradcam_gap,
            "peak_rss_reset_per_library": bool(memory["peak_reset"].all()),
            "opencv_threads": _opencv_threads(),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
        }
    )
    write_results(out, timings, memory, summary, pd.DataFrame(prof), prov)
    with pd.option_context("display.width", 160, "display.max_colwidth", 80):
        log(summary.to_string(index=False))
    log(f"bench: {wall:.0f} s; results in {out}")
    if page:
        render_page(out, log)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="default: results/bench")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for development")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch (and OpenCV) threads; default: torch's own (one per core)",
    )
    parser.add_argument("--no-page", action="store_true", help="do not render the book page")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else Config()
    if args.threads is not None:
        cfg = dataclasses.replace(cfg, threads=args.threads)
    out = args.out or paths.repo_root() / BENCH_DIR
    run(cfg, out, page=not args.no_page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
