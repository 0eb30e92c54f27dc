#!/usr/bin/env bash
# npm test: everything, in the order that fails fastest.
#   generated code in sync → lint (module boundaries, no floating promises, formatting, unused
#   exports) → typecheck →
#   unit, integration (real Redis) and end-to-end tests (real processes, real Alertmanager),
#   then the pipeline's end-to-end tests again on a Redis Cluster, then the images built and run
#   with podman (those two on a full run only: no arguments).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tools/scripts/use-node.sh
source tools/scripts/use-node.sh
export NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false

[ -d node_modules ] || npm ci --no-audit --no-fund
bash tools/scripts/ensure-deps.sh
export ALERTGATE_GRPCURL="${ALERTGATE_GRPCURL:-${ALERTGATE_CACHE:-$HOME/.cache/alertgate}/bin/grpcurl}"

echo "== proto: lint and generated code in sync"
bash tools/scripts/proto-gen.sh --check
echo "== lint"
# The module-boundary rule reads Nx's cached project graph and silently skips itself without
# one (a fresh clone has none): compute it first.
npx nx show projects >/dev/null
npx eslint --max-warnings 0 .
npx prettier --check . >/dev/null || { npx prettier --list-different . >&2; echo "lint: the files above are not formatted; run npm run format" >&2; exit 1; }
# Exports, files and dependencies nothing uses (knip.jsonc): dead code, an export that should be a
# local, or a package that should go.
npx knip
# ...and prove it is on: a domain lib importing a feature lib must be refused.
probe=libs/signal/src/zz-boundary-probe.ts
trap 'rm -f "$probe"' EXIT
printf "import { ROUTES } from '@alertgate/ingest';\nexport const probe = ROUTES;\n" > "$probe"
probe_out=$(npx eslint "$probe" 2>&1 || true)
if ! grep -q "enforce-module-boundaries" <<<"$probe_out"; then
  echo "lint: the module-boundary rule did not fire on a forbidden import (domain → feature)" >&2
  exit 1
fi
rm -f "$probe"
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
echo "== tests (unit, integration, end to end)"
reports=()
status=0
run_jest() {
  local report
  report=$(mktemp)
  reports+=("$report")
  npx jest --ci --json --outputFile="$report" "$@" || status=$?
}
if [ $# -gt 0 ]; then
  run_jest "$@"
else
  run_jest --selectProjects unit integration e2e
  # The pipeline's end-to-end cases again, on a Redis Cluster of 3 masters with a replica each
  # (the suite's Redis becomes the Cluster; see libs/testing/src/global-setup.ts). Left out: the
  # tests that start a Redis, Sentinel or Cluster of their own, or run no pipeline on the suite's
  # Redis.
  echo "== end-to-end tests on a Redis Cluster of 3 masters and 3 replicas"
  ALERTGATE_TEST_REDIS=cluster run_jest --selectProjects e2e \
    --testPathIgnorePatterns '/(chaos|deploy|new-machine|redis-cluster|redis-cluster-spread|redis-security|redis-sentinel)\.e2e\.test\.ts$'
  # The images, built from docker/Dockerfile and run with podman as the manifests say: alone,
  # since a build takes both cores for a while.
  echo "== the images (podman)"
  run_jest --selectProjects deploy --runInBand
fi
# One closing line in the plain "N passed, N failed" form that CI reads, over every pass.
node -e 'let passed = 0, failed = 0; for (const file of process.argv.slice(1)) { try { const r = JSON.parse(require("fs").readFileSync(file, "utf8")); passed += r.numPassedTests; failed += r.numFailedTests; } catch { failed += 1; } } console.log(`Tests: ${passed} passed, ${failed} failed`);' "${reports[@]}" || true
rm -f "${reports[@]}"
exit "$status"
