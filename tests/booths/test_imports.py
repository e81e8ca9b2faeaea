"""XLSX import of exhibitors and products (issue 5, Done-when 4): a file with bad rows reports
each bad cell by sheet, row and column and imports nothing; a good file imports exhibitors and
products with certificate defaults; importing it again updates instead of duplicating."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from booths import imports
from booths.models import ExhibitorProfile, Product
from booths.ocop import default_valid_until
from eventday.accounts.models import Organisation
from eventday.extensions import db
from tests.conftest import csrf_token, vi

EXHIBITOR_HEADER = [c.header for c in imports.EXHIBITOR_COLUMNS]
PRODUCT_HEADER = [c.header for c in imports.PRODUCT_COLUMNS]

GOOD_EXHIBITORS = [
    [
        "HTX Nông nghiệp và Dược liệu Tây Giang",
        "cooperative",
        "20455",
        "Bh'riu Liếc",
        "0905 123 456",
        "HTX@Example.vn",
        "htx-taygiang.vn",
        "Trà đẳng sâm Tây Giang.",
        "Codonopsis tea.",
    ],
    ["HTX Nông nghiệp xã Tư", "Hợp tác xã", 20467, None, 905222333, None, None, None, None],
]
GOOD_PRODUCTS = [
    [
        "htx nong nghiep va duoc lieu tay giang",  # folded: matches the first exhibitor
        "Trà đẳng sâm",
        "Codonopsis tea",
        "i.5.B",
        4,
        78,
        "1234/QĐ-UBND",
        dt.date(2024, 6, 12),
        "UBND tỉnh Quảng Nam",
        None,
        120000,
        "150.000",
        "hộp",
    ],
    [
        "HTX Nông nghiệp xã Tư",
        "Chè dây Ra zéh",
        None,
        "I.5.b",
        None,
        62,  # 3 stars, derived from the score
        "56/QĐ-UBND",
        "15/03/2023",
        "UBND huyện Đông Giang",
        "31/12/2027",
        None,
        None,
        "gói",
    ],
    ["HTX Nông nghiệp xã Tư", "Ớt A Riêu", None, None, None, None, None, None, None, None, 30000],
]


def workbook(exhibitors, products, *, exhibitor_header=None, product_header=None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Exhibitors"
    sheet.append(exhibitor_header or EXHIBITOR_HEADER)
    for row in exhibitors:
        sheet.append(row)
    sheet = book.create_sheet("Products")
    sheet.append(product_header or PRODUCT_HEADER)
    for row in products:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count(model.id)))


def profile(name: str) -> ExhibitorProfile:
    from eventday.i18n import fold

    return db.session.scalar(
        sa.select(ExhibitorProfile).where(ExhibitorProfile.name_folded == fold(name))
    )


def issues_at(report) -> set[tuple[str, int, str]]:
    return {(i.sheet, i.row, i.letter) for i in report.issues}


TODAY = dt.date(2026, 11, 1)


def test_good_file_imports_exhibitors_and_products_with_defaults(app):
    before = (count(Organisation), count(ExhibitorProfile), count(Product))
    report = imports.import_exhibitors(workbook(GOOD_EXHIBITORS, GOOD_PRODUCTS), today=TODAY)
    db.session.commit()
    assert report.ok and report.imported
    assert (report.exhibitors_created, report.products_created) == (2, 3)
    assert (count(Organisation), count(ExhibitorProfile), count(Product)) == (
        before[0] + 2,
        before[1] + 2,
        before[2] + 3,
    )

    tay_giang = profile("HTX Nông nghiệp và Dược liệu Tây Giang")
    assert tay_giang.kind == "cooperative"
    assert tay_giang.home_area.code == "20455"
    assert tay_giang.contact_phone == "+84905123456"
    assert tay_giang.contact_email == "htx@example.vn"
    assert tay_giang.website == "https://htx-taygiang.vn"
    assert tay_giang.description_en == "Codonopsis tea."
    assert tay_giang.organisation.kind == "cooperative"
    tea = tay_giang.products[0]
    assert (tea.name_vi, tea.name_en, tea.ocop_group, tea.stars, tea.score) == (
        "Trà đẳng sâm",
        "Codonopsis tea",
        "I.5.b",
        4,
        78,
    )
    # No "valid until" given: the decision date + 36 months.
    assert tea.valid_until == default_valid_until(dt.date(2024, 6, 12)) == dt.date(2027, 6, 12)
    assert (tea.price_min_vnd, tea.price_max_vnd, tea.unit) == (120_000, 150_000, "hộp")
    assert tea.ocop_status(TODAY) == "current"

    xa_tu = profile("HTX Nông nghiệp xã Tư")
    assert xa_tu.kind == "cooperative"  # "Hợp tác xã" read as the kind
    assert xa_tu.contact_phone == "+84905222333"  # Excel's number 905222333 was 0905 222 333
    tea_vine = next(p for p in xa_tu.products if p.name_vi == "Chè dây Ra zéh")
    assert tea_vine.stars == 3  # from the score 62
    assert tea_vine.decision_date == dt.date(2023, 3, 15)
    assert tea_vine.valid_until == dt.date(2027, 12, 31)  # as given
    chili = next(p for p in xa_tu.products if p.name_vi == "Ớt A Riêu")
    assert chili.stars is None and chili.ocop_status(TODAY) == "none"


def test_reimport_updates_instead_of_duplicating(app, create_user):
    admin = create_user(admin=True)  # acts for every exhibitor, so may update them
    imports.import_exhibitors(workbook(GOOD_EXHIBITORS, GOOD_PRODUCTS), today=TODAY)
    db.session.commit()
    counts = (count(Organisation), count(ExhibitorProfile), count(Product))

    changed = [list(r) for r in GOOD_EXHIBITORS]
    changed[0][3] = "Alăng Thị Hoa"
    changed[0][0] = "htx nông nghiệp và dược liệu TÂY GIANG"  # the same name, folded
    products = [list(r) for r in GOOD_PRODUCTS]
    products[0][11] = 160000
    report = imports.import_exhibitors(workbook(changed, products), user=admin, today=TODAY)
    db.session.commit()

    assert report.ok
    assert (report.exhibitors_created, report.exhibitors_updated) == (0, 2)
    assert (report.products_created, report.products_updated) == (0, 3)
    assert (count(Organisation), count(ExhibitorProfile), count(Product)) == counts
    tay_giang = profile("HTX Nông nghiệp và Dược liệu Tây Giang")
    assert tay_giang.contact_name == "Alăng Thị Hoa"
    assert tay_giang.products[0].price_max_vnd == 160_000
    assert len(tay_giang.products) == 1


def test_existing_organisation_gets_a_profile(app, create_user):
    from eventday.accounts import operations as account_ops

    owner = create_user()
    org = account_ops.create_organisation(owner, "HTX Nông nghiệp xã Tư", "cooperative")
    db.session.commit()
    organisations = count(Organisation)
    report = imports.import_exhibitors(workbook(GOOD_EXHIBITORS[1:], []), today=TODAY)
    db.session.commit()
    assert report.ok and report.organisations_created == 0
    assert count(Organisation) == organisations
    assert profile("HTX Nông nghiệp xã Tư").organisation_id == org.id


def test_bad_file_reports_every_cell_and_imports_nothing(app):
    exhibitors = [
        GOOD_EXHIBITORS[0],  # row 2: good
        ["", "cooperative"],  # row 3: no name
        ["HTX Sai", "hội chợ", "99999", None, "12345", "not-an-email", "no spaces.vn x"],  # row 4
        ["HTX Nông nghiệp và Dược liệu Tây Giang", "startup"],  # row 5: same as row 2
    ]
    products = [
        GOOD_PRODUCTS[0],  # row 2: good
        ["HTX Không Có", "Rượu"],  # row 3: unknown exhibitor
        [GOOD_EXHIBITORS[0][0], "", None, "VII.1", 6, 101],  # row 4: name, group, stars, score
        [GOOD_EXHIBITORS[0][0], "Cao đẳng sâm", None, "III.1", 5, 75, "1/QĐ", "31/02/2024"],
        [GOOD_EXHIBITORS[0][0], "Rượu đẳng sâm", None, None, 3],  # row 6: stars without date
        [GOOD_EXHIBITORS[0][0], "Trà đẳng sâm"],  # row 7: same product as row 2
        [
            GOOD_EXHIBITORS[0][0],
            "Mật ong",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            500,
            100,
        ],
        [GOOD_EXHIBITORS[0][0], "Mật ong rừng", *[None] * 8, "năm trăm"],  # row 9: price
        [
            GOOD_EXHIBITORS[0][0],
            "Ba kích",
            None,
            None,
            3,
            None,
            None,
            dt.date(2024, 1, 1),
            None,
            dt.date(2023, 1, 1),
        ],  # row 10: valid until before the decision
    ]
    before = (count(Organisation), count(ExhibitorProfile), count(Product))
    report = imports.import_exhibitors(workbook(exhibitors, products), today=TODAY)
    db.session.commit()

    assert not report.ok and not report.imported
    found = issues_at(report)
    expected = {
        ("exhibitors", 3, "A"),  # name empty
        ("exhibitors", 4, "B"),  # unknown kind
        ("exhibitors", 4, "C"),  # no area with this code
        ("exhibitors", 4, "E"),  # bad phone
        ("exhibitors", 4, "F"),  # bad email
        ("exhibitors", 4, "G"),  # bad website
        ("exhibitors", 5, "A"),  # the same organisation as row 2
        ("products", 3, "A"),  # no such exhibitor
        ("products", 4, "B"),  # product name empty
        ("products", 4, "D"),  # not a Decision 148 group
        ("products", 4, "E"),  # 6 stars
        ("products", 4, "F"),  # score 101
        ("products", 5, "E"),  # 5 stars but a score of 75 gives 4
        ("products", 5, "H"),  # 31 February
        ("products", 6, "H"),  # stars without a decision date
        ("products", 7, "B"),  # same product as row 2
        ("products", 8, "L"),  # max below min
        ("products", 9, "K"),  # a price in words
        ("products", 10, "J"),  # valid until before the decision date
    }
    assert expected <= found, expected - found
    assert ("exhibitors", 2, "A") not in found and not any(r == 2 for _s, r, _c in found)
    # Nothing at all was written, not even the good rows.
    assert (count(Organisation), count(ExhibitorProfile), count(Product)) == before
    assert profile("HTX Nông nghiệp và Dược liệu Tây Giang") is None
    # Each issue carries the column's header text and a message.
    first = next(i for i in report.issues if (i.sheet, i.row) == ("exhibitors", 4))
    assert first.column == EXHIBITOR_HEADER[1] and str(first.message)


def test_unreadable_files_are_refused(app):
    with pytest.raises(imports.ExhibitorImportError):
        imports.import_exhibitors(b"name,kind\nHTX,cooperative\n")
    book = Workbook()
    book.active.title = "Something"
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(imports.ExhibitorImportError, match="Exhibitors"):
        imports.import_exhibitors(out.getvalue())
    with pytest.raises(imports.ExhibitorImportError):
        imports.import_exhibitors(workbook([], [], exhibitor_header=["Tên", "Điện thoại"]))


def test_template_has_both_sheets_and_imports_cleanly(app):
    data = imports.template_xlsx()
    book = load_workbook(io.BytesIO(data))
    assert {"Exhibitors", "Products"} <= set(book.sheetnames)
    assert [c.value for c in book["Exhibitors"][1]] == EXHIBITOR_HEADER
    assert [c.value for c in book["Products"][1]] == PRODUCT_HEADER
    # Its example rows are valid: the template itself imports.
    report = imports.import_exhibitors(data, today=TODAY)
    assert report.ok and report.exhibitors_created == 1 and report.products_created == 1


# --------------------------------------------------------------------------- the page


@pytest.fixture
def organizer_festival(create_user, create_festival):
    organizer = create_user()
    return organizer, create_festival(organizer=organizer, state="published")


def upload(client, festival, data: bytes):
    path = f"/f/{festival.slug}/manage/booths/exhibitors/import"
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "file": (io.BytesIO(data), "exhibitors.xlsx"),
        },
        content_type="multipart/form-data",
    )


def test_page_reports_bad_cells_and_imports_good_files(client, auth, organizer_festival):
    organizer, festival = organizer_festival
    auth.login(organizer)
    before = count(ExhibitorProfile)
    bad = workbook([["", "cooperative"], GOOD_EXHIBITORS[1]], [["HTX Không Có", "Rượu"]])
    response = upload(client, festival, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-ok="0"' in html
    assert 'data-sheet="exhibitors" data-row="2" data-column="A"' in html
    assert 'data-sheet="products" data-row="2" data-column="A"' in html
    assert count(ExhibitorProfile) == before

    response = upload(client, festival, workbook(GOOD_EXHIBITORS, GOOD_PRODUCTS))
    assert response.status_code == 200
    assert 'data-ok="1"' in response.get_data(as_text=True)
    assert count(ExhibitorProfile) == before + 2

    response = upload(client, festival, b"not a workbook")
    assert response.status_code == 422 and 'id="file-error"' in response.get_data(as_text=True)

    template = client.get(f"/f/{festival.slug}/manage/booths/exhibitors/template.xlsx")
    assert template.status_code == 200
    assert "Products" in load_workbook(io.BytesIO(template.data)).sheetnames


def test_page_is_for_organizers_only(client, auth, organizer_festival, create_user):
    _organizer, festival = organizer_festival
    auth.login(create_user())
    path = f"/f/{festival.slug}/manage/booths/exhibitors/import"
    assert client.get(path).status_code == 403
    assert client.get(path + "/../template.xlsx").status_code in (403, 404)


# --------------------------------------------------------------------------- whose profiles


def test_import_cannot_change_another_organisations_exhibitor(
    app, create_user, create_festival, create_exhibitor
):
    organizer = create_user()
    festival = create_festival(organizer=organizer)  # their own draft festival
    other = create_exhibitor("HTX Nông nghiệp xã Tư")
    other.contact_email = "owner@example.vn"
    db.session.commit()
    rows = [list(GOOD_EXHIBITORS[1])]
    rows[0][5] = "attacker@example.vn"
    products = [["HTX Nông nghiệp xã Tư", "Rượu ba kích", None, None, 5]]

    report = imports.import_exhibitors(
        workbook(rows, products), festival=festival, user=organizer, today=TODAY
    )
    db.session.rollback()
    assert not report.ok and not report.imported
    assert ("exhibitors", 2, "A") in issues_at(report)
    expected = "“%(name)s” belongs to an exhibitor you cannot change from here."
    assert str(report.issues[0].message) == vi(expected, name="HTX Nông nghiệp xã Tư")
    assert db.session.get(ExhibitorProfile, other.id).contact_email == "owner@example.vn"

    # A Products row alone for that exhibitor is refused on its exhibitor cell.
    report = imports.import_exhibitors(
        workbook([], products), festival=festival, user=organizer, today=TODAY
    )
    db.session.rollback()
    assert not report.ok and ("products", 2, "A") in issues_at(report)
    assert count(Product) == 0


def test_import_updates_members_and_applicants_at_this_festival(
    app, create_user, create_festival, create_exhibitor
):
    from booths.models import BoothApplication

    organizer = create_user()
    festival = create_festival(organizer=organizer)
    applicant = create_exhibitor("HTX Nông nghiệp xã Tư")
    own = create_exhibitor("HTX Nông nghiệp và Dược liệu Tây Giang", user=organizer)
    db.session.add(BoothApplication(festival_id=festival.id, exhibitor_id=applicant.id))
    db.session.commit()

    report = imports.import_exhibitors(
        workbook(GOOD_EXHIBITORS, GOOD_PRODUCTS), festival=festival, user=organizer, today=TODAY
    )
    db.session.commit()
    assert report.ok and report.exhibitors_updated == 2, report.issues
    assert db.session.get(ExhibitorProfile, own.id).contact_email == "htx@example.vn"


def test_reimport_matches_form_products_and_withdraws_verification(
    app, create_user, create_exhibitor
):
    from booths import exhibitors

    owner = create_user()
    tay_giang = create_exhibitor("HTX Nông nghiệp và Dược liệu Tây Giang", user=owner)
    product = exhibitors.create_product(
        tay_giang,
        exhibitors.ProductData(
            name_vi="Trà  đẳng sâm",
            name_en="Codonopsis tea",
            stars=3,
            decision_date=dt.date(2024, 6, 12),
        ),
    )
    product.verified_at = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    product.verified_by_id = owner.id
    db.session.commit()

    report = imports.import_exhibitors(
        workbook([], GOOD_PRODUCTS[:1]), user=owner, today=TODAY
    )  # 4 stars now
    db.session.commit()
    assert report.ok and (report.products_created, report.products_updated) == (0, 1)
    product = db.session.get(Product, product.id)
    assert len(tay_giang.products) == 1 and product.stars == 4
    assert product.verified_at is None and product.verified_by_id is None
    assert (
        product.name_folded
        == exhibitors._check_product(
            exhibitors.ProductData(name_vi=product.name_vi, name_en=product.name_en)
        )["name_folded"]
    )
