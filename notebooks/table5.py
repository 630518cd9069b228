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
# ```{admonition} Not reproduced yet
# :class: warning
# This page shows the paper's numbers only. The experiment that will reproduce it is not
# built yet, so the *reproduced* column says "not yet" on every row; no number on this
# page comes from this project.
# ```
#
# **The paper's claim.** GAP features of a GAP network are as good generic features as the
# average-pool features of the original network, and better than AlexNet fc7.
#
# **What will run.** Deep features as generic features: a linear SVM trained on AlexNet
# fc7, GoogLeNet average-pool and GoogLeNet-GAP GAP features for eight scene and object
# datasets (`full` scale, datasets per `data/manifests/`). At `cpu` scale the same
# comparison on the bundled data: GAP versus fully-connected features of the small
# networks and the GAP features of the ImageNet-pretrained EfficientNet-Lite0.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
feature_sets = None
datasets = None
svm_C = None
images_per_class = None

# %%
from cam_core import paper, profiles, results

params = profiles.validate_parameters(
    "table5",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    feature_sets=feature_sets,
    datasets=datasets,
    svm_C=svm_C,
    images_per_class=images_per_class,
)
profiles.parameters_table(params)

# %% [markdown]
# ## The paper's Table 5 and this project's numbers

# %%
with results.Experiment(params) as experiment:
    table = results.not_yet(paper.paper_table(5))
    experiment.write_csv("table5.csv", table)
    experiment.write_status("not yet")
table

# %% [markdown]
# *Table 5 (paper).* Linear-SVM classification accuracy (%) of three kinds of deep
# features on eight scene and object datasets (one row per feature and dataset). Column
# *reproduced*: this project's value for the same row, "not yet" until the experiment is
# built.

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/table5/`) were produced.

# %%
results.provenance_table(params["out_dir"], "table5")
