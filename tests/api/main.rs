//! Integration tests: the real router over HTTP against a real database (SQLite, or
//! PostgreSQL when `TEST_DATABASE_URL` is set), each test on its own fresh database.

// The expected-response literals in `session_fields` nest deeper than `json!`'s default allows.
#![recursion_limit = "256"]

mod access;
mod analytics;
mod analytics_derive;
mod assets;
mod cache;
mod cli;
mod conformance;
mod counters;
mod export;
mod faults;
mod fixture;
mod helpers;
mod http;
mod ingest;
mod jwks;
mod limits;
mod live;
mod model;
mod niceties;
mod nulls;
mod pagination;
mod persisted;
mod pipeline;
mod proxy;
mod rate_limit;
mod replicas;
mod response_cache;
mod schema;
mod search_index;
mod seed;
mod session_fields;
mod startup;
mod statements;
mod strings;
mod telemetry;
mod tokens;
mod transfer;
