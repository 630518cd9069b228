"""SUN2012 object annotations (LabelMe XML) and Figure 9 at ``full`` scale.

Layout (``data/manifests/sun2012.yaml``), under ``SUN2012/``:

- ``Images/<letter>/<scene>[/<sub>]/<name>.jpg``;
- ``Annotations/<letter>/<scene>[/<sub>]/<name>.xml``, one LabelMe file per image:
  ``<annotation><filename>..</filename><imagesize><nrows>..</nrows><ncols>..</ncols>
  </imagesize><object><name>..</name><deleted>0</deleted><polygon><pt><x>..</x><y>..</y>
  </pt>...</polygon></object>...</annotation>``.

The scene category is the folder under the letter (``d/dining_room`` -> ``"dining room"``,
``b/bakery/shop`` -> ``"bakery/shop"``). Object names are normalised: stripped, lower-case,
inner white space collapsed. Deleted objects (``<deleted>1``) are dropped. Polygon vertices
are image pixel coordinates; :func:`polygon_mask` fills them with Pillow (boundary pixels
included) at the image's size from the JPEG header, vertices past the border are clipped to
it (annotators drag points past the edge), and a polygon with no pixel in the image is an
error. Bad input (a missing file, malformed XML, an object without a name or with fewer than
three numeric vertices) is a one-line :class:`~cam_core.validate.InputError` naming the
file; ``on_error="skip"`` skips such annotation files and counts them instead.

Figure 9 (:func:`figure9_full`): the paper's 10 scene categories with at least 200 annotated
images, one-vs-all linear SVMs on GAP features, each held-out image's CAM for its own scene,
and per (scene, object) how often the object occurs and how often it overlaps the CAM's
high-activation region.
"""

from __future__ import annotations

import dataclasses
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from cam_core.datasets.base import read_xml_root
from cam_core.validate import InputError, fail

__all__ = [
    "DATASET",
    "MIN_SCENE_IMAGES",
    "PAPER_SCENES",
    "SunObject",
    "SunAnnotation",
    "Sun2012Index",
    "locate",
    "normalise_name",
    "scene_name",
    "parse_annotation",
    "scene_counts",
    "read_sun2012",
    "polygon_mask",
    "choose_scenes",
    "object_table",
]

DATASET = "sun2012"
MIN_SCENE_IMAGES = 200  # the paper: scene categories with at least 200 annotated images
PAPER_SCENES = 10  # ... ten of them (4,675 images in the paper)
# An object distinguishes a scene when it is in at least this share of the scene's images
# and at least DISTINCT_RATIO times as often there as in the other scenes' images.
DISTINCT_SUPPORT = 0.1
DISTINCT_RATIO = 2.0
_SUBDIRS = ("SUN2012", "sun2012", "SUN2012/SUN2012")


@dataclasses.dataclass(frozen=True)
class SunObject:
    """One annotated object: normalised ``name`` and its polygon float64 ``(P, 2)`` (x, y)."""

    name: str
    polygon: np.ndarray


@dataclasses.dataclass(frozen=True)
class SunAnnotation:
    """One LabelMe file: the image's ``filename``, ``imagesize`` (H, W) if given, objects."""

    filename: str
    imagesize: tuple[int, int] | None
    objects: tuple[SunObject, ...]


@dataclasses.dataclass(frozen=True)
class Sun2012Index:
    """Annotated images of a SUN2012 tree: per image its path under ``Images/``, scene and
    annotation; ``skipped``: ``"<xml path>: <reason>"`` per annotation file skipped."""

    root: Path
    files: tuple[str, ...]
    scenes: tuple[str, ...]
    annotations: tuple[SunAnnotation, ...]
    skipped: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.files)


def locate(data_root: str | Path | None) -> Path:
    """The SUN2012 root under ``data_root``: the first of ``SUN2012/``, ``sun2012/`` or
    ``data_root`` itself that holds ``Annotations/`` and ``Images/``."""
    if data_root is None:
        fail("data_root", "the folder holding SUN2012/ (profile full)", "None")
    root = Path(data_root)
    for candidate in (*(root / s for s in _SUBDIRS), root):
        if (candidate / "Annotations").is_dir() and (candidate / "Images").is_dir():
            return candidate
    fail(
        "data_root",
        f"a folder with SUN2012/Annotations and SUN2012/Images ({DATASET}; see "
        "data/manifests/sun2012.yaml)",
        str(root),
    )
    raise AssertionError


def normalise_name(name: str) -> str:
    """An object name as compared: stripped, lower-case, inner white space one space."""
    return " ".join(name.split()).lower()


def scene_name(folder: str) -> str:
    """Scene category of an annotation folder ``<letter>/<scene>[/<sub>]``: the part after
    the letter, underscores as spaces (``"d/dining_room"`` -> ``"dining room"``)."""
    parts = [p for p in folder.replace("\\", "/").split("/") if p]
    if len(parts) < 2:
        fail("folder", "<letter>/<scene>[/<sub>]", repr(folder))
    return "/".join(parts[1:]).replace("_", " ")


def _text(node: ET.Element | None) -> str:
    return "" if node is None or node.text is None else node.text


def parse_annotation(path: str | Path) -> SunAnnotation:
    """Read one LabelMe XML file (see the module docstring); one-line errors name the file."""
    path = Path(path)
    where = f"{DATASET}: {path}"
    root = read_xml_root(path, DATASET, "annotation", "missing annotation file")
    filename = _text(root.find("filename")).strip()
    imagesize = None
    size = root.find("imagesize")
    if size is not None:
        rows, cols = _text(size.find("nrows")).strip(), _text(size.find("ncols")).strip()
        if rows.isdigit() and cols.isdigit() and int(rows) > 0 and int(cols) > 0:
            imagesize = (int(rows), int(cols))
    objects = []
    for k, obj in enumerate(root.iter("object")):
        if _text(obj.find("deleted")).strip() == "1":
            continue
        name = normalise_name(_text(obj.find("name")))
        if not name:
            raise InputError(f"{where}: object {k}: expected a <name>, got none")
        points = []
        for pt in obj.iterfind("polygon/pt"):
            try:
                points.append((float(_text(pt.find("x"))), float(_text(pt.find("y")))))
            except ValueError:
                raise InputError(
                    f"{where}: object {k} ({name}): expected numeric <x> and <y> in every <pt>"
                ) from None
        if len(points) < 3:
            raise InputError(
                f"{where}: object {k} ({name}): expected a polygon of >= 3 points, "
                f"got {len(points)}"
            )
        objects.append(SunObject(name, np.array(points, dtype=np.float64)))
    return SunAnnotation(filename, imagesize, tuple(objects))


def _scene_folders(root: Path) -> dict[str, list[Path]]:
    """Scene -> its annotation folders (``<letter>/<scene>[/<sub>]`` holding XML files)."""
    ann = root / "Annotations"
    out: dict[str, list[Path]] = {}
    for dirpath, _dirs, names in sorted(os.walk(ann)):
        if any(n.endswith(".xml") for n in names):
            rel = Path(dirpath).relative_to(ann).as_posix()
            if rel.count("/") >= 1:
                out.setdefault(scene_name(rel), []).append(Path(dirpath))
    return out


def scene_counts(root: str | Path) -> pd.Series:
    """Annotation files per scene (no XML parsed), most first, then by name."""
    folders = _scene_folders(Path(root))
    counts = pd.Series(
        {s: sum(len(list(f.glob("*.xml"))) for f in fs) for s, fs in folders.items()}, dtype=int
    )
    return counts.iloc[np.lexsort((counts.index.to_numpy(), -counts.to_numpy()))]


def read_sun2012(
    root: str | Path, scenes: Sequence[str] | None = None, on_error: str = "raise"
) -> Sun2012Index:
    """Annotated images of the tree at ``root`` (of ``scenes`` only, if given), sorted by
    path. Each XML's image is ``Images/<same folder>/<filename>`` (else ``<xml stem>.jpg``).
    ``on_error``: ``"raise"`` the first bad annotation file, or ``"skip"`` and count it."""
    if on_error not in ("raise", "skip"):
        fail("on_error", "'raise' or 'skip'", repr(on_error))
    root = Path(root)
    folders = _scene_folders(root)
    wanted = sorted(folders) if scenes is None else list(scenes)
    missing = [s for s in wanted if s not in folders]
    if missing:
        raise InputError(
            f"{DATASET}: {root / 'Annotations'}: expected annotations of scene {missing[0]!r} "
            f"(<letter>/{missing[0].replace(' ', '_')}/*.xml), found none"
        )
    files, labels, anns, skipped = [], [], [], []
    for scene in wanted:
        for folder in folders[scene]:
            rel_folder = folder.relative_to(root / "Annotations")
            for xml in sorted(folder.glob("*.xml")):
                try:
                    ann = parse_annotation(xml)
                    image = rel_folder / (ann.filename or f"{xml.stem}.jpg")
                    if not (root / "Images" / image).is_file():
                        image = rel_folder / f"{xml.stem}.jpg"
                    if not (root / "Images" / image).is_file():
                        raise InputError(
                            f"{DATASET}: {xml}: its image Images/{rel_folder}/"
                            f"{ann.filename or xml.stem + '.jpg'} is missing"
                        )
                except InputError as exc:
                    if on_error == "raise":
                        raise
                    skipped.append(str(exc))
                    continue
                files.append(image.as_posix())
                labels.append(scene)
                anns.append(ann)
    return Sun2012Index(root, tuple(files), tuple(labels), tuple(anns), tuple(skipped))


def polygon_mask(polygon: np.ndarray, height: int, width: int) -> np.ndarray:
    """bool ``(height, width)``: the pixels of the polygon ``(P, 2)`` (x, y), filled by Pillow
    with its boundary, vertices clipped to the image; empty if it lies outside."""

    pts = np.asarray(polygon, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
        fail("polygon", "(P, 2) points, P >= 3", getattr(pts, "shape", None))
    clipped = np.stack([np.clip(pts[:, 0], 0, width - 1), np.clip(pts[:, 1], 0, height - 1)], 1)
    canvas = Image.new("1", (width, height), 0)
    outside = (pts[:, 0] < 0).all() or (pts[:, 1] < 0).all()
    outside |= (pts[:, 0] >= width).all() or (pts[:, 1] >= height).all()
    if not outside:
        ImageDraw.Draw(canvas).polygon([tuple(p) for p in clipped.tolist()], fill=1)
    return np.array(canvas, dtype=bool)


def choose_scenes(
    counts: pd.Series, named: Sequence[str], min_images: int = MIN_SCENE_IMAGES,
    at_most: int = PAPER_SCENES,
) -> list[str]:  # fmt: skip
    """The paper's rule: the scenes with at least ``min_images`` annotated images, the
    largest first, at most ``at_most``, the ``named`` ones always among them (first)."""
    absent = [s for s in named if s not in counts.index]
    if absent:
        fail("scene_classes", f"scenes of the SUN2012 tree ({', '.join(counts.index[:5])}, ...)",
             repr(absent[0]))  # fmt: skip
    chosen = list(named)
    for scene, n in counts.items():
        if len(chosen) >= max(at_most, len(named)):
            break
        if n >= min_images and scene not in chosen:
            chosen.append(scene)
    return chosen


def object_table(
    index: Sun2012Index,
    rows: np.ndarray,
    overlaps: Sequence[set[str]],
    scenes: Sequence[str],
    all_rows: np.ndarray,
) -> pd.DataFrame:
    """One row per (scene, object) occurring in the scene: ``frequency`` and ``overlap``
    (shares of the scene's scored images ``rows`` holding it, and whose CAM overlaps it,
    ``overlaps[i]`` the names overlapped in image ``rows[i]``), ``in_scene`` / ``elsewhere``
    (shares of the scene's and the other scenes' images among ``all_rows`` holding it) and
    ``distinct`` (in_scene >= DISTINCT_SUPPORT and >= DISTINCT_RATIO x elsewhere)."""
    names = {i: {o.name for o in index.annotations[i].objects} for i in all_rows}
    label = np.array([index.scenes[i] for i in all_rows])
    out = []
    for scene in scenes:
        mine = [i for i, s in zip(all_rows, label, strict=True) if s == scene]
        other = [i for i, s in zip(all_rows, label, strict=True) if s != scene]
        scored = [(i, o) for i, o in zip(rows, overlaps, strict=True) if index.scenes[i] == scene]
        seen = sorted(set().union(*(names[i] for i in mine))) if mine else []
        for obj in seen:
            in_scene = np.mean([obj in names[i] for i in mine])
            elsewhere = np.mean([obj in names[i] for i in other]) if other else 0.0
            out.append(
                {
                    "scene": scene,
                    "object": obj,
                    "frequency": float(np.mean([obj in names[i] for i, _ in scored]))
                    if scored
                    else 0.0,
                    "overlap": float(np.mean([obj in o for _, o in scored])) if scored else 0.0,
                    "in_scene": float(in_scene),
                    "elsewhere": float(elsewhere),
                    "distinct": bool(
                        in_scene >= DISTINCT_SUPPORT and in_scene >= DISTINCT_RATIO * elsewhere
                    ),
                }
            )
    return pd.DataFrame(out)
