"""Training loop: schedules by hand, a separable toy learned exactly, checkpoints, DDP parity."""

import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from cam_core.nets.train import (
    TrainConfig,
    evaluate,
    learning_rate,
    load_training_checkpoint,
    map_batches,
    train_model,
)
from cam_core.validate import InputError


def toy_problem(n: int = 64, seed: int = 0) -> TensorDataset:
    """Two classes of 3x4x4 'images': class 1 bright in red, class 0 bright in blue."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    images = 0.1 * torch.randn(n, 3, 4, 4, generator=g)
    images[labels == 1, 0] += 1.0
    images[labels == 0, 2] += 1.0
    return TensorDataset(images, labels)


def toy_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)
    )


def test_learning_rate_schedules_by_hand():
    cosine = TrainConfig(epochs=10, lr=0.2, schedule="cosine")
    assert learning_rate(cosine, 0) == pytest.approx(0.2)
    assert learning_rate(cosine, 5) == pytest.approx(0.1)  # half-way: (1 + cos(pi/2)) / 2
    assert learning_rate(cosine, 10) == pytest.approx(0.0)
    step = TrainConfig(epochs=9, lr=1.0, schedule="step")
    assert [learning_rate(step, e) for e in (0, 3, 6)] == pytest.approx([1.0, 0.1, 0.01])
    warm = TrainConfig(epochs=10, lr=1.0, warmup_epochs=2, schedule="constant")
    assert learning_rate(warm, 1) == pytest.approx(1.001 / 2)
    assert learning_rate(warm, 2) == 1.0


def test_separable_toy_is_learned_exactly(tmp_path):
    config = TrainConfig(epochs=8, batch_size=16, lr=0.5, seed=1)
    model = toy_net()
    history = train_model(model, toy_problem(), toy_problem(32, seed=9), config)
    assert list(history.epoch) == list(range(1, 9))
    assert history.val_acc.iloc[-1] == 1.0
    assert history.train_loss.iloc[-1] < 0.5 * history.train_loss.iloc[0]
    loss, acc = evaluate(model, toy_problem(32, seed=9), config)
    assert acc == 1.0 and loss == pytest.approx(history.val_loss.iloc[-1])


def test_same_seed_same_weights():
    config = TrainConfig(epochs=2, batch_size=16, lr=0.5, seed=3)
    a, b = toy_net(), toy_net()
    train_model(a, toy_problem(), None, config)
    train_model(b, toy_problem(), None, config)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_checkpoint_is_reused_only_for_the_same_config(tmp_path):
    path = tmp_path / "toy.pt"
    config = TrainConfig(epochs=3, batch_size=16, lr=0.5)
    trained = toy_net()
    first = train_model(trained, toy_problem(), None, config, checkpoint=path)
    assert not first.cached.any() and path.is_file()

    reloaded = toy_net()
    again = train_model(reloaded, toy_problem(), None, config, checkpoint=path)
    assert again.cached.all()
    assert np.allclose(again.train_loss, first.train_loss)
    x = toy_problem(8, seed=5).tensors[0]
    assert torch.equal(reloaded(x), trained(x))

    other = TrainConfig(epochs=3, batch_size=16, lr=0.25)
    assert not train_model(toy_net(), toy_problem(), None, other, checkpoint=path).cached.any()
    # device, worker count and memory layout do not change results, so they do not
    # invalidate a checkpoint; the numerics (amp) do
    same = TrainConfig(epochs=3, batch_size=16, lr=0.5, num_workers=2, channels_last=True)
    assert config.fingerprint() == same.fingerprint()
    assert (
        config.fingerprint() != TrainConfig(epochs=3, batch_size=16, lr=0.5, amp=True).fingerprint()
    )


def test_channels_last_trains_the_same_network():
    # The memory layout is a speed option (it is left out of the fingerprint): the same run
    # in channels_last ends at the same weights up to float rounding.
    nets = {}
    for layout in (False, True):
        nets[layout] = toy_net()
        config = TrainConfig(epochs=3, batch_size=16, lr=0.5, channels_last=layout)
        train_model(nets[layout], toy_problem(), toy_problem(30, seed=9), config)
    assert nets[True][0].weight.is_contiguous(memory_format=torch.channels_last)
    pairs = zip(nets[False].state_dict().items(), nets[True].state_dict().values(), strict=True)
    for (name, a), b in pairs:
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)
    start = zip(toy_net().parameters(), nets[True].parameters(), strict=True)
    moved = [(a - b).abs().max() for a, b in start]
    assert max(moved) > 1e-2  # it did train


def test_load_checkpoint_errors_name_the_file(tmp_path):
    with pytest.raises(
        InputError, match=r"^path: expected an existing checkpoint file, got no file"
    ):
        load_training_checkpoint(tmp_path / "missing.pt", toy_net())
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="garbage.pt"):
        load_training_checkpoint(garbage, toy_net())
    unsafe = tmp_path / "unsafe.pt"
    torch.save({"model": {}, "config_fingerprint": "x", "history": {}, "obj": Path(".")}, unsafe)
    with pytest.raises(InputError, match=r"weights-only checkpoint.*unsafe\.pt"):
        load_training_checkpoint(unsafe, toy_net())
    wrong = tmp_path / "wrong.pt"
    config = TrainConfig(epochs=1, batch_size=16)
    train_model(toy_net(), toy_problem(), None, config, checkpoint=wrong)
    with pytest.raises(InputError, match=r"weights matching Linear.*wrong\.pt"):
        load_training_checkpoint(wrong, nn.Linear(3, 2))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, r"^epochs: expected a positive integer, got 0$"),
        ({"batch_size": 2.5}, r"^batch_size: expected a positive integer"),
        ({"optimizer": "lion"}, r"^optimizer: expected one of"),
        ({"lr": -1.0}, r"^lr: expected a positive learning rate"),
        ({"epochs": 2, "warmup_epochs": 2}, r"^warmup_epochs:"),
    ],
)
def test_bad_config_is_one_line(kwargs, message):
    with pytest.raises(InputError, match=message):
        TrainConfig(**kwargs)


def test_empty_training_set_is_refused():
    empty = TensorDataset(torch.zeros(0, 3, 4, 4), torch.zeros(0, dtype=torch.long))
    with pytest.raises(InputError, match=r"^train_set: expected a non-empty dataset"):
        train_model(toy_net(), empty, None, TrainConfig())


def test_map_batches_keeps_dataset_order():
    data = TensorDataset(torch.arange(10.0).view(10, 1), torch.arange(10))
    out = map_batches(
        lambda b: {"double": 2 * b[0][:, 0], "label": b[1]}, data, TrainConfig(batch_size=3)
    )
    assert out["double"].tolist() == [2.0 * i for i in range(10)]
    assert out["label"].tolist() == list(range(10))


DDP_SCRIPT = textwrap.dedent(
    """
    import sys, torch
    import torch.distributed as dist
    sys.path.insert(0, sys.argv[2])
    from test_train import toy_net, toy_problem
    from cam_core.nets.train import TrainConfig, map_batches, distributed_context, train_model
    config = TrainConfig(epochs=2, batch_size=16, lr=0.5, seed=4)  # the global batch
    model = toy_net()
    history = train_model(model, toy_problem(), toy_problem(30, seed=9), config)
    ctx = distributed_context()
    out = map_batches(lambda b: {"logit": model(b[0])[:, 1]}, toy_problem(30, seed=9), config, ctx)
    if ctx.is_main:
        torch.save({"state": model.state_dict(), "val_acc": float(history.val_acc.iloc[-1]),
                    "logit": torch.from_numpy(out["logit"])}, sys.argv[1])
    dist.barrier()
    dist.destroy_process_group()
    """
)


@pytest.mark.slow
def test_ddp_two_ranks_equal_one_process_at_the_same_global_batch(tmp_path):
    """Two gloo ranks with the global batch 16 (8 each) see, step by step, the same 16 images
    as one process, and reach the same weights: the recipe does not depend on the ranks."""
    script = tmp_path / "ddp_job.py"
    script.write_text(DDP_SCRIPT)
    out = tmp_path / "ddp.pt"
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        str(torchrun),
        "--standalone",
        "--nproc_per_node=2",
        str(script),
        str(out),
        str(Path(__file__).parent),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    ddp = torch.load(out, weights_only=True)

    single = toy_net()
    config = TrainConfig(epochs=2, batch_size=16, lr=0.5, seed=4)
    history = train_model(single, toy_problem(), toy_problem(30, seed=9), config)
    for name, value in single.state_dict().items():
        assert torch.allclose(ddp["state"][name], value, atol=1e-5), name
    assert ddp["val_acc"] == pytest.approx(history.val_acc.iloc[-1])
    assert torch.allclose(ddp["logit"], single(toy_problem(30, seed=9).tensors[0])[:, 1], atol=1e-5)


def test_a_checkpoint_of_another_config_is_never_loaded(tmp_path):
    """The stored fingerprint is compared before any weight is loaded: a run with another
    config retrains from the model's own initial weights, not from the stale checkpoint."""
    path = tmp_path / "run.pt"
    trained = toy_net()
    train_model(trained, toy_problem(), None, TrainConfig(epochs=1, batch_size=16), path)
    fresh = toy_net()
    before = [p.detach().clone() for p in fresh.parameters()]
    other = TrainConfig(epochs=2, batch_size=16)
    assert load_training_checkpoint(path, fresh, other.fingerprint()) is None
    assert all(torch.equal(a, b) for a, b in zip(before, fresh.parameters(), strict=True))
    history = train_model(fresh, toy_problem(), None, other, path)
    assert not history["cached"].any()
    same = toy_net()
    history = train_model(same, toy_problem(), None, other, path)  # now the config matches
    assert history["cached"].all()
    assert all(
        torch.equal(a, b) for a, b in zip(same.parameters(), fresh.parameters(), strict=True)
    )


def test_the_global_batch_is_split_over_the_ranks():
    from cam_core.nets import train

    data, config = toy_problem(48), TrainConfig(epochs=1, batch_size=16)
    three = train.DistContext(rank=1, world_size=3)
    with pytest.raises(InputError, match=r"^batch_size: expected a global batch divisible by"):
        train._loader(data, config, three, shuffle=True)
    two = train.DistContext(rank=1, world_size=2)
    batches = [len(b[0]) for b in train._loader(data, config, two, shuffle=True)]
    assert batches == [8, 8, 8]  # 24 images of this rank's shard, 16 / 2 per step
    assert [len(b[0]) for b in train._loader(data, config, three, shuffle=False)] == [6, 6, 4]


RESUME_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, torch
    sys.path.insert(0, sys.argv[2])
    from test_train import toy_net, toy_problem
    from cam_core.nets.train import TrainConfig, train_model
    kill_after = int(sys.argv[3])

    def progress(row):
        with open(sys.argv[1] + ".epochs", "a") as log:
            log.write(f"{row['epoch']} ")
        if row["epoch"] == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    config = TrainConfig(epochs=4, batch_size=16, lr=0.5, seed=4)
    train_model(toy_net(), toy_problem(), None, config, sys.argv[1], progress=progress)
    """
)


def _assert_resumed_equals_uninterrupted(checkpoint: Path, atol: float) -> None:
    """The resumed run's checkpoint holds 4 epochs and the weights of one process trained
    without interruption (RESUME_SCRIPT's config)."""
    resumed = toy_net()
    history, _ = load_training_checkpoint(checkpoint, resumed)
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    torch.set_num_threads(1)
    straight = toy_net()
    train_model(straight, toy_problem(), None, TrainConfig(epochs=4, batch_size=16, lr=0.5, seed=4))
    for (name, a), b in zip(
        resumed.state_dict().items(), straight.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=atol, msg=name)


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_uninterrupted_weights(tmp_path):
    """SIGKILL after epoch 2 of 4, rerun: the run resumes from its per-epoch checkpoint
    (weights, optimizer momentum, RNG) and ends with the weights of a run never killed."""
    from cam_core.nets.train import partial_checkpoint_path

    script, checkpoint = tmp_path / "job.py", tmp_path / "run.pt"
    script.write_text(RESUME_SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def job(kill_after: int) -> subprocess.CompletedProcess:
        cmd = [sys.executable, str(script), str(checkpoint), str(Path(__file__).parent)]
        return subprocess.run([*cmd, str(kill_after)], capture_output=True, env=env, timeout=120)

    killed = job(2)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert partial_checkpoint_path(checkpoint).is_file() and not checkpoint.is_file()
    assert job(0).returncode == 0
    seen = Path(str(checkpoint) + ".epochs").read_text().split()
    assert seen == ["1", "2", "3", "4"]  # the rerun trained epochs 3 and 4 only
    assert checkpoint.is_file() and not partial_checkpoint_path(checkpoint).exists()
    _assert_resumed_equals_uninterrupted(checkpoint, atol=1e-6)


def test_one_loader_serves_every_epoch_in_the_seeded_order(monkeypatch):
    """The sampler's order for epoch e is randperm(n) seeded with seed + e, this rank's
    every W-th item after wrapping to a multiple of W (by hand: n=5, W=2 wraps to 6)."""
    from cam_core.nets import train

    ctx = train.DistContext(rank=1, world_size=2)
    sampler = train.ShardSampler(5, seed=3, ctx=ctx, shuffle=True)
    for epoch in (0, 1):
        sampler.set_epoch(epoch)
        order = torch.randperm(5, generator=torch.Generator().manual_seed(3 + epoch)).tolist()
        order += order[:1]
        assert list(sampler) == order[1::2] and len(sampler) == 3
    assert list(train.ShardSampler(5, 0, ctx, shuffle=False)) == [1, 3]
    for n, world, shuffle in itertools.product(range(8), (1, 2, 3), (True, False)):
        for rank in range(world):  # the length is computed without drawing the order
            s = train.ShardSampler(n, 0, train.DistContext(rank, world), shuffle)
            assert len(s) == len(list(s)), (n, world, rank, shuffle)
    monkeypatch.setattr(train.os, "sched_getaffinity", lambda _: set(range(16)), raising=False)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert train.worker_count(train.AUTO_WORKERS, ctx) == 7  # 16 cores / 2 ranks, less one
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    assert train.worker_count(train.AUTO_WORKERS, train.DistContext()) == train.MAX_WORKERS
    assert train.worker_count(3, ctx) == 3
    with pytest.raises(InputError, match="^num_workers: "):
        TrainConfig(num_workers=-2)


@pytest.mark.slow
def test_a_killed_two_rank_run_resumes_to_the_one_process_weights(tmp_path):
    """SIGKILL rank 0 of a 2-rank gloo run after epoch 2 of 4 (torchrun then stops rank 1),
    rerun it: it resumes from the per-epoch checkpoint and ends with the weights of one
    uninterrupted process at the same global batch."""
    from cam_core.nets.train import partial_checkpoint_path

    script, checkpoint = tmp_path / "job.py", tmp_path / "run.pt"
    script.write_text(RESUME_SCRIPT)
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def job(kill_after: int) -> subprocess.CompletedProcess:
        cmd = [str(torchrun), "--standalone", "--nproc_per_node=2", str(script)]
        cmd += [str(checkpoint), str(Path(__file__).parent), str(kill_after)]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)

    killed = job(2)
    assert killed.returncode != 0
    assert partial_checkpoint_path(checkpoint).is_file() and not checkpoint.is_file()
    resumed_run = job(0)
    assert resumed_run.returncode == 0, resumed_run.stderr[-2000:]
    assert Path(str(checkpoint) + ".epochs").read_text().split() == ["1", "2", "3", "4"]
    _assert_resumed_equals_uninterrupted(checkpoint, atol=1e-5)
