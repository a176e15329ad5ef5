"""Page property values in requests: validated as Notion validates them, then stored.

Request shapes: https://developers.notion.com/reference/page-property-values
Rich text: https://developers.notion.com/reference/rich-text
A wrong value is a 400 validation_error whose message names the path and quotes the value,
e.g. a relation written in filter syntax ({"relation": {"contains": id}}) or a date object
where an ISO 8601 string is due.
"""

from __future__ import annotations

import uuid
from typing import Any

from integrations.notion.seed import ANNOTATIONS, JSON, SeedState, property_value
from integrations.notion.server.filters import find_property
from integrations.notion.server.protocol import (
    MAX_TEXT,
    as_list,
    invalid,
    iso_date_string,
    should,
    shown,
    utf16_length,
)

WRITABLE = ("title", "rich_text", "status", "select", "people", "relation", "date", "checkbox")


class PropertyValues:
    """Turns request property values into stored page values for one workspace state."""

    def __init__(self, state: SeedState) -> None:
        self.state = state

    def encode(self, data_source: JSON, raw: Any) -> JSON:
        """Validate `properties` of a create or update; return stored values by name."""
        if not isinstance(raw, dict):
            raise invalid(f"body failed validation: body.properties should be an object, "
                          f"instead was {shown(raw)}.")
        encoded: JSON = {}
        for key, value in raw.items():
            prop = find_property(data_source["properties"], key)
            if prop is None:
                raise invalid(f"{key} is not a property that exists.")
            plain = self._decode(prop, value)
            if prop["type"] in ("title", "rich_text"):
                encoded[prop["name"]] = {"id": prop["id"], "type": prop["type"], prop["type"]: plain}
            else:
                encoded[prop["name"]] = property_value(self.state, data_source, prop, plain)
        return encoded

    def _decode(self, prop: JSON, raw: Any) -> Any:
        """One request value → rich-text items or a plain value for the seed encoder
        (option name, user ids, page ids, ISO date, bool)."""
        name, kind = prop["name"], prop["type"]
        if not isinstance(raw, dict) or kind not in raw:
            raise invalid(f"{name} is expected to be {kind}.")
        value, where = raw[kind], f"body.properties.{name}.{kind}"
        if kind not in WRITABLE:
            raise invalid(f"{name}: property type {kind} is not supported here.")
        if kind in ("title", "rich_text"):
            return rich_text_items(value, where)
        if kind in ("status", "select"):
            return self._option_name(prop, value, where)
        if kind == "people":
            # A person or a bot is written as a user ({"object": "user", "id"}), a group as
            # {"object": "group", "id"} (PartialUserObjectRequest | GroupObjectRequest,
            # makenotion/notion-sdk-js v5.26.0 src/api-endpoints/pages.ts). A group's id sent
            # as a user is no user: refused here (whether Notion refuses it is unverified).
            return [_listed_id(item, f"{where}[{i}]", *self._people_kind(item))
                    for i, item in enumerate(as_list(value, where))]
        if kind == "relation":
            target = prop["relation"]["data_source_id"]
            pages = {pid: p for pid, p in self.state.pages.items()
                     if p["parent"].get("data_source_id") == target}
            return [_listed_id(item, f"{where}[{i}]", pages, "related page")
                    for i, item in enumerate(as_list(value, where))]
        if kind == "checkbox":
            if not isinstance(value, bool):
                raise should(where, "a boolean", value)
            return value
        return _date_start(value, where)

    def _people_kind(self, item: Any) -> tuple[dict[str, Any], str]:
        if isinstance(item, dict) and item.get("object") == "group":
            return self.state.groups, "group"
        return self.state.users, "user"

    @staticmethod
    def _option_name(prop: JSON, value: Any, where: str) -> str | None:
        kind = prop["type"]
        if value is None and kind == "select":
            return None
        if not isinstance(value, dict) or not ({"name", "id"} & value.keys()):
            raise should(where, "an object with a name or an id", value)
        options = prop[kind]["options"]
        if "id" in value:
            option = next((o for o in options if o["id"] == value["id"]), None)
            if option is None:
                raise invalid(f"{where}.id: no {kind} option with id {value['id']!r}.")
            return str(option["name"])
        option_name = value["name"]
        if not isinstance(option_name, str) or not option_name.strip():
            raise should(f"{where}.name", "a non-empty string", option_name)
        if kind == "status" and option_name not in [o["name"] for o in options]:
            known = ", ".join(o["name"] for o in options)
            raise invalid(f'Invalid status option. Status option "{option_name}" does not '
                          f'exist for property "{prop["name"]}". Options: {known}.')
        return option_name  # an unknown select name becomes a new option, as in Notion


def rich_text_items(value: Any, where: str, users: dict[str, JSON] | None = None) -> list[JSON]:
    """Request rich text → response rich text (https://developers.notion.com/reference/rich-text).

    Text items, and, where `users` are given, user mentions ({"type": "mention", "mention":
    {"type": "user", "user": {"id": …}}}): answered with the user as a partial user object and
    "@Name" as the plain text, as Notion shows them. An id that is no user is refused here
    (what Notion answers then is unverified); other mention types are not supported."""
    items = as_list(value, where)
    if len(items) > 100:  # https://developers.notion.com/reference/request-limits
        raise should(f"{where}.length", "≤ `100`", len(items))
    result: list[JSON] = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if users is not None and isinstance(item, dict) and item.get("type") == "mention":
            result.append(_user_mention(item, at, users))
            continue
        if not isinstance(item, dict) or item.get("type", "text") != "text" or "text" not in item:
            raise should(at, "a text rich text item", item)
        text = item["text"]
        content = text.get("content") if isinstance(text, dict) else None
        if not isinstance(content, str):
            raise should(f"{at}.text.content", "a string", content)
        if utf16_length(content) > MAX_TEXT:  # counted in UTF-16 units, as Notion counts
            raise should(f"{at}.text.content.length", f"≤ `{MAX_TEXT}`", utf16_length(content))
        link = text.get("link")
        url = link.get("url") if isinstance(link, dict) else None
        annotations = {**ANNOTATIONS, **(item.get("annotations") or {})}
        result.append({"type": "text", "text": {"content": content, "link": link and {"url": url}},
                       "annotations": annotations, "plain_text": content, "href": url})
    return result


def _user_mention(item: JSON, at: str, users: dict[str, JSON]) -> JSON:
    mention = item.get("mention")
    if not isinstance(mention, dict) or mention.get("type") != "user":
        kind = mention.get("type") if isinstance(mention, dict) else None
        raise should(f"{at}.mention.type", '"user"', kind)
    user_id = _listed_id(mention.get("user"), f"{at}.mention.user", users, "user")
    name = users[user_id].get("name") or "Anonymous"
    return {"type": "mention", "mention": {"type": "user", "user": {"object": "user", "id": user_id}},
            "annotations": {**ANNOTATIONS, **(item.get("annotations") or {})},
            "plain_text": f"@{name}", "href": None}


def _listed_id(item: Any, where: str, known: dict[str, Any], what: str) -> str:
    if not isinstance(item, dict) or "id" not in item:
        raise should(f"{where}.id", "defined", None)
    try:
        object_id = str(uuid.UUID(str(item["id"])))
    except ValueError:
        raise should(f"{where}.id", "a valid uuid", item['id']) from None
    if object_id not in known:
        raise invalid(f"{where}.id: {what} {object_id} does not exist.")
    return object_id


def _date_start(value: Any, where: str) -> str | None:
    """Validate a date value ({"start": ISO, "end": ISO | null, "time_zone": IANA | null}, or
    null to clear it); return its start."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise should(where, "an object or `null`", value)
    iso_date_string(value.get("start"), f"{where}.start")
    if value.get("end") is not None:
        iso_date_string(value["end"], f"{where}.end")
    return str(value["start"])
