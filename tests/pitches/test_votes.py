"""The audience vote (one vote per checked-in ticket of this festival, while the vote is open,
for a pitch of the published programme; results; no name ever shown) and the awards (prizes,
one per application, finalising, nominations and their XLSX)."""

from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from eventday.extensions import db
from pitches import awards as award_ops
from pitches import votes as vote_ops
from pitches.models import (
    Assignment,
    AudienceVote,
    Criterion,
    PitchApplication,
    PitchCall,
    Prize,
    Round,
    Score,
)
from tests.conftest import csrf_token
from tests.pitches.test_programme import World, at, english  # noqa: F401 - the fixture
from ticketing import operations as ticket_ops
from ticketing import signing
from ticketing.checkin import operations as checkin_ops
from ticketing.checkin.models import CheckinList
from ticketing.models import Ticket, TicketType

ATTENDEE = "Alăng Thị Bốn"


class VoteWorld(World):
    def __init__(self, create_user, create_festival):
        super().__init__(create_user, create_festival)
        self.apps = [
            self.application("Trà dược liệu Tây Giang", "HTX Dược liệu Tây Giang"),
            self.application("Du lịch cộng đồng Cơ Tu", "Tổ hợp tác Du lịch Bhơ Hôồng"),
            self.application("Gạo hữu cơ Đông Giang", "HTX Nông nghiệp Sông Kôn"),
        ]
        # A fourth application scheduled but not in the published programme: no votes for it.
        self.unpublished = self.application("Mật ong rừng", "HTX Ong Trà My")
        self.items = [
            self.item(self.main, at(self.tomorrow, 9, 20 * n), 18, application=a)
            for n, a in enumerate(self.apps)
        ]
        self.item(self.main, at(self.tomorrow, 11), 18, application=self.unpublished)
        self.publish(self.items)
        self.call = db.session.scalar(
            sa.select(PitchCall).where(PitchCall.festival_id == self.festival.id)
        )
        self.call.audience_vote_open = True
        self.ticket_type = TicketType(festival_id=self.festival.id, name_vi="Vé cư dân")
        self.gate_list = CheckinList(festival_id=self.festival.id, name="Vào cổng")
        db.session.add_all([self.ticket_type, self.gate_list])
        db.session.commit()

    def ticket(self, festival=None, ticket_type=None, name=ATTENDEE) -> Ticket:
        order = ticket_ops.place_order(
            ticket_ops.OrderRequest(
                festival=festival or self.festival,
                ticket_type=ticket_type or self.ticket_type,
                attendees=[ticket_ops.AttendeeData(full_name=name, phone="+84905111222")],
            )
        )
        db.session.commit()
        return order.tickets[0]

    def check_in(self, ticket, checkin_list=None) -> None:
        result = checkin_ops.scan_ticket(
            checkin_ops.ScanRequest(
                checkin_list=checkin_list or self.gate_list, short_code=ticket.short_code
            )
        )
        db.session.commit()
        assert result.status == "ok"


@pytest.fixture
def world(create_user, create_festival):
    return VoteWorld(create_user, create_festival)


@pytest.fixture(autouse=True)
def english_pages(client):
    """Public pages answer in the browser's language: these tests read the English texts."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def vote(client, world, code, application):
    path = f"/f/{world.festival.slug}/vote"
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "code": code,
            "application_id": application.id,
        },
    )


def votes_of(world) -> list[AudienceVote]:
    return list(
        db.session.scalars(
            sa.select(AudienceVote).where(AudienceVote.festival_id == world.festival.id)
        )
    )


# --------------------------------------------------------------------------- vote


def test_one_vote_per_ticket(client, world):
    ticket = world.ticket()
    world.check_in(ticket)
    typed = ticket.short_code[:4].lower() + "-" + ticket.short_code[4:].lower()
    response = vote(client, world, typed, world.apps[1])
    assert response.status_code == 302
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="vote-done"' in done
    assert [(v.ticket_id, v.application_id) for v in votes_of(world)] == [
        (ticket.id, world.apps[1].id)
    ]

    # The same ticket again, as its QR text this time and for another pitch: refused by the
    # unique index (the insert runs in a SAVEPOINT, so the request's transaction survives).
    qr_text = signing.sign_ticket(ticket)
    db.session.commit()
    response = vote(client, world, qr_text, world.apps[0])
    assert response.status_code == 400
    assert "This ticket has voted already" in response.get_data(as_text=True)
    assert len(votes_of(world)) == 1 and votes_of(world)[0].application_id == world.apps[1].id


def test_a_scanned_qr_code_votes(client, world):
    ticket = world.ticket()
    world.check_in(ticket)
    qr_text = signing.sign_ticket(ticket)
    db.session.commit()
    assert vote(client, world, qr_text, world.apps[2]).status_code == 302
    assert [v.application_id for v in votes_of(world)] == [world.apps[2].id]


def test_a_ticket_not_checked_in_is_refused(client, world):
    ticket = world.ticket()
    response = vote(client, world, ticket.short_code, world.apps[0])
    assert response.status_code == 400
    assert "has not been checked in" in response.get_data(as_text=True)
    assert votes_of(world) == []


def test_a_ticket_of_another_festival_is_refused(client, world, create_festival):
    other = create_festival(state="published", start=world.today, days=2)
    other_type = TicketType(festival_id=other.id, name_vi="Vé khác")
    other_list = CheckinList(festival_id=other.id, name="Cổng khác")
    db.session.add_all([other_type, other_list])
    db.session.commit()
    ticket = world.ticket(festival=other, ticket_type=other_type)
    world.check_in(ticket, other_list)  # checked in — at the other festival

    response = vote(client, world, ticket.short_code, world.apps[0])
    assert response.status_code == 400
    assert "We found no ticket with this code at this festival" in response.get_data(as_text=True)
    qr_text = signing.sign_ticket(ticket)
    db.session.commit()
    response = vote(client, world, qr_text, world.apps[0])
    assert response.status_code == 400
    assert "This ticket is for another festival." in response.get_data(as_text=True)
    assert votes_of(world) == []


def test_a_closed_vote_is_refused(client, world):
    ticket = world.ticket()
    world.check_in(ticket)
    world.call.audience_vote_open = False
    db.session.commit()
    assert 'id="vote-closed"' in client.get(f"/f/{world.festival.slug}/vote").get_data(as_text=True)
    response = vote(client, world, ticket.short_code, world.apps[0])
    assert response.status_code == 400
    assert "The audience vote is not open." in response.get_data(as_text=True)
    assert votes_of(world) == []


def test_only_pitches_of_the_published_programme_can_be_chosen(client, world):
    ticket = world.ticket()
    world.check_in(ticket)
    page = client.get(f"/f/{world.festival.slug}/vote").get_data(as_text=True)
    assert world.apps[0].title in page and world.unpublished.title not in page
    response = vote(client, world, ticket.short_code, world.unpublished)
    assert response.status_code == 400
    assert "Choose one of the pitches in the list." in response.get_data(as_text=True)
    assert votes_of(world) == []


def test_a_withdrawn_startup_is_out_of_the_vote_before_the_next_publication(client, world):
    ticket = world.ticket()
    world.check_in(ticket)
    gone = world.apps[1]
    gone.state = "withdrawn"  # still in the published snapshot until the next publication
    db.session.commit()
    assert gone not in vote_ops.candidates(world.festival)
    page = client.get(f"/f/{world.festival.slug}/vote").get_data(as_text=True)
    assert world.apps[0].title in page and gone.title not in page
    response = vote(client, world, ticket.short_code, gone)
    assert response.status_code == 400
    assert votes_of(world) == []


def test_a_hall_behind_one_address_can_vote_but_guessing_is_limited(client, world):
    from pitches import programme_views

    tickets = [world.ticket(name=f"Khách {n}") for n in range(25)]
    for ticket in tickets:
        world.check_in(ticket)
    path = f"/f/{world.festival.slug}/vote"
    token = csrf_token(client, path)
    codes = [
        client.post(
            path,
            data={"csrf_token": token, "code": t.short_code, "application_id": world.apps[0].id},
        ).status_code
        for t in tickets
    ]
    assert codes == [302] * 25 and len(votes_of(world)) == 25
    assert programme_views.VOTE_RATE_LIMIT == "600/minute"  # still a limit on code guessing


def test_a_cancelled_ticket_is_refused(client, world):
    ticket = world.ticket()
    world.check_in(ticket)
    ticket.state = "cancelled"
    db.session.commit()
    response = vote(client, world, ticket.short_code, world.apps[0])
    assert response.status_code == 400
    assert "This ticket is not valid" in response.get_data(as_text=True)


def test_results_count_votes_and_shares_and_never_name_anyone(client, auth, world):
    tickets = [world.ticket(name=f"{ATTENDEE} {n}") for n in range(4)]
    pages = []
    for ticket, app in zip(tickets, [0, 0, 0, 2], strict=True):
        world.check_in(ticket)
        response = vote(client, world, ticket.short_code, world.apps[app])
        assert response.status_code == 302
        pages.append(client.get(response.headers["Location"]).get_data(as_text=True))
    pages.append(vote(client, world, tickets[0].short_code, world.apps[1]).get_data(as_text=True))

    rows, total = vote_ops.results(world.festival)
    assert total == 4
    assert [(r.application.id, r.votes, r.share) for r in rows] == [
        (world.apps[0].id, 3, 0.75),
        (world.apps[2].id, 1, 0.25),
        (world.apps[1].id, 0, 0.0),
    ]

    # Organizers see the counts and shares; anonymous visitors do not.
    path = f"/f/{world.festival.slug}/manage/pitches/votes"
    assert client.get(path).status_code == 302
    auth.login(world.organizer)
    html = client.get(path).get_data(as_text=True)
    assert f'data-application-id="{world.apps[0].id}" data-votes="3"' in html
    assert "75.0 %" in html
    pages.append(html)
    pages.append(client.get(f"/f/{world.festival.slug}/stage/{world.main.id}/now.json").text)
    for page in pages:
        assert ATTENDEE not in page
        assert "+84905111222" not in page and "0905 111 222" not in page


def test_organizer_opens_the_vote_and_its_projector_bars(client, auth, world):
    path = f"/f/{world.festival.slug}/manage/pitches/votes"
    auth.login(world.organizer)
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "on_projector": "y"})
    assert response.status_code == 302
    db.session.refresh(world.call)
    assert world.call.audience_vote_open is False and world.call.audience_vote_on_projector
    data = client.get(f"/f/{world.festival.slug}/stage/{world.main.id}/now.json").get_json()
    assert [v["title"] for v in data["votes"]] == [a.title for a in world.apps]


# --------------------------------------------------------------------------- awards


def pitched(world):
    for application in world.apps:
        application.state = "pitched"
    db.session.commit()


def post_awards(client, world, **data):
    path = f"/f/{world.festival.slug}/manage/pitches/awards"
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def test_prizes_have_vietnamese_default_names(world):
    names = [award_ops.create_prize(world.festival, k).name for k in award_ops.DEFAULT_NAMES]
    assert names == ["Giải Nhất", "Giải Nhì", "Giải Ba", "Giải Khuyến khích"]
    with pytest.raises(award_ops.AwardError) as exc:
        award_ops.create_prize(world.festival, "custom", "  ")
    assert exc.value.reason == "no_name"
    custom = award_ops.create_prize(world.festival, "custom", "Giải Bình chọn", 5_000_000)
    assert (custom.name, custom.amount_vnd, custom.position) == ("Giải Bình chọn", 5_000_000, 4)


def test_awarding_and_finalising(client, auth, world):
    pitched(world)
    world.unpublished.state = "scheduled"  # never pitched
    db.session.commit()
    auth.login(world.organizer)
    assert (
        post_awards(client, world, action="create", kind="first", amount_vnd="20000000").status_code
        == 302
    )
    assert post_awards(client, world, action="create", kind="second").status_code == 302
    first, second = award_ops.prizes(world.festival)
    assert (first.name, first.amount_vnd, second.name) == ("Giải Nhất", 20_000_000, "Giải Nhì")

    response = post_awards(
        client, world, action="assign", prize_id=first.id, application_id=world.apps[1].id
    )
    assert response.status_code == 302
    db.session.refresh(world.apps[1])
    assert world.apps[1].state == "awarded"

    # One prize per application; a prize is given once; only an application that pitched.
    response = post_awards(
        client, world, action="assign", prize_id=second.id, application_id=world.apps[1].id
    )
    assert response.status_code == 400
    assert "already holds a prize" in response.get_data(as_text=True)
    response = post_awards(
        client, world, action="assign", prize_id=first.id, application_id=world.apps[0].id
    )
    assert response.status_code == 400 and "awarded already" in response.get_data(as_text=True)
    response = post_awards(
        client, world, action="assign", prize_id=second.id, application_id=world.unpublished.id
    )
    assert response.status_code == 400 and "has pitched" in response.get_data(as_text=True)
    db.session.refresh(second)
    assert second.application_id is None

    assert post_awards(client, world, action="finalise").status_code == 302
    db.session.expire_all()  # the requests ran in their own sessions
    states = {a.id: db.session.get(PitchApplication, a.id).state for a in world.apps}
    assert states == {
        world.apps[0].id: "not_selected",
        world.apps[1].id: "awarded",
        world.apps[2].id: "not_selected",
    }
    db.session.refresh(world.unpublished)
    assert world.unpublished.state == "scheduled"


def test_awards_page_is_for_organizers(client, auth, world, create_user):
    path = f"/f/{world.festival.slug}/manage/pitches/awards"
    assert client.get(path).status_code == 302
    auth.login(create_user())
    assert client.get(path).status_code == 403
    assert (
        client.get(f"/f/{world.festival.slug}/manage/pitches/nominations.xlsx").status_code == 403
    )


def scores(world, application, sheets):
    """sheets: [(v1, v2)] per judge, on a rubric of two criteria (weights 60, 40; max 10)."""
    round_ = db.session.scalar(sa.select(Round).where(Round.festival_id == world.festival.id))
    if round_ is None:
        round_ = Round(festival_id=world.festival.id, name="Chung kết")
        round_.criteria = [
            Criterion(name_vi="Tính đổi mới", weight=60, max_score=10, position=0),
            Criterion(name_vi="Thuyết trình", weight=40, max_score=10, position=1),
        ]
        db.session.add(round_)
        db.session.flush()
    for values in sheets:
        judge = world.judge_factory()
        assignment = Assignment(
            round_id=round_.id, application_id=application.id, judge_id=judge.id
        )
        assignment.scores = [
            Score(criterion_id=c.id, value=v) for c, v in zip(round_.criteria, values, strict=True)
        ]
        db.session.add(assignment)
    db.session.commit()
    return round_


def test_nominations_xlsx_lists_nominated_winners_with_scores(client, auth, world, create_user):
    world.judge_factory = create_user
    pitched(world)
    winner, other = world.apps[0], world.apps[2]
    winner.funding_vnd = 150_000_000
    winner.video_url = "https://video.example.vn/tra"
    db.session.commit()
    scores(world, winner, [(8, 5), (6, 7)])  # means 7 and 6; totals 68 and 64 → 66
    scores(world, other, [(9, 9), (9, 9)])
    first = award_ops.create_prize(world.festival, "first")
    second = award_ops.create_prize(world.festival, "second")
    db.session.commit()
    auth.login(world.organizer)
    assert (
        post_awards(
            client, world, action="assign", prize_id=first.id, application_id=winner.id
        ).status_code
        == 302
    )
    assert (
        post_awards(
            client, world, action="assign", prize_id=second.id, application_id=other.id
        ).status_code
        == 302
    )
    # Nominating needs a winner; only the first prize is nominated.
    assert (
        post_awards(client, world, action="nominate", prize_id=first.id, nominated="y").status_code
        == 302
    )
    db.session.refresh(first)
    assert first.nominated_for_province is True
    empty = award_ops.create_prize(world.festival, "third")
    db.session.commit()
    response = post_awards(client, world, action="nominate", prize_id=empty.id, nominated="y")
    assert response.status_code == 400
    assert not db.session.get(Prize, empty.id).nominated_for_province

    response = client.get(f"/f/{world.festival.slug}/manage/pitches/nominations.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 2  # the header and the one nomination
    header, row = rows
    record = dict(zip(header, row, strict=True))
    assert record["Startup"] == winner.title
    assert record["Organisation"] == "HTX Dược liệu Tây Giang"
    assert record["Track"] == "Farming"
    assert record["Funding sought (đồng)"] == 150_000_000
    assert record["Tính đổi mới"] == 7 and record["Thuyết trình"] == 6
    assert record["Total (/100)"] == 66
    assert record["Prize"] == "Giải Nhất"
    assert record["Video"] == "https://video.example.vn/tra"
    assert record["Stage"] == "Sân khấu chính"


def test_nominations_xlsx_keeps_formula_like_texts_as_text(world, create_user):
    world.judge_factory = create_user
    pitched(world)
    winner = world.apps[0]
    winner.title = '=HYPERLINK("http://evil.example","Xem")'
    winner.video_url = "+cmd|' /C calc'!A0"
    prize = award_ops.create_prize(world.festival, "first")
    db.session.commit()
    award_ops.assign_prize(prize, winner, world.organizer)
    prize.nominated_for_province = True
    db.session.commit()
    book = openpyxl.load_workbook(
        io.BytesIO(award_ops.nominations_workbook(world.festival, lambda _a: None))
    )
    cells = {c.value: c.data_type for c in book.active[2] if isinstance(c.value, str)}
    assert cells[winner.title] == "s" and cells[winner.video_url] == "s"


def test_ranking_suggests_winners(world, create_user):
    world.judge_factory = create_user
    pitched(world)
    scores(world, world.apps[2], [(9, 9), (9, 8)])
    scores(world, world.apps[0], [(7, 7), (6, 6)])
    scores(world, world.apps[1], [(5, 5), (4, 4)])
    first = award_ops.create_prize(world.festival, "first")
    second = award_ops.create_prize(world.festival, "second")
    db.session.commit()
    assert award_ops.ranked_ids(world.festival)[:3] == [
        a.id for a in (world.apps[2], world.apps[0], world.apps[1])
    ]
    assert award_ops.suggestions(world.festival, [first, second]) == {
        first.id: world.apps[2].id,
        second.id: world.apps[0].id,
    }


def test_no_ranking_means_no_suggestion(world):
    pitched(world)
    prize = award_ops.create_prize(world.festival, "first")
    assert award_ops.ranked_ids(world.festival) == []
    assert award_ops.suggestions(world.festival, [prize]) == {}
