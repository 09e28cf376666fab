# SPDX-License-Identifier: MIT
"""Issue texts: per finding, NAME.py (its reproducer) and NAME.md (what an upstream tracker wants:
a title, the implementation, what CPython does and why, the script, its output on both sides).

Written by `python -m conformance --repro-dir DIR` and, next to compat.md, by
`python -m conformance report`. The output is got by running the script (conformance.reporting.replay's
`run_both`), never made up: a side that cannot run here says why. Stdlib only.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import signal

from conformance.reporting.findings import facts, findings, kind, op_name
from conformance.results import write_atomically

CITATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "citations.toml")
TIMEOUT = 30  # seconds per script and side
FIELD_WORDS = {"pos": "the position", "len": "the length", "data": "the map's contents",
               "file": "the file's contents", "state": "the map's state"}


# -- names and titles -----------------------------------------------------------------------------

def _slug(text):
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.")


def _kind_slug(k):
    k = k.replace("crashed (", "").replace(")", "").replace("raises ", "")
    return _slug(k.replace("returns ", "returns-") if k.startswith("returns") else k)


def _stem(f):
    """impl + op + cause, before de-duplication (and "host" for the host's own)."""
    key = f["key"]
    if key[0] == "host":
        return _stem(dict(f, key=key[1:], impl=f"{f['impl']}-host"))
    if key[0] == "missing":
        cause = "missing-module-attributes" if key[1] == "module" else f"missing-{key[1]}"
    elif key[0] == "factory" and len(key) == 2:  # the constructor raising, whatever instead
        cause = "ctor-" + _kind_slug(key[1])
    elif key[0] == "clause":
        cause = key[1]
    else:
        op = {"an __index__ that closes the map": "index-closes-map",
              "an __index__ that resizes the map": "index-resizes-map"}.get(key[0], key[0])
        op = _slug(op.strip("_").replace(".", "-"))
        expected, got = _kind_slug(key[1]), _kind_slug(key[2])
        cause = (f"{op}-{'-'.join(key[3:])}-differ" if len(key) > 3 else
                 f"{op}-other-{got}" if expected == got else f"{op}-{got}-not-{expected}")
    return _slug(f"{f['impl']}-{cause}")[:90].strip("-.")


def named(doc):
    """findings() of the results, each with a unique "name" (a file stem) and an "issue" title."""
    profiles = {i["spec"]: i.get("profile") for i in doc.get("implementations", [])}
    out, taken = [], set()
    for f in findings(doc.get("results", [])):
        stem = name = _stem(f)
        n = 1
        while name in taken:
            n += 1
            name = f"{stem}-{n}"
        taken.add(name)
        out.append(dict(f, name=name, issue=title(f, profiles.get(f["impl"]))))
    return out


def _short(outcome):
    """An outcome as a title says it: "returns -1", "raises OSError [errno EINVAL]",
    "crashes (SIGBUS)"."""
    outcome = outcome.strip()
    if outcome.startswith("returns "):
        value = outcome[len("returns "):]
        if len(value) <= 24:
            return "returns " + value
        k = kind(outcome)[len("returns "):]
        return "returns " + (k if k in ("None", "bytes", "the map itself", "an object") else
                             ("an " if k[0] in "aeiou" else "a ") + k)
    if outcome.startswith("raises "):
        errno = re.match(r"raises (\w+ \[errno \w+\])", outcome)
        return "raises " + errno.group(1) if errno else kind(outcome)
    if outcome.startswith("crashed"):
        return "crashes" + kind(outcome)[len("crashed"):]
    return {"hung": "hangs", "broke": "breaks the worker protocol"}.get(kind(outcome), outcome)


def _instead(expected):
    """What `expected` (as _short says it) reads as after "instead of"."""
    verb, _, rest = expected.partition(" ")
    return {"returns": "returning", "raises": "raising"}.get(verb, verb) + (" " + rest if rest
                                                                            else "")


def _power(match):
    """A huge integer as a title reads it: 2**62, 2**63 - 1."""
    n = int(match.group(0))
    return (f"2**{n.bit_length() - 1}" if n & (n - 1) == 0 else
            f"2**{n.bit_length()} - 1" if n & (n + 1) == 0 else match.group(0))


def title(f, profile):
    """A title an upstream tracker would take, e.g. "mmap: `m.seek(0)` returns 0 instead of
    None (CPython 3.11)"."""
    cpython = f"CPython {profile or '?'}"
    key, d = f["key"], facts(f)
    key = key[1:] if key[0] == "host" else key
    if key[0] == "missing" and key[1] == "module":
        names = re.sub(r"^the module lacks \d+ attribute\(s\): ", "", f["title"])
        return f"mmap module lacks {names} ({cpython} has {'them' if ',' in names else 'it'})"
    if key[0] == "missing":
        return f"mmap.mmap objects have no attribute {key[1]!r} ({cpython} has it)"
    if d is None:
        return f"mmap: {f['status']} on {key[-1]} ({cpython})"
    code = re.sub(r"\d{10,}", _power, re.sub(r"^m2? = factory\(", "mmap.mmap(", d["code"].strip()))
    op = d.get("op") or op_name(d["code"])
    subject = f"`{code}`" if len(code) <= 60 else f"mmap.{op}()" if op.isidentifier() \
        else f"`{code[:57]}...`"
    expected = d.get("expected_short") or _short(d["expected"])
    got = d.get("got_short") or _short(d["got"])
    if "out" not in d["fields"] and "crash" not in d["fields"] and expected == got:
        fields = [FIELD_WORDS.get(x, x) for x in d["fields"]]
        return (f"mmap: {subject} leaves {' and '.join(fields)} different from {cpython} "
                f"(it {got} as required)")
    if expected.split(" ")[0] == got.split(" ")[0] and got.split(" ")[0] in ("returns", "raises"):
        instead = expected.partition(" ")[2]  # "returns 1 instead of -1"
    else:
        instead = _instead(expected)
    return f"mmap: {subject} {got} instead of {instead} ({cpython})"


# -- where a clause comes from --------------------------------------------------------------------

@functools.cache
def _citations():
    """{clause id: {"where", "says"[, "versions"]}}: conformance/reporting/citations.toml, which
    tools/cite_clauses.py writes from the spec (shipped in the package: the spec is not)."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    with open(CITATIONS, "rb") as f:
        return tomllib.load(f)


def source(clause):
    """Where a clause's claim comes from, as one Markdown line: the documentation's sentence or
    the catalogue row of CPython's observable behaviour, with its versions."""
    cited = _citations().get(clause.get("id", ""))
    if cited is None:
        return f"source: {clause.get('source') or 'not recorded'} (no citation recorded)"
    since = f" (CPython versions: {cited['versions']})" if cited.get("versions") else ""
    return f"{cited['where']}{since}: \"{' '.join(cited['says'].split())}\""


# -- the text -------------------------------------------------------------------------------------

def _relevant(f, d):
    """(the clauses about the op itself, the others): a bug in seek() shows through every
    clause whose test seeks, but the reader wants seek's own clauses first."""
    op = (d.get("op") or op_name(d["code"])).strip("_").split(".")[-1] if d else None
    main = [c for c in f["clauses"] if c == f.get("clause")
            or (op and op in re.split(r"[.\-]", c))]
    if len(main) > 12 or not main:
        main = f["clauses"][:12]
    return main, [c for c in f["clauses"] if c not in main]


def _steps(script):
    """The code of each step of a reproducer, or None when it has no STEPS list."""
    match = re.search(r"^STEPS = (\[.*?^\])$", script or "", re.S | re.M)
    try:
        return [step[0] for step in ast.literal_eval(match.group(1))] if match else None
    except (ValueError, SyntaxError, IndexError, TypeError):
        return None


def _exit(code):
    if isinstance(code, int) and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return {"hang": "no exit (stopped)", "error": "not started"}.get(code, f"exit {code}")


def _fence(text):
    ticks = "````" if "```" in text else "```"
    return [ticks, text.rstrip("\n") or "(no output)", ticks]


def _output(label, command, verdict, code, text):
    verdict = ("as the finding says" if verdict == "held" else
               "this CPython's own crash: see expectations/" if verdict.startswith("CPython crashes")
               else verdict)
    if command is None:
        return [f"### {label}", "", f"Not run here: {verdict.partition(': ')[2] or verdict}.",
                ""]
    cut = "[... the start is cut: run the script for all of it]\n" if len(text) >= 7900 else ""
    return ([f"### {label}", "", f"`{command}`: {_exit(code)} ({verdict})", ""]
            + _fence(cut + text) + [""])


def text(f, info, clauses, ran, command=None, date=None):
    """NAME.md of one finding: `info` its implementation's entry, `clauses` {id: entry}, `ran`
    run_both()'s answer or None (not run)."""
    profile = info.get("profile") or "?"
    d = facts(f) or {}
    lines = ([f"# {f['issue']}", ""] + _about(f, info, profile, command, date)
             + _what_happens(f, d, profile) + _why(f, d, clauses, profile)
             + ["", "## Reproducer", ""])
    if not f.get("repro"):
        return "\n".join(lines + ["No reproducer was recorded for this finding.", ""])
    lines += _reproducer(f, d, profile) + ["## Output", ""]
    if ran is None:
        return "\n".join(lines + ["Not run (built without running the scripts).", ""])
    return "\n".join(lines + _outputs(f, ran, profile))


def _about(f, info, profile, command, date):
    """The list at the top: what was compared with what, found how, known or not."""
    record = f.get("finding") or {}
    lines = []
    if record.get("cpython"):  # first: the spec's own CPython is no model at this step
        lines.append(f"- **CPython itself:** {record['cpython']}")
    if f.get("origin") == "host":
        lines.append(f"- **Origin: the host.** These steps end the same way on "
                     f"{record.get('host') or 'the host'}: report it there, not against the "
                     "implementation")
    version = (f"version {info['package_version']}, on Python {info.get('version') or '?'}"
               if info.get("package_version") else
               f"version {info.get('version') or 'unknown'}")
    from conformance.reporting import upstream

    lines += [upstream.line(record, f["impl"], name=info.get("name")),
              f"- **Implementation:** `{f['impl']}` ({info.get('name') or f['impl']}, {version})",
              f"- **Compared with:** the behaviour of CPython {profile}, the implementation's "
              "profile, as mmap-conformance's C reference reproduces it",
              f"- **Scope:** {f['status']} on {len(f['clauses'])} clause(s) ({f['rows']} "
              "result(s)); the script below is the shortest of them"]
    if command:
        lines.append(f"- **Found by:** `{command}`" + (f" ({date})" if date else ""))
    if f.get("expected"):
        lines.append(f"- **Known divergence:** {f['expected']}")
    return lines


def _what_happens(f, d, profile):
    lines = ["", "## What happens", ""]
    if not d:
        return lines + [f["detail"] or "(no detail recorded)"]
    return lines + [f"At step {d['step']}, `{d['code']}`:", "",
                    f"- CPython {profile}: {d['expected']}", f"- `{f['impl']}`: {d['got']}",
                    f"- differing: {', '.join(d['fields'])}"]


def _why(f, d, clauses, profile):
    """The clauses the finding breaks, the op's own first, each with its source."""
    lines = ["", f"## What CPython {profile} does, and why", ""]
    main, others = _relevant(f, d)
    for cid in main:
        c = clauses.get(cid, {"id": cid})
        lines.append(f"- `{cid}` (holds for {c.get('versions') or 'versions not recorded'}): "
                     f"{' '.join((c.get('text') or '(no text)').split())}  \n  {source(c)}")
    if others:
        lines += ["", f"The same cause also shows through {len(others)} other clause(s) whose "
                  "tests take this step: " + ", ".join(f"`{c}`" for c in others) + "."]
    return lines


def _reproducer(f, d, profile):
    """The script: the plain one in full, or what the step-by-step one does and its steps."""
    name = f["name"]
    if f.get("plain"):
        return [f"[`{name}.py`]({name}.py), plain Python: it exits 1 where the implementation "
                f"does otherwise than CPython {profile}, and 0 with `--stdlib` (the running "
                "interpreter's own `mmap`) on that CPython. "
                f"[`{name}.trace.py`]({name}.trace.py) runs the same steps and prints each "
                "one's outcome on both sides.", "", "```python", f["plain"].rstrip("\n"),
                "```", ""]
    lines = [f"[`{name}.py`]({name}.py) is standalone (Python 2.7 to 3.15): it runs the "
             "steps below on the implementation and prints, step by step, what it did next "
             f"to what CPython {profile} does; exit 1 when a step differs. `--stdlib` runs "
             "the same steps on the running interpreter's own `mmap` (exit 0 on CPython "
             f"{profile}). Its helpers (`new_file`, `Index`, ...) are defined in the "
             "script.", ""]
    steps = d.get("steps") or _steps(f["repro"])
    return lines + ((["```python"] + steps + ["```", ""]) if steps else [])


def _outputs(f, ran, profile):
    """The script's output on the implementation, then on CPython with --stdlib."""
    name = f["name"]
    return (_output(f"On `{f['impl']}`", ran.get("impl_python") and
                    f"{ran['impl_python']} {name}.py", ran["on_impl"], ran.get("impl_code"),
                    ran.get("impl_output", ""))
            + _output(f"On CPython {profile}, with `--stdlib`", ran.get("cpython") and
                      f"{ran['cpython']} {name}.py --stdlib", ran["on_cpython"],
                      ran.get("cpython_code"), ran.get("cpython_output", "")))


def public(text):
    """`text` without this machine's paths: what is published names none, not even relative to
    the home folder. A path is named by its last part (`python3.11`, `results.json`); URLs
    stay."""
    import tempfile

    places = [(os.getcwd(), "."), (os.path.realpath(os.getcwd()), "."),
              (tempfile.gettempdir(), "$TMPDIR"), (os.path.expanduser("~"), "~")]
    for path, name in sorted(places, key=lambda p: -len(p[0])):
        if len(path) > 1:
            text = re.sub(re.escape(path) + r"(?=/|\b|$)", name, text)
    # Any path left (under those or elsewhere): its last part alone; not a URL's.
    return re.sub(r"(?<![\w.:/~$-])(?:~|\$TMPDIR|\.)?(?:/[\w.+-]+)+/([\w.+-]+)", r"\1", text)


def write(doc, out_dir, *, run=True, found=None, timeout=TIMEOUT):
    """Write NAME.py and NAME.md per finding of the results `doc` into out_dir; with `run`, each
    script runs on both sides for its output. Returns the findings written (named())."""
    found = named(doc) if found is None else found
    infos = {i["spec"]: i for i in doc.get("implementations", [])}
    from conformance import clauses as catalogue  # the doc's own entries first, then the live one

    entries = dict(catalogue.load(), **{c["id"]: c for c in doc.get("clauses", [])})
    known = {(r["impl"], r["clause"]): r["expected"] for r in doc.get("results", [])
             if r.get("expected")}
    os.makedirs(out_dir, exist_ok=True)
    for f in found:
        info = infos.get(f["impl"], {"spec": f["impl"]})
        f = dict(f, expected="; ".join(sorted({known[(f["impl"], c)] for c in f["clauses"]
                                               if (f["impl"], c) in known})) or None)
        ran = None
        if f.get("repro"):
            from conformance.reporting import plain

            # The plain script where its steps allow one, the step-by-step one beside it.
            f["plain"] = f.get("finding") and plain.script(f["finding"], f["impl"],
                                                           info.get("profile") or "?")
            script = f["plain"] or f["repro"]
            write_atomically(os.path.join(out_dir, f["name"] + ".py"), script)
            if f["plain"]:
                write_atomically(os.path.join(out_dir, f["name"] + ".trace.py"), f["repro"])
            if run:
                from conformance.reporting.replay import run_both

                ran = run_both(f["impl"], info.get("profile"), script, f["status"],
                               timeout=timeout)
        write_atomically(os.path.join(out_dir, f["name"] + ".md"), public(
            text(f, info, entries, ran, doc.get("command"), doc.get("date"))) + "\n")
    return found

