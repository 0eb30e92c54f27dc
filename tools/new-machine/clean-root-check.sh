#!/usr/bin/env bash
# The new-machine path, from a clean root. A new machine has Node and Go and nothing else of the
# project's; this builds one: Debian's minbase of this machine's release (debootstrap), with only
# this machine's Node and npm copied in. In it, as a newcomer would, from a copy of the project:
#   1. npm start installs its npm packages and redis-server itself and says it is running;
#      npm run redis-report, with no environment, reports on that Redis; an alert sent becomes a
#      resource file; an interrupt (Ctrl-C) stops it, each service draining, and removes
#      var/endpoints.json; a SIGTERM to npm alone stops everything too.
#   2. tools/scripts/ensure-deps.sh installs every Debian package of tools/external-tools.json,
#      and then every tool of that list is there (the Go-built ones from the machine's cache,
#      mounted in, as on a machine that has built them once).
# The base root is built once (about 40 s) and kept as a tarball in the cache; every run unpacks
# a fresh copy of it, so every run starts from the same clean state. Mounts live in a private
# mount namespace and end with it; its processes in a process namespace, ended with it. Prints "clean-root: <step> ok" lines, which
# e2e/src/new-machine.e2e.test.ts reads, and the time of each step.
# Needs root (chroot, mounts): run it as root, as CI does, or with sudo.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${ALERTGATE_CACHE:-$HOME/.cache/alertgate}"
say() { echo "clean-root: $*"; }
fail() { echo "clean-root: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root for chroot and mounts: run 'sudo bash $0'"
command -v debootstrap >/dev/null || fail "debootstrap is missing: run 'bash tools/scripts/ensure-deps.sh'"

# This machine's Debian release: the clean root is of the same.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || fail "cannot tell this machine's Debian release from /etc/os-release"
# shellcheck source=tools/scripts/minbase.sh
source "$root/tools/scripts/minbase.sh"
base=$(minbase_tar "$codename") || fail "could not build the $codename minbase root (debootstrap)"

work=$(mktemp -d /var/tmp/alertgate-clean-root.XXXXXX)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xf "$base"

# What a new machine has: Node and npm (this machine's, the node first on PATH before the
# project's scripts put Node 24 there), and apt's sources and the name service.
cp "$(readlink -f "${ALERTGATE_MACHINE_NODE:-$(command -v node)}")" "$work/usr/local/bin/node"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
mkdir -p "$work/usr/local/lib/node_modules"
cp -r "$npm_dir" "$work/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/usr/local/bin/npx"
rm -f "$work/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$work/etc/apt/sources.list.d/" 2>/dev/null || true
if [ -f /etc/apt/sources.list ]; then cp /etc/apt/sources.list "$work/etc/apt/sources.list"; fi
cp /etc/resolv.conf "$work/etc/resolv.conf"
# This machine's trust (a machine of a kind comes with its certificate authorities), as npm and
# Node here are told of it.
mkdir -p "$work/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$work/etc/ssl/certs/ca-certificates.crt" 2>/dev/null || true
cafile=$(npm config get cafile)
[ "$cafile" = null ] || [ "$cafile" = undefined ] || { mkdir -p "$work$(dirname "$cafile")"; cp "$cafile" "$work$cafile"; }
# A chroot has no init: packages must not start their services in it (a machine's systemd does,
# and apt-install.sh stops them). Debian's documented switch for chroots.
printf '#!/bin/sh\nexit 101\n' >"$work/usr/sbin/policy-rc.d"
chmod +x "$work/usr/sbin/policy-rc.d"

# The project as a clone has it: tracked files and new ones not ignored, nothing built.
mkdir -p "$work/root/alertgate" "$work/root/.cache/alertgate"
git -C "$root" ls-files -z --cached --others --exclude-standard |
  tar -C "$root" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$work/root/alertgate" -xf -

registry=$(npm config get registry)
# One step in the clean root: a fresh environment, in a mount namespace of its own.
in_root() {
  unshare --mount --propagation private --pid --fork bash -c '
    set -e
    work=$1; cache=$2; shift 2
    mount -t proc proc "$work/proc"
    mount --rbind /dev "$work/dev"
    if [ -d "$cache/bin" ]; then mount --bind "$cache" "$work/root/.cache/alertgate"; fi
    exec chroot "$work" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      npm_config_registry="$NPM_REGISTRY" npm_config_update_notifier=false \
      ${NPM_CAFILE:+npm_config_cafile="$NPM_CAFILE"} ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"} \
      bash -c "cd /root/alertgate && $*"
  ' in-root "$work" "$cache" "$@"
}
export NPM_REGISTRY="$registry"
case "$cafile" in null | undefined) ;; *) export NPM_CAFILE="$cafile" ;; esac

started=$SECONDS
in_root bash tools/new-machine/clean-root-start.sh
say "npm start, redis-report, one alert, Ctrl-C, SIGTERM ok ($((SECONDS - started)) s)"

started=$SECONDS
in_root bash tools/new-machine/clean-root-tools.sh
say "ensure-deps and the tool list ok ($((SECONDS - started)) s)"
