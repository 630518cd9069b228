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
# # Figure 9: Informative objects for scene categories
#
# **The paper's claim.** The high-activation regions of scene CAMs overlap the objects that
# are informative for the scene, not merely the most frequent ones. The paper trains a
# one-vs-all linear SVM per scene category on GAP features of SUN images (10 categories,
# 4,675 fully annotated images) and, for *dining room* and *bathroom*, lists the 6 most
# frequent objects beside the 6 objects that most often overlap the CAM's high-activation
# region (e.g. for dining room: wall, chair, floor are the most frequent; table, chair,
# plate are where the CAM lands). It gives no aggregate number.
#
# **What runs here.** Composite scenes whose objects are known exactly: animal silhouettes
# and handwritten digits (real Animal-MNIST and MNIST shapes, textured with crops of the
# bundled photos), four to a 2 x 2 grid, on a crop of a bundled photo. A scene category is
# defined by the objects it tends to hold: each has three objects of its own (e.g.
# *savanna*: zebra, giraffe, elephant, each in half its images and rare elsewhere), and
# every scene also holds two *shared* objects (a bird, a digit 1) more often than its own.
# So a scene's most frequent objects are not the ones that tell it apart. The GAP features
# come from a small GAP network (`network` below) trained here on the cluttered-silhouettes
# benchmark by the recipe of Table 1: it learned to recognise the ten animals, as the
# paper's network learned ImageNet objects, never these scenes. One-vs-all linear SVMs on
# them, C by cross-validation; each held-out image's CAM for its own scene.
#
# **The number.** For each scene, its top-n objects by how often they overlap the CAM's
# high-activation region (pixels >= `threshold` of the max cover at least 10% of the
# object), n = the number of objects that distinguish the scene by construction: the share
# of those that do distinguish it, beside the same share for the scene's most frequent
# objects. On the `smoke` profile the network is barely trained and the images are few:
# its numbers mean nothing.
#
# **The claims, as judged here.** (1) The CAM-overlap lists hold more distinguishing
# objects than the frequency lists: the difference of the two shares, with a 95% paired
# bootstrap interval over the list slots (scene, rank), must lie above 0. (2) On composite
# scenes, where what distinguishes a scene is known exactly, at least two thirds of the
# CAM-overlap lists' objects distinguish their scene: the share's exact (Clopper-Pearson)
# 95% interval over the list slots must lie above two thirds. An interval that straddles
# the boundary reads "not distinguishable": a dozen list slots cannot settle a share
# close to two thirds. Neither claim is tested when the scene SVMs are within 10 points of
# chance or fewer than 20 held-out images are scored.
#
# **The `full` profile** runs the paper's experiment on the SUN2012 object annotations
# (LabelMe XML, `data/manifests/sun2012.yaml`, read by `cam_core.datasets.sun2012`): the scene
# categories with at least 200 annotated images (at most 10, `scene_classes` among them and
# shown), a seeded half of each scene's images to train the SVMs and the other half scored;
# objects are the annotators' polygons, names lower-cased. The paper gives no number; here
# an object *distinguishes* a scene when the annotations put it in at least 10% of the
# scene's images and at least twice as often as in the other scenes' images, and the number
# is the share of such objects among each scene's `top_objects` objects by CAM overlap,
# beside the same share for its most frequent objects.

# %% tags=["parameters", "hide-input"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
network = None  # GAP features: efficientnet-lite0 or a benchmark net (Table 1's recipe)
scene_classes = None  # scene categories (cam_core.items.discovery.SCENES)
images_per_scene = None  # training composites per scene
test_per_scene = None  # held-out composites per scene
image_size = None  # composite size in pixels
top_objects = None  # length of the two lists shown
threshold = None  # share of the CAM's max that makes its high-activation region
num_examples = None  # images shown per scene

# %% tags=["hide-input"]
import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import display, profiles, results
from cam_core.items import sun_scenes

params = profiles.from_cell("figure09", globals())
result = sun_scenes.run(params, progress=print)
results.write_result(params, result)
display.verdict_box(result)

# %% [markdown]
# ## The scene categories
#
# For composite scenes, the objects that distinguish each scene and the objects shared by
# every scene; on SUN2012 (`full`), the scenes chosen and their train and held-out images.

# %% tags=["hide-input"]
display.show_table(result, "figure09_scenes")

# %% [markdown]
# ## Two scenes, as in the paper
#
# For each: held-out images of the scene and their CAMs for the scene; then the scene's
# most frequent objects with the share of its images that hold them, beside the objects
# that most often overlap the CAM's high-activation region with the share of its images
# where they do.

# %% tags=["hide-input"]
display.show_figure(result, "figure09_examples")

# %% tags=["hide-input"]
display.show_table(result, "figure09_lists")

# %% [markdown]
# ## Every scene: how many of the top objects distinguish it
#
# Precision of each ranking: among a scene's top-n objects (composites: n = its number of
# distinguishing objects, which distinguish it by construction; SUN2012: n = `top_objects`,
# distinguishing as counted from the annotations), the share that distinguish it.

# %% tags=["hide-input"]
display.show_table(result, "figure09_precision")

# %% [markdown]
# ## The paper's claims, checked on these numbers
#
# Each claim's measurement with its 95% interval and the criterion it is judged by (see
# "The claims, as judged here" above).

# %% tags=["hide-input"]
display.claims_view(result)

# %% [markdown]
# ## Parameters and provenance
#
# The parameters of this run, and where and how this page's result files
# (`results/<profile>/figure09/`) were produced.

# %% tags=["hide-input"]
profiles.parameters_table(params)

# %% tags=["hide-input"]
results.provenance_table(params["out_dir"], "figure09")
