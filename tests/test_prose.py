"""No result typed into a notebook's prose: every percentage in a markdown cell is a number
of the paper (data/paper/) or one of the method's fixed constants listed here with why."""

import re
from pathlib import Path

import pandas as pd

from cam_core.paths import checkout_root

ROOT = checkout_root()
# Constants of the protocols, not results: (notebook, number) -> where the number comes from.
CONSTANTS = {
    ("*", "20"): "the paper's box threshold, 20% of the map's max (data/paper/in_text.csv)",
    ("*", "95"): "the level of every interval",
    ("*", "100"): "the whole image, or every pixel",
    ("figure09.py", "10"): "datasets.sun2012.DISTINCT_SUPPORT = 0.1, the paper's rule",
    ("table2.py", "60"): "items.tables123: the aim set for the best GAP network",
    ("table3.py", "40"): "core.boxes.DEFAULT_TIGHT_THRESHOLD = 0.4, an assumption stated there",
    ("table4.py", "90"): "synthetic.silhouettes: the object-size range of the generator",
    ("table4.py", "35"): "synthetic.silhouettes: the object-size range of the generator",
}
PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s?%")


def paper_numbers() -> set[float]:
    numbers = set()
    for path in (ROOT / "data" / "paper").glob("*.csv"):
        table = pd.read_csv(path)
        for column in table.select_dtypes("number"):
            numbers |= {round(float(v), 2) for v in table[column].dropna()}
    return numbers


def markdown_percentages(path: Path) -> list[tuple[str, str]]:
    found = []
    for cell in re.split(r"^# %%", path.read_text(), flags=re.M):
        if cell.startswith(" [markdown]"):
            found += [(m.group(1), line.strip()) for line in cell.splitlines()
                      for m in PERCENT.finditer(line)]  # fmt: skip
    return found


def typed_in(path: Path, paper: set[float]) -> list[str]:
    out = []
    for number, line in markdown_percentages(path):
        known = ("*", number) in CONSTANTS or (path.name, number) in CONSTANTS
        if not known and round(float(number), 2) not in paper:
            out.append(f"{path.name}: {number}% in {line!r}")
    return out


def test_no_result_is_typed_into_the_prose():
    paper = paper_numbers()
    assert {41.0, 55.89, 67.8} <= paper
    found = [bad for p in sorted((ROOT / "notebooks").glob("*.py")) for bad in typed_in(p, paper)]
    assert found == [], "numbers typed into prose:\n" + "\n".join(found)


def test_the_check_catches_a_typed_in_result(tmp_path):
    page = tmp_path / "figure05.py"
    page.write_text("# %% [markdown]\n# CAM boxes reach 37.5% here, and the paper says 41.0%.\n")
    assert typed_in(page, paper_numbers()) == [
        "figure05.py: 37.5% in '# CAM boxes reach 37.5% here, and the paper says 41.0%.'"
    ]
