//! The demo data set: a small, realistic, deterministic set of organizers, events,
//! sessions, speakers, sponsors, assets and registrants (a few thousand rows).

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::DbErr;

use super::{
    activity::{self, Habits, Registrant, Stage},
    bulk::Sink,
};

use crate::{
    entity::{
        enums::{
            ActivityKind, RegistrationType, Role, SessionFormat, SessionVisibility, SponsorSize,
            StreamProvider, SubStreamProvider,
        },
        event, event_admin, event_ticket, mux_asset, organizer, organizer_admin, session,
        session_registration, session_speaker, session_sponsor, speaker, speaker_ticket_type,
        sponsor, ticket_type, user,
    },
    progress::Progress,
    store::activity::NewActivity,
};

/// How the demo's viewers behave: their players report once a minute (gaps up to a
/// minute stay one view), which keeps the demo at a few thousand events.
const HABITS: Habits = Habits {
    heartbeat_every: 60,
    in_person: 0.25,
    recording: 0.2,
};

const FIRST_NAMES: &[&str] = &[
    "Ava", "Liam", "Noah", "Mia", "Zoe", "Omar", "Priya", "Chen", "Sofia", "Mateo", "Aisha",
    "Lucas", "Hana", "Ivan", "Nora", "Kofi", "Elena", "Ravi", "Yuki", "Sam",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "Garcia", "Nguyen", "Patel", "Kim", "Okafor", "Rossi", "Novak", "Silva", "Cohen",
    "Tanaka", "Muller", "Dubois", "Haddad", "Larsen", "Moreau", "Kowalski", "Reyes", "Ali",
    "Brown",
];
const COMPANIES: &[&str] = &[
    "Acme Cloud",
    "Globex",
    "Initech",
    "Umbrella Labs",
    "Stark Data",
    "Wayne Media",
];
const TITLES: &[&str] = &[
    "CTO",
    "Staff Engineer",
    "Head of Product",
    "Developer Advocate",
    "VP Marketing",
    "Data Scientist",
];

/// Every row of the demo set, generated from a fixed seed.
pub(super) struct DemoData {
    organizers: Vec<organizer::Model>,
    events: Vec<event::Model>,
    users: Vec<user::Model>,
    event_admins: Vec<event_admin::Model>,
    organizer_admins: Vec<organizer_admin::Model>,
    sessions: Vec<session::Model>,
    ticket_types: Vec<ticket_type::Model>,
    tickets: Vec<event_ticket::Model>,
    registrations: Vec<session_registration::Model>,
    speakers: Vec<speaker::Model>,
    session_speakers: Vec<session_speaker::Model>,
    speaker_ticket_types: Vec<speaker_ticket_type::Model>,
    sponsors: Vec<sponsor::Model>,
    session_sponsors: Vec<session_sponsor::Model>,
    assets: Vec<mux_asset::Model>,
    /// What the registrants did, for `store::activity::record` (see [`DemoData::activity`]).
    activity: Vec<NewActivity>,
}

fn at(days: i64, hours: i64) -> DateTime<Utc> {
    // Events sit around a fixed date so the data set is the same on every machine.
    let base = Utc
        .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
        .single()
        .unwrap_or_default();
    base + Duration::days(days) + Duration::hours(hours)
}

impl DemoData {
    /// The demo's activity, viewer by viewer, for `store::activity::record` once the
    /// rows it refers to are committed.
    pub(super) fn activity(&self) -> &[NewActivity] {
        &self.activity
    }

    /// How many rows [`DemoData::insert`] writes.
    pub(super) fn rows(&self) -> u64 {
        [
            self.organizers.len(),
            self.events.len(),
            self.users.len(),
            self.event_admins.len(),
            self.organizer_admins.len(),
            self.sessions.len(),
            self.ticket_types.len(),
            self.tickets.len(),
            self.registrations.len(),
            self.speakers.len(),
            self.session_speakers.len(),
            self.speaker_ticket_types.len(),
            self.sponsors.len(),
            self.session_sponsors.len(),
            self.assets.len(),
        ]
        .iter()
        .sum::<usize>() as u64
    }

    pub(super) fn generate(password_hash: &str) -> Self {
        let mut rng = StdRng::seed_from_u64(2026);
        let created = at(-60, 0);
        let mut d = DemoData {
            organizers: vec![
                organizer::Model {
                    id: 1,
                    name: "Northwind Events".into(),
                    created_at: created,
                },
                organizer::Model {
                    id: 2,
                    name: "Contoso Conferences".into(),
                    created_at: created,
                },
            ],
            events: Vec::new(),
            users: Vec::new(),
            event_admins: Vec::new(),
            organizer_admins: Vec::new(),
            sessions: Vec::new(),
            ticket_types: Vec::new(),
            tickets: Vec::new(),
            registrations: Vec::new(),
            speakers: Vec::new(),
            session_speakers: Vec::new(),
            speaker_ticket_types: Vec::new(),
            sponsors: Vec::new(),
            session_sponsors: Vec::new(),
            assets: Vec::new(),
            activity: Vec::new(),
        };
        let user =
            |id: i64, email: &str, first: &str, last: &str, role: Role, login: bool| user::Model {
                id,
                email: email.into(),
                first_name: Some(first.into()),
                last_name: Some(last.into()),
                phone_number: Some(format!("+1-555-{:04}", 100 + id)),
                role,
                password_hash: login.then(|| password_hash.to_owned()),
                created_at: created,
            };
        d.users.push(user(
            1,
            "super.admin@example.com",
            "Sara",
            "Admin",
            Role::SuperAdmin,
            true,
        ));
        d.users.push(user(
            2,
            "organizer.admin@example.com",
            "Oscar",
            "Organizer",
            Role::OrganizerAdmin,
            true,
        ));
        d.users.push(user(
            3,
            "event.admin@example.com",
            "Eve",
            "Host",
            Role::EventAdmin,
            true,
        ));
        d.users.push(user(
            4,
            "attendee@example.com",
            "Alex",
            "Attendee",
            Role::Attendee,
            true,
        ));
        d.users.push(user(
            5,
            "contoso.admin@example.com",
            "Carla",
            "Contoso",
            Role::OrganizerAdmin,
            true,
        ));
        // The players' service account: reports activity (`recordActivity`) for every
        // event; its token comes from `session-analytics token`, never from `login`.
        d.users.push(user(
            6,
            "player-service@example.com",
            "Player",
            "Service",
            Role::Ingest,
            false,
        ));
        // Speakers (ids 101..=124) and attendees (ids 1001..=1400) cannot log in.
        for i in 0..24 {
            let (first, last) = (FIRST_NAMES[i % 20], LAST_NAMES[(i * 7) % 20]);
            let email = format!(
                "{}.{}.speaker{}@example.com",
                first.to_lowercase(),
                last.to_lowercase(),
                i + 1
            );
            d.users.push(user(
                101 + i as i64,
                &email,
                first,
                last,
                Role::Speaker,
                false,
            ));
        }
        for i in 0..400 {
            let (first, last) = (FIRST_NAMES[i % 20], LAST_NAMES[(i / 20 + i * 3) % 20]);
            let email = format!(
                "{}.{}{}@example.com",
                first.to_lowercase(),
                last.to_lowercase(),
                i + 1
            );
            d.users.push(user(
                1001 + i as i64,
                &email,
                first,
                last,
                Role::Attendee,
                false,
            ));
        }
        d.organizer_admins.push(organizer_admin::Model {
            organizer_id: 1,
            user_id: 2,
        });
        d.organizer_admins.push(organizer_admin::Model {
            organizer_id: 2,
            user_id: 5,
        });
        d.event_admins.push(event_admin::Model {
            event_id: 1,
            user_id: 3,
        });
        for event_id in 1..=4 {
            d.event_admins.push(event_admin::Model {
                event_id,
                user_id: 6,
            });
        }

        let events = [
            (1, 1, "Northwind Cloud Summit 2026", 0),
            (2, 1, "Northwind Data Days", 14),
            (3, 2, "Contoso Product Week", 7),
            (4, 2, "Contoso Hybrid Work Forum", 21),
        ];
        let (mut session_id, mut ticket_id, mut registration_id) = (0i64, 0i64, 0i64);
        let (mut viewers, mut acts) = (Vec::new(), Vec::new());
        let (mut speaker_id, mut sponsor_id, mut asset_id, mut tt_id) = (0i64, 0i64, 0i64, 0i64);
        for (event_id, organizer_id, name, day) in events {
            d.events.push(event::Model {
                id: event_id,
                organizer_id,
                name: name.into(),
                start_time: at(day, 0),
                end_time: at(day + 2, 9),
                created_at: created,
            });
            let first_tt = tt_id + 1;
            for (name, free) in [
                ("General Admission", false),
                ("VIP", false),
                ("Speaker Pass", true),
            ] {
                tt_id += 1;
                d.ticket_types.push(ticket_type::Model {
                    id: tt_id,
                    event_id,
                    name: name.into(),
                    free,
                });
            }
            // Speakers: six per event, drawn from the speaker users.
            let first_speaker = speaker_id + 1;
            for i in 0..6 {
                speaker_id += 1;
                let u = &d.users[5 + ((event_id as usize - 1) * 6 + i) % 24];
                d.speakers.push(speaker::Model {
                    id: speaker_id,
                    event_id,
                    user_id: u.id,
                    first_name: u.first_name.clone().unwrap_or_default(),
                    last_name: u.last_name.clone().unwrap_or_default(),
                    title: Some(TITLES[i % TITLES.len()].into()),
                    company: Some(COMPANIES[(i + event_id as usize) % COMPANIES.len()].into()),
                    image_url: Some(format!(
                        "https://images.example.com/speakers/{speaker_id}.jpg"
                    )),
                    pronouns: Some(["she/her", "he/him", "they/them"][i % 3].into()),
                    bio: Some(format!(
                        "{} speaks about cloud, data and community.",
                        u.first_name.clone().unwrap_or_default()
                    )),
                    linked_in: Some(format!("https://www.linkedin.com/in/speaker-{speaker_id}")),
                    twitter: Some(format!("https://twitter.com/speaker{speaker_id}")),
                    instagram: (i % 2 == 0)
                        .then(|| format!("https://instagram.com/speaker{speaker_id}")),
                    logged_in_at_veh: i % 3 != 0,
                    device_checked: i % 2 == 0,
                    allow_override_details: i % 4 == 0,
                    allow_attendee_access: i % 3 == 1,
                });
                d.speaker_ticket_types.push(speaker_ticket_type::Model {
                    speaker_id,
                    ticket_type_id: first_tt + 2,
                });
                if i % 2 == 0 {
                    d.speaker_ticket_types.push(speaker_ticket_type::Model {
                        speaker_id,
                        ticket_type_id: first_tt + 1,
                    });
                }
            }
            let first_sponsor = sponsor_id + 1;
            for (i, (name, size)) in [
                ("CloudCo", SponsorSize::Large),
                ("DataWorks", SponsorSize::Medium),
                ("DevTools Inc", SponsorSize::Small),
                ("StreamIt", SponsorSize::Medium),
            ]
            .into_iter()
            .enumerate()
            {
                sponsor_id += 1;
                d.sponsors.push(sponsor::Model {
                    id: sponsor_id,
                    event_id,
                    name: name.into(),
                    logo_url: Some(format!(
                        "https://images.example.com/sponsors/{sponsor_id}.png"
                    )),
                    website: Some(format!(
                        "https://{}.example.com",
                        name.to_lowercase().replace(' ', "-")
                    )),
                    size: (i < 3).then_some(size),
                });
            }
            // Tickets: the big first event has 300 holders, the others 120.
            let holders = if event_id == 1 { 300 } else { 120 };
            let first_ticket = ticket_id + 1;
            for h in 0..holders {
                ticket_id += 1;
                let holder = 1001 + ((h + (event_id as usize - 1) * 50) % 400) as i64;
                // Every tenth ticket was bought by a colleague (a group purchase).
                let purchaser = if h % 10 == 9 { holder - 1 } else { holder };
                d.tickets.push(event_ticket::Model {
                    id: ticket_id,
                    event_id,
                    ticket_type_id: first_tt + (h % 2) as i64,
                    holder_user_id: holder,
                    purchaser_user_id: purchaser,
                    created_at: at(day - 30, h as i64 % 24),
                });
            }
            if event_id == 1 {
                // The event admin holds a ticket too, so `status` has something to show.
                ticket_id += 1;
                d.tickets.push(event_ticket::Model {
                    id: ticket_id,
                    event_id,
                    ticket_type_id: first_tt + 1,
                    holder_user_id: 3,
                    purchaser_user_id: 3,
                    created_at: at(-20, 0),
                });
                ticket_id += 1;
                d.tickets.push(event_ticket::Model {
                    id: ticket_id,
                    event_id,
                    ticket_type_id: first_tt,
                    holder_user_id: 4,
                    purchaser_user_id: 4,
                    created_at: at(-20, 1),
                });
            }
            let last_ticket = ticket_id;
            let formats = [
                (
                    SessionFormat::MainstageSession,
                    "Opening Keynote",
                    Some(3600),
                ),
                (
                    SessionFormat::BreakoutSession,
                    "Scaling GraphQL APIs",
                    Some(2700),
                ),
                (SessionFormat::WorkshopSession, "Hands-on Workshop", None),
                (SessionFormat::NetworkingSession, "Speed Networking", None),
                (SessionFormat::Expo, "Sponsor Expo Hall", Some(1800)),
                (SessionFormat::Break, "Coffee Break", None),
                (
                    SessionFormat::BreakoutSession,
                    "Privacy by Design",
                    Some(2400),
                ),
                (
                    SessionFormat::MainstageSession,
                    "Closing Keynote",
                    Some(3000),
                ),
                (SessionFormat::Other, "Ask Me Anything", Some(1200)),
            ];
            for (i, (format, title, video)) in formats.into_iter().enumerate() {
                session_id += 1;
                let start = at(day, i as i64);
                let provider = match format {
                    SessionFormat::MainstageSession => Some(StreamProvider::Accelevents),
                    SessionFormat::BreakoutSession => {
                        Some([StreamProvider::Youtube, StreamProvider::Rtmp][i % 2])
                    }
                    SessionFormat::Expo => Some(StreamProvider::Vimeo),
                    SessionFormat::Other => Some(StreamProvider::Zoom),
                    _ => None,
                };
                d.sessions.push(session::Model {
                    id: session_id,
                    event_id,
                    title: format!("{title} ({name})"),
                    start_time: start,
                    end_time: start + Duration::minutes(55),
                    location: Some(if i % 2 == 0 {
                        "Main Stage".into()
                    } else {
                        format!("Room {}", 100 + i)
                    }),
                    description: Some(format!("{title}: what we learned building for {name}.")),
                    capacity: Some([500, 200, 40, 80, 1000, 1000, 150, 500, 100][i]),
                    format,
                    duration_seconds: video,
                    hide_session_from_attendees: format == SessionFormat::Break,
                    enable_qanda: i % 3 != 2,
                    enable_chat: true,
                    enable_poll: i % 2 == 0,
                    stream_key: provider.map(|_| {
                        format!(
                            "sk_live_{event_id}_{session_id}_{:08x}",
                            rng.random::<u32>()
                        )
                    }),
                    stream_url: provider
                        .map(|_| format!("https://stream.example.com/live/{session_id}")),
                    stream_provider: provider,
                    sub_stream_provider: (provider == Some(StreamProvider::Accelevents))
                        .then_some(SubStreamProvider::Chime),
                    rtmp_url: (provider == Some(StreamProvider::Rtmp))
                        .then(|| "rtmps://live.example.com:443/app".into()),
                    accel_events_studio: provider == Some(StreamProvider::Accelevents),
                    direct_video_auto_start: i % 2 == 1,
                    display_donation: i == 0,
                    meeting_password: (provider == Some(StreamProvider::Zoom))
                        .then(|| format!("zm-{:06}", rng.random_range(0..1_000_000))),
                    closed_caption_height: video.map(|_| 120),
                    closed_caption_url: video
                        .map(|_| format!("https://captions.example.com/{session_id}")),
                    record_session: video.is_some(),
                    hide_video_controls: i == 4,
                    sub_title_file_url: video
                        .map(|_| format!("https://captions.example.com/{session_id}.vtt")),
                    visibility: if i == 6 {
                        SessionVisibility::Private
                    } else {
                        SessionVisibility::Public
                    },
                    enable_attendee_list: i % 2 == 0,
                    allowed_minutes_to_join_late: (i % 3 == 0).then_some(10),
                    qanda_private: i == 1,
                    created_at: created,
                });
                // Two or three speakers on talks, none on breaks.
                if format != SessionFormat::Break {
                    for p in 0..(2 + i % 2) {
                        let sp = first_speaker + ((i + p) % 6) as i64;
                        d.session_speakers.push(session_speaker::Model {
                            session_id,
                            speaker_id: sp,
                            position: p as i32 + 1,
                            moderator: p == 0,
                            show_moderator: p == 0,
                        });
                    }
                    for p in 0..(1 + i % 3) {
                        d.session_sponsors.push(session_sponsor::Model {
                            session_id,
                            sponsor_id: first_sponsor + ((i + p) % 4) as i64,
                            position: p as i32 + 1,
                        });
                    }
                }
                if let Some(length) = video {
                    for part in 0..(1 + i % 2) {
                        asset_id += 1;
                        d.assets.push(mux_asset::Model {
                            id: asset_id,
                            session_id,
                            asset_id: format!("mux_{:016x}", rng.random::<u64>()),
                            playback_id: Some(format!("pb_{:016x}", rng.random::<u64>())),
                            file_name: Some(format!("session-{session_id}-part-{}.mp4", part + 1)),
                            duration_seconds: Some(length / (1 + (i % 2) as i32)),
                            created_at: start + Duration::hours(2),
                            created_by_user_id: Some(if event_id == 1 { 3 } else { 1 }),
                        });
                    }
                }
                // Registrations: most holders register for the keynotes, fewer for the rest.
                let share = [0.9, 0.5, 0.2, 0.3, 0.4, 0.1, 0.35, 0.7, 0.25][i];
                for t in first_ticket..=last_ticket {
                    let holder = d.tickets[(t - 1) as usize].holder_user_id;
                    let admin_ticket = holder == 3 && i == 0;
                    if !admin_ticket && (holder < 1000 || !rng.random_bool(share)) {
                        continue;
                    }
                    registration_id += 1;
                    let interested = !admin_ticket && rng.random_bool(0.2);
                    let attended = !interested && rng.random_bool(0.65);
                    let watched = match (attended, video) {
                        (true, Some(length)) => rng.random_range(60..=length + 300),
                        _ => 0,
                    };
                    d.registrations.push(session_registration::Model {
                        id: registration_id,
                        session_id,
                        event_ticket_id: t,
                        registration_type: if interested {
                            RegistrationType::Interested
                        } else {
                            RegistrationType::Registered
                        },
                        registered_at: at(day - 20, 0)
                            + Duration::minutes(rng.random_range(0..60 * 24 * 19)),
                        attended,
                        watch_time_seconds: watched,
                    });
                    let viewer = (session_id, holder, t);
                    viewers.push((viewer, attended, registration_id));
                }
                // What they did, from a stream of its own (the rows above stay as they
                // were before the demo had activity).
                let stage = Stage {
                    start: start.timestamp(),
                    end: (start + Duration::minutes(55)).timestamp(),
                    video_seconds: video,
                    chat: true,
                    qanda: i % 3 != 2,
                    poll: i % 2 == 0,
                };
                let mut acting = StdRng::seed_from_u64(0xDE30 ^ session_id as u64);
                for ((session_id, user_id, ticket), attended, registration) in viewers.drain(..) {
                    let r = &mut d.registrations[(registration - 1) as usize];
                    activity::registrant(
                        &mut acting,
                        &stage,
                        &HABITS,
                        Registrant {
                            registered: r.registration_type == RegistrationType::Registered,
                            attended,
                            watched: r.watch_time_seconds,
                        },
                        &mut acts,
                    );
                    // In person: no video watched (what `record` keeps, as an import would).
                    if !acts.iter().any(|a| {
                        matches!(
                            a.kind,
                            ActivityKind::LiveHeartbeat | ActivityKind::RecordingHeartbeat
                        )
                    }) && acts.iter().any(|a| a.kind == ActivityKind::CheckIn)
                    {
                        r.watch_time_seconds = 0;
                    }
                    for (n, act) in acts.iter().enumerate() {
                        d.activity.push(NewActivity {
                            client_event_id: format!("demo-{session_id}-{user_id}-{n}"),
                            session_id,
                            user_id,
                            event_ticket_id: Some(ticket),
                            kind: act.kind,
                            occurred_at: DateTime::from_timestamp(act.at, 0).unwrap_or_default(),
                            position_seconds: act.position,
                        });
                    }
                }
            }
        }
        d
    }

    pub(super) async fn insert(
        &self,
        sink: &mut Sink<'_>,
        progress: &Progress,
    ) -> Result<(), DbErr> {
        sink.insert::<organizer::Entity, _>(&self.organizers, progress)
            .await?;
        sink.insert::<event::Entity, _>(&self.events, progress)
            .await?;
        sink.insert::<user::Entity, _>(&self.users, progress)
            .await?;
        sink.insert::<organizer_admin::Entity, _>(&self.organizer_admins, progress)
            .await?;
        sink.insert::<event_admin::Entity, _>(&self.event_admins, progress)
            .await?;
        sink.insert::<ticket_type::Entity, _>(&self.ticket_types, progress)
            .await?;
        sink.insert::<session::Entity, _>(&self.sessions, progress)
            .await?;
        sink.insert::<event_ticket::Entity, _>(&self.tickets, progress)
            .await?;
        sink.insert::<session_registration::Entity, _>(&self.registrations, progress)
            .await?;
        sink.insert::<speaker::Entity, _>(&self.speakers, progress)
            .await?;
        sink.insert::<session_speaker::Entity, _>(&self.session_speakers, progress)
            .await?;
        sink.insert::<speaker_ticket_type::Entity, _>(&self.speaker_ticket_types, progress)
            .await?;
        sink.insert::<sponsor::Entity, _>(&self.sponsors, progress)
            .await?;
        sink.insert::<session_sponsor::Entity, _>(&self.session_sponsors, progress)
            .await?;
        sink.insert::<mux_asset::Entity, _>(&self.assets, progress)
            .await?;
        Ok(())
    }
}
