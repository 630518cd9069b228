"""The released ten-crop protocol on hand-made images and maps (prepare_image.m, mergeTenCrop.m)."""

import pytest
import torch

from cam_core.core.tencrop import merge_ten_crops, ten_crop_offsets, ten_crop_scores, ten_crops
from cam_core.validate import InputError


def test_offsets_are_the_released_order():
    # prepare_image.m: indices = [1, 33] (1-based); for i (x), for j (y); centre floor(33/2)+1 = 17
    expected = [(0, 0), (0, 32), (32, 0), (32, 32), (16, 16)]
    assert ten_crop_offsets() == [(*o, False) for o in expected] + [(*o, True) for o in expected]


def test_each_crop_is_cut_at_its_place_and_mirrored():
    y, x = torch.meshgrid(torch.arange(256.0), torch.arange(256.0), indexing="ij")
    image = (1000 * y + x)[None, None]  # pixel value says where it is
    crops = ten_crops(image)
    assert crops.shape == (1, 10, 1, 224, 224)
    for i, (x0, y0, mirrored) in enumerate(ten_crop_offsets()):
        top_left = crops[0, i, 0, 0, 0].item()
        assert top_left == 1000 * y0 + (x0 + 223 if mirrored else x0)


def test_each_crop_map_lands_at_its_place_in_the_merged_map():
    maps = torch.zeros(1, 10, 224, 224)
    maps[0, :, 5, 7] = torch.arange(1.0, 11.0)  # crop i marks its local (row 5, column 7)
    maps[0, 3, 100, 100] = -2.0  # absolute values are summed, as mergeTenCrop.m does
    merged = merge_ten_crops(maps)
    expected = torch.zeros(256, 256)
    for i, (x0, y0, mirrored) in enumerate(ten_crop_offsets()):
        expected[y0 + 5, x0 + (223 - 7 if mirrored else 7)] += i + 1
    expected[32 + 100, 32 + 100] += 2.0
    assert torch.equal(merged[0], expected)


def test_merging_the_crops_of_a_map_counts_how_often_each_pixel_is_covered():
    heat = torch.rand(1, 1, 256, 256) + 0.5
    merged = merge_ten_crops(ten_crops(heat)[:, :, 0])
    # (0, 0): only the top-left crop and its mirror cover it; the centre: all ten
    assert merged[0, 0, 0].item() == pytest.approx(2 * heat[0, 0, 0, 0].item())
    assert merged[0, 128, 128].item() == pytest.approx(10 * heat[0, 0, 128, 128].item())
    assert merged[0, 255, 0].item() == pytest.approx(2 * heat[0, 0, 255, 0].item())


def test_scores_are_averaged_and_bad_shapes_named():
    scores = torch.arange(20.0).reshape(1, 10, 2)
    assert ten_crop_scores(scores).tolist() == [[9.0, 10.0]]  # mean of 0,2,..,18 and 1,..,19
    with pytest.raises(InputError, match="^scores: "):
        ten_crop_scores(torch.zeros(1, 5, 2))
    with pytest.raises(InputError, match="^maps: "):
        merge_ten_crops(torch.zeros(1, 10, 300, 300))
    with pytest.raises(InputError, match="^images: "):
        ten_crops(torch.zeros(1, 3, 256, 250))
