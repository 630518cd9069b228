"""Shared fixtures: a throw-away copy of the repository layout for pipeline tests."""

import shutil
from pathlib import Path

import pytest

from cam_core.common import profiles

ROOT = Path(__file__).resolve().parents[1]

# A notebook that papermill can run in about a second: no cam_core (and so no torch)
# import; it writes the status record the pipeline looks for.
FAST_NOTEBOOK = """# %% tags=["parameters"]
profile = "cpu"
out_dir = None

# %%
import json
import pathlib

folder = pathlib.Path(out_dir) / "{item}"
folder.mkdir(parents=True, exist_ok=True)
record = {{"item": "{item}", "status": "not yet", "profile": profile}}
(folder / "status.json").write_text(json.dumps(record))
print("{item}", profile)
"""

FAST_PAGE = """# %% tags=["parameters"]
profile = "cpu"

# %%
print("scoreboard", profile)
"""


@pytest.fixture
def fake_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository root in tmp_path (``CAM_REPRO_ROOT``) with fast notebooks and paper data.

    Everything the pipeline writes (results/, book/generated/) lands under it.
    """
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "paper", repo / "data" / "paper")
    for item in profiles.item_names():
        (repo / "notebooks" / f"{item}.py").write_text(FAST_NOTEBOOK.format(item=item))
    (repo / "notebooks" / "scoreboard.py").write_text(FAST_PAGE)
    monkeypatch.setenv("CAM_REPRO_ROOT", str(repo))
    return repo


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (to check that nothing changed)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def snapshot():
    """The :func:`tree` helper, as a fixture."""
    return tree
