//! `GET /graphql`: GraphiQL, opened on a login mutation and a session query.

use async_graphql::http::GraphiQLSource;
use axum::response::Html;

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

pub async fn page() -> Html<String> {
    let html = GraphiQLSource::build()
        .endpoint("/graphql")
        .title("session-analytics")
        .finish();
    let default_query = serde_json::to_string(EXAMPLE).unwrap_or_default();
    Html(html.replacen(
        "defaultEditorToolsVisibility: true,",
        &format!("defaultEditorToolsVisibility: true,\n          defaultQuery: {default_query},"),
        1,
    ))
}
