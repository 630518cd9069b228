"""The paper's published numbers (Zhou et al., CVPR 2016), read from ``data/paper/``.

Values are percent, exactly as printed in the paper; see ``data/paper/README.md``. Cells
are read as written: only an empty cell means "no number printed" (NaN); text such as
``n/a`` (Table 4's annotation column: no annotation beyond class labels), ``NA`` or
``null`` stays text, and a number column holding anything but numbers or empty cells is
an error naming the file, the column and the row.
"""

from pathlib import Path

import pandas as pd

from cam_core.common import profiles
from cam_core.paths import repo_root
from cam_core.validate import fail

TABLES = {1: "table1.csv", 2: "table2.csv", 3: "table3.csv", 4: "table4.csv", 5: "table5.csv"}
# Columns that hold the paper's numbers (data/paper/README.md); every other column is text.
NUMBER_COLUMNS = ("top1_error", "top5_error", "accuracy", "value", "tolerance")
MISSING = ""  # the one marker of a missing cell: an empty field


def paper_dir() -> Path:
    """Folder with the transcribed tables, ``<repo>/data/paper``."""
    return repo_root() / "data" / "paper"


def paper_table(number: int) -> pd.DataFrame:
    """Table ``number`` (1-5) of the paper as printed; errors/accuracies in percent."""
    if number not in TABLES:
        fail("number", "a paper table number in 1..5", repr(number))
    path = paper_dir() / TABLES[number]
    if not path.is_file():
        fail("number", f"the transcribed table at {path}", "no such file")
    return read_paper_csv(path)


def read_paper_csv(path: str | Path) -> pd.DataFrame:
    """A transcribed CSV with only empty cells missing (NaN): ``"n/a"``, ``"NA"``,
    ``"null"`` stay text; :data:`NUMBER_COLUMNS` must hold numbers or empty cells."""
    path = Path(path)
    table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[MISSING])
    for column in table.columns:
        if column not in NUMBER_COLUMNS:
            continue
        numbers = pd.to_numeric(table[column], errors="coerce")
        bad = numbers.isna() & table[column].notna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            fail(
                f"{path.name} column {column!r}",
                "numbers, or an empty cell where the paper prints none",
                f"{table[column].iloc[row]!r} in data row {row + 1}",
            )
        table[column] = numbers.astype("float64")
    return table


def paper_value(key: str) -> float:
    """A number quoted in the paper's text, by key of ``data/paper/in_text.csv``."""
    table = read_paper_csv(paper_dir() / "in_text.csv").set_index("key")
    if key not in table.index:
        fail("key", f"one of {sorted(table.index)}", repr(key))
    return float(table.loc[key, "value"])


def headline_tolerance(item: str) -> float | None:
    """How far (points) a full-scale headline may lie from the paper's and still count as
    reproduced, from ``data/paper/tolerances.csv``; None for an item without one."""
    table = read_paper_csv(paper_dir() / "tolerances.csv").set_index("item")
    return float(table.loc[item, "tolerance"]) if item in table.index else None


def headline_paper_value(item: str) -> float | None:
    """The paper's number for ``item``'s headline metric, or None for qualitative items."""
    spec = profiles.item_info(item).get("paper")
    if spec is None:
        return None
    if "in_text" in spec:
        return paper_value(spec["in_text"])
    table = paper_table(spec["table"])
    mask = pd.Series(True, index=table.index)
    for column, value in spec["where"].items():
        mask &= table[column] == value
    if int(mask.sum()) != 1:
        fail("item", f"one paper row matching {spec['where']}", f"{int(mask.sum())} rows")
    return float(table.loc[mask, spec["column"]].iloc[0])


def within_tolerance(item: str, value: float | None) -> bool | None:
    """Whether a headline ``value`` lies within :func:`headline_tolerance` of the paper's
    (:func:`headline_paper_value`); None when the item has no toleranced headline."""
    tolerance, reference = headline_tolerance(item), headline_paper_value(item)
    if tolerance is None or reference is None:
        return None
    return value is not None and abs(float(value) - reference) <= tolerance
