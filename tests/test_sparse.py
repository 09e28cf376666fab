# SPDX-License-Identifier: MIT
"""Sparse-file scenarios (ops.OpenSparse) and the sampled observation of maps and files past
executor.LARGE_LIMIT: cheap to make, never read whole, and still telling contents apart."""

import mmap
import os

from conformance.engine import ops as o
from conformance.engine.rules import Shadow
from impls import executor
from impls.adapters import ReferenceAdapter
from impls.executor import Executor, sample_digest

SIZE = 3 * executor.LARGE_LIMIT + 7  # past the limit, no whole number of pages


def observed(ops):
    """Each op's observation on the host's mmap."""
    ex = Executor(mmap.mmap, mmap)
    try:
        return [ex.apply(op.json()) for op in ops]
    finally:
        ex.shutdown()


def test_a_sparse_scenario_makes_its_file_of_the_size_with_its_pieces():
    obs = observed([o.OpenSparse(SIZE, {0: b"head", SIZE - 4: b"tail"}), o.Len(),
                    o.GetItem(slice(0, 4)), o.GetItem(slice(-4, None)), o.Call("size")])
    assert [x["out"] for x in obs[1:]] == [
        ["ok", SIZE], ["ok", {"b": b"head".hex()}], ["ok", {"b": b"tail".hex()}], ["ok", SIZE]]


def test_a_large_map_and_file_are_observed_by_a_digest_of_samples():
    obs = observed([o.OpenSparse(SIZE, {SIZE - 4: b"tail"}), o.Call("flush")])
    data = bytearray(SIZE)
    data[-4:] = b"tail"
    samples = sample_digest(lambda start, stop: bytes(data[start:stop]), SIZE)
    assert obs[-1]["data"] == obs[-1]["file"] == samples
    assert samples.startswith(executor.DIGEST)


def test_samples_tell_apart_the_ends_the_boundaries_and_the_length():
    size = (1 << 32) + 3 * executor.SAMPLE

    def sampled(changed_at=None, length=size):
        def read(start, stop):
            out = bytearray(stop - start)
            if changed_at is not None and start <= changed_at < stop:
                out[changed_at - start] = 1
            return bytes(out)
        return sample_digest(read, length)

    plain = sampled()
    assert plain == sampled()
    for at in (0, 1 << 31, (1 << 31) - 1, 1 << 32, size - 1):
        assert sampled(at) != plain, at
    assert sampled(length=size + 1) != plain


def test_the_reference_observes_a_sparse_map_as_a_worker_does():
    ops = [o.OpenSparse(SIZE, {SIZE // 2: b"mid", SIZE - 4: b"tail"}), o.SetItem(-1, 65),
           o.Call("flush"), o.Resize(SIZE + 1)]
    ref = ReferenceAdapter("3.11")
    try:
        expected = [ref.apply(op.json()) for op in ops]
    finally:
        ref.close()
    for want, got in zip(expected, observed(ops)):
        want.pop("clause", None)
        assert want == got


def test_a_sparse_file_takes_only_the_pages_written(tmp_path):
    path = tmp_path / "f"
    with open(path, "wb") as f:
        executor.write_sparse(f, {"size": 1 << 32, "pieces": [[(1 << 32) - 4, b"tail".hex()]]})
    try:
        assert os.path.getsize(path) == 1 << 32
        assert os.stat(path).st_blocks * 512 < 1 << 20
    finally:
        path.unlink()  # pytest keeps its last runs' folders: not a 4 GiB file in them


def test_the_shadow_follows_a_map_past_4_gib_without_holding_its_bytes():
    size = (1 << 32) + 5
    op = o.OpenSparse(size, {size - 4: b"tail"})
    ref = ReferenceAdapter("3.11")
    try:
        shadow = Shadow()
        shadow.peek = lambda: (_ for _ in ()).throw(AssertionError("read whole"))
        shadow.follow(op, ref.apply(op.json()))
        assert (shadow.len, shadow.file_size, shadow.data, shadow.bytes()) == (size, size, b"", b"")
    finally:
        ref.close()


class _Understated(mmap.mmap):
    """len() short of the map by a multiple of LARGE_LIMIT, as a 32-bit length is."""

    def __len__(self):
        return super().__len__() % executor.LARGE_LIMIT


def test_a_len_that_understates_a_large_map_is_observed_without_reading_it_whole():
    ex = Executor(_Understated, mmap)
    try:
        obs = ex.apply(o.OpenSparse(SIZE, {SIZE - 4: b"tail"}).json())
    finally:
        ex.shutdown()
    assert obs["len"] == SIZE % executor.LARGE_LIMIT and obs["data"].startswith(executor.DIGEST)


def test_large_clauses_are_na_on_a_32_bit_address_space():
    from types import SimpleNamespace

    from conformance.clause_tests.test_large import why_no_large_maps

    wasm32 = SimpleNamespace(about={"maxsize": (1 << 31) - 1})
    assert "32-bit address space" in why_no_large_maps(wasm32)
