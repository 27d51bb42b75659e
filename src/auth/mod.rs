//! Authentication: bearer tokens (our own HS256 JWTs, and an identity provider's
//! RS256/ES256 JWTs checked against its JWKS), password hashing and the signing secret.

pub mod bearer;
pub mod jwks;
pub mod jwt;
pub mod password;
pub mod secret;
pub mod verifier;

pub use bearer::Bearer;
pub use jwt::{Claims, Keys};
pub use verifier::{MAX_TOKEN_BYTES, Verifier};
