"""Turn a workspace description (config/demo-workspace.json) into Notion objects.

The Notion-compatible server serves these objects; tests and demos seed it from
the same JSON. Every ID is a uuid5 of a fixed namespace and names, so the same
workspace always yields the same IDs and a transcript or a test can name them.

The objects have the shapes of Notion API version 2025-09-03:
users https://developers.notion.com/reference/user,
databases https://developers.notion.com/reference/database,
data sources https://developers.notion.com/reference/data-source,
pages https://developers.notion.com/reference/page and
https://developers.notion.com/reference/page-property-values.

A workspace may declare its own schema ("notion_schema") and give a task's values by
property name ("properties"), so a second workspace with another board's schema seeds too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

NAMESPACE = uuid.UUID("5d1f0c8e-2b7a-4e39-9a51-0d4c6e8f7a21")
SEED_TIME = "2026-01-01T00:00:00.000Z"
BOT_NAME = "Darcy"

DEFAULT_SCHEMA: JSON = {
    "tasks_database": {
        "title": "Tasks",
        "properties": {
            "Name": "title",
            "Status": "status",
            "In Charge": "people",
            "Due Dates": "date",
            "Event/Project": "relation -> Projects",
            "Description": "rich_text",
            "Priority": "select",
        },
        "status_options": ["Not Started", "In Progress", "Blocked", "To Review", "Done", "Archive"],
        "active_statuses": ["Not Started", "In Progress", "Blocked", "To Review"],
    },
    "projects_database": {
        "title": "Projects",
        "properties": {"Name": "title", "Progress": "select", "Lead": "people"},
        "progress_options": ["Planning", "Active", "Completed"],
        "active_progress": ["Planning", "Active"],
    },
}
DEFAULT_SELECT_OPTIONS = {"Priority": ["High", "Medium", "Low"]}
COLORS = ["blue", "yellow", "orange", "green", "purple", "pink", "red", "brown", "gray"]
STATUS_COLORS = {"not started": "default", "in progress": "blue", "blocked": "red",
                 "to review": "yellow", "done": "green", "archive": "gray"}
ANNOTATIONS: JSON = {"bold": False, "italic": False, "strikethrough": False,
                     "underline": False, "code": False, "color": "default"}


def stable_id(*parts: str) -> str:
    """A deterministic UUID for a named object."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def notion_url(object_id: str) -> str:
    return f"https://www.notion.so/{object_id.replace('-', '')}"


def text_item(content: str, link: str | None = None) -> JSON:
    """One rich-text item as Notion returns it (https://developers.notion.com/reference/rich-text)."""
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": link} if link else None},
        "annotations": dict(ANNOTATIONS),
        "plain_text": content,
        "href": link,
    }


def rich_text(content: str) -> list[JSON]:
    return [text_item(content)] if content else []


def plain_text(items: list[JSON]) -> str:
    return "".join(item.get("plain_text", "") for item in items)


def person_user(user_id: str, name: str, email: str | None) -> JSON:
    return {"object": "user", "id": user_id, "type": "person", "name": name,
            "avatar_url": None, "person": {"email": email} if email else {}}


def group_object(group_id: str, name: str) -> JSON:
    """A group in a people value: {"object": "group", "id", "name"} (GroupObjectResponse,
    makenotion/notion-sdk-js v5.26.0 src/api-endpoints/common.ts)."""
    return {"object": "group", "id": group_id, "name": name}


def bot_user(bot_id: str, name: str = BOT_NAME) -> JSON:
    return {"object": "user", "id": bot_id, "type": "bot", "name": name, "avatar_url": None,
            "bot": {"owner": {"type": "workspace", "workspace": True},
                    "workspace_name": "Darcy demo workspace"}}


@dataclass
class SeedState:
    """Everything the server holds, keyed by ID."""

    bot_id: str
    tasks_database_id: str
    tasks_data_source_id: str
    projects_database_id: str
    projects_data_source_id: str
    users: dict[str, JSON] = field(default_factory=dict)
    # Groups of people: a people property can hold them (GroupObjectResponse, notion-sdk-js).
    groups: dict[str, JSON] = field(default_factory=dict)
    databases: dict[str, JSON] = field(default_factory=dict)
    data_sources: dict[str, JSON] = field(default_factory=dict)
    pages: dict[str, JSON] = field(default_factory=dict)
    comments: dict[str, list[JSON]] = field(default_factory=dict)
    signin_page_id: str | None = None  # "Darcy sign-in": where sign-in codes are posted


def workspace_state(workspace: dict[str, Any]) -> SeedState:
    """Build users, the Projects and Tasks databases and their pages from a workspace JSON."""
    schema = {**DEFAULT_SCHEMA, **workspace.get("notion_schema", {})}
    tasks_spec, projects_spec = schema["tasks_database"], schema["projects_database"]
    projects_title, tasks_title = projects_spec["title"], tasks_spec["title"]
    state = SeedState(
        bot_id=stable_id("user", "bot"),
        tasks_database_id=stable_id("database", tasks_title),
        tasks_data_source_id=stable_id("data_source", tasks_title),
        projects_database_id=stable_id("database", projects_title),
        projects_data_source_id=stable_id("data_source", projects_title),
    )
    handles = _add_users(state, workspace.get("members", []))
    _add_database(state, projects_spec, state.projects_database_id, state.projects_data_source_id)
    _add_database(state, tasks_spec, state.tasks_database_id, state.tasks_data_source_id,
                  relations={projects_title: (state.projects_data_source_id,
                                              state.projects_database_id)})

    project_ids: dict[str, str] = {}
    projects_ds = state.data_sources[state.projects_data_source_id]
    for project in workspace.get("projects", []):
        values = {"title": project["name"], "select": project.get("progress"),
                  "people": _user_ids(handles, project.get("lead"), project["name"])}
        page = _add_page(state, projects_ds, project["name"], values)
        project_ids[project["name"]] = page["id"]

    tasks_ds = state.data_sources[state.tasks_data_source_id]
    for task in workspace.get("tasks", []):
        if "properties" in task:  # another schema: values named by property
            named = _named_values(tasks_ds, task["title"], task["properties"], handles, project_ids)
            _add_page(state, tasks_ds, task["title"], {"title": task["title"]}, named)
            continue
        project_name = task.get("project")
        if project_name and project_name not in project_ids:
            raise ValueError(f"task {task['title']!r}: unknown project {project_name!r}")
        values = {
            "title": task["title"],
            "status": task.get("status"),
            "people": _user_ids(handles, task.get("in_charge"), task["title"]),
            "date": task.get("due"),
            "relation": [project_ids[project_name]] if project_name else [],
            "rich_text": task.get("description") or "",
            "select": task.get("priority"),
        }
        _add_page(state, tasks_ds, task["title"], values)
    state.signin_page_id = _add_signin_page(state)
    return state


SIGNIN_PAGE_TITLE = "Darcy sign-in"


def _add_signin_page(state: SeedState) -> str:
    """A page at the top of the workspace (a workspace parent, in no data source) where Darcy
    posts sign-in codes as comments mentioning the person ([identity] signin_page_id)."""
    page_id = stable_id("page", "darcy-sign-in")
    state.pages[page_id] = {
        "object": "page", "id": page_id, "created_time": SEED_TIME, "last_edited_time": SEED_TIME,
        "created_by": {"object": "user", "id": state.bot_id},
        "last_edited_by": {"object": "user", "id": state.bot_id},
        "cover": None, "icon": None, "parent": {"type": "workspace", "workspace": True},
        "archived": False, "in_trash": False, "is_locked": False,
        "properties": {"title": {"id": "title", "type": "title", "title": rich_text(SIGNIN_PAGE_TITLE)}},
        "url": notion_url(page_id), "public_url": None,
    }
    return page_id


def _named_values(data_source: JSON, owner: str, values: JSON, handles: dict[str, str],
                  project_ids: dict[str, str]) -> JSON:
    """Plain seed values keyed by property name: handles for people, project names for
    relations, option names, ISO dates (with or without a time), booleans for checkboxes."""
    plain: JSON = {}
    for name, value in values.items():
        prop = data_source["properties"].get(name)
        if prop is None:
            raise ValueError(f"{owner!r}: no property {name!r} in {plain_text(data_source['title'])}")
        if prop["type"] == "people":
            value = _user_ids(handles, value, owner)
        elif prop["type"] == "relation":
            names = [value] if isinstance(value, str) else list(value or [])
            unknown = [n for n in names if n not in project_ids]
            if unknown:
                raise ValueError(f"{owner!r}: unknown project(s) {', '.join(unknown)}")
            value = [project_ids[n] for n in names]
        plain[name] = value
    return plain


def _add_users(state: SeedState, members: list[JSON]) -> dict[str, str]:
    """Add a person user per member and the bot; return handle → user id."""
    handles: dict[str, str] = {}
    for member in members:
        user_id = member.get("notion_user_id") or stable_id("user", member["handle"])
        state.users[user_id] = person_user(user_id, member["name"], member.get("email"))
        handles[member["handle"]] = user_id
    state.users[state.bot_id] = bot_user(state.bot_id)
    return handles


def _user_ids(handles: dict[str, str], value: str | list[str] | None, owner: str) -> list[str]:
    names = [value] if isinstance(value, str) else list(value or [])
    unknown = [name for name in names if name not in handles]
    if unknown:
        raise ValueError(f"{owner!r}: unknown member handle(s) {', '.join(unknown)}")
    return [handles[name] for name in names]


def _add_database(state: SeedState, spec: JSON, database_id: str, data_source_id: str,
                  relations: dict[str, tuple[str, str]] | None = None) -> None:
    title = spec["title"]
    properties = {
        name: _property_schema(title, name, kind, spec, relations or {})
        for name, kind in spec["properties"].items()
    }
    common = {"created_time": SEED_TIME, "last_edited_time": SEED_TIME,
              "created_by": {"object": "user", "id": state.bot_id},
              "last_edited_by": {"object": "user", "id": state.bot_id},
              "icon": None, "cover": None, "in_trash": False, "is_inline": False}
    state.databases[database_id] = {
        "object": "database", "id": database_id, "title": rich_text(title), "description": [],
        "parent": {"type": "workspace", "workspace": True}, "is_locked": False,
        "data_sources": [{"id": data_source_id, "name": title}],
        "url": notion_url(database_id), "public_url": None, **common,
    }
    state.data_sources[data_source_id] = {
        "object": "data_source", "id": data_source_id, "title": rich_text(title),
        "description": [], "parent": {"type": "database_id", "database_id": database_id},
        "database_parent": {"type": "workspace", "workspace": True}, "archived": False,
        "properties": properties, "url": notion_url(data_source_id), "public_url": None,
        **common,
    }


def _property_schema(table: str, name: str, kind: str, spec: JSON,
                     relations: dict[str, tuple[str, str]]) -> JSON:
    """A data-source property object (https://developers.notion.com/reference/property-object)."""
    prop_id = "title" if kind == "title" else stable_id("property", table, name)[:8]
    base: JSON = {"id": prop_id, "name": name, "description": None}
    if kind.startswith("relation"):
        target = kind.split("->", 1)[1].strip()
        if target not in relations:
            raise ValueError(f"{table}.{name}: relation to unknown database {target!r}")
        ds_id, db_id = relations[target]
        return {**base, "type": "relation", "relation": {
            "data_source_id": ds_id, "database_id": db_id,
            "type": "single_property", "single_property": {}}}
    if kind == "status":
        return {**base, "type": "status", "status": _status_config(table, name, spec)}
    if kind == "select":
        names = spec.get(f"{name.lower().replace(' ', '_')}_options",
                         DEFAULT_SELECT_OPTIONS.get(name, []))
        return {**base, "type": "select",
                "select": {"options": [select_option(table, name, option, i)
                                       for i, option in enumerate(names)]}}
    return {**base, "type": kind, kind: {}}


def select_option(table: str, prop: str, option: str, index: int) -> JSON:
    return {"id": stable_id("option", table, prop, option)[:8], "name": option,
            "color": COLORS[index % len(COLORS)], "description": None}


def _status_config(table: str, name: str, spec: JSON) -> JSON:
    """Options plus Notion's three groups: the first active status is To-do, the other
    active ones In progress, the rest Complete."""
    options = [
        {"id": stable_id("option", table, name, option)[:8], "name": option,
         "color": STATUS_COLORS.get(option.lower(), "default"), "description": None}
        for option in spec.get("status_options", [])
    ]
    active = spec.get("active_statuses", [o["name"] for o in options])
    todo = [o["id"] for o in options if active and o["name"] == active[0]]
    doing = [o["id"] for o in options if o["name"] in active[1:]]
    done = [o["id"] for o in options if o["name"] not in active]
    groups = [
        {"id": stable_id("group", table, name, group)[:8], "name": group, "color": color,
         "option_ids": ids}
        for group, color, ids in (("To-do", "gray", todo), ("In progress", "blue", doing),
                                  ("Complete", "green", done))
    ]
    return {"options": options, "groups": groups}


def _add_page(state: SeedState, data_source: JSON, key: str, values: JSON,
              named: JSON | None = None) -> JSON:
    """Add a page; `values` maps a property *type* to a plain value for the first
    property of that type, `named` a property *name* to its plain value."""
    page_id = stable_id("page", data_source["id"], key)
    suffix = 1
    while page_id in state.pages:  # duplicate titles still get distinct, stable IDs
        suffix += 1
        page_id = stable_id("page", data_source["id"], key, str(suffix))
    properties: JSON = {}
    for prop in data_source["properties"].values():
        value = values.get(prop["type"]) if _first_of_type(data_source, prop) else None
        if named and prop["name"] in named:
            value = named[prop["name"]]
        properties[prop["name"]] = property_value(state, data_source, prop, value)
    page = new_page(state.bot_id, page_id, data_source, properties, SEED_TIME)
    state.pages[page_id] = page
    return page


def _first_of_type(data_source: JSON, prop: JSON) -> bool:
    first = next(p for p in data_source["properties"].values() if p["type"] == prop["type"])
    return first is prop


def new_page(bot_id: str, page_id: str, data_source: JSON, properties: JSON, when: str) -> JSON:
    """A page object in a data source (https://developers.notion.com/reference/page)."""
    return {
        "object": "page", "id": page_id, "created_time": when, "last_edited_time": when,
        "created_by": {"object": "user", "id": bot_id},
        "last_edited_by": {"object": "user", "id": bot_id},
        "cover": None, "icon": None,
        "parent": {"type": "data_source_id", "data_source_id": data_source["id"],
                   "database_id": data_source["parent"]["database_id"]},
        "archived": False, "in_trash": False, "is_locked": False,
        "properties": properties, "url": notion_url(page_id), "public_url": None,
    }


def property_value(state: SeedState, data_source: JSON, prop: JSON, value: Any) -> JSON:
    """A typed page property value from a plain seed value (names for status/select,
    user ids for people, page ids for relations, an ISO date string for dates)."""
    kind = prop["type"]
    head: JSON = {"id": prop["id"], "type": kind}
    if kind in ("title", "rich_text"):
        return {**head, kind: rich_text(value or "")}
    if kind in ("status", "select"):
        if value is None:
            return {**head, kind: None if kind == "select" else default_status(prop)}
        options = prop[kind]["options"]
        option = next((o for o in options if o["name"] == value), None)
        if option is None:
            if kind == "status":
                raise ValueError(f"{prop['name']}: unknown status {value!r}")
            table = plain_text(data_source["title"])
            option = select_option(table, prop["name"], value, len(options))
            options.append(option)
        return {**head, kind: {k: option[k] for k in ("id", "name", "color")}}
    if kind == "people":
        return {**head, "people": [state.users.get(some_id) or state.groups[some_id]
                                   for some_id in value or []]}
    if kind == "relation":
        return {**head, "relation": [{"id": page_id} for page_id in value or []],
                "has_more": False}
    if kind == "date":
        return {**head, "date": {"start": value, "end": None, "time_zone": None} if value else None}
    if kind == "checkbox":
        return {**head, "checkbox": bool(value)}
    if kind == "created_by":  # read-only: the integration creates every page here
        return {**head, "created_by": {"object": "user", "id": state.bot_id}}
    return {**head, kind: value}


def default_status(prop: JSON) -> JSON | None:
    """Notion gives a new page the first option of the To-do group."""
    config = prop["status"]
    first_group = next((g for g in config["groups"] if g["option_ids"]), None)
    if first_group is None:
        return None
    option = next(o for o in config["options"] if o["id"] == first_group["option_ids"][0])
    return {k: option[k] for k in ("id", "name", "color")}
