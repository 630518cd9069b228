"""The full profile's training and evaluation stage under ``torchrun`` on every visible GPU,
before the notebooks run: they then read the model and evaluation caches it filled.

``NPROC`` (ranks per node; default: the visible GPUs) and ``NNODES`` (default 1) override
the launch; with more than one node, ``RDZV_ENDPOINT`` (host:port) and ``RDZV_ID`` name
torchrun's c10d rendezvous. One rank on one node runs in-process, as before (no torchrun).
"""

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import torch

from cam_core.validate import fail

STAGE_MODULE = "cam_core.items.tables123"
STAGE_ITEMS = ("table1", "table2", "table3")  # the items whose caches the stage fills


def _positive_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) < 1:
        fail(name, "a positive integer", repr(value))
    return int(value)


def rank_layout() -> tuple[int, int]:
    """(ranks per node, nodes): ``NPROC`` or the visible GPUs (at least 1), ``NNODES`` or 1."""
    return _positive_env("NPROC", max(torch.cuda.device_count(), 1)), _positive_env("NNODES", 1)


def stage_command(
    params: Mapping[str, Mapping[str, Any]], nproc: int, nnodes: int = 1
) -> list[str]:
    """The torchrun command that fills the caches of ``params`` (item -> resolved notebook
    parameters, the same the notebooks get, so the cache keys match)."""
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [str(torchrun), f"--nproc_per_node={nproc}"]
    if nnodes > 1:
        endpoint = os.environ.get("RDZV_ENDPOINT")
        if not endpoint:
            fail("RDZV_ENDPOINT", "host:port of the rendezvous when NNODES > 1", "unset")
        cmd += [f"--nnodes={nnodes}", "--rdzv_backend=c10d", f"--rdzv_endpoint={endpoint}"]
        cmd += [f"--rdzv_id={os.environ.get('RDZV_ID', 'cam-repro')}"]
    else:
        cmd += ["--standalone"]
    return [*cmd, "-m", STAGE_MODULE, "--params-json", json.dumps(dict(params), sort_keys=True)]


def run_stage(
    profile: str, params: Mapping[str, Mapping[str, Any]], stream: TextIO
) -> Sequence[str] | None:
    """At full scale with more than one rank, run the stage for the selected items of
    :data:`STAGE_ITEMS` under torchrun; returns the command run, or None when nothing was
    launched. A failed stage raises: the notebooks would otherwise retrain in-process."""
    selected = {k: v for k, v in params.items() if k in STAGE_ITEMS}
    if profile != "full" or not selected:
        return None
    nproc, nnodes = rank_layout()
    if nproc * nnodes == 1:
        return None
    cmd = stage_command(selected, nproc, nnodes)
    print(
        f"training stage: torchrun on {nproc} rank(s) x {nnodes} node(s)", file=stream, flush=True
    )
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    done = subprocess.run(cmd, env=env)
    if done.returncode != 0:
        fail("training stage", "torchrun to succeed", f"exit status {done.returncode}")
    return cmd
