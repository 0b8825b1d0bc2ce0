# The reporting the offline file checks under deploy/lint share. Sourced after deploy/local/common.sh.
# `run_check WHAT COMMAND...` runs every check, however many fail before it, and says "ok: WHAT"
# (with the command's output in brackets) or "FAILED: WHAT" followed by the output, indented;
# `finish_checks WHAT` then exits 1 naming what failed.
failed_checks=()

# A path as the repository names it, or as given when it is outside the repository.
shown() { [[ "$1" == "$ROOT/"* ]] && echo "${1#"$ROOT/"}" || echo "$1"; }

run_check() {
  local what="$1" output; shift
  if output="$("$@" 2>&1)"; then
    log "ok: $what${output:+ ($output)}"
  else
    log "FAILED: $what"
    sed 's/^/  /' <<<"$output" >&2
    failed_checks+=("$what")
  fi
}

finish_checks() {
  ((${#failed_checks[@]} == 0)) || { log "ERROR: $1 with problems: ${failed_checks[*]}"; exit 1; }
}
