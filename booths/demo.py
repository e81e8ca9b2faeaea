"""Demo booths for the demo festival: a hall with an OCOP pavilion per host commune, startups,
unions and schools, and an outdoor food court; about 40 exhibitors with real OCOP products of
Quảng Nam's mountain communes (../shared/domain/ocop.md) and bookings in every state.

Certificates: the products and their star ratings are the real ones; decision numbers and dates
are illustrative (marked "minh họa"), as is every organisation not named in ocop.md.
Idempotent: it does nothing once the festival has a hall.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from booths import ocop
from booths import operations as ops
from booths.models import Booth, BoothFeeWaiver, ExhibitorProfile, Hall, Product, Zone
from eventday.accounts import operations as account_ops
from eventday.accounts.models import Organisation, User
from eventday.areas.models import Area
from eventday.db import utcnow
from eventday.demo import DEMO_HOOKS
from eventday.extensions import db
from eventday.festivals.models import Festival, FestivalRole, ParticipantGroup
from eventday.i18n import fold

# (zone, hall, x, y, width, depth, colour, booth prefix, count, booth kind, size, price,
#  reserved home area code)
ZONES = [
    ("Gian OCOP Đông Giang", 0, 0, 0, 24, 7, "#e3f0e6", "D", 6, "ocop", (3, 3), 500_000, None),
    ("Gian OCOP Tây Giang", 0, 24, 0, 24, 7, "#e6eef8", "T", 6, "ocop", (3, 3), 500_000, "20455"),
    ("Gian OCOP Sông Kôn – Avương", 0, 0, 10, 24, 7, "#f6efe0", "S", 6, "ocop", (3, 3), 500_000, None),
    ("Gian OCOP Nam Giang và khách mời", 0, 24, 10, 24, 7, "#f3e6ee", "N", 6, "ocop", (3, 3), 500_000, None),
    ("Khởi nghiệp đổi mới sáng tạo", 0, 0, 20, 30, 8, "#e9e6f6", "K", 8, "startup", (3, 3), 300_000, None),
    ("Hội, đoàn và trường học", 0, 30, 20, 18, 8, "#eef3df", "H", 5, "union", (3, 3), 0, None),
    ("Ẩm thực núi rừng", 1, 0, 0, 40, 8, "#fbe9e0", "F", 6, "food", (3, 6), 800_000, None),
]  # fmt: skip

# (organisation, exhibitor kind, organisation kind, home commune code or None, group kind,
#  [(product vi, product en, OCOP group, stars, score, decision year-month, unit, min, max)])
EXHIBITORS = [
    ("HTX Nông nghiệp xã Tư", "cooperative", "cooperative", "20485", "cooperatives", [
        ("Chè dây Ra zéh", "Ra zéh vine tea", "I.5.b", 3, 62, (2024, 3), "hộp 200 g", 80_000, 120_000),
    ]),
    ("Tổ hợp tác ớt A Riêu Ma Cooih", "ocop_producer", "cooperative", "20494", "farmers", [
        ("Ớt A Riêu Ma Cooih", "A Riêu Ma Cooih chilli", "I.4.b", 3, 58, (2023, 9), "hũ 250 g", 45_000, 60_000),
    ]),
    ("Cơ sở rượu Ka kun Đông Giang", "household_business", "household_business", "20467", None, [
        ("Rượu Ka kun", "Ka kun rice wine", "II.1.b", None, None, None, "chai 500 ml", 150_000, 250_000),
    ]),
    ("HTX Dệt thổ cẩm Đhrồng", "cooperative", "cooperative", "20467", "women", [
        ("Thổ cẩm Đhrồng", "Đhrồng Cơ Tu brocade", "IV.2", 3, 64, (2024, 6), "tấm", 350_000, 1_200_000),
        ("Khăn thổ cẩm Cơ Tu", "Cơ Tu brocade scarf", "IV.2", None, None, None, "chiếc", 120_000, 180_000),
    ]),
    ("HTX Dược liệu Đức Huy", "cooperative", "cooperative", "20455", "cooperatives", [
        ("Cao đẳng sâm", "Codonopsis extract", "III.1", 4, 74, (2024, 11), "lọ 100 g", 450_000, 600_000),
    ]),
    ("HTX Nông nghiệp và Dược liệu Tây Giang", "cooperative", "cooperative", "20455", "cooperatives", [
        ("Trà đẳng sâm", "Codonopsis tea", "I.5.b", 4, 72, (2024, 5), "hộp 20 túi", 90_000, 130_000),
        ("Rượu đẳng sâm", "Codonopsis wine", "II.1.b", 3, 55, (2023, 12), "chai 500 ml", 220_000, 300_000),
    ]),
    ("HTX Nông dược Tây Giang", "cooperative", "cooperative", "20455", "cooperatives", [
        ("Rượu ba kích", "Morinda root wine", "II.1.b", None, None, None, "chai 500 ml", 250_000, 350_000),
        ("Đẳng sâm khô", "Dried codonopsis root", "III.3", 3, 60, (2024, 8), "gói 500 g", 400_000, 550_000),
    ]),
    ("HTX Nông nghiệp Sông Kôn", "cooperative", "cooperative", "20476", "farmers", [
        ("Gạo đỏ Sông Kôn", "Sông Kôn red rice", "I.2.a", None, None, None, "túi 2 kg", 70_000, 90_000),
        # Rated in 2022: the certificate ran out in 2025 — shown as expired, never as 3★.
        ("Mật ong rừng Sông Kôn", "Sông Kôn forest honey", "I.2.b", 3, 57, (2022, 5), "chai 500 ml", 250_000, 320_000),
    ]),
    ("HTX Nông lâm Avương", "cooperative", "cooperative", "20458", "farmers", [
        ("Măng khô Avương", "Avương dried bamboo shoots", "I.3.c", None, None, None, "gói 500 g", 150_000, 200_000),
        ("Nấm linh chi rừng", "Wild lingzhi", "III.3", 3, 53, (2025, 2), "hộp 200 g", 300_000, 450_000),
    ]),
    ("HTX dệt thổ cẩm Cơ Tu Za Ra", "cooperative", "cooperative", "20707", "women", [
        ("Túi thổ cẩm A Đtirh", "A Đtirh brocade bag", "IV.2", 3, 61, (2023, 10), "chiếc", 180_000, 450_000),
    ]),
    ("Cơ sở rượu Tà Vạc Nam Giang", "household_business", "household_business", "20707", None, [
        ("Rượu Tà Vạc", "Tà Vạc palm wine", "II.1.b", 3, 52, (2023, 10), "chai 500 ml", 120_000, 180_000),
    ]),
    ("HTX Nông nghiệp Bến Giằng", "cooperative", "cooperative", "20710", "cooperatives", [
        ("Chuối rừng khô", "Dried wild bananas", "I.3.c", 3, 56, (2023, 10), "gói 300 g", 60_000, 80_000),
    ]),
    ("Cơ sở muối Nam Giang", "household_business", "household_business", "20695", None, [
        ("Muối Nam Giang", "Nam Giang chilli salt", "I.4.b", 3, 54, (2024, 1), "hũ 200 g", 35_000, 50_000),
    ]),
    ("HTX Nông nghiệp La Dêê", "cooperative", "cooperative", "20704", "farmers", [
        ("Trà đậu đen", "Black bean tea", "I.5.b", 3, 55, (2024, 1), "hộp 300 g", 70_000, 95_000),
    ]),
    ("Cơ sở dưa kiệu A Điu", "household_business", "household_business", "20698", None, [
        ("Dưa kiệu A Điu", "A Điu pickled scallions", "I.3.c", 3, 51, (2024, 1), "hũ 500 g", 60_000, 85_000),
    ]),
    ("HTX Sâm Ngọc Linh Nam Trà My (khách mời)", "cooperative", "cooperative", None, "cooperatives", [
        ("Trà túi lọc sâm Ngọc Linh", "Ngọc Linh ginseng tea bags", "I.5.b", 3, 66, (2024, 9), "hộp 20 túi", 150_000, 220_000),
    ]),
    ("Cà phê Arabica A Rooi", "ocop_producer", "household_business", "20467", "farmers", [
        ("Cà phê Arabica A Rooi rang mộc", "A Rooi Arabica coffee", "I.6", None, None, None, "gói 250 g", 120_000, 160_000),
    ]),
    ("HTX Chăn nuôi heo đen Cơ Tu", "cooperative", "cooperative", "20458", "farmers", [
        ("Thịt heo đen gác bếp", "Smoked Cơ Tu black pork", "I.3.d", 3, 59, (2025, 1), "gói 500 g", 280_000, 350_000),
    ]),
    ("HTX Mây tre đan Tây Giang", "cooperative", "cooperative", "20455", "women", [
        ("Gùi mây tre đan", "Rattan back basket", "IV.1", None, None, None, "chiếc", 250_000, 600_000),
    ]),
    ("Tổ hợp tác Mật ong Hùng Sơn", "ocop_producer", "cooperative", "20443", "farmers", [
        ("Mật ong ruồi Hùng Sơn", "Hùng Sơn stingless-bee honey", "I.2.b", 3, 60, (2024, 7), "chai 250 ml", 300_000, 380_000),
    ]),
    ("Hộ kinh doanh Bhríu Lan — lan rừng", "household_business", "household_business", "20467", "women", [
        ("Lan rừng Trường Sơn", "Trường Sơn wild orchids", "V.1", None, None, None, "chậu", 150_000, 900_000),
    ]),
    ("Làng du lịch cộng đồng Bhơ Hôồng", "ocop_producer", "cooperative", "20476", "cooperatives", [
        ("Du lịch cộng đồng Bhơ Hôồng", "Bhơ Hôồng community tourism", "VI", 3, 63, (2023, 11), "khách/ngày", 350_000, 650_000),
    ]),
    # Startups
    ("Dược liệu Sông Kôn", "startup", "startup", "20476", "youth", [
        ("Trà thảo mộc túi lọc Sông Kôn", "Sông Kôn herbal tea bags", "I.5.b", None, None, None, "hộp", 65_000, 80_000),
    ]),
    ("Cơ Tu Craft", "startup", "startup", "20467", "youth", [
        ("Sổ tay bọc thổ cẩm", "Brocade-bound notebook", "IV.2", None, None, None, "cuốn", 95_000, 140_000),
    ]),
    ("Chợ Núi — ứng dụng đặt hàng nông sản", "startup", "startup", "20467", "youth", []),
    ("Nông nghiệp số Tây Giang", "startup", "startup", "20455", "youth", []),
    ("Homestay Avương", "startup", "startup", "20458", "women", [
        ("Gói trải nghiệm 2 ngày Avương", "Two-day Avương stay", "VI", None, None, None, "khách", 900_000, 1_400_000),
    ]),
    ("Nhóm sinh viên Cây thuốc Trường Sơn", "startup", "startup", "20455", "university_students", []),
    ("Zara Herbs", "startup", "startup", "20707", "youth", [
        ("Dầu xoa thảo mộc", "Herbal balm", "III.2", None, None, None, "lọ 20 ml", 45_000, 60_000),
    ]),
    ("Trạm sấy nông sản năng lượng mặt trời", "startup", "startup", "20485", "farmers", []),
    # Unions and schools
    ("Đoàn Thanh niên xã Đông Giang", "union", "union", "20467", "youth", []),
    ("Hội Liên hiệp Phụ nữ xã Tây Giang", "union", "union", "20455", "women", []),
    ("Hội Nông dân xã Sông Kôn", "union", "union", "20476", "farmers", []),
    ("Trường THPT Quang Trung", "school", "school", "20467", "highschool_students", []),
    # Food
    ("Bếp Cơ Tu A Đào", "household_business", "household_business", "20467", None, [
        ("Cơm lam, gà nướng", "Bamboo rice and grilled chicken", None, None, None, None, "suất", 50_000, 80_000),
    ]),
    ("Quán Zơ Râm", "household_business", "household_business", "20455", None, [
        ("Bánh sừng trâu Cơ Tu", "Cơ Tu horn cakes", None, None, None, None, "đĩa", 20_000, 30_000),
    ]),
    ("Rượu cần Bhơ Hôồng", "household_business", "household_business", "20476", None, [
        ("Rượu cần", "Jar rice wine", "II.1.b", None, None, None, "ché", 300_000, 500_000),
    ]),
    ("Cà phê Sông Vàng", "household_business", "household_business", "20485", None, [
        ("Cà phê phin", "Phin coffee", None, None, None, None, "ly", 15_000, 25_000),
    ]),
    ("Bánh tét lá dong Avương", "household_business", "household_business", "20458", None, [
        ("Bánh tét lá dong", "Sticky rice cake", None, None, None, None, "đòn", 40_000, 60_000),
    ]),
]  # fmt: skip

# Who ends where: exhibitor index -> (booth code, final state). Unlisted exhibitors have a
# profile but no application at this festival.
PLACEMENT = {
    0: ("D01", "approved"), 1: ("D02", "approved"), 2: ("D03", "pending"), 3: ("D04", "approved"),
    16: ("D05", "approved"), 19: ("D06", "rejected"),
    4: ("T01", "approved"), 5: ("T02", "approved"), 6: ("T03", "approved"),
    18: ("T04", "approved"),
    7: ("S01", "approved"), 8: ("S02", "approved"), 17: ("S03", "approved"), 21: ("S04", "approved"),
    9: ("N01", "approved"), 10: ("N02", "approved"), 11: ("N03", "approved"), 12: ("N04", "pending"),
    13: ("N05", "approved"), 14: ("N06", "waitlisted"), 15: ("S05", "approved"),
    22: ("K01", "approved"), 23: ("K02", "approved"), 24: ("K03", "pending"),
    25: ("K04", "approved"), 26: ("K05", "approved"), 27: ("K06", "withdrawn"),
    28: ("K07", "approved"), 29: ("K08", "held"), 20: ("F06", "held"),
    30: ("H01", "approved"), 31: ("H02", "approved"), 32: ("H03", "approved"), 33: ("H04", "approved"),
    34: ("F01", "approved"), 35: ("F02", "approved"), 36: ("F03", "pending"), 37: ("F04", "approved"),
    38: ("F05", "expired"),
}  # fmt: skip
BLOCKED = {"H05": "Cột điện giữa gian — không dùng được"}
EXHIBITOR_USER = "htx.samngoclinh@eventday.vn"  # the demo exhibitor: acts for HTX Nông dược


def _area(code: str | None) -> Area | None:
    if code is None:
        return None
    return db.session.scalar(
        sa.select(Area).where(Area.level == "commune", Area.code == code, Area.valid_to.is_(None))
    )


def _organisation(name: str, kind: str, area: Area | None) -> Organisation:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name_folded == fold(name)))
    if org is None:
        org = account_ops.create_organisation(None, name, kind, area=area)
    return org


def _products(profile: ExhibitorProfile, items) -> None:
    for position, (vi, en, group, stars, score, decided, unit, low, high) in enumerate(items):
        product = Product(
            exhibitor_id=profile.id,
            name_vi=vi,
            name_en=en,
            name_folded=fold(vi),
            ocop_group=group,
            unit=unit,
            price_min_vnd=low,
            price_max_vnd=high,
            position=position,
            description_vi="Sản phẩm của đồng bào miền núi Quảng Nam (dữ liệu minh họa).",
            description_en="A product of Quảng Nam's mountain communes (demo data).",
        )
        if stars is not None:
            decision_date = dt.date(decided[0], decided[1], 15)
            product.stars, product.score = stars, score
            product.decision_date = decision_date
            product.decision_number = f"{100 + position + decided[1]}/QĐ-UBND (minh họa)"
            product.issuing_body = (
                "UBND tỉnh Quảng Nam"
                if stars >= 4 or decision_date >= dt.date(2025, 7, 1)
                else "UBND huyện (minh họa)"
            )
            product.valid_until = ocop.default_valid_until(decision_date)
        db.session.add(product)


def load_booths_demo(festival: Festival, host_areas: list[Area]) -> None:
    if db.session.scalar(sa.select(Hall.id).where(Hall.festival_id == festival.id)):
        return
    organizer = db.session.scalar(
        sa.select(User)
        .join(FestivalRole, FestivalRole.user_id == User.id)
        .where(FestivalRole.festival_id == festival.id, FestivalRole.role == "organizer")
        .order_by(FestivalRole.id)
    )
    groups = {
        g.kind: g
        for g in db.session.scalars(
            sa.select(ParticipantGroup).where(ParticipantGroup.festival_id == festival.id)
        )
    }
    if "cooperatives" in groups:  # the district's support programme pays co-operatives' booths
        db.session.add(
            BoothFeeWaiver(
                festival_id=festival.id,
                group_id=groups["cooperatives"].id,
                note="Chương trình hỗ trợ OCOP của xã chi trả",
            )
        )

    halls = [
        Hall(festival_id=festival.id, name="Nhà thi đấu đa năng", width_m=48, depth_m=30),
        Hall(
            festival_id=festival.id,
            name="Sân ngoài trời",
            width_m=40,
            depth_m=16,
            outdoor=True,
            position=1,
        ),
    ]
    db.session.add_all(halls)
    db.session.flush()
    booths: dict[str, Booth] = {}
    for position, (
        name,
        hall_i,
        x,
        y,
        w,
        d,
        colour,
        prefix,
        n,
        kind,
        size,
        price,
        area,
    ) in enumerate(ZONES):
        hall = halls[hall_i]
        zone = Zone(
            festival_id=festival.id,
            hall_id=hall.id,
            name=name,
            color=colour,
            x=x,
            y=y,
            width_m=w,
            depth_m=d,
            position=position,
        )
        db.session.add(zone)
        db.session.flush()
        reserved = _area(area)
        for i in range(n):
            code = f"{prefix}{i + 1:02d}"
            booths[code] = Booth(
                festival_id=festival.id,
                hall_id=hall.id,
                zone_id=zone.id,
                code=code,
                x=x + 1 + i * size[0],
                y=y + 1,
                width_m=size[0],
                depth_m=size[1],
                corner=i in (0, n - 1),
                kind="school" if code == "H04" else kind,
                price_vnd=price,
                reserved_area_id=reserved.id if reserved else None,
                blocked=code in BLOCKED,
                blocked_reason=BLOCKED.get(code),
                staff_passes=3 if kind == "food" else 2,
            )
    db.session.add_all(booths.values())
    db.session.flush()

    demo_user = account_ops.find_user_by_email(EXHIBITOR_USER)
    profiles = []
    for name, kind, org_kind, area_code, _group, items in EXHIBITORS:
        area = _area(area_code)
        org = _organisation(name, org_kind, area)
        profile = ExhibitorProfile(
            organisation_id=org.id,
            kind=kind,
            display_name=name,
            name_folded=fold(name),
            home_area_id=area.id if area else None,
            contact_name="Người phụ trách gian hàng",
            contact_phone="+84905" + f"{len(profiles):06d}",
            description_vi=f"{name} — đơn vị trưng bày tại ngày hội (dữ liệu minh họa).",
            description_en=f"{name} — an exhibitor at the festival (demo data).",
        )
        db.session.add(profile)
        db.session.flush()
        _products(profile, items)
        profiles.append(profile)
    db.session.flush()
    if demo_user is not None:
        from eventday.accounts.models import OrganisationMember

        for profile in profiles:
            if profile.display_name == "HTX Nông dược Tây Giang":
                exists = db.session.scalar(
                    sa.select(OrganisationMember.id).where(
                        OrganisationMember.organisation_id == profile.organisation_id,
                        OrganisationMember.user_id == demo_user.id,
                    )
                )
                if exists is None:
                    account_ops.add_member(profile.organisation, EXHIBITOR_USER, "owner")

    now = utcnow()
    for index, (code, final) in PLACEMENT.items():
        profile = profiles[index]
        group_kind = EXHIBITORS[index][4]
        group = groups.get(group_kind) if group_kind else None
        application = ops.hold_booths(
            festival,
            profile,
            [booths[code].id],
            organizer,
            group_id=group.id if group else None,
            now=now - dt.timedelta(hours=1) if final == "expired" else now,
        )
        if final == "held":
            # A demo hold lasts two days (a real one, BOOTH_HOLD_MINUTES), so the plan shows it.
            application.hold_expires_at = now + dt.timedelta(days=2)
        if final in ("held", "expired"):
            continue
        db.session.refresh(profile)
        ops.submit_application(
            application,
            organizer,
            products=list(profile.products),
            needs_electricity=EXHIBITORS[index][1] in ("startup", "household_business"),
            tables=1,
            chairs=2,
            note="",
            group_id=group.id if group else None,
        )
        if final == "approved":
            ops.approve(application, organizer)
        elif final == "rejected":
            ops.reject(application, organizer, "Sản phẩm chưa phù hợp chủ đề gian OCOP của xã.")
        elif final == "waitlisted":
            ops.waitlist(application, organizer)
        elif final == "withdrawn":
            ops.withdraw(application, organizer)
    ops.expire_holds(now)
    db.session.commit()


DEMO_HOOKS.append(load_booths_demo)
