"""Linking needs proof (issue #17, review finding C1).

Before, anyone who could message Darcy became anyone not yet linked on that platform, admins
included, by typing their e-mail and clicking Confirm; the squatter kept the link over the
config, re-claimed it after an unlink, and learnt from the replies which e-mails existed.
Now a link is made only on a proof, recorded as `via`:

- Slack: the e-mail Slack vouches for (users.info, `users:read.email`) links at once; people
  of another team are refused;
- Discord: only the configured guild(s); a one-time code posted in Notion, mentioning the
  member on the sign-in page, typed back in chat;
- everywhere: an admin's approval (`darcy links --pending`, `approve`, `deny`); config mappings
  and `darcy link` win over a self-made link, and each conflict is reported;
- the e-mail alone only with `[identity] allow_unverified`, and then the member role at most;
  replies never tell whether an e-mail exists or is taken.

The last two tests are the attacker of the review on Slack and on Discord, through the real
adapters (bolt against the Slack rig, discord.py against the Discord rig), trying every route
the review took to become the admin Alice, and failing at each.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
import yaml
from aiohttp.test_utils import unused_port
from rigs.discord_rig import EPHEMERAL, DiscordRig
from rigs.slack_rig import BOT_TOKEN, SIGNING_SECRET, TEAM, Message, SlackEmulator, SlackUser
from slack_sdk.web.async_client import AsyncWebClient
from structlog.testing import capture_logs
from typer.testing import CliRunner

from bot.bootstrap import App, bootstrap
from bot.discord import DarcyClient, build_client
from bot.discord import render as discord_render
from bot.slack.app import build_app, run_slack
from core.config import DiscordSettings, Settings, SlackSettings, load_settings
from core.messages import Confirm, HandleRequest
from core.ports import StoreError
from core.replies import Reply

ROOT = Path(__file__).resolve().parents[2]
ALICE, ALICE_EMAIL = "00000000-0000-4000-8000-000000001000", "alice.nguyen@club.example"
ZOE, ZOE_EMAIL = "00000000-0000-4000-8000-000000002001", "zoe.martin@club.example"
CAROL_EMAIL = "carol.jensen@club.example"
ALICE_DISCORD, ALICE_SLACK = "710000000000001000", "U00001000"
ATTACKER_SLACK, ATTACKER_DISCORD = "UATTACKER", "719000000000000666"
NOTION_WRITES = (("POST", "/v1/pages"), ("PATCH", "/v1/pages/"))
CODE_TRIES, CODES_PER_DAY = 5, 5  # the numbers (core.linking)
# How a link was proven (core.identity.Proof), as strings: this module also runs, and fails
# test by test, on the code from before proofs existed.
UNVERIFIED, ADMIN = "unverified", "admin"


# ---- how the review set Darcy up, and how people talk to it ----------------------------------


def realistic(**overrides: Any) -> Settings:
    """The review's "realistic config": admin Alice mapped with a discord_id only (Carol a lead
    on both platforms); everyone else links themselves."""
    people = [
        {"email": ALICE_EMAIL, "handle": "alice", "role": "admin", "discord_id": ALICE_DISCORD},
        {
            "email": CAROL_EMAIL,
            "handle": "carol",
            "role": "lead",
            "slack_id": "U00001002",
            "discord_id": "710000000000001002",
        },
    ]
    return load_settings(workspace={"people_from_seed": False}, people=people, **overrides)


@pytest.fixture
async def club(clock) -> AsyncIterator[App]:
    # Guessing codes takes many messages in a row: the flood limit has tests of its own.
    application = await bootstrap(realistic(limits={"requests_per_minute": 0}), clock=clock)
    try:
        yield application
    finally:
        await application.aclose()


async def say(app: App, platform: str, user: str, text: str, **extra: Any) -> Reply:
    return await app.bus.execute(HandleRequest(platform=platform, user_id=user, text=text, **extra))


async def confirm(app: App, platform: str, user: str, reply: Reply) -> Reply:
    assert reply.pending_id, reply.text
    return await app.bus.execute(Confirm(platform=platform, user_id=user, pending_id=reply.pending_id))


async def offer_email(app: App, platform: str, user: str, email: str) -> tuple[Reply, Reply]:
    """A stranger asks something, gives an e-mail, confirms: (the question, what follows)."""
    await say(app, platform, user, "what are my tasks?")
    asked = await say(app, platform, user, email)
    assert asked.decision == "confirm", asked.text
    return asked, await confirm(app, platform, user, asked)


async def code_sent_to(app: App, notion_user_id: str) -> str:
    """The digits of the last sign-in code Notion notified that member of."""
    await app.deps.linking.settle()
    sent = [
        n for n in app.emulator.notifications if n["user_id"] == notion_user_id and "code is" in n["text"]
    ]
    assert sent, f"no code was posted for {notion_user_id}"
    found = re.search(r"code is (\d{3}) (\d{3})", sent[-1]["text"])
    assert found is not None
    return found[1] + found[2]


def notion_writes(app: App) -> int:
    return sum(
        1
        for method, path in app.emulator.request_log
        if any(method == m and path.startswith(p) for m, p in NOTION_WRITES)
    )


async def role_of(app: App, platform: str, user: str) -> str | None:
    who = await say(app, platform, user, "who am I?")
    found = re.search(r"role: (\w+)", who.text)
    return found[1] if found else None


# ---- Slack: the e-mail Slack vouches for, and the workspace ----------------------------------------


async def test_slack_links_a_member_by_the_email_slack_vouches_for_with_no_question(club: App) -> None:
    reply = await say(club, "slack", "U0002001", "what are my tasks?", verified_email=ZOE_EMAIL)
    assert reply.decision == "execute" and reply.tool == "list_tasks"
    assert reply.text.startswith("Linked by your Slack e-mail: you're Zoe Martin in Notion now.")
    link = await club.db.identity.link_of("slack", "U0002001")
    assert link is not None and (link.notion_user_id, link.via) == (ZOE, "slack_email")


async def test_an_email_typed_on_slack_proves_nothing(club: App) -> None:
    asked, after = await offer_email(club, "slack", ATTACKER_SLACK, ALICE_EMAIL)
    assert "ask an admin to approve linking this Slack account" in asked.text
    assert "I've asked an admin to approve" in after.text
    assert await club.db.identity.lookup("slack", ATTACKER_SLACK) is None
    assert (await say(club, "slack", ATTACKER_SLACK, "who am I?")).decision == "verify"


def test_only_a_person_of_the_workspace_has_an_email_slack_vouches_for() -> None:
    from bot.slack.app import vouched_email

    person = {"id": "U1", "team_id": TEAM, "profile": {"email": "a@club.example"}}
    assert vouched_email(person, TEAM) == "a@club.example"
    assert vouched_email(person, "TOTHER") is None  # not the workspace the request came through
    assert vouched_email({**person, "team_id": "TOTHERORG", "is_stranger": True}, TEAM) is None
    assert vouched_email({**person, "is_bot": True}, TEAM) is None
    assert vouched_email({**person, "deleted": True}, TEAM) is None
    assert vouched_email({**person, "is_email_confirmed": False}, TEAM) is None
    assert vouched_email({**person, "profile": {}}, TEAM) is None  # no users:read.email: no e-mail


@dataclass
class SlackSide:
    emulator: SlackEmulator
    user: SlackUser

    async def message(self, count: int = 1, method: str = "chat.postMessage") -> Message:
        call = await self.emulator.wait_for(method, count)
        return next(
            m
            for m in self.emulator.messages.values()
            if m.text == call.body["text"] and m.blocks == call.body["blocks"]
        )


@pytest.fixture
async def slack(club: App) -> AsyncIterator[SlackSide]:
    """The club's Slack app as the manifest installs it (its scopes), answering TEAM only."""
    emulator = await SlackEmulator().start()
    manifest = yaml.safe_load((ROOT / "config" / "slack-manifest.yaml").read_text(encoding="utf-8"))
    emulator.scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    client = AsyncWebClient(token=BOT_TOKEN, base_url=emulator.base_url)
    bolt = build_app(club.bus, signing_secret=SIGNING_SECRET, client=client, team_id=TEAM)
    try:
        yield SlackSide(emulator, SlackUser(bolt, emulator))
    finally:
        await emulator.close()


async def test_people_of_another_slack_team_are_refused_politely(club: App, slack: SlackSide) -> None:
    slack.emulator.add_user("UOTHER01", "Alice Elsewhere", "alice", email=ALICE_EMAIL, team="TOTHERORG")
    event = slack.user.mention_event("UOTHER01", "what are my tasks?")
    event["team"] = event["user_team"] = "TOTHERORG"  # a Slack Connect user of another organisation
    assert (await slack.user.event(event)).status == 200
    refusal = await slack.emulator.wait_for("chat.postEphemeral")
    assert refusal.body["user"] == "UOTHER01"
    assert "I only work with people of the club's own Slack workspace" in refusal.body["text"]
    await asyncio.sleep(0.05)
    assert slack.emulator.of("chat.postMessage") == [] and slack.emulator.of("users.info") == []
    assert await club.db.identity.lookup("slack", "UOTHER01") is None
    rows = await club.db.audit.rows(user_id="UOTHER01")
    assert rows == [], "nothing reached core"


async def test_without_a_team_id_slack_answers_anyone_and_says_so_at_start(
    club: App,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    settings = club.settings.model_copy(update={"slack": SlackSettings(mode="http", port=unused_port())})
    with capture_logs() as logs:
        running = asyncio.create_task(run_slack(club, settings))
        for _ in range(100):
            if any(e["event"] == "slack_team_unrestricted" for e in logs):
                break
            await asyncio.sleep(0.02)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert any(e["event"] == "slack_team_unrestricted" and e["log_level"] == "warning" for e in logs)


# ---- Discord: the guild, and a code delivered through Notion -----------------------------------------


@pytest.fixture
async def rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordRig]:
    loopback = DiscordRig()
    monkeypatch.setattr(discord.http.Route, "BASE", await loopback.start())
    try:
        yield loopback
    finally:
        await loopback.stop()
    assert loopback.bodies_allowing_mentions() == [] and loopback.unknown == []


@pytest.fixture
async def bot(club: App, rig: DiscordRig) -> AsyncIterator[DarcyClient]:
    settings = club.settings.model_copy(update={"discord": DiscordSettings(guild_ids=[rig.guild_id])})
    client = build_client(club.bus, settings)
    await client.login("rig-bot-token")
    try:
        yield client
    finally:
        await client.close()


def answer_to(rig: DiscordRig, payload: dict[str, Any]) -> dict[str, Any]:
    """The message an interaction was answered with (its original response, or a followup)."""
    token = payload["token"]
    if rig.interactions[token].original is not None:
        return rig.original(token)
    return next(
        m for m in rig.messages.values() if m.get("interaction_metadata", {}).get("id") == payload["id"]
    )


async def test_discord_serves_only_the_configured_guild(club: App, bot: DarcyClient, rig: DiscordRig) -> None:
    elsewhere = rig.slash("710000000000001002", "what are my tasks?", guild_id=rig.guild_id + 7)
    await rig.send(bot, elsewhere)
    refusal = answer_to(rig, elsewhere)
    assert (
        refusal["flags"] & EPHEMERAL and "only work for the club's own Discord server" in refusal["content"]
    )

    rig.members = {"710000000000001002"}  # Carol is in the club's server; the stranger is not
    rig.deliver(bot, rig.direct_message(ATTACKER_DISCORD, "what are my tasks?"))
    await rig.wait_for(
        lambda: any("only work for the club" in DiscordRig.text(m) for m in rig.messages.values()),
        5,
        "no refusal of the outsider's DM",
    )
    rig.deliver(bot, rig.direct_message("710000000000001002", "what are my tasks?"))
    await rig.wait_for(
        lambda: any("Carol Jensen's tasks" in DiscordRig.text(m) for m in rig.messages.values()),
        5,
        "no answer to the member's DM",
    )
    rows = await club.db.audit.rows()
    assert {r.user_id for r in rows} == {"710000000000001002"}, "the outsiders reached nothing"


async def test_without_guilds_discord_answers_anyone_and_says_so_at_start(club: App, rig: DiscordRig) -> None:
    client = build_client(club.bus, club.settings.model_copy(update={"discord": DiscordSettings()}))
    with capture_logs() as logs:
        try:
            await client.login("rig-bot-token")
        finally:
            await client.close()
    assert any(e["event"] == "discord_guild_unrestricted" and e["log_level"] == "warning" for e in logs)


async def test_a_code_posted_in_notion_proves_a_discord_account(club: App) -> None:
    asked, sent = await offer_email(club, "discord", "710000000000002001", ZOE_EMAIL)
    assert "send a sign-in code in Notion to the member whose e-mail is" in asked.text
    assert "they'll get a sign-in code from Darcy in Notion" in sent.text
    await club.deps.linking.settle()
    [note] = club.emulator.notifications
    assert (note["user_id"], note["page_id"]) == (ZOE, club.emulator.signin_page_id)
    [comment] = club.emulator.state.comments[club.emulator.signin_page_id]
    assert comment["rich_text"][0]["mention"] == {"type": "user", "user": {"object": "user", "id": ZOE}}
    assert comment["rich_text"][0]["plain_text"] == "@Zoe Martin"
    code = await code_sent_to(club, ZOE)

    linked = await say(club, "discord", "710000000000002001", code)
    assert linked.text == "Linked: you're Zoe Martin in Notion now."
    assert linked.follow_up is not None and "Zoe Martin's tasks" in linked.follow_up.text  # asked before
    link = await club.db.identity.link_of("discord", "710000000000002001")
    assert link is not None and (link.notion_user_id, link.via) == (ZOE, "notion_code")
    await club.deps.linking.settle()
    assert "now linked to Discord user 710000000000002001" in club.emulator.notifications[-1]["text"]
    audit = await club.db.audit.rows(user_id="710000000000002001")
    assert code not in " ".join(r.text for r in audit), "a code typed is never kept"


async def test_a_code_has_six_digits_ten_minutes_five_tries_and_is_one_per_person(club: App, clock) -> None:
    user = "710000000000002001"
    await offer_email(club, "discord", user, ZOE_EMAIL)
    code = await code_sent_to(club, ZOE)
    assert re.fullmatch(r"\d{6}", code)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in range(CODE_TRIES - 1, -1, -1):
        reply = await say(club, "discord", user, wrong)
        assert reply.decision == "deny" and "not the code" in reply.text
        assert (f"{left} tr" in reply.text) if left else "last try" in reply.text
    dead = await say(club, "discord", user, code)  # the right one, too late: no tries left
    assert "too many wrong tries" in dead.text
    assert await club.db.identity.lookup("discord", user) is None

    await offer_email(club, "discord", user, ZOE_EMAIL)  # a new code…
    fresh = await code_sent_to(club, ZOE)
    clock.advance(minutes=10, seconds=1)  # …lasts ten minutes
    assert "no sign-in code waiting" in (await say(club, "discord", user, fresh)).text
    assert await club.db.identity.lookup("discord", user) is None

    # One live code per person: while one is out for Zoe, another account asking for her gets
    # the same answer, and Zoe no second notification.
    await offer_email(club, "discord", user, ZOE_EMAIL)
    await club.deps.linking.settle()
    notified = len(club.emulator.notifications)
    _, other = await offer_email(club, "discord", "719000000000000001", ZOE_EMAIL)
    assert "they'll get a sign-in code" in other.text
    await club.deps.linking.settle()
    assert len(club.emulator.notifications) == notified
    # …and asking again replaces one's own code: the older one no longer works.
    older = await code_sent_to(club, ZOE)
    await offer_email(club, "discord", user, ZOE_EMAIL)
    newer = await code_sent_to(club, ZOE)
    if older != newer:
        assert "not the code" in (await say(club, "discord", user, older)).text
    assert (await say(club, "discord", user, newer)).text == "Linked: you're Zoe Martin in Notion now."


async def test_codes_per_day_are_bounded_and_kept_only_as_hashes(club: App) -> None:
    from core.linking import code_matches

    user = "710000000000002001"
    for _ in range(CODES_PER_DAY):
        await offer_email(club, "discord", user, ZOE_EMAIL)
    code = await code_sent_to(club, ZOE)
    asked = await say(club, "discord", user, ZOE_EMAIL)
    refused = await confirm(club, "discord", user, asked)
    assert "as many sign-in codes for this account as I send in a day" in refused.text
    stored = await club.db.codes.latest("discord", user)
    assert stored is not None and code not in stored.code_hash and stored.code_hash.startswith("scrypt$")
    assert code_matches(stored.code_hash, code)


async def test_the_built_in_notion_server_takes_a_user_mention_as_notion_does(club: App) -> None:
    page = club.emulator.signin_page_id
    comment_id = await club.store.notify(page, ZOE, " hello")
    [stored] = club.emulator.state.comments[page]
    assert stored["id"] == comment_id
    mention, text = stored["rich_text"]
    assert mention["type"] == "mention" and mention["mention"]["user"]["id"] == ZOE
    assert mention["plain_text"] == "@Zoe Martin" and mention["href"] is None
    assert text["plain_text"] == " hello"
    assert club.emulator.notifications == [
        {"user_id": ZOE, "page_id": page, "comment_id": comment_id, "text": "@Zoe Martin hello"}
    ]
    with pytest.raises(StoreError):  # a mention of no one is refused
        await club.store.notify(page, "00000000-0000-4000-8000-00000000dead", " hello")


# ---- admins: approval, and links they make win ---------------------------------------------------------


@pytest.fixture
def on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database file that both a running Darcy and the `darcy` command use."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'darcy.db'}")
    monkeypatch.setattr("core.observability.configure_logging", lambda *_a, **_k: None)
    return f"sqlite+aiosqlite:///{tmp_path / 'darcy.db'}"


async def darcy(*args: str) -> Any:
    """The `darcy` command, as an admin runs it beside the running Darcy (its own event loop)."""
    from bot.cli import app as cli

    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))


async def test_an_admin_approves_or_denies_a_link_request(on_disk: str, clock) -> None:
    app = await bootstrap(realistic(database={"url": on_disk}), clock=clock)
    try:
        await offer_email(app, "slack", "U0002001", ZOE_EMAIL)
        await offer_email(app, "slack", ATTACKER_SLACK, ALICE_EMAIL)
        listed = await darcy("links", "--pending")
        assert listed.exit_code == 0, listed.output
        zoe_line, attacker_line = listed.output.splitlines()[:2]
        assert "approval\tslack\tU0002001\tzoe.martin@club.example\t" + ZOE in zoe_line
        assert "approval\tslack\tUATTACKER\talice.nguyen@club.example\t" + ALICE in attacker_line

        approved = await darcy("links", "approve", zoe_line.split("\t")[0])
        assert approved.exit_code == 0 and "linked slack user U0002001" in approved.output
        denied = await darcy("links", "deny", attacker_line.split("\t")[0])
        assert denied.exit_code == 0 and "denied" in denied.output
        assert (
            await darcy("links", "approve", attacker_line.split("\t")[0])
        ).exit_code == 1  # decided already

        assert (await app.db.identity.link_of("slack", "U0002001")).via == "admin"
        assert await app.db.identity.lookup("slack", ATTACKER_SLACK) is None
        assert "slack\tU0002001\t" + ZOE + "\tadmin" in (await darcy("links")).output
        assert (await darcy("links", "--pending")).output.startswith("no link is waiting")
    finally:
        await app.aclose()


async def test_the_config_wins_over_a_self_made_link_and_the_conflict_is_reported(
    on_disk: str, clock
) -> None:
    first = await bootstrap(realistic(database={"url": on_disk}), clock=clock)
    try:  # a link made before proofs existed (by e-mail alone), as the migration marks it
        await first.db.identity.link("slack", ATTACKER_SLACK, ALICE, via=UNVERIFIED)
        assert await first.deps.requester("slack", ATTACKER_SLACK) is None, "it counts for nothing"
    finally:
        await first.aclose()

    settings = realistic(database={"url": on_disk})
    settings.people[0].slack_id = ALICE_SLACK  # the admin maps the real Alice on Slack
    with capture_logs() as logs:
        second = await bootstrap(settings, clock=clock)
    try:
        assert (await second.db.identity.link_of("slack", ALICE_SLACK)).via == "config"
        assert await second.db.identity.lookup("slack", ATTACKER_SLACK) is None
        assert await role_of(second, "slack", ALICE_SLACK) == "admin"
        [event] = [e for e in logs if e["event"] == "config_link_conflict"]
        assert event["platform_user_id"] == ATTACKER_SLACK and event["log_level"] == "warning"
        [pending] = await second.db.link_requests.pending()
        assert (pending.kind, pending.platform_user_id, pending.notion_user_id) == (
            "conflict",
            ATTACKER_SLACK,
            ALICE,
        )
    finally:
        await second.aclose()
    listed = await darcy("links", "--pending")
    assert "conflict\tslack\tUATTACKER" in listed.output and "a [[people]] mapping gives" in listed.output


async def test_darcy_link_wins_over_a_self_made_link_but_not_over_an_admins(on_disk: str, clock) -> None:
    app = await bootstrap(realistic(database={"url": on_disk}), clock=clock)
    try:
        await say(app, "slack", "U0002001", "hi", verified_email=ZOE_EMAIL)  # Zoe links herself
    finally:
        await app.aclose()
    taken = await darcy("link", "slack", "U0009999", ZOE)
    assert taken.exit_code == 0, taken.output
    assert "replaced the link slack user U0002001 had made themselves (slack_email)" in taken.output
    again = await darcy("link", "slack", "U0008888", ZOE)
    assert again.exit_code == 1 and "already linked to slack user U0009999; unlink it first" in again.output


async def test_an_unlinked_account_cannot_claim_again(club: App) -> None:
    await club.db.identity.link("slack", ATTACKER_SLACK, ZOE, via=ADMIN)  # an admin's mistake…
    assert await club.db.identity.unlink("slack", ATTACKER_SLACK)  # …undone
    await offer_email(club, "slack", ATTACKER_SLACK, ZOE_EMAIL)
    await offer_email(club, "discord", ATTACKER_DISCORD, ZOE_EMAIL)
    assert await club.db.identity.lookup("slack", ATTACKER_SLACK) is None
    assert await club.db.identity.lookup("discord", ATTACKER_DISCORD) is None


# ---- the e-mail alone ------------------------------------------------------------------------------


async def test_an_unverified_link_grants_at_most_the_member_role(clock) -> None:
    app = await bootstrap(realistic(identity={"allow_unverified": True}), clock=clock)
    try:
        asked, _ = await offer_email(app, "slack", ATTACKER_SLACK, ALICE_EMAIL)
        assert "with the member role" in asked.text
        assert (await app.db.identity.link_of("slack", ATTACKER_SLACK)).via == "unverified"
        assert await role_of(app, "slack", ATTACKER_SLACK) == "member"  # Alice is an admin
        archive = await say(app, "slack", ATTACKER_SLACK, "archive Recruit judges")
        assert archive.decision == "deny"
        assert await role_of(app, "discord", ALICE_DISCORD) == "admin"  # the real Alice, by config
        # A proof takes the Notion user from an unverified link, and that is reported.
        await say(app, "slack", ALICE_SLACK, "hi", verified_email=ALICE_EMAIL)
        assert await app.db.identity.lookup("slack", ATTACKER_SLACK) is None
        assert await role_of(app, "slack", ALICE_SLACK) == "admin"
        assert [r.platform_user_id for r in await app.db.link_requests.pending()] == [ATTACKER_SLACK]
    finally:
        await app.aclose()


async def test_no_reply_tells_whether_an_email_exists_or_is_taken(clock) -> None:
    emails = {"free": ZOE_EMAIL, "taken": ALICE_EMAIL, "nobody": "nobody@club.example"}
    for settings, platform in (
        (realistic(), "discord"),
        (realistic(), "slack"),
        (realistic(identity={"allow_unverified": True}), "slack"),
    ):
        app = await bootstrap(settings, clock=clock)
        try:
            if await app.db.identity.holder(platform, ALICE) is None:  # Alice is taken on both
                await app.db.identity.link(platform, "someone-else", ALICE, via=ADMIN)
            said = set()
            for n, email in enumerate(emails.values()):
                asked, after = await offer_email(app, platform, f"7100000000000099{n}", email)
                said.add(
                    (asked.text.replace(email, "EMAIL"), re.sub(r"request \d+", "request N", after.text))
                )
            assert len(said) == 1, f"{platform}: {said}"
        finally:
            await app.aclose()


async def test_one_notion_user_per_account_per_platform_and_each_link_says_how(club: App) -> None:
    await say(club, "slack", "U0002001", "hi", verified_email=ZOE_EMAIL)
    other = await say(club, "slack", "U0002002", "hi", verified_email=ZOE_EMAIL)  # a second account
    assert other.decision == "deny" and "already linked to another Slack account" in other.text
    assert await club.db.identity.lookup("slack", "U0002002") is None
    vias = {(r.platform, r.platform_user_id): r.via for r in await club.db.identity.all()}
    assert vias == {
        ("discord", ALICE_DISCORD): "config",
        ("discord", "710000000000001002"): "config",
        ("slack", "U00001002"): "config",
        ("slack", "U0002001"): "slack_email",
    }
    [conflict] = await club.db.link_requests.pending()  # reported, for an admin to decide
    assert (conflict.kind, conflict.platform_user_id) == ("conflict", "U0002002")


# ---- the attacker of the review, end to end --------------------------------------------------------------


async def test_an_attacker_on_slack_fails_every_route_of_the_review(club: App, slack: SlackSide) -> None:
    """UATTACKER, a person of the club's Slack with his own e-mail, wants to be Alice (admin)."""
    emulator, user = slack.emulator, slack.user
    emulator.add_user(ATTACKER_SLACK, "Mallory", "mallory", email="mallory@elsewhere.example")
    tasks_before, writes_before = club.emulator.tasks(), notion_writes(club)

    # 1. "what are my tasks?", then Alice's e-mail in the form, then Confirm.
    await user.dm(ATTACKER_SLACK, "what are my tasks?")
    question = await slack.message()
    assert "What's the e-mail address of your Notion account?" in question.shown()  # his own e-mail: no one's
    await user.click(question, "Link my Notion account", user=ATTACKER_SLACK)
    await emulator.wait_for("views.open")
    await user.submit(
        emulator.views[-1],
        user=ATTACKER_SLACK,
        values={"email": {"email_input": {"type": "email_text_input", "value": ALICE_EMAIL}}},
    )
    offered = await slack.message(1, "chat.update")
    await user.click(offered, "Confirm", user=ATTACKER_SLACK)
    await emulator.wait_for("chat.update", 2)
    assert "I've asked an admin to approve" in offered.shown()

    # 2. The e-mail oracle: unknown, free and taken addresses read the same.
    shown = []
    for n, email in enumerate(("nobody@club.example", ZOE_EMAIL, ALICE_EMAIL)):
        await user.dm(ATTACKER_SLACK, email)
        asked = await slack.message(2 + n)
        shown.append(asked.shown().replace(email, "EMAIL"))
    assert len(set(shown)) == 1

    # 3. "ask an admin" waits for an admin; an admin who denies it leaves him unlinked.
    await user.dm(ATTACKER_SLACK, "please ask an admin")
    await slack.message(5)
    pending = [r for r in await club.db.link_requests.pending() if r.platform_user_id == ATTACKER_SLACK]
    assert pending and all(r.kind == "approval" for r in pending)

    # 4. From another organisation, through Slack Connect, with Alice's e-mail on his profile there.
    emulator.add_user("UATTACK2", "Alice Nguyen", "alice", email=ALICE_EMAIL, team="TOTHERORG")
    event = user.mention_event("UATTACK2", "what are my tasks?")
    event["team"] = "TOTHERORG"
    await user.event(event)
    refused = await emulator.wait_for("chat.postEphemeral")
    assert refused.body["user"] == "UATTACK2" and "only work with people of the club" in refused.body["text"]

    # 5. Typing guessed codes: there is nothing to guess on Slack.
    await user.dm(ATTACKER_SLACK, "123456")
    assert "no sign-in code waiting" in (await slack.message(6)).shown()

    # 6. He is nobody, and nothing was written.
    await user.dm(ATTACKER_SLACK, "archive Recruit judges")
    assert "What's the e-mail address of your Notion account?" in (await slack.message(7)).shown()
    assert await club.db.identity.lookup("slack", ATTACKER_SLACK) is None
    assert await club.db.identity.lookup("slack", "UATTACK2") is None
    assert club.emulator.tasks() == tasks_before and notion_writes(club) == writes_before

    # 7. A squatter from before the fix is swept away once the admin maps the real Alice; an
    #    unlinked squatter can't claim again (above, every claim needs a proof).
    await club.db.identity.link("slack", ATTACKER_SLACK, ALICE, via=UNVERIFIED)
    assert await club.deps.requester("slack", ATTACKER_SLACK) is None
    alice = await say(club, "slack", ALICE_SLACK, "who am I?", verified_email=ALICE_EMAIL)
    assert "role: admin" in alice.text  # the real Alice, by the e-mail Slack vouches for
    assert await club.db.identity.lookup("slack", ATTACKER_SLACK) is None


async def test_an_attacker_on_discord_fails_every_route_of_the_review(
    club: App,
    bot: DarcyClient,
    rig: DiscordRig,
) -> None:
    """An attacker in the club's server wants to be Alice (admin), linked on Discord by the
    config; and to take Zoe, whom no Discord account holds yet."""
    tasks_before, writes_before = club.emulator.tasks(), notion_writes(club)

    async def slash(text: str, user: str = ATTACKER_DISCORD, **where: Any) -> dict[str, Any]:
        payload = rig.slash(user, text, **where)
        await rig.send(bot, payload)
        return answer_to(rig, payload)

    # 1. The link button, Alice's e-mail, Confirm: a code goes to Alice in Notion, not to him.
    asked = await slash("what are my tasks?")
    button = rig.buttons(asked)[discord_render.LINK_LABEL]
    await rig.send(bot, rig.click(ATTACKER_DISCORD, int(asked["id"]), button["custom_id"]))
    modal = rig.modals[-1]
    await rig.send(
        bot, rig.submit(ATTACKER_DISCORD, modal, {rig.components(modal)[0]["custom_id"]: ALICE_EMAIL})
    )
    offered = rig.messages[int(asked["id"])]
    confirm_button = rig.buttons(offered)["Confirm"]
    await rig.send(bot, rig.click(ATTACKER_DISCORD, int(offered["id"]), confirm_button["custom_id"]))
    assert "they'll get a sign-in code" in DiscordRig.text(rig.messages[int(asked["id"])])
    alice_code = await code_sent_to(club, ALICE)

    # 2. Guessing: five tries, then the code is dead (and the right one no longer works).
    guesses = [f"{n:06d}" for n in range(10**6) if f"{n:06d}" != alice_code][:CODE_TRIES]
    for guess in guesses:
        assert "not the code" in DiscordRig.text(await slash(guess))
    assert "too many wrong tries" in DiscordRig.text(await slash(alice_code))

    # 3. Zoe, free on Discord: her code goes to her; he never sees it, so the same happens.
    await slash(ZOE_EMAIL)
    zoe_offer = [m for m in rig.messages.values() if "send a sign-in code" in DiscordRig.text(m)][-1]
    await rig.send(
        bot, rig.click(ATTACKER_DISCORD, int(zoe_offer["id"]), rig.buttons(zoe_offer)["Confirm"]["custom_id"])
    )
    await code_sent_to(club, ZOE)
    assert "not the code" in DiscordRig.text(await slash("000000"))

    # 4. From another server the bot was added to, and by DM without being in the club's.
    assert (
        "only work for the club" in (await slash("what are my tasks?", guild_id=rig.guild_id + 1))["content"]
    )
    rig.members = {ALICE_DISCORD}
    rig.deliver(bot, rig.direct_message(ATTACKER_DISCORD + "1", "alice.nguyen@club.example"))
    await rig.wait_for(
        lambda: any(
            "only work for the club" in DiscordRig.text(m)
            for m in rig.messages.values()
            if m["channel_id"] == str(rig.dm_channel(ATTACKER_DISCORD + "1"))
        ),
        5,
        "no refusal of the DM",
    )
    rig.members = None

    # 5. He is nobody; Alice is still Alice; nothing was written.
    assert (await say(club, "discord", ATTACKER_DISCORD, "who am I?")).decision == "verify"
    assert await club.db.identity.lookup("discord", ATTACKER_DISCORD) is None
    assert await role_of(club, "discord", ALICE_DISCORD) == "admin"
    assert club.emulator.tasks() == tasks_before and notion_writes(club) == writes_before


def test_the_manifest_asks_for_the_email_scope_slack_needs_to_vouch() -> None:
    manifest = yaml.safe_load((ROOT / "config" / "slack-manifest.yaml").read_text(encoding="utf-8"))
    assert "users:read.email" in manifest["oauth_config"]["scopes"]["bot"]
