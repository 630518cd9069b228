"""Known-answer tests for claims: decision rules, intervals, Claim records and item status."""

import io
import itertools
import math
from functools import partial

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import claims
from cam_core.validate import InputError

VERDICTS = ("holds", "does not hold", "not distinguishable", "not tested")
ABOVE0 = partial(claims.compare, boundary=0.0, direction="above")


def raises(name, call, *args, **kwargs):
    """``call(*args, **kwargs)`` fails with a one-line InputError that starts with ``name:``."""
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{name}:"), message
    assert "\n" not in message


def claim(cid="c1", verdict="holds", measured=1.0, low=0.5, high=1.5, reason="", **kw):
    args = dict(text="t", unit="%", paper=None, criterion="crit", data="")
    args.update(kw)
    return claims.Claim(
        cid, measured=measured, low=low, high=high, verdict=verdict, reason=reason, **args
    )


# --- decision rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "boundary", "direction", "expected"),
    [
        (0.5, 2.0, 0.0, "above", "holds"),
        (-2.0, -0.5, 0.0, "above", "does not hold"),
        (-1.0, 1.0, 0.0, "above", "not distinguishable"),
        (0.0, 1.0, 0.0, "above", "not distinguishable"),  # touches from the claimed side
        (-1.0, 0.0, 0.0, "above", "not distinguishable"),  # touches from the other side
        (5.0, 5.0, 5.0, "above", "not distinguishable"),  # a point on the boundary
        (5.001, 6.0, 5.0, "above", "holds"),
        (-2.0, -0.5, 0.0, "below", "holds"),
        (0.5, 2.0, 0.0, "below", "does not hold"),
        (-1.0, 0.0, 0.0, "below", "not distinguishable"),
        (1.0, 3.9, 4.0, "below", "holds"),
    ],
)
def test_compare(low, high, boundary, direction, expected):
    assert claims.compare(low, high, boundary, direction) == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (-0.5, 0.5, "holds"),
        (1.5, 2.0, "does not hold"),
        (-3.0, -1.5, "does not hold"),
        (-0.5, 1.5, "not distinguishable"),  # covers the margin
        (-2.0, 2.0, "not distinguishable"),  # covers both margins
        (-0.5, 1.0, "not distinguishable"),  # touches the margin from inside
        (1.0, 2.0, "not distinguishable"),  # touches it from outside
        (-2.0, -1.0, "not distinguishable"),  # touches -margin from outside
    ],
)
def test_equivalent(low, high, expected):
    assert claims.equivalent(low, high, margin=1.0) == expected


def test_rule_bad_inputs():
    raises("low", claims.compare, 2.0, 1.0, 0.0, "above")
    raises("low", claims.compare, "a", 1.0, 0.0, "above")
    raises("high", claims.compare, 0.0, float("inf"), 0.0, "above")
    raises("boundary", claims.compare, 0.0, 1.0, float("nan"), "above")
    raises("direction", claims.compare, 0.0, 1.0, 0.0, "up")
    raises("margin", claims.equivalent, 0.0, 1.0, 0.0)
    raises("margin", claims.equivalent, 0.0, 1.0, True)
    raises("low", claims.equivalent, 1.0, 0.0, 1.0)


def test_near_chance():
    # K = 10: chance 90, so with the default margin 10 the threshold is 80 (inclusive)
    assert claims.near_chance(85.0, 10) is True and claims.near_chance(10.0, 10) is False
    assert claims.near_chance(80.0, 10) is True and claims.near_chance(79.9, 10) is False
    assert claims.near_chance(90.0, 10, 0.0) is True and claims.near_chance(89.9, 10, 0.0) is False
    # K = 2: chance 50; K = 1000: chance 99.9, threshold 98.9 with margin 1
    assert claims.near_chance(40.0, 2) is True and claims.near_chance(39.0, 2) is False
    assert claims.near_chance(99.0, 1000, 1.0) is True
    assert claims.near_chance(98.8, 1000, 1.0) is False
    raises("error_percent", claims.near_chance, 101.0, 10)
    raises("error_percent", claims.near_chance, -1.0, 10)
    raises("num_classes", claims.near_chance, 50.0, 1)
    raises("num_classes", claims.near_chance, 50.0, True)
    raises("margin", claims.near_chance, 50.0, 10, -1.0)


def test_min_count():
    assert claims.min_count(5, 5) is True  # boundary: exactly enough
    assert claims.min_count(4, 5) is False
    assert claims.min_count(0, 0) is True and claims.min_count(0, 1) is False
    assert claims.min_count(np.int64(7), 5) is True
    raises("n", claims.min_count, -1, 5)
    raises("n", claims.min_count, True, 5)
    raises("at_least", claims.min_count, 3, 2.0)


@pytest.mark.parametrize(
    ("measured", "low", "high", "rule", "expected"),
    [
        (1.0, 0.5, 1.5, ABOVE0, "holds"),
        (-1.0, -1.5, -0.5, ABOVE0, "does not hold"),
        (0.2, 0.0, 0.4, ABOVE0, "not distinguishable"),
        (0.1, -0.2, 0.3, partial(claims.equivalent, margin=0.5), "holds"),
        (0.4, -0.2, 0.5, partial(claims.equivalent, margin=0.5), "not distinguishable"),
    ],
)
def test_judge_verdicts(measured, low, high, rule, expected):
    pre = [(True, "enough images")]
    out = claims.judge(
        "c1", "t", measured, low, high, rule, "crit", paper=2.0, data="d.csv", preconditions=pre
    )
    assert (out.verdict, out.reason) == (expected, "")
    assert (out.measured, out.low, out.high) == (measured, low, high)
    assert (out.unit, out.paper, out.criterion, out.data) == ("%", 2.0, "crit", "d.csv")


def test_judge_not_tested():
    pre = [(True, "ok"), (False, "too few images"), (np.bool_(False), "net at chance")]
    out = claims.judge("c1", "t", 1.0, 0.5, 1.5, ABOVE0, "crit", preconditions=pre)
    assert out.verdict == "not tested"  # the interval would hold, but preconditions fail
    assert out.reason == "too few images; net at chance"
    assert (out.measured, out.low, out.high) == (1.0, 0.5, 1.5)
    empty = claims.judge("c2", "t", None, None, None, ABOVE0, "crit", preconditions=pre[1:2])
    assert (empty.verdict, empty.measured, empty.low) == ("not tested", None, None)


def test_judge_bad_inputs():
    raises("measured", claims.judge, "c", "t", None, 0.0, 1.0, ABOVE0, "crit")
    raises("low", claims.judge, "c", "t", 1.0, 2.0, 1.0, ABOVE0, "crit")
    raises("rule", claims.judge, "c", "t", 1.0, 0.0, 1.0, lambda lo, hi: "maybe", "c")
    raises("rule", claims.judge, "c", "t", 1.0, 0.0, 1.0, lambda lo, hi: "not tested", "c")
    args = ("c", "t", 1.0, 0.0, 1.0, ABOVE0, "c")
    for bad in [("yes", "r"), (False, ""), (True,), "ok"]:
        raises("preconditions[0]", claims.judge, *args, preconditions=[bad])
    raises("preconditions[1]", claims.judge, *args, preconditions=[(True, "a"), (1, "b")])


# --- intervals -------------------------------------------------------------------------


def test_bootstrap_known_answers():
    assert claims.bootstrap([3.0, 3.0, 3.0, 3.0]) == (3.0, 3.0, 3.0)
    # Replicate means of [0, 1] are 0, 0.5, 1 with chances 1/4, 1/2, 1/4: with 2000
    # replicates far more than 2.5% are 0 and 1, so the 95% interval is [0, 1].
    assert claims.bootstrap([0.0, 1.0]) == (0.5, 0.0, 1.0)
    assert claims.bootstrap([1, 2, 30], stat=np.median, n_boot=500)[0] == 2.0


def test_bootstrap_follows_its_documented_resampling():
    x = np.random.default_rng(7).normal(size=25)
    rng = np.random.default_rng(3)
    reps = [x[rng.integers(0, 25, 25)].mean() for _ in range(400)]
    low, high = np.quantile(reps, [0.05, 0.95])
    est, lo, hi = claims.bootstrap(x, n_boot=400, seed=3, confidence=0.9)
    assert est == pytest.approx(x.mean(), abs=1e-15)
    assert (lo, hi) == pytest.approx((low, high), abs=1e-15)
    assert claims.bootstrap(x, seed=3) == claims.bootstrap(x, seed=3)
    assert claims.bootstrap(x, seed=3) != claims.bootstrap(x, seed=4)


def test_paired_bootstrap_known_answers():
    b = np.array([5, 1, 4, 0, 7, 2, 6, 3], dtype=float)  # 8 images: every mean is exact
    assert claims.paired_bootstrap(b + 3.0, b) == (3.0, 3.0, 3.0)
    assert claims.paired_bootstrap(b - 0.5, b) == (-0.5, -0.5, -0.5)
    assert claims.paired_bootstrap(b, b) == (0.0, 0.0, 0.0)
    # the same resampled images for both: equal to the bootstrap of the differences
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=40), rng.normal(size=40)
    paired = claims.paired_bootstrap(a, b, n_boot=300, seed=5)
    assert paired == pytest.approx(claims.bootstrap(a - b, n_boot=300, seed=5), abs=1e-12)
    assert paired == claims.paired_bootstrap(list(a), list(b), n_boot=300, seed=5)
    assert paired != claims.paired_bootstrap(a, b, n_boot=300, seed=6)


def test_bootstrap_bad_inputs():
    raises("a", claims.bootstrap, [])
    raises("a", claims.bootstrap, [[1.0, 2.0]])
    raises("a", claims.bootstrap, [1.0, float("nan")])
    raises("n_boot", claims.bootstrap, [1.0], n_boot=0)
    raises("seed", claims.bootstrap, [1.0], seed=-1)
    raises("confidence", claims.bootstrap, [1.0], confidence=95)
    raises("b", claims.paired_bootstrap, [1.0, 2.0, 3.0], [1.0, 2.0])
    raises("b", claims.paired_bootstrap, [1.0, 2.0], [1.0, float("inf")])
    raises("a", claims.paired_bootstrap, [], [1.0])


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (7, 20), (50, 100), (1, 1)])
@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_binomial_interval_matches_scipy(k, n, confidence):
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    low, high = claims.binomial_interval(k, n, confidence)
    assert (low, high) == pytest.approx((ci.low, ci.high), rel=1e-9, abs=1e-12)
    percent = claims.binomial_interval(np.int64(k), n, confidence, percent=True)
    assert percent == pytest.approx((100 * ci.low, 100 * ci.high), rel=1e-9, abs=1e-10)


def test_binomial_interval_by_hand():
    # k = 0: high solves (1 - p)^n = alpha/2; k = n: low solves p^n = alpha/2.
    assert claims.binomial_interval(0, 10) == pytest.approx((0.0, 1 - 0.025**0.1))
    assert claims.binomial_interval(10, 10) == pytest.approx((0.025**0.1, 1.0))
    assert claims.binomial_interval(0, 10, percent=True)[1] == pytest.approx(30.849, abs=1e-3)
    raises("hits", claims.binomial_interval, 11, 10)
    raises("hits", claims.binomial_interval, -1, 10)
    raises("hits", claims.binomial_interval, True, 10)
    raises("total", claims.binomial_interval, 1, 10.0)
    raises("confidence", claims.binomial_interval, 1, 10, 95)


def test_with_seed_spread_by_hand():
    # spread = z * seed_std * sqrt(2 / n_seeds) = 2 * 1 * 1 = 2; each side sqrt(1 + 4)
    low, high = claims.with_seed_spread(1.0, 3.0, 2.0, seed_std=1.0, n_seeds=2, z=2.0)
    assert (low, high) == pytest.approx((2.0 - math.sqrt(5.0), 2.0 + math.sqrt(5.0)))
    # spread = 1.96 * 0.5 * sqrt(1/4) = 0.49; sides 1 and 3 widened separately
    low, high = claims.with_seed_spread(0.0, 4.0, 1.0, seed_std=0.5, n_seeds=8)
    assert low == pytest.approx(1.0 - math.sqrt(1.0 + 0.49**2))
    assert high == pytest.approx(1.0 + math.sqrt(9.0 + 0.49**2))
    assert claims.with_seed_spread(1.0, 3.0, 2.0, seed_std=0.0, n_seeds=3) == (1.0, 3.0)
    # estimate beyond high: that side is 0, so it becomes the bare spread, 4 + 2 = 6
    low, high = claims.with_seed_spread(1.0, 3.0, 4.0, seed_std=1.0, n_seeds=2, z=2.0)
    assert (low, high) == pytest.approx((4.0 - math.sqrt(13.0), 6.0))
    raises("low", claims.with_seed_spread, 3.0, 1.0, 2.0, 1.0, 2)
    raises("estimate", claims.with_seed_spread, 1.0, 3.0, float("nan"), 1.0, 2)
    raises("seed_std", claims.with_seed_spread, 1.0, 3.0, 2.0, -1.0, 2)
    raises("n_seeds", claims.with_seed_spread, 1.0, 3.0, 2.0, 1.0, 0)
    raises("n_seeds", claims.with_seed_spread, 1.0, 3.0, 2.0, 1.0, 2.0)
    raises("z", claims.with_seed_spread, 1.0, 3.0, 2.0, 1.0, 2, z=0.0)


# --- Claim -----------------------------------------------------------------------------


def test_claim_columns_and_nan():
    names = "claim_id text measured low high unit paper criterion verdict reason data"
    assert claims.CLAIM_COLUMNS == tuple(names.split())
    c = claim(paper=float("nan"), measured=np.float32(1.5))
    assert c.paper is None and c.measured == 1.5 and type(c.measured) is float
    nt = claim(verdict="not tested", measured=float("nan"), low=None, high=None, reason="r")
    assert (nt.measured, nt.low, nt.high) == (None, None, None)


def test_claim_bad_inputs():
    raises("verdict", claim, verdict="probably")
    raises("verdict", claim, verdict="holds", low=None, high=None)
    raises("verdict", claim, verdict="does not hold", measured=float("nan"))
    raises("reason", claim, verdict="not tested", reason="")
    raises("low", claim, low=None)
    raises("low", claim, low=2.0, high=1.0)
    raises("claim_id", claim, cid="")
    raises("text", claim, text=3)
    raises("measured", claim, measured="1.0")
    raises("paper", claim, paper=True)


def test_claim_row_round_trip():
    c = claim(paper=2.5, data="x.csv")
    row = c.to_row()
    assert list(row) == list(claims.CLAIM_COLUMNS) and row["low"] == 0.5
    assert claims.Claim.from_row(row) == c
    nt = claim("c2", "not tested", None, None, None, reason="no data")
    assert claims.Claim.from_row({"item": "x", "profile": "cpu", **nt.to_row()}) == nt
    row.pop("data")
    raises("row", claims.Claim.from_row, row)


def test_smoke_claim():
    c = claims.smoke_claim(claim(paper=2.0))
    assert (c.verdict, c.reason) == ("not tested", claims.SMOKE_REASON)
    assert (c.measured, c.low, c.high, c.paper) == (1.0, 0.5, 1.5, 2.0)
    raises("claim", claims.smoke_claim, {"verdict": "holds"})


# --- item status -----------------------------------------------------------------------

H, D, N, T = VERDICTS


def claims_of(verdicts):
    return [claim(f"c{i}", v, reason="r" if v == T else "") for i, v in enumerate(verdicts)]


def result_of(profile, verdicts, headline=None, item="item05"):
    return claims.ItemResult(
        item, profile, "h", claims_of(verdicts), headline_within_tolerance=headline
    )


@pytest.mark.parametrize(
    ("profile", "verdicts", "headline", "expected"),
    [
        ("full", [H, H], None, "reproduced"),
        ("full", [H, H], True, "reproduced"),
        ("full", [H, H], False, "partly reproduced"),
        ("full", [H, D], True, "partly reproduced"),
        ("full", [H, T], None, "partly reproduced"),
        ("full", [D, N], True, "not reproduced"),
        ("full", [T, T], True, "not run"),
        ("full", [], None, "not run"),
        ("cpu", [H, H], False, "holds at laptop scale"),
        ("cpu", [H, N], None, "partly holds at laptop scale"),
        ("cpu", [D, T], None, "does not hold at laptop scale"),
        ("cpu", [T], None, "not tested at laptop scale"),
        ("cpu", [], None, "not tested at laptop scale"),
        ("smoke", [H, H], True, "ran"),
    ],
)
def test_item_status(profile, verdicts, headline, expected):
    assert claims.item_status(claims_of(verdicts), profile, headline) == expected
    result = result_of(profile, verdicts, headline)
    assert result.status == expected


def test_cpu_never_reproduced_and_smoke_always_ran():
    for n in range(3):
        for verdicts in itertools.product(VERDICTS, repeat=n):
            for headline in (None, True, False):
                cpu = claims.item_status(claims_of(verdicts), "cpu", headline)
                assert cpu.endswith(" at laptop scale") and "reproduced" not in cpu
                assert claims.item_status(claims_of(verdicts), "smoke", headline) == "ran"
    raises("claims[1]", claims.item_status, [claim(), "holds"], "full", None)
    raises("profile", claims.item_status, [claim()], "gpu", None)
    raises("headline_within_tolerance", claims.item_status, [claim()], "full", 1)


def test_item_result_smoke_forces_not_tested():
    result = result_of("smoke", [H, D], True)
    smoke = ("not tested", claims.SMOKE_REASON)
    assert [(c.verdict, c.reason) for c in result.claims] == [smoke, smoke]
    assert result.status == "ran"
    table = result.claims_table()
    assert table["verdict"].tolist() == ["not tested"] * 2
    assert table["measured"].tolist() == [1.0, 1.0]
    assert table["paper"].dtype == np.float64 and table["paper"].isna().all()  # all None
    record = result.status_record()
    counts = [record[k] for k in ("status", "n_claims", "n_not_tested", "n_holds")]
    assert counts == ["ran", 2, 2, 0]


def test_item_result_claims_table_and_csv_round_trip():
    cs = [claim("a", H, paper=2.0), claim("b", T, None, None, None, reason="no data")]
    result = claims.ItemResult("item07", "full", "h", cs)
    table = result.claims_table()
    assert list(table.columns) == ["item", "profile", *claims.CLAIM_COLUMNS]
    assert table["item"].tolist() == ["item07"] * 2 and table["profile"].tolist() == ["full"] * 2
    assert all(table[name].dtype == np.float64 for name in ("measured", "low", "high", "paper"))
    assert np.isnan(table.loc[1, "measured"]) and table.loc[0, "paper"] == 2.0
    back = pd.read_csv(io.StringIO(table.to_csv(index=False)))
    assert [claims.Claim.from_row(r) for r in back.to_dict("records")] == cs
    assert result.status == "partly reproduced"
    record = result.status_record()
    assert (record["n_holds"], record["n_not_tested"], record["n_does_not_hold"]) == (1, 1, 0)
    empty = claims.ItemResult("item07", "cpu", "h", []).claims_table()
    assert list(empty.columns) == ["item", "profile", *claims.CLAIM_COLUMNS] and len(empty) == 0


def test_item_result_bad_inputs():
    raises("claims[1]", claims.ItemResult, "x", "full", "h", [claim("a"), claim("a")])
    raises("claims[0]", claims.ItemResult, "x", "full", "h", ["holds"])
    raises("profile", claims.ItemResult, "x", "laptop", "h", [])
    raises("item", claims.ItemResult, "", "full", "h", [])


def test_binomial_interval_names_the_bad_count():
    raises("total", claims.binomial_interval, 1, 0)
