"""Concepts localized in weakly labelled images (Fig 10): a linear detector for a caption
phrase, trained on GAP features with hard-negative mining, and its CAMs.

The images are composite scenes (:func:`~cam_core.synthetic.composites.make_composites`)
with generated captions. A caption names an object only sometimes, and a concept by its
phrase ("striped animal") or by a specific word ("zebra"): the phrase is a weak, noisy
label. Positives are the images whose caption holds the phrase; negatives are drawn from the
rest (some of which do show the concept). Hard-negative mining retrains on the negatives
the detector scores highest. The score: how often the CAM's maximum falls on the objects
the phrase names (:func:`peak_claims`). :func:`run` runs the figure at every profile; the
``full`` path (COCO captions) and the mining live in :mod:`cam_core.items.concepts_coco`,
re-exported here.
"""

from __future__ import annotations

import dataclasses
import functools
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from sklearn.metrics import average_precision_score
from torch import nn

from cam_core.common import claims
from cam_core.common.claims import Claim, ItemResult
from cam_core.common.viz import image_grid, overlay
from cam_core.items import discovery
from cam_core.items.concepts_coco import (
    CaptionConceptResult,
    caption_verdict,
    figure10_full,
    mine_concept,
)
from cam_core.items.discovery import (
    MIN_SCORED,  # scored held-out images below which a claim of Figs 9-11 is not tested
    cached_maps,
    input_size,
    linear_cams,
    peak_hits,
    svm_weight,
)
from cam_core.nets.features import fit_linear_svm
from cam_core.synthetic import silhouettes as sil
from cam_core.synthetic.composites import OBJECT_NAMES, Composite, make_composites, named_photo_bank
from cam_core.validate import fail

__all__ = [
    "CONCEPTS",
    "MENTION_RATE",
    "MIN_SCORED",
    "captioned_pool",
    "has_phrase",
    "shows_concept",
    "concept_targets",
    "ConceptResult",
    "concept_experiment",
    "concept_figure",
    "peak_claims",
    "concept_table",
    "run",
]

# A concept: the objects it names, the phrase captions use for them, the ground it needs.
CONCEPTS: dict[str, dict] = {
    "striped animal": {"objects": ("zebra",), "background": None},
    "farm animal": {"objects": ("cow", "sheep", "horse"), "background": None},
    "digit on grass": {"objects": tuple(f"digit {d}" for d in range(10)), "background": "grass"},
}
MENTION_RATE = 0.8  # an object (or the ground) not planted is named with this probability
_PLANT_RATE = 0.3  # each concept is planted in this share of the images
_STREAM = 10


def _check_concepts(concepts: Sequence[str]) -> None:
    if isinstance(concepts, str) or not concepts or any(c not in CONCEPTS for c in concepts):
        fail("concepts", f"names among {', '.join(CONCEPTS)}", repr(concepts))


def _word(name: str, planted: set[str], rng: np.random.Generator) -> str:
    """How a caption names object ``name``: a planted concept's phrase, else the phrase or
    the object's own name at random."""
    if name.startswith("digit"):
        return "digit"
    for concept, spec in CONCEPTS.items():
        if name in spec["objects"] and spec["background"] is None:
            return concept if concept in planted or rng.random() < 0.5 else name
    return name


def captioned_pool(
    n: int, concepts: Sequence[str], size: int, seed: int, split: str
) -> tuple[Composite, list[str]]:
    """``n`` composites (2 x 2 grid, 2-4 objects) of ``split`` with generated weak captions,
    e.g. "a cow, a zebra and a digit on grass". Each concept is planted (its object placed,
    its ground used, its phrase in the caption) in about 30% of the images; other objects
    and grounds are named with probability MENTION_RATE."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        fail("n", "an integer >= 1", repr(n))
    _check_concepts(concepts)
    rng = np.random.default_rng([seed, sil.SPLITS.index(split), _STREAM])
    names = named_photo_bank(size)[0]
    objects = np.full((n, 4), -1, dtype=np.int64)
    grounds = list(rng.choice(names, n))
    planted: list[set[str]] = []
    for i in range(n):
        ids = list(rng.choice(len(OBJECT_NAMES), int(rng.integers(2, 5)), replace=False))
        here = set()
        for c in concepts:
            if rng.random() < _PLANT_RATE:
                here.add(c)
                want = OBJECT_NAMES.index(str(rng.choice(CONCEPTS[c]["objects"])))
                if want not in ids:
                    ids[int(rng.integers(len(ids)))] = want
                if CONCEPTS[c]["background"] is not None:
                    grounds[i] = CONCEPTS[c]["background"]
        objects[i, : len(ids)] = ids
        planted.append(here)
    comp = make_composites(objects, size, seed, split, grid=2, backgrounds=grounds)
    captions = []
    for i in range(n):
        forced = {n for c in planted[i] for n in CONCEPTS[c]["objects"]}
        words = []
        for obj in objects[i][objects[i] >= 0]:
            name = OBJECT_NAMES[obj]
            if name in forced or rng.random() < MENTION_RATE:
                words.append(_word(name, planted[i], rng))
        things = sorted({w for w in words if w != "digit"}) + (["digit"] * ("digit" in words))
        parts = [f"{'an' if w[0] in 'aeiou' else 'a'} {w}" for w in things]
        phrase = (
            " and ".join([", ".join(parts[:-1]), parts[-1]]) if len(parts) > 1 else "".join(parts)
        )
        grass_planted = any(CONCEPTS[c]["background"] for c in planted[i])
        if grass_planted or rng.random() < MENTION_RATE:
            ground = grounds[i].replace("_", " ")
        else:
            ground = "a photo"
        captions.append(f"{phrase or 'something'} on {ground}")
    return comp, captions


def has_phrase(captions: Sequence[str], concept: str) -> np.ndarray:
    """bool ``(N,)``: captions that hold the concept's phrase (the weak label)."""
    return np.array([concept in c for c in captions])


def shows_concept(comp: Composite, concept: str) -> np.ndarray:
    """bool ``(N,)``: images that truly show the concept (one of its objects, on its ground)."""
    ids = [OBJECT_NAMES.index(o) for o in CONCEPTS[concept]["objects"]]
    out = np.isin(comp.objects, ids).any(axis=1)
    if CONCEPTS[concept]["background"] is not None:
        out &= np.array([b == CONCEPTS[concept]["background"] for b in comp.background])
    return out


def concept_targets(comp: Composite, concept: str) -> np.ndarray:
    """bool ``(N, S, S)``: pixels of the objects the concept names."""
    out = np.zeros(comp.slots.shape, dtype=bool)
    for name in CONCEPTS[concept]["objects"]:
        out |= comp.object_masks(OBJECT_NAMES.index(name))
    return out


@dataclasses.dataclass
class ConceptResult:
    """Fig 10 for one concept: held-out images that show it ``(P, S, S, 3)``, their captions,
    the final detector's CAMs ``(P, S, S)``, whether each CAM's maximum is on the named
    objects, the chance of that, and the per-round table (AP on held-out images); ``shares``
    ``(P,)``: each image's share of named-object pixels (its chance)."""

    concept: str
    images: np.ndarray
    captions: list[str]
    cams: np.ndarray
    hits: np.ndarray
    chance: float
    rounds: pd.DataFrame
    shares: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    @property
    def peak_rate(self) -> float:
        return float(self.hits.mean()) if len(self.hits) else float("nan")


def concept_experiment(
    model: nn.Module,
    model_name: str,
    concepts: Sequence[str],
    positives: int,
    negatives: int,
    rounds: int,
    test_images: int,
    size: int,
    seed: int = 0,
    cache_dir: str | Path | None = None,
) -> list[ConceptResult]:
    """For each concept: a detector from ``positives`` captioned training images (phrase in
    the caption) against ``negatives`` negatives: ``negatives // (rounds + 1)`` random ones
    first, as many of the hardest unused added per round. Its average precision on
    ``test_images`` held-out images (against the truth, per round, beside an SVM with as many
    random negatives) and its CAMs on the held-out images that show the concept."""
    _check_concepts(concepts)
    view = input_size(model_name, size)
    pool, captions = captioned_pool(2 * (positives + negatives), concepts, size, seed, "train")
    test, test_captions = captioned_pool(test_images, concepts, size, seed, "test")
    gap = cached_maps(cache_dir, "concepts-train", model_name, model, pool.images, view)
    gap = gap.mean(dim=(2, 3)).numpy()
    test_maps = cached_maps(cache_dir, "concepts-test", model_name, model, test.images, view)
    test_gap = test_maps.mean(dim=(2, 3)).numpy()
    per_round = negatives // (rounds + 1)
    out = []
    for concept in concepts:
        label = has_phrase(captions, concept)
        pos = gap[np.flatnonzero(label)[:positives]]
        neg = gap[~label]
        svms, table = mine_concept(pos, neg, per_round, rounds, per_round, seed)
        truth = shows_concept(test, concept)
        table["held_out_ap"] = [
            average_precision_score(truth, s.decision_function(test_gap)) for s in svms
        ]
        rng = np.random.default_rng(seed + 1)
        random = fit_linear_svm(
            np.concatenate(
                [pos, neg[rng.choice(len(neg), per_round * (rounds + 1), replace=False)]]
            ),
            np.r_[np.ones(len(pos), np.int64), np.zeros(per_round * (rounds + 1), np.int64)],
            seed=seed,
        )
        table.loc[len(table)] = {
            "round": "random negatives",
            "negatives": per_round * (rounds + 1),
            "pool_fp_rate": float((random.decision_function(neg) > 0).mean()),
            "held_out_ap": average_precision_score(truth, random.decision_function(test_gap)),
        }
        weight, _ = svm_weight(svms[-1])
        rows = np.flatnonzero(truth)
        cams = linear_cams(test_maps[rows], weight, torch.ones(len(rows), dtype=torch.long), size)
        targets = concept_targets(test, concept)[rows]
        out.append(
            ConceptResult(
                concept,
                test.images[rows],
                [test_captions[i] for i in rows],
                cams,
                peak_hits(cams, targets) if len(rows) else np.zeros(0, bool),
                float(targets.mean()) if len(rows) else float("nan"),
                table,
                targets.mean(axis=(1, 2)) if len(rows) else np.zeros(0),
            )
        )
    return out


def concept_figure(result: ConceptResult, n: int):
    """``n`` held-out images that show the concept (top) and the detector's CAMs (bottom),
    each captioned with its generated caption."""

    k = min(n, len(result.images))
    if k == 0:
        fail("result", "held-out images that show the concept", "none")
    top = [result.images[i] for i in range(k)]
    bottom = [overlay(result.images[i], result.cams[i]) for i in range(k)]
    wrap = [c.replace(" on ", "\non ") for c in result.captions[:k]]
    return image_grid(
        [top, bottom],
        row_titles=["image", "CAM"],
        captions=[wrap, ["peak on object" if h else "peak elsewhere" for h in result.hits[:k]]],
        title=f'"{result.concept}"',
        fontsize=7,
    )


def peak_claims(
    hits: np.ndarray, shares: np.ndarray, data: str = "", min_scored: int = MIN_SCORED
) -> list[Claim]:
    """Fig 10's claims on the scored held-out images: ``hits`` bool ``(P,)`` (the CAM's maximum
    lies on a named object), ``shares`` ``(P,)`` (those objects' share of the image, the chance
    of a hit). The peak rate above 50% (Clopper-Pearson, %) and above twice chance (rate minus
    twice the mean share, paired bootstrap over the images, points); not tested below
    ``min_scored`` images."""
    hits = np.asarray(hits, dtype=bool).reshape(-1)
    shares = np.asarray(shares, dtype=np.float64).reshape(-1)
    if len(shares) != len(hits):
        fail("shares", f"one chance per scored image ({len(hits)})", f"{len(shares)} values")
    n = len(hits)
    rate = low = high = diff = d_low = d_high = None
    if n == 0:
        pre = [(False, "no held-out image could be scored (no object locations for the phrases)")]
    else:
        pre = [(claims.min_count(n, min_scored), f"{n} held-out images scored, fewer than "
                f"{min_scored}")]  # fmt: skip
        k = int(hits.sum())
        rate = 100 * k / n
        low, high = claims.binomial_interval(k, n, percent=True)
        diff, d_low, d_high = claims.paired_bootstrap(100 * hits.astype(float), 200 * shares)
    above = functools.partial(claims.compare, direction="above")
    return [
        claims.judge(
            "peaks_on_named_objects",
            "The detector's CAM peaks on the objects the phrase names in most held-out images "
            "that show the concept",
            rate,
            low,
            high,
            functools.partial(above, boundary=50.0),
            "CAM maxima on the named objects in more than 50% of the scored images; 95% "
            "Clopper-Pearson over those images",
            preconditions=pre,
            data=data,
        ),
        claims.judge(
            "peaks_beat_twice_chance",
            "The CAM peaks on the named objects at least twice as often as chance",
            diff,
            d_low,
            d_high,
            functools.partial(above, boundary=0.0),
            "peak rate minus twice chance (each image's named-object area share) above 0; 95% "
            "paired bootstrap over the scored images",
            unit="points",
            preconditions=pre,
            data=data,
        ),
    ]


def concept_table(results: Sequence[ConceptResult | CaptionConceptResult]) -> pd.DataFrame:
    """One row per phrase: scored held-out images, CAM-peak rate with its Clopper-Pearson 95%
    interval and chance (%), held-out AP before and after mining and with random negatives."""
    rows = []
    for r in results:
        n, k = len(r.hits), int(np.sum(r.hits))
        low, high = claims.binomial_interval(k, n, percent=True) if n else (np.nan, np.nan)
        t = r.rounds
        ap = {"ap_before_mining": np.nan, "ap_after_mining": np.nan, "ap_random_negatives": np.nan}
        if len(t):
            mined = t.loc[t["round"] != "random negatives", "held_out_ap"]
            rand = t.loc[t["round"] == "random negatives", "held_out_ap"]
            ap = {"ap_before_mining": 100 * mined.iloc[0], "ap_after_mining": 100 * mined.iloc[-1],
                  "ap_random_negatives": 100 * rand.iloc[0]}  # fmt: skip
        rows.append(
            {"concept": r.concept, "scored_images": n,
             "peak_rate": 100 * k / n if n else np.nan, "low": low, "high": high,
             "chance": 100 * r.chance if n else np.nan, **ap}
        )  # fmt: skip
    return pd.DataFrame(rows)


def detectors_figure(panels: Sequence[tuple[str, Sequence, Sequence, Sequence[str]]]):
    """One figure for every phrase: ``panels`` of (phrase, images ``(H_i, W_i, 3)``, CAMs
    ``(H_i, W_i)``, a caption per image); a row of images, then a row of their CAMs."""
    panels = [p for p in panels if len(p[1])]
    if not panels:
        fig = Figure(figsize=(4, 1))
        fig.text(0.5, 0.5, "no held-out image to show", ha="center", va="center")
        return fig
    width = max(len(p[1]) for p in panels)
    cells, titles, captions = [], [], []
    for concept, images, cams, caps in panels:
        pad = [None] * (width - len(images))
        cells += [list(images) + pad, [overlay(im, c) for im, c in zip(images, cams, strict=True)]
                  + pad]  # fmt: skip
        titles += [f'"{concept}"', "CAM"]
        captions += [list(caps) + [""] * len(pad), [""] * width]
    return image_grid(cells, row_titles=titles, captions=captions, fontsize=7)


def _panel(r: ConceptResult | CaptionConceptResult, n: int) -> tuple:
    k = min(n, len(r.images))
    if isinstance(r, ConceptResult):
        caps = [c.replace(" on ", "\non ") + ("\npeak on object" if h else "\npeak elsewhere")
                for c, h in zip(r.captions[:k], r.hits[:k], strict=True)]  # fmt: skip
    else:
        caps = [textwrap.fill(c, 28) for c in r.captions[:k]]
    return r.concept, list(r.images[:k]), list(r.cams[:k]), caps


def run(params: dict[str, Any], progress: Callable[[str], None] | None = None) -> ItemResult:
    """Figure 10 at ``params``'s profile: detectors for caption phrases on composite scenes
    (COCO 2014 captions at ``full``), their CAMs, the mining table and :func:`peak_claims`."""
    net = discovery.load_network(params, params["network"], progress=progress)
    full = params["profile"] == "full"
    if full:
        found = figure10_full(net, params)
        data = "COCO 2014 train captions, CAM peaks against instance boxes"
        notes = [caption_verdict(found, params["network"])]
    else:
        found = concept_experiment(
            net, params["network"], params["concepts"], params["positives"],
            params["negatives"], params["hard_negative_rounds"], params["test_images"],
            params["image_size"], seed=params["seed"], cache_dir=discovery.feature_cache(params),
        )  # fmt: skip
        data = f"composite scenes with generated captions, {params['test_images']} held out"
        notes = []
    scored = [r for r in found if len(r.hits)]
    hits = np.concatenate([r.hits for r in scored]) if scored else np.zeros(0, bool)
    shares = np.concatenate([r.shares for r in scored]) if scored else np.zeros(0)
    data += f", {params['network']} GAP features"
    found_claims = peak_claims(hits, shares, data)
    unscored = [r.concept for r in found if not len(r.hits)]
    if unscored:
        found_claims.append(
            Claim("unscored_phrases", "The CAMs of the other phrases localize their concepts",
                  None, None, None, "", None, "judged by eye only", "not tested",
                  reason="no object locations for " + ", ".join(f'"{c}"' for c in unscored)
                  + " (no named annotated category, or too few images): CAMs shown, not scored",
                  data=data)
        )  # fmt: skip
    with_rounds = [r.rounds.assign(concept=r.concept) for r in found if len(r.rounds)]
    rounds = pd.concat(with_rounds, ignore_index=True) if with_rounds else pd.DataFrame(
        columns=["round", "negatives", "pool_fp_rate", "held_out_ap", "concept"])  # fmt: skip
    rounds = rounds[["concept", "round", "negatives", "pool_fp_rate", "held_out_ap"]]
    table = concept_table(found)
    n = len(hits)
    rate = 100 * float(hits.mean()) if n else None
    caption = (
        f"Over the {n} scored held-out images the CAM maximum falls on the named objects in "
        f"{rate:.1f}% of them (chance {100 * float(shares.mean()):.1f}%)."
        if n else "No held-out image could be scored against object locations."
    )  # fmt: skip
    return ItemResult(
        item="figure10",
        profile=params["profile"],
        headline=f"CAM maxima on the objects the phrase names, {n} scored held-out images (%):",
        claims=found_claims,
        tables={"figure10_concepts": table, "figure10_rounds": rounds},
        figures={
            "figure10_detectors": detectors_figure(
                [_panel(r, params["num_examples"]) for r in found]
            )  # fmt: skip
        },
        notes=notes,
        headline_value=rate,
        coverage="partial" if unscored else "complete",
        captions={
            "figure10_concepts": caption,
            "figure10_detectors": "Per phrase: held-out images whose caption holds it or that "
            "show it (top row, with the caption) and the final detector's CAM (bottom row, red "
            "= high).",
        },
    )
