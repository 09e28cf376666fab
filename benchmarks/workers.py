# SPDX-License-Identifier: MIT
"""Worker start-up time (spawn to hello) and round-trip steps per second for every worker kind.

Usage: python benchmarks/workers.py [--starts N] [--steps N] [NAME ...]   (default: all found)
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.engine import ops as o  # noqa: E402
from impls import adapters, interpreters  # noqa: E402

# A cheap step that still touches the map and sends its observation back (12 bytes inline).
STEP = o.Read(1).json()
SEEK = o.Call("seek", 0).json()


def measure(spec, starts, steps):
    times = []
    for _ in range(starts):
        adapter = interpreters.resolve(spec, timeout=60)
        began = time.perf_counter()
        try:
            adapter.start()
        except adapters.Unavailable as exc:
            return {"spec": spec, "unavailable": str(exc)}
        times.append(time.perf_counter() - began)
        if len(times) < starts:
            adapter.close()
    adapter.apply(o.Open(b"hello world\n", 0).json())
    began = time.perf_counter()
    for i in range(steps):
        adapter.apply(SEEK if i % 12 == 0 else STEP)
    rate = steps / (time.perf_counter() - began)
    about = adapter.about
    adapter.close()
    return {"spec": spec, "version": about.get("full_version"), "start": statistics.median(times),
            "steps": rate}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="start-ups to time. Default: %(default)r")
    parser.add_argument("--steps", type=int, default=5000, help="round trips to time. Default: %(default)r")
    parser.add_argument("names", nargs="*", help="implementations (default: every one found)")
    args = parser.parse_args(argv)
    names = args.names or [n for n in interpreters.all_specs() if n != "reference"]
    print(f"{'worker':<12} {'version':<9} {'start-up':>10} {'steps/s':>9}")
    for name in names:
        r = measure(name, args.starts, args.steps)
        if "unavailable" in r:
            print(f"{name:<12} unavailable: {r['unavailable']}")
            continue
        print(f"{name:<12} {r['version']:<9} {r['start'] * 1000:>8.0f}ms {r['steps']:>9.0f}")
    # The in-process reference, for scale: same executor, no pipe.
    try:
        ref = adapters.ReferenceAdapter()
        ref.apply(o.Open(b"hello world\n", 0).json())
        began = time.perf_counter()
        for i in range(args.steps):
            ref.apply(SEEK if i % 12 == 0 else STEP)
        rate = args.steps / (time.perf_counter() - began)
        ref.close()
        print(f"{'reference':<12} {ref.profile:<9} {'in process':>10} {rate:>9.0f}")
    except Exception as exc:  # the reference is someone else's work in progress; say why, go on
        print(f"reference    unavailable: {type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
