"""Table 2's side tables and captions: the aim (best GAP net against the image-blind boxes),
GT-known localization by object size, and the captions of this run's numbers."""

from __future__ import annotations

import pandas as pd

__all__ = ["aim_table", "by_size_wide", "table2_captions"]


def aim_table(stats: dict[str, dict[str, tuple[float, float]]]) -> pd.DataFrame:
    """The issue's aim for the best GAP net: >= 60% top-1 localization accuracy and >= 20
    points above the better trivial box."""
    gap = {k: v for k, v in stats.items() if k.endswith("-GAP") or k == "NIN"}  # NIN: GAP too
    if not gap:
        return pd.DataFrame(columns=["quantity", "value"])
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


def by_size_wide(by_size: pd.DataFrame) -> pd.DataFrame:
    """GT-known localization (%) by object size, one column per row of Table 2, with the
    number of scored images per size bin."""
    key = "object side / image side"
    wide = by_size.pivot_table(
        index=key, columns="method", values="GT-known loc. (%)", sort=False, dropna=False
    )
    wide = wide.join(by_size.groupby(key, sort=False)["images"].first())
    wide.columns.name = None
    return wide.reset_index()


def table2_captions(
    aim: pd.DataFrame,
    by_size: pd.DataFrame,
    test_name: str,
    seeds: str,
    threshold: float,
    holdout: str,
) -> dict[str, str]:
    """Captions of Table 2's tables and figure, from this run's numbers (``seeds``: the seed
    note; ``holdout``: :func:`protocols.holdout_note`)."""
    captions = {
        "table2": (
            f"*Table 2.* Localization error (%), top-1 and top-5. *paper*: ILSVRC 2012 "
            f"validation, as printed; *Backprop* uses the saliency of Simonyan et al. instead "
            f"of CAM. *top1*, *top5*: this project's networks (*reproduced by*) on "
            f"{test_name}, mean ± sample std over *seeds* training seeds ({seeds}); "
            f"*diff*: reproduced minus paper. Beside each number (means over seeds): *cls "
            f"top1*, the classification error on the same images, which bounds localization; "
            f"*gt known loc*, the share of images whose box from the true class's map has IoU "
            f"≥ 0.5; *maxboxacc*, the same at the best threshold of the sweep; *centre box "
            f"top1*, *whole image top1*, two boxes that ignore the image, with the same "
            f"predicted classes; *protocol*: crops, box rule and backprop's colour reduction "
            f"of the row; *maxboxacc v2*: MaxBoxAccV2 of Choe et al. (any component's box, "
            f"IoU 0.3/0.5/0.7 averaged) at the scored images' own best thresholds, *maxboxacc "
            f"v2 heldout* at thresholds chosen on held-out images ({holdout})."
        ),
        "maxboxacc": (
            f"BoxAcc at IoU 0.5 of the box from the true class's map against the map "
            f"threshold (min-max normalised maps, mean over seeds); dashed: the table's fixed "
            f"{threshold:g} of the maximum."
        ),
    }
    if len(aim):
        a = aim.set_index("quantity")["value"]
        captions["aim"] = (
            f"The best GAP network of this run, {a['best GAP network']}, localizes "
            f"{a['top-1 localization accuracy (%)']}% of the scored images at top-1, "
            f"{a['margin over the trivial box (points)']} points from the better image-blind "
            f"box (the aim: at least 60% and 20 points)."
        )
        best = by_size[by_size["method"] == a["best GAP network"]].dropna()
        if len(best):
            small, large = best.iloc[0], best.iloc[-1]
            area = "box area / true area (median)"
            side = "object side / image side"
            captions["gt_known_by_size_wide"] = (
                f"GT-known localization (%) of each row's first seed by object size (the "
                f"square root of its box's share of the image) and the scored images per "
                f"bin. {a['best GAP network']}: objects of side {small[side]} "
                f"({small['images']} images) {small['GT-known loc. (%)']}% with boxes "
                f"{small[area]}× the true area; side {large[side]} ({large['images']} "
                f"images) {large['GT-known loc. (%)']}% with boxes {large[area]}× the true area."
            )
    return captions
