"""Participants' pages: the matchmaking home, one's own profile form, a person's profile with
the "request a meeting" form, recommendations with their reasons, and the directory."""

from __future__ import annotations

import math

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from eventday.areas.models import Area
from eventday.areas.views import area_json
from eventday.extensions import db
from eventday.festivals.forms import MultiCheckboxField
from eventday.festivals.models import Festival
from eventday.festivals.util import register_public_action
from eventday.permissions import can_manage
from matchmaking import profiles, recommend, taxonomy
from matchmaking.models import PRIORITIES, SEEKER_KINDS, MatchProfile
from matchmaking.profiles import ProfileData, ProfileError
from matchmaking.requests import MESSAGE_MAX
from matchmaking.util import get_or_404
from matchmaking.views import bp, festival_or_404

PER_PAGE = 30
FILTER_KEYS = ("q", "kind", "sector", "stage", "area", "fits")
PRIORITY_LABELS = {"must": _l("Must meet"), "want": _l("Would like to meet")}
assert set(PRIORITY_LABELS) == set(PRIORITIES)  # noqa: S101 - a definition-time check


@bp.context_processor
def _labels():
    return {
        "mm_kind_labels": taxonomy.KIND_LABELS,
        "mm_sectors": taxonomy.SECTORS,
        "mm_stages": taxonomy.STAGES,
        "mm_offers": taxonomy.OFFERS,
        "mm_languages": taxonomy.LANGUAGES,
        "mm_labels": taxonomy.labels,
        "mm_ticket": recommend.ticket_text,
    }


def public_festival(slug: str) -> Festival:
    festival = festival_or_404(slug)
    if not festival.is_public:
        abort(404)
    return festival


# --------------------------------------------------------------------------- the form


class VndField(StringField):
    """An amount in đồng as typed ("50.000.000", "50 triệu", "1,5 tỷ"); empty is None. What
    was typed is shown again after an error."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        try:
            self.data = profiles.parse_vnd(self.raw)
        except ValueError as exc:
            raise ValueError(str(exc)) from exc

    def _value(self):
        if getattr(self, "raw", None) is not None and (self.errors or self.data is None):
            return self.raw
        if self.data is None:
            return ""
        return f"{self.data:,}".replace(",", ".")


class CountField(StringField):
    """A small optional whole number; a translated error for anything else."""

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if self.raw:
            if not self.raw.isdigit() or len(self.raw) > 4:
                raise ValueError(_("Write a whole number, e.g. 8."))
            self.data = int(self.raw)

    def _value(self):
        if getattr(self, "raw", None) is not None:
            return self.raw
        return "" if self.data is None else str(self.data)


class ProfileForm(FlaskForm):
    kind = SelectField(_l("I take part as"), choices=[], validate_choice=False)
    display_name = StringField(
        _l("Name shown"),
        validators=[Length(max=255)],
        description=_l("Your name, or your fund's or startup's name."),
    )
    title = StringField(_l("Your role"), validators=[Optional(), Length(max=200)])
    organisation_id = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    headline_vi = StringField(_l("Headline (Vietnamese)"), validators=[Length(max=300)])
    headline_en = StringField(_l("Headline (English)"), validators=[Length(max=300)])
    description = TextAreaField(_l("About you"), validators=[Length(max=5000)])
    sectors = MultiCheckboxField(_l("Sectors"), choices=[], validate_choice=False)
    stages = MultiCheckboxField(_l("Startup stages"), choices=[], validate_choice=False)
    offers = MultiCheckboxField(_l("I offer"), choices=[], validate_choice=False)
    seeks = MultiCheckboxField(_l("I look for"), choices=[], validate_choice=False)
    languages = MultiCheckboxField(_l("Languages I speak"), choices=[], validate_choice=False)
    area_ids = HiddenField(_l("Areas of interest"))
    ticket_min = VndField(_l("From (đồng)"))
    ticket_max = VndField(_l("To (đồng)"))
    visible = BooleanField(
        _l("Show my profile in the directory and in recommendations"), default=True
    )
    max_meetings = CountField(_l("At most this many meetings (optional)"))


def _choices(mapping) -> list[SelectChoice]:
    return [SelectChoice(code, str(label)) for code, label in mapping.items()]


def _profile_form(profile: MatchProfile | None, settings, initial: dict | None = None):
    form = ProfileForm()
    form.kind.choices = _choices(taxonomy.KIND_LABELS)
    form.organisation_id.choices = [SelectChoice("", _("None (I take part in my own name)"))] + [
        SelectChoice(str(o.id), o.name) for o in profiles.user_organisations(current_user)
    ]
    form.sectors.choices = _choices(taxonomy.SECTORS)
    form.stages.choices = _choices(taxonomy.STAGES)
    form.offers.choices = _choices(taxonomy.OFFERS)
    form.seeks.choices = _choices(taxonomy.SEEKS)
    form.languages.choices = _choices(taxonomy.LANGUAGES)
    form.max_meetings.description = _(
        "The festival allows up to %(max)s meetings per person.", max=settings.max_meetings
    )
    if request.method == "GET":
        source = profile
        values = initial or {}
        for name in (
            "kind",
            "display_name",
            "title",
            "headline_vi",
            "headline_en",
            "description",
            "sectors",
            "stages",
            "offers",
            "seeks",
            "languages",
            "visible",
            "max_meetings",
        ):
            value = getattr(source, name) if source is not None else values.get(name)
            if value is not None:
                getattr(form, name).data = value
        org = source.organisation_id if source is not None else values.get("organisation_id")
        form.organisation_id.data = str(org or "")
        areas = source.area_ids if source is not None else values.get("area_ids", [])
        form.area_ids.data = ",".join(str(a) for a in areas or ())
        low = source.ticket_min_vnd if source is not None else values.get("ticket_min_vnd")
        high = source.ticket_max_vnd if source is not None else values.get("ticket_max_vnd")
        form.ticket_min.data, form.ticket_max.data = low, high
        if source is None and not values.get("languages"):
            form.languages.data = ["vi"]
    return form


def _area_ids(form: ProfileForm) -> list[int] | None:
    raw = [x.strip() for x in (form.area_ids.data or "").split(",") if x.strip()]
    if any(not x.isdigit() or len(x) > 12 for x in raw):
        return None
    return [int(x) for x in raw]


def _data_from(form: ProfileForm) -> ProfileData | None:
    area_ids = _area_ids(form)
    if area_ids is None:
        form.area_ids.errors = [ProfileError("bad_area").message()]
        return None
    org = (form.organisation_id.data or "").strip()
    if org and (not org.isdigit() or len(org) > 12):
        form.organisation_id.errors = [ProfileError("bad_organisation").message()]
        return None
    return ProfileData(
        kind=form.kind.data or "",
        display_name=form.display_name.data or "",
        title=form.title.data or "",
        organisation_id=int(org) if org else None,
        headline_vi=form.headline_vi.data or "",
        headline_en=form.headline_en.data or "",
        description=form.description.data or "",
        sectors=form.sectors.data or [],
        stages=form.stages.data or [],
        offers=form.offers.data or [],
        seeks=form.seeks.data or [],
        languages=form.languages.data or [],
        area_ids=area_ids,
        ticket_min_vnd=form.ticket_min.data,
        ticket_max_vnd=form.ticket_max.data,
        visible=bool(form.visible.data),
        max_meetings=form.max_meetings.data,
    )


def _area_data(form: ProfileForm) -> list[dict]:
    ids = _area_ids(form) or []
    if not ids:
        return []
    found = {a.id: a for a in db.session.query(Area).filter(Area.id.in_(ids))}
    return [area_json(found[i]) for i in ids if i in found]


def _render_form(festival, form, profile, *, error=None, status=200, prefilled=False):
    return (
        render_template(
            "matchmaking/profile_form.html",
            festival=festival,
            form=form,
            profile=profile,
            error=error,
            area_data=_area_data(form),
            prefilled=prefilled,
            seeker_kinds=SEEKER_KINDS,
        ),
        status,
    )


def _closed(festival, settings, *, status=200):
    return (
        render_template(
            "matchmaking/profile_closed.html",
            festival=festival,
            settings=settings,
            profile=profiles.profile_for(current_user, festival),
        ),
        status,
    )


# --------------------------------------------------------------------------- pages


@bp.get("/f/<slug>/matchmaking")
@login_required
def home(slug: str):
    festival = public_festival(slug)
    settings = profiles.find_settings(festival)
    profile = profiles.profile_for(current_user, festival)
    return render_template(
        "matchmaking/home.html",
        festival=festival,
        settings=settings,
        profile=profile,
        open=profiles.accepting_profiles(festival, settings),
        counts=profiles.counts(profile) if profile else None,
        manage=can_manage(current_user, festival),
    )


@bp.route("/f/<slug>/matchmaking/profile", methods=["GET", "POST"])
@login_required
def edit_profile(slug: str):
    festival = public_festival(slug)
    settings = profiles.find_settings(festival)
    if not profiles.accepting_profiles(festival, settings):
        return _closed(festival, settings, status=200 if request.method == "GET" else 409)
    profile = profiles.profile_for(current_user, festival, lock=request.method == "POST")
    initial = None
    if profile is None and request.method == "GET":
        initial = profiles.prefill(current_user, festival)
    form = _profile_form(profile, settings, initial)
    if request.method == "GET":
        return _render_form(festival, form, profile, prefilled=bool(initial))
    if "prefill" in request.form:
        # "Fill in from my organisation": keep what was typed, fill what is empty.
        org = (form.organisation_id.data or "").strip()
        values = profiles.prefill(current_user, festival, int(org)) if org.isdigit() else {}
        _fill_empty(form, values)
        return _render_form(festival, form, profile, prefilled=bool(values))
    if not form.validate_on_submit():
        return _render_form(festival, form, profile, error=_("Check the form."), status=400)
    data = _data_from(form)
    if data is None:
        return _render_form(festival, form, profile, error=_("Check the form."), status=400)
    try:
        saved = profiles.save_profile(profile, current_user, festival, data)
        db.session.commit()
    except ProfileError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None)
        if target is not None:
            target.errors = [*target.errors, exc.message()]
        status = 409 if exc.reason in ("closed", "exists") else 400
        return _render_form(festival, form, profile, error=exc.message(), status=status)
    except IntegrityError:  # two first saves at once: the other one won
        db.session.rollback()
        return _render_form(
            festival, form, None, error=ProfileError("exists").message(), status=409
        )
    flash(_("Matchmaking profile saved."), "success")
    return redirect(url_for("matchmaking.profile", slug=festival.slug, profile_id=saved.id))


def _fill_empty(form: ProfileForm, values: dict) -> None:
    for name in ("kind", "display_name", "headline_vi", "headline_en", "description"):
        if name in values and (name == "kind" or not (getattr(form, name).data or "").strip()):
            getattr(form, name).data = values[name]
    for name in ("sectors", "stages", "seeks"):
        if values.get(name) and not getattr(form, name).data:
            getattr(form, name).data = values[name]
    if values.get("area_ids") and not (form.area_ids.data or "").strip():
        form.area_ids.data = ",".join(str(a) for a in values["area_ids"])
    if values.get("ticket_min_vnd") and form.ticket_min.data is None and not form.ticket_min.raw:
        form.ticket_min.data = values["ticket_min_vnd"]
        form.ticket_min.raw = None
    if values.get("ticket_max_vnd") and form.ticket_max.data is None and not form.ticket_max.raw:
        form.ticket_max.data = values["ticket_max_vnd"]
        form.ticket_max.raw = None


@bp.get("/f/<slug>/matchmaking/people/<int:profile_id>")
@login_required
def profile(slug: str, profile_id: int):
    festival = public_festival(slug)
    person = get_or_404(MatchProfile, profile_id, festival_id=festival.id)
    own = person.user_id == current_user.id
    if not person.visible and not own and not can_manage(current_user, festival):
        abort(404)
    mine = profiles.profile_for(current_user, festival)
    settings = profiles.find_settings(festival)
    live = profiles.live_requests(mine).get(person.id) if mine and not own else None
    reasons = ()
    if mine and not own and recommend.opposite_sides(mine, person):
        tree = profiles.area_tree([*mine.area_ids, *person.area_ids])
        reasons = recommend.score(mine, person, tree)[1]
    areas = profiles.area_tree(person.area_ids)
    return render_template(
        "matchmaking/profile_show.html",
        festival=festival,
        person=person,
        own=own,
        mine=mine,
        live=live,
        reasons=reasons,
        area_names=[areas.name(a) for a in person.area_ids if areas.name(a)],
        open=profiles.accepting_profiles(festival, settings),
        request_url=url_for("matchmaking.send_request", slug=festival.slug, profile_id=person.id),
        priority_labels=PRIORITY_LABELS,
        message_max=MESSAGE_MAX,
    )


def _filter_context(festival: Festival, f: recommend.Filters) -> dict:
    area = db.session.get(Area, f.area) if f.area else None
    return {
        "f": f,
        "args": f.args(),
        "area_data": [area_json(area)] if area else [],
        "kinds": taxonomy.KIND_LABELS,
    }


@bp.get("/f/<slug>/matchmaking/recommendations")
@login_required
def recommendations(slug: str):
    festival = public_festival(slug)
    mine = profiles.profile_for(current_user, festival)
    if mine is None:
        flash(_("Create your matchmaking profile first: suggestions are made from it."), "info")
        return redirect(url_for("matchmaking.edit_profile", slug=festival.slug))
    f = recommend.Filters.parse(request.args)
    everyone = profiles.festival_profiles(festival)
    tree = profiles.area_tree(
        {a for p in everyone for a in p.area_ids or ()} | ({f.area} if f.area else set())
    )
    live = profiles.live_requests(mine)
    index = taxonomy.sector_search_index() if f.q else None
    candidates = [
        p for p in everyone if recommend.matches(p, f, tree, viewer=mine, sector_index=index)
    ]
    suggestions = recommend.recommend(mine, candidates, tree, exclude=live)
    return render_template(
        "matchmaking/recommendations.html",
        festival=festival,
        mine=mine,
        suggestions=suggestions,
        asked=len(live),
        **_filter_context(festival, f),
    )


@bp.get("/f/<slug>/matchmaking/directory")
@login_required
def directory(slug: str):
    festival = public_festival(slug)
    mine = profiles.profile_for(current_user, festival)
    f = recommend.Filters.parse(request.args)
    everyone = profiles.festival_profiles(festival)
    tree = profiles.area_tree(
        {a for p in everyone for a in p.area_ids or ()} | ({f.area} if f.area else set())
    )
    index = taxonomy.sector_search_index() if f.q else None
    found = [
        p
        for p in everyone
        if (p.visible or (mine is not None and p.id == mine.id))
        and recommend.matches(p, f, tree, viewer=mine, sector_index=index)
    ]
    pages = max(1, math.ceil(len(found) / PER_PAGE))
    raw_page = request.args.get("page", "1")
    page = min(int(raw_page), pages) if raw_page.isdigit() and len(raw_page) < 6 else 1
    page = max(page, 1)
    return render_template(
        "matchmaking/directory.html",
        festival=festival,
        mine=mine,
        people=found[(page - 1) * PER_PAGE : page * PER_PAGE],
        total=len(found),
        page=page,
        pages=pages,
        live=profiles.live_requests(mine),
        area_names=tree.names,
        **_filter_context(festival, f),
    )


# --------------------------------------------------------------------------- festival page


@register_public_action
def _matchmaking_action(festival: Festival):
    if festival.state != "published":
        return None
    settings = profiles.find_settings(festival)
    if not profiles.accepting_profiles(festival, settings):
        return None
    return _("Investor matchmaking"), url_for("matchmaking.home", slug=festival.slug)
