# Shared by up.sh, down.sh and test.sh. Sourced, not executed.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INFRA_HOME="${INFRA_HOME:-$ROOT/.infra}"
export INFRA_HOME
log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }

# npm ci only when the lockfile changed since the last install: repeated runs stay fast.
ensure_node_modules() {
  local stamp="$ROOT/node_modules/.lock-hash" want
  want="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    log "Installing Node dependencies (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
    echo "$want" >"$stamp"
  fi
}
