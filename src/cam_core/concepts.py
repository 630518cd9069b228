"""Concepts localized in weakly labelled images (Fig 10): a linear detector for a caption
phrase, trained on GAP features with hard-negative mining, and its CAMs.

The images are composite scenes (:func:`cam_core.discovery.make_composites`) with generated
captions. A caption names an object only sometimes, and a concept by its phrase ("striped
animal") or by a specific word ("zebra"): the phrase is a weak, noisy label. Positives are
the images whose caption holds the phrase; negatives are drawn from the rest (some of which
do show the concept). Hard-negative mining retrains on the negatives the detector scores
highest. The score: how often the CAM's maximum falls on the objects the phrase names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import average_precision_score
from sklearn.pipeline import Pipeline
from torch import nn

from cam_core import silhouettes as sil
from cam_core.discovery import (
    OBJECT_NAMES,
    Composite,
    _named_bank,
    cached_maps,
    input_size,
    linear_cams,
    make_composites,
    peak_hits,
    svm_weight,
)
from cam_core.features import fit_linear_svm
from cam_core.validate import check_array, fail

__all__ = [
    "CONCEPTS",
    "MENTION_RATE",
    "captioned_pool",
    "has_phrase",
    "shows_concept",
    "concept_targets",
    "mine_concept",
    "ConceptResult",
    "concept_experiment",
    "concept_figure",
    "claim_holds",
    "verdict",
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
    names = _named_bank(size)[0]
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


def mine_concept(
    pos: np.ndarray,
    neg: np.ndarray,
    start: int,
    rounds: int,
    per_round: int,
    seed: int = 0,
    fit: Callable[..., Pipeline] = fit_linear_svm,
) -> tuple[list[Pipeline], pd.DataFrame]:
    """Hard-negative mining: a linear SVM on positive GAP features ``(P, K)`` against ``start``
    random negatives of the pool ``neg`` ``(Q, K)``, then ``rounds`` times the ``per_round``
    highest-scoring unused negatives are added and the SVM retrained. Returns the SVM of every
    round and one row per round (negatives used, the pool's false-positive rate)."""
    check_array("pos", pos, ndim=2, layout="(P, K)")
    check_array("neg", neg, ndim=2, layout="(Q, K)")
    for name, value, low in (
        ("start", start, 1),
        ("rounds", rounds, 0),
        ("per_round", per_round, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            fail(name, f"an integer >= {low}", repr(value))
    if start + rounds * per_round > len(neg):
        fail("neg", f"a pool of at least {start + rounds * per_round} negatives", len(neg))
    rng = np.random.default_rng(seed)
    used = np.zeros(len(neg), dtype=bool)
    used[rng.choice(len(neg), start, replace=False)] = True
    svms, history = [], []
    for r in range(rounds + 1):
        x = np.concatenate([pos, neg[used]])
        y = np.r_[np.ones(len(pos), np.int64), np.zeros(int(used.sum()), np.int64)]
        svm = fit(x, y, seed=seed)
        scores = svm.decision_function(neg)
        svms.append(svm)
        history.append(
            {"round": r, "negatives": int(used.sum()), "pool_fp_rate": float((scores > 0).mean())}
        )
        if r < rounds:
            order = np.argsort(-scores, kind="stable")
            used[order[~used[order]][:per_round]] = True
    return svms, pd.DataFrame(history)


@dataclasses.dataclass
class ConceptResult:
    """Fig 10 for one concept: held-out images that show it ``(P, S, S, 3)``, their captions,
    the final detector's CAMs ``(P, S, S)``, whether each CAM's maximum is on the named
    objects, the chance of that, and the per-round table (AP on held-out images)."""

    concept: str
    images: np.ndarray
    captions: list[str]
    cams: np.ndarray
    hits: np.ndarray
    chance: float
    rounds: pd.DataFrame

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
            )
        )
    return out


def concept_figure(result: ConceptResult, n: int):
    """``n`` held-out images that show the concept (top) and the detector's CAMs (bottom),
    each captioned with its generated caption."""
    from cam_core.viz import image_grid, overlay

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


def claim_holds(results: Sequence[ConceptResult]) -> str:
    """ "yes" when, over the concepts, the CAM's maximum falls on the named objects in at least
    half of the held-out images that show them and at least twice as often as chance."""
    rate = float(np.nanmean([r.peak_rate for r in results]))
    chance = float(np.nanmean([r.chance for r in results]))
    return "yes" if rate >= 0.5 and rate >= 2 * chance else "no"


def verdict(results: Sequence[ConceptResult], network: str) -> str:
    """The page's caption: the claim as holding or not, with the numbers (Markdown)."""
    lines = []
    for r in results:
        t = r.rounds
        mined = t[t["round"] != "random negatives"]["held_out_ap"]
        rand = t.loc[t["round"] == "random negatives", "held_out_ap"].iloc[0]
        lines.append(
            f'- "{r.concept}": the CAM maximum falls on the named objects in '
            f"**{100 * r.peak_rate:.1f}%** of {len(r.hits)} held-out images that show it "
            f"(chance {100 * r.chance:.1f}%); held-out AP {100 * mined.iloc[0]:.1f}% before "
            f"mining, {100 * mined.iloc[-1]:.1f}% after ({100 * rand:.1f}% with as many random "
            "negatives)."
        )
    holds = claim_holds(results) == "yes"
    lines.append(
        f"\nDetectors on {network} GAP features. The claim that the concepts are localized "
        f"**{'holds' if holds else 'does not hold'}** here (criterion: mean peak rate >= 50% "
        "and >= 2x chance)."
    )
    return "\n".join(lines)
