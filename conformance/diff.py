# SPDX-License-Identifier: MIT
"""`python -m conformance diff OLD.json NEW.json`: what changed between two runs, per
implementation x clause. Exit status 0 nothing regressed, 1 something regressed, 2 a file
cannot be read (one line)."""

from __future__ import annotations

import sys

from conformance.results import FAILING, BadResults, cells, load

KINDS = (
    ("regressed", "regressed (passed before, fails now)"),
    ("fixed", "became conformant (failed before, passes now)"),
    ("changed", "failing differently"),
    ("new", "new (not in the old results)"),
    ("gone", "gone (not in the new results)"),
)


def compare(old, new):
    """{kind: [(impl, clause, old status or None, new status or None)]} for the KINDS."""
    before, after = cells(old["results"]), cells(new["results"])
    out = {kind: [] for kind, _ in KINDS}
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if a is None:
            kind = "new"
        elif b is None:
            kind = "gone"
        elif b in FAILING and a not in FAILING:
            kind = "regressed" if a == "pass" else "new"
        elif a in FAILING and b not in FAILING:
            kind = "fixed" if b == "pass" else "gone"
        elif a in FAILING and b in FAILING:
            kind = "changed"
        else:  # pass <-> na: the clause stopped (or started) applying
            kind = "new" if a == "na" else "gone"
        out[kind].append((*key, a, b))
    return out


def render(changes, old_path, new_path):
    lines = [f"diff {old_path} -> {new_path}"]
    for kind, title in KINDS:
        found = changes[kind]
        if not found:
            continue
        lines.append(f"\n{title}: {len(found)}")
        for impl, clause, a, b in found:
            lines.append(f"  {impl}  {clause}  {a or '-'} -> {b or '-'}")
    if len(lines) == 1:
        lines.append("no changes")
    return "\n".join(lines)


def main(argv, out=sys.stdout):
    from conformance.options import Parser, Usage

    parser = Parser(prog="python -m conformance diff",
                    description="Compare two results JSON files per implementation and clause.")
    parser.add_argument("old", metavar="OLD.json")
    parser.add_argument("new", metavar="NEW.json")
    args = parser.parse_args(argv)
    try:
        old, new = load(args.old), load(args.new)
    except BadResults as exc:
        raise Usage(str(exc)) from None
    changes = compare(old, new)
    print(render(changes, args.old, args.new), file=out)
    return 1 if changes["regressed"] else 0
