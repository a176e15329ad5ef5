"""list_projects: the projects with their progress and leads; runs at once."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from core.actions.base import Ports, Tool
from core.extensions import ToolContext
from core.gate.resolving import Resolving
from core.gate.result import GateResult
from core.replies import ProjectLine, Reply
from core.tools import ToolArgs, ToolSpec


class ListProjectsArgs(ToolArgs):
    """List projects."""

    progress: Literal["active", "all"] | list[str] = Field(
        "active", description="'active' (Planning and Active), 'all', or a list of progress options"
    )


class ListProjects(Tool):
    spec = ToolSpec(name="list_projects", args_model=ListProjectsArgs, impact="read")

    async def resolve(self, res: Resolving) -> GateResult:
        progress = res.raw.get("progress", "active")
        if progress != "active":
            res.args["progress"] = progress
        options = res.settings.notion.projects
        res.resolved["progress"] = (
            options.active_progress if progress == "active" else None if progress == "all" else progress
        )
        return res.execute()

    async def answer(
        self, ports: Ports, result: GateResult, caller: ToolContext, base: dict[str, Any]
    ) -> Reply:
        wanted = result.resolved.get("progress")
        people = {m.notion_user_id: m.name for m in await ports.directory.members()}
        projects = [p for p in await ports.directory.projects() if wanted is None or p.progress in wanted]
        lines = [
            ProjectLine(name=p.name, progress=p.progress, leads=[people.get(i, "?") for i in p.lead_ids])
            for p in projects
        ]
        heading = ("Projects" if wanted is None else "Active projects") + f" ({len(lines)}):"
        return Reply(text=heading if lines else "No projects match.", projects=lines, **base)
