"""NetworkPolicy enforcement for the local kubelet: nftables rules in each pod's namespace.

What a policy-enforcing CNI (Calico, Cilium...) does, for networking.k8s.io/v1 NetworkPolicy:
- a pod selected by a policy whose policyTypes include Ingress (Egress) is isolated for ingress
  (egress): only what some selecting policy's rules allow passes, the rest is dropped;
- a rule allows traffic that matches one of its peers (`from`/`to`: podSelector, namespaceSelector,
  both, or ipBlock with `except`; none = any peer) AND one of its ports (none = any port;
  `port` a number or a named container port, `endPort`, protocol TCP by default);
- replies of allowed connections pass (connection tracking);
- traffic between two pods needs the sender's egress AND the receiver's ingress to allow it.

Each pod's rules live in its own network namespace (table inet netpol: chain output for egress,
chain input for ingress) and are rewritten whenever the set of pods (their addresses and labels)
changes, before a new pod's containers start. Dropped flows are remembered in two sets (drops_out,
drops_in) that the report lists per pod ("egress 127.77.2.1:8080/tcp").

Modelled peers besides the pods: the cluster DNS (namespace kube-system, labels
k8s-app=kube-dns, the DNS address, port 53 UDP/TCP), as CoreDNS is in most clusters, so a policy
written for a real cluster's DNS matches it here. Extra hosts (the test target) are outside the
cluster: only ipBlock peers match them. The node address (kubelet probes) always reaches a pod, as
in Calico and Cilium defaults. Not modelled: ClusterIP Services (the harness's proxy connects
from the node address), SCTP, named ports of ipBlock peers.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from dataclasses import dataclass, field

import bundle as B


@dataclass
class Endpoint:
    """Something a policy peer can select: a pod, or the modelled cluster DNS."""
    namespace: str
    labels: dict
    ip: str
    ports: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (proto, port)


def policy_types(policy: dict) -> list[str]:
    spec = policy.get("spec", {})
    if spec.get("policyTypes"):
        return spec["policyTypes"]
    return ["Ingress"] + (["Egress"] if "egress" in spec else [])


class Policies:
    def __init__(self, policies: list[dict], namespace_labels: dict[str, dict]):
        self.policies = policies
        self.namespace_labels = namespace_labels

    def ns_labels(self, ns: str) -> dict:
        return {"kubernetes.io/metadata.name": ns, **self.namespace_labels.get(ns, {})}

    def selecting(self, ep: Endpoint, kind: str) -> list[dict]:
        return [p for p in self.policies
                if p["metadata"]["namespace"] == ep.namespace and kind in policy_types(p)
                and B.selector_matches(p["spec"].get("podSelector") or {"matchLabels": {}}, ep.labels)]

    def peer_matches(self, peer: dict, policy_ns: str, ep: Endpoint) -> bool:
        if "ipBlock" in peer:
            return False
        ns_sel = peer.get("namespaceSelector")
        pod_sel = peer.get("podSelector")
        if ns_sel is not None:
            if not B.selector_matches(ns_sel or {"matchLabels": {}}, self.ns_labels(ep.namespace)):
                return False
        elif ep.namespace != policy_ns:
            return False
        if pod_sel is not None:
            return B.selector_matches(pod_sel or {"matchLabels": {}}, ep.labels)
        return True


def _ports(rule_ports: list[dict] | None, resolve) -> list[tuple[str, str]] | None:
    """A rule's ports as (nft protocol, nft port expression); None = every port. `resolve` maps a
    named port to a number (or None when the endpoint has no such port)."""
    if not rule_ports:
        return None
    out = []
    for p in rule_ports:
        proto = p.get("protocol", "TCP").lower()
        port = p.get("port")
        if port is None:
            out.append((proto, ""))
            continue
        if not str(port).isdigit():
            number = resolve(port, proto)
            if number is None:
                continue
            port = number
        expr = f"{port}-{p['endPort']}" if p.get("endPort") else str(port)
        out.append((proto, expr))
    return out


def _match(direction: str, addr: str | None, cidr_except: list[str], ports) -> list[str]:
    """nft rule lines (accept) for one peer address/CIDR and port list."""
    field_ = "daddr" if direction == "out" else "saddr"
    head = f"ip {field_} {addr} " if addr else ""
    if cidr_except and addr:
        head += f"ip {field_} != {{ {', '.join(cidr_except)} }} "
    if ports is None:
        return [f"{head}accept"]
    lines = []
    for proto, expr in ports:
        lines.append(f"{head}meta l4proto {proto} " + (f"th dport {expr} " if expr else "") + "accept")
    return lines


def rules_for(pod: Endpoint, endpoints: list[Endpoint], pols: Policies, node_ip: str) -> str:
    """The nft ruleset of one pod."""
    chains = {}
    for kind, direction in (("Ingress", "in"), ("Egress", "out")):
        selecting = pols.selecting(pod, kind)
        lines = []
        if selecting:
            for policy in selecting:
                policy_ns = policy["metadata"]["namespace"]
                for rule in policy["spec"].get(kind.lower(), []) or []:
                    peers = rule.get("from" if kind == "Ingress" else "to")
                    if not peers:  # any peer
                        if kind == "Ingress":
                            resolve = lambda name, proto: _named(pod, name, proto)  # noqa: E731
                        else:
                            resolve = lambda name, proto: None  # noqa: E731
                        lines += _match(direction, None, [], _ports(rule.get("ports"), resolve))
                        continue
                    for peer in peers:
                        if "ipBlock" in peer:
                            block = peer["ipBlock"]
                            ports = _ports(rule.get("ports"), lambda n, p: None)
                            lines += _match(direction, block["cidr"], block.get("except", []), ports)
                            continue
                        for ep in endpoints:
                            if not pols.peer_matches(peer, policy_ns, ep):
                                continue
                            # A named port is the receiving pod's container port.
                            target = pod if kind == "Ingress" else ep
                            ports = _ports(rule.get("ports"),
                                           lambda name, proto, t=target: _named(t, name, proto))
                            lines += _match(direction, ep.ip, [], ports)
        chains[direction] = (bool(selecting), lines)

    def chain(name: str, hook: str, direction: str, iface: str, extra: list[str]) -> str:
        isolated, lines = chains[direction]
        body = [f"type filter hook {hook} priority 0; policy accept;",
                f'{iface} "lo" accept', "ct state established,related accept"]
        if isolated:
            body += extra + lines
            addr = "ip daddr" if direction == "out" else "ip saddr"
            body.append(f"meta l4proto {{ tcp, udp }} add @drops_{direction} "
                        f"{{ {addr} . meta l4proto . th dport }}")
            body.append("drop")
        return f"  chain {name} {{\n" + "".join(f"    {b}\n" for b in body) + "  }\n"

    sets = "".join(
        f"  set drops_{d} {{ type ipv4_addr . inet_proto . inet_service; flags dynamic, timeout; "
        f"timeout 1h; size 4096; }}\n" for d in ("in", "out"))
    return ("table inet netpol\ndelete table inet netpol\ntable inet netpol {\n" + sets
            + chain("output", "output", "out", "oifname", [])
            + chain("input", "input", "in", "iifname", [f"ip saddr {node_ip} accept"])
            + "}\n")


def _named(ep: Endpoint, name: str, proto: str) -> int | None:
    found = ep.ports.get(name)
    if found and found[0] == proto:
        return found[1]
    return None


def apply(netns: str, ruleset: str) -> None:
    r = subprocess.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], input=ruleset,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"nft in {netns}: {r.stderr.strip()}\n{ruleset}")


def read_drops(netns: str) -> list[str]:
    """The flows the pod's rules dropped: "egress 127.77.2.1:8080/tcp", "ingress from ..."."""
    out = []
    for direction, word in (("out", "egress to"), ("in", "ingress from")):
        r = subprocess.run(["ip", "netns", "exec", netns, "nft", "-j", "list", "set", "inet",
                            "netpol", f"drops_{direction}"], capture_output=True, text=True)
        if r.returncode != 0:
            continue
        for item in json.loads(r.stdout).get("nftables", []):
            for elem in item.get("set", {}).get("elem", []) or []:
                value = elem.get("elem", {}).get("val", elem) if isinstance(elem, dict) else elem
                if isinstance(value, dict) and "concat" in value:
                    ip, proto, port = value["concat"]
                    out.append(f"{word} {ip}:{port}/{proto}")
    return out


def container_ports(spec: dict) -> dict[str, tuple[str, int]]:
    ports = {}
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        for p in c.get("ports", []):
            if p.get("name"):
                ports[p["name"]] = (p.get("protocol", "TCP").lower(), int(p["containerPort"]))
    return ports


def valid_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
        return True
    except ValueError:
        return False
