"""Places checkpoints as CAM networks: a CSAIL-style ResNet-18 file ("module." keys inside
"state_dict") and an AlexNet*-GAP state_dict give the logits of the module they were saved
from; class counts are checked against the categories file; bad files are one-line errors;
and Figure 13's full-scale code path (the SUN397 pool) end to end on miniature trees."""

import numpy as np
import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.datasets import manifest_check, places
from cam_core.items import units as items_units
from cam_core.nets.models import CAMNet
from cam_core.nets.registry import build_model
from cam_core.synthetic.text import warped_images
from cam_core.testing.miniature_sets import make_miniature_scene
from cam_core.validate import InputError

SUN_CLASSES = "/a/abbey 0\n/b/bakery/shop 1\n/c/cabin/outdoor 2\n"  # the miniature's classes


@pytest.fixture(scope="module")
def resnet18_file(tmp_path_factory):
    """A CSAIL-style checkpoint of a 3-class torchvision resnet18 and the module itself."""
    import torchvision.models as tvm  # after cam_core (see its __init__)

    root = tmp_path_factory.mktemp("data")
    torch.manual_seed(0)
    ref = tvm.resnet18(num_classes=3).eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics, so a mix-up would show
        for m in ref.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    folder = root / "places"
    folder.mkdir()
    state = {"module." + k: v for k, v in ref.state_dict().items()}
    torch.save(
        {"epoch": 90, "arch": "resnet18", "state_dict": state, "best_prec1": 54.7},
        folder / "resnet18_places365.pth.tar",
    )
    (folder / "categories_places365.txt").write_text(SUN_CLASSES)
    return root, ref


def test_categories_and_class_names(tmp_path):
    path = tmp_path / "categories_places365.txt"
    path.write_text("/a/airfield 0\n/c/church/outdoor 1\n/d/dining_room 2\n")
    cats = places.read_categories(path)
    assert cats == ("/a/airfield", "/c/church/outdoor", "/d/dining_room")
    assert [places.class_key(c) for c in cats] == ["airfield", "church outdoor", "dining room"]
    assert places.class_key("d/dining_room") == "dining room"  # SUN397's spelling
    assert places.class_indices(cats, ["dining room", "Church_Outdoor"]) == [2, 1]
    with pytest.raises(InputError, match=r"^classes: expected Places classes such as airfield"):
        places.class_indices(cats, ["classroom"])
    weights = tmp_path / "alexnetstar-gap_places205.pth"
    assert places.categories_file(weights).name == "categories_places205.txt"
    assert places.weights_file(tmp_path, "alexnet*-gap").name == "alexnetstar-gap_places365.pth.tar"
    assert places.weights_file(None, "resnet18", "/x/w.pth").as_posix() == "/x/w.pth"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/a/airfield 0\n/b/bar 2\n", r"line 2: expected index 1, got '2'"),
        ("/a/airfield\n", r"line 1: expected '/<letter>/<class> <index>', got '/a/airfield'"),
        ("airfield 0\n", r"line 1: expected '/<letter>/<class> <index>'"),
        ("\n", r"no categories"),
    ],
)
def test_bad_categories_files(tmp_path, text, message):
    path = tmp_path / "categories_places365.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=rf"^places: .*{message}") as err:
        places.read_categories(path)
    assert "\n" not in str(err.value)


def test_csail_resnet18_checkpoint_gives_the_saved_modules_logits(resnet18_file):
    root, ref = resnet18_file
    model, cats = places.load_places_model("resnet18", places.weights_file(root, "resnet18"))
    assert isinstance(model, CAMNet) and cats == ("/a/abbey", "/b/bakery/shop", "/c/cabin/outdoor")
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits, fmap = model.forward_features(x)
        expected = ref(x)
    assert torch.allclose(logits, expected, atol=1e-5)
    assert fmap.shape == (2, 512, 2, 2) and (fmap >= 0).all()  # layer4 ends in a ReLU
    # the CAM identity: logits = W GAP(f) + b, with W = the saved fc
    assert torch.equal(model.classifier.weight, ref.fc.weight)
    assert torch.allclose(fmap.mean((2, 3)) @ ref.fc.weight.T + ref.fc.bias, expected, atol=1e-5)


def test_alexnet_star_gap_state_dict_loads(tmp_path):
    torch.manual_seed(0)
    ref = build_model("alexnet*-gap", 4).eval()
    (tmp_path / "categories_places205.txt").write_text(
        "/a/abbey 0\n/b/bedroom 1\n/c/classroom 2\n/d/dining_room 3\n"
    )
    path = tmp_path / "alexnetstar-gap_places205.pth"
    torch.save({"model": ref.state_dict(), "epoch": 3}, path)
    model, cats = places.load_places_model("alexnet*-gap", path)
    assert len(cats) == 4
    x = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        assert torch.allclose(model(x), ref(x), atol=1e-5)


def test_bad_checkpoints_are_one_line_errors(tmp_path, resnet18_file):
    root, ref = resnet18_file
    folder = tmp_path / "places"
    folder.mkdir()
    good = root / "places" / "resnet18_places365.pth.tar"
    (folder / "categories_places365.txt").write_text(SUN_CLASSES + "/d/dining_room 3\n")
    wrong = folder / "resnet18_places365.pth.tar"
    wrong.write_bytes(good.read_bytes())
    cases = [
        (wrong, r"^weights: expected a checkpoint of 4 classes \(categories_places365.txt\), "
                r"got 3 classes in .*resnet18_places365.pth.tar$"),
    ]  # fmt: skip
    unsafe = folder / "unsafe_places365.pth"
    torch.save({"state_dict": ref.state_dict(), "optimizer": nn.Linear(1, 1)}, unsafe)
    cases.append((unsafe, r"^weights: expected a weights-only torch file, got unreadable"))
    garbage = folder / "garbage_places365.pth"
    garbage.write_bytes(b"not a torch file")
    cases.append((garbage, r"^weights: expected a weights-only torch file, got unreadable"))
    other = folder / "vgg_places365.pth"
    torch.save({"classifier.weight": torch.zeros(4, 8)}, other)
    cases.append((other, r"^weights: expected a resnet18 checkpoint with fc.weight"))
    cases.append((folder / "missing.pth", r"^weights: expected an existing weights file"))
    for path, message in cases:
        with pytest.raises(InputError, match=message) as err:
            places.load_places_model("resnet18", path)
        assert "\n" not in str(err.value)
    with pytest.raises(InputError, match=r"^places: .*categories_places205.txt: missing"):
        places.load_places_model("resnet18", folder / "x_places205.pth")
    with pytest.raises(InputError, match=r"^weights: expected weights matching CAMNet"):
        places.load_places_model("alexnet-gap", other)


def colour_units_net() -> CAMNet:
    """Three units, the ImageNet-normalised R, G, B (+3, so positive); class c's weights
    plant unit (0, 2, 1)[c]: the channel that is largest in the miniature's class-c colour
    (red, blue, green), and a smaller weight on the next unit."""
    conv = nn.Conv2d(3, 3, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
        conv.bias.fill_(3.0)
    classifier = nn.Linear(3, 3)
    with torch.no_grad():
        classifier.weight.copy_(torch.tensor([[1.0, 0.5, 0.0], [0.0, 0.5, 1.0], [0.5, 1.0, 0.0]]))
        classifier.bias.zero_()
    return CAMNet(nn.Sequential(conv, nn.ReLU()), 3, 3, classifier=classifier)


def params_for(tmp_path, **over):
    params = {
        "data_root": str(tmp_path), "out_dir": str(tmp_path / "out"), "device": "cpu",
        "seed": 0, "eval_images": 0, "classes": ["abbey", "bakery shop", "cabin outdoor"],
        "image_size": 32, "units_per_class": 1, "images_per_unit": 2, "threshold": 0.5,
    }  # fmt: skip
    return params | over


def test_figure13_full_path_finds_the_planted_units(tmp_path):
    make_miniature_scene("sun397", tmp_path, per_class=4)
    cats = ("/a/abbey", "/b/bakery/shop", "/c/cabin/outdoor")
    result = items_units.places_units(params_for(tmp_path), colour_units_net(), cats, "colours")
    assert result.units.tolist() == [[0], [2], [1]]
    assert result.class_names == ["abbey", "bakery shop", "cabin outdoor"]
    # the pool: partition 1's test list, 2 images per class; each unit's top 2 are its class
    assert result.table["precision"].tolist() == [1.0, 1.0, 1.0]
    assert result.table["chance"].tolist() == pytest.approx([1 / 3] * 3)
    assert result.precision == 1.0 and result.chance == pytest.approx(1 / 3)
    titles = np.array(result.pool_titles)
    assert (titles[result.top[:, 0]] == np.array([["abbey"] * 2, ["bakery shop"] * 2,
                                                   ["cabin outdoor"] * 2])).all()  # fmt: skip
    # each unit's region is its class's colour patch: the centre in, the corners out
    masks = result.heat >= 0.5
    assert masks[:, :, :, 16, 16].all() and not masks[:, :, :, 0, 0].any()
    assert (result.score_share > 0.5).all()
    # the Places claim: 6/6 top images of their class, Clopper-Pearson 95% lower end
    # 0.025 ** (1 / 6) = 54.1%; chance 1/3 sets the boundary at max(50, 66.7) = 66.7%, inside
    # the interval: not distinguishable (2 pool images per class = images_per_unit: tested)
    assert result.class_counts.tolist() == [2, 2, 2]
    claim = items_units._part_claim("places_units", "t", result)
    assert claim.measured == 100.0 and claim.low == pytest.approx(100 * 0.025 ** (1 / 6))
    assert claim.verdict == "not distinguishable" and claim.criterion.endswith("66.7%")
    sub = items_units.places_units(params_for(tmp_path, eval_images=4), colour_units_net(), cats)
    assert len(sub.pool_titles) == 4
    with pytest.raises(InputError, match=r"^eval_images: expected at most 6"):
        items_units.places_units(params_for(tmp_path, eval_images=7), colour_units_net(), cats)


def test_figure13_full_path_with_a_csail_checkpoint(tmp_path, resnet18_file):
    root, ref = resnet18_file
    make_miniature_scene("sun397", root, per_class=4)
    params = params_for(root, out_dir=str(tmp_path / "out"), units_per_class=2,
                        classes=["abbey", "cabin outdoor"])  # fmt: skip
    path = places.weights_file(params["data_root"], "resnet18", "")
    model, cats = places.load_places_model("resnet18", path)
    result = items_units.places_units(params, model, cats, "resnet18")
    fc = ref.fc.weight.detach().numpy()
    assert result.units.tolist() == np.argsort(-fc[[0, 2]], axis=1, kind="stable")[:, :2].tolist()
    pool = places.sun397_pool(root, cats)
    with torch.no_grad():
        x = torch.from_numpy(warped_images(pool.images, 32)).permute(0, 3, 1, 2).float() / 255
        mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
        x = (x - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
        gap = nn.Sequential(*list(ref.children())[:-2])(x).mean((2, 3)).numpy()
    for i in range(2):
        for j in range(2):
            expected = np.argsort(-gap[:, result.units[i, j]], kind="stable")[:2]
            assert result.top[i, j].tolist() == expected.tolist()
    assert result.segmented.shape == (2, 2, 2, 32, 32, 3)
    assert (tmp_path / "out" / "cache" / "features" / "places-pool-32px.npz").is_file()


def test_manifest_checks_a_places_folder(tmp_path, resnet18_file):

    root, _ = resnet18_file
    assert manifest_check.check_dataset("places365-weights", root / "places").ok
    report = manifest_check.check_dataset("places365-weights", tmp_path)
    assert not report.ok and "resnet18_places365.pth.tar" in report.message
