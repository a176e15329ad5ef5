"""`darcy notify preview --as HANDLE [--date DATE]` and `darcy settings --as HANDLE`: what a
person would receive on a day, and their notification settings (the admin's defaults with their
own choices over them). Both change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from bot.bootstrap import App
    from core.config import Settings
    from core.domain import Member


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Admin config (TOML). Default: $DARCY_CONFIG, else the embedded demo."
    ),
]


def register(app: typer.Typer, settings_of: Callable[[Path | None], Settings]) -> None:
    notify = typer.Typer(help="What Darcy sends unasked: reminders, assignment messages, digests.")
    app.add_typer(notify, name="notify")

    @notify.command("preview")
    def preview(
        as_: Annotated[str, typer.Option("--as", help="The workspace handle of the person.")],
        on: Annotated[
            str | None, typer.Option("--date", help="The day (ISO, e.g. 2026-11-19); default today.")
        ] = None,
        config: ConfigOption = None,
    ) -> None:
        """Print what that person would receive that day (their local day). Sends nothing."""

        async def show(application: App, member: Member) -> None:
            service = application.notifications
            assert service is not None
            day = date.fromisoformat(on) if on else application.clock().date()
            notices = await service.preview(member.notion_user_id, day)
            if not notices:
                typer.echo(f"{member.name} would receive nothing on {day:%a %d %b %Y}.")
                return
            typer.echo(f"{member.name} would receive on {day:%a %d %b %Y}:")
            for out in notices:
                typer.echo("")
                typer.echo(out.text.replace("**", ""))
                labels = [f"[{b.label}]" for b in out.buttons]
                if labels:
                    typer.echo("  ".join(labels))

        _as_person(settings_of(config), as_, show)

    @app.command("settings")
    def settings_(
        as_: Annotated[str, typer.Option("--as", help="The workspace handle of the person.")],
        config: ConfigOption = None,
    ) -> None:
        """Print that person's notification settings."""

        async def show(application: App, member: Member) -> None:
            assert application.notifications is not None
            prefs = await application.notifications.prefs_of(member.notion_user_id)
            own = (await application.notifications.ledger.prefs()).get(member.notion_user_id, {})
            typer.echo(f"{member.name}'s notifications:")
            for line in prefs.describe():
                typer.echo(f"  {line}")
            chosen = ", ".join(f"{k}={v}" for k, v in sorted(own.items())) or "none (the admin's defaults)"
            typer.echo(f"their own choices: {chosen}")

        _as_person(settings_of(config), as_, show)


def _as_person(settings: Settings, handle: str, work: Callable[[App, Member], Any]) -> None:
    async def run() -> None:
        from bot.bootstrap import bootstrap

        application = await bootstrap(settings)
        try:
            members = await application.deps.directory.members()
            member = next((m for m in members if m.handle == handle), None)
            if member is None:
                known = ", ".join(m.handle for m in members)
                typer.echo(f"darcy: nobody has the handle {handle!r}; handles: {known}", err=True)
                raise typer.Exit(2)
            await work(application, member)
        finally:
            await application.aclose()

    asyncio.run(run())
