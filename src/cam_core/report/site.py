"""What the site adds to an executed page: no injected (machine-specific) parameters cell,
and links to the page's result files, copied into the site as downloads."""

import copy
import shutil
from pathlib import Path

import nbformat

from cam_core.common import results

SITE_FILES_DIR = "site_files"  # under book/generated/; its contents go to the site root
DOWNLOADS_DIR = "downloads"
INJECTED_TAG = "injected-parameters"  # papermill's cell of resolved values (absolute paths)
DOWNLOAD_SUFFIXES = (".csv", ".json")
ROOT_FILES = {"scoreboard": (results.SCOREBOARD_FILE, results.CLAIMS_FILE)}


def downloads_dir(book_dir: Path) -> Path:
    """Where the published result files go (``<book_dir>/site_files/downloads``)."""
    return Path(book_dir) / SITE_FILES_DIR / DOWNLOADS_DIR


def result_files(results_dir: Path, name: str) -> list[Path]:
    """The result files page ``name`` links: its folder's CSV and JSON files, or for the
    scoreboard the files over all items."""
    if name in ROOT_FILES:
        return [results_dir / f for f in ROOT_FILES[name] if (results_dir / f).is_file()]
    folder = results_dir / name
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in DOWNLOAD_SUFFIXES and p.is_file())


def copy_downloads(results_dir: Path, name: str, book_dir: Path) -> list[str]:
    """Copy page ``name``'s result files to the site's downloads; their names, sorted."""
    target = downloads_dir(book_dir) / name
    shutil.rmtree(target, ignore_errors=True)
    files = result_files(Path(results_dir), name)
    if files:
        target.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copyfile(path, target / path.name)
    return [p.name for p in files]


def site_page(
    nb: nbformat.NotebookNode, name: str, results_dir: Path, book_dir: Path
) -> nbformat.NotebookNode:
    """``nb`` as the site shows it: without papermill's injected-parameters cell (the page's
    parameters table shows the resolved values, paths relative to the repository) and
    without printed progress, and with a last section linking the page's result files."""
    page = copy.deepcopy(nb)
    for cell in page.cells:  # progress lines and warnings are for the terminal, not the page
        if cell.get("cell_type") == "code":
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "stream"]
    page.cells = [
        c for c in page.cells if INJECTED_TAG not in c.get("metadata", {}).get("tags", [])
    ]
    files = copy_downloads(results_dir, name, book_dir)
    if files:
        links = "\n".join(
            f'<li><a href="../{DOWNLOADS_DIR}/{name}/{f}" download>{f}</a></li>' for f in files
        )
        text = (
            "## Downloads\n\nThe result files behind this page, as this run wrote them:\n\n"
            f'<ul class="downloads">\n{links}\n</ul>\n'
        )
        page.cells.append(nbformat.v4.new_markdown_cell(text))
    return page
