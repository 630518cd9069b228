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
# # Figure 12: Image regions behind visual question answers
#
# ```{admonition} Not reproduced yet
# :class: warning
# This page describes the paper's figure only. The experiment that will reproduce it is
# not built yet; no image or number on this page comes from this project.
# ```
#
# **The paper's claim.** A bag-of-words question plus GAP image feature baseline answers
# questions, and the CAM of the predicted answer highlights the relevant image region.
#
# **What will run.** Visual question answering: a bag-of-words question feature
# concatenated with the GAP image feature and a linear classifier over answers (the paper
# reports 55.89% overall accuracy on VQA), and the CAM of the predicted answer. `full`
# scale only needs the VQA data under `data_root`; the `cpu` stand-in asks generated
# questions about cluttered silhouettes.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
answers = None
num_examples = None

# %%
from cam_core import profiles, results

params = profiles.validate_parameters(
    "figure12",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    answers=answers,
    num_examples=num_examples,
)
profiles.parameters_table(params)

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    experiment.write_status("not yet")
results.status_table(params["out_dir"], "figure12")

# %% [markdown]
# *Status of this figure.* The headline metric, the paper's value where it states one, and
# this project's value (empty until the experiment is built).

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure12/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure12")
