# SPDX-License-Identifier: MIT
"""How fast the lockstep machine reports each mutant: examples and seconds to the first divergence.

Usage (from the repository root): python -m tests.mutants.measure [--examples N] [--seeds 0,1,2]
[--report] [NAME ...]. Stops each run at its first divergence (no shrinking), so it times
detection alone; with --report it times the whole run at the suite's defaults instead, shrinking
included, until the mutant's divergences are reported (what a user waits for).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Found(BaseException):
    """Raised at the first divergence; a BaseException so Hypothesis neither catches nor shrinks it."""


class Recorder:
    """Stands in for the reference and remembers its last observation."""

    batched = False  # every step goes through apply(), so this wrapper sees it

    def __init__(self, adapter):
        self.adapter, self.last = adapter, None

    def __getattr__(self, name):
        return getattr(self.adapter, name)

    def apply(self, op):
        self.last = self.adapter.apply(op)
        return self.last




class Masked:
    """Stands in for the subject; where the subject agrees with `baseline` (the same steps run on
    a faithful stdlib map) but not with the reference, it answers the reference's observation.

    That hides the reference's own disagreements with this CPython (`masked` counts them), so a
    divergence that remains is the subject's own bug.
    """

    batched = False  # every step goes through apply(), so this wrapper sees it

    def __init__(self, adapter, reference, baseline):
        self.adapter, self.reference, self.baseline = adapter, reference, baseline
        self.masked = []

    def __getattr__(self, name):
        return getattr(self.adapter, name)

    def apply(self, op):
        from conformance.engine.compare import differences

        got = self.adapter.apply(op)
        base = self.baseline.apply(op)
        expected = self.reference.last
        if expected is not None and differences(expected, got) and not differences(base, got):
            self.masked.append(op)
            return expected
        return got


class Tripwire:
    """Stands in for the subject: raises Found as soon as an observation differs."""

    batched = False  # every step goes through apply(), so this wrapper sees it

    def __init__(self, adapter, reference):
        self.adapter, self.reference = adapter, reference

    def __getattr__(self, name):
        return getattr(self.adapter, name)

    def apply(self, op):
        from conformance.engine.compare import differences

        got = self.adapter.apply(op)
        fields = differences(self.reference.last, got)
        if fields:
            raise Found(op, fields, self.reference.last, got)
        return got


def reference():
    """The C reference when it imports; else the stdlib in a worker as a stand-in."""
    from impls.adapters import ReferenceAdapter, WorkerAdapter

    try:
        import impls.reference  # noqa: F401
    except ImportError:
        adapter = WorkerAdapter("stdlib", "stdlib", sys.executable, "mmap:mmap")
    else:
        adapter = ReferenceAdapter()
    adapter.start()
    return adapter


def subject(name):
    """A worker running tests.mutants:<name> (or a whole module:factory spec), started in the
    repository root."""
    from impls.adapters import WorkerAdapter

    spec = name if ":" in name else f"tests.mutants:{name}"
    adapter = WorkerAdapter(spec, name, sys.executable, spec)
    adapter.worker.cwd = str(ROOT)  # the worker imports `tests.mutants` from its cwd
    adapter.start()
    return adapter


def time_to_detection(ref, subj, *, examples, seed, baseline=None):
    """(examples run, seconds) until the first divergence, or (None, seconds) if none. With a
    `baseline` adapter, divergences the baseline shares with the subject do not count."""
    from conformance.engine import machine

    count = [0]
    original = machine.LockstepMachine.__init__

    def counting_init(self):
        count[0] += 1
        original(self)

    recorder = Recorder(ref)
    machine.LockstepMachine.__init__ = counting_init
    start = time.monotonic()
    try:
        if baseline is not None:
            subj = Masked(subj, recorder, baseline)
        machine.run_lockstep(recorder, Tripwire(subj, recorder), examples=examples, seed=seed)
    except Found:
        return count[0], time.monotonic() - start
    finally:
        machine.LockstepMachine.__init__ = original
    return None, time.monotonic() - start


def stdlib_known():
    """The clauses the stdlib of this CPython is known to break (expectations/): a mutant
    built on it breaks them too, and they are recorded without shrinking, as
    `nox -s conformance` does, so the time measured is the mutant's."""
    import platform

    from conformance import clauses, expectations

    version = "cpython" + ".".join(platform.python_version_tuple()[:2])
    path = ROOT / "expectations" / expectations.filename(version)
    known = expectations.parse(str(path), clauses.load(), missing_ok=True)["known"]
    # As the CLI: an entry for other releases of this branch does not apply here.
    return frozenset(expectations.holding(known, platform.python_version()))


def time_to_report(ref, subj, *, seed, known):
    """(divergences reported outside `known`, seconds) for one run of the machine at the
    suite's defaults."""
    from conformance.engine.machine import run_lockstep
    from conformance.pytest_plugin import DEFAULT_EXAMPLES, DEFAULT_SHRINK_SECONDS, DEFAULT_STEPS

    start = time.monotonic()
    found, _ = run_lockstep(ref, subj, examples=DEFAULT_EXAMPLES, steps=DEFAULT_STEPS, seed=seed,
                            record_crashes=True, known=known,
                            shrink_seconds=DEFAULT_SHRINK_SECONDS)
    on_known = [d for d in found if d.clause in known]
    new = len(found) - len(on_known)
    if on_known:  # one host worker for all of them
        host = subject("mmap:mmap")
        try:
            new += sum(not _hosts(ref, host, d) for d in on_known)
        finally:
            host.close()
    return new, time.monotonic() - start


def _hosts(ref, host, found):
    """Whether the host's own mmap (`host`) ends `found`'s steps in the same finding: then it
    is the host's (known by its clause), as the CLI labels it (conformance/known.py); else the
    mutant's own, though on a clause where the host has a known bug."""
    from conformance.engine.lockstep import Lockstep
    from conformance.known import replay

    again = replay(Lockstep(ref, host, strict_messages=False, messages=frozenset()),
                   [op.json() for op in found.steps])
    return again is not None and again.identity == found.identity


def main(argv=None):
    from tests.mutants import MUTANTS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--report", action="store_true",
                        help="time whole runs at the defaults, shrinking included")
    parser.add_argument("names", nargs="*", default=list(MUTANTS))
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    ref = reference()
    if args.report:
        return report_times(ref, args.names, seeds)
    baseline = subject("faithful")
    print(f"reference: {ref.spec}; baseline: faithful")
    needed = []

    def detect(subj, seed):
        n, secs = time_to_detection(ref, subj, examples=args.examples, seed=seed,
                                    baseline=baseline)
        if n is None:
            return "miss", None
        needed.append(n)
        return f"{n}ex/{secs:.1f}s", secs

    status = sweep(args.names, seeds, detect, "detection")
    print(f"most examples needed: {max(needed, default=0)}")
    return status


def report_times(ref, names, seeds):
    known = stdlib_known()

    def report(subj, seed):
        n, secs = time_to_report(ref, subj, seed=seed, known=known)
        return (f"{n} reported/{secs:.1f}s", secs) if n else (f"miss/{secs:.1f}s", None)

    return sweep(names, seeds, report, "report")


def sweep(names, seeds, measure, what):
    """`measure(subject, seed)` -> (cell, seconds, or None for a miss) for every mutant and
    seed: one row per mutant, then the median and max. Returns 1 if any was missed."""
    times, missed = [], []
    for name in names:
        subj = subject(name)
        row = []
        for seed in seeds:
            cell, secs = measure(subj, seed)
            row.append(cell)
            if secs is None:
                missed.append((name, seed))
            else:
                times.append(secs)
        subj.close()
        print(f"{name:32} " + "  ".join(row), flush=True)
    if times:
        print(f"seconds to {what}: median {statistics.median(times):.2f}, max {max(times):.2f}; "
              f"missed: {missed or 'none'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
