# SPDX-License-Identifier: MIT
"""Findings replayed from their stored steps, through the lockstep engine: the known findings
of an implementation before anything else runs, and every finding on the host's own mmap.

A replay is deterministic and takes milliseconds: whether a known finding still shows never
depends on what a random exploration happens to reach.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time

from conformance.engine.lockstep import Found, HarnessError, Lockstep
from conformance.engine.ops import from_json
from conformance.engine.shrink import reduce

# Where an implementation runs in a host interpreter's worker beside that interpreter's own
# mmap: what the host does too is the host's. For a subclass of the host's mmap.mmap, a bare
# subclass shows what every Python subclass does (python/cpython#70546: iteration gives ints).
HOSTS = (("stdlib", "the host's own mmap"),
         ("impls.host_subclass:mmap", "every Python subclass of the host's mmap.mmap"))
# What every Python subclass of CPython's mmap.mmap does, beside expectations/cpythonX.Y.toml.
SUBCLASS_EXPECTATIONS = "subclass-of-cpython.toml"
# The project's expectations/ of the CPythons, shipped in the package (a link in a checkout), so
# that a pip-installed suite knows the host's bugs too.
# Seconds spent reducing one new finding (its replays): enough for a few dozen candidates.
REDUCE_SECONDS = 5.0
SHIPPED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "known_bugs")


def replay(lockstep, steps):
    """The Found that `steps` (op JSON) end in, run one at a time on both sides of `lockstep`,
    or None where they all agree."""
    try:
        lockstep.play([from_json(step) for step in steps], batched=False)
    except Found as found:
        return found
    return None


def replay_known(spec, adapter, reference, entries, *, strict_messages, messages):
    """Result rows of the known `entries` (expectations, with steps) replayed on `adapter`:
    each row names the entry it replays ("replayed": its id)."""

    lockstep = Lockstep(reference, adapter, strict_messages=strict_messages,
                        messages=messages)
    rows = []
    for entry in entries:
        try:
            found = replay(lockstep, entry["steps"])
        except HarnessError as exc:
            rows.append({"impl": spec, "clause": entry["clause"], "status": "error",
                         "repro": None, "replayed": entry["id"],
                         "detail": f"the known finding {entry['id']} could not be replayed: "
                                   f"{exc}"})
            continue
        if found is None:
            rows.append({"impl": spec, "clause": entry["clause"], "status": "pass",
                         "repro": None, "replayed": entry["id"],
                         "detail": f"the known finding's {len(entry['steps'])} stored steps "
                                   "agree with the reference now"})
            continue
        rows.append(dict(found.row(spec, adapter.profile), replayed=entry["id"]))
    return rows


def replay_all(infos, assigned, *, pool, strict_messages, messages):
    """The result rows of every implementation's known findings with stored steps
    (`assigned`: expectations.assign's), replayed before anything else runs, each
    implementation from `pool` (impls.adapters.Pool)."""
    from impls.adapters import Unavailable

    rows = []
    for info in infos:
        _, parsed = (assigned or {}).get(info["spec"], (None, {"known": {}}))
        entries = [e for e in parsed["known"].values() if e.get("steps")]
        if not entries or info.get("status") == "unavailable":
            continue
        try:
            adapter = pool.get(info["spec"])
        except Unavailable:
            continue  # the run says so for it
        rows += replay_known(info["spec"], adapter, pool.reference(adapter.profile), entries,
                             strict_messages=strict_messages, messages=messages)
    return rows


def reduce_all(infos, rows, known, *, pool, strict_messages, messages, seconds=REDUCE_SECONDS):
    """Every new finding (a failing row whose identity or clause is not in `known`, {spec:
    [...]}; all of them with an empty `known`, as when expectations are rewritten) replayed and
    reduced (shrink.reduce: fewer steps, a file of zeros, fewer and smaller
    arguments), at most `seconds` for each; its rows then carry the smaller steps, their detail
    and their step-by-step script."""
    from impls.adapters import Unavailable

    for info in infos:
        skip = set((known or {}).get(info["spec"], ()))
        mine = [r for r in rows if r["impl"] == info["spec"] and r.get("finding")
                and r["finding"]["kind"] != "hang"
                and not {r["finding"]["identity"], r["finding"]["clause"]} & skip]
        if not mine or info.get("status") == "unavailable":
            continue
        try:
            adapter = pool.get(info["spec"])
        except Unavailable:
            continue
        lockstep = Lockstep(pool.reference(adapter.profile), adapter,
                            strict_messages=strict_messages, messages=messages)
        done = {}
        for row in mine:
            identity = row["finding"]["identity"]
            if identity not in done:
                done[identity] = _reduced(lockstep, row["finding"], seconds)
            small = done[identity]
            if small is None:
                continue
            reduced = small.row(info["spec"], adapter.profile)
            row["finding"].update({k: reduced["finding"][k] for k in (
                "steps", "expected", "got", "fields", "raised")})
            row.update(detail=reduced["detail"], repro=reduced["repro"])


def _reduced(lockstep, record, seconds):
    """The reduced Found of a finding `record`, or None where its steps no longer end in it (a
    flaky implementation) or nothing was simpler."""
    try:
        found = replay(lockstep, record["steps"])
    except HarnessError:
        return None
    if found is None or found.identity != record["identity"]:
        return None
    small = reduce(lockstep, found, time.monotonic() + seconds)
    if small.identity != record["identity"] or [op.json() for op in small.steps] == record["steps"]:
        return None
    return small


def host_of(info):
    """Whether an implementation runs in a host interpreter's worker that also has its own
    mmap to compare with: a `module:factory` or fmmap, in the suite's own interpreter."""
    spec = info["spec"]
    return info.get("status") != "unavailable" and (
        spec == "fmmap" or (":" in spec and not spec.startswith(("python:", "reference"))))


def label_origins(infos, rows, *, expectations_dir, pool, strict_messages, messages):
    """Set each failing row's finding origin: "host" where the host's own mmap (or, for a
    subclass of it, a bare subclass) ends the same steps in the same finding, with the reason
    CPython's expectations give where they list it (`host_known`: then it is known); and mark
    (`cpython`) a finding at a step where the profile's CPython itself crashes."""
    cpython = _cpython_expectations(expectations_dir)
    for info in infos:
        mine = [r for r in rows if r["impl"] == info["spec"] and r.get("finding")]
        if not mine or not host_of(info):
            continue
        verdicts = _host_verdicts(info, mine, pool=pool, strict_messages=strict_messages,
                                  messages=messages)
        for row in mine:
            verdict = verdicts.get(row["finding"]["identity"])
            if verdict is None:
                continue
            kind, what, host_spec, version = verdict
            if kind != "host":  # the implementation does otherwise, and the host's CPython dies
                row["finding"]["cpython"] = (f"the host's own CPython {version} crashes on "
                                             "these steps too")
                continue
            row["finding"].update(origin="host", host=f"{what} ({host_spec}, Python {version})")
            entry = None if not _on_cpython() else cpython(
                platform.python_version(), row["finding"], platform.python_version(),
                subclass=host_spec == HOSTS[1][0])
            if entry is not None:  # known, with or without expectations of the user's
                row["finding"]["host_known"] = row["expected"] = entry["reason"]
    profiles = {i["spec"]: i.get("profile") for i in infos}
    # The release whose CPython the implementation follows (PyPy 3.11.17: CPython 3.11.17),
    # where it says one: an entry for earlier patch releases does not cover it.
    releases = {i["spec"]: i.get("version") for i in infos
                if re.fullmatch(r"\d+\.\d+\.\d+", str(i.get("version") or ""))}
    for row in rows:
        record = row.get("finding")
        if (record is None or record.get("cpython") or record.get("origin") == "host"
                or row["impl"].startswith(("stdlib", "cpython"))):
            continue  # a CPython's own finding is in its expectations already
        entry = cpython(profiles.get(row["impl"]), dict(record, kind="crash"),
                        releases.get(row["impl"]))
        if entry is not None:
            record["cpython"] = (f"CPython {profiles[row['impl']]} itself crashes or is "
                                 f"undefined at this step: {entry['reason']}")


def _on_cpython():
    return platform.python_implementation() == "CPython"


def _cpython_expectations(folder):
    """cpython(version, record, release=None, subclass=False): the entry of CPython's own
    expectations (or, `subclass`, of those of every subclass of its mmap.mmap) that covers a
    finding record, from the user's folder, else the suite's own (SHIPPED)."""
    from conformance.expectations import covering, cpython_entry

    folders = [f for f in (folder, SHIPPED) if f and os.path.isdir(f)]

    def cpython(version, record, release=None, subclass=False):
        return next(filter(None, (
            covering(os.path.join(f, SUBCLASS_EXPECTATIONS), record, release) if subclass
            else cpython_entry(f, version, record, release) for f in folders)), None)

    return cpython


def _host_verdicts(info, mine, *, pool, strict_messages, messages):
    """{identity: (kind, what, host spec, host version)} of an implementation's findings
    replayed on its hosts (from `pool`), each identity once per host: kind "host" where a host
    ends the steps in the same finding, "crashes" where the host only dies there."""
    from impls.adapters import Unavailable

    reference = pool.reference(info["profile"])
    verdicts = {}
    subclass = bool((info.get("about") or {}).get("subclasses_mmap"))
    for host_spec, what in HOSTS[:1 + subclass]:
        try:
            adapter = pool.get(host_spec)
        except Unavailable:
            continue
        lockstep = Lockstep(reference, adapter, strict_messages=strict_messages,
                            messages=messages)
        done = set()
        for record in (row["finding"] for row in mine):
            identity = record["identity"]
            if identity in done or verdicts.get(identity, (None,))[0] == "host":
                continue
            done.add(identity)
            try:
                found = replay(lockstep, record["steps"])
            except HarnessError:
                continue
            version = adapter.version or sys.version.split()[0]
            if found is not None and found.identity == identity:
                verdicts[identity] = ("host", what, host_spec, version)
            elif found is not None and found.kind != "diverge":
                verdicts.setdefault(identity, ("crashes", what, host_spec, version))
    return verdicts
