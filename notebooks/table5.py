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
# # Table 5: Linear-SVM accuracy of deep features on eight datasets
#
# **The paper's claim.** GAP features of a GAP network are as good generic features as the
# average-pool features of the original network, and better than AlexNet fc7. The paper
# trains a linear SVM on three kinds of deep features (fc7 of AlexNet, the average pool of
# GoogLeNet, the GAP layer of GoogLeNet-GAP, all trained on ImageNet) for eight scene and
# object datasets it never trained on, and reports test accuracy.
#
# **What runs here.** The same protocol: features of one layer of each network, a linear
# SVM (features L2-normalised, one-vs-rest, `C` chosen by 3-fold cross-validation on the
# training split only), test accuracy as mean ± standard deviation over fixed splits.
# At `full` scale the paper's networks and datasets (`data/manifests/`). At `cpu` scale
# **the datasets are not the paper's**: the target sets are real image sets that install
# with Python packages (MNIST digits, Animal-MNIST silhouettes, scikit-learn's 8×8
# digits, LFW faces against background patches, and crops of the 21 bundled photos with
# train and test crops from disjoint strips of each photo). The networks are the small
# family trained here on the cluttered-silhouettes benchmark (their fc7, average pool and
# GAP layers stand in for AlexNet, GoogLeNet and GoogLeNet-GAP), plus the GAP layer of the
# ImageNet-pretrained EfficientNet-Lite0, the only network here trained on natural images.
# Numbers on the two sides of the page are therefore not comparable cell by cell; the
# claims are compared, not the values.
#
# On the `smoke` profile (CI) the networks are tiny, trained for one epoch on a few dozen
# images, and each target set has a few images: its numbers mean nothing.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
feature_sets = None  # networks whose fc7 / ave pool / GAP layer gives the features
datasets = None  # target sets
images_per_class = None  # images per class in each target set (0: all)
splits = None  # train/test splits averaged
train_fraction = None  # share of each class used for training (random splits)

# %%
from pathlib import Path

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import display, paper, profiles, results
from cam_core.items import table5 as items_table5
from cam_core.synthetic import targets as synthetic_targets

params = profiles.from_cell("table5", globals())
cache_dir = Path(params["out_dir"]) / "cache" / "features"
profiles.parameters_table(params)

# %% [markdown]
# ## Target sets and their splits

# %%
targets = items_table5.load_targets(params["datasets"], params)
split_sets = {
    t.name: synthetic_targets.make_splits(
        t, params["splits"], params["train_fraction"], params["seed"]
    )
    for t in targets
}
display.readable(items_table5.targets_table(targets, split_sets))

# %% [markdown]
# *Target sets.* Random splits are stratified (the same share of every class in train)
# with seeds `seed`, `seed`+1, ...; photo-textures uses spatial folds instead: split *s*
# tests on strip *s* of every photo and trains on the others.
#
# ## Feature sets

# %%
feature_list = items_table5.build_feature_sets(params["feature_sets"], params)
items_table5.feature_sets_table(feature_list)

# %% [markdown]
# *Feature sets.* The small networks are those of Table 1 (trained on the benchmark, first
# seed, read from the model cache); they see the target images resized to the size they
# were trained at. EfficientNet-Lite0 sees them at 224 px.
#
# ## The paper's Table 5 and this project's

# %%
tidy = items_table5.transfer_results(
    feature_list,
    targets,
    split_sets,
    cache_dir,
    seed=params["seed"],
    device=params["device"],
)
items_table5.paper_table5_view(paper.paper_table(5))

# %% [markdown]
# *Table 5 (paper).* Linear-SVM classification accuracy (%) on eight scene and object
# datasets (SUN Attribute: average precision over its attributes), features of networks
# trained on ImageNet.

# %%
ours = items_table5.table5_view(tidy)
ours

# %% [markdown]
# *Table 5 (this project, this profile).* Linear-SVM test accuracy (%), mean ± standard
# deviation over the splits above; rows are feature sets, columns target sets. Different
# datasets from the paper's (see the top of the page).
#
# ## The claims

# %%
claims = items_table5.table5_claims(tidy, feature_list)
display.readable(claims, index=False)

# %% [markdown]
# *Claims.* "As good as" allows a 2-point shortfall of the mean accuracy (the paper's
# GoogLeNet-GAP is within 1.4 points of GoogLeNet on every dataset); "beat" compares mean
# accuracies over the target sets; the evidence column also counts the target sets on
# which each comparison holds one by one.

# %%
with results.Experiment(params) as experiment:
    experiment.write_csv("table5.csv", tidy)
    experiment.write_csv("table5_summary.csv", items_table5.summary_table(tidy))
    experiment.write_csv("table5_claims.csv", claims)
    experiment.write_status(
        **items_table5.table5_status(tidy, claims, feature_list, params["profile"])
    )
results.status_table(params["out_dir"], "table5")

# %% [markdown]
# *Status.* The headline value is the mean accuracy of the GAP features of the GAP network
# over the target sets (the paper's headline cell is SUN397). The status is "partial" below
# `full` scale because the datasets are not the paper's.
#
# ## Per split
#
# Every SVM: its split, the `C` that cross-validation chose on the training part, and its
# test accuracy (all columns in `results/<profile>/table5/table5.csv`).

# %%
display.readable(
    tidy[["features", "dataset", "split", "C", "train_images", "accuracy"]], precision=2
)

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/table5/`) were produced.

# %%
results.provenance_table(params["out_dir"], "table5")
