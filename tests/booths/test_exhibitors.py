"""Exhibitor profiles and products: the operations' checks, photos by content, certificate
verification withdrawn by a change, and the pages (members only, bad input kept)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from booths import exhibitors as ops
from booths.models import ExhibitorProfile, Product
from eventday.accounts import operations as account_ops
from eventday.extensions import db
from tests.conftest import area, csrf_token

DECIDED = dt.date(2024, 5, 10)


def png(size=(1600, 1000), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def data(**values) -> ops.ProductData:
    values.setdefault("name_vi", "Trà đẳng sâm")
    return ops.ProductData(**values)


def reasons(exc_info) -> dict:
    return exc_info.value.errors


# --------------------------------------------------------------------------- profiles


def test_create_exhibitor_for_own_organisation(create_user):
    user = create_user()
    org = account_ops.create_organisation(user, "HTX Nông nghiệp xã Tư", "cooperative")
    commune = area("commune", "20455")
    profile = ops.create_exhibitor(
        user,
        org,
        ops.ExhibitorData(
            kind="cooperative",
            display_name="  HTX  Nông nghiệp   xã Tư ",
            home_area_id=commune.id,
            contact_phone="0905 123 456",
            contact_email="HTX@Example.vn",
        ),
    )
    assert profile.display_name == "HTX Nông nghiệp xã Tư"
    assert profile.name_folded == "htx nong nghiep xa tu"
    assert profile.contact_phone == "+84905123456"
    assert profile.contact_email == "htx@example.vn"
    with pytest.raises(ops.InvalidData) as err:
        ops.create_exhibitor(user, org, ops.ExhibitorData(kind="cooperative", display_name="X"))
    assert reasons(err) == {"organisation_id": "profile_exists"}


def test_only_members_create_a_profile(create_user):
    owner, stranger = create_user(), create_user()
    org = account_ops.create_organisation(owner, "HTX Thử", "cooperative")
    with pytest.raises(ops.ExhibitorError) as err:
        ops.create_exhibitor(stranger, org, ops.ExhibitorData(kind="other", display_name="X"))
    assert err.value.reason == "not_member"


def test_bad_profile_data_lists_every_field(create_exhibitor):
    profile = create_exhibitor()
    with pytest.raises(ops.InvalidData) as err:
        ops.update_exhibitor(
            profile,
            ops.ExhibitorData(
                kind="pirate",
                display_name=" ",
                home_area_id=999_999_999,
                contact_phone="12",
                contact_email="not an email",
            ),
        )
    assert reasons(err) == {
        "kind": "bad_kind",
        "display_name": "required",
        "home_area_id": "bad_area",
        "contact_phone": "bad_phone",
        "contact_email": "bad_email",
    }


def test_logo_is_checked_by_content_and_resized(app, create_exhibitor):
    profile = create_exhibitor()
    ops.set_logo(profile, png((1000, 1000)))
    path = Path(app.config["UPLOAD_DIR"]) / "logos" / profile.logo
    with Image.open(path) as img:
        assert img.format == "JPEG" and max(img.size) <= 400
    with pytest.raises(ops.InvalidData) as err:
        ops.set_logo(profile, b"<?php echo 'hi'; ?>")
    assert reasons(err) == {"logo": "not_image"}


# --------------------------------------------------------------------------- products


def test_product_defaults_and_normalisation(create_exhibitor):
    exhibitor = create_exhibitor()
    p = ops.create_product(
        exhibitor,
        data(
            name_en="Codonopsis tea",
            ocop_group=" i.5.B ",
            score=75,
            decision_date=DECIDED,
            decision_number="123/QĐ-UBND",
            issuing_body="UBND tỉnh Quảng Nam",
            price_min_vnd=80_000,
            price_max_vnd=150_000,
            unit="hộp",
        ),
    )
    assert p.ocop_group == "I.5.b"
    assert p.stars == 4  # derived from the score (70–89)
    assert p.valid_until == dt.date(2027, 5, 10)  # decision + 36 months
    assert p.name_folded == "tra dang sam codonopsis tea"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"name_vi": ""}, {"name_vi": "required"}),
        ({"ocop_group": "VII.9"}, {"ocop_group": "bad_group"}),
        ({"stars": 6, "decision_date": DECIDED}, {"stars": "bad_stars"}),
        ({"score": 101, "decision_date": DECIDED}, {"score": "bad_score"}),
        ({"stars": 5, "score": 60, "decision_date": DECIDED}, {"stars": "stars_score_mismatch"}),
        ({"stars": 3}, {"decision_date": "stars_need_decision"}),
        ({"decision_date": DECIDED}, {"stars": "decision_needs_stars"}),
        (
            {"stars": 3, "decision_date": dt.date.today() + dt.timedelta(days=3)},
            {"decision_date": "decision_in_future"},
        ),
        (
            {"stars": 3, "decision_date": DECIDED, "valid_until": dt.date(2024, 1, 1)},
            {"valid_until": "valid_before_decision"},
        ),
        ({"price_min_vnd": 200_000, "price_max_vnd": 100_000}, {"price_max_vnd": "price_range"}),
        ({"price_min_vnd": -5}, {"price_min_vnd": "bad_price"}),
    ],
)
def test_bad_product_data(create_exhibitor, values, expected):
    exhibitor = create_exhibitor()
    with pytest.raises(ops.InvalidData) as err:
        ops.create_product(exhibitor, data(**values))
    assert reasons(err) == expected
    assert str(ops.MESSAGES[next(iter(expected.values()))])  # each reason has a message


def test_stars_agreeing_with_the_score_are_kept(create_exhibitor):
    p = ops.create_product(create_exhibitor(), data(stars=5, score=92, decision_date=DECIDED))
    assert (p.stars, p.score) == (5, 92)


def test_given_valid_until_is_kept_and_follows_a_new_decision(create_exhibitor):
    exhibitor = create_exhibitor()
    given = ops.create_product(
        exhibitor, data(stars=3, decision_date=DECIDED, valid_until=dt.date(2026, 1, 1))
    )
    assert given.valid_until == dt.date(2026, 1, 1)
    p = ops.create_product(exhibitor, data(stars=3, decision_date=DECIDED))
    # The form sends the old default back; a new decision date moves it.
    ops.update_product(
        p, data(stars=3, decision_date=dt.date(2025, 1, 20), valid_until=p.valid_until)
    )
    assert p.valid_until == dt.date(2028, 1, 20)


def test_a_changed_certificate_loses_its_verification(create_exhibitor, create_user):
    exhibitor = create_exhibitor()
    p = ops.create_product(exhibitor, data(stars=4, decision_date=DECIDED, price_min_vnd=1000))
    organizer = create_user()
    p.verified_at, p.verified_by_id = dt.datetime.now(dt.UTC), organizer.id
    # A price change keeps the verification…
    ops.update_product(p, data(stars=4, decision_date=DECIDED, price_min_vnd=2000))
    assert p.verified_at is not None
    # …a certificate field does not.
    ops.update_product(p, data(stars=5, decision_date=DECIDED, price_min_vnd=2000))
    assert p.verified_at is None and p.verified_by_id is None


def test_photos_checked_by_content_resized_and_limited(app, create_exhibitor):
    p = ops.create_product(create_exhibitor(), data())
    ops.add_photos(p, [png(), png((800, 800))])
    folder = Path(app.config["UPLOAD_DIR"]) / "products"
    with Image.open(folder / p.photos[0].file) as img:
        assert img.format == "JPEG" and img.size == (1200, 750)
    with Image.open(folder / (Path(p.photos[0].file).stem + "_t.jpg")) as img:
        assert max(img.size) == 320
    with pytest.raises(ops.InvalidData) as err:
        ops.add_photos(p, [b"GIF89a but not really"])
    assert reasons(err) == {"photos": "not_image"}
    with pytest.raises(ops.InvalidData) as err:
        ops.add_photos(p, [png(), png(), png()])  # 2 + 3 > 4
    assert reasons(err) == {"photos": "too_many_photos"}
    assert len(p.photos) == 2
    first = p.photos[0].file
    ops.remove_photos(p, [p.photos[0].id])
    assert len(p.photos) == 1 and not (folder / first).exists()


def test_delete_product_removes_its_files(app, create_exhibitor):
    p = ops.create_product(create_exhibitor(), data())
    ops.add_photos(p, [png()])
    name = p.photos[0].file
    ops.delete_product(p)
    assert db.session.get(Product, p.id) is None
    assert not (Path(app.config["UPLOAD_DIR"]) / "products" / name).exists()


# --------------------------------------------------------------------------- pages


def test_pages_need_login_and_membership(client, auth, create_exhibitor, create_user):
    exhibitor = create_exhibitor()
    p = ops.create_product(exhibitor, data())
    db.session.commit()
    paths = [
        f"/exhibitors/{exhibitor.id}",
        f"/exhibitors/{exhibitor.id}/products/new",
        f"/exhibitors/{exhibitor.id}/products/{p.id}",
    ]
    for path in [*paths, "/exhibitors/mine"]:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login(create_user())
    for path in paths:
        assert client.get(path).status_code == 403
    assert client.get("/exhibitors/999999").status_code == 404
    auth.logout()
    auth.login(exhibitor.user)
    for path in paths:
        assert client.get(path).status_code == 200
    other = create_exhibitor("HTX Khác")
    other_product = ops.create_product(other, data(name_vi="Khác"))
    db.session.commit()
    # A product of another exhibitor is not reachable through one's own exhibitor id.
    assert client.get(f"/exhibitors/{exhibitor.id}/products/{other_product.id}").status_code == 404


def test_create_profile_through_the_page(client, auth, create_user):
    user = create_user(locale="en")
    org = account_ops.create_organisation(user, "HTX Dệt Za Ra", "cooperative")
    db.session.commit()
    auth.login(user)
    token = csrf_token(client, "/exhibitors/mine")
    form = {
        "csrf_token": token,
        "organisation_id": str(org.id),
        "kind": "cooperative",
        "display_name": "HTX dệt thổ cẩm Za Ra",
        "contact_phone": "12345",
        "description_vi": "Dệt thổ cẩm Cơ Tu",
    }
    response = client.post("/exhibitors/mine", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter a valid phone number, e.g. 0905 123 456." in html
    assert 'value="HTX dệt thổ cẩm Za Ra"' in html and "Dệt thổ cẩm Cơ Tu" in html
    assert db.session.scalar(sa.select(ExhibitorProfile).filter_by(organisation_id=org.id)) is None
    form["contact_phone"] = "0905 123 456"
    response = client.post("/exhibitors/mine", data=form)
    assert response.status_code == 302
    profile = db.session.scalar(sa.select(ExhibitorProfile).filter_by(organisation_id=org.id))
    assert profile.contact_phone == "+84905123456"
    assert response.headers["Location"].endswith(f"/exhibitors/{profile.id}")


def test_product_form_keeps_input_and_shows_field_errors(
    client, auth, create_user, create_exhibitor
):
    user = create_user(locale="en")
    exhibitor = create_exhibitor(user=user)
    auth.login(user)
    path = f"/exhibitors/{exhibitor.id}/products/new"
    form = {
        "csrf_token": csrf_token(client, path),
        "name_vi": "Chè dây Ra zéh",
        "ocop_group": "I.5.b",
        "stars": "5",
        "score": "60",
        "decision_date": "2024-05-10",
        "price_min_vnd": "200000",
        "price_max_vnd": "100000",
        "unit": "gói",
    }
    html = client.post(path, data=form).get_data(as_text=True)
    assert "These stars do not match the score" in html
    assert "The lowest price cannot be above the highest price." in html
    assert 'value="Chè dây Ra zéh"' in html and 'value="gói"' in html
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0
    form["score"] = "nope"
    html = client.post(path, data=form).get_data(as_text=True)
    assert "Enter a whole number." in html
    form.update(score="60", stars="3", price_max_vnd="250000")
    form["photos"] = [(io.BytesIO(png()), "tra.png"), (io.BytesIO(b"not an image"), "x.jpg")]
    html = client.post(path, data=form, content_type="multipart/form-data").get_data(as_text=True)
    assert "This file is not an image we can use" in html
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0  # nothing half-saved
    form["photos"] = [(io.BytesIO(png()), "tra.png")]
    response = client.post(path, data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    product = db.session.scalar(sa.select(Product))
    assert (product.stars, product.valid_until, len(product.photos)) == (
        3,
        dt.date(2027, 5, 10),
        1,
    )


def test_delete_product_through_the_page(client, auth, create_exhibitor):
    exhibitor = create_exhibitor()
    p = ops.create_product(exhibitor, data())
    db.session.commit()
    product_id = p.id
    auth.login(exhibitor.user)
    path = f"/exhibitors/{exhibitor.id}/products/{product_id}"
    html = client.get(path).get_data(as_text=True)
    token = html.split('name="delete-csrf_token"')[1].split('value="')[1].split('"')[0]
    response = client.post(path, data={"delete-csrf_token": token, "delete-submit": "1"})
    assert response.status_code == 302
    db.session.expunge_all()
    assert db.session.get(Product, product_id) is None
