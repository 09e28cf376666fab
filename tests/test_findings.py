# SPDX-License-Identifier: MIT
"""conformance/reporting/findings.py: divergences grouped by cause, on a synthetic results document."""

from conformance.engine.compare import fields_differ
from conformance.reporting.findings import cause, diverging_clauses, findings, kind, op_name, parse


def row(impl, clause, detail, status="diverge", repro="print(1)\n"):
    return {"impl": impl, "clause": clause, "status": status, "detail": detail, "repro": repro}


ROWS = [
    # One cause, three clauses: resize always fails.
    row("wasm", "resize.grow", "step 3 m.resize(5): expected returns None, got raises OSError "
        "[errno ENOMEM]: [Errno 48] Out of memory (out, len 5 vs 10, data at byte 5: b'' vs "
        "b'\\x00' (5 vs 10 bytes) differ)", repro="long script " * 20),
    row("wasm", "resize.shrink", "step 2 m.resize(0): expected returns None, got raises "
        "OSError [errno ENOMEM]: [Errno 48] Out of memory (out differ)", repro="short\n"),
    row("wasm", "doc.resize.map-and-file", "step 4 m.resize(8192): expected returns None, got "
        "raises OSError [errno ENOMEM]: x (out differ)"),
    # The same op with another outcome pair is another cause.
    row("wasm", "resize.negative", "step 2 m.resize(-1): expected raises ValueError: new size "
        "out of range, got raises OSError [errno EINVAL]: bad (out differ)"),
    # A missing module attribute, whatever op reached it.
    row("wasm", "mod.consts", "step 1 mmap.MAP_STACK: expected returns 131072, got raises "
        "AttributeError: module 'mmap' has no attribute 'MAP_STACK' (out differ)"),
    row("wasm", "ctor.flags", "step 1 m = factory(-1, 10, flags=mmap.MAP_32BIT): expected "
        "returns None, got raises AttributeError: module 'mmap' has no attribute 'MAP_32BIT' "
        "(out, state open vs none differ)"),
    # An attribute of the map: its own finding.
    row("wasm", "mod.type", "step 2 m.madvise(1): expected returns None, got raises "
        "AttributeError: 'M' object has no attribute 'madvise' (out differ)"),
    # Outcomes agree, the position does not.
    row("wasm", "seek.end", "step 2 m.seek(0, 2): expected returns None, got returns None "
        "(pos 10 vs 9 differ)"),
    # The expected message itself says ", got".
    row("wasm", "buffer.re-closed", "step 3 list(re.search(b'1', m).span()): expected raises "
        "TypeError: expected string or bytes-like object, got 'mmap.mmap', got raises "
        "ValueError: mmap closed or invalid (out differ)", status="crash"),
    row("wasm", "ok", "", status="pass"),
    # Another implementation: a constructor that raises on every scenario is one finding.
    row("naive", "ctor.anon", "step 1 m = factory(-1, 10): expected returns None, got raises "
        "TypeError: no (out, state open vs none differ)"),
    row("naive", "ctor.file", "step 1 m = factory(fd, 0, access=mmap.ACCESS_READ): expected "
        "returns None, got raises TypeError: no (out, state open vs none differ)"),
    row("naive", "ctor.bad-length", "step 1 m = factory(fd, -1): expected raises OverflowError: "
        "x, got raises TypeError: no (out differ)"),
    row("naive", "odd", "a detail from elsewhere"),
]


def test_one_finding_per_cause_with_its_clauses_and_the_shortest_reproducer():
    got = findings(ROWS, "wasm")
    titles = [f["title"] for f in got]
    assert titles[0] == "resize: expected returns None, got raises OSError"
    assert got[0]["clauses"] == ["doc.resize.map-and-file", "resize.grow", "resize.shrink"]
    assert got[0]["repro"] == "short\n" and "resize(0)" in got[0]["detail"]
    assert "the module lacks 2 attribute(s): MAP_32BIT, MAP_STACK" in titles
    missing = got[titles.index("the module lacks 2 attribute(s): MAP_32BIT, MAP_STACK")]
    assert missing["clauses"] == ["ctor.flags", "mod.consts"]
    assert "resize: expected raises ValueError, got raises OSError" in titles
    assert "seek: returns None as required, but pos differ" in titles
    crash = got[titles.index("list: expected raises TypeError, got raises ValueError")]
    assert crash["status"] == "crash"
    assert "no attribute 'madvise' (raises AttributeError)" in titles
    assert len(got) == 6 and len(diverging_clauses(ROWS, "wasm")) == 9


def test_a_constructor_raising_everywhere_is_one_finding():
    got = findings(ROWS, "naive")
    assert got[0]["title"].startswith("the constructor raises TypeError")
    assert got[0]["clauses"] == ["ctor.anon", "ctor.bad-length", "ctor.file"]
    assert got[1]["title"] == "diverge on odd"  # unreadable detail: its own finding
    assert [f["impl"] for f in findings(ROWS)] == ["wasm"] * 6 + ["naive"] * 2


def test_parts_of_a_detail():
    d = parse("step 2 m[1:3] = b'ab': expected returns None, got returns None "
              "(pos 0 vs 1, data at byte 1: b'a' vs b'b' differ)")
    assert d["code"] == "m[1:3] = b'ab'" and d["fields"] == ["pos", "data"]
    assert cause(row("x", "c", "step 1 m.find(b''): expected returns 1, got returns 0 "
                     "(out differ)"))[1] == "find: returns int, but another value"
    assert [op_name(c) for c in ("del m[0]", "m[0]", "b'1' in m", "m.size()", "mmap.PAGESIZE",
                                 "pickle.dumps(m, 2)", "m.read(Index(1, lambda: m.close()))",
                                 "views.append(memoryview(m))",
                                 "(lambda v: [v.ndim, v.readonly])(memoryview(m))")] \
        == ["__delitem__", "__getitem__", "__contains__", "size", "mmap.PAGESIZE",
            "pickle.dumps", "an __index__ that closes the map", "memoryview", "memoryview"]
    assert [kind(k) for k in ("returns b'x'", "returns 'x'", "returns [1]", "returns 3.0",
                              "returns True", "crashed (SIGBUS)", "raises OSError [errno X]: y")] \
        == ["returns bytes", "returns str", "returns list", "returns float", "returns bool",
            "crashed (SIGBUS)", "raises OSError"]


def test_a_divergence_shows_the_values_that_differ():
    expected = {"out": ["ok", None], "state": "open", "len": 4, "pos": 3, "data": "61626364"}
    got = {"out": ["ok", None], "state": "open", "len": 4, "pos": 5, "data": "61626564"}
    assert fields_differ(expected, got, ["pos", "data"]) == \
        "pos 3 vs 5, data at byte 2: b'cd' vs b'ed' differ"
    assert fields_differ({"state": "open"}, {"state": "closed"}, ["state"]) == \
        "state open vs closed differ"


def _row(impl, clause, steps, expected, got, fields, origin="implementation"):
    from conformance.engine.finding import STATUS, kind, record

    rec = dict(record(impl, steps, expected, got, fields, clause), origin=origin)
    return {"impl": impl, "clause": clause, "status": STATUS[kind(got)], "detail": "",
            "repro": "x", "finding": rec}


def test_findings_are_grouped_from_their_records_and_the_hosts_apart():
    """Rows with finding records group by the op and outcome kinds (no detail line is read);
    what the host does too is a finding of its own, listed after the implementation's."""
    from conformance.engine import ops as o

    none, four = {"out": ["ok", None]}, {"out": ["ok", 4]}
    crash = {"crash": 7, "signal": "SIGBUS"}
    oserror = {"out": ["exc", "OSError", 22, "Invalid argument"]}
    rows = [
        _row("i", "seek.return", [o.Open(b"ab"), o.Seek(1)], none, four, ["out"]),
        _row("i", "seek.whence", [o.Open(b"abc"), o.Seek(0, 2)], none, four, ["out"]),
        _row("i", "resize.zero-file", [o.Open(b"ab"), o.Resize(0)], oserror, crash, ["crash"],
             origin="host"),
        {"impl": "i", "clause": "read", "status": "pass"},
    ]
    found = findings(rows)
    assert [f["title"] for f in found] == [
        "seek: expected returns None, got returns int",
        "resize: expected raises OSError, got crashes (the host's own mmap does it too)"]
    assert found[0]["clauses"] == ["seek.return", "seek.whence"]
    assert found[0]["identities"] == ["seek @ seek.return: returns None, got returns int",
                                      "seek @ seek.whence: returns None, got returns int"]
    assert found[1]["origin"] == "host" and found[1]["status"] == "crash"
