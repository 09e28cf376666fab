# SPDX-License-Identifier: MIT
"""The pytest plugin: `--impl SPEC` options, the `mmap_impl` / `check` fixtures, and the
collection of per-clause results into one JSON file (also across pytest-xdist workers)."""

from __future__ import annotations

import json
import os

import pytest

DEFAULT_IMPLS = ("reference", "stdlib")
DEFAULT_EXAMPLES = 200
DEFAULT_STEPS = 30
DEFAULT_SHRINK_SECONDS = 20.0
RESULTS_KEY = "mmap_results"
EXAMPLES_KEY = "mmap_examples"  # a machine part's examples run: {"run": N, "total": M}
# The examples of one implementation are split in parts with their own seeds, so that
# pytest-xdist can spread one implementation's run (and its shrinking) over two cores.
MACHINE_PARTS = 2


def part_examples(examples, part, parts=MACHINE_PARTS):
    """The examples part `part` of the machine runs, of `examples` per implementation."""
    return max(1, examples // parts + (part < examples % parts))


def pytest_addoption(parser):
    group = parser.getgroup("mmap-conformance", "mmap conformance suite")
    group.addoption("--impl", action="append", default=None, metavar="SPEC",
                    help=f"implementation under test (repeatable). Default: {' '.join(DEFAULT_IMPLS)}")
    group.addoption("--examples", type=int, default=DEFAULT_EXAMPLES,
                    help="Hypothesis examples per implementation. Default: %(default)r")
    group.addoption("--steps", type=int, default=DEFAULT_STEPS,
                    help="most ops in one example. Default: %(default)r")
    group.addoption("--mmap-seed", type=int, default=None,
                    help="seed for the lockstep machine. Default: random")
    group.addoption("--strict-messages", action="store_true", default=False,
                    help="also compare mmap's own exception messages. Default: %(default)r")
    group.addoption("--step-timeout", type=float, default=10.0,
                    help="seconds a worker may take for one step before it is a hang. "
                    "Default: %(default)r")
    group.addoption("--mmap-json", default=None, metavar="PATH",
                    help="write per-clause results here. Default: none")
    group.addoption("--shrink-seconds", type=float, default=DEFAULT_SHRINK_SECONDS,
                    help="most seconds Hypothesis may shrink in one run of the machine. "
                    "Default: %(default)r")
    group.addoption("--mmap-known", default=None, metavar="FILE",
                    help="a JSON file {spec: [finding identity or clause, ...]}: what each "
                    "implementation is known to fail; the state machine records those with "
                    "the shortest sequence seen instead of shrinking. Default: none")
    group.addoption("--mmap-scratch", default=None, metavar="DIR",
                    help="keep Hypothesis's files here instead of ./.hypothesis. Default: none")
    group.addoption("--mmap-db", default=None, metavar="DIR",
                    help="Hypothesis example database of the state machine: failures found are "
                    "saved here and replayed first by the next run sharing DIR (e.g. over NFS); "
                    "not with --mmap-seed, which turns the database off. Default: none")
    group.addoption("--mmap-progress", default=None, metavar="DIR",
                    help="the state machine writes how many examples it has run into DIR, for "
                    "the CLI's progress display (conformance/cli/progress.py). Default: none")


def pytest_configure(config):
    config.addinivalue_line("markers", "clause(id): the catalogue clause a test checks")
    scratch = config.getoption("--mmap-scratch")
    if scratch:  # the CLI's own temporary folder: a run leaves nothing in the user's tree
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(scratch)
    session = next((p for p in config.pluginmanager.get_plugins() if isinstance(p, Session)),
                   None)
    if session is None:  # pytest run by hand: the plugin's own
        session = Session()
        config.pluginmanager.register(session)
    session.configure(config)
    config.stash[SESSION] = session
    db = getattr(config, "workerinput", {}).get("mmap_db") or config.getoption("--mmap-db")
    if db and config.getoption("--mmap-seed") is not None:
        raise pytest.UsageError("--mmap-db and --mmap-seed: a seeded run uses no example "
                                "database (Hypothesis's @seed turns it off); drop one")
    # Absolute, and handed to xdist workers as such: a remote worker's cwd is its //chdir.
    config._mmap_db = os.path.abspath(db) if db else None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist: every worker, local or on another host, uses the controller's database."""
    if node.config._mmap_db:
        node.workerinput["mmap_db"] = node.config._mmap_db


def example_database(config):
    """The state machine's Hypothesis example database (--mmap-db), or None."""
    if not config._mmap_db:
        return None
    from hypothesis.database import DirectoryBasedExampleDatabase

    return DirectoryBasedExampleDatabase(config._mmap_db)


def known_findings(config, spec):
    """The finding identities (and clauses) --mmap-known lists for one implementation."""
    path = config.getoption("--mmap-known")
    if not path:
        return set()
    with open(path) as f:
        return set(json.load(f).get(spec, ()))


def impl_specs(config):
    return config.getoption("--impl") or list(DEFAULT_IMPLS)


def pytest_generate_tests(metafunc):
    if "mmap_impl" in metafunc.fixturenames:
        specs = impl_specs(metafunc.config)
        metafunc.parametrize("mmap_impl", specs, indirect=True, ids=specs, scope="session")


@pytest.fixture(scope="session")
def mmap_adapters(request):
    """The adapters of the session (impls.adapters.Pool): the CLI's, each implementation
    started once for the whole run, or the plugin's own, stopped at the end."""
    return request.config.stash[SESSION].pool


@pytest.fixture(scope="session")
def mmap_impl(request, mmap_adapters):
    """The implementation under test (an adapter), started once."""
    from impls.adapters import Unavailable

    try:
        return mmap_adapters.get(request.param)
    except Unavailable as exc:
        pytest.skip(f"unavailable: {exc}")


@pytest.fixture(scope="session")
def mmap_reference(mmap_impl, mmap_adapters):
    """The reference at the profile of the implementation under test: assumed correct."""
    return mmap_adapters.reference(mmap_impl.profile)


@pytest.fixture
def record(request, mmap_impl):
    """Record one result row: record(clause, status, detail=""); record.found(found, clause=None)
    the row of a difference (conformance/engine/lockstep.py's Found), filed under `clause`."""

    def keep(row):
        request.node.user_properties.append((RESULTS_KEY, json.dumps(row)))

    def add(clause, status, detail=""):
        keep({"impl": mmap_impl.spec, "clause": clause, "status": status, "detail": detail,
              "repro": None})

    add.found = lambda found, clause=None: keep(found.row(mmap_impl.spec, mmap_impl.profile,
                                                          clause))
    return add


@pytest.fixture
def check(request, mmap_impl, mmap_reference, record):
    """check(*ops) runs ops on the reference and the implementation and compares every step.

    Returns the reference's observations. A difference fails the test and is recorded on the
    test's clause with its reproducer and finding record; agreement records a pass.
    """
    from conformance.engine.lockstep import Lockstep

    marker = request.node.get_closest_marker("clause")
    clause = marker.args[0] if marker else request.node.name
    lockstep = Lockstep(mmap_reference, mmap_impl,
                        strict_messages=request.config.getoption("--strict-messages"),
                        messages=_messages(), mmap_outcomes=False)

    def run(*ops):
        stream = lockstep.stream(batched=False)
        for op in ops:
            stream.add(op)
            if stream.over:
                break
        found = stream.finish()
        if found is not None:
            record.found(found, clause)
            pytest.fail(f"{mmap_impl.spec}: {found.detail()}", pytrace=False)
        record(clause, "pass")
        return stream.trace

    return run


def _messages():
    try:
        from impls import reference
    except ImportError:  # pragma: no cover - the reference is built at install time
        return frozenset()
    return reference.MESSAGES


def pytest_itemcollected(item):
    """A test's clause id is one of its keywords: `-k find.not-found` selects its tests
    (before -k deselects anything, which happens once collection is done)."""
    marker = item.get_closest_marker("clause")
    if marker and marker.args:
        item.extra_keyword_matches.add(marker.args[0])


ITEM_KEY = "mmap_item"


def part_of(nodeid):
    """Which part of the suite a test belongs to: the lockstep machine or the clause tests."""
    return "machine" if nodeid.split("::")[0].endswith("test_machine.py") else "clauses"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A clause test that calls pytest.skip("na: why") records an `na` result for its clause.
    Every report also carries the implementation and clause of its test, so that a harness
    error can be filed under them (see pytest_runtest_logreport)."""
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("clause")
    spec = getattr(item, "callspec", None) and item.callspec.params.get("mmap_impl")
    if spec:
        report.user_properties.append((ITEM_KEY, json.dumps(
            {"spec": spec, "clause": marker.args[0] if marker else None})))
    if (report.when == "call" and report.failed and marker and spec and call.excinfo is not None
            and call.excinfo.errisinstance(AssertionError)):
        _python3_clause_at_2_7(item, report, marker.args[0], spec)
    # `na` from the test or from a fixture it needs (a skip at setup).
    if (report.when not in ("setup", "call") or not report.skipped
            or not isinstance(report.longrepr, tuple)):
        return
    reason = report.longrepr[2]
    if reason.startswith("Skipped: "):
        reason = reason[len("Skipped: "):]
    if reason.startswith("na:") and marker and spec:
        report.user_properties.append((RESULTS_KEY, json.dumps({
            "impl": spec, "clause": marker.args[0], "status": "na",
            "detail": reason[3:].strip(), "repro": None})))


def _python3_clause_at_2_7(item, report, clause, spec):
    """Most clauses state Python 3's behaviour. At the 2.7 profile a clause test's assertion
    about the reference may not hold while the implementation agreed with the reference at every
    step: that is agreement, with the clause `na` at 2.7, not a harness error."""
    impl = item.funcargs.get("mmap_impl")
    rows = [json.loads(v) for k, v in report.user_properties if k == RESULTS_KEY]
    if getattr(impl, "profile", None) != "2.7" or not rows or any(
            r["status"] != "pass" for r in rows):
        return
    report.outcome, report.longrepr = "passed", None
    report.user_properties.append((RESULTS_KEY, json.dumps({
        "impl": spec, "clause": clause, "status": "na", "repro": None,
        "detail": "a Python 3 clause: it does not hold at the 2.7 profile, where the "
                  "implementation agreed with the reference at every step"})))


def _spec_from_nodeid(config, nodeid):
    """The implementation a test id names, for reports made without the test (a dead
    pytest-xdist node): the longest --impl spec among its parameters."""
    if "[" not in nodeid:
        return None
    params = "-" + nodeid.split("[", 1)[1].rstrip("]") + "-"
    found = [spec for spec in impl_specs(config) if f"-{spec}-" in params]
    return max(found, key=len, default=None)


def _error_text(report):
    """The exception of a failed report in a line or two (not its whole traceback)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = getattr(crash, "message", None) or report.longreprtext or "unknown error"
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return " ".join(lines[-3:] if crash is None else lines[:3])[:500]


def pytest_addhooks(pluginmanager):
    from conformance import newhooks

    pluginmanager.add_hookspecs(newhooks)


class Session:
    """The suite's state in one pytest session, registered as a plugin: the adapters (a Pool:
    the CLI's, or its own) and, on the controller, the result rows gathered from every test
    (from pytest-xdist's workers too), with what decides completeness: which parts of the suite
    ran for each implementation, the implementations skipped, the modules not collected. The
    CLI reads `document()`; by hand, --mmap-json writes it."""

    def __init__(self, pool=None):
        self.pool, self.owns_pool = pool, pool is None
        self.config = None
        self.results, self.skipped, self.parts, self.collect_errors = [], {}, {}, []

    def configure(self, config):
        from impls.pool import Pool

        self.config = config
        if self.pool is None:
            self.pool = Pool(config.getoption("--step-timeout"))

    def document(self):
        return {"results": self.results, "skipped": self.skipped,
                "parts": {spec: sorted(parts) for spec, parts in self.parts.items()},
                "collect_errors": self.collect_errors}

    def pytest_runtest_logreport(self, report):
        """Gather the result rows of a report (pytest_mmap_results tells them on)."""
        rows = [json.loads(v) for k, v in report.user_properties if k == RESULTS_KEY]
        if not (report.when == "call" or (report.when == "setup" and report.skipped)):
            rows = []
        if (report.skipped and report.when == "setup" and "[" in report.nodeid
                and not rows):  # an `na` says something of its clause, not of the whole
            self._skipped(report)
        about = next((json.loads(v) for k, v in report.user_properties if k == ITEM_KEY), None)
        spec = about["spec"] if about else _spec_from_nodeid(self.config, report.nodeid)
        if spec is not None:
            if report.when == "call" and (report.passed or report.failed or rows):
                self.parts.setdefault(spec, set()).add(part_of(report.nodeid))
            rows = rows + self._harness_error(report, rows, spec, about)
        self.results.extend(rows)
        if rows:
            self.config.hook.pytest_mmap_results(rows=rows, report=report)

    def _skipped(self, report):
        """An implementation skipped at its setup: why (unavailable here, say)."""
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        spec = (_spec_from_nodeid(self.config, report.nodeid)
                or report.nodeid.rsplit("[", 1)[1].rstrip("]"))
        if reason.startswith("Skipped: "):
            reason = reason[len("Skipped: "):]
        self.skipped.setdefault(spec, reason)

    @staticmethod
    def _harness_error(report, rows, spec, about):
        """[the `error` row] of a test that failed without recording a divergence or crash, a
        setup or teardown error, a dead xdist node, with the exception's text; else []."""
        evidence = report.when == "call" and any(r["status"] in ("diverge", "crash")
                                                 for r in rows)
        if not report.failed or evidence:
            return []
        return [{"impl": spec, "clause": (about or {}).get("clause") or report.nodeid,
                 "status": "error", "repro": None,
                 "detail": f"harness error in {report.nodeid} ({report.when}): "
                           f"{_error_text(report)}"}]

    def pytest_collectreport(self, report):
        """A test module that cannot be collected: the run cannot check what it holds."""
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {_error_text(report)}")

    def pytest_sessionfinish(self, session):
        path = session.config.getoption("--mmap-json")
        if path and not hasattr(session.config, "workerinput"):
            # Its folder again if an implementation removed it (run without a sandbox).
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            tmp = f"{path}.tmp{os.getpid()}"
            with open(tmp, "w") as f:
                json.dump(self.document(), f)
            os.replace(tmp, path)

    def pytest_unconfigure(self, config):
        if self.owns_pool:
            self.pool.close()


SESSION = pytest.StashKey[Session]()  # config.stash[SESSION]: the session's Session
