# A real Apache Kafka broker (KRaft, single node) from Maven Central jars, run on the local JVM. Sourced.
KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR:-$HOME/.cache/ticketflow/kafka-$KAFKA_VERSION}"
KAFKA_LIBS="$KAFKA_CACHE_DIR/libs"
KAFKA_DIR="$INFRA_HOME/kafka"
KAFKA_LOG="$KAFKA_DIR/console.log"
KAFKA_PID="$KAFKA_DIR/kafka.pid"

kafka_fetch() {
  [[ -f "$KAFKA_CACHE_DIR/.complete" ]] && return
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
  say "Fetching Apache Kafka $KAFKA_VERSION and its runtime dependencies from Maven Central into $KAFKA_LIBS"
  rm -rf "$KAFKA_LIBS"
  mvn -q -B -f "$HERE/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS" ||
    die "could not fetch Kafka jars with Maven"
  touch "$KAFKA_CACHE_DIR/.complete"
}

kafka_java() {
  java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dkafka.logs.dir="$KAFKA_DIR/logs" -Dlog4j.configuration="file:$HERE/kafka/log4j.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

# A real metadata round-trip: the broker is up only when it answers the Kafka protocol.
kafka_answers() {
  timeout 20 java -cp "$KAFKA_LIBS/*" -Dlog4j.configuration="file:$HERE/kafka/log4j.properties" \
    -Dkafka.logs.dir="$KAFKA_DIR/logs" kafka.admin.BrokerApiVersionsCommand \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" >/dev/null 2>&1
}

kafka_up() {
  kafka_fetch
  mkdir -p "$KAFKA_DIR/logs" "$KAFKA_DIR/data"
  if pid_alive "$KAFKA_PID"; then
    say "Kafka already running on $KAFKA_PORT"
    wait_until 120 Kafka "$KAFKA_DIR/logs/server.log" kafka_answers
    return
  fi
  sed -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
    -e "s#@DATA_DIR@#$KAFKA_DIR/data#g" "$HERE/kafka/server.properties.template" >"$KAFKA_DIR/server.properties"
  if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
    local cluster_id
    cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid)
    say "Formatting Kafka storage (cluster $cluster_id)"
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" >/dev/null ||
      die "kafka storage format failed"
  fi
  say "Starting Kafka $KAFKA_VERSION (KRaft) on $KAFKA_PORT"
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dkafka.logs.dir="$KAFKA_DIR/logs" -Dlog4j.configuration="file:$HERE/kafka/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" >"$KAFKA_LOG" 2>&1 &
  echo $! >"$KAFKA_PID"
  wait_until 120 Kafka "$KAFKA_LOG" kafka_answers
}

kafka_down() {
  pid_alive "$KAFKA_PID" || return 0
  say "Stopping Kafka"
  local pid; pid=$(cat "$KAFKA_PID")
  kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && { say "Kafka did not stop in 30 s; killing it"; kill -KILL "$pid"; }
  rm -f "$KAFKA_PID"
}

kafka_status() {
  pid_alive "$KAFKA_PID" && kafka_answers
}
