# Helpers shared by the infra modules. Sourced.
say() { printf '[infra] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# wait_until <seconds> <description> <logfile> <command...>
wait_until() {
  local seconds="$1" what="$2" logfile="$3"; shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      say "$what did not come up within ${seconds}s. Last lines of $logfile:"
      tail -n 30 "$logfile" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.5
  done
}

# with_lock <dir> <command...>: runs the command holding <dir>/.lock, so two installs into one
# cache (a unit test and `npm run lint` starting at once on a fresh machine) never interleave.
with_lock() {
  local dir="$1"; shift
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  flock 9
  "$@"
  exec 9>&-
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

apt_install() {
  say "Installing $* from Debian packages"
  if [[ $(id -u) -ne 0 ]]; then die "need root to apt-get install $* (or install them yourself)"; fi
  if [[ ! -f "$INFRA_HOME/.apt-updated" ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    mkdir -p "$INFRA_HOME" && touch "$INFRA_HOME/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# ensure_venv <dir> <requirements file> <what>: a Python venv holding exactly the pinned
# requirements (no dependency resolution: the file pins every package), installed again only when
# the requirements file changes. Used for tools from PyPI: Schemathesis, the manifest checkers.
ensure_venv() {
  local dir="$1" requirements="$2" what="$3" want stamp="$1/.complete" python
  want="$(sha256sum "$requirements" | cut -d' ' -f1)"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return
  command -v python3 >/dev/null || apt_install python3 python3-venv
  python="$(command -v python3.11 || command -v python3)"
  say "Installing $what into $dir"
  rm -rf "$dir"
  "$python" -m venv "$dir" || {
    apt_install python3-venv
    "$python" -m venv "$dir"
  }
  "$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements" ||
    die "could not install $what from PyPI"
  echo "$want" >"$stamp"
}
