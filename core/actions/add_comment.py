"""add_comment: a comment on a task, shown in Notion as the person via Darcy."""

from __future__ import annotations

from core.actions.base import Outcome, Ports, Run, Tool, link_suffix
from core.gate.resolving import Resolving
from core.gate.result import GateResult
from core.pending import PendingAction
from core.permissions import Asker, Permission, Write
from core.tools import ToolArgs, ToolSpec
from core.wording import em, shorter


class AddCommentArgs(ToolArgs):
    """Comment on a task."""

    task: str | None = None
    text: str | None = None


class AddComment(Tool):
    spec = ToolSpec(name="add_comment", args_model=AddCommentArgs, impact="write")

    async def resolve(self, res: Resolving) -> GateResult:
        text = (res.raw.get("text") or "").strip()
        if text:
            res.args["text"] = text
        task = await res.task(res.raw.get("task"), "Which task should I comment on?")
        res.args["task"] = task.title
        if not text:
            return res.clarify(f"What should the comment on {em(task.title)} say?")
        # Shown in Notion as the person, through Darcy: the integration posts every comment.
        res.resolved.update(task_id=task.id, text=text, author=f"{res.member.name} via Darcy")
        denied = await res.permit(self.permit, Write(self.name, task=task))
        if denied:
            return denied
        return res.confirm(f"comment on {em(shorter(task.title))}: “{res.shown('Comment', text)}”")

    def permit(self, asker: Asker, write: Write) -> Permission:
        scope = asker.policy.comment
        if scope == "any" or (scope == "own" and asker.owns(write.task)):
            return Permission(True, f"{asker.role}.comment = {scope}")
        return Permission(
            False, f"{asker.role}.comment = {scope}", f"{asker.plural} can't comment on this task"
        )

    async def execute(self, run: Run) -> Outcome:
        wanted, before = run.resolved, run.before
        # Signed by who clicks, as they are linked now: a link changed since the question (an
        # admin re-linked the account) must not post in the earlier person's name.
        author = f"{run.caller.requester.name} via Darcy" if run.caller else wanted.get("author")
        comment_id = await run.ports.store.add_comment(wanted["task_id"], wanted["text"], author=author)
        return Outcome(
            page_id=wanted["task_id"],
            url=before.url if before else None,
            title=before.title if before else "",
            comment_id=comment_id,
            before=None,
            after={"comment": wanted["text"]},
        )

    async def done_text(self, ports: Ports, action: PendingAction, outcome: Outcome) -> str:
        return f"Done: commented on {em(outcome.get('title', ''))}.{link_suffix(outcome)}"
