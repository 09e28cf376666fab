# SPDX-License-Identifier: MIT
"""Soak: long random op sequences (hundreds of ops each) against the reference, for minutes,
without Hypothesis in the loop; each divergence found is shrunk by delta debugging.

`python -m conformance soak --minutes N [--impl SPEC ...] [--json PATH]` (`nox -s soak`).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import random
import shutil
import signal
import sys
import tempfile
import time

from conformance.engine import ops as o
from conformance.engine.lockstep import Found, HarnessError, Lockstep, Seen
from conformance.engine.rules import RandomSource, Swarm, next_rule
from conformance.engine.shrink import harness_error, shrink
from conformance.results import header

# The sweep's first batch: a sequence that diverges at once costs the reference few ops.
FIRST_BATCH = 8
# How often a sequence leaves out a rule whose op ended an earlier sequence on a finding
# already made: each sequence ends at its first difference, so an implementation with shallow
# known bugs would otherwise never be taken deep.
AVOID = 0.75


class Target:
    """One implementation under test beside the reference at its profile (its Lockstep), and
    what the soak saw of it."""

    def __init__(self, spec, subject, reference, known=()):
        self.spec, self.subject, self.reference = spec, subject, reference
        self.lockstep = Lockstep(reference, subject)
        self.known = set(known)
        self.sequences = self.ops = 0
        self.findings = {}  # (clause, kind) -> {"count": how often, "found": the shortest Found}
        # Clauses this implementation crashed or hung on, with the number of sequences cut
        # before them since: a crash costs two worker starts (a hang two timeouts) and tells
        # nothing new the second time.
        self.crashed = {}
        # Rules whose op ended a sequence on a finding already made (or was cut before a
        # crash): later sequences mostly leave them out (AVOID).
        self.avoid = set()

    def sweep(self, make, length):
        """One generated sequence, its difference (if any) kept: the shortest of each kind."""
        self.sequences += 1
        outcome, ran = self.generate(make, length)
        self.ops += ran
        if isinstance(outcome, Seen):
            self.findings[(outcome.clause, outcome.kind)]["count"] += 1
            self._avoid(make, ran - 1)
        elif isinstance(outcome, Found):
            if outcome.kind != "diverge":  # a crash or a hang: a hang waits out --timeout
                self.crashed.setdefault(outcome.clause, 0)
            seen = self.findings.setdefault((outcome.clause, outcome.kind),
                                            {"count": 0, "found": outcome})
            seen["count"] += 1
            if len(outcome.steps) < len(seen["found"].steps):
                seen["found"] = outcome
            if seen["count"] > 1:
                self._avoid(make, ran - 1)

    def tally(self):
        """What this target saw, for the soak that started this job (picklable)."""
        return {"spec": self.spec, "sequences": self.sequences, "ops": self.ops,
                "findings": self.findings, "crashed": self.crashed, "avoid": self.avoid}

    def absorb(self, tally):
        """Add what a soak job's target of the same implementation saw."""
        self.sequences += tally["sequences"]
        self.ops += tally["ops"]
        for key, theirs in tally["findings"].items():
            seen = self.findings.setdefault(key, {"count": 0, "found": theirs["found"]})
            seen["count"] += theirs["count"]
            if len(theirs["found"].steps) < len(seen["found"].steps):
                seen["found"] = theirs["found"]
        for clause, cut in tally["crashed"].items():
            self.crashed[clause] = self.crashed.get(clause, 0) + cut
        self.avoid |= tally["avoid"]

    def _avoid(self, make, index):
        rules = getattr(make, "rules", ())
        if index < len(rules) and rules[index] is not None:
            self.avoid.add(rules[index])

    def seen(self, found):
        """A batch's difference of a clause and kind this soak found before is counted without
        the step-by-step replay that makes its Found (shrinking still replays every candidate)."""
        return (found.clause, found.kind) in self.findings

    def generate(self, make, length):
        """A generated sequence: the reference alone follows the generator, and a worker gets
        the ops a batch per message, the next batch made while it runs the last; batches start
        small and double (a sequence that diverges at its first steps should not cost the
        reference a hundred ops nobody runs). Returns (the outcome, the ops run)."""
        lock = self.lockstep
        shadow, pending = lock.shadow(), []
        stream = lock.stream(chunk=FIRST_BATCH, seen=self.seen, grow=True)
        while not stream.over:
            if not pending:
                pending = make(shadow, len(stream.steps) >= length)
                if not pending:
                    break
            op = pending.pop(0)
            if not shadow.allows(op):
                stream.abandon()
                raise HarnessError(f"the generator made an op the shadow forbids: {op.py()}")
            expected = lock.expect(op)
            shadow.follow(op, expected)
            clause = op.clause(expected)
            if clause in self.crashed:  # the sequence ends before the op (the reference's
                self.crashed[clause] += 1  # scenario is replaced by the next one's open)
                self._avoid(make, len(stream.steps))
                break
            stream.add(op, expected, clause)
        outcome = stream.finish()
        ran = (outcome.length if isinstance(outcome, Seen) else len(outcome.steps)
               if isinstance(outcome, Found) else len(stream.steps))
        return outcome, ran


def sequence_maker(profile, rng, avoid=()):
    """`make(shadow, done)` for Target.run: the rules of conformance/engine/rules.py drawn from `rng`
    (one swarm of enabled rules per sequence, each rule in `avoid` left out with probability
    AVOID), op by op, then End. `make.rules` names the rule of each op made (End: None)."""
    source = RandomSource(rng)
    swarm = Swarm.draw(source)
    if avoid:
        swarm = Swarm(swarm.disabled | {name for name in sorted(avoid) if rng.random() < AVOID})
    ended, current, rules = [], [None, iter(())], []

    def make(shadow, done):
        if ended:
            return []
        if done:
            ended.append(True)
            if not shadow.live:
                return []
            rules.append(None)
            return [o.End()]
        for op in current[1]:  # the rule under way goes on from the state its last op left
            rules.append(current[0])
            return [op]
        current[:] = next_rule(shadow, source, profile, swarm)
        return make(shadow, done)

    make.rules = rules
    return make


# -- the command ---------------------------------------------------------------------------------
def build_parser():
    from conformance import expectations
    from conformance.cli.options import Parser, positive, positive_int, seconds

    parser = Parser(
        prog="python -m conformance soak",
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
    parser.add_argument("--jobs", type=positive_int, default=1,
                        help="soak processes, each with its own workers and sequences (the "
                             "harness, not the worker, is the bottleneck: 2 on 2 cores). "
                             "Default: %(default)r")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    expectations.add_arguments(parser)
    return parser


def start_targets(args, out, pool):
    """Every implementation started from `pool`: (targets, infos); unavailable ones are
    listed."""
    from conformance import clauses, expectations
    from conformance.cli.run import expand, preflight

    infos, targets = preflight(expand(args.impl or ["stdlib"]), pool, []), []
    for info in infos:
        if info.get("status") == "unavailable":
            print(f"{info['spec']}: unavailable ({info['reason']})", file=out)
            continue
        adapter = pool.get(info["spec"])
        targets.append(Target(info["spec"], adapter, pool.reference(adapter.profile)))
    planned = expectations.plan(args, clauses.load())
    if planned is not None:
        assigned = expectations.assign(args, planned, [i for i in infos if "about" in i],
                                       clauses.load())
        for target in targets:
            target.known = {entry["clause"] for entry in assigned.get(
                target.spec, (None, {"known": {}}))[1]["known"].values()}
    return targets, infos


def soak(args, out=sys.stdout):
    """Run the soak; return the results document."""
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    from impls.pool import Pool
    from impls.process import forget

    pool = Pool(args.timeout)
    try:
        targets, infos = start_targets(args, out, pool)
    except KeyboardInterrupt as exc:  # before anything ran: an empty document, marked incomplete
        pool.close()
        return _document(seed, args, 0.0, [], [], [], [], _why(exc))

    harness = []
    started = time.monotonic()
    deadline = started + args.minutes * 60
    interrupted = None  # or why the soak was stopped
    jobs = []  # (process, pipe) of each soak job (--jobs)
    try:
        try:
            for k in range(1, args.jobs if targets else 1):
                jobs.append(_start_job(args, f"{seed}.{k}"))
            _soak_loop(targets, rng, args, deadline, harness)
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM: keep what was found, shrink no more
            interrupted = _why(exc)
        interrupted = _join_jobs(jobs, targets, harness, interrupted, args)
        elapsed = time.monotonic() - started
        findings = []
        for target in targets:
            for (clause, kind), seen in sorted(target.findings.items()):
                found = seen["found"]
                small = found if interrupted else shrink(
                    target.lockstep, found, time.monotonic() + args.shrink_seconds, harness)
                findings.append(_finding(target, clause, kind, seen["count"], found, small,
                                         target.crashed.get(clause, 0) if kind != "diverge" else 0))
    finally:
        pool.close()
        for process, _ in jobs:
            process.join(5)
            if process.is_alive():  # one that did not answer in time
                process.kill()
                process.join()
            forget(process.pid)
            shutil.rmtree(process.folder, ignore_errors=True)
    return _document(seed, args, elapsed, targets, infos, findings, harness, interrupted)


# -- more soak processes (--jobs) ------------------------------------------------------------------
JOB_PRELOAD = "MMAPCONF_SOAK_PRELOAD"  # the sanitizer runtime that jobs, not workers, get


def _keep_preload_from_workers():
    """Workers run other builds; a sanitizer runtime preloaded for the reference (nox -s soak)
    would turn their SIGBUS into a sanitizer report and change the crash they report. Soak jobs
    run the reference too: they get it back when they start (_start_job)."""
    preload = os.environ.get("LD_PRELOAD", "")
    if "asan" in preload:
        os.environ[JOB_PRELOAD] = os.environ.pop("LD_PRELOAD")


def _start_job(args, seed):
    """One more soak process: its own workers and sequences (from `seed`) until the deadline;
    a fresh interpreter (spawn), so it inherits none of this one's workers. -> (process, pipe)"""
    from impls.process import started_here

    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe(duplex=False)
    # Its files (its workers' homes, the reference's) in a folder of its own, removed by the
    # soak: even a job that was killed leaves nothing behind.
    folder = tempfile.mkdtemp(prefix="soak-job-")
    process = context.Process(target=_job, args=(args, seed, args.minutes * 60, there, folder),
                              name=f"soak job {seed}", daemon=True)
    process.folder = folder
    preload = os.environ.get(JOB_PRELOAD)
    if preload:  # the loader reads it as the job starts
        os.environ["LD_PRELOAD"] = preload
    try:
        process.start()
    finally:
        if preload:
            del os.environ["LD_PRELOAD"]
    started_here(process.pid)  # its end is reported through `process`, not reaped as a worker's
    there.close()
    return process, here


def _job(args, seed, seconds, pipe, folder):
    """A soak job's body: what its targets saw, its harness errors and why it stopped early
    (if it did) go back through `pipe`; SIGTERM or Ctrl-C stop it as they stop the soak."""
    import ctypes

    from conformance.cli.run import stopping

    deadline = time.monotonic() + seconds
    os.environ["TMPDIR"], tempfile.tempdir = folder, None  # its workers inherit it too
    _keep_preload_from_workers()
    try:  # the soak was killed: stop too, so the workers are closed
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    from impls.pool import Pool

    targets, harness, stopped, pool = [], [], None, Pool(args.timeout)
    with stopping() as stop:
        try:
            try:
                targets, _ = start_targets(args, io.StringIO(), pool)
                _soak_loop(targets, random.Random(seed), args, deadline, harness)
            except KeyboardInterrupt as exc:
                stopped = _why(exc)
            stop["defer"] = True  # a signal now must not cut the answer short
            answer = {"targets": [t.tally() for t in targets], "harness": harness,
                      "stopped": stopped}
        except Exception as exc:  # the job itself failed: a harness error of the soak
            answer = {"error": f"soak job {seed}: {type(exc).__name__}: {exc}"}
        finally:
            stop["defer"] = True
            pool.close()
        try:
            pipe.send(answer)
        except OSError:  # the soak is gone (killed): nobody to tell
            pass
        pipe.close()


def _join_jobs(jobs, targets, harness, interrupted, args):
    """Add what each job saw to `targets` and `harness`; returns why the soak stopped early
    (the soak's own reason, else a job's), or None. A stopped soak stops its jobs first."""
    by_spec = {t.spec: t for t in targets}
    for index, (process, pipe) in enumerate(jobs):
        if interrupted:
            _stop_jobs(jobs[index:])
        try:  # a job ends its sequence after the deadline: a hang costs --timeout, a crash a restart
            answer = _answer(process, pipe, 4 * args.timeout + 30)
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM while waiting: stop, then wait
            interrupted = _why(exc)
            _stop_jobs(jobs[index:])
            answer = _answer(process, pipe, args.timeout + 30)
        if "error" in answer:
            harness.append({"impl": process.name, "error": answer["error"]})
            continue
        for tally in answer["targets"]:
            if tally["spec"] in by_spec:
                by_spec[tally["spec"]].absorb(tally)
        harness.extend(answer["harness"])
        interrupted = interrupted or answer["stopped"]
    return interrupted


def _answer(process, pipe, wait):
    try:
        return pipe.recv() if pipe.poll(wait) else {"error": f"no answer in {wait:g} s"}
    except (EOFError, OSError):
        process.join(1)  # its pipe closes as it exits: its status comes a moment later
        return {"error": f"died (exit status {process.exitcode})"}


def _stop_jobs(jobs):
    for process, _ in jobs:
        if process.is_alive():
            try:
                os.kill(process.pid, signal.SIGTERM)
            except ProcessLookupError:  # it ended meanwhile
                pass


def _soak_loop(targets, rng, args, deadline, harness):
    """Random sequences, one implementation after the other, until the deadline."""
    turn = 0
    while targets and time.monotonic() < deadline:
        target = targets[turn % len(targets)]
        turn += 1
        length = rng.randint(args.length // 2, args.length * 3 // 2)
        make = sequence_maker(target.reference.profile, rng, target.avoid)
        try:
            target.sweep(make, length)
        except Exception as exc:  # the soak or the reference failed: counted apart
            harness.append(harness_error(target, exc))


def _document(seed, args, elapsed, targets, infos, findings, harness, interrupted):
    sequences, ops = sum(t.sequences for t in targets), sum(t.ops for t in targets)
    return {
        **header("soak"), "seed": seed, "jobs": args.jobs, "minutes": args.minutes,
        "seconds": round(elapsed, 3),
        "reference_extension": _extension_path(),
        "sequences": sequences, "ops": ops,
        "sequences_per_second": round(sequences / elapsed, 2) if elapsed else 0.0,
        "ops_per_second": round(ops / elapsed, 1) if elapsed else 0.0,
        "implementations": [dict(_public(i), sequences=t.sequences, ops=t.ops,
                                 rules_mostly_left_out=sorted(t.avoid))
                            for i in infos for t in targets if t.spec == i["spec"]]
        + [_public(i) for i in infos if i.get("status") == "unavailable"],
        "findings": findings,
        "harness_errors": len(harness), "harness_error_details": harness[:10],
        **({"incomplete": True, "stopped_by": interrupted} if interrupted else {}),
    }


def _why(exc):
    """What stopped the soak: the signal `stopping()` names, or a plain KeyboardInterrupt."""
    return str(exc) if type(exc) is not KeyboardInterrupt and str(exc) else "Ctrl-C"


def _public(info):
    return {k: info.get(k) for k in ("spec", "name", "version", "profile", "status", "reason")
            if k in info}


def _extension_path():
    try:
        from impls import _refmmap
        return _refmmap.__file__
    except ImportError:  # pragma: no cover - the reference itself would have failed first
        return None


def _finding(target, clause, kind, count, found, small, cut):
    row = small.row(target.spec, target.subject.profile)
    return {"impl": target.spec, "clause": clause, "kind": kind, "known": clause in target.known,
            "count": count, "cut_before": cut, "found_length": len(found.steps),
            "shrunk_length": len(small.steps), "fields": small.fields, "detail": row["detail"],
            "repro": row["repro"]}


def report(doc, out=sys.stdout):
    print(f"soak: {doc['sequences']} sequences, {doc['ops']} ops in {doc['seconds']:.0f} s "
          f"({doc['sequences_per_second']} sequences/s, {doc['ops_per_second']} ops/s), "
          f"seed {doc['seed']}" + (f", {doc['jobs']} jobs" if doc.get("jobs", 1) > 1 else ""),
          file=out)
    print(f"reference extension: {doc['reference_extension']}", file=out)
    for impl in doc["implementations"]:
        extra = f" (unavailable: {impl.get('reason')})" if impl.get("status") == "unavailable" else \
            f": {impl['sequences']} sequences, {impl['ops']} ops"
        print(f"  {impl['spec']} {impl.get('version') or ''}{extra}", file=out)
        if impl.get("rules_mostly_left_out"):
            print(f"    rules left out of {AVOID:.0%} of sequences once their ops repeated a "
                  f"finding: {', '.join(impl['rules_mostly_left_out'])}", file=out)
    for f in doc["findings"]:
        known = " (known)" if f["known"] else ""
        detail = f["detail"] if len(f["detail"]) <= 300 else f["detail"][:300] + "..."
        cut = f", then {f['cut_before']} sequences cut before it" if f.get("cut_before") else ""
        print(f"{f['impl']}: {f['kind']} on {f['clause']}{known}, {f['count']}x{cut}, shrunk "
              f"from {f['found_length']} to {f['shrunk_length']} ops\n  {detail}", file=out)
    if not doc["findings"]:
        print("no divergences", file=out)
    print(f"harness errors: {doc['harness_errors']}", file=out)
    for h in doc["harness_error_details"]:
        print(f"  {h['impl']}: {h['error']}", file=out)


def main(argv=None):
    from conformance import expectations
    from conformance.cli.options import Usage, check_output_folders
    from conformance.cli.run import stopping
    from conformance.results import write_atomically

    try:
        args = build_parser().parse_args(argv)
        check_output_folders(args, "json")
    except Usage as exc:
        print(f"python -m conformance soak: error: {exc}", file=sys.stderr)
        return 2
    _keep_preload_from_workers()
    try:
        # SIGTERM too, and Ctrl-C even where SIGINT came ignored (a background job's children).
        with stopping():
            doc = soak(args)
    except (Usage, expectations.BadExpectations) as exc:
        print(f"python -m conformance soak: error: {exc}", file=sys.stderr)
        return 2
    report(doc)
    if args.json:
        write_atomically(args.json, json.dumps(doc, indent=1))
    if doc.get("incomplete"):
        print("python -m conformance soak: interrupted: the results so far are written, "
              "marked incomplete", file=sys.stderr)
        return 3
    new = [f for f in doc["findings"] if not f["known"]]
    return 1 if new or doc["harness_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
