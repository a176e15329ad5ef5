"""The workspace as Darcy sees it: plain models, independent of Notion's JSON.

Integrations translate Notion pages into these; the gate and the replies only
ever handle these.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

Role = str  # "member" | "lead" | "admin"; kept open so a club can add its own


class Member(BaseModel):
    """A person of the workspace: a Notion user plus what the admin config adds."""

    notion_user_id: str
    name: str
    email: str | None = None
    handle: str
    role: Role = "member"
    discord_id: str | None = None
    slack_id: str | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else self.handle


class Project(BaseModel):
    id: str
    name: str
    progress: str | None = None
    lead_ids: list[str] = Field(default_factory=list)


class Task(BaseModel):
    id: str
    title: str
    status: str | None = None
    assignee_ids: list[str] = Field(default_factory=list)
    project_ids: list[str] = Field(default_factory=list)
    due: date | None = None
    description: str = ""
    url: str | None = None


class TaskComment(BaseModel):
    """A comment on a task. `author` is the name it shows as (a comment Darcy wrote for Carol
    shows as "Carol Jensen via Darcy"); `author_id` the Notion user who posted it."""

    id: str
    text: str
    author: str | None = None
    author_id: str | None = None
    created_time: str = ""


class TaskQuery(BaseModel):
    """Filters the store turns into one Notion data-source query."""

    assignee_id: str | None = None
    project_id: str | None = None
    statuses: list[str] | None = None  # None: every status
    due_before: date | None = None  # inclusive
    due_after: date | None = None  # inclusive


class NewTask(BaseModel):
    # The pending action's id: lets the store find out whether a create whose answer was
    # lost (timeout, 5xx) landed anyway, instead of creating the task twice.
    request_id: str | None = None
    title: str
    assignee_ids: list[str] = Field(default_factory=list)
    project_id: str | None = None
    due: date | None = None
    description: str | None = None
    status: str | None = None


class TaskChanges(BaseModel):
    """Only the fields that are set are written."""

    title: str | None = None
    status: str | None = None
    assignee_ids: list[str] | None = None
    project_id: str | None = None
    due: date | None = None
    description: str | None = None
