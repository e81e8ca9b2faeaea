"""Ticketing forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from eventday.accounts.forms import LANGUAGE_CHOICES, phone_check
from eventday.festivals.forms import MultiCheckboxField


class AttendeeForm(Form):
    """One attendee (a subform: the CSRF token lives on the outer form)."""

    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), phone_check])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    participant_group = SelectField(_l("You come as"), choices=[], default="")
    home_area = HiddenField(_l("Home commune"))
    share_with_exhibitors = BooleanField(
        _l("Exhibitors may scan my ticket to keep my contact (optional).")
    )

    def validate(self, extra_validators=None):
        # Not an inline validator: Optional() stops the chain of an empty field.
        ok = super().validate(extra_validators)
        if not self.email.data and not self.phone.data:
            self.email.errors = [
                *self.email.errors,
                _l("Give a phone number or an email (at least one)."),
            ]
            return False
        return ok


class RegistrationForm(FlaskForm):
    attendees = FieldList(FormField(AttendeeForm), min_entries=1, max_entries=20)
    locale = SelectField(_l("Language for messages"), choices=LANGUAGE_CHOICES, default="vi")
    payment_method = RadioField(_l("How do you pay?"), choices=[], validate_choice=False)
    invitation_code = HiddenField()
    offer = HiddenField()
    consent = BooleanField(
        _l(
            "I agree that the organizers process these personal data to run the festival "
            "(Decree 13/2023): names, contacts, group and commune, kept until one year after it."
        ),
        validators=[DataRequired(message=_l("Consent is needed to register."))],
    )


class WaitingListForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), phone_check])
    email = EmailField(_l("Email"), validators=[Optional(), Email()])
    locale = SelectField(_l("Language for messages"), choices=LANGUAGE_CHOICES, default="vi")

    def validate(self, extra_validators=None):
        # Not an inline validator: Optional() stops the chain of an empty field.
        ok = super().validate(extra_validators)
        if not self.email.data and not self.phone.data:
            self.email.errors = [
                *self.email.errors,
                _l("Give a phone number or an email (at least one)."),
            ]
            return False
        return ok


class RenameForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])


class TicketTypeForm(FlaskForm):
    name_vi = StringField(_l("Name (Vietnamese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    description_vi = TextAreaField(_l("Description (Vietnamese)"), validators=[Optional()])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional()])
    price_vnd = IntegerField(
        _l("Price (đồng, 0 = free)"),
        default=0,
        validators=[NumberRange(min=0, max=99_999_999)],
    )
    quota = IntegerField(_l("Places"), default=100, validators=[NumberRange(min=0, max=1_000_000)])
    max_per_order = IntegerField(
        _l("At most per order"), default=5, validators=[NumberRange(min=1, max=20)]
    )
    sale_starts_at = DateTimeLocalField(_l("Sale opens"), validators=[Optional()])
    sale_ends_at = DateTimeLocalField(_l("Sale closes"), validators=[Optional()])
    days = MultiCheckboxField(_l("Admits on"), choices=[], coerce=int)
    groups = MultiCheckboxField(_l("Only for these groups"), choices=[], coerce=int)
    is_hidden = BooleanField(_l("Hidden: only with an invitation code"))
    requires_approval = BooleanField(_l("Organizers approve each order"))


class PaymentSettingsForm(FlaskForm):
    bank_bin = SelectField(_l("Bank"), choices=[], validators=[Optional()])
    account_number = StringField(
        _l("Account number"),
        validators=[
            Optional(),
            Regexp(r"^[0-9A-Za-z]{1,19}$", message=_l("Up to 19 digits or letters.")),
        ],
    )
    account_name = StringField(_l("Account name"), validators=[Optional(), Length(max=100)])
    cash_enabled = BooleanField(_l("Cash at the venue"))
    stripe_enabled = BooleanField(_l("Card payments (Stripe)"))
    hold_minutes = IntegerField(
        _l("Hold unpaid orders for (minutes)"), validators=[NumberRange(min=5, max=60 * 24 * 30)]
    )
    offer_minutes = IntegerField(
        _l("Waiting-list offers last (minutes)"), validators=[NumberRange(min=5, max=60 * 24 * 30)]
    )


class InvitationCodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(min=4, max=32), Regexp(r"^[A-Za-z0-9-]+$")],
    )
    ticket_type_id = SelectField(_l("Unlocks"), coerce=int, choices=[])
    price_vnd = IntegerField(
        _l("Special price (đồng, empty = normal)"), validators=[Optional(), NumberRange(min=0)]
    )
    max_uses = IntegerField(_l("Uses"), default=1, validators=[NumberRange(min=1, max=10000)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=255)])


class OrderSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name, phone or code"))
    state = SelectField(_l("State"), choices=[], validate_choice=False)
    method = SelectField(_l("Payment"), choices=[], validate_choice=False)
    ticket_type = SelectField(_l("Ticket type"), choices=[], validate_choice=False)


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]
