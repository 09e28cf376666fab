# SPDX-License-Identifier: MIT
"""Which clauses the suite exercises, read from the source (no test runs): the clause tests'
`@pytest.mark.clause("id")`, the Windows profile tests' CLAUSES, and the ops the state machine's
rules issue (each lands on its op's primary clause, see machine.clause_for).

`python -m conformance clauses [--uncovered]` prints this; stdlib only, never imports pytest.
"""

from __future__ import annotations

import ast
import glob
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _parse(path):
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read(), filename=path)


def clause_tests(folder=HERE):
    """{clause id: [test file, ...]} from @pytest.mark.clause("id") in conformance/test_*.py."""
    found = {}
    for path in sorted(glob.glob(os.path.join(folder, "test_*.py"))):
        for node in ast.walk(_parse(path)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "clause" and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found.setdefault(node.args[0].value, []).append(os.path.basename(path))
    return found


WINDOWS_TESTS = os.path.join(ROOT, "tests", "test_reference_windows.py")
MACHINE = os.path.join(HERE, "machine.py")
RULES = os.path.join(HERE, "rules.py")  # the ops the machine's rules issue


def windows_tests(path=WINDOWS_TESTS):
    """The Windows clauses tests/test_reference_windows.py checks on the reference (its CLAUSES)."""
    if not os.path.exists(path):
        return set()
    for node in _parse(path).body:
        if (isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "CLAUSES" for t in node.targets)):
            return {e.value for e in getattr(node.value, "elts", [])
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return set()


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def machine_clauses(path=MACHINE, catalogue=None, rules=RULES):
    """Catalogue clauses the state machine names: every clause of every op its rules issue
    (`o.Call("method")` or a method name drawn from a list, `o.GetItem(...)`, ... in machine.py
    and rules.py), and the clauses clause_for refines a step to (its string constants and
    machine.py's *_CLAUSES)."""
    from conformance import clauses

    catalogue = clauses.load() if catalogue is None else catalogue
    found = set()
    for source in (path, rules):
        found.update(_machine_clauses(_parse(source)))
    return found & set(catalogue)


def _machine_clauses(tree):
    from conformance import ops

    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.update(ops.METHOD_CLAUSES.get(node.value, ()))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name) and node.func.value.id == "o"):
            maker = getattr(ops, node.func.attr, None)
            name = _snake(getattr(maker, "__name__", node.func.attr))
            found.update(ops.NAME_CLAUSES.get(name, ()))
        elif isinstance(node, ast.FunctionDef) and node.name == "clause_for":
            found.update(n.value for n in ast.walk(node)
                         if isinstance(n, ast.Constant) and isinstance(n.value, str))
        elif (isinstance(node, ast.Assign) and node in tree.body and any(
                isinstance(t, ast.Name) and t.id.endswith("_CLAUSES") for t in node.targets)):
            found.update(n.value for n in ast.walk(node.value)
                         if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return found


def coverage(catalogue=None):
    """{clause id: [what exercises it, ...]} for every catalogue clause (empty list: nothing)."""
    from conformance import clauses

    catalogue = clauses.load() if catalogue is None else catalogue
    tests, windows, machine = clause_tests(), windows_tests(), machine_clauses(catalogue=catalogue)
    out = {}
    for cid in catalogue:
        by = list(dict.fromkeys(tests.get(cid, [])))
        if cid in windows:
            by.append("tests/test_reference_windows.py")
        if cid in machine:
            by.append("machine")
        out[cid] = by
    return out


def uncovered(catalogue=None):
    return sorted(cid for cid, by in coverage(catalogue).items() if not by)


def listing(catalogue=None):
    """One line per clause: id, source, group, versions, platform, what exercises it."""
    from conformance import clauses

    catalogue = clauses.load() if catalogue is None else catalogue
    cover = coverage(catalogue)
    rows = [(cid, c.get("source", "?"), c.get("group", "?"), str(c.get("versions", "?")),
             c.get("platform", "?"), ", ".join(cover[cid]) or "UNCOVERED")
            for cid, c in sorted(catalogue.items())]
    head = ("id", "source", "group", "versions", "platform", "exercised by")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    return "\n".join("  ".join(r[i].ljust(widths[i]) for i in range(5)) + "  " + r[5]
                     for r in [head, *rows])


def main(argv):
    """`python -m conformance clauses [--uncovered]`; returns the exit status."""
    from conformance.options import Parser

    parser = Parser(prog="python -m conformance clauses",
                    description="List the clause catalogue and what exercises each clause.")
    parser.add_argument("--uncovered", action="store_true",
                        help="print only the ids nothing exercises, one a line")
    args = parser.parse_args(argv)
    if args.uncovered:
        for cid in uncovered():
            print(cid)
    else:
        print(listing())
    return 0
