#!/usr/bin/env bash
# Runs a command on Node 24, fetched into ~/.cache/ticketflow first where the machine's is older.
#   bash deploy/local/node.sh node bench/sla.bench.ts
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_node
exec "$@"
