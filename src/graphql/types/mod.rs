//! The GraphQL object types, one module per domain object.

pub mod activity;
pub mod analytics;
pub mod asset;
pub mod event;
pub mod registrant;
pub mod session;
pub mod speaker;
pub mod sponsor;
pub mod stats;
pub mod viewer;
