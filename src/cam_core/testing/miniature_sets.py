"""Miniature trees in the real on-disk layouts of CUB-200-2011 and the Table 5 datasets, for
tests: a handful of real JPEGs per class and the real annotation/split files.

Each image is seeded noise with its class drawn as a flat colour (class ``c`` gets colour
``_colour(c)``) over the object box (CUB) or the whole image's centre (scene sets), so a
tiny network tells the classes apart and boxes can be checked pixel by pixel. Every builder
returns what it wrote, so tests know the answers.
"""

from __future__ import annotations

import colorsys
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.io import savemat

from cam_core.validate import fail

__all__ = [
    "MiniatureCub",
    "make_miniature_cub",
    "colour_of",
    "MiniatureScene",
    "make_miniature_scene",
    "MiniatureSun2012",
    "make_miniature_sun2012",
    "MiniatureCoco",
    "make_miniature_coco",
    "MiniatureSvt",
    "svt_word_patch",
    "make_miniature_svt",
]


def colour_of(c: int) -> np.ndarray:
    """The flat RGB colour of class ``c``: hues a golden-ratio step apart, so the first
    dozens of classes differ clearly."""

    rgb = colorsys.hsv_to_rgb((c * 0.618034) % 1.0, 0.9, 0.9)
    return np.array([round(255 * v) for v in rgb], dtype=np.uint8)


def _jpeg(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, quality=98, subsampling=0)


@dataclass(frozen=True)
class MiniatureCub:
    """What :func:`make_miniature_cub` wrote: per image (in image-id order) its relative path,
    0-based label, train flag, box ``(x0, y0, x1, y1)`` pixel edges and size (H, W)."""

    root: Path
    files: tuple[str, ...]
    labels: np.ndarray
    is_train: np.ndarray
    boxes: np.ndarray
    sizes: np.ndarray
    class_names: tuple[str, ...]


def make_miniature_cub(
    root: str | Path, classes: int = 3, per_class: int = 4, seed: int = 0
) -> MiniatureCub:
    """A CUB_200_2011 tree under ``root`` with ``classes`` x ``per_class`` images (half of
    each class train, image ids 1..N listed in shuffled line order), boxes written as
    ``x y width height`` floats, images of varying sizes around 40-64 px."""
    if not 1 <= classes <= 200 or per_class < 2:
        fail("classes", "1..200 classes and per_class >= 2", (classes, per_class))
    root = Path(root)
    rng = np.random.default_rng(seed)
    names = tuple(f"{c + 1:03d}.Bird_{chr(65 + c % 26)}{c}" for c in range(classes))
    files, labels, train, boxes, sizes = [], [], [], [], []
    for c in range(classes):
        for k in range(per_class):
            h, w = (int(v) for v in rng.integers(40, 65, 2))
            bw, bh = (int(v) for v in rng.integers(8, min(h, w) // 2, 2))
            x, y = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
            image = rng.integers(0, 256, (h, w, 3)).astype(np.uint8) // 4
            image[y : y + bh, x : x + bw] = colour_of(c)
            rel = f"{names[c]}/{names[c].split('.')[1]}_{k:04d}_{c}.jpg"
            _jpeg(root / "images" / rel, image)
            files.append(rel)
            labels.append(c)
            train.append(k % 2 == 0)
            boxes.append((x, y, x + bw, y + bh))
            sizes.append((h, w))
    n = len(files)
    order = rng.permutation(n)  # line order of the files; ids stay 1..n

    def write(name: str, lines: list[str]) -> None:
        (root / name).write_text("".join(lines[i] for i in order))

    write("images.txt", [f"{i + 1} {files[i]}\n" for i in range(n)])
    write("image_class_labels.txt", [f"{i + 1} {labels[i] + 1}\n" for i in range(n)])
    write("train_test_split.txt", [f"{i + 1} {int(train[i])}\n" for i in range(n)])
    write(
        "bounding_boxes.txt",
        [
            f"{i + 1} {b[0]:.1f} {b[1]:.1f} {b[2] - b[0]:.1f} {b[3] - b[1]:.1f}\n"
            for i, b in enumerate(boxes)
        ],
    )
    (root / "classes.txt").write_text("".join(f"{c + 1} {names[c]}\n" for c in range(classes)))
    return MiniatureCub(
        root,
        tuple(files),
        np.array(labels, dtype=np.int64),
        np.array(train),
        np.array(boxes, dtype=np.float64),
        np.array(sizes, dtype=np.int64),
        names,
    )


# --------------------------------------------------------------------------- Table 5 sets


@dataclass(frozen=True)
class MiniatureScene:
    """What :func:`make_miniature_scene` wrote: ``data_root`` to pass to the reader, the
    class names in the reader's order, and per image (relative to the reader's image folder)
    its label; ``train``/``test``: the published lists where the dataset has them (first
    partition for SUN397), else None; ``attributes`` (SUN Attribute only) ``(N, A)`` bool in
    ``files`` order."""

    data_root: Path
    class_names: tuple[str, ...]
    files: tuple[str, ...]
    labels: np.ndarray
    train: tuple[str, ...] | None = None
    test: tuple[str, ...] | None = None
    attributes: np.ndarray | None = None


def _scene_image(rng: np.random.Generator, c: int) -> np.ndarray:
    h, w = (int(v) for v in rng.integers(24, 40, 2))
    image = (rng.integers(0, 256, (h, w, 3)) // 4).astype(np.uint8)
    image[h // 4 : h - h // 4, w // 4 : w - w // 4] = colour_of(c)
    return image


def _write_class_images(
    rng: np.random.Generator, folder: Path, names: Sequence[str], per_class: int, pattern: str
) -> tuple[list[str], list[int]]:
    files, labels = [], []
    for c, name in enumerate(names):
        for k in range(per_class):
            rel = pattern.format(cls=name, k=k + 1, c=c)
            _jpeg(folder / rel, _scene_image(rng, c))
            files.append(rel)
            labels.append(c)
    return files, labels


def make_miniature_scene(
    name: str, root: str | Path, per_class: int = 4, seed: int = 0, partitions: int = 2
) -> MiniatureScene:
    """A miniature tree of Table 5 dataset ``name`` (see :mod:`cam_core.datasets.scenes`)
    under ``root`` (the ``data_root``): 3 classes (15 for scene15, 8 for event8) of
    ``per_class`` images, in the dataset's own layout and list files; SUN397 with
    ``partitions`` published partitions (``Training_NN`` / ``Testing_NN``, half each)."""
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        fail("partitions", "an int >= 1 (SUN397 partitions)", repr(partitions))
    root = Path(root)
    rng = np.random.default_rng(seed)
    if name == "sun397":
        classes = ("/a/abbey", "/b/bakery/shop", "/c/cabin/outdoor")
        base = root / "SUN397"
        files, labels = _write_class_images(
            rng, base, [c.lstrip("/") for c in classes], per_class, "{cls}/sun_{c}aa{k:03d}.jpg"
        )
        (base / "ClassName.txt").write_text("".join(c + "\n" for c in classes))
        parts = root / "Partitions"
        parts.mkdir(parents=True, exist_ok=True)
        half = per_class // 2
        first = None
        for p in range(1, partitions + 1):
            order = rng.permutation(per_class)
            train = [files[c * per_class + i] for c in range(3) for i in order[:half]]
            test = [files[c * per_class + i] for c in range(3) for i in order[half:]]
            (parts / f"Training_{p:02d}.txt").write_text("".join(f"/{f}\n" for f in train))
            (parts / f"Testing_{p:02d}.txt").write_text("".join(f"/{f}\n" for f in test))
            first = first or (tuple(train), tuple(test))
        return MiniatureScene(
            root, tuple(c.lstrip("/") for c in classes), tuple(files), np.array(labels),
            first[0], first[1],
        )  # fmt: skip
    if name == "mit-indoor67":
        classes = ("airport_inside", "bakery", "bar")
        base = root / "indoor67"
        files, labels = _write_class_images(
            rng, base / "Images", classes, per_class, "{cls}/{cls}_{k:04d}.jpg"
        )
        train = [f for i, f in enumerate(files) if i % per_class != per_class - 1]
        test = [f for i, f in enumerate(files) if i % per_class == per_class - 1]
        (base / "TrainImages.txt").write_text("".join(f + "\n" for f in train))
        (base / "TestImages.txt").write_text("".join(f + "\n" for f in test))
        return MiniatureScene(
            root, classes, tuple(files), np.array(labels), tuple(train), tuple(test)
        )
    if name in ("scene15", "event8"):
        classes = (
            tuple(f"class{c:02d}" for c in range(15))
            if name == "scene15"
            else ("RockClimbing", "Rowing", "badminton", "bocce", "croquet", "polo",
                  "sailing", "snowboarding")
        )  # fmt: skip
        folder = root / "scene15" if name == "scene15" else root / "event8" / "event_img"
        files, labels = _write_class_images(rng, folder, classes, per_class, "{cls}/img{k}.jpg")
        return MiniatureScene(root, tuple(sorted(classes)), tuple(files), np.array(labels))
    if name == "caltech101":
        classes = ("accordion", "airplanes", "anchor")
        folder = root / "caltech101" / "101_ObjectCategories"
        files, labels = _write_class_images(
            rng, folder, classes, per_class, "{cls}/image_{k:04d}.jpg"
        )
        _write_class_images(rng, folder, ["BACKGROUND_Google"], 2, "{cls}/image_{k:04d}.jpg")
        return MiniatureScene(root, classes, tuple(files), np.array(labels))
    if name == "caltech256":
        classes = ("001.ak47", "002.american-flag", "003.backpack")
        folder = root / "caltech256" / "256_ObjectCategories"
        pattern = "{cls}/" + "{c:03d}_{k:04d}.jpg"
        files, labels = _write_class_images(rng, folder, classes, per_class, pattern)
        _write_class_images(rng, folder, ["257.clutter"], 2, "{cls}/257_{k:04d}.jpg")
        return MiniatureScene(root, classes, tuple(files), np.array(labels))
    if name == "action40":
        classes = ("applauding", "blowing_bubbles", "brushing_teeth")
        base = root / "Stanford40"
        files, labels = _write_class_images(
            rng, base / "JPEGImages", classes, per_class, "{cls}_{k:03d}.jpg"
        )
        splits = base / "ImageSplits"
        splits.mkdir(parents=True, exist_ok=True)
        lines = ["action_name\tnumber_of_images\n"] + [f"{c}\t{per_class}\n" for c in classes]
        (splits / "actions.txt").write_text("".join(lines))
        train, test = [], []
        for c, action in enumerate(classes):
            mine = files[c * per_class : (c + 1) * per_class]
            half = per_class // 2
            (splits / f"{action}_train.txt").write_text("".join(f + "\n" for f in mine[:half]))
            (splits / f"{action}_test.txt").write_text("".join(f + "\n" for f in mine[half:]))
            train += mine[:half]
            test += mine[half:]
        return MiniatureScene(
            root, classes, tuple(files), np.array(labels), tuple(train), tuple(test)
        )
    if name == "sun-attribute":
        classes = ("a/abbey", "b/bar", "c/canyon")
        base = root / "SUNAttributeDB"
        files, labels = _write_class_images(
            rng, base / "images", classes, per_class, "{cls}/sun_{c}x{k:03d}.jpg"
        )
        names = ("vegetation", "man-made", "open area", "natural light")
        lab = np.array(labels)
        # attribute a is present in class a (and "natural light" in every other image)
        votes = np.zeros((len(files), len(names)))
        for a in range(3):
            votes[lab == a, a] = 1.0 if a != 1 else 2.0 / 3.0
            votes[lab != a, a] = 1.0 / 3.0 if a == 0 else 0.0
        votes[::2, 3] = 1.0
        db = base / "SUNAttributeDB"
        db.mkdir(parents=True, exist_ok=True)
        savemat(db / "images.mat", {"images": np.array(files, dtype=object)})
        savemat(db / "attributes.mat", {"attributes": np.array(names, dtype=object)})
        savemat(db / "attributeLabels_continuous.mat", {"labels_cv": votes})
        return MiniatureScene(root, names, tuple(files), lab, attributes=votes > 0.5)
    fail("name", "one of the Table 5 datasets of cam_core.datasets.scenes", repr(name))
    raise AssertionError


# --------------------------------------------------------------------------- SUN2012 objects

# (folder under Images/ and Annotations/, scene, its own object in class colour c)
SUN2012_SCENES = (
    ("d/dining_room", "dining room", "table"),
    ("b/bathroom", "bathroom", "toilet"),
    ("k/kitchen", "kitchen", "stove"),
)


@dataclass(frozen=True)
class MiniatureSun2012:
    """What :func:`make_miniature_sun2012` wrote: the SUN2012 folder; per image (sorted by
    path) its path under ``Images/``, scene, size (H, W) and objects as (normalised name,
    polygon ``(P, 2)`` x, y) without the deleted ones."""

    root: Path
    files: tuple[str, ...]
    scenes: tuple[str, ...]
    sizes: np.ndarray
    objects: tuple[tuple[tuple[str, np.ndarray], ...], ...]


def _labelme_xml(filename: str, folder: str, size: tuple[int, int], objects) -> str:
    """A LabelMe annotation; ``objects``: (name as written, polygon, deleted flag)."""
    parts = [
        f"<annotation><filename>{filename}</filename><folder>{folder}</folder>",
        "<source><sourceImage>The MIT-CSAIL database of objects and scenes</sourceImage>",
        "<sourceAnnotation>LabelMe Webtool</sourceAnnotation></source>",
    ]
    for k, (name, poly, deleted) in enumerate(objects):
        pts = "".join(f"<pt><x>{x:g}</x><y>{y:g}</y></pt>" for x, y in poly)
        parts.append(
            f"<object><name>{name}</name><deleted>{int(deleted)}</deleted><verified>0"
            f"</verified><id>{k}</id><polygon><username>anonymous</username>{pts}</polygon>"
            "</object>"
        )
    parts.append(f"<imagesize><nrows>{size[0]}</nrows><ncols>{size[1]}</ncols></imagesize>")
    return "\n".join(parts) + "</annotation>\n"


def make_miniature_sun2012(root: str | Path, per_scene: int = 6, seed: int = 0) -> MiniatureSun2012:
    """A ``SUN2012/`` tree under ``root`` (the data_root): the three SUN2012_SCENES, each
    ``per_scene`` images (dark noise, 40-56 x 48-64 px) with a grey ``wall`` band along the
    top (every image; its first vertex 2 px left of the image), the scene's own object as a
    rectangle in class colour (two images in three), a ``chair`` in every second image and a deleted
    ``ghost``. Names are written untidily (`` Wall ``, upper case) as real files have them."""
    root = Path(root) / "SUN2012"
    rng = np.random.default_rng(seed)
    files, scenes, sizes, objects = [], [], [], []
    for c, (folder, scene, own) in enumerate(SUN2012_SCENES):
        for k in range(per_scene):
            h, w = int(rng.integers(40, 57)), int(rng.integers(48, 65))
            image = (rng.integers(0, 256, (h, w, 3)) // 4).astype(np.uint8)
            wall = np.array([[-2, 0], [w - 1, 0], [w - 1, 7], [0, 7]], dtype=np.float64)
            image[0:8, :] = 128
            x0, y0 = int(rng.integers(4, w - 24)), int(rng.integers(12, h - 20))
            box = np.array([[x0, y0], [x0 + 15, y0], [x0 + 15, y0 + 11], [x0, y0 + 11]], float)
            written, kept = [(" Wall ", wall, False)], [("wall", wall)]
            if k % 3 != 2:
                image[y0 : y0 + 12, x0 : x0 + 16] = colour_of(c)
                written.append((own.upper(), box, False))
                kept.append((own, box))
            if k % 2 == 0:
                chair = np.array([[2, h - 9], [9, h - 9], [9, h - 2], [2, h - 2]], float)
                image[h - 9 : h - 1, 2:10] = 200
                written.append(("chair", chair, False))
                kept.append(("chair", chair))
            written.append(("ghost", np.array([[0, 0], [5, 0], [5, 5]], float), True))
            name = f"sun_{chr(97 + c)}{k:03d}"
            _jpeg(root / "Images" / folder / f"{name}.jpg", image)
            xml = root / "Annotations" / folder / f"{name}.xml"
            xml.parent.mkdir(parents=True, exist_ok=True)
            xml.write_text(_labelme_xml(f"{name}.jpg", folder, (h, w), written))
            files.append(f"{folder}/{name}.jpg")
            scenes.append(scene)
            sizes.append((h, w))
            objects.append(tuple(kept))
    order = np.argsort(files)
    return MiniatureSun2012(
        root,
        tuple(files[i] for i in order),
        tuple(scenes[i] for i in order),
        np.array(sizes, dtype=np.int64)[order],
        tuple(objects[i] for i in order),
    )


# --------------------------------------------------------------------------- Street View Text


@dataclass(frozen=True)
class MiniatureSvt:
    """What :func:`make_miniature_svt` wrote: the SVT root and, per split, per image (in XML
    order) its relative path, (H, W) and word boxes ``(M, 4)`` pixel edges and words."""

    root: Path
    files: dict[str, tuple[str, ...]]
    sizes: dict[str, np.ndarray]
    boxes: dict[str, tuple[np.ndarray, ...]]
    words: dict[str, tuple[tuple[str, ...], ...]]


def svt_word_patch(h: int, w: int) -> np.ndarray:
    """A white ``(h, w, 3)`` sign with 1 px black strokes every 4 px (the 'letters'), its
    outer 2 px white."""
    patch = np.full((h, w, 3), 255, dtype=np.uint8)
    patch[2:-2, 2:-2:4] = 0
    return patch


def make_miniature_svt(
    root: str | Path, train: int = 4, test: int = 3, seed: int = 0
) -> MiniatureSvt:
    """An SVT tree (``img/*.jpg``, ``train.xml``, ``test.xml``) under ``root`` (the svt1
    folder): dark noise images of 60-90 x 80-120 px, each with one or two white word signs
    (:func:`svt_word_patch`) on one line, tagged as ``<taggedRectangle x y width height>``."""
    if train < 1 or test < 1:
        fail("train", "at least one train and one test image", (train, test))
    root = Path(root)
    rng = np.random.default_rng(seed)
    files, sizes, boxes, words = {}, {}, {}, {}
    for split, n in (("train", train), ("test", test)):
        entries, f_, s_, b_, w_ = [], [], [], [], []
        for i in range(n):
            h, w = int(rng.integers(60, 91)), int(rng.integers(80, 121))
            image = (rng.integers(0, 256, (h, w, 3)) // 4).astype(np.uint8)
            count = 1 + i % 2
            bh = int(rng.integers(12, 20))
            y = int(rng.integers(2, h - bh - 2))
            x = int(rng.integers(2, w // 3))
            bxs, wds = [], []
            for k in range(count):
                bw = int(rng.integers(16, 26))
                image[y : y + bh, x : x + bw] = svt_word_patch(bh, bw)
                bxs.append((x, y, x + bw, y + bh))
                wds.append(f"WORD{k}")
                x += bw + 4
            rel = f"img/{split[:2]}_{i:02d}.jpg"
            _jpeg(root / rel, image)
            rects = "".join(
                f'<taggedRectangle height="{b[3] - b[1]}" width="{b[2] - b[0]}" x="{b[0]}" '
                f'y="{b[1]}"><tag>{t}</tag></taggedRectangle>'
                for b, t in zip(bxs, wds, strict=True)
            )
            entries.append(
                f"<image><imageName>{rel}</imageName><address>{i} Main St</address>"
                f'<lex>{",".join(wds)},OTHER</lex><Resolution x="{w}" y="{h}"/>'
                f"<taggedRectangles>{rects}</taggedRectangles></image>"
            )
            f_.append(rel)
            s_.append((h, w))
            b_.append(np.array(bxs, dtype=np.float64))
            w_.append(tuple(wds))
        xml = (
            '<?xml version="1.0" encoding="utf-8"?>\n<tagset>' + "\n".join(entries) + "</tagset>\n"
        )
        (root / f"{split}.xml").write_text(xml, encoding="utf-8")
        files[split], sizes[split] = tuple(f_), np.array(s_, dtype=np.int64)
        boxes[split], words[split] = tuple(b_), tuple(w_)
    return MiniatureSvt(root, files, sizes, boxes, words)


# --------------------------------------------------------------------------- COCO and VQA v1

# (kind, square colour class, answer to "what color is the square?", caption, category)
_COCO_KINDS = (
    ("kite", 0, "red", "A red kite in the sky.", "kite"),
    ("window", 4, "blue", "a view out of the window at night", None),
    ("dog", 1, "yellow", "A dog on a green field", "dog"),
)


@dataclass(frozen=True)
class MiniatureCoco:
    """What :func:`make_miniature_coco` wrote: ``data_root``, the COCO folder, per split the
    image ids, kinds (index into _COCO_KINDS), sizes (H, W) and object boxes (x0, y0, x1,
    y1; pixel edges) in id order, and the VQA questions (question_id, image_id, question,
    question_type, answer_type, answer, answers) per split."""

    data_root: Path
    root: Path
    ids: dict[str, np.ndarray]
    kinds: dict[str, np.ndarray]
    sizes: dict[str, np.ndarray]
    boxes: dict[str, np.ndarray]
    questions: dict[str, list[dict]]


def make_miniature_coco(root: str | Path, seed: int = 0) -> MiniatureCoco:
    """A COCO 2014 tree with VQA v1 under ``root`` (the data_root): ``coco/train2014`` (6
    kite, 3 window and 7 dog images), ``coco/val2014`` (3 of each), each a dark-noise image
    with one flat square of its kind's colour; ``coco/annotations/captions_train2014.json``
    (two captions per image, the kind's and "a photo"), ``instances_train2014.json`` (kite
    and dog squares as boxes, with a category no box uses), and ``vqa/`` with three
    questions per image ("what color is the square?", "is there a kite?", "how many squares
    are there?"), 10 answers each: 8 the true one, 2 another."""
    data_root = Path(root)
    base = data_root / "coco"
    rng = np.random.default_rng(seed)
    counts = {"train": (6, 3, 7), "val": (3, 3, 3)}
    ids, kinds, sizes, boxes, questions = {}, {}, {}, {}, {}
    qid = 1000
    for split, per_kind in counts.items():
        kind = np.repeat(np.arange(3), per_kind)
        kind = kind[rng.permutation(len(kind))]
        image_ids = np.sort(rng.choice(np.arange(1, 600000), len(kind), replace=False))
        split_sizes, split_boxes, qs = [], [], []
        for image_id, k in zip(image_ids, kind, strict=True):
            h, w = int(rng.integers(40, 57)), int(rng.integers(48, 65))
            image = (rng.integers(0, 256, (h, w, 3)) // 4).astype(np.uint8)
            x0, y0 = int(rng.integers(0, w - 16)), int(rng.integers(0, h - 16))
            image[y0 : y0 + 14, x0 : x0 + 14] = colour_of(_COCO_KINDS[k][1])
            _jpeg(base / f"{split}2014" / f"COCO_{split}2014_{image_id:012d}.jpg", image)
            split_sizes.append((h, w))
            split_boxes.append((x0, y0, x0 + 14, y0 + 14))
            truth = {
                "what color is the square?": ("what color is the", "other", _COCO_KINDS[k][2]),
                "is there a kite?": ("is there a", "yes/no", "yes" if k == 0 else "no"),
                "how many squares are there?": ("how many", "number", "1"),
            }
            others = {"red": "orange", "blue": "black", "yellow": "white", "yes": "no",
                      "no": "yes", "1": "2"}  # fmt: skip
            for question, (qtype, atype, answer) in truth.items():
                qs.append(
                    {
                        "question_id": qid, "image_id": int(image_id), "question": question,
                        "question_type": qtype, "answer_type": atype, "answer": answer,
                        "answers": [answer] * 8 + [others[answer]] * 2,
                    }
                )  # fmt: skip
                qid += 1
        ids[split], kinds[split] = image_ids, kind
        sizes[split] = np.array(split_sizes, dtype=np.int64)
        boxes[split] = np.array(split_boxes, dtype=np.float64)
        questions[split] = qs
        vqa = data_root / "vqa"
        vqa.mkdir(parents=True, exist_ok=True)
        (vqa / f"OpenEnded_mscoco_{split}2014_questions.json").write_text(
            json.dumps(
                {
                    "info": {}, "task_type": "Open-Ended", "data_type": "mscoco",
                    "data_subtype": f"{split}2014",
                    "questions": [
                        {"image_id": q["image_id"], "question": q["question"],
                         "question_id": q["question_id"]}
                        for q in qs
                    ],
                }
            )
        )  # fmt: skip
        (vqa / f"mscoco_{split}2014_annotations.json").write_text(
            json.dumps(
                {
                    "info": {}, "data_subtype": f"{split}2014",
                    "annotations": [
                        {
                            "question_id": q["question_id"], "image_id": q["image_id"],
                            "question_type": q["question_type"],
                            "answer_type": q["answer_type"],
                            "multiple_choice_answer": q["answer"],
                            "answers": [
                                {"answer": a, "answer_confidence": "yes", "answer_id": j + 1}
                                for j, a in enumerate(q["answers"])
                            ],
                        }
                        for q in qs
                    ],
                }
            )
        )  # fmt: skip
    ann = base / "annotations"
    ann.mkdir(parents=True, exist_ok=True)
    images = [
        {"id": int(i), "file_name": f"COCO_train2014_{i:012d}.jpg", "width": int(w),
         "height": int(h), "license": 1}
        for i, (h, w) in zip(ids["train"], sizes["train"], strict=True)
    ]  # fmt: skip
    captions, instances = [], []
    for n, (i, k) in enumerate(zip(ids["train"], kinds["train"], strict=True)):
        captions += [
            {"id": 2 * n + 1, "image_id": int(i), "caption": _COCO_KINDS[k][3]},
            {"id": 2 * n + 2, "image_id": int(i), "caption": "a photo"},
        ]
        if _COCO_KINDS[k][4] is not None:
            x0, y0, x1, y1 = boxes["train"][n]
            instances.append(
                {"id": n + 1, "image_id": int(i), "category_id": 38 if k == 0 else 18,
                 "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0),
                 "iscrowd": 0}
            )  # fmt: skip
    (ann / "captions_train2014.json").write_text(
        json.dumps({"info": {}, "images": images, "annotations": captions})
    )
    categories = [{"id": 18, "name": "dog", "supercategory": "animal"},
                  {"id": 38, "name": "kite", "supercategory": "sports"},
                  {"id": 61, "name": "cake", "supercategory": "food"}]  # fmt: skip
    (ann / "instances_train2014.json").write_text(
        json.dumps({"images": images, "annotations": instances, "categories": categories})
    )
    return MiniatureCoco(data_root, base, ids, kinds, sizes, boxes, questions)
