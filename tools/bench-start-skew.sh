#!/usr/bin/env bash
# Start skew of a distributed test, measured at the target: the time between the first
# request of the earliest and of the latest generator. Runs a k6 plan (1 VU per runner,
# 5 s) with N runners through the local kubelet of tests/harness (the real k6, paused
# runners resumed by the starter Job), for each N given (default 10 and 50), and
# prints one line per N. A performance figure, not a test: it varies with the
# machine's load, so run it on a quiet machine and compare runs made together.
#
#   tools/bench-start-skew.sh [N ...]
#
# Needs root (namespaces), as the real-tool tests do; installs k6 with tools/real-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(10 50)
cargo build --release --locked -q
eval "$(tools/real-tools.sh k6)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/scripts"
cat >"$work/scripts/skew.js" <<'JS'
import http from 'k6/http';
import exec from 'k6/execution';
import { sleep } from 'k6';
export default function () {
  http.get(`${__ENV.TARGET_URL}/hit?gen=${__ENV.RUNNER_INDEX}&vu=${exec.vu.idInTest}&iter=${exec.vu.iterationInScenario}`);
  sleep(1);
}
JS
for n in "${counts[@]}"; do
  cat >"$work/plan-$n.yaml" <<YAML
perfplan: v1
name: skew
namespace: perf-testing
tool: k6
script: scripts/skew.js
load:
  users: $n
  generators: $n
  duration: 5s
target:
  url: http://target.test:8080
  allow:
    - cidr: 127.77.2.1/32
resources: {cpu: 100m, memory: 128Mi}
YAML
  target/release/perfplan compile "$work/plan-$n.yaml" -o "$work/bundle-$n" 2>/dev/null
  python3 tests/harness/kubelet.py run "$work/bundle-$n" --tool "k6=$K6_BIN" \
    --target target.test=127.77.2.1:8080 --timeout 300 --run-dir "$work/run-$n" >/dev/null 2>&1 || true
  python3 - "$work/run-$n" "$n" <<'PY'
import glob, json, re, sys
run, n = sys.argv[1], sys.argv[2]
report = json.load(open(f"{run}/report.json"))
target = report["targets"]["target.test"]
gens = target.get("by_gen", {})
jobs = {j["name"]: j.get("condition") for j in report["jobs"]}
skew = target.get("start_skew_s")
# The starter's own share: how long its batch of resumes took, from first sent to last answered.
resumed = [m.group(1) for f in glob.glob(f"{run}/logs/*-k6-starter-*.log")
           for m in re.finditer(r"resumed all \d+ k6 runners in (\d+) ms", open(f).read())]
load = open("/proc/loadavg").read().split()[0]
print(f"k6, {n} runners: {len(gens)} runners sent load, start skew "
      f"{'n/a' if skew is None else f'{skew * 1000:.0f} ms'}, resumes sent and answered in "
      f"{resumed[0] if resumed else 'n/a'} ms, load average {load}, jobs {jobs}")
PY
done
