// SPDX-License-Identifier: MIT
// Runs one stdlib-only Python script inside Pyodide under node, so benchmarks time Pyodide's
// own mmap the way they time CPython's and PyPy's.
// Usage: node run_in_pyodide.js PYODIDE_DIR SCRIPT.py [ARGS...]  (the script's stdout is ours)
"use strict";

const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");

async function main([dir, script, ...args]) {
  if (!dir || !script) {
    process.stderr.write("usage: node run_in_pyodide.js PYODIDE_DIR SCRIPT.py [ARGS...]\n");
    return 2;
  }
  const { loadPyodide } = await import(pathToFileURL(path.join(dir, "pyodide.mjs")).href);
  const pyodide = await loadPyodide({
    indexURL: dir + path.sep,
    stdout: (s) => process.stdout.write(s + "\n"),
    stderr: (s) => process.stderr.write(s + "\n"),
  });
  const home = "/home/pyodide/bench";
  pyodide.FS.mkdirTree(home);
  const target = `${home}/${path.basename(script)}`;
  pyodide.FS.writeFile(target, fs.readFileSync(script, "utf8"));
  pyodide.globals.set("_argv", pyodide.toPy([target, ...args]));
  pyodide.runPython(`
import runpy, sys
sys.argv = list(_argv)
runpy.run_path(sys.argv[0], run_name="__main__")
`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(String(err && err.message ? err.message : err).split("\n").slice(-3).join("\n") + "\n");
    process.exit(1);
  },
);
