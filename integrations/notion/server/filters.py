"""Filters and sorts of a data-source query, validated as Notion validates them.

Filter objects: https://developers.notion.com/reference/filter-data-source-entries
Sort objects: https://developers.notion.com/reference/sort-data-source-entries

A filter is checked once against the data source's schema (the property exists, the
filter type matches the property type, the operand has the right type) and compiled to
a predicate over stored pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.notion.seed import plain_text
from integrations.notion.server.protocol import JSON, as_uuid, instant, invalid, iso_date_string, should

Predicate = Callable[[JSON], bool]
SortKey = Callable[[JSON], Any]
Test = Callable[[Any, Any], bool]
MAX_DEPTH = 2  # "compound filters can be nested up to two levels deep"


def _before(a: str, b: str) -> int:
    """-1, 0 or 1 comparing a stored date to an operand: by day when the operand is a date,
    by instant when it has a time (Notion: "if a date string with a time is provided, the
    comparison is done with millisecond precision")."""
    if len(b) == 10:
        x, y = a[:10], b
    else:
        x, y = instant(a), instant(b)  # type: ignore[assignment]
    return (x > y) - (x < y)


TEXT_TESTS: dict[str, Test] = {
    "equals": lambda a, b: a == b,
    "does_not_equal": lambda a, b: a != b,
    "contains": lambda a, b: b.casefold() in a.casefold(),
    "does_not_contain": lambda a, b: b.casefold() not in a.casefold(),
    "starts_with": lambda a, b: a.casefold().startswith(b.casefold()),
    "ends_with": lambda a, b: a.casefold().endswith(b.casefold()),
    "is_empty": lambda a, _: not a,
    "is_not_empty": lambda a, _: bool(a),
}
# A status or select `equals` / `does_not_equal` takes a name or a list of names (the
# API's StatusPropertyFilter / SelectPropertyFilter: `equals: string | Array<string>`,
# makenotion/notion-sdk-js v5.26.0 src/api-endpoints/common.ts): a list means any of them.
OPTION_TESTS: dict[str, Test] = {
    "equals": lambda a, b: a in b if isinstance(b, list) else a == b,
    "does_not_equal": lambda a, b: a not in b if isinstance(b, list) else a != b,
    "is_empty": lambda a, _: a is None,
    "is_not_empty": lambda a, _: a is not None,
}
CHECKBOX_TESTS: dict[str, Test] = {
    "equals": lambda a, b: bool(a) == b,
    "does_not_equal": lambda a, b: bool(a) != b,
}
LIST_TESTS: dict[str, Test] = {
    "contains": lambda a, b: b in a,
    "does_not_contain": lambda a, b: b not in a,
    "is_empty": lambda a, _: not a,
    "is_not_empty": lambda a, _: bool(a),
}
DATE_TESTS: dict[str, Test] = {
    "equals": lambda a, b: a is not None and _before(a, b) == 0,
    "before": lambda a, b: a is not None and _before(a, b) < 0,
    "after": lambda a, b: a is not None and _before(a, b) > 0,
    "on_or_before": lambda a, b: a is not None and _before(a, b) <= 0,
    "on_or_after": lambda a, b: a is not None and _before(a, b) >= 0,
    "is_empty": lambda a, _: a is None,
    "is_not_empty": lambda a, _: a is not None,
}
# filter type → (the property types it applies to, its conditions)
FILTER_KINDS: dict[str, tuple[set[str], dict[str, Test]]] = {
    "title": ({"title", "rich_text"}, TEXT_TESTS),
    "rich_text": ({"title", "rich_text"}, TEXT_TESTS),
    "status": ({"status"}, OPTION_TESTS),
    "select": ({"select"}, OPTION_TESTS),
    "checkbox": ({"checkbox"}, CHECKBOX_TESTS),
    "people": ({"people"}, LIST_TESTS),
    "relation": ({"relation"}, LIST_TESTS),
    "date": ({"date"}, DATE_TESTS),
}
TIMESTAMPS = ("created_time", "last_edited_time")


def compile_filter(flt: Any, schema: JSON, where: str = "body.filter", depth: int = 0) -> Predicate:
    """Validate a filter object once and return a predicate over pages."""
    if not isinstance(flt, dict):
        raise should(where, "an object", flt)
    for compound in ("and", "or"):
        if compound in flt:
            if depth >= MAX_DEPTH:
                raise invalid(f"body failed validation: {where} nests compound filters more than "
                              f"{MAX_DEPTH} levels deep.")
            parts = flt[compound]
            if not isinstance(parts, list):
                raise should(f"{where}.{compound}", "an array", parts)
            tests = [compile_filter(part, schema, f"{where}.{compound}[{i}]", depth + 1)
                     for i, part in enumerate(parts)]
            combine = all if compound == "and" else any
            return lambda page: combine(test(page) for test in tests)
    if "timestamp" in flt:
        return _timestamp_filter(flt, where)
    prop = find_property(schema, flt.get("property"))
    if prop is None:
        raise invalid(f"Could not find property with name or id: {flt.get('property')}")
    kinds = [key for key in flt if key not in ("property", "type")]
    if len(kinds) != 1 or kinds[0] not in FILTER_KINDS:
        raise should(where, "an object with exactly one known filter type", flt)
    kind = kinds[0]
    applies_to, tests = FILTER_KINDS[kind]
    if prop["type"] not in applies_to:
        raise invalid(f"database property {prop['type']} does not match filter {kind}")
    op, operand = _condition(flt[kind], tests, kind, f"{where}.{kind}")
    name, test = prop["name"], tests[op]
    return lambda page: test(plain_value(page["properties"][name]), operand)


def _timestamp_filter(flt: JSON, where: str) -> Predicate:
    """{"timestamp": "created_time", "created_time": {"on_or_after": "…"}}: filters on a page's
    own timestamps, even without a property for them."""
    stamp = flt["timestamp"]
    if stamp not in TIMESTAMPS or stamp not in flt:
        raise invalid(f"body failed validation: {where}.timestamp should be created_time or "
                      f"last_edited_time, with a condition of the same name.")
    op, operand = _condition(flt[stamp], DATE_TESTS, "date", f"{where}.{stamp}")
    test = DATE_TESTS[op]
    return lambda page: test(page[stamp], operand)


def _condition(condition: Any, tests: dict[str, Test], kind: str, where: str) -> tuple[str, Any]:
    if not isinstance(condition, dict) or len(condition) != 1:
        raise should(where, "an object with exactly one condition", condition)
    (op, operand), = condition.items()
    if op not in tests:
        raise invalid(f"body failed validation: {where}.{op} is not a supported condition.")
    return op, _operand(kind, op, operand, f"{where}.{op}")


def _operand(kind: str, op: str, operand: Any, where: str) -> Any:
    if op in ("is_empty", "is_not_empty"):
        if operand is not True:
            raise should(where, "`true`", operand)
        return operand
    if kind == "date":
        return iso_date_string(operand, where)
    if kind in ("people", "relation"):
        return as_uuid(operand, where)
    if kind == "checkbox":
        if not isinstance(operand, bool):
            raise should(where, "a boolean", operand)
        return operand
    if kind in ("status", "select") and isinstance(operand, list):
        if not all(isinstance(name, str) for name in operand):
            raise should(where, "a string or an array of strings", operand)
        return operand
    if not isinstance(operand, str):
        raise should(where, "a string", operand)
    return operand


def compile_sorts(sorts: Any, schema: JSON) -> list[tuple[SortKey, bool]]:
    """(key, descending) pairs; select and status sort by option order, as in Notion."""
    if not isinstance(sorts, list):
        raise should("body.sorts", "an array", sorts)
    compiled: list[tuple[SortKey, bool]] = []
    for i, sort in enumerate(sorts):
        where = f"body.sorts[{i}]"
        if not isinstance(sort, dict):
            raise should(where, "an object", sort)
        direction = sort.get("direction", "ascending")
        if direction not in ("ascending", "descending"):
            raise should(f"{where}.direction", "`ascending` or `descending`", direction)
        if "timestamp" in sort:
            stamp = sort["timestamp"]
            if stamp not in TIMESTAMPS:
                raise should(f"{where}.timestamp", "`created_time` or `last_edited_time`", stamp)
            compiled.append(((lambda page, s=stamp: page[s]), direction == "descending"))
            continue
        prop = find_property(schema, sort.get("property"))
        if prop is None:
            raise invalid(f"Could not find sort property with name or id: {sort.get('property')}")
        compiled.append((_sort_key(prop), direction == "descending"))
    return compiled


def _sort_key(prop: JSON) -> SortKey:
    name, kind = prop["name"], prop["type"]

    def key(page: JSON) -> Any:
        value = plain_value(page["properties"][name])
        if kind in ("status", "select"):
            names = [o["name"] for o in prop[kind]["options"]]
            return names.index(value) if value in names else None
        if kind == "people":
            return value[0] if value else None
        if kind == "relation":
            return len(value) or None
        if kind == "date":
            return instant(value) if value else None
        if isinstance(value, str):
            return value.casefold() or None
        return value

    return key


def sorted_empty_last(pages: list[JSON], key: SortKey, descending: bool) -> list[JSON]:
    """One stable sort pass; empty values go last in either direction."""
    keyed = [(key(page), page) for page in pages]
    filled = sorted((kp for kp in keyed if kp[0] is not None), key=lambda kp: kp[0],
                    reverse=descending)
    return [page for _, page in filled] + [page for k, page in keyed if k is None]


def find_property(schema: JSON, name_or_id: Any) -> JSON | None:
    if not isinstance(name_or_id, str):
        return None
    if name_or_id in schema:
        return schema[name_or_id]
    return next((p for p in schema.values() if p["id"] == name_or_id), None)


def plain_value(value: JSON) -> Any:
    """A stored property value as a plain Python value for filters, sorts and test rows."""
    kind = value["type"]
    inner = value.get(kind)
    if kind in ("title", "rich_text"):
        return plain_text(inner or [])
    if kind in ("status", "select"):
        return inner["name"] if inner else None
    if kind in ("people", "relation"):
        return [item["id"] for item in inner or []]
    if kind == "date":
        return inner["start"] if inner else None
    return inner
