//! A finished GraphQL response: its body, HTTP status and headers, decided in one place.
//!
//! Status codes follow GraphQL over HTTP as graphql-http's `auditServer` checks it: a
//! request that never reached execution (it does not parse or validate, its variables do
//! not fit, no operation can be chosen) is 400 for `application/graphql-response+json`
//! and has no `data` entry; once execution starts the answer is 200, field errors and
//! all. Legacy `application/json` clients get 200 for request errors too (the body still
//! has no `data`), so that clients that drop non-2xx bodies still see the errors. Two
//! outcomes are told apart for every client: nothing but spent budgets (429 with
//! `Retry-After`) and nothing but an unreachable database (503).

use async_graphql::{ServerError, Value};
use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
};

use crate::error::AppError;

/// What the client reads.
pub enum Body {
    /// The operation ran: `data` (which may be null), `errors`, `extensions`.
    Executed(async_graphql::Response),
    /// Nothing ran: `errors` only, no `data` entry.
    Refused(Vec<ServerError>),
    /// An executed answer without errors, already encoded: one kept by the response
    /// cache (`graphql/responses.rs`), or one just kept there.
    Encoded(Bytes),
}

/// A response ready to be written by the transport.
pub struct Finished {
    pub status: StatusCode,
    pub body: Body,
    pub headers: HeaderMap,
}

impl Finished {
    /// A request refused before anything ran, for `err`, with the HTTP status the
    /// transport chose (401, 405, 406, 413, 415 …). A rate-limit error gets its 429's
    /// `Retry-After` here, so that no path can forget it.
    pub fn refused(status: StatusCode, err: &AppError) -> Self {
        let mut finished = Self {
            status,
            body: Body::Refused(vec![err.to_server_error(None)]),
            headers: HeaderMap::new(),
        };
        if let AppError::RateLimited(seconds) = err {
            finished.set(header::RETRY_AFTER, HeaderValue::from(*seconds));
        }
        finished
    }

    /// GraphQL request errors: the document, its variables or the choice of operation
    /// were refused, so nothing ran.
    pub fn request_errors(errors: Vec<ServerError>, legacy: bool) -> Self {
        Self::decide(Body::Refused(errors), false, legacy)
    }

    /// What the schema answered; `executed` says whether execution started.
    pub fn from_response(
        mut response: async_graphql::Response,
        executed: bool,
        legacy: bool,
    ) -> Self {
        let cache_control = response
            .is_ok()
            .then(|| response.cache_control.value())
            .flatten()
            .and_then(|value| HeaderValue::from_str(&value).ok());
        let extra = std::mem::take(&mut response.http_headers);
        let body = if executed {
            Body::Executed(response)
        } else {
            Body::Refused(response.errors)
        };
        let mut finished = Self::decide(body, executed, legacy);
        if let Some(value) = cache_control {
            finished.set(header::CACHE_CONTROL, value);
        }
        finished.headers.extend(extra);
        finished
    }

    /// An answer of the response cache: executed, no errors, so 200.
    pub fn encoded(body: Bytes, headers: HeaderMap) -> Self {
        Self {
            status: StatusCode::OK,
            body: Body::Encoded(body),
            headers,
        }
    }

    fn decide(body: Body, executed: bool, legacy: bool) -> Self {
        let (data, errors) = match &body {
            Body::Executed(response) => (&response.data, response.errors.as_slice()),
            Body::Refused(errors) => (&Value::Null, errors.as_slice()),
            Body::Encoded(_) => (&Value::Null, &[][..]),
        };
        let retry_after = rate_limited_only(data, errors);
        let status = if retry_after.is_some() {
            StatusCode::TOO_MANY_REQUESTS
        } else if database_unavailable_only(data, errors) {
            StatusCode::SERVICE_UNAVAILABLE
        } else if executed || legacy {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        let mut finished = Self {
            status,
            body,
            headers: HeaderMap::new(),
        };
        if let Some(seconds) = retry_after {
            finished.set(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        finished
    }

    /// True when the operation ran (so an APQ document may be remembered).
    pub fn executed(&self) -> bool {
        matches!(self.body, Body::Executed(_) | Body::Encoded(_))
    }

    /// The errors of the body, whichever kind it is.
    pub fn errors(&self) -> &[ServerError] {
        match &self.body {
            Body::Executed(response) => &response.errors,
            Body::Refused(errors) => errors,
            Body::Encoded(_) => &[],
        }
    }

    /// Sets a response header (replacing one of the same name).
    pub fn set(&mut self, name: HeaderName, value: HeaderValue) {
        self.headers.insert(name, value);
    }

    /// The body as JSON bytes; `data` only when the operation ran.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        self.encode().map(Vec::from)
    }

    /// The body as JSON, without a copy when it is encoded already. The same bytes
    /// whatever the media type: only the `Content-Type` differs.
    pub fn encode(&self) -> Result<Bytes, serde_json::Error> {
        #[derive(serde::Serialize)]
        struct Errors<'a> {
            errors: &'a [ServerError],
        }
        match &self.body {
            Body::Executed(response) => serde_json::to_vec(response).map(Bytes::from),
            Body::Refused(errors) => serde_json::to_vec(&Errors { errors }).map(Bytes::from),
            Body::Encoded(bytes) => Ok(bytes.clone()),
        }
    }
}

/// The `extensions.code` of an error, if it has a text one.
pub fn error_code(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code),
        _ => None,
    }
}

/// When nothing came back but rate-limit errors, the seconds to wait before retrying.
fn rate_limited_only(data: &Value, errors: &[ServerError]) -> Option<u64> {
    if *data != Value::Null || errors.is_empty() {
        return None;
    }
    errors
        .iter()
        .map(|error| {
            let extensions = error.extensions.as_ref()?;
            match (extensions.get("code"), extensions.get("retryAfter")) {
                (Some(Value::String(code)), Some(Value::Number(n))) if code == "RATE_LIMITED" => {
                    n.as_u64()
                }
                _ => None,
            }
        })
        .try_fold(0, |most, seconds| seconds.map(|s| most.max(s)))
}

/// True when the database's absence is all a response has to say: no data (none, or
/// only null root fields) and every error `SERVICE_UNAVAILABLE`. Answered with 503, so
/// that load balancers, monitors and clients see the outage as one.
fn database_unavailable_only(data: &Value, errors: &[ServerError]) -> bool {
    let no_data = match data {
        Value::Null => true,
        Value::Object(fields) => fields.values().all(|value| *value == Value::Null),
        _ => false,
    };
    no_data
        && !errors.is_empty()
        && errors
            .iter()
            .all(|error| error_code(error) == Some("SERVICE_UNAVAILABLE"))
}
