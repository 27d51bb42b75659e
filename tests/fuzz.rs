//! Property tests: arbitrary documents and variables against the schema never panic, and
//! every answer is one a client can read.
//!
//! The schema is the server's own (`graphql::build_schema`, in development and in
//! production mode) over a migrated SQLite database with the demo data set, so that
//! generated queries reach the resolvers behind real sessions, events and registrants.
//! Each request carries what the HTTP layer attaches (`RequestContext`, `Loaders`, the
//! rate-limit `Client`) for a super admin, another role, a user that does not exist, or
//! nobody.
//!
//! Three properties, 256 cases each (`PROPTEST_CASES` overrides):
//! * `arbitrary_text_is_answered`: any string as the document (random text, GraphQL-ish
//!   token soup, or a generated document with a few bytes spliced in) with arbitrary JSON
//!   variables;
//! * `generated_documents_are_answered`: documents generated from the schema's own SDL
//!   (random nesting, aliases, fragments, directives, unknown fields and arguments,
//!   argument values of every kind: huge and negative ints, odd and non-ASCII strings,
//!   forged cursors, nulls, wrong types, variables) with variables shaped to fit them, or not;
//! * `generated_documents_with_arbitrary_variables_are_answered`: the same documents with
//!   arbitrary JSON variables.
//!
//! Every answer must serialize. Every error must end up with an `extensions.code`: our
//! errors carry one of the contract's codes with its `status`; async-graphql's carry none
//! and the HTTP layer labels them `BAD_REQUEST`, which is right only for request errors
//! (no `path`: the document did not parse or validate) and for arguments async-graphql
//! could not coerce while executing, so any other code-less error fails. Nothing may be
//! `INTERNAL` or `SERVICE_UNAVAILABLE`, and no field error may talk about SQL. A panic
//! anywhere in execution (resolvers, loaders, extensions) fails the property; proptest
//! shrinks the input and the failure names the document, variables and caller.

use std::{
    collections::{BTreeMap, HashMap},
    panic::AssertUnwindSafe,
    sync::{Arc, OnceLock},
    time::Duration,
};

use async_graphql::{Request, Variables};
use async_graphql_parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use proptest::{prelude::*, test_runner::TestCaseError};
use serde_json::{Value as Json, json};
use session_analytics::{
    auth::Keys,
    config::{Limits, RateLimits, Secret},
    db,
    graphql::{
        AppSchema, build_schema, cache::RequestGeneration, context::RequestContext,
        loaders::Loaders, sdl,
    },
    rate_limit::{Client, RateLimiter},
    seed, store,
};

// ---------------------------------------------------------------------------------------
// The fixture: one database, two schemas, a runtime, shared by the properties.

struct Fixture {
    runtime: tokio::runtime::Runtime,
    db: sea_orm::DatabaseConnection,
    /// Development (introspection on) and production (introspection off).
    schemas: [AppSchema; 2],
    /// Who may be asking: a super admin, an event admin, an attendee, a user id that
    /// does not exist, and nobody.
    viewers: [Option<i64>; 5],
    model: Model,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("fuzz.db").display());
        let (db, super_admin, event_admin, attendee) = runtime.block_on(async {
            let (db, _) = db::connect(&url, 8, Duration::from_secs(10), Duration::from_secs(5))
                .await
                .expect("the database opens");
            db::migrate(&db).await.expect("the migrations apply");
            seed::seed_demo_if_empty(&db)
                .await
                .expect("the demo data loads");
            let id = |email: &'static str| {
                let db = db.clone();
                async move {
                    store::people::by_email(&db, email)
                        .await
                        .expect("the users table answers")
                        .unwrap_or_else(|| panic!("the demo data has {email}"))
                        .id
                }
            };
            let super_admin = id("super.admin@example.com").await;
            let event_admin = id("event.admin@example.com").await;
            let attendee = id("attendee@example.com").await;
            (db, super_admin, event_admin, attendee)
        });
        let keys = Keys::new(
            &Secret::new("fuzz-secret-fuzz-secret-fuzz-secret-0123456789"),
            "session-analytics",
            "session-analytics-api",
            3600,
        );
        // Budgets off (0): the properties send far more than a client may per minute, and
        // a throttled request would test nothing. The `Client` still goes in, so the cost
        // budget's extension runs.
        let limiter = Arc::new(RateLimiter::new(RateLimits {
            operations_per_minute: 0,
            cost_per_minute: 0,
            login_attempts_per_account_per_minute: 0,
            login_attempts_per_address_per_minute: 0,
        }));
        let limits = Limits::default();
        let schemas = [false, true].map(|production| {
            build_schema(
                db.clone(),
                keys.clone(),
                &limits,
                production,
                limiter.clone(),
            )
        });
        Fixture {
            runtime,
            db,
            schemas,
            viewers: [
                Some(super_admin),
                Some(event_admin),
                Some(attendee),
                Some(i64::MAX),
                None,
            ],
            model: Model::from_sdl(&sdl()),
            _dir: dir,
        }
    })
}

/// Who asks and on which schema.
#[derive(Clone, Copy, Debug)]
struct Caller {
    viewer: usize,
    production: bool,
}

fn caller() -> impl Strategy<Value = Caller> {
    // The super admin most often: only they reach every resolver.
    (
        prop_oneof![6 => Just(0usize), 1 => Just(1usize), 1 => Just(2usize), 1 => Just(3usize), 2 => Just(4usize)],
        prop::bool::weighted(0.2),
    )
        .prop_map(|(viewer, production)| Caller { viewer, production })
}

impl Fixture {
    /// Runs one request as the HTTP layer would, and checks the answer.
    fn run(&self, caller: Caller, document: &str, variables: Json) -> Result<(), TestCaseError> {
        let user_id = self.viewers[caller.viewer];
        let schema = &self.schemas[usize::from(caller.production)];
        let generation = RequestGeneration::default();
        let mut request = Request::new(document)
            .variables(Variables::from_json(variables.clone()))
            .data(RequestContext::new(
                self.db.clone(),
                user_id,
                generation.clone(),
            ))
            .data(Loaders::new(self.db.clone(), user_id, None, generation));
        if let Some(id) = user_id {
            request = request.data(Client::User(id));
        }
        // Caught here rather than by proptest, so that the failure names the document.
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(30), schema.execute(request)).await
            })
        }));
        let verdict = match outcome {
            Ok(Ok(response)) => check_response(&response, refused_over_http(document, &variables)),
            Ok(Err(_)) => Err(TestCaseError::fail("the request ran for 30 s")),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(TestCaseError::fail(format!(
                    "execution panicked: {message}"
                )))
            }
        };
        verdict.map_err(|err| {
            let (TestCaseError::Fail(reason) | TestCaseError::Reject(reason)) = err;
            TestCaseError::fail(format!(
                "{}\n  as: {caller:?}\n  document: {document}\n  variables: {variables}",
                reason.message()
            ))
        })
    }
}

/// The contract's error codes and the `extensions.status` each carries.
const CODES: [(&str, u64); 9] = [
    ("UNAUTHENTICATED", 401),
    ("FORBIDDEN", 403),
    ("NOT_EVENT_HOST", 4_030_201),
    ("SESSION_NOT_FOUND", 404_800),
    ("EVENT_NOT_FOUND", 4_040_200),
    ("BAD_REQUEST", 400),
    ("RATE_LIMITED", 429),
    ("SERVICE_UNAVAILABLE", 503),
    ("INTERNAL", 500),
];

/// True when the HTTP layer refuses the request before it runs because a variable of a
/// non-null type without a default has no value (async-graphql would run it, and say
/// "Variable x is not defined." at the field that uses it).
fn refused_over_http(document: &str, variables: &Json) -> bool {
    let Ok(document) = async_graphql_parser::parse_query(document) else {
        return false;
    };
    document.operations.iter().any(|(_, operation)| {
        operation
            .node
            .variable_definitions
            .iter()
            .any(|definition| {
                let definition = &definition.node;
                !definition.var_type.node.nullable
                    && definition.default_value.is_none()
                    && variables
                        .get(definition.name.node.as_str())
                        .is_none_or(Json::is_null)
            })
    })
}

fn check_response(
    response: &async_graphql::Response,
    refused_over_http: bool,
) -> Result<(), TestCaseError> {
    let body = serde_json::to_value(response)
        .map_err(|err| TestCaseError::fail(format!("the response does not serialize: {err}")))?;
    serde_json::to_string(&body)
        .map_err(|err| TestCaseError::fail(format!("the response does not print: {err}")))?;
    for (error, json) in response
        .errors
        .iter()
        .zip(body["errors"].as_array().into_iter().flatten())
    {
        let code = json["extensions"]["code"].as_str();
        let Some(code) = code else {
            // async-graphql's own errors carry no code; the HTTP layer labels them
            // BAD_REQUEST. That is right for request errors (no `path`: the document did
            // not parse or validate) and for an argument async-graphql could not coerce
            // while executing; any other field error must come with its own code.
            let undefined_variable = error.message.starts_with("Variable ")
                && error.message.ends_with(" is not defined.");
            prop_assert!(
                error.path.is_empty()
                    || is_argument_coercion(&error.message)
                    || (refused_over_http && undefined_variable),
                "a field error without `extensions.code`: {json}"
            );
            continue;
        };
        let status = CODES
            .iter()
            .find(|(known, _)| *known == code)
            .map(|(_, status)| *status);
        prop_assert!(status.is_some(), "an undocumented code: {json}");
        prop_assert_eq!(
            json["extensions"]["status"].as_u64(),
            status,
            "a code with the wrong status: {}",
            json
        );
        prop_assert!(
            code != "INTERNAL" && code != "SERVICE_UNAVAILABLE",
            "the server failed: {json}"
        );
        if !error.path.is_empty() {
            let message = error.message.to_lowercase();
            prop_assert!(
                !["sqlx", "sqlite", "syntax error at or near", "constraint"]
                    .iter()
                    .any(|leak| message.contains(leak)),
                "a field error that talks about the database: {json}"
            );
        }
    }
    Ok(())
}

/// async-graphql's messages for an argument value it cannot coerce to the argument's
/// type at execution time (`InputValueError`): e.g. a nullable variable, left out, in a
/// non-null argument, which its validation lets through.
fn is_argument_coercion(message: &str) -> bool {
    message.starts_with("Expected input type \"") || message.starts_with("Failed to parse \"")
}

// ---------------------------------------------------------------------------------------
// The schema's fields, arguments and enums, read from its SDL.

#[derive(Clone, Debug)]
struct TypeRef {
    name: String,
    list: bool,
    non_null: bool,
}

impl TypeRef {
    fn from_ast(ty: &Type) -> Self {
        match &ty.base {
            BaseType::Named(name) => Self {
                name: name.to_string(),
                list: false,
                non_null: !ty.nullable,
            },
            BaseType::List(inner) => Self {
                list: true,
                non_null: !ty.nullable,
                ..Self::from_ast(inner)
            },
        }
    }

    /// As written in a variable definition.
    fn written(&self) -> String {
        let mut out = self.name.clone();
        if self.list {
            out = format!("[{out}]");
        }
        if self.non_null {
            out.push('!');
        }
        out
    }
}

#[derive(Clone, Debug)]
struct Field {
    name: String,
    args: Vec<(String, TypeRef)>,
    ty: TypeRef,
}

#[derive(Debug, Default)]
struct Model {
    objects: BTreeMap<String, Vec<Field>>,
    enums: HashMap<String, Vec<String>>,
}

impl Model {
    fn from_sdl(sdl: &str) -> Self {
        let document = async_graphql_parser::parse_schema(sdl).expect("the SDL parses");
        let mut model = Self::default();
        for definition in document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let name = ty.node.name.node.to_string();
            match ty.node.kind {
                TypeKind::Object(object) => {
                    let fields = object
                        .fields
                        .iter()
                        .map(|field| Field {
                            name: field.node.name.node.to_string(),
                            args: field
                                .node
                                .arguments
                                .iter()
                                .map(|arg| {
                                    (
                                        arg.node.name.node.to_string(),
                                        TypeRef::from_ast(&arg.node.ty.node),
                                    )
                                })
                                .collect(),
                            ty: TypeRef::from_ast(&field.node.ty.node),
                        })
                        .collect();
                    model.objects.insert(name, fields);
                }
                TypeKind::Enum(enumeration) => {
                    let values = enumeration
                        .values
                        .iter()
                        .map(|value| value.node.value.node.to_string())
                        .collect();
                    model.enums.insert(name, values);
                }
                _ => {}
            }
        }
        assert!(
            model.objects.contains_key("Query") && model.objects.contains_key("Mutation"),
            "the SDL has the root types"
        );
        model
    }
}

// ---------------------------------------------------------------------------------------
// Documents from the schema: a generator driven by a sequence of choices, so that proptest
// shrinks a failing document by shrinking the choices.

/// What a generated document is made of, drawn by proptest.
#[derive(Clone, Debug)]
struct Recipe {
    choices: Vec<u32>,
    strings: Vec<String>,
    ints: Vec<i64>,
    json: Vec<Json>,
}

fn recipe() -> impl Strategy<Value = Recipe> {
    (
        prop::collection::vec(any::<u32>(), 0..300),
        prop::collection::vec(any::<String>(), 0..4),
        prop::collection::vec(any::<i64>(), 0..4),
        prop::collection::vec(json_value(), 0..3),
    )
        .prop_map(|(choices, strings, ints, json)| Recipe {
            choices,
            strings,
            ints,
            json,
        })
}

/// A generated document and the variables it declares.
#[derive(Clone, Debug)]
struct Generated {
    document: String,
    variables: Vec<(String, TypeRef)>,
}

const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "19",
    "20",
    "21",
    "50",
    "100",
    "101",
    "499",
    "500",
    "501",
    "2147483647",
    "-2147483648",
    "2147483648",
    "-2147483649",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "123456789012345678901234567890",
    "-0",
    "1.0",
    "1e3",
    "1e400",
    "-1.5e-7",
];

const STRINGS: &[&str] = &[
    "",
    " ",
    "1",
    "0",
    "-1",
    "36",
    "37",
    "4",
    "5",
    "9223372036854775807",
    "9223372036854775808",
    "01",
    "+1",
    " 1",
    "1e3",
    "0x10",
    "abc",
    "%",
    "_",
    "%_%",
    "\\\\",
    "\\\"",
    "'; DROP TABLE users; --",
    "' OR '1'='1",
    "ß",
    "İ",
    "ǅ",
    "Straße",
    "🦀",
    "\\u0000",
    "\\uD83E\\uDD80",
    "\\u00e9t\\u00e9",
    "\\n\\t\\r",
    "super.admin@example.com",
    "SUPER.ADMIN@EXAMPLE.COM",
    "demo-password",
    "MAINSTAGE_SESSION",
    "REGISTERED",
    "Keynote",
    "keynote",
    "null",
];

fn quote(raw: &str) -> String {
    let mut out = String::from("\"");
    for c in raw.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Gen<'a> {
    model: &'a Model,
    recipe: &'a Recipe,
    at: usize,
    /// Wild documents break the rules on purpose (unknown fields and arguments, wrong
    /// types, conflicting fields, values out of range); tame ones stay valid, so that
    /// they run and reach the resolvers with odd but well-typed values.
    wild: bool,
    out: String,
    variables: Vec<(String, TypeRef)>,
    fragments: Vec<Option<String>>,
    fields: usize,
}

/// Deepest nesting of generated selections (the server's limit is 16).
const MAX_DEPTH: usize = 9;
/// Most fields in one generated document.
const MAX_FIELDS: usize = 60;
/// Page sizes a tame document asks for, mostly small so that it stays under the
/// complexity limit, sometimes at and past the limits.
const PAGE_SIZES: &[&str] = &[
    "0", "1", "1", "2", "2", "3", "5", "10", "-1", "100", "101", "500", "501",
];
const TAME_INTS: &[&str] = &["0", "1", "2", "3", "-1", "7", "2147483647", "-2147483648"];

impl Gen<'_> {
    /// A choice among `n` (0 once the recipe ran out, so generation always ends).
    fn pick(&mut self, n: usize) -> usize {
        let choice = self.recipe.choices.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if n == 0 { 0 } else { choice as usize % n }
    }

    /// True about once in `n`; never once the recipe ran out.
    fn chance(&mut self, n: usize) -> bool {
        self.pick(n) == 0 && self.at <= self.recipe.choices.len()
    }

    /// A deliberate mistake, about once in `n`, in wild documents only.
    fn mischief(&mut self, n: usize) -> bool {
        self.wild && self.chance(n)
    }

    /// Runs `write` into a fresh buffer and returns what it wrote.
    fn aside(&mut self, write: impl FnOnce(&mut Self)) -> String {
        let saved = std::mem::take(&mut self.out);
        write(self);
        std::mem::replace(&mut self.out, saved)
    }

    fn document(mut self) -> Generated {
        self.wild = self.pick(3) == 0;
        let (keyword, root) = match self.pick(16) {
            0 | 1 => ("mutation", "Mutation"),
            2 if self.wild => ("subscription", "Query"),
            _ => ("query", "Query"),
        };
        let body = self.aside(|g| g.selection_set(root, 0, true));
        let name = if self.chance(3) { " Fuzz" } else { "" };
        let header = if !self.variables.is_empty() {
            let declared: Vec<String> = self
                .variables
                .iter()
                .map(|(name, ty)| format!("${name}: {}", ty.written()))
                .collect();
            format!("{keyword}{name}({}) ", declared.join(", "))
        } else if name.is_empty() && keyword == "query" && !self.chance(2) {
            String::new()
        } else {
            format!("{keyword}{name} ")
        };
        let mut document = format!("{header}{body}");
        for fragment in self.fragments.iter().flatten() {
            document.push('\n');
            document.push_str(fragment);
        }
        Generated {
            document,
            variables: self.variables,
        }
    }

    fn selection_set(&mut self, ty: &str, depth: usize, root: bool) {
        self.out.push_str("{ ");
        let count = 1 + self.pick(4);
        for _ in 0..count {
            self.selection(ty, depth, root);
            self.out.push(' ');
        }
        self.out.push('}');
    }

    fn selection(&mut self, ty: &str, depth: usize, root: bool) {
        let room = self.fields < MAX_FIELDS && depth < MAX_DEPTH;
        match self.pick(24) {
            0 => self.out.push_str("__typename"),
            1 if room => {
                // An inline fragment on this type, on none, or (wild) on another type.
                let on = match self.pick(4) {
                    0 => String::new(),
                    1 if self.wild => {
                        let names: Vec<&String> = self.model.objects.keys().collect();
                        format!("on {} ", names[self.pick(names.len())])
                    }
                    _ => format!("on {ty} "),
                };
                self.out.push_str(&format!("... {on}"));
                self.directives();
                self.selection_set(ty, depth + 1, root);
            }
            2 if room => {
                let index = self.fragments.len();
                self.fragments.push(None);
                self.out.push_str(&format!("...F{index}"));
                self.directives();
                let body = self.aside(|g| g.selection_set(ty, depth + 1, root));
                self.fragments[index] = Some(format!("fragment F{index} on {ty} {body}"));
            }
            3 if self.wild => self.out.push_str("notAField"),
            4 if root && self.chance(2) => self.out.push_str(
                "__schema { queryType { name } types { name kind fields { name args { name } } } }",
            ),
            5 if root && self.chance(2) => {
                let names: Vec<String> = self.model.objects.keys().cloned().collect();
                let name = names[self.pick(names.len())].clone();
                self.out.push_str(&format!(
                    "__type(name: {}) {{ name fields {{ name type {{ name kind }} }} }}",
                    quote(&name)
                ));
            }
            _ => self.field(ty, depth),
        }
    }

    fn field(&mut self, ty: &str, depth: usize) {
        let Some(fields) = self.model.objects.get(ty) else {
            self.out.push_str("__typename");
            return;
        };
        // Half the time a relation (a field with arguments or an object type): that is
        // where the resolvers, loaders and SQL are; scalar fields only read a row.
        let relations: Vec<&Field> = fields
            .iter()
            .filter(|f| !f.args.is_empty() || self.model.objects.contains_key(&f.ty.name))
            .collect();
        let field = if !relations.is_empty() && self.pick(2) == 0 {
            relations[self.pick(relations.len())].clone()
        } else {
            fields[self.pick(fields.len())].clone()
        };
        self.fields += 1;
        // Tame documents alias every field with arguments, so that two of them never
        // conflict; wild ones alias at random.
        if (!field.args.is_empty() && !self.wild) || self.chance(6) {
            self.out.push_str(&format!("a{}: ", self.fields));
        }
        self.out.push_str(&field.name);
        let mut args = Vec::new();
        for (name, arg) in &field.args {
            let wanted = if arg.non_null {
                !self.mischief(12)
            } else if name == "first" && !self.wild {
                !self.chance(10) // the default page sizes multiply into a huge complexity
            } else {
                self.chance(2)
            };
            if wanted {
                let value = if name == "first" && !self.wild && !self.chance(8) {
                    PAGE_SIZES[self.pick(PAGE_SIZES.len())].to_owned()
                } else {
                    self.value(arg)
                };
                args.push(format!("{name}: {value}"));
            }
        }
        if self.mischief(20) {
            let value = self.int();
            args.push(format!("notAnArgument: {value}"));
        }
        if !args.is_empty() {
            self.out.push_str(&format!("({})", args.join(", ")));
        }
        self.directives();
        let is_object = self.model.objects.contains_key(&field.ty.name);
        if is_object != self.mischief(30) {
            if depth + 1 >= MAX_DEPTH || self.fields >= MAX_FIELDS {
                self.out.push_str(" { __typename }");
            } else {
                self.out.push(' ');
                self.selection_set(&field.ty.name, depth + 1, false);
            }
        }
    }

    fn directives(&mut self) {
        if !self.chance(8) {
            return;
        }
        let name = if self.mischief(3) {
            ["deprecated", "unknown", "specifiedBy"][self.pick(3)]
        } else {
            ["skip", "include"][self.pick(2)]
        };
        let value = self.value(&TypeRef {
            name: "Boolean".into(),
            list: false,
            non_null: true,
        });
        self.out.push_str(&format!(" @{name}(if: {value})"));
    }

    /// An argument value for `ty`: mostly of its type, in wild documents sometimes not.
    fn value(&mut self, ty: &TypeRef) -> String {
        match self.pick(20) {
            0 if !ty.non_null || self.wild => "null".into(),
            1 | 2 => {
                let name = format!("v{}", self.variables.len());
                let declared = if self.mischief(3) {
                    let names = [
                        "Int",
                        "String",
                        "ID",
                        "Boolean",
                        "Float",
                        "SessionFormat",
                        "Int!",
                        "[ID]",
                        "Nope",
                    ];
                    TypeRef {
                        name: names[self.pick(names.len())].into(),
                        list: false,
                        non_null: false,
                    }
                } else {
                    ty.clone()
                };
                self.variables.push((name.clone(), declared));
                format!("${name}")
            }
            3 if self.wild => {
                let wrong = [
                    "true",
                    "1.5",
                    "\"text\"",
                    "MAINSTAGE_SESSION",
                    "[1, 2]",
                    "{ a: 1 }",
                    "[]",
                    "{}",
                    "$undeclared",
                ];
                wrong[self.pick(wrong.len())].into()
            }
            4 if self.wild || ty.list => {
                let inner = TypeRef {
                    list: false,
                    ..ty.clone()
                };
                let (a, b) = (self.scalar(&inner), self.scalar(&inner));
                format!("[{a}, {b}]")
            }
            _ => self.scalar(ty),
        }
    }

    fn scalar(&mut self, ty: &TypeRef) -> String {
        match ty.name.as_str() {
            "Int" | "Float" => self.int(),
            "Boolean" => ["true", "false"][self.pick(2)].into(),
            "ID" => match self.pick(6) {
                0 => self.int(),
                1 | 2 => self.string(),
                _ => format!("\"{}\"", 1 + self.pick(37)),
            },
            "String" => match self.pick(5) {
                0 => quote(&self.cursor()),
                _ => self.string(),
            },
            name => match self.model.enums.get(name) {
                Some(values) => match self.pick(12) {
                    0 if self.wild => "NOT_A_VALUE".into(),
                    1 if self.wild => quote(&values[0]),
                    _ => values[self.pick(values.len())].clone(),
                },
                None => self.string(),
            },
        }
    }

    fn int(&mut self) -> String {
        if !self.recipe.ints.is_empty() && self.chance(4) {
            let int = self.recipe.ints[self.pick(self.recipe.ints.len())];
            return if self.wild {
                int
            } else {
                i64::from(int as i32)
            }
            .to_string();
        }
        if self.wild {
            INTS[self.pick(INTS.len())].into()
        } else {
            TAME_INTS[self.pick(TAME_INTS.len())].into()
        }
    }

    fn string(&mut self) -> String {
        match self.pick(8) {
            0 if !self.recipe.strings.is_empty() => {
                quote(&self.recipe.strings[self.pick(self.recipe.strings.len())])
            }
            1 => format!("\"{}\"", "x".repeat(1 + self.pick(5000))),
            2 => format!("\"\"\"{}\"\"\"", STRINGS[self.pick(STRINGS.len())]),
            // The pool is written as GraphQL string contents, escapes included.
            _ => format!("\"{}\"", STRINGS[self.pick(STRINGS.len())]),
        }
    }

    /// A cursor: a real shape with odd values, arbitrary JSON, or not base64 at all.
    fn cursor(&mut self) -> String {
        let times = [
            json!("2026-11-02T09:00:00Z"),
            json!("+262143-12-31T23:59:59Z"),
            json!("-262143-01-01T00:00:00Z"),
            json!("0000-01-01T00:00:00Z"),
            json!("9999-12-31T23:59:59.999999999Z"),
            json!("2026-02-30T00:00:00Z"),
            json!(0),
            json!(null),
        ];
        let ids = [
            json!(1),
            json!(0),
            json!(-1),
            json!(i64::MAX),
            json!(i64::MIN),
            json!(1.5),
            json!("1"),
        ];
        let orders = [
            "RegistrationDateAsc",
            "RegistrationDateDesc",
            "LastNameAsc",
            "EngagementDesc",
            "Nope",
        ];
        let value = match self.pick(5) {
            0 => json!({ "t": times[self.pick(times.len())], "i": ids[self.pick(ids.len())] }),
            1 => {
                let key = match self.pick(4) {
                    0 => json!({ "d": times[self.pick(times.len())] }),
                    1 => json!({ "n": STRINGS[self.pick(STRINGS.len())] }),
                    2 => json!({ "w": ids[self.pick(ids.len())] }),
                    _ => json!({ "x": 1 }),
                };
                json!({ "o": orders[self.pick(orders.len())], "k": key, "i": ids[self.pick(ids.len())] })
            }
            2 if !self.recipe.json.is_empty() => {
                self.recipe.json[self.pick(self.recipe.json.len())].clone()
            }
            3 => return STRINGS[self.pick(STRINGS.len())].to_owned(),
            _ => json!({}),
        };
        URL_SAFE_NO_PAD.encode(value.to_string())
    }
}

fn generate(model: &Model, recipe: &Recipe) -> Generated {
    Gen {
        model,
        recipe,
        at: 0,
        wild: false,
        out: String::new(),
        variables: Vec::new(),
        fragments: Vec::new(),
        fields: 0,
    }
    .document()
}

// ---------------------------------------------------------------------------------------
// Variables.

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        prop_oneof![
            Just(0i64),
            Just(1),
            Just(-1),
            Just(20),
            Just(100),
            Just(500),
            Just(501),
            Just(i64::from(i32::MAX) + 1)
        ]
        .prop_map(Json::from),
        any::<f64>().prop_map(Json::from), // NaN and infinities become null
        any::<String>().prop_map(Json::from),
        prop::sample::select(STRINGS).prop_map(Json::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::from),
            prop::collection::btree_map("[a-z]{1,3}|v[0-9]|first|after|id", inner, 0..4)
                .prop_map(|map| Json::Object(map.into_iter().collect())),
        ]
    })
}

/// Arbitrary variables: any JSON object, with keys the documents use most often.
fn arbitrary_variables() -> impl Strategy<Value = Json> {
    prop_oneof![
        8 => prop::collection::btree_map("v[0-9]|[a-z]{1,4}|", json_value(), 0..5)
            .prop_map(|map| Json::Object(map.into_iter().collect())),
        1 => json_value(),
    ]
}

/// Values for the variables a document declares: fitting ones, arbitrary ones, or none.
fn fitting_variables(declared: &[(String, TypeRef)], recipe: &Recipe, extra: &Json) -> Json {
    let mut object = serde_json::Map::new();
    let mut choices = recipe
        .choices
        .iter()
        .rev()
        .copied()
        .chain(std::iter::repeat(0));
    for (index, (name, ty)) in declared.iter().enumerate() {
        let choice = choices.next().unwrap_or(0) as usize;
        let value = match choice % 8 {
            0 => continue,
            1 => Json::Null,
            2 => extra.get(name).cloned().unwrap_or_else(|| extra.clone()),
            _ => match ty.name.as_str() {
                "Int" | "Float" => {
                    let ints = [
                        0i64,
                        1,
                        -1,
                        20,
                        100,
                        101,
                        500,
                        501,
                        i64::from(i32::MAX) + 1,
                        i64::MIN,
                    ];
                    json!(ints[(choice + index) % ints.len()])
                }
                "Boolean" => json!(choice.is_multiple_of(2)),
                "ID" => json!(
                    ["1", "2", "36", "0", "-5", "x", "99999999999999999999"][(choice + index) % 7]
                ),
                _ => json!(STRINGS[(choice + index) % STRINGS.len()]),
            },
        };
        let value = if ty.list && choice.is_multiple_of(3) {
            json!([value])
        } else {
            value
        };
        object.insert(name.clone(), value);
    }
    Json::Object(object)
}

// ---------------------------------------------------------------------------------------
// The properties.

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        // A failure prints its shrunk input; nothing is written next to the sources.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text: random, GraphQL-ish token soup, or a generated document with bytes spliced in.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[{}()\\[\\]$@!:=.,|&a-zA-Z0-9_ \"\\\\\n#-]{0,300}",
        prop::collection::vec(
            prop::sample::select(vec![
                "{",
                "}",
                "(",
                ")",
                "[",
                "]",
                "...",
                "$v0",
                "@skip(if: true)",
                ":",
                "=",
                "!",
                "query",
                "mutation",
                "fragment F on Session",
                "on",
                "session",
                "event",
                "events",
                "viewer",
                "login",
                "id",
                "title",
                "sessions",
                "nodes",
                "edges",
                "node",
                "pageInfo",
                "registeredHolderUsers",
                "first:",
                "after:",
                "\"1\"",
                "1",
                "-1",
                "null",
                "true",
                "\"\"\"x\"\"\"",
                "\"",
                "#",
                "__typename",
                "__schema",
                "speakers",
                "stats",
            ]),
            0..80,
        )
        .prop_map(|tokens| tokens.join(" ")),
        (recipe(), any::<prop::sample::Index>(), any::<String>()).prop_map(|(recipe, at, junk)| {
            let document = generate(&fixture().model, &recipe).document;
            let mut cut = at.index(document.len() + 1);
            while !document.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}{junk}{}", &document[..cut], &document[cut..])
        }),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text_is_answered(
        caller in caller(),
        document in text(),
        variables in arbitrary_variables(),
    ) {
        fixture().run(caller, &document, variables)?;
    }

    #[test]
    fn generated_documents_are_answered(
        caller in caller(),
        recipe in recipe(),
        extra in arbitrary_variables(),
    ) {
        let generated = generate(&fixture().model, &recipe);
        let variables = fitting_variables(&generated.variables, &recipe, &extra);
        fixture().run(caller, &generated.document, variables)?;
    }

    #[test]
    fn generated_documents_with_arbitrary_variables_are_answered(
        caller in caller(),
        recipe in recipe(),
        variables in arbitrary_variables(),
    ) {
        let generated = generate(&fixture().model, &recipe);
        fixture().run(caller, &generated.document, variables)?;
    }
}

/// A fixed stream of pseudo-random choices (xorshift), for tests that must not vary.
fn pseudo_random(seed: u32, len: usize) -> Vec<u32> {
    let mut state = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u32
        })
        .collect()
}

/// The generator reaches the resolvers: among a fixed set of recipes, some documents
/// validate and return data for the super admin (so the properties test more than the
/// parser), and a known-good document passes the checks.
#[test]
fn the_generator_reaches_the_resolvers() {
    let fixture = fixture();
    let caller = Caller {
        viewer: 0,
        production: false,
    };
    fixture
        .run(
            caller,
            r#"{ session(id: "1") { title speakers { firstName ticketTypesForSpeaker { name } } registeredHolderUsers(first: 3) { totalCount nodes { email engagement } pageInfo { endCursor } } } }"#,
            json!({}),
        )
        .expect("a known-good document passes");
    let mut with_data = 0;
    for seed in 0..200u32 {
        let recipe = Recipe {
            choices: pseudo_random(seed, 300),
            strings: Vec::new(),
            ints: Vec::new(),
            json: Vec::new(),
        };
        let generated = generate(&fixture.model, &recipe);
        let request = Request::new(generated.document.clone())
            .data(RequestContext::new(
                fixture.db.clone(),
                fixture.viewers[0],
                RequestGeneration::default(),
            ))
            .data(Loaders::new(
                fixture.db.clone(),
                fixture.viewers[0],
                None,
                RequestGeneration::default(),
            ));
        let response = fixture
            .runtime
            .block_on(fixture.schemas[0].execute(request));
        if response.data != async_graphql::Value::Null {
            with_data += 1;
        }
    }
    assert!(
        with_data >= 60,
        "only {with_data} of 200 generated documents returned data: the generator is too wild"
    );
}
