#!/usr/bin/env bash
# Times the registrant-page request of issue 5 item 3 over HTTP against a seeded
# database: session 1 (100,000 registrants in `seed --size large`) against session 2
# (1,000). Prints the median of RUNS requests per session and their ratio.
#
#   bench/registrants.sh BINARY DATABASE_URL [SEARCH] [RUNS]
#
# The database must hold `seed --size large` (or another synthetic size). WARM=N first
# sends N requests 8 at a time, so that every pooled connection has run each statement
# more than five times and PostgreSQL may have switched it to a generic plan.
set -euo pipefail
bin=${1:?binary}; url=${2:?database url}; search=${3:-son}; runs=${4:-21}
port=${PORT:-18077}
secret=bench-secret-bench-secret-bench-secret-0123
export DATABASE_URL=$url JWT_SECRET=$secret DEMO_DATA=never \
  RATE_LIMIT_OPERATIONS_PER_MINUTE=0 RATE_LIMIT_COST_PER_MINUTE=0 RUST_LOG=warn
token=$("$bin" token --email super.admin@example.com)
BIND_ADDR="127.0.0.1:$port" "$bin" serve >/dev/null 2>&1 &
server=$!
# Waits for the server to exit, so that the next run can bind the same port.
trap 'kill $server; wait $server || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
query='query($id: ID!, $search: String) { session(id: $id) {
  stats { registeredCount interestedCount attendeeCount }
  registeredHolderUsers(first: 100, orderBy: ENGAGEMENT_DESC, search: $search) {
    totalCount
    edges { cursor node { userId firstName lastName email watchTimeSeconds engagement } }
    pageInfo { hasNextPage endCursor } } } }'
body() { jq -cn --arg q "$query" --arg id "$1" --arg s "$search" '{query: $q, variables: {id: $id, search: $s}}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A result
for id in 1 2; do
  payload=$(body $id)
  if [ "${WARM:-0}" -gt 0 ]; then
    seq "$WARM" | xargs -P 8 -I{} curl -sf -o /dev/null -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d "$payload" "http://127.0.0.1:$port/graphql"
  fi
  # One warm-up request, also shown so the counts can be checked.
  curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "$payload" "http://127.0.0.1:$port/graphql" \
    | jq -c "{session: $id, stats: .data.session.stats, totalCount: .data.session.registeredHolderUsers.totalCount, rows: (.data.session.registeredHolderUsers.edges | length), errors: .errors}"
  result[$id]=$(for _ in $(seq "$runs"); do
    curl -sf -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d "$payload" "http://127.0.0.1:$port/graphql"
  done | median)
  echo "session $id: median of $runs = ${result[$id]} s"
done
awk -v a="${result[1]}" -v b="${result[2]}" 'BEGIN { printf "ratio (100k / 1k): %.2f\n", a / b }'
