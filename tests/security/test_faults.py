"""Faults through the whole app — a person's request or click, Darcy, and the emulators behind:
Notion rate-limited, failing, slow or losing answers; every LLM failing in its own way; Darcy's
own database locked. The person always gets an answer that says what happened, and a write
happens exactly once or not at all.

tests/integration/test_notion_resilience.py and test_llm_planner.py show the same faults at the
store and the planner; tests/e2e/test_reliability.py a lost database and a killed process.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import pytest
import pytest_asyncio
from rigs.openai_server import OpenAIServer, error, slow, text, tool_call
from sqlalchemy import event

from bot.bootstrap import App, bootstrap
from core.config import load_settings
from core.messages import Confirm, HandleRequest
from core.pending import PendingState
from core.replies import Reply
from integrations.llm.planner import OUTAGE_NOTICE

# The production retry policy with short waits, and a 0.3 s timeout, so faults play out quickly.
FAST = {"retry_initial_seconds": 0.01, "retry_max_seconds": 0.05, "timeout_seconds": 0.3}
ASSIGN = "assign Book photographer to Hiro due Friday in Industry Night"
NOTHING = "Nothing was changed."
DB_DOWN = "I can't reach my own database right now, so I did nothing. Please try again in a minute."
CAROLS = [
    "Confirm venue booking",
    "Recruit judges",
    "Invite industry speakers",
    "Prepare interview questions",
]


@pytest.fixture
async def app(clock) -> AsyncIterator[App]:  # this module's Darcy: conftest's, with FAST Notion settings
    application = await bootstrap(load_settings(notion=FAST), clock=clock)
    try:
        yield application
    finally:
        await application.aclose()


async def ask(app: App, user: str, words: str) -> Reply:
    return await app.bus.execute(HandleRequest(platform="terminal", user_id=user, text=words))


async def click(app: App, user: str, pending_id: str | None) -> Reply:
    assert pending_id, "no confirmation was offered"
    return await app.bus.execute(Confirm(platform="terminal", user_id=user, pending_id=pending_id))


def pages(app: App, title: str = "Book photographer") -> int:
    return sum(1 for t in app.emulator.tasks() if t["title"] == title and not t["in_trash"])


def sent(app: App, method: str, path: str) -> int:
    return sum(1 for m, p in app.emulator.request_log if m == method and p.startswith(path))


async def state(app: App, pending_id: str | None) -> PendingState:
    action = await app.db.pending.get(pending_id or "")
    assert action is not None
    return action.state


# ---- Notion: rate limits and outages during a request ---------------------------------------------------


async def test_a_read_through_a_429_storm_is_answered(app: App) -> None:
    app.emulator.rate_limit_storm(3, retry_after=0.05)
    reply = await ask(app, "carol", "what are my tasks?")
    assert reply.decision == "execute" and sorted(t.title for t in reply.tasks or []) == sorted(CAROLS)
    assert len(app.emulator.faults.fired) == 3


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ({"status": 429, "code": "rate_limited", "times": 50, "retry_after": 0}, "rate limiting"),
        ({"status": 503, "code": "service_unavailable", "times": 50}, "Notion is unavailable"),
    ],
    ids=["endless-429", "lasting-503"],
)
async def test_notion_refusing_a_request_is_reported_and_nothing_is_offered(
    app: App,
    fault: dict[str, Any],
    said: str,
) -> None:
    before = app.emulator.tasks()
    app.emulator.fail_next(**fault)
    for words in ("what are my tasks?", ASSIGN, "mark Recruit judges as done"):
        reply = await ask(app, "carol", words)
        assert reply.decision == "error" and reply.pending_id is None
        assert reply.text.startswith("I couldn't reach Notion:") and said in reply.text
        assert reply.text.endswith(NOTHING)
    app.emulator.faults.clear()
    assert app.emulator.tasks() == before
    assert (await ask(app, "carol", "what are my tasks?")).decision == "execute"  # and back


async def test_a_5xx_blip_during_a_request_is_retried_unseen(app: App) -> None:
    app.emulator.fail_next(503, "service_unavailable", times=2, path="/query")
    reply = await ask(app, "dan", "I've finished sending out the recruitment forms")
    assert reply.decision == "confirm", reply.text


# ---- Notion: faults at the click -----------------------------------------------------------------------


async def test_a_confirm_through_a_429_storm_creates_one_page(app: App) -> None:
    offer = await ask(app, "carol", ASSIGN)
    app.emulator.rate_limit_storm(4, retry_after=0.02, methods=["POST"], path="/v1/pages")
    reply = await click(app, "carol", offer.pending_id)
    assert reply.decision == "executed" and reply.text.startswith("Done: created")
    assert pages(app) == 1 and len(app.emulator.faults.fired) == 4


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ({"status": 429, "code": "rate_limited", "times": 50, "retry_after": 0}, "rate limiting"),
        ({"status": 503, "code": "service_unavailable", "times": 50}, "Notion is unavailable"),
        ({"status": 400, "code": "validation_error", "times": 1}, "Notion"),
    ],
    ids=["endless-429", "lasting-503", "validation-error"],
)
async def test_a_create_notion_refuses_is_reported_once_and_never_made(
    app: App,
    fault: dict[str, Any],
    said: str,
) -> None:
    offer = await ask(app, "carol", ASSIGN)
    app.emulator.fail_next(**fault, methods=["POST"], path="/v1/pages")
    reply = await click(app, "carol", offer.pending_id)
    assert reply.decision == "error"
    assert reply.text.startswith("Notion didn't accept the change:") and said in reply.text
    assert reply.text.endswith(NOTHING)
    app.emulator.faults.clear()
    assert pages(app) == 0 and await state(app, offer.pending_id) is PendingState.FAILED
    again = await click(app, "carol", offer.pending_id)  # clicking again does not retry it
    assert again.text == "That request failed earlier. Nothing was changed." and pages(app) == 0


@pytest.mark.parametrize(
    "lost",
    [
        {"status": 504, "code": "gateway_timeout"},
        {"status": 500, "code": "internal_server_error"},
        {"drop": True},
        {"delay": 0.5},  # the answer comes after the client's 0.3 s timeout: a timeout mid-write
    ],
    ids=["504", "500", "dropped", "timeout"],
)
async def test_a_create_whose_answer_is_lost_mid_write_makes_exactly_one_page(
    app: App,
    lost: dict[str, Any],
) -> None:
    offer = await ask(app, "carol", ASSIGN)
    app.emulator.lose_next_answer(**lost)
    reply = await click(app, "carol", offer.pending_id)
    assert reply.decision == "executed" and reply.text.startswith("Done: created **Book photographer**")
    assert len(app.emulator.faults.fired) == 1  # the answer was lost, the page landed
    assert pages(app) == 1 and sent(app, "POST", "/v1/pages") == 1
    assert await state(app, offer.pending_id) is PendingState.EXECUTED


async def test_an_update_and_a_comment_with_lost_answers_happen_once(app: App) -> None:
    offer = await ask(app, "dan", "mark Send out recruitment forms as done")
    app.emulator.fail_next(502, "bad_gateway", methods=["PATCH"])
    assert (await click(app, "dan", offer.pending_id)).decision == "executed"
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "Done"
    offer = await ask(app, "dan", "comment on Order catering: can we get a vegan option?")
    app.emulator.lose_next_answer(path="/v1/comments")
    assert (await click(app, "dan", offer.pending_id)).decision == "executed"
    catering = app.emulator.task_by_title("Order catering")["id"]
    assert app.emulator.comments(catering) == ["can we get a vegan option?"]


async def test_a_notion_too_slow_for_the_timeout_is_reported_and_a_slow_one_is_waited_for(app: App) -> None:
    app.emulator.latency = 0.1  # under the 0.3 s timeout
    assert (await ask(app, "carol", "what are my tasks?")).decision == "execute"
    app.emulator.latency = 0.45
    reply = await ask(app, "carol", "what are my tasks?")
    assert reply.decision == "error" and "Notion did not answer in time" in reply.text
    assert reply.text.endswith(NOTHING)


async def test_a_failure_reading_the_task_before_the_write_writes_nothing(app: App) -> None:
    offer = await ask(app, "dan", "mark Send out recruitment forms as done")
    app.emulator.fail_next(503, "service_unavailable", times=10, methods=["GET"])
    reply = await click(app, "dan", offer.pending_id)
    assert reply.decision == "error" and reply.text.endswith(NOTHING)
    assert sent(app, "PATCH", "/v1/pages/") == 0
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "In Progress"


# Bug: after a write whose answer was lost, a failure of whatever follows (the check for the lost
# create, the retries of the update) is reported as "Nothing was changed." and the action marked
# failed, though the change is in Notion. The person, told nothing happened, asks again: a second
# page. (Never two pages from one click: only the reply and the record are wrong.)


async def test_a_create_that_landed_is_not_reported_as_nothing_changed_when_the_check_fails(app: App) -> None:
    offer = await ask(app, "carol", ASSIGN)
    app.emulator.lose_next_answer()  # the page is made, the answer lost…
    app.emulator.fail_next(503, "service_unavailable", times=20, path="/query")  # …and the check fails
    reply = await click(app, "carol", offer.pending_id)
    assert pages(app) == 1  # never two
    assert NOTHING not in reply.text, reply.text
    assert await state(app, offer.pending_id) is not PendingState.FAILED


async def test_an_update_that_landed_is_not_reported_as_nothing_changed(app: App) -> None:
    offer = await ask(app, "dan", "mark Send out recruitment forms as done")
    app.emulator.lose_next_answer(methods=["PATCH"], path="/v1/pages/")
    app.emulator.fail_next(503, "service_unavailable", times=10, methods=["PATCH"])
    reply = await click(app, "dan", offer.pending_id)
    assert app.emulator.task_by_title("Send out recruitment forms")["status"] == "Done"
    assert NOTHING not in reply.text, reply.text


async def test_a_create_under_a_notion_slower_than_the_timeout_is_not_reported_as_nothing_changed(
    app: App,
) -> None:
    offer = await ask(app, "carol", ASSIGN)
    app.emulator.latency = 0.45  # every answer, the create's and the check's, comes too late
    reply = await click(app, "carol", offer.pending_id)
    app.emulator.latency = 0
    await asyncio.sleep(0.5)  # requests still in the server finish
    assert pages(app) == 1  # the create landed, once
    assert NOTHING not in reply.text, reply.text


# ---- Darcy's own database, locked ----------------------------------------------------------------------


@pytest.fixture
def short_busy_wait(app: App) -> Iterator[None]:
    """SQLite waits 5 s for a lock (busy_timeout) before failing: 0.1 s here, on new connections."""

    def pragma(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.cursor().execute("PRAGMA busy_timeout=100")

    event.listen(app.db.engine.sync_engine, "connect", pragma)
    yield
    event.remove(app.db.engine.sync_engine, "connect", pragma)


async def test_a_locked_database_is_reported_and_nothing_is_written(app: App, short_busy_wait: None) -> None:
    offer = await ask(app, "carol", ASSIGN)
    await app.db.dispose()  # new connections, with the short busy wait
    before_tasks, before_writes = app.emulator.tasks(), sent(app, "POST", "/v1/pages")
    lock = sqlite3.connect(app.db.url.split(":///", 1)[1], isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        for reply in [
            await click(app, "carol", offer.pending_id),
            await ask(app, "carol", "assign Print flyers to Priya due Friday"),
            await ask(app, "dan", "I've just finished sending out the recruitment forms"),
        ]:
            assert (reply.decision, reply.text) == ("error", DB_DOWN)
        assert app.emulator.tasks() == before_tasks and sent(app, "POST", "/v1/pages") == before_writes
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert await state(app, offer.pending_id) is PendingState.PENDING  # the click moved nothing
    assert (await click(app, "carol", offer.pending_id)).decision == "executed"
    assert pages(app) == 1 and app.emulator.task_by_title("Print flyers") is None


# ---- LLM failures through the whole app ----------------------------------------------------------------

PRIMARY, SECONDARY = "openai/primary-model", "openai/secondary-model"
SERVED = {PRIMARY: "primary-model", SECONDARY: "secondary-model"}  # the rig sees names without the provider
NOW = datetime.fromisoformat("2026-11-18T10:00:00+11:00")
llm_loop = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def llm_rig() -> AsyncIterator[OpenAIServer]:
    async with OpenAIServer() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def llm_app(llm_rig: OpenAIServer) -> AsyncIterator[App]:
    settings = load_settings(
        notion=FAST,
        planner={
            "kind": "llm",
            "models": [PRIMARY, SECONDARY],
            "api_base": llm_rig.base_url,
            "timeout_seconds": 0.5,
        },
    )
    application = await bootstrap(settings, clock=lambda: NOW)
    # litellm's import and its first call's lazy imports (≈6 s) are paid here, with time to spare,
    # not inside a 0.5 s timeout under test.
    planner: Any = application.deps.planner.inner  # the LLM planner inside its tracing
    await planner.warm_up()
    planner.settings.timeout_seconds = 10
    llm_rig.script(text("Hello!"))
    await ask(application, "carol", "hello")
    planner.settings.timeout_seconds = 0.5
    yield application
    await application.aclose()


@pytest.fixture
def llm(llm_rig: OpenAIServer) -> Iterator[OpenAIServer]:
    llm_rig.reset()
    yield llm_rig
    assert llm_rig.pending == 0 and llm_rig.unscripted == 0, "the script did not play out"


CAROLS_CALL = tool_call("list_tasks", {"assignee": "me"})
MALFORMED = tool_call("list_tasks", '{"assignee": "me",')


@llm_loop
@pytest.mark.parametrize(
    ("script", "models"),
    [
        ([error(429, "Rate limit reached"), CAROLS_CALL], [PRIMARY, SECONDARY]),
        ([error(500), CAROLS_CALL], [PRIMARY, SECONDARY]),
        ([slow(3, CAROLS_CALL), CAROLS_CALL], [PRIMARY, SECONDARY]),
        ([MALFORMED, CAROLS_CALL], [PRIMARY, PRIMARY]),  # one repair round, on the model that erred
    ],
    ids=["429", "500", "timeout", "malformed-then-repaired"],
)
async def test_a_failing_model_is_replaced_by_the_next_and_the_person_does_not_notice(
    llm_app: App,
    llm: OpenAIServer,
    script: list[Any],
    models: list[str],
) -> None:
    llm.script(*script)
    reply = await ask(llm_app, "carol", "what's on my plate?")
    assert reply.decision == "execute" and sorted(t.title for t in reply.tasks or []) == sorted(CAROLS)
    assert OUTAGE_NOTICE not in reply.text
    assert llm.models() == [SERVED[m] for m in models]


@llm_loop
@pytest.mark.parametrize(
    "script",
    [
        [error(429, "Rate limit reached"), error(503)],
        [error(500), error(502)],
        [slow(3), slow(3)],
    ],
    ids=["429s", "5xx", "timeouts"],
)
async def test_when_every_model_fails_the_offline_planner_answers_and_says_so(
    llm_app: App,
    llm: OpenAIServer,
    script: list[Any],
) -> None:
    llm.script(*script)
    reply = await ask(llm_app, "carol", "what are my tasks?")
    assert reply.text.startswith(OUTAGE_NOTICE)
    assert reply.decision == "execute" and sorted(t.title for t in reply.tasks or []) == sorted(CAROLS)


@llm_loop
@pytest.mark.parametrize(
    "script",
    [
        [MALFORMED, MALFORMED],
        [tool_call("drop_all_tasks", {}), tool_call("drop_all_tasks", {})],
        [tool_call("list_tasks", {"assignee": 42, "limit": "all"})] * 2,
    ],
    ids=["bad-json", "unknown-tool", "bad-arguments"],
)
async def test_a_model_malformed_twice_gives_the_offline_answer(
    llm_app: App,
    llm: OpenAIServer,
    script: list[Any],
) -> None:
    llm.script(*script)
    reply = await ask(llm_app, "carol", "what are my tasks?")
    assert reply.decision == "execute" and sorted(t.title for t in reply.tasks or []) == sorted(CAROLS)


@llm_loop
async def test_a_write_during_an_outage_is_understood_offline_and_confirmed_once(
    llm_app: App,
    llm: OpenAIServer,
) -> None:
    llm.script(error(503), error(503))
    offer = await ask(llm_app, "carol", "assign Book photographer to Hiro due Friday in Industry Night")
    assert offer.text.startswith(OUTAGE_NOTICE) and offer.decision == "confirm"
    replies = await asyncio.gather(*(click(llm_app, "carol", offer.pending_id) for _ in range(3)))
    assert [r.decision for r in replies].count("executed") == 1
    assert pages(llm_app) == 1 and llm.calls == 2  # a click costs no model call
