"""link_account: link the requester's chat account to a Notion user, by e-mail.

On a trusted platform (the local terminal: whoever runs it runs Darcy) the confirmation links
the account to the member with that e-mail. Elsewhere the e-mail proves nothing: what is
confirmed is the next step of a proof (`core.linking`): a sign-in code sent in Notion, or a
request for an admin's approval, worded the same whether the e-mail is anyone's or not (no
member is even looked up before the click). People linked already are told so, or to ask an
admin.
"""

from __future__ import annotations

from core.actions.base import Outcome, Ports, Run, Tool
from core.domain import Member, Task
from core.gate.resolving import EMAIL, Resolving
from core.gate.result import Decision, GateResult, clarify
from core.identity import LinkTaken, Proof, outranks
from core.linking import PLATFORM_NAMES, TRUSTED_PLATFORMS, Route, clean_email, route_for, route_summary
from core.pending import PendingAction
from core.tools import ToolArgs, ToolSpec


class LinkAccountArgs(ToolArgs):
    """Link the requester's chat account to their Notion account by e-mail."""

    email: str | None = None


class LinkAccount(Tool):
    spec = ToolSpec(name="link_account", args_model=LinkAccountArgs, impact="write")
    for_strangers = True

    async def resolve(self, res: Resolving) -> GateResult:
        email = clean_email(res.raw.get("email") or "")
        if not EMAIL.match(email):
            raise clarify("What's the e-mail address of your Notion account? (e.g. name@club.example)")
        res.args["email"] = email
        requester = res.requester
        if requester is not None:  # linked already: nothing about the e-mail is said
            if (requester.email or "").casefold() == email.casefold():
                said = f"You're already linked to {requester.name} ({email})."
                return res.result(Decision.NONE, message=said)
            return res.result(
                Decision.DENY,
                rule="a linked account is changed by an admin",
                message=f"Sorry, I can't do that: this {res.platform} account is already linked to "
                f"{requester.name}. If that's wrong, ask an admin to change it.",
            )
        route = route_for(res.settings, res.platform)
        if route is not None:  # the e-mail proves nothing here: the click starts a proof
            res.resolved.update(email=email, route=route.value)
            return res.confirm(route_summary(route, res.platform, email))
        member = await _member_by_email(res, email)
        if member is None:
            raise clarify(
                f"No one in the Notion workspace has the e-mail {email}. "
                "Check the address your Notion account uses and send it again."
            )
        holder = await res.identity.holding(res.platform, member.notion_user_id)
        if holder is not None and holder.platform_user_id != res.chat_user_id and not outranks(
            Proof.TERMINAL, holder.via
        ):
            return res.result(
                Decision.DENY,
                rule="one chat account per Notion user",
                message=f"That Notion account is already linked to another {res.platform} user. "
                "If it's yours, ask an admin to unlink it.",
            )
        res.resolved.update(notion_user_id=member.notion_user_id, email=email)
        return res.confirm(f"link your {res.platform} account to the Notion user {member.name} ({email})")

    async def recheck(
        self, ports: Ports, action: PendingAction, requester: Member | None, task: Task | None
    ) -> str | None:
        """One chat account per Notion user: again at the click (a proof checks its own)."""
        if action.resolved.get("route"):
            if requester is not None:
                name = PLATFORM_NAMES.get(action.platform, action.platform)
                return f"This {name} account is linked already."
            return None
        if action.platform not in TRUSTED_PLATFORMS:  # a confirmation made before proofs existed
            return "Linking needs proof that the account is yours: send me your Notion e-mail again."
        holder = await ports.identity.holding(action.platform, action.resolved["notion_user_id"])
        if holder is None or holder.platform_user_id == action.user_id:
            return None
        if outranks(Proof.TERMINAL, holder.via):
            return None
        return str(LinkTaken(action.platform, action.resolved["notion_user_id"]))

    async def execute(self, run: Run) -> Outcome:
        action = run.action
        if route := action.resolved.get("route"):
            assert run.ports.linking is not None
            said = await run.ports.linking.start(action.platform, action.user_id, action.resolved["email"],
                                                 Route(route))
            return Outcome(page_id=None, said=said.text, before=None, after={"route": route})
        try:
            await run.ports.identity.link(
                action.platform, action.user_id, action.resolved["notion_user_id"], via=Proof.TERMINAL
            )
        except LinkTaken as exc:  # linked to another account since the click's check: nothing done
            return Outcome(page_id=None, refused=str(exc), before=None, after=None)
        return Outcome(page_id=None, before=None, after={"notion_user_id": action.resolved["notion_user_id"]})

    async def landed(self, ports: Ports, action: PendingAction) -> bool:
        if action.resolved.get("route"):  # a code or a request: never sent twice, asked again instead
            return False
        return (
            await ports.identity.lookup(action.platform, action.user_id) == action.resolved["notion_user_id"]
        )

    async def done_text(self, ports: Ports, action: PendingAction, outcome: Outcome) -> str:
        if outcome.get("said"):
            return str(outcome["said"])
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
