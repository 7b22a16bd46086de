#!/usr/bin/env bash
# Build (once) a Debian Bookworm base chroot with debootstrap and cache it as a tarball.
# Usage: make_base_chroot.sh <tarball>. Exits 0 at once when the tarball already exists.
# The base is "a fresh Debian 12 host" plus Python (Ansible needs it) and a policy-rc.d that
# stops package scripts from starting services inside the chroot.
set -euo pipefail
tarball=${1:?usage: make_base_chroot.sh <tarball>}
mirror=${FULFIL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ -s "$tarball" ] && exit 0
mkdir -p "$(dirname "$tarball")"
work=$(mktemp -d /var/tmp/fulfil-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase \
  --include=python3,python3-apt,python3-venv,systemd,systemd-sysv,udev,dbus,ca-certificates,gnupg,locales,tzdata,procps \
  bookworm "$work/root" "$mirror"
printf '#!/bin/sh\nexit 101\n' > "$work/root/usr/sbin/policy-rc.d"
chmod 0755 "$work/root/usr/sbin/policy-rc.d"
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
  "$mirror" "$mirror" > "$work/root/etc/apt/sources.list"
cp /etc/resolv.conf "$work/root/etc/resolv.conf"
chroot "$work/root" apt-get -q update
chroot "$work/root" apt-get clean
tar -C "$work/root" --numeric-owner -czf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
