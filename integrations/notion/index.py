"""The task index: every task's name and the little the gate needs, kept in Darcy's database
and followed incrementally, so naming a task costs the same on a board of 35 tasks and of
35,000 (issue #19).

- A first sync pages through the board once (progress in the log and in the state row that
  `darcy doctor` reads), saving as it goes.
- Then each refresh asks Notion only for the pages edited since the last one (a
  last_edited_time filter, oldest first): one small query. Notion stamps edits to the minute
  and a page may show in queries a moment after its edit, so each refresh looks back SLACK
  before the newest edit it has seen; pages seen twice are written twice, harmlessly.
- Pages that leave the board disappear: trashed ones through a query of the trash
  (`in_trash`, every `trash_seconds`), moved or deleted ones through a sweep of the board's ids
  (every `sweep_seconds`, off the request path), and any page a read finds gone.
- Darcy's own writes are applied at once (`IndexedTaskStore`), locally and in the database.
- Replicas share the rows; one refreshes from Notion at a time (a lease row), and each
  follows the others' changes by version (integrations/db/task_index.py).
- The index never decides a write: the click reads the task again from Notion.
- A change of the property mapping rebuilds it from scratch; so does `darcy index rebuild`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from core.config import NotionSettings, notion_id
from core.domain import NewTask, Task, TaskChanges, TaskQuery
from core.ports import StorageError, StoreError
from integrations.db.task_index import IndexedTask, SqlTaskIndex
from integrations.notion.store import NotionTaskStore

log = structlog.get_logger("darcy.index")
SLACK = timedelta(minutes=2)
PROGRESS_EVERY = 10  # pages of 100 between two progress lines of a first sync
STALE_PERIODS = 4  # past this many refresh periods, a request waits for a refresh


def mapping_hash(settings: NotionSettings, tasks_data_source_id: str) -> str:
    """What the rows were built with: a change rebuilds the index (a renamed property, another board)."""
    shape = {"board": tasks_data_source_id, "tasks": settings.tasks.model_dump(mode="json")}
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


def stamp(moment: datetime) -> str:
    """A time as Notion writes last_edited_time (to the minute), so stamps compare as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:00.000Z")


def _since(last_began: datetime | None) -> str | None:
    """Where the next edited-since query starts: SLACK before the previous one began (by
    Darcy's clock). Every page edited earlier was visible to that query; the slack covers
    Notion's rounding to the minute, a page showing in queries a moment after its edit, and
    some clock skew. Not the newest edit seen: on a board imported in one minute, that would
    read the whole import again at every refresh."""
    return stamp(_aware(last_began) - SLACK) if last_began else None


class TaskIndex:
    """`core.ports.TaskIndex` over Notion and Darcy's database."""

    def __init__(
        self, store: NotionTaskStore, repo: SqlTaskIndex, *, mapping: str, refresh_seconds: float = 15.0,
        trash_seconds: float = 60.0, sweep_seconds: float = 3600.0, lease_seconds: float = 60.0,
        owner: str | None = None,
    ) -> None:
        self.store, self.repo, self.mapping = store, repo, mapping
        self.refresh_seconds, self.trash_seconds = refresh_seconds, trash_seconds
        self.sweep_seconds, self.lease_seconds = sweep_seconds, lease_seconds
        self.owner = owner or f"{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._tasks: dict[str, Task] = {}
        self._list: list[Task] | None = None
        self._version, self._generation = -1, -1
        self._read_at = float("-inf")  # monotonic time of the last refresh that began
        self._stale = False
        self._lock = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()
        self._refreshing: asyncio.Task[Any] | None = None
        self._sweeping: asyncio.Task[Any] | None = None
        self._unsaved: list[IndexedTask] = []  # own writes on their way to the database
        self._saving: asyncio.Task[Any] | None = None

    # ---- core.ports.TaskIndex ---------------------------------------------------------

    async def tasks(self, *, max_age: float | None = None) -> list[Task]:
        """Every live task. With `max_age`, refreshed first when the last refresh began longer
        ago than that. Without, the list is served at once and a refresh due (older than the
        index's period) runs in the background: under load, naming a task never waits behind
        Notion's rate limit. A request waits only for the first sync, after a write whose
        answer was lost, or when the list is more than STALE_PERIODS periods old (a replica
        that nobody asked for a while: what it answers stays within a few periods of Notion)."""
        age, limit = time.monotonic() - self._read_at, self.refresh_seconds if max_age is None else max_age
        if self._stale or age > (limit if max_age is not None else STALE_PERIODS * limit):
            await self.refresh(max_age=limit)
        elif age > limit:
            self.refresh_soon()
        if self._list is None:
            self._list = list(self._tasks.values())
        return self._list

    def read_at(self) -> float:
        return self._read_at

    def known(self, task_id: str) -> Task | None:
        return self._tasks.get(notion_id(task_id))

    def stale(self) -> None:
        """A write may have landed without its answer: the next request refreshes first."""
        self._stale = True

    # ---- own writes --------------------------------------------------------------------

    async def written(self, task: Task) -> None:
        """Darcy wrote this task: this replica's answers show it at once; the database (and by
        version the other replicas) a moment later, off the path of the click's reply. The
        write is made: a database failure here only leaves the next refresh to find it."""
        self._put_local([task], [])
        self._unsaved.append(IndexedTask(task, stamp(datetime.now(UTC))))
        if not _running(self._saving):
            self._saving = self._spawn(self._save_written())

    async def _save_written(self) -> None:
        """Own writes queued meanwhile go in one transaction."""
        while self._unsaved:
            batch, self._unsaved = self._unsaved, []
            try:
                await self.repo.put(batch)
            except StorageError as exc:
                log.warning("task_index_write_not_saved", error=str(exc))
                self._stale = True

    async def removed(self, task_id: str) -> None:
        """The page is in the trash, or was not found: it leaves the index."""
        task_id = notion_id(task_id)
        if task_id in self._tasks:
            self._put_local([], [task_id])
        try:
            await self.repo.put([], [task_id])
        except StorageError as exc:
            log.warning("task_index_write_not_saved", error=str(exc))
            self._stale = True

    async def page_changed(self, page_id: str) -> None:
        """Notion says a page changed (a webhook): read it, and keep it or let it go."""
        try:
            task = await self.store.get_task(page_id)
        except StoreError as exc:
            if exc.not_found:  # trashed, moved off the board, or no longer shared
                await self.removed(page_id)
                return
            raise
        await self.written(task)

    # ---- refreshing ----------------------------------------------------------------------

    def refresh_soon(self) -> asyncio.Task[Any]:
        """Refresh in the background, unless one is running already; that refresh."""
        if not _running(self._refreshing):
            self._refreshing = self._spawn(self.refresh(max_age=self.refresh_seconds))
        return self._refreshing

    async def follow(self) -> None:
        """`darcy run`: sync the board at start, then refresh every period until cancelled,
        so requests find the index built and fresh. A failed refresh is logged; the next
        period tries again. A stop waits for the refresh under way (see `aclose`), never
        cuts a database statement in half."""
        while True:
            await asyncio.wait([self.refresh_soon()])  # a cancel leaves it running, for aclose
            await asyncio.sleep(self.refresh_seconds)

    async def refresh(self, *, max_age: float = -1.0) -> None:
        """Follow Notion (when this replica holds the lease), then the database. Requests
        asking at once share one refresh: whoever waited on the lock finds one that began
        less than `max_age` seconds ago, and is done."""
        async with self._lock:
            if not self._stale and time.monotonic() - self._read_at <= max_age:
                return
            began, stale = time.monotonic(), self._stale
            self._stale = False
            state = await self.repo.state()
            if not stale and _within(state.refreshed_at, max_age) and state.mapping == self.mapping:
                pass  # another replica followed Notion just now: its changes are in the database
            elif await self.repo.take_lease(self.owner, self.lease_seconds):
                try:
                    await self._follow_notion(state)
                finally:
                    await self.repo.release_lease(self.owner)
            elif state.synced_at is None or state.mapping != self.mapping:
                await self._read_board()  # another replica is building it: read Notion meanwhile
                self._read_at = began
                return
            await self._pull()
            self._read_at = began

    async def rebuild(self) -> int:
        """Forget everything and sync the board again (`darcy index rebuild`). Returns the task count."""
        async with self._lock:
            if not await self.repo.take_lease(self.owner, self.lease_seconds):
                raise StoreError("Another Darcy is refreshing the task index; try again in a minute.")
            try:
                await self.repo.clear(self.mapping)
                await self._first_sync()
            finally:
                await self.repo.release_lease(self.owner)
            await self._pull()
            self._read_at = time.monotonic()
            return len(self._tasks)

    async def _follow_notion(self, state: Any) -> None:
        if state.mapping != self.mapping:
            if state.mapping:
                log.info("task_index_mapping_changed", rebuilding=True)
            await self.repo.clear(self.mapping)
            state = await self.repo.state()
        if state.synced_at is None:
            await self._first_sync()
            return
        now = datetime.now(UTC)
        found = await self.store.edited_since(_since(state.refreshed_at or state.synced_at))
        watermark = max([state.watermark or "", *(edited for _, edited in found)]) or None
        gone: list[str] = []
        trash_watermark = state.trash_watermark
        trash_due = not _within(state.trash_checked_at, self.trash_seconds)
        if trash_due:
            since = _since(state.trash_checked_at or state.synced_at)
            trashed = await self.store.edited_since(since, trash=True)
            gone = [t.id for t, _ in trashed]
            trash_watermark = max([trash_watermark or "", *(e for _, e in trashed)]) or None
        state_now = {"watermark": watermark, "trash_watermark": trash_watermark, "refreshed_at": now,
                     **({"trash_checked_at": now} if trash_due else {})}
        if found or gone:
            await self.repo.put((IndexedTask(t, e) for t, e in found), gone, **state_now)
        else:  # nothing changed: no new version, so no replica (this one included) reads rows for it
            await self.repo.update_state(**state_now)
        swept = state.swept_at or state.synced_at
        sweep_due = swept and now - _aware(swept) > timedelta(seconds=self.sweep_seconds)
        if sweep_due and not _running(self._sweeping):
            self._sweeping = self._spawn(self.sweep())

    async def _first_sync(self) -> None:
        """Page through the whole board once, saving each page of 100 as it comes."""
        began, seen, pages = time.monotonic(), 0, 0
        started = datetime.now(UTC)
        log.info("task_index_sync_started")

        async def save(batch: list[tuple[Task, str]]) -> None:
            nonlocal seen, pages
            seen, pages = seen + len(batch), pages + 1
            await self.repo.put((IndexedTask(t, e) for t, e in batch), sync_tasks=seen)
            await self.repo.take_lease(self.owner, self.lease_seconds)  # still ours while it runs
            if pages % PROGRESS_EVERY == 0:
                log.info("task_index_sync_progress", tasks=seen, pages=pages,
                         seconds=round(time.monotonic() - began, 1))

        found = await self.store.edited_since(None, on_page=save)
        watermark = max((edited for _, edited in found), default=None)
        await self.repo.update_state(synced_at=datetime.now(UTC), refreshed_at=started, swept_at=started,
                                     watermark=watermark, trash_watermark=stamp(started - SLACK),
                                     trash_checked_at=started, mapping=self.mapping)
        log.info("task_index_sync_done", tasks=seen, pages=pages, seconds=round(time.monotonic() - began, 1))

    async def sweep(self) -> list[str]:
        """Every live id of the board against the index: pages moved or deleted leave it."""
        if not await self.repo.take_lease(self.owner, self.lease_seconds):
            return []
        try:
            started = datetime.now(UTC)
            left = await self.repo.sweep(await self.store.task_ids(), swept_at=started)
        finally:
            await self.repo.release_lease(self.owner)
        if left:
            log.info("task_index_swept", left=len(left))
        self._stale = True  # the next request pulls what left
        return left

    async def _read_board(self) -> None:
        """The whole board straight from Notion (another replica holds the first sync)."""
        found = await self.store.edited_since(None)
        self._tasks = {t.id: t for t, _ in found}
        self._list = None
        self._version = self._generation = -1

    async def _pull(self) -> None:
        changes = await self.repo.changes(self._version, self._generation)
        if changes.generation != self._generation:
            self._tasks, self._list = {}, None
        self._put_local(changes.tasks, changes.gone)
        self._version, self._generation = changes.version, changes.generation

    def _put_local(self, tasks: list[Task], gone: list[str]) -> None:
        if not tasks and not gone:
            return
        for task in tasks:
            self._tasks[task.id] = task
        for task_id in gone:
            self._tasks.pop(task_id, None)
        self._list = None

    def _spawn(self, job: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(job)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_report)
        return task

    async def settle(self) -> None:
        """Until the background work started so far (refreshes, a sweep, own writes' saving) is over."""
        await asyncio.gather(*self._background, return_exceptions=True)

    async def aclose(self, grace: float = 5.0) -> None:
        """Let the background work under way finish (a refresh, a sweep: `grace` seconds at
        most), then stop what is left."""
        if self._background:
            await asyncio.wait(list(self._background), timeout=grace)
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)


def _running(task: asyncio.Task[Any] | None) -> bool:
    return task is not None and not task.done()


def _report(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("task_index_background_failed", error=str(error))  # the next refresh tries again


def _within(moment: datetime | None, seconds: float) -> bool:
    """True when `moment` (wall clock, from the database) is less than `seconds` ago."""
    return moment is not None and datetime.now(UTC) - _aware(moment) < timedelta(seconds=seconds)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class IndexedTaskStore:
    """The task store with Darcy's own writes applied to the index at once, and pages a read
    finds gone taken out of it. Everything else passes through."""

    def __init__(self, inner: NotionTaskStore, index: TaskIndex) -> None:
        self.inner, self.index = inner, index

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def list_tasks(self, query: TaskQuery) -> list[Task]:
        """A list ("what are my tasks?") from the index once it is built: at most the index's
        one small refresh instead of a filtered query of the board (under load, lists queued
        for Notion behind everything else). As fresh as a name: Darcy's own writes at once,
        edits made in Notion within a refresh. Notion answers when the index can't: before
        its first sync, or for a board whose status is a checkbox or whose due dates have times
        (those filters are Notion's to apply)."""
        props = self.inner.mapping.props
        if self.index.read_at() == float("-inf") or props.status_type == "checkbox" or props.due_has_time:
            return await self.inner.list_tasks(query)
        if self.inner.mapping.matches_nothing(query):
            return []
        found = [t for t in await self.index.tasks() if _matches(t, query)]
        return sorted(found, key=lambda t: (t.due is None, t.due))

    async def get_task(self, task_id: str) -> Task:
        try:
            return await self.inner.get_task(task_id)
        except StoreError as exc:
            if exc.not_found:
                await self.index.removed(task_id)
            raise

    async def create_task(self, task: NewTask) -> Task:
        try:
            created = await self.inner.create_task(task)
        except BaseException:
            self.index.stale()  # it may have landed all the same: look before the next answer
            raise
        await self.index.written(created)
        return created

    async def update_task(self, task_id: str, changes: TaskChanges) -> Task:
        try:
            updated = await self.inner.update_task(task_id, changes)
        except BaseException:
            self.index.stale()
            raise
        await self.index.written(updated)
        return updated

    async def archive_task(self, task_id: str) -> None:
        try:
            await self.inner.archive_task(task_id)
        except BaseException:
            self.index.stale()
            raise
        await self.index.removed(task_id)


def _matches(task: Task, query: TaskQuery) -> bool:
    """What the store's Notion filter (mapping.filter) selects, on a task of the index."""
    return (
        (not query.assignee_id or query.assignee_id in task.assignee_ids)
        and (not query.project_id or query.project_id in task.project_ids)
        and (not query.statuses or task.status in query.statuses)
        and (query.due_before is None or (task.due is not None and task.due <= query.due_before))
        and (query.due_after is None or (task.due is not None and task.due >= query.due_after))
    )


def build_index(
    settings: NotionSettings, store: NotionTaskStore, db: Any
) -> tuple[TaskIndex, IndexedTaskStore]:
    """The index for `store`'s board in `db` (an integrations.db.database.Database)."""
    index = TaskIndex(
        store, SqlTaskIndex(db), mapping=mapping_hash(settings, store.tasks_data_source_id),
        refresh_seconds=settings.task_names_seconds, trash_seconds=settings.index_trash_seconds,
        sweep_seconds=settings.index_sweep_seconds,
    )
    return index, IndexedTaskStore(store, index)
