# SPDX-License-Identifier: MIT
"""Bulk-operation speed of the reference against the stdlib `mmap`: find of a missing needle over
64 MiB, read() of 64 MiB, move() of 32 MiB. Prints reference/stdlib time ratios (best of N)."""

import argparse
import mmap as stdlib_mmap
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from impls import reference  # noqa: E402

MiB = 1 << 20
SIZE = 64 * MiB


def best(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def cases(m):
    """name -> a callable doing the bulk operation once on map m (64 MiB, filled with b'a')."""
    def read():
        m.seek(0)
        m.read()
    return {
        "find (missing needle, 64 MiB)": lambda: m.find(b"needle-not-here", 0),
        "read() (64 MiB)": read,
        "move (32 MiB)": lambda: m.move(0, 32 * MiB, 32 * MiB),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="runs per case (best is kept)")
    args = parser.parse_args(argv)
    maps = {"reference": reference.mmap(-1, SIZE), "stdlib": stdlib_mmap.mmap(-1, SIZE)}
    for m in maps.values():
        m.write(b"a" * SIZE)
    timings = {name: {case: best(fn, args.runs) for case, fn in cases(m).items()}
               for name, m in maps.items()}
    for case in timings["stdlib"]:
        ours, theirs = timings["reference"][case], timings["stdlib"][case]
        print(f"{case:32} reference {ours * 1e3:8.2f} ms  stdlib {theirs * 1e3:8.2f} ms  "
              f"ratio {ours / theirs:5.2f}")
    for m in maps.values():
        m.close()


if __name__ == "__main__":
    main()
