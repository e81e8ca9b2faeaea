"""Mail goes through a real SMTP server (aiosmtpd on loopback), only after the commit."""

import email
import re
import socket
import time

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from eventday.extensions import db
from eventday.mail import OutboxMail, queue_mail, retry_unsent
from tests.conftest import PASSWORD, csrf_token


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    state = app.extensions["mail"]
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", controller.port)
    monkeypatch.setattr(state, "use_tls", False)
    monkeypatch.setattr(state, "use_ssl", False)
    monkeypatch.setattr(state, "username", None)
    monkeypatch.setattr(state, "password", None)
    monkeypatch.setattr(state, "suppress", False)  # Flask-Mail suppresses under TESTING
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    yield inbox
    controller.stop()


def body(message, subtype="plain"):
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no text/{subtype} part")


def test_registration_mail_is_delivered_in_the_users_language(client, smtp):
    token = csrf_token(client, "/register")
    response = client.post(
        "/register",
        data={
            "full_name": "John Investor",
            "email": "john@example.com",
            "password": PASSWORD,
            "password2": PASSWORD,
            "locale": "en",
            "consent": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "john@example.com"
    assert message["Subject"] == "Confirm your email for EventDay"
    link = re.search(r"http://localhost(/verify/\S+)", body(message))[1]
    assert link in body(message, "html")
    outbox = db.session.scalar(
        sa.select(OutboxMail).where(OutboxMail.recipient == "john@example.com")
    )
    assert outbox.status == "sent" and outbox.attempts == 1 and outbox.sent_at is not None


def test_vietnamese_mail_for_vietnamese_users(client, smtp):
    token = csrf_token(client, "/register")
    client.post(
        "/register",
        data={
            "full_name": "Coor Thị Mai",
            "email": "mai@example.vn",
            "password": PASSWORD,
            "password2": PASSWORD,
            "locale": "vi",
            "consent": "y",
            "csrf_token": token,
        },
    )
    message = smtp.messages[-1]
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject != "Confirm your email for EventDay"
    assert "Coor Thị Mai" in body(message)


def test_no_mail_when_the_transaction_rolls_back(app, smtp):
    with app.test_request_context():
        queue_mail(
            "rollback@example.vn",
            "accounts/reset",
            "vi",
            user=type("U", (), {"full_name": "X"})(),
            link="http://x",
        )
        db.session.rollback()
        from eventday.mail import dispatch_committed

        assert dispatch_committed() == 0
    time.sleep(0.1)
    assert smtp.messages == []
    assert (
        db.session.scalar(
            sa.select(OutboxMail).where(OutboxMail.recipient == "rollback@example.vn")
        )
        is None
    )


def test_smtp_outage_is_recorded_and_retried(app, smtp, monkeypatch):
    state = app.extensions["mail"]
    real_port = state.port
    monkeypatch.setattr(state, "port", 1)  # nothing listens there
    with app.test_request_context():
        queue_mail(
            "retry@example.vn",
            "accounts/reset",
            "en",
            user=type("U", (), {"full_name": "X"})(),
            link="http://x",
        )
        db.session.commit()
        from eventday.mail import dispatch_committed

        dispatch_committed()
        message = db.session.scalar(
            sa.select(OutboxMail).where(OutboxMail.recipient == "retry@example.vn")
        )
        assert message.status == "queued" and message.attempts == 1 and message.last_error
        monkeypatch.setattr(state, "port", real_port)
        assert retry_unsent() >= 1
        db.session.refresh(message)
        assert message.status == "sent" and message.attempts == 2
    assert [m["To"] for m in smtp.messages] == ["retry@example.vn"]


def redis_url() -> str:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    from tests.conftest import ON_CI

    url = "redis://127.0.0.1:6379/15"
    try:
        Redis.from_url(url).ping()
    except RedisDown:
        if ON_CI:
            pytest.fail("CI=true but Redis at 127.0.0.1:6379 is not reachable")
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
    return url


def test_with_redis_mail_goes_through_the_job_queue(app, client, smtp, monkeypatch):
    from redis import Redis
    from rq import Queue, SimpleWorker

    url = redis_url()
    connection = Redis.from_url(url)
    Queue("mail", connection=connection).empty()
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    token = csrf_token(client, "/register")
    client.post(
        "/register",
        data={
            "full_name": "Zơrâm Thị Lan",
            "email": "lan@example.vn",
            "password": PASSWORD,
            "password2": PASSWORD,
            "locale": "vi",
            "consent": "y",
            "csrf_token": token,
        },
    )
    outbox = db.session.scalar(
        sa.select(OutboxMail).where(OutboxMail.recipient == "lan@example.vn")
    )
    assert outbox.status == "queued" and smtp.messages == []  # queued, not sent in the request
    assert Queue("mail", connection=connection).count == 1
    with app.app_context():
        SimpleWorker(["mail"], connection=connection).work(burst=True)
    db.session.refresh(outbox)
    assert outbox.status == "sent"
    assert [m["To"] for m in smtp.messages] == ["lan@example.vn"]


@pytest.mark.committing
def test_login_limits_are_shared_through_redis(tmp_path):
    """Several app servers share the limit: two app instances, one Redis, one counter."""
    import subprocess
    import sys

    url = redis_url()
    from redis import Redis

    Redis.from_url(url).flushdb()
    script = f"""
from eventday import create_app
from eventday.extensions import db
app = create_app({{"TESTING": True, "SECRET_KEY": "s", "WTF_CSRF_ENABLED": False,
    "SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path}/r.sqlite3",
    "LOGIN_RATE_LIMIT_ACCOUNT": "3/minute", "RATELIMIT_STORAGE_URI": "{url}"}})
with app.app_context():
    db.create_all()
client = app.test_client()
print([client.post("/login", data={{"email": "a@b.vn", "password": "x"}}).status_code
       for _ in range(2)])
"""
    codes = []
    for _server in range(2):  # two processes, as two app servers behind a proxy
        out = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin", "EVENTDAY_INSTANCE": str(tmp_path / "i")},
        )
        codes.append(out.stdout.strip().splitlines()[-1])
    assert codes == ["[200, 200]", "[200, 429]"]
