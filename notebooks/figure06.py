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
# # Figure 6: Localization examples, ground truth and CAM boxes
#
# ```{admonition} Not reproduced yet
# :class: warning
# This page describes the paper's figure only. The experiment that will reproduce it is
# not built yet; no image or number on this page comes from this project.
# ```
#
# **The paper's claim.** The boxes inferred from CAMs (red) match the ground-truth boxes
# (green) better than boxes from backpropagation saliency.
#
# **What will run.** Localization examples with the ground-truth box in green and the box
# inferred from the CAM in red, and the same for backpropagation saliency of a network
# with fully-connected layers. At `cpu` scale on the cluttered-silhouettes test split; at
# `full` scale GoogLeNet-GAP and AlexNet on ILSVRC validation images.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
network = None
baseline_network = None
num_images = None
threshold = None

# %%
from cam_core import profiles, results

params = profiles.validate_parameters(
    "figure06",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    network=network,
    baseline_network=baseline_network,
    num_images=num_images,
    threshold=threshold,
)
profiles.parameters_table(params)

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    experiment.write_status("not yet")
results.status_table(params["out_dir"], "figure06")

# %% [markdown]
# *Status of this figure.* The headline metric, the paper's value where it states one, and
# this project's value (empty until the experiment is built).

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure06/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure06")
