"""The admin config's property mapping, applied: domain models ↔ Notion property JSON.

Real boards differ: status is a `status`, a `select` or a "Done" `checkbox`; the project
is a relation to a projects data source or a `select`; the due date may carry a time.
Everything that depends on that lives here, driven by `TaskProperties` and
`ProjectProperties`, so the store and core never branch on a board's schema.

Shapes: https://developers.notion.com/reference/page-property-values (values) and
https://developers.notion.com/reference/filter-data-source-entries (filters).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.config import ProjectProperties, TaskProperties
from core.domain import NewTask, Project, Task, TaskChanges, TaskQuery

JSON = dict[str, Any]
MAX_TEXT = 2000  # Notion's limit for one rich-text item, in UTF-16 code units
# A page object shows at most 25 people or related pages per property
# (https://developers.notion.com/reference/retrieve-a-page#limits); the rest are read
# through the property-item endpoint.
MAX_REFERENCES = 25


class TaskMapping:
    """How one board's task pages read and write."""

    def __init__(self, props: TaskProperties, timezone: str | None = None) -> None:
        self.props = props
        self.zone = ZoneInfo(props.due_time_zone or timezone or "UTC")

    # ---- writes ------------------------------------------------------------------------

    def new_task(self, task: NewTask) -> JSON:
        props = self.props
        properties: JSON = {
            props.title: {"title": rich_text(task.title)},
            props.status: self.status_value(task.status or props.default_status),
        }
        if task.assignee_ids:
            properties[props.assignees] = people(task.assignee_ids)
        if task.project_id:
            properties[props.project] = self.project_value(task.project_id)
        if task.due:
            properties[props.due] = self.due_value(task.due)
        if task.description and props.description:
            properties[props.description] = {"rich_text": rich_text(task.description)}
        if props.darcy_id and task.request_id:
            properties[props.darcy_id] = {"rich_text": rich_text(task.request_id)}
        return properties

    def changes(self, changes: TaskChanges, current: JSON | None = None) -> JSON:
        """Only the fields that are set. New assignees replace the people of the `current`
        page, whose groups and bots (never assignees) are written back as they were."""
        props = self.props
        properties: JSON = {}
        if changes.title is not None:
            properties[props.title] = {"title": rich_text(changes.title)}
        if changes.status is not None:
            properties[props.status] = self.status_value(changes.status)
        if changes.assignee_ids is not None:
            kept = other_people(value(current.get("properties", {}), props.assignees)) if current else []
            properties[props.assignees] = people(changes.assignee_ids, kept)
        if changes.project_id is not None:
            properties[props.project] = self.project_value(changes.project_id)
        if changes.due is not None:
            properties[props.due] = self.due_value(changes.due)
        if changes.description is not None and props.description:
            properties[props.description] = {"rich_text": rich_text(changes.description)}
        return properties

    def status_value(self, status: str) -> JSON:
        kind = self.props.status_type
        if kind == "checkbox":
            return {"checkbox": self.is_done(status)}
        return {kind: {"name": status}}

    def is_done(self, status: str) -> bool:
        """For a checkbox board: every status outside the active ones ticks the box."""
        return status not in self.props.active_statuses

    def project_value(self, project_id: str) -> JSON:
        if self.props.project_type == "select":
            return {"select": {"name": project_id}}  # select projects are known by name
        return {"relation": [{"id": project_id}]}

    def due_value(self, day: date) -> JSON:
        """A whole day, or the configured time of that day in the board's zone."""
        if not self.props.due_has_time:
            return {"date": {"start": day.isoformat()}}
        moment = datetime.combine(day, time.fromisoformat(self.props.due_time), tzinfo=self.zone)
        return {"date": {"start": moment.isoformat()}}

    # ---- reads -------------------------------------------------------------------------

    def task(self, page: JSON) -> Task:
        props, values = self.props, page.get("properties", {})
        project = value(values, props.project)
        if props.project_type == "select":
            project_ids = [project["name"]] if isinstance(project, dict) and project.get("name") else []
        else:
            project_ids = [rel["id"] for rel in project or []]
        return Task(
            id=page["id"],
            title=text(value(values, props.title)),
            status=self.status_of(values),
            assignee_ids=person_ids(value(values, props.assignees)),
            project_ids=project_ids,
            due=self.day_of(value(values, props.due)),
            description=text(value(values, props.description)) if props.description else "",
            url=page.get("url"),
        )

    def status_of(self, values: JSON) -> str | None:
        raw = value(values, self.props.status)
        if self.props.status_type == "checkbox":
            if raw is None:
                return None
            return self.props.done_status if raw else self.props.default_status
        return option_name(raw)

    def day_of(self, due: Any) -> date | None:
        """A date value's day; a start with a time counts on its day in the board's zone."""
        if not isinstance(due, dict) or not due.get("start"):
            return None
        start = str(due["start"])
        if len(start) == 10:
            return date.fromisoformat(start)
        moment = datetime.fromisoformat(start[:-1] + "+00:00" if start.endswith("Z") else start)
        return (moment.astimezone(self.zone) if moment.tzinfo else moment).date()

    # ---- queries -----------------------------------------------------------------------

    def filter(self, query: TaskQuery) -> JSON | None:
        """One compound filter for the whole query (one request per page of results)."""
        props = self.props
        conditions: list[JSON] = []
        if query.assignee_id:
            conditions.append({"property": props.assignees, "people": {"contains": query.assignee_id}})
        if query.project_id:
            if props.project_type == "select":
                conditions.append({"property": props.project, "select": {"equals": query.project_id}})
            else:
                conditions.append({"property": props.project, "relation": {"contains": query.project_id}})
        if query.statuses:
            status = self._status_filter(query.statuses)
            if status is not None:
                conditions.append(status)
        conditions += self._due_filters(query.due_after, query.due_before)
        if not conditions:
            return None
        return conditions[0] if len(conditions) == 1 else {"and": conditions}

    def matches_nothing(self, query: TaskQuery) -> bool:
        return query.statuses is not None and not query.statuses

    def _status_filter(self, statuses: list[str]) -> JSON | None:
        props = self.props
        if props.status_type == "checkbox":
            ticks = {self.is_done(status) for status in statuses}
            if len(ticks) != 1:
                return None  # both ticked and unticked: no condition
            return {"property": props.status, "checkbox": {"equals": ticks.pop()}}
        kind = props.status_type
        either = [{"property": props.status, kind: {"equals": status}} for status in statuses]
        return either[0] if len(either) == 1 else {"or": either}

    def _due_filters(self, after: date | None, before: date | None) -> list[JSON]:
        """Inclusive day bounds. With times, the bounds are instants in the board's zone
        (Notion compares a date-time operand to the millisecond, in UTC when no offset)."""
        due = self.props.due
        found: list[JSON] = []
        if not self.props.due_has_time:
            if before:
                found.append({"property": due, "date": {"on_or_before": before.isoformat()}})
            if after:
                found.append({"property": due, "date": {"on_or_after": after.isoformat()}})
            return found
        if before:
            end = datetime.combine(before + timedelta(days=1), time(), tzinfo=self.zone)
            found.append({"property": due, "date": {"before": end.isoformat()}})
        if after:
            start = datetime.combine(after, time(), tzinfo=self.zone)
            found.append({"property": due, "date": {"on_or_after": start.isoformat()}})
        return found

    def truncated(self, page: JSON) -> list[str]:
        """The properties this mapping reads whose value the page object may have cut at 25:
        a relation that says has_more, people that fill all 25 places (a people value gives
        no sign, so 25 means "maybe more")."""
        values = page.get("properties", {})
        names = [self.props.assignees]
        if self.props.project_type == "relation":
            names.append(self.props.project)
        found = []
        for name in names:
            prop = values.get(name)
            if not isinstance(prop, dict):
                continue
            cut_relation = prop.get("type") == "relation" and prop.get("has_more")
            full_people = prop.get("type") == "people" and len(prop.get("people") or []) >= MAX_REFERENCES
            if cut_relation or full_people:
                found.append(name)
        return found

    def sorts(self) -> list[JSON]:
        return [{"property": self.props.due, "direction": "ascending"}]

    def created_by_request(self, task: NewTask, since: datetime) -> JSON:
        """The filter that finds the page a create may have made: by its Darcy ID when the
        board has that property, else by title and creation time (checked further by
        `same_task`)."""
        props = self.props
        if props.darcy_id and task.request_id:
            return {"property": props.darcy_id, "rich_text": {"equals": task.request_id}}
        return {
            "and": [
                {"property": props.title, "title": {"equals": task.title}},
                {"timestamp": "created_time", "created_time": {"on_or_after": since.isoformat()}},
            ]
        }

    def same_task(self, page: JSON, task: NewTask) -> bool:
        """Whether a page holds what `task` would have written."""
        found = self.task(page)
        return (
            found.title == task.title
            and sorted(found.assignee_ids) == sorted(task.assignee_ids)
            and found.project_ids == ([task.project_id] if task.project_id else [])
            and found.due == task.due
        )


class ProjectMapping:
    """Projects: pages of the projects data source, or the options of the tasks' select."""

    def __init__(self, props: ProjectProperties, tasks: TaskProperties) -> None:
        self.props, self.tasks = props, tasks

    @property
    def from_select(self) -> bool:
        return self.tasks.project_type == "select"

    def project(self, page: JSON) -> Project:
        props, values = self.props, page.get("properties", {})
        return Project(
            id=page["id"],
            name=text(value(values, props.title)),
            progress=option_name(value(values, props.progress)) if props.progress else None,
            lead_ids=person_ids(value(values, props.lead)) if props.lead else [],
        )

    def select_projects(self, data_source: JSON) -> list[Project]:
        """A select's options as projects, known by name (a select value has no page)."""
        prop = data_source.get("properties", {}).get(self.tasks.project) or {}
        options = (prop.get("select") or {}).get("options", [])
        return [Project(id=option["name"], name=option["name"]) for option in options]


# ---- request values ----------------------------------------------------------------------


def rich_text(content: str) -> list[JSON]:
    """Rich-text items, split at Notion's limit of 2000 per item. Notion counts UTF-16 code
    units (JavaScript's `.length`): a character beyond the Basic Multilingual Plane, an
    emoji, counts 2. A character is never split between items."""
    chunks: list[str] = []
    start = units = 0
    for i, char in enumerate(content):
        size = 2 if ord(char) > 0xFFFF else 1
        if units + size > MAX_TEXT:
            chunks.append(content[start:i])
            start, units = i, 0
        units += size
    if start < len(content):
        chunks.append(content[start:])
    return [{"type": "text", "text": {"content": chunk}} for chunk in chunks]


def people(user_ids: list[str], kept: list[JSON] | None = None) -> JSON:
    """A people value: the assignees as users, then what else it held (`kept`)."""
    return {"people": [{"object": "user", "id": user_id} for user_id in user_ids] + (kept or [])}


def other_people(entries: Any) -> list[JSON]:
    """The groups and bots of a people value, as a request writes them back: a group as
    {"object": "group"}, a bot as a user (PartialUserObjectRequest | GroupObjectRequest,
    makenotion/notion-sdk-js src/api-endpoints/pages.ts)."""
    return [
        {"object": "group" if entry.get("object") == "group" else "user", "id": entry["id"]}
        for entry in entries or []
        if not _is_person(entry)
    ]


# ---- response values ---------------------------------------------------------------------


def value(values: JSON, name: str | None) -> Any:
    """The inner value of a property (by its configured name), whatever its type."""
    prop = values.get(name) if name else None
    return prop.get(prop.get("type", "")) if isinstance(prop, dict) else None


def text(items: Any) -> str:
    return "".join(item.get("plain_text", "") for item in items or [])


def person_ids(entries: Any) -> list[str]:
    """The people of a people value. It can also hold bots and groups
    (`Array<UserValueResponse | GroupObjectResponse>`, makenotion/notion-sdk-js
    src/api-endpoints/common.ts): they are nobody's assignee or lead."""
    return [entry["id"] for entry in entries or [] if _is_person(entry)]


def _is_person(entry: JSON) -> bool:
    """A person user, or a partial user (only its id: an integration without the user
    information capability sees no type; most are people)."""
    return entry.get("object", "user") == "user" and entry.get("type") != "bot"


def option_name(option: Any) -> str | None:
    return option.get("name") if isinstance(option, dict) else None
