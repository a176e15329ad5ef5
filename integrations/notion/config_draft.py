"""Draft the [notion.tasks] / [notion.projects] mapping from a live schema.

`darcy doctor --write-config` calls this with the two data sources as Notion returns them
(https://developers.notion.com/reference/data-source: "properties" maps each name to
{"id", "name", "type", <type>: config}). Each setting is guessed by type first, then by
common names ("Owner", "Deadline", "Team"…); a status property's groups say which options
are open work. What cannot be guessed is left as a commented line for the admin.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

STATUS_NAMES = ["status", "state", "stage", "progress", "phase"]
DONE_NAMES = ["done", "complete", "completed", "finished", "closed", "shipped", "resolved"]
ARCHIVE_NAMES = ["archive", "archived", "cancelled", "canceled", "dropped", "abandoned", "won't do"]
CHECKBOX_NAMES = ["done", "complete", "completed", "finished", "closed"]
PEOPLE_NAMES = [
    "assignee",
    "assignees",
    "assigned to",
    "in charge",
    "owner",
    "owners",
    "responsible",
    "person",
    "people",
    "who",
]
DUE_NAMES = ["due", "due date", "due dates", "deadline", "date", "when"]
PROJECT_NAMES = ["project", "projects", "event/project", "event", "team", "category", "area"]
DESCRIPTION_NAMES = ["description", "notes", "details", "summary", "comments"]
LEAD_NAMES = ["lead", "leads", "project lead", "owner", "manager", "coordinator", "captain"]


@dataclass
class Draft:
    tasks: dict[str, Any] = field(default_factory=dict)
    projects: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # "tasks.assignees: no people property"

    @property
    def complete(self) -> bool:
        return not self.missing


def draft_mapping(
    tasks_schema: JSON, projects_schema: JSON | None = None, sample_pages: Iterable[JSON] = ()
) -> Draft:
    """Guess every setting from the schemas; `sample_pages` (a few tasks) tell whether due
    dates carry a time."""
    draft = Draft()
    props: dict[str, JSON] = tasks_schema.get("properties", {})
    t = draft.tasks

    title = pick(props, ["title"], [])
    t["title"] = title["name"] if title else _missing(draft, "tasks.title", "no title property")

    status = (
        pick(props, ["status"], STATUS_NAMES)
        or pick(props, ["select"], STATUS_NAMES, strict=True)
        or pick(props, ["checkbox"], CHECKBOX_NAMES, strict=True)
    )
    if status is None:
        t["status"] = _missing(draft, "tasks.status", "no status, status-like select or done checkbox")
    else:
        t["status"], t["status_type"] = status["name"], status["type"]
        t.update(_status_options(status))

    people = pick(props, ["people"], PEOPLE_NAMES)
    t["assignees"] = people["name"] if people else _missing(draft, "tasks.assignees", "no people property")
    due = pick(props, ["date"], DUE_NAMES)
    t["due"] = due["name"] if due else _missing(draft, "tasks.due", "no date property")
    if due:
        starts = [
            str(((page.get("properties", {}).get(due["name"]) or {}).get("date") or {}).get("start"))
            for page in sample_pages
        ]
        timed = [len(s) > 10 for s in starts if s != "None"]
        t["due_has_time"] = bool(timed) and sum(timed) * 2 > len(timed)

    projects_id = (projects_schema or {}).get("id")
    relation = next(
        (
            p
            for p in props.values()
            if p["type"] == "relation"
            and (projects_id is None or p["relation"].get("data_source_id") == projects_id)
        ),
        None,
    )
    project_select = pick(_without(props, status), ["select"], PROJECT_NAMES, strict=True)
    if relation is not None:
        t["project"], t["project_type"] = relation["name"], "relation"
    elif project_select is not None:
        t["project"], t["project_type"] = project_select["name"], "select"
    else:
        t["project"] = _missing(draft, "tasks.project", "no relation to the projects, nor a team-like select")

    darcy = next(
        (p for p in props.values() if p["type"] == "rich_text" and p["name"].casefold() == "darcy id"), None
    )
    description = pick(_without(props, darcy), ["rich_text"], DESCRIPTION_NAMES)
    t["description"] = description["name"] if description else ""
    if darcy:
        t["darcy_id"] = darcy["name"]

    if t.get("project_type") == "relation" and projects_schema is not None:
        draft.projects = _projects(projects_schema, draft)
    return draft


def _status_options(prop: JSON) -> JSON:
    """Options and which are open work: a status property's groups say it (To-do and In
    progress are open); a select's names are guessed; a checkbox gets two words."""
    kind = prop["type"]
    if kind == "checkbox":
        return {
            "status_options": ["To do", "Done"],
            "active_statuses": ["To do"],
            "default_status": "To do",
            "done_status": "Done",
            "archive_status": "Done",
        }
    options = [o["name"] for o in prop[kind].get("options", [])]
    if kind == "status":
        by_id = {o["id"]: o["name"] for o in prop["status"]["options"]}
        groups = {
            g["name"].casefold(): [by_id[i] for i in g["option_ids"] if i in by_id]
            for g in prop["status"].get("groups", [])
        }
        todo, doing = groups.get("to-do", []), groups.get("in progress", [])
        closed = groups.get("complete", [])
        active = todo + doing
    else:
        closed = [o for o in options if _named(o, DONE_NAMES + ARCHIVE_NAMES)]
        active = [o for o in options if o not in closed]
        todo = active[:1]
    done = next((o for o in closed if _named(o, DONE_NAMES)), closed[0] if closed else "")
    archive = next((o for o in closed if _named(o, ARCHIVE_NAMES)), closed[-1] if closed else "")
    return {
        "status_options": options,
        "active_statuses": active,
        "default_status": (todo or active or options or [""])[0],
        "done_status": done,
        "archive_status": archive,
    }


def _projects(schema: JSON, draft: Draft) -> JSON:
    props: dict[str, JSON] = schema.get("properties", {})
    p: JSON = {}
    title = pick(props, ["title"], [])
    p["title"] = title["name"] if title else _missing(draft, "projects.title", "no title property")
    progress = pick(props, ["select", "status"], STATUS_NAMES, strict=True)
    if progress is None:
        p["progress"] = ""
    else:
        p["progress"], p["progress_type"] = progress["name"], progress["type"]
        options = _status_options(progress)
        p["progress_options"] = options["status_options"]
        p["active_progress"] = [
            o
            for o in options["active_statuses"]
            if not _named(o, ["completed", "complete", "done", "cancelled"])
        ]
    lead = pick(props, ["people"], LEAD_NAMES)
    p["lead"] = lead["name"] if lead else ""
    return p


def pick(props: dict[str, JSON], types: list[str], names: list[str], *, strict: bool = False) -> JSON | None:
    """The property of one of `types` whose name is likeliest: an exact common name, then
    one containing it, then (unless `strict`) the first of the type."""
    candidates = [p for p in props.values() if p["type"] in types]
    for name in names:
        exact = next((p for p in candidates if p["name"].casefold() == name), None)
        if exact:
            return exact
    for name in names:
        partial = next((p for p in candidates if name in p["name"].casefold()), None)
        if partial:
            return partial
    return None if strict or not candidates else candidates[0]


def render_toml(
    draft: Draft, *, tasks_data_source_id: str | None = None, projects_data_source_id: str | None = None
) -> str:
    """The draft as TOML to paste into darcy.toml (values are JSON-quoted, which TOML reads)."""
    lines = [
        "# Drafted by `darcy doctor --write-config` from the live schema: check it, then paste",
        "# it into your darcy.toml. Under [notion] you also need:",
    ]
    lines.append(f'#   tasks_data_source_id = "{tasks_data_source_id or "…"}"')
    if projects_data_source_id:
        lines.append(f'#   projects_data_source_id = "{projects_data_source_id}"')
    for where in draft.missing:
        lines.append(f"# TODO {where}")
    for table, values in (("notion.tasks", draft.tasks), ("notion.projects", draft.projects)):
        if not values:
            continue
        lines += ["", f"[{table}]"]
        for key, value in values.items():
            if value is None:
                lines.append(f'# {key} = "?"')
            else:
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def _missing(draft: Draft, where: str, why: str) -> None:
    draft.missing.append(f"{where}: {why}")
    return None


def _named(option: str, names: list[str]) -> bool:
    folded = option.casefold()
    return any(name == folded or name in folded.split() for name in names)


def _without(props: dict[str, JSON], taken: JSON | None) -> dict[str, JSON]:
    return {k: v for k, v in props.items() if taken is None or v["name"] != taken["name"]}
