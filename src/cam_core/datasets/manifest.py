"""Dataset manifests and a fast check of a dataset tree against one.

A manifest (YAML, ``data/manifests/<dataset>.yaml``; format in ``data/manifests/README.md``)
says what a dataset's folder must hold: *parts* (folders of many files, counted with
``os.scandir``), single *files* (optionally with size and sha256), *groups* of alternatives
(e.g. val boxes as per-image XML or as one CSV) and the published *archives* with checksums.
:func:`check_dataset` compares a tree with it and returns a :class:`Report` whose
``message`` is one line: ``"ok: ..."`` or the first problem, naming the dataset, the
expected layout and the first missing or altered file. ``deep=True`` also verifies the
checksums (sha256 of listed files, md5/sha256 of archives that are present).
"""

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cam_core.paths import checkout_root
from cam_core.validate import InputError, fail

HASH_CHUNK = 8 << 20
MAX_DEPTH = 6  # deepest nesting level a part may declare


@dataclass(frozen=True)
class Part:
    """A folder of many files of one kind, e.g. ``train/<wnid>/*.JPEG``."""

    name: str
    paths: tuple[str, ...]  # candidate folders relative to the root; the first present is used
    layout: str  # human description, quoted in messages
    suffix: str  # files counted end with this (case-sensitive), e.g. ".JPEG"
    count: int  # expected number of such files
    # where files may sit: 0 = in the folder, 1 = one folder down, 2 = two down (up to
    # MAX_DEPTH), e.g. (2, 3) for SUN397's <letter>/<class>[/<sub>]/<name>.jpg
    depth: tuple[int, ...] = (0,)
    folders: int | None = None  # expected number of class folders (see :func:`_scan_part`)
    folder_pattern: str | None = None  # regex every class folder's relative path must match
    names: tuple[str, int, int] | None = None  # (format, first, last): enumerable file names
    folder_counts: Mapping[str, int] | None = None  # files per class folder, when known
    kind: str = ""  # word for the files in messages ("JPEG"); default from the suffix
    group: str | None = None
    required: bool = True

    @property
    def what(self) -> str:
        """``"JPEG files"``-style noun phrase for messages."""
        return f"{self.kind or self.suffix.lstrip('.').upper()} files"


@dataclass(frozen=True)
class FileEntry:
    """One file (relative path candidates), optionally with its size and sha256."""

    paths: tuple[str, ...]
    description: str = ""
    size: int | None = None
    sha256: str | None = None
    group: str | None = None
    required: bool = True


@dataclass(frozen=True)
class Archive:
    """A published archive and its checksum(s), verified by ``deep`` checks when present."""

    name: str
    md5: str | None = None
    sha256: str | None = None
    size: int | None = None
    contents: str = ""
    checksum_source: str = ""


@dataclass(frozen=True)
class Manifest:
    """What a dataset tree must contain (see the module docstring)."""

    name: str
    description: str
    layout: str
    parts: tuple[Part, ...] = ()
    files: tuple[FileEntry, ...] = ()
    archives: tuple[Archive, ...] = ()
    groups: Mapping[str, str] = field(default_factory=dict)  # group -> human description

    def part(self, name: str) -> Part:
        """The part called ``name`` (InputError if there is none)."""
        for p in self.parts:
            if p.name == name:
                return p
        fail("part", f"one of {[p.name for p in self.parts]} ({self.name})", repr(name))
        raise AssertionError  # unreachable


@dataclass
class Report:
    """Outcome of :func:`check_dataset`; ``message`` is one line (``"ok: ..."`` or the error)."""

    dataset: str
    root: Path
    ok: bool
    message: str
    problems: list[str] = field(default_factory=list)  # every problem found, first = message
    counts: dict[str, int] = field(default_factory=dict)  # files found per part present
    located: dict[str, Path] = field(default_factory=dict)  # part/file/archive -> path used
    verified: list[str] = field(default_factory=list)  # checksums that matched (deep)
    notes: list[str] = field(default_factory=list)  # what could not be verified, and why

    def require(self) -> "Report":
        """Raise :class:`InputError` with the one-line message unless the check passed."""
        if not self.ok:
            raise InputError(self.message)
        return self

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------- loading


def manifests_dir() -> Path:
    """``<repo>/data/manifests`` (``CAM_REPRO_ROOT`` honoured), else next to this package."""

    here = checkout_root() / "data" / "manifests"
    if here.is_dir():
        return here
    return checkout_root() / "data" / "manifests"


def available_manifests() -> list[str]:
    """Names of the manifests that exist (``<name>.yaml`` under :func:`manifests_dir`)."""
    folder = manifests_dir()
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def _strs(where: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    fail(where, "a path or a non-empty list of paths", repr(value))
    raise AssertionError


def int_field(where: str, value: object, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        fail(where, "a non-negative integer", repr(value))
    return value


def _keys(where: str, d: object, allowed: Iterable[str], required: Iterable[str] = ()) -> dict:
    if not isinstance(d, Mapping):
        fail(where, "a mapping", type(d).__name__)
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        fail(where, f"keys among {sorted(allowed)}", f"unknown key {unknown[0]!r}")
    for key in required:
        if key not in d:
            fail(where, f"a {key!r} entry", "none")
    return d


_PART_KEYS = (
    "name path layout suffix count depth folders folder_pattern names folder_counts kind "
    "group required"
).split()


def _part(where: str, d: object) -> Part:
    d = _keys(where, d, _PART_KEYS, ("name", "path", "layout", "suffix", "count"))
    names = d.get("names")
    if names is not None:
        names = _keys(f"{where}.names", names, ("format", "first", "last"), ("format", "first"))
        first = int_field(f"{where}.names.first", names["first"])
        last = int_field(f"{where}.names.last", names.get("last", first + d["count"] - 1))
        names = (str(names["format"]), first, last)
    depth = d.get("depth", [0])
    if (
        not isinstance(depth, list)
        or not depth
        or not all(type(v) is int and 0 <= v <= MAX_DEPTH for v in depth)
    ):
        fail(f"{where}.depth", f"a list of nesting levels among 0..{MAX_DEPTH}", repr(depth))
    counts = d.get("folder_counts")
    if counts is not None and not isinstance(counts, dict):
        fail(f"{where}.folder_counts", "a mapping folder -> file count", type(counts).__name__)
    return Part(
        name=str(d["name"]),
        paths=_strs(f"{where}.path", d["path"]),
        layout=str(d["layout"]),
        suffix=str(d["suffix"]),
        count=int_field(f"{where}.count", d["count"]),
        depth=tuple(sorted(depth)),
        folders=int_field(f"{where}.folders", d.get("folders"), optional=True),
        folder_pattern=d.get("folder_pattern"),
        names=names,
        folder_counts={str(k): int(v) for k, v in counts.items()} if counts else None,
        kind=str(d.get("kind", "")),
        group=d.get("group"),
        required=bool(d.get("required", True)),
    )


def _file(where: str, d: object) -> FileEntry:
    d = _keys(where, d, ("path", "description", "size", "sha256", "group", "required"), ["path"])
    sha = d.get("sha256")
    if sha is not None and not re.fullmatch(r"[0-9a-f]{64}", str(sha)):
        fail(f"{where}.sha256", "64 lower-case hex digits or null", repr(sha))
    return FileEntry(
        paths=_strs(f"{where}.path", d["path"]),
        description=str(d.get("description", "")),
        size=int_field(f"{where}.size", d.get("size"), optional=True),
        sha256=sha,
        group=d.get("group"),
        required=bool(d.get("required", True)),
    )


def _archive(where: str, d: object) -> Archive:
    keys = ("name", "md5", "sha256", "size", "contents", "checksum_source")
    d = _keys(where, d, keys, ["name"])
    return Archive(
        name=str(d["name"]),
        md5=d.get("md5"),
        sha256=d.get("sha256"),
        size=int_field(f"{where}.size", d.get("size"), optional=True),
        contents=str(d.get("contents", "")),
        checksum_source=str(d.get("checksum_source", "")),
    )


def parse_manifest(data: Mapping[str, Any] | object, where: str = "manifest") -> Manifest:
    """Build a :class:`Manifest` from its YAML mapping; errors name the offending key."""
    keys = ("name", "description", "layout", "parts", "files", "archives", "groups")
    d = _keys(where, data, keys, ("name", "layout"))
    m = Manifest(
        name=str(d["name"]),
        description=str(d.get("description", "")).strip(),
        layout=" ".join(str(d["layout"]).split()),
        parts=tuple(_part(f"{where}.parts[{i}]", p) for i, p in enumerate(d.get("parts") or [])),
        files=tuple(_file(f"{where}.files[{i}]", f) for i, f in enumerate(d.get("files") or [])),
        archives=tuple(
            _archive(f"{where}.archives[{i}]", a) for i, a in enumerate(d.get("archives") or [])
        ),
        groups={str(k): str(v) for k, v in (d.get("groups") or {}).items()},
    )
    for i, member in enumerate((*m.parts, *m.files)):
        if member.group is not None and member.group not in m.groups:
            fail(f"{where}: member {i} group", f"one of {sorted(m.groups)}", repr(member.group))
    return m


def load_manifest(name: str | Path) -> Manifest:
    """The manifest of dataset ``name`` (or a path to a manifest YAML file)."""
    if not isinstance(name, str | os.PathLike):
        fail("name", "a dataset name such as 'ilsvrc2012' or a manifest path", type(name).__name__)
    path = Path(name)
    if path.suffix not in (".yaml", ".yml"):
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", str(name)):
            fail("name", "a dataset name such as 'ilsvrc2012'", repr(name))
        path = manifests_dir() / f"{name}.yaml"
        if not path.is_file():
            fail("name", f"a dataset with a manifest, one of {available_manifests()}", repr(name))
    if not path.is_file():
        fail("manifest", "an existing manifest file", str(path))
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(f"manifest {path.name}", "valid YAML", first)
    return parse_manifest(data or {}, where=f"manifest {path.name}")
