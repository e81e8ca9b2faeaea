"""The call for pitches (issue 6, section 1; Done-when 5): the call and its tracks, applying
with a real PDF, editing until the close, withdrawing, one application per organisation, the
state machine and its mails, deck checks by content and size, who may read a deck, the
organizers' list, and the pages keeping what was typed."""

from __future__ import annotations

import collections
import datetime as dt
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from PIL import Image

from eventday.accounts import operations as account_ops
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import FestivalRole
from eventday.festivals.util import public_actions, section_status
from eventday.mail import OutboxMail
from pitches import calls, judging
from pitches.calls import PitchError
from pitches.models import Assignment, PitchApplication, PitchCall, Round
from tests.conftest import area, csrf_token

# --------------------------------------------------------------------------- helpers


def make_pdf(pad: int = 0, text: str = "Tra Sam Ngoc Linh") -> bytes:
    """A small, valid one-page PDF (correct xref offsets), padded with a comment if asked."""
    content = f"BT /F1 24 Tf 72 700 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    if pad:
        out += b"%" + b"x" * pad + b"\n"
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


def make_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def deck(data: bytes | None = None, name: str = "deck.pdf") -> calls.Deck:
    return calls.Deck(stream=io.BytesIO(make_pdf() if data is None else data), filename=name)


def decks_dir(app) -> Path:
    return Path(app.config["UPLOAD_DIR"]) / calls.DECK_FOLDER


def data_for(world, org=None, **overrides) -> calls.ApplicationData:
    values = {
        "title": "Trà túi lọc Sâm Ngọc Linh",
        "organisation_id": (org or world["org"]).id,
        "team": "Hồ Thị Lan, sáng lập\nA Lăng Vũ, kỹ thuật",
        "track_id": world["tracks"][0].id,
        "stage": "prototype",
        "summary_vi": "Trà túi lọc từ lá sâm trồng dưới tán rừng.",
        "problem": "Lá sâm bị bỏ phí sau thu hoạch.",
        "solution": "Sấy lạnh và đóng túi lọc.",
        "funding_vnd": 50_000_000,
        "consent": True,
        "locale": "en",
    }
    values.update(overrides)
    return calls.ApplicationData(**values)


def submit(world, user=None, org=None, **overrides) -> PitchApplication:
    application = calls.submit_application(
        world["festival"], user or world["startup"], data_for(world, org, **overrides), deck()
    )
    db.session.commit()
    return application


def form_fields(world, **overrides) -> dict:
    values = {
        "organisation_id": str(world["org"].id),
        "title": "Trà túi lọc Sâm Ngọc Linh",
        "team": "Hồ Thị Lan, sáng lập",
        "track_id": str(world["tracks"][0].id),
        "stage": "prototype",
        "summary_vi": "Trà túi lọc từ lá sâm trồng dưới tán rừng.",
        "summary_en": "Tea bags from forest-grown ginseng leaves.",
        "problem": "Lá sâm bị bỏ phí sau thu hoạch.",
        "solution": "Sấy lạnh và đóng túi lọc.",
        "market": "Khách du lịch Tây Giang",
        "funding": "50.000.000",
        "video_url": "https://youtu.be/abc123",
        "consent": "y",
    }
    values.update(overrides)
    return values


def mails(template="pitches_state") -> list[OutboxMail]:
    return list(
        db.session.scalars(
            sa.select(OutboxMail).where(OutboxMail.template == template).order_by(OutboxMail.id)
        )
    )


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def english(app):
    """Operations outside a request speak Vietnamese by default: read the English texts."""
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture
def world(create_festival, create_user):
    """A published festival with an open call (default tracks), its organizer, a startup
    organisation with two members, another startup, and a judge."""
    organizer = create_user(locale="en")
    festival = create_festival(organizer=organizer, state="published")
    now = utcnow()
    calls.save_call(
        festival,
        calls.CallData(
            opens_at=(now - dt.timedelta(days=1)).astimezone(calls.LOCAL_TZ),
            closes_at=(now + dt.timedelta(days=10)).astimezone(calls.LOCAL_TZ),
        ),
    )
    startup = create_user(locale="en", name="Hồ Thị Lan")
    partner = create_user(locale="en", name="A Lăng Vũ")
    org = account_ops.create_organisation(startup, "HTX Sâm Ngọc Linh Tây Giang", "cooperative")
    account_ops.add_member(org, partner.email)
    stranger = create_user(locale="en")
    other_org = account_ops.create_organisation(stranger, "Gốm Thanh Hà", "startup")
    judge = create_user(locale="en")
    db.session.add(FestivalRole(festival_id=festival.id, user_id=judge.id, role="judge"))
    db.session.commit()
    return {
        "festival": festival,
        "call": calls.get_call(festival),
        "tracks": calls.tracks_of(festival),
        "organizer": organizer,
        "startup": startup,
        "partner": partner,
        "org": org,
        "stranger": stranger,
        "other_org": other_org,
        "judge": judge,
    }


# --------------------------------------------------------------------------- the call


def test_a_new_call_stores_utc_and_starts_with_the_default_tracks(world, create_festival):
    festival = create_festival(state="published")
    call = calls.save_call(
        festival,
        calls.CallData(
            opens_at=dt.datetime(2026, 3, 1, 8, 0),  # Vietnam's wall clock, UTC+7
            closes_at=dt.datetime(2026, 3, 31, 23, 59),
            min_judges=4,
            pitch_minutes=7,
        ),
    )
    db.session.commit()
    db.session.refresh(call)
    assert call.opens_at == dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)
    assert call.closes_at == dt.datetime(2026, 3, 31, 16, 59, tzinfo=dt.UTC)
    assert (call.min_judges, call.pitch_minutes) == (4, 7)
    tracks = calls.tracks_of(festival)
    assert [(t.name_vi, t.name_en) for t in tracks] == list(calls.DEFAULT_TRACKS)
    assert "Agriculture and medicinal herbs" in {t.name_en for t in tracks}
    assert "Students and high-school students" in {t.name_en for t in tracks}
    # Saving again updates the call and keeps the tracks as they are.
    calls.save_call(
        festival,
        calls.CallData(opens_at=dt.datetime(2026, 3, 2, 8), closes_at=dt.datetime(2026, 4, 1)),
    )
    assert len(calls.tracks_of(festival)) == 5
    assert (
        db.session.scalar(
            sa.select(sa.func.count(PitchCall.id)).where(PitchCall.festival_id == festival.id)
        )
        == 1
    )
    with pytest.raises(PitchError) as err:
        calls.save_call(
            festival,
            calls.CallData(opens_at=dt.datetime(2026, 3, 2), closes_at=dt.datetime(2026, 3, 1)),
        )
    assert err.value.reason == "bad_dates" and err.value.field == "closes_at"


def test_tracks_with_a_preferred_stage(world, create_festival):
    festival, stage = world["festival"], world["festival"].stages[0]
    track = calls.save_track(festival, "Nông sản  sạch", "Clean produce", stage.id)
    assert (track.name_vi, track.stage_id) == ("Nông sản sạch", stage.id)
    with pytest.raises(PitchError) as err:
        calls.save_track(festival, "nông sản sạch")
    assert err.value.reason == "track_taken"
    foreign_stage = create_festival().stages[0]
    with pytest.raises(PitchError) as err:
        calls.save_track(festival, "Khác", stage_id=foreign_stage.id)
    assert err.value.reason == "bad_stage_ref"
    submit(world, track_id=world["tracks"][0].id)
    with pytest.raises(PitchError) as err:
        calls.remove_track(world["tracks"][0])
    assert err.value.reason == "track_in_use"
    calls.remove_track(track)
    assert track.id not in {t.id for t in calls.tracks_of(festival)}


def test_call_settings_page_creates_the_call(client, auth, create_festival, create_user):
    organizer = create_user(locale="en")
    festival = create_festival(organizer=organizer)
    auth.login(organizer)
    path = f"/f/{festival.slug}/manage/pitches/call"
    token = csrf_token(client, path)
    fields = {
        "csrf_token": token,
        "opens_at": "2026-03-01T08:00",
        "closes_at": "2026-02-01T08:00",
        "description_vi": "Gọi ý tưởng khởi nghiệp",
        "min_judges": "3",
        "pitch_minutes": "8",
        "qa_minutes": "10",
        "buffer_minutes": "2",
    }
    bad = client.post(path, data=fields)
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "The call must close after it opens." in html
    assert "Gọi ý tưởng khởi nghiệp" in html and 'value="2026-02-01T08:00"' in html
    assert calls.get_call(festival) is None
    good = client.post(path, data={**fields, "closes_at": "2026-03-31T17:00"})
    assert good.status_code == 302
    call = calls.get_call(festival)
    assert call.closes_at == dt.datetime(2026, 3, 31, 10, 0, tzinfo=dt.UTC)
    html = client.get(path).get_data(as_text=True)
    assert 'value="2026-03-01T08:00"' in html  # shown back in Vietnam's time
    assert "Handicrafts and OCOP" in html


# --------------------------------------------------------------------------- applying


def test_apply_through_the_page_with_a_real_pdf(app, client, auth, world):
    slug = world["festival"].slug
    auth.login(world["startup"])
    page = client.get(f"/f/{slug}/pitch/apply").get_data(as_text=True)
    assert "PDF only, at most 20 MB." in page
    assert f'data-max-bytes="{20 * 1024 * 1024}"' in page
    assert 'enctype="multipart/form-data"' in page
    pdf = make_pdf()
    response = client.post(
        f"/f/{slug}/pitch/apply",
        data={
            **form_fields(world),
            "csrf_token": csrf_token(client, f"/f/{slug}/pitch/apply"),
            "deck": (io.BytesIO(pdf), "Bài thuyết trình.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    application = db.session.scalar(
        sa.select(PitchApplication).where(PitchApplication.organisation_id == world["org"].id)
    )
    assert response.headers["Location"].endswith(f"/pitch/{application.id}")
    assert application.state == "submitted"
    assert application.funding_vnd == 50_000_000
    assert application.title_folded == "tra tui loc sam ngoc linh"
    assert (application.applicant_id, application.locale) == (world["startup"].id, "en")
    assert application.deck_name == "Bài thuyết trình.pdf"
    assert application.deck_bytes == len(pdf)
    assert application.deck_file.endswith(".pdf") and "thuyet" not in application.deck_file
    assert (decks_dir(app) / application.deck_file).read_bytes() == pdf
    assert application.consent_at is not None
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="50.000.000"' in html  # shown back with thousands separators


def test_only_while_the_call_is_open_and_only_for_ones_own_organisation(world):
    call = world["call"]
    with pytest.raises(PitchError) as err:
        calls.submit_application(
            world["festival"],
            world["startup"],
            data_for(world),
            deck(),
            now=call.opens_at - dt.timedelta(minutes=1),
        )
    assert err.value.reason == "not_open_yet"
    with pytest.raises(PitchError) as err:
        calls.submit_application(
            world["festival"], world["startup"], data_for(world), deck(), now=call.closes_at
        )
    assert err.value.reason == "call_closed"
    assert "The call for pitches closed at" in err.value.message()
    with pytest.raises(PitchError) as err:  # not a member of that organisation
        calls.submit_application(
            world["festival"], world["startup"], data_for(world, world["other_org"]), deck()
        )
    assert err.value.reason == "not_member" and err.value.field == "organisation_id"
    with pytest.raises(PitchError) as err:
        calls.submit_application(
            world["festival"], world["startup"], data_for(world, consent=False), deck()
        )
    assert err.value.reason == "consent_required"
    with pytest.raises(PitchError) as err:
        calls.submit_application(world["festival"], world["startup"], data_for(world), None)
    assert err.value.reason == "deck_required"
    assert db.session.scalar(sa.select(sa.func.count(PitchApplication.id))) == 0


def test_one_application_per_organisation_unless_withdrawn(world):
    first = submit(world)
    with pytest.raises(PitchError) as err:
        submit(world, user=world["partner"])  # the other member of the same startup
    assert err.value.reason == "duplicate"
    db.session.rollback()
    submit(world, user=world["stranger"], org=world["other_org"], title="Gốm Thanh Hà")
    calls.withdraw(first, world["startup"])
    db.session.commit()
    again = submit(world, user=world["partner"], title="Trà sâm, lần hai")
    assert again.state == "submitted" and again.id != first.id


def test_apply_page_when_closed_and_without_an_organisation(client, auth, world, create_user):
    slug = world["festival"].slug
    auth.login(create_user(locale="en"))
    response = client.get(f"/f/{slug}/pitch/apply")
    assert response.status_code == 403
    assert "/organisations/new" in response.get_data(as_text=True)
    auth.logout()
    world["call"].closes_at = utcnow() - dt.timedelta(hours=1)
    world["call"].opens_at = utcnow() - dt.timedelta(days=3)
    db.session.commit()
    auth.login(world["startup"])
    html = client.get(f"/f/{slug}/pitch/apply").get_data(as_text=True)
    assert 'data-status="closed"' in html and "The call for pitches closed at" in html
    assert 'name="title"' not in html


# --------------------------------------------------------------------------- the deck


def test_is_pdf_checks_content_not_name():
    assert calls.is_pdf(make_pdf())
    assert not calls.is_pdf(make_png())
    assert not calls.is_pdf(b"%PDF-1.4\nno trailer at all")
    assert not calls.is_pdf(make_pdf()[:-40])  # truncated: no %%EOF
    assert not calls.is_pdf(b"%PDF-1.4\nstartxref\n999999\n%%EOF\n")  # offset past the end
    assert not calls.is_pdf(b"")


def test_a_renamed_png_is_refused_with_the_message_and_the_form_kept(app, client, auth, world):
    slug = world["festival"].slug
    auth.login(world["startup"])
    before = set(decks_dir(app).glob("*")) if decks_dir(app).exists() else set()
    response = client.post(
        f"/f/{slug}/pitch/apply",
        data={
            **form_fields(world),
            "csrf_token": csrf_token(client, f"/f/{slug}/pitch/apply"),
            "deck": (io.BytesIO(make_png()), "deck.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    message = PitchError("not_pdf").message()
    assert message.startswith("The pitch deck must be a PDF file.")
    assert re.search(r'class="field has-error">\s*<label for="deck"', html)
    assert message in html
    # Everything else that was typed is still there.
    assert 'value="Trà túi lọc Sâm Ngọc Linh"' in html
    assert "Sấy lạnh và đóng túi lọc." in html
    assert 'value="50.000.000"' in html
    assert 'value="https://youtu.be/abc123"' in html
    assert re.search(rf'<option selected value="{world["tracks"][0].id}"', html)
    assert re.search(r'<option selected value="prototype"', html)
    assert db.session.scalar(sa.select(sa.func.count(PitchApplication.id))) == 0
    after = set(decks_dir(app).glob("*")) if decks_dir(app).exists() else set()
    assert after == before  # nothing stored


def test_an_oversized_deck_is_refused_naming_the_limit(app, client, auth, world, monkeypatch):
    monkeypatch.setitem(app.config, "PITCH_DECK_MAX_BYTES", 4096)
    slug = world["festival"].slug
    auth.login(world["startup"])
    token = csrf_token(client, f"/f/{slug}/pitch/apply")
    assert "PDF only, at most 4 KB." in client.get(f"/f/{slug}/pitch/apply").get_data(as_text=True)
    big = make_pdf(pad=6000)
    assert calls.is_pdf(big) and len(big) > 4096
    response = client.post(
        f"/f/{slug}/pitch/apply",
        data={
            **form_fields(world),
            "csrf_token": token,
            "deck": (io.BytesIO(big), "deck.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The pitch deck is too large: at most 4 KB." in html
    assert 'value="Trà túi lọc Sâm Ngọc Linh"' in html and 'value="50.000.000"' in html
    # Far larger than the limit: stopped at the request limit, still naming the deck's limit.
    huge = make_pdf(pad=1024 * 1024 + 20_000)
    response = client.post(
        f"/f/{slug}/pitch/apply",
        data={"csrf_token": token, "deck": (io.BytesIO(huge), "deck.pdf", "application/pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "The pitch deck is too large: at most 4 KB." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(PitchApplication.id))) == 0


def test_read_deck_stops_reading_past_the_limit():
    class NoSeek(io.RawIOBase):
        """A stream that cannot seek, counting what is read from it."""

        def __init__(self, data):
            self.data, self.read_bytes = data, 0

        def seekable(self):
            return False

        def seek(self, *args):
            raise OSError("not seekable")

        def read(self, n=-1):
            chunk = self.data[self.read_bytes : self.read_bytes + n]
            self.read_bytes += len(chunk)
            return chunk

    stream = NoSeek(make_pdf(pad=50_000))
    with pytest.raises(PitchError) as err:
        calls.read_deck(stream, max_bytes=1000)
    assert err.value.reason == "too_large" and "1000 B" in err.value.message()
    assert stream.read_bytes == 1001
    assert calls.read_deck(io.BytesIO(make_pdf()), max_bytes=10_000) == make_pdf()


def test_deck_served_inline_only_to_the_startup_organizers_and_assigned_judges(
    app, client, auth, world, create_user
):
    application = submit(world)
    path = f"/f/{world['festival'].slug}/pitch/{application.id}/deck.pdf"
    assert "/login" in client.get(path).headers["Location"]
    allowed = [world["startup"], world["partner"], world["organizer"]]
    for user in allowed:
        auth.login(user)
        response = client.get(path)
        assert response.status_code == 200, user.email
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert response.data == make_pdf()
        auth.logout()
    refused = [world["stranger"], world["judge"], create_user()]
    for user in refused:
        auth.login(user)
        assert client.get(path).status_code == 403, user.email
        auth.logout()
    # Once assigned to it, the judge may read it.
    round_ = Round(festival_id=world["festival"].id, name="Sơ khảo")
    db.session.add(round_)
    db.session.flush()
    db.session.add(
        Assignment(round_id=round_.id, application_id=application.id, judge_id=world["judge"].id)
    )
    db.session.commit()
    auth.login(world["judge"])
    assert client.get(path).status_code == 200
    auth.logout()
    # A judge with a conflict of interest may not, even when assigned.
    judging.declare_conflict(
        world["festival"], world["judge"], "declared", application_id=application.id, note="x"
    )
    db.session.add(
        Assignment(round_id=round_.id, application_id=application.id, judge_id=world["judge"].id)
    )
    db.session.commit()
    auth.login(world["judge"])
    assert client.get(path).status_code == 403


# --------------------------------------------------------------------------- editing


def test_edit_until_the_close_then_refused(app, world):
    application = submit(world)
    old_file = application.deck_file
    new_pdf = make_pdf(text="Phien ban 2")
    calls.update_application(
        application,
        world["partner"],  # any member of the startup's organisation
        data_for(world, title="Trà sâm Ngọc Linh túi lọc", funding_vnd=80_000_000),
        deck(new_pdf, "v2.pdf"),
    )
    assert (decks_dir(app) / old_file).exists()  # removed only once the change commits
    db.session.commit()
    assert not (decks_dir(app) / old_file).exists()
    assert (decks_dir(app) / application.deck_file).read_bytes() == new_pdf
    assert (application.title, application.funding_vnd) == ("Trà sâm Ngọc Linh túi lọc", 80_000_000)
    assert application.title_folded == "tra sam ngoc linh tui loc"

    with pytest.raises(PitchError) as err:
        calls.update_application(
            application, world["startup"], data_for(world), now=world["call"].closes_at
        )
    assert err.value.reason == "call_closed"
    db.session.rollback()
    with pytest.raises(PitchError) as err:
        calls.update_application(application, world["stranger"], data_for(world))
    assert err.value.reason == "not_allowed"


def test_a_failed_edit_keeps_the_old_deck_and_drops_the_new_file(app, world):
    application = submit(world)
    old_file = application.deck_file
    calls.update_application(application, world["startup"], data_for(world), deck())
    new_file = application.deck_file
    assert (decks_dir(app) / new_file).exists()
    db.session.rollback()
    assert (decks_dir(app) / old_file).exists()
    assert not (decks_dir(app) / new_file).exists()


def test_edit_page_until_close_then_read_only(client, auth, world):
    application = submit(world)
    slug = world["festival"].slug
    path = f"/f/{slug}/pitch/{application.id}"
    auth.login(world["startup"])
    token = csrf_token(client, path)
    bad = client.post(
        path,
        data={
            **form_fields(world),
            "csrf_token": token,
            "title": "Trà sâm bản mới",
            "funding": "năm mươi triệu",
        },
    )
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Enter the amount in đồng, e.g. 50.000.000." in html
    assert 'value="năm mươi triệu"' in html and 'value="Trà sâm bản mới"' in html
    good = client.post(
        path, data={**form_fields(world), "csrf_token": token, "funding": "75.500.000 đ"}
    )
    assert good.status_code == 302
    db.session.refresh(application)
    assert application.funding_vnd == 75_500_000

    world["call"].closes_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    html = client.get(path).get_data(as_text=True)
    assert 'name="title"' not in html and "can no longer be changed" in html
    late = client.post(path, data={**form_fields(world), "csrf_token": token, "title": "Muộn"})
    assert late.status_code == 409
    assert "The call for pitches closed at" in late.get_data(as_text=True)
    db.session.refresh(application)
    assert application.title == "Trà túi lọc Sâm Ngọc Linh"


def test_edit_permissions(client, auth, world):
    application = submit(world)
    path = f"/f/{world['festival'].slug}/pitch/{application.id}"
    auth.login(world["stranger"])
    assert client.get(path).status_code == 403
    token = csrf_token(client, f"/f/{world['festival'].slug}/pitch/mine")
    assert client.post(path, data={**form_fields(world), "csrf_token": token}).status_code == 403
    assert client.post(path + "/withdraw", data={"csrf_token": token}).status_code == 403
    assert client.get(f"/f/{world['festival'].slug}/manage/pitches/applications").status_code == 403
    auth.logout()
    # Organizers read the application; they do not edit the startup's words.
    auth.login(world["organizer"])
    html = client.get(path).get_data(as_text=True)
    assert "Trà túi lọc Sâm Ngọc Linh" in html and 'name="title"' not in html
    token = csrf_token(client, path)
    response = client.post(path, data={**form_fields(world), "csrf_token": token, "title": "X"})
    assert response.status_code == 403
    db.session.refresh(application)
    assert application.title == "Trà túi lọc Sâm Ngọc Linh" and application.state == "submitted"


def test_bad_inputs_on_apply_keep_what_was_typed(client, auth, world):
    slug = world["festival"].slug
    auth.login(world["startup"])
    token = csrf_token(client, f"/f/{slug}/pitch/apply")
    response = client.post(
        f"/f/{slug}/pitch/apply",
        data={
            **form_fields(world, consent="", video_url="youtube", title="", track_id="999999"),
            "csrf_token": token,
            "deck": (io.BytesIO(make_pdf()), "deck.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Give the project a name." in html
    assert "Lá sâm bị bỏ phí sau thu hoạch." in html and 'value="youtube"' in html
    # Once the title is there, the next problem is named on its own field.
    bad = {"consent": "", "video_url": "youtube", "track_id": "999999"}
    for fix, message in (
        ({"title": "Trà sâm"}, "Pick one of the call&#39;s tracks."),
        ({"title": "Trà sâm", "track_id": str(world["tracks"][1].id)}, "Enter a web address"),
        (
            {"title": "Trà sâm", "track_id": str(world["tracks"][1].id), "video_url": ""},
            "Tick the consent box",
        ),
    ):
        response = client.post(
            f"/f/{slug}/pitch/apply",
            data={
                **form_fields(world, **{**bad, **fix}),
                "csrf_token": token,
                "deck": (io.BytesIO(make_pdf()), "deck.pdf", "application/pdf"),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert message in html, message
        assert "Sấy lạnh và đóng túi lọc." in html
    assert db.session.scalar(sa.select(sa.func.count(PitchApplication.id))) == 0


def test_parse_funding():
    assert calls.parse_funding("50.000.000") == 50_000_000
    assert calls.parse_funding("50,000,000") == 50_000_000
    assert calls.parse_funding("50 000 000 đ") == 50_000_000
    assert calls.parse_funding("1200000") == 1_200_000
    assert calls.parse_funding("") == 0
    for bad in ("1.5", "50.00.000", "50.000,000", "-5", "năm mươi triệu", "9" * 17):
        with pytest.raises(PitchError):
            calls.parse_funding(bad)


# --------------------------------------------------------------------------- states and mail


def test_each_state_change_is_mailed_in_the_applications_language(world):
    application = submit(world)
    path = ("in_review", "shortlisted", "scheduled", "pitched", "awarded")
    for state in path:
        calls.change_state(application, state, world["organizer"])
        db.session.commit()
    sent = mails()
    assert [m.recipient for m in sent] == [world["startup"].email] * len(path)
    assert {m.locale for m in sent} == {"en"}
    assert "Congratulations: your startup won a prize" in sent[-1].body_text
    assert "Shortlisted" in sent[1].subject and "Trà túi lọc Sâm Ngọc Linh" in sent[1].subject
    assert f"/pitch/{application.id}" in sent[0].body_text
    assert 'href="http://localhost/f/' in sent[0].body_html

    vi_app = submit(world, user=world["stranger"], org=world["other_org"], title="Gốm", locale="vi")
    calls.change_state(vi_app, "not_selected", world["organizer"])
    db.session.commit()
    last = mails()[-1]
    assert (last.recipient, last.locale) == (world["stranger"].email, "vi")


def test_refused_moves_change_nothing_and_mail_nothing(world):
    application = submit(world)
    for state in ("shortlisted", "scheduled", "pitched", "awarded", "submitted", "bogus"):
        with pytest.raises(PitchError) as err:
            calls.change_state(application, state, world["organizer"])
        assert err.value.reason == "bad_transition"
    assert application.state == "submitted" and mails() == []
    calls.withdraw(application, world["partner"])
    db.session.commit()
    assert application.state == "withdrawn" and len(mails()) == 1
    for state in ("submitted", "in_review"):
        with pytest.raises(PitchError):
            calls.change_state(application, state, world["organizer"])
    with pytest.raises(PitchError) as err:
        calls.withdraw(submit(world), world["stranger"])
    assert err.value.reason == "not_allowed"


def test_change_state_re_reads_the_row_before_deciding(world):
    """Another request moved the application meanwhile: the move is checked against the
    state in the database, not the stale one in memory."""
    application = submit(world)
    db.session.execute(
        sa.update(PitchApplication)
        .where(PitchApplication.id == application.id)
        .values(state="withdrawn")
        .execution_options(synchronize_session=False)
    )
    assert application.state == "submitted"  # stale
    with pytest.raises(PitchError):
        calls.change_state(application, "in_review", world["organizer"])
    assert application.state == "withdrawn"


def test_withdraw_through_the_page(client, auth, world):
    application = submit(world)
    slug = world["festival"].slug
    auth.login(world["partner"])
    html = client.get(f"/f/{slug}/pitch/mine").get_data(as_text=True)
    assert f'data-application-id="{application.id}"' in html
    token = csrf_token(client, f"/f/{slug}/pitch/mine")
    response = client.post(f"/f/{slug}/pitch/{application.id}/withdraw", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.state == "withdrawn"
    assert mails()[-1].recipient == world["startup"].email  # the applicant hears of it


# --------------------------------------------------------------------------- the organizers


def _count_queries(app, fn):
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_organizer_list_filters_searches_and_moves(app, client, auth, world, create_user):
    tea = submit(world, home_area_id=area("commune", "20455").id)
    pottery = submit(
        world,
        user=world["stranger"],
        org=world["other_org"],
        title="Gốm Thanh Hà vẽ tay",
        track_id=world["tracks"][2].id,
    )
    TEA, POT = (f'data-application-id="{a.id}"' for a in (tea, pottery))  # noqa: N806
    slug = world["festival"].slug
    base = f"/f/{slug}/manage/pitches/applications"
    auth.login(world["organizer"])
    html = client.get(base).get_data(as_text=True)
    assert TEA in html and POT in html
    html = client.get(base + "?q=SAM+ngoc").get_data(as_text=True)  # no diacritics typed
    assert TEA in html and POT not in html
    html = client.get(base + "?q=thanh+ha").get_data(as_text=True)  # organisation name too
    assert POT in html and TEA not in html
    html = client.get(base + f"?track={world['tracks'][2].id}").get_data(as_text=True)
    assert POT in html and TEA not in html

    token = csrf_token(client, base)
    move = f"{base}/{tea.id}/state?state=submitted"
    response = client.post(move, data={"csrf_token": token, "state": "in_review"})
    assert response.status_code == 302
    assert "state=submitted" in response.headers["Location"]
    db.session.refresh(tea)
    assert tea.state == "in_review" and len(mails()) == 1
    html = client.get(base + "?state=in_review").get_data(as_text=True)
    assert TEA in html and POT not in html
    assert 'name="state" value="shortlisted"' in html
    assert 'name="state" value="withdrawn"' not in html

    for refused in ("awarded", "withdrawn", "nonsense"):
        response = client.post(
            f"{base}/{pottery.id}/state", data={"csrf_token": token, "state": refused}
        )
        assert response.status_code == 409, refused
        assert "cannot move to that state" in response.get_data(as_text=True)
    db.session.refresh(pottery)
    assert pottery.state == "submitted" and len(mails()) == 1
    # A pitched startup is awarded only with a prize, never by a bare state move.
    pottery.state = "pitched"
    db.session.commit()
    response = client.post(
        f"{base}/{pottery.id}/state", data={"csrf_token": token, "state": "awarded"}
    )
    assert response.status_code == 409
    db.session.refresh(pottery)
    assert pottery.state == "pitched" and len(mails()) == 1
    html = client.get(base + "?state=pitched").get_data(as_text=True)
    assert 'name="state" value="awarded"' not in html
    pottery.state = "submitted"
    db.session.commit()

    # No query per application on the list.
    few = _count_queries(app, lambda: client.get(base))
    for i in range(4):
        user = create_user()
        org = account_ops.create_organisation(user, f"Tổ hợp tác {i}", "cooperative")
        db.session.commit()
        submit(
            world, user=user, org=org, title=f"Dự án {i}", home_area_id=area("commune", "20467").id
        )
    many = _count_queries(app, lambda: client.get(base))
    assert many == few


def test_dashboard_section_and_public_action(world, create_festival):
    festival = world["festival"]
    submit(world)
    status = section_status("pitches", festival)
    assert status["set_up"] and status["url"].endswith("/manage/pitches/applications")
    assert "1 applications" in status["summary"] and "Submitted: 1" in status["summary"]
    actions = public_actions(festival)
    assert ("Apply to pitch", f"/f/{festival.slug}/pitch/apply") in actions
    world["call"].closes_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert all(label != "Apply to pitch" for label, _url in public_actions(festival))
    bare = create_festival(state="published")
    assert section_status("pitches", bare)["set_up"] is False


CALL_ENDPOINTS = (
    "pitches.call_settings",
    "pitches.add_track",
    "pitches.edit_track",
    "pitches.remove_track",
    "pitches.apply",
    "pitches.my_applications",
    "pitches.edit_application",
    "pitches.withdraw",
    "pitches.deck",
    "pitches.applications",
    "pitches.change_state",
)


def test_every_call_route_refuses_anonymous_and_strangers(
    app, client, auth, world, create_user, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    application = submit(world)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint in CALL_ENDPOINTS]
    assert {r.endpoint for r in rules} == set(CALL_ENDPOINTS)
    calls_ = []
    for rule in rules:
        assert not getattr(app.view_functions[rule.endpoint], "is_public", False)
        path = rule.rule.replace("<slug>", world["festival"].slug)
        path = path.replace("<int:application_id>", str(application.id))
        path = path.replace("<int:track_id>", str(world["tracks"][-1].id))
        calls_ += [(m, path) for m in sorted(rule.methods & {"GET", "POST"})]
    for method, path in calls_:
        response = client.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert "/login" in response.headers["Location"]
    auth.login(create_user())  # logged in, no organisation, no festival role
    for method, path in calls_:
        status = client.open(path, method=method).status_code
        if path.endswith("/pitch/mine"):
            assert status == 200  # an empty list of one's own
        else:
            assert status in (403, 404), (method, path)
    db.session.refresh(application)
    assert application.state == "submitted"
    assert len(calls.tracks_of(world["festival"])) == 5


# --------------------------------------------------------------------------- the race (PostgreSQL)

RACERS = 8


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    """An app on its own new PostgreSQL database (dropped afterwards), so threads commit."""
    from sqlalchemy.pool import QueuePool

    from tests.scratch_db import scratch_app

    pool = {"poolclass": QueuePool, "pool_size": RACERS + 2, "max_overflow": 0}
    with scratch_app(tmp_path_factory.mktemp("pitch-race"), "pitch_race", pool) as app:
        yield app


def _race(app, monkeypatch, *, lock: bool) -> tuple[collections.Counter, int]:
    """RACERS members of one startup send its application at the same moment; the window
    between the duplicate check and the insert is widened to 300 ms for every racer."""
    import threading
    import time
    import uuid

    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        now = utcnow()
        owner = account_ops.create_user(
            f"race{tag}@example.vn", "pw-123456789", "Chủ", verified=True
        )
        festival = festival_ops_create(owner, tag)
        calls.save_call(
            festival,
            calls.CallData(
                opens_at=(now - dt.timedelta(days=1)).astimezone(calls.LOCAL_TZ),
                closes_at=(now + dt.timedelta(days=1)).astimezone(calls.LOCAL_TZ),
            ),
        )
        org = account_ops.create_organisation(owner, f"Khởi nghiệp {tag}", "startup")
        members = [owner.id]
        for n in range(RACERS - 1):
            user = account_ops.create_user(
                f"race{tag}-{n}@example.vn", "pw-123456789", "Thành viên", verified=True
            )
            account_ops.add_member(org, user.email)
            members.append(user.id)
        db.session.commit()
        ids = {"festival": festival.id, "org": org.id, "track": calls.tracks_of(festival)[0].id}

    original_attach = calls._attach_deck

    def slow_attach(application, deck_):
        time.sleep(0.3)
        original_attach(application, deck_)

    monkeypatch.setattr(calls, "_attach_deck", slow_attach)
    if not lock:
        monkeypatch.setattr(calls, "lock_organisation", lambda organisation_id: None)
    barrier = threading.Barrier(RACERS)
    answers: collections.Counter = collections.Counter()

    def racer(user_id):
        from eventday.accounts.models import User
        from eventday.festivals.models import Festival

        with app.app_context():
            user = db.session.get(User, user_id)
            festival = db.session.get(Festival, ids["festival"])
            data = calls.ApplicationData(
                title="Trà sâm",
                organisation_id=ids["org"],
                track_id=ids["track"],
                summary_vi="Tóm tắt",
                consent=True,
            )
            barrier.wait()
            try:
                calls.submit_application(festival, user, data, deck())
                db.session.commit()
                answers["sent"] += 1
            except PitchError as exc:
                db.session.rollback()
                answers[exc.reason] += 1
            finally:
                db.session.remove()

    threads = [threading.Thread(target=racer, args=(uid,)) for uid in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        stored = db.session.scalar(
            sa.select(sa.func.count(PitchApplication.id)).where(
                PitchApplication.organisation_id == ids["org"]
            )
        )
    return answers, stored


def festival_ops_create(organizer, tag):
    from eventday.festivals import operations as festival_ops

    start = utcnow().astimezone(calls.LOCAL_TZ).date() + dt.timedelta(days=10)
    festival = festival_ops.create_festival(
        organizer,
        festival_ops.FestivalData(
            name_vi="Ngày hội gọi vốn",
            host_area_ids=[area("commune", "20467").id],
            start_date=start,
            end_date=start,
            day_starts=dt.time(8),
            day_ends=dt.time(17),
            venue_name="Nhà văn hóa",
            slug=f"goi-von-{tag}",
            stages=[("Sân khấu", 100)],
        ),
    )
    festival_ops.change_state(festival, "published")
    return festival


@pytest.mark.postgres
@pytest.mark.committing
def test_members_sending_at_once_give_one_application(race_app, monkeypatch):
    answers, stored = _race(race_app, monkeypatch, lock=True)
    assert stored == 1
    assert answers == collections.Counter(sent=1, duplicate=RACERS - 1)


class _IndexOff:
    """Drop ``uq_pitch_applications_one_per_organisation`` for the block, then put it back
    (after withdrawing the duplicates the race made, or it could not be built)."""

    NAME = "uq_pitch_applications_one_per_organisation"

    def __init__(self, app):
        self.app = app

    def __enter__(self):
        with self.app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text(f"DROP INDEX {self.NAME}"))
        return self

    def __exit__(self, *exc):
        index = next(i for i in PitchApplication.__table__.indexes if i.name == self.NAME)
        with self.app.app_context(), db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE pitch_applications SET state = 'withdrawn' WHERE id NOT IN"
                    " (SELECT min(id) FROM pitch_applications GROUP BY festival_id,"
                    " organisation_id)"
                )
            )
            index.create(conn)
        return False


@pytest.mark.postgres
@pytest.mark.committing
def test_the_unique_index_alone_keeps_one_application(race_app, monkeypatch):
    answers, stored = _race(race_app, monkeypatch, lock=False)
    assert stored == 1
    assert answers == collections.Counter(sent=1, duplicate=RACERS - 1)


@pytest.mark.postgres
@pytest.mark.committing
def test_negative_control_without_lock_and_index_the_startup_applies_twice(race_app, monkeypatch):
    with _IndexOff(race_app):
        answers, stored = _race(race_app, monkeypatch, lock=False)
    print(f"negative control: {dict(answers)}, {stored} applications")  # with -rP
    assert stored > 1
