#!/usr/bin/env bash
# Offline checks of the alert rules and the dashboard, part of `npm run lint`:
#   promtool check config  prometheus/prometheus.yml, and so every rule file it loads
#   promtool check rules   prometheus/alerts.yml (syntax, PromQL, templates)
#   promtool test rules    prometheus/alerts.test.yml: each alert fires on synthetic series, and stays silent on others
#   queried metrics        grafana/*.json parses as a dashboard with a `service` variable that every
#                          panel uses, and every metric the dashboard, the rules and the rule tests
#                          name is registered by a service, is a prom-client default metric, or is
#                          redis_exporter's (observability-metrics.ts)
#   dashboard PromQL       the dashboard's queries through `promtool check rules`, as recording rules
# With no option it checks the repository's deploy/observability; `--dir DIR` checks DIR laid out the
# same way (the unit test plants errors in copies). Every check runs and every problem is printed;
# the exit status is 1 if any check failed.
# promtool comes from Debian's `prometheus` package, pinned, without installing it: `apt-get download`
# into a temporary directory, `dpkg-deb -x`, and only usr/bin/promtool kept under ~/.cache/ticketflow.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../local/common.sh"
source "$ROOT/deploy/local/lib/common.sh"
source "$HERE/checks.sh"
die() { log "ERROR: $*"; exit 1; }

# Debian bookworm's. When the archive moves on (a security update), pin the version it then has.
PROMETHEUS_DEB_VERSION=2.42.0+ds-5+deb12u1
PROMTOOL_HOME="${PROMTOOL_HOME:-$HOME/.cache/ticketflow/promtool-$PROMETHEUS_DEB_VERSION}"
PROMTOOL="$PROMTOOL_HOME/promtool"

usage() { die "usage: $(basename "$0") [--dir DIR]"; }
dir="$ROOT/deploy/observability"
while (($# > 0)); do
  (($# >= 2)) || usage
  case "$1" in
    --dir) dir="$2" ;;
    *) usage ;;
  esac
  shift 2
done

ensure_promtool() {
  [[ -x "$PROMTOOL" ]] && return
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
    die "promtool is taken from Debian's prometheus package: apt-get and dpkg-deb are needed (or put promtool $PROMETHEUS_DEB_VERSION at $PROMTOOL)"
  if ! apt-cache show "prometheus=$PROMETHEUS_DEB_VERSION" >/dev/null 2>&1; then
    (($(id -u) == 0)) ||
      die "apt does not list prometheus=$PROMETHEUS_DEB_VERSION; run 'sudo apt-get update' once (or put promtool at $PROMTOOL)"
    log "apt does not list prometheus=$PROMETHEUS_DEB_VERSION: updating the package lists"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt-cache show "prometheus=$PROMETHEUS_DEB_VERSION" >/dev/null 2>&1 ||
      die "Debian's archive no longer has prometheus=$PROMETHEUS_DEB_VERSION: pin the version 'apt-cache policy prometheus' shows in $(shown "$0")"
  fi
  log "Fetching promtool from Debian's prometheus $PROMETHEUS_DEB_VERSION into $PROMTOOL_HOME"
  local work
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the directory is this call's
  trap "rm -rf '$work'" RETURN
  # The directory stays private, so apt downloads as root rather than as its sandbox user, and
  # warns that it does: only that warning is dropped.
  (cd "$work" && apt-get download -qq "prometheus=$PROMETHEUS_DEB_VERSION" 2>&1 | grep -v 'unsandboxed' >&2 || true)
  local deb=("$work"/prometheus_*.deb)
  [[ -f "${deb[0]}" ]] || die "apt-get download prometheus=$PROMETHEUS_DEB_VERSION fetched nothing"
  dpkg-deb -x "${deb[0]}" "$work/root"
  install -m 755 "$work/root/usr/bin/promtool" "$PROMTOOL.tmp"
  mv "$PROMTOOL.tmp" "$PROMTOOL"
}

with_lock "$PROMTOOL_HOME" ensure_promtool

# promtool's own output only when it fails; a count of what passed when it does not.
promtool_quietly() {
  local output
  output="$("$PROMTOOL" "$@" 2>&1)" || { echo "$output"; return 1; }
}

check_config() {
  promtool_quietly check config "$1" && echo "promtool $PROMETHEUS_DEB_VERSION"
}

check_rules() {
  promtool_quietly check rules "$1" && echo "$(grep -c '^ *- alert:' "$1") alerts"
}

# The dashboard's queries, written as recording rules by observability-metrics.ts.
check_dashboard_promql() {
  promtool_quietly check rules "$1" && echo "$(grep -c 'record:' "$1") queries"
}

test_rules() {
  promtool_quietly test rules "$1" && echo "$(grep -c '^ *- interval:' "$1") test groups"
}

prometheus="$dir/prometheus"
run_check "$(shown "$prometheus/prometheus.yml")" check_config "$prometheus/prometheus.yml"
run_check "$(shown "$prometheus/alerts.yml")" check_rules "$prometheus/alerts.yml"
run_check "$(shown "$prometheus/alerts.test.yml")" test_rules "$prometheus/alerts.test.yml"
dashboard_rules="$(mktemp --suffix=.yml)"
trap 'rm -f "$dashboard_rules"' EXIT
run_check "metrics queried in $(shown "$dir")" node -r ts-node/register/transpile-only \
  "$HERE/observability-metrics.ts" "$dir" "$dashboard_rules"
run_check "PromQL of $(shown "$dir/grafana")" check_dashboard_promql "$dashboard_rules"
finish_checks "observability files"
