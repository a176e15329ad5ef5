"""The tool vocabulary: one pydantic model per tool.

Each model feeds the LLM's function schema, the offline planner's output, the
gate's validation and the evaluation's canonical form (../shared/eval/README.md).
Arguments are *raw*: names as the person typed them ("Carol", "the website",
"<@U00001002>", "me"), dates as ISO strings or date words. The gate resolves
them; an identifier a planner invents is never trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# read: runs at once; write: asks the requester to confirm; destructive: confirms with a warning.
Impact = Literal["read", "write", "destructive"]


class ToolArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ListTasksArgs(ToolArgs):
    """List tasks, filtered by person, project, status and due date."""

    assignee: str | None = Field(None, description="Person whose tasks to list; 'me' for the requester")
    project: str | None = Field(None, description="Project name")
    status: Literal["active", "all"] | list[str] = Field(
        "active", description="'active' (not Done/Archive), 'all', or a list of status options"
    )
    due_before: str | None = Field(None, description="Inclusive upper bound, YYYY-MM-DD")
    due_after: str | None = Field(None, description="Inclusive lower bound, YYYY-MM-DD")


class ShowTaskArgs(ToolArgs):
    """One task in full: status, due date, people, project, description and latest comments."""

    task: str | None = Field(None, description="The task, as the person named it (required)")


class ListProjectsArgs(ToolArgs):
    """List projects."""

    progress: Literal["active", "all"] | list[str] = Field(
        "active", description="'active' (Planning and Active), 'all', or a list of progress options"
    )


class CreateTaskArgs(ToolArgs):
    """Create a task."""

    title: str | None = Field(None, description="The new task's title (required)")
    assignees: list[str] | None = Field(None, description="People in charge; default the requester")
    project: str | None = None
    due: str | None = Field(None, description="YYYY-MM-DD or a date word")
    description: str | None = None
    status: str | None = Field(None, description="Status option; default 'Not Started'")


class UpdateTaskArgs(ToolArgs):
    """Change one task: status, due date, people, title, project or description."""

    task: str | None = Field(None, description="The task, as the person named it (required)")
    status: str | None = None
    due: str | None = None
    assignees: list[str] | None = Field(None, description="The new full list of people in charge")
    add_assignees: list[str] | None = Field(None, description="People to add to those already in charge")
    title: str | None = Field(None, description="A new title")
    project: str | None = None
    description: str | None = None


class UpdateTasksArgs(ToolArgs):
    """Change several tasks at once: the open tasks of a person and/or a project.

    Leads and admins only; at most 10 tasks, each listed in the confirmation."""

    assignee: str | None = Field(None, description="Whose tasks; 'me' for the requester")
    project: str | None = None
    status: str | None = Field(None, description="The new status of every matching task")
    due: str | None = Field(None, description="The new due date of every matching task")


class AddCommentArgs(ToolArgs):
    """Comment on a task."""

    task: str | None = None
    text: str | None = None


class LinkAccountArgs(ToolArgs):
    """Link the requester's chat account to their Notion account by e-mail."""

    email: str | None = None


class WhoamiArgs(ToolArgs):
    """Say which Notion account the requester is linked to."""


class UndoArgs(ToolArgs):
    """Take back the requester's last change (a create or an update), within the undo window."""


class ToolSpec(BaseModel):
    """One tool's declaration: everything else (LLM schema, validation, permission,
    confirmation, audit) is derived from it."""

    name: str
    args_model: type[BaseModel]
    impact: Impact
    source: str = "notion"  # "notion", "plugin:<module>" or "mcp:<server>"
    model_config = ConfigDict(arbitrary_types_allowed=True)

    @property
    def description(self) -> str:
        return (self.args_model.__doc__ or self.name).strip()


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(name="list_tasks", args_model=ListTasksArgs, impact="read"),
        ToolSpec(name="show_task", args_model=ShowTaskArgs, impact="read"),
        ToolSpec(name="list_projects", args_model=ListProjectsArgs, impact="read"),
        ToolSpec(name="create_task", args_model=CreateTaskArgs, impact="write"),
        ToolSpec(name="update_task", args_model=UpdateTaskArgs, impact="write"),
        ToolSpec(name="update_tasks", args_model=UpdateTasksArgs, impact="write"),
        ToolSpec(name="add_comment", args_model=AddCommentArgs, impact="write"),
        ToolSpec(name="link_account", args_model=LinkAccountArgs, impact="write"),
        ToolSpec(name="whoami", args_model=WhoamiArgs, impact="read"),
        ToolSpec(name="undo", args_model=UndoArgs, impact="write"),
    )
}


class ToolCall(BaseModel):
    """What a planner produces: a tool (or none) and raw arguments."""

    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    # For tool=None: "help", "greeting", "thanks" or "out_of_scope", so the reply fits.
    intent: str | None = None
    # For tool=None after reading with tools: the model's own answer, shown to the requester.
    say: str | None = None


def validate_args(call: ToolCall, tools: Mapping[str, ToolSpec] = TOOLS) -> BaseModel:
    """Parse raw arguments with the tool's model; raises KeyError or ValidationError."""
    spec = tools[call.tool or ""]
    return spec.args_model.model_validate(call.args)


__all__ = ["TOOLS", "ToolArgs", "ToolCall", "ToolSpec", "ValidationError", "validate_args"]
