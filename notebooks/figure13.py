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
# # Figure 13: Class-specific units
#
# **The paper's claim.** The units with the largest classifier weights for a class detect
# object parts that are characteristic of that class. The paper ranks the units of the last
# convolutional layer of AlexNet*-GAP (trained on ImageNet, and on Places) by their softmax
# weight $w_k^c$ for a class, and shows for the top 3 units of three classes the images that
# activate each unit most, segmented by the unit's receptive field (for *classroom*: units
# for blackboards, chairs, tables). It gives no number.
#
# **What runs.** The same ranking, with a number:
#
# 1. *Real photos.* The ImageNet-pretrained EfficientNet-Lite0 (last conv 1280 channels,
#    GAP, one linear layer). Its map is 7 x 7 at 224 px input and 14 x 14, the resolution of
#    the paper's GoogLeNet-GAP, when the crops are enlarged to 448 px: the part runs once
#    per input size of `photo_input_sizes` on the same pool, is judged on the 14 x 14 run,
#    and shows the other beside it. The classes are its top-1 ImageNet classes for a few
#    bundled photos (e.g. *Egyptian cat* for `chelsea`). The image pool is a set of random
#    crops of every photo that ships with scikit-image, scikit-learn and matplotlib. For
#    each class, its top units by $w_k^c$; for each unit, the crops with the largest GAP
#    value of that unit, each segmented by the unit's own map (upsampled, thresholded at a
#    share of its max).
# 2. *Benchmark network.* The same for a small GAP network trained here on the
#    cluttered-silhouettes benchmark (the recipe of Table 1), on its held-out test images.
#
# **The number.** *Precision*: the share of the top units' top images that belong to the
# unit's class (a crop of the class's photo, or a benchmark image of that class), against
# chance (the class's share of the pool). Also the share of the class score
# $\sum_k w_k^c F_k$ that the top units carry on the class's own images. On the `smoke`
# profile the images are few and tiny and the benchmark network is barely trained: its
# numbers mean nothing.
#
# **At `full` scale** part 2 is the paper's experiment on a scene-trained GAP network: a
# Places checkpoint read from a local file (`weights`, default
# `<data_root>/places/<network>_places365.pth.tar`, e.g. CSAIL's ResNet-18 on Places365:
# a ResNet is itself a GAP network, its `fc` holds $w_k^c$; or this project's AlexNet*-GAP
# trained on Places205), with its categories file beside it
# (`data/manifests/places365-weights.yaml`). The pool is SUN397 (partition 1's test list,
# 50 images per class); a SUN397 image belongs to a Places class when the names agree
# (`dining_room` = *dining room*). Places and SUN397 were both gathered by web searches for
# scene names, so a pool image may also be a training image of the checkpoint.

# %% tags=["parameters", "hide-input"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
photo_model = None  # ImageNet CAM network for the photo part
photos = None  # bundled photos whose top-1 classes are studied
crops_per_photo = None  # crops of every bundled photo in the pool
image_size = None  # crop size in pixels
photo_input_sizes = None  # px the photo model sees each crop at, one run each (map size)
network = None  # benchmark network (trained with Table 1's recipe)
classes = None  # benchmark classes studied
eval_images = None  # held-out benchmark images in the pool
units_per_class = None
images_per_unit = None
threshold = None  # share of a unit map's max kept when segmenting
weights = None  # full: Places checkpoint file of the network; empty: the default path

# %% tags=["hide-input"]
import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import display, profiles, results
from cam_core.items import units

params = profiles.from_cell("figure13", globals())
result = units.run(params, progress=print)
results.write_result(params, result)
display.verdict_box(result)

# %% [markdown]
# ## 1. Real photos: EfficientNet-Lite0
#
# The classes: the network's top-1 ImageNet class for each photo.

# %% tags=["hide-input"]
display.show_table(result, "figure13_photo_classes")

# %% tags=["hide-input"]
display.show_figure(result, "figure13_photos")

# %% [markdown]
# The photo part at each map resolution: the precision of the top units' top images, its
# chance and the share of the class score the top units carry, on the same pool of crops.

# %% tags=["hide-input"]
display.show_table(result, "figure13_resolution")

# %% [markdown]
# ## 2. Benchmark network (at `full`: the Places network)
#
# The network trained on the cluttered-silhouettes benchmark by Table 1's recipe (cached:
# nothing is retrained when Table 1 ran first), on held-out test images of the benchmark;
# under each image, its class. At `full`: the Places checkpoint on the SUN397 pool, under
# each image its SUN397 class.

# %% tags=["hide-input"]
display.show_figure(result, "figure13_benchmark")

# %% [markdown]
# ## The units, one row each
#
# Per unit: its network, map resolution, class, rank, weight $w_k^c$, the share of its top
# images that belong to its class (precision), and that share for a random draw (chance).

# %% tags=["hide-input"]
display.show_table(result, "figure13_units")

# %% [markdown]
# ## The paper's claims, checked on these numbers
#
# One claim per part: the share of the top units' top images that belong to the unit's
# class, with an exact binomial interval over those images. It holds when the whole
# interval lies above one half and above twice chance (chance: the class's share of the pool),
# does not hold when it lies wholly below, and is not distinguishable otherwise. A part is
# not tested when a class has fewer pool images than top images per unit, or (benchmark
# network) when the network is within 10 points of chance on its pool. Below `full` the
# paper's Places experiment is not run.

# %% tags=["hide-input"]
display.claims_view(result)

# %% [markdown]
# ## Parameters and provenance

# %% tags=["hide-input"]
profiles.parameters_table(params)

# %% tags=["hide-input"]
results.provenance_table(params["out_dir"], "figure13")
