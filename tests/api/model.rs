//! The data model's delete rules hold on both backends.

use sea_orm::{EntityTrait, PaginatorTrait};
use session_analytics::entity::{
    event, event_ticket, session, session_registration, speaker, user,
};

use crate::fixture::*;

#[tokio::test]
async fn deleting_an_event_removes_everything_it_owns_and_nothing_else() {
    let app = spawn_with_fixture().await;
    let db = &app.db;
    event::Entity::delete_by_id(EVENT_A)
        .exec(db)
        .await
        .expect("an event with data can be deleted");
    assert_eq!(
        session::Entity::find().count(db).await.expect("count"),
        2,
        "B's and C's sessions remain"
    );
    assert_eq!(
        session_registration::Entity::find()
            .count(db)
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        event_ticket::Entity::find().count(db).await.expect("count"),
        0
    );
    assert_eq!(speaker::Entity::find().count(db).await.expect("count"), 0);
    assert_eq!(
        user::Entity::find().count(db).await.expect("count"),
        14,
        "users outlive events"
    );
}

#[tokio::test]
async fn a_user_who_holds_tickets_cannot_be_deleted() {
    let app = spawn_with_fixture().await;
    let refused = user::Entity::delete_by_id(100).exec(&app.db).await;
    assert!(
        refused.is_err(),
        "deleting a ticket holder must fail; anonymize instead"
    );
}
