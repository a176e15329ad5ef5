"""A Notion-compatible HTTP server on loopback: the embedded workspace and the test double.

It speaks the slice of Notion API 2025-09-03 that Darcy uses, with the same JSON
shapes, headers and error objects, so the real `notion_client.AsyncClient` talks to
it unchanged (nothing ever reaches api.notion.com in tests or the demo). State lives
in memory, seeded by `integrations.notion.seed.workspace_state`.

Reference: https://developers.notion.com/reference/intro (each handler cites its page).
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any

from aiohttp import web

from integrations.notion.seed import (
    ANNOTATIONS,
    JSON,
    SeedState,
    new_page,
    plain_text,
    property_value,
    workspace_state,
)

Predicate = Callable[[JSON], bool]
SortKey = Callable[[JSON], Any]
MAX_PAGE_SIZE = 100
MAX_TEXT = 2000  # https://developers.notion.com/reference/request-limits


class ApiError(Exception):
    """An error answered as Notion's error object
    (https://developers.notion.com/reference/status-codes)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> JSON:
        return {"object": "error", "status": self.status, "code": self.code,
                "message": self.message, "request_id": str(uuid.uuid4())}


def invalid(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def not_found(kind: str, object_id: str) -> ApiError:
    return ApiError(404, "object_not_found",
                    f"Could not find {kind} with ID: {object_id}. Make sure the relevant "
                    "pages and databases are shared with your integration.")


@dataclass
class _Fault:
    status: int
    code: str
    remaining: int
    methods: frozenset[str] | None
    path: str | None

    def matches(self, request: web.Request) -> bool:
        return ((self.methods is None or request.method in self.methods)
                and (self.path is None or self.path in request.path))


class NotionEmulator:
    """An in-memory Notion workspace served over HTTP on 127.0.0.1."""

    def __init__(self, workspace: dict[str, Any], *, token: str = "secret_darcy_demo") -> None:
        self.state: SeedState = workspace_state(workspace)
        self.token = token
        self.tasks_data_source_id = self.state.tasks_data_source_id
        self.projects_data_source_id = self.state.projects_data_source_id
        self.tasks_database_id = self.state.tasks_database_id
        self.projects_database_id = self.state.projects_database_id
        self.base_url: str | None = None
        self.request_log: list[tuple[str, str]] = []
        self.latency: float = 0.0
        self._faults: list[_Fault] = []
        self._runner: web.AppRunner | None = None

    # ---- lifecycle -------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/v1/users", self._list_users)
        app.router.add_get("/v1/users/me", self._get_me)  # before {user_id}: routes match in order
        app.router.add_get("/v1/users/{user_id}", self._get_user)
        app.router.add_get("/v1/databases/{database_id}", self._get_database)
        app.router.add_get("/v1/data_sources/{data_source_id}", self._get_data_source)
        app.router.add_post("/v1/data_sources/{data_source_id}/query", self._query)
        app.router.add_post("/v1/pages", self._create_page)
        app.router.add_get("/v1/pages/{page_id}", self._get_page)
        app.router.add_patch("/v1/pages/{page_id}", self._update_page)
        app.router.add_post("/v1/comments", self._create_comment)
        app.router.add_get("/v1/comments", self._list_comments)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0: any free port); returns the base URL without /v1."""
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_port = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> NotionEmulator:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    # ---- test helpers ----------------------------------------------------------------

    def fail_next(self, status: int, code: str, times: int = 1, *,
                  methods: Iterable[str] | None = None, path: str | None = None) -> None:
        """Answer the next `times` matching requests with this error (an outage, a 429…)."""
        wanted = frozenset(m.upper() for m in methods) if methods is not None else None
        self._faults.append(_Fault(status, code, times, wanted, path))

    def tasks(self) -> list[JSON]:
        """Every page of the Tasks data source as a plain row, trashed ones included."""
        return [self._task_row(page) for page in self.state.pages.values()
                if page["parent"]["data_source_id"] == self.tasks_data_source_id]

    def task_by_title(self, title: str) -> JSON | None:
        rows = [row for row in self.tasks() if row["title"] == title]
        rows.sort(key=lambda row: row["in_trash"])  # a live page before a trashed namesake
        return rows[0] if rows else None

    def comments(self, page_id: str) -> list[str]:
        return [plain_text(c["rich_text"]) for c in self.state.comments.get(page_id, [])]

    def _task_row(self, page: JSON) -> JSON:
        values: dict[str, Any] = {}
        for value in page["properties"].values():
            values.setdefault(value["type"], plain_value(value))
        return {"id": page["id"], "title": values.get("title", ""),
                "status": values.get("status"), "assignee_ids": values.get("people", []),
                "project_ids": values.get("relation", []), "due": values.get("date"),
                "description": values.get("rich_text", ""), "in_trash": page["in_trash"]}

    # ---- request pipeline ------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request,
                          handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        """Log, delay, inject faults, check headers, and turn errors into error objects."""
        self.request_log.append((request.method, request.path))
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            self._raise_injected_fault(request)
            self._check_headers(request)
            response: web.StreamResponse = await handler(request)
            return response
        except ApiError as error:
            headers = {"Retry-After": "0"} if error.status == 429 else None
            return _json(error.body(), error.status, headers)
        except web.HTTPMethodNotAllowed:
            return _json(ApiError(400, "invalid_request",
                                  f"Unsupported request: {request.method} {request.path}.")
                         .body(), 400)
        except web.HTTPNotFound:
            return _json(ApiError(400, "invalid_request_url", "Invalid request URL.").body(), 400)

    def _raise_injected_fault(self, request: web.Request) -> None:
        fault = next((f for f in self._faults if f.matches(request)), None)
        if fault is None:
            return
        fault.remaining -= 1
        if fault.remaining <= 0:
            self._faults.remove(fault)
        raise ApiError(fault.status, fault.code, f"Injected failure ({fault.code}).")

    def _check_headers(self, request: web.Request) -> None:
        # https://developers.notion.com/reference/authentication
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise ApiError(401, "unauthorized", "API token is invalid.")
        # https://developers.notion.com/reference/versioning
        if not request.headers.get("Notion-Version"):
            raise ApiError(400, "missing_version",
                           "Notion-Version header failed validation: Notion-Version header "
                           "should be defined, instead was `undefined`.")

    # ---- users -----------------------------------------------------------------------

    # https://developers.notion.com/reference/get-users
    async def _list_users(self, request: web.Request) -> web.Response:
        size = _page_size(request.query.get("page_size"))
        users = list(self.state.users.values())
        return _json(_paginate(users, request.query.get("start_cursor"), size, "user"))

    # https://developers.notion.com/reference/get-self
    async def _get_me(self, request: web.Request) -> web.Response:
        return _json(self.state.users[self.state.bot_id])

    # https://developers.notion.com/reference/get-user
    async def _get_user(self, request: web.Request) -> web.Response:
        user_id = _uuid(request.match_info["user_id"], "user_id")
        if user_id not in self.state.users:
            raise not_found("user", user_id)
        return _json(self.state.users[user_id])

    # ---- databases and data sources --------------------------------------------------

    # https://developers.notion.com/reference/database-retrieve
    async def _get_database(self, request: web.Request) -> web.Response:
        database_id = _uuid(request.match_info["database_id"], "database_id")
        if database_id not in self.state.databases:
            raise not_found("database", database_id)
        return _json(self.state.databases[database_id])

    # https://developers.notion.com/reference/retrieve-a-data-source
    async def _get_data_source(self, request: web.Request) -> web.Response:
        return _json(self._data_source(request.match_info["data_source_id"]))

    # https://developers.notion.com/reference/query-a-data-source
    # https://developers.notion.com/reference/filter-data-source-entries
    # https://developers.notion.com/reference/sort-data-source-entries
    async def _query(self, request: web.Request) -> web.Response:
        data_source = self._data_source(request.match_info["data_source_id"])
        body = await _body(request, required=False)
        schema = data_source["properties"]
        matches = compile_filter(body["filter"], schema) if body.get("filter") else None
        sorts = compile_sorts(body.get("sorts") or [], schema)
        want_trash = bool(body.get("in_trash") or body.get("archived"))
        pages = [page for page in self.state.pages.values()
                 if page["parent"]["data_source_id"] == data_source["id"]
                 and page["in_trash"] == want_trash
                 and (matches is None or matches(page))]
        for key, descending in reversed(sorts):
            pages = _sorted_empty_last(pages, key, descending)
        size = _page_size(body.get("page_size"))
        return _json(_paginate(pages, body.get("start_cursor"), size, "page_or_data_source"))

    def _data_source(self, raw_id: str) -> JSON:
        data_source_id = _uuid(raw_id, "data_source_id")
        if data_source_id not in self.state.data_sources:
            raise not_found("data_source", data_source_id)
        return self.state.data_sources[data_source_id]

    # ---- pages -----------------------------------------------------------------------

    # https://developers.notion.com/reference/post-page
    async def _create_page(self, request: web.Request) -> web.Response:
        body = await _body(request)
        data_source = self._parent_data_source(body.get("parent"))
        properties = {prop["name"]: property_value(self.state, data_source, prop, None)
                      for prop in data_source["properties"].values()}
        properties.update(self._encode_properties(data_source, body.get("properties", {})))
        page = new_page(self.state.bot_id, str(uuid.uuid4()), data_source, properties, _now())
        self.state.pages[page["id"]] = page
        return _json(page)

    # https://developers.notion.com/reference/retrieve-a-page
    async def _get_page(self, request: web.Request) -> web.Response:
        return _json(self._page(request.match_info["page_id"]))

    # https://developers.notion.com/reference/patch-page
    async def _update_page(self, request: web.Request) -> web.Response:
        page = self._page(request.match_info["page_id"])
        body = await _body(request)
        trash = body.get("in_trash", body.get("archived"))
        if trash is not None and not isinstance(trash, bool):
            raise invalid("body.in_trash should be a boolean.")
        if body.get("properties"):
            if page["in_trash"] and trash is not False:
                raise invalid("Can't edit block that is archived. You must unarchive the "
                              "block before editing.")
            data_source = self.state.data_sources[page["parent"]["data_source_id"]]
            page["properties"].update(self._encode_properties(data_source, body["properties"]))
        if trash is not None:
            page["in_trash"] = page["archived"] = trash
        page["last_edited_time"] = _now()
        return _json(page)

    def _page(self, raw_id: str) -> JSON:
        page_id = _uuid(raw_id, "page_id")
        if page_id not in self.state.pages:
            raise not_found("page", page_id)
        return self.state.pages[page_id]

    def _parent_data_source(self, parent: Any) -> JSON:
        """A data_source_id parent; a database_id parent works when it has one data source."""
        if not isinstance(parent, dict):
            raise invalid("body.parent should be an object, instead was `undefined`.")
        if "data_source_id" in parent:
            return self._data_source(str(parent["data_source_id"]))
        if "database_id" in parent:
            database_id = _uuid(str(parent["database_id"]), "database_id")
            if database_id not in self.state.databases:
                raise not_found("database", database_id)
            sources = self.state.databases[database_id]["data_sources"]
            if len(sources) != 1:
                raise invalid("Database has several data sources: use a data_source_id parent.")
            return self.state.data_sources[sources[0]["id"]]
        raise invalid("body.parent should be a data_source_id or database_id parent.")

    # ---- comments --------------------------------------------------------------------

    # https://developers.notion.com/reference/create-a-comment
    async def _create_comment(self, request: web.Request) -> web.Response:
        body = await _body(request)
        parent = body.get("parent")
        if not isinstance(parent, dict) or "page_id" not in parent:
            raise invalid("body.parent.page_id should be defined, instead was `undefined`.")
        page = self._page(str(parent["page_id"]))
        items = _rich_text_items(body.get("rich_text"), "body.rich_text")
        if not items:
            raise invalid("body.rich_text should not be empty.")
        when = _now()
        thread = self.state.comments.setdefault(page["id"], [])
        comment = {
            "object": "comment", "id": str(uuid.uuid4()),
            "parent": {"type": "page_id", "page_id": page["id"]},
            "discussion_id": thread[0]["discussion_id"] if thread else str(uuid.uuid4()),
            "created_time": when, "last_edited_time": when,
            "created_by": {"object": "user", "id": self.state.bot_id}, "rich_text": items,
        }
        thread.append(comment)
        return _json(comment)

    # https://developers.notion.com/reference/list-comments
    async def _list_comments(self, request: web.Request) -> web.Response:
        raw_id = request.query.get("block_id")
        if not raw_id:
            raise invalid("query.block_id should be defined, instead was `undefined`.")
        page = self._page(raw_id)
        size = _page_size(request.query.get("page_size"))
        comments = self.state.comments.get(page["id"], [])
        return _json(_paginate(comments, request.query.get("start_cursor"), size, "comment"))

    # ---- property values: request JSON → stored page values ----------------------------

    # https://developers.notion.com/reference/page-property-values
    def _encode_properties(self, data_source: JSON, raw: Any) -> JSON:
        if not isinstance(raw, dict):
            raise invalid("body.properties should be an object.")
        encoded: JSON = {}
        for key, value in raw.items():
            prop = find_property(data_source["properties"], key)
            if prop is None:
                raise invalid(f"{key} is not a property that exists.")
            plain = self._decode_request_value(prop, value)
            if prop["type"] in ("title", "rich_text"):
                encoded[prop["name"]] = {"id": prop["id"], "type": prop["type"],
                                         prop["type"]: plain}
            else:
                encoded[prop["name"]] = property_value(self.state, data_source, prop, plain)
        return encoded

    def _decode_request_value(self, prop: JSON, raw: Any) -> Any:
        """Validate one request value; return rich-text items or a plain value for the seed
        encoder (option name, user ids, page ids, ISO date)."""
        name, kind = prop["name"], prop["type"]
        if not isinstance(raw, dict) or kind not in raw:
            raise invalid(f"{name} is expected to be {kind}.")
        value, where = raw[kind], f"body.properties.{name}.{kind}"
        if kind in ("title", "rich_text"):
            return _rich_text_items(value, where)
        if kind in ("status", "select"):
            return self._option_name(prop, value, where)
        if kind == "people":
            return [self._listed_id(item, f"{where}[{i}]", self.state.users, "user")
                    for i, item in enumerate(_list(value, where))]
        if kind == "relation":
            target = prop["relation"]["data_source_id"]
            pages = {pid: p for pid, p in self.state.pages.items()
                     if p["parent"]["data_source_id"] == target}
            return [self._listed_id(item, f"{where}[{i}]", pages, "related page")
                    for i, item in enumerate(_list(value, where))]
        if kind == "date":
            return _date_start(value, where)
        raise invalid(f"{name}: property type {kind} is not supported here.")

    def _option_name(self, prop: JSON, value: Any, where: str) -> str | None:
        kind = prop["type"]
        if value is None and kind == "select":
            return None
        if not isinstance(value, dict) or not ({"name", "id"} & value.keys()):
            raise invalid(f"{where} should be an object with a name or an id.")
        options = prop[kind]["options"]
        if "id" in value:
            option = next((o for o in options if o["id"] == value["id"]), None)
            if option is None:
                raise invalid(f"{where}.id: no {kind} option with id {value['id']!r}.")
            return str(option["name"])
        option_name = value["name"]
        if not isinstance(option_name, str) or not option_name.strip():
            raise invalid(f"{where}.name should be a non-empty string.")
        if kind == "status" and option_name not in [o["name"] for o in options]:
            known = ", ".join(o["name"] for o in options)
            raise invalid(f'Invalid status option. Status option "{option_name}" does not '
                          f'exist for property "{prop["name"]}". Options: {known}.')
        return option_name  # an unknown select name becomes a new option, as in Notion

    @staticmethod
    def _listed_id(item: Any, where: str, known: dict[str, Any], what: str) -> str:
        if not isinstance(item, dict) or "id" not in item:
            raise invalid(f"{where}.id should be defined, instead was `undefined`.")
        try:
            object_id = str(uuid.UUID(str(item["id"])))
        except ValueError:
            raise invalid(f"{where}.id should be a valid uuid, instead was "
                          f"`{item['id']!r}`.") from None
        if object_id not in known:
            raise invalid(f"{where}.id: {what} {object_id} does not exist.")
        return object_id


# ---- filters and sorts -------------------------------------------------------------------

TEXT_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda a, b: a == b,
    "does_not_equal": lambda a, b: a != b,
    "contains": lambda a, b: b.casefold() in a.casefold(),
    "does_not_contain": lambda a, b: b.casefold() not in a.casefold(),
    "starts_with": lambda a, b: a.casefold().startswith(b.casefold()),
    "ends_with": lambda a, b: a.casefold().endswith(b.casefold()),
    "is_empty": lambda a, _: not a,
    "is_not_empty": lambda a, _: bool(a),
}
OPTION_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda a, b: a == b,
    "does_not_equal": lambda a, b: a != b,
    "is_empty": lambda a, _: a is None,
    "is_not_empty": lambda a, _: a is not None,
}
LIST_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "contains": lambda a, b: b in a,
    "does_not_contain": lambda a, b: b not in a,
    "is_empty": lambda a, _: not a,
    "is_not_empty": lambda a, _: bool(a),
}
DATE_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda a, b: a is not None and _day(a) == _day(b),
    "before": lambda a, b: a is not None and _day(a) < _day(b),
    "after": lambda a, b: a is not None and _day(a) > _day(b),
    "on_or_before": lambda a, b: a is not None and _day(a) <= _day(b),
    "on_or_after": lambda a, b: a is not None and _day(a) >= _day(b),
    "is_empty": lambda a, _: a is None,
    "is_not_empty": lambda a, _: a is not None,
}
# filter type → (the property types it applies to, its conditions)
FILTER_KINDS: dict[str, tuple[set[str], dict[str, Callable[[Any, Any], bool]]]] = {
    "title": ({"title", "rich_text"}, TEXT_TESTS),
    "rich_text": ({"title", "rich_text"}, TEXT_TESTS),
    "status": ({"status"}, OPTION_TESTS),
    "select": ({"select"}, OPTION_TESTS),
    "people": ({"people"}, LIST_TESTS),
    "relation": ({"relation"}, LIST_TESTS),
    "date": ({"date"}, DATE_TESTS),
}


def compile_filter(flt: Any, schema: JSON, where: str = "body.filter") -> Predicate:
    """Validate a filter object once and return a predicate over pages."""
    if not isinstance(flt, dict):
        raise invalid(f"{where} should be an object.")
    for compound in ("and", "or"):
        if compound in flt:
            parts = flt[compound]
            if not isinstance(parts, list):
                raise invalid(f"{where}.{compound} should be an array.")
            tests = [compile_filter(part, schema, f"{where}.{compound}[{i}]")
                     for i, part in enumerate(parts)]
            combine = all if compound == "and" else any
            return lambda page: combine(test(page) for test in tests)
    prop = find_property(schema, flt.get("property"))
    if prop is None:
        raise invalid(f"Could not find property with name or id: {flt.get('property')}")
    kinds = [key for key in flt if key not in ("property", "type")]
    if len(kinds) != 1 or kinds[0] not in FILTER_KINDS:
        raise invalid(f"{where} should have exactly one known filter type, got {kinds}.")
    kind = kinds[0]
    applies_to, tests = FILTER_KINDS[kind]
    if prop["type"] not in applies_to:
        raise invalid(f"database property {prop['type']} does not match filter {kind}")
    condition = flt[kind]
    if not isinstance(condition, dict) or len(condition) != 1:
        raise invalid(f"{where}.{kind} should have exactly one condition.")
    (op, operand), = condition.items()
    if op not in tests:
        raise invalid(f"{where}.{kind}.{op} is not a supported condition.")
    operand = _filter_operand(kind, op, operand, f"{where}.{kind}.{op}")
    name, test = prop["name"], tests[op]
    return lambda page: test(plain_value(page["properties"][name]), operand)


def _filter_operand(kind: str, op: str, operand: Any, where: str) -> Any:
    if op in ("is_empty", "is_not_empty"):
        if operand is not True:
            raise invalid(f"{where} should be true.")
        return operand
    if kind == "date":
        if not isinstance(operand, str) or not _is_iso(operand):
            raise invalid(f"{where} should be a valid ISO 8601 date string, "
                          f"instead was `{operand!r}`.")
        return operand
    if kind in ("people", "relation"):
        try:
            return str(uuid.UUID(str(operand)))
        except ValueError:
            raise invalid(f"{where} should be a valid uuid, instead was `{operand!r}`.") from None
    if not isinstance(operand, str):
        raise invalid(f"{where} should be a string, instead was `{operand!r}`.")
    return operand


def compile_sorts(sorts: Any, schema: JSON) -> list[tuple[SortKey, bool]]:
    """(key, descending) pairs; select and status sort by option order, as in Notion."""
    if not isinstance(sorts, list):
        raise invalid("body.sorts should be an array.")
    compiled: list[tuple[SortKey, bool]] = []
    for i, sort in enumerate(sorts):
        where = f"body.sorts[{i}]"
        if not isinstance(sort, dict):
            raise invalid(f"{where} should be an object.")
        direction = sort.get("direction", "ascending")
        if direction not in ("ascending", "descending"):
            raise invalid(f"{where}.direction should be ascending or descending.")
        if "timestamp" in sort:
            stamp = sort["timestamp"]
            if stamp not in ("created_time", "last_edited_time"):
                raise invalid(f"{where}.timestamp should be created_time or last_edited_time.")
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
        if isinstance(value, str):
            return value.casefold() or None
        return value

    return key


def _sorted_empty_last(pages: list[JSON], key: SortKey, descending: bool) -> list[JSON]:
    """One stable sort pass; empty values go last in either direction."""
    keyed = [(key(page), page) for page in pages]
    filled = sorted((kp for kp in keyed if kp[0] is not None), key=lambda kp: kp[0],
                    reverse=descending)
    return [page for _, page in filled] + [page for k, page in keyed if k is None]


# ---- small helpers -----------------------------------------------------------------------


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


def _rich_text_items(value: Any, where: str) -> list[JSON]:
    """Request rich text → response rich text (https://developers.notion.com/reference/rich-text)."""
    items = _list(value, where)
    if len(items) > 100:
        raise invalid(f"{where}.length should be ≤ 100, instead was {len(items)}.")
    result: list[JSON] = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if not isinstance(item, dict) or item.get("type", "text") != "text" or "text" not in item:
            raise invalid(f"{at} should be a text rich text item.")
        text = item["text"]
        content = text.get("content") if isinstance(text, dict) else None
        if not isinstance(content, str):
            raise invalid(f"{at}.text.content should be a string.")
        if len(content) > MAX_TEXT:
            raise invalid(f"{at}.text.content.length should be ≤ {MAX_TEXT}, "
                          f"instead was {len(content)}.")
        link = text.get("link")
        url = link.get("url") if isinstance(link, dict) else None
        annotations = {**ANNOTATIONS, **(item.get("annotations") or {})}
        result.append({"type": "text", "text": {"content": content, "link": link and {"url": url}},
                       "annotations": annotations, "plain_text": content, "href": url})
    return result


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(f"{where} should be an array, instead was `{value!r}`.")
    return value


def _date_start(value: Any, where: str) -> str | None:
    """Validate a date value (start, optional end and time_zone); return its start."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(f"{where} should be an object or null.")
    for part in ("start", "end"):
        text = value.get(part)
        if part == "end" and text is None:
            continue
        if not isinstance(text, str) or not _is_iso(text):
            raise invalid(f"{where}.{part} should be a valid ISO 8601 date string, "
                          f"instead was `{text!r}`.")
    return str(value["start"])


def _is_iso(text: str) -> bool:
    try:
        date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


def _uuid(raw: str, name: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise invalid(f"path failed validation: path.{name} should be a valid uuid, "
                      f'instead was `"{raw}"`.') from None


def _page_size(raw: Any) -> int:
    if raw is None:
        return MAX_PAGE_SIZE
    try:
        size = int(raw)
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise invalid(f"page_size should be a number between 1 and {MAX_PAGE_SIZE}, "
                      f"instead was `{raw!r}`.")
    return size


def _paginate(items: list[JSON], cursor: Any, size: int, list_type: str) -> JSON:
    """A list object (https://developers.notion.com/reference/intro#pagination)."""
    start = _decode_cursor(cursor) if cursor else 0
    end = start + size
    more = end < len(items)
    return {"object": "list", "results": items[start:end],
            "next_cursor": _encode_cursor(end) if more else None, "has_more": more,
            "type": list_type, list_type: {}, "request_id": str(uuid.uuid4())}


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"darcy:{offset}".encode()).decode()


def _decode_cursor(cursor: Any) -> int:
    try:
        prefix, offset = base64.urlsafe_b64decode(str(cursor).encode()).decode().split(":")
        if prefix == "darcy" and int(offset) >= 0:
            return int(offset)
    except ValueError:
        pass
    raise invalid(f"start_cursor should be a cursor returned by a previous request, "
                  f"instead was `{cursor!r}`.")


async def _body(request: web.Request, *, required: bool = True) -> JSON:
    text = await request.text()
    if not text.strip():
        if required:
            raise invalid("body failed validation: body should be an object.")
        return {}
    try:
        body = json.loads(text)
    except ValueError:
        raise ApiError(400, "invalid_json", "Error parsing JSON body.") from None
    if not isinstance(body, dict):
        raise invalid("body failed validation: body should be an object.")
    return body


def _now() -> str:
    """Notion reports times to the minute."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:00.000Z")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly `application/json`, no charset parameter: the body is UTF-8 bytes.
    return web.Response(body=json.dumps(data).encode(), status=status,
                        content_type="application/json", headers=headers)
