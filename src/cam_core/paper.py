"""The paper's published numbers (Zhou et al., CVPR 2016), read from ``data/paper/``.

Values are percent, exactly as printed in the paper; see ``data/paper/README.md``.
"""

import os
from pathlib import Path

import pandas as pd

from cam_core.validate import fail

TABLES = {1: "table1.csv", 2: "table2.csv", 3: "table3.csv", 4: "table4.csv", 5: "table5.csv"}


def repo_root() -> Path:
    """The checkout this package runs from (``CAM_REPRO_ROOT`` overrides it)."""
    override = os.environ.get("CAM_REPRO_ROOT")
    return Path(override) if override else Path(__file__).resolve().parents[2]


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
    return pd.read_csv(path)


def paper_value(key: str) -> float:
    """A number quoted in the paper's text, by key of ``data/paper/in_text.csv``."""
    table = pd.read_csv(paper_dir() / "in_text.csv").set_index("key")
    if key not in table.index:
        fail("key", f"one of {sorted(table.index)}", repr(key))
    return float(table.loc[key, "value"])
