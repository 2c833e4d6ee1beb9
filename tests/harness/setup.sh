#!/usr/bin/env bash
# Installs what the local kubelet needs on a Debian machine (run as root):
#   busybox     the shell and utilities of the Alpine-based images (sh, nslookup, wget, ...)
#   nftables    NetworkPolicy enforcement inside each pod's network namespace
#   iproute2    network namespaces, veth pairs, the bridge (ip)
#   util-linux  setpriv (parent-death signal for every process the harness starts)
#   procps      sysctl (route_localnet in each namespace)
#   python3-yaml  PyYAML, unless the python3 on PATH already has it
# The load tools themselves come from tools/real-tools.sh (k6, JMeter, Gatling, Java).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root" >&2; exit 2; }
need=()
for pair in busybox:busybox nft:nftables ip:iproute2 setpriv:util-linux sysctl:procps ss:iproute2; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "setup.sh: busybox $(busybox | head -n 1 | cut -d' ' -f2), $(nft --version), $(ip -V)"
