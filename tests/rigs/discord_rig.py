"""A loopback Discord for the real discord.py client (docs/testing.md).

Two halves, as Discord has them:
- REST on 127.0.0.1 (point `discord.http.Route.BASE` at `rig.base`): login, command sync,
  interaction callbacks, followups and edits through the interaction webhook, channel
  messages. Every request is recorded; bot messages are kept and edited like Discord does,
  so a test reads what a person would see.
- Gateway events built here and fed to the client: INTERACTION_CREATE for slash and
  message commands, button/select clicks and modal submits, MESSAGE_CREATE for a mention
  (of the bot or of its managed role) or a direct message (no guild, no member: a DM as
  the gateway sends it), and GUILD_CREATE (the server, with the bot's managed role). A click
  is built from the message as the rig holds it, so only a component that is really there
  and enabled can be clicked.
- What Discord refuses: a channel in `forbidden` answers 403 / 50013 (Missing Permissions)
  to messages and typing; a person in `closed_dms` can't be sent a DM (403 / 50007). A modal
  laid out the deprecated way (a TextInput in an action row) is still accepted, as Discord
  does, and noted in `deprecated`.

JSON responses carry `Content-Type: application/json` exactly: discord.py parses nothing else.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

BODY = web.RequestKey("body", object)  # the parsed JSON body, kept for the route handlers

JSON = dict[str, Any]
DISCORD_EPOCH_MS = 1420070400000
LOADING, EPHEMERAL = 128, 64
# Interaction callback types (Discord's "interaction callback type").
MESSAGE, DEFER_MESSAGE, DEFER_UPDATE, UPDATE, MODAL = 4, 5, 6, 7, 9
COMMAND, COMPONENT, MODAL_SUBMIT = 2, 3, 5  # interaction types
BUTTON, STRING_SELECT, TEXT_INPUT = 2, 3, 4  # component types


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    token: str | None = None  # the interaction token, for callbacks and webhook routes


@dataclass
class Interaction:
    id: int
    token: str
    type: int
    channel_id: int
    user_id: str
    message_id: int | None = None  # the message a component (or its modal) sits on
    responded: int | None = None  # callback type, once acknowledged
    original: int | None = None  # the message @original refers to


@dataclass
class DiscordRig:
    app_id: int = 720000000000000001
    guild_id: int = 730000000000000001
    channel_id: int = 740000000000000001
    requests: list[Recorded] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # a timeline; tests may append their own marks
    messages: dict[int, JSON] = field(default_factory=dict)
    commands: dict[int | None, list[JSON]] = field(default_factory=dict)  # guild id (None: global)
    modals: list[JSON] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    interactions: dict[str, Interaction] = field(default_factory=dict)
    role_id: int = 750000000000000001  # the bot's managed role ("@Darcy" may resolve to it)
    forbidden: set[int] = field(default_factory=set)  # channels the bot may not post in
    closed_dms: set[str] = field(default_factory=set)  # people who accept no DMs from the bot
    dm_channels: dict[str, int] = field(default_factory=dict)  # user id → their DM channel with the bot
    # Who is a member of the rig's server (GET /guilds/{id}/members/{user}); None: everyone.
    members: set[str] | None = None
    deprecated: list[str] = field(default_factory=list)  # layouts Discord marks deprecated
    _runner: web.AppRunner | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    base: str = ""

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._record])
        r = app.router
        r.add_get("/api/v10/users/@me", self._me)
        r.add_get("/api/v10/oauth2/applications/@me", self._application)
        r.add_put("/api/v10/applications/{app}/commands", self._sync)
        r.add_put("/api/v10/applications/{app}/guilds/{guild}/commands", self._sync)
        r.add_post("/api/v10/interactions/{id}/{token}/callback", self._callback)
        r.add_post("/api/v10/webhooks/{app}/{token}", self._followup)
        r.add_patch("/api/v10/webhooks/{app}/{token}/messages/{message}", self._edit_webhook_message)
        r.add_get("/api/v10/webhooks/{app}/{token}/messages/{message}", self._get_webhook_message)
        r.add_post("/api/v10/channels/{channel}/messages", self._create_channel_message)
        r.add_patch("/api/v10/channels/{channel}/messages/{message}", self._edit_channel_message)
        r.add_post("/api/v10/channels/{channel}/typing", self._typing)
        r.add_post("/api/v10/users/@me/channels", self._create_dm)
        r.add_get("/api/v10/guilds/{guild}/members/{user}", self._get_member)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}/api/v10"
        return self.base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- what a test reads -------------------------------------------------------------

    @property
    def bot_user(self) -> JSON:
        return {"id": str(self.app_id), "username": "Darcy", "discriminator": "0", "global_name": "Darcy",
                "avatar": None, "bot": True, "public_flags": 0, "flags": 0}

    def original(self, token: str) -> JSON:
        interaction = self.interactions[token]
        assert interaction.original is not None, "the interaction has no message"
        return self.messages[interaction.original]

    def requests_for(self, token: str) -> list[Recorded]:
        return [r for r in self.requests if r.token == token]

    def callback_types(self, token: str) -> list[int]:
        return [r.body["type"] for r in self.requests_for(token) if r.path.endswith("/callback")]

    @staticmethod
    def text(message: JSON) -> str:
        """What a person reads: the content and every embed's title and description."""
        parts = [message.get("content") or ""]
        for embed in message.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
        return "\n".join(p for p in parts if p)

    @staticmethod
    def components(message: JSON) -> list[JSON]:
        """Every interactive component of a message, rows flattened."""
        found = []
        for row in message.get("components") or []:
            if row.get("type") == 18:  # a label (modals) wraps one component
                found.append(row["component"])
            else:
                found += row.get("components", []) if row.get("type") == 1 else [row]
        return found

    def buttons(self, message: JSON) -> dict[str, JSON]:
        return {c.get("label", ""): c for c in self.components(message) if c["type"] == BUTTON}

    def message_bodies(self) -> list[JSON]:
        """Every request body that creates or edits a message (where mentions could fire)."""
        bodies = []
        for r in self.requests:
            body = r.body if isinstance(r.body, dict) else {}
            if r.path.endswith("/callback"):
                body = body.get("data") or {} if body.get("type") in (MESSAGE, UPDATE) else {}
            if r.method in ("POST", "PATCH") and {"content", "embeds", "components"} & body.keys():
                bodies.append(body)
        return bodies

    def bodies_allowing_mentions(self) -> list[JSON]:
        """Message bodies that could ping anyone: no allowed_mentions, or one that permits some."""
        def safe(am: Any) -> bool:
            return (isinstance(am, dict) and am.get("parse") == [] and not am.get("users")
                    and not am.get("roles") and not am.get("replied_user"))
        return [b for b in self.message_bodies() if not safe(b.get("allowed_mentions"))]

    # ---- gateway events ----------------------------------------------------------------

    def snowflake(self) -> int:
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._ids) & 0x3FFFFF)

    @staticmethod
    def user(user_id: int | str, name: str = "member") -> JSON:
        return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name.title(),
                "avatar": None, "public_flags": 0}

    def _base(self, kind: int, user_id: int | str, data: JSON, message: JSON | None = None,
              guild_id: int | None = None) -> JSON:
        token = f"tok-{next(self._ids)}"
        guild = str(guild_id or self.guild_id)
        interaction_id = self.snowflake()
        self.interactions[token] = Interaction(
            id=interaction_id, token=token, type=kind, channel_id=self.channel_id, user_id=str(user_id),
            message_id=int(message["id"]) if message else None,
        )
        payload: JSON = {
            "id": str(interaction_id), "application_id": str(self.app_id), "type": kind, "token": token,
            "version": 1, "data": data, "guild_id": guild, "channel_id": str(self.channel_id),
            "channel": {"id": str(self.channel_id), "type": 0, "name": "general",
                        "guild_id": guild, "position": 0, "permission_overwrites": [],
                        "nsfw": False, "parent_id": None,
                        "topic": None, "last_message_id": None, "rate_limit_per_user": 0, "flags": 0},
            "member": {"user": self.user(user_id), "roles": [], "joined_at": "2026-01-01T00:00:00+00:00",
                       "deaf": False, "mute": False, "flags": 0, "pending": False, "nick": None,
                       "avatar": None, "permissions": "2248473465835073"},
            "app_permissions": "2248473465835073", "locale": "en-GB", "guild_locale": "en-US",
            "entitlements": [], "authorizing_integration_owners": {"0": guild}, "context": 0,
            "attachment_size_limit": 8388608,
        }
        if message is not None:
            payload["message"] = message
        return payload

    def _command(self, name: str, kind: int) -> JSON:
        for guild, commands in self.commands.items():
            for command in commands:
                if command["name"] == name and command.get("type", 1) == kind:
                    data = {"id": command["id"], "name": name, "type": kind}
                    if guild is not None:
                        data["guild_id"] = str(guild)
                    return data
        raise AssertionError(f"the client never registered the command {name!r} (type {kind})")

    def slash(
        self, user_id: int | str, text: str, name: str = "darcy", *, guild_id: int | None = None
    ) -> JSON:
        """/darcy in the rig's server (or in another, `guild_id`, that the bot was added to)."""
        data = {**self._command(name, 1), "options": [{"name": "text", "type": 3, "value": text}]}
        return self._base(COMMAND, user_id, data, guild_id=guild_id)

    def message_command(self, user_id: int | str, target: JSON, name: str) -> JSON:
        data = {**self._command(name, 3), "target_id": target["id"],
                "resolved": {"messages": {target["id"]: target}}}
        return self._base(COMMAND, user_id, data)

    def user_message(self, author_id: int | str, content: str, *, mentions_bot: bool = True,
                     guild_id: int | None = None) -> JSON:
        """A member's message in the channel (MESSAGE_CREATE), as the gateway delivers it."""
        return {
            "id": str(self.snowflake()), "channel_id": str(self.channel_id),
            "guild_id": str(guild_id or self.guild_id),
            "author": self.user(author_id), "content": content, "type": 0, "tts": False, "flags": 0,
            "timestamp": _now(), "edited_timestamp": None, "mention_everyone": False,
            "mentions": [self.bot_user] if mentions_bot else [], "mention_roles": [], "attachments": [],
            "embeds": [], "components": [], "pinned": False,
            "member": {"roles": [], "joined_at": "2026-01-01T00:00:00+00:00", "deaf": False, "mute": False},
        }

    def dm_channel(self, user_id: int | str) -> int:
        """The DM channel between the bot and a person (Discord keeps one per pair)."""
        if str(user_id) not in self.dm_channels:
            self.dm_channels[str(user_id)] = self.snowflake()
        return self.dm_channels[str(user_id)]

    def direct_message(self, author_id: int | str, content: str) -> JSON:
        """A DM to the bot (MESSAGE_CREATE): no guild_id, no member, and no mention needed.
        Discord sends a DM's content without the Message Content intent."""
        return {
            "id": str(self.snowflake()), "channel_id": str(self.dm_channel(author_id)),
            "author": self.user(author_id), "content": content, "type": 0, "tts": False, "flags": 0,
            "timestamp": _now(), "edited_timestamp": None, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": [], "components": [], "pinned": False,
        }

    def role_mention(self, author_id: int | str, text: str) -> JSON:
        """"@Darcy …" resolved to the bot's managed role: `<@&role>` in content and mention_roles."""
        message = self.user_message(author_id, f"<@&{self.role_id}> {text}", mentions_bot=False)
        message["mention_roles"] = [str(self.role_id)]
        return message

    def guild_create(self) -> JSON:
        """GUILD_CREATE for the rig's server: the bot is a member holding its managed role."""
        everyone = {"id": str(self.guild_id), "name": "@everyone", "permissions": "1024", "position": 0,
                    "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}
        managed = {"id": str(self.role_id), "name": "Darcy", "permissions": "274877991936", "position": 1,
                   "color": 0, "hoist": False, "managed": True, "mentionable": False, "flags": 0,
                   "tags": {"bot_id": str(self.app_id)}}
        return {
            "id": str(self.guild_id), "name": "Club", "icon": None, "owner_id": "700000000000000001",
            "roles": [everyone, managed], "emojis": [], "stickers": [], "features": [],
            "member_count": 2, "large": False, "unavailable": False, "joined_at": _now(),
            "channels": [{"id": str(self.channel_id), "type": 0, "name": "general", "position": 0,
                          "permission_overwrites": [], "nsfw": False, "parent_id": None,
                          "guild_id": str(self.guild_id)}],
            "threads": [], "voice_states": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [],
            "members": [{"user": self.bot_user, "roles": [str(self.role_id)], "joined_at": _now(),
                         "deaf": False, "mute": False, "flags": 0}],
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
            "mfa_level": 0, "system_channel_id": None, "premium_tier": 0, "preferred_locale": "en-US",
            "nsfw_level": 0, "premium_progress_bar_enabled": False,
        }

    def in_channel(self, channel_id: int) -> list[JSON]:
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    def _component(self, message_id: int, custom_id: str) -> JSON:
        message = self.messages[message_id]
        for component in self.components(message):
            if component.get("custom_id") == custom_id:
                assert not component.get("disabled"), f"{custom_id} is disabled: nobody can click it"
                return component
        raise AssertionError(f"no component {custom_id!r} on message {message_id}")

    def click(self, user_id: int | str, message_id: int, custom_id: str) -> JSON:
        component = self._component(message_id, custom_id)
        assert component["type"] == BUTTON
        data = {"custom_id": custom_id, "component_type": BUTTON}
        return self._base(COMPONENT, user_id, data, self.messages[message_id])

    def pick(self, user_id: int | str, message_id: int, custom_id: str, label: str) -> JSON:
        component = self._component(message_id, custom_id)
        assert component["type"] == STRING_SELECT
        value = next(o["value"] for o in component["options"] if o["label"] == label)
        data = {"custom_id": custom_id, "component_type": STRING_SELECT, "values": [value]}
        return self._base(COMPONENT, user_id, data, self.messages[message_id])

    def submit(self, user_id: int | str, modal: JSON, values: dict[str, str]) -> JSON:
        """The modal's submission, shaped like the modal the client sent (rows or labels)."""
        def answered(component: JSON) -> JSON:
            if component["type"] == 1:
                return {"type": 1, "components": [answered(c) for c in component["components"]]}
            if component["type"] == 18:  # a label wrapping one component
                return {"type": 18, "component": answered(component["component"])}
            return {"type": component["type"], "custom_id": component["custom_id"],
                    "value": values[component["custom_id"]]}

        data = {"custom_id": modal["custom_id"], "components": [answered(c) for c in modal["components"]]}
        opened_on = self.interactions[modal["token"]].message_id
        return self._base(MODAL_SUBMIT, user_id, data, self.messages[opened_on] if opened_on else None)

    # ---- driving a client ------------------------------------------------------------

    async def send(self, client: Any, payload: JSON, timeout: float = 10.0) -> None:
        """Deliver an event and wait until the client has answered it."""
        if "token" in payload:
            client._connection.parse_interaction_create(payload)
            token = payload["token"]
            await self.wait_for(lambda: self._answered(token), timeout, f"no answer to interaction {token}")
        else:
            client._connection.parse_message_create(payload)
            await self.wait_for(lambda: self._replied_to(payload["id"]) is not None, timeout,
                                f"no reply to message {payload['id']}")

    def deliver(self, client: Any, message: JSON) -> None:
        """MESSAGE_CREATE (or GUILD_CREATE: a payload with `roles`) without waiting for an answer."""
        if "roles" in message:
            client._connection.parse_guild_create(message)
        else:
            client._connection.parse_message_create(message)

    async def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(what)
            await asyncio.sleep(0.005)

    def _answered(self, token: str) -> bool:
        """Answered: any response beyond a bare acknowledgement (a defer)."""
        for r in self.requests_for(token):
            if not r.path.endswith("/callback") or r.body.get("type") not in (DEFER_MESSAGE, DEFER_UPDATE):
                return True
        return False

    def _replied_to(self, message_id: str) -> JSON | None:
        for message in self.messages.values():
            if str((message.get("message_reference") or {}).get("message_id")) == str(message_id):
                return message
        return None

    def reply_to(self, message: JSON) -> JSON:
        found = self._replied_to(message["id"])
        assert found is not None
        return found

    # ---- REST ----------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request,
                      handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            if request.content_type == "multipart/form-data":
                form = await request.post()
                body = json.loads(str(form.get("payload_json") or "{}"))
            else:
                raw = await request.read()
                body = json.loads(raw) if raw else None
        request[BODY] = body
        token = request.match_info.get("token")
        self.requests.append(Recorded(request.method, request.path, dict(request.query), body, token))
        try:
            response: web.StreamResponse = await handler(request)
            return response
        except web.HTTPNotFound:
            self.unknown.append(f"{request.method} {request.path}")
            return _json({"message": "404: Not Found", "code": 0}, 404)

    async def _me(self, request: web.Request) -> web.Response:
        assert request.headers.get("Authorization", "").startswith("Bot ")
        return _json(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        return _json({
            "id": str(self.app_id), "name": "Darcy", "icon": None, "description": "Club tasks in Notion",
            "bot_public": False, "bot_require_code_grant": False, "verify_key": "00" * 32, "flags": 0,
            "owner": self.user(700000000000000001, "owner"), "summary": "", "rpc_origins": [],
            "team": None, "interactions_endpoint_url": None,
        })

    async def _sync(self, request: web.Request) -> web.Response:
        guild = int(request.match_info["guild"]) if "guild" in request.match_info else None
        commands = []
        for command in request[BODY]:
            commands.append({"description": "", "options": [], "default_member_permissions": None,
                             "nsfw": False, **command, "id": str(self.snowflake()),
                             "application_id": str(self.app_id),
                             "version": str(self.snowflake()), "type": command.get("type", 1),
                             **({"guild_id": str(guild)} if guild else {})})
        self.commands[guild] = commands
        self.log.append(f"sync:{guild or 'global'}")
        return _json(commands)

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(request.match_info["token"])
        if interaction is None or str(interaction.id) != request.match_info["id"]:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if interaction.responded is not None:
            return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        body = request[BODY]
        kind, data = body["type"], body.get("data") or {}
        on_message = interaction.message_id is not None
        allowed = {COMMAND: {MESSAGE, DEFER_MESSAGE, MODAL},
                   COMPONENT: {MESSAGE, DEFER_MESSAGE, DEFER_UPDATE, UPDATE, MODAL},
                   MODAL_SUBMIT: {MESSAGE, DEFER_MESSAGE} | ({DEFER_UPDATE, UPDATE} if on_message else set())}
        if kind not in allowed[interaction.type]:
            return _json({"message": f"Invalid callback type {kind} here", "code": 50035}, 400)
        interaction.responded = kind
        self.log.append(f"ack:{kind}")
        resource: JSON = {"type": kind}
        flags = int(data.get("flags") or 0)
        if kind == MESSAGE:
            resource["message"] = self._create(interaction.channel_id, data, flags, interaction=interaction)
        elif kind == DEFER_MESSAGE:
            resource["message"] = self._create(interaction.channel_id, {}, flags | LOADING,
                                               interaction=interaction)
        elif kind in (DEFER_UPDATE, UPDATE):
            interaction.original = interaction.message_id
            if kind == UPDATE:
                resource["message"] = self._edit(interaction.original, data)  # type: ignore[arg-type]
        else:
            self.modals.append({"token": interaction.token, **data})
            for component in data.get("components") or []:  # components/reference.mdx: deprecated
                if component.get("type") == 1 and any(c.get("type") == TEXT_INPUT
                                                      for c in component.get("components", [])):
                    self.deprecated.append("modal: a text input in an action row (use a label)")
        message = resource.get("message") or {}
        return _json({
            "interaction": {"id": str(interaction.id), "type": interaction.type,
                            "response_message_id": interaction.original and str(interaction.original),
                            "response_message_loading": kind == DEFER_MESSAGE,
                            "response_message_ephemeral": bool(int(message.get("flags") or 0) & EPHEMERAL)},
            "resource": resource,
        })

    def _interaction(self, request: web.Request) -> Interaction | None:
        interaction = self.interactions.get(request.match_info["token"])
        if interaction is None or request.match_info.get("app", str(self.app_id)) != str(self.app_id):
            return None
        return interaction

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        if interaction is None or interaction.responded is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        body = request[BODY]
        original = self.messages.get(interaction.original or 0)
        if original is not None and int(original["flags"]) & LOADING:  # the first followup fills "thinking…"
            self.log.append("edit:@original")
            return _json(self._edit(interaction.original, body))  # type: ignore[arg-type]
        self.log.append("followup")
        flags = int(body.get("flags") or 0)
        return _json(self._create(interaction.channel_id, body, flags, interaction=interaction,
                                  original=False))

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        if interaction is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        wanted = request.match_info["message"]
        message_id = interaction.original if wanted == "@original" else int(wanted)
        if message_id is None or message_id not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        self.log.append(f"edit:{wanted if wanted == '@original' else 'followup'}")
        return _json(self._edit(message_id, request[BODY]))

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        if interaction is None or interaction.original is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        return _json(self.messages[interaction.original])

    async def _create_channel_message(self, request: web.Request) -> web.Response:
        body = request[BODY]
        channel = int(request.match_info["channel"])
        if channel in self.forbidden:
            return _json({"message": "Missing Permissions", "code": 50013}, 403)
        if any(channel == dm and user in self.closed_dms for user, dm in self.dm_channels.items()):
            return _json({"message": "Cannot send messages to this user", "code": 50007}, 403)
        self.log.append("channel:message")
        return _json(self._create(channel, body, int(body.get("flags") or 0)))

    async def _create_dm(self, request: web.Request) -> web.Response:
        user_id = str(request[BODY]["recipient_id"])
        self.log.append("dm:open")
        return _json({"id": str(self.dm_channel(user_id)), "type": 1, "last_message_id": None, "flags": 0,
                      "recipients": [self.user(user_id)]})

    async def _edit_channel_message(self, request: web.Request) -> web.Response:
        message_id = int(request.match_info["message"])
        if message_id not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        self.log.append("channel:edit")
        return _json(self._edit(message_id, request[BODY]))

    async def _get_member(self, request: web.Request) -> web.Response:
        """A guild member (GET /guilds/{guild.id}/members/{user.id}: no privileged intent needed),
        or 404 Unknown Member (10007) for someone who isn't in the server."""
        guild, user = int(request.match_info["guild"]), request.match_info["user"]
        if guild != self.guild_id or (self.members is not None and user not in self.members):
            return _json({"message": "Unknown Member", "code": 10007}, 404)
        return _json({"user": self.user(user), "roles": [], "joined_at": "2026-01-01T00:00:00+00:00",
                      "deaf": False, "mute": False, "flags": 0, "pending": False, "nick": None,
                      "avatar": None})

    async def _typing(self, request: web.Request) -> web.Response:
        if int(request.match_info["channel"]) in self.forbidden:
            return _json({"message": "Missing Permissions", "code": 50013}, 403)
        self.log.append("typing")
        return web.Response(status=204)

    # ---- messages as Discord keeps them --------------------------------------------------

    def _create(self, channel_id: int, body: JSON, flags: int, *, interaction: Interaction | None = None,
                original: bool = True) -> JSON:
        message_id = self.snowflake()
        message: JSON = {
            "id": str(message_id), "channel_id": str(channel_id), "author": self.bot_user,
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "flags": flags, "type": 0, "tts": False,
            "timestamp": _now(), "edited_timestamp": None, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "attachments": [], "pinned": False,
        }
        if "message_reference" in body:
            message["message_reference"] = {**body["message_reference"], "channel_id": str(channel_id)}
            message["type"] = 19
        if interaction is not None:
            message["application_id"] = message["webhook_id"] = str(self.app_id)
            message["interaction_metadata"] = {"id": str(interaction.id), "type": interaction.type,
                                               "user": self.user(interaction.user_id)}
            if original:
                interaction.original = message_id
        self.messages[message_id] = message
        return message

    def _edit(self, message_id: int, body: JSON) -> JSON:
        message = self.messages[message_id]
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] or ([] if key != "content" else "")
        message["flags"] = int(message["flags"]) & ~LOADING
        message["edited_timestamp"] = _now()
        return message


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json"})
