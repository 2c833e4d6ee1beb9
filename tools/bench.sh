#!/usr/bin/env bash
# Whole-process timings, in one run so the ratios are fair on a noisy machine:
# `perfplan compile` of each example against `cat` of the same plan (the floor) and
# `kubectl kustomize` of its compiled bundle (what a user runs anyway), plus 10,000
# generators and peak memory. Writes the table into README.md between the
# `bench:start` and `bench:end` markers. Needs hyperfine (installed from Debian's
# packages when missing) and a kubectl (see tools/conformance.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get install -y -qq hyperfine >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }; }
command -v kubectl >/dev/null || { echo "bench: kubectl not found; tools/conformance.sh fetches one" >&2; exit 2; }
cargo build --release --locked -q
bin=target/release/perfplan
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A 10,000-generator plan (k6: its segment sequence is the one value that grows with N).
sed 's/generators: 3$/generators: 10000/; s/users: 3000$/users: 30000/' plans/k6-basic.yaml >plans/.bench-10k.yaml
trap 'rm -rf "$work" plans/.bench-10k.yaml' EXIT

rows=""
for plan in jmeter-basic k6-basic gatling-cluster gatling-independent; do
  hyperfine -N --warmup 20 --runs 300 --export-json "$work/$plan.json" \
    "$bin compile plans/$plan.yaml" "cat plans/$plan.yaml" "kubectl kustomize golden/$plan" >/dev/null
  rows+=$(python3 - "$work/$plan.json" "$plan" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
med = [x["median"] * 1000 for x in r]
print(f"| {sys.argv[2]} | {med[0]:.2f} ms | {med[1]:.2f} ms | {med[0]/med[1]:.1f}x | {med[2]:.1f} ms | {med[2]/med[0]:.0f}x |")
PY
)$'\n'
done
hyperfine -N --warmup 5 --runs 50 --export-json "$work/10k.json" "$bin compile plans/.bench-10k.yaml" >/dev/null
big=$(python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$work/10k.json")
peak=$(python3 - "$bin" <<'PY'
import resource, subprocess, sys
worst = 0
for plan in ["plans/jmeter-basic.yaml", "plans/.bench-10k.yaml"]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.argv[1], "compile", plan], stdout=subprocess.DEVNULL, check=True)
    worst = max(worst, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print("%.1f" % (worst / 1024))
PY
)
table="| example | perfplan compile | cat (floor) | compile / cat | kubectl kustomize | kustomize / compile |
|---|---|---|---|---|---|
${rows}
10,000 generators (k6): median ${big} ms. Peak memory (max RSS of any compile above, 10,000 generators included): ${peak} MiB.
Measured $(date -u +%Y-%m-%d) on $(nproc) cores with hyperfine $(hyperfine --version | cut -d' ' -f2), medians of 300 runs."
python3 - "$table" <<'PY'
import re, sys
readme = open("README.md").read()
new = re.sub(r"(<!-- bench:start -->\n).*?(<!-- bench:end -->)", lambda m: m.group(1) + sys.argv[1] + "\n" + m.group(2), readme, flags=re.S)
open("README.md", "w").write(new)
PY
printf '%s\n' "$table"
