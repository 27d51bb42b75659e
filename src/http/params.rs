//! The parameters of a GraphQL-over-HTTP request (`query`, `operationName`,
//! `variables`, `extensions`, `documentId`) from a JSON body or a URL, and the
//! refusals of requests that are not well formed.

use async_graphql::Variables;
use axum::{
    extract::rejection::BytesRejection,
    http::{HeaderMap, HeaderValue, StatusCode, header},
};
use serde_json::{Map, Value};

use super::media;
use crate::{
    error::AppError,
    graphql::{
        documents::Documents,
        request::{Caller, GraphqlRequest},
        response::Finished,
    },
};

/// The request parameters a GraphQL-over-HTTP request may carry; nothing else is
/// accepted, so a misspelt parameter is reported instead of silently ignored.
const PARAMETERS: &str = "`query`, `operationName`, `variables` and `extensions` (or \
     `documentId` instead of `query`, naming a persisted document)";

/// The parameters of a well-formed GraphQL-over-HTTP request.
#[derive(Default)]
pub struct Params {
    pub query: Option<String>,
    /// A persisted document's id (GraphQL over HTTP's persisted-documents proposal).
    pub document_id: Option<String>,
    pub operation_name: Option<String>,
    pub variables: Option<Map<String, Value>>,
    pub extensions: Option<Map<String, Value>>,
}

impl Params {
    /// The request these parameters make, for `caller`: the document parsed once (see
    /// [`GraphqlRequest::new`]).
    pub fn into_request(
        self,
        caller: Caller,
        documents: &Documents,
    ) -> Result<GraphqlRequest, Rejection> {
        let query = self.query.ok_or_else(|| {
            Rejection::bad_request(
                "the `query` parameter is required: a string holding the GraphQL document",
            )
        })?;
        let variables = match self.variables {
            Some(variables) => {
                let value = async_graphql::Value::from_json(Value::Object(variables))
                    .map_err(|_| Rejection::bad_request("`variables` holds an unusable value"))?;
                Variables::from_value(value)
            }
            None => Variables::default(),
        };
        let extensions = self
            .extensions
            .into_iter()
            .flatten()
            .map(|(key, value)| {
                async_graphql::Value::from_json(value)
                    .map(|value| (key, value))
                    .map_err(|_| Rejection::bad_request("`extensions` holds an unusable value"))
            })
            .collect::<Result<_, _>>()?;
        Ok(
            GraphqlRequest::new(query, self.operation_name, variables, caller, documents)
                .extensions(extensions),
        )
    }
}

/// The parameters of a JSON request body: one object, only the known keys, each of
/// the right type (`null` counts as absent).
pub fn from_body(body: &[u8]) -> Result<Params, Rejection> {
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
pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Params, Rejection> {
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

/// A request refused before execution: the HTTP status and a message saying what to fix.
pub struct Rejection {
    status: StatusCode,
    message: String,
    /// The `Allow` header of a 405.
    allow: Option<&'static str>,
}

impl Rejection {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            allow: None,
        }
    }

    /// The body could not be read: too large (413, the configured body limit) or cut off.
    pub fn body(rejection: BytesRejection) -> Self {
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

    /// The refusal as a response: `BAD_REQUEST` with the message, at this status.
    pub fn finish(self) -> Finished {
        tracing::info!(
            status = self.status.as_u16(),
            "graphql request refused before execution"
        );
        let mut finished = Finished::refused(self.status, &AppError::bad_request(self.message));
        if let Some(allow) = self.allow {
            finished.set(header::ALLOW, HeaderValue::from_static(allow));
        }
        finished
    }
}

/// GET must not change anything: a mutation is refused with 405 and `Allow: POST`.
pub fn refuse_mutation() -> Rejection {
    Rejection {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: "mutations cannot be sent with GET: send them with POST".into(),
        allow: Some("POST"),
    }
}

/// Accepts `application/json`, with no charset or UTF-8, and nothing else (415).
pub fn check_content_type(headers: &HeaderMap) -> Result<(), Rejection> {
    media::content_type_problem(headers).map_err(|message| Rejection {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        message,
        allow: None,
    })
}
