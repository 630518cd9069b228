"""Figure 10's run() at ``full`` on the miniature COCO tree: one ItemResult whose scored
phrase gives the CAM-peak claims and whose unscored phrases a "not tested" claim."""

import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import profiles, results
from cam_core.items import concepts, discovery
from cam_core.nets.models import CAMNet
from cam_core.testing.miniature_sets import make_miniature_coco


def tiny_net() -> CAMNet:
    """Three units, one per colour channel (ReLU(c + 3)): the red kite lights the red unit."""
    conv = nn.Conv2d(3, 3, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
        conv.bias.fill_(3.0)
    return CAMNet(nn.Sequential(conv, nn.ReLU()), 3, 3)


def test_figure10_run_at_full_on_the_miniature_tree(tmp_path, monkeypatch):
    tree = make_miniature_coco(tmp_path / "data")
    monkeypatch.setattr(discovery, "load_network", lambda p, n, progress=None: tiny_net())
    params = profiles.validate_parameters(
        "figure10", profile="full", data_root=str(tree.data_root), out_dir=str(tmp_path / "o"),
        device="cpu", image_size=32, positives=10, negatives=4, hard_negative_rounds=1,
        num_examples=2, concepts=["kite in the sky", "view out of window", "mirror in lake"],
    )  # fmt: skip
    result = concepts.run(params)
    # the kite phrase: 1 held-out image scored, its CAM peak on the kite's box
    assert result.headline_value == 100.0 and result.coverage == "partial"
    peaks = result.claim("peaks_on_named_objects")
    assert peaks.measured == 100.0 and peaks.verdict == "not tested"  # 1 < MIN_SCORED
    assert "1 held-out images scored" in peaks.reason
    unscored = result.claim("unscored_phrases")
    assert unscored.verdict == "not tested"
    assert '"view out of window"' in unscored.reason and '"mirror in lake"' in unscored.reason
    table = result.tables["figure10_concepts"].set_index("concept")
    assert table.loc["kite in the sky", "scored_images"] == 1
    assert table.loc["kite in the sky", "peak_rate"] == 100.0
    assert table.loc["mirror in lake", "scored_images"] == 0
    assert set(result.tables["figure10_rounds"]["concept"]) == {
        "kite in the sky", "view out of window",
    }  # fmt: skip
    assert "too few to train" in result.notes[0]
    assert "1 scored held-out images" in result.captions["figure10_concepts"]
    record = results.write_result(params, result)
    assert record["status"] == "not run"  # every claim not tested
    written = (tmp_path / "o" / "figure10" / "claims.csv").read_text()
    assert "unscored_phrases" in written


def test_peak_claims_refuse_mismatched_lengths():
    with pytest.raises(Exception, match="^shares: expected"):
        concepts.peak_claims([True, False], [0.1])
