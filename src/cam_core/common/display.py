"""Table display: readable number formatting of result tables for notebooks and the book."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from cam_core.common import profiles
from cam_core.common.claims import SMOKE_REASON, Claim, ItemResult
from cam_core.common.viz import show
from cam_core.validate import fail

__all__ = [
    "for_display",
    "readable",
    "verdict_box",
    "claims_view",
    "show_table",
    "show_figure",
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


# --------------------------------------------------------------------------- item results


def _number_text(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    return f"{value:.1f}{unit}" if unit == "%" else f"{value:.3g}{(' ' + unit) if unit else ''}"


def claim_measurement(claim: Claim) -> str:
    """``"47.5% [44.1, 50.9]"``: the claim's measured value with its 95% interval."""
    text = _number_text(claim.measured, claim.unit)
    if claim.low is not None and text:
        text += f" [{claim.low:.3g}, {claim.high:.3g}]"
    return text


def badge_class(word: str) -> str:
    """CSS class of a verdict or status word: green for holding, red for not holding, amber
    for partly, grey otherwise (book/_static/verdicts.css)."""
    if word.startswith(("holds", "reproduced")):
        return "badge badge-holds"
    if word.startswith(("does not hold", "not reproduced")):
        return "badge badge-fails"
    if word.startswith(("partly", "stale")):
        return "badge badge-partly"
    return "badge badge-neutral"


def badge(word: str) -> str:
    """``word`` as a coloured HTML badge."""
    return f'<span class="{badge_class(word)}">{escape(word)}</span>'


def scale_line(profile: str, item: str | None = None) -> str:
    """What the run's scale means for its numbers: at cpu what stands in for the paper's
    data and networks (``stand_in`` of profiles.yaml), at smoke that its numbers mean nothing."""
    if profile == "smoke":
        return f"Measured at the smoke scale: {SMOKE_REASON}; no claim is judged."
    if profile == "full":
        return "Measured at the full scale: the paper's datasets and networks."
    info = profiles.item_info(item) if item in profiles.item_names() else {}
    stand_in = info.get("stand_in", "")
    return "Measured at laptop (cpu) scale" + (f": {stand_in}" if stand_in else ".")


def verdict_box(result: ItemResult) -> HTML:
    """The page's verdict first: the paper's claim and number, this project's numbers with
    their 95% intervals, the coloured verdict of each claim and the item's status, and the
    scale the numbers were measured at."""
    if not isinstance(result, ItemResult):
        fail("result", "an ItemResult", type(result).__name__)
    record = result.status_record()
    known = result.item in profiles.item_names()
    claim = profiles.item_info(result.item)["claim"] if known else ""
    paper_line = f"<b>The paper:</b> {escape(claim)}" if claim else ""
    if record["paper_value"] is not None:
        metric = escape(str(record["headline_metric"]))
        paper_line += f" Its number: <b>{record['paper_value']:g}</b> ({metric})."
    here = escape(result.headline.rstrip(": "))
    if record["value"] is not None:
        here += f": <b>{record['value']:.1f}</b>"
    rows = []
    for c in result.claims:
        detail = claim_measurement(c)
        if c.paper is not None:
            detail += f"; paper {_number_text(c.paper, c.unit)}"
        why = c.reason if c.verdict == "not tested" else c.criterion
        rows.append(
            f"<li>{badge(c.verdict)} {escape(c.text)}"
            + (f" <b>{escape(detail)}</b>" if detail else "")
            + (f' <span class="criterion">({escape(why)})</span>' if why else "")
            + "</li>"
        )
    notes = "".join(f"<p class='note'>{escape(n)}</p>" for n in result.notes)
    scale = scale_line(result.profile, result.item)
    return HTML(
        '<div class="verdict-box"><p class="verdict-title">Verdict</p>'
        f"<p>{badge(result.status)} <span class='scale'>{escape(scale)}</span></p>"
        f"<p>{paper_line}</p><p><b>Here:</b> {here}</p><ul>{''.join(rows)}</ul>{notes}</div>"
    )


def claims_view(result: ItemResult):
    """The item's claims as a table for a page: verdict, value [interval], paper, criterion."""
    rows = [
        {
            "claim": c.text,
            "verdict": c.verdict,
            "measured [95% interval]": claim_measurement(c),
            "paper": _number_text(c.paper, c.unit),
            "criterion": c.reason if c.verdict == "not tested" else c.criterion,
            "data": c.data,
        }
        for c in result.claims
    ]
    return readable(pd.DataFrame(rows), index=False)


def show_table(result: ItemResult, name: str, columns: Sequence[str] | None = None) -> None:
    """Display ``result.tables[name]`` (:func:`for_display`) and its caption, if any."""
    if name not in result.tables:
        fail("name", f"one of {', '.join(result.tables) or 'no tables'}", repr(name))
    display(for_display(result.tables[name], columns))
    if name in result.captions:
        display(Markdown(result.captions[name]))


def show_figure(result: ItemResult, name: str) -> None:
    """Display ``result.figures[name]`` and its caption, if any."""
    if name not in result.figures:
        fail("name", f"one of {', '.join(result.figures) or 'no figures'}", repr(name))
    display(show(result.figures[name]))
    if name in result.captions:
        display(Markdown(result.captions[name]))
