//! Runs the typed operations of `queries/` against a live server and checks the
//! answers; exits non-zero on any failure.
//!
//! Settings: `API_URL`, `API_EMAIL`, `API_PASSWORD`, `SESSION_ID` (as the TypeScript example).

use std::collections::HashSet;

use anyhow::{Context, anyhow, bail, ensure};
use graphql_client::{GraphQLQuery, QueryBody, Response};
use serde::{Serialize, de::DeserializeOwned};

/// The schema's `DateTime` scalar (RFC 3339): graphql_client uses whatever type of this
/// name is in scope, so responses arrive parsed.
type DateTime = chrono::DateTime<chrono::Utc>;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../../schema.graphql",
    query_path = "queries/login.graphql",
    response_derives = "Debug"
)]
struct Login;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../../schema.graphql",
    query_path = "queries/session_details.graphql",
    response_derives = "Debug",
    // An absent optional variable is left out rather than sent as null, so the
    // field's default order applies.
    skip_serializing_none
)]
struct SessionDetails;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../../schema.graphql",
    query_path = "queries/sessions_table.graphql",
    response_derives = "Debug"
)]
struct SessionsTable;

const REGISTRANT_PAGE: i64 = 5;
const TABLE_PAGE: i64 = 4;

struct Settings {
    url: String,
    email: String,
    password: String,
    session_id: String,
}

impl Settings {
    fn from_env() -> Self {
        let var =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        Self {
            url: var("API_URL", "http://127.0.0.1:8000/graphql"),
            email: var("API_EMAIL", "event.admin@example.com"),
            password: var("API_PASSWORD", "demo-password"),
            session_id: var("SESSION_ID", "1"),
        }
    }
}

/// A failed request: the GraphQL errors' stable codes and messages (the server's
/// messages are safe to show), never the variables (a password).
#[derive(Debug)]
struct RequestFailed {
    operation: &'static str,
    status: u16,
    errors: Vec<(String, String)>,
}

impl RequestFailed {
    fn has_code(&self, code: &str) -> bool {
        self.errors.iter().any(|(c, _)| c == code)
    }
}

impl std::fmt::Display for RequestFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed (HTTP {})", self.operation, self.status)?;
        for (i, (code, message)) in self.errors.iter().enumerate() {
            write!(f, "{} {code} ({message})", if i == 0 { ":" } else { "," })?;
        }
        Ok(())
    }
}

impl std::error::Error for RequestFailed {}

struct Client {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl Client {
    async fn request<V: Serialize, T: DeserializeOwned>(
        &self,
        body: QueryBody<V>,
    ) -> anyhow::Result<T> {
        let operation = body.operation_name;
        let mut request = self
            .http
            .post(&self.url)
            .header(
                reqwest::header::ACCEPT,
                "application/graphql-response+json, application/json",
            )
            .json(&body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{operation}: sending"))?;
        let status = response.status();
        let answer: Response<T> = response
            .json()
            .await
            .with_context(|| format!("{operation}: reading the answer (HTTP {status})"))?;
        match (answer.data, answer.errors.unwrap_or_default()) {
            (Some(data), errors) if errors.is_empty() && status.is_success() => Ok(data),
            (_, errors) => Err(RequestFailed {
                operation,
                status: status.as_u16(),
                errors: errors
                    .into_iter()
                    .map(|e| {
                        let code = e
                            .extensions
                            .as_ref()
                            .and_then(|x| x.get("code"))
                            .and_then(|c| c.as_str())
                            .unwrap_or("NO_CODE")
                            .to_owned();
                        (code, e.message)
                    })
                    .collect(),
            }
            .into()),
        }
    }
}

fn stats_line(registered: i64, interested: i64, attended: i64) -> anyhow::Result<String> {
    ensure!(
        registered >= 0 && interested >= 0 && attended >= 0,
        "stats are non-negative"
    );
    Ok(format!(
        "{registered} registered, {interested} interested, {attended} attended"
    ))
}

async fn run(settings: &Settings) -> anyhow::Result<Vec<String>> {
    let mut client = Client {
        http: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?,
        url: settings.url.clone(),
        token: None,
    };
    let mut summary = Vec::new();

    // Without a token the session is refused with a stable code, not an empty answer.
    let anonymous = client
        .request::<_, session_details::ResponseData>(SessionDetails::build_query(
            session_details::Variables {
                id: settings.session_id.clone(),
                registrants_first: 1,
                registrants_after: None,
                registrants_order: None,
            },
        ))
        .await;
    match anonymous {
        Ok(_) => bail!("an anonymous session query was answered"),
        Err(error) => {
            let failed = error
                .downcast_ref::<RequestFailed>()
                .ok_or_else(|| anyhow!("anonymous session query: {error:#}"))?;
            ensure!(
                failed.has_code("UNAUTHENTICATED"),
                "anonymous query gives UNAUTHENTICATED, got {failed}"
            );
        }
    }
    summary.push("anonymous session query: UNAUTHENTICATED".to_owned());

    let login: login::ResponseData = client
        .request(Login::build_query(login::Variables {
            email: settings.email.clone(),
            password: settings.password.clone(),
        }))
        .await?;
    let login = login.login;
    ensure!(!login.token.is_empty(), "login returns a token");
    ensure!(
        login.expires_at > chrono::Utc::now(),
        "token expires in the future"
    );
    ensure!(
        login.viewer.email.eq_ignore_ascii_case(&settings.email),
        "viewer is the account that logged in"
    );
    summary.push(format!(
        "login: {:?} (user {})",
        login.viewer.role, login.viewer.user_id
    ));
    client.token = Some(login.token);

    // The row view, first page of registrants.
    let details = |after: Option<String>| {
        SessionDetails::build_query(session_details::Variables {
            id: settings.session_id.clone(),
            registrants_first: REGISTRANT_PAGE,
            registrants_after: after,
            registrants_order: Some(session_details::RegistrantOrder::REGISTRATION_DATE_ASC),
        })
    };
    let first: session_details::ResponseData = client.request(details(None)).await?;
    let session = first
        .session
        .with_context(|| format!("session {} exists and is readable", settings.session_id))?;
    let s = &session.session_settings;
    ensure!(
        s.id == settings.session_id,
        "the session has the id asked for"
    );
    ensure!(!s.title.is_empty(), "the session has a title");
    ensure!(
        s.start_time <= s.end_time,
        "the session starts before it ends"
    );
    ensure!(!session.speakers.is_empty(), "the session has speakers");
    for speaker in &session.speakers {
        ensure!(!speaker.first_name.is_empty(), "speakers have names");
    }
    let stats = &session.stats;
    let stats_text = stats_line(
        stats.registered_count,
        stats.interested_count,
        stats.attendee_count,
    )?;
    ensure!(
        session.attendee_count == stats.attendee_count,
        "attendeeCount equals stats.attendeeCount"
    );

    let registrants = &session.registered_holder_users;
    let page1: Vec<_> = registrants.edges.iter().map(|e| &e.node).collect();
    let info1 = &registrants.page_info;
    ensure!(!page1.is_empty(), "the session has registrants");
    ensure!(
        page1.len() as i64 <= REGISTRANT_PAGE,
        "a page holds at most `first` registrants"
    );
    ensure!(
        registrants.total_count >= page1.len() as i64,
        "totalCount covers the page"
    );
    ensure!(
        !info1.has_previous_page,
        "the first page has nothing before it"
    );
    ensure!(
        info1.end_cursor.as_deref() == registrants.edges.last().map(|e| e.cursor.as_str()),
        "endCursor is the last edge's cursor"
    );
    for r in &page1 {
        ensure!(
            (0.0..=100.0).contains(&r.engagement),
            "engagement is a percentage"
        );
    }
    let mut registrant_pages = 1;
    if info1.has_next_page {
        let second: session_details::ResponseData =
            client.request(details(info1.end_cursor.clone())).await?;
        let second = second.session.context("the session is still there")?;
        let page2 = &second.registered_holder_users;
        ensure!(
            !page2.edges.is_empty(),
            "hasNextPage promised a second page"
        );
        ensure!(
            page2.total_count == registrants.total_count,
            "totalCount is the same on every page"
        );
        let seen: HashSet<&str> = page1.iter().map(|r| r.event_ticket_id.as_str()).collect();
        ensure!(
            page2
                .edges
                .iter()
                .all(|e| !seen.contains(e.node.event_ticket_id.as_str())),
            "the second page repeats no registrant"
        );
        ensure!(
            page2.page_info.has_previous_page,
            "the second page has a page before it"
        );
        registrant_pages = 2;
    }
    summary.push(format!(
        "session {} \"{}\" ({:?}): {stats_text}; {} speakers, {} sponsors, {} assets, {} registrants ({registrant_pages} pages read)",
        s.id,
        s.title,
        s.format,
        session.speakers.len(),
        session.sponsors.len(),
        session.asset_list.len(),
        registrants.total_count,
    ));

    // The event's sessions table, every page.
    let mut ids: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    let mut total_count: Option<i64> = None;
    let mut event_name = String::new();
    for pages in 0.. {
        if let Some(total) = total_count {
            ensure!(
                pages <= (total + TABLE_PAGE - 1) / TABLE_PAGE,
                "paging ends after totalCount rows"
            );
        }
        let table: sessions_table::ResponseData = client
            .request(SessionsTable::build_query(sessions_table::Variables {
                event_id: s.event_id.clone(),
                first: TABLE_PAGE,
                after: after.take(),
                search: None,
                format: None,
            }))
            .await?;
        let event = table
            .event
            .with_context(|| format!("event {} exists and is readable", s.event_id))?;
        ensure!(event.id == s.event_id, "the event has the id asked for");
        event_name = event.name;
        let connection = event.sessions;
        ensure!(
            total_count.is_none_or(|t| t == connection.total_count),
            "totalCount is the same on every page"
        );
        total_count = Some(connection.total_count);
        ensure!(
            connection.edges.len() as i64 <= TABLE_PAGE,
            "a page holds at most `first` sessions"
        );
        for edge in connection.edges {
            let row = edge.node;
            stats_line(
                row.stats.registered_count,
                row.stats.interested_count,
                row.stats.attendee_count,
            )?;
            ensure!(row.start_time <= row.end_time, "rows start before they end");
            ids.push(row.id);
        }
        if !connection.page_info.has_next_page {
            break;
        }
        after = Some(
            connection
                .page_info
                .end_cursor
                .context("a page with more after it has an endCursor")?,
        );
    }
    let total = total_count.unwrap_or_default();
    ensure!(
        ids.len() as i64 == total,
        "paging read totalCount ({total}) sessions, got {}",
        ids.len()
    );
    ensure!(
        ids.iter().collect::<HashSet<_>>().len() == ids.len(),
        "no session appears on two pages"
    );
    ensure!(ids.contains(&s.id), "the table lists the session");
    summary.push(format!(
        "event {} \"{event_name}\": {} sessions in pages of {TABLE_PAGE}",
        s.event_id,
        ids.len()
    ));
    Ok(summary)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let settings = Settings::from_env();
    match run(&settings).await {
        Ok(summary) => {
            println!("rust client OK against {}", settings.url);
            for line in summary {
                println!("  {line}");
            }
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("rust client FAILED: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
