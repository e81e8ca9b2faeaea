"""Participants' meeting requests: the "request a meeting" form (posted from a profile page),
the page of requests received and sent, and the accept / decline / cancel actions."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from eventday.accounts.forms import EmptyForm
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import format_datetime
from matchmaking import ics, profiles
from matchmaking import requests as reqs
from matchmaking.models import MatchProfile, MatchTable, MeetingRequest
from matchmaking.notifications import DECLINE_REASON_LABELS
from matchmaking.util import check_id, get_or_404
from matchmaking.views import bp, festival_or_404

PREFIX = "/f/<slug>/matchmaking"

TOO_LONG = _l("At most %(max)d characters.")
PRIORITY_LABELS = {"must": _l("Must meet"), "want": _l("Would like to meet")}
STATE_LABELS = {
    "pending": _l("Waiting for an answer"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(code, str(label)) for code, label in labels.items()]


class SendRequestForm(FlaskForm):
    message = TextAreaField(
        _l("Message"),
        validators=[Optional(), Length(max=reqs.MESSAGE_MAX, message=TOO_LONG)],
        description=_l("Say who you are and what you would like to discuss."),
    )
    priority = RadioField(
        _l("Priority"),
        choices=[],
        default="want",
        validators=[InputRequired(_l("Choose how much you want this meeting."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.priority.choices = _choices(PRIORITY_LABELS)


class AcceptForm(FlaskForm):
    mutual = BooleanField(_l("I want this meeting too"))


class DeclineForm(FlaskForm):
    reason = SelectField(
        _l("Reason"),
        choices=[],
        validators=[InputRequired(_l("Choose a reason."))],
    )
    note = TextAreaField(
        _l("Note to them (optional)"),
        validators=[Optional(), Length(max=reqs.NOTE_MAX, message=TOO_LONG)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = _choices(DECLINE_REASON_LABELS)


def _festival(slug: str) -> Festival:
    festival = festival_or_404(slug)
    if not festival.is_public:
        abort(404)
    return festival


def _mine(festival: Festival) -> MatchProfile | None:
    return profiles.profile_for(current_user, festival)


def _no_profile(festival: Festival):
    flash(_("Create your matchmaking profile first."), "info")
    return redirect(url_for("matchmaking.edit_profile", slug=festival.slug))


@bp.route(PREFIX + "/people/<int:profile_id>/request", methods=["GET", "POST"])
@login_required
def send_request(slug: str, profile_id: int):
    festival = _festival(slug)
    person = get_or_404(MatchProfile, profile_id, festival_id=festival.id)
    mine = _mine(festival)
    if mine is None:
        return _no_profile(festival)
    if person.id == mine.id:
        return redirect(url_for("matchmaking.profile", slug=festival.slug, profile_id=person.id))
    if not person.visible and reqs.live_request_between(mine, person) is None:
        abort(404)
    form = SendRequestForm()
    error = None
    if form.validate_on_submit():
        try:
            request = reqs.send_request(mine, person, form.message.data or "", form.priority.data)
        except reqs.RequestError as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            if request.sender_id == mine.id:
                flash(_("Your request is sent to %(name)s.", name=person.display_name), "success")
            else:
                flash(
                    _(
                        "%(name)s had asked you already: the meeting is accepted.",
                        name=person.display_name,
                    ),
                    "success",
                )
            return redirect(url_for("matchmaking.requests", slug=festival.slug))
    status = 400 if form.is_submitted() else 200
    return (
        render_template(
            "matchmaking/request_form.html",
            festival=festival,
            person=person,
            form=form,
            error=error,
            max_length=reqs.MESSAGE_MAX,
        ),
        status,
    )


@bp.get(PREFIX + "/requests")
@login_required
def requests(slug: str):
    festival = _festival(slug)
    mine = _mine(festival)
    if mine is None:
        return _no_profile(festival)
    return _render_requests(festival, mine)


def _load(model, ids: set[int]) -> list:
    """The rows of ``model`` with these ids, in one statement (kept by the caller while the
    page renders, so that lazy loads of them are found in the session)."""
    if not ids:
        return []
    return list(db.session.scalars(sa.select(model).where(model.id.in_(ids))))


def _render_requests(festival, mine, *, decline_for=None, decline_form=None, status=200):
    incoming = reqs.incoming(mine)
    outgoing = reqs.outgoing(mine)
    accepted = [r.id for r in incoming + outgoing if r.state == "accepted"]
    meetings = reqs.meetings_by_request(accepted)
    # The other parties and the meetings' tables in two statements: the page's r.sender,
    # r.recipient and m.table then come from the session, not one statement per request.
    loaded = _load(
        MatchProfile, {p for r in incoming + outgoing for p in (r.sender_id, r.recipient_id)}
    )
    loaded += _load(MatchTable, {m.table_id for m in meetings.values()})
    return (
        render_template(
            "matchmaking/request_list.html",
            festival=festival,
            mine=mine,
            incoming=incoming,
            outgoing=outgoing,
            meetings=meetings,
            table_place=ics.table_place,
            state_labels=STATE_LABELS,
            priority_labels=PRIORITY_LABELS,
            reason_labels=DECLINE_REASON_LABELS,
            accept_form=AcceptForm(formdata=None),
            decline_form=DeclineForm(formdata=None),
            decline_for=decline_for,
            failed_decline=decline_form,
            cancel_form=EmptyForm(formdata=None),
        ),
        status,
    )


def _locked_request(festival: Festival, request_id: int) -> tuple[MatchProfile, MeetingRequest]:
    """My profile and the request (row-locked); 404 unless I am one of its two parties."""
    mine = _mine(festival)
    if mine is None:
        abort(404)
    request = reqs.lock_request(check_id(request_id))
    if request is None or request.festival_id != festival.id:
        abort(404)
    if mine.id not in (request.sender_id, request.recipient_id):
        abort(404)
    return mine, request


def _back(festival: Festival):
    return redirect(url_for("matchmaking.requests", slug=festival.slug))


def _answer(festival: Festival, action, success: str):
    try:
        action()
    except reqs.RequestError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return _back(festival)


@bp.post(PREFIX + "/requests/<int:request_id>/accept")
@login_required
def accept_request(slug: str, request_id: int):
    festival = _festival(slug)
    mine, request = _locked_request(festival, request_id)
    form = AcceptForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "danger")
        return _back(festival)
    meeting = None

    def act():
        nonlocal meeting
        meeting = reqs.accept(request, current_user, mutual=form.mutual.data)

    result = _answer(festival, act, _("You accepted the request."))
    if meeting is not None:
        flash(
            _(
                "Your meeting: %(when)s, table %(table)s.",
                when=format_datetime(meeting.starts_at),
                table=meeting.table.number,
            ),
            "info",
        )
    return result


@bp.post(PREFIX + "/requests/<int:request_id>/decline")
@login_required
def decline_request(slug: str, request_id: int):
    festival = _festival(slug)
    mine, request = _locked_request(festival, request_id)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            reqs.decline(request, current_user, form.reason.data, form.note.data or "")
        except reqs.RequestError as exc:
            db.session.rollback()
            if exc.code not in ("reason", "note"):
                flash(exc.message, "danger")
                return _back(festival)
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("You declined the request."), "success")
            return _back(festival)
    else:
        db.session.rollback()
    # Show the page again with what was typed and the errors next to that request's form.
    mine = _mine(festival)
    return _render_requests(festival, mine, decline_for=request_id, decline_form=form, status=400)


@bp.post(PREFIX + "/requests/<int:request_id>/cancel")
@login_required
def cancel_request(slug: str, request_id: int):
    festival = _festival(slug)
    mine, request = _locked_request(festival, request_id)
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "danger")
        return _back(festival)
    return _answer(
        festival, lambda: reqs.cancel(request, current_user), _("The request is cancelled.")
    )
