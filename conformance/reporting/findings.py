# SPDX-License-Identifier: MIT
"""Findings: the divergences of one implementation grouped by cause, not by clause.

One bug shows on many clauses (a `resize` that always fails breaks every clause that resizes);
a reader needs the bug once, with the clauses it touches and one reproducer. Works on the rows
of a results JSON ({impl, clause, status, detail, repro, finding}), from each failing row's
finding record (conformance/engine/finding.py); what the host's own mmap does too (origin "host") is
kept apart from the implementation's own. Rows of results written before the records existed
are read from their `detail` line ("step N CODE: expected OUTCOME, got OUTCOME (FIELDS
differ)"). Stdlib only.

A cause is:
- attributes the module lacks ("module 'm' has no attribute 'X'"): one finding, whatever they are;
- an attribute the map lacks ("has no attribute 'X'"): one finding per X;
- the constructor raising where it should not: one finding per exception type;
- otherwise the op's name with the pair (expected, got) of outcome kinds (exception type, or the
  kind of value returned), plus the state fields that differ when the outcomes agree.
"""

from __future__ import annotations

import re

FAILING = ("diverge", "crash")
FIELD_NAMES = ("out", "state", "len", "pos", "data", "file", "crash", "hang", "protocol")
# The expected outcome may itself say ", got" (a message): the last ", got OUTCOME" is the split.
_DETAIL = re.compile(r"^step (\d+) (.*?): expected (.*), got ((?:raises|returns|crashed|hung|broke) "
                     r".*) \(((?:" + "|".join(FIELD_NAMES) + r")\b.*) differ\)$", re.S)
_MISSING = re.compile(r"raises AttributeError: (.*)has no attribute '(\w+)'")


def parse(detail):
    """{"step", "code", "expected", "got", "fields"} of a divergence's detail line, or None."""
    match = _DETAIL.match((detail or "").strip())
    if not match:
        return None
    step, code, expected, got, fields = match.groups()
    names = re.findall(r"(?:^|, )(" + "|".join(FIELD_NAMES) + r")\b", fields)
    return {"step": int(step), "code": code, "expected": expected, "got": got, "fields": names}


def op_name(code):
    """The operation a step's Python line performs: `resize`, `__setitem__`, `factory`...; an
    argument whose __index__ closes or resizes the map is the op that matters, whatever its
    method (the suite's re-entrancy clauses)."""
    code = code.strip()
    if code.startswith("views.append(") and code.endswith(")"):  # a buffer export kept alive
        code = code[len("views.append("):-1]
    if code.startswith("(lambda"):  # a lambda over a value: the call it is applied to
        inner = re.search(r"\)\(([\w.]+)\(", code)
        code = inner.group(1) + "(" if inner else code
    for callback, name in (("lambda: m.close()", "an __index__ that closes the map"),
                           ("lambda: m.resize(", "an __index__ that resizes the map")):
        if callback in code:
            return name
    for pattern, name in ((r"m2? = factory\(", "factory"), (r"del m2?\[", "__delitem__"),
                          (r"m2?\[[^=]*\]\s*=[^=]", "__setitem__"),
                          (r".* in m2?$", "__contains__"), (r"m2?\[", "__getitem__")):
        if re.match(pattern, code):
            return name
    match = re.match(r"m2?\.(\w+)", code) or re.match(r"(mmap\.\w+)$", code) \
        or re.match(r"([\w.]+)\(", code)
    return match.group(1) if match else code.split("(")[0][:40]


def kind(outcome):
    """An outcome's kind: "raises OSError", "returns int", "crashed (SIGSEGV)", "hung"..."""
    outcome = outcome.strip()
    if outcome.startswith("raises "):
        return "raises " + re.split(r"[\s:\[]", outcome[len("raises "):], maxsplit=1)[0]
    if outcome.startswith("crashed"):
        return outcome.split(")", 1)[0] + (")" if "(" in outcome else "")
    if not outcome.startswith("returns "):
        return outcome.split(" ", 1)[0]
    value = outcome[len("returns "):]
    for pattern, name in ((r"None$", "None"), (r"(True|False)$", "bool"), (r"-?\d+$", "int"),
                          (r"-?[\d.]+(e[-+]?\d+)?$|nan$|-?inf$", "float"), (r"b['\"]", "bytes"),
                          (r"['\"]", "str"), (r"\[", "list"), (r"\(", "tuple"),
                          (r"the map itself", "the map itself"), (r"<", "an object")):
        if re.match(pattern, value):
            return "returns " + name
    return "returns a value"


def facts(f):
    """{"step", "code", "op", "expected", "got", "fields"} of a finding (or a row), with its
    "steps" (as a script runs them) and outcomes as a title says them ("expected_short",
    "got_short"): from its record, else (an old results file) from its detail line, without
    those; None when neither says."""
    record = f.get("finding")
    if record is None:
        return parse(f.get("detail"))
    from conformance.engine.compare import describe
    from conformance.engine.finding import short
    from conformance.engine.ops import from_json
    from conformance.engine.repro import step_code

    ops = [from_json(step) for step in record["steps"]]
    return {"step": len(ops), "code": ops[-1].py(), "op": record["op"],
            "expected": describe(record["expected"]), "got": describe(record["got"]),
            "fields": list(record["fields"]), "steps": [step_code(op) for op in ops],
            "expected_short": short(record["expected"]), "got_short": short(record["got"])}


def cause(row):
    """(key, title) of a failing row's cause: rows with one key are one finding. The key
    starts with the origin when the host's own mmap does the same ("host")."""
    record = row.get("finding")
    d = facts(row)
    if d is None:  # a detail this module cannot read: the clause is its own finding
        return ("clause", row["clause"]), f"{row['status']} on {row['clause']}"
    key, title = _cause(d, record)
    if record is not None and record.get("origin") == "host":
        return ("host",) + key, title + " (the host's own mmap does it too)"
    return key, title


def _cause(d, record):
    missing = _MISSING.match(d["got"])
    if missing and missing.group(1).startswith("module "):  # constants not exported: one cause
        return ("missing", "module"), "the module lacks attributes the suite uses (AttributeError)"
    if missing:
        name = missing.group(2)
        return ("missing", name), f"no attribute {name!r} (raises AttributeError)"
    if record is not None:
        from conformance.engine.finding import outcome, subject
        from conformance.engine.ops import from_json

        op = subject(from_json(record["steps"][-1]))
        expected, got = outcome(record["expected"]), outcome(record["got"])
        factory = record["steps"][-1][0] == "open"
    else:
        op, expected, got = op_name(d["code"]), kind(d["expected"]), kind(d["got"])
        factory = op == "factory"
    if factory and got.startswith("raises "):
        return ("factory", got), f"the constructor {got} (factory(...) {got})"
    if expected == got and "out" in d["fields"]:
        return (op, expected, got), f"{op}: {expected}, but another " + (
            "exception's errno" if got.startswith("raises") else "value")
    if "out" in d["fields"] or expected != got:
        return (op, expected, got), f"{op}: expected {expected}, got {got}"
    fields = tuple(f for f in d["fields"] if f != "out")
    return ((op, expected, got) + fields,
            f"{op}: {expected} as required, but {', '.join(fields)} differ")


def findings(rows, impl=None):
    """The findings of each implementation (or of `impl`), its own before its host's, most
    clauses first: [{"impl", "title", "key", "status", "clauses", "rows", "detail", "repro",
    "clause", "finding", "identities", "origin", "known"}]. `detail`, `repro`, `clause` and
    `finding` are the row with the shortest reproducer (the quickest to read); `known`: every
    row of it is a known divergence (expectations)."""
    groups = {}
    for row in rows:
        if row.get("status") not in FAILING or (impl is not None and row["impl"] != impl):
            continue
        key, title = cause(row)
        group = groups.setdefault((row["impl"], key), {
            "impl": row["impl"], "title": title, "key": list(key), "status": "diverge",
            "clauses": [], "rows": 0, "detail": row.get("detail") or "", "repro": None,
            "clause": row["clause"], "_clauses": set(), "finding": row.get("finding"),
            "identities": set(), "origin": "implementation", "known": True})
        group["rows"] += 1
        if key[-2:] == ("missing", "module"):
            group.setdefault("_names", set()).add(_MISSING.match(facts(row)["got"])[2])
        if row["status"] == "crash":
            group["status"] = "crash"
        group["_clauses"].add(row["clause"])
        if row.get("finding"):
            group["identities"].add(row["finding"]["identity"])
            group["origin"] = row["finding"].get("origin", "implementation")
        if row.get("expected") is None:
            group["known"] = False
        repro = row.get("repro")
        if repro and (group["repro"] is None or len(repro) < len(group["repro"])):
            group["repro"], group["detail"] = repro, row.get("detail") or ""
            group["clause"], group["finding"] = row["clause"], row.get("finding")
    out = []
    for group in groups.values():
        group["clauses"] = sorted(group.pop("_clauses"))
        group["identities"] = sorted(group["identities"])
        names = sorted(group.pop("_names", ()))
        if names:
            group["title"] = f"the module lacks {len(names)} attribute(s): {', '.join(names)}"
        out.append(group)
    order = {}
    for group in out:
        order.setdefault(group["impl"], len(order))
    out.sort(key=lambda g: (order[g["impl"]], g["origin"] == "host", -len(g["clauses"]),
                            g["title"]))
    return out


def diverging_clauses(rows, impl):
    """The clauses on which `impl` diverged or crashed."""
    return sorted({r["clause"] for r in rows if r["impl"] == impl and r["status"] in FAILING})
