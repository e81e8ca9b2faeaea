"""Demo matchmaking for the demo festival: investors (the city's development fund, the
science and technology fund, two banks, two business associations, two angels, an enterprise),
experts, startup profiles from the pitch applicants and exhibitor profiles from the
cooperatives; two sessions (day 1 afternoon, day 2 morning around the pitch final), twelve
tables of which four are fixed to the funds and banks; requests in every state; a batch
schedule, published; and, for the 2024 festival (past), one session held with attendance,
feedback and indicated investment — the outcomes a district reports upward.

Idempotent: nothing happens once the festival has matchmaking settings.
"""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

from eventday.accounts import operations as account_ops
from eventday.accounts.models import Organisation, User
from eventday.areas.models import Area
from eventday.db import utcnow
from eventday.demo import DEMO_HOOKS, DEMO_PASSWORD, PAST_SLUG
from eventday.extensions import db
from eventday.festivals import operations as festival_ops
from eventday.festivals.models import Festival, FestivalRole
from eventday.i18n import LOCAL_TZ, fold
from matchmaking import batch, booking, profiles, slots
from matchmaking.models import (
    MatchBlock,
    MatchBreak,
    MatchProfile,
    MatchSession,
    MatchSettings,
    MatchTable,
    MeetingFeedback,
    MeetingRequest,
)

M = 1_000_000  # đồng

# (email, person, kind, organisation or None, title, headline vi, headline en, sectors,
#  stages, offers, ticket min, ticket max, area codes, languages, fixed table)
INVESTORS = [
    ("quy.dautu.danang@eventday.vn", "Nguyễn Thành Đạt", "fund", "Quỹ Đầu tư phát triển thành phố Đà Nẵng", "Phó Giám đốc", "Cho vay và đầu tư dự án khởi nghiệp, hợp tác xã vùng cao", "Loans and equity for upland startups and co-operatives", ["agritech", "ocop_food", "ocop_herbs", "tourism", "greentech"], ["first_revenue", "growth"], ["funding", "mentoring"], 300 * M, 3000 * M, ["20467", "20455", "20476", "20458"], ["vi", "en"], 1),
    ("nha.dau.tu@eventday.vn", None, "fund", None, "Giám đốc Quỹ", "Tài trợ đổi mới công nghệ cho dự án nông nghiệp và dược liệu", "Technology grants for farming and herbal projects", ["agritech", "ocop_herbs", "manufacturing", "edtech"], ["idea", "prototype", "first_revenue"], ["funding", "technology", "mentoring"], 50 * M, 500 * M, ["20467", "20455"], ["vi"], 2),
    ("nhcsxh.taygiang@eventday.vn", "Bhling Thị Nga", "bank", "Ngân hàng Chính sách xã hội – PGD Tây Giang", "Trưởng phòng giao dịch", "Vốn vay ưu đãi cho thanh niên, phụ nữ khởi nghiệp", "Preferential loans for young and women entrepreneurs", ["agritech", "ocop_food", "ocop_crafts", "tourism", "services"], ["idea", "prototype", "first_revenue"], ["funding"], 20 * M, 100 * M, ["20455", "20467", "20458"], ["vi"], 3),
    ("agribank.donggiang@eventday.vn", "Trần Văn Lộc", "bank", "Agribank – Chi nhánh Đông Giang", "Phó Giám đốc chi nhánh", "Tín dụng chuỗi giá trị nông nghiệp, OCOP", "Credit for farm value chains and OCOP", ["ocop_food", "ocop_drinks", "ocop_herbs", "agritech"], ["first_revenue", "growth"], ["funding", "market_access"], 100 * M, 2000 * M, ["20467", "20476"], ["vi"], 4),
    ("hoi.dnt.danang@eventday.vn", "Lê Hoàng Phúc", "association", "Hội Doanh nhân trẻ thành phố Đà Nẵng", "Phó Chủ tịch", "Kết nối doanh nghiệp, cố vấn và thị trường cho khởi nghiệp trẻ", "Partners, mentors and markets for young founders", ["ecommerce", "tourism", "services", "ocop_crafts", "manufacturing"], ["prototype", "first_revenue", "growth"], ["partners", "mentoring", "distribution"], None, None, ["20467", "20455", "20476", "20458"], ["vi", "en"], None),
    ("hiephoi.dulich@eventday.vn", "Phạm Thị Thanh Hương", "association", "Hiệp hội Du lịch Đà Nẵng", "Tổng thư ký", "Đưa sản phẩm du lịch cộng đồng vào tour của hội viên", "Community tourism into members' tours", ["tourism", "ocop_tourism", "ocop_crafts"], ["prototype", "first_revenue", "growth"], ["distribution", "partners", "market_access"], None, None, ["20467", "20455", "20476"], ["vi", "en", "ko"], None),
    ("thien.angel@eventday.vn", "Nguyễn Minh Thiện", "angel", None, "Nhà đầu tư thiên thần", "Đầu tư giai đoạn sớm vào du lịch và ẩm thực bản địa", "Early-stage investor in tourism and local food", ["tourism", "ocop_food", "ecommerce"], ["idea", "prototype"], ["funding", "mentoring"], 50 * M, 300 * M, ["20467", "20476"], ["vi", "en"], None),
    ("quynhanh.angel@eventday.vn", "Trần Thị Quỳnh Anh", "angel", None, "Nhà đầu tư thiên thần", "Công nghệ nông nghiệp, thương mại điện tử nông sản", "Agritech and farm e-commerce", ["agritech", "ecommerce", "ocop_drinks", "greentech"], ["prototype", "first_revenue"], ["funding", "technology", "partners"], 100 * M, 800 * M, ["20455", "20458"], ["vi", "en"], None),
    ("duoclieu.truongson@eventday.vn", "Hồ Văn Sâm", "enterprise", "Công ty CP Dược liệu Trường Sơn (demo)", "Giám đốc thu mua", "Tìm vùng nguyên liệu dược liệu và đối tác bao tiêu", "Sourcing herbal raw materials and offtake partners", ["ocop_herbs", "agritech", "manufacturing"], ["prototype", "first_revenue", "growth"], ["distribution", "partners", "funding"], 200 * M, 1500 * M, ["20455", "20458", "20476"], ["vi"], None),
    ("giam.khao@eventday.vn", None, "expert", None, "Chuyên gia đổi mới sáng tạo", "Cố vấn mô hình kinh doanh, gọi vốn và sở hữu trí tuệ", "Advice on business models, fundraising and IP", ["agritech", "edtech", "services", "ocop_herbs"], ["idea", "prototype"], ["mentoring"], None, None, ["20467", "20455"], ["vi", "en"], None),
    ("chuyengia.so@eventday.vn", "Phan Văn Số", "expert", None, "Chuyên gia chuyển đổi số", "Bán hàng trực tuyến, truy xuất nguồn gốc, tem QR", "Online sales, traceability, QR labels", ["ecommerce", "agritech", "ocop_food", "ocop_drinks"], ["idea", "prototype", "first_revenue"], ["mentoring", "technology"], None, None, ["20467", "20455", "20476", "20458"], ["vi", "en"], None),
]  # fmt: skip
# Pitch applicants (made by the pitches demo) -> sectors; the startup's own person.
STARTUP_SECTORS = {
    0: ["ocop_herbs", "agritech"],
    1: ["ocop_herbs", "agritech"],
    2: ["ocop_herbs", "agritech"],
    3: ["ocop_food", "agritech"],
    4: ["ocop_food", "ecommerce"],
    5: ["tourism", "ocop_tourism"],
    6: ["tourism", "ocop_tourism"],
    7: ["tourism", "ocop_food"],
    8: ["tourism", "greentech"],
    9: ["ocop_crafts", "ecommerce"],
    10: ["ocop_crafts", "manufacturing"],
    11: ["ocop_crafts", "ecommerce"],
    12: ["ecommerce", "agritech"],
    13: ["agritech", "greentech"],
    14: ["agritech", "greentech", "manufacturing"],
    15: ["tourism", "ecommerce"],
}
PEOPLE = ["Alăng Thị Mơ", "Bríu Văn Pố", "Zơrâm Văn Hùng", "Coor Thị Hiền", "Bhơ Nướch Thị Xuân", "Hôih Văn Tâm", "Clâu Thị Nhanh", "Arất Văn Blao", "Pơloong Thị Hoa", "Ating Văn Sơn", "Bling Thị Ngân", "A Viết Thị Thêm", "Đinh Văn Trà", "Nguyễn Thị Hạnh", "Hồ Văn Núi", "Lê Thị Rừng"]  # fmt: skip
EXHIBITORS = [
    (
        "htx.samngoclinh@eventday.vn",
        None,
        "HTX Nông dược Tây Giang",
        ["ocop_herbs", "ocop_drinks"],
        "20455",
        200 * M,
    ),
]
DECLINES = [("no_fit", "Dự án chưa thuộc lĩnh vực quỹ đang ưu tiên."), ("no_time", "")]


def _area_ids(codes) -> list[int]:
    rows = db.session.scalars(
        sa.select(Area).where(
            Area.level == "commune", Area.code.in_(list(codes)), Area.valid_to.is_(None)
        )
    )
    return [a.id for a in rows]


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def _user(email: str, name: str | None) -> User:
    user = account_ops.find_user_by_email(email)
    if user is None:
        user = account_ops.create_user(email, DEMO_PASSWORD, name or email, verified=True)
    return user


def _organisation(user: User, name: str, kind: str) -> Organisation:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name_folded == fold(name)))
    if org is None:
        org = account_ops.create_organisation(user, name, kind)
    elif user.id not in {m.user_id for m in org.members}:
        from eventday.accounts.models import OrganisationMember

        db.session.add(OrganisationMember(organisation_id=org.id, user_id=user.id, role="owner"))
    return org


def _profile(festival, user, kind, name, org, **fields) -> MatchProfile:
    data = profiles.ProfileData(
        kind=kind,
        display_name=name,
        organisation_id=org.id if org else None,
        **fields,
    )
    return profiles.save_profile(profiles.profile_for(user, festival), user, festival, data)


def _grant(festival, user, role):
    if not db.session.scalar(
        sa.select(FestivalRole.id).where(
            FestivalRole.festival_id == festival.id,
            FestivalRole.user_id == user.id,
            FestivalRole.role == role,
        )
    ):
        festival_ops.grant_role(festival, user, role)


def _investors(festival) -> list[MatchProfile]:
    out = []
    for row in INVESTORS:
        email, person, kind, org_name, title, h_vi, h_en, sectors, stages, offers = row[:10]
        t_min, t_max, codes, languages, _fixed = row[10:]
        user = _user(email, person)
        org = _organisation(user, org_name, "investment_fund") if org_name else None
        if org is None and user.organisations and kind == "fund":
            org = user.organisations[0]
        name = org.name if org else user.full_name
        _grant(festival, user, "expert" if kind == "expert" else "investor")
        out.append(
            _profile(
                festival,
                user,
                kind,
                name,
                org,
                title=f"{user.full_name} — {title}" if org else title,
                headline_vi=h_vi,
                headline_en=h_en,
                sectors=sectors,
                stages=stages,
                offers=offers,
                seeks=["partners"] if kind in ("association", "enterprise") else [],
                languages=languages,
                area_ids=_area_ids(codes),
                ticket_min_vnd=t_min,
                ticket_max_vnd=t_max,
            )
        )
    return out


def _seekers(festival) -> list[MatchProfile]:
    from pitches.models import PitchApplication

    applications = list(
        db.session.scalars(
            sa.select(PitchApplication)
            .where(PitchApplication.festival_id == festival.id)
            .order_by(PitchApplication.id)
        )
    )
    out = []
    for i, application in enumerate(applications[: len(STARTUP_SECTORS)]):
        org = application.organisation
        if i == 0:
            user = _user("startup.duoclieu@eventday.vn", None)
        else:
            user = _user(f"khoinghiep{i:02d}@example.vn", PEOPLE[i % len(PEOPLE)])
            _organisation(user, org.name, "startup")
        _grant(festival, user, "startup")
        funding = application.funding_vnd or 0
        out.append(
            _profile(
                festival,
                user,
                "startup",
                org.name,
                org,
                title=f"{user.full_name} — Trưởng nhóm",
                headline_vi=application.title,
                headline_en=application.summary_en[:300],
                description=application.summary_vi,
                sectors=STARTUP_SECTORS[i],
                stages=[application.stage],
                seeks=["funding", "mentoring"] + (["distribution"] if i % 3 == 0 else []),
                languages=["vi"] + (["en"] if i % 4 == 0 else []),
                area_ids=[application.home_area_id] if application.home_area_id else [],
                ticket_min_vnd=funding // 2 if funding else None,
                ticket_max_vnd=funding or None,
            )
        )
    for email, person, org_name, sectors, code, need in EXHIBITORS:
        user = _user(email, person)
        org = _organisation(user, org_name, "cooperative")
        out.append(
            _profile(
                festival,
                user,
                "exhibitor",
                org.name,
                org,
                title=f"{user.full_name} — Giám đốc HTX",
                headline_vi="Sâm dây, trà đẳng sâm OCOP 4 sao; tìm nhà phân phối",
                headline_en="4-star OCOP codonopsis tea; looking for distributors",
                sectors=sectors,
                stages=["growth"],
                seeks=["distribution", "funding", "market_access"],
                languages=["vi"],
                area_ids=_area_ids([code]),
                ticket_min_vnd=need // 2,
                ticket_max_vnd=need,
            )
        )
    return out


def _sessions(festival) -> list[MatchSession]:
    day1, day2 = (d.day for d in festival.days[:2])
    out = []
    for day, start, end, pause, name_vi, name_en in [
        (day1, (13, 30), (16, 30), ((15, 0), (15, 15)), "Kết nối đầu tư – chiều ngày 1", "Investor matchmaking – day 1 afternoon"),
        (day2, (8, 0), (11, 30), ((9, 40), (10, 0)), "Kết nối đầu tư – sáng ngày 2", "Investor matchmaking – day 2 morning"),
    ]:  # fmt: skip
        session = MatchSession(
            festival_id=festival.id,
            name_vi=name_vi,
            name_en=name_en,
            starts_at=_local(day, *start),
            ends_at=_local(day, *end),
            slot_minutes=20,
            location="Phòng kết nối đầu tư",
        )
        session.breaks.append(
            MatchBreak(starts_at=_local(day, *pause[0]), ends_at=_local(day, *pause[1]))
        )
        db.session.add(session)
        out.append(session)
    db.session.flush()
    return out


def _tables(festival, investors: list[MatchProfile], n: int = 12) -> None:
    fixed = {row[14]: p for row, p in zip(INVESTORS, investors, strict=True) if row[14]}
    for number in range(1, n + 1):
        profile = fixed.get(number)
        db.session.add(
            MatchTable(
                festival_id=festival.id,
                number=number,
                label=f"Bàn {number}" + (f" – {profile.display_name}" if profile else ""),
                fixed_profile_id=profile.id if profile else None,
            )
        )
    db.session.flush()


def _score(investor: MatchProfile, seeker: MatchProfile) -> int:
    return 3 * len(set(investor.sectors) & set(seeker.sectors)) + 2 * bool(
        set(investor.stages) & set(seeker.stages)
    )


def _requests(festival, investors, seekers, rng: random.Random) -> list[MeetingRequest]:
    """Startups ask the investors that fit them best; investors ask a few startups (must-meet
    for the funds); then answers: most accepted, some declined, some left pending, a few
    expired or cancelled."""
    from matchmaking import requests as mm_requests

    made: list[MeetingRequest] = []
    pairs = set()

    def send(sender, recipient, priority, message):
        key = frozenset((sender.id, recipient.id))
        if key in pairs:
            return
        pairs.add(key)
        made.append(mm_requests.send_request(sender, recipient, message, priority))

    for seeker in seekers:
        ranked = sorted(investors, key=lambda inv: (-_score(inv, seeker), inv.id))
        for inv in ranked[: 2 + seeker.id % 3]:
            send(seeker, inv, "must" if rng.random() < 0.2 else "want",
                 f"{seeker.display_name} xin gặp để trình bày nhu cầu vốn và thị trường.")  # fmt: skip
    for inv in investors[:6]:
        ranked = sorted(seekers, key=lambda s: (-_score(inv, s), s.id))
        for seeker in ranked[:3]:
            send(inv, seeker, "must" if inv.kind in ("fund", "bank") else "want",
                 "Chúng tôi muốn tìm hiểu thêm về mô hình và kế hoạch mở rộng của bạn.")  # fmt: skip
    return made


def _answer(requests: list[MeetingRequest], rng: random.Random) -> None:
    from matchmaking import requests as mm_requests

    now = utcnow()
    for i, request in enumerate(requests):
        if request.state != "pending":
            continue  # a reverse request made it mutual and accepted already
        roll = i % 10
        recipient_user = request.recipient.user
        if roll < 6:
            mm_requests.accept(request, recipient_user, mutual=rng.random() < 0.4)
        elif roll == 6:
            reason, note = DECLINES[i % len(DECLINES)]
            mm_requests.decline(request, recipient_user, reason, note)
        elif roll == 7 and i % 20 == 7:
            request.state = "expired"
            request.expires_at = now - dt.timedelta(hours=2)
        elif roll == 8 and i % 20 == 8:
            mm_requests.cancel(request, request.sender.user)
        # else: pending, answered later
    db.session.flush()


def _blocks(festival, investors: list[MatchProfile]) -> None:
    day1 = festival.days[0].day
    # The development fund's director speaks at the co-operatives workshop (14:00–15:30).
    db.session.add(
        MatchBlock(
            profile_id=investors[0].id,
            starts_at=_local(day1, 14, 0),
            ends_at=_local(day1, 14, 40),
            note="Phát biểu tại hội thảo hợp tác xã",
        )
    )
    db.session.flush()


def load_matchmaking_demo(festival: Festival, host_areas: list[Area]) -> None:
    if db.session.scalar(
        sa.select(MatchSettings.id).where(MatchSettings.festival_id == festival.id)
    ):
        return
    rng = random.Random(2026)  # noqa: S311 - demo data, repeatable
    organizer = db.session.scalar(
        sa.select(User)
        .join(FestivalRole, FestivalRole.user_id == User.id)
        .where(FestivalRole.festival_id == festival.id, FestivalRole.role == "organizer")
        .order_by(FestivalRole.id)
    )
    # Batch mode for the demo: the organizers schedule everything at once, then publish.
    db.session.add(MatchSettings(festival_id=festival.id, is_open=True, instant_booking=False))
    db.session.flush()
    investors = _investors(festival)
    seekers = _seekers(festival)
    _sessions(festival)
    _tables(festival, investors)
    _blocks(festival, investors)
    made = _requests(festival, investors, seekers, rng)
    _answer(made, rng)
    batch.run_batch(festival, organizer, time_limit=5)
    batch.publish(festival, organizer)
    # After publishing, instant booking is on: later acceptances get a table at once.
    booking.settings_for(festival).instant_booking = True
    db.session.flush()
    _past_outcomes(rng)


# --------------------------------------------------------------------------- the past festival


def _past_outcomes(rng: random.Random) -> None:
    """The 2024 festival held one session: meetings marked held or no-show, with feedback."""
    past = db.session.scalar(sa.select(Festival).where(Festival.slug == PAST_SLUG))
    if past is None or db.session.scalar(
        sa.select(MatchSettings.id).where(MatchSettings.festival_id == past.id)
    ):
        return
    state, past.state = past.state, "published"  # profiles are accepted only while published
    db.session.add(MatchSettings(festival_id=past.id, is_open=True, instant_booking=True))
    db.session.flush()
    day = past.days[0].day
    session = MatchSession(
        festival_id=past.id,
        name_vi="Kết nối đầu tư 2024",
        name_en="Investor matchmaking 2024",
        starts_at=_local(day, 14, 0),
        ends_at=_local(day, 16, 0),
        slot_minutes=20,
        location="Hội trường huyện",
    )
    db.session.add(session)
    for number in range(1, 5):
        db.session.add(MatchTable(festival_id=past.id, number=number, label=f"Bàn {number}"))
    db.session.flush()
    investors = []
    for row in INVESTORS[:4]:
        user = _user(row[0], row[1])
        org = _organisation(user, row[3], "investment_fund") if row[3] else None
        if org is None and user.organisations:
            org = user.organisations[0]
        investors.append(
            _profile(
                past,
                user,
                row[2],
                org.name if org else user.full_name,
                org,
                sectors=row[7],
                stages=row[8],
                offers=row[9],
            )
        )
    seekers = []
    for i in range(8):
        user = _user(f"khoinghiep{i + 1:02d}@example.vn", PEOPLE[(i + 1) % len(PEOPLE)])
        seekers.append(
            _profile(
                past,
                user,
                "startup",
                f"Tổ hợp tác {PEOPLE[(i + 1) % len(PEOPLE)].split()[0]} (2024)",
                None,
                sectors=STARTUP_SECTORS[i],
                stages=["prototype"],
                seeks=["funding"],
            )
        )
    from matchmaking import attendance
    from matchmaking import requests as mm_requests

    slot_list = slots.session_slots(session)
    meetings = []
    for i, seeker in enumerate(seekers):
        inv = investors[i % len(investors)]
        request = mm_requests.send_request(seeker, inv, "Xin gặp tư vấn vốn.", "want")
        meeting = mm_requests.accept(request, inv.user, mutual=i % 2 == 0)
        if meeting is not None:
            meetings.append(meeting)
    after = slot_list[-1].end + dt.timedelta(hours=1)
    for i, meeting in enumerate(meetings):
        for seat in meeting.seats:
            attended = not (i == 5 and seat.profile_id == meeting.request.sender_id)
            attendance.mark(seat, attended, None, now=after)
        if meeting.state != "held":
            continue
        for seat in meeting.seats:
            profile = db.session.get(MatchProfile, seat.profile_id)
            investing = profile.is_investor and i % 3 != 2
            db.session.add(
                MeetingFeedback(
                    meeting_id=meeting.id,
                    profile_id=profile.id,
                    rating=4 + (i % 2),
                    follow_up=i % 4 != 3,
                    invest_interest=("yes" if i % 3 == 0 else "maybe") if investing else "none",
                    amount_min_vnd=(50 + 25 * i) * M if investing else None,
                    amount_max_vnd=(100 + 50 * i) * M if investing else None,
                    note="Hẹn khảo sát vùng nguyên liệu." if investing else "",
                )
            )
    past.state = state
    db.session.flush()


DEMO_HOOKS.append(load_matchmaking_demo)
