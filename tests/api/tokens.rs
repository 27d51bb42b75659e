//! Bearer tokens: every way a token can be missing, malformed or invalid.
