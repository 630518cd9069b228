"""COCO 2014 captions/instances and VQA v1 readers on hand-written JSON (captions, boxes,
answers and VQA accuracy exactly), bad files as one-line errors, the full code paths of
Figures 10 and 12 end to end on a miniature tree, and the manifests."""

import json

import numpy as np
import pytest
import torch
from torch import nn

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import profiles
from cam_core.datasets import coco, manifest_check
from cam_core.items import concepts_coco, vqa
from cam_core.nets.models import CAMNet
from cam_core.testing.miniature_sets import make_miniature_coco
from cam_core.validate import InputError

CAPTIONS = {
    "images": [
        {"id": 7, "file_name": "COCO_train2014_000000000007.jpg", "width": 40, "height": 30},
        {"id": 3, "file_name": "COCO_train2014_000000000003.jpg", "width": 20, "height": 10},
    ],
    "annotations": [
        {"image_id": 7, "caption": " A view out of the Window. "},
        {"image_id": 3, "caption": "a kite"},
        {"image_id": 7, "caption": "a room"},
    ],
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return make_miniature_coco(tmp_path_factory.mktemp("coco") / "data")


def tiny_net() -> CAMNet:
    conv = nn.Conv2d(3, 3, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
        conv.bias.fill_(3.0)
    return CAMNet(nn.Sequential(conv, nn.ReLU()), 3, 3)


def write(path, doc):
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def test_hand_written_captions_and_boxes_are_read_exactly(tmp_path):
    caps = coco.read_captions(write(tmp_path / "c.json", CAPTIONS))
    assert caps.images["id"].tolist() == [3, 7] and caps.images["width"].tolist() == [20, 40]
    assert caps.captions["caption"].tolist() == ["A view out of the Window.", "a kite", "a room"]
    assert caps.by_image().to_dict() == {3: "a kite", 7: "a view out of the window.\na room"}
    inst = {
        "categories": [{"id": 38, "name": "kite"}],
        "annotations": [
            {"image_id": 3, "category_id": 38, "bbox": [2.5, 1.0, 10.0, 4.0]},
            {"image_id": 7, "category_id": 38, "bbox": [30.0, 20.0, 10.5, 10.0]},  # 0.5 px over
        ],
    }
    boxes = coco.read_instances(write(tmp_path / "i.json", inst), caps.images)
    assert boxes.values.tolist() == [
        [3, "kite", 2.5, 1.0, 12.5, 5.0],
        [7, "kite", 30.0, 20.0, 40.0, 30.0],
    ]
    inst["annotations"][0]["bbox"] = [15.0, 1.0, 10.0, 4.0]  # x1 = 25 > 20 + 1
    with pytest.raises(InputError, match=r"^coco2014: .*i.json: annotations\[0\]: expected a box"):
        coco.read_instances(write(tmp_path / "i.json", inst), caps.images)
    # phrases: word for word, articles ignored; negatives hold no content word of the phrase
    by_image = caps.by_image()
    assert concepts_coco.phrase_images(by_image, "view out of window").tolist() == [7]
    assert concepts_coco.phrase_images(by_image, "window view").tolist() == []
    assert concepts_coco.unrelated_images(by_image, "kite in the sky").tolist() == [7]
    assert concepts_coco.named_categories("kites in the sky", ["kite", "sky", "dining table"]) == [
        "kite",
        "sky",
    ]


def test_hand_written_vqa_answers_and_accuracy(tmp_path):
    q = {"questions": [{"image_id": 9, "question": "Is it red?", "question_id": 90}]}
    answers = ["yes"] * 2 + ["Yes "] + ["no"] * 7
    listed = [{"answer": x, "answer_id": i} for i, x in enumerate(answers)]
    a = {"annotations": [{"question_id": 90, "image_id": 9, "question_type": "is it",
                          "answer_type": "yes/no", "multiple_choice_answer": "no",
                          "answers": listed}]}  # fmt: skip
    table = coco.read_vqa(write(tmp_path / "q.json", q), write(tmp_path / "a.json", a))
    row = table.iloc[0]
    assert (row["question_id"], row["image_id"], row["question"]) == (90, 9, "Is it red?")
    assert row["answer"] == "no" and row["answers"].count("yes") == 3
    acc = coco.vqa_accuracy(["yes", "no", "maybe", "no"], [row["answers"]] * 3 + [("no",)],
                            ["no"] * 4)  # fmt: skip
    assert acc.tolist() == [1.0, 1.0, 0.0, 1.0]  # 3 humans -> 1; 7 -> 1; none; not 10: exact
    two = coco.vqa_accuracy(["yes"], [("yes", "yes") + ("no",) * 8], ["no"])
    assert two.tolist() == pytest.approx([2 / 3])
    assert coco.image_path("val", 42) == "val2014/COCO_val2014_000000000042.jpg"


@pytest.mark.parametrize(
    ("name", "doc", "message"),
    [
        ("c.json", "{not json", r"c.json: invalid JSON \(.* at line 1 column 2\)"),
        ("c.json", {"images": []}, r'c.json: expected a JSON object with a "annotations" list'),
        ("c.json", {"images": [{"id": 1}], "annotations": []},
         r'c.json: images\[0\]: expected key "file_name"'),
        ("c.json", {**CAPTIONS, "annotations": [{"image_id": 5, "caption": "x"}]},
         r"c.json: caption 0: unknown image id 5"),
    ],
)  # fmt: skip
def test_bad_caption_files_are_one_line_errors(tmp_path, name, doc, message):
    with pytest.raises(InputError, match=rf"^coco2014: .*{message}") as err:
        coco.read_captions(write(tmp_path / name, doc))
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match=r"^coco2014: .*nothing.json: missing file"):
        coco.read_captions(tmp_path / "nothing.json")


def test_vqa_question_without_annotation_is_an_error(tree, tmp_path):
    qpath, apath = coco.vqa_files(tree.data_root, "val")
    doc = json.loads(apath.read_text())
    doc["annotations"] = doc["annotations"][1:]
    bad = write(tmp_path / "a.json", doc)
    with pytest.raises(InputError, match=r"^vqa-v1: .*a.json: no annotation for question id \d+"):
        coco.read_vqa(qpath, bad)
    with pytest.raises(InputError, match=r"^vqa-v1: .*expected OpenEnded_mscoco_train2014"):
        coco.vqa_files(tmp_path, "train")


def test_miniature_tree_reads_back(tree):
    root = coco.locate(tree.data_root)
    caps = coco.read_captions(root / "annotations" / "captions_train2014.json")
    assert caps.images["id"].tolist() == tree.ids["train"].tolist()
    boxes = coco.read_instances(root / "annotations" / "instances_train2014.json", caps.images)
    has_box = tree.kinds["train"] != 1  # kites and dogs
    assert boxes["image_id"].tolist() == tree.ids["train"][has_box].tolist()
    assert boxes[["x0", "y0", "x1", "y1"]].to_numpy().tolist() == (
        tree.boxes["train"][has_box].tolist()
    )
    val = coco.read_vqa(*coco.vqa_files(tree.data_root, "val"))
    assert val["question_id"].tolist() == [q["question_id"] for q in tree.questions["val"]]
    assert val["answer"].tolist() == [q["answer"] for q in tree.questions["val"]]


def test_figure10_full_code_path_on_the_miniature_tree(tree, tmp_path):
    params = profiles.validate_parameters(
        "figure10", profile="full", data_root=str(tree.data_root), out_dir=str(tmp_path),
        device="cpu", image_size=32, positives=10, negatives=4, hard_negative_rounds=1,
        num_examples=2, concepts=["kite in the sky", "view out of window", "mirror in lake"],
    )  # fmt: skip
    kite, window, mirror = concepts_coco.figure10_full(tiny_net(), params)
    # 6 kite captions: a fifth (1) held out, 5 trained on; negatives: window and dog images
    assert (kite.found, kite.train_positives, kite.held_out, kite.named) == (6, 5, 1, ("kite",))
    assert kite.captions == ["a red kite in the sky."]
    assert list(kite.rounds["negatives"]) == [2, 4, 4]
    # the held-out kite image: its CAM (red unit) peaks on the red square; chance = box share
    held = kite.images[0]
    k = next(i for i in range(len(tree.ids["train"])) if tree.sizes["train"][i].tolist()
             == list(held.shape[:2]) and tree.kinds["train"][i] == 0)  # fmt: skip
    h, w = tree.sizes["train"][k]
    assert kite.hits.tolist() == [True] and kite.chance == pytest.approx(14 * 14 / (h * w))
    assert kite.cams[0].shape == (h, w)
    assert (window.found, window.held_out, window.named, len(window.hits)) == (3, 1, (), 0)
    assert not mirror.trained and mirror.found == 0
    text = concepts_coco.caption_verdict([kite, window, mirror], "t")
    assert "names no COCO object category" in text and "too few to train" in text
    assert concepts_coco.caption_concept_figure(kite) is not None


def test_figure12_full_code_path_on_the_miniature_tree(tree, tmp_path):
    params = profiles.validate_parameters(
        "figure12", profile="full", data_root=str(tree.data_root), out_dir=str(tmp_path),
        device="cpu", image_size=32, answers=6, num_examples=1,
    )  # fmt: skip
    res = vqa.figure12_full(tiny_net(), params)
    assert res.train_questions == 48 and len(res.questions) == 27  # 16 and 9 images x 3
    assert res.vocab_size == 12  # what color is the square is there a kite how many squares are
    q = res.questions
    want = coco.vqa_accuracy(q["predicted"], q["answers"], q["answer"])
    assert np.allclose(q["accuracy"], want)
    # the question-type prior answers "no" to "is there a kite?": 2/3 on kite images (8 yes)
    kite_q = q[q["question"] == "is there a kite?"]
    assert set(kite_q["prior"]) == {"no"}
    assert np.allclose(kite_q["prior_accuracy"], np.where(kite_q["answer"] == "yes", 2 / 3, 1.0))
    table = res.accuracy.set_index("answer_type")
    assert table.loc["overall", "questions"] == 27
    assert table.loc["number", "question_type_prior"] == 1.0  # always "1"
    assert table.loc["overall", "accuracy"] == pytest.approx(q["accuracy"].mean())
    assert len(res.examples) == 3  # one per answer type
    image, row, cam = res.examples[0]
    assert cam.shape == image.shape[:2] and row["answer_type"] == "number"
    assert vqa.vqa_v1_figure(res) is not None and res.cam_scores is None  # no val boxes
    # the ItemResult: the answers claim from the same per-question scores; without the val
    # instance boxes the CAM claim is not tested and the item partial
    item = vqa._v1_item(params, res)
    answers = item.claim("answers_from_image")
    assert answers.measured == pytest.approx(
        100 * (q["accuracy"].mean() - q["prior_accuracy"].mean())
    )
    assert answers.verdict == "not tested" and "27 scored questions" in answers.reason
    assert item.claim("cam_on_object").verdict == "not tested" and item.coverage == "partial"
    assert item.headline_value == pytest.approx(100 * res.overall)


def test_figure12_full_scores_the_answer_cams_on_the_val_boxes(tmp_path):
    tree = make_miniature_coco(tmp_path / "data")
    ann = tree.root / "annotations"
    # val boxes of the kite and dog squares (kinds 0 and 2), as instances_val2014.json
    images = [{"id": int(i), "width": int(w), "height": int(h)}
              for i, (h, w) in zip(tree.ids["val"], tree.sizes["val"], strict=True)]  # fmt: skip
    boxes = [
        {"image_id": int(i), "category_id": 1 + int(k == 2),
         "bbox": [x0, y0, x1 - x0, y1 - y0]}
        for i, k, (x0, y0, x1, y1) in zip(tree.ids["val"], tree.kinds["val"], tree.boxes["val"],
                                          strict=True) if k != 1
    ]  # fmt: skip
    write(ann / "instances_val2014.json", {"images": images, "annotations": boxes,
          "categories": [{"id": 1, "name": "kite"}, {"id": 2, "name": "dog"}]})  # fmt: skip
    params = profiles.validate_parameters(
        "figure12", profile="full", data_root=str(tree.data_root), out_dir=str(tmp_path),
        device="cpu", image_size=32, answers=6, num_examples=1,
    )  # fmt: skip
    res = vqa.figure12_full(tiny_net(), params)
    scores = res.cam_scores
    # only "is there a kite?" names a category, and only the 3 kite images hold a kite box
    kite_images = tree.ids["val"][tree.kinds["val"] == 0]
    want = [q["question_id"] for q in tree.questions["val"]
            if q["question"] == "is there a kite?" and q["image_id"] in kite_images]  # fmt: skip
    assert scores["question_id"].tolist() == want and set(scores["category"]) == {"kite"}
    sizes = dict(zip(tree.ids["val"].tolist(), tree.sizes["val"].tolist(), strict=True))
    qid_image = {q["question_id"]: q["image_id"] for q in tree.questions["val"]}
    chance = [14 * 14 / np.prod(sizes[qid_image[q]]) for q in want]  # a 14 px square each
    assert scores["chance"].tolist() == pytest.approx(chance)
    assert scores["hit"].dtype == bool
    item = vqa._v1_item(params, res)
    cam = item.claim("cam_on_object")
    assert cam.measured == pytest.approx(100 * scores["hit"].mean())
    assert cam.verdict == "not tested" and "3 questions about an object" in cam.reason
    assert item.coverage == "complete" and "figure12_cam_scores" in item.tables


def test_manifests_check_the_miniature_tree(tree):
    report = manifest_check.check_dataset(
        "coco2014", tree.root, expected_counts={"train": 16, "val": 9}
    )
    assert report.ok, report.message
    full = manifest_check.check_dataset("coco2014", tree.root)
    assert not full.ok and "expected 82783 JPEG files" in full.message
    assert manifest_check.check_dataset("vqa-v1", tree.data_root / "vqa").ok
    (tree.data_root / "vqa" / "mscoco_val2014_annotations.json").rename(
        tree.data_root / "vqa" / "moved.json"
    )
    try:
        gone = manifest_check.check_dataset("vqa-v1", tree.data_root / "vqa")
        assert not gone.ok and "mscoco_val2014_annotations.json" in gone.message
    finally:
        (tree.data_root / "vqa" / "moved.json").rename(
            tree.data_root / "vqa" / "mscoco_val2014_annotations.json"
        )
