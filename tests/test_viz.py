"""viz: overlay pixels computed by hand from jet's segment data, boxes exactly on their edge
pixels, grids and strips that render, one-line errors naming the argument."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core import viz
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
