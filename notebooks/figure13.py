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
# **What runs here.** The same ranking, with a number:
#
# 1. *Real photos.* The ImageNet-pretrained EfficientNet-Lite0 (last conv 1280 x 7 x 7, GAP,
#    one linear layer). The classes are its top-1 ImageNet classes for a few bundled photos
#    (e.g. *Egyptian cat* for `chelsea`). The image pool is a set of random crops of every
#    photo that ships with scikit-image, scikit-learn and matplotlib. For each class, its top
#    units by $w_k^c$; for each unit, the crops with the largest GAP value of that unit, each
#    segmented by the unit's own map (upsampled, thresholded at a share of its max).
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

# %% tags=["parameters"]
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
network = None  # benchmark network (trained with Table 1's recipe)
classes = None  # benchmark classes studied
eval_images = None  # held-out benchmark images in the pool
units_per_class = None
images_per_unit = None
threshold = None  # share of a unit map's max kept when segmenting
weights = None  # full: Places checkpoint file of the network; empty: the default path

# %%
import pandas as pd

import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import profiles, results, viz
from cam_core.datasets import places
from cam_core.items import discovery, units
from cam_core.items import units as items_units
from cam_core.nets import registry

params = profiles.from_cell("figure13", globals())
profiles.parameters_table(params)

# %% [markdown]
# ## 1. Real photos: EfficientNet-Lite0
#
# The classes: the network's top-1 ImageNet class for each photo.

# %%
photo_net = registry.build_model(params["photo_model"], 1000)
photo_result, photo_classes = units.photo_units(
    photo_net,
    params["photo_model"],
    params["photos"],
    params["crops_per_photo"],
    params["units_per_class"],
    params["images_per_unit"],
    params["threshold"],
    size=params["image_size"],
    seed=params["seed"],
    cache_dir=discovery.feature_cache(params),
)
photo_classes

# %% [markdown]
# Each row: one of the top units of a class (named at the left, best first), then the pool
# crops that activate that unit most, left to right, darkened outside the unit's region;
# under each crop, the photo it was cut from.

# %%
photo_figure = units.units_figure(photo_result, title=f"{params['photo_model']}: top units")
viz.show(photo_figure)

# %% [markdown]
# Per unit: its weight $w_k^c$, the share of its top crops cut from the class's photo
# (precision), and that share for a random draw (chance).

# %%
photo_result.table.round(3)

# %% [markdown]
# ## 2. Benchmark network (at `full`: the Places network)
#
# The network trained on the cluttered-silhouettes benchmark by Table 1's recipe (cached:
# nothing is retrained when Table 1 ran first), on held-out test images of the benchmark;
# under each image, its class. At `full`: the Places checkpoint on the SUN397 pool, under
# each image its SUN397 class.

# %%
pool = units.benchmark_pool(params)
bench_result = bench_figure = None
if params["profile"] == "full":
    weights_path = places.weights_file(params["data_root"], params["network"], params["weights"])
    places_net, categories = places.load_places_model(params["network"], weights_path)
    bench_result = items_units.places_units(params, places_net, categories, params["network"])
    bench_figure = units.units_figure(
        bench_result, title=f"{params['network']} ({weights_path.name}): top units"
    )
    display(viz.show(bench_figure), bench_result.table.round(3))  # noqa: F821
elif pool is not None:
    bench_net, bench_images, bench_labels, bench_classes = pool
    bench_result = units.benchmark_units(
        bench_net,
        bench_images,
        bench_labels,
        bench_classes,
        params["classes"],
        params["units_per_class"],
        params["images_per_unit"],
        params["threshold"],
    )
    bench_figure = units.units_figure(bench_result, title=f"{params['network']}: top units")
    display(viz.show(bench_figure), bench_result.table.round(3))  # noqa: F821

# %% [markdown]
# ## Verdict

# %%
from IPython.display import Markdown  # noqa: E402

Markdown(units.verdict(photo_result, params["photo_model"], bench_result, params["network"]))

# %% [markdown]
# ## Status

# %%
tables = [photo_result.table.assign(network=params["photo_model"])]
if bench_result is not None:
    tables.append(bench_result.table.assign(network=params["network"]))
with results.Experiment(params) as experiment:
    experiment.save_figure("figure13_photos.png", photo_figure)
    if bench_figure is not None:
        experiment.save_figure("figure13_benchmark.png", bench_figure)
    experiment.write_csv("figure13_units.csv", pd.concat(tables))
    experiment.write_status(
        "complete" if bench_result is not None else "partial",
        reproduced_value=round(100 * photo_result.precision, 1),
        claim_holds=units.claim_holds(photo_result),
        notes=units.verdict(photo_result, params["photo_model"], bench_result, params["network"]),
    )
results.status_table(params["out_dir"], "figure13")

# %% [markdown]
# *Status of this figure.* The headline metric (EfficientNet-Lite0 on the photos) and this
# project's value; the paper states no number for this figure.

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure13/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure13")
