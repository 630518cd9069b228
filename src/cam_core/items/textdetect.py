"""A weakly supervised text detector (Fig 11): a linear SVM on GAP features of images with
text against images without, whose CAM gives a box (the paper's 20% rule), scored against
the rendered text's exact box.

Positives are crops of the bundled photos (the benchmark's split regions, upsampled to the
network's input) with a word drawn in with Pillow and a DejaVu font that ships with
matplotlib; the negatives include the very same crops without the word, so the text is the
only difference the SVM can learn. No box is used for training.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from cam_core.common import claims
from cam_core.common.claims import Claim, ItemResult
from cam_core.common.viz import box_grid, draw_boxes, image_grid, overlay, to_uint8_image
from cam_core.core.boxes import box_cover, boxes_from_maps, image_blind_boxes, peak_in_box
from cam_core.core.metrics import box_accuracy, iou_elementwise
from cam_core.datasets import scenes as scene_datasets
from cam_core.datasets import svt
from cam_core.datasets.base import FileImages
from cam_core.datasets.photos import load_photo
from cam_core.fingerprint import weights_fingerprint as model_fingerprint
from cam_core.items.discovery import (
    MIN_SCORED,  # scored held-out images below which a claim of Figs 9-11 is not tested
    cached_maps,
    feature_cache,
    linear_cams,
    load_network,
    svm_weight,
    to_input,
)
from cam_core.items.map_methods import PAPER_MAP_SIDE, check_input_sizes, judged_run
from cam_core.nets.features import cached_features, fit_linear_svm
from cam_core.nets.models import IMAGENET_MEAN, IMAGENET_STD
from cam_core.nets.pretrained import preprocess_imagenet
from cam_core.nets.registry import build_model
from cam_core.synthetic.text import TextSet, letterbox, make_text_set, warped_images
from cam_core.validate import InputError, fail

__all__ = [
    "TextResult",
    "text_detector",
    "real_text_pictures",
    "examples",
    "MIN_SCORED",
    "text_claims",
    "box_caption",
    "file_maps",
    "SvtResult",
    "svt_text_detector",
    "svt_examples",
    "svt_test_panels",
    "svt_notes",
    "resolution_tables",
    "resolution_caption",
    "run",
]
SWEEP = (0.2, 0.4, 0.6, 0.8)  # CAM thresholds also reported beside the paper's


@dataclasses.dataclass
class TextResult:
    """Fig 11 on held-out crops: detector accuracy, CAMs ``(P, S, S)`` of the test positives,
    their boxes and the text boxes ``(P, 4)``, IoUs, and the box accuracy with baselines."""

    svm: object
    weight: torch.Tensor
    detection_accuracy: float
    images: np.ndarray
    cams: np.ndarray
    boxes: np.ndarray
    gt_boxes: np.ndarray
    ious: np.ndarray
    table: pd.DataFrame
    peak_in_box: float  # share of test positives whose CAM maximum lies inside the text box
    train: TextSet
    blind_ious: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)  # (P,) each
    peak_hits: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, bool))
    map_side: int = 0  # side of the network's last map (cells) the CAMs were made from
    input_size: int = 0  # px the network saw each crop at

    @property
    def box_accuracy(self) -> float:
        """Share of test positives whose CAM box (paper's rule) has IoU >= 0.5 with the text."""
        return float(self.table["accuracy"].iloc[0])

    @property
    def peak_shares(self) -> np.ndarray:
        """``(P,)``: each text box's share of its crop, the chance of a maximum placed at random."""
        wh = self.gt_boxes[:, 2:] - self.gt_boxes[:, :2]
        return wh[:, 0] * wh[:, 1] / (self.images.shape[1] * self.images.shape[2])

    @property
    def peak_chance(self) -> float:
        """The same share for a maximum placed at random: the text boxes' mean area share."""
        return float(self.peak_shares.mean())


def text_detector(
    model: nn.Module,
    model_name: str,
    positives: int,
    negatives: int,
    test_images: int,
    size: int = 224,
    threshold: float = 0.2,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    input_size: int | None = None,
) -> TextResult:
    """Train the SVM on ``positives`` crops with text and ``negatives`` without (the same
    crops first, then others) of the train split; score detection on ``test_images`` test
    crops with and without text, and CAM boxes (``threshold`` of the max, largest component)
    on the test crops with text; also at the thresholds of SWEEP, and trivial boxes. Crops
    are ``size`` px; the network sees them resized to ``input_size`` px (None: ``size``),
    which sets its map's resolution; boxes stay in crop pixels."""
    if negatives < positives:
        fail(
            "negatives", f"at least the {positives} positives (their crops without text)", negatives
        )
    view = size if input_size is None else int(input_size)
    train = make_text_set(negatives, size, seed, "train")
    test = make_text_set(test_images, size, seed, "test")
    train_pos = train.with_text[:positives]
    images = np.concatenate([train_pos, train.crops])

    def maps_of(name: str, x: np.ndarray) -> torch.Tensor:
        return cached_maps(cache_dir, f"{name}-{view}px", model_name, model, x, view)

    maps = maps_of("text-train", images)
    gap = maps.mean(dim=(2, 3)).numpy()
    labels = np.r_[np.ones(positives, np.int64), np.zeros(negatives, np.int64)]
    svm = fit_linear_svm(gap, labels, seed=seed)
    weight, _ = svm_weight(svm)
    pos_maps = maps_of("text-test-pos", test.with_text)
    neg_maps = maps_of("text-test-neg", test.crops)
    scores = np.r_[
        svm.decision_function(pos_maps.mean(dim=(2, 3)).numpy()),
        svm.decision_function(neg_maps.mean(dim=(2, 3)).numpy()),
    ]
    truth = np.r_[np.ones(test_images), np.zeros(test_images)]
    cams = linear_cams(pos_maps, weight, torch.ones(test_images, dtype=torch.long), size)
    boxes = boxes_from_maps(cams, threshold)
    blind = image_blind_boxes(
        train.boxes[:positives], (size, size), np.tile(size, (test_images, 2))
    )
    whole, centre = blind["whole image"], blind["centred mean-size box"]
    gt = test.boxes
    rows = [("CAM, paper's rule", threshold, boxes)]
    rows += [("CAM, other threshold", t, boxes_from_maps(cams, t)) for t in SWEEP if t != threshold]
    rows += [("whole image", None, whole), ("centred box of the mean text size", None, centre)]
    table = pd.DataFrame(
        [
            {
                "boxes": name,
                "threshold": t,
                "accuracy": box_accuracy(b, gt[:, None]),
                "mean_iou": float(iou_elementwise(b, gt).mean()),
            }
            for name, t, b in rows
        ]
    )
    inside = peak_in_box(cams, gt)
    blind_ious = {k: iou_elementwise(b, gt) for k, _, b in rows if not k.startswith("CAM")}
    return TextResult(
        svm,
        weight,
        float(((scores > 0) == truth).mean()),
        test.with_text,
        cams,
        boxes,
        gt,
        iou_elementwise(boxes, gt),
        table,
        float(inside.mean()),
        train,
        blind_ious,
        np.asarray(inside, dtype=bool),
        int(pos_maps.shape[-1]),
        view,
    )


def real_text_pictures(
    model: nn.Module,
    weight: torch.Tensor,
    names: tuple[str, ...] = ("text", "page"),
    height: int = 224,
) -> list[np.ndarray]:
    """The text SVM's CAM on bundled photos with real text (scikit-image ``text``, ``page``):
    per photo the whole photo at ``height`` px high, as the network sees it, with the CAM
    overlaid, padded to a square (uint8)."""
    out = []
    for name in names:
        x = preprocess_imagenet(load_photo(name), height, crop=False)[None]
        device = next(model.parameters()).device
        with torch.inference_mode():
            fmap = model.eval().forward_features(x.to(device))[1].float().cpu()
        cam = linear_cams(fmap, weight, torch.ones(1, dtype=torch.long), tuple(x.shape[-2:]))[0]
        view = to_uint8_image(x[0], IMAGENET_MEAN, IMAGENET_STD)
        out.append(letterbox(overlay(view, cam)))
    return out


def examples(data: TextSet, n: int) -> list[list[np.ndarray]]:
    """Rows of training pairs for a figure: each crop with its word (green box) and without."""
    return [[draw_boxes(data.with_text[i], data.boxes[i]), data.crops[i]] for i in range(n)]


def text_claims(
    ious: np.ndarray,
    blind_ious: dict[str, np.ndarray],
    peak_hits: np.ndarray,
    peak_shares: np.ndarray,
    detection_accuracy: float,
    data: str = "",
    min_scored: int = MIN_SCORED,
) -> list[Claim]:
    """Fig 11's claims on the held-out text images: ``ious`` ``(P,)`` of the CAM boxes (paper's
    rule), ``blind_ious`` (image-blind box name -> ``(P,)``), ``peak_hits`` bool ``(P,)`` (CAM
    maximum on the text), ``peak_shares`` ``(P,)`` (the text's area share, chance). Box
    accuracy at IoU 0.5 above 50% (Clopper-Pearson) and above the better image-blind box's
    (paired bootstrap, points); peak rate above twice chance (paired bootstrap, points). Not
    tested when the text/no-text detector (``detection_accuracy``, 0..1) is within 10 points of
    chance or fewer than ``min_scored`` images are scored."""
    hits = np.asarray(ious, dtype=np.float64).reshape(-1) >= 0.5
    peaks = np.asarray(peak_hits, dtype=bool).reshape(-1)
    shares = np.asarray(peak_shares, dtype=np.float64).reshape(-1)
    n = len(hits)
    if n == 0 or not blind_ious or len(peaks) != n or len(shares) != n:
        fail("ious", "per-image IoUs, image-blind IoUs, peaks and shares of one length", n)
    blind = {
        name: np.asarray(v, dtype=np.float64).reshape(-1) >= 0.5 for name, v in blind_ious.items()
    }
    best = max(blind, key=lambda name: (blind[name].mean(), name))
    pre = [
        (
            not claims.near_chance(100 * (1 - detection_accuracy), 2),
            f"the text/no-text SVM is near chance ({100 * detection_accuracy:.1f}% held-out "
            "accuracy, chance 50.0%)",
        ),
        (claims.min_count(n, min_scored), f"{n} held-out text images scored, fewer than "
         f"{min_scored}"),
    ]  # fmt: skip
    k = int(hits.sum())
    low, high = claims.binomial_interval(k, n, percent=True)
    d, d_low, d_high = claims.paired_bootstrap(100 * hits.astype(float), 100 * blind[best])
    p, p_low, p_high = claims.paired_bootstrap(100 * peaks.astype(float), 200 * shares)
    above = functools.partial(claims.compare, direction="above")
    args = dict(preconditions=pre, data=data)
    return [
        claims.judge(
            "text_boxes_accurate",
            "The CAM box (the paper's 20% rule) detects the text: IoU >= 0.5 with its box on "
            "most held-out text images",
            100 * k / n, low, high, functools.partial(above, boundary=50.0),
            "box accuracy at IoU 0.5 above 50%; 95% Clopper-Pearson over the scored images",
            **args,
        ),
        claims.judge(
            "text_boxes_beat_image_blind",
            "The CAM box finds the text more often than a box that looks at no image",
            d, d_low, d_high, functools.partial(above, boundary=0.0),
            f"box accuracy minus that of the better image-blind box ({best}) above 0; 95% "
            "paired bootstrap over the scored images",
            unit="points", **args,
        ),
        claims.judge(
            "peaks_on_text",
            "The CAM's maximum lies on the text at least twice as often as chance",
            p, p_low, p_high, functools.partial(above, boundary=0.0),
            "share of CAM maxima on the text minus twice chance (each text box's area share) "
            "above 0; 95% paired bootstrap over the scored images",
            unit="points", **args,
        ),
    ]  # fmt: skip


def box_caption(result: TextResult | SvtResult, network: str, what: str) -> str:
    """The box table's caption from the run's numbers (Markdown); ``what`` names the scored
    images and their ground truth."""
    t = result.table
    best = t[t["boxes"].str.startswith("CAM")].sort_values("accuracy").iloc[-1]
    trivial = t[~t["boxes"].str.startswith("CAM")]["accuracy"].max()
    return (
        f"The SVM on {network} GAP features tells held-out images with text from images "
        f"without in {100 * result.detection_accuracy:.1f}% of cases. Its CAM box (the paper's "
        f"rule, {t['threshold'].iloc[0]:g} of the max) reaches IoU >= 0.5 with {what} on "
        f"{100 * result.box_accuracy:.1f}% of {len(result.ious)} held-out text images (best "
        f"threshold {best['threshold']:g}: {100 * best['accuracy']:.1f}%; image-blind boxes at "
        f"most {100 * trivial:.1f}%), and the CAM's maximum lies on the text in "
        f"{100 * result.peak_in_box:.1f}% of them (chance {100 * result.peak_chance:.1f}%)."
    )


def file_maps(
    model: nn.Module,
    images: Sequence[np.ndarray],
    size: int,
    cache: Path | None,
    key: str,
    gap_only: bool = True,
    device: str = "cpu",
    batch_size: int = 32,
) -> np.ndarray:
    """Last-conv maps of a CAMNet for images read on access (warped to ``size``): GAP
    ``(N, K)`` float32 when ``gap_only``, else the maps flattened ``(N, K*h*w)`` float16;
    cached in ``cache`` (an .npz path, None: no cache) under ``key``."""

    def compute() -> np.ndarray:
        chunks = []
        model.eval()
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                idx = range(start, min(start + batch_size, len(images)))
                batch = warped_images([images[i] for i in idx], size)
                fmap = model.forward_features(to_input(batch, size).to(device))[1].float()
                out = fmap.mean(dim=(2, 3)) if gap_only else fmap.flatten(1).half()
                chunks.append(out.cpu().numpy())
        return np.concatenate(chunks)

    return compute() if cache is None else cached_features(cache, key, compute)


@dataclasses.dataclass
class SvtResult:
    """Fig 11 on Street View Text: the SVM, detection accuracy on held-out SVT test images
    against SUN397 test images, and per scored test image (``P``) its picture and CAM in the
    network's frame ``(P, S, S[, 3])``, the CAM box and the union of its word boxes ``(P, 4)``
    in image pixels, its word boxes (image pixels), IoUs with the union box, the table."""

    svm: object
    weight: torch.Tensor
    detection_accuracy: float
    files: tuple[str, ...]
    sizes: np.ndarray  # (P, 2) image (H, W)
    images: np.ndarray
    cams: np.ndarray
    boxes: np.ndarray
    gt_boxes: np.ndarray
    word_boxes: list[np.ndarray]
    ious: np.ndarray
    table: pd.DataFrame
    peak_in_box: float  # share of CAM maxima inside one of the image's word boxes
    peak_chance: float  # the same for a maximum placed at random: word pixels' mean share
    counts: dict[str, int]
    train_positives: np.ndarray  # a few training positives and negatives, warped, for figures
    train_negatives: np.ndarray
    train_positive_boxes: list[np.ndarray]  # their word boxes in the network's frame
    blind_ious: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)  # (P,) each
    peak_hits: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, bool))
    peak_shares: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    map_side: int = 0  # side of the network's last map (cells) the CAMs were made from
    input_size: int = 0  # px the network saw each image at

    @property
    def box_accuracy(self) -> float:
        """Share of scored test images whose CAM box (paper's rule) has IoU >= 0.5 with the
        union of the image's word boxes."""
        return float(self.table["accuracy"].iloc[0])

    def frame(self, boxes: np.ndarray, i: int) -> np.ndarray:
        """Boxes ``(..., 4)`` of test image ``i`` from image pixels to the network's frame."""
        h, w = self.sizes[i]
        s = self.images.shape[1]
        return np.asarray(boxes, dtype=np.float64) * np.array([s / w, s / h, s / w, s / h])


def _pick(rng: np.random.Generator, pool: np.ndarray, n: int, name: str, where: str) -> np.ndarray:
    """``n`` of ``pool`` drawn at random, kept in pool order (0: all of them)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        fail(name, "an integer >= 0 (0: all)", repr(n))
    if n > len(pool):
        fail(name, f"at most {len(pool)} ({where})", n)
    return pool if n == 0 else np.sort(rng.choice(pool, n, replace=False))


def svt_text_detector(
    model: nn.Module,
    model_name: str,
    data_root: str | Path,
    positives: int = 0,
    negatives: int = 5000,
    test_images: int = 0,
    size: int = 224,
    threshold: float = 0.2,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    device: str = "cpu",
    num_examples: int = 4,
) -> SvtResult:
    """Fig 11 at ``full`` scale. Positives: ``positives`` images of SVT ``train.xml`` (0:
    all 100); negatives: ``negatives`` SUN397 images of partition 1's training list (0: all),
    drawn at random. A linear SVM (C by CV) on GAP features; no box is used. Scored on the
    ``test_images`` images of ``test.xml`` with a word box (0: all), against as many SUN397
    images of partition 1's test list (detection), and their CAM boxes (``threshold`` of the
    max, largest component) against the union of the image's word boxes at IoU 0.5, beside
    any single word box, other thresholds and trivial boxes. Every image is warped to
    ``size`` x ``size``; IoU is unchanged by that scaling, boxes are reported in image pixels.
    Boxes outside their image are dropped and counted (``counts["skipped_boxes"]``)."""

    root = svt.locate(data_root)
    train = svt.read_svt(root, "train", bad_boxes="skip")
    test = svt.read_svt(root, "test", bad_boxes="skip")
    for part in (train, test):
        sizes = part.files.sizes
        for im, (h, w) in zip(part.images, sizes, strict=True):
            if (h, w) != (im.height, im.width):
                raise InputError(
                    f"svt: {part.split}.xml: {im.file}: Resolution {im.width} x {im.height}, "
                    f"image file {w} x {h}"
                )
    sun = scene_datasets.load_scene_dataset("sun397", data_root, partitions=1)
    sun_train, sun_test = sun.splits[0]
    rng = np.random.default_rng([seed, 11, 397])
    pos = _pick(rng, np.arange(len(train)), positives, "positives", "train.xml images")
    neg = _pick(rng, np.asarray(sun_train), negatives, "negatives", "SUN397 training list")
    scorable = np.flatnonzero([len(im.boxes) > 0 for im in test.images])
    tst = _pick(rng, scorable, test_images, "test_images", "test.xml images with a word box")
    if len(tst) == 0:
        fail("data_root", "an SVT test.xml with at least one word box", str(root))
    neg_test = np.sort(rng.choice(sun_test, min(len(tst), len(sun_test)), replace=False))

    model = model.eval()
    key = f"{model_name}|{model_fingerprint(model)}|{size}"
    model = model.to(device)

    def files(images: FileImages, idx: np.ndarray, name: str) -> FileImages:
        return FileImages(images.root, [images.files[i] for i in idx], name)

    def maps_of(images: FileImages, tag: str, gap_only: bool = True) -> np.ndarray:
        cache = None if cache_dir is None else Path(cache_dir) / f"svt-{tag}-{size}px.npz"
        return file_maps(
            model, images, size, cache, f"{key}|{images.fingerprint}|{gap_only}", gap_only,
            device,
        )  # fmt: skip

    train_pos = files(train.files, pos, "svt")
    train_neg = files(sun.images, neg, "sun397")
    gap = np.concatenate([maps_of(train_pos, "train-pos"), maps_of(train_neg, "train-neg")])
    labels = np.r_[np.ones(len(pos), np.int64), np.zeros(len(neg), np.int64)]
    svm = fit_linear_svm(gap, labels, seed=seed)
    weight, _ = svm_weight(svm)

    test_pos = files(test.files, tst, "svt")
    flat = maps_of(test_pos, "test-pos", gap_only=False).astype(np.float32)
    k = gap.shape[1]
    side = int(round((flat.shape[1] // k) ** 0.5))
    maps = torch.from_numpy(flat).reshape(len(flat), k, side, flat.shape[1] // k // side)
    neg_gap = maps_of(files(sun.images, neg_test, "sun397"), "test-neg")
    scores = np.r_[svm.decision_function(maps.mean(dim=(2, 3)).numpy()),
                   svm.decision_function(neg_gap)]  # fmt: skip
    truth = np.r_[np.ones(len(tst)), np.zeros(len(neg_test))]

    cams = linear_cams(maps, weight, torch.ones(len(tst), dtype=torch.long), size)
    sizes = np.array([[test.images[i].height, test.images[i].width] for i in tst])
    to_image = np.stack([sizes[:, 1], sizes[:, 0], sizes[:, 1], sizes[:, 0]], 1) / size
    words = [test.images[i].boxes for i in tst]
    union = test.union_boxes[tst]

    def scaled(threshold_: float) -> np.ndarray:
        return boxes_from_maps(cams, threshold_) * to_image

    boxes = scaled(threshold)
    train_sizes = np.array([[train.images[i].height, train.images[i].width] for i in pos])
    blind = image_blind_boxes(train.union_boxes[pos], train_sizes, sizes)
    whole, centre = blind["whole image"], blind["centred mean-size box"]
    rows = [("CAM, paper's rule", threshold, boxes)]
    rows += [("CAM, other threshold", t, scaled(t)) for t in SWEEP if t != threshold]
    rows += [("whole image", None, whole), ("centred box of the mean text size", None, centre)]
    table = pd.DataFrame(
        [
            {
                "boxes": name,
                "threshold": t,
                "accuracy": box_accuracy(b, union[:, None]),
                "accuracy_any_word": box_accuracy(b, words),
                "mean_iou": float(iou_elementwise(b, union).mean()),
            }
            for name, t, b in rows
        ]
    )
    blind_ious = {
        name: iou_elementwise(b, union) for name, _, b in rows if not name.startswith("CAM")
    }
    peak = np.asarray(peak_in_box(cams, words, sizes), dtype=bool)
    shares = np.array([box_cover(b, hw) for b, hw in zip(words, sizes, strict=True)])
    n_ex = min(num_examples, len(pos), len(neg))
    ex_pos = [int(pos[i]) for i in range(n_ex)]
    ex_sizes = np.array([[train.images[i].height, train.images[i].width] for i in ex_pos])
    return SvtResult(
        svm,
        weight,
        float(((scores > 0) == truth).mean()),
        tuple(test_pos.files),
        sizes,
        warped_images(test_pos, size),
        cams,
        boxes,
        union,
        words,
        iou_elementwise(boxes, union),
        table,
        float(peak.mean()),
        float(shares.mean()),
        {
            "train_positives": len(pos),
            "train_negatives": len(neg),
            "test_positives": len(tst),
            "test_negatives": len(neg_test),
            "test_without_words": len(test) - len(scorable),
            "skipped_boxes": train.skipped_boxes + test.skipped_boxes,
        },
        warped_images(files(train.files, np.array(ex_pos, dtype=np.int64), "svt"), size),
        warped_images(files(sun.images, neg[:n_ex], "sun397"), size),
        [
            train.images[i].boxes * (size / np.array([w, h, w, h]))
            for i, (h, w) in zip(ex_pos, ex_sizes, strict=True)
        ],
        blind_ious,
        peak,
        shares,
        side,
        size,
    )


def svt_examples(result: SvtResult) -> list[list[np.ndarray]]:
    """Rows of training pictures for a figure: an SVT positive (its word boxes in green, for
    the reader only) beside a SUN397 negative, both as the network sees them."""
    return [
        [draw_boxes(p, b), n]
        for p, b, n in zip(
            result.train_positives, result.train_positive_boxes, result.train_negatives,
            strict=True,
        )
    ]  # fmt: skip


def svt_test_panels(result: SvtResult, n: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The first ``n`` scored test images in the network's frame: pictures, CAM boxes
    ``(n, 4)`` and word boxes (``(G_i, 4)`` each), for :func:`cam_core.common.viz.box_grid`."""
    n = min(n, len(result.images))
    boxes = np.stack([result.frame(result.boxes[i], i) for i in range(n)])
    words = [result.frame(result.word_boxes[i], i) for i in range(n)]
    return result.images[:n], boxes, words


def svt_notes(result: SvtResult) -> list[str]:
    """What the full-scale page notes about its data, from the run's counts."""
    c = result.counts
    return [
        f"{c['train_positives']} SVT training images against {c['train_negatives']} SUN397 "
        f"images; scored: {c['test_positives']} SVT test images (detection against "
        f"{c['test_negatives']} SUN397 test images).",
        "SVT tags only the words of nearby businesses: a CAM on other text counts as a miss. "
        f"{c['skipped_boxes']} word boxes reaching outside their image were left out, "
        f"{c['test_without_words']} test images without a word box are not scored.",
    ]


def _map_name(result: TextResult | SvtResult) -> str:
    return f"{result.map_side} x {result.map_side}"


def resolution_tables(
    results: Sequence[TextResult | SvtResult],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs at several map resolutions side by side: every run's box table with its
    ``map`` ("14 x 14") and ``input_px`` first, and one summary row per run (percent):
    detection accuracy, box accuracy (paper's rule), mean IoU, CAM maxima on the text, chance."""
    if not results:
        fail("results", "at least one run", "none")
    boxes = pd.concat([r.table.assign(map=_map_name(r), input_px=r.input_size) for r in results])
    boxes = boxes[["map", "input_px", *results[0].table.columns]].reset_index(drop=True)
    summary = pd.DataFrame([
        {"map": _map_name(r), "input_px": r.input_size, "images": len(r.ious),
         "detection_accuracy": 100 * r.detection_accuracy, "box_accuracy": 100 * r.box_accuracy,
         "mean_iou": float(np.mean(r.ious)), "peak_on_text": 100 * r.peak_in_box,
         "peak_chance": 100 * r.peak_chance}
        for r in results
    ])  # fmt: skip
    return boxes, summary


def resolution_caption(results: Sequence[TextResult | SvtResult], judged: int) -> str:
    """What the runs say about map resolution, from their numbers (Markdown): the judged
    run's box accuracy beside each other run's, and their difference with a 95% paired
    bootstrap interval when the runs scored the same images."""
    if not 0 <= judged < len(results):
        fail("judged", f"an index of the {len(results)} runs", repr(judged))
    main = results[judged]
    text = (
        f"Claims are judged on the {_map_name(main)} map ({main.input_size} px input, the "
        f"paper's GoogLeNet-GAP has {PAPER_MAP_SIDE} x {PAPER_MAP_SIDE}): box accuracy "
        f"{100 * main.box_accuracy:.1f}%, CAM maxima on the text {100 * main.peak_in_box:.1f}%."
    )
    for i, other in enumerate(results):
        if i == judged:
            continue
        text += (
            f" The same images at a {_map_name(other)} map ({other.input_size} px): box "
            f"accuracy {100 * other.box_accuracy:.1f}%, maxima on the text "
            f"{100 * other.peak_in_box:.1f}%, detection {100 * other.detection_accuracy:.1f}% "
            f"(against {100 * main.detection_accuracy:.1f}%)."
        )
        if len(other.ious) == len(main.ious):
            hits = [100.0 * (r.ious >= 0.5) for r in (main, other)]
            d, low, high = claims.paired_bootstrap(*hits)
            text += (
                f" Box accuracy {_map_name(main)} minus {_map_name(other)}: {d:+.1f} points "
                f"[{low:+.1f}, {high:+.1f}] (95% paired bootstrap over the images)."
            )
    return text


def run(params: dict[str, Any], progress: Callable[[str], None] | None = None) -> ItemResult:
    """Figure 11 at ``params``'s profile: the text SVM on rendered-word crops (Street View Text
    against SUN397 at ``full``), once per network input size of ``input_sizes`` (its map's
    resolution); claims (:func:`text_claims`), pictures and headline from the run at the
    paper's map resolution (:func:`judged_run`), the others beside it."""
    n_show = params["num_examples"]
    common = dict(threshold=params["threshold"], seed=params["seed"],
                  cache_dir=feature_cache(params))  # fmt: skip
    full = params["profile"] == "full"
    net = (load_network(params, params["network"], progress=progress) if full
           else build_model(params["network"], 1000))  # fmt: skip
    runs: list[TextResult | SvtResult] = []
    for view in check_input_sizes("input_sizes", params["input_sizes"]):
        if progress is not None:
            progress(f"figure11: text SVM at {view} px input")
        if full:
            runs.append(svt_text_detector(
                net, params["network"], params["data_root"], params["positives"],
                params["negatives"], params["test_images"], device=params["device"],
                num_examples=n_show, size=view, **common,
            ))  # fmt: skip
        else:
            runs.append(text_detector(
                net, params["network"], params["positives"], params["negatives"],
                params["test_images"], size=params["image_size"], input_size=view, **common,
            ))  # fmt: skip
    judged = judged_run([r.map_side for r in runs])
    result = runs[judged]
    if full:
        pairs = svt_examples(result)
        shown, boxes, words = svt_test_panels(result, n_show)
        what, data = "the union of the image's tagged word boxes", "Street View Text / SUN397"
        notes = svt_notes(result)
    else:
        pairs = examples(result.train, n_show)
        shown, boxes, words = (result.images[:n_show], result.boxes[:n_show],
                               result.gt_boxes[:n_show])  # fmt: skip
        what, data = "the word's exact box", "bundled photos with a rendered word"
        notes = []
    side = _map_name(result)
    data = (f"{data}, {len(result.ious)} held-out text images, {params['network']} GAP "
            f"features, {side} map ({result.input_size} px input)")  # fmt: skip
    found = text_claims(result.ious, result.blind_ious, result.peak_hits, result.peak_shares,
                        result.detection_accuracy, data)  # fmt: skip
    test_figure = box_grid(
        shown, boxes, words, captions=[f"IoU {v:.2f}" for v in result.ious[: len(shown)]],
        maps=result.cams[: len(shown)],
        title=f"text SVM on {params['network']} GAP features, {side} map",
    )  # fmt: skip
    real = real_text_pictures(net, result.weight, height=result.input_size)
    box_table, summary = resolution_tables(runs)
    resolution = resolution_caption(runs, judged)
    notes += [resolution] if len(runs) > 1 else []
    return ItemResult(
        item="figure11",
        profile=params["profile"],
        headline=f"Held-out text images whose CAM box ({side} map) has IoU >= 0.5 with {what} (%):",
        claims=found,
        tables={"figure11_boxes": box_table, "figure11_resolution": summary},
        figures={
            "figure11_pairs": image_grid(pairs, col_titles=["positive", "negative"]),
            "figure11_test": test_figure,
            "figure11_real_text": image_grid([real], col_titles=["text", "page"], cell_inches=3.5),
        },
        notes=notes,
        headline_value=100 * result.box_accuracy,
        captions={
            "figure11_boxes": box_caption(result, params["network"], what)
            + f" Rows by map resolution ({', '.join(_map_name(r) for r in runs)}).",
            "figure11_resolution": "Per map resolution, in % (mean IoU 0 to 1). " + resolution,
        },
    )
