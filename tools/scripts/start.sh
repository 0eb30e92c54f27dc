#!/usr/bin/env bash
# npm start: installs what is missing, builds, and runs the whole system locally
# (see tools/start-system/main.ts for the defaults).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tools/scripts/use-node.sh
source tools/scripts/use-node.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
  # shellcheck source=tools/scripts/apt-install.sh
  source tools/scripts/apt-install.sh
  # pipefail: the install's own status decides.
  if ! apt_install redis-server | sed 's/^/npm start: /'; then
    echo "npm start needs Redis: run 'sudo apt-get install -y redis-server', or set REDIS_URL to a Redis of yours." >&2
    exit 1
  fi
fi
echo "npm start: Node $(node --version)"
node tools/build/build-apps.mjs --tools
exec node --enable-source-maps dist/tools/start-system.js
