# SPDX-License-Identifier: MIT
"""Lockstep throughput: steps per second of the state machine for each kind of implementation
(in process, CPython worker, PyPy worker, Pyodide worker), beside the same machine with no-op
adapters (Hypothesis's own floor).

Usage: python benchmarks/lockstep.py [--examples N] [--seed N] [--rounds N] [--kinds NAME,...] [--json PATH]
Divergences are recorded without shrinking (every clause counts as known), so shrinking does
not distort the figure; the reference in a worker is conformant by construction.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.clauses import load as load_catalogue  # noqa: E402
from conformance.engine.machine import run_lockstep  # noqa: E402
from impls.adapters import ReferenceAdapter, Unavailable, WorkerAdapter  # noqa: E402
from impls.interpreters import resolve  # noqa: E402

EVERY_CLAUSE = frozenset(load_catalogue())

class Echo:
    """A subject that answers what the reference just observed, at no cost: the machine with its
    real oracle and no implementation, a part of every other kind's time per step."""

    spec = name = "echo"
    batched = False

    def __init__(self):
        self.oracle = ReferenceAdapter()  # the reference this subject runs beside
        self.profile, self.last = self.oracle.profile, None
        observe = self.oracle.apply

        def recorded(op):
            self.last = observe(op)
            return self.last

        self.oracle.apply = recorded

    def start(self):
        return self.oracle.about

    def apply(self, op):
        return {key: value for key, value in self.last.items() if key != "clause"}

    def dump(self):
        return self.oracle.dump()

    def close(self):
        pass


# kind -> how to make its subject (the reference runs at the subject's profile)
KINDS = {
    "the reference alone (echoed)": Echo,
    "reference in process": lambda: ReferenceAdapter(),
    "reference in a CPython worker": lambda: WorkerAdapter(
        "impls.reference:mmap", "reference-in-worker", sys.executable, "impls.reference:mmap"),
    "stdlib in a CPython worker": lambda: resolve("stdlib"),
    "fmmap in a CPython worker": lambda: resolve("fmmap"),
    "stdlib in a PyPy worker": lambda: resolve("pypy3"),
    "stdlib in a Pyodide worker": lambda: resolve("pyodide"),
}


class NoOp:
    """An adapter that does no mmap work: it only follows open/close, so the machine takes the
    same paths (re-opening after a close) without any implementation behind it."""

    spec = name = "noop"
    batched = False
    profile = "3.11"

    def __init__(self):
        self.state = "none"

    def apply(self, op):
        name = op[0]
        method = op[1][0] if name == "call" else name
        if name == "open":
            self.state = "open"
        elif method in ("close", "exit", "end"):
            self.state = "closed"
        if self.state != "open":
            return {"out": ["ok", None], "state": self.state}
        return {"out": ["ok", None], "state": "open", "len": 16, "pos": 0, "data": "00" * 16}

    def dump(self):
        return {}


def rate(reference, subject, examples, seed):
    began = time.perf_counter()
    found, exercised = run_lockstep(reference, subject, examples=examples, seed=seed,
                                    record_crashes=True, known=EVERY_CLAUSE)
    elapsed = time.perf_counter() - began
    steps = sum(exercised.values())
    return {"steps": steps, "seconds": round(elapsed, 2), "steps_per_s": round(steps / elapsed),
            "divergences": len(found)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of every kind, each between two floor runs; the median "
                             "round is shown")
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help="comma-separated subset of: " + ", ".join(KINDS))
    parser.add_argument("--json")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    for kind in kinds:
        if kind not in KINDS:
            parser.error(f"--kinds: unknown kind {kind!r}")
    # This machine's speed drifts by several percent within seconds: each kind runs between two
    # runs of the floor and is held to their mean; the rounds repeat that, and the round with
    # the median ratio is shown (one round alone moved a ratio by up to 0.15).
    rounds, unavailable = {"floor (no-op rules)": []}, {}

    def floor_run():
        floor = rate(NoOp(), NoOp(), args.examples, args.seed)
        rounds["floor (no-op rules)"].append(dict(floor, x_floor=1.0))
        return floor

    for _ in range(args.rounds):
        floor = floor_run()
        for kind in kinds:
            if kind in unavailable:
                continue
            subject = KINDS[kind]()
            try:
                subject.start()
            except Unavailable as exc:
                unavailable[kind] = str(exc)
                continue
            reference = getattr(subject, "oracle", None) or ReferenceAdapter(subject.profile)
            try:
                r = rate(reference, subject, args.examples, args.seed)
            finally:
                subject.close()
                reference.close()
            before, floor = floor, floor_run()
            mean = (before["steps_per_s"] + floor["steps_per_s"]) / 2
            r["x_floor"] = round(mean / r["steps_per_s"], 2)
            rounds.setdefault(kind, []).append(r)
    print(f"floor runs: {', '.join(str(r['steps_per_s']) for r in rounds['floor (no-op rules)'])} "
          f"steps/s; each kind is held to the mean of the floor runs before and after it, the "
          f"median of {args.rounds} rounds shown")
    results = {}
    for name, runs in rounds.items():
        # the floor's median run by speed; a kind's median round by its ratio
        median = sorted(runs, key=lambda run: (run["x_floor"], -run["steps_per_s"]))[len(runs) // 2]
        r = results[name] = dict(median, rounds=[run["x_floor"] for run in runs])
        shown = "median run" if name == "floor (no-op rules)" else "rounds " + ", ".join(
            f"{x:.2f}" for x in r["rounds"])
        print(f"{name:<32} {r['steps_per_s']:>7} steps/s  ({r['steps']} steps in {r['seconds']} s,"
              f" {r['x_floor']:.2f}x the floor's time per step; {shown})")
    for kind, why in unavailable.items():
        print(f"{kind:<32} unavailable: {why}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
