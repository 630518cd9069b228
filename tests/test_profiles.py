"""Profiles and notebook parameters: defaults, and one-line errors naming the parameter."""

from pathlib import Path

import pytest

from cam_core.common import profiles
from cam_core.validate import InputError


def _error(item: str, **params: object) -> str:
    with pytest.raises(InputError) as info:
        profiles.validate_parameters(item, **params)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_catalogue_and_profiles() -> None:
    assert profiles.profile_names() == ["smoke", "cpu", "full"]
    assert profiles.item_names() == [
        *[f"table{n}" for n in range(1, 6)],
        *[f"figure{n:02d}" for n in range(5, 14)],
    ]
    assert profiles.load_profile("full")["requires_data_root"] is True
    assert profiles.load_profile("cpu")["requires_data_root"] is False
    for name in profiles.profile_names():
        profile = profiles.load_profile(name)
        for item in profiles.item_names():
            assert set(profile["items"][item]) == set(profiles.item_info(item)["knobs"])


def test_smoke_defaults(fake_repo: Path) -> None:
    params = profiles.validate_parameters("table1", profile="smoke")
    assert params == {
        "item": "table1",
        "profile": "smoke",
        "data_root": None,
        "out_dir": str(fake_repo / "results" / "smoke"),
        "device": "cpu",
        "seed": 0,
        "networks": [
            "small-vgg-gap",
            "small-googlenet-gap",
            "small-alexnet*-gap",
            "small-alexnet-gap",
            "small-googlenet",
            "small-vgg",
            "small-alexnet",
            "small-nin",
            "small-googlenet-gmp",
        ],
        "seeds": 2,
        "headline": ["small-googlenet-gap", "small-googlenet-gmp"],
        "epochs": 1,
        "train_images": 48,
        "val_images": 16,
        "eval_images": 24,
        "image_size": 32,
        "batch_size": 16,
        "lr": 0.003,
        "optimizer": "adamw",
        "width": 0.25,
        "weights": "",
        "crops": "single",
    }


def test_given_values_win_and_ints_are_floats(tmp_path: Path) -> None:
    params = profiles.validate_parameters(
        "table2", profile="cpu", seed=7, threshold=1, networks=("a",), out_dir=str(tmp_path)
    )
    assert (params["seed"], params["threshold"], params["networks"]) == (7, 1, ["a"])
    assert params["out_dir"] == str(tmp_path.resolve())
    assert profiles.validate_parameters("scoreboard", profile="cpu")["item"] == "scoreboard"


def test_unknown_profile_and_notebook() -> None:
    assert _error("table1", profile="gpu") == (
        "profile: expected one of smoke, cpu, full, got 'gpu'"
    )
    assert _error("table1").startswith("profile: expected one of smoke, cpu, full, got None")
    assert _error("table9", profile="cpu").startswith("notebook: expected one of table1, ")
    assert _error("table9", profile="cpu").endswith("got 'table9'")


def test_unknown_parameter() -> None:
    message = _error("table1", profile="cpu", epochz=3)
    assert message.startswith("epochz: expected a parameter of table1 (one of profile, ")
    assert message.endswith("got unknown parameter")
    # a knob of another notebook is unknown here
    assert _error("figure05", profile="cpu", epochs=3).startswith("epochs: ")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("epochs", "two", "epochs: expected int, got str 'two'"),
        ("epochs", 1.5, "epochs: expected int, got float 1.5"),
        ("epochs", True, "epochs: expected int, got bool True"),
        ("seed", "0", "seed: expected int, got str '0'"),
        ("device", 0, "device: expected str, got int 0"),
        ("networks", "tiny-gap", "networks: expected list[str], got str 'tiny-gap'"),
        ("networks", ["a", 1], "networks: expected list[str], got list ['a', 1]"),
        ("data_root", 3, "data_root: expected str or None, got int 3"),
    ],
)
def test_wrong_type(name: str, value: object, message: str) -> None:
    assert _error("table1", profile="smoke", **{name: value}) == message


def test_data_root_for_full(tmp_path: Path) -> None:
    assert _error("table1", profile="full").startswith("data_root: expected a folder with")
    assert "profile 'full' needs one" in _error("table1", profile="full")
    missing = str(tmp_path / "nope")
    assert _error("table1", profile="full", data_root=missing) == (
        f"data_root: expected an existing folder, got {missing!r}"
    )
    params = profiles.validate_parameters("table1", profile="full", data_root=str(tmp_path))
    assert params["data_root"] == str(tmp_path.resolve())
    assert params["device"] == "cuda"


def test_device_and_out_dir(tmp_path: Path) -> None:
    assert _error("table1", profile="cpu", device="gpu") == (
        "device: expected cpu, cuda, cuda:N or mps, got 'gpu'"
    )
    assert profiles.validate_parameters("table1", profile="cpu", device="cuda:1")["device"]
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert _error("table1", profile="cpu", out_dir=str(a_file)).startswith("out_dir: expected")


def test_broken_config_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = profiles.CONFIG_PATH.read_text().replace("epochs: 1,", "epochs: one,", 1)
    broken = tmp_path / "profiles.yaml"
    broken.write_text(text)
    monkeypatch.setattr(profiles, "CONFIG_PATH", broken)
    profiles.load_config.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"smoke\.table1\.epochs is not a int"):
            profiles.load_config()
    finally:
        monkeypatch.undo()
        profiles.load_config.cache_clear()


def test_data_fingerprint(fake_repo: Path, tmp_path: Path) -> None:
    smoke = profiles.data_fingerprint("smoke")
    assert smoke == profiles.data_fingerprint("cpu") == profiles.data_fingerprint("smoke")
    data = tmp_path / "data"
    data.mkdir()
    before = profiles.data_fingerprint("full", str(data))
    assert before == profiles.data_fingerprint("full", str(data))
    (data / "ILSVRC").mkdir()
    after_data = profiles.data_fingerprint("full", str(data))
    assert after_data != before
    (fake_repo / "data" / "manifests").mkdir()
    (fake_repo / "data" / "manifests" / "ilsvrc.json").write_text("{}")
    assert profiles.data_fingerprint("full", str(data)) not in (before, after_data)


def test_parameters_table() -> None:
    params = profiles.validate_parameters("table2", profile="smoke")
    table = profiles.parameters_table(params)
    assert table.loc["baselines", "value"] == "backprop"
    assert table.loc["baseline_networks", "value"] == "small-googlenet, small-vgg, small-alexnet"
    assert table.loc["data_root", "value"] == "None"
    assert table.loc["out_dir", "value"] == "results/smoke"  # never the machine's full path
    assert "item" not in table.index
    assert profiles.display_path("/somewhere/else/cam-data") == ".../cam-data"
