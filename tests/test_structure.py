"""The import structure DEVELOPING.md draws ("Dependency direction"), checked on every module.

Every project module is read with ``ast`` (never imported) and each import it makes is an arrow,
wherever it stands: at the top, inside a function (a lazy import is still a dependency) or under
``TYPE_CHECKING``. A module that loads modules by name (``importlib.import_module``) gets an arrow to
every project module named by a string it holds (``COMMAND_MODULES``), and a ``"module:name"`` string
anywhere is an arrow to that module (the kind registries). Then:

* no import circle, of any length;
* no import runs up the layers, nor sideways between layers that do not use each other;
* every module is on a layer, so a new package is placed on purpose;
* a module over ``MAX_LINES`` lines says at its top why it is long (``LONG_REASON``).

An exception is one entry of ``ALLOWED``, with the reason it is right; an entry that no import
needs any more fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tenderwatch", "pipeline", "spiders", "alerts", "scheduling")
SINGLE_MODULES = ("scheduler",)
SKIPPED = ("tenderwatch/migrations/",)
"""Alembic's environment and revisions: loaded by Alembic from files, never imported by the code."""

LAYERS: dict[str, tuple[str, ...]] = {
    # layer: the modules on it (a name covers its submodules, but see PACKAGE_ONLY; the longest name wins)
    "foundation": ("tenderwatch", "tenderwatch.config", "tenderwatch.db", "tenderwatch.terminal",
                   "tenderwatch.formats", "tenderwatch.date_input", "tenderwatch.loopback"),
    "services": ("tenderwatch.sync", "tenderwatch.context", "tenderwatch.health", "tenderwatch.calendars",
                 "tenderwatch.atom"),
    "pipeline": ("pipeline",),
    "spiders": ("spiders",),
    "alerts": ("alerts",),
    "followup": ("tenderwatch.followup",),
    "georeturn": ("tenderwatch.georeturn", "tenderwatch.directory"),
    "web": ("tenderwatch.web",),
    "entry": ("tenderwatch.cli", "tenderwatch.__main__", "tenderwatch.demo", "tenderwatch.demo_follow_ups",
              "scheduling", "scheduler"),
}

PACKAGE_ONLY = ("tenderwatch",)
"""Names on a layer by their ``__init__`` alone: each module under ``tenderwatch/`` is placed by its own name."""

USES: dict[str, tuple[str, ...]] = {
    # layer: the layers right below it that it may import (and, through them, all below those)
    "foundation": (),
    "services": ("foundation",),
    "pipeline": ("services",),
    "spiders": ("pipeline",),
    "alerts": ("followup",),
    "followup": ("pipeline",),
    "georeturn": ("followup",),
    "web": ("alerts", "georeturn"),
    "entry": ("spiders", "web"),
}

ALLOWED: dict[tuple[str, str], str] = {
    # (importer, imported): why this import may run against the layers
    ("tenderwatch.config.loader", "spiders.kind_options"):
        "config check validates each source's options with its kind's options model, and the kinds are "
        "the spiders' to define. The import is lazy (inside the check) and spiders.kind_options names "
        "pydantic models only (spiders.kinds.options, pipeline.ted.api), never a spider class, so loading "
        "configuration reaches no Scrapy code and no import circle.",
}

MAX_LINES = 400
LONG_REASON = "Long on purpose:"
"""The words that open the reason a module over ``MAX_LINES`` lines gives in its docstring."""


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(SKIPPED):
                continue
            parts = rel[:-3].split("/")
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    for name in SINGLE_MODULES:
        found[name] = ROOT / f"{name}.py"
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module a dotted name means (``pkg.mod.Name`` -> ``pkg.mod``), or None if not ours."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> dict[str, int]:
    """Project module -> the first line importing it, for every import anywhere in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: dict[str, int] = {}
    by_name = False
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            # ``from pkg import mod`` uses the module ``pkg.mod``; ``from pkg import name``, the package
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        elif isinstance(node, ast.Attribute | ast.Name) and "import_module" in (
                getattr(node, "attr", None), getattr(node, "id", None)):
            by_name = True
        for name in names:
            target = _resolve(name)
            if target and target != module:
                found.setdefault(target, node.lineno)
    for node in ast.walk(tree):  # modules loaded by name: "module:name" anywhere, "module" beside import_module
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (by_name or ":" in node.value):
            target, colon, attr = node.value.partition(":")
            if target in MODULES and target != module and (not colon or attr.isidentifier()):
                found.setdefault(target, node.lineno)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _layer(module: str) -> str | None:
    best = None
    for layer, names in LAYERS.items():
        for name in names:
            covers = module == name or (module.startswith(name + ".") and name not in PACKAGE_ONLY)
            if covers and (best is None or len(name) > len(best[1])):
                best = (layer, name)
    return best[0] if best else None


def _below(layer: str) -> set[str]:
    out: set[str] = set()
    todo = list(USES[layer])
    while todo:
        lower = todo.pop()
        if lower not in out:
            out.add(lower)
            todo.extend(USES[lower])
    return out


def _where(module: str, target: str) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{GRAPH[module][target]} imports {target}"


def _circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    circles.append(sorted(members))
    return circles


def test_the_walk_sees_the_imports_it_must() -> None:
    """The walker itself: a top-level, a lazy and a by-name import are all arrows."""
    assert "pipeline.normalise" in GRAPH["spiders.pipelines"]  # at the top
    assert "spiders.kind_options" in GRAPH["tenderwatch.config.loader"]  # inside a function
    assert "tenderwatch.cli.run" in GRAPH["tenderwatch.cli"]  # by name, through COMMAND_MODULES
    assert "spiders.kinds.options" in GRAPH["spiders.kind_options"]  # by name, "module:Class"
    assert "spiders.kinds.ted" in GRAPH["spiders.registry"]
    assert len(MODULES) > 120


def test_the_circle_finder_finds_circles() -> None:
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1, "d": 1}, "d": {}, "e": {"e": 1, "d": 1}}
    assert _circles(graph) == [["a", "b", "c"]]
    assert _circles({"a": {"b": 1}, "b": {}}) == []


def test_no_import_circles() -> None:
    circles = _circles(GRAPH)
    lines = []
    for members in circles:
        lines.append(f"circle of {len(members)}: " + ", ".join(members))
        lines += [f"    {_where(a, b)}" for a in members for b in sorted(GRAPH[a]) if b in members]
    assert not circles, "import circles (break each by moving what both sides need below both):\n" + "\n".join(lines)


def test_every_module_is_on_a_layer() -> None:
    assert set(USES) == set(LAYERS)
    unplaced = sorted(m for m in MODULES if _layer(m) is None)
    assert not unplaced, f"modules on no layer (add them to LAYERS in {Path(__file__).name}): {unplaced}"


def test_imports_run_down_the_layers() -> None:
    wrong = []
    for module, targets in GRAPH.items():
        layer = _layer(module)
        for target in targets:
            other = _layer(target)
            if layer is None or other is None or other == layer or other in _below(layer):
                continue
            if (module, target) not in ALLOWED:
                wrong.append(f"{_where(module, target)} ({layer} may not use {other})")
    assert not wrong, "imports against the dependency direction in DEVELOPING.md:\n" + "\n".join(wrong)


def test_every_exception_is_still_needed_and_says_why() -> None:
    for (module, target), reason in ALLOWED.items():
        assert target in GRAPH.get(module, {}), f"{module} -> {target} is allowed but no longer imported: drop it"
        assert len(reason) > 40, f"{module} -> {target}: the reason must say why"


def test_long_modules_say_why() -> None:
    silent = []
    for path in MODULES.values():
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if lines > MAX_LINES and LONG_REASON not in docstring:
            silent.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not silent, (f"modules over {MAX_LINES} lines: split them by job, or open the module docstring's "
                        f"reason with '{LONG_REASON}':\n" + "\n".join(silent))
