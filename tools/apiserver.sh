#!/usr/bin/env bash
# A real Kubernetes API server (kube-apiserver + etcd, no controllers, no nodes) on loopback, for
# tests of `perfplan diff --cluster`. Built from Go modules, cached outside the checkout.
#
#   tools/apiserver.sh install      build (once) kube-apiserver and etcd; prints
#                                     KUBE_APISERVER=…  ETCD=…
#   tools/apiserver.sh kubectl      build (once) kubectl at the same version; prints KUBECTL=…
#   tools/apiserver.sh start DIR    certificates, etcd and kube-apiserver on 127.0.0.1 (free ports,
#                                   state in DIR); waits for /readyz; prints
#                                     KUBECONFIG=DIR/kubeconfig          admin (group system:masters),
#                                                                        context perfplan-test
#                                     KUBECONFIG_LIMITED=DIR/kubeconfig-limited
#                                                                        token user `limited`, no RBAC
#                                                                        grants, context limited
#                                     APISERVER=https://127.0.0.1:PORT
#                                     ETCD_ENDPOINT=http://127.0.0.1:PORT
#   tools/apiserver.sh stop DIR     stops both (by the PIDs in DIR/pids) and waits for them
#
# stdout carries only NAME=VALUE lines; logs go to stderr (the servers' own logs to
# DIR/etcd.log and DIR/kube-apiserver.log). Exit 2, with the reason, on any failure.
# `start` installs first when needed (the first build takes minutes). Several servers may run at
# once, each in its own DIR; DIR must be empty or not exist (or hold a stopped server's files:
# a start there is a fresh cluster, new certificates and an empty etcd). Start takes 4-9 s, stop
# about 5 s; each server pair takes about 350 MB of memory. The servers run in their own sessions
# (setsid): they outlive the caller, so always `stop` (e.g. from a test's teardown).
#
# Cache: ${PERFPLAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/perfplan}/tools/kube-<version>/bin/,
# built in a temporary folder beside it and renamed into place with a stamp file (build-info);
# one install at a time per cache (flock). The Go module and build caches are ${cache}/tools/go/.
# First build here: 895 s (2 cores shared with other builds, under nice); then 0.01 s. Sizes:
# kube-1.37.2/ 138 MB, go/mod 834 MB, go/cache 2.9 GB (deletable; only a rebuild needs it).
# PERFPLAN_KUBE_VERSION / PERFPLAN_ETCD_VERSION override the versions (untested).
#
# Versions: Kubernetes 1.37.2 (the newest release; its go.mod asks for go 1.26.0, the machine has
# Go 1.26.x) and etcd 3.7.0, the version that release's build/dependencies.yaml names and that its
# go.mod requires for go.etcd.io/etcd/*. kube-apiserver is built from a throwaway module that
# requires k8s.io/kubernetes and replaces every staging module (those its go.mod replaces with
# ./staging/src/…; the list is read from that go.mod) by its published v0.37.2; the
# version variables are set with -X as hack/lib/version.sh does, so /version reports v1.37.2.
# etcd is module go.etcd.io/etcd/server/v3, whose root package is etcd's main.
#
# What the server is and is not (what tests can rely on):
# - No kube-controller-manager: no ServiceAccount `default` is created in new namespaces (and the
#   ServiceAccount admission plugin then rejects Pods there, before PodSecurity sees them: create
#   it by hand), no Job/Deployment controllers (objects are stored, never run), and a deleted
#   namespace stays Terminating. No scheduler, no kubelet, no network: nothing ever runs.
# - --allow-privileged=true, so privileged Pods reach PodSecurity (as on kubeadm clusters).
# - --service-cluster-ip-range 10.96.0.0/16 is only an allocation range: nothing routes it.
# - --advertise-address 127.0.0.1 needs --endpoint-reconciler-type=none (a loopback address may not
#   be an Endpoints address): Service `kubernetes` exists, its Endpoints do not.
set -euo pipefail

KUBE_VERSION="${PERFPLAN_KUBE_VERSION:-1.37.2}"
ETCD_VERSION="${PERFPLAN_ETCD_VERSION:-3.7.0}"
STAMP=build-info

CACHE="${PERFPLAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/perfplan}"
TOOLS="$CACHE/tools"
DEST="$TOOLS/kube-$KUBE_VERSION"

log() { printf 'apiserver: %s\n' "$*" >&2; }
die() { printf 'apiserver: error: %s\n' "$*" >&2; exit 2; }
usage() { printf 'usage: %s install | kubectl | start DIR | stop DIR\n' "$0" >&2; exit 2; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not on PATH ($2)"; }

TMPDIRS=()
cleanup() { local d; for d in "${TMPDIRS[@]+"${TMPDIRS[@]}"}"; do rm -rf -- "$d"; done; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# install

go_env() {
    export GOMODCACHE="$TOOLS/go/mod" GOCACHE="$TOOLS/go/cache"
    export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOWORK=off
    # The machine's own Go unless the caller picked one (a newer release may need GOTOOLCHAIN).
    export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
}

build_kube_apiserver() {
    local out="$1" work="$2" gomod staging minor
    minor="${KUBE_VERSION#*.}"; minor="${minor%%.*}"
    mkdir -p "$work/kube"
    local json
    json=$(cd "$work/kube" && go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" 2>&1) ||
        die "go mod download k8s.io/kubernetes@v$KUBE_VERSION: $(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Error": //p')"
    gomod=$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    [ -f "$gomod" ] || die "no go.mod for k8s.io/kubernetes@v$KUBE_VERSION"
    staging=$(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/src/.*#\1#p' "$gomod")
    [ -n "$staging" ] || die "k8s.io/kubernetes@v$KUBE_VERSION's go.mod replaces no staging module"
    log "k8s.io/kubernetes v$KUBE_VERSION: $(printf '%s\n' "$staging" | wc -l) staging modules pinned to v0.$minor.${KUBE_VERSION##*.}"
    {
        printf 'module perfplan.invalid/kube-apiserver-build\n\ngo %s\n\n' "$(sed -n 's/^go //p' "$gomod")"
        printf 'require k8s.io/kubernetes v%s\n\nreplace (\n' "$KUBE_VERSION"
        local m
        for m in $staging; do printf '\t%s => %s v0.%s.%s\n' "$m" "$m" "$minor" "${KUBE_VERSION##*.}"; done
        printf ')\n'
    } >"$work/kube/go.mod"
    local v=k8s.io/component-base/version c=k8s.io/client-go/pkg/version date ldflags=(-s -w) k
    date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    for k in "gitVersion=v$KUBE_VERSION" "gitMajor=${KUBE_VERSION%%.*}" "gitMinor=$minor" \
             "gitTreeState=clean" "buildDate=$date"; do
        ldflags+=("-X" "$v.$k" "-X" "$c.$k")
    done
    log "building kube-apiserver v$KUBE_VERSION (several minutes the first time)"
    (cd "$work/kube" && nice -n 10 go build -trimpath -ldflags "${ldflags[*]}" \
        -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver) >&2 ||
        die "go build k8s.io/kubernetes/cmd/kube-apiserver v$KUBE_VERSION failed"
}

build_etcd() {
    local out="$1" work="$2"
    mkdir -p "$work/etcd"
    printf 'module perfplan.invalid/etcd-build\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' \
        "$ETCD_VERSION" >"$work/etcd/go.mod"
    log "building etcd v$ETCD_VERSION"
    (cd "$work/etcd" && nice -n 10 go build -trimpath -ldflags "-s -w" \
        -o "$out/etcd" go.etcd.io/etcd/server/v3) >&2 ||
        die "go build go.etcd.io/etcd/server/v3 v$ETCD_VERSION failed"
}

# The stamp names both versions (PERFPLAN_ETCD_VERSION may differ from the one built).
installed() { grep -qx "etcd v$ETCD_VERSION" "$DEST/$STAMP" 2>/dev/null; }

install() {
    if ! installed; then
        need go "Go 1.26 is expected at /usr/local/go"
        need flock "util-linux"
        mkdir -p "$TOOLS" || die "cannot create $TOOLS"
        exec 9>"$TOOLS/.kube-install.lock"
        flock 9 || die "cannot lock $TOOLS/.kube-install.lock"
        if ! installed; then
            go_env
            rm -rf -- "$TOOLS"/.tmp.kube-* 2>/dev/null || true
            local tmp started took
            tmp=$(mktemp -d "$TOOLS/.tmp.kube-$KUBE_VERSION.XXXXXX") || die "mktemp"
            TMPDIRS+=("$tmp")
            mkdir -p "$tmp/dest/bin"
            started=$(date +%s)
            build_kube_apiserver "$tmp/dest/bin" "$tmp"
            build_etcd "$tmp/dest/bin" "$tmp"
            took=$(( $(date +%s) - started ))
            cp "$tmp/kube/go.mod" "$tmp/dest/kube-apiserver.go.mod"
            "$tmp/dest/bin/etcd" --version >/dev/null 2>&1 || die "the built etcd does not run"
            "$tmp/dest/bin/kube-apiserver" --version >/dev/null 2>&1 || die "the built kube-apiserver does not run"
            {
                printf 'kube-apiserver v%s (%s)\n' "$KUBE_VERSION" "$("$tmp/dest/bin/kube-apiserver" --version)"
                printf 'etcd v%s\n' "$ETCD_VERSION"
                printf '%s\n' "$(go version)"
                printf 'built %s in %ss\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$took"
            } >"$tmp/dest/$STAMP"
            rm -rf -- "$DEST"
            mv -T "$tmp/dest" "$DEST" || die "cannot move the build to $DEST"
            log "built kube-apiserver v$KUBE_VERSION and etcd v$ETCD_VERSION in ${took}s"
        fi
        exec 9>&-
    fi
    KUBE_APISERVER="$DEST/bin/kube-apiserver"
    ETCD="$DEST/bin/etcd"
}

# kubectl at the server's version, for tests that run the commands users would (apply -k with
# kustomize's sortOptions, delete --cascade=foreground, auth can-i): a machine's own kubectl may
# be far older (Debian 12 ships 1.20, whose kustomize knows no sortOptions). Built from the same
# module as kube-apiserver (its saved go.mod: every staging module pinned), into its own folder
# with its own stamp, so an existing server install is not rebuilt.
KUBECTL_DEST="$TOOLS/kubectl-$KUBE_VERSION"

install_kubectl() {
    install
    if [ ! -x "$KUBECTL_DEST/bin/kubectl" ]; then
        need go "Go 1.26 is expected at /usr/local/go"
        exec 9>"$TOOLS/.kube-install.lock"
        flock 9 || die "cannot lock $TOOLS/.kube-install.lock"
        if [ ! -x "$KUBECTL_DEST/bin/kubectl" ]; then
            go_env
            local tmp minor v=k8s.io/component-base/version c=k8s.io/client-go/pkg/version ldflags=(-s -w) k
            tmp=$(mktemp -d "$TOOLS/.tmp.kubectl-$KUBE_VERSION.XXXXXX") || die "mktemp"
            TMPDIRS+=("$tmp")
            mkdir -p "$tmp/build" "$tmp/dest/bin"
            sed 's#^module .*#module perfplan.invalid/kubectl-build#' "$DEST/kube-apiserver.go.mod" >"$tmp/build/go.mod"
            minor="${KUBE_VERSION#*.}"; minor="${minor%%.*}"
            for k in "gitVersion=v$KUBE_VERSION" "gitMajor=${KUBE_VERSION%%.*}" "gitMinor=$minor" "gitTreeState=clean"; do
                ldflags+=("-X" "$v.$k" "-X" "$c.$k")
            done
            log "building kubectl v$KUBE_VERSION (a few minutes the first time)"
            (cd "$tmp/build" && nice -n 10 go build -trimpath -ldflags "${ldflags[*]}" \
                -o "$tmp/dest/bin/kubectl" k8s.io/kubernetes/cmd/kubectl) >&2 ||
                die "go build k8s.io/kubernetes/cmd/kubectl v$KUBE_VERSION failed"
            "$tmp/dest/bin/kubectl" version --client >/dev/null 2>&1 || die "the built kubectl does not run"
            rm -rf -- "$KUBECTL_DEST"
            mv -T "$tmp/dest" "$KUBECTL_DEST" || die "cannot move the build to $KUBECTL_DEST"
        fi
        exec 9>&-
    fi
    KUBECTL="$KUBECTL_DEST/bin/kubectl"
}

# ---------------------------------------------------------------------------------------------
# start / stop

# A free TCP port on 127.0.0.1 (bound, then released; start retries when a server loses the race).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

gen_certs() {
    local c="$1/pki" days=3650
    mkdir -p "$c" && chmod 700 "$c"
    ossl() { openssl "$@" >/dev/null 2>&1 || die "openssl $1 failed"; }
    key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
    key "$c/ca.key"
    ossl req -x509 -new -key "$c/ca.key" -sha256 -days "$days" -subj "/CN=perfplan-test-ca" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$c/ca.crt"
    # leaf NAME SUBJECT EXTENSIONS
    leaf() {
        key "$c/$1.key"
        ossl req -new -key "$c/$1.key" -subj "$2" -out "$c/$1.csr"
        printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" "$3" >"$c/$1.ext"
        ossl x509 -req -in "$c/$1.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial \
            -days "$days" -sha256 -extfile "$c/$1.ext" -out "$c/$1.crt"
        rm -f "$c/$1.csr" "$c/$1.ext"
    }
    leaf apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1"
    leaf admin "/O=system:masters/CN=perfplan-admin" "extendedKeyUsage=clientAuth"
    # Service-account token signing pair.
    key "$c/sa.key"
    ossl pkey -in "$c/sa.key" -pubout -out "$c/sa.pub"
    # Static token file: token,user,uid[,"groups"]. `limited` is in no group and bound to nothing.
    printf '%s,limited,limited-uid\n' "$(openssl rand -hex 24)" >"$c/tokens.csv"
}

b64() { base64 -w0 <"$1"; }

write_kubeconfigs() {
    local dir="$1" url="$2" c="$1/pki" token
    token=$(cut -d, -f1 "$c/tokens.csv")
    cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: perfplan-test
  cluster:
    server: $url
    certificate-authority-data: $(b64 "$c/ca.crt")
users:
- name: perfplan-admin
  user:
    client-certificate-data: $(b64 "$c/admin.crt")
    client-key-data: $(b64 "$c/admin.key")
contexts:
- name: perfplan-test
  context:
    cluster: perfplan-test
    user: perfplan-admin
current-context: perfplan-test
EOF
    cat >"$dir/kubeconfig-limited" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: perfplan-test
  cluster:
    server: $url
    certificate-authority-data: $(b64 "$c/ca.crt")
users:
- name: limited
  user:
    token: $token
contexts:
- name: limited
  context:
    cluster: perfplan-test
    user: limited
current-context: limited
EOF
    chmod 600 "$dir/kubeconfig" "$dir/kubeconfig-limited"
}

# ours PID DIR: the PID is still one of our servers (its command line names DIR), not a reused PID.
ours() { [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"; }

stop() {
    local dir="$1" name pid
    [ -f "$dir/pids" ] || { log "no $dir/pids: nothing to stop"; return 0; }
    # The API server first (about 2.5 s; it hangs on shutdown when etcd is gone first), then etcd
    # (about 2 s). SIGKILL for one still running 20 s after SIGTERM.
    for name in kube-apiserver etcd; do
        pid=$(sed -n "s/^$name=//p" "$dir/pids")
        ours "$pid" "$dir" || continue
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name (pid $pid) still running 20 s after SIGTERM: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
    done
    rm -f "$dir/pids"
    log "stopped the servers in $dir"
}

# try_start DIR: one attempt on fresh ports; returns 1 when a server dies early (port race).
try_start() {
    local dir="$1" c="$1/pki" ecport epport aport etcd_pid api_pid url deadline
    ecport=$(free_port); epport=$(free_port); aport=$(free_port)
    while [ "$epport" = "$ecport" ]; do epport=$(free_port); done
    while [ "$aport" = "$ecport" ] || [ "$aport" = "$epport" ]; do aport=$(free_port); done
    rm -rf "$dir/etcd-data"
    setsid "$ETCD" --name perfplan-test --data-dir "$dir/etcd-data" \
        --listen-client-urls "http://127.0.0.1:$ecport" --advertise-client-urls "http://127.0.0.1:$ecport" \
        --listen-peer-urls "http://127.0.0.1:$epport" --initial-advertise-peer-urls "http://127.0.0.1:$epport" \
        --initial-cluster "perfplan-test=http://127.0.0.1:$epport" --initial-cluster-state new \
        --unsafe-no-fsync --log-level warn </dev/null >"$dir/etcd.log" 2>&1 &
    etcd_pid=$!
    printf 'etcd=%s\n' "$etcd_pid" >"$dir/pids"
    # etcd answers /health once it has a leader (up to 30 s).
    deadline=$((SECONDS + 30))
    until curl -fsS --max-time 2 "http://127.0.0.1:$ecport/health" 2>/dev/null | grep -q '"health":"true"'; do
        kill -0 "$etcd_pid" 2>/dev/null || { log "etcd exited (see $dir/etcd.log)"; return 1; }
        [ "$SECONDS" -lt "$deadline" ] || { log "etcd not healthy after 30 s (see $dir/etcd.log)"; return 1; }
        sleep 0.2
    done
    url="https://127.0.0.1:$aport"
    setsid "$KUBE_APISERVER" \
        --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$aport" \
        --etcd-servers="http://127.0.0.1:$ecport" \
        --cert-dir="$c" --tls-cert-file="$c/apiserver.crt" --tls-private-key-file="$c/apiserver.key" \
        --client-ca-file="$c/ca.crt" --token-auth-file="$c/tokens.csv" \
        --authorization-mode=Node,RBAC \
        --enable-admission-plugins=NamespaceLifecycle,ServiceAccount,PodSecurity \
        --allow-privileged=true \
        --service-account-issuer="$url" --service-account-key-file="$c/sa.pub" \
        --service-account-signing-key-file="$c/sa.key" \
        --service-cluster-ip-range=10.96.0.0/16 --endpoint-reconciler-type=none \
        --profiling=false --v=1 \
        </dev/null >"$dir/kube-apiserver.log" 2>&1 &
    api_pid=$!
    printf 'etcd=%s\nkube-apiserver=%s\n' "$etcd_pid" "$api_pid" >"$dir/pids"
    # Up to 60 s for /readyz (every check, RBAC bootstrap roles included).
    deadline=$((SECONDS + 60))
    while [ "$SECONDS" -lt "$deadline" ]; do
        kill -0 "$api_pid" 2>/dev/null || { log "kube-apiserver exited (see $dir/kube-apiserver.log)"; return 1; }
        kill -0 "$etcd_pid" 2>/dev/null || { log "etcd exited (see $dir/etcd.log)"; return 1; }
        if [ "$(curl -sS --max-time 2 --cacert "$c/ca.crt" --cert "$c/admin.crt" --key "$c/admin.key" \
                "$url/readyz" 2>/dev/null)" = ok ]; then
            write_kubeconfigs "$dir" "$url"
            STARTED_URL="$url" STARTED_ETCD="http://127.0.0.1:$ecport"
            return 0
        fi
        sleep 0.2
    done
    log "kube-apiserver not ready after 60 s (see $dir/kube-apiserver.log)"
    return 1
}

start() {
    local dir="$1" attempt
    need openssl "Debian package openssl"
    need curl "Debian package curl"
    need python3 "to find free ports"
    need setsid "util-linux"
    install
    mkdir -p "$dir" || die "cannot create $dir"
    dir=$(cd "$dir" && pwd -P)
    [ ! -f "$dir/pids" ] || die "$dir/pids exists: a server may be running there (tools/apiserver.sh stop $dir)"
    gen_certs "$dir"
    for attempt in 1 2 3; do
        if try_start "$dir"; then
            log "kube-apiserver v$KUBE_VERSION ready at $STARTED_URL (etcd $STARTED_ETCD, state in $dir)"
            printf 'KUBECONFIG=%s\nKUBECONFIG_LIMITED=%s\nAPISERVER=%s\nETCD_ENDPOINT=%s\n' \
                "$dir/kubeconfig" "$dir/kubeconfig-limited" "$STARTED_URL" "$STARTED_ETCD"
            return 0
        fi
        stop "$dir" 2>/dev/null
        log "start attempt $attempt failed; last lines of the logs:"
        tail -n 5 "$dir/etcd.log" "$dir/kube-apiserver.log" >&2 2>/dev/null || true
        # Only a port taken between free_port and the server's bind is worth another try.
        grep -qi 'address already in use' "$dir/etcd.log" "$dir/kube-apiserver.log" 2>/dev/null || break
    done
    die "could not start etcd and kube-apiserver in $dir"
}

[ $# -ge 1 ] || usage
case "$1" in
    install)
        [ $# -eq 1 ] || usage
        install
        printf 'KUBE_APISERVER=%s\nETCD=%s\n' "$KUBE_APISERVER" "$ETCD"
        ;;
    kubectl)
        [ $# -eq 1 ] || usage
        install_kubectl
        printf 'KUBECTL=%s\n' "$KUBECTL"
        ;;
    start) [ $# -eq 2 ] || usage; start "$2" ;;
    stop)
        [ $# -eq 2 ] || usage
        [ -d "$2" ] || die "no such folder: $2"
        stop "$(cd "$2" && pwd -P)"
        ;;
    *) usage ;;
esac
