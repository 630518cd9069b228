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

# %% tags=["parameters"]
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

# %%
from IPython.display import Markdown, display

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import display as common_display
from cam_core.common import profiles, results, viz
from cam_core.items import tables123

params = profiles.from_cell("table2", globals())
profiles.parameters_table(params)

# %%
with results.Experiment(params) as experiment:
    out = tables123.table2(params, progress=print)
    experiment.write_csv("table2.csv", out.table)
    experiment.write_csv("claims.csv", out.claims)
    for name, frame in out.frames.items():
        experiment.write_csv(f"{name}.csv", frame)
    sweep_figure = tables123.plot_maxboxacc(out.frames["maxboxacc_curves"], params["threshold"])
    experiment.save_figure("maxboxacc.png", sweep_figure, dpi=110)
    experiment.write_status(out.coverage, out.headline, out.claim_holds, out.notes)
display(Markdown(f"**Caveat.** {out.notes}"))

# %% [markdown]
# ## The paper's Table 2 and this project's numbers

# %%
common_display.for_display(
    out.table,
    ["method", "paper_top1", "top1", "diff_top1", "paper_top5", "top5", "diff_top5"]
    + ["reproduced_by", "seeds"],
)

# %% [markdown]
# *Table 2.* Localization error (%), top-1 and top-5. *paper*: ILSVRC 2012 validation, as
# printed; *Backprop* uses the saliency of Simonyan et al. instead of CAM. *top1*, *top5*:
# this project's networks (*reproduced by*) on its scored set, mean ± sample std over
# *seeds* training seeds; *diff*: reproduced minus paper.

# %%
common_display.for_display(
    out.table,
    ["method", "top1", "cls_top1", "gt_known_loc", "maxboxacc", "centre_box_top1"]
    + ["whole_image_top1"],
)

# %% [markdown]
# *Beside each number* (%, means over seeds): *top1*, the top-1 localization error again;
# *cls top1*, the classification error on the same images, which bounds localization;
# *gt known loc*, the share of images whose box from the true class's map has IoU ≥ 0.5
# (class ignored); *maxboxacc*, the same at the best threshold of the sweep below (Choe et
# al. 2020); *centre box top1*, *whole image top1*, the top-1 localization error of two
# boxes that ignore the image (a centred box of the training split's mean size, the whole
# image) with the same predicted classes.

# %% [markdown]
# ## The paper's claims, checked on these numbers

# %%
common_display.for_display(out.claims)

# %% [markdown]
# Errors compared at top-1, the paper's metric (at `cpu` scale top-5 of 10 classes is
# nearly free, so top-1 carries the comparison); this page's verdict on the paper's claim
# reads those rows. Top-1 localization also needs the right class, so a network that
# classifies worse localizes worse with any maps: the *GT-known* rows compare the boxes
# alone (the box from the true class's map; error = 100 - GT-known accuracy). *Not
# distinguishable*: the difference is within the seed noise (pooled std of the networks
# with several seeds).

# %% [markdown]
# ## The best GAP network against the image-blind boxes

# %%
common_display.for_display(out.frames["aim"])

# %% [markdown]
# The aim set for this replication: the best GAP network (NIN included: it ends in GAP)
# localizes at least 60% of the scored images (right class and IoU ≥ 0.5, top-1) at the
# paper's 20% threshold, at least 20 points above the better image-blind box. What limits
# it here shows in the tables above: the classification error bounds top-1 localization,
# and the GT-known column is the share of good boxes when the class is given.

# %% [markdown]
# ## Where the boxes fail: object size

# %%
by_size = out.frames["gt_known_by_size"]
by_size.pivot_table(
    index="object side / image side",
    columns="method",
    values="GT-known loc. (%)",
    sort=False,
    dropna=False,
).join(by_size.groupby("object side / image side", sort=False)["images"].first())

# %% [markdown]
# GT-known localization (%: the box from the true class's map, IoU ≥ 0.5) of each row's
# first seed, by the object's size (the square root of its box's share of the image), and
# the number of scored images in each size bin; the median predicted box area over the true
# one is in `gt_known_by_size.csv`. Where a last conv map's cells are as large as a small
# object, the upsampled blob at 20% of its peak spreads over neighbouring cells and the box
# comes out too large: the paper's point about the resolution of the last conv map. For the
# best GAP network of this run:

# %%
aim = out.frames["aim"].set_index("quantity")["value"] if len(out.frames["aim"]) else {}
best = by_size[by_size["method"] == aim.get("best GAP network")]
if len(best):
    smallest, largest = best.iloc[0], best.iloc[-1]
    area = "box area / true area (median)"
    text = (
        f"{aim['best GAP network']}: objects of side {smallest['object side / image side']} "
        f"of the image ({smallest['images']} images): {smallest['GT-known loc. (%)']}% "
        f"GT-known, boxes {smallest[area]}× the true area; side "
        f"{largest['object side / image side']} ({largest['images']} images): "
        f"{largest['GT-known loc. (%)']}%, boxes {largest[area]}× the true area."
    )
else:
    text = "No GAP network was evaluated in this run."
display(Markdown(text))

# %% [markdown]
# ## Threshold sweep (MaxBoxAcc)
#
# BoxAcc at IoU 0.5 of the box from the true class's map as the map threshold varies (maps
# min-max normalised, as in MaxBoxAcc); the dashed line marks the paper's 20%. The table's
# numbers use the paper's fixed 20% of the maximum, not the best threshold of this sweep.

# %%
viz.show(sweep_figure)

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/table2/`) were produced.

# %%
results.provenance_table(params["out_dir"], "table2")
