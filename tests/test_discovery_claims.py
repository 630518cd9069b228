"""Known-answer tests for the verdicts of Figures 9, 10 and 11: each deciding function on
constructed cases whose verdicts (holds / does not hold / not distinguishable / not tested)
are worked out by hand from the exact Clopper-Pearson bounds and the paired bootstrap."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common.claims import ItemResult
from cam_core.items import concepts, discovery, textdetect


def cp(k: int, n: int) -> tuple[float, float]:
    """Clopper-Pearson 95% bounds in percent, computed here from the beta quantiles."""
    low = 0.0 if k == 0 else beta.ppf(0.025, k, n - k + 1)
    high = 1.0 if k == n else beta.ppf(0.975, k + 1, n - k)
    return 100 * low, 100 * high


def test_hand_bounds_used_below():
    # k = n: low = 0.025 ** (1 / n); k = 0: high = 1 - 0.025 ** (1 / n)
    assert cp(12, 12)[0] == pytest.approx(100 * 0.025 ** (1 / 12))  # 73.5% > 66.7%
    assert cp(0, 12)[1] == pytest.approx(100 * (1 - 0.025 ** (1 / 12)))  # 26.5% < 66.7%
    assert cp(9, 12) == pytest.approx((42.8, 94.5), abs=0.1)  # straddles 66.7%
    assert cp(7, 12) == pytest.approx((27.7, 84.8), abs=0.1)  # straddles 66.7%
    assert cp(36, 40)[0] > 75 and cp(4, 40)[1] < 25 and cp(2, 40)[1] < 17
    assert cp(20, 40)[0] < 50 < cp(20, 40)[1]


# --- Figure 9 ----------------------------------------------------------------------------


def scene_table(cam: list[int], freq: list[int]) -> pd.DataFrame:
    """4 scenes x (3 distinguishing + 3 other objects); scene s's top-3 list by CAM overlap
    holds ``cam[s]`` distinguishing objects, its top-3 by frequency ``freq[s]``."""
    rows = []
    for s, (m_cam, m_freq) in enumerate(zip(cam, freq, strict=True)):
        for rank in range(3):
            for kind, distinct in (("d", True), ("o", False)):
                # distinguishing object r is in the top list when r < m; other object r when
                # r < 3 - m: those get 0.9 / 0.8, the rest 0.1
                top_cam = rank < (m_cam if distinct else 3 - m_cam)
                top_freq = rank < (m_freq if distinct else 3 - m_freq)
                rows.append(
                    {"scene": f"s{s}", "object": f"{kind}{rank}", "distinct": distinct,
                     "overlap": (0.9 if distinct else 0.8) if top_cam else 0.1,
                     "frequency": (0.9 if distinct else 0.8) if top_freq else 0.1}
                )  # fmt: skip
    return pd.DataFrame(rows)


def verdicts(found) -> dict[str, str]:
    return {c.claim_id: c.verdict for c in found}


def test_scene_table_builds_the_lists_it_says():
    table = scene_table([3, 2, 1, 0], [1, 1, 1, 1])
    prec = discovery.list_precision(table, "overlap").set_index("scene")["precision"]
    assert prec.tolist() == pytest.approx([1, 2 / 3, 1 / 3, 0])
    entries = discovery.ranked_entries(table, "frequency")
    assert len(entries) == 12 and entries["distinct"].sum() == 4
    assert entries.groupby("scene")["rank"].max().tolist() == [3, 3, 3, 3]


@pytest.mark.parametrize(
    ("cam", "freq", "accuracy", "n_scored", "expected"),
    [
        # 12/12 CAM slots distinguish (CP low 73.5% > 66.7%); frequency 4/12: every bootstrap
        # replicate's difference is 100 - mean(b*) > 0 unless all 12 draws hit the 4 slots
        ([3, 3, 3, 3], [1, 1, 1, 1], 0.9, 200, ("holds", "holds")),
        # 0/12 (CP high 26.5% < 66.7%); frequency 12/12: the difference is -100 in every
        # replicate, [-100, -100]
        ([0, 0, 0, 0], [3, 3, 3, 3], 0.9, 200, ("does not hold", "does not hold")),
        # 9/12 = 75.0% (CP 42.8-94.5% straddles 66.7%); the frequency lists are the same
        # slots: difference 0 in every replicate, [0, 0] touches 0
        ([3, 3, 3, 0], [3, 3, 3, 0], 0.9, 200, ("not distinguishable", "not distinguishable")),
        # accuracy 30% on 4 scenes: error 70% >= chance error 75% - 10 points
        ([3, 3, 3, 3], [1, 1, 1, 1], 0.3, 200, ("not tested", "not tested")),
        # 10 scored images < MIN_SCORED (20)
        ([3, 3, 3, 3], [1, 1, 1, 1], 0.9, 10, ("not tested", "not tested")),
    ],
)
def test_scene_claims_known_answers(cam, freq, accuracy, n_scored, expected):
    found = discovery.scene_claims(scene_table(cam, freq), accuracy, n_scored)
    assert verdicts(found) == dict(
        zip(["cam_lists_beat_frequency", "cam_lists_distinguishing"], expected, strict=True)
    )
    share = found[1]
    assert share.measured == pytest.approx(100 * sum(cam) / 12)
    assert (share.low, share.high) == pytest.approx(cp(sum(cam), 12))
    assert found[0].measured == pytest.approx(100 * (sum(cam) - sum(freq)) / 12)


def test_a_verdict_that_flipped_between_seeds_is_not_distinguishable():
    # the case: 75.0% (9/12) "held" at one seed and 58.3% (7/12) "did not hold" at
    # another; both intervals straddle two thirds
    for cam in ([3, 3, 3, 0], [3, 2, 2, 0]):
        found = discovery.scene_claims(scene_table(cam, [1, 1, 1, 1]), 0.9, 200)
        assert found[1].verdict == "not distinguishable", found[1]


def test_sun_scale_has_only_the_comparison():
    found = discovery.scene_claims(scene_table([3, 3, 3, 3], [1, 1, 1, 1]), 0.9, 200, 3, None)
    assert verdicts(found) == {"cam_lists_beat_frequency": "holds"}


# --- Figure 10 ---------------------------------------------------------------------------


def images(n: int, k: int, share: float) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(n) < k, np.full(n, share)


@pytest.mark.parametrize(
    ("n", "k", "share", "expected"),
    [
        # 36/40: CP low > 75% > 50%; 90 - 2 x 10 = 70 points, the 2.5% bootstrap quantile
        # of the rate alone is about 80%
        (40, 36, 0.1, ("holds", "holds")),
        # 4/40: CP high < 25%; 10 - 2 x 30 = -50 points, the rate never reaches 60%
        (40, 4, 0.3, ("does not hold", "does not hold")),
        # 20/40: CP 33.8-66.2% straddles 50%; 50 - 2 x 25 = 0 points, +-15 by bootstrap
        (40, 20, 0.25, ("not distinguishable", "not distinguishable")),
        # 10 scored images < MIN_SCORED
        (10, 9, 0.1, ("not tested", "not tested")),
    ],
)
def test_peak_claims_known_answers(n, k, share, expected):
    hits, shares = images(n, k, share)
    found = concepts.peak_claims(hits, shares)
    assert verdicts(found) == dict(
        zip(["peaks_on_named_objects", "peaks_beat_twice_chance"], expected, strict=True)
    )
    assert found[0].measured == pytest.approx(100 * k / n)
    assert (found[0].low, found[0].high) == pytest.approx(cp(k, n))
    assert found[1].measured == pytest.approx(100 * k / n - 200 * share)


def test_no_scored_image_is_not_tested_with_its_reason():
    found = concepts.peak_claims(np.zeros(0, bool), np.zeros(0))
    assert {c.verdict for c in found} == {"not tested"}
    assert all("no held-out image could be scored" in c.reason for c in found)
    assert found[0].measured is None


# --- Figure 11 ---------------------------------------------------------------------------


def text_case(n: int, k: int, blind_hits: int, peaks: int, share: float, detection: float):
    """CAM boxes hit (IoU 0.8) on the first ``k`` images, the centred box on the first
    ``blind_hits``, the whole image never; the CAM peaks on the text in the first ``peaks``."""
    ious = np.where(np.arange(n) < k, 0.8, 0.1)
    blind = {"whole image": np.full(n, 0.1),
             "centred box": np.where(np.arange(n) < blind_hits, 0.6, 0.2)}  # fmt: skip
    return textdetect.text_claims(ious, blind, np.arange(n) < peaks, np.full(n, share), detection)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # 36/40 boxes (CP low > 75%); minus the centred box's 4/40 (same images): 80 points,
        # every replicate >= 0 and its 2.5% quantile far above; peaks 90% - 2 x 5%
        ((40, 36, 4, 36, 0.05, 0.95), ("holds",) * 3),
        # 2/40 boxes (CP high < 17%); the centred box hits 20/40: 5 - 50 = -45 points; peaks
        # 2/40 against twice a 20% share: 5 - 40 = -35 points
        ((40, 2, 20, 2, 0.2, 0.95), ("does not hold",) * 3),
        # 20/40 (CP straddles 50%); the centred box hits the same 20 images: [0, 0]; peaks
        # 20/40 against twice 25%: 0 points, +-15 by bootstrap
        ((40, 20, 20, 20, 0.25, 0.95), ("not distinguishable",) * 3),
        # a text/no-text SVM at 55%: error 45% >= chance error 50% - 10 points
        ((40, 36, 4, 36, 0.05, 0.55), ("not tested",) * 3),
        # 10 images < MIN_SCORED
        ((10, 9, 1, 9, 0.05, 0.95), ("not tested",) * 3),
    ],
)
def test_text_claims_known_answers(case, expected):
    found = text_case(*case)
    ids = ["text_boxes_accurate", "text_boxes_beat_image_blind", "peaks_on_text"]
    assert verdicts(found) == dict(zip(ids, expected, strict=True))
    n, k, blind_hits = case[:3]
    assert found[0].measured == pytest.approx(100 * k / n)
    assert found[1].measured == pytest.approx(100 * (k - blind_hits) / n)
    assert "centred box" in found[1].criterion  # the better image-blind box is the baseline


def test_a_zero_text_box_rate_never_reads_as_holding():
    # the case: 0.0% box accuracy, a working detector, peaks on the text
    found = text_case(40, 0, 0, 36, 0.05, 0.95)
    assert found[0].measured == 0.0 and found[0].verdict == "does not hold"
    assert found[1].verdict == "not distinguishable"  # 0 - 0: [0, 0]
    result = ItemResult("figure11", "cpu", "box accuracy", found, headline_value=0.0)
    assert result.status == "partly holds at laptop scale"
