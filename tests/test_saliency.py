"""Backprop saliency and Grad-CAM: analytic cases, Grad-CAM = ReLU(CAM)/(h w) on GAP nets,
no hooks or state left behind."""

import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.core.cam import class_activation_maps
from cam_core.core.methods import backprop_saliency, grad_cam
from cam_core.nets.registry import build_model
from cam_core.validate import InputError


def _hooks(model: nn.Module) -> int:
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
        for m in model.modules()
    )


def test_backprop_saliency_linear_model_by_hand():
    """S = W x + b on a 3x2x2 image: d S_c / d x = W[c]; saliency = max_channel |W[c]|."""
    model = nn.Sequential(nn.Flatten(1), nn.Linear(12, 2))
    with torch.no_grad():
        model[1].weight.copy_(
            torch.tensor(
                [
                    # class 0: R plane, G plane, B plane (each 2x2, row-major)
                    [1.0, -2.0, 0.0, 0.5, -3.0, 1.0, 0.0, 0.0, 0.0, 0.0, 4.0, -1.0],
                    # class 1
                    [0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 2.0, -5.0, 0.0, 1.0, 0.0],
                ]
            )
        )
    images = torch.randn(3, 3, 2, 2)
    sal = backprop_saliency(model, images, torch.tensor([0, 1, 0]))
    class0 = torch.tensor([[3.0, 2.0], [4.0, 1.0]])
    class1 = torch.tensor([[5.0, 2.0], [2.0, 2.0]])
    assert torch.equal(sal, torch.stack([class0, class1, class0]))
    assert all(p.grad is None for p in model.parameters())


def test_backprop_saliency_finite_differences_and_batching():
    torch.manual_seed(0)
    model = build_model("small-alexnet-gap", 4, width=0.25).double().eval()
    images = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    classes = torch.tensor([3, 1])
    sal = backprop_saliency(model, images, classes)
    assert sal.shape == (2, 32, 32) and sal.dtype == torch.float64
    # batched == one image at a time (the summed score separates per image in eval mode)
    torch.testing.assert_close(sal[1:], backprop_saliency(model, images[1:], classes[1:]))
    # central differences at a few pixels, all colour channels, in one batched forward
    eps, where = 1e-6, [(5, 7), (16, 16), (30, 2)]
    bumps = torch.zeros(len(where) * 3, 3, 32, 32, dtype=torch.float64)
    for i, (ch, (y, x)) in enumerate((ch, yx) for yx in where for ch in range(3)):
        bumps[i, ch, y, x] = eps
    with torch.no_grad():
        scores = model(torch.cat([images[:1] + bumps, images[:1] - bumps]))[:, 3]
    diffs = ((scores[: len(bumps)] - scores[len(bumps) :]) / (2 * eps)).abs().view(-1, 3)
    for (y, x), grads in zip(where, diffs, strict=True):
        assert float(grads.max()) == pytest.approx(float(sal[0, y, x]), rel=1e-4, abs=1e-9)


def test_grad_cam_equals_relu_cam_over_hw_on_gap_net():
    """GAP: d S_c / d f_k(x, y) = w_k^c / (h w), so alpha = w / (h w) and
    Grad-CAM = ReLU(CAM) / (h w) exactly."""
    torch.manual_seed(0)
    model = build_model("small-vgg-gap", 6).eval()
    with torch.no_grad():
        model.classifier.weight.normal_()
    images = torch.randn(3, 3, 64, 64)
    classes = torch.tensor([0, 5, 2])
    gcam = grad_cam(model, images, classes)
    with torch.inference_mode():
        _, fmap = model.forward_features(images)
        cam = class_activation_maps(fmap, model.classifier.weight, classes, relu=True)[:, 0]
    h, w = fmap.shape[-2:]
    assert gcam.shape == (3, h, w) and (gcam > 0).any()
    torch.testing.assert_close(gcam * (h * w), cam, rtol=1e-4, atol=1e-5)
    # with options: same post-processing as CAM
    up = grad_cam(model, images, classes, size=(64, 64), normalize="max")
    ref = class_activation_maps(
        fmap, model.classifier.weight, classes, relu=True, size=(64, 64), normalize="max"
    )[:, 0]
    torch.testing.assert_close(up, ref, rtol=1e-4, atol=1e-5)


def test_no_hooks_or_state_left_behind():
    torch.manual_seed(0)
    model = build_model("small-vgg", 5)  # an original: FC head
    model.train()
    model.features[0].weight.requires_grad_(False)  # a mixed set of flags to restore
    flags = [p.requires_grad for p in model.parameters()]
    before = _hooks(model)
    images = torch.randn(2, 3, 64, 64)
    classes = torch.tensor([1, 4])
    by_hook = grad_cam(model, images, classes, layer="features")
    assert _hooks(model) == before
    by_pass = grad_cam(model, images, classes)
    torch.testing.assert_close(by_hook, by_pass)
    assert by_pass.shape == (2, 16, 16) and by_pass.min() >= 0
    assert backprop_saliency(model, images, classes).shape == (2, 64, 64)
    # an error after the hook is in place (class out of range, seen after forward)
    with pytest.raises(InputError, match=r"^classes:"):
        grad_cam(model, images, torch.tensor([1, 5]), layer="features")
    assert _hooks(model) == before
    assert model.training and all(m.training for m in model.modules())
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(p.grad is None for p in model.parameters())


def test_works_inside_inference_mode():
    torch.manual_seed(0)
    model = build_model("small-alexnet-gap", 3)
    with torch.inference_mode():
        images = torch.randn(1, 3, 64, 64)
        assert backprop_saliency(model, images, torch.tensor([2])).shape == (1, 64, 64)
        assert grad_cam(model, images, torch.tensor([2])).shape == (1, 8, 8)


def test_bad_inputs_name_the_argument():
    model = build_model("small-alexnet-gap", 3)
    images = torch.randn(2, 3, 64, 64)
    cases = [
        ("images:", lambda: grad_cam(model, images[0], torch.tensor([0, 1]))),
        (
            "images:",
            lambda: backprop_saliency(model, images[:0], torch.tensor([], dtype=torch.long)),
        ),
        ("classes:", lambda: backprop_saliency(model, images, torch.tensor([0]))),
        ("classes:", lambda: backprop_saliency(model, images, torch.tensor([0, 3]))),
        ("classes:", lambda: grad_cam(model, images, torch.tensor([-1, 0]))),
        ("classes:", lambda: grad_cam(model, images, torch.tensor([0.0, 1.0]))),
        ("layer:", lambda: grad_cam(model, images, torch.tensor([0, 1]), layer="nope")),
        ("layer:", lambda: grad_cam(nn.Sequential(nn.Flatten(1)), images, torch.tensor([0, 1]))),
        ("size:", lambda: grad_cam(model, images, torch.tensor([0, 1]), size=(2, 0))),
        ("model:", lambda: backprop_saliency("model", images, torch.tensor([0, 1]))),
    ]
    for prefix, call in cases:
        with pytest.raises(InputError) as info:
            call()
        assert str(info.value).startswith(prefix) and "\n" not in str(info.value)
