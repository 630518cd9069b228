"""Bundled sources and the cluttered-silhouettes generator: known answers and invariants."""

import numpy as np
import pytest
import torch

from cam_core.datasets import photos
from cam_core.datasets.photos import PHOTO_NAMES
from cam_core.fingerprint import dataset_fingerprint
from cam_core.synthetic import benchmark
from cam_core.synthetic import silhouettes as synthetic_silhouettes
from cam_core.synthetic.benchmark import (
    ANIMAL_CLASSES,
    SilhouetteDataset,
    make_silhouettes,
    split_pool,
)
from cam_core.validate import InputError

# sha256 of images, labels and boxes of make_silhouettes("train", 16, 64, seed=0) with the
# frozen default knobs of GENERATOR_VERSION; any change to the bytes must bump the version.
FINGERPRINT_16_64_SEED0 = "2483050ca1cc406cfe659d64a84ee2ebaae8661a3f999562dc09bbc7d4f18827"


@pytest.fixture(scope="module")
def train250() -> benchmark.SilhouetteSet:
    return make_silhouettes("train", 250, size=64, seed=0, return_masks=True)


def test_animal_silhouettes_load_in_class_order() -> None:
    images, labels = benchmark.load_animal_silhouettes()
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64
    # The package stores the classes in alphabetical blocks of 1000, as ANIMAL_CLASSES.
    np.testing.assert_array_equal(labels, np.repeat(np.arange(10), 1000))
    assert list(ANIMAL_CLASSES) == sorted(ANIMAL_CLASSES)
    assert benchmark.load_animal_silhouettes() is benchmark.load_animal_silhouettes()  # cached


def test_mnist_and_photos_load_offline() -> None:
    images, labels = benchmark.load_mnist()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(labels), [500] * 10)
    for name in PHOTO_NAMES:
        photo = photos.load_photo(name)
        assert photo.dtype == np.uint8 and photo.ndim == 3 and photo.shape[2] == 3, name
        assert min(photo.shape[:2]) >= 150, name


def test_missing_package_is_one_line_naming_it() -> None:
    with pytest.raises(ImportError, match=r"^nopkg==1\.0 is required") as err:
        photos.require_module("cam_core_no_such_module", "nopkg==1.0")
    assert "\n" not in str(err.value)


def test_fingerprint_is_the_committed_one() -> None:
    s = make_silhouettes("train", 16, size=64, seed=0)
    assert s.images.shape == (16, 64, 64, 3) and s.images.dtype == np.uint8
    assert s.fingerprint == FINGERPRINT_16_64_SEED0


def test_fingerprint_covers_dtype_shape_and_bytes() -> None:
    a = np.arange(6, dtype=np.uint8)
    assert dataset_fingerprint(a) == dataset_fingerprint(torch.from_numpy(a.copy()))
    assert dataset_fingerprint(a) != dataset_fingerprint(a.reshape(2, 3))
    assert dataset_fingerprint(a) != dataset_fingerprint(a.astype(np.int64))
    assert len(dataset_fingerprint(a)) == 64


def test_box_is_exactly_the_pasted_mask_bbox(train250: benchmark.SilhouetteSet) -> None:
    s = train250
    assert s.masks is not None and s.masks.shape == (250, 64, 64)
    for mask, box in zip(s.masks, s.boxes, strict=True):
        x0, y0, x1, y1 = box.astype(int)
        assert (box == np.array([x0, y0, x1, y1])).all()
        ys, xs = np.nonzero(mask)
        assert xs.min() == x0 and xs.max() == x1 - 1
        assert ys.min() == y0 and ys.max() == y1 - 1


def test_object_sizes_spread_over_the_range(train250: benchmark.SilhouetteSet) -> None:
    side = np.maximum(
        train250.boxes[:, 2] - train250.boxes[:, 0], train250.boxes[:, 3] - train250.boxes[:, 1]
    )
    rel = side / 64
    lo, hi = synthetic_silhouettes.Knobs().side_range
    assert rel.min() >= lo - 2 / 64 and rel.max() <= hi + 1 / 64
    assert rel.min() < lo + 0.05 and rel.max() > hi - 0.05  # the whole range is used
    assert train250.boxes[:, :2].min() >= 0 and train250.boxes[:, 2:].max() <= 64


def test_labels_in_range_and_balanced(train250: benchmark.SilhouetteSet) -> None:
    np.testing.assert_array_equal(np.bincount(train250.labels, minlength=10), [25] * 10)
    counts = np.bincount(train250.labels[:37], minlength=10)
    assert counts.max() - counts.min() <= 1
    assert train250.class_names == list(ANIMAL_CLASSES)
    # the object is a silhouette of the labelled class
    np.testing.assert_array_equal(
        benchmark.load_animal_silhouettes()[1][train250.source_index], train250.labels
    )


def test_splits_disjoint_in_sources() -> None:
    for source in ("animals", "digits"):
        pools = {
            s: set(split_pool(source, s).ravel().tolist()) for s in synthetic_silhouettes.SPLITS
        }
        assert not pools["train"] & pools["val"]
        assert not pools["train"] & pools["test"]
        assert not pools["val"] & pools["test"]
    total = sum(split_pool("animals", s).size for s in synthetic_silhouettes.SPLITS)
    assert total == 10000
    val = make_silhouettes("val", 40, seed=3)
    assert set(val.source_index.tolist()) <= set(split_pool("animals", "val").ravel().tolist())


def test_split_pool_rejects_unknown_names() -> None:
    with pytest.raises(InputError, match="^source: expected"):
        split_pool("letters", "train")
    with pytest.raises(InputError, match="^split: expected"):
        split_pool("animals", "dev")


def test_photo_regions_disjoint() -> None:
    regions = synthetic_silhouettes.split_regions((300, 451))
    grid = np.zeros((300, 451), dtype=int)
    for y0, y1, x0, x1 in regions.values():
        grid[y0:y1, x0:x1] += 1
    assert grid.max() == 1 and grid.min() == 1


def test_same_seed_same_bytes_other_seed_differs(train250: benchmark.SilhouetteSet) -> None:
    again = make_silhouettes("train", 20, size=64, seed=0)
    np.testing.assert_array_equal(again.images, train250.images[:20])  # prefix of a larger set
    np.testing.assert_array_equal(again.boxes, train250.boxes[:20])
    other = make_silhouettes("train", 20, size=64, seed=1)
    assert other.fingerprint != again.fingerprint
    assert not np.array_equal(other.images, again.images)


def test_size_96_and_cache_roundtrip(tmp_path) -> None:
    s = make_silhouettes("test", 12, size=96, seed=5, cache_dir=tmp_path)
    assert s.images.shape == (12, 96, 96, 3)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    again = make_silhouettes("test", 12, size=96, seed=5, cache_dir=tmp_path)
    assert again.fingerprint == s.fingerprint


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"split": "dev", "n": 4}, "split"),
        ({"split": "train", "n": 0}, "n"),
        ({"split": "train", "n": 2.5}, "n"),
        ({"split": "train", "n": 4, "size": 16}, "size"),
        ({"split": "train", "n": 4, "seed": -1}, "seed"),
        ({"split": "train", "n": 4, "contrast": 300}, "contrast"),
        ({"split": "train", "n": 4, "side_range": (0.9, 0.3)}, "side_range"),
        ({"split": "train", "n": 4, "side_range": 0.5}, "side_range"),
        ({"split": "train", "n": 4, "distractors": (1.5, 2)}, "distractors"),
        ({"split": "train", "n": 4, "wiggle": 1}, "wiggle"),
    ],
)
def test_bad_arguments_are_one_line_errors(kwargs: dict, name: str) -> None:
    with pytest.raises(InputError, match=rf"^{name}: expected") as err:
        make_silhouettes(**kwargs)
    assert "\n" not in str(err.value)


def test_dataset_normalises_and_augments_boxes_exactly(train250: benchmark.SilhouetteSet) -> None:
    plain = SilhouetteDataset(train250)
    x, y, box = plain[3]
    assert x.shape == (3, 64, 64) and x.dtype == torch.float32
    assert y.dtype == torch.int64 and int(y) == int(train250.labels[3])
    np.testing.assert_array_equal(box.numpy(), train250.boxes[3])
    aug = SilhouetteDataset(train250, augment=True, max_shift=8)
    torch.manual_seed(0)
    for i in range(40):
        xa, _, ba = aug[i]
        x0, y0, x1, y1 = train250.boxes[i]
        assert ba[0] >= 0 and ba[1] >= 0 and ba[2] <= 64 and ba[3] <= 64
        assert float(ba[2] - ba[0]) == x1 - x0 and float(ba[3] - ba[1]) == y1 - y0
        dy = int(ba[1] - y0)
        base = plain[i][0]
        candidates = {
            "plain": benchmark._shift(base, int(ba[0] - x0), dy),
            "flip": benchmark._shift(base.flip(2), int(ba[0] - (64 - x1)), dy),
        }
        assert any(torch.equal(xa, c) for c in candidates.values()), i
        # the object (inside its box) is never cut by the shift
        assert abs(int(ba[0] - x0)) <= 8 or abs(int(ba[0] - (64 - x1))) <= 8
