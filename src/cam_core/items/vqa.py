"""Visual question answering, the paper's baseline (Fig 12): a bag-of-words question vector
concatenated with the GAP image feature, one linear layer, softmax over the answers; the
CAM of the predicted answer from the image part of its weights.

The logit of answer a is ``W_q[a] . q + W_i[a] . F + b_a``: the question part is constant
over the image, so the map ``sum_k W_i[a, k] f_k(x, y)`` is the answer's CAM
(:func:`answer_cams`). Questions are generated about composite scenes whose objects are
known (:func:`cam_core.synthetic.composites.make_composites`): one animal and up to two digits each.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import TensorDataset

from cam_core.common import claims
from cam_core.common.claims import Claim, ItemResult
from cam_core.common.viz import image_grid, overlay
from cam_core.core.boxes import box_cover, peak_in_box
from cam_core.core.cam import class_activation_maps
from cam_core.datasets import coco
from cam_core.datasets.base import FileImages
from cam_core.items import concepts_coco, discovery
from cam_core.items.discovery import cached_maps, input_size, peak_hits
from cam_core.nets.train import TrainConfig, train_model
from cam_core.synthetic import silhouettes as sil
from cam_core.synthetic.benchmark import ANIMAL_CLASSES
from cam_core.synthetic.composites import Composite, make_composites
from cam_core.validate import fail

__all__ = [
    "QUESTION_TYPES",
    "vqa_images",
    "make_questions",
    "vocabulary",
    "bag_of_words",
    "VQABaseline",
    "answer_cams",
    "VQAResult",
    "vqa_experiment",
    "vqa_figure",
    "VQAv1Result",
    "vqa_v1_experiment",
    "figure12_full",
    "vqa_v1_figure",
    "answers_claim",
    "cam_claim",
    "run",
]

QUESTION_TYPES = ("what animal", "is there a digit", "animal on the left", "how many digits",
                  "is there a <animal>")  # fmt: skip
_COUNTS = ("zero", "one", "two")
_STREAM = 12
# Fewest questions a verdict is drawn from: below 30, a share's 95% interval is wider than
# about +-18 points, too wide to tell an answer rate or a CAM hit rate from its boundary.
MIN_QUESTIONS = 30
# full: how many VQA v1 val questions naming a COCO category present in their image have
# the CAM of their predicted answer scored (a seeded sample; +-2 points at 95%).
CAM_QUESTIONS = 2000


def vqa_images(n: int, size: int, seed: int, split: str) -> Composite:
    """``n`` composites (2 x 2 grid) of one animal (uniform class) and 0-2 digits."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        fail("n", "an integer >= 1", repr(n))
    rng = np.random.default_rng([seed, sil.SPLITS.index(split), _STREAM])
    objects = np.full((n, 3), -1, dtype=np.int64)
    objects[:, 0] = rng.integers(0, len(ANIMAL_CLASSES), n)
    digits = rng.integers(0, 3, n)
    for j in (1, 2):
        objects[:, j] = np.where(digits >= j, len(ANIMAL_CLASSES) + rng.integers(0, 10, n), -1)
    return make_composites(objects, size, seed, split, grid=2)


def make_questions(comp: Composite, seed: int, per_image: int = 3) -> pd.DataFrame:
    """Questions about each image: "what animal is in the picture?" and ``per_image - 1``
    others of QUESTION_TYPES at random. Columns: image, type, question, answer, target
    (the object index, into OBJECT_NAMES, that the question is about; -1 for none: a "no")."""
    rng = np.random.default_rng([seed, _STREAM, len(comp)])
    rows = []
    for i in range(len(comp)):
        objs = comp.objects[i]
        animal = ANIMAL_CLASSES[objs[0]]
        n_digits = int((objs[1:] >= 0).sum())
        left = (comp.boxes[i, 0, 0] + comp.boxes[i, 0, 2]) / 2 < comp.size / 2
        kinds = ["what animal", *rng.choice(QUESTION_TYPES[1:], per_image - 1, replace=False)]
        for kind in kinds:
            if kind == "what animal":
                q, a, t = "what animal is in the picture", animal, int(objs[0])
            elif kind == "is there a digit":
                q, a, t = "is there a digit", "yes" if n_digits else "no", -2 if n_digits else -1
            elif kind == "animal on the left":
                q, a, t = "is the animal on the left", "yes" if left else "no", int(objs[0])
            elif kind == "how many digits":
                q, a, t = "how many digits are there", _COUNTS[n_digits], -2 if n_digits else -1
            else:
                asked = animal if rng.random() < 0.5 else str(rng.choice(ANIMAL_CLASSES))
                q, a = f"is there a {asked}", "yes" if asked == animal else "no"
                t = int(objs[0]) if asked == animal else -1
            rows.append({"image": i, "type": kind, "question": q + "?", "answer": a, "target": t})
    return pd.DataFrame(rows)


def _words(question: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", question.lower())


def vocabulary(questions: Sequence[str]) -> list[str]:
    """The sorted words of the training questions."""
    return sorted({w for q in questions for w in _words(q)})


def bag_of_words(questions: Sequence[str], vocab: Sequence[str]) -> np.ndarray:
    """float32 ``(Q, V)``: 1 where a vocabulary word occurs in the question (unknown words
    are dropped)."""
    index = {w: j for j, w in enumerate(vocab)}
    out = np.zeros((len(questions), len(vocab)), dtype=np.float32)
    for i, q in enumerate(questions):
        for w in _words(q):
            if w in index:
                out[i, index[w]] = 1.0
    return out


class VQABaseline(nn.Module):
    """softmax(W [q; F] + b): bag of words ``q`` ``(V,)`` and GAP feature ``F`` ``(K,)``."""

    def __init__(self, vocab_size: int, feature_size: int, num_answers: int) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.linear = nn.Linear(vocab_size + feature_size, num_answers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, V + K)`` -> answer logits ``(N, A)``."""
        return self.linear(x)

    @property
    def image_weight(self) -> torch.Tensor:
        """The image part of the weights, ``(A, K)``: the answers' CAM weights."""
        return self.linear.weight[:, self.vocab_size :]


def answer_cams(
    model: VQABaseline, maps: torch.Tensor, answers: torch.Tensor, size: int | None = None
) -> torch.Tensor:
    """CAMs ``(N, H, W)`` of one answer per image from the last-conv maps ``(N, K, h, w)``:
    sum_k W_i[a, k] f_k(x, y); with ``size``, ReLU, upsampled and max-normalised."""
    options = {} if size is None else {"size": size, "normalize": "max", "relu": True}
    return class_activation_maps(maps, model.image_weight, answers, **options)[:, 0]


@dataclasses.dataclass
class VQAResult:
    """Fig 12 on held-out questions: the questions with the predicted answers, accuracy by
    type, and for questions about one object the answer's CAM ``(Q', S, S)`` and whether its
    maximum lies on that object."""

    test: Composite
    questions: pd.DataFrame
    accuracy: pd.DataFrame
    cams: np.ndarray
    cam_rows: np.ndarray
    hits: np.ndarray
    chance: float
    answers: list[str]

    @property
    def overall(self) -> float:
        return float(self.questions["correct"].mean())

    @property
    def peak_rate(self) -> float:
        return float(self.hits.mean()) if len(self.hits) else float("nan")


def _targets(comp: Composite, questions: pd.DataFrame) -> np.ndarray:
    """bool ``(Q, S, S)``: the pixels of the object each question is about (digits: -2)."""
    out = np.zeros((len(questions), comp.size, comp.size), dtype=bool)
    for r, (i, t) in enumerate(zip(questions["image"], questions["target"], strict=True)):
        slots = np.flatnonzero(
            comp.objects[i] >= len(ANIMAL_CLASSES) if t == -2 else comp.objects[i] == t
        )
        out[r] = np.isin(comp.slots[i], slots)
    return out


def vqa_experiment(
    model: nn.Module,
    model_name: str,
    train_images: int,
    test_images: int,
    answers: int,
    size: int,
    seed: int = 0,
    epochs: int = 60,
    cache_dir: str | Path | None = None,
) -> VQAResult:
    """Train the baseline on questions about ``train_images`` composites (the ``answers``
    most frequent answers kept) and score it on ``test_images`` held-out ones, with a
    question-only baseline (the most frequent training answer of each question) and the CAMs
    of the predicted answers."""
    train, test = (
        vqa_images(n, size, seed, s) for n, s in ((train_images, "train"), (test_images, "test"))
    )
    qa_train, qa_test = make_questions(train, seed), make_questions(test, seed + 1)
    keep = [a for a, _ in Counter(qa_train["answer"]).most_common(answers)]
    qa_train = qa_train[qa_train["answer"].isin(keep)].reset_index(drop=True)
    qa_test = qa_test[qa_test["answer"].isin(keep)].reset_index(drop=True)
    vocab = vocabulary(qa_train["question"])
    view = input_size(model_name, size)
    tr_maps = cached_maps(cache_dir, "vqa-train", model_name, model, train.images, view)
    te_maps = cached_maps(cache_dir, "vqa-test", model_name, model, test.images, view)

    def inputs(qa: pd.DataFrame, maps: torch.Tensor) -> torch.Tensor:
        gap = maps.mean(dim=(2, 3))[torch.tensor(qa["image"].to_numpy(dtype=np.int64))]
        return torch.cat([torch.from_numpy(bag_of_words(qa["question"], vocab)), gap], dim=1)

    index = {a: j for j, a in enumerate(keep)}
    y = torch.tensor(qa_train["answer"].map(index).to_numpy(dtype=np.int64))
    net = VQABaseline(len(vocab), tr_maps.shape[1], len(keep))
    config = TrainConfig(
        epochs=epochs, batch_size=64, lr=0.01, optimizer="adamw", weight_decay=1e-4, seed=seed
    )
    train_model(net, TensorDataset(inputs(qa_train, tr_maps), y), None, config)
    net.eval()
    with torch.no_grad():
        pred = net(inputs(qa_test, te_maps)).argmax(dim=1)
    qa_test["predicted"] = [keep[p] for p in pred.tolist()]
    qa_test["correct"] = qa_test["predicted"] == qa_test["answer"]
    prior = qa_train.groupby("question")["answer"].agg(lambda a: a.value_counts().index[0])
    qa_test["question_only"] = qa_test["question"].map(prior).fillna(keep[0])
    by_type = qa_test.groupby("type", sort=False).agg(
        questions=("correct", "size"),
        accuracy=("correct", "mean"),
        question_only=(
            "question_only",
            lambda s: float((s == qa_test.loc[s.index, "answer"]).mean()),
        ),
    )
    by_type.loc["overall"] = [
        len(qa_test),
        qa_test["correct"].mean(),
        float((qa_test["question_only"] == qa_test["answer"]).mean()),
    ]
    rows = np.flatnonzero(qa_test["target"].to_numpy() != -1)
    targets = _targets(test, qa_test.iloc[rows])
    image_of = torch.tensor(qa_test["image"].to_numpy(dtype=np.int64)[rows])
    cams = answer_cams(net, te_maps[image_of], pred[rows], size).double().numpy()
    return VQAResult(
        test,
        qa_test,
        by_type.reset_index(),
        cams,
        rows,
        peak_hits(cams, targets),
        float(targets.mean()) if len(rows) else float("nan"),
        keep,
    )


def vqa_figure(result: VQAResult, n: int, kinds: Sequence[str] = QUESTION_TYPES):
    """Examples as in the paper: one row per question type with ``n`` held-out questions, each
    as the image (the question under it) and the CAM of the predicted answer (the answer
    under it, with the truth when wrong)."""

    qs = result.questions.iloc[result.cam_rows].reset_index(drop=True)
    cells, caps, titles = [], [], []
    for kind in kinds:
        picks = np.flatnonzero(qs["type"].to_numpy() == kind)[:n]
        if len(picks) == 0:
            continue
        row, cap = [], []
        for r in picks:
            q = qs.iloc[r]
            img = result.test.images[q["image"]]
            row += [img, overlay(img, result.cams[r])]
            truth = "right" if q["correct"] else f"true: {q['answer']}"
            cap += [q["question"].replace(" is ", "\nis ", 1), f"{q['predicted']}\n({truth})"]
        cells.append(row)
        caps.append(cap)
        titles.append(kind)
    if not cells:
        fail("result", "held-out questions about an object", "none")
    return image_grid(cells, row_titles=titles, captions=caps, fontsize=7, cell_inches=1.5)


# --- full profile: VQA v1 on COCO 2014 ------------------------------------------------------


class _BowGap(torch.utils.data.Dataset):
    """(bag of words ``(V,)`` ++ GAP feature ``(K,)``, answer index) per question, built on
    access (a dense bag of 200k+ questions would not fit in memory)."""

    def __init__(self, tokens: list[np.ndarray], vocab_size: int, gap: torch.Tensor,
                 rows: np.ndarray, labels: np.ndarray) -> None:  # fmt: skip
        self.tokens, self.vocab_size, self.gap = tokens, vocab_size, gap
        self.rows, self.labels = rows, labels

    def __len__(self) -> int:
        return len(self.tokens)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        bow = torch.zeros(self.vocab_size)
        bow[torch.from_numpy(self.tokens[i])] = 1.0
        return torch.cat([bow, self.gap[self.rows[i]]]), int(self.labels[i])


def _tokens(questions: Sequence[str], vocab: Sequence[str]) -> list[np.ndarray]:
    index = {w: j for j, w in enumerate(vocab)}
    return [
        np.array(sorted({index[w] for w in _words(q) if w in index}), dtype=np.int64)
        for q in questions
    ]


@dataclasses.dataclass
class VQAv1Result:
    """Fig 12 on VQA v1: the scored val questions (with ``predicted``, ``accuracy`` and the
    question-type prior's ``prior_accuracy``), accuracy by answer type, the answers kept,
    the vocabulary size, the training questions used, examples (image, row of
    ``questions``, CAM of the predicted answer at the image's size) and, when the val
    object boxes were given, the scored CAMs: one row per sampled question naming a COCO
    category present in its image (question_id, category, hit: the CAM's peak in one of its
    boxes, chance: the share of the image they cover); None without boxes."""

    questions: pd.DataFrame
    accuracy: pd.DataFrame
    answers: list[str]
    vocab_size: int
    train_questions: int
    examples: list[tuple[np.ndarray, pd.Series, np.ndarray]]
    cam_scores: pd.DataFrame | None = None

    @property
    def overall(self) -> float:
        return float(self.questions["accuracy"].mean())


def _sample_images(qa: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    ids = np.unique(qa["image_id"].to_numpy())
    if n and n < len(ids):
        ids = np.sort(np.random.default_rng([seed, _STREAM]).choice(ids, n, replace=False))
        qa = qa[qa["image_id"].isin(ids)]
    return qa.reset_index(drop=True)


def _answer_cams(net: VQABaseline, model: nn.Module, files: FileImages, input_size: int,
                 image_rows: np.ndarray, answers: torch.Tensor,
                 device: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """Yield ``(image (H, W, 3), CAM (H, W) of answers[j])`` for ``files[image_rows[j]]``, in
    order of ``j``."""
    j = 0
    for idx, maps in discovery.file_maps(model, files, input_size, image_rows, device=device):
        for b, i in enumerate(idx.tolist()):
            image = files[i]
            cam = answer_cams(net, maps[b : b + 1], answers[j : j + 1], image.shape[:2])
            yield image, cam[0].double().numpy()
            j += 1


def _score_cams(net: VQABaseline, model: nn.Module, files: FileImages, input_size: int,
                val_qa: pd.DataFrame, rows: np.ndarray, pred: torch.Tensor, boxes: pd.DataFrame,
                limit: int, seed: int, device: str) -> pd.DataFrame:  # fmt: skip
    """Up to ``limit`` val questions (seeded sample) naming a COCO category whose boxes
    (``boxes``: image_id, category, x0, y0, x1, y1) are in their image: whether the CAM of
    the predicted answer peaks in one of those boxes, and the share of the image they cover."""
    by_image = {int(i): g for i, g in boxes.groupby("image_id")}
    named = []
    for q, i in zip(val_qa["question"], val_qa["image_id"], strict=True):
        group = by_image.get(int(i))
        present = sorted(set(group["category"])) if group is not None else []
        named.append(concepts_coco.named_categories(q, present) if present else [])
    picks = np.flatnonzero([bool(n) for n in named])
    if limit < len(picks):
        rng = np.random.default_rng([seed, _STREAM, 1])
        picks = np.sort(rng.choice(picks, limit, replace=False))
    out = []
    cams = _answer_cams(net, model, files, input_size, rows[picks], pred[picks], device)
    for q, (_, cam) in zip(picks.tolist(), cams, strict=True):
        group = by_image[int(val_qa["image_id"].iloc[q])]
        group = group[group["category"].isin(named[q])]
        b = group[["x0", "y0", "x1", "y1"]].to_numpy(dtype=np.float64)
        out.append(
            {
                "question_id": int(val_qa["question_id"].iloc[q]),
                "question": val_qa["question"].iloc[q],
                "category": ", ".join(named[q]),
                "predicted": val_qa["predicted"].iloc[q],
                "hit": bool(peak_in_box(cam[None], [b])[0]),
                "chance": box_cover(b, cam.shape),
            }
        )
    columns = ["question_id", "question", "category", "predicted", "hit", "chance"]
    return pd.DataFrame(out, columns=columns)


def vqa_v1_experiment(
    model: nn.Module,
    model_name: str,
    coco_root: str | Path,
    train_qa: pd.DataFrame,
    val_qa: pd.DataFrame,
    answers: int,
    train_images: int,
    test_images: int,
    input_size: int,
    num_examples: int,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    device: str = "cpu",
    epochs: int = 30,
    batch_size: int = 256,
    boxes: pd.DataFrame | None = None,
    cam_questions: int = CAM_QUESTIONS,
) -> VQAv1Result:
    """The baseline of Zhou et al. 2015 on VQA v1 (:func:`cam_core.datasets.coco.read_vqa` tables):
    trained on the train questions whose ``multiple_choice_answer`` is among the ``answers``
    most frequent, of ``train_images`` images (0: all), scored on every val question of
    ``test_images`` images (0: all) with the VQA accuracy
    (:func:`cam_core.datasets.coco.vqa_accuracy`), beside the most frequent training answer of each
    question type; CAMs of the predicted answers for ``num_examples`` val questions of each
    answer type; with the val object ``boxes`` (:func:`cam_core.datasets.coco.read_instances`),
    ``cam_questions`` CAMs scored against the boxes of the category the question names."""

    train_qa = _sample_images(train_qa, train_images, seed)
    val_qa = _sample_images(val_qa, test_images, seed + 1)
    keep = [a for a, _ in Counter(train_qa["answer"]).most_common(answers)]
    train_qa = train_qa[train_qa["answer"].isin(keep)].reset_index(drop=True)
    vocab = vocabulary(train_qa["question"])
    feats = {}
    for split, qa in (("train", train_qa), ("val", val_qa)):
        ids = np.unique(qa["image_id"].to_numpy())
        files = FileImages(coco_root, [coco.image_path(split, i) for i in ids], coco.DATASET)
        gap = discovery.file_gap_features(
            cache_dir, f"vqa-{split}", model_name, model, files, input_size, device=device
        )
        feats[split] = (files, torch.from_numpy(gap), np.searchsorted(ids, qa["image_id"]))
    index = {a: j for j, a in enumerate(keep)}
    labels = train_qa["answer"].map(index).to_numpy(dtype=np.int64)
    files, gap, rows = feats["train"]
    net = VQABaseline(len(vocab), gap.shape[1], len(keep))
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=0.01, optimizer="adamw",
                         weight_decay=1e-4, seed=seed, device=device)  # fmt: skip
    train_model(net, _BowGap(_tokens(train_qa["question"], vocab), len(vocab), gap, rows,
                             labels), None, config)  # fmt: skip
    net = net.cpu().eval()
    files, gap, rows = feats["val"]
    val = _BowGap(_tokens(val_qa["question"], vocab), len(vocab), gap, rows,
                  np.zeros(len(val_qa), np.int64))  # fmt: skip
    pred = []
    with torch.no_grad():
        for x, _ in torch.utils.data.DataLoader(val, batch_size=1024):
            pred.append(net(x).argmax(dim=1))
    pred_t = torch.cat(pred)
    val_qa = val_qa.assign(predicted=[keep[p] for p in pred_t.tolist()])
    val_qa["accuracy"] = coco.vqa_accuracy(val_qa["predicted"], val_qa["answers"], val_qa["answer"])
    prior = train_qa.groupby("question_type")["answer"].agg(lambda a: a.value_counts().index[0])
    val_qa["prior"] = val_qa["question_type"].map(prior).fillna(keep[0])
    val_qa["prior_accuracy"] = coco.vqa_accuracy(val_qa["prior"], val_qa["answers"],
                                                 val_qa["answer"])  # fmt: skip
    table = val_qa.groupby("answer_type").agg(
        questions=("accuracy", "size"),
        accuracy=("accuracy", "mean"),
        question_type_prior=("prior_accuracy", "mean"),
    )
    table.loc["overall"] = [len(val_qa), val_qa["accuracy"].mean(), val_qa["prior_accuracy"].mean()]
    picks = np.concatenate(
        [np.flatnonzero(val_qa["answer_type"].to_numpy() == t)[:num_examples]
         for t in sorted(set(val_qa["answer_type"]))]
    ).astype(np.int64)  # fmt: skip
    cams = _answer_cams(net, model, files, input_size, rows[picks], pred_t[picks], device)
    examples = [(image, val_qa.iloc[q], cam) for q, (image, cam) in zip(picks, cams, strict=True)]
    scores = None
    if boxes is not None:
        scores = _score_cams(net, model, files, input_size, val_qa, rows, pred_t, boxes,
                             cam_questions, seed, device)  # fmt: skip
    return VQAv1Result(
        val_qa, table.reset_index(), keep, len(vocab), len(train_qa), examples, scores
    )


def val_boxes(data_root: str | Path) -> pd.DataFrame | None:
    """COCO 2014 val object boxes (:func:`cam_core.datasets.coco.read_instances`) from
    ``annotations/instances_val2014.json``, or None when the file is not there."""
    path = coco.locate(data_root) / "annotations" / "instances_val2014.json"
    if not path.is_file():
        return None
    doc = coco.read_json(path)
    images = pd.DataFrame(doc.get("images", []) if isinstance(doc, dict) else [])
    if images.empty:
        fail(str(path), "an 'images' list with id, width and height", "none")
    return coco.read_instances(path, images[["id", "width", "height"]])


def figure12_full(model: nn.Module, params: dict) -> VQAv1Result:
    """Figure 12's ``full`` path for a notebook's validated ``params``: VQA v1 train and val
    under ``data_root`` (:func:`cam_core.datasets.coco.vqa_files`), COCO 2014 images, the val
    object boxes when ``instances_val2014.json`` is there (:func:`val_boxes`)."""

    tables = [coco.read_vqa(*coco.vqa_files(params["data_root"], s)) for s in ("train", "val")]
    return vqa_v1_experiment(
        model,
        params["network"],
        coco.locate(params["data_root"]),
        tables[0],
        tables[1],
        params["answers"],
        params["train_images"],
        params["test_images"],
        params["image_size"],
        params["num_examples"],
        seed=params["seed"],
        cache_dir=discovery.feature_cache(params),
        device=params["device"],
        boxes=val_boxes(params["data_root"]),
    )


def vqa_v1_figure(result: VQAv1Result):
    """One row per answer type: val images with the question under them and the CAM of the
    predicted answer (the answer under it, with the most common human answer when wrong)."""

    if not result.examples:
        fail("result", "val questions to show", "none")
    by_type: dict[str, tuple[list, list]] = {}
    for image, q, cam in result.examples:
        cells, caps = by_type.setdefault(q["answer_type"], ([], []))
        cells += [image, overlay(image, cam)]
        truth = "right" if q["accuracy"] >= 1 else f"humans: {q['answer']}"
        caps += [q["question"], f"{q['predicted']}\n({truth})"]

    rows = list(by_type)
    return image_grid(
        [by_type[t][0] for t in rows],
        row_titles=rows,
        captions=[[textwrap.fill(c, 24) for c in by_type[t][1]] for t in rows],
        fontsize=7,
        cell_inches=1.6,
    )


# --- claims and the item's result ------------------------------------------------------------


def answers_claim(model_scores: np.ndarray, prior_scores: np.ndarray, prior: str) -> Claim:
    """Does the baseline answer better than ``prior`` (the question alone)? Per-question
    scores ``(Q,)`` in 0..1 of both on the same questions; their difference in points with
    a paired bootstrap interval over the questions, judged above 0."""
    a, b = np.asarray(model_scores, np.float64), np.asarray(prior_scores, np.float64)
    diff, low, high = claims.paired_bootstrap(a, b) if len(a) else (0.0, 0.0, 0.0)
    return claims.judge(
        "answers_from_image",
        "The bag-of-words + GAP baseline answers better than the question alone",
        100 * diff, 100 * low, 100 * high,
        functools.partial(claims.compare, boundary=0.0, direction="above"),
        f"accuracy minus that of {prior} above 0 points (paired bootstrap over the "
        "questions)",
        unit="points",
        preconditions=[(claims.min_count(len(a), MIN_QUESTIONS),
                        f"{len(a)} scored questions, fewer than {MIN_QUESTIONS}")],
        data=f"{len(a)} held-out questions",
    )  # fmt: skip


def cam_claim(hits: np.ndarray, chance: float) -> Claim:
    """Does the CAM of the predicted answer peak on the object the question is about at
    least twice as often as chance? ``hits`` bool ``(Q,)``; ``chance`` the mean share of
    the image the objects cover (0..1); exact binomial interval over the questions."""
    hits = np.asarray(hits, dtype=bool)
    n, k = len(hits), int(hits.sum())
    low, high = claims.binomial_interval(k, n, percent=True) if n else (0.0, 0.0)
    boundary = 200 * float(chance) if n else 0.0
    return claims.judge(
        "cam_on_object",
        "The CAM of the predicted answer highlights the object the question is about",
        100 * k / n if n else 0.0, low, high,
        functools.partial(claims.compare, boundary=boundary, direction="above"),
        f"share of questions whose answer CAM peaks on the asked-about object above twice "
        f"chance ({boundary:.1f}%; chance: the share of the image the object covers; exact "
        "binomial interval over the questions)",
        preconditions=[(claims.min_count(n, MIN_QUESTIONS),
                        f"{n} questions about an object, fewer than {MIN_QUESTIONS}")],
        data=f"{n} questions about one object",
    )  # fmt: skip


def _composite_item(params: dict[str, Any], r: VQAResult) -> ItemResult:
    """Figure 12's ItemResult on generated questions (smoke and cpu)."""
    qa, net = r.questions, params["network"]
    prior = (qa["question_only"] == qa["answer"]).to_numpy(np.float64)
    found = [
        answers_claim(qa["correct"].to_numpy(np.float64), prior,
                      "the most frequent training answer of each question"),
        cam_claim(r.hits, r.chance),
    ]  # fmt: skip
    acc = r.accuracy.set_index("type").loc["overall"]
    note = (
        f"The bag-of-words + {net} GAP baseline answers {100 * r.overall:.1f}% of "
        f"{len(qa)} held-out generated questions, the question alone "
        f"{100 * acc['question_only']:.1f}%; the answer CAM peaks on the asked-about object "
        f"for {100 * r.peak_rate:.1f}% of {len(r.hits)} such questions (chance "
        f"{100 * r.chance:.1f}%). Generated questions, not VQA: the accuracy is not "
        "comparable with the paper's."
    )
    kinds = ", ".join(dict.fromkeys(qa["type"]))
    return ItemResult(
        "figure12", params["profile"],
        "Overall answer accuracy (%) on held-out generated questions", found,
        tables={"figure12_accuracy": r.accuracy, "figure12_questions": qa},
        figures={"figure12_answers": vqa_figure(r, params["num_examples"])},
        notes=[note], headline_value=100 * r.overall,
        captions={
            "figure12_accuracy": f"Accuracy (0-1) by question type ({kinds}) over "
            f"{len(qa)} held-out questions, beside the most frequent training answer of "
            "each question (`question_only`).",
            "figure12_answers": "One row per question type: the image with the question "
            f"under it, then the CAM of the predicted answer of {net}'s baseline (red = "
            "high), the answer under it (and the truth when wrong).",
        },
    )  # fmt: skip


def _v1_item(params: dict[str, Any], r: VQAv1Result) -> ItemResult:
    """Figure 12's ItemResult on VQA v1 (full)."""
    qa, net = r.questions, params["network"]
    found = [answers_claim(qa["accuracy"].to_numpy(np.float64),
                           qa["prior_accuracy"].to_numpy(np.float64),
                           "the most frequent training answer of each question type")]  # fmt: skip
    tables = {"figure12_accuracy": r.accuracy,
              "figure12_questions": qa.drop(columns="answers", errors="ignore")}  # fmt: skip
    coverage, scored = "complete", ""
    if r.cam_scores is None:
        coverage = "partial"
        found.append(Claim(
            "cam_on_object",
            "The CAM of the predicted answer highlights the object the question is about",
            None, None, None, "%", None, "", "not tested",
            reason="no COCO val object boxes (annotations/instances_val2014.json) under "
            "data_root",
        ))  # fmt: skip
    else:
        s = r.cam_scores
        chance = float(s["chance"].mean()) if len(s) else 0.0
        found.append(cam_claim(s["hit"].to_numpy(bool), chance))
        tables["figure12_cam_scores"] = s
        scored = (
            f" The answer CAM peaks in a box of the COCO category the question names for "
            f"{100 * s['hit'].mean() if len(s) else 0.0:.1f}% of {len(s)} sampled val "
            f"questions (chance {100 * chance:.1f}%)."
        )
    prior = r.accuracy.set_index("answer_type").loc["overall", "question_type_prior"]
    note = (
        f"The bag-of-words + {net} GAP baseline, trained on {r.train_questions:,} VQA v1 "
        f"train questions ({len(r.answers)} answers, {r.vocab_size:,} words), reaches "
        f"{100 * r.overall:.2f}% VQA accuracy on {len(qa):,} val questions, the "
        f"question-type prior {100 * prior:.2f}% (the paper: test-standard, trained on "
        "train + val; answers compared after lower-casing only)." + scored
    )
    return ItemResult(
        "figure12", params["profile"], "VQA accuracy (%) on VQA v1 val questions", found,
        tables=tables, figures={"figure12_answers": vqa_v1_figure(r)}, notes=[note],
        headline_value=100 * r.overall, coverage=coverage,
        captions={
            "figure12_accuracy": f"VQA accuracy (0-1) by answer type over {len(qa):,} val "
            "questions, beside the most frequent training answer of each question type.",
            "figure12_answers": "One row per answer type: val images with the question "
            f"under them, then the CAM of the answer {net}'s baseline predicts.",
        },
    )  # fmt: skip


def run(params: dict[str, Any], progress: Callable[[str], None] | None = None) -> ItemResult:
    """Figure 12 for validated ``params``: generated questions (smoke, cpu) or VQA v1 (full)."""
    net = discovery.load_network(params, params["network"], progress)
    if params["profile"] == "full":
        return _v1_item(params, figure12_full(net, params))
    result = vqa_experiment(
        net, params["network"], params["train_images"], params["test_images"],
        params["answers"], params["image_size"], seed=params["seed"],
        cache_dir=discovery.feature_cache(params),
    )  # fmt: skip
    return _composite_item(params, result)
