//! The hosts' CSV exports over HTTP: `GET /export/sessions/{id}/registrants.csv` and
//! `GET /export/events/{id}/sessions.csv`: columns, RFC 4180 quoting, formula
//! neutralisation, the API's guard and refusals, paging, the figures, and streaming.

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures_util::StreamExt as _;
use reqwest::{StatusCode, header::HeaderMap};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use session_analytics::{
    config::LogFormat,
    entity::{enums::*, event_admin, event_ticket, session_registration, user},
    telemetry::logging,
};

use crate::{
    fixture::{
        self, ATTENDEE, BARE_SESSION, EVENT_A, EVENT_ADMIN, EVENT_B_ADMIN, EVENT_C, FULL_SESSION,
        ORG_ADMIN, ORG2_ADMIN, SESSION_B, SUPER, insert, registration, spawn_fixture_with,
        spawn_with_fixture, ticket, user_row,
    },
    helpers::{CHALLENGE, TestApp},
};

const REGISTRANT_COLUMNS: [&str; 15] = [
    "eventTicketId",
    "userId",
    "firstName",
    "lastName",
    "email",
    "phoneNumber",
    "attended",
    "registrationDate",
    "registrationType",
    "watchTimeSeconds",
    "engagement",
    "liveWatchSeconds",
    "recordingWatchSeconds",
    "liveViews",
    "recordingViews",
];

const SESSION_COLUMNS: [&str; 20] = [
    "id",
    "title",
    "startTime",
    "endTime",
    "registeredCount",
    "interestedCount",
    "attendeeCount",
    "duration",
    "liveViews",
    "recordingViews",
    "uniqueLiveViewers",
    "uniqueRecordingViewers",
    "averageLiveWatchSeconds",
    "averageRecordingWatchSeconds",
    "totalWatchSeconds",
    "chatMessages",
    "questions",
    "pollVotes",
    "checkIns",
    "peakConcurrentViewers",
];

/// An INGEST service account assigned to event A.
const INGEST_A: (i64, Role) = (50, Role::Ingest);

fn registrants_path(session: i64) -> String {
    format!("/export/sessions/{session}/registrants.csv")
}

fn sessions_path(event: i64) -> String {
    format!("/export/events/{event}/sessions.csv")
}

/// A whole download: status, headers and body.
struct Download {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Download {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The body as CSV records, after asserting a 200 with the CSV headers.
    fn records(&self) -> Vec<Vec<String>> {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        assert_eq!(self.header("content-type"), "text/csv; charset=utf-8");
        parse_csv(&self.body)
    }

    /// The JSON error body of a refusal, after asserting its status.
    fn refusal(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert!(
            self.header("content-type").starts_with("application/json"),
            "{:?}",
            self.headers
        );
        assert!(!self.header("x-request-id").is_empty(), "a request id");
        let body: Value = serde_json::from_str(&self.body).expect("a JSON error body");
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
        assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");
        assert!(body.get("data").is_none(), "{body}");
        body
    }
}

async fn download(app: &TestApp, token: Option<&str>, path: &str) -> Download {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.expect("request reaches the server");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.expect("the whole body");
    Download {
        status,
        headers,
        body,
    }
}

async fn download_as(app: &TestApp, who: (i64, Role), path: &str) -> Download {
    download(app, Some(&app.token(who.0, who.1)), path).await
}

/// A strict RFC 4180 reader: every record ends with CRLF, a field is quoted or holds
/// no quote, CR or LF, and a quote inside a quoted field is doubled.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => panic!("an unterminated quoted field in {text:?}"),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c == '\r' {
                    break;
                }
                assert!(
                    c != '"' && c != '\n',
                    "a quote or LF in an unquoted field: {text:?}"
                );
                field.push(c);
                chars.next();
            }
        }
        record.push(field);
        match chars.next() {
            Some(',') => {}
            Some('\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF: {text:?}");
                records.push(std::mem::take(&mut record));
            }
            other => panic!("{other:?} after a field: {text:?}"),
        }
    }
    assert!(
        record.is_empty(),
        "the last record ends with CRLF: {text:?}"
    );
    records
}

/// The cells of `record` by the header's column names.
fn cell<'a>(header: &[String], record: &'a [String], column: &str) -> &'a str {
    let i = header
        .iter()
        .position(|name| name == column)
        .unwrap_or_else(|| panic!("no column {column}"));
    &record[i]
}

async fn execute(db: &DatabaseConnection, sql: &str) {
    if let Err(err) = db.execute_unprepared(sql).await {
        panic!("{sql}: {err}");
    }
}

/// `count` extra holders (users and tickets from `first_id` on) registered for
/// `session`, all at the same moment, so only the registration id orders them.
async fn add_registrants(db: &DatabaseConnection, session: i64, first_id: i64, count: i64) {
    let ids: Vec<i64> = (first_id..first_id + count).collect();
    let users: Vec<user::Model> = ids
        .iter()
        .map(|&id| {
            user_row(
                id,
                &format!("holder{id}@example.org"),
                "Holder",
                &format!("N{id}"),
                Role::Attendee,
            )
        })
        .collect();
    let tickets: Vec<event_ticket::Model> = ids.iter().map(|&id| ticket(id, id, id)).collect();
    let registrations: Vec<session_registration::Model> = ids
        .iter()
        .map(|&id| registration(id, session, id, RegistrationType::Registered, 20, false, 0))
        .collect();
    insert::<user::Entity, _>(db, &users).await;
    insert::<event_ticket::Entity, _>(db, &tickets).await;
    insert::<session_registration::Entity, _>(db, &registrations).await;
}

// Columns and values

#[tokio::test]
async fn a_sessions_registrants_come_with_a_header_row_every_field_and_the_csv_headers() {
    let app = spawn_with_fixture().await;
    let got = download_as(&app, SUPER, &registrants_path(FULL_SESSION)).await;
    assert_eq!(
        got.header("content-disposition"),
        format!("attachment; filename=\"session-{FULL_SESSION}-registrants.csv\"")
    );
    assert_eq!(got.header("cache-control"), "no-store");
    assert!(!got.header("x-request-id").is_empty(), "a request id");
    assert!(got.body.ends_with("\r\n"), "CRLF line ends");
    assert!(
        !got.body.replace("\r\n", "").contains('\n'),
        "no bare LF outside quotes"
    );
    let records = got.records();
    assert_eq!(records[0], REGISTRANT_COLUMNS);
    // Registration date order (the API's default), every registration of the session.
    let tickets: Vec<&str> = records[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        tickets,
        ["1000", "1001", "1002", "1003", "1004", "1005", "1006"]
    );
    assert_eq!(
        records[1],
        [
            "1000",
            "100",
            "Alice",
            "Zephyr",
            "alice@example.org",
            // A phone number starting with `+` is what a spreadsheet would compute.
            "'+1-555-0100",
            "true",
            "2026-11-01T10:00:00Z",
            "REGISTERED",
            "1800",
            "50",
            "0",
            "0",
            "0",
            "0",
        ]
    );
    let header = &records[0];
    // Engagement is capped at 100, as in the API; Interested holders are listed too.
    assert_eq!(cell(header, &records[2], "engagement"), "100");
    assert_eq!(cell(header, &records[3], "registrationType"), "INTERESTED");
    assert_eq!(cell(header, &records[3], "attended"), "false");
    // Dave (ticket 1003) has no phone number: an empty cell.
    assert_eq!(cell(header, &records[4], "phoneNumber"), "");
}

#[tokio::test]
async fn the_csv_has_the_same_registrants_and_values_as_the_api() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    let reply = app
        .query(
            Some(&token),
            "query($id: ID!) { session(id: $id) { registeredHolderUsers(first: 100) { nodes {
               eventTicketId userId firstName lastName email phoneNumber attended
               registrationDate registrationType watchTimeSeconds engagement } } } }",
            json!({ "id": FULL_SESSION.to_string() }),
        )
        .await;
    let nodes = reply.data()["session"]["registeredHolderUsers"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    let records = download(&app, Some(&token), &registrants_path(FULL_SESSION))
        .await
        .records();
    assert_eq!(records.len(), nodes.len() + 1);
    for (node, record) in nodes.iter().zip(&records[1..]) {
        for (i, column) in REGISTRANT_COLUMNS[..11].iter().enumerate() {
            let expected = match &node[column] {
                Value::Null => String::new(),
                Value::String(s) if s.starts_with('+') => format!("'{s}"),
                Value::String(s) => s.clone(),
                Value::Number(n) => n
                    .as_f64()
                    .map(|f| f.to_string())
                    .unwrap_or_else(|| n.to_string()),
                other => other.to_string(),
            };
            assert_eq!(record[i], expected, "{column} of {node}");
        }
    }
}

#[tokio::test]
async fn an_events_sessions_table_has_its_counts_and_an_empty_duration_without_video() {
    let app = spawn_with_fixture().await;
    let got = download_as(&app, EVENT_ADMIN, &sessions_path(EVENT_A)).await;
    assert_eq!(
        got.header("content-disposition"),
        format!("attachment; filename=\"event-{EVENT_A}-sessions.csv\"")
    );
    let records = got.records();
    assert_eq!(records[0], SESSION_COLUMNS);
    assert_eq!(records.len(), 3, "event A's two sessions: {records:?}");
    assert_eq!(
        records[1],
        [
            "100",
            "Keynote",
            "2026-12-01T10:00:00Z",
            "2026-12-01T11:00:00Z",
            "6",
            "1",
            "3",
            "3600",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
        ]
    );
    let header = &records[0];
    assert_eq!(cell(header, &records[2], "id"), BARE_SESSION.to_string());
    assert_eq!(cell(header, &records[2], "duration"), "");
    assert_eq!(cell(header, &records[2], "registeredCount"), "2");
}

#[tokio::test]
async fn the_figures_columns_come_from_the_viewer_and_video_stats_and_are_zero_without_a_row() {
    let app = spawn_with_fixture().await;
    // Helper rows as the derivation would write them (user 100 is Alice, ticket 1000).
    execute(
        &app.db,
        &format!(
            "INSERT INTO session_viewer_stats \
             (session_id, user_id, live_seconds, recording_seconds, attended, live_views, recording_views) \
             VALUES ({FULL_SESSION}, 100, 1250, 340, TRUE, 2, 1), ({FULL_SESSION}, 102, 0, 45, FALSE, 0, 1)"
        ),
    )
    .await;
    execute(
        &app.db,
        &format!(
            "INSERT INTO session_video_stats (session_id, live_views, recording_views, \
             live_viewers, recording_viewers, unique_live_viewers, unique_recording_viewers, \
             live_seconds, recording_seconds, joins, leaves, check_ins, chat_messages, \
             questions, poll_votes, peak_concurrent_viewers, peak_at) \
             VALUES ({FULL_SESSION}, 7, 3, 4, 2, 3, 2, 1000, 90, 9, 8, 5, 12, 4, 6, 11, 1796205600)"
        ),
    )
    .await;
    let records = download_as(&app, ORG_ADMIN, &registrants_path(FULL_SESSION))
        .await
        .records();
    let header = &records[0];
    let by_ticket = |ticket: &str| {
        records[1..]
            .iter()
            .find(|r| r[0] == ticket)
            .unwrap_or_else(|| panic!("ticket {ticket}"))
    };
    let figures = |record: &[String]| -> Vec<String> {
        [
            "liveWatchSeconds",
            "recordingWatchSeconds",
            "liveViews",
            "recordingViews",
        ]
        .iter()
        .map(|c| cell(header, record, c).to_owned())
        .collect()
    };
    assert_eq!(figures(by_ticket("1000")), ["1250", "340", "2", "1"]);
    assert_eq!(figures(by_ticket("1002")), ["0", "45", "0", "1"]);
    assert_eq!(figures(by_ticket("1001")), ["0", "0", "0", "0"], "no row");

    let records = download_as(&app, ORG_ADMIN, &sessions_path(EVENT_A))
        .await
        .records();
    let keynote: Vec<&str> = records[1][8..].iter().map(String::as_str).collect();
    assert_eq!(
        keynote,
        [
            "7", "3", "3", "2", "250", "45", "1090", "12", "4", "6", "5", "11"
        ]
    );
    let bare: Vec<&str> = records[2][8..].iter().map(String::as_str).collect();
    assert_eq!(bare, ["0"; 12], "no row: zeros");
}

// Quoting and formula neutralisation

#[tokio::test]
async fn hostile_names_are_quoted_per_rfc_4180_and_formulas_are_neutralised() {
    let app = spawn_with_fixture().await;
    // (first name, last name, what the CSV cell must read back as)
    let hostile: [(&str, &str, &str); 11] = [
        (
            "=HYPERLINK(\"http://x\")",
            "Link",
            "'=HYPERLINK(\"http://x\")",
        ),
        ("+1", "Plus", "'+1"),
        ("-2", "Minus", "'-2"),
        ("@SUM(A1)", "At", "'@SUM(A1)"),
        ("\tx", "Tab", "'\tx"),
        ("\rx", "Return", "'\rx"),
        ("Smith, Jr.", "Comma", "Smith, Jr."),
        ("say \"hi\"", "Quote", "say \"hi\""),
        ("two\nlines", "Newline", "two\nlines"),
        ("Zoë 山田 Łukasz", "Unicode", "Zoë 山田 Łukasz"),
        ("=1+1,\"x\"\r\n", "Everything", "'=1+1,\"x\"\r\n"),
    ];
    let mut users = Vec::new();
    let mut tickets = Vec::new();
    let mut registrations = Vec::new();
    for (i, (first, last, _)) in hostile.iter().enumerate() {
        let id = 300 + i as i64;
        users.push(user_row(
            id,
            &format!("h{id}@example.org"),
            first,
            last,
            Role::Attendee,
        ));
        tickets.push(ticket(id, id, id));
        registrations.push(registration(
            id,
            FULL_SESSION,
            id,
            RegistrationType::Registered,
            20 + (i as u32 % 8),
            false,
            0,
        ));
    }
    // An email that is itself a formula, and a title with every special character.
    users[1].email = "=cmd|' /C calc'!A0@example.org".into();
    insert::<user::Entity, _>(&app.db, &users).await;
    insert::<event_ticket::Entity, _>(&app.db, &tickets).await;
    insert::<session_registration::Entity, _>(&app.db, &registrations).await;
    execute(
        &app.db,
        &format!(
            "UPDATE sessions SET title = '-1+2, \"Q&A\"' || CHAR(10) || 'day' WHERE id = {BARE_SESSION}"
        )
        .replace(
            "CHAR(10)",
            if app.db.get_database_backend() == sea_orm::DbBackend::Postgres {
                "CHR(10)"
            } else {
                "CHAR(10)"
            },
        ),
    )
    .await;

    let got = download_as(&app, SUPER, &registrants_path(FULL_SESSION)).await;
    // The raw bytes: the quote mark goes inside the quotes, quotes are doubled.
    for raw in [
        "\"'=HYPERLINK(\"\"http://x\"\")\",Link,",
        ",'+1,Plus,",
        ",'-2,Minus,",
        ",'@SUM(A1),At,",
        ",'\tx,Tab,",
        ",\"'\rx\",Return,",
        ",\"Smith, Jr.\",Comma,",
        ",\"say \"\"hi\"\"\",Quote,",
        ",\"two\nlines\",Newline,",
        ",Zoë 山田 Łukasz,Unicode,",
        ",\"'=1+1,\"\"x\"\"\r\n\",Everything,",
        ",'=cmd|' /C calc'!A0@example.org,",
    ] {
        assert!(got.body.contains(raw), "{raw:?} in {:?}", got.body);
    }
    let records = got.records();
    let header = &records[0];
    for (first, last, expected) in hostile {
        let record = records
            .iter()
            .find(|r| cell(header, r, "lastName") == last)
            .unwrap_or_else(|| panic!("{first:?}"));
        assert_eq!(cell(header, record, "firstName"), expected);
        assert_eq!(record.len(), REGISTRANT_COLUMNS.len(), "{record:?}");
    }
    // No cell of the file begins with a formula character.
    for record in &records {
        for value in record {
            assert!(
                !value.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{value:?} in {record:?}"
            );
        }
    }

    let records = download_as(&app, SUPER, &sessions_path(EVENT_A))
        .await
        .records();
    assert_eq!(records[2][1], "'-1+2, \"Q&A\"\nday");
}

// Who may download

#[tokio::test]
async fn without_a_token_the_export_is_refused_with_401_and_a_bearer_challenge() {
    let app = spawn_with_fixture().await;
    for path in [registrants_path(FULL_SESSION), sessions_path(EVENT_A)] {
        let got = download(&app, None, &path).await;
        let body = got.refusal(401, "UNAUTHENTICATED");
        assert_eq!(body["errors"][0]["extensions"]["status"], 401);
        assert_eq!(got.header("www-authenticate"), "Bearer");
    }
    let got = download(&app, Some("not-a-token"), &registrants_path(FULL_SESSION)).await;
    got.refusal(401, "UNAUTHENTICATED");
    assert_eq!(got.header("www-authenticate"), CHALLENGE);
}

#[tokio::test]
async fn ingest_accounts_and_other_roles_are_refused_as_by_the_api() {
    let app = spawn_with_fixture().await;
    insert::<user::Entity, _>(
        &app.db,
        &[user_row(
            50,
            "ingest-a@test.dev",
            "Ingest",
            "A",
            Role::Ingest,
        )],
    )
    .await;
    insert::<event_admin::Entity, _>(
        &app.db,
        &[event_admin::Model {
            event_id: EVENT_A,
            user_id: 50,
        }],
    )
    .await;
    for who in [INGEST_A, ATTENDEE, fixture::STAFF] {
        for path in [registrants_path(FULL_SESSION), sessions_path(EVENT_A)] {
            let got = download_as(&app, who, &path).await;
            let body = got.refusal(403, "FORBIDDEN");
            assert_eq!(body["errors"][0]["extensions"]["status"], 403, "{who:?}");
        }
    }
}

#[tokio::test]
async fn a_host_of_another_event_gets_not_event_host() {
    let app = spawn_with_fixture().await;
    for (who, path) in [
        (EVENT_B_ADMIN, registrants_path(FULL_SESSION)),
        (EVENT_ADMIN, registrants_path(SESSION_B)),
        (ORG2_ADMIN, sessions_path(EVENT_A)),
        (ORG_ADMIN, sessions_path(EVENT_C)),
    ] {
        let got = download_as(&app, who, &path).await;
        let body = got.refusal(403, "NOT_EVENT_HOST");
        assert_eq!(body["errors"][0]["extensions"]["status"], 4_030_201);
    }
    // Each of the three host roles of event A may download.
    for who in [SUPER, ORG_ADMIN, EVENT_ADMIN] {
        for path in [registrants_path(FULL_SESSION), sessions_path(EVENT_A)] {
            assert_eq!(download_as(&app, who, &path).await.status, StatusCode::OK);
        }
    }
}

#[tokio::test]
async fn unknown_ids_get_the_apis_not_found_codes_and_malformed_ids_bad_request() {
    let app = spawn_with_fixture().await;
    let got = download_as(&app, SUPER, &registrants_path(999)).await;
    got.refusal(404, "SESSION_NOT_FOUND");
    let got = download_as(&app, SUPER, &sessions_path(999)).await;
    got.refusal(404, "EVENT_NOT_FOUND");
    for id in ["abc", "0", "-1", "99999999999999999999"] {
        let got = download_as(
            &app,
            SUPER,
            &format!("/export/sessions/{id}/registrants.csv"),
        )
        .await;
        got.refusal(400, "BAD_REQUEST");
    }
    // The role guard comes first, as in the API: an INGEST token learns nothing.
    insert::<user::Entity, _>(
        &app.db,
        &[user_row(
            50,
            "ingest-a@test.dev",
            "Ingest",
            "A",
            Role::Ingest,
        )],
    )
    .await;
    download_as(&app, INGEST_A, &registrants_path(999))
        .await
        .refusal(403, "FORBIDDEN");
}

#[tokio::test]
async fn exports_spend_the_same_operation_budget_as_the_api() {
    let app = spawn_fixture_with(|config| config.rate_limits.operations_per_minute = 2).await;
    let token = app.token(SUPER.0, SUPER.1);
    app.query(Some(&token), "{ viewer { userId } }", json!({}))
        .await
        .data();
    assert_eq!(
        download(&app, Some(&token), &registrants_path(FULL_SESSION))
            .await
            .status,
        StatusCode::OK
    );
    let got = download(&app, Some(&token), &sessions_path(EVENT_A)).await;
    let body = got.refusal(429, "RATE_LIMITED");
    let retry: u64 = got
        .header("retry-after")
        .parse()
        .expect("Retry-After seconds");
    assert!(retry >= 1, "{retry}");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry);
    // And the API sees the spent budget too.
    let reply = app
        .query(Some(&token), "{ viewer { userId } }", json!({}))
        .await;
    assert_eq!(reply.error_code(), "RATE_LIMITED");
}

// Paging and streaming

#[tokio::test]
async fn small_pages_give_the_same_file_as_one_page_ties_included() {
    let one_page = spawn_with_fixture().await;
    let small = spawn_fixture_with(|config| config.limits.export_page_rows = 2).await;
    for app in [&one_page, &small] {
        // Five registrations at the same moment: only the id orders them, across pages.
        add_registrants(&app.db, FULL_SESSION, 400, 5).await;
    }
    for path in [
        registrants_path(FULL_SESSION), // 12 rows: 6 full pages, then an empty one
        registrants_path(BARE_SESSION), // 2 rows: one full page, then an empty one
        registrants_path(SESSION_B),    // none: the header alone
        sessions_path(EVENT_A),         // 2 sessions
    ] {
        let expected = download_as(&one_page, SUPER, &path).await;
        let paged = download_as(&small, SUPER, &path).await;
        assert_eq!(paged.status, StatusCode::OK, "{path}: {}", paged.body);
        assert_eq!(paged.body, expected.body, "{path}");
        assert!(
            paged.headers.get("content-length").is_none(),
            "{path}: streamed, so no length up front"
        );
    }
    let records = download_as(&small, SUPER, &registrants_path(FULL_SESSION))
        .await
        .records();
    let tickets: Vec<&str> = records[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        tickets,
        [
            "1000", "1001", "1002", "1003", "1004", "1005", "1006", "400", "401", "402", "403",
            "404"
        ]
    );
    let empty = download_as(&small, SUPER, &registrants_path(SESSION_B))
        .await
        .records();
    assert_eq!(empty, [REGISTRANT_COLUMNS]);
}

#[tokio::test]
async fn more_than_a_thousand_registrants_stream_in_default_pages_each_once_in_order() {
    let app = spawn_with_fixture().await;
    add_registrants(&app.db, BARE_SESSION, 10_000, 2_001).await;
    let records = download_as(&app, EVENT_ADMIN, &registrants_path(BARE_SESSION))
        .await
        .records();
    assert_eq!(records.len(), 1 + 2 + 2_001);
    let tickets: Vec<i64> = records[1..]
        .iter()
        .map(|r| r[0].parse().expect("a ticket id"))
        .collect();
    let mut expected = vec![1000, 1005];
    expected.extend(10_000..12_001);
    assert_eq!(tickets, expected);
}

/// Log lines written on this thread (the test runtime runs the server on it), as JSON.
struct Logs {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

#[derive(Clone)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Logs {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink(buffer.clone());
    let subscriber =
        logging::subscriber(LogFormat::Json, "info", move || sink.clone()).expect("a filter");
    Logs {
        buffer,
        _guard: tracing::subscriber::set_default(subscriber),
    }
}

impl Logs {
    fn lines(&self) -> Vec<Value> {
        let text = String::from_utf8(self.buffer.lock().expect("logs").clone()).expect("UTF-8");
        text.lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }

    /// The lines whose message is `message`.
    fn with_message(&self, message: &str) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|line| line["fields"]["message"] == message)
            .collect()
    }
}

#[tokio::test]
async fn a_client_that_goes_away_mid_stream_stops_the_export_quietly_and_frees_its_connection() {
    let logs = capture_logs();
    // One row per page: thousands of pages, so the download is surely still running.
    let app = spawn_fixture_with(|config| config.limits.export_page_rows = 1).await;
    add_registrants(&app.db, BARE_SESSION, 10_000, 3_000).await;
    let token = app.token(SUPER.0, SUPER.1);
    let mut ids = Vec::new();
    // More aborted downloads than the pool (5) has connections.
    for _ in 0..8 {
        let response = app
            .client
            .get(app.url(&registrants_path(BARE_SESSION)))
            .bearer_auth(&token)
            .send()
            .await
            .expect("the response starts");
        assert_eq!(response.status(), StatusCode::OK);
        ids.push(
            response.headers()["x-request-id"]
                .to_str()
                .expect("an id")
                .to_owned(),
        );
        let mut body = response.bytes_stream();
        let first = body.next().await.expect("a chunk").expect("bytes");
        assert!(first.starts_with(b"eventTicketId,"));
        drop(body);
    }
    // The server notices each closed connection on its next write.
    let stopped = || logs.with_message("csv export stopped: the client went away");
    for _ in 0..100 {
        if stopped().len() == ids.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stopped = stopped();
    assert_eq!(stopped.len(), ids.len(), "one line per download");
    for line in &stopped {
        assert!(
            ids.contains(
                &line["span"]["request_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            ),
            "{line}"
        );
    }
    assert!(
        logs.lines().iter().all(|line| line["level"] != "ERROR"),
        "no error logged"
    );
    // The pool has its connections back: a whole download and a query still work.
    let whole = download(&app, Some(&token), &registrants_path(FULL_SESSION)).await;
    assert_eq!(whole.records().len(), 8);
    app.query(Some(&token), "{ viewer { userId } }", json!({}))
        .await
        .data();
}

#[tokio::test]
async fn a_failure_after_the_first_page_cuts_the_download_short_and_is_logged_with_the_request_id()
{
    let logs = capture_logs();
    let app = spawn_fixture_with(|config| config.limits.export_page_rows = 2).await;
    // A registration the server cannot read, on the session's last page.
    add_registrants(&app.db, FULL_SESSION, 400, 1).await;
    execute(
        &app.db,
        "UPDATE session_registrations SET registration_type = 'BROKEN' WHERE id = 400",
    )
    .await;
    let response = app
        .client
        .get(app.url(&registrants_path(FULL_SESSION)))
        .bearer_auth(app.token(SUPER.0, SUPER.1))
        .send()
        .await
        .expect("the response starts");
    assert_eq!(response.status(), StatusCode::OK, "the first page was fine");
    let id = response.headers()["x-request-id"]
        .to_str()
        .expect("an id")
        .to_owned();
    let mut body = response.bytes_stream();
    let mut received = Vec::new();
    let mut failed = false;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(bytes) => received.extend_from_slice(&bytes),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(
        failed,
        "the client sees an incomplete body, not a short file"
    );
    let text = String::from_utf8(received).expect("UTF-8");
    assert!(text.starts_with("eventTicketId,"), "{text}");
    assert!(!text.to_lowercase().contains("select"), "no SQL: {text}");
    let failures = logs.with_message("csv export failed mid-stream; the response is cut short");
    assert_eq!(failures.len(), 1, "{:?}", logs.lines());
    assert_eq!(failures[0]["span"]["request_id"], id.as_str());
}

#[tokio::test]
async fn a_failure_on_the_first_page_is_an_internal_error_without_detail() {
    let app = spawn_with_fixture().await;
    execute(
        &app.db,
        "UPDATE session_registrations SET registration_type = 'BROKEN' WHERE id = 1",
    )
    .await;
    let got = download_as(&app, SUPER, &registrants_path(FULL_SESSION)).await;
    let body = got.refusal(500, "INTERNAL");
    assert_eq!(body["errors"][0]["message"], "internal error");
}
