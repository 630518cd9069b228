"""Stand-ins at the paper's map resolution (Figs 5, 11, 13): EfficientNet-Lite0's last map
is 7x7 at 224 px and 14x14 at 448 px; each figure runs at several input sizes, judges its
claims on the 14x14 run and shows the others beside it, with known answers by hand."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import profiles
from cam_core.items import map_benchmark, map_methods, textdetect, units
from cam_core.nets.models import CAMNet
from cam_core.nets.registry import build_model
from cam_core.validate import InputError


def stride4_net(num_classes: int = 2) -> CAMNet:
    """A CAMNet whose last map is the input's side / 4 (e.g. 14 x 14 at 56 px, 7 x 7 at 28)."""
    torch.manual_seed(0)
    features = nn.Sequential(nn.Conv2d(3, 8, 3, stride=4, padding=1), nn.ReLU())
    return CAMNet(features, 8, num_classes)


def test_efficientnet_lite0_map_is_7x7_at_224_and_14x14_at_448():
    net = build_model("efficientnet-lite0", 1000)
    assert map_methods.map_side(net, 224) == 7
    assert map_methods.map_side(net, 448) == 14
    with torch.inference_mode():
        fmap = net.eval().forward_features(torch.zeros(1, 3, 448, 448))[1]
    assert tuple(fmap.shape) == (1, 1280, 14, 14)


@pytest.mark.parametrize(
    ("sides", "judged"),
    [([7, 14], 1), ([14, 7], 0), ([7, 3], 0), ([12, 16], 1), ([14, 14], 0), ([7], 0)],
)
def test_judged_run_is_the_paper_map_or_the_nearest(sides, judged):
    # [12, 16]: both 2 cells from 14, the larger map wins; [14, 14]: the first
    assert map_methods.judged_run(sides) == judged
    assert map_methods.PAPER_MAP_SIDE == 14


@pytest.mark.parametrize("sides", [[], [0], [True], [7.0]])
def test_judged_run_bad_sides_are_one_line_errors(sides):
    with pytest.raises(InputError, match=r"^map_sides: expected a non-empty list"):
        map_methods.judged_run(sides)


@pytest.mark.parametrize("sizes", [[], [224, 224], [8], "224", [224.0], None])
def test_input_sizes_are_checked(sizes):
    with pytest.raises(InputError, match=r"^input_sizes: expected distinct input sizes"):
        map_methods.check_input_sizes("input_sizes", sizes)
    assert map_methods.check_input_sizes("x", [448, 224]) == [448, 224]


def test_map_side_bad_input():
    with pytest.raises(InputError, match=r"^size: expected an input size"):
        map_methods.map_side(stride4_net(), 8)
    with pytest.raises(InputError, match=r"^model: expected a CAMNet"):
        map_methods.map_side(nn.Linear(2, 2), 64)


def test_text_detector_input_size_sets_the_map_and_the_cache_key(tmp_path):
    net = stride4_net()
    small = textdetect.text_detector(net, "tiny", 4, 8, 4, size=64, input_size=28,
                                     cache_dir=tmp_path)  # fmt: skip
    large = textdetect.text_detector(net, "tiny", 4, 8, 4, size=64, input_size=56,
                                     cache_dir=tmp_path)  # fmt: skip
    assert (small.map_side, small.input_size) == (7, 28)
    assert (large.map_side, large.input_size) == (14, 56)
    # the same crops and text boxes (crop pixels) at both resolutions
    assert np.array_equal(small.gt_boxes, large.gt_boxes) and small.cams.shape == (4, 64, 64)
    names = sorted(p.name for p in tmp_path.glob("*.npz"))
    assert names == sorted(f"text-{k}-{v}px.npz" for k in ("train", "test-pos", "test-neg")
                           for v in (28, 56))  # fmt: skip
    again = textdetect.text_detector(net, "tiny", 4, 8, 4, size=64, input_size=28,
                                     cache_dir=tmp_path)  # fmt: skip
    assert np.array_equal(again.cams, small.cams)  # read back from its own cache


def fake_run(side: int, ious: list[float], detection: float, peak: float) -> SimpleNamespace:
    ious = np.array(ious)
    table = pd.DataFrame({"boxes": ["CAM, paper's rule", "whole image"], "threshold": [0.2, None],
                          "accuracy": [float(np.mean(ious >= 0.5)), 0.0],
                          "mean_iou": [float(ious.mean()), 0.1]})  # fmt: skip
    return SimpleNamespace(table=table, map_side=side, input_size=32 * side, ious=ious,
                           detection_accuracy=detection, box_accuracy=float(np.mean(ious >= 0.5)),
                           peak_in_box=peak, peak_chance=0.1)  # fmt: skip


def test_resolution_tables_and_caption_known_answers():
    # 14x14: IoUs 0.6, 0.7 hit (2 of 4, 50%); 7x7: only 0.6 hits (25%); difference +25 points
    runs = [fake_run(7, [0.6, 0.1, 0.2, 0.1], 0.75, 0.25),
            fake_run(14, [0.6, 0.7, 0.2, 0.1], 0.875, 0.5)]  # fmt: skip
    boxes, summary = textdetect.resolution_tables(runs)
    assert list(boxes.columns[:3]) == ["map", "input_px", "boxes"]
    assert boxes["map"].tolist() == ["7 x 7", "7 x 7", "14 x 14", "14 x 14"]
    assert boxes["input_px"].tolist() == [224, 224, 448, 448]
    assert summary["box_accuracy"].tolist() == [25.0, 50.0]
    assert summary["detection_accuracy"].tolist() == [75.0, 87.5]
    assert summary["mean_iou"].tolist() == pytest.approx([0.25, 0.4])
    assert summary["peak_on_text"].tolist() == [25.0, 50.0] and summary["images"].tolist() == [4, 4]
    text = textdetect.resolution_caption(runs, 1)
    assert "judged on the 14 x 14 map (448 px input" in text and "box accuracy 50.0%" in text
    assert "7 x 7 map (224 px): box accuracy 25.0%" in text
    assert "14 x 14 minus 7 x 7: +25.0 points [" in text
    with pytest.raises(InputError, match=r"^judged: expected an index of the 2 runs"):
        textdetect.resolution_caption(runs, 2)
    with pytest.raises(InputError, match=r"^results: expected at least one run"):
        textdetect.resolution_tables([])


def test_figure11_run_judges_the_14x14_run_and_shows_both(tmp_path, monkeypatch):
    monkeypatch.setattr(textdetect, "build_model", lambda name, n: stride4_net(n))
    params = profiles.validate_parameters(
        "figure11", profile="smoke", out_dir=str(tmp_path), image_size=64, positives=4,
        negatives=8, test_images=4, input_sizes=[28, 56], num_examples=2,
    )  # fmt: skip
    result = textdetect.run(params)
    plt.close("all")
    boxes, summary = result.tables["figure11_boxes"], result.tables["figure11_resolution"]
    assert summary["map"].tolist() == ["7 x 7", "14 x 14"]
    assert set(boxes["map"]) == {"7 x 7", "14 x 14"} and len(boxes) == 2 * 6
    assert "(14 x 14 map)" in result.headline
    judged = summary.set_index("map").loc["14 x 14", "box_accuracy"]
    assert result.headline_value == pytest.approx(judged)
    assert result.claim("text_boxes_accurate").measured == pytest.approx(judged)
    assert "14 x 14 map (56 px input)" in result.claim("text_boxes_accurate").data
    assert "judged on the 14 x 14 map" in result.notes[-1]
    assert "minus 7 x 7" in result.captions["figure11_resolution"]
    with pytest.raises(InputError, match=r"^input_sizes: expected distinct"):
        textdetect.run({**params, "input_sizes": [56, 56]})


def units_result(side: int, precision: list[float]) -> units.UnitsResult:
    """One class, two units, two top images each (pool of 8, 2 of the class)."""
    table = pd.DataFrame({"class": ["cat", "cat"], "rank": [1, 2], "unit": [3, 5],
                          "weight": [1.0, 0.5], "precision": precision,
                          "chance": [0.25, 0.25]})  # fmt: skip
    z = np.zeros((1, 2, 2, 4, 4))
    top = np.zeros((1, 2, 2), int)
    return units.UnitsResult(["cat"], np.array([[3, 5]]), np.ones((1, 2)), top, z,
                             z[..., None].repeat(3, -1), table, np.array([0.4]),
                             map_side=side, input_size=32 * side)  # fmt: skip


def test_units_resolution_table_known_answers():
    # 14x14: unit precisions 1.0 and 0.5 of 2 top images: 3 of 4 (75%); 7x7: 1 of 4 (25%)
    table = units.resolution_table([units_result(7, [0.5, 0.0]), units_result(14, [1.0, 0.5])])
    assert table["map"].tolist() == ["7 x 7", "14 x 14"] and table["input_px"].tolist() == [
        224,
        448,
    ]
    assert table["in_class"].tolist() == [1, 3] and table["top_images"].tolist() == [4, 4]
    assert table["precision"].tolist() == [25.0, 75.0]
    assert table["chance"].tolist() == [25.0, 25.0] and table["score_share"].tolist() == [
        40.0,
        40.0,
    ]


def test_photo_units_input_size_sets_the_map(tmp_path):
    net = stride4_net(1000)
    small, _ = units.photo_units(net, "tiny", ["chelsea"], 1, 2, 1, 0.5, size=32,
                                 cache_dir=tmp_path, input_size=32)  # fmt: skip
    large, classes = units.photo_units(net, "tiny", ["chelsea"], 1, 2, 1, 0.5, size=32,
                                       cache_dir=tmp_path, input_size=64)  # fmt: skip
    assert (small.map_side, small.input_size) == (8, 32)
    assert (large.map_side, large.input_size) == (16, 64)
    assert large.segmented.shape[-3:] == (32, 32, 3)  # pictures stay at the crop size
    assert sorted(p.name for p in tmp_path.glob("*.npz")) == [
        "units-photos-32-32px.npz", "units-photos-32-64px.npz"]  # fmt: skip
    assert list(classes["photo"]) == ["chelsea"]


def test_figure05_photo_maps_at_14x14_with_the_7x7_cam_beside(monkeypatch):
    monkeypatch.setattr(map_benchmark.registry, "build_model", lambda name, n: stride4_net(n))
    params = {"photo_model": "tiny", "photos": ["chelsea", "coffee"],
              "photo_input_sizes": [28, 56], "photo_methods": ["cam", "backprop"],
              "normalisation": "max", "threshold": 0.2, "topk_photo": "chelsea",
              "top_k": 2}  # fmt: skip
    figures, captions, table = map_benchmark._photo_figures(params)
    plt.close("all")
    assert set(figures) == {"figure05_photos", "figure05_topk"}
    assert table["map"].tolist() == ["14 x 14"] * 2 + ["7 x 7"] * 2
    assert table["input_px"].tolist() == [56, 56, 28, 28]
    text = captions["figure05_photos"]
    assert "at 56 px (a 14 x 14 map" in text and "(CAM 14 x 14, Backprop, CAM 7 x 7)" in text
    assert "CAM 7 x 7: the CAM of the same class from the network fed the photo at 28 px" in text
    same = int((table.groupby("photo")["top1_class"].nunique() == 1).sum())
    assert f"for {same} of 2 photos" in captions["figure05_photo_classes"]


def test_resized_cams_lie_over_the_larger_crop():
    net = stride4_net(3)
    cams = map_methods.resized_cams(net, ["chelsea"], torch.tensor([1]), 28, 56)
    assert cams.shape == (1, 56, 56) and 0.0 <= cams.min() and cams.max() <= 1.0
    same = map_methods.resized_cams(net, ["chelsea"], torch.tensor([1]), 56, 56)
    x, _ = map_methods.photo_inputs(["chelsea"], 56)
    direct = map_methods.class_maps(net, x, torch.tensor([1]), "cam").numpy()
    assert np.allclose(same, direct)
