"""CUB-200-2011 reader on a hand-made miniature tree: ids, labels, split and boxes exactly,
boxes over the drawn object pixel by pixel, bad files as one-line errors, and Table 4's
full-scale code path end to end."""

import numpy as np
import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.datasets import cub, manifest_check
from cam_core.items import finegrained, table5
from cam_core.nets.models import CAMNet
from cam_core.testing.miniature_sets import colour_of, make_miniature_cub
from cam_core.validate import InputError


@pytest.fixture
def tree(tmp_path):
    return make_miniature_cub(tmp_path / "data" / "CUB_200_2011", classes=3, per_class=4)


def test_hand_made_boxes_are_read_exactly(tmp_path):
    root = tmp_path / "CUB_200_2011"
    (root / "images" / "001.A").mkdir(parents=True)
    for i in (1, 2):
        (root / "images" / "001.A" / f"a{i}.jpg").write_bytes(b"")
    (root / "images.txt").write_text("2 001.A/a2.jpg\n1 001.A/a1.jpg\n")
    (root / "image_class_labels.txt").write_text("1 1\n2 1\n")
    (root / "train_test_split.txt").write_text("1 1\n2 0\n")
    (root / "bounding_boxes.txt").write_text("2 0.0 3.5 10.0 4.0\n1 60.0 27.0 325.0 304.0\n")
    (root / "classes.txt").write_text("1 001.Black_footed_Albatross\n")
    index = cub.read_cub(root)
    assert index.image_ids.tolist() == [1, 2]
    assert index.files == ("001.A/a1.jpg", "001.A/a2.jpg")
    assert index.labels.tolist() == [0, 0] and index.is_train.tolist() == [True, False]
    assert index.boxes.tolist() == [[60.0, 27.0, 385.0, 331.0], [0.0, 3.5, 10.0, 7.5]]
    assert index.class_names == ("001.Black_footed_Albatross",)
    assert cub.locate(tmp_path) == root


def test_miniature_tree_labels_split_and_boxes(tree):
    index = cub.read_cub(cub.locate(tree.root.parent))
    assert index.files == tree.files
    assert np.array_equal(index.labels, tree.labels)
    assert np.array_equal(index.is_train, tree.is_train)
    assert np.array_equal(index.boxes, tree.boxes)
    test = cub.cub_target(tree.root, "test")
    assert len(test) == 6 and test.name == "cub200-test"
    assert np.array_equal(test.images.sizes, tree.sizes[~tree.is_train])
    for i in range(len(test)):
        image = test.images[i]
        x0, y0, x1, y1 = test.boxes[i].astype(int)
        inside = image[y0 + 1 : y1 - 1, x0 + 1 : x1 - 1].reshape(-1, 3).astype(int)
        assert np.abs(inside.mean(0) - colour_of(test.labels[i])).max() < 4  # JPEG q98
        assert image[y0 - 1 if y0 else y1, x0].max() < 110  # just outside: the dark noise
    first = cub.cub_target(tree.root, "train", images_per_class=1)
    assert first.labels.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("bounding_boxes.txt", "1 2.0 3.0 4.0\n", r"bounding_boxes.txt: line 1: expected 5 fields"),
        ("image_class_labels.txt", "1 1\n", r"image_class_labels.txt: no row for image id 2"),
        ("image_class_labels.txt", None, r"image_class_labels.txt: image id \d+: class id 9"),
        ("train_test_split.txt", None, r"train_test_split.txt: image id \d+: expected 0 or 1"),
        ("bounding_boxes.txt", None, r"bounding_boxes.txt: image id \d+: expected x, y >= 0"),
        ("classes.txt", "2 B\n", r"classes.txt: expected class ids 1..1 in order"),
    ],
)
def test_bad_files_are_one_line_errors(tree, file, text, message):
    path = tree.root / file
    if text is None:  # corrupt the first line's value
        lines = path.read_text().splitlines()
        head = lines[0].split()
        if file == "image_class_labels.txt":
            head[1] = "9"
        elif file == "train_test_split.txt":
            head[1] = "2"
        else:
            head[3] = "0.0"
        path.write_text("\n".join([" ".join(head), *lines[1:]]) + "\n")
    else:
        path.write_text(text)
    with pytest.raises(InputError, match=rf"^cub200: {message}") as err:
        cub.read_cub(tree.root)
    assert "\n" not in str(err.value)


def test_missing_tree_and_files(tmp_path, tree):
    with pytest.raises(InputError, match=r"^data_root: expected a folder with CUB_200_2011"):
        cub.locate(tmp_path / "nowhere")
    (tree.root / "classes.txt").unlink()
    with pytest.raises(InputError, match=r"^cub200: .*classes.txt: missing file"):
        cub.read_cub(tree.root)


def test_table4_full_code_path_on_the_miniature_tree(tree, tmp_path):
    conv = nn.Conv2d(3, 3, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
        conv.bias.fill_(3.0)  # every normalised colour stays positive: features = colour + 3
    net = CAMNet(nn.Sequential(conv, nn.ReLU()), 3, 3)
    params = {"profile": "full", "data_root": str(tree.root.parent), "images_per_class": 0}
    train, test = finegrained.finegrained_targets(params)
    fs = table5.feature_set("googlenet-gap", net, 32)
    res = finegrained.finegrained_protocol(fs, train, test, tmp_path, cs=(1.0,), cv_folds=2)
    assert res.table.set_index("variant").loc["ground-truth box", "accuracy"] == 100.0
    assert res.test_boxes.shape == (6, 4)
    assert (res.test_boxes[:, 2] <= tree.sizes[~tree.is_train, 1]).all()  # image pixels
    panel = finegrained.figure7_panel(fs, test, res, [0, 1], 1)
    assert panel.images.shape == (2, 32, 32, 3) and panel.gt_boxes.shape == (2, 4)


def test_manifest_checks_the_miniature_tree(tree):

    counts = {"images": {"files": 12, "folders": 3}}
    report = manifest_check.check_dataset("cub200", tree.root, expected_counts=counts)
    assert report.ok, report.message
    full = manifest_check.check_dataset("cub200", tree.root)
    assert not full.ok and "expected 11788 JPEG files" in full.message
