"""JSON API v1 core: token authentication, the role decorator, JSON errors, public festivals,
the OpenAPI document and the API tokens page."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import schemathesis
import sqlalchemy as sa
from flask import g

from eventday.accounts import operations as account_ops
from eventday.accounts.models import ApiToken
from eventday.accounts.tokens import create_token, hash_token, revoke_token
from eventday.api import ApiError, api_festival_role, authenticate, openapi
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals import operations as festival_ops
from tests.conftest import area, csrf_token


def bearer(plaintext: str) -> dict:
    return {"Authorization": f"Bearer {plaintext}"}


# --------------------------------------------------------------------------- tokens


def test_create_token_stores_only_the_sha256(create_user):
    user = create_user()
    token, plaintext = create_token(user, "  Máy quét   cổng Nam ")
    db.session.commit()
    assert plaintext.startswith("edt_") and len(plaintext) >= 40
    assert token.name == "Máy quét cổng Nam"
    assert token.token_hash == hash_token(plaintext)
    stored = db.session.execute(sa.select(ApiToken.__table__)).mappings().all()
    assert all(plaintext not in str(dict(row).values()) for row in stored)


def _auth_in_request(app, headers: dict):
    with app.test_request_context("/api/v1/festivals", headers=headers):
        return authenticate()


def test_token_authentication(app, create_user):
    user = create_user()
    token, plaintext = create_token(user, "scanner")
    db.session.commit()
    assert token.last_used_at is None
    assert _auth_in_request(app, bearer(plaintext)).id == user.id
    assert token.last_used_at is not None
    # The scheme is case-insensitive; anything else is refused.
    assert _auth_in_request(app, {"Authorization": f"bearer {plaintext}"}).id == user.id
    cases = {
        "missing": ({}, "unauthorized"),
        "basic": ({"Authorization": "Basic dXNlcjpwYXNz"}, "unauthorized"),
        "unknown": (bearer("edt_" + "x" * 43), "invalid_token"),
        "no prefix": (bearer(plaintext[4:]), "invalid_token"),
        "hash instead of token": (bearer(token.token_hash), "invalid_token"),
    }
    for name, (headers, code) in cases.items():
        with pytest.raises(ApiError) as info:
            _auth_in_request(app, headers)
        assert (info.value.status, info.value.code) == (401, code), name
        assert info.value.headers["WWW-Authenticate"].startswith("Bearer")

    revoke_token(token)
    db.session.commit()
    with pytest.raises(ApiError) as info:
        _auth_in_request(app, bearer(plaintext))
    assert info.value.code == "invalid_token"


def test_tokens_of_a_disabled_or_erased_user_stop_working(app, create_user):
    user = create_user()
    _token, plaintext = create_token(user, "x")
    db.session.commit()
    account_ops.erase_user(user)
    db.session.commit()
    with pytest.raises(ApiError) as info:
        _auth_in_request(app, bearer(plaintext))
    assert info.value.status == 401


def test_last_used_at_is_written_at_most_once_a_minute(app, create_user):
    user = create_user()
    token, plaintext = create_token(user, "x")
    db.session.commit()
    _auth_in_request(app, bearer(plaintext))
    first = token.last_used_at
    _auth_in_request(app, bearer(plaintext))
    assert token.last_used_at == first
    token.last_used_at = utcnow() - dt.timedelta(minutes=5)
    db.session.commit()
    _auth_in_request(app, bearer(plaintext))
    assert token.last_used_at > first


def test_api_festival_role_decorator(app, create_user, create_festival):
    organizer, staff, judge, other, admin = (create_user() for _ in range(5))
    admin.is_admin = True
    festival = create_festival(organizer=organizer)
    create_festival(organizer=other)
    festival_ops.grant_role(festival, staff, "staff")
    festival_ops.grant_role(festival, judge, "judge")
    db.session.commit()
    tokens = {
        name: create_token(user, name)[1]
        for name, user in {
            "organizer": organizer,
            "staff": staff,
            "judge": judge,
            "other": other,
            "admin": admin,
        }.items()
    }
    db.session.commit()

    @api_festival_role("organizer", "staff")
    def view(festival):
        return festival.slug, g.api_user.id

    assert getattr(view, "is_public", False) is False

    def call(headers, slug=festival.slug):
        with app.test_request_context("/api/v1/x", headers=headers):
            return view(slug=slug)

    assert call(bearer(tokens["organizer"])) == (festival.slug, organizer.id)
    assert call(bearer(tokens["staff"]))[1] == staff.id
    assert call(bearer(tokens["admin"]))[1] == admin.id
    for who, status in (("judge", 403), ("other", 403)):
        with pytest.raises(ApiError) as info:
            call(bearer(tokens[who]))
        assert info.value.status == status, who
    with pytest.raises(ApiError) as info:
        call({})
    assert info.value.status == 401
    with pytest.raises(ApiError) as info:
        call(bearer(tokens["organizer"]), slug="khong-co")
    assert info.value.status == 404
    # Without a token, a missing festival is a 401 too: nothing is revealed.
    with pytest.raises(ApiError) as info:
        call({}, slug="khong-co")
    assert info.value.status == 401


def test_unsafe_methods_need_a_token(app):
    from eventday.api import _unsafe_methods_need_a_token

    with app.test_request_context("/api/v1/festivals", method="POST"):
        with pytest.raises(ApiError) as info:
            _unsafe_methods_need_a_token()
        assert info.value.status == 401
    with app.test_request_context("/api/v1/festivals", method="GET"):
        assert _unsafe_methods_need_a_token() is None


def test_api_blueprint_is_csrf_exempt(app):
    from eventday.extensions import csrf

    with app.test_request_context("/api/v1/festivals"):
        assert csrf._is_exempt()
    with app.test_request_context("/profile/tokens"):
        assert not csrf._is_exempt()


# --------------------------------------------------------------------------- festivals


def test_festival_list_shows_only_public_festivals_with_pagination(client, create_festival):
    published = [create_festival(state="published") for _ in range(3)]
    closed = create_festival(state="closed")
    draft = create_festival()
    archived = create_festival(state="archived")
    response = client.get("/api/v1/festivals?limit=100")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    slugs = [f["slug"] for f in body["items"]]
    for festival in [*published, closed]:
        assert festival.slug in slugs
    assert draft.slug not in slugs and archived.slug not in slugs
    assert body["total"] == len(slugs) and body["limit"] == 100 and body["offset"] == 0

    item = next(f for f in body["items"] if f["slug"] == published[0].slug)
    assert item["id"] == published[0].id
    assert item["state"] == "published"
    assert item["url"].endswith(f"/f/{published[0].slug}")
    assert item["days"][0] == {
        "date": published[0].first_day.isoformat(),
        "starts_at": "08:00",
        "ends_at": "17:00",
    }
    assert [h["is_lead"] for h in item["hosts"]].count(True) == 1
    assert "description_vi" not in item

    first = client.get("/api/v1/festivals?limit=2").get_json()
    second = client.get("/api/v1/festivals?limit=2&offset=2").get_json()
    assert len(first["items"]) == 2 and first["total"] == body["total"]
    assert [f["slug"] for f in first["items"] + second["items"]] == slugs[:4]


def test_festival_list_filters_by_area(client, create_festival):
    inside = create_festival(state="published", hosts=("20467",))
    outside = create_festival(state="published", hosts=("20455",))
    commune = area("commune", "20467")
    slugs = [
        f["slug"]
        for f in client.get(f"/api/v1/festivals?area={commune.id}&limit=100").get_json()["items"]
    ]
    assert inside.slug in slugs and outside.slug not in slugs
    # The province covers both communes.
    province = commune
    while province.parent is not None:
        province = province.parent
    slugs = [
        f["slug"]
        for f in client.get(f"/api/v1/festivals?area={province.id}&limit=100").get_json()["items"]
    ]
    assert {inside.slug, outside.slug} <= set(slugs)


@pytest.mark.parametrize(
    "query,field",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("offset=99999999999999999999", "offset"),
        ("area=999999999", "area"),
        ("area=1.5", "area"),
    ],
)
def test_bad_query_parameters_are_422(client, query, field):
    response = client.get(f"/api/v1/festivals?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter" and error["field"] == field
    assert error["message"]


def test_festival_detail(client, create_festival):
    festival = create_festival(state="published")
    body = client.get(f"/api/v1/festivals/{festival.slug}").get_json()
    assert body["slug"] == festival.slug
    assert body["description_vi"] == festival.description_vi
    assert {g["kind"] for g in body["groups"]} == {"youth", "farmers"}
    assert body["stages"][0]["capacity"] == 300
    for slug in (create_festival().slug, "khong-co-ngay-hoi", "UPPER", "a" * 200):
        response = client.get(f"/api/v1/festivals/{slug}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_errors_are_translated(client):
    from flask_babel import force_locale, gettext

    response = client.get("/api/v1/festivals/khong-co", headers={"Accept-Language": "en"})
    assert response.get_json()["error"]["message"] == "Not found."
    response = client.get("/api/v1/festivals/khong-co", headers={"Accept-Language": "vi"})
    with force_locale("vi"):
        assert response.get_json()["error"]["message"] == gettext("Not found.")


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_document_validates(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/api/v1"}]
    assert {"/openapi.json", "/festivals", "/festivals/{slug}"} <= set(document["paths"])
    schemathesis.openapi.from_dict(document).validate()  # the OpenAPI 3.0 meta-schema

    # Negative control: the same check rejects a broken document.
    broken = copy.deepcopy(document)
    broken["paths"]["/festivals"]["get"]["responses"] = {"200": {"content": "nope"}}
    with pytest.raises(Exception, match=r"(?i)valid|required|type"):
        schemathesis.openapi.from_dict(broken).validate()


def test_openapi_refs_all_resolve(client):
    document = client.get("/api/v1/openapi.json").get_json()

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for target in set(refs(document)):
        node = document
        for part in target.removeprefix("#/").split("/"):
            node = node[part]


def test_every_api_route_is_in_the_document(app):
    documented = {
        (path, method)
        for path, methods in openapi.document()["paths"].items()
        for method in methods
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method.lower()) in documented, f"{method} {rule.rule}"


def test_registry_refuses_conflicting_registrations():
    from eventday.api import OpenApiRegistry

    registry = OpenApiRegistry()
    registry.add_schema("X", {"type": "string"})
    registry.add_schema("X", {"type": "string"})
    with pytest.raises(ValueError):
        registry.add_schema("X", {"type": "integer"})
    registry.add_operation("/x", "get", {"responses": {}})
    with pytest.raises(ValueError):
        registry.add_operation("/x", "get", {"responses": {"200": {}}})


# --------------------------------------------------------------------------- tokens page


def test_tokens_page_creates_shows_once_and_revokes(app, client, auth, create_user, monkeypatch):
    user = create_user()
    auth.login(user)
    response = client.post(
        "/profile/tokens",
        data={"name": "Máy quét cổng", "csrf_token": csrf_token(client, "/profile/tokens")},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    plaintext = next(
        word.split('"')[0] for word in html.split('value="')[1:] if word.startswith("edt_")
    )
    assert token.token_hash == hash_token(plaintext)
    assert token.name == "Máy quét cổng"
    # Listed afterwards, the plaintext is gone.
    page = client.get("/profile/tokens").get_data(as_text=True)
    assert "Máy quét cổng" in page and plaintext not in page

    assert client.get("/api/v1/festivals", headers=bearer(plaintext)).status_code == 200
    response = client.post(
        "/profile/tokens/revoke",
        data={"token_id": token.id, "csrf_token": csrf_token(client, "/profile/tokens")},
    )
    assert response.status_code == 302
    db.session.refresh(token)
    assert token.revoked_at is not None
    with app.test_request_context("/api/v1/x", headers=bearer(plaintext)), pytest.raises(ApiError):
        authenticate()


def test_tokens_page_forms_need_csrf_and_own_tokens(client, auth, create_user):
    owner, stranger = create_user(), create_user()
    token, _plaintext = create_token(owner, "x")
    db.session.commit()
    auth.login(stranger)
    # No CSRF token: nothing is created.
    assert client.post("/profile/tokens", data={"name": "y"}).status_code == 400
    assert db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == stranger.id)) is None
    response = client.post(
        "/profile/tokens/revoke",
        data={"token_id": token.id, "csrf_token": csrf_token(client, "/profile/tokens")},
    )
    assert response.status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None
    assert client.post("/profile/tokens/revoke", data={"token_id": token.id}).status_code == 400


def test_tokens_page_needs_login(client):
    response = client.get("/profile/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
