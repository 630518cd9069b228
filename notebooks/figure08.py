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
# ```{admonition} Not reproduced yet
# :class: warning
# This page describes the paper's figure only. The experiment that will reproduce it is
# not built yet; no image or number on this page comes from this project.
# ```
#
# **The paper's claim.** CAMs of linear SVMs on GAP features localize the discriminative
# regions of classes the network was never trained on.
#
# **What will run.** Generic discriminative localization: a linear SVM on GAP features for
# classes the network was never trained on, and the CAM built from the SVM's weights. At
# `cpu` scale EfficientNet-Lite0 GAP features on the bundled data sets; at `full` scale
# GoogLeNet-GAP on SUN397, Caltech256, Stanford Action40 and UIUC Event8.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
datasets = None
classes_per_dataset = None
images_per_class = None

# %%
from cam_core import profiles, results

params = profiles.validate_parameters(
    "figure08",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    datasets=datasets,
    classes_per_dataset=classes_per_dataset,
    images_per_class=images_per_class,
)
profiles.parameters_table(params)

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    experiment.write_status("not yet")
results.status_table(params["out_dir"], "figure08")

# %% [markdown]
# *Status of this figure.* The headline metric, the paper's value where it states one, and
# this project's value (empty until the experiment is built).

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure08/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure08")
