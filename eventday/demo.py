"""The demo festival: an inter-commune festival of the former Đông Giang and Tây Giang
districts, with organizers from both, stages, participant groups and real area data."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from eventday.accounts import operations as account_ops
from eventday.accounts.models import Organisation, User
from eventday.areas.models import Area
from eventday.areas.operations import import_bundled
from eventday.extensions import db
from eventday.festivals import operations as ops
from eventday.festivals.models import Festival

# Feature packages add their part of the demo (tickets, booths, …) without the core importing
# them: fn(festival, host_areas) registered at import, idempotent.
DEMO_HOOKS: list = []

DEMO_PASSWORD = "ngayhoi-2026"  # noqa: S105 - published demo credential, printed on purpose
DEMO_SLUG = "ngay-hoi-khoi-nghiep-lien-xa-dong-giang-tay-giang-2026"
PAST_SLUG = "ngay-hoi-khoi-nghiep-huyen-tay-giang-2024"

USERS = [
    ("admin@eventday.vn", "Quản trị EventDay", None, True, "site admin"),
    (
        "tochuc.donggiang@eventday.vn",
        "Bríu Thị Hoa",
        "+84905111222",
        False,
        "organizer (xã Đông Giang, lead host)",
    ),
    (
        "tochuc.taygiang@eventday.vn",
        "Alăng Văn Dũng",
        "+84935222333",
        False,
        "co-organizer (xã Tây Giang)",
    ),
    ("cong.soat@eventday.vn", "Hồ Văn Minh", "+84914333444", False, "gate staff"),
    ("giam.khao@eventday.vn", "Trần Thị Thu Hà", None, False, "judge, expert"),
    (
        "htx.samngoclinh@eventday.vn",
        "Coor Thị Mai",
        "+84372444555",
        False,
        "exhibitor (cooperative)",
    ),
    ("nha.dau.tu@eventday.vn", "Lê Quang Vinh", None, False, "investor"),
    ("startup.duoclieu@eventday.vn", "Zơrâm Thị Lan", "+84868555666", False, "startup"),
]

DESCRIPTION_VI = """Ngày hội khởi nghiệp đổi mới sáng tạo liên xã của các xã thuộc
**huyện Đông Giang và Tây Giang cũ** — nơi thanh niên, nông dân, phụ nữ, sinh viên
và học sinh THPT giới thiệu dự án khởi nghiệp, sản phẩm OCOP và đặc sản địa phương.

- Khai mạc và tham quan gian hàng OCOP, khởi nghiệp
- Diễn đàn: du lịch cộng đồng, dược liệu dưới tán rừng, hợp tác xã và chuỗi giá trị
- Chung kết cuộc thi ý tưởng khởi nghiệp
- Kết nối nhà đầu tư và chuyên gia (gặp 1:1)
- Trao giải và bế mạc
"""

DESCRIPTION_EN = """An inter-commune innovative startup festival of the communes of the **former
Đông Giang and Tây Giang districts**, where youth, farmers, women, university and high-school
students present startup projects, OCOP products and local specialities.

- Opening and the OCOP and startup booths
- Forums: community tourism, medicinal herbs under the forest canopy, co-operatives and value chains
- Final of the startup idea contest
- Investor and expert connections (1:1 meetings)
- Awards and closing
"""


def _area(level: str, code: str, on: dt.date) -> Area:
    area = db.session.scalar(
        sa.select(Area).where(
            Area.level == level,
            Area.code == code,
            Area.valid_from <= on,
            sa.or_(Area.valid_to.is_(None), Area.valid_to >= on),
        )
    )
    if area is None:
        raise RuntimeError(f"area {level}:{code} missing on {on}")
    return area


def _user(email: str, name: str, phone: str | None, is_admin: bool) -> User:
    user = account_ops.find_user_by_email(email)
    if user is None:
        user = account_ops.create_user(
            email, DEMO_PASSWORD, name, phone=phone, is_admin=is_admin, verified=True
        )
    return user


def _organisation(owner: User, name: str, kind: str, area: Area) -> Organisation:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
    if org is None:
        org = account_ops.create_organisation(owner, name, kind, area=area)
    return org


def load_demo(today: dt.date) -> dict:
    import_bundled()
    users = {email: _user(email, name, phone, admin) for email, name, phone, admin, _ in USERS}
    reform = dt.date(2025, 7, 1)
    dong_giang = _area("commune", "20467", reform)
    tay_giang = _area("commune", "20455", reform)
    song_kon = _area("commune", "20476", reform)
    avuong = _area("commune", "20458", reform)

    _organisation(
        users["htx.samngoclinh@eventday.vn"], "HTX Nông dược Tây Giang", "cooperative", tay_giang
    )
    _organisation(users["startup.duoclieu@eventday.vn"], "Dược liệu Sông Kôn", "startup", song_kon)
    _organisation(
        users["nha.dau.tu@eventday.vn"],
        "Quỹ Phát triển Khoa học và Công nghệ (demo)",
        "investment_fund",
        dong_giang,
    )
    _organisation(
        users["tochuc.donggiang@eventday.vn"], "UBND xã Đông Giang", "government", dong_giang
    )
    _organisation(
        users["tochuc.taygiang@eventday.vn"], "UBND xã Tây Giang", "government", tay_giang
    )

    festival = db.session.scalar(sa.select(Festival).where(Festival.slug == DEMO_SLUG))
    if festival is None:
        start = today + dt.timedelta(days=21)
        festival = ops.create_festival(
            users["tochuc.donggiang@eventday.vn"],
            ops.FestivalData(
                name_vi="Ngày hội Khởi nghiệp đổi mới sáng tạo liên xã Đông Giang – Tây Giang 2026",
                name_en="Đông Giang – Tây Giang Inter-commune Startup Festival 2026",
                slug=DEMO_SLUG,
                host_area_ids=[dong_giang.id, tay_giang.id, song_kon.id, avuong.id],
                lead_area_id=dong_giang.id,
                start_date=start,
                end_date=start + dt.timedelta(days=1),
                day_starts=dt.time(7, 30),
                day_ends=dt.time(17, 0),
                venue_name="Trung tâm Văn hóa – Thể thao xã Đông Giang",
                venue_address="Xã Đông Giang, thành phố Đà Nẵng",
                description_vi=DESCRIPTION_VI,
                description_en=DESCRIPTION_EN,
                groups=[
                    "youth",
                    "farmers",
                    "women",
                    "university_students",
                    "highschool_students",
                    "cooperatives",
                ],
                custom_groups=["Đồng bào Cơ Tu"],
                stages=[
                    ("Sân khấu chính", 600),
                    ("Hội trường diễn đàn", 200),
                    ("Phòng kết nối đầu tư", 40),
                ],
            ),
        )
        ops.grant_role(festival, users["tochuc.taygiang@eventday.vn"], "organizer", tay_giang)
        ops.grant_role(festival, users["cong.soat@eventday.vn"], "staff")
        ops.grant_role(festival, users["giam.khao@eventday.vn"], "judge")
        ops.grant_role(festival, users["giam.khao@eventday.vn"], "expert")
        ops.grant_role(festival, users["htx.samngoclinh@eventday.vn"], "exhibitor")
        ops.grant_role(festival, users["nha.dau.tu@eventday.vn"], "investor")
        ops.grant_role(festival, users["startup.duoclieu@eventday.vn"], "startup")
        ops.change_state(festival, "published")
    past = db.session.scalar(sa.select(Festival).where(Festival.slug == PAST_SLUG))
    if past is None:
        # Before the 2025 reform: hosted by the district, which keeps its name as it was then.
        tay_giang_district = _area("district", "504", dt.date(2024, 1, 1))
        past = ops.create_festival(
            users["tochuc.taygiang@eventday.vn"],
            ops.FestivalData(
                name_vi="Ngày hội Khởi nghiệp huyện Tây Giang 2024",
                name_en="Tây Giang District Startup Festival 2024",
                slug=PAST_SLUG,
                host_area_ids=[tay_giang_district.id],
                start_date=dt.date(2024, 11, 22),
                end_date=dt.date(2024, 11, 22),
                day_starts=dt.time(7, 30),
                day_ends=dt.time(16, 30),
                venue_name="Trung tâm huyện Tây Giang",
                venue_address="Xã Lăng, huyện Tây Giang, tỉnh Quảng Nam",
                groups=["youth", "farmers", "women"],
                stages=[("Sân khấu chính", 300)],
            ),
        )
        ops.change_state(past, "published")
        ops.change_state(past, "closed")
    db.session.flush()
    # After both festivals exist: a hook may add to the past one (matchmaking outcomes).
    for hook in DEMO_HOOKS:
        hook(festival, [dong_giang, tay_giang, song_kon, avuong])
    db.session.flush()
    return {
        "password": DEMO_PASSWORD,
        "users": [(email, what) for email, _n, _p, _a, what in USERS],
    }
