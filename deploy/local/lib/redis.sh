# Redis from Debian's packages under $INFRA_HOME/redis. Sourced.
REDIS_DIR="$INFRA_HOME/redis"
REDIS_LOG="$REDIS_DIR/redis.log"
REDIS_PID="$REDIS_DIR/redis.pid"

redis_up() {
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p "$REDIS_DIR"
  if redis_status; then
    say "Redis already running on $REDIS_PORT"
    return
  fi
  # noeviction: an evicting Redis silently drops queued timers (R11); AOF survives restarts.
  cat >"$REDIS_DIR/redis.conf" <<CONF
bind 127.0.0.1
port $REDIS_PORT
dir $REDIS_DIR
daemonize yes
pidfile $REDIS_PID
logfile $REDIS_LOG
maxmemory-policy noeviction
appendonly yes
appendfsync everysec
save ""
CONF
  say "Starting Redis on $REDIS_PORT"
  redis-server "$REDIS_DIR/redis.conf"
  wait_until 30 Redis "$REDIS_LOG" redis_status
}

redis_down() {
  if redis_status; then
    say "Stopping Redis"
    redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
  fi
}

redis_status() {
  [[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]
}
