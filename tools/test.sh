#!/usr/bin/env bash
# The whole test suite: cargo's tests (the real-tool tests among them), then
# third-party conformance of the golden bundles.
set -euo pipefail
cd "$(dirname "$0")/.."
# The real-tool tests (tests/real_tools.rs) run pods through tests/harness/, whose
# Alpine-based image profiles give each pod Debian's busybox as `sh`; the tools
# themselves (k6, JMeter, Gatling, a Java for them) are installed by
# tools/real-tools.sh on first use, cached outside the checkout.
if ! command -v busybox >/dev/null 2>&1; then
  echo "test.sh: installing Debian's busybox for the real-tool tests" >&2
  { apt-get install -y -qq busybox >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq busybox >/dev/null; }; } ||
    { echo "test.sh: cannot install busybox (apt-get install busybox)" >&2; exit 2; }
fi
tools/real-tools.sh all >/dev/null
# tests/api_server.rs runs a real kube-apiserver and etcd, built from Go modules on first
# use (about 15 minutes on 2 cores) and cached outside the checkout.
tools/apiserver.sh install >/dev/null
# The local kubelet's own checks (controllers, volumes, DNS, read-only roots, broken bundles).
python3 tests/harness/selftest.py
# The cluster feature adds the live-diff client; its tests run against a local fake API server.
cargo test --locked --features cluster
tools/conformance.sh
