# SPDX-License-Identifier: MIT
"""Bulk operations under pytest-benchmark: the reference, the stdlib and fmmap in this process,
beside what the C library's memcpy/memchr/memrchr/memmem reach on the same bytes (the limit).

    python -m pytest benchmarks/test_bulk.py --benchmark-json=bulk.json   (nox -s bench runs it)

BENCH_MIB sets the map size (default 64). PyPy and Pyodide time the same OPS in their own
interpreter through benchmarks/bulk_ops.py; report.py puts everything in one table."""

import ctypes
import ctypes.util
import importlib.util
import mmap as stdlib_mmap
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bulk_ops import NEEDLE, OPS, MiB, filled_map  # noqa: E402

from impls import reference  # noqa: E402

SIZE = int(os.environ.get("BENCH_MIB", "64")) * MiB
ROUNDS = 15


def _fmmap():
    if importlib.util.find_spec("fmmap") is None:
        pytest.skip("fmmap is not installed here (pip install '.[impls]')")
    import fmmap

    return fmmap.mmap


FACTORIES = {"reference": lambda: reference.mmap, "stdlib": lambda: stdlib_mmap.mmap,
             "fmmap": _fmmap}


@pytest.fixture(scope="module", params=list(FACTORIES))
def mapped(request):
    m, payload = filled_map(FACTORIES[request.param](), SIZE)
    yield m, payload
    m.close()


@pytest.mark.parametrize("op", list(OPS))
def test_bulk(benchmark, mapped, op):
    m, payload = mapped
    size_of, limit, run = OPS[op]
    benchmark.group = op
    benchmark.extra_info.update(bytes=size_of(SIZE), limit=limit)
    run(m, SIZE, payload)  # warm
    # As many rounds as the limits get: under load the best of more tries is lower.
    benchmark.pedantic(run, args=(m, SIZE, payload), rounds=ROUNDS, iterations=1)


class Buffers:
    """Two touched buffers of SIZE bytes, a map filled as the maps under test are, and the C
    routines, called through ctypes (one call per run: its overhead is microseconds against
    milliseconds). The searches run over the map: a shared anonymous map's pages (shmem, no
    transparent huge pages) scan slower than a bytearray's, and the ops search such pages."""

    def __init__(self):
        self.src, self.dst = bytearray(b"a" * SIZE), bytearray(b"b" * SIZE)
        self.src_at = ctypes.addressof((ctypes.c_char * SIZE).from_buffer(self.src))
        self.dst_at = ctypes.addressof((ctypes.c_char * SIZE).from_buffer(self.dst))
        self.map, _ = filled_map(stdlib_mmap.mmap, SIZE)
        self.map_at = ctypes.addressof((ctypes.c_char * SIZE).from_buffer(self.map))
        libc = self.libc()
        self.memchr, self.memrchr, self.memmem = libc.memchr, libc.memrchr, libc.memmem

    @staticmethod
    def libc():
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        for f in (libc.memchr, libc.memrchr):
            f.argtypes, f.restype = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t], ctypes.c_void_p
        libc.memmem.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
        libc.memmem.restype = ctypes.c_void_p
        return libc


LIMITS = {
    "memcpy": lambda b: ctypes.memmove(b.dst_at, b.src_at, SIZE),
    "memcpy to new bytes": lambda b: bytes(b.src),  # malloc'd fresh, then one memcpy
    "memchr": lambda b: b.memchr(b.map_at, ord("n"), SIZE),
    "memrchr": lambda b: b.memrchr(b.map_at, ord("n"), SIZE),
    # The C library's own search for find()'s needle (glibc: a byte-pair hash, then two-way).
    "memmem": lambda b: b.memmem(b.map_at, SIZE, NEEDLE, len(NEEDLE)),
}


def _address(m):
    """Where a map's bytes are: its buffer, or (a map with PEP 688's __buffer__ on a Python
    whose C code does not call it) the view __buffer__ makes."""
    try:
        return ctypes.addressof((ctypes.c_char * SIZE).from_buffer(m)), None
    except TypeError:
        view = m.__buffer__(0)
        return ctypes.addressof((ctypes.c_char * SIZE).from_buffer(view)), view


# The searches' limits again, over each map under test: the same pages as the op scans, so the
# ratio of op to limit does not follow where two maps' pages happen to lie.
ON_MAP = {"memmem": lambda libc, at: libc.memmem(at, SIZE, NEEDLE, len(NEEDLE)),
          "memrchr": lambda libc, at: libc.memrchr(at, ord("n"), SIZE)}


@pytest.mark.parametrize("routine", list(ON_MAP))
def test_limit_on_map(benchmark, mapped, routine):
    m, _ = mapped
    at, view = _address(m)
    libc = Buffers.libc()
    benchmark.group = "limits on the map"
    benchmark.extra_info.update(bytes=SIZE, limit=routine)
    try:
        ON_MAP[routine](libc, at)
        benchmark.pedantic(ON_MAP[routine], args=(libc, at), rounds=ROUNDS, iterations=1)
    finally:
        if view is not None:
            view.release()


@pytest.mark.parametrize("routine", list(LIMITS))
def test_limit(benchmark, routine):
    buffers = Buffers()
    benchmark.group = "limits"
    benchmark.extra_info.update(bytes=SIZE, limit=routine)
    LIMITS[routine](buffers)
    benchmark.pedantic(LIMITS[routine], args=(buffers,), rounds=ROUNDS, iterations=1)
