"""Schemathesis checks for session-analytics (loaded through SCHEMATHESIS_HOOKS by run.sh).

Schemathesis's own `not_a_server_error` counts every GraphQL error that carries a `path`
as a resolver failure, so it reports `SESSION_NOT_FOUND` for a random id and
`UNAUTHENTICATED` for a wrong password: the answers our contract promises. run.sh turns
it off and runs these instead:

* `session_analytics_no_server_error`: no 5xx status, and every GraphQL error carries one
  of the documented `extensions.code`s with its `status`, none of them a server failure
  (`INTERNAL`, `SERVICE_UNAVAILABLE`) and none `RATE_LIMITED` (run.sh turns the budgets off).
* `session_analytics_data_matches_schema`: the response is `{data, errors, extensions}`
  only, `data` has exactly the selected keys, no null where the schema says non-null,
  `Int` within 32 bits, enums among their values, `ID` a string, `DateTime` an RFC 3339
  UTC string (`...Z`). This walks the document against the schema the server publishes.

  A client that did not ask for `application/graphql-response+json` (Schemathesis does
  not) gets 200 for every GraphQL response, as the README promises. Failed fields must
  be null and nulls must propagate as the spec says (the server's `http/nulls.rs`);
  ST_LENIENT_NULLS=1 tolerates missing keys and nulls where an error was raised.

Schemathesis's own `response_schema_conformance` (valid JSON object, no "Cannot return
null for non-nullable field" errors) runs beside them.
"""

from __future__ import annotations

import json
import math
import os
import re

import graphql
import schemathesis

# The contract's error codes (README "Errors") and the `extensions.status` each carries.
CODES = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_EVENT_HOST": 4030201,
    "SESSION_NOT_FOUND": 404800,
    "EVENT_NOT_FOUND": 4040200,
    "BAD_REQUEST": 400,
    "RATE_LIMITED": 429,
    "SERVICE_UNAVAILABLE": 503,
    "INTERNAL": 500,
}
# The server failed, or throttled the fuzzer (run.sh turns every budget off).
FAILURE_CODES = {"INTERNAL", "SERVICE_UNAVAILABLE", "RATE_LIMITED"}

# async-graphql 7.2 does not propagate field errors as the GraphQL spec requires (a failed
# field is null, and a null in a non-null position makes the nearest nullable parent
# null). It leaves a failed field out of its parent object, and answers null for an
# object none of whose fields survived, even where the schema says non-null:
#   { event(id: "2") { name sessions(first: -1) { totalCount } } }
#     -> {"event": {"name": "..."}}, error at ["event", "sessions"]
#   { events { nodes { sessions(after: "") { totalCount } } } }
#     -> {"events": {"nodes": [null, null, null, null]}}  (nodes is [Event!]!)
# The server now fills those positions in (src/http/nulls.rs), so this is checked
# strictly. ST_LENIENT_NULLS=1 allows a missing key or a null in a non-null position
# where an error's path is at or below it (for debugging a regression elsewhere).
TOLERATE_ERRORED_POSITIONS = os.environ.get("ST_LENIENT_NULLS", "") == "1"

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def _payload(response):
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"the body is not JSON: {exc}; got {response.content[:300]!r}") from None


def _sent(response) -> dict:
    """The GraphQL request as it went over the wire (`query`, maybe `variables`)."""
    body = response.request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        sent = json.loads(body) if body else {}
    except ValueError:
        return {}
    return sent if isinstance(sent, dict) else {}


@schemathesis.check
def session_analytics_no_server_error(ctx, response, case):
    """No 5xx; every GraphQL error has a documented, non-failure `extensions.code`."""
    if response.status_code >= 500:
        raise AssertionError(
            f"HTTP {response.status_code}: {response.content[:500]!r}"
        )
    payload = _payload(response)
    if not isinstance(payload, dict):
        raise AssertionError(f"the body is not a JSON object: {payload!r:.300}")
    errors = payload.get("errors")
    if errors is None:
        return None
    if not isinstance(errors, list) or not errors:
        raise AssertionError(f"`errors` must be a non-empty list, got {errors!r:.300}")
    for error in errors:
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            raise AssertionError(f"an error without a message: {error!r:.300}")
        extensions = error.get("extensions")
        code = extensions.get("code") if isinstance(extensions, dict) else None
        if code not in CODES:
            raise AssertionError(f"an error without a documented `extensions.code`: {error!r:.500}")
        if extensions.get("status") != CODES[code]:
            raise AssertionError(
                f"`{code}` must carry `extensions.status` {CODES[code]}: {error!r:.500}"
            )
        if code in FAILURE_CODES:
            raise AssertionError(f"the server failed with `{code}`: {error!r:.500}")
    return None


@schemathesis.check
def session_analytics_data_matches_schema(ctx, response, case):
    """`data` holds exactly what the document selected, typed as the schema says."""
    if response.status_code >= 500:
        return None  # the other check reports it
    accept = response.request.headers.get("accept", "")
    if "graphql-response+json" not in accept and response.status_code != 200:
        raise AssertionError(
            f"HTTP {response.status_code} for an `application/json` client, which gets 200 "
            f"for every GraphQL response: {response.content[:300]!r}"
        )
    payload = _payload(response)
    if not isinstance(payload, dict):
        raise AssertionError(f"the body is not a JSON object: {payload!r:.300}")
    extra = set(payload) - {"data", "errors", "extensions"}
    if extra:
        raise AssertionError(f"unexpected top-level keys {sorted(extra)}")
    if "data" not in payload and not payload.get("errors"):
        raise AssertionError("neither `data` nor `errors` in the response")
    data = payload.get("data")
    if data is None:
        return None
    sent = _sent(response)
    query = sent.get("query")
    if not isinstance(query, str):
        return None
    try:
        document = graphql.parse(query)
    except graphql.GraphQLError:
        raise AssertionError("the server returned `data` for a document that does not parse") from None
    schema = case.operation.schema.client_schema
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    name = sent.get("operationName")
    operation = next(
        (op for op in operations if name is None or (op.name and op.name.value == name)), None
    )
    if operation is None:
        raise AssertionError("the server returned `data` without an operation to run")
    root = {
        graphql.OperationType.QUERY: schema.query_type,
        graphql.OperationType.MUTATION: schema.mutation_type,
        graphql.OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, graphql.FragmentDefinitionNode)
    }
    errored = {
        tuple(error["path"])
        for error in payload.get("errors") or ()
        if isinstance(error, dict) and isinstance(error.get("path"), list)
    }
    _check_object(data, root, [operation.selection_set], fragments, (), errored)
    return None


def _collect(object_type, selection_sets, fragments, conditional=False, out=None):
    """Response key -> (field definition, field nodes, may be absent), merged as GraphQL does."""
    out = {} if out is None else out
    for selection_set in selection_sets:
        for selection in selection_set.selections:
            maybe = conditional or any(
                d.name.value in ("skip", "include") for d in selection.directives or ()
            )
            if isinstance(selection, graphql.FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                name = selection.name.value
                if name == "__typename":
                    definition = graphql.GraphQLField(graphql.GraphQLNonNull(graphql.GraphQLString))
                elif name.startswith("__"):
                    definition = None  # introspection: not checked here
                else:
                    definition = object_type.fields.get(name)
                    if definition is None:
                        raise AssertionError(f"`data` for a field the type has not: {object_type.name}.{name}")
                previous = out.get(key)
                nodes = (previous[1] if previous else []) + [selection]
                out[key] = (definition, nodes, maybe and (previous[2] if previous else True))
            elif isinstance(selection, graphql.InlineFragmentNode):
                _collect(object_type, [selection.selection_set], fragments, maybe, out)
            elif isinstance(selection, graphql.FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    _collect(object_type, [fragment.selection_set], fragments, maybe, out)
    return out


def _excused(path, errored) -> bool:
    """A missing key or a null that async-graphql leaves where an error was raised."""
    return TOLERATE_ERRORED_POSITIONS and any(error[: len(path)] == path for error in errored)


def _show(path) -> str:
    return "data" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _check_object(value, object_type, selection_sets, fragments, path, errored):
    if not isinstance(value, dict):
        raise AssertionError(
            f"{_show(path)}: expected an object of type {object_type.name}, got {value!r:.200}"
        )
    fields = _collect(object_type, selection_sets, fragments)
    extra = set(value) - set(fields)
    if extra:
        raise AssertionError(f"{_show(path)}: keys nobody selected: {sorted(extra)}")
    for key, (definition, nodes, maybe) in fields.items():
        at = path + (key,)
        if key not in value:
            if maybe or _excused(at, errored):
                continue
            raise AssertionError(f"{_show(at)}: the selected field is missing from `data`")
        if definition is None:
            continue
        sub_sets = [node.selection_set for node in nodes if node.selection_set]
        _check_value(value[key], definition.type, sub_sets, fragments, at, errored)


def _check_value(value, type_, selection_sets, fragments, path, errored):
    if graphql.is_non_null_type(type_):
        if value is None:
            if _excused(path, errored):
                return
            raise AssertionError(f"{_show(path)}: null where the schema says {type_} (non-null)")
        type_ = type_.of_type
    if value is None:
        return
    if graphql.is_list_type(type_):
        if not isinstance(value, list):
            raise AssertionError(f"{_show(path)}: expected a list ({type_}), got {value!r:.200}")
        for index, item in enumerate(value):
            _check_value(item, type_.of_type, selection_sets, fragments, path + (index,), errored)
        return
    if graphql.is_object_type(type_):
        _check_object(value, type_, selection_sets, fragments, path, errored)
        return
    if graphql.is_enum_type(type_):
        if value not in type_.values:
            raise AssertionError(f"{_show(path)}: {value!r} is not a value of the enum {type_.name}")
        return
    _check_scalar(value, type_.name, _show(path))


def _check_scalar(value, name, path):
    ok = {
        "Int": lambda v: isinstance(v, int) and not isinstance(v, bool) and INT_MIN <= v <= INT_MAX,
        "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
        "String": lambda v: isinstance(v, str),
        "Boolean": lambda v: isinstance(v, bool),
        "ID": lambda v: isinstance(v, str),
        "DateTime": lambda v: isinstance(v, str) and DATE_TIME.match(v) is not None,
    }.get(name)
    if ok is None:
        raise AssertionError(f"{path}: a scalar this check does not know: {name}")
    if not ok(value):
        raise AssertionError(f"{path}: {value!r:.200} is not a valid {name}")
