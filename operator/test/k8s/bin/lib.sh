# SPDX-License-Identifier: Apache-2.0
# Shared by the build scripts of the test suites (sourced, not run): progress lines on stderr and
# timed build steps. The sourcing script sets log_name before it logs.

log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "${log_name:-build}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# timed NAME COMMAND...: run one build step and log how long it took.
timed() {
  local name=$1 start=$SECONDS; shift
  log "building $name"
  # Not `( … ) || die`: errexit is ignored inside a subshell that is the left side of `||`.
  local rc=0
  set +e; ( set -e; "$@" ); rc=$?; set -e
  [[ $rc -eq 0 ]] || die "building $name failed (exit $rc, output above)"
  log "built $name in $((SECONDS - start)) s"
}
