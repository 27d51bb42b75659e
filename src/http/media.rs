//! Content negotiation for `/graphql`: which media type to answer in, whether a
//! browser wants GraphiQL, and which request content types are accepted.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::graphql::request::Statuses;

/// The media types a GraphQL response is served as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`: status codes follow the outcome.
    GraphqlResponse,
    /// `application/json`, for legacy clients.
    Json,
}

impl MediaType {
    /// How request errors are reported in this media type.
    pub fn statuses(self) -> Statuses {
        match self {
            Self::GraphqlResponse => Statuses::Spec,
            Self::Json => Statuses::Legacy,
        }
    }

    pub fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        })
    }
}

/// One media range of an `Accept` header.
pub(super) struct MediaRange<'a> {
    kind: &'a str,
    subtype: &'a str,
    /// The weight in thousandths (`q=0.9` is 900).
    weight: u16,
}

/// How well an `Accept` header accepts one media type.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Acceptance {
    /// The weight of the most specific range that matches (0: not acceptable).
    weight: u16,
    /// Whether that range names the type itself rather than a wildcard.
    named: bool,
}

/// The media ranges of all `Accept` headers; `None` when there is no (non-empty) one.
pub(super) fn accept_ranges(headers: &HeaderMap) -> Option<Vec<MediaRange<'_>>> {
    let mut present = false;
    let mut ranges = Vec::new();
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else {
            present = true;
            continue;
        };
        for item in value
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            present = true;
            ranges.extend(parse_media_range(item));
        }
    }
    present.then_some(ranges)
}

/// `type/subtype;param=value;q=0.5`. A range that asks for a charset other than UTF-8
/// (the only one we write) or has a malformed weight is left out.
pub(super) fn parse_media_range(item: &str) -> Option<MediaRange<'_>> {
    let mut parts = item.split(';');
    let (kind, subtype) = parts.next()?.trim().split_once('/')?;
    let mut weight = 1000;
    for param in parts {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim().trim_matches('"'));
        if name.eq_ignore_ascii_case("q") {
            let q: f32 = value.parse().ok()?;
            if !(0.0..=1.0).contains(&q) {
                return None;
            }
            weight = (q * 1000.0).round() as u16;
        } else if name.eq_ignore_ascii_case("charset") && !is_utf8(value) {
            return None;
        }
    }
    Some(MediaRange {
        kind: kind.trim(),
        subtype: subtype.trim(),
        weight,
    })
}

pub(super) fn is_utf8(charset: &str) -> bool {
    charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("utf8")
}

/// The weight `ranges` give `kind/subtype`: that of the most specific matching range.
pub(super) fn acceptance(ranges: &[MediaRange<'_>], kind: &str, subtype: &str) -> Acceptance {
    let mut best: Option<(u8, u16)> = None;
    for range in ranges {
        let specificity = if range.kind == "*" && range.subtype == "*" {
            1
        } else if range.kind.eq_ignore_ascii_case(kind) && range.subtype == "*" {
            2
        } else if range.kind.eq_ignore_ascii_case(kind)
            && range.subtype.eq_ignore_ascii_case(subtype)
        {
            3
        } else {
            continue;
        };
        best = match best {
            Some((s, w)) if s > specificity || (s == specificity && w >= range.weight) => {
                Some((s, w))
            }
            _ => Some((specificity, range.weight)),
        };
    }
    best.map_or_else(Acceptance::default, |(specificity, weight)| Acceptance {
        weight,
        named: specificity == 3,
    })
}

/// The media type to answer in, `None` when `Accept` allows neither JSON type.
///
/// A client that names `application/graphql-response+json` (at least as highly as
/// `application/json`) gets it. A client that does not name it is a legacy client in
/// the specification's terms: no `Accept`, `*/*` and `application/json` get
/// `application/json`.
pub(super) fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(ranges) = accept_ranges(headers) else {
        return Some(MediaType::Json);
    };
    let graphql = acceptance(&ranges, "application", "graphql-response+json");
    let json = acceptance(&ranges, "application", "json");
    if graphql.named && graphql.weight > 0 && graphql.weight >= json.weight {
        Some(MediaType::GraphqlResponse)
    } else if json.weight > 0 {
        Some(MediaType::Json)
    } else if graphql.weight > 0 {
        Some(MediaType::GraphqlResponse)
    } else {
        None
    }
}

/// Whether a GET is a browser opening GraphiQL: without a `query` parameter, any
/// client that accepts HTML; with one, only a client that names `text/html` and
/// prefers it to JSON.
pub(super) fn wants_graphiql(headers: &HeaderMap, has_query: bool) -> bool {
    let Some(ranges) = accept_ranges(headers) else {
        return !has_query;
    };
    let html = acceptance(&ranges, "text", "html");
    if html.weight == 0 {
        return false;
    }
    if !has_query {
        return true;
    }
    let graphql = acceptance(&ranges, "application", "graphql-response+json");
    let json = acceptance(&ranges, "application", "json");
    let (best_json, json_named) = if graphql.weight >= json.weight {
        (graphql.weight, graphql.named)
    } else {
        (json.weight, json.named)
    };
    html.named && (html.weight > best_json || (html.weight == best_json && !json_named))
}

/// Accepts `application/json`, with no charset or UTF-8, and nothing else; otherwise
/// says what is wrong.
pub(super) fn content_type_problem(headers: &HeaderMap) -> Result<(), String> {
    let unsupported = |message: String| message;
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(unsupported(
            "the request has no Content-Type: send the request as JSON with `Content-Type: application/json`".into(),
        ));
    };
    let value = value.to_str().unwrap_or_default();
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        let shown: String = essence.chars().take(64).collect();
        return Err(unsupported(format!(
            "Content-Type `{shown}` is not supported: send the request as JSON with `Content-Type: application/json`"
        )));
    }
    for param in parts {
        let Some((name, charset)) = param.split_once('=') else {
            continue;
        };
        let charset = charset.trim().trim_matches('"');
        if name.trim().eq_ignore_ascii_case("charset") && !is_utf8(charset) {
            let shown: String = charset.chars().take(32).collect();
            return Err(unsupported(format!(
                "charset `{shown}` is not supported: send the request as UTF-8"
            )));
        }
    }
    Ok(())
}
