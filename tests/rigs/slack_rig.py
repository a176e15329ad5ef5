"""A Slack Web API emulator on 127.0.0.1, and signed requests into a bolt app, for tests.

`SlackEmulator` answers what the real `AsyncWebClient` and `AsyncWebhookClient` send:
auth.test, chat.postMessage, chat.update, chat.postEphemeral, views.open, and response_url
hooks. It records every call with its JSON or form body, keeps the messages as Slack would
show them (so a test clicks a button that was really rendered), refuses Block Kit that
Slack would refuse (too many blocks, duplicate action ids, over-long labels), and answers
`not_in_channel` for channels the bot is not in.

users.info answers with a user's `profile.email` only when the bot token has
`users:read.email` (as Slack does), and `scopes_used` records that scope once an e-mail was
read, so a test can match the manifest's scopes against what the code really used.

`SlackUser` builds the requests Slack sends to an app (event_callback JSON, slash command
forms, block_actions / view_submission / message_action `payload=` forms), signs them with
the signing secret (v0 HMAC over `v0:<timestamp>:<body>`) and dispatches them into the bolt
app through `AsyncBoltRequest`, as the aiohttp or Socket Mode adapters would.

Socket Mode, the other way in: `apps.connections.open` (app-level `xapp-` token only) hands out
a one-use `ws://` URL on the same server; the WebSocket there says `hello`, carries envelopes
(`events_api`, `slash_commands`, `interactive`) that a test pushes with `SlackEmulator.push`
(or `SocketModeUser`, which builds them as Slack would), records the client's acks
(`{"envelope_id": …}`) with their delay, and can ask the client to reconnect (`disconnect`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

from aiohttp import WSMsgType, web
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.signature import SignatureVerifier

TEAM = "T0CLUB"
APP_ID = "A0DARCY"
BOT_USER = "UDARCY"
BOT_ID = "B0DARCY"
BOT_TOKEN = "xoxb-test-darcy"
APP_TOKEN = "xapp-1-A0DARCY-1-test"  # app-level, Socket Mode: only apps.connections.open takes it
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"

PINGS = re.compile(r"<(?:!(?:channel|here|everyone|subteam\^[^>]*)|@[UW][A-Z0-9]+)[^>]*>")
ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
# Slack refuses a message whose blocks hold more text than this (`msg_blocks_too_long`). The limit
# is undocumented: slackapi/bolt-js #2509 measured ~13.2k characters, #2867 was refused at 11,341
# counted the same way as here (every `text` string); the rig refuses above 11,000.
MAX_BLOCK_TEXT = 11_000
# The scope each Web API method needs (api.slack.com/methods/<method>); None: no scope.
METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None, "chat.postMessage": "chat:write", "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write", "views.open": None, "users.info": "users:read",
}


@dataclass
class Call:
    """One request to the emulator: the Web API method (or "response_url") and its body."""

    method: str
    body: dict[str, Any]
    token: str | None = None
    url: str | None = None


@dataclass
class Message:
    """A message as it stands in the emulated workspace."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    ephemeral_to: str | None = None  # only this user sees it
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions, oldest first

    def shown(self) -> str:
        """What a person reads: every text of every block, entities decoded, links as labels, no `*`."""
        parts: list[str] = []
        for block in self.blocks or [{"type": "section", "text": {"type": "mrkdwn", "text": self.text}}]:
            parts += _texts(block)
        text = "\n".join(parts)
        text = re.sub(r"<(?:https?://|mailto:)[^|>]*\|([^>]*)>", r"\1", text)
        text = re.sub(r"\*([^*\n]+)\*", r"\1", text)  # *bold* reads as the words
        for entity, char in ENTITIES:
            text = text.replace(entity, char)
        return text

    def elements(self) -> list[dict[str, Any]]:
        """The interactive elements, with the block they sit in."""
        found = []
        for block in self.blocks:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                found.append({**element, "block_id": block.get("block_id", "b")})
        return found

    def buttons(self) -> list[str]:
        return [e["text"]["text"] for e in self.elements() if e["type"] == "button"]


def _texts(node: Any) -> list[str]:
    """Every `text` string inside a block (section, context, buttons, options), in order."""
    if isinstance(node, dict):
        out = []
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                out.append(value)
            elif key not in ("value", "action_id", "block_id", "url", "style"):
                out += _texts(value)
        return out
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


def pings(body: dict[str, Any]) -> list[str]:
    """Mentions Slack would act on (notify a channel or a person) anywhere in a message body."""
    return [m for text in _texts(body) for m in PINGS.findall(text)]


class BlockKitError(ValueError):
    error = "invalid_blocks"


class BlocksTooLong(BlockKitError):
    error = "msg_blocks_too_long"


@dataclass
class Envelope:
    """One Socket Mode envelope the emulator sent, on connection `connection` (1 = the first)."""

    envelope_id: str
    type: str
    body: dict[str, Any]
    connection: int
    sent_at: float  # time.monotonic()


@dataclass
class Ack:
    """What the client sent back for an envelope: `{"envelope_id": …, "payload"?: …}`."""

    envelope_id: str
    payload: dict[str, Any] | None
    connection: int  # the connection it came back on
    delay: float  # seconds after its envelope was sent


def check_blocks(blocks: list[dict[str, Any]]) -> None:
    """The Block Kit rules a real workspace enforces on what Darcy sends (invalid_blocks);
    blocks without a block_id get one, as Slack does."""
    for n, block in enumerate(blocks):
        block.setdefault("block_id", f"blk{n:02d}")
        parsed = Block.parse(block)
        if parsed is None:
            raise BlockKitError(f"unknown block type {block.get('type')!r}")
        try:  # slack_sdk's own validators: lengths of texts, labels, options, values, as sent
            parsed.to_dict()
        except SlackObjectFormationError as exc:
            raise BlockKitError(f"{block.get('type')}: {exc}") from exc
    if (size := sum(len(t) for t in _texts(blocks))) > MAX_BLOCK_TEXT:
        raise BlocksTooLong(f"{size} characters of block text")
    if len(blocks) > 50:
        raise BlockKitError("more than 50 blocks")
    if len({b["block_id"] for b in blocks}) != len(blocks):
        raise BlockKitError("duplicate block_id")
    for block in blocks:
        kind = block.get("type")
        if kind == "section" and len(block["text"]["text"]) > 3000:
            raise BlockKitError("section text over 3000 characters")
        if kind == "section" and not block["text"]["text"].strip():
            raise BlockKitError("empty section text")
        if kind == "context" and not 1 <= len(block["elements"]) <= 10:
            raise BlockKitError("context needs 1 to 10 elements")
        if kind == "actions":
            ids = [e["action_id"] for e in block["elements"]]
            if len(ids) != len(set(ids)):
                raise BlockKitError(f"duplicate action_id in a block: {ids}")
            if len(ids) > 25:
                raise BlockKitError("more than 25 elements in an actions block")
            for element in block["elements"]:
                _check_element(element)


def _check_element(element: dict[str, Any]) -> None:
    if element["type"] == "button":
        if len(element["text"]["text"]) > 75 or len(element.get("value", "")) > 2000:
            raise BlockKitError("button text over 75 or value over 2000 characters")
        if element.get("style") not in (None, "primary", "danger"):
            raise BlockKitError("bad button style")
    elif element["type"] == "static_select":
        options = element["options"]
        if not 1 <= len(options) <= 100 or "placeholder" not in element:
            raise BlockKitError("static_select needs 1 to 100 options and a placeholder")
        for option in options:
            if len(option["text"]["text"]) > 75 or len(option["value"]) > 150:
                raise BlockKitError("option text over 75 or value over 150 characters")
    else:
        raise BlockKitError(f"unexpected element {element['type']}")


class SlackEmulator:
    """The Slack Web API (`/api/<method>`) and response_url hooks (`/hooks/<n>`) on loopback."""

    def __init__(self, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.messages: dict[str, Message] = {}
        self.views: list[dict[str, Any]] = []
        self.outside: set[str] = set()  # channels the bot is not a member of
        self.departed: set[str] = set()  # users who left the workspace: a DM to them is refused
        self.scopes: set[str] | None = None  # the bot token's scopes; None: whatever a method needs
        self.users: dict[str, dict[str, Any]] = {}  # users.info answers, by user id
        self.scopes_used: set[str] = set()  # scopes a method used beyond its own (users:read.email)
        self._limited: dict[str, list[int]] = {}  # method → Retry-After of the next 429s
        self._hooks: dict[str, dict[str, Any]] = {}
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Socket Mode
        self.app_token = APP_TOKEN
        self.sockets: list[web.WebSocketResponse] = []  # every connection that got its hello, in order
        self.envelopes: dict[str, Envelope] = {}
        self.acks: list[Ack] = []
        self._tickets: set[str] = set()

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self) -> SlackEmulator:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # users.info and other reads are GETs
        app.router.add_post("/hooks/{hook}", self._hook)
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        for socket in self.sockets:
            if not socket.closed:
                await socket.close(code=1001, message=b"going away")
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` get HTTP 429 with `Retry-After: retry_after`
        (Slack: about one chat.postMessage a second per channel)."""
        self._limited.setdefault(method, []).extend([retry_after] * times)

    def add_user(self, user_id: str, real_name: str, display_name: str = "", *, bot: bool = False,
                 email: str | None = None, team: str = TEAM) -> None:
        """A member users.info knows (its shape: api.slack.com/methods/users.info). A user of
        another team (Slack Connect) is marked `is_stranger`, as Slack marks one."""
        self.users[user_id] = {
            "id": user_id, "team_id": team, "name": (display_name or real_name).lower().replace(" ", "."),
            "deleted": False, "real_name": real_name, "tz": "Australia/Melbourne", "is_bot": bot,
            "profile": {"real_name": real_name, "display_name": display_name, "team": team,
                        "real_name_normalized": real_name, "display_name_normalized": display_name,
                        **({"email": email} if email else {})},
            **({"is_stranger": True} if team != TEAM else {}),
        }

    def hook(self, channel: str, user: str, message_ts: str | None = None) -> str:
        """A response_url bound to a channel (and the message a click came from)."""
        name = str(len(self._hooks) + 1)
        self._hooks[name] = {"channel": channel, "user": user, "message_ts": message_ts}
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    # ---- what happened --------------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> Call:
        """The `count`-th call of `method`, once it has arrived."""
        async def arrived() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.of(method)) >= count)

        try:
            await asyncio.wait_for(arrived(), timeout)
        except TimeoutError:
            seen = [c.method for c in self.calls]
            raise AssertionError(f"no {method} #{count} within {timeout}s; calls so far: {seen}") from None
        return self.of(method)[count - 1]

    def in_channel(self, channel: str) -> list[Message]:
        return [m for m in self.messages.values() if m.channel == channel]

    def pings(self) -> list[str]:
        """Every mention in everything Darcy sent: a test of escaping wants none."""
        return [p for call in self.calls if call.method != "views.open" for p in pings(call.body)]

    # ---- the Web API ----------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.method == "GET":
            body = dict(request.query)
        elif request.content_type == "application/json":
            body = await request.json()
        else:
            body = dict(await request.post())
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else body.get("token")
        await self._record(Call(method, body, token=token))
        if method == "apps.connections.open":
            return self._connections_open(token)
        if token != self.token:
            return _ok(False, error="invalid_auth")
        if self._limited.get(method):
            retry_after = self._limited[method].pop(0)
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(retry_after)})
        handler = {
            "auth.test": self._auth_test, "chat.postMessage": self._post_message, "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral, "views.open": self._views_open,
            "users.info": self._users_info,
        }.get(method)
        if handler is None:
            return _ok(False, error="unknown_method")
        needed = METHOD_SCOPES.get(method)
        if self.scopes is not None and needed is not None and needed not in self.scopes:
            return _ok(False, error="missing_scope", needed=needed, provided=",".join(sorted(self.scopes)))
        try:
            return handler(body)
        except BlockKitError as exc:
            return _ok(False, error=exc.error, errors=[str(exc)])

    def _auth_test(self, body: dict[str, Any]) -> web.Response:
        return _ok(url="https://club.slack.com/", team="Club", user="darcy", team_id=TEAM, user_id=BOT_USER,
                   bot_id=BOT_ID, is_enterprise_install=False)

    def _users_info(self, body: dict[str, Any]) -> web.Response:
        """The user object; `profile.email` only with users:read.email ("users:read is no longer
        a sufficient scope for this data field": docs.slack.dev/reference/methods/users.info)."""
        user = self.users.get(body.get("user", ""))
        if not user:
            return _ok(False, error="user_not_found")
        profile = dict(user["profile"])
        if "email" in profile:
            if self.scopes is None or "users:read.email" in self.scopes:
                self.scopes_used.add("users:read.email")
            else:
                del profile["email"]
        return _ok(user={**user, "profile": profile})

    def _new_ts(self) -> str:
        return f"1763420{next(self._ts):03d}.000100"

    def _message(self, body: dict[str, Any], **extra: Any) -> Message:
        blocks = body.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        check_blocks(blocks)
        if not body.get("text") and not blocks:
            raise BlockKitError("no text")
        message = Message(channel=body["channel"], ts=self._new_ts(), text=body.get("text", ""),
                          blocks=blocks, thread_ts=body.get("thread_ts"), **extra)
        self.messages[message.ts] = message
        return message

    def _post_message(self, body: dict[str, Any]) -> web.Response:
        if body.get("channel") in self.outside:
            return _ok(False, error="not_in_channel")
        if body.get("channel") in self.departed:
            return _ok(False, error="channel_not_found")
        message = self._message(body)
        return _ok(channel=message.channel, ts=message.ts,
                   message={"type": "message", "text": message.text, "ts": message.ts, "bot_id": BOT_ID})

    def _post_ephemeral(self, body: dict[str, Any]) -> web.Response:
        if body.get("channel") in self.outside:
            return _ok(False, error="not_in_channel")
        message = self._message(body, ephemeral_to=body["user"])
        return _ok(message_ts=message.ts)

    def _update(self, body: dict[str, Any]) -> web.Response:
        message = self.messages.get(body.get("ts", ""))
        if body.get("channel") in self.outside:
            return _ok(False, error="channel_not_found")
        if message is None or message.channel != body.get("channel") or message.ephemeral_to:
            return _ok(False, error="message_not_found")
        blocks = body.get("blocks") or []
        check_blocks(blocks)
        message.history.append({"text": message.text, "blocks": message.blocks})
        message.text, message.blocks = body.get("text", ""), blocks
        return _ok(channel=message.channel, ts=message.ts, text=message.text)

    def _views_open(self, body: dict[str, Any]) -> web.Response:
        view = body.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not body.get("trigger_id") or not isinstance(view, dict) or view.get("type") != "modal":
            return _ok(False, error="invalid_arguments")
        if len(view["title"]["text"]) > 24 or len(view.get("private_metadata", "")) > 3000:
            return _ok(False, error="invalid_arguments")
        opened = {**view, "id": f"V{len(self.views) + 1:08d}", "team_id": TEAM, "app_id": APP_ID,
                  "bot_id": BOT_ID, "hash": "156772938.1827394", "state": {"values": {}}}
        self.views.append(opened)
        return _ok(view=opened)

    # ---- Socket Mode ----------------------------------------------------------------------

    def _connections_open(self, token: str | None) -> web.Response:
        if token == self.token:
            return _ok(False, error="not_allowed_token_type")  # a bot token can't open a socket
        if token != self.app_token:
            return _ok(False, error="invalid_auth")
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        return _ok(url=f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={APP_ID}")

    async def _link(self, request: web.Request) -> web.StreamResponse:
        """The WebSocket behind a URL from apps.connections.open: hello, envelopes out, acks in."""
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid or used ticket")
        self._tickets.discard(ticket)
        socket = web.WebSocketResponse()  # autoping: answers the client's pings with pongs
        await socket.prepare(request)
        await socket.send_json({
            "type": "hello", "num_connections": len(self.open_sockets()) + 1,
            "debug_info": {"host": "applink-rig", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        })
        await self._changing(partial(self.sockets.append, socket))
        number = len(self.sockets)
        try:
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                reply = json.loads(frame.data)
                envelope = self.envelopes.get(reply.get("envelope_id", ""))
                delay = time.monotonic() - envelope.sent_at if envelope else float("nan")
                ack = Ack(reply.get("envelope_id", ""), reply.get("payload"), connection=number, delay=delay)
                await self._changing(partial(self.acks.append, ack))
        finally:
            await self._changing(lambda: None)  # wake waiters: this connection is gone
        return socket

    def open_sockets(self) -> list[web.WebSocketResponse]:
        return [s for s in self.sockets if not s.closed]

    async def connected(self, count: int = 1, timeout: float = 5.0) -> web.WebSocketResponse:
        """The newest open connection, once `count` connections have had their hello."""
        await self._until(lambda: len(self.sockets) >= count and bool(self.open_sockets()), timeout,
                          lambda: f"no Socket Mode connection #{count}; {len(self.sockets)} so far")
        return self.open_sockets()[-1]

    async def push(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0,
                   retry_reason: str = "", accepts_response_payload: bool | None = None,
                   connection: int | None = None) -> str:
        """Send an envelope (`events_api`, `slash_commands`, `interactive`) on the newest
        connection, or on connection number `connection` (1 = the first: Slack spreads
        envelopes, retries included, over an app's open connections); returns its envelope_id."""
        socket = await self.connected() if connection is None else self.sockets[connection - 1]
        envelope_id = str(uuid.uuid4())
        body: dict[str, Any] = {
            "envelope_id": envelope_id, "type": kind, "payload": payload,
            # Slack takes a response payload for slash commands and interactivity, not for events.
            "accepts_response_payload": kind != "events_api" if accepts_response_payload is None
            else accepts_response_payload,
        }
        if kind == "events_api":
            body |= {"retry_attempt": retry_attempt, "retry_reason": retry_reason}
        self.envelopes[envelope_id] = Envelope(envelope_id, kind, body, self.sockets.index(socket) + 1,
                                               time.monotonic())
        await socket.send_json(body)
        return envelope_id

    async def ack_of(self, envelope_id: str, timeout: float = 3.0) -> Ack:
        """The client's ack of an envelope; Slack gives it 3 s."""
        await self._until(lambda: any(a.envelope_id == envelope_id for a in self.acks), timeout,
                          lambda: f"envelope {envelope_id} not acknowledged within {timeout}s")
        return next(a for a in self.acks if a.envelope_id == envelope_id)

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to move to a new connection (Slack does it every few hours). Slack
        closes the old one itself a little later; here the client is left to close it."""
        socket = await self.connected()
        await socket.send_json({"type": "disconnect", "reason": reason,
                                "debug_info": {"host": "applink-rig"}})

    async def _changing(self, change: Callable[[], object]) -> None:
        async with self._changed:
            change()
            self._changed.notify_all()

    async def _until(self, done: Callable[[], bool], timeout: float, why: Callable[[], str]) -> None:
        async def reached() -> None:
            async with self._changed:
                await self._changed.wait_for(done)

        try:
            await asyncio.wait_for(reached(), timeout)
        except TimeoutError:
            raise AssertionError(why()) from None

    # ---- response_url ---------------------------------------------------------------------

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record(Call("response_url", body, url=str(request.url)))
        hook = self._hooks.get(request.match_info["hook"])
        if hook is None:
            return web.Response(status=404, text="no_hook")
        try:
            target = self.messages.get(hook["message_ts"] or "")
            if body.get("replace_original") and target is not None:
                check_blocks(body.get("blocks") or [])
                target.history.append({"text": target.text, "blocks": target.blocks})
                target.text, target.blocks = body.get("text", ""), body.get("blocks") or []
            else:
                # Slack's default for a response_url is ephemeral; "in_channel" posts for everyone.
                private = body.get("response_type") != "in_channel"
                self._message({**body, "channel": hook["channel"]},
                              ephemeral_to=hook["user"] if private else None)
        except BlockKitError as exc:
            return web.Response(status=400, text=f"{exc.error}: {exc}")
        return web.Response(text="ok")

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()


def _ok(ok: bool = True, **fields: Any) -> web.Response:
    return web.json_response({"ok": ok, **fields})


# ---- requests from Slack --------------------------------------------------------------------


def signed_headers(
    body: str, content_type: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None,
    retry: int | None = None,
) -> dict[str, str]:
    """Headers Slack sends: v0 signature over `v0:<timestamp>:<body>`, and retry markers."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "content-type": content_type,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body) or "",
    }
    if retry is not None:
        headers |= {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
    return headers


def mention_event(ts: str, user: str, text: str, *, channel: str = "C0GENERAL",
                  thread_ts: str | None = None) -> dict[str, Any]:
    """An app_mention event as Slack sends it, at message time `ts`."""
    event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts,
             "event_ts": ts, "channel": channel, "team": TEAM, "client_msg_id": f"cm-{ts}"}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def event_body(event: dict[str, Any], *, event_id: str) -> str:
    """An Events API `event_callback` envelope around `event`."""
    return json.dumps({
        "token": "legacy-verification-token", "team_id": TEAM, "api_app_id": APP_ID, "event": event,
        "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": BOT_USER, "is_bot": True,
                            "is_enterprise_install": False}],
        "is_ext_shared_channel": False, "event_context": f"4-{event_id}",
    })


def command_body(*, user: str, channel: str, text: str, response_url: str, command: str = "/darcy") -> str:
    """A slash command: form-encoded fields."""
    return urlencode({
        "token": "legacy-verification-token", "team_id": TEAM, "team_domain": "club", "channel_id": channel,
        "channel_name": "general" if channel.startswith("C") else "directmessage", "user_id": user,
        "user_name": user.lower(), "command": command, "text": text, "api_app_id": APP_ID,
        "is_enterprise_install": "false", "response_url": response_url, "trigger_id": _trigger(),
    })


def payload_body(payload: dict[str, Any]) -> str:
    """Interactivity requests: one form field `payload` holding the JSON."""
    return urlencode({"payload": json.dumps(payload)})


def _trigger() -> str:
    return f"{int(time.time())}.{TEAM}.{next(_TRIGGERS):032x}"


_TRIGGERS = itertools.count(1)


def block_actions(message: Message, element: dict[str, Any], *, user: str, response_url: str,
                  option: int | None = None) -> dict[str, Any]:
    """The `block_actions` payload for a click on `element` of `message`."""
    action: dict[str, Any] = {"action_id": element["action_id"], "block_id": element["block_id"],
                              "type": element["type"], "action_ts": f"{time.time():.6f}"}
    if element["type"] == "button":
        action |= {"text": element["text"], "value": element["value"]}
        if "style" in element:
            action["style"] = element["style"]
    else:
        assert option is not None, "a select needs the option picked"
        action |= {"selected_option": element["options"][option], "placeholder": element["placeholder"]}
    shown: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text,
                             "blocks": message.blocks, "bot_id": BOT_ID, "user": BOT_USER, "team": TEAM}
    if message.thread_ts:
        shown["thread_ts"] = message.thread_ts
    return {
        "type": "block_actions", "user": {"id": user, "username": user.lower(), "name": user.lower(),
                                          "team_id": TEAM},
        "api_app_id": APP_ID, "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel,
                      "is_ephemeral": message.ephemeral_to is not None},
        "trigger_id": _trigger(), "team": {"id": TEAM, "domain": "club"}, "enterprise": None,
        "is_enterprise_install": False, "channel": {"id": message.channel, "name": "general"},
        "state": {"values": {}}, "response_url": response_url, "actions": [action],
        # Slack sends the clicked message only when it is a real one: never for an ephemeral.
        **({} if message.ephemeral_to else {"message": shown}),
    }


class SlackUser:
    """Sends what Slack would send to the app when people act, signed, through `async_dispatch`."""

    def __init__(self, bolt: AsyncApp, emulator: SlackEmulator, secret: str = SIGNING_SECRET) -> None:
        self.bolt, self.emulator, self.secret = bolt, emulator, secret
        self._events = itertools.count(1)
        self._ts = itertools.count(1)
        self.sent: list[str] = []  # every body dispatched, in order

    def last_payload(self) -> dict[str, Any]:
        """The interactivity payload last sent (a click, a submission, a shortcut)."""
        return json.loads(parse_qs(self.sent[-1])["payload"][0])

    async def dispatch(self, body: str, content_type: str, *, timestamp: int | None = None,
                       retry: int | None = None, secret: str | None = None) -> BoltResponse:
        self.sent.append(body)
        headers = signed_headers(body, content_type, secret=secret or self.secret, timestamp=timestamp,
                                 retry=retry)
        return await self.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=headers))

    def new_ts(self) -> str:
        return f"1763419{next(self._ts):03d}.000200"

    def event_id(self) -> str:
        return f"Ev0{next(self._events):08d}"

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None,
                    **sign: Any) -> BoltResponse:
        body = event_body(event, event_id=event_id or self.event_id())
        return await self.dispatch(body, "application/json", retry=retry, **sign)

    def mention_event(self, user: str, text: str, *, channel: str = "C0GENERAL",
                      thread_ts: str | None = None) -> dict[str, Any]:
        return mention_event(self.new_ts(), user, text, channel=channel, thread_ts=thread_ts)

    async def mention(self, user: str, text: str, **where: Any) -> BoltResponse:
        return await self.event(self.mention_event(user, text, **where))

    async def dm(self, user: str, text: str, *, channel: str = "D0DARCY", **extra: Any) -> BoltResponse:
        ts = self.new_ts()
        return await self.event({"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
                                 "event_ts": ts, "channel_type": "im", "team": TEAM, **extra})

    async def command(self, user: str, text: str, *, channel: str = "C0GENERAL") -> BoltResponse:
        hook = self.emulator.hook(channel, user)
        body = command_body(user=user, channel=channel, text=text, response_url=hook)
        return await self.dispatch(body, "application/x-www-form-urlencoded")

    async def click(
        self, message: Message, label: str, *, user: str, option: int | None = None,
    ) -> BoltResponse:
        """Click the button reading `label` (or pick option `option` of the select menu)."""
        elements = message.elements()
        if option is None:
            matching = [e for e in elements if e["type"] == "button" and e["text"]["text"] == label]
        else:
            matching = [e for e in elements if e["type"] == "static_select"]
        assert matching, f"no {label!r} on the message; it shows {message.buttons()}"
        hook = self.emulator.hook(message.channel, user, message.ts)
        payload = block_actions(message, matching[0], user=user, response_url=hook, option=option)
        return await self.dispatch(payload_body(payload), "application/x-www-form-urlencoded")

    async def submit(self, view: dict[str, Any], *, user: str, values: dict[str, Any]) -> BoltResponse:
        """Submit an opened modal with `values` ({block_id: {action_id: state}})."""
        submitted = {**view, "state": {"values": values}}
        payload = {"type": "view_submission", "team": {"id": TEAM, "domain": "club"},
                   "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
                   "api_app_id": APP_ID, "token": "legacy-verification-token", "trigger_id": _trigger(),
                   "view": submitted, "response_urls": [], "is_enterprise_install": False, "enterprise": None}
        return await self.dispatch(payload_body(payload), "application/x-www-form-urlencoded")

    async def shortcut(self, user: str, message: dict[str, Any], *, channel: str = "C0GENERAL",
                       callback_id: str = "create_darcy_task") -> BoltResponse:
        """A message shortcut used on `message` (a message event's fields: user, text, ts…)."""
        hook = self.emulator.hook(channel, user)
        payload = {"type": "message_action", "callback_id": callback_id, "trigger_id": _trigger(),
                   "response_url": hook, "team": {"id": TEAM, "domain": "club"},
                   "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
                   "channel": {"id": channel, "name": "general"}, "message_ts": message["ts"],
                   "message": {"type": "message", **message}, "action_ts": f"{time.time():.6f}",
                   "token": "legacy-verification-token", "is_enterprise_install": False, "enterprise": None}
        return await self.dispatch(payload_body(payload), "application/x-www-form-urlencoded")


class SocketModeUser:
    """What people do in Slack, delivered as Socket Mode envelopes: the same payloads as HTTP
    mode (an event_callback, the slash command's fields as a JSON object, the interaction),
    no signature (the socket is the authentication). Each method returns the envelope_id."""

    def __init__(self, emulator: SlackEmulator) -> None:
        self.emulator = emulator
        self._events = itertools.count(1)
        self._ts = itertools.count(1)
        self.pushed: list[tuple[str, dict[str, Any]]] = []  # (envelope type, payload), in order

    def new_ts(self) -> str:
        return f"1763421{next(self._ts):03d}.000300"

    def event_id(self) -> str:
        return f"Ev1{next(self._events):08d}"

    async def push(self, kind: str, payload: dict[str, Any], **envelope: Any) -> str:
        self.pushed.append((kind, payload))
        return await self.emulator.push(kind, payload, **envelope)

    async def event(self, event: dict[str, Any], *, event_id: str | None = None,
                    retry_attempt: int = 0) -> str:
        """An `events_api` envelope; a retry carries the same event_id and `retry_attempt` ≥ 1."""
        payload = json.loads(event_body(event, event_id=event_id or self.event_id()))
        return await self.push("events_api", payload, retry_attempt=retry_attempt,
                               retry_reason="timeout" if retry_attempt else "")

    def mention_event(self, user: str, text: str, *, channel: str = "C0GENERAL",
                      thread_ts: str | None = None) -> dict[str, Any]:
        return mention_event(self.new_ts(), user, text, channel=channel, thread_ts=thread_ts)

    async def mention(self, user: str, text: str, **where: Any) -> str:
        return await self.event(self.mention_event(user, text, **where))

    async def command(self, user: str, text: str, *, channel: str = "C0GENERAL") -> str:
        """A `slash_commands` envelope: the form fields of HTTP mode, as strings, in a JSON object."""
        hook = self.emulator.hook(channel, user)
        fields = dict(parse_qsl(command_body(user=user, channel=channel, text=text, response_url=hook)))
        return await self.push("slash_commands", fields)

    def click_payload(self, message: Message, label: str, *, user: str) -> dict[str, Any]:
        """The `block_actions` payload for a click on the button reading `label`."""
        matching = [e for e in message.elements() if e["type"] == "button" and e["text"]["text"] == label]
        assert matching, f"no {label!r} on the message; it shows {message.buttons()}"
        hook = self.emulator.hook(message.channel, user, message.ts)
        return block_actions(message, matching[0], user=user, response_url=hook)

    async def click(self, message: Message, label: str, *, user: str) -> str:
        return await self.push("interactive", self.click_payload(message, label, user=user))
