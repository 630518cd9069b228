"""Table 5 readers on miniature trees in each dataset's own layout: classes, labels and the
published or seeded splits exactly, bad trees as one-line errors, and Table 5's full-scale
code path (features x SVM, mean AP for SUN Attribute) end to end."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.datasets import manifest_check
from cam_core.datasets import scenes as sd
from cam_core.items import table5
from cam_core.nets.models import CAMNet
from cam_core.synthetic import targets as synthetic_targets
from cam_core.testing.miniature_sets import colour_of, make_miniature_scene
from cam_core.validate import InputError


def colour_features() -> CAMNet:
    conv = nn.Conv2d(3, 3, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
        conv.bias.fill_(3.0)  # features = colour + 3 > 0
    return CAMNet(nn.Sequential(conv, nn.ReLU()), 3, 3)


@pytest.mark.parametrize("name", sd.SCENE_DATASETS)
def test_reader_classes_labels_and_splits(tmp_path, name):
    mini = make_miniature_scene(name, tmp_path)
    target = sd.load_scene_dataset(name, tmp_path)
    assert target.name == name and target.class_names == mini.class_names
    truth = dict(zip(mini.files, mini.labels, strict=True))
    files = target.images.files
    if name == "sun-attribute":
        assert target.metric == "mean AP"
        assert np.array_equal(target.extra["attributes"], mini.attributes)
        assert list(files) == list(mini.files)
    else:
        assert sorted(files) == sorted(mini.files)
        assert [truth[f] for f in files] == target.labels.tolist()
    train, test = target.splits[0]
    assert not np.intersect1d(train, test).size
    if mini.train is not None:  # published split: exactly the listed files
        assert sorted(files[i] for i in train) == sorted(f.lstrip("/") for f in mini.train)
        assert sorted(files[i] for i in test) == sorted(f.lstrip("/") for f in mini.test)
    # the image is the class's colour in its centre
    image = target.images[int(test[0])]
    h, w = image.shape[:2]
    label = truth[files[int(test[0])]]
    assert np.abs(image[h // 2, w // 2].astype(int) - colour_of(label)).max() <= 6


def test_seeded_protocols_per_class_counts(tmp_path):
    make_miniature_scene("caltech101", tmp_path, per_class=6)
    target = sd.load_scene_dataset("caltech101", tmp_path)
    assert "BACKGROUND_Google" not in target.class_names and len(target) == 18
    assert len(target.splits) == sd.NUM_SPLITS
    train, test = target.splits[0]
    assert np.bincount(target.labels[train]).tolist() == [5, 5, 5]  # min(30, 6 - 1)
    again = sd.load_scene_dataset("caltech101", tmp_path)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(target.splits, again.splits, strict=True))
    assert not np.array_equal(target.splits[0][0], target.splits[1][0])
    splits = sd.per_class_splits(np.repeat([0, 1], 100), 70, 20, num_splits=1)
    assert [len(splits[0][0]), len(splits[0][1])] == [140, 40]
    capped = sd.load_scene_dataset("caltech101", tmp_path, images_per_class=2)
    assert np.bincount(target.labels[capped.splits[0][0]]).tolist() == [2, 2, 2]


def test_sun397_uses_its_partitions(tmp_path):
    mini = make_miniature_scene("sun397", tmp_path, per_class=4)
    target = sd.load_scene_dataset("sun397", tmp_path)
    assert len(target.splits) == 2  # Training_01/02 and Testing_01/02
    assert target.class_names[1] == "b/bakery/shop"  # nested class names kept
    assert len(mini.train) == 6 and len(target.splits[0][0]) == 6


def test_bad_trees_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match=r"^data_root: expected a folder with the sun397 tree"):
        sd.load_scene_dataset("sun397", tmp_path)
    with pytest.raises(InputError, match=r"^name: expected one of sun397"):
        sd.locate("cifar", tmp_path)
    make_miniature_scene("mit-indoor67", tmp_path)
    listed = tmp_path / "indoor67" / "Images" / "bar" / "bar_0001.jpg"
    listed.unlink()
    with pytest.raises(InputError, match=r"^mit-indoor67: .*lists bar/bar_0001.jpg, missing"):
        sd.load_scene_dataset("mit-indoor67", tmp_path)
    make_miniature_scene("scene15", tmp_path / "s")
    (tmp_path / "s" / "scene15" / "class03" / "img1.jpg").rename(tmp_path / "s" / "x.jpg")
    for f in (tmp_path / "s" / "scene15" / "class03").iterdir():
        f.unlink()
    (tmp_path / "s" / "scene15" / "class03").rmdir()
    with pytest.raises(InputError, match=r"^scene15: .*expected 15 class folders, found 14"):
        sd.load_scene_dataset("scene15", tmp_path / "s")
    make_miniature_scene("sun397", tmp_path / "u")
    part = tmp_path / "u" / "Partitions" / "Training_01.txt"
    part.write_text(part.read_text() + "/z/zoo/sun_x.jpg\n")
    with pytest.raises(InputError, match=r"^sun397: z/zoo/sun_x.jpg: class /z/zoo not in"):
        sd.load_scene_dataset("sun397", tmp_path / "u")


def test_table5_full_code_path_on_miniature_trees(tmp_path):
    targets = []
    for name in ("mit-indoor67", "action40", "sun-attribute"):
        make_miniature_scene(name, tmp_path / name, per_class=6)
        targets.append(sd.load_scene_dataset(name, tmp_path / name))
    fs = table5.feature_set("googlenet-gap", colour_features(), 16)
    splits = {t.name: synthetic_targets.make_splits(t, 3) for t in targets}
    tidy = table5.transfer_results([fs], targets, splits, tmp_path / "cache", cs=(1.0,))
    acc = tidy.groupby("dataset")["accuracy"].mean()
    assert acc["mit-indoor67"] == 100.0 and acc["action40"] == 100.0
    attr = tidy[tidy["dataset"] == "sun-attribute"]
    assert (attr["metric"] == "mean AP").all() and len(attr) == 3
    assert (attr["attributes_scored"] >= 3).all() and (attr["accuracy"] > 50).all()
    params = {"data_root": str(tmp_path / "action40"), "images_per_class": 0, "splits": 1}
    loaded = table5.load_targets(["action40"], params)
    assert loaded[0].fingerprint == targets[1].fingerprint


MINIATURE_COUNTS = {
    "mit-indoor67": {"images": {"files": 12, "folders": 3}},
    "scene15": {"images": {"files": 60, "folders": 15}},
    "caltech101": {"images": {"files": 14, "folders": 4}},
    "caltech256": {"images": {"files": 14, "folders": 4}},
    "action40": {"images": 12, "splits": 7},
    "event8": {"images": {"files": 32, "folders": 8}},
    "sun397": {"images": {"files": 12, "folders": 3}},
    "sun-attribute": {"images": 12},
}


@pytest.mark.parametrize("name", sd.SCENE_DATASETS)
def test_manifests_check_the_miniature_trees(tmp_path, name):

    make_miniature_scene(name, tmp_path)
    root = sd.locate(name, tmp_path)
    root = root.parent if name == "sun397" else root  # SUN397/ and Partitions/ side by side
    report = manifest_check.check_dataset(name, root, expected_counts=MINIATURE_COUNTS[name])
    assert report.ok, report.message


def test_sun397_partitions_mean_and_sd_known_answer(tmp_path):
    """Three partitions of 6 images per class: images 1-2 train in all; tests 3-4, 5-6, 3+5.
    Image 3 of class 0 is repainted in class 1's colour, so the SVM calls it class 1: test
    accuracy 5/6, 6/6, 5/6 (83.33, 100, 83.33%). First 2 partitions: mean 275/3 = 91.67,
    s.d. (50/3)/sqrt(2) = 11.79; all three (10 asked): mean 800/9 = 88.89, s.d.
    sqrt(7500)/9 = 9.62."""
    from PIL import Image

    mini = make_miniature_scene("sun397", tmp_path, per_class=6, partitions=3)
    parts = tmp_path / "Partitions"
    assert sorted(p.name for p in parts.glob("Testing_*.txt")) == [
        "Testing_01.txt", "Testing_02.txt", "Testing_03.txt"]  # fmt: skip
    files = mini.files
    for p, test_k in ((1, (3, 4)), (2, (5, 6)), (3, (3, 5))):
        train = [files[c * 6 + k - 1] for c in range(3) for k in (1, 2)]
        test = [files[c * 6 + k - 1] for c in range(3) for k in test_k]
        (parts / f"Training_{p:02d}.txt").write_text("".join(f"/{f}\n" for f in train))
        (parts / f"Testing_{p:02d}.txt").write_text("".join(f"/{f}\n" for f in test))
    painted = np.broadcast_to(colour_of(1), (32, 32, 3)).astype(np.uint8)
    Image.fromarray(painted).save(tmp_path / "SUN397" / files[2], quality=95)
    target = sd.load_scene_dataset("sun397", tmp_path)
    fs = table5.feature_set("googlenet-gap", colour_features(), 16)
    for asked, accs, mean, sd_ in (
        (2, [250 / 3, 100.0], 275 / 3, 50 / 3 / np.sqrt(2)),
        (10, [250 / 3, 100.0, 250 / 3], 800 / 9, np.sqrt(7500) / 9),
    ):
        params = {"sun397_partitions": asked, "splits": 1, "train_fraction": 0.5, "seed": 0}
        splits = table5.target_splits([target], params)
        assert len(splits["sun397"]) == len(accs)  # the partitions present
        tidy = table5.transfer_results([fs], [target], splits, tmp_path / "cache", cs=(1.0,))
        table = table5.partition_table(tidy)
        cols = [f"partition_{p:02d}" for p in range(1, len(accs) + 1)]
        assert list(table.columns) == ["features", *cols, "mean", "mean_std"]
        assert table[cols].iloc[0].tolist() == pytest.approx(accs)
        assert table["mean"].iloc[0] == pytest.approx(mean)
        assert table["mean_std"].iloc[0] == pytest.approx(sd_)
        summary = table5.summary_table(tidy).iloc[0]  # Table 5's cell: the same mean ± s.d.
        assert (summary["mean"], summary["std"]) == pytest.approx((mean, sd_))
    assert table5.partition_table(tidy, "mit-indoor67").empty
    with pytest.raises(InputError, match=r"^sun397_partitions: expected"):
        table5.target_splits([target], {**params, "sun397_partitions": 0})
    with pytest.raises(InputError, match=r"^partitions: expected an int >= 1"):
        make_miniature_scene("sun397", tmp_path / "x", partitions=0)


def test_partition_table_known_answer_by_hand():
    tidy = pd.DataFrame({"features": ["gap", "gap", "fc7", "fc7", "gap"],
                         "dataset": ["sun397"] * 4 + ["event8"],
                         "split": [0, 1, 0, 1, 0],
                         "accuracy": [50.0, 70.0, 40.0, 40.0, 99.0]})  # fmt: skip
    table = table5.partition_table(tidy).set_index("features")
    assert table.index.tolist() == ["gap", "fc7"]
    assert table.loc["gap", ["partition_01", "partition_02"]].tolist() == [50.0, 70.0]
    assert table.loc["gap", "mean"] == 60.0
    assert table.loc["gap", "mean_std"] == pytest.approx(np.sqrt(200.0))  # 10^2 * 2 / (2 - 1)
    assert table.loc["fc7", "mean_std"] == 0.0
    one = table5.partition_table(tidy[tidy["split"] == 0])
    assert one["mean_std"].tolist() == [0.0, 0.0]  # one partition: s.d. 0


def test_sun397_reads_only_the_partitions_asked_for(tmp_path):
    make_miniature_scene("sun397", tmp_path, per_class=4, partitions=3)
    every = sd.load_scene_dataset("sun397", tmp_path)
    two = sd.load_scene_dataset("sun397", tmp_path, partitions=2)
    assert len(every.splits) == 3 and len(two.splits) == 2
    assert len(sd.load_scene_dataset("sun397", tmp_path, partitions=10).splits) == 3
    files = {every.images.files[i] for s in every.splits[:2] for part in s for i in part}
    assert set(two.images.files) == files  # the images the first two partitions list
    with pytest.raises(InputError, match=r"^partitions: expected None for datasets other"):
        sd.load_scene_dataset("caltech101", tmp_path, partitions=1)
    with pytest.raises(InputError, match=r"^partitions: expected an int in 1\.\.10"):
        sd.read_sun397(tmp_path / "SUN397", 0)
    params = {"data_root": str(tmp_path), "images_per_class": 0, "sun397_partitions": 2}
    assert len(table5.load_targets(["sun397"], params)[0].splits) == 2
