"""Matchmaking profiles and the participant's pages (issue 7, points 1 and 2): creating and
editing one's profile with its checks, amounts typed the Vietnamese way, closed matchmaking,
visibility, the profile page, recommendations and the directory with filters and a search
that ignores diacritics, a constant number of queries, the home page and the festival action."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
import sqlalchemy as sa

from booths.models import ExhibitorProfile, Product
from eventday.accounts.models import Organisation, OrganisationMember
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import FestivalRole
from eventday.festivals.util import public_actions
from matchmaking import profiles
from matchmaking.models import MatchProfile, MatchSettings, MeetingRequest
from pitches.models import PitchApplication
from tests.conftest import area, csrf_token

# --------------------------------------------------------------------------- helpers


def url(festival, where="", **kw):
    base = f"/f/{festival.slug}/matchmaking"
    path = {
        "": base,
        "profile": f"{base}/profile",
        "recommendations": f"{base}/recommendations",
        "directory": f"{base}/directory",
    }.get(where, f"{base}/{where}")
    query = "&".join(f"{k}={v}" for k, v in kw.items())
    return path + ("?" + query if query else "")


def form_data(**overrides):
    data = {
        "kind": "fund",
        "display_name": "Quỹ Phát triển Quảng Nam",
        "title": "Giám đốc đầu tư",
        "organisation_id": "",
        "headline_vi": "Đầu tư nông nghiệp công nghệ cao",
        "headline_en": "Investing in high-tech farming",
        "description": "Chúng tôi đầu tư vào dược liệu và nông sản.",
        "sectors": ["agritech", "ocop_herbs"],
        "stages": ["prototype", "first_revenue"],
        "offers": ["funding", "mentoring"],
        "seeks": [],
        "languages": ["vi", "en"],
        "area_ids": "",
        "ticket_min": "500.000.000",
        "ticket_max": "2 tỷ",
        "visible": "y",
        "max_meetings": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_profile(client, festival, data, from_page="/"):
    """POST the profile form with a CSRF token taken from a page of the same session."""
    return client.post(
        url(festival, "profile"), data={**data, "csrf_token": csrf_token(client, from_page)}
    )


def ids_in(html: str, attr: str = "data-profile-id") -> list[int]:
    return [int(x) for x in re.findall(rf'{attr}="(\d+)"', html)]


def request_between(sender, recipient, state="pending"):
    req = MeetingRequest(
        festival_id=sender.festival_id,
        sender_id=sender.id,
        recipient_id=recipient.id,
        pair_low=min(sender.id, recipient.id),
        pair_high=max(sender.id, recipient.id),
        state=state,
        expires_at=utcnow() + dt.timedelta(hours=48),
    )
    db.session.add(req)
    db.session.commit()
    return req


@contextlib.contextmanager
def count_statements():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("", None),
        ("  ", None),
        ("50000000", 50_000_000),
        ("50.000.000", 50_000_000),
        ("50 000 000 đ", 50_000_000),
        ("50,000,000 VND", 50_000_000),
        ("50 triệu", 50_000_000),
        ("50 trieu dong", 50_000_000),
        ("500tr", 500_000_000),
        ("1,5 tỷ", 1_500_000_000),
        ("1.5 billion", 1_500_000_000),
        ("2 Tỷ đồng", 2_000_000_000),
        ("1.500 tỷ", 1_500_000_000_000),  # grouped thousands, not a decimal
        ("300 nghìn", 300_000),
    ],
)
def test_parse_vnd(app, raw, value):
    with app.test_request_context():
        assert profiles.parse_vnd(raw) == value


@pytest.mark.parametrize("raw", ["abc", "5.00.000", "50 quả", "-5", "1e9", "9" * 20])
def test_parse_vnd_refuses(app, raw):
    with app.test_request_context(), pytest.raises(ValueError):
        profiles.parse_vnd(raw)


# --------------------------------------------------------------------------- the form


def test_pages_need_login(client, mm_festival, create_profile):
    festival = mm_festival()
    someone = create_profile(festival)
    for path in (
        url(festival),
        url(festival, "profile"),
        url(festival, "recommendations"),
        url(festival, "directory"),
        url(festival, f"people/{someone.id}"),
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"]
    response = post_profile(client, festival, form_data(), from_page="/login")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count(MatchProfile.id))) == 1


def test_create_profile(client, auth, create_user, mm_festival):
    festival = mm_festival()
    user = create_user()
    auth.login(user)
    assert client.get(url(festival, "profile")).status_code == 200
    commune = area("commune", "20467")
    response = post_profile(client, festival, form_data(area_ids=str(commune.id)))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    profile = profiles.profile_for(user, festival)
    assert response.headers["Location"].endswith(f"/matchmaking/people/{profile.id}")
    assert profile.kind == "fund"
    assert profile.sectors == ["agritech", "ocop_herbs"]
    assert profile.stages == ["prototype", "first_revenue"]
    assert profile.offers == ["funding", "mentoring"]
    assert profile.languages == ["vi", "en"]
    assert profile.area_ids == [commune.id]
    assert (profile.ticket_min_vnd, profile.ticket_max_vnd) == (500_000_000, 2_000_000_000)
    assert profile.visible is True and profile.max_meetings is None
    assert profile.name_folded == "quy phat trien quang nam"
    assert "duoc lieu" in profile.search_folded and "giam doc dau tu" in profile.search_folded
    assert len(profile.feed_token) >= 40
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-field="ticket"' in page and 'data-field="areas"' in page
    assert commune.name in page


def test_edit_profile_keeps_the_row_and_token(client, auth, mm_festival, create_profile):
    festival = mm_festival()
    mine = create_profile(festival, "angel")
    token = mine.feed_token
    auth.login(mine.user)
    page = client.get(url(festival, "profile")).get_data(as_text=True)
    assert f'value="{mine.display_name}"' in page
    response = post_profile(
        client,
        festival,
        form_data(kind="angel", display_name="Trần Văn Đức", visible="", max_meetings="5"),
    )
    assert response.status_code == 302
    db.session.refresh(mine)
    assert mine.display_name == "Trần Văn Đức" and mine.name_folded == "tran van duc"
    assert mine.visible is False and mine.max_meetings == 5
    assert mine.feed_token == token
    assert db.session.scalar(sa.select(sa.func.count(MatchProfile.id))) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "kept"),
    [
        ({"ticket_min": "2 tỷ", "ticket_max": "500 triệu"}, "ticket_max", "500 triệu"),
        ({"ticket_min": "năm trăm"}, "ticket_min", "năm trăm"),
        ({"max_meetings": "99"}, "max_meetings", "99"),
        ({"max_meetings": "ba"}, "max_meetings", "ba"),
        ({"display_name": "  "}, "display_name", None),
        ({"kind": "wizard"}, "kind", None),
        ({"sectors": ["agritech", "astrology"]}, "sectors", None),
        ({"area_ids": "1,abc"}, "area_ids", None),
        ({"area_ids": "999999999"}, "area_ids", None),
    ],
)
def test_bad_input_is_refused_and_kept(
    client, auth, create_user, mm_festival, overrides, field, kept
):
    festival = mm_festival(max_meetings=12)
    auth.login(create_user(locale="en"))
    data = form_data(description="Mô tả dài tôi đã gõ", **overrides)
    response = post_profile(client, festival, data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="profile-error"' in html
    assert 'class="error"' in html  # the field's own message
    assert "Mô tả dài tôi đã gõ" in html  # nothing typed is lost
    assert 'value="Giám đốc đầu tư"' in html
    if kept:
        assert f'value="{kept}"' in html
    assert db.session.scalar(sa.select(sa.func.count(MatchProfile.id))) == 0


def test_range_error_is_translated_and_on_the_field(client, auth, create_user, mm_festival):
    festival = mm_festival()
    auth.login(create_user(locale="en"))
    html = post_profile(client, festival, form_data(ticket_min="2 tỷ", ticket_max="1 tỷ")).get_data(
        as_text=True
    )
    assert "The maximum must not be below the minimum." in html


def test_organisation_must_be_mine(client, auth, create_user, mm_festival, create_profile):
    festival = mm_festival()
    stranger = create_profile(festival, "startup")  # has an organisation
    auth.login(create_user())
    response = post_profile(
        client,
        festival,
        form_data(kind="startup", organisation_id=str(stranger.organisation_id)),
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(MatchProfile.id))) == 1


def test_closed_matchmaking_shows_a_notice(client, auth, create_user, create_festival):
    festival = create_festival(state="published")
    user = create_user()
    auth.login(user)
    # No settings at all, then settings closed: a notice, nothing saved.
    for step in range(2):
        page = client.get(url(festival, "profile"))
        assert page.status_code == 200 and 'id="mm-closed"' in page.get_data(as_text=True)
        assert post_profile(client, festival, form_data()).status_code == 409
        home = client.get(url(festival)).get_data(as_text=True)
        assert 'id="mm-closed"' in home and 'id="mm-create-profile"' not in home
        if step == 0:
            db.session.add(MatchSettings(festival_id=festival.id, is_open=False))
            db.session.commit()
    assert profiles.profile_for(user, festival) is None


def test_closed_festival_refuses_profiles(client, auth, create_user, mm_festival):
    festival = mm_festival()
    from eventday.festivals import operations as festival_ops

    festival_ops.change_state(festival, "closed")
    db.session.commit()
    auth.login(create_user())
    assert 'id="mm-closed"' in client.get(url(festival, "profile")).get_data(as_text=True)
    assert post_profile(client, festival, form_data()).status_code == 409


def test_draft_festival_is_404(client, auth, create_user, create_festival):
    festival = create_festival(state="draft")
    db.session.add(MatchSettings(festival_id=festival.id, is_open=True))
    db.session.commit()
    auth.login(create_user())
    for page in ("", "profile", "directory", "recommendations"):
        assert client.get(url(festival, page)).status_code == 404


def test_nobody_edits_someone_elses_profile(client, auth, create_user, mm_festival, create_profile):
    festival = mm_festival()
    theirs = create_profile(festival, "fund", name="Quỹ của người khác")
    intruder = create_user()
    auth.login(intruder)
    # The form is always one's own: posting creates the intruder's profile, theirs is intact.
    page = client.get(url(festival, "profile")).get_data(as_text=True)
    assert "Quỹ của người khác" not in page
    post_profile(client, festival, form_data(display_name="Của tôi"))
    db.session.refresh(theirs)
    assert theirs.display_name == "Quỹ của người khác"
    assert profiles.profile_for(intruder, festival).display_name == "Của tôi"
    their_page = client.get(url(festival, f"people/{theirs.id}")).get_data(as_text=True)
    assert 'id="mm-edit-profile"' not in their_page
    # And the operation refuses another user's row.
    with pytest.raises(profiles.ProfileError):
        profiles.save_profile(theirs, intruder, festival, profiles.ProfileData("fund", "X"))


def test_prefill_from_pitch_application_and_exhibitor(client, auth, create_user, mm_festival):
    festival = mm_festival()
    user = create_user()
    org = Organisation(kind="startup")
    org.set_name("HTX Sâm Tây Giang")
    db.session.add(org)
    db.session.flush()
    db.session.add(OrganisationMember(organisation_id=org.id, user_id=user.id, role="owner"))
    commune = area("commune", "20467")
    db.session.add(
        PitchApplication(
            festival_id=festival.id,
            organisation_id=org.id,
            applicant_id=user.id,
            title="Sâm dưới tán rừng",
            title_folded="sam duoi tan rung",
            stage="first_revenue",
            summary_vi="Trồng sâm dưới tán rừng",
            funding_vnd=1_000_000_000,
            home_area_id=commune.id,
        )
    )
    exhibitor = ExhibitorProfile(
        organisation_id=org.id, kind="cooperative", display_name="HTX Sâm", name_folded="htx sam"
    )
    db.session.add(exhibitor)
    db.session.flush()
    db.session.add(
        Product(exhibitor_id=exhibitor.id, name_vi="Sâm", name_folded="sam", ocop_group="III.1")
    )
    db.session.commit()
    values = profiles.prefill(user, festival)
    assert values["organisation_id"] == org.id and values["kind"] == "startup"
    assert values["stages"] == ["first_revenue"] and values["seeks"] == ["funding"]
    assert values["ticket_min_vnd"] == values["ticket_max_vnd"] == 1_000_000_000
    assert values["sectors"] == ["ocop_herbs"] and values["area_ids"] == [commune.id]
    auth.login(user)
    page = client.get(url(festival, "profile")).get_data(as_text=True)
    assert 'id="profile-prefilled"' in page and 'value="1.000.000.000"' in page
    # The button fills what is empty and keeps what was typed.
    html = post_profile(
        client,
        festival,
        form_data(
            kind="fund",
            display_name="Tên tôi gõ",
            organisation_id=str(org.id),
            headline_vi="",
            ticket_min="",
            ticket_max="",
            prefill="1",
        ),
    ).get_data(as_text=True)
    assert 'value="Tên tôi gõ"' in html and "Trồng sâm dưới tán rừng" in html
    assert 'value="1.000.000.000"' in html
    assert profiles.profile_for(user, festival) is None  # nothing saved by filling in


# --------------------------------------------------------------------------- visibility


def test_hidden_profiles(client, auth, create_user, mm_festival, create_profile):
    festival = mm_festival()
    viewer = create_profile(festival, "fund", sectors=["agritech"])
    shown = create_profile(festival, sectors=["agritech"])
    hidden = create_profile(festival, sectors=["agritech"], visible=False)
    auth.login(viewer.user)
    directory = client.get(url(festival, "directory")).get_data(as_text=True)
    assert shown.id in ids_in(directory) and hidden.id not in ids_in(directory)
    recs = client.get(url(festival, "recommendations")).get_data(as_text=True)
    assert ids_in(recs) == [shown.id]
    assert client.get(url(festival, f"people/{hidden.id}")).status_code == 404
    assert client.get(url(festival, f"people/{shown.id}")).status_code == 200
    # Its owner and the organizers still see it.
    auth.logout()
    auth.login(hidden.user)
    own = client.get(url(festival, f"people/{hidden.id}"))
    assert own.status_code == 200 and 'id="mm-hidden"' in own.get_data(as_text=True)
    assert hidden.id in ids_in(client.get(url(festival, "directory")).get_data(as_text=True))
    auth.logout()
    organizer = db.session.scalar(
        sa.select(FestivalRole.user_id).where(
            FestivalRole.festival_id == festival.id, FestivalRole.role == "organizer"
        )
    )
    from eventday.accounts.models import User

    auth.login(db.session.get(User, organizer))
    assert client.get(url(festival, f"people/{hidden.id}")).status_code == 200


def test_profile_of_another_festival_is_404(client, auth, mm_festival, create_profile):
    one, two = mm_festival(), mm_festival()
    person = create_profile(one)
    auth.login(create_profile(two, "fund").user)
    assert client.get(url(two, f"people/{person.id}")).status_code == 404
    assert client.get(url(two, "people/999999")).status_code == 404


def test_profile_page_offers_a_request(client, auth, mm_festival, create_profile):
    festival = mm_festival()
    fund = create_profile(festival, "fund", sectors=["agritech"])
    startup = create_profile(festival, sectors=["agritech"])
    auth.login(fund.user)
    html = client.get(url(festival, f"people/{startup.id}")).get_data(as_text=True)
    assert 'data-reason="sectors"' in html  # why these two might meet
    # The form posts to the requests' endpoint, with the message limit the server enforces.
    assert f'action="/f/{festival.slug}/matchmaking/people/{startup.id}/request"' in html
    assert 'name="priority" value="must"' in html and 'maxlength="1000"' in html
    request_between(fund, startup)
    html = client.get(url(festival, f"people/{startup.id}")).get_data(as_text=True)
    assert 'id="mm-request-live" data-state="pending"' in html
    assert 'id="mm-request-form"' not in html


# --------------------------------------------------------------------------- recommendations


def test_recommendations_rank_with_reasons(client, auth, create_user, mm_festival, create_profile):
    festival = mm_festival()
    province = area("province", "48") or area("commune", "20467")
    commune = area("commune", "20467")
    me = create_profile(
        festival,
        "fund",
        user=create_user(locale="en"),
        sectors=["agritech", "ocop_herbs"],
        stages=["prototype"],
        offers=["funding"],
        area_ids=[province.id],
        ticket_min_vnd=500_000_000,
        ticket_max_vnd=2_000_000_000,
    )
    best = create_profile(
        festival,
        sectors=["agritech", "ocop_herbs"],
        stages=["prototype"],
        seeks=["funding"],
        area_ids=[commune.id],
        ticket_min_vnd=1_000_000_000,
    )
    some = create_profile(festival, sectors=["ocop_herbs"])
    create_profile(festival, sectors=["edtech"])  # nothing in common
    create_profile(festival, "bank", sectors=["agritech"])  # same side
    asked = create_profile(festival, sectors=["agritech", "ocop_herbs"], stages=["prototype"])
    request_between(asked, me)
    auth.login(me.user)
    html = client.get(url(festival, "recommendations")).get_data(as_text=True)
    assert ids_in(html) == [best.id, some.id]
    scores = [int(x) for x in re.findall(r'data-score="(\d+)"', html)]
    assert scores == sorted(scores, reverse=True) and scores[0] == 6 + 2 + 3 + 2 + 2
    first = html.split(f'data-profile-id="{best.id}"')[1].split("</li>\n  <li")[0]
    for code in ("sectors", "stage", "ticket", "area", "seeks"):
        assert f'data-reason="{code}"' in first
    assert "Same sector: High-tech agriculture, Medicinal herbs" in first
    assert "Ticket 500 million–2 billion fits the need of 1 billion" in first
    assert 'data-asked="1"' in html


def test_recommendations_need_a_profile(client, auth, create_user, mm_festival):
    festival = mm_festival()
    auth.login(create_user())
    response = client.get(url(festival, "recommendations"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/matchmaking/profile")


def test_recommendation_filters(client, auth, mm_festival, create_profile):
    festival = mm_festival()
    me = create_profile(festival, "fund", sectors=["agritech", "ocop_food"], ticket_max_vnd=10**9)
    a = create_profile(festival, "exhibitor", sectors=["ocop_food"], stages=["growth"])
    b = create_profile(festival, sectors=["agritech"], ticket_min_vnd=5 * 10**8)
    c = create_profile(festival, sectors=["agritech"], ticket_min_vnd=5 * 10**9)
    auth.login(me.user)

    def found(**args):
        return set(
            ids_in(client.get(url(festival, "recommendations", **args)).get_data(as_text=True))
        )

    assert found() == {a.id, b.id, c.id}
    assert found(kind="exhibitor") == {a.id}
    assert found(sector="agritech") == {b.id, c.id}
    assert found(stage="growth") == {a.id}
    assert found(fits="1") == {b.id}


# --------------------------------------------------------------------------- directory


def test_directory_search_ignores_diacritics(
    client, auth, create_user, mm_festival, create_profile
):
    festival = mm_festival()
    herbs = create_profile(festival, name="HTX Sâm Ngọc Linh", sectors=["ocop_herbs"])
    grower = create_profile(festival, name="Công ty Xanh")
    grower.search_folded = "cong ty xanh trong duoc lieu duoi tan rung"
    db.session.commit()
    other = create_profile(festival, "fund", name="Quỹ Đà Nẵng")
    auth.login(create_user())

    def found(q):
        return set(ids_in(client.get(url(festival, "directory", q=q)).get_data(as_text=True)))

    assert found("duoc lieu") == {herbs.id, grower.id}
    assert found("Dược Liệu") == {herbs.id, grower.id}
    assert found("quy da nang") == {other.id}
    assert found("ca phe") == set()


def test_directory_filters_and_pages(client, auth, create_user, mm_festival, create_profile):
    festival = mm_festival()
    commune = area("commune", "20467")
    elsewhere = area("commune", "20455")
    startups = [
        create_profile(festival, name=f"Khởi nghiệp {i:02d}", area_ids=[commune.id])
        for i in range(35)
    ]
    fund = create_profile(festival, "fund", name="Quỹ A", area_ids=[elsewhere.id])
    auth.login(create_user())
    page1 = client.get(url(festival, "directory")).get_data(as_text=True)
    assert 'data-total="36"' in page1 and len(ids_in(page1)) == 30
    page2 = client.get(url(festival, "directory", page=2)).get_data(as_text=True)
    assert len(ids_in(page2)) == 6
    assert set(ids_in(page1)) | set(ids_in(page2)) == {p.id for p in [*startups, fund]}
    assert ids_in(client.get(url(festival, "directory", kind="fund")).get_data(as_text=True)) == [
        fund.id
    ]
    by_area = client.get(url(festival, "directory", area=elsewhere.id)).get_data(as_text=True)
    assert ids_in(by_area) == [fund.id]
    assert client.get(url(festival, "directory", page="abc")).status_code == 200


@pytest.mark.parametrize("page", ["directory", "recommendations"])
def test_constant_queries(client, auth, create_user, mm_festival, create_profile, page):
    festival = mm_festival()
    commune = area("commune", "20467")
    me = create_profile(festival, "fund", sectors=["agritech"], area_ids=[commune.id])
    auth.login(me.user)

    def seed(n):
        for _i in range(n):
            other = create_profile(
                festival,
                sectors=["agritech"],
                stages=["idea"],
                area_ids=[commune.id],
                ticket_min_vnd=10**8,
            )
            if _i % 5 == 0:
                request_between(other, me)

    def measure():
        with count_statements() as statements:
            response = client.get(url(festival, page, q="khoi nghiep", sector="agritech"))
        assert response.status_code == 200
        return len(statements), len(ids_in(response.get_data(as_text=True)))

    seed(10)
    few, shown_few = measure()
    seed(30)
    many, shown_many = measure()
    assert shown_many > shown_few > 0
    assert many == few


# --------------------------------------------------------------------------- home and festival


def test_home_shows_profile_status_and_counts(
    client, auth, create_user, mm_festival, create_profile
):
    festival = mm_festival()
    auth.login(create_user())
    html = client.get(url(festival)).get_data(as_text=True)
    assert 'data-has-profile="0"' in html and 'id="mm-create-profile"' in html
    auth.logout()
    me = create_profile(festival, "fund")
    a, b, c = (create_profile(festival) for _ in range(3))
    request_between(a, me)
    request_between(b, me)
    request_between(me, c)
    request_between(me, create_profile(festival), state="accepted")
    request_between(me, create_profile(festival), state="declined")
    auth.login(me.user)
    html = client.get(url(festival)).get_data(as_text=True)
    assert 'data-has-profile="1"' in html
    assert 'data-count="incoming">2<' in html
    assert 'data-count="outgoing">1<' in html
    assert 'data-count="accepted">1<' in html
    assert 'data-count="meetings">0<' in html
    assert 'id="mm-link-recommendations"' in html and 'id="mm-link-directory"' in html


def test_festival_page_action(app, client, mm_festival, create_festival):
    festival = mm_festival()
    closed = create_festival(state="published")
    db.session.add(MatchSettings(festival_id=closed.id, is_open=False))
    db.session.commit()
    with app.test_request_context():
        assert any(
            u.endswith(f"/f/{festival.slug}/matchmaking") for _l, u in public_actions(festival)
        )
        assert not any("/matchmaking" in u for _l, u in public_actions(closed))
    page = client.get(f"/f/{festival.slug}").get_data(as_text=True)
    assert f'href="/f/{festival.slug}/matchmaking"' in page


# --------------------------------------------------------------------------- requests page


def test_requests_page_query_count_does_not_grow(
    client, auth, mm_festival, create_profile, create_session, create_tables
):
    """3 or 12 requests each way (pending, and accepted with a meeting at different tables):
    the page runs the same number of statements."""
    from matchmaking import booking
    from matchmaking.scheduler import Slot

    festival = mm_festival()
    me = create_profile(festival, "fund")
    session = create_session(festival)
    tables = create_tables(festival, n=4)
    made = 0

    def seed(total):
        nonlocal made
        while made < total:
            sender = create_profile(festival, "startup", title="Giám đốc")
            req = request_between(sender, me, state="accepted" if made % 2 else "pending")
            if made % 2:
                start = session.starts_at + dt.timedelta(minutes=20 * made)
                slot = Slot(
                    session.id * 1000 + made, start, start + dt.timedelta(minutes=20), session.id
                )
                booking.create_meeting(req, slot, tables[made % 4].id, published=True)
                db.session.commit()
            request_between(me, create_profile(festival, "startup"))
            made += 1

    def measure(total):
        with count_statements() as statements:
            response = client.get(url(festival, "requests"))
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert len(ids_in(page, "data-request-id")) == 2 * total
        assert len(ids_in(page, "data-meeting-id")) == total // 2
        return len(statements)

    auth.login(me.user)
    seed(3)
    few = measure(3)
    seed(12)
    assert measure(12) == few


# --------------------------------------------------------------------------- folded filters

DETAILS_RE = re.compile(r'<details id="mm-filters-box"[^>]*>')


@pytest.mark.parametrize("page", ["recommendations", "directory"])
def test_filters_are_folded_unless_one_is_active(client, auth, mm_festival, create_profile, page):
    """On a phone the filter form must not fill the first screen: it sits in a closed
    <details>, open when a filter is in use (so the person sees what narrows the list)."""
    festival = mm_festival()
    me = create_profile(festival, "fund", sectors=["agritech"])
    create_profile(festival, sectors=["agritech"])
    auth.login(me.user)
    plain = client.get(url(festival, page)).get_data(as_text=True)
    tag = DETAILS_RE.search(plain)
    assert tag is not None
    assert " open" not in tag.group(0)
    # The form is inside the <details>.
    assert tag.start() < plain.index('id="mm-filters"') < plain.index("</details>", tag.start())
    for args in ({"sector": "agritech"}, {"q": "thu"}, {"kind": "startup"}):
        filtered = client.get(url(festival, page, **args)).get_data(as_text=True)
        assert " open" in DETAILS_RE.search(filtered).group(0), args


def test_requests_page_lines_are_tidy(
    client, auth, mm_festival, create_profile, create_session, create_tables
):
    """No " · " hanging before the state badge; the meeting's place is the table's label
    ("Bàn 2 – Sảnh A", which names the number already) or "Table N" without a label."""
    from matchmaking import booking
    from matchmaking.models import MatchTable
    from matchmaking.scheduler import Slot
    from tests.conftest import vi

    festival = mm_festival()
    me = create_profile(festival, "fund")
    session = create_session(festival)
    create_tables(festival, n=1)
    labelled = MatchTable(festival_id=festival.id, number=2, label="Bàn 2 – Sảnh A")
    bare = MatchTable(festival_id=festival.id, number=3, label="")
    db.session.add_all([labelled, bare])
    db.session.commit()
    titled = create_profile(festival, "startup", title="Giám đốc")
    plain = create_profile(festival, "startup")
    for n, (sender, table) in enumerate(((titled, labelled), (plain, bare))):
        req = request_between(sender, me, state="accepted")
        start = session.starts_at + dt.timedelta(minutes=20 * n)
        slot = Slot(session.id * 1000 + n, start, start + dt.timedelta(minutes=20), session.id)
        booking.create_meeting(req, slot, table.id, published=True)
    request_between(me, create_profile(festival, "startup"))
    db.session.commit()
    auth.login(me.user)
    page = client.get(url(festival, "requests")).get_data(as_text=True)
    assert re.search(r"·\s*<span class=\"badge", page) is None
    assert "Giám đốc" in page
    places = dict(re.findall(r'<span class="mm-place" data-table="(\d+)">([^<]*)</span>', page))
    assert places == {"2": "Bàn 2 – Sảnh A", "3": vi("Table %(number)s", number=3)}
