# SPDX-License-Identifier: MIT
"""Reading a results JSON (`python -m conformance --json`) back: validation with one-line errors,
and the per implementation x clause verdict. Stdlib only: reports/ and `diff` use it."""

from __future__ import annotations

import json
import os
import tempfile

SCHEMA = 1
STATUSES = ("pass", "diverge", "crash", "na")
# A clause with several rows for one implementation takes the worst; `na` only when no row
# applied (a test that does not apply says nothing about the ones that did).
RANK = {"na": 0, "pass": 1, "diverge": 2, "crash": 3}
FAILING = ("diverge", "crash")


class BadResults(Exception):
    """A results file that cannot be read: the message is one line naming the file."""


def load(path):
    """The results document at `path`, checked against schema 1; BadResults otherwise."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise BadResults(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise BadResults(f"{path}: not a results JSON (not UTF-8 text)") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadResults(f"{path}: not valid JSON, truncated? ({exc.msg} at line {exc.lineno} "
                         f"column {exc.colno}); "
                         "write it again with `python -m conformance --json PATH`") from None
    return validate(doc, path)


def validate(doc, path="results"):
    if not isinstance(doc, dict):
        raise BadResults(f"{path}: not a results JSON (expected an object at the top)")
    if doc.get("schema") != SCHEMA:
        raise BadResults(f"{path}: results schema {doc.get('schema')!r}, this tool reads schema "
                         f"{SCHEMA}; produce it with this version of `python -m conformance`")
    for key in ("implementations", "clauses", "results"):
        if not isinstance(doc.get(key), list):
            raise BadResults(f"{path}: results schema 1 needs a list under {key!r}")
    for n, impl in enumerate(doc["implementations"]):
        if not isinstance(impl, dict) or not isinstance(impl.get("spec"), str):
            raise BadResults(f"{path}: implementations[{n}] has no \"spec\"")
    for n, clause in enumerate(doc["clauses"]):
        if not isinstance(clause, dict) or not isinstance(clause.get("id"), str):
            raise BadResults(f"{path}: clauses[{n}] has no \"id\"")
    for n, row in enumerate(doc["results"]):
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str)
                                                for k in ("impl", "clause", "status")):
            raise BadResults(f"{path}: results[{n}] needs string \"impl\", \"clause\", \"status\"")
        if row["status"] not in STATUSES:
            raise BadResults(f"{path}: results[{n}] has status {row['status']!r}, "
                             f"expected one of {', '.join(STATUSES)}")
    return doc


def worst(statuses):
    return max(statuses, key=RANK.__getitem__, default="na")


def cells(rows):
    """{(impl spec, clause id): the worst status of its rows}."""
    out = {}
    for row in rows:
        key = (row["impl"], row["clause"])
        out[key] = worst([out[key], row["status"]]) if key in out else row["status"]
    return out


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path, text):
    """Write `text` to `path` through a temporary file in the same folder: all or nothing."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".conformance-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would hide a published report
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
