# SPDX-License-Identifier: MIT
"""Microseconds per call of each mmap method on the reference (impls.reference, the running
interpreter's profile) beside the running interpreter's own mmap, on the same 16 KiB file map.

Usage: python benchmarks/reference_ops.py [--number N] [--repeat N]
The stdlib column is the floor a reference written all in C could reach; the ratio is what the
reference's Python layer (argument handling, profile rules) costs on top of its C calls.
"""

import argparse
import mmap as stdlib_mmap
import os
import sys
import tempfile
import timeit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from impls import reference  # noqa: E402

SIZE = 16 * 1024
DATA = bytes(range(256)) * (SIZE // 256)

# name -> statement on `m` (a fresh position each call where the op moves it).
OPS = {
    "len(m)": "len(m)",
    "m[i]": "m[100]",
    "m[i:j]": "m[100:164]",
    "m[i] = v": "m[100] = 7",
    "m[i:j] = b": "m[100:108] = b'abcdefgh'",
    "seek(n)": "m.seek(100)",
    "tell()": "m.tell()",
    "size()": "m.size()",
    "read(n)": "m.seek(0); m.read(64)",
    "read_byte()": "m.seek(0); m.read_byte()",
    "readline()": "m.seek(0); m.readline()",
    "write(b)": "m.seek(0); m.write(b'abcdefgh')",
    "write_byte(v)": "m.seek(0); m.write_byte(7)",
    "find(b)": "m.find(b'\\xfe\\xff', 0, 512)",
    "rfind(b)": "m.rfind(b'\\x00\\x01', 0, 512)",
    "move(d, s, n)": "m.move(0, 64, 64)",
    "flush(0, n)": "m.flush(0, 4096)",
    "open + close": "mmap(fd, 0).close()",
}


def per_call(module, fd, stmt, number, repeat):
    """Best microseconds per call of `stmt` on a map of `fd` made by `module.mmap`."""
    m = module.mmap(fd, 0)
    try:
        env = {"m": m, "mmap": module.mmap, "fd": fd}
        return min(timeit.repeat(stmt, globals=env, number=number, repeat=repeat)) / number * 1e6
    finally:
        m.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20000, help="calls per timing. Default: %(default)r")
    parser.add_argument("--repeat", type=int, default=5, help="timings, best kept. Default: %(default)r")
    args = parser.parse_args(argv)
    ref = reference.module()
    with tempfile.TemporaryDirectory(prefix="refops-") as folder:
        path = os.path.join(folder, "map")
        with open(path, "wb") as f:
            f.write(DATA)
        fd = os.open(path, os.O_RDWR)
        try:
            rows = [(name, per_call(ref, fd, stmt, args.number, args.repeat),
                     per_call(stdlib_mmap, fd, stmt, args.number, args.repeat))
                    for name, stmt in OPS.items()]
        finally:
            os.close(fd)
    version = ".".join(map(str, sys.version_info[:3]))
    print(f"profile {reference.profiles.profile_for(version)} (Python {version}), "
          f"{SIZE // 1024} KiB file map, best of {args.repeat} x {args.number} calls")
    print(f"{'op':<16} {'reference µs':>13} {'stdlib µs':>10} {'ratio':>6}")
    for name, ref_us, std_us in rows:
        print(f"{name:<16} {ref_us:>13.2f} {std_us:>10.2f} {ref_us / std_us:>6.1f}")
    ratios = sorted(r / s for _, r, s in rows)
    print(f"median ratio {ratios[len(ratios) // 2]:.1f}, "
          f"mean reference {sum(r for _, r, _ in rows) / len(rows):.2f} µs per call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
