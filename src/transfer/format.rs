//! The NDJSON record types of `import` and `export`: one per table, with their fields (`docs/IMPORT.md`).

/// What a field holds, and how it is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A positive 64-bit integer: an id, or a reference to the `id` of `table`.
    Id(Option<&'static str>),
    /// A non-negative 32-bit integer (counts, seconds, positions).
    Count,
    Bool,
    /// Text of at most this many characters.
    Text(usize),
    /// An email address (at most 320 characters).
    Email,
    /// One of these values.
    Enum(&'static [&'static str]),
    /// An RFC 3339 timestamp with an offset; stored and exported in UTC.
    Time,
}

/// What a missing field means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// A missing field is an error.
    Required,
    /// A missing field is `null`.
    Null,
    /// A missing boolean is `false`.
    False,
    /// A missing count is `0`.
    Zero,
}

#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub missing: Missing,
}

impl Field {
    pub fn nullable(&self) -> bool {
        self.missing == Missing::Null
    }

    /// The table this field references, if it is a foreign key.
    pub fn references(&self) -> Option<&'static str> {
        match self.kind {
            Kind::Id(table) => table,
            _ => None,
        }
    }
}

/// One record type: a table and the fields a record of it carries.
#[derive(Debug)]
pub struct RecordType {
    /// The `"type"` tag.
    pub tag: &'static str,
    pub table: &'static str,
    /// The primary key (upserts conflict on it, export orders by it).
    pub key: &'static [&'static str],
    pub fields: &'static [Field],
}

impl RecordType {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// Whether the table has an `id` sequence (PostgreSQL moves it past imported ids).
    pub fn has_id_sequence(&self) -> bool {
        self.key == ["id"]
    }
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        missing: Missing::Required,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        missing: Missing::Null,
    }
}

const fn flag(name: &'static str) -> Field {
    Field {
        name,
        kind: Kind::Bool,
        missing: Missing::False,
    }
}

const fn zero(name: &'static str) -> Field {
    Field {
        name,
        kind: Kind::Count,
        missing: Missing::Zero,
    }
}

/// Longest accepted short text (names, titles, URLs).
pub const SHORT: usize = 2_000;
/// Longest accepted long text (descriptions, biographies).
pub const LONG: usize = 100_000;

const ID: Kind = Kind::Id(None);
const fn to(table: &'static str) -> Kind {
    Kind::Id(Some(table))
}
const STR: Kind = Kind::Text(SHORT);
const TEXT: Kind = Kind::Text(LONG);

pub const ROLES: &[&str] = &[
    "SUPER_ADMIN",
    "ORGANIZER_ADMIN",
    "EVENT_ADMIN",
    "STAFF",
    "SPEAKER",
    "ATTENDEE",
    "INGEST",
];
pub const FORMATS: &[&str] = &[
    "MAINSTAGE_SESSION",
    "BREAKOUT_SESSION",
    "NETWORKING_SESSION",
    "WORKSHOP_SESSION",
    "EXPO",
    "BREAK",
    "OTHER",
];
pub const STREAM_PROVIDERS: &[&str] = &[
    "ACCELEVENTS",
    "YOUTUBE",
    "VIMEO",
    "WISTIA",
    "ZOOM",
    "FACEBOOK",
    "DIRECT_UPLOAD",
    "RTMP",
];
pub const SUB_STREAM_PROVIDERS: &[&str] = &["VOXEET", "TOKBOX", "CHIME", "AGORA"];
pub const VISIBILITIES: &[&str] = &["PUBLIC", "PRIVATE"];
pub const REGISTRATION_TYPES: &[&str] = &["REGISTERED", "INTERESTED"];
pub const SPONSOR_SIZES: &[&str] = &["SMALL", "MEDIUM", "LARGE"];
pub const ACTIVITY_KINDS: &[&str] = &[
    "JOIN",
    "LEAVE",
    "VIEW",
    "CHAT",
    "LIVE_HEARTBEAT",
    "RECORDING_HEARTBEAT",
    "CHECK_IN",
    "QUESTION",
    "POLL_VOTE",
];

/// Every record type, parents before the children that reference them: the order
/// `export` writes and `import` writes in.
pub const TYPES: &[RecordType] = &[
    RecordType {
        tag: "organizer",
        table: "organizers",
        key: &["id"],
        fields: &[
            req("id", ID),
            req("name", STR),
            req("created_at", Kind::Time),
        ],
    },
    RecordType {
        tag: "event",
        table: "events",
        key: &["id"],
        fields: &[
            req("id", ID),
            req("organizer_id", to("organizers")),
            req("name", STR),
            req("start_time", Kind::Time),
            req("end_time", Kind::Time),
            req("created_at", Kind::Time),
        ],
    },
    // `password_hash` is deliberately absent: never exported, never imported.
    RecordType {
        tag: "user",
        table: "users",
        key: &["id"],
        fields: &[
            req("id", ID),
            req("email", Kind::Email),
            opt("first_name", STR),
            opt("last_name", STR),
            opt("phone_number", STR),
            req("role", Kind::Enum(ROLES)),
            req("created_at", Kind::Time),
        ],
    },
    RecordType {
        tag: "organizer_admin",
        table: "organizer_admins",
        key: &["organizer_id", "user_id"],
        fields: &[
            req("organizer_id", to("organizers")),
            req("user_id", to("users")),
        ],
    },
    RecordType {
        tag: "event_admin",
        table: "event_admins",
        key: &["event_id", "user_id"],
        fields: &[req("event_id", to("events")), req("user_id", to("users"))],
    },
    RecordType {
        tag: "session",
        table: "sessions",
        key: &["id"],
        fields: &[
            req("id", ID),
            req("event_id", to("events")),
            req("title", STR),
            req("start_time", Kind::Time),
            req("end_time", Kind::Time),
            opt("location", STR),
            opt("description", TEXT),
            opt("capacity", Kind::Count),
            req("format", Kind::Enum(FORMATS)),
            opt("duration_seconds", Kind::Count),
            flag("hide_session_from_attendees"),
            flag("enable_qanda"),
            flag("enable_chat"),
            flag("enable_poll"),
            opt("stream_key", STR),
            opt("stream_url", STR),
            opt("stream_provider", Kind::Enum(STREAM_PROVIDERS)),
            opt("sub_stream_provider", Kind::Enum(SUB_STREAM_PROVIDERS)),
            opt("rtmp_url", STR),
            flag("accel_events_studio"),
            flag("direct_video_auto_start"),
            flag("display_donation"),
            opt("meeting_password", STR),
            opt("closed_caption_height", Kind::Count),
            opt("closed_caption_url", STR),
            flag("record_session"),
            flag("hide_video_controls"),
            opt("sub_title_file_url", STR),
            req("visibility", Kind::Enum(VISIBILITIES)),
            flag("enable_attendee_list"),
            opt("allowed_minutes_to_join_late", Kind::Count),
            flag("qanda_private"),
            req("created_at", Kind::Time),
        ],
    },
    RecordType {
        tag: "ticket_type",
        table: "ticket_types",
        key: &["id"],
        fields: &[
            req("id", ID),
            req("event_id", to("events")),
            req("name", STR),
            flag("free"),
        ],
    },
    RecordType {
        tag: "ticket",
        table: "event_tickets",
        key: &["id"],
        fields: &[
            req("id", ID),
            req("event_id", to("events")),
            req("ticket_type_id", to("ticket_types")),
            req("holder_user_id", to("users")),
            req("purchaser_user_id", to("users")),
            req("created_at", Kind::Time),
        ],
    },
    RecordType {
        tag: "registration",
        table: "session_registrations",
        key: &["id"],
        fields: &[
            req("id", ID),
            req("session_id", to("sessions")),
            req("event_ticket_id", to("event_tickets")),
            req("registration_type", Kind::Enum(REGISTRATION_TYPES)),
            req("registered_at", Kind::Time),
            flag("attended"),
            zero("watch_time_seconds"),
        ],
    },
    RecordType {
        tag: "speaker",
        table: "speakers",
        key: &["id"],
        fields: &[
            req("id", ID),
            req("event_id", to("events")),
            req("user_id", to("users")),
            req("first_name", STR),
            req("last_name", STR),
            opt("title", STR),
            opt("company", STR),
            opt("image_url", STR),
            opt("pronouns", STR),
            opt("bio", TEXT),
            opt("linked_in", STR),
            opt("twitter", STR),
            opt("instagram", STR),
            flag("logged_in_at_veh"),
            flag("device_checked"),
            flag("allow_override_details"),
            flag("allow_attendee_access"),
        ],
    },
    RecordType {
        tag: "session_speaker",
        table: "session_speakers",
        key: &["session_id", "speaker_id"],
        fields: &[
            req("session_id", to("sessions")),
            req("speaker_id", to("speakers")),
            zero("position"),
            flag("moderator"),
            flag("show_moderator"),
        ],
    },
    RecordType {
        tag: "speaker_ticket_type",
        table: "speaker_ticket_types",
        key: &["speaker_id", "ticket_type_id"],
        fields: &[
            req("speaker_id", to("speakers")),
            req("ticket_type_id", to("ticket_types")),
        ],
    },
    RecordType {
        tag: "sponsor",
        table: "sponsors",
        key: &["id"],
        fields: &[
            req("id", ID),
            req("event_id", to("events")),
            req("name", STR),
            opt("logo_url", STR),
            opt("website", STR),
            opt("size", Kind::Enum(SPONSOR_SIZES)),
        ],
    },
    RecordType {
        tag: "session_sponsor",
        table: "session_sponsors",
        key: &["session_id", "sponsor_id"],
        fields: &[
            req("session_id", to("sessions")),
            req("sponsor_id", to("sponsors")),
            zero("position"),
        ],
    },
    RecordType {
        tag: "asset",
        table: "mux_assets",
        key: &["id"],
        fields: &[
            req("id", ID),
            req("session_id", to("sessions")),
            req("asset_id", STR),
            opt("playback_id", STR),
            opt("file_name", STR),
            opt("duration_seconds", Kind::Count),
            req("created_at", Kind::Time),
            opt("created_by_user_id", to("users")),
        ],
    },
    RecordType {
        tag: "session_activity",
        table: "session_activities",
        key: &["id"],
        fields: &[
            req("id", ID),
            req("session_id", to("sessions")),
            req("user_id", to("users")),
            opt("event_ticket_id", to("event_tickets")),
            req("kind", Kind::Enum(ACTIVITY_KINDS)),
            req("occurred_at", Kind::Time),
            opt("client_event_id", Kind::Text(128)),
            opt("position_seconds", Kind::Count),
        ],
    },
];

/// The record type with this tag.
pub fn by_tag(tag: &str) -> Option<(usize, &'static RecordType)> {
    TYPES.iter().enumerate().find(|(_, ty)| ty.tag == tag)
}

/// The record type stored in this table.
pub fn by_table(table: &str) -> Option<&'static RecordType> {
    TYPES.iter().find(|ty| ty.table == table)
}
