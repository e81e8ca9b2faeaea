"""The public directory: search without diacritics, filters, certificate expiry shown honestly,
a fixed number of queries whatever the number of exhibitors, the pages and their access."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
import sqlalchemy as sa

from booths import exhibitors as ops
from booths import ocop, search
from booths.models import BoothApplication, BoothBooking, Zone, application_products
from eventday.extensions import db
from tests.conftest import area, csrf_token

EN = {"Accept-Language": "en"}
TODAY = search.today_local()


@pytest.fixture
def approve():
    """approve(festival, exhibitor, booths, products, state="approved") -> BoothApplication,
    written with the models directly (the booking operations are another helper's)."""

    def make(festival, exhibitor, booths=(), products=(), state="approved"):
        application = BoothApplication(
            festival_id=festival.id, exhibitor_id=exhibitor.id, state=state
        )
        db.session.add(application)
        db.session.flush()
        for booth in booths:
            db.session.add(
                BoothBooking(
                    festival_id=festival.id, application_id=application.id, booth_id=booth.id
                )
            )
        for product in products:
            db.session.execute(
                application_products.insert().values(
                    application_id=application.id, product_id=product.id
                )
            )
        db.session.commit()
        return application

    return make


def product(exhibitor, name_vi, **values):
    p = ops.create_product(exhibitor, ops.ProductData(name_vi=name_vi, **values))
    db.session.commit()
    return p


def certified(stars, decision_date, **values):
    return {
        "stars": stars,
        "decision_date": decision_date,
        "decision_number": "12/QĐ-UBND",
        **values,
    }


@pytest.fixture
def fair(create_festival, create_exhibitor, create_plan, approve, create_user):
    """A published festival with three approved exhibitors (Tây Giang, Nam Trà My, Đông Giang),
    one pending exhibitor, products across groups, stars and validity."""
    organizer = create_user(locale="en")
    festival = create_festival(organizer=organizer, state="published")
    hall, zone, booths = create_plan(festival, n=6)
    zone2 = Zone(festival_id=festival.id, hall_id=hall.id, name="Khởi nghiệp", y=10)
    db.session.add(zone2)
    db.session.flush()
    booths[5].zone_id = zone2.id
    tay_giang = area("commune", "20467")
    other_area = area("commune", "20455")
    duc_huy = create_exhibitor("HTX Dược liệu Đức Huy", area=tay_giang)
    tra_my = create_exhibitor("HTX Sâm Trà My", area=other_area)
    weaver = create_exhibitor("HTX dệt thổ cẩm Za Ra", area=other_area)
    pending = create_exhibitor("HTX Chờ Duyệt")
    recent = TODAY - dt.timedelta(days=400)
    p = {
        "cao": product(
            duc_huy,
            "Cao đẳng sâm",
            name_en="Codonopsis extract",
            ocop_group="III.1",
            **certified(4, recent),
        ),
        "tra_dang_sam": product(
            duc_huy, "Trà đẳng sâm", ocop_group="I.5.b", **certified(4, recent)
        ),
        "ngoc_linh": product(
            tra_my,
            "Trà túi lọc sâm Ngọc Linh",
            name_en="Ngoc Linh ginseng tea bags",
            ocop_group="I.5.b",
            **certified(3, recent),
        ),
        # Expired yesterday: decision date + 36 months ended before today.
        "expired": product(
            tra_my,
            "Rượu sâm",
            ocop_group="II.1.a",
            **certified(
                5,
                TODAY - dt.timedelta(days=1200),
                valid_until=TODAY - dt.timedelta(days=1),
            ),
        ),
        "two_star": product(weaver, "Túi thổ cẩm", ocop_group="IV.2", **certified(2, recent)),
        "hidden": product(duc_huy, "Sâm không trưng bày", ocop_group="III.1"),
        "pending": product(pending, "Sâm chờ duyệt", ocop_group="III.1", **certified(5, recent)),
    }
    approve(festival, duc_huy, [booths[0]], [p["cao"], p["tra_dang_sam"]])
    approve(festival, tra_my, [booths[1], booths[2]], [p["ngoc_linh"], p["expired"]])
    approve(festival, weaver, [booths[5]], [p["two_star"]])
    approve(festival, pending, [booths[3]], [p["pending"]], state="pending")
    db.session.commit()
    return {
        "organizer": organizer,
        "festival": festival,
        "zone": zone,
        "zone2": zone2,
        "booths": booths,
        "area": tay_giang,
        "other_area": other_area,
        "duc_huy": duc_huy,
        "tra_my": tra_my,
        "weaver": weaver,
        "pending": pending,
        "p": p,
    }


def names(fair, **filters):
    f = search.Filters.parse(**filters)
    return {x.name_vi for x in search.search_products(fair["festival"].id, f).items}


def exhibitor_names(fair, **filters):
    f = search.Filters.parse(**filters)
    return {x.display_name for x in search.search_exhibitors(fair["festival"].id, f).items}


# --------------------------------------------------------------------------- search


def test_search_ignores_diacritics_and_case(fair):
    assert names(fair, q="sam ngoc linh") == {"Trà túi lọc sâm Ngọc Linh"}
    assert names(fair, q="dang sam") == {"Cao đẳng sâm", "Trà đẳng sâm"}
    assert names(fair, q="ĐẲNG SÂM") == {"Cao đẳng sâm", "Trà đẳng sâm"}
    assert names(fair, q="  Sâm   NGỌC linh ") == {"Trà túi lọc sâm Ngọc Linh"}


def test_search_in_english_and_by_maker(fair):
    assert names(fair, q="ginseng") == {"Trà túi lọc sâm Ngọc Linh"}
    assert names(fair, q="codonopsis") == {"Cao đẳng sâm"}
    # The maker's name matches too: every product Đức Huy shows here.
    assert names(fair, q="duc huy") == {"Cao đẳng sâm", "Trà đẳng sâm"}


def test_only_products_of_approved_applications_are_listed(fair):
    everything = names(fair)
    assert "Sâm không trưng bày" not in everything  # not in the application
    assert "Sâm chờ duyệt" not in everything  # the application is only pending
    assert len(everything) == 5
    assert "HTX Chờ Duyệt" not in exhibitor_names(fair)
    assert names(fair, q="sam") == {
        "Cao đẳng sâm",
        "Trà đẳng sâm",
        "Trà túi lọc sâm Ngọc Linh",
        "Rượu sâm",
    }


def test_wildcards_in_the_query_are_plain_text(fair):
    assert names(fair, q="%") == set()
    assert names(fair, q="_") == set()


def test_group_filter_matches_children(fair):
    assert names(fair, group="I") == {"Trà đẳng sâm", "Trà túi lọc sâm Ngọc Linh"}
    assert names(fair, group="i.5.B") == {"Trà đẳng sâm", "Trà túi lọc sâm Ngọc Linh"}
    assert names(fair, group="III") == {"Cao đẳng sâm"}
    assert names(fair, group="II.1") == {"Rượu sâm"}
    # "I" must not match "II" or "III" by prefix.
    assert "Rượu sâm" not in names(fair, group="I")
    assert names(fair, group="nonsense") == names(fair)  # an unknown code is dropped


def test_star_filter_counts_current_certificates_only(fair):
    assert names(fair, stars=3) == {"Cao đẳng sâm", "Trà đẳng sâm", "Trà túi lọc sâm Ngọc Linh"}
    assert names(fair, stars=4) == {"Cao đẳng sâm", "Trà đẳng sâm"}
    # The only 5★ product's certificate expired yesterday: never a current rating.
    assert names(fair, stars=5) == set()
    # 1★ and 2★ are not OCOP ratings: no star filter below 3.
    assert search.Filters.parse(stars="2").stars is None
    assert search.Filters.parse(stars="abc").stars is None


def test_area_and_zone_filters(fair):
    assert exhibitor_names(fair, area=fair["area"].id) == {"HTX Dược liệu Đức Huy"}
    assert names(fair, area=fair["area"].id) == {"Cao đẳng sâm", "Trà đẳng sâm"}
    # A parent area finds the exhibitors of the communes under it.
    parent = fair["area"].parent
    assert parent is not None
    assert "HTX Dược liệu Đức Huy" in exhibitor_names(fair, area=parent.id)
    assert exhibitor_names(fair, zone=fair["zone2"].id) == {"HTX dệt thổ cẩm Za Ra"}
    assert names(fair, zone=fair["zone2"].id) == {"Túi thổ cẩm"}
    assert names(fair, zone=fair["zone"].id, q="sam ngoc linh") == {"Trà túi lọc sâm Ngọc Linh"}


def test_exhibitor_view_matches_name_or_shown_products(fair):
    assert exhibitor_names(fair, q="tho cam") == {"HTX dệt thổ cẩm Za Ra"}  # by name and product
    assert exhibitor_names(fair, q="ngoc linh") == {"HTX Sâm Trà My"}  # by a product
    assert exhibitor_names(fair, q="tra my") == {"HTX Sâm Trà My"}  # by its name
    # A product filter keeps exhibitors showing such a product.
    assert exhibitor_names(fair, stars=4) == {"HTX Dược liệu Đức Huy"}
    assert exhibitor_names(fair, group="II") == {"HTX Sâm Trà My"}
    # Not by the hidden product: it is not shown at this festival.
    assert exhibitor_names(fair, q="khong trung bay") == set()


def test_matching_booth_ids_for_the_map(fair):
    b = fair["booths"]
    festival_id = fair["festival"].id
    assert search.matching_booth_ids(festival_id, "sam ngoc linh") == {b[1].id, b[2].id}
    assert search.matching_booth_ids(festival_id, "dang sam") == {b[0].id}
    assert search.matching_booth_ids(festival_id, "", group="IV") == {b[5].id}
    # The pending exhibitor's booth is never highlighted.
    assert b[3].id not in search.matching_booth_ids(festival_id, "sam")
    assert search.matching_booth_ids(festival_id, "khong co") == set()


# --------------------------------------------------------------------------- certificates


def test_valid_until_defaults_to_decision_plus_36_months(create_exhibitor):
    exhibitor = create_exhibitor()
    p = product(exhibitor, "Trà", **certified(3, dt.date(2024, 3, 15)))
    assert p.valid_until == dt.date(2027, 3, 15)
    leap = product(exhibitor, "Trà 2", **certified(3, dt.date(2024, 2, 29)))
    assert leap.valid_until == dt.date(2027, 2, 28) == ocop.default_valid_until(leap.decision_date)


def test_expired_certificate_is_shown_as_expired(client, fair):
    p = fair["p"]["expired"]
    assert p.ocop_status(TODAY) == "expired"
    html = client.get(f"/f/{fair['festival'].slug}/products/{p.id}", headers=EN).get_data(
        as_text=True
    )
    expired_on = p.valid_until.strftime("%d/%m/%Y")
    assert f"OCOP certificate expired on {expired_on}" in html
    assert "OCOP ★★★★★" not in html
    assert "valid until" not in html


def test_certificate_valid_today_is_current(client, fair):
    p = fair["p"]["cao"]
    p.valid_until = TODAY  # the last day still counts
    db.session.commit()
    assert "Cao đẳng sâm" in names(fair, stars=4)
    html = client.get(f"/f/{fair['festival'].slug}/products/{p.id}", headers=EN).get_data(
        as_text=True
    )
    assert "OCOP ★★★★" in html
    assert "expired on" not in html


def test_two_stars_are_not_an_ocop_rating(client, fair):
    p = fair["p"]["two_star"]
    assert p.ocop_status(TODAY) == "none"
    html = client.get(f"/f/{fair['festival'].slug}/products/{p.id}", headers=EN).get_data(
        as_text=True
    )
    assert "not an OCOP rating" in html
    assert "OCOP ★★" not in html
    listing = client.get(f"/f/{fair['festival'].slug}/exhibitors?q=tho+cam", headers=EN).get_data(
        as_text=True
    )
    assert "Túi thổ cẩm" in listing and 'class="ocop' not in listing


# --------------------------------------------------------------------------- pages


def test_directory_page_lists_searches_and_pages(client, fair, create_exhibitor, approve):
    slug = fair["festival"].slug
    html = client.get(f"/f/{slug}/exhibitors?q=sam+ngoc+linh", headers=EN).get_data(as_text=True)
    assert "Ngoc Linh ginseng tea bags" in html and "Codonopsis" not in html
    assert "Booth A02, A03" in html
    html = client.get(f"/f/{slug}/exhibitors?view=exhibitors", headers=EN).get_data(as_text=True)
    assert "HTX Sâm Trà My" in html and "HTX Chờ Duyệt" not in html
    # 35 more exhibitors: 38 in all, 30 on the first page, 8 on the second.
    for i in range(35):
        approve(fair["festival"], create_exhibitor(f"Tổ hợp tác {i:02d}"))
    first = client.get(f"/f/{slug}/exhibitors?view=exhibitors", headers=EN)
    second = client.get(f"/f/{slug}/exhibitors?view=exhibitors&page=2", headers=EN)
    assert first.get_data(as_text=True).count('class="dir-item"') == 30
    assert second.get_data(as_text=True).count('class="dir-item"') == 8
    assert "Page 2 of 2" in second.get_data(as_text=True)


def test_thumbnails_are_lazy(client, fair):
    from tests.booths.test_exhibitors import png

    ops.add_photos(fair["p"]["cao"], [png()])
    db.session.commit()
    html = client.get(f"/f/{fair['festival'].slug}/exhibitors").get_data(as_text=True)
    assert '<img src="/media/booths/products/' in html and 'loading="lazy"' in html
    src = html.split('<img src="')[1].split('"')[0]
    image = client.get(src)
    assert image.status_code == 200 and image.data[:2] == b"\xff\xd8"  # a JPEG thumbnail
    assert client.get("/media/booths/secrets/x.jpg").status_code == 404
    assert client.get("/media/booths/products/..%2F..%2Fapp.py").status_code == 404


def test_exhibitor_and_product_pages_404_unless_shown(client, fair):
    slug = fair["festival"].slug
    assert client.get(f"/f/{slug}/exhibitors/{fair['duc_huy'].id}").status_code == 200
    assert client.get(f"/f/{slug}/exhibitors/{fair['pending'].id}").status_code == 404
    assert client.get(f"/f/{slug}/products/{fair['p']['cao'].id}").status_code == 200
    assert client.get(f"/f/{slug}/products/{fair['p']['hidden'].id}").status_code == 404
    assert client.get(f"/f/{slug}/products/{fair['p']['pending'].id}").status_code == 404


def test_draft_festival_has_no_directory(client, create_festival):
    festival = create_festival(state="draft")
    assert client.get(f"/f/{festival.slug}/exhibitors").status_code == 404


def test_festival_page_links_to_directory_when_exhibitors(client, fair, create_festival):
    html = client.get(f"/f/{fair['festival'].slug}", headers=EN).get_data(as_text=True)
    assert f'href="/f/{fair["festival"].slug}/exhibitors"' in html
    empty = create_festival(state="published")
    html = client.get(f"/f/{empty.slug}", headers=EN).get_data(as_text=True)
    assert f"/f/{empty.slug}/exhibitors" not in html


# --------------------------------------------------------------------------- verification


def test_organizer_verifies_a_certificate(client, auth, fair, create_user):
    festival = fair["festival"]
    organizer = fair["organizer"]
    p = fair["p"]["cao"]
    path = f"/f/{festival.slug}/manage/products/{p.id}/verify"
    page = f"/f/{festival.slug}/products/{p.id}"
    stranger = create_user(locale="en")
    auth.login(stranger)
    assert client.post(path, data={"csrf_token": csrf_token(client, "/")}).status_code == 403
    auth.logout()
    auth.login(organizer)
    assert client.post(path, data={}).status_code == 400  # no CSRF token
    db.session.refresh(p)
    assert p.verified_at is None
    response = client.post(path, data={"csrf_token": csrf_token(client, page)})
    assert response.status_code == 302
    db.session.refresh(p)
    assert p.verified_at is not None and p.verified_by_id == organizer.id
    auth.logout()
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert "Certificate verified by the organizers" in html


def test_verification_needs_the_product_shown_there(fair, create_festival, create_user):
    other_organizer = create_user()
    create_festival(organizer=other_organizer, state="published")
    with pytest.raises(ops.ExhibitorError) as err:
        ops.verify_certificate(fair["p"]["cao"], other_organizer)
    assert err.value.reason == "not_organizer"
    organizer = fair["organizer"]
    with pytest.raises(ops.ExhibitorError) as err:
        ops.verify_certificate(fair["p"]["hidden"], organizer)
    assert err.value.reason == "no_certificate"
    # Only an approved application counts: a pending one is not yet shown there.
    with pytest.raises(ops.ExhibitorError) as err:
        ops.verify_certificate(fair["p"]["pending"], organizer)
    assert err.value.reason == "not_organizer"
    assert fair["p"]["pending"].verified_at is None


def test_exhibitor_organizing_a_festival_cannot_verify_their_own(
    fair, create_festival, create_plan, approve
):
    exhibitor = fair["duc_huy"]
    own = create_festival(organizer=exhibitor.user, state="published")
    _hall, _zone, booths = create_plan(own, n=1)
    approve(own, exhibitor, [booths[0]], [fair["p"]["cao"]])
    db.session.commit()
    with pytest.raises(ops.ExhibitorError) as err:
        ops.verify_certificate(fair["p"]["cao"], exhibitor.user)
    assert err.value.reason == "not_organizer"
    assert fair["p"]["cao"].verified_at is None


# --------------------------------------------------------------------------- no N+1


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


def seed_exhibitors(festival, booths, n, create_exhibitor, approve):
    from tests.booths.test_exhibitors import png

    zone_area = area("commune", "20467")
    for i in range(n):
        exhibitor = create_exhibitor(f"HTX Sâm số {i:03d}", area=zone_area)
        items = [
            product(
                exhibitor,
                f"Sâm Ngọc Linh loại {i}-{k}",
                ocop_group="III.1",
                **certified(3 + k % 3, TODAY - dt.timedelta(days=30)),
            )
            for k in range(2)
        ]
        if i < 3:
            ops.add_photos(items[0], [png()])
        approve(festival, exhibitor, [booths[i % len(booths)]] if i < len(booths) else [], items)
    db.session.commit()


@pytest.mark.parametrize(
    "path",
    [
        "/f/{slug}/exhibitors",
        "/f/{slug}/exhibitors?q=sam+ngoc+linh&stars=3&group=III",
        "/f/{slug}/exhibitors?view=exhibitors",
        "/f/{slug}/exhibitors?view=exhibitors&q=sam&zone={zone}&area={area}",
    ],
)
def test_directory_queries_do_not_grow(
    client, path, create_festival, create_plan, create_exhibitor, approve
):
    counts = []
    for n in (5, 50):
        festival = create_festival(state="published")
        _hall, zone, booths = create_plan(festival, n=6)
        seed_exhibitors(festival, booths, n, create_exhibitor, approve)
        url = path.format(slug=festival.slug, zone=zone.id, area=area("commune", "20467").id)
        client.get(url)  # warm up
        with count_statements() as statements:
            response = client.get(url)
        assert response.status_code == 200
        assert "HTX Sâm số 000" in response.get_data(as_text=True)
        counts.append(len(statements))
    assert counts[0] > 0
    assert counts[0] == counts[1], counts


def test_search_functions_queries_do_not_grow(
    create_festival, create_plan, create_exhibitor, approve
):
    counts = []
    for n in (5, 50):
        festival = create_festival(state="published")
        _hall, _zone, booths = create_plan(festival, n=6)
        seed_exhibitors(festival, booths, n, create_exhibitor, approve)
        db.session.expire_all()
        with count_statements() as statements:
            f = search.Filters.parse(q="sam")
            page = search.search_products(festival.id, f)
            for p in page.items:  # what the page template touches
                _ = (p.exhibitor.display_name, [ph.file for ph in p.photos])
            search.matching_booth_ids(festival.id, "sam ngoc linh", stars="3")
        assert page.total == 2 * n
        counts.append(len(statements))
    assert counts[0] == counts[1] > 0, counts
