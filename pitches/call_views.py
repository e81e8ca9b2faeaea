"""Call for pitches pages: the organizers' call settings and tracks, the startup's application
(apply, edit until the call closes, withdraw, the deck), and the organizers' list of
applications with state changes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from eventday.accounts.forms import EmptyForm
from eventday.accounts.models import Organisation, OrganisationMember
from eventday.areas.models import Area
from eventday.areas.views import area_json
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.festivals.util import register_public_action, register_section
from eventday.i18n import current_lang, fold, localized, to_local
from eventday.permissions import has_festival_role, organizer_required
from pitches import calls, judging
from pitches.calls import STAGE_LABELS, STATE_LABELS, PitchError
from pitches.models import (
    APPLICATION_STATES,
    STARTUP_STAGES,
    TRANSITIONS,
    Assignment,
    PitchApplication,
    Track,
)
from pitches.views import bp, public_festival

FORM_MARGIN_BYTES = 1024 * 1024  # the rest of the form around the deck
UPLOAD_ENDPOINTS = ("pitches.apply", "pitches.edit_application")
# The organizers' buttons: every move of TRANSITIONS except withdrawing (the startup's call)
# and awarding (only ``awards.assign_prize`` awards, with the prize).
ORGANIZER_MOVES = {
    s: tuple(t for t in moves if t not in ("withdrawn", "awarded"))
    for s, moves in TRANSITIONS.items()
}


# --------------------------------------------------------------------------- request size


@bp.url_value_preprocessor
def _deck_request_limit(endpoint, values):
    """Let a deck up to twice the limit reach the view (which refuses it with a message naming
    the limit and keeps the rest of the form); anything larger stops at the request limit.
    Runs before the CSRF check reads the form, so it has to be a URL value preprocessor."""
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = 2 * calls.deck_max_bytes() + FORM_MARGIN_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    if request.endpoint not in UPLOAD_ENDPOINTS:
        return render_template(
            "errors/error.html",
            status=413,
            title=_("File too large"),
            message=_("The upload is larger than allowed."),
        ), 413
    message = PitchError("too_large", limit=calls.deck_max_bytes()).message()
    return render_template(
        "errors/error.html", status=413, title=_("File too large"), message=message
    ), 413


# --------------------------------------------------------------------------- forms


class VndField(StringField):
    """Money in đồng typed with or without thousands separators ("50.000.000")."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        try:
            self.data = calls.parse_funding(self.raw)
        except PitchError as exc:
            self.data = None
            raise ValueError(exc.message()) from exc

    def _value(self):
        if getattr(self, "raw", None) is not None and self.data is None:
            return self.raw
        if self.data in (None, 0):
            return getattr(self, "raw", "") or ""
        return f"{self.data:,}".replace(",", ".")


class CallForm(FlaskForm):
    opens_at = DateTimeLocalField(
        _l("Opens (Vietnam time)"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    closes_at = DateTimeLocalField(
        _l("Closes (Vietnam time)"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    description_vi = TextAreaField(
        _l("About the call (Vietnamese)"), validators=[Optional(), Length(max=5000)]
    )
    description_en = TextAreaField(
        _l("About the call (English)"), validators=[Optional(), Length(max=5000)]
    )
    min_judges = IntegerField(
        _l("Judges per application"), default=3, validators=[InputRequired(), NumberRange(1, 20)]
    )
    pitch_minutes = IntegerField(
        _l("Pitch minutes"), default=8, validators=[InputRequired(), NumberRange(1, 120)]
    )
    qa_minutes = IntegerField(
        _l("Q&A minutes"), default=10, validators=[InputRequired(), NumberRange(0, 120)]
    )
    buffer_minutes = IntegerField(
        _l("Buffer minutes between pitches"),
        default=2,
        validators=[InputRequired(), NumberRange(0, 60)],
    )
    audience_vote_open = BooleanField(_l("Audience vote open"))
    audience_vote_on_projector = BooleanField(_l("Show the audience vote on the projector"))


class TrackForm(FlaskForm):
    name_vi = StringField(_l("Track (Vietnamese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Track (English)"), validators=[Optional(), Length(max=120)])
    stage_id = SelectField(_l("Preferred stage"), choices=[], validate_choice=False)


class ApplicationForm(FlaskForm):
    organisation_id = SelectField(_l("Startup organisation"), choices=[], validate_choice=False)
    title = StringField(
        _l("Project name"),
        validators=[DataRequired(message=_l("Give the project a name.")), Length(max=200)],
    )
    team = TextAreaField(
        _l("Team"),
        validators=[Optional(), Length(max=5000)],
        description=_l("One member per line: name, role."),
    )
    home_area_id = HiddenField(_l("Home area"))
    track_id = SelectField(_l("Track"), choices=[], validate_choice=False)
    stage = SelectField(_l("Startup stage"), choices=[], validate_choice=False)
    summary_vi = TextAreaField(
        _l("Summary (Vietnamese)"),
        validators=[DataRequired(message=_l("Write a short summary.")), Length(max=2000)],
    )
    summary_en = TextAreaField(_l("Summary (English)"), validators=[Optional(), Length(max=2000)])
    problem = TextAreaField(
        _l("The problem"),
        validators=[DataRequired(message=_l("Say which problem you solve.")), Length(max=5000)],
    )
    solution = TextAreaField(
        _l("Your solution"),
        validators=[DataRequired(message=_l("Describe your solution.")), Length(max=5000)],
    )
    market = TextAreaField(_l("Market and customers"), validators=[Optional(), Length(max=5000)])
    funding = VndField(
        _l("Funding sought (đồng)"),
        description=_l("In đồng, e.g. 50.000.000. Leave empty if none."),
    )
    deck = FileField(_l("Pitch deck (PDF)"))
    video_url = StringField(_l("Video link (optional)"), validators=[Optional(), Length(max=500)])
    consent = BooleanField(
        _l(
            "I agree that the organizers and judges use these data to assess the application "
            "and contact us (Decree 13/2023/ND-CP)."
        )
    )


# --------------------------------------------------------------------------- helpers


def _int_or_none(raw) -> int | None:
    raw = (raw or "").strip() if isinstance(raw, str) else raw
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _to_local_naive(value: dt.datetime | None) -> dt.datetime | None:
    return to_local(value).replace(tzinfo=None) if value else None


def _my_organisations() -> list[Organisation]:
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .join(OrganisationMember, OrganisationMember.organisation_id == Organisation.id)
            .where(OrganisationMember.user_id == current_user.id)
            .order_by(Organisation.name)
        )
    )


def _festival_application(festival: Festival, application_id: int) -> PitchApplication:
    application = db.session.get(PitchApplication, application_id)
    if application is None or application.festival_id != festival.id:
        abort(404)
    return application


def _is_assigned_judge(user, application: PitchApplication) -> bool:
    return bool(
        db.session.scalar(
            sa.select(Assignment.id)
            .where(Assignment.application_id == application.id, Assignment.judge_id == user.id)
            .limit(1)
        )
    )


def can_view(user, application: PitchApplication) -> bool:
    """The startup (applicant or organisation member), organizers, and judges assigned to it
    who have no conflict of interest with it."""
    if calls.can_edit(user, application):
        return True
    if has_festival_role(user, application.festival, "organizer"):
        return True
    return (
        has_festival_role(user, application.festival, "judge")
        and _is_assigned_judge(user, application)
        and not judging.conflicted(user, application)
    )


def _track_choices(festival: Festival) -> list[SelectChoice]:
    tracks = calls.tracks_of(festival)
    return [SelectChoice("", _("Choose a track"))] + [
        SelectChoice(str(t.id), localized(t, "name")) for t in tracks
    ]


def _stage_choices() -> list[SelectChoice]:
    return [SelectChoice(s, str(STAGE_LABELS[s])) for s in STARTUP_STAGES]


def _application_form(festival: Festival, application: PitchApplication | None) -> ApplicationForm:
    form = ApplicationForm()
    form.track_id.choices = _track_choices(festival)
    form.stage.choices = _stage_choices()
    if application is None:
        form.organisation_id.choices = [
            SelectChoice(str(o.id), o.name) for o in _my_organisations()
        ]
    if request.method == "GET" and application is not None:
        form.title.data = application.title
        form.team.data = application.team
        form.home_area_id.data = str(application.home_area_id or "")
        form.track_id.data = str(application.track_id or "")
        form.stage.data = application.stage
        form.summary_vi.data = application.summary_vi
        form.summary_en.data = application.summary_en
        form.problem.data = application.problem
        form.solution.data = application.solution
        form.market.data = application.market
        form.funding.data = application.funding_vnd
        form.video_url.data = application.video_url or ""
        form.consent.data = True
    return form


def _data_from(form: ApplicationForm) -> calls.ApplicationData | None:
    """The form as plain data; None (with the field's error set) when a value is unreadable."""
    ok = True
    area_raw = (form.home_area_id.data or "").strip()
    if area_raw and not area_raw.isdigit():
        form.home_area_id.errors = [PitchError("bad_area").message()]
        ok = False
    if not ok:
        return None
    return calls.ApplicationData(
        title=form.title.data or "",
        organisation_id=_int_or_none(form.organisation_id.data),
        team=form.team.data or "",
        home_area_id=int(area_raw) if area_raw else None,
        track_id=_int_or_none(form.track_id.data),
        stage=form.stage.data or "",
        summary_vi=form.summary_vi.data or "",
        summary_en=form.summary_en.data or "",
        problem=form.problem.data or "",
        solution=form.solution.data or "",
        market=form.market.data or "",
        funding_vnd=form.funding.data or 0,
        video_url=form.video_url.data or "",
        consent=bool(form.consent.data),
        locale=current_lang(),
    )


def _deck_from(form: ApplicationForm) -> calls.Deck | None:
    upload = form.deck.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return calls.Deck(stream=upload.stream, filename=upload.filename)


def _field_error(form: ApplicationForm, exc: PitchError) -> None:
    name = exc.field
    target = getattr(form, name, None) if name else None
    if target is not None:
        target.errors = [*target.errors, exc.message()]


def _area_data(form: ApplicationForm) -> list[dict]:
    raw = (form.home_area_id.data or "").strip()
    area = db.session.get(Area, int(raw)) if raw.isdigit() else None
    return [area_json(area)] if area else []


def _render_form(festival, form, call, *, application=None, error=None, status=200):
    return (
        render_template(
            "pitches/call_form.html",
            festival=festival,
            call=call,
            form=form,
            application=application,
            error=error,
            area_data=_area_data(form),
            max_bytes=calls.deck_max_bytes(),
            max_size=calls.format_size(calls.deck_max_bytes()),
            state_labels=STATE_LABELS,
            stage_labels=STAGE_LABELS,
        ),
        status,
    )


def _closed_page(festival, call, *, status=200, message=None):
    return (
        render_template(
            "pitches/call_closed.html",
            festival=festival,
            call=call,
            status_key=calls.call_status(call),
            message=message,
        ),
        status,
    )


# --------------------------------------------------------------------------- the startup


@bp.route("/f/<slug>/pitch/apply", methods=["GET", "POST"])
@login_required
def apply(slug: str):
    festival = public_festival(slug)
    call = calls.get_call(festival)
    if calls.call_status(call) != "open":
        return _closed_page(festival, call, status=200 if request.method == "GET" else 409)
    form = _application_form(festival, None)
    if not form.organisation_id.choices:
        return render_template("pitches/call_no_organisation.html", festival=festival), 403
    if request.method == "GET":
        return _render_form(festival, form, call)
    if not form.validate_on_submit():
        return _render_form(festival, form, call, error=_("Check the form."), status=400)
    data = _data_from(form)
    if data is None:
        return _render_form(festival, form, call, error=_("Check the form."), status=400)
    try:
        application = calls.submit_application(festival, current_user, data, _deck_from(form))
    except PitchError as exc:
        db.session.rollback()
        _field_error(form, exc)
        status = 409 if exc.reason in ("duplicate", "call_closed") else 400
        return _render_form(festival, form, call, error=exc.message(), status=status)
    db.session.commit()
    flash(_("Application sent. The organizers will write to you at each step."), "success")
    return redirect(
        url_for("pitches.edit_application", slug=festival.slug, application_id=application.id)
    )


@bp.get("/f/<slug>/pitch/mine")
@login_required
def my_applications(slug: str):
    festival = public_festival(slug)
    org_ids = sa.select(OrganisationMember.organisation_id).where(
        OrganisationMember.user_id == current_user.id
    )
    applications = db.session.scalars(
        sa.select(PitchApplication)
        .where(
            PitchApplication.festival_id == festival.id,
            sa.or_(
                PitchApplication.organisation_id.in_(org_ids),
                PitchApplication.applicant_id == current_user.id,
            ),
        )
        .options(selectinload(PitchApplication.organisation), selectinload(PitchApplication.track))
        .order_by(PitchApplication.created_at.desc(), PitchApplication.id.desc())
    ).all()
    call = calls.get_call(festival)
    return render_template(
        "pitches/call_mine.html",
        festival=festival,
        call=call,
        call_open=calls.call_status(call) == "open",
        applications=applications,
        editable={a.id for a in applications if _editable(a)},
        state_labels=STATE_LABELS,
        action_form=EmptyForm(),
    )


def _editable(application: PitchApplication) -> bool:
    try:
        calls.check_editable(application, current_user)
    except PitchError:
        return False
    return True


@bp.route("/f/<slug>/pitch/<int:application_id>", methods=["GET", "POST"])
@login_required
def edit_application(slug: str, application_id: int):
    festival = public_festival(slug)
    application = _festival_application(festival, application_id)
    if not can_view(current_user, application):
        abort(403)
    call = calls.get_call(festival)
    if request.method == "GET" and not _editable(application):
        return render_template(
            "pitches/call_application.html",
            festival=festival,
            call=call,
            application=application,
            own=calls.can_edit(current_user, application),
            state_labels=STATE_LABELS,
            stage_labels=STAGE_LABELS,
            action_form=EmptyForm(),
        )
    if not calls.can_edit(current_user, application):
        abort(403)
    form = _application_form(festival, application)
    if request.method == "GET":
        return _render_form(festival, form, call, application=application)
    if not form.validate_on_submit():
        return _render_form(
            festival, form, call, application=application, error=_("Check the form."), status=400
        )
    data = _data_from(form)
    if data is None:
        return _render_form(
            festival, form, call, application=application, error=_("Check the form."), status=400
        )
    try:
        calls.update_application(application, current_user, data, _deck_from(form))
    except PitchError as exc:
        db.session.rollback()
        _field_error(form, exc)
        status = 409 if exc.reason in ("call_closed", "not_editable") else 400
        status = 403 if exc.reason == "not_allowed" else status
        return _render_form(
            festival, form, call, application=application, error=exc.message(), status=status
        )
    db.session.commit()
    flash(_("Application saved."), "success")
    return redirect(
        url_for("pitches.edit_application", slug=festival.slug, application_id=application.id)
    )


@bp.post("/f/<slug>/pitch/<int:application_id>/withdraw")
@login_required
def withdraw(slug: str, application_id: int):
    festival = public_festival(slug)
    application = _festival_application(festival, application_id)
    if not calls.can_edit(current_user, application):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        calls.withdraw(application, current_user)
    except PitchError as exc:
        db.session.rollback()
        flash(exc.message(), "danger")
    else:
        db.session.commit()
        flash(_("Application withdrawn."), "info")
    return redirect(url_for("pitches.my_applications", slug=festival.slug))


@bp.get("/f/<slug>/pitch/<int:application_id>/deck.pdf")
@login_required
def deck(slug: str, application_id: int):
    festival = db.session.scalar(sa.select(Festival).where(Festival.slug == slug))
    if festival is None:
        abort(404)
    application = _festival_application(festival, application_id)
    if not can_view(current_user, application):
        abort(403)
    if not application.deck_file:
        abort(404)
    path = calls.deck_path(application.deck_file)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=False,
        download_name=application.deck_name or "deck.pdf",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- the organizers


def _render_settings(festival, form, call, *, track_forms=None, error=None, status=200):
    tracks = calls.tracks_of(festival)
    stage_choices = [SelectChoice("", _("No preference"))] + [
        SelectChoice(str(s.id), localized(s, "name")) for s in festival.stages
    ]
    forms = track_forms or {}
    for track in tracks:
        if track.id not in forms:
            tf = TrackForm(prefix=f"t{track.id}", formdata=None)
            tf.name_vi.data, tf.name_en.data = track.name_vi, track.name_en or ""
            tf.stage_id.data = str(track.stage_id or "")
            forms[track.id] = tf
    new = forms.get(None) or TrackForm(prefix="new", formdata=None)
    for tf in [*forms.values(), new]:
        tf.stage_id.choices = stage_choices
    return (
        render_template(
            "pitches/call_settings.html",
            festival=festival,
            call=call,
            form=form,
            tracks=tracks,
            track_forms=forms,
            new_track=new,
            error=error,
            action_form=EmptyForm(),
        ),
        status,
    )


@bp.route("/f/<slug>/manage/pitches/call", methods=["GET", "POST"])
@organizer_required
def call_settings(festival: Festival):
    call = calls.get_call(festival)
    form = CallForm(obj=call) if request.method == "GET" and call else CallForm()
    if request.method == "GET":
        if call:
            form.opens_at.data = _to_local_naive(call.opens_at)
            form.closes_at.data = _to_local_naive(call.closes_at)
        return _render_settings(festival, form, call)
    if not form.validate_on_submit():
        return _render_settings(festival, form, call, error=_("Check the form."), status=400)
    try:
        calls.save_call(
            festival,
            calls.CallData(
                opens_at=form.opens_at.data,
                closes_at=form.closes_at.data,
                description_vi=form.description_vi.data or "",
                description_en=form.description_en.data or "",
                min_judges=form.min_judges.data,
                pitch_minutes=form.pitch_minutes.data,
                qa_minutes=form.qa_minutes.data,
                buffer_minutes=form.buffer_minutes.data,
                audience_vote_open=form.audience_vote_open.data,
                audience_vote_on_projector=form.audience_vote_on_projector.data,
            ),
        )
    except PitchError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None)
        if target is not None:
            target.errors = [*target.errors, exc.message()]
        return _render_settings(festival, form, call, error=exc.message(), status=400)
    db.session.commit()
    flash(_("Call for pitches saved."), "success")
    return redirect(url_for("pitches.call_settings", slug=festival.slug))


def _save_track(festival: Festival, track: Track | None):
    prefix = f"t{track.id}" if track else "new"
    form = TrackForm(prefix=prefix)
    form.stage_id.choices = []
    call = calls.get_call(festival)

    def again(message):
        return _render_settings(
            festival,
            CallForm(formdata=None),
            call,
            track_forms={track.id if track else None: form},
            error=message,
            status=400,
        )

    if not form.validate_on_submit():
        return again(_("Check the form."))
    try:
        calls.save_track(
            festival,
            form.name_vi.data or "",
            form.name_en.data or "",
            _int_or_none(form.stage_id.data),
            track,
        )
    except PitchError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None)
        if target is not None:
            target.errors = [*target.errors, exc.message()]
        return again(exc.message())
    db.session.commit()
    flash(_("Track saved."), "success")
    return redirect(url_for("pitches.call_settings", slug=festival.slug) + "#tracks")


def _festival_track(festival: Festival, track_id: int) -> Track:
    track = db.session.get(Track, track_id)
    if track is None or track.festival_id != festival.id:
        abort(404)
    return track


@bp.post("/f/<slug>/manage/pitches/tracks")
@organizer_required
def add_track(festival: Festival):
    return _save_track(festival, None)


@bp.post("/f/<slug>/manage/pitches/tracks/<int:track_id>")
@organizer_required
def edit_track(festival: Festival, track_id: int):
    return _save_track(festival, _festival_track(festival, track_id))


@bp.post("/f/<slug>/manage/pitches/tracks/<int:track_id>/remove")
@organizer_required
def remove_track(festival: Festival, track_id: int):
    track = _festival_track(festival, track_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        calls.remove_track(track)
    except PitchError as exc:
        db.session.rollback()
        flash(exc.message(), "danger")
    else:
        db.session.commit()
        flash(_("Track removed."), "info")
    return redirect(url_for("pitches.call_settings", slug=festival.slug) + "#tracks")


def _render_list(festival: Festival, *, errors=None, status=200):
    state = request.args.get("state", "")
    track = _int_or_none(request.args.get("track"))
    q = (request.args.get("q") or "").strip()
    query = (
        sa.select(PitchApplication)
        .where(PitchApplication.festival_id == festival.id)
        .options(
            selectinload(PitchApplication.organisation),
            selectinload(PitchApplication.track),
            selectinload(PitchApplication.home_area)
            .selectinload(Area.parent)
            .selectinload(Area.parent)
            .selectinload(Area.parent),
            selectinload(PitchApplication.applicant),
        )
        .order_by(PitchApplication.created_at, PitchApplication.id)
    )
    if state in APPLICATION_STATES:
        query = query.where(PitchApplication.state == state)
    else:
        state = ""
    if track is not None:
        query = query.where(PitchApplication.track_id == track)
    if q:
        needle = fold(q).replace("\\", "").replace("%", "").replace("_", " ")
        org_ids = sa.select(Organisation.id).where(Organisation.name_folded.contains(needle))
        query = query.where(
            sa.or_(
                PitchApplication.title_folded.contains(needle),
                PitchApplication.organisation_id.in_(org_ids),
            )
        )
    return (
        render_template(
            "pitches/call_applications.html",
            festival=festival,
            call=calls.get_call(festival),
            applications=db.session.scalars(query).all(),
            counts=calls.counts_by_state(festival),
            tracks=calls.tracks_of(festival),
            states=APPLICATION_STATES,
            state=state,
            track=track,
            q=q,
            moves=ORGANIZER_MOVES,
            state_labels=STATE_LABELS,
            stage_labels=STAGE_LABELS,
            errors=errors or {},
            action_form=EmptyForm(),
        ),
        status,
    )


@bp.get("/f/<slug>/manage/pitches/applications")
@organizer_required
def applications(festival: Festival):
    return _render_list(festival)


@bp.post("/f/<slug>/manage/pitches/applications/<int:application_id>/state")
@organizer_required
def change_state(festival: Festival, application_id: int):
    application = _festival_application(festival, application_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    new_state = request.form.get("state", "")
    back = url_for(
        "pitches.applications",
        slug=festival.slug,
        **{k: v for k, v in request.args.items() if k in ("state", "track", "q") and v},
    )
    if new_state not in ORGANIZER_MOVES.get(application.state, ()):
        return _render_list(
            festival,
            errors={application.id: PitchError("bad_transition").message()},
            status=409,
        )
    try:
        calls.change_state(application, new_state, current_user)
    except PitchError as exc:
        db.session.rollback()
        return _render_list(festival, errors={application.id: exc.message()}, status=409)
    db.session.commit()
    flash(
        _(
            "%(title)s: %(state)s. The startup is mailed.",
            title=application.title,
            state=STATE_LABELS[new_state],
        ),
        "success",
    )
    return redirect(back + f"#application-{application.id}")


# --------------------------------------------------------------------------- festival pages


@register_section("pitches")
def _pitches_section(festival: Festival) -> dict:
    call = calls.get_call(festival)
    if call is None:
        return {
            "set_up": False,
            "url": url_for("pitches.call_settings", slug=festival.slug),
            "summary": "",
        }
    counts = calls.counts_by_state(festival)
    parts = [f"{STATE_LABELS[s]}: {counts[s]}" for s in APPLICATION_STATES if counts.get(s)]
    total = sum(counts.values())
    summary = _("%(n)s applications", n=total) + (" · " + " · ".join(parts) if parts else "")
    return {
        "set_up": True,
        "url": url_for("pitches.applications", slug=festival.slug),
        "summary": summary,
    }


@register_public_action
def _apply_action(festival: Festival):
    call = calls.get_call(festival)
    if calls.call_status(call, utcnow()) != "open":
        return None
    return _("Apply to pitch"), url_for("pitches.apply", slug=festival.slug)
