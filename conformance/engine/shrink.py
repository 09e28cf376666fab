# SPDX-License-Identifier: MIT
"""Shrinking a difference by delta debugging: whole candidate sequences played through the
lockstep engine (conformance/engine/lockstep.py), a batch per worker message, each on fresh scenarios.
The soak, the Hypothesis machine and the known findings all report what this shrinks."""

from __future__ import annotations

import dataclasses
import math
import re
import time
import traceback

from conformance.engine.lockstep import Found
from conformance.engine.ops import REENTRANT, Arg, args_in, stands_for


def attempt(target, identity, candidate, harness=None):
    """The Found that `candidate` steps end in when it is the bug `identity`, else None; harness
    errors on the way are appended to `harness` and the candidate dropped."""
    try:
        target.play(candidate)
    except Found as again:
        if again.identity == identity:
            return again
    except Exception as exc:  # counted like the sweep's, and the candidate is dropped
        if harness is not None:
            harness.append(harness_error(target, exc))
    return None


def shrink(target, found, deadline, harness=None):
    """Delta debugging: drop chunks of ops, then single ops, while the same bug (its identity)
    still shows (each candidate replayed on fresh scenarios). Returns the shortest Found;
    harness errors on the way are appended to `harness`."""
    if opens_sparse(found.steps):
        return found
    best = found

    def again_(candidate):
        return attempt(target, found.identity, candidate, harness)

    def earlier_scenarios_dropped(best):
        """Without the scenarios before a later opening, which rarely matter (one op at a time
        they may not go: each earlier op is what lets the next opening run)."""
        for start in [i for i, op in enumerate(best.steps) if op.name == "open"][1:][::-1]:
            again = again_(best.steps[start:])
            if again is not None:
                return again
        return best

    best = earlier_scenarios_dropped(best)
    chunks = 2
    while len(best.steps) > 1 and time.monotonic() < deadline:
        size = math.ceil(len(best.steps) / chunks)
        for start in range(0, len(best.steps), size):
            if time.monotonic() >= deadline:
                break
            again = again_(best.steps[:start] + best.steps[start + size:])
            if again is not None:
                best = again
                chunks = max(chunks - 1, 2)
                break
        else:
            if size == 1:
                break
            chunks = min(len(best.steps), chunks * 2)
    best = earlier_scenarios_dropped(best)
    best = without_reentrancy(target, best, harness)

    # Then each payload as short as still diverges the same way: a reproducer to read.
    index = 0
    while index < len(best.steps):  # a shorter payload may diverge at its own step, sooner
        for path in payloads(best.steps[index].args):
            while time.monotonic() < deadline:
                op = best.steps[index]
                data = _at(op.args, path)
                if len(data) < 2:
                    break
                shorter = dataclasses.replace(op, args=_replaced(op.args, path, data[:len(data) // 2]))
                again = again_(best.steps[:index] + [shorter] + best.steps[index + 1:])
                if again is None:
                    break
                best = again
        index += 1
    return best


def without_reentrancy(target, found, harness=None):
    """`found` again with every re-entrant argument made the plain value it converts to, when
    the same operation still diverges the same way without them: then the bug is not about
    re-entrancy, and its identity (and reproducer) must not say it is."""
    plain = [_plain_op(op) for op in found.steps]
    if plain == found.steps:
        return found
    try:
        target.play(plain)
    except Found as again:
        if _without_tags(again.identity) == _without_tags(found.identity):
            return again
    except Exception as exc:
        if harness is not None:
            harness.append(harness_error(target, exc))
    return found


def _without_tags(identity):
    """An identity without its re-entrant tags and its clause: the operation and the outcomes."""
    return re.sub(r" @ [^:]*:", ":", re.sub(r" \[[^\]]*\] @", " @", identity, count=1), count=1)


def _plain_op(op):
    if any(arg.tag in REENTRANT for arg in args_in(op.args)):
        return dataclasses.replace(op, args=_plain_value(op.args))
    return op


def _plain_value(value):
    """`value` with each re-entrant argument the plain value it stands for."""
    if isinstance(value, Arg) and value.tag == "rebuf":
        return bytes.fromhex(value.value[0])
    if isinstance(value, Arg):
        return stands_for(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain_value(x) for x in value)
    if isinstance(value, dict):
        return {k: _plain_value(x) for k, x in value.items()}
    if isinstance(value, slice):
        return slice(*(_plain_value(x) for x in (value.start, value.stop, value.step)))
    return value


def reduce(target, found, deadline, harness=None):
    """shrink(), then each op made simpler while the same bug still shows: a scenario's file
    of zeros and shorter, arguments dropped, integers towards 0. What is left is what a
    reproducer must say."""
    best = shrink(target, found, deadline, harness)
    if opens_sparse(best.steps):
        return best
    settled = None
    # Passes over the ops until one changes nothing: a later op made simpler (flush(4096, 4096)
    # to flush()) may let an earlier one shrink (mmap(-1, 8192) to mmap(-1, 1)).
    while settled != best.steps and time.monotonic() < deadline:
        settled, index = best.steps, 0
        while index < len(best.steps) and time.monotonic() < deadline:
            for simpler in simpler_ops(best.steps[index]):
                if time.monotonic() >= deadline:
                    break
                again = attempt(target, found.identity,
                                best.steps[:index] + [simpler] + best.steps[index + 1:], harness)
                if again is not None:
                    best = again
                    break  # this op again, from its new form
            else:
                index += 1
    return best


def opens_sparse(steps):
    """Whether a step maps a sparse file (ops.OpenSparse, gigabytes long): such steps stay as
    written, since a candidate without a seek, a bound or a size (read(), find(x)) would read
    gigabytes on both sides."""
    return any(op.name == "open" and isinstance(op.args[0], dict) and "size" in op.args[0]
               for op in steps)


def simpler_ops(op):
    """Variants of `op` one step simpler, simplest first: its file all zeros, then half as long;
    its last positional argument or a keyword dropped; an integer argument 0, then halved."""
    if op.name not in ("open", "call"):
        return
    head, args, kwargs = op.args
    for args_ in _smaller_files(op, head):
        yield dataclasses.replace(op, args=args_)
    for args_ in _fewer_arguments(op, head, args, kwargs):
        yield dataclasses.replace(op, args=args_)
    for args_ in _smaller_integers(op, head, args, kwargs):
        yield dataclasses.replace(op, args=args_)


def _smaller_files(op, head):
    """A scenario's file of zeros, then half as long (op.args each)."""
    if op.name != "open" or head is None:
        return
    data = bytes.fromhex(head["data"])
    for smaller in (bytes(len(data)), data[:len(data) // 2]):
        if smaller != data and (smaller or data):
            yield {**head, "data": smaller.hex()}, op.args[1], op.args[2]


def _fewer_arguments(op, head, args, kwargs):
    """The last positional argument dropped (a map keeps its fileno and length), then each
    keyword."""
    if len(args) > (2 if op.name == "open" else 0):
        yield head, args[:-1], kwargs
    for key in kwargs:
        yield head, args, {k: v for k, v in kwargs.items() if k != key}


def _smaller_integers(op, head, args, kwargs):
    """Each integer argument (not a map's fileno) 0, then halved towards 0."""
    for n, value in enumerate(args):
        if type(value) is int and value and not (op.name == "open" and n == 0):
            for smaller in dict.fromkeys((0, value // 2 if value > 0 else -(-value // 2))):
                if smaller != value:
                    yield head, args[:n] + (smaller,) + args[n + 1:], kwargs


def payloads(value, path=()):
    """Paths to the bytes inside an op's arguments (nested tuples, lists and dicts). A scenario's
    file contents are hex text, never bytes, so they keep their length (the file's size)."""
    if isinstance(value, bytes):
        yield path
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from payloads(item, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from payloads(item, (*path, key))


def _at(value, path):
    for key in path:
        value = value[key]
    return value


def _replaced(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    items = list(value)
    items[head] = _replaced(items[head], rest, new)
    return type(value)(items)


def harness_error(target, exc):
    return {"impl": target.spec, "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc()[-2000:]}
