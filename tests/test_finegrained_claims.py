"""Known answers of the functions that decide Table 4's and Figure 7's verdicts: one case
each of "holds", "does not hold", "not distinguishable" and "not tested", worked out by hand."""

import numpy as np
import pytest

from cam_core.items import finegrained, svm_cams, table5
from cam_core.items import finegrained_claims as fc
from cam_core.validate import InputError

N = 40  # enough scored images (fc.MIN_SCORED_IMAGES = 30)
ALL, NONE = np.ones(N, bool), np.zeros(N, bool)


def variants(full, crop, gt, warped=None):
    out = {"full image": full, "CAM crop": crop, "ground-truth box": gt}
    return out | ({"CAM crop (box warped)": warped} if warped is not None else {})


def verdicts(found):
    return {c.claim_id: c.verdict for c in found}


def test_crop_claims_four_verdicts():
    # Every per-image difference is the same number, so every bootstrap replicate is too:
    # the interval is that one point. crop right and full wrong on every image: +100 -> holds;
    # GT box wrong and crop right everywhere: -100 -> does not hold.
    found = fc.crop_claims(variants(NONE, ALL, NONE), "net")
    assert verdicts(found) == {"crop_beats_full": "holds", "gt_box_beats_crop": "does not hold"}
    assert [(c.measured, c.low, c.high) for c in found] == [(100, 100, 100), (-100, -100, -100)]
    # identical results: difference 0 on every image, interval [0, 0] touches 0
    found = fc.crop_claims(variants(ALL, ALL, ALL, warped=NONE), "net", ":other")
    assert verdicts(found) == {
        "crop_beats_full:other": "not distinguishable",
        "warped_crop_beats_full:other": "does not hold",  # warped wrong, full right: -100
        "gt_box_beats_crop:other": "not distinguishable",
    }
    # 10 test images are fewer than 30: not tested, whatever the numbers
    few = np.ones(10, bool)
    found = fc.crop_claims(variants(~few, few, few), "net")
    assert {c.verdict for c in found} == {"not tested"}
    assert found[0].measured == 100.0 and found[0].reason.startswith("only 10 test images")
    with pytest.raises(InputError, match=r"^correct: expected per-image results of the"):
        fc.crop_claims({"full image": ALL}, "net")
    with pytest.raises(InputError, match=r"^correct\['CAM crop'\]: expected a non-empty"):
        fc.crop_claims(variants(ALL, np.ones(N), ALL), "net")


def test_crop_claim_mixed_images_straddle_zero():
    # 40 images: crop gains on 2, loses on 2 -> difference 0; replicates vary around 0, so
    # the 95% interval contains 0 on both sides
    full = np.arange(N) < 20
    crop = full.copy()
    crop[[0, 1]] = False
    crop[[20, 21]] = True
    claim = fc.crop_claims(variants(full, crop, crop), "net")[0]
    assert claim.measured == 0.0 and claim.low < 0.0 < claim.high
    assert claim.verdict == "not distinguishable"


def test_box_share_claim_four_verdicts():
    # Clopper-Pearson: 30 of 30 -> [100 * 0.025 ** (1/30), 100] = [88.4, 100], above 41.0
    hit = fc.box_share_claim(np.ones(30), 41.0, "net")
    assert hit.verdict == "holds" and hit.low == pytest.approx(100 * 0.025 ** (1 / 30))
    # 0 of 30 -> [0, 100 * (1 - 0.025 ** (1/30))] = [0, 11.6], below 41.0
    miss = fc.box_share_claim(np.zeros(30), 41.0, "net")
    assert miss.verdict == "does not hold" and miss.high == pytest.approx(11.57, abs=0.01)
    # 15 of 30 -> [31.3, 68.7] (the tabulated interval), which contains 41.0
    half = fc.box_share_claim(np.repeat([0.9, 0.1], 15), 41.0, "net")
    assert half.verdict == "not distinguishable"
    assert (round(half.low, 1), round(half.high, 1)) == (31.3, 68.7)
    # 0 of 2: its interval [0, 84.2] is merely wide; 2 < 30 images -> not tested
    two = fc.box_share_claim(np.zeros(2), 41.0, "net")
    assert two.verdict == "not tested" and two.high == pytest.approx(84.19, abs=0.01)
    assert "IoU \u2265 0.5" in hit.criterion and "above the paper's 41.0%" in hit.criterion


def test_image_blind_claim_four_verdicts():
    good, bad = np.full(N, 0.8), np.full(N, 0.1)
    # CAM boxes right on every image, both blind boxes wrong: +100 points -> holds
    c = fc.image_blind_claim(good, {"whole image": bad, "centred box": bad}, "net")
    assert c.verdict == "holds" and (c.measured, c.low, c.high) == (100.0, 100.0, 100.0)
    # the reverse: the better blind box (the whole image) right everywhere -> -100
    c = fc.image_blind_claim(bad, {"whole image": good, "centred box": bad}, "net")
    assert c.verdict == "does not hold" and "CAM boxes 0.0% vs whole image 100.0%" in c.data
    # the same boxes: 0 on every image, interval [0, 0] -> not distinguishable
    assert fc.image_blind_claim(good, {"whole image": good}, "net").verdict == (
        "not distinguishable"
    )
    # 10 images, or no blind boxes at all -> not tested
    assert fc.image_blind_claim(good[:10], {"w": bad[:10]}, "net").verdict == "not tested"
    none = fc.image_blind_claim(good, {}, "net")
    assert none.verdict == "not tested" and none.reason == "no image-blind boxes scored"


def test_part_based_rows_are_quoted_not_tested():
    claim = fc.part_based_claim()
    assert claim.verdict == "not tested" and "quoted from the paper" in claim.reason
    assert fc.paper_accuracies() == {
        "full image": 63.0,
        "CAM crop": 67.8,
        "ground-truth box": 70.5,
    }


def test_run_refuses_another_items_parameters():
    for module, item in ((finegrained, "table5"), (table5, "table4"), (svm_cams, "figure07")):
        with pytest.raises(InputError, match=r"^params: expected the parameters of"):
            module.run({"item": item})
