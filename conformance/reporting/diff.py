# SPDX-License-Identifier: MIT
"""`python -m conformance diff OLD.json NEW.json`: what changed between two runs, per
implementation x clause. Exit status 0 nothing regressed, 1 something regressed, 2 a file
cannot be read (one line), 3 a side is incomplete (an interrupted run, or an implementation it
left `incomplete`): its missing results are counted, not listed as changes."""

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


def incomplete(doc):
    """(why the whole run is incomplete or None, {impl spec: reason} of its implementations
    left `incomplete`)."""
    run = None
    if doc.get("incomplete"):
        run = f"stopped by {doc['stopped_by']}" if doc.get("stopped_by") else "stopped early"
    impls = {i["spec"]: i.get("reason") or "no reason recorded"
             for i in doc["implementations"] if i.get("status") == "incomplete"}
    return run, impls


def unknown(doc):
    """Whether a result missing from `doc` for an implementation may only be missing because
    the run (or that implementation) was incomplete: a function of the impl spec."""
    run, impls = incomplete(doc)
    return lambda spec: run is not None or spec in impls


def compare(old, new):
    """{kind: [(impl, clause, old status or None, new status or None)]} for the KINDS, plus
    "unknown_old" / "unknown_new": the cells one side has no result for because it is
    incomplete (neither new nor gone)."""
    before, after = cells(old["results"]), cells(new["results"])
    out = {kind: [] for kind, _ in KINDS}
    out.update(unknown_old=[], unknown_new=[])
    old_unknown, new_unknown = unknown(old), unknown(new)
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if a is None and old_unknown(key[0]):
            out["unknown_old"].append((*key, a, b))
            continue
        if b is None and new_unknown(key[0]):
            out["unknown_new"].append((*key, a, b))
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


def caveats(old, new, changes, old_path, new_path):
    """What makes the comparison partial: (one clause for the first line or None, the lines
    that follow it: per implementation left incomplete, per side the results it lacks)."""
    sides, lines = [], []
    for path, doc, other, lacking in ((old_path, old, new_path, changes["unknown_old"]),
                                      (new_path, new, old_path, changes["unknown_new"])):
        run, impls = incomplete(doc)
        if run:
            sides.append(f"{path} is incomplete ({run})")
        elif impls:
            sides.append(f"{path} has {len(impls)} incomplete implementation(s)")
        lines += [f"  {path}: {spec} is incomplete: {why}" for spec, why in impls.items()]
        if lacking:
            lines.append(f"  {path} has no result for {len(lacking)} clause(s) that {other} "
                         "has: not compared (neither new nor gone)")
    if not sides:
        return None, []
    return "not a full comparison: " + "; ".join(sides), lines


def render(changes, old_path, new_path, caveat=None, caveat_lines=()):
    lines = [f"diff {old_path} -> {new_path}" + (f": {caveat}" if caveat else "")]
    lines += caveat_lines
    for kind, title in KINDS:
        found = changes[kind]
        if not found:
            continue
        lines.append(f"\n{title}: {len(found)}")
        for impl, clause, a, b in found:
            lines.append(f"  {impl}  {clause}  {a or '-'} -> {b or '-'}")
    if not any(changes[kind] for kind, _ in KINDS):
        lines.append("no changes" if not caveat else "no changes in the results both sides have")
    return "\n".join(lines)


def main(argv, out=sys.stdout):
    from conformance.cli.options import Parser, Unchecked, Usage

    parser = Parser(prog="python -m conformance diff",
                    description="Compare two results JSON files per implementation and clause.",
                    epilog="exit status: 0 nothing regressed, 1 something regressed, 2 a file "
                    "cannot be read, 3 a side is incomplete (its first line says which)")
    parser.add_argument("old", metavar="OLD.json")
    parser.add_argument("new", metavar="NEW.json")
    args = parser.parse_args(argv)
    try:
        old, new = load(args.old), load(args.new)
    except BadResults as exc:
        raise Usage(str(exc)) from None
    changes = compare(old, new)
    caveat, caveat_lines = caveats(old, new, changes, args.old, args.new)
    print(render(changes, args.old, args.new, caveat, caveat_lines), file=out)
    if caveat:  # missing evidence is never "nothing regressed": 3 takes precedence over 1
        raise Unchecked(f"diff {args.old} {args.new}: {caveat}")
    return 1 if changes["regressed"] else 0
