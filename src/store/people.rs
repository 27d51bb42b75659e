//! Users looked up by id (for `createdBy` and the viewer).

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    Iterable, QueryFilter, QuerySelect, QueryTrait, Select, sea_query::Expr,
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

/// The viewer by id, with the cache generation read in the same statement (see
/// `graphql::cache`): the generation is then as old as the viewer row, at no extra
/// round trip.
pub async fn viewer(db: &DatabaseConnection, id: i64) -> Result<Option<(user::Model, i64)>, DbErr> {
    let statement = without_password_hash()
        .expr_as(
            Expr::cust("(SELECT generation FROM cache_generation WHERE id = 1)"),
            "cache_generation",
        )
        .filter(user::Column::Id.eq(id))
        .build(db.get_database_backend());
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    let user = user::Model::from_query_result(&row, "")?;
    let generation: i64 = row.try_get("", "cache_generation")?;
    Ok(Some((user, generation)))
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
