"""Claims and verdicts: one record type for the 14 items, decision rules, intervals, status.

Every judged number carries a 95% interval; a verdict is decided from that interval by
:func:`compare` or :func:`equivalent`, and an item's status from its claims by
:func:`item_status`, the one place where the book's words are chosen (issue 12).
"""

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import beta

from cam_core.common import paper, profiles
from cam_core.common.verdicts import (
    COVERAGE,
    JUDGED,
    PROFILES,
    VERDICTS,
    status_word,
)
from cam_core.validate import fail

SMOKE_REASON = "smoke run: tiny nets, one epoch; numbers mean nothing"
NUMBER_FIELDS = ("measured", "low", "high", "paper")
TEXT_FIELDS = ("claim_id", "text", "unit", "criterion", "verdict", "reason", "data")
Rule = Callable[[float, float], str]


def _number(name: str, value: object) -> float:
    """``value`` as a finite float (bools and non-numbers refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        fail(name, "a finite number", repr(value))
    if not math.isfinite(float(value)):
        fail(name, "a finite number", repr(value))
    return float(value)


def _int(name: str, value: object, minimum: int, what: str = "") -> int:
    """``value`` as an int >= ``minimum`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        fail(name, what or f"an int >= {minimum}", repr(value))
    return int(value)


def _interval(low: object, high: object) -> tuple[float, float]:
    low, high = _number("low", low), _number("high", high)
    if low > high:
        fail("low", f"low <= high (high {high:g})", f"{low:g}")
    return low, high


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


@dataclass(frozen=True)
class Claim:
    """One claim of the paper with this run's measurement, 95% interval and verdict.

    NaN numbers become None; a judged verdict needs ``measured``, ``low`` and ``high``;
    ``"not tested"`` needs a ``reason``.
    """

    claim_id: str
    text: str
    measured: float | None
    low: float | None
    high: float | None
    unit: str
    paper: float | None
    criterion: str
    verdict: str
    reason: str = ""
    data: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            fail("verdict", f"one of {', '.join(VERDICTS)}", repr(self.verdict))
        for name in TEXT_FIELDS:
            if not isinstance(getattr(self, name), str):
                fail(name, "a str", repr(getattr(self, name)))
        if not self.claim_id:
            fail("claim_id", "a non-empty str", repr(self.claim_id))
        for name in NUMBER_FIELDS:
            value = getattr(self, name)
            object.__setattr__(self, name, None if _is_missing(value) else _number(name, value))
        if (self.low is None) != (self.high is None):
            fail("low", "low and high both given or both None", f"{self.low}, {self.high}")
        if self.low is not None:
            _interval(self.low, self.high)
        if self.verdict in JUDGED and None in (self.measured, self.low, self.high):
            fail("verdict", "measured, low and high for a judged claim", repr(self.verdict))
        if self.verdict == "not tested" and not self.reason:
            fail("reason", "why the claim is not tested", "an empty reason")

    def to_row(self) -> dict[str, object]:
        """The claim as one row of a tidy table (columns :data:`CLAIM_COLUMNS`)."""
        return {name: getattr(self, name) for name in CLAIM_COLUMNS}

    @classmethod
    def from_row(cls, row: dict[str, object]) -> "Claim":
        """The claim of a :meth:`to_row` row, e.g. read back from CSV (NaN -> None or "").

        Other keys (``item``, ``profile``) are ignored."""
        missing = [name for name in CLAIM_COLUMNS if name not in row]
        if missing:
            fail("row", f"keys {', '.join(CLAIM_COLUMNS)}", f"missing {', '.join(missing)}")
        values = {}
        for name in CLAIM_COLUMNS:
            value = row[name]
            if name in NUMBER_FIELDS:
                values[name] = None if _is_missing(value) else value
            else:
                values[name] = "" if _is_missing(value) else value
        return cls(**values)


# Column order of a claim row (the field order; claims.csv prepends item and profile).
CLAIM_COLUMNS = tuple(f.name for f in dataclasses.fields(Claim))


# --- decision rules --------------------------------------------------------------------


def compare(low: float, high: float, boundary: float, direction: str) -> str:
    """Is the quantity ``direction`` ("above"/"below") ``boundary``? Judged on its interval.

    Holds when the whole interval lies strictly on the claimed side, does not hold when it
    lies strictly on the other side; an interval that touches the boundary straddles it.
    """
    low, high = _interval(low, high)
    boundary = _number("boundary", boundary)
    if direction not in ("above", "below"):
        fail("direction", "'above' or 'below'", repr(direction))
    if direction == "below":
        low, high, boundary = -high, -low, -boundary
    if low > boundary:
        return "holds"
    if high < boundary:
        return "does not hold"
    return "not distinguishable"


def equivalent(low: float, high: float, margin: float) -> str:
    """Is the quantity (a difference) equal to 0 within ``margin``? Judged on its interval.

    Holds when the interval lies strictly inside (-margin, margin), does not hold when it
    lies strictly outside it (wholly above ``margin`` or below ``-margin``); touching a
    margin, or covering one, is not distinguishable.
    """
    low, high = _interval(low, high)
    margin = _number("margin", margin)
    if margin <= 0:
        fail("margin", "a margin > 0", f"{margin:g}")
    if -margin < low and high < margin:
        return "holds"
    if low > margin or high < -margin:
        return "does not hold"
    return "not distinguishable"


def near_chance(error_percent: float, num_classes: int, margin: float = 10.0) -> bool:
    """True when a top-1 error (percent) is within ``margin`` points of chance, 100(1-1/K)."""
    error = _number("error_percent", error_percent)
    if not 0.0 <= error <= 100.0:
        fail("error_percent", "a top-1 error in percent, 0..100", f"{error:g}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        fail("num_classes", "an int >= 2", repr(num_classes))
    if _number("margin", margin) < 0:
        fail("margin", "a margin >= 0 in points", f"{margin:g}")
    return error >= 100.0 * (1.0 - 1.0 / num_classes) - margin


def min_count(n: int, at_least: int) -> bool:
    """True when ``n`` (e.g. scored images) is at least ``at_least``."""
    for name, value in (("n", n), ("at_least", at_least)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            fail(name, "a non-negative int", repr(value))
    return int(n) >= int(at_least)


def judge(
    claim_id: str,
    text: str,
    measured: float | None,
    low: float | None,
    high: float | None,
    rule: Rule,
    criterion: str,
    *,
    unit: str = "%",
    paper: float | None = None,
    preconditions: Sequence[tuple[bool, str]] = (),
    data: str = "",
) -> Claim:
    """A :class:`Claim` whose verdict is ``rule(low, high)``, or "not tested" (the failed
    preconditions' reasons, joined by "; ") when any ``(ok, reason)`` precondition fails.

    ``rule`` is e.g. ``functools.partial(compare, boundary=0.0, direction="above")``.
    """
    failed = []
    for i, pre in enumerate(preconditions):
        if not (isinstance(pre, tuple) and len(pre) == 2 and isinstance(pre[1], str) and pre[1]):
            fail(f"preconditions[{i}]", "an (ok: bool, reason: str) pair", repr(pre))
        if not isinstance(pre[0], bool | np.bool_):
            fail(f"preconditions[{i}]", "ok as a bool", repr(pre[0]))
        if not pre[0]:
            failed.append(pre[1])
    args = dict(unit=unit, paper=paper, criterion=criterion, data=data)
    if failed:
        return Claim(
            claim_id,
            text,
            measured,
            low,
            high,
            verdict="not tested",
            reason="; ".join(failed),
            **args,
        )
    _number("measured", measured)
    low, high = _interval(low, high)
    verdict = rule(low, high)
    if verdict not in JUDGED:
        fail("rule", f"a rule returning one of {', '.join(JUDGED)}", repr(verdict))
    return Claim(claim_id, text, measured, low, high, verdict=verdict, **args)


# --- intervals -------------------------------------------------------------------------


def _sample(name: str, x: object) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.number):
        fail(name, "a non-empty 1-D numeric array", f"shape {arr.shape}, dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        fail(name, "finite values", "NaN or inf")
    return arr


def _boot_args(n_boot: int, seed: int, confidence: float) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
        fail("n_boot", "an int >= 1", repr(n_boot))
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        fail("seed", "a non-negative int", repr(seed))
    if not isinstance(confidence, float) or not 0.0 < confidence < 1.0:
        fail("confidence", "a float in (0, 1), e.g. 0.95", repr(confidence))


def _resample(
    samples: Sequence[np.ndarray], stat: Callable, n_boot: int, seed: int, confidence: float
) -> tuple[float, float, float]:
    """Percentile bootstrap of ``stat(s[0]) - stat(s[1])`` (or ``stat(s[0])``), resampling
    the shared indices jointly: replicate r uses ``rng.integers(0, n, n)``, r = 0..n_boot-1."""
    _boot_args(n_boot, seed, confidence)

    def value(idx: np.ndarray | slice) -> float:
        out = [float(stat(s[idx])) for s in samples]
        return out[0] - out[1] if len(out) == 2 else out[0]

    estimate = value(slice(None))
    rng = np.random.default_rng(seed)
    n = len(samples[0])
    reps = np.array([value(rng.integers(0, n, n)) for _ in range(n_boot)])
    alpha = 1.0 - confidence
    low, high = np.quantile(reps, [alpha / 2, 1.0 - alpha / 2])
    return estimate, float(low), float(high)


def bootstrap(
    a: Sequence[float],
    stat: Callable = np.mean,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """``(stat(a), low, high)``: percentile bootstrap interval over the items of ``a``."""
    return _resample([_sample("a", a)], stat, n_boot, seed, confidence)


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    stat: Callable = np.mean,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """``(stat(a) - stat(b), low, high)`` for two methods' per-image scores on the SAME
    images: each replicate resamples image indices once and uses them for both."""
    a, b = _sample("a", a), _sample("b", b)
    if len(a) != len(b):
        fail("b", f"one score per image of a ({len(a)} images)", f"{len(b)} scores")
    return _resample([a, b], stat, n_boot, seed, confidence)


def binomial_interval(
    hits: int, total: int, confidence: float = 0.95, percent: bool = False
) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of the share ``hits / total``, as a fraction, or in
    percent with ``percent=True``."""
    for name, value in (("hits", hits), ("total", total)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            fail(name, "a non-negative int", repr(value))
    if total < 1:
        fail("total", "an int >= 1 (trials)", repr(total))
    if hits > total:
        fail("hits", f"an int in 0..total (total {total})", repr(hits))
    if not isinstance(confidence, float) or not 0.0 < confidence < 1.0:
        fail("confidence", "a float in (0, 1), e.g. 0.95", repr(confidence))
    k, n, alpha = int(hits), int(total), 1.0 - confidence
    low = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1.0 - alpha / 2, k + 1, n - k))
    scale = 100.0 if percent else 1.0
    return scale * low, scale * high


def with_seed_spread(
    low: float, high: float, estimate: float, seed_std: float, n_seeds: int, z: float = 1.96
) -> tuple[float, float]:
    """Widen a bootstrap interval of a difference between two networks trained here by the
    seed-to-seed spread, adding variances on each side of ``estimate`` separately.

    ``seed_std`` is one network's metric std over seeds (same for both, or borrowed from its
    family); each network is a mean over ``n_seeds`` seeds, so the difference's standard
    error is ``s_diff = seed_std * sqrt(2 / n_seeds)`` and each side ``h`` (distance from
    ``estimate`` to that end, 0 if the estimate lies beyond it) becomes
    ``sqrt(h**2 + (z * s_diff)**2)``. The result always contains ``[low, high]``.
    """
    low, high = _interval(low, high)
    estimate = _number("estimate", estimate)
    if _number("seed_std", seed_std) < 0:
        fail("seed_std", "a standard deviation >= 0", f"{seed_std:g}")
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int) or n_seeds < 1:
        fail("n_seeds", "an int >= 1 (seeds per network)", repr(n_seeds))
    if _number("z", z) <= 0:
        fail("z", "a normal quantile > 0, e.g. 1.96", f"{z:g}")
    spread = z * seed_std * math.sqrt(2.0 / n_seeds)
    below = math.hypot(max(estimate - low, 0.0), spread)
    above = math.hypot(max(high - estimate, 0.0), spread)
    return min(low, estimate - below), max(high, estimate + above)


# --- item status -----------------------------------------------------------------------


def smoke_claim(claim: Claim) -> Claim:
    """``claim`` with its numbers kept but verdict "not tested" (:data:`SMOKE_REASON`)."""
    if not isinstance(claim, Claim):
        fail("claim", "a Claim", type(claim).__name__)
    return dataclasses.replace(claim, verdict="not tested", reason=SMOKE_REASON)


def item_status(
    claims: Sequence[Claim], profile: str, headline_within_tolerance: bool | None
) -> str:
    """:func:`status_word` of ``claims``' verdicts."""
    for i, claim in enumerate(claims):
        if not isinstance(claim, Claim):
            fail(f"claims[{i}]", "a Claim", type(claim).__name__)
    return status_word(profile, [c.verdict for c in claims], headline_within_tolerance)


@dataclass
class ItemResult:
    """What one item's ``run(params)`` returns: claims, headline, tables, figures, notes.

    ``tables`` and ``figures`` are written as ``<name>.csv`` and ``<name>.png``; ``captions``
    (by table or figure name) are generated from the run's numbers. ``headline_value`` is
    the item's headline metric (``profiles.yaml``); at full, when
    ``headline_within_tolerance`` is not given, it is compared with the paper's
    (:func:`cam_core.common.paper.within_tolerance`).
    At smoke every claim is forced to "not tested" (:func:`smoke_claim`)."""

    item: str
    profile: str
    headline: str
    claims: list[Claim]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    headline_within_tolerance: bool | None = None
    headline_value: float | None = None
    coverage: str = "complete"
    captions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.item, str) or not self.item:
            fail("item", "a non-empty item name", repr(self.item))
        if self.profile not in PROFILES:
            fail("profile", f"one of {', '.join(PROFILES)}", repr(self.profile))
        if self.coverage not in COVERAGE:
            fail("coverage", f"one of {', '.join(COVERAGE)}", repr(self.coverage))
        if self.headline_value is not None:
            self.headline_value = _number("headline_value", self.headline_value)
            # the paper's tolerance speaks of its numbers: compared at full scale only
            if self.headline_within_tolerance is None and self.profile == "full":
                self.headline_within_tolerance = paper.within_tolerance(
                    self.item, self.headline_value
                )
        for kind in ("tables", "figures"):
            for name in getattr(self, kind):
                if not isinstance(name, str) or not name or Path(name).name != name:
                    fail(kind, "plain file names without a suffix", repr(name))
        if "claims" in self.tables:
            fail("tables", "names other than 'claims' (written from the claims)", "claims")
        for name, table in self.tables.items():
            if not isinstance(table, pd.DataFrame):
                fail(f"tables[{name!r}]", "a DataFrame", type(table).__name__)
        unknown = set(self.captions) - set(self.tables) - set(self.figures)
        if unknown:
            fail("captions", "keys naming a table or figure", sorted(unknown)[0])
        if isinstance(self.notes, str):
            self.notes = [self.notes] if self.notes else []
        self.claims = self._claims()

    def _claims(self) -> list[Claim]:
        ids = [getattr(c, "claim_id", None) for c in self.claims]
        for i, claim in enumerate(self.claims):
            if not isinstance(claim, Claim):
                fail(f"claims[{i}]", "a Claim", type(claim).__name__)
            if ids.index(claim.claim_id) != i:
                fail(f"claims[{i}]", "a claim_id unique within the item", repr(claim.claim_id))
        if self.profile == "smoke":
            return [smoke_claim(c) for c in self.claims]
        return list(self.claims)

    @property
    def status(self) -> str:
        """The item's word in the book (:func:`item_status`)."""
        return item_status(self._claims(), self.profile, self.headline_within_tolerance)

    def claim(self, claim_id: str) -> Claim:
        """The claim with id ``claim_id``."""
        for c in self.claims:
            if c.claim_id == claim_id:
                return c
        fail("claim_id", f"one of {', '.join(c.claim_id for c in self.claims)}", repr(claim_id))

    def claims_table(self) -> pd.DataFrame:
        """One row per claim: ``item``, ``profile``, then :data:`CLAIM_COLUMNS`."""
        rows = [{"item": self.item, "profile": self.profile, **c.to_row()} for c in self._claims()]
        table = pd.DataFrame(rows, columns=["item", "profile", *CLAIM_COLUMNS])
        for name in NUMBER_FIELDS:
            table[name] = table[name].astype("float64")
        return table

    def status_record(self) -> dict[str, object]:
        """The item's record for the scoreboard (:func:`status_record`)."""
        verdicts = [c.verdict for c in self._claims()]
        return status_record(
            self.item,
            self.profile,
            self.status,
            self.coverage,
            verdicts,
            value=self.headline_value,
            within=self.headline_within_tolerance,
            headline=self.headline,
            notes=" ".join(self.notes),
        )


STATUS_COLUMNS = ("item", "profile", "status", "coverage", "headline", "headline_metric")
STATUS_COLUMNS += ("value", "paper_value", "headline_within_tolerance", "notes", "n_claims")
STATUS_COLUMNS += tuple("n_" + v.replace(" ", "_") for v in VERDICTS)


def status_record(
    item: str,
    profile: str,
    status: str,
    coverage: str,
    verdicts: Sequence[str],
    *,
    value: float | None = None,
    within: bool | None = None,
    headline: str = "",
    notes: str = "",
) -> dict[str, object]:
    """One item's status record (keys :data:`STATUS_COLUMNS`): its status word, coverage,
    headline value beside the paper's, and how many of its claims got each verdict."""
    known = item in profiles.item_names()
    record: dict[str, object] = {
        "item": item,
        "profile": profile,
        "status": status,
        "coverage": coverage,
        "headline": headline,
        "headline_metric": profiles.item_info(item)["metric"] if known else "",
        "value": value,
        "paper_value": paper.headline_paper_value(item) if known else None,
        "headline_within_tolerance": within,
        "notes": notes,
        "n_claims": len(verdicts),
    }
    for verdict in VERDICTS:
        record["n_" + verdict.replace(" ", "_")] = sum(v == verdict for v in verdicts)
    return record
