#!/usr/bin/env bash
# Inside the clean root (clean-root-check.sh): ensure-deps, then every tool of
# tools/external-tools.json must be there: Debian's on PATH, the built ones in the cache's bin/.
set -euo pipefail
fail() { echo "clean-root: FAILED: $*" >&2; exit 1; }

bash tools/scripts/ensure-deps.sh || fail "tools/scripts/ensure-deps.sh failed"
missing=$(node -e '
  const { execFileSync } = require("node:child_process");
  const { existsSync } = require("node:fs");
  const { tools } = require("./tools/external-tools.json");
  const bin = `${process.env.HOME}/.cache/alertgate/bin`;
  const onPath = (name) => { try { execFileSync("bash", ["-c", `command -v ${name}`], { stdio: "ignore" }); return true; } catch { return false; } };
  for (const [name, how] of Object.entries(tools)) if (how.apt ? !onPath(name) : !existsSync(`${bin}/${name}`)) console.log(name);
')
[ -z "$missing" ] || fail "missing after ensure-deps: $missing"
echo "clean-root: every tool of tools/external-tools.json is installed"
