#!/usr/bin/env bash
# CI: starts BINARY on the embedded default with the demo data (a temporary data dir,
# loopback, a port the OS picks), mints the demo INGEST account's token, and runs
# run.mjs: sessionLive through the real graphql-ws and subscriptions-transport-ws clients.
set -euo pipefail
BINARY="$(realpath "$1")"
cd "$(dirname "$0")"
npm ci --no-audit --no-fund >/dev/null
TMP="$(mktemp -d)"
PID=""
stop() {
  if [ -n "$PID" ]; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap stop EXIT
env -u DATABASE_URL -u JWT_SECRET -u DATA_DIR -u BIND_ADDR \
  "$BINARY" --data-dir "$TMP/data" --bind 127.0.0.1:0 >"$TMP/stdout" 2>"$TMP/server.log" &
PID=$!
BASE=""
for _ in $(seq 1 120); do
  BASE="$(sed -n 's|^session-analytics is listening on \(http://127\.0\.0\.1:[0-9]*\)$|\1|p' "$TMP/stdout")"
  if [ -n "$BASE" ] && curl -fsS "$BASE/health" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$PID" 2>/dev/null; then
    cat "$TMP/server.log"
    echo "the server exited before it was healthy" >&2
    exit 1
  fi
  sleep 1
done
INGEST_TOKEN="$("$BINARY" --data-dir "$TMP/data" token --email player-service@example.com 2>/dev/null)"
node run.mjs "$BASE" "$INGEST_TOKEN"
