"""The Discord adapter: `/darcy`, `@Darcy` mentions, a "Create Darcy task" message command,
and buttons that still work after a restart.

Like every adapter it only translates (docs/architecture.md): a platform event becomes a core
command, and the reply is rendered by `render`. Each handler acknowledges first
(Discord's deadline is 3 s; Notion or a model may be slower), then asks core, then
edits the acknowledged message.

Intents: none privileged. Discord delivers the content of messages that mention the
app, and of direct messages, even without the Message Content intent, so `@Darcy …`
(the bot, or its managed role) and a DM work as is; `/darcy`, the message command and
the components need no intent at all. Components carry only
a pending id (or, for the link button, the requester's id) and are
`discord.ui.DynamicItem`s, so any process that registered them can answer a click.

Only the club's server(s) are served (`[discord] guild_ids`, and `guild_id`): a command, a
click or a mention from any other server is refused politely, and a direct message only from
someone who is a member of one of them (one REST look-up, no privileged intent, kept a while).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import discord
import structlog
from discord import app_commands

from bot.discord import render
from core.bus import MessageBus
from core.config import ConfigError
from core.messages import Cancel, Choose, Command, Confirm, HandleRequest
from core.replies import Reply

if TYPE_CHECKING:
    from bot.bootstrap import App
    from core.config import Settings

PLATFORM = "discord"
SCOPES = ("bot", "applications.commands")
# Read the channel, answer in it (and in threads), show embeds, reply to a mention.
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    read_message_history=True,
)
MESSAGE_COMMAND = "Create Darcy task"
MODAL_TIMEOUT = 15 * 60  # an interaction token's lifetime: a modal left open longer is gone
KEY = r"[A-Za-z0-9_-]{1,80}"
FAILED = "Something went wrong on my side, so I did nothing. Please try again in a moment."
OUTSIDER = "Sorry, I only work for the club's own Discord server, so I can't help you here."
MEMBER_SECONDS = 600.0  # how long "is a member of the club's server" is reused for a DM

log = structlog.get_logger("darcy.discord")


class DarcyClient(discord.Client):
    """discord.py client wired to one Darcy bus."""

    def __init__(self, bus: MessageBus, settings: Settings) -> None:
        super().__init__(intents=discord.Intents.default(), allowed_mentions=render.NO_PINGS)
        self.bus = bus
        self.settings = settings
        guild_id = settings.discord.guild_id
        self.guild = discord.Object(id=guild_id) if guild_id else None
        self.allowed_guilds = settings.discord.allowed_guilds()
        self._members: OrderedDict[int, tuple[float, bool]] = OrderedDict()
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(
            app_commands.Command(
                name="darcy", description="Ask Darcy about the club's Notion tasks.", callback=darcy_command
            ),
            guild=self.guild,
        )
        self.tree.add_command(
            app_commands.ContextMenu(name=MESSAGE_COMMAND, callback=create_task_from), guild=self.guild
        )

    async def setup_hook(self) -> None:
        """After login: answer clicks on any message Darcy ever sent, publish the commands."""
        if not self.allowed_guilds:
            log.warning(
                "discord_guild_unrestricted",
                detail="[discord] guild_ids is not set: people of any server Darcy is added to are answered",
            )
        from bot.discord.notify import NoticeButton  # notices' Snooze / Got it (it imports this module)

        self.add_dynamic_items(AnswerButton, ChooseSelect, LinkButton, NoticeButton)
        synced = await self.tree.sync(guild=self.guild)
        log.info(
            "discord commands synced",
            commands=[c.name for c in synced],
            guild_id=self.guild.id if self.guild else None,
        )
        if self.application_id is not None:
            log.info("discord invite", url=invite_url(self.application_id, self.guild and self.guild.id))

    async def outsider(self, guild_id: int | None, user_id: int) -> bool:
        """Whether this person, here, is outside the club: in another server, or writing
        directly without being a member of the club's server."""
        if not self.allowed_guilds:
            return False
        if guild_id is not None:
            return guild_id not in self.allowed_guilds
        hit = self._members.get(user_id)
        if hit is not None and hit[0] > time.monotonic():
            return not hit[1]
        member = False
        for guild in sorted(self.allowed_guilds):
            try:
                await self.http.get_member(guild, user_id)
            except discord.NotFound:
                continue
            except discord.HTTPException as exc:
                log.warning("discord member look-up failed", guild_id=guild, code=exc.code, error=exc.text)
                continue
            member = True
            break
        self._members[user_id] = (time.monotonic() + MEMBER_SECONDS, member)
        while len(self._members) > 10_000:
            self._members.popitem(last=False)
        return not member

    async def ask(self, command: Command) -> Reply:
        """Core's answer; a crash becomes an apology so the acknowledged message never hangs."""
        try:
            reply: Reply = await self.bus.execute(command)
        except Exception:
            log.exception("core failed", command=type(command).__name__)
            return Reply(text=FAILED, decision="error", private=True)
        return reply

    def view(self, reply: Reply, requester_id: int) -> discord.ui.View | None:
        items = [_item(control) for control in render.controls(reply, requester_id)]
        if not items:
            return None
        view = discord.ui.View(timeout=None)  # dynamic items: nothing to time out or keep
        for item in items:
            view.add_item(item)
        return view

    def rendered(
        self,
        reply: Reply,
        requester_id: int,
        previous: list[discord.Embed] | None = None,
    ) -> dict[str, Any]:
        return {**render.message(reply, previous or ()), "view": self.view(reply, requester_id)}

    async def on_message(self, message: discord.Message) -> None:
        """`@Darcy <request>` (the bot or its managed role) or a direct message: the same flow
        as /darcy, answered as a reply; where Darcy may not post, by DM."""
        me = self.user
        if me is None or message.author.bot:
            return
        role = message.guild.self_role if message.guild is not None else None
        direct = isinstance(message.channel, discord.DMChannel)
        mentioned = any(u.id == me.id for u in message.mentions) or (
            role is not None and role.id in message.raw_role_mentions
        )
        if not (direct or mentioned):
            return
        if await self.outsider(message.guild.id if message.guild is not None else None, message.author.id):
            log.warning("discord request from outside the club refused",
                        guild_id=message.guild.id if message.guild is not None else None)
            with contextlib.suppress(discord.HTTPException):
                await message.reply(mention_author=False, **render.notice(OUTSIDER))
            return
        mention = rf"<@!?{me.id}>" + (rf"|<@&{role.id}>" if role is not None else "")
        text = re.sub(mention, " ", message.content).strip() or "help"
        with contextlib.suppress(discord.HTTPException):  # no typing permission must not cost the answer
            await message.channel.typing()  # the visible acknowledgement: "Darcy is typing…"
        reply = await self.ask(
            HandleRequest(
                platform=PLATFORM,
                user_id=str(message.author.id),
                channel_id=str(message.channel.id),
                text=text,
            )
        )
        kwargs = self.rendered(reply, message.author.id)
        if kwargs["view"] is None:
            del kwargs["view"]
        try:
            await message.reply(mention_author=False, **kwargs)
        except discord.Forbidden as exc:  # the channel lets people talk to Darcy but not Darcy answer
            await self.answer_by_dm(message, kwargs, exc)

    async def answer_by_dm(
        self, message: discord.Message, kwargs: dict[str, Any], why: discord.Forbidden
    ) -> None:
        """The answer a channel refused, sent to the asker by DM (a message has no ephemeral
        reply); the log says why, for the admin who can fix the channel's permissions."""
        log.warning(
            "discord channel refused the answer, sending it by DM",
            channel_id=message.channel.id, status=why.status, code=why.code, error=why.text,
        )
        where = "there" if isinstance(message.channel, discord.DMChannel) else f"<#{message.channel.id}>"
        try:
            await message.author.send(content=f"I can't post in {where}, so here is my answer.", **kwargs)
        except discord.HTTPException as exc:
            log.warning(
                "discord answer lost: the channel and the DM both refused it",
                channel_id=message.channel.id, user_id=message.author.id, code=exc.code, error=exc.text,
            )


def build_client(bus: MessageBus, settings: Settings) -> DarcyClient:
    """The Discord client for one Darcy; tests log it in against a loopback rig."""
    return DarcyClient(bus, settings)


def invite_url(application_id: int, guild_id: int | None = None) -> str:
    """Where an admin adds Darcy to a server, with the scopes and permissions it uses."""
    guild = discord.Object(id=guild_id) if guild_id else discord.utils.MISSING
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS, guild=guild, scopes=SCOPES)


async def run_discord(app: App, settings: Settings) -> None:
    """`darcy run`: connect to Discord with the token from the environment until stopped."""
    token = settings.discord.token()
    if not token:
        raise ConfigError(
            f"discord.token_env: the environment variable {settings.discord.token_env} is not set"
        )
    client = build_client(app.bus, settings)
    if app.notifications is not None:
        from bot.discord.notify import DiscordNotifier

        app.notifications.add_notifier(DiscordNotifier(client))
    async with client:
        await client.start(token)


# ---- commands ----------------------------------------------------------------------------


def _request(interaction: discord.Interaction, text: str, new_task_title: str | None = None) -> HandleRequest:
    """`new_task_title`: a message command's title, taken as is (core never parses it)."""
    return HandleRequest(
        platform=PLATFORM,
        user_id=str(interaction.user.id),
        channel_id=str(interaction.channel_id),
        text=text,
        new_task_title=new_task_title,
    )


async def refused(interaction: discord.Interaction[DarcyClient]) -> bool:
    """An interaction from outside the club, answered with a polite refusal to that person alone."""
    client = interaction.client
    if not await client.outsider(interaction.guild_id, interaction.user.id):
        return False
    log.warning("discord interaction from outside the club refused", guild_id=interaction.guild_id)
    await interaction.response.send_message(**render.notice(OUTSIDER), ephemeral=True)
    return True


async def _defer(interaction: discord.Interaction[DarcyClient]) -> None:
    """The acknowledgement, before any core work: Discord shows "Darcy is thinking…"."""
    private = interaction.client.settings.discord.ephemeral_reads
    await interaction.response.defer(thinking=True, ephemeral=private)


@app_commands.describe(text="What you'd like, e.g. “what are my tasks?”")
async def darcy_command(interaction: discord.Interaction[DarcyClient], text: str) -> None:
    if await refused(interaction):
        return
    await _defer(interaction)
    client = interaction.client
    reply = await client.ask(_request(interaction, text))
    await interaction.edit_original_response(**client.rendered(reply, interaction.user.id))


async def create_task_from(interaction: discord.Interaction[DarcyClient], message: discord.Message) -> None:
    """Message command: a task titled by the message's first line, for whoever invoked it."""
    if await refused(interaction):
        return
    await _defer(interaction)
    client = interaction.client
    lines = named(message).strip().splitlines()
    title = render.clip(lines[0].strip(), 100) if lines else ""
    if not title:
        reply = Reply(text="That message has no text I can turn into a task.", decision="none")
    else:
        reply = await client.ask(_request(interaction, f"create a task '{title}'", new_task_title=title))
    await interaction.edit_original_response(**client.rendered(reply, interaction.user.id))


def named(message: discord.Message) -> str:
    """The message's text with the people and roles it mentions as the names Discord shows
    (`@Hiro`), so a task title made from it carries no raw `<@id>`; @everyone stays as typed
    (replies escape it)."""
    people = {user.id: user.display_name for user in message.mentions}
    roles = {role.id: role.name for role in message.role_mentions}

    def name(match: re.Match[str]) -> str:
        found = (roles if match["role"] else people).get(int(match["id"]))
        return f"@{found}" if found else match.group(0)

    return re.sub(r"<@(?:!|(?P<role>&))?(?P<id>\d+)>", name, message.content)


# ---- components --------------------------------------------------------------------------


async def answer_click(interaction: discord.Interaction[DarcyClient], command: Command) -> None:
    """Run a click's command (already acknowledged) and show the outcome.

    Refusals meant for the clicker (someone else's question, already answered) go to
    them alone; anything else rewrites the message: the question greyed out, the
    outcome under it, and the buttons disabled or replaced by the next question.
    """
    client = interaction.client
    reply = await client.ask(command)
    if reply.private or reply.decision == "error":
        await interaction.followup.send(**render.notice(reply.text), ephemeral=True)
        return
    message = interaction.message
    previous = [] if reply.needs_answer or message is None else render.faded(message.embeds[:1])
    kwargs = client.rendered(reply, interaction.user.id, previous)
    if kwargs["view"] is None:
        kwargs["view"] = render.disabled(message)
    await interaction.edit_original_response(**kwargs)


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button], template=rf"darcy:(?P<verb>confirm|cancel):(?P<key>{KEY})"
):
    """Confirm / Cancel for a pending action."""

    def __init__(self, verb: str, pending_id: str) -> None:
        confirm = verb == "confirm"
        super().__init__(
            discord.ui.Button(
                label="Confirm" if confirm else "Cancel",
                custom_id=render.custom_id(verb, pending_id),
                style=discord.ButtonStyle.success if confirm else discord.ButtonStyle.secondary,
            )
        )
        self.verb, self.pending_id = verb, pending_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnswerButton:
        return cls(match["verb"], match["key"])

    async def callback(self, interaction: discord.Interaction[DarcyClient]) -> None:
        if await refused(interaction):
            return
        await interaction.response.defer()  # ack first: the write may be slow
        kind = Confirm if self.verb == "confirm" else Cancel
        await answer_click(
            interaction, kind(platform=PLATFORM, user_id=str(interaction.user.id), pending_id=self.pending_id)
        )


class ChooseSelect(discord.ui.DynamicItem[discord.ui.Select], template=rf"darcy:choose:(?P<key>{KEY})"):
    """The options of a `choose` reply; the value is the option's 0-based index."""

    def __init__(self, pending_id: str, labels: tuple[str, ...]) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=render.custom_id("choose", pending_id),
                placeholder="Pick one…",
                options=[discord.SelectOption(label=label, value=str(i)) for i, label in enumerate(labels)],
            )
        )
        self.pending_id = pending_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ChooseSelect:
        options = getattr(item, "options", [])
        return cls(match["key"], tuple(o.label for o in options))

    async def callback(self, interaction: discord.Interaction[DarcyClient]) -> None:
        if await refused(interaction):
            return
        await interaction.response.defer()
        values = (interaction.data or {}).get("values") or ["-1"]
        option = int(values[0]) if str(values[0]).lstrip("-").isdigit() else -1
        await answer_click(
            interaction,
            Choose(
                platform=PLATFORM, user_id=str(interaction.user.id), pending_id=self.pending_id, option=option
            ),
        )


class LinkButton(discord.ui.DynamicItem[discord.ui.Button], template=r"darcy:link:(?P<key>\d{1,20})"):
    """Opens the e-mail modal (a modal cannot follow a defer, so /darcy shows this button)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=render.LINK_LABEL,
                style=discord.ButtonStyle.primary,
                custom_id=render.custom_id("link", user_id),
            )
        )
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> LinkButton:
        return cls(match["key"])

    async def callback(self, interaction: discord.Interaction[DarcyClient]) -> None:
        if await refused(interaction):
            return
        if str(interaction.user.id) != self.user_id:
            await interaction.response.send_message(
                f"Only <@{self.user_id}> can answer this.", ephemeral=True, allowed_mentions=render.NO_PINGS
            )
            return
        await interaction.response.send_modal(EmailModal())


class EmailModal(discord.ui.Modal, title=render.LINK_LABEL):
    """Asks the Notion e-mail; core, waiting for it in this channel, answers with a confirmation.
    The input sits in a Label (type 18): a TextInput in an action row is deprecated in modals."""

    field: discord.ui.Label[EmailModal] = discord.ui.Label(
        text="Your Notion account's e-mail",
        component=discord.ui.TextInput(placeholder="you@example.org", min_length=3, max_length=254),
    )

    def __init__(self) -> None:
        super().__init__(timeout=MODAL_TIMEOUT)

    @property
    def email(self) -> discord.ui.TextInput[EmailModal]:
        return self.field.component  # type: ignore[return-value]

    async def on_submit(self, interaction: discord.Interaction[DarcyClient]) -> None:  # type: ignore[override]
        if await refused(interaction):
            return
        await interaction.response.defer()  # edits the message whose button opened the modal
        client = interaction.client
        reply = await client.ask(_request(interaction, self.email.value.strip()))
        if not reply.needs_answer:  # no match, a typo: say so privately, keep the button for a retry
            await interaction.followup.send(**render.notice(reply.text), ephemeral=True)
            return
        await interaction.edit_original_response(**client.rendered(reply, interaction.user.id))


def _item(control: render.Control) -> discord.ui.Item[Any]:
    if control.kind in ("confirm", "cancel"):
        return AnswerButton(control.kind, control.key)
    if control.kind == "choose":
        return ChooseSelect(control.key, control.options)
    return LinkButton(control.key)
