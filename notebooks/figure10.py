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
# # Figure 10: Concepts localized in weakly labeled images
#
# **The paper's claim.** A concept detector trained by hard-negative mining on weakly
# labeled images localizes abstract concepts in its CAMs. The paper takes a short phrase
# ("mirror in lake", "view out of window"), uses the images whose caption holds it as
# positives and random images as negatives, trains a linear SVM on GAP features with
# hard-negative mining, and shows its CAMs. It gives no number.
#
# **What runs here.** Composite scenes (animal silhouettes and handwritten digits, real
# Animal-MNIST and MNIST shapes textured with crops of the bundled photos, on a crop of a
# bundled photo) with generated captions such as "a cow, a zebra and a digit on grass".
# The captions are weak labels: they name an object only sometimes, and a zebra sometimes
# as "striped animal", sometimes as "zebra" (a cow, sheep or horse likewise as "farm
# animal" or by its name). For each phrase: positives are the training images whose caption
# holds it; negatives come from the rest (some do show the concept, as in real captions);
# a share of them at random first, then each round the highest-scoring unused negatives are
# added and the SVM retrained. The GAP features come from a small GAP network (`network`
# below) trained here on the cluttered-silhouettes benchmark by the recipe of Table 1: it
# learned to recognise the ten animals, never these phrases.
#
# **The number.** On held-out images that truly show the concept: how often the maximum of
# the detector's CAM falls on the objects the phrase names (zebras; cows, sheep, horses;
# digits), against chance (the share of the image those objects cover). Also the
# detector's average precision on held-out images per mining round, beside an SVM with as
# many random negatives. On the `smoke` profile the network is barely trained and the
# images are few: its numbers mean nothing.
#
# **The `full` profile** uses COCO 2014 train captions as the weakly labelled collection
# (`data/manifests/coco2014.yaml`, read by `cam_core.datasets.coco`; the paper searched the web):
# positives are the images with a caption holding the phrase word for word (articles
# ignored), a fifth of them held out; negatives are images none of whose captions holds a
# word of the phrase. The CAM-peak number needs object locations: it is computed from the
# COCO instance boxes (`instances_train2014.json`) for phrases that name a COCO category,
# and only there. The paper's two phrases name none (COCO has no mirror, lake or window
# category), so for them the page shows CAMs and held-out AP only; without the instances
# file every phrase is qualitative.
#
# **The claims, as judged here.** Over the held-out images scored (pooled over the phrases):
# (1) the CAM maximum falls on the named objects in more than half of them, judged on the
# rate's exact (Clopper-Pearson) 95% interval; (2) it does so at least twice as often as
# chance: the rate minus twice each image's named-object area share, with a 95% paired
# bootstrap interval over the images, lies above 0. Phrases whose CAMs cannot be scored are
# a "not tested" claim of their own; with fewer than 20 scored images neither claim is
# tested.

# %% tags=["parameters", "hide-input"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
network = None  # GAP features: efficientnet-lite0 or a benchmark net (Table 1's recipe)
concepts = None  # caption phrases (cam_core.items.concepts.CONCEPTS)
positives = None  # training images whose caption holds the phrase
negatives = None  # negatives used in the end
hard_negative_rounds = None
test_images = None  # held-out composites
image_size = None  # composite size in pixels
num_examples = None  # images shown per concept

# %% tags=["hide-input"]
import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import display, profiles, results
from cam_core.items import concepts as concept_lib  # `concepts` is a parameter

params = profiles.from_cell("figure10", globals())
result = concept_lib.run(params, progress=print)
results.write_result(params, result)
display.verdict_box(result)

# %% [markdown]
# ## Detectors and their CAMs
#
# For each phrase: held-out images that show the concept (top row, with the caption) and
# the final detector's CAM (bottom row, red = high); on composites, whether the CAM's
# maximum lies on the named objects.

# %% tags=["hide-input"]
display.show_figure(result, "figure10_detectors")

# %% [markdown]
# ## Each phrase: CAM peaks and held-out average precision
#
# Per phrase: the held-out images scored, how often the CAM maximum falls on the named
# objects (with its 95% interval) against chance, and the detector's average precision on
# held-out images before and after mining, beside an SVM with as many random negatives.

# %% tags=["hide-input"]
display.show_table(result, "figure10_concepts")

# %% [markdown]
# ## Hard-negative mining
#
# Per phrase and round: the negatives used, the share of the negative pool the detector
# still scores positive, and its average precision on the held-out images (against whether
# they truly show the concept). The last row: an SVM with as many negatives drawn at random.

# %% tags=["hide-input"]
display.show_table(result, "figure10_rounds")

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
# (`results/<profile>/figure10/`) were produced.

# %% tags=["hide-input"]
profiles.parameters_table(params)

# %% tags=["hide-input"]
results.provenance_table(params["out_dir"], "figure10")
