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
photos = None  # bundled photos (cam_core.datasets.photos.PHOTO_NAMES)
photo_methods = None  # maps shown for the photos: cam, backprop, gradcam
topk_photo = None  # the photo whose top-k class CAMs are shown
top_k = None
num_images = None  # benchmark images shown
eval_images = None  # benchmark test images scored (0: all)
normalisation = None  # max or minmax, per map
threshold = None  # share of a map's max that counts as highlighted

# %%
import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import profiles, results, viz
from cam_core.items import map_benchmark, map_methods
from cam_core.items import recipe as items_recipe
from cam_core.nets import pretrained as nets_pretrained
from cam_core.nets import registry

params = profiles.from_cell("figure05", globals())
profiles.parameters_table(params)

# %% [markdown]
# ## 1. Real photos: EfficientNet-Lite0
#
# Each row: the 224 x 224 centre crop the network sees, then the maps of its top-1 class
# (named at the left with its softmax probability). CAM and Grad-CAM in the jet colours
# (red = high) over the photo; backprop saliency in grey, as it is usually shown, stretched
# to its 99th percentile so that it is visible (its maximum is a single pixel).

# %%
photo_net = registry.build_model(params["photo_model"], 1000)
categories = nets_pretrained.imagenet_categories()
panel = map_methods.photo_panel(
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
# *Reading it* (the six photos of the `cpu` profile). The CAM lies on the object that names
# the class: the cat's face, the cup, the rocket (spreading onto the launch towers beside
# it), the motorcycle's tank and frame, the tripod under the camera; for "military
# uniform" it is the officer's cap (and the flag beside it) more than the jacket. Backprop
# saliency is spread over edges and texture across the whole crop, object and
# background alike. On a GAP network Grad-CAM equals the CAM up to a constant factor (its
# channel weights are the classifier row divided by the map's area; `tests/test_saliency.py`
# checks it), so those two columns agree; they differ only on networks with other heads.
#
# CAMs of the most probable classes of one photo, from a single forward pass (one
# contraction of the same feature map with several classifier rows). For the cat the maps
# look alike: the cat classes draw on the same face, and a CAM shows where the evidence
# for a class lies, whether or not the class is likely.

# %%
crop, topk_maps, topk_names, topk_probs = map_methods.topk_panel(
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
# ## 2. Held-out benchmark images: the GAP networks beside backprop
#
# The small networks stand for the paper's (GoogLeNet-GAP is `small-googlenet-gap`, and so
# on: `cam_core.items.recipe.SMALL`); they are trained here once on the training split with
# image labels only (the recipe of Table 1, cached) and shown on test images they never
# saw. Each column: a test image (its true class on top), below it the CAM of the true
# class from each GAP/GMP network, then backprop saliency of the same class from the
# originals with fully-connected layers (grey, stretched to the 99th percentile). At `full`
# scale the paper's networks run on ILSVRC validation images instead.

# %%
recipe = items_recipe.recipe_for(params)
family = map_methods.first_seed_family(params["networks"] + params["baseline_networks"], recipe)
comparison = map_benchmark.map_comparison(
    family,
    recipe,
    params["networks"],
    params["baseline_networks"],
    params["num_images"],
    params["eval_images"],
    params["threshold"],
    params["normalisation"],
)
viz.show(comparison.figure)

# %% [markdown]
# *Reading it* (`cpu` profile; the first test images, in order, not picked). The CAMs lie
# on the animal, spread over much of its body, with the coarser AlexNet-like maps (stride
# 8) the broadest; the GMP network's CAM sits on fewer, smaller spots, as the paper expects
# of max pooling (one discriminative part rather than the object's extent). Where the
# background is busy a CAM can also light distractors. Backprop saliency lights scattered
# pixels in and around the object.
#
# **The number.** Over the scored test images (the map of the true class): *coverage* is the
# share of the object's pixels (exact masks; at `full` scale the ground-truth boxes stand
# in) where the map is at least `threshold` of its maximum, the pixels a reader sees lit;
# *on object* is the share of those lit pixels that lie on the object (a map lighting the
# whole image would cover 100% but only as much as the object's share of the image would be
# on the object). *mean IoU* and *box accuracy* (IoU >= 0.5) score the box the paper's rule
# draws from each map. All in percent. The claim is about coverage; the on-object share is
# there to show the price of a broad map.

# %%
comparison.summary.set_index("maps")

# %%
claim = comparison.verdict
print(
    claim.statement(
        "CAM highlights more of the object than backprop, every GAP net vs every original"
    )
)

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    experiment.save_figure("figure05_photos.png", photo_figure)
    experiment.save_figure("figure05_topk.png", topk_figure)
    experiment.save_figure("figure05_benchmark.png", comparison.figure)
    experiment.write_csv("figure05_summary.csv", comparison.summary)
    experiment.write_csv("figure05_scores.csv", map_methods.tidy_scores(comparison.scores))
    experiment.write_status(
        "complete",
        reproduced_value=claim.value,
        claim_holds=claim.holds,
        notes=f"{comparison.summary['maps'].iloc[0]} CAM; {claim.note}; {comparison.scored.name}",
    )
results.status_table(params["out_dir"], "figure05")

# %% [markdown]
# *Status of this figure.* The headline metric (the object coverage of the first network's
# CAM), the paper's value where it states one (none: the paper's figure is qualitative), this
# project's value, and whether the claim holds for every GAP network against every original.

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure05/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure05")
