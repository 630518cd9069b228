"""ILSVRC readers on miniature trees: known labels and boxes, both box sources, bad input."""

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from cam_core.datasets.ilsvrc import ilsvrc_class_names, ilsvrc_classes
from cam_core.datasets.ilsvrc_data import IlsvrcTrain, IlsvrcVal, collate, unpad_boxes
from cam_core.testing.miniature import MINIATURE_WNIDS, make_miniature_ilsvrc, miniature_annotations
from cam_core.validate import InputError

W, H = 80, 64  # miniature image size (width, height)
WNIDS = ["n01440764", "n02102040", "n02979186"]  # the miniature's 3 classes, sorted


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A miniature tree with XML and CSV boxes (read only)."""
    return make_miniature_ilsvrc(tmp_path_factory.mktemp("both") / "t", val_boxes="both")


def _expected_squash(size: int = 224) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(label, boxes, box labels) per val image, from the written 1-based inclusive corners."""
    out = []
    for item in miniature_annotations():
        boxes = np.array(
            [
                [(x0 - 1) * size / W, (y0 - 1) * size / H, x1 * size / W, y1 * size / H]
                for x0, y0, x1, y1 in (o.corners for o in item.objects)
            ]
        )
        labels = np.array([WNIDS.index(o.wnid) for o in item.objects])
        out.append((WNIDS.index(item.wnid), boxes, labels))
    return out


def _write_xml(root: Path, stem: str, objects: list[tuple[str, tuple[int, int, int, int]]]):
    body = "".join(
        f"<object><name>{w}</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin><xmax>{c}</xmax>"
        f"<ymax>{d}</ymax></bndbox></object>"
        for w, (a, b, c, d) in objects
    )
    size = f"<size><width>{W}</width><height>{H}</height><depth>3</depth></size>"
    (root / "val_xml" / f"{stem}.xml").write_text(f"<annotation>{size}{body}</annotation>")


def test_val_labels_and_boxes_are_the_written_ones(both: Path):
    ds = IlsvrcVal(both, boxes_source="xml", size=224)
    assert ds.classes == WNIDS and len(ds) == 6 and not ds.skipped and not ds.warnings
    for i, (label, boxes, box_labels) in enumerate(_expected_squash()):
        image, got_label, got_boxes, got_box_labels = ds[i]
        assert image.shape == (3, 224, 224) and image.dtype == torch.float32
        assert got_label == label
        assert got_boxes.dtype == torch.float64
        np.testing.assert_allclose(got_boxes.numpy(), boxes, rtol=0, atol=1e-12)
        assert got_box_labels.tolist() == box_labels.tolist()
    # image 2 holds objects of two different classes, image 3 two of one class
    assert ds[1][3].tolist() == [1, 2] and ds[2][3].tolist() == [2, 2]


def test_boxes_land_on_the_drawn_objects(both: Path):
    """The transformed box covers the object's flat colour in the transformed image."""
    for resize in ("squash", "shorter_crop"):
        ds = IlsvrcVal(both, size=48, resize=resize, resize_to=64, normalize=False)
        for i in (0, 3, 4, 5):  # one object each
            image, _, boxes, _ = ds[i]
            x0, y0, x1, y1 = boxes[0].round().int().tolist()
            inside = image[:, y0 + 2 : y1 - 2, x0 + 2 : x1 - 2].std(dim=(1, 2))
            assert (inside < 0.05).all()  # flat colour; the noise around it has std ~0.11


def test_known_answer_literal_boxes(tmp_path: Path):
    """Hand-computed transforms of literal ILSVRC corners on an 80x64 image."""
    root = make_miniature_ilsvrc(tmp_path / "t")
    _write_xml(
        root, "ILSVRC2012_val_00000001", [(WNIDS[0], (1, 1, 80, 64)), (WNIDS[0], (3, 5, 10, 20))]
    )
    squash = IlsvrcVal(root, size=224)
    # squash: x * 224/80 = 2.8 x, y * 224/64 = 3.5 y; corners (3, 5, 10, 20) -> edges (2, 4, 10, 20)
    assert squash[0][2].tolist() == [[0.0, 0.0, 224.0, 224.0], [5.6, 14.0, 28.0, 70.0]]
    # shorter side 64 -> 128: 160x128 (x2), centre crop 112 at left 24, top 8
    crop = IlsvrcVal(root, size=112, resize="shorter_crop", resize_to=128)
    # (0, 0, 80, 64) x2 - (24, 8) -> clipped (0, 0, 112, 112); (2, 4, 10, 20) x2 - (24, 8) =
    # (-20, 0, -4, 32) has no area left in the crop: dropped and counted
    assert crop[0][2].tolist() == [[0.0, 0.0, 112.0, 112.0]]
    assert crop.warnings == {"box_cropped_out": ["val/ILSVRC2012_val_00000001.JPEG"]}
    _write_xml(root, "ILSVRC2012_val_00000001", [(WNIDS[0], (20, 5, 60, 20))])
    crop = IlsvrcVal(root, size=112, resize="shorter_crop", resize_to=128)
    # edges (19, 4, 60, 20) x2 = (38, 8, 120, 40) - (24, 8) = (14, 0, 96, 32)
    assert crop[0][2].tolist() == [[14.0, 0.0, 96.0, 32.0]]
    assert crop.records[0].original_boxes.tolist() == [[19.0, 4.0, 60.0, 20.0]]


def test_box_sources_and_class_lists_agree(tmp_path: Path, both: Path):
    xml_tree = make_miniature_ilsvrc(tmp_path / "xml", val_boxes="xml")
    csv_tree = make_miniature_ilsvrc(tmp_path / "csv", val_boxes="csv")
    a, b = IlsvrcVal(xml_tree), IlsvrcVal(csv_tree)
    assert (a.boxes_source, b.boxes_source) == ("xml", "csv")
    # class lists from the devkit's meta.mat (IDs in reverse order) and from LOC_synset_mapping
    assert ilsvrc_classes(xml_tree) == (WNIDS, "ILSVRC2012_devkit_t12/data/meta.mat")
    assert ilsvrc_classes(csv_tree) == (WNIDS, "LOC_synset_mapping.txt")
    c = IlsvrcVal(both, boxes_source="csv")
    for r, s, t in zip(a.records, b.records, c.records, strict=True):
        assert r.file == s.file == t.file and r.label == s.label == t.label
        assert np.array_equal(r.boxes, s.boxes) and np.array_equal(r.boxes, t.boxes)
        assert np.array_equal(r.box_labels, s.box_labels)


def test_flat_and_foldered_val_agree(tmp_path: Path, both: Path):
    flat = IlsvrcVal(both)
    folders = IlsvrcVal(make_miniature_ilsvrc(tmp_path / "f", val_layout="folders"))
    assert [r.file for r in folders.records][:2] == [
        "val/n01440764/ILSVRC2012_val_00000001.JPEG",
        "val/n02102040/ILSVRC2012_val_00000002.JPEG",
    ]
    for r, s in zip(flat.records, folders.records, strict=True):
        assert r.label == s.label and np.array_equal(r.boxes, s.boxes)
        assert torch.equal(flat[0][0], folders[0][0])


def test_collate_and_padding(both: Path):
    ds = IlsvrcVal(both, size=32)
    images, labels, boxes, box_labels = next(iter(DataLoader(ds, batch_size=4, collate_fn=collate)))
    assert images.shape == (4, 3, 32, 32) and labels.tolist() == [0, 1, 2, 0]
    assert [len(b) for b in boxes] == [1, 2, 2, 1] and [len(b) for b in box_labels] == [1, 2, 2, 1]
    padded = IlsvrcVal(both, size=32, max_boxes=3)
    images, labels, pboxes, pbox_labels = next(iter(DataLoader(padded, batch_size=4)))
    assert pboxes.shape == (4, 3, 4) and pbox_labels[0].tolist() == [0, -1, -1]
    for got, want in zip(unpad_boxes(pboxes, pbox_labels), boxes, strict=True):
        np.testing.assert_array_equal(got, want.numpy())
    with pytest.raises(InputError, match=r"^max_boxes: expected >= 2 \(the most boxes in one"):
        IlsvrcVal(both, max_boxes=1)


BAD_CASES = {
    "corrupt_image": lambda root: (root / "val" / "ILSVRC2012_val_00000004.JPEG").write_bytes(
        b"\xff\xd8 this is not a JPEG"
    ),
    "truncated": lambda root: _truncate(root / "val" / "ILSVRC2012_val_00000004.JPEG"),
    "missing_annotation": lambda root: (root / "val_xml" / "ILSVRC2012_val_00000004.xml").unlink(),
    "bad_annotation": lambda root: (root / "val_xml" / "ILSVRC2012_val_00000004.xml").write_text(
        "<annotation><object>"
    ),
    "unknown_wnid": lambda root: _write_xml(
        root, "ILSVRC2012_val_00000004", [(WNIDS[0], (3, 5, 10, 20)), ("n99999999", (1, 1, 9, 9))]
    ),
    "box_outside": lambda root: _write_xml(
        root, "ILSVRC2012_val_00000004", [(WNIDS[0], (81, 5, 90, 20))]
    ),
    "box_empty": lambda root: _write_xml(
        root, "ILSVRC2012_val_00000004", [(WNIDS[0], (30, 5, 10, 20))]
    ),
    "no_box_for_label": lambda root: _write_xml(
        root, "ILSVRC2012_val_00000004", [(WNIDS[1], (3, 5, 10, 20))]
    ),
}
REASON = {"truncated": "corrupt_image", "box_outside": "bad_box", "box_empty": "bad_box"}
WHERE = {
    "corrupt_image": "val/ILSVRC2012_val_00000004.JPEG: cannot read image",
    "truncated": "val/ILSVRC2012_val_00000004.JPEG: cannot read image",
    "missing_annotation": "val_xml/ILSVRC2012_val_00000004.xml: missing (boxes of val/",
    "bad_annotation": "val_xml/ILSVRC2012_val_00000004.xml: not valid XML",
    "unknown_wnid": "val_xml/ILSVRC2012_val_00000004.xml: class n99999999 is not in the class",
    "box_outside": "box (80, 4, 90, 20) of n01440764 lies outside the 80x64 image",
    "box_empty": "box (29, 4, 10, 20) of n01440764 is empty (x1 <= x0 or y1 <= y0)",
    "no_box_for_label": "no box of the image's class n01440764",
}


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_skip_counts_and_stop_names_the_file(tmp_path: Path, case: str):
    root = make_miniature_ilsvrc(tmp_path / "t")
    BAD_CASES[case](root)
    ds = IlsvrcVal(root, on_error="skip")
    reason = REASON.get(case, case)
    assert len(ds) == 5
    assert ds.skipped == {reason: ["val/ILSVRC2012_val_00000004.JPEG"]}
    assert WHERE[case] in ds.messages[0] and "\n" not in ds.messages[0]
    assert ds.caveats()[0].startswith(f"{reason}: 1 image skipped (")
    with pytest.raises(InputError) as info:
        IlsvrcVal(root, on_error="stop")
    assert WHERE[case] in str(info.value) and "\n" not in str(info.value)


def test_csv_problems_and_clipping(tmp_path: Path):
    root = make_miniature_ilsvrc(tmp_path / "t", val_boxes="csv")
    path = root / "LOC_val_solution.csv"
    lines = path.read_text().splitlines()
    kept = [x for x in lines if not x.startswith("ILSVRC2012_val_00000005")]
    kept = [
        x.replace("ILSVRC2012_val_00000006,", "ILSVRC2012_val_00000006,n01440764 1 2 3 ")
        for x in kept
    ]
    kept = [
        "ILSVRC2012_val_00000001,n01440764 0 -3 81 30 "
        if x.startswith("ILSVRC2012_val_00000001")
        else x
        for x in kept
    ]
    path.write_text("\n".join(kept) + "\n")
    ds = IlsvrcVal(root)
    assert ds.skipped == {
        "missing_annotation": ["val/ILSVRC2012_val_00000005.JPEG"],
        "bad_annotation": ["val/ILSVRC2012_val_00000006.JPEG"],
    }
    assert "LOC_val_solution.csv: no row for ILSVRC2012_val_00000005" in " ".join(ds.messages)
    # a box partly outside is clipped and counted, not dropped: (-1, -4, 81, 30) -> (0, 0, 80, 30)
    assert ds.warnings == {"box_clipped": ["val/ILSVRC2012_val_00000001.JPEG"]}
    assert ds.records[0].original_boxes.tolist() == [[0.0, 0.0, 80.0, 30.0]]
    assert any(c.startswith("box_clipped: 1 image kept (") for c in ds.caveats())


def test_train_reader(tmp_path: Path, both: Path):
    ds = IlsvrcTrain(both, transform=lambda im: torch.tensor(im.size))
    assert len(ds) == 12 and ds.classes == WNIDS and not ds.skipped
    assert [label for _, label in ds.samples] == [0] * 4 + [1] * 4 + [2] * 4
    assert ds.samples[5][0] == "train/n02102040/n02102040_2.JPEG"
    assert ds[5][0].tolist() == [W, H] and ds[5][1] == 1
    default = IlsvrcTrain(both)[0][0]
    assert default.shape == (3, 224, 224)
    subset = IlsvrcTrain(both, classes=["n02979186", "n01440764"])
    assert subset.excluded_folders == ["n02102040"] and len(subset) == 8
    assert subset.samples[0] == ("train/n02979186/n02979186_1.JPEG", 0)
    with pytest.raises(InputError, match=r"^classes: expected wnids with a folder .* n03000684"):
        IlsvrcTrain(both, classes=["n03000684"])

    root = make_miniature_ilsvrc(tmp_path / "t", val_boxes="csv")
    stray = root / "train" / "n09999999"
    stray.mkdir()
    (stray / "n09999999_1.JPEG").write_bytes(
        (root / "train/n01440764/n01440764_1.JPEG").read_bytes()
    )
    bad = root / "train" / "n02102040" / "n02102040_3.JPEG"
    bad.write_bytes(b"garbage")
    lazy = IlsvrcTrain(root)  # verify="none": found only when read
    assert lazy.skipped == {"unknown_wnid": ["train/n09999999/n09999999_1.JPEG"]}
    index = [s[0] for s in lazy.samples].index("train/n02102040/n02102040_3.JPEG")
    with pytest.raises(InputError, match=r"train/n02102040/n02102040_3.JPEG: cannot decode"):
        lazy[index]
    checked = IlsvrcTrain(root, verify="header")
    assert checked.skipped["corrupt_image"] == ["train/n02102040/n02102040_3.JPEG"]
    assert len(checked) == 11
    with pytest.raises(
        InputError, match=r"train/n09999999/n09999999_1.JPEG: class folder n09999999"
    ):
        IlsvrcTrain(root, on_error="stop")


def test_class_order_is_torchvision_order():
    from cam_core.nets.pretrained import imagenet_categories

    names = imagenet_categories()
    assert len(names) == 1000
    # the Imagenette wnids, sorted, sit at increasing torchvision indices, tench first
    index = [names.index(words.split(",")[0]) for _, words in MINIATURE_WNIDS]
    assert index[0] == 0 and index == sorted(index)
    full = [f"n{i:08d}" for i in range(1000)]
    assert ilsvrc_class_names(full) == names


def test_bad_arguments(both: Path, tmp_path: Path):
    with pytest.raises(InputError, match=r"^boxes_source: expected one of"):
        IlsvrcVal(both, boxes_source="json")
    with pytest.raises(InputError, match=r"^on_error: expected one of \('skip', 'stop'\)"):
        IlsvrcVal(both, on_error="ignore")
    with pytest.raises(InputError, match=r"^resize_to: expected an int >= size \(224\)"):
        IlsvrcVal(both, resize="shorter_crop", resize_to=200)
    with pytest.raises(InputError, match=r"^root: expected an existing ILSVRC 2012 folder"):
        IlsvrcVal(tmp_path / "missing")
    with pytest.raises(InputError, match=r"^boxes_source: expected 'csv' with"):
        IlsvrcVal(make_miniature_ilsvrc(tmp_path / "x", train_per_class=0), boxes_source="csv")
