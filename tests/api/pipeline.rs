//! The request pipeline: every refusal has one error shape, every operation of a
//! document is validated, and variables are checked as graphql-js checks them.

use reqwest::{Method, header::HeaderMap};
use serde_json::{Value, json};
use session_analytics::config::{Limits, RateLimits};

use crate::{fixture::*, helpers::TestApp};

/// The contract's error codes and the `extensions.status` each carries.
const CODES: [(&str, u64); 12] = [
    ("UNAUTHENTICATED", 401),
    ("FORBIDDEN", 403),
    ("NOT_EVENT_HOST", 4_030_201),
    ("SESSION_NOT_FOUND", 404_800),
    ("EVENT_NOT_FOUND", 4_040_200),
    ("BAD_REQUEST", 400),
    ("RATE_LIMITED", 429),
    ("PERSISTED_QUERY_NOT_FOUND", 404),
    ("PERSISTED_QUERY_NOT_SUPPORTED", 400),
    ("PERSISTED_QUERY_REQUIRED", 400),
    ("SERVICE_UNAVAILABLE", 503),
    ("INTERNAL", 500),
];

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// An HTTP answer: status, headers, and the body as JSON.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

async fn spawn(limits: Limits, rate_limits: RateLimits) -> TestApp {
    spawn_fixture_with(|config| {
        config.limits = limits;
        config.rate_limits = rate_limits;
    })
    .await
}

/// Sends `body` (raw) to `/graphql` with `headers`.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Answer {
    let mut request = app.client.request(method, app.url(path)).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("a body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|err| panic!("a JSON body ({err}): {}", String::from_utf8_lossy(&bytes)));
    Answer {
        status,
        headers,
        body,
    }
}

async fn post(app: &TestApp, token: Option<&str>, accept: &str, body: Value) -> Answer {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let mut headers = vec![("content-type", "application/json"), ("accept", accept)];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer));
    }
    send(
        app,
        Method::POST,
        "/graphql",
        &headers,
        body.to_string().into_bytes(),
    )
    .await
}

/// Every error of `answer` has a message and the contract's `code` with its `status`;
/// a rate-limit error says when to retry, in the body and (on a 429) in `Retry-After`;
/// an answer that ran nothing has no `data`. Returns the first error's code.
fn assert_shape(case: &str, answer: &Answer, status: u16, ran: bool) -> String {
    let body = &answer.body;
    assert_eq!(answer.status, status, "{case}: {body}");
    let content_type = answer
        .headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    assert!(content_type.contains("json"), "{case}: {content_type}");
    assert_eq!(
        body.get("data").is_some(),
        ran,
        "{case}: `data` only once something ran: {body}"
    );
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{case}: errors: {body}"));
    assert!(!errors.is_empty(), "{case}: {body}");
    for error in errors {
        let message = error["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{case}: a message: {error}");
        let code = error["extensions"]["code"].as_str().unwrap_or_default();
        let expected = CODES
            .iter()
            .find(|(known, _)| *known == code)
            .map(|(_, s)| *s);
        assert!(expected.is_some(), "{case}: a contract code: {error}");
        assert_eq!(
            error["extensions"]["status"].as_u64(),
            expected,
            "{case}: {error}"
        );
        if code == "RATE_LIMITED" {
            let retry = error["extensions"]["retryAfter"].as_u64();
            assert!(retry.is_some_and(|s| s >= 1), "{case}: retryAfter: {error}");
            if answer.status == 429 {
                let header = answer
                    .headers
                    .get("retry-after")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.parse::<u64>().ok());
                assert_eq!(header, retry, "{case}: Retry-After is retryAfter");
            }
        } else {
            assert!(
                error["extensions"].get("retryAfter").is_none(),
                "{case}: {error}"
            );
        }
    }
    errors[0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn every_refusal_path_has_the_same_error_shape() {
    let app = spawn(Limits::default(), RateLimits::default()).await;
    let token = app.token(SUPER.0, SUPER.1);
    let query = json!({ "query": "{ viewer { email } }" });
    let json_body = query.to_string().into_bytes();

    let answer = post(&app, Some("not-a-token"), GRAPHQL_RESPONSE, query.clone()).await;
    assert_eq!(
        assert_shape("bad token", &answer, 401, false),
        "UNAUTHENTICATED"
    );

    let answer = send(
        &app,
        Method::POST,
        "/graphql",
        &[
            ("content-type", "application/json"),
            ("accept", "text/plain"),
        ],
        json_body.clone(),
    )
    .await;
    assert_eq!(assert_shape("Accept", &answer, 406, false), "BAD_REQUEST");

    let answer = send(
        &app,
        Method::POST,
        "/graphql",
        &[("content-type", "text/plain")],
        json_body.clone(),
    )
    .await;
    assert_eq!(
        assert_shape("Content-Type", &answer, 415, false),
        "BAD_REQUEST"
    );

    let huge =
        json!({ "query": format!("{{ viewer {{ email }} }} #{}", "x".repeat(2 * 1024 * 1024)) });
    let answer = post(&app, None, GRAPHQL_RESPONSE, huge).await;
    assert_eq!(
        assert_shape("body limit", &answer, 413, false),
        "BAD_REQUEST"
    );

    let answer = send(
        &app,
        Method::POST,
        "/graphql",
        &[("content-type", "application/json")],
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!(assert_shape("bad JSON", &answer, 400, false), "BAD_REQUEST");

    let answer = post(
        &app,
        None,
        GRAPHQL_RESPONSE,
        json!({ "query": "{ viewer { email } }", "qurey": 1 }),
    )
    .await;
    assert_eq!(
        assert_shape("unknown parameter", &answer, 400, false),
        "BAD_REQUEST"
    );

    let answer = send(
        &app,
        Method::GET,
        "/graphql?query=mutation%7Blogin(email%3A%22a%22%2Cpassword%3A%22b%22)%7Btoken%7D%7D",
        &[("accept", GRAPHQL_RESPONSE)],
        Vec::new(),
    )
    .await;
    assert_eq!(
        assert_shape("mutation over GET", &answer, 405, false),
        "BAD_REQUEST"
    );
    assert_eq!(
        answer.headers.get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );

    let apq = json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "0".repeat(64) } } });
    let answer = post(&app, Some(&token), GRAPHQL_RESPONSE, apq).await;
    assert_eq!(
        assert_shape("unknown persisted query", &answer, 200, false),
        "PERSISTED_QUERY_NOT_FOUND"
    );

    let answer = post(
        &app,
        Some(&token),
        GRAPHQL_RESPONSE,
        json!({ "query": "{ viewer { email " }),
    )
    .await;
    assert_eq!(
        assert_shape("syntax error", &answer, 400, false),
        "BAD_REQUEST"
    );
    let answer = post(
        &app,
        Some(&token),
        "application/json",
        json!({ "query": "{ viewer { nope } }" }),
    )
    .await;
    assert_eq!(
        assert_shape("validation error, legacy JSON", &answer, 200, false),
        "BAD_REQUEST"
    );

    let answer = post(
        &app,
        Some(&token),
        GRAPHQL_RESPONSE,
        json!({ "query": "{ session(id: \"999999\") { id } }" }),
    )
    .await;
    assert_eq!(
        assert_shape("field error", &answer, 200, true),
        "SESSION_NOT_FOUND"
    );
}

#[tokio::test]
async fn every_spent_budget_and_the_time_limit_have_the_same_error_shape() {
    let budgets = RateLimits {
        operations_per_minute: 2,
        cost_per_minute: 300,
        login_attempts_per_account_per_minute: 1,
        ..RateLimits::default()
    };
    let app = spawn(Limits::default(), budgets).await;
    let token = app.token(SUPER.0, SUPER.1);

    // 50 registrants cost about 100.
    let costly = json!({ "query": "{ session(id: \"100\") { registeredHolderUsers(first: 50) { nodes { email } } } }" });
    let other = app.token(ORG_ADMIN.0, ORG_ADMIN.1);
    let mut last = None;
    for _ in 0..2 {
        last = Some(post(&app, Some(&other), GRAPHQL_RESPONSE, costly.clone()).await);
    }
    let answer = last.expect("two requests");
    assert_eq!(answer.status, 200, "{}", answer.body);
    // The operations budget of `other` is spent now too; `token` has its own.
    let answer = post(&app, Some(&other), GRAPHQL_RESPONSE, costly.clone()).await;
    assert_eq!(
        assert_shape("operations budget", &answer, 429, false),
        "RATE_LIMITED"
    );
    // A fresh bucket takes one request of any cost; after one costly request, a heavy
    // one no longer fits.
    let answer = post(&app, Some(&token), GRAPHQL_RESPONSE, costly).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let heavy = json!({ "query": "{ session(id: \"100\") { registeredHolderUsers(first: 500) { nodes { email } } } }" });
    let answer = post(&app, Some(&token), GRAPHQL_RESPONSE, heavy).await;
    assert_eq!(
        assert_shape("cost budget", &answer, 429, false),
        "RATE_LIMITED"
    );

    let login = |password: &str| {
        json!({
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            "variables": { "e": "staff@test.dev", "p": password },
        })
    };
    let answer = post(&app, None, GRAPHQL_RESPONSE, login("guess")).await;
    assert_eq!(
        assert_shape("a failed login", &answer, 200, true),
        "UNAUTHENTICATED"
    );
    let answer = post(&app, None, GRAPHQL_RESPONSE, login(PASSWORD)).await;
    assert_eq!(
        assert_shape("login budget", &answer, 429, true),
        "RATE_LIMITED"
    );

    // Hashing a password takes far longer than 1 ms: the time limit answers.
    let slow = spawn(
        Limits {
            request_timeout_ms: 1,
            ..Limits::default()
        },
        RateLimits::default(),
    )
    .await;
    let answer = post(&slow, None, GRAPHQL_RESPONSE, login(PASSWORD)).await;
    assert_eq!(
        assert_shape("time limit", &answer, 503, false),
        "SERVICE_UNAVAILABLE"
    );
}

#[tokio::test]
async fn every_operation_of_a_document_is_validated_whichever_runs() {
    let app = spawn(Limits::default(), RateLimits::default()).await;
    let token = app.token(SUPER.0, SUPER.1);
    let run = |query: &str, name: &str| json!({ "query": query, "operationName": name });

    // An invalid operation beside the chosen one refuses the whole document.
    let answer = post(
        &app,
        Some(&token),
        GRAPHQL_RESPONSE,
        run("query A { viewer { email } } query B { nope }", "A"),
    )
    .await;
    assert_eq!(
        assert_shape("invalid other operation", &answer, 400, false),
        "BAD_REQUEST"
    );
    assert!(
        answer.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("nope"),
        "{}",
        answer.body
    );

    // So does a fragment that no operation uses, and a variable one does not define.
    let answer = post(&app, Some(&token), GRAPHQL_RESPONSE, run("query A { viewer { email } } query B { viewer { ...F } } fragment F on Viewer { email } fragment G on Viewer { role }", "A")).await;
    assert_eq!(
        assert_shape("unused fragment", &answer, 400, false),
        "BAD_REQUEST"
    );
    let answer = post(
        &app,
        Some(&token),
        GRAPHQL_RESPONSE,
        run(
            "query A { viewer { email } } query B { events(first: $n) { totalCount } }",
            "A",
        ),
    )
    .await;
    assert_eq!(
        assert_shape("undefined variable elsewhere", &answer, 400, false),
        "BAD_REQUEST"
    );

    // A valid document of several operations runs the chosen one, even when the others
    // take their page sizes from variables of their own.
    let document = "query A { viewer { email } } query B($n: Int!) { events(first: $n) { nodes { ...E } } } fragment E on Event { name }";
    let answer = post(&app, Some(&token), GRAPHQL_RESPONSE, run(document, "A")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.body,
        json!({ "data": { "viewer": { "email": "super@test.dev" } } })
    );
    let answer = post(
        &app,
        Some(&token),
        GRAPHQL_RESPONSE,
        json!({ "query": document, "operationName": "B", "variables": { "n": 1 } }),
    )
    .await;
    assert_eq!(
        answer.body["data"]["events"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{}",
        answer.body
    );

    // Choosing an operation the document lacks, or none of several, is a request error.
    let answer = post(&app, Some(&token), GRAPHQL_RESPONSE, run(document, "C")).await;
    assert_eq!(
        assert_shape("unknown operation", &answer, 400, false),
        "BAD_REQUEST"
    );
    let answer = post(
        &app,
        Some(&token),
        GRAPHQL_RESPONSE,
        json!({ "query": document }),
    )
    .await;
    assert_eq!(
        assert_shape("no operation name", &answer, 400, false),
        "BAD_REQUEST"
    );
}

#[tokio::test]
async fn a_nullable_variable_where_a_non_null_value_is_needed_is_a_validation_error() {
    let app = spawn(Limits::default(), RateLimits::default()).await;
    let token = app.token(SUPER.0, SUPER.1);
    let refused = [
        (
            "query($id: ID) { session(id: $id) { id } }",
            json!({ "id": "100" }),
        ),
        (
            "query Q($id: ID) { ...F } fragment F on Query { session(id: $id) { id } }",
            json!({ "id": "100" }),
        ),
        (
            "query($b: Boolean) { viewer @include(if: $b) { email } }",
            json!({ "b": true }),
        ),
    ];
    for (query, variables) in refused {
        let answer = post(
            &app,
            Some(&token),
            GRAPHQL_RESPONSE,
            json!({ "query": query, "variables": variables }),
        )
        .await;
        assert_eq!(assert_shape(query, &answer, 400, false), "BAD_REQUEST");
        let message = answer.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.contains("used in position expecting type"),
            "{query}: {message}"
        );
        assert_eq!(
            answer.body["errors"][0]["locations"]
                .as_array()
                .map(Vec::len),
            Some(2),
            "{query}: where it is defined and used"
        );
    }
    // A default makes it non-null; a nullable argument takes it; a non-null one is fine.
    let allowed = [
        "query($id: ID = \"100\") { session(id: $id) { id } }",
        "query($first: Int) { events(first: $first) { totalCount } }",
        "query($id: ID!) { session(id: $id) { id } }",
    ];
    for query in allowed {
        let answer = post(
            &app,
            Some(&token),
            GRAPHQL_RESPONSE,
            json!({ "query": query, "variables": { "id": "100" } }),
        )
        .await;
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        assert!(
            answer.body.get("errors").is_none(),
            "{query}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn in_production_the_operations_that_do_not_run_get_no_suggestions_either() {
    let app = spawn_fixture_with(|config| config.production = true).await;
    let token = app.token(SUPER.0, SUPER.1);
    let document = "query A { viewer { email } } query B { sesion(id: \"100\") { id } }";
    let body = json!({ "query": document, "operationName": "A" });
    let answer = post(&app, Some(&token), GRAPHQL_RESPONSE, body).await;
    assert_eq!(
        assert_shape("typo in B", &answer, 400, false),
        "BAD_REQUEST"
    );
    let message = answer.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("sesion"), "{message}");
    assert!(!message.contains("Did you mean"), "{message}");
}

#[tokio::test]
async fn a_document_sent_again_is_validated_and_costed_with_its_new_variables() {
    // The parsed tree of a document is kept by its text; everything that depends on the
    // variables (argument validity, complexity, the cost charged) is decided again.
    let limits = Limits {
        max_query_complexity: 1_000,
        ..Limits::default()
    };
    let app = spawn(limits, RateLimits::default()).await;
    let token = app.token(SUPER.0, SUPER.1);
    let query = "query Page($id: ID!, $n: Int) { session(id: $id) { title \
                 registeredHolderUsers(first: $n) { nodes { userId } } } }";
    let send = |id: &str, n: Value| json!({ "query": query, "variables": { "id": id, "n": n } });

    let first = post(
        &app,
        Some(&token),
        GRAPHQL_RESPONSE,
        send(&FULL_SESSION.to_string(), json!(1)),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let again = post(
        &app,
        Some(&token),
        GRAPHQL_RESPONSE,
        send(&SESSION_B.to_string(), json!(1)),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_ne!(
        first.body["data"]["session"]["title"], again.body["data"]["session"]["title"],
        "each request reads its own session"
    );
    // A value of the wrong type is refused at validation, as it was before the text was kept.
    let wrong = post(
        &app,
        Some(&token),
        GRAPHQL_RESPONSE,
        send("100", json!("many")),
    )
    .await;
    assert_eq!(
        assert_shape("wrong variable type", &wrong, 400, false),
        "BAD_REQUEST"
    );
    // The same text over the complexity limit with a larger page.
    let heavy = post(
        &app,
        Some(&token),
        GRAPHQL_RESPONSE,
        send("100", json!(900)),
    )
    .await;
    assert_eq!(
        assert_shape("complexity", &heavy, 400, false),
        "BAD_REQUEST"
    );
    assert!(
        heavy.body.to_string().contains("too complex"),
        "{}",
        heavy.body
    );
    let fine = post(&app, Some(&token), GRAPHQL_RESPONSE, send("100", json!(2))).await;
    assert_eq!(fine.status, 200, "{}", fine.body);
    assert_eq!(
        fine.body["data"]["session"]["registeredHolderUsers"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}
