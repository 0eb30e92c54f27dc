#!/usr/bin/env bash
# Installs what the tests need beyond npm packages, once per machine:
#   redis-server, prometheus-alertmanager, prometheus (for promtool), etcd-server and openssl
#   (Debian packages); grpcurl,
#   kube-apiserver and kubectl (built from the Go module proxy into ~/.cache/alertgate, keyed by
#   version, never committed).
# Idempotent: a machine that has everything spends well under a second here.
set -euo pipefail

GRPCURL_VERSION=v1.9.3
CACHE_BIN="${ALERTGATE_CACHE:-$HOME/.cache/alertgate}/bin"

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
[ -x /usr/bin/prometheus-alertmanager ] || command -v alertmanager >/dev/null 2>&1 || need_apt+=(prometheus-alertmanager)
command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# promtool (the alert rules' check) ships in Debian's prometheus package.
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
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

bash "$(dirname "$0")/../k8s-test-env/build-kube-apiserver.sh" >/dev/null
