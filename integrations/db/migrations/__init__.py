"""Darcy's schema history: alembic revisions, run at start by `Database.create_schema`.

There is no alembic.ini: the `Config` is built here, its script location is this package, and
the connection to migrate is handed in (already in a transaction, under the schema lock), so
the migrations ship with the code and run wherever Darcy runs.

A change to a model in integrations/db/tables.py needs a revision in versions/: hand-written,
numbered after the last one (`down_revision`), with a docstring saying why.
tests/integration/test_migrations.py fails while the models and the head revision disagree.

Imported only inside `create_schema`, so `darcy --help` never loads alembic.
"""

from __future__ import annotations

from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect

log = structlog.get_logger("darcy.db")

HERE = Path(__file__).resolve().parent
# What a database made by the create_all of earlier versions holds, newest first: such a
# database is stamped at the revision that matches it, then upgraded like any other.
BEFORE_ALEMBIC = (
    ("0002", {"identity_link", "pending_action", "audit", "usage"}),
    ("0001", {"identity_link", "pending_action", "audit"}),
)


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(connection: Connection) -> None:
    """Bring the schema on `connection` to the head revision (run through `AsyncConnection.run_sync`)."""
    cfg = config(connection)
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" not in tables:
        for revision, made in BEFORE_ALEMBIC:
            if made <= tables:
                log.info("schema_adopted_by_alembic", revision=revision)
                command.stamp(cfg, revision)
                break
    command.upgrade(cfg, "head")
