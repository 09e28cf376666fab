// SPDX-License-Identifier: MIT
// The Pyodide worker: runs worker.py's Server (and so executor.py) inside Pyodide under node.
// Usage: node pyodide_runner.js PYODIDE_DIR MODULE:FACTORY IN_FD OUT_FD  (same protocol as worker.py)
"use strict";

const fs = require("fs");
const net = require("net");
const path = require("path");
const readline = require("readline");
const { pathToFileURL } = require("url");

const HERE = __dirname;
const HOME = "/home/pyodide/mmapconf"; // in Pyodide's MEMFS; the maps live there too (tempfile)

function send(fd, obj) {
  fs.writeSync(fd, JSON.stringify(obj) + "\n");
}

async function main(argv) {
  if (argv.length !== 4) {
    process.stderr.write("usage: node pyodide_runner.js PYODIDE_DIR MODULE:FACTORY IN_FD OUT_FD\n");
    return 2;
  }
  const [dir, spec] = argv;
  const inFd = Number(argv[2]);
  const outFd = Number(argv[3]);
  let pyodide;
  try {
    const { loadPyodide } = await import(pathToFileURL(path.join(dir, "pyodide.mjs")).href);
    // Whatever Python prints must not reach the protocol pipes; stdout is /dev/null anyway.
    pyodide = await loadPyodide({ indexURL: dir + path.sep, stdout: () => {}, stderr: (s) => process.stderr.write(s + "\n") });
  } catch (err) {
    send(outFd, { fatal: `Pyodide did not load from ${dir}: ${err.message.split("\n")[0]} (run \`python -m conformance provision --pyodide\`, or \`npm ci\` in a checkout of the project)`, about: {} });
    return 3;
  }
  pyodide.FS.mkdirTree(HOME);
  for (const name of ["executor.py", "worker.py"]) {
    pyodide.FS.writeFile(`${HOME}/${name}`, fs.readFileSync(path.join(HERE, name), "utf8"));
  }
  // One Python function per line: the same Server worker.py uses, so replies are byte-identical.
  const setup = pyodide.runPython(`
import json, os, sys
sys.path.insert(0, ${JSON.stringify(HOME)})
os.chdir(${JSON.stringify(HOME)})
import worker

def _about():
    about = worker.describe()
    about["runtime"] = "pyodide"  # implementation stays "cpython": it is CPython built for wasm
    about["pyodide"] = ${JSON.stringify(pyodide.version)}
    about["executable"] = "node " + ${JSON.stringify(process.version)}
    return about

def _start(spec):
    global _server
    try:
        _server = worker.Server(spec)
    except getattr(worker, "SpecError", ()) as exc:  # a wrong spec is a usage error, as in worker.py
        return json.dumps({"fatal": str(exc), "usage": True, "about": _about()})
    except BaseException as exc:
        return json.dumps({"fatal": "%s: %s" % (type(exc).__name__, exc), "about": _about()})
    return json.dumps({"hello": _about()})

def _handle(line):
    reply = worker.answer(_server, line)  # the request's id echoed, as worker.py does
    if reply is None:
        _server.close()
    return reply

(_start, _handle)
`);
  const start = setup.get(0);
  const handle = setup.get(1);
  const hello = start(spec);
  fs.writeSync(outFd, hello + "\n");
  if (hello.startsWith('{"fatal"')) return 3;

  // A socket, not fs.createReadStream: a blocking pipe read in libuv's thread pool keeps node
  // from exiting until the parent writes again.
  const input = new net.Socket({ fd: inFd, readable: true, writable: false });
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const reply = handle(line); // a Python exception propagates: the worker dies, like worker.py
    if (reply === undefined || reply === null) return 0;
    fs.writeSync(outFd, reply + "\n");
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
    process.exit(1);
  },
);
