#!/usr/bin/env bash
# npm test: everything, in the order that fails fastest.
#   generated code in sync → lint (module boundaries, no floating promises) → typecheck →
#   unit, integration (real Redis) and end-to-end tests (real processes, real Alertmanager).
set -euo pipefail
cd "$(dirname "$0")/../.."
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
report=$(mktemp)
status=0
npx jest --ci --json --outputFile="$report" "$@" || status=$?
# One closing line in the plain "N passed, N failed" form that CI reads.
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);' "$report" || true
rm -f "$report"
exit "$status"
