#!/usr/bin/env bash
# Brings the whole system up on this machine: dependencies, Postgres/Redis/Kafka, migrations,
# topics, demo data, a local mail sink and the four services. Safe to run again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

ensure_node_modules
bash deploy/local/infra.sh up
eval "$(bash deploy/local/infra.sh env)"

log "Building"
npm run --silent build

mkdir -p "$INFRA_HOME/run" "$INFRA_HOME/logs"
keys_file="$INFRA_HOME/api-keys.env"
# Fresh random keys per installation; never commit or reuse them elsewhere. A key this file lacks
# (an installation older than the key) is added, and the ones it has are kept.
gen() { node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("hex"))'; }
touch "$keys_file"; chmod 600 "$keys_file"
for name in ADMIN_KEY AGENT_KEY PUBLISHER_KEY CHAT_WIDGET_SECRET; do
  grep -q "^$name=" "$keys_file" || echo "$name=$(gen)" >>"$keys_file"
done
source "$keys_file"
export API_KEYS="default:admin:$ADMIN_KEY,default:agent:$AGENT_KEY,default:publisher:$PUBLISHER_KEY"
# The demo's one system publishing on tickets.inbound.v1: it signs its records with this secret.
export INBOUND_PUBLISHERS="chat-widget:default:$CHAT_WIDGET_SECRET"
export SMTP_URL="${SMTP_URL:-smtp://127.0.0.1:${MAIL_SINK_SMTP_PORT:-2525}}"

start() { # name, command...
  local name="$1"; shift
  local pidfile="$INFRA_HOME/run/$name.pid"
  if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "$name already running (pid $(cat "$pidfile")); restarting it with the new build"
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 1 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.2; done
  fi
  nohup "$@" >>"$INFRA_HOME/logs/$name.log" 2>&1 &
  echo $! >"$pidfile"
}

if [[ "$SMTP_URL" == "smtp://127.0.0.1:${MAIL_SINK_SMTP_PORT:-2525}" ]]; then
  start mail-sink node dist/deploy/local/mail-sink.js
fi

log "Migrating, creating topics, seeding demo data"
node dist/deploy/local/bootstrap.js --seed

for service in intake routing sla notifications; do
  DATABASE_MIGRATE_ON_START=false start "$service" node dist/apps/$service/src/main.js
done

declare -A PORTS=([intake]=${INTAKE_PORT:-3001} [routing]=${ROUTING_PORT:-3002} [sla]=${SLA_PORT:-3003} [notifications]=${NOTIFICATIONS_PORT:-3004})
for service in intake routing sla notifications; do
  for i in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:${PORTS[$service]}/health/ready" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$(cat "$INFRA_HOME/run/$service.pid")" 2>/dev/null; then
      log "$service exited during start-up; last log lines:"; tail -n 20 "$INFRA_HOME/logs/$service.log" >&2; exit 1
    fi
    [[ $i == 120 ]] && { log "$service not ready after 60 s; see $INFRA_HOME/logs/$service.log"; exit 1; }
    sleep 0.5
  done
done

cat <<INFO

ticketflow is up.
  intake         http://localhost:${PORTS[intake]}/docs
  routing        http://localhost:${PORTS[routing]}/docs
  sla            http://localhost:${PORTS[sla]}/docs
  notifications  http://localhost:${PORTS[notifications]}/docs
  Kafka          $KAFKA_BROKERS      Postgres  $DATABASE_URL      Redis  $REDIS_URL
  Mail sink      http://localhost:${MAIL_SINK_HTTP_PORT:-8025}/messages
  Logs           $INFRA_HOME/logs/        API keys  $keys_file

Try it:
  source $keys_file
  curl -s -X POST localhost:${PORTS[intake]}/v1/tickets -H "Authorization: Bearer \$PUBLISHER_KEY" \\
    -H 'content-type: application/json' \\
    -d '{"channel":"email","customer":{"email":"ayse@example.com","name":"Ayşe","locale":"tr"},"subject":"Siparişim gelmedi","body":"Merhaba, siparişim nerede?"}'

Stop everything with: npm run down
INFO
