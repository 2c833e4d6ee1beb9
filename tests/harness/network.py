"""The cluster network of the local kubelet: what a CNI plugin, kube-proxy and CoreDNS provide.

Layout (all inside network namespaces this module creates, never the host's):

    node netns  <run>-node    bridge br0: 127.77.0.1/16 (the node), 127.77.0.10 (cluster DNS),
                              127.77.1.x (ClusterIP Service addresses, see ServiceProxy)
    pod netns   <run>-p<N>    eth0 (veth, other end on br0): the pod's address 127.77.16.x+
                              lo: 127.0.0.1 - private to the pod, as in a cluster
    host netns  <run>-h<N>    an --extra-host process (the test target), same as a pod

Addresses are in 127.0.0.0/8 so that no packet can ever be mistaken for real traffic: Linux drops
127/8 on non-loopback interfaces as "martian" unless net.ipv4.conf.*.route_localnet=1, which is set
in every namespace here, and the pod subnet is routed to eth0 in the local routing table (ahead of
lo's 127.0.0.0/8 local route) so that a peer's 127.77.x.y goes to the wire, not to the pod itself.
Nothing connects the bridge to the host: traffic cannot leave these namespaces.

Sockets of the harness's own servers (DNS, Service proxy, probes) are created in the node
namespace by threads that setns(2) into it first; a socket stays in the namespace it was made in.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import random
import socket
import socketserver
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass

import linux

SUBNET = ipaddress.ip_network("127.77.0.0/16")
NODE_IP = "127.77.0.1"
DNS_IP = "127.77.0.10"
SERVICE_RANGE = ipaddress.ip_network("127.77.1.0/24")
HOST_RANGE = ipaddress.ip_network("127.77.2.0/24")
FIRST_POD_IP = ipaddress.ip_address("127.77.16.1")
CLUSTER_DOMAIN = "cluster.local"


# The niceness of the processes that stand for the cluster's own services and the target
# (DNS, target.py): in a cluster they have CPUs of their own; here they share the cores with
# every pod, and 50 k6 runners woken at once would take turns with them. (Niceness orders
# processes of one session only: with sched_autogroup_enabled, another session's build still
# gets its equal share.)
INFRA_NICE = -10


class NetworkError(Exception):
    """Setting up namespaces failed: a harness error."""


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise NetworkError(f"{' '.join(args)}: {result.stderr.strip() or result.returncode}")
    return result


def run_in_netns(ns_path: str, fn, *args, **kwargs):
    """Call fn in a fresh thread that first joins the network namespace at ns_path; return its
    result (or raise its exception). Sockets it creates belong to that namespace for good."""
    box: dict = {}

    def body():
        try:
            with open(ns_path) as f:
                linux.setns(f.fileno(), linux.CLONE_NEWNET)
            box["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    t = threading.Thread(target=body, daemon=True)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


def start_thread_in_netns(ns_path: str, fn, *args, name: str = "") -> threading.Thread:
    """A daemon thread that joins the namespace, then runs fn(*args) (a long-running loop)."""
    def body():
        with open(ns_path) as f:
            linux.setns(f.fileno(), linux.CLONE_NEWNET)
        fn(*args)
    t = threading.Thread(target=body, daemon=True, name=name)
    t.start()
    return t


@dataclass
class Sandbox:
    """A pod's (or extra host's) network namespace and address."""
    netns: str
    ip: str

    @property
    def path(self) -> str:
        return f"/run/netns/{self.netns}"


class Network:
    """Creates and removes the node namespace, its bridge, and one namespace per pod."""

    def __init__(self, run_id: str):
        self.run_id = run_id
        self.node_ns = f"{run_id}-node"
        self.namespaces: list[str] = []
        self._next_pod = int(FIRST_POD_IP)
        self._next_service = int(SERVICE_RANGE.network_address) + 2  # .1: kubernetes API
        self._next_link = 0
        self._lock = threading.Lock()

    @property
    def node_path(self) -> str:
        return f"/run/netns/{self.node_ns}"

    def _add_netns(self, name: str) -> None:
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        for key in ("all", "default"):
            sh("ip", "netns", "exec", name, "sysctl", "-qw",
               f"net.ipv4.conf.{key}.route_localnet=1")
        sh("ip", "-n", name, "link", "set", "lo", "up")

    def setup(self) -> None:
        self._add_netns(self.node_ns)
        # A fixed address: otherwise a bridge takes the lowest address of its ports, which
        # changes as pods join and leaves stale ARP entries in the pods that already resolved it.
        sh("ip", "-n", self.node_ns, "link", "add", "br0", "address", "02:00:7f:4d:00:01",
           "type", "bridge")
        sh("ip", "-n", self.node_ns, "addr", "add", f"{NODE_IP}/{SUBNET.prefixlen}", "dev", "br0")
        sh("ip", "-n", self.node_ns, "addr", "add", f"{DNS_IP}/32", "dev", "br0")
        sh("ip", "-n", self.node_ns, "link", "set", "br0", "up")
        sh("ip", "-n", self.node_ns, "route", "add", str(SUBNET), "dev", "br0", "src", NODE_IP,
           "table", "local")

    def sandbox(self, label: str, ip: str | None = None) -> Sandbox:
        """A new namespace wired to the bridge, with `ip` or the next pod address."""
        with self._lock:
            if ip is None:
                ip = str(ipaddress.ip_address(self._next_pod))
                self._next_pod += 1
            n = self._next_link
            self._next_link += 1
        name = f"{self.run_id}-{label}{n}"
        self._add_netns(name)
        veth = f"v{n}"
        sh("ip", "-n", self.node_ns, "link", "add", veth, "type", "veth", "peer", "name", "eth0",
           "netns", name)
        sh("ip", "-n", self.node_ns, "link", "set", veth, "master", "br0", "up")
        sh("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv4.conf.eth0.route_localnet=1",
           # containerd's pod sandbox default: unprivileged ICMP echo (busybox ping as non-root).
           "net.ipv4.ping_group_range=0 2147483647")
        sh("ip", "-n", name, "addr", "add", f"{ip}/{SUBNET.prefixlen}", "dev", "eth0")
        sh("ip", "-n", name, "link", "set", "eth0", "up")
        sh("ip", "-n", name, "route", "add", str(SUBNET), "dev", "eth0", "src", ip,
           "table", "local")
        return Sandbox(name, ip)

    def service_ip(self) -> str:
        with self._lock:
            ip = str(ipaddress.ip_address(self._next_service))
            self._next_service += 1
        sh("ip", "-n", self.node_ns, "addr", "add", f"{ip}/32", "dev", "br0")
        return ip

    def remove_sandbox(self, sandbox: Sandbox) -> None:
        sh("ip", "netns", "del", sandbox.netns, check=False)
        if sandbox.netns in self.namespaces:
            self.namespaces.remove(sandbox.netns)

    def teardown(self) -> None:
        for name in reversed(self.namespaces):
            sh("ip", "netns", "del", name, check=False)
        self.namespaces.clear()


# --- DNS -----------------------------------------------------------------------------------

QTYPE_A, QTYPE_NS, QTYPE_CNAME, QTYPE_SOA, QTYPE_PTR, QTYPE_AAAA, QTYPE_SRV = 1, 2, 5, 6, 12, 28, 33
RCODE_OK, RCODE_FORMERR, RCODE_SERVFAIL, RCODE_NXDOMAIN, RCODE_NOTIMP = 0, 1, 2, 3, 4


def _encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode()
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def _decode_name(msg: bytes, offset: int) -> tuple[str, int]:
    labels = []
    jumped = False
    end = offset
    for _ in range(128):
        length = msg[offset]
        if length & 0xC0 == 0xC0:
            pointer = struct.unpack_from("!H", msg, offset)[0] & 0x3FFF
            if not jumped:
                end = offset + 2
            offset, jumped = pointer, True
            continue
        if length == 0:
            if not jumped:
                end = offset + 1
            return ".".join(labels), end
        labels.append(msg[offset + 1:offset + 1 + length].decode(errors="replace"))
        offset += 1 + length
    raise ValueError("name too long")


class Answer:
    """One resource record of an answer."""

    def __init__(self, name: str, rtype: int, ttl: int, rdata: bytes):
        self.name, self.rtype, self.ttl, self.rdata = name, rtype, ttl, rdata

    @staticmethod
    def a(name: str, ip: str, ttl: int) -> "Answer":
        return Answer(name, QTYPE_A, ttl, socket.inet_aton(ip))

    @staticmethod
    def srv(name: str, port: int, target: str, ttl: int, weight: int) -> "Answer":
        return Answer(name, QTYPE_SRV, ttl, struct.pack("!HHH", 0, weight, port) + _encode_name(target))

    @staticmethod
    def ptr(name: str, target: str, ttl: int) -> "Answer":
        return Answer(name, QTYPE_PTR, ttl, _encode_name(target))

    @staticmethod
    def soa(zone: str, ttl: int) -> "Answer":
        rdata = (_encode_name(f"ns.dns.{zone}") + _encode_name(f"hostmaster.{zone}")
                 + struct.pack("!IIIII", 1, 7200, 1800, 86400, ttl))
        return Answer(zone, QTYPE_SOA, ttl, rdata)


def build_response(query: bytes, lookup) -> bytes:
    """Answer one DNS query with lookup(name, qtype) -> (rcode, answers, authority)."""
    if len(query) < 12:
        raise ValueError("short")
    qid, flags, qdcount = struct.unpack_from("!HHH", query, 0)
    opcode = (flags >> 11) & 0xF
    rd = flags & 0x0100
    if qdcount != 1 or opcode != 0:
        header = struct.pack("!HHHHHH", qid, 0x8000 | (opcode << 11) | rd | RCODE_NOTIMP, 0, 0, 0, 0)
        return header
    name, offset = _decode_name(query, 12)
    qtype, qclass = struct.unpack_from("!HH", query, offset)
    question = query[12:offset + 4]
    rcode, answers, authority = lookup(name.lower().rstrip("."), qtype)
    # QR, AA (authoritative for cluster.local, as CoreDNS's kubernetes plugin), RD echoed, RA.
    flags = 0x8000 | 0x0400 | rd | 0x0080 | rcode
    header = struct.pack("!HHHHHH", qid, flags, 1, len(answers), len(authority), 0)
    body = b""
    for rr in answers + authority:
        body += _encode_name(rr.name) + struct.pack("!HHIH", rr.rtype, 1, rr.ttl, len(rr.rdata)) + rr.rdata
    return header + question + body


class DNSServer:
    """A cluster DNS server on DNS_IP:53, UDP and TCP, in the node namespace. The kubelet
    publishes its records (`publish`, from its live state), so answers change as pods start,
    become ready and finish.

    UDP, which clients use, is answered by a process of its own (`network.py serve-dns`), as
    CoreDNS answers beside the kubelet, not inside it: a k6 runner's first request walks the
    search list (ndots:5; A and AAAA for each of 4 names), so 50 runners resumed together send
    400 queries at once. Answered by threads of the kubelet's Python process, each query waited
    for the GIL held by the kubelet's own loop (NetworkPolicy updates, pod polling): measured on
    br0 with tcpdump, the answer took 35 ms (median) after 10 runners were resumed, 2.5 ms from
    its own process. TCP (long answers, rare) stays a thread here.
    """

    def __init__(self, node_path: str, lookup, log):
        self.node_path = node_path
        self.lookup = lookup  # (name, qtype) -> answer, over the kubelet's live state (TCP)
        self.log = log
        self._tcp_queries = 0
        self._servers: list[socketserver.BaseServer] = []
        self._udp: subprocess.Popen | None = None
        self._published: dict | None = None

    def start(self) -> None:
        owner = self

        class TCPHandler(socketserver.StreamRequestHandler):
            def handle(self):
                while True:
                    head = self.rfile.read(2)
                    if len(head) < 2:
                        return
                    (length,) = struct.unpack("!H", head)
                    reply = owner.answer(self.rfile.read(length))
                    if not reply:
                        return
                    self.wfile.write(struct.pack("!H", len(reply)) + reply)

        class TCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        tcp = run_in_netns(self.node_path, lambda: TCP((DNS_IP, 53), TCPHandler))
        self._servers = [tcp]
        threading.Thread(target=tcp.serve_forever, daemon=True).start()
        netns = os.path.basename(self.node_path)
        self._udp = subprocess.Popen(
            ["ip", "netns", "exec", netns, "setpriv", "--pdeathsig", "TERM",
             "nice", "-n", str(INFRA_NICE), sys.executable, os.path.abspath(__file__), "serve-dns"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self._udp.stdout.readline().strip() != "ready":
            raise NetworkError("the DNS server process did not start")

    def publish(self, state: dict) -> None:
        """Hand the records (the kubelet's state: a, srv, ptr) to the UDP server, when changed."""
        if state == self._published or self._udp is None:
            return
        self._published = copy.deepcopy(state)
        try:
            self._udp.stdin.write(json.dumps(state) + "\n")
            self._udp.stdin.flush()
        except OSError as exc:
            self.log(f"dns: the UDP server is gone: {exc}")

    @property
    def queries(self) -> int:
        """Queries answered so far, UDP and TCP."""
        udp = 0
        if self._udp is not None:
            try:
                self._udp.stdin.write("count\n")
                self._udp.stdin.flush()
                udp = int(self._udp.stdout.readline() or 0)
            except (OSError, ValueError):
                pass
        return udp + self._tcp_queries

    def answer(self, data: bytes) -> bytes | None:
        self._tcp_queries += 1
        return answer_query(data, self.lookup, self.log)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        if self._udp is not None:
            try:
                self._udp.stdin.close()  # the server exits
                self._udp.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self._udp.kill()
            self._udp = None


def answer_query(data: bytes, lookup, log) -> bytes | None:
    try:
        reply = build_response(data, lookup)
        if os.environ.get("KUBELET_DNS_DEBUG"):
            name, off = _decode_name(data, 12)
            qtype = struct.unpack_from("!H", data, off)[0]
            log(f"dns: {name} type {qtype} -> rcode {reply[3] & 15}, "
                f"{struct.unpack_from('!H', reply, 6)[0]} answers")
        return reply
    except Exception as exc:  # noqa: BLE001 - a malformed query gets no answer
        log(f"dns: bad query: {exc}")
        return None


def cluster_lookup(state: dict, name: str, qtype: int):
    """CoreDNS's kubernetes plugin over `state` (a: name -> [ip], srv: name -> [(port, target)],
    ptr: reverse name -> name): (rcode, answers, authority) for build_response."""
    zone = CLUSTER_DOMAIN
    soa_zone = zone if name.endswith(zone) or name == zone else (
        "in-addr.arpa" if name.endswith("in-addr.arpa") else "")
    authority = [Answer.soa(soa_zone or ".", 5)] if soa_zone else []
    if qtype == QTYPE_PTR:
        target = state["ptr"].get(name)
        if target:
            return RCODE_OK, [Answer.ptr(name, target, 5)], []
        return RCODE_NXDOMAIN, [], authority
    if qtype == QTYPE_SRV and name in state["srv"]:
        recs = state["srv"][name]
        weight = max(1, 100 // max(1, len(recs)))
        return RCODE_OK, [Answer.srv(name, port, target, 5, weight) for port, target in recs], []
    exists = name in state["a"] or name in state["srv"] or name == zone or any(
        k.endswith("." + name) for k in state["a"])
    if not exists:
        return RCODE_NXDOMAIN, [], authority
    if qtype == QTYPE_A:
        ips = list(state["a"].get(name, []))
        random.shuffle(ips)
        return RCODE_OK, [Answer.a(name, ip, 5) for ip in ips], ([] if ips else authority)
    return RCODE_OK, [], authority  # AAAA and others: the name exists, no such record


def serve_dns() -> int:
    """The UDP half of DNSServer, run in the node namespace: answers on DNS_IP:53 from the
    records read from stdin (one JSON object a line, each replacing the last; `count` asks how
    many queries it has answered, printed on stdout); exits at the end of stdin."""
    state = {"a": {}, "srv": {}, "ptr": {}}
    queries = 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Room for a burst (a dropped query costs the client its resolver's 5 s timeout): root may
    # pass net.core.rmem_max with SO_RCVBUFFORCE (33 on Linux; Python does not name it).
    so_rcvbufforce = getattr(socket, "SO_RCVBUFFORCE", 33)
    try:
        sock.setsockopt(socket.SOL_SOCKET, so_rcvbufforce, 4 << 20)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((DNS_IP, 53))

    def read_updates():
        nonlocal state
        for line in sys.stdin:
            if line.strip() == "count":
                print(queries, flush=True)
            else:
                state = json.loads(line)
        os._exit(0)

    def log(text):
        print(text, file=sys.stderr, flush=True)

    threading.Thread(target=read_updates, daemon=True).start()
    print("ready", flush=True)
    while True:
        data, client = sock.recvfrom(4096)
        queries += 1
        current = state
        reply = answer_query(data, lambda name, qtype: cluster_lookup(current, name, qtype), log)
        if reply:
            try:
                sock.sendto(reply, client)
            except OSError:
                pass


# --- ClusterIP Services: a userspace proxy ---------------------------------------------------

class ServiceProxy:
    """kube-proxy's old userspace mode: for each port of a ClusterIP Service, a listener on the
    Service's address in the node namespace that forwards each TCP connection to a random ready
    endpoint's targetPort. (UDP Services are not proxied.)"""

    def __init__(self, node_path: str, endpoints, log):
        self.node_path = node_path
        self.endpoints = endpoints  # (service key, port name) -> [(ip, port)]
        self.log = log
        self._sockets: list[socket.socket] = []

    def add(self, key, ip: str, port: dict) -> None:
        if port.get("protocol", "TCP") != "TCP":
            self.log(f"service {key}: {port.get('protocol')} port {port['port']} is not proxied")
            return

        def make():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((ip, int(port["port"])))
            s.listen(128)
            return s
        listener = run_in_netns(self.node_path, make)
        self._sockets.append(listener)
        threading.Thread(target=self._accept, args=(listener, key, port), daemon=True).start()

    def _accept(self, listener: socket.socket, key, port: dict) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._forward, args=(client, key, port), daemon=True).start()

    def _forward(self, client: socket.socket, key, port: dict) -> None:
        targets = self.endpoints(key, port)
        if not targets:
            client.close()  # no ready endpoint: the connection is refused/reset, as in a cluster
            return
        ip, target_port = random.choice(targets)
        try:
            upstream = run_in_netns(self.node_path, socket.create_connection, (ip, target_port), 5)
        except OSError:
            client.close()
            return

        def pipe(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        t = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
        t.start()
        pipe(client, upstream)
        t.join()
        client.close()
        upstream.close()

    def stop(self) -> None:
        for s in self._sockets:
            s.close()


def listeners() -> set[str]:
    """The listening TCP and bound UDP sockets of the calling thread's network namespace, as
    `ss -ltnu` names them ("tcp 127.0.0.1:6565", "udp [::]:53"), read from /proc/thread-self/net
    (the thread's namespace, where /proc/net is the process's)."""
    found = set()
    for table, kind, state in (("tcp", "tcp", "0A"), ("tcp6", "tcp", "0A"),
                               ("udp", "udp", "07"), ("udp6", "udp", "07")):
        try:
            with open(f"/proc/thread-self/net/{table}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) < 4 or fields[3] != state:
                continue
            address, port = fields[1].split(":")
            raw = bytes.fromhex(address)
            # Each 32-bit word is in host (little-endian) order.
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            ip = ipaddress.ip_address(raw)
            host = str(ip) if ip.version == 4 else f"[{ip}]"
            found.add(f"{kind} {host}:{int(port, 16)}")
    return found


def reverse_name(ip: str) -> str:
    return ".".join(reversed(ip.split("."))) + ".in-addr.arpa"


def dashed(ip: str) -> str:
    return ip.replace(".", "-")


def leftover_namespaces(prefix: str) -> list[str]:
    try:
        return [n for n in os.listdir("/run/netns") if n.startswith(prefix)]
    except FileNotFoundError:
        return []


if __name__ == "__main__":
    if sys.argv[1:] != ["serve-dns"]:
        sys.exit("usage: network.py serve-dns  (started by DNSServer)")
    sys.exit(serve_dns())
