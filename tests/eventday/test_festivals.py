import datetime as dt
import io

import pytest
import sqlalchemy as sa
from PIL import Image

from eventday.extensions import db
from eventday.festivals import operations as ops
from eventday.festivals.models import Festival, FestivalHost, FestivalRole
from tests.conftest import area, csrf_token, en, vi


def festival_form(token, **overrides):
    start = dt.date.today() + dt.timedelta(days=30)
    data = {
        "csrf_token": token,
        "name_vi": "Ngày hội khởi nghiệp liên xã Thạnh Mỹ – La Êê",
        "name_en": "Thanh My – La Ee Startup Festival",
        "slug": "ngay-hoi-thanh-my-la-ee",
        "host_areas": f"{area('commune', '20695').id},{area('commune', '20698').id}",
        "lead_area": str(area("commune", "20698").id),
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=1)).isoformat(),
        "day_starts": "07:30",
        "day_ends": "17:00",
        "venue_name": "Nhà văn hóa xã Thạnh Mỹ",
        "venue_address": "Xã Thạnh Mỹ, thành phố Đà Nẵng",
        "latitude": "15.759",
        "longitude": "107.824",
        "description_vi": "**Ngày hội** <script>alert(1)</script>",
        "description_en": "",
        "groups": ["youth", "women"],
        "custom_groups": "Đồng bào Cơ Tu\n",
        "stages": "Sân khấu chính | 500\nHội trường | 120",
    }
    data.update(overrides)
    return data


def image_bytes(fmt="PNG", size=(2400, 1200)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 110, 79)).save(buffer, fmt)
    return buffer.getvalue()


def count_festivals():
    return db.session.scalar(sa.select(sa.func.count(Festival.id)))


@pytest.fixture
def organizer_client(client, create_user, auth):
    user = create_user()
    auth.login(user)
    return client, user


def test_create_festival_with_two_communes_is_inter_commune(organizer_client):
    client, user = organizer_client
    data = festival_form(csrf_token(client, "/festivals/new"))
    data["cover"] = (io.BytesIO(image_bytes()), "anh-bia.png")
    response = client.post("/festivals/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    festival = db.session.scalar(
        sa.select(Festival).where(Festival.slug == "ngay-hoi-thanh-my-la-ee")
    )
    assert festival.state == "draft"
    assert festival.scope == "inter_commune"
    assert [h.area.code for h in festival.hosts] == ["20695", "20698"]
    assert festival.lead_host.area.code == "20698"
    assert festival.hosts[0].area_label == "xã Thạnh Mỹ, thành phố Đà Nẵng"
    assert [d.day for d in festival.days] == [
        dt.date.fromisoformat(data["start_date"]),
        dt.date.fromisoformat(data["end_date"]),
    ]
    assert [g.name_vi for g in festival.groups] == ["Thanh niên", "Phụ nữ", "Đồng bào Cơ Tu"]
    assert [(s.name_vi, s.capacity) for s in festival.stages] == [
        ("Sân khấu chính", 500),
        ("Hội trường", 120),
    ]
    roles = db.session.scalars(
        sa.select(FestivalRole).where(FestivalRole.festival_id == festival.id)
    )
    assert [(r.user_id, r.role) for r in roles] == [(user.id, "organizer")]
    # The cover was re-encoded as a JPEG no larger than 1600x900.
    cover = client.get(f"/media/covers/{festival.cover_image}")
    assert cover.status_code == 200
    img = Image.open(io.BytesIO(cover.data))
    assert img.format == "JPEG" and img.width <= 1600 and img.height <= 900

    # Drafts are not public.
    anonymous = client.application.test_client()
    assert anonymous.get("/f/ngay-hoi-thanh-my-la-ee").status_code == 404
    # Publish, then the public page says inter-commune in Vietnamese, and escapes HTML.
    path = "/f/ngay-hoi-thanh-my-la-ee/state/published"
    assert client.post(path, data={"csrf_token": csrf_token(client, "/")}).status_code == 302
    page = anonymous.get("/f/ngay-hoi-thanh-my-la-ee").get_data(as_text=True)
    assert vi("Inter-commune festival") in page
    assert "<strong>Ngày hội</strong>" in page
    assert "<script>alert(1)</script>" not in page


def test_single_commune_and_inter_district_labels(create_festival):
    assert create_festival(hosts=("20455",)).scope == "single_commune"
    festival = create_festival(hosts=("20455", "20467"))
    assert festival.scope == "inter_commune" and festival.is_inter_area


@pytest.mark.parametrize(
    "overrides,field_error",
    [
        ({"end_date": "2020-01-01"}, "The last day cannot be before the first day."),
        ({"host_areas": "999999"}, "Unknown area. Pick host areas from the list."),
        ({"host_areas": "abc"}, "Unknown area. Pick host areas from the list."),
        ({"host_areas": ""}, "Choose at least one host area."),
        ({"day_ends": "06:00"}, "Closing time must be after opening time."),
        (
            {"slug": "Bad Slug!"},
            "Use lowercase letters, digits and dashes only, e.g. ngay-hoi-dong-giang-2026.",
        ),
        (
            {"stages": "Sân khấu | nhiều"},
            "Line %(line)s: write a name, then optionally | and a capacity number.",
        ),
    ],
)
def test_bad_festival_input_is_refused_with_translated_error(
    organizer_client, overrides, field_error
):
    client, _user = organizer_client
    before = count_festivals()
    data = festival_form(csrf_token(client, "/festivals/new"), **overrides)
    response = client.post("/festivals/new", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    expected = vi(field_error, line=1) if "%(line)s" in field_error else vi(field_error)
    assert expected in page
    # Nothing was kept and the form keeps what was typed.
    assert count_festivals() == before
    assert "Nhà văn hóa xã Thạnh Mỹ" in page


def test_duplicate_slug_is_refused(organizer_client, create_festival):
    client, _user = organizer_client
    create_festival(slug="ngay-hoi-trung")
    before = count_festivals()
    response = client.post(
        "/festivals/new",
        data=festival_form(csrf_token(client, "/festivals/new"), slug="ngay-hoi-trung"),
    )
    assert response.status_code == 200
    assert vi("This web address is already taken.") in response.get_data(as_text=True)
    assert count_festivals() == before


@pytest.mark.parametrize(
    "upload,message",
    [
        (
            lambda: (io.BytesIO(b"%PDF-1.4 not an image at all"), "anh.png"),
            "This file is not an image we can use (JPEG, PNG or WebP).",
        ),
        (
            lambda: (io.BytesIO(b"GIF89a" + b"\0" * 100), "anh.jpg"),
            "This file is not an image we can use (JPEG, PNG or WebP).",
        ),
        (
            lambda: (io.BytesIO(b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024 + 10)), "big.jpg"),
            "The image is too large (at most 5 MB).",
        ),
    ],
)
def test_bad_cover_changes_nothing(organizer_client, upload, message):
    client, _user = organizer_client
    before = count_festivals()
    data = festival_form(csrf_token(client, "/festivals/new"))
    data["cover"] = upload()
    response = client.post("/festivals/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert vi(message) in response.get_data(as_text=True)
    assert count_festivals() == before


def test_upload_over_request_limit_is_413(app, organizer_client, monkeypatch):
    client, _user = organizer_client
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    data = festival_form(csrf_token(client, "/festivals/new"))
    data["cover"] = (io.BytesIO(b"x" * 4096), "a.png")
    response = client.post("/festivals/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert vi("The upload is larger than allowed.") in response.get_data(as_text=True)


def test_missing_csrf_token_is_400_and_changes_nothing(organizer_client):
    client, _user = organizer_client
    before = count_festivals()
    data = festival_form("")
    del data["csrf_token"]
    response = client.post("/festivals/new", data=data)
    assert response.status_code == 400
    assert vi(
        "The form was missing its security token or it has expired. Reload and try again."
    ) in response.get_data(as_text=True)
    assert count_festivals() == before


def test_state_machine(create_festival):
    festival = create_festival()
    with pytest.raises(ops.InvalidTransition):
        ops.change_state(festival, "archived")
    ops.change_state(festival, "published")
    assert festival.published_at is not None
    ops.change_state(festival, "closed")
    ops.change_state(festival, "archived")
    with pytest.raises(ops.InvalidTransition):
        ops.change_state(festival, "published")


def test_closed_festival_is_public_and_says_no_new_signups(client, create_festival):
    festival = create_festival(state="closed")
    page = client.get(f"/f/{festival.slug}").get_data(as_text=True)
    assert vi("This festival is closed: no new sign-ups.") in page
    archived = create_festival(state="archived")
    assert client.get(f"/f/{archived.slug}").status_code == 404


def test_public_list_filters_by_area_and_time(client, create_festival):
    today = dt.date.today()
    la_ee = create_festival(
        hosts=("20698", "20695"), state="published", start=today + dt.timedelta(days=5)
    )
    tay_giang = create_festival(
        hosts=("20455",), state="published", start=today + dt.timedelta(days=6)
    )
    past = create_festival(hosts=("20698",), state="closed", start=today - dt.timedelta(days=40))
    draft = create_festival(hosts=("20698",), state="draft")

    def names(query):
        return client.get("/" + query).get_data(as_text=True)

    page = names(f"?area={area('commune', '20698').id}")
    assert la_ee.name_vi in page and tay_giang.name_vi not in page
    assert past.name_vi not in page and draft.name_vi not in page
    page = names(f"?area={area('commune', '20698').id}&when=past")
    assert past.name_vi in page and la_ee.name_vi not in page
    # The former Nam Giang district covers the new La Êê commune through the lineage.
    old_district = area("district", "510", dt.date(2024, 1, 1))
    page = names(f"?area={old_district.id}")
    assert la_ee.name_vi in page and tay_giang.name_vi not in page


def test_edit_keeps_history_and_moves_lead(organizer_client, create_festival):
    client, user = organizer_client
    festival = create_festival(organizer=user, hosts=("20467", "20455"))
    path = f"/f/{festival.slug}/edit"
    data = festival_form(
        csrf_token(client, path),
        slug=festival.slug,
        host_areas=f"{area('commune', '20455').id},{area('commune', '20476').id}",
        lead_area=str(area("commune", "20476").id),
    )
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    hosts = db.session.scalars(
        sa.select(FestivalHost)
        .where(FestivalHost.festival_id == festival.id)
        .order_by(FestivalHost.position)
    ).all()
    assert [(h.area.code, h.is_lead) for h in hosts] == [("20455", False), ("20476", True)]


def test_one_lead_host_is_enforced_by_the_database(create_festival):
    festival = create_festival(hosts=("20467", "20455"))
    for host in festival.hosts:
        host.is_lead = True
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.flush()


def test_coorganizer_invitation_by_email_link(client, create_user, create_festival, auth):
    lead_organizer = create_user()
    festival = create_festival(organizer=lead_organizer, hosts=("20467", "20455"))
    auth.login(lead_organizer)
    path = f"/f/{festival.slug}/people"
    tay_giang = area("commune", "20455")
    response = client.post(
        path,
        data={
            "invite-email": "Co.Org@Example.vn",
            "invite-area_id": str(tay_giang.id),
            "invite-csrf_token": csrf_token(client, path),
        },
    )
    assert response.status_code == 302
    from eventday.mail import OutboxMail

    mail = db.session.scalar(
        sa.select(OutboxMail).where(OutboxMail.recipient == "co.org@example.vn")
    )
    import re

    link = re.search(r"http://localhost(/invitations/\S+)", mail.body_text)[1]
    auth.logout()
    co_organizer = create_user(email="co.org@example.vn")
    auth.login(co_organizer)
    assert client.get(f"/f/{festival.slug}/manage").status_code == 403
    assert client.post(link, data={"csrf_token": csrf_token(client, link)}).status_code == 302
    assert client.get(f"/f/{festival.slug}/manage").status_code == 200
    grant = db.session.scalar(
        sa.select(FestivalRole).where(
            FestivalRole.user_id == co_organizer.id, FestivalRole.festival_id == festival.id
        )
    )
    assert grant.role == "organizer" and grant.area_id == tay_giang.id
    # The link works once.
    second = client.post(link, data={"csrf_token": csrf_token(client, "/")})
    assert second.status_code == 302 and "/my/festivals" in second.headers["Location"]


def test_invitation_area_must_be_a_host(create_user, create_festival):
    festival = create_festival(hosts=("20467",))
    with pytest.raises(ops.UnknownArea):
        ops.invite_coorganizer(festival, create_user(), "x@example.vn", area("commune", "20695"))


def test_roles_many_per_user_and_last_organizer_kept(create_user, create_festival):
    user = create_user()
    first = create_festival(organizer=user)
    second = create_festival()
    ops.grant_role(first, user, "judge")
    ops.grant_role(second, user, "investor")
    ops.grant_role(second, user, "investor")  # idempotent
    roles = db.session.execute(
        sa.select(FestivalRole.festival_id, FestivalRole.role).where(
            FestivalRole.user_id == user.id
        )
    ).all()
    assert sorted(roles) == sorted(
        [(first.id, "organizer"), (first.id, "judge"), (second.id, "investor")]
    )
    organizer_grant = next(g for g in first.roles if g.role == "organizer")
    with pytest.raises(ops.LastOrganizer):
        ops.revoke_role(first, organizer_grant)


def test_language_switch_is_remembered(client):
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)
    response = client.post("/lang/en", data={"csrf_token": csrf_token(client, "/"), "next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and en("Startup and innovation festivals") in page
    # An absolute URL in "next" is not followed (no open redirect).
    response = client.post(
        "/lang/vi", data={"csrf_token": csrf_token(client, "/"), "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"
    assert vi("Startup and innovation festivals") in client.get("/").get_data(as_text=True)


def test_english_browser_gets_english_but_vietnamese_is_default(client):
    assert '<html lang="vi">' in client.get("/", headers={"Accept-Language": "fr"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-US,en"}).get_data(
        as_text=True
    )
