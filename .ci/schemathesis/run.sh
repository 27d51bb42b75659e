#!/usr/bin/env bash
# Fuzzes the live server with Schemathesis (GraphQL), time-boxed.
#
#   bash .ci/schemathesis/run.sh target/debug/session-analytics
#
# Builds nothing: the argument is the server binary. Starts it on the embedded SQLite in a
# temporary data directory with the demo data, on a port the OS picks (loopback only), with
# every rate limit off so the fuzzer is not throttled; mints a super admin's token with the
# binary's `token` subcommand; runs Schemathesis against /graphql with that token, checking
# for server errors (5xx, or GraphQL errors coded INTERNAL / SERVICE_UNAVAILABLE) and for
# responses that do not fit the published schema (hooks.py); stops the server; exits
# non-zero on any failure.
#
# Settings (environment):
#   ST_MAX_TIME      seconds of fuzzing (default 150); the run takes about this long
#   ST_MAX_EXAMPLES  test cases per operation and cycle (default 100)
#   ST_SEED          Schemathesis's seed, to replay a run (default: random, printed at the end)
#   ST_VENV          the virtualenv to (re)use (default .ci/schemathesis/.venv, gitignored)
#   ST_LENIENT_NULLS 1: tolerate missing keys / nulls where an error was raised (hooks.py)
#   ST_SERVER_LOG    a file to copy the server's log to when the run ends (for .ci/check-logs)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 <path to the session-analytics binary>" >&2
  exit 2
fi
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
MAX_TIME="${ST_MAX_TIME:-150}"
MAX_EXAMPLES="${ST_MAX_EXAMPLES:-100}"
VENV="${ST_VENV:-$HERE/.venv}"

# --- Schemathesis, pinned, in its own virtualenv (reinstalled when the pins change) ------
if [ ! -x "$VENV/bin/st" ] || ! cmp -s "$HERE/requirements.txt" "$VENV/.requirements.txt"; then
  echo "installing Schemathesis into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$HERE/requirements.txt"
  cp "$HERE/requirements.txt" "$VENV/.requirements.txt"
fi
"$VENV/bin/st" --version

# --- The server ---------------------------------------------------------------------------
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
  if [ -n "${ST_SERVER_LOG:-}" ] && [ -f "$WORK/server.log" ]; then
    cp "$WORK/server.log" "$ST_SERVER_LOG"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Settings from the environment must not point the server elsewhere (another database,
# another secret, an identity provider, production mode); the flags set the rest.
server() {
  env -u DATABASE_URL -u JWT_SECRET -u DATA_DIR -u BIND_ADDR -u DEMO_DATA -u PRODUCTION \
    -u JWKS_FILE -u JWKS_URL -u EXTERNAL_JWT_ISSUER -u EXTERNAL_JWT_AUDIENCE \
    RUST_LOG="${RUST_LOG:-info,sqlx=warn,sea_orm=warn}" \
    "$BIN" --data-dir "$WORK/data" "$@"
}

server --demo-data always --bind 127.0.0.1:0 \
  --rate-limit-operations-per-minute 0 --rate-limit-cost-per-minute 0 \
  --login-attempts-per-account-per-minute 0 --login-attempts-per-address-per-minute 0 \
  >"$WORK/stdout" 2>"$WORK/server.log" &
SERVER_PID=$!

BASE=""
for _ in $(seq 1 60); do
  BASE="$(sed -n 's|^session-analytics is listening on \(http://127\.0\.0\.1:[0-9]*\)$|\1|p' "$WORK/stdout")"
  if [ -n "$BASE" ] && curl -fsS "$BASE/health" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    cat "$WORK/server.log" >&2
    echo "the server exited before it was healthy" >&2
    exit 1
  fi
  sleep 1
done
curl -fsS "$BASE/health"
echo

TOKEN="$(server --demo-data never token --email super.admin@example.com 2>>"$WORK/token.log")" || {
  cat "$WORK/token.log" >&2
  echo "minting the super admin's token failed" >&2
  exit 1
}

# --- Fuzzing --------------------------------------------------------------------------
# Schemathesis's `not_a_server_error` is replaced by hooks.py's checks: it counts every
# GraphQL error with a `path` as a server failure, SESSION_NOT_FOUND included (hooks.py says
# more). Run from the work directory so that nothing Schemathesis writes lands in the tree.
CHECKS=response_schema_conformance,session_analytics_no_server_error,session_analytics_data_matches_schema
ARGS=(
  --config-file "$HERE/schemathesis.toml"
  run "$BASE/graphql"
  --header "Authorization: Bearer $TOKEN"
  --checks "$CHECKS"
  --max-time "$MAX_TIME"
  --max-examples "$MAX_EXAMPLES"
  --workers 2
  --request-timeout 15
  --generation-database none
  --no-color
)
if [ -n "${ST_SEED:-}" ]; then
  ARGS+=(--seed "$ST_SEED")
fi
status=0
(cd "$WORK" && SCHEMATHESIS_HOOKS="$HERE/hooks.py" "$VENV/bin/st" "${ARGS[@]}") || status=$?

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "the server died during the run; its log ends with:" >&2
  tail -n 50 "$WORK/server.log" >&2
  status=1
fi
# Panics are answered with 500 (and fail a check); say where they came from.
if grep -qE 'panicked|ERROR' "$WORK/server.log"; then
  echo "the server logged errors or panics:" >&2
  grep -E 'panicked|ERROR' "$WORK/server.log" | head -n 20 >&2
fi
if [ "$status" -ne 0 ]; then
  echo "schemathesis: FAILED (exit $status)" >&2
else
  echo "schemathesis: no server errors and no schema violations in ${MAX_TIME} s of fuzzing"
fi
exit "$status"
