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
# # Figure 13: Class-specific units
#
# ```{admonition} Not reproduced yet
# :class: warning
# This page describes the paper's figure only. The experiment that will reproduce it is
# not built yet; no image or number on this page comes from this project.
# ```
#
# **The paper's claim.** The units with the largest classifier weights for a class detect
# object parts that are characteristic of that class.
#
# **What will run.** Class-specific units: for a class, the units of the last
# convolutional layer with the largest classifier weights, each shown by the images that
# activate it most, segmented by the unit's receptive field. At `full` scale AlexNet*-GAP
# on ImageNet and Places; at `cpu` scale the small GAP network on cluttered silhouettes.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
network = None
num_classes = None
units_per_class = None
images_per_unit = None

# %%
from cam_core import profiles, results

params = profiles.validate_parameters(
    "figure13",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    network=network,
    num_classes=num_classes,
    units_per_class=units_per_class,
    images_per_unit=images_per_unit,
)
profiles.parameters_table(params)

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    experiment.write_status("not yet")
results.status_table(params["out_dir"], "figure13")

# %% [markdown]
# *Status of this figure.* The headline metric, the paper's value where it states one, and
# this project's value (empty until the experiment is built).

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure13/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure13")
