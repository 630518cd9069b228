"""COCO 2014 captions and instances, and VQA v1 (Figures 10 and 12 at ``full`` scale).

Layout (``data/manifests/coco2014.yaml``, ``data/manifests/vqa-v1.yaml``), under ``coco/``
(or ``COCO/``, ``mscoco/``, the data_root itself):

- ``{train,val}2014/COCO_{train,val}2014_<id, 12 digits>.jpg``;
- ``annotations/captions_{train,val}2014.json``: ``{"images": [{"id", "file_name", "width",
  "height"}], "annotations": [{"image_id", "caption"}]}``;
- ``annotations/instances_{train,val}2014.json`` (optional): ``"annotations": [{"image_id",
  "category_id", "bbox": [x, y, w, h]}]``, ``"categories": [{"id", "name"}]``;
- VQA v1 (under ``vqa/``, ``VQA/``, ``annotations/`` or the COCO root):
  ``OpenEnded_mscoco_{train,val}2014_questions.json`` ``{"questions": [{"image_id",
  "question", "question_id"}]}`` and ``mscoco_{train,val}2014_annotations.json``
  ``{"annotations": [{"question_id", "image_id", "question_type", "answer_type",
  "multiple_choice_answer", "answers": [{"answer", ...}]}]}``.

COCO boxes ``[x, y, w, h]`` (floats, pixels) become ``(x, y, x + w, y + h)`` pixel edges;
a box more than 1 px past its image is an error, within that it is clipped. Bad input (a
missing file, invalid JSON, a missing key, an unknown image or question id) is a one-line
:class:`~cam_core.validate.InputError` naming the file.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cam_core.validate import InputError, fail

__all__ = [
    "DATASET",
    "VQA_DATASET",
    "locate",
    "image_path",
    "read_json",
    "CocoCaptions",
    "read_captions",
    "read_instances",
    "vqa_files",
    "read_vqa",
    "normalise_answer",
    "vqa_accuracy",
]

DATASET = "coco2014"
VQA_DATASET = "vqa-v1"
_SUBDIRS = ("coco", "COCO", "mscoco", "coco2014")
BOX_TOLERANCE = 1.0  # px a box may pass its image's edge (float rounding) before it is an error


def locate(data_root: str | Path | None) -> Path:
    """The COCO root under ``data_root``: the first of ``coco/``, ``COCO/``, ``mscoco/``,
    ``coco2014/`` or ``data_root`` itself that holds ``annotations/``."""
    if data_root is None:
        fail("data_root", "the folder holding coco/ (profile full)", "None")
    root = Path(data_root)
    for candidate in (*(root / s for s in _SUBDIRS), root):
        if (candidate / "annotations").is_dir():
            return candidate
    fail(
        "data_root",
        f"a folder with coco/annotations/ ({DATASET}; see data/manifests/coco2014.yaml)",
        str(root),
    )
    raise AssertionError


def image_path(split: str, image_id: int) -> str:
    """A COCO 2014 image's path under the COCO root: ``train2014/COCO_train2014_<id>.jpg``."""
    if split not in ("train", "val"):
        fail("split", "'train' or 'val'", repr(split))
    return f"{split}2014/COCO_{split}2014_{int(image_id):012d}.jpg"


def read_json(path: str | Path, dataset: str = DATASET) -> object:
    """The parsed JSON file; a missing file or invalid JSON is a one-line InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{dataset}: {path}: missing file")
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{dataset}: {path}: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


def _records(doc: object, key: str, fields: Sequence[str], path: Path, dataset: str) -> list:
    """``doc[key]``, a list of objects each holding ``fields``."""
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        raise InputError(f'{dataset}: {path}: expected a JSON object with a "{key}" list')
    items = doc[key]
    for k, item in enumerate(items):
        if not isinstance(item, dict) or any(f not in item for f in fields):
            missing = [f for f in fields if not isinstance(item, dict) or f not in item]
            raise InputError(f'{dataset}: {path}: {key}[{k}]: expected key "{missing[0]}"')
    return items


@dataclasses.dataclass(frozen=True)
class CocoCaptions:
    """One captions file: ``images`` (id, file_name, width, height; by id) and ``captions``
    (image_id, caption), in file order."""

    images: pd.DataFrame
    captions: pd.DataFrame

    def by_image(self) -> pd.Series:
        """Each image's captions joined by newlines, lower-case, indexed by image id."""
        text = self.captions.assign(caption=self.captions["caption"].str.lower())
        return text.groupby("image_id")["caption"].agg("\n".join)


def read_captions(path: str | Path) -> CocoCaptions:
    """Read ``captions_<split>2014.json`` (see the module docstring); captions of an image id
    the file does not list are an error."""
    path = Path(path)
    doc = read_json(path)
    imgs = _records(doc, "images", ("id", "file_name", "width", "height"), path, DATASET)
    caps = _records(doc, "annotations", ("image_id", "caption"), path, DATASET)
    images = pd.DataFrame(
        {
            "id": [int(i["id"]) for i in imgs],
            "file_name": [str(i["file_name"]) for i in imgs],
            "width": [int(i["width"]) for i in imgs],
            "height": [int(i["height"]) for i in imgs],
        }
    )
    if images["id"].duplicated().any():
        dup = int(images.loc[images["id"].duplicated(), "id"].iloc[0])
        raise InputError(f"{DATASET}: {path}: image id {dup} listed twice")
    captions = pd.DataFrame(
        {
            "image_id": [int(c["image_id"]) for c in caps],
            "caption": [str(c["caption"]).strip() for c in caps],
        }
    )
    unknown = ~captions["image_id"].isin(images["id"])
    if unknown.any():
        raise InputError(
            f"{DATASET}: {path}: caption {int(np.flatnonzero(unknown)[0])}: unknown image id "
            f"{int(captions.loc[unknown, 'image_id'].iloc[0])}"
        )
    return CocoCaptions(images.sort_values("id", ignore_index=True), captions)


def read_instances(path: str | Path, images: pd.DataFrame) -> pd.DataFrame:
    """Object boxes of ``instances_<split>2014.json``: one row per instance (image_id,
    category, x0, y0, x1, y1; pixel edges) for the ``images`` (id, width, height) given."""
    path = Path(path)
    doc = read_json(path)
    cats = _records(doc, "categories", ("id", "name"), path, DATASET)
    anns = _records(doc, "annotations", ("image_id", "category_id", "bbox"), path, DATASET)
    names = {int(c["id"]): str(c["name"]) for c in cats}
    size = {int(i): (w, h) for i, w, h in images[["id", "width", "height"]].itertuples(False)}
    rows = []
    for k, a in enumerate(anns):
        image_id, cat = int(a["image_id"]), int(a["category_id"])
        where = f"{DATASET}: {path}: annotations[{k}]"
        if image_id not in size:
            raise InputError(f"{where}: unknown image id {image_id}")
        if cat not in names:
            raise InputError(f"{where}: unknown category id {cat}")
        box = a["bbox"]
        if not isinstance(box, list) or len(box) != 4:
            raise InputError(f"{where}: expected bbox [x, y, w, h], got {box!r}")
        x, y, w, h = (float(v) for v in box)
        width, height = size[image_id]
        if w <= 0 or h <= 0 or x < -BOX_TOLERANCE or y < -BOX_TOLERANCE or (
            x + w > width + BOX_TOLERANCE or y + h > height + BOX_TOLERANCE
        ):  # fmt: skip
            raise InputError(
                f"{where}: expected a box of positive size inside the {width} x {height} image "
                f"{image_id}, got [x, y, w, h] = {box}"
            )
        rows.append(
            (image_id, names[cat], max(x, 0.0), max(y, 0.0), min(x + w, width), min(y + h, height))
        )
    return pd.DataFrame(rows, columns=["image_id", "category", "x0", "y0", "x1", "y1"])


def vqa_files(data_root: str | Path, split: str) -> tuple[Path, Path]:
    """Paths of VQA v1's ``split`` questions and annotations files under ``data_root``
    (looked for in ``vqa/``, ``VQA/``, the COCO root, its ``annotations/``, ``data_root``)."""
    if split not in ("train", "val"):
        fail("split", "'train' or 'val'", repr(split))
    root = Path(data_root)
    dirs = [root / "vqa", root / "VQA"]
    try:
        coco = locate(root)
        dirs += [coco, coco / "annotations", coco / "vqa"]
    except InputError:
        pass
    dirs.append(root)
    names = (f"OpenEnded_mscoco_{split}2014_questions.json", f"mscoco_{split}2014_annotations.json")
    found = []
    for name in names:
        path = next((d / name for d in dirs if (d / name).is_file()), None)
        if path is None:
            raise InputError(
                f"{VQA_DATASET}: {root}: expected {name} in vqa/, the COCO root or its "
                "annotations/ (see data/manifests/vqa-v1.yaml), not found"
            )
        found.append(path)
    return found[0], found[1]


def read_vqa(questions_path: str | Path, annotations_path: str | Path) -> pd.DataFrame:
    """One row per question: question_id, image_id, question, question_type, answer_type,
    answer (``multiple_choice_answer``), answers (tuple of the annotators' answers), joined
    by question id; a question without annotation (or with another image) is an error."""
    qpath, apath = Path(questions_path), Path(annotations_path)
    qs = _records(
        read_json(qpath, VQA_DATASET), "questions", ("image_id", "question", "question_id"),
        qpath, VQA_DATASET,
    )  # fmt: skip
    fields = ("question_id", "image_id", "question_type", "answer_type")
    fields += ("multiple_choice_answer", "answers")
    anns = _records(read_json(apath, VQA_DATASET), "annotations", fields, apath, VQA_DATASET)
    by_id = {}
    for k, a in enumerate(anns):
        if not isinstance(a["answers"], list) or not all(
            isinstance(x, dict) and "answer" in x for x in a["answers"]
        ):
            raise InputError(
                f'{VQA_DATASET}: {apath}: annotations[{k}]: expected "answers" as a list of '
                '{"answer": ...} objects'
            )
        by_id[int(a["question_id"])] = a
    rows = []
    for k, q in enumerate(qs):
        qid = int(q["question_id"])
        a = by_id.get(qid)
        if a is None:
            raise InputError(
                f"{VQA_DATASET}: {apath}: no annotation for question id {qid} "
                f"(questions[{k}] of {qpath.name})"
            )
        if int(a["image_id"]) != int(q["image_id"]):
            raise InputError(
                f"{VQA_DATASET}: {apath}: question id {qid}: image id {a['image_id']}, but "
                f"{q['image_id']} in {qpath.name}"
            )
        rows.append(
            {
                "question_id": qid,
                "image_id": int(q["image_id"]),
                "question": str(q["question"]),
                "question_type": str(a["question_type"]),
                "answer_type": str(a["answer_type"]),
                "answer": normalise_answer(str(a["multiple_choice_answer"])),
                "answers": tuple(normalise_answer(str(x["answer"])) for x in a["answers"]),
            }
        )
    return pd.DataFrame(rows)


def normalise_answer(answer: str) -> str:
    """An answer as compared: stripped, lower-case, inner white space one space (the official
    evaluation's punctuation, article and number-word rules are not applied)."""
    return " ".join(answer.split()).lower()


def vqa_accuracy(
    predicted: Sequence[str], answers: Sequence[Sequence[str]], reference: Sequence[str]
) -> np.ndarray:
    """float ``(Q,)``: VQA accuracy of each predicted answer, ``min(#annotators who gave it /
    3, 1)`` where the question has 10 annotator answers, else 1.0 for the ``reference``
    (multiple_choice_answer) and 0.0 otherwise."""
    if not len(predicted) == len(answers) == len(reference):
        fail("answers", f"{len(predicted)} answer lists and references", len(answers))
    out = np.zeros(len(predicted))
    for i, (p, given, ref) in enumerate(zip(predicted, answers, reference, strict=True)):
        p = normalise_answer(p)
        if len(given) == 10:
            out[i] = min(sum(normalise_answer(a) == p for a in given) / 3.0, 1.0)
        else:
            out[i] = float(p == normalise_answer(ref))
    return out
