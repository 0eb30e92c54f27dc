#!/usr/bin/env bash
# Builds CoreDNS (the one-node cluster's DNS) from the Go module proxy and caches it outside the
# work tree, keyed by version: ~/.cache/alertgate/bin/coredns-<version>. Prints the directory
# that holds it, linked as coredns. Usage: build-coredns.sh [VERSION]
set -euo pipefail
version="${1:-v1.14.7}"
bin="${ALERTGATE_CACHE:-$HOME/.cache/alertgate}/bin"
if [ ! -x "$bin/coredns-$version" ]; then
  command -v go >/dev/null 2>&1 || { echo "Go is needed to build CoreDNS (apt-get install golang-go)" >&2; exit 1; }
  echo "building CoreDNS $version (once per machine; a few minutes)" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  GOBIN="$work" GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOWORK=off go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$version"
  mkdir -p "$bin"
  mv "$work/coredns" "$bin/coredns-$version"
fi
ln -sf "coredns-$version" "$bin/coredns"
echo "$bin/coredns-$version"
