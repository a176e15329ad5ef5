"""The emulator's wire protocol: Notion's error objects, list objects, cursors and body checks.

Shared by the request handlers (app.py), the property-value validation
(values.py) and the filters (filters.py), so every answer has the shape
of the real API's. Sources are cited next to each shape.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web

JSON = dict[str, Any]
MAX_PAGE_SIZE = 100  # https://developers.notion.com/reference/intro#pagination
MAX_TEXT = 2000  # https://developers.notion.com/reference/request-limits


def utf16_length(text: str) -> int:
    """A string's length as Notion counts it: UTF-16 code units, JavaScript's `.length` (an
    emoji outside the Basic Multilingual Plane counts 2). The 2000 limit of a rich-text
    `text.content` is in these units: a 400 from exactly this is reported in
    dwarvesf/dwarves-kit#403."""
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    """An error answered as Notion's error object
    (https://developers.notion.com/reference/status-codes):
    {"object": "error", "status": 400, "code": "validation_error", "message": "…", "request_id": "…"}.
    `additional_data` carries extras such as a 429's rate_limit_reason
    (https://developers.notion.com/reference/request-limits)."""

    def __init__(self, status: int, code: str, message: str, *,
                 additional_data: JSON | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.additional_data, self.headers = additional_data, headers

    def body(self) -> JSON:
        body: JSON = {"object": "error", "status": self.status, "code": self.code,
                      "message": self.message, "request_id": str(uuid.uuid4())}
        if self.additional_data:
            body["additional_data"] = self.additional_data
        return body


def invalid(message: str) -> ApiError:
    """400 validation_error; Notion's messages read "body failed validation: body.x should be …"."""
    return ApiError(400, "validation_error", message)


def should(where: str, expected: str, value: Any) -> ApiError:
    """Notion's validation message: "body failed validation: body.x should be …, instead was `…`."."""
    return invalid(f"body failed validation: {where} should be {expected}, instead was {shown(value)}.")


def not_found(kind: str, object_id: str, *, integration_id: str | None = None,
              integration_name: str | None = None) -> ApiError:
    """What Notion answers for a missing object *and* for one not shared with the integration
    (https://developers.notion.com/reference/status-codes: 404 object_not_found). The recorded
    404 (ramnes/notion-sdk-py tests/cassettes/test_build_request_error_integration.yaml) names
    the integration in the message and carries `additional_data.integration_id`."""
    named = f' "{integration_name}"' if integration_name else ""
    return ApiError(404, "object_not_found",
                    f"Could not find {kind} with ID: {object_id}. Make sure the relevant "
                    f"pages and databases are shared with your integration{named}.",
                    additional_data={"integration_id": integration_id} if integration_id else None)


def shown(value: Any) -> str:
    """A value as Notion quotes it in validation messages: JSON between backticks."""
    if value is None:
        return "`undefined`"
    try:
        return f"`{json.dumps(value, ensure_ascii=False)}`"
    except (TypeError, ValueError):
        return f"`{value!r}`"


def check_keys(body: JSON, allowed: Iterable[str], where: str = "body") -> None:
    """Unknown keys fail validation (Notion-Version 2021-08-16 onwards:
    https://developers.notion.com/changelog/notion-version-2021-08-16)."""
    known = set(allowed)
    for key, value in body.items():
        if key not in known:
            raise should(f"{where}.{key}", "not present", value)


def as_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise should(where, "an array", value)
    return value


def as_uuid(raw: Any, where: str) -> str:
    try:
        return str(uuid.UUID(str(raw)))
    except ValueError:
        raise should(where, "a valid uuid", raw) from None


def path_uuid(raw: str, name: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise invalid(f"path failed validation: path.{name} should be a valid uuid, "
                      f'instead was `"{raw}"`.') from None


def is_iso(text: str) -> bool:
    """An ISO 8601 date ("2026-11-20") or date-time ("2026-11-20T17:00:00+11:00")."""
    try:
        date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def iso_date_string(value: Any, where: str) -> str:
    """An ISO date string where one is due. A date *object* ({"year": …}) or a number is the
    usual mistake; Notion rejects it the same way."""
    if not isinstance(value, str) or not is_iso(value):
        raise should(where, "a valid ISO 8601 date string", value)
    return value


def instant(text: str) -> datetime:
    """A date or date-time as an aware instant; a date alone or no offset means UTC, as
    Notion's filters assume (https://developers.notion.com/reference/filter-data-source-entries#date)."""
    moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if len(text) == 10:
        moment = datetime(moment.year, moment.month, moment.day)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def page_size(raw: Any) -> int:
    if raw is None:
        return MAX_PAGE_SIZE
    try:
        size = int(raw)
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise invalid(f"body failed validation: page_size should be a number between 1 and "
                      f"{MAX_PAGE_SIZE}, instead was {shown(raw)}.")
    return size


def paginate(items: list[JSON], cursor: Any, size: int, list_type: str) -> JSON:
    """A list object (https://developers.notion.com/reference/intro#pagination):
    {"object": "list", "results": […], "next_cursor": str | null, "has_more": bool,
    "type": t, t: {}}."""
    start = decode_cursor(cursor) if cursor else 0
    end = start + size
    more = end < len(items)
    return {"object": "list", "results": items[start:end],
            "next_cursor": encode_cursor(end) if more else None, "has_more": more,
            "type": list_type, list_type: {}, "request_id": str(uuid.uuid4())}


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"darcy:{offset}".encode()).decode()


def decode_cursor(cursor: Any) -> int:
    try:
        prefix, offset = base64.urlsafe_b64decode(str(cursor).encode()).decode().split(":")
        if prefix == "darcy" and int(offset) >= 0:
            return int(offset)
    except ValueError:
        pass
    raise invalid(f"body failed validation: start_cursor should be a cursor returned by a "
                  f"previous request, instead was {shown(cursor)}.")


async def read_body(request: web.Request, *, required: bool = True) -> JSON:
    text = await request.text()
    if not text.strip():
        if required:
            raise invalid("body failed validation: body should be an object, instead was `undefined`.")
        return {}
    try:
        body = json.loads(text)
    except ValueError:
        raise ApiError(400, "invalid_json", "Error parsing JSON body.") from None
    if not isinstance(body, dict):
        raise invalid(f"body failed validation: body should be an object, instead was {shown(body)}.")
    return body


def now_iso() -> str:
    """Notion reports created and edited times to the minute."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:00.000Z")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """An answer as Notion sends it (every response in ramnes/notion-sdk-py's recorded
    tests/cassettes): `Content-Type: application/json; charset=utf-8`, and a `request_id` on
    every top-level object, a single page, user or comment as much as a list or an error."""
    if isinstance(data, dict) and "object" in data and "request_id" not in data:
        data = {**data, "request_id": str(uuid.uuid4())}
    return web.Response(body=json.dumps(data).encode(), status=status,
                        content_type="application/json", charset="utf-8", headers=headers)
