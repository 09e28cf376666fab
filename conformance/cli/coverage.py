# SPDX-License-Identifier: MIT
"""Which clauses the suite exercises, without running it: the clause tests'
`@pytest.mark.clause("id")` (the Windows clauses' among them, checked on the reference's Windows
profile), and the clauses a state machine step can land on (the ones the reference names, and
each op's primary clause). Only what ships in the package counts: an installed copy reports
the same.

`python -m conformance clauses [--uncovered]` prints this; it never imports pytest.
"""

from __future__ import annotations

import ast
import glob
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def _parse(path):
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read(), filename=path)


CLAUSE_TESTS = os.path.join(os.path.dirname(HERE), "clause_tests")


def clause_tests(folder=CLAUSE_TESTS):
    """{clause id: [test file, ...]} from @pytest.mark.clause("id") in conformance/clause_tests."""
    found = {}
    for path in sorted(glob.glob(os.path.join(folder, "test_*.py"))):
        for node in ast.walk(_parse(path)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "clause" and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found.setdefault(node.args[0].value, []).append(os.path.basename(path))
    return found


def machine_clauses(catalogue=None):
    """Catalogue clauses a state machine step can land on: each one the reference can name for
    the op it runs (impls/reference.py reported_clauses), and each op's own primary clause
    (conformance/engine/ops.py). Which of them a run reached, it counts as it goes."""
    from conformance import clauses
    from conformance.engine import ops
    from impls import reference

    catalogue = clauses.load() if catalogue is None else catalogue
    primary = {cs[0] for table in (ops.METHOD_CLAUSES, ops.NAME_CLAUSES) for cs in table.values()
               if cs}
    primary.update(cs[0] for _, cs in ops.HELPERS.values())
    primary.update(ops.PRIMARY_VARIANTS)
    return (reference.reported_clauses() | primary) & set(catalogue)


def coverage(catalogue=None):
    """{clause id: [what exercises it, ...]} for every catalogue clause (empty list: nothing)."""
    from conformance import clauses

    catalogue = clauses.load() if catalogue is None else catalogue
    tests, machine = clause_tests(), machine_clauses(catalogue=catalogue)
    out = {}
    for cid in catalogue:
        by = list(dict.fromkeys(tests.get(cid, [])))
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
    from conformance.cli.options import Parser

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
