"""Test fixtures: one app per session, schema created once, each test in a rolled-back
transaction (SAVEPOINTs for the commits views make), factories, and an auth helper.

EVENTDAY_TEST_DB=postgres runs the suite against TEST_DATABASE_URL (``make test`` does a
second run that way when TEST_DATABASE_URL is set); otherwise SQLite in a temporary file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from eventday import create_app
from eventday.extensions import db, limiter

ON_CI = os.environ.get("CI", "").lower() == "true"
USE_POSTGRES = os.environ.get("EVENTDAY_TEST_DB") == "postgres"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
PASSWORD = "correct-horse-battery"


def postgres_url() -> str:
    url = TEST_DATABASE_URL
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return url


def require_postgres() -> str:
    """The PostgreSQL URL, or skip — except under CI=true, where a missing server fails."""
    if not TEST_DATABASE_URL:
        if ON_CI:
            pytest.fail("CI=true but TEST_DATABASE_URL is not set: the PostgreSQL run is required")
        pytest.skip("TEST_DATABASE_URL is not set (PostgreSQL tests skipped)")
    return postgres_url()


def base_config(tmp: Path, database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SERVER_NAME": None,
        "BASE_URL": "http://localhost",
        "MAIL_SERVER": None,
        "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT_IP": "1000/minute",
        "LOGIN_RATE_LIMIT_ACCOUNT": "1000/minute",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "UPLOAD_DIR": str(tmp / "uploads"),
    }


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (own ``g``, own session), as in production;
    otherwise Flask would reuse the test's app context and leak ``g`` between requests."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eventday")
    if USE_POSTGRES:
        url = require_postgres()
    else:
        url = "sqlite:///" + str(tmp / "test.sqlite3")
    os.environ["EVENTDAY_INSTANCE"] = str(tmp / "instance")
    application = create_app(base_config(tmp, url))
    application.test_client_class = FreshContextClient
    with application.app_context():
        db.drop_all()
        db.create_all()
        from eventday.areas.operations import import_bundled

        import_bundled()
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Each test runs in a transaction rolled back at its end; commits become SAVEPOINTs.

    Tests marked ``committing`` or ``browser`` manage their own data instead.
    """
    if request.node.get_closest_marker("committing") or request.node.get_closest_marker("browser"):
        yield
        return
    with app.app_context():
        engine = db.engine
        connection = engine.connect()
        outer = connection.begin()
        original = db.session
        # Flask-SQLAlchemy picks the bind from its engine map, not from session options:
        # point the map at our connection for the length of the test.
        engines = db._app_engines[app]
        engines[None] = connection
        db.session = db._make_scoped_session({"join_transaction_mode": "create_savepoint"})
        limiter.reset()
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            engines[None] = engine
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_client(app):
    """A client with CSRF checks on, as in production."""
    return app.test_client()


_counter = itertools.count(1)


@pytest.fixture
def create_user(app):
    from eventday.accounts import operations as ops

    def make(email=None, name="Nguyễn Thị Bình Minh", *, admin=False, verified=True, locale="vi"):
        n = next(_counter)
        user = ops.create_user(
            email or f"user{n}@example.vn",
            PASSWORD,
            name,
            is_admin=admin,
            verified=verified,
            locale=locale,
        )
        db.session.commit()
        return user

    return make


def area(level: str, code: str, on=dt.date(2025, 7, 1)):
    from eventday.areas.models import Area

    return db.session.scalar(
        sa.select(Area).where(
            Area.level == level,
            Area.code == code,
            Area.valid_from <= on,
            sa.or_(Area.valid_to.is_(None), Area.valid_to >= on),
        )
    )


@pytest.fixture
def create_festival(app, create_user):
    from eventday.festivals import operations as ops

    def make(
        organizer=None, *, slug=None, hosts=("20467", "20455"), state="draft", days=2, start=None
    ):
        organizer = organizer or create_user()
        n = next(_counter)
        start = start or dt.date.today() + dt.timedelta(days=10)
        host_areas = [area("commune", code) for code in hosts]
        festival = ops.create_festival(
            organizer,
            ops.FestivalData(
                name_vi=f"Ngày hội khởi nghiệp thử {n}",
                name_en=f"Test festival {n}",
                slug=slug or f"ngay-hoi-thu-{n}",
                host_area_ids=[a.id for a in host_areas],
                start_date=start,
                end_date=start + dt.timedelta(days=days - 1),
                day_starts=dt.time(8, 0),
                day_ends=dt.time(17, 0),
                venue_name="Nhà văn hóa xã",
                groups=["youth", "farmers"],
                stages=[("Sân khấu chính", 300)],
            ),
        )
        if state in ("published", "closed", "archived"):
            ops.change_state(festival, "published")
        if state in ("closed", "archived"):
            ops.change_state(festival, "closed")
        if state == "archived":
            ops.change_state(festival, "archived")
        db.session.commit()
        return festival

    return make


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user, password=PASSWORD, remember=False):
        response = self.client.post(
            "/login",
            data={
                "email": user.email,
                "password": password,
                "remember": "y" if remember else "",
                "csrf_token": csrf_token(self.client, "/login"),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client, "/")})


@pytest.fixture
def auth(client):
    return Auth(client)


CSRF_RE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def vi(msgid: str, **values) -> str:
    """The Vietnamese translation of ``msgid`` as the page would show it (HTML-escaped).

    Fails if the catalog has no translation, so pages asserted with it are really Vietnamese.
    """
    from flask_babel import force_locale, gettext
    from markupsafe import escape

    with force_locale("vi"):
        text = gettext(msgid, **values)
    assert text != msgid % values if values else text != msgid, f"untranslated: {msgid!r}"
    return str(escape(text))


def en(msgid: str, **values) -> str:
    from markupsafe import escape

    return str(escape(msgid % values if values else msgid))
