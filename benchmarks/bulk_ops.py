# SPDX-License-Identifier: MIT
"""The bulk operations, timed inside whichever interpreter runs this file (CPython, PyPy,
Pyodide): stdlib only. `python bulk_ops.py [--factory MODULE:NAME] [--mib N] [--runs N]`
prints one JSON object: {"op name": best seconds of N runs, ...}.

benchmarks/test_bulk.py times the same OPS with pytest-benchmark for the in-process ones."""

import argparse
import importlib
import json
import sys
import time

MiB = 1 << 20
NEEDLE = b"needle-not-here"  # never in the map: a search runs over every byte


def _read_all(m, size, payload):
    m.seek(0)
    return m.read()


def _write_all(m, size, payload):
    m.seek(0)
    m.write(payload)


# name -> (bytes each run moves or scans, the C routine that is its limit, the operation).
# An op that returns a new bytes object is held to a copy into fresh memory: the page faults
# of that allocation are part of any such op.
OPS = {
    "find (miss)": (lambda size: size, "memmem",
                    lambda m, size, payload: m.find(NEEDLE, 0)),
    "rfind (miss)": (lambda size: size, "memrchr",
                     lambda m, size, payload: m.rfind(NEEDLE, 0)),
    "read all": (lambda size: size, "memcpy to new bytes", _read_all),
    "write all": (lambda size: size, "memcpy", _write_all),
    "move half": (lambda size: size // 2, "memcpy",
                  lambda m, size, payload: m.move(0, size // 2, size // 2)),
    "slice copy m[:]": (lambda size: size, "memcpy to new bytes", lambda m, size, payload: m[:]),
}


def load(spec):
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name or "mmap")


def filled_map(factory, size):
    """An anonymous map of `size` bytes of b"a", and a same-sized payload of b"b"."""
    m = factory(-1, size)
    m.write(b"a" * size)
    return m, b"b" * size


def best_times(factory, size, runs):
    m, payload = filled_map(factory, size)
    try:
        times = {}
        for name, (_, _, op) in OPS.items():
            op(m, size, payload)  # warm: page faults of the first touch are not the op's
            best = float("inf")
            for _ in range(runs):
                start = time.perf_counter()
                op(m, size, payload)
                best = min(best, time.perf_counter() - start)
            times[name] = best
        return times
    finally:
        m.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factory", default="mmap:mmap", help="MODULE:NAME (default mmap:mmap)")
    parser.add_argument("--mib", type=int, default=64, help="map size in MiB (default 64)")
    parser.add_argument("--runs", type=int, default=7, help="runs per op; the best is kept")
    args = parser.parse_args(argv)
    times = best_times(load(args.factory), args.mib * MiB, args.runs)
    json.dump(times, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
