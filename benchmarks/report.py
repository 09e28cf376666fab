# SPDX-License-Identifier: MIT
"""Runs every benchmark once, in one go on one machine, and writes reports/bench.md (and .json).

Usage: python benchmarks/report.py [--quick]
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "reports")


def run(title, argv, quick_argv=()):
    began = time.perf_counter()
    done = subprocess.run([sys.executable, *argv, *quick_argv], cwd=ROOT, capture_output=True,
                          text=True)
    took = time.perf_counter() - began
    text = done.stdout.strip() or done.stderr.strip()
    status = "ok" if done.returncode in (0, 1) else f"failed (exit {done.returncode})"
    return {"title": title, "command": " ".join(["python", *argv, *quick_argv]),
            "seconds": round(took, 1), "status": status, "output": text}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, for a smoke test")
    args = parser.parse_args()
    quick = args.quick
    sections = [
        run("Bulk operations: reference / stdlib time", ["benchmarks/bulk.py"],
            ["--runs", "2"] if quick else ()),
        run("Lockstep throughput against Hypothesis's floor", ["benchmarks/lockstep.py"],
            ["--examples", "50"] if quick else ()),
        run("Worker start-up and round trips", ["benchmarks/workers.py"],
            ["--starts", "2", "--steps", "500"] if quick else ()),
        run("Wall time of the default run (reference + stdlib, as `nox -s conformance`)",
            ["-m", "conformance", "--expectations-dir", "expectations"],
            ["--examples", "20"] if quick else ()),
        run("Wall time of the same run without expectations (known crashes shrunk too)",
            ["-m", "conformance"], ["--examples", "20"] if quick else ()),
    ]
    when = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = ["# Benchmarks", "", f"One run on one machine ({machine}), {when}.", ""]
    for s in sections:
        lines += [f"## {s['title']}", "", f"`{s['command']}`: {s['status']}, {s['seconds']} s",
                  "", "```", s["output"][-4000:], "```", ""]
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "bench.md"), "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(OUT, "bench.json"), "w") as f:
        json.dump({"date": when, "machine": machine, "sections": sections}, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
