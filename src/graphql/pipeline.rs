//! The one path of a GraphQL request: a [`GraphqlRequest`] in, a [`Finished`] response
//! out, whatever the transport.
//!
//! In order: the client's operation budget; the request errors that nothing may run
//! past (the document's limits, the choice of operation, string arguments, variables,
//! the validation of every operation in the document); execution of the chosen
//! operation alone, with the per-request context and loaders; then the fixes on top
//! of async-graphql (codes on its own errors, null propagation) and the HTTP status.

use std::sync::Arc;

use async_graphql::{
    Name, Positioned, Request, Response, Schema, ServerError, Value, Variables,
    parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition, Selection},
};
use axum::http::StatusCode;
use sea_orm::DatabaseConnection;

use super::{
    AppSchema, Mutation, Query, Subscription, build_runner, build_schema,
    cache::{RequestGeneration, SharedCache},
    checker::{Measure, Measured},
    context::RequestContext,
    documents::Documents,
    index::SchemaIndex,
    input,
    limits::DocumentLimits,
    loaders::Loaders,
    nulls, order,
    request::{GraphqlRequest, Statuses, select},
    response::Finished,
    responses::{Reads, ResponseCache},
    variables,
};
use crate::{
    auth::Keys,
    config::Limits,
    db::replicas::Replicas,
    error::AppError,
    live::Live,
    rate_limit::{Budget, RateLimiter},
};

/// What running a request needs: the schema and what it is checked against.
pub struct Engine {
    /// Validates and charges every document itself: subscriptions run on it.
    schema: AppSchema,
    /// Runs the queries and mutations [`Engine::run`] has validated and charged.
    runner: AppSchema,
    /// Validates a document in full with the running schema's limits and measures its
    /// cost; runs nothing.
    checker: AppSchema,
    /// The same types without limits or data, used only to validate the operations of
    /// a document that are not run (see [`Engine::validate_others`]).
    validator: AppSchema,
    index: SchemaIndex,
    documents: Documents,
    limiter: Arc<RateLimiter>,
    db: DatabaseConnection,
    cache: Option<Arc<SharedCache>>,
    /// Read replicas: queries run on a healthy one when there is one.
    replicas: Option<Arc<Replicas>>,
    /// Whole answers kept across requests (`RESPONSE_CACHE`).
    responses: Option<Arc<ResponseCache>>,
}

impl Engine {
    /// Builds the schema and what the pipeline checks requests against; fails (and the
    /// server does not start) when the schema's own SDL cannot be read.
    pub fn new(
        db: DatabaseConnection,
        keys: Keys,
        limits: &Limits,
        production: bool,
        limiter: Arc<RateLimiter>,
        cache: Option<Arc<SharedCache>>,
        live: Option<Arc<Live>>,
    ) -> anyhow::Result<Self> {
        let schema = build_schema(
            db.clone(),
            keys.clone(),
            limits,
            production,
            limiter.clone(),
            live.clone(),
        );
        let runner = build_runner(db.clone(), keys, limits, production, limiter.clone(), live);
        let index = SchemaIndex::from_sdl(&schema.sdl())?;
        let checker = super::checked(
            Schema::build(Query::default(), Mutation::default(), Subscription),
            limits,
            production,
        )
        .extension(Measure)
        .finish();
        let mut validator =
            Schema::build(Query::default(), Mutation::default(), Subscription).extension(Measure);
        if production {
            // Its errors reach clients as the running schema's do: no "did you mean".
            validator = validator.disable_introspection().disable_suggestions();
        }
        Ok(Self {
            schema,
            runner,
            checker,
            validator: validator.finish(),
            index,
            documents: Documents::new(DocumentLimits::from(limits)),
            limiter,
            db,
            cache,
            replicas: None,
            responses: None,
        })
    }

    /// Keeps whole answers in `responses` (`RESPONSE_CACHE`; `None`: off).
    pub fn with_responses(mut self, responses: Option<Arc<ResponseCache>>) -> Self {
        self.responses = responses;
        self
    }

    /// Serves queries from `replicas` (mutations stay on the primary).
    pub fn with_replicas(mut self, replicas: Option<Arc<Replicas>>) -> Self {
        self.replicas = replicas;
        self
    }

    /// The executable schema (subscriptions run on it directly: `http::websocket`).
    pub fn schema(&self) -> &AppSchema {
        &self.schema
    }

    /// The document limits requests are prepared with, and the documents parsed.
    pub fn documents(&self) -> &Documents {
        &self.documents
    }

    /// Runs one request to its finished response.
    pub async fn run(&self, request: GraphqlRequest) -> Finished {
        // A query reads only: a healthy replica serves it, with everything it reads
        // (the viewer and the cache generation included) from that one server.
        let db = if request.is_mutation() {
            &self.db
        } else {
            self.replicas
                .as_ref()
                .and_then(|replicas| replicas.pick())
                .unwrap_or(&self.db)
        };
        let GraphqlRequest {
            query,
            document,
            operation_name,
            variables,
            extensions,
            caller,
            statuses,
        } = request;
        let legacy = statuses == Statuses::Legacy;
        // One operation per request (batching is off); its cost is charged once known.
        if let Some(client) = caller.client()
            && let Err(err) = self.limiter.spend(Budget::Operations(client), 1).await
        {
            tracing::info!(status = 429, "graphql request over its rate limit");
            return Finished::refused(StatusCode::TOO_MANY_REQUESTS, &err);
        }
        let candidate = match &self.responses {
            Some(cache) => {
                let document = document.as_deref().ok();
                cache
                    .candidate(
                        db,
                        &query,
                        document,
                        operation_name.as_deref(),
                        &variables,
                        caller.user_id,
                    )
                    .await
            }
            None => None,
        };
        if let Some(answer) = candidate.as_ref().and_then(|candidate| candidate.hit()) {
            // The same text with the same variables passed every check and was
            // measured when it was kept; its cost is charged to this client all the same.
            if let Some(client) = caller.client()
                && let Err(err) = self.limiter.spend(Budget::Cost(client), answer.cost).await
            {
                let error = async_graphql::Error::from(err).into_server_error(Default::default());
                return Finished::request_errors(vec![error], legacy);
            }
            return Finished::encoded(answer.body, answer.headers);
        }
        let document = match self
            .check(document, operation_name.as_deref(), &variables)
            .await
        {
            Ok(checked) => checked,
            Err(errors) => return Finished::request_errors(errors, legacy),
        };
        let cost = match self
            .measure(&document, operation_name.as_deref(), &variables)
            .await
        {
            Ok(cost) => cost,
            Err(errors) => return Finished::request_errors(errors, legacy),
        };
        if let Some(client) = caller.client()
            && let Err(err) = self.limiter.spend(Budget::Cost(client), cost).await
        {
            let error = async_graphql::Error::from(err).into_server_error(Default::default());
            return Finished::request_errors(vec![error], legacy);
        }
        // What null propagation needs afterwards, without keeping a copy of the parsed
        // document: the schema consumes it, and most answers need no fixing.
        let conditional = nulls::has_conditions(&document);
        // Conditions decide the order of the answer's fields too (`order.rs`).
        let conditions = conditional.then(|| variables.clone());
        let source = query.clone();
        let mut request = Request::new(query).variables(variables);
        if let Some(name) = &operation_name {
            request = request.operation_name(name.as_str());
        }
        request.extensions.extend(extensions);
        let generation = RequestGeneration::default();
        let user_id = caller.user_id;
        let reads = Reads::default();
        request = request
            .data(reads.clone())
            .data(RequestContext::new(db.clone(), user_id, generation.clone()))
            .data(Loaders::new(
                db.clone(),
                user_id,
                self.cache.clone(),
                generation,
            ));
        if !std::ptr::eq(db, &self.db) {
            // Resolvers that take the connection from the context get the replica too.
            request = request.data(db.clone());
        }
        if let Some(client) = caller.client() {
            request = request.data(client);
        }
        if let Some(address) = caller.address {
            request = request.data(address);
        }
        // The shape of the answer, to put its fields in order afterwards (`order.rs`):
        // shared, while the schema consumes its own copy.
        let shape = document.clone();
        request.set_parsed_query(Arc::unwrap_or_clone(document));
        let mut response = self.runner.execute(request).await;
        for error in &mut response.errors {
            label_request_error(error);
        }
        let executed = execution_started(&response);
        let field_errors = response.errors.iter().any(|error| !error.path.is_empty());
        if executed && (conditional || field_errors) {
            self.fix_nulls(&source, operation_name.as_deref(), &mut response);
        }
        if executed && let Some((_, operation)) = select(&shape, operation_name.as_deref()) {
            order::order(
                &shape,
                &operation.node,
                conditions.as_ref(),
                &mut response.data,
            );
        }
        let finished = Finished::from_response(response, executed, legacy);
        match candidate {
            Some(candidate) => candidate.keep(finished, &reads, cost),
            None => finished,
        }
    }

    /// Puts the nulls async-graphql leaves out where the specification wants them
    /// (`nulls.rs`), reading the document again: this is the rare path.
    fn fix_nulls(&self, source: &str, operation_name: Option<&str>, response: &mut Response) {
        let Ok(document) = async_graphql::parser::parse_query(source) else {
            return; // it parsed before it ran
        };
        let Some((_, operation)) = select(&document, operation_name) else {
            return;
        };
        let operation = &operation.node;
        nulls::fill_skipped_objects(
            &self.index,
            &document,
            operation,
            &mut response.data,
            &response.errors,
        );
        if response.errors.iter().any(|error| !error.path.is_empty()) {
            let data = std::mem::take(&mut response.data);
            response.data =
                nulls::propagate(&self.index, &document, operation, data, &response.errors);
        }
    }

    /// Everything that must hold before anything runs. Returns the document cut down
    /// to the chosen operation (and the fragments it uses), with that operation.
    async fn check(
        &self,
        document: Result<Arc<ExecutableDocument>, ServerError>,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> Result<Arc<ExecutableDocument>, Vec<ServerError>> {
        let document = document.map_err(|error| vec![labelled(error)])?;
        self.documents
            .limits()
            .check_document(&document)
            .map_err(|error| vec![labelled(error)])?;
        // Before any string can reach a database: PostgreSQL refuses NUL in text.
        input::check_strings(
            &document,
            variables,
            self.documents.limits().max_string_chars,
        )
        .map_err(|err| vec![err.to_server_error(None)])?;
        let Some((name, operation)) = select(&document, operation_name) else {
            let message = match operation_name {
                Some(name) => format!(r#"Unknown operation named "{name}""#),
                None => "Operation name required in request.".to_owned(),
            };
            return Err(vec![labelled(ServerError::new(message, None))]);
        };
        if let Some(error) = variables::missing(&operation.node, variables) {
            return Err(vec![labelled(error)]);
        }
        let misplaced = variables::misplaced(&self.index, &document);
        if !misplaced.is_empty() {
            return Err(misplaced.into_iter().map(labelled).collect());
        }
        if document.operations.iter().count() > 1 {
            self.validate_others(&document, name).await?;
        }
        let narrowed = only(&document, name, operation);
        Ok(narrowed.map_or(document, Arc::new))
    }

    /// Validates the document to be run as the running schema would in full (every
    /// rule, with the request's variables, and the depth and complexity limits), and
    /// returns its cost: the complexity the budget is charged. The runner then repeats
    /// only the fast part of validation.
    async fn measure(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> Result<u64, Vec<ServerError>> {
        let measured = Measured::default();
        let mut request = Request::new("")
            .variables(variables.clone())
            .data(measured.clone());
        if let Some(name) = operation_name {
            request = request.operation_name(name);
        }
        request.set_parsed_query(document.clone());
        let response = self.checker.execute(request).await;
        if !response.errors.is_empty() {
            return Err(response.errors.into_iter().map(labelled).collect());
        }
        measured.0.get().map(|&cost| cost as u64).ok_or_else(|| {
            tracing::error!("a document passed validation without a measured cost");
            vec![labelled(AppError::Internal.to_server_error(None))]
        })
    }

    /// Validates a document of several operations as a whole, as GraphQL over HTTP
    /// requires, though only one of them runs. The schema that runs it computes the
    /// cost of every operation with the chosen one's variables, and would refuse a
    /// valid request whose other operations take `first` from variables of their own;
    /// so the whole document goes through the validator (same types, no cost or depth
    /// limit, no data, nothing executed) with every variable null, and the running
    /// schema then sees the chosen operation alone.
    async fn validate_others(
        &self,
        document: &ExecutableDocument,
        chosen: Option<&Name>,
    ) -> Result<(), Vec<ServerError>> {
        let names = document
            .operations
            .iter()
            .flat_map(|(_, operation)| &operation.node.variable_definitions)
            .map(|definition| (definition.node.name.node.clone(), Value::Null));
        let mut request =
            Request::new("").variables(Variables::from_value(Value::Object(names.collect())));
        if let Some(name) = chosen {
            request = request.operation_name(name.as_str());
        }
        request.set_parsed_query(document.clone());
        let response = self.validator.execute(request).await;
        if response.errors.is_empty() {
            Ok(())
        } else {
            Err(response.errors.into_iter().map(labelled).collect())
        }
    }
}

impl From<&Limits> for DocumentLimits {
    fn from(limits: &Limits) -> Self {
        Self {
            max_tokens: limits.max_tokens as usize,
            max_aliases: limits.max_aliases as usize,
            max_root_fields: limits.max_root_fields as usize,
            max_string_chars: limits.max_string_chars as usize,
        }
    }
}

/// `document` cut down to `operation` (named `name`) and the fragments it reaches,
/// directly or through other fragments (the others would now be unused, which
/// validation refuses); `None` when it has only that operation.
fn only(
    document: &ExecutableDocument,
    name: Option<&Name>,
    operation: &Positioned<OperationDefinition>,
) -> Option<ExecutableDocument> {
    let (DocumentOperations::Multiple(_), Some(name)) = (&document.operations, name) else {
        return None;
    };
    if document.operations.iter().count() < 2 {
        return None;
    }
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
            [(name.clone(), operation.clone())].into_iter().collect(),
        ),
        fragments: document
            .fragments
            .iter()
            .filter(|(name, _)| used.contains(*name))
            .map(|(name, fragment)| (name.clone(), fragment.clone()))
            .collect(),
    })
}

/// A request error with the contract's code.
fn labelled(mut error: ServerError) -> ServerError {
    label_request_error(&mut error);
    error
}

/// Errors our resolvers raise carry a code already; the rest come from async-graphql
/// itself. Rejecting the document (syntax, unknown fields, wrong argument types, depth
/// and complexity limits: no `path`) or an argument it cannot coerce while executing is
/// what the contract calls BAD_REQUEST. Any other field error without a code is a bug
/// of ours: INTERNAL, with its text logged rather than sent.
fn label_request_error(error: &mut ServerError) {
    if error
        .extensions
        .as_ref()
        .is_some_and(|extensions| extensions.get("code").is_some())
    {
        return;
    }
    let kind = if error.path.is_empty() || is_argument_coercion(&error.message) {
        AppError::bad_request("")
    } else {
        tracing::error!(error = %error.message, "a field error without a code");
        error.message = AppError::Internal.message();
        AppError::Internal
    };
    kind.write_extensions(error.extensions.get_or_insert_with(Default::default));
}

/// async-graphql's messages for an argument value it cannot coerce to the argument's
/// type at execution time (`InputValueError`), e.g. `first: 1e400`.
fn is_argument_coercion(message: &str) -> bool {
    message.starts_with("Expected input type \"") || message.starts_with("Failed to parse \"")
}

/// True when the operation was executed. async-graphql answers a request that never
/// reached execution (validation, the cost budget) with `data: null` and errors that
/// have no path; once execution has started, `data` is either not null or null
/// because of a field error, which always carries its path.
fn execution_started(response: &Response) -> bool {
    response.data != Value::Null
        || response.errors.is_empty()
        || response.errors.iter().any(|error| !error.path.is_empty())
}
