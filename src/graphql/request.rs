//! A GraphQL request as a transport hands it to the pipeline: the document parsed
//! once, the operation it chooses, the variables, and who is asking.

use std::sync::Arc;

use async_graphql::{
    Name, Positioned, ServerError, Variables,
    parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition, OperationType},
};

use super::documents::Documents;
use crate::{
    rate_limit::{Client, ClientAddress},
    telemetry,
};

/// Who is calling: the signed-in user and the connection's address.
#[derive(Clone, Copy, Debug, Default)]
pub struct Caller {
    pub user_id: Option<i64>,
    pub address: Option<ClientAddress>,
}

impl Caller {
    /// Whose budgets the request spends: the user's, else the address's.
    pub fn client(&self) -> Option<Client> {
        self.user_id
            .map(Client::User)
            .or(self.address.map(|ClientAddress(ip)| Client::Address(ip)))
    }
}

/// How the transport reports request errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statuses {
    /// `application/graphql-response+json`: 400 when nothing ran.
    Spec,
    /// Legacy `application/json`: 200 with the errors, so that clients that drop
    /// non-2xx bodies still see them.
    Legacy,
}

/// A request ready for [`super::pipeline::Engine::run`].
pub struct GraphqlRequest {
    pub(super) query: String,
    /// The parsed document, or why it could not be (over the token limit, a syntax error).
    pub(super) document: Result<Arc<ExecutableDocument>, ServerError>,
    pub(super) operation_name: Option<String>,
    pub(super) variables: Variables,
    pub(super) extensions: Vec<(String, async_graphql::Value)>,
    pub(super) caller: Caller,
    pub(super) statuses: Statuses,
}

impl GraphqlRequest {
    /// Parses `query` once, unless it has more tokens than the limits allow (counted
    /// first, so that no request makes the parser build a tree the server would refuse),
    /// or takes a copy of the tree parsed from the same text before.
    pub fn new(
        query: String,
        operation_name: Option<String>,
        variables: Variables,
        caller: Caller,
        documents: &Documents,
    ) -> Self {
        let operation_name = operation_name.filter(|name| !name.is_empty());
        let document = match documents.get(&query) {
            Some(document) => Ok(document),
            None => documents
                .limits()
                .check_tokens(&query)
                .and_then(|()| {
                    async_graphql::parser::parse_query(&query).map_err(|err| tidy(err.into()))
                })
                .map(|document| documents.keep(&query, document)),
        };
        let request = Self {
            query,
            document,
            operation_name,
            variables,
            extensions: Vec::new(),
            caller,
            statuses: Statuses::Spec,
        };
        let named = request.operation_name.as_deref().or_else(|| {
            request
                .operation()
                .and_then(|(name, _)| name.map(Name::as_str))
        });
        telemetry::record_operation(named);
        request
    }

    /// The request's `extensions` (other than a persisted query's, which the
    /// transport has already used).
    pub fn extensions(mut self, extensions: Vec<(String, async_graphql::Value)>) -> Self {
        self.extensions = extensions;
        self
    }

    /// How request errors are reported.
    pub fn statuses(mut self, statuses: Statuses) -> Self {
        self.statuses = statuses;
        self
    }

    /// The operation the request chooses, with its name, if it chooses exactly one.
    pub fn operation(&self) -> Option<(Option<&Name>, &Positioned<OperationDefinition>)> {
        select(
            self.document.as_deref().ok()?,
            self.operation_name.as_deref(),
        )
    }

    /// True when the chosen operation is a mutation (which `GET` must not run).
    pub fn is_mutation(&self) -> bool {
        self.operation()
            .is_some_and(|(_, operation)| operation.node.ty == OperationType::Mutation)
    }
}

/// The operation `name` chooses in `document`, as GraphQL's `GetOperation` does: the
/// named one, or the only one when no name is given.
pub(super) fn select<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<(Option<&'a Name>, &'a Positioned<OperationDefinition>)> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), None) => Some((None, operation)),
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(key, _)| key.as_str() == name)
            .map(|(key, operation)| (Some(key), operation)),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations
            .iter()
            .next()
            .map(|(key, operation)| (Some(key), operation)),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// The parser words a syntax error as its drawing of the source line (` --> 1:2`, the
/// line, a caret, `= expected selection`); keep what was expected, the position is in
/// `locations` already.
pub(super) fn tidy(mut error: ServerError) -> ServerError {
    if !error.message.starts_with(" --> ") {
        return error;
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
    error
}
