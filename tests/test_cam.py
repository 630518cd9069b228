"""Class activation maps: hand-computed values, the CAM identity on every GAP net, options,
errors."""

import pytest
import torch

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.core.cam import cams_for_topk, class_activation_maps, postprocess_maps
from cam_core.nets.models import CAMNet
from cam_core.nets.pretrained import efficientnet_lite0_cam
from cam_core.nets.registry import build_model
from cam_core.validate import InputError

# K = 2 channels of a 2x2 map, 3 classes: numbers to check by eye.
F0 = [[1.0, 2.0], [3.0, 4.0]]
F1 = [[0.0, 1.0], [1.0, 0.0]]
FEATURES = torch.tensor([[F0, F1]])  # (1, 2, 2, 2)
WEIGHT = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, -1.0]])  # (3, 2)
M0 = [[1.0, 2.0], [3.0, 4.0]]  # 1*f0 + 0*f1
M1 = [[0.0, 2.0], [2.0, 0.0]]  # 0*f0 + 2*f1
M2 = [[1.0, 1.0], [2.0, 4.0]]  # 1*f0 - 1*f1


def test_hand_computed_all_classes():
    cams = class_activation_maps(FEATURES, WEIGHT)
    assert torch.equal(cams, torch.tensor([[M0, M1, M2]]))


def test_per_image_classes():
    # second image: f0 doubled, f1 unchanged
    feats = torch.tensor([[F0, F1], [[[2.0, 4.0], [6.0, 8.0]], F1]])
    cams = class_activation_maps(feats, WEIGHT, torch.tensor([[2, 0], [1, 2]]))
    expected = torch.tensor(
        [
            [M2, M0],
            [[[0.0, 2.0], [2.0, 0.0]], [[2.0, 3.0], [5.0, 8.0]]],
        ]
    )
    assert torch.equal(cams, expected)
    # (N,) means one class per image
    one = class_activation_maps(feats, WEIGHT, torch.tensor([1, 0]))
    assert one.shape == (2, 1, 2, 2) and torch.equal(
        one[:, 0], cams[:, 0].new_tensor([M1, [[2.0, 4.0], [6.0, 8.0]]])
    )


def test_all_classes_equals_stacking():
    torch.manual_seed(0)
    feats, weight = torch.rand(3, 8, 5, 6), torch.randn(7, 8)
    every = class_activation_maps(feats, weight, size=(20, 24), normalize="minmax")
    stacked = torch.cat(
        [
            class_activation_maps(
                feats, weight, torch.full((3, 1), c), size=(20, 24), normalize="minmax"
            )
            for c in range(7)
        ],
        dim=1,
    )
    torch.testing.assert_close(every, stacked, rtol=0, atol=1e-6)
    # against a plain per-location sum
    ref = (weight[None, :, :, None, None] * feats[:, None]).sum(2)
    torch.testing.assert_close(class_activation_maps(feats, weight), ref, rtol=1e-5, atol=1e-6)


def test_normalisation_and_relu():
    m2 = class_activation_maps(FEATURES, WEIGHT, torch.tensor([[2]]), normalize="max")
    assert torch.equal(m2[0, 0], torch.tensor([[0.25, 0.25], [0.5, 1.0]]))
    mm = class_activation_maps(FEATURES, WEIGHT, torch.tensor([[2]]), normalize="minmax")
    torch.testing.assert_close(mm[0, 0], torch.tensor([[0.0, 0.0], [1 / 3, 1.0]]))
    neg = torch.tensor([[-1.0, 1.0]])  # f1 - f0 = [[-1, -1], [-2, -4]]: no positive evidence
    raw = class_activation_maps(FEATURES, neg)
    assert torch.equal(raw[0, 0], torch.tensor([[-1.0, -1.0], [-2.0, -4.0]]))
    assert torch.equal(class_activation_maps(FEATURES, neg, relu=True), torch.zeros(1, 1, 2, 2))
    # max <= 0 -> all zeros (no division by zero, no sign flip)
    assert torch.equal(
        class_activation_maps(FEATURES, neg, normalize="max"), torch.zeros(1, 1, 2, 2)
    )
    # mixed signs: relu then max
    mixed = torch.tensor([[1.0, -3.0]])  # f0 - 3 f1 = [[1, -1], [0, 4]]
    out = class_activation_maps(FEATURES, mixed, relu=True, normalize="max")
    assert torch.equal(out[0, 0], torch.tensor([[0.25, 0.0], [0.0, 1.0]]))
    # constant maps -> all zeros under both rules
    const = torch.full((1, 2, 3, 3), 2.0)
    w = torch.tensor([[1.0, 1.0]])
    assert torch.equal(class_activation_maps(const, w, normalize="minmax"), torch.zeros(1, 1, 3, 3))
    assert torch.equal(class_activation_maps(const, w, normalize="max"), torch.ones(1, 1, 3, 3))
    assert torch.equal(
        class_activation_maps(torch.zeros(1, 2, 3, 3), w, normalize="max"), torch.zeros(1, 1, 3, 3)
    )


def test_postprocess_leaves_the_callers_maps_intact():
    # class_activation_maps normalises its own temporaries in place; the public
    # postprocess_maps must not overwrite the tensor it is given.
    maps = torch.tensor([[[[1.0, -1.0], [0.0, 4.0]], [[-2.0, -1.0], [-3.0, -4.0]]]])
    before = maps.clone()
    for rule, first in (("max", [[0.25, -0.25], [0.0, 1.0]]), ("minmax", [[0.4, 0.0], [0.2, 1.0]])):
        out = postprocess_maps(maps, normalize=rule)
        assert torch.equal(maps, before)
        torch.testing.assert_close(out[0, 0], torch.tensor(first))
    assert torch.equal(postprocess_maps(maps, normalize="max")[0, 1], torch.zeros(2, 2))
    torch.testing.assert_close(
        postprocess_maps(maps, normalize="minmax")[0, 1], torch.tensor([[2 / 3, 1.0], [1 / 3, 0.0]])
    )
    grad = maps.clone().requires_grad_(True)  # autograd sees no in-place edit either
    postprocess_maps(grad, size=(4, 4), normalize="max").sum().backward()
    assert grad.grad is not None


def test_upsampling_known_values_and_order():
    # columns 0 and 1: bilinear, align_corners=False, 2 -> 4 samples at -0.25, .25, .75, 1.25
    maps = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])
    up = postprocess_maps(maps, size=(4, 4))
    assert torch.equal(up[0, 0], torch.tensor([[0.0, 0.25, 0.75, 1.0]] * 4))
    # ReLU acts at the map's resolution, before upsampling: [-1, 1] -> [0, 1] -> as above
    signed = torch.tensor([[[[-1.0, 1.0], [-1.0, 1.0]]]])
    assert torch.equal(postprocess_maps(signed, size=(4, 4), relu=True), up)
    assert torch.equal(
        postprocess_maps(signed, size=(4, 4))[0, 0, 0], torch.tensor([-1.0, -0.5, 0.5, 1.0])
    )
    # a single peak loses height when upsampled; normalising afterwards still reaches 1 exactly
    peak = torch.zeros(1, 1, 3, 3)
    peak[0, 0, 1, 1] = 1.0
    raw = postprocess_maps(peak, size=(8, 8))
    assert raw.max() < 1.0
    assert postprocess_maps(peak, size=(8, 8), normalize="max").max() == 1.0
    mm = postprocess_maps(peak - 0.5, size=(8, 8), normalize="minmax")
    assert mm.min() == 0.0 and mm.max() == 1.0
    assert postprocess_maps(peak, size=5, upsample="nearest").shape == (1, 1, 5, 5)


def _scale_classifier(model: CAMNet) -> None:
    """Random-init classifiers are tiny (std 0.01); make logits O(1) so the check bites."""
    if model.classifier.weight.requires_grad:  # NIN's frozen identity stays as it is
        with torch.no_grad():
            model.classifier.weight.normal_(0, 1 / model.classifier.in_features**0.5)
            model.classifier.bias.normal_()


def _check_identity(model: CAMNet, images: torch.Tensor, side: int | None = None) -> None:
    """S_c = sum_{x,y} M_c(x,y) / (h w) + b_c for every class, against the model's own logits."""
    model.eval()
    with torch.inference_mode():
        logits, fmap = model.forward_features(images)
        if side is not None:
            assert fmap.shape[-2:] == (side, side)
        cams = class_activation_maps(fmap, model.classifier.weight)
        assert cams.shape == (images.shape[0], model.classifier.out_features, *fmap.shape[-2:])
        rebuilt = cams.mean(dim=(2, 3)) + model.classifier.bias
    scale = float(logits.abs().max())
    assert scale > 1e-3
    torch.testing.assert_close(rebuilt, logits, rtol=1e-4, atol=1e-5 * scale)


SMALL_GAP = [
    "small-alexnet-gap",
    "small-alexnet*-gap",
    "small-vgg-gap",
    "small-googlenet-gap",
    "small-nin",
]


@pytest.mark.parametrize("name", SMALL_GAP)
def test_identity_small_gap_nets(name):
    torch.manual_seed(0)
    model = build_model(name, 6)
    _scale_classifier(model)
    _check_identity(model, torch.randn(3, 3, 64, 64))


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, px, side",
    [
        ("alexnet-gap", 224, 13),
        ("alexnet*-gap", 224, 11),  # released: pool5 3x3 stride 1, 13 - 2
        ("vgg16-gap", 224, 14),
        ("googlenet-gap", 224, 14),
        ("inception3-gap", 299, 17),
        ("nin", 224, 6),
    ],
)
def test_identity_paper_gap_nets(name, px, side):
    """Also the paper's map sizes: 13x13, 11x11 (released AlexNet*-GAP), 14x14, 14x14 at 224 px;
    Inception-v3 17x17 at 299."""
    torch.manual_seed(0)
    model = build_model(name, 5)
    _scale_classifier(model)
    _check_identity(model, torch.randn(2, 3, px, px), side)


@pytest.mark.slow
def test_identity_pretrained_efficientnet():
    torch.manual_seed(0)
    _check_identity(efficientnet_lite0_cam(), torch.randn(2, 3, 224, 224), 7)


@pytest.mark.parametrize(
    "name, px",
    [("small-googlenet-gmp", 64), pytest.param("googlenet-gmp", 224, marks=pytest.mark.slow)],
)
def test_gmp_max_relation(name, px):
    """GMP: logits = W max(f) + b holds; the GAP identity (mean of CAM + b) does not."""
    torch.manual_seed(0)
    model = build_model(name, 4).eval()
    _scale_classifier(model)
    with torch.inference_mode():
        logits, fmap = model.forward_features(torch.randn(2, 3, px, px))
        by_max = fmap.amax(dim=(2, 3)) @ model.classifier.weight.T + model.classifier.bias
        by_mean = class_activation_maps(fmap, model.classifier.weight).mean(dim=(2, 3))
        by_mean = by_mean + model.classifier.bias
    scale = float(logits.abs().max())
    torch.testing.assert_close(by_max, logits, rtol=1e-4, atol=1e-5 * scale)
    assert not torch.allclose(by_mean, logits, rtol=1e-2, atol=1e-3 * scale)


def test_cams_for_topk_one_pass_and_state_restored():
    torch.manual_seed(0)
    model = build_model("small-vgg-gap", 7)
    _scale_classifier(model)
    model.train()
    bn = model.features.backbone[1]
    stats = bn.running_mean.clone()
    images = torch.randn(2, 3, 64, 64)
    calls = []
    model.features.register_forward_hook(lambda *a: calls.append(1))
    logits, top, cams = cams_for_topk(model, images, k=3, normalize="max")
    assert len(calls) == 1  # a single forward pass
    assert model.training and bn.training and torch.equal(bn.running_mean, stats)
    assert top.shape == (2, 3) and cams.shape == (2, 3, 64, 64)
    assert torch.equal(top, logits.argsort(dim=1, descending=True)[:, :3])
    model.eval()
    with torch.inference_mode():
        ref_logits, fmap = model.forward_features(images)
    torch.testing.assert_close(logits, ref_logits)
    ref = class_activation_maps(fmap, model.classifier.weight, top, size=(64, 64), normalize="max")
    torch.testing.assert_close(cams, ref)
    assert torch.equal(cams.amax(dim=(2, 3)), torch.ones(2, 3))
    _, _, native = cams_for_topk(model, images, k=1, size=None)
    assert native.shape == (2, 1, 16, 16)


def _error(fn, *args, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_bad_inputs_name_the_argument():
    f, w = torch.rand(2, 4, 3, 3), torch.randn(5, 4)
    assert _error(class_activation_maps, torch.rand(4, 3, 3), w).startswith("features:")
    assert _error(class_activation_maps, torch.rand(0, 4, 3, 3), w).startswith("features:")
    nan = f.clone()
    nan[0, 0, 0, 0] = float("nan")
    assert _error(class_activation_maps, nan, w).startswith("features:")
    assert _error(class_activation_maps, f, torch.randn(5, 3)).startswith("weight:")
    assert _error(class_activation_maps, f, torch.randn(5, 4, 1)).startswith("weight:")
    msg = _error(class_activation_maps, f, w, torch.tensor([[0], [5]]))
    assert msg.startswith("classes:") and "[0, 5)" in msg
    assert _error(class_activation_maps, f, w, torch.tensor([[-1], [0]])).startswith("classes:")
    assert _error(class_activation_maps, f, w, torch.tensor([[0.0], [1.0]])).startswith("classes:")
    assert _error(class_activation_maps, f, w, torch.tensor([[0, 1, 2]])).startswith("classes:")
    assert _error(class_activation_maps, f, w, [[0], [1]]).startswith("classes:")
    assert _error(class_activation_maps, f, w, normalize="l2").startswith("normalize:")
    assert _error(class_activation_maps, f, w, size=(0, 4)).startswith("size:")
    assert _error(class_activation_maps, f, w, upsample="area").startswith("upsample:")
    assert _error(postprocess_maps, torch.rand(2, 3, 3)).startswith("maps:")
    model = build_model("small-alexnet-gap", 3)
    images = torch.randn(1, 3, 64, 64)
    assert _error(cams_for_topk, model, images, k=4).startswith("k:")
    assert _error(cams_for_topk, model, images[0]).startswith("images:")
    assert _error(cams_for_topk, build_model("small-alexnet", 3), images).startswith("model:")
