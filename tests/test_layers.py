"""The folders are the layers: the import graph, read from the source, keeps to the rules of
msgsvc/__init__.py, has no cycle, and only msgsvc/cli/ talks to the terminal."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import msgsvc

ROOT = Path(msgsvc.__file__).parent

# What each layer may import beyond itself and the shared top level.
ALLOWED = {
    "api": set(),
    "jobs": {"api"},
    "setup": {"jobs", "api"},
    "local": {"api"},
    "emulator": {"api.resources", "api.senders", "api.validate", "api.a2p", "api.channels", "api.messages", "api.tollfree"},
    "cli": {"api", "jobs", "setup", "local", "emulator"},
}
TERMINAL_PACKAGES = {"typer", "click", "rich"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports_of(name: str) -> set[str]:
    """Every msgsvc module `name` imports, at the top or inside functions, outside TYPE_CHECKING."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if in_type_checking(node, parents):
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "msgsvc"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "msgsvc":
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
    return {m for m in found if m != name}


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_map_names_every_layer_and_shared_module():
    present = {p.stem for p in ROOT.glob("*.py") if p.stem not in ("__init__", "__main__")}
    folders = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert present == set(msgsvc.SHARED)
    assert folders == set(msgsvc.LAYERS)
    for name in present | {f"{f}/" for f in folders}:
        assert f"    {name}" in msgsvc.__doc__, f"the map in msgsvc/__init__.py does not name {name}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_module_imports_only_what_its_layer_may(name):
    own = layer(name)
    if own in msgsvc.SHARED or own == "":
        allowed_layers = set()
    elif own == "__main__":
        allowed_layers = set(msgsvc.LAYERS)
    else:
        allowed_layers = {own} | ALLOWED[own]
    bad = []
    for target in imports_of(name):
        target_layer = layer(target)
        if target == "msgsvc" or target_layer in msgsvc.SHARED:
            continue
        rest = target.split(".", 1)[1]
        if not any(rest == a or rest.startswith(a + ".") for a in allowed_layers):
            bad.append(target)
    assert not bad, f"{name} may not import {sorted(bad)}"


def test_the_shared_top_level_imports_no_layer():
    for name in msgsvc.SHARED:
        assert {layer(t) for t in imports_of(f"msgsvc.{name}")} <= set(msgsvc.SHARED) | {""}


def test_there_is_no_import_cycle():
    graph = {name: {t for t in imports_of(name) if t in MODULES} for name in MODULES}
    # A package's __init__ that a module's import passes through is not an edge of its own.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_a_cycle_is_seen():
    """The cycle check can fail: the module graph it reads does carry edges."""
    assert "msgsvc.api.resources" in imports_of("msgsvc.api.senders")


def names_imported(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) not in ("cli", "__main__")))
def test_only_the_cli_touches_the_terminal(name):
    """typer, click and rich, print() and sys.std* belong to msgsvc/cli/ (the emulator, a server,
    logs its requests through the standard logging module's stderr handler of its own)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    assert not names_imported(tree) & TERMINAL_PACKAGES, name
    prints = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print"]
    assert not prints, f"{name} calls print() at line {prints[0] if prints else 0}"
    streams = [n.lineno for n in ast.walk(tree)
               if isinstance(n, ast.Attribute) and n.attr in ("stdout", "stderr", "stdin")
               and isinstance(n.value, ast.Name) and n.value.id == "sys"]
    assert not streams, f"{name} touches sys.{'std*'} at line {streams[0] if streams else 0}"


@pytest.mark.parametrize("name", [n for n in sorted(MODULES) if n.startswith("msgsvc.cli.commands.")])
def test_command_modules_import_neither_each_other_nor_the_root(name):
    """The root module (msgsvc/cli/app.py) holds the app; msgsvc/cli/boundary.py the error boundary."""
    bad = {t for t in imports_of(name) if t.startswith("msgsvc.cli.commands.") or t == "msgsvc.cli.app"}
    assert not bad, f"{name} imports {sorted(bad)}"


TOP_LEVEL = {".ci", ".gitignore", "README.md", "pyproject.toml", "msgsvc", "tests", "completions", "man", "bench", "scripts"}


def test_the_repository_top_level_is_the_projects_folders():
    """What git tracks at the top is the layout the README describes; a file a hand-run left
    there (an export named after a hostile string, once) fails here."""
    import shutil
    import subprocess

    top = ROOT.parent
    if shutil.which("git") is None or not (top / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "-C", str(top), "ls-files", "-z"], capture_output=True, check=True).stdout
    entries = {name.split("/")[0] for name in tracked.decode("utf-8", "replace").split("\0") if name}
    assert entries - TOP_LEVEL == set()
