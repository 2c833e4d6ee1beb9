#!/usr/bin/env bash
# Start skew of a distributed test, measured at the target: the time between the first
# request of the earliest and of the latest generator. Runs a plan of 1 user per generator
# through the local kubelet of tests/harness with the real tool, for each TOOL:N given, and
# prints one line per tool and N:
#   k6:N       k6 Indexed Job, paused runners resumed by the starter Job (5 s, 1 iteration a s)
#   gatling:N  Gatling independent runners: compile, meet at the start barrier, run
#              (3 requests per runner)
#   jmeter:N   JMeter workers started by the controller over RMI, clear text
#              (3 requests per worker)
# Default: k6:10 k6:50 gatling:10 jmeter:10. A performance figure, not a test: it varies with
# the machine's load (print `uptime` beside it), so run it on a quiet machine and compare runs
# made together. Runs are serialized with the harness lock (/tmp/perfplan-harness.lock).
#
#   tools/bench-start-skew.sh [TOOL:N ...]
#
# Needs root (namespaces), as the real-tool tests do; installs the tools with tools/real-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(k6:10 k6:50 gatling:10 jmeter:10)
for run in "${runs[@]}"; do
  case "$run" in
    k6:[0-9]*|gatling:[0-9]*|jmeter:[0-9]*) ;;
    *) echo "usage: $0 [k6:N|gatling:N|jmeter:N ...]" >&2; exit 2 ;;
  esac
done
cargo build --release --locked -q
set -a
eval "$(tools/real-tools.sh all)"
set +a
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
cat >"$work/scripts/SkewSimulation.scala" <<'SCALA'
package skew

import io.gatling.core.Predef._
import io.gatling.http.Predef._

class SkewSimulation extends Simulation {
  private val users = Integer.getInteger("users", 1).toInt
  private val shard = Integer.getInteger("shard", 0).toInt
  private val target = System.getProperty("target.url")

  private val scn = scenario("skew")
    .exec(session => session.set("vu", session.userId))
    .repeat(3, "iter") {
      exec(http("hit").get("/hit?gen=" + shard + "&vu=${vu}&iter=${iter}"))
    }

  setUp(scn.inject(atOnceUsers(users))).protocols(http.baseUrl(target))
}
SCALA
cat >"$work/scripts/skew.jmx" <<'JMX'
<?xml version="1.0" encoding="UTF-8"?>
<jmeterTestPlan version="1.2" properties="5.0" jmeter="5.5">
  <hashTree>
    <TestPlan guiclass="TestPlanGui" testclass="TestPlan" testname="skew" enabled="true"/>
    <hashTree>
      <ThreadGroup guiclass="ThreadGroupGui" testclass="ThreadGroup" testname="users" enabled="true">
        <stringProp name="ThreadGroup.on_sample_error">continue</stringProp>
        <elementProp name="ThreadGroup.main_controller" elementType="LoopController" guiclass="LoopControlPanel" testclass="LoopController" enabled="true">
          <boolProp name="LoopController.continue_forever">false</boolProp>
          <stringProp name="LoopController.loops">3</stringProp>
        </elementProp>
        <stringProp name="ThreadGroup.num_threads">${__P(threads,1)}</stringProp>
        <stringProp name="ThreadGroup.ramp_time">0</stringProp>
        <boolProp name="ThreadGroup.scheduler">false</boolProp>
      </ThreadGroup>
      <hashTree>
        <HTTPSamplerProxy guiclass="HttpTestSampleGui" testclass="HTTPSamplerProxy" testname="hit" enabled="true">
          <stringProp name="HTTPSampler.domain">${__P(target.host)}</stringProp>
          <stringProp name="HTTPSampler.port">${__P(target.port)}</stringProp>
          <stringProp name="HTTPSampler.protocol">${__P(target.protocol)}</stringProp>
          <stringProp name="HTTPSampler.path">/hit?gen=${__P(shard)}&amp;vu=${__threadNum}&amp;iter=${__counter(FALSE,)}</stringProp>
          <stringProp name="HTTPSampler.method">GET</stringProp>
        </HTTPSamplerProxy>
        <hashTree/>
      </hashTree>
    </hashTree>
  </hashTree>
</jmeterTestPlan>
JMX

# tool_lines TOOL: the plan's tool-specific lines.
tool_lines() {
  case "$1" in
    k6) printf 'tool: k6\nscript: scripts/skew.js\nresources: {cpu: 100m, memory: 128Mi}\n' ;;
    gatling) printf 'tool: gatling\nscript: scripts/SkewSimulation.scala\nresources: {cpu: "1", memory: 1Gi}\n'
             printf 'gatling: {simulationClass: skew.SkewSimulation, mode: independent}\n' ;;
    jmeter) printf 'tool: jmeter\nscript: scripts/skew.jmx\nresources: {cpu: "1", memory: 512Mi}\n'
            printf 'jmeter: {rmi: {ssl: false}}\n' ;;
  esac
}

for run in "${runs[@]}"; do
  tool=${run%%:*} n=${run#*:}
  {
    printf 'perfplan: v1\nname: skew\nnamespace: perf-testing\n'
    tool_lines "$tool"
    duration=10s; [ "$tool" != k6 ] || duration=5s
    printf 'load:\n  users: %s\n  generators: %s\n  duration: %s\n' "$n" "$n" "$duration"
    printf 'target:\n  url: http://target.test:8080\n  allow:\n    - cidr: 127.77.2.1/32\n'
  } >"$work/plan-$run.yaml"
  target/release/perfplan compile "$work/plan-$run.yaml" -o "$work/bundle-$run" 2>/dev/null
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  flock /tmp/perfplan-harness.lock python3 tests/harness/kubelet.py run "$work/bundle-$run" \
    --target target.test=127.77.2.1:8080 --timeout 600 --run-dir "$work/run-$run" >/dev/null 2>&1 || true
  python3 - "$work/run-$run/report.json" "$tool" "$n" "$load" <<'PY'
import glob, json, os, re, sys
_, path, tool, n, load = sys.argv
try:
    report = json.load(open(path))
except OSError as e:
    print(f"{tool}, {n} generators: no report ({e})")
    sys.exit(0)
target = report.get("targets", {}).get("target.test", {})
gens = target.get("by_gen", {})
jobs = {j["name"]: j.get("condition") for j in report.get("jobs", [])}
skew = target.get("start_skew_s")
# k6: the starter's own share, how long its batch of resumes took (first sent to last answered).
run = os.path.dirname(path)
resumed = [m.group(1) for f in glob.glob(f"{run}/logs/*-k6-starter-*.log")
           for m in re.finditer(r"resumed all \d+ k6 runners in (\d+) ms", open(f).read())]
starter = f", resumes sent and answered in {resumed[0]} ms" if resumed else ""
print(f"{tool}, {n} generators: {len(gens)} sent load, start skew "
      f"{'n/a' if skew is None else f'{skew * 1000:.0f} ms'}{starter}, run {report.get('duration_s', 0):.0f} s, "
      f"load average before {load}, jobs {jobs}")
PY
done
