//! The exported schema: committed snapshot, the API contract, and descriptions.

use std::collections::HashMap;

use async_graphql_parser::{
    parse_schema,
    types::{FieldDefinition, InputValueDefinition, TypeKind, TypeSystemDefinition},
};

const REGENERATE: &str = "cargo run -- schema > schema.graphql";

fn our_sdl() -> String {
    session_analytics::graphql::sdl()
}

#[test]
fn committed_schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .unwrap_or_default();
    assert!(
        committed == our_sdl(),
        "schema.graphql differs from the schema in the code; regenerate it with `{REGENERATE}` and review the diff"
    );
}

/// An argument: its type, default value, and whether it has a description.
type Arg = (String, Option<String>, bool);
/// A field or enum value: its type (empty for enum values), whether it has a
/// description, and its arguments by name.
type Member = (String, bool, HashMap<String, Arg>);

struct Shape {
    kind: &'static str,
    description: bool,
    members: HashMap<String, Member>,
}

fn args(list: &[async_graphql_parser::Positioned<InputValueDefinition>]) -> HashMap<String, Arg> {
    list.iter()
        .map(|a| {
            let a = &a.node;
            (
                a.name.node.to_string(),
                (
                    a.ty.node.to_string(),
                    a.default_value.as_ref().map(|v| v.node.to_string()),
                    a.description.is_some(),
                ),
            )
        })
        .collect()
}

fn field(f: &FieldDefinition) -> Member {
    (
        f.ty.node.to_string(),
        f.description.is_some(),
        args(&f.arguments),
    )
}

fn shapes(sdl: &str) -> HashMap<String, Shape> {
    let doc = parse_schema(sdl).expect("the SDL parses");
    let mut out = HashMap::new();
    for def in doc.definitions {
        let TypeSystemDefinition::Type(ty) = def else {
            continue;
        };
        let ty = ty.node;
        let (kind, members) = match &ty.kind {
            TypeKind::Object(o) => (
                "object",
                o.fields
                    .iter()
                    .map(|f| (f.node.name.node.to_string(), field(&f.node)))
                    .collect(),
            ),
            TypeKind::Enum(e) => (
                "enum",
                e.values
                    .iter()
                    .map(|v| {
                        (
                            v.node.value.node.to_string(),
                            (String::new(), v.node.description.is_some(), HashMap::new()),
                        )
                    })
                    .collect(),
            ),
            TypeKind::Scalar => ("scalar", HashMap::new()),
            TypeKind::InputObject(_) => ("input", HashMap::new()),
            TypeKind::Interface(_) => ("interface", HashMap::new()),
            TypeKind::Union(_) => ("union", HashMap::new()),
        };
        out.insert(
            ty.name.node.to_string(),
            Shape {
                kind,
                description: ty.description.is_some(),
                members,
            },
        );
    }
    out
}

/// `ours` may be stricter than the contract for outputs (non-null where it allows null).
fn output_compatible(contract: &str, ours: &str) -> bool {
    contract == ours || format!("{contract}!") == ours
}

/// The contract frontends are written against, as copied from `../shared/`.
const CONTRACT: &str = include_str!("api-contract.graphql");

#[test]
fn the_vendored_contract_is_the_shared_one() {
    // The shared copy sits beside the checkout on our machines and in CI. Without it this
    // test fails rather than passing without having compared anything.
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/api-contract.graphql"
    );
    let current = std::fs::read_to_string(shared).unwrap_or_else(|err| {
        panic!(
            "cannot read the shared contract {shared} ({err}): put the shared folder \
             beside this checkout (as ../shared, holding api-contract.graphql) so that \
             tests/api/api-contract.graphql can be compared with it"
        )
    });
    assert!(
        current == CONTRACT,
        "{shared} changed: copy it to tests/api/api-contract.graphql and make the schema meet it"
    );
}

#[test]
fn schema_contains_every_type_field_argument_and_enum_value_of_the_contract() {
    let contract = CONTRACT;
    let theirs = shapes(contract);
    let ours = shapes(&our_sdl());
    let mut problems = Vec::new();
    for (name, shape) in &theirs {
        let Some(mine) = ours.get(name) else {
            problems.push(format!("type {name} is missing"));
            continue;
        };
        if mine.kind != shape.kind {
            problems.push(format!(
                "{name} is a {} here, a {} in the contract",
                mine.kind, shape.kind
            ));
        }
        for (member, (ty, _, their_args)) in &shape.members {
            let Some((my_ty, _, my_args)) = mine.members.get(member) else {
                problems.push(format!("{name}.{member} is missing"));
                continue;
            };
            if !output_compatible(ty, my_ty) {
                problems.push(format!(
                    "{name}.{member}: {my_ty} here, {ty} in the contract"
                ));
            }
            for (arg, (arg_ty, default, _)) in their_args {
                match my_args.get(arg) {
                    None => problems.push(format!("{name}.{member}({arg}) is missing")),
                    Some((my_arg_ty, my_default, _)) => {
                        if my_arg_ty != arg_ty || my_default != default {
                            problems.push(format!(
                                "{name}.{member}({arg}): {my_arg_ty} = {my_default:?} here, {arg_ty} = {default:?} in the contract"
                            ));
                        }
                    }
                }
            }
            for (arg, (arg_ty, default, _)) in my_args {
                if !their_args.contains_key(arg) && arg_ty.ends_with('!') && default.is_none() {
                    problems.push(format!("{name}.{member}({arg}) is a new required argument"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "schema breaks the contract:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_type_field_argument_and_enum_value_has_a_description() {
    let mut missing = Vec::new();
    for (name, shape) in shapes(&our_sdl()) {
        if !shape.description {
            missing.push(name.clone());
        }
        for (member, (_, described, args)) in &shape.members {
            if !described {
                missing.push(format!("{name}.{member}"));
            }
            for (arg, (_, _, described)) in args {
                if !described {
                    missing.push(format!("{name}.{member}({arg})"));
                }
            }
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "undocumented schema elements:\n{}",
        missing.join("\n")
    );
}
