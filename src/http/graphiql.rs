//! `GET /graphql`: GraphiQL, opened on a login mutation and a session query.
//!
//! GraphiQL's scripts and styles are part of the embedded web bundle (`web/`, served
//! by `http::assets`), so the page loads nothing from another origin. Its settings go
//! into the page as JSON in a `<script type="application/json">` element, which the
//! Content-Security-Policy allows because it is data, never run.

use axum::{http::HeaderValue, response::Response};
use rand::Rng;

use super::assets;

/// The analytics page's policy with two additions GraphiQL needs: `data:` fonts (its
/// stylesheet carries its fonts inline), and the `<style>` element its dropdown menus
/// add while open to lock scrolling (react-remove-scroll), admitted by a nonce fresh
/// for each response, which the page hands to that library, not by `'unsafe-inline'`.
fn policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; \
         font-src 'self' data:; style-src 'self' 'nonce-{nonce}'; object-src 'none'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// Where the bundle's page expects its settings.
const CONFIG_OPEN: &str = r#"<script type="application/json" id="graphiql-config">"#;

/// The operations GraphiQL opens with: log in, then paste the token into the headers.
const EXAMPLE: &str = r#"# 1. Run "Login" and copy the token.
# 2. In Headers below, set: {"Authorization": "Bearer <token>"}
# 3. Run "Session".

mutation Login {
  login(email: "super.admin@example.com", password: "demo-password") {
    token
    expiresAt
    viewer { email role }
  }
}

query Session {
  session(id: "1") {
    id title format startTime endTime location capacity status
    streamProvider streamKey rtmpUrl enableChat enableQandA recordSession
    duration
    stats { registeredCount interestedCount attendeeCount }
    attendeeCount
    speakers { firstName lastName title company ticketTypesForSpeaker { name free } }
    sponsors { name size }
    assetList { assetId fileName duration createdBy { email } }
    registeredHolderUsers(first: 10, orderBy: ENGAGEMENT_DESC) {
      totalCount
      nodes { firstName lastName email attended registrationDate engagement }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"#;

pub async fn page() -> Response {
    let template = assets::file(assets::GRAPHIQL_PAGE)
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    // 128 random bits, as hex: valid in a header and in a CSS nonce.
    let nonce = hex::encode(rand::rng().random::<[u8; 16]>());
    let csp = HeaderValue::from_str(&policy(&nonce))
        .unwrap_or_else(|_| HeaderValue::from_static(assets::PAGE_CSP));
    assets::html(with_config(&template, &nonce), csp)
}

/// `template` with GraphiQL's settings (the endpoint, the example operations, the
/// style nonce) in its configuration element. `<` is escaped in the JSON so that no
/// text in it can close the element.
fn with_config(template: &str, nonce: &str) -> String {
    let config = serde_json::json!({
        "endpoint": "/graphql",
        "defaultQuery": EXAMPLE,
        "styleNonce": nonce,
    });
    let config = config.to_string().replace('<', "\\u003c");
    let Some(start) = template.find(CONFIG_OPEN).map(|at| at + CONFIG_OPEN.len()) else {
        return template.to_owned();
    };
    let Some(end) = template[start..].find("</script>").map(|at| start + at) else {
        return template.to_owned();
    };
    format!("{}{config}{}", &template[..start], &template[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_carries_the_example_as_json_data() {
        let page = with_config(
            &String::from_utf8_lossy(
                assets::file(assets::GRAPHIQL_PAGE).expect("the bundle has GraphiQL's page"),
            ),
            "0123",
        );
        let start = page.find(CONFIG_OPEN).expect("the configuration element") + CONFIG_OPEN.len();
        let end = start + page[start..].find("</script>").expect("its end");
        let config: serde_json::Value =
            serde_json::from_str(&page[start..end]).expect("the configuration is JSON");
        assert_eq!(config["endpoint"], "/graphql");
        assert_eq!(config["defaultQuery"], EXAMPLE);
        assert_eq!(config["styleNonce"], "0123");
        assert!(
            !page[start..end].contains('<'),
            "no `<` can end the element early"
        );
    }
}
