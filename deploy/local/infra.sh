#!/usr/bin/env bash
# Local infrastructure for ticketflow: PostgreSQL, Redis and an Apache Kafka broker (KRaft).
#
#   infra.sh up       start everything (idempotent: a second `up` reuses what runs)
#   infra.sh down     stop everything, keep the data
#   infra.sh reset    stop everything and delete the data (not the Kafka jar cache)
#   infra.sh status   print each component's state; exit 3 unless all run
#   infra.sh env      print `export` lines: DATABASE_URL, REDIS_URL, KAFKA_BROKERS
#   infra.sh mode     print which of the modes below applies
#
# INFRA=local   Debian packages + Kafka jars from Maven Central, data under $INFRA_HOME (default .infra/)
# INFRA=docker  docker compose services postgres, redis, kafka (default when a Docker engine answers);
#               Jest, the benchmarks and the fuzzer start their own with testcontainers instead
# INFRA=external  use DATABASE_URL, REDIS_URL and KAFKA_BROKERS as given
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
INFRA_HOME="${INFRA_HOME:-$ROOT/.infra}"
POSTGRES_PORT="${POSTGRES_PORT:-55432}"
REDIS_PORT="${REDIS_PORT:-56379}"
KAFKA_PORT="${KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-59093}"

source "$HERE/lib/common.sh"
source "$HERE/lib/postgres.sh"
source "$HERE/lib/redis.sh"
source "$HERE/lib/kafka.sh"

mode() {
  if [[ -n "${INFRA:-}" ]]; then echo "$INFRA"
  elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then echo docker
  else echo local
  fi
}

local_env() {
  echo "export DATABASE_URL=postgres://ticketflow:ticketflow@127.0.0.1:$POSTGRES_PORT/ticketflow"
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  echo "export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
}

external_env() {
  local missing=()
  for name in DATABASE_URL REDIS_URL KAFKA_BROKERS; do [[ -n "${!name:-}" ]] || missing+=("$name"); done
  ((${#missing[@]} == 0)) || die "INFRA=external needs ${missing[*]}"
  echo "export DATABASE_URL=$DATABASE_URL"
  echo "export REDIS_URL=$REDIS_URL"
  echo "export KAFKA_BROKERS=$KAFKA_BROKERS"
}

compose() { docker compose -f "$ROOT/docker-compose.yml" "$@"; }

cmd="${1:-}"
if [[ "$cmd" == mode ]]; then mode; exit 0; fi
case "$(mode):$cmd" in
  local:up)
    mkdir -p "$INFRA_HOME"
    started=$SECONDS
    postgres_up
    redis_up
    kafka_up
    say "Infrastructure ready in $((SECONDS - started)) s (data in $INFRA_HOME)"
    ;;
  local:down) kafka_down; redis_down; postgres_down ;;
  local:reset)
    kafka_down; redis_down; postgres_down
    say "Deleting $INFRA_HOME data"
    rm -rf "$PG_DIR" "$REDIS_DIR" "$KAFKA_DIR"
    ;;
  local:status)
    ok=0
    for component in postgres redis kafka; do
      if "${component}_status"; then echo "$component: running"; else echo "$component: stopped"; ok=3; fi
    done
    exit $ok
    ;;
  local:env | docker:env) local_env ;;
  docker:up)
    POSTGRES_PORT=$POSTGRES_PORT REDIS_PORT=$REDIS_PORT KAFKA_PORT=$KAFKA_PORT compose up -d --wait postgres redis kafka
    ;;
  docker:down) compose stop postgres redis kafka ;;
  docker:reset) compose down -v ;;
  docker:status) compose ps postgres redis kafka ;;
  external:up | external:status)
    eval "$(external_env)"
    say "Using external infrastructure"
    ;;
  external:env) external_env ;;
  external:down | external:reset) say "INFRA=external: nothing to stop" ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
