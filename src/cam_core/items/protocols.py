"""The evaluation protocols of Tables 2-3 as a table reads them: which protocol each row
used (a column), and MaxBoxAccV2 with its threshold chosen on held-out images.

The held-out images (``maxboxacc_holdout``, a share of the scored set, drawn once with a
fixed seed) choose MaxBoxAccV2's threshold per IoU level (Choe et al., CVPR 2020: a
threshold tuned on the test images is optimistic); they are then dropped from every other
number of the table, so the paper's metric and MaxBoxAccV2 are read on the same images.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cam_core.core.boxacc import max_box_acc_v2_heldout
from cam_core.items.localization import BOX_RULES, LocalizationResult, subset_result
from cam_core.validate import fail

__all__ = ["HOLDOUT_SEED", "holdout_split", "apply_holdout", "protocol_label", "holdout_note"]

HOLDOUT_SEED = 2020


def holdout_split(
    n: int, fraction: float, seed: int = HOLDOUT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Image indices ``(held, scored)`` of ``n`` images, ``round(fraction * n)`` held out (at
    least one and at most n - 1 when ``fraction > 0``), both sorted."""
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 <= fraction < 1:
        fail("maxboxacc_holdout", "a fraction in [0, 1)", repr(fraction))
    if fraction == 0:
        return np.zeros(0, np.int64), np.arange(n)
    if n < 2:
        fail("maxboxacc_holdout", "0 with fewer than 2 scored images", f"{fraction} of {n}")
    k = min(max(1, int(round(fraction * n))), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[:k]), np.sort(order[k:])


def apply_holdout(
    evaluated: dict[str, list[LocalizationResult]], fraction: float
) -> dict[str, list[LocalizationResult]]:
    """Every result restricted to the scored images, with ``summary["maxboxacc_v2_heldout"]``
    (threshold per IoU level from the held-out ones; NaN when ``fraction`` is 0) and
    ``summary["maxboxacc_v2"]`` (the scored images' own best thresholds)."""
    out = {}
    for row, results in evaluated.items():
        out[row] = []
        for res in results:
            held, scored = holdout_split(len(res), fraction)
            sub = subset_result(res, scored) if len(held) else res
            value = np.nan
            if len(held):
                v2 = max_box_acc_v2_heldout(
                    res.box_hits_v2[held], res.box_hits_v2[scored], res.thresholds
                )
                value = v2["value"]
            sub.summary["maxboxacc_v2_heldout"] = value
            out[row].append(sub)
    return out


def holdout_note(fraction: float, n_scored: int, n_total: int) -> str:
    """One sentence on the held-out split (or why MaxBoxAccV2's held-out column is empty)."""
    if fraction == 0:
        return (
            "MaxBoxAccV2 with a held-out threshold: not built at this profile "
            "(maxboxacc_holdout 0: no held-out images); maxboxacc_v2 takes the scored "
            "images' own best thresholds, an optimistic bound"
        )
    return (
        f"{n_total - n_scored} of the {n_total} evaluated images ({100 * fraction:g}%, seed "
        f"{HOLDOUT_SEED}) are held out: they choose MaxBoxAccV2's threshold per IoU level "
        f"(0.3, 0.5, 0.7) and are dropped from every number; {n_scored} images are scored"
    )


def protocol_label(res: LocalizationResult | Sequence[LocalizationResult]) -> str:
    """The protocol of one row, e.g. ``"ten crops, released boxes, tight+loose"`` or, for
    backprop, ``"single crop, paper boxes, |grad| max over colour"``."""
    r = res if isinstance(res, LocalizationResult) else res[0]
    rule = {v: k for k, v in BOX_RULES.items() if k in ("paper", "released")}[r.box_rule]
    parts = ["ten crops" if r.crops == "ten" else "single crop", f"{rule} boxes"]
    if r.heuristic:
        parts.append(r.heuristic)
    if r.method == "backprop":
        released = r.backprop_variant == "released"
        parts.append("|grad| summed over colour" if released else "|grad| max over colour")
    return ", ".join(parts)
