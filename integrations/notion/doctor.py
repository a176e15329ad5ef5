"""`darcy doctor`: check the [notion] config against the live workspace, one fix per problem.

It connects with the configured token, reads both data sources' schemas
(https://developers.notion.com/reference/retrieve-a-data-source) and the users, and reports
every mismatch with the config: a missing property, a property of the wrong type, a status
option Notion does not have, a data source the integration cannot see (Notion answers 404
object_not_found for a page not shared with the integration, exactly as for a missing one,
and 403 restricted_resource for a missing capability), and the comment capabilities Darcy
needs (reading them for task details, inserting them when some role may comment). Each
problem comes with the fix in one line; the exit status is 1 if there is any problem.

With `write_config`, it also drafts the [notion.tasks] / [notion.projects] mapping from the
live schema (config_draft.py) and prints it; the exit status then says whether the draft is
complete (0) or some setting could not be guessed or nothing could be read (1).
"""

from __future__ import annotations

import difflib
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

from notion_client.errors import APIResponseError

from core.config import NotionSettings, Settings, notion_id
from integrations.notion.config_draft import draft_mapping, render_toml
from integrations.notion.errors import store_error
from integrations.notion.retry import error_code
from integrations.notion.server import NotionEmulator
from integrations.notion.store import NotionTaskStore

JSON = dict[str, Any]
T = TypeVar("T")
# The types a setting can switch between (config: status_type, project_type, progress_type).
TYPE_CHOICES = {
    "status_type": ["status", "select", "checkbox"],
    "project_type": ["relation", "select"],
    "progress_type": ["select", "status"],
}
SHARE_FIX = "in Notion, open the {what} database → ⋯ → Connections → add the integration “{bot}”"
CAPABILITY_FIX = (
    "in the integration's settings (notion.so/profile/integrations) → Capabilities, allow “{name}”"
)
USERS_FIX = (
    "in the integration's settings (notion.so/profile/integrations) → Capabilities, "
    "allow “Read user information including email addresses”"
)


@dataclass
class Finding:
    ok: bool
    what: str
    fix: str | None = None
    warning: bool = False  # worth knowing, not a problem

    def render(self) -> str:
        mark = "✓" if self.ok else "!" if self.warning else "✗"
        return f"{mark} {self.what}" + (f"\n    fix: {self.fix}" if self.fix else "")


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    tasks_schema: JSON | None = None
    projects_schema: JSON | None = None
    sample_tasks: list[JSON] = field(default_factory=list)

    def good(self, what: str) -> None:
        self.findings.append(Finding(True, what))

    def problem(self, what: str, fix: str) -> None:
        self.findings.append(Finding(False, what, fix))

    def warn(self, what: str, fix: str) -> None:
        self.findings.append(Finding(False, what, fix, warning=True))

    @property
    def problems(self) -> int:
        return sum(1 for f in self.findings if not f.ok and not f.warning)


async def run_doctor(settings: Settings, *, write_config: bool = False, out: TextIO | None = None) -> int:
    """Check the configured workspace (the embedded demo when [notion] embedded = true), print
    the report (and the draft), return the exit status."""
    out = out or sys.stdout
    notion = settings.notion
    comments = any(role.comment != "none" for role in settings.roles.values())
    if notion.embedded:
        workspace = json.loads(settings.workspace.seed.read_text(encoding="utf-8"))
        async with NotionEmulator(workspace) as emulator:
            print(
                f"Checking the embedded workspace ({settings.workspace.seed.name}; "
                "[notion] embedded = true).",
                file=out,
            )
            embedded = notion.model_copy(
                update={
                    "tasks_data_source_id": notion.tasks_data_source_id or emulator.tasks_data_source_id,
                    "projects_data_source_id": (
                        notion.projects_data_source_id or emulator.projects_data_source_id
                    ),
                }
            )
            return await doctor(
                embedded,
                base_url=emulator.base_url or "",
                token=emulator.token,
                write_config=write_config,
                comments=comments,
                signin_page_id=settings.identity.signin_page_id or emulator.signin_page_id,
                out=out,
            )
    base_url = notion.base_url or "https://api.notion.com"
    print(f"Checking the Notion workspace at {base_url}.", file=out)
    return await doctor(
        notion,
        base_url=base_url,
        token=notion.token(),
        write_config=write_config,
        comments=comments,
        signin_page_id=settings.identity.signin_page_id,
        out=out,
    )


async def doctor(
    notion: NotionSettings,
    *,
    base_url: str,
    token: str | None,
    write_config: bool = False,
    comments: bool = True,
    signin_page_id: str | None = None,
    out: TextIO | None = None,
) -> int:
    """`comments`: some role may comment, so inserting comments must be allowed too.
    `signin_page_id`: where sign-in codes are posted ([identity]), checked when set."""
    out = out or sys.stdout
    report = await diagnose(
        notion, base_url=base_url, token=token, comments=comments, signin_page_id=signin_page_id
    )
    for finding in report.findings:
        print(finding.render(), file=out)
    if report.problems:
        print(f"\n{report.problems} problem{'s' if report.problems != 1 else ''} found.", file=out)
        if not write_config and report.tasks_schema is not None:
            print("`darcy doctor --write-config` drafts the mapping from the live schema.", file=out)
    else:
        print("\nNo problems: Darcy can work with this workspace.", file=out)
    if not write_config:
        return 1 if report.problems else 0
    if report.tasks_schema is None:
        print("\nCannot draft a config: the tasks data source could not be read.", file=out)
        return 1
    draft = draft_mapping(report.tasks_schema, report.projects_schema, report.sample_tasks)
    print(
        "\n"
        + render_toml(
            draft,
            tasks_data_source_id=notion.tasks_data_source_id,
            projects_data_source_id=notion.projects_data_source_id,
        ),
        file=out,
        end="",
    )
    return 0 if draft.complete else 1


async def diagnose(
    notion: NotionSettings,
    *,
    base_url: str,
    token: str | None,
    comments: bool = True,
    signin_page_id: str | None = None,
) -> Report:
    """Every check, in the order an admin would fix them."""
    report = Report()
    if not token:
        report.problem(
            f"no integration token: ${notion.token_env} is not set",
            f"export {notion.token_env}=… (the integration's Internal Integration Secret)",
        )
        return report
    if not notion.tasks_data_source_id:
        report.problem(
            "notion.tasks_data_source_id is not set",
            "in Notion, the Tasks database → ⋯ → Manage data sources → Copy data source ID, "
            "then set [notion] tasks_data_source_id",
        )
        return report
    store = NotionTaskStore.connect(
        notion.model_copy(update={"read_attempts": 1, "rate_limit_retries": 2}),
        base_url=base_url,
        token=token,
        tasks_data_source_id=notion.tasks_data_source_id,
        projects_data_source_id=notion.projects_data_source_id or "",
    )
    try:
        await _Checks(store, notion, report, comments=comments, signin_page_id=signin_page_id).run()
    finally:
        await store.aclose()
    return report


class _Checks:
    def __init__(
        self,
        store: NotionTaskStore,
        notion: NotionSettings,
        report: Report,
        *,
        comments: bool,
        signin_page_id: str | None = None,
    ) -> None:
        self.store, self.client, self.notion, self.report = store, store.client, notion, report
        self.signin_page_id = signin_page_id
        self.bot = "Darcy"
        self.insert_comments = comments

    async def run(self) -> None:
        if not await self.token():
            return
        tasks = await self.data_source("Tasks", "tasks_data_source_id", self.notion.tasks_data_source_id)
        self.report.tasks_schema = tasks
        projects = None
        if self.notion.tasks.project_type == "relation" or self.notion.projects_data_source_id:
            if self.notion.projects_data_source_id:
                projects = await self.data_source(
                    "Projects", "projects_data_source_id", self.notion.projects_data_source_id
                )
            else:
                self.report.problem(
                    "notion.projects_data_source_id is not set",
                    "copy the Projects data source's ID into [notion] projects_data_source_id",
                )
        self.report.projects_schema = projects
        if tasks is not None:
            self.task_properties(tasks, projects)
            await self.sample(tasks)
            await self.comments()
        if projects is not None and self.notion.tasks.project_type == "relation":
            self.project_properties(projects)
        await self.users()
        if self.signin_page_id:
            await self.signin_page(self.signin_page_id)

    async def signin_page(self, page_id: str) -> None:
        """[identity] signin_page_id: Darcy must open the page and comment on it (a code is a
        comment mentioning the person). Inserting is tried as for tasks: with no text, which
        Notion refuses either way, so nothing is written."""
        try:
            await self.call(lambda: self.client.pages.retrieve(page_id=page_id))
        except APIResponseError as error:
            self.report.problem(
                f"the integration cannot open the sign-in page {page_id} ({error_code(error)}): "
                "it is not shared with the integration, or identity.signin_page_id is wrong",
                f"in Notion, open the sign-in page → ⋯ → Connections → add the integration “{self.bot}”",
            )
            return
        if await self.comment_check(
            "add",
            "Insert comments",
            lambda: self.client.comments.create(parent={"page_id": page_id}, rich_text=[]),
            refused="validation_error",
        ):
            self.report.good("sign-in page: open, and sign-in codes can be posted on it")

    # ---- access --------------------------------------------------------------------------

    async def token(self) -> bool:
        try:
            me = await self.call(self.client.users.me)
        except APIResponseError as error:
            if error_code(error) == "unauthorized":
                self.report.problem(
                    "Notion refused the integration token (unauthorized)",
                    f"put the integration's current secret in ${self.notion.token_env}",
                )
            else:
                self.report.problem(
                    f"Notion answered {error_code(error)} to a token check",
                    "try again; if it persists, check status.notion.so",
                )
            return False
        except Exception as error:  # unreachable, timeout
            translated = store_error("reach Notion", error, self.notion.token_env)
            self.report.problem(str(translated or error), "check the network and [notion] base_url")
            return False
        self.bot = me.get("name") or self.bot
        workspace = (me.get("bot") or {}).get("workspace_name")
        self.report.good(
            f"token accepted: integration “{self.bot}”"
            + (f" in workspace “{workspace}”" if workspace else "")
        )
        return True

    async def data_source(self, what: str, key: str, data_source_id: str) -> JSON | None:
        try:
            schema = await self.call(lambda: self.client.data_sources.retrieve(data_source_id=data_source_id))
        except APIResponseError as error:
            code = error_code(error)
            if code in ("object_not_found", "restricted_resource", "validation_error"):
                await self.no_access(what, key, data_source_id, code or "")
            else:
                self.report.problem(f"{what} data source: Notion answered {code}", "try again later")
            return None
        title = "".join(t.get("plain_text", "") for t in schema.get("title", [])) or what
        self.report.good(f"{what} data source “{title}” is shared with the integration")
        return schema

    async def no_access(self, what: str, key: str, data_source_id: str, code: str) -> None:
        """A database ID where a data source ID is due is a common mix-up: say which one to use."""
        try:
            database = await self.call(lambda: self.client.databases.retrieve(database_id=data_source_id))
        except Exception:
            database = None
        sources = (database or {}).get("data_sources") or []
        if sources:
            self.report.problem(
                f"notion.{key} is a database ID, not a data source ID",
                f'set [notion] {key} = "{sources[0]["id"]}"',
            )
            return
        self.report.problem(
            f"the integration cannot see the {what} data source {data_source_id} ({code}): "
            "it is not shared with the integration, or the ID is wrong",
            SHARE_FIX.format(what=what, bot=self.bot),
        )

    async def users(self) -> None:
        try:
            page = await self.call(lambda: self.client.users.list(page_size=100))
        except APIResponseError as error:
            self.report.problem(f"cannot list the workspace's users ({error_code(error)})", USERS_FIX)
            return
        people = [u for u in page.get("results", []) if u.get("type") == "person"]
        if people and not any((u.get("person") or {}).get("email") for u in people):
            self.report.problem(
                "Notion shows no user's e-mail: people cannot link their chat accounts", USERS_FIX
            )
            return
        self.report.good(f"users readable ({len(people)}{'+' if page.get('has_more') else ''} people)")

    async def sample(self, tasks: JSON) -> None:
        """A few tasks: proves the query works, and tells the draft whether dates carry times."""
        try:
            page = await self.call(
                lambda: self.client.data_sources.query(data_source_id=tasks["id"], page_size=20)
            )
        except APIResponseError as error:
            self.report.problem(
                f"cannot query the tasks ({error_code(error)})",
                "give the integration the “Read content” capability",
            )
            return
        self.report.sample_tasks = page.get("results", [])

    async def comments(self) -> None:
        """Task details list a task's comments ("Read comments"); the add_comment tool writes
        them ("Insert comments"), checked when some role may comment. Without one, Notion
        answers 403 restricted_resource (https://developers.notion.com/guides/data-apis/
        working-with-comments), which only a call shows: the capabilities are not readable.
        Inserting is tried with a comment Notion must refuse, one without text: a 403 means
        the capability is missing, a 400 validation_error that it is there, and nothing is
        written either way. (Whether Notion checks the capability before the body is not
        documented; if it checked the body first, a missing capability would pass here.)"""
        if not self.report.sample_tasks:
            self.report.warn(
                "comments: no task to check the comment capabilities on",
                "run the doctor again once the Tasks database has a task",
            )
            return
        page_id = self.report.sample_tasks[0]["id"]
        readable = await self.comment_check(
            "read", "Read comments", lambda: self.client.comments.list(block_id=page_id, page_size=1)
        )
        writable = not self.insert_comments or await self.comment_check(
            "add",
            "Insert comments",
            lambda: self.client.comments.create(parent={"page_id": page_id}, rich_text=[]),
            refused="validation_error",  # expected: notion-client's warning about it is kept quiet
        )
        if readable and writable:
            self.report.good(f"comments: readable{' and writable' if self.insert_comments else ''}")

    async def comment_check(
        self, verb: str, capability: str, request: Callable[[], Awaitable[Any]], refused: str | None = None
    ) -> bool:
        client_log = self.client.logger
        level = client_log.level
        if refused:
            client_log.setLevel(logging.ERROR)
        try:
            await self.call(request)
        except APIResponseError as error:
            code = error_code(error)
            if code == refused:
                return True
            if code == "restricted_resource":
                self.report.problem(
                    f"the integration cannot {verb} comments (restricted_resource)",
                    CAPABILITY_FIX.format(name=capability),
                )
            else:
                self.report.problem(f"cannot {verb} comments ({code})", "try again later")
            return False
        finally:
            client_log.setLevel(level)
        return True

    # ---- schema --------------------------------------------------------------------------

    def task_properties(self, schema: JSON, projects: JSON | None) -> None:
        t = self.notion.tasks
        props = schema.get("properties", {})
        self.expect(props, "tasks", "title", t.title, ["title"])
        status = self.expect(props, "tasks", "status", t.status, [t.status_type], type_key="status_type")
        if status is not None:
            self.status_options(
                status,
                t.status_options,
                t.active_statuses,
                [t.default_status, t.done_status, t.archive_status],
            )
        self.expect(props, "tasks", "assignees", t.assignees, ["people"])
        self.expect(props, "tasks", "due", t.due, ["date"])
        project = self.expect(props, "tasks", "project", t.project, [t.project_type], type_key="project_type")
        if project is not None and t.project_type == "relation" and projects is not None:
            target = project["relation"].get("data_source_id")
            if notion_id(target or "") != notion_id(projects.get("id") or ""):
                self.report.problem(
                    f"tasks.project “{t.project}” relates to data source {target}, "
                    f"not to notion.projects_data_source_id",
                    f'set [notion] projects_data_source_id = "{target}"',
                )
        if t.description:
            self.expect(props, "tasks", "description", t.description, ["rich_text"])
        if t.darcy_id:
            self.expect(props, "tasks", "darcy_id", t.darcy_id, ["rich_text"])

    def project_properties(self, schema: JSON) -> None:
        p = self.notion.projects
        props = schema.get("properties", {})
        self.expect(props, "projects", "title", p.title, ["title"])
        if p.progress:
            progress = self.expect(
                props, "projects", "progress", p.progress, [p.progress_type], type_key="progress_type"
            )
            if progress is not None:
                self.status_options(progress, p.progress_options, p.active_progress, [], key="progress")
        if p.lead:
            self.expect(props, "projects", "lead", p.lead, ["people"])

    def expect(
        self, props: JSON, table: str, key: str, name: str, types: list[str], type_key: str | None = None
    ) -> JSON | None:
        """The property `name` exists with one of `types`; else a problem and its fix."""
        prop = props.get(name)
        setting = f"[notion.{table}] {key}"
        if prop is None:
            self.report.problem(
                f"{table}.{key}: no property “{name}”",
                self.rename_fix(props, table, key, name, types, type_key),
            )
            return None
        if prop["type"] not in types:
            if type_key is not None:
                fix = f'set [notion.{table}] {type_key} = "{prop["type"]}" if that is right'
            else:
                fix = f"name a {types[0]} property in {setting}"
            self.report.problem(
                f"{table}.{key}: “{name}” is a {prop['type']} property, "
                f"the config expects {' or '.join(types)}",
                fix,
            )
            return None
        self.report.good(f"{table}.{key}: “{name}” ({prop['type']})")
        return prop

    @staticmethod
    def rename_fix(
        props: JSON, table: str, key: str, name: str, types: list[str], type_key: str | None
    ) -> str:
        """Name the likeliest property: of the expected type, else of another type the
        setting allows (a "State" select for a status), with its type setting."""
        setting = f"[notion.{table}] {key}"
        same_type = [p["name"] for p in props.values() if p["type"] in types]
        if same_type:
            return f'set {setting} = "{difflib.get_close_matches(name, same_type, n=1, cutoff=0)[0]}"'
        other_types = TYPE_CHOICES.get(type_key or "", [])
        others = {p["name"]: p["type"] for p in props.values() if p["type"] in other_types}
        close = difflib.get_close_matches(name, list(others), n=1, cutoff=0.3)
        if close:
            return f'set {setting} = "{close[0]}" and {type_key} = "{others[close[0]]}"'
        return f"add a {types[0]} property “{name}” in Notion, or name another in {setting}"

    def status_options(
        self, prop: JSON, options: list[str], active: list[str], named: list[str], key: str = "status"
    ) -> None:
        table = "tasks" if key == "status" else "projects"
        option_key = f"{key}_options"
        kind = prop["type"]
        if kind == "checkbox":
            if len({o in active for o in named}) < 2:
                self.report.problem(
                    f"{table}: a checkbox needs an active default status and a done one",
                    f"list the unticked status in [notion.{table}] active_statuses",
                )
            return
        have = [o["name"] for o in prop[kind].get("options", [])]
        for option in options:
            if option not in have:
                self.report.problem(
                    f"{table}.{option_key}: “{option}” is not an option of “{prop['name']}” "
                    f"(it has {', '.join(have) or 'none'})",
                    f"remove “{option}” from [notion.{table}] {option_key}, or add it to “{prop['name']}”",
                )
        for option in [*active, *named]:
            if option and option not in options:
                self.report.problem(
                    f"{table}: “{option}” is used in the config but not in {option_key}",
                    f"add “{option}” to [notion.{table}] {option_key}",
                )
        unknown = [o for o in have if o not in options]
        if unknown:
            self.report.warn(
                f"{table}: Darcy does not know the option(s) {', '.join(unknown)} of “{prop['name']}”",
                f"add them to [notion.{table}] {option_key} (and the open ones to the active list)",
            )

    async def call(self, request: Callable[[], Awaitable[T]]) -> T:
        return await self.store.retry.read(request)
