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
# **The `full` profile** runs the paper's experiment on the SUN2012 object annotations
# (LabelMe XML, `data/manifests/sun2012.yaml`, read by `cam_core.datasets.sun2012`): the scene
# categories with at least 200 annotated images (at most 10, `scene_classes` among them and
# shown), a seeded half of each scene's images to train the SVMs and the other half scored;
# objects are the annotators' polygons, names lower-cased. The paper gives no number; here
# an object *distinguishes* a scene when the annotations put it in at least 10% of the
# scene's images and at least twice as often as in the other scenes' images, and the number
# is the share of such objects among each scene's `top_objects` objects by CAM overlap,
# beside the same share for its most frequent objects.

# %% tags=["parameters"]
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

# %%
import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import profiles, results, viz
from cam_core.items import discovery, sun_scenes

params = profiles.from_cell("figure09", globals())
profiles.parameters_table(params)

# %% [markdown]
# The scene categories: for composite scenes, the objects that distinguish each (the shared
# objects, in every scene, are listed in `cam_core.items.discovery.SHARED`); on SUN2012 (`full`),
# the scenes chosen and their images, once the experiment below has run.

# %%
import pandas as pd  # noqa: E402

full = params["profile"] == "full"
if not full:
    display(  # noqa: F821
        pd.DataFrame(
            {
                "distinguishing objects": [
                    ", ".join(discovery.SCENES[s]) for s in params["scene_classes"]
                ],
                "shared objects": ", ".join(discovery.SHARED),
            },
            index=pd.Index(params["scene_classes"], name="scene"),
        )
    )

# %% [markdown]
# ## The experiment

# %%

net = discovery.load_network(params, params["network"])
if full:
    result = sun_scenes.figure9_full(net, params, progress=print)
    display(result.counts)  # noqa: F821
else:
    result = discovery.scene_experiment(
        net,
        params["network"],
        params["scene_classes"],
        params["images_per_scene"],
        params["test_per_scene"],
        params["image_size"],
        params["threshold"],
        seed=params["seed"],
        cache_dir=discovery.feature_cache(params),
    )
print(f"held-out scene accuracy of the one-vs-all SVMs: {100 * result.accuracy:.1f}%")

# %% [markdown]
# ## Two scenes, as in the paper
#
# For each: held-out images of the scene (top row) and their CAMs for the scene (bottom
# row, red = high); then the scene's most frequent objects with the share of its images
# that hold them, beside the objects that most often overlap the CAM's high-activation
# region with the share of its images where they do.

# %%
figures = {}
for scene in params["scene_classes"][:2]:
    if full:
        figures[scene] = sun_scenes.sun_figure(result, scene)
    else:
        figures[scene] = discovery.scene_figure(result, scene, params["num_examples"])
    display(  # noqa: F821
        viz.show(figures[scene]),
        discovery.ranked_lists(result.table, scene, params["top_objects"]),
    )

# %% [markdown]
# ## Every scene: how many of the top objects distinguish it
#
# Precision of each ranking: among a scene's top-n objects (composites: n = its number of
# distinguishing objects, which distinguish it by construction; SUN2012: n = `top_objects`,
# distinguishing as counted from the annotations), the share that distinguish it.

# %%
result.precision.pivot(index="scene", columns="ranking", values="precision").round(2)

# %% [markdown]
# ## Verdict

# %%
from IPython.display import Markdown  # noqa: E402

verdict = (
    sun_scenes.sun_verdict(result, params["network"])
    if full
    else discovery.scene_verdict(result, params["network"])
)
Markdown(verdict)

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    for scene, fig in figures.items():
        experiment.save_figure(f"figure09_{scene.replace(' ', '_').replace('/', '_')}.png", fig)
    experiment.write_csv("figure09_objects.csv", result.table)
    experiment.write_csv("figure09_precision.csv", result.precision)
    experiment.write_status(
        "complete",
        reproduced_value=round(100 * result.mean_precision("overlap"), 1),
        claim_holds=sun_scenes.sun_claim(result) if full else discovery.scene_claim(result),
        notes=verdict,
    )
results.status_table(params["out_dir"], "figure09")

# %% [markdown]
# *Status of this figure.* The headline metric and this project's value; the paper states
# no number for this figure.

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure09/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure09")
