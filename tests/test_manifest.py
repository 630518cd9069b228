"""Dataset manifests: the ILSVRC 2012 manifest, and check_dataset on miniature trees."""

import hashlib
from pathlib import Path

import pytest
import yaml

import cam_core  # noqa: F401  (makes torchvision importable before its datasets module)
from cam_core.datasets import ilsvrc
from cam_core.datasets.manifest import load_manifest, parse_manifest
from cam_core.datasets.manifest_check import (
    check_data_main,
    check_dataset,
    manifest_from_tree,
    manifest_to_dict,
)
from cam_core.testing.miniature import make_miniature_ilsvrc, miniature_counts
from cam_core.validate import InputError

VAL_LAYOUT = "(val/<name>.JPEG or val/<wnid>/<name>.JPEG)"


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good miniature tree, shared read-only by the tests that do not alter it."""
    return make_miniature_ilsvrc(tmp_path_factory.mktemp("mini") / "ilsvrc")


def test_ilsvrc_manifest_numbers_and_checksums():
    from torchvision.datasets.imagenet import ARCHIVE_META

    m = load_manifest("ilsvrc2012")
    assert m.name == "ilsvrc2012"
    assert m.part("train").count == 1_281_167 and m.part("train").folders == 1000
    assert m.part("val").count == 50_000 and m.part("val_xml").count == 50_000
    assert m.part("val").names == ("ILSVRC2012_val_{:08d}.JPEG", 1, 50000)
    md5 = {a.name: a.md5 for a in m.archives}
    for name, checksum in ARCHIVE_META.values():
        assert md5[name] == checksum
    # the reader and the manifest name the same places
    assert m.part("train").paths == ilsvrc.TRAIN_DIRS
    assert m.part("val").paths == ilsvrc.VAL_DIRS
    assert m.part("val_xml").paths == ilsvrc.VAL_XML_DIRS
    files = {f.paths[0] for f in m.files}
    assert {
        ilsvrc.VAL_CSV,
        ilsvrc.SYNSET_MAPPING,
        ilsvrc.DEVKIT_META,
        ilsvrc.DEVKIT_VAL_GT,
    } <= files
    # YAML round trip
    assert parse_manifest(yaml.safe_load(yaml.safe_dump(manifest_to_dict(m)))) == m


def test_good_miniature_tree_is_ok(mini: Path):
    report = check_dataset("ilsvrc2012", mini, expected_counts=miniature_counts())
    assert report.ok, report.message
    assert report.counts == {"train": 12, "val": 6, "val_xml": 6}
    assert report.message.startswith(f"ok: ilsvrc2012 at {mini}: train 12 JPEG files in 3 folders")
    assert report.require() is report


def test_full_manifest_on_miniature_names_the_layout(mini: Path):
    report = check_dataset("ilsvrc2012", mini)
    assert not report.ok
    assert report.message == (
        f"ilsvrc2012: {mini}/train: expected 1281167 JPEG files "
        "(train/<wnid>/<wnid>_<n>.JPEG, one folder per wnid), found 12"
    )
    assert any("val: expected 50000 JPEG files" in p for p in report.problems)
    with pytest.raises(InputError, match="expected 1281167 JPEG files"):
        report.require()


def test_deleted_file_exact_message(tmp_path: Path):
    root = make_miniature_ilsvrc(tmp_path / "t")
    (root / "val" / "ILSVRC2012_val_00000004.JPEG").unlink()
    report = check_dataset("ilsvrc2012", root, expected_counts=miniature_counts())
    assert report.message == (
        f"ilsvrc2012: {root}/val: expected 6 JPEG files {VAL_LAYOUT}, found 5; "
        "first missing: ILSVRC2012_val_00000004.JPEG"
    )
    assert "\n" not in report.message


def test_altered_file_found_by_deep_check(tmp_path: Path):
    root = make_miniature_ilsvrc(tmp_path / "t")
    manifest = manifest_from_tree("ilsvrc2012", root)
    assert check_dataset("ilsvrc2012", root, deep=True, manifest=manifest).ok
    target = root / "val" / "ILSVRC2012_val_00000003.JPEG"
    data = bytearray(target.read_bytes())
    before = hashlib.sha256(data).hexdigest()
    data[len(data) // 2] ^= 0xFF  # same size: only a checksum can tell
    target.write_bytes(bytes(data))
    after = hashlib.sha256(data).hexdigest()
    assert check_dataset("ilsvrc2012", root, manifest=manifest).ok
    report = check_dataset("ilsvrc2012", root, deep=True, manifest=manifest)
    assert report.message == (
        f"ilsvrc2012: {target}: expected sha256 {before[:16]}..., found {after[:16]}...; "
        "first altered: val/ILSVRC2012_val_00000003.JPEG"
    )
    target.write_bytes(bytes(data[:-10]))  # a size change is found without hashing
    report = check_dataset("ilsvrc2012", root, manifest=manifest)
    assert f"bytes, found {len(data) - 10}; first altered: val/ILSVRC2012_val_00000003" in (
        report.message
    )


def test_layout_problems(tmp_path: Path):
    counts = miniature_counts()
    assert "expected a folder holding" in check_dataset("ilsvrc2012", tmp_path / "nope").message
    root = make_miniature_ilsvrc(tmp_path / "t", val_layout="folders")
    assert check_dataset("ilsvrc2012", root, expected_counts=counts).ok  # foldered val
    # the same val image in two wnid folders
    src = root / "val" / "n01440764" / "ILSVRC2012_val_00000001.JPEG"
    (root / "val" / "n02102040" / src.name).write_bytes(src.read_bytes())
    message = check_dataset("ilsvrc2012", root, expected_counts=counts).message
    assert message.endswith(
        "found 7; duplicate: n01440764/ILSVRC2012_val_00000001.JPEG and "
        "n02102040/ILSVRC2012_val_00000001.JPEG"
    )
    # no val boxes at all
    root = make_miniature_ilsvrc(tmp_path / "u")
    for xml in (root / "val_xml").iterdir():
        xml.unlink()
    (root / "val_xml").rmdir()
    message = check_dataset("ilsvrc2012", root, expected_counts=miniature_counts()).message
    assert message == (
        f"ilsvrc2012: {root}: expected val boxes: val_xml/ILSVRC2012_val_<8 digits>.xml "
        "(ILSVRC2012_bbox_val_v3.tgz) or LOC_val_solution.csv (Kaggle), found none of "
        "val_xml/, LOC_val_solution.csv"
    )
    # a train folder that is not a wnid
    (root / "LOC_val_solution.csv").write_text("ImageId,PredictionString\n")
    (root / "train" / "misc").mkdir()
    counts = {**counts, "train": {"files": 12, "folders": 4}}
    message = check_dataset("ilsvrc2012", root, expected_counts=counts).message
    assert message.endswith("one folder per wnid): unexpected folder: misc")


def test_archives_are_verified_when_present(tmp_path: Path, mini: Path):
    m = manifest_to_dict(load_manifest("ilsvrc2012"))
    counts = miniature_counts()
    report = check_dataset("ilsvrc2012", mini, deep=True, expected_counts=counts)
    assert report.ok and "ILSVRC2012_img_train.tar absent (not verified)" in report.message
    root = make_miniature_ilsvrc(tmp_path / "t")
    (root / "ILSVRC2012_devkit_t12.tar.gz").write_bytes(b"not the devkit")
    report = check_dataset("ilsvrc2012", root, deep=True, expected_counts=counts)
    assert report.message == (
        f"ilsvrc2012: {root}/ILSVRC2012_devkit_t12.tar.gz: expected md5 "
        "fa75699e90414af021442c21a62c3abf (devkit (meta.mat, validation ground truth)), found "
        f"{hashlib.md5(b'not the devkit').hexdigest()}; first altered: ILSVRC2012_devkit_t12.tar.gz"
    )
    m["archives"] = [
        {"name": "ILSVRC2012_devkit_t12.tar.gz", "md5": hashlib.md5(b"not the devkit").hexdigest()}
    ]
    report = check_dataset("ilsvrc2012", root, deep=True, expected_counts=counts, manifest=m)
    assert report.ok and "md5 ILSVRC2012_devkit_t12.tar.gz" in report.verified


def test_bad_manifests_and_arguments(tmp_path: Path):
    with pytest.raises(InputError, match=r"^name: expected a dataset with a manifest"):
        check_dataset("imagenet21k", tmp_path)
    with pytest.raises(InputError, match=r"parts\[0\]: expected a 'count' entry"):
        parse_manifest(
            {
                "name": "x",
                "layout": "y",
                "parts": [{"name": "a", "path": "a", "layout": "l", "suffix": ".x"}],
            }
        )
    with pytest.raises(InputError, match=r"^expected_counts: expected keys among the parts"):
        check_dataset("ilsvrc2012", tmp_path, expected_counts={"test": 3})
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(InputError, match=r"^manifest bad.yaml: expected valid YAML"):
        load_manifest(bad)


def test_check_data_command(tmp_path: Path, mini: Path, capsys: pytest.CaptureFixture):
    assert check_data_main(["ilsvrc2012", "--root", str(mini)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"ilsvrc2012: {mini}/train: expected 1281167 JPEG files")
    manifest = tmp_path / "mini.yaml"
    manifest.write_text(yaml.safe_dump(manifest_to_dict(manifest_from_tree("ilsvrc2012", mini))))
    assert (
        check_data_main(["ilsvrc2012", "--root", str(mini), "--deep", "--manifest", str(manifest)])
        == 0
    )
    out, err = capsys.readouterr()
    assert out.startswith(f"ok: ilsvrc2012 at {mini}: train 12 JPEG files in 3 folders") and not err
    assert "; deep: 26 checksums verified" in out  # 12 train + 6 val + 6 XML + 2 devkit files
    assert check_data_main(["imagenet21k", "--root", str(mini)]) == 2
    assert "error: name: expected a dataset with a manifest" in capsys.readouterr().err
    assert check_data_main(["ilsvrc2012"]) == 2
    assert "--root" in capsys.readouterr().err


# --------------------------------------------------------------------------- nested layouts

SUN397_LAYOUT = "(SUN397/<letter>/<class>[/<sub>]/sun_<id>.jpg, one folder per class)"


def test_sun_manifests_published_counts():
    sun = load_manifest("sun397").part("images")
    assert (sun.count, sun.folders, sun.depth, sun.suffix) == (108_754, 397, (2, 3), ".jpg")
    attr = load_manifest("sun-attribute").part("images")
    assert (attr.count, attr.folders, attr.depth) == (14_340, None, (2, 3))


def test_nested_classes_counted_and_missing_file_named(tmp_path: Path):
    from cam_core.testing.miniature_sets import make_miniature_scene

    make_miniature_scene("sun397", tmp_path)  # a/abbey, b/bakery/shop, c/cabin/outdoor x 4
    counts = {"images": {"files": 12, "folders": 3}}
    report = check_dataset("sun397", tmp_path, expected_counts=counts)
    assert report.ok, report.message
    assert report.message.startswith(f"ok: sun397 at {tmp_path}: SUN397 12 image files in 3")
    # the full manifest names the layout and the published count
    assert check_dataset("sun397", tmp_path).message == (
        f"sun397: {tmp_path}/SUN397: expected 108754 image files {SUN397_LAYOUT}, found 12"
    )
    # measured: b/bakery and c/cabin hold only subfolders, so they are not class folders
    measured = manifest_from_tree("sun397", tmp_path)
    assert measured.part("images").folder_counts == {
        "a/abbey": 4,
        "b/bakery/shop": 4,
        "c/cabin/outdoor": 4,
    }
    assert measured.part("images").folders == 3
    listed = [f.paths[0] for f in measured.files if f.paths[0].endswith(".jpg")]
    assert listed[0] == "SUN397/a/abbey/sun_0aa001.jpg" and len(listed) == 12
    deep = tmp_path / "SUN397" / "b" / "bakery" / "shop" / "sun_1aa002.jpg"
    deep.unlink()
    head = f"sun397: {tmp_path}/SUN397: expected 12 image files {SUN397_LAYOUT}, found 11"
    assert check_dataset("sun397", tmp_path, expected_counts=counts).message == head
    message = check_dataset("sun397", tmp_path, manifest=measured).message
    assert message == f"{head}; first missing: b/bakery/shop/sun_1aa002.jpg"
    assert "\n" not in message
    # a class emptied: its folder is still a leaf, so it is still counted as a folder
    for f in (tmp_path / "SUN397" / "a" / "abbey").iterdir():
        f.unlink()
    counts = {"images": {"files": 7, "folders": 3}}
    report = check_dataset("sun397", tmp_path, expected_counts=counts)
    assert report.ok and "SUN397 7 image files in 3 folders" in report.message
    report = check_dataset("sun397", tmp_path, expected_counts=counts, manifest=measured)
    assert report.message.endswith("found 7; first missing: a/abbey/sun_0aa001.jpg")


def test_nested_layout_problems(tmp_path: Path):
    from cam_core.testing.miniature_sets import make_miniature_scene

    make_miniature_scene("sun397", tmp_path)
    stray = tmp_path / "SUN397" / "b" / "sun_stray.jpg"  # one level too shallow
    stray.write_bytes(b"x")
    counts = {"images": {"files": 13, "folders": 3}}
    message = check_dataset("sun397", tmp_path, expected_counts=counts).message
    assert message.endswith("found 13; misplaced: b/sun_stray.jpg")
    stray.unlink()
    # a fourth level is below the layout: neither visited nor counted
    extra = tmp_path / "SUN397" / "b" / "bakery" / "shop" / "old"
    extra.mkdir()
    (extra / "sun_old.jpg").write_bytes(b"x")
    assert check_dataset("sun397", tmp_path, expected_counts=counts).counts == {"images": 12}
    # a class folder whose path breaks the pattern
    m = manifest_to_dict(load_manifest("sun397"))
    m["parts"][0].update(count=12, folders=3, folder_pattern=r"[a-z]/[a-z_]+(/[a-z_]+)?")
    assert check_dataset("sun397", tmp_path, manifest=m).ok
    (tmp_path / "SUN397" / "c" / "cabin").rename(tmp_path / "SUN397" / "c" / "Cab1n")
    message = check_dataset("sun397", tmp_path, manifest=m).message
    assert message.endswith("one folder per class): unexpected folder: c/Cab1n/outdoor")
    with pytest.raises(InputError, match=r"depth: expected a list of nesting levels among 0\.\.6"):
        m["parts"][0]["depth"] = [2, 7]
        parse_manifest(m)


def test_sun_attribute_images_counted_under_images(tmp_path: Path):
    from cam_core.datasets.scenes import locate
    from cam_core.testing.miniature_sets import make_miniature_scene

    make_miniature_scene("sun-attribute", tmp_path)
    root = locate("sun-attribute", tmp_path)
    report = check_dataset("sun-attribute", root, expected_counts={"images": 12})
    assert report.ok and f"at {root}: images 12 image files; files: 3 present" in report.message
    (root / "images" / "c" / "canyon" / "sun_2x004.jpg").unlink()
    measured = manifest_from_tree("sun-attribute", root)  # measured after the loss: 11
    assert measured.part("images").count == 11
    message = check_dataset("sun-attribute", root, expected_counts={"images": 12}).message
    assert message == (
        f"sun-attribute: {root}/images: expected 12 image files "
        "(images/<letter>/<class>[/<sub>]/<name>.jpg), found 11"
    )
