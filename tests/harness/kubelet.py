#!/usr/bin/env python3
"""A local kubelet for tests: runs a compiled perfplan bundle's pods on this machine.

    python3 tests/harness/kubelet.py run BUNDLE_DIR [options]
    python3 tests/harness/kubelet.py cleanup            # remove what a killed run left behind

`run` reads every object of the bundle (kustomization.yaml's `resources`, in order), plays the
controllers that create pods (Job, Indexed Job, StatefulSet, Deployment), and runs each pod the
way a kubelet would: its own network namespace and address, cluster DNS, the container's image
emulated by a root filesystem holding the real tool (images.yaml), volumes in the kubelet's
layouts, the security context applied for real (uid/gid, fsGroup, read-only root, capabilities),
restart policies, probes, backoff and deadlines. It ends when every Job has finished (or at
--timeout), stops the remaining pods, and writes a JSON report.

Exit status: 0 when every Job succeeded (with no Job: when no container failed), 1 otherwise,
2 when the harness itself could not run (bad arguments, a bundle it cannot read, a missing tool).

See README.md beside this file for what is real and what is emulated.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import hashlib
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import yaml  # noqa: E402

import bundle as B  # noqa: E402
import netpol as NP  # noqa: E402
import network as N  # noqa: E402
from linux import DEFAULT_CAPABILITIES, CAPABILITIES  # noqa: E402

CONTAINER_PY = os.path.join(HERE, "container.py")
# Log lines worth a reader's eye even when the exit code is 0 (e.g. k6 exits 0 when its
# --summary-export cannot be written).
LOG_ALERT = re.compile(r"read-only file system|permission denied|connection refused|"
                       r"no such file or directory|not found|level=error|exception", re.I)
TARGET_PY = os.path.join(HERE, "target.py")
STATE_DIR = "/run/perfplan-kubelet"
TICK = 0.1

# Defaults the API server fills in (pkg/apis/*/v1/defaults.go).
DEFAULT_BACKOFF_LIMIT = 6
DEFAULT_GRACE = 30
# kubelet's container restart backoff (CrashLoopBackOff): 10s doubling to 5 min, reset after a
# container ran 10 min. The Job controller's pod-failure backoff: 10s doubling to 6 min.
CONTAINER_BACKOFF = (10.0, 300.0)
JOB_BACKOFF = (10.0, 360.0)
FAKE_TOKEN = "harness-fake-serviceaccount-token (no API server runs in the local kubelet)"
# Every namespace of a cluster has this ConfigMap (the root CA bundle of the API server).
KUBE_ROOT_CA = "-----BEGIN CERTIFICATE-----\nharness-placeholder\n-----END CERTIFICATE-----\n"


class HarnessError(Exception):
    """The harness cannot do what was asked: exit 2."""


def now() -> float:
    return time.monotonic()


# --- image profiles ----------------------------------------------------------------------

class Images:
    """images.yaml, resolved against the host's tools (--tool NAME=PATH or environment)."""

    def __init__(self, path: str, tools: dict[str, str]):
        with open(path) as f:
            data = yaml.safe_load(f)
        self.bases = data["bases"]
        self.images = data["images"]
        self.tool_env = data["tool_env"]
        self.tools = dict(tools)
        for name, var in self.tool_env.items():
            if name not in self.tools and os.environ.get(var):
                value = os.environ[var]
                # JAVA_HOME etc. name a folder; K6_BIN a file.
                self.tools[name] = value
        bb = shutil.which("busybox")
        self.busybox = bb
        self.busybox_applets = []
        if bb:
            out = subprocess.run([bb, "--list-full"], capture_output=True, text=True).stdout
            self.busybox_applets = [line.strip() for line in out.splitlines()
                                    if line.strip() and line.strip() != "linuxrc"]

    def profile(self, image: str) -> dict | None:
        for prof in self.images:
            if B.image_matches(prof["match"], image):
                return prof
        return None

    def check(self, image: str) -> list[str]:
        """What is missing on this machine to run `image` (empty when nothing)."""
        prof = self.profile(image)
        if prof is None:
            return [f"no image profile for {image!r} in images.yaml"]
        problems = []
        base = self.bases[prof["base"]]
        if base.get("shell") == "busybox" and not self.busybox:
            problems.append("busybox is not installed (apt-get install busybox)")
        for t in prof.get("tools", []):
            src = self.tools.get(t["tool"])
            if not src and not t.get("optional"):
                var = self.tool_env.get(t["tool"], "")
                problems.append(f"{image} needs tool {t['tool']!r}: give --tool {t['tool']}=PATH"
                                + (f" or set {var}" if var else ""))
            elif src and not os.path.exists(src):
                problems.append(f"tool {t['tool']}={src}: no such file or folder")
        return problems

    def resolve(self, image: str) -> dict:
        """The image part of a container.py spec, and the image's config (user, env...)."""
        prof = self.profile(image)
        base = self.bases[prof["base"]]
        binds = []
        for t in prof.get("tools", []):
            src = self.tools.get(t["tool"])
            if src:
                binds.append([os.path.realpath(src), t["path"]])
        for path, cmd in {**base.get("host_binaries", {}), **prof.get("host_binaries", {})}.items():
            src = shutil.which(cmd)
            if src:
                binds.append([os.path.realpath(src), path])
        host_files = [["/etc/ld.so.cache", "/etc/ld.so.cache"]]
        for dst, src in base.get("host_files", {}).items():
            if os.path.exists(src):
                host_files.append([src, dst])
        host_dirs = [["/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"]]
        if os.path.isdir("/usr/lib64"):
            host_dirs.append(["/usr/lib64", "/usr/lib64"])
        if os.path.isdir("/usr/share/zoneinfo"):
            host_dirs.append(["/usr/share/zoneinfo", "/usr/share/zoneinfo"])
        env: list[list[str]] = []
        for name, value in base.get("env", []) + prof.get("env", []):
            env = [e for e in env if e[0] != name] + [[name, value]]
        return {
            "rootfs": {
                "host_dirs": host_dirs,
                "host_files": host_files,
                "lib64": os.path.isdir("/usr/lib64"),
                "dirs": {**base.get("dirs", {}), **prof.get("dirs", {})},
                "passwd": base.get("passwd", []) + prof.get("passwd", []),
                "group": base.get("group", []) + prof.get("group", []),
                "busybox": self.busybox if base.get("shell") == "busybox" else None,
                "busybox_applets": self.busybox_applets if base.get("shell") == "busybox" else [],
                "files": prof.get("files", {}),
                "links": prof.get("links", {}),
                "binds": binds,
            },
            "user": str(prof.get("user", "0")),
            "workdir": prof.get("workdir") or "/",
            "entrypoint": prof.get("entrypoint") or [],
            "cmd": prof.get("cmd") if prof.get("cmd") is not None else base.get("cmd", []),
            "env": env,
        }


# --- pods --------------------------------------------------------------------------------

@dataclass
class Attempt:
    start_mono: float
    start_wall: float
    log: str
    end_mono: float | None = None
    end_wall: float | None = None
    exit_code: int | None = None
    reason: str | None = None
    message: str | None = None


@dataclass
class Probe:
    kind: str  # readiness | liveness | startup
    spec: dict
    next_due: float
    successes: int = 0
    failures: int = 0
    running: bool = False
    result: bool | None = None


@dataclass
class Container:
    spec: dict
    init: bool
    restart_always: bool = False  # a sidecar (init container with restartPolicy: Always)
    restarts: int = 0
    backoff_step: int = 0
    attempts: list[Attempt] = field(default_factory=list)
    proc: subprocess.Popen | None = None
    spec_file: str | None = None
    status_file: str | None = None
    state: str = "waiting"  # waiting | running | terminated
    waiting_reason: str = "ContainerCreating"
    started: bool = False  # container.py reported a successful exec
    ready: bool = False
    next_start: float = 0.0
    kill_at: float | None = None  # when SIGTERM was sent: SIGKILL after the grace period
    grace: float = DEFAULT_GRACE
    probes: list[Probe] = field(default_factory=list)
    startup_done: bool = True

    @property
    def name(self) -> str:
        return self.spec["name"]


@dataclass
class Pod:
    name: str
    namespace: str
    controller: tuple[str, str]
    index: int | None
    template: dict  # metadata + spec (a deep copy of the controller's template, made concrete)
    created_mono: float
    created_wall: float
    start_after: float
    phase: str = "Pending"
    reason: str | None = None
    message: str | None = None
    sandbox: N.Sandbox | None = None
    pod_dir: str | None = None
    volumes: dict[str, str] = field(default_factory=dict)  # name -> host path
    containers: list[Container] = field(default_factory=list)
    init_containers: list[Container] = field(default_factory=list)
    init_index: int = 0
    started_mono: float | None = None
    started_wall: float | None = None
    finished_mono: float | None = None
    finished_wall: float | None = None
    ready_mono: float | None = None
    deleting_since: float | None = None
    deletion_reason: str | None = None
    counted: bool = False  # seen as terminal by its controller
    config_error: str | None = None
    next_setup_try: float = 0.0
    netpol_text: str | None = None  # the nft ruleset applied in the pod's namespace
    netpol_drops: list[str] = field(default_factory=list)
    listening: set[str] = field(default_factory=set)  # sockets seen listening, "tcp 0.0.0.0:6565"
    next_listen_sample: float = 0.0

    @property
    def spec(self) -> dict:
        return self.template["spec"]

    @property
    def labels(self) -> dict:
        return self.template["metadata"].get("labels", {})

    @property
    def hostname(self) -> str:
        return self.spec.get("hostname") or self.name[:63]

    @property
    def subdomain(self) -> str | None:
        return self.spec.get("subdomain")

    @property
    def fqdn(self) -> str | None:
        if self.subdomain:
            return f"{self.hostname}.{self.subdomain}.{self.namespace}.svc.{N.CLUSTER_DOMAIN}"
        return None

    @property
    def ip(self) -> str | None:
        return self.sandbox.ip if self.sandbox else None

    @property
    def terminal(self) -> bool:
        return self.phase in ("Succeeded", "Failed", "Deleted")

    @property
    def ready(self) -> bool:
        return (self.phase == "Running" and self.deleting_since is None
                and all(c.ready for c in self.containers)
                and all(c.ready for c in self.init_containers if c.restart_always))


RAND_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand alphanums


def rand_suffix(n: int = 5) -> str:
    return "".join(random.choice(RAND_CHARS) for _ in range(n))


# --- controllers -------------------------------------------------------------------------

class JobController:
    """batch/v1 Job, NonIndexed and Indexed (pkg/controller/job), for the fields a bundle uses:
    completions, parallelism, completionMode, backoffLimit, activeDeadlineSeconds, suspend."""

    kind = "Job"

    def __init__(self, kubelet: "Kubelet", obj: dict):
        self.k = kubelet
        self.obj = obj
        spec = obj["spec"]
        self.name = obj["metadata"]["name"]
        self.namespace = obj["metadata"]["namespace"]
        self.parallelism = spec.get("parallelism", 1)
        self.completions = spec.get("completions")
        if self.completions is None and "parallelism" not in spec:
            self.completions = 1
        self.indexed = spec.get("completionMode", "NonIndexed") == "Indexed"
        if self.indexed and self.completions is None:
            raise HarnessError(f"Job {self.name}: Indexed without completions is invalid")
        self.backoff_limit = spec.get("backoffLimit", DEFAULT_BACKOFF_LIMIT)
        self.deadline = spec.get("activeDeadlineSeconds")
        self.suspend = spec.get("suspend", False)
        for unsupported in ("podFailurePolicy", "backoffLimitPerIndex", "successPolicy",
                            "maxFailedIndexes", "podReplacementPolicy"):
            if unsupported in spec:
                kubelet.warn(f"Job {self.name}: spec.{unsupported} is not emulated")
        self.restart_policy = spec["template"]["spec"].get("restartPolicy", "Always")
        if self.restart_policy not in ("Never", "OnFailure"):
            raise HarnessError(f"Job {self.name}: restartPolicy must be Never or OnFailure "
                               f"(the API server rejects {self.restart_policy!r})")
        self.uid = str(random.getrandbits(64))
        self.succeeded_indexes: set[int] = set()
        self.succeeded = 0
        self.failed = 0
        self.last_failure = None
        self.start_mono: float | None = None
        self.start_wall: float | None = None
        self.end_mono: float | None = None
        self.end_wall: float | None = None
        self.condition: str | None = None
        self.reason: str | None = None
        self.message: str | None = None

    @property
    def finished(self) -> bool:
        return self.condition is not None

    def pods(self) -> list[Pod]:
        return [p for p in self.k.pods if p.controller == (self.kind, self.name)]

    def _finish(self, condition: str, reason: str | None, message: str | None) -> None:
        self.condition, self.reason, self.message = condition, reason, message
        self.end_mono, self.end_wall = now(), time.time()
        self.k.event(f"Job {self.name}: {condition}" + (f" ({reason}: {message})" if reason else ""))
        if condition == "Failed":
            for pod in self.pods():
                if not pod.terminal:
                    self.k.delete_pod(pod, reason)

    def reconcile(self, t: float) -> None:
        if self.finished or self.suspend:
            return
        if self.start_mono is None:
            self.start_mono, self.start_wall = t, time.time()
        for pod in self.pods():
            if pod.terminal and not pod.counted:
                pod.counted = True
                if pod.phase == "Succeeded":
                    if self.indexed:
                        self.succeeded_indexes.add(pod.index)
                    self.succeeded += 1
                else:
                    self.failed += 1
                    self.last_failure = t
        active = [p for p in self.pods() if not p.terminal]

        if self.deadline is not None and t - self.start_mono >= self.deadline:
            self._finish("Failed", "DeadlineExceeded", "Job was active longer than specified deadline")
            return
        if self.failed > self.backoff_limit:
            self._finish("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
            return
        if self.restart_policy == "OnFailure":
            restarts = sum(c.restarts for p in active for c in p.containers + p.init_containers)
            if (restarts > 0 if self.backoff_limit == 0 else restarts >= self.backoff_limit):
                self._finish("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
                return

        if self.indexed:
            done = len(self.succeeded_indexes) >= self.completions
        elif self.completions is not None:
            done = self.succeeded >= self.completions
        else:
            done = self.succeeded >= 1 and not active
        if done:
            if not active:
                self._finish("Complete", None, None)
            return

        if self.failed and self.last_failure is not None:
            base, cap = JOB_BACKOFF
            delay = min(cap, base * 2 ** (self.failed - 1)) * self.k.args.backoff_scale
            if t < self.last_failure + delay:
                return
        room = self.parallelism - len(active)
        if room <= 0:
            return
        if self.indexed:
            busy = {p.index for p in active}
            wanted = [i for i in range(self.completions)
                      if i not in self.succeeded_indexes and i not in busy][:room]
            for index in wanted:
                self.k.create_pod(self, index)
        else:
            remaining = (self.completions - self.succeeded) if self.completions is not None else (
                self.parallelism if self.succeeded == 0 else 0)
            for _ in range(max(0, min(room, remaining - len(active)))):
                self.k.create_pod(self, None)

    def pod_template(self, index: int | None) -> tuple[str, dict]:
        tpl = copy.deepcopy(self.obj["spec"]["template"])
        meta = tpl.setdefault("metadata", {})
        labels = meta.setdefault("labels", {})
        annotations = meta.setdefault("annotations", {})
        labels.update({"batch.kubernetes.io/controller-uid": self.uid, "controller-uid": self.uid,
                       "batch.kubernetes.io/job-name": self.name, "job-name": self.name})
        if self.indexed:
            name = f"{self.name}-{index}-{rand_suffix()}"
            annotations["batch.kubernetes.io/job-completion-index"] = str(index)
            labels["batch.kubernetes.io/job-completion-index"] = str(index)
            spec = tpl["spec"]
            # The Job controller gives indexed pods the hostname <job>-<index> and appends
            # JOB_COMPLETION_INDEX (from the annotation) to every container's env.
            spec.setdefault("hostname", f"{self.name}-{index}")
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                env = c.setdefault("env", [])
                if not any(e["name"] == "JOB_COMPLETION_INDEX" for e in env):
                    env.append({"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
                        "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}})
        else:
            name = f"{self.name}-{rand_suffix()}"
        return name, tpl

    def report(self) -> dict:
        return {
            "kind": "Job", "name": self.name, "namespace": self.namespace,
            "succeeded": self.condition == "Complete",
            "condition": self.condition or "Unfinished",
            "reason": self.reason, "message": self.message,
            "completion_mode": "Indexed" if self.indexed else "NonIndexed",
            "completions": self.completions, "parallelism": self.parallelism,
            "backoff_limit": self.backoff_limit,
            "succeeded_pods": self.succeeded, "failed_pods": self.failed,
            "succeeded_indexes": sorted(self.succeeded_indexes) if self.indexed else None,
            "start": {"mono": self.start_mono, "wall": self.start_wall},
            "end": {"mono": self.end_mono, "wall": self.end_wall},
        }


class StatefulSetController:
    """apps/v1 StatefulSet: pods <name>-<ordinal>, hostname = pod name, subdomain = serviceName,
    OrderedReady (each pod waits for the previous one to be Running and Ready) or Parallel,
    volumeClaimTemplates as per-pod claims <template>-<name>-<ordinal>."""

    kind = "StatefulSet"

    def __init__(self, kubelet: "Kubelet", obj: dict):
        self.k = kubelet
        self.obj = obj
        self.name = obj["metadata"]["name"]
        self.namespace = obj["metadata"]["namespace"]
        spec = obj["spec"]
        self.replicas = spec.get("replicas", 1)
        self.parallel = spec.get("podManagementPolicy", "OrderedReady") == "Parallel"
        policy = spec["template"]["spec"].get("restartPolicy", "Always")
        if policy != "Always":
            raise HarnessError(f"StatefulSet {self.name}: restartPolicy must be Always")
        if not B.selector_matches(spec.get("selector"), spec["template"].get("metadata", {}).get("labels", {})):
            raise HarnessError(f"StatefulSet {self.name}: selector does not match the template labels")
        self.revision = hashlib.sha256(json.dumps(spec["template"], sort_keys=True).encode()).hexdigest()[:10]
        self.finished = False

    def pods(self) -> list[Pod]:
        return [p for p in self.k.pods if p.controller == (self.kind, self.name)]

    def reconcile(self, t: float) -> None:
        current = {p.index: p for p in self.pods() if not p.counted}
        for pod in list(current.values()):
            if pod.terminal:  # a failed StatefulSet pod is deleted and created again
                pod.counted = True
                del current[pod.index]
        for ordinal in range(self.replicas):
            pod = current.get(ordinal)
            if pod is None:
                self.k.create_pod(self, ordinal)
                if not self.parallel:
                    return
            elif not self.parallel and not pod.ready:
                return

    def pod_template(self, ordinal: int) -> tuple[str, dict]:
        tpl = copy.deepcopy(self.obj["spec"]["template"])
        name = f"{self.name}-{ordinal}"
        labels = tpl.setdefault("metadata", {}).setdefault("labels", {})
        labels.update({"statefulset.kubernetes.io/pod-name": name,
                       "apps.kubernetes.io/pod-index": str(ordinal),
                       "controller-revision-hash": f"{self.name}-{self.revision}"})
        spec = tpl["spec"]
        spec["hostname"] = name
        spec["subdomain"] = self.obj["spec"].get("serviceName", "")
        if not spec["subdomain"]:
            del spec["subdomain"]
        volumes = spec.setdefault("volumes", [])
        for claim in self.obj["spec"].get("volumeClaimTemplates", []):
            cname = claim["metadata"]["name"]
            volumes = [v for v in volumes if v["name"] != cname]
            volumes.append({"name": cname, "persistentVolumeClaim": {
                "claimName": f"{cname}-{self.name}-{ordinal}"}})
            self.k.claims.add(f"{cname}-{self.name}-{ordinal}")
        spec["volumes"] = volumes
        return name, tpl

    def report(self) -> dict:
        return {"kind": "StatefulSet", "name": self.name, "namespace": self.namespace,
                "replicas": self.replicas,
                "pod_management_policy": "Parallel" if self.parallel else "OrderedReady"}


class DeploymentController:
    """apps/v1 Deployment (through its ReplicaSet): `replicas` pods named
    <name>-<template hash>-<random>, replaced when they end."""

    kind = "Deployment"

    def __init__(self, kubelet: "Kubelet", obj: dict):
        self.k = kubelet
        self.obj = obj
        self.name = obj["metadata"]["name"]
        self.namespace = obj["metadata"]["namespace"]
        self.replicas = obj["spec"].get("replicas", 1)
        if obj["spec"]["template"]["spec"].get("restartPolicy", "Always") != "Always":
            raise HarnessError(f"Deployment {self.name}: restartPolicy must be Always")
        self.hash = hashlib.sha256(json.dumps(obj["spec"]["template"], sort_keys=True).encode()).hexdigest()[:10]
        self.hash = "".join(RAND_CHARS[int(c, 16) % len(RAND_CHARS)] for c in self.hash)
        self.finished = False

    def pods(self) -> list[Pod]:
        return [p for p in self.k.pods if p.controller == (self.kind, self.name)]

    def reconcile(self, t: float) -> None:
        live = [p for p in self.pods() if not p.terminal]
        for pod in self.pods():
            if pod.terminal:
                pod.counted = True
        for _ in range(self.replicas - len(live)):
            self.k.create_pod(self, None)

    def pod_template(self, _index) -> tuple[str, dict]:
        tpl = copy.deepcopy(self.obj["spec"]["template"])
        tpl.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = self.hash
        return f"{self.name}-{self.hash}-{rand_suffix()}", tpl

    def report(self) -> dict:
        return {"kind": "Deployment", "name": self.name, "namespace": self.namespace,
                "replicas": self.replicas}


CONTROLLERS = {"Job": JobController, "StatefulSet": StatefulSetController,
               "Deployment": DeploymentController}


# --- the kubelet ---------------------------------------------------------------------------

@dataclass
class ExtraHost:
    name: str
    ip: str
    ports: list[tuple[int, str]] = field(default_factory=list)  # target.py listeners
    sandbox: N.Sandbox | None = None
    proc: subprocess.Popen | None = None
    summary_file: str | None = None


class Kubelet:
    def __init__(self, args, objects: B.Objects, images: Images):
        self.args = args
        self.objects = objects
        self.images = images
        self.run_id = "ppk" + "".join(random.choice(string.hexdigits[:16]) for _ in range(5))
        self.run_dir = args.run_dir
        self.logs_dir = os.path.join(self.run_dir, "logs")
        self.pods: list[Pod] = []
        self.controllers: list = []
        self.claims: set[str] = set()
        self.services: dict[tuple[str, str], dict] = {}  # (ns, name) -> {obj, ip}
        self.events: list[dict] = []
        self.warnings: list[str] = []
        self.net = N.Network(self.run_id)
        self.dns: N.DNSServer | None = None
        self.proxy: N.ServiceProxy | None = None
        self.extra_hosts: list[ExtraHost] = []
        self.dns_state: dict = {"a": {}, "srv": {}, "ptr": {}}
        self.start_mono = now()
        self.start_wall = time.time()
        self.stopping = False
        self._event_log = None
        self.policies: NP.Policies | None = None
        self._netpol_signature = None

    # -- bookkeeping --

    def event(self, message: str) -> None:
        entry = {"t": round(now() - self.start_mono, 3), "wall": time.time(), "message": message}
        self.events.append(entry)
        line = f"[{entry['t']:8.3f}] {message}"
        if self._event_log:
            self._event_log.write(line + "\n")
            self._event_log.flush()
        if self.args.verbose:
            print(line, file=sys.stderr, flush=True)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            self.event(f"warning: {message}")

    # -- setup --

    def setup(self) -> None:
        os.makedirs(self.logs_dir, exist_ok=True)
        os.makedirs(STATE_DIR, exist_ok=True)
        with open(os.path.join(STATE_DIR, self.run_id), "w") as f:
            json.dump({"pid": os.getpid(), "run_dir": self.run_dir}, f)
        self._event_log = open(os.path.join(self.run_dir, "events.log"), "w")
        self.event(f"run {self.run_id} in {self.run_dir}")
        self.net.setup()
        self.dns = N.DNSServer(self.net.node_path, self.dns_lookup, self.event)
        self.dns.start()
        self.proxy = N.ServiceProxy(self.net.node_path, self.service_endpoints, self.event)
        self.objects.add({"apiVersion": "v1", "kind": "Service",
                          "metadata": {"name": "kubernetes", "namespace": "default"},
                          "spec": {"clusterIP": "127.77.1.1", "ports": [{"name": "https", "port": 443}]}},
                         "(every cluster)", "default")
        namespaces = {o["metadata"].get("namespace") for o in self.objects.ordered} - {None, ""}
        for ns in sorted(namespaces):
            if not self.objects.get("ConfigMap", ns, "kube-root-ca.crt"):
                self.objects.add({"apiVersion": "v1", "kind": "ConfigMap",
                                  "metadata": {"name": "kube-root-ca.crt", "namespace": ns},
                                  "data": {"ca.crt": KUBE_ROOT_CA}}, "(every namespace)", ns)
            if ns != "default" and not self.objects.get("Namespace", "", ns):
                self.warn(f"namespace {ns} is not in the bundle: `kubectl apply -k` needs it to exist")
        for obj in self.objects.of_kind("Service"):
            self.add_service(obj)
        policies = self.objects.of_kind("NetworkPolicy")
        if policies and not self.args.no_network_policies:
            if not shutil.which("nft"):
                raise HarnessError("the bundle has NetworkPolicies and nft is not installed "
                                   "(apt-get install nftables, or --no-network-policies)")
            labels = {o["metadata"]["name"]: o["metadata"].get("labels", {})
                      for o in self.objects.of_kind("Namespace")}
            self.policies = NP.Policies(policies, labels)
            self.event(f"enforcing {len(policies)} NetworkPolicies with nftables in each pod")
        elif policies:
            self.warn(f"{len(policies)} NetworkPolicies are not enforced (--no-network-policies)")
        for host in self.extra_hosts:
            if host.ports:
                self.start_target(host)
        for obj in self.objects.ordered:
            if obj["kind"] in CONTROLLERS:
                self.controllers.append(CONTROLLERS[obj["kind"]](self, obj))
                self.check_known_differences(obj)
            elif obj["kind"] == "PersistentVolumeClaim":
                self.claims.add(obj["metadata"]["name"])
            elif obj["kind"] in ("DaemonSet", "CronJob", "ReplicaSet", "Pod"):
                self.warn(f"{obj['kind']} {obj['metadata']['name']}: this kind is not run by the harness")
        if not self.controllers:
            raise HarnessError("the bundle has no Job, StatefulSet or Deployment")

    def check_known_differences(self, obj: dict) -> None:
        """Warn where the emulated image is known to behave differently from the real one."""
        tspec = obj["spec"]["template"]["spec"]
        for c in tspec.get("initContainers", []) + tspec.get("containers", []):
            text = " ".join(c.get("command", []) + c.get("args", []))
            if re.search(r"\bwget\b[^\n;|&]*\s-T\s*\d", text):
                self.warn(f"{obj['kind']} {obj['metadata']['name']} container {c['name']}: "
                          f"`wget -T` crashes Debian's BusyBox 1.35 (Alpine's works): a failure of "
                          f"that command here may be the harness's shell")

    def add_service(self, obj: dict) -> None:
        meta, spec = obj["metadata"], obj.get("spec", {})
        key = (meta["namespace"], meta["name"])
        stype = spec.get("type", "ClusterIP")
        if stype == "ExternalName":
            self.warn(f"Service {meta['name']}: ExternalName is not emulated")
            return
        if spec.get("clusterIP") == "None":
            ip = None
        elif meta["name"] == "kubernetes" and meta["namespace"] == "default":
            ip = spec["clusterIP"]
            N.sh("ip", "-n", self.net.node_ns, "addr", "add", f"{ip}/32", "dev", "br0")
        else:
            ip = self.net.service_ip()
        self.services[key] = {"obj": obj, "ip": ip}
        if ip and spec.get("selector"):
            for port in spec.get("ports", []):
                self.proxy.add(key, ip, port)
        self.event(f"Service {meta['namespace']}/{meta['name']}: "
                   + (f"ClusterIP {ip}" if ip else "headless"))

    def start_target(self, host: ExtraHost) -> None:
        host.sandbox = self.net.sandbox("h", host.ip)
        host.summary_file = os.path.join(self.run_dir, f"target-{host.name}.json")
        log = open(os.path.join(self.logs_dir, f"target-{host.name}.log"), "w")
        cmd = ["ip", "netns", "exec", host.sandbox.netns, "setpriv", "--pdeathsig", "TERM",
               "nice", "-n", str(N.INFRA_NICE), sys.executable, TARGET_PY, "serve", "--bind", host.ip,
               "--summary", host.summary_file]
        for port, kind in host.ports:
            cmd += [f"--{kind}", str(port)]
        host.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = now() + 10
        while now() < deadline:
            ok = all(self._tcp_check(host.ip, port) for port, _ in host.ports)
            if ok:
                break
            if host.proc.poll() is not None:
                raise HarnessError(f"target {host.name} exited at start, see {log.name}")
            time.sleep(0.1)
        else:
            raise HarnessError(f"target {host.name} did not listen within 10s")
        self.event(f"target {host.name} at {host.ip} ports {host.ports}")

    def _tcp_check(self, ip: str, port: int, timeout: float = 1.0) -> bool:
        def attempt():
            import socket
            try:
                socket.create_connection((ip, port), timeout).close()
                return True
            except OSError:
                return False
        return N.run_in_netns(self.net.node_path, attempt)

    # -- DNS --

    def rebuild_dns(self) -> None:
        """Recompute the cluster's DNS records from the pods' state (CoreDNS kubernetes plugin
        semantics) and swap them in for the DNS server's threads."""
        a: dict[str, list[str]] = {}
        srv: dict[str, list[tuple[int, str]]] = {}
        ptr: dict[str, str] = {}
        zone = N.CLUSTER_DOMAIN

        def add(name, ip):
            a.setdefault(name.lower(), [])
            if ip not in a[name.lower()]:
                a[name.lower()].append(ip)

        for (ns, name), svc in self.services.items():
            spec = svc["obj"].get("spec", {})
            base = f"{name}.{ns}.svc.{zone}"
            ports = spec.get("ports", [])
            if svc["ip"]:
                add(base, svc["ip"])
                ptr[N.reverse_name(svc["ip"])] = base
                for p in ports:
                    if p.get("name"):
                        srv.setdefault(f"_{p['name']}._{p.get('protocol', 'TCP').lower()}.{base}", []).append(
                            (int(p["port"]), base))
                continue
            a.setdefault(base, [])  # a headless Service exists even with no endpoints
            publish_all = spec.get("publishNotReadyAddresses", False)
            for pod in self.pods:
                if (pod.namespace != ns or pod.ip is None or pod.terminal
                        or pod.deleting_since is not None
                        or not B.selector_matches(spec.get("selector"), pod.labels)):
                    continue
                if not (publish_all or pod.ready):
                    continue
                add(base, pod.ip)
                if pod.spec.get("hostname") and pod.subdomain == name:
                    host = f"{pod.hostname}.{base}"
                else:
                    host = f"{N.dashed(pod.ip)}.{base}"
                add(host, pod.ip)
                ptr[N.reverse_name(pod.ip)] = host
                for p in ports:
                    if p.get("name"):
                        port = self.resolve_port(pod, p.get("targetPort", p["port"]))
                        srv.setdefault(f"_{p['name']}._{p.get('protocol', 'TCP').lower()}.{base}", []).append(
                            (port or int(p["port"]), host))
        for pod in self.pods:
            if pod.ip and not pod.terminal:
                add(f"{N.dashed(pod.ip)}.{pod.namespace}.pod.{zone}", pod.ip)
        for host in self.extra_hosts:
            add(host.name, host.ip)
            ptr.setdefault(N.reverse_name(host.ip), host.name)
        self.dns_state = {"a": a, "srv": srv, "ptr": ptr}
        if self.dns:
            self.dns.publish(self.dns_state)

    def dns_lookup(self, name: str, qtype: int):
        return N.cluster_lookup(self.dns_state, name, qtype)

    def service_endpoints(self, key, port: dict) -> list[tuple[str, int]]:
        svc = self.services.get(key)
        if not svc:
            return []
        selector = svc["obj"]["spec"].get("selector")
        out = []
        for pod in self.pods:
            if pod.namespace == key[0] and pod.ready and B.selector_matches(selector, pod.labels):
                target = self.resolve_port(pod, port.get("targetPort", port["port"]))
                if target:
                    out.append((pod.ip, target))
        return out

    @staticmethod
    def resolve_port(pod: Pod, port) -> int | None:
        if isinstance(port, int) or str(port).isdigit():
            return int(port)
        for c in pod.spec.get("containers", []):
            for p in c.get("ports", []):
                if p.get("name") == port:
                    return int(p["containerPort"])
        return None

    # -- pods --

    def create_pod(self, controller, index) -> Pod:
        name, tpl = controller.pod_template(index)
        tpl["metadata"]["name"] = name
        tpl["metadata"]["namespace"] = controller.namespace
        tpl["metadata"]["uid"] = str(random.getrandbits(64))
        jitter = random.uniform(0, self.args.start_jitter) if self.args.start_jitter else 0.0
        pod = Pod(name=name, namespace=controller.namespace,
                  controller=(controller.kind, controller.name), index=index, template=tpl,
                  created_mono=now(), created_wall=time.time(), start_after=now() + jitter)
        sa = pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount")
        if sa and sa != "default" and not self.objects.get("ServiceAccount", pod.namespace, sa):
            pod.phase, pod.reason = "Failed", "FailedCreate"
            pod.message = f'serviceaccount "{sa}" not found (the API server rejects the pod)'
            self.event(f"{controller.kind} {controller.name}: FailedCreate {name}: {pod.message}")
            pod.finished_mono, pod.finished_wall = now(), time.time()
            # A pod the API server refused never exists: nothing for the controller to count as
            # failed, it retries. Keep it for the report and stop the Job from spinning.
            pod.counted = True
        for c in pod.spec.get("initContainers", []):
            pod.init_containers.append(Container(spec=c, init=True,
                                                 restart_always=c.get("restartPolicy") == "Always"))
        for c in pod.spec.get("containers", []):
            pod.containers.append(Container(spec=c, init=False))
        self.pods.append(pod)
        if pod.phase != "Failed":
            self.event(f"{controller.kind} {controller.name}: created pod {name}"
                       + (f" (index {index})" if index is not None else ""))
        return pod

    def delete_pod(self, pod: Pod, reason: str | None) -> None:
        if pod.deleting_since is not None or pod.terminal:
            return
        pod.deleting_since = now()
        pod.deletion_reason = reason
        grace = pod.spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE)
        if self.args.grace_cap is not None:
            grace = min(grace, self.args.grace_cap)
        self.event(f"pod {pod.name}: deleting ({reason}), grace {grace}s")
        for c in pod.init_containers + pod.containers:
            c.grace = grace
            if c.state == "running":
                self.stop_container(pod, c)

    def stop_container(self, pod: Pod, c: Container) -> None:
        if c.proc and c.proc.poll() is None and c.kill_at is None:
            c.kill_at = now() + c.grace
            try:
                c.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass

    def setup_pod(self, pod: Pod) -> None:
        """The pod sandbox: network namespace and address, the kubelet-managed files, volumes."""
        pod.pod_dir = os.path.join(self.run_dir, "pods", pod.name)
        os.makedirs(pod.pod_dir, exist_ok=True)
        if pod.sandbox is None:
            pod.sandbox = self.net.sandbox("p")
            self.event(f"pod {pod.name}: sandbox {pod.sandbox.netns} ip {pod.ip}")
        self.write_pod_files(pod)
        self.prepare_volumes(pod)
        if pod.config_error:
            self.event(f"pod {pod.name}: volumes ready")
        pod.config_error = None

    def write_pod_files(self, pod: Pod) -> None:
        etc = os.path.join(pod.pod_dir, "etc")
        os.makedirs(etc, exist_ok=True)
        # The kubelet's managed hosts file (pkg/kubelet/kubelet_pods.go managedHostsFileContent).
        lines = ["# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost",
                 "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
                 "fe00::0\tip6-mcastprefix", "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"]
        if pod.fqdn:
            lines.append(f"{pod.ip}\t{pod.fqdn}\t{pod.hostname}")
        else:
            lines.append(f"{pod.ip}\t{pod.hostname}")
        aliases = pod.spec.get("hostAliases", [])
        if aliases:
            lines.append("")
            lines.append("# Entries added by HostAliases.")
            for alias in aliases:
                lines.append(f"{alias['ip']}\t" + "\t".join(alias.get("hostnames", [])))
        with open(os.path.join(etc, "hosts"), "w") as f:
            f.write("\n".join(lines) + "\n")
        # resolv.conf as the kubelet writes it for dnsPolicy ClusterFirst.
        policy = pod.spec.get("dnsPolicy", "ClusterFirst")
        cfg = pod.spec.get("dnsConfig", {})
        if policy in ("ClusterFirst", "ClusterFirstWithHostNet"):
            servers = [N.DNS_IP]
            search = [f"{pod.namespace}.svc.{N.CLUSTER_DOMAIN}", f"svc.{N.CLUSTER_DOMAIN}",
                      N.CLUSTER_DOMAIN]
            options = {"ndots": "5"}
        elif policy == "Default":  # the node's resolv.conf; the harness's node has only its DNS
            servers, search, options = [N.DNS_IP], [], {}
        else:  # None
            servers, search, options = [], [], {}
        servers += [s for s in cfg.get("nameservers", []) if s not in servers]
        search += [s for s in cfg.get("searches", []) if s not in search]
        for opt in cfg.get("options", []):
            options[opt["name"]] = opt.get("value")
        text = ""
        if search:
            text += "search " + " ".join(search) + "\n"
        text += "".join(f"nameserver {s}\n" for s in servers[:3])
        if options:
            text += "options " + " ".join(k if v is None else f"{k}:{v}" for k, v in options.items()) + "\n"
        with open(os.path.join(etc, "resolv.conf"), "w") as f:
            f.write(text)
        with open(os.path.join(etc, "hostname"), "w") as f:
            f.write(pod.hostname + "\n")

    def pod_status(self, pod: Pod) -> dict:
        return {"podIP": pod.ip or "", "hostIP": N.NODE_IP, "nodeName": "harness-node"}

    def prepare_volumes(self, pod: Pod) -> None:
        """Materialize every volume of the pod under its folder (raises PodConfigError while a
        ConfigMap/Secret it needs is missing: the pod waits in ContainerCreating)."""
        fs_group = pod.spec.get("securityContext", {}).get("fsGroup")
        status = self.pod_status(pod)
        for vol in pod.spec.get("volumes", []):
            name = vol["name"]
            if name in pod.volumes:
                continue
            path = os.path.join(pod.pod_dir, "volumes", name)
            readonly = True
            if "emptyDir" in vol:
                os.makedirs(path, exist_ok=True)
                os.chmod(path, 0o777)  # the kubelet's emptyDir is 0777
                readonly = False
                if vol["emptyDir"].get("medium") == "Memory":
                    self.warn(f"pod {pod.name} volume {name}: emptyDir medium Memory is a folder on disk here")
            elif "configMap" in vol or "secret" in vol:
                kind = "ConfigMap" if "configMap" in vol else "Secret"
                src = vol["configMap" if kind == "ConfigMap" else "secret"]
                files = B.project_config(self.objects, kind, pod.namespace, src, 0o644)
                tmp = path + ".tmp"
                shutil.rmtree(tmp, ignore_errors=True)
                B.write_atomic_volume(tmp, files)
                os.rename(tmp, path)
            elif "downwardAPI" in vol:
                files = B.project_downward(pod.template, vol["downwardAPI"], status, 0o644)
                B.write_atomic_volume(path, files)
            elif "projected" in vol:
                files = B.project_projected(pod.template, vol["projected"], self.objects, status,
                                            FAKE_TOKEN)
                B.write_atomic_volume(path, files)
            elif "persistentVolumeClaim" in vol:
                claim = vol["persistentVolumeClaim"]["claimName"]
                if claim not in self.claims and not self.objects.get(
                        "PersistentVolumeClaim", pod.namespace, claim):
                    raise B.PodConfigError(f'persistentvolumeclaim "{claim}" not found')
                path = os.path.join(self.run_dir, "pvc", f"{pod.namespace}_{claim}")
                os.makedirs(path, exist_ok=True)
                readonly = vol["persistentVolumeClaim"].get("readOnly", False)
            elif "hostPath" in vol:
                raise B.PodConfigError(f"volume {name}: hostPath is not allowed in the harness")
            else:
                raise B.PodConfigError(f"volume {name}: unsupported volume type {sorted(set(vol) - {'name'})}")
            B.set_volume_ownership(path, fs_group, readonly)
            pod.volumes[name] = path

    def container_spec(self, pod: Pod, c: Container) -> dict:
        """Everything container.py needs to start c (raises PodConfigError like the kubelet's
        CreateContainerConfigError)."""
        spec = c.spec
        image = self.images.resolve(spec["image"])
        status = self.pod_status(pod)
        service_env = {}
        if pod.spec.get("enableServiceLinks", True):
            service_env = B.service_link_env([
                (name, svc["ip"], svc["obj"]["spec"].get("ports", []))
                for (ns, name), svc in self.services.items() if ns == pod.namespace and svc["ip"]])
        # The master service's variables are always set (kubelet getServiceEnvVarMap).
        service_env.update(B.service_link_env([("kubernetes", "127.77.1.1", [{"name": "https", "port": 443}])]))
        env_list = B.container_env(pod.template, spec, self.objects, status, service_env)
        env_map = dict(env_list)

        lookup = env_map.get
        command = [B.expand(a, lookup) for a in spec.get("command", [])]
        args = [B.expand(a, lookup) for a in spec.get("args", [])]
        if spec.get("command"):
            argv = command + args
        elif spec.get("args") is not None and "args" in spec:
            argv = image["entrypoint"] + args
        else:
            argv = image["entrypoint"] + image["cmd"]
        if not argv:
            raise B.PodConfigError("no command specified")

        # Credentials: container securityContext over the pod's, over the image's USER.
        psc = pod.spec.get("securityContext", {}) or {}
        csc = spec.get("securityContext", {}) or {}
        uid = csc.get("runAsUser", psc.get("runAsUser"))
        gid = csc.get("runAsGroup", psc.get("runAsGroup"))
        non_root = csc.get("runAsNonRoot", psc.get("runAsNonRoot", False))
        passwd = [line.split(":") for line in image["rootfs"]["passwd"]]
        home = "/"
        if uid is None:
            user = image["user"].split(":")[0]
            if user.isdigit():
                uid = int(user)
            else:
                if non_root:
                    raise B.PodConfigError(f"image has non-numeric user ({user}), cannot verify "
                                           f"user is non-root")
                entry = next((p for p in passwd if p[0] == user), None)
                if entry is None:
                    raise B.PodConfigError(f"unable to find user {user}: no matching entries in passwd file")
                uid = int(entry[2])
        if non_root and uid == 0:
            raise B.PodConfigError("container has runAsNonRoot and image will run as root")
        entry = next((p for p in passwd if p[2] == str(uid)), None)
        if gid is None:
            gid = int(entry[3]) if entry else 0
        if entry:
            home = entry[5]
        groups = sorted({g for g in [psc.get("fsGroup")] + list(psc.get("supplementalGroups", []))
                         if g is not None})
        caps = set(DEFAULT_CAPABILITIES)
        cap_spec = csc.get("capabilities", {}) or {}
        if csc.get("privileged"):
            caps = set(CAPABILITIES)
        for cap in cap_spec.get("add", []) or []:
            caps |= set(CAPABILITIES) if cap == "ALL" else {cap.removeprefix("CAP_")}
        for cap in cap_spec.get("drop", []) or []:
            caps = set() if cap == "ALL" else caps - {cap.removeprefix("CAP_")}
        unknown = caps - set(CAPABILITIES)
        if unknown:
            raise B.PodConfigError(f"unknown capabilities {sorted(unknown)}")
        no_new_privs = csc.get("allowPrivilegeEscalation") is False

        # Environment: HOSTNAME (the runtime), the image's ENV, then the pod spec's.
        env = {"HOSTNAME": pod.hostname}
        for name, value in image["env"]:
            env[name] = value
        env.update(env_map)
        env.setdefault("HOME", home)

        mounts = []
        for vm in spec.get("volumeMounts", []):
            if vm["name"] not in pod.volumes:
                raise B.PodConfigError(f"volumeMount {vm['name']}: no such volume in the pod")
            source = pod.volumes[vm["name"]]
            sub = vm.get("subPath") or (B.expand(vm["subPathExpr"], env_map.get) if vm.get("subPathExpr") else "")
            if sub:
                if sub.startswith("/") or ".." in sub.split("/"):
                    raise B.PodConfigError(f"subPath {sub!r} must be a relative path without '..'")
                vol_real = os.path.realpath(source)
                candidate = os.path.join(source, sub)
                if not os.path.lexists(candidate):
                    # kubelet_pods.go makeMounts: create it with the volume folder's permissions.
                    perm = os.stat(source).st_mode & 0o777
                    os.makedirs(candidate)
                    os.chmod(candidate, perm)
                real = os.path.realpath(candidate)
                if real != vol_real and not real.startswith(vol_real + os.sep):
                    raise B.PodConfigError(f"subPath {sub!r} of volume {vm['name']} leaves the volume")
                source = real
            readonly = vm.get("readOnly", False) or any(
                k in v for v in pod.spec.get("volumes", []) if v["name"] == vm["name"]
                for k in ("configMap", "secret", "downwardAPI", "projected"))
            mounts.append({"source": source, "path": vm["mountPath"], "readOnly": readonly})
        etc = os.path.join(pod.pod_dir, "etc")
        for f in ("hosts", "resolv.conf", "hostname"):
            mounts.append({"source": os.path.join(etc, f), "path": f"/etc/{f}", "readOnly": False})
        term = os.path.join(pod.pod_dir, f"termination-log-{c.name}")
        open(term, "a").close()
        os.chmod(term, 0o666)
        mounts.append({"source": term, "path": spec.get("terminationMessagePath", "/dev/termination-log"),
                       "readOnly": False})

        attempt_dir = os.path.join(pod.pod_dir, "containers", f"{c.name}-{len(c.attempts)}")
        os.makedirs(os.path.join(attempt_dir, "root"), exist_ok=True)
        os.makedirs(os.path.join(attempt_dir, "scratch"), exist_ok=True)
        return {
            "netns": pod.sandbox.path,
            "hostname": pod.hostname,
            "root": os.path.join(attempt_dir, "root"),
            "scratch": os.path.join(attempt_dir, "scratch"),
            "read_only_root": bool(csc.get("readOnlyRootFilesystem", False)),
            "status_file": os.path.join(attempt_dir, "status.json"),
            "cwd": spec.get("workingDir") or image["workdir"],
            "image": image["rootfs"],
            "mounts": mounts,
            "user": {"uid": uid, "gid": gid, "groups": groups, "no_new_privs": no_new_privs,
                     "capabilities": sorted(caps)},
            "env": list(env.items()),
            "argv": argv,
        }

    def start_container(self, pod: Pod, c: Container) -> None:
        try:
            spec = self.container_spec(pod, c)
        except B.PodConfigError as exc:
            if c.waiting_reason != "CreateContainerConfigError":
                self.event(f"pod {pod.name} container {c.name}: CreateContainerConfigError: {exc}")
            c.waiting_reason = "CreateContainerConfigError"
            pod.message = str(exc)
            c.next_start = now() + 2
            return
        n = len(c.attempts)
        log = os.path.join(self.logs_dir, f"{pod.name}_{c.name}.log" if n == 0
                           else f"{pod.name}_{c.name}.restart{n}.log")
        spec_file = os.path.join(os.path.dirname(spec["status_file"]), "spec.json")
        with open(spec_file, "w") as f:
            json.dump(spec, f, indent=1)
        c.spec_file, c.status_file = spec_file, spec["status_file"]
        with open(log, "wb") as logf:
            c.proc = subprocess.Popen(
                ["setpriv", "--pdeathsig", "KILL", sys.executable, CONTAINER_PY, "run", spec_file],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                start_new_session=True)
        c.attempts.append(Attempt(start_mono=now(), start_wall=time.time(), log=log))
        c.state, c.started, c.ready, c.kill_at = "running", False, False, None
        c.waiting_reason = ""
        c.grace = pod.spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE)
        if self.args.grace_cap is not None:
            c.grace = min(c.grace, self.args.grace_cap)
        c.probes = []
        t = now()
        for kind in ("startup", "readiness", "liveness"):
            p = c.spec.get(f"{kind}Probe")
            if p:
                c.probes.append(Probe(kind, p, t + p.get("initialDelaySeconds", 0)))
        c.startup_done = not any(p.kind == "startup" for p in c.probes)
        if pod.started_mono is None:
            pod.started_mono, pod.started_wall = now(), time.time()
        self.event(f"pod {pod.name}: started {'init ' if c.init else ''}container {c.name}"
                   + (f" (restart {c.restarts})" if c.restarts else ""))

    def poll_container(self, pod: Pod, c: Container) -> None:
        """Follow a running container: its start verdict, probes, exit, the grace period."""
        if c.proc is None:
            return
        attempt = c.attempts[-1]
        if not c.started and c.status_file and os.path.exists(c.status_file):
            with open(c.status_file) as f:
                status = json.load(f)
            if status.get("started"):
                c.started = True
            elif status.get("reason") == "HarnessError":
                raise HarnessError(f"pod {pod.name} container {c.name}: {status.get('message')}\n"
                                   f"{status.get('trace', '')}")
            else:
                attempt.reason, attempt.message = status.get("reason"), status.get("message")
        code = c.proc.poll()
        if code is None:
            if c.kill_at is not None and now() >= c.kill_at:
                try:
                    c.proc.send_signal(signal.SIGUSR1)  # container.py: SIGKILL the container
                except ProcessLookupError:
                    pass
                c.kill_at = float("inf")
            if c.started:
                self.run_probes(pod, c)
            return
        attempt.end_mono, attempt.end_wall, attempt.exit_code = now(), time.time(), code
        if attempt.reason is None:
            attempt.reason = "Completed" if code == 0 else "Error"
        term_file = os.path.join(pod.pod_dir, f"termination-log-{c.name}")
        try:
            with open(term_file) as f:
                message = f.read(4096)
            if message:
                attempt.message = message
        except OSError:
            pass
        c.proc, c.state, c.ready = None, "terminated", False
        self.event(f"pod {pod.name}: {'init ' if c.init else ''}container {c.name} exited {code}"
                   f" ({attempt.reason}{': ' + attempt.message.strip() if attempt.message else ''})")

    def run_probes(self, pod: Pod, c: Container) -> None:
        t = now()
        for probe in c.probes:
            if probe.kind != "startup" and not c.startup_done:
                continue
            if probe.kind == "startup" and c.startup_done:
                continue
            if probe.result is not None:
                ok, probe.result, probe.running = probe.result, None, False
                spec = probe.spec
                if ok:
                    probe.successes += 1
                    probe.failures = 0
                    if probe.successes >= spec.get("successThreshold", 1):
                        if probe.kind == "readiness" and not c.ready:
                            c.ready = True
                            self.event(f"pod {pod.name}: container {c.name} ready")
                        if probe.kind == "startup":
                            c.startup_done = True
                else:
                    probe.successes = 0
                    probe.failures += 1
                    if probe.failures >= spec.get("failureThreshold", 3):
                        if probe.kind == "readiness" and c.ready:
                            c.ready = False
                            self.event(f"pod {pod.name}: container {c.name} not ready")
                        elif probe.kind in ("liveness", "startup"):
                            self.event(f"pod {pod.name}: container {c.name} failed {probe.kind} probe, "
                                       f"will be restarted")
                            probe.failures = 0
                            self.stop_container(pod, c)
            if not probe.running and t >= probe.next_due:
                probe.running = True
                probe.next_due = t + probe.spec.get("periodSeconds", 10)
                threading.Thread(target=self._probe, args=(pod, c, probe), daemon=True).start()
        if not any(p.kind == "readiness" for p in c.probes) and c.startup_done and not c.ready:
            c.ready = True

    def _probe(self, pod: Pod, c: Container, probe: Probe) -> None:
        spec = probe.spec
        timeout = spec.get("timeoutSeconds", 1)
        ok = False
        try:
            if "tcpSocket" in spec:
                port = self.resolve_port(pod, spec["tcpSocket"]["port"])
                ok = self._tcp_check(pod.ip, port, timeout)
            elif "httpGet" in spec:
                h = spec["httpGet"]
                port = self.resolve_port(pod, h["port"])

                def get():
                    import http.client
                    conn = http.client.HTTPConnection(pod.ip, port, timeout=timeout)
                    try:
                        conn.request("GET", h.get("path", "/"),
                                     headers={x["name"]: x["value"] for x in h.get("httpHeaders", [])})
                        return 200 <= conn.getresponse().status < 400
                    except OSError:
                        return False
                    finally:
                        conn.close()
                ok = N.run_in_netns(self.net.node_path, get)
            elif "exec" in spec and c.spec_file:
                r = subprocess.run([sys.executable, CONTAINER_PY, "exec", c.spec_file, "--"]
                                   + spec["exec"]["command"], capture_output=True, timeout=timeout + 1)
                ok = r.returncode == 0
            elif "grpc" in spec:
                self.warn("grpc probes are not emulated; counted as failing")
        except Exception:  # noqa: BLE001 - a probe that errs has failed
            ok = False
        probe.result = ok

    def sync_pod(self, pod: Pod) -> None:
        """One pass of the kubelet's pod worker over one pod."""
        if pod.terminal:
            return
        t = now()
        if pod.sandbox is None or pod.config_error is not None:
            if pod.deleting_since is not None:
                self.finish_pod(pod, "Deleted" if pod.deletion_reason == "RunEnded" else "Failed",
                                pod.deletion_reason)
                return
            if t < pod.start_after or t < pod.next_setup_try:
                return
            try:
                self.setup_pod(pod)
                self.refresh_network_policies()
            except B.PodConfigError as exc:
                if pod.config_error != str(exc):
                    self.event(f"pod {pod.name}: FailedMount: {exc}")
                pod.config_error, pod.reason, pod.message = str(exc), "ContainerCreating", str(exc)
                pod.next_setup_try = t + 2
                return
            pod.reason = pod.message = None
        policy = pod.spec.get("restartPolicy", "Always")

        # activeDeadlineSeconds of the pod itself.
        deadline = pod.spec.get("activeDeadlineSeconds")
        if deadline is not None and pod.started_mono is not None and pod.deleting_since is None \
                and t - pod.started_mono >= deadline:
            self.event(f"pod {pod.name}: DeadlineExceeded")
            pod.reason = "DeadlineExceeded"
            self.delete_pod(pod, "DeadlineExceeded")

        for c in pod.init_containers + pod.containers:
            self.poll_container(pod, c)

        if pod.deleting_since is not None:
            if all(c.proc is None for c in pod.init_containers + pod.containers):
                # A pod deleted because its Job failed counts as failed; one deleted at the end
                # of the run (kubectl delete) is just gone.
                self.finish_pod(pod, "Deleted" if pod.deletion_reason == "RunEnded" else "Failed",
                                pod.deletion_reason)
            return

        # Init containers, one after the other (a sidecar one keeps running).
        while pod.init_index < len(pod.init_containers):
            c = pod.init_containers[pod.init_index]
            if c.restart_always:
                if c.state == "waiting" and t >= c.next_start:
                    self.start_container(pod, c)
                if c.state == "running" and c.started and (c.ready or not any(
                        p.kind in ("startup",) for p in c.probes)):
                    pod.init_index += 1
                    continue
                if c.state == "terminated":
                    self.schedule_restart(pod, c)
                return
            if c.state == "waiting":
                if t >= c.next_start:
                    self.start_container(pod, c)
                return
            if c.state == "running":
                return
            code = c.attempts[-1].exit_code
            if code == 0:
                pod.init_index += 1
                continue
            if policy == "Never":
                self.finish_pod(pod, "Failed", "Init:Error")
                return
            self.schedule_restart(pod, c)
            return

        if pod.phase == "Pending":
            pod.phase = "Running"
        for c in pod.containers:
            if c.state == "waiting" and t >= c.next_start:
                self.start_container(pod, c)
        for c in pod.init_containers:
            if c.restart_always and c.state == "terminated":
                self.schedule_restart(pod, c)
        for c in pod.containers:
            if c.state != "terminated":
                continue
            code = c.attempts[-1].exit_code
            if policy == "Always" or (policy == "OnFailure" and code != 0):
                self.schedule_restart(pod, c)
        if all(c.state == "terminated" for c in pod.containers):
            codes = [c.attempts[-1].exit_code for c in pod.containers]
            phase = "Succeeded" if all(code == 0 for code in codes) else "Failed"
            # Sidecars are stopped once the main containers are done.
            for c in pod.init_containers:
                if c.restart_always and c.state == "running":
                    self.stop_container(pod, c)
            if any(c.proc is not None for c in pod.init_containers):
                return
            self.finish_pod(pod, phase, "Completed" if phase == "Succeeded" else "Error")
        was_ready = pod.ready_mono is not None
        if pod.ready and not was_ready:
            pod.ready_mono = now()
        if t >= pod.next_listen_sample:
            pod.next_listen_sample = t + 1.0
            self.sample_listeners(pod)

    def sample_listeners(self, pod: Pod) -> None:
        """Record which addresses the pod's processes listen on: the report shows e.g. a REST API
        bound to 127.0.0.1 only, which no other pod can reach. Read from /proc by a thread in the
        pod's namespace, not by `ip netns exec … ss` (a fork and exec a pod a second: with 50
        pods, about 0.8 s of every second of the kubelet's loop, on the cores the pods use)."""
        if pod.sandbox is None or pod.terminal:
            return
        pod.listening.update(N.run_in_netns(pod.sandbox.path, N.listeners))

    def schedule_restart(self, pod: Pod, c: Container) -> None:
        """CrashLoopBackOff: the container starts again after 10s, 20s, 40s ... 5 min."""
        last = c.attempts[-1]
        base, cap = CONTAINER_BACKOFF
        ran = (last.end_mono or now()) - last.start_mono
        if ran > 600:  # a container that ran 10 minutes starts over at the first delay
            c.backoff_step = 0
        delay = min(cap, base * 2 ** c.backoff_step) * self.args.backoff_scale
        c.backoff_step += 1
        c.restarts += 1
        c.state, c.waiting_reason = "waiting", "CrashLoopBackOff" if last.exit_code else "Completed"
        c.next_start = now() + delay
        self.event(f"pod {pod.name}: container {c.name} will restart in {delay:.1f}s "
                   f"(restart {c.restarts})")

    def finish_pod(self, pod: Pod, phase: str, reason: str | None) -> None:
        pod.phase, pod.finished_mono, pod.finished_wall = phase, now(), time.time()
        if reason and not pod.reason:
            pod.reason = reason
        for c in pod.init_containers + pod.containers:
            if c.proc is not None:
                try:
                    c.proc.kill()
                except ProcessLookupError:
                    pass
        self.event(f"pod {pod.name}: {phase}" + (f" ({pod.reason})" if pod.reason else ""))
        if pod.sandbox is not None and self.policies is not None:
            pod.netpol_drops = NP.read_drops(pod.sandbox.netns)
            for drop in pod.netpol_drops:
                self.event(f"pod {pod.name}: NetworkPolicy dropped {drop}")
        if pod.sandbox is not None and not self.args.keep_sandboxes:
            self.net.remove_sandbox(pod.sandbox)

    def refresh_network_policies(self) -> None:
        """Rewrite each pod's nftables rules when pods (addresses, labels) changed."""
        if self.policies is None:
            return
        live = [p for p in self.pods if p.sandbox is not None and not p.terminal]
        signature = tuple(sorted((p.namespace, p.ip, json.dumps(p.labels, sort_keys=True))
                                 for p in live))
        if signature == self._netpol_signature:
            return
        self._netpol_signature = signature
        endpoints = [NP.Endpoint(p.namespace, p.labels, p.ip, NP.container_ports(p.spec)) for p in live]
        endpoints.append(NP.Endpoint("kube-system", {"k8s-app": "kube-dns"}, N.DNS_IP,
                                     {"dns": ("udp", 53), "dns-tcp": ("tcp", 53)}))
        for pod in live:
            me = next(e for e in endpoints if e.ip == pod.ip)
            text = NP.rules_for(me, endpoints, self.policies, N.NODE_IP)
            if text != pod.netpol_text:
                try:
                    NP.apply(pod.sandbox.netns, text)
                except RuntimeError as exc:
                    raise HarnessError(str(exc)) from exc
                pod.netpol_text = text

    # -- the run --

    def jobs(self) -> list[JobController]:
        return [c for c in self.controllers if isinstance(c, JobController)]

    def run(self) -> None:
        deadline = self.start_mono + self.args.timeout
        # The target's name resolves before the first pod starts, as a real service's does:
        # a runner that starts at once (a k6 Deployment) otherwise gets NXDOMAIN for its
        # first requests.
        self.rebuild_dns()
        while True:
            t = now()
            for ctrl in self.controllers:
                ctrl.reconcile(t)
            for pod in list(self.pods):
                self.sync_pod(pod)
            self.refresh_network_policies()
            self.rebuild_dns()
            jobs = self.jobs()
            if jobs and all(j.finished for j in jobs):
                self.event("every Job has finished")
                break
            if t >= deadline:
                self.event(f"timeout after {self.args.timeout}s")
                break
            time.sleep(TICK)

    def stop_all(self) -> None:
        """Delete every pod still there (kubectl delete -k), waiting out the grace periods."""
        self.stopping = True
        for pod in self.pods:
            if not pod.terminal:
                self.delete_pod(pod, "RunEnded")
        limit = now() + (self.args.grace_cap if self.args.grace_cap is not None else DEFAULT_GRACE) + 10
        while any(not p.terminal for p in self.pods) and now() < limit:
            for pod in self.pods:
                self.sync_pod(pod)
            time.sleep(TICK)
        for pod in self.pods:
            if not pod.terminal:
                self.finish_pod(pod, "Deleted", "Killed")

    def stop_targets(self) -> None:
        for host in self.extra_hosts:
            if host.proc and host.proc.poll() is None:
                host.proc.send_signal(signal.SIGTERM)
                try:
                    host.proc.wait(10)
                except subprocess.TimeoutExpired:
                    host.proc.kill()

    def teardown(self) -> None:
        for pod in self.pods:
            for c in pod.init_containers + pod.containers:
                if c.proc is not None and c.proc.poll() is None:
                    kill_container_init(c)
                    c.proc.kill()
        self.stop_targets()
        if self.dns:
            self.dns.stop()
        if self.proxy:
            self.proxy.stop()
        self.net.teardown()
        try:
            os.unlink(os.path.join(STATE_DIR, self.run_id))
        except FileNotFoundError:
            pass

    # -- report --

    def report(self) -> dict:
        jobs = [j.report() for j in self.jobs()]
        others = [c.report() for c in self.controllers if not isinstance(c, JobController)]
        pods = []
        ip_to_pod = {}
        for pod in self.pods:
            if pod.ip:
                ip_to_pod[pod.ip] = pod.name
            pods.append({
                "name": pod.name, "namespace": pod.namespace,
                "controller": {"kind": pod.controller[0], "name": pod.controller[1]},
                "index": pod.index, "hostname": pod.hostname, "fqdn": pod.fqdn, "ip": pod.ip,
                "phase": pod.phase, "reason": pod.reason, "message": pod.message,
                "created": {"mono": pod.created_mono, "wall": pod.created_wall},
                "started": {"mono": pod.started_mono, "wall": pod.started_wall},
                "ready": {"mono": pod.ready_mono},
                "finished": {"mono": pod.finished_mono, "wall": pod.finished_wall},
                "deleted": pod.deletion_reason,
                "listening": sorted(pod.listening),
                "network_policy_drops": pod.netpol_drops,
                "containers": [{
                    "name": c.name, "init": c.init, "image": c.spec.get("image"),
                    "restarts": c.restarts,
                    "exit_codes": [a.exit_code for a in c.attempts],
                    "log": c.attempts[0].log if c.attempts else None,
                    "waiting_reason": c.waiting_reason or None,
                    "attempts": [dataclasses.asdict(a) for a in c.attempts],
                    "log_alerts": log_alerts([a.log for a in c.attempts]),
                    # The end of the log of a failed attempt (not of one stopped at the end of
                    # the run, which is no failure).
                    "log_tail": log_tail(c.attempts[-1].log)
                    if c.attempts and c.attempts[-1].exit_code and pod.deletion_reason != "RunEnded"
                    else None,
                } for c in pod.init_containers + pod.containers],
            })
        failed_containers = any(a.exit_code not in (0, None)
                                for p in self.pods for c in p.containers + p.init_containers
                                for a in c.attempts if p.deletion_reason is None)
        if jobs:
            ok = all(j["succeeded"] for j in jobs)
        else:
            ok = not failed_containers and not any(p.config_error for p in self.pods)
        targets = {}
        for host in self.extra_hosts:
            if host.summary_file and os.path.exists(host.summary_file):
                with open(host.summary_file) as f:
                    summary = json.load(f)
                for client in summary.get("by_client", {}).values():
                    client["pod"] = ip_to_pod.get(client["ip"])
                for receiver in summary.get("metrics", {}).values():
                    for client in receiver.get("by_client", {}).values():
                        client["pod"] = ip_to_pod.get(client["ip"])
                targets[host.name] = summary
        return {
            "run_id": self.run_id, "bundle": self.args.bundle, "run_dir": self.run_dir,
            "result": "succeeded" if ok else "failed", "exit_code": 0 if ok else 1,
            "started": {"mono": self.start_mono, "wall": self.start_wall},
            "duration_s": round(now() - self.start_mono, 3),
            "jobs": jobs, "controllers": others, "pods": pods,
            "targets": targets, "dns_queries": self.dns.queries if self.dns else 0,
            "network_policies_enforced": self.policies is not None,
            "warnings": self.warnings, "events": self.events,
        }


def kill_container_init(c: Container) -> None:
    """SIGKILL the container's PID 1 (and so its whole PID namespace) by its host pid."""
    try:
        with open(c.status_file) as f:
            pid = json.load(f).get("pid")
        if pid:
            os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError, TypeError):
        pass


def log_alerts(paths: list[str], limit: int = 5) -> list[str]:
    """The first lines of the logs that LOG_ALERT matches."""
    found = []
    for path in paths:
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    if LOG_ALERT.search(line):
                        found.append(line.rstrip()[:300])
                        if len(found) >= limit:
                            return found
        except OSError:
            pass
    return found


def log_tail(path: str, lines: int = 5) -> list[str]:
    try:
        with open(path, errors="replace") as f:
            return [line.rstrip()[:300] for line in f.readlines()[-lines:]]
    except OSError:
        return []


# --- CLI -----------------------------------------------------------------------------------

def parse_target(text: str) -> ExtraHost:
    """NAME[=IP][:PORT[/KIND],PORT[/KIND]...]  KIND: http (default) or graphite."""
    name, _, rest = text.partition("=")
    ip = None
    ports_text = ""
    if rest:
        ip, _, ports_text = rest.partition(":")
    else:
        name, _, ports_text = name.partition(":")
    ports = []
    for item in (ports_text or "8080").split(","):
        port, _, kind = item.partition("/")
        kind = kind or "http"
        if kind not in ("http", "graphite"):
            raise argparse.ArgumentTypeError(f"--target {text}: port kind must be http or graphite")
        ports.append((int(port), kind))
    return ExtraHost(name=name.lower(), ip=ip or "", ports=ports)


def parse_extra_host(text: str) -> ExtraHost:
    name, sep, ip = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"--extra-host {text}: expected NAME=IP")
    ipaddress.ip_address(ip)
    return ExtraHost(name=name.lower(), ip=ip)


def parse_tool(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"--tool {text}: expected NAME=PATH")
    return name, path


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kubelet.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a bundle's pods and report",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="Example:\n  kubelet.py run /tmp/b/k6-basic --tool k6=$K6_BIN "
                              "--target target.test=127.77.2.1:8080 --timeout 120 --report r.json")
    r.add_argument("bundle", help="a compiled bundle folder (kustomization.yaml)")
    r.add_argument("--object", action="append", default=[], metavar="FILE.yaml",
                   help="extra objects the user creates beside the bundle (e.g. a Secret)")
    r.add_argument("--tool", action="append", type=parse_tool, default=[], metavar="NAME=PATH",
                   help="host location of a tool the images need: k6 (the binary), jmeter_home, "
                        "gatling_home, java_home, kubectl; default from K6_BIN, JMETER_HOME, "
                        "GATLING_HOME, JAVA_HOME, KUBECTL_BIN")
    r.add_argument("--target", action="append", type=parse_target, default=[],
                   metavar="NAME[=IP][:PORTS]",
                   help="run target.py as host NAME (own network namespace, address IP, default "
                        "127.77.2.N) listening on PORTS, e.g. target.test=127.77.2.1:8080,2003/graphite")
    r.add_argument("--extra-host", action="append", type=parse_extra_host, default=[],
                   metavar="NAME=IP", help="an extra DNS name (A record) every pod resolves")
    r.add_argument("--timeout", type=float, default=300, help="end the run after S seconds")
    r.add_argument("--report", help="write the JSON report here too (always in RUN_DIR/report.json)")
    r.add_argument("--run-dir", help="folder for logs, volumes, report (default: a new /tmp folder)")
    r.add_argument("--images", default=os.path.join(HERE, "images.yaml"), help="image profiles")
    r.add_argument("--grace-cap", type=float, default=None, metavar="S",
                   help="cap terminationGracePeriodSeconds (default: honour it, 30s if unset)")
    r.add_argument("--backoff-scale", type=float, default=1.0, metavar="F",
                   help="multiply the Job and CrashLoopBackOff delays (10s, 20s, ...) by F")
    r.add_argument("--start-jitter", type=float, default=0.0, metavar="S",
                   help="delay each pod's start by a random 0..S seconds (scheduling, image pulls)")
    r.add_argument("--no-network-policies", action="store_true",
                   help="do not enforce the bundle's NetworkPolicies (default: nftables in each pod)")
    r.add_argument("--keep-sandboxes", action="store_true",
                   help="keep finished pods' network namespaces until the end of the run")
    r.add_argument("-v", "--verbose", action="store_true", help="print events to stderr")
    sub.add_parser("cleanup", help="remove network namespaces of runs that were killed")
    return p


def cleanup_leftovers() -> int:
    removed = 0
    if os.path.isdir(STATE_DIR):
        for run_id in os.listdir(STATE_DIR):
            try:
                with open(os.path.join(STATE_DIR, run_id)) as f:
                    pid = json.load(f)["pid"]
                os.kill(pid, 0)
                continue  # still running
            except (ProcessLookupError, ValueError, KeyError, json.JSONDecodeError):
                pass
            except PermissionError:
                continue
            for ns in N.leftover_namespaces(run_id + "-"):
                N.sh("ip", "netns", "del", ns, check=False)
                removed += 1
            os.unlink(os.path.join(STATE_DIR, run_id))
    print(f"removed {removed} network namespaces")
    return 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "cleanup":
        return cleanup_leftovers()
    if os.geteuid() != 0:
        print("kubelet.py: must run as root (namespaces, mounts, setuid)", file=sys.stderr)
        return 2
    for needed in ("ip", "setpriv", "sysctl"):
        if not shutil.which(needed):
            print(f"kubelet.py: {needed} is not installed", file=sys.stderr)
            return 2
    args.bundle = os.path.abspath(args.bundle)
    if args.run_dir:
        args.run_dir = os.path.abspath(args.run_dir)
        if os.path.isdir(args.run_dir) and os.listdir(args.run_dir):
            print(f"kubelet.py: --run-dir {args.run_dir} is not empty", file=sys.stderr)
            return 2
        os.makedirs(args.run_dir, exist_ok=True)
    else:
        args.run_dir = tempfile.mkdtemp(prefix="perfplan-kubelet-")

    objects = B.Objects()
    try:
        B.load_bundle(args.bundle, objects)
        for path in args.object:
            for doc in B.read_yaml_documents(path):
                objects.add(doc, path, "default")
        images = Images(args.images, dict(args.tool))
        problems = []
        for obj in objects.of_kind(*CONTROLLERS):
            tspec = obj["spec"]["template"]["spec"]
            for c in tspec.get("initContainers", []) + tspec.get("containers", []):
                problems += images.check(c["image"])
        if problems:
            raise HarnessError("cannot emulate the bundle's images:\n  " + "\n  ".join(sorted(set(problems))))
    except (B.BundleError, HarnessError, OSError) as exc:
        print(f"kubelet.py: {exc}", file=sys.stderr)
        return 2

    kubelet = Kubelet(args, objects, images)
    next_ip = int(N.HOST_RANGE.network_address) + 1
    for host in args.target + args.extra_host:
        if host.ports and not host.ip:
            host.ip = str(ipaddress.ip_address(next_ip))
            next_ip += 1
        kubelet.extra_hosts.append(host)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    code = 2
    report = None
    try:
        kubelet.setup()
        kubelet.run()
        kubelet.stop_all()
        kubelet.stop_targets()
        report = kubelet.report()
        code = report["exit_code"]
    except HarnessError as exc:
        print(f"kubelet.py: {exc}", file=sys.stderr)
        kubelet.event(f"harness error: {exc}")
    except KeyboardInterrupt as exc:
        print(f"kubelet.py: interrupted ({exc})", file=sys.stderr)
    except Exception:  # noqa: BLE001 - a bug in the harness is a harness error
        traceback.print_exc()
    finally:
        try:
            if report is None:
                kubelet.stop_targets()
                report = kubelet.report()
                report["result"], report["exit_code"] = "harness-error", 2
        finally:
            kubelet.teardown()
    text = json.dumps(report, indent=2)
    with open(os.path.join(args.run_dir, "report.json"), "w") as f:
        f.write(text)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text)
    print_summary(report)
    return code


def print_summary(report: dict) -> None:
    out = sys.stderr
    print(f"kubelet.py: {report['result']} in {report['duration_s']}s, run folder {report['run_dir']}",
          file=out)
    for j in report["jobs"]:
        print(f"  Job {j['name']}: {j['condition']}"
              + (f" ({j['reason']}: {j['message']})" if j["reason"] else ""), file=out)
    for p in report["pods"]:
        codes = ", ".join(f"{c['name']}={c['exit_codes']}" + (f" restarts={c['restarts']}" if c["restarts"] else "")
                          for c in p["containers"])
        print(f"  pod {p['name']} {p['ip'] or '-'} {p['phase']}"
              + (f" ({p['reason']})" if p["reason"] else "") + f": {codes}"
              + (f"; listened on {', '.join(p['listening'])}" if p["listening"] else "")
              + (f"; NetworkPolicy dropped {', '.join(p['network_policy_drops'])}"
                 if p["network_policy_drops"] else ""), file=out)
        for c in p["containers"]:
            for line in c["log_tail"] or []:
                print(f"      {c['name']}| {line}", file=out)
            if not c["log_tail"] and c["log_alerts"]:
                print(f"      {c['name']}! {c['log_alerts'][0]}"
                      + (f" (+{len(c['log_alerts']) - 1} more in the report)"
                         if len(c["log_alerts"]) > 1 else ""), file=out)
    for name, t in report.get("targets", {}).items():
        print(f"  target {name}: {t.get('requests', 0)} requests, start skew "
              f"{t.get('start_skew_s')}s", file=out)
        for client in t.get("by_client", {}).values():
            print(f"    {client['ip']} ({client.get('pod')}): {client['requests']} requests", file=out)
    for w in report["warnings"]:
        print(f"  warning: {w}", file=out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
