//! Creates the whole schema described in `docs/DATA_MODEL.md`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, indexes) in schema() {
            manager.create_table(table).await?;
            for index in indexes {
                manager.create_index(index).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Walking the same list backwards keeps `down` in step with `up` and drops
        // children before the parents their foreign keys point at. Indexes and
        // foreign keys go with their tables.
        for (table, _) in schema().into_iter().rev() {
            if let Some(name) = table.get_table_name() {
                manager
                    .drop_table(Table::drop().table(name.clone()).to_owned())
                    .await?;
            }
        }
        Ok(())
    }
}

/// Every table with its indexes, parents before children.
///
/// Foreign keys are declared inside `CREATE TABLE` because SQLite cannot add
/// them to an existing table.
fn schema() -> Vec<(TableCreateStatement, Vec<IndexCreateStatement>)> {
    use ForeignKeyAction::{Cascade, NoAction, SetNull};

    vec![
        (
            Table::create()
                .table(Organizers::Table)
                .col(big_pk_auto(Organizers::Id))
                .col(string(Organizers::Name))
                .col(timestamp_with_time_zone(Organizers::CreatedAt))
                .to_owned(),
            vec![],
        ),
        (
            Table::create()
                .table(Events::Table)
                .col(big_pk_auto(Events::Id))
                .col(big_integer(Events::OrganizerId))
                .col(string(Events::Name))
                .col(timestamp_with_time_zone(Events::StartTime))
                .col(timestamp_with_time_zone(Events::EndTime))
                .col(timestamp_with_time_zone(Events::CreatedAt))
                .foreign_key(&mut fk(
                    Events::Table,
                    Events::OrganizerId,
                    Organizers::Table,
                    Organizers::Id,
                    Cascade,
                ))
                .to_owned(),
            vec![
                index(Events::Table, &[Events::OrganizerId]),
                index(Events::Table, &[Events::StartTime, Events::Id]),
            ],
        ),
        (
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(string(Users::Email))
                .col(string_null(Users::FirstName))
                .col(string_null(Users::LastName))
                .col(string_null(Users::PhoneNumber))
                .col(string_len(Users::Role, 32))
                // Null for accounts that were invited but never set a password:
                // they cannot log in.
                .col(string_null(Users::PasswordHash))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .to_owned(),
            vec![unique_index(Users::Table, &[Users::Email])],
        ),
        (
            Table::create()
                .table(EventAdmins::Table)
                .col(big_integer(EventAdmins::EventId))
                .col(big_integer(EventAdmins::UserId))
                .primary_key(
                    Index::create()
                        .col(EventAdmins::EventId)
                        .col(EventAdmins::UserId),
                )
                .foreign_key(&mut fk(
                    EventAdmins::Table,
                    EventAdmins::EventId,
                    Events::Table,
                    Events::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    EventAdmins::Table,
                    EventAdmins::UserId,
                    Users::Table,
                    Users::Id,
                    Cascade,
                ))
                .to_owned(),
            // The primary key already serves lookups by event_id.
            vec![index(EventAdmins::Table, &[EventAdmins::UserId])],
        ),
        (
            Table::create()
                .table(OrganizerAdmins::Table)
                .col(big_integer(OrganizerAdmins::OrganizerId))
                .col(big_integer(OrganizerAdmins::UserId))
                .primary_key(
                    Index::create()
                        .col(OrganizerAdmins::OrganizerId)
                        .col(OrganizerAdmins::UserId),
                )
                .foreign_key(&mut fk(
                    OrganizerAdmins::Table,
                    OrganizerAdmins::OrganizerId,
                    Organizers::Table,
                    Organizers::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    OrganizerAdmins::Table,
                    OrganizerAdmins::UserId,
                    Users::Table,
                    Users::Id,
                    Cascade,
                ))
                .to_owned(),
            vec![index(OrganizerAdmins::Table, &[OrganizerAdmins::UserId])],
        ),
        (
            Table::create()
                .table(Sessions::Table)
                .col(big_pk_auto(Sessions::Id))
                .col(big_integer(Sessions::EventId))
                .col(string(Sessions::Title))
                .col(timestamp_with_time_zone(Sessions::StartTime))
                .col(timestamp_with_time_zone(Sessions::EndTime))
                .col(string_null(Sessions::Location))
                .col(text_null(Sessions::Description))
                .col(integer_null(Sessions::Capacity))
                .col(string_len(Sessions::Format, 32))
                .col(integer_null(Sessions::DurationSeconds))
                .col(flag(Sessions::HideSessionFromAttendees))
                .col(flag(Sessions::EnableQanda))
                .col(flag(Sessions::EnableChat))
                .col(flag(Sessions::EnablePoll))
                .col(string_null(Sessions::StreamKey))
                .col(string_null(Sessions::StreamUrl))
                .col(string_len_null(Sessions::StreamProvider, 32))
                .col(string_len_null(Sessions::SubStreamProvider, 32))
                .col(string_null(Sessions::RtmpUrl))
                .col(flag(Sessions::AccelEventsStudio))
                .col(flag(Sessions::DirectVideoAutoStart))
                .col(flag(Sessions::DisplayDonation))
                .col(string_null(Sessions::MeetingPassword))
                .col(integer_null(Sessions::ClosedCaptionHeight))
                .col(string_null(Sessions::ClosedCaptionUrl))
                .col(flag(Sessions::RecordSession))
                .col(flag(Sessions::HideVideoControls))
                .col(string_null(Sessions::SubTitleFileUrl))
                .col(string_len(Sessions::Visibility, 32))
                .col(flag(Sessions::EnableAttendeeList))
                .col(integer_null(Sessions::AllowedMinutesToJoinLate))
                .col(flag(Sessions::QandaPrivate))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .foreign_key(&mut fk(
                    Sessions::Table,
                    Sessions::EventId,
                    Events::Table,
                    Events::Id,
                    Cascade,
                ))
                .to_owned(),
            // Leads with event_id, so it also covers the foreign key; the trailing
            // id gives the agenda a stable order for keyset pagination.
            vec![index(
                Sessions::Table,
                &[Sessions::EventId, Sessions::StartTime, Sessions::Id],
            )],
        ),
        (
            Table::create()
                .table(TicketTypes::Table)
                .col(big_pk_auto(TicketTypes::Id))
                .col(big_integer(TicketTypes::EventId))
                .col(string(TicketTypes::Name))
                .col(flag(TicketTypes::Free))
                .foreign_key(&mut fk(
                    TicketTypes::Table,
                    TicketTypes::EventId,
                    Events::Table,
                    Events::Id,
                    Cascade,
                ))
                .to_owned(),
            vec![index(TicketTypes::Table, &[TicketTypes::EventId])],
        ),
        (
            Table::create()
                .table(EventTickets::Table)
                .col(big_pk_auto(EventTickets::Id))
                .col(big_integer(EventTickets::EventId))
                .col(big_integer(EventTickets::TicketTypeId))
                .col(big_integer(EventTickets::HolderUserId))
                .col(big_integer(EventTickets::PurchaserUserId))
                .col(timestamp_with_time_zone(EventTickets::CreatedAt))
                .foreign_key(&mut fk(
                    EventTickets::Table,
                    EventTickets::EventId,
                    Events::Table,
                    Events::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    EventTickets::Table,
                    EventTickets::TicketTypeId,
                    TicketTypes::Table,
                    TicketTypes::Id,
                    NoAction,
                ))
                .foreign_key(&mut fk(
                    EventTickets::Table,
                    EventTickets::HolderUserId,
                    Users::Table,
                    Users::Id,
                    NoAction,
                ))
                .foreign_key(&mut fk(
                    EventTickets::Table,
                    EventTickets::PurchaserUserId,
                    Users::Table,
                    Users::Id,
                    NoAction,
                ))
                .to_owned(),
            vec![
                index(EventTickets::Table, &[EventTickets::EventId]),
                index(EventTickets::Table, &[EventTickets::TicketTypeId]),
                index(EventTickets::Table, &[EventTickets::HolderUserId]),
                index(EventTickets::Table, &[EventTickets::PurchaserUserId]),
            ],
        ),
        (
            Table::create()
                .table(SessionRegistrations::Table)
                .col(big_pk_auto(SessionRegistrations::Id))
                .col(big_integer(SessionRegistrations::SessionId))
                .col(big_integer(SessionRegistrations::EventTicketId))
                .col(string_len(SessionRegistrations::RegistrationType, 32))
                .col(timestamp_with_time_zone(SessionRegistrations::RegisteredAt))
                .col(flag(SessionRegistrations::Attended))
                .col(integer(SessionRegistrations::WatchTimeSeconds).default(0))
                .foreign_key(&mut fk(
                    SessionRegistrations::Table,
                    SessionRegistrations::SessionId,
                    Sessions::Table,
                    Sessions::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    SessionRegistrations::Table,
                    SessionRegistrations::EventTicketId,
                    EventTickets::Table,
                    EventTickets::Id,
                    Cascade,
                ))
                .to_owned(),
            // The session_id-led indexes cover its foreign key; the trailing id keeps
            // keyset pagination stable when registered_at or watch time tie.
            vec![
                unique_index(
                    SessionRegistrations::Table,
                    &[
                        SessionRegistrations::SessionId,
                        SessionRegistrations::EventTicketId,
                    ],
                ),
                index(
                    SessionRegistrations::Table,
                    &[
                        SessionRegistrations::SessionId,
                        SessionRegistrations::RegisteredAt,
                        SessionRegistrations::Id,
                    ],
                ),
                index(
                    SessionRegistrations::Table,
                    &[
                        SessionRegistrations::SessionId,
                        SessionRegistrations::WatchTimeSeconds,
                        SessionRegistrations::Id,
                    ],
                ),
                index(
                    SessionRegistrations::Table,
                    &[SessionRegistrations::EventTicketId],
                ),
            ],
        ),
        (
            Table::create()
                .table(Speakers::Table)
                .col(big_pk_auto(Speakers::Id))
                .col(big_integer(Speakers::EventId))
                .col(big_integer(Speakers::UserId))
                .col(string(Speakers::FirstName))
                .col(string(Speakers::LastName))
                .col(string_null(Speakers::Title))
                .col(string_null(Speakers::Company))
                .col(string_null(Speakers::ImageUrl))
                .col(string_null(Speakers::Pronouns))
                .col(text_null(Speakers::Bio))
                .col(string_null(Speakers::LinkedIn))
                .col(string_null(Speakers::Twitter))
                .col(string_null(Speakers::Instagram))
                .col(flag(Speakers::LoggedInAtVeh))
                .col(flag(Speakers::DeviceChecked))
                .col(flag(Speakers::AllowOverrideDetails))
                .col(flag(Speakers::AllowAttendeeAccess))
                .foreign_key(&mut fk(
                    Speakers::Table,
                    Speakers::EventId,
                    Events::Table,
                    Events::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    Speakers::Table,
                    Speakers::UserId,
                    Users::Table,
                    Users::Id,
                    Cascade,
                ))
                .to_owned(),
            // The unique index leads with event_id, so it covers that foreign key.
            vec![
                unique_index(Speakers::Table, &[Speakers::EventId, Speakers::UserId]),
                index(Speakers::Table, &[Speakers::UserId]),
            ],
        ),
        (
            Table::create()
                .table(SessionSpeakers::Table)
                .col(big_integer(SessionSpeakers::SessionId))
                .col(big_integer(SessionSpeakers::SpeakerId))
                .col(integer(SessionSpeakers::Position).default(0))
                .col(flag(SessionSpeakers::Moderator))
                .col(flag(SessionSpeakers::ShowModerator))
                .primary_key(
                    Index::create()
                        .col(SessionSpeakers::SessionId)
                        .col(SessionSpeakers::SpeakerId),
                )
                .foreign_key(&mut fk(
                    SessionSpeakers::Table,
                    SessionSpeakers::SessionId,
                    Sessions::Table,
                    Sessions::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    SessionSpeakers::Table,
                    SessionSpeakers::SpeakerId,
                    Speakers::Table,
                    Speakers::Id,
                    Cascade,
                ))
                .to_owned(),
            vec![index(SessionSpeakers::Table, &[SessionSpeakers::SpeakerId])],
        ),
        (
            Table::create()
                .table(SpeakerTicketTypes::Table)
                .col(big_integer(SpeakerTicketTypes::SpeakerId))
                .col(big_integer(SpeakerTicketTypes::TicketTypeId))
                .primary_key(
                    Index::create()
                        .col(SpeakerTicketTypes::SpeakerId)
                        .col(SpeakerTicketTypes::TicketTypeId),
                )
                .foreign_key(&mut fk(
                    SpeakerTicketTypes::Table,
                    SpeakerTicketTypes::SpeakerId,
                    Speakers::Table,
                    Speakers::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    SpeakerTicketTypes::Table,
                    SpeakerTicketTypes::TicketTypeId,
                    TicketTypes::Table,
                    TicketTypes::Id,
                    Cascade,
                ))
                .to_owned(),
            vec![index(
                SpeakerTicketTypes::Table,
                &[SpeakerTicketTypes::TicketTypeId],
            )],
        ),
        (
            Table::create()
                .table(Sponsors::Table)
                .col(big_pk_auto(Sponsors::Id))
                .col(big_integer(Sponsors::EventId))
                .col(string(Sponsors::Name))
                .col(string_null(Sponsors::LogoUrl))
                .col(string_null(Sponsors::Website))
                .col(string_len_null(Sponsors::Size, 32))
                .foreign_key(&mut fk(
                    Sponsors::Table,
                    Sponsors::EventId,
                    Events::Table,
                    Events::Id,
                    Cascade,
                ))
                .to_owned(),
            vec![index(Sponsors::Table, &[Sponsors::EventId])],
        ),
        (
            Table::create()
                .table(SessionSponsors::Table)
                .col(big_integer(SessionSponsors::SessionId))
                .col(big_integer(SessionSponsors::SponsorId))
                .col(integer(SessionSponsors::Position).default(0))
                .primary_key(
                    Index::create()
                        .col(SessionSponsors::SessionId)
                        .col(SessionSponsors::SponsorId),
                )
                .foreign_key(&mut fk(
                    SessionSponsors::Table,
                    SessionSponsors::SessionId,
                    Sessions::Table,
                    Sessions::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    SessionSponsors::Table,
                    SessionSponsors::SponsorId,
                    Sponsors::Table,
                    Sponsors::Id,
                    Cascade,
                ))
                .to_owned(),
            vec![index(SessionSponsors::Table, &[SessionSponsors::SponsorId])],
        ),
        (
            Table::create()
                .table(MuxAssets::Table)
                .col(big_pk_auto(MuxAssets::Id))
                .col(big_integer(MuxAssets::SessionId))
                .col(string(MuxAssets::AssetId))
                .col(string_null(MuxAssets::PlaybackId))
                .col(string_null(MuxAssets::FileName))
                .col(integer_null(MuxAssets::DurationSeconds))
                .col(timestamp_with_time_zone(MuxAssets::CreatedAt))
                .col(big_integer_null(MuxAssets::CreatedByUserId))
                .foreign_key(&mut fk(
                    MuxAssets::Table,
                    MuxAssets::SessionId,
                    Sessions::Table,
                    Sessions::Id,
                    Cascade,
                ))
                // A recording outlives the account of whoever uploaded it.
                .foreign_key(&mut fk(
                    MuxAssets::Table,
                    MuxAssets::CreatedByUserId,
                    Users::Table,
                    Users::Id,
                    SetNull,
                ))
                .to_owned(),
            vec![
                index(MuxAssets::Table, &[MuxAssets::SessionId]),
                index(MuxAssets::Table, &[MuxAssets::CreatedByUserId]),
            ],
        ),
        (
            Table::create()
                .table(SessionActivities::Table)
                .col(big_pk_auto(SessionActivities::Id))
                .col(big_integer(SessionActivities::SessionId))
                .col(big_integer(SessionActivities::UserId))
                .col(big_integer_null(SessionActivities::EventTicketId))
                .col(string_len(SessionActivities::Kind, 32))
                .col(timestamp_with_time_zone(SessionActivities::OccurredAt))
                .foreign_key(&mut fk(
                    SessionActivities::Table,
                    SessionActivities::SessionId,
                    Sessions::Table,
                    Sessions::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    SessionActivities::Table,
                    SessionActivities::UserId,
                    Users::Table,
                    Users::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    SessionActivities::Table,
                    SessionActivities::EventTicketId,
                    EventTickets::Table,
                    EventTickets::Id,
                    SetNull,
                ))
                .to_owned(),
            // The first index answers "is this viewer in the meeting now" (latest
            // activity of a user in a session) and covers session_id. The other two
            // exist because every foreign key needs an index: without them deleting
            // a user or a ticket scans the whole log.
            vec![
                index(
                    SessionActivities::Table,
                    &[
                        SessionActivities::SessionId,
                        SessionActivities::UserId,
                        SessionActivities::OccurredAt,
                    ],
                ),
                index(SessionActivities::Table, &[SessionActivities::UserId]),
                index(
                    SessionActivities::Table,
                    &[SessionActivities::EventTicketId],
                ),
            ],
        ),
    ]
}

/// A foreign key named `fk_<table>_<column>`.
fn fk<T, P>(
    table: T,
    column: T,
    parent: P,
    parent_id: P,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement
where
    T: Iden + Copy + 'static,
    P: Iden + Copy + 'static,
{
    ForeignKey::create()
        .name(format!("fk_{}_{}", table.unquoted(), column.unquoted()))
        .from(table, column)
        .to(parent, parent_id)
        .on_delete(on_delete)
        .to_owned()
}

/// An index named `idx_<table>_<col1>_<col2>...`.
fn index<T>(table: T, columns: &[T]) -> IndexCreateStatement
where
    T: Iden + Copy + 'static,
{
    let names: Vec<&str> = columns.iter().map(|column| column.unquoted()).collect();
    let mut index = Index::create();
    index
        .name(format!("idx_{}_{}", table.unquoted(), names.join("_")))
        .table(table);
    for &column in columns {
        index.col(column);
    }
    index
}

/// Like [`index`], but also enforces uniqueness.
fn unique_index<T>(table: T, columns: &[T]) -> IndexCreateStatement
where
    T: Iden + Copy + 'static,
{
    let mut index = index(table, columns);
    index.unique();
    index
}

/// A boolean that is off unless set, so inserts may omit it.
fn flag<T: IntoIden>(column: T) -> ColumnDef {
    boolean(column).default(false).to_owned()
}

#[derive(DeriveIden, Clone, Copy)]
enum Organizers {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Events {
    Table,
    Id,
    OrganizerId,
    Name,
    StartTime,
    EndTime,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Email,
    FirstName,
    LastName,
    PhoneNumber,
    Role,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum EventAdmins {
    Table,
    EventId,
    UserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum OrganizerAdmins {
    Table,
    OrganizerId,
    UserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
    EventId,
    Title,
    StartTime,
    EndTime,
    Location,
    Description,
    Capacity,
    Format,
    DurationSeconds,
    HideSessionFromAttendees,
    EnableQanda,
    EnableChat,
    EnablePoll,
    StreamKey,
    StreamUrl,
    StreamProvider,
    SubStreamProvider,
    RtmpUrl,
    AccelEventsStudio,
    DirectVideoAutoStart,
    DisplayDonation,
    MeetingPassword,
    ClosedCaptionHeight,
    ClosedCaptionUrl,
    RecordSession,
    HideVideoControls,
    SubTitleFileUrl,
    Visibility,
    EnableAttendeeList,
    AllowedMinutesToJoinLate,
    QandaPrivate,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TicketTypes {
    Table,
    Id,
    EventId,
    Name,
    Free,
}

#[derive(DeriveIden, Clone, Copy)]
enum EventTickets {
    Table,
    Id,
    EventId,
    TicketTypeId,
    HolderUserId,
    PurchaserUserId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SessionRegistrations {
    Table,
    Id,
    SessionId,
    EventTicketId,
    RegistrationType,
    RegisteredAt,
    Attended,
    WatchTimeSeconds,
}

#[derive(DeriveIden, Clone, Copy)]
enum Speakers {
    Table,
    Id,
    EventId,
    UserId,
    FirstName,
    LastName,
    Title,
    Company,
    ImageUrl,
    Pronouns,
    Bio,
    LinkedIn,
    Twitter,
    Instagram,
    LoggedInAtVeh,
    DeviceChecked,
    AllowOverrideDetails,
    AllowAttendeeAccess,
}

#[derive(DeriveIden, Clone, Copy)]
enum SessionSpeakers {
    Table,
    SessionId,
    SpeakerId,
    Position,
    Moderator,
    ShowModerator,
}

#[derive(DeriveIden, Clone, Copy)]
enum SpeakerTicketTypes {
    Table,
    SpeakerId,
    TicketTypeId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sponsors {
    Table,
    Id,
    EventId,
    Name,
    LogoUrl,
    Website,
    Size,
}

#[derive(DeriveIden, Clone, Copy)]
enum SessionSponsors {
    Table,
    SessionId,
    SponsorId,
    Position,
}

#[derive(DeriveIden, Clone, Copy)]
enum MuxAssets {
    Table,
    Id,
    SessionId,
    AssetId,
    PlaybackId,
    FileName,
    DurationSeconds,
    CreatedAt,
    CreatedByUserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum SessionActivities {
    Table,
    Id,
    SessionId,
    UserId,
    EventTicketId,
    Kind,
    OccurredAt,
}
