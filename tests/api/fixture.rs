//! A small, hand-written data set whose every value the tests can assert on.
//!
//! Organizer 1 runs events 10 (A) and 11 (B); organizer 2 runs event 20 (C).
//! Session 100 (event A) has every optional field set and all the expand data;
//! session 101 (event A) has every optional field null; 110 is in B, 200 in C.

use std::sync::OnceLock;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::DatabaseConnection;
use session_analytics::{
    auth::password,
    entity::{
        enums::*, event, event_admin, event_ticket, mux_asset, organizer, organizer_admin, session,
        session_activity, session_registration, session_speaker, session_sponsor, speaker,
        speaker_ticket_type, sponsor, ticket_type, user,
    },
    seed::insert_all,
};

pub const PASSWORD: &str = "correct horse battery staple";

pub const SUPER: (i64, Role) = (1, Role::SuperAdmin);
/// Organizer admin of organizer 1 (events A and B).
pub const ORG_ADMIN: (i64, Role) = (2, Role::OrganizerAdmin);
/// Event admin of event A only.
pub const EVENT_ADMIN: (i64, Role) = (3, Role::EventAdmin);
pub const ATTENDEE: (i64, Role) = (4, Role::Attendee);
pub const STAFF: (i64, Role) = (5, Role::Staff);
/// Organizer admin of organizer 2 (event C).
pub const ORG2_ADMIN: (i64, Role) = (6, Role::OrganizerAdmin);
/// Event admin of event B only.
pub const EVENT_B_ADMIN: (i64, Role) = (7, Role::EventAdmin);

pub const EVENT_A: i64 = 10;
pub const EVENT_B: i64 = 11;
pub const EVENT_C: i64 = 20;
pub const FULL_SESSION: i64 = 100;
pub const BARE_SESSION: i64 = 101;
pub const SESSION_B: i64 = 110;
pub const SESSION_C: i64 = 200;

pub fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0)
        .single()
        .expect("valid time")
}

fn nov(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 10, 0, 0)
        .single()
        .expect("valid time")
}

async fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(hash) = HASH.get() {
        return hash.clone();
    }
    let hash = password::hash(PASSWORD.into()).await.expect("hash");
    HASH.get_or_init(|| hash).clone()
}

pub fn user_row(id: i64, email: &str, first: &str, last: &str, role: Role) -> user::Model {
    user::Model {
        id,
        email: email.into(),
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        phone_number: Some(format!("+1-555-{id:04}")),
        role,
        password_hash: None,
        created_at: nov(1),
    }
}

/// A session in `event_id` with every optional field null.
pub fn bare_session(id: i64, event_id: i64, title: &str, start: DateTime<Utc>) -> session::Model {
    session::Model {
        id,
        event_id,
        title: title.into(),
        start_time: start,
        end_time: start + chrono::Duration::hours(1),
        location: None,
        description: None,
        capacity: None,
        format: SessionFormat::WorkshopSession,
        duration_seconds: None,
        hide_session_from_attendees: false,
        enable_qanda: false,
        enable_chat: false,
        enable_poll: false,
        stream_key: None,
        stream_url: None,
        stream_provider: None,
        sub_stream_provider: None,
        rtmp_url: None,
        accel_events_studio: false,
        direct_video_auto_start: false,
        display_donation: false,
        meeting_password: None,
        closed_caption_height: None,
        closed_caption_url: None,
        record_session: false,
        hide_video_controls: false,
        sub_title_file_url: None,
        visibility: SessionVisibility::Public,
        enable_attendee_list: false,
        allowed_minutes_to_join_late: None,
        qanda_private: false,
        created_at: nov(1),
    }
}

/// A speaker profile in `event_id` with every optional field null and every switch off.
pub fn bare_speaker(
    id: i64,
    event_id: i64,
    user_id: i64,
    first: &str,
    last: &str,
) -> speaker::Model {
    speaker::Model {
        id,
        event_id,
        user_id,
        first_name: first.into(),
        last_name: last.into(),
        title: None,
        company: None,
        image_url: None,
        pronouns: None,
        bio: None,
        linked_in: None,
        twitter: None,
        instagram: None,
        logged_in_at_veh: false,
        device_checked: false,
        allow_override_details: false,
        allow_attendee_access: false,
    }
}

pub fn registration(
    id: i64,
    session_id: i64,
    ticket: i64,
    kind: RegistrationType,
    day: u32,
    attended: bool,
    watched: i32,
) -> session_registration::Model {
    session_registration::Model {
        id,
        session_id,
        event_ticket_id: ticket,
        registration_type: kind,
        registered_at: nov(day),
        attended,
        watch_time_seconds: watched,
    }
}

pub fn ticket(id: i64, holder: i64, purchaser: i64) -> event_ticket::Model {
    event_ticket::Model {
        id,
        event_id: EVENT_A,
        ticket_type_id: 10,
        holder_user_id: holder,
        purchaser_user_id: purchaser,
        created_at: nov(1),
    }
}

/// Inserts `rows` (test data: a failure is a broken test, so it panics naming the table).
pub async fn insert<E, M>(db: &DatabaseConnection, rows: &[M])
where
    E: sea_orm::EntityTrait,
    M: sea_orm::IntoActiveModel<E::ActiveModel> + Clone,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    if let Err(err) = insert_all::<E, M>(db, rows).await {
        panic!("inserting into {}: {err}", E::default().table_name());
    }
}

/// Inserts the fixture.
pub async fn load(db: &DatabaseConnection) {
    let hash = password_hash().await;
    let mut users = vec![
        user_row(1, "super@test.dev", "Sue", "Super", Role::SuperAdmin),
        user_row(2, "orgadmin@test.dev", "Olga", "Org", Role::OrganizerAdmin),
        user_row(3, "eventadmin@test.dev", "Evan", "Event", Role::EventAdmin),
        user_row(4, "attendee@test.dev", "Ann", "Attendee", Role::Attendee),
        user_row(5, "staff@test.dev", "Stan", "Staff", Role::Staff),
        user_row(
            6,
            "orgadmin2@test.dev",
            "Otto",
            "Other",
            Role::OrganizerAdmin,
        ),
        user_row(7, "eventadminb@test.dev", "Bea", "Bee", Role::EventAdmin),
        user_row(8, "grace@test.dev", "Grace", "Hopper", Role::Speaker),
        user_row(9, "alan@test.dev", "Alan", "Turing", Role::Speaker),
        user_row(100, "alice@example.org", "Alice", "Zephyr", Role::Attendee),
        user_row(101, "bob@example.org", "Bob", "Young", Role::Attendee),
        user_row(102, "carol@example.org", "Carol", "Xu", Role::Attendee),
        user_row(103, "dave@example.org", "Dave", "Walker", Role::Attendee),
        user_row(104, "erin@example.org", "Erin", "Vance", Role::Attendee),
    ];
    for user in users.iter_mut().take(7) {
        user.password_hash = Some(hash.clone());
    }
    users[12].phone_number = None;

    let organizers = vec![
        organizer::Model {
            id: 1,
            name: "Org One".into(),
            created_at: nov(1),
        },
        organizer::Model {
            id: 2,
            name: "Org Two".into(),
            created_at: nov(1),
        },
    ];
    let events = vec![
        event::Model {
            id: EVENT_A,
            organizer_id: 1,
            name: "Event A".into(),
            start_time: t(1, 9),
            end_time: t(3, 18),
            created_at: nov(1),
        },
        event::Model {
            id: EVENT_B,
            organizer_id: 1,
            name: "Event B".into(),
            start_time: t(10, 9),
            end_time: t(11, 18),
            created_at: nov(1),
        },
        event::Model {
            id: EVENT_C,
            organizer_id: 2,
            name: "Event C".into(),
            start_time: t(5, 9),
            end_time: t(6, 18),
            created_at: nov(1),
        },
    ];
    let mut full = bare_session(FULL_SESSION, EVENT_A, "Keynote", t(1, 10));
    full = session::Model {
        location: Some("Main Stage".into()),
        description: Some("The opening keynote.".into()),
        capacity: Some(500),
        format: SessionFormat::MainstageSession,
        duration_seconds: Some(3600),
        hide_session_from_attendees: true,
        enable_qanda: true,
        enable_chat: true,
        enable_poll: true,
        stream_key: Some("sk_live_secret".into()),
        stream_url: Some("https://stream.test/100".into()),
        stream_provider: Some(StreamProvider::Accelevents),
        sub_stream_provider: Some(SubStreamProvider::Chime),
        rtmp_url: Some("rtmps://live.test/app".into()),
        accel_events_studio: true,
        direct_video_auto_start: true,
        display_donation: true,
        meeting_password: Some("zm-123456".into()),
        closed_caption_height: Some(120),
        closed_caption_url: Some("https://captions.test/100".into()),
        record_session: true,
        hide_video_controls: true,
        sub_title_file_url: Some("https://captions.test/100.vtt".into()),
        visibility: SessionVisibility::Private,
        enable_attendee_list: true,
        allowed_minutes_to_join_late: Some(10),
        qanda_private: true,
        ..full
    };
    let sessions = vec![
        full,
        bare_session(BARE_SESSION, EVENT_A, "Workshop", t(2, 10)),
        bare_session(SESSION_B, EVENT_B, "B session", t(10, 10)),
        bare_session(SESSION_C, EVENT_C, "C session", t(5, 10)),
    ];
    let ticket_types = vec![
        ticket_type::Model {
            id: 10,
            event_id: EVENT_A,
            name: "General".into(),
            free: false,
        },
        ticket_type::Model {
            id: 11,
            event_id: EVENT_A,
            name: "Speaker Pass".into(),
            free: true,
        },
    ];
    let tickets = vec![
        ticket(1000, 100, 100),
        ticket(1001, 101, 100),
        ticket(1002, 102, 102),
        ticket(1003, 103, 103),
        ticket(1004, 104, 104),
        ticket(1005, 3, 3),
        ticket(1006, 4, 3),
    ];
    use RegistrationType::{Interested, Registered};
    let registrations = vec![
        registration(1, FULL_SESSION, 1000, Registered, 1, true, 1800),
        registration(2, FULL_SESSION, 1001, Registered, 2, true, 4000),
        registration(3, FULL_SESSION, 1002, Interested, 3, false, 0),
        registration(4, FULL_SESSION, 1003, Registered, 4, false, 0),
        registration(5, FULL_SESSION, 1004, Registered, 5, true, 600),
        registration(6, FULL_SESSION, 1005, Registered, 6, false, 0),
        registration(7, FULL_SESSION, 1006, Registered, 7, false, 0),
        registration(8, BARE_SESSION, 1000, Registered, 8, true, 100),
        registration(9, BARE_SESSION, 1005, Registered, 9, false, 0),
    ];
    let speakers = vec![
        speaker::Model {
            id: 50,
            event_id: EVENT_A,
            user_id: 8,
            first_name: "Grace".into(),
            last_name: "Hopper".into(),
            title: Some("Rear Admiral".into()),
            company: Some("US Navy".into()),
            image_url: Some("https://img.test/grace.jpg".into()),
            pronouns: Some("she/her".into()),
            bio: Some("Invented the compiler.".into()),
            linked_in: Some("https://linkedin.test/grace".into()),
            twitter: Some("https://twitter.test/grace".into()),
            instagram: Some("https://instagram.test/grace".into()),
            logged_in_at_veh: true,
            device_checked: true,
            allow_override_details: true,
            allow_attendee_access: true,
        },
        bare_speaker(51, EVENT_A, 9, "Alan", "Turing"),
    ];
    let session_speakers = vec![
        session_speaker::Model {
            session_id: FULL_SESSION,
            speaker_id: 51,
            position: 2,
            moderator: false,
            show_moderator: false,
        },
        session_speaker::Model {
            session_id: FULL_SESSION,
            speaker_id: 50,
            position: 1,
            moderator: true,
            show_moderator: true,
        },
    ];
    let speaker_ticket_types = vec![
        speaker_ticket_type::Model {
            speaker_id: 50,
            ticket_type_id: 11,
        },
        speaker_ticket_type::Model {
            speaker_id: 50,
            ticket_type_id: 10,
        },
    ];
    let sponsors = vec![
        sponsor::Model {
            id: 60,
            event_id: EVENT_A,
            name: "Big Sponsor".into(),
            logo_url: Some("https://img.test/big.png".into()),
            website: Some("https://big.test".into()),
            size: Some(SponsorSize::Large),
        },
        sponsor::Model {
            id: 61,
            event_id: EVENT_A,
            name: "Small Co".into(),
            logo_url: None,
            website: None,
            size: None,
        },
    ];
    let session_sponsors = vec![
        session_sponsor::Model {
            session_id: FULL_SESSION,
            sponsor_id: 61,
            position: 2,
        },
        session_sponsor::Model {
            session_id: FULL_SESSION,
            sponsor_id: 60,
            position: 1,
        },
    ];
    let assets = vec![
        mux_asset::Model {
            id: 70,
            session_id: FULL_SESSION,
            asset_id: "mux-asset-70".into(),
            playback_id: Some("pb-70".into()),
            file_name: Some("keynote.mp4".into()),
            duration_seconds: Some(3600),
            created_at: t(1, 12),
            created_by_user_id: Some(3),
        },
        mux_asset::Model {
            id: 71,
            session_id: FULL_SESSION,
            asset_id: "mux-asset-71".into(),
            playback_id: None,
            file_name: None,
            duration_seconds: None,
            created_at: t(1, 13),
            created_by_user_id: None,
        },
    ];
    // The event admin joined the keynote and has not left: they are in the meeting.
    let activities = vec![session_activity::Model {
        id: 1,
        session_id: FULL_SESSION,
        user_id: 3,
        event_ticket_id: Some(1005),
        kind: ActivityKind::Join,
        occurred_at: t(1, 10),
        client_event_id: None,
        position_seconds: None,
    }];

    insert::<organizer::Entity, _>(db, &organizers).await;
    insert::<event::Entity, _>(db, &events).await;
    insert::<user::Entity, _>(db, &users).await;
    insert::<organizer_admin::Entity, _>(
        db,
        &[
            organizer_admin::Model {
                organizer_id: 1,
                user_id: 2,
            },
            organizer_admin::Model {
                organizer_id: 2,
                user_id: 6,
            },
        ],
    )
    .await;
    insert::<event_admin::Entity, _>(
        db,
        &[
            event_admin::Model {
                event_id: EVENT_A,
                user_id: 3,
            },
            event_admin::Model {
                event_id: EVENT_B,
                user_id: 7,
            },
        ],
    )
    .await;
    insert::<ticket_type::Entity, _>(db, &ticket_types).await;
    insert::<session::Entity, _>(db, &sessions).await;
    insert::<event_ticket::Entity, _>(db, &tickets).await;
    insert::<session_registration::Entity, _>(db, &registrations).await;
    insert::<speaker::Entity, _>(db, &speakers).await;
    insert::<session_speaker::Entity, _>(db, &session_speakers).await;
    insert::<speaker_ticket_type::Entity, _>(db, &speaker_ticket_types).await;
    insert::<sponsor::Entity, _>(db, &sponsors).await;
    insert::<session_sponsor::Entity, _>(db, &session_sponsors).await;
    insert::<mux_asset::Entity, _>(db, &assets).await;
    insert::<session_activity::Entity, _>(db, &activities).await;
}

/// Starts the application with the fixture loaded.
pub async fn spawn_with_fixture() -> crate::helpers::TestApp {
    let app = crate::helpers::spawn_app().await;
    load(&app.db).await;
    app
}

/// The application on the fixture, with its configuration changed by `edit` first.
pub async fn spawn_fixture_with(
    edit: impl FnOnce(&mut session_analytics::config::Config),
) -> crate::helpers::TestApp {
    let mut scratch = crate::helpers::Scratch::new();
    let url = scratch.database_url().await;
    let mut config = crate::helpers::test_config(scratch.path(), url);
    edit(&mut config);
    let app = crate::helpers::spawn_with_config(config, scratch).await;
    load(&app.db).await;
    app
}
