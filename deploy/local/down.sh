#!/usr/bin/env bash
# Stops the services and the mail sink started by up.sh, then the infrastructure (data is kept).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
for name in intake routing sla notifications mail-sink; do
  pidfile="$INFRA_HOME/run/$name.pid"
  [[ -f "$pidfile" ]] || continue
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    log "Stopping $name"
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pidfile"
done
bash "$ROOT/deploy/local/infra.sh" down
