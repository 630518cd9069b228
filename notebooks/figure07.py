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
# # Figure 7: CAMs and inferred boxes on fine-grained birds
#
# ```{admonition} Not reproduced yet
# :class: warning
# This page describes the paper's figure only. The experiment that will reproduce it is
# not built yet; no image or number on this page comes from this project.
# ```
#
# **The paper's claim.** CAMs of a GAP network localize fine-grained objects well enough
# that 41.0% of the inferred boxes reach IoU 0.5 with the ground truth.
#
# **What will run.** CAMs and inferred boxes on fine-grained classes, and the fraction of
# inferred boxes with IoU ≥ 0.5 against the ground truth (the paper reports 41.0% on
# CUB-200-2011). At `cpu` scale on the fine-grained split of the cluttered-silhouettes
# benchmark; at `full` scale GoogLeNet-GAP on CUB-200-2011.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
network = None
num_classes = None
images_per_class = None
threshold = None

# %%
from cam_core import profiles, results

params = profiles.validate_parameters(
    "figure07",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    network=network,
    num_classes=num_classes,
    images_per_class=images_per_class,
    threshold=threshold,
)
profiles.parameters_table(params)

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    experiment.write_status("not yet")
results.status_table(params["out_dir"], "figure07")

# %% [markdown]
# *Status of this figure.* The headline metric, the paper's value where it states one, and
# this project's value (empty until the experiment is built).

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure07/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure07")
