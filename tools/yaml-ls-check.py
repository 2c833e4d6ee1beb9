#!/usr/bin/env python3
"""Show with the real yaml-language-server that a `perfplan init` plan is checked as you type, offline.

    tools/yaml-ls-check.py [--perfplan PATH]
    tools/yaml-ls-check.py --install      # only install the server (if missing); print its entry script

Installs the npm package yaml-language-server (version pinned below) into the perfplan cache if it is
missing, runs `perfplan init` in a temporary folder, starts the server over stdio and speaks LSP to it
(initialize, didOpen, completion), then checks:

  (a) completion at a blank top-level line of a plan offers the plan's keys (`load`, `target`, ...);
  (b) a plan with a misspelt key (`laod:`) gets a diagnostic naming `laod`, on that line; the init plan
      itself gets none;
  (c) no network is needed: the server runs in a network namespace with no network (`unshare -rn`,
      only a downed loopback) with SchemaStore off, so the schema can only come from the file the
      plan's modeline names (`./perfplan.schema.json`, written by init). Where `unshare -rn` is refused,
      the check still runs with SchemaStore off and says that it could not cut the network.

Exit 0 when all hold, 1 on a failed check (with what was expected and what came), 2 on a setup error.

Cache: ${PERFPLAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/perfplan}/node/yaml-language-server-<version>/,
installed into a temporary folder beside it and renamed into place when complete (stamp file inside), as
tools/real-tools.sh does; a later run finds the stamp and starts at once. Needs node and npm on PATH.
"""

import argparse
import fcntl
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# 1.25.0: the newest 1.x; 2.0 needs Node.js 22.13 and CI machines have Node.js 20.
VERSION = "1.25.0"
STAMP = ".perfplan-installed"
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60.0  # seconds for any one answer; the server answers in well under a second once started


def log(message):
    print(f"yaml-ls-check: {message}", file=sys.stderr, flush=True)


def die(message, code):
    log(("FAILED: " if code == 1 else "setup error: ") + message)
    sys.exit(code)


def cache_dir():
    base = os.environ.get("PERFPLAN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "perfplan"
    )
    return Path(base) / "node"


def install():
    """The server's entry script, installing the pinned package on first use."""
    dest = cache_dir() / f"yaml-language-server-{VERSION}"
    entry = dest / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
    if (dest / STAMP).exists():
        return entry
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            die(f"'{tool}' is not on PATH (Node.js is needed to run yaml-language-server)", 2)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one install per cache; a waiter then finds the stamp
        if (dest / STAMP).exists():
            return entry
        for stale in dest.parent.glob(f"{dest.name}.tmp.*"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{dest.name}.tmp.", dir=dest.parent))
        log(f"installing yaml-language-server {VERSION} into {dest}")
        started = time.monotonic()
        npm = subprocess.run(
            ["npm", "install", "--prefix", str(tmp), "--no-audit", "--no-fund", "--ignore-scripts",
             "--loglevel=error", f"yaml-language-server@{VERSION}"],
            stdout=sys.stderr, stderr=sys.stderr,
        )
        if npm.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            die(f"npm install yaml-language-server@{VERSION} failed (exit {npm.returncode})", 2)
        (tmp / STAMP).write_text(VERSION + "\n")
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        log(f"installed in {time.monotonic() - started:.1f} s")
    return entry


class Server:
    """A language server on stdio: JSON-RPC with Content-Length framing."""

    def __init__(self, argv, settings):
        self.settings = settings
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.messages = queue.Queue()
        self.next_id = 0
        self.diagnostics = {}  # uri -> latest published list
        self.stderr = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(out.read(length)))

    def send(self, message):
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method, params):
        self.send({"method": method, "params": params})

    def request(self, method, params):
        self.next_id += 1
        wanted = self.next_id
        self.send({"id": wanted, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == wanted and "method" not in m, f"an answer to {method}")

    def wait(self, done, what):
        """Handle the server's messages until `done(message)`; return that message."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                message = self.messages.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                die(f"no {what} within {TIMEOUT:.0f} s", 1)
            if message is None:
                die(f"the server exited before {what}:\n{b''.join(self.stderr).decode(errors='replace')}", 1)
            method = message.get("method")
            if method == "textDocument/publishDiagnostics":
                self.diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
            elif method == "workspace/configuration" and "id" in message:
                items = message["params"]["items"]
                self.send({"id": message["id"], "result": [self.section(i.get("section")) for i in items]})
            elif method is not None and "id" in message:
                self.send({"id": message["id"], "result": None})  # registerCapability, progress, ...
            if done(message):
                return message

    def section(self, name):
        """The settings under a dotted section name (`yaml`), as the server asks for them."""
        value = self.settings
        for part in name.split(".") if name else []:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def diagnostics_for(self, uri):
        """Wait for the server's diagnostics of a just-opened document."""
        self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri,
                  f"diagnostics for {uri}")
        return self.diagnostics[uri]

    def stop(self):
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def network_cut():
    """`unshare -rn` when this machine lets us make a network namespace, else nothing."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-rn"]
    return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--perfplan", default=os.environ.get("PERFPLAN_BIN", str(ROOT / "target/debug/perfplan")),
                        help="the perfplan binary (default: target/debug/perfplan, which cargo test builds)")
    parser.add_argument("--install", action="store_true",
                        help="only install the pinned server if missing, and print its entry script")
    args = parser.parse_args()
    if args.install:
        print(install())
        return
    if not os.access(args.perfplan, os.X_OK):
        die(f"{args.perfplan} is not an executable perfplan (build it with cargo build)", 2)
    started = time.monotonic()
    entry = install()
    installed = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="perfplan-yaml-ls.") as tmp:
        tmp = Path(tmp)
        init = subprocess.run([args.perfplan, "init", "--tool", "k6", "--dir", str(tmp)], capture_output=True, text=True)
        if init.returncode != 0:
            die(f"perfplan init failed: {init.stderr}", 2)
        plan = (tmp / "perfplan.yaml").read_text()
        modeline = plan.splitlines()[0]
        if modeline != "# yaml-language-server: $schema=./perfplan.schema.json" or not (tmp / "perfplan.schema.json").exists():
            die(f"init wrote no modeline naming perfplan.schema.json beside the plan: {modeline!r}", 1)

        cut = network_cut()
        settings = {
            "yaml": {"validate": True, "completion": True, "hover": True, "schemaStore": {"enable": False}, "schemas": {}},
            "http": {"proxyStrictSSL": True},
        }
        server = Server([*cut, "node", str(entry), "--stdio"], settings)
        try:
            server.request("initialize", {
                "processId": os.getpid(),
                "rootUri": tmp.as_uri(),
                "workspaceFolders": [{"uri": tmp.as_uri(), "name": "plan"}],
                "capabilities": {
                    "workspace": {"configuration": True},
                    "textDocument": {"completion": {"completionItem": {"snippetSupport": False}},
                                     "publishDiagnostics": {}},
                },
            })
            server.notify("initialized", {})
            server.notify("workspace/didChangeConfiguration", {"settings": settings})

            def open_doc(name, text):
                uri = (tmp / name).as_uri()
                server.notify("textDocument/didOpen",
                              {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
                return uri

            failures = []
            # The init plan as written: valid, so no diagnostic.
            clean = server.diagnostics_for(open_doc("perfplan.yaml", plan))
            if clean:
                failures.append(f"the init plan got diagnostics: {[d['message'] for d in clean]}")

            # (a) a new plan: the modeline, then a blank top-level line.
            draft = open_doc("draft.perfplan.yaml", modeline + "\n\n")
            answer = server.request("textDocument/completion",
                                    {"textDocument": {"uri": draft}, "position": {"line": 1, "character": 0}})
            result = answer.get("result") or {}
            items = result.get("items", []) if isinstance(result, dict) else result
            labels = {i["label"] for i in items}
            want = {"perfplan", "name", "tool", "script", "load", "target"}
            if not want <= labels:
                failures.append(f"completion at a blank top-level line offered {sorted(labels)}, "
                                f"missing {sorted(want - labels)}")

            # (b) the init plan with `load:` misspelt.
            lines = plan.splitlines(keepends=True)
            line = next((i for i, l in enumerate(lines) if l.startswith("load:")), None)
            if line is None:
                die("the init plan has no top-level `load:` line to misspell", 2)
            lines[line] = "laod:" + lines[line][len("load:"):]
            typo = server.diagnostics_for(open_doc("typo.perfplan.yaml", "".join(lines)))
            named = [d for d in typo if "laod" in d["message"] and d["range"]["start"]["line"] == line]
            if not named:
                failures.append(f"no diagnostic naming `laod` on line {line + 1}; got "
                                f"{[(d['range']['start']['line'] + 1, d['message']) for d in typo]}")
        finally:
            server.stop()

    done = time.monotonic()
    if failures:
        for f in failures:
            log(f"FAILED: {f}")
        sys.exit(1)
    where = ("in a network namespace without network (unshare -rn)" if cut
             else "WITHOUT cutting the network (unshare -rn refused here), SchemaStore off")
    log(f"yaml-language-server {VERSION}, {where}: completion offers {', '.join(sorted(want))}; "
        f"`laod:` is reported on line {line + 1} ({named[0]['message']!r}); the init plan is clean "
        f"({done - installed:.1f} s; install {installed - started:.1f} s)")


if __name__ == "__main__":
    main()
