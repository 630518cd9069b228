"""Known-answer tests for pattern discovery (Figs 9-12): composites, SVM CAMs, informative
objects, hard-negative mining, the text detector's rendering and the VQA baseline."""

import numpy as np
import pytest
import torch

from cam_core.items import concepts, concepts_coco, discovery, textdetect, vqa
from cam_core.nets.features import fit_linear_svm
from cam_core.synthetic import composites as synthetic_composites
from cam_core.synthetic import text as synthetic_text
from cam_core.validate import InputError

ZEBRA = synthetic_composites.OBJECT_NAMES.index("zebra")
DIGIT_3 = synthetic_composites.OBJECT_NAMES.index("digit 3")


@pytest.fixture(scope="module")
def pair() -> tuple[synthetic_composites.Composite, synthetic_composites.Composite]:
    """The same composite with and without its objects (same seed: same ground)."""
    objects = np.array([[ZEBRA, DIGIT_3], [DIGIT_3, -1]])
    cells = np.array([[0, 3], [1, 2]])
    full = synthetic_composites.make_composites(objects, 64, 3, "train", grid=2, cells=cells)
    empty = synthetic_composites.make_composites(
        np.full_like(objects, -1), 64, 3, "train", 2, cells
    )
    return full, empty


def test_composite_boxes_are_exactly_the_pasted_pixels(pair):
    full, empty = pair
    changed = (full.images != empty.images).any(axis=3)
    assert not (changed & (full.slots < 0)).any()  # no ink outside the objects
    origin = {0: (0, 0), 1: (32, 0), 2: (0, 32), 3: (32, 32)}  # 2 x 2 grid on 64 px
    for i, row in enumerate([[0, 3], [1, 2]]):
        for j, obj in enumerate(full.objects[i]):
            if obj < 0:
                assert (full.boxes[i, j] == 0).all() and not (full.slots[i] == j).any()
                continue
            mask = full.slots[i] == j
            assert changed[i][mask].mean() > 0.95  # the pasted pixels differ from the ground
            ys, xs = np.nonzero(mask)
            assert full.boxes[i, j].tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
            x0, y0 = origin[row[j]]
            b = full.boxes[i, j]
            assert x0 <= b[0] and b[2] <= x0 + 32 and y0 <= b[1] and b[3] <= y0 + 32
    zebra = full.object_masks(ZEBRA)
    assert zebra[0].sum() == (full.slots[0] == 0).sum() and not zebra[1].any()
    assert full.background == empty.background


def test_a_full_cell_object_spans_the_canvas():
    comp = synthetic_composites.make_composites(
        np.array([[ZEBRA]]), 48, 0, "test", grid=1, scale=(1, 1)
    )
    w, h = comp.boxes[0, 0, 2:] - comp.boxes[0, 0, :2]
    assert max(w, h) in (47, 48)


def test_svm_cam_on_hand_made_maps_points_at_the_planted_unit():
    rng = np.random.default_rng(0)
    maps = torch.from_numpy(rng.random((40, 2, 4, 4)).astype(np.float32) * 0.1)
    labels = np.r_[np.ones(20, np.int64), np.zeros(20, np.int64)]
    maps[:20, 0, 0, 0] += 4.0  # class 1: unit 0 fires top-left
    maps[20:, 1, 3, 3] += 4.0  # class 0: unit 1 fires bottom-right
    svm = fit_linear_svm(maps.mean(dim=(2, 3)).numpy(), labels)
    weight, classes = discovery.svm_weight(svm)
    assert classes.tolist() == [0, 1] and torch.equal(weight[0], -weight[1])
    assert weight[1, 0] > 0 > weight[1, 1]
    cams = discovery.linear_cams(maps[:20], weight, torch.ones(20, dtype=torch.long), 4)
    assert cams.shape == (20, 4, 4) and (cams[:, 0, 0] == 1.0).all()
    cams0 = discovery.linear_cams(maps[20:], weight, torch.zeros(20, dtype=torch.long), 4)
    assert (cams0[:, 3, 3] == 1.0).all()


def test_informative_objects_count_frequency_and_overlap_by_hand():
    slots = np.full((2, 4, 4), -1, np.int8)
    slots[:, :2, :2] = 0  # slot 0 top-left
    slots[:, 2:, 2:] = 1  # slot 1 bottom-right
    objects = np.array([[ZEBRA, DIGIT_3], [DIGIT_3, -1]])
    slots[1][slots[1] == 1] = -1
    comp = synthetic_composites.Composite(
        np.zeros((2, 4, 4, 3), np.uint8), objects, np.zeros((2, 2, 4)), slots, ("a", "b"),
        "train", 0,
    )  # fmt: skip
    cams = np.zeros((2, 4, 4))
    cams[:, :2, :2] = 1.0  # the CAM covers slot 0 in both images
    table = discovery.informative_objects(comp, np.array([0, 0]), cams, ["savanna"], 0.5)
    row = table.set_index("object")
    assert row.loc["zebra", "frequency"] == 0.5 and row.loc["zebra", "overlap"] == 0.5
    assert row.loc["digit 3", "frequency"] == 1.0 and row.loc["digit 3", "overlap"] == 0.5
    assert row.loc["zebra", "distinct"] and not row.loc["bird", "distinct"]
    prec = discovery.list_precision(table, "overlap").set_index("scene")
    assert prec.loc["savanna", "precision"] == pytest.approx(1 / 3)  # zebra among top 3
    lists = discovery.ranked_lists(table, "savanna", 2)
    assert lists["most frequent"].tolist() == ["digit 3 (1.00)", "zebra (0.50)"]
    hits = discovery.peak_hits(cams * np.array([0.5, 1.0, 0.5, 0.5])[None, None], slots == 0)
    assert hits.tolist() == [True, True]


def test_scene_objects_hold_shared_objects_more_often_than_their_own():
    objects, labels = discovery.sample_scene_objects(["savanna", "farm"], 400, 0, "train")
    assert objects.shape == (800, 4) and labels.tolist() == [0] * 400 + [1] * 400
    savanna = objects[labels == 0]
    bird = (savanna == synthetic_composites.OBJECT_NAMES.index("bird")).any(axis=1).mean()
    zebra = (savanna == ZEBRA).any(axis=1).mean()
    cow = (savanna == synthetic_composites.OBJECT_NAMES.index("cow")).any(axis=1).mean()
    assert bird > zebra > 4 * cow


def test_hard_negative_mining_picks_the_confusing_negatives():
    rng = np.random.default_rng(0)
    pos = rng.normal([2.0, 0.0], 0.3, (30, 2))
    easy = rng.normal([-3.0, 0.0], 0.3, (60, 2))
    hard = rng.normal([1.0, 1.5], 0.3, (10, 2))  # close to the positives
    neg = np.concatenate([easy, hard])

    def fit(x, y, seed=0):
        return fit_linear_svm(x, y, cs=(1.0,), seed=seed)

    svms, history = concepts_coco.mine_concept(pos, neg, 10, 1, 10, seed=0, fit=fit)
    assert history["negatives"].tolist() == [10, 20] and len(svms) == 2
    assert history["pool_fp_rate"].iloc[-1] <= history["pool_fp_rate"].iloc[0]
    assert (svms[-1].decision_function(hard) < svms[0].decision_function(hard)).all()


def test_captions_are_weak_labels_of_the_planted_concepts():
    comp, captions = concepts.captioned_pool(40, ["digit on grass"], 64, 0, "train")
    label = concepts.has_phrase(captions, "digit on grass")
    truth = concepts.shows_concept(comp, "digit on grass")
    assert label.any() and not (label & ~truth).any()  # the phrase is never wrong here
    assert all(c.endswith("on grass") for c, lab in zip(captions, label, strict=True) if lab)
    targets = concepts.concept_targets(comp, "digit on grass")
    digits = comp.objects >= len(synthetic_composites.OBJECT_NAMES) // 2
    assert targets.sum() == sum((np.isin(comp.slots[i], np.flatnonzero(digits[i]))).sum()
                                for i in range(len(comp)))  # fmt: skip


def test_draw_word_box_is_the_ink_box():
    image = np.full((64, 128, 3), 100, np.uint8)
    out, box = synthetic_text.draw_word(image, "CAFE", (10, 20), 24, (255, 255, 255))
    ys, xs = np.nonzero(out[..., 0] >= 178)  # coverage >= 50%: 100 + 0.5 * 155
    assert box.tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    assert box[0] >= 10 and box[1] >= 20


def test_text_set_pairs_differ_only_inside_the_word():
    data = synthetic_text.make_text_set(3, 96, 0, "test")
    for i in range(3):
        diff = (data.crops[i] != data.with_text[i]).any(axis=2)
        x0, y0, x1, y1 = data.boxes[i].astype(int)
        assert diff.any() and not diff[: max(y0 - 1, 0)].any() and not diff[y1 + 1 :].any()


def test_vqa_image_cam_is_the_hand_computed_weighted_sum():
    model = vqa.VQABaseline(vocab_size=3, feature_size=4, num_answers=2)
    with torch.no_grad():
        model.linear.weight.copy_(
            torch.tensor(
                [[9.0, 9.0, 9.0, 1.0, 0.0, -1.0, 2.0], [0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5]]
            )
        )
    maps = torch.rand(2, 4, 3, 3, generator=torch.Generator().manual_seed(1))
    cams = vqa.answer_cams(model, maps, torch.tensor([0, 1]))
    by_hand0 = maps[0, 0] - maps[0, 2] + 2 * maps[0, 3]
    by_hand1 = 0.5 * maps[1].sum(dim=0)
    assert torch.allclose(cams[0], by_hand0) and torch.allclose(cams[1], by_hand1)
    x = torch.cat([torch.zeros(1, 3), maps[:1].mean(dim=(2, 3))], dim=1)
    logit = model(x)[0, 0] - model.linear.bias[0]
    assert torch.allclose(logit, cams[0].mean(), atol=1e-6)  # the CAM's mean is the score


def test_questions_and_bag_of_words():
    comp = synthetic_composites.make_composites(
        np.array([[ZEBRA, DIGIT_3, -1]]), 64, 0, "train", grid=2, cells=np.array([[2, 1, 0]])
    )
    qa = vqa.make_questions(comp, 0, per_image=5).set_index("type")
    assert qa.loc["what animal", "answer"] == "zebra"
    assert qa.loc["is there a digit", "answer"] == "yes"
    assert qa.loc["animal on the left", "answer"] == "yes"  # cell 2: bottom-left
    assert qa.loc["how many digits", "answer"] == "one"
    vocab = vqa.vocabulary(["is there a digit?", "what animal?"])
    assert vocab == ["a", "animal", "digit", "is", "there", "what"]
    bow = vqa.bag_of_words(["What digit, what?", "unknown"], vocab)
    assert bow.tolist() == [[0, 0, 1, 0, 0, 1], [0, 0, 0, 0, 0, 0]]


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: synthetic_composites.make_composites(np.array([[99]]), 64), "objects"),
        (
            lambda: synthetic_composites.make_composites(
                np.array([[0, 1]]), 64, cells=np.array([[0, 0]])
            ),
            "cells",
        ),
        (lambda: synthetic_composites.make_composites(np.array([[0]]), 8), "size"),
        (lambda: discovery.sample_scene_objects(["mars"], 2, 0, "train"), "scenes"),
        (lambda: concepts.captioned_pool(4, ["mirror"], 64, 0, "train"), "concepts"),
        (lambda: concepts_coco.mine_concept(np.ones((2, 2)), np.ones((3, 2)), 0, 1, 1), "start"),
        (lambda: concepts_coco.mine_concept(np.ones((2, 2)), np.ones((3, 2)), 2, 1, 5), "neg"),
        (lambda: synthetic_text.make_text_set(0), "n"),
        (lambda: synthetic_text.font_path("Nope.ttf"), "name"),
        (lambda: vqa.vqa_images(0, 64, 0, "train"), "n"),
    ],
)
def test_bad_input_is_a_one_line_error_naming_the_argument(call, name):
    with pytest.raises(InputError, match=rf"^{name}: expected") as info:
        call()
    assert "\n" not in str(info.value)


def test_text_detector_end_to_end_on_a_tiny_network():
    from torch import nn

    from cam_core.nets.models import CAMNet

    torch.manual_seed(0)
    features = nn.Sequential(nn.Conv2d(3, 8, 3, stride=4, padding=1), nn.ReLU())
    net = CAMNet(features, 8, 2)
    result = textdetect.text_detector(net, "tiny", 4, 8, 4, size=64)
    assert result.cams.shape == (4, 64, 64) and result.boxes.shape == (4, 4)
    assert result.table["boxes"].iloc[0] == "CAM, paper's rule"
    assert 0 < result.peak_chance < 1 and 0 <= result.peak_in_box <= 1
    assert "chance" in textdetect.box_caption(result, "tiny", "the word's box")
    assert set(result.blind_ious) == {"whole image", "centred box of the mean text size"}
    assert result.peak_hits.shape == (4,) and result.peak_in_box == result.peak_hits.mean()
    assert result.peak_chance == pytest.approx(result.peak_shares.mean())
    found = textdetect.text_claims(result.ious, result.blind_ious, result.peak_hits,
                                   result.peak_shares, result.detection_accuracy)  # fmt: skip
    assert [c.claim_id for c in found] == [
        "text_boxes_accurate", "text_boxes_beat_image_blind", "peaks_on_text",
    ]  # fmt: skip
    assert found[0].measured == pytest.approx(100 * result.box_accuracy)
    assert {c.verdict for c in found} == {"not tested"}  # 4 scored images
