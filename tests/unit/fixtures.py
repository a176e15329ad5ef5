"""The demo workspace (config/demo-workspace.json) as domain objects, for unit tests.

Task ids are the titles and project ids the names, so a failing assertion reads well.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.domain import Member, Project, Task
from core.planner import PlannerInput

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = ROOT / "config" / "demo-workspace.json"


@lru_cache(maxsize=1)
def workspace() -> dict[str, Any]:
    return json.loads(WORKSPACE.read_text(encoding="utf-8"))


def now() -> datetime:
    """The workspace's fixed "now": Wed 2026-11-18 10:00 Australia/Melbourne."""
    from zoneinfo import ZoneInfo

    stamp = datetime.fromisoformat(workspace()["now"])
    return stamp.astimezone(ZoneInfo(workspace()["timezone"]))


@lru_cache(maxsize=1)
def members() -> list[Member]:
    fields = set(Member.model_fields)
    return [Member(**{k: v for k, v in m.items() if k in fields}) for m in workspace()["members"]]


def member(handle: str) -> Member | None:
    return next((m for m in members() if m.handle == handle), None)


def _user_id(handle: str) -> str:
    found = member(handle)
    assert found is not None, handle
    return found.notion_user_id


@lru_cache(maxsize=1)
def projects() -> list[Project]:
    return [
        Project(id=p["name"], name=p["name"], progress=p["progress"], lead_ids=[_user_id(p["lead"])])
        for p in workspace()["projects"]
    ]


@lru_cache(maxsize=1)
def tasks() -> list[Task]:
    return [
        Task(
            id=t["title"],
            title=t["title"],
            status=t["status"],
            assignee_ids=[_user_id(h) for h in t["in_charge"]],
            project_ids=[t["project"]] if t.get("project") else [],
            due=date.fromisoformat(t["due"]) if t.get("due") else None,
            description=t.get("description") or "",
        )
        for t in workspace()["tasks"]
    ]


def task(title: str) -> Task:
    return next(t for t in tasks() if t.title == title)


def handle_of(user_id: str) -> str:
    return next(m.handle for m in members() if m.notion_user_id == user_id)


def context(handle: str | None, platform: str = "terminal") -> PlannerInput:
    """A planning context for `handle` (None or "unknown": a chat user not linked yet)."""
    requester = member(handle) if handle and handle != "unknown" else None
    if requester is not None and not _linked(handle or ""):
        requester = None
    return PlannerInput(
        now=now(),
        requester=requester,
        members=members(),
        projects=[p.name for p in projects()],
        platform=platform,
    )


def _linked(handle: str) -> bool:
    raw = next((m for m in workspace()["members"] if m["handle"] == handle), {})
    return bool(raw.get("linked", True))
