#!/usr/bin/env bash
# Peak server memory of the registrants CSV export (issue 12 item 6): does it grow with
# the session? Downloads the CSV of a small and of a large session, RUNS times each,
# over HTTP from a server started on a seeded database, and reports per download:
# rows, bytes, seconds, rows/s, MB/s, and how far the server's resident memory rose
# above what it was just before the download (its peak, VmHWM, reset before each one
# through /proc/PID/clear_refs; VmRSS sampled every 20 ms where that is not allowed).
#
#   bench/export-memory.sh BINARY DATABASE_URL [LARGE_SESSION] [SMALL_SESSION] [RUNS]
#
# For `seed --size large` (the defaults: session 1 has 100,000 registrants, session 2
# has 1,000):
#   session-analytics --database-url 'sqlite:///tmp/large.db?mode=rwc' seed --size large
#   cargo build --release
#   bench/export-memory.sh target/release/session-analytics 'sqlite:///tmp/large.db?mode=rwc'
# Smaller sets work too (`seed --size small`: session 1 has 2,000, session 2 has 100).
# EXPORT_PAGE_ROWS (default 1,000) is passed on to the server.
set -euo pipefail
bin=${1:?binary}; url=${2:?database url}; large=${3:-1}; small=${4:-2}; runs=${5:-3}
port=${PORT:-18078}
secret=bench-secret-bench-secret-bench-secret-0123
export DATABASE_URL=$url JWT_SECRET=$secret DEMO_DATA=never \
  RATE_LIMIT_OPERATIONS_PER_MINUTE=0 RATE_LIMIT_COST_PER_MINUTE=0 RUST_LOG=warn
token=$("$bin" token --email super.admin@example.com)
BIND_ADDR="127.0.0.1:$port" "$bin" serve >/dev/null 2>&1 &
server=$!
dir=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done

kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$server/status"; }

# One download of session $1; prints "rows bytes seconds peak_growth_kib".
measure() {
  local id=$1 before peak sampler=""
  before=$(kib VmRSS)
  if ! echo 5 2>/dev/null > "/proc/$server/clear_refs"; then
    # No peak reset: sample VmRSS while the download runs instead.
    echo "$before" > "$dir/samples"
    (while :; do kib VmRSS >> "$dir/samples"; sleep 0.02; done) &
    sampler=$!
  fi
  curl -sf -o "$dir/out.csv" -w '%{size_download} %{time_total}\n' \
    -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/export/sessions/$id/registrants.csv" > "$dir/curl"
  if [ -n "$sampler" ]; then
    kill "$sampler"; wait "$sampler" 2>/dev/null || true
    peak=$(sort -n "$dir/samples" | tail -1)
  else
    peak=$(kib VmHWM)
  fi
  read -r bytes seconds < "$dir/curl"
  echo "$(( $(wc -l < "$dir/out.csv") - 1 )) $bytes $seconds $(( peak - before ))"
}

# Warm-up, one download of each: the pool's connections, SQLite's page cache (2 MiB a
# connection by default) and the allocator reach their working size, which is bounded
# by the configuration, not by the session; the warm-up lines show what that costs.
for id in "$small" "$large"; do
  read -r rows bytes seconds growth < <(measure "$id")
  echo "warm-up: session $id, $rows rows in $seconds s, peak growth $(( growth / 1024 )) MiB"
done
printf '%-8s %8s %10s %8s %10s %7s %12s\n' session rows bytes seconds rows/s MB/s peak_growth
for id in "$small" "$large" "$small" "$large"; do
  for _ in $(seq "$runs"); do
    read -r rows bytes seconds growth < <(measure "$id")
    awk -v id="$id" -v r="$rows" -v b="$bytes" -v s="$seconds" -v g="$growth" 'BEGIN {
      printf "%-8s %8d %10d %8.2f %10.0f %7.1f %9.1f MiB\n", id, r, b, s, r / s, b / s / 1e6, g / 1024 }'
  done
done
echo "server resident memory at the end: $(( $(kib VmRSS) / 1024 )) MiB"
