"""PostgreSQL-only guarantees: migrations equal the models, and the locks hold under races.

Each test makes its own database on the server of TEST_DATABASE_URL and drops it after.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from eventday import create_app
from eventday.db import Base
from eventday.extensions import db
from tests.conftest import PASSWORD, base_config, require_postgres
from ticketing.checkin import scan_sql

pytestmark = [pytest.mark.postgres, pytest.mark.committing]
PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def scratch_db():
    """A new, empty database next to the test database; dropped afterwards."""
    url = sa.engine.make_url(require_postgres())
    name = f"eventday_scratch_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def flask_cli(db_url, *args):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": db_url.render_as_string(hide_password=False),
        "SECRET_KEY": "test",
        "EVENTDAY_INSTANCE": "/tmp/eventday-test-instance",  # noqa: S108
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def test_upgrade_from_empty_equals_models_and_downgrade_to_base(scratch_db):
    flask_cli(scratch_db, "db", "upgrade")
    engine = sa.create_engine(scratch_db)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            diff = compare_metadata(context, Base.metadata)
            assert diff == [], f"migrations and models differ: {diff}"
            tables = set(sa.inspect(conn).get_table_names())
            assert set(Base.metadata.tables) <= tables
            # The partial unique index really is partial on PostgreSQL.
            indexdef = conn.execute(
                sa.text(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_festival_hosts_one_lead'"
                )
            ).scalar_one()
            assert "WHERE is_lead" in indexdef
            # Functions are not in the models' metadata: the lean scan's, by its source.
            source = conn.execute(
                sa.text("SELECT prosrc FROM pg_proc WHERE proname = 'checkin_scan'")
            ).scalar_one()
            assert source.strip() in scan_sql.FUNCTION
        flask_cli(scratch_db, "db", "downgrade", "base")
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
            left = conn.execute(
                sa.text("SELECT count(*) FROM pg_proc WHERE proname = 'checkin_scan'")
            )
            assert left.scalar_one() == 0
        # And back up again: the downgrade left nothing behind that blocks a new upgrade.
        flask_cli(scratch_db, "db", "upgrade")
    finally:
        engine.dispose()


@pytest.fixture
def pg_app(scratch_db, tmp_path):
    app = create_app(base_config(tmp_path, scratch_db.render_as_string(hide_password=False)))
    with app.app_context():
        db.create_all()
        from eventday.areas.operations import import_bundled

        import_bundled()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _festival_with_two_organizers(app):
    from eventday.accounts import operations as account_ops
    from eventday.festivals import operations as ops
    from tests.conftest import area

    with app.app_context():
        a = account_ops.create_user(
            f"a{uuid.uuid4().hex[:6]}@example.vn", PASSWORD, "A", verified=True
        )
        b = account_ops.create_user(
            f"b{uuid.uuid4().hex[:6]}@example.vn", PASSWORD, "B", verified=True
        )
        start = dt.date.today() + dt.timedelta(days=5)
        festival = ops.create_festival(
            a,
            ops.FestivalData(
                name_vi="Ngày hội đua",
                host_area_ids=[area("commune", "20467").id],
                start_date=start,
                end_date=start,
                day_starts=dt.time(8),
                day_ends=dt.time(17),
                venue_name="Hội trường",
                slug=f"dua-{uuid.uuid4().hex[:6]}",
            ),
        )
        ops.grant_role(festival, b, "organizer")
        db.session.commit()
        return festival.id


def _race_remove_each_other(app, festival_id):
    """Both organizers remove each other at the same moment. Returns (outcomes, organizers left)."""
    from eventday.festivals import operations as ops
    from eventday.festivals.models import Festival, FestivalRole

    with app.app_context():
        grant_ids = db.session.scalars(
            sa.select(FestivalRole.id)
            .where(FestivalRole.festival_id == festival_id)
            .order_by(FestivalRole.id)
        ).all()
    outcomes = []
    start = threading.Barrier(2)

    def remove(grant_id):
        with app.app_context():
            start.wait()
            festival = db.session.get(Festival, festival_id)
            grant = db.session.get(FestivalRole, grant_id)
            try:
                ops.revoke_role(festival, grant)
                db.session.commit()
                outcomes.append("removed")
            except ops.LastOrganizer:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=remove, args=(g,)) for g in grant_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with app.app_context():
        left = db.session.scalar(
            sa.select(sa.func.count()).where(
                FestivalRole.festival_id == festival_id, FestivalRole.role == "organizer"
            )
        )
    return sorted(outcomes), left


def _slow_after(fn):
    """Widen the race window: pause after taking the lock (or after nothing, without it)."""

    def wrapper(*args, **kwargs):
        result = fn(*args, **kwargs)
        time.sleep(0.3)
        return result

    return wrapper


def test_last_organizer_lock_holds_under_a_race(pg_app, monkeypatch):
    from eventday.festivals import operations as ops

    monkeypatch.setattr(ops, "_lock_festival", _slow_after(ops._lock_festival))
    festival_id = _festival_with_two_organizers(pg_app)
    outcomes, left = _race_remove_each_other(pg_app, festival_id)
    assert outcomes == ["refused", "removed"]
    assert left == 1


def _meet_after(fn):
    """Without the lock: both removals meet here before either counts the organizers left, so
    the race happens every time, however loaded the machine (a pause alone was not enough)."""
    meeting = threading.Barrier(2, timeout=30)

    def wrapper(*args, **kwargs):
        result = fn(*args, **kwargs)
        meeting.wait()
        return result

    return wrapper


def test_negative_control_without_the_lock_the_race_loses_every_organizer(pg_app, monkeypatch):
    from eventday.festivals import operations as ops

    monkeypatch.setattr(ops, "_lock_festival", _meet_after(lambda festival: None))
    festival_id = _festival_with_two_organizers(pg_app)
    outcomes, left = _race_remove_each_other(pg_app, festival_id)
    assert outcomes == ["removed", "removed"]
    assert left == 0  # this is the failure the lock prevents


def test_same_slug_race_has_one_winner(pg_app):
    """Two organizers submit the same web address at once: the unique index decides."""
    from eventday.accounts import operations as account_ops
    from eventday.festivals import operations as ops
    from eventday.festivals.models import Festival
    from tests.conftest import area

    slug = f"trung-{uuid.uuid4().hex[:6]}"
    with pg_app.app_context():
        users = [
            account_ops.create_user(
                f"s{i}{uuid.uuid4().hex[:6]}@example.vn", PASSWORD, "S", verified=True
            ).id
            for i in range(4)
        ]
        db.session.commit()
    outcomes = []
    barrier = threading.Barrier(len(users))
    original_slug_free = ops._slug_free

    def slug_free_then_wait(candidate, festival):
        free = original_slug_free(candidate, festival)
        barrier.wait(timeout=10)  # everyone has checked before anyone inserts
        return free

    def create(user_id):
        from eventday.accounts.models import User

        with pg_app.app_context():
            user = db.session.get(User, user_id)
            start = dt.date.today() + dt.timedelta(days=5)
            try:
                ops.create_festival(
                    user,
                    ops.FestivalData(
                        name_vi="Trùng",
                        slug=slug,
                        host_area_ids=[area("commune", "20455").id],
                        start_date=start,
                        end_date=start,
                        day_starts=dt.time(8),
                        day_ends=dt.time(17),
                        venue_name="X",
                    ),
                )
                db.session.commit()
                outcomes.append("created")
            except ops.SlugTaken:
                db.session.rollback()
                outcomes.append("taken")
            finally:
                db.session.remove()

    ops._slug_free = slug_free_then_wait
    try:
        threads = [threading.Thread(target=create, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        ops._slug_free = original_slug_free
    assert sorted(outcomes) == ["created", "taken", "taken", "taken"]
    with pg_app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count(Festival.id)).where(Festival.slug == slug))
            == 1
        )
