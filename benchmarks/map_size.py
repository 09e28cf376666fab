# SPDX-License-Identifier: MIT
"""How one lockstep step's cost grows with the map's size: the same small ops (seek, write,
read, index, find in a window) on anonymous maps of 4 KiB to 64 MiB, through the reference in
process and the stdlib in a CPython worker, each op observed as the suite observes it.

Usage: python benchmarks/map_size.py [--steps N] [--json PATH]"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.engine import ops as o  # noqa: E402
from impls.adapters import ReferenceAdapter  # noqa: E402
from impls.interpreters import resolve  # noqa: E402

KiB, MiB = 1 << 10, 1 << 20
SIZES = [4 * KiB, 64 * KiB, 1 * MiB, 16 * MiB, 64 * MiB]
MIX = [o.Call("seek", 100), o.Call("write", b"abcdefgh"), o.Call("read", 16), o.GetItem(3),
       o.Call("tell"), o.Call("find", b"cd", 0, 256)]


def microseconds_per_step(adapter, size, steps):
    adapter.apply(o.Open(None, size).json())
    payloads = [op.json() for op in MIX]
    began = time.perf_counter()
    for i in range(steps):
        adapter.apply(payloads[i % len(payloads)])
    took = time.perf_counter() - began
    adapter.apply(o.Call("close").json())
    return took / steps * 1e6


def label(size):
    return f"{size // MiB} MiB" if size >= MiB else f"{size // KiB} KiB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--json")
    args = parser.parse_args()
    subjects = {"reference in process": ReferenceAdapter(), "stdlib, CPython worker": resolve("stdlib")}
    results = {}
    try:
        for adapter in subjects.values():
            adapter.start()
        for name, adapter in subjects.items():
            results[name] = {label(s): round(microseconds_per_step(adapter, s, args.steps), 1)
                             for s in SIZES}
    finally:
        for adapter in subjects.values():
            adapter.close()
    print(f"{'µs per observed step':<24}" + "".join(f"{label(s):>10}" for s in SIZES))
    for name, row in results.items():
        print(f"{name:<24}" + "".join(f"{v:>10}" for v in row.values()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
