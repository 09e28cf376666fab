# SPDX-License-Identifier: MIT
"""A run spread over hosts, on loopback (README, "Spreading a run over several hosts"): pytest-xdist
sends the lockstep machine through execnet's socket server and to a local popen worker, and
failures are shared through Hypothesis's example database (--mmap-db)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A mutant found within a few examples, on one clause, and shrunk in about a second.
MUTANT = "tests.mutants:flush_returns_zero"
CLAUSE = "flush.return"
MARK = "MMAP_CONFORMANCE_DISTRIBUTED_TEST"  # in the environment of every process a test starts



def _socketserver_found():
    try:
        return importlib.util.find_spec("execnet.script.socketserver") is not None
    except ImportError:
        return False


if os.name != "posix":
    pytest.skip("the loopback hosts are POSIX process groups", allow_module_level=True)
pytest.importorskip("xdist")
if not _socketserver_found():
    pytest.skip("execnet's socketserver script is not installed", allow_module_level=True)


def environment(mark, tmp):
    """The checkout first on the path (as on a host with the shared checkout), every temporary
    file in `tmp`, and a mark to find leftover processes by."""
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                TMPDIR=tmp, **{MARK: mark})


@contextlib.contextmanager
def socket_server(folder, env):
    """execnet's socket server on 127.0.0.1 and a free port (what each host would run); yields
    the port. Killed at the end with everything it started."""
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "execnet.script.socketserver", "127.0.0.1:0"], cwd=folder,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        # "socket_readline_exec_server-1.2 Entering Accept loop ('127.0.0.1', PORT)"
        line = server.stdout.readline()
        found = re.search(r"Accept loop \('127\.0\.0\.1', (\d+)\)", line)
        assert found, f"the socket server said {line!r}"
        yield int(found.group(1))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        server.stdout.close()


def leftovers(mark, grace=10.0):
    """Pids of live processes whose environment holds `mark`, after up to `grace` seconds."""
    if not os.path.isdir("/proc/self"):
        return []
    needle = f"{MARK}={mark}".encode()
    deadline = time.monotonic() + grace
    while True:
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if needle in f.read().split(b"\0"):
                        with open(f"/proc/{pid}/stat") as s:
                            if s.read().rsplit(")", 1)[1].split()[0] != "Z":
                                found.append(int(pid))
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def run_pytest(args, cwd, env):
    """pytest with the suite's plugin, which loads only where asked for."""
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "-p", "conformance.pytest_plugin", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def workers(out):
    """The xdist workers that reported a failure (each failure names its worker)."""
    return set(re.findall(r"^\[(gw\d+)\] \S+ -- Python", out, re.M))


def test_a_failure_found_on_one_host_is_replayed_first_on_the_next_run():
    mark = uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="mmapconf-distributed-") as work:
        db, scratch, remote, tmp = (os.path.join(work, d) for d in ("db", "scratch", "remote", "tmp"))
        os.mkdir(tmp)
        env = environment(mark, tmp)
        machine = os.path.join(ROOT, "conformance", "test_machine.py")
        common = ["--impl", MUTANT, f"--mmap-scratch={scratch}", "--tb=short", "-rN"]
        try:
            # 0. Without a database, one example per part finds nothing: Hypothesis's first
            # example is always the simplest one, and that one does not call flush().
            control = run_pytest([machine, *common, "--examples", "1"], work, env)
            assert control.returncode == 0, control.stdout + control.stderr

            with socket_server(work, env) as port:
                # 1. One worker inside the socket server, in a scratch folder (xdist copies
                # pytest there), plus a local popen worker. Arguments naming an existing path
                # must be written --opt=PATH, or xdist refuses them for a socket gateway.
                first = run_pytest(
                    ["--pyargs", "conformance.test_machine", f"--rootdir={ROOT}", *common,
                     "--examples", "40", f"--mmap-db={db}",
                     "-d", "--tx", f"socket=127.0.0.1:{port}//chdir={remote}", "--tx", "popen"],
                    work, env)
                out = first.stdout + first.stderr
                assert first.returncode == 1, out
                assert f"{CLAUSE}: step" in out, out
                # Each worker ran one part and found the bug: gw0 the socket one, gw1 popen.
                assert workers(out) == {"gw0", "gw1"}, out
                saved = [f for _, _, files in os.walk(db) for f in files]
                assert saved, f"nothing saved in {db}\n{out}"

                # 2. Several workers per host: the socket gateway as a proxy, popen workers
                # started through it (fresh processes), and a local one again. One example per
                # part fails now, and Hypothesis's log shows it replayed from the database and
                # nothing generated.
                second = run_pytest(
                    [machine, *common, "--examples", "1", "--mmap-db", db,
                     "--hypothesis-verbosity=debug",
                     "-d", "--px", f"id=loopback//socket=127.0.0.1:{port}",
                     "--tx", "popen//via=loopback", "--tx", "popen"],
                    work, env)
                out = second.stdout + second.stderr
                assert second.returncode == 1, out
                assert f"{CLAUSE}: step" in out, out
                assert workers(out) == {"gw0", "gw1"}, out
                # (Hypothesis says "test cases" or, in newer releases, "examples")
                assert len(re.findall(r"Reusing (?:test cases|examples) from database", out)) == 2, out
                assert not re.search(r"Generating new (?:test cases|examples)", out), out
        finally:
            left = leftovers(mark)
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        assert not left, f"processes left behind: {left}"
        # The harness's own scratch folders (mmapconf-*) went with their workers, remote or not.
        assert not [f for f in os.listdir(tmp) if f.startswith("mmapconf-")], os.listdir(tmp)


KEYS = textwrap.dedent("""
    from hypothesis.database import ExampleDatabase
    from conformance.engine.machine import run_lockstep
    from impls.adapters import ReferenceAdapter

    class Keys(ExampleDatabase):
        def __init__(self):
            super().__init__()
            self.keys = []
        def fetch(self, key):
            self.keys.append(key)
            return iter(())
        def save(self, key, value):
            pass
        def delete(self, key, value):
            pass

    reference = ReferenceAdapter()
    for key in ("stdlib part 0", "stdlib part 1", "reference@3.9 part 0"):
        db = Keys()
        run_lockstep(reference, reference, examples=1, steps=2, database=db, key=key)
        print(key, "=", min(db.keys).hex())
""")


def test_the_database_key_is_the_same_in_every_process_and_distinct_per_part():
    """Hypothesis files a state machine's failures under a digest of its class; the class is made
    per run, so the key must not depend on the process (hash seed, addresses)."""
    runs = []
    for hashseed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hashseed,
                   PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        result = subprocess.run([sys.executable, "-c", KEYS], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        runs.append(result.stdout.splitlines())
    assert runs[0] == runs[1]
    assert len(runs[0]) == 3 and len({line.split(" = ")[1] for line in runs[0]}) == 3, runs[0]


def test_a_seeded_run_has_no_database_so_asking_for_both_is_a_usage_error(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cli = subprocess.run([sys.executable, "-m", "conformance", "--db", str(tmp_path / "db"),
                          "--seed", "1"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60)
    assert cli.returncode == 2 and len(cli.stderr.strip().splitlines()) == 1, cli.stderr
    assert "--db and --seed" in cli.stderr
    plugin = run_pytest([os.path.join(ROOT, "conformance", "test_machine.py"),
                         f"--mmap-db={tmp_path / 'db'}", "--mmap-seed", "1"], tmp_path, env)
    assert plugin.returncode == pytest.ExitCode.USAGE_ERROR, plugin.stdout + plugin.stderr
    assert "--mmap-db and --mmap-seed" in plugin.stderr
    assert os.listdir(tmp_path) == []
