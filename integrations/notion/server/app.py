"""A Notion-compatible HTTP server on loopback: the embedded workspace and the test double.

It speaks the slice of Notion API 2025-09-03 that Darcy uses, with the same JSON
shapes, headers and error objects, so the real `notion_client.AsyncClient` talks to
it unchanged (nothing ever reaches api.notion.com in tests or the demo). State lives
in memory, seeded by `integrations.notion.seed.workspace_state`.

Tests can slow it down (`latency`), make it fail (`fail_next`, `rate_limit_storm`,
`lose_next_answer`), hide objects as an unshared page would be hidden (`unshare`),
withdraw a capability (`restrict`), put groups and other people in people values
(`add_person`, `add_group`, `add_bot`, `set_people`), and read what it was asked
(`request_log`, `requests`).

Reference: https://developers.notion.com/reference/intro (each handler cites its page).
Filters and sorts live in filters.py, property values in values.py,
the wire helpers (errors, lists, cursors) in protocol.py.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from integrations.notion.seed import (
    JSON,
    SeedState,
    bot_user,
    group_object,
    new_page,
    person_user,
    plain_text,
    property_value,
    stable_id,
    workspace_state,
)
from integrations.notion.server.faults import Fault, Faults
from integrations.notion.server.filters import compile_filter, compile_sorts, plain_value, sorted_empty_last
from integrations.notion.server.protocol import (
    ApiError,
    check_keys,
    decode_cursor,
    encode_cursor,
    invalid,
    json_response,
    not_found,
    now_iso,
    page_size,
    paginate,
    path_uuid,
    read_body,
    should,
)
from integrations.notion.server.values import PropertyValues, rich_text_items
from integrations.notion.server.webhooks import WebhookSender

# Body keys each endpoint accepts (the reference page of each handler lists them).
QUERY_KEYS = ("sorts", "filter", "start_cursor", "page_size", "archived", "in_trash", "result_type")
CREATE_PAGE_KEYS = ("parent", "properties", "icon", "cover", "children", "content", "markdown",
                    "template", "position")
UPDATE_PAGE_KEYS = ("properties", "icon", "cover", "is_locked", "template", "erase_content",
                    "archived", "in_trash")
INTEGRATION_NAME = "Darcy"  # the connection's name, as a comment without a display name shows it
COMMENT_KEYS = ("parent", "rich_text", "discussion_id", "attachments", "display_name", "markdown")
# "Page properties are limited to up to 25 references per page property": a page object shows
# the first 25 people or related pages; a relation then says has_more (people say nothing).
# https://developers.notion.com/reference/retrieve-a-page#limits and
# https://developers.notion.com/reference/page-property-values#relation
MAX_REFERENCES = 25
PAGINATED_ITEMS = ("title", "rich_text", "people", "relation")


@dataclass(frozen=True)
class LoggedRequest:
    at: float  # time.monotonic() when it arrived
    method: str
    path: str
    body: str


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
        self.request_log: list[tuple[str, str]] = []  # (method, path), in arrival order
        self.requests: list[LoggedRequest] = []  # the same, with times and bodies
        self.latency: float = 0.0
        self.faults = Faults()
        self.hidden: set[str] = set()  # objects not shared with the integration
        self.restricted: set[str] = set()  # withdrawn capabilities: "users"
        self.signin_page_id = self.state.signin_page_id
        # Who a comment's mention notified: {"user_id", "page_id", "comment_id", "text"}.
        self.notifications: list[JSON] = []
        self._values = PropertyValues(self.state)
        self._runner: web.AppRunner | None = None
        self.webhooks = WebhookSender()  # subscribe(url, token) to get page events

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
        app.router.add_get("/v1/pages/{page_id}/properties/{property_id}", self._get_property_item)
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

    # ---- trouble, for tests ----------------------------------------------------------

    def fail_next(self, status: int, code: str, times: int = 1, *,
                  methods: Iterable[str] | None = None, path: str | None = None,
                  retry_after: float | None = None) -> None:
        """Answer the next `times` matching requests with this error, before doing anything
        (an outage, a 429…)."""
        self.faults.add(Fault(status, code, times, _methods(methods), path,
                              retry_after=retry_after if status in (429, 529) else None))

    def rate_limit_storm(self, times: int, *, retry_after: float = 0.1,
                         methods: Iterable[str] | None = None, path: str | None = None) -> None:
        """The next `times` requests get 429 rate_limited with this Retry-After."""
        self.fail_next(429, "rate_limited", times, methods=methods, path=path, retry_after=retry_after)

    def lose_next_answer(self, times: int = 1, *, methods: Iterable[str] | None = ("POST",),
                         path: str | None = "/v1/pages", status: int = 504,
                         code: str = "gateway_timeout", drop: bool = False, delay: float = 0.0) -> None:
        """Carry out the next matching requests (a create lands), then lose the answer:
        an error status, a dropped connection (`drop`), or a late answer (`delay`)."""
        self.faults.add(Fault(status, code, times, _methods(methods), path, after=True,
                              drop=drop, delay=delay))

    def unshare(self, object_id: str) -> None:
        """Hide a database, data source or page as if the integration had no access: Notion
        then answers 404 object_not_found, exactly as for a missing object."""
        self.hidden.add(object_id)

    def restrict(self, capability: str) -> None:
        """Withdraw a capability → 403 restricted_resource: "users" (read user information),
        "comments_read" (read comments), "comments_insert" (insert comments)."""
        self.restricted.add(capability)

    # ---- state, for tests ------------------------------------------------------------

    def tasks(self) -> list[JSON]:
        """Every page of the Tasks data source as a plain row, trashed ones included."""
        return [self._task_row(page) for page in self.state.pages.values()
                if page["parent"].get("data_source_id") == self.tasks_data_source_id]

    def task_by_title(self, title: str) -> JSON | None:
        rows = [row for row in self.tasks() if row["title"] == title]
        rows.sort(key=lambda row: row["in_trash"])  # a live page before a trashed namesake
        return rows[0] if rows else None

    def rows(self, data_source_id: str | None = None) -> list[JSON]:
        """Pages of a data source (default: tasks) as {property name: plain value}, plus
        "id", "in_trash" and "created_time": for schemas other than the demo's."""
        source = data_source_id or self.tasks_data_source_id
        return [{"id": page["id"], "in_trash": page["in_trash"], "created_time": page["created_time"],
                 **{name: plain_value(value) for name, value in page["properties"].items()}}
                for page in self.state.pages.values() if page["parent"].get("data_source_id") == source]

    def comments(self, page_id: str) -> list[str]:
        return [plain_text(c["rich_text"]) for c in self.state.comments.get(page_id, [])]

    def comment_names(self, page_id: str) -> list[str]:
        """Who each comment shows as (its display name)."""
        return [c["display_name"]["resolved_name"] for c in self.state.comments.get(page_id, [])]

    def rename_property(self, data_source_id: str, old: str, new: str) -> None:
        """Rename a property as someone editing the board in Notion would."""
        properties = self.state.data_sources[data_source_id]["properties"]
        prop = properties.pop(old)
        prop["name"] = new
        properties[new] = prop
        for page in self.state.pages.values():
            if page["parent"].get("data_source_id") == data_source_id:
                page["properties"][new] = page["properties"].pop(old)

    def add_person(self, name: str, email: str | None = None) -> str:
        """A workspace member who is in no seed file; returns the user id."""
        user_id = stable_id("user", "added", name)
        self.state.users[user_id] = person_user(user_id, name, email)
        return user_id

    def add_bot(self, name: str) -> str:
        """Another integration's bot user (people properties can hold bots)."""
        bot_id = stable_id("user", "bot", name)
        self.state.users[bot_id] = bot_user(bot_id, name)
        return bot_id

    def add_group(self, name: str) -> str:
        """A group of people (a people property can hold one, as a group object)."""
        group_id = stable_id("group", name)
        self.state.groups[group_id] = group_object(group_id, name)
        return group_id

    def set_people(self, page_id: str, prop: str, ids: list[str]) -> None:
        """Set a people property as someone in Notion would: users (people, bots) and groups."""
        page = self.state.pages[page_id]
        data_source = self.state.data_sources[page["parent"].get("data_source_id")]
        page["properties"][prop] = property_value(self.state, data_source,
                                                  data_source["properties"][prop], ids)

    def people(self, page_id: str, prop: str) -> list[JSON]:
        """A people value as stored (every entry, not only the first 25): object, id, type."""
        return [{k: entry[k] for k in ("object", "id", "type") if k in entry}
                for entry in self.state.pages[page_id]["properties"][prop]["people"]]

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
        body = await request.text() if request.can_read_body else ""
        self.requests.append(LoggedRequest(time.monotonic(), request.method, request.path, body))
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = self.faults.take(request)
        try:
            if fault is not None and not fault.after:
                await self._fire(fault, request)
            self._check_headers(request)
            response: web.StreamResponse = await handler(request)
            if fault is not None and fault.after:
                await self._fire(fault, request)
            return response
        except ApiError as error:
            return json_response(error.body(), error.status, error.headers)
        except web.HTTPMethodNotAllowed:
            return json_response(ApiError(400, "invalid_request",
                                          f"Unsupported request: {request.method} {request.path}.")
                                 .body(), 400)
        except web.HTTPNotFound:
            return json_response(ApiError(400, "invalid_request_url", "Invalid request URL.").body(), 400)

    async def _fire(self, fault: Fault, request: web.Request) -> None:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.drop and request.transport is not None:
            request.transport.close()  # the client sees the connection end without an answer
        headers = None
        if fault.status in (429, 529):
            # https://developers.notion.com/reference/request-limits: "Connections should handle
            # HTTP 429 and 529 responses and respect the Retry-After response header" (whole
            # seconds from Notion; tests may use fractions to stay fast). A 529 is
            # service_overload.
            headers = {"Retry-After": f"{fault.retry_after or 0:g}"}
        raise ApiError(fault.status, fault.code, f"Injected failure ({fault.code}).", headers=headers)

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
    # → {"object": "list", "results": [user…], "next_cursor", "has_more", "type": "user", "user": {}}
    async def _list_users(self, request: web.Request) -> web.Response:
        self._require("users")
        size = page_size(request.query.get("page_size"))
        users = list(self.state.users.values())
        return json_response(paginate(users, request.query.get("start_cursor"), size, "user"))

    # https://developers.notion.com/reference/get-self → the bot user
    async def _get_me(self, request: web.Request) -> web.Response:
        return json_response(self.state.users[self.state.bot_id])

    # https://developers.notion.com/reference/get-user
    async def _get_user(self, request: web.Request) -> web.Response:
        self._require("users")
        user_id = path_uuid(request.match_info["user_id"], "user_id")
        if user_id not in self.state.users:
            raise self._not_found("user", user_id)
        return json_response(self.state.users[user_id])

    def _not_found(self, kind: str, object_id: str) -> ApiError:
        bot = self.state.users[self.state.bot_id]
        return not_found(kind, object_id, integration_id=bot["id"], integration_name=bot["name"])

    def _require(self, capability: str) -> None:
        # https://developers.notion.com/reference/capabilities
        if capability in self.restricted:
            raise ApiError(403, "restricted_resource", "Insufficient permissions for this endpoint.")

    # ---- databases and data sources --------------------------------------------------

    # https://developers.notion.com/reference/database-retrieve → a database with its data_sources
    async def _get_database(self, request: web.Request) -> web.Response:
        database_id = path_uuid(request.match_info["database_id"], "database_id")
        if database_id not in self.state.databases or database_id in self.hidden:
            raise self._not_found("database", database_id)
        return json_response(self.state.databases[database_id])

    # https://developers.notion.com/reference/retrieve-a-data-source → schema in "properties"
    async def _get_data_source(self, request: web.Request) -> web.Response:
        return json_response(self._data_source(request.match_info["data_source_id"]))

    # https://developers.notion.com/reference/query-a-data-source
    # https://developers.notion.com/reference/filter-data-source-entries
    # https://developers.notion.com/reference/sort-data-source-entries
    # → a list object of pages, "type": "page_or_data_source"
    async def _query(self, request: web.Request) -> web.Response:
        data_source = self._data_source(request.match_info["data_source_id"])
        body = await read_body(request, required=False)
        check_keys(body, QUERY_KEYS)
        schema = data_source["properties"]
        matches = compile_filter(body["filter"], schema) if body.get("filter") else None
        sorts = compile_sorts(body.get("sorts") or [], schema)
        want_trash = bool(body.get("in_trash") or body.get("archived"))
        pages = [page for page in self.state.pages.values()
                 if page["parent"].get("data_source_id") == data_source["id"]
                 and page["in_trash"] == want_trash and page["id"] not in self.hidden
                 and (matches is None or matches(page))]
        for key, descending in reversed(sorts):
            pages = sorted_empty_last(pages, key, descending)
        size = page_size(body.get("page_size"))
        listed = paginate(pages, body.get("start_cursor"), size, "page_or_data_source")
        listed["results"] = [_shown(page) for page in listed["results"]]
        return json_response(listed)

    def _data_source(self, raw_id: str) -> JSON:
        data_source_id = path_uuid(raw_id, "data_source_id")
        if data_source_id not in self.state.data_sources or data_source_id in self.hidden:
            raise self._not_found("data_source", data_source_id)
        return self.state.data_sources[data_source_id]

    # ---- pages -----------------------------------------------------------------------

    # https://developers.notion.com/reference/post-page → the new page object
    async def _create_page(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        check_keys(body, CREATE_PAGE_KEYS)
        data_source = self._parent_data_source(body.get("parent"))
        properties = {prop["name"]: property_value(self.state, data_source, prop, None)
                      for prop in data_source["properties"].values()}
        properties.update(self._values.encode(data_source, body.get("properties", {})))
        page = new_page(self.state.bot_id, str(uuid.uuid4()), data_source, properties, now_iso())
        self.state.pages[page["id"]] = page
        self.webhooks.page_event("page.created", page, self.state.bot_id)
        return json_response(_shown(page))

    # https://developers.notion.com/reference/retrieve-a-page → a page object
    async def _get_page(self, request: web.Request) -> web.Response:
        return json_response(_shown(self._page(request.match_info["page_id"])))

    # https://developers.notion.com/reference/patch-page → the updated page object
    async def _update_page(self, request: web.Request) -> web.Response:
        page = self._page(request.match_info["page_id"])
        body = await read_body(request)
        check_keys(body, UPDATE_PAGE_KEYS)
        trash = body.get("in_trash", body.get("archived"))
        if trash is not None and not isinstance(trash, bool):
            raise invalid("body failed validation: body.in_trash should be a boolean.")
        if body.get("properties"):
            if page["in_trash"] and trash is not False:
                raise invalid("Can't edit block that is archived. You must unarchive the "
                              "block before editing.")
            data_source = self.state.data_sources.get(page["parent"].get("data_source_id") or "")
            if data_source is None:  # a page outside any data source: only its title (unsupported here)
                raise invalid("body failed validation: only pages of a data source can be edited here.")
            page["properties"].update(self._values.encode(data_source, body["properties"]))
        was_trashed = page["in_trash"]
        if trash is not None:
            page["in_trash"] = page["archived"] = trash
        page["last_edited_time"] = now_iso()
        kind = ("page.deleted" if page["in_trash"] and not was_trashed
                else "page.undeleted" if was_trashed and not page["in_trash"] else "page.properties_updated")
        self.webhooks.page_event(kind, page, self.state.bot_id)
        return json_response(_shown(page))

    def _page(self, raw_id: str) -> JSON:
        page_id = path_uuid(raw_id, "page_id")
        page = self.state.pages.get(page_id)
        if page is None or page_id in self.hidden or page["parent"].get("data_source_id") in self.hidden:
            raise self._not_found("page", page_id)
        return page

    # https://developers.notion.com/reference/retrieve-a-page-property → one property_item, or
    # for title, rich_text, people and relation a paginated list of them. The list's shape is
    # the recorded one (ramnes/notion-sdk-py tests/cassettes/test_pages_properties_retrieve.yaml):
    # {"object": "list", "results": [{"object": "property_item", "type", "id", type: item}…],
    #  "next_cursor", "has_more", "type": "property_item",
    #  "property_item": {"id", "next_url", "type", type: {}}, "request_id"}
    async def _get_property_item(self, request: web.Request) -> web.Response:
        page = self._page(request.match_info["page_id"])
        wanted = unquote(request.match_info["property_id"])
        value = next((v for v in page["properties"].values() if unquote(v["id"]) == wanted), None)
        if value is None:
            raise self._not_found("property", wanted)
        kind, prop_id = value["type"], value["id"]
        if kind not in PAGINATED_ITEMS:
            return json_response({"object": "property_item", "id": prop_id, "type": kind,
                                  kind: value[kind]})
        items = value[kind] or []
        if kind == "relation":
            items = [{"id": related["id"]} for related in items]
        size = page_size(request.query.get("page_size"))
        cursor = request.query.get("start_cursor")
        start = decode_cursor(cursor) if cursor else 0
        more = start + size < len(items)
        next_cursor = encode_cursor(start + size) if more else None
        next_url = (f"{self.base_url}/v1/pages/{page['id']}/properties/{prop_id}"
                    f"?start_cursor={next_cursor}" if more else None)
        return json_response({
            "object": "list",
            "results": [{"object": "property_item", "type": kind, "id": prop_id, kind: item}
                        for item in items[start:start + size]],
            "next_cursor": next_cursor, "has_more": more, "type": "property_item",
            "property_item": {"id": prop_id, "next_url": next_url, "type": kind, kind: {}},
        })

    def _parent_data_source(self, parent: Any) -> JSON:
        """A data_source_id parent; a database_id parent works when it has one data source."""
        if not isinstance(parent, dict):
            raise should("body.parent", "an object", parent)
        if "data_source_id" in parent:
            return self._data_source(str(parent["data_source_id"]))
        if "database_id" in parent:
            database_id = path_uuid(str(parent["database_id"]), "database_id")
            if database_id not in self.state.databases or database_id in self.hidden:
                raise self._not_found("database", database_id)
            sources = self.state.databases[database_id]["data_sources"]
            if len(sources) != 1:
                raise invalid("Database has several data sources: use a data_source_id parent.")
            return self._data_source(sources[0]["id"])
        raise invalid("body failed validation: body.parent should be a data_source_id or database_id parent.")

    # ---- comments --------------------------------------------------------------------

    # https://developers.notion.com/reference/create-a-comment → a comment object
    async def _create_comment(self, request: web.Request) -> web.Response:
        # Without "Insert comments" Notion answers 403 restricted_resource "Insufficient
        # permissions for this endpoint." (https://developers.notion.com/guides/data-apis/
        # working-with-comments; the message as reported in pipedream.com/community/t/11433).
        # Checked before the body here; Notion's order of the two checks is unverified.
        self._require("comments_insert")
        body = await read_body(request)
        check_keys(body, COMMENT_KEYS)
        parent = body.get("parent")
        if not isinstance(parent, dict) or "page_id" not in parent:
            raise should("body.parent.page_id", "defined", None)
        page = self._page(str(parent["page_id"]))
        items = rich_text_items(body.get("rich_text"), "body.rich_text", self.state.users)
        if not items:
            raise invalid("body failed validation: body.rich_text should not be empty.")
        when = now_iso()
        thread = self.state.comments.setdefault(page["id"], [])
        comment = {
            "object": "comment", "id": str(uuid.uuid4()),
            "parent": {"type": "page_id", "page_id": page["id"]},
            "discussion_id": thread[0]["discussion_id"] if thread else str(uuid.uuid4()),
            "created_time": when, "last_edited_time": when,
            "created_by": {"object": "user", "id": self.state.bot_id}, "rich_text": items,
            "display_name": self._display_name(body.get("display_name")),
        }
        thread.append(comment)
        # Notion notifies the people a comment mentions (in their inbox, and by e-mail or push
        # as their settings say); here each mention is recorded instead.
        for item in items:
            if item["type"] == "mention":
                self.notifications.append({"user_id": item["mention"]["user"]["id"], "page_id": page["id"],
                                           "comment_id": comment["id"], "text": plain_text(items)})
        return json_response(comment)

    # https://developers.notion.com/reference/comment-display-name: who the comment shows as
    def _display_name(self, given: Any) -> JSON:
        if given is None:
            return {"type": "integration", "resolved_name": INTEGRATION_NAME}
        if not isinstance(given, dict) or given.get("type") not in ("integration", "user", "custom"):
            raise should("body.display_name.type", '"integration", "user", or "custom"', given)
        if given["type"] != "custom":
            return {"type": given["type"], "resolved_name": INTEGRATION_NAME}
        name = (given.get("custom") or {}).get("name")
        if not isinstance(name, str) or not name.strip():
            raise should("body.display_name.custom.name", "a non-empty string", name)
        return {"type": "custom", "resolved_name": name}

    # https://developers.notion.com/reference/list-comments
    # → a list object, "type": "comment", oldest first
    async def _list_comments(self, request: web.Request) -> web.Response:
        self._require("comments_read")  # "Read comments" capability, as above
        raw_id = request.query.get("block_id")
        if not raw_id:
            raise should("query.block_id", "defined", None)
        page = self._page(raw_id)
        size = page_size(request.query.get("page_size"))
        comments = self.state.comments.get(page["id"], [])
        return json_response(paginate(comments, request.query.get("start_cursor"), size, "comment"))


def _methods(methods: Iterable[str] | None) -> frozenset[str] | None:
    return frozenset(m.upper() for m in methods) if methods is not None else None


def _shown(page: JSON) -> JSON:
    """A page as an answer shows it: people and relations cut at 25 references, a cut relation
    marked has_more (the stored page keeps them all; the property-item endpoint lists them)."""
    properties = {}
    for name, value in page["properties"].items():
        kind = value["type"]
        if kind in ("people", "relation"):
            items = value[kind] or []
            value = {**value, kind: items[:MAX_REFERENCES]}
            if kind == "relation":
                value["has_more"] = len(items) > MAX_REFERENCES
        properties[name] = value
    return {**page, "properties": properties}
