//! Checks on the strings a request gives, before any reaches a database, and `SearchTerm`.
//!
//! PostgreSQL refuses a NUL character (U+0000) in text, so such a string failed there as
//! `INTERNAL` while SQLite ran it. Every string of a request (each variable, each literal
//! argument of every field and directive, each variable default) is checked before
//! execution instead, the same way on both backends, and so is its length.

use async_graphql::{
    Name, Variables,
    parser::{
        Positioned,
        types::{Directive, ExecutableDocument, Selection, SelectionSet},
    },
};
use async_graphql_value::{ConstValue, Value};

use crate::{
    config::Limits,
    error::{AppError, AppResult},
};

/// Refuses the request (`BAD_REQUEST`) if any string it gives holds a NUL character or
/// has more than `max_chars` characters, naming where: the variable, or the argument and
/// its position. The string itself is never repeated: it may be 1 MiB long.
///
/// Variables are checked whether or not the operation uses them, so the answer does not
/// depend on which operation a document chooses.
pub fn check_strings(
    document: &ExecutableDocument,
    variables: &Variables,
    max_chars: usize,
) -> AppResult<()> {
    for (name, value) in variables.iter() {
        scan_const(value, max_chars)
            .map_err(|fault| fault.refusal(&format!("variable `${name}`"), max_chars))?;
    }
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        for definition in &operation.variable_definitions {
            let definition = &definition.node;
            if let Some(default) = &definition.default_value {
                scan_const(&default.node, max_chars).map_err(|fault| {
                    let name = &definition.name.node;
                    let place = format!("the default value of `${name}` at {}", default.pos);
                    fault.refusal(&place, max_chars)
                })?;
            }
            directives(&definition.directives, max_chars)?;
        }
        directives(&operation.directives, max_chars)?;
        selection_set(&operation.selection_set.node, max_chars)?;
    }
    for fragment in document.fragments.values() {
        directives(&fragment.node.directives, max_chars)?;
        selection_set(&fragment.node.selection_set.node, max_chars)?;
    }
    Ok(())
}

fn selection_set(set: &SelectionSet, max_chars: usize) -> AppResult<()> {
    // Recursion is bounded: the parser refuses selection sets nested over 64 deep.
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                arguments(&field.arguments, &field.name.node, "", max_chars)?;
                directives(&field.directives, max_chars)?;
                selection_set(&field.selection_set.node, max_chars)?;
            }
            Selection::FragmentSpread(spread) => directives(&spread.node.directives, max_chars)?,
            Selection::InlineFragment(inline) => {
                directives(&inline.node.directives, max_chars)?;
                selection_set(&inline.node.selection_set.node, max_chars)?;
            }
        }
    }
    Ok(())
}

fn directives(directives: &[Positioned<Directive>], max_chars: usize) -> AppResult<()> {
    for directive in directives {
        let directive = &directive.node;
        arguments(&directive.arguments, &directive.name.node, "@", max_chars)?;
    }
    Ok(())
}

/// The arguments of the field or directive `owner`.
fn arguments(
    arguments: &[(Positioned<Name>, Positioned<Value>)],
    owner: &Name,
    sigil: &str,
    max_chars: usize,
) -> AppResult<()> {
    for (name, value) in arguments {
        scan(&value.node, max_chars).map_err(|fault| {
            let place = format!(
                "argument `{}` of `{sigil}{owner}` at {}",
                name.node, name.pos
            );
            fault.refusal(&place, max_chars)
        })?;
    }
    Ok(())
}

/// What is wrong with a string.
#[derive(Debug, PartialEq, Eq)]
enum Fault {
    Nul,
    /// Longer than allowed: this many characters.
    TooLong(usize),
}

impl Fault {
    /// The client's error; `place` says where the string is.
    fn refusal(self, place: &str, max_chars: usize) -> AppError {
        AppError::bad_request(match self {
            Self::Nul => {
                format!("{place} holds a NUL character (U+0000), which no string may hold")
            }
            Self::TooLong(chars) => format!(
                "{place} holds a string of {chars} characters; strings may have at most \
                 {max_chars} characters"
            ),
        })
    }
}

/// The one rule for a string, also used by `SearchTerm`. Cheap when the string is fine:
/// one `memchr`-like scan, and characters are only counted when the bytes alone exceed
/// the limit (a string never has more characters than bytes).
fn check_text(text: &str, max_chars: usize) -> Result<(), Fault> {
    if text.contains('\0') {
        return Err(Fault::Nul);
    }
    if text.len() > max_chars {
        let chars = text.chars().count();
        if chars > max_chars {
            return Err(Fault::TooLong(chars));
        }
    }
    Ok(())
}

/// Checks every string of a document's value, stopping at the first fault, without
/// copying anything. A variable reference is no string the client gives: its value is
/// checked among the variables.
fn scan(value: &Value, max_chars: usize) -> Result<(), Fault> {
    match value {
        Value::String(text) => check_text(text, max_chars),
        Value::List(items) => items.iter().try_for_each(|item| scan(item, max_chars)),
        Value::Object(fields) => fields.values().try_for_each(|field| scan(field, max_chars)),
        _ => Ok(()),
    }
}

/// [`scan`] for a variable's value (JSON, so no variable references); object keys are
/// names the schema checks, not data.
fn scan_const(value: &ConstValue, max_chars: usize) -> Result<(), Fault> {
    match value {
        ConstValue::String(text) => check_text(text, max_chars),
        ConstValue::List(items) => items
            .iter()
            .try_for_each(|item| scan_const(item, max_chars)),
        ConstValue::Object(fields) => fields
            .values()
            .try_for_each(|field| scan_const(field, max_chars)),
        _ => Ok(()),
    }
}

/// A `search` argument as the store runs it: trimmed, never empty, without NUL and at
/// most `MAX_SEARCH_CHARS` characters long. Every list that searches builds its term
/// here, so the rule lives once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchTerm(String);

impl SearchTerm {
    /// The term of a `search` argument; `None` without one, or when it is only white
    /// space (which would match everything: no filter at all).
    pub fn parse(search: Option<String>, limits: &Limits) -> AppResult<Option<Self>> {
        let Some(search) = search else {
            return Ok(None);
        };
        let term = search.trim();
        if term.is_empty() {
            return Ok(None);
        }
        let max_chars = limits.max_search_chars as usize;
        match check_text(term, max_chars) {
            Ok(()) => Ok(Some(Self(term.to_owned()))),
            // Its own message: the search limit is far below the general one.
            Err(Fault::TooLong(chars)) => Err(AppError::bad_request(format!(
                "a `search` term may have at most {max_chars} characters; this one has {chars}"
            ))),
            Err(fault) => Err(fault.refusal("`search`", max_chars)),
        }
    }

    /// The term, as the store's filters take it.
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::*;

    fn check(document: &str, variables: serde_json::Value, max_chars: usize) -> AppResult<()> {
        let document = parse_query(document).expect("the test document parses");
        check_strings(&document, &Variables::from_json(variables), max_chars)
    }

    /// The message of a refusal, after checking it is a `BAD_REQUEST`.
    fn refusal(result: AppResult<()>) -> String {
        match result {
            Err(err @ AppError::BadRequest(_)) => err.message(),
            other => panic!("expected BAD_REQUEST, got {other:?}"),
        }
    }

    #[test]
    fn strings_without_nul_within_the_limit_pass() {
        let document = r#"query Q($a: String = "four", $b: [String]) @x(s: "four") {
            f(s: "four", l: ["four", {k: "four"}], n: 1234567, e: ENUM, v: $a, o: {v: $b}) {
                ...F @include(if: true)
                ... on T @skip(if: false) { g(s: "éééé") }
            }
        }
        fragment F on T { h(s: "four") }"#;
        let variables = json!({ "a": "four", "b": ["éééé", null, 12345], "c": { "d": "four" } });
        assert_eq!(check(document, variables, 4), Ok(()));
        assert_eq!(check("{ f }", json!({}), 1), Ok(()));
    }

    #[test]
    fn a_nul_character_is_refused_wherever_it_is_and_the_place_is_named() {
        let cases = [
            (
                r#"{ f(s: "a\u0000b") }"#,
                json!({}),
                "argument `s` of `f` at 1:5",
            ),
            (
                "query($v: String) { f(s: $v) }",
                json!({ "v": "a\u{0}b" }),
                "variable `$v`",
            ),
            (
                "{ f }",
                json!({ "unused": [{ "deep": ["ok", "a\u{0}b"] }] }),
                "variable `$unused`",
            ),
            (
                r#"{ f(l: [{k: ["ok", "\u0000"]}]) }"#,
                json!({}),
                "argument `l` of `f` at 1:5",
            ),
            (
                r#"{ f { g @include(if: true) @x(s: "\u0000") } }"#,
                json!({}),
                "argument `s` of `@x` at 1:31",
            ),
            (
                r#"query($v: String = "\u0000") { f }"#,
                json!({}),
                "the default value of `$v` at 1:20",
            ),
            (
                "query @x(s: \"\\u0000\") { f }",
                json!({}),
                "argument `s` of `@x` at 1:10",
            ),
            (
                "{ ...F } fragment F on T { ... on T { g(s: \"\\u0000\") } }",
                json!({}),
                "argument `s` of `g` at 1:41",
            ),
            (
                // In an operation the request does not choose, too.
                "query A { f } query B { f(s: \"\\u0000\") }",
                json!({}),
                "argument `s` of `f`",
            ),
        ];
        for (document, variables, place) in cases {
            let message = refusal(check(document, variables, 100));
            assert!(message.contains(place), "{document}: {message}");
            assert!(message.contains("NUL"), "{document}: {message}");
        }
    }

    #[test]
    fn a_string_over_the_limit_is_refused_without_being_repeated() {
        let long = "x".repeat(50_000);
        let message = refusal(check("{ f }", json!({ "v": long }), 1_000));
        assert!(message.contains("variable `$v`"), "{message}");
        assert!(message.contains("50000 characters"), "{message}");
        assert!(message.contains("at most 1000"), "{message}");
        assert!(message.len() < 200, "{message}");

        let document = format!(r#"{{ f(s: "{}") }}"#, "é".repeat(5));
        let message = refusal(check(&document, json!({}), 4));
        assert!(message.contains("argument `s` of `f` at 1:5"), "{message}");
        assert!(!message.contains('é'), "{message}");
    }

    #[test]
    fn a_variable_reference_is_no_string_but_a_json_key_named_dollar_var_is_data() {
        let name = "v".repeat(20);
        let document = format!("query(${name}: String) {{ f(s: ${name}, o: {{k: ${name}}}) }}");
        assert_eq!(check(&document, json!({}), 4), Ok(()));
        let message = refusal(check("{ f }", json!({ "o": { "$var": "a\u{0}" } }), 4));
        assert!(message.contains("variable `$o`"), "{message}");
    }

    fn limits(max_search_chars: u32) -> Limits {
        Limits {
            max_search_chars,
            ..Limits::default()
        }
    }

    #[test]
    fn search_terms_are_trimmed_dropped_when_empty_and_limited_in_characters() {
        let limits = limits(3);
        let parse = |search: Option<&str>| SearchTerm::parse(search.map(str::to_owned), &limits);
        assert_eq!(parse(None), Ok(None));
        assert_eq!(parse(Some("")), Ok(None));
        assert_eq!(parse(Some(" \t\n")), Ok(None));
        assert_eq!(
            parse(Some("  abc ")).map(|term| term.map(SearchTerm::into_string)),
            Ok(Some("abc".to_owned()))
        );
        assert_eq!(
            parse(Some("ééé")).map(|term| term.map(SearchTerm::into_string)),
            Ok(Some("ééé".to_owned()))
        );
        let Err(err) = parse(Some("abcd")) else {
            panic!("a term over the limit is refused")
        };
        assert_eq!(err.code(), "BAD_REQUEST");
        assert_eq!(
            err.message(),
            "a `search` term may have at most 3 characters; this one has 4"
        );
        let Err(err) = parse(Some("a\u{0}")) else {
            panic!("a NUL character is refused")
        };
        assert_eq!(err.code(), "BAD_REQUEST");
        assert!(err.message().contains("NUL"), "{}", err.message());
    }
}
