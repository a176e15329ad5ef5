"""`darcy index status|rebuild`: the task index (issue #19) from the command line, and the
line `darcy doctor` prints about it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import typer

from bot.cli import ConfigOption

index_app = typer.Typer(help="The task index: every task's name, kept in Darcy's database.",
                        no_args_is_help=True)


def describe(state: Any, live: int) -> str:
    """One line a person can act on: how far the first sync got, how fresh the index is."""
    if state.synced_at is None:
        if state.sync_tasks:
            return f"task index: first sync under way, {state.sync_tasks} tasks read so far"
        return "task index: not built yet (the first request naming a task builds it)"
    age = datetime.now(UTC) - (state.refreshed_at or state.synced_at).replace(tzinfo=UTC)
    return (f"task index: {live} tasks, built {state.synced_at:%Y-%m-%d %H:%M} UTC, "
            f"last refreshed {int(age.total_seconds())} s ago")


async def status_line(db: Any) -> str:
    from integrations.db.task_index import SqlTaskIndex

    repo = SqlTaskIndex(db)
    return describe(await repo.state(), await repo.count())


@index_app.command("status")
def status(config: ConfigOption = None) -> None:
    """How many tasks the index holds, how far the first sync got, when it was refreshed."""
    from bot.cli import _settings, _with_database

    typer.echo(_with_database(_settings(config), status_line))


@index_app.command("rebuild")
def rebuild(config: ConfigOption = None) -> None:
    """Forget the index and page through the whole board again (progress in the log)."""
    from bot.cli import _settings

    settings = _settings(config)

    async def run() -> int:
        from bot.bootstrap import bootstrap

        app = await bootstrap(settings)
        try:
            if app.index is None:
                typer.echo("darcy: the task index is off ([notion] index = false)", err=True)
                raise typer.Exit(1)
            return int(await app.index.rebuild())
        finally:
            await app.aclose()

    typer.echo(f"task index rebuilt: {asyncio.run(run())} tasks")
