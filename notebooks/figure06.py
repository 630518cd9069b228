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
# # Figure 6: Localization examples, ground truth and CAM boxes
#
# **The paper's claim.** The boxes inferred from CAMs (red) match the ground-truth boxes
# (green) better than boxes from backpropagation saliency. The paper's figure shows (a)
# ILSVRC validation images with the ground-truth box in green and the box from the CAM of
# GoogLeNet-GAP in red, and (b) GoogLeNet-GAP's CAM boxes beside the boxes from backprop
# saliency on AlexNet. A box is the bounding box of the largest connected region of the
# map above 20% of its maximum.
#
# **What runs here.** The same rule and colours, at this profile's scale:
#
# 1. *Real photos* with EfficientNet-Lite0 (ImageNet-pretrained). These photos come with no
#    ground-truth boxes; the green boxes are drawn by hand by this project
#    (`data/annotations/photo_boxes.csv`, which says how), so they are a sanity check, not
#    a benchmark.
# 2. *Held-out benchmark images* of the cluttered-silhouettes benchmark (exact boxes):
#    (a) the CAM box of the small GAP network trained here, (b) the same beside the box
#    from backprop saliency of the small original with fully-connected layers, and the
#    mean IoU of both over the test split.

# %% tags=["parameters"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # folder with the datasets of data/manifests/ (full only)
out_dir = None  # None: results/<profile>
device = None  # None: the profile's device
seed = None  # None: the profile's seed
# Knobs of this notebook; None takes the profile's value.
network = None  # GAP network whose CAM boxes are shown
baseline_network = None  # original (FC layers) whose backprop boxes are compared
photo_model = None  # ImageNet model for the photos
photos = None  # bundled photos with a hand-drawn box
num_images = None  # benchmark images shown
eval_images = None  # benchmark test images scored (0: all)
threshold = None  # the box rule's share of the map's max

# %%
import cam_core  # noqa: F401  (first: makes torchvision importable)
from cam_core import figures, models, profiles, results, viz

params = profiles.validate_parameters(
    "figure06",
    profile=profile,
    data_root=data_root,
    out_dir=out_dir,
    device=device,
    seed=seed,
    network=network,
    baseline_network=baseline_network,
    photo_model=photo_model,
    photos=photos,
    num_images=num_images,
    eval_images=eval_images,
    threshold=threshold,
)
profiles.parameters_table(params)

# %% [markdown]
# ## 1. Real photos: EfficientNet-Lite0, hand-drawn ground truth
#
# Each row: the CAM of the network's top-1 class with its box (red) and the project's
# hand-drawn box (green), then backprop saliency of the same class with its box. The IoU of
# each red box with the green one is written under it.

# %%
photo_net = models.build_model(params["photo_model"], 1000)
panel = figures.photo_panel(
    photo_net,
    params["photos"],
    models.imagenet_categories(),
    ["cam", "backprop"],
    threshold=params["threshold"],
)
hand_boxes = figures.photo_boxes()
photo_scores = figures.photo_box_scores(panel, hand_boxes)
photo_figure = viz.map_grid(
    panel.crops,
    panel.columns(),
    styles={"Backprop": "gray"},
    gt_boxes=figures.annotated_boxes(hand_boxes, params["photos"]),
    pred_boxes={figures.METHOD_TITLES[m]: b for m, b in panel.boxes.items()},
    captions={
        figures.METHOD_TITLES[m]: [f"IoU {v:.2f}" for v in photo_scores[f"iou_{m}"]]
        for m in panel.boxes
    },
    row_titles=panel.row_titles(),
    image_title=None,
    title=f"{params['photo_model']}: boxes at {params['threshold']:.0%} of the map's max",
)
viz.show(photo_figure)

# %%
photo_scores.round(3)

# %% [markdown]
# *Reading it.* On these photos the CAM box lands on the object; backprop's largest
# connected region above 20% of its (single-pixel) maximum is a small patch, so its box is
# small. Four hand-boxed photos are no benchmark: the numbers that test the claim are in
# part 2.

# %% [markdown]
# ## Status

# %%
with results.Experiment(params) as experiment:
    experiment.save_figure("figure06_photos.png", photo_figure)
    experiment.write_csv("figure06_photos.csv", photo_scores)
    experiment.write_status("partial", notes="photos only; benchmark part not reproduced yet")
results.status_table(params["out_dir"], "figure06")

# %% [markdown]
# *Status of this figure.* The headline metric, the paper's value where it states one, and
# this project's value.

# %% [markdown]
# ## Provenance
#
# Where and how this page's result files (`results/<profile>/figure06/`) were produced.

# %%
results.provenance_table(params["out_dir"], "figure06")
