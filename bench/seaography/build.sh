#!/usr/bin/env bash
# Generates a Seaography server from our PostgreSQL tables and builds it in release, in
# bench/.scratch/seaography (gitignored, never committed). Cached: the generators are
# installed once, the project is regenerated only when the migrations (or this script, or
# the pinned Cargo.lock) change, and the release build is incremental.
# Usage: bench/seaography/build.sh postgres://postgres@127.0.0.1:5432/bench
# (URL: a database holding our schema, migrated; its data does not matter.)
set -euo pipefail
url=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
scratch=$root/bench/.scratch/seaography
tools=$scratch/tools
server=$scratch/server
mkdir -p "$tools"
export PATH=$tools/bin:$PATH
# bench/run looks for the binary in $server/target/release.
unset CARGO_TARGET_DIR

# Seaography 2.0 (release candidate; rc.9 is the newest, and the first to require
# sea-orm ~2.0.0-rc.40, i.e. 2.0.x) is the one built on sea-orm 2, as we are. sea-orm-cli
# must be 2.0.x too: its `--seaography` entities (RelatedEntity, register_entity_modules!)
# are what seaography 2.0 expects.
sea_orm_cli=2.0.4
seaography_cli=2.0.0-rc.9
if [ "$(sea-orm-cli --version 2>/dev/null)" != "sea-orm-cli $sea_orm_cli" ]; then
  nice -n 19 cargo install --locked --quiet --root "$tools" "sea-orm-cli@$sea_orm_cli" \
    --no-default-features --features codegen,cli,runtime-tokio-rustls,sqlx-postgres
fi
if [ "$(seaography-cli --version 2>/dev/null)" != "seaography-cli $seaography_cli" ]; then
  nice -n 19 cargo install --locked --quiet --root "$tools" "seaography-cli@$seaography_cli"
fi

inputs=("$root"/migration/src/*.rs "$0")
if [ -f "$here/Cargo.lock" ]; then inputs+=("$here/Cargo.lock"); fi
stamp=$(cat "${inputs[@]}" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$scratch/stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$server/Cargo.toml" ]; then
  rm -f "$scratch/stamp"
  # Keep target/ (the incremental build cache); replace everything else.
  mkdir -p "$server"
  find "$server" -mindepth 1 -maxdepth 1 ! -name target -exec rm -rf {} +
  mkdir -p "$server/src/entities"
  sea-orm-cli generate entity -u "$url" -o "$server/src/entities" --seaography \
    --ignore-tables seaql_migrations </dev/null
  seaography-cli -o "$server" -e "$server/src/entities" -u "$url" -f axum seaography-bench \
    </dev/null

  # Patches (the generated main.rs as it is would not be comparable):
  # - sea-orm logs every statement at INFO through sqlx by default, and the generated main
  #   prints INFO to stdout: per-statement logging off, WARN and above only (PostGraphile
  #   runs with --disable-query-log; our server writes one line per request);
  # - the pool size from DATABASE_MAX_CONNECTIONS (bench/run's --pool, the same for every
  #   server) instead of sqlx's default.
  main=$server/src/main.rs
  if ! grep -q 'Database::connect(&\*DATABASE_URL)' "$main" ||
      ! grep -q 'tracing::Level::INFO' "$main"; then
    echo "build.sh: the generated main.rs is not what the patch expects (is rustfmt there?)" >&2
    exit 1
  fi
  sed -i -e 's/Database::connect(&\*DATABASE_URL)/Database::connect(bench_connect_options())/' \
    -e 's/tracing::Level::INFO/tracing::Level::WARN/' "$main"
  cat >> "$main" <<'EOF'

/// Added by bench/seaography/build.sh: bench/run's pool size, no per-statement log.
fn bench_connect_options() -> sea_orm::ConnectOptions {
    let mut options = sea_orm::ConnectOptions::new(DATABASE_URL.as_str());
    if let Ok(n) = env::var("DATABASE_MAX_CONNECTIONS") {
        options.max_connections(n.parse().expect("DATABASE_MAX_CONNECTIONS is not a number"));
    }
    options.sqlx_logging(false);
    options
}
EOF
  # bench/seaography/Q2.graphql and Q4.graphql reach a ticket's holder through the
  # generated relation name `users2` (event_tickets has two foreign keys to users, so
  # sea-orm-cli numbers them): make sure it is still the holder, not the purchaser.
  if ! grep -A6 'from = "Column::HolderUserId"' "$server/src/entities/event_tickets.rs" |
      grep -q '^ *Users2,'; then
    echo "build.sh: event_tickets' Users2 is no longer holder_user_id; fix Q2/Q4" >&2
    exit 1
  fi
  # Dependency versions as measured (see bench/README.md); cargo updates the copy if the
  # generated Cargo.toml asks for something else.
  if [ -f "$here/Cargo.lock" ]; then cp "$here/Cargo.lock" "$server/Cargo.lock"; fi
  echo "$stamp" > "$scratch/stamp"
fi
cd "$server"
started=$(date +%s)
nice -n 19 cargo build --release --quiet </dev/null
echo "build.sh: seaography-bench built in $(( $(date +%s) - started )) s: $server/target/release/seaography-bench"
