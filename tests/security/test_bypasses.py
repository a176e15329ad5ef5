"""Bypasses found by the security review (../shared/reviews/security.md), each closed: the
same steps as the reproduction, through the whole app, and what the person is told."""

from __future__ import annotations

import pytest

from bot.bootstrap import App
from core.messages import Confirm, HandleRequest
from core.replies import Reply

FORMS = "Send out recruitment forms"  # Dan's task, in Recruitment Drive (Alice leads it)


async def ask(app: App, user: str, text: str) -> Reply:
    return await app.bus.execute(HandleRequest(platform="terminal", user_id=user, text=text))


async def click(app: App, user: str, reply: Reply) -> Reply:
    assert reply.pending_id, reply.text
    return await app.bus.execute(Confirm(platform="terminal", user_id=user, pending_id=reply.pending_id))


async def done(app: App, user: str, text: str) -> Reply:
    """Ask and confirm: the change is made."""
    clicked = await click(app, user, await ask(app, user, text))
    assert clicked.decision == "executed", clicked.text
    return clicked


def task(app: App, title: str) -> dict:
    found = app.emulator.task_by_title(title)
    assert found is not None, title
    return found


# ---- M1: undo is checked like the change it makes ---------------------------------------------------


async def test_undo_refuses_when_someone_else_changed_the_task_since(app: App) -> None:
    await done(app, "dan", f"mark {FORMS} as done")
    await done(app, "carol", f"mark {FORMS} as blocked")
    reply = await ask(app, "dan", "undo")
    assert reply.decision == "deny", reply.text
    assert "changed" in reply.text and "since" in reply.text and "status" in reply.text
    assert task(app, FORMS)["status"] == "Blocked"


async def test_undo_refuses_a_change_the_person_may_no_longer_make(app: App) -> None:
    """Dan's own edit is refused once the task is Eve's: his undo of it is too."""
    await done(app, "dan", f"mark {FORMS} as done")
    await done(app, "carol", f"reassign {FORMS} to Eve")
    reply = await ask(app, "dan", "undo")
    assert reply.decision == "deny", reply.text
    assert task(app, FORMS)["status"] == "Done"


async def test_undoing_a_create_is_an_archive_and_members_may_not_archive(app: App) -> None:
    await done(app, "dan", "create Print flyers")
    reply = await ask(app, "dan", "undo")
    assert reply.decision == "deny", reply.text
    assert "can't archive" in reply.text
    assert not task(app, "Print flyers")["in_trash"]


async def test_a_lead_demoted_to_member_cannot_undo_her_reassignment(app: App) -> None:
    await done(app, "carol", f"reassign {FORMS} to Eve")
    people = app.deps.directory._people  # the admin config, as a restart with carol a member reads it
    carol = next(p for p in people.values() if p.handle == "carol")
    people[carol.email.casefold()] = carol.model_copy(update={"role": "member"})
    reply = await ask(app, "carol", "undo")
    assert reply.decision == "deny" and "Members" in reply.text, reply.text
    assert task(app, FORMS)["assignee_ids"] != []


async def test_undo_is_checked_again_at_the_click(app: App) -> None:
    await done(app, "dan", f"mark {FORMS} as done")
    offer = await ask(app, "dan", "undo")
    assert offer.decision == "confirm", offer.text
    await done(app, "carol", f"mark {FORMS} as blocked")
    clicked = await click(app, "dan", offer)
    assert clicked.decision == "deny", clicked.text
    assert task(app, FORMS)["status"] == "Blocked"


async def test_undo_of_ones_own_change_still_works(app: App) -> None:
    await done(app, "dan", f"mark {FORMS} as done")
    clicked = await click(app, "dan", await ask(app, "dan", "undo"))
    assert clicked.decision == "executed"
    assert task(app, FORMS)["status"] == "In Progress"


async def test_undoing_a_project_move_moves_it_back(app: App) -> None:
    where = task(app, "Recruit judges")["project_ids"]
    await done(app, "carol", "move Recruit judges to Marketing")
    offer = await ask(app, "carol", "undo")
    assert offer.decision == "confirm" and "Hackathon 2026" in offer.text, offer.text
    assert (await click(app, "carol", offer)).decision == "executed"
    assert task(app, "Recruit judges")["project_ids"] == where


# ---- M4: archive = "led" holds across a move -----------------------------------------------------------


async def test_a_lead_cannot_archive_a_task_by_moving_it_into_a_project_they_lead(app: App) -> None:
    denied = await ask(app, "bob", "archive Recruit judges")
    assert denied.decision == "deny"
    await done(app, "bob", "move Recruit judges to Marketing")
    reply = await ask(app, "bob", "archive Recruit judges")
    assert reply.decision == "deny", reply.text
    assert "Hackathon 2026" in reply.text and "Carol" in reply.text
    assert task(app, "Recruit judges")["status"] == "In Progress"


async def test_a_lead_still_archives_in_the_projects_they_lead(app: App) -> None:
    offer = await ask(app, "bob", "archive Update Linktree")
    assert offer.decision == "confirm", offer.text


@pytest.mark.parametrize("mover", ["carol", "alice"])
async def test_a_move_by_someone_entitled_leaves_the_new_lead_free_to_archive(app: App, mover: str) -> None:
    await done(app, mover, "move Recruit judges to Marketing")
    assert (await ask(app, "bob", "archive Recruit judges")).decision == "confirm"


async def test_a_bulk_archive_holds_across_a_move_too(app: App) -> None:
    await done(app, "bob", "move Recruit judges to Marketing")
    reply = await ask(app, "bob", "archive all tasks in Marketing")
    assert reply.decision == "deny" and "Recruit judges" in reply.text, reply.text


# ---- M5: per-person limits ------------------------------------------------------------------------

CAROL_SLACK, DAN_SLACK = "U00001002", "U00001003"


async def on_slack(app: App, user: str, text: str) -> Reply:
    return await app.bus.execute(HandleRequest(platform="slack", user_id=user, text=text))


async def test_one_person_flooding_is_paused_and_nobody_else_is(app: App) -> None:
    answers = [await on_slack(app, DAN_SLACK, "what are my tasks?") for _ in range(20)]
    assert all(a.decision == "execute" for a in answers)
    notion_calls = len(app.emulator.request_log)
    flood = [await on_slack(app, DAN_SLACK, "what are my tasks?") for _ in range(30)]
    assert all(f.decision == "deny" and "try again in" in f.text for f in flood)
    assert len(app.emulator.request_log) == notion_calls  # a refused request costs Notion nothing
    assert (await on_slack(app, CAROL_SLACK, "what are my tasks?")).decision == "execute"


async def test_open_confirmations_are_capped_per_person(app: App) -> None:
    offers = [await on_slack(app, CAROL_SLACK, f"create Flyer run {n}") for n in range(5)]
    assert all(o.decision == "confirm" for o in offers)
    sixth = await on_slack(app, CAROL_SLACK, "create Flyer run 6")
    assert sixth.decision == "deny" and sixth.pending_id is None
    assert "5 confirmations waiting" in sixth.text
    assert (await on_slack(app, DAN_SLACK, "create Flyer run 7")).decision == "confirm"  # only Carol's
    await app.bus.execute(Confirm(platform="slack", user_id=CAROL_SLACK, pending_id=offers[0].pending_id))
    assert (await on_slack(app, CAROL_SLACK, "create Flyer run 8")).decision == "confirm"


async def test_a_stranger_guessing_emails_cannot_make_darcy_read_the_user_list_each_time(app: App) -> None:
    def user_reads() -> int:
        return sum(1 for method, path in app.emulator.request_log if (method, path) == ("GET", "/v1/users"))

    await on_slack(app, "UGUESSER", "what are my tasks?")
    before = user_reads()
    for n in range(10):
        await on_slack(app, "UGUESSER", f"guess{n}@club.example")
    assert user_reads() - before <= 1
