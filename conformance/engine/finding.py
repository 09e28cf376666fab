# SPDX-License-Identifier: MIT
"""The finding record: one divergence as data, from the lockstep engine to the report.

    {"impl", "identity", "clause", "kind", "op", "steps", "expected", "got", "fields", "origin",
     "raised"}

`steps` are the ops' JSON forms (conformance.engine.ops.from_json reads them back), `expected` and
`got` the last step's observations on the reference and on the implementation. The identity
says what the bug is, not how it was reached: the operation that differs, the re-entrant
arguments it was given, the clause the reference's check named there, and the kinds of outcome
on both sides (with the fields that differ when the kinds agree). Two runs that reach the same
bug through other op sequences, or through the machine and a clause test, name it alike.
Prose is made from the record only where a reader sees it (terminal, Markdown, HTML).
"""

from __future__ import annotations

from conformance.engine.compare import describe, fields_differ
from conformance.engine.ops import REENTRANT, Arg, args_in

# A failing row's status in the results JSON: crashes, hangs and broken protocols are crashes.
STATUS = {"diverge": "diverge", "crash": "crash", "hang": "crash", "protocol": "crash"}
# Names of ops that are not method calls, as a reader knows them.
LABELS = {"open": "mmap()", "open2": "mmap()", "getitem": "m[...]", "setitem": "m[...] = v",
          "delitem": "del m[...]", "len": "len()", "bool": "bool()", "repr": "repr()",
          "closed": "closed", "list": "iter()", "reversed": "reversed()", "contains": "in",
          "enter": "__enter__()", "exit": "__exit__()", "bytes": "bytes()",
          "export": "memoryview()", "release": "release()", "view_set": "view[...] = v",
          "file_write": "a write to the file", "file_truncate": "os.ftruncate()",
          "get2": "m2[:]", "set2": "m2[...] = v", "close2": "m2.close()",
          "end": "close"}  # the scenario's last close is a close()


def kind(got):
    """What a differing observation is: a crash, a hang, a broken protocol or a divergence."""
    return next((k for k in ("crash", "hang", "protocol") if k in got), "diverge")


def outcome(obs):
    """The kind of an observation's outcome: "raises ValueError", "returns int", "crashes"..."""
    if "crash" in obs:
        return "crashes"
    if "hang" in obs:
        return "hangs"
    if "protocol" in obs:
        return "breaks the worker protocol"
    out = obs.get("out") or ["", None]
    if out[0] == "exc":
        return f"raises {out[1]}"
    value = out[1]
    if isinstance(value, dict):
        (tag, v), = value.items()
        name = {"b": "bytes", "text": "str", "float": "float", "self": "the map itself",
                "intsub": f"{v[0]}" if isinstance(v, list) else "an int subclass",
                "class": "a class", "unencodable": f"an unencodable {v}"}.get(tag, tag)
        return f"returns {name}"
    return f"returns {'None' if value is None else type(value).__name__}"


def short(obs):
    """An observation's outcome as a title says it: "returns -1", "raises OSError [errno
    EINVAL]", "crashes (SIGBUS)", "returns a list" (a value too long to quote)."""
    from conformance.engine.compare import render

    kind_said = outcome(obs)
    if "crash" in obs:
        return f"crashes ({obs.get('signal') or 'exit ' + str(obs['crash'])})"
    out = obs.get("out") or ["", None]
    if out[0] == "exc":
        return kind_said + (f" [errno {out[2]}]" if isinstance(out[2], (str, int)) else "")
    if out[0] != "ok":
        return kind_said
    value = render(out[1])
    if len(value) <= 24:
        return "returns " + value
    k = kind_said[len("returns "):]
    return "returns " + (k if k in ("None", "bytes", "the map itself") or k.startswith("an ")
                         else ("an " if k[0] in "aeiou" else "a ") + k)


def label(op):
    """The operation a step performs, as its identity names it: `find`, `m[...] = v`..."""
    if op.name == "call":
        return op.args[0]
    if op.name == "apply":
        return op.args[0] + "()"
    if op.name == "module_attr":
        return "mmap." + op.args[0]
    return LABELS.get(op.name, op.name)


def reentrant(value):
    """The re-entrant argument tags inside `value` (an op's arguments, at any depth): arguments
    whose conversion acts on the map itself are a bug of their own, whatever the method."""
    if isinstance(value, Arg):
        return {arg.tag for arg in args_in(value)} & set(REENTRANT)
    if isinstance(value, (list, tuple)):
        return set().union(*map(reentrant, value)) if value else set()
    if isinstance(value, dict):
        return reentrant(list(value.values()))
    return set()


def subject(op):
    """The op as an identity names it: its label and its re-entrant arguments."""
    tags = sorted(reentrant(op.args))
    return label(op) + (f" [{', '.join(tags)}]" if tags else "")


def identity(op, clause, expected, got, fields):
    """What the bug at `op` is (see the module doc), as one line a reader can follow."""
    what = subject(op)
    want, have = outcome(expected), outcome(got)
    if want != have:
        return f"{what} @ {clause}: {want}, got {have}"
    return f"{what} @ {clause}: {want}, {'+'.join(sorted(fields))} differ"


def record(impl, steps, expected, got, fields, clause, trace=None):
    """The finding record of a divergence at the last of `steps` (ops); `trace`, the reference's
    observation of each step, gives "raised": the exception each step raises on CPython (None
    where it returns), what a plain reproducer needs of the steps before the last."""
    return {"impl": impl, "identity": identity(steps[-1], clause, expected, got, fields),
            "clause": clause, "kind": kind(got), "op": label(steps[-1]),
            "steps": [op.json() for op in steps], "expected": expected, "got": got,
            "fields": list(fields), "origin": "implementation",
            "raised": None if trace is None else [
                (obs.get("out") or [""])[1] if (obs.get("out") or [""])[0] == "exc" else None
                for obs in trace]}


def detail(steps, expected, got, fields):
    """The one line a reader sees for a divergence at the last of `steps`."""
    return (f"step {len(steps)} {steps[-1].py()}: expected {describe(expected)}, got "
            f"{describe(got)} ({fields_differ(expected, got, fields)})")
