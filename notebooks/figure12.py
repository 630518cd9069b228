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
# # Figure 12: Image regions behind visual question answers
#
# **The paper's claim.** A bag-of-words question plus GAP image feature baseline answers
# questions, and the CAM of the predicted answer highlights the relevant image region. The
# paper's baseline concatenates a bag-of-words vector of the question with the GAP feature
# of the image and classifies the answer with a softmax over the frequent answers; it
# reaches 55.89% overall accuracy on the VQA benchmark, and the CAM of the predicted answer
# (from the image part of its weights) shows where it looked.
#
# **What runs.** The same model, on generated questions about composite scenes whose
# objects are known exactly: one animal silhouette and up to two handwritten digits (real
# Animal-MNIST and MNIST shapes, textured with crops of the bundled photos) in a 2 x 2 grid
# on a crop of a bundled photo. Questions: *what animal is in the picture?*, *is there a
# digit?*, *is the animal on the left?*, *how many digits are there?*, *is there a
# zebra?*; the answers are classes. The GAP features come from a small GAP network trained
# here on the cluttered-silhouettes benchmark (the recipe of Table 1), the model is one
# `torch.nn.Linear` layer trained with `cam_core.nets.train.train_model`. The answer's CAM is
# $\sum_k W_{\text{image}}[a, k] f_k(x, y)$: the question part adds the same value
# everywhere.
#
# **The numbers.** Answer accuracy on held-out images, overall and per question type,
# beside the most frequent training answer of each question (what the question alone
# gives); and for questions about one object (the animal, or the digits), how often the
# maximum of the predicted answer's CAM lies on it, against chance (the share of the image
# it covers). The paper's 55.89% is on real VQA questions: the two numbers are not
# comparable, only the claim is. On the `smoke` profile the network is barely trained and
# the images are few: its numbers mean nothing.
#
# **The `full` profile** runs the baseline on VQA v1 (`data/manifests/vqa-v1.yaml`, COCO
# 2014 images, read by `cam_core.datasets.coco`): trained on the train questions whose answer is
# among the `answers` most frequent, scored on the val questions with the VQA accuracy
# min(#annotators who gave the answer / 3, 1), overall and per answer type, beside the most
# frequent training answer of each question type. The paper's 55.89% is on test-standard
# (trained on train + val): close, not the same split. VQA has no object locations; for
# the val questions that name a COCO object category present in their image (COCO's val
# instance boxes, `annotations/instances_val2014.json`), a seeded sample of the predicted
# answers' CAMs is scored as on the generated questions: does the CAM peak in a box of
# that category, against chance (the share of the image those boxes cover).

# %% tags=["parameters", "hide-input"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
network = None  # GAP features: efficientnet-lite0 or a benchmark net (Table 1's recipe)
train_images = None  # training composites (three questions each)
test_images = None  # held-out composites
answers = None  # the most frequent training answers kept
image_size = None  # composite size in pixels
num_examples = None  # questions shown per question type

# %% tags=["hide-input"]
import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core.common import display, profiles, results
from cam_core.items import vqa

params = profiles.from_cell("figure12", globals())
result = vqa.run(params, progress=print)
results.write_result(params, result)
display.verdict_box(result)

# %% [markdown]
# ## Accuracy
#
# Accuracy on the held-out questions (generated questions: per question type; VQA v1 val:
# per answer type), beside what the question alone gives.

# %% tags=["hide-input"]
display.show_table(result, "figure12_accuracy")

# %% [markdown]
# ## Where the answers come from
#
# One row per question type (VQA v1: per answer type): held-out images with the question
# under them, and the CAM of the predicted answer (red = high), with the answer (and the
# truth when it is wrong).

# %% tags=["hide-input"]
display.show_figure(result, "figure12_answers")

# %% [markdown]
# ## The paper's claims, checked on these numbers
#
# Two claims. *Answers from the image*: the baseline's accuracy minus that of the most
# frequent training answer of each question (VQA v1: of each question type), per question
# on the same questions, with a paired bootstrap interval; it holds when the whole
# interval lies above zero. *CAM on the object*: the share of questions about one object
# whose answer CAM peaks on that object, with an exact binomial interval; it holds when the
# whole interval lies above twice chance (chance: the mean share of the image the object
# covers). Fewer than 30 scored questions leave a claim untested.

# %% tags=["hide-input"]
display.claims_view(result)

# %% [markdown]
# ## Parameters and provenance

# %% tags=["hide-input"]
profiles.parameters_table(params)

# %% tags=["hide-input"]
results.provenance_table(params["out_dir"], "figure12")
