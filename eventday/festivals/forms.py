"""Festival forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from eventday.festivals.models import GROUP_KINDS, ROLES
from eventday.festivals.util import GROUP_LABELS, ROLE_LABELS, SLUG_RE


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _slug_check(form, field):
    if field.data and not SLUG_RE.match(field.data):
        raise ValidationError(
            _l("Use lowercase letters, digits and dashes only, e.g. ngay-hoi-dong-giang-2026.")
        )


class FestivalForm(FlaskForm):
    name_vi = StringField(_l("Name (Vietnamese)"), validators=[DataRequired(), Length(max=255)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=255)])
    slug = StringField(
        _l("Web address"),
        validators=[Optional(), Length(min=3, max=80), _slug_check],
        description=_l("Left empty, it is made from the Vietnamese name."),
    )
    host_areas = HiddenField(_l("Host areas"))
    lead_area = HiddenField(_l("Lead host"))
    start_date = DateField(_l("First day"), validators=[DataRequired()])
    end_date = DateField(_l("Last day"), validators=[DataRequired()])
    day_starts = TimeField(_l("Opens at"), validators=[DataRequired()], default=None)
    day_ends = TimeField(_l("Closes at"), validators=[DataRequired()], default=None)
    venue_name = StringField(_l("Venue"), validators=[DataRequired(), Length(max=255)])
    venue_address = StringField(_l("Address"), validators=[Optional(), Length(max=500)])
    latitude = DecimalField(
        _l("Latitude"), places=6, validators=[Optional(), NumberRange(min=-90, max=90)]
    )
    longitude = DecimalField(
        _l("Longitude"), places=6, validators=[Optional(), NumberRange(min=-180, max=180)]
    )
    description_vi = TextAreaField(
        _l("Description (Vietnamese)"),
        validators=[Optional(), Length(max=20000)],
        description=_l("Markdown: **bold**, *italic*, lists, links."),
    )
    description_en = TextAreaField(
        _l("Description (English)"), validators=[Optional(), Length(max=20000)]
    )
    groups = MultiCheckboxField(
        _l("Participant groups"),
        choices=[SelectChoice(k, GROUP_LABELS[k][0]) for k in GROUP_KINDS if k != "custom"],
    )
    custom_groups = TextAreaField(
        _l("Other groups"),
        validators=[Optional(), Length(max=2000)],
        description=_l("One per line."),
    )
    stages = TextAreaField(
        _l("Stages and rooms"),
        validators=[Optional(), Length(max=4000)],
        description=_l("One per line: name | capacity, e.g. Sân khấu chính | 500"),
    )
    cover = FileField(_l("Cover image"), description=_l("JPEG, PNG or WebP, at most 5 MB."))


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    area_id = SelectField(_l("Host area they represent"), coerce=int, choices=[])


class RoleForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"))
    area = HiddenField()
    when = SelectField(
        _l("When"),
        choices=[
            SelectChoice("upcoming", _l("Upcoming")),
            SelectChoice("past", _l("Past")),
            SelectChoice("all", _l("All")),
        ],
        default="upcoming",
    )
