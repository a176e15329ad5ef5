"""The `darcy` command. Imports stay inside the commands so `darcy --help` is instant."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:  # imported lazily at run time, so `darcy --help` stays instant
    from core.config import Settings

T = TypeVar("T")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before anything imports litellm

app = typer.Typer(
    help="Darcy: your club's Notion tasks, in plain language, from Discord, Slack or a terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Admin config (TOML). Default: $DARCY_CONFIG, else the embedded demo."
    ),
]


def _settings(config: Path | None) -> Settings:
    from core.config import ConfigError, load_settings
    from core.observability import configure_logging

    configure_logging()
    path = config or (Path(os.environ["DARCY_CONFIG"]) if os.environ.get("DARCY_CONFIG") else None)
    try:
        return load_settings(path)
    except ConfigError as exc:
        typer.echo(f"darcy: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def chat(
    as_: Annotated[str, typer.Option("--as", help="Who you are: a handle of the workspace.")] = "alice",
    script: Annotated[
        str | None, typer.Option("--script", help="Read messages from FILE (or - for stdin), one a line.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Chat with Darcy in the terminal (default: the built-in demo workspace, offline planner)."""
    settings = _settings(config)
    asyncio.run(_chat(settings, as_, script))


async def _chat(settings: Settings, user: str, script: str | None) -> None:
    from bot.bootstrap import bootstrap
    from bot.terminal import TerminalChat
    from bot.terminal_notify import attach
    from core.config import ConfigError

    try:
        app_ = await bootstrap(settings)
    except ConfigError as exc:
        typer.echo(f"darcy: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        terminal = TerminalChat(app_.bus, user)
        if app_.notifications is not None:
            attach(terminal, app_.notifications, app_.clock)  # notices print here; /tick 1d
            await app_.notifications.look()  # the board as it is now: what changes after is news
        if script is not None:
            lines = sys.stdin.readlines() if script == "-" else Path(script).read_text("utf-8").splitlines()
            await terminal.run_script(lines)
            return
        where = "the built-in demo workspace" if settings.notion.embedded else "your Notion workspace"
        today = app_.clock().strftime("%A %d %B %Y")
        banner = (
            f"[bold]Darcy[/bold] on {where} ({settings.planner.kind} planner), today is {today}.\n"
            f"You are [bold]{user}[/bold]. Switch with [bold]/as HANDLE[/bold] "
            "(e.g. /as carol), say [bold]help[/bold], or [bold]quit[/bold]."
        )
        if terminal.ticker is not None:
            banner += "\n[bold]/tick 1d[/bold] moves the demo clock on and shows what Darcy would send."
        await terminal.run_interactive(banner)
    finally:
        await app_.aclose()


@app.command("eval")
def eval_(
    corpus: Annotated[Path, typer.Argument(help="Labelled requests (JSONL).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write one prediction a line.")],
    workspace: Annotated[Path | None, typer.Option(help="Workspace JSON (default: the demo).")] = None,
    planner: Annotated[
        str | None, typer.Option(help="offline or llm (default: the config's planner.kind).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run labelled requests through identity → planner → gate, writing no task; save predictions."""
    from bot.evaluation import run_eval
    from core.config import ConfigError

    settings = _settings(config)
    if planner not in (None, "offline", "llm"):
        typer.echo(f"darcy: --planner is offline or llm, not {planner!r}", err=True)
        raise typer.Exit(2)
    try:
        report = asyncio.run(run_eval(settings, corpus, out, workspace, planner=planner))
    except ConfigError as exc:
        typer.echo(f"darcy: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"wrote {report.count} predictions to {out} ({report.planner} planner)")
    if report.llm is not None:
        s, n = report.llm, max(report.count, 1)
        typer.echo(
            f"LLM: {s['calls'] / n:.2f} calls and {s['prompt_tokens'] / n:.0f} prompt + "
            f"{s['completion_tokens'] / n:.0f} completion tokens per request; {s['repairs']} repairs, "
            f"{s['failed_calls']} failed calls, {s['fallbacks']} offline fallbacks; ${s['cost_usd']:.4f}"
        )
    scorer = corpus.parent / "score.py"  # the evaluation kit's scorer, when the corpus sits beside it
    if scorer.exists():
        import subprocess

        scored = subprocess.run(
            [sys.executable, str(scorer), str(corpus), str(out)], capture_output=True, text=True, check=False
        )
        lines = scored.stdout.strip().splitlines()
        typer.echo(lines[-1] if lines else scored.stderr.strip())


permissions = typer.Typer(help="Inspect the permission rules.", no_args_is_help=True)
app.add_typer(permissions, name="permissions")


@permissions.command("explain")
def permissions_explain(
    text: Annotated[str, typer.Argument(help="The request, as the person would type it.")],
    as_: Annotated[str, typer.Option("--as", help="The workspace handle of who asks.")] = "alice",
    config: ConfigOption = None,
) -> None:
    """Print what Darcy would decide for that person, and the rule that decided. Changes nothing."""
    settings = _settings(config)

    async def explain() -> None:
        from bot.bootstrap import bootstrap

        application = await bootstrap(settings)
        try:
            members = await application.deps.directory.members()
            member = next((m for m in members if m.handle == as_), None)
            if member is None:
                typer.echo(
                    f"darcy: nobody has the handle {as_!r}; handles: {', '.join(m.handle for m in members)}",
                    err=True,
                )
                raise typer.Exit(2)
            result = await application.requests.explain(member, text)
            typer.echo(f"{member.name} ({member.role}): {result.decision.value}")
            typer.echo(f"tool: {result.tool}  arguments: {result.args}")
            if result.rule:
                typer.echo(f"rule: {result.rule}")
            said = result.summary or result.message
            if said:
                typer.echo(f"says: {said}")
        finally:
            await application.aclose()

    asyncio.run(explain())


@app.command()
def doctor(
    write_config: Annotated[
        bool,
        typer.Option(
            "--write-config", help="Also draft [notion.tasks]/[notion.projects] from the live schema."
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Check the config against the workspace and the extension tools: each problem with its fix."""
    from integrations.notion.doctor import run_doctor

    settings = _settings(config)
    status = asyncio.run(run_doctor(settings, write_config=write_config))
    problems = asyncio.run(_tool_problems(settings))
    if not settings.notion.embedded and settings.notion.index:
        from bot.cli_index import status_line

        typer.echo(_with_database(settings, status_line))
    for problem in problems:
        typer.echo(f"✗ {problem}")
    raise typer.Exit(status or (1 if problems else 0))


async def _tool_problems(settings: Settings) -> list[str]:
    """Plugins that fail to load and MCP servers that fail to start or list their tools."""
    from core.registry import ToolRegistry
    from integrations.mcp import connect_servers

    registry = ToolRegistry(rules=settings.tools)
    registry.load_plugins(settings.extensions)
    for server in await connect_servers(settings.mcp, registry):
        await server.aclose()
    return registry.problems


def _with_database(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work` on Darcy's database (migrated to the current schema first), then close it."""

    async def run() -> T:
        from integrations.db.database import Database

        db = Database(settings.database.url)
        try:
            await db.create_schema()
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


@app.command()
def audit(
    since: Annotated[str | None, typer.Option(help="ISO date or time, e.g. 2026-11-18.")] = None,
    user: Annotated[str | None, typer.Option(help="A chat user id.")] = None,
    config: ConfigOption = None,
) -> None:
    """List the audit log: one row per decision and per execution."""
    from datetime import datetime

    from rich.console import Console
    from rich.table import Table

    settings = _settings(config)
    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError as exc:
        typer.echo(f"darcy: --since {since!r} is not an ISO date or time", err=True)
        raise typer.Exit(2) from exc

    from bot.render_text import cell

    table = Table("when (UTC)", "platform", "user", "tool", "decision", "page", "text")
    for row in _with_database(settings, lambda db: db.audit.rows(user_id=user, since=start)):
        table.add_row(  # every cell may come from a stranger: nothing a terminal would obey
            f"{row.at:%Y-%m-%d %H:%M:%S}",
            cell(row.platform),
            cell(row.user_id),
            cell(row.tool),
            cell(row.decision),
            cell(row.page_id),
            cell(row.text[:60]),
        )
    Console().print(table)


@app.command()
def usage(
    since: Annotated[
        str, typer.Option(help="A date (2026-11-01), today, yesterday, or a span back: 7d, 4w.")
    ] = "30d",
    by: Annotated[str, typer.Option(help="One line per user or per day.")] = "user",
    config: ConfigOption = None,
) -> None:
    """What Darcy cost: requests, model calls, tokens, dollars and Notion calls, per user or day."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from rich.console import Console
    from rich.table import Table

    from bot.render_text import usage_table

    settings = _settings(config)
    today = datetime.now(ZoneInfo(settings.workspace.timezone)).date()
    start = since_day(since, today)
    if start is None or by not in ("user", "day"):
        bad = f"--since {since!r} is not a date, today, yesterday or a span like 7d" if start is None else (
            f"--by {by!r}: say user or day")
        typer.echo(f"darcy: {bad}", err=True)
        raise typer.Exit(2)

    from integrations.db.usage import SqlUsageLedger

    lines = _with_database(settings, lambda db: SqlUsageLedger(db).report(start, by))  # type: ignore[arg-type]
    table: Table = usage_table(lines, by, start, settings.planner.daily_budget_usd)
    Console().print(table)


def since_day(since: str, today: date) -> date | None:
    """--since as a day: an ISO date, today, yesterday, or N days (7d) or weeks (4w) back."""
    import re
    from datetime import timedelta

    said = since.strip().casefold()
    if said in ("today", "yesterday"):
        return today - timedelta(days=said == "yesterday")
    if span := re.fullmatch(r"(\d{1,4})\s*([dw])", said):
        return today - timedelta(days=int(span[1]) * (7 if span[2] == "w" else 1))
    try:
        return date.fromisoformat(said)
    except ValueError:
        return None


links_app = typer.Typer(
    help="Identity links (admin): who is linked to which Notion user and how it was proven; "
    "`--pending`, `approve ID`, `deny ID` for the links waiting for an admin.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(links_app, name="links")


@links_app.callback()
def links(
    ctx: typer.Context,
    pending: Annotated[
        bool, typer.Option("--pending", help="Links waiting for an admin: requests and reported conflicts.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """List who is linked to which Notion user, and how each link was proven (via)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings(config)
    if pending:
        requests = _with_database(settings, lambda db: db.link_requests.pending())
        if not requests:
            typer.echo("no link is waiting for an admin")
        for request in requests:
            who = request.notion_user_id or "no Notion member has that e-mail"
            typer.echo(
                f"{request.id}\t{request.kind.value}\t{request.platform}\t{request.platform_user_id}\t"
                f"{request.email or '-'}\t{who}\t{request.created_at:%Y-%m-%d %H:%M}\t{request.reason}"
            )
        if requests:
            typer.echo("approve with `darcy links approve ID`, refuse with `darcy links deny ID`")
        return
    for link in _with_database(settings, lambda db: db.identity.all()):
        typer.echo(f"{link.platform}\t{link.platform_user_id}\t{link.notion_user_id}\t{link.via}")


@links_app.command("approve")
def links_approve(
    request_id: Annotated[int, typer.Argument(help="The request's number (darcy links --pending).")],
    config: ConfigOption = None,
) -> None:
    """Approve a link request: the account is linked by an admin (taking the Notion user from a
    self-made link, never from the config's or another admin's)."""
    _decide_request(config, request_id, approve=True)


@links_app.command("deny")
def links_deny(
    request_id: Annotated[int, typer.Argument(help="The request's number (darcy links --pending).")],
    config: ConfigOption = None,
) -> None:
    """Deny a link request (or close a reported conflict): nothing is linked."""
    _decide_request(config, request_id, approve=False)


def _decide_request(config: Path | None, request_id: int, *, approve: bool) -> None:
    from datetime import UTC, datetime

    from core import linking

    settings = _settings(config)

    async def decide(db: Any) -> str:
        now = datetime.now(UTC)
        if approve:
            return await linking.approve(db.identity, db.link_requests, request_id, now)
        return await linking.deny(db.link_requests, request_id, now)

    try:
        typer.echo(_with_database(settings, decide))
    except ValueError as exc:
        typer.echo(f"darcy: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def link(
    platform: Annotated[str, typer.Argument(help="discord, slack or terminal")],
    user_id: Annotated[str, typer.Argument(help="The chat user's id on that platform.")],
    notion_user_id: Annotated[str, typer.Argument(help="The Notion user's id.")],
    config: ConfigOption = None,
) -> None:
    """Link a chat user to a Notion user (an admin's link: it takes the Notion user from a link
    someone made themselves, which is said; one the config or an admin made must be unlinked first)."""
    settings = _settings(config)

    async def do(db: Any) -> tuple[str | None, Any]:
        """(None, the link it replaced) once linked; else (who holds that Notion user, None)."""
        from core.identity import LinkTaken, Proof

        try:
            return None, await db.identity.link(platform, user_id, notion_user_id, via=Proof.ADMIN)
        except LinkTaken:  # held by the config's or an admin's link
            holder = await db.identity.holding(platform, notion_user_id)
            return (holder.platform_user_id if holder else ""), None

    holder, replaced = _with_database(settings, do)
    if holder is None:
        typer.echo(f"linked {platform} user {user_id} to Notion user {notion_user_id}")
        if replaced is not None:
            typer.echo(
                f"replaced the link {platform} user {replaced.platform_user_id} had made themselves "
                f"({replaced.via}): they are unlinked now"
            )
        return
    who = f"{platform} user {holder}" if holder else f"another {platform} user"
    typer.echo(f"darcy: that Notion user is already linked to {who}; unlink it first", err=True)
    raise typer.Exit(1)


@app.command()
def unlink(
    platform: Annotated[str, typer.Argument(help="discord, slack or terminal")],
    user_id: Annotated[str, typer.Argument(help="The chat user's id on that platform.")],
    config: ConfigOption = None,
) -> None:
    """Remove a chat user's link; they will be asked to verify again."""
    settings = _settings(config)

    if not _with_database(settings, lambda db: db.identity.unlink(platform, user_id)):
        typer.echo(f"darcy: {platform} user {user_id} was not linked", err=True)
        raise typer.Exit(1)
    typer.echo(f"unlinked {platform} user {user_id}")


@app.command()
def run(
    config: ConfigOption = None,
    health_port: Annotated[
        int | None, typer.Option("--health-port", help="Where /healthz and /readyz listen (default 8080).")
    ] = None,
    traces: Annotated[str | None, typer.Option(help="Traces: none, console or otlp.")] = None,
) -> None:
    """Run the chat adapters whose tokens are set (Discord, Slack) as a service."""
    from bot import runner

    settings = _settings(config)
    code = runner.main(
        settings,
        health_port=settings.service.health_port if health_port is None else health_port,
        host=settings.service.host,
        grace_seconds=settings.service.grace_seconds,
        traces=traces or settings.service.traces,
    )
    raise typer.Exit(code)


def _register_notify() -> None:
    from bot.cli_notify import register

    register(app, _settings)


_register_notify()  # `darcy notify preview`, `darcy settings` (bot/cli_notify.py)


def main() -> None:
    from bot.cli_index import index_app

    app.add_typer(index_app, name="index")
    app()


if __name__ == "__main__":
    main()
