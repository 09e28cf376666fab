# SPDX-License-Identifier: MIT
"""Sessions: `conformance` (the front door), `tests` (the project's own), and the heavier ones."""

import nox

nox.options.sessions = ["conformance", "tests", "lint"]
nox.options.reuse_venv = "yes"
nox.options.default_venv_backend = "venv"

PYTEST_FLAGS = ("-ra", "--strict-config", "--strict-markers", "--tb=short", "--durations=10")


def _install(session, *extras):
    """Install the project (builds the cffi extension) plus optional extras."""
    target = "." if not extras else ".[{}]".format(",".join(extras))
    session.install(target)


@nox.session
def conformance(session):
    """Run the lockstep conformance suite: `nox -s conformance -- --impl SPEC ...`."""
    _install(session)
    session.run("python", "-m", "conformance", *session.posargs)


@nox.session
def tests(session):
    """Run the project's own tests (harness, reference, CLI)."""
    _install(session)
    session.run("python", "-m", "pytest", *PYTEST_FLAGS, "-n", "2", *(session.posargs or ["tests"]))


@nox.session
def lint(session):
    """Check style with ruff."""
    session.install("ruff")
    session.run("ruff", "check", ".")
