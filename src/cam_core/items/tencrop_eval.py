"""The released ten-crop evaluation of Tables 1-3 (``zhoubolei/CAM``: ``prepare_image.m``,
``ILSVRC_generate_heatmap.m``, ``mergeTenCrop.m``), on any scored set.

Each image is squashed to ``I`` x ``I`` (``I = round(S * 256 / 224)`` for networks of input
``S``: 256 for 224) and cut into ten ``S`` crops (:mod:`cam_core.core.tencrop`). The classes
are ranked by the mean of the ten crops' scores; each ranked class's map is computed on every
crop (CAM upsampled to the crop, or backprop / Grad-CAM at the crop), the ten maps are merged
into one ``I`` x ``I`` map (absolute values summed at their places), resized to the image's
ORIGINAL size (bicubic, as MATLAB's ``imresize``; its antialiasing is not modelled) and
boxed there, against the original-size boxes (``IlsvrcVal`` records; other datasets: their
own images are the originals). The MaxBoxAcc sweeps (:mod:`cam_core.core.boxacc`) read the
merged ``I`` x ``I`` map with the boxes scaled to it, as Choe et al. score at the resized
image (IoU is unchanged by a per-axis scaling; a sweep at the original size costs ~3x).
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset, Subset

from cam_core.core import boxes as boxes_mod
from cam_core.core.boxacc import box_hits
from cam_core.core.cam import class_activation_maps
from cam_core.core.methods import map_method
from cam_core.core.modes import eval_mode
from cam_core.core.tencrop import merge_ten_crops, ten_crop_scores, ten_crops
from cam_core.datasets.ilsvrc_data import IlsvrcVal, unpad_boxes
from cam_core.items import localization as loc
from cam_core.items.localization import IOU_THRESHOLD, LocalizationResult
from cam_core.nets.train import DistContext, TrainConfig, map_batches
from cam_core.validate import fail

__all__ = ["CROPS", "TenCropSet", "squashed_size", "ten_crop_top", "evaluate_ten_crop"]

CROPS = ("single", "ten")


def squashed_size(crop: int) -> int:
    """The squashed image side for crops of ``crop`` px: 256 for 224 (the released ratio)."""
    if isinstance(crop, bool) or not isinstance(crop, int) or crop < 1:
        fail("crop", "a positive int (pixels)", repr(crop))
    return int(round(crop * 256 / 224))


class TenCropSet(Dataset):
    """A scored set as ``(image (3, I, I) squashed, label, original boxes (M, 4) NaN-padded,
    box labels (M,) -1-padded, original size (2,) (H, W))``; ``crop``: the network's input."""

    def __init__(self, dataset: Dataset, crop: int, max_boxes: int | None = None) -> None:
        self.crop, self.image = crop, squashed_size(crop)
        base, self.index = dataset, None
        if isinstance(dataset, Subset):
            base, self.index = dataset.dataset, list(dataset.indices)
        self.val = None
        if isinstance(base, IlsvrcVal):
            self.val = copy.copy(base)
            self.val.size, self.val.resize, self.val.max_boxes = self.image, "squash", None
            chosen = range(len(base)) if self.index is None else self.index
            records = [base.records[i] for i in chosen]
            most = max(len(r.original_boxes) for r in records)
        else:
            self.data = loc.Standardised(dataset, loc.dataset_max_boxes(dataset, max_boxes))
            most = self.data.max_boxes
        self.max_boxes = max(most, max_boxes or 0)

    def __len__(self) -> int:
        if self.val is None:
            return len(self.data)
        return len(self.val) if self.index is None else len(self.index)

    def __getitem__(self, i: int) -> tuple:
        if self.val is not None:
            j = i if self.index is None else self.index[i]
            r = self.val.records[j]
            image = self.val[j][0]
            w, h = r.image_size
            b = torch.as_tensor(r.original_boxes, dtype=torch.float64).reshape(-1, 4)
            lab, label = torch.as_tensor(r.original_box_labels, dtype=torch.int64), r.label
        else:
            x, label, b, lab = self.data[i]
            h, w = x.shape[-2:]
            image = F.interpolate(x[None].float(), size=(self.image, self.image),
                                  mode="bilinear", align_corners=False)[0]  # fmt: skip
            keep = lab >= 0
            b, lab = b[keep], lab[keep]
        pad = self.max_boxes - len(b)
        b = torch.cat([b, torch.full((pad, 4), float("nan"), dtype=torch.float64)])
        lab = torch.cat([lab, torch.full((pad,), -1, dtype=torch.int64)])
        return image, int(label), b, lab, torch.tensor([h, w], dtype=torch.int64)


def _crop_forward(
    model: nn.Module, images: torch.Tensor, crop: int, cam: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Squashed images ``(B, 3, I, I)`` -> (crops ``(10B, 3, c, c)``, mean scores ``(B, C)``,
    the crops' last conv maps ``(10B, K, h, w)`` when ``cam``)."""
    crops = ten_crops(images, crop).flatten(0, 1)
    with torch.inference_mode():
        if cam:
            logits, fmap = model.forward_features(crops)
        else:
            logits, fmap = model(crops), None
    return crops, ten_crop_scores(logits.float().reshape(len(images), 10, -1)), fmap


def ten_crop_top(
    model: nn.Module,
    dataset: Dataset,
    k: int,
    batch_size: int,
    device: str,
    ctx: DistContext | None = None,
) -> dict[str, np.ndarray]:
    """Ten-crop classification of ``dataset`` (any scored set): ``labels (N,)``, ``top (N, k)``
    the classes ranked by the ten crops' mean score."""
    crop = int(dataset[0][0].shape[-1])
    data = TenCropSet(dataset, crop)
    dev = torch.device(device)
    model.to(dev)

    def one_batch(batch: tuple) -> dict[str, torch.Tensor]:
        _, scores, _ = _crop_forward(model, batch[0].to(dev), crop, cam=False)
        return {"top": scores.topk(k, 1).indices, "y": batch[1]}

    config = TrainConfig(epochs=1, batch_size=max(1, batch_size // 10), device=device)
    with eval_mode(model, grad=None):
        out = map_batches(one_batch, data, config, ctx)
    return {"labels": np.asarray(out["y"]), "top": np.asarray(out["top"])}


def _merged_maps(
    model: nn.Module,
    crops: torch.Tensor,
    fmap: torch.Tensor | None,
    classes: torch.Tensor,
    method: str,
    options: dict[str, object],
    image: int,
) -> torch.Tensor:
    """Maps of ``classes (B, k)`` on each image's ten crops, merged: ``(B, k, image, image)``."""
    b, k = classes.shape
    c = crops.shape[-1]
    per_crop = classes.repeat_interleave(10, dim=0)  # (10B, k): crop i of image j -> row 10j + i
    if method == "cam":
        with torch.inference_mode():
            weight = model.classifier.weight
            maps = class_activation_maps(fmap.float(), weight, per_crop, size=(c, c))
    else:
        maps = map_method(method, **options)(model, crops, per_crop, size=(c, c))
    maps = maps.float().reshape(b, 10, k, c, c).transpose(1, 2).reshape(b * k, 10, c, c)
    return merge_ten_crops(maps, image).reshape(b, k, image, image)


def evaluate_ten_crop(
    model: nn.Module,
    dataset: Dataset,
    method: str = "cam",
    threshold: float = 0.2,
    topk: int = 5,
    heuristic: str | None = None,
    batch_size: int = 64,
    device: str = "cpu",
    ctx: DistContext | None = None,
    box_rule: str = "paper",
    centre_size: tuple[float, float] | None = None,
    max_boxes: int | None = None,
    layer: str | None = None,
    backprop_variant: str = "simonyan",
) -> LocalizationResult:
    """:func:`localization.evaluate_localization` under the ten-crop protocol (same arguments;
    ``batch_size // 10`` images per batch): boxes in each image's original coordinates."""
    heuristic, rule, k, thresholds = loc.check_options(
        model, dataset, method, threshold, heuristic, box_rule, topk, None
    )
    options = loc.map_options(method, layer, backprop_variant)
    crop = int(dataset[0][0].shape[-1])
    data = TenCropSet(dataset, crop, max_boxes)
    dev = torch.device(device)
    model.to(dev)

    def one_batch(batch: tuple) -> dict[str, np.ndarray]:
        images, labels = batch[0].to(dev), batch[1].to(dev)
        crops, scores, fmap = _crop_forward(model, images, crop, cam=method == "cam")
        top = scores.topk(k, 1).indices
        wanted = torch.cat([top, labels[:, None]], dim=1)  # the true class rides along
        merged = _merged_maps(model, crops, fmap, wanted, method, options, data.image).cpu()
        gts = unpad_boxes(batch[2], batch[3])
        gt_labels = [lab[lab >= 0].numpy() for lab in batch[3]]
        top_np, y = top.cpu().numpy(), labels.cpu().numpy()
        n = len(y)
        cls, pred = np.zeros((n, 5 if heuristic else k), np.int64), None
        known = np.zeros((n, 4))
        sizes = batch[4].numpy()
        scale = data.image / sizes[:, [1, 0, 1, 0]].astype(np.float64)  # (B, 4): to squashed
        hits, hits2 = box_hits(merged[:, k], [g * sc for g, sc in zip(gts, scale, strict=True)],
                               thresholds, IOU_THRESHOLD)  # fmt: skip
        for i, (h, w) in enumerate(sizes.tolist()):
            m = F.interpolate(merged[i : i + 1], size=(h, w), mode="bicubic", align_corners=False)
            m = m[0].numpy()
            if heuristic == "tight+loose":
                c_i, p_i = boxes_mod.tight_loose_top5(
                    m[None, :k], top_np[i : i + 1], loose_threshold=threshold, rule=rule
                )
            else:
                c_i = top_np[i : i + 1]
                p_i = boxes_mod.boxes_from_maps(m[None, :k], threshold, rule)
            pred = np.zeros((n, *p_i.shape[1:])) if pred is None else pred
            cls[i], pred[i] = c_i[0], p_i[0]
            known[i] = boxes_mod.boxes_from_maps(m[k:], threshold, rule)[0]
        return {
            "labels": y, "top": top_np, "cls": cls, "pred": pred,
            "ious": loc.best_iou(pred, gts, gt_labels, y),
            "gt": batch[2].numpy(), "gt_labels": batch[3].numpy(), "known": known,
            "known_iou": loc.best_iou(known[:, None], gts, gt_labels, y)[:, 0],
            "hits": hits, "hits2": hits2, "sizes": sizes,
        }  # fmt: skip

    config = TrainConfig(epochs=1, batch_size=max(1, batch_size // 10), device=device)
    with eval_mode(model, grad=None):
        out = map_batches(one_batch, data, config, ctx)
    meta = {"method": method, "threshold": float(threshold), "heuristic": heuristic}
    meta.update(box_rule=rule, crops="ten", backprop_variant=backprop_variant)
    return loc.summarise(out, meta, (crop, crop), thresholds, centre_size)
