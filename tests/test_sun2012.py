"""SUN2012 object annotations (LabelMe XML): a hand-written file read exactly, polygons
rasterised pixel by pixel, bad files as one-line errors (or skipped and counted), the
paper's scene rule, Figure 9's full code path end to end on a miniature tree, the manifest."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import profiles
from cam_core.datasets import manifest_check, sun2012
from cam_core.items import discovery, sun_scenes
from cam_core.nets import models as nets_models
from cam_core.nets.models import CAMNet
from cam_core.testing.miniature_sets import colour_of, make_miniature_sun2012
from cam_core.validate import InputError

XML = """<annotation><filename>sun_abc.jpg</filename><folder>d/dining_room</folder>
<object><name> Dining  TABLE
</name><deleted>0</deleted><polygon><username>x</username>
<pt><x>2</x><y>3</y></pt><pt><x>6</x><y>3</y></pt><pt><x>6</x><y>8</y></pt><pt><x>2</x><y>8</y></pt>
</polygon></object>
<object><name>ghost</name><deleted>1</deleted><polygon><pt><x>0</x><y>0</y></pt></polygon></object>
<object><name>chair</name><deleted>0</deleted><polygon>
<pt><x>1.5</x><y>0</y></pt><pt><x>4</x><y>0</y></pt><pt><x>4</x><y>2</y></pt></polygon></object>
<imagesize><nrows>10</nrows><ncols>12</ncols></imagesize></annotation>"""


@pytest.fixture
def tree(tmp_path):
    return make_miniature_sun2012(tmp_path / "data", per_scene=6)


class ColourUnits(nn.Module):
    """One unit per flat colour of the miniature tree (the three scenes' objects, the wall's
    and the chair's grey): exp(-|pixel - colour|^2 / 0.1) on ImageNet-normalised pixels."""

    def __init__(self) -> None:
        super().__init__()
        rgb = [colour_of(c) / 255.0 for c in range(3)] + [[128 / 255] * 3, [200 / 255] * 3]
        mean, std = np.array(nets_models.IMAGENET_MEAN), np.array(nets_models.IMAGENET_STD)
        centres = (np.array(rgb) - mean) / std
        self.register_buffer("centres", torch.tensor(centres, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = ((x[:, None] - self.centres[None, :, :, None, None]) ** 2).sum(dim=2)
        return torch.exp(-d / 0.1)


def tiny_net() -> CAMNet:
    return CAMNet(ColourUnits(), 5, 3)


def test_hand_written_annotation_is_read_exactly(tmp_path):
    path = tmp_path / "a.xml"
    path.write_text(XML)
    ann = sun2012.parse_annotation(path)
    assert ann.filename == "sun_abc.jpg" and ann.imagesize == (10, 12)
    assert [o.name for o in ann.objects] == ["dining table", "chair"]  # deleted one dropped
    assert ann.objects[0].polygon.tolist() == [[2, 3], [6, 3], [6, 8], [2, 8]]
    assert ann.objects[1].polygon.tolist() == [[1.5, 0], [4, 0], [4, 2]]
    mask = sun2012.polygon_mask(ann.objects[0].polygon, 10, 12)
    want = np.zeros((10, 12), bool)
    want[3:9, 2:7] = True  # vertices 2..6 and 3..8, boundary pixels included
    assert np.array_equal(mask, want)
    # a vertex past the border is clipped; a polygon wholly outside is empty
    clipped = sun2012.polygon_mask(np.array([[-5, 0], [3, 0], [3, 2], [-5, 2]]), 10, 12)
    assert clipped.sum() == 4 * 3 and clipped[:3, :4].all()
    assert not sun2012.polygon_mask(np.array([[20, 0], [30, 0], [30, 5]]), 10, 12).any()
    assert sun2012.scene_name("b/bakery/shop") == "bakery/shop"
    assert sun2012.scene_name("d/dining_room") == "dining room"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<annotation><object>", r"malformed XML"),
        ("<scene/>", r"expected a <annotation> root element, got <scene>"),
        (XML.replace("chair", "  "), r"object 2: expected a <name>, got none"),
        (XML.replace("<pt><x>4</x><y>2</y></pt>", ""), r"object 2 \(chair\): expected a polygon"),
        (
            XML.replace("<x>6</x><y>8</y>", "<x>six</x><y>8</y>"),
            r"object 0 \(dining table\): expected numeric <x> and <y>",
        ),
    ],
)
def test_bad_annotation_files_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(InputError, match=rf"^sun2012: .*bad.xml: {message}") as err:
        sun2012.parse_annotation(path)
    assert "\n" not in str(err.value)


def test_miniature_tree_is_read_exactly_and_bad_files_skipped(tree):
    root = sun2012.locate(tree.root.parent)
    assert root == tree.root
    counts = sun2012.scene_counts(root)
    assert counts.to_dict() == {"bathroom": 6, "dining room": 6, "kitchen": 6}
    index = sun2012.read_sun2012(root)
    got = dict(zip(index.files, zip(index.scenes, index.annotations, strict=True), strict=True))
    assert sorted(got) == list(tree.files)
    for file, scene, objects in zip(tree.files, tree.scenes, tree.objects, strict=True):
        assert got[file][0] == scene
        read = got[file][1].objects
        assert [o.name for o in read] == [name for name, _ in objects]
        for o, (_, poly) in zip(read, objects, strict=True):
            assert np.array_equal(o.polygon, poly)
    only = sun2012.read_sun2012(root, ["kitchen"])
    assert set(only.scenes) == {"kitchen"} and len(only) == 6
    with pytest.raises(InputError, match=r"^sun2012: .*Annotations: expected annotations of scene"):
        sun2012.read_sun2012(root, ["zoo"])
    bad = root / "Annotations" / "k" / "kitchen" / "sun_c001.xml"
    bad.write_text("<annotation><object>")
    with pytest.raises(InputError, match=r"^sun2012: .*sun_c001.xml: malformed XML"):
        sun2012.read_sun2012(root)
    skipped = sun2012.read_sun2012(root, on_error="skip")
    assert len(skipped) == 17 and len(skipped.skipped) == 1 and "sun_c001" in skipped.skipped[0]
    (root / "Images" / "b" / "bathroom" / "sun_b000.jpg").unlink()
    with pytest.raises(InputError, match=r"sun_b000.xml: its image .*sun_b000.jpg is missing"):
        sun2012.read_sun2012(root, ["bathroom"])


def test_paper_scene_rule():
    counts = pd.Series({"kitchen": 500, "bedroom": 300, "bathroom": 250, "attic": 150})
    assert sun2012.choose_scenes(counts, ["bathroom"]) == ["bathroom", "kitchen", "bedroom"]
    assert sun2012.choose_scenes(counts, ["attic"], at_most=2) == ["attic", "kitchen"]
    with pytest.raises(InputError, match=r"^scene_classes: expected scenes of the SUN2012"):
        sun2012.choose_scenes(counts, ["zoo"])


def test_figure9_full_code_path_on_the_miniature_tree(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(sun2012, "MIN_SCENE_IMAGES", 5)  # the tree's scenes have 6 images
    params = profiles.validate_parameters(
        "figure09", profile="full", data_root=str(tree.root.parent), out_dir=str(tmp_path / "o"),
        device="cpu", image_size=32, top_objects=1, threshold=0.5, num_examples=2,
    )  # fmt: skip
    res = sun_scenes.figure9_full(tiny_net(), params)
    assert res.scenes == ["dining room", "bathroom", "kitchen"]  # named first, then by rule
    assert res.counts["train images"].tolist() == [3, 3, 3]
    assert res.counts["held-out images"].tolist() == [3, 3, 3]
    assert res.accuracy >= 2 / 3  # chance 1/3; the scenes' own objects have their own colour
    objects = dict(zip(tree.files, tree.objects, strict=True))
    scene_of = dict(zip(tree.files, tree.scenes, strict=True))
    table = res.table.set_index(["scene", "object"])
    for scene, own in (("dining room", "table"), ("bathroom", "toilet"), ("kitchen", "stove")):
        held = [f for f in res.held_out if scene_of[f] == scene]
        assert len(held) == 3
        freq = np.mean([own in {n for n, _ in objects[f]} for f in held])
        assert table.loc[(scene, own), "frequency"] == pytest.approx(freq)
        assert table.loc[(scene, "wall"), "frequency"] == 1.0
        # the CAM's high region lies on the scene's coloured object, never on the grey wall
        assert table.loc[(scene, own), "overlap"] == pytest.approx(freq)
        assert table.loc[(scene, "wall"), "overlap"] == 0.0
        assert table.loc[(scene, own), "in_scene"] == pytest.approx(4 / 6)
        assert table.loc[(scene, own), "distinct"] and not table.loc[(scene, "wall"), "distinct"]
    assert res.shown == ["dining room", "bathroom"]
    assert [len(res.examples[s][0]) for s in res.shown] == [2, 2]
    # top-1 lists: by CAM overlap the scene's own object, by frequency the wall
    assert res.mean_precision("overlap") == 1.0 and res.mean_precision("frequency") == 0.0
    # the claim on these numbers: every top-1 CAM slot distinguishes, no frequency slot does
    found = discovery.scene_claims(res.table, res.accuracy, 9, top=1, share_boundary=None)
    assert [c.claim_id for c in found] == ["cam_lists_beat_frequency"]
    assert found[0].measured == 100.0 and found[0].verdict == "not tested"  # 9 < MIN_SCORED
    (beat,) = discovery.scene_claims(res.table, res.accuracy, 9, 1, None, min_scored=9)
    assert (beat.low, beat.high, beat.verdict) == (100.0, 100.0, "holds")
    caption = discovery.scene_caption(res.accuracy, 3, 1.0, 0.0, "t", "top 1")
    assert "100.0% distinguish" in caption and "against 0.0%" in caption
    image, cam = res.examples["dining room"][0][0], res.examples["dining room"][1][0]
    assert cam.shape == image.shape[:2] and cam.max() == pytest.approx(1.0)
    assert sun_scenes.sun_figure(res, "bathroom") is not None


def test_manifest_checks_the_miniature_tree(tree):
    counts = {"images": 18, "annotations": 18}
    report = manifest_check.check_dataset("sun2012", tree.root, expected_counts=counts)
    assert report.ok, report.message
    full = manifest_check.check_dataset("sun2012", tree.root)
    assert not full.ok and "expected 16873 JPEG files" in full.message


def test_figure9_run_at_full_on_the_miniature_tree(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(sun2012, "MIN_SCENE_IMAGES", 5)
    monkeypatch.setattr(discovery, "load_network", lambda params, name, progress=None: tiny_net())
    params = profiles.validate_parameters(
        "figure09", profile="full", data_root=str(tree.root.parent), out_dir=str(tmp_path / "o"),
        device="cpu", image_size=32, top_objects=1, threshold=0.5, num_examples=2,
    )  # fmt: skip
    result = sun_scenes.run(params)
    assert result.item == "figure09" and result.coverage == "complete"
    assert result.headline_value == 100.0  # every top-1 CAM slot is the scene's own object
    (claim,) = result.claims  # SUN2012: only the comparison with the frequency lists
    assert claim.claim_id == "cam_lists_beat_frequency" and claim.measured == 100.0
    assert claim.verdict == "not tested" and "9 held-out images" in claim.reason
    assert set(result.tables) == {
        "figure09_scenes", "figure09_lists", "figure09_precision", "figure09_objects",
    }  # fmt: skip
    assert result.tables["figure09_lists"]["scene"].tolist() == ["dining room", "bathroom"]
    assert result.tables["figure09_precision"]["CAM-overlap list"].tolist() == [1.0, 1.0, 1.0]
    assert "100.0% distinguish" in result.captions["figure09_precision"]
    assert list(result.figures) == ["figure09_examples"]
