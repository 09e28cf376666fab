# SPDX-License-Identifier: MIT
"""Plain reproducers: a finding record as the few lines of ordinary Python a maintainer pastes
into a tracker. The implementation's module (or, with `--stdlib`, the interpreter's own `mmap`),
the file made with tempfile and os, the steps as ordinary calls, and the last step's CPython
outcome as a check that exits 1 where the implementation does otherwise.

Every op has a plain form: the suite's helpers (buffer consumers, descriptor counts, pickling...)
are written out as the few lines they are; only what a script cannot say in-process (a worker
that lies on its pipes) has no check of its own.
"""

from __future__ import annotations

import re

from conformance.engine import ops as o
from conformance.engine.compare import render
from impls.executor import DIGEST

INDEX = ["class Index(object):  # an integer whose __index__ may act on the map first",
         "    def __init__(self, n, then=None): self.n, self.then = n, then",
         "    def __index__(self): return (self.then and self.then()) or self.n",
         "    __int__ = __index__  # what Python 2 asks for"]
BUFFER = ["class Buffer(object):  # bytes whose __buffer__ (PEP 688, 3.12+) may act on the map first",
          "    def __init__(self, data, then=None): self.data, self.then = data, then",
          "    def __buffer__(self, flags):",
          "        if self.then: self.then()",
          "        return memoryview(self.data)"]
MODES = {"r+": "os.O_RDWR", "r": "os.O_RDONLY", "w": "os.O_WRONLY"}
# Modules a step may use, imported where its text names them.
MODULES = ("collections.abc", "ctypes", "copy", "errno", "gc", "hashlib", "operator", "pickle",
           "re", "struct", "weakref", "zlib")
HANG_SECONDS = 10
FDS = "len(os.listdir('/proc/self/fd'))"
VMSIZE = ("int([l for l in open('/proc/self/status') if l.startswith('VmSize:')][0]"
          ".split()[1]) * 1024")
MAPPED = "sum(l.rstrip().endswith(' ' + os.path.realpath(path)) for l in open('/proc/self/maps'))"
CONSUMER = ["try: target = memoryview(m)", "except ValueError: target = m  # closed: the map itself"]
BINOPS = {"==", "!=", "<", "+", "*"}


def script(record, spec, profile):
    """The plain reproducer of a finding `record` of implementation `spec` at `profile`, or
    None for a spec whose module a script cannot import (the reference itself)."""
    head = _module(spec)
    if head is None:
        return None
    ops = [o.from_json(step) for step in record["steps"]]
    # Python 2's mmap.error is EnvironmentError, which `except OSError` misses there.
    py2 = str(profile).startswith("2.")
    raised = [("EnvironmentError" if py2 and exc == "OSError" else exc)
              for exc in record.get("raised") or []]
    raised += [None] * (len(ops) - len(raised))
    body, opened, setup = [], False, None
    for n, (op, exc) in enumerate(zip(ops, raised)):
        if op.name == "open":
            setup = op.args[0]
        lines, value = _say(op, opened, setup is not None, "views" in "\n".join(body))
        if op.name == "open":
            opened = exc is None  # a map to close before the next one
        if n < len(ops) - 1:  # a failed constructor leaves no map, as in the suite
            body += _guarded(lines + ([value] if value else []), exc,
                             "m = None" if op.name == "open" else "pass")
            if "arg_views.append" in "\n".join(lines + [value or ""]):
                body.append("while arg_views: arg_views.pop().release()")
        else:
            body += _check(record, lines, value, f"CPython {profile}", py2)
    return "\n".join(_head(head, body, spec, ops, record)) + "\n"


def _head(head, body, spec, ops, record):
    """The script's first lines: imports, the module, and what the steps name."""
    text = "\n".join(body)
    imports = {"mmap", "os", "sys", "tempfile"} | {m for m in MODULES if re.search(rf"\b{m}\.", text)}
    if record["kind"] == "hang":
        imports.add("faulthandler")
    if ":" in spec or spec == "fmmap":
        imports.add("importlib")
    lines = ["import " + ", ".join(sorted(imports))] + head
    if ":" in spec or spec == "fmmap":
        if any(tag == "const" for op in ops for tag in _tags(op.args)) or "mmap." in text:
            lines.append("if hasattr(impl, 'ACCESS_READ'): mmap = impl  "
                         "# its constants, as the suite reads them")
        if "memoryview(m" in text:
            lines.append("if sys.version_info < (3, 12) and hasattr(factory, '__buffer__'):  "
                         "# PEP 688 by hand")
            lines.append("    memoryview = lambda m, mv=memoryview: "
                         "m.__buffer__(0) if hasattr(m, '__buffer__') else mv(m)")
    if record["kind"] == "hang":
        lines.append(f"faulthandler.dump_traceback_later({HANG_SECONDS}, exit=True)  "
                     f"# CPython answers at once; a hang exits 1")
    if "Index(" in text:
        lines += INDEX
    if "Buffer(" in text:
        lines += BUFFER
    if "views" in text:
        lines.append("views = []")
    if "arg_views." in text:
        lines.append("arg_views = []  # views an argument takes as it converts: released after its op")
    return lines + body


def _module(spec):
    """The lines that pick the map type: the implementation's, or with --stdlib the running
    interpreter's own."""
    if spec.startswith(("stdlib", "cpython", "pypy", "python:", "pyodide")):
        return ["factory = mmap.mmap"]  # its own interpreter
    if spec == "fmmap":
        module, name = "fmmap", "mmap"
    elif ":" in spec and not spec.startswith("reference"):
        module, _, name = spec.partition(":")
    else:
        return None
    return [f"impl = mmap if '--stdlib' in sys.argv else importlib.import_module({module!r})",
            "factory = impl.mmap" if name == "mmap" else
            f"factory = mmap.mmap if impl is mmap else impl.{name}"]


def _tags(value):
    return {arg.tag for arg in o.args_in(value)}


def _guarded(lines, exc, then="pass"):
    """A step that raises on CPython, in a try (`then`: what the except does)."""
    if exc is None:
        return lines
    if len(lines) == 1:
        return [f"try: {lines[0]}", f"except {exc}: {then}"]
    return ["try:"] + ["    " + line for line in lines] + [f"except {exc}: {then}"]


# -- each op as plain lines ------------------------------------------------------------------------

def _sparse(setup):
    """A sparse file's pieces written at their offsets and its length set (ops.OpenSparse)."""
    lines = [f"os.lseek(fd, {at}, 0); os.write(fd, {o.py(bytes.fromhex(piece))})"
             for at, piece in setup.get("pieces", ())]
    if setup.get("size") is not None:
        lines.append(f"os.ftruncate(fd, {setup['size']})  # sparse: only the pages written take room")
    return lines


def _say(op, opened, has_file, viewed=False):
    """(lines, value): the op as statements, and the expression of its outcome (None where the
    outcome is None by construction); `opened`: a map is open from before, `has_file`: over a
    file, `viewed`: views were taken of it."""
    n, a = op.name, op.args
    if n == "open":
        setup = a[0]
        lines = []
        if opened:  # the scenario before ends, as the suite ends it
            lines.append("[v.release() for v in views]; views = []; m.close()" if viewed
                         else "m.close()")
        if setup is not None:
            lines.append(f"fd, path = tempfile.mkstemp(); os.write(fd, {o.py(bytes.fromhex(setup['data']))})")
            lines += _sparse(setup)
            if setup.get("mode", "r+") != "r+":
                lines.append(f"os.close(fd); fd = os.open(path, {MODES[setup['mode']]})")
        line = _plain(op.py())
        if "closed_fd" in line:  # a number free right when the map is made
            lines.append("closed_fd = os.open(os.devnull, os.O_RDONLY); os.close(closed_fd)")
        return lines + [line], None
    if n == "apply":
        return _helper(a[0], list(a[1]), has_file)
    if n == "file_write":
        return [f"os.lseek(fd, {a[0]}, 0)"], f"os.write(fd, {o.py(a[1])})"
    if n == "end":
        return ["[v.release() for v in views]"], "m.close()"
    if n == "module_attr":
        return [], f"mmap.{a[0]}"
    line = _plain(op.py())
    if n in ("setitem", "delitem", "export", "release", "view_set", "file_truncate", "open2",
             "set2"):
        return [line], None
    return [], line


def _plain(line):
    """An op's line with the suite's helper names spelled out."""
    return (line.replace("views.append(export(m))", "views.append(memoryview(m))")
            .replace("bytes(export(m))", "bytes(memoryview(m))")
            .replace("closed_fd()", "closed_fd")
            .replace("os.open(WORK, os.O_RDONLY)", "os.open(tempfile.gettempdir(), os.O_RDONLY)"))


def _helper(what, args, has_file):
    """(lines, value) of an `apply` helper (impls/executor.py Executor.helper), written out."""
    form = HELPER_FORMS.get(what)
    a = _HelperArgs(args, has_file)
    if form is None:
        raise ValueError(f"no plain form for helper {what!r}")
    return form(a)


class _HelperArgs:
    """An `apply` helper's arguments as its plain form spells them: `p` each one's Python, `q`
    the same padded (where a form names arguments its helper may not take), `values` as the
    helper takes them (text as a str), `all` all of them, `trackfd` its keyword or nothing."""

    def __init__(self, args, has_file):
        self.p = [o.py(x) for x in args]
        self.values = [x.value if isinstance(x, o.Arg) and x.tag == "text" else x for x in args]
        self.q = self.p + [""] * 3
        self.all = ", ".join(self.p)
        self.trackfd = ("" if len(self.values) < 2 or self.values[-1] is None
                        else f", trackfd={self.p[-1]}")
        self.has_file = has_file


def _consumed(value, *lines):
    """A buffer consumer's form: `target` is a view of the map (the map itself once closed)."""
    return CONSUMER + list(lines), value


def _binop(a):
    op, other = a.values[0], a.p[1]
    if op.lstrip("r") not in BINOPS:
        raise ValueError(f"unknown operator {op!r}")
    return [], f"{other} {op[1:]} m" if op.startswith("r") else f"m {op} {other}"


def _drop_fds(a):
    p = a.p
    if a.values[1]:
        return [f"before = {FDS}", f"maps = [factory(fd, 0{a.trackfd}) for _ in range({p[0]})]",
                f"held = {FDS} - before", "del maps[:]; gc.collect()"], f"[held, {FDS} - before]"
    return [f"before = {FDS}", f"for _ in range({p[0]}): factory(fd, 0{a.trackfd})",
            "gc.collect()"], f"[None, {FDS} - before]"


# Each helper's plain form: (lines, value) from its _HelperArgs.
HELPER_FORMS = {
    # an expression
    "hash": lambda a: ([], "hash(m) == object.__hash__(m)"),
    "weakref": lambda a: ([], "weakref.ref(m)() is m"),
    "gc_tracked": lambda a: ([], "gc.is_tracked(m)"),
    "is_sequence": lambda a: ([], "isinstance(m, collections.abc.Sequence)"),
    "sizeof": lambda a: ([], "isinstance(m.__sizeof__(), int)"),
    "iter_type": lambda a: ([], "type(iter(m)).__name__"),
    "next_iter": lambda a: ([], "next(iter(m))"),
    "hasattr": lambda a: ([], f"hasattr(m, {a.q[0]})"),
    "is_buffer": lambda a: ([], "isinstance(m, collections.abc.Buffer) if hasattr(collections.abc, "
                                "'Buffer') else hasattr(type(m), '__buffer__')"),
    "binop": _binop,
    # a statement
    "pickle": lambda a: ([f"pickle.dumps(m, {a.all})"], None),
    "copy": lambda a: (["copy.copy(m)"], None),
    "deepcopy": lambda a: (["copy.deepcopy(m)"], None),
    "reduce_ex": lambda a: ([f"m.__reduce_ex__({a.all})"], None),
    "from_buffer": lambda a: (["ctypes.c_char.from_buffer(m)"], None),
    "close_fd": lambda a: (["os.close(fd)"], None),
    "setattr": lambda a: ([f"setattr(m, {a.all})"], None),
    # a buffer consumer
    "int": lambda a: _consumed("int(target)"),
    "bytearray": lambda a: _consumed("bytes(bytearray(target))"),
    "md5": lambda a: _consumed("hashlib.md5(target).hexdigest()"),
    "unpack_from": lambda a: _consumed(
        f"list(struct.unpack_from({', '.join([a.q[0], 'target'] + a.p[1:])}))"),
    "view_info": lambda a: _consumed(
        "[target.format, target.itemsize, target.ndim, list(target.shape), target.readonly]"),
    "re_search": lambda a: _consumed("None if found is None else [found.start(), found.end()]",
                                     f"found = re.search({a.p[0]}, target)"),
    # a few lines
    "dunder_buffer": lambda a: (["v = m.__buffer__(0)"], "[type(v).__name__, len(v)]"),
    "subclass": lambda a: (["class Sub(factory):", "    __slots__ = ('seen',)",
                            "    def __init__(self, *a, **k): self.seen = len(a)",
                            f"sub = Sub(-1, {a.all})"],
                           "[isinstance(sub, factory), len(sub), sub.seen]"),
    "fork_set": lambda a: (["pid = os.fork()", "if pid == 0:  # the child assigns, the parent reads",
                            f"    try: m[{a.p[0]}] = {a.p[1]}", "    finally: os._exit(0)",
                            "os.waitpid(pid, 0)"], f"m[{a.p[0]}]"),
    "audit_new": lambda a: (["events = []", "sys.addaudithook(lambda e, a: e == 'mmap.__new__' "
                             "and events.append(list(a)))", f"factory(-1, {a.all}).close()"],
                            "events"),
    "fd_growth": lambda a: ([f"before = {FDS}",
                             f"maps = [factory(fd, 0{a.trackfd}) for _ in range({a.p[0]})]"],
                            f"{FDS} - before"),
    "drop_fds": _drop_fds,
    "drop_anon": lambda a: ([f"before = {VMSIZE}", f"for _ in range({a.p[0]}): factory(-1, {a.p[1]})",
                             "gc.collect()"], f"{VMSIZE} - before < {a.p[2]}"),
    "large_offset": lambda a: (["big = tempfile.mkstemp()[1]",
                                f"with open(big, 'wb') as f: f.seek({a.p[0]}); f.write(b'XYZ'); "
                                f"f.truncate({a.p[0]} + 8192)",
                                "fd_big = os.open(big, os.O_RDWR); os.remove(big)  # the map keeps it",
                                f"big = factory(fd_big, 4096, offset={a.p[0]})"],
                               "[big[:3], len(big), big.size()]"),
    "drop": lambda a: (["del m; gc.collect()"],
                       "open(path, 'rb').read()" if a.has_file else "None"),
    "drop_mapped": lambda a: ([f"before = {MAPPED}", "del m; gc.collect()"],
                              f"[before > 0, {MAPPED}]"),
}


# -- the last step, checked -------------------------------------------------------------------------

def _check(record, lines, value, cpython, py2=False):
    """The last step (`lines`, then its outcome `value`) with CPython's outcome checked
    (`py2`: on Python 2, where an OSError of mmap's is an EnvironmentError)."""
    out = record["expected"].get("out") or [""]
    if out[0] == "exc":
        return _check_raises(record, lines + ([value] if value else []), cpython, py2)
    return _check_outcome(record, lines, value, cpython)


def _check_raises(record, step, cpython, py2):
    """The last step's statements `step`, where CPython raises."""
    expected, fields = record["expected"], record["fields"]
    name, code = expected["out"][1], expected["out"][2]
    name = "EnvironmentError" if py2 and name == "OSError" else name
    body = ["try: " + step[0]] if len(step) == 1 else ["try:"] + ["    " + line for line in step]
    if "out" not in fields and set(fields) - {"crash", "protocol", "hang"}:
        # Both raise; the state left after differs.
        return body + [f"except {name}: pass"] + _states(fields, expected, cpython) + \
            _read_back(record)
    if isinstance(code, (int, str)):
        want = f"errno.{code}" if isinstance(code, str) else str(code)
        caught = (f"except {name} as e: assert e.errno == {want}, "
                  f"({f'{cpython}: {name} [errno {code}]'!r}, e)")
    else:
        caught = f"except {name}: print({f'{name}, as on {cpython}'!r})"
    # A crash shows when the map is read back, as the suite does after each step: before
    # saying the exception is missing (a map grown past its pages dies there), and after
    # it (a map over a file truncated under it).
    back = "m[:]; " if _read_back(record) else ""
    return body + [caught, f"else: {back}sys.exit({f'{cpython} raises {name} here'!r})"] + \
        _read_back(record)


def _check_outcome(record, lines, value, cpython):
    """The last step's `lines` and outcome `value`, where CPython returns."""
    expected, fields = record["expected"], record["fields"]
    out = expected.get("out") or [""]
    other = ((record.get("got") or {}).get("out") or [""])[0]
    checks = list(lines)
    if value is not None:
        compared = "out" in fields or set(fields) & {"crash", "protocol", "hang"}
        # Where the implementation raises and CPython does not, running it is the check.
        test = _value_test(out[1] if out[0] == "ok" else None) \
            if compared and other != "exc" else None
        if test is None:
            checks.append(value)
        else:
            want, assertion = test
            checks += [f"r = {value}", f"assert {assertion}, ({f'{cpython}: {want}'!r}, r)"]
    if other != "exc":  # a raise leaves the state as it is: the other fields follow from it
        checks += _states(fields, expected, cpython)
    return checks + _read_back(record)


def _value_test(value):
    """(what CPython gives, the assert's test of `r`), or None where no plain test says it."""
    if isinstance(value, dict):
        (tag, v), = value.items()
        if tag == "self":
            return "the map itself", "r is m"
        if tag == "class":
            return f"the class {v}", f"isinstance(r, type) and r.__name__ == {v!r}"
        if tag == "intsub":
            return f"an int of class {v[0]}, {v[1]}", \
                f"type(r).__name__ == {v[0]!r} and r == {v[1]!r}"
        if tag == "obj":
            return f"an object of type {v}", f"type(r).__name__ == {v!r}"
        if tag == "unencodable":
            return None
        if tag == "text" and v.startswith("<"):  # a repr, whatever its class and address
            want = _repr_form(v)
            return v, (f"re.sub(r' at 0x[0-9a-fA-F]+>$', '>', re.sub(r'^<[\\w.]+', '<mmap', r))"
                       f" == {want!r}")
    want = render(value)
    return want, f"repr(r) == {want!r}"


def _repr_form(text):
    """A repr as compare.py compares it: the class named `mmap`, no address."""
    return re.sub(r" at 0x[0-9a-fA-F.]+>$", ">", re.sub(r"^<[\w.]+", "<mmap", text))


def _states(fields, expected, cpython):
    lines = []
    for field in fields:
        if field not in ("out", "crash", "protocol", "hang"):
            lines += _state(field, expected, cpython)
    return lines


def _read_back(record):
    """For a crash, or a step where the profile's CPython itself dies: the map read back, as
    the suite reads it after every step (where a map grown past its pages dies)."""
    crash = record["kind"] == "crash" or record.get("cpython")
    if not crash or record["expected"].get("state") != "open":
        return []
    return ["m[:]  # read back, as the suite does after each step"]


def _state(field, expected, cpython):
    """Asserts of one field of the map's state after the step, as CPython leaves it."""
    value = expected.get(field)
    if field == "state":
        if value == "closed":
            return ["try: len(m)", "except ValueError: pass",
                    f"else: sys.exit({f'{cpython}: the map is closed here'!r})"]
        if value == "open":
            return [f"len(m)  # {cpython}: the map is still open"]
        return []
    if field in ("pos", "len") and type(value) is int:  # repr: True is not 1
        got = "m.tell()" if field == "pos" else "len(m)"
        return [f"assert repr({got}) == '{value}', ({f'{cpython}: {got} {value}'!r}, {got})"]
    if field in ("data", "file") and isinstance(value, str):
        got = "m[:]" if field == "data" else "open(path, 'rb').read()"
        if value.startswith(DIGEST):
            crc = value[len(DIGEST):]
            return [f"assert zlib.crc32({got}) & 0xffffffff == 0x{crc}, "
                    f"({f'{cpython}: {field} with CRC-32 {crc}'!r}, {got})"]
        data = o.py(bytes.fromhex(value))
        return [f"assert {got} == {data}, ({f'{cpython}: {field}'!r}, {got})"]
    if isinstance(value, list) and value[:1] == ["exc"]:  # reading it back raises on CPython
        got = {"pos": "m.tell()", "len": "len(m)", "data": "m[:]"}.get(field)
        if got:
            return [f"try: {got}", f"except {value[1]}: pass",
                    f"else: sys.exit({f'{cpython}: {got} raises {value[1]} here'!r})"]
    return []
