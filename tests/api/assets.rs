//! The embedded web bundle: the analytics page, GraphiQL without a CDN, and the hashed
//! files under `/assets/`, with their types, caching and security headers.

use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderMap};

use crate::helpers::{Scratch, spawn_app, spawn_with_config, test_config};

fn header(headers: &HeaderMap, name: impl reqwest::header::AsHeaderName) -> &str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// A page's policy lets it load, run and connect to its own origin only.
fn assert_strict_page_headers(headers: &HeaderMap) {
    assert_eq!(header(headers, CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(header(headers, CACHE_CONTROL), "no-cache");
    assert_eq!(header(headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(headers, "referrer-policy"), "no-referrer");
    let csp = header(headers, CONTENT_SECURITY_POLICY);
    for directive in [
        "default-src 'self'",
        "script-src 'self';",
        "connect-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "`{directive}` in {csp}");
    }
    for loose in ["unsafe-inline", "unsafe-eval", "http:", "https:", "*"] {
        assert!(!csp.contains(loose), "`{loose}` in {csp}");
    }
}

/// The `/assets/...` files a page references (`src="..."`, `href="..."`).
fn asset_paths(html: &str) -> Vec<String> {
    html.split(['"', '\''])
        .filter(|part| part.starts_with("/assets/"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_analytics_page_is_served_with_a_strict_content_security_policy() {
    let app = spawn_app().await;
    let response = app.get("/analytics").await;
    assert_eq!(response.status(), 200);
    assert_strict_page_headers(response.headers());
    let html = response.text().await.expect("html");
    assert!(html.contains(r#"<div id="app">"#), "the page's mount point");
    assert!(
        asset_paths(&html).iter().any(|path| path.ends_with(".js")),
        "the page loads its script from /assets/: {html}"
    );
    assert!(!html.contains("<script>"), "no inline script: {html}");
}

#[tokio::test]
async fn the_page_answers_its_client_side_routes() {
    let app = spawn_app().await;
    let page = app.get("/analytics").await.text().await.expect("html");
    for path in [
        "/analytics/",
        "/analytics/events/1",
        "/analytics/sessions/7",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_strict_page_headers(response.headers());
        assert_eq!(response.text().await.expect("html"), page, "{path}");
    }
}

#[tokio::test]
async fn hashed_assets_are_served_with_their_type_and_cached_for_good() {
    let app = spawn_app().await;
    let html = app.get("/analytics").await.text().await.expect("html");
    let paths = asset_paths(&html);
    let script = paths.iter().find(|p| p.ends_with(".js")).expect("a script");
    let style = paths
        .iter()
        .find(|p| p.ends_with(".css"))
        .expect("a stylesheet");
    for (path, media_type) in [
        (script, "text/javascript; charset=utf-8"),
        (style, "text/css; charset=utf-8"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        assert_eq!(header(headers, CONTENT_TYPE), media_type, "{path}");
        assert_eq!(
            header(headers, CACHE_CONTROL),
            "public, max-age=31536000, immutable",
            "{path}"
        );
        assert_eq!(header(headers, "x-content-type-options"), "nosniff");
        assert!(!response.bytes().await.expect("body").is_empty(), "{path}");
    }
}

#[tokio::test]
async fn an_unknown_asset_is_not_found() {
    let app = spawn_app().await;
    for path in [
        "/assets/nothing-12345678.js",
        "/assets/../Cargo.toml",
        "/assets/",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn graphiql_loads_nothing_from_another_origin() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("request reaches the server");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(header(&headers, CONTENT_TYPE), "text/html; charset=utf-8");
    let csp = header(&headers, CONTENT_SECURITY_POLICY).to_owned();
    for directive in [
        "default-src 'self'",
        "script-src 'self';",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "`{directive}` in {csp}");
    }
    for loose in ["unsafe-inline", "unsafe-eval", "http:", "https:", "*"] {
        assert!(!csp.contains(loose), "`{loose}` in {csp}");
    }
    let html = response.text().await.expect("html");
    for foreign in ["https://", "http://", "//cdn", "unpkg", "jsdelivr"] {
        assert!(
            !html.contains(foreign),
            "GraphiQL's page mentions `{foreign}`: {html}"
        );
    }
    let paths = asset_paths(&html);
    assert!(paths.iter().any(|p| p.ends_with(".js")), "{html}");
    assert!(paths.iter().any(|p| p.ends_with(".css")), "{html}");
    for path in paths {
        assert_eq!(app.get(&path).await.status(), 200, "{path}");
    }
    assert!(
        html.contains(r#"<script type="application/json" id="graphiql-config">"#),
        "its settings are JSON data, not an inline script: {html}"
    );
}

#[tokio::test]
async fn production_serves_the_analytics_page_but_not_graphiql() {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let mut config = test_config(scratch.path(), url);
    config.production = true;
    let app = spawn_with_config(config, scratch).await;

    let response = app.get("/analytics").await;
    assert_eq!(response.status(), 200);
    assert_strict_page_headers(response.headers());

    let graphiql = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("request reaches the server");
    assert_ne!(
        header(graphiql.headers(), CONTENT_TYPE),
        "text/html; charset=utf-8",
        "no GraphiQL in production"
    );
}
