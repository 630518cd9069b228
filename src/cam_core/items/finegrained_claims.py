"""Table 4's and Figure 7's claims as :class:`~cam_core.common.claims.Claim` records.

Every verdict is decided on a 95% interval: Table 4's row differences on a paired
bootstrap over the test images (each image is scored with and without the crop), Figure
7's box share on its exact binomial interval, and its context claim (CAM boxes against
the boxes that see no image) on a paired bootstrap over the same test images.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np

from cam_core.common import claims
from cam_core.common import paper as common_paper
from cam_core.common.claims import Claim
from cam_core.validate import fail

__all__ = [
    "MIN_SCORED_IMAGES",
    "PAPER_ROWS",
    "paper_accuracies",
    "crop_claims",
    "part_based_claim",
    "box_share_claim",
    "image_blind_claim",
]

# Fewer scored images than this and a claim is "not tested": the exact 95% interval of a
# share near the paper's 41.0% is then more than 30 points wide, and says nothing.
MIN_SCORED_IMAGES = 30
# Table 4 variant -> the paper's row (data/paper/table4.csv), GoogLeNet-GAP.
PAPER_ROWS = {
    "full image": "GoogLeNet-GAP on full image",
    "CAM crop": "GoogLeNet-GAP on crop",
    "ground-truth box": "GoogLeNet-GAP on BBox",
}
PART_BASED = ("Alignments", "DPD", "DeCAF+DPD", "PANDA R-CNN")
ABOVE_ZERO = partial(claims.compare, boundary=0.0, direction="above")


def paper_accuracies() -> dict[str, float]:
    """The paper's Table 4 accuracy (%) of each of :data:`PAPER_ROWS`' variants."""
    printed = common_paper.paper_table(4).set_index("method")["accuracy"]
    return {v: float(printed[m]) for v, m in PAPER_ROWS.items()}


def _hits(name: str, x: object) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 1 or arr.dtype != bool or len(arr) == 0:
        fail(name, "a non-empty (N,) bool array", f"shape {arr.shape}, dtype {arr.dtype}")
    return arr


def _enough(n: int) -> tuple[bool, str]:
    return claims.min_count(n, MIN_SCORED_IMAGES), (
        f"only {n} test images scored (at least {MIN_SCORED_IMAGES} needed)"
    )


def _paired_gain(
    claim_id: str,
    text: str,
    better: np.ndarray,
    worse: np.ndarray,
    names: tuple[str, str],
    paper: float | None,
    network: str,
    n_boot: int,
    seed: int,
    what: str = "accuracy",
    extra: str = "",
) -> Claim:
    """Is ``better``'s share of hits (``what``) above ``worse``'s (both ``(N,)`` bool, on
    the same images)? Judged on the paired-bootstrap interval of the difference (points)."""
    if len(better) != len(worse):
        fail("correct", f"one entry per test image in every variant ({len(worse)})", len(better))
    diff, low, high = claims.paired_bootstrap(
        100.0 * better, 100.0 * worse, n_boot=n_boot, seed=seed
    )
    return claims.judge(
        claim_id,
        text,
        diff,
        low,
        high,
        ABOVE_ZERO,
        criterion=(
            f"{what} of the {names[0]} minus the {names[1]} (points), the same test images "
            "scored both ways: holds when its 95% paired-bootstrap interval over the test "
            "images lies wholly above 0, does not hold when wholly below, not "
            "distinguishable when it contains 0"
        ),
        unit="points",
        paper=paper,
        preconditions=[_enough(len(better))],
        data=(
            f"{network}: {names[0]} {100.0 * better.mean():.1f}% vs {names[1]} "
            f"{100.0 * worse.mean():.1f}% on {len(better)} test images{extra}"
        ),
    )


def crop_claims(
    correct: Mapping[str, np.ndarray],
    network: str,
    suffix: str = "",
    n_boot: int = 2000,
    seed: int = 0,
) -> list[Claim]:
    """Table 4's measured claims on one network: the CAM crop beats the full image (and, if
    scored, so does the box warped to a square as the paper crops), and the ground-truth box
    beats the CAM crop. ``correct``: variant -> ``(N_test,)`` bool, the same test images."""
    for key in ("full image", "CAM crop", "ground-truth box"):
        if key not in correct:
            fail("correct", f"per-image results of the variant {key!r}", sorted(correct))
    hits = {k: _hits(f"correct[{k!r}]", v) for k, v in correct.items()}
    paper = paper_accuracies()
    args = dict(network=network, n_boot=n_boot, seed=seed)
    out = [
        _paired_gain(
            "crop_beats_full" + suffix,
            "Cropping to the CAM box improves accuracy over the full image",
            hits["CAM crop"],
            hits["full image"],
            ("CAM crop", "full image"),
            paper["CAM crop"] - paper["full image"],
            **args,
        )
    ]
    if "CAM crop (box warped)" in hits:
        out.append(
            _paired_gain(
                "warped_crop_beats_full" + suffix,
                "Cropping to the CAM box, warped to a square as the paper crops, improves "
                "accuracy over the full image",
                hits["CAM crop (box warped)"],
                hits["full image"],
                ("warped CAM crop", "full image"),
                paper["CAM crop"] - paper["full image"],
                **args,
            )
        )
    out.append(
        _paired_gain(
            "gt_box_beats_crop" + suffix,
            "Cropping to the ground-truth box (annotation at train and test time) does "
            "better still than the CAM crop",
            hits["ground-truth box"],
            hits["CAM crop"],
            ("ground-truth box", "CAM crop"),
            paper["ground-truth box"] - paper["CAM crop"],
            **args,
        )
    )
    return out


def part_based_claim() -> Claim:
    """The comparison with the part-based methods of the paper's Table 4: quoted, not run."""
    return Claim(
        "comparable_to_part_based",
        "GoogLeNet-GAP performs comparably to the part-based methods "
        f"({', '.join(PART_BASED)}) without their annotations",
        None,
        None,
        None,
        "%",
        None,
        "the part-based methods' accuracy beside this project's rows",
        "not tested",
        reason="the part-based methods' rows are quoted from the paper, not rerun",
    )


def box_share_claim(ious: np.ndarray, paper_share: float, network: str, iou: float = 0.5) -> Claim:
    """Figure 7's claim "``paper_share`` % of the CAM boxes reach IoU ``iou``" on the test
    images' ``ious`` ``(N,)``, judged on the share's exact (Clopper-Pearson) 95% interval."""
    values = np.asarray(ious, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0:
        fail("ious", "a non-empty (N,) array of IoUs", f"shape {values.shape}")
    if isinstance(paper_share, bool) or not isinstance(paper_share, int | float):
        fail("paper_share", "a share in percent, 0..100", repr(paper_share))
    if not 0.0 <= paper_share <= 100.0:
        fail("paper_share", "a share in percent, 0..100", repr(paper_share))
    k, n = int(np.sum(values >= iou)), len(values)
    low, high = claims.binomial_interval(k, n, percent=True)
    return claims.judge(
        "box_share_iou05",
        f"{paper_share:.1f}% of the CAM boxes reach IoU {iou:g} with the ground truth",
        100.0 * k / n,
        low,
        high,
        partial(claims.compare, boundary=float(paper_share), direction="above"),
        criterion=(
            f"share of all test images whose CAM box has IoU \u2265 {iou:g}, with its exact "
            f"(Clopper-Pearson) 95% binomial interval: holds when the whole interval lies "
            f"above the paper's {paper_share:.1f}%, does not hold when it lies below it, not "
            f"distinguishable when it contains it; at least {MIN_SCORED_IMAGES} scored images"
        ),
        unit="%",
        paper=float(paper_share),
        preconditions=[_enough(n)],
        data=f"{network}: {k} of {n} test images",
    )


def image_blind_claim(
    ious: np.ndarray,
    blind_ious: Mapping[str, np.ndarray],
    network: str,
    iou: float = 0.5,
    n_boot: int = 2000,
    seed: int = 0,
) -> Claim:
    """Context for Figure 7, not the paper's claim: the CAM boxes reach IoU ``iou`` more
    often than the better of the boxes that see no image (``blind_ious``: name -> ``(N,)``
    IoUs on the same test images), on a paired bootstrap over those images."""
    text = "CAM boxes beat the image-blind boxes (whole image, centred mean-size box)"
    if not blind_ious:
        return Claim(
            "beats_image_blind", text, None, None, None, "points", None,
            "CAM share minus the better image-blind share", "not tested",
            reason="no image-blind boxes scored",
        )  # fmt: skip
    cam = np.asarray(ious, dtype=np.float64) >= iou
    blind = {k: np.asarray(v, dtype=np.float64) >= iou for k, v in blind_ious.items()}
    best = max(blind, key=lambda k: float(blind[k].mean()))
    shares = ", ".join(f"{k} {100.0 * v.mean():.1f}%" for k, v in blind.items())
    return _paired_gain(
        "beats_image_blind",
        text,
        cam,
        blind[best],
        ("CAM boxes", best),
        None,
        network,
        n_boot,
        seed,
        what=f"share of boxes at IoU \u2265 {iou:g}",
        extra=f"; image-blind boxes: {shares}",
    )
