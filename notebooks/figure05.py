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
# # Figure 5: CAMs of the GAP networks beside backpropagation saliency
#
# ```{admonition} Not reproduced yet
# :class: warning
# This page describes the paper's figure only. The experiment that will reproduce it is
# not built yet; no image or number on this page comes from this project.
# ```
#
# **The paper's claim.** CAMs highlight the discriminative object regions, and more of the
# object than backpropagation saliency does.
#
# **What will run.** Class activation maps of the top predicted class from the GAP
# networks beside the class-specific saliency of backpropagation. At `cpu` scale: the
# small GAP network on cluttered silhouettes and EfficientNet-Lite0 on bundled real photos
# (with Grad-CAM as a modern baseline); at `full` scale the paper's networks on ILSVRC
# validation images.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
networks = None
baselines = None
num_images = None
normalisation = None

# %%
from cam_core import profiles, results

params = profiles.validate_parameters(
    "figure05",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    networks=networks,
    baselines=baselines,
    num_images=num_images,
    normalisation=normalisation,
)
profiles.parameters_table(params)

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    experiment.write_status("not yet")
results.status_table(params["out_dir"], "figure05")

# %% [markdown]
# *Status of this figure.* The headline metric, the paper's value where it states one, and
# this project's value (empty until the experiment is built).

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure05/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure05")
