"""The scoreboard: one row per item (table or figure) from the result records of a profile run."""

import math
from collections.abc import Mapping
from html import escape
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from cam_core.common import profiles
from cam_core.common.claims import (
    CLAIM_COLUMNS,
    NUMBER_FIELDS,
    TEXT_FIELDS,
    Claim,
    status_record,
)
from cam_core.common.display import badge, claim_measurement
from cam_core.common.results import (
    CLAIMS_FILE,
    SCOREBOARD_COLUMNS,
    SCOREBOARD_FILE,
    atomic_write_csv,
    read_status,
    stale_mark,
)
from cam_core.common.verdicts import (
    COVERAGE,
    CPU_STATUSES,
    FULL_STATUSES,
    NOT_BUILT,
    NOT_RUN,
    SMOKE_STATUS,
    VERDICTS,
)
from cam_core.validate import fail


def scoreboard_view(board: pd.DataFrame) -> pd.DataFrame:
    """The scoreboard for reading: one row per item, numbers as text, blanks empty, and the
    item's claims counted by verdict (e.g. "2 holds, 1 not distinguishable")."""
    view = board.set_index("item")[["status", "headline_metric", "paper_value", "value"]].copy()
    for column in ("paper_value", "value"):
        view[column] = ["" if _blank(v) else f"{float(v):g}" for v in view[column]]
    view["claims"] = [claim_counts(row) for _, row in board.iterrows()]
    return view.rename(columns=lambda c: c.replace("_", " "))


def claim_counts(record: Mapping[str, object]) -> str:
    """``"2 holds, 1 not tested"``: a status record's claims counted by verdict."""
    parts = []
    for verdict in VERDICTS:
        n = record.get("n_" + verdict.replace(" ", "_"))
        if not _blank(n) and int(n):
            parts.append(f"{int(n)} {verdict}")
    return ", ".join(parts) or "none"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def build_scoreboard(out_dir: str | Path, profile: str) -> pd.DataFrame:
    """One row per table and figure from the status records under ``out_dir``.

    An item without a record at this profile (never run, or failed) is "not run"; one whose
    last run failed after an earlier good one is "stale (last good run: <commit>)".
    """
    profiles.check_profile(profile)
    rows = []
    for item in profiles.item_names():
        record = read_status(out_dir, item)
        if record is None or record.get("profile") != profile:
            record = status_record(item, profile, NOT_RUN, NOT_BUILT, [])
        row = {column: record.get(column) for column in SCOREBOARD_COLUMNS}
        stale = stale_mark(out_dir, item) if row["status"] != NOT_RUN else None
        row["status"] = stale or row["status"]
        rows.append(row)
    table = pd.DataFrame(rows, columns=SCOREBOARD_COLUMNS)
    for column in ("value", "paper_value"):
        table[column] = [None if _blank(v) else float(v) for v in table[column]]
        table[column] = table[column].astype("float64")
    return table


def build_claims(out_dir: str | Path, profile: str) -> pd.DataFrame:
    """Every claim of every item run at ``profile`` under ``out_dir``: the items' own
    ``claims.csv`` files, in catalogue order (columns ``item``, ``profile``, then
    :data:`cam_core.common.claims.CLAIM_COLUMNS`)."""
    profiles.check_profile(profile)
    parts = []
    for item in profiles.item_names():
        record = read_status(out_dir, item)
        path = Path(out_dir) / item / CLAIMS_FILE
        if record is None or record.get("profile") != profile or not path.is_file():
            continue
        table = _read_claims_csv(path)
        if list(table.columns) != ["item", "profile", *CLAIM_COLUMNS]:
            fail(str(path), f"the columns item, profile, {', '.join(CLAIM_COLUMNS)}", "others")
        parts.append(table)
    columns = ["item", "profile", *CLAIM_COLUMNS]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def write_scoreboard(out_dir: str | Path, profile: str) -> Path:
    """Build the scoreboard and the claims over all items, and write
    ``<out_dir>/scoreboard.csv`` and ``<out_dir>/claims.csv`` atomically."""
    atomic_write_csv(Path(out_dir) / CLAIMS_FILE, build_claims(out_dir, profile))
    path = Path(out_dir) / SCOREBOARD_FILE
    atomic_write_csv(path, build_scoreboard(out_dir, profile))
    return path


def claims_table_html(claims: pd.DataFrame) -> str:
    """The per-claim view as HTML: item (a link to its page), claim, paper value, this
    project's value with its 95% interval, and the verdict as a coloured badge."""
    rows = []
    for _, c in claims.iterrows():
        claim = Claim.from_row(c.to_dict())
        here = claim_measurement(claim)
        paper = "" if claim.paper is None else f"{claim.paper:g}"
        why = claim.reason if claim.verdict == "not tested" else claim.criterion
        rows.append(
            f'<tr><td><a href="{c["item"]}.html">{escape(_short_title(c["item"]))}</a></td>'
            f"<td>{escape(claim.text)}</td><td>{paper}</td><td>{escape(here)}</td>"
            f'<td>{badge(claim.verdict)}<div class="criterion">{escape(why)}</div></td></tr>'
        )
    head = "".join(f"<th>{h}</th>" for h in ("item", "claim", "paper", "here [95%]", "verdict"))
    return (
        f'<div class="table-scroll"><table class="dataframe claims"><thead><tr>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _short_title(item: str) -> str:
    return profiles.item_info(item)["title"].split(":")[0]


def claims_figure(claims: pd.DataFrame) -> Figure:
    """Paper value (x) against this project's value (y) with its 95% interval, for every
    claim with both numbers, coloured by verdict, with the diagonal y = x."""
    numeric = claims.dropna(subset=["paper", "measured", "low", "high"])
    fig = Figure(figsize=(6.0, 5.0), layout="constrained")
    ax = fig.add_subplot()
    colours = dict(zip(VERDICTS, ("#2e7d32", "#c62828", "#6b7280", "#9ca3af"), strict=True))
    for verdict in VERDICTS:
        part = numeric[numeric["verdict"] == verdict]
        if part.empty:
            continue
        errors = [part["measured"] - part["low"], part["high"] - part["measured"]]
        ax.errorbar(
            part["paper"], part["measured"], yerr=errors, fmt="o", color=colours[verdict],
            capsize=3, label=f"{verdict} ({len(part)})",
        )  # fmt: skip
        for _, c in part.iterrows():
            ax.annotate(
                _short_title(c["item"]), (c["paper"], c["measured"]), fontsize=7,
                xytext=(4, 2), textcoords="offset points",
            )  # fmt: skip
    values = pd.concat([numeric["paper"], numeric["low"], numeric["high"]])
    lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 100.0)
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="#999", lw=1, ls="--", label="y = x")
    ax.set_xlabel("paper")
    ax.set_ylabel("this project (95% interval)")
    ax.set_title(f"{len(numeric)} numeric claims of {numeric['item'].nunique()} items")
    ax.legend(fontsize=8, loc="best")
    return fig


def verdict_counts(claims: pd.DataFrame) -> pd.DataFrame:
    """How many claims got each verdict (every verdict listed, zeros included)."""
    counts = claims["verdict"].value_counts() if len(claims) else pd.Series(dtype=int)
    return pd.DataFrame({"claims": [int(counts.get(v, 0)) for v in VERDICTS]}, index=VERDICTS)


def read_claims(out_dir: str | Path) -> pd.DataFrame:
    """``<out_dir>/claims.csv`` (:func:`build_claims`) with the items' titles."""
    path = Path(out_dir) / CLAIMS_FILE
    if not path.is_file():
        fail("out_dir", f"a folder with {CLAIMS_FILE} (run cam-repro first)", str(out_dir))
    return _read_claims_csv(path)


def _read_claims_csv(path: Path) -> pd.DataFrame:
    """A claims file: empty number cells NaN, empty text cells ""."""
    numbers = {name: [""] for name in NUMBER_FIELDS}
    texts = {name: str for name in ("item", "profile", *TEXT_FIELDS)}
    return pd.read_csv(path, keep_default_na=False, na_values=numbers, dtype=texts)


def read_scoreboard(out_dir: str | Path) -> pd.DataFrame:
    """``<out_dir>/scoreboard.csv`` as a table, with the items' titles and claims."""
    path = Path(out_dir) / SCOREBOARD_FILE
    if not path.is_file():
        fail("out_dir", f"a folder with {SCOREBOARD_FILE} (run cam-repro first)", str(out_dir))
    table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    table.insert(1, "title", [profiles.item_info(i)["title"] for i in table["item"]])
    table["claim"] = [profiles.item_info(i)["claim"] for i in table["item"]]
    return table


def words_legend() -> str:
    """Markdown listing the words each column can hold, read from the constants that decide
    them (:mod:`cam_core.common.verdicts`, :mod:`cam_core.common.results`)."""

    def words(values: tuple[str, ...]) -> str:
        return ", ".join(f"**{v}**" for v in values)

    return (
        f"*status* at `full` scale: {words(FULL_STATUSES)}; the first needs every claim to hold "
        "and the headline within the tolerance of `data/paper/tolerances.csv`. At `cpu` scale, "
        f"on stand-in data and small networks: {words(CPU_STATUSES)}. At `smoke` scale, which "
        f"only shows that the code runs: {words((SMOKE_STATUS,))}, and no claim is judged. An "
        f"item with no result at the profile: {words((NOT_RUN,))}. *coverage*: {words(COVERAGE)}. "
        f"*claims*: how many of the item's claims got each verdict, {words(VERDICTS)}."
    )
