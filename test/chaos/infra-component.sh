#!/usr/bin/env bash
# One piece of the chaos run's private infrastructure, crashed or started again:
#
#   infra-component.sh <postgres|redis|kafka> <crash|start>
#
# `crash` is what a power cut does to one server: kill -9 for Redis and Kafka, an immediate
# shutdown for Postgres (its children must go with the postmaster, or the next start finds the
# old cluster still holding its shared memory). `start` brings it back with the same data, through
# the same functions `deploy/local/infra.sh up` uses. INFRA_HOME and the *_PORT variables choose
# the instance; the chaos run sets them to its own, never the shared one.
set -euo pipefail

# The deploy/local modules find their templates relative to HERE.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../deploy/local" && pwd)"
LIB="$HERE/lib"
: "${INFRA_HOME:?INFRA_HOME must name the chaos run infrastructure}"
POSTGRES_PORT="${POSTGRES_PORT:?}"
REDIS_PORT="${REDIS_PORT:?}"
KAFKA_PORT="${KAFKA_PORT:?}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:?}"

source "$LIB/common.sh"
source "$LIB/postgres.sh"
source "$LIB/redis.sh"
source "$LIB/kafka.sh"

component="${1:-}" action="${2:-}"
case "$component:$action" in
  postgres:crash) pg_as_owner "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null ;;
  redis:crash) kill -KILL "$(cat "$REDIS_PID")" ;;
  kafka:crash) kill -KILL "$(cat "$KAFKA_PID")" ;;
  postgres:start) postgres_up ;;
  redis:start) redis_up ;;
  kafka:start) kafka_up ;;
  *) die "usage: infra-component.sh <postgres|redis|kafka> <crash|start>" ;;
esac
