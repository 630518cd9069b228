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
# # Figure 10: Concepts localized in weakly labeled images
#
# ```{admonition} Not reproduced yet
# :class: warning
# This page describes the paper's figure only. The experiment that will reproduce it is
# not built yet; no image or number on this page comes from this project.
# ```
#
# **The paper's claim.** A concept detector trained by hard-negative mining on weakly
# labeled images localizes abstract concepts in its CAMs.
#
# **What will run.** Concept localization in weakly labeled images: a concept detector
# trained by hard-negative mining on GAP features (positives: images whose caption holds
# the phrase; negatives: random others), and its CAMs. At `full` scale on captioned
# images; at `cpu` scale on generated images with known texture concepts.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
concepts = None
positives = None
negatives = None
hard_negative_rounds = None

# %%
from cam_core import profiles, results

params = profiles.validate_parameters(
    "figure10",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    concepts=concepts,
    positives=positives,
    negatives=negatives,
    hard_negative_rounds=hard_negative_rounds,
)
profiles.parameters_table(params)

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    experiment.write_status("not yet")
results.status_table(params["out_dir"], "figure10")

# %% [markdown]
# *Status of this figure.* The headline metric, the paper's value where it states one, and
# this project's value (empty until the experiment is built).

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure10/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure10")
