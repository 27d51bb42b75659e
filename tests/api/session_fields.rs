//! Every field of the contract's `Session`, as the host's session row view asks for it.

use serde_json::json;

use crate::fixture::*;

pub const FULL_QUERY: &str = r#"query($id: ID!) {
  session(id: $id) {
    id eventId title startTime endTime location description capacity status format
    currentUserRegisteredEventTicketId purchaserUserRegisteredEventTicketId duration
    hideSessionFromAttendees enableQandA enableChat enablePoll streamKey streamUrl
    streamProvider subStreamProvider rtmpUrl accelEventsStudio directVideoAutoStart
    assetList { id assetId playbackId fileName duration createdAt createdBy { userId firstName lastName email } }
    displayDonation meetingPassword closedCaptionHeight closedCaptionUrl recordSession
    hideVideoControls subTitleFileUrl sessionVisibilityType enableAttendeeList
    allowedMinutesToJoinLate qandAPrivate
    stats { registeredCount interestedCount attendeeCount }
    attendeeCount
    speakers {
      speakerId userId firstName lastName email title company imageUrl pronouns bio linkedIn
      twitter instagram position moderator showModerator loggedInAtVEH deviceChecked
      ticketTypesForSpeaker { id name free } allowOverrideDetails allowAttendeeAccess
    }
    sponsors { id name logoUrl website size position }
    registeredHolderUsers(first: 2) {
      totalCount
      pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
      edges { cursor node { eventTicketId } }
      nodes {
        eventTicketId userId firstName lastName email phoneNumber attended registrationDate
        registrationType watchTimeSeconds engagement
      }
    }
  }
}"#;

#[tokio::test]
async fn the_full_session_returns_every_contract_field() {
    let app = spawn_with_fixture().await;
    let token = app.token(EVENT_ADMIN.0, EVENT_ADMIN.1);
    let reply = app
        .query(Some(&token), FULL_QUERY, json!({ "id": "100" }))
        .await;
    let mut session = reply.data()["session"].clone();
    let cursors = session["registeredHolderUsers"]["pageInfo"].take();
    assert_eq!(cursors["hasPreviousPage"], false);
    assert_eq!(cursors["hasNextPage"], true);
    assert!(cursors["endCursor"].is_string() && cursors["startCursor"].is_string());
    let edges = session["registeredHolderUsers"]["edges"].take();
    assert_eq!(edges[0]["cursor"], cursors["startCursor"]);
    assert_eq!(edges[1]["cursor"], cursors["endCursor"]);
    assert_eq!(edges[1]["node"]["eventTicketId"], "1001");
    let expected = json!({
        "id": "100", "eventId": "10", "title": "Keynote",
        "startTime": "2026-12-01T10:00:00Z", "endTime": "2026-12-01T11:00:00Z",
        "location": "Main Stage", "description": "The opening keynote.", "capacity": 500,
        "status": "IN_MEETING", "format": "MAINSTAGE_SESSION",
        "currentUserRegisteredEventTicketId": "1005",
        "purchaserUserRegisteredEventTicketId": "1005",
        "duration": 3600,
        "hideSessionFromAttendees": true, "enableQandA": true, "enableChat": true, "enablePoll": true,
        "streamKey": "sk_live_secret", "streamUrl": "https://stream.test/100",
        "streamProvider": "ACCELEVENTS", "subStreamProvider": "CHIME",
        "rtmpUrl": "rtmps://live.test/app", "accelEventsStudio": true, "directVideoAutoStart": true,
        "assetList": [
            { "id": "70", "assetId": "mux-asset-70", "playbackId": "pb-70", "fileName": "keynote.mp4",
              "duration": 3600, "createdAt": "2026-12-01T12:00:00Z",
              "createdBy": { "userId": "3", "firstName": "Evan", "lastName": "Event", "email": "eventadmin@test.dev" } },
            { "id": "71", "assetId": "mux-asset-71", "playbackId": null, "fileName": null,
              "duration": null, "createdAt": "2026-12-01T13:00:00Z", "createdBy": null }
        ],
        "displayDonation": true, "meetingPassword": "zm-123456", "closedCaptionHeight": 120,
        "closedCaptionUrl": "https://captions.test/100", "recordSession": true,
        "hideVideoControls": true, "subTitleFileUrl": "https://captions.test/100.vtt",
        "sessionVisibilityType": "PRIVATE", "enableAttendeeList": true,
        "allowedMinutesToJoinLate": 10, "qandAPrivate": true,
        "stats": { "registeredCount": 6, "interestedCount": 1, "attendeeCount": 3 },
        "attendeeCount": 3,
        "speakers": [
            { "speakerId": "50", "userId": "8", "firstName": "Grace", "lastName": "Hopper",
              "email": "grace@test.dev", "title": "Rear Admiral", "company": "US Navy",
              "imageUrl": "https://img.test/grace.jpg", "pronouns": "she/her",
              "bio": "Invented the compiler.", "linkedIn": "https://linkedin.test/grace",
              "twitter": "https://twitter.test/grace", "instagram": "https://instagram.test/grace",
              "position": 1, "moderator": true, "showModerator": true, "loggedInAtVEH": true,
              "deviceChecked": true,
              "ticketTypesForSpeaker": [
                  { "id": "10", "name": "General", "free": false },
                  { "id": "11", "name": "Speaker Pass", "free": true }
              ],
              "allowOverrideDetails": true, "allowAttendeeAccess": true },
            { "speakerId": "51", "userId": "9", "firstName": "Alan", "lastName": "Turing",
              "email": "alan@test.dev", "title": null, "company": null, "imageUrl": null,
              "pronouns": null, "bio": null, "linkedIn": null, "twitter": null, "instagram": null,
              "position": 2, "moderator": false, "showModerator": false, "loggedInAtVEH": false,
              "deviceChecked": false, "ticketTypesForSpeaker": [],
              "allowOverrideDetails": false, "allowAttendeeAccess": false }
        ],
        "sponsors": [
            { "id": "60", "name": "Big Sponsor", "logoUrl": "https://img.test/big.png",
              "website": "https://big.test", "size": "LARGE", "position": 1 },
            { "id": "61", "name": "Small Co", "logoUrl": null, "website": null, "size": null, "position": 2 }
        ],
        "registeredHolderUsers": {
            "totalCount": 7,
            "pageInfo": null,
            "edges": null,
            "nodes": [
                { "eventTicketId": "1000", "userId": "100", "firstName": "Alice", "lastName": "Zephyr",
                  "email": "alice@example.org", "phoneNumber": "+1-555-0100", "attended": true,
                  "registrationDate": "2026-11-01T10:00:00Z", "registrationType": "REGISTERED",
                  "watchTimeSeconds": 1800, "engagement": 50.0 },
                { "eventTicketId": "1001", "userId": "101", "firstName": "Bob", "lastName": "Young",
                  "email": "bob@example.org", "phoneNumber": "+1-555-0101", "attended": true,
                  "registrationDate": "2026-11-02T10:00:00Z", "registrationType": "REGISTERED",
                  "watchTimeSeconds": 4000, "engagement": 100.0 }
            ]
        }
    });
    assert_eq!(session, expected);
}

#[tokio::test]
async fn a_bare_session_returns_nulls_and_zero_engagement_without_video() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    let reply = app
        .query(Some(&token), FULL_QUERY, json!({ "id": "101" }))
        .await;
    let session = &reply.data()["session"];
    for field in [
        "location",
        "description",
        "capacity",
        "status",
        "currentUserRegisteredEventTicketId",
        "purchaserUserRegisteredEventTicketId",
        "duration",
        "streamKey",
        "streamUrl",
        "streamProvider",
        "subStreamProvider",
        "rtmpUrl",
        "meetingPassword",
        "closedCaptionHeight",
        "closedCaptionUrl",
        "subTitleFileUrl",
        "allowedMinutesToJoinLate",
    ] {
        assert!(
            session[field].is_null(),
            "{field} should be null: {}",
            session[field]
        );
    }
    assert_eq!(session["format"], "WORKSHOP_SESSION");
    assert_eq!(session["assetList"], json!([]));
    assert_eq!(session["speakers"], json!([]));
    assert_eq!(session["sponsors"], json!([]));
    assert_eq!(
        session["stats"],
        json!({ "registeredCount": 2, "interestedCount": 0, "attendeeCount": 1 })
    );
    let alice = &session["registeredHolderUsers"]["nodes"][0];
    assert_eq!(alice["watchTimeSeconds"], 100);
    assert_eq!(alice["engagement"], 0.0, "no video, no engagement");
}

#[tokio::test]
async fn status_follows_the_viewers_registration_and_the_check_in_window() {
    use session_analytics::entity::{enums::RegistrationType, session, session_registration};
    let app = spawn_with_fixture().await;
    let now = chrono::Utc::now();
    let mut live = bare_session(
        102,
        EVENT_A,
        "Starting soon",
        now + chrono::Duration::minutes(5),
    );
    live.end_time = now + chrono::Duration::hours(1);
    insert::<session::Entity, _>(&app.db, &[live]).await;
    insert::<session_registration::Entity, _>(
        &app.db,
        &[session_registration::Model {
            id: 50,
            session_id: 102,
            event_ticket_id: 1005,
            registration_type: RegistrationType::Registered,
            registered_at: now,
            attended: false,
            watch_time_seconds: 0,
        }],
    )
    .await;
    let token = app.token(EVENT_ADMIN.0, EVENT_ADMIN.1);
    for (id, status) in [
        ("100", json!("IN_MEETING")),
        ("101", json!("REGISTERED")),
        ("102", json!("CHECK_IN_AVAILABLE")),
    ] {
        let reply = app
            .query(
                Some(&token),
                "query($id: ID!) { session(id: $id) { status } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(reply.data()["session"]["status"], status, "session {id}");
    }
    // The organizer admin hosts the same sessions but holds no ticket: no status.
    let token = app.token(ORG_ADMIN.0, ORG_ADMIN.1);
    let reply = app
        .query(
            Some(&token),
            "{ session(id: \"102\") { status currentUserRegisteredEventTicketId } }",
            json!({}),
        )
        .await;
    assert_eq!(
        reply.data()["session"],
        json!({ "status": null, "currentUserRegisteredEventTicketId": null })
    );
}
