//! Variable rules async-graphql leaves to execution or does not apply: a required
//! variable without a value, and a nullable variable where a non-null value is needed.

use std::collections::{HashMap, HashSet};

use async_graphql::{
    Name, Pos, Positioned, ServerError, Variables,
    parser::types::{
        BaseType, Directive, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
        Type, VariableDefinition,
    },
};

use async_graphql_value::{ConstValue, Value};

use super::index::{InputSlot, SchemaIndex, named};

/// The first variable of a non-null type, without a default, that was not given a
/// value (or was given `null`): a request error (variable coercion) that async-graphql
/// would only notice while executing, after other fields had run.
pub fn missing(operation: &OperationDefinition, variables: &Variables) -> Option<ServerError> {
    operation
        .variable_definitions
        .iter()
        .find_map(|definition| {
            let variable = &definition.node;
            let ty = &variable.var_type.node;
            if ty.nullable || variable.default_value.is_some() {
                return None;
            }
            let message = match variables.get(&variable.name.node) {
                None => format!(
                    "Variable \"${}\" of required type \"{ty}\" was not provided.",
                    variable.name.node
                ),
                Some(ConstValue::Null) => format!(
                    "Variable \"${}\" of non-null type \"{ty}\" must not be null.",
                    variable.name.node
                ),
                Some(_) => return None,
            };
            Some(ServerError::new(message, Some(definition.pos)))
        })
}

/// Every use, in every operation of `document` (and the fragments it spreads), of a
/// variable of a nullable type where the schema needs a non-null value, unless the
/// variable or the argument has a default: the "All Variable Usages Are Allowed" rule
/// as graphql-js applies it. async-graphql lets such a document through and fails the
/// field at run time instead.
pub fn misplaced(index: &SchemaIndex, document: &ExecutableDocument) -> Vec<ServerError> {
    let mut errors = Vec::new();
    // Without variables there is nothing to misplace (an undefined one is validation's).
    if document
        .operations
        .iter()
        .all(|(_, operation)| operation.node.variable_definitions.is_empty())
    {
        return errors;
    }
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        let root = match operation.ty {
            async_graphql::parser::types::OperationType::Query => index.query.as_str(),
            async_graphql::parser::types::OperationType::Mutation => index.mutation.as_str(),
            async_graphql::parser::types::OperationType::Subscription => continue,
        };
        let mut walk = Walk {
            index,
            document,
            definitions: operation
                .variable_definitions
                .iter()
                .map(|definition| (&definition.node.name.node, definition))
                .collect(),
            visited: HashSet::new(),
            errors: &mut errors,
        };
        walk.directives(&operation.directives);
        walk.selection_set(root, &operation.selection_set.node);
    }
    errors
}

/// One operation's walk over its selections.
struct Walk<'a, 'e> {
    index: &'a SchemaIndex,
    document: &'a ExecutableDocument,
    definitions: HashMap<&'a Name, &'a Positioned<VariableDefinition>>,
    /// Fragments already walked for this operation (each once: no blow-up, no cycles).
    visited: HashSet<&'a Name>,
    errors: &'e mut Vec<ServerError>,
}

impl<'a> Walk<'a, '_> {
    fn selection_set(&mut self, parent: &'a str, set: &'a SelectionSet) {
        let index = self.index;
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.directives(&field.directives);
                    let Some(slot) = index.field(parent, field.name.node.as_str()) else {
                        continue; // unknown fields are validation's to report
                    };
                    for (name, value) in &field.arguments {
                        if let Some(argument) = slot.args.get(name.node.as_str()) {
                            self.value(&value.node, value.pos, argument);
                        }
                    }
                    self.selection_set(named(&slot.ty), &field.selection_set.node);
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    self.directives(&fragment.directives);
                    let on = fragment
                        .type_condition
                        .as_ref()
                        .map_or(parent, |condition| condition.node.on.node.as_str());
                    self.selection_set(on, &fragment.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    let spread = &spread.node;
                    self.directives(&spread.directives);
                    let name = &spread.fragment_name.node;
                    if !self.visited.insert(name) {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(name) {
                        let fragment = &fragment.node;
                        self.directives(&fragment.directives);
                        let on = fragment.type_condition.node.on.node.as_str();
                        self.selection_set(on, &fragment.selection_set.node);
                    }
                }
            }
        }
    }

    fn directives(&mut self, directives: &'a [Positioned<Directive>]) {
        let index = self.index;
        for directive in directives {
            for (name, value) in &directive.node.arguments {
                if let Some(argument) =
                    index.directive_argument(directive.node.name.node.as_str(), name.node.as_str())
                {
                    self.value(&value.node, value.pos, argument);
                }
            }
        }
    }

    /// Checks `value` at a position of type `slot.ty`, looking into lists and input
    /// objects; `pos` is where the argument's value starts.
    fn value(&mut self, value: &'a Value, pos: Pos, slot: &InputSlot) {
        match value {
            Value::Variable(name) => {
                let Some(definition) = self.definitions.get(name) else {
                    return; // undefined variables are validation's to report
                };
                let variable = &definition.node;
                let has_default = variable
                    .default_value
                    .as_ref()
                    .is_some_and(|value| value.node != ConstValue::Null);
                if !slot.ty.nullable
                    && variable.var_type.node.nullable
                    && !has_default
                    && !slot.has_default
                {
                    let mut expected = slot.ty.clone();
                    expected.nullable = false;
                    self.errors.push(ServerError {
                        locations: vec![definition.pos, pos],
                        ..ServerError::new(
                            format!(
                                "Variable \"${name}\" of type \"{}\" used in position expecting type \"{expected}\".",
                                variable.var_type.node
                            ),
                            None,
                        )
                    });
                }
            }
            Value::List(items) => {
                if let BaseType::List(item) = &slot.ty.base {
                    let item = InputSlot {
                        ty: Type::clone(item),
                        has_default: false,
                    };
                    for value in items {
                        self.value(value, pos, &item);
                    }
                }
            }
            Value::Object(fields) => {
                let index = self.index;
                let input = named(&slot.ty);
                for (name, value) in fields {
                    if let Some(field) = index.input_field(input, name.as_str()) {
                        self.value(value, pos, field);
                    }
                }
            }
            _ => {}
        }
    }
}
