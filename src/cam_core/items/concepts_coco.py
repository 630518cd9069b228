"""Figure 10 at ``full`` scale: COCO 2014 captions as the weakly labelled collection (a
phrase's positives are the images with a caption holding it word for word, its negatives
images without any of its words), and the hard-negative mining both scales use
(:func:`mine_concept`). :mod:`cam_core.items.concepts` re-exports every name here and runs
the figure.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import average_precision_score
from sklearn.pipeline import Pipeline
from torch import nn

from cam_core.common.viz import image_grid, overlay
from cam_core.core.boxes import box_cover, peak_in_box
from cam_core.datasets import coco
from cam_core.datasets.base import FileImages
from cam_core.items import discovery
from cam_core.items.discovery import linear_cams, svm_weight
from cam_core.nets.features import fit_linear_svm
from cam_core.validate import check_array, fail

__all__ = [
    "mine_concept",
    "ARTICLES",
    "FUNCTION_WORDS",
    "phrase_images",
    "unrelated_images",
    "named_categories",
    "CaptionConceptResult",
    "caption_concept_experiment",
    "figure10_full",
    "caption_concept_figure",
    "caption_verdict",
]
_STREAM = 10  # the same RNG stream tag as cam_core.items.concepts' captioned pools


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


ARTICLES = frozenset({"a", "an", "the"})
# Words of a phrase that name nothing: a negative may hold them (the other words it may not).
FUNCTION_WORDS = ARTICLES | frozenset(
    "in on of out at with by to from and for over under into through near behind".split()
)


def _words(text: str) -> list[str]:

    return re.findall(r"[a-z0-9]+", text.lower())


def _content(text: str) -> str:
    """Words of ``text`` without articles, space-joined and space-padded."""
    return " " + " ".join(w for w in _words(text) if w not in ARTICLES) + " "


def phrase_images(captions: pd.Series, phrase: str) -> np.ndarray:
    """Image ids (``captions``: id -> the image's captions, newline-joined) with a caption
    that holds ``phrase`` word for word, articles ignored on both sides ("a view out of the
    window" holds "view out of window")."""
    want = _content(phrase)
    if not want.strip():
        fail("phrase", "a phrase with words", repr(phrase))
    hit = [any(want in _content(c) for c in text.split("\n")) for text in captions.to_numpy()]
    return captions.index.to_numpy()[np.array(hit, dtype=bool)]


def unrelated_images(captions: pd.Series, phrase: str) -> np.ndarray:
    """Image ids none of whose captions holds a content word of ``phrase`` (nor its plural):
    the paper's negatives, "images without any relevant words in their text caption"."""
    words = {w for w in _words(phrase) if w not in FUNCTION_WORDS}
    words |= {w + "s" for w in words} | {w + "es" for w in words}
    hit = [bool(words & set(_words(text))) for text in captions.to_numpy()]
    return captions.index.to_numpy()[~np.array(hit, dtype=bool)]


def named_categories(phrase: str, categories: Sequence[str]) -> list[str]:
    """The object categories (e.g. COCO's) that ``phrase`` names, word for word."""
    want = _content(phrase)
    return [c for c in categories if _content(c) in want or _content(c + "s") in want]


@dataclasses.dataclass
class CaptionConceptResult:
    """Fig 10 on a captioned photo collection for one phrase: images whose captions hold it
    (``found``), how many trained and were held out, the categories it names, examples of
    held-out positives (images, a caption, the detector's CAM), whether each scored CAM's
    maximum lies in a box of a named category (``hits``; held-out positives holding one), the
    boxes' mean area share (chance) and the per-round table. ``trained`` False: too few.
    ``shares`` ``(len(hits),)``: each scored image's box area share (its chance)."""

    concept: str
    found: int
    train_positives: int
    held_out: int
    named: tuple[str, ...]
    images: list[np.ndarray]
    captions: list[str]
    cams: list[np.ndarray]
    hits: np.ndarray
    chance: float
    rounds: pd.DataFrame
    trained: bool = True
    shares: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    @property
    def peak_rate(self) -> float:
        return float(self.hits.mean()) if len(self.hits) else float("nan")


def caption_concept_experiment(
    model: nn.Module,
    model_name: str,
    image_root: str | Path,
    images: pd.DataFrame,
    captions: pd.Series,
    concepts: Sequence[str],
    positives: int,
    negatives: int,
    rounds: int,
    test_images: int,
    input_size: int,
    num_examples: int,
    instances: pd.DataFrame | None = None,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    device: str = "cpu",
) -> list[CaptionConceptResult]:
    """Per phrase: positives = images whose captions hold it (:func:`phrase_images`), a
    seeded fifth of them (at least one; at most ``test_images`` if > 0) held out, up to
    ``positives`` of the rest trained on; negatives from :func:`unrelated_images`: a pool
    of ``2 x negatives``, mined as in :func:`mine_concept` (``negatives // (rounds + 1)``
    random first, as many of the hardest per round), and 4 per held-out positive held out
    for the average precision. ``images``: id, file_name (under ``image_root``); CAMs of
    the final detector on the held-out positives at each image's size; with ``instances``
    (image_id, category, x0, y0, x1, y1), whether their maximum lies in a box of a
    category the phrase names. A phrase in fewer than 2 images is reported, not trained."""

    file_of = dict(zip(images["id"].astype(int), images["file_name"], strict=True))
    categories = sorted(set(instances["category"])) if instances is not None else []
    out = []
    for concept in concepts:
        rng = np.random.default_rng([seed, _STREAM, len(concept)])
        pos = rng.permutation(phrase_images(captions, concept))
        named = tuple(named_categories(concept, categories))
        if len(pos) < 2:
            out.append(
                CaptionConceptResult(concept, len(pos), 0, 0, named, [], [], [],
                                     np.zeros(0, bool), float("nan"), pd.DataFrame(), False)
            )  # fmt: skip
            continue
        n_hold = max(1, int(round(len(pos) / 5)))
        held = pos[:n_hold][: test_images or None]
        train_pos = pos[n_hold:][:positives]
        unrelated = rng.permutation(np.setdiff1d(unrelated_images(captions, concept), pos))
        pool = unrelated[: 2 * negatives]
        held_neg = unrelated[len(pool) : len(pool) + 4 * len(held)]
        per_round = min(negatives, len(pool)) // (rounds + 1)
        if per_round < 1 or len(held_neg) == 0:
            fail("negatives", f"images unrelated to {concept!r} for training and testing",
                 len(unrelated))  # fmt: skip
        ids = np.concatenate([train_pos, held, pool, held_neg])
        files = FileImages(image_root, [file_of[int(i)] for i in ids], "coco2014")
        slug = "_".join(_words(concept))
        gap = discovery.file_gap_features(
            cache_dir, f"concept-{slug}", model_name, model, files, input_size, device=device
        )
        n1, n2, n3 = (
            len(train_pos),
            len(train_pos) + len(held),
            len(train_pos) + len(held) + len(pool),
        )
        svms, table = mine_concept(gap[:n1], gap[n2:n3], per_round, rounds, per_round, seed)
        test_x = np.concatenate([gap[n1:n2], gap[n3:]])
        truth = np.r_[np.ones(len(held)), np.zeros(len(held_neg))]
        table["held_out_ap"] = [
            average_precision_score(truth, s.decision_function(test_x)) for s in svms
        ]
        used = per_round * (rounds + 1)
        table["round"] = table["round"].astype(object)  # a named row follows the numbered ones
        random = fit_linear_svm(
            np.concatenate([gap[:n1], gap[n2:n3][rng.choice(len(pool), used, replace=False)]]),
            np.r_[np.ones(n1, np.int64), np.zeros(used, np.int64)],
            seed=seed,
        )
        table.loc[len(table)] = {
            "round": "random negatives",
            "negatives": used,
            "pool_fp_rate": float((random.decision_function(gap[n2:n3]) > 0).mean()),
            "held_out_ap": average_precision_score(truth, random.decision_function(test_x)),
        }
        weight, _ = svm_weight(svms[-1])
        shown, caps, cams, hits, shares = [], [], [], [], []
        boxes_of = (
            instances[instances["category"].isin(named)].groupby("image_id")
            if instances is not None and named
            else None
        )
        with_boxes = set(boxes_of.groups) if boxes_of is not None else set()
        for idx, maps in discovery.file_maps(model, files, input_size, np.arange(n1, n2),
                                             device=device):  # fmt: skip
            for j, i in enumerate(idx.tolist()):
                image = files[i]
                h, w = image.shape[:2]
                cam = linear_cams(maps[j : j + 1], weight, torch.ones(1, dtype=torch.long), (h, w))[
                    0
                ]
                image_id = int(ids[i])
                if image_id in with_boxes:
                    b = boxes_of.get_group(image_id)[["x0", "y0", "x1", "y1"]].to_numpy(float)
                    hit = bool(peak_in_box(cam[None], [b])[0])
                    share = box_cover(b, cam.shape)
                    hits.append(hit)
                    shares.append(share)
                if len(shown) < num_examples:
                    shown.append(image)
                    cams.append(cam)
                    text = captions.loc[image_id].split("\n")
                    caps.append(next(c for c in text if _content(concept) in _content(c)))
        out.append(
            CaptionConceptResult(
                concept, len(pos), n1, len(held), named, shown, caps, cams,
                np.array(hits, dtype=bool), float(np.mean(shares)) if shares else float("nan"),
                table, True, np.array(shares, dtype=np.float64),
            )
        )  # fmt: skip
    return out


def figure10_full(model: nn.Module, params: dict) -> list[CaptionConceptResult]:
    """Figure 10's ``full`` path for a notebook's validated ``params``: COCO 2014 train
    captions under ``data_root`` as the weakly labelled collection, its instance boxes
    (``instances_train2014.json``) when present for the CAM-peak number."""

    root = coco.locate(params["data_root"])
    caps = coco.read_captions(root / "annotations" / "captions_train2014.json")
    inst_path = root / "annotations" / "instances_train2014.json"
    instances = coco.read_instances(inst_path, caps.images) if inst_path.is_file() else None
    return caption_concept_experiment(
        model,
        params["network"],
        root / "train2014",
        caps.images,
        caps.by_image(),
        params["concepts"],
        params["positives"],
        params["negatives"],
        params["hard_negative_rounds"],
        params["test_images"],
        params["image_size"],
        params["num_examples"],
        instances=instances,
        seed=params["seed"],
        cache_dir=discovery.feature_cache(params),
        device=params["device"],
    )


def caption_concept_figure(result: CaptionConceptResult):
    """Held-out images whose captions hold the phrase (top, with the caption) and the
    detector's CAMs (bottom)."""

    if not result.images:
        fail("result", "held-out images whose captions hold the phrase", "none")
    bottom = [overlay(im, cam) for im, cam in zip(result.images, result.cams, strict=True)]

    wrap = [textwrap.fill(c, 28) for c in result.captions]
    return image_grid([result.images, bottom], row_titles=["image", "CAM"],
                      captions=[wrap, [""] * len(bottom)], title=f'"{result.concept}"',
                      fontsize=7)  # fmt: skip


def caption_verdict(results: Sequence[CaptionConceptResult], network: str) -> str:
    """The full-scale notes, one Markdown line per phrase: images found, trained on and held
    out, held-out AP before and after mining, and whether its CAM peaks could be scored."""
    lines = []
    for r in results:
        if not r.trained:
            lines.append(
                f'- "{r.concept}": in the captions of {r.found} images, too few to train '
                "a detector (at least 2 needed)."
            )
            continue
        mined = r.rounds[r.rounds["round"] != "random negatives"]["held_out_ap"]
        rand = r.rounds.loc[r.rounds["round"] == "random negatives", "held_out_ap"].iloc[0]
        line = (
            f'- "{r.concept}": {r.found} images hold it, {r.train_positives} trained on, '
            f"{r.held_out} held out; held-out AP {100 * mined.iloc[0]:.1f}% before mining, "
            f"{100 * mined.iloc[-1]:.1f}% after ({100 * rand:.1f}% with as many random "
            "negatives). "
        )
        if len(r.hits):
            line += (
                f"The CAM maximum lies in a box of {', '.join(r.named)} in "
                f"{100 * r.peak_rate:.1f}% of {len(r.hits)} held-out images with one "
                f"(chance {100 * r.chance:.1f}%)."
            )
        elif r.named:
            line += f"No held-out image holds a box of {', '.join(r.named)}: CAMs not scored."
        else:
            line += "It names no COCO object category: its CAMs are shown, not scored."
        lines.append(line)
    lines.append(
        f"\nDetectors on {network} GAP features, COCO 2014 train captions as the weak labels."
    )
    return "\n".join(lines)
