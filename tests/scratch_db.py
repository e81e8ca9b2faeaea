"""A scratch PostgreSQL database for tests whose threads commit for real (race tests): created
next to the test database, the schema from the models and the bundled areas loaded, dropped
with everything in it afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from eventday import create_app
from eventday.extensions import db
from tests.conftest import base_config, require_postgres


def admin_url() -> sa.URL:
    """The server's maintenance database (for counting free connections)."""
    return sa.engine.make_url(require_postgres()).set(database="postgres")


@contextmanager
def scratch_app(tmp: Path, prefix: str, engine_options: dict, **config) -> Iterator:
    """An app on a new database ``eventday_<prefix>_<random>`` with ``engine_options`` for its
    pool and ``config`` on top of the test configuration."""
    url = sa.engine.make_url(require_postgres())
    name = f"eventday_{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        settings = base_config(tmp, url.set(database=name).render_as_string(hide_password=False))
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
        settings.update(config)
        app = create_app(settings)
        with app.app_context():
            db.create_all()
            from eventday.areas.operations import import_bundled

            import_bundled()
            db.session.commit()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_connections(margin: int) -> int:
    """Connections the server still accepts, minus ``margin`` for everyone else."""
    engine = sa.create_engine(admin_url(), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            limit = int(conn.execute(sa.text("SHOW max_connections")).scalar_one())
            used = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return limit - used - margin
