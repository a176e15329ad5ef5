"""Re-applying a command's change to a conversation another message wrote meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime

from core.conversation import Conversation, Conversations, Key, MemoryConversationStore, Stored, rebase
from core.tools import ToolCall

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
KEY = ("slack", "C1", "U1")

CREATE = ToolCall(tool="create_task", args={"title": "Book photographer", "due": "monday"})
FRIDAY = ToolCall(tool="create_task", args={"title": "Book photographer", "due": "friday"})
CAROL = ToolCall(tool="create_task", args={"title": "Book photographer", "assignees": ["Hiro", "Carol"]})
LIST = ToolCall(tool="list_tasks", args={"assignee": "Priya"})


def test_what_this_message_changed_replaces_theirs_and_its_turn_follows_theirs() -> None:
    base = Conversation(turns=["hi"])
    mine = Conversation(turns=["hi", "show me Priya's"], last_call=LIST)
    theirs = Conversation(turns=["hi", "assign"], last_call=CREATE, open_pending="p1", awaiting_email=False)
    merged = rebase(base, mine, theirs)
    assert merged == Conversation(turns=["hi", "assign", "show me Priya's"], last_call=LIST)


def test_what_only_they_changed_is_kept() -> None:
    base = Conversation(turns=["a"])
    mine = Conversation(turns=["a", "b"], awaiting_email=True)
    theirs = Conversation(turns=["a", "c"], last_call=CREATE, open_pending="p1")
    merged = rebase(base, mine, theirs)
    assert merged == Conversation(
        turns=["a", "c", "b"], awaiting_email=True, last_call=CREATE, open_pending="p1"
    )


def test_two_amendments_of_one_confirmation_are_not_merged() -> None:
    base = Conversation(turns=["assign"], last_call=CREATE, open_pending="p0")
    mine = Conversation(turns=["assign", "make it Friday"], last_call=FRIDAY, open_pending="p1")
    mine.replacing("p0")
    theirs = Conversation(turns=["assign", "also Carol"], last_call=CAROL, open_pending="p2")
    assert rebase(base, mine, theirs) is None


def test_a_new_request_beside_another_is_not_an_amendment() -> None:
    base = Conversation(turns=["assign"], last_call=CREATE, open_pending="p0")
    mine = Conversation(turns=["assign", "assign Print flyers"], last_call=FRIDAY, open_pending="p1")
    theirs = Conversation(turns=["assign", "assign Order pizza"], last_call=CAROL, open_pending="p2")
    merged = rebase(base, mine, theirs)  # as if it came second: its confirmation is the open one
    assert merged is not None and (merged.last_call, merged.open_pending) == (FRIDAY, "p1")
    assert merged.turns == ["assign", "assign Order pizza", "assign Print flyers"]


def test_turns_stay_few() -> None:
    base = Conversation(turns=[str(i) for i in range(6)])
    mine = Conversation(turns=[*base.turns[1:], "mine"])
    theirs = Conversation(turns=[*base.turns[1:], "theirs"])
    merged = rebase(base, mine, theirs)
    assert merged is not None and merged.turns == ["2", "3", "4", "5", "theirs", "mine"]


class CountingStore(MemoryConversationStore):
    def __init__(self) -> None:
        super().__init__()
        self.loads = 0

    async def load(self, key: Key, now: datetime) -> Stored:
        self.loads += 1
        return await super().load(key, now)


async def said(conversations: Conversations, text: str) -> None:
    """One command: the conversation read, a turn added, written."""
    with conversations.command() as opened:
        (await conversations.get(KEY, NOW)).said(text)
        await conversations.settle(opened, NOW)


async def test_a_conversation_is_read_once_a_command_and_written_only_when_it_changed() -> None:
    store = CountingStore()
    conversations = Conversations(store)
    await said(conversations, "one")
    with conversations.command() as opened:
        await conversations.get(KEY, NOW)
        assert await conversations.get(KEY, NOW) is await conversations.get(KEY, NOW)  # once a command
        settled = await conversations.settle(opened, NOW)
    assert store.loads == 2 and settled.writes == 0
