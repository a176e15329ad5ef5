"""What Darcy says back, platform-neutral. Adapters render it in their own components."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field


class TaskLine(BaseModel):
    title: str
    status: str | None = None
    due: date | None = None
    project: str | None = None
    people: list[str] = Field(default_factory=list)
    url: str | None = None


class ProjectLine(BaseModel):
    name: str
    progress: str | None = None
    leads: list[str] = Field(default_factory=list)


class Reply(BaseModel):
    """One answer. `decision` says which components apply: confirm → Confirm/Cancel
    buttons carrying `pending_id`; choose → the numbered `options`."""

    text: str
    decision: str | None = None
    tasks: list[TaskLine] | None = None
    projects: list[ProjectLine] | None = None
    more: int = 0  # lines left out of a long list
    pending_id: str | None = None
    options: list[str] = Field(default_factory=list)
    follow_up: Reply | None = None  # e.g. the original request, answered after linking
    # What was understood, resolved by name (the evaluation's view).
    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    private: bool = False  # adapters show it only to the clicker where the platform allows
    # A confirmation's long text in full (its summary shows it cut): adapters show it under "Details".
    details: str = ""

    @property
    def needs_answer(self) -> bool:
        return self.decision in ("confirm", "choose") and self.pending_id is not None
