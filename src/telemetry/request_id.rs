//! The request id: a client's `x-request-id` when it is sane, else a fresh random one.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use rand::Rng;

/// The header a request id arrives in and is returned in.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id accepted from a client; longer ones are replaced, so that a
/// client cannot make log lines and span attributes arbitrarily large.
const MAX_LEN: usize = 128;

/// A request id: 1 to 128 visible ASCII characters, so it is safe in a header, a log
/// line and a span attribute as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The client's id when it sent exactly one sane `x-request-id`, else a new one.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut values = headers.get_all(&HEADER).iter();
        match (values.next(), values.next()) {
            (Some(value), None) => Self::parse(value.as_bytes()).unwrap_or_else(Self::generate),
            _ => Self::generate(),
        }
    }

    /// `bytes` as a request id, if they are 1 to 128 visible ASCII characters.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let sane = !bytes.is_empty()
            && bytes.len() <= MAX_LEN
            && bytes.iter().all(|b| b.is_ascii_graphic());
        // Visible ASCII is valid UTF-8.
        sane.then(|| Self(String::from_utf8_lossy(bytes).into_owned()))
    }

    /// 128 random bits as 32 hexadecimal digits.
    pub fn generate() -> Self {
        Self(hex::encode(rand::rng().random::<[u8; 16]>()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a header value; visible ASCII always is one.
    pub fn header_value(&self) -> Option<HeaderValue> {
        HeaderValue::from_str(&self.0).ok()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_kept_and_others_replaced() {
        assert_eq!(
            RequestId::parse(b"abc-123_x.y").map(|id| id.0),
            Some("abc-123_x.y".into())
        );
        for bad in [
            &b""[..],
            b"has space",
            b"tab\there",
            "é".as_bytes(),
            &[b'a'; 129],
        ] {
            assert_eq!(RequestId::parse(bad), None, "{bad:?}");
        }
        assert!(RequestId::parse(&[b'a'; 128]).is_some());
        let generated = RequestId::generate();
        assert_eq!(generated.as_str().len(), 32);
        assert_ne!(generated, RequestId::generate());
    }
}
