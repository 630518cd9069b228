"""Model registry, paper cuts and map sizes, weight loading, NIN, EfficientNet-Lite0 known
answer."""

import numpy as np
import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.nets.models import CAMNet, OriginalNet, load_checkpoint
from cam_core.nets.pretrained import (
    efficientnet_lite0_cam,
    imagenet_categories,
    preprocess_imagenet,
)
from cam_core.nets.registry import MODEL_NAMES, build_model
from cam_core.validate import InputError

SMALL = [n for n in MODEL_NAMES if n.startswith("small-")]
# last conv map side at 64 and 96 px: AlexNet-like/NIN coarser (stride 8) than VGG/GoogLeNet (4)
SMALL_SIDES = {"alexnet": (8, 12), "nin": (8, 12), "vgg": (16, 24), "googlenet": (16, 24)}


def _error(fn, *args, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize("name", SMALL)
def test_small_family_interface_and_map_sizes(name):
    torch.manual_seed(0)
    model = build_model(name, 7).eval()
    is_cam = name.endswith(("-gap", "-gmp")) or name == "small-nin"
    assert isinstance(model, CAMNet if is_cam else OriginalNet)
    modules = dict(model.named_modules())
    assert modules[model.last_conv_name] is model.features
    if is_cam:
        assert modules[model.classifier_name] is model.classifier
        assert isinstance(model.classifier, nn.Linear)
        assert model.pooling == ("max" if name.endswith("-gmp") else "avg")
    side64, side96 = SMALL_SIDES[name.split("-")[1].rstrip("*")]
    with torch.inference_mode():
        for px, side in ((64, side64), (96, side96)):
            x = torch.randn(2, 3, px, px)
            logits, fmap = model.forward_features(x)
            assert logits.shape == (2, 7) and torch.equal(model(x), logits)
            assert fmap.shape[0] == 2 and fmap.shape[-2:] == (side, side)
            if name != "small-nin":  # NIN's class maps are signed scores
                assert fmap.min() >= 0
    if is_cam:
        assert fmap.shape[1] == model.classifier.in_features


def test_small_width_option():
    half = build_model("small-vgg-gap", 5, width=0.5)
    assert half.classifier.in_features == 64
    assert build_model("small-vgg-gap", 5).classifier.in_features == 128
    star = build_model("small-alexnet*-gap", 5)
    assert [m.out_channels for n, m in star.features.named_children() if "conv" in n] == [64, 128]
    assert _error(build_model, "small-vgg-gap", 5, width="big").startswith("width:")


@pytest.mark.parametrize(
    "name, k",
    [
        ("alexnet-gap", 256),
        ("vgg16-gap", 512),
        ("googlenet-gap", 832),
        ("googlenet-gmp", 832),
        ("inception3-gap", 768),
    ],
)
def test_paper_gap_structure(name, k):
    """Backbone cut (K channels at the cut), then the added 3x3/1/1 convs, 1024 units last.

    Map sizes at 224/299 px are checked by the CAM identity tests in test_cam.py.
    """
    model = build_model(name, 5)
    assert isinstance(model, CAMNet) and model.classifier.weight.shape == (5, 1024)
    backbone_convs = [m for m in model.features.backbone.modules() if isinstance(m, nn.Conv2d)]
    added = [m for n, m in model.features.named_children() if n.startswith("cam_conv")]
    assert backbone_convs[-1].out_channels == k or name.startswith(("googlenet", "inception"))
    assert [m.out_channels for m in added] == [1024]
    assert all((m.kernel_size, m.stride, m.padding) == ((3, 3), (1, 1), (1, 1)) for m in added)
    assert all(m.groups == 2 for m in added)  # group: 2 in the released prototxts
    dropout = 0.5 if name == "vgg16-gap" else None  # only deploy_vgg16CAM has CAM_dropout
    assert getattr(model.dropout, "p", None) == dropout
    assert added[0].in_channels == k
    assert model.pooling == ("max" if name.endswith("gmp") else "avg")
    names = dict(model.features.backbone.named_children())
    if name.startswith("googlenet"):
        assert list(names)[-1] == "inception4e" and "maxpool4" not in names
    if name.startswith("inception3"):
        assert list(names)[-1] == "Mixed_6e" and "Mixed_7a" not in names


def test_alexnet_star_gap_is_the_released_net():
    """deploy_alexnetplusCAM_imagenet.prototxt after conv5: pool5 3x3 stride 1, conv6 and conv7
    of 512 (3x3, pad 1, group 2) + ReLU, GAP, dropout 0.5, fc9; 13x13 - 2 = 11x11 at 224 px."""
    model = build_model("alexnet*-gap", 5)
    names = [n for n, _ in model.features.named_children()]
    assert names == ["backbone", "pool5", "cam_conv0", "cam_relu0", "cam_conv", "cam_relu"]
    pool5 = model.features.pool5
    assert (pool5.kernel_size, pool5.stride) == (3, 1)
    for conv, cin in ((model.features.cam_conv0, 256), (model.features.cam_conv, 512)):
        assert (conv.in_channels, conv.out_channels, conv.groups) == (cin, 512, 2)
        assert (conv.kernel_size, conv.stride, conv.padding) == ((3, 3), (1, 1), (1, 1))
    assert model.classifier.weight.shape == (5, 512) and model.dropout.p == 0.5
    with torch.no_grad():
        _, fmap = model.eval().forward_features(torch.randn(1, 3, 224, 224))
    assert fmap.shape == (1, 512, 11, 11)


@pytest.mark.slow
def test_paper_originals_expose_last_conv():
    model = build_model("googlenet", 5).eval()
    assert isinstance(model, OriginalNet)
    with torch.inference_mode():
        logits, fmap = model.forward_features(torch.randn(1, 3, 224, 224))
    assert logits.shape == (1, 5) and fmap.shape == (1, 1024, 7, 7)
    assert dict(model.named_modules())[model.last_conv_name] is model.features


def test_unknown_name_lists_valid_names():
    msg = _error(build_model, "resnet50", 10)
    assert msg.startswith("name:") and "small-googlenet-gmp" in msg and "alexnet*-gap" in msg
    assert _error(build_model, "small-vgg", 0).startswith("num_classes:")
    assert _error(build_model, "small-vgg", 3, pretrained_enum=True).startswith("pretrained_enum:")


def _torchvision_googlenet_file(tmp_path):
    import torchvision.models as tvm

    torch.manual_seed(1)
    tv = tvm.googlenet(weights=None, aux_logits=True, init_weights=True)  # like the real file
    for m in tv.modules():  # non-trivial BN statistics so a mis-wired copy would show
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    path = tmp_path / "googlenet.pth"
    torch.save(tv.state_dict(), path)
    return tv, path


def test_torchvision_weights_copied_into_cut_and_original(tmp_path):
    import torchvision.models as tvm

    tv, path = _torchvision_googlenet_file(tmp_path)
    gap = build_model("googlenet-gap", 10, weights=path)
    assert torch.equal(
        gap.features.backbone.inception4e.branch1.conv.weight, tv.inception4e.branch1.conv.weight
    )
    assert not hasattr(gap.features.backbone, "inception5a")
    assert gap.classifier.weight.shape == (10, 1024)
    # the original, 1000 classes: same function as torchvision's pretrained-style GoogLeNet
    orig = build_model("googlenet", 1000, weights=path).eval()
    ref = tvm.googlenet(weights=None, aux_logits=False, transform_input=True, init_weights=False)
    ref.load_state_dict({k: v for k, v in tv.state_dict().items() if not k.startswith("aux")})
    x = torch.randn(2, 3, 96, 96)
    with torch.inference_mode():
        torch.testing.assert_close(orig(x), ref.eval()(x), rtol=1e-5, atol=1e-5)
    # a new label set keeps the backbone and refreshes only the last layer
    orig10 = build_model("googlenet", 10, weights=path)
    assert orig10.head[-1].weight.shape == (10, 1024)
    assert torch.equal(orig10.features.conv1.conv.weight, tv.conv1.conv.weight)


@pytest.mark.slow
def test_alexnet_original_matches_torchvision(tmp_path):
    import torchvision.models as tvm

    torch.manual_seed(2)
    tv = tvm.alexnet().eval()
    path = tmp_path / "alexnet.pth"
    torch.save(tv.state_dict(), path)
    orig = build_model("alexnet", 1000, weights=path).eval()
    gap = build_model("alexnet-gap", 3, weights=path)
    assert torch.equal(gap.features.backbone[10].weight, tv.features[10].weight)  # conv5
    x = torch.randn(1, 3, 224, 224)
    with torch.inference_mode():
        logits, fmap = orig.forward_features(x)
        torch.testing.assert_close(logits, tv(x), rtol=1e-5, atol=1e-6)
    assert fmap.shape == (1, 256, 13, 13)  # conv5, before pool5


@pytest.mark.slow
def test_inception3_original_matches_torchvision(tmp_path):
    import torchvision.models as tvm

    torch.manual_seed(3)
    tv = tvm.inception_v3(weights=None, aux_logits=True, init_weights=True)
    path = tmp_path / "inception.pth"
    torch.save(tv.state_dict(), path)
    orig = build_model("inception3", 1000, weights=path).eval()
    ref = tvm.inception_v3(weights=None, aux_logits=False, transform_input=True, init_weights=False)
    ref.load_state_dict({k: v for k, v in tv.state_dict().items() if "AuxLogits" not in k})
    x = torch.randn(1, 3, 80, 80)
    with torch.inference_mode():  # exact: same ops, same transform_input constants
        assert torch.equal(orig(x), ref.eval()(x))


def test_bad_weight_files_name_the_file(tmp_path):
    missing = tmp_path / "nope.pth"
    msg = _error(build_model, "googlenet-gap", 3, weights=missing)
    assert msg.startswith("weights:") and "nope.pth" in msg
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a torch file")
    msg = _error(build_model, "vgg16-gap", 3, weights=garbage)
    assert msg.startswith("weights:") and "garbage.pth" in msg
    wrong = tmp_path / "wrong.pth"
    torch.save({"conv.weight": torch.zeros(1)}, wrong)
    msg = _error(build_model, "googlenet-gap", 3, weights=wrong)
    assert "wrong.pth" in msg and "missing" in msg and "unexpected" in msg
    msg = _error(build_model, "googlenet-gap", 3, weights=wrong, pretrained_enum=True)
    assert msg.startswith("pretrained_enum:")


def test_load_checkpoint_roundtrip_and_mismatch(tmp_path):
    torch.manual_seed(0)
    model = build_model("small-vgg-gap", 4).eval()
    path = tmp_path / "ckpt.pt"
    torch.save({"model": model.state_dict(), "history": {}}, path)  # cam_core.nets.train's layout
    fresh = load_checkpoint(build_model("small-vgg-gap", 4), path).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        assert torch.equal(fresh(x), model(x))
    raw = tmp_path / "raw.pt"
    torch.save(model.state_dict(), raw)
    assert build_model("small-vgg-gap", 4, weights=raw).classifier.weight.equal(
        model.classifier.weight
    )
    msg = _error(load_checkpoint, build_model("small-alexnet-gap", 4), path)
    assert msg.startswith("path:") and "ckpt.pt" in msg and "missing" in msg
    msg = _error(load_checkpoint, build_model("small-vgg-gap", 9), path)
    assert "shape" in msg


def test_nin_class_maps_are_the_cams():
    torch.manual_seed(0)
    model = build_model("small-nin", 5).eval()
    assert torch.equal(model.classifier.weight, torch.eye(5))
    assert not any(p.requires_grad for p in model.classifier.parameters())
    with torch.inference_mode():
        logits, fmap = model.forward_features(torch.randn(2, 3, 64, 64))
    assert fmap.shape[1] == 5
    torch.testing.assert_close(logits, fmap.mean(dim=(2, 3)))


def test_efficientnet_lite0_known_answer():
    """The package's documented preprocessing (Resize(224), ImageNet mean/std) -> chelsea is
    an Egyptian cat (ImageNet class 285); so is the centre-cropped 224x224 input."""
    from skimage import data

    model = efficientnet_lite0_cam().eval()
    assert isinstance(model, CAMNet) and model.classifier.weight.shape == (1000, 1280)
    assert not any("_fc" in k for k in model.state_dict())  # classifier held once, not copied
    cat = data.chelsea()
    batch = torch.stack([preprocess_imagenet(cat, crop=True)])
    uncropped = preprocess_imagenet(cat, crop=False)[None]
    assert batch.shape == (1, 3, 224, 224) and uncropped.shape == (1, 3, 224, 336)
    with torch.inference_mode():
        for x in (batch, uncropped):
            logits, fmap = model.forward_features(x)
            assert int(logits.argmax()) == 285
            assert logits.softmax(1)[0, 285] > 0.3
        assert fmap.shape == (1, 1280, 7, 10) and 0 <= fmap.min() and fmap.max() <= 6
    assert imagenet_categories()[285] == "Egyptian cat"
    assert len(imagenet_categories()) == 1000
    assert efficientnet_lite0_cam(num_classes=3).classifier.weight.shape == (3, 1280)


def test_preprocess_errors():
    assert _error(preprocess_imagenet, np.zeros((4, 4), np.uint8)).startswith("image:")
    assert _error(preprocess_imagenet, np.zeros((4, 4, 3), np.float32)).startswith("image:")
    assert _error(preprocess_imagenet, np.zeros((4, 4, 3), np.uint8), size=0).startswith("size:")
