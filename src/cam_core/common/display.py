"""Table display: readable number formatting of result tables for notebooks and the book."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cam_core.validate import fail

__all__ = [
    "for_display",
    "readable",
]


# --------------------------------------------------------------------------- display


def for_display(table: pd.DataFrame, columns: Sequence[str] | None = None):
    """A table for a page (a pandas Styler, no index): each ``x`` with an ``x_std`` column
    becomes ``"mean ± std"``, numbers get 2 decimals, missing values are empty cells;
    ``columns`` picks and orders columns (names before the merge), underscores read as spaces.
    """
    out = pd.DataFrame(index=table.index)
    for col in table.columns:
        if col.endswith("_std") and col[: -len("_std")] in table.columns:
            continue
        values = table[col]
        std = table.get(f"{col}_std")
        out[col] = [_cell(v, None if std is None else std.iloc[i]) for i, v in enumerate(values)]
    if columns is not None:
        missing = [c for c in columns if c not in out.columns]
        if missing:
            fail("columns", f"columns of the table ({', '.join(out.columns)})", missing[0])
        out = out[list(columns)]
    out = out.rename(columns=lambda c: str(c).replace("_", " "))
    return out.style.hide(axis="index")


def _cell(value: object, std: object = None) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        text = f"{float(value):.2f}"
        if std is not None and isinstance(std, float | np.floating) and np.isfinite(std):
            text += f" ± {float(std):.2f}"
        return text
    return str(value)


def readable(table: pd.DataFrame, index: bool = True, precision: int = 1):
    """``table`` for a page: long texts shown whole (no truncation), cells left-aligned,
    numbers with ``precision`` decimals, missing values blank; ``index=False`` hides the
    row index."""
    style = table.style.set_properties(**{"text-align": "left", "vertical-align": "top"})
    style = style.format(precision=precision, na_rep="")
    return style if index else style.hide(axis="index")
