import re

import pytest
import sqlalchemy as sa

from eventday.accounts import operations as ops
from eventday.accounts.models import Organisation, User
from eventday.extensions import db, limiter
from eventday.mail import OutboxMail
from tests.conftest import PASSWORD, csrf_token, vi


def register(client, **overrides):
    data = {
        "full_name": "  Bríu   Thị Hoa ",
        "email": "Hoa@Example.VN",
        "phone": "0905 123 456",
        "password": PASSWORD,
        "password2": PASSWORD,
        "locale": "vi",
        "consent": "y",
        "csrf_token": csrf_token(client, "/register"),
    }
    data.update(overrides)
    return client.post("/register", data=data)


def last_mail(recipient):
    return db.session.scalar(
        sa.select(OutboxMail)
        .where(OutboxMail.recipient == recipient)
        .order_by(OutboxMail.id.desc())
    )


def test_register_stores_normalised_data_and_mails_verification(client):
    response = register(client)
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "hoa@example.vn"))
    assert user is not None
    assert user.full_name == "Bríu Thị Hoa"
    assert user.name_folded == "briu thi hoa"
    assert user.phone == "+84905123456"
    assert user.password_hash != PASSWORD and user.check_password(PASSWORD)
    assert user.email_verified_at is None
    assert user.data_consent_at is not None
    mail = last_mail("hoa@example.vn")
    assert mail.status == "logged"  # no MAIL_SERVER: kept in the outbox and logged
    assert "/verify/" in mail.body_text


def test_registration_refuses_duplicates_and_bad_input(client):
    register(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    response = register(client, email="hoa@example.vn")
    assert response.status_code == 200
    assert vi("An account with this email already exists.") in response.get_data(as_text=True)
    assert (
        db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email == "hoa@example.vn"))
        == 1
    )

    for bad in ({"phone": "12345"}, {"password2": "different-password"}, {"consent": ""}):
        response = register(client, email="other@example.vn", **bad)
        assert response.status_code == 200
        assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "other@example.vn")) is None


def test_verification_link_confirms_once_and_rejects_forgery(client):
    register(client)
    link = re.search(r"http://localhost(/verify/\S+)", last_mail("hoa@example.vn").body_text)[1]
    assert client.get(link).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "hoa@example.vn"))
    assert user.email_verified_at is not None
    forged = link[:-3] + ("abc" if not link.endswith("abc") else "xyz")
    client.get(forged)
    # A forged token changes nothing and says why.
    page = client.get("/").get_data(as_text=True)
    assert "flash-danger" in page


def test_login_logout_and_remember_me(client, create_user, auth):
    user = create_user()
    response = auth.login(user, remember=True)
    assert "remember_token" in response.headers.get("Set-Cookie", "") or any(
        "remember_token" in h for h in response.headers.getlist("Set-Cookie")
    )
    assert client.get("/profile").status_code == 200
    auth.logout()
    assert client.get("/profile").status_code == 302


def test_wrong_password_and_disabled_account_are_refused(client, create_user):
    user = create_user()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": "nope-nope-nope", "csrf_token": token}
    )
    assert response.status_code == 200
    assert client.get("/profile").status_code == 302
    ops.set_disabled(user, True)
    db.session.commit()
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 200
    assert client.get("/profile").status_code == 302


def test_login_is_rate_limited_per_account(app, client, create_user, monkeypatch):
    user = create_user()
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_ACCOUNT", "3/minute")
    limiter.reset()
    token = csrf_token(client, "/login")
    codes = []
    for _ in range(4):
        codes.append(
            client.post(
                "/login", data={"email": user.email, "password": "wrong-wrong", "csrf_token": token}
            ).status_code
        )
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == 429
    page = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert page.status_code == 429
    assert vi("Too many attempts. Please wait a few minutes and try again.") in page.get_data(
        as_text=True
    )
    # Another account from the same address is not blocked by the per-account limit.
    other = create_user()
    ok = client.post(
        "/login", data={"email": other.email, "password": PASSWORD, "csrf_token": token}
    )
    assert ok.status_code == 302


def test_login_is_rate_limited_per_ip(app, client, create_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_IP", "3/minute")
    limiter.reset()
    token = csrf_token(client, "/login")
    codes = [
        client.post(
            "/login",
            data={"email": f"x{i}@example.vn", "password": "whatever1", "csrf_token": token},
        ).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_password_reset_flow_is_single_use(client, create_user):
    user = create_user()
    token = csrf_token(client, "/reset")
    client.post("/reset", data={"email": user.email, "csrf_token": token})
    link = re.search(r"http://localhost(/reset/\S+)", last_mail(user.email).body_text)[1]
    new_password = "a-brand-new-password"
    form_token = csrf_token(client, link)
    response = client.post(
        link, data={"password": new_password, "password2": new_password, "csrf_token": form_token}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.check_password(new_password)
    # The same link cannot be used twice.
    response = client.get(link)
    assert response.status_code == 302 and "/reset" in response.headers["Location"]


def test_reset_for_unknown_email_reveals_nothing(client):
    token = csrf_token(client, "/reset")
    before = db.session.scalar(sa.select(sa.func.count(OutboxMail.id)))
    response = client.post("/reset", data={"email": "nobody@example.vn", "csrf_token": token})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == before


def test_profile_update_and_language_preference(client, create_user, auth):
    user = create_user()
    auth.login(user)
    token = csrf_token(client, "/profile")
    response = client.post(
        "/profile",
        data={
            "full_name": "Alăng Văn Dũng",
            "phone": "+84 935 222 333",
            "locale": "en",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.full_name, user.phone, user.locale) == ("Alăng Văn Dũng", "+84935222333", "en")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_organisations_with_members(client, create_user, auth):
    owner, member = create_user(), create_user()
    auth.login(owner)
    token = csrf_token(client, "/organisations/new")
    response = client.post(
        "/organisations/new",
        data={
            "name": "HTX Nông dược Tây Giang",
            "kind": "cooperative",
            "area_id": "",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    org = db.session.scalar(
        sa.select(Organisation).where(Organisation.name == "HTX Nông dược Tây Giang")
    )
    path = f"/organisations/{org.id}"
    response = client.post(
        path, data={"email": member.email, "csrf_token": csrf_token(client, path)}
    )
    assert response.status_code == 302
    db.session.refresh(org)
    assert {m.user_id for m in org.members} == {owner.id, member.id}
    # Adding twice is refused with a message; unknown emails too.
    again = client.post(path, data={"email": member.email, "csrf_token": csrf_token(client, path)})
    assert again.status_code == 200 and 'class="error"' in again.get_data(as_text=True)
    # An unknown area id is an error, not a crash.
    bad = client.post(
        "/organisations/new",
        data={
            "name": "X",
            "kind": "startup",
            "area_id": "999999",
            "csrf_token": csrf_token(client, "/organisations/new"),
        },
    )
    assert bad.status_code == 200 and 'class="error"' in bad.get_data(as_text=True)


def test_personal_data_export_and_erasure(client, create_user, auth):
    user = create_user(email="erase.me@example.vn")
    auth.login(user)
    data = client.get("/profile/data.json").get_json(force=True)
    assert data["email"] == "erase.me@example.vn"
    response = client.post("/profile/erase", data={"csrf_token": csrf_token(client, "/profile")})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email != "erase.me@example.vn" and user.phone is None and not user.is_active
    assert client.get("/profile").status_code == 302


def test_password_change_invalidates_sessions(client, create_user, auth):
    user = create_user()
    auth.login(user)
    assert client.get("/profile").status_code == 200
    ops.change_password(user, "another-long-password")
    db.session.commit()
    assert client.get("/profile").status_code == 302


@pytest.mark.parametrize(
    "raw,e164",
    [
        ("0905 123 456", "+84905123456"),
        ("+84 372 444 555", "+84372444555"),
        ("0235 3812 345", "+842353812345"),
    ],
)
def test_phone_normalisation(raw, e164):
    from eventday.i18n import format_phone, normalize_phone

    assert normalize_phone(raw) == e164
    assert format_phone(e164).replace(" ", "") == raw.replace(" ", "").replace("+84", "0")
