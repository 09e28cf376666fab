# SPDX-License-Identifier: MIT
"""Plain reproducers: a finding record as the few lines of ordinary Python a maintainer pastes
into a tracker. The implementation's module (or, with `--stdlib`, the interpreter's own `mmap`),
the file made with tempfile and os, the steps as ordinary calls, and the last step's CPython
outcome as a check that exits 1 where the implementation does otherwise.

Findings whose steps need the suite's own helpers (buffer consumers, a second map, odd file
descriptors, digested bytes) get None here: their step-by-step script stays the reproducer.
"""

from __future__ import annotations

from conformance import ops as o
from conformance.compare import render
from impls.executor import DIGEST

# Arguments a plain script can write: ints, bytes, str, None, slices, and these tagged values.
PLAIN_TAGS = {"idx", "closer", "resizer", "text", "float", "const", "fd", "ba", "mv"}
# Ops a plain script can write as one line of its own (op.py() with `mmap.mmap` as the factory).
PLAIN_OPS = {"open", "call", "getitem", "setitem", "delitem", "len", "bool", "repr", "closed",
             "list", "reversed", "contains", "enter", "exit", "export", "release", "view_set",
             "file_write", "file_truncate", "end"}
INDEX = ["class Index:  # an integer whose __index__ may act on the map first",
         "    def __init__(self, n, then=None): self.n, self.then = n, then",
         "    def __index__(self): return (self.then and self.then()) or self.n"]
MODES = {"r+": "os.O_RDWR", "r": "os.O_RDONLY", "w": "os.O_WRONLY"}


def script(record, spec, profile):
    """The plain reproducer of a finding `record` of implementation `spec` at `profile`, or
    None when its steps need more than plain code can say."""
    ops = [o.from_json(step) for step in record["steps"]]
    raised = record.get("raised") or ([None] if len(ops) == 1 else [])
    if not _plain(ops) or len(raised) != len(ops) or record["kind"] == "hang":
        return None
    check = _check(record, ops[-1], profile)
    if check is None:
        return None
    head = _module(spec, any("mmap." in _line(op) for op in ops))
    if head is None:
        return None
    if any("errno." in line for line in check):
        head[0] = "import errno, " + head[0][len("import "):]
    lines = head + _file(ops[0])
    if any(tag in {"idx", "closer", "resizer"} for op in ops for tag in _tags(op.args)):
        lines += INDEX
    if any(op.name in ("export", "release", "view_set") for op in ops):
        lines.append("views = []")
    for op, exc in zip(ops[:-1], raised[:-1]):
        line = _line(op)
        lines += [line] if exc is None else [f"try: {line}", f"except {exc}: pass"]
    return "\n".join(lines + check) + "\n"


def _plain(ops):
    """Whether plain code can say every op: one scenario, a file opened in a known mode, no
    helper of the suite's, no descriptor but the file's."""
    first = ops[0]
    if first.name != "open" or sum(op.name == "open" for op in ops) != 1:
        return False
    setup = first.args[0]
    if setup is not None and setup.get("mode") not in MODES:
        return False
    return all(op.name in PLAIN_OPS and _tags(op.args) <= PLAIN_TAGS and not _fds(op.args)
               for op in ops)


def _tags(value):
    return {arg.tag for arg in o.args_in(value)}


def _fds(value):
    """Descriptors other than the file's own (their tags' values)."""
    return {arg.value for arg in o.args_in(value) if arg.tag == "fd" and arg.value != "file"}


def _module(spec, constants):
    """The lines that pick the map type: the implementation's, or with --stdlib the running
    interpreter's own; `constants`: the steps read mmap.X, from the implementation's module
    where it has them, as the suite does."""
    if spec == "fmmap":
        module, name, own = "fmmap", "mmap", False
    elif ":" in spec and not spec.startswith(("python:", "reference")):
        module, _, name = spec.partition(":")
        own = constants
    elif spec.startswith(("stdlib", "cpython", "pypy", "python:", "pyodide")):
        return ["import mmap, os, sys, tempfile", "factory = mmap.mmap"]  # its own interpreter
    else:
        return None
    lines = ["import importlib, mmap, os, sys, tempfile",
             f"impl = mmap if '--stdlib' in sys.argv else importlib.import_module({module!r})",
             "factory = impl.mmap" if name == "mmap" else
             f"factory = mmap.mmap if impl is mmap else impl.{name}"]
    if own:
        lines.append("if hasattr(impl, 'ACCESS_READ'): mmap = impl  "
                     "# its constants, as the suite reads them")
    return lines


def _file(first):
    setup = first.args[0]
    if setup is None:
        return []
    data = o.py(bytes.fromhex(setup["data"]))
    lines = [f"fd, path = tempfile.mkstemp(); os.write(fd, {data})"]
    if setup["mode"] != "r+":
        lines.append(f"os.close(fd); fd = os.open(path, {MODES[setup['mode']]})")
    return lines


def _line(op):
    """The op as one line, the views held in a plain list."""
    line = op.py()
    return (line.replace("views.append(export(m))", "views.append(memoryview(m))")
            .replace("bytes(export(m))", "bytes(memoryview(m))")
            .replace("release_all(views); m.close()", "[v.release() for v in views]; m.close()")
            .replace("pwrite(fd, ", "os.pwrite(fd, "))


def _check(record, last, profile):
    """The last step with CPython's outcome checked: the lines, or None when plain code cannot
    check what differs."""
    expected, fields = record["expected"], record["fields"]
    cpython = f"CPython {profile}"
    line = _line(last)
    out = expected.get("out") or [""]
    if out[0] == "exc":
        # The exception is the check; a state left otherwise beside another outcome follows
        # from it, but a state that alone differs needs asserts this form has no place for.
        if "out" not in fields and set(fields) - {"crash", "protocol"}:
            return None
        name, code = out[1], out[2]
        if code is None:
            caught = f"except {name}: print({f'{name}, as on {cpython}'!r})"
        elif isinstance(code, (int, str)):
            want = f"errno.{code}" if isinstance(code, str) else str(code)
            caught = (f"except {name} as e: assert e.errno == {want}, "
                      f"({f'{cpython}: {name} [errno {code}]'!r}, e)")
        else:
            return None
        # A crash shows when the map is read back, as the suite does after each step: before
        # saying the exception is missing (a map grown past its pages dies there), and after
        # it (a map over a file truncated under it).
        back = "m[:]; " if _read_back(record) else ""
        return [f"try: {line}", caught,
                f"else: {back}sys.exit({f'{cpython} raises {name} here'!r})"] + _read_back(record)
    if out[0] != "ok":
        return None
    checks = []
    if "out" in fields or fields in (["crash"], ["protocol"]):
        value = out[1]
        if isinstance(value, dict) and "self" in value:
            want, test = "the map itself", "r is m"
        elif isinstance(value, dict) and set(value) & {"unencodable", "class", "intsub"}:
            return None
        else:
            want = render(value)
            test = f"repr(r) == {want!r}"
        if _statement(line):  # no value to check: running it is the check (it must not raise)
            checks.append(line)
        else:
            checks += [f"r = {line}", f"assert {test}, ({f'{cpython}: {want}'!r}, r)"]
    else:
        checks.append(line)
    for field in fields:
        if field in ("out", "crash", "protocol"):
            continue
        state = _state(field, expected, cpython)
        if state is None:
            return None
        checks.append(state)
    return checks + _read_back(record)


def _read_back(record):
    """For a crash, or a step where the profile's CPython itself dies: the map read back, as
    the suite reads it after every step (where a map grown past its pages dies)."""
    crash = record["kind"] == "crash" or record.get("cpython")
    if not crash or record["expected"].get("state") != "open":
        return []
    return ["m[:]  # read back, as the suite does after each step"]


def _statement(line):
    return "=" in line.split("(")[0].replace("==", "") or line.startswith(("del ", "views.", "["))


def _state(field, expected, cpython):
    """An assert of one field of the map's state after the step, as CPython leaves it."""
    value = expected.get(field)
    if field in ("pos", "len") and type(value) is int:  # repr: True is not 1
        got = "m.tell()" if field == "pos" else "len(m)"
        return f"assert repr({got}) == '{value}', ({f'{cpython}: {got} {value}'!r}, {got})"
    if field in ("data", "file") and isinstance(value, str) and not value.startswith(DIGEST):
        data = o.py(bytes.fromhex(value))
        got = "m[:]" if field == "data" else "open(path, 'rb').read()"
        return f"assert {got} == {data}, ({f'{cpython}: {field}'!r}, {got})"
    return None
