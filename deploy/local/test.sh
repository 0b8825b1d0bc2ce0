#!/usr/bin/env bash
# Every test the project has, against real Postgres, Redis and Kafka that this script starts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

started=$SECONDS
ensure_node_modules
# The tests reach their infrastructure through libs/testing/src/infrastructure: containers from
# testcontainers where a Docker engine answers, else the local servers started here once.
if [[ "$(bash deploy/local/infra.sh mode)" == local ]]; then
  infra_started=$SECONDS
  bash deploy/local/infra.sh up
  log "Infrastructure ready in $((SECONDS - infra_started)) s"
fi

log "Lint and architecture rules"; npm run --silent lint
log "Type check";                 npm run --silent typecheck
log "Unit tests";                 npm run --silent test:unit -- --ci
log "Integration tests";          npm run --silent test:int -- --ci
log "Build";                      npm run --silent build
log "End-to-end tests";           npm run --silent test:e2e -- --ci
log "API fuzzing (Schemathesis)"; bash deploy/local/fuzz.sh --built
# A short chaos run on infrastructure of its own: one seed, every kind of fault, 150 tickets.
log "Chaos run";                  CHAOS_SEED="${CHAOS_SEED:-7}" CHAOS_TICKETS="${CHAOS_TICKETS:-150}" \
                                  CHAOS_SECONDS="${CHAOS_SECONDS:-40}" CHAOS_KILLS="${CHAOS_KILLS:-3}" \
                                  npm run --silent chaos:built
log "All tests passed in $((SECONDS - started)) s"
