#!/usr/bin/env bash
# Schema-driven fuzzing of the four services' OpenAPI documents (test/fuzz/fuzz.ts): the services
# from dist/ on the local infrastructure, Schemathesis against each /docs-json. `--built` skips the
# build (test.sh has just built). Schemathesis is installed once, pinned, into a venv under
# ~/.cache/ticketflow like the Kafka jars; a changed requirements file installs it again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$ROOT/deploy/local/lib/common.sh"
cd "$ROOT"

SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
SCHEMATHESIS_HOME="${SCHEMATHESIS_HOME:-$HOME/.cache/ticketflow/schemathesis-$SCHEMATHESIS_VERSION}"
REQUIREMENTS="$ROOT/test/fuzz/requirements.txt"

ensure_schemathesis() {
  grep -qx "schemathesis==$SCHEMATHESIS_VERSION" "$REQUIREMENTS" ||
    die "$REQUIREMENTS does not pin schemathesis==$SCHEMATHESIS_VERSION"
  ensure_venv "$SCHEMATHESIS_HOME" "$REQUIREMENTS" "Schemathesis $SCHEMATHESIS_VERSION"
}

if [[ "${1:-}" == "--built" ]]; then
  ensure_node
else
  ensure_node_modules
  bash deploy/local/infra.sh up
  npm run --silent build
fi
ensure_schemathesis
SCHEMATHESIS="$SCHEMATHESIS_HOME/bin/schemathesis" TS_NODE_TRANSPILE_ONLY=1 \
  exec node -r ts-node/register -r tsconfig-paths/register test/fuzz/fuzz.ts
