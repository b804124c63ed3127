"""The layering stays one-way: no import cycle between the project's modules, and no import placed inside a
function to hide one (Django's ``AppConfig.ready`` is the one place that must import late).

Read from the source with ``ast``, so it costs no import and sees function-level imports too.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("apps", "credit_portal")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "tests" in parts or "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(modules: dict[str, Path]):
    """(importer, imported, inside a function) for every import of a project module."""
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            target = next((t for t in targets if t in modules), None)
            while target is None and targets and "." in targets[-1]:
                targets = [targets[-1].rpartition(".")[0]]
                target = targets[0] if targets[0] in modules else None
            if target is None or target == name:
                continue
            ancestor, nested = node, False
            while ancestor in parents:
                ancestor = parents[ancestor]
                if isinstance(ancestor, ast.FunctionDef | ast.AsyncFunctionDef):
                    nested = True
                    break
            yield name, target, nested


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_modules():
    edges: dict[str, set[str]] = {}
    for importer, imported, _nested in _imports(_modules()):
        edges.setdefault(importer, set()).add(imported)
    assert _cycles(edges) == []


def test_project_modules_are_imported_at_module_level():
    late = [
        f"{importer} → {imported}"
        for importer, imported, nested in _imports(_modules())
        if nested and not importer.endswith(".apps")  # AppConfig.ready: models and signals, after the registry
    ]
    assert late == []
