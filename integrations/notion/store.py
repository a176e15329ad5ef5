"""`NotionTaskStore`: the `core.ports.TaskStore` over the official `notion-client`.

Everything Notion-specific stays in this package: the board's schema comes from
`NotionSettings` through `mapping.py` (a club renames "In Charge" or keeps its status
in a select in its config, not in code), every request passes one process-wide rate
limiter (`limiter.py`), retries follow one policy (`retry.py`), users and projects are
cached (`cache.py`), and every failure becomes a `StoreError` whose message says, for a
person, what failed and why (`errors.py`).

`calls` counts the HTTP requests this store has sent, retries included.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from notion_client import AsyncClient

from core.config import NotionSettings, notion_id
from core.domain import NewTask, Project, Task, TaskChanges, TaskComment, TaskQuery
from integrations.notion.cache import TTLCache
from integrations.notion.errors import NotionStoreError, store_error
from integrations.notion.limiter import LimitedTransport, shared_bucket
from integrations.notion.mapping import ProjectMapping, TaskMapping, rich_text
from integrations.notion.mapping import text as plain
from integrations.notion.retry import RetryPolicy
from integrations.notion.server import NotionEmulator

__all__ = ["NotionStoreError", "NotionTaskStore", "start_embedded"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
JSON = dict[str, Any]
PAGE_SIZE = 100  # Notion's maximum
# Notion stamps created_time to the minute: look back far enough to see a page created
# by an attempt that started just before a minute boundary.
CREATED_SLACK = timedelta(minutes=2)


class NotionTaskStore:
    """Tasks and projects in two Notion data sources, read and written through notion-client."""

    def __init__(
        self,
        client: AsyncClient,
        settings: NotionSettings,
        *,
        tasks_data_source_id: str,
        projects_data_source_id: str,
        transport: LimitedTransport | None = None,
        timezone: str | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        # Compared with the parent Notion names in its answers, which is always dashed.
        self.tasks_data_source_id = notion_id(tasks_data_source_id)
        self.projects_data_source_id = notion_id(projects_data_source_id)
        self.mapping = TaskMapping(settings.tasks, timezone)
        self.projects_mapping = ProjectMapping(settings.projects, settings.tasks)
        self.retry = RetryPolicy.from_settings(settings)
        self.cache = TTLCache(settings.cache_seconds)
        self._transport = transport

    @property
    def calls(self) -> int:
        """HTTP requests sent to Notion by this store so far (retries included)."""
        return self._transport.calls if self._transport is not None else 0

    @classmethod
    def connect(
        cls,
        settings: NotionSettings,
        *,
        base_url: str,
        token: str,
        tasks_data_source_id: str,
        projects_data_source_id: str,
        rate_limit: bool = True,
        timezone: str | None = None,
    ) -> NotionTaskStore:
        """Build the client over a transport that waits for the integration's shared rate
        limiter and counts requests. notion-client's own retries are off: `retry.py` decides.
        Our logger, because notion-client otherwise adds a console handler per client.
        `timezone` is the workspace's, for due dates with a time."""
        bucket = (
            shared_bucket(base_url, token, settings.requests_per_second, settings.burst)
            if rate_limit
            else None
        )
        transport = LimitedTransport(bucket)
        client = AsyncClient(
            auth=token,
            base_url=base_url.rstrip("/"),
            logger=logger,
            # The client calls logger.setLevel(log_level); NOTSET keeps ours following
            # whatever the application configured.
            log_level=logging.NOTSET,
            timeout_ms=int(settings.timeout_seconds * 1000),
            retry=False,
            client=httpx.AsyncClient(transport=transport),
        )
        return cls(
            client,
            settings,
            tasks_data_source_id=tasks_data_source_id,
            projects_data_source_id=projects_data_source_id,
            transport=transport,
            timezone=timezone,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    def invalidate(self) -> None:
        """Forget cached users and projects (an admin changed them in Notion)."""
        self.cache.invalidate()

    # ---- reads -----------------------------------------------------------------------

    async def list_users(self) -> list[tuple[str, str, str | None]]:
        """Person users only: bots cannot be assigned or linked. Cached."""
        return list(await self.cache.get("users", self._load_users))

    async def _load_users(self) -> list[tuple[str, str, str | None]]:
        users = await self._collect(
            "list the Notion users",
            lambda cursor: self.client.users.list(page_size=PAGE_SIZE, start_cursor=cursor),
        )
        return [
            (u["id"], u.get("name") or "", (u.get("person") or {}).get("email"))
            for u in users
            if u.get("type") == "person"
        ]

    async def list_projects(self) -> list[Project]:
        """Cached; from the projects data source, or the options of the tasks' project select."""
        return list(await self.cache.get("projects", self._load_projects))

    async def _load_projects(self) -> list[Project]:
        if self.projects_mapping.from_select:
            schema = await self._read(
                "read the tasks' projects",
                lambda: self.client.data_sources.retrieve(data_source_id=self.tasks_data_source_id),
            )
            return self.projects_mapping.select_projects(schema)
        pages = await self._collect(
            "list the projects",
            lambda cursor: self.client.data_sources.query(
                data_source_id=self.projects_data_source_id, page_size=PAGE_SIZE, start_cursor=cursor
            ),
        )
        return [self.projects_mapping.project(page) for page in pages]

    async def list_tasks(self, query: TaskQuery) -> list[Task]:
        """One filtered query (paginated), soonest due date first."""
        if self.mapping.matches_nothing(query):
            return []  # no status can match an empty set; nothing to ask Notion
        pages = await self._query_tasks("list tasks", self.mapping.filter(query), self.mapping.sorts())
        return [self.mapping.task(await self._complete(page)) for page in pages]

    async def edited_since(
        self, since: str | None, *, trash: bool = False,
        on_page: Callable[[list[tuple[Task, str]]], Awaitable[None]] | None = None,
    ) -> list[tuple[Task, str]]:
        """Pages of the board edited on or after `since` (every page when None), oldest edit
        first, each with its last_edited_time: what the task index follows (issue #19).
        `trash` asks for the trashed pages instead (a query never returns both). `on_page`
        sees each page of 100 as it arrives: a first sync of a big board logs its progress
        and saves as it goes."""
        extra: JSON = {"sorts": [{"timestamp": "last_edited_time", "direction": "ascending"}]}
        if since:
            extra["filter"] = {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": since}}
        if trash:
            extra["in_trash"] = True
        found: list[tuple[Task, str]] = []
        cursor: str | None = None
        while True:
            response = await self._read("follow the board", lambda c=cursor: self._page_of_board(c, extra))
            batch = [(self.mapping.task(await self._complete(page)), str(page.get("last_edited_time") or ""))
                     for page in response.get("results", [])]
            found.extend(batch)
            if on_page is not None:
                await on_page(batch)
            cursor = response.get("next_cursor")
            if not response.get("has_more") or not cursor:
                return found

    def _page_of_board(self, cursor: str | None, extra: JSON) -> Awaitable[Any]:
        return self.client.data_sources.query(  # type: ignore[return-value]
            data_source_id=self.tasks_data_source_id, page_size=PAGE_SIZE, start_cursor=cursor, **extra
        )

    async def task_ids(self) -> set[str]:
        """The id of every live page of the board (a sweep: pages moved elsewhere leave the index).
        Only the title comes back with each page (`filter_properties`), to keep the answers small."""
        title_id = await self._title_property_id()
        pages = await self._collect("list the board's pages", lambda cursor: self.client.data_sources.query(
            data_source_id=self.tasks_data_source_id, page_size=PAGE_SIZE, start_cursor=cursor,
            **({"filter_properties": [title_id]} if title_id else {})))
        return {page["id"] for page in pages}

    async def _title_property_id(self) -> str | None:
        board = self.tasks_data_source_id
        schema = await self.cache.get("tasks schema", lambda: self._read(
            "read the task board", lambda: self.client.data_sources.retrieve(data_source_id=board)))
        props = (schema.get("properties") or {}).values()
        return next((p.get("id") for p in props if p.get("type") == "title"), None)

    async def get_task(self, task_id: str) -> Task:
        return self.mapping.task(await self._task_page(task_id))

    async def _task_page(self, task_id: str) -> JSON:
        """The task's page, with every person and related page (see `_complete`)."""
        task_id = notion_id(task_id)
        page = await self._read("read the task", lambda: self.client.pages.retrieve(page_id=task_id))
        if notion_id(page.get("parent", {}).get("data_source_id") or "") != self.tasks_data_source_id:
            raise NotionStoreError(
                f"Could not read the task: {task_id} is not a task.", code="object_not_found", status=404
            )
        if page.get("in_trash") or page.get("archived"):
            raise NotionStoreError(
                "Could not read the task: it is in Notion's trash.", code="object_not_found", status=404
            )
        return await self._complete(page)

    async def list_comments(self, task_id: str) -> list[TaskComment]:
        """The task's comments, oldest first (every page of them)."""
        comments = await self._collect(
            "list the comments",
            lambda cursor: self.client.comments.list(
                block_id=task_id, page_size=PAGE_SIZE, start_cursor=cursor
            ),
        )
        return [
            TaskComment(
                id=c["id"],
                text=plain(c.get("rich_text")),
                author=(c.get("display_name") or {}).get("resolved_name"),
                author_id=(c.get("created_by") or {}).get("id"),
                created_time=c.get("created_time", ""),
            )
            for c in comments
        ]

    # ---- writes ----------------------------------------------------------------------

    async def create_task(self, task: NewTask) -> Task:
        """Create the page once. After a timeout or a 5xx the page may exist anyway, so the
        store looks for it before sending again (see `_created_by`)."""
        properties = self.mapping.new_task(task)
        since = datetime.now(UTC) - CREATED_SLACK

        def send() -> Awaitable[Any]:
            return self.client.pages.create(
                parent={"type": "data_source_id", "data_source_id": self.tasks_data_source_id},
                properties=properties,
            )

        created = self.retry.create(send, lambda: self._created_by(task, since))
        page = await self._call("create the task", created)
        if task.project_id:
            self._project_written()
        return self.mapping.task(await self._complete(page))

    async def find_created(self, task: NewTask, since: datetime) -> Task | None:
        page = await self._created_by(task, since)
        return None if page is None else self.mapping.task(page)

    async def _created_by(self, task: NewTask, since: datetime) -> JSON | None:
        """The page a lost create made, if any.

        With a `darcy_id` property configured the request id was written on the page, and
        one query finds it exactly. Without one, the candidates are pages with the same
        title created since the attempt began; one counts only if the integration itself
        created it (`created_by` is the bot) and it holds every value the create sent. A
        person creating the same task by hand in that minute is not mistaken for it; two
        identical creates by Darcy in the same two minutes would be (and are one task)."""
        pages = await self._query_tasks(
            "check whether the task was created", self.mapping.created_by_request(task, since), None
        )
        if self.settings.tasks.darcy_id and task.request_id:
            return pages[0] if pages else None
        bot_id = await self._bot_id()
        for page in pages:
            if (page.get("created_by") or {}).get("id") == bot_id:
                page = await self._complete(page)
                if self.mapping.same_task(page, task):
                    return page
        return None

    async def update_task(self, task_id: str, changes: TaskChanges) -> Task:
        """Write only the fields that are set; nothing set means a plain read. Setting values
        is idempotent, so a timeout or 5xx is retried like a read.

        New assignees replace the people value whole, so the page is read first: its groups
        and bots are not assignees and are written back as they were."""
        task_id = notion_id(task_id)
        current = await self._task_page(task_id) if changes.assignee_ids is not None else None
        properties = self.mapping.changes(changes, current)
        if not properties:
            return await self.get_task(task_id)
        page = await self._read(
            "update the task", lambda: self.client.pages.update(page_id=task_id, properties=properties)
        )
        if changes.project_id is not None:
            self._project_written()
        return self.mapping.task(await self._complete(page))

    async def add_comment(self, task_id: str, text: str, author: str | None = None) -> str:
        """Comment once: after a lost answer, the comment is looked for before sending again.
        With `author`, the comment shows as that name (Notion's custom display name), not as
        the integration's."""
        since = datetime.now(UTC) - CREATED_SLACK
        shown = {"display_name": {"type": "custom", "custom": {"name": author}}} if author else {}

        def send() -> Awaitable[Any]:
            return self.client.comments.create(
                parent={"page_id": task_id}, rich_text=rich_text(text), **shown
            )

        async def find() -> JSON | None:
            bot_id = await self._bot_id()
            comments = await self._collect(
                "check whether the comment was added",
                lambda cursor: self.client.comments.list(
                    block_id=task_id, page_size=PAGE_SIZE, start_cursor=cursor
                ),
            )
            return next(
                (
                    c
                    for c in reversed(comments)
                    if plain(c.get("rich_text")) == text
                    and (c.get("created_by") or {}).get("id") == bot_id
                    and _after(c.get("created_time"), since)
                ),
                None,
            )

        comment = await self._call("add the comment", self.retry.create(send, find))
        return str(comment["id"])

    async def notify(self, page_id: str, notion_user_id: str, text: str) -> str:
        """A comment mentioning the user ({"type": "mention", "mention": {"type": "user", …}}),
        so Notion notifies them, then `text`. Sent once: a lost answer is not sent again."""
        mention = {"type": "mention", "mention": {"type": "user", "user": {"id": notion_id(notion_user_id)}}}
        comment = await self._call(
            "post the sign-in notice",
            self.client.comments.create(
                parent={"page_id": notion_id(page_id)}, rich_text=[mention, *rich_text(text)]
            ),
        )
        return str(comment["id"])

    async def archive_task(self, task_id: str) -> None:
        await self._read("archive the task", lambda: self.client.pages.update(page_id=task_id, in_trash=True))

    def _project_written(self) -> None:
        """Writing a select value Notion did not know adds an option: a new project."""
        if self.projects_mapping.from_select:
            self.cache.invalidate("projects")

    async def _complete(self, page: JSON) -> JSON:
        """The page with every person and related page of the properties the mapping reads.
        A page object holds at most 25 of them (a relation then says has_more); the rest come
        from the property-item endpoint, a paginated list of property_item objects
        (https://developers.notion.com/reference/retrieve-a-page-property)."""
        truncated = self.mapping.truncated(page)
        if not truncated:
            return page
        properties = dict(page["properties"])
        for name in truncated:
            prop = properties[name]
            kind = prop["type"]
            items = await self._collect(
                f"read every value of “{name}”",
                lambda cursor, prop_id=prop["id"]: self.client.pages.properties.retrieve(
                    page_id=page["id"], property_id=prop_id, page_size=PAGE_SIZE, start_cursor=cursor
                ),
            )
            properties[name] = {**prop, kind: [item[kind] for item in items if kind in item]}
            if kind == "relation":
                properties[name]["has_more"] = False
        return {**page, "properties": properties}

    # ---- calling Notion ----------------------------------------------------------------

    async def _bot_id(self) -> str:
        me = await self.cache.get("me", lambda: self._read("identify the integration", self.client.users.me))
        return str(me["id"])

    async def _query_tasks(self, action: str, filter_: JSON | None, sorts: list[JSON] | None) -> list[JSON]:
        extra: JSON = {}
        if filter_:
            extra["filter"] = filter_
        if sorts:
            extra["sorts"] = sorts
        return await self._collect(
            action,
            lambda cursor: self.client.data_sources.query(
                data_source_id=self.tasks_data_source_id, page_size=PAGE_SIZE, start_cursor=cursor, **extra
            ),
        )

    async def _collect(self, action: str, fetch: Callable[[str | None], Awaitable[Any]]) -> list[JSON]:
        """Follow next_cursor until has_more is false; each page is a read with retries."""
        results: list[JSON] = []
        cursor: str | None = None
        while True:
            response = await self._read(action, lambda c=cursor: fetch(c))  # type: ignore[misc]
            results.extend(response.get("results", []))
            cursor = response.get("next_cursor")
            if not response.get("has_more") or not cursor:
                return results

    async def _read(self, action: str, call: Callable[[], Awaitable[T]]) -> T:
        return await self._call(action, self.retry.read(call))

    async def _call(self, action: str, request: Awaitable[T]) -> T:
        """Await a call; turn any failure into a StoreError saying what failed."""
        try:
            return await request
        except Exception as error:
            translated = store_error(action, error, self.settings.token_env)
            if translated is None or translated is error:
                raise
            raise translated from error


async def start_embedded(
    workspace: dict[str, Any], settings: NotionSettings, *, timezone: str | None = None
) -> tuple[NotionEmulator, NotionTaskStore]:
    """Serve `workspace` on 127.0.0.1 and connect a store to it through the real client.
    No rate limit: the local server has none, and the demo should not wait for one."""
    emulator = NotionEmulator(workspace)
    base_url = await emulator.start()
    store = NotionTaskStore.connect(
        settings,
        base_url=base_url,
        token=emulator.token,
        tasks_data_source_id=emulator.tasks_data_source_id,
        projects_data_source_id=emulator.projects_data_source_id,
        rate_limit=False,
        timezone=timezone or workspace.get("timezone"),
    )
    return emulator, store


def _after(stamp: Any, since: datetime) -> bool:
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) >= since
    except ValueError:
        return False
