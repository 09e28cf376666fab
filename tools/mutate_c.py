# SPDX-License-Identifier: MIT
"""Mutation testing of the reference's C (native/refmmap.c) against the project's own tests.

Each mutant is one small rewrite of the source (a relational operator moved across its boundary
or negated, && and || swapped, a condition negated, an integer constant moved by one, a check's
early return deleted). Each is compiled into a private folder (the checkout's build is never
touched) and the agreement tests run against it: the C layer's own tests, the reference against
the stdlib's mmap, the clause tests with the stdlib as implementation under test, the C layer's
tests again on an ASan+UBSan build of the mutant (`nox -s sanitize`'s), then each profile's
orders against real interpreters. A mutant that makes any of them fail (or crash, or hang past
--timeout) is killed; one they all pass survived, and is either a gap in the suite or equivalent
(listed with the reason in tools/mutation_equivalents.json).

    python tools/mutate_c.py [--budget SECONDS] [--timeout SECONDS] [--seed N] [--only TEXT]
                             [--list] [--out reports/mutation.md]

`nox -s mutation` runs it. Stdlib only (the tests it runs need the project's test extras)."""

import argparse
import ast
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "native", "refmmap.c")
EQUIVALENTS = os.path.join(ROOT, "tools", "mutation_equivalents.json")
sys.path.insert(0, ROOT)

from conformance.results import header  # noqa: E402
from impls import buildinfo  # noqa: E402

# What each mutant is held to, fastest first; the first failure kills it.
PYTEST = ["-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--tb=line",
          "-m", "not slow"]
SANITIZED = "sanitized"  # the stage run on the mutant's ASan+UBSan build
STAGES = [
    ("native", [*PYTEST, "tests/test_native.py"]),
    ("reference", [*PYTEST, "tests/test_reference.py"]),
    ("agreement", [*PYTEST, "tests/test_reference_agreement.py::test_quick_agreement_with_stdlib"]),
    ("clauses", ["-m", "conformance", "--impl", "stdlib", "--only", "clauses", "-n", "1",
                 "--expectations-dir", "expectations"]),
    # The C layer's tests on an ASan+UBSan build of the mutant, as `nox -s sanitize` runs them.
    # It sees what the optimised build hides: an index past an array the optimiser keeps in
    # registers, NULL given to memcpy() for 0 bytes. --capture=sys: the sanitizer's report (fd 2)
    # is what says why the process ended.
    (SANITIZED, [*PYTEST, "--capture=sys", "tests/test_native.py"]),
    # Each profile's orders against a real interpreter of its release (skipped where none is
    # here): the profiles other than the running interpreter's are checked nowhere else.
    ("profiles", [*PYTEST, "tests/test_reference_profiles.py"]),
]

# -- the mutants ---------------------------------------------------------------------------------
TOKEN = re.compile(r"""
    (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<pre>^[ \t]*\#(?:\\\n|[^\n])*)
  | (?P<number>\b\d+\b)
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<op><<=|>>=|->|\+\+|--|&&|\|\||<=|>=|==|!=|<<|>>|[-+*/%<>=!&|^~?:;,.(){}\[\]])
  | (?P<space>\s+)
""", re.VERBOSE | re.DOTALL | re.MULTILINE)

RELATIONAL = {"<": ["<=", ">="], "<=": ["<", ">"], ">": [">=", "<="], ">=": [">", "<"],
              "==": ["!="], "!=": ["=="]}
LOGICAL = {"&&": "||", "||": "&&"}


def tokens(text):
    """(kind, text, offset) for the C source, comments, strings and preprocessor lines apart."""
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"cannot read the C at offset {pos}: {text[pos:pos + 30]!r}")
        if m.lastgroup != "space":
            out.append((m.lastgroup, m.group(), pos))
        pos = m.end()
    return out


class Mutant:
    def __init__(self, text, start, end, replacement, kind, function):
        self.start, self.end, self.replacement, self.kind = start, end, replacement, kind
        self.function = function
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        self.line = text.count("\n", 0, start) + 1
        # The lines the change touches, each run of white space as one space.
        self.original = " ".join(text[line_start:line_end].split())
        self.mutated = " ".join((text[line_start:start] + replacement + text[end:line_end]).split())
        # Stable across edits elsewhere in the file: the function, the line's text and the change.
        self.key = f"{function}: {self.original} => {self.mutated}"

    def apply(self, text):
        return text[:self.start] + self.replacement + text[self.end:]


def _matching(toks, i, open_, close):
    """The index of the token closing toks[i] (an `open_`)."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j][1] == open_:
            depth += 1
        elif toks[j][1] == close:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError(f"unbalanced {open_} at offset {toks[i][2]}")


def mutants(text):
    """Every mutant of the function bodies in `text`, in source order."""
    toks = [t for t in tokens(text) if t[0] not in ("comment", "pre")]
    found, i = [], 0
    while i < len(toks):
        # A function body: `name ( ... ) {` at file level.
        if toks[i][1] == "{" and i > 0 and toks[i - 1][1] == ")":
            close = _matching(toks, i, "{", "}")
            j = i - 1
            depth = 0
            while j >= 0:  # back to the parameter list's "(" and the name before it
                depth += toks[j][1] == ")"
                depth -= toks[j][1] == "("
                if depth == 0:
                    break
                j -= 1
            found += _body_mutants(text, toks[i + 1:close], toks[j - 1][1])
            i = close + 1
        else:
            i += 1
    return found


def _body_mutants(text, body, function):
    out = []
    for n, (kind, tok, pos) in enumerate(body):
        end = pos + len(tok)
        if kind == "op" and tok in RELATIONAL:
            out += [Mutant(text, pos, end, r, "relational", function) for r in RELATIONAL[tok]]
        elif kind == "op" and tok in LOGICAL:
            out.append(Mutant(text, pos, end, LOGICAL[tok], "logical", function))
        elif kind == "number":
            value = int(tok)
            out += [Mutant(text, pos, end, str(v), "constant", function)
                    for v in (value + 1, value - 1) if v >= 0]
        elif kind == "ident" and tok in ("if", "while") and n + 1 < len(body) and body[n + 1][1] == "(":
            close = _matching(body, n + 1, "(", ")")
            a, b = body[n + 1][2], body[close][2] + 1
            cond = text[a + 1:b - 1]
            out.append(Mutant(text, a, b, f"(!({cond}))", "negated", function))
            # An `if (...) return X;` check deleted: the code goes on as if it had passed.
            if tok == "if" and close + 1 < len(body) and body[close + 1][1] == "return":
                semi = next(k for k in range(close + 1, len(body)) if body[k][1] == ";")
                out.append(Mutant(text, body[n][2], body[semi][2] + 1, ";", "deleted", function))
    return out


# -- building and running one ---------------------------------------------------------------------
def sanitize_flags():
    """native/build_refmmap.py's SANITIZE_FLAGS (read, not imported: importing it needs cffi)."""
    with open(os.path.join(ROOT, "native", "build_refmmap.py"), encoding="utf-8") as f:
        module = ast.parse(f.read())
    return next(ast.literal_eval(node.value) for node in module.body
                if isinstance(node, ast.Assign)
                and [getattr(t, "id", None) for t in node.targets] == ["SANITIZE_FLAGS"])


class Builder:
    """Compiles refmmap.c variants and links each with the cffi wrapper of one base build;
    `sanitize`: all of them with ASan+UBSan, the tests run with its runtime preloaded."""

    def __init__(self, work, sanitize=False):
        self.work = work
        os.makedirs(work, exist_ok=True)
        base = os.path.join(work, "base")
        env = {**os.environ, "REFMMAP_BUILD_DIR": base}
        for knob in ("REFMMAP_SANITIZE", "REFMMAP_CFLAGS", "REFMMAP_LDFLAGS"):
            env.pop(knob, None)
        if sanitize:
            env["REFMMAP_SANITIZE"] = "1"
        subprocess.run([sys.executable, os.path.join(ROOT, "native", "build_refmmap.py")],
                       env=env, check=True, capture_output=True, text=True)
        self.wrapper = os.path.join(base, "impls", "_refmmap.o")
        self.tree = os.path.join(work, "tree")
        shutil.copytree(os.path.join(ROOT, "impls"), os.path.join(self.tree, "impls"),
                        ignore=shutil.ignore_patterns("*.so", "*.o", "_refmmap.c", "__pycache__"))
        shutil.copy(os.path.join(ROOT, "pyproject.toml"), self.tree)  # the version handshake
        self.so = os.path.join(self.tree, "impls", "_refmmap" + sysconfig.get_config_var("EXT_SUFFIX"))
        self.cflags = (shlex.split(sysconfig.get_config_var("CFLAGS") or "")
                       + shlex.split(sysconfig.get_config_var("CCSHARED") or "")
                       + ["-std=c99", "-Wall", "-Wextra", "-I", os.path.join(ROOT, "native")])
        self.ldshared = shlex.split(sysconfig.get_config_var("LDSHARED") or "gcc -shared")
        self.env = {}  # what the tests of this build run with
        if sanitize:  # after CFLAGS, as in build_refmmap.py: its -O1 wins
            self.cflags += sanitize_flags()
            self.ldshared += [f for f in sanitize_flags() if f.startswith("-fsanitize")]
            cc = shlex.split(sysconfig.get_config_var("CC") or "gcc")
            libasan = subprocess.run([*cc, "-print-file-name=libasan.so"], check=True,
                                     capture_output=True, text=True).stdout.strip()
            self.env = {"LD_PRELOAD": libasan, "ASAN_OPTIONS": "detect_leaks=0",
                        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1"}
        # Every variant carries the checkout's version and digest (the tests check the .so
        # against the checkout's sources), so equal machine code makes equal objects.
        self.digest = buildinfo.source_digest()
        self.version = f'-DREFMMAP_VERSION="{buildinfo.package_version()}+{self.digest}"'

    def build(self, source_text):
        """Compile and link one variant into the tree: (None or the compiler's complaint, the
        digest of its machine code)."""
        path = os.path.join(self.work, "refmmap.c")
        with open(path, "w", encoding="utf-8") as f:
            f.write(source_text)
        version = self.version
        obj = os.path.join(self.work, "refmmap.o")
        cc = sysconfig.get_config_var("CC") or "gcc"
        done = subprocess.run([*shlex.split(cc), *self.cflags, version, "-c", path, "-o", obj],
                              capture_output=True, text=True)
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines()
            return next((line for line in lines if "error" in line), "compile failed"), None
        bare = os.path.join(self.work, "bare.o")
        subprocess.run(["strip", "--strip-debug", "-o", bare, obj], check=True)
        with open(bare, "rb") as f:
            code = hashlib.sha256(f.read()).hexdigest()
        done = subprocess.run([*self.ldshared, self.wrapper, obj, "-o", self.so],
                              capture_output=True, text=True)
        return (None if done.returncode == 0 else "link failed"), code


def run_stages(builder, timeout, limits=None, sanitized=None):
    """("killed", how) | ("timeout", stage) | ("survived", "") | ("stillborn", why), and each
    stage's seconds. A stage may take `limits[stage]` seconds (a hang otherwise), the whole
    `timeout`. `sanitized()` builds the same source with the sanitizers when their stage comes:
    that Builder, or the compiler's complaint."""
    deadline = time.monotonic() + timeout
    took = {}
    for name, args in STAGES:
        target = builder
        if name == SANITIZED:
            target = sanitized()
            if isinstance(target, str):  # the plain build compiled: the sanitizers' failed
                return ("stillborn", "sanitized build: " + target), took
        env = {**os.environ, **target.env, "PYTHONPATH": os.pathsep.join([target.tree, ROOT]),
               "HYPOTHESIS_STORAGE_DIRECTORY": os.path.join(target.work, "hypothesis")}
        left = min(deadline - time.monotonic(), (limits or {}).get(name, timeout))
        if left <= 0:
            return ("timeout", name), took
        began = time.monotonic()
        try:
            # -P: the checkout's impls/ (with its own build) must not come before the tree's.
            done = subprocess.run([sys.executable, "-P", *args], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=left,
                                  start_new_session=True)
        except subprocess.TimeoutExpired:
            return ("timeout", name), took
        took[name] = time.monotonic() - began
        if done.returncode < 0:
            return ("killed", f"{name}: crashed (signal {-done.returncode})"), took
        if done.returncode != 0:
            return ("killed", f"{name}: {_first_failure(done.stdout + done.stderr)}"), took
    return ("survived", ""), took


def _first_failure(output):
    for line in output.splitlines():  # a sanitizer's report: what it found
        for mark in ("runtime error: ", "ERROR: AddressSanitizer: "):
            if mark in line:
                return " ".join(line.split(mark, 1)[1].split())[:90]
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" - ")[0].split("::", 1)[-1][:90]
    for line in output.splitlines():
        if ": divergent" in line or "diverge" in line:
            return " ".join(line.split())[:90]
    return (output.strip().splitlines() or ["failed"])[-1][:90]


# -- the report -------------------------------------------------------------------------------
def _shard(text):
    """'K/N' -> (K, N), 0 <= K < N."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K/N, got {text!r}") from None
    if not 0 <= k < n:
        raise argparse.ArgumentTypeError(f"expected 0 <= K < N, got {text!r}")
    return k, n


def load_equivalents(path=EQUIVALENTS):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def markdown(results, total, seconds, args, notes=""):
    counts, reused = {}, sum(1 for r in results if r.get("reused"))
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    equivalent, survived = counts.get("equivalent", 0), counts.get("survived", 0)
    scored = killed + survived
    lines = [
        "# Mutation testing of the reference's C", "",
        f"`python tools/mutate_c.py --budget {args.budget:g} --timeout {args.timeout:g} "
        f"--seed {args.seed}` (`nox -s mutation`): {len(results)} of the {total} mutants of "
        f"native/refmmap.c have a result; this run ran {len(results) - reused} of them in "
        f"{seconds:.0f} s (in a seeded random order, until the budget ran out)."
        + (f" {reused} (killed, hung, not compiling or equivalent) are taken from "
           "an earlier run" + (" (" + ", ".join(f"`--resume {r}`" for r in args.resume) + ")"
                               if args.resume else "")
           + "; the tests have only grown since." if reused else "")
        + (" " + notes if notes else ""),
        "",
        "Each mutant is held to: " + "; then ".join(
            ("on an ASan+UBSan build of the mutant (`nox -s sanitize`'s), " if n == SANITIZED else "")
        + f"`python {shlex.join(a)}`" for n, a in STAGES) + ". The first failure kills it.",
        "",
        "| outcome | mutants |", "|---|---|",
        f"| killed (a test failed or crashed) | {counts.get('killed', 0)} |",
        f"| killed by a timeout (a hang: a stage past 4x its unmutated time, or all of them past "
        f"their limits together, at least {args.timeout:g} s) | {counts.get('timeout', 0)} |",
        f"| equivalent (no behaviour to detect; reason below) | {equivalent} |",
        f"| survived (a gap in the suite) | {survived} |",
        f"| did not compile | {counts.get('stillborn', 0)} |",
        "",
        f"Mutation score: {killed}/{scored} = {100.0 * killed / scored:.1f}% of the non-equivalent "
        "mutants killed." if scored else "Mutation score: no mutant was scored.",
        "",
        "| line | function | mutation | outcome | by / reason |", "|---|---|---|---|---|",
    ]
    order = {"survived": 0, "equivalent": 1, "timeout": 2, "killed": 3, "stillborn": 4}
    for r in sorted(results, key=lambda r: (order[r["status"]], r["line"])):
        change = f"`{r['original']}` → `{r['mutated']}`".replace("|", "\\|")
        lines.append(f"| {r['line']} | {r['function']} | {change} | {r['status']} | "
                     f"{r['detail']} |".replace("||", "\\|\\|"))
    return "\n".join(lines) + "\n"


def rescore(args):
    """The report again from a run's JSON, survivors listed as equivalent since marked so."""
    with open(args.rescore, encoding="utf-8") as f:
        doc = json.load(f)
    equivalents = load_equivalents()
    for r in doc["results"]:
        if r["status"] == "survived" and r["key"] in equivalents:
            r["status"], r["detail"] = "equivalent", equivalents[r["key"]]
    for name in ("budget", "timeout", "seed", "resume"):
        setattr(args, name, doc["args"][name])
    if isinstance(args.resume, str):  # one path, as runs before --resume was repeatable
        args.resume = [args.resume]
    report = markdown(doc["results"], doc["total"], doc["seconds"], args, doc.get("notes", ""))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(report)
    with open(args.rescore, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    print(args.out)
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.budget <= 0 or args.timeout <= 0:
        print("mutate_c.py: error: --budget and --timeout must be more than 0", file=sys.stderr)
        return 2
    if args.rescore:
        return rescore(args)
    with open(SOURCE, encoding="utf-8") as f:
        text = f.read()
    chosen = _chosen(mutants(text), args)
    if args.list:
        for m in chosen:
            print(f"{m.line:4} {m.kind:10} {m.key}")
        print(f"{len(chosen)} mutants")
        return 0
    random.Random(args.seed).shuffle(chosen)
    ran = _run(chosen, text, args)
    if ran is None:
        return 1
    _write(*ran, len(chosen), args)
    return 0


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=600.0,
                        help="seconds for the whole run; mutants left over are not run. Default: 600")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds for one mutant's tests; past it the mutant counts as killed "
                        "(a hang). Default: 120")
    parser.add_argument("--seed", type=int, default=0, help="the order mutants run in. Default: 0")
    parser.add_argument("--only", action="append",
                        help="only mutants whose function or line contains this text (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--out", default=os.path.join(ROOT, "reports", "mutation.md"),
                        help="the Markdown report. Default: reports/mutation.md")
    parser.add_argument("--json", help="also write the results as JSON here")
    parser.add_argument("--rescore", metavar="JSON",
                        help="run nothing: rewrite the report from these results (--json), its "
                        "survivors judged against the current equivalents list")
    parser.add_argument("--resume", metavar="JSON", action="append",
                        help="results of an earlier run (--json): its killed, hung, stillborn and "
                        "equivalent mutants are taken as they are, survivors run again "
                        "(repeatable: the shards of a run, say)")
    parser.add_argument("--shard", metavar="K/N", type=_shard, default=(0, 1),
                        help="run only every Nth mutant from the Kth (0-based), so that N "
                        "processes share the cores; merge with --resume of each one's --json")
    return parser


def _chosen(every, args):
    """The mutants --only and --shard pick."""
    chosen = [m for m in every if not args.only or any(text in m.key for text in args.only)]
    shard, shards = args.shard
    return chosen[shard::shards]


def _earlier(paths, equivalents):
    """({key: result} taken as they are, {key: result} of survivors, run again if there is
    time) from the --resume files at `paths`."""
    earlier, survived = {}, {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for r in doc["results"] if isinstance(doc, dict) else doc:
            if r["status"] in ("killed", "timeout", "stillborn") or (
                    r["status"] == "equivalent" and (r["key"] in equivalents
                                                     or r["detail"] == "compiles to the same machine code")):
                earlier[r["key"]] = r
            elif r["status"] == "survived":
                survived[r["key"]] = r
    return earlier, survived


def _run(chosen, text, args):
    """(the results of the `chosen` mutants of the source `text`, the seconds taken), or None
    when the run cannot judge them (the unmutated source fails, or native/ changed under it)."""
    equivalents = load_equivalents()
    earlier, survived = _earlier(args.resume or [], equivalents)
    began = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="mutate_c-") as work:
        builder = Builder(work)
        sanitized = Builder(os.path.join(work, "sanitized"), sanitize=True)
        baseline = _baseline(builder, sanitized, text, args.timeout)
        if baseline is None:
            return None
        original_code, limits, timeout = baseline
        for n, m in enumerate(chosen, 1):
            reused = _reused(m, earlier, survived, equivalents)
            if reused is not None:
                results.append(reused)
                continue
            if time.monotonic() - began > args.budget:
                if m.key in survived:  # past the budget: an earlier survivor, not run again
                    results.append({**survived[m.key], "line": m.line, "reused": True})
                continue
            if buildinfo.source_digest() != builder.digest:
                print("mutate_c: native/ changed during the run; the tests would now refuse every "
                      "mutant's version. Stopped; run again.", file=sys.stderr)
                return None
            status, detail = _judge((builder, sanitized), m, text, original_code, timeout, limits,
                                    equivalents)
            results.append({"line": m.line, "function": m.function, "kind": m.kind, "key": m.key,
                            "original": m.original, "mutated": m.mutated, "status": status,
                            "detail": detail})
            print(f"[{n}/{len(chosen)} {time.monotonic() - began:5.0f}s] {status:10} "
                  f"{m.line}: {m.mutated}  {detail}", flush=True)
    return results, time.monotonic() - began


def _baseline(builder, sanitized, text, timeout):
    """(the unmutated machine code, each stage's limit, one mutant's timeout) from a run of the
    stages on the unmutated source; None when it fails them (every mutant would look killed)."""
    problem, original_code = builder.build(text)
    outcome, took = run_stages(builder, timeout * 3, sanitized=_maker(sanitized, text))
    if problem is not None or outcome[0] != "survived":
        print(f"mutate_c: the unmutated reference fails its own tests ({outcome[1]}); fix "
              "that first", file=sys.stderr)
        return None
    # A stage that takes several times as long as it did on the unmutated source hangs.
    limits = {name: max(15.0, 4 * seconds) for name, seconds in took.items()}
    # The whole mutant may take every stage's limit: a slow stage (the profiles' real
    # interpreters) must not turn --timeout into a kill.
    print("baseline: " + ", ".join(f"{k} {v:.1f}s" for k, v in took.items()), flush=True)
    return original_code, limits, max(timeout, sum(limits.values()))


def _reused(m, earlier, survived, equivalents):
    """Mutant `m`'s result from an earlier run (a survivor explained since is equivalent), or
    None to run it."""
    if m.key in earlier:
        return {**earlier[m.key], "line": m.line, "reused": True}
    if m.key in survived and m.key in equivalents:  # survived, and explained since
        return {**survived[m.key], "line": m.line, "reused": True,
                "status": "equivalent", "detail": equivalents[m.key]}
    return None


def _maker(builder, source_text):
    """A call that builds `source_text` with `builder`: the builder, or what went wrong."""
    def make():
        problem = builder.build(source_text)[0]
        return builder if problem is None else problem.replace(builder.work + os.sep, "")
    return make


def _judge(builders, m, text, original_code, timeout, limits, equivalents):
    """(status, detail) of mutant `m`, built and run through the stages (the sanitized one on
    its sanitized build, made only if the stages before it pass)."""
    builder, sanitized = builders
    problem, code = builder.build(m.apply(text))
    if problem is not None:
        return "stillborn", problem.replace(builder.work + os.sep, "")
    if code == original_code:
        return "equivalent", "compiles to the same machine code"
    (status, detail), _ = run_stages(builder, timeout, limits, _maker(sanitized, m.apply(text)))
    if status == "survived" and m.key in equivalents:
        return "equivalent", equivalents[m.key]
    return status, detail


def _write(results, seconds, total, args):
    """The report (and --json), then a one-line summary."""
    report = markdown(results, total, seconds, args)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(report)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({**header("mutation"),
                       "args": {"budget": args.budget, "timeout": args.timeout, "seed": args.seed,
                                "resume": args.resume},
                       "total": total, "seconds": seconds, "results": results}, f, indent=1)
    survived = [r for r in results if r["status"] == "survived"]
    print(f"{len(results)} mutants run: {sum(r['status'] in ('killed', 'timeout') for r in results)} "
          f"killed, {sum(r['status'] == 'equivalent' for r in results)} equivalent, "
          f"{len(survived)} survived; {args.out}")


if __name__ == "__main__":
    sys.exit(main())
