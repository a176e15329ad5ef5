"""Re-applying a command's change to a conversation another message wrote meanwhile."""

from __future__ import annotations

from core.conversation import Conversation, rebase
from core.tools import ToolCall

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
    theirs = Conversation(turns=["assign", "also Carol"], last_call=CAROL, open_pending="p2")
    assert rebase(base, mine, theirs) is None


def test_turns_stay_few() -> None:
    base = Conversation(turns=[str(i) for i in range(6)])
    mine = Conversation(turns=[*base.turns[1:], "mine"])
    theirs = Conversation(turns=[*base.turns[1:], "theirs"])
    merged = rebase(base, mine, theirs)
    assert merged is not None and merged.turns == ["2", "3", "4", "5", "theirs", "mine"]
