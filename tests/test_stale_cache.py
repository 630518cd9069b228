"""No stale numbers: editing the box rule in a copy of the package changes Table 4's and
Figure 7's numbers on the next run, although their feature and box caches are in place."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cam_core.paths import checkout_root

ROOT = checkout_root()
RULE = (
    "        fg = m >= (threshold * peak)[:, None, None]\n"
    "        # No positive evidence (max <= 0): every pixel is kept, so the box is the whole"
    " image.\n"
    "        fg[peak <= 0] = True\n"
)
# The edited rule keeps the top-left pixel of every map. (At smoke the SVM-CAMs of the barely
# trained network hold no positive evidence, so an edit of the threshold alone would leave
# every box the whole image, and the numbers rightly unchanged.)
EDITED_RULE = "        fg = np.zeros(m.shape, dtype=bool)\n        fg[:, :1, :1] = True\n"
SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import cam_core
assert cam_core.__file__.startswith(sys.argv[1]), cam_core.__file__
from cam_core.common import profiles
from cam_core.items import finegrained
out = {}
for item in ("table4", "figure07"):
    params = profiles.validate_parameters(item, profile="smoke", out_dir=sys.argv[2])
    result = finegrained.run(params)
    out[item] = {
        "headline": result.headline_value,
        "claims": [c.measured for c in result.claims],
        "tables": {k: t.to_json() for k, t in result.tables.items()},
    }
print("RESULT" + json.dumps(out))
"""


def _numbers(copy: Path, out: Path) -> dict:
    env = {**os.environ, "CAM_REPRO_ROOT": str(copy), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-c", SCRIPT, str(copy / "src"), str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


@pytest.mark.slow
def test_editing_the_box_rule_changes_table4_and_figure07(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", copy / "src", ignore=ignore)
    shutil.copytree(ROOT / "data", copy / "data")
    boxes = copy / "src" / "cam_core" / "core" / "boxes.py"
    assert boxes.read_text().count(RULE) == 1, "the box rule's lines moved"
    out = tmp_path / "results"
    before = _numbers(copy, out)
    assert (out / "cache" / "features").is_dir()  # the caches the second run could reuse
    again = _numbers(copy, out)
    assert again == before  # same code: the cached numbers are the numbers
    boxes.write_text(boxes.read_text().replace(RULE, EDITED_RULE))
    after = _numbers(copy, out)
    for item in ("table4", "figure07"):
        assert after[item]["tables"] != before[item]["tables"], item
    shown = json.loads(after["figure07"]["tables"]["figure07_shown"])
    assert set(shown["iou"].values()) == {0.0}  # a top-left pixel box misses every object
