"""Meeting requests: sending (caps, duplicates, mutual), answering, cancelling, expiry, their
mails, the requests page and its actions, and the ``matchmaking expire`` / ``remind`` commands."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from eventday.db import utcnow
from eventday.extensions import db
from eventday.mail import OutboxMail
from matchmaking import booking
from matchmaking import requests as reqs
from matchmaking.models import MatchSettings, Meeting, MeetingRequest
from tests.conftest import csrf_token


def mails(template=None, recipient=None):
    stmt = sa.select(OutboxMail).order_by(OutboxMail.id)
    if template:
        stmt = stmt.where(OutboxMail.template == template)
    if recipient:
        stmt = stmt.where(OutboxMail.recipient == recipient)
    return list(db.session.scalars(stmt))


def settings_of(festival):
    return db.session.scalar(
        sa.select(MatchSettings).where(MatchSettings.festival_id == festival.id)
    )


@pytest.fixture
def world(mm_festival, create_profile, create_session, create_tables):
    festival = mm_festival()
    create_session(festival, start=(9, 0), end=(10, 0), slot_minutes=20)
    create_tables(festival, n=2)
    fund = create_profile(festival, "fund")
    startup = create_profile(festival, "startup")
    return festival, fund, startup


# --- sending ---------------------------------------------------------------------------------


def test_send_creates_a_pending_request_and_mails_the_recipient(world):
    festival, fund, startup = world
    before = utcnow()
    request = reqs.send_request(startup, fund, "  Xin gặp quỹ  ", "must")
    assert request.state == "pending" and request.priority == "must"
    assert request.message == "Xin gặp quỹ"
    assert (request.pair_low, request.pair_high) == tuple(sorted([startup.id, fund.id]))
    hours = (request.expires_at - before).total_seconds() / 3600
    assert 47.9 < hours < 48.1
    [mail] = mails("matchmaking_request_received")
    assert mail.recipient == fund.user.email and "Xin gặp quỹ" in mail.body_text


def test_expiry_follows_the_setting(world):
    festival, fund, startup = world
    settings_of(festival).request_expiry_hours = 6
    request = reqs.send_request(startup, fund, "", "want")
    assert (request.expires_at - utcnow()) < dt.timedelta(hours=6, minutes=1)


@pytest.mark.parametrize(
    "case, code",
    [
        ("closed", "closed"),
        ("self", "self"),
        ("invisible", "invisible"),
        ("priority", "priority"),
        ("long", "message"),
        ("duplicate", "duplicate"),
        ("cap", "request_cap"),
    ],
)
def test_send_refusals(world, create_profile, case, code):
    festival, fund, startup = world
    recipient, priority, message = fund, "want", "x"
    if case == "closed":
        settings_of(festival).is_open = False
    elif case == "self":
        recipient = startup
    elif case == "invisible":
        fund.visible = False
    elif case == "priority":
        priority = "maybe"
    elif case == "long":
        message = "x" * 1001
    elif case == "duplicate":
        reqs.send_request(startup, fund, "", "want")
    elif case == "cap":
        settings_of(festival).max_requests_sent = 2
        reqs.send_request(startup, create_profile(festival, "angel"), "", "want")
        reqs.send_request(startup, create_profile(festival, "bank"), "", "want")
    with pytest.raises(reqs.RequestError) as err:
        reqs.send_request(startup, recipient, message, priority)
    assert err.value.code == code and err.value.message


def test_answered_requests_free_the_request_cap(world, create_profile):
    festival, fund, startup = world
    settings_of(festival).max_requests_sent = 1
    first = reqs.send_request(startup, fund, "", "want")
    reqs.decline(first, fund.user, "no_fit", "")
    assert reqs.send_request(startup, create_profile(festival, "angel"), "", "want")


def test_asking_someone_who_asked_you_accepts_theirs_as_mutual(world):
    festival, fund, startup = world
    theirs = reqs.send_request(startup, fund, "", "want")
    got = reqs.send_request(fund, startup, "", "want")
    assert got is theirs
    assert theirs.state == "accepted" and theirs.mutual and theirs.weight == 2
    assert db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))) == 1
    assert booking.live_meeting_of(theirs) is not None  # instant booking
    with pytest.raises(reqs.RequestError) as err:
        reqs.send_request(startup, fund, "", "want")
    assert err.value.code == "already_meeting"


def test_an_expired_request_does_not_block_a_new_one(world):
    festival, fund, startup = world
    old = reqs.send_request(startup, fund, "", "want")
    old.expires_at = utcnow() - dt.timedelta(minutes=1)
    new = reqs.send_request(fund, startup, "", "want")
    assert old.state == "expired" and new.state == "pending" and new.id != old.id


# --- answering -------------------------------------------------------------------------------


def test_accept_books_at_once_in_instant_mode(world):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    meeting = reqs.accept(request, fund.user, mutual=True)
    assert request.state == "accepted" and request.mutual and request.responded_at
    assert meeting.request_id == request.id and meeting.published
    # The confirmation with the time goes to both; no separate "accepted" mail.
    assert len(mails("matchmaking_meeting_confirmed")) == 2
    assert mails("matchmaking_request_accepted") == []


def test_accept_in_batch_mode_waits_for_the_schedule(world):
    festival, fund, startup = world
    settings_of(festival).instant_booking = False
    request = reqs.send_request(startup, fund, "", "must")
    assert reqs.accept(request, fund.user) is None
    assert request.state == "accepted" and booking.live_meeting_of(request) is None
    [mail] = mails("matchmaking_request_accepted")
    assert mail.recipient == startup.user.email


def test_only_the_recipient_answers_and_only_once(world):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    with pytest.raises(reqs.RequestError) as err:
        reqs.accept(request, startup.user)
    assert err.value.code == "not_recipient"
    reqs.decline(request, fund.user, "no_time", "Hẹn dịp khác")
    with pytest.raises(reqs.RequestError) as err:
        reqs.accept(request, fund.user)
    assert err.value.code == "not_pending"


def test_an_expired_request_cannot_be_accepted(world):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    request.expires_at = utcnow() - dt.timedelta(seconds=1)
    with pytest.raises(reqs.RequestError) as err:
        reqs.accept(request, fund.user)
    assert err.value.code == "expired"


def test_accept_honours_the_meeting_caps(world, create_profile):
    festival, fund, startup = world
    fund.max_meetings = 1
    other = create_profile(festival)
    reqs.accept(reqs.send_request(other, fund, "", "want"), fund.user)
    request = reqs.send_request(startup, fund, "", "want")
    with pytest.raises(reqs.RequestError) as err:
        reqs.accept(request, fund.user)
    assert err.value.code == "meeting_cap" and request.state == "pending"
    # The sender's cap too: the startup asks someone else, who accepts.
    fund.max_meetings = None
    startup.max_meetings = 1
    reqs.accept(reqs.send_request(startup, other, "", "want"), other.user)
    with pytest.raises(reqs.RequestError) as err:
        reqs.accept(request, fund.user)
    assert err.value.code == "other_meeting_cap"


def test_decline_needs_a_known_reason_and_mails_it(world, app):
    festival, fund, startup = world
    startup.user.locale = "en"
    request = reqs.send_request(startup, fund, "", "want")
    with pytest.raises(reqs.RequestError) as err:
        reqs.decline(request, fund.user, "rude", "")
    assert err.value.code == "reason"
    with pytest.raises(reqs.RequestError) as err:
        reqs.decline(request, fund.user, "other", "x" * 501)
    assert err.value.code == "note"
    reqs.decline(request, fund.user, "already_met", "Đã gặp ở Đà Nẵng")
    assert request.state == "declined" and request.decline_reason == "already_met"
    [mail] = mails("matchmaking_request_declined")
    assert mail.recipient == startup.user.email and mail.locale == "en"
    assert "We have already met" in mail.body_text and "Đã gặp ở Đà Nẵng" in mail.body_text


def test_cancel_by_either_party_cancels_the_meeting(world, create_user):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    meeting = reqs.accept(request, fund.user)
    with pytest.raises(reqs.RequestError) as err:
        reqs.cancel(request, create_user())
    assert err.value.code == "not_party"
    reqs.cancel(request, fund.user)
    assert request.state == "cancelled" and meeting.state == "cancelled"
    assert len(mails("matchmaking_meeting_cancelled")) == 2
    with pytest.raises(reqs.RequestError) as err:
        reqs.cancel(request, startup.user)
    assert err.value.code == "not_live"
    # A cancelled request frees the pair: they may ask again.
    assert reqs.send_request(startup, fund, "", "want").state == "pending"


def test_withdrawing_a_pending_request_tells_the_other_side(world):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    reqs.cancel(request, startup.user)
    [mail] = mails("matchmaking_request_withdrawn")
    assert mail.recipient == fund.user.email and startup.display_name in mail.subject
    # An accepted request called off mails the meeting's cancellation, not a withdrawal.
    request = reqs.send_request(startup, fund, "", "want")
    reqs.accept(request, fund.user)
    reqs.cancel(request, startup.user)
    assert len(mails("matchmaking_request_withdrawn")) == 1


def test_expire_due_expires_only_past_pending_requests(world, create_profile):
    festival, fund, startup = world
    late = reqs.send_request(startup, fund, "", "want")
    fresh = reqs.send_request(startup, create_profile(festival, "angel"), "", "want")
    answered = reqs.send_request(create_profile(festival), fund, "", "want")
    reqs.decline(answered, fund.user, "no_fit")
    late.expires_at = answered.expires_at = utcnow() - dt.timedelta(minutes=5)
    db.session.flush()
    assert reqs.expire_due() == 1
    assert (late.state, fresh.state, answered.state) == ("expired", "pending", "declined")
    [mail] = mails("matchmaking_request_expired")
    assert mail.recipient == startup.user.email
    assert reqs.expire_due() == 0
    assert reqs.expire_due(utcnow() + dt.timedelta(days=3)) == 1


def test_incoming_lists_pending_first(world, create_profile):
    festival, fund, startup = world
    a = reqs.send_request(startup, fund, "", "want")
    b = reqs.send_request(create_profile(festival), fund, "", "want")
    c = reqs.send_request(create_profile(festival), fund, "", "want")
    reqs.decline(a, fund.user, "no_fit")
    b.expires_at = c.expires_at + dt.timedelta(hours=1)
    assert reqs.incoming(fund) == [c, b, a]
    assert reqs.outgoing(startup) == [a]


def test_meeting_mails_attach_the_ics(world):
    festival, fund, startup = world
    meeting = reqs.accept(reqs.send_request(startup, fund, "", "want"), fund.user)
    confirmed = mails("matchmaking_meeting_confirmed")
    assert [m.attachments for m in confirmed] == [
        [{"kind": "matchmaking_meeting_ics", "meeting_id": meeting.id, "profile_id": p.id}]
        for p in (startup, fund)
    ]
    from eventday.mail import ATTACHMENT_BUILDERS

    name, content_type, data, _cid = ATTACHMENT_BUILDERS["matchmaking_meeting_ics"](
        confirmed[0].attachments[0]
    )
    assert content_type == "text/calendar" and meeting.uid.encode() in data
    assert re.search(rb"SEQUENCE:0", data)
    assert db.session.get(Meeting, meeting.id).uid == meeting.uid


# --- pages -----------------------------------------------------------------------------------


def page(client, festival):
    return client.get(f"/f/{festival.slug}/matchmaking/requests")


def token(client, festival):
    return csrf_token(client, f"/f/{festival.slug}/matchmaking/requests")


def test_send_request_form_round_trip(world, client, auth):
    festival, fund, startup = world
    auth.login(startup.user)
    path = f"/f/{festival.slug}/matchmaking/people/{fund.id}/request"
    assert client.get(path).status_code == 200
    long = "Chào quỹ " + "x" * 1000
    response = client.post(
        path, data={"message": long, "priority": "must", "csrf_token": csrf_token(client, path)}
    )
    # Too long: the form comes back with what was typed, nothing is sent.
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Chào quỹ xxxx" in html and '<input checked id="priority-0"' in html
    assert db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))) == 0
    response = client.post(
        path,
        data={"message": "Xin gặp", "priority": "must", "csrf_token": csrf_token(client, path)},
    )
    assert response.status_code == 302 and response.location.endswith("/matchmaking/requests")
    request = db.session.scalar(sa.select(MeetingRequest))
    assert (request.sender_id, request.recipient_id, request.priority, request.message) == (
        startup.id,
        fund.id,
        "must",
        "Xin gặp",
    )
    # A second request to the same person: the error shows on the form, the text kept.
    response = client.post(
        path,
        data={"message": "Lần hai", "priority": "want", "csrf_token": csrf_token(client, path)},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="mm-request-error"' in html and "Lần hai" in html


def test_send_request_needs_a_profile_and_a_real_person(world, client, auth, create_user):
    festival, fund, startup = world
    auth.login(create_user())
    path = f"/f/{festival.slug}/matchmaking/people/{fund.id}/request"
    assert client.get(path).status_code == 302  # to the profile form
    assert client.get(f"/f/{festival.slug}/matchmaking/requests").status_code == 302
    auth.login(startup.user)
    assert client.get(f"/f/{festival.slug}/matchmaking/people/999999/request").status_code == 404
    fund.visible = False
    db.session.commit()
    assert client.get(path).status_code == 404


def test_requests_page_accept_with_mutual(world, client, auth):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "Xin gặp", "want")
    db.session.commit()
    auth.login(fund.user)
    html = page(client, festival).get_data(as_text=True)
    assert f'data-request-id="{request.id}" data-state="pending" data-direction="in"' in html
    response = client.post(
        f"/f/{festival.slug}/matchmaking/requests/{request.id}/accept",
        data={"mutual": "y", "csrf_token": token(client, festival)},
    )
    assert response.status_code == 302
    db.session.refresh(request)
    assert request.state == "accepted" and request.mutual
    meeting = booking.live_meeting_of(request)
    html = page(client, festival).get_data(as_text=True)
    assert f'data-request-id="{request.id}" data-state="accepted"' in html
    assert f'data-meeting-id="{meeting.id}"' in html
    # The sender sees it accepted, with the meeting.
    auth.login(startup.user)
    html = page(client, festival).get_data(as_text=True)
    assert f'data-request-id="{request.id}" data-state="accepted" data-direction="out"' in html
    assert f'data-meeting-id="{meeting.id}"' in html


def test_accepted_without_a_meeting_shows_waiting(world, client, auth):
    festival, fund, startup = world
    settings_of(festival).instant_booking = False
    request = reqs.send_request(startup, fund, "", "want")
    reqs.accept(request, fund.user)
    db.session.commit()
    auth.login(startup.user)
    assert 'data-waiting="1"' in page(client, festival).get_data(as_text=True)


def test_decline_keeps_the_note_on_error_and_declines(world, client, auth):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    db.session.commit()
    auth.login(fund.user)
    path = f"/f/{festival.slug}/matchmaking/requests/{request.id}/decline"
    response = client.post(
        path,
        data={"reason": "bogus", "note": "Ghi chú của tôi", "csrf_token": token(client, festival)},
    )
    assert response.status_code == 400
    assert "Ghi chú của tôi" in response.get_data(as_text=True)
    db.session.refresh(request)
    assert request.state == "pending"
    response = client.post(
        path,
        data={"reason": "no_time", "note": "Hẹn năm sau", "csrf_token": token(client, festival)},
    )
    assert response.status_code == 302
    db.session.refresh(request)
    assert (request.state, request.decline_reason, request.decline_note) == (
        "declined",
        "no_time",
        "Hẹn năm sau",
    )


def test_actions_only_for_the_parties(world, client, auth, create_profile):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    stranger = create_profile(festival, "angel")
    db.session.commit()
    auth.login(stranger.user)
    for action in ("accept", "decline", "cancel"):
        response = client.post(
            f"/f/{festival.slug}/matchmaking/requests/{request.id}/{action}",
            data={"reason": "no_fit", "csrf_token": token(client, festival)},
        )
        assert response.status_code == 404
    # The sender cannot accept their own request: refused with a message, nothing changes.
    auth.login(startup.user)
    response = client.post(
        f"/f/{festival.slug}/matchmaking/requests/{request.id}/accept",
        data={"csrf_token": token(client, festival)},
    )
    assert response.status_code == 302
    db.session.refresh(request)
    assert request.state == "pending"


def test_actions_need_the_csrf_token(world, client, auth):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    db.session.commit()
    auth.login(fund.user)
    client.post(f"/f/{festival.slug}/matchmaking/requests/{request.id}/accept", data={})
    db.session.refresh(request)
    assert request.state == "pending"


def test_cancel_from_the_page(world, client, auth):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    meeting = reqs.accept(request, fund.user)
    db.session.commit()
    auth.login(startup.user)
    response = client.post(
        f"/f/{festival.slug}/matchmaking/requests/{request.id}/cancel",
        data={"csrf_token": token(client, festival)},
    )
    assert response.status_code == 302
    db.session.refresh(request)
    db.session.refresh(meeting)
    assert request.state == "cancelled" and meeting.state == "cancelled"
    html = page(client, festival).get_data(as_text=True)
    assert f'data-request-id="{request.id}" data-state="cancelled"' in html


# --- the periodic jobs -----------------------------------------------------------------------


def run_cli(app, *args):
    """``flask matchmaking <args>``. Until views.py imports ``matchmaking.cli`` (the app then
    registers the group), the group is invoked directly."""
    import matchmaking.cli

    runner = app.test_cli_runner()
    if "matchmaking" in app.cli.commands:
        return runner.invoke(args=["matchmaking", *args])
    return runner.invoke(matchmaking.cli.bp.cli, list(args))


def test_expire_command(app, world):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    request.expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    result = run_cli(app, "expire")
    assert result.exit_code == 0, result.output
    assert "1 requests expired" in result.output
    db.session.refresh(request)
    assert request.state == "expired"


def _session_soon(festival, minutes_ahead, slot_minutes=20):
    from matchmaking.models import MatchSession

    start = (utcnow() + dt.timedelta(minutes=minutes_ahead)).replace(second=0, microsecond=0)
    session = MatchSession(
        festival_id=festival.id,
        name_vi="Phiên sắp tới",
        name_en="Next session",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        slot_minutes=slot_minutes,
        location="Hội trường B",
    )
    db.session.add(session)
    db.session.flush()
    return session


def test_reminders_go_once_to_people_with_published_meetings(
    app, mm_festival, create_profile, create_tables
):
    from matchmaking import operations, slots
    from matchmaking.models import SessionReminder

    festival = mm_festival(reminder_minutes=60)
    tables = create_tables(festival, n=2)
    soon = _session_soon(festival, 30)
    later = _session_soon(festival, 180)
    fund, a, b, c = (create_profile(festival, k) for k in ("fund", "startup", "startup", "angel"))
    grid = slots.session_slots(soon)

    def meet(x, y, slot, table, published=True):
        request = MeetingRequest(
            festival_id=festival.id,
            sender_id=x.id,
            recipient_id=y.id,
            pair_low=min(x.id, y.id),
            pair_high=max(x.id, y.id),
            state="accepted",
            expires_at=utcnow(),
        )
        db.session.add(request)
        db.session.flush()
        return booking.create_meeting(request, slot, table.id, published=published)

    m1 = meet(a, fund, grid[0], tables[0])
    m2 = meet(b, fund, grid[1], tables[0])
    meet(c, a, grid[1], tables[1], published=False)  # not published: nobody knows it yet
    meet(c, b, slots.session_slots(later)[0], tables[1])  # a later session: not yet
    cancelled = meet(c, fund, grid[2], tables[1])
    booking.cancel_meeting(cancelled, reason="", actor=None)
    db.session.flush()
    before = len(mails())
    assert operations.send_session_reminders() == 3  # fund, a, b
    reminders = mails("matchmaking_reminder")
    assert sorted(m.recipient for m in reminders) == sorted(p.user.email for p in (fund, a, b))
    fund_mail = next(m for m in reminders if m.recipient == fund.user.email)
    assert b.display_name in fund_mail.body_text and a.display_name in fund_mail.body_text
    assert c.display_name not in fund_mail.body_text  # the cancelled meeting is not listed
    assert fund_mail.body_text.index(a.display_name) < fund_mail.body_text.index(b.display_name)
    assert len(mails()) == before + 3
    assert operations.send_session_reminders() == 0  # once
    assert db.session.scalar(sa.select(sa.func.count(SessionReminder.id))) == 3
    # Three hours later the later session is due (c and b).
    assert operations.send_session_reminders(utcnow() + dt.timedelta(minutes=150)) == 2
    assert m1.state == m2.state == "scheduled"


def test_remind_command(app, mm_festival, create_profile, create_tables):
    festival = mm_festival()
    tables = create_tables(festival, n=1)
    session = _session_soon(festival, 10)
    fund, startup = create_profile(festival, "fund"), create_profile(festival)
    request = reqs.send_request(startup, fund, "", "want")
    reqs.accept(request, fund.user)
    meeting = booking.live_meeting_of(request)
    assert meeting.session_id == session.id and meeting.table_id == tables[0].id
    db.session.commit()
    result = run_cli(app, "remind")
    assert result.exit_code == 0, result.output
    assert "2 reminders queued" in result.output
    result = run_cli(app, "remind")
    assert "0 reminders queued" in result.output


# --- fixes after review (issue 7) --------------------------------------------------------------


def test_overdue_pending_requests_do_not_count_against_the_cap(world, create_profile):
    festival, fund, startup = world
    settings_of(festival).max_requests_sent = 1
    first = reqs.send_request(startup, fund, "", "want")
    angel = create_profile(festival, "angel")
    with pytest.raises(reqs.RequestError) as err:
        reqs.send_request(startup, angel, "", "want")
    assert err.value.code == "request_cap"
    # Past its expiry the first request no longer waits for an answer (``expire_due`` has
    # not run yet): it does not hold the sender's cap.
    first.expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.flush()
    assert reqs.pending_sent_count(startup) == 0
    assert reqs.send_request(startup, angel, "", "want").state == "pending"


def test_a_must_meet_answer_makes_the_mutual_request_must_meet(world):
    festival, fund, startup = world
    settings_of(festival).instant_booking = False
    theirs = reqs.send_request(startup, fund, "", "want")
    got = reqs.send_request(fund, startup, "", "must")
    assert got is theirs and theirs.state == "accepted" and theirs.mutual
    assert theirs.priority == "must" and theirs.weight == 3
    instance, _ctx = booking.load_instance(festival)
    assert {r.id: r.weight for r in instance.requests} == {theirs.id: 3}


def test_a_want_answer_keeps_the_first_askers_must(world):
    festival, fund, startup = world
    theirs = reqs.send_request(startup, fund, "", "must")
    reqs.send_request(fund, startup, "", "want")
    assert theirs.priority == "must" and theirs.weight == 3


def test_accept_reads_the_settings_under_the_festival_lock(world):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    settings = booking.settings_for(festival)
    assert settings.instant_booking  # loaded in this session
    # Another transaction switched instant booking off (written past this session's copy).
    db.session.connection().execute(
        sa.update(MatchSettings.__table__)
        .where(MatchSettings.__table__.c.festival_id == festival.id)
        .values(instant_booking=False)
    )
    assert settings.instant_booking  # the stale copy
    assert reqs.accept(request, fund.user) is None  # batch mode, as committed
    assert request.state == "accepted" and booking.live_meeting_of(request) is None
    assert not settings.instant_booking


@pytest.mark.parametrize("state", ["held", "no_show"])
def test_a_past_meeting_cannot_be_cancelled(world, client, auth, state):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    meeting = reqs.accept(request, fund.user)
    meeting.state = state
    db.session.commit()
    before = len(mails())
    for actor in (startup.user, fund.user):
        with pytest.raises(reqs.RequestError) as err:
            reqs.cancel(request, actor)
        assert err.value.code == "past" and err.value.message
    assert (request.state, meeting.state, meeting.sequence) == ("accepted", state, 0)
    assert all(s.active for s in meeting.seats) and len(mails()) == before
    # The page shows the meeting without a cancel button; a forged POST changes nothing.
    cancel_path = f"/f/{festival.slug}/matchmaking/requests/{request.id}/cancel"
    auth.login(startup.user)
    html = page(client, festival).get_data(as_text=True)
    assert f'data-meeting-id="{meeting.id}" data-meeting-state="{state}"' in html
    assert cancel_path not in html
    response = client.post(cancel_path, data={"csrf_token": token(client, festival)})
    assert response.status_code == 302
    db.session.expire_all()
    assert (request.state, meeting.state) == ("accepted", state)


def test_a_scheduled_meeting_still_shows_its_cancel_button(world, client, auth):
    festival, fund, startup = world
    request = reqs.send_request(startup, fund, "", "want")
    reqs.accept(request, fund.user)
    db.session.commit()
    auth.login(fund.user)
    html = page(client, festival).get_data(as_text=True)
    assert f"/matchmaking/requests/{request.id}/cancel" in html


def test_draft_meetings_are_not_shown_to_the_participants(world, client, auth):
    from matchmaking import batch, slots

    festival, fund, startup = world
    settings_of(festival).instant_booking = False
    request = reqs.send_request(startup, fund, "", "want")
    reqs.accept(request, fund.user)
    grid = slots.festival_slots(festival)
    table_id = booking.load_instance(festival)[0].tables[1]
    draft = booking.create_meeting(request, grid[2], table_id, published=False)
    db.session.commit()
    assert reqs.meetings_by_request([request.id]) == {}
    for user in (startup.user, fund.user):
        auth.login(user)
        html = page(client, festival).get_data(as_text=True)
        assert f'data-meeting-id="{draft.id}"' not in html and 'data-waiting="1"' in html
    assert batch.publish(festival, None) == 1
    db.session.commit()
    assert reqs.meetings_by_request([request.id]) == {request.id: draft}
    html = page(client, festival).get_data(as_text=True)
    assert f'data-meeting-id="{draft.id}"' in html and 'data-waiting="1"' not in html
