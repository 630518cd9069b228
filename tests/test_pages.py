"""Item pages are thin (a parameters cell, ``run(params)``, display) and put the verdict first."""

import ast
import re
from pathlib import Path

import pytest

from cam_core.common import profiles
from cam_core.paths import checkout_root

NOTEBOOKS = checkout_root() / "notebooks"
CELL = re.compile(r"^# %%(.*)$", re.M)
# Statements a page may not hold: computation belongs in cam_core.items.
COMPUTE = (ast.For, ast.While, ast.With, ast.FunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp)
COMPUTE += (ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.If)
WRITERS = ("Experiment", "write_status", "write_csv", "save_figure", "write_json")
MAX_CODE_LINES = 30  # outside the parameters cell


def cells(path: Path) -> list[tuple[str, str]]:
    """(header, body) of each ``# %%`` cell of a percent-format notebook."""
    text = path.read_text()
    marks = list(CELL.finditer(text))
    return [
        (m.group(1), text[m.end() : marks[i + 1].start() if i + 1 < len(marks) else len(text)])
        for i, m in enumerate(marks)
    ]


def code_cells(path: Path) -> list[tuple[str, str]]:
    return [(h, b) for h, b in cells(path) if "[markdown]" not in h]


@pytest.mark.parametrize("item", profiles.item_names())
def test_item_page_is_parameters_run_and_display(item: str) -> None:
    path = NOTEBOOKS / f"{item}.py"
    code = code_cells(path)
    assert "parameters" in code[0][0], f"{path.name}: the first code cell is the parameters"
    body = "\n".join(b for _, b in code[1:])
    tree = ast.parse(body)
    for node in ast.walk(tree):
        assert not isinstance(node, COMPUTE), (
            f"{path.name}:{getattr(node, 'lineno', '?')}: {type(node).__name__} on a page "
            "(computation belongs in cam_core.items)"
        )
        if isinstance(node, ast.Attribute | ast.Name):
            name = node.attr if isinstance(node, ast.Attribute) else node.id
            assert name not in WRITERS, f"{path.name}: writes results itself ({name})"
    lines = [ln for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert len(lines) <= MAX_CODE_LINES, f"{path.name}: {len(lines)} code lines"
    assert re.search(r"\b\w+\.run\(params\b", body), f"{path.name}: no run(params)"
    assert "results.write_result(params, result)" in body, path.name


@pytest.mark.parametrize("item", profiles.item_names())
def test_item_page_shows_the_verdict_first_and_folds_its_code(item: str) -> None:
    path = NOTEBOOKS / f"{item}.py"
    code = code_cells(path)
    for header, body in code:
        assert "hide-input" in header, f"{path.name}: code cell not folded: {body.strip()[:60]}"
    shown = [b for _, b in code[1:] if "display." in b or "viz." in b]
    assert shown and "display.verdict_box(result)" in shown[0], (
        f"{path.name}: the first thing shown is not the verdict box"
    )
