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
# # Table 4: Fine-grained classification on CUB-200-2011
#
# ```{admonition} Not reproduced yet
# :class: warning
# This page shows the paper's numbers only. The experiment that will reproduce it is not
# built yet, so the *reproduced* column says "not yet" on every row; no number on this
# page comes from this project.
# ```
#
# **The paper's claim.** Re-training the linear SVM on GAP features of the CAM-inferred
# crop improves fine-grained accuracy over the full image by about 5 points.
#
# **What will run.** Fine-grained recognition with GAP features and a linear SVM: on the
# full image, on the crop inferred from the CAM box, and on the ground-truth box. At
# `full` scale on CUB-200-2011 with GoogLeNet-GAP; at `cpu` scale on a fine-grained split
# of the cluttered-silhouettes benchmark with a small GAP network. The part-based methods
# (Alignments, DPD, DeCAF+DPD, PANDA R-CNN) are quoted from the paper, not rerun.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
network = None
crop_threshold = None
svm_C = None
images_per_class = None

# %%
from cam_core import paper, profiles, results

params = profiles.validate_parameters(
    "table4",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    network=network,
    crop_threshold=crop_threshold,
    svm_C=svm_C,
    images_per_class=images_per_class,
)
profiles.parameters_table(params)

# %% [markdown]
# ## The paper's Table 4 and this project's numbers

# %%
with results.Experiment(params) as experiment:
    table = results.not_yet(paper.paper_table(4))
    experiment.write_csv("table4.csv", table)
    experiment.write_status("not yet")
table

# %% [markdown]
# *Table 4 (paper).* Fine-grained classification accuracy (%) on CUB-200-2011;
# *annotation* is what training and testing use beyond class labels. Column *reproduced*:
# this project's value for the same row, "not yet" until the experiment is built.

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/table4/`) were produced.

# %%
results.provenance_table(params["out_dir"], "table4")
