"""Faults between the click and the write: a database that is gone, and a process killed
after the state moved — nothing lost, nothing written twice, the person told the truth."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from bot.bootstrap import App
from core.actions.base import Run
from core.messages import Confirm, HandleRequest
from core.pending import PendingState
from integrations.db.tables import PendingActionRow


async def ask(app: App, user: str, text: str):  # -> Reply
    return await app.bus.execute(HandleRequest(platform="terminal", user_id=user, text=text))


async def test_a_lost_database_is_reported_and_nothing_is_written(app: App) -> None:
    before = app.emulator.tasks()
    offer = await ask(app, "carol", "assign Book photographer to Hiro due Friday in Industry Night")
    await app.db.dispose()  # the database goes away (a deleted file, a dead server)
    app.db.engine = create_async_engine("sqlite+aiosqlite:////nonexistent/dir/darcy.db")
    app.db.sessions.configure(bind=app.db.engine)
    reply = await app.bus.execute(Confirm(platform="terminal", user_id="carol", pending_id=offer.pending_id))
    assert (
        reply.text
        == "I can't reach my own database right now, so I did nothing. Please try again in a minute."
    )
    assert app.emulator.tasks() == before
    reply = await ask(app, "bob", "what are my tasks?")  # nobody whose link is in memory
    assert reply.decision == "error" and "did nothing" in reply.text
    reply = await ask(app, "carol", "what are my tasks?")  # a read by someone just seen still works
    assert reply.decision == "execute" and "Carol Jensen's tasks" in reply.text


async def _interrupted(app: App, user: str, text: str) -> str:
    """A confirmation whose state moved to `confirmed`, then the process died."""
    offer = await ask(app, user, text)
    assert await app.db.pending.transition(offer.pending_id, PendingState.PENDING, PendingState.CONFIRMED)
    return offer.pending_id


async def test_an_interrupted_create_that_landed_is_marked_done_not_redone(app: App) -> None:
    pending_id = await _interrupted(
        app, "carol", "assign Book photographer to Hiro due Friday in Industry Night"
    )
    action = await app.db.pending.get(pending_id)
    tool = app.deps.registry.tool(action.tool)
    await tool.execute(Run(action, None, None, app.deps.ports))  # the write landed, then: kill
    report = await app.recover(older_than=timedelta(0))
    assert report == [f"{pending_id} create_task: executed (found done in Notion after a restart)"]
    assert (await app.db.pending.get(pending_id)).state is PendingState.EXECUTED
    again = await app.bus.execute(Confirm(platform="terminal", user_id="carol", pending_id=pending_id))
    assert again.text == "That's already done."
    assert [t["title"] for t in app.emulator.tasks()].count("Book photographer") == 1


async def test_an_interrupted_update_that_did_not_land_is_reported_failed(app: App) -> None:
    pending_id = await _interrupted(app, "dan", "I've just finished sending out the recruitment forms")
    report = await app.recover(older_than=timedelta(0))
    assert report == [f"{pending_id} update_task: failed (interrupted by a restart; not done)"]
    again = await app.bus.execute(Confirm(platform="terminal", user_id="dan", pending_id=pending_id))
    assert again.text == "That request failed earlier. Nothing was changed."
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "In Progress"
    rows = await app.db.audit.rows(user_id="dan")
    assert rows[-1].decision == "failed"


async def test_recent_confirmations_are_left_to_the_replica_doing_them(app: App) -> None:
    await _interrupted(app, "dan", "I've just finished sending out the recruitment forms")
    assert await app.recover() == []  # moved under a minute ago: still in flight


async def test_a_confirmation_altered_in_the_database_is_not_executed(app: App) -> None:
    offer = await ask(app, "carol", "assign Book photographer to Hiro due Friday in Industry Night")
    async with app.db.sessions() as session:  # someone with database access rewrites the plan
        row = await session.get(PendingActionRow, offer.pending_id)
        tampered = row.plan_json.replace("Book photographer", "Delete everything")
        await session.exec(
            update(PendingActionRow).where(PendingActionRow.id == offer.pending_id).values(plan_json=tampered)
        )
        await session.commit()
    reply = await app.bus.execute(Confirm(platform="terminal", user_id="carol", pending_id=offer.pending_id))
    assert reply.text == "That request changed after you were asked, so I stopped. Nothing was changed."
    assert app.emulator.task_by_title("Delete everything") is None
    assert (await app.db.pending.get(offer.pending_id)).state is PendingState.FAILED
