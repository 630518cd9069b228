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
# # Table 2: Localization error on ILSVRC validation
#
# ```{admonition} Not reproduced yet
# :class: warning
# This page shows the paper's numbers only. The experiment that will reproduce it is not
# built yet, so the *reproduced* column says "not yet" on every row; no number on this
# page comes from this project.
# ```
#
# **The paper's claim.** CAM boxes from GAP networks localize better than backpropagation
# saliency and than the same network with global max pooling.
#
# **What will run.** Weakly-supervised localization: the box of each predicted class comes
# from its class activation map (keep pixels at or above 20% of the map's maximum, take
# the bounding box of the largest connected component), and a prediction counts as correct
# when the class is right and the box overlaps a ground-truth box with IoU ≥ 0.5. At `cpu`
# scale on the test split of the cluttered-silhouettes benchmark, whose boxes are exact:
# GAP against GMP and against backpropagation saliency (Simonyan et al.) on the FC
# network. At `full` scale the paper's networks on the ILSVRC 2012 validation set.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
networks = None
baselines = None
threshold = None
box_rule = None
eval_images = None

# %%
from cam_core import paper, profiles, results

params = profiles.validate_parameters(
    "table2",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    networks=networks,
    baselines=baselines,
    threshold=threshold,
    box_rule=box_rule,
    eval_images=eval_images,
)
profiles.parameters_table(params)

# %% [markdown]
# ## The paper's Table 2 and this project's numbers

# %%
with results.Experiment(params) as experiment:
    table = results.not_yet(paper.paper_table(2))
    experiment.write_csv("table2.csv", table)
    experiment.write_status("not yet")
table

# %% [markdown]
# *Table 2 (paper).* Localization error (%) on the ILSVRC validation set, top-1 and top-5.
# *Backprop* refers to using the saliency of Simonyan et al. for localization instead of
# CAM. Column *reproduced*: this project's value for the same row, "not yet" until the
# experiment is built.

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/table2/`) were produced.

# %%
results.provenance_table(params["out_dir"], "table2")
