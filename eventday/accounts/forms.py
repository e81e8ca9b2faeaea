"""Account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from eventday.i18n import PhoneError, normalize_phone

LANGUAGE_CHOICES = [SelectChoice("vi", "Tiếng Việt"), SelectChoice("en", "English")]


def phone_check(form, field):
    try:
        field.normalized = normalize_phone(field.data)
    except PhoneError as exc:
        raise ValidationError(_l("Enter a valid phone number, e.g. 0905 123 456.")) from exc


class RegisterForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), phone_check])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])
    password2 = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))],
    )
    locale = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES, default="vi")
    consent = BooleanField(
        _l("I agree that EventDay processes my personal data to run festivals (Decree 13/2023)."),
        validators=[DataRequired(message=_l("Consent is needed to create an account."))],
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Remember me"))
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=10, max=200)]
    )
    password2 = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))],
    )


class ProfileForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), phone_check])
    locale = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES)


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=255)])
    kind = SelectField(_l("Type"), choices=[])
    area_id = HiddenField(_l("Home area"))
    tax_code = StringField(_l("Tax code"), validators=[Optional(), Length(max=20)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=255)])


class MemberForm(FlaskForm):
    email = EmailField(_l("Member's email"), validators=[DataRequired(), Email()])
