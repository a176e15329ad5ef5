"""Alembic's environment for Darcy: online only, on the connection `Database.create_schema`
hands in (config.attributes["connection"]), which is already in a transaction under the
schema lock, so the whole upgrade commits or rolls back as one."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import integrations.db.tables  # noqa: F401  (the models register their tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Darcy's migrations run from Database.create_schema, on a connection it hands in")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite's ALTER TABLE: copy and move
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
