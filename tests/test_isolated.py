# SPDX-License-Identifier: MIT
"""A run without a sandbox: its pieces (conformance/cli/isolated.py, conformance/cli/watch.py)
alone; tests/test_hostile.py runs hostile implementations through the whole of it."""

import json
import os
import subprocess
import sys

from conformance.cli import isolated, watch
from conformance.results import not_checked

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_watch_sees_new_changed_and_removed_files_but_not_skipped_ones(tmp_path):
    (tmp_path / "keep.txt").write_text("a")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "deep.txt").write_text("b")
    (tmp_path / "mine").mkdir()
    before = watch.snapshot([tmp_path], skip=[tmp_path / "mine"])
    (tmp_path / "mine" / "made.txt").write_text("its own")
    assert watch.changes(before, watch.snapshot([tmp_path], skip=[tmp_path / "mine"])) == []
    (tmp_path / "keep.txt").write_text("changed")
    (tmp_path / "new.txt").write_text("x")
    for name in ("deep.txt",):
        (tmp_path / "tree" / name).unlink()
    (tmp_path / "tree").rmdir()
    said = watch.changes(before, watch.snapshot([tmp_path], skip=[tmp_path / "mine"]))
    real = os.path.realpath(tmp_path)
    assert said == [f"changed {real}/keep.txt", f"new {real}/new.txt", f"removed {real}/tree"]


def test_a_watched_folder_removed_whole_is_one_change(tmp_path):
    top = tmp_path / "run"
    (top / "a" / "b").mkdir(parents=True)
    before = watch.snapshot([top])
    import shutil

    shutil.rmtree(top)
    assert watch.changes(before, watch.snapshot([top])) == [f"removed {os.path.realpath(top)}"]


def test_only_lines_signed_with_the_key_are_the_harness_s(tmp_path):
    """A line written into the result channel by anyone else (the implementation) is not
    taken, and makes its implementation a vandal."""
    key = b"k" * 64
    read_fd, write_fd = os.pipe()
    channel = isolated.Channel(write_fd, key)
    channel.send(infos=[{"spec": "x", "name": "x", "version": "1", "profile": "3.11"}])
    os.write(write_fd, b"null\n")
    os.write(write_fd, isolated.sign(b"other", b'{"rows": []}') + b' {"rows": [{"forged": 1}]}\n')
    channel.send(rows=[{"impl": "x", "clause": "a", "status": "pass"}])
    os.close(write_fd)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    received = isolated.Received(key)
    received.read(read_fd, proc, 10)
    os.close(read_fd)
    one = received.result("x", "ended")
    assert one["collected"]["results"] == [{"impl": "x", "clause": "a", "status": "pass"}]
    (info,) = one["infos"]
    assert info["ended"] == "ended"
    assert info["vandal"] == ["wrote into the harness's result channel: 'null'"]
    assert len(received.forged) == 2


def test_what_was_not_checked_has_an_error_row_each():
    catalogue = {"a": {"id": "a"}, "b": {"id": "b"}, "c": {"id": "c", "platform": "windows"}}
    rows = [{"impl": "x", "clause": "a", "status": "pass"}]
    missing = not_checked(rows, spec="x", profile="3.11", parts_wanted=["machine", "clauses"],
                          parts_ran=["clauses"], catalogue=catalogue, why="killed")
    assert [(r["clause"], r["status"]) for r in missing] == [("machine", "error"),
                                                             ("b", "error")]
    assert all(r["detail"].endswith(": killed") and r["impl"] == "x" for r in missing)
    assert not_checked(rows + [{"impl": "x", "clause": "b", "status": "na"}], spec="x",
                       profile="3.11", parts_wanted=["clauses"], parts_ran=[],
                       catalogue=catalogue, why="") == []


def test_the_harness_of_one_implementation_gets_the_run_s_options():
    from conformance.cli.run import parse

    args = parse(["--examples", "7", "--seed", "3", "-k", "find", "--only", "clauses",
                  "--expectations-dir", "expectations", "--strict-messages"])
    args.run_seed = 3
    argv = isolated.child_argv(args, "stdlib", 9, None)
    assert argv[argv.index("--impl") + 1] == "stdlib" and "--no-sandbox" in argv
    for flag, value in (("--examples", "7"), ("--seed", "3"), ("-k", "find"),
                        ("--only", "clauses"), ("--expectations-dir", "expectations"),
                        ("--isolated-channel", "9")):
        assert argv[argv.index(flag) + 1] == value
    assert "--strict-messages" in argv and "-n" not in argv
    assert json.dumps(argv)  # nothing but strings



def test_the_run_s_own_output_file_is_not_watched(tmp_path):
    """`python -m conformance > log.txt` in the folder watched: the run writes it, not the
    implementation."""
    log = tmp_path / "log.txt"
    code = ("import sys; from conformance.cli import watch; "
            "b = watch.snapshot([sys.argv[1]]); print('x' * 100, flush=True); "
            "print(watch.changes(b, watch.snapshot([sys.argv[1]])), file=sys.stderr)")
    with open(log, "w") as out:
        done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], stdout=out,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert done.stderr.strip() == "[]"



def test_na_from_a_fixture_is_a_result_of_its_clause(tmp_path):
    """A clause test whose fixture finds the clause cannot apply (pytest.skip("na: ...") at
    setup, as the large maps' on wasm32) gives the clause an `na` row: it used to give none,
    which a crashed implementation's verdict hid."""
    (tmp_path / "test_it.py").write_text(
        "import pytest\n\n"
        "@pytest.fixture\n"
        "def cannot(mmap_impl):\n"
        "    pytest.skip('na: not here')\n\n"
        "@pytest.mark.clause('large.len')\n"
        "def test_it(cannot, check):\n"
        "    raise AssertionError('not reached')\n")
    out = tmp_path / "out.json"
    env = dict(os.environ, PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p",
                           "conformance.pytest_plugin", "--impl", "reference", "--mmap-json",
                           str(out), "test_it.py"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    doc = json.loads(out.read_text())
    assert [(r["clause"], r["status"], r["detail"]) for r in doc["results"]] == [
        ("large.len", "na", "not here")], done.stdout
    assert doc["skipped"] == {}


def test_a_reproducer_that_leaves_a_child_is_not_a_hang_and_leaves_nothing():
    """A reproducer script whose child keeps its output open ends when its process does, and
    the child dies with it."""
    from conformance.reporting import replay
    from impls import process

    script = ("import os, sys, time\n"
              "if os.fork() == 0:\n"
              "    time.sleep(600)\n"
              "    os._exit(0)\n"
              "print('parent done')\n"
              "sys.exit(1)\n")
    code, output = replay._run(sys.executable, script, timeout=60)
    assert (code, output.strip()) == (1, "parent done")
    assert not [pid for pid, (_, env) in process._processes().items()
                if f"{process.MARK_ENV}=replay|{os.getpid()}.".encode() in env]
