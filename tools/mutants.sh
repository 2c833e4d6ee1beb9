#!/usr/bin/env bash
# Mutation testing with cargo-mutants (https://mutants.rs): each mutant is a small
# change to the code (a `<` made `<=`, a field deleted, a function returning a
# default); a mutant that no test notices is a piece of behaviour nothing checks.
#
# usage: tools/mutants.sh [--critical|--all] [--budget SECONDS] [--timeout SECONDS]
#                         [--since REV] [--re REGEX] [--iterate] [--list]
#
#   --critical  (default) the security- and load-critical code: the load split
#               (src/split.rs), the container scripts (src/lower/shell.rs), the
#               kubelet escaping and env/pod builders (src/lower/pod.rs) and the
#               security posture and NetworkPolicies (src/posture.rs). Its goal is
#               no surviving mutant: each is killed by a test or excluded below as
#               equivalent, with the reason.
#   --all       every file under src/ (about 1,900 mutants: many hours on 2 cores,
#               so never in CI; survivors outside the critical files are advice).
#   --budget S  stop the whole run after S seconds (default 5400 for --critical,
#               unlimited for --all); what ran is kept, and the run fails as
#               incomplete. Add --iterate to the next run to go on from there.
#   --timeout S per-mutant test timeout (default 300: the tests below take about
#               30 s on an idle machine, and the machine is shared).
#   --since REV only the mutants on lines changed since git revision REV (git diff
#               REV, working tree included) in the chosen files: minutes, not an
#               hour, and nothing at all when those files did not change. The CI mode.
#   --re REGEX  only the mutants whose names match (e.g. to check that a new test
#               kills a survivor: --re 'split.rs:37:'); cargo-mutants 27.1.0 runs
#               every "delete field" mutant of the files whatever REGEX says.
#   --iterate   skip mutants caught by the previous run in the same output folder.
#   --list      list the mutants that would run, and stop.
#
# Exit status: 0 when every mutant is caught (or unviable, or timed out: a mutant
# that makes the tests hang is detected); 2 when a mutant survives that is not
# explained below; 3 when the budget ran out first; 4 when the unmutated tree fails
# its tests; other values are errors. The record of the last run is mutants.md.
#
# Environment: MUTANTS_OUT (default /tmp/perfplan-mutants) holds mutants.out/ with
# every mutant's diff and log; MUTANTS_TARGET_DIR (default /tmp/perfplan-mutants-target)
# is cargo's target dir, kept between runs so dependencies are built once.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: mutant names (which --exclude-re matches) and counts change between
# releases, so mutants.md is only comparable across runs of one version.
CARGO_MUTANTS_VERSION=27.1.0

mode=critical budget="" timeout=300 since="" extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --critical) mode=critical ;;
    --all) mode=all ;;
    --budget) budget="${2:?--budget needs seconds}"; shift ;;
    --timeout) timeout="${2:?--timeout needs seconds}"; shift ;;
    --since) since="${2:?--since needs a git revision}"; shift ;;
    --re) extra+=(--re "${2:?--re needs a regex}"); shift ;;
    --iterate) extra+=(--iterate) ;;
    --list) extra+=(--list) ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "mutants.sh: unknown argument $1 (see --help)" >&2; exit 1 ;;
  esac
  shift
done
if [ -z "$budget" ] && [ "$mode" = critical ]; then budget=5400; fi

# Install the pinned version if it is missing or another one (a new machine, CI).
if [ "$(cargo mutants --version 2>/dev/null)" != "cargo-mutants $CARGO_MUTANTS_VERSION" ]; then
  echo "mutants.sh: installing cargo-mutants $CARGO_MUTANTS_VERSION (about 5 minutes)" >&2
  nice -n 10 cargo install --locked --quiet cargo-mutants --version "=$CARGO_MUTANTS_VERSION"
fi

if [ "$mode" = critical ]; then
  paths=(src/split.rs src/lower/shell.rs src/lower/pod.rs src/posture.rs)
else
  paths=(src)
fi
files=()
for p in "${paths[@]}"; do
  case "$p" in *.rs) files+=(-f "$p") ;; *) files+=(-f "$p/**/*.rs") ;; esac
done

out="${MUTANTS_OUT:-/tmp/perfplan-mutants}"
mkdir -p "$out"

if [ -n "$since" ]; then
  # cargo-mutants keeps the mutants whose lines the diff touches. Lines in
  # `#[cfg(test)]` blocks have no mutants, so a change to tests alone runs none.
  git diff --no-color "$since" -- "${paths[@]}" > "$out/since.diff"
  if [ ! -s "$out/since.diff" ]; then
    echo "mutants.sh: no change to the $mode files since $since: nothing to mutate" >&2
    exit 0
  fi
  extra+=(--in-diff "$out/since.diff")
fi

# Equivalent mutants: they cannot change behaviour, so no test can kill them. Each
# is matched against the names `--list` prints; the reason is beside it and in
# mutants.md. Keep this list short: a new entry needs a proof, not a shrug. (In
# cargo-mutants 27.1.0, --re and --exclude-re do not filter the "delete field"
# mutants: those must be killed by a test.)
equivalent=(
)
excludes=()
for re in "${equivalent[@]}"; do excludes+=(--exclude-re "$re"); done

# Only the test targets that check these files, so a mutant costs seconds of build
# and ~10 s (caught) to ~25 s (survivor) of tests rather than the whole suite:
#   --lib             unit tests (split's arithmetic and proptests, scripts in sh)
#   network_policy    the NetworkPolicies against the flows each tool needs
#   shell_safety      hostile plan values through the real sh and kubelet expansion
#   pod_security      the Pod Security Standards on every pod
#   properties        generated plans: exact splits, posture, policies
#   golden            byte-for-byte bundles of the example plans
# Skipped: properties' fuzz_harness (66 s, checks only that nothing panics, which
# the other targets see too), real_tools and api_server (real tools, a real API
# server: minutes per run, and they check what these targets already pin down),
# and cluster (the `cluster` feature, which none of these files depends on).
targets=(--lib --test=network_policy --test=shell_safety --test=pod_security
  --test=properties --test=golden)
if [ "$mode" = all ]; then
  # The rest of src/ is also checked by the CLI, diff, folder, Helm, schema and
  # invalid-plan tests.
  targets+=(--bins --test=cli --test=diff --test=helm_values --test=hostile_input
    --test=invalid_plans --test=output_folder --test=schema_sync)
  # src/cluster.rs is compiled only with `--features cluster`: without it, every
  # mutant there would "survive" unbuilt.
  files+=(-e src/cluster.rs)
fi
# Given as --cargo-arg, not after `--`: cargo-mutants passes the args after `--`
# to `cargo test` only, so its build step (`cargo test --no-run`) would still
# build every test target of the crate, twice the build time of each mutant.
target_args=()
for t in "${targets[@]}"; do target_args+=("--cargo-arg=$t"); done
test_args=(-- --skip fuzz_harness_over_parse_validate_and_compile)

# A target dir of its own, outside the checkout: never fights a developer's or CI's
# build, and survives between runs. Debug info off: it only slows the links (each
# mutant relinks six test binaries); debug assertions and overflow checks stay on.
export CARGO_TARGET_DIR="${MUTANTS_TARGET_DIR:-/tmp/perfplan-mutants-target}"
export CARGO_PROFILE_DEV_DEBUG=0

cmd=(cargo mutants
  --jobs 1                   # 2 shared cores: one build at a time (cargo itself uses both)
  --test-tool cargo
  --timeout "$timeout"       # per mutant's tests; explicit, since load varies on a shared machine
  --output "$out"            # mutants.out/ outside the checkout
  --no-shuffle --colors never
  "${target_args[@]}" "${files[@]}" "${excludes[@]}" "${extra[@]}"
  -- "${test_args[@]}")

echo "mutants.sh: cargo-mutants $CARGO_MUTANTS_VERSION, $mode, budget ${budget:-none}s" >&2
printf '%q ' "${cmd[@]}" >&2; echo >&2
start=$(date +%s)
status=0
if [ -n "$budget" ]; then
  # SIGINT lets cargo-mutants stop the running mutant and write its outcomes.
  nice -n 10 timeout --signal=INT --kill-after=120 "$budget" "${cmd[@]}" || status=$?
else
  nice -n 10 "${cmd[@]}" || status=$?
fi
elapsed=$(( $(date +%s) - start ))

case " ${extra[*]-} " in *" --list "*) exit "$status" ;; esac

# Counts per file, from cargo-mutants' own record.
if [ -f "$out/mutants.out/outcomes.json" ]; then
  python3 - "$out/mutants.out/outcomes.json" <<'EOF'
import collections, json, sys
data = json.load(open(sys.argv[1]))
counts = collections.defaultdict(collections.Counter)
for o in data["outcomes"]:
    scenario = o["scenario"]
    if scenario == "Baseline":
        continue
    counts[scenario["Mutant"]["file"]][o["summary"]] += 1
kinds = ["CaughtMutant", "MissedMutant", "Timeout", "Unviable"]
print(f"{'file':24} {'caught':>7} {'missed':>7} {'timeout':>8} {'unviable':>9}")
for f in sorted(counts):
    c = counts[f]
    print(f"{f:24} " + " ".join(f"{c[k]:>{w}}" for k, w in zip(kinds, [7, 7, 8, 9])))
EOF
  if [ -s "$out/mutants.out/missed.txt" ]; then
    echo "survivors:"; sed 's/^/  /' "$out/mutants.out/missed.txt"
  fi
fi
echo "mutants.sh: $mode run took ${elapsed}s (exit $status)" >&2

if [ "$status" = 124 ] || { [ -n "$budget" ] && [ "$elapsed" -ge "$budget" ]; }; then
  echo "mutants.sh: the ${budget}s budget ran out before every mutant ran" >&2
  exit 3
fi
case "$status" in
  0|3) exit 0 ;;   # 3: only timeouts (a hang is a detection), no survivor
  *) exit "$status" ;;
esac
