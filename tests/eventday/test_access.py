"""Every route is either declared public or refused to anonymous and wrong-role users."""

import re

import pytest

from eventday.accounts import operations as account_ops
from eventday.extensions import db
from eventday.festivals import operations as ops
from tests.conftest import area

# Routes any logged-in user may open (their own profile, their own festivals, creating one).
LOGIN_ONLY = {
    "accounts.profile",
    "accounts.resend_verification",
    "accounts.logout",
    "accounts.export_data",
    "accounts.erase_account",
    "accounts.create_organisation",
    "festivals.my_festivals",
    "festivals.create_festival",
    "festivals.accept_invitation",
    "accounts.list_api_tokens",
    "accounts.revoke_api_token",
    # Exhibitor profiles: any user acts for the organisations they belong to.
    "booths.my_exhibitors",
    # Applying to pitch: any user, for an organisation they belong to.
    "pitches.apply",
    "pitches.my_applications",
    # Matchmaking: anyone logged in may make a profile and look around; pages that need a
    # profile send a user without one to make it.
    "matchmaking.home",
    "matchmaking.edit_profile",
    "matchmaking.directory",
    "matchmaking.profile",
    "matchmaking.recommendations",
    "matchmaking.requests",
    "matchmaking.send_request",
    "matchmaking.agenda",
    "matchmaking.my_blocks",
}
EXTRA_PUBLIC = {"static"}
# Routes a festival's judges may open (their own assignments and conflict declarations).
JUDGE_PAGES = {"pitches.judge_home", "pitches.conflicts"}


@pytest.fixture
def world(app, create_user, create_festival):
    owner = create_user()
    festival = create_festival(organizer=owner, state="published")
    judge = create_user()
    ops.grant_role(festival, judge, "judge")
    invitation = ops.invite_coorganizer(festival, owner, "x@example.vn", area("commune", "20455"))
    org = account_ops.create_organisation(owner, "HTX Thử", "cooperative")
    other_organizer = create_user()
    other = create_festival(organizer=other_organizer)
    db.session.commit()
    grant = festival.roles[0]
    values = {
        "slug": festival.slug,
        "grant_id": grant.id,
        "invitation_id": invitation.id,
        "org_id": org.id,
        "user_id": owner.id,
        "token": "not-a-token",
        "code": "en",
        "new_state": "closed",
        "name": "missing.jpg",
        "filename": "css/app.css",
        "type_id": 1,
        "device_id": 1,
        "list_id": 1,
        "ticket_id": 1,
        "application_id": 1,
        "exhibitor_id": 1,
        "product_id": 1,
        "folder": "logos",
        "track_id": 1,
        "assignment_id": 1,
        "round_id": 1,
        "stage_id": 1,
        "item_id": 1,
        "uid": "x@eventday",
        "profile_id": 1,
        "request_id": 1,
        "session_id": 1,
        "table_id": 1,
        "meeting_id": 1,
        "seat_id": 1,
        "block_id": 1,
        "break_id": 1,
    }
    return {
        "values": values,
        "stranger": create_user(),
        "judge": judge,
        "other_organizer": other_organizer,
        "other": other,
        "festival": festival,
    }


def routes(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        methods = sorted(m for m in rule.methods if m in {"GET", "POST"})
        yield rule, view, methods


def build(rule, values):
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(r"<(?:[a-z]+:)?" + arg + ">", str(values[arg]), path)
    return path


def is_public(rule, view):
    return getattr(view, "is_public", False) or rule.endpoint in EXTRA_PUBLIC


def refused(response):
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def test_every_route_is_public_or_refused(app, client, world, auth, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    checked = 0
    protected = []
    for rule, view, methods in routes(app):
        if is_public(rule, view):
            continue
        protected.append(rule)
        for method in methods:
            response = client.open(build(rule, world["values"]), method=method)
            assert refused(response), (
                f"{method} {rule.rule} answered {response.status_code} to anonymous"
            )
            checked += 1
    assert checked >= 20  # the walk really saw the protected routes

    # A logged-in user without a role in the festival, and a judge of it, are refused.
    for who in ("stranger", "judge"):
        auth.login(world[who])
        for rule in protected:
            if rule.endpoint in LOGIN_ONLY or (who == "judge" and rule.endpoint in JUDGE_PAGES):
                continue
            view = app.view_functions[rule.endpoint]
            for method in sorted(m for m in rule.methods if m in {"GET", "POST"}):
                response = client.open(build(rule, world["values"]), method=method)
                # The JSON API ignores session cookies: a logged-in user without a token gets 401.
                refusals = (401, 403, 404) if rule.endpoint.startswith("api.") else (403, 404)
                assert response.status_code in refusals, (
                    f"{method} {rule.rule} answered {response.status_code} to {who}"
                )
            assert view is not None
        auth.logout()


def test_public_routes_are_declared(app):
    public = sorted(r.endpoint for r, v, _m in routes(app) if is_public(r, v))
    # A new public route must be added here on purpose.
    assert public == sorted(
        [
            "accounts.login",
            "accounts.register",
            "accounts.request_reset",
            "accounts.reset_password",
            "accounts.verify_email",
            "areas.search",
            "core.healthz",
            "core.switch_language",
            "festivals.cover",
            "festivals.index",
            "festivals.show",
            "static",
            # Attendee pages: open to anyone, the order ones guarded by a signed private link.
            "ticketing.list_tickets",
            "ticketing.register",
            "ticketing.show_order",
            "ticketing.show_ticket",
            "ticketing.ticket_png",
            "ticketing.vietqr_png",
            "ticketing.cancel_order",
            "ticketing.rename_attendee",
            "ticketing.join_waitlist",
            "ticketing.claim_offer",
            # Card checkout (signed order link) and the Stripe webhook (Stripe-Signature).
            "ticketing.stripe_checkout",
            "ticketing.stripe_webhook",
            # Scanner app shell and pairing: a one-time pairing code is the credential; the
            # check-in API itself needs the device token (api.* routes, not public).
            "ticketing.pair_scanner",
            "ticketing.scanner_app",
            "ticketing.scanner_service_worker",
            "ticketing.scanner_manifest",
            # JSON API v1: festivals, ticket types, public signing keys, revoked ticket ids.
            "api.openapi_document",
            "api.list_festivals",
            "api.get_festival",
            "api.list_ticket_types",
            "api.list_keys",
            "api.list_revocations",
            # Booths: the directory, products, the floor plan and map, booth pages, images.
            "booths.directory",
            "booths.exhibitor_page",
            "booths.product_page",
            "booths.media",
            "booths.plan_json",
            "booths.public_map",
            "booths.booth_page",
            # Pitches: the public programme and its ICS, the projector, the audience vote.
            "pitches.programme",
            "pitches.programme_ics",
            "pitches.item_ics",
            "pitches.projector",
            "pitches.stage_now_json",
            "pitches.vote",
            # Matchmaking: a person's calendar feed (its secret token is the credential).
            "matchmaking.agenda_feed",
        ]
    )


def test_one_organizer_cannot_edit_another_festival(app, client, world, auth, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    auth.login(world["other_organizer"])
    slug = world["festival"].slug
    assert client.get(f"/f/{world['other'].slug}/manage").status_code == 200
    for path, method in [
        (f"/f/{slug}/manage", "GET"),
        (f"/f/{slug}/edit", "GET"),
        (f"/f/{slug}/edit", "POST"),
        (f"/f/{slug}/people", "POST"),
        (f"/f/{slug}/state/closed", "POST"),
    ]:
        assert client.open(path, method=method).status_code == 403, path
    db.session.refresh(world["festival"])
    assert world["festival"].state == "published"


def test_site_admin_can_manage_any_festival(client, world, create_user, auth):
    auth.login(create_user(admin=True))
    assert client.get(f"/f/{world['festival'].slug}/manage").status_code == 200
    for path in (
        "/admin/",
        "/admin/users",
        "/admin/organisations",
        "/admin/areas",
        "/admin/festivals",
    ):
        assert client.get(path).status_code == 200, path
