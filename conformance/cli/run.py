# SPDX-License-Identifier: MIT
"""`python -m conformance`: check implementations against the reference and report.

Exit status (decided by conformance.results.exit_status): 0 every implementation conforms,
1 a divergence (or crash, or an implementation asked for by name could not run), 2 a usage error
(one line on stderr), 3 something asked for could not be checked (one line on stderr naming it):
the reference's extension missing or stale, harness errors, a part of the suite that did not run,
clauses without a result.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import shutil
import signal
import sys
import tempfile
from contextlib import closing

from conformance.cli import isolated
from conformance.cli.commands import SUBCOMMANDS
from conformance.cli.options import (  # noqa: F401 - the CLI's names, also imported from here
    Parser,
    Unchecked,
    Usage,
    check_output_dir,
    check_output_folders,
    positive,
    positive_int,
    seconds,
)
from conformance.cli.summary import print_summary, prog, report
from conformance.engine.lockstep import STOP, Interrupted
from conformance.pytest_plugin import (
    DEFAULT_EXAMPLES,
    DEFAULT_IMPLS,
    DEFAULT_SHRINK_SECONDS,
    DEFAULT_STEPS,
)
from conformance.results import (
    EXIT_UNCHECKED,
    exit_status,
    header,
    not_checked,
    verdict,
    write_atomically,
)

EXIT_HELP = """exit status: 0 every implementation conforms; 1 a divergence, crash or hang was found
(or an implementation asked for by name could not run); 2 a usage error; 3 the run could not
check something it was asked to (the reference's extension not built or stale, harness errors,
a part of the suite that did not run, clauses without a result): one line says what."""




def check_expectation_outputs(args):
    """--update-expectations rewrites files: their folder must be writable, before the run."""
    if not args.update_expectations:
        return
    if args.expectations_dir:
        check_output_dir("--expectations-dir", args.expectations_dir)
    for path in args.expectations or []:
        args.expectations_file = path
        check_output_folders(args, "expectations_file")


def build_parser():
    parser = Parser(prog=prog(),
                    description="Check mmap implementations against the reference in lockstep.",
                    epilog=EXIT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="run",
                        choices=["run", "list", *SUBCOMMANDS],
                        help="run the suite (default), list the implementations found, "
                        "`clauses [--uncovered]` the catalogue and its coverage, "
                        "`diff OLD.json NEW.json` two runs, `provision [--pyodide]` fetch "
                        "CPython 3.13-3.15 and PyPy 3.11 (or Pyodide) into a private folder, "
                        "`soak` long random sequences, `report RESULTS.json` the report, "
                        "`replay RESULTS.json` every reproducer both ways, `cpython-suite` "
                        "CPython's own test_mmap on the reference; each has its --help")
    parser.add_argument("--impl", action="append", metavar="SPEC",
                        help="implementation to check, repeatable: reference, stdlib, fmmap, "
                        "pypy3, pyodide, cpython3.X, all, python:/path/to/python or "
                        f"package.module:factory (default: {' '.join(DEFAULT_IMPLS)})")
    parser.add_argument("--examples", type=positive_int, default=DEFAULT_EXAMPLES,
                        help="Hypothesis examples per implementation (default %(default)s)")
    parser.add_argument("--steps", type=positive_int, default=DEFAULT_STEPS,
                        help="most ops in one example (default %(default)s)")
    parser.add_argument("--seed", type=seed_arg,
                        help="the exploration's seed: a number, or `random` to explore afresh "
                        "(the seed drawn is printed); default: a seed fixed by the suite's "
                        "version, so the same implementation gets the same findings every run")
    parser.add_argument("--db", metavar="DIR",
                        help="Hypothesis example database: save the failures found in DIR and "
                        "replay DIR's saved failures first (share DIR between hosts); the "
                        "exploration then uses fresh randomness (not with --seed N, which "
                        "turns the database off)")
    parser.add_argument("--shrink-seconds", type=seconds, default=DEFAULT_SHRINK_SECONDS,
                        help="most seconds spent shrinking in one run of the state machine "
                        "(default %(default)s)")
    parser.add_argument("--json", metavar="PATH", help="write the results JSON here")
    parser.add_argument("--strict-messages", action="store_true",
                        help="also compare mmap's own exception messages")
    parser.add_argument("--step-timeout", type=seconds, default=10.0,
                        help="seconds one step may take before it counts as a hang (default 10); "
                        "after a first hang, 20 times the slowest answer seen, at least 0.5 s, "
                        "so that shrinking the hang is quick")
    parser.add_argument("-n", "--workers", default=None, metavar="N",
                        help="spread implementations over N processes with pytest-xdist "
                        "(a number or 'auto')")
    parser.add_argument("--repro-dir", metavar="DIR",
                        help="also write, per finding, NAME.py (its reproducer) and NAME.md (an "
                        "issue text with the script's output on both sides) into DIR")
    parser.add_argument("--only", choices=["machine", "clauses"],
                        help="run only the state machine or only the clause tests")
    parser.add_argument("-k", dest="keyword", metavar="EXPR",
                        help="run only the tests EXPR selects, as pytest's -k: names of test "
                        "files, tests, ops and clause ids (`-k find`, `-k 'resize and not "
                        "anon'`, `-k find.not-found`); the verdict then covers that selection")
    parser.add_argument("--time-limit", type=seconds, metavar="SECONDS",
                        help="end the run after SECONDS with the results it has (implementations "
                        "without complete evidence are `incomplete`, exit status 3)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run workers without bubblewrap (by default each runs in a sandbox "
                        "where only its own folder is writable, where the machine allows it)")
    # Internal: the run of one implementation that a run without a sandbox starts per
    # implementation (conformance/cli/isolated.py); its results go to this descriptor.
    parser.add_argument("--isolated-channel", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--isolated-no-replay", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show pytest's own output instead of the progress of each "
                        "implementation: its progress dots, and the traceback of every test "
                        "that failed (a harness error's too)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {suite_version()}")
    from conformance.expectations import add_arguments

    add_arguments(parser)
    return parser


def suite_version():
    """This suite's version (the checkout's pyproject.toml, else the installed metadata)."""
    from impls.reference import _package_version

    return _package_version()


def parse(argv):
    args = build_parser().parse_args(argv)
    if args.workers is not None and args.workers != "auto":
        try:
            positive_int(args.workers)
        except argparse.ArgumentTypeError as exc:
            raise Usage(f"argument -n/--workers: {exc}") from None
    if args.keyword is not None:
        check_keyword(args.keyword)
    check_output_folders(args, "json")
    if args.repro_dir:
        check_output_dir("--repro-dir", args.repro_dir)
    check_expectation_outputs(args)
    if args.db and args.seed not in (None, "random"):
        raise Usage("--db and --seed: a seeded run uses no example database; drop one")
    return args


def seed_arg(text):
    """--seed: a number, or "random"."""
    if text == "random":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or `random`") from None


def default_seed():
    """The seed of a run given none: fixed by the suite's version, so that reruns of the same
    suite on the same implementation find the same things."""
    import zlib

    return zlib.crc32(f"mmap-conformance {suite_version()}".encode())


def exploration_seed(args):
    """(seed or None, how it was chosen) for this run: --seed N, a fresh one for --seed
    random (printed, so the run can be repeated), none with --db, else the default."""
    import random

    if isinstance(args.seed, int):
        return args.seed, "--seed"
    if args.db:
        return None, "none: --db explores with fresh randomness"
    if args.seed == "random":
        return random.randrange(2**32), "--seed random; repeat the run with --seed <it>"
    return default_seed(), "the suite version's default; --seed random explores afresh"


def check_keyword(expr):
    """-k EXPR must parse as pytest's -k does: a usage error now, not a failed run later."""
    try:
        from _pytest.mark.expression import Expression
    except ImportError:  # pragma: no cover - pytest moved it: its exit status 4 is caught later
        return
    try:
        Expression.compile(expr)
    except Exception as exc:  # ParseError before pytest 8.4, SyntaxError since
        why = getattr(exc, "msg", None) or getattr(exc, "message", None) or str(exc)
        raise Usage(f"-k {expr!r}: not a pytest -k expression ({why}); e.g. -k find or "
                    "-k 'resize and not anon'") from None


def expand(specs):
    """Expand `all`; return [(spec, asked_by_name)] without duplicates."""
    out = {}
    for spec in specs:
        if spec == "all":
            from impls import interpreters

            for found in interpreters.all_specs():
                out.setdefault(found, False)
        else:
            out[spec] = True
    return list(out.items())


def preflight(specs, pool, infos):
    """Start every implementation (from `pool`, where it stays started for the whole run):
    usage errors now, facts for the report (appended to `infos` as they come, so that a run
    stopped meanwhile keeps them)."""
    from impls.adapters import Unavailable, UsageError

    for spec, by_name in specs:
        info = {"asked": by_name}
        try:
            adapter = pool.get(spec)
            info.update(version=adapter.version, profile=adapter.profile, about=adapter.about,
                        package_version=(adapter.about or {}).get("package_version"))
        except Unavailable as exc:
            info.update(version=None, profile=None, status="unavailable", reason=str(exc))
        except UsageError as exc:
            raise Usage(str(exc)) from None
        infos.append({"spec": spec, "name": pool.names.get(spec, spec), **info})
    return infos


def progress(args, infos, known, scratch):
    """The per-implementation progress shown while the suite runs (conformance/cli/progress.py),
    or, with -v, nothing: pytest's own output then."""
    runnable = [i["spec"] for i in infos if i.get("status") != "unavailable"]
    if args.verbose or not runnable:
        return contextlib.nullcontext()
    from conformance.cli.progress import showing

    return showing(runnable, examples=args.examples, known=known,
                   folder=os.path.join(scratch, "progress"))


def run_pytest(args, infos, scratch, pool, known=None, shown=None, channel=None):
    """Run the clause tests and the machine in pytest, in `scratch` (the run's own folder), with
    the implementations of `pool` (already started; pytest-xdist's workers start their own);
    `known` maps a spec to the identities (and hand-written clauses) its expectations already
    accept: the machine records those instead of shrinking them. `shown`
    (conformance/cli/progress.py) gets what pytest reports in place of pytest's own output; without
    it (-v), pytest shows its progress and tracebacks. Returns the suite plugin's document."""
    import pytest

    from conformance.pytest_plugin import Session

    runnable = [i["spec"] for i in infos if i.get("status") != "unavailable"]
    if not runnable:
        return {"results": [], "skipped": {}}
    argv = pytest_argv(args, runnable, scratch, known, shown)
    session = Session(pool)
    plugins = [session] + [p for p in (shown and shown.plugin, channel) if p]
    code = pytest.main(argv, plugins=plugins)
    collected = session.document() if session.config is not None else None
    if collected and collected.get("collect_errors"):  # pytest calls these "interrupted" too
        errors = collected["collect_errors"]
        raise Unchecked(f"{len(errors)} test module(s) could not be collected, first "
                        f"{errors[0]}")
    if code == pytest.ExitCode.INTERRUPTED:
        collected = collected or {"results": [], "skipped": {}}
        collected["interrupted"] = True
        return collected
    if code == pytest.ExitCode.NO_TESTS_COLLECTED and args.keyword is not None:
        raise Usage(f"-k {args.keyword!r} selects no test; try a test, op or clause name "
                    "(`python -m conformance clauses` lists the clauses)")
    if code == pytest.ExitCode.USAGE_ERROR and args.keyword is not None:
        raise Usage(f"-k {args.keyword!r}: pytest refused it (its message is above)")
    if code not in (0, 1) or collected is None:
        raise Unchecked(f"the test run itself failed (pytest exit status {int(code)})")
    return collected


def pytest_argv(args, runnable, scratch, known, shown):
    """pytest's command line for the run: the parts asked for, the suite's options, one pytest
    worker per implementation (up to the cores) where there are several."""
    import conformance

    here = os.path.dirname(os.path.abspath(conformance.__file__))
    targets = {"machine": ["test_machine.py"], "clauses": None}.get(args.only)
    paths = [os.path.join(here, t) for t in targets] if targets else [here]
    if args.only == "clauses":
        paths = [os.path.join(here, "clause_tests")]
    # Without -v, no terminal output of pytest's: `shown` displays the run.
    output = (["-q", "--tb=short", "-rfE"] if args.verbose or shown is None
              else ["-p", "no:terminal", "--mmap-progress", shown.folder])
    # no:unraisableexception: pytest's own hook would print a stop swallowed in a gc callback
    # (run's stopping() keeps those quiet).
    argv = [*paths, *output, "-p", "no:cacheprovider", "-p", "no:benchmark",
            "-p", "no:warnings", "-p", "no:unraisableexception", "--rootdir", here, "-c", os.path.join(here, "pytest.ini"),
            "--basetemp", os.path.join(scratch, "pytest"),
            "--mmap-scratch", scratch,
            "--examples", str(args.examples), "--steps", str(args.steps),
            "--step-timeout", str(args.step_timeout), "--shrink-seconds", str(args.shrink_seconds)]
    for spec in runnable:
        argv += ["--impl", spec]
    if known:
        known_path = os.path.join(scratch, "known.json")
        with open(known_path, "w") as f:
            json.dump(known, f)
        argv += ["--mmap-known", known_path]
    if args.run_seed is not None:
        argv += ["--mmap-seed", str(args.run_seed)]
    if args.db:
        argv += [f"--mmap-db={os.path.abspath(args.db)}"]
    if args.strict_messages:
        argv.append("--strict-messages")
    if args.keyword is not None:
        argv += ["-k", args.keyword]
    workers = args.workers or (min(len(runnable), os.cpu_count() or 1) if len(runnable) > 1
                               else None)
    if workers and workers != 1:  # several implementations: one per core by default
        argv += ["-n", str(workers)]
    # Opt-in, never autoloaded; `no:mmap_conformance` blocks the pytest11 entry point of that
    # name that installs made before left in their metadata (it would load the plugin twice).
    argv += ["-p", "no:mmap_conformance", "-p", "conformance.pytest_plugin"]
    return argv


def summarise(infos, collected, only=None, keyword=None):
    """Implementation statuses from their result rows (results.verdict: no evidence, no
    `conformant`). With -k the evidence asked for is the selection: the parts and clauses it
    ran for any implementation."""
    from conformance import clauses

    catalogue = clauses.load()
    rows = collected["results"]
    wanted = [only] if only else ["machine", "clauses"]
    if keyword is not None:
        ran = set().union(*map(set, collected.get("parts", {}).values()))
        wanted = [part for part in wanted if part in ran]
        selected = {r["clause"] for r in rows}
        catalogue = {c: entry for c, entry in catalogue.items() if c in selected}
    for info in infos:
        if info.get("status") == "unavailable":
            continue
        mine = [r for r in rows if r["impl"] == info["spec"]]
        skipped = collected["skipped"].get(info["spec"])
        if skipped and not mine:
            info.update(status="unavailable", reason=skipped)
            continue
        ran = collected.get("parts", {}).get(info["spec"], [])
        status, reason = verdict(mine, profile=info.get("profile"), parts_wanted=wanted,
                                 parts_ran=ran, catalogue=catalogue)
        # Never silently fewer results: what was not checked has a row saying so.
        rows += not_checked(mine, spec=info["spec"], profile=info.get("profile"),
                            parts_wanted=wanted, parts_ran=ran, catalogue=catalogue,
                            why=info.get("ended") or "no test gave it a result")
        if info.get("vandal"):  # whatever else it did
            changed = info["vandal"]
            status, reason = "vandal", (f"changed what is not its own: {'; '.join(changed[:3])}"
                                        + (f" (+{len(changed) - 3} more)" if len(changed) > 3
                                           else ""))
        elif info.get("ended") and status in ("conformant", "incomplete"):
            status, reason = "incomplete", info["ended"]
        info["status"] = status
        if reason:
            info["reason"] = reason
    return infos


def document(infos, rows, argv, seed=None):
    from conformance import clauses

    catalogue = clauses.load()
    used = sorted({r["clause"] for r in rows})
    return {
        **header("results"),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m conformance " + " ".join(argv),
        "seed": seed,
        "implementations": [
            {k: i.get(k) for k in ("spec", "name", "version", "package_version", "profile",
                                   "status", "reason")}
            for i in infos],
        "clauses": [catalogue.get(c, {"id": c, "source": "unknown", "text": ""}) for c in used],
        # Each failing row says whose finding it is (its record's origin), where a reader of
        # the JSON looks first.
        "results": [dict(r, origin=r["finding"].get("origin", "implementation"))
                    if r.get("finding") else r for r in rows],
    }


def expectations_plan(args):
    """The expectation files, checked before anything runs (a bad one is a usage error)."""
    from conformance import clauses, expectations

    try:
        return expectations.plan(args, clauses.load())
    except expectations.BadExpectations as exc:
        raise Usage(str(exc)) from None


def expectations_assign(args, planned, infos):
    """{impl spec: (file, known divergences)}, once the implementations' names are known."""
    from conformance import clauses, expectations

    if planned is None:
        return None
    try:
        return expectations.assign(args, planned, infos, clauses.load())
    except expectations.BadExpectations as exc:
        raise Usage(str(exc)) from None


def expectations_verdict(args, assigned, infos, rows):
    """With expectations, the run fails only on unexpected or stale ones (printed)."""
    from conformance import expectations

    verdicts = expectations.judge(assigned, infos, rows, sys.stdout)
    if args.update_expectations:
        expectations.update(assigned, infos, rows, sys.stdout)
        return False
    # An implementation without an expectations file expects no divergence at all.
    unexpected = any(r["status"] in ("diverge", "crash") and r["impl"] not in assigned
                     for r in rows)
    return unexpected or expectations.failed(verdicts)




def _on_signal(signum, frame):
    why = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "Ctrl-C"}.get(signum, "the time limit")
    if STOP["why"] is not None or STOP["defer"]:
        return  # once is enough; and cleaning up and writing the results must finish
    STOP["why"] = why
    raise Interrupted(why)


@contextlib.contextmanager
def stopping(time_limit=None):
    """SIGTERM, Ctrl-C and --time-limit end the run once, through Interrupted: what the run has
    is then summarised and written, marked incomplete. Restored at the end."""
    STOP.update(why=None, defer=False)
    signals = [signal.SIGTERM, signal.SIGINT, signal.SIGALRM]
    saved = {sig: signal.signal(sig, _on_signal) for sig in signals}
    hook = sys.unraisablehook
    sys.unraisablehook = _quiet_stops(hook)
    if time_limit:
        signal.setitimer(signal.ITIMER_REAL, time_limit)
    try:
        yield STOP
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        sys.unraisablehook = hook


def _quiet_stops(hook):
    """The stop's Interrupted raised where Python can only print it (a gc callback's "Exception
    ignored in"): not printed, as a traceback would be; the run stops at its next example
    anyway (lockstep.stop_if_asked). Anything else goes to `hook`."""

    def unraisable(info):
        if not isinstance(info.exc_value, Interrupted):
            hook(info)

    return unraisable


@contextlib.contextmanager
def private_tmpdir(sandbox=True, run=None):
    """Every file of the run, in every process it starts, goes into one folder that is removed
    at the end, even after Ctrl-C, SIGTERM or a killed pytest-xdist worker: the harness's own
    files (TMPDIR) in RUN/harness, each implementation's in its private folder under
    RUN/impls. Workers run in bubblewrap where the machine allows it (said once otherwise).
    `run`: the implementations' folders go there instead (a run without a sandbox gives each
    implementation's harness one apart from the harness's own files)."""
    from impls import process

    folder = tempfile.mkdtemp(prefix="mmapconf-run-")
    harness = os.path.join(folder, "harness")
    os.mkdir(harness)
    names = ("TMPDIR", process.RUN_ENV, process.SANDBOX_ENV)
    saved = {name: os.environ.get(name) for name in names}, tempfile.tempdir
    problem = process.sandbox_problem() if sandbox else None
    os.environ.update({"TMPDIR": harness, process.RUN_ENV: run or folder,
                       process.SANDBOX_ENV: "bwrap" if sandbox and not problem else "off"})
    tempfile.tempdir = harness
    try:
        yield harness
    finally:
        STOP["defer"] = True  # a signal now must not cut the cleanup short
        for name, value in saved[0].items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        tempfile.tempdir = saved[1]
        process.stop_all()  # workers first: they must not write into the folder being removed
        process.sweep(run or folder)  # then whatever they left running (daemons, orphans)
        shutil.rmtree(folder, ignore_errors=True)


def check_reference():
    """The oracle must load before anything runs: its extension built, for this interpreter,
    from these C sources (impls/reference.py checks that at import)."""
    try:
        from impls import reference  # noqa: F401
    except ImportError as exc:
        text = " ".join(str(exc).split())
        if "pip install ." not in text:
            text += ("; build it with `python native/build_refmmap.py` or reinstall with "
                     "`pip install .`")
        raise Unchecked(f"no reference to check against: {text}") from None


def run(argv):
    args = parse(argv)
    planned = expectations_plan(args)
    if args.command == "list":
        from impls import interpreters

        print(interpreters.listing())
        return 0
    check_reference()
    from conformance import known as known_findings
    from conformance.pytest_plugin import _messages
    from impls.pool import Pool

    specs = expand(args.impl or list(DEFAULT_IMPLS))
    args.run_seed, how = exploration_seed(args)
    channel = isolated.Channel.child(args.isolated_channel) if args.isolated_channel else None
    if channel is None:
        print(f"seed: {args.run_seed if args.run_seed is not None else '-'} ({how})")
    infos, assigned, collected = [], None, None
    with stopping(args.time_limit) as stop:
        try:
            if channel is None and not sandbox_runs(args):
                # Nothing keeps the implementations apart: each runs alone, in a harness
                # process of its own (conformance/cli/isolated.py).
                infos, collected, interrupted = isolated.run_each(args, specs)
                stop["defer"] = True
                return conclude(args, argv, specs, infos,
                                expectations_assign(args, planned, infos), collected,
                                interrupted or stop["why"])
            with private_tmpdir(sandbox=not args.no_sandbox,
                                run=channel and os.environ.get(isolated.IMPLS_ENV)) as tmp, closing(
                    Pool(args.step_timeout)) as pool:
                preflight(specs, pool, infos)
                if channel is not None:
                    channel.send(infos=infos)
                assigned = expectations_assign(args, planned, infos)
                known = {spec: sorted(parsed["known"])
                         for spec, (_, parsed) in (assigned or {}).items()}
                # Known findings replayed first, then the exploration; then each finding on
                # the host's own mmap (conformance/known.py). Every part takes its
                # implementations from the pool, started once.
                engine = {"pool": pool, "messages": _messages(),
                          "strict_messages": args.strict_messages}
                with progress(args, infos, known, tmp) as shown:
                    replayed = ([] if args.isolated_no_replay  # its other harness does
                                else known_findings.replay_all(infos, assigned, **engine))
                    if shown:
                        shown.update(shown.model.add_rows, replayed)
                    if channel is not None:
                        channel.send(rows=replayed)
                    collected = run_pytest(args, infos, tmp, pool, known, shown, channel)
                    collected["results"] = replayed + collected["results"]
                    # New findings reduced before anything is written; known ones too when
                    # their stored steps are rewritten or their reproducers written.
                    everything = args.update_expectations or args.repro_dir
                    known_findings.reduce_all(infos, collected["results"],
                                              {} if everything else known, **engine)
                    if channel is not None:  # stopped before the host's mmap is started
                        pool.close()
                    known_findings.label_origins(infos, collected["results"],
                                                 expectations_dir=args.expectations_dir,
                                                 **engine)
                    if shown:  # the findings counted again, their origins now known
                        shown.update(shown.model.set_rows, collected["results"])
                        shown.status = "stopped" if collected.get("interrupted") else "done"
        except Interrupted:
            pass
        stop["defer"] = True
        interrupted = stop["why"]
        if channel is not None:  # the run that started this one concludes
            channel.send(done={"infos": infos, "collected": collected,
                               "interrupted": interrupted})
            return 0
        return conclude(args, argv, specs, infos, assigned, collected, interrupted)


def sandbox_runs(args):
    """Whether this run's workers run in bubblewrap (said once where it was wanted and cannot)."""
    from impls import process

    if args.no_sandbox:
        return False
    problem = process.sandbox_problem()
    if problem:
        print(f"python -m conformance: workers run without a sandbox: {problem} "
              "(`apt-get install bubblewrap`; --no-sandbox to say it is meant)", file=sys.stderr)
    return problem is None


def conclude(args, argv, specs, infos, assigned, collected, interrupted):
    """Verdicts, the report, and the files asked for; an interrupted run says so and exits 3."""
    collected = collected or {"results": [], "skipped": {}}
    infos = summarise(_with_unstarted(infos, specs), collected, args.only,
                      args.keyword)
    infos.sort(key=lambda i: i["status"] != "vandal")  # shown first
    if interrupted:
        for info in infos:
            if info["status"] == "incomplete":
                info["reason"] = f"stopped by {interrupted}: {info.get('reason')}"
    rows = collected["results"]
    if assigned is not None and interrupted:
        args.update_expectations = False  # never rewrite them from a partial run
    try:
        # Before anything is shown or written: known rows get "expected".
        expected_failed = (expectations_verdict(args, assigned, infos, rows)
                           if assigned is not None else False)
        bad = report(infos, rows)
        written = _write(args, argv, infos, rows, interrupted)
    except OSError as exc:
        raise Unchecked(f"results not written: {exc.filename or ''}: "
                        f"{exc.strerror or exc}") from None
    # With expectations, only an unexpected or stale divergence fails the run.
    # (Without, the host's known bugs excepted.)
    diverged = expected_failed if assigned is not None else any(
        not r.get("expected") for r in bad)
    code = exit_status(infos, diverged=diverged)
    from conformance.reporting.findings import findings

    print_summary(args, argv, infos, rows, assigned,
                  sum(1 for f in findings(rows) if f["repro"]),
                  EXIT_UNCHECKED if interrupted else code, interrupted)
    _complete(infos, code, interrupted, args.json if written else None)
    return code


def _complete(infos, code, interrupted, json_path):
    """Unchecked where the run was stopped or left something unchecked."""
    if interrupted:
        where = f"; results so far in {json_path}, marked incomplete" if json_path else ""
        raise Unchecked(f"stopped by {interrupted} before the run was complete{where}")
    if code == EXIT_UNCHECKED:
        raise Unchecked("not checked: " + "; ".join(
            f"{i['spec']} ({i.get('reason')})" for i in infos if i["status"] == "incomplete"))


def _with_unstarted(infos, specs):
    """`infos` and, incomplete, the implementations a stopped run never started."""
    done = {i["spec"] for i in infos}
    return infos + [{"spec": spec, "name": spec, "asked": by_name, "version": None,
                     "profile": None, "status": "incomplete",
                     "reason": "not started before the run was stopped"}
                    for spec, by_name in specs if spec not in done]


def _write(args, argv, infos, rows, interrupted):
    """The results JSON (--json) and the reproducers (--repro-dir); whether the JSON was
    written."""
    doc = document(infos, rows, argv, getattr(args, "run_seed", None))
    if args.json:
        if interrupted:
            doc.update(incomplete=True, stopped_by=interrupted)
        write_atomically(args.json, json.dumps(doc, indent=1))
    if args.repro_dir:  # per finding NAME.py and NAME.md, each script run both ways
        from conformance.reporting import issues

        issues.write(doc, args.repro_dir, run=not interrupted)
    return bool(args.json)
