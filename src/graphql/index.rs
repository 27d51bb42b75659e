//! The schema's field, argument and input types, read once from its SDL: what null
//! propagation and the variable checks need to know that async-graphql does not expose.

use std::collections::HashMap;

use anyhow::{Context as _, bail};
use async_graphql::parser::types::{
    BaseType, InputValueDefinition, Type, TypeKind, TypeSystemDefinition,
};

/// An argument or input field: its type, and whether the schema gives it a default.
#[derive(Clone, Debug)]
pub struct InputSlot {
    pub ty: Type,
    pub has_default: bool,
}

impl InputSlot {
    fn from_definition(definition: &InputValueDefinition) -> (String, Self) {
        (
            definition.name.node.to_string(),
            Self {
                ty: definition.ty.node.clone(),
                has_default: definition.default_value.is_some(),
            },
        )
    }
}

/// A field of an object type.
#[derive(Debug)]
pub struct FieldSlot {
    pub ty: Type,
    pub args: HashMap<String, InputSlot>,
}

/// Types by name, as the schema defines them.
#[derive(Debug)]
pub struct SchemaIndex {
    objects: HashMap<String, HashMap<String, FieldSlot>>,
    inputs: HashMap<String, HashMap<String, InputSlot>>,
    directives: HashMap<String, HashMap<String, InputSlot>>,
    pub query: String,
    pub mutation: String,
}

impl SchemaIndex {
    /// Reads `sdl`; refuses one without a `Query` type, since nothing could then be
    /// checked and the server must not start pretending it could.
    pub fn from_sdl(sdl: &str) -> anyhow::Result<Self> {
        let document = async_graphql::parser::parse_schema(sdl)
            .context("the schema's own SDL does not parse")?;
        let mut index = Self {
            objects: HashMap::new(),
            inputs: HashMap::new(),
            directives: HashMap::new(),
            query: "Query".into(),
            mutation: "Mutation".into(),
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Type(ty) => {
                    let name = ty.node.name.node.to_string();
                    match &ty.node.kind {
                        TypeKind::Object(object) => {
                            let fields = object
                                .fields
                                .iter()
                                .map(|field| {
                                    let field = &field.node;
                                    let args = field
                                        .arguments
                                        .iter()
                                        .map(|arg| InputSlot::from_definition(&arg.node))
                                        .collect();
                                    let slot = FieldSlot {
                                        ty: field.ty.node.clone(),
                                        args,
                                    };
                                    (field.name.node.to_string(), slot)
                                })
                                .collect();
                            index.objects.insert(name, fields);
                        }
                        TypeKind::InputObject(input) => {
                            let fields = input
                                .fields
                                .iter()
                                .map(|field| InputSlot::from_definition(&field.node))
                                .collect();
                            index.inputs.insert(name, fields);
                        }
                        _ => {}
                    }
                }
                TypeSystemDefinition::Directive(directive) => {
                    let args = directive
                        .node
                        .arguments
                        .iter()
                        .map(|arg| InputSlot::from_definition(&arg.node))
                        .collect();
                    index
                        .directives
                        .insert(directive.node.name.node.to_string(), args);
                }
                TypeSystemDefinition::Schema(_) => {}
            }
        }
        // Every executable schema has these two; the exported SDL leaves them out.
        for name in ["skip", "include"] {
            let condition = InputSlot {
                ty: Type::new("Boolean!").context("a built-in type")?,
                has_default: false,
            };
            index
                .directives
                .entry(name.into())
                .or_insert_with(|| HashMap::from([("if".to_owned(), condition)]));
        }
        if !index.objects.contains_key(&index.query) {
            bail!("the schema's SDL has no `{}` type", index.query);
        }
        Ok(index)
    }

    /// A field of an object type; `None` for `__typename` and for what the schema lacks.
    pub fn field(&self, object: &str, field: &str) -> Option<&FieldSlot> {
        self.objects.get(object)?.get(field)
    }

    /// True for an object type (a value with fields of its own).
    pub fn is_object(&self, name: &str) -> bool {
        self.objects.contains_key(name)
    }

    /// A field of an input object type.
    pub fn input_field(&self, input: &str, field: &str) -> Option<&InputSlot> {
        self.inputs.get(input)?.get(field)
    }

    /// An argument of a directive.
    pub fn directive_argument(&self, directive: &str, argument: &str) -> Option<&InputSlot> {
        self.directives.get(directive)?.get(argument)
    }
}

/// The named type at the bottom of a (list) type.
pub fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}
