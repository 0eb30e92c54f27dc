#!/usr/bin/env bash
# Installs what the tests need beyond npm packages, once per machine, as tools/external-tools.json
# lists it: Debian packages (redis-server, prometheus-alertmanager, etcd-server, podman,
#   containerd, the CNI plugins...) and programs built from the Go module proxy into
#   ~/.cache/alertgate, keyed by version, never committed (grpcurl, the Kubernetes components,
#   CoreDNS, kube-router).
# Idempotent: a machine that has everything spends well under a second here.
set -euo pipefail

GRPCURL_VERSION=v1.9.3
CACHE_BIN="${ALERTGATE_CACHE:-$HOME/.cache/alertgate}/bin"

# The Debian packages of tools/external-tools.json (the one list of what the project runs) whose
# program is not on PATH yet.
root="$(cd "$(dirname "$0")/../.." && pwd)"
apt_tools=$(node -e 'const { tools } = require(process.argv[1]); for (const [binary, how] of Object.entries(tools)) if (how.apt) console.log(binary, how.apt);' "$root/tools/external-tools.json")
[ -n "$apt_tools" ] || { echo "ensure-deps: could not read tools/external-tools.json" >&2; exit 1; }
need_apt=()
while read -r binary package; do
  command -v "$binary" >/dev/null 2>&1 || need_apt+=("$package")
done <<<"$apt_tools"
if [ "${#need_apt[@]}" -gt 0 ]; then
  # shellcheck source=tools/scripts/apt-install.sh
  source "$(dirname "$0")/apt-install.sh"
  # pipefail and errexit: a failed install stops here, having said what to run.
  apt_install "${need_apt[@]}" | sed 's/^/ensure-deps: /'
fi

if [ ! -x "$CACHE_BIN/grpcurl-$GRPCURL_VERSION" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "ensure-deps: Go is needed once to build grpcurl (apt-get install golang-go)" >&2
    exit 1
  fi
  echo "ensure-deps: building grpcurl $GRPCURL_VERSION from the Go module proxy (once per machine)"
  mkdir -p "$CACHE_BIN"
  tmp=$(mktemp -d)
  GOBIN="$tmp" GOFLAGS=-buildvcs=false go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION"
  mv "$tmp/grpcurl" "$CACHE_BIN/grpcurl-$GRPCURL_VERSION"
  rm -rf "$tmp"
fi
ln -sf "grpcurl-$GRPCURL_VERSION" "$CACHE_BIN/grpcurl"

# The test API server's two, and the one-node cluster's components (the deploy tests).
kube_commands=(kube-apiserver kubectl kubelet kube-controller-manager kube-scheduler kube-proxy)
kube_dir=$(bash "$(dirname "$0")/../k8s-test-env/build-kube-apiserver.sh" "${kube_commands[@]}")
bash "$(dirname "$0")/../k8s-test-env/build-coredns.sh" >/dev/null
bash "$(dirname "$0")/../k8s-test-env/build-kube-router.sh" >/dev/null
# Every built tool is also in the cache's bin/ (relative links: the cache can be mounted elsewhere).
for cmd in "${kube_commands[@]}"; do
  ln -sf "../kube/$(basename "$kube_dir")/$cmd" "$CACHE_BIN/$cmd"
done
