"""The Performance page's GPU section: ``make gpu-check``'s summary and what it projects for
Tables 1-3 at full scale."""

from pathlib import Path

import pandas as pd

from cam_core.common import profiles
from cam_core.paths import repo_root

ILSVRC_TRAIN_IMAGES = 1_281_167  # ILSVRC 2012 train (data/manifests/ilsvrc2012)
ILSVRC_VAL_IMAGES = 50_000
GPU_COUNTS = (1, 8)


def summary_path() -> Path:
    return repo_root() / "results" / "gpu-check" / "summary.csv"


def read_summary(path: Path | None = None) -> pd.DataFrame | None:
    """``results/gpu-check/summary.csv`` indexed by metric, or None when absent."""
    path = path or summary_path()
    if not path.is_file():
        return None
    return pd.read_csv(path, keep_default_na=False, na_values=[""]).set_index("metric")


def on_gpu(summary: pd.DataFrame) -> bool:
    return not str(summary["device"].iloc[0]).startswith("CPU")


def full_scale_images() -> tuple[int, int]:
    """(training images, evaluated images) of Tables 1-3 at full scale: every network of
    Table 1 for its epochs over ILSVRC train, and every network Tables 1-3 score on val."""
    items = profiles.load_profile("full")["items"]
    t1, t2 = items["table1"], items["table2"]
    train = len(t1["networks"]) * t1["epochs"] * ILSVRC_TRAIN_IMAGES
    scored = len(t1["networks"]) + len(t2["networks"]) + len(t2["baseline_networks"]) + 1
    return train, scored * ILSVRC_VAL_IMAGES


def projection(summary: pd.DataFrame) -> pd.DataFrame:
    """Hours for Tables 1-3 at full scale on 1 and 8 GPUs, if every network trained and
    scored at the measured GoogLeNet-GAP rates (VGG16 is slower, AlexNet faster)."""
    train_images, eval_images = full_scale_images()
    train_rate = float(summary.loc["train_images_per_s_per_gpu", "value"])
    eval_rate = float(summary.loc["eval_images_per_s_per_gpu", "value"])
    rows = []
    for gpus in GPU_COUNTS:
        train_h = train_images / (train_rate * gpus) / 3600
        eval_h = eval_images / (eval_rate * gpus) / 3600
        rows.append({"GPUs": gpus, "train (h)": train_h, "evaluate (h)": eval_h,
                     "total (h)": train_h + eval_h})  # fmt: skip
    return pd.DataFrame(rows).set_index("GPUs").round(1)


def markdown_table(table: pd.DataFrame) -> str:
    """``table`` (index first) as a Markdown pipe table, cells as ``str`` gives them."""
    frame = table.reset_index()
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + "---|" * len(frame.columns))
    lines += ["| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]  # fmt: skip
    return "\n".join(lines)


def gpu_section(summary: pd.DataFrame | None) -> str:
    """Markdown: the measured GPU throughputs with device and commit and the projection, or
    that nothing was measured on a GPU yet."""
    if summary is None or not on_gpu(summary):
        ran = "" if summary is None else " (its last run was on CPU at a tiny size, a CI check)"
        return (
            "## On a GPU\n\nNot measured on a GPU yet: run `make gpu-check` on a CUDA machine"
            f"{ran}; it writes `results/gpu-check/summary.csv`, shown here.\n"
        )
    first = summary.iloc[0]
    table = markdown_table(summary[["value", "unit"]])
    train, scored = full_scale_images()
    return (
        f"## On a GPU\n\n`make gpu-check` on **{first['device']}** ({first['ranks']} rank(s), "
        f"{first['image_size']} px, commit `{str(first['commit'])[:12]}`): GoogLeNet-GAP on a "
        f"generated miniature ILSVRC tree, killed after one epoch and resumed.\n\n{table}\n\n"
        f"Tables 1-3 at full scale train {train:,} images and score {scored:,}; at the "
        "rates above (every network at GoogLeNet-GAP's rate: VGG16 is slower, AlexNet "
        f"faster) that is:\n\n{markdown_table(projection(summary))}\n"
    )
