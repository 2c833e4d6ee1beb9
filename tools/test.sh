#!/usr/bin/env bash
# The whole test suite: cargo's tests (the real-tool tests among them), then
# third-party conformance of the golden bundles.
set -euo pipefail
cd "$(dirname "$0")/.."
# The real-tool tests (tests/real_tools.rs, tests/real_examples.rs) run pods through
# tests/harness/, one run at a time across both binaries (a lock file), which needs
# Debian's busybox (the Alpine images' sh), nftables (NetworkPolicies in each pod),
# iproute2, setpriv and sysctl: tests/harness/setup.sh installs what is missing. The
# tools themselves (k6, JMeter, Gatling, a Java for them) are installed by
# tools/real-tools.sh on first use, cached outside the checkout.
tests/harness/setup.sh >&2
tools/real-tools.sh all >/dev/null
# tests/api_server.rs runs a real kube-apiserver and etcd, built from Go modules on first
# use (about 15 minutes on 2 cores) and cached outside the checkout.
tools/apiserver.sh install >/dev/null
# The editor check runs the real yaml-language-server (npm, pinned), installed on first use
# with the Node.js the machine has, cached outside the checkout like the tools above.
python3 tools/yaml-ls-check.py --install >/dev/null
# The local kubelet's own checks (controllers, volumes, DNS, read-only roots, broken bundles).
python3 tests/harness/selftest.py
# The API-server lifecycle test runs kubectl as users would (apply -k, delete, auth can-i):
# the one on PATH, else Debian's kubernetes-client, cached (tools/kubectl.sh).
PERFPLAN_KUBECTL=$(tools/kubectl.sh)
export PERFPLAN_KUBECTL
# The cluster feature adds the live-diff client; its tests run against a fake and a real API server.
cargo test --locked --features cluster
# An init plan in the real yaml-language-server, offline: completion and a misspelt key
# (uses target/debug/perfplan, which cargo test just built; a few seconds).
python3 tools/yaml-ls-check.py
tools/conformance.sh
