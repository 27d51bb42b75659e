//! Document limits async-graphql does not have (tokens, aliases, root fields), and
//! the per-client cost budget.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    ServerError, ValidationResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation},
    parser::types::{ExecutableDocument, FragmentDefinition, Selection, SelectionSet},
};

use crate::rate_limit::{Budget, Client, RateLimiter};

/// Document limits async-graphql does not have, checked before validation: tokens
/// before the document is parsed (a huge document costs a scan, not a syntax tree),
/// aliases and root fields once it is.
#[derive(Clone, Copy, Debug)]
pub struct DocumentLimits {
    pub max_tokens: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    /// Longest string argument, in characters (`MAX_STRING_CHARS`).
    pub max_string_chars: usize,
}

fn over(what: &str, count: usize, limit: usize) -> ServerError {
    ServerError::new(
        format!("the document has {count} {what}; the limit is {limit}"),
        None,
    )
}

impl DocumentLimits {
    /// Refuses `query` when it has more tokens than allowed, before it is parsed.
    pub fn check_tokens(&self, query: &str) -> Result<(), ServerError> {
        let tokens = count_tokens(query, self.max_tokens + 1);
        if tokens > self.max_tokens {
            return Err(over("tokens", tokens, self.max_tokens));
        }
        Ok(())
    }

    /// Refuses a parsed document with too many aliases, or an operation with too many
    /// root fields.
    pub fn check_document(&self, document: &ExecutableDocument) -> Result<(), ServerError> {
        let aliases = count_aliases(document);
        if aliases > self.max_aliases {
            return Err(over("aliases", aliases, self.max_aliases));
        }
        for (_, operation) in document.operations.iter() {
            let roots = count_fields(&operation.node.selection_set.node, &document.fragments, 0);
            if roots > self.max_root_fields {
                return Err(over(
                    "root fields in one operation",
                    roots,
                    self.max_root_fields,
                ));
            }
        }
        Ok(())
    }
}

/// Lexical tokens of a GraphQL document (punctuators, names, numbers, strings),
/// skipping white space, commas and comments; stops counting at `stop`.
pub fn count_tokens(source: &str, stop: usize) -> usize {
    let bytes = source.as_bytes();
    let (mut i, mut tokens) = (0, 0);
    while i < bytes.len() && tokens < stop {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => i += 3, // BOM
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                tokens += 1;
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
            }
            b'"' => {
                tokens += 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                tokens += 1;
                i += 3;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                tokens += 1;
                i += 1;
                // Numbers may contain `.`, `e`, `+` and `-`; names only letters, digits, `_`.
                let number = c.is_ascii_digit() || c == b'-';
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || (number && matches!(bytes[i], b'.' | b'+' | b'-')))
                {
                    i += 1;
                }
            }
            _ => {
                tokens += 1;
                i += 1;
            }
        }
    }
    tokens
}

/// Fields written with an alias, in every operation and fragment of the document.
fn count_aliases(document: &ExecutableDocument) -> usize {
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + walk(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => walk(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| walk(&op.node.selection_set.node))
        .sum();
    let fragments: usize = document
        .fragments
        .values()
        .map(|f| walk(&f.node.selection_set.node))
        .sum();
    operations + fragments
}

/// Fields of one selection set, looking through fragments (which cannot recurse:
/// validation rejects cycles, and `depth` stops a cycle before validation runs).
fn count_fields(
    set: &SelectionSet,
    fragments: &HashMap<async_graphql::Name, async_graphql::Positioned<FragmentDefinition>>,
    depth: usize,
) -> usize {
    if depth > 16 {
        return 0;
    }
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(f) => {
                count_fields(&f.node.selection_set.node, fragments, depth + 1)
            }
            Selection::FragmentSpread(spread) => fragments
                .get(&spread.node.fragment_name.node)
                .map(|f| count_fields(&f.node.selection_set.node, fragments, depth + 1))
                .unwrap_or(0),
        })
        .sum()
}

/// Charges each document's complexity to its client's cost budget once it has been
/// validated (that is when the cost is known), and refuses it when the budget is spent.
pub struct CostBudget(pub Arc<RateLimiter>);

impl ExtensionFactory for CostBudget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostBudgetExtension(self.0.clone()))
    }
}

struct CostBudgetExtension(Arc<RateLimiter>);

#[async_graphql::async_trait::async_trait]
impl Extension for CostBudgetExtension {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if let Some(client) = ctx.data_opt::<Client>() {
            self.0
                .spend(Budget::Cost(*client), result.complexity as u64)
                .await
                .map_err(|err| {
                    vec![async_graphql::Error::from(err).into_server_error(Default::default())]
                })?;
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::count_tokens;

    #[test]
    fn tokens_are_counted_like_the_graphql_lexer() {
        assert_eq!(count_tokens("{ a }", 100), 3);
        assert_eq!(
            count_tokens(
                "query Q($x: Int = -1.5e3) { a(x: $x) @skip(if: true) }",
                100
            ),
            26
        );
        assert_eq!(count_tokens("# comment\n{ a, b }", 100), 4);
        assert_eq!(
            count_tokens(r#"{ a(s: "x \" y", t: """b "" c""") ...F }"#, 100),
            13
        );
        assert_eq!(
            count_tokens("{ a a a a }", 3),
            3,
            "stops counting at the limit"
        );
    }
}
