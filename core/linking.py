"""Proving who a chat account is before it is linked to a Notion user (issue #17).

Typing someone's e-mail proves nothing, so a link is made only on a proof, and records which
(`core.identity.Proof`):

- the terminal is trusted local use (whoever runs it runs Darcy): the `link_account`
  confirmation links it, as before (`terminal`);
- a platform that vouches for its people's e-mails (Slack's users.info, `users:read.email`)
  hands the adapter a verified e-mail, and a member with that e-mail is linked at once, with no
  question (`slack_email`);
- on the platforms of `[identity] code_platforms` (Discord), a one-time code is posted in Notion
  as a comment mentioning the member on the sign-in page, so Notion notifies them, and the
  person types it back in chat: 6 digits, 10 minutes, 5 tries, one live code each
  (`notion_code`);
- anyone may ask an admin, who approves or denies with `darcy links` (`admin`);
- with `[identity] allow_unverified`, the e-mail alone, granting the member role at most
  (`unverified`).

What a stranger is told about an e-mail is the same whether it belongs to someone, to no one,
or to someone linked already: nothing is revealed before ownership is proven. Conflicts
(a proven claim meeting another link) are settled by rank (`core.identity.outranks`) and
reported to admins, never skipped in silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import structlog

from core.config import Settings
from core.conversation import Conversation
from core.directory import Directory
from core.domain import Member
from core.identity import (
    CodeRepository,
    IdentityRepository,
    Link,
    LinkRequest,
    LinkRequests,
    LinkTaken,
    Proof,
    RequestKind,
    RequestState,
    SignInCode,
)
from core.ports import StoreError, TaskStore
from core.replies import Reply

log = structlog.get_logger("darcy.linking")

TRUSTED_PLATFORMS = frozenset({"terminal"})
CODE_DIGITS = 6
CODE_MINUTES = 10
CODE_TRIES = 5
CODES_PER_DAY = 5  # per chat account, and per Notion user on a platform: bounds guessing and noise
CODE_IN_TEXT = re.compile(r"^\s*(\d{3})[\s-]?(\d{3})\s*[.!]?\s*$")
ASK_ADMIN = re.compile(
    r"\bask (?:an? |the |my )?admins?\b|\badmin(?:'s)? approv|^\s*admin\s*[.!]?\s*$", re.IGNORECASE
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ASK_EMAIL_AGAIN = "What's the e-mail address of your Notion account? (e.g. name@club.example)"
PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord", "terminal": "terminal"}


def clean_email(raw: str) -> str:
    """An e-mail as typed or as a chat platform wraps it (`<mailto:a@b|a@b>`)."""
    return raw.strip().strip("<>").removeprefix("mailto:").split("|")[0].strip()


def hash_code(code: str, salt: bytes | None = None) -> str:
    """A slow, salted hash (scrypt): a copy of the database does not give the live codes
    away in the ten minutes they live."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(code.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def code_matches(stored: str, code: str) -> bool:
    try:
        _, salt, _ = stored.split("$")
        return hmac.compare_digest(hash_code(code, bytes.fromhex(salt)), stored)
    except ValueError:
        return False


@dataclass
class Verified:
    """What a platform-verified e-mail led to: the member now linked (and a line saying so),
    or a reply to give instead (a conflict), or neither (no member has that e-mail)."""

    member: Member | None = None
    notice: str | None = None
    reply: Reply | None = None


class Route(StrEnum):
    """What an e-mail typed by a stranger leads to, once they confirm."""

    CODE = "code"  # a one-time code posted to the member in Notion
    ADMIN = "admin"  # a request for an admin's approval
    UNVERIFIED = "unverified"  # [identity] allow_unverified: the e-mail alone


def route_for(settings: Settings, platform: str) -> Route | None:
    """How a stranger on `platform` proves an e-mail is theirs; None on a trusted platform."""
    if platform in TRUSTED_PLATFORMS:
        return None
    identity = settings.identity
    if identity.allow_unverified:
        return Route.UNVERIFIED
    if identity.signin_page_id and platform in identity.code_platforms:
        return Route.CODE
    return Route.ADMIN


def route_summary(route: Route, platform: str, email: str) -> str:
    """The confirmation's words: the same whether the e-mail is anyone's or not."""
    name = PLATFORM_NAMES.get(platform, platform)
    if route is Route.CODE:
        return (
            f"send a sign-in code in Notion to the member whose e-mail is {email}, to link this "
            f"{name} account to them once you type it here"
        )
    if route is Route.ADMIN:
        return f"ask an admin to approve linking this {name} account to the Notion account of {email}"
    return (
        f"link this {name} account to the Notion account of {email}, with the member role, if there "
        f"is one and no other {name} account holds it"
    )


class Linking:
    def __init__(
        self,
        settings: Settings,
        identity: IdentityRepository,
        codes: CodeRepository,
        requests: LinkRequests,
        directory: Directory,
        store: TaskStore,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings, self.identity, self.codes, self.requests = settings, identity, codes, requests
        self.directory, self.store, self.clock = directory, store, clock
        self._sending: set[asyncio.Task[None]] = set()

    @property
    def signin_page_id(self) -> str | None:
        return self.settings.identity.signin_page_id

    @staticmethod
    def trusted(platform: str) -> bool:
        return platform in TRUSTED_PLATFORMS

    # ---- a platform-verified e-mail -------------------------------------------------------

    async def by_verified_email(self, platform: str, user_id: str, email: str) -> Verified:
        """Slack vouches for the person's e-mail: a member with it is linked now."""
        if platform != "slack":  # only Slack's adapter vouches for e-mails
            log.warning("verified_email_ignored", platform=platform)
            return Verified()
        # No second look past the cache on a miss: this runs for every message of someone whose
        # Slack e-mail is no member's, and must not cost a Notion call each time.
        member = await self._member_by_email(email, look_again=False)
        if member is None:
            return Verified()
        linked, reply = await self._link_proven(platform, user_id, member, Proof.SLACK_EMAIL, email)
        if not linked:
            return Verified(reply=reply)
        return Verified(member, notice=f"Linked by your Slack e-mail: you're {member.name} in Notion now.")

    # ---- an e-mail typed by a stranger ------------------------------------------------------

    async def start(self, platform: str, user_id: str, email: str, route: Route) -> Reply:
        """The person confirmed the e-mail of their Notion account: send a code, ask an admin,
        or (if allowed) link it unverified. The reply never says whether it is anyone's."""
        email = clean_email(email)
        member = await self._member_by_email(email)
        if route is Route.UNVERIFIED:
            return await self._unverified(platform, user_id, email, member)
        if route is Route.CODE and self.signin_page_id:
            return await self._send_code(platform, user_id, email, member)
        return await self._ask_admin(platform, user_id, email, member)  # (a sign-in page removed since)

    async def ask_admin(self, platform: str, user_id: str, email: str) -> Reply:
        """The person asked for an admin's approval, and gave the e-mail to approve."""
        email = clean_email(email)
        if not EMAIL.match(email):
            return Reply(text=ASK_EMAIL_AGAIN, decision="clarify", tool="link_account")
        return await self._ask_admin(platform, user_id, email, await self._member_by_email(email))

    async def answer(self, platform: str, user_id: str, text: str, convo: Conversation) -> Reply | None:
        """A stranger's message that belongs to linking: a code typed back, or "ask an admin".
        None: anything else (the request goes on as usual)."""
        if CODE_IN_TEXT.fullmatch(text):
            return await self._check_code(platform, user_id, "".join(CODE_IN_TEXT.fullmatch(text).groups()))  # type: ignore[union-attr]
        if ASK_ADMIN.search(text) and not self.trusted(platform):
            latest = await self.codes.latest(platform, user_id)
            if latest is not None and latest.created_at > self.clock() - timedelta(days=1):
                member = await self._member_by_email(latest.email)
                return await self._ask_admin(platform, user_id, latest.email, member)
            convo.awaiting_email, convo.wants_admin = True, True
            return Reply(
                text="Of course. What's the e-mail address of your Notion account? I'll pass it on to "
                "an admin, who can approve the link.",
                decision="clarify",
                tool="link_account",
            )
        return None

    # ---- codes ------------------------------------------------------------------------------

    async def _send_code(self, platform: str, user_id: str, email: str, member: Member | None) -> Reply:
        now = self.clock()
        day = now - timedelta(days=1)
        if await self.codes.issued_since(platform, day, user_id=user_id) >= CODES_PER_DAY:
            return Reply(
                text="I've sent as many sign-in codes for this account as I send in a day "
                f"({CODES_PER_DAY}). "
                "Say “ask an admin” and I'll ask an admin to approve the link instead.",
                decision="deny",
                tool="link_account",
            )
        send = member is not None
        if member is not None:
            others = [
                c
                for c in await self.codes.live_for(platform, member.notion_user_id, now)
                if c.platform_user_id != user_id
            ]
            if others:  # one live code per person: no second notification while one is out
                send = False
                log.warning(
                    "signin_code_withheld",
                    platform=platform,
                    user_id=user_id,
                    reason="another chat account has a live code for that Notion user",
                )
            elif (
                await self.codes.issued_since(platform, day, notion_user_id=member.notion_user_id)
                >= CODES_PER_DAY
            ):
                send = False
                log.warning(
                    "signin_code_withheld",
                    platform=platform,
                    user_id=user_id,
                    reason="that Notion user was sent the most codes a day",
                )
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        await self.codes.replace(
            SignInCode(
                platform=platform,
                platform_user_id=user_id,
                notion_user_id=member.notion_user_id if send and member else None,
                email=email,
                code_hash=hash_code(code),
                created_at=now,
                expires_at=now + timedelta(minutes=CODE_MINUTES),
            )
        )
        if send and member is not None:
            name = PLATFORM_NAMES.get(platform, platform)
            self._notify(
                member,
                f" your Darcy sign-in code is {code[:3]} {code[3:]}. Someone on {name} (user {user_id}) "
                f"asked to be linked to your Notion account; if that's you, type the code to Darcy there "
                f"within {CODE_MINUTES} minutes. If it isn't you, ignore it and tell an admin.",
            )
        log.info("signin_code_issued", platform=platform, user_id=user_id)
        return Reply(
            text="If that address belongs to someone in the club's Notion workspace, they'll get a sign-in "
            "code from Darcy in Notion in a moment: a comment mentioning them on Darcy's sign-in page. "
            f"Send me its {CODE_DIGITS} digits here within {CODE_MINUTES} minutes. No code? Say “ask an "
            "admin” and I'll ask an admin to approve the link instead.",
            decision="clarify",
            tool="link_account",
            args={"email": email},
        )

    async def _check_code(self, platform: str, user_id: str, digits: str) -> Reply:
        live = await self.codes.live(platform, user_id, self.clock())
        if live is None or live.id is None:
            return Reply(
                text="I have no sign-in code waiting for this account (a code lasts "
                f"{CODE_MINUTES} minutes and works once). Tell me the e-mail address of your Notion "
                "account and I'll send a new one.",
                decision="clarify",
                tool="link_account",
            )
        tries = await self.codes.attempt(live.id, CODE_TRIES)
        if tries is None:
            return Reply(
                text="That code has had too many wrong tries, so it no longer works. Tell me the e-mail "
                "address of your Notion account for a new one, or say “ask an admin”.",
                decision="deny",
                tool="link_account",
            )
        right = code_matches(live.code_hash, digits)  # checked even for a code never sent
        if not right or live.notion_user_id is None:
            left = CODE_TRIES - tries
            more = (
                f"{left} {'try' if left == 1 else 'tries'} left."
                if left
                else (
                    "That was the last try: tell me your Notion e-mail again for a new code, "
                    "or say “ask an admin”."
                )
            )
            return Reply(text=f"That's not the code I sent. {more}", decision="deny", tool="link_account")
        if not await self.codes.use(live.id):
            return Reply(text="That code was used already.", decision="deny", tool="link_account")
        member = await self.directory.member(live.notion_user_id)
        if member is None:
            return Reply(
                text="That Notion account isn't in the workspace any more.",
                decision="deny",
                tool="link_account",
            )
        linked, reply = await self._link_proven(platform, user_id, member, Proof.NOTION_CODE, live.email)
        if linked:
            self._notify(
                member,
                f" your Notion account is now linked to {PLATFORM_NAMES.get(platform, platform)} user "
                f"{user_id} in Darcy. If that wasn't you, tell an admin at once.",
            )
        return reply

    def _notify(self, member: Member, text: str) -> None:
        """A comment on the sign-in page mentioning the member (Notion notifies them), sent in
        the background: whether one is sent must not show in how long the reply takes."""
        page = self.signin_page_id
        if not page:
            return

        async def send() -> None:
            try:
                await self.store.notify(page, member.notion_user_id, text)
            except StoreError as exc:
                log.error("signin_notice_failed", notion_user_id=member.notion_user_id, error=str(exc))

        task = asyncio.ensure_future(send())
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def settle(self) -> None:
        """Wait for the comments being sent (tests; a clean stop)."""
        while self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)

    # ---- admins -----------------------------------------------------------------------------

    async def _ask_admin(self, platform: str, user_id: str, email: str, member: Member | None) -> Reply:
        request = await self.requests.add(
            LinkRequest(
                kind=RequestKind.APPROVAL,
                platform=platform,
                platform_user_id=user_id,
                email=email,
                notion_user_id=member.notion_user_id if member else None,
                reason="asked for an admin's approval",
                created_at=self.clock(),
            )
        )
        log.warning("link_approval_requested", request_id=request.id, platform=platform, user_id=user_id)
        return Reply(
            text=f"I've asked an admin to approve linking this {PLATFORM_NAMES.get(platform, platform)} "
            f"account to that address (request {request.id}). Once they have, just ask me again.",
            decision="none",
            tool="link_account",
            args={"email": email},
        )

    async def report(self, link: Link, reason: str, *, email: str | None = None) -> LinkRequest:
        """A conflict Darcy settled by rank: logged, and listed for admins with the claim that
        lost (approving it gives that account the Notion user after all)."""
        log.warning(
            "link_conflict",
            platform=link.platform,
            platform_user_id=link.platform_user_id,
            notion_user_id=link.notion_user_id,
            via=link.via,
            reason=reason,
        )
        return await self.requests.add(
            LinkRequest(
                kind=RequestKind.CONFLICT,
                platform=link.platform,
                platform_user_id=link.platform_user_id,
                email=email,
                notion_user_id=link.notion_user_id,
                reason=reason,
                created_at=self.clock(),
            )
        )

    # ---- linking ----------------------------------------------------------------------------

    async def _link_proven(
        self, platform: str, user_id: str, member: Member, proof: Proof, email: str | None
    ) -> tuple[bool, Reply]:
        name = PLATFORM_NAMES.get(platform, platform)
        try:
            displaced = await self.identity.link(platform, user_id, member.notion_user_id, proof)
        except LinkTaken:
            holder = await self.identity.holding(platform, member.notion_user_id)
            held = f"{name} user {holder.platform_user_id} ({holder.via})" if holder else "another account"
            claim = Link(
                platform=platform, platform_user_id=user_id, notion_user_id=member.notion_user_id, via=proof
            )
            await self.report(claim, f"proven by {proof}, but {held} holds that Notion user", email=email)
            return False, Reply(
                text=f"You're {member.name} in Notion, but that account is already linked to another {name} "
                "account, so I've asked an admin to sort it out. Nothing was changed.",
                decision="deny",
                tool="link_account",
            )
        if displaced is not None:
            await self.report(
                displaced,
                f"unlinked: {name} user {user_id} proved to be this Notion user ({proof}), "
                f"which outranks {displaced.via}",
            )
        log.info("account_linked", platform=platform, user_id=user_id, via=proof)
        return True, Reply(
            text=f"Linked: you're {member.name} in Notion now.", decision="executed", tool="link_account"
        )

    async def _unverified(self, platform: str, user_id: str, email: str, member: Member | None) -> Reply:
        """`allow_unverified`: the e-mail alone links a free Notion user, with the member role
        at most; an unverified claim never takes a Notion user from anyone."""
        if member is not None:
            holder = await self.identity.holding(platform, member.notion_user_id)
            if holder is None or holder.platform_user_id == user_id:
                with contextlib.suppress(LinkTaken):  # linked by someone else meanwhile: the same answer
                    await self.identity.link(platform, user_id, member.notion_user_id, Proof.UNVERIFIED)
        return Reply(
            text="If that address belongs to someone in the club's Notion workspace who isn't linked on "
            f"{PLATFORM_NAMES.get(platform, platform)} yet, this account is linked to them now, with the "
            "member role. Ask me again to carry on.",
            decision="none",
            tool="link_account",
            args={"email": email},
        )

    async def _member_by_email(self, email: str, *, look_again: bool = True) -> Member | None:
        """The Notion user with that e-mail; a miss looks again past the cache (`look_again`),
        since a newcomer is often added to Notion minutes before they first talk to Darcy."""
        wanted = email.strip().casefold()
        for attempt in range(2 if look_again else 1):
            members = await self.directory.members()
            found = next((m for m in members if (m.email or "").casefold() == wanted), None)
            if found is not None or attempt or not look_again:
                return found
            self.directory.refresh()
        return None


async def approve(identity: IdentityRepository, requests: LinkRequests, request_id: int, at: datetime) -> str:
    """An admin approves a link request: the account is linked by the admin (taking the Notion
    user from a self-made link, never from the config's or another admin's). Says what happened;
    raises ValueError with the reason when nothing could be done."""
    request = await requests.get(request_id)
    if request is None:
        raise ValueError(f"there is no link request {request_id}")
    if request.state is not RequestState.PENDING:
        raise ValueError(f"link request {request_id} is {request.state.value} already")
    if request.notion_user_id is None:
        raise ValueError(
            f"no Notion member had the e-mail {request.email} when it was asked; add them to Notion, "
            f"then link by hand: darcy link {request.platform} {request.platform_user_id} NOTION_USER_ID"
        )
    try:
        displaced = await identity.link(
            request.platform, request.platform_user_id, request.notion_user_id, Proof.ADMIN
        )
    except LinkTaken as exc:
        holder = await identity.holding(request.platform, request.notion_user_id)
        who = f"{request.platform} user {holder.platform_user_id} ({holder.via})" if holder else "someone"
        raise ValueError(f"that Notion user is linked to {who}; unlink it first") from exc
    if not await requests.decide(request_id, RequestState.APPROVED, at):
        raise ValueError(f"link request {request_id} was decided meanwhile")
    done = (
        f"linked {request.platform} user {request.platform_user_id} to Notion user {request.notion_user_id}"
    )
    if displaced is not None:
        done += f" (unlinked {displaced.platform} user {displaced.platform_user_id}, {displaced.via})"
    return done


async def deny(requests: LinkRequests, request_id: int, at: datetime) -> str:
    request = await requests.get(request_id)
    if request is None:
        raise ValueError(f"there is no link request {request_id}")
    if not await requests.decide(request_id, RequestState.DENIED, at):
        raise ValueError(f"link request {request_id} is {request.state.value} already")
    return f"denied link request {request_id} ({request.platform} user {request.platform_user_id})"
