"""The built-in tools, one module each (docs/architecture.md): each module holds its argument
model, its resolution, its permission rule, its execution, how to tell it landed, and the words
that report it. Adding a built-in tool touches the planner and one new module listed here."""

from __future__ import annotations

from core.actions.add_comment import AddComment
from core.actions.base import Tool
from core.actions.create_task import CreateTask
from core.actions.link_account import LinkAccount
from core.actions.list_projects import ListProjects
from core.actions.list_tasks import ListTasks
from core.actions.show_task import ShowTask
from core.actions.undo import Undo
from core.actions.update_task import UpdateTask
from core.actions.update_tasks import UpdateTasks
from core.actions.whoami import Whoami
from core.tools import ToolSpec

BUILTINS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        ListTasks(),
        ShowTask(),
        ListProjects(),
        CreateTask(),
        UpdateTask(),
        UpdateTasks(),
        AddComment(),
        LinkAccount(),
        Whoami(),
        Undo(),
    )
}
# The built-in vocabulary's declarations: the LLM's schemas and the evaluation's canonical form.
TOOLS: dict[str, ToolSpec] = {name: tool.spec for name, tool in BUILTINS.items()}
