"""Shared argument checks: each failure is one line naming the argument."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from cam_core.validate import InputError, check_array, check_boxes, check_classes


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: check_array("features", torch.zeros(2, 3), 4, "(N, K, H, W)"),
            "features: expected a 4-D array (N, K, H, W), got shape (2, 3)",
        ),
        (
            lambda: check_array("maps", np.zeros((2, 3)), (3, 4)),
            "maps: expected a 3-D or 4-D array, got shape (2, 3)",
        ),
        (
            lambda: check_array("score_map", torch.tensor([[0.0, float("nan")]])),
            "score_map: expected finite values, got NaN or inf",
        ),
        (
            lambda: check_array("images", np.zeros((0, 3, 8, 8)), 4),
            "images: expected a non-empty array, got shape (0, 3, 8, 8)",
        ),
        (
            lambda: check_array("images", [[1.0]], 2),
            "images: expected a torch.Tensor or numpy array, got list",
        ),
        (
            lambda: check_boxes("gt_boxes", [[3, 0, 1, 2]]),
            "gt_boxes: expected x0 <= x1 in every box, got [3.0, 0.0, 1.0, 2.0]",
        ),
        (
            lambda: check_boxes("gt_boxes", [[0, 5, 1, 2]]),
            "gt_boxes: expected y0 <= y1 in every box, got [0.0, 5.0, 1.0, 2.0]",
        ),
        (
            lambda: check_boxes("pred_boxes", np.zeros((2, 3))),
            "pred_boxes: expected boxes of shape (..., 4) as (x0, y0, x1, y1), got shape (2, 3)",
        ),
        (
            lambda: check_classes("classes", torch.tensor([[0, 7]]), 5),
            "classes: expected class indices in [0, 5), got range [0, 7]",
        ),
        (
            lambda: check_classes("classes", torch.tensor([-1]), 5),
            "classes: expected class indices in [0, 5), got range [-1, -1]",
        ),
        (
            lambda: check_classes("classes", torch.tensor([0.5]), 5),
            "classes: expected integer class indices, got dtype torch.float32",
        ),
    ],
)
def test_errors_are_one_line_and_exact(call, message):
    with pytest.raises(InputError) as caught:
        call()
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_good_input_passes_and_boxes_come_back_as_float64():
    check_array("features", torch.ones(1, 2, 3, 3), 4)
    check_classes("classes", torch.tensor([0, 4]), 5)
    boxes = check_boxes("boxes", torch.tensor([[0, 0, 0, 0], [1, 2, 3, 4]]))
    assert boxes.dtype == np.float64 and boxes.tolist() == [[0, 0, 0, 0], [1, 2, 3, 4]]


def test_cam_core_makes_torchvision_importable_in_a_fresh_interpreter():
    code = "import cam_core, torchvision; print(torchvision.models.vgg16().features[28])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-1000:]
    assert "Conv2d(512, 512, kernel_size=(3, 3)" in done.stdout


def test_all_finite_by_the_sum_and_its_overflow_fallback():
    from cam_core.validate import all_finite

    big = np.float32(3e38)  # two of them overflow a float32 sum to inf, yet both are finite
    assert all_finite(torch.tensor([big, big])) and all_finite(np.array([big, big]))
    assert not all_finite(torch.tensor([big, float("inf")]))
    assert not all_finite(torch.tensor([float("inf"), -float("inf")]))  # the sum is NaN
    assert not all_finite(np.array([1.0, np.nan])) and all_finite(np.zeros((2, 3)))
