"""The tree's shape: the import graph has no cycle, the apps depend one way
(oidc -> mandats -> aidants, every app -> audit), a function-level import says
why it is there, and no module grows past 400 lines."""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGES = [
    "config",
    "ops",
    "aidants",
    "mandats",
    "oidc",
    "audit",
    "onboarding",
    "demo",
]
MAX_LINES = 400
# Which project app may import which (DESIGN.md "Layout"). `config` holds the
# project's shared helpers (client address, rate limits) beside its settings and
# urls; the demo app sits on top and may import any app, none imports it.
ALLOWED = {
    "audit": {"config"},
    "ops": {"audit", "config"},
    "aidants": {"audit", "config"},
    "mandats": {"aidants", "audit", "config"},
    "oidc": {"mandats", "aidants", "audit", "config"},
    "onboarding": {"aidants", "audit", "config", "ops"},
    "demo": {"onboarding", "oidc", "mandats", "aidants", "audit", "config", "ops"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        root = BASE_DIR / package
        if not root.is_dir():
            continue
        for path in root.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(BASE_DIR).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module an import statement loads, if any."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _targets(node: ast.Import | ast.ImportFrom, module: str) -> set[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")
            if MODULES[module].name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{alias.name}" for alias in node.names] + [base]
    return {target for name in names if (target := _resolve(name))} - {module}


def _module_level_imports(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text())
    edges: set[str] = set()
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            edges |= _targets(node, module)
        elif isinstance(node, ast.If | ast.Try) and not _is_type_checking(node):
            pending += [*node.body, *getattr(node, "orelse", [])]
            pending += [*getattr(node, "finalbody", [])]
            for handler in getattr(node, "handlers", []):
                pending += handler.body
    return edges


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycle():
    """Imports inside functions count too: a lazy import only hides a cycle."""
    graph = {
        module: _module_level_imports(module) | _function_imports(module)
        for module in MODULES
    }
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]


def test_apps_depend_one_way():
    wrong = []
    for module in MODULES:
        app = module.split(".")[0]
        if app not in ALLOWED:
            continue
        for target in _module_level_imports(module) | _function_imports(module):
            other = target.split(".")[0]
            if other != app and other not in ALLOWED[app]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_no_app_imports_the_demo():
    """Production does not install the demo app (config/settings.py): nothing
    else may need it, `config` included (its urls name it by string only when
    it is installed)."""
    importers = [
        f"{module} imports {target}"
        for module in MODULES
        if not module.startswith("demo")
        for target in _module_level_imports(module) | _function_imports(module)
        if target.split(".")[0] == "demo"
    ]
    assert importers == []


# The FranceConnect sandbox's libraries: in the dev extra, never in production.
SANDBOX_LIBRARIES = {"oidc_provider_mock", "flask", "uvicorn", "pydantic"}


def test_only_the_demo_imports_the_sandbox_libraries():
    found = []
    for module, path in MODULES.items():
        if module.startswith("demo"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            found += [
                f"{module} imports {name}"
                for name in names
                if name.split(".")[0] in SANDBOX_LIBRARIES
            ]
    assert found == []


def test_every_package_has_its_allowed_imports():
    assert set(PACKAGES) - {"config"} == set(ALLOWED)


def _function_imports(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text())
    return {
        target
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for sub in ast.walk(node)
        if isinstance(sub, ast.Import | ast.ImportFrom)
        for target in _targets(sub, module)
    }


def test_function_level_imports_say_why():
    """An import inside a function is a choice (a cycle, the app registry, a
    heavy optional library): the line, or the one above, says which."""
    silent = []
    for path in MODULES.values():
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import | ast.ImportFrom):
                    line, above = lines[sub.lineno - 1], lines[sub.lineno - 2]
                    if "#" not in line and not above.strip().startswith("#"):
                        silent.append(f"{path.relative_to(BASE_DIR)}:{sub.lineno}")
    assert silent == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_stays_under_the_size_limit(module):
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module}: {lines} lines; split it into a package"
