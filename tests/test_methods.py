"""The map-method family and the shared box helpers: known answers worked out by hand."""

import numpy as np
import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.core.boxes import box_cover, centre_box, image_blind_boxes, peak_in_box, whole_box
from cam_core.core.cam import class_activation_maps
from cam_core.core.methods import CAM, METHODS, GradCAM, MapMethod, map_method
from cam_core.core.modes import eval_mode
from cam_core.nets.registry import build_model
from cam_core.validate import InputError


def test_peak_in_box_x1_is_exclusive():
    maps = np.zeros((3, 4, 4))
    maps[0, 1, 2] = 1.0  # peak centre (2.5, 1.5)
    maps[1, 1, 2] = 1.0
    maps[2, 3, 3] = 1.0  # peak centre (3.5, 3.5)
    boxes = np.array([[2.0, 1.0, 3.0, 2.0], [3.0, 0.0, 4.0, 4.0], [0.0, 0.0, 3.5, 4.0]])
    # 2.5 in [2, 3); 2.5 < 3 fails x0; 3.5 is not < 3.5 (x1 exclusive)
    assert peak_in_box(maps, boxes).tolist() == [True, False, False]
    # any of an image's boxes counts
    lists = [boxes[1:2], np.stack([boxes[1], boxes[0]]), np.zeros((0, 4))]
    assert peak_in_box(maps, lists).tolist() == [False, True, False]
    # maps at a quarter of the image size: centre (2.5, 1.5) -> (10, 6) in a 16x16 image
    sizes = np.array([[16, 16], [16, 16], [16, 16]])
    big = np.array([[9.0, 5.0, 10.5, 7.0], [0.0, 0.0, 10.0, 16.0], [14.0, 14.0, 16.0, 16.0]])
    assert peak_in_box(maps, big, sizes).tolist() == [True, False, True]
    with pytest.raises(InputError, match=r"^boxes: expected \(3, 4\) boxes"):
        peak_in_box(maps, boxes[:2])


def test_box_cover_counts_touched_pixels():
    # a 4x4 image; one box covers columns 0..1 of rows 0..1 (4 px), one touches pixel (3, 3)
    assert box_cover(np.array([[0.0, 0.0, 2.0, 2.0]]), (4, 4)) == 4 / 16
    assert box_cover(np.array([[0.0, 0.0, 2.0, 2.0], [3.2, 3.2, 3.4, 3.4]]), (4, 4)) == 5 / 16
    assert box_cover(np.array([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]), (4, 4)) == 4 / 16


def test_image_blind_boxes_by_hand():
    # training boxes: 40% x 50% and 20% x 30% of 100x100 images: mean 30% wide, 40% high
    train = np.array([[0.0, 0.0, 40.0, 50.0], [10.0, 10.0, 30.0, 40.0]])
    blind = image_blind_boxes(train, (100, 100), np.array([[50, 200], [10, 10]]))
    np.testing.assert_allclose(blind["whole image"], [[0, 0, 200, 50], [0, 0, 10, 10]])
    # 200 wide, 50 high: 60 x 20 box centred at (100, 25)
    np.testing.assert_allclose(
        blind["centred mean-size box"], [[70, 15, 130, 35], [3.5, 3, 6.5, 7]]
    )
    np.testing.assert_allclose(centre_box((0.5, 0.5), (4, 8)), [2, 1, 6, 3])
    np.testing.assert_allclose(whole_box((4, 8)), [0, 0, 8, 4])


def test_eval_mode_restores_flags_and_picks_the_grad_mode():
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    net.train()
    net[0].bias.requires_grad_(False)
    with eval_mode(net):
        assert not net.training and not net[1].training and torch.is_inference_mode_enabled()
    with torch.inference_mode(), eval_mode(net, grad=True):
        assert not torch.is_inference_mode_enabled() and torch.is_grad_enabled()
        assert not net[0].weight.requires_grad
    with pytest.raises(RuntimeError), eval_mode(net, grad=None):
        assert not torch.is_inference_mode_enabled()
        raise RuntimeError
    assert net.training and net[1].training
    assert [p.requires_grad for p in net.parameters()] == [True, False]


def test_cam_method_is_the_classifier_contraction():
    torch.manual_seed(0)
    net = build_model("small-alexnet-gap", 5, width=0.25).eval()
    x = torch.randn(2, 3, 32, 32)
    classes = torch.tensor([[4, 0], [1, 2]])
    with torch.inference_mode():
        fmap = net.forward_features(x)[1]
    want = class_activation_maps(fmap, net.classifier.weight, classes, size=(32, 32))
    got = map_method("cam")(net, x, classes, size=(32, 32))
    torch.testing.assert_close(got, want)
    # the mean of a raw CAM plus the bias is the logit (Eq. 2 of the paper)
    raw = CAM()(net, x, classes[:, 0])
    logits = net(x).detach()
    torch.testing.assert_close(
        raw.mean(dim=(1, 2)) + net.classifier.bias[classes[:, 0]],
        logits[[0, 1], classes[:, 0]],
        atol=1e-5,
        rtol=1e-5,
    )
    # another weight matrix, e.g. an SVM's: twice the weights, twice the map
    doubled = CAM(2 * net.classifier.weight.detach())(net, x, classes[:, 0])
    torch.testing.assert_close(doubled, 2 * raw)
    with pytest.raises(InputError, match=r"^model: expected a CAMNet"):
        CAM()(nn.Sequential(nn.Conv2d(3, 2, 3)), x, classes[:, 0])


def test_registry_names_and_a_new_method_in_one_override():
    assert tuple(METHODS) == ("cam", "backprop", "gradcam")
    with pytest.raises(InputError, match=r"^method: expected one of"):
        map_method("gradcam++")

    class GradTimesFeature(GradCAM):  # a method needs only raw_maps
        name = "grad-x-feature"

        def raw_maps(self, model, images, classes):
            out = []
            for column in classes.T:
                fmap, grad = self.feature_gradients(model, images, column)
                out.append((grad * fmap).sum(dim=1))
            return torch.stack(out, dim=1)

    torch.manual_seed(0)
    net = build_model("small-alexnet-gap", 3, width=0.25)
    net.train()
    x = torch.randn(2, 3, 32, 32)
    maps = GradTimesFeature()(net, x, torch.tensor([0, 2]), size=(32, 32), normalize="minmax")
    assert isinstance(GradTimesFeature(), MapMethod) and maps.shape == (2, 32, 32)
    assert float(maps.min()) == 0.0 and float(maps.amax(dim=(1, 2)).min()) == 1.0
    assert net.training and all(p.grad is None for p in net.parameters())


def test_caches_follow_the_code(tmp_path, monkeypatch):
    """A cached feature file is recomputed when the code fingerprint changes, and editing one
    line of the box rule in a copy of the package changes that copy's source fingerprint."""
    import shutil
    from pathlib import Path

    from cam_core import fingerprint
    from cam_core.nets import features

    calls = []

    def compute():
        calls.append(1)
        return np.full((2, 3), float(len(calls)))

    path = tmp_path / "f.npz"
    assert features.cached_features(path, "k", compute)[0, 0] == 1.0
    assert features.cached_features(path, "k", compute)[0, 0] == 1.0 and len(calls) == 1
    monkeypatch.setattr(features, "code_fingerprint", lambda: "edited code")
    assert features.cached_features(path, "k", compute)[0, 0] == 2.0 and len(calls) == 2

    package = Path(fingerprint.__file__).parent
    copy = tmp_path / "cam_core"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = fingerprint.source_fingerprint(copy)
    assert before == fingerprint.source_fingerprint(package)
    boxes = copy / "core" / "boxes.py"
    text = boxes.read_text()
    rule = "fg = m >= (threshold * peak)[:, None, None]"
    assert text.count(rule) == 1
    boxes.write_text(text.replace(rule, "fg = m > (threshold * peak)[:, None, None]"))
    assert fingerprint.source_fingerprint(copy) != before
    assert len(fingerprint.code_fingerprint()) == 64
