"""Browser test fixtures: a live EventDay server with the demo data, and Debian's Chromium.

The live server has its own app and SQLite file (not the session ``app`` of tests/conftest.py,
whose tests run in rolled-back transactions): the browser's requests commit for real, from the
server's threads. CSRF protection stays on — the browser submits the tokens like a user's would.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.conftest import ON_CI, base_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass
class LiveServer:
    url: str
    app: object

    def area_id(self, level: str, code: str, on: dt.date | None = None) -> int:
        """Id of the area with this code valid on ``on`` (today: the current unit)."""
        from eventday.areas.models import Area
        from eventday.extensions import db

        on = on or dt.date.today()
        with self.app.app_context():
            area_id = db.session.scalar(
                sa.select(Area.id).where(
                    Area.level == level,
                    Area.code == code,
                    Area.valid_from <= on,
                    sa.or_(Area.valid_to.is_(None), Area.valid_to >= on),
                )
            )
            db.session.remove()
        assert area_id is not None, f"no {level} {code} on {on}"
        return area_id


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from eventday import create_app
    from eventday.demo import load_demo
    from eventday.extensions import db

    tmp = tmp_path_factory.mktemp("eventday-browser")
    previous_instance = os.environ.get("EVENTDAY_INSTANCE")
    os.environ["EVENTDAY_INSTANCE"] = str(tmp / "instance")
    try:
        config = base_config(tmp, "sqlite:///" + str(tmp / "browser.sqlite3"))
        config["WTF_CSRF_ENABLED"] = True
        app = create_app(config)
    finally:
        if previous_instance is None:
            os.environ.pop("EVENTDAY_INSTANCE", None)
        else:
            os.environ["EVENTDAY_INSTANCE"] = previous_instance
    with app.app_context():
        db.create_all()
        load_demo(today=dt.date.today())
        db.session.commit()
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="eventday-live", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        reason = (
            f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
        )
        if ON_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(chromium):
    """new_context(**options) -> a fresh browser context (own cookies); all closed at the end."""
    contexts = []

    def make(**options):
        options.setdefault("locale", "vi-VN")
        context = chromium.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
