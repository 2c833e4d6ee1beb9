#!/usr/bin/env python3
"""The system under test for harness runs: an HTTP server that counts what the load generators
send, plus receivers for the metrics outputs the tools can be pointed at.

    python3 target.py serve --bind IP --http PORT [--http PORT2] [--graphite PORT] --summary OUT.json

kubelet.py starts it in its own network namespace for `--target NAME=IP:PORTS`; it can also run
on its own on any 127.x address. It runs until SIGTERM/SIGINT (or --duration), then writes the
summary JSON.

HTTP (every --http port, HTTP/1.1 keep-alive, threaded):
  - any method on any path is a request of the test: answered 201 for POST, 200 otherwise, with
    a tiny JSON body. Each is recorded with its arrival time and attributed to
      generator: query `gen` or header X-Gen, else the client's address;
      virtual user: query `vu` or header X-Vu;  iteration: query `iter` or header X-Iter.
  - metrics receivers on the same ports:
      POST /write, /api/v2/write      InfluxDB line protocol (counted: posts, bytes, lines)
      POST /api/v1/write, /api/v1/push  Prometheus remote write (posts, bytes; snappy not decoded)
Graphite plaintext (--graphite PORT, TCP): lines counted.
Each receiver also counts per client address (`by_client`: posts or lines), so a test can tell
which pod sent the metrics (kubelet.py names the pod), and the HTTP receivers count the posts
that carried an Authorization header (`authorized`).

Summary: total requests; by path and method; by client address and by generator (requests,
first and last arrival, distinct VUs and iterations); start_skew_s = the first request of the
latest-starting generator minus the first request of the earliest; and the metrics counts.
"""

from __future__ import annotations

import argparse
import json
import signal
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

METRIC_PATHS = {"/write": "influx", "/api/v2/write": "influx",
                "/api/v1/write": "prometheus_remote_write", "/api/v1/push": "prometheus_remote_write"}


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.start = time.time()
        self.requests = 0
        self.by_path: dict[str, int] = {}
        self.by_method: dict[str, int] = {}
        self.by_client: dict[str, dict] = {}
        self.by_gen: dict[str, dict] = {}
        self.metrics = {"influx": {"posts": 0, "bytes": 0, "lines": 0, "authorized": 0, "by_client": {}},
                        "prometheus_remote_write": {"posts": 0, "bytes": 0, "authorized": 0, "by_client": {}},
                        "graphite": {"connections": 0, "lines": 0, "bytes": 0, "by_client": {}}}

    def metric_from(self, kind: str, client: str, count: int) -> None:
        """Count `count` posts (HTTP receivers) or lines (Graphite) of `kind` from `client`;
        the caller holds the lock."""
        c = self.metrics[kind]["by_client"].setdefault(client, {"ip": client, "count": 0})
        c["count"] += count

    def request(self, client: str, method: str, path: str, gen: str | None, vu: str | None,
                it: str | None, t: float) -> None:
        with self.lock:
            self.requests += 1
            self.by_path[path] = self.by_path.get(path, 0) + 1
            self.by_method[method] = self.by_method.get(method, 0) + 1
            c = self.by_client.setdefault(client, {"ip": client, "requests": 0, "first": t, "last": t})
            c["requests"] += 1
            c["last"] = t
            key = gen if gen is not None else client
            g = self.by_gen.setdefault(key, {"requests": 0, "first": t, "last": t, "vus": set(),
                                             "iterations": set(), "clients": set()})
            g["requests"] += 1
            g["last"] = t
            g["clients"].add(client)
            if vu is not None:
                g["vus"].add(vu)
                if it is not None:
                    g["iterations"].add((vu, it))

    def summary(self) -> dict:
        with self.lock:
            gens = {}
            for key, g in self.by_gen.items():
                gens[key] = {"requests": g["requests"], "first": g["first"], "last": g["last"],
                             "vus": len(g["vus"]), "iterations": len(g["iterations"]),
                             "clients": sorted(g["clients"])}
            firsts = [g["first"] for g in gens.values()]
            return {
                "started": self.start, "ended": time.time(), "requests": self.requests,
                "by_path": self.by_path, "by_method": self.by_method,
                "by_client": self.by_client, "by_gen": gens,
                "start_skew_s": round(max(firsts) - min(firsts), 4) if firsts else None,
                "metrics": self.metrics,
            }


def make_handler(rec: Recorder):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "perfplan-target/1"

        def log_message(self, fmt, *args):  # quiet: the summary is the record
            pass

        def parse_request(self):
            # A request's time is when its request line was read, before its headers and body
            # are: the start skew is measured from these, and 50 first requests at once must not
            # be stamped one after the other's parsing.
            self.arrived = time.time()
            return super().parse_request()

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            kind = METRIC_PATHS.get(url.path) if self.command == "POST" else None
            if kind:
                with rec.lock:
                    m = rec.metrics[kind]
                    m["posts"] += 1
                    m["bytes"] += len(body)
                    if kind == "influx":
                        m["lines"] += sum(1 for line in body.splitlines() if line.strip())
                    rec.metric_from(kind, self.client_address[0], 1)
                    # Posts that carried credentials (basic auth, an InfluxDB token); the
                    # values are not checked or kept.
                    if self.headers.get("Authorization"):
                        m["authorized"] += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            q = parse_qs(url.query)
            pick = lambda name, header: (q.get(name) or [self.headers.get(header)])[0]  # noqa: E731
            rec.request(self.client_address[0], self.command, url.path,
                        pick("gen", "X-Gen"), pick("vu", "X-Vu"), pick("iter", "X-Iter"), self.arrived)
            status = 201 if self.command == "POST" else 200
            payload = json.dumps({"ok": True, "path": url.path}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    return Handler


def make_graphite(rec: Recorder):
    class Graphite(socketserver.StreamRequestHandler):
        def handle(self):
            with rec.lock:
                rec.metrics["graphite"]["connections"] += 1
            for line in self.rfile:
                with rec.lock:
                    rec.metrics["graphite"]["bytes"] += len(line)
                    if line.strip():
                        rec.metrics["graphite"]["lines"] += 1
                        rec.metric_from("graphite", self.client_address[0], 1)
    return Graphite


class ThreadingTCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(args) -> int:
    rec = Recorder()
    servers = []
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 1024
    for port in args.http:
        servers.append(ThreadingHTTPServer((args.bind, port), make_handler(rec)))
    for port in args.graphite:
        servers.append(ThreadingTCP((args.bind, port), make_graphite(rec)))
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(f"target: listening on {args.bind} http={args.http} graphite={args.graphite}", flush=True)

    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    done.wait(args.duration)
    for s in servers:
        s.shutdown()
        s.server_close()
    summary = rec.summary()
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f, indent=2)
    print(f"target: {summary['requests']} requests, start skew {summary['start_skew_s']}s", flush=True)
    return 0


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="target.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--bind", default="127.0.0.1")
    s.add_argument("--http", type=int, action="append", default=[])
    s.add_argument("--graphite", type=int, action="append", default=[])
    s.add_argument("--summary")
    s.add_argument("--duration", type=float, default=None, help="stop by itself after S seconds")
    args = p.parse_args(argv)
    if not args.http and not args.graphite:
        args.http = [8080]
    return serve(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
