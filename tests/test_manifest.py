"""Dataset manifests: the ILSVRC 2012 manifest, and check_dataset on miniature trees."""

import hashlib
from pathlib import Path

import pytest
import yaml

import cam_core  # noqa: F401  (makes torchvision importable before its datasets module)
from cam_core import ilsvrc
from cam_core.manifest import (
    check_data_main,
    check_dataset,
    load_manifest,
    manifest_from_tree,
    manifest_to_dict,
    parse_manifest,
)
from cam_core.miniature import make_miniature_ilsvrc, miniature_counts
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
