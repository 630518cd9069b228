"""The scoreboard: one row per item (table or figure) from the result records of a profile run."""

import math
from pathlib import Path

import pandas as pd

from cam_core.common import profiles
from cam_core.common.results import (
    CLAIM_VALUES,
    COVERAGE,
    NOT_BUILT,
    SCOREBOARD_COLUMNS,
    SCOREBOARD_FILE,
    atomic_write_csv,
    headline_paper_value,
    read_status,
    stale_mark,
)
from cam_core.common.verdicts import CPU_STATUSES, FULL_STATUSES, NOT_RUN, SMOKE_STATUS
from cam_core.validate import fail


def scoreboard_view(board: pd.DataFrame) -> pd.DataFrame:
    """The scoreboard for reading: one row per item, numbers as text, blanks empty."""
    view = board.set_index("item")[
        ["status", "headline_metric", "paper_value", "reproduced_value", "claim_holds"]
    ].copy()
    for column in ("paper_value", "reproduced_value"):
        view[column] = ["" if _blank(v) else f"{float(v):g}" for v in view[column]]
    return view.rename(columns=lambda c: c.replace("_", " "))


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
            record = {
                "item": item,
                "status": NOT_RUN,
                "profile": profile,
                "coverage": NOT_BUILT,
                "headline_metric": profiles.item_info(item)["metric"],
                "reproduced_value": None,
                "paper_value": headline_paper_value(item),
                "claim_holds": "not tested",
            }
        row = {column: record.get(column) for column in SCOREBOARD_COLUMNS}
        stale = stale_mark(out_dir, item) if row["status"] != NOT_RUN else None
        row["status"] = stale or row["status"]
        rows.append(row)
    table = pd.DataFrame(rows, columns=SCOREBOARD_COLUMNS)
    for column in ("reproduced_value", "paper_value"):
        table[column] = [None if _blank(v) else float(v) for v in table[column]]
        table[column] = table[column].astype("float64")
    return table


def write_scoreboard(out_dir: str | Path, profile: str) -> Path:
    """Build the scoreboard and write ``<out_dir>/scoreboard.csv`` atomically."""
    path = Path(out_dir) / SCOREBOARD_FILE
    atomic_write_csv(path, build_scoreboard(out_dir, profile))
    return path


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
        f"*claim holds*: {words(CLAIM_VALUES)}."
    )
