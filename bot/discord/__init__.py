"""The Discord adapter (discord.py): see app.py for the flow and render.py for the look."""

from bot.discord.app import DarcyClient, build_client, invite_url, run_discord

__all__ = ["DarcyClient", "build_client", "invite_url", "run_discord"]
