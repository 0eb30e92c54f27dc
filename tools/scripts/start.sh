#!/usr/bin/env bash
# npm start: installs what is missing, builds, and runs the whole system locally
# (see tools/start-system/main.ts for the defaults).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d node_modules ] || npm ci --no-audit --no-fund
if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
  echo "npm start needs Redis: install redis-server (sudo apt-get install -y redis-server) or set REDIS_URL." >&2
  exit 1
fi
node tools/build/build-apps.mjs --tools
exec node --enable-source-maps dist/tools/start-system.js
