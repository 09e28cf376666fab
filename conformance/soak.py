# SPDX-License-Identifier: MIT
"""Soak: long random op sequences (hundreds of ops each) against the reference, for minutes,
without Hypothesis in the loop; each divergence found is shrunk by delta debugging.

`python -m conformance.soak --minutes N [--impl SPEC ...] [--json PATH]` (`nox -s soak`).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import sys
import time
import traceback

from conformance import ops as o
from conformance.compare import describe, differences
from conformance.repro import script
from conformance.results import header
from conformance.rules import RandomSource, Shadow, Swarm, next_ops
from impls.executor import compact

# Exception types no mmap operation raises: in the reference's observation they mean a bug in
# the harness or the reference's Python layer, not an mmap outcome.
NOT_MMAP = {"AttributeError", "NameError", "KeyError", "AssertionError", "SystemError",
            "UnboundLocalError", "ZeroDivisionError", "RecursionError", "NotImplementedError"}

LACKS = re.compile(r"^('mmap\.mmap' object|'types\.SimpleNamespace' object|module '\w+') "
                   r"has no attribute '\w+'$")


class HarnessError(Exception):
    """The soak code or the reference failed in a way no mmap behaves."""


# -- running: one op on both sides, one sequence, a replay for shrinking -------------------------
# Ops a worker runs per message in the sweep (one message per op only to find a difference).
BATCH, FIRST_BATCH = 100, 8


class Found(Exception):
    """A divergence at the last of `steps`."""

    def __init__(self, clause, kind, steps, trace, got, fields):
        super().__init__(clause)
        self.clause, self.kind, self.steps, self.trace = clause, kind, steps, trace
        self.got, self.fields = got, fields


class Target:
    """One implementation under test, the reference at its profile, and what the soak saw."""

    def __init__(self, spec, subject, reference, known=()):
        self.spec, self.subject, self.reference = spec, subject, reference
        self.known = set(known)
        self.sequences = self.ops = 0
        self.piped = hasattr(subject, "submit_many")  # a worker: ops go in batches
        self.findings = {}  # (clause, kind) -> {"count": how often, "found": the shortest Found}

    def step(self, op):
        """(expected, got) for one op: submitted to the subject, applied to the reference."""
        payload = op.json()
        submit = getattr(self.subject, "submit", None)
        if submit is None:
            expected = self.reference.apply(payload)
            return _checked(op, expected), self.subject.apply(payload)
        submit(payload)
        try:
            expected = self.reference.apply(payload)
        finally:
            got = self.subject.result()
        return _checked(op, expected), got

    def peek(self):
        """The reference's map bytes (for a needle from a map too big to inline)."""
        data = self.reference.dump().get("data")
        return bytes.fromhex(data) if isinstance(data, str) else None

    def run_batched(self, make, length):
        """A generated sequence the fast way: the reference alone follows the generator, and
        the ops go to the subject a batch per message, the next batch generated while the
        worker runs the last. Returns the number of ops run."""
        if not self.piped:  # the reference in process: step by step costs nothing more
            return self.run((), make=make, length=length)
        shadow, steps, trace, pending = Shadow(), [], [], []
        shadow.peek = self.peek
        done, flight, exhausted, size = 0, None, False, FIRST_BATCH
        while True:
            # Batches start small and double: a sequence that diverges at its first steps
            # should not cost the reference a hundred ops nobody runs.
            while not exhausted and len(steps) - (flight[1] if flight else done) < size:
                if not pending:
                    pending = make(shadow, len(steps) >= length)
                    if not pending:
                        exhausted = True
                        break
                op = pending.pop(0)
                if not shadow.allows(op):
                    raise HarnessError(f"the generator made an op the shadow forbids: {op.py()}")
                steps.append(op)
                trace.append(self.expect(shadow, op))
            if flight:
                done, flight = self.collect(steps, trace, *flight), None
            if done == len(steps):
                return len(steps)
            flight = self.submit(steps, trace, done, len(steps))
            size = min(2 * size, BATCH)

    def check(self, steps):
        """Fixed `steps` (a shrinking candidate) the same way, one batch after the other.
        Returns the number of ops, or None for steps the shadow forbids."""
        if not self.piped:
            return self.run(steps)
        shadow, trace = Shadow(), []
        shadow.peek = self.peek
        for op in steps:
            if not shadow.allows(op):
                return None
            trace.append(self.expect(shadow, op))
        done = 0
        while done < len(steps):
            done = self.collect(steps, trace, *self.submit(steps, trace, done,
                                                           min(done + BATCH, len(steps))))
        return len(steps)

    def expect(self, shadow, op):
        """The reference's observation of `op`, digested as the worker's will be, after the
        shadow followed it in full."""
        expected = _checked(op, self.reference.apply(op.json()))
        shadow.follow(op, expected)
        expected.pop("clause", None)  # the worker compares its own observation to exactly this
        return compact(expected)

    def submit(self, steps, trace, start, end):
        """Send steps[start:end] to the subject's worker in one message, with the reference's
        observations: the worker stops at the first that its own is not exactly."""
        self.subject.submit_many([op.json() for op in steps[start:end]], trace[start:end])
        return start, end

    def collect(self, steps, trace, start, end):
        """The batch's answer. Where a step differs, or the worker crashed or hung, the
        sequence is replayed one op at a time, which raises Found. Returns the index of the
        first step not yet run (end, unless a step only looked different, e.g. by its
        message)."""
        got, failure = self.subject.results(end - start)
        bad = next((start + i for i, obs in enumerate(got)
                    if differences(trace[start + i], obs)), None)
        if failure is None and bad is None:
            return start + len(got)
        self.run(steps[:end] if bad is None else steps[:bad + 1])  # raises Found
        where = "crashed or hung" if bad is None else f"differed at step {bad + 1}"
        raise HarnessError(f"a batch {where} but the ops did not when replayed one by one: "
                           "the implementation does not repeat itself")

    def run(self, ops, make=None, length=0):
        """Run `ops` (or, with `make`, ops from the generator until `length`) on fresh scenarios;
        raise Found at the first divergence. Returns the number of ops run."""
        shadow, steps, trace = Shadow(), [], []
        shadow.peek = self.peek
        source = iter(ops)
        pending = []
        while True:
            if not pending:
                if make is None:
                    op = next(source, None)
                    if op is None:
                        return len(steps)
                    pending = [op]
                else:
                    pending = make(shadow, len(steps) >= length)
                    if not pending:
                        return len(steps)
            op = pending.pop(0)
            if not shadow.allows(op):
                if make is not None:
                    raise HarnessError(f"the generator made an op the shadow forbids: {op.py()}")
                return None  # a shrinking candidate that would be unsafe or meaningless
            expected, got = self.step(op)
            steps.append(op)
            trace.append(expected)
            clause = op.clause(expected)
            fields = differences(expected, got)
            if fields:
                kind = ("crash" if "crash" in got or "protocol" in got
                        else "hang" if "hang" in got else "diverge")
                raise Found(clause, kind, steps, trace, got, fields)
            shadow.follow(op, expected)


def _checked(op, expected):
    out = expected.get("out") or ["", None]
    # An attribute the profile's mmap lacks (closed, __enter__, ACCESS_DEFAULT on 2.7...).
    missing = out[0] == "exc" and out[1] == "AttributeError" and bool(LACKS.match(out[3]))
    if expected.get("state") == "error" or (out[0] == "exc" and out[1] in NOT_MMAP
                                            and not missing):
        raise HarnessError(f"the reference's observation of {op.py()} is not an mmap outcome: "
                           f"{describe(expected) if 'out' in expected else expected}")
    return expected


def sequence_maker(profile, rng):
    """`make(shadow, done)` for Target.run: the rules of conformance/rules.py drawn from `rng`
    (one swarm of enabled rules per sequence), op by op, then End."""
    source = RandomSource(rng)
    swarm = Swarm.draw(source)
    ended, current = [], [iter(())]

    def make(shadow, done):
        if ended:
            return []
        if done:
            ended.append(True)
            return [o.End()] if shadow.live else []
        for op in current[0]:  # the rule under way goes on from the state its last op left
            return [op]
        current[0] = next_ops(shadow, source, profile, swarm)
        return make(shadow, done)

    return make


def shrink(target, found, deadline, harness=None):
    """Delta debugging: drop chunks of ops, then single ops, while the same clause and kind
    still diverge (each candidate replayed on fresh scenarios). Returns the shortest Found;
    harness errors on the way are appended to `harness`."""
    best = found

    def attempt(candidate):
        try:
            target.check(candidate)
        except Found as again:
            if (again.clause, again.kind) == (found.clause, found.kind):
                return again
        except Exception as exc:  # counted like the sweep's, and the candidate is dropped
            if harness is not None:
                harness.append(_harness_error(target, exc))
        return None

    def earlier_scenarios_dropped(best):
        """Without the scenarios before a later opening, which rarely matter (one op at a time
        they may not go: each earlier op is what lets the next opening run)."""
        for start in [i for i, op in enumerate(best.steps) if op.name == "open"][1:][::-1]:
            again = attempt(best.steps[start:])
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
            again = attempt(best.steps[:start] + best.steps[start + size:])
            if again is not None:
                best = again
                chunks = max(chunks - 1, 2)
                break
        else:
            if size == 1:
                break
            chunks = min(len(best.steps), chunks * 2)
    return earlier_scenarios_dropped(best)


# -- the command ---------------------------------------------------------------------------------
def build_parser():
    from conformance import expectations
    from conformance.options import Parser, positive, positive_int, seconds

    parser = Parser(
        prog="python -m conformance.soak",
        description="Long random op sequences against the reference, for a while.")
    parser.add_argument("--minutes", type=positive("minutes"), default=1.0,
                        help="how long to generate (shrinking comes after). Default: %(default)r")
    parser.add_argument("--impl", action="append", metavar="SPEC",
                        help="implementation under test (repeatable; `all`). Default: stdlib")
    parser.add_argument("--seed", type=int, default=None, help="random seed. Default: random")
    parser.add_argument("--length", type=positive_int, default=300,
                        help="ops per sequence (about). Default: %(default)r")
    parser.add_argument("--shrink-seconds", type=seconds, default=60.0,
                        help="time limit for shrinking each finding. Default: %(default)r")
    parser.add_argument("--timeout", type=seconds, default=10.0,
                        help="seconds before a step is a hang. Default: %(default)r")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    expectations.add_arguments(parser)
    return parser


def start_targets(args, out):
    """Resolve and start every implementation: (targets, infos); unavailable ones are listed."""
    from conformance import clauses, expectations
    from conformance.cli import expand
    from impls.adapters import ReferenceAdapter, Unavailable
    from impls.interpreters import resolve

    infos, targets, references = [], [], {}
    for spec, _ in expand(args.impl or ["stdlib"]):
        adapter = resolve(spec, timeout=args.timeout)
        info = {"spec": spec, "name": getattr(adapter, "name", spec)}
        try:
            about = adapter.start()
        except Unavailable as exc:
            info.update(version=None, profile=None, status="unavailable", reason=str(exc))
            print(f"{spec}: unavailable ({exc})", file=out)
            infos.append(info)
            continue
        info.update(version=adapter.version, profile=adapter.profile, about=about)
        if adapter.profile not in references:
            references[adapter.profile] = ReferenceAdapter(adapter.profile)
        targets.append(Target(spec, adapter, references[adapter.profile]))
        infos.append(info)
    planned = expectations.plan(args, clauses.load())
    if planned is not None:
        assigned = expectations.assign(args, planned, [i for i in infos if "about" in i],
                                       clauses.load())
        for target in targets:
            target.known = set(assigned.get(target.spec, (None, {"known": {}}))[1]["known"])
    return targets, infos, list(references.values())


def soak(args, out=sys.stdout):
    """Run the soak; return the results document."""
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    try:
        targets, infos, references = start_targets(args, out)
    except KeyboardInterrupt:  # before anything ran: an empty document, marked incomplete
        from impls import process

        process.stop_all()
        return _document(seed, args, 0.0, [], [], [], [], True)
    harness = []
    started = time.monotonic()
    deadline = started + args.minutes * 60
    interrupted = False
    try:
        try:
            _soak_loop(targets, rng, args, deadline, harness)
        except KeyboardInterrupt:  # Ctrl-C: keep what was found, shrink nothing more
            interrupted = True
        elapsed = time.monotonic() - started
        findings = []
        for target in targets:
            for (clause, kind), seen in sorted(target.findings.items()):
                found = seen["found"]
                small = found if interrupted else shrink(
                    target, found, time.monotonic() + args.shrink_seconds, harness)
                findings.append(_finding(target, clause, kind, seen["count"], found, small))
    finally:
        for adapter in [t.subject for t in targets] + references:
            adapter.close()
    return _document(seed, args, elapsed, targets, infos, findings, harness, interrupted)


def _soak_loop(targets, rng, args, deadline, harness):
    """Random sequences, one implementation after the other, until the deadline."""
    turn = 0
    while targets and time.monotonic() < deadline:
        target = targets[turn % len(targets)]
        turn += 1
        length = rng.randint(args.length // 2, args.length * 3 // 2)
        make = sequence_maker(target.reference.profile, rng)
        target.sequences += 1
        try:
            target.ops += target.run_batched(make, length)
        except Found as found:
            target.ops += len(found.steps)
            key = (found.clause, found.kind)
            seen = target.findings.setdefault(key, {"count": 0, "found": found})
            seen["count"] += 1
            if len(found.steps) < len(seen["found"].steps):
                seen["found"] = found
        except Exception as exc:  # the soak or the reference failed: counted apart
            harness.append(_harness_error(target, exc))


def _document(seed, args, elapsed, targets, infos, findings, harness, interrupted):
    sequences, ops = sum(t.sequences for t in targets), sum(t.ops for t in targets)
    return {
        **header("soak"), "seed": seed, "minutes": args.minutes, "seconds": round(elapsed, 3),
        "reference_extension": _extension_path(),
        "sequences": sequences, "ops": ops,
        "sequences_per_second": round(sequences / elapsed, 2) if elapsed else 0.0,
        "ops_per_second": round(ops / elapsed, 1) if elapsed else 0.0,
        "implementations": [dict(_public(i), sequences=t.sequences, ops=t.ops)
                            for i in infos for t in targets if t.spec == i["spec"]]
        + [_public(i) for i in infos if i.get("status") == "unavailable"],
        "findings": findings,
        "harness_errors": len(harness), "harness_error_details": harness[:10],
        **({"incomplete": True, "stopped_by": "Ctrl-C"} if interrupted else {}),
    }


def _harness_error(target, exc):
    return {"impl": target.spec, "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc()[-2000:]}


def _public(info):
    return {k: info.get(k) for k in ("spec", "name", "version", "profile", "status", "reason")
            if k in info}


def _extension_path():
    try:
        from impls import _refmmap
        return _refmmap.__file__
    except ImportError:  # pragma: no cover - the reference itself would have failed first
        return None


def _finding(target, clause, kind, count, found, small):
    got = small.got
    detail = (f"step {len(small.steps)} {small.steps[-1].py()}: expected "
              f"{describe(small.trace[-1])}, got {describe(got)} ({', '.join(small.fields)} differ)")
    return {"impl": target.spec, "clause": clause, "kind": kind, "known": clause in target.known,
            "count": count, "found_length": len(found.steps), "shrunk_length": len(small.steps),
            "fields": small.fields, "detail": detail,
            "repro": script(target.spec, target.subject.profile, small.steps, small.trace, got,
                            clause=clause, fields=small.fields)}


def report(doc, out=sys.stdout):
    print(f"soak: {doc['sequences']} sequences, {doc['ops']} ops in {doc['seconds']:.0f} s "
          f"({doc['sequences_per_second']} sequences/s, {doc['ops_per_second']} ops/s), "
          f"seed {doc['seed']}", file=out)
    print(f"reference extension: {doc['reference_extension']}", file=out)
    for impl in doc["implementations"]:
        extra = f" (unavailable: {impl.get('reason')})" if impl.get("status") == "unavailable" else \
            f": {impl['sequences']} sequences, {impl['ops']} ops"
        print(f"  {impl['spec']} {impl.get('version') or ''}{extra}", file=out)
    for f in doc["findings"]:
        known = " (known)" if f["known"] else ""
        detail = f["detail"] if len(f["detail"]) <= 300 else f["detail"][:300] + "..."
        print(f"{f['impl']}: {f['kind']} on {f['clause']}{known}, {f['count']}x, shrunk from "
              f"{f['found_length']} to {f['shrunk_length']} ops\n  {detail}", file=out)
    if not doc["findings"]:
        print("no divergences", file=out)
    print(f"harness errors: {doc['harness_errors']}", file=out)
    for h in doc["harness_error_details"]:
        print(f"  {h['impl']}: {h['error']}", file=out)


def main(argv=None):
    from conformance import expectations
    from conformance.options import Usage, check_output_folders
    from conformance.results import write_atomically
    from impls.adapters import UsageError

    try:
        args = build_parser().parse_args(argv)
        check_output_folders(args, "json")
    except Usage as exc:
        print(f"python -m conformance.soak: error: {exc}", file=sys.stderr)
        return 2
    # Workers run other builds; a sanitizer runtime preloaded for the reference (nox -s soak)
    # would turn their SIGBUS into a sanitizer report and change the crash they report.
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        os.environ.pop("LD_PRELOAD")
    try:
        doc = soak(args)
    except (UsageError, expectations.BadExpectations) as exc:
        print(f"python -m conformance.soak: error: {exc}", file=sys.stderr)
        return 2
    report(doc)
    if args.json:
        write_atomically(args.json, json.dumps(doc, indent=1))
    if doc.get("incomplete"):
        print("python -m conformance.soak: interrupted: the results so far are written, "
              "marked incomplete", file=sys.stderr)
        return 3
    new = [f for f in doc["findings"] if not f["known"]]
    return 1 if new or doc["harness_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
