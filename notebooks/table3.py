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
# # Table 3: Localization error on ILSVRC test, weak and full supervision
#
# ```{admonition} Not reproduced yet
# :class: warning
# This page shows the paper's numbers only. The experiment that will reproduce it is not
# built yet, so the *reproduced* column says "not yet" on every row; no number on this
# page comes from this project.
# ```
#
# **The paper's claim.** Weakly-supervised CAM with the tight+loose box heuristic comes
# close to the fully supervised AlexNet localizer (37.1 vs 34.2 top-5 error).
#
# **What will run.** The tight+loose heuristic of the paper: one tight box for each of the
# top two predicted classes and one loose box for the third, evaluated as top-5
# localization error. The ILSVRC test labels are not public, so at `full` scale this table
# will be measured on the validation set and say so; the fully supervised rows (GoogLeNet,
# OverFeat, AlexNet) are quoted from the paper, not rerun. At `cpu` scale the same
# heuristic runs on the cluttered-silhouettes test split.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
network = None
heuristic = None
threshold = None
eval_images = None

# %%
from cam_core import paper, profiles, results

params = profiles.validate_parameters(
    "table3",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    network=network,
    heuristic=heuristic,
    threshold=threshold,
    eval_images=eval_images,
)
profiles.parameters_table(params)

# %% [markdown]
# ## The paper's Table 3 and this project's numbers

# %%
with results.Experiment(params) as experiment:
    table = results.not_yet(paper.paper_table(3))
    experiment.write_csv("table3.csv", table)
    experiment.write_status("not yet")
table

# %% [markdown]
# *Table 3 (paper).* Localization error (%, top-5) on the ILSVRC test set for weakly and
# fully supervised methods. *Heuristics* is the tight+loose box selection. Column
# *reproduced*: this project's value for the same row, "not yet" until the experiment is
# built.

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/table3/`) were produced.

# %%
results.provenance_table(params["out_dir"], "table3")
