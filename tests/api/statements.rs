//! The number of SQL statements a request runs does not grow with the rows it returns.
//!
//! Every relation goes through a DataLoader, so a request costs one statement per
//! relation per level, however many sessions, speakers or registrants it returns.
//! (The test runtime is single-threaded, which makes the batches deterministic.)

use chrono::Duration;
use serde_json::json;
use session_analytics::entity::{
    enums::RegistrationType, event_ticket, mux_asset, session, session_registration,
    session_speaker, session_sponsor, speaker, speaker_ticket_type, sponsor, user,
};

use crate::{fixture::*, helpers::TestApp};

/// Statements of the sessions-table query below as an event admin: the event with the
/// viewer and their event-admin assignments (1), session page (1), session count (1),
/// stats (1), viewer tickets (1), viewer presence (1), speakers (1), speaker ticket
/// types (1), sponsors (1), assets (1), asset creators (1), registrant pages (1). The
/// registrant counts are unsearched: the counters the stats statement reads answer them.
const SESSIONS_TABLE_STATEMENTS: u64 = 12;

const SESSIONS_TABLE: &str = r#"query($id: ID!) {
  event(id: $id) {
    sessions(first: 50) {
      totalCount
      nodes {
        id title status currentUserRegisteredEventTicketId
        stats { registeredCount interestedCount attendeeCount }
        attendeeCount
        speakers { firstName ticketTypesForSpeaker { name } }
        sponsors { name }
        assetList { assetId createdBy { email } }
        registeredHolderUsers(first: 5, orderBy: ENGAGEMENT_DESC) { totalCount nodes { email engagement } }
      }
    }
  }
}"#;

/// Adds `n` sessions to event B, each with two speakers (with ticket types), two
/// sponsors, two assets with creators and three registrants.
async fn add_sessions(app: &TestApp, n: i64) {
    let mut sessions = Vec::new();
    let (mut users, mut speakers, mut links, mut stt, mut sponsors, mut ss, mut assets) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let (mut tickets, mut registrations) = (Vec::new(), Vec::new());
    for i in 0..n {
        let id = 10_000 + i;
        let mut s = bare_session(
            id,
            EVENT_B,
            &format!("Generated {i}"),
            t(10, 9) + Duration::minutes(i),
        );
        s.duration_seconds = Some(600);
        sessions.push(s);
        for k in 0..2 {
            let n = id * 10 + k;
            users.push(user_row(
                n,
                &format!("u{n}@gen.test"),
                "Gen",
                &format!("User{n}"),
                session_analytics::entity::enums::Role::Speaker,
            ));
            speakers.push(bare_speaker(n, EVENT_B, n, "Gen", &format!("Speaker{n}")));
            links.push(session_speaker::Model {
                session_id: id,
                speaker_id: n,
                position: k as i32,
                moderator: false,
                show_moderator: false,
            });
            stt.push(speaker_ticket_type::Model {
                speaker_id: n,
                ticket_type_id: 10,
            });
            sponsors.push(sponsor::Model {
                id: n,
                event_id: EVENT_B,
                name: format!("Sponsor {n}"),
                logo_url: None,
                website: None,
                size: None,
            });
            ss.push(session_sponsor::Model {
                session_id: id,
                sponsor_id: n,
                position: k as i32,
            });
            assets.push(mux_asset::Model {
                id: n,
                session_id: id,
                asset_id: format!("asset-{n}"),
                playback_id: None,
                file_name: None,
                duration_seconds: Some(600),
                created_at: t(10, 12),
                created_by_user_id: Some(n),
            });
        }
        for k in 0..3 {
            let n = id * 10 + k;
            tickets.push(event_ticket::Model {
                id: n,
                event_id: EVENT_B,
                ticket_type_id: 10,
                holder_user_id: id * 10 + (k % 2),
                purchaser_user_id: id * 10,
                created_at: t(1, 1),
            });
            registrations.push(session_registration::Model {
                id: n,
                session_id: id,
                event_ticket_id: n,
                registration_type: RegistrationType::Registered,
                registered_at: t(1, 1),
                attended: k != 2,
                watch_time_seconds: 100 * k as i32,
            });
        }
    }
    let db = &app.db;
    insert::<session::Entity, _>(db, &sessions).await;
    insert::<user::Entity, _>(db, &users).await;
    insert::<speaker::Entity, _>(db, &speakers).await;
    insert::<session_speaker::Entity, _>(db, &links).await;
    insert::<speaker_ticket_type::Entity, _>(db, &stt).await;
    insert::<sponsor::Entity, _>(db, &sponsors).await;
    insert::<session_sponsor::Entity, _>(db, &ss).await;
    insert::<mux_asset::Entity, _>(db, &assets).await;
    insert::<event_ticket::Entity, _>(db, &tickets).await;
    insert::<session_registration::Entity, _>(db, &registrations).await;
}

async fn sessions_table_statements(sessions: i64) -> u64 {
    let app = spawn_with_fixture().await;
    add_sessions(&app, sessions).await;
    // The event admin of B holds a ticket for every generated session, so `status`
    // also reaches the presence query.
    let token = app.token(EVENT_B_ADMIN.0, EVENT_B_ADMIN.1);
    let mut tickets = Vec::new();
    let mut registrations = Vec::new();
    for i in 0..sessions {
        let id = 90_000 + i;
        tickets.push(event_ticket::Model {
            id,
            event_id: EVENT_B,
            ticket_type_id: 10,
            holder_user_id: EVENT_B_ADMIN.0,
            purchaser_user_id: EVENT_B_ADMIN.0,
            created_at: t(1, 1),
        });
        registrations.push(session_registration::Model {
            id,
            session_id: 10_000 + i,
            event_ticket_id: id,
            registration_type: RegistrationType::Registered,
            registered_at: t(1, 2),
            attended: false,
            watch_time_seconds: 0,
        });
    }
    insert::<event_ticket::Entity, _>(&app.db, &tickets).await;
    insert::<session_registration::Entity, _>(&app.db, &registrations).await;

    let (count, reply) = app
        .count_statements(&token, SESSIONS_TABLE, json!({ "id": EVENT_B.to_string() }))
        .await;
    let nodes = reply.data()["event"]["sessions"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    // The session that event B already had, plus the generated ones (up to the page size).
    assert_eq!(nodes.len() as i64, (sessions + 1).min(50));
    let generated = nodes
        .iter()
        .find(|n| n["title"] == "Generated 0")
        .expect("a generated session");
    assert_eq!(generated["speakers"].as_array().expect("speakers").len(), 2);
    assert_eq!(
        generated["speakers"][0]["ticketTypesForSpeaker"][0]["name"],
        "General"
    );
    assert_eq!(generated["sponsors"].as_array().expect("sponsors").len(), 2);
    assert_eq!(
        generated["assetList"][1]["createdBy"]["email"],
        format!("u{}@gen.test", 10_000 * 10 + 1)
    );
    assert_eq!(
        generated["stats"],
        json!({ "registeredCount": 4, "interestedCount": 0, "attendeeCount": 2 })
    );
    assert_eq!(generated["registeredHolderUsers"]["totalCount"], 4);
    assert_eq!(generated["status"], "REGISTERED");
    count
}

#[tokio::test]
async fn the_sessions_table_runs_the_same_statements_for_3_sessions_as_for_more_than_a_page() {
    let few = sessions_table_statements(3).await;
    // 61 sessions with event B's own: a full page of 50 and more behind it.
    let many = sessions_table_statements(60).await;
    assert_eq!(
        few, many,
        "statement count grew with the number of sessions"
    );
    assert_eq!(few, SESSIONS_TABLE_STATEMENTS);
}

#[tokio::test]
async fn nested_lists_across_events_batch_into_one_statement_per_relation() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    let query = "{ events(first: 10) { nodes { sessions { totalCount nodes { speakers { firstName } registeredHolderUsers(first: 2) { totalCount nodes { email } } } } } } }";
    let (before, _) = app.count_statements(&token, query, json!({})).await;
    add_sessions(&app, 20).await;
    let (after, reply) = app.count_statements(&token, query, json!({})).await;
    assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    assert_eq!(before, after);
    // access, events page, then per level: session pages, session counts, speakers,
    // registrant pages, registrant counts.
    assert_eq!(after, 7);
}

/// A registrant search runs outside sea-orm on PostgreSQL (as an unnamed statement, so
/// that it is planned for its term: `db::planned`); its statements still count, here
/// and in the request's telemetry. The search adds exactly two statements (the page and
/// the count each look up the sessions' search indexes first); its page and its count
/// replace the unsearched ones. Uncounted, the searched request would show 4.
#[tokio::test]
async fn a_registrant_search_counts_its_statements_like_any_other() {
    let app = spawn_with_fixture().await;
    add_sessions(&app, 3).await;
    let token = app.token(EVENT_B_ADMIN.0, EVENT_B_ADMIN.1);
    let query = |search: &str| {
        format!(
            r#"query($id: ID!) {{ event(id: $id) {{ sessions(first: 50) {{ nodes {{ title
              registeredHolderUsers(first: 5{search}) {{ totalCount nodes {{ email }} }} }} }} }} }}"#
        )
    };
    let variables = json!({ "id": EVENT_B.to_string() });
    let (unsearched, _) = app
        .count_statements(&token, &query(""), variables.clone())
        .await;
    let (searched, reply) = app
        .count_statements(&token, &query(r#", search: "GEN.TEST""#), variables)
        .await;
    assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    let generated = reply.data()["event"]["sessions"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["title"] == "Generated 0")
        .expect("a generated session")
        .clone();
    // The three generated registrants match the search (case-insensitive).
    assert_eq!(generated["registeredHolderUsers"]["totalCount"], 3);
    assert_eq!(unsearched, 4);
    assert_eq!(searched, unsearched + 2);
}

/// A session read on its own brings its counters in the same statement when the
/// selection shows them: `stats`, `attendeeCount` and the unsearched `totalCount`s
/// (attended or not) add nothing to the statements of the same lists without them (the
/// session's, and a page each). A searched total still counts on its own.
#[tokio::test]
async fn a_session_s_counters_come_with_the_session() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    let variables = json!({ "id": FULL_SESSION.to_string() });
    let lists = |total: &str| {
        format!(
            "all: registeredHolderUsers(first: 2) {{ {total} nodes {{ email }} }}
             joined: registeredHolderUsers(first: 2, attended: true) {{ {total} nodes {{ email }} }}
             absent: registeredHolderUsers(first: 2, attended: false) {{ {total} nodes {{ email }} }}"
        )
    };
    let query =
        |fields: &str| format!("query($id: ID!) {{ session(id: $id) {{ title {fields} }} }}");
    // Warm: the first request of a server also reads what later ones find cached.
    app.count_statements(&token, &query(""), variables.clone())
        .await;
    let (uncounted, _) = app
        .count_statements(&token, &query(&lists("")), variables.clone())
        .await;
    let counted = format!(
        "stats {{ registeredCount interestedCount attendeeCount }} attendeeCount {}",
        lists("totalCount")
    );
    let (with_counters, reply) = app
        .count_statements(&token, &query(&counted), variables.clone())
        .await;
    assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    let session = &reply.data()["session"];
    let total = |list: &str| session[list]["totalCount"].as_i64().unwrap_or(-1);
    assert!(total("all") > 0, "the fixture's session has registrants");
    assert_eq!(total("all"), total("joined") + total("absent"));
    let searched = r#"found: registeredHolderUsers(first: 0, search: "a") { totalCount }"#;
    let (with_search, _) = app
        .count_statements(&token, &query(&format!("{counted} {searched}")), variables)
        .await;
    // The session, then one page per list.
    assert_eq!(uncounted, 4);
    assert_eq!(with_counters, uncounted);
    assert!(
        with_search > with_counters,
        "{with_search} > {with_counters}"
    );
}
