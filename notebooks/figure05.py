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
# **What runs.** Two parts, at this profile's scale (table of parameters below):
#
# 1. *Real photos.* The ImageNet-pretrained EfficientNet-Lite0 (a GAP network: last conv
#    1280 channels, global average pooling, one linear layer) on photos that ship with
#    scikit-image, scikit-learn and matplotlib: the CAM of its top-1 class beside backprop
#    saliency and Grad-CAM of the same class, and the CAMs of the top-k classes of one photo.
#    Its last map is 7 x 7 at 224 px input and 14 x 14, the resolution of the paper's
#    GoogLeNet-GAP, at 448 px: the maps are shown at 14 x 14, and beside them the CAM of
#    the same class from the 7 x 7 map (`photo_input_sizes`).
# 2. *Held-out benchmark images.* The small GAP/GMP networks trained here on the
#    cluttered-silhouettes benchmark (this project's laptop-scale stand-in for ILSVRC, exact
#    object masks and boxes) beside backprop saliency of the small originals with
#    fully-connected layers. Here the claim gets numbers, over the held-out test images.
#
# At `full` scale the same code runs the paper's networks on ILSVRC validation images.

# %% tags=["parameters", "hide-input"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
networks = None  # GAP/GMP networks whose CAMs are shown
baseline_networks = None  # originals (FC layers) whose backprop saliency is shown
photo_model = None  # ImageNet model for the photos
photos = None  # bundled photos (cam_core.datasets.photos.PHOTO_NAMES)
photo_input_sizes = None  # px the photos are shown to photo_model at (sets its map size)
photo_methods = None  # maps shown for the photos: cam, backprop, gradcam
topk_photo = None  # the photo whose top-k class CAMs are shown
top_k = None
num_images = None  # benchmark images shown
eval_images = None  # benchmark test images scored (0: all)
normalisation = None  # max or minmax, per map
threshold = None  # share of a map's max that counts as highlighted

# %% tags=["hide-input"]
import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import display, profiles, results
from cam_core.items import map_benchmark

params = profiles.from_cell("figure05", globals())
result = map_benchmark.run(params, progress=print)
results.write_result(params, result)
display.verdict_box(result)

# %% [markdown]
# ## 1. Real photos: EfficientNet-Lite0
#
# Each row: the centre crop the network sees (448 x 448 for the 14 x 14 map), then the maps
# of its top-1 class (named at the left with its softmax probability); the last column is
# the CAM of the same class from the 7 x 7 map (the photo at 224 px), resized onto the crop.
# CAM and Grad-CAM in the jet colours (red = high) over the photo; backprop saliency in
# grey, as it is usually shown, stretched to its 99th percentile so that it is visible (its
# maximum is a single pixel). On a GAP network Grad-CAM equals the CAM up to a constant
# factor (its channel weights are the classifier row divided by the map's area;
# `tests/test_saliency.py` checks it).

# %% tags=["hide-input"]
display.show_figure(result, "figure05_photos")

# %% [markdown]
# The top-1 class and its probability at each map resolution.

# %% tags=["hide-input"]
display.show_table(result, "figure05_photo_classes")

# %% [markdown]
# CAMs of the most probable classes of one photo, from a single forward pass (one
# contraction of the same feature map with several classifier rows). A CAM shows where the
# evidence for a class lies, whether or not the class is likely.

# %% tags=["hide-input"]
display.show_figure(result, "figure05_topk")

# %% [markdown]
# ## 2. Held-out benchmark images: the GAP networks beside backprop
#
# The small networks stand for the paper's (GoogLeNet-GAP is `small-googlenet-gap`, and so
# on: `cam_core.items.recipe.SMALL`); they are trained here once on the training split with
# image labels only (the recipe of Table 1, cached) and shown on test images they never
# saw. Each column: a test image (its true class on top), below it the CAM of the true
# class from each GAP/GMP network, then backprop saliency of the same class from the
# originals with fully-connected layers (grey, stretched to the 99th percentile). At `full`
# scale the paper's networks run on ILSVRC validation images instead.

# %% tags=["hide-input"]
display.show_figure(result, "figure05_benchmark")

# %% [markdown]
# **The numbers.** Over the scored test images (the map of the true class): *coverage* is
# the share of the object's pixels (exact masks; at `full` scale the ground-truth boxes
# stand in) where the map is at least `threshold` of its maximum, the pixels a reader sees
# lit; *on object* is the share of those lit pixels that lie on the object (a map lighting
# the whole image would cover 100% of the object, but only as much of its light would be
# on the object as the object's share of the image). *mean IoU* and *box accuracy*
# (IoU >= 0.5) score the box the paper's rule draws from each map. All in percent.

# %% tags=["hide-input"]
display.show_table(result, "figure05_summary")

# %% [markdown]
# ## The paper's claims, checked on these numbers
#
# Each GAP network's CAM against backprop saliency of each original, on the same scored
# images, twice: once on coverage and once on the on-object share, so that a map lighting
# everything cannot win on coverage alone. Each claim is the difference of the two means
# (CAM minus backprop, in points) with its 95% paired-bootstrap interval over the images;
# it holds when the whole interval lies above 0, does not hold when it lies below, and is
# not distinguishable when it straddles 0. A GMP network's CAM is shown but not judged (the
# paper's claim is about GAP networks). A claim is not tested with too few scored images or
# a network within 10 points of chance.

# %% tags=["hide-input"]
display.claims_view(result)

# %% [markdown]
# ## Parameters and provenance

# %% tags=["hide-input"]
profiles.parameters_table(params)

# %% tags=["hide-input"]
results.provenance_table(params["out_dir"], "figure05")
