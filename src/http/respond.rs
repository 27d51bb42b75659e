//! Writing a finished GraphQL response as HTTP: the media type, the body, the headers.

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use super::media::MediaType;
use crate::{
    error::AppError,
    graphql::response::{Finished, error_code},
    telemetry,
};

/// `finished` as an HTTP response in `media` (`application/json` when no media type
/// was agreed, as for a 406). Every GraphQL response and refusal is written here, so
/// every one has its error codes recorded for the request's log line.
pub fn write(finished: Finished, media: Option<MediaType>) -> Response {
    telemetry::record_errors(finished.errors().iter().map(error_code));
    let body = match finished.encode() {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "encoding a GraphQL response failed");
            let internal =
                Finished::refused(StatusCode::INTERNAL_SERVER_ERROR, &AppError::Internal);
            return write(internal, media);
        }
    };
    let mut response = (finished.status, body).into_response();
    let headers = response.headers_mut();
    headers.extend(finished.headers);
    headers.insert(
        header::CONTENT_TYPE,
        media.unwrap_or(MediaType::Json).content_type(),
    );
    response
}

/// An error refused outside GraphQL execution (time limit, panic), as the transport's
/// refusals are: `status` and the error's body.
pub fn refusal(status: StatusCode, err: &AppError) -> Response {
    write(Finished::refused(status, err), None)
}
