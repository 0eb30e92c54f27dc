#!/usr/bin/env bash
# The images a one-node test cluster needs beside alertgate's own, built here because no
# container registry is reachable: Debian bookworm's minbase as debian:bookworm-slim, and on it
# (cluster/*.Containerfile) the pod sandbox (pause), the Redis that k8s/overlays/dev names
# (redis:7.0) and an Alertmanager, each from Debian's packages, and the cluster's CoreDNS from
# the binary build-coredns.sh builds. Each is tagged with the public
# name it stands in for and cached by that name and the Containerfile's content. Prints one
# image name per line.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
fail() { echo "build-cluster-images: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, podman import): run it as root, as CI does, or with sudo"
podman() { command podman --runtime runc "$@"; }
build_flags=(--pull=never --network host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

base="docker.io/library/debian:bookworm-slim"
# shellcheck source=tools/scripts/minbase.sh
source "$root/tools/scripts/minbase.sh"
minbase=$(minbase_tar bookworm) || fail "could not build Debian bookworm's minbase (debootstrap)"
base_version=$(stat -c %Y "$minbase")
if [ "$(podman image inspect "$base" --format '{{ index .Labels "io.alertgate.base" }}' 2>/dev/null)" != "$base_version" ]; then
  podman import -q --change 'CMD ["bash"]' --change "LABEL io.alertgate.base=$base_version" "$minbase" "$base" >/dev/null
fi

# build IMAGE NAME [CONTEXT]: cluster/NAME.Containerfile, cached by its content and a given context's.
build() {
  local image=$1 file="$root/tools/images/cluster/$2.Containerfile" context=${3:-$root/tools/images/cluster} digest
  if [ -n "${3:-}" ]; then digest=$(cat "$file" "$3"/* | sha256sum); else digest=$(sha256sum <"$file"); fi
  digest="$base_version-${digest:0:16}"
  if [ "$(podman image inspect "$image" --format '{{ index .Labels "io.alertgate.build" }}' 2>/dev/null)" != "$digest" ]; then
    podman build "${build_flags[@]}" -q --label "io.alertgate.build=$digest" -f "$file" -t "$image" "$context" >/dev/null ||
      fail "podman build of $image ($file)"
  fi
  echo "$image"
}
build registry.k8s.io/pause:3.10 pause
build docker.io/library/redis:7.0 redis
build quay.io/prometheus/alertmanager:v0.25.0 alertmanager
coredns_version=v1.14.7
coredns_context=$(mktemp -d)
trap 'rm -rf "$coredns_context"' EXIT
cp "$(bash "$root/tools/k8s-test-env/build-coredns.sh" "$coredns_version")" "$coredns_context/coredns"
build "registry.k8s.io/coredns/coredns:$coredns_version" coredns "$coredns_context"
