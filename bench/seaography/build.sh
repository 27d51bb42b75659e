#!/usr/bin/env bash
# Generates a Seaography server from our PostgreSQL tables and builds it in release, in
# bench/.scratch/seaography (gitignored, never committed). Cached: the generators are
# installed once, and the project is regenerated only when the migrations change.
# Usage: bench/seaography/build.sh postgres://postgres@127.0.0.1:5432/bench
set -euo pipefail
url=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
scratch=$here/../.scratch/seaography
tools=$scratch/tools
mkdir -p "$tools"
export PATH=$tools/bin:$PATH

# Seaography 2.0 (release candidate) is the one built on sea-orm 2, as we are.
command -v sea-orm-cli >/dev/null || nice -n 19 cargo install --locked --quiet --root "$tools" \
  sea-orm-cli@2.0.4 --no-default-features --features codegen,cli,runtime-tokio-rustls,sqlx-postgres
command -v seaography-cli >/dev/null || nice -n 19 cargo install --locked --quiet --root "$tools" \
  seaography-cli@2.0.0-rc.9

stamp=$(cat "$root"/migration/src/*.rs "$0" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$scratch/stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$scratch/server"
  mkdir -p "$scratch/server/src/entities"
  sea-orm-cli generate entity -u "$url" -o "$scratch/server/src/entities" --seaography \
    --ignore-tables seaql_migrations
  seaography-cli -o "$scratch/server" -e "$scratch/server/src/entities" -u "$url" \
    -f axum seaography-bench
  echo "$stamp" > "$scratch/stamp"
fi
cd "$scratch/server"
nice -n 19 cargo build --release --quiet
