"""Notices as Discord direct messages: an embed with Done, Snooze 1 day, Got it and Open in Notion.

Done is the Confirm button of a pending action (`darcy:confirm:<pending id>`, handled by
AnswerButton: the confirmation path), Snooze and Got it carry the notice's id. A person who
accepts no DMs from the bot (403, code 50007) is not tried again: the service falls back to a
mention in the project's channel (the one message that pings, and only that person) or drops
the notice, and audits which. discord.py itself waits out Discord's rate limits (429 buckets).
"""

from __future__ import annotations

import re
from typing import Any

import discord
import structlog

from bot.discord import render
from bot.discord.app import KEY, PLATFORM, AnswerButton, DarcyClient, answer_click
from core.messages import NoticeClick
from core.notify.ports import Delivery, Outgoing
from core.replies import Reply

log = structlog.get_logger("darcy.discord")
CANNOT_DM = 50007


class NoticeButton(
    discord.ui.DynamicItem[discord.ui.Button], template=rf"darcy:(?P<verb>snooze|gotit):(?P<key>{KEY})"
):
    """Snooze 1 day / Got it on a notice."""

    def __init__(self, verb: str, notice_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Snooze 1 day" if verb == "snooze" else "Got it",
                custom_id=render.custom_id(verb, notice_id),
                style=discord.ButtonStyle.secondary,
            )
        )
        self.verb, self.notice_id = verb, notice_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> NoticeButton:
        return cls(match["verb"], match["key"])

    async def callback(self, interaction: discord.Interaction[DarcyClient]) -> None:
        await interaction.response.defer()
        command = NoticeClick(
            platform=PLATFORM, user_id=str(interaction.user.id), notice_id=self.notice_id, verb=self.verb
        )
        await answer_click(interaction, command)


def view(message: Outgoing) -> discord.ui.View | None:
    if not message.buttons:
        return None
    items = discord.ui.View(timeout=None)
    for button in message.buttons:
        if button.verb == "done":
            done = AnswerButton("confirm", button.value)
            done.item.label = "Done"
            items.add_item(done)
        elif button.verb == "open":
            items.add_item(discord.ui.Button(label=button.label, url=button.value))
        else:
            items.add_item(NoticeButton(button.verb, button.value))
    return items


class DiscordNotifier:
    platform = PLATFORM

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def direct(self, chat_id: str, message: Outgoing) -> Delivery:
        try:
            channel = await self.client.create_dm(discord.Object(id=int(chat_id)))
            await channel.send(**render.message(Reply(text=message.text)), view=view(message))
        except discord.Forbidden as exc:
            log.warning("discord notice refused", user=chat_id, code=exc.code)
            return Delivery.UNREACHABLE if exc.code == CANNOT_DM else Delivery.FAILED
        except (discord.HTTPException, ValueError):
            log.exception("discord notice failed", user=chat_id)
            return Delivery.FAILED
        return Delivery.SENT

    async def mention(self, channel_id: str, chat_id: str, message: Outgoing) -> Delivery:
        person = discord.Object(id=int(chat_id))
        try:
            channel = self.client.get_partial_messageable(int(channel_id))
            await channel.send(
                content=f"<@{chat_id}>",
                embeds=render.message(Reply(text=message.text))["embeds"],
                view=view(message),
                allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[person]),
            )
        except (discord.HTTPException, ValueError):
            log.exception("discord notice mention failed", channel=channel_id)
            return Delivery.FAILED
        return Delivery.SENT

    async def post(self, channel_id: str, message: Outgoing) -> Delivery:
        try:
            channel = self.client.get_partial_messageable(int(channel_id))
            await channel.send(**render.message(Reply(text=message.text)), view=view(message))
        except (discord.HTTPException, ValueError):
            log.exception("discord digest failed", channel=channel_id)
            return Delivery.FAILED
        return Delivery.SENT
