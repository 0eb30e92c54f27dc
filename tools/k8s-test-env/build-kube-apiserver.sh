#!/usr/bin/env bash
# Builds Kubernetes components from the Go module proxy (no binary download) and caches them
# outside the work tree, keyed by version: ~/.cache/alertgate/kube/<version>/<command>. The
# arguments name the commands of k8s.io/kubernetes/cmd to build (default: kube-apiserver and
# kubectl; the one-node cluster adds kubelet, kube-controller-manager, kube-scheduler and
# kube-proxy). Prints the directory that holds them.
#
# k8s.io/kubernetes is not meant to be used as a module: its go.mod replaces every k8s.io/*
# staging module with a path inside its own repository. A throwaway wrapper module replaces each
# of them with its published version instead (k8s.io/api v0.33.N for kubernetes v1.33.N), which
# is enough for `go build k8s.io/kubernetes/cmd/kube-apiserver`.
#
# Kubernetes 1.33: its etcd client (3.5) works with Debian's etcd-server 3.4; 1.34+ needs etcd 3.6.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.33.13}"
CACHE="${ALERTGATE_CACHE:-$HOME/.cache/alertgate}/kube/$KUBE_VERSION"
[ "$#" -gt 0 ] || set -- kube-apiserver kubectl
missing=()
for cmd in "$@"; do [ -x "$CACHE/$cmd" ] || missing+=("$cmd"); done
[ "${#missing[@]}" -eq 0 ] && { echo "$CACHE"; exit 0; }

command -v go >/dev/null 2>&1 || { echo "Go is needed to build kube-apiserver (apt-get install golang-go)" >&2; exit 1; }
staging_version="v0.${KUBE_VERSION#v1.}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off

echo "building ${missing[*]} $KUBE_VERSION (once per machine; several minutes)" >&2
gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
go_directive=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod" | head -1)
{
  echo "module alertgate.local/kube-apiserver-build"
  echo
  echo "go ${go_directive:-1.24}"
  echo
  echo "require k8s.io/kubernetes $KUBE_VERSION"
  echo
  # Every "k8s.io/x => ./staging/src/k8s.io/x" of kubernetes' go.mod, pointed at the published module.
  sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => ./staging/src/k8s\.io/[a-z0-9-]*$#replace \1 => \1 '"$staging_version"'#p' "$gomod"
} > "$work/go.mod"
{
  printf '//go:build tools\n\npackage tools\n\nimport (\n'
  for cmd in "${missing[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$cmd"; done
  printf ')\n'
} > "$work/tools.go"
(cd "$work" && go mod tidy >/dev/null 2>&1 || true)
mkdir -p "$CACHE"
for cmd in "${missing[@]}"; do
  (cd "$work" && go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION" -o "$work/$cmd" "k8s.io/kubernetes/cmd/$cmd")
  mv "$work/$cmd" "$CACHE/$cmd"
done
echo "$CACHE"
