"""Alembic environment: the engine comes from ``storage.database.migrate``."""

from __future__ import annotations

from alembic import context

import sohoa.storage.schema as schema

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=schema.Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
