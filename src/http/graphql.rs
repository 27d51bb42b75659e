//! `/graphql` over HTTP, as the GraphQL-over-HTTP specification describes it.
//!
//! * `POST` with an `application/json` body (UTF-8) runs any operation.
//! * `GET` with URL parameters runs queries only: a mutation is refused with 405.
//!   A browser's `GET` (one that asks for HTML) gets GraphiQL instead.
//! * The response is `application/graphql-response+json` when the client names that
//!   type in `Accept`, else `application/json` for legacy clients (no `Accept`, `*/*`,
//!   `application/json`); 406 when `Accept` allows neither.
//! * With `application/graphql-response+json`, a request that never reached execution
//!   (the document does not parse or validate, the variables do not fit, the operation
//!   cannot be chosen) is answered with 400 and no `data` entry; once execution starts
//!   the answer is 200, field errors and all. Legacy `application/json` clients get 200
//!   for those GraphQL request errors too (the body still has no `data`), so that
//!   clients that drop non-2xx bodies still see the errors.
//! * A request that is not a well-formed GraphQL-over-HTTP request (no or another
//!   `Content-Type`, invalid JSON, an unknown or mistyped parameter, a batch) is refused
//!   before anything runs: 415 or 400 with a GraphQL-shaped `BAD_REQUEST` error.
//!
//! The bearer token is checked first: a bad one refuses the whole request with 401.
//!
//! Status codes follow the draft as graphql-http's `auditServer` checks it (400 for
//! request errors, 200 once executed, 200 for legacy clients); the newest draft also
//! suggests 422 for validation errors and 294 for partial success, which that audit
//! does not expect and which we do not use.

use async_graphql::{
    Variables,
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    },
};
use axum::{
    Extension,
    body::Bytes,
    extract::{Query, State, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value};

use super::{
    AppState, graphiql,
    media::{self, MediaType, negotiate, wants_graphiql},
    nulls,
    persisted::{Refusal, Registration},
};
use crate::{
    error::AppError,
    graphql::{
        cache::RequestGeneration, context::RequestContext, input, limits::count_tokens,
        loaders::Loaders,
    },
    rate_limit::{Budget, Client, ClientAddress},
    telemetry,
};

/// The request parameters a GraphQL-over-HTTP request may carry; nothing else is
/// accepted, so a misspelt parameter is reported instead of silently ignored.
const PARAMETERS: &str = "`query`, `operationName`, `variables` and `extensions` (or \
     `documentId` instead of `query`, naming a persisted document)";

/// `POST /graphql`: a JSON-encoded request.
pub async fn post(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (user_id, media) = match admit(&state, &headers).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    let params = check_content_type(&headers)
        .and_then(|()| body.map_err(Rejection::body))
        .and_then(|body| params_from_body(&body));
    let (params, registration) = match params {
        Ok(params) => match resolve_persisted(&state, params) {
            Ok(resolved) => resolved,
            Err(refusal) => return persisted_refusal(&refusal, media),
        },
        Err(rejection) => return rejection.into_response(media),
    };
    match params.into_request() {
        Ok(mut request) => {
            let inspection = inspect(&state, &mut request);
            let caller = Caller::new(user_id, address);
            let refused = inspection.missing_variable;
            execute(&state, caller, media, request, refused, registration).await
        }
        Err(rejection) => rejection.into_response(media),
    }
}

/// The token's user and the media type to answer in, or the response refusing the
/// request: 401 for a bad token (checked first), 406 for an `Accept` we cannot serve.
async fn admit(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Option<i64>, MediaType), Response> {
    let media = negotiate(headers);
    let user_id = bearer_user(state, headers)
        .await
        .map_err(|err| unauthorized(err, media))?;
    let media = media.ok_or_else(not_acceptable)?;
    Ok((user_id, media))
}

/// `GET /graphql`: GraphiQL for a browser, else a query in the URL parameters.
pub async fn get(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let pairs = Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|Query(pairs)| pairs)
        .unwrap_or_default();
    // A persisted query names its document by id: it is no browser opening GraphiQL.
    let has_query = pairs
        .iter()
        .any(|(key, _)| matches!(key.as_str(), "query" | "documentId" | "extensions"));
    if !state.production && wants_graphiql(&headers, has_query) {
        let mut response = graphiql::page().await.into_response();
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept"));
        return response;
    }

    let (user_id, media) = match admit(&state, &headers).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    let resolved = match params_from_pairs(pairs) {
        Ok(params) => {
            resolve_persisted(&state, params).map_err(|refusal| persisted_refusal(&refusal, media))
        }
        Err(rejection) => Err(rejection.into_response(media)),
    };
    let mut response =
        match resolved.map(|(params, registration)| (params.into_request(), registration)) {
            Ok((Ok(mut request), registration)) => {
                let inspection = inspect(&state, &mut request);
                if inspection.mutation {
                    refuse_mutation().into_response(media)
                } else {
                    let caller = Caller::new(user_id, address);
                    let refused = inspection.missing_variable;
                    execute(&state, caller, media, request, refused, registration).await
                }
            }
            Ok((Err(rejection), _)) => rejection.into_response(media),
            Err(refusal) => refusal,
        };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// Runs one request on the schema, unless `refused` already says why it cannot run,
/// and encodes the result for `media`. An APQ `registration` is stored once the
/// document has been executed (so it parsed and passed every limit).
async fn execute(
    state: &AppState,
    caller: Caller,
    media: MediaType,
    request: async_graphql::Request,
    refused: Option<async_graphql::ServerError>,
    registration: Option<Registration>,
) -> Response {
    let user_id = caller.user_id;
    // One operation per request (batching is off); its cost is charged once it is known.
    if let Some(client) = caller.client()
        && let Err(err) = state.limiter.spend(Budget::Operations(client), 1)
    {
        tracing::info!(status = 429, "graphql request over its rate limit");
        return rate_limited(&err, media);
    }
    let generation = RequestGeneration::default();
    let mut request = request
        .data(RequestContext::new(
            state.db.clone(),
            user_id,
            generation.clone(),
        ))
        .data(Loaders::new(
            state.db.clone(),
            user_id,
            state.cache.clone(),
            generation,
        ));
    if let Some(client) = caller.client() {
        request = request.data(client);
    }
    if let Some(address) = caller.address {
        request = request.data(address);
    }
    let operation = request.operation_name.clone();
    // Kept to re-read the document if field errors need nulls put in their place.
    let query = request.query.clone();
    let mut response = match refused {
        Some(error) => async_graphql::Response::from_errors(vec![error]),
        None => state.schema.execute(request).await,
    };
    for error in &mut response.errors {
        label_request_error(error);
        tidy_syntax_error(error);
    }
    if response.errors.iter().any(|error| !error.path.is_empty())
        && let Ok(document) = async_graphql::parser::parse_query(&query)
    {
        let data = std::mem::take(&mut response.data);
        response.data = nulls::propagate(
            &state.types,
            &document,
            operation.as_deref(),
            data,
            &response.errors,
        );
    }
    let executed = execution_started(&response);
    if executed && let Some(registration) = registration {
        state.persisted.register(registration);
    }
    let retry_after = rate_limited_only(&response);
    let status = if retry_after.is_some() {
        StatusCode::TOO_MANY_REQUESTS
    } else if database_unavailable_only(&response) {
        StatusCode::SERVICE_UNAVAILABLE
    } else if executed || media == MediaType::Json {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    // The request's log line, metrics and span are written by `telemetry::track`.
    telemetry::record_errors(response.errors.iter().map(error_code));
    let mut http = encode(response, executed, status, media);
    if let Some(seconds) = retry_after {
        http.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    http
}

/// The name of a document's only operation, if it has one.
fn only_operation_name(document: &ExecutableDocument) -> Option<&str> {
    match &document.operations {
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            operations.keys().next().map(|name| name.as_str())
        }
        _ => None,
    }
}

/// The `extensions.code` of an error, if it has a text one.
fn error_code(error: &async_graphql::ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code),
        _ => None,
    }
}

/// True when the database's absence is all a response has to say: no data (none, or
/// only null root fields) and every error `SERVICE_UNAVAILABLE`. Answered with 503, so
/// that load balancers, monitors and clients see the outage as one.
fn database_unavailable_only(response: &async_graphql::Response) -> bool {
    let no_data = match &response.data {
        async_graphql::Value::Null => true,
        async_graphql::Value::Object(fields) => fields
            .values()
            .all(|value| *value == async_graphql::Value::Null),
        _ => false,
    };
    let unavailable = async_graphql::Value::from("SERVICE_UNAVAILABLE");
    no_data
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| {
            error
                .extensions
                .as_ref()
                .and_then(|extensions| extensions.get("code"))
                == Some(&unavailable)
        })
}

/// Who is calling: the signed-in user and the connection's address.
struct Caller {
    user_id: Option<i64>,
    address: Option<ClientAddress>,
}

impl Caller {
    fn new(user_id: Option<i64>, address: Option<Extension<ClientAddress>>) -> Self {
        Self {
            user_id,
            address: address.map(|Extension(address)| address),
        }
    }

    /// Whose budgets the request spends: the user's, else the address's.
    fn client(&self) -> Option<Client> {
        self.user_id
            .map(Client::User)
            .or(self.address.map(|ClientAddress(ip)| Client::Address(ip)))
    }
}

/// When nothing came back but rate-limit errors, the seconds to wait before retrying.
fn rate_limited_only(response: &async_graphql::Response) -> Option<u64> {
    if response.data != async_graphql::Value::Null || response.errors.is_empty() {
        return None;
    }
    response
        .errors
        .iter()
        .map(|error| {
            let extensions = error.extensions.as_ref()?;
            match (extensions.get("code"), extensions.get("retryAfter")) {
                (
                    Some(async_graphql::Value::String(code)),
                    Some(async_graphql::Value::Number(n)),
                ) if code == "RATE_LIMITED" => n.as_u64(),
                _ => None,
            }
        })
        .try_fold(0, |most, seconds| seconds.map(|s| most.max(s)))
}

/// 429 with `Retry-After`, before anything ran.
fn rate_limited(err: &AppError, media: MediaType) -> Response {
    let mut response = error_response(StatusCode::TOO_MANY_REQUESTS, err, Some(media));
    if let AppError::RateLimited(seconds) = err {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*seconds));
    }
    response
}

/// True when the operation was executed. async-graphql answers a request that never
/// reached execution (parse, validation, variable coercion, operation selection) with
/// `data: null` and errors that have no path; once execution has started, `data` is
/// either not null or null because of a field error, which always carries its path.
fn execution_started(response: &async_graphql::Response) -> bool {
    response.data != async_graphql::Value::Null
        || response.errors.is_empty()
        || response.errors.iter().any(|error| !error.path.is_empty())
}

/// The HTTP response for a GraphQL response; without `data` when nothing was executed.
fn encode(
    response: async_graphql::Response,
    executed: bool,
    status: StatusCode,
    media: MediaType,
) -> Response {
    let cache_control = response
        .is_ok()
        .then(|| response.cache_control.value())
        .flatten()
        .and_then(|value| HeaderValue::from_str(&value).ok());
    let extra_headers = response.http_headers.clone();
    let mut body = match serde_json::to_value(&response) {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "encoding a GraphQL response failed");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &AppError::Internal,
                Some(media),
            );
        }
    };
    if !executed && let Value::Object(fields) = &mut body {
        fields.remove("data");
    }
    let mut http = json_response(status, &body, Some(media));
    if let Some(value) = cache_control {
        http.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    http.headers_mut().extend(extra_headers);
    http
}

/// Errors our resolvers raise carry a code already; the rest come from async-graphql
/// itself rejecting the document (syntax, unknown fields, wrong argument types, depth
/// and complexity limits), which the contract calls BAD_REQUEST.
fn label_request_error(error: &mut async_graphql::ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        let bad = AppError::bad_request("");
        extensions.set("code", bad.code());
        extensions.set("status", bad.status());
    }
}

/// async-graphql words a syntax error as the parser's drawing of the source line
/// (` --> 1:2`, the line, a caret, `= expected selection`); keep what was expected,
/// the position is in `locations` already.
fn tidy_syntax_error(error: &mut async_graphql::ServerError) {
    if !error.message.starts_with(" --> ") {
        return;
    }
    let expected = error
        .message
        .lines()
        .last()
        .and_then(|line| line.trim().strip_prefix("= "))
        .map(str::to_owned);
    if let Some(expected) = expected {
        error.message = format!("syntax error: {expected}");
    }
}

// ---------------------------------------------------------------------------------
// Request parameters

/// The parameters of a well-formed GraphQL-over-HTTP request.
#[derive(Default)]
struct Params {
    query: Option<String>,
    /// A persisted document's id (GraphQL over HTTP's persisted-documents proposal).
    document_id: Option<String>,
    operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
    extensions: Option<Map<String, Value>>,
}

impl Params {
    fn into_request(self) -> Result<async_graphql::Request, Rejection> {
        let query = self.query.ok_or_else(|| {
            Rejection::bad_request(
                "the `query` parameter is required: a string holding the GraphQL document",
            )
        })?;
        let mut request = async_graphql::Request::new(query);
        if let Some(name) = self.operation_name.filter(|name| !name.is_empty()) {
            request = request.operation_name(name);
        }
        if let Some(variables) = self.variables {
            let value = async_graphql::Value::from_json(Value::Object(variables))
                .map_err(|_| Rejection::bad_request("`variables` holds an unusable value"))?;
            request = request.variables(Variables::from_value(value));
        }
        for (key, value) in self.extensions.into_iter().flatten() {
            let value = async_graphql::Value::from_json(value)
                .map_err(|_| Rejection::bad_request("`extensions` holds an unusable value"))?;
            request.extensions.insert(key, value);
        }
        Ok(request)
    }
}

/// The parameters of a JSON request body: one object, only the known keys, each of
/// the right type (`null` counts as absent).
fn params_from_body(body: &[u8]) -> Result<Params, Rejection> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Rejection::bad_request(
            "the request body is empty: send a JSON object with a `query` string",
        ));
    }
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        Rejection::bad_request(format!("the request body is not valid JSON: {err}"))
    })?;
    let fields = match value {
        Value::Object(fields) => fields,
        Value::Array(_) => {
            return Err(Rejection::bad_request(
                "batched requests are not supported: send one operation per request, as a JSON object",
            ));
        }
        other => {
            return Err(Rejection::bad_request(format!(
                "the request body must be a JSON object with a `query` string, not {}",
                describe(&other)
            )));
        }
    };
    if let Some(key) = fields.keys().find(|key| !is_parameter(key)) {
        return Err(unknown_parameter(key));
    }
    let mut params = Params::default();
    for (key, value) in fields {
        match key.as_str() {
            "query" => params.query = string_parameter("query", value)?,
            "documentId" => params.document_id = string_parameter("documentId", value)?,
            "operationName" => params.operation_name = string_parameter("operationName", value)?,
            "variables" => params.variables = map_parameter("variables", value)?,
            _ => params.extensions = map_parameter("extensions", value)?,
        }
    }
    Ok(params)
}

/// The parameters of a GET request's URL: `variables` and `extensions` are JSON
/// strings, and an empty value counts as absent.
fn params_from_pairs(pairs: Vec<(String, String)>) -> Result<Params, Rejection> {
    if let Some((key, _)) = pairs.iter().find(|(key, _)| !is_parameter(key)) {
        return Err(unknown_parameter(key));
    }
    let mut params = Params::default();
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in pairs {
        if seen.contains(&key) {
            return Err(Rejection::bad_request(format!(
                "the `{key}` parameter is given more than once"
            )));
        }
        seen.push(key.clone());
        match key.as_str() {
            "query" => params.query = Some(value),
            "documentId" => params.document_id = Some(value).filter(|id| !id.is_empty()),
            "operationName" => params.operation_name = Some(value),
            "variables" => params.variables = json_map_parameter("variables", &value)?,
            _ => params.extensions = json_map_parameter("extensions", &value)?,
        }
    }
    Ok(params)
}

fn is_parameter(key: &str) -> bool {
    matches!(
        key,
        "query" | "documentId" | "operationName" | "variables" | "extensions"
    )
}

fn unknown_parameter(key: &str) -> Rejection {
    let key: String = key.chars().take(64).collect();
    Rejection::bad_request(format!(
        "unknown request parameter `{key}`: a request may have only {PARAMETERS}"
    ))
}

fn string_parameter(name: &str, value: Value) -> Result<Option<String>, Rejection> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text)),
        other => Err(Rejection::bad_request(format!(
            "`{name}` must be a string, not {}",
            describe(&other)
        ))),
    }
}

fn map_parameter(name: &str, value: Value) -> Result<Option<Map<String, Value>>, Rejection> {
    match value {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map)),
        other => Err(Rejection::bad_request(format!(
            "`{name}` must be a JSON object, not {}",
            describe(&other)
        ))),
    }
}

fn json_map_parameter(name: &str, text: &str) -> Result<Option<Map<String, Value>>, Rejection> {
    if text.is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|err| Rejection::bad_request(format!("`{name}` is not valid JSON: {err}")))?;
    map_parameter(name, value)
}

/// A JSON value's kind, for messages.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What the document asks for, found before anything runs.
#[derive(Default)]
struct Inspection {
    /// The chosen operation is a mutation (refused over GET).
    mutation: bool,
    /// A required variable is missing or null: a GraphQL request error (variable
    /// coercion), which async-graphql itself would only notice during execution,
    /// after other fields had run. Also a string `input::check_strings` refuses.
    missing_variable: Option<async_graphql::ServerError>,
}

/// Parses the document (kept in the request, so the schema does not parse it again)
/// and looks at the operation it chooses. Documents that do not parse, are over the
/// token limit, or do not choose an operation unambiguously are left to the schema,
/// which refuses them without executing anything.
fn inspect(state: &AppState, request: &mut async_graphql::Request) -> Inspection {
    // The schema counts tokens before it parses; so do we, so that no request makes
    // the parser work on a document the schema would refuse unread.
    let max_tokens = state.limits.max_tokens as usize;
    telemetry::record_operation(request.operation_name.as_deref());
    if count_tokens(&request.query, max_tokens + 1) > max_tokens {
        return Inspection::default();
    }
    let operation_name = request.operation_name.clone();
    let variables = std::mem::take(&mut request.variables);
    let inspection = match request.parsed_query() {
        Ok(document) => {
            if operation_name.is_none() {
                telemetry::record_operation(only_operation_name(document));
            }
            // Every string is checked before any can reach a database: PostgreSQL
            // refuses a NUL character in text, which would otherwise answer INTERNAL.
            let max_chars = state.limits.max_string_chars as usize;
            let bad_string = input::check_strings(document, &variables, max_chars)
                .err()
                .map(|err| {
                    let mut error = async_graphql::ServerError::new(err.message(), None);
                    error.extensions = async_graphql::Error::from(err).extensions;
                    error
                });
            match selected_operation(document, operation_name.as_deref()) {
                Some(operation) => Inspection {
                    mutation: operation.ty == OperationType::Mutation,
                    missing_variable: bad_string
                        .or_else(|| missing_variable(operation, &variables)),
                },
                None => Inspection {
                    missing_variable: bad_string,
                    ..Inspection::default()
                },
            }
        }
        Err(_) => Inspection::default(),
    };
    request.variables = variables;
    if let Some(narrowed) = request
        .parsed_query()
        .ok()
        .and_then(|document| only_the_chosen_operation(document, operation_name.as_deref()))
    {
        request.set_parsed_query(narrowed);
    }
    inspection
}

/// A document with several operations, cut down to the one `operation_name` chooses and
/// the fragments it uses.
///
/// async-graphql computes the complexity of every operation in the document with the
/// chosen operation's variables, so a valid request was refused ("Variable first is not
/// defined.") when another operation took `first` from a variable of its own. Clients
/// such as graphql_client send a whole file of operations and pick one by name.
fn only_the_chosen_operation(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<ExecutableDocument> {
    let DocumentOperations::Multiple(operations) = &document.operations else {
        return None;
    };
    let name = operation_name?;
    if operations.len() < 2 {
        return None;
    }
    let (key, operation) = operations.iter().find(|(key, _)| key.as_str() == name)?;
    // The fragments the operation reaches, directly or through other fragments; the
    // others would now be unused, which validation refuses.
    let mut used = std::collections::HashSet::new();
    let mut pending = vec![&operation.node.selection_set.node];
    while let Some(set) = pending.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => pending.push(&field.node.selection_set.node),
                Selection::InlineFragment(inline) => pending.push(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if used.insert(name.clone())
                        && let Some(fragment) = document.fragments.get(name)
                    {
                        pending.push(&fragment.node.selection_set.node);
                    }
                }
            }
        }
    }
    Some(ExecutableDocument {
        operations: DocumentOperations::Multiple(
            [(key.clone(), operation.clone())].into_iter().collect(),
        ),
        fragments: document
            .fragments
            .iter()
            .filter(|(name, _)| used.contains(*name))
            .map(|(name, fragment)| (name.clone(), fragment.clone()))
            .collect(),
    })
}

/// The operation `operation_name` chooses, if it chooses exactly one.
fn selected_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), None) => Some(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(key, _)| key.as_str() == name)
            .map(|(_, operation)| &operation.node),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|operation| &operation.node)
        }
        _ => None,
    }
}

/// The first variable of a non-null type, without a default, that was not given a
/// value (or was given `null`).
fn missing_variable(
    operation: &OperationDefinition,
    variables: &Variables,
) -> Option<async_graphql::ServerError> {
    operation
        .variable_definitions
        .iter()
        .find_map(|definition| {
            let variable = &definition.node;
            let ty = &variable.var_type.node;
            if ty.nullable || variable.default_value.is_some() {
                return None;
            }
            let message = match variables.get(&variable.name.node) {
                None => format!(
                    "Variable \"${}\" of required type \"{ty}\" was not provided.",
                    variable.name.node
                ),
                Some(async_graphql::Value::Null) => format!(
                    "Variable \"${}\" of non-null type \"{ty}\" must not be null.",
                    variable.name.node
                ),
                Some(_) => return None,
            };
            Some(async_graphql::ServerError::new(
                message,
                Some(definition.pos),
            ))
        })
}

/// GET must not change anything: a mutation is refused with 405 and `Allow: POST`.
fn refuse_mutation() -> Rejection {
    Rejection {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: "mutations cannot be sent with GET: send them with POST".into(),
        allow: Some("POST"),
    }
}

/// Accepts `application/json`, with no charset or UTF-8, and nothing else (415).
fn check_content_type(headers: &HeaderMap) -> Result<(), Rejection> {
    media::content_type_problem(headers).map_err(|message| Rejection {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        message,
        allow: None,
    })
}

// ---------------------------------------------------------------------------------
// Persisted queries

/// Puts the text of a persisted document in place of its id (`persisted.rs`), or
/// answers the request: an unknown id, a hash that does not fit, a free-form document
/// in trusted-documents mode.
fn resolve_persisted(
    state: &AppState,
    mut params: Params,
) -> Result<(Params, Option<Registration>), Refusal> {
    let persisted_query = params
        .extensions
        .as_mut()
        .and_then(|extensions| extensions.remove("persistedQuery"));
    match state.persisted.resolve(
        params.query.take(),
        params.document_id.take(),
        persisted_query,
    ) {
        Ok(resolved) => {
            params.query = resolved.query;
            Ok((params, resolved.register))
        }
        Err(refusal) => Err(refusal),
    }
}

/// A persisted-query error, with nothing executed. An unknown or unsupported persisted
/// query is a request error (400 for `application/graphql-response+json`, 200 for
/// legacy JSON), except with Apollo's extension, which always gets 200 (see
/// `Refusal::apollo`); a malformed one and a document outside the trusted set are 400.
fn persisted_refusal(refusal: &Refusal, media: MediaType) -> Response {
    let miss = matches!(
        refusal.error,
        AppError::PersistedQueryNotFound | AppError::PersistedQueryNotSupported
    );
    let status = if miss && (refusal.apollo || media == MediaType::Json) {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    tracing::info!(
        status = status.as_u16(),
        code = refusal.error.code(),
        "graphql request refused: persisted query"
    );
    let mut response = error_response(status, &refusal.error, Some(media));
    // A cached miss would make every later GET for that hash miss as well.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache, must-revalidate"),
    );
    response
}

// ---------------------------------------------------------------------------------
// Refusals

/// A request refused before execution: the HTTP status and a message saying what to fix.
struct Rejection {
    status: StatusCode,
    message: String,
    /// The `Allow` header of a 405.
    allow: Option<&'static str>,
}

impl Rejection {
    fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            allow: None,
        }
    }

    /// The body could not be read: too large (413, the configured body limit) or cut off.
    fn body(rejection: BytesRejection) -> Self {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "the request body is larger than the server accepts".to_owned()
        } else {
            "the request body could not be read".to_owned()
        };
        Self {
            status,
            message,
            allow: None,
        }
    }

    fn into_response(self, media: MediaType) -> Response {
        tracing::info!(
            status = self.status.as_u16(),
            "graphql request refused before execution"
        );
        let mut response = error_response(
            self.status,
            &AppError::bad_request(self.message),
            Some(media),
        );
        if let Some(allow) = self.allow {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

/// 406: `Accept` allows neither JSON media type. The body is JSON all the same.
fn not_acceptable() -> Response {
    tracing::info!(status = 406, "graphql request refused before execution");
    error_response(
        StatusCode::NOT_ACCEPTABLE,
        &AppError::bad_request(
            "the Accept header allows neither `application/graphql-response+json` nor `application/json`",
        ),
        None,
    )
}

/// A GraphQL-shaped error response (`errors` only, no `data`).
fn error_response(status: StatusCode, err: &AppError, media: Option<MediaType>) -> Response {
    telemetry::record_errors([Some(err.code())]);
    let body = serde_json::json!({
        "errors": [{
            "message": err.message(),
            "extensions": { "code": err.code(), "status": err.status() },
        }]
    });
    json_response(status, &body, media)
}

/// `body` as JSON in `media` (`application/json` when no media type was agreed).
fn json_response(status: StatusCode, body: &Value, media: Option<MediaType>) -> Response {
    let content_type = media.unwrap_or(MediaType::Json).content_type();
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{\"errors\":[]}".to_vec());
    let mut response = (status, bytes).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

// ---------------------------------------------------------------------------------
// Bearer token

/// The user id of a valid bearer token, `None` without an Authorization header.
/// An identity provider's token names its user by email, which costs one statement.
async fn bearer_user(state: &AppState, headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed =
        || AppError::Unauthenticated("the Authorization header must be `Bearer <token>`".into());
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(malformed());
    }
    state.verifier.user_id(&state.db, token).await.map(Some)
}

/// A 401 in the GraphQL response shape, with the RFC 6750 challenge. A request with a
/// bad token is refused whole, so a client never mistakes a broken token for missing
/// data; a request without a token runs anonymously (only `login` is open to it).
fn unauthorized(err: AppError, media: Option<MediaType>) -> Response {
    if !matches!(err, AppError::Unauthenticated(_)) {
        // Finding an identity provider's user needs the database, which can fail:
        // that is no fault of the token, so no 401 and no challenge.
        let status = match err {
            AppError::ServiceUnavailable | AppError::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        return error_response(status, &err, media);
    }
    tracing::info!(
        status = 401,
        "graphql request refused: invalid bearer token"
    );
    let mut response = error_response(StatusCode::UNAUTHORIZED, &err, media);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"Bearer error="invalid_token""#),
    );
    response
}
