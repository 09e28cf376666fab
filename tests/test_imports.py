# SPDX-License-Identifier: MIT
"""The project's modules import each other in one direction: no cycle, not even through an import
inside a function (a lazy import only hides a cycle from the interpreter, not from a reader)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("conformance", "conformance.engine", "conformance.cli", "conformance.reporting",
            "impls")


def modules():
    """{"conformance.cli.run": path, ...} of the installed packages (the clause tests excluded:
    pytest collects them, nothing imports them)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package.replace(".", "/")).glob("*.py")):
            if not path.name.startswith("test_"):
                name = package if path.stem == "__init__" else f"{package}.{path.stem}"
                found[name] = path
    return found


def imports(path, known):
    """The project modules `path` imports, anywhere in it."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in known:
                out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names
                       if f"{node.module}.{a.name}" in known)
    return out


def cycle(graph):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(name, trail):
        state[name] = "open"
        for nxt in sorted(graph[name]):
            if state.get(nxt) == "open":
                return trail[trail.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, trail + [nxt])
                if found:
                    return found
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state:
            found = visit(name, [name])
            if found:
                return found
    return None


def test_the_finder_sees_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycles():
    known = modules()
    graph = {name: imports(path, known) - {name} for name, path in known.items()}
    # A package's __init__ is imported with each of its modules: it must import none of them.
    for package in PACKAGES:
        graph[package] = {m for m in graph[package] if m != package}
        assert not {m for m in graph[package] if m.startswith(package + ".")}, package
    assert len(graph) > 20 and sum(map(len, graph.values())) > 30  # it did read the imports
    assert cycle(graph) is None, " -> ".join(cycle(graph))
