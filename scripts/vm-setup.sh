#!/usr/bin/env bash
# Prepares the real-kernel VM tier once: Debian's kernel (the bridge, bond and 802.1q modules this
# machine's own kernel lacks) and a busybox initramfs that mounts the host root over 9p.
# Idempotent and safe to run concurrently (flock); prints nothing but errors unless VERBOSE=1.
#   Cache: $TRUNKLINE_VM_CACHE or <repo>/.cache/vm  ->  vmlinuz, initrd.gz, stamp
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${TRUNKLINE_VM_CACHE:-$root/.cache/vm}"
init="$root/test/vm/init"
# Order matters: virtio_pci first, or the 9p mount finds "no channels available".
modules=(virtio_pci 9pnet_virtio 9p overlay bonding 8021q macvlan ipvlan veth dummy bridge)
say() { if [ "${VERBOSE:-0}" = 1 ]; then echo "vm-setup: $*" >&2; fi; }

for tool in qemu-system-x86_64 cpio depmod modprobe dpkg apt-get; do
  command -v "$tool" >/dev/null || { echo "vm-setup: $tool not found (packages: qemu-system-x86 cpio kmod)" >&2; exit 3; }
done
[ -x /bin/busybox ] || { echo "vm-setup: /bin/busybox not found (package busybox-static)" >&2; exit 3; }
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

want="$(sha256sum "$init" "$0" | sha256sum | cut -c1-16)"
if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$want" ] && [ -f "$cache/vmlinuz" ] && [ -f "$cache/initrd.gz" ]; then
  say "cache is current ($cache)"
  exit 0
fi

# 1. The kernel: linux-image-amd64 is a metapackage naming the versioned image package.
kroot="$cache/kernel"
if [ ! -d "$kroot/lib/modules" ]; then
  dl="$(mktemp -d "$cache/dl.XXXXXX")"
  trap 'rm -rf "$dl"' EXIT
  pkg="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
  [ -n "$pkg" ] || { echo "vm-setup: apt-cache cannot resolve linux-image-amd64 (run apt-get update)" >&2; exit 3; }
  say "downloading $pkg"
  (cd "$dl" && apt-get download -q "$pkg" >/dev/null 2>&1) || { echo "vm-setup: apt-get download $pkg failed" >&2; exit 3; }
  rm -rf "$kroot.tmp"
  dpkg -x "$dl"/*.deb "$kroot.tmp"
  mv "$kroot.tmp" "$kroot"
  rm -rf "$dl"
  trap - EXIT
fi
kver="$(ls "$kroot/lib/modules" | head -n1)"
cp "$kroot/boot/vmlinuz-$kver" "$cache/vmlinuz"
depmod -b "$kroot" "$kver"

# 2. The initramfs: busybox, /init, and the modules in dependency order without duplicates.
ir="$(mktemp -d "$cache/initramfs.XXXXXX")"
trap 'rm -rf "$ir"' EXIT
mkdir -p "$ir"/{bin,dev,proc,sys,host,newroot,rw,lib/modules}
cp /bin/busybox "$ir/bin/busybox"
cp "$init" "$ir/init"
chmod 755 "$ir/init"
: >"$ir/modules.list"
for m in "${modules[@]}"; do
  modprobe -d "$kroot" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
  base="$(basename "$ko")"
  cp "$ko" "$ir/lib/modules/$base"
  # Else loading creates a bond0 / dummy0 nobody asked for (and "bond0 exists" when a test wants it).
  case "$base" in
    bonding.ko) args="max_bonds=0" ;;
    dummy.ko) args="numdummies=0" ;;
    *) args="" ;;
  esac
  echo "$base $args" >>"$ir/modules.list"
done
(cd "$ir" && find . -mindepth 1 | cpio -o -H newc --quiet | gzip -1 >"$cache/initrd.gz.tmp")
mv "$cache/initrd.gz.tmp" "$cache/initrd.gz"
echo "$want" >"$cache/stamp"
say "built $cache/initrd.gz for kernel $kver ($(wc -l <"$ir/modules.list") modules)"
