//! GraphQL over HTTP: media types, status codes, request parameters, GET, and the
//! refusals that come before execution (the rules graphql-http's `auditServer` checks,
//! and ours on top: strict parameters, no batching, clean messages).

use std::io::{Read, Write};

use reqwest::{StatusCode, header::HeaderMap};
use serde_json::{Value, json};

use crate::{
    fixture::*,
    helpers::{TestApp, spawn_app},
};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";
const TYPENAME: &str = r#"{"query":"{ __typename }"}"#;
const LOGIN: &str = "mutation { login(email: \"super@test.dev\", password: \"wrong\") { token } }";

/// What came back: status, headers and the body (JSON, or the text as a JSON string).
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The media type without parameters.
    fn media_type(&self) -> &str {
        self.content_type().split(';').next().unwrap_or("").trim()
    }

    fn message(&self) -> &str {
        self.body["errors"][0]["message"].as_str().unwrap_or("")
    }

    /// Asserts a refusal before execution: `status`, the media type, a single
    /// GraphQL-shaped BAD_REQUEST error whose message contains `needle`, and no `data`.
    fn assert_refused(&self, status: u16, media: &str, needle: &str) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.media_type(), media, "{self:?}");
        assert_eq!(
            self.body["errors"].as_array().map(Vec::len),
            Some(1),
            "{self:?}"
        );
        assert_eq!(self.body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        assert_eq!(self.body["errors"][0]["extensions"]["status"], 400);
        assert!(
            self.message().contains(needle),
            "expected a message containing {needle:?}: {self:?}"
        );
        assert!(self.body.get("data").is_none(), "no data: {self:?}");
        assert_clean(self.message());
    }

    /// Asserts a GraphQL request error (the document never ran): no `data`, errors with
    /// `BAD_REQUEST`, in `media` with `status`.
    fn assert_request_error(&self, status: u16, media: &str) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.media_type(), media, "{self:?}");
        assert!(self.body.get("data").is_none(), "no data entry: {self:?}");
        let errors = self.body["errors"].as_array().expect("errors");
        assert!(!errors.is_empty());
        for error in errors {
            assert_eq!(error["extensions"]["code"], "BAD_REQUEST", "{self:?}");
        }
    }
}

/// A message a person can read: no Rust debug output, no parser drawings.
fn assert_clean(message: &str) {
    assert!(!message.is_empty());
    for debug in [
        "Error(",
        "ParseRequestError",
        "Syntax(",
        "\n",
        "-->",
        "{ ",
        "Some(",
    ] {
        assert!(!message.contains(debug), "{debug:?} in {message:?}");
    }
}

fn answer(status: StatusCode, headers: HeaderMap, text: String) -> Answer {
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}

async fn finish(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request reaches the server");
    let (status, headers) = (response.status(), response.headers().clone());
    answer(status, headers, response.text().await.expect("a body"))
}

/// POSTs `body` with the given Content-Type and Accept headers (each left out when `None`).
async fn post(
    app: &TestApp,
    content_type: Option<&str>,
    accept: Option<&str>,
    body: &str,
) -> Answer {
    match accept {
        Some(accept) => {
            let mut request = app
                .client
                .post(app.url("/graphql"))
                .header("accept", accept)
                .body(body.to_owned());
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            finish(request).await
        }
        // reqwest always sends an Accept header; speak HTTP by hand to leave it out.
        None => {
            let mut head = String::from("POST /graphql HTTP/1.1\r\n");
            if let Some(content_type) = content_type {
                head.push_str(&format!("Content-Type: {content_type}\r\n"));
            }
            raw(app, head, body).await
        }
    }
}

/// A request with exactly the headers in `head` plus Host, Content-Length and Connection.
async fn raw(app: &TestApp, head: String, body: &str) -> Answer {
    let addr = app.addr;
    let request = format!(
        "{head}Host: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let bytes = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        stream.write_all(request.as_bytes()).expect("write");
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).expect("read");
        bytes
    })
    .await
    .expect("the raw request finishes");
    let text = String::from_utf8(bytes).expect("UTF-8");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("a header");
        headers.append(
            reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()).expect("name"),
            value.trim().parse().expect("value"),
        );
    }
    answer(
        StatusCode::from_u16(status).expect("status"),
        headers,
        body.to_owned(),
    )
}

/// POSTs a JSON body asking for `application/graphql-response+json`.
async fn post_json(app: &TestApp, body: Value) -> Answer {
    post(app, Some(JSON), Some(GRAPHQL_RESPONSE), &body.to_string()).await
}

/// GETs `/graphql` with URL parameters and an optional Accept header.
async fn get(app: &TestApp, params: &[(&str, &str)], accept: Option<&str>) -> Answer {
    let mut request = app.client.get(app.url("/graphql")).query(params);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    finish(request).await
}

#[tokio::test]
async fn a_client_naming_graphql_response_json_gets_it_with_utf8_and_200() {
    let app = spawn_app().await;
    let answer = post(&app, Some(JSON), Some(GRAPHQL_RESPONSE), TYPENAME).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.content_type(),
        "application/graphql-response+json; charset=utf-8"
    );
    assert_eq!(answer.body, json!({ "data": { "__typename": "Query" } }));
}

#[tokio::test]
async fn accept_headers_choose_the_response_media_type_and_legacy_clients_get_json() {
    let app = spawn_app().await;
    for (accept, media) in [
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE,
        ),
        (
            Some("application/json;q=0.5, application/graphql-response+json"),
            GRAPHQL_RESPONSE,
        ),
        (
            Some("Application/GraphQL-Response+JSON; charset=utf-8"),
            GRAPHQL_RESPONSE,
        ),
        (
            Some("*/*;q=0.1, application/graphql-response+json"),
            GRAPHQL_RESPONSE,
        ),
        (
            Some("application/json, application/graphql-response+json;q=0.5"),
            JSON,
        ),
        (Some(JSON), JSON),
        (Some("application/json; charset=utf-8"), JSON),
        (Some("*/*"), JSON),
        (Some("application/*"), JSON),
        (Some("text/html, */*;q=0.8"), JSON),
        (Some("application/json;charset=latin1, */*;q=0.5"), JSON),
        (None, JSON),
    ] {
        let answer = post(&app, Some(JSON), accept, TYPENAME).await;
        assert_eq!(answer.status, StatusCode::OK, "{accept:?}: {answer:?}");
        assert_eq!(answer.media_type(), media, "{accept:?}");
        assert!(
            answer.content_type().contains("charset=utf-8"),
            "{accept:?}"
        );
        assert_eq!(answer.body["data"]["__typename"], "Query", "{accept:?}");
    }
}

#[tokio::test]
async fn an_accept_header_allowing_neither_json_type_gets_406() {
    let app = spawn_app().await;
    for accept in [
        "text/html",
        "text/plain, image/*",
        "application/xml",
        "application/json;q=0, application/graphql-response+json;q=0",
        "*/*;q=0",
        "application/json; charset=iso-8859-1",
    ] {
        let answer = post(&app, Some(JSON), Some(accept), TYPENAME).await;
        answer.assert_refused(406, JSON, "Accept");
    }
}

#[tokio::test]
async fn a_post_without_a_content_type_gets_415() {
    let app = spawn_app().await;
    let answer = post(&app, None, Some(GRAPHQL_RESPONSE), TYPENAME).await;
    answer.assert_refused(415, GRAPHQL_RESPONSE, "Content-Type: application/json");
    // The same without an Accept header either: a legacy client, answered in JSON.
    let answer = post(&app, None, None, TYPENAME).await;
    answer.assert_refused(415, JSON, "Content-Type: application/json");
}

#[tokio::test]
async fn a_post_with_another_content_type_or_charset_gets_415() {
    let app = spawn_app().await;
    for content_type in [
        "text/plain;charset=UTF-8",
        "application/graphql",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        "application/json; charset=latin1",
        "application/json; charset=\"utf-16\"",
    ] {
        let answer = post(&app, Some(content_type), Some(GRAPHQL_RESPONSE), TYPENAME).await;
        answer.assert_refused(415, GRAPHQL_RESPONSE, "not supported");
    }
}

#[tokio::test]
async fn json_content_types_with_utf8_or_other_parameters_are_accepted() {
    let app = spawn_app().await;
    for content_type in [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "application/json; charset=\"utf-8\"",
        "Application/JSON",
        "application/json; boundary=ignored",
    ] {
        let answer = post(&app, Some(content_type), Some(GRAPHQL_RESPONSE), TYPENAME).await;
        assert_eq!(answer.status, StatusCode::OK, "{content_type}: {answer:?}");
        assert_eq!(answer.body["data"]["__typename"], "Query", "{content_type}");
    }
}

#[tokio::test]
async fn invalid_json_gets_400_with_a_clean_message() {
    let app = spawn_app().await;
    for (body, needle) in [
        (
            r#"{ "not a JSON"#,
            "the request body is not valid JSON: EOF while parsing",
        ),
        (
            "NONSENSE",
            "the request body is not valid JSON: expected value at line 1 column 1",
        ),
        (
            r#"{"query":"{ __typename }",}"#,
            "the request body is not valid JSON",
        ),
        ("", "the request body is empty"),
        ("   ", "the request body is empty"),
    ] {
        for accept in [GRAPHQL_RESPONSE, JSON] {
            let answer = post(&app, Some(JSON), Some(accept), body).await;
            answer.assert_refused(400, accept, needle);
        }
    }
}

#[tokio::test]
async fn an_unknown_or_misspelt_parameter_gets_400_naming_it() {
    let app = spawn_app().await;
    for (body, key) in [
        (json!({ "qeury": "{ __typename }" }), "qeury"),
        (
            json!({ "query": "{ __typename }", "operationname": "Q" }),
            "operationname",
        ),
        (
            json!({ "query": "{ __typename }", "variable": {} }),
            "variable",
        ),
        (
            json!({ "query": "{ __typename }", "id": "persisted" }),
            "id",
        ),
    ] {
        let answer = post_json(&app, body).await;
        answer.assert_refused(
            400,
            GRAPHQL_RESPONSE,
            &format!("unknown request parameter `{key}`"),
        );
        assert!(
            answer
                .message()
                .contains("`query`, `operationName`, `variables` and `extensions`")
        );
    }
}

#[tokio::test]
async fn parameters_of_the_wrong_type_get_400_saying_what_they_must_be() {
    let app = spawn_app().await;
    for (body, needle) in [
        (json!({}), "the `query` parameter is required"),
        (
            json!({ "query": null }),
            "the `query` parameter is required",
        ),
        (
            json!({ "query": 1 }),
            "`query` must be a string, not a number",
        ),
        (
            json!({ "query": { "obj": "ect" } }),
            "`query` must be a string, not an object",
        ),
        (
            json!({ "query": ["array"] }),
            "`query` must be a string, not an array",
        ),
        (
            json!({ "query": "{ __typename }", "operationName": false }),
            "`operationName` must be a string, not a boolean",
        ),
        (
            json!({ "query": "{ __typename }", "variables": [7] }),
            "`variables` must be a JSON object, not an array",
        ),
        (
            json!({ "query": "{ __typename }", "variables": "{}" }),
            "`variables` must be a JSON object, not a string",
        ),
        (
            json!({ "query": "{ __typename }", "variables": 0 }),
            "`variables` must be a JSON object, not a number",
        ),
        (
            json!({ "query": "{ __typename }", "extensions": "x" }),
            "`extensions` must be a JSON object, not a string",
        ),
        (
            json!("{ __typename }"),
            "the request body must be a JSON object with a `query` string, not a string",
        ),
        (
            json!(null),
            "the request body must be a JSON object with a `query` string, not null",
        ),
    ] {
        let answer = post_json(&app, body.clone()).await;
        answer.assert_refused(400, GRAPHQL_RESPONSE, needle);
    }
}

#[tokio::test]
async fn null_optional_parameters_count_as_absent_and_maps_are_accepted() {
    let app = spawn_app().await;
    for body in [
        json!({ "query": "{ __typename }", "operationName": null, "variables": null, "extensions": null }),
        json!({ "query": "query Q { __typename }", "operationName": "Q" }),
        json!({ "query": "{ __typename }", "operationName": "" }),
        json!({ "query": "{ __typename }", "extensions": { "some": "value" } }),
        json!({ "query": "query T($name: String!) { __type(name: $name) { name } }", "variables": { "name": "Query" } }),
    ] {
        let answer = post_json(&app, body.clone()).await;
        assert_eq!(answer.status, StatusCode::OK, "{body}: {answer:?}");
        assert!(answer.body.get("errors").is_none(), "{body}: {answer:?}");
    }
}

#[tokio::test]
async fn a_batch_array_gets_400_saying_batching_is_off() {
    let app = spawn_app().await;
    let batch = json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]);
    for accept in [GRAPHQL_RESPONSE, JSON] {
        let answer = post(&app, Some(JSON), Some(accept), &batch.to_string()).await;
        answer.assert_refused(400, accept, "batched requests are not supported");
    }
}

#[tokio::test]
async fn a_document_that_does_not_parse_gets_400_without_data_and_is_not_executed() {
    let app = spawn_app().await;
    let before = app.statements.get();
    let answer = post_json(&app, json!({ "query": "{" })).await;
    answer.assert_request_error(400, GRAPHQL_RESPONSE);
    assert_eq!(answer.message(), "syntax error: expected selection");
    assert_clean(answer.message());
    assert_eq!(
        answer.body["errors"][0]["locations"],
        json!([{ "line": 1, "column": 2 }])
    );
    let answer = post_json(&app, json!({ "query": "mutation { login(" })).await;
    answer.assert_request_error(400, GRAPHQL_RESPONSE);
    assert!(
        answer.message().starts_with("syntax error: expected"),
        "{answer:?}"
    );
    assert_eq!(app.statements.get(), before, "nothing ran");
}

#[tokio::test]
async fn a_document_that_does_not_validate_gets_400_without_data_and_is_not_executed() {
    let app = spawn_app().await;
    let before = app.statements.get();
    for query in [
        "{ 8f31403dfe404bccbb0e835f2629c6a7 }",
        "{ nosuchfield }",
        "{ session(id: 1, nope: 2) { title } }",
        "{ events(first: \"ten\") { totalCount } }",
        "mutation { login(email: \"a\") { token } }",
        "subscription { anything }",
    ] {
        let answer = post_json(&app, json!({ "query": query })).await;
        answer.assert_request_error(400, GRAPHQL_RESPONSE);
    }
    let answer = post_json(&app, json!({ "query": "{ nosuchfield }" })).await;
    assert_eq!(
        answer.message(),
        "Unknown field \"nosuchfield\" on type \"Query\"."
    );
    assert_eq!(app.statements.get(), before, "nothing ran");
}

#[tokio::test]
async fn variables_that_do_not_coerce_and_unclear_operations_get_400_without_data() {
    let app = spawn_app().await;
    for body in [
        json!({ "query": "query C($id: ID!) { session(id: $id) { title } }", "variables": { "id": null } }),
        json!({ "query": "query C($id: ID!) { session(id: $id) { title } }", "variables": { "id": { "not": "an id" } } }),
        json!({ "query": "query C($id: ID!) { session(id: $id) { title } }" }),
        json!({ "query": "query A { __typename } query B { __typename }" }),
        json!({ "query": "query A { __typename }", "operationName": "B" }),
    ] {
        let answer = post_json(&app, body.clone()).await;
        answer.assert_request_error(400, GRAPHQL_RESPONSE);
    }

    // A missing required variable refuses the whole operation before any field runs.
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    let before = app.statements.get();
    for (variables, message) in [
        (
            json!({}),
            "Variable \"$id\" of required type \"ID!\" was not provided.",
        ),
        (
            json!({ "id": null }),
            "Variable \"$id\" of non-null type \"ID!\" must not be null.",
        ),
    ] {
        let answer = finish(
            app.client
                .post(app.url("/graphql"))
                .header("accept", GRAPHQL_RESPONSE)
                .bearer_auth(&token)
                .json(&json!({
                    "query": "query C($first: Int, $id: ID!) { events(first: $first) { totalCount } session(id: $id) { title } }",
                    "variables": variables,
                })),
        )
        .await;
        answer.assert_request_error(400, GRAPHQL_RESPONSE);
        assert_eq!(answer.message(), message);
        assert_eq!(
            answer.body["errors"][0]["locations"],
            json!([{ "line": 1, "column": 22 }])
        );
    }
    assert_eq!(app.statements.get(), before, "no field ran");
}

#[tokio::test]
async fn legacy_json_clients_get_200_for_request_errors_still_without_data() {
    let app = spawn_app().await;
    for body in [
        json!({ "query": "{" }),
        json!({ "query": "{ nosuchfield }" }),
        json!({ "query": "query C($id: ID!) { __typename }", "variables": { "id": null } }),
    ] {
        for accept in [Some(JSON), Some("*/*"), None] {
            let answer = post(&app, Some(JSON), accept, &body.to_string()).await;
            answer.assert_request_error(200, JSON);
        }
    }
}

#[tokio::test]
async fn execution_errors_get_200_with_the_data_entry() {
    let app = spawn_with_fixture().await;
    // `viewer` is non-null: its error nulls the whole `data`, which is still there.
    let answer = post_json(&app, json!({ "query": "{ viewer { email } }" })).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.media_type(), GRAPHQL_RESPONSE);
    assert_eq!(answer.body.get("data"), Some(&Value::Null), "{answer:?}");
    assert_eq!(
        answer.body["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    assert_eq!(answer.body["errors"][0]["path"], json!(["viewer"]));

    // A failing field leaves the rest: partial data.
    let answer = post_json(
        &app,
        json!({ "query": "{ __typename session(id: \"100\") { title } }" }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body["data"]["__typename"], "Query", "{answer:?}");
    assert_eq!(answer.body["errors"][0]["path"], json!(["session"]));

    // A resolver's BAD_REQUEST (a malformed id) is an execution error too.
    let token = app.token(SUPER.0, SUPER.1);
    let answer = finish(
        app.client
            .post(app.url("/graphql"))
            .header("accept", GRAPHQL_RESPONSE)
            .bearer_auth(&token)
            .json(&json!({ "query": "{ session(id: \"not-an-id\") { title } }" })),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert!(
        answer.body.get("data").is_some(),
        "the data entry: {answer:?}"
    );
    assert_eq!(
        answer.body["errors"][0]["extensions"]["code"],
        "BAD_REQUEST"
    );
    assert_eq!(answer.body["errors"][0]["path"], json!(["session"]));
}

#[tokio::test]
async fn a_get_runs_a_query_from_the_url_parameters() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    let answer = finish(
        app.client
            .get(app.url("/graphql"))
            .query(&[
                (
                    "query",
                    "query Title($id: ID!) { session(id: $id) { title } }",
                ),
                ("variables", r#"{"id":"100"}"#),
                ("operationName", "Title"),
                ("extensions", ""),
            ])
            .header("accept", GRAPHQL_RESPONSE)
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.media_type(), GRAPHQL_RESPONSE);
    assert!(
        answer.body["data"]["session"]["title"].is_string(),
        "{answer:?}"
    );

    for accept in [Some(JSON), Some("*/*")] {
        let answer = get(&app, &[("query", "{ __typename }")], accept).await;
        assert_eq!(answer.status, StatusCode::OK, "{accept:?}: {answer:?}");
        assert_eq!(answer.media_type(), JSON, "{accept:?}");
        assert_eq!(answer.body, json!({ "data": { "__typename": "Query" } }));
    }

    // The query of a document that also holds a mutation, chosen by name.
    let answer = get(
        &app,
        &[
            ("query", "query Q { __typename } mutation M { login(email: \"a\", password: \"b\") { token } }"),
            ("operationName", "Q"),
        ],
        Some(GRAPHQL_RESPONSE),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body, json!({ "data": { "__typename": "Query" } }));
}

#[tokio::test]
async fn a_get_mutation_gets_405_with_allow_post_and_does_not_run() {
    let app = spawn_with_fixture().await;
    let before = app.statements.get();
    for (params, accept) in [
        (vec![("query", LOGIN)], GRAPHQL_RESPONSE),
        (vec![("query", LOGIN)], JSON),
        (vec![("query", "mutation { __typename }")], GRAPHQL_RESPONSE),
        (
            vec![
                (
                    "query",
                    "query Q { __typename } mutation M { login(email: \"a\", password: \"b\") { token } }",
                ),
                ("operationName", "M"),
            ],
            GRAPHQL_RESPONSE,
        ),
    ] {
        let answer = get(&app, &params, Some(accept)).await;
        answer.assert_refused(405, accept, "mutations cannot be sent with GET");
        assert_eq!(
            answer.headers.get("allow").and_then(|v| v.to_str().ok()),
            Some("POST"),
            "{answer:?}"
        );
    }
    assert_eq!(app.statements.get(), before, "no login was attempted");

    // The same mutation over POST runs.
    let answer = post_json(&app, json!({ "query": LOGIN })).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.body["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn get_parameters_are_checked_like_post_bodies() {
    let app = spawn_app().await;
    for (params, needle) in [
        (vec![], "the `query` parameter is required"),
        (
            vec![("operationName", "Q")],
            "the `query` parameter is required",
        ),
        (
            vec![("query", "{ __typename }"), ("qeury", "x")],
            "unknown request parameter `qeury`",
        ),
        (
            vec![("query", "{ __typename }"), ("variables", "{")],
            "`variables` is not valid JSON",
        ),
        (
            vec![("query", "{ __typename }"), ("variables", "[1]")],
            "`variables` must be a JSON object, not an array",
        ),
        (
            vec![("query", "{ __typename }"), ("extensions", "7")],
            "`extensions` must be a JSON object, not a number",
        ),
        (
            vec![("query", "{ __typename }"), ("query", "{ __typename }")],
            "the `query` parameter is given more than once",
        ),
    ] {
        let answer = get(&app, &params, Some(GRAPHQL_RESPONSE)).await;
        answer.assert_refused(400, GRAPHQL_RESPONSE, needle);
    }
    // A GET's document errors follow the same status rules as a POST's.
    let answer = get(
        &app,
        &[("query", "{ nosuchfield }")],
        Some(GRAPHQL_RESPONSE),
    )
    .await;
    answer.assert_request_error(400, GRAPHQL_RESPONSE);
    let answer = get(&app, &[("query", "{")], Some(JSON)).await;
    answer.assert_request_error(200, JSON);
    let answer = get(&app, &[("query", "{ __typename }")], Some("text/plain")).await;
    answer.assert_refused(406, JSON, "Accept");
}

#[tokio::test]
async fn a_browser_get_still_gets_graphiql() {
    let app = spawn_app().await;
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for (params, accept) in [
        (vec![], Some(browser)),
        (vec![("query", "{ __typename }")], Some(browser)),
        (vec![], Some("text/html")),
        (vec![], Some("*/*")),
    ] {
        let answer = get(&app, &params, accept).await;
        assert_eq!(answer.status, StatusCode::OK, "{accept:?}");
        assert_eq!(answer.media_type(), "text/html", "{accept:?}");
        let html = answer.body.as_str().expect("HTML");
        assert!(
            html.contains("graphiql") && html.contains(r#""defaultQuery":"#),
            "{accept:?}"
        );
    }
    // Without any Accept header, too.
    let answer = raw(&app, "GET /graphql HTTP/1.1\r\n".into(), "").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.media_type(), "text/html");
}

#[tokio::test]
async fn a_json_get_without_a_query_is_a_bad_request_not_graphiql() {
    let app = spawn_app().await;
    for accept in [JSON, GRAPHQL_RESPONSE] {
        let answer = get(&app, &[], Some(accept)).await;
        answer.assert_refused(400, accept, "the `query` parameter is required");
    }
}

#[tokio::test]
async fn a_bad_token_is_refused_with_401_before_anything_else() {
    let app = spawn_app().await;
    let challenge = r#"Bearer error="invalid_token""#;
    for (content_type, accept, media) in [
        (Some(JSON), GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (Some(JSON), JSON, JSON),
        (None, GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (Some(JSON), "text/plain", JSON),
    ] {
        let mut request = app
            .client
            .post(app.url("/graphql"))
            .header("accept", accept)
            .header("authorization", "Bearer not.a.token")
            .body(TYPENAME);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let answer = finish(request).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
        assert_eq!(answer.media_type(), media);
        assert_eq!(
            answer
                .headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some(challenge)
        );
        assert_eq!(
            answer.body["errors"][0]["extensions"]["code"],
            "UNAUTHENTICATED"
        );
        assert!(answer.body.get("data").is_none());
    }
    let answer = finish(
        app.client
            .get(app.url("/graphql"))
            .query(&[("query", "{ __typename }")])
            .header("accept", GRAPHQL_RESPONSE)
            .header("authorization", "Basic dXNlcjpwYXNz"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
    assert_eq!(
        answer.body["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn other_methods_get_405_and_an_oversized_body_gets_413() {
    let app = spawn_app().await;
    let response = app
        .client
        .put(app.url("/graphql"))
        .header("content-type", JSON)
        .body(TYPENAME)
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = response
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");

    // Far over any body limit the server is configured with.
    let padding = "#".repeat(3 * 1024 * 1024);
    let body = json!({ "query": format!("{{ __typename }} {padding}") }).to_string();
    let answer = post(&app, Some(JSON), Some(GRAPHQL_RESPONSE), &body).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{:?}",
        answer.status
    );
}

#[tokio::test]
async fn a_document_of_several_operations_runs_the_one_named_whatever_the_others_need() {
    // Clients such as graphql_client send a whole file of operations and choose one by
    // name; the others' variables are not sent and must not matter.
    let app = spawn_app().await;
    let document = "query A($first: Int!) { events(first: $first) { totalCount } }\n\
                    fragment Unused on Query { __typename }\n\
                    query B { ...Typename }\n\
                    fragment Typename on Query { __typename }\n\
                    query C { ...Unused }";
    let answer = post_json(&app, json!({ "query": document, "operationName": "B" })).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body, json!({ "data": { "__typename": "Query" } }));

    // Naming no operation, or one that is not there, is still refused.
    for body in [
        json!({ "query": document }),
        json!({ "query": document, "operationName": "D" }),
    ] {
        let answer = post_json(&app, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    }
}
