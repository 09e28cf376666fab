# SPDX-License-Identifier: MIT
"""The op vocabulary: one small frozen value per operation, shared by every adapter, the worker,
the state machine, the clause tests and the reproducers.

An op knows the clauses it exercises, its JSON form (`[name, args]`, which impls/executor.py
applies) and how to print itself as one line of Python for a reproducer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# -- argument values that are not plain JSON --------------------------------------------------


@dataclass(frozen=True)
class Arg:
    """An argument the executor builds on its side (so it can refer to the live map)."""

    tag: str
    value: Any = None

    def json(self):
        return {self.tag: self.value}

    def py(self):
        t, v = self.tag, self.value
        return {
            "idx": lambda: f"Index({v})",
            "fdidx": lambda: "Index(fd)",
            "closer": lambda: f"Index({v}, lambda: {action_py(self)})",
            "resizer": lambda: f"Index({v[1]}, lambda: {action_py(self)})",
            "seeker": lambda: f"Index({v[1]}, lambda: {action_py(self)})",
            "writer": lambda: f"Index({v[2]}, lambda: {action_py(self)})",
            "exporter": lambda: f"Index({v}, lambda: {action_py(self)})",
            "rebuf": lambda: f"Buffer({_bytes_py(bytes.fromhex(v[0]))}, lambda: {action_py(decode(v[1]))})",
            "text": lambda: repr(v),
            "float": lambda: repr(float(v)),
            "const": lambda: f"mmap.{v}",
            "fd": lambda: {"file": "fd", "closed": "closed_fd()", "pipe": "os.pipe()[0]",
                           "dir": "os.open(WORK, os.O_RDONLY)",
                           "devzero": "os.open('/dev/zero', os.O_RDWR)"}.get(v, repr(v)),
            "self": lambda: "m",
            "other": lambda: "m2",
            "selfmv": lambda: f"memoryview(m)[{v[0]}:{v[1]}]",
            "ba": lambda: f"bytearray({_bytes_py(bytes.fromhex(v))})",
            "mv": lambda: f"memoryview({_bytes_py(bytes.fromhex(v))})",
            # Every other byte of a buffer twice as long: a view that is not C-contiguous.
            "nc": lambda: f"memoryview({_bytes_py(bytes(b for x in bytes.fromhex(v) for b in (x, 0)))})[::2]",
        }[t]()

    def __repr__(self):
        return self.py()


def Index(n):  # noqa: N802 - reads like the class it stands for
    return Arg("idx", n)


def Closer(n):  # noqa: N802
    """An index argument whose __index__ closes the map, then returns n."""
    return Arg("closer", n)


def Resizer(size, n):  # noqa: N802
    """An index argument whose __index__ resizes the map to `size`, then returns n."""
    return Arg("resizer", [size, n])


def Seeker(pos, n):  # noqa: N802
    """An index argument whose __index__ seeks the map to `pos`, then returns n."""
    return Arg("seeker", [pos, n])


def Writer(at, data, n):  # noqa: N802
    """An index argument whose __index__ writes `data` into the map at `at` (slice assignment,
    the position untouched), then returns n."""
    return Arg("writer", [at, bytes(data).hex(), n])


def Exporter(n):  # noqa: N802
    """An index argument whose __index__ exports a view of the map (held until the op ends),
    then returns n."""
    return Arg("exporter", n)


def ReBuffer(data, via):  # noqa: N802
    """A bytes-like argument (PEP 688, 3.12+) whose __buffer__ first does what the re-entrant
    index argument `via` does (close, resize, seek, write), then exports `data`."""
    return Arg("rebuf", [bytes(data).hex(), via.json()])


# What a re-entrant argument does to the map `m` before it converts, as Python.
ACTIONS = {
    "closer": lambda v: "m.close()",
    "resizer": lambda v: f"m.resize({v[0]})",
    "seeker": lambda v: f"m.seek({v[0]})",
    "writer": lambda v: f"m.__setitem__(slice({v[0]}, {v[0] + len(v[1]) // 2}), "
                        f"{_bytes_py(bytes.fromhex(v[1]))})",
    "exporter": lambda v: "arg_views.append(memoryview(m))",  # released when the op ends
}
REENTRANT = (*ACTIONS, "rebuf")  # the tags of arguments that act on the map as they convert


def stands_for(value):
    """The int a re-entrant index argument converts to (anything else: itself)."""
    if isinstance(value, Arg) and value.tag in ACTIONS:
        return value.value if value.tag in ("closer", "exporter") else value.value[-1]
    return value


def action_py(arg):
    return ACTIONS[arg.tag](arg.value)


def Text(s):  # noqa: N802
    return Arg("text", s)


def Float(x):  # noqa: N802
    return Arg("float", x)


def Const(name):  # noqa: N802
    return Arg("const", name)


FD = Arg("fd", "file")
FD_INDEX = Arg("fdidx")  # the file's descriptor, as an __index__ object
CLOSED_FD = Arg("fd", "closed")
PIPE_FD, DIR_FD, DEVZERO_FD = Arg("fd", "pipe"), Arg("fd", "dir"), Arg("fd", "devzero")
SELF = Arg("self")
OTHER = Arg("other")  # the second map (Open2)


def SelfView(start, stop):  # noqa: N802
    return Arg("selfmv", [start, stop])


def ByteArray(data):  # noqa: N802
    return Arg("ba", data.hex())


def MemView(data):  # noqa: N802
    return Arg("mv", data.hex())


def NonContiguous(data):  # noqa: N802
    return Arg("nc", data.hex())


def encode(v):
    if isinstance(v, Arg):
        return v.json()
    if isinstance(v, (bytes, bytearray)):
        return {"b": bytes(v).hex()}
    if isinstance(v, slice):
        return {"slice": encode([v.start, v.stop, v.step])}
    if isinstance(v, (list, tuple)):
        return [encode(x) for x in v]
    if isinstance(v, dict):
        return {k: encode(x) for k, x in v.items()}
    if isinstance(v, float):
        return {"float": v}
    if isinstance(v, str):
        return {"text": v}
    return v


# The tags of Arg values (encode() writes a one-key dict for each); "b", "slice", "float" and
# "text" are plain values' tags.
ARG_TAGS = ("idx", "fdidx", "closer", "resizer", "seeker", "writer", "exporter", "rebuf", "text", "float", "const", "fd", "self", "other",
            "selfmv", "ba", "mv", "nc")


def args_in(value):
    """Every Arg inside `value` (an op's arguments), at any depth of lists, tuples, dicts and
    slice bounds."""
    found, todo = [], [value]
    while todo:
        item = todo.pop()
        if isinstance(item, Arg):
            found.append(item)
            if item.tag == "rebuf":  # and the action it does first
                todo.append(decode(item.value[1]))
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
        elif isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, slice):
            todo.extend((item.start, item.stop, item.step))
    return found


def decode(v):
    """The value encode() wrote: bytes, slices, tagged arguments, lists and dicts of them. A str
    or float comes back as its Arg ("text", "float"), which encodes and prints the same."""
    if isinstance(v, list):
        return [decode(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1:
            (tag, value), = v.items()
            if tag == "b":
                return bytes.fromhex(value)
            if tag == "slice":
                return slice(*decode(value))
            if tag in ARG_TAGS:
                return Arg(tag, value)
        return {k: decode(x) for k, x in v.items()}
    return v


def _bytes_py(b):
    """Bytes as Python source; a long repeating pattern stays short."""
    b = bytes(b)
    if len(b) > 48:
        for period in range(1, 17):
            if b == (b[:period] * (len(b) // period + 1))[:len(b)]:
                reps, rest = divmod(len(b), period)
                tail = f" + {b[:rest]!r}" if rest else ""
                return f"{b[:period]!r} * {reps}{tail}"
    return repr(b)


def py(v):
    """One Python expression for a harness value."""
    if isinstance(v, Arg):
        return v.py()
    if isinstance(v, (bytes, bytearray)):
        return _bytes_py(v)
    if isinstance(v, slice):
        parts = ["" if x is None else py(x) for x in (v.start, v.stop)]
        return ":".join(parts) + ("" if v.step is None else ":" + py(v.step))
    return repr(v)


def call_args(args, kwargs):
    return ", ".join([py(a) for a in args] + [f"{k}={py(x)}" for k, x in kwargs.items()])


# -- the clauses each method exercises, primary clause first -----------------------------------

METHOD_CLAUSES = {
    "read": ("read.n", "read.all", "read.eof", "read.type", "read.index"),
    "read_byte": ("read_byte",),
    "readline": ("readline",),
    "write": ("write.basic", "write.past-end", "write.readonly", "write.bytes-like", "write.type"),
    "write_byte": ("write_byte.int", "write_byte.eof", "write_byte.readonly", "write_byte.range"),
    "seek": ("seek.whence", "seek.return", "seek.oob", "seek.whence-bad"),
    "tell": ("tell",),
    "seekable": ("seekable",),
    "size": ("size.file", "size.anon"),
    "resize": ("resize.file-grow", "resize.file-shrink", "resize.readonly-copy",
               "resize.anon-shared-grow", "resize.past-pos", "buffer.resize-exported"),
    "move": ("move.basic", "move.bounds", "move.readonly", "move.zero"),
    "flush": ("flush.return", "flush.range", "flush.unaligned", "flush.range-check"),
    "find": ("find.basic", "find.default-start", "find.slice-args", "find.empty"),
    "rfind": ("rfind.basic", "find.slice-args", "find.empty"),
    "madvise": ("madvise.ok", "madvise.start", "madvise.length"),
    "set_name": ("set_name", "set_name.args"),
    "close": ("close.idempotent", "buffer.close-exported"),
}

NAME_CLAUSES = {
    "open": ("ctor.file.length0",),
    "getitem": ("getitem.int", "getitem.neg", "getitem.oob", "getitem.slice", "getitem.slice-step"),
    "setitem": ("setitem.int", "setitem.oob", "setslice", "setslice.wrong-size", "setitem.readonly"),
    "delitem": ("delitem",),
    "len": ("len",),
    "bool": ("bool",),
    "repr": ("repr.open", "repr.closed"),
    "closed": ("closed.attr",),
    "list": ("iter.bytes",),
    "reversed": ("reversed.bytes",),
    "contains": ("contains",),
    "enter": ("ctx",),
    "exit": ("ctx",),
    "bytes": ("buffer.consumers",),
    "export": ("buffer.memoryview",),
    "release": ("buffer.memoryview",),
    "view_set": ("buffer.write-through",),
    "view_get": ("buffer.view-live",),
    "view_slice": ("buffer.view-slice",),
    "iter_make": ("iter.live", "reversed.live", "iter.after-close"),
    "iter_next": ("iter.live", "reversed.live", "iter.after-close"),
    "iter_drop": ("iter.live",),
    "file_write": ("access.shared-coherent",),
    "file_truncate": ("size.file",),
    "open2": ("access.shared-coherent",),
    "get2": ("access.shared-coherent", "access.COPY"),
    "set2": ("access.shared-coherent", "access.COPY"),
    "close2": ("access.shared-coherent",),
    "end": ("close.idempotent", "access.WRITE", "access.COPY"),
    "module_attr": ("mod.access-consts", "mod.map-consts", "mod.error-alias"),
    "apply": (),
}

# What each `apply` helper (impls/executor.py Executor.helper) does, as Python for reproducers;
# {0}, {1}... are its arguments. Its clause is the helper's name where the catalogue has one.
HELPERS = {
    "int": ("int(consumer_target(m))", ("int-buffer",)),
    "hash": ("hash(m) == object.__hash__(m)", ("hash",)),
    "weakref": ("weakref.ref(m)() is m", ("weakref",)),
    "gc_tracked": ("gc.is_tracked(m)", ("mod.gc",)),
    "pickle": ("pickle.dumps(m, {0})", ("pickle",)),
    "copy": ("copy.copy(m)", ("pickle",)),
    "deepcopy": ("copy.deepcopy(m)", ("pickle",)),
    "reduce_ex": ("m.__reduce_ex__({0})", ("pickle",)),
    "bytearray": ("bytes(bytearray(consumer_target(m)))", ("buffer.consumers",)),
    "md5": ("hashlib.md5(consumer_target(m)).hexdigest()", ("buffer.consumers",)),
    "unpack_from": ("list(struct.unpack_from({0}, consumer_target(m), {1}))", ("buffer.consumers",)),
    "re_search": ("list(re.search({0}, consumer_target(m)).span())", ("buffer.consumers",)),
    "view_info": ("(lambda v: [v.format, v.itemsize, v.ndim, list(v.shape), v.readonly])"
                  "(consumer_target(m))",
                  ("buffer.memoryview",)),
    "is_buffer": ("isinstance(m, collections.abc.Buffer)", ("dunder-buffer",)),
    "is_sequence": ("isinstance(m, collections.abc.Sequence)", ("not-sequence-abc",)),
    "dunder_buffer": ("len(m.__buffer__(0))", ("dunder-buffer",)),
    "from_buffer": ("ctypes.c_char.from_buffer(m)", ("buffer.writable-request-ro",)),
    "hasattr": ("hasattr(m, {0})", ("mod.methods",)),
    "setattr": ("setattr(m, {0}, {1})", ("mod.type",)),
    "binop": ("binop({0}, m, {1})", ("eq.identity",)),
    "sizeof": ("isinstance(m.__sizeof__(), int)", ("after-close.ok",)),
    "iter_type": ("type(iter(m)).__name__", ("iter.bytes",)),
    "next_iter": ("next(iter(m))", ("iter.closed",)),
    "subclass": ("subclass_of(factory)(-1, {0})", ("ctor.subclass",)),
    "fork_set": ("fork_set(m, {0}, {1})", ("ctor.anon.shared-fork",)),
    "audit_new": ("audit_new(factory, {0})", ("ctor.audit",)),
    "close_fd": ("os.close(fd)", ("ctor.fd-dup",)),
    "fd_growth": ("fd_growth(factory, fd, {0}, {1})", ("trackfd.no-dup",)),
    "drop_fds": ("drop_fds(factory, fd, {0}, {1}, {2})", ("del.fd-closed",)),
    "drop_anon": ("drop_anon(factory, {0}, {1}, {2})", ("del.no-memory-growth",)),
    "large_offset": ("large_offset(factory, {0})", ("ctor.large-offset",)),
    "drop": ("drop_map()", ("del.unmaps",)),
    "drop_mapped": ("drop_mapped()", ("del.unmaps",)),
}

# -- ops -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    name: str
    args: tuple = ()
    clauses: tuple = field(default=(), compare=False)

    def clause(self, expected):
        """The clause this step lands on: the one the reference names in its observation
        `expected` (the check that fired, or the branch taken), else this op's primary one."""
        return expected.get("clause") or (self.clauses[0] if self.clauses else self.name)

    def json(self):
        """The op as workers and the reference take it; made once (a soak sends each op to the
        reference and to the worker), and read only."""
        made = self.__dict__.get("_json")
        if made is None:
            made = self._encoded()
            object.__setattr__(self, "_json", made)
        return made

    def _encoded(self):
        if self.name in ("open", "call"):  # a raw head (file setup / method name), then values
            head, args, kwargs = self.args
            return [self.name, [head, encode(list(args)), encode(kwargs)]]
        if self.name in ("apply", "module_attr"):  # a raw helper or attribute name first
            return [self.name, [self.args[0], *encode(list(self.args[1:]))]]
        return [self.name, encode(list(self.args))]

    def py(self):
        """This op as one line of Python, in a script where the map is `m` and its file `fd`."""
        a = self.args
        n = self.name
        if n == "open":
            setup, args, kwargs = a
            return f"m = factory({call_args(args, kwargs)})"
        if n == "call":
            method, args, kwargs = a
            return f"m.{method}({call_args(args, kwargs)})"
        if n == "apply":
            return HELPERS[a[0]][0].format(*[py(x) for x in a[1]])
        simple = {
            "module_attr": lambda: f"mmap.{a[0]}",
            "getitem": lambda: f"m[{py(a[0])}]",
            "setitem": lambda: f"m[{py(a[0])}] = {py(a[1])}",
            "delitem": lambda: f"del m[{py(a[0])}]",
            "len": lambda: "len(m)",
            "bool": lambda: "bool(m)",
            "repr": lambda: "repr(m)",
            "closed": lambda: "m.closed",
            "list": lambda: "list(m)",
            "reversed": lambda: "list(reversed(m))",
            "contains": lambda: f"{py(a[0])} in m",
            "enter": lambda: "m.__enter__() is m",
            "exit": lambda: f"m.__exit__({call_args(a, {})})",
            "bytes": lambda: "bytes(export(m))",
            "export": lambda: "views.append(export(m))",
            "release": lambda: f"views.pop({a[0]}).release()",
            "view_set": lambda: f"views[{a[0]}][{a[1]}] = {py(a[2])}",
            "view_get": lambda: (f"views[{a[0]}][{py(a[1])}]" if not isinstance(a[1], slice)
                                 else f"bytes(views[{a[0]}][{py(a[1])}])"),
            "view_slice": lambda: f"views.append(views[{a[0]}][{py(a[1])}])",
            "iter_make": lambda: f"its.append({'reversed' if a[0] else 'iter'}(m))",
            "iter_next": lambda: (f"next(its[{a[0]}])" if a[1] == 1
                                  else f"list(itertools.islice(its[{a[0]}], {a[1]}))"),
            "iter_drop": lambda: f"del its[{a[0]}]",
            "file_write": lambda: f"pwrite(fd, {py(a[1])}, {a[0]})",
            "file_truncate": lambda: f"os.ftruncate(fd, {a[0]})",
            "open2": lambda: f"m2 = factory({call_args((FD, *a[0]), a[1])})",
            "get2": lambda: "m2[:]",
            "set2": lambda: f"m2[{a[0]}:{a[0] + len(a[1])}] = {py(a[1])}",
            "close2": lambda: "m2.close()",
            "end": lambda: "release_all(views); m.close()",
        }
        return simple[n]()

    def __repr__(self):
        return self.py()


def from_json(payload):
    """The Op whose json() is `payload` (a known finding's stored steps): the inverse of
    Op.json(), with each op's clauses as its maker gives them."""
    name, args = payload
    if name == "open":
        setup, values, kwargs = args
        return OpenRaw(setup, decode(values), decode(kwargs))
    if name == "call":
        method, values, kwargs = args
        return Call(method, *decode(values), **decode(kwargs))
    if name == "apply":
        return Apply(args[0], *decode(args[1]))
    if name == "module_attr":
        return ModuleAttr(args[0])
    if name == "open2":
        values, kwargs = decode(args)
        return Open2(*values, **kwargs)
    if name == "iter_make":
        return IterMake(*args)
    if name == "iter_next":
        return IterNext(*args)
    if name not in NAME_CLAUSES:
        raise ValueError(f"not an op: {name!r}")
    return Op(name, tuple(decode(args)), NAME_CLAUSES[name])


def Open(data=None, length=0, *args, mode="r+", fileno=None, **kwargs):  # noqa: N802
    """Start a scenario: `data` is the file's bytes (None: anonymous map on fileno -1)."""
    setup = None if data is None else {"data": bytes(data).hex(), "mode": mode}
    if fileno is None:
        fileno = -1 if data is None else FD
    clauses = ("ctor.anon",) if data is None else NAME_CLAUSES["open"]
    return Op("open", (setup, (fileno, length, *args), kwargs), clauses)


def OpenSparse(size, pieces, length=0, *args, mode="r+", **kwargs):  # noqa: N802
    """Start a scenario on a sparse file of `size` bytes (made by truncate) holding only
    `pieces`, {offset: bytes}: maps past 2**31 and 2**32 bytes that cost a few pages."""
    setup = {"data": "", "mode": mode, "size": size,
             "pieces": [[at, bytes(data).hex()] for at, data in sorted(pieces.items())]}
    return Op("open", (setup, (FD, length, *args), kwargs), NAME_CLAUSES["open"])


def OpenRaw(setup, args, kwargs):  # noqa: N802
    """A scenario's start as Open() makes it, from its parts: `setup` (the file, or None),
    the constructor's positional `args` (fileno first, or none at all) and `kwargs`."""
    return Op("open", (setup, tuple(args), kwargs),
              ("ctor.anon",) if setup is None else NAME_CLAUSES["open"])


def Call(method, *args, **kwargs):  # noqa: N802
    return Op("call", (method, args, kwargs), METHOD_CLAUSES.get(method, (method,)))


def _simple(name):
    def make(*args):
        return Op(name, args, NAME_CLAUSES[name])

    make.__name__ = name
    return make


GetItem, SetItem, DelItem = _simple("getitem"), _simple("setitem"), _simple("delitem")
Len, Bool, Repr, Closed = _simple("len"), _simple("bool"), _simple("repr"), _simple("closed")
List, Reversed, Contains = _simple("list"), _simple("reversed"), _simple("contains")
Enter, Exit, Bytes = _simple("enter"), _simple("exit"), _simple("bytes")
Export, Release, ViewSet = _simple("export"), _simple("release"), _simple("view_set")
ViewGet, ViewSlice, IterDrop = _simple("view_get"), _simple("view_slice"), _simple("iter_drop")


def IterMake(reverse=False):  # noqa: N802
    """Hold an iterator over the map: iter(m), or reversed(m) when `reverse`."""
    return Op("iter_make", (bool(reverse),), NAME_CLAUSES["iter_make"][bool(reverse):])


def IterNext(k, n=1, reverse=False):  # noqa: N802
    """Advance held iterator `k`: one next() (n == 1), else up to n (fewer: it stopped).
    `reverse` (it is a reversed() iterator) picks the clause it lands on; the executor ignores it."""
    return Op("iter_next", (k, n, bool(reverse)), NAME_CLAUSES["iter_next"][bool(reverse):])


# Primary clauses that an op maker picks from further down its NAME_CLAUSES entry (a reversed()
# iterator's IterMake and IterNext): a machine step can land on them too.
PRIMARY_VARIANTS = ("reversed.live",)


FileTruncate, Get2, Close2, End = (
    _simple("file_truncate"), _simple("get2"), _simple("close2"), _simple("end"))


def ModuleAttr(name):  # noqa: N802
    """A module attribute: a constant, `error`..."""
    return Op("module_attr", (name,), NAME_CLAUSES["module_attr"])


def Apply(helper, *args):  # noqa: N802
    """A named interaction beyond method calls: Apply("pickle", 2), Apply("binop", "==", SELF)."""
    return Op("apply", (helper, args), HELPERS[helper][1])


def FileWrite(offset, data):  # noqa: N802
    return Op("file_write", (offset, bytes(data)), NAME_CLAUSES["file_write"])


def Open2(*args, **kwargs):  # noqa: N802
    return Op("open2", (args, kwargs), NAME_CLAUSES["open2"])


def Set2(index, data):  # noqa: N802
    return Op("set2", (index, bytes(data)), NAME_CLAUSES["set2"])


def Read(*a):  # noqa: N802
    return Call("read", *a)


def Seek(*a):  # noqa: N802
    return Call("seek", *a)


def Find(*a):  # noqa: N802
    return Call("find", *a)


def Resize(*a):  # noqa: N802
    return Call("resize", *a)


def Close():  # noqa: N802
    return Call("close")
