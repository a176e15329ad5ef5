"""The Slack adapter: Slack events, commands and clicks in, core commands out, Block Kit back.

A table of "this Slack request → that core command":

    app_mention (people only)          → HandleRequest, answered in the thread
    message in a DM (people only)      → HandleRequest, answered in the DM
    /darcy <text>                      → HandleRequest, answered through the response_url
    message shortcut create_darcy_task → HandleRequest with new_task_title = the first line, mentions
    as names (taken as the title only, never parsed)
    Confirm / Cancel / pick            → Confirm / Cancel / Choose, the answer replaces the question
    Link my Notion account → modal     → HandleRequest(<e-mail>) in the asking channel

Every request carries the e-mail Slack vouches for (users.info with `users:read.email`, only
for a person of the workspace), so core links a member with that e-mail at once. With
`[slack] team_id`, people of any other team (Slack Connect users of other organisations) are
refused politely before anything else, whatever they send.

Every listener acknowledges first: Slack wants its 200 within 3 s, and with
`process_before_response=False` bolt sends it while the listener goes on to the real work.
Nothing here knows Notion or language models; rendering lives in `bot.slack.render`.
The scopes and events this needs are in config/slack-manifest.yaml (README, "Slack setup").
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack import notify, render
from core.config import ConfigError
from core.messages import Cancel, Choose, Command, Confirm, HandleRequest, NoticeClick
from core.replies import Reply

if TYPE_CHECKING:
    from bot.bootstrap import App
    from core.config import Settings
    from core.ports import SeenEvents as SharedSeenEvents

log = structlog.get_logger("darcy.slack")

PLATFORM = "slack"
AFTER_ACK = "darcy_after_ack"  # in a request's context: acknowledged already, now do the work
LULL, BURST_WAIT = 0.003, 0.1  # seconds
COMMAND = "/darcy"
SHORTCUT = "create_darcy_task"
MAX_TITLE = 100
EMAIL = re.compile(r"[^@\s<>|:]+@[^@\s<>|]+\.[A-Za-z]{2,}")
EMAIL_SECONDS = 600.0  # how long a person's Slack e-mail (or its absence) is reused
OUTSIDER = Reply(
    text="Sorry, I only work with people of the club's own Slack workspace, so I can't help you here.",
    decision="deny",
    private=True,
)
SORRY = Reply(text="Sorry, something went wrong on my side. Please try again in a moment.", decision="error")


class CommandBus(Protocol):
    """All the adapter needs of core: run a command, get its reply."""

    async def execute(self, command: Command) -> Any: ...


class SeenEvents:
    """Event ids already taken in, so Slack's retries (`X-Slack-Retry-Num`, Socket Mode's
    `retry_attempt`) run nothing twice.

    A bounded record in memory (oldest forgotten first) answers a retry to this process; the
    `shared` record (the database, which replicas share) answers a retry that reaches another
    replica. If the database fails, the event is handled: a second answer beats none.
    """

    def __init__(self, limit: int = 10_000, shared: SharedSeenEvents | None = None) -> None:
        self.limit = limit
        self.shared = shared
        self._ids: OrderedDict[str, None] = OrderedDict()
        # Set by build_app: an event is answered 200 at once, then dispatched again from here.
        self.dispatch: Callable[[AsyncBoltRequest], Awaitable[Any]] | None = None
        self._after: set[asyncio.Task[None]] = set()
        self._last_ack = float("-inf")  # time.monotonic() of the latest early ack

    async def first_time(self, event_id: str) -> bool:
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.limit:
            self._ids.popitem(last=False)
        if self.shared is None:
            return True
        try:
            return await self.shared.first_time(f"{PLATFORM}:{event_id}")
        except Exception as exc:
            log.warning("slack event record unavailable, handling it", event_id=event_id, error=str(exc))
            return True

    async def middleware(
        self, req: AsyncBoltRequest, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> Any:
        """Bolt global middleware (runs after signature verification, so forged ids never count).

        An event's ack carries nothing, so it leaves before anything else happens: no look-up
        in the database, no planner, no Notion (50 mentions at once used to wait ~135 ms for
        the work queued before their acks). The event then goes through the app again,
        in the background, where the record of seen ids decides whether it runs."""
        if req.context.get(AFTER_ACK):
            return await next()
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and self.dispatch is not None:
            task = asyncio.ensure_future(self._after_ack(req, event_id))
            self._after.add(task)
            task.add_done_callback(self._after.discard)
            self._last_ack = time.monotonic()
            return BoltResponse(status=200, body="")
        if event_id and not await self.first_time(event_id):
            log.info("slack event already handled", event_id=event_id)
            return BoltResponse(status=200, body="")  # acknowledged, not processed again
        return await next()


    async def _after_ack(self, req: AsyncBoltRequest, event_id: str) -> None:
        # A burst's acks first: the work waits for a lull in acks (at most BURST_WAIT), since
        # once started it holds the event loop, and the acks still being read would wait for it.
        until = time.monotonic() + BURST_WAIT
        while time.monotonic() - self._last_ack < LULL and time.monotonic() < until:
            await asyncio.sleep(LULL)
        if not await self.first_time(event_id):
            log.info("slack event already handled", event_id=event_id)
            return
        req.context[AFTER_ACK] = True
        assert self.dispatch is not None
        try:
            await self.dispatch(req)
        except Exception:
            log.exception("slack event failed after its ack", event_id=event_id)


@dataclass
class Where:
    """Where an answer goes: the channel (and thread), the message a click came from, the
    response_url Slack gave us, and the person who asked or clicked (for ephemerals)."""

    channel: str
    user: str
    thread_ts: str | None = None
    message_ts: str | None = None
    response_url: str | None = None
    ephemeral: bool = False  # the clicked message is ephemeral: only its response_url can replace it
    via_response_url: bool = False  # slash commands: the bot may not be in the channel at all
    team: str | None = None  # the workspace the request came through (whose people users.info vouches for)

    @classmethod
    def of_action(cls, body: dict[str, Any]) -> Where:
        container = body.get("container") or {}
        message = body.get("message") or {}
        return cls(
            channel=(body.get("channel") or {}).get("id") or container.get("channel_id", ""),
            user=body["user"]["id"],
            thread_ts=message.get("thread_ts"),
            message_ts=container.get("message_ts") or message.get("ts"),
            response_url=body.get("response_url"),
            ephemeral=bool(container.get("is_ephemeral")),
            team=_app_team(body),
        )


def _app_team(body: dict[str, Any]) -> str | None:
    """The workspace a request came through: the envelope's team_id (events, commands) or
    its team (interactivity)."""
    team = body.get("team")
    return body.get("team_id") or (team.get("id") if isinstance(team, dict) else None)


def person_team(body: dict[str, Any]) -> str | None:
    """The team of the person who acted, as Slack says it: an event's `user_team` or `team`,
    an interaction's `user.team_id`, a command's `user_team`; else the workspace it came
    through. None: no person acted (an event about something else)."""
    if body.get("type") == "event_callback":
        event = body.get("event") or {}
        if not event.get("user"):
            return None
        return event.get("user_team") or event.get("team") or _app_team(body)
    if isinstance(body.get("user"), dict):
        return body["user"].get("team_id") or _app_team(body)
    if body.get("command"):
        return body.get("user_team") or _app_team(body)
    return None


def _outsider_where(body: dict[str, Any]) -> Where | None:
    """Where to tell someone of another team that Darcy won't help: only them, where they asked."""
    if body.get("type") == "event_callback":
        event = body.get("event") or {}
        if not event.get("channel") or not event.get("user"):
            return None
        return Where(channel=event["channel"], user=event["user"], thread_ts=event.get("thread_ts"))
    if body.get("command"):
        return Where(channel=body.get("channel_id", ""), user=body.get("user_id", ""),
                     response_url=body.get("response_url"), via_response_url=True)
    if body.get("type") == "block_actions":
        return Where.of_action(body)
    if body.get("type") == "message_action":
        return Where(channel=(body.get("channel") or {}).get("id", ""), user=body["user"]["id"],
                     response_url=body.get("response_url"))
    return None  # a modal's submission: closing it is all


def vouched_email(user: dict[str, Any], team: str | None) -> str | None:
    """The e-mail Slack vouches for: a person of `team` (not a bot, not deleted, not someone of
    another organisation seen through Slack Connect) whose profile has one. users.info shows
    `profile.email` only to an app with `users:read.email`."""
    email = (user.get("profile") or {}).get("email")
    if not email or not isinstance(email, str):
        return None
    if user.get("deleted") or user.get("is_bot") or user.get("is_app_user") or user.get("is_stranger"):
        return None
    if user.get("is_email_confirmed") is False:
        return None
    if team is None or user.get("team_id") != team:
        return None
    return email.strip()


class SlackAdapter:
    """The listeners. Each acks, turns the request into a core command and renders the reply."""

    def __init__(self, bus: CommandBus, client: AsyncWebClient, team_id: str | None = None) -> None:
        self.bus, self.client, self.team_id = bus, client, team_id
        self._emails: OrderedDict[str, tuple[float, str | None]] = OrderedDict()
        self._later: set[asyncio.Task[None]] = set()

    # ---- who is asking ----------------------------------------------------------------------

    async def team_gate(self, body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> Any:
        """Bolt global middleware: with `[slack] team_id`, a person of another team is told, to
        them alone, that Darcy won't help, and nothing reaches core."""
        team = person_team(body)
        if not self.team_id or team is None or team == self.team_id:
            return await next()
        log.warning("slack request from another team refused", team=team)
        where = _outsider_where(body)
        if where is not None:
            task = asyncio.ensure_future(self._refuse(where))
            self._later.add(task)
            task.add_done_callback(self._later.discard)
        return BoltResponse(status=200, body="")  # acknowledged: Slack must not send it again

    async def _refuse(self, where: Where) -> None:
        try:
            await self._whisper(where, OUTSIDER)
        except Exception as exc:  # best effort: the refusal itself is not worth a crash
            log.info("slack refusal not delivered", error=str(exc))

    async def verified_email(self, user: str, team: str | None) -> str | None:
        """The person's e-mail as Slack vouches for it (users.info), kept EMAIL_SECONDS."""
        hit = self._emails.get(user)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        try:
            found = (await self.client.users_info(user=user)).get("user") or {}
        except SlackApiError as exc:
            log.info("users.info refused", user=user, error=exc.response.get("error"))
            found = {}
        except Exception as exc:  # Slack unreachable: no e-mail, the request still goes on
            log.warning("users.info failed", user=user, error=str(exc))
            return None
        email = vouched_email(found, self.team_id or team)
        self._emails[user] = (time.monotonic() + EMAIL_SECONDS, email)
        self._emails.move_to_end(user)
        while len(self._emails) > 10_000:
            self._emails.popitem(last=False)
        return email

    # ---- requests ---------------------------------------------------------------------------

    async def on_mention(
        self, ack: AsyncAck, event: dict[str, Any], context: AsyncBoltContext, body: dict[str, Any]
    ) -> None:
        await ack()
        if not event.get("user") or event.get("bot_id") or event.get("subtype"):
            return  # another app mentioning Darcy (its events carry its bot user *and* bot_id)
        text = render.from_slack(_without_mention(event.get("text", ""), context.bot_user_id))
        thread = event.get("thread_ts") or event["ts"]  # always answer in the thread
        where = Where(channel=event["channel"], user=event["user"], thread_ts=thread, team=_app_team(body))
        await self._request(where, text)

    async def on_message(self, ack: AsyncAck, event: dict[str, Any], body: dict[str, Any]) -> None:
        await ack()
        person = event.get("user") and not (event.get("subtype") or event.get("bot_id"))
        if event.get("channel_type") != "im" or not person:
            return  # edits, joins, bots (and this bot): not someone talking to Darcy
        where = Where(channel=event["channel"], user=event["user"], thread_ts=event.get("thread_ts"),
                      team=_app_team(body))
        await self._request(where, render.from_slack(event.get("text", "")))

    async def on_command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        where = Where(
            channel=command["channel_id"],
            user=command["user_id"],
            response_url=command.get("response_url"),
            via_response_url=True,
            team=_app_team(command),
        )
        await self._request(where, render.from_slack(command.get("text", "")).strip() or "help")

    async def on_shortcut(self, ack: AsyncAck, shortcut: dict[str, Any]) -> None:
        await ack()
        message = shortcut.get("message") or {}
        where = Where(
            channel=shortcut["channel"]["id"],
            user=shortcut["user"]["id"],
            thread_ts=message.get("thread_ts") or message.get("ts"),
            response_url=shortcut.get("response_url"),
            team=_app_team(shortcut),
        )
        text = await self._named(message.get("text") or "")
        lines = [line.strip() for line in render.from_slack(text).splitlines()]
        first = next((line for line in lines if line), "")
        if not first:
            await self._whisper(where, Reply(text="That message has no text I could make a task from."))
            return
        title = first[:MAX_TITLE].strip()
        await self._request(where, f"create a task '{title}'", new_task_title=title)

    async def _named(self, text: str) -> str:
        """Slack's `<@U…>` mentions as the names people see (`@Egon`): a task title
        made from a message must not carry a raw mention. users.info (users:read) names them;
        one it can't name becomes "@someone"."""
        names: dict[str, str] = {}
        for user_id in dict.fromkeys(render.USER_MENTION.findall(text)):
            try:
                found = (await self.client.users_info(user=user_id)).get("user") or {}
            except SlackApiError as exc:
                log.info("users.info refused", user=user_id, error=exc.response.get("error"))
                found = {}
            profile = found.get("profile") or {}
            names[user_id] = (
                profile.get("display_name") or profile.get("real_name") or found.get("real_name")
                or found.get("name") or "someone"
            )
        return render.USER_MENTION.sub(lambda m: "@" + render.escape(names[m.group(1)]), text)

    async def _request(self, where: Where, text: str, new_task_title: str | None = None) -> None:
        command = HandleRequest(
            platform=PLATFORM,
            user_id=where.user,
            channel_id=where.channel,
            text=text,
            new_task_title=new_task_title,
            verified_email=await self.verified_email(where.user, where.team),
        )
        try:
            reply: Reply = await self.bus.execute(command)
        except Exception:
            log.exception("request failed", channel=where.channel, user=where.user)
            reply = SORRY
        await self._post(where, reply)

    # ---- clicks -----------------------------------------------------------------------------

    async def on_confirm(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        clicker = body["user"]["id"]
        await self._answer(body, Confirm(platform=PLATFORM, user_id=clicker, pending_id=action["value"]))

    async def on_cancel(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        clicker = body["user"]["id"]
        await self._answer(body, Cancel(platform=PLATFORM, user_id=clicker, pending_id=action["value"]))

    async def on_choose(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
        pending_id, _, number = value.rpartition(":")
        if not pending_id or not number.isdigit():
            log.warning("malformed choice", value=value)
            return
        await self._answer(
            body,
            Choose(platform=PLATFORM, user_id=body["user"]["id"], pending_id=pending_id, option=int(number)),
        )

    async def _answer(self, body: dict[str, Any], command: Command) -> None:
        """A click's reply replaces the question; a refusal (someone else's question, already
        answered) goes only to the clicker and leaves the question for its owner."""
        where = Where.of_action(body)
        try:
            reply: Reply = await self.bus.execute(command)
        except Exception:
            log.exception("click failed", command=type(command).__name__, user=where.user)
            reply = SORRY
        if reply.private or reply.decision == "error":
            await self._whisper(where, reply)
        else:
            await self._replace(where, reply)

    async def on_notice(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Snooze or Got it on a notice (bot/slack/notify.py); the value is the notice's id."""
        await ack()
        verb = "snooze" if action["action_id"] == notify.SNOOZE else "gotit"
        clicker = body["user"]["id"]
        await self._answer(
            body, NoticeClick(platform=PLATFORM, user_id=clicker, notice_id=action["value"], verb=verb)
        )

    # ---- verification -----------------------------------------------------------------------

    async def on_link(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        where = Where.of_action(body)
        if action.get("value") and action["value"] != where.user:
            await self._whisper(
                where, Reply(text="Only the person who asked can link their account here.", private=True)
            )
            return
        metadata = json.dumps(asdict(where), separators=(",", ":"))
        # trigger_id lives 3 s: the modal opens right after the ack, before any slow work.
        await self.client.views_open(trigger_id=body["trigger_id"], view=render.email_modal(metadata))

    async def on_email(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        value = view["state"]["values"][render.EMAIL_BLOCK][render.EMAIL_INPUT].get("value") or ""
        email = EMAIL.fullmatch(value.strip())
        if not email:
            await ack(
                response_action="errors",
                errors={render.EMAIL_BLOCK: "That doesn't look like an e-mail address."},
            )
            return
        await ack()  # closes the modal; the answer goes where the question was asked
        where = Where(**json.loads(view["private_metadata"]))
        where.user = body["user"]["id"]
        command = HandleRequest(
            platform=PLATFORM, user_id=where.user, channel_id=where.channel, text=email.group(0),
            verified_email=await self.verified_email(where.user, where.team or _app_team(body)),
        )
        try:
            reply: Reply = await self.bus.execute(command)
        except Exception:
            log.exception("link request failed", user=where.user)
            reply = SORRY
        await self._replace(where, reply)

    # ---- delivery ---------------------------------------------------------------------------

    async def _post(self, where: Where, reply: Reply) -> None:
        """A new message. The Web API where the bot is present; otherwise the response_url
        (a slash command in a DM between two people, a channel the bot isn't in)."""
        if reply.private:
            await self._whisper(where, reply)
            return
        message = render.message(reply, requester=where.user)
        if not where.via_response_url:
            try:
                await self.client.chat_postMessage(
                    channel=where.channel, thread_ts=where.thread_ts, **message
                )
                return
            except SlackApiError as exc:
                if not where.response_url:
                    raise
                log.info("chat.postMessage refused, using response_url", error=exc.response.get("error"))
        await self._hook(where, message, response_type="in_channel", replace_original=False)

    async def _replace(self, where: Where, reply: Reply) -> None:
        """The answer in place of the question: chat.update on the message, else its response_url."""
        message = render.message(reply, requester=where.user)
        if where.message_ts and not where.ephemeral:
            try:
                await self.client.chat_update(channel=where.channel, ts=where.message_ts, **message)
                return
            except SlackApiError as exc:
                if not where.response_url:
                    raise
                log.info("chat.update refused, using response_url", error=exc.response.get("error"))
        if where.response_url:
            await self._hook(where, message, replace_original=True)
        else:
            await self._post(where, reply)

    async def _whisper(self, where: Where, reply: Reply) -> None:
        """Only the person who asked or clicked sees it."""
        message = render.message(reply, requester=where.user)
        try:
            await self.client.chat_postEphemeral(
                channel=where.channel, user=where.user, thread_ts=where.thread_ts, **message
            )
        except SlackApiError as exc:
            if not where.response_url:
                raise
            log.info("chat.postEphemeral refused, using response_url", error=exc.response.get("error"))
            await self._hook(where, message, response_type="ephemeral", replace_original=False)

    async def _hook(self, where: Where, message: dict[str, Any], **options: Any) -> None:
        assert where.response_url is not None
        hook = AsyncWebhookClient(where.response_url, retry_handlers=retry_handlers())
        response = await hook.send(**message, **options)
        if response.status_code != 200:
            log.warning("response_url refused", status=response.status_code, body=response.body)


def _without_mention(text: str, bot_user_id: str | None) -> str:
    """The request without "@Darcy" (however often it was mentioned)."""
    if not bot_user_id:
        return text.strip()
    return re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text).strip()


def retry_handlers() -> list[AsyncRetryHandler]:
    """slack_sdk's own: a dropped connection is tried again once, and a 429 (chat.postMessage
    allows about one message a second per channel) waits its Retry-After and tries again."""
    return [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=3)]


def with_retries(client: AsyncWebClient) -> AsyncWebClient:
    """The client, retrying connection errors and 429s (slack_sdk's default retries only the former)."""
    have = {type(h) for h in client.retry_handlers}
    client.retry_handlers += [h for h in retry_handlers() if type(h) not in have]
    return client


def build_app(
    bus: CommandBus,
    *,
    signing_secret: str,
    client: AsyncWebClient,
    seen: SeenEvents | None = None,
    team_id: str | None = None,
) -> AsyncApp:
    """The bolt app with Darcy's listeners. `client` carries the bot token (and, in tests, a
    loopback base_url); it is given slack_sdk's retry handlers for 429s and dropped connections.
    `process_before_response=False` so every ack leaves before the work. `team_id`: the club's
    workspace, whose people alone are answered."""
    client = with_retries(client)
    bolt = AsyncApp(
        signing_secret=signing_secret, client=client, process_before_response=False, logger=_bolt_logger()
    )
    adapter = SlackAdapter(bus, client, team_id=team_id)
    seen = seen or SeenEvents()
    seen.dispatch = bolt.async_dispatch
    bolt.middleware(seen.middleware)
    bolt.middleware(adapter.team_gate)
    bolt.event("app_mention")(adapter.on_mention)
    bolt.event("message")(adapter.on_message)
    bolt.command(COMMAND)(adapter.on_command)
    bolt.shortcut(SHORTCUT)(adapter.on_shortcut)
    bolt.action(render.CONFIRM)(adapter.on_confirm)
    bolt.action(render.CANCEL)(adapter.on_cancel)
    bolt.action(re.compile(rf"^{render.CHOOSE}(:\d+)?$"))(adapter.on_choose)
    bolt.action(render.LINK)(adapter.on_link)
    bolt.action(notify.SNOOZE)(adapter.on_notice)
    bolt.action(notify.GOT_IT)(adapter.on_notice)
    bolt.action(notify.OPEN)(_ignore)  # a link button: Slack opens it, and still tells the app
    bolt.view(render.LINK_VIEW)(adapter.on_email)
    # Last: any other event the Slack app is subscribed to is acknowledged and ignored. Unmatched,
    # bolt answers 404, which over Socket Mode means no ack, and Slack would send it again.
    bolt.event(re.compile(".*"))(_ignore)
    return bolt


async def _ignore(ack: AsyncAck) -> None:
    await ack()


class _ClientOverToken(logging.Filter):
    """bolt warns at every start that the token it found in $SLACK_BOT_TOKEN is unused because a
    client was given: that is the design here (the client carries the same token)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("darcy.slack.bolt")
    if not any(isinstance(f, _ClientOverToken) for f in logger.filters):
        logger.addFilter(_ClientOverToken())
    return logger


async def serve_http(bolt: AsyncApp, *, port: int, host: str = "0.0.0.0") -> web.AppRunner:
    """HTTP mode: `/slack/events` on aiohttp (behind a load balancer). Returns the runner to clean up."""
    runner = web.AppRunner(bolt.web_app(path="/slack/events", port=port))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def run_slack(app: App, settings: Settings) -> None:
    """Run the Slack adapter until cancelled: Socket Mode (app-level token, no public URL) or
    HTTP (signing secret, `/slack/events` on `settings.slack.port`), as `settings.slack.mode` says."""
    slack = settings.slack
    token = slack.bot_token()
    if not token:
        raise ConfigError(f"slack: set {slack.bot_token_env} to the bot token (xoxb-…)")
    client = AsyncWebClient(token=token, base_url=slack.api_url or AsyncWebClient.BASE_URL)
    seen = SeenEvents(shared=app.seen_events)  # the database: a retry to another replica runs once
    if not slack.team_id:
        log.warning(
            "slack_team_unrestricted",
            detail="[slack] team_id is not set: people of any team that reaches the app are answered, "
            "Slack Connect users of other organisations included",
        )
    if app.notifications is not None:
        app.notifications.add_notifier(notify.SlackNotifier(with_retries(client)))
    if slack.mode == "socket":
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        app_token = slack.app_token()
        if not app_token:
            raise ConfigError(f"slack: Socket Mode needs {slack.app_token_env} (an app-level xapp-… token)")
        try:  # slack_sdk retries a refused app token every 10 s, silently: refuse it now instead
            await client.apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            raise ConfigError(
                f"slack: Slack refused {slack.app_token_env} for Socket Mode ({exc.response.get('error')}); "
                "it must be an app-level token (xapp-…) with the connections:write scope"
            ) from exc
        bolt = build_app(app.bus, signing_secret=slack.signing_secret() or "", client=client, seen=seen,
                         team_id=slack.team_id)
        handler = AsyncSocketModeHandler(bolt, app_token, web_client=client)  # apps.connections.open
        try:
            await handler.start_async()
        finally:
            await handler.close_async()
        return
    secret = slack.signing_secret()
    if not secret:
        raise ConfigError(f"slack: HTTP mode needs {slack.signing_secret_env} (the app's signing secret)")
    bolt = build_app(app.bus, signing_secret=secret, client=client, seen=seen, team_id=slack.team_id)
    runner = await serve_http(bolt, port=slack.port)
    log.info("slack adapter listening", port=slack.port, path="/slack/events")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
