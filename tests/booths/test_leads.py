"""Lead capture (issue 5, section 6): exhibitor staff scan a visitor's ticket QR or type its
short code; a lead is saved only for a valid ticket of the festival whose holder agreed to
share their contact with exhibitors; refusals never name the visitor; one lead per exhibitor
and ticket (a new scan updates the note); notes; the CSV export; who may use it."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from booths import leads as ops
from booths.models import BoothApplication, BoothBooking, Lead
from eventday.extensions import db
from tests.conftest import area, csrf_token
from tests.ticketing.conftest import create_ticket_type  # noqa: F401 - a fixture
from ticketing import operations as ticket_ops
from ticketing import signing


def approve(festival, exhibitor, booth, state="approved") -> BoothApplication:
    application = BoothApplication(festival_id=festival.id, exhibitor_id=exhibitor.id, state=state)
    db.session.add(application)
    db.session.flush()
    db.session.add(
        BoothBooking(festival_id=festival.id, application_id=application.id, booth_id=booth.id)
    )
    db.session.commit()
    return application


class World:
    def __init__(self, create_user, create_festival, create_exhibitor, create_plan, create_type):
        self.organizer = create_user()
        self.festival = create_festival(organizer=self.organizer, state="published")
        _hall, _zone, booths = create_plan(self.festival, n=3)
        self.exhibitor = create_exhibitor("HTX Dược liệu Tây Giang")
        self.staff = self.exhibitor.user
        approve(self.festival, self.exhibitor, booths[0])
        self.pending = create_exhibitor("HTX Chờ Duyệt")
        approve(self.festival, self.pending, booths[1], state="pending")
        self.rival = create_exhibitor("HTX Đông Giang")
        approve(self.festival, self.rival, booths[2])
        self.ticket_type = create_type(self.festival, name_vi="Vé khách tham quan")
        self.group = self.festival.groups[0]
        self.home = area("commune", "20455")
        self.other_festival = create_festival(state="published")
        self.other_type = create_type(self.other_festival, name_vi="Vé khác")

    def ticket(self, *, consent=True, name="Alăng Thị Bốn", festival=None, ticket_type=None):
        order = ticket_ops.place_order(
            ticket_ops.OrderRequest(
                festival=festival or self.festival,
                ticket_type=ticket_type or self.ticket_type,
                attendees=[
                    ticket_ops.AttendeeData(
                        full_name=name,
                        email="bon@example.vn",
                        phone="+84905111222",
                        participant_group_id=self.group.id if festival is None else None,
                        home_area_id=self.home.id,
                        share_with_exhibitors=consent,
                    )
                ],
            )
        )
        db.session.commit()
        ticket = order.tickets[0]
        assert ticket.state == "valid"
        return ticket


@pytest.fixture
def world(create_user, create_festival, create_exhibitor, create_plan, create_ticket_type):  # noqa: F811
    return World(create_user, create_festival, create_exhibitor, create_plan, create_ticket_type)


def qr(ticket) -> str:
    code = signing.sign_ticket(ticket)
    db.session.commit()
    return code


def path(world) -> str:
    return f"/f/{world.festival.slug}/leads"


def scan(client, world, code, note="", *, json=True):
    url = path(world)
    return client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "scan-code": code, "scan-note": note},
        headers={"Accept": "application/json"} if json else {},
    )


def leads_of(exhibitor) -> list[Lead]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Lead).where(Lead.exhibitor_id == exhibitor.id)))


def refusal(reason: str) -> str:
    with force_locale("vi"):
        return str(ops.REFUSALS[reason])


def test_qr_scan_saves_a_lead(client, auth, world):
    ticket = world.ticket()
    auth.login(world.staff)
    response = scan(client, world, qr(ticket), "Muốn mua sỉ trà")
    data = response.get_json()
    assert response.status_code == 200 and data["ok"] and data["created"]
    assert "Alăng Thị Bốn" in data["row"]
    [lead] = leads_of(world.exhibitor)
    assert (lead.ticket_id, lead.note, lead.festival_id) == (
        ticket.id,
        "Muốn mua sỉ trà",
        world.festival.id,
    )
    assert lead.created_by_id == world.staff.id
    page = client.get(path(world)).get_data(as_text=True)
    assert f'data-lead-id="{lead.id}"' in page and "Muốn mua sỉ trà" in page
    assert "vendor/jsqr/jsQR.js" in page and "booths/leads.js" in page


def test_typed_short_code_without_javascript(client, auth, world):
    ticket = world.ticket()
    auth.login(world.staff)
    typed = ticket.short_code[:4].lower() + "-" + ticket.short_code[4:].lower()
    response = scan(client, world, typed, json=False)
    assert response.status_code == 302  # post/redirect/get
    assert [lead.ticket_id for lead in leads_of(world.exhibitor)] == [ticket.id]


def test_consent_is_required_and_the_refusal_names_nobody(client, auth, world):
    ticket = world.ticket(consent=False, name="Hồ Văn Kín")
    auth.login(world.staff)
    for code in (qr(ticket), ticket.short_code):
        response = scan(client, world, code)
        assert response.status_code == 422
        data = response.get_json()
        assert data["ok"] is False and data["message"] == refusal("no_consent")
        assert "Kín" not in response.get_data(as_text=True)
    html = scan(client, world, ticket.short_code, json=False).get_data(as_text=True)
    assert "Kín" not in html and ticket.short_code in html  # what was typed is kept
    assert leads_of(world.exhibitor) == []


def test_ticket_of_another_festival_is_refused(client, auth, world):
    other = world.ticket(festival=world.other_festival, ticket_type=world.other_type)
    auth.login(world.staff)
    response = scan(client, world, qr(other))
    assert response.status_code == 422
    assert response.get_json()["message"] == refusal("festival")
    # Its short code is simply unknown here: codes are looked up in this festival only.
    response = scan(client, world, other.short_code)
    assert response.get_json()["message"] == refusal("unknown")
    assert leads_of(world.exhibitor) == []


def test_revoked_ticket_is_refused(client, auth, world):
    ticket = world.ticket()
    code = qr(ticket)
    ticket_ops.cancel_order(ticket.order, by_organizer=True, reason="test")
    db.session.commit()
    auth.login(world.staff)
    response = scan(client, world, code)
    assert response.status_code == 422
    assert response.get_json()["message"] == refusal("not_valid")
    assert leads_of(world.exhibitor) == []


def test_garbage_and_forged_codes_are_refused(client, auth, world):
    ticket = world.ticket()
    auth.login(world.staff)
    good = qr(ticket)
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for code, reason in ((forged, "format"), ("hello", "format"), ("KKKKKKKK", "unknown")):
        response = scan(client, world, code)
        assert response.status_code == 422, code
        assert response.get_json()["message"] == refusal(reason), code
    assert leads_of(world.exhibitor) == []


def test_scanning_again_updates_the_note_and_keeps_one_lead(client, auth, world):
    ticket = world.ticket()
    auth.login(world.staff)
    assert scan(client, world, qr(ticket), "Lần đầu").get_json()["created"] is True
    second = scan(client, world, ticket.short_code, "Hẹn gặp lại").get_json()
    assert second["ok"] and second["created"] is False
    again = scan(client, world, ticket.short_code).get_json()  # no note: the note is kept
    assert again["ok"] and again["created"] is False
    [lead] = leads_of(world.exhibitor)
    assert lead.note == "Hẹn gặp lại"

    # Another exhibitor scanning the same visitor gets its own lead.
    auth.logout()
    auth.login(world.rival.user)
    assert scan(client, world, ticket.short_code).get_json()["created"] is True
    assert len(leads_of(world.rival)) == 1 and len(leads_of(world.exhibitor)) == 1


def test_edit_a_note(client, auth, world):
    ticket = world.ticket()
    auth.login(world.staff)
    scan(client, world, ticket.short_code, "Cũ")
    [lead] = leads_of(world.exhibitor)
    url = path(world)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "edit-lead_id": lead.id,
            "edit-note": "Gọi lại sau hội chợ",
        },
    )
    assert response.status_code == 302
    assert leads_of(world.exhibitor)[0].note == "Gọi lại sau hội chợ"


def test_staff_cannot_touch_another_exhibitors_lead(client, auth, world):
    ticket = world.ticket()
    auth.login(world.rival.user)
    scan(client, world, ticket.short_code, "Của đối thủ")
    [rival_lead] = leads_of(world.rival)
    auth.logout()
    auth.login(world.staff)
    url = path(world)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "edit-lead_id": rival_lead.id,
            "edit-note": "x",
        },
    )
    assert response.status_code == 404
    assert leads_of(world.rival)[0].note == "Của đối thủ"
    # Nor open the rival's list or export by naming it.
    assert client.get(f"{url}?exhibitor={world.rival.id}").status_code == 403
    assert client.get(f"{url}.csv?exhibitor={world.rival.id}").status_code == 403


def test_csv_export(client, auth, world):
    ticket = world.ticket()
    auth.login(world.staff)
    scan(client, world, ticket.short_code, "=HYPERLINK(1)")
    response = client.get(f"{path(world)}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 2 and len(rows[0]) == 7
    name, email, phone, group, home, note, time = rows[1]
    assert (name, email, phone) == ("Alăng Thị Bốn", "bon@example.vn", "0905 111 222")
    assert group == world.group.name_vi and home == world.home.name
    assert note == "'=HYPERLINK(1)"  # never run as a formula
    assert len(time) == 16


def test_only_staff_of_an_approved_exhibitor(app, client, auth, world, create_user, monkeypatch):
    url = path(world)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client.get(url + ".csv").status_code == 302
    for who in (create_user(), world.pending.user, world.organizer, create_user(admin=True)):
        auth.login(who)
        assert client.get(url).status_code == 403
        assert client.get(url + ".csv").status_code == 403
        with monkeypatch.context() as m:
            m.setitem(app.config, "WTF_CSRF_ENABLED", False)
            response = client.post(url, data={"scan-code": "KKKKKKKK"})
            assert response.status_code == 403
        auth.logout()
    assert client.get("/f/no-such-festival/leads").status_code == 302


def test_capture_lead_operation_is_idempotent(world):
    ticket = world.ticket()
    lead, created = ops.capture_lead(world.festival, world.exhibitor, ticket.short_code, None)
    again, created_again = ops.capture_lead(
        world.festival, world.exhibitor, ticket.short_code, None, "note"
    )
    db.session.commit()
    assert created and not created_again and again.id == lead.id and again.note == "note"
