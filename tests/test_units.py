"""Known-answer tests for class-specific units (Fig 13)."""

import numpy as np
import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import claims
from cam_core.items import units
from cam_core.nets.models import CAMNet
from cam_core.validate import InputError


def test_top_units_follow_the_hand_set_weights():
    weight = torch.tensor([[0.0, 3.0, 1.0, 2.0], [5.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    assert units.top_units(weight, [0, 1], 2).tolist() == [[1, 3], [0, 3]]
    assert units.top_units(weight, [2], 3).tolist() == [[0, 1, 2]]  # ties: lower index first
    assert units.top_units(weight.numpy(), [1], 1).tolist() == [[0]]


def test_top_images_rank_by_the_units_gap_value():
    gap = np.array([[0.1, 5.0], [0.9, 1.0], [0.5, 3.0], [0.0, 4.0]])
    top = units.top_images(gap, np.array([[0, 1]]), 2)
    assert top.shape == (1, 2, 2)
    assert top[0, 0].tolist() == [1, 2] and top[0, 1].tolist() == [0, 3]


def test_unit_masks_segment_the_units_own_region():
    maps = torch.zeros(2, 3, 2, 2)
    maps[0, 1, 0, 0] = 4.0  # unit 1 fires top-left in image 0
    maps[1, 2, 1, 1] = 2.0  # unit 2 fires bottom-right in image 1
    maps[1, 1, 0, 0] = 9.0  # another unit: ignored
    heat, masks = units.unit_masks(maps, np.array([1, 2]), 8, 0.5)
    assert heat.shape == masks.shape == (2, 8, 8) and heat.max() == pytest.approx(1.0)
    assert masks[0, :2, :2].all() and not masks[0, 4:, :].any()
    assert masks[1, 6:, 6:].all() and not masks[1, :4, :].any()
    images = np.full((2, 8, 8, 3), 200, np.uint8)
    cut = units.segment(images, masks)
    assert (cut[masks] == 200).all() and (cut[~masks] == 30).all()


def test_precision_and_score_share_by_hand():
    top = np.array([[[0, 1], [2, 3]]])  # class 0: unit A -> images 0, 1; unit B -> 2, 3
    labels = np.array([0, 0, 1, 0])
    assert units.unit_precision(top, labels, [0]).tolist() == [[1.0, 0.5]]
    gap = np.array([[1.0, 1.0, 2.0], [3.0, 0.0, 1.0]])
    weight = np.array([[1.0, 2.0, 1.0]])
    # image 0: total 1 + 2 + 2 = 5, unit 1 carries 2; image 1: total 4, unit 1 carries 0
    share = units.score_share(gap, weight, np.array([0, 0]), [0], np.array([[1]]))
    assert share[0] == pytest.approx((2 / 5 + 0 / 4) / 2)


def test_class_units_find_the_planted_class_units():
    # 4 units; unit 0 fires on class-0 images, unit 3 on class-1 images; the classifier
    # weights them highest for their class.
    classifier = nn.Linear(4, 2)
    with torch.no_grad():
        classifier.weight.copy_(torch.tensor([[2.0, 0.1, 0.0, 0.0], [0.0, 0.0, 0.2, 3.0]]))
    model = CAMNet(nn.Identity(), 4, 2, classifier=classifier)
    labels = np.array([0, 1, 0, 1, 0, 1])
    maps = torch.rand(6, 4, 3, 3, generator=torch.Generator().manual_seed(0)) * 0.1
    maps[labels == 0, 0] += 1.0
    maps[labels == 1, 3] += 1.0
    images = np.zeros((6, 12, 12, 3), np.uint8)
    result = units.class_units(model, images, labels, [0, 1], ["a", "b"], 1, 3, maps=maps)
    assert result.units.tolist() == [[0], [3]]
    assert result.weights.tolist() == [[2.0], [3.0]]
    assert result.precision == 1.0 and result.chance == 0.5
    # precision 6/6 = 100% (Clopper-Pearson 95% [54.1, 100]); chance 0.5 puts the boundary
    # at max(50%, 2 x 50%) = 100%, which the interval touches: not distinguishable
    assert units.unit_hits(result) == (6, 6)
    assert result.class_counts.tolist() == [3, 3]
    claim = units.units_claim("c", "t", *units.unit_hits(result), result.chance)
    assert claim.measured == 100.0 and claim.verdict == "not distinguishable"
    assert result.segmented.shape == (2, 1, 3, 12, 12, 3)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: units.top_units(torch.ones(2, 3), [0], 0), "k"),
        (lambda: units.top_units(torch.ones(2, 3), [5], 1), "classes"),
        (lambda: units.top_images(np.ones((3, 2)), np.array([0]), 4), "n"),
        (lambda: units.unit_masks(torch.ones(1, 2, 2, 2), np.array([0]), 4, 1.5), "threshold"),
        (lambda: units.photo_crops(["chelsea"], 0), "per_photo"),
    ],
)
def test_bad_input_is_a_one_line_error_naming_the_argument(call, name):
    with pytest.raises(InputError, match=rf"^{name}: expected") as info:
        call()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("hits", "total", "chance", "ok", "verdict"),
    [
        # 20/20 = 100%, Clopper-Pearson 95% [83.2, 100]; boundary max(50, 2 x 10) = 50%
        (20, 20, 0.10, True, "holds"),
        # chance 40%: boundary max(50, 80) = 80%, still below 83.2
        (20, 20, 0.40, True, "holds"),
        # 2/20 = 10%, [1.2, 31.7]: wholly below 50%
        (2, 20, 0.10, True, "does not hold"),
        # 10/20 = 50%, [27.2, 72.8]: straddles 50%
        (10, 20, 0.10, True, "not distinguishable"),
        # 20/20 but a failed precondition (e.g. a network near chance): not tested
        (20, 20, 0.10, False, "not tested"),
    ],
)
def test_units_claim_known_answers(hits, total, chance, ok, verdict):
    claim = units.units_claim("bench", "t", hits, total, chance, [(ok, "near chance")])
    assert claim.measured == pytest.approx(100 * hits / total) and claim.verdict == verdict
    assert claim.criterion.endswith(f"above {max(50.0, 200 * chance):.1f}%")
    assert claim.reason == ("" if ok else "near chance")


def colour_pool() -> tuple[CAMNet, np.ndarray, np.ndarray]:
    """Units = the ImageNet-normalised R, G, B; class red/blue/green weights its own colour;
    a pool of 6 red, 6 blue and 12 green 16 px images (labels 0, 1, 2)."""
    classifier = nn.Linear(3, 3)
    with torch.no_grad():
        classifier.weight.copy_(torch.tensor([[1.0, 0, 0], [0, 0, 1], [0, 1, 0]]))
        classifier.bias.zero_()
    labels = np.repeat([0, 1, 2], [6, 6, 12])
    colours = np.array([[255, 0, 0], [0, 0, 255], [0, 255, 0]], np.uint8)
    images = np.broadcast_to(colours[labels][:, None, None], (24, 16, 16, 3)).copy()
    return CAMNet(nn.Identity(), 3, 3, classifier=classifier), images, labels


def test_benchmark_part_claim_and_its_near_chance_precondition():
    net, images, labels = colour_pool()
    names = ["red", "blue", "green"]
    result = units.benchmark_units(net, images, labels, names, ["red", "blue"], 1, 6, 0.5)
    # unit R's top 6 are the red images, unit B's the blue ones: 12/12, Clopper-Pearson 95%
    # lower end 0.025 ** (1 / 12) = 73.5%; chance 6 / 24 = 25%, boundary max(50, 50) = 50%
    assert result.units.tolist() == [[0], [2]] and result.error == 0.0
    claim = units._part_claim("benchmark_units", "t", result)
    assert claim.measured == 100.0 and claim.low == pytest.approx(100 * 0.025 ** (1 / 12))
    assert claim.verdict == "holds"
    # labels rotated: the network is wrong on every image (100% error, chance 66.7%): near
    # chance, so not tested, whatever the precision
    wrong = units.benchmark_units(net, images, (labels + 1) % 3, names, ["red", "blue"], 1, 6, 0.5)
    assert wrong.error == 100.0 and claims.near_chance(wrong.error, 3)
    pre = (not claims.near_chance(wrong.error, 3), "near chance")
    assert units._part_claim("benchmark_units", "t", wrong, [pre]).verdict == "not tested"
    # a class with fewer pool images (6) than top images per unit (7): not tested
    few = units.benchmark_units(net, images, labels, names, ["red", "blue"], 1, 7, 0.5)
    claim = units._part_claim("benchmark_units", "t", few)
    assert claim.verdict == "not tested" and "6 pool images, fewer than the 7" in claim.reason
