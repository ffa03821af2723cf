"""Alembic environment of the server state (services/state.py).

``StateStore.open`` runs the migrations on a connection it has locked (SQLite: BEGIN
IMMEDIATE; PostgreSQL: an advisory lock) and passes it in ``config.attributes["connection"]``,
so several workers starting at once upgrade the schema once. Run by the `alembic` command
(alembic.ini) it works on the store of KP_STATE_DIR / DATABASE_URL instead.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from services.state import METADATA


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        # SQLite alters tables by copying them: later migrations use batch operations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_from_command_line() -> None:
    from config import load_settings
    from services.state import engine_for

    if context.config.config_file_name is not None:
        fileConfig(context.config.config_file_name)
    settings = load_settings()
    engine = engine_for(settings.state_dir, settings.database_url)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit(
        "offline (--sql) migrations are not supported: run them against a database "
        "(KP_STATE_DIR or DATABASE_URL)"
    )
given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    _run_from_command_line()
