//! CORS and response compression around every route, built once from the configuration.

use std::time::Duration;

use anyhow::bail;
use axum::{
    Router,
    http::{HeaderName, HeaderValue, Method, header},
};
use tower_http::{
    compression::{
        CompressionLayer, DefaultPredicate, Predicate,
        predicate::{And, SizeAbove},
    },
    cors::{AllowOrigin, CorsLayer},
};

use crate::config::Delivery;

/// The request id header a client may send and read back.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The outermost layers: CORS (so a preflight is answered before any limit, budget or
/// token check) and compression.
#[derive(Clone)]
pub struct Edge {
    cors: Option<CorsLayer>,
    /// The origins CORS allows (`*` alone for any), for the WebSocket upgrade's check.
    origins: Vec<String>,
    compression: Option<CompressionLayer<And<DefaultPredicate, SizeAbove>>>,
}

impl Edge {
    /// Checks the CORS origins (each an exact `scheme://host[:port]`, or `*` alone).
    pub fn from_config(delivery: &Delivery) -> anyhow::Result<Self> {
        let compression = delivery.compression.then(|| {
            // gzip and brotli only (the features compiled in), negotiated from
            // `Accept-Encoding`; brotli at tower-http's on-the-fly quality, not 11.
            CompressionLayer::new().compress_when(
                DefaultPredicate::new().and(SizeAbove::new(delivery.compression_min_bytes)),
            )
        });
        Ok(Self {
            cors: cors(delivery)?,
            origins: delivery
                .cors_allowed_origins
                .iter()
                .map(|origin| origin.trim().to_owned())
                .filter(|origin| !origin.is_empty())
                .collect(),
            compression,
        })
    }

    /// Does `CORS_ALLOWED_ORIGINS` allow `origin`? (CORS itself does not apply to a
    /// WebSocket upgrade, so `http::websocket` asks here.)
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.origins
            .iter()
            .any(|allowed| allowed == "*" || allowed == origin)
    }

    /// Wraps every route of `router`.
    pub fn apply<S: Clone + Send + Sync + 'static>(&self, mut router: Router<S>) -> Router<S> {
        if let Some(compression) = &self.compression {
            router = router.layer(compression.clone());
        }
        if let Some(cors) = &self.cors {
            router = router.layer(cors.clone());
        }
        router
    }
}

fn cors(delivery: &Delivery) -> anyhow::Result<Option<CorsLayer>> {
    let origins: Vec<&str> = delivery
        .cors_allowed_origins
        .iter()
        .map(|origin| origin.trim())
        .filter(|origin| !origin.is_empty())
        .collect();
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins == ["*"] {
        AllowOrigin::any()
    } else {
        let mut values = Vec::with_capacity(origins.len());
        for origin in origins {
            values.push(origin_value(origin)?);
        }
        AllowOrigin::list(values)
    };
    // No credentials: the API authenticates with a bearer header, never a cookie, so a
    // page from an allowed origin gets nothing a page from elsewhere could not.
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, REQUEST_ID])
            .expose_headers([REQUEST_ID])
            .max_age(Duration::from_secs(u64::from(
                delivery.cors_max_age_seconds,
            ))),
    ))
}

/// An origin as browsers send it: `http://` or `https://`, a host, maybe a port, no
/// path and no trailing slash (browsers never send one, so it could never match).
fn origin_value(origin: &str) -> anyhow::Result<HeaderValue> {
    let Some(rest) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        bail!(
            "CORS_ALLOWED_ORIGINS: {origin:?} is not an origin: it must start with https:// or http:// (or be `*` alone)"
        );
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '*', ' ']) {
        bail!(
            "CORS_ALLOWED_ORIGINS: {origin:?} is not an exact origin: write `scheme://host[:port]`, without path, trailing slash or wildcard"
        );
    }
    HeaderValue::from_str(origin).map_err(|_| {
        anyhow::anyhow!("CORS_ALLOWED_ORIGINS: {origin:?} is not a valid header value")
    })
}

#[cfg(test)]
mod tests {
    use super::{Delivery, Edge};

    fn with_origins(origins: &[&str]) -> Delivery {
        Delivery {
            cors_allowed_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            ..Delivery::default()
        }
    }

    #[test]
    fn origins_must_be_exact() {
        for good in [
            &["https://app.example.com"][..],
            &["*"],
            &["http://localhost:3000", "https://a.b"],
            &[""],
        ] {
            assert!(Edge::from_config(&with_origins(good)).is_ok(), "{good:?}");
        }
        for bad in [
            &["app.example.com"][..],
            &["https://app.example.com/"],
            &["https://*.example.com"],
            &["*", "https://a.b"],
        ] {
            assert!(Edge::from_config(&with_origins(bad)).is_err(), "{bad:?}");
        }
    }
}
