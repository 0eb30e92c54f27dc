#!/usr/bin/env bash
# Builds kube-router from the Go module proxy: the one-node cluster runs its firewall only, to
# enforce the NetworkPolicies. v2.1.0 is the only release the proxy serves here, and advisories
# are filed against it; it runs in tests on loopback only, never in what users install. Cached
# outside the work tree, keyed by version: ~/.cache/alertgate/bin/kube-router-<version>. Prints its path,
# linked as kube-router. Usage: build-kube-router.sh [VERSION]
set -euo pipefail
version="${1:-v2.1.0}"
bin="${ALERTGATE_CACHE:-$HOME/.cache/alertgate}/bin"
if [ ! -x "$bin/kube-router-$version" ]; then
  command -v go >/dev/null 2>&1 || { echo "Go is needed to build kube-router (apt-get install golang-go)" >&2; exit 1; }
  echo "building kube-router $version (once per machine; a few minutes)" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  GOBIN="$work" GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOWORK=off go install -trimpath -ldflags "-s -w" "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$version"
  mkdir -p "$bin"
  mv "$work/kube-router" "$bin/kube-router-$version"
fi
ln -sf "kube-router-$version" "$bin/kube-router"
echo "$bin/kube-router-$version"
