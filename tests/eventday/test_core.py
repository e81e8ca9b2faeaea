import datetime as dt
import os
import stat

import pytest

from eventday.config import load_config
from eventday.i18n import format_date, format_datetime, format_time, format_vnd


def test_vnd_formatting(app):
    with app.test_request_context():
        assert format_vnd(1500000, "vi") == "1.500.000\xa0₫"
        assert format_vnd(0, "vi") == "0\xa0₫"
        assert format_vnd(1500000, "en") == "₫1,500,000"


def test_dates_and_times_in_local_time():
    assert format_date(dt.date(2025, 3, 26)) == "26/03/2025"
    moment = dt.datetime(2026, 12, 18, 23, 30, tzinfo=dt.UTC)  # 06:30 next day in Vietnam
    assert format_date(moment) == "19/12/2026"
    assert format_time(moment) == "06:30"
    assert format_datetime(moment) == "06:30 19/12/2026"


def test_secret_key_is_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first = load_config(tmp_path)
    second = load_config(tmp_path)
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/eventday.sqlite3"
    assert first["MAIL_SERVER"] is None and first["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.parametrize(
    "url,expected",
    [
        ("postgres://u:p@db/eventday", "postgresql+psycopg://u:p@db/eventday"),
        ("postgresql://u@db/eventday", "postgresql+psycopg://u@db/eventday"),
        ("postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
    ],
)
def test_environment_switches_to_production_parts(tmp_path, monkeypatch, url, expected):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.vn")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    config = load_config(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == expected
    assert config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()
    assert config["MAIL_SERVER"] == "smtp.example.vn" and config["MAIL_USE_TLS"] is True
    assert config["MAIL_PORT"] == 587
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"


def test_health_and_security_headers(client):
    response = client.get("/healthz")
    assert response.get_json() == {"status": "ok"}
    assert response.headers["X-Frame-Options"] == "DENY"


def test_404_is_translated(client):
    from tests.conftest import vi

    response = client.get("/f/khong-co")
    assert response.status_code == 404
    assert vi("This page does not exist.") in response.get_data(as_text=True)


def test_catalogs_are_complete(tmp_path):
    """Every message in the code has a Vietnamese translation with the same placeholders."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    from babel.messages.pofile import read_po

    project = Path(__file__).resolve().parents[2]
    root = project / "translations"
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=project,
        check=True,
        capture_output=True,
    )
    with open(root / "vi" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    with open(pot, "rb") as fh:
        template = read_po(fh)
    placeholder = re.compile(r"%\((\w+)\)s")
    missing = [
        m.id for m in template if m.id and not (catalog.get(m.id) and catalog.get(m.id).string)
    ]
    assert missing == [], f"untranslated in vi: {missing[:10]}"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        # Plural messages: the English forms together against the Vietnamese (one form).
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = {name for text in ids for name in placeholder.findall(text)}
        assert wanted == {name for text in strings for name in placeholder.findall(text)}, ids
