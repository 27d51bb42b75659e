//! The fields of every answer's objects in the order the document selects them, whatever order their resolvers finished in.
//!
//! async-graphql 7 builds each object from its fields as they complete (a
//! `FuturesUnordered`), so two runs of one request over the same data may write their
//! fields in different orders, depending on which loader batch answered first. The
//! specification orders them as selected; and the response cache promises answers
//! byte-identical to uncached ones, which only a fixed order allows. Keys are placed by
//! their first appearance among the selections, fragments included (their type
//! conditions are not weighed: the schema's objects appear under one type each), and
//! selections `@skip`/`@include` leave out not counted.

use async_graphql::{
    Name, Positioned, Value, Variables,
    parser::types::{Directive, ExecutableDocument, OperationDefinition, Selection, SelectionSet},
};

/// Fragments nest at most this deep (validation refuses cycles; this only bounds work).
const MAX_FRAGMENT_DEPTH: usize = 32;

/// Orders every object of `data`, the answer to `operation` of `document` run with
/// `variables` (`None`: the document has no `@skip` or `@include`).
pub fn order(
    document: &ExecutableDocument,
    operation: &OperationDefinition,
    variables: Option<&Variables>,
    data: &mut Value,
) {
    let doc = Doc {
        document,
        variables,
    };
    order_value(&doc, &[&operation.selection_set.node], data);
}

/// The document and the variables that decide its conditions.
struct Doc<'a> {
    document: &'a ExecutableDocument,
    variables: Option<&'a Variables>,
}

impl Doc<'_> {
    /// False when `@skip(if: true)` or `@include(if: false)` leaves the selection out,
    /// as async-graphql decides before it runs (a condition that is not `true` is false).
    fn included(&self, directives: &[Positioned<Directive>]) -> bool {
        let Some(variables) = self.variables else {
            return true;
        };
        directives.iter().all(|directive| {
            let keep_when = match directive.node.name.node.as_str() {
                "skip" => false,
                "include" => true,
                _ => return true,
            };
            let Some(condition) = directive.node.get_argument("if") else {
                return true;
            };
            let value = condition
                .node
                .clone()
                .into_const_with(|name| variables.get(&name).cloned().ok_or(()))
                .unwrap_or_default();
            matches!(value, Value::Boolean(true)) == keep_when
        })
    }
}

fn order_value(doc: &Doc<'_>, sets: &[&SelectionSet], value: &mut Value) {
    if matches!(value, Value::List(_) | Value::Object(_)) {
        // Every item of a list has the same selections: their shape is worked out once.
        order_object(doc, &Shape::of(doc, sets), value);
    }
}

/// The response keys of some selections in their order, each with the selection sets
/// of its fields. A handful of keys each: found by comparing names, no hashing.
struct Shape<'a> {
    keys: Keys<'a>,
}

impl<'a> Shape<'a> {
    fn of(doc: &Doc<'a>, sets: &[&'a SelectionSet]) -> Self {
        Self {
            keys: collect(doc, sets),
        }
    }

    /// The place of `name` among the keys from `from` on, else anywhere (`usize::MAX`
    /// for a key the selections do not name).
    fn at(&self, name: &Name, from: usize) -> usize {
        let name = name.as_str();
        let find = |keys: &[(&str, Vec<&SelectionSet>)]| keys.iter().position(|(k, _)| *k == name);
        match self.keys.get(from..).and_then(find) {
            Some(offset) => from + offset,
            None => find(&self.keys).unwrap_or(usize::MAX),
        }
    }
}

fn order_object(doc: &Doc<'_>, shape: &Shape<'_>, value: &mut Value) {
    match value {
        Value::List(items) => {
            for item in items {
                order_object(doc, shape, item);
            }
        }
        Value::Object(fields) => {
            // In one pass: each field's place, searched from just after the previous
            // one's (answers are mostly in order already), and its children ordered.
            let mut next = 0;
            let mut ordered = true;
            for (name, child) in fields.iter_mut() {
                let at = shape.at(name, next);
                if at < next {
                    ordered = false;
                } else {
                    next = at.saturating_add(1);
                }
                if let Some((_, sets)) = shape.keys.get(at)
                    && sets.iter().any(|set| !set.items.is_empty())
                {
                    order_value(doc, sets, child);
                }
            }
            if !ordered {
                fields.sort_by(|a, _, b, _| shape.at(a, 0).cmp(&shape.at(b, 0)));
            }
        }
        _ => {}
    }
}

type Keys<'a> = Vec<(&'a str, Vec<&'a SelectionSet>)>;

fn collect<'a>(doc: &Doc<'a>, sets: &[&'a SelectionSet]) -> Keys<'a> {
    let mut keys: Keys<'a> = Vec::new();
    for set in sets {
        add(doc, set, &mut keys, 0);
    }
    keys
}

fn add<'a>(doc: &Doc<'a>, set: &'a SelectionSet, keys: &mut Keys<'a>, depth: usize) {
    for selection in &set.items {
        if !doc.included(selection.node.directives()) {
            continue;
        }
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                let key = field.alias.as_ref().unwrap_or(&field.name).node.as_str();
                let children = &field.selection_set.node;
                match keys.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, sets)) => sets.push(children),
                    None => keys.push((key, vec![children])),
                }
            }
            Selection::InlineFragment(inline) => {
                add(doc, &inline.node.selection_set.node, keys, depth)
            }
            Selection::FragmentSpread(spread) => {
                if depth < MAX_FRAGMENT_DEPTH
                    && let Some(fragment) =
                        doc.document.fragments.get(&spread.node.fragment_name.node)
                {
                    add(doc, &fragment.node.selection_set.node, keys, depth + 1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::Value;

    fn ordered(query: &str, data: serde_json::Value) -> String {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        let (_, operation) = super::super::request::select(&document, None).expect("one");
        let mut data = Value::from_json(data).expect("a value");
        super::order(&document, &operation.node, None, &mut data);
        serde_json::to_string(&data).expect("JSON")
    }

    #[test]
    fn a_selection_left_out_by_skip_or_include_does_not_place_its_key() {
        let query = "query($yes: Boolean!) { session(id: 1) { \
                     title @skip(if: $yes) id @include(if: false) ... @include(if: $yes) { id title } } }";
        let document = async_graphql::parser::parse_query(query).expect("parses");
        let (_, operation) = super::super::request::select(&document, None).expect("one");
        let variables = async_graphql::Variables::from_json(serde_json::json!({ "yes": true }));
        let mut data =
            Value::from_json(serde_json::json!({ "session": { "title": "T", "id": "1" } }))
                .expect("a value");
        super::order(&document, &operation.node, Some(&variables), &mut data);
        // As placed by the inline fragment, the first selections that count.
        assert_eq!(
            serde_json::to_string(&data).expect("JSON"),
            r#"{"session":{"id":"1","title":"T"}}"#
        );
    }

    #[test]
    fn fields_come_in_the_order_they_are_selected_through_aliases_fragments_and_lists() {
        let query = "{ b: session(id: 1) { title ...F items { y x } } a: event(id: 2) { id } } \
                     fragment F on Session { id title }";
        // serde_json's maps sort their keys: every object here starts out of order.
        let data = serde_json::json!({
            "a": { "id": "2" },
            "b": { "items": [{ "x": 1, "y": 2 }, { "x": 3, "y": 4 }], "id": "1", "title": "T" },
        });
        assert_eq!(
            ordered(query, data),
            r#"{"b":{"title":"T","id":"1","items":[{"y":2,"x":1},{"y":4,"x":3}]},"a":{"id":"2"}}"#
        );
    }
}
