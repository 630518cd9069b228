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
# # Figure 11: A weakly supervised text detector
#
# ```{admonition} Not reproduced yet
# :class: warning
# This page describes the paper's figure only. The experiment that will reproduce it is
# not built yet; no image or number on this page comes from this project.
# ```
#
# **The paper's claim.** A linear SVM trained on GAP features of text versus non-text
# images localizes the text in its CAMs, without any box annotation.
#
# **What will run.** A weakly supervised text detector: a linear SVM on GAP features of
# images with text (Street View Text) against images without (SUN), and its CAMs, which
# should highlight the text. At `cpu` scale, text crops of the bundled photos against
# other crops.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
positives = None
negatives = None
num_examples = None

# %%
from cam_core import profiles, results

params = profiles.validate_parameters(
    "figure11",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    positives=positives,
    negatives=negatives,
    num_examples=num_examples,
)
profiles.parameters_table(params)

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    experiment.write_status("not yet")
results.status_table(params["out_dir"], "figure11")

# %% [markdown]
# *Status of this figure.* The headline metric, the paper's value where it states one, and
# this project's value (empty until the experiment is built).

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure11/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure11")
