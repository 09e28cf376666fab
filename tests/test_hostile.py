# SPDX-License-Identifier: MIT
"""Hostile implementations cannot take the suite down: each one's result names what happened,
the others in the same run are unaffected, the exit status is 1, and nothing is left behind."""

import json
import os
import queue
import subprocess
import sys
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOSTILE = ["segfault", "hangs", "noisy", "leaky", "import_error", "not_mmap", "slow"]
EXPECTED = {  # implementation status, and what its results must say
    "segfault": ("crashed", "SIGSEGV"),
    "hangs": ("crashed", "hung"),
    "noisy": ("conformant", None),
    "leaky": ("conformant", None),
    "import_error": ("unavailable", "the native part of this implementation is not built"),
    "not_mmap": ("divergent", None),
    "slow": ("conformant", None),
    "reference": ("conformant", None),
}


def spec(name):
    return name if name == "reference" else f"tests.hostile.{name}:factory"


def cli(tmp_path, *extra):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch), PYTHONPATH=ROOT)
    argv = [sys.executable, "-m", "conformance", "--only", "machine", "--examples", "8",
            "--seed", "1", "--step-timeout", "2", *extra]
    for name in ["reference", *HOSTILE]:
        argv += ["--impl", spec(name)]
    return argv, env, scratch


def leftovers(scratch):
    """Files in the run's private TMPDIR, and processes still running with it (workers too:
    their own TMPDIR lies inside it)."""
    marker = str(scratch).encode()
    processes = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if marker in f.read():
                    processes.append(pid)
        except OSError:
            pass
    return os.listdir(scratch), processes


def test_hostile_implementations_are_results_not_failures(tmp_path):
    out = tmp_path / "results.json"
    argv, env, scratch = cli(tmp_path, "--json", str(out))
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 1, result.stdout + result.stderr
    doc = json.loads(out.read_text())
    status = {i["spec"]: i for i in doc["implementations"]}
    for name, (want, says) in EXPECTED.items():
        info = status[spec(name)]
        assert info["status"] == want, (name, info)
        if says and want == "unavailable":
            assert says in info["reason"]
        elif says:
            details = [r["detail"] for r in doc["results"] if r["impl"] == spec(name)
                       and r["status"] == "crash"]
            assert any(says in d for d in details), (name, details)
    files, processes = leftovers(scratch)
    assert files == [] and processes == []


def test_ctrl_c_leaves_nothing_behind(tmp_path):
    argv, env, scratch = cli(tmp_path)
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines, errors = queue.Queue(), []
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    reader = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        # Well into the run: a progress line says a machine runs (workers started, busy).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if "machine running" in lines.get(timeout=1):
                    break
            except queue.Empty:
                pass
        else:
            pytest.fail("no implementation's machine was said to run within 120 s")
        proc.send_signal(2)
        proc.wait(timeout=120)
        reader.join(timeout=60)  # its stderr to the end, or what a leftover let through
        err = "".join(errors)
    finally:  # a run that ignored Ctrl-C must not outlive the test
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert "Traceback" not in err
    deadline = time.monotonic() + 10
    while any(leftovers(scratch)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert leftovers(scratch) == ([], [])


@pytest.mark.parametrize("name", ["noisy", "leaky"])
def test_misbehaving_but_correct_implementations_conform_alone(tmp_path, name):
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "--impl", spec(name), "--only", "machine",
         "--examples", "5", "--seed", "2"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert leftovers(tmp_path) == ([], [])


def run_alone(tmp_path, name, *extra):
    out = tmp_path / "results.json"
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "--impl", spec(name), "--seed", "1",
         "--json", str(out), *extra], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=600)
    doc = json.loads(out.read_text()) if out.exists() else None
    return result, doc


@pytest.mark.parametrize("name, clause, says", [
    # find() hits at 0 and 1 come back as False/True: == the right ints, but not ints.
    ("bool_find", "find.basic", "got returns False"),
    # tell() returns 0.0: the position observed after the very first step differs.
    ("float_tell", "find.basic", "pos 0 vs 0.0 differ"),
])
def test_values_of_another_type_are_divergences(tmp_path, name, clause, says):
    result, doc = run_alone(tmp_path, name, "--only", "clauses")
    assert result.returncode == 1, result.stdout + result.stderr
    assert [i["status"] for i in doc["implementations"]] == ["divergent"]
    details = [r["detail"] for r in doc["results"]
               if r["clause"] == clause and r["status"] == "diverge"]
    assert any(says in d for d in details), details


def test_a_worker_answering_null_breaks_the_protocol(tmp_path):
    """`null` where a reply was due is evidence against the implementation (its protocol
    layer is part of it), recorded like a crash; the worker is restarted."""
    result, doc = run_alone(tmp_path, "null_replies", "--examples", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    (info,) = doc["implementations"]
    assert info["status"] == "crashed"
    statuses = {r["status"] for r in doc["results"]}
    assert "crash" in statuses and "error" not in statuses
    crashes = [r for r in doc["results"] if r["status"] == "crash"]
    assert crashes and all("broke the worker protocol (sent 'null'" in r["detail"]
                           for r in crashes)
    assert leftovers(tmp_path) == (["results.json"], [])


def sandbox_works():
    from impls import process

    return process.sandbox_problem() is None


# Each with the verdict it gets in bubblewrap and without (where each runs alone, in a harness
# process of its own, and what it changes outside its folder makes it a vandal).
CONFINED = {
    "extra_reply": ("crashed", "crashed"),  # a second reply line: the protocol broken
    "unencodable": ("divergent", "divergent"),  # returns what JSON cannot carry
    "forker": ("conformant", "conformant"),  # a daemon and a spinning child
    "flood": ("conformant", "conformant"),  # 64 MiB on stderr
    "rm_tmp": ("crashed", "crashed"),  # removes its temporary folder and dies
    "vandal": ("conformant", "conformant"),  # damages what it finds near its folder: its own
    "lingerer": ("crashed", "crashed"),  # a child holds the reply pipe; SIGSEGV: not a hang
    "pipe_writer": ("conformant", "conformant"),  # writes into every pipe it can open
    "outsider": ("conformant", "vandal"),  # writes into the user's current folder
    "parent_killer": ("conformant", "incomplete"),  # kills the process that started it
    "parent_stopper": ("conformant", "conformant"),  # stops it (SIGSTOP): it is continued
    # Removes the run's whole folder; in bubblewrap only its own files, whose loss makes its
    # next steps fail one way or another, as the timing of its workers' restarts falls.
    "rm_run": ({"crashed", "divergent"}, "vandal"),
}


@pytest.mark.parametrize("sandbox", [True, False], ids=["bwrap", "no-sandbox"])
def test_confinement_with_and_without_the_sandbox(tmp_path, sandbox):
    """One run with the reference, the stdlib and implementations that break the protocol,
    write into every pipe and folder they can reach, kill their parent, remove the run's folder,
    fork a daemon, flood stderr: each gets its own verdict (the one its fixture says), the
    stdlib's results are what it gets alone, the user's folder holds only what a vandal put
    there, and no file or process outlives the run."""
    if sandbox and not sandbox_works():
        pytest.skip("bubblewrap cannot run here: the run without it is the other case")
    user = tmp_path / "user"
    user.mkdir()
    (user / "mine.txt").write_text("the user's")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch), PYTHONPATH=ROOT, FLOOD_MB="64")
    base = [sys.executable, "-m", "conformance", "--only", "machine", "--examples", "8",
            "--seed", "1", "--step-timeout", "5"] + ([] if sandbox else ["--no-sandbox"])
    out = tmp_path / "results.json"
    argv = base + ["--json", str(out), "--impl", "reference", "--impl", "stdlib"]
    for name in CONFINED:
        argv += ["--impl", spec(name)]
    result = subprocess.run(argv, cwd=user, env=env, capture_output=True, text=True,
                            timeout=1800)
    assert result.returncode == (1 if sandbox else 3), result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    doc = json.loads(out.read_text())
    status = {i["spec"]: i["status"] for i in doc["implementations"]}
    want = {spec(name): modes[not sandbox] for name, modes in CONFINED.items()}
    want.update(reference="conformant", stdlib=status["stdlib"])
    assert status.keys() == want.keys()
    assert {name: got for name, got in status.items()
            if got not in (want[name] if isinstance(want[name], set) else {want[name]})} == {}
    if not sandbox:  # vandals first
        assert [i["status"] for i in doc["implementations"]][:2] == ["vandal"] * 2
    rows = {name: [r for r in doc["results"] if r["impl"] == spec(name)] for name in CONFINED}
    protocol = [r["detail"] for r in rows["extra_reply"] if r["status"] == "crash"]
    assert protocol and all("broke the worker protocol" in d for d in protocol)
    odd = [r for r in rows["unencodable"] if r["status"] != "pass"]
    assert odd and all(r["status"] == "diverge" for r in odd)
    assert any("could not encode" in r["detail"] for r in odd)
    dead = [r["detail"] for r in rows["rm_tmp"] if r["status"] == "crash"]
    assert dead and not any("inherited" in d for d in dead)
    crashes = [r["detail"] for r in rows["lingerer"] if r["status"] == "crash"]
    assert crashes and all("SIGSEGV" in d and "hung" not in d for d in crashes)
    if not sandbox:  # what its killed harness did not check has a row saying so
        unchecked = [r for r in rows["parent_killer"] if r["status"] == "error"]
        assert unchecked and all("killed by SIGKILL" in r["detail"] for r in unchecked)
    # The stdlib's results are those it gets alone with the same seed (it may meet its own
    # known crashes: the ops drawn depend only on the reference), whatever its neighbours did.
    alone = tmp_path / "alone.json"
    subprocess.run(base + ["--json", str(alone), "--impl", "stdlib"], cwd=user, env=env,
                   capture_output=True, text=True, timeout=900)
    assert outcomes(json.loads(alone.read_text()), "stdlib") == outcomes(doc, "stdlib")
    assert sorted(os.listdir(user)) == (["mine.txt"] if sandbox
                                        else ["mine.txt", "outsider-was-here"])
    assert (user / "mine.txt").read_text() == "the user's"
    assert leftovers(scratch) == ([], [])


def outcomes(doc, impl):
    return sorted((r["clause"], r["status"], (r.get("finding") or {}).get("identity"))
                  for r in doc["results"] if r["impl"] == impl)


def test_stderr_kept_is_bounded(tmp_path):
    """A worker that writes 64 MiB to stderr at start neither blocks nor fills the harness."""
    from impls.interpreters import resolve

    adapter = resolve(spec("flood"))
    adapter.worker.env["FLOOD_MB"] = "64"
    adapter.worker.env["PYTHONPATH"] = ROOT
    try:
        adapter.start()
        adapter.apply(["open", [None, [-1, 16], {}]])
        tail = adapter.worker.stderr
        assert tail is not None
        tail.thread.join(30)
        assert 0 < len(tail.data) <= 64 * 1024
    finally:
        adapter.close()
