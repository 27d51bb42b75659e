//! Per-client budgets: operations, query cost and login attempts, answered with 429,
//! `RATE_LIMITED` and `Retry-After` once spent.

use serde_json::json;
use session_analytics::config::RateLimits;

use crate::{
    fixture::*,
    helpers::{Reply, TestApp},
};

async fn spawn_budgeted(rate_limits: RateLimits) -> TestApp {
    spawn_fixture_with(|config| config.rate_limits = rate_limits).await
}

fn assert_rate_limited(reply: &Reply) {
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(reply.error_code(), "RATE_LIMITED");
    assert_eq!(reply.body["errors"][0]["extensions"]["status"], 429);
    let retry: u64 = reply
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!((1..=60).contains(&retry), "retry after {retry} s");
}

#[tokio::test]
async fn each_user_has_a_budget_of_operations() {
    let app = spawn_budgeted(RateLimits {
        operations_per_minute: 3,
        ..RateLimits::default()
    })
    .await;
    let alice = app.token(SUPER.0, SUPER.1);
    for _ in 0..3 {
        let reply = app
            .query(Some(&alice), "{ viewer { email } }", json!({}))
            .await;
        assert_eq!(reply.data()["viewer"]["email"], "super@test.dev");
    }
    assert_rate_limited(
        &app.query(Some(&alice), "{ viewer { email } }", json!({}))
            .await,
    );

    // Another user's budget is their own.
    let bob = app.token(ORG_ADMIN.0, ORG_ADMIN.1);
    let reply = app
        .query(Some(&bob), "{ viewer { email } }", json!({}))
        .await;
    assert_eq!(reply.data()["viewer"]["email"], "orgadmin@test.dev");
}

#[tokio::test]
async fn anonymous_clients_share_their_addresss_budget() {
    let app = spawn_budgeted(RateLimits {
        operations_per_minute: 2,
        ..RateLimits::default()
    })
    .await;
    for _ in 0..2 {
        let reply = app.query(None, "{ __typename }", json!({})).await;
        assert_eq!(reply.data()["__typename"], "Query");
    }
    assert_rate_limited(&app.query(None, "{ __typename }", json!({})).await);
}

#[tokio::test]
async fn expensive_documents_spend_the_cost_budget_faster() {
    let app = spawn_budgeted(RateLimits {
        cost_per_minute: 300,
        ..RateLimits::default()
    })
    .await;
    let token = app.token(SUPER.0, SUPER.1);
    // 50 rows of `nodes { email }` cost about 100 each time.
    let query = "{ session(id: \"100\") { registeredHolderUsers(first: 50) { nodes { email } } } }";
    for _ in 0..2 {
        let reply = app.query(Some(&token), query, json!({})).await;
        assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    }
    let cheap = app
        .query(Some(&token), "{ viewer { email } }", json!({}))
        .await;
    assert!(
        cheap.body.get("errors").is_none(),
        "a cheap document still fits: {}",
        cheap.body
    );
    assert_rate_limited(&app.query(Some(&token), query, json!({})).await);
}

const LOGIN: &str = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }";

#[tokio::test]
async fn password_guessing_on_one_account_is_stopped_even_with_the_right_password() {
    let app = spawn_budgeted(RateLimits {
        login_attempts_per_account_per_minute: 3,
        ..RateLimits::default()
    })
    .await;
    for _ in 0..3 {
        let reply = app
            .query(
                None,
                LOGIN,
                json!({ "email": "super@test.dev", "password": "guess" }),
            )
            .await;
        assert_eq!(reply.error_code(), "UNAUTHENTICATED");
    }
    let reply = app
        .query(
            None,
            LOGIN,
            json!({ "email": "SUPER@test.dev", "password": PASSWORD }),
        )
        .await;
    assert_rate_limited(&reply);
    // Other accounts can still log in.
    let reply = app
        .query(
            None,
            LOGIN,
            json!({ "email": "orgadmin@test.dev", "password": PASSWORD }),
        )
        .await;
    assert!(reply.data()["login"]["token"].is_string());
}

#[tokio::test]
async fn guessing_across_accounts_from_one_address_is_stopped() {
    let app = spawn_budgeted(RateLimits {
        login_attempts_per_address_per_minute: 3,
        ..RateLimits::default()
    })
    .await;
    for email in ["a@test.dev", "b@test.dev", "c@test.dev"] {
        let reply = app
            .query(None, LOGIN, json!({ "email": email, "password": "guess" }))
            .await;
        assert_eq!(reply.error_code(), "UNAUTHENTICATED");
    }
    assert_rate_limited(
        &app.query(
            None,
            LOGIN,
            json!({ "email": "super@test.dev", "password": PASSWORD }),
        )
        .await,
    );
}
