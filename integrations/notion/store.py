"""`NotionTaskStore`: the `core.ports.TaskStore` over the official `notion-client`.

Everything Notion-specific stays here: property names come from `NotionSettings`
(a club renames "In Charge" in its config, not in code), Notion's JSON becomes
`core.domain` models, and every client or transport failure becomes a
`StoreError` whose message says, for a person, what failed and why.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

import httpx
from notion_client import AsyncClient, RetryOptions
from notion_client.errors import (
    APIResponseError,
    HTTPResponseError,
    InvalidPathParameterError,
    RequestTimeoutError,
)

from core.config import NotionSettings
from core.domain import NewTask, Project, Task, TaskChanges, TaskQuery
from core.ports import StoreError
from integrations.notion.server import NotionEmulator

logger = logging.getLogger(__name__)

T = TypeVar("T")
JSON = dict[str, Any]
PAGE_SIZE = 100  # Notion's maximum
MAX_TEXT = 2000  # Notion's limit for one rich-text item

_REASONS = {
    "unauthorized": "Notion refused the integration token (unauthorized)",
    "restricted_resource": "the integration has no access to it in Notion (restricted_resource); "
    "share the databases with the integration",
    "object_not_found": "Notion could not find it (object_not_found); it may have been deleted "
    "or not shared with the integration",
    "rate_limited": "Notion is rate limiting requests (rate_limited); try again in a minute",
    "conflict_error": "Notion reported a conflicting edit (conflict_error); try again",
    "internal_server_error": "Notion had an internal error (internal_server_error); try again later",
    "service_unavailable": "Notion is unavailable (service_unavailable); try again later",
    "gateway_timeout": "Notion timed out (gateway_timeout); try again later",
}


class NotionStoreError(StoreError):
    """A StoreError raised from Notion's answers (its code and HTTP status kept)."""


class NotionTaskStore:
    """Tasks and projects in two Notion data sources, read and written through notion-client."""

    def __init__(
        self,
        client: AsyncClient,
        settings: NotionSettings,
        *,
        tasks_data_source_id: str,
        projects_data_source_id: str,
    ) -> None:
        self.client = client
        self.settings = settings
        self.tasks_data_source_id = tasks_data_source_id
        self.projects_data_source_id = projects_data_source_id

    @classmethod
    def connect(
        cls,
        settings: NotionSettings,
        *,
        base_url: str,
        token: str,
        tasks_data_source_id: str,
        projects_data_source_id: str,
        retry: RetryOptions | bool | None = None,
    ) -> NotionTaskStore:
        """Build the client: our logger (notion-client otherwise adds a console handler per
        client), the configured timeout, and the client's own 429 retries."""
        client = AsyncClient(
            auth=token,
            base_url=base_url.rstrip("/"),
            logger=logger,
            # The client calls logger.setLevel(log_level); NOTSET keeps ours following
            # whatever the application configured.
            log_level=logging.NOTSET,
            timeout_ms=int(settings.timeout_seconds * 1000),
            retry=RetryOptions() if retry is None else retry,
        )
        return cls(
            client,
            settings,
            tasks_data_source_id=tasks_data_source_id,
            projects_data_source_id=projects_data_source_id,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    # ---- reads -----------------------------------------------------------------------

    async def list_users(self) -> list[tuple[str, str, str | None]]:
        """Person users only: bots cannot be assigned or linked."""
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
        pages = await self._collect(
            "list the projects",
            lambda cursor: self.client.data_sources.query(
                data_source_id=self.projects_data_source_id, page_size=PAGE_SIZE, start_cursor=cursor
            ),
        )
        return [self._project(page) for page in pages]

    async def list_tasks(self, query: TaskQuery) -> list[Task]:
        """One filtered query (paginated), soonest due date first."""
        if query.statuses is not None and not query.statuses:
            return []  # no status can match an empty set; nothing to ask Notion
        filter_ = self._task_filter(query)
        sorts = [{"property": self.settings.tasks.due, "direction": "ascending"}]

        def fetch(cursor: str | None) -> Awaitable[Any]:
            extra = {"filter": filter_} if filter_ else {}
            return self.client.data_sources.query(
                data_source_id=self.tasks_data_source_id,
                sorts=sorts,
                page_size=PAGE_SIZE,
                start_cursor=cursor,
                **extra,
            )

        return [self._task(page) for page in await self._collect("list tasks", fetch)]

    async def get_task(self, task_id: str) -> Task:
        page = await self._call("read the task", self.client.pages.retrieve(page_id=task_id))
        if page.get("parent", {}).get("data_source_id") != self.tasks_data_source_id:
            raise NotionStoreError(
                f"Could not read the task: {task_id} is not a task.", code="object_not_found", status=404
            )
        if page.get("in_trash") or page.get("archived"):
            raise NotionStoreError(
                "Could not read the task: it is in Notion's trash.", code="object_not_found", status=404
            )
        return self._task(page)

    # ---- writes ----------------------------------------------------------------------

    async def create_task(self, task: NewTask) -> Task:
        props = self.settings.tasks
        properties: JSON = {
            props.title: {"title": _rich_text(task.title)},
            props.status: {"status": {"name": task.status or props.default_status}},
        }
        if task.assignee_ids:
            properties[props.assignees] = _people(task.assignee_ids)
        if task.project_id:
            properties[props.project] = _relation([task.project_id])
        if task.due:
            properties[props.due] = _date(task.due)
        if task.description:
            properties[props.description] = {"rich_text": _rich_text(task.description)}
        page = await self._call(
            "create the task",
            self.client.pages.create(
                parent={"type": "data_source_id", "data_source_id": self.tasks_data_source_id},
                properties=properties,
            ),
        )
        return self._task(page)

    async def update_task(self, task_id: str, changes: TaskChanges) -> Task:
        """Write only the fields that are set; nothing set means a plain read."""
        props = self.settings.tasks
        properties: JSON = {}
        if changes.title is not None:
            properties[props.title] = {"title": _rich_text(changes.title)}
        if changes.status is not None:
            properties[props.status] = {"status": {"name": changes.status}}
        if changes.assignee_ids is not None:
            properties[props.assignees] = _people(changes.assignee_ids)
        if changes.project_id is not None:
            properties[props.project] = _relation([changes.project_id])
        if changes.due is not None:
            properties[props.due] = _date(changes.due)
        if changes.description is not None:
            properties[props.description] = {"rich_text": _rich_text(changes.description)}
        if not properties:
            return await self.get_task(task_id)
        page = await self._call(
            "update the task", self.client.pages.update(page_id=task_id, properties=properties)
        )
        return self._task(page)

    async def add_comment(self, task_id: str, text: str) -> str:
        comment = await self._call(
            "add the comment",
            self.client.comments.create(parent={"page_id": task_id}, rich_text=_rich_text(text)),
        )
        return str(comment["id"])

    async def archive_task(self, task_id: str) -> None:
        await self._call("archive the task", self.client.pages.update(page_id=task_id, in_trash=True))

    # ---- Notion JSON → domain ----------------------------------------------------------

    def _task_filter(self, query: TaskQuery) -> JSON | None:
        props = self.settings.tasks
        conditions: list[JSON] = []
        if query.assignee_id:
            conditions.append({"property": props.assignees, "people": {"contains": query.assignee_id}})
        if query.project_id:
            conditions.append({"property": props.project, "relation": {"contains": query.project_id}})
        if query.statuses:
            either = [{"property": props.status, "status": {"equals": status}} for status in query.statuses]
            conditions.append(either[0] if len(either) == 1 else {"or": either})
        if query.due_before:
            conditions.append({"property": props.due, "date": {"on_or_before": query.due_before.isoformat()}})
        if query.due_after:
            conditions.append({"property": props.due, "date": {"on_or_after": query.due_after.isoformat()}})
        if not conditions:
            return None
        return conditions[0] if len(conditions) == 1 else {"and": conditions}

    def _task(self, page: JSON) -> Task:
        props, values = self.settings.tasks, page.get("properties", {})
        due = _value(values, props.due)
        return Task(
            id=page["id"],
            title=_text(_value(values, props.title)),
            status=_option_name(_value(values, props.status)),
            assignee_ids=[user["id"] for user in _value(values, props.assignees) or []],
            project_ids=[rel["id"] for rel in _value(values, props.project) or []],
            due=date.fromisoformat(due["start"][:10]) if due and due.get("start") else None,
            description=_text(_value(values, props.description)),
            url=page.get("url"),
        )

    def _project(self, page: JSON) -> Project:
        props, values = self.settings.projects, page.get("properties", {})
        return Project(
            id=page["id"],
            name=_text(_value(values, props.title)),
            progress=_option_name(_value(values, props.progress)),
            lead_ids=[user["id"] for user in _value(values, props.lead) or []],
        )

    # ---- calling Notion ----------------------------------------------------------------

    async def _collect(self, action: str, fetch: Callable[[str | None], Awaitable[Any]]) -> list[JSON]:
        """Follow next_cursor until has_more is false."""
        results: list[JSON] = []
        cursor: str | None = None
        while True:
            response = await self._call(action, fetch(cursor))
            results.extend(response.get("results", []))
            cursor = response.get("next_cursor")
            if not response.get("has_more") or not cursor:
                return results

    async def _call(self, action: str, request: Awaitable[T]) -> T:
        """Await a client call; turn any failure into a StoreError saying what failed."""
        try:
            return await request
        except APIResponseError as error:
            code = str(getattr(error.code, "value", error.code))
            reason = _REASONS.get(code) or f"Notion rejected the request ({code}): {error}"
            if code == "unauthorized":
                reason += f"; check the token in ${self.settings.token_env}"
            raise NotionStoreError(
                f"Could not {action}: {reason}.", code=code, status=error.status
            ) from error
        except RequestTimeoutError as error:
            raise NotionStoreError(
                f"Could not {action}: Notion did not answer in time.", code="timeout"
            ) from error
        except HTTPResponseError as error:  # not a Notion error object (a proxy, an odd code)
            raise NotionStoreError(
                f"Could not {action}: Notion answered HTTP {error.status} ({_short(error.body)}).",
                status=error.status,
            ) from error
        except InvalidPathParameterError as error:
            raise NotionStoreError(
                f"Could not {action}: that is not a valid Notion ID.", code="invalid_id"
            ) from error
        except httpx.HTTPError as error:
            raise NotionStoreError(
                f"Could not {action}: could not reach Notion ({type(error).__name__}).", code="unreachable"
            ) from error


async def start_embedded(
    workspace: dict[str, Any], settings: NotionSettings
) -> tuple[NotionEmulator, NotionTaskStore]:
    """Serve `workspace` on 127.0.0.1 and connect a store to it through the real client."""
    emulator = NotionEmulator(workspace)
    base_url = await emulator.start()
    store = NotionTaskStore.connect(
        settings,
        base_url=base_url,
        token=emulator.token,
        tasks_data_source_id=emulator.tasks_data_source_id,
        projects_data_source_id=emulator.projects_data_source_id,
    )
    return emulator, store


# ---- request values -------------------------------------------------------------------------


def _rich_text(text: str) -> list[JSON]:
    """Rich-text items, split at Notion's 2000-character limit per item."""
    return [
        {"type": "text", "text": {"content": text[i : i + MAX_TEXT]}} for i in range(0, len(text), MAX_TEXT)
    ]


def _people(user_ids: list[str]) -> JSON:
    return {"people": [{"object": "user", "id": user_id} for user_id in user_ids]}


def _relation(page_ids: list[str]) -> JSON:
    return {"relation": [{"id": page_id} for page_id in page_ids]}


def _date(day: date) -> JSON:
    return {"date": {"start": day.isoformat()}}


# ---- response values ------------------------------------------------------------------------


def _value(values: JSON, name: str) -> Any:
    """The inner value of a property (by its configured name), whatever its type."""
    prop = values.get(name)
    return prop.get(prop.get("type", "")) if isinstance(prop, dict) else None


def _text(items: Any) -> str:
    return "".join(item.get("plain_text", "") for item in items or [])


def _option_name(option: Any) -> str | None:
    return option.get("name") if isinstance(option, dict) else None


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
