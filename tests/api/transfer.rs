//! `import` and `export`: the demo data round-trips byte for byte, a second import
//! changes nothing, and a bad record is reported by line and field with nothing written.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use session_analytics::{
    config::DemoData,
    progress::Progress,
    startup,
    transfer::{self, ImportError, ImportSummary, format::TYPES},
};

use super::helpers::{Scratch, test_config};

/// A migrated database, with the demo data set or empty.
async fn database(scratch: &mut Scratch, demo: bool) -> DatabaseConnection {
    let url = scratch.database_url().await;
    let mut config = test_config(scratch.path(), url);
    if demo {
        config.demo_data = DemoData::Always;
        startup::prepare(&config).await.expect("prepares").0
    } else {
        startup::open(&config).await.expect("opens").0
    }
}

async fn export(db: &DatabaseConnection) -> String {
    export_event(db, None).await
}

async fn export_event(db: &DatabaseConnection, event: Option<i64>) -> String {
    let mut out = Vec::new();
    transfer::export(db, &mut out, &Progress::hidden("export", "records"), event)
        .await
        .expect("export succeeds");
    String::from_utf8(out).expect("UTF-8")
}

async fn import(db: &DatabaseConnection, text: &str) -> Result<ImportSummary, ImportError> {
    transfer::import(db, text.as_bytes(), &Progress::hidden("import", "records")).await
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("counts")
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .expect("a number")
}

fn errors(result: Result<ImportSummary, ImportError>) -> Vec<String> {
    match result {
        Err(ImportError::Invalid { errors, .. }) => errors,
        Err(other) => panic!("expected validation errors, got {other}"),
        Ok(summary) => panic!("expected validation errors, got {summary:?}"),
    }
}

#[tokio::test]
async fn the_demo_data_round_trips_byte_for_byte_and_a_second_import_changes_nothing() {
    let mut scratch = Scratch::new();
    let source = database(&mut scratch, true).await;
    let exported = export(&source).await;
    let lines = exported.lines().count();
    assert!(
        lines > 6_000,
        "the demo data has thousands of rows, got {lines}"
    );
    for ty in TYPES {
        assert!(
            exported.contains(&format!("{{\"type\":\"{}\",", ty.tag)),
            "no {} record exported",
            ty.tag
        );
    }
    // Passwords never leave the database, not even hashed.
    assert!(!exported.contains("password_hash") && !exported.contains("$argon2"));

    let target = database(&mut scratch, false).await;
    let summary = import(&target, &exported).await.expect("imports");
    assert_eq!(summary.records, lines as u64);
    assert_eq!(export(&target).await, exported);
    import(&target, &exported).await.expect("imports again");
    assert_eq!(
        export(&target).await,
        exported,
        "a second import changed something"
    );

    // Imported accounts have no password (they cannot log in until one is set) ...
    assert_eq!(
        count(
            &target,
            "SELECT COUNT(*) FROM users WHERE password_hash IS NOT NULL"
        )
        .await,
        0
    );
    // ... and importing over existing accounts keeps their passwords.
    let with_password = "SELECT COUNT(*) FROM users WHERE password_hash IS NOT NULL";
    let before = count(&source, with_password).await;
    assert!(before > 0);
    import(&source, &exported)
        .await
        .expect("imports over itself");
    assert_eq!(count(&source, with_password).await, before);

    // Ids were kept; new rows still get fresh ones (PostgreSQL's sequences moved on).
    target
        .execute_unprepared(
            "INSERT INTO organizers (name, created_at) VALUES ('New', CURRENT_TIMESTAMP)",
        )
        .await
        .expect("a row without an id gets a fresh one");
}

const ORGANIZER_1: &str =
    r#"{"type":"organizer","id":1,"name":"Northwind","created_at":"2026-01-01T09:00:00Z"}"#;
const ORGANIZER_2: &str =
    r#"{"type":"organizer","id":2,"name":"Contoso","created_at":"2026-01-01T09:00:00+02:00"}"#;

#[tokio::test]
async fn bad_records_are_reported_by_line_and_field_and_nothing_is_written() {
    let mut scratch = Scratch::new();
    let db = database(&mut scratch, false).await;
    let file = [
        ORGANIZER_1,
        ORGANIZER_2,
        r#"{"type":"event","id":1,"organizer_id":1,"name":"Summit","start_time":"2026-05-01T09:00:00Z","end_time":"tomorrow","created_at":"2026-01-01T09:00:00Z"}"#,
        r#"{"type":"event","id":2,"organizer_id":"1","name":"Days","start_time":"2026-05-01T09:00:00Z","end_time":"2026-05-02T09:00:00Z","created_at":"2026-01-01T09:00:00Z","colour":"red"}"#,
        "{not json",
        r#"{"type":"venue","id":1}"#,
        r#"{"type":"user","id":1,"email":"someone@example.com","role":"KING","created_at":"2026-01-01T09:00:00Z","password_hash":"x"}"#,
        r#"{"type":"session","id":1}"#,
        ORGANIZER_1,
    ]
    .join("\n");
    let errors = errors(import(&db, &file).await);
    for expected in [
        "line 3: event.end_time: must be an RFC 3339 timestamp",
        "line 4: event.organizer_id: must be a positive integer id",
        "line 4: event.colour: unknown field",
        "line 5: invalid JSON",
        "line 6: type: unknown record type \"venue\"",
        "line 7: user.role: must be one of SUPER_ADMIN",
        "line 7: user.password_hash: passwords cannot be imported",
        "line 8: session.event_id: missing",
        "line 8: session.format: missing",
        "line 9: organizer.id: 1 appears more than once in the file",
    ] {
        assert!(
            errors.iter().any(|error| error.starts_with(expected)),
            "no `{expected}` in {errors:#?}"
        );
    }
    // The record values themselves (here an email) are never repeated in errors.
    assert!(
        !errors
            .iter()
            .any(|error| error.contains("someone@example.com"))
    );
    // Lines 1 and 2 were valid, and still nothing was written.
    assert_eq!(count(&db, "SELECT COUNT(*) FROM organizers").await, 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn a_reference_to_a_row_neither_in_the_file_nor_the_database_is_refused() {
    let mut scratch = Scratch::new();
    let db = database(&mut scratch, false).await;
    let file = [
        ORGANIZER_1,
        r#"{"type":"event","id":1,"organizer_id":999,"name":"Summit","start_time":"2026-05-01T09:00:00Z","end_time":"2026-05-02T09:00:00Z","created_at":"2026-01-01T09:00:00Z"}"#,
    ]
    .join("\n");
    let errors = errors(import(&db, &file).await);
    assert_eq!(
        errors,
        [
            "line 2: event.organizer_id: no organizer with id 999 in the file (before this line) or the database"
        ]
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM organizers").await, 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM events").await, 0);

    // A reference to a row already in the database is fine.
    import(&db, ORGANIZER_1)
        .await
        .expect("imports the organizer");
    let event = r#"{"type":"event","id":1,"organizer_id":1,"name":"Summit","start_time":"2026-05-01T09:00:00Z","end_time":"2026-05-02T09:00:00Z","created_at":"2026-01-01T09:00:00Z"}"#;
    import(&db, event).await.expect("imports the event");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM events").await, 1);
}

#[test]
fn docs_import_md_describes_every_record_type_and_field() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/IMPORT.md"))
        .expect("docs/IMPORT.md");
    for ty in TYPES {
        let heading = format!("### `{}` (table `{}`", ty.tag, ty.table);
        let section = doc
            .split(&heading)
            .nth(1)
            .and_then(|rest| rest.split("\n### ").next())
            .unwrap_or_else(|| panic!("no section `{heading}`"));
        for field in ty.fields {
            assert!(
                section.contains(&format!("| `{}` |", field.name)),
                "docs/IMPORT.md: {}.{} is not described",
                ty.tag,
                field.name
            );
        }
    }
}

#[tokio::test]
async fn one_event_exports_on_its_own_and_imports_into_an_empty_database() {
    let mut scratch = Scratch::new();
    let source = database(&mut scratch, true).await;
    let everything = export(&source).await;
    let one = export_event(&source, Some(2)).await;
    assert!(one.lines().count() < everything.lines().count());
    let events: Vec<&str> = one
        .lines()
        .filter(|line| line.starts_with("{\"type\":\"event\","))
        .collect();
    assert_eq!(events.len(), 1);
    assert!(events[0].starts_with("{\"type\":\"event\",\"id\":2,"));
    assert!(one.contains("{\"type\":\"session\","));
    assert!(one.contains("{\"type\":\"registration\","));
    assert!(
        one.lines()
            .filter(|line| line.contains("\"event_id\":"))
            .all(|line| line.contains("\"event_id\":2,"))
    );

    // Every reference resolves inside the export itself.
    let target = database(&mut scratch, false).await;
    import(&target, &one)
        .await
        .expect("the event's export imports on its own");
    assert_eq!(export(&target).await, one);
}
