#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine: Debian packages by name when
# missing, npm packages from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(iproute2 containernetworking-plugins kmod cpio busybox-static qemu-system-x86 nftables iputils-ping tcpdump etcd-server podman runc containerd iputils-arping ndisc6 chromium debootstrap openssl clang libclang-rt-14-dev systemd sqlite3)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# The real-kernel VM tier (802.1q, bonding): Debian's kernel and the initramfs, fetched once.
if command -v qemu-system-x86_64 >/dev/null; then bash scripts/vm-setup.sh; fi
