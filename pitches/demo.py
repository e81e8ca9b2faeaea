"""Demo pitch programme for the demo festival: an open call with the five default tracks,
20 applications from startups of the mountain communes, five judges with declared conflicts, a
locked preliminary round scored with the provincial example rubric, eight finalists scheduled
for the final on the second day, a published programme (opening, forums, a workshop, the final,
awards, closing) and the prizes. The final has not happened yet: the prizes have no winners.

Decks are a one-page PDF made here. Idempotent: nothing happens once the festival has a call.
"""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

from eventday.accounts import operations as account_ops
from eventday.accounts.models import Organisation, User
from eventday.areas.models import Area
from eventday.db import utcnow
from eventday.demo import DEMO_HOOKS, DEMO_PASSWORD
from eventday.extensions import db
from eventday.festivals import operations as festival_ops
from eventday.festivals.models import Festival, FestivalRole, Stage
from eventday.i18n import LOCAL_TZ, fold
from eventday.uploads import store
from pitches import awards, calls, judging, publishing, schedule
from pitches.models import PitchApplication, PitchCall

# (organisation, project title, track index, stage, commune code, funding in đồng)
STARTUPS = [
    ("Dược liệu Sông Kôn", "Trà thảo mộc từ đẳng sâm trồng dưới tán rừng", 0, "first_revenue", "20476", 300_000_000),
    ("Nấm dược liệu Avương", "Trại nấm linh chi sạch cho hộ đồng bào Cơ Tu", 0, "prototype", "20458", 150_000_000),
    ("Ba kích Tây Giang", "Vùng trồng ba kích tím có truy xuất nguồn gốc", 0, "idea", "20455", 80_000_000),
    ("Mật ong rừng Hùng Sơn", "Chuỗi mật ong ruồi đạt chuẩn OCOP 4 sao", 0, "growth", "20443", 500_000_000),
    ("Gạo đỏ A Rooi", "Gạo đỏ ruộng bậc thang bán trực tuyến", 0, "first_revenue", "20467", 120_000_000),
    ("Homestay Bhơ Hôồng", "Du lịch cộng đồng trải nghiệm làng Cơ Tu", 1, "growth", "20476", 400_000_000),
    ("Đường mòn Trường Sơn", "Tour đi bộ xuyên rừng có người bản địa dẫn đường", 1, "prototype", "20455", 200_000_000),
    ("Bếp Cơ Tu", "Ẩm thực núi rừng phục vụ du khách", 1, "first_revenue", "20467", 90_000_000),
    ("Thác Grăng Xanh", "Điểm cắm trại sinh thái tại thác Grăng", 1, "idea", "20485", 60_000_000),
    ("Cơ Tu Craft", "Sản phẩm lưu niệm từ thổ cẩm Đhrồng", 2, "first_revenue", "20467", 150_000_000),
    ("Mây tre Avương", "Đồ gia dụng mây tre đan cho chuỗi khách sạn", 2, "prototype", "20458", 100_000_000),
    ("Thổ cẩm Za Ra", "Thời trang thổ cẩm Cơ Tu cho giới trẻ", 2, "growth", "20707", 350_000_000),
    ("Chợ Núi", "Ứng dụng đặt hàng nông sản miền núi", 3, "prototype", "20467", 250_000_000),
    ("Nông nghiệp số Tây Giang", "Cảm biến độ ẩm giá rẻ cho vườn sâm", 3, "idea", "20455", 180_000_000),
    ("Sấy Mặt Trời", "Máy sấy nông sản năng lượng mặt trời", 3, "prototype", "20485", 220_000_000),
    ("Bản đồ Làng", "Bản đồ số các điểm du lịch cộng đồng", 3, "idea", "20476", 70_000_000),
    ("Nhóm sinh viên Cây thuốc Trường Sơn", "Ngân hàng giống cây thuốc của đồng bào", 4, "idea", "20455", 50_000_000),
    ("CLB Khởi nghiệp THPT Quang Trung", "Xà phòng thảo mộc từ lá rừng", 4, "prototype", "20467", 30_000_000),
    ("Sinh viên Kiến trúc xanh", "Nhà văn hóa cộng đồng bằng tre", 4, "idea", "20458", 40_000_000),
    ("CLB Khởi nghiệp THPT Avương", "Ứng dụng học tiếng Cơ Tu", 4, "idea", "20458", 20_000_000),
]  # fmt: skip
JUDGES = [
    ("giam.khao@eventday.vn", None, None),  # the demo judge (declares a conflict below)
    ("giamkhao.ngan.hang@eventday.vn", "Phạm Thị Ngân", "+84905222111"),
    ("giamkhao.dai.hoc@eventday.vn", "Nguyễn Văn Học", None),
    ("giamkhao.doanh.nghiep@eventday.vn", "Lê Thị Doanh", None),
    ("giamkhao.so.khcn@eventday.vn", "Trần Minh Khoa", None),
]
FINALISTS = 8
PRIZES = [
    ("first", 20_000_000),
    ("second", 10_000_000),
    ("third", 5_000_000),
    ("consolation", 2_000_000),
    ("consolation", 2_000_000),
]


def _pdf(title: str) -> bytes:
    """A one-page PDF naming the project (a real, minimal PDF: header, objects, xref)."""
    text = fold(title)[:60].replace("(", "").replace(")", "")
    content = f"BT /F1 18 Tf 40 780 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _area(code: str) -> Area | None:
    return db.session.scalar(
        sa.select(Area).where(Area.level == "commune", Area.code == code, Area.valid_to.is_(None))
    )


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def load_pitches_demo(festival: Festival, host_areas: list[Area]) -> None:
    if db.session.scalar(sa.select(PitchCall.id).where(PitchCall.festival_id == festival.id)):
        return
    rng = random.Random(2026)  # noqa: S311 - demo scores, repeatable
    organizer = db.session.scalar(
        sa.select(User)
        .join(FestivalRole, FestivalRole.user_id == User.id)
        .where(FestivalRole.festival_id == festival.id, FestivalRole.role == "organizer")
        .order_by(FestivalRole.id)
    )
    today = utcnow().astimezone(LOCAL_TZ).date()
    calls.save_call(
        festival,
        calls.CallData(
            opens_at=dt.datetime.combine(today - dt.timedelta(days=30), dt.time(8)),
            closes_at=dt.datetime.combine(today + dt.timedelta(days=7), dt.time(17)),
            description_vi="Dự án khởi nghiệp của thanh niên, nông dân, phụ nữ, sinh viên và "
            "học sinh các xã miền núi gửi hồ sơ để trình bày tại chung kết ngày hội.",
            description_en="Startups of youth, farmers, women and students of the mountain "
            "communes apply to pitch at the festival's final.",
        ),
    )
    tracks = calls.tracks_of(festival)

    # Startups and their applications (in review: the preliminary round scores them).
    applicant = account_ops.find_user_by_email("startup.duoclieu@eventday.vn")
    applications = []
    for name, title, track_i, stage, code, funding in STARTUPS:
        area = _area(code)
        org = db.session.scalar(
            sa.select(Organisation).where(Organisation.name_folded == fold(name))
        )
        if org is None:
            org = account_ops.create_organisation(None, name, "startup", area=area)
        pdf = _pdf(title)
        application = PitchApplication(
            festival_id=festival.id,
            track_id=tracks[track_i].id,
            organisation_id=org.id,
            applicant_id=applicant.id if applicant and name == "Dược liệu Sông Kôn" else None,
            title=title,
            title_folded=fold(title),
            team=f"{name} — trưởng nhóm và 2 thành viên",
            home_area_id=area.id if area else None,
            stage=stage,
            summary_vi=f"{title}: giải pháp của {name} cho sinh kế bền vững ở vùng cao.",
            summary_en=f"{name}'s project for sustainable livelihoods in the uplands.",
            problem="Nông sản và dịch vụ vùng cao khó tiếp cận thị trường.",
            solution="Liên kết hộ đồng bào, chuẩn hóa chất lượng, bán qua kênh số.",
            market="Du khách, chuỗi cửa hàng đặc sản, thương mại điện tử.",
            funding_vnd=funding,
            deck_file=store(pdf, "decks", ".pdf"),
            deck_name="thuyet-trinh.pdf",
            deck_bytes=len(pdf),
            state="in_review",
            consent_at=utcnow(),
        )
        db.session.add(application)
        applications.append(application)
    db.session.flush()

    # Judges, each with the festival role; conflicts of every kind.
    judges = []
    for email, name, phone in JUDGES:
        user = account_ops.find_user_by_email(email)
        if user is None:
            user = account_ops.create_user(email, DEMO_PASSWORD, name, verified=True, phone=phone)
        if not db.session.scalar(
            sa.select(FestivalRole.id).where(
                FestivalRole.festival_id == festival.id,
                FestivalRole.user_id == user.id,
                FestivalRole.role == "judge",
            )
        ):
            festival_ops.grant_role(festival, user, "judge")
        judges.append(user)
    judging.declare_conflict(
        festival,
        judges[0],
        "declared",
        application_id=applications[0].id,
        note="Tôi từng tư vấn kỹ thuật cho nhóm dự án này.",
    )
    judging.declare_conflict(festival, judges[1], "area", area_id=_area("20455").id)
    judging.declare_conflict(
        festival, judges[3], "organisation", organisation_id=applications[9].organisation_id
    )

    # The preliminary round: the provincial example rubric, assignment, scores, lock.
    prelim = judging.create_round(festival, "Vòng sơ khảo")
    criteria = judging.seed_example_rubric(prelim)
    judging.run_assignment(prelim)
    from pitches.models import Assignment

    quality = {a.id: rng.uniform(0.35, 0.9) for a in applications}
    for assignment in db.session.scalars(
        sa.select(Assignment).where(Assignment.round_id == prelim.id).order_by(Assignment.id)
    ):
        base = quality[assignment.application_id]
        values = {
            c.id: round(min(c.max_score, max(1, c.max_score * rng.gauss(base, 0.08))))
            for c in criteria
        }
        judge = db.session.get(User, assignment.judge_id)
        judging.save_scores(assignment, values, "Dự án có tiềm năng ở địa phương.", judge)
    judging.lock_round(prelim)
    judging.shortlist_top(prelim, FINALISTS, organizer)

    # The programme: opening, forums and a workshop on day 1; the final, awards and closing
    # on day 2 (the final scheduled automatically on the main stage).
    stages = {
        s.name_vi: s
        for s in db.session.scalars(sa.select(Stage).where(Stage.festival_id == festival.id))
    }
    main = stages.get("Sân khấu chính") or next(iter(stages.values()))
    forum = stages.get("Hội trường diễn đàn", main)
    day1, day2 = (d.day for d in festival.days[:2])
    for kind, stage, day, start, end, title_vi, title_en, speakers in [
        ("opening", main, day1, (7, 30), (8, 30), "Khai mạc ngày hội", "Opening", ""),
        ("forum", forum, day1, (9, 0), (10, 30), "Diễn đàn: Dược liệu dưới tán rừng",
         "Forum: medicinal herbs under the forest canopy",
         "TS. Hồ Văn Sâm — Viện Dược liệu\nĐại diện HTX Dược liệu Đức Huy"),
        ("workshop", forum, day1, (14, 0), (15, 30), "Hợp tác xã và chuỗi giá trị",
         "Co-operatives and value chains", "Liên minh Hợp tác xã thành phố"),
        ("forum", forum, day2, (9, 0), (10, 30), "Du lịch cộng đồng thông minh",
         "Smart community tourism", "Sở Văn hóa, Thể thao và Du lịch"),
        ("awards", main, day2, (15, 0), (16, 0), "Trao giải cuộc thi khởi nghiệp",
         "Startup contest awards", ""),
        ("closing", main, day2, (16, 0), (16, 30), "Bế mạc", "Closing", ""),
    ]:  # fmt: skip
        schedule.create_item(
            festival,
            schedule.ItemData(
                kind=kind,
                stage_id=stage.id,
                starts_at=_local(day, *start),
                ends_at=_local(day, *end),
                title_vi=title_vi,
                title_en=title_en,
                speakers=speakers,
            ),
        )
    schedule.apply_auto_schedule(festival, day2, [main.id], organizer)
    publishing.publish(festival, organizer)

    for kind, amount in PRIZES:
        awards.create_prize(festival, kind, amount_vnd=amount)
    db.session.flush()


DEMO_HOOKS.append(load_pitches_demo)
