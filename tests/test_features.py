"""Features come from the right layer, are cached on disk; the SVM picks C by CV."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer
from sklearn.svm import LinearSVC
from torch import nn
from torch.utils.data import TensorDataset

from cam_core.nets.features import cached_features, extract_features, fit_linear_svm
from cam_core.validate import InputError


def conv_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 3)
    )


def test_gap_features_equal_hand_computed_means():
    net = conv_net()
    with torch.no_grad():
        net[0].weight.zero_()
        net[0].weight[0, 0, 0, 0] = 1.0  # unit 0 copies the red channel
        net[0].weight[1, 2, 0, 0] = 2.0  # unit 1 doubles the blue channel
        net[0].bias.zero_()
    images = torch.zeros(2, 3, 2, 2)
    images[0, 0] = torch.tensor([[1.0, 2.0], [3.0, 6.0]])  # mean 3
    images[1, 2] = torch.tensor([[1.0, -1.0], [0.0, 4.0]])  # 2x then ReLU: 2, 0, 0, 8 -> mean 2.5
    data = TensorDataset(images, torch.zeros(2, dtype=torch.long))
    assert extract_features(net, data, layer="1").tolist() == [[3.0, 0.0], [0.0, 2.5]]
    assert extract_features(net, data, layer="1", spatial="max").tolist() == [
        [6.0, 0.0],
        [0.0, 8.0],
    ]
    assert extract_features(net, data, layer="3", batch_size=1).shape == (2, 2)


def test_hook_is_removed_even_after_a_failure():
    net = conv_net()
    data = TensorDataset(
        torch.zeros(1, 5, 2, 2), torch.zeros(1, dtype=torch.long)
    )  # wrong channels
    with pytest.raises(RuntimeError):
        extract_features(net, data, layer="1")
    assert not net[1]._forward_hooks


def test_unknown_layer_and_empty_dataset_are_one_line_errors():
    net = conv_net()
    with pytest.raises(InputError, match=r"^layer: expected a module name of Sequential"):
        extract_features(net, TensorDataset(torch.zeros(1, 3, 2, 2)), layer="fc7")
    with pytest.raises(InputError, match=r"^dataset: expected a non-empty dataset"):
        extract_features(net, TensorDataset(torch.zeros(0, 3, 2, 2)), layer="1")


def test_cache_is_reused_for_the_same_key_only(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return np.full((3, 2), float(len(calls)), dtype=np.float32)

    path = tmp_path / "feat.npz"
    first = cached_features(path, "model-a|data-1", compute)
    again = cached_features(path, "model-a|data-1", compute)
    assert len(calls) == 1 and np.array_equal(first, again)
    changed = cached_features(path, "model-a|data-2", compute)
    assert len(calls) == 2 and changed[0, 0] == 2.0


def test_svm_separates_blobs_and_chooses_c_by_cv_on_training_data_only():
    rng = np.random.default_rng(0)
    centres = np.array([[5.0, 1.0, 0.0], [1.0, 5.0, 0.0], [0.0, 1.0, 5.0]])
    labels = np.repeat(np.arange(3), 20)
    features = centres[labels] + 3.0 * rng.normal(size=(60, 3))  # overlapping: C matters
    cs = (0.001, 0.1, 10.0)
    svm = fit_linear_svm(features, labels, cs=cs, folds=3, seed=0)
    test_labels = np.repeat(np.arange(3), 100)
    test = centres[test_labels] + rng.normal(size=(300, 3))
    assert (svm.predict(test) == test_labels).mean() >= 0.9
    # second implementation of the choice: mean 3-fold accuracy per C, first best on ties
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = []
    for c in cs:
        model = make_pipeline(Normalizer(), LinearSVC(C=c, max_iter=20000, random_state=0))
        scores.append(cross_val_score(model, features, labels, cv=folds).mean())
    assert scores[1] > max(scores[0], scores[2])  # the data make the middle C the right one
    assert svm.named_steps["linearsvc"].C == cs[1]


def test_svm_input_errors():
    with pytest.raises(InputError, match=r"^labels: expected shape \(4,\) to match features"):
        fit_linear_svm(np.ones((4, 2)), np.zeros(3))
    with pytest.raises(InputError, match=r"^labels: expected at least two classes"):
        fit_linear_svm(np.ones((4, 2)), np.zeros(4))
    with pytest.raises(InputError, match=r"^features: expected finite values"):
        fit_linear_svm(np.full((4, 2), np.nan), np.array([0, 1, 0, 1]))
