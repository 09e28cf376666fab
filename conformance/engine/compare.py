# SPDX-License-Identifier: MIT
"""Diffing two observations of one step: what differs, in the order a reader should see it."""

from __future__ import annotations

import json
import re

from impls.executor import DIGEST, identical
from impls.executor import same as _same

FIELDS = ("out", "state", "len", "pos", "data", "file")
_REPR_NAME = re.compile(r"^<[\w.]+")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>$")  # the default repr (CPython < 3.9) names an address


def _outcome(out, strict_messages, messages):
    """The part of an outcome that must agree: value, or exception type (and errno)."""
    if out[0] == "exc":
        _, name, errno, message = out
        keep = message if (strict_messages and isinstance(message, str)
                           and message in messages) else message if isinstance(message, dict) \
            else None  # an unencodable message ({"unencodable": type}) is never a real one
        return ("exc", name, errno, keep)
    value = out[1]
    if isinstance(value, dict) and "text" in value and value["text"].startswith("<"):
        # repr() names the concrete class; a subclass or another module is not a divergence.
        value = {"text": _ADDRESS.sub(" at 0x...>", _REPR_NAME.sub("<mmap", value["text"]))}
    return ("ok", value)


def differences(expected, got, *, strict_messages=False, messages=frozenset()):
    """Field names on which `got` differs from `expected` (empty: they agree)."""
    # The common case at C speed; the rest goes field by field. The clause the reference names
    # is no field (a worker names none).
    if "clause" in expected and "clause" not in got:
        expected = {key: value for key, value in expected.items() if key != "clause"}
    if identical(expected, got):
        return []
    if "crash" in got:
        return ["crash"]
    if "hang" in got:
        return ["hang"]
    if "protocol" in got:
        return ["protocol"]
    diffs = []
    for key in FIELDS:
        a, b = expected.get(key), got.get(key)
        if key == "out":
            a, b = _outcome(a, strict_messages, messages), _outcome(b, strict_messages, messages)
        if not same(a, b):
            diffs.append(key)
    return diffs


def same(a, b):
    """Equality that keeps types apart: `True` is not `1` and `3.0` is not `3`, at any depth
    (executor.same, which workers use too).

    Observations come from the executor (in process) or from JSON (a worker): ints, floats,
    bools, strings, None, lists or tuples, and dicts of tagged values."""
    if isinstance(a, (list, tuple, dict)) and isinstance(b, (list, tuple, dict)) and len(a) > 8:
        try:  # JSON keeps those types apart too, at C speed: equal text is the same value
            if _text(a) == _text(b):
                return True
        except (TypeError, ValueError):  # NaN, or something JSON cannot say
            pass
    return _same(a, b)


def _text(value):
    return json.dumps(value, sort_keys=True, allow_nan=False)


def fields_differ(expected, got, fields):
    """`fields` as a reader needs them: the state fields with both values, typed
    ("pos 3 vs 3.0", where both sides print the same through ==)."""
    shown = []
    for key in fields:
        if key in ("pos", "len", "state"):
            a, b = expected.get(key), got.get(key)
            shown.append(f"{key} {a if key == 'state' else render(a)} vs "
                         f"{b if key == 'state' else render(b)}")
        elif key in ("data", "file"):
            shown.append(f"{key} {_bytes_apart(expected.get(key), got.get(key))}")
        else:
            shown.append(key)
    return ", ".join(shown) + " differ"


def _bytes_apart(a, b):
    """Where two observed byte strings (hex, a digest, or [error, name]) part: the first
    differing offset with a few bytes of each side, or both sides when they are not bytes."""
    def raw(v):
        if isinstance(v, str) and not v.startswith(DIGEST):
            try:
                return bytes.fromhex(v)
            except ValueError:
                return None
        return None
    x, y = raw(a), raw(b)
    if x is None or y is None:
        short = [v if not isinstance(v, str) or len(v) <= 24 else v[:24] + "..." for v in (a, b)]
        return f"{short[0]} vs {short[1]}"
    at = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    sizes = f" ({len(x)} vs {len(y)} bytes)" if len(x) != len(y) else ""
    return f"at byte {at}: {x[at:at + 8]!r} vs {y[at:at + 8]!r}{sizes}"


def describe(obs):
    """An observation's outcome as a reader would say it."""
    if "crash" in obs:
        return f"crashed ({obs.get('signal') or 'exit ' + str(obs['crash'])})"
    if "hang" in obs:
        return f"hung ({obs['hang']})"
    if "protocol" in obs:
        return f"broke the worker protocol (sent {obs['protocol']!r} where the reply was due)"
    out = obs["out"]
    if out[0] == "exc":
        code = out[2] if isinstance(out[2], (str, int)) else render(out[2])
        errno = f" [errno {code}]" if out[2] is not None else ""
        message = out[3] if isinstance(out[3], str) else render(out[3])
        return f"raises {out[1]}{errno}: {message}"
    return f"returns {render(out[1])}"


def render(value):
    """A JSON value from the executor, as Python would print it."""
    if isinstance(value, dict):
        (tag, v), = value.items()
        if tag == "b":
            return repr(bytes.fromhex(v))
        if tag == "text":
            return repr(v)
        if tag == "float":
            return repr(float(v))
        if tag == "intsub":  # an int subclass: [class name, value]
            return f"{v[0]}({v[1]!r})"
        if tag == "self":
            return "the map itself"
        if tag == "class":
            return f"<class '{v}'>"
        if tag == "unencodable":
            return f"<a {v} the worker could not encode>"
        return f"<{v}>"
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    return repr(value)
