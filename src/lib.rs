//! session-analytics: a GraphQL analytics server for the hosts of virtual and hybrid events.

pub mod analytics;
pub mod auth;
pub mod config;
pub mod db;
pub mod entity;
pub mod error;
pub mod graphql;
pub mod http;
pub mod live;
pub mod progress;
pub mod rate_limit;
pub mod seed;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod transfer;
