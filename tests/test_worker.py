# SPDX-License-Identifier: MIT
"""The worker protocol: replies, crashes, hangs, prints and load failures become results."""

import os
import sys
import textwrap

import pytest

from conformance.engine import ops as o
from impls.adapters import Unavailable, UsageError, WorkerAdapter
from impls.process import WORKER, Worker, WorkerDied, WorkerFailed, WorkerHung


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    """A folder for throwaway implementation modules, importable by workers started here."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_module(folder, name, body):
    (folder / f"{name}.py").write_text(textwrap.dedent(body))
    return f"{name}:factory"


def adapter(spec, timeout=5.0):
    return WorkerAdapter(spec, spec, sys.executable, spec, timeout=timeout)


def test_worker_answers_ops_with_observations():
    w = Worker([sys.executable, WORKER, "mmap:mmap"])
    try:
        assert w.start()["implementation"] == "cpython"
        reply = w.request({"op": o.Open(b"abc").json()})
        assert reply["obs"]["state"] == "open" and reply["obs"]["data"] == b"abc".hex()
        reply = w.request({"op": o.Read(2).json()})
        assert reply["obs"]["out"] == ["ok", {"b": b"ab".hex()}] and reply["obs"]["pos"] == 2
    finally:
        w.stop()


def test_a_batch_reply_holds_only_the_observations_not_exactly_as_expected(module_dir):
    """Agreeing ops cost no observation in the reply; a message-only difference is sent and
    the batch goes on; the first real difference is sent and ends it; a reply claiming more
    ops than were sent breaks the protocol."""
    from impls.adapters import ReferenceAdapter
    from impls.executor import compact

    ops = [o.Open(b"abc" * 200).json(), o.Read(2).json(), o.Seek(99999).json(),
           o.Read(1).json(), o.Read(5).json()]
    reference = ReferenceAdapter()
    expect = [compact(reference.apply(op)) for op in ops]
    reference.close()
    for obs in expect:
        obs.pop("clause", None)
    worded = dict(expect[2], out=expect[2]["out"][:3] + ["worded otherwise"])
    wrong = dict(expect[3], pos=0)
    a = adapter("mmap:mmap")
    a.start()
    try:
        a.submit_many(ops, expect)
        assert a.results(len(ops)) == ((5, {}), None)
        a.submit_many(ops, expect[:2] + [worded, wrong, expect[4]])
        (ran, odd), failure = a.results(len(ops))
        assert failure is None and ran == 4 and sorted(odd) == [2, 3]
        assert odd[2]["out"][3] != "worded otherwise" and odd[3]["pos"] == expect[3]["pos"]
        a.worker.send({"ping": None})  # a lying reply: more ops than were sent
        a.worker.receive = lambda timeout: {"id": 0, "ran": 9, "odd": []}
        assert "protocol" in a.results(len(ops))[1]
    finally:
        a.close()


@pytest.mark.parametrize("awake", [False, True])
def test_requests_are_whole_lines_across_chunks_and_end_at_eof(awake):
    from impls.worker import Requests

    down, up = os.pipe()
    requests = Requests(down)
    try:
        os.write(up, b'{"a": 1}\n{"b"')
        assert requests.next(awake) == '{"a": 1}'
        os.write(up, b': "\xc3\xa9"}\n')
        assert requests.next(awake) == '{"b": "\u00e9"}'
        os.close(up)
        assert requests.next(awake) is None
    finally:
        os.close(down)


def test_prints_cannot_corrupt_the_protocol(module_dir):
    spec = write_module(module_dir, "noisy", """
        import mmap, sys
        print("hello on stdout at import")
        def factory(*a, **k):
            print("{not json")
            sys.stderr.write("noise\\n")
            return mmap.mmap(*a, **k)
    """)
    a = adapter(spec)
    a.start()
    try:
        assert a.apply(o.Open(b"xyz").json())["state"] == "open"
    finally:
        a.close()


def test_a_crash_is_an_observation_and_the_worker_restarts(module_dir):
    spec = write_module(module_dir, "crashy", """
        import mmap, os, signal
        class M(mmap.mmap):
            def size(self):
                os.kill(os.getpid(), signal.SIGSEGV)
        def factory(*a, **k):
            return M(*a, **k)
    """)
    a = adapter(spec)
    a.start()
    try:
        a.apply(o.Open(b"abc").json())
        obs = a.apply(o.Call("size").json())
        assert obs["signal"] == "SIGSEGV"
        assert a.apply(o.Open(b"abc").json())["state"] == "open"  # a fresh worker took over
    finally:
        a.close()


def test_a_hang_is_an_observation(module_dir):
    spec = write_module(module_dir, "slow", """
        import mmap, time
        class M(mmap.mmap):
            def size(self):
                time.sleep(60)
        def factory(*a, **k):
            return M(*a, **k)
    """)
    a = adapter(spec, timeout=1.0)
    a.start()
    try:
        a.apply(o.Open(b"abc").json())
        assert "hang" in a.apply(o.Call("size").json())
    finally:
        a.close()


def test_import_failure_is_unavailable_with_the_reason(module_dir):
    spec = write_module(module_dir, "broken", "raise RuntimeError('no such backend')\n")
    with pytest.raises(Unavailable, match="RuntimeError: no such backend"):
        adapter(spec).start()


@pytest.mark.parametrize("body, problem", [
    ("x = 1\n", "no attribute 'factory'"),
    ("factory = 3\n", "not callable"),
    ("def factory():\n    pass\n", "cannot be called as factory"),
])
def test_a_bad_factory_is_a_usage_error(module_dir, body, problem):
    spec = write_module(module_dir, "bad", body)
    with pytest.raises(UsageError, match=problem):
        adapter(spec).start()


def test_worker_died_and_hung_carry_what_happened():
    w = Worker([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    with pytest.raises(WorkerDied) as info:
        w.start()
    assert info.value.signum == 9
    w = Worker([sys.executable, "-c", "import time; time.sleep(30)"], start_timeout=0.5)
    with pytest.raises(WorkerHung):
        w.start()
    w.stop()


def test_fatal_hello_is_worker_failed():
    w = Worker([sys.executable, WORKER, "no_such_module_anywhere:factory"])
    with pytest.raises(WorkerFailed, match="No module named"):
        w.start()
    assert not os.path.exists(os.path.join(os.getcwd(), "no_such_module_anywhere.py"))


def zombie_children():
    """This process's children that died and were never reaped."""
    me, found = os.getpid(), []
    for task in os.listdir(f"/proc/{me}/task"):
        with open(f"/proc/{me}/task/{task}/children") as f:
            for pid in f.read().split():
                try:
                    with open(f"/proc/{pid}/stat") as g:
                        if g.read().rpartition(")")[2].split()[0] == "Z":
                            found.append(int(pid))
                except OSError:
                    pass
    return found


@pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"),
                    reason="this kernel does not list a process's children in /proc")
def test_killed_workers_leave_no_zombie(module_dir):
    """A worker killed again and again (in bubblewrap where it runs: its inner process outlives
    the outer one and is reparented to the harness) leaves no unreaped process behind."""
    spec = write_module(module_dir, "crashy", """
        import mmap, os, signal
        def factory(*a, **k):
            os.kill(os.getpid(), signal.SIGSEGV)
    """)
    before = set(zombie_children())
    a = adapter(spec)
    a.start()
    try:
        for _ in range(5):
            assert a.apply(o.Open(b"abc").json())["signal"] == "SIGSEGV"
    finally:
        a.close()
    assert set(zombie_children()) - before == set()


def started_crashing_on_length_3(module_dir):
    """A started worker whose maps of length 3 kill it (SIGSEGV)."""
    spec = write_module(module_dir, "crashy_spare", """
        import mmap, os, signal
        def factory(fileno, length, **kwargs):
            if length == 3:
                os.kill(os.getpid(), signal.SIGSEGV)
            return mmap.mmap(fileno, length, **kwargs)
    """)
    a = adapter(spec)
    a.start()
    return a


def test_a_worker_keeps_spares_booting(module_dir):
    """A spare boots once the worker said hello, and the first crash's next op adopts it; from
    the first crash on two boot (the replay finding a crash's step crashes again at once), the
    oldest adopted first; stop() ends them."""
    a = started_crashing_on_length_3(module_dir)
    try:
        first, = a.worker.spares  # booting beside the first worker
        assert a.apply(o.Open(b"abc", 3).json())["signal"] == "SIGSEGV"
        assert a.worker.spares[0] is first and len(a.worker.spares) == 2
        second = a.worker.spares[1]
        assert a.apply(o.Open(b"abcd", 4).json())["out"] == ["ok", None]  # the spare, adopted
        assert a.worker.proc is first[0]
        assert a.worker.spares[0] is second and len(a.worker.spares) == 2
        spares = list(a.worker.spares)
        assert all(spare[0].poll() is None for spare in spares)  # booting
    finally:
        a.close()
    assert a.worker.spares == [] and all(spare[0].poll() is not None for spare in spares)


@pytest.mark.parametrize("a, b", [
    (True, 1), (1, 1.0), (0, False), (None, None), ("ab", "ab"), ([1, "x"], [True, "x"]),
    ((1,), (True,)), ({"out": ["ok", 1], "data": "00ff"}, {"out": ["ok", True], "data": "00ff"}),
    ({"out": ["ok", {"b": "61"}], "pos": 3}, {"out": ["ok", {"b": "61"}], "pos": 3}),
    ({"len": 2, "pos": 1.0}, {"len": 2, "pos": 1}), ([[1], [2.0]], [[1], [2.0]]),
    ({"a": "x"}, {"a": "y"}),
])
def test_identical_is_same_where_equal_values_differ_by_type(a, b):
    """The worker's cheap first check of an observation never calls two values alike that
    same() tells apart (True and 1, 1 and 1.0, at any depth), and passes the equal ones."""
    from impls.executor import identical, same

    assert identical(a, b) == same(a, b) == identical(b, a)


def test_a_worker_slow_to_boot_gets_its_spare_when_it_first_dies(module_dir, monkeypatch):
    """Booting a spare for nothing would cost a slow interpreter (Pyodide: seconds of CPU) more
    than waiting once: its spares boot only from its first crash on."""
    from impls import process

    monkeypatch.setattr(process, "EAGER_SPARE_BOOT", 0.0)  # every boot is slow
    a = started_crashing_on_length_3(module_dir)
    try:
        assert a.worker.spares == [] and a.worker.boot > 0
        assert a.apply(o.Open(b"abc", 3).json())["signal"] == "SIGSEGV"
        assert len(a.worker.spares) == 2
    finally:
        a.close()


@pytest.mark.parametrize("sandbox", [False, True], ids=["no-sandbox", "bwrap"])
def test_a_crash_is_told_by_the_process_while_a_child_holds_the_pipe(module_dir, sandbox):
    """A worker whose forked child keeps the reply pipe open and then dies of SIGSEGV is a
    crash at once (its end, not the pipe's, tells it), never a hang; the child dies with it."""
    from impls import process

    if sandbox and process.sandbox_problem():
        pytest.skip(f"no sandbox here: {process.sandbox_problem()}")
    spec = write_module(module_dir, "lingers", """
        import ctypes, os, time, mmap
        def factory(*args, **kwargs):
            if os.fork() == 0:
                time.sleep(600)
                os._exit(0)
            ctypes.string_at(0)
    """)
    w = Worker([sys.executable, WORKER, spec], timeout=60, sandbox=sandbox)
    try:
        w.start()
        with pytest.raises(WorkerDied) as died:
            w.request({"op": o.Open(b"abc").json()})
        assert died.value.signum == 11
        marks = f"{process.MARK_ENV}={w.proc.mmapconf_token}\0".encode()
        assert not [pid for pid, (_, env) in process._processes().items() if marks in env]
    finally:
        w.stop()


def test_no_other_process_can_open_a_worker_s_channels():
    """A worker's request and reply channels are sockets: another process of the user (a
    hostile implementation beside it, without a sandbox) cannot open them through /proc and
    write a reply for it, as it could a pipe."""
    w = Worker([sys.executable, WORKER, "mmap:mmap"], sandbox=False)
    try:
        w.start()
        pid = w.proc.pid
        channels = []
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                    channels.append(f"/proc/{pid}/fd/{fd}")
            except OSError:
                pass
        assert len(channels) >= 2
        for path in channels:
            with pytest.raises(OSError):
                os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        reply = w.request({"op": o.Open(b"abc").json()})
        assert reply["obs"]["state"] == "open"
    finally:
        w.stop()
