#!/usr/bin/env bash
# Mutation testing with cargo-mutants (https://mutants.rs): each mutant is a small
# change to the code (a `<` made `<=`, a field deleted, a function returning a
# default); a mutant that no test notices is a piece of behaviour nothing checks.
#
# usage: tools/mutants.sh [--critical|--all] [--file PATH]... [--budget SECONDS]
#                         [--timeout SECONDS] [--since REV] [--re REGEX] [--iterate]
#                         [--list]
#
#   --critical  (default) the security- and load-critical code: the load split
#               (src/split.rs), the container scripts (src/lower/shell.rs), the
#               kubelet escaping and env/pod builders (src/lower/pod.rs) and the
#               security posture and NetworkPolicies (src/posture.rs). Its goal is
#               no surviving mutant: each is killed by a test or excluded below as
#               equivalent, with the reason.
#   --all       every file under src/ but cluster.rs (1,822 mutants: 10 to 30 hours
#               on 2 cores, so never in CI; survivors outside the critical files are
#               advice; the per-tool lowering in src/tools/ is the next place to look).
#   --file P    only the file P under src/ (repeatable), instead of the mode's files;
#               e.g. to run the critical files a few at a time.
#   --budget S  stop the whole run after S seconds (default 5400 for --critical,
#               unlimited for --all); what ran is kept, and the run fails as
#               incomplete. Add --iterate to the next run to go on from there.
#   --timeout S per-mutant test timeout (default 300: the tests below take 10 to
#               60 s, more on a busy machine, and the machine is shared).
#   --since REV only the mutants on lines changed since git revision REV (git diff
#               REV, working tree included) in the chosen files: minutes, not an
#               hour, and nothing at all when those files did not change. The mode
#               for a change under review (CI has no base revision to give it).
#   --re REGEX  only the mutants whose names match (e.g. to check that a new test
#               kills a survivor: --re 'split.rs:37:'); cargo-mutants 27.1.0 runs
#               every "delete field" mutant of the files whatever REGEX says.
#   --iterate   skip mutants caught by the previous run in the same output folder
#               (its record then counts only the mutants this run tried).
#   --list      list the mutants that would run, and stop.
#
# Exit status: 0 when every mutant is caught (or unviable, or timed out: a mutant
# that makes the tests hang is detected); 2 when a mutant survives (none is
# "explained": the equivalent ones below are excluded, so they never run), even if
# the budget then ran out; 3 when the budget ran out first, with no survivor among
# the mutants that ran; 4 when the unmutated tree fails its tests; 1 for a usage
# error; other values are errors.
#
# Every run but --list is recorded at the top of the log in docs/mutants.md: date,
# cargo-mutants version, command, files, counts per file, duration, and each
# survivor, unviable mutant and equivalent exclusion with its reason.
#
# Environment: MUTANTS_OUT (default /tmp/perfplan-mutants) holds mutants.out/ with
# every mutant's diff and log; MUTANTS_TARGET_DIR (default /tmp/perfplan-mutants-target)
# is cargo's target dir, kept between runs so dependencies are built once.
#
# Everything runs at `nice -n 15`: the machine is shared, and a run takes an hour.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: mutant names (which --exclude-re matches) and counts change between
# releases, so docs/mutants.md is only comparable across runs of one version.
CARGO_MUTANTS_VERSION=27.1.0
RECORD=docs/mutants.md

# The security- and load-critical files: the goal is no surviving mutant here.
CRITICAL=(src/split.rs src/lower/shell.rs src/lower/pod.rs src/posture.rs)

# Equivalent mutants, as pairs of a regex (matched against the names `--list`
# prints) and why no test can kill it; each is excluded from every run and listed in
# every record. Keep this list short: a new entry needs a proof, not a shrug. (In
# cargo-mutants 27.1.0, --re and --exclude-re do not filter the "delete field"
# mutants: those must be killed by a test.)
EQUIVALENT=(
)

# Only the test targets that check these files, so a mutant costs ~17 s of build
# and ~10 s (caught) to ~25 s (survivor) of tests rather than the whole suite:
#   --lib             unit tests (split's arithmetic and proptests, scripts in sh)
#   network_policy    the NetworkPolicies against the flows each tool needs
#   shell_safety      hostile plan values through the real sh and kubelet expansion
#   pod_security      the Pod Security Standards on every pod
#   properties        generated plans: exact splits (each pod's share run by sh),
#                     posture, policies
#   golden            byte-for-byte bundles of the example plans
# Skipped: properties' fuzz_harness (66 s, checks only that nothing panics, which
# the other targets see too), real_tools, real_examples and api_server (real tools, a real API
# server: minutes per run, and they check what these targets already pin down),
# cli (runs the binary: the library it calls is checked here), and cluster (the
# `cluster` feature, which none of these files depends on).
FAST_TARGETS=(--lib --test=network_policy --test=shell_safety --test=pod_security
  --test=properties --test=golden)
# With --all, the rest of src/ is also checked by the CLI, diff, folder, Helm,
# schema and invalid-plan tests.
ALL_TARGETS=(--bins --test=cli --test=diff --test=helm_values --test=hostile_input
  --test=invalid_plans --test=output_folder --test=schema_sync)
SKIP_TESTS=(--skip fuzz_harness_over_parse_validate_and_compile)

usage_error() {
  echo "mutants.sh: $1 (see --help)" >&2
  exit 1
}

# The pinned version, installed into ~/.cargo/bin (outside the checkout) if missing
# or another one (a new machine, CI).
ensure_cargo_mutants() {
  if [ "$(cargo mutants --version 2>/dev/null)" != "cargo-mutants $CARGO_MUTANTS_VERSION" ]; then
    echo "mutants.sh: installing cargo-mutants $CARGO_MUTANTS_VERSION (about 5 minutes)" >&2
    nice -n 15 cargo install --locked --quiet cargo-mutants --version "=$CARGO_MUTANTS_VERSION"
  fi
}

# Writes the run's record at the top of the log in $RECORD, from cargo-mutants' own
# outcomes.json, and prints the counts. Arguments: outcomes.json, elapsed seconds,
# exit status, the command line as given, then the equivalent pairs.
record() {
  python3 - "$RECORD" "$@" <<'PY'
import collections, datetime, json, pathlib, sys

record, outcomes, elapsed, status, command, *equivalent = sys.argv[1:]
data = json.loads(pathlib.Path(outcomes).read_text())
kinds = ["CaughtMutant", "MissedMutant", "Timeout", "Unviable"]
counts = collections.defaultdict(collections.Counter)
named = collections.defaultdict(list)
baseline = "not run"
for o in data["outcomes"]:
    scenario = o["scenario"]
    if scenario == "Baseline":
        baseline = o["summary"]
        continue
    m = scenario["Mutant"]
    counts[m["file"]][o["summary"]] += 1
    line = m["span"]["start"]["line"]
    named[o["summary"]].append(f"{m['file']}:{line}: {m['name'].split(': ', 1)[-1]}")

elapsed = int(elapsed)
ran = sum(sum(c.values()) for c in counts.values())
end = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
start = data.get("start_time") or ""
when = f"{start[:10]} {start[11:16]}–{end[11:]} UTC" if start[:10] == end[:10] else f"{end} UTC"
outcome = {
    "0": "complete, no survivor",
    "2": "survivors",
    "3": "budget ran out",
    "4": "the unmutated tree fails its tests",
}.get(status, f"error {status}")
out = [
    f"### {when}: {', '.join(sorted(counts)) or 'no mutant ran'}",
    "",
    f"cargo-mutants {data.get('cargo_mutants_version', '?')}, `{command}`: "
    f"{ran} of {data.get('total_mutants', '?')} mutants in {elapsed} s "
    f"({elapsed // 60} min {elapsed % 60} s, {elapsed / max(ran, 1):.0f} s each), "
    f"baseline {baseline}, exit {status} ({outcome}).",
    "",
    "| file | caught | missed | timeout | unviable |",
    "|---|---:|---:|---:|---:|",
]
table = [f"{'file':24} {'caught':>7} {'missed':>7} {'timeout':>8} {'unviable':>9}"]
for f in sorted(counts):
    c = counts[f]
    out.append(f"| {f} | " + " | ".join(str(c[k]) for k in kinds) + " |")
    table.append(f"{f:24} " + " ".join(f"{c[k]:>{w}}" for k, w in zip(kinds, [7, 7, 8, 9])))
out.append("")
missed = named["MissedMutant"]
out.append("Survivors: " + ("none." if not missed else "each needs a test, or a proof of equivalence in tools/mutants.sh:"))
out += [f"- `{n}`" for n in missed]
for kind, why in [
    ("Unviable", "do not compile, so no test could run"),
    ("Timeout", "made the tests hang: detected"),
]:
    if named[kind]:
        out += ["", f"{kind} ({why}):"] + [f"- `{n}`" for n in named[kind]]
if equivalent:
    out += ["", "Excluded as equivalent:"]
    out += [f"- `{re}`: {why}" for re, why in zip(equivalent[::2], equivalent[1::2])]
out.append("")

path = pathlib.Path(record)
marker = "<!-- runs: tools/mutants.sh adds each run below this line, newest first -->"
text = path.read_text() if path.exists() else f"# Mutation testing\n\n{marker}\n"
head, sep, rest = text.partition(marker)
if not sep:
    head, rest = text.rstrip("\n") + "\n\n", ""
older = "\n" + rest.lstrip("\n") if rest.strip() else ""
path.write_text(head + marker + "\n\n" + "\n".join(out) + older)
print("\n".join(table))
if missed:
    print("survivors:\n" + "\n".join(f"  {n}" for n in missed))
PY
}

main() {
  local mode=critical budget="" timeout=300 since="" list=0 given=("$@")
  local extra=() paths=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --critical) mode=critical ;;
      --all) mode=all ;;
      --file) paths+=("${2:?--file needs a path}"); shift ;;
      --budget) budget="${2:?--budget needs seconds}"; shift ;;
      --timeout) timeout="${2:?--timeout needs seconds}"; shift ;;
      --since) since="${2:?--since needs a git revision}"; shift ;;
      --re) extra+=(--re "${2:?--re needs a regex}"); shift ;;
      --iterate) extra+=(--iterate) ;;
      --list) extra+=(--list); list=1 ;;
      -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
      *) usage_error "unknown argument $1" ;;
    esac
    shift
  done
  case "$budget$timeout" in *[!0-9]*) usage_error "--budget and --timeout take whole seconds" ;; esac
  if [ -z "$budget" ] && [ "$mode" = critical ]; then budget=5400; fi

  ensure_cargo_mutants

  if [ ${#paths[@]} -eq 0 ]; then
    if [ "$mode" = critical ]; then paths=("${CRITICAL[@]}"); else paths=(src); fi
  fi
  local files=() p
  for p in "${paths[@]}"; do
    case "$p" in
      src/*.rs) [ -f "$p" ] || usage_error "no file $p" ; files+=(-f "$p") ;;
      src) files+=(-f "src/**/*.rs") ;;
      *) usage_error "--file takes a file under src/, not $p" ;;
    esac
  done

  local out="${MUTANTS_OUT:-/tmp/perfplan-mutants}"
  mkdir -p "$out"

  if [ -n "$since" ]; then
    # cargo-mutants keeps the mutants whose lines the diff touches. Lines in
    # `#[cfg(test)]` blocks have no mutants, so a change to tests alone runs none.
    git diff --no-color "$since" -- "${paths[@]}" > "$out/since.diff"
    if [ ! -s "$out/since.diff" ]; then
      echo "mutants.sh: no change to ${paths[*]} since $since: nothing to mutate" >&2
      exit 0
    fi
    extra+=(--in-diff "$out/since.diff")
  fi

  local excludes=() i
  for ((i = 0; i < ${#EQUIVALENT[@]}; i += 2)); do excludes+=(--exclude-re "${EQUIVALENT[i]}"); done

  local targets=("${FAST_TARGETS[@]}")
  if [ "$mode" = all ]; then
    targets+=("${ALL_TARGETS[@]}")
    # src/cluster.rs is compiled only with `--features cluster`: without it, every
    # mutant there would "survive" unbuilt.
    files+=(-e src/cluster.rs)
  fi
  # Given as --cargo-arg, not after `--`: cargo-mutants passes the args after `--`
  # to `cargo test` only, so its build step (`cargo test --no-run`) would still
  # build every test target of the crate, twice the build time of each mutant.
  local target_args=() t
  for t in "${targets[@]}"; do target_args+=("--cargo-arg=$t"); done

  # A target dir of its own, outside the checkout: never fights a developer's or
  # CI's build, and survives between runs. Debug info off: it only slows the links
  # (each mutant relinks six test binaries); debug assertions and overflow checks
  # stay on.
  export CARGO_TARGET_DIR="${MUTANTS_TARGET_DIR:-/tmp/perfplan-mutants-target}"
  export CARGO_PROFILE_DEV_DEBUG=0

  # --jobs 1: 2 shared cores, so one build at a time (cargo itself uses both).
  # --timeout: per mutant's tests; explicit, since load varies on a shared machine.
  # --output: mutants.out/ outside the checkout.
  local cmd=(cargo mutants --jobs 1 --test-tool cargo --timeout "$timeout"
    --output "$out" --no-shuffle --colors never
    "${target_args[@]}" "${files[@]}" "${excludes[@]}" "${extra[@]}"
    -- -- "${SKIP_TESTS[@]}")

  echo "mutants.sh: cargo-mutants $CARGO_MUTANTS_VERSION, ${paths[*]}, budget ${budget:-none}s" >&2
  printf '%q ' "${cmd[@]}" >&2
  echo >&2
  local start status=0 elapsed
  start=$(date +%s)
  if [ -n "$budget" ]; then
    # SIGINT lets cargo-mutants stop the running mutant and write its outcomes
    # (cargo execs the cargo-mutants binary, so it receives the signal).
    nice -n 15 timeout --signal=INT --kill-after=120 "$budget" "${cmd[@]}" || status=$?
  else
    nice -n 15 "${cmd[@]}" || status=$?
  fi
  elapsed=$(($(date +%s) - start))
  [ "$list" = 0 ] || exit "$status"

  # cargo-mutants: 0 all caught, 2 survivors, 3 only timeouts, 4 baseline failed;
  # timeout(1): 124 when the budget ran out, 137 when it then had to kill.
  local result
  case "$status" in
    0 | 3) result=0 ;;
    2 | 4) result=$status ;;
    124 | 137) result=3 ;;
    *) result=$status ;;
  esac
  # Only this run's outcomes: when nothing was mutated, cargo-mutants may leave a
  # previous run's file in place.
  local outcomes="$out/mutants.out/outcomes.json"
  if [ -f "$outcomes" ] && [ "$(stat -c %Y "$outcomes")" -ge "$start" ]; then
    if [ "$result" = 3 ] && [ -s "$out/mutants.out/missed.txt" ]; then result=2; fi
    record "$outcomes" "$elapsed" "$result" \
      "tools/mutants.sh ${given[*]}" "${EQUIVALENT[@]}"
    echo "mutants.sh: recorded in $RECORD" >&2
  fi
  echo "mutants.sh: took ${elapsed}s, exit $result" >&2
  if [ "$result" = 3 ]; then
    echo "mutants.sh: the ${budget}s budget ran out before every mutant ran; go on with --iterate" >&2
  fi
  exit "$result"
}

# One compound command, read whole before it runs: the script can be edited during an
# hour's run.
# (main always exits, so shellcheck calls `exit` unreachable; it is there for bash.)
# shellcheck disable=SC2317
{ main "$@"; exit; }
