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
# # Figure 11: A weakly supervised text detector
#
# **The paper's claim.** A linear SVM trained on GAP features of text versus non-text images
# localizes the text in its CAMs, without any box annotation. The paper trains it on 350
# Google Street View images (positives) against random SUN images (negatives) and shows
# that the CAMs land on the text. It gives no number.
#
# **What runs here.** Positives: crops of the photos that ship with scikit-image,
# scikit-learn and matplotlib (the benchmark's training regions of each photo, upsampled)
# with one word drawn in with Pillow in a DejaVu font that ships with matplotlib.
# Negatives: the very same crops without the word, then other crops. A linear SVM (C by
# cross-validation) on the GAP features of the ImageNet-pretrained EfficientNet-Lite0; its
# weight vector gives the CAM ($\sum_k w_k f_k(x, y)$), the CAM gives a box by the paper's
# rule (pixels >= 20% of the max, largest connected component). No box is used in training.
#
# **The number.** On held-out crops (the photos' test regions) with a word: the share whose
# CAM box has IoU >= 0.5 with the word's exact box, beside the same for trivial boxes, other
# thresholds and the share of CAM maxima that fall on the word.
#
# **Map resolution.** The CAM is only as fine as the network's last map. The paper's
# GoogLeNet-GAP has a 14 x 14 map at 224 px; EfficientNet-Lite0 has 7 x 7 at 224 px and
# 14 x 14 when it sees the crop enlarged to 448 px. The detector runs once per input size
# of `input_sizes` on the same crops; the claims are judged on the run at the paper's
# 14 x 14 map, and the other run is shown beside it, so the effect of resolution is measured
# rather than assumed. The photos `text` and `page` of scikit-image show the detector on
# real text. On the `smoke` profile the images are few and tiny (and seen at smaller
# sizes): its numbers mean nothing.
#
# **At `full` scale** (`data_root` holding Street View Text and SUN397,
# `data/manifests/svt.yaml`, `sun397.yaml`): the network is Table 1's GAP network (fine-tuned
# on ILSVRC by its recipe). Positives: the SVT training images (`train.xml`, 100); negatives:
# SUN397 images drawn at random from partition 1's training list (all 397 classes: the
# SUN397 tree holds no indoor/outdoor list, so indoor scenes are among the negatives, an
# easier task than the paper's outdoor scenes). The paper trains on all 350 SVT images and
# shows examples; here the 249 SVT test images (`test.xml`) stay held out and are scored,
# against as many SUN397 test images for detection. Every image is warped to the network's
# square input. The number: the share of test images whose CAM box has IoU >= 0.5 with the
# union of the image's tagged word boxes (SVT tags only business names; other text counts
# as background), beside the same with any single word box.
#
# **The claims, as judged here.** On the held-out text images: (1) the CAM box reaches IoU
# >= 0.5 with the text on more than half of them, judged on the rate's exact
# (Clopper-Pearson) 95% interval; (2) it does so more often than the better of the two
# boxes that look at no image (the whole image, a centred box of the training text's mean
# size): the difference of the two rates, with a 95% paired bootstrap interval over the
# images, lies above 0; (3) the CAM's maximum lies on the text at least twice as often as
# chance (the text's area share), judged the same way. None is tested when the text/no-text
# SVM is within 10 points of chance (its CAM would localize nothing it detects) or fewer
# than 20 text images are scored.

# %% tags=["parameters", "hide-input"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
network = None  # ImageNet CAM network whose GAP features the SVM reads
positives = None  # training crops with a word
negatives = None  # training crops without (the positives' own crops first)
test_images = None  # held-out crops, each scored with and without its word
image_size = None  # crop size in pixels
input_sizes = None  # px the network sees each crop at, one run each (sets the map size)
threshold = None  # the box rule's share of the CAM's max
num_examples = None  # pictures shown

# %% tags=["hide-input"]
import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import display, profiles, results
from cam_core.items import textdetect

params = profiles.from_cell("figure11", globals())
result = textdetect.run(params, progress=print)
results.write_result(params, result)
display.verdict_box(result)

# %% [markdown]
# ## Boxes from the CAM against the text
#
# *Box accuracy* (`accuracy`) is the share of held-out images with text (at `full`: SVT test
# images, against the union of their word boxes; `accuracy_any_word`: against any one word
# box) whose box has IoU >= 0.5 with the text's exact box; *mean IoU* averages the IoU
# itself. The image-blind boxes show how hard the task is: a word covers a small part of
# the crop. The column `map` gives the resolution of the network's last map each row's CAM
# was made from (`input px`: the size the network saw the crop at); the image-blind boxes
# do not depend on it.

# %% tags=["hide-input"]
display.show_table(result, "figure11_boxes")

# %% [markdown]
# ## Map resolution, measured
#
# One row per run: the text/no-text detection accuracy, the box accuracy of the paper's
# rule, the mean IoU and the share of CAM maxima on the text (with its chance), on the same
# held-out images; the caption gives the difference of box accuracy between the runs with
# its 95% paired bootstrap interval.

# %% tags=["hide-input"]
display.show_table(result, "figure11_resolution")

# %% [markdown]
# ## Training pairs
#
# A positive (the word's box in green, for the reader only: the SVM never sees it) and its
# negative, the same crop without the word (at `full`: an SVT training image with its tagged
# words, and a SUN397 image, as the network sees them).

# %% tags=["hide-input"]
display.show_figure(result, "figure11_pairs")

# %% [markdown]
# ## Held-out images: the detector's CAM and box
#
# The CAM of the text SVM (the run at the paper's map resolution) over each held-out image,
# the word's exact box in green and the CAM's box in red, with their IoU under each picture
# (at `full`: SVT test images warped to the network's input, every tagged word in green, the
# IoU with their union).

# %% tags=["hide-input"]
display.show_figure(result, "figure11_test")

# %% [markdown]
# ## Real text
#
# The same detector on scikit-image's `text` (hand-written formulas) and `page` (a printed
# page), whole, as high as the judged run's input size.

# %% tags=["hide-input"]
display.show_figure(result, "figure11_real_text")

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
# (`results/<profile>/figure11/`) were produced.

# %% tags=["hide-input"]
profiles.parameters_table(params)

# %% tags=["hide-input"]
results.provenance_table(params["out_dir"], "figure11")
