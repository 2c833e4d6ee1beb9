"""Reading a bundle and the parts of the pod contract that are pure data.

- load_bundle: the objects of a kustomize folder, in `resources` order (as `kubectl apply -k`).
- expand: the kubelet's $(VAR) expansion (k8s.io/kubernetes third_party/forked/golang/expansion).
- container_env: a container's environment as the kubelet computes it (envFrom, env with
  value/valueFrom, expansion against earlier variables, service links).
- project_*: the files of configMap, secret, downwardAPI and projected volumes, and
  write_atomic_volume, which lays them out as the kubelet's atomic writer does.
- set_volume_ownership: fsGroup applied to a volume as the kubelet's SetVolumeOwnership does.
"""

from __future__ import annotations

import base64
import fnmatch
import math
import os
import random
import re
import time
from dataclasses import dataclass, field

import yaml


class BundleError(Exception):
    """The bundle (or an --object file) cannot be read: a harness error, exit 2."""


class PodConfigError(Exception):
    """What the kubelet reports as CreateContainerConfigError (e.g. a missing ConfigMap key):
    the container is not started and the pod waits, as in a cluster."""


# --- objects -------------------------------------------------------------------------------

@dataclass
class Objects:
    """Every object the run knows, by (kind, namespace, name), in apply order."""
    ordered: list[dict] = field(default_factory=list)
    source: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def add(self, obj: dict, origin: str, default_namespace: str) -> None:
        if not isinstance(obj, dict) or "kind" not in obj:
            raise BundleError(f"{origin}: not a Kubernetes object")
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            raise BundleError(f"{origin}: {obj['kind']} without metadata.name")
        if obj["kind"] not in CLUSTER_SCOPED:
            meta.setdefault("namespace", default_namespace)
        key = (obj["kind"], meta.get("namespace", ""), meta["name"])
        if key in self.source:
            raise BundleError(f"{origin}: {obj['kind']} {key[1]}/{key[2]} is also defined in "
                              f"{self.source[key]}")
        self.source[key] = origin
        self.ordered.append(obj)

    def get(self, kind: str, namespace: str, name: str) -> dict | None:
        for obj in self.ordered:
            meta = obj["metadata"]
            if obj["kind"] == kind and meta["name"] == name and meta.get("namespace", "") == namespace:
                return obj
        return None

    def of_kind(self, *kinds: str) -> list[dict]:
        return [o for o in self.ordered if o["kind"] in kinds]


CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume",
                  "StorageClass", "PriorityClass", "CustomResourceDefinition"}

# Kustomization fields the harness applies; any other makes the run a harness error rather than a
# silently different set of objects.
_KUSTOMIZE_KNOWN = {"apiVersion", "kind", "resources"}


def read_yaml_documents(path: str) -> list[dict]:
    try:
        with open(path) as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except (OSError, yaml.YAMLError) as exc:
        raise BundleError(f"{path}: {exc}") from exc


def load_bundle(folder: str, objects: Objects, default_namespace: str = "default") -> None:
    """Add the objects of a kustomize folder (or of every *.yaml in a folder without
    kustomization.yaml) to `objects`, in `resources` order."""
    kfile = None
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if os.path.exists(os.path.join(folder, name)):
            kfile = os.path.join(folder, name)
            break
    if kfile is None:
        files = sorted(f for f in os.listdir(folder) if f.endswith((".yaml", ".yml")))
        if not files:
            raise BundleError(f"{folder}: no kustomization.yaml and no YAML files")
        for f in files:
            for doc in read_yaml_documents(os.path.join(folder, f)):
                objects.add(doc, os.path.join(folder, f), default_namespace)
        return
    docs = read_yaml_documents(kfile)
    if len(docs) != 1:
        raise BundleError(f"{kfile}: expected one document")
    k = docs[0]
    unknown = set(k) - _KUSTOMIZE_KNOWN
    # `sortOptions: {order: fifo}` asks kustomize to keep the listed order, which is the
    # order the harness applies in anyway; any other ordering it cannot reproduce.
    if k.get("sortOptions") == {"order": "fifo"}:
        unknown.discard("sortOptions")
    if unknown:
        raise BundleError(f"{kfile}: the harness does not apply kustomize fields "
                          f"{sorted(unknown)}; run `kubectl kustomize` first")
    for res in k.get("resources", []):
        path = os.path.join(folder, res)
        if os.path.isdir(path):
            load_bundle(path, objects, default_namespace)
        elif os.path.isfile(path):
            for doc in read_yaml_documents(path):
                objects.add(doc, path, default_namespace)
        else:
            raise BundleError(f"{kfile}: resource {res} does not exist")


# --- $(VAR) expansion ------------------------------------------------------------------------

def expand(text: str, lookup) -> str:
    """Kubernetes' $(VAR) expansion, byte for byte as k8s.io/kubernetes
    third_party/forked/golang/expansion Expand: `$$` is one `$`; `$(NAME)` is lookup(NAME), or
    stays `$(NAME)` when lookup returns None; an unclosed `$(` and a `$` before any other
    character stay as they are."""
    out = []
    checkpoint = 0
    cursor = 0
    n = len(text)
    while cursor < n:
        if text[cursor] == "$" and cursor + 1 < n:
            out.append(text[checkpoint:cursor])
            rest = text[cursor + 1:]
            if rest[0] == "$":
                read, is_var, advance = "$", False, 1
            elif rest[0] == "(":
                close = rest.find(")", 1)
                if close >= 1:
                    read, is_var, advance = rest[1:close], True, close + 1
                else:
                    read, is_var, advance = "$(", False, 1
            else:
                read, is_var, advance = "$" + rest[0], False, 1
            if is_var:
                value = lookup(read)
                out.append(value if value is not None else "$(" + read + ")")
            else:
                out.append(read)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    return "".join(out) + text[checkpoint:]


# --- quantities ----------------------------------------------------------------------------

_SUFFIX = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
           "m": 10**-3, "u": 10**-6, "n": 10**-9}


def quantity(text) -> float:
    m = re.fullmatch(r"([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)", str(text).strip())
    if not m or m.group(2) not in _SUFFIX:
        raise PodConfigError(f"invalid quantity {text!r}")
    return float(m.group(1)) * _SUFFIX[m.group(2)]


# --- the downward API ----------------------------------------------------------------------

def field_value(pod: dict, path: str, status: dict) -> str:
    """The value of a fieldRef.fieldPath for the pod (env and downwardAPI volumes)."""
    meta = pod["metadata"]
    m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']*)'\]", path)
    if m:
        return str(meta.get(m.group(1), {}).get(m.group(2), ""))
    if path in ("metadata.labels", "metadata.annotations"):
        items = meta.get(path.split(".")[1], {})
        return "\n".join(f'{k}="{v}"' for k, v in sorted(items.items()))
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": status.get("nodeName", ""),
        "spec.serviceAccountName": pod["spec"].get("serviceAccountName", "default"),
        "status.hostIP": status.get("hostIP", ""),
        "status.hostIPs": status.get("hostIP", ""),
        "status.podIP": status.get("podIP", ""),
        "status.podIPs": status.get("podIP", ""),
    }
    if path not in simple:
        raise PodConfigError(f"unsupported fieldRef fieldPath {path!r}")
    return simple[path]


def resource_value(pod: dict, container_name: str | None, ref: dict) -> str:
    """resourceFieldRef: limits/requests of a container, divided by `divisor` and rounded up,
    as the kubelet's ExtractContainerResourceValue does."""
    name = ref.get("containerName") or container_name
    spec = next((c for c in pod["spec"].get("containers", []) + pod["spec"].get("initContainers", [])
                 if c["name"] == name), None)
    if spec is None:
        raise PodConfigError(f"resourceFieldRef: no container {name!r}")
    kind, _, res = ref["resource"].partition(".")
    value = spec.get("resources", {}).get(kind, {}).get(res)
    if value is None and kind == "requests":
        value = spec.get("resources", {}).get("limits", {}).get(res)
    if value is None:
        # Unset limits default to the node's allocatable; the harness's node: 2 CPUs, 24 GiB.
        value = {"cpu": "2", "memory": "24Gi", "ephemeral-storage": "20Gi"}.get(res, "0")
    divisor = quantity(ref.get("divisor", "1"))
    return str(int(math.ceil(quantity(value) / divisor)))


# --- environment ---------------------------------------------------------------------------

ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")


def _config_data(objects: Objects, kind: str, namespace: str, name: str, optional: bool):
    obj = objects.get(kind, namespace, name)
    if obj is None:
        if optional:
            return None
        raise PodConfigError(f'{kind.lower()} "{name}" not found')
    if kind == "Secret":
        data = {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
        data.update({k: v.encode() for k, v in (obj.get("stringData") or {}).items()})
    else:
        data = {k: v.encode() for k, v in (obj.get("data") or {}).items()}
        data.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
    return data


def container_env(pod: dict, container: dict, objects: Objects, status: dict,
                  service_env: dict[str, str]) -> list[tuple[str, str]]:
    """The container's variables from the pod spec, in the kubelet's order and with its
    expansion rules (kubelet_pods.go makeEnvironmentVariables). The image's ENV is not here:
    the runtime merges it underneath (see kubelet.py)."""
    ns = pod["metadata"]["namespace"]
    env: dict[str, str] = {}

    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            ref, kind = source["configMapRef"], "ConfigMap"
        elif "secretRef" in source:
            ref, kind = source["secretRef"], "Secret"
        else:
            continue
        data = _config_data(objects, kind, ns, ref["name"], ref.get("optional", False))
        for key, value in (data or {}).items():
            name = prefix + key
            if ENV_NAME.fullmatch(name):  # invalid names are skipped (an event in a cluster)
                env[name] = value.decode(errors="replace")

    def lookup(name: str):
        if name in env:
            return env[name]
        return service_env.get(name)

    for var in container.get("env", []):
        name = var["name"]
        if "valueFrom" not in var:
            env[name] = expand(str(var.get("value", "")), lookup)
            continue
        src = var["valueFrom"]
        if "fieldRef" in src:
            env[name] = field_value(pod, src["fieldRef"]["fieldPath"], status)
        elif "resourceFieldRef" in src:
            env[name] = resource_value(pod, container["name"], src["resourceFieldRef"])
        elif "configMapKeyRef" in src or "secretKeyRef" in src:
            kind = "ConfigMap" if "configMapKeyRef" in src else "Secret"
            ref = src["configMapKeyRef" if kind == "ConfigMap" else "secretKeyRef"]
            optional = ref.get("optional", False)
            data = _config_data(objects, kind, ns, ref["name"], optional)
            if data is None:
                continue
            if ref["key"] not in data:
                if optional:
                    continue
                raise PodConfigError(f"couldn't find key {ref['key']} in {kind} {ns}/{ref['name']}")
            env[name] = data[ref["key"]].decode(errors="replace")
        else:
            raise PodConfigError(f"env {name}: unsupported valueFrom {sorted(src)}")

    for name, value in service_env.items():
        env.setdefault(name, value)
    return list(env.items())


def service_link_env(services: list[tuple[str, str, list[dict]]]) -> dict[str, str]:
    """Docker-links-style variables for ClusterIP Services (enableServiceLinks, the default):
    {SVC}_SERVICE_HOST, {SVC}_SERVICE_PORT, {SVC}_PORT, {SVC}_PORT_{P}_{PROTO}..."""
    env: dict[str, str] = {}
    for name, ip, ports in services:
        prefix = name.upper().replace("-", "_")
        if not ports:
            continue
        env[f"{prefix}_SERVICE_HOST"] = ip
        env[f"{prefix}_SERVICE_PORT"] = str(ports[0]["port"])
        for p in ports:
            if p.get("name"):
                env[f"{prefix}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = str(p["port"])
        first = ports[0]
        proto = first.get("protocol", "TCP").lower()
        env[f"{prefix}_PORT"] = f"{proto}://{ip}:{first['port']}"
        for p in ports:
            proto = p.get("protocol", "TCP")
            base = f"{prefix}_PORT_{p['port']}_{proto.upper()}"
            env[base] = f"{proto.lower()}://{ip}:{p['port']}"
            env[base + "_PROTO"] = proto.lower()
            env[base + "_PORT"] = str(p["port"])
            env[base + "_ADDR"] = ip
    return env


# --- volume contents -----------------------------------------------------------------------

def _items(data: dict[str, bytes], items: list[dict] | None, default_mode: int, where: str,
           optional: bool) -> dict[str, tuple[bytes, int]]:
    """Keys of a ConfigMap/Secret as files: every key, or the listed `items` (key, path, mode)."""
    files: dict[str, tuple[bytes, int]] = {}
    if not items:
        for key, value in data.items():
            files[key] = (value, default_mode)
        return files
    for item in items:
        if item["key"] not in data:
            if optional:
                continue
            raise PodConfigError(f"configmap/secret {where}: key {item['key']!r} not found")
        files[item["path"]] = (data[item["key"]], item.get("mode", default_mode))
    return files


def project_config(objects: Objects, kind: str, namespace: str, source: dict,
                   default_mode: int) -> dict[str, tuple[bytes, int]] | None:
    name = source.get("name") or source.get("secretName")
    optional = source.get("optional", False)
    data = _config_data(objects, kind, namespace, name, optional)
    if data is None:
        return {}
    return _items(data, source.get("items"), source.get("defaultMode", default_mode),
                  f"{namespace}/{name}", optional)


def project_downward(pod: dict, source: dict, status: dict,
                     default_mode: int) -> dict[str, tuple[bytes, int]]:
    files = {}
    for item in source.get("items", []):
        mode = item.get("mode", source.get("defaultMode", default_mode))
        if "fieldRef" in item:
            value = field_value(pod, item["fieldRef"]["fieldPath"], status)
        else:
            value = resource_value(pod, None, item["resourceFieldRef"])
        files[item["path"]] = (value.encode(), mode)
    return files


def project_projected(pod: dict, source: dict, objects: Objects, status: dict,
                      token: str) -> dict[str, tuple[bytes, int]]:
    """A projected volume: serviceAccountToken (an opaque fake token: the harness runs no API
    server), configMap, secret and downwardAPI sources, merged."""
    ns = pod["metadata"]["namespace"]
    default_mode = source.get("defaultMode", 0o644)
    files: dict[str, tuple[bytes, int]] = {}
    for src in source.get("sources", []):
        if "serviceAccountToken" in src:
            files[src["serviceAccountToken"]["path"]] = (token.encode(), default_mode)
        elif "configMap" in src:
            files.update(project_config(objects, "ConfigMap", ns, src["configMap"], default_mode))
        elif "secret" in src:
            files.update(project_config(objects, "Secret", ns, src["secret"], default_mode))
        elif "downwardAPI" in src:
            files.update(project_downward(pod, src["downwardAPI"], status, default_mode))
    return files


def atomic_dir_name() -> str:
    """The kubelet's timestamped data folder name: os.MkdirTemp(dir,
    time.Now().UTC().Format("..2006_01_02_15_04_05.")) adds a random number."""
    return time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime()) + str(random.randrange(10**8, 10**10))


def write_atomic_volume(target: str, files: dict[str, tuple[bytes, int]]) -> None:
    """Lay out files as the kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go):
        target/..2026_11_30_23_59_59.123456789/<path>   the files, with their modes
        target/..data -> ..2026_11_30_23_59_59.123456789
        target/<top-level name> -> ..data/<top-level name>
    The data folder is 0755, the volume folder 0777 (the emptyDir the volume lives in)."""
    os.makedirs(target, exist_ok=True)
    os.chmod(target, 0o777)
    ts = atomic_dir_name()
    ts_path = os.path.join(target, ts)
    os.mkdir(ts_path)
    os.chmod(ts_path, 0o755)
    tops = set()
    for rel, (content, mode) in sorted(files.items()):
        if rel.startswith("/") or ".." in rel.split("/"):
            raise PodConfigError(f"invalid volume item path {rel!r}")
        path = os.path.join(ts_path, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content)
        os.chmod(path, mode)
        tops.add(rel.split("/")[0])
    os.symlink(ts, os.path.join(target, "..data"))
    for top in sorted(tops):
        os.symlink(os.path.join("..data", top), os.path.join(target, top))


def set_volume_ownership(path: str, fs_group: int | None, readonly: bool) -> None:
    """fsGroup on a volume, as pkg/volume/volume_linux.go SetVolumeOwnership: every file and
    folder gets group fsGroup; files gain group read (and write unless the volume is read-only:
    configMap, secret, downwardAPI and projected volumes are), folders also gain setgid and
    execute. Symlinks get only the group."""
    if fs_group is None:
        return
    mask = 0o440 if readonly else 0o660
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
            st = os.lstat(name)
            os.lchown(name, -1, fs_group)
            if os.path.islink(name):
                continue
            mode = (st.st_mode & 0o7777) | mask
            if os.path.isdir(name):
                mode |= 0o2000 | 0o110
            os.chmod(name, mode)


# --- label selectors -----------------------------------------------------------------------

def selector_matches(selector: dict | None, labels: dict) -> bool:
    """A LabelSelector (matchLabels + matchExpressions), or a Service's plain map."""
    if selector is None:
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return all(labels.get(k) == v for k, v in selector.items())
    if not all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def image_matches(patterns: list[str], image: str) -> bool:
    return any(fnmatch.fnmatchcase(image, p) for p in patterns)
