#!/usr/bin/env bash
# Prints the path of the kubectl the tests and conformance checks use: $PERFPLAN_KUBECTL if set,
# else kubectl at the test API server's version, built once from Go modules by
# `tools/apiserver.sh kubectl` and cached outside the checkout (about a minute after the server's
# own build). Not the machine's kubectl: Debian 12's is 1.20, whose kustomize knows no
# `sortOptions`, and another machine may have none. Exit 2, with the reason, on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${PERFPLAN_KUBECTL:-}" ]; then printf '%s\n' "$PERFPLAN_KUBECTL"; exit 0; fi
tools/apiserver.sh kubectl | sed -n 's/^KUBECTL=//p'
