//! Synthetic data sets (`small`, `medium`, `large`): generated from fixed seeds, so
//! every run writes the same ids and values, and streamed into the database table by
//! table without holding the registrations in memory.
//!
//! Shape: session 1 is the huge one (`big_session` registrants) and session 2 the
//! reference one (`reference_session`), both in event 1, both with a recording; the
//! other registrations spread unevenly over the other sessions.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::DbErr;

use super::{
    Size,
    activity::{self, Act, Habits, Loader, Registrant, Stage, Tally, ViewerRows},
    bulk::Sink,
};
use crate::{
    entity::{
        enums::{
            RegistrationType, Role, SessionFormat, SessionVisibility, SponsorSize, StreamProvider,
            SubStreamProvider,
        },
        event, event_admin, event_ticket, mux_asset, organizer, organizer_admin, session,
        session_registration, session_speaker, session_sponsor, speaker, speaker_ticket_type,
        sponsor, ticket_type, user,
    },
    progress::Progress,
};

/// The counts that define a synthetic data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dimensions {
    pub events: u64,
    pub sessions_per_event: u64,
    /// All users, the five log-in accounts and the speakers included.
    pub users: u64,
    pub tickets_first_event: u64,
    pub tickets_per_other_event: u64,
    /// Registrants of session 1.
    pub big_session: u64,
    /// Registrants of session 2.
    pub reference_session: u64,
    /// All registrations.
    pub registrations: u64,
    pub speakers_per_event: u64,
    pub speakers_per_session: u64,
    pub sponsors_per_event: u64,
    pub sponsors_per_session: u64,
    pub assets_per_session: u64,
    /// Activity events the registrants' activity adds (generated, so written out here
    /// and checked by a test that generates them).
    pub activity_events: u64,
    /// Rows of the tables derived from that activity.
    pub derived_rows: u64,
}

/// Users 1 to 5 are the demo's log-in accounts; speakers follow; attendees after them.
const ACCOUNTS: u64 = 5;
const TICKET_TYPES_PER_EVENT: u64 = 4;
const ORGANIZERS: u64 = 2;
const SEED: u64 = 0x5EED_2026;

impl Dimensions {
    pub fn of(size: Size) -> Self {
        match size {
            Size::Demo | Size::Small => Self {
                events: 2,
                sessions_per_event: 10,
                users: 4_000,
                tickets_first_event: 3_000,
                tickets_per_other_event: 1_000,
                big_session: 2_000,
                reference_session: 100,
                registrations: 10_000,
                speakers_per_event: 20,
                speakers_per_session: 10,
                sponsors_per_event: 10,
                sponsors_per_session: 5,
                assets_per_session: 2,
                activity_events: 156_584,
                derived_rows: 26_339,
            },
            Size::Medium => Self {
                events: 5,
                sessions_per_event: 100,
                users: 50_000,
                tickets_first_event: 40_000,
                tickets_per_other_event: 8_000,
                big_session: 25_000,
                reference_session: 1_000,
                registrations: 250_000,
                speakers_per_event: 100,
                speakers_per_session: 10,
                sponsors_per_event: 30,
                sponsors_per_session: 5,
                assets_per_session: 2,
                activity_events: 3_517_490,
                derived_rows: 598_810,
            },
            Size::Large => Self {
                events: 10,
                sessions_per_event: 200,
                users: 200_000,
                tickets_first_event: 150_000,
                tickets_per_other_event: 25_000,
                big_session: 100_000,
                reference_session: 1_000,
                registrations: 1_000_000,
                speakers_per_event: 200,
                speakers_per_session: 10,
                sponsors_per_event: 50,
                sponsors_per_session: 5,
                assets_per_session: 2,
                activity_events: 14_631_239,
                derived_rows: 2_503_123,
            },
        }
    }

    pub fn sessions(&self) -> u64 {
        self.events * self.sessions_per_event
    }

    pub fn tickets(&self) -> u64 {
        self.tickets_first_event + (self.events - 1) * self.tickets_per_other_event
    }

    pub fn speakers(&self) -> u64 {
        self.events * self.speakers_per_event
    }

    /// Every speaker gets the speaker ticket type; every other one VIP too.
    pub fn speaker_ticket_types(&self) -> u64 {
        self.speakers() + self.speakers().div_ceil(2)
    }

    /// Rows of the activity log and the tables derived from it.
    pub fn activity_rows(&self) -> u64 {
        self.activity_events + self.derived_rows
    }

    /// Rows of every table together, without the activity ([`Dimensions::activity_rows`]).
    pub fn rows(&self) -> u64 {
        let sessions = self.sessions();
        ORGANIZERS
            + 2 // organizer admins
            + 1 // event admin
            + self.events
            + self.users
            + self.events * TICKET_TYPES_PER_EVENT
            + sessions
            + self.tickets()
            + self.registrations
            + self.speakers()
            + self.speaker_ticket_types()
            + sessions * self.speakers_per_session
            + self.events * self.sponsors_per_event
            + sessions * self.sponsors_per_session
            + sessions * self.assets_per_session
    }

    fn tickets_of(&self, event: u64) -> u64 {
        if event == 1 {
            self.tickets_first_event
        } else {
            self.tickets_per_other_event
        }
    }

    /// Id of the first ticket of `event` (1-based).
    fn first_ticket(&self, event: u64) -> u64 {
        if event == 1 {
            1
        } else {
            1 + self.tickets_first_event + (event - 2) * self.tickets_per_other_event
        }
    }

    /// The holder of the `h`-th ticket (0-based) of `event`: distinct per event, a
    /// rotation of the attendees.
    fn holder(&self, event: u64, h: u64) -> u64 {
        self.first_attendee() + (h + event * 7_919) % self.attendees()
    }

    fn first_attendee(&self) -> u64 {
        ACCOUNTS + self.speakers() + 1
    }

    fn attendees(&self) -> u64 {
        self.users - self.first_attendee() + 1
    }

    /// Registrant counts of every session, indexed by session id - 1: uneven (weights
    /// from 0.25 to 1.75), summing exactly to `registrations`.
    fn registrants_per_session(&self) -> Vec<u64> {
        let sessions = self.sessions() as usize;
        let mut rng = StdRng::seed_from_u64(SEED ^ 0xC0);
        let weights: Vec<f64> = (0..sessions)
            .map(|_| rng.random_range(0.25..1.75))
            .collect();
        let mut counts = vec![0u64; sessions];
        counts[0] = self.big_session;
        counts[1] = self.reference_session;
        let rest = self.registrations - self.big_session - self.reference_session;
        let total: f64 = weights[2..].iter().sum();
        let mut given = 0;
        for (count, weight) in counts[2..].iter_mut().zip(&weights[2..]) {
            *count = (rest as f64 * weight / total).floor() as u64;
            given += *count;
        }
        for count in counts[2..].iter_mut().take((rest - given) as usize) {
            *count += 1;
        }
        counts
    }
}

/// The fixed day the synthetic events start from, so data sets match across machines.
fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 5, 8, 0, 0)
        .single()
        .unwrap_or_default()
}

const FIRST_NAMES: &[&str] = &[
    "Ava", "Liam", "Noah", "Mia", "Zoe", "Omar", "Priya", "Chen", "Sofia", "Mateo", "Aisha",
    "Lucas", "Hana", "Ivan", "Nora", "Kofi", "Elena", "Ravi", "Yuki", "Sam", "Élodie", "Jürgen",
    "Søren", "Zoë", "Amara", "Diego", "Fatima", "Hiro", "Ingrid", "Jonas", "Keiko", "Leila",
    "Marco", "Nadia", "Olga", "Pablo", "Quinn", "Rosa", "Tariq", "Uma",
];
const LAST_NAMES: &[&str] = &[
    "Smith",
    "Garcia",
    "Nguyen",
    "Patel",
    "Kim",
    "Okafor",
    "Rossi",
    "Novak",
    "Silva",
    "Cohen",
    "Tanaka",
    "Müller",
    "Dubois",
    "Haddad",
    "Larsen",
    "Moreau",
    "Kowalski",
    "Reyes",
    "Ali",
    "Brown",
    "Østergaard",
    "Šimek",
    "Fischer",
    "Andersson",
    "Yilmaz",
    "Mensah",
    "Ivanova",
    "Costa",
    "Schmidt",
    "Wang",
    "Lopez",
    "Jensen",
    "Bakker",
    "Horvat",
    "Papadopoulos",
    "Sato",
    "Ferreira",
    "Nowak",
    "Dimitrov",
    "O'Brien",
];
const COMPANIES: &[&str] = &[
    "Acme Cloud",
    "Globex",
    "Initech",
    "Umbrella Labs",
    "Stark Data",
    "Wayne Media",
    "Hooli",
    "Vandelay Industries",
];
const TITLES: &[&str] = &[
    "CTO",
    "Staff Engineer",
    "Head of Product",
    "Developer Advocate",
    "VP Marketing",
    "Data Scientist",
];

/// The name of user `id`: spread so that first and last names combine evenly.
fn name_of(id: u64) -> (&'static str, &'static str) {
    let n = id as usize;
    (
        FIRST_NAMES[n % FIRST_NAMES.len()],
        LAST_NAMES[(n / FIRST_NAMES.len() + n * 7) % LAST_NAMES.len()],
    )
}

/// `"Élodie"` as `"elodie"`-ish ASCII for email local parts.
fn ascii_lower(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'É' | 'é' => Some('e'),
            'ü' | 'Ü' => Some('u'),
            'ø' | 'Ø' => Some('o'),
            'ë' => Some('e'),
            'Š' | 'š' => Some('s'),
            '\'' => None,
            c => Some(c.to_ascii_lowercase()),
        })
        .collect()
}

/// Writes the data set `dims` into `sink` (an open transaction) and returns the rows
/// of activity (events and derived rows) it wrote besides [`Dimensions::rows`].
pub(super) async fn insert(
    sink: &mut Sink<'_>,
    dims: &Dimensions,
    password_hash: &str,
    progress: &Progress,
) -> Result<u64, DbErr> {
    let created = base() - Duration::days(90);
    let organizers: Vec<_> = ["Northwind Events", "Contoso Conferences"]
        .iter()
        .enumerate()
        .map(|(i, name)| organizer::Model {
            id: i as i64 + 1,
            name: (*name).into(),
            created_at: created,
        })
        .collect();
    sink.insert::<organizer::Entity, _>(&organizers, progress)
        .await?;

    let events: Vec<_> = (1..=dims.events)
        .map(|e| event::Model {
            id: e as i64,
            organizer_id: if e % 3 == 0 { 2 } else { 1 },
            name: format!("Synthetic Summit {e}"),
            start_time: event_start(e),
            end_time: event_start(e) + Duration::days(3),
            created_at: created,
        })
        .collect();
    sink.insert::<event::Entity, _>(&events, progress).await?;

    insert_users(sink, dims, password_hash, created, progress).await?;
    sink.insert::<organizer_admin::Entity, _>(
        &[
            organizer_admin::Model {
                organizer_id: 1,
                user_id: 2,
            },
            organizer_admin::Model {
                organizer_id: 2,
                user_id: 5,
            },
        ],
        progress,
    )
    .await?;
    sink.insert::<event_admin::Entity, _>(
        &[event_admin::Model {
            event_id: 1,
            user_id: 3,
        }],
        progress,
    )
    .await?;

    let ticket_types: Vec<_> = (1..=dims.events)
        .flat_map(|e| {
            ["General Admission", "VIP", "Speaker Pass", "Virtual Pass"]
                .iter()
                .enumerate()
                .map(move |(i, name)| ticket_type::Model {
                    id: ((e - 1) * TICKET_TYPES_PER_EVENT + i as u64 + 1) as i64,
                    event_id: e as i64,
                    name: (*name).into(),
                    free: i >= 2,
                })
        })
        .collect();
    sink.insert::<ticket_type::Entity, _>(&ticket_types, progress)
        .await?;

    let sessions = sessions(dims);
    sink.insert::<session::Entity, _>(&sessions, progress)
        .await?;
    insert_tickets(sink, dims, progress).await?;
    let activity_rows = insert_registrations(sink, dims, &sessions, progress).await?;
    insert_speakers(sink, dims, progress).await?;
    insert_sponsors(sink, dims, progress).await?;

    let mut rng = StdRng::seed_from_u64(SEED ^ 0xA5);
    let assets: Vec<_> = sessions
        .iter()
        .flat_map(|s| (0..dims.assets_per_session).map(move |part| (s, part)))
        .enumerate()
        .map(|(i, (s, part))| mux_asset::Model {
            id: i as i64 + 1,
            session_id: s.id,
            asset_id: format!("mux_{:016x}", rng.random::<u64>()),
            playback_id: Some(format!("pb_{:016x}", rng.random::<u64>())),
            file_name: Some(format!("session-{}-part-{}.mp4", s.id, part + 1)),
            // A recording in parts, or a short clip where the session had no video.
            duration_seconds: Some(match s.duration_seconds {
                Some(length) => length / dims.assets_per_session.max(1) as i32,
                None => rng.random_range(60..600),
            }),
            created_at: s.end_time + Duration::hours(1),
            created_by_user_id: Some(if s.event_id == 1 { 3 } else { 1 }),
        })
        .collect();
    sink.insert::<mux_asset::Entity, _>(&assets, progress)
        .await?;
    Ok(activity_rows)
}

fn event_start(event: u64) -> DateTime<Utc> {
    base() + Duration::days(7 * (event as i64 - 1))
}

async fn insert_users(
    sink: &mut Sink<'_>,
    dims: &Dimensions,
    password_hash: &str,
    created: DateTime<Utc>,
    progress: &Progress,
) -> Result<(), DbErr> {
    let accounts = [
        ("super.admin@example.com", "Sara", "Admin", Role::SuperAdmin),
        (
            "organizer.admin@example.com",
            "Oscar",
            "Organizer",
            Role::OrganizerAdmin,
        ),
        ("event.admin@example.com", "Eve", "Host", Role::EventAdmin),
        ("attendee@example.com", "Alex", "Attendee", Role::Attendee),
        (
            "contoso.admin@example.com",
            "Carla",
            "Contoso",
            Role::OrganizerAdmin,
        ),
    ];
    let mut batch: Vec<user::Model> = accounts
        .iter()
        .enumerate()
        .map(|(i, (email, first, last, role))| user::Model {
            id: i as i64 + 1,
            email: (*email).into(),
            first_name: Some((*first).into()),
            last_name: Some((*last).into()),
            phone_number: None,
            role: *role,
            password_hash: Some(password_hash.to_owned()),
            created_at: created,
        })
        .collect();
    let first_attendee = dims.first_attendee();
    for id in (ACCOUNTS + 1)..=dims.users {
        let (first, last) = name_of(id);
        let speaker = id < first_attendee;
        batch.push(user::Model {
            id: id as i64,
            email: format!(
                "{}.{}{}@example.com",
                ascii_lower(first),
                ascii_lower(last),
                id
            ),
            // Some attendees never gave their names: search must cope with NULLs.
            first_name: (speaker || id % 50 != 0).then(|| first.into()),
            last_name: (speaker || id % 50 != 0).then(|| last.into()),
            phone_number: (id % 3 == 0).then(|| format!("+1-555-{:07}", id % 10_000_000)),
            role: if speaker {
                Role::Speaker
            } else {
                Role::Attendee
            },
            // Synthetic attendees and speakers cannot log in.
            password_hash: None,
            created_at: created + Duration::minutes(id as i64 % 100_000),
        });
        if batch.len() >= 50_000 {
            sink.insert::<user::Entity, _>(&batch, progress).await?;
            batch.clear();
        }
    }
    sink.insert::<user::Entity, _>(&batch, progress).await
}

fn sessions(dims: &Dimensions) -> Vec<session::Model> {
    let mut rng = StdRng::seed_from_u64(SEED ^ 0x5E);
    let formats = [
        SessionFormat::MainstageSession,
        SessionFormat::BreakoutSession,
        SessionFormat::BreakoutSession,
        SessionFormat::WorkshopSession,
        SessionFormat::NetworkingSession,
        SessionFormat::Expo,
        SessionFormat::Break,
        SessionFormat::Other,
    ];
    let topics = [
        "Scaling GraphQL APIs",
        "Privacy by Design",
        "Data Pipelines in Practice",
        "The Future of Hybrid Events",
        "Observability for Everyone",
        "Ask Me Anything",
        "Building Communities",
        "Serverless at Scale",
    ];
    let mut out = Vec::with_capacity(dims.sessions() as usize);
    for e in 1..=dims.events {
        for k in 0..dims.sessions_per_event {
            let id = out.len() as i64 + 1;
            // Sessions 1 and 2 are keynotes with recordings (the benchmark's subjects).
            let format = if id <= 2 {
                SessionFormat::MainstageSession
            } else {
                formats[rng.random_range(0..formats.len())]
            };
            let video = (id <= 2 || (format != SessionFormat::Break && rng.random_bool(0.8)))
                .then(|| rng.random_range(20..=90) * 60);
            let provider = match format {
                SessionFormat::MainstageSession => Some(StreamProvider::Accelevents),
                SessionFormat::BreakoutSession => {
                    Some([StreamProvider::Youtube, StreamProvider::Rtmp][(k % 2) as usize])
                }
                SessionFormat::Expo => Some(StreamProvider::Vimeo),
                SessionFormat::Other => Some(StreamProvider::Zoom),
                _ => None,
            };
            let start = event_start(e)
                + Duration::days((k % 3) as i64)
                + Duration::minutes(30 * (k / 3) as i64 % 600);
            let length = video.unwrap_or(1800);
            out.push(session::Model {
                id,
                event_id: e as i64,
                title: format!("{} #{}", topics[(k % 8) as usize], k + 1),
                start_time: start,
                end_time: start + Duration::seconds(i64::from(length)),
                location: Some(format!("Room {}", 100 + k % 40)),
                description: Some(format!(
                    "{}: lessons from event {e}.",
                    topics[(k % 8) as usize]
                )),
                capacity: (k % 4 != 0).then(|| rng.random_range(50..=5_000)),
                format,
                duration_seconds: video,
                hide_session_from_attendees: format == SessionFormat::Break,
                enable_qanda: k % 3 != 2,
                enable_chat: true,
                enable_poll: k % 2 == 0,
                stream_key: provider
                    .map(|_| format!("sk_live_{e}_{id}_{:08x}", rng.random::<u32>())),
                stream_url: provider.map(|_| format!("https://stream.example.com/live/{id}")),
                stream_provider: provider,
                sub_stream_provider: (provider == Some(StreamProvider::Accelevents))
                    .then_some(SubStreamProvider::Chime),
                rtmp_url: (provider == Some(StreamProvider::Rtmp))
                    .then(|| "rtmps://live.example.com:443/app".into()),
                accel_events_studio: provider == Some(StreamProvider::Accelevents),
                direct_video_auto_start: k % 2 == 1,
                display_donation: k == 0,
                meeting_password: (provider == Some(StreamProvider::Zoom))
                    .then(|| format!("zm-{:06}", rng.random_range(0..1_000_000))),
                closed_caption_height: video.map(|_| 120),
                closed_caption_url: video.map(|_| format!("https://captions.example.com/{id}")),
                record_session: video.is_some(),
                hide_video_controls: k % 10 == 4,
                sub_title_file_url: video.map(|_| format!("https://captions.example.com/{id}.vtt")),
                visibility: if k % 12 == 6 {
                    SessionVisibility::Private
                } else {
                    SessionVisibility::Public
                },
                enable_attendee_list: k % 2 == 0,
                allowed_minutes_to_join_late: (k % 3 == 0).then_some(10),
                qanda_private: k % 7 == 1,
                created_at: event_start(e) - Duration::days(60),
            });
        }
    }
    out
}

async fn insert_tickets(
    sink: &mut Sink<'_>,
    dims: &Dimensions,
    progress: &Progress,
) -> Result<(), DbErr> {
    let mut batch = Vec::with_capacity(50_000);
    for e in 1..=dims.events {
        let first_tt = (e - 1) * TICKET_TYPES_PER_EVENT + 1;
        let holder = |h: u64| dims.holder(e, h);
        for h in 0..dims.tickets_of(e) {
            // Every tenth ticket was bought by a colleague (a group purchase).
            let purchaser = if h % 10 == 9 {
                holder(h - 1)
            } else {
                holder(h)
            };
            batch.push(event_ticket::Model {
                id: (dims.first_ticket(e) + h) as i64,
                event_id: e as i64,
                // General admission mostly, some VIP, some virtual.
                ticket_type_id: (first_tt + [0, 0, 0, 1, 3][(h % 5) as usize]) as i64,
                holder_user_id: holder(h) as i64,
                purchaser_user_id: purchaser as i64,
                created_at: event_start(e) - Duration::minutes(60 + (h as i64 * 37) % 86_400),
            });
            if batch.len() >= 50_000 {
                sink.insert::<event_ticket::Entity, _>(&batch, progress)
                    .await?;
                batch.clear();
            }
        }
    }
    sink.insert::<event_ticket::Entity, _>(&batch, progress)
        .await
}

/// How the synthetic sets' viewers behave. Players report every 30 s: the views and
/// seconds are those of a 10-second player (gaps up to a minute stay one view), with a
/// third of the events, which keeps `large` at about 10 million.
const HABITS: Habits = Habits {
    heartbeat_every: 30,
    in_person: 0.2,
    recording: 0.15,
};

/// The prefix of the seeded events' client ids.
const EVENT_ID_PREFIX: &str = "seed";

/// Writes the registrations, and with them the activity of each registrant and the
/// figures derived from it (see [`activity`]): a registrant's rollups (`attended`,
/// `watch_time_seconds`) follow their activity, as ingestion would have left them.
/// Returns the activity rows written (events and derived rows).
async fn insert_registrations(
    sink: &mut Sink<'_>,
    dims: &Dimensions,
    sessions: &[session::Model],
    progress: &Progress,
) -> Result<u64, DbErr> {
    let counts = dims.registrants_per_session();
    let mut batch = Vec::with_capacity(50_000);
    let mut loader = Loader::default();
    let mut acts = Vec::new();
    let mut next_id = 1;
    let started = std::time::Instant::now();
    for (s, &count) in sessions.iter().zip(&counts) {
        let mut registrants = Registrants::new(dims, s, count, next_id);
        next_id += count as i64;
        while let Some(r) = registrants.next(&mut acts) {
            loader.viewer(
                EVENT_ID_PREFIX,
                (s.id, r.holder, r.registration.event_ticket_id),
                &acts,
                r.derived,
            );
            batch.push(r.registration);
            if batch.len() >= 50_000 {
                sink.insert::<session_registration::Entity, _>(&batch, progress)
                    .await?;
                batch.clear();
            }
            loader.flush(sink, progress, false).await?;
        }
        loader.session(registrants.tally);
    }
    sink.insert::<session_registration::Entity, _>(&batch, progress)
        .await?;
    loader.flush(sink, progress, true).await?;
    tracing::info!(
        events = loader.events,
        derived_rows = loader.derived,
        seconds = started.elapsed().as_secs_f64(),
        writing_seconds = loader.writing.as_secs_f64(),
        "registrations and activity written"
    );
    Ok(loader.events + loader.derived)
}

/// One registration with its registrant's activity.
struct Registered {
    registration: session_registration::Model,
    holder: i64,
    derived: ViewerRows,
}

/// The registrations of one session, one at a time, with each registrant's activity
/// and its derived rows (the session's figures add up in `tally`).
struct Registrants<'a> {
    dims: &'a Dimensions,
    session: &'a session::Model,
    stage: Stage,
    tally: Tally,
    rng: StdRng,
    viewers: StdRng,
    attendance: f64,
    interest: f64,
    offset: u64,
    n: u64,
    count: u64,
    first_id: i64,
}

impl<'a> Registrants<'a> {
    fn new(dims: &'a Dimensions, s: &'a session::Model, count: u64, first_id: i64) -> Self {
        let tickets = dims.tickets_of(s.event_id as u64);
        let mut rng = StdRng::seed_from_u64(SEED ^ (s.id as u64).wrapping_mul(0x9E37_79B9));
        // Attendance between 30 % and 60 %, interest-only between 10 % and 30 %.
        let attendance = rng.random_range(0.3..0.6);
        let interest = rng.random_range(0.1..0.3);
        // The huge session takes the first tickets; others a run from a random offset.
        let offset = if s.id == 1 {
            0
        } else {
            rng.random_range(0..tickets)
        };
        Self {
            dims,
            session: s,
            stage: stage_of(s),
            tally: Tally::new(s.id, s.duration_seconds),
            rng,
            // A stream of its own, so the registrations stay those of the sets
            // before they had activity.
            viewers: StdRng::seed_from_u64(SEED ^ 0xAC7 ^ (s.id as u64).wrapping_mul(0x2545_F491)),
            attendance,
            interest,
            offset,
            n: 0,
            count,
            first_id,
        }
    }

    /// The next registration; its registrant's events are left in `acts`.
    fn next(&mut self, acts: &mut Vec<Act>) -> Option<Registered> {
        if self.n == self.count {
            return None;
        }
        let (s, dims, rng) = (self.session, self.dims, &mut self.rng);
        let e = s.event_id as u64;
        let h = (self.offset + self.n) % dims.tickets_of(e);
        let ticket = dims.first_ticket(e) + h;
        let id = self.first_id + self.n as i64;
        self.n += 1;
        let interested = rng.random_bool(self.interest);
        let mut attended = !interested && rng.random_bool(self.attendance);
        let mut watched = match (attended, s.duration_seconds) {
            (true, Some(length)) => watch_time(rng, length),
            _ => 0,
        };
        // Most register in the last days, a few weeks ahead.
        let lead = rng.random::<f64>().powi(2) * 30.0 * 24.0 * 60.0;
        activity::registrant(
            &mut self.viewers,
            &self.stage,
            &HABITS,
            Registrant {
                registered: !interested,
                attended,
                watched,
            },
            acts,
        );
        let holder = dims.holder(e, h) as i64;
        let derived = self.tally.add(holder, acts);
        attended |= derived.attends;
        watched = match derived.watch_seconds {
            Some(seconds) => seconds,
            // Came in person: no video watched (a stored figure, as imported).
            None if derived.attends => 0,
            None => watched,
        };
        Some(Registered {
            registration: session_registration::Model {
                id,
                session_id: s.id,
                event_ticket_id: ticket as i64,
                registration_type: if interested {
                    RegistrationType::Interested
                } else {
                    RegistrationType::Registered
                },
                registered_at: s.start_time - Duration::minutes(10 + lead as i64),
                attended,
                watch_time_seconds: watched,
            },
            holder,
            derived,
        })
    }
}

/// A session as the activity generator sees it.
fn stage_of(s: &session::Model) -> Stage {
    Stage {
        start: s.start_time.timestamp(),
        end: s.end_time.timestamp(),
        video_seconds: s.duration_seconds,
        chat: s.enable_chat,
        qanda: s.enable_qanda,
        poll: s.enable_poll,
    }
}

/// Seconds watched of a `length`-second video: a quarter drop out early, half stay for
/// most of it, the rest watch it all (and a little of what follows).
fn watch_time(rng: &mut StdRng, length: i32) -> i32 {
    let length = length.max(600);
    match rng.random_range(0..4) {
        0 => rng.random_range(30..length / 4),
        1 | 2 => rng.random_range(length / 4..length * 9 / 10),
        _ => rng.random_range(length * 9 / 10..=length + 300),
    }
}

async fn insert_speakers(
    sink: &mut Sink<'_>,
    dims: &Dimensions,
    progress: &Progress,
) -> Result<(), DbErr> {
    let mut speakers = Vec::with_capacity(dims.speakers() as usize);
    let mut ticket_types = Vec::new();
    for e in 1..=dims.events {
        let first_tt = (e - 1) * TICKET_TYPES_PER_EVENT + 1;
        for k in 0..dims.speakers_per_event {
            let id = speakers.len() as i64 + 1;
            let user_id = ACCOUNTS as i64 + id;
            let (first, last) = name_of(user_id as u64);
            let i = k as usize;
            speakers.push(speaker::Model {
                id,
                event_id: e as i64,
                user_id,
                first_name: first.into(),
                last_name: last.into(),
                title: Some(TITLES[i % TITLES.len()].into()),
                company: Some(COMPANIES[(i + e as usize) % COMPANIES.len()].into()),
                image_url: Some(format!("https://images.example.com/speakers/{id}.jpg")),
                pronouns: Some(["she/her", "he/him", "they/them"][i % 3].into()),
                bio: Some(format!("{first} speaks about cloud, data and community.")),
                linked_in: Some(format!("https://www.linkedin.com/in/speaker-{id}")),
                twitter: (i % 3 != 2).then(|| format!("https://twitter.com/speaker{id}")),
                instagram: i
                    .is_multiple_of(2)
                    .then(|| format!("https://instagram.com/speaker{id}")),
                logged_in_at_veh: !i.is_multiple_of(3),
                device_checked: i.is_multiple_of(2),
                allow_override_details: i.is_multiple_of(4),
                allow_attendee_access: i % 3 == 1,
            });
            ticket_types.push(speaker_ticket_type::Model {
                speaker_id: id,
                ticket_type_id: (first_tt + 2) as i64,
            });
            if id % 2 == 1 {
                ticket_types.push(speaker_ticket_type::Model {
                    speaker_id: id,
                    ticket_type_id: (first_tt + 1) as i64,
                });
            }
        }
    }
    sink.insert::<speaker::Entity, _>(&speakers, progress)
        .await?;
    sink.insert::<speaker_ticket_type::Entity, _>(&ticket_types, progress)
        .await?;
    let mut rng = StdRng::seed_from_u64(SEED ^ 0x5B);
    let mut links = Vec::with_capacity((dims.sessions() * dims.speakers_per_session) as usize);
    for s in 0..dims.sessions() {
        let e = s / dims.sessions_per_event;
        let offset = rng.random_range(0..dims.speakers_per_event);
        for p in 0..dims.speakers_per_session {
            links.push(session_speaker::Model {
                session_id: s as i64 + 1,
                speaker_id: (e * dims.speakers_per_event
                    + (offset + p) % dims.speakers_per_event
                    + 1) as i64,
                position: p as i32 + 1,
                moderator: p == 0,
                show_moderator: p == 0 && s % 2 == 0,
            });
        }
    }
    sink.insert::<session_speaker::Entity, _>(&links, progress)
        .await
}

async fn insert_sponsors(
    sink: &mut Sink<'_>,
    dims: &Dimensions,
    progress: &Progress,
) -> Result<(), DbErr> {
    let mut sponsors = Vec::with_capacity((dims.events * dims.sponsors_per_event) as usize);
    for e in 1..=dims.events {
        for k in 0..dims.sponsors_per_event {
            let id = sponsors.len() as i64 + 1;
            let name = format!("{} {}", COMPANIES[(k % 8) as usize], k / 8 + 1);
            sponsors.push(sponsor::Model {
                id,
                event_id: e as i64,
                website: Some(format!("https://sponsor{id}.example.com")),
                logo_url: Some(format!("https://images.example.com/sponsors/{id}.png")),
                name,
                // Few large sponsors, more medium and small ones, some unsized.
                size: [
                    Some(SponsorSize::Large),
                    Some(SponsorSize::Medium),
                    Some(SponsorSize::Medium),
                    Some(SponsorSize::Small),
                    Some(SponsorSize::Small),
                    Some(SponsorSize::Small),
                    None,
                ][(k % 7) as usize],
            });
        }
    }
    sink.insert::<sponsor::Entity, _>(&sponsors, progress)
        .await?;
    let mut rng = StdRng::seed_from_u64(SEED ^ 0x59);
    let mut links = Vec::with_capacity((dims.sessions() * dims.sponsors_per_session) as usize);
    for s in 0..dims.sessions() {
        let e = s / dims.sessions_per_event;
        let offset = rng.random_range(0..dims.sponsors_per_event);
        for p in 0..dims.sponsors_per_session {
            links.push(session_sponsor::Model {
                session_id: s as i64 + 1,
                sponsor_id: (e * dims.sponsors_per_event
                    + (offset + p) % dims.sponsors_per_event
                    + 1) as i64,
                position: p as i32 + 1,
            });
        }
    }
    sink.insert::<session_sponsor::Entity, _>(&links, progress)
        .await
}

/// Events and derived rows of the data set `dims`, generated without a database.
#[cfg(test)]
fn activity_rows(dims: &Dimensions) -> (u64, u64) {
    let counts = dims.registrants_per_session();
    let mut loader = Loader::default();
    let mut acts = Vec::new();
    let sessions = sessions(dims);
    for (s, &count) in sessions.iter().zip(&counts) {
        let mut registrants = Registrants::new(dims, s, count, 1);
        while let Some(r) = registrants.next(&mut acts) {
            loader.count(acts.len(), r.derived);
        }
        loader.session_count(registrants.tally);
    }
    (loader.events, loader.derived)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_consistent() {
        for size in [Size::Small, Size::Medium, Size::Large] {
            let d = Dimensions::of(size);
            let counts = d.registrants_per_session();
            assert_eq!(counts.iter().sum::<u64>(), d.registrations, "{size:?}");
            for (i, count) in counts.iter().enumerate() {
                let event = i as u64 / d.sessions_per_event + 1;
                assert!(*count <= d.tickets_of(event), "{size:?} session {}", i + 1);
            }
            assert!(d.tickets_first_event <= d.attendees());
            assert!(d.tickets_per_other_event <= d.attendees());
            assert!(d.speakers_per_session <= d.speakers_per_event);
            assert!(d.sponsors_per_session <= d.sponsors_per_event);
        }
    }

    #[test]
    fn large_meets_the_issue() {
        let d = Dimensions::of(Size::Large);
        assert!(d.events >= 10);
        assert!(d.sessions() >= 2_000);
        assert!(d.sessions() * d.speakers_per_session >= 20_000);
        assert!(d.sessions() * d.sponsors_per_session >= 10_000);
        assert!(d.sessions() * d.assets_per_session >= 4_000);
        assert!(d.registrations >= 1_000_000);
        assert_eq!(d.big_session, 100_000);
        assert_eq!(d.reference_session, 1_000);
        assert!(d.activity_events >= 10_000_000);
        // The totals README.md and docs/PERFORMANCE.md quote.
        assert_eq!(d.rows(), 1_616_555);
        assert_eq!(Dimensions::of(Size::Medium).rows(), 382_430);
    }
}

#[cfg(test)]
mod activity_counts {
    use super::*;

    fn check(size: Size) {
        let dims = Dimensions::of(size);
        let (events, derived) = activity_rows(&dims);
        assert_eq!(
            (events, derived),
            (dims.activity_events, dims.derived_rows),
            "{size:?}"
        );
    }

    #[test]
    fn small_has_the_activity_it_declares() {
        check(Size::Small);
    }

    #[test]
    #[ignore = "generates 18 million events and rows: seconds in release, minutes in debug"]
    fn medium_and_large_have_the_activity_they_declare() {
        check(Size::Medium);
        check(Size::Large);
    }
}
