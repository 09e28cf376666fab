# SPDX-License-Identifier: MIT
"""Runs every benchmark once, in one go on one machine, and writes reports/bench.md (and .json).

Usage: python benchmarks/report.py [--quick] [--only KEY,...]   (nox -s bench)
With --only, the sections not re-run keep their figures from the last reports/bench.json.
"""

import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "reports")
sys.path.insert(0, ROOT)

from conformance.cli.options import Parser, Usage  # noqa: E402
from conformance.results import header as document_header  # noqa: E402
from conformance.results import write_atomically  # noqa: E402

IMPLS = ["reference", "stdlib", "fmmap", "PyPy", "Pyodide"]


def run(argv, env=None, quick_argv=(), timeout=3600):
    """Run one benchmark command from the repository root: (status, seconds, CPU seconds,
    output). The CPU seconds are the command's and those of every process it waited for:
    beside wall time, a figure a shared machine's changing speed moves less."""
    began, cpu_before = time.perf_counter(), _children_cpu()
    try:
        done = subprocess.run([*argv, *quick_argv], cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, **(env or {})}, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout} s", timeout, None, ""
    cpu = round(_children_cpu() - cpu_before, 1)
    took = round(time.perf_counter() - began, 1)
    text = (done.stdout.strip() + "\n" + done.stderr.strip()[-2000:]).strip()
    # exit 1 is a run that found divergences (the mutants, the stdlib's crashes): still a figure
    status = ("ok" if done.returncode in (0, 1) and "Traceback" not in done.stderr
              else f"failed (exit {done.returncode})")
    return status, took, cpu, text


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _shortened(text, limit=4000):
    """A long output's first line (a soak's or a run's summary) and its tail."""
    if len(text) <= limit:
        return text
    head = text.split("\n", 1)[0][:500]
    return head + "\n...\n" + text[-(limit - len(head)):]


# -- bulk operations: pytest-benchmark in process, bulk_ops.py in PyPy and Pyodide -------------
def bulk(quick):
    mib = "8" if quick else "64"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bulk.json")
        status, took, _, text = run([sys.executable, "-m", "pytest", "benchmarks/test_bulk.py",
                                     "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                                     f"--benchmark-json={path}"], env={"BENCH_MIB": mib})
        if not os.path.exists(path):
            return {"status": status, "output": text}
        with open(path) as f:
            doc = json.load(f)
    best, limits, on_map = {}, {}, {}
    for b in doc["benchmarks"]:
        seconds = b["stats"]["min"]
        if b["group"] == "limits":
            limits[b["params"]["routine"]] = seconds
        elif b["group"] == "limits on the map":
            on_map.setdefault(b["params"]["mapped"], {})[b["params"]["routine"]] = seconds
        else:
            best.setdefault(b["params"]["mapped"], {})[b["params"]["op"]] = seconds
    others = {"PyPy": _pypy_argv, "Pyodide": _pyodide_argv}
    notes = {}
    for name, argv in others.items():
        try:
            command = argv()
        except Exception as exc:  # noqa: BLE001 - an interpreter missing is a line in the report
            notes[name] = f"unavailable: {exc}"
            continue
        s, _, _, out = run([*command, "--mib", mib, "--runs", "5"], timeout=900)
        try:
            best[name] = json.loads(out.splitlines()[0])
        except (ValueError, IndexError):
            notes[name] = f"{s}: {out[-300:]}"
    return {"status": status, "seconds": took, "mib": int(mib), "best": best, "limits": limits,
            "on_map": on_map, "notes": notes, "machine_info": doc.get("machine_info", {}).get("cpu", {}).get("brand_raw")}


def _pypy_argv():
    from impls.interpreters import find_pypy3

    _, path = find_pypy3()
    return [path, "benchmarks/bulk_ops.py"]


def _pyodide_argv():
    from impls.interpreters import find_pyodide

    node, folder, _ = find_pyodide()
    return [node, "benchmarks/run_in_pyodide.js", folder, "benchmarks/bulk_ops.py"]


def bulk_markdown(r):
    from bulk_ops import OPS

    if "best" not in r:
        return ["pytest-benchmark did not run: " + r["status"], "", "```", r["output"][-3000:], "```"]
    mib, best, limits = r["mib"], r["best"], r["limits"]
    size = mib << 20
    impls = [i for i in IMPLS if i in best]
    lines = [f"Map of {mib} MiB; best of the runs; `pytest benchmarks/test_bulk.py` "
             "(pytest-benchmark) for the in-process ones, `benchmarks/bulk_ops.py` inside PyPy and "
             "Pyodide. Each cell: milliseconds, then the share of its C limit's bandwidth in "
             "the same run.", "",
             "| operation | limit | " + " | ".join(impls) + " | reference / stdlib time |",
             "|---|---|" + "---|" * len(impls) + "---|"]
    for op, (size_of, limit, _) in OPS.items():
        cells = []
        for i in impls:
            t = best[i].get(op)
            # the limit's time for the bytes this op handles (move: half the map)
            share = limits.get(limit, 0) * size_of(size) / size / t if t else 0
            cells.append(f"{t * 1e3:.2f} ms ({share:.0%})" if t else "-")
        ratio = best.get("reference", {}).get(op, 0) / best.get("stdlib", {}).get(op, 1)
        lines.append(f"| {op} | {limit} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    lines += ["", "| C limit | ms | GB/s |", "|---|---|---|"]
    for name, t in limits.items():
        lines.append(f"| {name} | {t * 1e3:.2f} | {size / t / 1e9:.1f} |")
    lines += search_markdown(best, r.get("on_map", {}))
    for name, note in r["notes"].items():
        lines += ["", f"{name}: {note}"]
    return lines


def search_markdown(best, on_map):
    """Each search against the C library's search timed over the very same map: the ratio does
    not follow where two maps' pages happen to lie."""
    searches = {"find (miss)": "memmem", "rfind (miss)": "memrchr"}
    impls = [i for i in IMPLS if i in on_map]
    if not impls:
        return []
    lines = ["", "Searches against the C routine run over the same map, in the same run "
             "(op time / routine time):", "",
             "| operation | routine | " + " | ".join(impls) + " |",
             "|---|---|" + "---|" * len(impls)]
    for op, routine in searches.items():
        cells = []
        for i in impls:
            t, limit = best.get(i, {}).get(op), on_map[i].get(routine)
            cells.append(f"{t / limit:.2f}x ({t * 1e3:.2f} / {limit * 1e3:.2f} ms)"
                         if t and limit else "-")
        lines.append(f"| {op} | {routine} | " + " | ".join(cells) + " |")
    return lines


# -- everything else: commands whose own output is the table -----------------------------------
PY = sys.executable
SECTIONS = [
    ("lockstep", "Lockstep steps per second by implementation kind, against Hypothesis's floor",
     [PY, "benchmarks/lockstep.py"], ["--examples", "30"]),
    ("reference_ops", "The reference's cost per call, beside the stdlib's mmap (in process)",
     [PY, "benchmarks/reference_ops.py"], ["--number", "500", "--repeat", "1"]),
    ("workers", "Worker start-up and round trips", [PY, "benchmarks/workers.py"],
     ["--starts", "2", "--steps", "500"]),
    ("soak_in_process", "Soak sweep in process (reference against the reference, no worker)",
     [PY, "-m", "conformance", "soak", "--impl", "reference", "--minutes", "0.5", "--seed", "1"],
     ["--minutes", "0.05"]),
    ("soak_worker", "Soak sweep against the stdlib in a CPython worker",
     [PY, "-m", "conformance", "soak", "--impl", "stdlib", "--minutes", "0.5", "--seed", "1",
      "--expectations-dir", "expectations"], ["--minutes", "0.05"]),
    ("soak_worker_jobs", "The same soak in 2 jobs (--jobs 2: a harness and a worker each)",
     [PY, "-m", "conformance", "soak", "--impl", "stdlib", "--minutes", "0.5", "--seed", "1",
      "--expectations-dir", "expectations", "--jobs", "2"], ["--minutes", "0.05"]),
    ("soak_pypy", "Soak sweep against PyPy's mmap in a PyPy worker",
     [PY, "-m", "conformance", "soak", "--impl", "pypy3", "--minutes", "0.5", "--seed", "1",
      "--expectations-dir", "expectations"], ["--minutes", "0.05"]),
    ("soak_pyodide", "Soak sweep against Pyodide's mmap in a Pyodide worker (node)",
     [PY, "-m", "conformance", "soak", "--impl", "pyodide", "--minutes", "0.5", "--seed", "1",
      "--expectations-dir", "expectations"], ["--minutes", "0.05"]),
    ("default_run", "Wall time of the default run (reference + stdlib, as `nox -s conformance`)",
     [PY, "-m", "conformance", "--expectations-dir", "expectations"], ["--examples", "20"]),
    ("default_run_no_expectations",
     "Wall time of the same run without expectations (the known crashes are shrunk too)",
     [PY, "-m", "conformance"], ["--examples", "20"]),
    ("mutants_detect", "Mutants: seconds to the first divergence (no shrinking), seed 0",
     [PY, "-m", "tests.mutants.measure", "--seeds", "0"], ["--examples", "20", "bad_find"]),
    ("mutants_report", "Mutants: seconds until reported at the defaults, shrinking included, seed 0",
     [PY, "-m", "tests.mutants.measure", "--seeds", "0", "--report"], ["bad_find"]),
    ("xdist_1", "Scaling: stdlib alone on 1 pytest-xdist worker",
     [PY, "-m", "conformance", "--impl", "stdlib", "-n", "1", "--expectations-dir", "expectations"],
     ["--examples", "20"]),
    ("xdist_2", "Scaling: the same on 2 pytest-xdist workers",
     [PY, "-m", "conformance", "--impl", "stdlib", "-n", "2", "--expectations-dir", "expectations"],
     ["--examples", "20"]),
    ("campaign_1", "Scaling: a longer campaign (stdlib, machine only, 2,000 examples) on 1 worker",
     [PY, "-m", "conformance", "--impl", "stdlib", "--only", "machine", "--examples", "2000",
      "-n", "1", "--expectations-dir", "expectations"], ["--examples", "100"]),
    ("campaign_2", "Scaling: the same campaign on 2 workers",
     [PY, "-m", "conformance", "--impl", "stdlib", "--only", "machine", "--examples", "2000",
      "-n", "2", "--expectations-dir", "expectations"], ["--examples", "100"]),
    ("impls_1", "Scaling: 1 implementation (stdlib), 2 workers",
     [PY, "-m", "conformance", "--impl", "stdlib", "--expectations-dir", "expectations"],
     ["--examples", "20"]),
    ("impls_2", "Scaling: 2 implementations (stdlib, cpython3.12), 2 workers",
     [PY, "-m", "conformance", "--impl", "stdlib", "--impl", "cpython3.12",
      "--expectations-dir", "expectations"], ["--examples", "20"]),
    ("impls_4", "Scaling: 4 implementations (stdlib, cpython3.10, 3.12, 3.13), 2 workers",
     [PY, "-m", "conformance", "--impl", "stdlib", "--impl", "cpython3.10", "--impl",
      "cpython3.12", "--impl", "cpython3.13", "--expectations-dir", "expectations"],
     ["--examples", "20"]),
    ("map_size", "Scaling: one observed step's cost by map size", [PY, "benchmarks/map_size.py"],
     ["--steps", "6"]),
]


def _earlier_results():
    """The last run's bench.json, or {} when there is none (or it cannot be read)."""
    try:
        with open(os.path.join(OUT, "bench.json"), encoding="utf-8") as f:
            doc = json.load(f)
        return doc if isinstance(doc.get("results"), dict) and "date" in doc else {}
    except (OSError, ValueError):
        return {}


def main(argv=None):
    parser = Parser(prog="python benchmarks/report.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, for a smoke test")
    parser.add_argument("--only", help="comma-separated section keys: bulk, " +
                        ", ".join(key for key, *_ in SECTIONS))
    try:
        args = parser.parse_args(argv)
        keys = ["bulk"] + [key for key, *_ in SECTIONS]
        only = args.only.split(",") if args.only else keys
        unknown = sorted(set(only) - set(keys))
        if unknown:
            raise Usage(f"--only: unknown section {unknown[0]!r} (one of {', '.join(keys)})")
    except Usage as exc:
        print(f"python benchmarks/report.py: error: {exc}", file=sys.stderr)
        return 2
    when = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    # --only re-runs some sections; the others keep their figures (and dates) from the last
    # bench.json.
    earlier = _earlier_results() if args.only else {}
    kept = [key for key in keys if key not in only and key in earlier["results"]] if earlier else []
    header = f"One run on one machine ({machine}), {when}."
    if kept:
        dates = sorted({earlier["results"][k].get("date", earlier["date"]) for k in kept})
        header = (f"Sections {', '.join(k for k in keys if k in only)} run on one machine "
                  f"({machine}), {when}; the others are from {', '.join(dates)}.")
    results, lines = {}, ["# Benchmarks", "", header, ""]
    if "bulk" in only:
        print("bulk ...", flush=True)
        results["bulk"] = {**bulk(args.quick), "date": when}
    elif "bulk" in kept:
        results["bulk"] = {"date": earlier["date"], **earlier["results"]["bulk"]}
    if "bulk" in results:
        lines += ["## Bulk operations", ""] + bulk_markdown(results["bulk"]) + [""]
    for key, title, argv, quick_argv in SECTIONS:
        if key in only:
            print(f"{key} ...", flush=True)
            status, took, cpu, text = run(argv, quick_argv=quick_argv if args.quick else ())
            command = " ".join(["python", *argv[1:], *(quick_argv if args.quick else ())])
            results[key] = {"title": title, "command": command, "status": status,
                            "seconds": took, "cpu_seconds": cpu, "output": text,
                            "date": when}
        elif key in kept:
            results[key] = {"date": earlier["date"], **earlier["results"][key]}
        else:
            continue
        r = results[key]
        cpu = f" ({r['cpu_seconds']} s of CPU)" if r.get("cpu_seconds") is not None else ""
        lines += [f"## {r['title']}", "", f"`{r['command']}`: {r['status']}, {r['seconds']} s{cpu}",
                  "", "```", _shortened(r["output"]), "```", ""]
    os.makedirs(OUT, exist_ok=True)
    write_atomically(os.path.join(OUT, "bench.md"), "\n".join(lines))
    write_atomically(os.path.join(OUT, "bench.json"),
                     json.dumps({**document_header("bench"), "date": when, "machine": machine,
                                 "results": results}, indent=1))
    print(os.path.join(OUT, "bench.md"))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    sys.exit(main())
