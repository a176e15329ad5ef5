"""Typed wrappers that give the planner, the gate, the reply, the pending actions and each
task-store call a span and log context. Built once in the composition root around the real
objects; a renamed method is a type error here, never tracing silently turned off."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from core import usage
from core.domain import Member, NewTask, Project, Task, TaskChanges, TaskComment, TaskQuery
from core.observability.middleware import bind
from core.observability.tracing import span, span_attributes
from core.pending import PendingAction, PendingRepository, PendingState
from core.planner import Planner, PlannerInput, PlanResult, Reader
from core.ports import TaskStore
from core.tools import ToolCall

if TYPE_CHECKING:
    from core.gate import Gate, GateResult


class TracedPlanner(Planner):
    """`darcy.planner`: the call chosen, and the model's calls, tokens and dollars when it asked one."""

    def __init__(self, inner: Planner) -> None:
        self.inner = inner
        self.kind = type(inner).__name__

    @property
    def fallback(self) -> Planner | None:  # type: ignore[override]
        return self.inner.fallback

    @property
    def reader(self) -> Reader | None:  # type: ignore[override]
        return self.inner.reader

    @reader.setter
    def reader(self, reader: Reader | None) -> None:
        self.inner.reader = reader

    @property
    def uses_extensions(self) -> bool:  # type: ignore[override]
        return self.inner.uses_extensions

    async def warm_up(self) -> None:
        await self.inner.warm_up()

    async def plan(self, text: str, facts: PlannerInput) -> PlanResult:
        meter = usage.current()
        before = dataclasses.replace(meter) if meter is not None else None
        with span("darcy.planner", {"planner.kind": self.kind}) as current:
            planned = await self.inner.plan(text, facts)
            call = planned.call
            current.set_attributes(span_attributes({"darcy.tool": call.tool, "planner.intent": call.intent}))
            if meter is not None and before is not None and meter.llm_calls > before.llm_calls:
                current.set_attributes(
                    {  # OpenTelemetry's gen_ai names, and the dollars
                        "gen_ai.request.model": meter.model or "",
                        "llm.calls": meter.llm_calls - before.llm_calls,
                        "gen_ai.usage.input_tokens": meter.prompt_tokens - before.prompt_tokens,
                        "gen_ai.usage.output_tokens": meter.completion_tokens - before.completion_tokens,
                        "llm.cost_usd": round(meter.cost_usd - before.cost_usd, 6),
                    }
                )
            bind(tool=call.tool)
            return planned


class TracedGate:
    """`darcy.gate`: the decision and the rule that made it (the gate's steps are its children)."""

    def __init__(self, inner: Gate) -> None:
        self.inner = inner
        self.registry = inner.registry

    async def assess(
        self, call: ToolCall, requester: Member | None, *, platform: str, chat_user_id: str
    ) -> GateResult:
        with span("darcy.gate", {"darcy.tool": call.tool}) as current:
            result = await self.inner.assess(call, requester, platform=platform, chat_user_id=chat_user_id)
            decision = result.decision.value
            current.set_attributes(
                span_attributes(
                    {"darcy.decision": decision, "darcy.tool": result.tool, "gate.rule": result.rule}
                )
            )
            bind(decision=decision, tool=result.tool)
            return result


class TracedPending(PendingRepository):
    """A click's log lines name the tool of its pending action."""

    def __init__(self, inner: PendingRepository) -> None:
        self.inner = inner

    @staticmethod
    def _named(action: PendingAction | None) -> PendingAction | None:
        if action is not None and structlog.contextvars.get_contextvars().get("tool") is None:
            bind(tool=action.tool)
        return action

    async def add(self, action: PendingAction) -> None:
        await self.inner.add(action)

    async def open_count(self, platform: str, user_id: str, now: datetime) -> int:
        return await self.inner.open_count(platform, user_id, now)

    async def get(self, pending_id: str) -> PendingAction | None:
        return self._named(await self.inner.get(pending_id))

    async def claim(
        self, pending_id: str, *, platform: str, user_id: str, now: datetime
    ) -> PendingAction | None:
        return self._named(await self.inner.claim(pending_id, platform=platform, user_id=user_id, now=now))

    async def transition(
        self,
        pending_id: str,
        src: PendingState,
        dst: PendingState,
        *,
        now: datetime | None = None,
        result: dict[str, Any] | None = None,
    ) -> bool:
        return await self.inner.transition(pending_id, src, dst, now=now, result=result)

    async def interrupted(self, moved_before: datetime) -> list[PendingAction]:
        return await self.inner.interrupted(moved_before)


class TracedTaskStore(TaskStore):
    """`store.<operation>` per call, with how many HTTP requests Notion saw for it (0: the cache
    answered). Outside a command (start-up, readiness) calls pass straight through."""

    def __init__(self, inner: TaskStore) -> None:
        self.inner = inner

    @staticmethod
    async def _traced(operation: str, call: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        meter = usage.current()
        if meter is None:
            return await call(*args, **kwargs)
        meter.store_calls += 1
        sent = meter.notion_calls
        with span(f"store.{operation}", {"store.operation": operation}) as current:
            try:
                return await call(*args, **kwargs)
            finally:
                current.set_attribute("store.notion_calls", meter.notion_calls - sent)

    def invalidate(self) -> None:
        """Forget what the store cached, when it caches."""
        if callable(invalidate := getattr(self.inner, "invalidate", None)):
            invalidate()

    async def list_users(self) -> list[tuple[str, str, str | None]]:
        return await self._traced("list_users", self.inner.list_users)

    async def list_projects(self) -> list[Project]:
        return await self._traced("list_projects", self.inner.list_projects)

    async def list_tasks(self, query: TaskQuery) -> list[Task]:
        return await self._traced("list_tasks", self.inner.list_tasks, query)

    async def get_task(self, task_id: str) -> Task:
        return await self._traced("get_task", self.inner.get_task, task_id)

    async def create_task(self, task: NewTask) -> Task:
        return await self._traced("create_task", self.inner.create_task, task)

    async def update_task(self, task_id: str, changes: TaskChanges) -> Task:
        return await self._traced("update_task", self.inner.update_task, task_id, changes)

    async def add_comment(self, task_id: str, text: str, author: str | None = None) -> str:
        return await self._traced("add_comment", self.inner.add_comment, task_id, text, author=author)

    async def list_comments(self, task_id: str) -> list[TaskComment]:
        return await self._traced("list_comments", self.inner.list_comments, task_id)

    async def notify(self, page_id: str, notion_user_id: str, text: str) -> str:
        return await self._traced("notify", self.inner.notify, page_id, notion_user_id, text)

    async def archive_task(self, task_id: str) -> None:
        await self._traced("archive_task", self.inner.archive_task, task_id)

    async def find_created(self, task: NewTask, since: datetime) -> Task | None:
        return await self._traced("find_created", self.inner.find_created, task, since)
