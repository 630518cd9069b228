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
# # Figure 9: Informative objects for scene categories
#
# ```{admonition} Not reproduced yet
# :class: warning
# This page describes the paper's figure only. The experiment that will reproduce it is
# not built yet; no image or number on this page comes from this project.
# ```
#
# **The paper's claim.** The high-activation regions of scene CAMs overlap the objects
# that are informative for the scene, not merely the most frequent ones.
#
# **What will run.** Informative objects for scene categories: one-vs-all linear SVMs on
# GAP features per scene class, the CAM of each image, and for each class the objects that
# most often overlap the CAM's high-activation region against the objects that are merely
# most frequent. At `full` scale on the annotated scenes of SUN2012; at `cpu` scale on
# generated scenes whose objects are known.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
scene_classes = None
top_objects = None
threshold = None

# %%
from cam_core import profiles, results

params = profiles.validate_parameters(
    "figure09",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    scene_classes=scene_classes,
    top_objects=top_objects,
    threshold=threshold,
)
profiles.parameters_table(params)

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    experiment.write_status("not yet")
results.status_table(params["out_dir"], "figure09")

# %% [markdown]
# *Status of this figure.* The headline metric, the paper's value where it states one, and
# this project's value (empty until the experiment is built).

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure09/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure09")
