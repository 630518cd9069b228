"""as_camnet: CAMs for torchvision classifiers and the packaged EfficientNet-Lite0.

Known answer (Eq. 2 of the paper): the spatial mean of the raw CAM plus the classifier bias
is the model's own logit, for every class."""

import pytest
import torch
import torchvision.models as tvm
from torch import nn

import cam_core
from cam_core import as_camnet, cams_for_topk, class_activation_maps
from cam_core.core.methods import GradCAM
from cam_core.validate import InputError

SIZE = 64  # 2x2 last maps: small, and every network below still pools a real map


def _lite0() -> nn.Module:
    efficientnet = pytest.importorskip("efficientnet_lite_pytorch")
    return efficientnet.EfficientNet.from_name("efficientnet-lite0")


NETWORKS = {
    "resnet18": lambda: tvm.resnet18(num_classes=6),
    "densenet121": lambda: tvm.densenet121(num_classes=6),
    "efficientnet_b0": lambda: tvm.efficientnet_b0(num_classes=6),
    "regnet_y_400mf": lambda: tvm.regnet_y_400mf(num_classes=6),
    "googlenet": lambda: tvm.googlenet(num_classes=6, aux_logits=False, init_weights=True),
    "efficientnet_lite0": _lite0,
}


@pytest.mark.parametrize("name", NETWORKS)
def test_mean_cam_plus_bias_is_the_logit(name):
    torch.manual_seed(0)
    model = NETWORKS[name]().eval()
    net = as_camnet(model, SIZE)
    linear = net.classifier
    assert isinstance(linear, nn.Linear) and any(linear is m for m in model.modules())
    with torch.no_grad():  # O(1) logits, so 1e-4 is a real test
        linear.weight.normal_(0.0, 1.0)
        linear.bias.normal_(0.0, 1.0)
    x = torch.randn(2, 3, SIZE, SIZE)
    with torch.inference_mode():
        own = model(x)
        logits, fmap = net.forward_features(x)
        cams = class_activation_maps(fmap, linear.weight)
    assert fmap.shape[0] == 2 and fmap.shape[2:] == (2, 2)
    assert own.abs().max() > 0.5
    torch.testing.assert_close(logits, own, atol=0, rtol=0)
    torch.testing.assert_close(cams.mean(dim=(2, 3)) + linear.bias, own, atol=1e-4, rtol=0)
    # the package's CAM functions take the wrapper as they take a CAMNet
    _, top, topk_cams = cams_for_topk(net, x, k=2)
    assert topk_cams.shape == (2, 2, SIZE, SIZE)
    assert torch.equal(top, own.topk(2, dim=1).indices)


def test_heads_that_are_not_gap_plus_linear_are_refused_with_a_reason():
    for model, count in ((tvm.vgg11(num_classes=5), 3), (tvm.mobilenet_v3_small(num_classes=5), 2)):
        with pytest.raises(InputError) as info:
            as_camnet(model, SIZE)
        message = str(info.value)
        assert message.startswith("model: expected global average pooling then one nn.Linear")
        assert f"{count} Linear layers" in message and "Grad-CAM" in message
        assert "\n" not in message
    # Grad-CAM, the method the message points to, runs on VGG
    vgg = tvm.vgg11(num_classes=5)
    maps = GradCAM(layer="features")(vgg, torch.randn(1, 3, SIZE, SIZE), torch.tensor([1]))
    assert maps.shape == (1, 2, 2)


def test_max_pooling_and_non_linear_outputs_are_refused():
    gmp = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(4, 3)
    )
    with pytest.raises(InputError, match=r"^model: expected global average pooling of the last"):
        as_camnet(gmp, 16)
    softmax = nn.Sequential(
        *gmp[:2], nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3), nn.Softmax(1)
    )
    with pytest.raises(InputError, match=r"^model: expected a network whose logits come from"):
        as_camnet(softmax, 16)
    gap = nn.Sequential(*gmp[:2], nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    assert as_camnet(gap, 16).source == "1"  # the ReLU's output is the map
    with pytest.raises(InputError, match=r"^model: expected a torch.nn.Module"):
        as_camnet("resnet18")


def test_the_facade_exports_the_core_functions():
    for name in (
        "class_activation_maps",
        "boxes_from_maps",
        "localization_error",
        "iou",
        "as_camnet",
    ):
        assert callable(getattr(cam_core, name))
