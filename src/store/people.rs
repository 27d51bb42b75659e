//! Users looked up by id (for `createdBy`) or by email (for `login`).

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, Iterable, QueryFilter, QuerySelect,
    Select, sea_query::Expr,
};

use crate::entity::user;

/// Every column of `users` but the password hash, which comes back `None`: only
/// `login` needs it, and it reads it by email.
fn without_password_hash() -> Select<user::Entity> {
    user::Entity::find()
        .select_only()
        .columns(
            user::Column::iter().filter(|column| !matches!(column, user::Column::PasswordHash)),
        )
        .expr_as(Expr::value(Option::<String>::None), "password_hash")
}

/// Users by id; ids with no user are absent from the map.
///
/// The password hash is not read (see [`without_password_hash`]).
pub async fn users(
    db: &DatabaseConnection,
    ids: &[i64],
) -> Result<HashMap<i64, user::Model>, DbErr> {
    let rows = without_password_hash()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .into_model::<user::Model>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|u| (u.id, u)).collect())
}

/// The user with this email (emails are stored lower-cased).
pub async fn by_email(db: &DatabaseConnection, email: &str) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await
}

/// The id of the user with this email, reading nothing else (identity-provider tokens
/// name their user by email).
pub async fn id_by_email(db: &DatabaseConnection, email: &str) -> Result<Option<i64>, DbErr> {
    user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .into_tuple()
        .one(db)
        .await
}
