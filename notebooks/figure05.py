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
# **The paper's claim.** CAMs highlight the discriminative object regions, and more of the
# object than backpropagation saliency does. The paper's figure shows the CAMs of its GAP
# networks (GoogLeNet-GAP, VGG-GAP, AlexNet-GAP, NIN) beside the class-specific saliency of
# backpropagation (Simonyan et al.) on AlexNet and GoogLeNet, for ILSVRC validation images.
# It gives no number.
#
# **What runs here.** Two parts, at this profile's scale (table of parameters below):
#
# 1. *Real photos.* The ImageNet-pretrained EfficientNet-Lite0 (a GAP network: last conv
#    1280 x 7 x 7, global average pooling, one linear layer) on photos that ship with
#    scikit-image, scikit-learn and matplotlib: the CAM of its top-1 class beside backprop
#    saliency and Grad-CAM of the same class, and the CAMs of the top-5 classes of one photo.
# 2. *Held-out benchmark images.* The small GAP/GMP networks trained here on the
#    cluttered-silhouettes benchmark (this project's laptop-scale stand-in for ILSVRC, exact
#    object masks and boxes) beside backprop saliency of the small originals with
#    fully-connected layers. Here the claim gets a number: the share of the object's pixels
#    that each map highlights, over the held-out test images.
#
# At `full` scale the same code runs the paper's networks on ILSVRC validation images.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
networks = None  # GAP/GMP networks whose CAMs are shown
baseline_networks = None  # originals (FC layers) whose backprop saliency is shown
photo_model = None  # ImageNet model for the photos
photos = None  # bundled photos (cam_core.data.PHOTO_NAMES)
photo_methods = None  # maps shown for the photos: cam, backprop, gradcam
topk_photo = None  # the photo whose top-k class CAMs are shown
top_k = None
num_images = None  # benchmark images shown
eval_images = None  # benchmark test images scored (0: all)
normalisation = None  # max or minmax, per map
threshold = None  # share of a map's max that counts as highlighted

# %%
import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core import figures, models, profiles, results, viz

params = profiles.validate_parameters(
    "figure05",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    networks=networks,
    baseline_networks=baseline_networks,
    photo_model=photo_model,
    photos=photos,
    photo_methods=photo_methods,
    topk_photo=topk_photo,
    top_k=top_k,
    num_images=num_images,
    eval_images=eval_images,
    normalisation=normalisation,
    threshold=threshold,
)
profiles.parameters_table(params)

# %% [markdown]
# ## 1. Real photos: EfficientNet-Lite0
#
# Each row: the 224 x 224 centre crop the network sees, then the maps of its top-1 class
# (named at the left with its softmax probability). CAM and Grad-CAM in the jet colours
# (red = high) over the photo; backprop saliency in grey, as it is usually shown, stretched
# to its 99th percentile so that it is visible (its maximum is a single pixel).

# %%
photo_net = models.build_model(params["photo_model"], 1000)
categories = models.imagenet_categories()
panel = figures.photo_panel(
    photo_net,
    params["photos"],
    categories,
    params["photo_methods"],
    params["normalisation"],
    params["threshold"],
)
photo_figure = viz.map_grid(
    panel.crops,
    panel.columns(),
    styles={"Backprop": "gray"},
    row_titles=panel.row_titles(),
    title=f"{params['photo_model']}: top-1 class maps",
)
viz.show(photo_figure)

# %% [markdown]
# *Reading it.* The CAM covers the cat's face, the cup, the rocket, the motorcycle's body
# and tank; backprop saliency is a sparse scatter of pixels along edges and texture. On a
# GAP network Grad-CAM is the CAM up to a constant factor (its weights are the classifier
# row divided by the map's area; `tests/test_saliency.py` checks it), so the two columns
# agree: Grad-CAM differs from CAM only on networks with other heads.
#
# CAMs of the five most probable classes of one photo, from a single forward pass: the
# classes share most of the evidence, with shifts (the lynx map leans to the ear tufts and
# the muzzle).

# %%
crop, topk_maps, topk_names, topk_probs = figures.topk_panel(
    photo_net, params["topk_photo"], categories, params["top_k"], params["normalisation"]
)
topk_figure = viz.topk_strip(
    crop,
    topk_maps,
    topk_names,
    topk_probs,
    title=f"{params['topk_photo']}: CAMs of the top-{params['top_k']} classes",
)
viz.show(topk_figure)

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    experiment.save_figure("figure05_photos.png", photo_figure)
    experiment.save_figure("figure05_topk.png", topk_figure)
    experiment.write_status("partial", notes="photos only; benchmark part not reproduced yet")
results.status_table(params["out_dir"], "figure05")

# %% [markdown]
# *Status of this figure.* The headline metric, the paper's value where it states one, and
# this project's value.

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure05/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure05")
