//! The web bundle embedded in the binary (`web/dist`, see build.rs): the hosts' analytics page at `/analytics`, GraphiQL's page for `http::graphiql`, and their hashed files under `/assets/`.
//!
//! The bundle is built from the npm project in `web/` with pinned dependencies and
//! committed, so a server needs neither Node nor the network to serve it. Every file is
//! compiled in (debug builds too), so `cargo run` serves exactly what a release does.
//!
//! * `/analytics`, and every `/analytics/...` path that is not a file of the page: the
//!   page's `index.html` (it routes on the client), in production mode too.
//! * `/assets/<name>-<hash>.<ext>`: Vite names each file by a hash of its content, so
//!   it may be cached for a year as `immutable`; a new build gives new names.
//! * HTML: `no-cache` (revalidated on every visit, so a new binary's page loads its
//!   new files), and a Content-Security-Policy that lets the page load, run and connect
//!   to nothing but this origin (no inline script), plus `nosniff` and `no-referrer`.
//!
//! Compression (gzip, brotli) comes from the edge layer around every route.

use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

mod bundle {
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

/// The analytics page, within the bundle.
const ANALYTICS_PAGE: &str = "analytics/index.html";

/// GraphiQL's page, within the bundle (`http::graphiql` fills in its configuration).
pub const GRAPHIQL_PAGE: &str = "graphiql/index.html";

/// The policy of the analytics page: scripts, styles, fonts and connections (fetch
/// and the live WebSocket, which `'self'` covers as `ws:`/`wss:` to this host) from
/// this origin only; images also as `data:` URLs; no inline script or style element;
/// no framing, `<base>` or form posts elsewhere.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; connect-src 'self'; \
    img-src 'self' data:; font-src 'self'; style-src 'self'; object-src 'none'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The file at `path` (relative to `web/dist`, with `/`), if the bundle has it.
pub fn file(path: &str) -> Option<&'static [u8]> {
    bundle::FILES
        .binary_search_by(|(name, _)| (*name).cmp(path))
        .ok()
        .map(|index| bundle::FILES[index].1)
}

/// `GET /analytics` (and its client-side routes) and `GET /assets/{*path}`.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/analytics", get(analytics))
        .route("/analytics/", get(analytics))
        .route("/analytics/{*rest}", get(analytics_path))
        .route("/assets/{*path}", get(asset))
}

/// An HTML page with its security headers, never cached without revalidation.
pub fn html(body: impl Into<axum::body::Body>, csp: HeaderValue) -> Response {
    let mut response = (StatusCode::OK, body.into()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn analytics() -> Response {
    match file(ANALYTICS_PAGE) {
        Some(page) => html(page, HeaderValue::from_static(PAGE_CSP)),
        None => not_found(),
    }
}

/// A file the page ships beside its `index.html`, else the page itself: the client
/// routes `/analytics/events/1`, `/analytics/sessions/7` and so on.
async fn analytics_path(Path(rest): Path<String>) -> Response {
    let beside = format!("analytics/{rest}");
    match file(&beside) {
        Some(bytes) if !beside.ends_with(".html") => {
            serve(&beside, bytes, HeaderValue::from_static("no-cache"))
        }
        _ => analytics().await,
    }
}

async fn asset(Path(path): Path<String>) -> Response {
    let path = format!("assets/{path}");
    match file(&path) {
        Some(bytes) => serve(
            &path,
            bytes,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ),
        None => not_found(),
    }
}

fn serve(path: &str, bytes: &'static [u8], cache: HeaderValue) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    headers.insert(header::CACHE_CONTROL, cache);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::X_CONTENT_TYPE_OPTIONS, "nosniff")],
        "not found\n",
    )
        .into_response()
}

/// The media type of a bundle file, from its extension (Vite emits only these).
fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, ext)| ext);
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_has_both_pages_and_is_sorted_for_lookup() {
        assert!(file(ANALYTICS_PAGE).is_some(), "web/dist/{ANALYTICS_PAGE}");
        assert!(file(GRAPHIQL_PAGE).is_some(), "web/dist/{GRAPHIQL_PAGE}");
        assert!(
            bundle::FILES.windows(2).all(|pair| pair[0].0 < pair[1].0),
            "build.rs sorts the files"
        );
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(
            content_type("assets/a-1.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("assets/a-1.woff2"), "font/woff2");
        assert_eq!(content_type("assets/unknown"), "application/octet-stream");
    }
}
