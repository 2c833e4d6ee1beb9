#!/usr/bin/env bash
# Third-party conformance checks over every golden bundle in golden/:
#   1. kubernetes-validate (PyPI), strict: unknown fields are errors, against
#      Kubernetes 1.24 (package 1.33.1, the last to bundle 1.24) and the newest
#      version the latest pinned package bundles;
#   2. Checkov (PyPI), kubernetes framework, offline; skips listed in SKIPS with
#      their reasons in the README's security section;
#   3. `kubectl kustomize` over each bundle folder: it must emit every object, in the order
#      kustomization.yaml lists them (sortOptions: fifo: NetworkPolicies before any pod).
# Tools are installed once under target/conformance-tools (override with
# PERFPLAN_TOOLS). Exit 0 when every check passes, 1 on findings, 2 on setup errors.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${PERFPLAN_TOOLS:-$PWD/target/conformance-tools}"
KV_LEGACY=1.33.1   # bundles Kubernetes 1.22-1.33 schemas
KV_LATEST=1.37.0   # bundles up to 1.37
CHECKOV=3.3.30
# Checkov checks perfplan does not meet on purpose (reasons: README, "Security").
SKIPS=CKV_K8S_40,CKV_K8S_43
export PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf 'conformance: %s\n' "$*" >&2; }
die() { log "setup failed: $*"; exit 2; }

# venv NAME PACKAGE...: a virtualenv with exactly these packages; prints its path.
venv() {
  local name=$1; shift
  local dir="$TOOLS/$name" want="$*"
  if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$want" ]; then
    log "installing $want"
    rm -rf "$dir"
    python3 -m venv "$dir" >&2 || die "python3 -m venv"
    "$dir/bin/pip" install --quiet --no-input "$@" >&2 || die "pip install $want"
    printf '%s' "$want" >"$dir/.stamp"
  fi
  printf '%s' "$dir"
}

# A kubectl: tools/kubectl.sh (kubectl at the test API server's version, built once and cached).
kubectl_bin() {
  "$(dirname "$0")/kubectl.sh" || die "no kubectl"
}

mkdir -p "$TOOLS"
streams=(golden/*.yaml)
folders=()
# Bundle folders, and the per-region bundle folders of a multi-region plan.
for d in golden/*/ golden/*/*/; do [ -f "$d/kustomization.yaml" ] && folders+=("${d%/}"); done
[ ${#streams[@]} -gt 0 ] && [ ${#folders[@]} -gt 0 ] || die "no golden bundles (run cargo test first)"
failed=0

legacy=$(venv kv-legacy "kubernetes-validate==$KV_LEGACY")
latest=$(venv kv-latest "kubernetes-validate==$KV_LATEST")
newest=$(ls "$latest"/lib/python*/site-packages/kubernetes_validate/kubernetes-json-schema |
  sed -n 's/^v\([0-9.]*\)-local-strict$/\1/p' | sort -V | tail -n 1)
for pair in "$legacy 1.24.0" "$latest $newest"; do
  set -- $pair
  if out=$("$1/bin/kubernetes-validate" --strict --quiet --no-warn -k "$2" "${streams[@]}" 2>&1); then
    objects=$(cat "${streams[@]}" | grep -c '^kind:')
    log "kubernetes-validate $2 (strict): ${#streams[@]} plans' streams, $objects objects, 0 errors"
  else
    printf '%s\n' "$out" >&2
    log "kubernetes-validate $2 (strict): FAILED"
    failed=1
  fi
done

checkov=$(venv checkov "checkov==$CHECKOV")
# One scan of golden/; results are grouped by bundle folder (the stream files
# hold the same objects and are left out of the counts).
if report=$("$checkov/bin/checkov" --framework kubernetes --skip-download --skip-check "$SKIPS" \
    -o json -d golden 2>/dev/null; true) &&
   counts=$(printf '%s' "$report" | python3 -c '
import collections, json, sys
text, dec, i = sys.stdin.read(), json.JSONDecoder(), 0
passed, failed = collections.Counter(), []
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    value, i = dec.raw_decode(text, i)
    for r in value if isinstance(value, list) else [value]:
        for c in r["results"]["passed_checks"]:
            parts = c["file_path"].strip("/").split("/")
            if len(parts) >= 3 and parts[1] != "helm":  # golden/<bundle>[/<region>]/<object>.yaml
                passed["/".join(parts[1:-1])] += 1
        failed += [(c["check_id"], c["resource"], c["file_path"]) for c in r["results"]["failed_checks"]]
for f in failed:
    print("FAILED %s %s %s" % f, file=sys.stderr)
for bundle, n in sorted(passed.items()):
    print("  %-22s %5d passed" % (bundle, n), file=sys.stderr)
print(sum(passed.values()), len(failed))'); then
  set -- $counts
  if [ "$2" = 0 ] && [ "$1" -gt 0 ]; then
    log "checkov $CHECKOV: ${#folders[@]} bundles, $1 passed checks, 0 failed (skipped: $SKIPS)"
  else
    log "checkov $CHECKOV: $2 failed checks"
    failed=1
  fi
else
  log "checkov $CHECKOV: could not run or read its report"
  failed=1
fi

kubectl=$(kubectl_bin)
for d in "${folders[@]}"; do
  # The kinds in the listed order, and the kinds kustomize emits, in its order.
  want=$(sed -n 's/^- //p' "$d/kustomization.yaml" | while read -r f; do grep -m1 '^kind:' "$d/$f"; done)
  if got=$("$kubectl" kustomize "$d" 2>&1 | grep '^kind:'); [ "$got" = "$want" ]; then
    :
  else
    log "kubectl kustomize $d: emitted kinds [$(echo $got)], expected [$(echo $want)]"
    failed=1
  fi
done
[ $failed = 0 ] && log "kubectl kustomize: ${#folders[@]} bundles emit every object in the listed order ($("$kubectl" version --client 2>/dev/null | head -n 1))"
exit $failed
