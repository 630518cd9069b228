"""Known-answer tests for cam_core.core.boxes: tiny maps whose boxes can be checked by eye."""

import numpy as np
import pytest
import torch
from scipy import ndimage

from cam_core.core.boxes import (
    alive_pairs,
    boxes_from_maps,
    component_tree,
    largest_component_box,
    largest_component_boxes_sweep,
    released_boxes,
    tight_loose_top5,
)
from cam_core.validate import InputError


def box(*b: float) -> np.ndarray:
    return np.array(b, dtype=np.float64)


# ----------------------------------------------------------------------------- paper rule


def test_largest_of_two_components_wins():
    m = np.array(
        [
            [0, 0, 0, 0, 0, 0],
            [0, 5, 0, 0, 0, 0],
            [0, 0, 0, 4, 4, 0],
            [0, 0, 0, 4, 4, 0],
            [0, 0, 0, 0, 4, 0],
        ],
        dtype=float,
    )
    # the peak pixel is alone; the 5-pixel blob spans columns 3..4, rows 2..4
    np.testing.assert_array_equal(largest_component_box(m), box(3, 2, 5, 5))


def test_diagonal_contact_joins_components_8_connectivity():
    m = np.array(
        [
            [1, 0, 0, 0, 1],
            [0, 1, 0, 0, 1],
            [0, 0, 1, 0, 0],
        ],
        dtype=float,
    )
    # 8-connected: the diagonal is one 3-pixel component and beats the vertical pair
    np.testing.assert_array_equal(largest_component_box(m), box(0, 0, 3, 3))


def test_box_convention_pixel_edges_exclusive():
    m = np.zeros((4, 8))
    m[0:2, 2:5] = 1.0  # columns 2..4, rows 0..1 inclusive
    np.testing.assert_array_equal(largest_component_box(m), box(2, 0, 5, 2))


@pytest.mark.parametrize("fill", [0.0, -3.0])
def test_no_positive_evidence_gives_whole_image(fill):
    m = np.full((3, 5), fill)
    np.testing.assert_array_equal(largest_component_box(m), box(0, 0, 5, 3))


def test_constant_positive_map_gives_whole_image():
    np.testing.assert_array_equal(largest_component_box(np.full((4, 6), 2.5)), box(0, 0, 6, 4))


def test_threshold_boundary_is_inclusive():
    m = np.array([[0, 0, 0, 0], [0, 10, 2, 0], [0, 0, 0, 0]], dtype=float)
    np.testing.assert_array_equal(largest_component_box(m), box(1, 1, 3, 2))  # 2 >= 0.2 * 10
    m[1, 2] = 1.999
    np.testing.assert_array_equal(largest_component_box(m), box(1, 1, 2, 2))


def test_equal_size_tie_goes_to_first_pixel_in_row_major_order():
    m = np.array([[0, 0, 0, 1, 1], [1, 1, 0, 0, 0]], dtype=float)
    # both have 2 pixels; the top-right pair starts first in [y, x] raster order
    np.testing.assert_array_equal(largest_component_box(m), box(3, 0, 5, 1))


def test_negative_values_fall_below_threshold():
    m = np.array([[-5, -5, 0], [-5, 10, 3], [0, 0, 0]], dtype=float)
    np.testing.assert_array_equal(largest_component_box(m), box(1, 1, 3, 2))


def test_batched_equals_per_map_numpy_torch_and_4d():
    rng = np.random.default_rng(0)
    maps = rng.random((6, 9, 11)) ** 3 - 0.1
    maps[2] = 0.0
    per_map = np.stack([largest_component_box(m, 0.3) for m in maps])
    np.testing.assert_array_equal(boxes_from_maps(maps, 0.3), per_map)
    np.testing.assert_array_equal(boxes_from_maps(torch.from_numpy(maps).float(), 0.3), per_map)
    four = boxes_from_maps(maps.reshape(2, 3, 9, 11), 0.3)
    assert four.shape == (2, 3, 4)
    np.testing.assert_array_equal(four.reshape(6, 4), per_map)


def test_batched_matches_scipy_reference_on_random_maps():
    rng = np.random.default_rng(1)
    maps = rng.integers(0, 5, (40, 7, 8)).astype(float)
    got = boxes_from_maps(maps)
    for m, b in zip(maps, got, strict=True):
        fg = m >= 0.2 * m.max() if m.max() > 0 else np.ones_like(m, bool)
        lab, _ = ndimage.label(fg, structure=np.ones((3, 3)))
        sizes = np.bincount(lab.ravel())[1:]
        ys, xs = np.nonzero(lab == np.argmax(sizes) + 1)
        np.testing.assert_array_equal(b, box(xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))


@pytest.mark.parametrize(
    ("maps", "kwargs", "name"),
    [
        (np.full((2, 3, 3), np.nan), {}, "maps"),
        (np.zeros((3, 3)), {}, "maps"),
        (np.zeros((0, 3, 3)), {}, "maps"),
        (np.zeros((1, 3, 3)), {"threshold": 1.5}, "threshold"),
        (np.zeros((1, 3, 3)), {"rule": "nope"}, "rule"),
        ([[0.0]], {}, "maps"),
    ],
)
def test_boxes_from_maps_bad_input(maps, kwargs, name):
    with pytest.raises(InputError, match=f"^{name}"):
        boxes_from_maps(maps, **kwargs)


def test_largest_component_box_bad_input():
    with pytest.raises(InputError, match="^score_map"):
        largest_component_box(np.zeros((2, 2, 2)))


# ------------------------------------------------------------ released multi-threshold rule


def test_released_rule_hand_made_map():
    m = np.zeros((16, 16))
    m[1:7, 1:7] = 150  # A: > 20, 100, 110
    m[3, 3] = 255
    m[8:11, 1:4] = 50  # B: > 20 only
    m[8:10, 6:10] = 105  # C: > 20 and 100
    # rects (x, y, w, h), largest first: A@20, A@100, A@110 (36), B (9), C@20, C@100 (8).
    # mergeBBox erases A@100 and then skips A@110 (the C++ loop advances after an erase),
    # so A survives twice; C@100 is merged into C@20.
    expected = [box(1, 1, 7, 7), box(1, 1, 7, 7), box(1, 8, 4, 11), box(6, 8, 10, 10)]
    np.testing.assert_array_equal(released_boxes(m), np.stack(expected))
    np.testing.assert_array_equal(released_boxes(m / 255.0), np.stack(expected))  # max-norm


def test_released_rule_hole_contours():
    m = np.zeros((16, 16))
    m[1:10, 1:10] = 200
    m[5, 5] = 0  # a one-pixel hole: its contour runs on the 3x3 ring around it
    expected = [box(1, 1, 10, 10), box(1, 1, 10, 10), box(4, 4, 7, 7), box(4, 4, 7, 7)]
    np.testing.assert_array_equal(released_boxes(m), np.stack(expected))


def test_released_rule_distance_transform_erosion():
    m = np.zeros((60, 60))
    m[4:56, 4:56] = 1.0  # max inner distance 26: the d=1 ring scales to 9.8 -> 10, not > 10
    b = released_boxes(m)
    np.testing.assert_array_equal(b[0], box(5, 5, 55, 55))


def test_released_rule_edge_clamp_reproduced():
    m = np.zeros((10, 10))
    m[1, 8] = 1.0
    # LIMIT: x -> W-5 = 5, width -> W-8-5 = -3; MATLAB's min/max gives columns 2..5
    np.testing.assert_array_equal(released_boxes(m), np.stack([box(2, 1, 5, 2)] * 2))
    np.testing.assert_array_equal(released_boxes(m, edge_margin=0)[0], box(8, 1, 9, 2))


def test_released_rule_normalisation_modes():
    m = np.full((12, 12), 0.5)
    m[2:4, 2:4] = 1.0
    # max: the background is grey 128 > 110, so everything passes (then the 5-px clamp)
    np.testing.assert_array_equal(released_boxes(m)[0], box(0, 0, 7, 7))
    # minmax: the background is 0
    np.testing.assert_array_equal(released_boxes(m, normalize="minmax")[0], box(2, 2, 4, 4))


def test_released_rule_empty_map_and_batched_first_box():
    assert released_boxes(np.zeros((8, 8))).shape == (0, 4)
    maps = np.zeros((2, 16, 16))
    maps[1, 1:7, 1:7] = 1.0
    got = boxes_from_maps(maps, rule="released_multi_threshold")
    np.testing.assert_array_equal(got, np.stack([box(0, 0, 16, 16), box(1, 1, 7, 7)]))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"normalize": "z"}, "normalize"),
        ({"thresholds": (20, 300)}, "thresholds"),
        ({"edge_margin": -1}, "edge_margin"),
    ],
)
def test_released_rule_bad_input(kwargs, name):
    with pytest.raises(InputError, match=f"^{name}"):
        released_boxes(np.zeros((8, 8)), **kwargs)
    with pytest.raises(InputError, match="^score_map"):
        released_boxes(np.zeros((4, 8)))  # not taller than the 5-px margin


# ----------------------------------------------------------------------- tight + loose top-5


def _three_cams() -> np.ndarray:
    c0 = np.zeros((6, 6))
    c0[1:4, 1:4] = 3
    c0[2, 2] = 10
    c1 = np.zeros((6, 6))
    c1[3:5, 3:6] = 3
    c1[4, 4] = 10
    c2 = np.zeros((6, 6))
    c2[0, 0] = 1
    return np.stack([c0, c1, c2])[None]


def test_tight_loose_top5_order_and_classes():
    classes, boxes = tight_loose_top5(_three_cams(), np.array([[7, 3, 9]]))
    np.testing.assert_array_equal(classes, [[7, 7, 3, 3, 9]])
    expected = [
        box(1, 1, 4, 4),  # top-1 loose (>= 2)
        box(2, 2, 3, 3),  # top-1 tight (>= 4)
        box(3, 3, 6, 5),  # top-2 loose
        box(4, 4, 5, 5),  # top-2 tight
        box(0, 0, 1, 1),  # top-3 loose
    ]
    np.testing.assert_array_equal(boxes[0], np.stack(expected))


def test_tight_loose_top5_released_rule_and_torch():
    cams = np.zeros((1, 4, 16, 16))
    cams[0, :, 1:7, 1:7] = 150
    cams[0, :, 8:11, 1:4] = 50
    classes, boxes = tight_loose_top5(
        torch.from_numpy(cams), torch.tensor([[1, 2, 3, 4]]), rule="released_multi_threshold"
    )
    np.testing.assert_array_equal(classes, [[1, 1, 2, 2, 3]])
    # bbox1 = A, bbox2 = A again (the merge skip), as in ILSVRC_evaluate_bbox.m
    np.testing.assert_array_equal(boxes[0], np.stack([box(1, 1, 7, 7)] * 5))


@pytest.mark.parametrize(
    ("cams", "top", "kwargs", "name"),
    [
        (np.zeros((1, 2, 4, 4)), np.zeros((1, 2), int), {}, "cams"),
        (np.zeros((1, 3, 4, 4)), np.zeros((2, 3), int), {}, "top_classes"),
        (np.zeros((1, 3, 4, 4)), np.zeros((1, 3)), {}, "top_classes"),
        (np.zeros((1, 3, 4, 4)), np.zeros((1, 3), int), {"tight_threshold": 0.1}, "tight"),
    ],
)
def test_tight_loose_top5_bad_input(cams, top, kwargs, name):
    with pytest.raises(InputError, match=f"^{name}"):
        tight_loose_top5(cams, top, **kwargs)


# ---------------------------------------------------------------------- threshold sweep


def _components(m: np.ndarray, t: float) -> set[tuple[float, ...]]:
    lab, _ = ndimage.label(m >= t, structure=np.ones((3, 3)))
    out = set()
    for sl in ndimage.find_objects(lab):
        out.add((sl[1].start, sl[0].start, sl[1].stop, sl[0].stop))
    return out


def test_component_tree_lists_every_component_at_every_threshold():
    rng = np.random.default_rng(2)
    maps = rng.integers(0, 6, (12, 7, 9)).astype(float)
    th = np.array([0.5, 1, 2, 3, 4, 5, 6])
    tree = component_tree(maps, th)
    node, j = alive_pairs(tree.birth, tree.death)
    for i, m in enumerate(maps):
        for jj, t in enumerate(th):
            sel = node[(tree.map_index[node] == i) & (j == jj)]
            got = {tuple(b) for b in tree.boxes[sel].astype(int).tolist()}
            assert got == _components(m, t), (i, t)
            assert tree.area[sel].sum() == (m >= t).sum()


def test_sweep_matches_paper_rule_at_each_threshold():
    rng = np.random.default_rng(3)
    maps = rng.integers(1, 6, (10, 6, 7)).astype(float)
    th = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    boxes, valid = largest_component_boxes_sweep(maps, th)
    assert valid.all()
    for j, t in enumerate(th):
        # relative threshold t / max reproduces the absolute one wherever max == 5
        ref = boxes_from_maps(maps, t / 5.0)
        has5 = maps.reshape(10, -1).max(1) == 5
        np.testing.assert_array_equal(boxes[has5, j], ref[has5])


def test_sweep_marks_thresholds_above_the_max_invalid():
    boxes, valid = largest_component_boxes_sweep(np.ones((1, 2, 2)), [0.5, 2.0])
    np.testing.assert_array_equal(valid, [[True, False]])
    np.testing.assert_array_equal(boxes[0, 0], box(0, 0, 2, 2))


def test_sweep_bad_thresholds():
    with pytest.raises(InputError, match="^thresholds"):
        largest_component_boxes_sweep(np.ones((1, 2, 2)), [0.5, 0.2])
