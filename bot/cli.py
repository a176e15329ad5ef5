"""The `darcy` command. Imports stay inside the commands so `darcy --help` is instant."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before anything imports litellm

app = typer.Typer(
    help="Darcy: your club's Notion tasks, in plain language, from Discord, Slack or a terminal.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Admin config (TOML). Default: $DARCY_CONFIG, else the embedded demo."),
]


def _settings(config: Path | None):  # noqa: ANN202 - imported lazily
    from core.config import ConfigError, load_settings

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


async def _chat(settings, user: str, script: str | None) -> None:  # noqa: ANN001
    from bot.terminal import TerminalChat
    from core.bootstrap import bootstrap
    from core.config import ConfigError

    try:
        app_ = await bootstrap(settings)
    except ConfigError as exc:
        typer.echo(f"darcy: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        terminal = TerminalChat(app_.bus, user)
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
        await terminal.run_interactive(banner)
    finally:
        await app_.aclose()


@app.command("eval")
def eval_(
    corpus: Annotated[Path, typer.Argument(help="Labelled requests (JSONL).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write one prediction a line.")],
    workspace: Annotated[Path | None, typer.Option(help="Workspace JSON (default: the demo).")] = None,
    planner: Annotated[str, typer.Option(help="offline or llm.")] = "offline",
    config: ConfigOption = None,
) -> None:
    """Run labelled requests through identity → planner → gate, writing no task; save predictions."""
    from core.evaluation import run_eval

    settings = _settings(config)
    if planner != "offline":
        typer.echo("darcy: only the offline planner is available in this build", err=True)
        raise typer.Exit(2)
    count = asyncio.run(run_eval(settings, corpus, out, workspace))
    typer.echo(f"wrote {count} predictions to {out}")


@app.command()
def run(config: ConfigOption = None) -> None:
    """Run the configured chat adapters as a service."""
    _settings(config)
    typer.echo("darcy: no Discord or Slack adapter is configured in this build; try `darcy chat`.", err=True)
    raise typer.Exit(1)


def main() -> None:
    from core.observability import configure_logging

    configure_logging()
    app()


if __name__ == "__main__":
    main()
