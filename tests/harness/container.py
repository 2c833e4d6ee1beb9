"""The container runtime of the local kubelet: starts one container process, as runc would.

kubelet.py runs this file as root, once per container start, with a JSON spec it wrote:

    python3 container.py run SPEC.json      # start the container; exits with its exit status
    python3 container.py exec SPEC.json -- ARGV...   # run ARGV inside a running container
                                                      # (exec probes), as its user

`run` does, in order:
  1. joins the pod's network namespace (/run/netns/<pod>), which kubelet.py created with the
     pod's address: every container of a pod shares it, so `localhost` is the pod's own;
  2. unshares UTS, IPC and PID namespaces and sets the pod's hostname;
  3. forks the container's init process (PID 1 of the new PID namespace), which unshares its
     own mount namespace (private propagation: nothing leaks to the host) and builds the
     image's root filesystem on a tmpfs (rootfs: skeleton, BusyBox, the image's files and the real
     tool bind-mounted read-only), mounts /proc, /sys, /dev, then the pod's volumes and the
     kubelet-managed /etc/hosts, /etc/resolv.conf, /etc/hostname, makes the root read-only when
     readOnlyRootFilesystem is set, pivot_root(2)s into it, drops privileges (groups, gid, uid,
     capabilities, no_new_privs) and execs the command found in the container's PATH;
  4. waits for it, forwards SIGTERM (kubelet's graceful stop) and turns SIGUSR1 into SIGKILL
     (the end of the grace period), and exits with the container's status (128+signal when
     killed), which kubelet.py records as the container's exit code.

Its verdict on the start goes to spec["status_file"] as JSON:
  {"started": true, "pid": <host pid of the container's PID 1>}, or
  {"started": false, "reason": "StartError"|"CreateContainerError"|"HarnessError", "message": ...}
The container's own output goes to stdout/stderr, which kubelet.py points at the log file.
Nothing here prints to them, so logs hold only what the container wrote.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linux  # noqa: E402


class CreateError(Exception):
    """A container that cannot be created for a reason Kubernetes would also report
    (CreateContainerError), e.g. a subPath that leaves its volume."""


def write_status(spec: dict, status: dict) -> None:
    tmp = spec["status_file"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(status, f)
    os.replace(tmp, spec["status_file"])


# --- paths inside the new root -------------------------------------------------------------

def resolve_in_root(root: str, path: str, max_links: int = 40) -> str:
    """The host path of `path` inside the tree at `root`, following symlinks as if `root` were
    `/` (so an absolute link target stays inside the root, like runc's securejoin)."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        if os.path.islink(candidate):
            links += 1
            if links > max_links:
                raise CreateError(f"too many levels of symbolic links in {path}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        resolved.append(part)
    return os.path.join(root, *resolved)


def ensure_mountpoint(root: str, path: str, is_dir: bool) -> str:
    """Create the mount point `path` (folder or empty file) inside the root; return its host path."""
    host = resolve_in_root(root, path)
    if is_dir:
        os.makedirs(host, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(host), mode=0o755, exist_ok=True)
        if not os.path.exists(host):
            open(host, "a").close()
    return host


def bind(src: str, dst: str, readonly: bool, recursive: bool = False) -> None:
    flags = linux.MS_BIND | (linux.MS_REC if recursive else 0)
    linux.mount(src, dst, None, flags)
    if readonly:
        linux.mount(None, dst, None, linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY
                    | (linux.MS_REC if recursive else 0))


# --- the image root ------------------------------------------------------------------------

def build_rootfs(spec: dict) -> str:
    """Build the container's root filesystem at spec["root"] (see image_root in the spec, which
    kubelet.py resolved from images.yaml) and return it."""
    root = spec["root"]
    scratch = spec["scratch"]
    image = spec["image"]
    linux.mount("tmpfs", root, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "mode=0755,size=256m")
    linux.mount("tmpfs", scratch, "tmpfs", 0, "mode=0700,size=512m")

    # Skeleton of an Alpine-like root. /lib and /lib64 hold, read-only, the Debian libraries the
    # host binaries (BusyBox, bash, Java, getent) are linked against.
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin", "usr/lib",
              "usr/share", "etc", "proc", "sys", "dev", "run", "var", "mnt", "srv", "home", "opt"):
        os.makedirs(os.path.join(root, d), mode=0o755, exist_ok=True)
    os.symlink("usr/lib", os.path.join(root, "lib"))
    for src, dst in image["host_dirs"]:
        host = ensure_mountpoint(root, dst, True)
        bind(src, host, readonly=True)
    for src, dst in image["host_files"]:
        host = ensure_mountpoint(root, dst, False)
        bind(src, host, readonly=True)
    if image.get("lib64"):
        os.symlink("usr/lib64", os.path.join(root, "lib64"))

    for path, mode_spec in image["dirs"].items():
        mode, uid, gid = parse_mode_spec(mode_spec)
        host = resolve_in_root(root, path)
        os.makedirs(host, exist_ok=True)
        os.chown(host, uid, gid)
        os.chmod(host, mode)

    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write("".join(line + "\n" for line in image["passwd"]))
    with open(os.path.join(root, "etc/group"), "w") as f:
        f.write("".join(line + "\n" for line in image["group"]))
    # glibc (of the host binaries) reads nsswitch.conf; musl has none and asks files, then DNS.
    with open(os.path.join(root, "etc/nsswitch.conf"), "w") as f:
        f.write("hosts: files dns\n")

    # The shell: BusyBox with each applet linked where the distribution links it.
    if image.get("busybox"):
        host = ensure_mountpoint(root, "/bin/busybox", False)
        bind(image["busybox"], host, readonly=True)
        for applet_path in image["busybox_applets"]:
            link = os.path.join(root, applet_path)
            if not os.path.lexists(link):
                os.makedirs(os.path.dirname(link), exist_ok=True)
                os.symlink("/bin/busybox", link)

    for path, content in image["files"].items():
        host = resolve_in_root(root, path)
        os.makedirs(os.path.dirname(host), exist_ok=True)
        with open(host, "w") as f:
            f.write(content["text"])
        os.chmod(host, int(content.get("mode", "0644"), 8))

    for path, target in image["links"].items():
        host = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(host), exist_ok=True)
        if os.path.lexists(host):
            os.unlink(host)
        os.symlink(target, host)

    image_layers = []  # overlays that belong to the image's filesystem (read-only with the root)
    # Binaries the image installs from its distribution, and the real load tools. A package's
    # binary replaces the BusyBox applet link of the same name (as apk does), never its target.
    for n, (src, dst) in enumerate(image["binds"]):
        is_dir = os.path.isdir(src)
        final = os.path.join(resolve_in_root(root, os.path.dirname(dst)), os.path.basename(dst))
        if os.path.islink(final):
            os.unlink(final)
        host = ensure_mountpoint(root, dst, is_dir)
        if is_dir:
            # The tool's folder is part of the image: an overlay on the host's copy, so that the
            # container can write into it when its root is writable, and so that mount points
            # of volumes inside it (e.g. /opt/gatling/target) can be created, as in an image
            # layer. Writes land in the container's scratch space, never in the host's copy.
            upper = os.path.join(scratch, f"ovl{n}", "upper")
            work = os.path.join(scratch, f"ovl{n}", "work")
            os.makedirs(upper)
            os.makedirs(work)
            linux.mount("overlay", host, "overlay", 0,
                        f"lowerdir={src},upperdir={upper},workdir={work}")
            image_layers.append(host)
        else:
            bind(src, host, readonly=True)

    # /proc of the container's PID namespace, /sys read-only, a minimal /dev (runc's defaults).
    linux.mount("proc", os.path.join(root, "proc"), "proc",
                linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
    linux.mount("sysfs", os.path.join(root, "sys"), "sysfs",
                linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC | linux.MS_RDONLY)
    dev = os.path.join(root, "dev")
    linux.mount("tmpfs", dev, "tmpfs", linux.MS_NOSUID, "mode=755,size=65536k")
    for name in ("null", "zero", "full", "random", "urandom", "tty"):
        host = os.path.join(dev, name)
        open(host, "a").close()
        bind(f"/dev/{name}", host, readonly=False)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    os.makedirs(os.path.join(dev, "shm"))
    linux.mount("shm", os.path.join(dev, "shm"), "tmpfs",
                linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC, "mode=1777,size=65536k")
    os.makedirs(os.path.join(dev, "pts"))
    linux.mount("devpts", os.path.join(dev, "pts"), "devpts", linux.MS_NOSUID | linux.MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620")
    os.symlink("pts/ptmx", os.path.join(dev, "ptmx"))

    # The pod's volumes (volumeMounts, in order) and the kubelet-managed files.
    for m in spec["mounts"]:
        src = m["source"]
        if not os.path.exists(src):
            raise CreateError(f"mount source {src} for {m['path']} does not exist")
        is_dir = os.path.isdir(src)
        host = ensure_mountpoint(root, m["path"], is_dir)
        if os.path.isdir(host) != is_dir:
            raise CreateError(f"cannot mount {'a folder' if is_dir else 'a file'} on "
                              f"{m['path']}: the image has a {'file' if is_dir else 'folder'} there")
        bind(src, host, readonly=m.get("readOnly", False), recursive=True)

    # The working directory is created if the image lacks it (runc does, before the root is
    # made read-only).
    cwd = spec["cwd"]
    cwd_host = resolve_in_root(root, cwd)
    if not os.path.exists(cwd_host):
        os.makedirs(cwd_host, mode=0o755)

    if spec["read_only_root"]:
        linux.mount(None, root, None,
                    linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY | linux.MS_NOSUID
                    | linux.MS_NODEV)
        for layer in image_layers:
            linux.mount(None, layer, None, linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY)
    return root


def parse_mode_spec(text: str) -> tuple[int, int, int]:
    """"MODE[:UID:GID]" as in images.yaml `dirs`."""
    parts = str(text).split(":")
    mode = int(parts[0], 8)
    uid = int(parts[1]) if len(parts) > 1 else 0
    gid = int(parts[2]) if len(parts) > 2 else 0
    return mode, uid, gid


def enter_root(root: str) -> None:
    """pivot_root(2) into `root` and detach the old root (runc's pivotRoot)."""
    os.chdir(root)
    linux.pivot_root(".", ".")
    linux.umount2(".", linux.MNT_DETACH)
    os.chdir("/")


def drop_privileges(spec: dict) -> None:
    """Become the container's user: capabilities, no_new_privs, groups, gid, uid, umask."""
    cred = spec["user"]
    caps = {linux.CAPABILITIES[c] for c in cred["capabilities"]}
    linux.drop_bounding_capabilities(caps)
    os.setgroups(cred["groups"])
    os.setgid(cred["gid"])
    os.setuid(cred["uid"])
    if cred["uid"] == 0:
        linux.set_capabilities(caps)
    if cred["no_new_privs"]:
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    os.umask(0o022)


def find_executable(argv0: str, env: dict) -> str | None:
    if "/" in argv0:
        return argv0
    for d in env.get("PATH", "").split(":"):
        candidate = os.path.join(d or ".", argv0)
        try:
            st = os.stat(candidate)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and os.access(candidate, os.X_OK):
            return candidate
    return None


def exec_process(spec: dict, argv: list[str], report_fd: int) -> None:
    """chdir, then exec argv with the container's environment. On failure write the reason on
    report_fd (close-on-exec: success closes it with nothing written) and exit 128, the code a
    container that could not start gets."""
    env = dict(spec["env"])
    try:
        try:
            os.chdir(spec["cwd"])
        except OSError as exc:
            raise CreateError(f"chdir to cwd (\"{spec['cwd']}\") set in config.json failed: "
                              f"{exc.strerror}")
        path = find_executable(argv[0], env)
        if path is None:
            raise OSError(2, f"exec: \"{argv[0]}\": executable file not found in $PATH")
        os.execve(path, argv, env)
    except (OSError, CreateError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if isinstance(exc, OSError) and exc.errno != 2:
            message = f"exec {argv[0]}: {message}"
        os.write(report_fd, json.dumps({"reason": "StartError", "message": message}).encode())
        os._exit(128)


def join_pod_network(spec: dict) -> None:
    with open(spec["netns"]) as f:
        linux.setns(f.fileno(), linux.CLONE_NEWNET)


def run(spec_path: str) -> int:
    with open(spec_path) as f:
        spec = json.load(f)
    try:
        join_pod_network(spec)
        # The PID namespace applies to the child forked below; the mount namespace is the
        # child's own (unshared there), so this process stays in the host's and can report.
        linux.unshare(linux.CLONE_NEWUTS | linux.CLONE_NEWIPC | linux.CLONE_NEWPID)
        linux.sethostname(spec["hostname"])
    except Exception as exc:  # noqa: BLE001 - any failure here is the harness's
        write_status(spec, {"started": False, "reason": "HarnessError",
                            "message": f"sandbox: {exc}", "trace": traceback.format_exc()})
        return 128

    report_r, report_w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:  # the container's PID 1
        os.close(report_r)
        try:
            linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
            linux.unshare(linux.CLONE_NEWNS)
            linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
            for sig in (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT):
                signal.signal(sig, signal.SIG_DFL)
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (1048576, 1048576))
            except (OSError, ValueError):
                pass
            parent = os.getppid()
            root = build_rootfs(spec)
            enter_root(root)
            drop_privileges(spec)
            # A change of credentials clears the parent-death signal: set it again, so that the
            # container dies with this process (and so with the kubelet) whatever happens.
            linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:
                os._exit(137)
        except CreateError as exc:
            os.write(report_w, json.dumps({"reason": "CreateContainerError",
                                           "message": str(exc)}).encode())
            os._exit(128)
        except Exception as exc:  # noqa: BLE001
            os.write(report_w, json.dumps({"reason": "HarnessError", "message": str(exc),
                                           "trace": traceback.format_exc()}).encode())
            os._exit(128)
        exec_process(spec, spec["argv"], report_w)
        os._exit(128)  # not reached

    os.close(report_w)
    # Forward the kubelet's signals: SIGTERM as is (PID 1 ignores it without a handler, as in a
    # real container), SIGUSR1 as SIGKILL (the grace period is over).
    signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGTERM))
    signal.signal(signal.SIGINT, lambda *_: os.kill(pid, signal.SIGTERM))
    signal.signal(signal.SIGUSR1, lambda *_: os.kill(pid, signal.SIGKILL))
    chunks = []
    while True:
        try:
            chunk = os.read(report_r, 65536)
        except InterruptedError:
            continue
        if not chunk:
            break
        chunks.append(chunk)
    os.close(report_r)
    if chunks:
        failure = json.loads(b"".join(chunks))
        write_status(spec, {"started": False, **failure})
    else:
        write_status(spec, {"started": True, "pid": pid})
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def exec_in(spec_path: str, argv: list[str]) -> int:
    """Run argv inside a running container (its namespaces, root, user and environment), as
    `kubectl exec` and exec probes do. Returns the command's exit status."""
    with open(spec_path) as f:
        spec = json.load(f)
    with open(spec["status_file"]) as f:
        pid = json.load(f)["pid"]
    fds = [os.open(f"/proc/{pid}/ns/{ns}", os.O_RDONLY)
           for ns in ("ipc", "uts", "net", "pid", "mnt")]
    for fd, kind in zip(fds, (linux.CLONE_NEWIPC, linux.CLONE_NEWUTS, linux.CLONE_NEWNET,
                              linux.CLONE_NEWPID, linux.CLONE_NEWNS)):
        linux.setns(fd, kind)
        os.close(fd)
    child = os.fork()
    if child == 0:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
        os.chdir("/")
        drop_privileges(spec)
        report_r, report_w = os.pipe2(os.O_CLOEXEC)
        exec_process(spec, argv, report_w)
        os._exit(128)
    signal.signal(signal.SIGTERM, lambda *_: os.kill(child, signal.SIGKILL))
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "run":
        return run(argv[1])
    if len(argv) >= 4 and argv[0] == "exec" and argv[2] == "--":
        return exec_in(argv[1], argv[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
