"""Street View Text reader on hand-written XML and a miniature tree: boxes, words and
lexicons exactly, bad files as one-line errors naming the file, and Figure 11's full-scale
code path (SVT positives against SUN397 negatives) end to end on a tiny network."""

import numpy as np
import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import profiles
from cam_core.datasets import manifest_check, svt
from cam_core.items import textdetect
from cam_core.nets.models import CAMNet
from cam_core.testing.miniature_sets import make_miniature_scene, make_miniature_svt
from cam_core.validate import InputError

TWO_IMAGES = """<?xml version="1.0" encoding="utf-8"?>
<tagset>
  <image>
    <imageName>img/14_03.jpg</imageName>
    <address>341 Southwest 10th Avenue Portland OR</address>
    <lex>LIVING,ROOM,THEATERS</lex>
    <Resolution x="1280" y="880"/>
    <taggedRectangles>
      <taggedRectangle height="75" width="236" x="375" y="253"><tag>LIVING</tag></taggedRectangle>
      <taggedRectangle height="76" width="175" x="639" y="272"><tag>ROOM</tag></taggedRectangle>
    </taggedRectangles>
  </image>
  <image>
    <imageName>img/00_01.jpg</imageName>
    <Resolution x="100" y="50"/>
    <taggedRectangles>
      <taggedRectangle height="10" width="20" x="80" y="40"><tag>CAFE</tag></taggedRectangle>
    </taggedRectangles>
  </image>
</tagset>
"""


def write_tree(root, xml=TWO_IMAGES, split="test"):
    (root / "img").mkdir(parents=True, exist_ok=True)
    for name in ("14_03.jpg", "00_01.jpg"):
        (root / "img" / name).write_bytes(b"")
    (root / f"{split}.xml").write_text(xml)
    return root


def test_hand_written_xml_is_read_exactly(tmp_path):
    root = write_tree(tmp_path / "svt1")
    data = svt.read_svt(root, "test")
    first, second = data.images
    assert first.file == "img/14_03.jpg" and (first.width, first.height) == (1280, 880)
    assert first.boxes.tolist() == [[375, 253, 611, 328], [639, 272, 814, 348]]
    assert first.words == ("LIVING", "ROOM") and first.lexicon == ("LIVING", "ROOM", "THEATERS")
    assert first.address == "341 Southwest 10th Avenue Portland OR"
    assert second.boxes.tolist() == [[80, 40, 100, 50]]  # touches the right and bottom edges
    assert second.lexicon == () and second.address == ""
    assert data.union_boxes.tolist() == [[375, 253, 814, 348], [80, 40, 100, 50]]
    assert data.files.files == ["img/14_03.jpg", "img/00_01.jpg"]
    assert svt.locate(tmp_path) == root
    assert svt.union_box(np.zeros((0, 4))).tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("</tagset>", "", r"test.xml: malformed XML \(no element found"),
        ("<imageName>img/00_01.jpg</imageName>", "", r"test.xml: image 2: missing <imageName>"),
        ('<Resolution x="100" y="50"/>', "", r"test.xml: img/00_01.jpg: missing <Resolution>"),
        ('x="80"', 'x="8o"', r"img/00_01.jpg: attribute x='8o' is not an integer"),
        ('height="10"', "", r"img/00_01.jpg: missing attribute height="),
        ('width="20"', 'width="0"', r"word 'CAFE': expected a positive width and height"),
        ('x="80"', 'x="81"', r"word 'CAFE': box \(x=81, y=40, width=20, height=10\) outside"),
        ('y="40"', 'y="-1"', r"word 'CAFE': box .* outside the 100 x 50 image"),
        ("img/00_01.jpg", "img/99_99.jpg", r"test.xml: lists img/99_99.jpg, missing under"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path, old, new, message):
    assert old in TWO_IMAGES
    root = write_tree(tmp_path / "svt1", TWO_IMAGES.replace(old, new))
    with pytest.raises(InputError, match=rf"^svt: .*{message}") as err:
        svt.read_svt(root, "test")
    assert "\n" not in str(err.value)


def test_boxes_outside_the_image_can_be_skipped_and_counted(tmp_path):
    root = write_tree(tmp_path, TWO_IMAGES.replace('x="80"', 'x="81"'))
    data = svt.read_svt(root, "test", bad_boxes="skip")
    assert data.skipped_boxes == 1 and len(data.images[1].boxes) == 0
    assert data.union_boxes[1].tolist() == [0, 0, 0, 0]
    assert len(data.images[0].boxes) == 2


def test_missing_tree_files_and_arguments(tmp_path):
    with pytest.raises(InputError, match=r"^data_root: expected a folder with svt1/test.xml"):
        svt.locate(tmp_path)
    root = write_tree(tmp_path / "svt1")
    with pytest.raises(InputError, match=r"^svt: .*train.xml: missing file"):
        svt.read_svt(root, "train")
    with pytest.raises(InputError, match=r"^split: expected 'train' or 'test'"):
        svt.read_svt(root, "val")
    with pytest.raises(InputError, match=r"^bad_boxes: expected 'error' or 'skip'"):
        svt.read_svt(root, "test", bad_boxes="clip")
    (root / "test.xml").write_text("<images></images>")
    with pytest.raises(InputError, match=r"expected a <tagset> root element, got <images>"):
        svt.read_svt(root, "test")


def test_miniature_tree_reads_back_what_was_written(tmp_path):
    mini = make_miniature_svt(tmp_path / "data" / "svt1", train=3, test=2)
    root = svt.locate(tmp_path / "data")
    for split in ("train", "test"):
        data = svt.read_svt(root, split)
        assert tuple(im.file for im in data.images) == mini.files[split]
        assert [im.words for im in data.images] == list(mini.words[split])
        for im, boxes, (h, w) in zip(
            data.images, mini.boxes[split], mini.sizes[split], strict=True
        ):
            assert np.array_equal(im.boxes, boxes) and (im.height, im.width) == (h, w)
        assert np.array_equal(data.files.sizes, mini.sizes[split])
    image = svt.read_svt(root, "train").files[1]  # two signs: white pixels inside the boxes
    x0, y0, x1, y1 = mini.boxes["train"][1][0].astype(int)
    assert image[y0 + 1, x0 + 1].min() > 200 and image[y0 - 1, x0 - 1].max() < 110


def whiteness_net() -> CAMNet:
    """One unit: ReLU(R + G + B - 3) of the ImageNet-normalised image, 4 x 4 average pooled:
    positive on the white signs only (a white pixel gives 4.3; the darkest miniature SUN397
    colour at most 2.5, their dark noise < 0)."""
    conv = nn.Conv2d(3, 1, 1)
    with torch.no_grad():
        conv.weight.fill_(1.0)
        conv.bias.fill_(-3.0)
    return CAMNet(nn.Sequential(conv, nn.ReLU(), nn.AvgPool2d(4)), 1, 2)


def test_figure11_full_code_path_on_miniature_trees(tmp_path):
    mini = make_miniature_svt(tmp_path / "svt1", train=4, test=3)
    make_miniature_scene("sun397", tmp_path, per_class=4)
    result = textdetect.svt_text_detector(
        whiteness_net(), "whiteness", tmp_path, positives=0, negatives=6, test_images=0,
        size=64, cache_dir=tmp_path / "cache", num_examples=2,
    )  # fmt: skip
    assert result.counts == {
        "train_positives": 4, "train_negatives": 6, "test_positives": 3, "test_negatives": 3,
        "test_without_words": 0, "skipped_boxes": 0,
    }  # fmt: skip
    assert result.detection_accuracy == 1.0  # signs against sign-free scenes
    union = np.stack([svt.union_box(b) for b in mini.boxes["test"]])
    assert np.array_equal(result.gt_boxes, union)
    assert np.array_equal(result.sizes, mini.sizes["test"])
    # CAM boxes (image pixels) within a few pixels of the signs; all hit the union at IoU 0.5
    scale = mini.sizes["test"][:, ::-1].repeat(2).reshape(-1, 2, 2).transpose(0, 2, 1)
    tolerance = 2.5 * scale.reshape(-1, 4) / 64 + 1  # 2.5 input pixels, in image pixels
    assert (np.abs(result.boxes - union) <= tolerance).all()
    table = result.table.set_index("boxes")
    assert result.box_accuracy == 1.0 and table.loc["whole image", "accuracy"] == 0.0
    # image 1 of the test split has two words: its union box is no single word's box
    assert table["accuracy_any_word"].iloc[0] == pytest.approx(2 / 3)
    assert result.peak_in_box == 1.0
    word_share = np.mean([
        (b[:, 2:] - b[:, :2]).prod(1).sum() / (h * w)
        for b, (h, w) in zip(mini.boxes["test"], mini.sizes["test"], strict=True)
    ])  # fmt: skip
    assert result.peak_chance == pytest.approx(word_share)  # the signs do not overlap
    assert result.images.shape == (3, 64, 64, 3) and result.cams.shape == (3, 64, 64)
    shown, boxes, words = textdetect.svt_test_panels(result, 2)
    assert shown.shape == (2, 64, 64, 3) and boxes.shape == (2, 4) and len(words) == 2
    assert np.allclose(words[0], mini.boxes["test"][0] * 64 / scale[0].reshape(-1))
    assert len(textdetect.svt_examples(result)) == 2
    assert "on 100.0% of 3 held-out" in textdetect.box_caption(result, "whiteness", "the words")
    assert "3 SVT test images" in textdetect.svt_notes(result)[0]
    assert result.peak_hits.tolist() == [True] * 3 and result.blind_ious["whole image"].max() < 0.5
    assert result.peak_shares == pytest.approx(
        [(b[:, 2:] - b[:, :2]).prod(1).sum() / (h * w)
         for b, (h, w) in zip(mini.boxes["test"], mini.sizes["test"], strict=True)]
    )  # fmt: skip
    found = textdetect.text_claims(result.ious, result.blind_ious, result.peak_hits,
                                   result.peak_shares, result.detection_accuracy)  # fmt: skip
    assert found[0].claim_id == "text_boxes_accurate" and found[0].measured == 100.0
    assert {c.verdict for c in found} == {"not tested"}  # 3 scored images < MIN_SCORED
    again = textdetect.svt_text_detector(
        whiteness_net(), "whiteness", tmp_path, 2, 6, 2, size=64, cache_dir=tmp_path / "cache"
    )
    assert again.counts["train_positives"] == 2 and again.counts["test_positives"] == 2
    with pytest.raises(InputError, match=r"^negatives: expected at most 6 \(SUN397 training"):
        textdetect.svt_text_detector(whiteness_net(), "w", tmp_path, 0, 7, 0, size=64)
    with pytest.raises(InputError, match=r"^positives: expected at most 4 \(train.xml"):
        textdetect.svt_text_detector(whiteness_net(), "w", tmp_path, 5, 6, 0, size=64)


def test_resolution_must_match_the_image_file(tmp_path):
    make_miniature_svt(tmp_path / "svt1", train=1, test=1)
    make_miniature_scene("sun397", tmp_path, per_class=2)
    xml = tmp_path / "svt1" / "test.xml"
    text = xml.read_text()
    start = text.index('<Resolution x="') + len('<Resolution x="')
    width = int(text[start : text.index('"', start)])
    xml.write_text(text.replace(f'<Resolution x="{width}"', f'<Resolution x="{width + 50}"'))
    with pytest.raises(InputError, match=r"^svt: test.xml: img/te_00.jpg: Resolution \d+ x"):
        textdetect.svt_text_detector(whiteness_net(), "w", tmp_path, 0, 1, 0, size=64)


def test_manifest_checks_the_miniature_tree(tmp_path):

    mini = make_miniature_svt(tmp_path / "svt1", train=2, test=2)
    report = manifest_check.check_dataset("svt", mini.root, expected_counts={"img": 4})
    assert report.ok, report.message
    full = manifest_check.check_dataset("svt", mini.root)
    assert not full.ok and "expected 349 JPEG files" in full.message
    (mini.root / "train.xml").unlink()
    assert (
        "train.xml"
        in manifest_check.check_dataset("svt", mini.root, expected_counts={"img": 4}).message
    )


def test_figure11_run_at_full_on_miniature_trees(tmp_path, monkeypatch):
    make_miniature_svt(tmp_path / "svt1", train=4, test=3)
    make_miniature_scene("sun397", tmp_path, per_class=4)
    monkeypatch.setattr(textdetect, "load_network", lambda p, n, progress=None: whiteness_net())
    params = profiles.validate_parameters(
        "figure11", profile="full", data_root=str(tmp_path), out_dir=str(tmp_path / "o"),
        device="cpu", image_size=64, input_sizes=[64], positives=0, negatives=6,
        test_images=0, num_examples=2,
    )  # fmt: skip
    result = textdetect.run(params)
    assert result.tables["figure11_resolution"]["map"].tolist() == ["16 x 16"]  # stride 4
    assert set(result.tables["figure11_boxes"]["map"]) == {"16 x 16"}
    assert result.headline_value == 100.0 and result.coverage == "complete"
    assert [c.claim_id for c in result.claims] == [
        "text_boxes_accurate", "text_boxes_beat_image_blind", "peaks_on_text",
    ]  # fmt: skip
    assert {c.verdict for c in result.claims} == {"not tested"}  # 3 scored images
    assert result.claim("text_boxes_beat_image_blind").measured == 100.0  # blind boxes: 0%
    assert set(result.figures) == {"figure11_pairs", "figure11_test", "figure11_real_text"}
    assert "4 SVT training images against 6 SUN397" in result.notes[0]
    assert "on 100.0% of 3 held-out" in result.captions["figure11_boxes"]
