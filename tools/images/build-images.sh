#!/usr/bin/env bash
# Builds every service's image from docker/Dockerfile the way the README tells users to
# (`docker build -f docker/Dockerfile --build-arg APP=<app> -t alertgate/<app>:<version> .`),
# here with Debian's podman on runc, on the base image built locally (build-base-image.sh; no
# registry is reachable, hence --pull=never). The build stage is the same for every app, so
# podman's layer cache builds it once. Prints "<image> <bytes>" per image.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash tools/images/build-base-image.sh >/dev/null
version=$(node -p 'require("./package.json").version')
# This VM's cgroups fail podman's default crun; runc works, with explicit ulimits.
podman_flags=(--runtime runc)
build_flags=(--pull=never --network host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
for app in ingest-gateway dedup storm ratelimit crd-writer; do
  image="localhost/alertgate/$app:$version"
  podman "${podman_flags[@]}" build "${build_flags[@]}" -q -f docker/Dockerfile --build-arg "APP=$app" -t "$image" . >/dev/null
  echo "$image $(podman "${podman_flags[@]}" image inspect "$image" --format '{{.Size}}')"
done
