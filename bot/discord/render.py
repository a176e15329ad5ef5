"""Core replies as Discord embeds and component specs, escaped so user text stays literal.

Everything a reply echoes (task titles, names, the request) came from people: it is
escaped for Discord markdown and mentions, and every message is sent with
`AllowedMentions.none()` so a task called "@everyone" pings nobody. Only core's
`**bold**` markers become markdown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from core.replies import ProjectLine, Reply, TaskLine
from core.wording import day, join_names

NO_PINGS = discord.AllowedMentions.none()
MAX_DESCRIPTION = 4096  # one embed's description
MAX_EMBEDS_TOTAL = 6000  # all embeds of one message together
MAX_CONTENT = 2000  # a message's plain content
MAX_OPTIONS = 25  # a select menu's options
MAX_CUSTOM_ID = 100
MAX_TITLE_IN_LINE = 200  # a list stays a list even when someone pastes a paragraph as a title
DETAILS = "Details"  # the embed under a confirmation holding its long text in full

BOLD = re.compile(r"\*\*(.+?)\*\*")
# @everyone/@here and <@id>, <@!id>, <@&id>, <#id>: a zero-width space keeps them literal.
MENTION = re.compile(r"@(?=everyone|here)|(?<=<)(@[!&]?|#)(?=\d)")
SAFE_URL = re.compile(r"https?://[^\s()<>\[\]]+")

COLOURS = {
    "execute": discord.Colour.dark_teal(),
    "confirm": discord.Colour.gold(),
    "choose": discord.Colour.gold(),
    "executed": discord.Colour.green(),
    "deny": discord.Colour.red(),
    "error": discord.Colour.red(),
    "cancelled": discord.Colour.light_grey(),
    "expired": discord.Colour.light_grey(),
}
FADED = discord.Colour.dark_grey()


# ---- text --------------------------------------------------------------------------------


def escape(text: str) -> str:
    """User-derived text, shown literally: no markdown, no mention pills."""
    return MENTION.sub(lambda m: (m.group(0) or "@") + "\u200b", discord.utils.escape_markdown(text))


def markdown(text: str) -> str:
    """Core's **bold** as Discord bold; everything else escaped."""
    parts = BOLD.split(text)
    return "".join(f"**{escape(p)}**" if i % 2 else escape(p) for i, p in enumerate(parts))


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def headline(text: str, limit: int) -> str:
    """Core text as markdown in `limit` characters: long **bold** names (task titles) are
    clipped first, inside their bold, so the sentence around them ("Shall I go ahead?") stays."""
    head = markdown(text)
    for cap in (MAX_TITLE_IN_LINE, 100, 50, 25):
        if len(head) <= limit:
            return head
        head = markdown(BOLD.sub(lambda m, cap=cap: f"**{clip(m.group(1), cap)}**", text))
    return clip(head, limit)


def task_line(line: TaskLine) -> str:
    title = escape(clip(line.title, MAX_TITLE_IN_LINE))
    if line.url and SAFE_URL.fullmatch(line.url):
        title = f"[{title}]({line.url})"
    parts = [
        line.status or "no status",
        f"due {day(line.due)}" if line.due else "no due date",
        join_names(line.people),
    ]
    if line.project:
        parts.append(line.project)
    return f"• **{title}** — " + " · ".join(escape(p) for p in parts)


def project_line(line: ProjectLine) -> str:
    lead = f"lead: {join_names(line.leads)}" if line.leads else "no lead"
    return f"• **{escape(line.name)}** — " + " · ".join(escape(p) for p in (line.progress or "—", lead))


def _more_tasks(count: int) -> str:
    return f"…and {count} more. Narrow it down, e.g. by project or person."


def _more(count: int) -> str:
    return f"…and {count} more."


def fit(head: str, lines: Sequence[str], hidden: int, limit: int, tail: Callable[[int], str]) -> str:
    """head + as many lines as fit in `limit`, then how many were left out (`hidden` already were)."""
    head = clip(head, limit)
    body, size = [head], len(head)
    for index, line in enumerate(lines):
        left_after = len(lines) - index - 1 + hidden
        reserve = len(tail(left_after)) + 1 if left_after else 0
        if size + 1 + len(line) + reserve > limit:
            hidden += len(lines) - index
            break
        body.append(line)
        size += 1 + len(line)
    if hidden:
        body.append(tail(hidden))
    return clip("\n".join(body), limit)


def describe(reply: Reply, limit: int = MAX_DESCRIPTION) -> str:
    """One reply as an embed description of at most `limit` characters."""
    head = headline(reply.text, limit)
    if reply.tasks:
        return fit(head, [task_line(t) for t in reply.tasks], reply.more, limit, _more_tasks)
    if reply.projects:
        return fit(head, [project_line(p) for p in reply.projects], reply.more, limit, _more)
    if reply.options:
        shown = reply.options[:MAX_OPTIONS]
        lines = [f"**{n}.** {escape(clip(label, MAX_TITLE_IN_LINE))}" for n, label in enumerate(shown, 1)]
        lines.append("Pick one below, or cancel.")
        return fit(head, lines, len(reply.options) - len(shown), limit, _more)
    if reply.decision == "verify":
        return fit(head, [f"Press **{LINK_LABEL}** to enter it."], 0, limit, _more)
    return clip(head, limit)


# ---- embeds ------------------------------------------------------------------------------


def chain(reply: Reply) -> Iterator[Reply]:
    """A reply and its follow-ups (e.g. linked, then the original request answered)."""
    current: Reply | None = reply
    while current is not None:
        yield current
        current = current.follow_up


def embed(reply: Reply, limit: int = MAX_DESCRIPTION) -> discord.Embed:
    return discord.Embed(description=describe(reply, limit), colour=COLOURS.get(reply.decision or ""))


def faded(embeds: Sequence[discord.Embed]) -> list[discord.Embed]:
    """The question a click answered, kept above the result in grey so the message still reads."""
    copies = []
    for old in embeds:
        copy = old.copy()
        copy.colour = FADED
        copies.append(copy)
    return copies


def embeds(reply: Reply, previous: Sequence[discord.Embed] = ()) -> list[discord.Embed]:
    """The reply chain as embeds under `previous`, within Discord's per-message limits."""
    out = list(previous)
    budget = MAX_EMBEDS_TOTAL - sum(len(e) for e in out)
    if budget < MAX_DESCRIPTION:  # history never crowds out the answer
        out, budget = [], MAX_EMBEDS_TOTAL
    for part in chain(reply):
        if budget <= 0:
            break
        made = embed(part, min(MAX_DESCRIPTION, budget))
        budget -= len(made)
        out.append(made)
        if part.details and budget > len(DETAILS):  # the confirmation's long text in full, below it
            more = discord.Embed(
                title=DETAILS,
                description=clip(escape(part.details), min(MAX_DESCRIPTION, budget - len(DETAILS))),
                colour=COLOURS.get(part.decision or ""),
            )
            budget -= len(more)
            out.append(more)
    return out[-10:]


def message(reply: Reply, previous: Sequence[discord.Embed] = ()) -> dict[str, Any]:
    """Keyword arguments for send/edit (the view is added by the client)."""
    return {"embeds": embeds(reply, previous), "allowed_mentions": NO_PINGS}


def notice(text: str) -> dict[str, Any]:
    """A short plain message (ephemeral answers): `text` is core's, escaped."""
    return {"content": headline(text, MAX_CONTENT), "allowed_mentions": NO_PINGS}


# ---- components --------------------------------------------------------------------------

LINK_LABEL = "Link my Notion account"


@dataclass(frozen=True)
class Control:
    """One component a reply asks for. `key` is all its custom_id carries: a pending id, or
    (for the link button) the requester's user id; everything else lives in core's store."""

    kind: str  # confirm | cancel | choose | link
    key: str
    label: str
    options: tuple[str, ...] = ()

    @property
    def custom_id(self) -> str:
        return custom_id(self.kind, self.key)


def custom_id(kind: str, key: str) -> str:
    value = f"darcy:{kind}:{key}"
    if len(value) > MAX_CUSTOM_ID:
        raise ValueError(f"custom_id longer than {MAX_CUSTOM_ID} characters: {value!r}")
    return value


def controls(reply: Reply, requester_id: int | str) -> list[Control]:
    """Components for the first reply of the chain that still waits for an answer."""
    for part in chain(reply):
        if part.needs_answer and part.pending_id:
            cancel = Control("cancel", part.pending_id, "Cancel")
            if part.options:
                labels = tuple(clip(label, 100) for label in part.options[:MAX_OPTIONS])
                return [Control("choose", part.pending_id, "Pick one…", labels), cancel]
            return [Control("confirm", part.pending_id, "Confirm"), cancel]
        if part.decision == "verify":
            return [Control("link", str(requester_id), LINK_LABEL)]
    return []


def disabled(message: discord.Message | None) -> discord.ui.View | None:
    """The message's components, greyed out: answered questions stay visible but inert."""
    if message is None or not message.components:
        return None
    view = discord.ui.View.from_message(message, timeout=None)
    for item in view.walk_children():
        if hasattr(item, "disabled"):
            item.disabled = True  # type: ignore[attr-defined]
    view.stop()  # finished: discord.py does not keep it listening
    return view
