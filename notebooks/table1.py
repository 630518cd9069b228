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
# # Table 1: Classification error on ILSVRC validation
#
# ```{admonition} Not reproduced yet
# :class: warning
# This page shows the paper's numbers only. The experiment that will reproduce it is not
# built yet, so the *reproduced* column says "not yet" on every row; no number on this
# page comes from this project.
# ```
#
# **The paper's claim.** Replacing the fully-connected layers by global average pooling
# costs only 1-2 points of classification error, and GAP and GMP classify about equally
# well.
#
# **What will run.** At `cpu` scale, one small convolutional family trained here on the
# cluttered-silhouettes benchmark in three heads: last conv → global average pooling →
# linear (GAP), the same with global max pooling (GMP), and a fully-connected head (FC),
# reporting top-1 and top-5 classification error on its validation split. At `full` scale,
# AlexNet, VGG16 and GoogLeNet converted as in the paper (cut after conv5, conv5_3 and
# inception4e, then a 3×3, 1024-unit convolution, GAP and a linear layer), AlexNet*-GAP
# and GoogLeNet-GMP, fine-tuned from torchvision ImageNet weights, beside the unmodified
# networks, on the ILSVRC 2012 validation set. NIN is quoted from the paper, not rebuilt.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
networks = None
epochs = None
train_images = None
val_images = None
image_size = None
batch_size = None

# %%
from cam_core import paper, profiles, results

params = profiles.validate_parameters(
    "table1",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    networks=networks,
    epochs=epochs,
    train_images=train_images,
    val_images=val_images,
    image_size=image_size,
    batch_size=batch_size,
)
profiles.parameters_table(params)

# %% [markdown]
# ## The paper's Table 1 and this project's numbers

# %%
with results.Experiment(params) as experiment:
    table = results.not_yet(paper.paper_table(1))
    experiment.write_csv("table1.csv", table)
    experiment.write_status("not yet")
table

# %% [markdown]
# *Table 1 (paper).* Classification error (%) on the ILSVRC validation set, top-1 and
# top-5, as printed in the paper. Column *reproduced*: this project's value for the same
# row, "not yet" until the experiment is built.

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/table1/`) were produced.

# %%
results.provenance_table(params["out_dir"], "table1")
