# SPDX-License-Identifier: MIT
"""Reading a results JSON (`python -m conformance --json`) back: validation with one-line errors,
and the per implementation x clause verdict. Stdlib only: reports/ and `diff` use it."""

from __future__ import annotations

import json
import os
import stat
import tempfile

SCHEMA = 1
# Every JSON the project writes names its document and that document's schema version.
SCHEMAS = {"results": SCHEMA, "soak": 1, "cpython-suite": 1, "compat": 1, "bench": 1,
           "mutation": 1}


def header(document):
    """The first keys of a JSON document the project writes: which one it is, and its schema."""
    return {"document": f"mmap-conformance {document}", "schema": SCHEMAS[document]}


# `error`: the harness itself failed on a test (an exception outside a recorded result, a dead
# pytest-xdist node): no evidence either way, never dropped and never a pass.
STATUSES = ("pass", "diverge", "crash", "na", "error")
# A clause with several rows for one implementation takes the worst; `na` only when no row
# applied (a test that does not apply says nothing about the ones that did).
RANK = {"na": 0, "pass": 1, "error": 2, "diverge": 3, "crash": 4}
FAILING = ("diverge", "crash")
# Implementation verdicts. `incomplete`: the run could not check it (harness errors, a part of
# the suite that did not run, clauses without any result); never `conformant` without evidence.
# `vandal`: without a sandbox, it changed files that were not its own (the user's current
# folder, the run's), whatever its results.
IMPL_STATUSES = ("vandal", "conformant", "divergent", "crashed", "unavailable", "incomplete")
PARTS = ("machine", "clauses")

# Exit statuses of `python -m conformance`, decided by exit_status() below (usage errors and
# Ctrl-C excepted, which end the run before there is anything to judge).
EXIT_CONFORMANT, EXIT_FAILED, EXIT_USAGE, EXIT_UNCHECKED = 0, 1, 2, 3


class BadResults(Exception):
    """A results file that cannot be read: the message is one line naming the file."""


def kind_of(mode):
    return ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a device" if
            (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) else "not a regular file")


class NotRegular(OSError):
    """A path that names a folder, FIFO, socket or device where a file was due."""


def not_regular(path):
    """Why `path` cannot be read or replaced as a file ("is a FIFO, not a regular file"), or
    None (a regular file, or nothing there yet). stat() only: nothing blocks on a FIFO."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot look at it ({exc.strerror})"
    return None if stat.S_ISREG(mode) else f"is {kind_of(mode)}, not a regular file"


def open_regular(path):
    """Open a file to read without ever blocking on a FIFO (O_NONBLOCK, then fstat); anything
    but a regular file raises NotRegular with a one-line reason."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegular(f"{path} is {kind_of(mode)}, not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def load(path):
    """The results document at `path`, checked against schema 1; BadResults otherwise."""
    try:
        with open_regular(path) as f:
            text = f.read().decode("utf-8")
    except NotRegular as exc:
        raise BadResults(f"{exc}: give the results JSON file") from None
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
    named = doc.get("document", "mmap-conformance results")  # files from before it was named
    if named != "mmap-conformance results":
        raise BadResults(f"{path}: a {named!r} document, not the results of a conformance run "
                         "(`python -m conformance --json PATH` writes those)")
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


def applies(clause, profile):
    """Whether a catalogue clause holds at a (unix) profile such as "3.11": the clause tests
    must then give it a result (`na` included)."""
    if clause.get("platform", "both") == "windows":
        return False
    from conformance.clauses import holds

    try:
        return holds(clause, profile)
    except ValueError:
        return True  # a form this check does not know: demand a result rather than skip it


def verdict(rows, *, profile, parts_wanted, parts_ran, catalogue):
    """(status, reason) of one implementation from its result rows: divergent or crashed on
    any evidence against it; otherwise conformant only with complete evidence for it."""
    statuses = {r["status"] for r in rows}
    if "crash" in statuses:
        return "crashed", None
    if "diverge" in statuses:
        return "divergent", None
    missing = (_harness_errors(rows) or _parts_missing(parts_wanted, parts_ran)
               or ("clauses" in parts_wanted and _clauses_missing(rows, profile, catalogue)))
    return ("incomplete", missing) if missing else ("conformant", None)


def _harness_errors(rows):
    """What keeps the rows from being evidence: harness errors, or None."""
    errors = [r for r in rows if r["status"] == "error"]
    if not errors:
        return None
    first = (errors[0].get("detail") or "").splitlines() or [""]
    where = len({r["clause"] for r in errors})
    return (f"{len(errors)} harness error(s) on {where} clause(s) or test(s), "
            f"first on {errors[0]['clause']}: {first[0][:300]}")


def _parts_missing(parts_wanted, parts_ran):
    """The parts of the suite asked for that gave no results, or None."""
    missing = [p for p in PARTS if p in parts_wanted and p not in parts_ran]
    if not missing:
        return None
    return "no results from " + " and ".join(
        {"machine": "the lockstep machine", "clauses": "the clause tests"}[p] for p in missing)


def _unanswered(rows, profile, catalogue):
    """The catalogue's clauses for `profile` that have no row, sorted."""
    have = {r["clause"] for r in rows}
    return sorted(c for c, entry in catalogue.items() if applies(entry, profile) and c not in have)


def not_checked(rows, *, spec, profile, parts_wanted, parts_ran, catalogue, why):
    """The `error` rows of what a verdict needed and the run did not check for `spec`: a part
    of the suite that gave no result (clause "machine" for the lockstep machine), and each
    catalogue clause without a row; `why` says why, where the run knows."""
    missing = []
    if "machine" in parts_wanted and "machine" not in parts_ran:
        missing.append(("machine", "the lockstep machine"))
    if "clauses" in parts_wanted:
        missing += [(c, "its clause tests") for c in _unanswered(rows, profile, catalogue)]
    return [{"impl": spec, "clause": clause, "status": "error", "repro": None,
             "detail": f"not checked ({what}): {why}"} for clause, what in missing]


def _clauses_missing(rows, profile, catalogue):
    """The catalogue's clauses for `profile` that have no row, or None."""
    missing = _unanswered(rows, profile, catalogue)
    if not missing:
        return None
    return (f"no result for {len(missing)} clause(s) of the catalogue: "
            f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")


def exit_status(infos, *, diverged):
    """The one place the run's exit status is decided. 3 when an implementation could not be
    checked (it takes precedence: a run with missing evidence must not pass for complete),
    1 on a divergence (`diverged`, after expectations) or an implementation asked for by name
    that could not run, else 0."""
    if any(i.get("status") == "incomplete" for i in infos):
        return EXIT_UNCHECKED
    if diverged or any(i.get("status") == "vandal" for i in infos) or any(i.get("status") == "unavailable" and i.get("asked") for i in infos):
        return EXIT_FAILED
    return EXIT_CONFORMANT


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
