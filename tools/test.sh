#!/usr/bin/env bash
# The whole test suite: cargo's tests, then third-party conformance of the golden bundles.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked
tools/conformance.sh
