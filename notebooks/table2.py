# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Table 2: Localization error on ILSVRC validation
#
# **The paper's claim.** CAM boxes from GAP networks localize better than backpropagation
# saliency and than the same network with global max pooling.
#
# **What runs.** Weakly-supervised localization: the box of each of the top-5 predicted
# classes comes from its class activation map (keep the pixels at or above 20% of the
# map's maximum, take the bounding box of the largest 8-connected component), and an
# image counts as localized at top-k when one of its first k guesses has the right class
# and a box with IoU ≥ 0.5 with a ground-truth box. The rows: CAM on each GAP network, on
# NIN and on the original GoogLeNet (its last map before GAP, coarser than GoogLeNet-GAP's),
# GMP against GAP, and backprop saliency (Simonyan et al.) on the original networks with
# fully-connected layers. Beside every number, two boxes that ignore the image, scored with
# the same rule and the same predicted classes: a centred box of the mean ground-truth size
# (mean over the training split) and the whole image. The models are Table 1's (cached).
# At `cpu` scale on the held-out test split of the cluttered-silhouettes benchmark, whose
# boxes are exact; at `full` scale the paper's networks on the ILSVRC 2012 validation set.

# %% tags=["parameters", "hide-input"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
networks = None  # networks localized by their CAM
baseline_networks = None  # originals (FC head) for the saliency baselines
baselines = None  # backprop and/or gradcam
threshold = None  # the box rule's share of the map's max
box_rule = None  # paper (largest component) or released (multi-threshold generator)
eval_images = None  # test images scored (0: all)
crops = None  # single, or ten (ten crops' maps merged, boxed at the original size)
backprop_variant = None  # simonyan (max over colour of |grad|) or released (sum)
maxboxacc_holdout = None  # share of scored images held out for MaxBoxAccV2's threshold

# %% tags=["hide-input"]
import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import display, profiles, results
from cam_core.items import tables123

params = profiles.from_cell("table2", globals())
result = tables123.run(params, progress=print)
results.write_result(params, result)
display.verdict_box(result)

# %% [markdown]
# ## The paper's Table 2 and this project's numbers

# %% tags=["hide-input"]
display.show_table(
    result,
    "table2",
    ["method", "paper_top1", "top1", "diff_top1", "paper_top5", "top5", "diff_top5"]
    + ["reproduced_by", "seeds", "cls_top1", "gt_known_loc", "maxboxacc", "centre_box_top1"]
    + ["whole_image_top1", "maxboxacc_v2", "maxboxacc_v2_heldout", "protocol"],
)

# %% [markdown]
# ## The paper's claims, checked on these numbers
#
# Each claim is that one row localizes better than another: the difference of their errors
# (points) lies below 0. The errors are compared at top-1, a metric the paper prints (at
# `cpu` scale top-5 of 10 classes is nearly free), and, where the classification error could
# decide the comparison, on GT-known boxes (the box from the true class's map; error = 100 -
# GT-known accuracy). Both rows are scored on the same test images, so the 95% interval is a
# paired bootstrap over those images of the seed-averaged per-image errors, widened by the
# seed-to-seed spread of the metric (pooled over the networks trained with several seeds and
# borrowed by those trained with one; the *data* column says which). A claim holds when the
# whole interval lies below 0, does not hold when it lies above, and is *not
# distinguishable* when it straddles 0. A network within 10 points of chance top-1
# classification error leaves its claims *not tested*.

# %% tags=["hide-input"]
display.claims_view(result)

# %% [markdown]
# ## The best GAP network against the image-blind boxes
#
# The aim set for this replication: the best GAP network (NIN included: it ends in GAP)
# localizes at least 60% of the scored images (right class and IoU ≥ 0.5, top-1) at the
# paper's 20% threshold, at least 20 points above the better image-blind box.

# %% tags=["hide-input"]
display.show_table(result, "aim")

# %% [markdown]
# ## Where the boxes fail: object size
#
# Where a last conv map's cells are as large as a small object, the upsampled blob at 20% of
# its peak spreads over neighbouring cells and the box comes out too large: the paper's point
# about the resolution of the last conv map. The median predicted box area over the true one
# is in `gt_known_by_size.csv`.

# %% tags=["hide-input"]
display.show_table(result, "gt_known_by_size_wide")

# %% [markdown]
# ## Threshold sweep (MaxBoxAcc)
#
# The table's numbers use the paper's fixed 20% of the maximum, not the best threshold of
# this sweep (Choe et al. 2020).
# The table's *maxboxacc v2* column is MaxBoxAccV2 of Choe et al. (any component's box,
# IoU 0.3, 0.5 and 0.7 averaged) at the best thresholds of the scored images themselves, an
# optimistic bound; *maxboxacc v2 heldout* takes each IoU level's threshold from held-out
# images (`maxboxacc_holdout`) that are dropped from every number of the table.

# %% tags=["hide-input"]
display.show_figure(result, "maxboxacc")

# %% [markdown]
# ## Parameters and provenance
#
# The resolved parameters of this run, then where and how this page's result files
# (`results/<profile>/table2/`) were produced.

# %% tags=["hide-input"]
profiles.parameters_table(params)

# %% tags=["hide-input"]
results.provenance_table(params["out_dir"], "table2")
