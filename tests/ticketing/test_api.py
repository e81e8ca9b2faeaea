"""Ticketing in the JSON API v1: public ticket types, keys and revocations; orders and tickets
for organizers and staff with a bearer token; and schemathesis against the whole document."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from eventday.accounts.tokens import create_token, revoke_token
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals import operations as festival_ops
from ticketing import operations as ops
from ticketing.signing import b64url, festival_signing_key, public_keys

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def bearer(plaintext: str) -> dict:
    return {"Authorization": f"Bearer {plaintext}"}


def attendee(name: str, **kw) -> ops.AttendeeData:
    kw.setdefault("phone", "+84905111222")
    return ops.AttendeeData(full_name=name, **kw)


def place(festival, ticket_type, names, **kw):
    order = ops.place_order(
        ops.OrderRequest(
            festival=festival,
            ticket_type=ticket_type,
            attendees=[attendee(n, email=f"{i}@example.vn") for i, n in enumerate(names)],
            **kw,
        )
    )
    db.session.commit()
    return order


@pytest.fixture
def world(create_user, create_festival, create_ticket_type):
    organizer, staff, judge, other = (create_user() for _ in range(4))
    festival = create_festival(organizer=organizer, state="published")
    other_festival = create_festival(organizer=other, state="published")
    festival_ops.grant_role(festival, staff, "staff")
    festival_ops.grant_role(festival, judge, "judge")
    db.session.commit()
    free = create_ticket_type(festival, name_vi="Vé cư dân", name_en="Resident", quota=10)
    paid = create_ticket_type(festival, name_vi="Vé ủng hộ", price_vnd=150_000, quota=5)
    hidden = create_ticket_type(festival, name_vi="Thẻ nhà đầu tư", is_hidden=True, quota=3)
    ops.payment_settings(festival).bank_bin = "970436"
    ops.payment_settings(festival).account_number = "1234567890"
    db.session.commit()
    orders = [
        place(festival, free, ["Alăng Thị Bốn", "Hồ Văn Năm"]),
        place(festival, free, ["Nguyễn Văn Đức"]),
        place(festival, paid, ["Trần Thị Mai"], payment_method="vietqr"),
    ]
    ops.cancel_order(orders[1], by_organizer=True)
    db.session.commit()
    tokens = {
        name: create_token(user, name)[1]
        for name, user in {
            "organizer": organizer,
            "staff": staff,
            "judge": judge,
            "other": other,
        }.items()
    }
    db.session.commit()
    return {
        "festival": festival,
        "other_festival": other_festival,
        "types": {"free": free, "paid": paid, "hidden": hidden},
        "orders": orders,
        "tokens": tokens,
        "users": {"organizer": organizer},
    }


# --------------------------------------------------------------------------- public


def test_ticket_types_with_availability(client, world):
    festival = world["festival"]
    response = client.get(f"/api/v1/festivals/{festival.slug}/ticket-types")
    assert response.status_code == 200
    items = {t["name_vi"]: t for t in response.get_json()["items"]}
    assert set(items) == {"Vé cư dân", "Vé ủng hộ"}  # the hidden type is left out
    free, paid = items["Vé cư dân"], items["Vé ủng hộ"]
    # 3 free tickets taken, 1 of them cancelled (released): 2 hold places.
    assert (free["quota"], free["available"], free["sold_out"]) == (10, 8, False)
    assert free["is_free"] and free["on_sale"] and free["name_en"] == "Resident"
    assert (paid["price_vnd"], paid["currency"], paid["available"]) == (150_000, "VND", 4)
    assert isinstance(paid["price_vnd"], int)


def test_public_endpoints_hide_drafts(client, create_festival):
    draft = create_festival()
    for tail in ("ticket-types", "keys", "revocations"):
        response = client.get(f"/api/v1/festivals/{draft.slug}/{tail}")
        assert response.status_code == 404, tail
        assert response.get_json()["error"]["code"] == "not_found"


def test_keys_and_revocations(client, world):
    festival = world["festival"]
    key = festival_signing_key(festival)
    db.session.commit()
    response = client.get(f"/api/v1/festivals/{festival.slug}/keys")
    assert response.status_code == 200
    body = response.get_json()
    assert body["festival_id"] == festival.id
    assert body["keys"] == public_keys(festival)
    assert body["keys"][0]["public_key"] == b64url(key.public_key)
    assert "private" not in response.get_data(as_text=True)
    etag = response.headers["ETag"]
    again = client.get(f"/api/v1/festivals/{festival.slug}/keys", headers={"If-None-Match": etag})
    assert again.status_code == 304

    response = client.get(f"/api/v1/festivals/{festival.slug}/revocations")
    body = response.get_json()
    cancelled = world["orders"][1].tickets[0]
    assert body == {"festival_id": festival.id, "ticket_ids": [cancelled.id], "count": 1}
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    ops.cancel_order(world["orders"][0], by_organizer=True)
    db.session.commit()
    response = client.get(
        f"/api/v1/festivals/{festival.slug}/revocations", headers={"If-None-Match": etag}
    )
    assert response.status_code == 200
    assert response.get_json()["count"] == 3


# --------------------------------------------------------------------------- organizers


def test_orders_need_a_token_of_an_organizer_or_staff(client, world):
    slug = world["festival"].slug
    tokens = world["tokens"]
    paths = [
        f"/api/v1/festivals/{slug}/orders",
        f"/api/v1/festivals/{slug}/orders/{world['orders'][0].code}",
        f"/api/v1/festivals/{slug}/tickets",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        response = client.get(path, headers=bearer("edt_not-a-real-token"))
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "invalid_token"
        for who in ("judge", "other"):
            response = client.get(path, headers=bearer(tokens[who]))
            assert response.status_code == 403, (who, path)
            assert response.get_json()["error"]["code"] == "forbidden"
        for who in ("organizer", "staff"):
            assert client.get(path, headers=bearer(tokens[who])).status_code == 200, (who, path)
    # The other festival's organizer reaches their own festival, not this one.
    other = world["other_festival"].slug
    response = client.get(f"/api/v1/festivals/{other}/orders", headers=bearer(tokens["other"]))
    assert response.status_code == 200
    missing = client.get("/api/v1/festivals/khong-co/orders", headers=bearer(tokens["organizer"]))
    assert missing.status_code == 404


def test_revoked_token_is_refused(client, world, create_user):
    token, plaintext = create_token(world["users"]["organizer"], "old scanner")
    db.session.commit()
    path = f"/api/v1/festivals/{world['festival'].slug}/orders"
    assert client.get(path, headers=bearer(plaintext)).status_code == 200
    revoke_token(token)
    db.session.commit()
    response = client.get(path, headers=bearer(plaintext))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_session_cookie_does_not_authenticate(client, auth, world):
    auth.login(world["users"]["organizer"])
    slug = world["festival"].slug
    assert client.get(f"/f/{slug}/manage/orders").status_code == 200
    assert client.get(f"/api/v1/festivals/{slug}/orders").status_code == 401


def test_order_list_filters_search_and_pagination(client, world):
    slug = world["festival"].slug
    headers = bearer(world["tokens"]["organizer"])
    orders = world["orders"]

    def codes(query=""):
        response = client.get(f"/api/v1/festivals/{slug}/orders?{query}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [o["code"] for o in response.get_json()["items"]]

    assert sorted(codes()) == sorted(o.code for o in orders)
    assert codes("state=cancelled") == [orders[1].code]
    assert codes("state=pending") == [orders[2].code]
    assert codes("q=hồ văn") == [orders[0].code]
    assert codes("q=ho van") == [orders[0].code]  # diacritics ignored
    assert codes(f"q={orders[2].code.lower()}") == [orders[2].code]
    assert codes("q=khongaica") == []
    first = client.get(f"/api/v1/festivals/{slug}/orders?limit=2", headers=headers).get_json()
    rest = client.get(
        f"/api/v1/festivals/{slug}/orders?limit=2&offset=2", headers=headers
    ).get_json()
    assert first["total"] == 3 and len(first["items"]) == 2 and len(rest["items"]) == 1
    assert {o["code"] for o in first["items"] + rest["items"]} == {o.code for o in orders}
    item = next(o for o in first["items"] + rest["items"] if o["code"] == orders[2].code)
    assert item["total_vnd"] == 150_000 and item["payment_method"] == "vietqr"
    assert item["lines"][0]["quantity"] == 1 and item["ticket_count"] == 1
    for bad in ("state=lost", "limit=1000", "q=" + "x" * 201):
        response = client.get(f"/api/v1/festivals/{slug}/orders?{bad}", headers=headers)
        assert response.status_code == 422, bad


def test_order_detail(client, world):
    slug = world["festival"].slug
    headers = bearer(world["tokens"]["staff"])
    order = world["orders"][0]
    response = client.get(f"/api/v1/festivals/{slug}/orders/{order.code}", headers=headers)
    body = response.get_json()
    assert body["code"] == order.code and body["state"] == "paid"
    assert [t["attendee_name"] for t in body["tickets"]] == ["Alăng Thị Bốn", "Hồ Văn Năm"]
    assert all(t["state"] == "valid" and len(t["short_code"]) == 8 for t in body["tickets"])
    assert "secret" not in body["tickets"][0]
    # Another festival's order is not found through this festival.
    other_slug = world["other_festival"].slug
    response = client.get(
        f"/api/v1/festivals/{other_slug}/orders/{order.code}",
        headers=bearer(world["tokens"]["other"]),
    )
    assert response.status_code == 404
    response = client.get(f"/api/v1/festivals/{slug}/orders/DHNOPE99", headers=headers)
    assert response.status_code == 404


def test_tickets_with_incremental_sync(client, world, create_ticket_type):
    festival = world["festival"]
    slug = festival.slug
    headers = bearer(world["tokens"]["organizer"])
    body = client.get(f"/api/v1/festivals/{slug}/tickets?limit=100", headers=headers).get_json()
    assert body["total"] == 4
    assert [t["id"] for t in body["items"]] == sorted(t["id"] for t in body["items"])
    synced_at = body["synced_at"]
    assert body["items"][0]["order_code"] == world["orders"][0].code

    later = utcnow() + dt.timedelta(seconds=1)
    unchanged = client.get(
        f"/api/v1/festivals/{slug}/tickets", headers=headers, query_string={"since": synced_at}
    ).get_json()
    # `synced_at` lies a little in the past (a transaction committing meanwhile is not
    # missed), so the same tickets may come again: clients de-duplicate by id.
    assert {t["id"] for t in unchanged["items"]} <= {t["id"] for t in body["items"]}

    # A new ticket and a cancellation show up after `since`.
    new = place(festival, world["types"]["free"], ["Bhling Thị Sáu"])
    ops.cancel_order(world["orders"][0], by_organizer=True)
    db.session.commit()
    for ticket in [*new.tickets, *world["orders"][0].tickets]:
        ticket.created_at = min(ticket.created_at, later)
    changed = client.get(
        f"/api/v1/festivals/{slug}/tickets",
        headers=headers,
        query_string={"since": synced_at},
    ).get_json()
    changed_ids = {t["id"] for t in changed["items"]}
    # The changes are there (with the overlap, tickets seen before may come again too).
    assert changed_ids >= {t.id for t in [*new.tickets, *world["orders"][0].tickets]}
    states = {t["id"]: t["state"] for t in changed["items"]}
    assert {states[t.id] for t in world["orders"][0].tickets} == {"cancelled"}
    assert {states[t.id] for t in new.tickets} == {"valid"}
    # Asking from after the overlap window returns nothing that did not change since.
    recent = client.get(
        f"/api/v1/festivals/{slug}/tickets",
        headers=headers,
        query_string={"since": (utcnow() + dt.timedelta(minutes=1)).isoformat()},
    ).get_json()
    assert recent["items"] == []
    cancelled = client.get(
        f"/api/v1/festivals/{slug}/tickets?state=cancelled", headers=headers
    ).get_json()
    assert cancelled["total"] == 3
    for bad in ("since=yesterday", "since=2026-13-01T00:00:00", "state=lost"):
        response = client.get(f"/api/v1/festivals/{slug}/tickets?{bad}", headers=headers)
        assert response.status_code == 422, bad
        assert response.get_json()["error"]["field"] == bad.split("=")[0]
    # Naive date-times are UTC; offsets are honoured.
    naive = client.get(
        f"/api/v1/festivals/{slug}/tickets?since=2000-01-01T00:00:00", headers=headers
    ).get_json()
    assert naive["total"] == 5


# --------------------------------------------------------------------------- schemathesis


def run_schemathesis(app, *, headers: dict, fixed: list[dict], operations=None, examples=30):
    """Generate requests for every operation of the served document (bounded and
    deterministic) and collect every failed check; an exception in the app counts too."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.validate()
    failures: list[str] = []
    seen_statuses: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operations and operation.definition.raw.get("operationId") not in operations:
            continue
        params = {p.name for p in operation.path_parameters}
        variants = [{}] + [
            {k: v for k, v in values.items() if k in params} for values in fixed if params
        ]
        for path_parameters in variants:

            @settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(path_parameters=path_parameters or None))
            def check(case):
                try:
                    response = case.call(headers=headers)
                except Exception as exc:  # schemathesis re-raises what the app raised (a 500)
                    failures.append(f"{case.operation.label}: {exc!r}")
                    return
                seen_statuses.setdefault(case.operation.label, set()).add(response.status_code)
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except FailureGroup as exc:
                    failures.append(f"{case.operation.label}: {exc}")

            check()
    return failures, seen_statuses


def test_schemathesis_finds_no_server_error(app, world):
    festival = world["festival"]
    festival_signing_key(festival)
    db.session.commit()
    fixed = [
        {"slug": festival.slug, "code": world["orders"][0].code},
        {"slug": world["other_festival"].slug, "code": world["orders"][2].code},
    ]
    failures, statuses = run_schemathesis(
        app, headers=bearer(world["tokens"]["organizer"]), fixed=fixed
    )
    assert failures == [], "\n".join(failures[:5])
    documented = {
        f"{method.upper()} {path}"
        for path, methods in app.test_client().get("/api/v1/openapi.json").json["paths"].items()
        for method in methods
    }
    # Every operation was exercised (schemathesis leaves out the document's own address).
    assert set(statuses) == documented - {"GET /openapi.json"}
    # The real data was reached: a 200 and a 403 for the organizer, with a real token.
    assert 200 in statuses["GET /festivals/{slug}/orders"]
    assert 403 in statuses["GET /festivals/{slug}/orders"]
    assert 200 in statuses["GET /festivals/{slug}/orders/{code}"]
    assert 200 in statuses["GET /festivals/{slug}/tickets"]
    assert 200 in statuses["GET /festivals/{slug}/ticket-types"]

    # Without a token (or with whatever schemathesis makes up), nothing breaks either.
    failures, statuses = run_schemathesis(app, headers={}, fixed=fixed[:1], examples=10)
    assert failures == [], "\n".join(failures[:5])
    assert statuses["GET /festivals/{slug}/orders"] <= {401, 404}


def test_schemathesis_harness_can_fail(app, world, monkeypatch):
    """Negative control: a view that breaks is reported by the same harness."""
    import ticketing.api

    def broken(festival):
        raise RuntimeError("boom")

    monkeypatch.setattr(ticketing.api.signing, "revocation_list", broken)
    failures, _statuses = run_schemathesis(
        app,
        headers={},
        fixed=[{"slug": world["festival"].slug}],
        operations={"listRevokedTickets"},
        examples=3,
    )
    assert failures and all("revocations" in f for f in failures)
    assert any("boom" in f for f in failures)


def test_schemathesis_harness_checks_the_response_schema(app, world, monkeypatch):
    """Negative control: a response that breaks its documented schema is reported."""
    import ticketing.api

    original = ticketing.api.ticket_type_json

    def wrong(ticket_type, available):
        return {**original(ticket_type, available), "price_vnd": "150.000 ₫"}

    monkeypatch.setattr(ticketing.api, "ticket_type_json", wrong)
    failures, _statuses = run_schemathesis(
        app,
        headers={},
        fixed=[{"slug": world["festival"].slug}],
        operations={"listTicketTypes"},
        examples=3,
    )
    assert failures and all("ticket-types" in f for f in failures)
