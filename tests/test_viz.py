"""viz: overlay pixels computed by hand from jet's segment data, boxes exactly on their edge
pixels, grids and strips that render, one-line errors naming the argument; figures: maps,
boxes, coverage and IoU on hand-made inputs with known answers."""

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import viz
from cam_core.items import map_benchmark, map_methods
from cam_core.nets.models import CAMNet
from cam_core.nets.registry import build_model
from cam_core.validate import InputError

# jet (matplotlib _jet_data): value 0 -> (0, 0, 0.5), value 1 -> (0.5, 0, 0).
JET_0 = np.array([0.0, 0.0, 0.5])
JET_1 = np.array([0.5, 0.0, 0.0])


def _jet_at_level(level: int) -> np.ndarray:
    """jet at LUT level ``level`` of 256, i.e. x = level / 255, by hand between its nodes."""
    x = level / 255
    assert 0.375 <= x <= 0.64 and 0.35 <= x <= 0.66 and 0.34 <= x <= 0.65  # the middle piece
    red = (x - 0.35) / (0.66 - 0.35)
    blue = 1.0 - (x - 0.34) / (0.65 - 0.34)
    return np.array([red, 1.0, blue])


def _tiny():
    image = np.array([[[100, 50, 200], [10, 20, 30]], [[255, 255, 255], [0, 0, 0]]], np.uint8)
    heat = np.array([[0.0, 1.0], [0.5, 0.0]])
    return image, heat


def test_colorize_matches_hand_computed_jet():
    _, heat = _tiny()
    colours = viz.colorize(heat)
    np.testing.assert_allclose(colours[0, 0], JET_0)
    np.testing.assert_allclose(colours[0, 1], JET_1)
    np.testing.assert_allclose(colours[1, 0], _jet_at_level(128))  # int(0.5 * 256) = 128


def test_overlay_alpha_0_1_and_half_by_hand():
    image, heat = _tiny()
    assert np.array_equal(viz.overlay(image, heat, alpha=0.0), image)
    full = viz.overlay(image, heat, alpha=1.0)
    # alpha 1: only the colour map, 255 * colour rounded half to even (127.5 -> 128)
    assert full[0, 0].tolist() == [0, 0, 128]
    assert full[0, 1].tolist() == [128, 0, 0]
    assert full[1, 0].tolist() == np.rint(255 * _jet_at_level(128)).astype(int).tolist()
    assert full[1, 1].tolist() == [0, 0, 128]
    half = viz.overlay(image, heat, alpha=0.5)
    # (100, 50, 200) / 2 + 255 * (0, 0, 0.5) / 2 = (50, 25, 163.75)
    assert half[0, 0].tolist() == [50, 25, 164]
    # (10, 20, 30) / 2 + 255 * (0.5, 0, 0) / 2 = (68.75, 10, 15)
    assert half[0, 1].tolist() == [69, 10, 15]
    expected = np.rint(0.5 * 255 + 0.5 * 255 * _jet_at_level(128)).astype(int)
    assert half[1, 0].tolist() == expected.tolist()
    assert half.dtype == np.uint8 and half.shape == (2, 2, 3)


def test_overlay_undoes_normalisation_of_a_tensor():
    image, heat = _tiny()
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    x = torch.from_numpy(image).permute(2, 0, 1).double() / 255 - torch.tensor(mean)[:, None, None]
    x = x / torch.tensor(std)[:, None, None]
    assert np.array_equal(viz.to_uint8_image(x, mean, std), image)
    assert np.array_equal(viz.overlay(x.float(), heat, 0.5, mean=mean, std=std),
                          viz.overlay(image, heat, 0.5))  # fmt: skip


def test_gray_map():
    _, heat = _tiny()
    g = viz.gray_map(heat)
    assert g.shape == (2, 2, 3) and g[..., 0].tolist() == [[0, 255], [128, 0]]
    assert np.array_equal(g[..., 0], g[..., 2])


def test_draw_box_puts_colour_exactly_on_the_edges():
    image = np.zeros((10, 12, 3), np.uint8)
    out = viz.draw_box(image, (2, 1, 9, 7), viz.GT_COLOR, width=1)
    expected = np.zeros((10, 12), bool)
    expected[1, 2:9] = expected[6, 2:9] = True  # top and bottom rows (y1 = 7 exclusive)
    expected[1:7, 2] = expected[1:7, 8] = True  # left and right columns (x1 = 9 exclusive)
    painted = (out != 0).any(axis=2)
    assert np.array_equal(painted, expected)
    assert (out[painted] == [0, 255, 0]).all()
    assert not image.any()  # input untouched


def test_draw_box_width_clipping_and_whole_image():
    image = np.full((6, 6, 3), 7, np.uint8)
    out = viz.draw_box(image, (0, 0, 6, 6), viz.PRED_COLOR, width=2)
    painted = (out != 7).any(axis=2)
    assert painted.sum() == 36 - 4 and not painted[2:4, 2:4].any()
    assert (out[painted] == [255, 0, 0]).all()
    clipped = viz.draw_box(image, (-3, 4, 20, 30), viz.PRED_COLOR, width=1)
    assert (clipped[4, :] == [255, 0, 0]).all() and (clipped[5, :] == [255, 0, 0]).all()
    outside = viz.draw_box(image, (8, 8, 9, 9), viz.PRED_COLOR)
    assert np.array_equal(outside, image)


def test_draw_boxes_green_ground_truth_red_prediction_on_top():
    image = np.zeros((8, 8, 3), np.uint8)
    out = viz.draw_boxes(image, gt_boxes=[[0, 0, 8, 8]], pred_boxes=[0, 0, 4, 4], width=1)
    assert out[7, 7].tolist() == [0, 255, 0]
    assert out[0, 0].tolist() == [255, 0, 0]  # shared corner: the prediction drawn last
    assert out[3, 1].tolist() == [255, 0, 0] and out[5, 5].tolist() == [0, 0, 0]


def test_image_grid_and_strip_render_with_titles():
    image, heat = _tiny()
    big = np.kron(image, np.ones((16, 16, 1), np.uint8))
    boxed = viz.draw_boxes(big, gt_boxes=[2, 2, 20, 20], pred_boxes=[8, 8, 30, 30])
    fig = viz.image_grid(
        [[big, boxed], [big, None]],
        row_titles=["a", "b"],
        col_titles=["image", "boxes"],
        captions=[["", "IoU 0.30"], ["x", ""]],
        title="grid",
    )
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    assert fig.axes[0].get_title() == "image" and fig.axes[1].get_xlabel() == "IoU 0.30"
    pixels = viz.figure_to_array(fig)
    assert pixels.dtype == np.uint8 and pixels.shape[2] == 3
    green = (pixels == [0, 255, 0]).all(axis=2).sum()
    red = (pixels == [255, 0, 0]).all(axis=2).sum()
    assert green > 0 and red > 0
    assert viz.figure_png(fig).startswith(b"\x89PNG")
    maps = np.stack([np.kron(heat, np.ones((16, 16)))] * 2)
    strip = viz.topk_strip(big, maps, ["cat", "dog"], [0.7, 0.2])
    assert len(strip.axes) == 3 and strip.axes[1].get_title() == "1. cat\np = 0.70"


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: viz.overlay(np.zeros((2, 2, 3), np.uint8), np.full((2, 2), 1.5)), "heat"),
        (lambda: viz.overlay(np.zeros((2, 2, 3), np.uint8), np.zeros((3, 2))), "heat"),
        (lambda: viz.overlay(np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2)), 2.0), "alpha"),
        (lambda: viz.overlay(np.zeros((2, 2), np.uint8), np.zeros((2, 2))), "image"),
        (lambda: viz.to_uint8_image(np.zeros((3, 2, 2)), mean=(0.5,) * 3), "std"),
        (lambda: viz.colorize(np.zeros((2, 2)), cmap="nope"), "cmap"),
        (lambda: viz.draw_box(np.zeros((4, 4, 3), np.uint8), (3, 0, 1, 2)), "box"),
        (lambda: viz.draw_box(np.zeros((4, 4, 3), np.uint8), (0, 0, 1, 2), (0, 300, 0)), "color"),
        (lambda: viz.draw_box(np.zeros((4, 4, 3), np.uint8), (0, 0, 1, 2), width=0), "width"),
        (lambda: viz.draw_boxes(np.zeros((4, 4, 3), np.uint8), gt_boxes=[1, 2]), "gt_boxes"),
        (lambda: viz.image_grid([]), "cells"),
        (lambda: viz.image_grid([[np.zeros((2, 2, 3))]]), "cells[0][0]"),
        (
            lambda: viz.image_grid([[np.zeros((2, 2, 3), np.uint8)]], col_titles=["a", "b"]),
            "col_titles",
        ),  # fmt: skip
        (
            lambda: viz.topk_strip(
                np.zeros((2, 2, 3), np.uint8), np.zeros((1, 2, 2)), ["a"], [2.0]
            ),
            "probs",
        ),  # fmt: skip
        (lambda: viz.figure_to_array("fig"), "fig"),
    ],
)
def test_bad_inputs_name_the_argument(call, argument):
    with pytest.raises(InputError) as err:
        call()
    message = str(err.value)
    assert message.startswith(f"{argument}: expected") and "\n" not in message


# --- cam_core.items.map_methods: the computations behind Figures 5 and 6 ---------------------


def _channel_camnet() -> CAMNet:
    """A CAMNet whose map is the image itself: CAM of class c = image channel c (c < 2)."""
    fc = nn.Linear(3, 2)
    with torch.no_grad():
        fc.weight.copy_(torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
        fc.bias.zero_()
    return CAMNet(nn.Identity(), 3, 2, classifier=fc)


def _two_rectangles() -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """2 images 16x16: channel 0 lights (2, 3)-(10, 7), channel 1 lights (12, 10)-(15, 14)."""
    x = torch.zeros(2, 3, 16, 16)
    x[:, 0, 3:7, 2:10] = 1.0
    x[:, 1, 10:14, 12:15] = 0.5
    masks = np.zeros((2, 16, 16), bool)
    masks[:, 3:7, 2:10] = True
    boxes = np.array([[2.0, 3.0, 10.0, 7.0]] * 2)
    return x, masks, boxes


def test_class_maps_and_scores_known_answer():
    model = _channel_camnet()
    x, masks, boxes = _two_rectangles()
    maps = map_methods.class_maps(model, x, torch.tensor([0, 1]), "cam")
    assert maps.shape == (2, 16, 16) and float(maps.max()) == 1.0
    assert torch.equal(maps[0] > 0, torch.from_numpy(masks[0]))
    scores = map_methods.localization_scores(model, "cam", x, torch.tensor([0, 1]), boxes, masks)
    # image 0: the true class 0 maps exactly the object; image 1: class 1 lights elsewhere
    assert scores["iou"].tolist() == [1.0, 0.0]
    assert scores["coverage"].tolist() == [1.0, 0.0]
    assert scores["on_object"].tolist() == [1.0, 0.0]
    assert scores[["x0", "y0", "x1", "y1"]].iloc[1].tolist() == [12.0, 10.0, 15.0, 14.0]
    # channel 0 sums to 32 > channel 1's 6: both images are predicted class 0
    assert scores["predicted"].tolist() == [0, 0] and scores["correct"].tolist() == [True, False]
    top1 = map_methods.localization_scores(model, "cam", x, torch.tensor([0, 1]), boxes, masks,
                                       class_source="top1")  # fmt: skip
    assert top1["iou"].tolist() == [1.0, 1.0]
    summary = map_methods.summarize({"cam": scores, "top1": top1})
    assert summary["mean_iou"].tolist() == [0.5, 1.0]
    assert summary["box_accuracy"].tolist() == [0.5, 1.0]
    assert summary["top1_accuracy"].tolist() == [0.5, 0.5]


def test_class_maps_methods_on_a_small_net():
    torch.manual_seed(0)
    gap = build_model("small-alexnet-gap", 4, width=0.25)
    fc = build_model("small-alexnet", 4, width=0.25)
    x = torch.randn(2, 3, 32, 32)
    y = torch.tensor([1, 3])
    nets = {"cam": (gap, "cam"), "bp": (fc, "backprop"), "gc": (gap, "gradcam")}
    maps = map_methods.maps_for(nets, x, y)
    for m in maps.values():
        assert m.shape == (2, 32, 32) and m.min() >= 0 and np.isclose(m.max(), 1.0)
    # on a GAP net Grad-CAM = ReLU(CAM) up to a constant, so the max-normalised maps agree
    np.testing.assert_allclose(maps["cam"], maps["gc"], atol=1e-5)
    scores = map_methods.scores_for({"bp": (fc, "backprop")}, x, y, np.array([[0, 0, 8, 8]] * 2))
    assert scores["bp"]["coverage"].isna().all() and len(scores["bp"]) == 2


def _constant_scores(coverage: float, n: int = 20) -> pd.DataFrame:
    """``n`` images, each with coverage and on-object share ``coverage``, all correct."""
    return pd.DataFrame(
        {"image": range(n), "correct": True, "coverage": coverage, "on_object": coverage}
    )


def test_map_claims_every_cam_against_every_baseline():
    # the old summary verdict's cases, per image: constant scores make every bootstrap
    # replicate equal to the difference itself, so each interval is that one number
    scores = {name: _constant_scores(v) for name, v in {"a": 0.6, "b": 0.5, "bp": 0.4}.items()}
    found = map_benchmark.map_claims(scores, ["a", "b"], ["bp"], num_classes=4)
    assert [c.claim_id for c in found] == [
        "coverage: a vs bp", "coverage: b vs bp", "on_object: a vs bp", "on_object: b vs bp",
    ]  # fmt: skip
    assert [c.verdict for c in found] == ["holds"] * 4
    assert found[0].measured == pytest.approx(20.0) and found[1].measured == pytest.approx(10.0)
    assert found[1].low == pytest.approx(10.0) and found[1].high == pytest.approx(10.0)
    lower = map_benchmark.map_claims(scores, ["b"], ["a"], num_classes=4)
    assert [c.verdict for c in lower] == ["does not hold"] * 2
    with pytest.raises(InputError, match="^scores: expected"):
        map_benchmark.map_claims(scores, ["c"], ["a"], num_classes=4)


def test_take_box_masks_and_dataset_scores_in_batches():
    x, masks, boxes = _two_rectangles()
    items = [(x[i], i, torch.tensor([list(boxes[i]), [float("nan")] * 4])) for i in range(2)]
    batch = map_benchmark.take(items, [1, 0])
    assert batch.labels.tolist() == [1, 0] and batch.images.shape == (2, 16, 16, 3)
    assert [b.tolist() for b in batch.gt_boxes] == [[list(boxes[1])], [list(boxes[0])]]
    # pixel centres inside (2, 3)-(10, 7): the rectangle's own pixels
    assert np.array_equal(map_benchmark.box_masks(batch.gt_boxes, (16, 16))[0], masks[0])
    scored = map_benchmark.ScoredSet(items, None, ["a", "b"], "two")
    scores = map_benchmark.dataset_scores({"cam": (_channel_camnet(), "cam")}, scored, batch_size=1)
    assert scores["cam"]["image"].tolist() == [0, 1]
    assert scores["cam"]["coverage"].tolist() == [1.0, 0.0]
    assert map_methods.summarize(scores, percent=True)["coverage"].tolist() == [50.0]


def test_crop_box_follows_preprocess_imagenet():
    # 300 x 450 photo: shorter side 300 -> 224, width 336, centre crop from x = 56
    np.testing.assert_allclose(
        map_methods.crop_box((75, 0, 375, 300), (300, 450)), [0, 0, 224, 224]
    )
    np.testing.assert_allclose(
        map_methods.crop_box((0, 30, 450, 60), (300, 450)), [0, 22.4, 224, 44.8]
    )
    table = map_methods.photo_boxes()
    assert {"chelsea", "coffee"} <= set(table["photo"])
    crop = table[["crop_x0", "crop_y0", "crop_x1", "crop_y1"]].to_numpy()
    assert (crop >= 0).all() and (crop <= 224).all() and (crop[:, 2:] > crop[:, :2]).all()
    assert map_methods.annotated_boxes(table, ["coffee", "chelsea"]).shape == (2, 4)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (
            lambda: map_methods.class_maps(
                _channel_camnet(), torch.zeros(1, 3, 4, 4), torch.tensor([0]), "nope"
            ),
            "method",
        ),  # fmt: skip
        (
            lambda: map_methods.class_maps(
                nn.Linear(2, 2), torch.zeros(1, 3, 4, 4), torch.tensor([0]), "cam"
            ),
            "model",
        ),  # fmt: skip
        (
            lambda: map_methods.class_maps(
                _channel_camnet(), torch.zeros(1, 3, 4, 4), torch.tensor([0, 1])
            ),
            "classes",
        ),  # fmt: skip
        (
            lambda: map_methods.localization_scores(
                _channel_camnet(),
                "cam",
                torch.zeros(1, 3, 4, 4),
                torch.tensor([0]),
                np.zeros((2, 4)),
            ),
            "gt_boxes",
        ),  # fmt: skip
        (lambda: map_methods.annotated_boxes(map_methods.photo_boxes(), ["astronaut"]), "names"),
    ],
)
def test_figures_bad_inputs_name_the_argument(call, argument):
    with pytest.raises(InputError) as err:
        call()
    assert str(err.value).startswith(f"{argument}: expected") and "\n" not in str(err.value)


def test_map_grid_and_box_grid_layout():
    images = np.zeros((2, 16, 16, 3), np.uint8)
    heat = np.zeros((2, 16, 16))
    heat[:, 4:8, 4:8] = 1.0
    fig = viz.map_grid(
        images,
        {"CAM": heat, "Backprop": heat},
        styles={"Backprop": "gray"},
        gt_boxes=np.array([[0, 0, 16, 16]] * 2),
        pred_boxes={"CAM": np.array([[4, 4, 8, 8]] * 2)},
        captions={"CAM": ["IoU 0.06", "IoU 0.06"]},
        row_titles=["one", "two"],
    )
    assert len(fig.axes) == 6 and [a.get_title() for a in fig.axes[:3]] == [
        "image",
        "CAM",
        "Backprop",
    ]
    assert fig.axes[1].get_xlabel() == "IoU 0.06" and fig.axes[0].get_ylabel() == "one"
    pixels = viz.figure_to_array(fig)
    assert (pixels == [0, 255, 0]).all(axis=2).any() and (pixels == [255, 0, 0]).all(axis=2).any()
    flipped = viz.map_grid(images, {"CAM": heat, "Backprop": heat}, row_titles=["one", "two"],
                           transpose=True)  # fmt: skip
    assert [a.get_title() for a in flipped.axes[:2]] == ["one", "two"]
    assert [flipped.axes[i].get_ylabel() for i in (0, 2, 4)] == ["image", "CAM", "Backprop"]
    grid = viz.box_grid(np.zeros((5, 8, 8, 3), np.uint8), np.array([[1, 1, 4, 4]] * 5), ncols=2)
    assert len(grid.axes) == 6  # 3 rows of 2, the last cell empty
    with pytest.raises(InputError, match="^styles: expected"):
        viz.map_grid(images, {"CAM": heat}, styles={"CAM": "sepia"})
    with pytest.raises(InputError, match="^pred_boxes: expected"):
        viz.map_grid(images, {"CAM": heat}, pred_boxes={"other": np.zeros((2, 4))})


def test_gray_map_stretch_is_display_only():
    heat = np.zeros((10, 10))
    heat[0, 0] = 1.0
    heat[1:, :] = 0.1
    g = viz.gray_map(heat, clip_percentile=50)
    assert g[5, 5, 0] == 255 and g[0, 0, 0] == 255  # 0.1 / median 0.1 = 1
    assert viz.gray_map(heat)[5, 5, 0] == 26


def test_figure_bodies_on_the_smoke_recipe(tmp_path):
    """Figures 5 and 6 end to end on the smoke recipe (tiny nets, 1 epoch, cached in tmp)."""
    experiments = pytest.importorskip("cam_core.items.tables123")
    from cam_core.common import profiles

    params = profiles.validate_parameters("figure06", profile="smoke", out_dir=str(tmp_path))
    recipe = experiments.recipe_for(params)
    splits = experiments.load_splits(recipe, 4)
    family = map_methods.first_seed_family(["small-googlenet-gap", "small-alexnet"], recipe, splits)
    assert [len(v) for v in family.values()] == [1, 1]  # one seed, even for headline nets
    examples = map_benchmark.box_examples(
        family, recipe, splits, "small-googlenet-gap", "small-alexnet", 3, pairs=2
    )
    assert list(examples.summary["maps"]) == ["GoogLeNet-GAP", "Backprop AlexNet"]
    assert examples.summary["images"].tolist() == [4, 4]
    # 4 scored images < MIN_IMAGES: the claim keeps its numbers but is not tested
    assert examples.claim.verdict == "not tested" and "4 scored images" in examples.claim.reason
    assert examples.claim.low <= examples.claim.measured <= examples.claim.high
    assert len(examples.boxes_figure.axes) == 3 and len(examples.pair_figure.axes) == 6
    comparison = map_benchmark.map_comparison(
        family, recipe, ["small-googlenet-gap"], ["small-alexnet"], 2, 4
    )
    assert comparison.summary["images"].tolist() == [4, 4]
    assert comparison.scored.masks.shape == (4, recipe.image_size, recipe.image_size)
    assert len(comparison.figure.axes) == 2 * 3
    assert [c.claim_id for c in comparison.claims] == [
        "coverage: GoogLeNet-GAP vs Backprop AlexNet",
        "on_object: GoogLeNet-GAP vs Backprop AlexNet",
    ]
    assert all(-100 <= c.measured <= 100 for c in comparison.claims)
