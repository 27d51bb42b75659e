//! Who may read what: roles against their own event, another event and another organizer.

use serde_json::json;
use session_analytics::entity::enums::Role;

use crate::fixture::*;

const SESSION_TITLE: &str = "query($id: ID!) { session(id: $id) { id title } }";
const EVENT_NAME: &str = "query($id: ID!) { event(id: $id) { id name } }";

/// `None` = allowed; `Some(code)` = refused with that code.
async fn outcome(
    app: &crate::helpers::TestApp,
    who: (i64, Role),
    query: &str,
    id: i64,
) -> Option<String> {
    let token = app.token(who.0, who.1);
    let reply = app
        .query(Some(&token), query, json!({ "id": id.to_string() }))
        .await;
    if reply.body.get("errors").is_some() {
        assert!(
            reply.body["data"].is_null()
                || reply.body["data"]
                    .as_object()
                    .is_some_and(|d| d.values().all(|v| v.is_null())),
            "a refused request must carry no data: {}",
            reply.body
        );
        Some(reply.error_code().to_owned())
    } else {
        None
    }
}

#[tokio::test]
async fn each_role_reads_exactly_the_sessions_and_events_it_hosts() {
    let app = spawn_with_fixture().await;
    let forbidden = Some("FORBIDDEN".to_string());
    let not_host = Some("NOT_EVENT_HOST".to_string());
    // (who, session A, session B (same organizer), session C (other organizer))
    let table = [
        (SUPER, None, None, None),
        (ORG_ADMIN, None, None, not_host.clone()),
        (EVENT_ADMIN, None, not_host.clone(), not_host.clone()),
        (EVENT_B_ADMIN, not_host.clone(), None, not_host.clone()),
        (ORG2_ADMIN, not_host.clone(), not_host.clone(), None),
        (
            ATTENDEE,
            forbidden.clone(),
            forbidden.clone(),
            forbidden.clone(),
        ),
        (
            STAFF,
            forbidden.clone(),
            forbidden.clone(),
            forbidden.clone(),
        ),
    ];
    for (who, a, b, c) in table {
        for (session, event, expected) in [
            (FULL_SESSION, EVENT_A, a),
            (SESSION_B, EVENT_B, b),
            (SESSION_C, EVENT_C, c),
        ] {
            assert_eq!(
                outcome(&app, who, SESSION_TITLE, session).await,
                expected,
                "{who:?} reading session {session}"
            );
            assert_eq!(
                outcome(&app, who, EVENT_NAME, event).await,
                expected,
                "{who:?} reading event {event}"
            );
        }
    }
}

#[tokio::test]
async fn events_lists_only_hosted_events_newest_first() {
    let app = spawn_with_fixture().await;
    let query = "{ events { totalCount nodes { id } } }";
    for (who, expected) in [
        (SUPER, vec!["11", "20", "10"]),
        (ORG_ADMIN, vec!["11", "10"]),
        (EVENT_ADMIN, vec!["10"]),
        (ORG2_ADMIN, vec!["20"]),
    ] {
        let reply = app
            .query(Some(&app.token(who.0, who.1)), query, json!({}))
            .await;
        let data = reply.data();
        let ids: Vec<&str> = data["events"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["id"].as_str().expect("id"))
            .collect();
        assert_eq!(ids, expected, "{who:?}");
        assert_eq!(
            data["events"]["totalCount"],
            json!(expected.len()),
            "{who:?}"
        );
    }
    let reply = app
        .query(Some(&app.token(ATTENDEE.0, ATTENDEE.1)), query, json!({}))
        .await;
    assert_eq!(reply.error_code(), "FORBIDDEN");
}

#[tokio::test]
async fn anonymous_requests_get_unauthenticated_for_event_data() {
    let app = spawn_with_fixture().await;
    for query in [
        "{ session(id: \"100\") { id } }",
        "{ event(id: \"10\") { id } }",
        "{ events { totalCount } }",
        "{ viewer { email } }",
    ] {
        let reply = app.query(None, query, json!({})).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.error_code(), "UNAUTHENTICATED", "{query}");
        assert_eq!(reply.body["errors"][0]["extensions"]["status"], 401);
    }
}

#[tokio::test]
async fn unknown_ids_get_not_found_codes_and_malformed_ids_bad_request() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    let cases = [
        (SESSION_TITLE, "999999", "SESSION_NOT_FOUND", 404_800),
        (EVENT_NAME, "999999", "EVENT_NOT_FOUND", 4_040_200),
        (SESSION_TITLE, "abc", "BAD_REQUEST", 400),
        (EVENT_NAME, "-1", "BAD_REQUEST", 400),
    ];
    for (query, id, code, status) in cases {
        let reply = app.query(Some(&token), query, json!({ "id": id })).await;
        assert_eq!(reply.error_code(), code, "{query} {id}");
        assert_eq!(reply.body["errors"][0]["extensions"]["status"], status);
    }
}

#[tokio::test]
async fn non_host_admins_get_not_event_host_with_the_contract_status() {
    let app = spawn_with_fixture().await;
    let reply = app
        .query(
            Some(&app.token(EVENT_ADMIN.0, EVENT_ADMIN.1)),
            SESSION_TITLE,
            json!({ "id": SESSION_C.to_string() }),
        )
        .await;
    assert_eq!(reply.error_code(), "NOT_EVENT_HOST");
    assert_eq!(reply.body["errors"][0]["extensions"]["status"], 4_030_201);
    assert!(
        !reply.body.to_string().contains("C session"),
        "no data of other events: {}",
        reply.body
    );
}

#[tokio::test]
async fn nested_sessions_and_registrants_stay_within_hosted_events() {
    let app = spawn_with_fixture().await;
    let token = app.token(EVENT_ADMIN.0, EVENT_ADMIN.1);
    let reply = app
        .query(
            Some(&token),
            "{ events { nodes { id sessions { nodes { id registeredHolderUsers { totalCount } } } } } }",
            json!({}),
        )
        .await;
    let data = reply.data();
    let session_ids: Vec<&str> = data["events"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .flat_map(|e| e["sessions"]["nodes"].as_array().expect("sessions").iter())
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    assert_eq!(session_ids, ["100", "101"]);
}

#[tokio::test]
async fn a_demoted_user_loses_access_at_once_and_a_deleted_user_is_unauthenticated() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    use session_analytics::entity::user;
    let app = spawn_with_fixture().await;
    let token = app.token(ORG_ADMIN.0, ORG_ADMIN.1);
    user::ActiveModel {
        id: Set(ORG_ADMIN.0),
        role: Set(Role::Attendee),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("demote");
    let reply = app
        .query(Some(&token), SESSION_TITLE, json!({ "id": "100" }))
        .await;
    assert_eq!(
        reply.error_code(),
        "FORBIDDEN",
        "the database, not the token, decides the role"
    );

    let token = app.token(STAFF.0, STAFF.1);
    user::Entity::delete_by_id(STAFF.0)
        .exec(&app.db)
        .await
        .expect("delete");
    let reply = app
        .query(Some(&token), "{ viewer { email } }", json!({}))
        .await;
    assert_eq!(reply.error_code(), "UNAUTHENTICATED");
}

/// The host check of a `session(id)` or `event(id)` root reads the viewer's rights in
/// the statement that reads the data (docs/PERFORMANCE.md, "One statement for the
/// host check"): no rights are kept between requests, so an assignment removed or
/// given, or a role changed, decides the very next request, whichever server wrote it.
/// A cache of rights, however short-lived, fails this test.
#[tokio::test]
async fn rights_are_read_with_the_data_so_a_change_decides_the_very_next_request() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    use session_analytics::entity::{event_admin, user};
    let app = spawn_with_fixture().await;
    let token = app.token(EVENT_ADMIN.0, EVENT_ADMIN.1);
    let session = json!({ "id": FULL_SESSION.to_string() });
    let event = json!({ "id": EVENT_A.to_string() });
    let allowed = |reply: &crate::helpers::Reply| reply.body.get("errors").is_none();

    // Warm: allowed, each in one statement (rights, session and event together).
    let (statements, reply) = app
        .count_statements(&token, SESSION_TITLE, session.clone())
        .await;
    assert!(allowed(&reply), "{}", reply.body);
    assert_eq!(
        statements, 1,
        "the session, its event and the viewer's rights"
    );
    let (statements, reply) = app
        .count_statements(&token, EVENT_NAME, event.clone())
        .await;
    assert!(allowed(&reply), "{}", reply.body);
    assert_eq!(statements, 1, "the event and the viewer's rights");

    // The assignment removed behind the server's back: refused at once.
    event_admin::Entity::delete_by_id((EVENT_A, EVENT_ADMIN.0))
        .exec(&app.db)
        .await
        .expect("remove the assignment");
    let reply = app
        .query(Some(&token), SESSION_TITLE, session.clone())
        .await;
    assert_eq!(reply.error_code(), "NOT_EVENT_HOST", "{}", reply.body);
    let reply = app.query(Some(&token), EVENT_NAME, event.clone()).await;
    assert_eq!(reply.error_code(), "NOT_EVENT_HOST", "{}", reply.body);

    // Given back: allowed at once.
    event_admin::ActiveModel {
        event_id: Set(EVENT_A),
        user_id: Set(EVENT_ADMIN.0),
    }
    .insert(&app.db)
    .await
    .expect("assign again");
    let reply = app
        .query(Some(&token), SESSION_TITLE, session.clone())
        .await;
    assert!(allowed(&reply), "{}", reply.body);
    assert_eq!(reply.data()["session"]["id"], FULL_SESSION.to_string());

    // Demoted right after a request that was allowed: refused at once.
    user::ActiveModel {
        id: Set(EVENT_ADMIN.0),
        role: Set(Role::Attendee),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("demote");
    let reply = app.query(Some(&token), SESSION_TITLE, session).await;
    assert_eq!(reply.error_code(), "FORBIDDEN", "{}", reply.body);
    let reply = app.query(Some(&token), EVENT_NAME, event).await;
    assert_eq!(reply.error_code(), "FORBIDDEN", "{}", reply.body);
}
