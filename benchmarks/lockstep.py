# SPDX-License-Identifier: MIT
"""Lockstep throughput: steps per second of the state machine with one worker-backed
implementation, beside the same machine with no-op adapters (Hypothesis's own floor).

Usage: python benchmarks/lockstep.py [--examples N] [--seed N] [--json PATH]
The subject is the reference itself in a worker (`impls.reference:mmap`): conformant by
construction, so no shrinking distorts the figure.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.machine import run_lockstep  # noqa: E402
from impls.adapters import ReferenceAdapter, WorkerAdapter  # noqa: E402


class NoOp:
    """An adapter that does no mmap work: it only follows open/close, so the machine takes the
    same paths (re-opening after a close) without any implementation behind it."""

    spec = name = "noop"
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
    found, exercised = run_lockstep(reference, subject, examples=examples, seed=seed)
    elapsed = time.perf_counter() - began
    steps = sum(exercised.values())
    return {"steps": steps, "seconds": round(elapsed, 2), "steps_per_s": round(steps / elapsed),
            "divergences": len(found)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json")
    args = parser.parse_args()
    reference = ReferenceAdapter()
    subject = WorkerAdapter("impls.reference:mmap", "reference-in-worker", sys.executable,
                            "impls.reference:mmap")
    subject.start()
    try:
        results = {
            "floor (no-op rules)": rate(NoOp(), NoOp(), args.examples, args.seed),
            "reference in process": rate(reference, ReferenceAdapter(), args.examples, args.seed),
            "worker (reference in a worker)": rate(reference, subject, args.examples, args.seed),
        }
    finally:
        subject.close()
        reference.close()
    floor = results["floor (no-op rules)"]["steps_per_s"]
    for name, r in results.items():
        print(f"{name:<32} {r['steps_per_s']:>7} steps/s  ({r['steps']} steps in {r['seconds']} s,"
              f" {floor / r['steps_per_s']:.2f}x the floor's time per step)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
