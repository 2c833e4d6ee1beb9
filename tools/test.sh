#!/usr/bin/env bash
# The whole test suite: cargo's tests, then third-party conformance of the golden bundles.
set -euo pipefail
cd "$(dirname "$0")/.."
# The cluster feature adds the live-diff client; its tests run against a local fake API server.
cargo test --locked --features cluster
tools/conformance.sh
