"""Pictures for the figures: heat-map overlays, boxes, grids and top-k strips.

Pixel work (:func:`overlay`, :func:`gray_map`, :func:`draw_box`, :func:`draw_boxes`) happens
in numpy on uint8 ``(H, W, 3)`` images, so it is exact and testable. Layout functions return
a :class:`matplotlib.figure.Figure` built without pyplot (an Agg canvas, no global state):
the notebooks display it and :meth:`cam_core.common.results.Experiment.save_figure` saves it.

Colours follow the paper: heat maps in a jet colour map (blue low, red high), ground-truth
boxes green, predicted boxes red. Boxes use the project convention of
:mod:`cam_core.core.boxes`: ``(x0, y0, x1, y1)`` pixel edges, ``x1``/``y1`` exclusive.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from IPython.display import Image
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cam_core.validate import check_array, check_boxes, fail

__all__ = [
    "GT_COLOR",
    "PRED_COLOR",
    "DEFAULT_CMAP",
    "to_uint8_image",
    "colorize",
    "overlay",
    "gray_map",
    "draw_box",
    "draw_boxes",
    "default_line_width",
    "image_grid",
    "map_grid",
    "box_grid",
    "topk_strip",
    "figure_to_array",
    "figure_png",
    "show",
]

GT_COLOR = (0, 255, 0)  # ground truth: green, as in the paper's Figure 6
PRED_COLOR = (255, 0, 0)  # prediction: red
DEFAULT_CMAP = "jet"


def _numpy(x: object) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _check_rgb(name: str, image: object) -> np.ndarray:
    check_array(name, image, ndim=3, layout="(H, W, 3)")
    arr = _numpy(image)
    if arr.shape[2] != 3 or arr.dtype != np.uint8:
        fail(name, "a uint8 (H, W, 3) RGB image", f"{arr.dtype} {arr.shape}")
    return arr


def _check_stat(name: str, value: object) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if arr.size not in (1, 3) or not np.isfinite(arr).all():
        fail(name, "one number or three (per channel)", repr(value))
    return np.broadcast_to(arr, (3,))


def to_uint8_image(
    image: np.ndarray | torch.Tensor,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
) -> np.ndarray:
    """An image as uint8 ``(H, W, 3)``.

    A uint8 ``(H, W, 3)`` array is returned unchanged (a copy). A float ``(3, H, W)`` tensor
    or array is un-normalised with ``mean``/``std`` (``x * std + mean``; both None: already
    in [0, 1]), clipped to [0, 1] and rounded to 0..255.
    """
    check_array("image", image, ndim=3, layout="(H, W, 3) uint8 or (3, H, W) float")
    arr = _numpy(image)
    if arr.dtype == np.uint8:
        if mean is not None or std is not None:
            fail("mean", "None for a uint8 image (nothing to un-normalise)", repr(mean))
        return _check_rgb("image", arr).copy()
    if not np.issubdtype(arr.dtype, np.floating) or arr.shape[0] != 3:
        fail("image", "a uint8 (H, W, 3) or float (3, H, W) image", f"{arr.dtype} {arr.shape}")
    if (mean is None) != (std is None):
        fail("std" if std is None else "mean", "mean and std given together", "only one")
    x = arr.astype(np.float64).transpose(1, 2, 0)
    if mean is not None:
        s = _check_stat("std", std)
        if (s <= 0).any():
            fail("std", "positive values", repr(std))
        x = x * s + _check_stat("mean", mean)
    return np.rint(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)


def _check_heat(name: str, heat: object, shape: tuple[int, int] | None = None) -> np.ndarray:
    check_array(name, heat, ndim=2, layout="(H, W)")
    arr = _numpy(heat).astype(np.float64)
    if arr.min() < 0.0 or arr.max() > 1.0:
        fail(name, "values in [0, 1] (normalise the map first)", f"[{arr.min():g}, {arr.max():g}]")
    if shape is not None and arr.shape != shape:
        fail(name, f"a map of the image's size {shape}", f"shape {arr.shape}")
    return arr


def colorize(heat: np.ndarray | torch.Tensor, cmap: str = DEFAULT_CMAP) -> np.ndarray:
    """A map ``(H, W)`` in [0, 1] -> colours float64 ``(H, W, 3)`` in [0, 1] from ``cmap``
    (a matplotlib colour map name; 256 levels, value v -> level ``min(int(256 v), 255)``)."""
    arr = _check_heat("heat", heat)
    if not isinstance(cmap, str) or cmap not in colormaps:
        fail("cmap", "a matplotlib colour map name, e.g. 'jet'", repr(cmap))
    return np.asarray(colormaps[cmap](arr))[..., :3].astype(np.float64)


def overlay(
    image: np.ndarray | torch.Tensor,
    heat: np.ndarray | torch.Tensor,
    alpha: float = 0.5,
    cmap: str = DEFAULT_CMAP,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
) -> np.ndarray:
    """Alpha blend of a heat map on an image: ``rint((1 - alpha) * image + alpha * 255 *
    cmap(heat))``, uint8 ``(H, W, 3)``. ``image`` as for :func:`to_uint8_image`; ``heat``
    ``(H, W)`` in [0, 1] at the image's size."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 <= alpha <= 1:
        fail("alpha", "a number in [0, 1]", repr(alpha))
    img = to_uint8_image(image, mean, std).astype(np.float64)
    colours = colorize(_check_heat("heat", heat, img.shape[:2]), cmap)
    out = (1.0 - alpha) * img + alpha * 255.0 * colours
    return np.rint(out).astype(np.uint8)


def gray_map(heat: np.ndarray | torch.Tensor, clip_percentile: float | None = None) -> np.ndarray:
    """A map ``(H, W)`` in [0, 1] as a grey uint8 ``(H, W, 3)`` picture (white = 1), the way
    backprop saliency is usually shown. ``clip_percentile`` (e.g. 99) stretches the display:
    values are divided by that percentile of the map and clipped at 1, so that a map whose
    max is one bright pixel stays visible (display only)."""
    arr = _check_heat("heat", heat)
    if clip_percentile is not None:
        if not isinstance(clip_percentile, int | float) or not 0 < clip_percentile <= 100:
            fail("clip_percentile", "None or a number in (0, 100]", repr(clip_percentile))
        top = float(np.percentile(arr, clip_percentile))
        arr = np.clip(arr / top, 0.0, 1.0) if top > 0 else arr
    g = np.rint(arr * 255.0).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def default_line_width(shape: Sequence[int]) -> int:
    """Box line width in pixels for an image of ``shape`` ``(H, W, ...)``: ~1/56 of its side
    (2 px at 112 px, 4 px at 224 px)."""
    return max(1, int(round(min(shape[0], shape[1]) / 56)))


def _check_color(color: object) -> np.ndarray:
    arr = np.asarray(color)
    if arr.shape != (3,) or not np.issubdtype(arr.dtype, np.integer):
        fail("color", "an (r, g, b) triple of ints in 0..255", repr(color))
    if (arr < 0).any() or (arr > 255).any():
        fail("color", "an (r, g, b) triple of ints in 0..255", repr(color))
    return arr.astype(np.uint8)


def draw_box(
    image: np.ndarray,
    box: Sequence[float] | np.ndarray,
    color: Sequence[int] = PRED_COLOR,
    width: int | None = None,
) -> np.ndarray:
    """A copy of uint8 ``image`` ``(H, W, 3)`` with the outline of ``box`` ``(4,)`` drawn.

    The box's pixels are columns ``round(x0) .. round(x1) - 1`` and rows ``round(y0) ..
    round(y1) - 1`` (clipped to the image); the outline is their outer ``width`` pixels
    (default :func:`default_line_width`), so it lies on the box's edges, inside the box.
    """
    out = _check_rgb("image", image).copy()
    b = check_boxes("box", box)
    if b.shape != (4,):
        fail("box", "one box (x0, y0, x1, y1)", f"shape {b.shape}")
    rgb = _check_color(color)
    if width is None:
        width = default_line_width(out.shape)
    if isinstance(width, bool) or not isinstance(width, int | np.integer) or width < 1:
        fail("width", "a positive int (pixels)", repr(width))
    h, w = out.shape[:2]
    x0, y0, x1, y1 = (int(np.rint(v)) for v in b)
    x0, x1 = max(x0, 0), min(x1, w)
    y0, y1 = max(y0, 0), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return out  # nothing of the box is inside the image
    out[y0 : min(y0 + width, y1), x0:x1] = rgb
    out[max(y1 - width, y0) : y1, x0:x1] = rgb
    out[y0:y1, x0 : min(x0 + width, x1)] = rgb
    out[y0:y1, max(x1 - width, x0) : x1] = rgb
    return out


def draw_boxes(
    image: np.ndarray,
    gt_boxes: np.ndarray | Sequence[Sequence[float]] | None = None,
    pred_boxes: np.ndarray | Sequence[Sequence[float]] | None = None,
    width: int | None = None,
) -> np.ndarray:
    """A copy of uint8 ``image`` ``(H, W, 3)`` with ground-truth boxes ``(G, 4)`` (or
    ``(4,)``) in green and predicted boxes ``(P, 4)`` in red, the prediction drawn last."""
    out = _check_rgb("image", image).copy()
    for name, boxes, color in (
        ("gt_boxes", gt_boxes, GT_COLOR),
        ("pred_boxes", pred_boxes, PRED_COLOR),
    ):
        if boxes is None:
            continue
        b = check_boxes(name, boxes).reshape(-1, 4)
        for box in b:
            out = draw_box(out, box, color, width)
    return out


def _titles(name: str, titles: Sequence[str] | None, n: int) -> list[str] | None:
    if titles is None:
        return None
    if isinstance(titles, str) or len(titles) != n or not all(isinstance(t, str) for t in titles):
        fail(name, f"{n} strings", repr(titles)[:80])
    return list(titles)


def image_grid(
    cells: Sequence[Sequence[np.ndarray | None]],
    row_titles: Sequence[str] | None = None,
    col_titles: Sequence[str] | None = None,
    captions: Sequence[Sequence[str]] | None = None,
    title: str | None = None,
    cell_inches: float = 1.9,
    dpi: int = 100,
    fontsize: float = 9.0,
) -> Figure:
    """A grid of uint8 ``(H, W, 3)`` pictures, ``cells[row][col]`` (None: an empty cell), with
    titles over the columns, at the left of the rows, and a caption under each cell."""
    if (
        isinstance(cells, np.ndarray)
        or not cells
        or not all(isinstance(r, Sequence | np.ndarray) and len(r) > 0 for r in cells)
    ):
        fail("cells", "a non-empty list of non-empty rows of images", type(cells).__name__)
    nrows, ncols = len(cells), max(len(r) for r in cells)
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            if cell is not None:
                _check_rgb(f"cells[{r}][{c}]", cell)
    rows = _titles("row_titles", row_titles, nrows)
    cols = _titles("col_titles", col_titles, ncols)
    if captions is not None:
        if len(captions) != nrows or any(
            len(c) != len(r) for c, r in zip(captions, cells, strict=True)
        ):
            fail("captions", "one string per cell, shaped like cells", "another shape")
    if not isinstance(cell_inches, int | float) or cell_inches <= 0:
        fail("cell_inches", "a positive number", repr(cell_inches))
    lines_cap = 0 if captions is None else max(str(t).count("\n") + 1 for r in captions for t in r)
    lines_col = 0 if cols is None else max(t.count("\n") + 1 for t in cols)
    text_h = fontsize / 72 * 1.35  # one line of text, inches
    left = 0.0 if rows is None else 0.3 + text_h * max(t.count("\n") + 1 for t in rows)
    cell_h = cell_inches + lines_cap * text_h + 0.08
    title_lines = title.count("\n") + 1 if title else 0
    top = lines_col * text_h + (0.3 + 0.22 * title_lines if title else 0.08)
    grid_w = left + ncols * (cell_inches + 0.08) + 0.04
    # a long title widens the figure (about 0.55 em per character); the grid stays centred
    title_w = 0.0 if not title else 0.55 * (fontsize + 2) / 72 * max(map(len, title.split("\n")))
    width, height = max(grid_w, title_w + 0.2), top + nrows * cell_h + 0.04
    left += (width - grid_w) / 2
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    for r, row in enumerate(cells):
        for c in range(ncols):
            x = (left + c * (cell_inches + 0.08)) / width
            y = 1.0 - (top + r * cell_h + cell_inches) / height
            ax = fig.add_axes((x, y, cell_inches / width, cell_inches / height))
            ax.set_xticks([])
            ax.set_yticks([])
            cell = row[c] if c < len(row) else None
            if cell is None:
                ax.axis("off")
                continue
            ax.imshow(_numpy(cell), interpolation="nearest", aspect="auto")
            for spine in ax.spines.values():
                spine.set_visible(False)
            if captions is not None and c < len(captions[r]) and captions[r][c]:
                ax.set_xlabel(captions[r][c], fontsize=fontsize, labelpad=2)
            if r == 0 and cols is not None:
                ax.set_title(cols[c], fontsize=fontsize, pad=3)
            if c == 0 and rows is not None:
                ax.set_ylabel(rows[r], fontsize=fontsize, labelpad=4)
    if title:
        fig.suptitle(title, fontsize=fontsize + 2, y=1.0 - 0.1 / height, va="top")
    return fig


def _per_image_boxes(name: str, boxes: object, n: int) -> list[np.ndarray]:
    """Boxes of ``n`` images as a list of ``(G_i, 4)``: from ``(N, 4)``, ``(N, G, 4)`` or a
    list of per-image ``(G_i, 4)`` / ``(4,)`` arrays."""
    if isinstance(boxes, np.ndarray | torch.Tensor):
        arr = check_boxes(name, boxes)
        if arr.ndim not in (2, 3) or len(arr) != n:
            fail(name, f"boxes of {n} images, (N, 4) or (N, G, 4)", f"shape {arr.shape}")
        return [a.reshape(-1, 4) for a in arr]
    if not isinstance(boxes, Sequence) or len(boxes) != n:
        fail(name, f"boxes of {n} images", type(boxes).__name__)
    return [check_boxes(f"{name}[{i}]", b).reshape(-1, 4) for i, b in enumerate(boxes)]


STYLES = ("overlay", "gray")


def map_grid(
    images: np.ndarray,
    columns: Mapping[str, np.ndarray | torch.Tensor],
    styles: Mapping[str, str] | None = None,
    gt_boxes: np.ndarray | Sequence[np.ndarray] | None = None,
    pred_boxes: Mapping[str, np.ndarray] | None = None,
    captions: Mapping[str, Sequence[str]] | None = None,
    row_titles: Sequence[str] | None = None,
    image_title: str | None = "image",
    alpha: float = 0.5,
    gray_percentile: float | None = 99.0,
    title: str | None = None,
    cell_inches: float = 1.9,
    transpose: bool = False,
) -> Figure:
    """One row per image: the image (unless ``image_title`` is None), then one column per
    entry of ``columns`` (title -> maps ``(N, H, W)`` in [0, 1]), each an ``"overlay"`` (jet
    on the image, the default) or ``"gray"`` map (``styles``). Optional green ground-truth
    boxes (``(N, 4)`` or a list of ``(G_i, 4)``) on every map column, red ``pred_boxes``
    (title -> ``(N, 4)``) and ``captions`` (title -> N strings) per column. ``images``: uint8
    ``(N, H, W, 3)``. Grey maps are shown stretched to their ``gray_percentile`` (see
    :func:`gray_map`). ``transpose``: one column per image and one row per map instead."""
    check_array("images", images, ndim=4, layout="(N, H, W, 3)")
    imgs = _numpy(images)
    if imgs.dtype != np.uint8 or imgs.shape[3] != 3:
        fail("images", "uint8 (N, H, W, 3) images", f"{imgs.dtype} {imgs.shape}")
    n = len(imgs)
    if not isinstance(columns, Mapping) or not columns:
        fail("columns", "a non-empty mapping title -> maps (N, H, W)", type(columns).__name__)
    styles = dict(styles or {})
    pred_boxes = dict(pred_boxes or {})
    captions = dict(captions or {})
    for name, mapping in (("styles", styles), ("pred_boxes", pred_boxes), ("captions", captions)):
        extra = set(mapping) - set(columns)
        if extra:
            fail(name, "keys among the column titles", sorted(extra))
    if any(v not in STYLES for v in styles.values()):
        fail("styles", f"values among {STYLES}", sorted(set(styles.values())))
    gt = None if gt_boxes is None else _per_image_boxes("gt_boxes", gt_boxes, n)
    maps = {}
    for key, value in columns.items():
        check_array(f"columns[{key!r}]", value, ndim=3, layout="(N, H, W)")
        if tuple(value.shape) != imgs.shape[:3]:
            fail(f"columns[{key!r}]", f"maps of shape {imgs.shape[:3]}", tuple(value.shape))
        maps[key] = _numpy(value)
    for key, boxes in pred_boxes.items():
        pred_boxes[key] = _per_image_boxes(f"pred_boxes[{key!r}]", boxes, n)
    for key, texts in captions.items():
        if len(texts) != n:
            fail(f"captions[{key!r}]", f"{n} strings", len(texts))
    cells, caps = [], []
    for i in range(n):
        row = [imgs[i]] if image_title is not None else []
        cap = [""] if image_title is not None else []
        for key, stack in maps.items():
            if styles.get(key, "overlay") == "gray":
                pic = gray_map(stack[i], gray_percentile)
            else:
                pic = overlay(imgs[i], stack[i], alpha)
            pic = draw_boxes(
                pic,
                None if gt is None else gt[i],
                pred_boxes[key][i] if key in pred_boxes else None,
            )
            row.append(pic)
            cap.append(str(captions[key][i]) if key in captions else "")
        cells.append(row)
        caps.append(cap)
    cols = ([image_title] if image_title is not None else []) + list(columns)
    rows = row_titles
    if transpose:  # one column per image: a narrow figure for many maps
        cells, caps = (
            [list(r) for r in zip(*cells, strict=True)],
            [list(r) for r in zip(*caps, strict=True)],
        )
        rows, cols = cols, (None if row_titles is None else list(row_titles))
    return image_grid(
        cells,
        row_titles=rows,
        col_titles=cols,
        captions=caps if any(any(c) for c in caps) else None,
        title=title,
        cell_inches=cell_inches,
    )


def box_grid(
    images: np.ndarray,
    pred_boxes: np.ndarray | Sequence[np.ndarray],
    gt_boxes: np.ndarray | Sequence[np.ndarray] | None = None,
    captions: Sequence[str] | None = None,
    maps: np.ndarray | torch.Tensor | None = None,
    ncols: int = 4,
    alpha: float = 0.5,
    title: str | None = None,
    cell_inches: float = 1.9,
) -> Figure:
    """Images uint8 ``(N, H, W, 3)`` in rows of ``ncols``, each with its ground-truth boxes
    (``(N, 4)``, or a list of ``(G_i, 4)``) in green and predicted boxes in red, and a
    caption under it;
    with ``maps`` ``(N, H, W)`` in [0, 1], over the maps' jet overlays."""
    check_array("images", images, ndim=4, layout="(N, H, W, 3)")
    imgs = _numpy(images)
    n = len(imgs)
    if maps is not None:
        check_array("maps", maps, ndim=3, layout="(N, H, W)")
        if tuple(maps.shape) != imgs.shape[:3]:
            fail("maps", f"maps of shape {imgs.shape[:3]}", tuple(maps.shape))
        m = _numpy(maps)
        imgs = np.stack([overlay(imgs[i], m[i], alpha) for i in range(n)])
    pred = _per_image_boxes("pred_boxes", pred_boxes, n)
    gt = None if gt_boxes is None else _per_image_boxes("gt_boxes", gt_boxes, n)
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        fail("ncols", "a positive int", repr(ncols))
    if captions is not None and len(captions) != n:
        fail("captions", f"{n} strings", len(captions))
    pics = [draw_boxes(imgs[i], None if gt is None else gt[i], pred[i]) for i in range(n)]
    cells = [pics[i : i + ncols] for i in range(0, n, ncols)]
    caps = None
    if captions is not None:
        caps = [list(captions[i : i + ncols]) for i in range(0, n, ncols)]
    return image_grid(cells, captions=caps, title=title, cell_inches=cell_inches)


def topk_strip(
    image: np.ndarray | torch.Tensor,
    maps: np.ndarray | torch.Tensor,
    class_names: Sequence[str],
    probs: Sequence[float] | np.ndarray | torch.Tensor,
    alpha: float = 0.5,
    title: str | None = None,
    cell_inches: float = 2.0,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
) -> Figure:
    """One image and the CAMs of its top-k classes ``maps`` ``(k, H, W)`` in [0, 1], each
    titled with its class name and probability (``probs`` ``(k,)``, in [0, 1])."""
    img = to_uint8_image(image, mean, std)
    check_array("maps", maps, ndim=3, layout="(k, H, W)")
    m = _numpy(maps)
    k = m.shape[0]
    names = _titles("class_names", class_names, k)
    p = _numpy(probs).astype(np.float64).reshape(-1)
    if p.shape != (k,) or not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        fail("probs", f"{k} probabilities in [0, 1]", repr(probs)[:80])
    cells = [img] + [overlay(img, m[i], alpha) for i in range(k)]
    cols = ["input"] + [f"{i + 1}. {names[i]}\np = {p[i]:.2f}" for i in range(k)]
    return image_grid([cells], col_titles=cols, title=title, cell_inches=cell_inches)


def figure_to_array(fig: Figure) -> np.ndarray:
    """Render ``fig`` with Agg: uint8 ``(H, W, 3)`` pixels at its size and dpi."""
    if not isinstance(fig, Figure):
        fail("fig", "a matplotlib Figure", type(fig).__name__)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def figure_png(fig: Figure, dpi: int | None = None) -> bytes:
    """``fig`` as PNG bytes (Agg), at its own dpi unless ``dpi`` is given."""
    if not isinstance(fig, Figure):
        fail("fig", "a matplotlib Figure", type(fig).__name__)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi)
    return buffer.getvalue()


def show(fig: Figure, dpi: int | None = None) -> object:
    """``fig`` as an IPython PNG image: the last expression of a notebook cell displays it
    (a pyplot-free Figure has no rich display of its own)."""

    return Image(data=figure_png(fig, dpi), format="png")
