"""link_account: link the requester's chat account to a Notion user, by e-mail."""

from __future__ import annotations

from core.actions.base import Outcome, Ports, Run, Tool
from core.domain import Member, Task
from core.gate.resolving import EMAIL, Resolving
from core.gate.result import Decision, GateResult, clarify
from core.identity import LinkTaken
from core.pending import PendingAction
from core.tools import ToolArgs, ToolSpec


class LinkAccountArgs(ToolArgs):
    """Link the requester's chat account to their Notion account by e-mail."""

    email: str | None = None


class LinkAccount(Tool):
    spec = ToolSpec(name="link_account", args_model=LinkAccountArgs, impact="write")
    for_strangers = True

    async def resolve(self, res: Resolving) -> GateResult:
        email = (res.raw.get("email") or "").strip().strip("<>").removeprefix("mailto:").split("|")[0]
        if not EMAIL.match(email):
            raise clarify("What's the e-mail address of your Notion account? (e.g. name@club.example)")
        res.args["email"] = email
        member = await _member_by_email(res, email)
        if member is None:
            raise clarify(
                f"No one in the Notion workspace has the e-mail {email}. "
                "Check the address your Notion account uses and send it again."
            )
        holder = await res.identity.holder(res.platform, member.notion_user_id)
        if holder is not None and holder != res.chat_user_id:
            return res.result(
                Decision.DENY,
                rule="one chat account per Notion user",
                message=f"That Notion account is already linked to another {res.platform} user. "
                "If it's yours, ask an admin to unlink it.",
            )
        requester = res.requester
        if requester is not None and requester.notion_user_id == member.notion_user_id:
            return res.result(Decision.NONE, message=f"You're already linked to {member.name} ({email}).")
        if requester is not None:  # linked already, to someone else: only an admin changes that
            return res.result(
                Decision.DENY,
                rule="a linked account is changed by an admin",
                message=f"Sorry, I can't do that: this {res.platform} account is already linked to "
                f"{requester.name}. If that's wrong, ask an admin to change it.",
            )
        res.resolved.update(notion_user_id=member.notion_user_id, email=email)
        return res.confirm(f"link your {res.platform} account to the Notion user {member.name} ({email})")

    async def recheck(
        self, ports: Ports, action: PendingAction, requester: Member | None, task: Task | None
    ) -> str | None:
        """One chat account per Notion user: again at the click."""
        holder = await ports.identity.holder(action.platform, action.resolved["notion_user_id"])
        if holder in (None, action.user_id):
            return None
        return str(LinkTaken(action.platform, action.resolved["notion_user_id"]))

    async def execute(self, run: Run) -> Outcome:
        action = run.action
        try:
            await run.ports.identity.link(
                action.platform, action.user_id, action.resolved["notion_user_id"], via="verification"
            )
        except LinkTaken as exc:  # linked to another account since the click's check: nothing done
            return Outcome(page_id=None, refused=str(exc), before=None, after=None)
        return Outcome(page_id=None, before=None, after={"notion_user_id": action.resolved["notion_user_id"]})

    async def landed(self, ports: Ports, action: PendingAction) -> bool:
        return (
            await ports.identity.lookup(action.platform, action.user_id) == action.resolved["notion_user_id"]
        )

    async def done_text(self, ports: Ports, action: PendingAction, outcome: Outcome) -> str:
        member = await ports.directory.member(action.resolved["notion_user_id"])
        return f"Linked: you're {member.name if member else action.resolved['email']} in Notion now."


async def _member_by_email(res: Resolving, email: str) -> Member | None:
    """The Notion user with that e-mail; a miss looks again past the cache, since a
    newcomer is often added to Notion minutes before they first talk to Darcy."""
    for attempt in range(2):
        members = await res.members()
        found = next((m for m in members if (m.email or "").casefold() == email.casefold()), None)
        if found is not None or attempt:
            return found
        res.directory.refresh()
        res.forget_members()
    return None
