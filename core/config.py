"""Darcy's admin configuration: one TOML file, overridable by environment variables.

Secrets never live in the file: it names the environment variable that holds
each one (`token_env`). A bad file fails at start with the file, the key and
what was expected (`ConfigError`).
"""

from __future__ import annotations

import os
import re
import tomllib
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEMO_WORKSPACE = ROOT / "config" / "demo-workspace.json"


class ConfigError(Exception):
    """A configuration problem, phrased for the admin who has to fix it."""


def _env_name(value: str) -> str:
    """A `*_env` key holds the NAME of an environment variable. A secret pasted there instead
    is refused at start, and never echoed: it would otherwise be printed in every message
    that names the variable ("the environment variable … is not set")."""
    if not ENV_NAME.fullmatch(value):
        raise ValueError(
            "must be the name of an environment variable (upper case, e.g. NOTION_TOKEN), not the "
            "secret itself: put the secret in a variable and name the variable here"
        )
    return value


ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")
EnvName = Annotated[str, AfterValidator(_env_name)]


class Section(BaseModel):
    """A config table: unknown keys are mistakes (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


EditableField = Literal["status", "due", "title", "description", "assignees", "project"]


class TaskProperties(Section):
    """How the task data source's properties map onto a task: each property's name and,
    where boards differ, its type. Defaults match the demo workspace; `darcy doctor`
    checks them against a live schema and `darcy doctor --write-config` drafts them."""

    title: str = "Name"
    # status: a Notion `status` or `select` property holding one of status_options, or a
    # `checkbox` ("Done"): ticked reads as done_status, unticked as default_status, and
    # writing any status outside active_statuses ticks it.
    status: str = "Status"
    status_type: Literal["status", "select", "checkbox"] = "status"
    assignees: str = "In Charge"  # a people property (several people allowed)
    due: str = "Due Dates"  # a date property
    # Write due dates with a time of day (due_time, in due_time_zone) instead of as whole days.
    # Values with a time are read as their day in that zone either way.
    due_has_time: bool = False
    due_time: str = "17:00"
    due_time_zone: str | None = None  # unset: [workspace].timezone (UTC if the store is not told)
    # project: a relation to the projects data source, or a select whose options are the projects.
    project: str = "Event/Project"
    project_type: Literal["relation", "select"] = "relation"
    description: str | None = "Description"  # a rich_text property; "": none
    # An optional rich_text property where Darcy writes the id of the request that created the
    # page, so a create whose answer was lost is found exactly (otherwise by title and time).
    darcy_id: str | None = None
    status_options: list[str] = Field(
        default_factory=lambda: ["Not Started", "In Progress", "Blocked", "To Review", "Done", "Archive"]
    )
    active_statuses: list[str] = Field(
        default_factory=lambda: ["Not Started", "In Progress", "Blocked", "To Review"]
    )
    default_status: str = "Not Started"
    done_status: str = "Done"
    archive_status: str = "Archive"

    @field_validator("description", "darcy_id", mode="before")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None  # TOML has no null: "" means "this board has none"

    @field_validator("due_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        from datetime import time

        try:
            time.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"expected a time of day like 17:00, got {value!r}") from exc
        return value

    @field_validator("due_time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value


class ProjectProperties(Section):
    """The projects data source (used when tasks.project_type is "relation")."""

    title: str = "Name"
    progress: str | None = "Progress"  # a select or status property; "": none
    progress_type: Literal["select", "status"] = "select"
    lead: str | None = "Lead"  # a people property; "": none
    progress_options: list[str] = Field(default_factory=lambda: ["Planning", "Active", "Completed"])
    active_progress: list[str] = Field(default_factory=lambda: ["Planning", "Active"])

    @field_validator("progress", "lead", mode="before")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None  # TOML has no null: "" means "this board has none"


def notion_id(value: str) -> str:
    """One form for a Notion ID: dashed and lower-case. Notion accepts an ID with or without
    dashes (one copied from a URL has none) but always answers with dashes, so an ID is
    compared with an answer only in this form. Anything that is not an ID is kept as given."""
    text = value.strip()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text


class NotionSettings(Section):
    """Where the workspace is. `embedded = true` runs the built-in Notion-compatible server."""

    embedded: bool = True
    token_env: EnvName = "NOTION_TOKEN"
    base_url: str | None = None
    tasks_data_source_id: str | None = None
    projects_data_source_id: str | None = None
    timeout_seconds: float = 20.0
    # Notion allows an average of 3 requests/s per integration, with short bursts; one limiter
    # is shared by everything in the process that uses the same token.
    requests_per_second: float = Field(default=3.0, gt=0)
    burst: int = Field(default=10, ge=1)
    # Reads (and idempotent edits) retry timeouts and 5xx with exponential backoff;
    # a 429 waits for Retry-After, up to rate_limit_retries times.
    read_attempts: int = Field(default=3, ge=1)
    rate_limit_retries: int = Field(default=5, ge=0)
    retry_initial_seconds: float = Field(default=0.5, ge=0)
    retry_max_seconds: float = Field(default=8.0, ge=0)
    # A create is retried only after checking that the lost attempt did not land.
    create_attempts: int = Field(default=3, ge=1)
    # How long users and projects are reused before Notion is asked again.
    cache_seconds: float = Field(default=120.0, ge=0)
    # How long the list of every task serves to resolve task names (a click reads its task again).
    task_names_seconds: float = Field(default=15.0, ge=0)
    # The task index (issue #19): names come from Darcy's database, refreshed from Notion with
    # one edited-since query at most every task_names_seconds; the trash is looked at every
    # index_trash_seconds, and the board's ids swept for moved pages every index_sweep_seconds.
    index: bool = True
    index_trash_seconds: float = Field(default=60.0, ge=0)
    index_sweep_seconds: float = Field(default=3600.0, ge=0)
    # Notion webhooks (optional, needs a public URL): the verification token Notion sent when the
    # subscription was made; events are refused unless X-Notion-Signature matches it.
    webhook_secret: str | None = None
    tasks: TaskProperties = Field(default_factory=TaskProperties)
    projects: ProjectProperties = Field(default_factory=ProjectProperties)

    @field_validator("tasks_data_source_id", "projects_data_source_id")
    @classmethod
    def _one_id_form(cls, value: str | None) -> str | None:
        return notion_id(value) if value is not None else None

    def token(self) -> str | None:
        return os.environ.get(self.token_env)


class Person(Section):
    """An admin mapping: a Notion user (by e-mail) with a role and chat accounts.

    With `link = true` the chat ids are linked at start (no verification asked);
    either way they let mentions like `<@U00001002>` name this person.
    """

    email: str
    handle: str | None = None
    role: str = "member"
    discord_id: str | None = None
    slack_id: str | None = None
    terminal_id: str | None = None
    link: bool = True


class RolePolicy(Section):
    """What one role may do. Scopes: none < self/own < led (projects they lead) < any."""

    comment: Literal["none", "own", "any"] = "any"
    create_for: Literal["none", "self", "any"] = "self"
    edit: Literal["none", "own", "any"] = "own"
    edit_fields: list[EditableField] = Field(
        default_factory=lambda: ["status", "due", "title", "description"]
    )
    archive: Literal["none", "own", "led", "any"] = "none"
    # Change several tasks in one confirmation ("mark all my hackathon tasks done").
    bulk: bool = False


ALL_FIELDS: list[EditableField] = ["status", "due", "title", "description", "assignees", "project"]


def default_roles() -> dict[str, RolePolicy]:
    """The matrix of ../shared/eval/README.md: members, leads, admins."""
    return {
        "member": RolePolicy(),
        "lead": RolePolicy(create_for="any", edit="any", edit_fields=ALL_FIELDS, archive="led", bulk=True),
        "admin": RolePolicy(create_for="any", edit="any", edit_fields=ALL_FIELDS, archive="any", bulk=True),
    }


class WorkspaceSettings(Section):
    timezone: str = "Australia/Melbourne"
    # The embedded server's seed; its members also supply roles and chat ids.
    seed: Path = DEMO_WORKSPACE
    # A fixed "now" (ISO 8601) for demos and evaluations; empty means the clock.
    now: str | None = None
    # Take people (roles, handles, chat ids) from the seed file's members too.
    people_from_seed: bool = True

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value


class PendingSettings(Section):
    # Under 15: Discord's interaction token dies then, and the buttons with it.
    expiry_minutes: float = Field(default=10, gt=0, lt=15)
    # How long "undo" can take back one's last change.
    undo_minutes: float = Field(default=15, ge=0)


class LimitSettings(Section):
    """Per person (a chat account), so one person cannot slow everyone or flood the database."""

    # Commands (requests, clicks) a person may send a minute, with bursts up to as many; 0: no limit.
    requests_per_minute: int = Field(default=20, ge=0)
    # Confirmations and picks a person may leave waiting at once; 0: no limit.
    open_confirmations: int = Field(default=5, ge=0)


class PlannerSettings(Section):
    """Which planner understands requests. The offline one is always the fallback."""

    kind: Literal["offline", "llm"] = "offline"
    # litellm model names, tried in order: the primary, then the fallbacks.
    models: list[str] = Field(default_factory=list)
    # An OpenAI-compatible endpoint (llama.cpp, vLLM, a gateway); unset: the provider's own.
    api_base: str | None = None
    # The environment variable holding the provider key (never the key itself).
    api_key_env: EnvName | None = None
    timeout_seconds: float = Field(default=10, gt=0)
    # Per-user daily budget in US dollars; past it that user gets the offline planner.
    daily_budget_usd: float | None = None
    # Per-user daily budget in model tokens (prompt and completion), which holds for a model
    # litellm has no price for (local, custom); None: no token budget.
    daily_budget_tokens: int | None = Field(default=200_000, ge=0)
    # Reads (extension tools) the LLM may chain before it must answer or ask to write.
    max_read_rounds: int = Field(default=4, ge=0, le=10)


class DiscordSettings(Section):
    """The Discord adapter runs when the variable named by token_env is set."""

    token_env: EnvName = "DISCORD_TOKEN"
    # Sync /darcy to this guild for instant updates; unset: a global command.
    guild_id: int | None = None
    # The club's server(s): Darcy answers people there (and their direct messages) and politely
    # refuses everyone else. guild_id counts as one of them. Unset (and no guild_id): anyone
    # who can reach the bot, with a warning at start.
    guild_ids: list[int] = Field(default_factory=list)
    ephemeral_reads: bool = False

    def token(self) -> str | None:
        return os.environ.get(self.token_env)

    def allowed_guilds(self) -> frozenset[int]:
        """The servers whose people Darcy serves; empty: unrestricted."""
        return frozenset([*self.guild_ids, *([self.guild_id] if self.guild_id else [])])


class SlackSettings(Section):
    """The Slack adapter runs when the bot token's variable is set."""

    bot_token_env: EnvName = "SLACK_BOT_TOKEN"
    signing_secret_env: EnvName = "SLACK_SIGNING_SECRET"
    app_token_env: EnvName = "SLACK_APP_TOKEN"  # Socket Mode
    mode: Literal["socket", "http"] = "socket"
    port: int = 3000  # HTTP mode: where /slack/events listens
    # The Web API's base URL (apps.connections.open too); unset: https://slack.com/api/.
    # GovSlack: https://slack-gov.com/api/. Tests: a loopback rig.
    api_url: str | None = None
    # The club's workspace (T…): Darcy answers its people and politely refuses everyone else,
    # such as Slack Connect users of other organisations. Unset: any team, with a warning at start.
    team_id: str | None = None

    @field_validator("team_id")
    @classmethod
    def _team(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("api_url")
    @classmethod
    def _api_base(cls, value: str | None) -> str | None:
        if not value:
            return None  # TOML has no null: "" means Slack's default
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"expected an http(s) URL like https://slack-gov.com/api/, got {value!r}")
        return value if value.endswith("/") else value + "/"  # methods are joined onto it

    def bot_token(self) -> str | None:
        return os.environ.get(self.bot_token_env)

    def signing_secret(self) -> str | None:
        return os.environ.get(self.signing_secret_env)

    def app_token(self) -> str | None:
        return os.environ.get(self.app_token_env)


class IdentitySettings(Section):
    """How a chat account proves which Notion user it is before Darcy links them.

    The terminal is trusted local use: its links need no proof. Slack links a person whose
    Slack-verified e-mail equals a Notion member's at once. Otherwise, on the platforms in
    `code_platforms`, a one-time code is posted in Notion (a comment mentioning the person on
    `signin_page_id`) and typed back in chat; and anyone may ask an admin to approve instead
    (`darcy links --pending`). `[[people]]` mappings and `darcy link` always win."""

    # Link by the e-mail alone, with no proof: such a link grants at most the member role.
    # Off: links made that way (before proofs existed) are ignored until the person proves it.
    allow_unverified: bool = False
    # The Notion page where sign-in codes are posted (every member must be able to open it,
    # and the integration must be connected to it); unset: no codes, admin approval only.
    # The embedded demo workspace has one of its own.
    signin_page_id: str | None = None
    # Platforms whose people may prove themselves with a Notion code. Slack is not among them
    # by default: Slack vouches for e-mails itself, and a code on a shared page can be read
    # by others who open that page (README, "Linking accounts").
    code_platforms: list[str] = Field(default_factory=lambda: ["discord"])

    @field_validator("signin_page_id")
    @classmethod
    def _page_id(cls, value: str | None) -> str | None:
        return notion_id(value) if value else None


class DatabaseSettings(Section):
    url: str = "sqlite+aiosqlite:///darcy.db"
    # Usage rows (one per message) older than this many days are deleted at start.
    usage_keep_days: int = Field(default=400, ge=1)


class ServiceSettings(Section):
    """`darcy run`: where the health endpoints listen, how long a stop waits, and traces."""

    health_port: int = Field(default=8080, ge=0, le=65535)  # /healthz and /readyz
    host: str = "0.0.0.0"
    # On SIGTERM, how long requests in flight may take to finish (under `docker stop`'s 10 s).
    grace_seconds: float = Field(default=8.0, ge=0)
    # Traces: none, console (a span tree per request on stderr) or otlp (OTEL_EXPORTER_OTLP_*
    # variables); console and otlp need `pip install 'darcy[otel]'`. Unset: $DARCY_TRACES, else none.
    traces: Literal["none", "console", "otlp"] | None = None


class McpServerSettings(Section):
    """An MCP server whose tools join Darcy's, behind the same gate."""

    name: str
    command: str | None = None  # stdio: the program to start…
    args: list[str] = Field(default_factory=list)  # …and its arguments
    url: str | None = None  # or a streamable-HTTP endpoint
    # Tools that only read (run at once). Others are writes (confirmed first), whatever the
    # server's own annotations claim.
    read_only: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(default=15, gt=0)

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerSettings:
        if bool(self.command) == bool(self.url):
            raise ValueError(f"MCP server {self.name!r} needs exactly one of command or url")
        return self


class ToolRule(Section):
    """Per-tool rules for extension tools: who may use it, and its impact if the default is wrong."""

    roles: list[str] | None = None  # None: every role
    impact: Literal["read", "write", "destructive"] | None = None


class NotificationSettings(Section):
    """What Darcy sends unasked, and everyone's defaults; a person's own choices (chat:
    "remind me at 8:30", "quiet hours 10pm-8am") are stored in the database and win.
    Quiet by default: only people who linked an account get anything; assignment DMs and due
    reminders are on (the two notices people act on), digests are off until someone asks."""

    enabled: bool = True
    assigned: bool = True  # a DM when a task lands on you (never for your own actions)
    reminders: bool = True  # the day-before reminder and one overdue nudge
    digest: bool = False  # a personal morning digest
    morning: str = Field(default="08:00", pattern=r"^\d{1,2}:\d{2}$")  # local time of reminders
    days_before: int = Field(default=1, ge=0, le=14)  # a reminder this many days before the due day
    quiet_start: str | None = Field(default=None, pattern=r"^\d{1,2}:\d{2}$")  # e.g. "22:00"
    quiet_end: str | None = Field(default=None, pattern=r"^\d{1,2}:\d{2}$")  # e.g. "08:00"
    # A notice that fell due while Darcy was down is sent if at most this late, else dropped.
    catch_up_hours: float = Field(default=6, ge=0)
    # Assignments to one person within this many minutes arrive as one message.
    batch_minutes: float = Field(default=2, ge=0)
    tick_seconds: float = Field(default=60, gt=0)  # how often `darcy run` looks
    done_button_days: float = Field(default=7, gt=0)  # how long a reminder's Done button works
    due_soon_days: int = Field(default=3, ge=0)  # an assignment message offers Done when due within
    # Which linked account gets the DM when a person linked several.
    platforms: list[str] = Field(default_factory=lambda: ["slack", "discord", "terminal"])
    # project name → {platform: channel id}: where a notice goes (as a mention) when a DM can't.
    channels: dict[str, dict[str, str]] = Field(default_factory=dict)


class Settings(BaseSettings):
    """The whole admin config. Environment variables override: DARCY_DATABASE__URL=…"""

    model_config = SettingsConfigDict(env_prefix="DARCY_", env_nested_delimiter="__", extra="forbid")

    notion: NotionSettings = Field(default_factory=NotionSettings)
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    people: list[Person] = Field(default_factory=list)
    roles: dict[str, RolePolicy] = Field(default_factory=default_roles)
    pending: PendingSettings = Field(default_factory=PendingSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    planner: PlannerSettings = Field(default_factory=PlannerSettings)
    # Python modules (dotted paths) that add tools; see core/registry.py.
    extensions: list[str] = Field(default_factory=list)
    mcp: list[McpServerSettings] = Field(default_factory=list)
    tools: dict[str, ToolRule] = Field(default_factory=dict)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)

    @model_validator(mode="after")
    def _roles_exist(self) -> Settings:
        for person in self.people:
            if person.role not in self.roles:
                known = ", ".join(sorted(self.roles))
                raise ValueError(f"person {person.email} has role {person.role!r}; known roles: {known}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first so it overrides the file's values passed as init kwargs.
        return env_settings, init_settings


def load_settings(path: Path | str | None = None, **overrides: Any) -> Settings:
    """Read the TOML file (if any), apply env overrides, and explain any mistake."""
    data: dict[str, Any] = {}
    where = "the environment"
    if path is not None:
        path = Path(path)
        where = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: no such config file") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    if env_url := os.environ.get("DATABASE_URL"):
        data.setdefault("database", {})["url"] = _async_url(env_url)
    data.update(overrides)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_explain(where, exc)) from exc
    if path is not None and not settings.workspace.seed.is_absolute():
        settings.workspace.seed = path.parent / settings.workspace.seed  # relative to the file
    return settings


def _async_url(url: str) -> str:
    """DATABASE_URL as platforms give it, with the async driver Darcy uses."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def _explain(where: str, exc: ValidationError) -> str:
    lines = [f"{where}: the configuration is not valid:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":  # never echo its value: it may be a pasted secret
            lines.append(f"  - {key}: unknown key")
            continue
        got = err.get("input")
        secret = key.endswith("_env")  # a secret pasted in place of a variable's name: never echoed
        shown = "" if isinstance(got, dict | list) or got is None or secret else f" (got {got!r})"
        problem = err["msg"]
        lines.append(f"  - {key}: {problem}{shown}")
    return "\n".join(lines)


def seed_people(workspace: dict[str, Any]) -> list[Person]:
    """People of a workspace seed file (the demo's members) as admin mappings."""
    return [
        Person(
            email=m["email"],
            handle=m.get("handle"),
            role=m.get("role", "member"),
            discord_id=m.get("discord_id"),
            slack_id=m.get("slack_id"),
            terminal_id=m.get("handle"),
            link=bool(m.get("linked", True)),
        )
        for m in workspace.get("members", [])
        if m.get("email")
    ]
