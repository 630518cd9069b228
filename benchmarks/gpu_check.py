"""`make gpu-check`: the full profile's code path on a generated miniature ILSVRC tree, timed.

Trains a paper network (GoogLeNet-GAP, random init) for two epochs in a child process that
is killed (SIGKILL) after the first and rerun, checks that the rerun resumed, then scores
the validation images (forward, top-5 CAMs, paper boxes). Writes
``results/gpu-check/summary.csv``: train and eval images/s per GPU, box maps/s and GPU
utilisation. On CUDA: 224 px, and two ranks under torchrun when two GPUs are visible.
Without CUDA the same path runs on CPU at a tiny size and says so (CI runs it that way).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import torch

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core import boxes_from_maps, cams_for_topk
from cam_core.common.results import git_commit
from cam_core.datasets.ilsvrc_data import IlsvrcTrain, IlsvrcVal
from cam_core.nets.paper_nets import googlenet_gap
from cam_core.nets.pretrained import preprocess_imagenet
from cam_core.nets.train import TrainConfig, load_training_checkpoint, train_model
from cam_core.paths import repo_root
from cam_core.testing.miniature import make_miniature_ilsvrc

GPU = {"size": 224, "classes": 10, "train_per_class": 256, "val_images": 1024, "batch": 128}
CPU = {"size": 64, "classes": 5, "train_per_class": 4, "val_images": 20, "batch": 10}
EPOCHS, KILL_AFTER = 2, 1


def scale() -> dict[str, int]:
    return GPU if torch.cuda.is_available() else CPU


def config(device: str) -> TrainConfig:
    return TrainConfig(
        epochs=EPOCHS, batch_size=scale()["batch"], lr=0.01, seed=0, device=device,
        num_workers=-1, amp=device == "cuda", channels_last=device == "cuda",
    )  # fmt: skip


def train_stage(root: Path, checkpoint: Path, kill_after: int) -> None:
    """Child process: train, killing itself after epoch ``kill_after`` (0: never)."""
    s = scale()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    data = IlsvrcTrain(root, transform=lambda im: preprocess_imagenet(im, s["size"]))

    def progress(row: dict) -> None:
        with open(f"{checkpoint}.epochs", "a") as log:
            log.write(f"{row['epoch']} {row['seconds']:.4f}\n")
        if row["epoch"] == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    train_model(googlenet_gap(s["classes"]), data, None, config(device), checkpoint, progress)


def launch(root: Path, checkpoint: Path, kill_after: int, ranks: int) -> int:
    stage = [str(Path(__file__).resolve()), "--stage", "train", "--root", str(root)]
    stage += ["--checkpoint", str(checkpoint), "--kill-after", str(kill_after)]
    if ranks > 1:
        torchrun = Path(sys.executable).with_name("torchrun")
        cmd = [str(torchrun), "--standalone", f"--nproc_per_node={ranks}", *stage]
    else:
        cmd = [sys.executable, *stage]
    return subprocess.run(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}).returncode


class Utilisation(threading.Thread):
    """Mean GPU utilisation (%) sampled from nvidia-smi while it runs; None without one."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stopped = threading.Event()
        self.tool = shutil.which("nvidia-smi") if torch.cuda.is_available() else None

    def run(self) -> None:
        query = [str(self.tool), "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"]
        while self.tool and not self.stopped.wait(0.5):
            out = subprocess.run(query, capture_output=True, text=True).stdout.split()
            self.samples += [float(v) for v in out if v.replace(".", "").isdigit()]

    def mean(self) -> float | None:
        self.stopped.set()
        return sum(self.samples) / len(self.samples) if self.samples else None


def evaluate(root: Path, checkpoint: Path, device: str) -> dict[str, float]:
    """Eval images/s (forward, top-5 CAMs at image size, boxes) and box maps/s."""
    s = scale()
    model = googlenet_gap(s["classes"])
    load_training_checkpoint(checkpoint, model)
    model.to(device).eval()
    val = IlsvrcVal(root, size=s["size"], max_boxes=4)
    loader = torch.utils.data.DataLoader(val, batch_size=s["batch"], num_workers=2)
    images = box_seconds = maps = 0
    started = time.perf_counter()
    for batch in loader:
        x = batch[0].to(device, non_blocking=True)
        _, _, cams = cams_for_topk(model, x, k=5)
        t0 = time.perf_counter()
        boxes_from_maps(cams.float().cpu())
        box_seconds += time.perf_counter() - t0
        images, maps = images + len(x), maps + cams.shape[0] * cams.shape[1]
    seconds = time.perf_counter() - started
    return {"eval_images_per_s": images / seconds, "box_maps_per_s": maps / box_seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/gpu_check.py")
    parser.add_argument("--stage", default="all", choices=("all", "train"))
    parser.add_argument("--root")
    parser.add_argument("--checkpoint")
    parser.add_argument("--kill-after", type=int, default=0)
    parser.add_argument("--out", default=str(repo_root() / "results" / "gpu-check"))
    args = parser.parse_args(argv)
    if args.stage == "train":
        train_stage(Path(args.root), Path(args.checkpoint), args.kill_after)
        return 0
    s, cuda = scale(), torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    ranks = min(2, torch.cuda.device_count()) if cuda else 1
    mode = f"{torch.cuda.get_device_name(0)} x{ranks}" if cuda else "CPU (no CUDA): tiny size"
    print(f"gpu-check on {mode}, {s['size']} px", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = make_miniature_ilsvrc(
            Path(tmp) / "ilsvrc", classes=s["classes"], train_per_class=s["train_per_class"],
            val_images=s["val_images"], size=(s["size"] * 8 // 7, s["size"]), seed=0,
        )  # fmt: skip
        checkpoint = Path(tmp) / "googlenet_gap.pt"
        busy = Utilisation()
        busy.start()
        killed = launch(root, checkpoint, KILL_AFTER, ranks)
        resumed = launch(root, checkpoint, 0, ranks)
        log = [line.split() for line in Path(f"{checkpoint}.epochs").read_text().splitlines()]
        if killed == 0 or resumed != 0 or [e for e, _ in log] != ["1", "2"]:
            print(f"gpu-check: kill/resume failed (rc {killed}, {resumed}; epochs {log})")
            return 1
        images = s["classes"] * s["train_per_class"]
        train_rate = images / float(log[-1][1]) / ranks  # the resumed epoch, per GPU
        rates = evaluate(root, checkpoint, device)
        utilisation = busy.mean()
    rows = [
        ("train_images_per_s_per_gpu", train_rate, "img/s"),
        ("eval_images_per_s_per_gpu", rates["eval_images_per_s"], "img/s"),
        ("box_maps_per_s", rates["box_maps_per_s"], "maps/s"),
        ("gpu_utilisation", utilisation, "%"),
    ]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "summary.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["metric", "value", "unit", "device", "ranks", "image_size", "commit"])
        for name, value, unit in rows:
            cell = "" if value is None else f"{value:.4g}"
            writer.writerow([name, cell, unit, mode, ranks, s["size"], git_commit()])
    for name, value, unit in rows:
        print(f"  {name}: {'n/a' if value is None else f'{value:.4g}'} {unit}")
    print(f"gpu-check: kill after epoch {KILL_AFTER} and resume OK; {out / 'summary.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
