# PostgreSQL from Debian's packages, as a private cluster under $INFRA_HOME/postgres. Sourced.
PG_DIR="$INFRA_HOME/postgres"
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/postgres.log"

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$dir" ]] || return 1
  echo "$dir"
}

# Postgres refuses to run as root; as root we run it as the `postgres` system user.
pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_up() {
  pg_bin >/dev/null || apt_install postgresql
  local bin; bin=$(pg_bin)
  mkdir -p "$PG_DIR"
  [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$PG_DIR"
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    say "Initialising a PostgreSQL cluster in $PG_DATA"
    pg_as_owner "$bin/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 --auth=trust >"$PG_DIR/initdb.log"
    cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $POSTGRES_PORT
unix_socket_directories = '$PG_DIR'
max_connections = 300
shared_buffers = 256MB
# Per-statement counts for profiling: CREATE EXTENSION pg_stat_statements, then read the view.
shared_preload_libraries = 'pg_stat_statements'
CONF
  fi
  if pg_as_owner "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    say "PostgreSQL already running on $POSTGRES_PORT"
  else
    say "Starting PostgreSQL on $POSTGRES_PORT"
    pg_as_owner "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -o "-p $POSTGRES_PORT" -w -t 60 start >/dev/null ||
      { tail -n 30 "$PG_LOG" >&2; die "PostgreSQL failed to start"; }
  fi
  wait_until 60 PostgreSQL "$PG_LOG" "$bin/pg_isready" -h 127.0.0.1 -p "$POSTGRES_PORT"
  local psql=("$bin/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
  if [[ -z $("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'ticketflow'") ]]; then
    # SUPERUSER so tests can create a database per test file; local development only.
    "${psql[@]}" -c "CREATE ROLE ticketflow LOGIN SUPERUSER PASSWORD 'ticketflow'" >/dev/null
  fi
  if [[ -z $("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'ticketflow'") ]]; then
    "${psql[@]}" -c "CREATE DATABASE ticketflow OWNER ticketflow" >/dev/null
  fi
}

postgres_down() {
  local bin; bin=$(pg_bin) || return 0
  [[ -f "$PG_DATA/PG_VERSION" ]] || return 0
  if pg_as_owner "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    say "Stopping PostgreSQL"
    pg_as_owner "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  fi
}

postgres_status() {
  local bin; bin=$(pg_bin) || return 1
  "$bin/pg_isready" -h 127.0.0.1 -p "$POSTGRES_PORT" >/dev/null 2>&1
}
