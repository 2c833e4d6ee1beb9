#!/usr/bin/env python3
"""Self-test of the local kubelet: runs it on its own bundles (bundles/) and, when given the
tools, on a compiled k6 bundle, and checks what it reports. Run as root:

    python3 tests/harness/selftest.py [--perfplan target/release/perfplan] [--k6 $K6_BIN]

Prints one line per check and closes with "N passed, N failed"; exit 1 when any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bundle as B  # noqa: E402

results: list[tuple[str, bool, str]] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    results.append((name, ok, detail))
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail and not ok else ""), flush=True)


def run_kubelet(bundle: str, *extra: str) -> tuple[int, dict, str]:
    run_dir = tempfile.mkdtemp(prefix="kubelet-selftest-")
    report = os.path.join(run_dir, "report.json")
    proc = subprocess.run([sys.executable, os.path.join(HERE, "kubelet.py"), "run", bundle,
                           "--run-dir", run_dir, "--grace-cap", "2", *extra],
                          capture_output=True, text=True, timeout=600)
    try:
        with open(report) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {}
    return proc.returncode, data, proc.stderr


def logs(report: dict, pod_prefix: str, container: str) -> str:
    text = ""
    for pod in report.get("pods", []):
        if pod["name"].startswith(pod_prefix):
            for c in pod["containers"]:
                if c["name"] == container:
                    for a in c["attempts"]:
                        with open(a["log"], errors="replace") as f:
                            text += f.read()
    return text


def job(report: dict, name: str) -> dict:
    return next((j for j in report.get("jobs", []) if j["name"] == name), {})


def test_expansion() -> None:
    env = {"A": "x", "B": "y"}.get
    cases = {"$(A)": "x", "$$(A)": "$(A)", "$$$(A)": "$x", "$(C)": "$(C)", "$(A": "$(A",
             "a$": "a$", "$x": "$x", "$(A$(B)": "$(A$(B)", "pre$(A)post$(B)": "prexposty"}
    bad = {k: B.expand(k, env) for k, v in cases.items() if B.expand(k, env) != v}
    check("$(VAR) expansion follows Kubernetes' rules", not bad, str(bad))


def test_smoke() -> None:
    code, r, err = run_kubelet(os.path.join(HERE, "bundles", "smoke"), "--timeout", "90")
    check("smoke: exit 1 (one Job fails on purpose)", code == 1, f"exit {code}: {err[-500:]}")
    check("smoke: Indexed Job peers Complete", job(r, "peers").get("condition") == "Complete",
          str(job(r, "peers")))
    f = job(r, "failing")
    check("smoke: Job failing Failed (BackoffLimitExceeded)",
          f.get("condition") == "Failed" and f.get("reason") == "BackoffLimitExceeded", str(f))
    for i in range(3):
        text = logs(r, f"peers-{i}-", "main")
        expected = [
            f"JOB_COMPLETION_INDEX={i} INDEX={i}",
            f"args: [hello from index {i}] [escaped $(GREETING)] [unknown $(NOPE)]",
            "MESSAGE=hello, world LATER_REF=$(POD_NAME) is defined later, so it stays",
            "id: uid=1000 gid=1000 groups=2000",
            f"hostname: peers-{i}",
            "..data -> ..",
            "greeting -> ..data/greeting",
            "touch /x: touch: /x: Read-only file system",
            "nslookup peers-0.peers (short form): NXDOMAIN",
        ] + [f"peers-{j}.peers.harness-smoke.svc.cluster.local -> 127.77." for j in range(3)]
        missing = [e for e in expected if e not in text]
        check(f"smoke: pod of index {i} saw the pod contract", not missing, f"missing {missing}")
        check(f"smoke: index {i}: configMap folder drwxrwsrwx root:2000 (fsGroup)",
              re.search(r"drwxrwsrwx\s+\d+\s+root\s+2000\s+.*\s\.\n", text) is not None)


def test_broken() -> None:
    code, r, err = run_kubelet(os.path.join(HERE, "bundles", "broken-rootfs"), "--timeout", "60")
    j = job(r, "writes-to-root")
    check("broken-rootfs: exit 1, Job Failed", code == 1 and j.get("condition") == "Failed",
          f"exit {code} {j}")
    alerts = [a for p in r.get("pods", []) for c in p["containers"] for a in c["log_alerts"]]
    check("broken-rootfs: the log shows the read-only root",
          any("Read-only file system" in a for a in alerts), str(alerts))


def test_controllers() -> None:
    code, r, err = run_kubelet(os.path.join(HERE, "bundles", "controllers"), "--timeout", "90",
                               "--backoff-scale", "0.2")
    check("controllers: exit 0, Job client Complete", code == 0, f"exit {code}: {err[-500:]}")
    web = {p["name"]: p for p in r.get("pods", []) if p["controller"]["kind"] == "StatefulSet"}
    check("controllers: StatefulSet pods web-0, web-1", sorted(web) == ["web-0", "web-1"], str(sorted(web)))
    check("controllers: each web pod restarted once (CrashLoopBackOff)",
          all(c["restarts"] == 1 for p in web.values() for c in p["containers"]))
    if len(web) == 2:
        check("controllers: OrderedReady (web-1 created after web-0 was ready)",
              web["web-1"]["created"]["mono"] >= web["web-0"]["ready"]["mono"])
    text = logs(r, "client-", "main")
    for line in ("web-0.web says: web-0", "web-1.web says: web-1", "web-vip says: web-",
                 "WEB_VIP_SERVICE_HOST=127.77.1."):
        check(f"controllers: client log has {line!r}", line in text, text[-300:])


def test_k6(perfplan: str, k6: str) -> None:
    plans = tempfile.mkdtemp(prefix="kubelet-selftest-plans-")
    os.makedirs(os.path.join(plans, "scripts"))
    repo = os.path.dirname(os.path.dirname(HERE))
    with open(os.path.join(repo, "plans", "scripts", "checkout.js")) as src, \
            open(os.path.join(plans, "scripts", "checkout.js"), "w") as dst:
        dst.write(src.read())
    for name, cidr in (("ok", "127.77.2.1/32"), ("denied", "127.77.3.0/24")):
        plan = os.path.join(plans, f"k6-{name}.yaml")
        with open(plan, "w") as f:
            f.write(f"""perfplan: v1
name: checkout-peak
namespace: perf-testing
tool: k6
script: scripts/checkout.js
load: {{users: 6, generators: 3, duration: 5s}}
target:
  url: http://target.test:8080
  allow: [{{cidr: {cidr}}}]
resources: {{cpu: "2", memory: 4Gi}}
image: grafana/k6:0.55.0
k6: {{workload: indexed-job}}
""")
        out = os.path.join(plans, f"bundle-{name}")
        c = subprocess.run([perfplan, "compile", plan, "-o", out], capture_output=True, text=True)
        if c.returncode != 0:
            check(f"k6 {name}: perfplan compile", False, c.stderr[-500:])
            continue
        code, r, err = run_kubelet(out, "--tool", f"k6={k6}", "--target", "target.test=127.77.2.1:8080",
                                   "--timeout", "120")
        target = r.get("targets", {}).get("target.test", {})
        runners = [p for p in r.get("pods", []) if "-k6-runner-" in p["name"]]
        counts = {p["name"]: 0 for p in runners}
        for client in target.get("by_client", {}).values():
            if client.get("pod") in counts:
                counts[client["pod"]] = client["requests"]
        if name == "ok":
            check("k6: every Job succeeded", code == 0, f"exit {code}: {err[-800:]}")
            check("k6: each of the 3 runners sent requests", len(counts) == 3 and all(counts.values()),
                  str(counts))
            skew = target.get("start_skew_s")
            check("k6: start skew under 1 s", skew is not None and skew < 1.0, str(skew))
        else:
            drops = [d for p in runners for d in p.get("network_policy_drops", [])]
            check("k6 with a wrong allow CIDR: NetworkPolicy drops runner->target",
                  any("127.77.2.1:8080/tcp" in d for d in drops) and target.get("requests", 0) == 0,
                  f"drops {drops}, requests {target.get('requests')}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--perfplan", help="a perfplan binary, for the k6 end-to-end checks")
    p.add_argument("--k6", default=os.environ.get("K6_BIN"), help="the k6 binary (default $K6_BIN)")
    args = p.parse_args()
    test_expansion()
    test_smoke()
    test_broken()
    test_controllers()
    if args.perfplan and args.k6:
        test_k6(args.perfplan, args.k6)
    else:
        print("skip k6 end-to-end checks (give --perfplan and --k6)")
    passed = sum(1 for _, ok, _ in results if ok)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
