"""Core replies as Slack Block Kit, and Slack's message markup back to plain text.

Everything a reply echoes (task titles, names, what the person typed) is user-derived, so
`&`, `<` and `>` are escaped in every text Slack parses: otherwise a task called
`<!channel>` would notify a whole channel, and `<https://evil|Confirm>` would be a link.
Core's `**bold**` becomes Slack's `*bold*`; nothing else is interpreted.

Slack counts a limit on the text as sent, entities included: text is escaped first and clipped
after, on a whole entity, link or mention (`clip`). A message's block text stays under what
Slack takes in one message (`MAX_TEXT`): long task titles are clipped first, so the sentence
around them ("Shall I go ahead?") survives, and text over one section's limit continues in
the next section instead of being cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from core.replies import ProjectLine, Reply, TaskLine
from core.wording import day

# Action ids a click comes back with; a button's value carries only the pending id.
CONFIRM = "darcy_confirm"
CANCEL = "darcy_cancel"
CHOOSE = "darcy_choose"  # the select menu; buttons are darcy_choose:<n> (ids must be unique in a block)
LINK = "darcy_link"  # "Link my Notion account": opens the e-mail modal
LINK_VIEW = "darcy_link_email"  # the modal's callback id
EMAIL_BLOCK, EMAIL_INPUT = "email", "email_input"

# Slack's limits (Block Kit reference): blocks per message, section text, plain_text in
# buttons and options, options in a static select, buttons before a select reads better.
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_LABEL = 75
MAX_OPTIONS = 100
MAX_BUTTONS = 5
# All the block text of one message. Slack refuses more with `msg_blocks_too_long`; the limit is
# undocumented (refusals reported from ~11.3k characters: slackapi/bolt-js #2509, #2867).
MAX_TEXT = 10_000
MAX_TITLE_IN_LINE = 200  # a list stays a list even when someone pastes a paragraph as a title (as on Discord)
MAX_FALLBACK = 3_000  # the notification text

BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
SAFE_URL = re.compile(r"https?://[^\s|<>]+")
# What a cut must never split: an entity, or a <link|label>, <@mention>, <!special>.
ATOM = re.compile(r"&(?:amp|lt|gt);|<[^<>\n]*>")


def escape(text: str) -> str:
    """The three characters Slack reads as markup, as entities (`&` first)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """Core text as mrkdwn: `**x**` → `*x*`, everything else escaped."""
    parts = BOLD.split(text)
    return "".join(f"*{escape(p)}*" if i % 2 else escape(p) for i, p in enumerate(parts))


def plain(text: str) -> str:
    """Core text for notifications and plain_text fields: bold markers dropped, escaped."""
    return escape(BOLD.sub(r"\1", text))


def _cut(text: str, at: int) -> int:
    """`at`, or the start of the entity, link or mention it would fall inside."""
    for atom in ATOM.finditer(text):
        if atom.end() > at:
            return atom.start() if atom.start() < at else at
    return at


def clip(text: str, limit: int, *, bold: bool = False) -> str:
    """Escaped text in at most `limit` characters, `…` where it was cut, never inside `&amp;`,
    a link or a mention; in mrkdwn (`bold`), a `*bold*` cut open is closed again."""
    if len(text) <= limit:
        return text
    kept = text[: _cut(text, limit - 2)].rstrip()
    return kept + ("…*" if bold and kept.count("*") % 2 else "…")


def _label(text: str, limit: int = MAX_LABEL) -> dict[str, Any]:
    """A plain_text object: escaped, then clipped on a whole entity (Slack counts `&amp;` as 5)."""
    return {"type": "plain_text", "text": clip(escape(BOLD.sub(r"\1", text)), limit), "emoji": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION, bold=True)}}


def _sections(text: str) -> list[dict[str, Any]]:
    """Text longer than one section continues in the next: split at a line, else a space,
    never inside an entity, link or mention."""
    parts: list[str] = []
    room = MAX_SECTION - 2  # for a *bold* closed at the end of a part and opened at the next
    while len(text) > MAX_SECTION:
        at = text.rfind("\n", 0, room)
        if at < room // 2:
            at = text.rfind(" ", 0, room)
        at = _cut(text, at if at > 0 else room)
        if at <= 0:  # one atom longer than a section: nothing better than a clip
            break
        part, text = text[:at].rstrip(), text[at:].lstrip()
        if part.count("*") % 2:
            part, text = part + "*", "*" + text
        parts.append(part)
    parts.append(text)
    return [_section(p) for p in parts if p.strip()] or [_section(text)]


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, MAX_SECTION, bold=True)}]}


def text_size(node: Any) -> int:
    """The characters of block text Slack counts against one message: every `text` string."""
    if isinstance(node, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else text_size(v) for k, v in node.items())
    if isinstance(node, list):
        return sum(text_size(item) for item in node)
    return 0


def _capped(text: str, cap: int | None) -> str:
    """Core text with each **bold** name (task titles, mostly) at most `cap` characters."""
    if cap is None:
        return text
    return BOLD.sub(lambda m: f"**{_plain_clip(m.group(1), cap)}**", text)


def _plain_clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fit(make: Callable[[int | None], str], budget: int, *, bold: bool = True) -> str:
    """`make(cap)` with the largest cap on names that fits `budget`; failing that, its start
    and end (the question is at the end) with the middle left out."""
    text = ""
    for cap in (None, MAX_TITLE_IN_LINE, 100, 50, 25):
        text = make(cap)
        if len(text) <= budget:
            return text
    tail = budget // 3
    start = len(text) - tail
    for atom in ATOM.finditer(text):  # the end starts after any atom it would cut
        if atom.start() < start < atom.end():
            start = atom.end()
    end = text[start:]
    return clip(text, budget - len(end) - 1, bold=bold) + " " + end


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": _label(text), "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


# ---- lists ---------------------------------------------------------------------------------


def _task(line: TaskLine) -> list[dict[str, Any]]:
    title = clip(escape(line.title), MAX_TITLE_IN_LINE)
    if line.url and SAFE_URL.fullmatch(line.url):
        title = f"<{escape(line.url)}|{title}>"
    facts = [line.status or "No status", f"Due {day(line.due)}" if line.due else "No due date"]
    facts += [p for p in (line.project, ", ".join(line.people)) if p]
    return [_section(f"*{title}*"), _context(" · ".join(escape(f) for f in facts))]


def _project(line: ProjectLine) -> list[dict[str, Any]]:
    facts = [line.progress or "No progress set"]
    if line.leads:
        facts.append("Led by " + ", ".join(line.leads))
    return [_section(f"*{escape(line.name)}*"), _context(" · ".join(escape(f) for f in facts))]


def _lines(
    groups: list[list[dict[str, Any]]], more: int, room: int, chars: int = MAX_TEXT
) -> list[dict[str, Any]]:
    """As many items as fit in `room` blocks and `chars` characters, then a line saying how
    many were left out."""
    shown: list[dict[str, Any]] = []
    size = 80  # the "…and N more" line
    for index, group in enumerate(groups):
        size += text_size(group)
        if len(shown) + len(group) + 1 > room or size > chars:
            more += len(groups) - index
            break
        shown += group
    if more:
        shown.append(_context(f"…and {more} more. Narrow it down, e.g. by project or person."))
    return shown


# ---- questions -----------------------------------------------------------------------------


def _controls(reply: Reply, requester: str) -> list[dict[str, Any]]:
    """The components that answer a question: Confirm/Cancel, the options, or the link button."""
    pending = reply.pending_id
    if reply.decision == "verify":
        link = _button("Link my Notion account", LINK, requester, "primary")
        return [{"type": "actions", "elements": [link]}]
    if not reply.needs_answer or pending is None:
        return []
    cancel = _button("Cancel", CANCEL, pending)
    if not reply.options:
        return [{"type": "actions", "elements": [_button("Confirm", CONFIRM, pending, "primary"), cancel]}]
    labels = [f"{n}) {label}" for n, label in enumerate(reply.options[:MAX_OPTIONS], 1)]
    if len(labels) <= MAX_BUTTONS:
        elements = [_button(text, f"{CHOOSE}:{n}", f"{pending}:{n}") for n, text in enumerate(labels)]
        return [{"type": "actions", "elements": [*elements, cancel]}]
    select = {
        "type": "static_select",
        "action_id": CHOOSE,
        "placeholder": _label("Pick one"),
        "options": [{"text": _label(text), "value": f"{pending}:{n}"} for n, text in enumerate(labels)],
    }
    return [{"type": "actions", "elements": [select, cancel]}]


def _text(reply: Reply, cap: int | None = None) -> str:
    text = mrkdwn(_capped(reply.text, cap))
    if reply.options:  # written out in full too: labels in buttons and menus are clipped at 75
        text += "\n" + "\n".join(
            f"{n}) {escape(label if cap is None else _plain_clip(label, cap))}"
            for n, label in enumerate(reply.options, 1)
        )
    return text


def _blocks(reply: Reply, requester: str, room: int, chars: int = MAX_TEXT) -> list[dict[str, Any]]:
    controls = _controls(reply, requester)
    reserve = 3 if reply.follow_up is not None else 0  # a divider, a heading and a "more" line
    budget = max(chars - text_size(controls) - (chars // 2 if reply.follow_up is not None else 0), 300)
    head = _sections(_fit(lambda cap: _text(reply, cap), budget))
    if reply.details:  # a confirmation's long text in full, below the change list it followed
        head += _sections(clip("*Details*\n" + escape(reply.details), max(budget - text_size(head), 300)))
    body: list[dict[str, Any]] = []
    list_room = room - len(head) - len(controls) - reserve
    list_chars = budget - text_size(head)
    if reply.tasks:
        body += _lines([_task(t) for t in reply.tasks], reply.more, list_room, list_chars)
    elif reply.more:
        body += _lines([], reply.more, list_room, list_chars)
    if reply.projects:
        body += _lines(
            [_project(p) for p in reply.projects], 0, list_room - len(body), list_chars - text_size(body)
        )
    blocks = head + body + controls
    if reply.follow_up is not None:
        rest = _blocks(reply.follow_up, requester, room - len(blocks) - 1, chars - text_size(blocks))
        blocks += [{"type": "divider"}, *rest]
    return blocks


def fallback(reply: Reply, limit: int = MAX_FALLBACK) -> str:
    """The notification and screen-reader text: never markup, never a mention."""
    text = _fit(lambda cap: plain(_capped(reply.text, cap)), limit, bold=False)
    if reply.follow_up is None or len(text) + 2 > limit:
        return text
    return f"{text}\n{fallback(reply.follow_up, limit - len(text) - 1)}"


def message(reply: Reply, *, requester: str = "") -> dict[str, Any]:
    """`text` and `blocks` for chat.postMessage, chat.update, chat.postEphemeral or a response_url.

    `requester` is the Slack user the reply answers: the link button carries it so only
    they can open the e-mail form."""
    return {"text": fallback(reply), "blocks": _blocks(reply, requester, MAX_BLOCKS)}


def email_modal(private_metadata: str) -> dict[str, Any]:
    """The modal asking for the Notion e-mail; private_metadata says where to answer."""
    return {
        "type": "modal",
        "callback_id": LINK_VIEW,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "Link Notion"},
        "submit": {"type": "plain_text", "text": "Continue"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": EMAIL_BLOCK,
                "label": {"type": "plain_text", "text": "Your Notion account's e-mail"},
                "element": {
                    "type": "email_text_input",
                    "action_id": EMAIL_INPUT,
                    "placeholder": {"type": "plain_text", "text": "you@club.example"},
                },
                "hint": {"type": "plain_text", "text": "I'll ask you to confirm before linking."},
            }
        ],
    }


# ---- incoming text -------------------------------------------------------------------------

_LINK = re.compile(r"<(?P<target>[^<>|]+)(?:\|(?P<label>[^<>]*))?>")
USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def from_slack(text: str) -> str:
    """What the person typed, from Slack's markup: links and e-mails (Slack wraps them as
    `<mailto:a@b|a@b>`) become their text, channels `#name`; user mentions stay `<@U…>` (core
    resolves them) and so do special mentions like `<!channel>` (literal text to core)."""

    def plain_link(match: re.Match[str]) -> str:
        target, label = match.group("target"), match.group("label")
        if target.startswith(("@", "!")):
            return f"<{target}>"
        if target.startswith("#"):
            return f"#{label}" if label else target
        return label or target.removeprefix("mailto:")

    return unescape(_LINK.sub(plain_link, text))


def unescape(text: str) -> str:
    """Slack's three entities back to characters (`&amp;` last, so `&amp;lt;` stays `&lt;`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
