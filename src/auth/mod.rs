//! Authentication: bearer tokens (JWT), password hashing and the signing secret.

pub mod jwt;
pub mod password;
pub mod secret;

pub use jwt::{Claims, Keys};
