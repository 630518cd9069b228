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
# # Figure 8: Generic discriminative localization with GAP features
#
# **The paper's claim.** CAMs of linear SVMs on GAP features localize the discriminative
# regions of classes the network was never trained on. The paper trains a linear SVM on
# GoogLeNet-GAP's GAP features for each of four Table 5 datasets (Stanford Action40,
# Caltech256, SUN397, UIUC Event8) and draws, for two images of three classes each, the
# CAM built from the SVM's weights: the mop for *cleaning the floor*, the pan and bowl for
# *cooking*.
#
# **What runs here.** The same: a linear SVM on the GAP features of a GAP network (Table
# 5's protocol and first split), and M_c(x, y) = Σ_k w_ck f_k(x, y) with the SVM's weights
# w_c for the class it predicts. The SVM sees L2-normalised GAP vectors, which divides each
# image's scores by a positive constant: the CAM's shape and box do not change. At `cpu`
# scale the network is the ImageNet-pretrained EfficientNet-Lite0 and the target sets are
# this project's (Table 5): crops of the bundled photos (which photo a crop comes from),
# the cluttered-silhouettes benchmark (animal classes among clutter, exact boxes) and the
# clean Animal-MNIST silhouettes. None of these labels is an ImageNet class. Where boxes
# exist the figure gets a number: how often the CAM's peak falls inside the object box
# (against the chance of a random point, the box's share of the image), and how often the
# CAM's box has IoU ≥ 0.5 with it. On the `smoke` profile (CI) the network is tiny and
# barely trained: its pictures and numbers mean nothing.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
network = None  # the GAP network whose GAP features the SVMs use
datasets = None  # target sets
classes_per_dataset = None  # classes shown per target set
images_per_class = None  # test images shown per class
eval_images = None  # test images per class scored where boxes exist (0: all)

# %%
from pathlib import Path

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import display, profiles, results, viz
from cam_core.items import svm_cams
from cam_core.items import table5 as items_table5
from cam_core.synthetic import targets as synthetic_targets

params = profiles.from_cell("figure08", globals())
# Table 5's target-set pools and splits, so that the SVMs here are Table 5's first split.
table5 = profiles.validate_parameters(
    "table5", **{k: params[k] for k in ("profile", "data_root", "out_dir", "device", "seed")}
)
cache_dir = Path(params["out_dir"]) / "cache" / "features"
profiles.parameters_table(params)

# %%
fs = items_table5.build_feature_sets([params["network"]], table5)[0]
targets = items_table5.load_targets(params["datasets"], table5)
runs = [
    svm_cams.svm_cam_localization(
        fs,
        target,
        synthetic_targets.make_splits(target, 1, table5["train_fraction"], table5["seed"])[0],
        cache_dir,
        eval_images=params["eval_images"],
        show_classes=params["classes_per_dataset"],
        show_per_class=params["images_per_class"],
        seed=params["seed"],
        device=params["device"],
    )
    for target in targets
]
cells, rows, captions = svm_cams.figure8_rows(runs)
figure = viz.image_grid(cells, row_titles=rows, captions=captions, title=f"SVM-CAMs on {fs.label}")
viz.show(figure)

# %% [markdown]
# *Figure 8 (this project, this profile).* Per target set: test images of classes spread
# over its label set (top row, captioned with the true class) and the CAM of the class the
# SVM predicts for each (bottom row, captioned with that class), with the CAM's box in red
# and the object box in green where the target set has one.

# %% [markdown]
# ## How well the SVM-CAMs localize

# %%
summary = svm_cams.localization_summary(runs)
display.readable(summary)

# %% [markdown]
# *Localization.* Per target set: the SVM's test accuracy on the first split, and where
# object boxes exist, over the first `eval_images` test images of every class: the share
# whose CAM peak lies inside the object box (beside chance: the mean share of the image
# the box covers) and whose CAM box has IoU ≥ 0.5 with it.

# %%
with results.Experiment(params) as experiment:
    experiment.save_figure("figure08.png", figure)
    experiment.write_csv("figure08_localization.csv", summary.reset_index())
    experiment.write_status(**svm_cams.figure8_status(summary, params["profile"]))
results.status_table(params["out_dir"], "figure08")

# %% [markdown]
# *Status of this figure.* The headline number is the peak-in-box share of the first
# target set with boxes; the claim holds when, on every target set with boxes, the CAM
# peak lands in the box at least 1.5 times as often as a random point would. The paper
# shows the figure without a number.
#
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure08/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure08")
