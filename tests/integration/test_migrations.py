"""The schema's migrations (integrations/db/migrations), on SQLite and on PostgreSQL: a new
database, one made by create_all before alembic, duplicates removed by 0003, starts that run
together; then the one-link-per-Notion-user rule they add, from the repository to the person
who clicks and the admin's `darcy link`.

PostgreSQL comes from tests/pg.py: a throw-away server when the binaries are installed,
otherwise those variants are skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel
from structlog.testing import capture_logs
from typer.testing import CliRunner

from bot.bootstrap import App, bootstrap
from core.config import load_settings
from core.identity import LinkTaken
from core.messages import Confirm, HandleRequest
from core.pending import PendingState
from integrations.db import migrations
from integrations.db.database import Database
from integrations.db.identity import SqlIdentityRepository

HEAD = ScriptDirectory.from_config(migrations.config()).get_current_head()
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

# The schema as create_all made it before alembic: a copy, never the current models.
OLD = sa.MetaData()
sa.Table(
    "identity_link",
    OLD,
    sa.Column("platform", sa.String(), primary_key=True),
    sa.Column("platform_user_id", sa.String(), primary_key=True),
    sa.Column("notion_user_id", sa.String(), nullable=False, index=True),
    sa.Column("via", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "pending_action",
    OLD,
    sa.Column("id", sa.String(), primary_key=True),
    *(
        sa.Column(name, sa.String(), nullable=False)
        for name in ("kind", "platform", "user_id", "channel_id", "tool", "plan_json", "options_json")
    ),
    *(sa.Column(name, sa.String(), nullable=False) for name in ("summary", "text", "args_hash")),
    sa.Column("state", sa.String(), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("correlation_id", sa.String(), nullable=False),
    sa.Column("result_json", sa.String()),
    sa.Column("moved_at", sa.DateTime(timezone=True)),
)
sa.Table(
    "audit",
    OLD,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    *(sa.Column(name, sa.String(), nullable=False) for name in ("correlation_id", "platform", "user_id")),
    sa.Column("notion_user_id", sa.String()),
    sa.Column("text", sa.String(), nullable=False),
    sa.Column("tool", sa.String()),
    sa.Column("args_json", sa.String(), nullable=False),
    sa.Column("decision", sa.String(), nullable=False),
    *(sa.Column(name, sa.String()) for name in ("page_id", "before_json", "after_json")),
)


async def made_before_alembic(url: str, links: list[tuple[str, str, str, datetime]]) -> None:
    """The database an earlier Darcy left: the three tables, a pending action, an audit row."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(OLD.create_all)
            await conn.execute(
                OLD.tables["identity_link"].insert(),
                [
                    {
                        "platform": p,
                        "platform_user_id": u,
                        "notion_user_id": n,
                        "via": "verification",
                        "created_at": at,
                    }
                    for p, u, n, at in links
                ],
            )
            await conn.execute(
                OLD.tables["pending_action"]
                .insert()
                .values(
                    id="p1",
                    kind="confirm",
                    platform="slack",
                    user_id="U1",
                    channel_id="c1",
                    tool="create_task",
                    plan_json='{"title": "Print flyers"}',
                    options_json="[]",
                    summary="create Print flyers",
                    text="create Print flyers",
                    args_hash="abc",
                    state="pending",
                    created_at=T0,
                    expires_at=T0 + timedelta(minutes=10),
                    correlation_id="corr-1",
                )
            )
            await conn.execute(
                OLD.tables["audit"]
                .insert()
                .values(
                    at=T0,
                    correlation_id="corr-1",
                    platform="slack",
                    user_id="U1",
                    text="hi",
                    args_json="{}",
                    decision="none",
                )
            )
    finally:
        await engine.dispose()


def differences(conn: sa.Connection) -> list[Any]:
    """What alembic's autogenerate would write to bring the database to the models."""
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return compare_metadata(context, SQLModel.metadata)


async def schema(db: Database) -> dict[str, Any]:
    def read(conn: sa.Connection) -> dict[str, Any]:
        inspector = sa.inspect(conn)
        return {
            "tables": set(inspector.get_table_names()),
            "version": [row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))],
            "link_indexes": {
                i["name"]: (i["column_names"], bool(i["unique"]))
                for i in inspector.get_indexes("identity_link")
            },
            "differences": differences(conn),
        }

    async with db.engine.connect() as conn:
        return await conn.run_sync(read)


async def test_a_new_database_is_migrated_to_head_and_matches_the_models(db: Database) -> None:
    found = await schema(db)
    assert found["version"] == [HEAD]
    assert {"identity_link", "pending_action", "audit", "usage"} <= found["tables"]
    assert found["link_indexes"]["ix_identity_link_platform_notion_user"] == (
        ["platform", "notion_user_id"],
        True,
    )
    assert found["differences"] == []  # a model changed without a revision fails here

    # …and the comparison does see a model the migrations don't make.
    ahead = sa.MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(ahead)
    ahead.tables["usage"].append_column(sa.Column("cached_tokens", sa.Integer()))
    async with db.engine.connect() as conn:
        said = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), ahead)
        )
    assert [(d[0], d[3].name) for d in said] == [("add_column", "cached_tokens")]


@pytest.mark.parametrize("with_usage", [False, True], ids=["three-tables", "with-usage"])
async def test_a_database_made_before_alembic_is_adopted_with_its_rows(
    database_url: str,
    with_usage: bool,
) -> None:
    await made_before_alembic(database_url, [("slack", "U1", "notion-a", T0)])
    if with_usage:  # the create_all of the release that added the usage table
        engine = create_async_engine(database_url)
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.tables["usage"].create)
        await engine.dispose()
    db = Database(database_url)
    try:
        await db.create_schema()
        found = await schema(db)
        assert found["version"] == [HEAD]
        assert "usage" in found["tables"]
        assert found["differences"] == []
        assert await db.identity.lookup("slack", "U1") == "notion-a"
        action = await db.pending.get("p1")
        assert action is not None and action.state is PendingState.PENDING
        assert action.resolved == {"title": "Print flyers"} and action.created_at == T0
        [row] = await db.audit.rows()
        assert (row.correlation_id, row.decision, row.at.replace(tzinfo=row.at.tzinfo or UTC)) == (
            "corr-1",
            "none",
            T0,
        )
        await db.audit.record(correlation_id="corr-2", platform="slack", user_id="U1", decision="none")
        assert [r.id for r in await db.audit.rows()] == [1, 2]  # the id sequence carries on
    finally:
        await db.close()


async def test_duplicate_links_are_reduced_to_the_earliest(database_url: str) -> None:
    second = T0 + timedelta(minutes=1)
    await made_before_alembic(
        database_url,
        [
            ("slack", "U3", "notion-a", T0 + timedelta(minutes=2)),
            ("slack", "U2", "notion-a", second),
            ("slack", "U1", "notion-a", second),  # the same moment as U2: the smaller id stays
            ("discord", "D1", "notion-a", T0 + timedelta(days=1)),  # another platform: kept
            ("slack", "U9", "notion-b", T0 + timedelta(days=2)),
            ("slack", "U8", "notion-b", T0 + timedelta(days=1)),
            ("slack", "U4", "notion-c", T0),
        ],
    )
    db = Database(database_url)
    try:
        with capture_logs() as logs:
            await db.create_schema()
        links = [(r.platform, r.platform_user_id, r.notion_user_id) for r in await db.identity.all()]
        assert links == [
            ("discord", "D1", "notion-a"),
            ("slack", "U1", "notion-a"),
            ("slack", "U4", "notion-c"),
            ("slack", "U8", "notion-b"),
        ]
        [removed] = [entry for entry in logs if entry["event"] == "duplicate_links_removed"]
        assert sorted(removed["links"]) == [
            "slack:U2 (Notion user notion-a)",
            "slack:U3 (Notion user notion-a)",
            "slack:U9 (Notion user notion-b)",
        ]
        assert (await schema(db))["version"] == [HEAD]
    finally:
        await db.close()


async def test_links_made_by_email_alone_are_marked_unverified(database_url: str) -> None:
    """0007: a link made before proofs existed proved nothing, except on the trusted terminal."""
    await made_before_alembic(
        database_url, [("slack", "U1", "notion-a", T0), ("terminal", "zoe", "notion-z", T0)]
    )
    db = Database(database_url)
    try:
        with capture_logs() as logs:
            await db.create_schema()
        vias = {(r.platform, r.platform_user_id): r.via for r in await db.identity.all()}
        assert vias == {("slack", "U1"): "unverified", ("terminal", "zoe"): "terminal"}
        [marked] = [e for e in logs if e["event"] == "unproven_links_marked"]
        assert marked["links"] == 1 and marked["log_level"] == "warning"
    finally:
        await db.close()


async def test_creating_the_schema_again_or_at_once_is_harmless(database_url: str) -> None:
    databases = [Database(database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(d.create_schema() for d in databases))  # replicas starting together
        one, two = databases[0], databases[1]
        await one.identity.link("slack", "U1", "notion-a", via="verification")
        await one.create_schema()
        await asyncio.gather(one.create_schema(), two.create_schema())
        found = await schema(two)
        assert found["version"] == [HEAD] and found["differences"] == []
        assert await two.identity.lookup("slack", "U1") == "notion-a"
    finally:
        for database in databases:
            await database.close()


async def test_one_chat_account_per_notion_user_on_a_platform(db: Database) -> None:
    def links() -> Any:
        return db.identity.all()

    await db.identity.link("slack", "U1", "notion-a", via="notion_code")
    await db.identity.link("slack", "U3", "notion-c", via="slack_email")
    before = [r.model_dump() for r in await links()]
    with pytest.raises(LinkTaken) as taken:
        await db.identity.link("slack", "U2", "notion-a", via="slack_email")  # a new link, an equal proof
    assert str(taken.value).startswith("That Notion account was linked to another slack user meanwhile.")
    with pytest.raises(LinkTaken):
        await db.identity.link("slack", "U1", "notion-c", via="unverified")  # a re-link, a weaker proof
    assert [r.model_dump() for r in await links()] == before  # nothing changed
    assert await db.identity.lookup("slack", "U2") is None
    assert await db.identity.lookup("slack", "U1") == "notion-a"

    await db.identity.link("slack", "U1", "notion-a", via="admin")  # the same account again: fine
    await db.identity.link("discord", "D1", "notion-a", via="notion_code")  # another platform: fine
    await db.identity.link("slack", "U1", "notion-b", via="admin")  # moves, so notion-a is free…
    await db.identity.link("slack", "U2", "notion-a", via="notion_code")  # …for someone else
    assert await db.identity.holder("slack", "notion-a") == "U2"
    # An admin's link takes a Notion user from a link someone made themselves, and says whose.
    displaced = await db.identity.link("slack", "U4", "notion-c", via="admin")
    assert displaced is not None and (displaced.platform_user_id, displaced.via) == ("U3", "slack_email")
    assert await db.identity.lookup("slack", "U3") is None

    # Config mappings at start win over every other link; the links they replace are returned
    # (to be reported); two mappings of one Notion user: the first wins, the second is refused.
    with capture_logs() as logs:
        lost = await db.identity.link_many(
            [
                ("slack", "U9", "notion-a"),  # U2 holds notion-a on slack: the config wins
                ("slack", "U1", "notion-z"),  # U1 is linked to notion-b: re-linked as the config says
                ("slack", "U5", "notion-e"),
                ("slack", "U6", "notion-f"),  # U6 and U7 both map to notion-f: the first wins
                ("slack", "U7", "notion-f"),
            ],
            via="config",
        )
    rows = {(r.platform, r.platform_user_id): (r.notion_user_id, r.via) for r in await links()}
    assert rows == {
        ("discord", "D1"): ("notion-a", "notion_code"),
        ("slack", "U1"): ("notion-z", "config"),
        ("slack", "U4"): ("notion-c", "admin"),
        ("slack", "U5"): ("notion-e", "config"),
        ("slack", "U6"): ("notion-f", "config"),
        ("slack", "U9"): ("notion-a", "config"),
    }
    assert sorted((r.platform_user_id, r.notion_user_id, r.via) for r in lost) == [
        ("U1", "notion-b", "admin"),
        ("U2", "notion-a", "notion_code"),
        ("U7", "notion-f", "config"),
    ]
    assert [e["platform_user_id"] for e in logs if e["event"] == "config_link_refused"] == ["U7"]


# ---- what people see -----------------------------------------------------------------

ZOE_EMAIL = "zoe.martin@club.example"  # a member of the demo workspace no one is linked to yet
FIRST, SECOND = "zoe", "zoe-laptop"  # two terminal accounts that both say they're Zoe
# (the terminal is trusted, so its link_account is still a confirmation that links at the click)
LINK_TAKEN = (
    "That Notion account was linked to another terminal user meanwhile. If it's yours, ask an admin to "
    "unlink it. Nothing was changed."
)


@pytest.fixture
async def replicas(database_url: str, clock) -> AsyncIterator[tuple[App, App]]:
    settings = load_settings(database={"url": database_url})
    one = await bootstrap(settings, clock=clock)
    two = await bootstrap(settings, store=one.store, clock=clock)  # the same Notion workspace
    try:
        yield one, two
    finally:
        await two.aclose()
        await one.aclose()


async def offer(app: App, user_id: str) -> str:
    """A link_account confirmation for Zoe's e-mail, as a chat account that isn't linked yet."""
    asked = await app.bus.execute(
        HandleRequest(platform="terminal", user_id=user_id, text="show me my tasks")
    )
    assert asked.decision == "verify", asked.text
    offered = await app.bus.execute(HandleRequest(platform="terminal", user_id=user_id, text=ZOE_EMAIL))
    assert offered.decision == "confirm", offered.text
    return offered.pending_id


async def test_two_accounts_confirming_the_same_notion_user_link_one(replicas: tuple[App, App]) -> None:
    one, two = replicas
    first, second = await offer(one, FIRST), await offer(two, SECOND)
    replies = await asyncio.gather(
        one.bus.execute(Confirm(platform="terminal", user_id=FIRST, pending_id=first)),
        two.bus.execute(Confirm(platform="terminal", user_id=SECOND, pending_id=second)),
    )
    texts = sorted(r.text for r in replies)
    assert texts[0].startswith("Linked: you're Zoe Martin in Notion now."), texts
    assert texts[1] == LINK_TAKEN, texts
    linked = [u for u in (FIRST, SECOND) if await one.db.identity.lookup("terminal", u) is not None]
    assert len(linked) == 1


async def test_a_link_taken_after_the_check_is_refused_by_the_database(replicas: tuple[App, App]) -> None:
    one, two = replicas
    first, second = await offer(one, FIRST), await offer(two, SECOND)
    holder = two.deps.identity.holding

    async def checked_before_the_other_link(platform: str, notion_user_id: str) -> Any:
        found = await holder(platform, notion_user_id)  # nobody yet…
        done = await one.bus.execute(Confirm(platform="terminal", user_id=FIRST, pending_id=first))
        assert done.decision == "executed", done.text  # …then the other replica links Zoe
        return found

    two.deps.identity.holding = checked_before_the_other_link  # type: ignore[method-assign]
    refused = await two.bus.execute(Confirm(platform="terminal", user_id=SECOND, pending_id=second))
    assert (refused.decision, refused.text) == ("deny", LINK_TAKEN)
    two.deps.identity.holding = holder  # type: ignore[method-assign]
    assert await two.db.identity.lookup("terminal", SECOND) is None
    zoe = await two.db.identity.lookup("terminal", FIRST)
    assert zoe is not None and await two.db.identity.holder("terminal", zoe) == FIRST
    action = await two.db.pending.get(second)
    assert action is not None and action.state is PendingState.FAILED
    again = await two.bus.execute(Confirm(platform="terminal", user_id=SECOND, pending_id=second))
    assert again.text == "That request failed earlier. Nothing was changed."


def test_the_admin_link_command_refuses_a_taken_notion_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import app as cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'darcy.db'}")
    monkeypatch.setattr("core.observability.configure_logging", lambda *_a, **_k: None)  # the tests' own
    runner = CliRunner()
    done = runner.invoke(cli, ["link", "slack", "U1", "notion-a"])
    assert done.exit_code == 0, done.output
    assert runner.invoke(cli, ["link", "slack", "U1", "notion-a"]).exit_code == 0  # again: fine
    refused = runner.invoke(cli, ["link", "slack", "U2", "notion-a"])
    assert refused.exit_code == 1
    assert "already linked to slack user U1; unlink it first" in refused.output

    async def nobody(*_args: object) -> None:  # U1 was unlinked right after it refused the link
        return None

    monkeypatch.setattr(SqlIdentityRepository, "holding", nobody)
    raced = runner.invoke(cli, ["link", "slack", "U2", "notion-a"])
    assert raced.exit_code == 1 and "Traceback" not in raced.output
    assert "already linked to another slack user; unlink it first" in raced.output
