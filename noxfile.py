# SPDX-License-Identifier: MIT
"""Sessions: `conformance` (the front door), `tests` (the project's own), and the heavier ones."""

import nox
import nox.command

nox.options.sessions = ["conformance", "tests", "lint"]
nox.options.reuse_venv = "yes"
nox.options.default_venv_backend = "venv"

PYTEST_FLAGS = ("-ra", "--strict-config", "--strict-markers", "--tb=short", "--durations=10")


def _run(session, *args, usage_codes=(2,), **kwargs):
    """session.run; a usage error ends nox with status 2, after the command's own one line,
    rather than as an ordinary session failure (status 1)."""
    try:
        session.run(*args, **kwargs)
    except nox.command.CommandFailed as exc:
        if exc.return_code in usage_codes:
            raise SystemExit(2) from None
        raise


def _install(session, *extras):
    """Install the project (builds the cffi extension) plus optional extras.

    The extension is also built in place: run from the checkout, Python imports the checkout's
    packages before the installed ones.
    """
    target = "." if not extras else ".[{}]".format(",".join(extras))
    session.install(target)
    session.run("python", "native/build_refmmap.py", silent=True)


@nox.session
def conformance(session):
    """Run the lockstep conformance suite: `nox -s conformance -- --impl SPEC ...`."""
    _install(session)
    # By default the known divergences of real CPythons (expectations/) are accepted, so the
    # run fails only on something new; any arguments replace that default.
    _run(session, "python", "-m", "conformance",
         *(session.posargs or ["--expectations-dir", "expectations"]))


@nox.session
def tests(session):
    """Run the project's own tests (harness, reference, CLI); `-- -m slow` for the long sweeps."""
    _install(session, "test")
    # pytest's own usage errors exit 4.
    _run(session, "python", "-m", "pytest", *PYTEST_FLAGS, "-n", "2",
         *(session.posargs or ["-m", "not slow", "tests"]), usage_codes=(4,))


@nox.session
def lint(session):
    """Check style with ruff."""
    session.install("ruff")
    _run(session, "ruff", "check", *(session.posargs or ["."]))


def _private_build(session, build_env):
    """Build the extension with `build_env` (build_refmmap.py's knobs) into a private copy of
    impls/ (beside a copy of conformance/) and return that tree: with PYTHONPATH=tree Python
    imports the copy, and the checkout's own build is left alone."""
    import os
    import shutil

    session.install("cffi", "pytest", "hypothesis")
    tree = os.path.abspath(session.create_tmp())
    shutil.rmtree(os.path.join(tree, "impls"), ignore_errors=True)
    shutil.copytree("impls", os.path.join(tree, "impls"),
                    ignore=shutil.ignore_patterns("*.so", "*.o", "_refmmap.c", "__pycache__"))
    # The Windows clause tests ship in the package; the reference's tests run them from there.
    shutil.rmtree(os.path.join(tree, "conformance"), ignore_errors=True)
    shutil.copytree("conformance", os.path.join(tree, "conformance"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy("pyproject.toml", tree)
    session.run("python", "native/build_refmmap.py", env={**build_env, "REFMMAP_BUILD_DIR": tree},
                silent=True)
    return tree


def _sanitized_build(session):
    """Build the extension with ASan+UBSan into a private copy of impls/; return (tree, env):
    with `env`, Python imports that copy and preloads the sanitizer runtime."""
    tree = _private_build(session, {"REFMMAP_SANITIZE": "1"})
    libasan = session.run("gcc", "-print-file-name=libasan.so", silent=True, external=True).strip()
    return tree, {"PYTHONPATH": tree, "LD_PRELOAD": libasan, "ASAN_OPTIONS": "detect_leaks=0",
                  "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1"}


# The tests that drive the reference's C: directly (test_native) and through its Python API.
REFERENCE_TESTS = ["tests/test_native.py", "tests/test_reference.py",
                   "tests/test_reference_profiles.py", "tests/test_reference_windows.py"]


@nox.session(default=False)
def sanitize(session):
    """Run the C layer and reference tests on an ASan+UBSan build of the extension (kept apart)."""
    tree, env = _sanitized_build(session)
    _run(
        session,
        # `pytest` (not `python -m pytest`) keeps the checkout off sys.path, so PYTHONPATH
        # decides which build the tests import; --capture=sys: a sanitizer report written to
        # fd 2 stays visible.
        "pytest", "-p", "no:cacheprovider", "--tb=short", "-q", "--capture=sys",
        *(session.posargs or REFERENCE_TESTS), env=env, usage_codes=(4,),
    )


@nox.session(name="coverage-c", default=False)
def coverage_c(session):
    """Line and branch coverage (gcov) of native/refmmap.c under the reference's tests and the
    quick agreement run; prints both percentages and every line never run, fails under 95% of
    lines. `-- TESTS...` replaces the tests run."""
    import glob
    import os

    tree = _private_build(session, {"REFMMAP_CFLAGS": "--coverage -O0",
                                    "REFMMAP_LDFLAGS": "--coverage"})
    for stale in glob.glob(os.path.join(tree, "**", "*.gcda"), recursive=True):
        os.remove(stale)  # counts of an earlier run or build
    # The tree first (its impls/), then the checkout (conformance/, for the agreement test).
    env = {"PYTHONPATH": os.pathsep.join([tree, os.getcwd()])}
    _run(session, "pytest", "-p", "no:cacheprovider", "--tb=short", "-q",
         *(session.posargs or [*REFERENCE_TESTS, "tests/test_reference_agreement.py", "-m", "not slow"]),
         env=env, usage_codes=(4,))
    _run(session, "python", "tools/coverage_c.py", tree, "--fail-under", "95")


@nox.session(default=False)
def mutation(session):
    """Mutate native/refmmap.c (operators, conditions, constants, deleted checks), build each
    mutant privately, run the agreement tests against it and write reports/mutation.md:
    `-- --budget SECONDS --timeout SECONDS --seed N --only TEXT`. By default a run takes the
    killed mutants of reports/mutation.json as they are and spends its budget on the rest."""
    _install(session, "test")
    _run(session, "python", "tools/mutate_c.py", *(session.posargs or [
        "--budget", "900", "--resume", "reports/mutation.json", "--json", "reports/mutation.json"]))


@nox.session(default=False)
def soak(session):
    """Soak the ASan+UBSan reference with long random sequences: `-- --minutes N [--impl SPEC]`."""
    import glob
    import os

    tree, env = _sanitized_build(session)
    args = list(session.posargs) or ["--minutes", "1"]
    if not any(a.startswith("--expectations") for a in args):
        args += ["--expectations-dir", "expectations"]
    if not any(a.startswith("--jobs") for a in args):  # the harness is the bottleneck: every core
        args += ["--jobs", str(len(os.sched_getaffinity(0)))]
    # Sanitizer reports go to files (counted below) as well as ending the run.
    logs = os.path.join(tree, "sanitizer")
    for old in glob.glob(logs + ".*"):
        os.remove(old)
    env.update(PYTHONPATH=os.pathsep.join([tree, os.getcwd()]),
               ASAN_OPTIONS=f"detect_leaks=0:log_path={logs}",
               UBSAN_OPTIONS=f"halt_on_error=1:print_stacktrace=1:log_path={logs}")
    try:
        # -P: the checkout's impls/ (with its plain build) must not come before the tree's.
        _run(session, "python", "-P", "-m", "conformance", "soak", *args, env=env)
    finally:
        found = sorted(glob.glob(logs + ".*"))
        for path in found:
            with open(path) as f:
                session.log(f.read())
        session.log(f"sanitizer reports: {len(found)}")
        if found:
            session.error(f"{len(found)} sanitizer report(s) from the reference, above")


@nox.session(name="cpython-suite", default=False)
def cpython_suite(session):
    """Run CPython's own test_mmap.py against the reference at each interpreter's profile, and
    against that interpreter's mmap: `nox -s cpython-suite -- --python PATH ... [--json PATH]`."""
    _install(session)
    # By default every CPython found here (pyenv, python3.X on PATH) and the session's own.
    _run(session, "python", "-m", "conformance", "cpython-suite", *(session.posargs or ["--all"]))


@nox.session(default=False)
def report(session):
    """Build reports/out/compat.{md,html,json}, clauses/ and findings/ from a results JSON:
    `nox -s report -- RESULTS.json [--out DIR] [--run]`."""
    # conformance/reporting/report.py is stdlib only: nothing to install; its parser explains a missing
    # RESULTS.json.
    _run(session, "python", "-m", "conformance", "report", *session.posargs)


@nox.session(default=False)
def publish(session):
    """The published report, regenerated: every implementation this machine has, run into
    reports/results.json (the one generated file the repository keeps), then the site built
    from it into reports/out/ (compat.md/.html/.json, a page per clause, each finding's plain
    reproducer and issue text, run both ways), which is not committed."""
    _install(session, "impls")
    # Exit 1 (something diverges) is the report's content, not a failure of the session.
    # --repro-dir: every finding reduced to what its reproducer needs, known ones included.
    session.run("python", "-m", "conformance", "--impl", "all", "-n", "2", "--json",
                "reports/results.json", "--expectations-dir", "expectations", "--repro-dir",
                "reports/out/findings", *session.posargs, success_codes=[0, 1])
    _run(session, "python", "-m", "conformance", "report", "reports/results.json", "--out",
         "reports/out", "--run")


@nox.session(default=False)
def bench(session):
    """Run the benchmarks once and write reports/bench.md (`-- --quick` for a smoke run)."""
    _install(session, "bench", "impls")  # fmmap too: its bulk speed is in the table
    _run(session, "python", "benchmarks/report.py", *session.posargs)


@nox.session(default=False, python=False)
def interpreters(session):
    """Provision CPython 3.13-3.15 and PyPy 3.11 from Debian unstable into a private folder
    (`-- --dest DIR`, `-- --refresh`); `python -m conformance list` then finds them."""
    # Stdlib only, and it runs apt-get and dpkg-deb: no virtual environment to make.
    _run(session, "python", "tools/provision_interpreters.py", *session.posargs, external=True)
