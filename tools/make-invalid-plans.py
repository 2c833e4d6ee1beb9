#!/usr/bin/env python3
"""Writes plans/invalid/*.yaml: one real user mistake each.

Each case names the diagnostic code it must produce and the exact token the
diagnostic must point at (the first occurrence of `at` after the header, or
`@N:text` for the Nth occurrence). This script turns the token into line:column
and writes `# expect: CODE LINE:COL` headers; tests/invalid_plans.rs checks that
`perfplan validate` reports exactly those. Run it after editing a case; review the
diff of the headers (they are the test's expectations).
"""
import os

K6 = """perfplan: v1
name: shop
tool: k6
script: scripts/test.js
load:
  users: 10
  generators: 2
  duration: 1m
target:
  url: https://10.0.0.1
"""

JM = K6.replace("tool: k6", "tool: jmeter").replace("scripts/test.js", "scripts/test.jmx") + "jmeter: {rmi: {ssl: false}}\n"

GATLING = K6.replace("tool: k6", "tool: gatling").replace("scripts/test.js", "scripts/Sim.scala") + "image: example.com/gatling-cluster:1.0\ngatling:\n  simulationClass: a.Sim\n"

def sub(base, old, new):
    assert old in base, old
    return base.replace(old, new, 1)

CASES = [
    ("unknown-top-key", sub(K6, "tool: k6", "tool: k6\ntools: k6"), [("perfplan::schema::unknown_key", "tools")]),
    ("misspelt-users", sub(K6, "users: 10", "usres: 10"), [("perfplan::schema::unknown_key", "usres")]),
    ("misspelt-tool", sub(K6, "tool: k6", "tool: gatlin"), [("perfplan::schema::enum", "gatlin")]),
    ("bad-version", sub(K6, "perfplan: v1", "perfplan: v2"), [("perfplan::schema::version", "v2")]),
    ("missing-load", sub(K6, "load:\n  users: 10\n  generators: 2\n  duration: 1m\n", ""), [("perfplan::schema::missing_key", "perfplan")]),
    ("missing-duration", sub(K6, "  duration: 1m\n", ""), [("perfplan::schema::missing_key", "load")]),
    ("users-as-string", sub(K6, "users: 10", 'users: "10"'), [("perfplan::schema::type", '"10"')]),
    ("users-zero", sub(K6, "users: 10", "users: 0"), [("perfplan::schema::range", "0")]),
    ("uppercase-name", sub(K6, "name: shop", "name: Shop_Test"), [("perfplan::schema::pattern", "Shop_Test")]),
    ("bad-duration-unit", sub(K6, "duration: 1m", "duration: 10 minutes"), [("perfplan::schema::pattern", "10 minutes")]),
    ("too-few-users", sub(K6, "users: 10", "users: 3").replace("generators: 2", "generators: 5"), [("perfplan::load::too_few_users", "3")]),
    ("both-load-models", sub(K6, "users: 10", "users: 10\n  arrivalRate: {rate: 5, maxUsers: 10}"), [("perfplan::load::model", "arrivalRate")]),
    ("no-load-model", sub(K6, "  users: 10\n", ""), [("perfplan::load::model", "load")]),
    ("ramp-longer-than-test", sub(K6, "duration: 1m", "duration: 1m\n  rampUp: 2m"), [("perfplan::load::ramp_exceeds_duration", "2m")]),
    ("sub-second-duration", sub(K6, "duration: 1m", "duration: 500ms"), [("perfplan::load::duration", "500ms")]),
    ("deployment-uneven", sub(K6, "users: 10", "users: 10").replace("generators: 2", "generators: 3") + "k6: {workload: deployment}\n", [("perfplan::load::uneven_split", "10")]),
    ("name-too-long", sub(K6, "name: shop", "name: " + "a" * 60), [("perfplan::name::too_long", "a" * 60)]),
    ("script-missing", sub(K6, "scripts/test.js", "scripts/tset.js"), [("perfplan::script::missing", "scripts/tset.js")]),
    ("script-wrong-tool", sub(K6, "scripts/test.js", "scripts/test.jmx"), [("perfplan::script::extension", "scripts/test.jmx")]),
    ("script-escapes", sub(K6, "scripts/test.js", "../../etc/passwd.js"), [("perfplan::script::outside_plan", "../../etc/passwd.js")]),
    ("script-file-name", sub(K6, "scripts/test.js", "'scripts/load test.js'"), [("perfplan::script::file_name", "'scripts/load test.js'")]),
    ("toleration-exists-with-value", K6 + "placement:\n  tolerations:\n    - {key: dedicated, operator: Exists, value: load}\n", [("perfplan::placement::toleration", "load}")]),
    ("affinity-in-without-values", K6 + "placement:\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n          - matchExpressions:\n              - {key: pool, operator: In}\n", [("perfplan::placement::affinity", "In}")]),
    ("metrics-unsupported-output", K6 + "metrics:\n  output: graphite\n  url: tcp://10.0.0.9:2003\n", [("perfplan::metrics::unsupported", "graphite")]),
    ("metrics-host-without-allow", K6 + "metrics:\n  output: prometheusRemoteWrite\n  url: https://prometheus.example.com/api/v1/write\n", [("perfplan::metrics::not_allowed", "https://prometheus.example.com/api/v1/write")]),
    ("metrics-url-credentials", K6 + "metrics:\n  output: influxdb\n  url: http://admin:hunter2@10.0.0.9:8086/k6\n", [("perfplan::metrics::url", "http://admin:hunter2@10.0.0.9:8086/k6")]),
    ("metrics-half-credentials", K6 + "metrics:\n  output: prometheusRemoteWrite\n  url: https://10.0.0.9/api/v1/write\n  credentials:\n    secret: rw\n    usernameKey: user\n", [("perfplan::metrics::credentials", "credentials")]),
    ("regions-duplicate", K6 + "regions:\n  - {name: eu, share: 1}\n  - {name: eu, share: 1}\n", [("perfplan::regions::duplicate", "@2:eu")]),
    ("regions-users-do-not-add-up", K6 + "regions:\n  - {name: eu, users: 6}\n  - {name: us, users: 5}\n", [("perfplan::regions::split", "regions")]),
    ("regions-mixed-split", K6 + "regions:\n  - {name: eu, share: 1}\n  - {name: us, users: 5}\n", [("perfplan::regions::split", "@2:users")]),
    ("regions-partial-generators", K6 + "regions:\n  - {name: eu, share: 1, generators: 1}\n  - {name: us, share: 1}\n", [("perfplan::regions::generators", "{name: us")]),
    ("region-too-few-users", K6 + "regions:\n  - {name: eu, share: 99}\n  - {name: us, share: 1}\n", [("perfplan::load::too_few_users", "{name: us")]),
    ("script-absolute", sub(K6, "scripts/test.js", "/etc/test.js"), [("perfplan::script::outside_plan", "/etc/test.js")]),
    ("url-no-scheme", sub(K6, "https://10.0.0.1", "shop.example.com"), [("perfplan::target::url", "shop.example.com")]),
    ("url-credentials", sub(K6, "https://10.0.0.1", "https://admin:hunter2@10.0.0.1"), [("perfplan::target::url", "https://admin:hunter2@10.0.0.1")]),
    ("host-without-allow", sub(K6, "https://10.0.0.1", "https://shop.example.com"), [("perfplan::target::not_allowed", "https://shop.example.com")]),
    ("bad-cidr", sub(K6, "https://10.0.0.1", "https://shop.example.com\n  allow:\n    - cidr: 10.20.0.0/33"), [("perfplan::target::allow", "10.20.0.0/33")]),
    ("cidr-without-prefix", sub(K6, "https://10.0.0.1", "https://shop.example.com\n  allow:\n    - cidr: 10.20.0.7"), [("perfplan::target::allow", "10.20.0.7")]),
    ("port-not-allowed", sub(K6, "https://10.0.0.1", "https://shop.example.com\n  allow:\n    - cidr: 10.20.0.0/16\n      ports: [80]"), [("perfplan::target::port_not_allowed", "https://shop.example.com")]),
    ("image-latest", K6 + "image: grafana/k6:latest\n", [("perfplan::image::unpinned", "grafana/k6:latest")]),
    ("image-untagged", K6 + "image: grafana/k6\n", [("perfplan::image::unpinned", "grafana/k6")]),
    ("image-with-space", K6 + "image: \"grafana/k6 :0.55.0\"\n", [("perfplan::image::invalid", "\"grafana/k6 :0.55.0\"")]),
    ("image-bad-digest", K6 + "image: grafana/k6@sha256:abc\n", [("perfplan::image::invalid", "grafana/k6@sha256:abc")]),
    ("wrong-tool-block", K6 + "gatling: {simulationClass: a.B}\n", [("perfplan::tool::block_mismatch", "gatling")]),
    ("gatling-no-class", sub(sub(K6, "tool: k6", "tool: gatling"), "scripts/test.js", "scripts/Sim.scala") + "gatling: {mode: independent}\n", [("perfplan::gatling::simulation_class", "@2:gatling")]),
    ("gatling-cluster-stock-image", sub(sub(K6, "tool: k6", "tool: gatling"), "scripts/test.js", "scripts/Sim.scala") + "gatling: {simulationClass: a.Sim, mode: cluster}\n", [("perfplan::gatling::cluster_image", "cluster}")]),
    ("jmeter-no-keystore", sub(sub(K6, "tool: k6", "tool: jmeter"), "scripts/test.js", "scripts/test.jmx"), [("perfplan::jmeter::rmi_keystore", "jmeter")]),
    ("jmeter-reserved-property", sub(sub(K6, "tool: k6", "tool: jmeter"), "scripts/test.js", "scripts/test.jmx") + "jmeter:\n  rmi: {ssl: false}\n  properties: {threads: \"50\"}\n", [("perfplan::jmeter::property", "threads")]),
    ("root-under-restricted", K6 + "security: {runAsUser: 0}\n", [("perfplan::security::posture", "runAsUser: |0")]),
    ("writable-root-restricted", K6 + "security: {writableRootFilesystem: true}\n", [("perfplan::security::posture", "true")]),
    ("reserved-label", K6 + "labels: {app.kubernetes.io/name: x}\n", [("perfplan::label::invalid", "app.kubernetes.io/name")]),
    ("zero-cpu", K6 + "resources: {cpu: \"0\", memory: 1Gi}\n", [("perfplan::resources::quantity", '"0"')]),
    ("bad-quantity", K6 + "resources: {cpu: two, memory: 1Gi}\n", [("perfplan::schema::pattern", "two")]),
    ("every-error-at-once", sub(sub(sub(K6, "users: 10", "users: 1"), "https://10.0.0.1", "ftp://10.0.0.1"), "scripts/test.js", "scripts/nope.js"),
        [("perfplan::load::too_few_users", "users: |1"), ("perfplan::target::url", "ftp://10.0.0.1"), ("perfplan::script::missing", "scripts/nope.js")]),
    ("url-port-zero", sub(K6, "https://10.0.0.1", "https://10.0.0.1:0"), [("perfplan::target::url", "https://10.0.0.1:0")]),
    ("too-few-max-users", sub(K6, "  users: 10\n", "  arrivalRate: {rate: 10, maxUsers: 1}\n"), [("perfplan::load::too_few_max_users", "maxUsers: |1")]),
    ("users-fractional", sub(K6, "users: 10", "users: 2.5"), [("perfplan::schema::type", "2.5")]),
    ("script-shape", sub(K6, "script: scripts/test.js", "script: {configMap: my-scripts}"), [("perfplan::schema::shape", "{configMap")]),
    ("two-documents", K6 + "---\nname: other\n", [("perfplan::yaml::multiple_documents", "=13:1")]),
    ("key-not-string", K6 + "[a, b]: 1\n", [("perfplan::yaml::key_not_string", "[a, b]")]),
    ("metrics-bad-allow", K6 + "metrics:\n  output: prometheusRemoteWrite\n  url: https://10.9.0.1/api/v1/write\n  allow:\n    - {cidr: 10.9.0.0/16, namespace: monitoring}\n",
        [("perfplan::metrics::allow", "{cidr: 10.9.0.0/16")]),
    ("metrics-port-not-allowed", K6 + "metrics:\n  output: prometheusRemoteWrite\n  url: https://prom.example.com:9090/api/v1/write\n  allow:\n    - {cidr: 10.9.0.0/16, ports: [443]}\n",
        [("perfplan::metrics::port_not_allowed", "https://prom.example.com:9090/api/v1/write")]),
    # Warnings (lints): the plan is valid, the warning is still expected.
    ("lint-k6-options", sub(K6, "scripts/test.js", "scripts/own-options.js"), [("perfplan::lint::k6_options", "scripts/own-options.js")]),
    ("lint-capacity", sub(sub(K6, "users: 10", "users: 90000"), "generators: 2", "generators: 1"), [("perfplan::lint::capacity", "users: |90000"), ("perfplan::lint::capacity", "generators: |1")]),
    ("lint-resources", K6 + "security: {posture: baseline}\n", [("perfplan::lint::resources", "baseline")]),
    ("threshold-bad-latency", K6 + "results:\n  persistentVolumeClaim: r\n  thresholds:\n    latency: {p95: 0ms, p99: 2h}\n    requests:\n      cart: {latency: {max: 1ms}}\n",
     [("perfplan::results::threshold", "0ms"), ("perfplan::results::threshold", "2h")]),
    ("threshold-empty", K6 + "results:\n  persistentVolumeClaim: r\n  thresholds: {requests: {}}\n", [("perfplan::results::threshold", "thresholds")]),
    ("threshold-blank-request", K6 + "results:\n  persistentVolumeClaim: r\n  thresholds:\n    requests:\n      ' ': {errorRate: 0}\n", [("perfplan::results::threshold", "' '")]),
    ("lint-jmeter-rate-unread", sub(JM, "users: 10", "arrivalRate: {rate: 20, maxUsers: 40}"), [("perfplan::lint::load_property", "scripts/test.jmx")]),
    ("lint-gatling-rate-unread", sub(GATLING, "users: 10", "arrivalRate: {rate: 20, maxUsers: 40}") + "  mode: independent\n", [("perfplan::lint::load_property", "scripts/Sim.scala")]),
    ("dns-metadata", K6 + "dns:\n  allow:\n    - cidr: 169.254.0.0/16\n", [("perfplan::dns::allow", "169.254.0.0/16")]),
    ("dns-both-cidr-and-namespace", K6 + "dns:\n  allow:\n    - {cidr: 10.0.0.10/32, namespace: openshift-dns}\n", [("perfplan::dns::allow", "{cidr")]),
    ("lint-results-volume", K6 + "results:\n  thresholds: {errorRate: 0.01}\n", [("perfplan::lint::results_volume", "{errorRate")]),
    ("lint-jmeter-threads", JM.replace("scripts/test.jmx", "scripts/hardcoded-threads.jmx"), [("perfplan::lint::jmeter_threads", "scripts/hardcoded-threads.jmx")]),
    ("lint-jmeter-metrics", JM + "metrics:\n  output: influxdb\n  url: https://10.9.0.1:8086/api/v2/write\n  allow:\n    - {cidr: 10.9.0.0/16}\n", [("perfplan::lint::jmeter_metrics", "output: |influxdb")]),
    ("script-not-text", sub(K6, "scripts/test.js", "scripts/binary.js"), [("perfplan::script::not_text", "scripts/binary.js")]),
    ("duration-too-long", sub(K6, "duration: 1m", "duration: 1000000h"), [("perfplan::load::duration", "1000000h")]),
    ("memory-one-byte", K6 + "resources: {cpu: \"1\", memory: \"1\"}\n", [("perfplan::resources::quantity", '"1"}')]),
    ("cidr-host-bits", sub(K6, "https://10.0.0.1", "https://shop.example.com") + "  allow:\n    - cidr: 10.1.2.3/8\n", [("perfplan::target::allow", "10.1.2.3/8")]),
    ("url-whitespace", sub(K6, "https://10.0.0.1", "\"https://10.0.0.1/a b\""), [("perfplan::target::url", "\"https://10.0.0.1/a b\"")]),
    ("target-metadata", sub(K6, "https://10.0.0.1", "http://2852039166/latest/meta-data"), [("perfplan::network::unsafe_destination", "http://2852039166/latest/meta-data")]),
    ("allow-everything", sub(K6, "https://10.0.0.1", "https://shop.example.com") + "  allow:\n    - cidr: 0.0.0.0/0\n", [("perfplan::network::unsafe_destination", "cidr: 0.0.0.0/0")]),
    ("namespace-kube-system", sub(K6, "name: shop", "name: shop\nnamespace: kube-system"), [("perfplan::namespace::system", "kube-system")]),
    # A plan written when discovery used the Kubernetes API: the field still parses (and
    # a value that was never a CIDR no longer matters), with a warning that it is unused.
    ("lint-api-server-unused", GATLING + "  apiServer: [10.96.0.1/32, 10.96.0.1]\n", [("perfplan::lint::api_server_unused", "[10.96.0.1/32")]),
    ("plan-is-a-list", "- perfplan: v1\n- name: shop\n", [("perfplan::schema::type", "-")]),
    ("empty", "# nothing here\n", [("perfplan::input::empty", "=1:1")]),
    ("duplicate-key", sub(K6, "name: shop", "name: shop\nname: shop2"), [("perfplan::yaml::duplicate_key", "@2:name")]),
    ("tab-indented", sub(K6, "  users: 10", "\tusers: 10"), [("perfplan::yaml::syntax", "\tusers")]),
    ("unclosed-bracket", sub(K6, "  users: 10", "  users: [10"), [("perfplan::yaml::syntax", "=8:13")]),
]

ALIAS_BOMB = "a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"a{i}: &a{i} [" + ",".join([f"*a{i-1}"] * 10) + "]\n" for i in range(1, 10))
CASES.append(("alias-bomb", ALIAS_BOMB, [("perfplan::yaml::budget", "=6:10")]))
CASES.append(("deep-nesting", "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 200)), [("perfplan::yaml::budget", "=18:33")]))

def locate(text, marker):
    """line:col (1-based, in characters) of marker; '@N:tok' is the Nth occurrence,
    and 'a: |b' points at b inside 'a: b'. (A case may instead give '=L:C', a
    position in the final file, where no token marks the place the parser reports:
    an end of line, the alias that crosses a budget.)"""
    shift = 0
    if "|" in marker:
        shift = marker.index("|")
        marker = marker.replace("|", "", 1)
    nth = 1
    if marker.startswith("@"):
        n, marker = marker[1:].split(":", 1)
        nth = int(n)
    pos = -1
    for _ in range(nth):
        pos = text.index(marker, pos + 1)
    before = text[:pos]
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1 + shift
    return f"{line}:{col}"

def main():
    out = os.path.join(os.path.dirname(__file__), "..", "plans", "invalid")
    for name, body, expects in CASES:
        lines = []
        for code, marker in expects:
            if marker is None:
                lines.append(f"# expect: {code}")
                continue
            if marker.startswith("="):  # a position in the final file, header included
                lines.append(f"# expect: {code} {marker[1:]}")
                continue
            try:
                line, col = map(int, locate(body, marker).split(":"))
            except ValueError:
                raise SystemExit(f"{name}: marker {marker!r} not in the plan")
            lines.append(f"# expect: {code} {line + len(expects)}:{col}")
        with open(os.path.join(out, f"{name}.yaml"), "w") as f:
            f.write("".join(l + "\n" for l in lines) + body)

main()
