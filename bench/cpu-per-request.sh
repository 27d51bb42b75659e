#!/usr/bin/env bash
# CPU time per request of a server binary: query Q (1..4, bench/queries) on session or
# event 1 of the SQLite demo data, `wrk -t2 -c$C` (default 8) for 8 s after a 2 s warm-up.
# The server's own user+system CPU (from /proc/PID/stat, in 10 ms ticks) over the run,
# divided by the requests it served: less sensitive to what else the machine runs than
# requests/s. Usage: bench/cpu-per-request.sh BINARY Q PORT   (loopback only)
set -eu
bin=$1; q=$2; port=$3
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
env -i PATH=$PATH HOME=$HOME DATA_DIR=$dir/data JWT_SECRET=abcdefghijabcdefghijabcdefghij0123456789 DEMO_DATA=always \
  RATE_LIMIT_OPERATIONS_PER_MINUTE=0 RATE_LIMIT_COST_PER_MINUTE=0 RUST_LOG=warn \
  $bin --bind 127.0.0.1:$port > $dir/out 2> $dir/err &
pid=$!
for i in $(seq 50); do curl -fs 127.0.0.1:$port/health >/dev/null 2>&1 && break; sleep 0.2; done
tok=$(env -i PATH=$PATH HOME=$HOME DATA_DIR=$dir/data JWT_SECRET=abcdefghijabcdefghijabcdefghij0123456789 $bin token --email super.admin@example.com 2>/dev/null | tail -1)
query=$(python3 -c "import json,sys;print(json.dumps({'query':open('$here/queries/Q$q.graphql').read(),'operationName':'Q$q','variables':{'id':'1'}}))")
cat > $dir/s.lua <<LUA
wrk.method = "POST"
wrk.body = [==[$query]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $tok"
LUA
curl -s 127.0.0.1:$port/graphql -H 'content-type: application/json' -H "authorization: Bearer $tok" -d "$query" | head -c 150; echo
wrk -t2 -c8 -d2s -s $dir/s.lua http://127.0.0.1:$port/graphql >/dev/null
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
out=$(wrk -t2 -c${C:-8} -d8s -s $dir/s.lua http://127.0.0.1:$port/graphql)
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
reqs=$(echo "$out" | awk '/requests in/{print $1}')
echo "$(basename $bin) Q$q requests=$reqs cpu_ticks=$((t1-t0)) us_per_req=$(python3 -c "print(round(($t1-$t0)*10000/$reqs,1))")"
kill $pid; wait $pid 2>/dev/null || true
rm -rf $dir
