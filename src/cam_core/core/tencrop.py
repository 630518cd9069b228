"""The released ten-crop protocol (zhoubolei/CAM ``prepare_image.m``, ``mergeTenCrop.m``).

An image is squashed to ``image`` x ``image`` (256: the whole image, aspect not kept) and
cut into ten ``crop`` x ``crop`` crops (224): the four corners, the centre, and the same
five mirrored left-right. Classification averages the ten crops' scores; localization puts
each crop's map back at its place (mirrored crops mirrored back) and sums their absolute
values into one ``image`` x ``image`` map, which is then resized to the original image and
boxed. Offsets are ``(x0, y0)`` of the crop's top-left pixel in the squashed image.
"""

import torch

from cam_core.validate import check_array, fail

IMAGE_SIZE = 256
CROP_SIZE = 224


def ten_crop_offsets(image: int = IMAGE_SIZE, crop: int = CROP_SIZE) -> list[tuple[int, int, bool]]:
    """``(x0, y0, mirrored)`` of the ten crops in the released order: corners (0, 0),
    (0, d), (d, 0), (d, d) with d = image - crop, the centre (d // 2, d // 2), then the same
    five mirrored."""
    if not (isinstance(image, int) and isinstance(crop, int) and 0 < crop <= image):
        fail("crop", f"an int in [1, image={image}]", repr(crop))
    d = image - crop
    corners = [(0, 0), (0, d), (d, 0), (d, d), (d // 2, d // 2)]
    return [(x, y, False) for x, y in corners] + [(x, y, True) for x, y in corners]


def ten_crops(images: torch.Tensor, crop: int = CROP_SIZE) -> torch.Tensor:
    """Images ``(N, C, S, S)`` (already squashed to S x S) -> crops ``(N, 10, C, crop, crop)``."""
    check_array("images", images, ndim=4, layout="(N, C, S, S)")
    s = images.shape[-1]
    if images.shape[-2] != s:
        fail("images", "square images (N, C, S, S)", tuple(images.shape))
    crops = []
    for x0, y0, mirrored in ten_crop_offsets(s, crop):
        c = images[..., y0 : y0 + crop, x0 : x0 + crop]
        crops.append(c.flip(-1) if mirrored else c)
    return torch.stack(crops, dim=1)


def ten_crop_scores(scores: torch.Tensor) -> torch.Tensor:
    """Class scores ``(N, 10, C)`` of the ten crops -> their mean ``(N, C)``."""
    check_array("scores", scores, ndim=3, layout="(N, 10, C)")
    if scores.shape[1] != 10:
        fail("scores", "ten crops per image (N, 10, C)", tuple(scores.shape))
    return scores.mean(dim=1)


def merge_ten_crops(maps: torch.Tensor, image: int = IMAGE_SIZE) -> torch.Tensor:
    """Per-crop maps ``(N, 10, crop, crop)`` (at crop resolution) -> ``(N, image, image)``:
    each crop's absolute map at its place, mirrored crops mirrored back, summed."""
    check_array("maps", maps, ndim=4, layout="(N, 10, crop, crop)")
    n, k, h, w = maps.shape
    if k != 10 or h != w or w > image:
        fail("maps", f"ten square crop maps (N, 10, c, c) with c <= {image}", tuple(maps.shape))
    merged = maps.new_zeros((n, image, image))
    for i, (x0, y0, mirrored) in enumerate(ten_crop_offsets(image, w)):
        m = maps[:, i].abs()
        merged[:, y0 : y0 + w, x0 : x0 + w] += m.flip(-1) if mirrored else m
    return merged
