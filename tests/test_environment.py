"""The conda environment for GPU runners pins exactly what pyproject.toml pins."""

import tomllib

import yaml

from cam_core.paths import repo_root


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((repo_root() / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra
    ]
    return dict(r.split("==", 1) for r in requirements)


def environment_pins() -> dict[str, str]:
    env = yaml.safe_load((repo_root() / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return dict(r.split("==", 1) for r in pip_section)


def test_every_requirement_is_pinned_exactly():
    project = tomllib.loads((repo_root() / "pyproject.toml").read_text())["project"]
    unpinned = [r for r in project["dependencies"] if "==" not in r]
    assert unpinned == [], f"pyproject.toml requirements without an exact pin: {unpinned}"


def test_environment_yml_mirrors_pyproject():
    assert environment_pins() == pyproject_pins()


def test_environment_yml_python_matches_requires_python():
    env = yaml.safe_load((repo_root() / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    project = tomllib.loads((repo_root() / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11,<3.12"


def test_torch_pins_are_the_measured_pair():
    pins = pyproject_pins()
    assert (pins["torch"], pins["torchvision"]) == ("2.13.0", "0.28.0")


def test_installed_versions_are_the_pinned_ones():
    from importlib.metadata import PackageNotFoundError, version

    project = tomllib.loads((repo_root() / "pyproject.toml").read_text())["project"]
    # `make bench` alone installs the bench extra: `make test` must not need it.
    bench = {r.split("==", 1)[0] for r in project["optional-dependencies"].get("bench", [])}
    installed = {}
    for name in pyproject_pins():
        try:
            installed[name] = version(name).split("+")[0]
        except PackageNotFoundError:
            if name not in bench:
                raise
    assert installed == {k: v for k, v in pyproject_pins().items() if k in installed}
    assert set(pyproject_pins()) - set(installed) <= bench


def test_nodeps_packages_are_installed_at_their_pins():
    from importlib.metadata import version

    lines = (repo_root() / "requirements-nodeps.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    assert {name: version(name) for name in pins} == pins
